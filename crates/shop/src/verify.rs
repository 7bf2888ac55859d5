//! Walks every register's ticket chain and closure chain, and the shop's journal,
//! recomputing each record's hash from the rows as they are now and checking its signature
//! against the shop's public keys, and names the first broken link of each chain.
//!
//! A record rewritten with a correct hash (a whole chain recomputed by whoever holds the
//! database) is caught by its signature. Records made before shops signed carry none; a
//! missing signature after the first signed record of a chain is a break.

use crate::closures::list_closures;
use crate::error::ShopError;
use crate::sales::for_each_ticket_after;
use comptoir_core::chain::{
    ChainBreak, closure_hash, encode_closure, encode_journal, encode_ticket, journal_hash, ticket_hash, verify_links,
};
use comptoir_core::fiscal::{SignatureFault, verify as verify_signature};
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

/// The first record of a chain, in order, whose signature does not hold; `(label, message,
/// signature)` per record. Unsigned records before the first signed one are the shop's
/// [`verify`], journaled with its outcome (a verification is a fiscal event, NF525): run in
/// a write transaction.
pub fn verify_recorded(conn: &Connection, user: Option<&str>) -> Result<Vec<ChainReport>, ShopError> {
    let reports = verify(conn)?;
    let broken: Vec<String> = reports.iter().filter_map(|r| r.broken.clone()).collect();
    let details = if broken.is_empty() {
        format!("{} chains intact", reports.len())
    } else {
        format!("{} of {} chains broken: {}", broken.len(), reports.len(), broken.join("; "))
    };
    crate::shop::journal(conn, crate::journal::codes::VERIFY, user, &details)?;
    Ok(reports)
}

/// history from before signatures.
pub fn first_bad_signature<'a>(
    keys: &[String],
    records: impl IntoIterator<Item = (String, String, Option<&'a str>)>,
) -> Option<(String, SignatureFault)> {
    let mut signed_yet = false;
    for (label, message, signature) in records {
        if signature.is_none() && !signed_yet {
            continue;
        }
        signed_yet = true;
        if let Err(fault) = verify_signature(keys.iter().map(String::as_str), message.as_bytes(), signature) {
            return Some((label, fault));
        }
    }
    None
}

fn signature_break(what: &str, found: Option<(String, SignatureFault)>) -> Option<String> {
    found.map(|(label, fault)| format!("{what} {label} {}", fault.describe()))
}

pub fn verify(conn: &Connection) -> Result<Vec<ChainReport>, ShopError> {
    let keys: Vec<String> = crate::fiscal::public_keys(conn)?.into_iter().map(|k| k.public_key).collect();
    let registers: Vec<String> = conn
        .prepare("SELECT DISTINCT register FROM tickets UNION SELECT DISTINCT register FROM closures ORDER BY 1")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut reports = Vec::new();
    for register in registers {
        let mut rows = Vec::new();
        let mut signed = Vec::new();
        for_each_ticket_after(conn, &register, 0, |t| {
            let recomputed = ticket_hash(&t);
            signed.push((t.number.clone(), encode_ticket(&t), t.signature.clone()));
            rows.push((t.sequence, t.number, t.prev_hash, t.hash, recomputed));
            Ok(true)
        })?;
        let broken =
            verify_links(rows.iter().map(|(s, n, p, h, r)| (*s, n.as_str(), p.as_str(), h.as_str(), r.clone())));
        let broken = broken.map(|b| describe(&b, "ticket")).or_else(|| {
            signature_break(
                "ticket",
                first_bad_signature(&keys, signed.iter().map(|(l, m, s)| (l.clone(), m.clone(), s.as_deref()))),
            )
        });
        reports.push(ChainReport { register: register.clone(), chain: "tickets", records: rows.len(), broken });

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
        let broken = broken.map(|b| describe(&b, "closure")).or_else(|| {
            signature_break(
                "closure",
                first_bad_signature(
                    &keys,
                    closures.iter().map(|c| {
                        (format!("{} {}", c.kind.as_str(), c.period), encode_closure(c), c.signature.as_deref())
                    }),
                ),
            )
        });
        reports.push(ChainReport { register, chain: "closures", records: rows.len(), broken });
    }
    let entries = crate::journal::all(conn)?;
    let rows: Vec<_> = entries
        .iter()
        .map(|e| (e.sequence, format!("{} at {}", e.code, e.at), e.prev_hash.clone(), e.hash.clone(), journal_hash(e)))
        .collect();
    let broken = verify_links(rows.iter().map(|(s, n, p, h, r)| (*s, n.as_str(), p.as_str(), h.as_str(), r.clone())));
    let broken = broken.map(|b| describe(&b, "journal entry")).or_else(|| {
        signature_break(
            "journal entry",
            first_bad_signature(
                &keys,
                entries.iter().map(|e| {
                    (
                        format!("{} at {} (sequence {})", e.code, e.at, e.sequence),
                        encode_journal(e),
                        e.signature.as_deref(),
                    )
                }),
            ),
        )
    });
    reports.push(ChainReport { register: String::new(), chain: "journal", records: rows.len(), broken });
    Ok(reports)
}
