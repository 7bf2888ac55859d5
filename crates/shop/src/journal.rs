//! The technical event journal (JET, NF525): what happened in the shop besides sales.
//!
//! One chain per shop in the `journal` table: each entry's hash is SHA-256 of its canonical
//! encoding (`comptoir-journal/1`, `comptoir_core::chain::encode_journal`), which names the
//! previous entry's hash; each entry is signed like a ticket (`fiscal`). The table refuses
//! UPDATE and DELETE; `verify` names the first entry removed, altered or re-signed.
//!
//! To journal an event from any module, inside the write transaction of what it records:
//!
//! ```ignore
//! journal::record(tx, journal::Event { code: journal::codes::REPRINT, user: Some("C1"),
//!     register: Some("R1"), details: "ticket P-R1-000042" })?;
//! ```
//!
//! `code` is one of [`codes`] (add one there, and to `docs/fiscal.md`, for a new kind of
//! event). Each entry is queued for HQ in the same transaction (`sync::outbox`). Before an entry stamped earlier than the previous one, a `clock_changed` entry
//! is written: the journal is where a clock set back shows.

use crate::error::ShopError;
use crate::store::now_text;
use comptoir_core::chain::{GENESIS, JournalEntry, encode_journal, journal_hash};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The journal's event codes (`docs/fiscal.md` lists what each one's details say).
pub mod codes {
    pub const SHOP_INITIALISED: &str = "shop_initialised";
    pub const SERVER_STARTED: &str = "server_started";
    pub const SERVER_STOPPED: &str = "server_stopped";
    pub const SIGN_IN: &str = "sign_in";
    pub const SIGN_OUT: &str = "sign_out";
    pub const SIGN_IN_FAILED: &str = "sign_in_failed";
    pub const USER_CHANGED: &str = "user_changed";
    pub const PRICE_CHANGED: &str = "price_changed";
    pub const CONFIG_CHANGED: &str = "config_changed";
    pub const CLOSURE: &str = "closure";
    pub const ARCHIVE: &str = "archive";
    pub const REPRINT: &str = "reprint";
    pub const DUPLICATE: &str = "duplicate";
    pub const DRAWER_OPENED: &str = "drawer_opened";
    pub const EXPORT: &str = "export";
    pub const RESTORE: &str = "restore";
    pub const SCHEMA_UPDATED: &str = "schema_updated";
    pub const CLOCK_CHANGED: &str = "clock_changed";
    pub const QUARANTINE: &str = "quarantine";
    pub const KEY_ROTATED: &str = "key_rotated";
    pub const VERIFY: &str = "verify";
    pub const ENROLLED: &str = "enrolled";
    /// A register's till opened with its float.
    pub const REGISTER_OPENED: &str = "register_opened";
    /// A job HQ asked of the shop (a catalog resend, a snapshot...) and how it ended.
    pub const JOB: &str = "job";
}

/// What to journal.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub code: &'a str,
    pub user: Option<&'a str>,
    pub register: Option<&'a str>,
    pub details: &'a str,
}

/// Appends an entry, chained and signed, in the caller's write transaction.
pub fn record(conn: &Connection, event: Event) -> Result<JournalEntry, ShopError> {
    let at = now_text();
    let last: Option<(i64, String, String)> = conn
        .prepare_cached("SELECT sequence, hash, at FROM journal ORDER BY sequence DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    if let Some((_, _, last_at)) = &last
        && at < *last_at
        && event.code != codes::CLOCK_CHANGED
    {
        let details = format!("the clock went back: {at} after {last_at}");
        record(conn, Event { code: codes::CLOCK_CHANGED, user: None, register: None, details: &details })?;
        return record(conn, event);
    }
    let (sequence, prev_hash) = match last {
        Some((s, h, _)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let shop: String = conn.prepare_cached("SELECT code FROM shop WHERE id = 1")?.query_row([], |r| r.get(0))?;
    let mut entry = JournalEntry {
        shop,
        sequence,
        code: event.code.to_string(),
        at,
        user: event.user.map(str::to_string),
        register: event.register.map(str::to_string),
        details: event.details.to_string(),
        prev_hash,
        hash: String::new(),
        signature: None,
    };
    entry.hash = journal_hash(&entry);
    entry.signature = Some(crate::fiscal::sign(conn, encode_journal(&entry).as_bytes())?);
    conn.prepare_cached(
        "INSERT INTO journal (sequence, shop, code, at, user, register, details, prev_hash, hash, signature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        entry.sequence,
        entry.shop,
        entry.code,
        entry.at,
        entry.user,
        entry.register,
        entry.details,
        entry.prev_hash,
        entry.hash,
        entry.signature
    ])?;
    // HQ keeps a copy of the journal (docs/sync.md): queued in the entry's own transaction,
    // so an entry is never committed without being owed to HQ.
    crate::sync::outbox::enqueue(conn, &comptoir_protocol::Record::JournalEntry(entry.clone()))?;
    Ok(entry)
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct JournalQuery {
    /// Only entries with this code.
    pub code: Option<String>,
    /// Only this user's entries.
    pub user: Option<String>,
    /// Only this register's entries.
    pub register: Option<String>,
    /// Entries at or after this instant (RFC 3339, or a day `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Entries before this instant (or day).
    pub to: Option<String>,
    /// `next` of the previous page.
    pub after: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JournalPage {
    pub items: Vec<JournalEntry>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<i64>,
}

const COLUMNS: &str = "shop, sequence, code, at, user, register, details, prev_hash, hash, signature";

fn from_row(r: &rusqlite::Row) -> rusqlite::Result<JournalEntry> {
    Ok(JournalEntry {
        shop: r.get(0)?,
        sequence: r.get(1)?,
        code: r.get(2)?,
        at: r.get(3)?,
        user: r.get(4)?,
        register: r.get(5)?,
        details: r.get(6)?,
        prev_hash: r.get(7)?,
        hash: r.get(8)?,
        signature: r.get(9)?,
    })
}

/// A page of entries, oldest first, filtered.
pub fn list(conn: &Connection, q: &JournalQuery) -> Result<JournalPage, ShopError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM journal WHERE sequence > ?1 AND (?2 IS NULL OR code = ?2) AND (?3 IS NULL OR user = ?3)
         AND (?4 IS NULL OR register = ?4) AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at < ?6)
         ORDER BY sequence LIMIT ?7"
    ))?;
    let mut items: Vec<JournalEntry> = stmt
        .query_map(
            params![q.after.unwrap_or(0), q.code, q.user, q.register, q.from, q.to, (limit + 1) as i64],
            from_row,
        )?
        .collect::<Result<_, _>>()?;
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|e| e.sequence)
    } else {
        None
    };
    Ok(JournalPage { items, next })
}

/// Every entry stamped in `[from, to)`, in order.
pub fn in_period(conn: &Connection, from: &str, to: &str) -> Result<Vec<JournalEntry>, ShopError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM journal WHERE at >= ?1 AND at < ?2 ORDER BY sequence"))?;
    Ok(stmt.query_map(params![from, to], from_row)?.collect::<Result<_, _>>()?)
}

/// The whole journal, in order.
pub fn all(conn: &Connection) -> Result<Vec<JournalEntry>, ShopError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM journal ORDER BY sequence"))?;
    Ok(stmt.query_map([], from_row)?.collect::<Result<_, _>>()?)
}
