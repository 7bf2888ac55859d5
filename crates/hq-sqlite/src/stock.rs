//! Stock and people on SQLite (migration `0004_stock.sql`): the stock records shops push,
//! the ledger, punches and the documents HQ keeps and sends down. What each record does
//! is decided by `comptoir_hq::stock::plan`; this module only stores it.

use super::{R, append_change, shop_exists};
use comptoir_hq::StorageError;
use comptoir_hq::stock::{DocPut, Plan, Target};
use comptoir_hq::sync::now_text;
use comptoir_protocol::Entity;
use comptoir_protocol::stock::{Punch, ShopBody};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

/// Writes a put: each target's row, and a feed change for each shop audience.
pub(crate) fn put(c: &Connection, p: &DocPut) -> R<()> {
    let body = serde_json::to_string(&p.body)?;
    let now = now_text();
    for t in &p.targets {
        c.prepare_cached(
            "INSERT INTO documents (entity, key, audience, body, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (entity, audience, key) DO UPDATE SET body = ?4, updated_at = ?5",
        )?
        .execute(params![p.entity.as_str(), p.key, t.audience(), body, now])?;
        match t {
            Target::Hq => {}
            Target::All => {
                append_change(c, p.entity, &p.key, &p.body, None)?;
            }
            Target::Shop(s) => {
                append_change(c, p.entity, &p.key, &p.body, Some(s))?;
            }
        }
    }
    Ok(())
}

/// The chain's shop list gains a shop (every shop hears of it).
pub(crate) fn shop_added(c: &Connection, code: &str, name: &str) -> R<()> {
    let body = ShopBody { code: code.into(), name: name.into(), active: true };
    put(
        c,
        &DocPut {
            entity: Entity::Shop,
            key: code.into(),
            body: serde_json::to_value(body)?,
            targets: vec![Target::All],
        },
    )
}

pub(crate) fn canonical(c: &Connection, entity: Entity, key: &str) -> R<Option<serde_json::Value>> {
    let body: Option<String> = c
        .prepare_cached("SELECT body FROM documents WHERE entity = ? AND audience = '*' AND key = ?")?
        .query_row(params![entity.as_str(), key], |r| r.get(0))
        .optional()?;
    Ok(match body {
        Some(b) => Some(serde_json::from_str(&b)?),
        None => None,
    })
}

/// Stores a pushed stock record as `comptoir_hq::stock::plan` decided it: the record's id
/// (later copies are duplicates), its movement or punch, and its documents.
pub(crate) fn write_record(c: &Connection, shop: &str, at: &str, id: &Uuid, kind: &str, plan: &Plan) -> R<()> {
    c.prepare_cached("INSERT INTO stock_records (id, shop, kind, received_at) VALUES (?, ?, ?, ?)")?
        .execute(params![id.to_string(), shop, kind, at])?;
    if let Some(m) = &plan.movement {
        c.prepare_cached(
            "INSERT INTO stock_movements (id, shop, article_id, sku, kind, qty_milli, reference, at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )?
        .execute(params![
            m.id.to_string(),
            shop,
            m.article_id.to_string(),
            m.sku,
            m.kind.as_str(),
            m.qty.milli(),
            m.reference,
            m.at
        ])?;
    }
    if let Some(p) = &plan.punch {
        let kind = if p.kind == comptoir_protocol::stock::PunchKind::In { "in" } else { "out" };
        c.prepare_cached(
            "INSERT INTO punches (id, shop, register, user_code, kind, at, date, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )?
        .execute(params![
            p.id.to_string(),
            shop,
            p.register,
            p.user,
            kind,
            p.at,
            p.date,
            serde_json::to_string(p)?
        ])?;
    }
    for p in &plan.puts {
        put(c, p)?;
    }
    Ok(())
}

pub(crate) fn put_documents(
    c: &Connection,
    shops: &[(String, String)],
    create: Option<&(Entity, String, String)>,
    puts: &[DocPut],
) -> R<()> {
    for (code, field) in shops {
        if !shop_exists(c, code)? {
            return Err(StorageError::NotFound { what: "shop", key: code.clone(), field: Some(field.clone()) }.into());
        }
    }
    if let Some((entity, key, field)) = create
        && canonical(c, *entity, key)?.is_some()
    {
        let what = if *entity == Entity::User { "user" } else { entity.as_str() };
        return Err(StorageError::AlreadyExists { what, key: key.clone(), field: Some(field.clone()) }.into());
    }
    for p in puts {
        put(c, p)?;
    }
    Ok(())
}

pub(crate) fn documents(c: &Connection, entity: Entity) -> R<Vec<serde_json::Value>> {
    let mut stmt = c.prepare_cached("SELECT body FROM documents WHERE entity = ? AND audience = '*' ORDER BY key")?;
    let rows: Vec<String> = stmt.query_map([entity.as_str()], |r| r.get(0))?.collect::<Result<_, _>>()?;
    rows.iter().map(|b| Ok(serde_json::from_str(b)?)).collect()
}

pub(crate) fn stock_levels(c: &Connection, sku: &str) -> R<Vec<(String, i64)>> {
    let mut stmt =
        c.prepare_cached("SELECT shop, SUM(qty_milli) FROM stock_movements WHERE sku = ? GROUP BY shop ORDER BY shop")?;
    Ok(stmt.query_map([sku], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?)
}

pub(crate) fn punches(c: &Connection, from: &str, to: &str) -> R<Vec<Punch>> {
    let mut stmt = c.prepare_cached("SELECT body FROM punches WHERE date >= ? AND date <= ? ORDER BY user_code, at")?;
    let rows: Vec<String> = stmt.query_map([from, to], |r| r.get(0))?.collect::<Result<_, _>>()?;
    rows.iter().map(|b| Ok(serde_json::from_str(b)?)).collect()
}

/// Snapshot items of a document entity for `shop` (its own and everyone's), by key.
pub(crate) fn snapshot_items(
    c: &Connection,
    shop: &str,
    entity: Entity,
    after: Option<&str>,
    limit: usize,
) -> R<Vec<comptoir_hq::storage::SnapshotItem>> {
    let mut stmt = c.prepare_cached(
        "SELECT key, body FROM documents WHERE entity = ?1 AND audience IN ('', ?2) AND key > ?3 ORDER BY key LIMIT ?4",
    )?;
    let rows: Vec<(String, String)> = stmt
        .query_map(params![entity.as_str(), shop, after.unwrap_or(""), limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(key, body)| Ok(comptoir_hq::storage::SnapshotItem { entity, key, body: serde_json::from_str(&body)? }))
        .collect()
}

pub(crate) fn snapshot_count(c: &Connection, shop: &str) -> R<i64> {
    Ok(c.query_row(
        "SELECT COUNT(*) FROM documents WHERE audience IN ('', ?) AND entity <> 'reception'",
        [shop],
        |r| r.get(0),
    )?)
}

#[async_trait::async_trait]
impl comptoir_hq::storage::StockStorage for super::SqliteStorage {
    #[tracing::instrument(skip_all)]
    async fn put_documents(
        &self,
        shops: Vec<(String, String)>,
        create: Option<(Entity, String, String)>,
        puts: Vec<comptoir_hq::stock::DocPut>,
    ) -> Result<(), StorageError> {
        self.write(move |tx| put_documents(tx, &shops, create.as_ref(), &puts)).await
    }

    #[tracing::instrument(skip_all)]
    async fn document(&self, entity: Entity, key: &str) -> Result<Option<serde_json::Value>, StorageError> {
        let key = key.to_string();
        self.read(move |c| canonical(c, entity, &key)).await
    }

    #[tracing::instrument(skip_all)]
    async fn documents(&self, entity: Entity) -> Result<Vec<serde_json::Value>, StorageError> {
        self.read(move |c| documents(c, entity)).await
    }

    #[tracing::instrument(skip_all)]
    async fn stock_levels(&self, sku: &str) -> Result<Vec<(String, i64)>, StorageError> {
        let sku = sku.to_string();
        self.read(move |c| stock_levels(c, &sku)).await
    }

    #[tracing::instrument(skip_all)]
    async fn punches(&self, from: &str, to: &str) -> Result<Vec<comptoir_protocol::stock::Punch>, StorageError> {
        let (from, to) = (from.to_string(), to.to_string());
        self.read(move |c| punches(c, &from, &to)).await
    }
}
