//! Closures (Z) of a register: day, month and year.
//!
//! - A day closure covers the register's tickets after its previous day closure, up to and
//!   including the closed business day. A day can be closed once; a later day closes the
//!   earlier ones implicitly (no ticket can be added to them).
//! - A month (year) closure sums the day closures of that month (year). It needs every
//!   ticket of the period to be in a day closure already.
//! - After any closure, tickets dated in its period are refused (`sales::closed_period`).
//! - Each kind keeps a perpetual grand total; all closures of a register form one chain.

use crate::error::ShopError;
use crate::sales::{closed_period, for_each_ticket_after};
use comptoir_core::chain::{GENESIS, closure_hash};
use comptoir_core::closure::{Closure, ClosureKind, PeriodTotals};
use comptoir_core::tax::VatAmounts;
use comptoir_core::ticket::PaymentMethod;
use comptoir_core::{Money, TaxRate};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClosure {
    pub register: String,
    pub kind: ClosureKind,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY` by kind; defaults to the current day, month or year.
    pub period: Option<String>,
}

fn valid_period(kind: ClosureKind, period: &str) -> bool {
    let parts: Vec<&str> = period.split('-').collect();
    let numeric = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    match (kind, parts.as_slice()) {
        (ClosureKind::Year, [y]) => numeric(y, 4),
        (ClosureKind::Month, [y, m]) => numeric(y, 4) && numeric(m, 2) && ("01"..="12").contains(m),
        (ClosureKind::Day, [_, _, _]) => jiff::civil::Date::strptime("%Y-%m-%d", period).is_ok(),
        _ => false,
    }
}

/// Closes a period of a register. `today` is the shop's current business date.
pub fn close(
    conn: &Connection,
    shop_code: &str,
    created_at: &str,
    today: &str,
    input: NewClosure,
) -> Result<Closure, ShopError> {
    let register = crate::staff::get_register(conn, &input.register)?.ok_or_else(|| ShopError::NotFound {
        what: "register",
        key: input.register.clone(),
        field: Some("register".into()),
    })?;
    let kind = input.kind;
    let period = input.period.clone().unwrap_or_else(|| kind.period_of(today));
    if !valid_period(kind, &period) {
        let (shape, shape_fr, what_fr) = match kind {
            ClosureKind::Day => ("YYYY-MM-DD", "AAAA-MM-JJ", "un jour"),
            ClosureKind::Month => ("YYYY-MM", "AAAA-MM", "un mois"),
            ClosureKind::Year => ("YYYY", "AAAA", "une année"),
        };
        return Err(ShopError::invalid(
            "bad_period",
            format!("{:?} is not a {} period: write it {shape}.", comptoir_http::short(&period), kind.as_str()),
            format!("{:?} n'est pas {what_fr} : la forme attendue est {shape_fr}.", comptoir_http::short(&period)),
            Some("period"),
        ));
    }
    if period > kind.period_of(today) {
        return Err(ShopError::invalid(
            "period_not_begun",
            format!("{period} has not started yet (today is {today}): a period is closed once it has begun."),
            format!(
                "{period} n'a pas encore commencé (nous sommes le {today}) : une période se clôture une fois commencée."
            ),
            Some("period"),
        ));
    }
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM closures WHERE register = ? AND kind = ? AND period = ?)",
        params![register.code, kind.as_str(), period],
        |r| r.get(0),
    )?;
    if exists {
        return Err(ShopError::AlreadyClosed { register: register.code, kind: kind.as_str(), period });
    }

    let last_day_seq: i64 = conn.query_row(
        "SELECT COALESCE(MAX(last_sequence), 0) FROM closures WHERE register = ? AND kind = 'day'",
        [&register.code],
        |r| r.get(0),
    )?;
    let mut totals = PeriodTotals::default();
    let mut last_sequence = last_day_seq;
    match kind {
        ClosureKind::Day => {
            // A later day already closed, or the month or year: this day is closed too.
            let first_day_of_period = period.clone();
            if let Some(closed) = closed_period(conn, &register.code, &first_day_of_period)? {
                return Err(ShopError::ClosedPeriod { register: register.code, period: closed });
            }
            for_each_ticket_after(conn, &register.code, last_day_seq, |t| {
                if t.business_date.as_str() > period.as_str() {
                    return Ok(false);
                }
                last_sequence = t.sequence;
                totals.add_ticket(&t);
                Ok(true)
            })?;
        }
        ClosureKind::Month | ClosureKind::Year => {
            // Every ticket of the period must already be in a day closure.
            let mut unclosed: Option<String> = None;
            for_each_ticket_after(conn, &register.code, last_day_seq, |t| {
                if kind.period_of(&t.business_date) <= period {
                    unclosed = Some(t.business_date.clone());
                }
                Ok(false)
            })?;
            if let Some(date) = unclosed {
                return Err(ShopError::DayNotClosed { register: register.code, date });
            }
            let mut stmt = conn.prepare_cached(
                "SELECT id FROM closures WHERE register = ? AND kind = 'day' AND substr(period, 1, ?) = ? ORDER BY sequence",
            )?;
            let ids: Vec<String> = stmt
                .query_map(params![register.code, period.len() as i64, period], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for id in ids {
                if let Some(day) = load_closure(conn, &id)? {
                    totals.add_period(&day.totals);
                }
            }
        }
    }

    let previous_grand_total: i64 = conn
        .query_row(
            "SELECT grand_total FROM closures WHERE register = ? AND kind = ? ORDER BY sequence DESC LIMIT 1",
            params![register.code, kind.as_str()],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT sequence, hash FROM closures WHERE register = ? ORDER BY sequence DESC LIMIT 1",
            [&register.code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (sequence, prev_hash) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let grand_total = Money(previous_grand_total) + totals.total;
    let mut closure = Closure {
        id: Uuid::now_v7(),
        shop: shop_code.to_string(),
        register: register.code,
        sequence,
        kind,
        period,
        created_at: created_at.to_string(),
        totals,
        grand_total,
        prev_hash,
        hash: String::new(),
    };
    closure.hash = closure_hash(&closure);
    insert_closure(conn, &closure, (kind == ClosureKind::Day).then_some(last_sequence))?;
    crate::sync::outbox::enqueue(conn, &comptoir_protocol::Record::Closure(closure.clone()))?;
    Ok(closure)
}

fn insert_closure(conn: &Connection, c: &Closure, last_sequence: Option<i64>) -> Result<(), ShopError> {
    let id = c.id.to_string();
    conn.execute(
        "INSERT INTO closures (id, shop, register, sequence, kind, period, created_at, ticket_count, first_number,
         last_number, last_sequence, total, grand_total, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            id,
            c.shop,
            c.register,
            c.sequence,
            c.kind.as_str(),
            c.period,
            c.created_at,
            c.totals.ticket_count,
            c.totals.first_number,
            c.totals.last_number,
            last_sequence,
            c.totals.total.cents(),
            c.grand_total.cents(),
            c.prev_hash,
            c.hash
        ],
    )?;
    for (m, a) in &c.totals.payments {
        conn.execute(
            "INSERT INTO closure_payments (closure_id, method, amount) VALUES (?, ?, ?)",
            params![id, m.as_str(), a.cents()],
        )?;
    }
    for (r, v) in &c.totals.vat {
        conn.execute(
            "INSERT INTO closure_vat (closure_id, rate_bp, gross, net, vat) VALUES (?, ?, ?, ?, ?)",
            params![id, r.bp(), v.gross.cents(), v.net.cents(), v.vat.cents()],
        )?;
    }
    Ok(())
}

const CLOSURE_COLUMNS: &str = "id, shop, register, sequence, kind, period, created_at, ticket_count, first_number,
     last_number, total, grand_total, prev_hash, hash";

fn closure_from_row(conn: &Connection, r: &rusqlite::Row) -> Result<Closure, ShopError> {
    let id: String = r.get(0)?;
    let kind: String = r.get(4)?;
    let mut c = Closure {
        id: Uuid::parse_str(&id).map_err(|_| ShopError::Storage(format!("unreadable closure id {id:?}")))?,
        shop: r.get(1)?,
        register: r.get(2)?,
        sequence: r.get(3)?,
        kind: ClosureKind::parse(&kind)
            .ok_or_else(|| ShopError::Storage(format!("unreadable closure kind {kind:?}")))?,
        period: r.get(5)?,
        created_at: r.get(6)?,
        totals: PeriodTotals {
            ticket_count: r.get(7)?,
            first_number: r.get(8)?,
            last_number: r.get(9)?,
            total: Money(r.get(10)?),
            ..Default::default()
        },
        grand_total: Money(r.get(11)?),
        prev_hash: r.get(12)?,
        hash: r.get(13)?,
    };
    let mut stmt = conn.prepare_cached("SELECT method, amount FROM closure_payments WHERE closure_id = ?")?;
    let mut rows = stmt.query([&id])?;
    while let Some(row) = rows.next()? {
        let method: String = row.get(0)?;
        let method = PaymentMethod::parse(&method)
            .ok_or_else(|| ShopError::Storage(format!("unreadable payment method {method:?}")))?;
        c.totals.payments.insert(method, Money(row.get(1)?));
    }
    let mut stmt = conn.prepare_cached("SELECT rate_bp, gross, net, vat FROM closure_vat WHERE closure_id = ?")?;
    let mut rows = stmt.query([&id])?;
    while let Some(row) = rows.next()? {
        c.totals.vat.insert(
            TaxRate(row.get(0)?),
            VatAmounts { gross: Money(row.get(1)?), net: Money(row.get(2)?), vat: Money(row.get(3)?) },
        );
    }
    Ok(c)
}

pub fn load_closure(conn: &Connection, id: &str) -> Result<Option<Closure>, ShopError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {CLOSURE_COLUMNS} FROM closures WHERE id = ?"))?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(r) => Ok(Some(closure_from_row(conn, r)?)),
        None => Ok(None),
    }
}

/// A register's closures (or every register's), in chain order.
pub fn list_closures(conn: &Connection, register: Option<&str>) -> Result<Vec<Closure>, ShopError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CLOSURE_COLUMNS} FROM closures WHERE (?1 IS NULL OR register = ?1) ORDER BY register, sequence"
    ))?;
    let mut rows = stmt.query([register])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(closure_from_row(conn, r)?);
    }
    Ok(out)
}
