//! Walks every register's ticket chain and closure chain, recomputing each record's hash
//! from the rows as they are now, and names the first broken link of each chain.

use crate::closures::list_closures;
use crate::error::ShopError;
use crate::sales::for_each_ticket_after;
use comptoir_core::chain::{ChainBreak, closure_hash, ticket_hash, verify_links};
use rusqlite::Connection;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ChainReport {
    pub register: String,
    /// `tickets` or `closures`.
    pub chain: &'static str,
    pub records: usize,
    /// A description of the first broken link, if any.
    pub broken: Option<String>,
}

fn describe(b: &ChainBreak, what: &str) -> String {
    match b {
        ChainBreak::Altered { sequence, label } => {
            format!("{what} {label} (sequence {sequence}) was altered: its content no longer matches its hash")
        }
        ChainBreak::Unlinked { sequence, label } => format!(
            "{what} {label} (sequence {sequence}) does not follow the previous one: a record was removed or inserted"
        ),
        ChainBreak::Gap { expected, found, label } => {
            format!("{what} sequence {expected} is missing (next found: {found}, {label})")
        }
    }
}

pub fn verify(conn: &Connection) -> Result<Vec<ChainReport>, ShopError> {
    let registers: Vec<String> = conn
        .prepare("SELECT DISTINCT register FROM tickets UNION SELECT DISTINCT register FROM closures ORDER BY 1")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut reports = Vec::new();
    for register in registers {
        let mut rows = Vec::new();
        for_each_ticket_after(conn, &register, 0, |t| {
            let recomputed = ticket_hash(&t);
            rows.push((t.sequence, t.number, t.prev_hash, t.hash, recomputed));
            Ok(true)
        })?;
        let broken =
            verify_links(rows.iter().map(|(s, n, p, h, r)| (*s, n.as_str(), p.as_str(), h.as_str(), r.clone())));
        reports.push(ChainReport {
            register: register.clone(),
            chain: "tickets",
            records: rows.len(),
            broken: broken.map(|b| describe(&b, "ticket")),
        });

        let closures = list_closures(conn, Some(&register))?;
        let rows: Vec<_> = closures
            .iter()
            .map(|c| {
                (
                    c.sequence,
                    format!("{} {}", c.kind.as_str(), c.period),
                    c.prev_hash.clone(),
                    c.hash.clone(),
                    closure_hash(c),
                )
            })
            .collect();
        let broken =
            verify_links(rows.iter().map(|(s, n, p, h, r)| (*s, n.as_str(), p.as_str(), h.as_str(), r.clone())));
        reports.push(ChainReport {
            register,
            chain: "closures",
            records: rows.len(),
            broken: broken.map(|b| describe(&b, "closure")),
        });
    }
    Ok(reports)
}
