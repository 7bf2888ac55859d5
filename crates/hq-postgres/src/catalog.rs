//! The catalog: tax rates, categories, articles. An article write reads the facts
//! `comptoir_hq::articles::plan` needs, in the writing transaction, and writes the plan.

use super::*;
use async_trait::async_trait;
use comptoir_core::Money;
use comptoir_hq::articles::{self, ArticleFacts};
use comptoir_hq::storage::*;
use tokio_postgres::Row;
use tracing::instrument;

pub(crate) fn bp_of(r: &Row, i: usize) -> u32 {
    r.get::<_, i32>(i) as u32
}

async fn tax_rates(c: &impl GenericClient) -> R<Vec<TaxRateView>> {
    let rows = c.query("SELECT bp, name, active FROM tax_rates ORDER BY bp DESC", &[]).await?;
    Ok(rows.iter().map(|r| TaxRateView { bp: bp_of(r, 0), name: r.get(1), active: r.get(2) }).collect())
}

async fn categories(c: &impl GenericClient) -> R<Vec<Category>> {
    let rows = c.query("SELECT code, name, active FROM categories ORDER BY code", &[]).await?;
    Ok(rows.iter().map(|r| Category { code: r.get(0), name: r.get(1), active: r.get(2) }).collect())
}

async fn create_category_in(c: &impl GenericClient, cat: &Category) -> R<Category> {
    if exists(c, "SELECT 1 FROM categories WHERE code = $1", &[&cat.code]).await? {
        return Err(StorageError::AlreadyExists {
            what: "category",
            key: cat.code.clone(),
            field: Some("code".into()),
        }
        .into());
    }
    c.execute(
        "INSERT INTO categories (code, name, active, updated_at) VALUES ($1, $2, $3, $4)",
        &[&cat.code, &cat.name, &cat.active, &now_text()],
    )
    .await?;
    append_change(c, Entity::Category, &cat.code, &cat.body(), None).await?;
    Ok(cat.clone())
}

pub(crate) const ARTICLE_COLUMNS: &str = "id, sku, name, category, tax_rate_bp, price, web, active, updated_at";

/// Articles from rows of [`ARTICLE_COLUMNS`], with their barcodes (one query for all).
pub(crate) async fn articles_from_rows(c: &impl GenericClient, rows: &[Row]) -> R<Vec<Article>> {
    let ids: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    let mut codes: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    if !ids.is_empty() {
        for r in c
            .query(
                "SELECT article_id, code FROM barcodes WHERE article_id = ANY($1) ORDER BY article_id, position",
                &[&ids],
            )
            .await?
        {
            codes.entry(r.get(0)).or_default().push(r.get(1));
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.get(0);
        out.push(Article {
            id: uuid(&id)?,
            sku: r.get(1),
            name: r.get(2),
            category: r.get(3),
            tax_rate_bp: bp_of(r, 4),
            price: Money(r.get(5)),
            barcodes: codes.remove(&id).unwrap_or_default(),
            web: r.get(6),
            active: r.get(7),
            updated_at: r.get(8),
        });
    }
    Ok(out)
}

async fn article_by_sku(c: &impl GenericClient, sku: &str) -> R<Option<Article>> {
    let rows = c.query(&format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE sku = $1"), &[&sku]).await?;
    Ok(articles_from_rows(c, &rows).await?.pop())
}

/// What `comptoir_hq::articles::plan` needs to know about the writes, read in their
/// transaction (one query for the articles, one for the barcodes).
async fn article_facts(c: &impl GenericClient, writes: &[ArticleWrite]) -> R<ArticleFacts> {
    let (skus, codes) = articles::needs(writes);
    let mut facts = ArticleFacts {
        tax_rates: tax_rates(c).await?,
        categories: categories(c).await?.into_iter().map(|cat| cat.code).collect(),
        ..ArticleFacts::default()
    };
    // The SKU in any case: `a1` finds `A1` (the unique index is on lower(sku) too).
    let keys: Vec<String> = skus.iter().map(|s| articles::sku_key(s)).collect();
    let rows = c.query(&format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE lower(sku) = ANY($1)"), &[&keys]).await?;
    for a in articles_from_rows(c, &rows).await? {
        facts.articles.insert(articles::sku_key(&a.sku), a);
    }
    let rows = c
        .query(
            "SELECT b.code, a.id, a.sku FROM barcodes b JOIN articles a ON a.id = b.article_id WHERE b.code = ANY($1)",
            &[&codes],
        )
        .await?;
    for r in rows {
        let id: String = r.get(1);
        facts.barcodes.insert(r.get(0), (uuid(&id)?, r.get(2)));
    }
    Ok(facts)
}

async fn store_article(c: &impl GenericClient, a: &Article, insert: bool) -> R<()> {
    let id = a.id.to_string();
    let bp = a.tax_rate_bp as i32;
    if insert {
        c.execute(
            &format!("INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
            &[&id, &a.sku, &a.name, &a.category, &bp, &a.price.cents(), &a.web, &a.active, &a.updated_at],
        )
        .await?;
    } else {
        c.execute(
            "UPDATE articles SET name = $1, category = $2, tax_rate_bp = $3, price = $4, web = $5, active = $6, updated_at = $7 WHERE id = $8",
            &[&a.name, &a.category, &bp, &a.price.cents(), &a.web, &a.active, &a.updated_at, &id],
        )
        .await?;
    }
    c.execute("DELETE FROM barcodes WHERE article_id = $1", &[&id]).await?;
    for (i, code) in a.barcodes.iter().enumerate() {
        c.execute("INSERT INTO barcodes (code, article_id, position) VALUES ($1, $2, $3)", &[code, &id, &(i as i32)])
            .await?;
    }
    append_change(c, Entity::Article, &id, &a.body(), None).await?;
    Ok(())
}

#[async_trait]
impl CatalogStorage for PostgresStorage {
    #[instrument(skip_all)]
    async fn list_tax_rates(&self) -> Result<Vec<TaxRateView>, StorageError> {
        let client = self.conn().await?;
        Ok(tax_rates(&**client).await?)
    }

    #[instrument(skip_all)]
    async fn create_tax_rate(&self, rate: &TaxRateView) -> Result<TaxRateView, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        if exists(&*tx, "SELECT 1 FROM tax_rates WHERE bp = $1", &[&(rate.bp as i32)]).await? {
            return Err(StorageError::AlreadyExists {
                what: "tax rate",
                key: rate.bp.to_string(),
                field: Some("bp".into()),
            });
        }
        tx.execute(
            "INSERT INTO tax_rates (bp, name, active, updated_at) VALUES ($1, $2, $3, $4)",
            &[&(rate.bp as i32), &rate.name, &rate.active, &now_text()],
        )
        .await
        .map_err(Fail::from)?;
        append_change(&*tx, Entity::TaxRate, &rate.bp.to_string(), &rate.body(), None).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(rate.clone())
    }

    #[instrument(skip_all)]
    async fn update_tax_rate(
        &self,
        bp: u32,
        name: Option<String>,
        active: Option<bool>,
    ) -> Result<TaxRateView, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let mut t = tax_rates(&*tx).await?.into_iter().find(|t| t.bp == bp).ok_or(StorageError::NotFound {
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
            "UPDATE tax_rates SET name = $1, active = $2, updated_at = $3 WHERE bp = $4",
            &[&t.name, &t.active, &now_text(), &(bp as i32)],
        )
        .await
        .map_err(Fail::from)?;
        append_change(&*tx, Entity::TaxRate, &bp.to_string(), &t.body(), None).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(t)
    }

    #[instrument(skip_all)]
    async fn list_categories(&self) -> Result<Vec<Category>, StorageError> {
        let client = self.conn().await?;
        Ok(categories(&**client).await?)
    }

    #[instrument(skip_all)]
    async fn create_category(&self, category: &Category) -> Result<Category, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let cat = create_category_in(&*tx, category).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(cat)
    }

    #[instrument(skip_all)]
    async fn update_category(
        &self,
        code: &str,
        name: Option<String>,
        active: Option<bool>,
    ) -> Result<Category, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let mut cat = categories(&*tx).await?.into_iter().find(|c| c.code == code).ok_or(StorageError::NotFound {
            what: "category",
            key: code.to_string(),
            field: None,
        })?;
        if let Some(n) = name {
            cat.name = n;
        }
        if let Some(a) = active {
            cat.active = a;
        }
        tx.execute(
            "UPDATE categories SET name = $1, active = $2, updated_at = $3 WHERE code = $4",
            &[&cat.name, &cat.active, &now_text(), &code],
        )
        .await
        .map_err(Fail::from)?;
        append_change(&*tx, Entity::Category, code, &cat.body(), None).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(cat)
    }

    #[instrument(skip_all)]
    async fn list_articles(
        &self,
        search: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Article>, Option<String>), StorageError> {
        // SQLite's LIKE ignores ASCII case: ILIKE here.
        let pattern = search.map(|s| format!("%{}%", s.replace(['%', '_', '\\'], "")));
        let client = self.conn().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {ARTICLE_COLUMNS} FROM articles a
                     WHERE ($1::text IS NULL OR sku > $1)
                       AND ($2::text IS NULL OR sku ILIKE $2 OR name ILIKE $2
                            OR EXISTS (SELECT 1 FROM barcodes b WHERE b.article_id = a.id AND b.code ILIKE $2))
                     ORDER BY sku LIMIT $3"
                ),
                &[&after, &pattern, &((limit + 1) as i64)],
            )
            .await
            .map_err(Fail::from)?;
        let mut items = articles_from_rows(&**client, &rows).await?;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|a| a.sku.clone())
        } else {
            None
        };
        Ok((items, next))
    }

    #[instrument(skip_all)]
    async fn get_article(&self, sku: &str) -> Result<Option<Article>, StorageError> {
        let client = self.conn().await?;
        Ok(article_by_sku(&**client, sku).await?)
    }

    #[instrument(skip_all)]
    async fn write_articles(
        &self,
        writes: Vec<ArticleWrite>,
        dry_run: bool,
    ) -> Result<ArticleWriteReport, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let facts = article_facts(&*tx, &writes).await?;
        let plan = articles::plan(writes, facts, &now_text()).map_err(StorageError::ArticlesRefused)?;
        if dry_run {
            // Dropping the transaction rolls it back.
            return Err(StorageError::ArticlesRefused(Vec::new()));
        }
        for op in &plan.ops {
            match op {
                articles::Op::CreateCategory(cat) => {
                    create_category_in(&*tx, cat).await?;
                }
                articles::Op::StoreArticle { article, insert } => store_article(&*tx, article, *insert).await?,
            }
        }
        tx.commit().await.map_err(Fail::from)?;
        Ok(plan.report)
    }
}
