//! The catalog: tax rates, categories, articles. An article write reads the facts
//! `comptoir_hq::articles::plan` needs, in the writing transaction, and writes the plan.

use super::*;
use async_trait::async_trait;
use comptoir_core::Money;
use comptoir_hq::articles::{self, ArticleFacts};
use comptoir_hq::storage::*;
use rusqlite::{OptionalExtension, params};
use tracing::instrument;

fn tax_rates(c: &Connection) -> R<Vec<TaxRateView>> {
    let mut stmt = c.prepare_cached("SELECT bp, name, active FROM tax_rates ORDER BY bp DESC")?;
    let rows = stmt.query_map([], |r| Ok(TaxRateView { bp: r.get(0)?, name: r.get(1)?, active: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn categories(c: &Connection) -> R<Vec<Category>> {
    let mut stmt = c.prepare_cached("SELECT code, name, active FROM categories ORDER BY code")?;
    let rows = stmt.query_map([], |r| Ok(Category { code: r.get(0)?, name: r.get(1)?, active: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn create_category_in(c: &Connection, cat: &Category) -> R<Category> {
    let exists: bool =
        c.query_row("SELECT EXISTS(SELECT 1 FROM categories WHERE code = ?)", [&cat.code], |r| r.get(0))?;
    if exists {
        return Err(StorageError::AlreadyExists {
            what: "category",
            key: cat.code.clone(),
            field: Some("code".into()),
        }
        .into());
    }
    c.execute(
        "INSERT INTO categories (code, name, active, updated_at) VALUES (?, ?, ?, ?)",
        params![cat.code, cat.name, cat.active, now_text()],
    )?;
    append_change(c, Entity::Category, &cat.code, &cat.body(), None)?;
    Ok(cat.clone())
}

pub(crate) const ARTICLE_COLUMNS: &str = "id, sku, name, category, tax_rate_bp, price, web, active, updated_at";

pub(crate) fn article_from_row(c: &Connection, r: &rusqlite::Row) -> R<Article> {
    let id: String = r.get(0)?;
    let id = uuid(&id)?;
    Ok(Article {
        id,
        sku: r.get(1)?,
        name: r.get(2)?,
        category: r.get(3)?,
        tax_rate_bp: r.get(4)?,
        price: Money(r.get(5)?),
        barcodes: barcodes_of(c, &id)?,
        web: r.get(6)?,
        active: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

fn barcodes_of(c: &Connection, id: &Uuid) -> R<Vec<String>> {
    let mut stmt = c.prepare_cached("SELECT code FROM barcodes WHERE article_id = ? ORDER BY rowid")?;
    let rows = stmt.query_map([id.to_string()], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn article_by(c: &Connection, column: &str, value: &str) -> R<Option<Article>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE {column} = ?"))?;
    let mut rows = stmt.query([value])?;
    match rows.next()? {
        Some(r) => Ok(Some(article_from_row(c, r)?)),
        None => Ok(None),
    }
}

/// What `comptoir_hq::articles::plan` needs to know about the writes, read in their transaction.
fn article_facts(c: &Connection, writes: &[ArticleWrite]) -> R<ArticleFacts> {
    let (skus, codes) = articles::needs(writes);
    let mut facts = ArticleFacts {
        tax_rates: tax_rates(c)?,
        categories: categories(c)?.into_iter().map(|cat| cat.code).collect(),
        ..ArticleFacts::default()
    };
    for sku in skus {
        // The SKU in any case: `a1` finds `A1` (the unique index is NOCASE too).
        if let Some(a) = article_by(c, "sku COLLATE NOCASE", &sku)? {
            facts.articles.insert(articles::sku_key(&sku), a);
        }
    }
    let mut holder =
        c.prepare_cached("SELECT a.id, a.sku FROM barcodes b JOIN articles a ON a.id = b.article_id WHERE b.code = ?")?;
    for code in codes {
        let held: Option<(String, String)> = holder.query_row([&code], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        if let Some((id, sku)) = held {
            facts.barcodes.insert(code, (uuid(&id)?, sku));
        }
    }
    Ok(facts)
}

fn store_article(c: &Connection, a: &Article, insert: bool) -> R<()> {
    if insert {
        c.execute(
            &format!("INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            params![
                a.id.to_string(),
                a.sku,
                a.name,
                a.category,
                a.tax_rate_bp,
                a.price.cents(),
                a.web,
                a.active,
                a.updated_at
            ],
        )?;
    } else {
        c.execute(
            "UPDATE articles SET name = ?, category = ?, tax_rate_bp = ?, price = ?, web = ?, active = ?, updated_at = ? WHERE id = ?",
            params![a.name, a.category, a.tax_rate_bp, a.price.cents(), a.web, a.active, a.updated_at, a.id.to_string()],
        )?;
    }
    c.execute("DELETE FROM barcodes WHERE article_id = ?", [a.id.to_string()])?;
    let mut stmt = c.prepare_cached("INSERT INTO barcodes (code, article_id) VALUES (?, ?)")?;
    for code in &a.barcodes {
        stmt.execute(params![code, a.id.to_string()])?;
    }
    append_change(c, Entity::Article, &a.id.to_string(), &a.body(), None)?;
    Ok(())
}

#[async_trait]
impl CatalogStorage for SqliteStorage {
    #[instrument(skip_all)]
    async fn list_tax_rates(&self) -> Result<Vec<TaxRateView>, StorageError> {
        self.read(tax_rates).await
    }

    #[instrument(skip_all)]
    async fn create_tax_rate(&self, rate: &TaxRateView) -> Result<TaxRateView, StorageError> {
        let rate = rate.clone();
        self.write(move |tx| {
            let exists: bool =
                tx.query_row("SELECT EXISTS(SELECT 1 FROM tax_rates WHERE bp = ?)", [rate.bp], |r| r.get(0))?;
            if exists {
                return Err(StorageError::AlreadyExists {
                    what: "tax rate",
                    key: rate.bp.to_string(),
                    field: Some("bp".into()),
                }
                .into());
            }
            tx.execute(
                "INSERT INTO tax_rates (bp, name, active, updated_at) VALUES (?, ?, ?, ?)",
                params![rate.bp, rate.name, rate.active, now_text()],
            )?;
            append_change(tx, Entity::TaxRate, &rate.bp.to_string(), &rate.body(), None)?;
            Ok(rate)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn update_tax_rate(
        &self,
        bp: u32,
        name: Option<String>,
        active: Option<bool>,
    ) -> Result<TaxRateView, StorageError> {
        self.write(move |tx| {
            let mut t = tax_rates(tx)?.into_iter().find(|t| t.bp == bp).ok_or(StorageError::NotFound {
                what: "tax rate",
                key: bp.to_string(),
                field: None,
            })?;
            if let Some(n) = name {
                t.name = n;
            }
            if let Some(a) = active {
                t.active = a;
            }
            tx.execute(
                "UPDATE tax_rates SET name = ?, active = ?, updated_at = ? WHERE bp = ?",
                params![t.name, t.active, now_text(), bp],
            )?;
            append_change(tx, Entity::TaxRate, &bp.to_string(), &t.body(), None)?;
            Ok(t)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn list_categories(&self) -> Result<Vec<Category>, StorageError> {
        self.read(categories).await
    }

    #[instrument(skip_all)]
    async fn create_category(&self, category: &Category) -> Result<Category, StorageError> {
        let category = category.clone();
        self.write(move |tx| create_category_in(tx, &category)).await
    }

    #[instrument(skip_all)]
    async fn update_category(
        &self,
        code: &str,
        name: Option<String>,
        active: Option<bool>,
    ) -> Result<Category, StorageError> {
        let code = code.to_string();
        self.write(move |tx| {
            let mut cat = categories(tx)?.into_iter().find(|c| c.code == code).ok_or(StorageError::NotFound {
                what: "category",
                key: code.clone(),
                field: None,
            })?;
            if let Some(n) = name {
                cat.name = n;
            }
            if let Some(a) = active {
                cat.active = a;
            }
            tx.execute(
                "UPDATE categories SET name = ?, active = ?, updated_at = ? WHERE code = ?",
                params![cat.name, cat.active, now_text(), code],
            )?;
            append_change(tx, Entity::Category, &code, &cat.body(), None)?;
            Ok(cat)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn list_articles(
        &self,
        search: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Article>, Option<String>), StorageError> {
        let pattern = search.map(|s| format!("%{}%", s.replace(['%', '_'], "")));
        let after = after.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {ARTICLE_COLUMNS} FROM articles a
                 WHERE (?1 IS NULL OR sku > ?1)
                   AND (?2 IS NULL OR sku LIKE ?2 OR name LIKE ?2
                        OR EXISTS (SELECT 1 FROM barcodes b WHERE b.article_id = a.id AND b.code LIKE ?2))
                 ORDER BY sku LIMIT ?3"
            ))?;
            let mut rows = stmt.query(params![after, pattern, (limit + 1) as i64])?;
            let mut items = Vec::new();
            while let Some(r) = rows.next()? {
                items.push(article_from_row(c, r)?);
            }
            let next = if items.len() > limit {
                items.truncate(limit);
                items.last().map(|a| a.sku.clone())
            } else {
                None
            };
            Ok((items, next))
        })
        .await
    }

    #[instrument(skip_all)]
    async fn get_article(&self, sku: &str) -> Result<Option<Article>, StorageError> {
        let sku = sku.to_string();
        self.read(move |c| article_by(c, "sku", &sku)).await
    }

    #[instrument(skip_all)]
    async fn write_articles(
        &self,
        writes: Vec<ArticleWrite>,
        dry_run: bool,
    ) -> Result<ArticleWriteReport, StorageError> {
        self.write(move |tx| {
            let facts = article_facts(tx, &writes)?;
            let plan = articles::plan(writes, facts, &now_text()).map_err(StorageError::ArticlesRefused)?;
            if dry_run {
                return Err(StorageError::ArticlesRefused(Vec::new()).into());
            }
            for op in &plan.ops {
                match op {
                    articles::Op::CreateCategory(cat) => {
                        create_category_in(tx, cat)?;
                    }
                    articles::Op::StoreArticle { article, insert } => store_article(tx, article, *insert)?,
                }
            }
            Ok(plan.report)
        })
        .await
    }
}
