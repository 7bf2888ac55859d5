//! The change feed and the snapshot.

use super::*;
use crate::catalog::{ARTICLE_COLUMNS, articles_from_rows, bp_of};
use async_trait::async_trait;
use comptoir_hq::storage::*;
use comptoir_protocol::Change;
use tracing::instrument;

async fn snapshot_items(
    c: &impl GenericClient,
    shop: &str,
    entity: Entity,
    after: Option<&str>,
    limit: usize,
) -> R<Vec<SnapshotItem>> {
    let mut items = Vec::new();
    let limit = limit as i64;
    match entity {
        Entity::TaxRate => {
            let after: i32 = after.and_then(|a| a.parse().ok()).unwrap_or(-1);
            for r in c
                .query("SELECT bp, name, active FROM tax_rates WHERE bp > $1 ORDER BY bp LIMIT $2", &[&after, &limit])
                .await?
            {
                let t = TaxRateView { bp: bp_of(&r, 0), name: r.get(1), active: r.get(2) };
                items.push(SnapshotItem { entity, key: t.bp.to_string(), body: serde_json::to_value(t.body())? });
            }
        }
        Entity::Category => {
            for r in c
                .query(
                    "SELECT code, name, active FROM categories WHERE code > $1 ORDER BY code LIMIT $2",
                    &[&after.unwrap_or(""), &limit],
                )
                .await?
            {
                let cat = Category { code: r.get(0), name: r.get(1), active: r.get(2) };
                items.push(SnapshotItem { entity, key: cat.code.clone(), body: serde_json::to_value(cat.body())? });
            }
        }
        Entity::Article => {
            let rows = c
                .query(
                    &format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id > $1 ORDER BY id LIMIT $2"),
                    &[&after.unwrap_or(""), &limit],
                )
                .await?;
            for a in articles_from_rows(c, &rows).await? {
                items.push(SnapshotItem { entity, key: a.id.to_string(), body: serde_json::to_value(a.body())? });
            }
        }
        Entity::Job => {
            for r in c
                .query(
                    "SELECT j.id, j.body FROM jobs j JOIN job_targets t ON t.job = j.id
                     WHERE t.shop = $1 AND t.state = 'pending' AND j.id > $2 ORDER BY j.id LIMIT $3",
                    &[&shop, &after.unwrap_or(""), &limit],
                )
                .await?
            {
                let body: String = r.get(1);
                items.push(SnapshotItem { entity, key: r.get(0), body: serde_json::from_str(&body)? });
            }
        }
        Entity::LoyaltyRule | Entity::Customer | Entity::LoyaltyEntry => {
            items.extend(customers::snapshot_items(c, entity, after, limit as usize).await?);
        }
        Entity::Offer | Entity::Message => {
            items.extend(customers::offer_and_message_items(c, shop, entity, after, limit as usize).await?);
        }
        other => items.extend(stock::snapshot_items(c, shop, other, after, limit as usize).await?),
    }
    Ok(items)
}

/// `(head, floor)`: the feed's last committed sequence (never below the floor) and the floor.
async fn feed_head(c: &impl GenericClient) -> R<(i64, i64)> {
    let row = c
        .query_one(
            "SELECT (SELECT seq FROM feed_counter WHERE id = 1), COALESCE((SELECT feed_floor FROM hq WHERE id = 1), 0)",
            &[],
        )
        .await?;
    let (head, floor): (i64, i64) = (row.get(0), row.get(1));
    Ok((head.max(floor), floor))
}

#[async_trait]
impl FeedStorage for PostgresStorage {
    #[instrument(skip_all)]
    async fn feed(&self, shop: &str, cursor: i64, limit: usize) -> Result<FeedRead, StorageError> {
        // Sequences are given in commit order (see the crate doc): whatever a reader sees
        // above its cursor, nothing below it can still appear.
        let client = self.conn().await?;
        let (_, floor) = feed_head(&**client).await?;
        let rows = client
            .query(
                "SELECT seq, entity, key, body FROM changes WHERE seq > $1 AND (shop IS NULL OR shop = $2) ORDER BY seq LIMIT $3",
                &[&cursor, &shop, &(limit as i64)],
            )
            .await
            .map_err(Fail::from)?;
        let mut changes = Vec::with_capacity(rows.len());
        for r in rows {
            let (seq, entity, key, body): (i64, String, String, String) = (r.get(0), r.get(1), r.get(2), r.get(3));
            let entity = Entity::parse(&entity)
                .ok_or_else(|| StorageError::Database(format!("change {seq}: unknown entity {entity}")))?;
            changes.push(Change { seq, entity, key, body: serde_json::from_str(&body).map_err(Fail::from)? });
        }
        Ok(FeedRead { changes, floor })
    }

    #[instrument(skip_all)]
    async fn purge_feed(&self, before: &str) -> Result<i64, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let last: Option<i64> = tx
            .query_one("SELECT MAX(seq) FROM changes WHERE created_at < $1", &[&before])
            .await
            .map_err(Fail::from)?
            .get(0);
        if let Some(last) = last {
            tx.execute("DELETE FROM changes WHERE seq <= $1", &[&last]).await.map_err(Fail::from)?;
            tx.execute("UPDATE hq SET feed_floor = GREATEST(feed_floor, $1) WHERE id = 1", &[&last])
                .await
                .map_err(Fail::from)?;
        }
        let floor = feed_head(&*tx).await?.1;
        tx.commit().await.map_err(Fail::from)?;
        Ok(floor)
    }

    #[instrument(skip_all)]
    async fn snapshot_begin(&self, shop: &str) -> Result<(i64, u64), StorageError> {
        let mut client = self.conn().await?;
        // One snapshot of the database: the cursor and the count see the same state.
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(Fail::from)?;
        let (cursor, _) = feed_head(&*tx).await?;
        let total: i64 = tx
            .query_one(
                "SELECT (SELECT COUNT(*) FROM tax_rates) + (SELECT COUNT(*) FROM categories) + (SELECT COUNT(*) FROM articles)
                      + (SELECT COUNT(*) FROM job_targets WHERE shop = $1 AND state = 'pending')",
                &[&shop],
            )
            .await
            .map_err(Fail::from)?
            .get(0);
        let total =
            total + customers::snapshot_count(&*tx).await? + customers::offer_and_message_count(&*tx, shop).await?;
        let total = total + stock::snapshot_count(&*tx, shop).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok((cursor, total as u64))
    }

    #[instrument(skip_all)]
    async fn snapshot_page(
        &self,
        shop: &str,
        after: Option<(Entity, String)>,
        limit: usize,
    ) -> Result<Vec<SnapshotItem>, StorageError> {
        let client = self.conn().await?;
        let mut items = Vec::new();
        for entity in Entity::ALL {
            let from = match &after {
                Some((e, _)) if *e > entity => continue,
                Some((e, key)) if *e == entity => Some(key.as_str()),
                _ => None,
            };
            let left = limit - items.len();
            items.extend(snapshot_items(&**client, shop, entity, from, left).await?);
            if items.len() >= limit {
                break;
            }
        }
        Ok(items)
    }
}
