//! The shop's signing key (NF525, `docs/fiscal.md`): created with the shop (or at the first
//! open of a shop made before signatures), kept in `signing_keys`, used by every write that
//! commits a ticket, a closure or a journal entry, and rotated by `comptoir shop rotate-key`.
//!
//! Rules:
//! - Exactly one key is current (not retired). Its secret never leaves the database; its
//!   public key is in `GET /api/v1/shop`, registered with HQ at enrolment, and in archives.
//! - A rotation is a journal entry (`key_rotated`, naming the new public key) signed by the
//!   old key, then the old key is retired and its secret forgotten: whoever trusts the first
//!   key can follow the chain of keys (`key_chain_break`).

use crate::error::ShopError;
use crate::store::now_text;
use comptoir_core::fiscal::SecretKey;
use rusqlite::{Connection, OptionalExtension, params};

/// A public key of the shop, as listed in `signing_keys`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PublicKey {
    pub key_id: String,
    /// 64 hex digits: the raw Ed25519 public key.
    pub public_key: String,
    pub created_at: String,
    pub retired_at: Option<String>,
}

/// The current key, created when the shop has none yet.
fn current(conn: &Connection) -> Result<SecretKey, ShopError> {
    let secret: Option<Option<String>> = conn
        .prepare_cached("SELECT secret_key FROM signing_keys WHERE retired_at IS NULL")?
        .query_row([], |r| r.get(0))
        .optional()?;
    match secret {
        Some(Some(hex)) => {
            SecretKey::from_hex(&hex).ok_or_else(|| ShopError::Storage("the shop's signing key is unreadable".into()))
        }
        Some(None) => Err(ShopError::Storage("the shop's current signing key has no secret".into())),
        None => {
            let key = SecretKey::generate();
            insert(conn, &key)?;
            Ok(key)
        }
    }
}

fn insert(conn: &Connection, key: &SecretKey) -> Result<(), ShopError> {
    conn.execute(
        "INSERT INTO signing_keys (key_id, public_key, secret_key, created_at) VALUES (?, ?, ?, ?)",
        params![key.key_id(), key.public_key(), key.to_hex(), now_text()],
    )?;
    Ok(())
}

/// Makes sure the shop has a key (a shop made before signatures gets one at its first open).
pub fn ensure_key(conn: &Connection) -> Result<String, ShopError> {
    Ok(current(conn)?.public_key())
}

/// Signs `message` with the current key: `KEY_ID:HEX`. Call inside the write transaction
/// that stores the record.
pub fn sign(conn: &Connection, message: &[u8]) -> Result<String, ShopError> {
    Ok(current(conn)?.sign(message))
}

/// The current public key (64 hex digits), if the shop has one yet.
pub fn public_key(conn: &Connection) -> Result<Option<String>, ShopError> {
    Ok(conn
        .prepare_cached("SELECT public_key FROM signing_keys WHERE retired_at IS NULL")?
        .query_row([], |r| r.get(0))
        .optional()?)
}

/// Every public key the shop ever had, oldest first.
pub fn public_keys(conn: &Connection) -> Result<Vec<PublicKey>, ShopError> {
    let mut stmt = conn.prepare_cached(
        "SELECT key_id, public_key, created_at, retired_at FROM signing_keys ORDER BY created_at, rowid",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(PublicKey { key_id: r.get(0)?, public_key: r.get(1)?, created_at: r.get(2)?, retired_at: r.get(3)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Replaces the current key: the rotation is journaled and signed by the old key, then the
/// old key is retired. Returns the new public key.
pub fn rotate(conn: &Connection, user: Option<&str>) -> Result<String, ShopError> {
    let old = current(conn)?;
    let new = SecretKey::generate();
    crate::journal::record(
        conn,
        crate::journal::Event {
            code: crate::journal::codes::KEY_ROTATED,
            user,
            register: None,
            details: &format!("old {} new {} public key {}", old.key_id(), new.key_id(), new.public_key()),
        },
    )?;
    conn.execute(
        "UPDATE signing_keys SET retired_at = ?, secret_key = NULL WHERE key_id = ?",
        params![now_text(), old.key_id()],
    )?;
    insert(conn, &new)?;
    Ok(new.public_key())
}
