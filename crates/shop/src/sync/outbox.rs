//! The outbox: what the shop still owes HQ.

use crate::error::ShopError;
use crate::store::now_text;
use comptoir_protocol::Record;
use rusqlite::{Connection, params};

/// Queues a record for HQ, inside the caller's transaction (the one that commits it).
pub fn enqueue(conn: &Connection, record: &Record) -> Result<(), ShopError> {
    let kind = match record {
        Record::Ticket(_) => "ticket",
        Record::Closure(_) => "closure",
        Record::Customer(_) => "customer",
        Record::LoyaltyEntry(_) => "loyalty_entry",
        Record::MessageAck(_) => "message_ack",
    };
    let body = serde_json::to_string(record).map_err(|e| ShopError::Storage(format!("outbox encoding: {e}")))?;
    conn.prepare_cached("INSERT INTO outbox (record_id, kind, body, created_at) VALUES (?, ?, ?, ?)")?
        .execute(params![record.id().to_string(), kind, body, now_text()])?;
    Ok(())
}

/// The oldest unacknowledged records, in commit order.
pub fn pending(conn: &Connection, limit: usize) -> Result<Vec<(i64, Record)>, ShopError> {
    let mut stmt = conn.prepare_cached("SELECT seq, body FROM outbox WHERE acked_at IS NULL ORDER BY seq LIMIT ?")?;
    let rows = stmt.query_map([limit as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, body) = row?;
        let record: Record = serde_json::from_str(&body)
            .map_err(|e| ShopError::Storage(format!("outbox record {seq} is unreadable: {e}")))?;
        out.push((seq, record));
    }
    Ok(out)
}

/// The oldest unacknowledged records as stored — `(seq, id, JSON text)` — ready to send
/// without being decoded and encoded again.
pub fn pending_raw(
    conn: &Connection,
    limit: usize,
) -> Result<Vec<(i64, uuid::Uuid, Box<serde_json::value::RawValue>)>, ShopError> {
    let mut stmt =
        conn.prepare_cached("SELECT seq, record_id, body FROM outbox WHERE acked_at IS NULL ORDER BY seq LIMIT ?")?;
    let rows =
        stmt.query_map([limit as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, id, body) = row?;
        let unreadable = |what: &str| ShopError::Storage(format!("outbox record {seq} has an unreadable {what}"));
        let id = uuid::Uuid::parse_str(&id).map_err(|_| unreadable("id"))?;
        let body = serde_json::value::RawValue::from_string(body).map_err(|_| unreadable("body"))?;
        out.push((seq, id, body));
    }
    Ok(out)
}

/// Marks records as answered by HQ (`outcome`: accepted, duplicate or quarantined).
pub fn acknowledge(conn: &Connection, answered: &[(i64, &str)]) -> Result<(), ShopError> {
    let now = now_text();
    let mut stmt = conn.prepare_cached("UPDATE outbox SET acked_at = ?, outcome = ? WHERE seq = ?")?;
    for (seq, outcome) in answered {
        stmt.execute(params![now, outcome, seq])?;
    }
    Ok(())
}

/// `(unsent count, created_at of the oldest unsent)`.
pub fn backlog(conn: &Connection) -> Result<(i64, Option<String>), ShopError> {
    Ok(conn.query_row("SELECT COUNT(*), MIN(created_at) FROM outbox WHERE acked_at IS NULL", [], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?)
}

/// The backlog that remains once every record up to `seq` is acknowledged: what HQ
/// should know after the push that carries them.
pub fn backlog_after(conn: &Connection, seq: i64) -> Result<(i64, Option<String>), ShopError> {
    Ok(conn.query_row(
        "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE acked_at IS NULL AND seq > ?",
        [seq],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Deletes acknowledged records older than `days`.
pub fn purge(conn: &Connection, days: u32) -> Result<usize, ShopError> {
    let cutoff = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * days as i64))
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    Ok(conn.execute("DELETE FROM outbox WHERE acked_at IS NOT NULL AND acked_at < ?", [cutoff])?)
}

/// Queues again every ticket and closure of the business days from `since` on (the
/// "resend sales" job): HQ ignores what it already has.
pub fn requeue_since(conn: &Connection, since: &str) -> Result<usize, ShopError> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM tickets WHERE business_date >= ? ORDER BY rowid")?
        .query_map([since], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut n = 0;
    for id in ids {
        if let Some(t) = crate::sales::load_ticket(conn, &id)? {
            enqueue(conn, &Record::Ticket(t))?;
            n += 1;
        }
    }
    for c in crate::closures::list_closures(conn, None)? {
        if c.period.as_str() >= &since[..c.period.len().min(since.len())] {
            enqueue(conn, &Record::Closure(c))?;
            n += 1;
        }
    }
    Ok(n)
}
