//! The shop's catalog: tax rates, categories and articles with their barcodes.
//!
//! Each write function validates its input with the domain rules (`comptoir_core::catalog`)
//! and runs inside the caller's transaction, so the API, the CLI and CSV import share one
//! path. Nothing is ever deleted: articles, categories and rates are deactivated, because
//! committed tickets keep referring to them.

use crate::error::ShopError;
use crate::store::now_text;
use comptoir_core::catalog::{validate_barcode, validate_code, validate_name, validate_price};
use comptoir_core::{DomainError, Money, TaxRate};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaxRateView {
    pub bp: u32,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaxRate {
    /// Basis points: 550 for 5.5 %.
    pub bp: i64,
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxRateChange {
    pub name: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryChange {
    pub name: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Article {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub tax_rate_bp: u32,
    /// Tax-inclusive price in cents.
    pub price: Money,
    pub barcodes: Vec<String>,
    /// Published on the web shop.
    pub web: bool,
    pub active: bool,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArticle {
    pub sku: String,
    pub name: String,
    /// Tax-inclusive price in cents.
    pub price: Money,
    pub tax_rate_bp: i64,
    #[serde(default)]
    pub barcodes: Vec<String>,
    pub category: Option<String>,
    #[serde(default)]
    pub web: bool,
}

/// Fields to change; those left out keep their value. `category: ""` removes the category.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleChange {
    pub name: Option<String>,
    pub price: Option<Money>,
    pub tax_rate_bp: Option<i64>,
    /// Replaces the whole list.
    pub barcodes: Option<Vec<String>>,
    pub category: Option<String>,
    pub web: Option<bool>,
    pub active: Option<bool>,
}

/// Refuses local catalog changes once the shop is enrolled: HQ owns the catalog then.
/// (Changes arriving from HQ go through `sync::apply`, not through here.)
pub fn ensure_local_catalog(conn: &Connection) -> Result<(), ShopError> {
    let enrolled: bool = conn.query_row("SELECT EXISTS(SELECT 1 FROM hq_link)", [], |r| r.get(0))?;
    if enrolled { Err(ShopError::CatalogOwnedByHq) } else { Ok(()) }
}

// ---- tax rates ----

pub fn list_tax_rates(conn: &Connection) -> Result<Vec<TaxRateView>, ShopError> {
    let mut stmt = conn.prepare_cached("SELECT bp, name, active FROM tax_rates ORDER BY bp DESC")?;
    let rows = stmt.query_map([], |r| Ok(TaxRateView { bp: r.get(0)?, name: r.get(1)?, active: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn create_tax_rate(conn: &Connection, input: NewTaxRate) -> Result<TaxRateView, ShopError> {
    ensure_local_catalog(conn)?;
    let rate = TaxRate::new(input.bp, "bp")?;
    let name = validate_name("name", &input.name)?;
    let exists: bool =
        conn.query_row("SELECT EXISTS(SELECT 1 FROM tax_rates WHERE bp = ?)", [rate.bp()], |r| r.get(0))?;
    if exists {
        return Err(ShopError::AlreadyExists {
            what: "tax rate",
            key: rate.bp().to_string(),
            field: Some("bp".into()),
        });
    }
    conn.execute("INSERT INTO tax_rates (bp, name, active) VALUES (?, ?, 1)", params![rate.bp(), name])?;
    Ok(TaxRateView { bp: rate.bp(), name, active: true })
}

pub fn update_tax_rate(conn: &Connection, bp: u32, change: TaxRateChange) -> Result<TaxRateView, ShopError> {
    ensure_local_catalog(conn)?;
    let mut current = list_tax_rates(conn)?.into_iter().find(|t| t.bp == bp).ok_or(ShopError::NotFound {
        what: "tax rate",
        key: bp.to_string(),
        field: None,
    })?;
    if let Some(name) = change.name {
        current.name = validate_name("name", &name)?;
    }
    if let Some(active) = change.active {
        current.active = active;
    }
    conn.execute("UPDATE tax_rates SET name = ?, active = ? WHERE bp = ?", params![current.name, current.active, bp])?;
    Ok(current)
}

/// The rate an article may use: defined and active.
fn usable_tax_rate(conn: &Connection, bp: i64, field: &str) -> Result<TaxRate, ShopError> {
    let rate = TaxRate::new(bp, field)?;
    let active: Option<bool> =
        conn.query_row("SELECT active FROM tax_rates WHERE bp = ?", [rate.bp()], |r| r.get(0)).optional()?;
    match active {
        Some(true) => Ok(rate),
        Some(false) => Err(ShopError::Inactive {
            what: "tax rate",
            key: format!("{} %", rate.percent_text()),
            field: Some(field.into()),
        }),
        None => Err(ShopError::NotFound {
            what: "tax rate",
            key: format!("{} %", rate.percent_text()),
            field: Some(field.into()),
        }),
    }
}

// ---- categories ----

pub fn list_categories(conn: &Connection) -> Result<Vec<Category>, ShopError> {
    let mut stmt = conn.prepare_cached("SELECT code, name, active FROM categories ORDER BY code")?;
    let rows = stmt.query_map([], |r| Ok(Category { code: r.get(0)?, name: r.get(1)?, active: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn create_category(conn: &Connection, input: NewCategory) -> Result<Category, ShopError> {
    ensure_local_catalog(conn)?;
    let code = validate_code("code", &input.code)?;
    let name = validate_name("name", &input.name)?;
    let exists: bool =
        conn.query_row("SELECT EXISTS(SELECT 1 FROM categories WHERE code = ?)", [&code], |r| r.get(0))?;
    if exists {
        return Err(ShopError::AlreadyExists { what: "category", key: code, field: Some("code".into()) });
    }
    conn.execute(
        "INSERT INTO categories (code, name, active, updated_at) VALUES (?, ?, 1, ?)",
        params![code, name, now_text()],
    )?;
    Ok(Category { code, name, active: true })
}

pub fn update_category(conn: &Connection, code: &str, change: CategoryChange) -> Result<Category, ShopError> {
    ensure_local_catalog(conn)?;
    let mut current = list_categories(conn)?.into_iter().find(|c| c.code == code).ok_or(ShopError::NotFound {
        what: "category",
        key: code.into(),
        field: None,
    })?;
    if let Some(name) = change.name {
        current.name = validate_name("name", &name)?;
    }
    if let Some(active) = change.active {
        current.active = active;
    }
    conn.execute(
        "UPDATE categories SET name = ?, active = ?, updated_at = ? WHERE code = ?",
        params![current.name, current.active, now_text(), code],
    )?;
    Ok(current)
}

fn known_category(conn: &Connection, code: &str, field: &str) -> Result<String, ShopError> {
    let exists: bool =
        conn.query_row("SELECT EXISTS(SELECT 1 FROM categories WHERE code = ?)", [code], |r| r.get(0))?;
    if exists {
        Ok(code.to_string())
    } else {
        Err(ShopError::NotFound { what: "category", key: code.into(), field: Some(field.into()) })
    }
}

// ---- articles ----

const ARTICLE_COLUMNS: &str = "id, sku, name, category, tax_rate_bp, price, web, active, updated_at";

fn article_from_row(conn: &Connection, r: &Row) -> Result<Article, ShopError> {
    let id: String = r.get(0)?;
    let id = Uuid::parse_str(&id).map_err(|e| ShopError::Storage(format!("article id {id}: {e}")))?;
    Ok(Article {
        id,
        sku: r.get(1)?,
        name: r.get(2)?,
        category: r.get(3)?,
        tax_rate_bp: r.get(4)?,
        price: Money(r.get(5)?),
        barcodes: barcodes_of(conn, &id)?,
        web: r.get(6)?,
        active: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

fn barcodes_of(conn: &Connection, id: &Uuid) -> Result<Vec<String>, ShopError> {
    let mut stmt = conn.prepare_cached("SELECT code FROM barcodes WHERE article_id = ? ORDER BY rowid")?;
    let rows = stmt.query_map([id.to_string()], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The article of a SKU, whatever its letters' case: `a1` is `A1` (SKUs are unique without
/// case, migration 0010).
pub fn get_article(conn: &Connection, sku: &str) -> Result<Option<Article>, ShopError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE sku = ? COLLATE NOCASE"))?;
    let mut rows = stmt.query([sku])?;
    match rows.next()? {
        Some(r) => Ok(Some(article_from_row(conn, r)?)),
        None => Ok(None),
    }
}

pub fn get_article_by_barcode(conn: &Connection, code: &str) -> Result<Option<Article>, ShopError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = (SELECT article_id FROM barcodes WHERE code = ?)"
    ))?;
    let mut rows = stmt.query([code])?;
    match rows.next()? {
        Some(r) => Ok(Some(article_from_row(conn, r)?)),
        None => Ok(None),
    }
}

/// A page of articles in SKU order, optionally filtered by a text found in the SKU, the
/// name or a barcode.
pub fn list_articles(
    conn: &Connection,
    search: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<Article>, Option<String>), ShopError> {
    let pattern = search.map(|s| format!("%{}%", s.replace(['%', '_'], "")));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ARTICLE_COLUMNS} FROM articles a
         WHERE (?1 IS NULL OR sku > ?1)
           AND (?2 IS NULL OR sku LIKE ?2 OR name LIKE ?2
                OR EXISTS (SELECT 1 FROM barcodes b WHERE b.article_id = a.id AND b.code LIKE ?2))
         ORDER BY sku LIMIT ?3"
    ))?;
    let mut rows = stmt.query(params![after, pattern, (limit + 1) as i64])?;
    let mut items = Vec::new();
    while let Some(r) = rows.next()? {
        items.push(article_from_row(conn, r)?);
    }
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|a| a.sku.clone())
    } else {
        None
    };
    Ok((items, next))
}

fn check_barcodes(conn: &Connection, codes: &[String], owner: Option<&Uuid>) -> Result<Vec<String>, ShopError> {
    let mut clean: Vec<String> = Vec::with_capacity(codes.len());
    for (i, code) in codes.iter().enumerate() {
        let field = format!("barcodes[{i}]");
        let code = validate_barcode(&field, code)?;
        if clean.contains(&code) {
            return Err(ShopError::invalid(
                "duplicate_barcode",
                format!("Barcode {code} is listed twice."),
                format!("Le code-barres {code} est cité deux fois."),
                Some(&field),
            ));
        }
        let holder: Option<String> = conn
            .query_row(
                "SELECT a.sku FROM barcodes b JOIN articles a ON a.id = b.article_id WHERE b.code = ? AND (?2 IS NULL OR a.id <> ?2)",
                params![code, owner.map(|u| u.to_string())],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(sku) = holder {
            return Err(ShopError::conflict(
                format!("Barcode {code} already belongs to article {sku}; a barcode identifies one article."),
                format!(
                    "Le code-barres {code} appartient déjà à l'article {sku} ; un code-barres désigne un seul article."
                ),
                Some(&field),
            ));
        }
        clean.push(code);
    }
    Ok(clean)
}

fn store_barcodes(conn: &Connection, id: &Uuid, codes: &[String]) -> Result<(), ShopError> {
    conn.execute("DELETE FROM barcodes WHERE article_id = ?", [id.to_string()])?;
    let mut stmt = conn.prepare_cached("INSERT INTO barcodes (code, article_id) VALUES (?, ?)")?;
    for code in codes {
        stmt.execute(params![code, id.to_string()])?;
    }
    Ok(())
}

pub fn create_article(conn: &Connection, input: NewArticle) -> Result<Article, ShopError> {
    ensure_local_catalog(conn)?;
    let sku = validate_code("sku", &input.sku)?;
    let name = validate_name("name", &input.name)?;
    let price = validate_price("price", input.price)?;
    let rate = usable_tax_rate(conn, input.tax_rate_bp, "tax_rate_bp")?;
    let category = match input.category.as_deref() {
        Some(c) if !c.is_empty() => Some(known_category(conn, c, "category")?),
        _ => None,
    };
    if let Some(held) = get_article(conn, &sku)? {
        return Err(ShopError::AlreadyExists { what: "article", key: held.sku, field: Some("sku".into()) });
    }
    let barcodes = check_barcodes(conn, &input.barcodes, None)?;
    let id = Uuid::now_v7();
    let now = now_text();
    conn.execute(
        &format!("INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)"),
        params![id.to_string(), sku, name, category, rate.bp(), price.cents(), input.web, now],
    )?;
    store_barcodes(conn, &id, &barcodes)?;
    Ok(Article {
        id,
        sku,
        name,
        category,
        tax_rate_bp: rate.bp(),
        price,
        barcodes,
        web: input.web,
        active: true,
        updated_at: now,
    })
}

pub fn update_article(conn: &Connection, sku: &str, change: ArticleChange) -> Result<Article, ShopError> {
    ensure_local_catalog(conn)?;
    let mut a = get_article(conn, sku)?.ok_or(ShopError::NotFound { what: "article", key: sku.into(), field: None })?;
    if let Some(name) = change.name {
        a.name = validate_name("name", &name)?;
    }
    let before = a.price;
    if let Some(price) = change.price {
        a.price = validate_price("price", price)?;
    }
    if let Some(bp) = change.tax_rate_bp {
        a.tax_rate_bp = usable_tax_rate(conn, bp, "tax_rate_bp")?.bp();
    }
    if let Some(category) = change.category {
        a.category = if category.is_empty() { None } else { Some(known_category(conn, &category, "category")?) };
    }
    if let Some(web) = change.web {
        a.web = web;
    }
    if let Some(active) = change.active {
        a.active = active;
    }
    if let Some(codes) = change.barcodes {
        a.barcodes = check_barcodes(conn, &codes, Some(&a.id))?;
        store_barcodes(conn, &a.id, &a.barcodes)?;
    }
    a.updated_at = now_text();
    conn.execute(
        "UPDATE articles SET name = ?, category = ?, tax_rate_bp = ?, price = ?, web = ?, active = ?, updated_at = ? WHERE id = ?",
        params![a.name, a.category, a.tax_rate_bp, a.price.cents(), a.web, a.active, a.updated_at, a.id.to_string()],
    )?;
    if a.price != before {
        crate::shop::journal(
            conn,
            crate::journal::codes::PRICE_CHANGED,
            None,
            &format!("{}: {} → {}", a.sku, before, a.price),
        )?;
    }
    Ok(a)
}

/// The active article a register line names by SKU or by barcode.
pub fn article_for_sale(
    conn: &Connection,
    sku: Option<&str>,
    barcode: Option<&str>,
    field: &str,
) -> Result<Article, ShopError> {
    let (found, key, sub) = match (sku, barcode) {
        (Some(s), Some(b)) => (article_by_sku_and_barcode(conn, s, b, field)?, s, "sku"),
        (Some(s), None) => (get_article(conn, s)?, s, "sku"),
        (None, Some(b)) => (get_article_by_barcode(conn, b)?, b, "barcode"),
        (None, None) => {
            return Err(ShopError::invalid(
                "line_without_article",
                "Each line names an article by sku or by barcode.",
                "Chaque ligne désigne un article par sku ou par barcode.",
                Some(field),
            ));
        }
    };
    let what = if sub == "sku" { "article" } else { "barcode" };
    match found {
        Some(a) if a.active => Ok(a),
        Some(_) => Err(ShopError::Inactive { what: "article", key: key.into(), field: Some(format!("{field}.{sub}")) }),
        None => Err(ShopError::NotFound { what, key: key.into(), field: Some(format!("{field}.{sub}")) }),
    }
}

/// The article of a line that names both: the barcode must be one of the SKU's, or the line
/// would be sold as the SKU while the scanner said another article.
pub fn article_by_sku_and_barcode(
    conn: &Connection,
    sku: &str,
    barcode: &str,
    field: &str,
) -> Result<Option<Article>, ShopError> {
    let Some(article) = get_article(conn, sku)? else { return Ok(None) };
    match get_article_by_barcode(conn, barcode)? {
        Some(scanned) if scanned.id == article.id => Ok(Some(article)),
        Some(scanned) => Err(DomainError::SkuAndBarcodeDiffer {
            field: field.into(),
            sku: sku.into(),
            barcode: barcode.into(),
            barcode_sku: scanned.sku,
        }
        .into()),
        None => {
            Err(ShopError::NotFound { what: "barcode", key: barcode.into(), field: Some(format!("{field}.barcode")) })
        }
    }
}

/// Seeds a new shop with France's VAT rates.
pub fn seed_french_tax_rates(conn: &Connection) -> Result<(), ShopError> {
    for (bp, name) in TaxRate::FRENCH {
        conn.execute("INSERT OR IGNORE INTO tax_rates (bp, name, active) VALUES (?, ?, 1)", params![bp, name])?;
    }
    Ok(())
}
