//! The shop's HQ link and sync state, as stored in the database (so that `comptoir shop
//! status` in another process sees what the server's agent did).

use crate::error::ShopError;
use crate::store::now_text;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HqLink {
    pub url: String,
    pub hq_id: Uuid,
    pub hq_name: String,
    pub credential: String,
    pub enrolled_at: String,
}

pub fn hq_link(conn: &Connection) -> Result<Option<HqLink>, ShopError> {
    let row: Option<(String, String, String, String, String)> = conn
        .query_row("SELECT url, hq_id, hq_name, credential, enrolled_at FROM hq_link WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    row.map(|(url, id, hq_name, credential, enrolled_at)| {
        let hq_id = Uuid::parse_str(&id).map_err(|_| ShopError::Storage(format!("unreadable HQ id {id:?}")))?;
        Ok(HqLink { url, hq_id, hq_name, credential, enrolled_at })
    })
    .transpose()
}

pub fn save_hq_link(conn: &Connection, link: &HqLink) -> Result<(), ShopError> {
    conn.execute(
        "INSERT INTO hq_link (id, url, hq_id, hq_name, credential, enrolled_at) VALUES (1, ?, ?, ?, ?, ?)",
        params![link.url, link.hq_id.to_string(), link.hq_name, link.credential, link.enrolled_at],
    )?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncState {
    pub cursor: i64,
    pub snapshot_needed: bool,
    pub snapshot_cursor: Option<i64>,
    pub snapshot_after: Option<String>,
    pub last_push_at: Option<String>,
    pub last_pull_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
}

pub fn sync_state(conn: &Connection) -> Result<SyncState, ShopError> {
    Ok(conn.query_row(
        "SELECT cursor, snapshot_needed, snapshot_cursor, snapshot_after, last_push_at, last_pull_at, last_error,
                last_error_at FROM sync_state WHERE id = 1",
        [],
        |r| {
            Ok(SyncState {
                cursor: r.get(0)?,
                snapshot_needed: r.get(1)?,
                snapshot_cursor: r.get(2)?,
                snapshot_after: r.get(3)?,
                last_push_at: r.get(4)?,
                last_pull_at: r.get(5)?,
                last_error: r.get(6)?,
                last_error_at: r.get(7)?,
            })
        },
    )?)
}

pub fn set_cursor(conn: &Connection, cursor: i64) -> Result<(), ShopError> {
    conn.execute("UPDATE sync_state SET cursor = ?, last_pull_at = ? WHERE id = 1", params![cursor, now_text()])?;
    Ok(())
}

/// A snapshot must be taken (enrolment, a too-old cursor, a resync job).
pub fn require_snapshot(conn: &Connection) -> Result<(), ShopError> {
    conn.execute(
        "UPDATE sync_state SET snapshot_needed = 1, snapshot_cursor = NULL, snapshot_after = NULL WHERE id = 1",
        [],
    )?;
    Ok(())
}

/// Progress of a snapshot: its first cursor and the last item applied.
pub fn snapshot_progress(conn: &Connection, cursor: i64, after: &str) -> Result<(), ShopError> {
    conn.execute(
        "UPDATE sync_state SET snapshot_cursor = COALESCE(snapshot_cursor, ?), snapshot_after = ? WHERE id = 1",
        params![cursor, after],
    )?;
    Ok(())
}

/// The snapshot is complete: follow the feed from its first cursor.
pub fn snapshot_done(conn: &Connection, begin_cursor: i64) -> Result<(), ShopError> {
    conn.execute(
        "UPDATE sync_state SET snapshot_needed = 0, cursor = COALESCE(snapshot_cursor, ?), snapshot_cursor = NULL,
         snapshot_after = NULL, last_pull_at = ? WHERE id = 1",
        params![begin_cursor, now_text()],
    )?;
    Ok(())
}

pub fn pushed(conn: &Connection) -> Result<(), ShopError> {
    conn.execute("UPDATE sync_state SET last_push_at = ? WHERE id = 1", [now_text()])?;
    Ok(())
}

pub fn record_error(conn: &Connection, error: &str) -> Result<(), ShopError> {
    conn.execute("UPDATE sync_state SET last_error = ?, last_error_at = ? WHERE id = 1", params![error, now_text()])?;
    Ok(())
}

pub fn clear_error(conn: &Connection) -> Result<(), ShopError> {
    conn.execute("UPDATE sync_state SET last_error = NULL, last_error_at = NULL WHERE id = 1", [])?;
    Ok(())
}
