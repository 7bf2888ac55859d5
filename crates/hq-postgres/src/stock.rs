//! Stock and people on PostgreSQL (migration `0004_stock.sql`): the same tables and rules
//! as on SQLite (`comptoir-hq-sqlite`'s `stock` module). What each pushed record does is
//! decided by `comptoir_hq::stock::plan`; this module only stores it. A put that reaches a
//! shop appends a feed change, which takes the feed counter's row lock until commit, so
//! feed sequences stay in commit order as for every other write.

use super::{Fail, R, append_change, lock_writes, shop_exists};
use comptoir_hq::StorageError;
use comptoir_hq::stock::{DocPut, Plan, Target};
use comptoir_hq::storage::SnapshotItem;
use comptoir_hq::sync::now_text;
use comptoir_protocol::Entity;
use comptoir_protocol::stock::{Punch, PunchKind, ShopBody};
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub(crate) async fn put(c: &impl GenericClient, p: &DocPut) -> R<()> {
    let body = serde_json::to_string(&p.body)?;
    let now = now_text();
    for t in &p.targets {
        c.execute(
            "INSERT INTO documents (entity, key, audience, body, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (entity, audience, key) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at",
            &[&p.entity.as_str(), &p.key, &t.audience(), &body, &now],
        )
        .await?;
        match t {
            Target::Hq => {}
            Target::All => {
                append_change(c, p.entity, &p.key, &p.body, None).await?;
            }
            Target::Shop(s) => {
                append_change(c, p.entity, &p.key, &p.body, Some(s.as_str())).await?;
            }
        }
    }
    Ok(())
}

/// The chain's shop list gains a shop (every shop hears of it).
pub(crate) async fn shop_added(c: &impl GenericClient, code: &str, name: &str) -> R<()> {
    let body = ShopBody { code: code.into(), name: name.into(), active: true };
    let p = DocPut {
        entity: Entity::Shop,
        key: code.into(),
        body: serde_json::to_value(body)?,
        targets: vec![Target::All],
    };
    put(c, &p).await
}

pub(crate) async fn canonical(c: &impl GenericClient, entity: Entity, key: &str) -> R<Option<serde_json::Value>> {
    let row = c
        .query_opt(
            "SELECT body FROM documents WHERE entity = $1 AND audience = '*' AND key = $2",
            &[&entity.as_str(), &key],
        )
        .await?;
    Ok(match row {
        Some(r) => Some(serde_json::from_str(&r.get::<_, String>(0))?),
        None => None,
    })
}

/// Stores a pushed stock record as `comptoir_hq::stock::plan` decided it: the record's id
/// (later copies are duplicates), its movement or punch, and its documents.
pub(crate) async fn write_record(
    c: &impl GenericClient,
    shop: &str,
    at: &str,
    id: &Uuid,
    kind: &str,
    plan: &Plan,
) -> R<()> {
    let id = id.to_string();
    c.execute(
        "INSERT INTO stock_records (id, shop, kind, received_at) VALUES ($1, $2, $3, $4)",
        &[&id, &shop, &kind, &at],
    )
    .await?;
    if let Some(m) = &plan.movement {
        c.execute(
            "INSERT INTO stock_movements (id, shop, article_id, sku, kind, qty_milli, reference, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &m.id.to_string(),
                &shop,
                &m.article_id.to_string(),
                &m.sku,
                &m.kind.as_str(),
                &m.qty.milli(),
                &m.reference,
                &m.at,
            ],
        )
        .await?;
    }
    if let Some(p) = &plan.punch {
        let kind = if p.kind == PunchKind::In { "in" } else { "out" };
        c.execute(
            "INSERT INTO punches (id, shop, register, user_code, kind, at, date, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&p.id.to_string(), &shop, &p.register, &p.user, &kind, &p.at, &p.date, &serde_json::to_string(p)?],
        )
        .await?;
    }
    for p in &plan.puts {
        put(c, p).await?;
    }
    Ok(())
}

pub(crate) async fn put_documents(
    c: &impl GenericClient,
    shops: &[(String, String)],
    create: Option<&(Entity, String, String)>,
    puts: &[DocPut],
) -> R<()> {
    lock_writes(c).await?;
    for (code, field) in shops {
        if !shop_exists(c, code).await? {
            return Err(StorageError::NotFound { what: "shop", key: code.clone(), field: Some(field.clone()) }.into());
        }
    }
    if let Some((entity, key, field)) = create
        && canonical(c, *entity, key).await?.is_some()
    {
        let what = if *entity == Entity::User { "user" } else { entity.as_str() };
        return Err(Fail::St(StorageError::AlreadyExists { what, key: key.clone(), field: Some(field.clone()) }));
    }
    for p in puts {
        put(c, p).await?;
    }
    Ok(())
}

pub(crate) async fn documents(c: &impl GenericClient, entity: Entity) -> R<Vec<serde_json::Value>> {
    let rows = c
        .query("SELECT body FROM documents WHERE entity = $1 AND audience = '*' ORDER BY key", &[&entity.as_str()])
        .await?;
    rows.iter().map(|r| Ok(serde_json::from_str(&r.get::<_, String>(0))?)).collect()
}

pub(crate) async fn stock_levels(c: &impl GenericClient, sku: &str) -> R<Vec<(String, i64)>> {
    let rows = c
        .query(
            "SELECT shop, SUM(qty_milli)::bigint FROM stock_movements WHERE sku = $1 GROUP BY shop ORDER BY shop",
            &[&sku],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

pub(crate) async fn punches(c: &impl GenericClient, from: &str, to: &str) -> R<Vec<Punch>> {
    let rows = c
        .query("SELECT body FROM punches WHERE date >= $1 AND date <= $2 ORDER BY user_code, at", &[&from, &to])
        .await?;
    rows.iter().map(|r| Ok(serde_json::from_str(&r.get::<_, String>(0))?)).collect()
}

pub(crate) async fn snapshot_items(
    c: &impl GenericClient,
    shop: &str,
    entity: Entity,
    after: Option<&str>,
    limit: usize,
) -> R<Vec<SnapshotItem>> {
    let rows = c
        .query(
            "SELECT key, body FROM documents WHERE entity = $1 AND audience IN ('', $2) AND key > $3 ORDER BY key LIMIT $4",
            &[&entity.as_str(), &shop, &after.unwrap_or(""), &(limit as i64)],
        )
        .await?;
    rows.iter()
        .map(|r| Ok(SnapshotItem { entity, key: r.get(0), body: serde_json::from_str(&r.get::<_, String>(1))? }))
        .collect()
}

pub(crate) async fn snapshot_count(c: &impl GenericClient, shop: &str) -> R<i64> {
    Ok(c.query_one("SELECT COUNT(*) FROM documents WHERE audience IN ('', $1) AND entity <> 'reception'", &[&shop])
        .await?
        .get(0))
}

#[async_trait::async_trait]
impl comptoir_hq::storage::StockStorage for super::PostgresStorage {
    #[tracing::instrument(skip_all)]
    async fn put_documents(
        &self,
        shops: Vec<(String, String)>,
        create: Option<(Entity, String, String)>,
        puts: Vec<comptoir_hq::stock::DocPut>,
    ) -> Result<(), StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        put_documents(&*tx, &shops, create.as_ref(), &puts).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn document(&self, entity: Entity, key: &str) -> Result<Option<serde_json::Value>, StorageError> {
        let client = self.conn().await?;
        Ok(canonical(&**client, entity, key).await?)
    }

    #[tracing::instrument(skip_all)]
    async fn documents(&self, entity: Entity) -> Result<Vec<serde_json::Value>, StorageError> {
        let client = self.conn().await?;
        Ok(documents(&**client, entity).await?)
    }

    #[tracing::instrument(skip_all)]
    async fn stock_levels(&self, sku: &str) -> Result<Vec<(String, i64)>, StorageError> {
        let client = self.conn().await?;
        Ok(stock_levels(&**client, sku).await?)
    }

    #[tracing::instrument(skip_all)]
    async fn punches(&self, from: &str, to: &str) -> Result<Vec<comptoir_protocol::stock::Punch>, StorageError> {
        let client = self.conn().await?;
        Ok(punches(&**client, from, to).await?)
    }
}
