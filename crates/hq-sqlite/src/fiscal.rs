//! Fiscal records: the shops' keys, journals (written by a push) and archives.

use super::*;
use async_trait::async_trait;
use comptoir_core::chain::JournalEntry;
use comptoir_hq::storage::*;
use rusqlite::{OptionalExtension, params};
use tracing::instrument;

fn key_from(r: &rusqlite::Row) -> rusqlite::Result<ShopKey> {
    Ok(ShopKey { key_id: r.get(0)?, public_key: r.get(1)?, registered_at: r.get(2)?, retired_at: r.get(3)? })
}

/// The shop's keys, oldest first.
pub(crate) fn keys(c: &Connection, shop: &str) -> R<Vec<ShopKey>> {
    let mut stmt = c.prepare_cached(
        "SELECT key_id, public_key, registered_at, retired_at FROM shop_keys WHERE shop = ? ORDER BY registered_at, rowid",
    )?;
    Ok(stmt.query_map([shop], key_from)?.collect::<Result<_, _>>()?)
}

pub(crate) fn insert_entry(c: &Connection, shop: &str, at: &str, e: &JournalEntry) -> R<()> {
    c.prepare_cached(
        "INSERT INTO journal_entries (id, shop, sequence, code, at, user_code, register, details, prev_hash, hash, signature, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        comptoir_protocol::journal_entry_id(e).to_string(),
        shop,
        e.sequence,
        e.code,
        e.at,
        e.user,
        e.register,
        e.details,
        e.prev_hash,
        e.hash,
        e.signature,
        at
    ])?;
    Ok(())
}

/// Registers the key a signed rotation named and retires the one it replaces.
pub(crate) fn rotate(c: &Connection, shop: &str, key: &ShopKey, retires: &str) -> R<()> {
    c.execute(
        "UPDATE shop_keys SET retired_at = ? WHERE shop = ? AND key_id = ? AND retired_at IS NULL",
        params![key.registered_at, shop, retires],
    )?;
    c.execute(
        "INSERT INTO shop_keys (shop, key_id, public_key, registered_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        params![shop, key.key_id, key.public_key, key.registered_at],
    )?;
    Ok(())
}

fn archive_from(r: &rusqlite::Row) -> rusqlite::Result<ArchiveRecord> {
    Ok(ArchiveRecord {
        name: r.get(0)?,
        shop: r.get(1)?,
        period: r.get(2)?,
        bytes: r.get(3)?,
        sha256: r.get(4)?,
        verified: r.get(5)?,
        detail: r.get(6)?,
        received_at: r.get(7)?,
    })
}

#[async_trait]
impl FiscalStorage for SqliteStorage {
    #[instrument(skip_all)]
    async fn register_first_key(&self, shop: &str, key: &ShopKey) -> Result<bool, StorageError> {
        let (shop, key) = (shop.to_string(), key.clone());
        self.write(move |tx| {
            let held: bool =
                tx.query_row("SELECT EXISTS(SELECT 1 FROM shop_keys WHERE shop = ?)", [&shop], |r| r.get(0))?;
            if held {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO shop_keys (shop, key_id, public_key, registered_at) VALUES (?, ?, ?, ?)",
                params![shop, key.key_id, key.public_key, key.registered_at],
            )?;
            Ok(true)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn shop_keys(&self, shop: &str) -> Result<Vec<ShopKey>, StorageError> {
        let shop = shop.to_string();
        self.read(move |c| keys(c, &shop)).await
    }

    #[instrument(skip_all)]
    async fn list_journal(
        &self,
        shop: &str,
        f: &JournalFilter,
    ) -> Result<(Vec<StoredJournalEntry>, Option<i64>), StorageError> {
        let (shop, f) = (shop.to_string(), f.clone());
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT shop, sequence, code, at, user_code, register, details, prev_hash, hash, signature, received_at
                 FROM journal_entries WHERE shop = ?1 AND sequence > ?2 AND (?3 IS NULL OR code = ?3)
                 AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at < ?5) ORDER BY sequence LIMIT ?6",
            )?;
            let mut items: Vec<StoredJournalEntry> = stmt
                .query_map(params![shop, f.after, f.code, f.from, f.to, (f.limit + 1) as i64], |r| {
                    Ok(StoredJournalEntry {
                        entry: JournalEntry {
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
                        },
                        received_at: r.get(10)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            let next = if items.len() > f.limit {
                items.truncate(f.limit);
                items.last().map(|e| e.entry.sequence)
            } else {
                None
            };
            Ok((items, next))
        })
        .await
    }

    #[instrument(skip_all)]
    async fn store_archive(&self, a: &ArchiveRecord, body: Vec<u8>) -> Result<(), StorageError> {
        let a = a.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO archives (name, shop, period, bytes, sha256, verified, detail, received_at, body)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                params![a.name, a.shop, a.period, a.bytes, a.sha256, a.verified, a.detail, a.received_at, body],
            )?;
            Ok(())
        })
        .await
    }

    #[instrument(skip_all)]
    async fn list_archives(&self, shop: &str) -> Result<Vec<ArchiveRecord>, StorageError> {
        let shop = shop.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT name, shop, period, bytes, sha256, verified, detail, received_at FROM archives
                 WHERE shop = ? ORDER BY received_at DESC, name",
            )?;
            Ok(stmt.query_map([shop], archive_from)?.collect::<Result<_, _>>()?)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn archive_body(&self, shop: &str, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let (shop, name) = (shop.to_string(), name.to_string());
        self.read(move |c| {
            Ok(c.query_row("SELECT body FROM archives WHERE shop = ? AND name = ?", params![shop, name], |r| r.get(0))
                .optional()?)
        })
        .await
    }
}
