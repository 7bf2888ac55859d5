//! The change feed and the snapshot.

use super::*;
use crate::catalog::{ARTICLE_COLUMNS, article_from_row};
use async_trait::async_trait;
use comptoir_hq::storage::*;
use comptoir_protocol::Change;
use rusqlite::{OptionalExtension, params};
use tracing::instrument;

fn snapshot_items(
    c: &Connection,
    shop: &str,
    entity: Entity,
    after: Option<&str>,
    limit: usize,
) -> R<Vec<SnapshotItem>> {
    let mut items = Vec::new();
    match entity {
        Entity::TaxRate => {
            let after: i64 = after.and_then(|a| a.parse().ok()).unwrap_or(-1);
            let mut stmt =
                c.prepare_cached("SELECT bp, name, active FROM tax_rates WHERE bp > ? ORDER BY bp LIMIT ?")?;
            let rows = stmt.query_map(params![after, limit as i64], |r| {
                Ok(TaxRateView { bp: r.get(0)?, name: r.get(1)?, active: r.get(2)? })
            })?;
            for t in rows {
                let t = t?;
                items.push(SnapshotItem { entity, key: t.bp.to_string(), body: serde_json::to_value(t.body())? });
            }
        }
        Entity::Category => {
            let mut stmt =
                c.prepare_cached("SELECT code, name, active FROM categories WHERE code > ? ORDER BY code LIMIT ?")?;
            let rows = stmt.query_map(params![after.unwrap_or(""), limit as i64], |r| {
                Ok(Category { code: r.get(0)?, name: r.get(1)?, active: r.get(2)? })
            })?;
            for cat in rows {
                let cat = cat?;
                items.push(SnapshotItem { entity, key: cat.code.clone(), body: serde_json::to_value(cat.body())? });
            }
        }
        Entity::Article => {
            let mut stmt =
                c.prepare_cached(&format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id > ? ORDER BY id LIMIT ?"))?;
            let mut rows = stmt.query(params![after.unwrap_or(""), limit as i64])?;
            while let Some(r) = rows.next()? {
                let a = article_from_row(c, r)?;
                items.push(SnapshotItem { entity, key: a.id.to_string(), body: serde_json::to_value(a.body())? });
            }
        }
        Entity::Job => {
            let mut stmt = c.prepare_cached(
                "SELECT j.id, j.body FROM jobs j JOIN job_targets t ON t.job = j.id
                 WHERE t.shop = ? AND t.state = 'pending' AND j.id > ? ORDER BY j.id LIMIT ?",
            )?;
            let rows = stmt.query_map(params![shop, after.unwrap_or(""), limit as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            for row in rows {
                let (id, body) = row?;
                items.push(SnapshotItem { entity, key: id, body: serde_json::from_str(&body)? });
            }
        }
        Entity::LoyaltyRule | Entity::Customer | Entity::LoyaltyEntry => {
            items.extend(customers::snapshot_items(c, entity, after, limit)?);
        }
        Entity::Offer | Entity::Message => {
            items.extend(customers::offer_and_message_items(c, shop, entity, after, limit)?);
        }
        other => items.extend(stock::snapshot_items(c, shop, other, after, limit)?),
    }
    Ok(items)
}

fn feed_head(c: &Connection) -> R<(i64, i64)> {
    let floor: i64 = c.query_row("SELECT feed_floor FROM hq WHERE id = 1", [], |r| r.get(0)).optional()?.unwrap_or(0);
    let max: Option<i64> = c.query_row("SELECT MAX(seq) FROM changes", [], |r| r.get(0))?;
    Ok((max.unwrap_or(floor).max(floor), floor))
}

#[async_trait]
impl FeedStorage for SqliteStorage {
    #[instrument(skip_all)]
    async fn feed(&self, shop: &str, cursor: i64, limit: usize) -> Result<FeedRead, StorageError> {
        let shop = shop.to_string();
        self.read(move |c| {
            let (_, floor) = feed_head(c)?;
            let mut stmt = c.prepare_cached(
                "SELECT seq, entity, key, body FROM changes WHERE seq > ?1 AND (shop IS NULL OR shop = ?2) ORDER BY seq LIMIT ?3",
            )?;
            let rows: Vec<(i64, String, String, String)> = stmt
                .query_map(params![cursor, shop, limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<_, _>>()?;
            let mut changes = Vec::with_capacity(rows.len());
            for (seq, entity, key, body) in rows {
                let entity = Entity::parse(&entity)
                    .ok_or_else(|| StorageError::Database(format!("change {seq}: unknown entity {entity}")))?;
                changes.push(Change { seq, entity, key, body: serde_json::from_str(&body)? });
            }
            Ok(FeedRead { changes, floor })
        })
        .await
    }

    #[instrument(skip_all)]
    async fn purge_feed(&self, before: &str) -> Result<i64, StorageError> {
        let before = before.to_string();
        self.write(move |tx| {
            let last: Option<i64> =
                tx.query_row("SELECT MAX(seq) FROM changes WHERE created_at < ?", [&before], |r| r.get(0))?;
            if let Some(last) = last {
                tx.execute("DELETE FROM changes WHERE seq <= ?", [last])?;
                tx.execute("UPDATE hq SET feed_floor = MAX(feed_floor, ?) WHERE id = 1", [last])?;
            }
            Ok(feed_head(tx)?.1)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn snapshot_begin(&self, shop: &str) -> Result<(i64, u64), StorageError> {
        let shop = shop.to_string();
        self.read(move |c| {
            // One read transaction: the cursor and the count see the same state.
            c.execute_batch("BEGIN")?;
            let result = (|| -> R<(i64, u64)> {
                let (cursor, _) = feed_head(c)?;
                let total: i64 = c.query_row(
                    "SELECT (SELECT COUNT(*) FROM tax_rates) + (SELECT COUNT(*) FROM categories) + (SELECT COUNT(*) FROM articles)
                          + (SELECT COUNT(*) FROM job_targets WHERE shop = ? AND state = 'pending')",
                    [&shop],
                    |r| r.get(0),
                )?;
                let total = total + customers::snapshot_count(c)? + customers::offer_and_message_count(c, &shop)?;
                let total = total + stock::snapshot_count(c, &shop)?;
                Ok((cursor, total as u64))
            })();
            c.execute_batch("COMMIT")?;
            result
        })
        .await
    }

    #[instrument(skip_all)]
    async fn snapshot_page(
        &self,
        shop: &str,
        after: Option<(Entity, String)>,
        limit: usize,
    ) -> Result<Vec<SnapshotItem>, StorageError> {
        let shop = shop.to_string();
        self.read(move |c| {
            let mut items = Vec::new();
            for entity in Entity::ALL {
                let from = match &after {
                    Some((e, _)) if *e > entity => continue,
                    Some((e, key)) if *e == entity => Some(key.as_str()),
                    _ => None,
                };
                let left = limit - items.len();
                items.extend(snapshot_items(c, &shop, entity, from, left)?);
                if items.len() >= limit {
                    break;
                }
            }
            Ok(items)
        })
        .await
    }
}
