//! HQ's catalog applied to the shop: every change is a full upsert of one record, so
//! applying a change twice, or a snapshot over an older state, converges to HQ's state.
//! HQ's ids win: a local article with the same SKU but another id (made before the shop
//! joined the chain) gives way; its old tickets keep their own copy of SKU and name.

use crate::error::ShopError;
use crate::store::now_text;
use comptoir_core::customer::LoyaltyRule;
use comptoir_protocol::{
    ArticleBody, CategoryBody, CustomerBody, Entity, JobBody, LoyaltyEntryBody, MessageBody, OfferBody, TaxRateBody,
};
use rusqlite::{Connection, params};

fn decode<T: serde::de::DeserializeOwned>(entity: Entity, key: &str, body: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(body).map_err(|e| format!("{} {key}: {e}", entity.as_str()))
}

/// Applies one record from HQ. A record this version cannot read is skipped and named in
/// the returned warning, so one bad record never blocks the catalog.
/// Whether a change carries customer data, which a shop with `sync.share_customers` off
/// does not take.
pub fn is_customer_data(entity: Entity) -> bool {
    matches!(entity, Entity::Customer | Entity::LoyaltyEntry)
}

pub fn apply(
    conn: &Connection,
    entity: Entity,
    key: &str,
    body: serde_json::Value,
) -> Result<Option<String>, ShopError> {
    let result = match entity {
        Entity::TaxRate => decode::<TaxRateBody>(entity, key, body).map(|b| apply_tax_rate(conn, &b)),
        Entity::Category => decode::<CategoryBody>(entity, key, body).map(|b| apply_category(conn, &b)),
        Entity::Article => decode::<ArticleBody>(entity, key, body).map(|b| apply_article(conn, &b)),
        Entity::Job => decode::<JobBody>(entity, key, body).map(|b| apply_job(conn, &b)),
        Entity::LoyaltyRule => decode::<LoyaltyRule>(entity, key, body)
            .and_then(|r| r.validate().map(|_| r).map_err(|e| format!("loyalty rule: {e}")))
            .map(|r| crate::loyalty::set_rule(conn, &r)),
        Entity::Customer => decode::<CustomerBody>(entity, key, body).map(|b| crate::customers::apply_remote(conn, &b)),
        Entity::LoyaltyEntry => {
            decode::<LoyaltyEntryBody>(entity, key, body).map(|e| crate::loyalty::insert(conn, &e).map(|_| ()))
        }
        Entity::Offer => decode::<OfferBody>(entity, key, body).map(|o| crate::offers::apply_offer(conn, &o)),
        Entity::Message => decode::<MessageBody>(entity, key, body).map(|m| crate::offers::apply_message(conn, &m)),
        // Stock and people: crate::people.
        other => match crate::people::apply(conn, other, key, body) {
            Ok(Ok(())) => Ok(Ok(())),
            Ok(Err(warning)) => Err(warning),
            Err(e) => Ok(Err(e)),
        },
    };
    match result {
        Ok(done) => done.map(|_| None),
        Err(warning) => {
            tracing::warn!(%warning, "record from HQ skipped");
            Ok(Some(warning))
        }
    }
}

fn apply_tax_rate(conn: &Connection, t: &TaxRateBody) -> Result<(), ShopError> {
    conn.prepare_cached(
        "INSERT INTO tax_rates (bp, name, active) VALUES (?1, ?2, ?3)
         ON CONFLICT(bp) DO UPDATE SET name = ?2, active = ?3",
    )?
    .execute(params![t.bp.bp(), t.name, t.active])?;
    Ok(())
}

fn apply_category(conn: &Connection, c: &CategoryBody) -> Result<(), ShopError> {
    conn.prepare_cached(
        "INSERT INTO categories (code, name, active, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(code) DO UPDATE SET name = ?2, active = ?3, updated_at = ?4",
    )?
    .execute(params![c.code, c.name, c.active, now_text()])?;
    Ok(())
}

fn apply_article(conn: &Connection, a: &ArticleBody) -> Result<(), ShopError> {
    let id = a.id.to_string();
    // References must exist locally, even if HQ's feed sent them in another order.
    conn.prepare_cached("INSERT OR IGNORE INTO tax_rates (bp, name, active) VALUES (?1, ?2, 1)")?
        .execute(params![a.tax_rate_bp.bp(), format!("TVA {} %", a.tax_rate_bp.percent_text())])?;
    if let Some(cat) = &a.category {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO categories (code, name, active, updated_at) VALUES (?1, ?1, 1, ?2)",
        )?
        .execute(params![cat, now_text()])?;
    }
    // A local article holding this SKU under another id gives way to HQ's.
    conn.prepare_cached(
        "DELETE FROM barcodes WHERE article_id IN (SELECT id FROM articles WHERE sku = ?1 COLLATE NOCASE AND id <> ?2)",
    )?
    .execute(params![a.sku, id])?;
    conn.prepare_cached("DELETE FROM articles WHERE sku = ?1 COLLATE NOCASE AND id <> ?2")?
        .execute(params![a.sku, id])?;
    // The shop's own price, or the one it keeps when it refuses HQ's (crate::people).
    let price = crate::people::price_from_hq(conn, a)?;
    conn.prepare_cached(
        "INSERT INTO articles (id, sku, name, category, tax_rate_bp, price, web, active, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(id) DO UPDATE SET sku = ?2, name = ?3, category = ?4, tax_rate_bp = ?5, price = ?6, web = ?7,
             active = ?8, updated_at = ?9",
    )?
    .execute(params![
        id,
        a.sku,
        a.name,
        a.category,
        a.tax_rate_bp.bp(),
        price.cents(),
        a.web,
        a.active,
        now_text()
    ])?;
    conn.prepare_cached("DELETE FROM barcodes WHERE article_id = ?")?.execute([&id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO barcodes (code, article_id) VALUES (?1, ?2) ON CONFLICT(code) DO UPDATE SET article_id = ?2",
    )?;
    for code in &a.barcodes {
        insert.execute(params![code, id])?;
    }
    Ok(())
}

fn apply_job(conn: &Connection, j: &JobBody) -> Result<(), ShopError> {
    let kind = serde_json::to_value(j.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
    conn.prepare_cached(
        "INSERT OR IGNORE INTO jobs (id, kind, since, state, updated_at) VALUES (?, ?, ?, 'pending', ?)",
    )?
    .execute(params![j.id.to_string(), kind, j.since, now_text()])?;
    Ok(())
}
