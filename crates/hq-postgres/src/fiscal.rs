//! Fiscal records: the shops' keys, journals (written by a push) and archives.

use super::*;
use async_trait::async_trait;
use comptoir_core::chain::JournalEntry;
use comptoir_hq::storage::*;
use tracing::instrument;

fn key_from(r: &tokio_postgres::Row) -> ShopKey {
    ShopKey { key_id: r.get(0), public_key: r.get(1), registered_at: r.get(2), retired_at: r.get(3) }
}

/// The shop's keys, oldest first.
pub(crate) async fn keys(c: &impl GenericClient, shop: &str) -> R<Vec<ShopKey>> {
    let rows = c
        .query(
            "SELECT key_id, public_key, registered_at, retired_at FROM shop_keys WHERE shop = $1
             ORDER BY registered_at, key_id",
            &[&shop],
        )
        .await?;
    Ok(rows.iter().map(key_from).collect())
}

pub(crate) async fn insert_entry(c: &impl GenericClient, shop: &str, at: &str, e: &JournalEntry) -> R<()> {
    c.execute(
        "INSERT INTO journal_entries (id, shop, sequence, code, at, user_code, register, details, prev_hash, hash, signature, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            &comptoir_protocol::journal_entry_id(e).to_string(),
            &shop,
            &e.sequence,
            &e.code,
            &e.at,
            &e.user,
            &e.register,
            &e.details,
            &e.prev_hash,
            &e.hash,
            &e.signature,
            &at,
        ],
    )
    .await?;
    Ok(())
}

/// Registers the key a signed rotation named and retires the one it replaces.
pub(crate) async fn rotate(c: &impl GenericClient, shop: &str, key: &ShopKey, retires: &str) -> R<()> {
    c.execute(
        "UPDATE shop_keys SET retired_at = $1 WHERE shop = $2 AND key_id = $3 AND retired_at IS NULL",
        &[&key.registered_at, &shop, &retires],
    )
    .await?;
    c.execute(
        "INSERT INTO shop_keys (shop, key_id, public_key, registered_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        &[&shop, &key.key_id, &key.public_key, &key.registered_at],
    )
    .await?;
    Ok(())
}

fn archive_from(r: &tokio_postgres::Row) -> ArchiveRecord {
    ArchiveRecord {
        name: r.get(0),
        shop: r.get(1),
        period: r.get(2),
        bytes: r.get(3),
        sha256: r.get(4),
        verified: r.get(5),
        detail: r.get(6),
        received_at: r.get(7),
    }
}

#[async_trait]
impl FiscalStorage for PostgresStorage {
    #[instrument(skip_all)]
    async fn register_first_key(&self, shop: &str, key: &ShopKey) -> Result<bool, StorageError> {
        let client = self.conn().await?;
        // One statement: two pushes racing register one key, the other sees it held.
        let n = client
            .execute(
                "INSERT INTO shop_keys (shop, key_id, public_key, registered_at)
                 SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM shop_keys WHERE shop = $1)
                 ON CONFLICT DO NOTHING",
                &[&shop, &key.key_id, &key.public_key, &key.registered_at],
            )
            .await
            .map_err(Fail::from)?;
        Ok(n == 1)
    }

    #[instrument(skip_all)]
    async fn shop_keys(&self, shop: &str) -> Result<Vec<ShopKey>, StorageError> {
        let client = self.conn().await?;
        Ok(keys(&**client, shop).await?)
    }

    #[instrument(skip_all)]
    async fn list_journal(
        &self,
        shop: &str,
        f: &JournalFilter,
    ) -> Result<(Vec<StoredJournalEntry>, Option<i64>), StorageError> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT shop, sequence, code, at, user_code, register, details, prev_hash, hash, signature, received_at
                 FROM journal_entries WHERE shop = $1 AND sequence > $2 AND ($3::text IS NULL OR code = $3)
                 AND ($4::text IS NULL OR at >= $4) AND ($5::text IS NULL OR at < $5) ORDER BY sequence LIMIT $6",
                &[&shop, &f.after, &f.code, &f.from, &f.to, &((f.limit + 1) as i64)],
            )
            .await
            .map_err(Fail::from)?;
        let mut items: Vec<StoredJournalEntry> = rows
            .iter()
            .map(|r| StoredJournalEntry {
                entry: JournalEntry {
                    shop: r.get(0),
                    sequence: r.get(1),
                    code: r.get(2),
                    at: r.get(3),
                    user: r.get(4),
                    register: r.get(5),
                    details: r.get(6),
                    prev_hash: r.get(7),
                    hash: r.get(8),
                    signature: r.get(9),
                },
                received_at: r.get(10),
            })
            .collect();
        let next = if items.len() > f.limit {
            items.truncate(f.limit);
            items.last().map(|e| e.entry.sequence)
        } else {
            None
        };
        Ok((items, next))
    }

    #[instrument(skip_all)]
    async fn store_archive(&self, a: &ArchiveRecord, body: Vec<u8>) -> Result<(), StorageError> {
        let client = self.conn().await?;
        client
            .execute(
                "INSERT INTO archives (name, shop, period, bytes, sha256, verified, detail, received_at, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name) DO NOTHING",
                &[&a.name, &a.shop, &a.period, &a.bytes, &a.sha256, &a.verified, &a.detail, &a.received_at, &body],
            )
            .await
            .map_err(Fail::from)?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn list_archives(&self, shop: &str) -> Result<Vec<ArchiveRecord>, StorageError> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT name, shop, period, bytes, sha256, verified, detail, received_at FROM archives
                 WHERE shop = $1 ORDER BY received_at DESC, name",
                &[&shop],
            )
            .await
            .map_err(Fail::from)?;
        Ok(rows.iter().map(archive_from).collect())
    }

    #[instrument(skip_all)]
    async fn archive_body(&self, shop: &str, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let client = self.conn().await?;
        let row = client
            .query_opt("SELECT body FROM archives WHERE shop = $1 AND name = $2", &[&shop, &name])
            .await
            .map_err(Fail::from)?;
        Ok(row.map(|r| r.get(0)))
    }
}
