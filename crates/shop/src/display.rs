//! The customer display: what each register's second screen shows, kept in this process's
//! memory (nothing of it is a record). The register's previews of its cart put the lines
//! and the total on it; a committed sale puts its tenders, change and a thank-you. The
//! display page asks with the version it has and is answered as soon as a newer one
//! exists (long polling), so it follows the register live.
//!
//! Also [`Hub`], the devices' shared state the server holds: this board and the print
//! queue's wake-up.

use comptoir_core::Money;
use comptoir_core::ticket::Ticket;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use utoipa::ToSchema;

/// The devices' state shared by the server's handlers and workers.
#[derive(Default)]
pub struct Hub {
    /// Wakes the print queue's worker when a job is queued.
    pub print_wake: Arc<tokio::sync::Notify>,
    pub board: Board,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShownLine {
    pub name: String,
    /// Units or kilograms, as a number.
    pub qty: f64,
    #[schema(value_type = i64)]
    pub amount: Money,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShownTender {
    /// `cash`, `card`...
    pub method: String,
    #[schema(value_type = i64)]
    pub amount: Money,
}

/// What a customer display shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Shown {
    /// Grows with each change; pass it back as `after`.
    pub version: u64,
    /// `idle` (welcome), `cart` (being rung) or `paid` (thank-you).
    pub phase: String,
    pub lines: Vec<ShownLine>,
    #[schema(value_type = i64)]
    pub total: Money,
    pub tenders: Vec<ShownTender>,
    #[schema(value_type = i64)]
    pub change: Money,
    /// The ticket's number once paid.
    pub number: Option<String>,
}

impl Shown {
    fn idle(version: u64) -> Shown {
        Shown {
            version,
            phase: "idle".into(),
            lines: Vec::new(),
            total: Money::ZERO,
            tenders: Vec::new(),
            change: Money::ZERO,
            number: None,
        }
    }
}

/// Every register's display.
#[derive(Default)]
pub struct Board {
    shown: Mutex<HashMap<String, Shown>>,
    version: std::sync::atomic::AtomicU64,
    changed: tokio::sync::Notify,
}

fn view(t: &Ticket, phase: &str, version: u64) -> Shown {
    Shown {
        version,
        phase: phase.into(),
        lines: t
            .lines
            .iter()
            .map(|l| ShownLine { name: l.name.clone(), qty: l.qty.as_f64(), amount: l.total })
            .collect(),
        total: t.total,
        tenders: if phase == "paid" {
            t.payments.iter().map(|p| ShownTender { method: p.method.as_str().into(), amount: p.amount }).collect()
        } else {
            Vec::new()
        },
        change: if phase == "paid" { t.change } else { Money::ZERO },
        number: (phase == "paid").then(|| t.number.clone()),
    }
}

impl Board {
    fn put(&self, register: &str, make: impl FnOnce(u64) -> Shown) {
        let v = self.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if let Ok(mut m) = self.shown.lock() {
            m.insert(register.to_string(), make(v));
        }
        self.changed.notify_waiters();
    }

    /// The register's cart as its latest preview priced it (an empty cart: the welcome).
    pub fn show_cart(&self, register: &str, preview: &Ticket) {
        if preview.lines.is_empty() {
            self.put(register, Shown::idle);
        } else {
            self.put(register, |v| view(preview, "cart", v));
        }
    }

    /// The sale just committed: its tenders, change and the thank-you.
    pub fn show_paid(&self, register: &str, ticket: &Ticket) {
        self.put(register, |v| view(ticket, "paid", v));
    }

    pub fn get(&self, register: &str) -> Shown {
        self.shown.lock().ok().and_then(|m| m.get(register).cloned()).unwrap_or_else(|| Shown::idle(0))
    }

    /// The display once it is newer than `after`, or as it is after `wait`.
    pub async fn wait(&self, register: &str, after: u64, wait: Duration) -> Shown {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.changed.notified();
            let now = self.get(register);
            if now.version > after {
                return now;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.get(register);
            }
        }
    }
}
