//! The catalog HQ owns: tax rates, categories and articles. Article writes are decided by
//! [`crate::articles::plan`] inside the backend's transaction; the backend reads the facts it
//! needs and writes what the plan says.

use super::StorageError;
#[allow(unused_imports)]
use super::*;
use async_trait::async_trait;

/// An article as HQ holds it.
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
    pub web: bool,
    pub active: bool,
    pub updated_at: String,
}

impl Article {
    /// What the feed and the snapshot carry.
    pub fn body(&self) -> ArticleBody {
        ArticleBody {
            id: self.id,
            sku: self.sku.clone(),
            name: self.name.clone(),
            category: self.category.clone(),
            tax_rate_bp: TaxRate(self.tax_rate_bp),
            price: self.price,
            barcodes: self.barcodes.clone(),
            web: self.web,
            active: self.active,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaxRateView {
    pub bp: u32,
    pub name: String,
    pub active: bool,
}

impl TaxRateView {
    pub fn body(&self) -> TaxRateBody {
        TaxRateBody { bp: TaxRate(self.bp), name: self.name.clone(), active: self.active }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub active: bool,
}

impl Category {
    pub fn body(&self) -> CategoryBody {
        CategoryBody { code: self.code.clone(), name: self.name.clone(), active: self.active }
    }
}

/// Changed fields of an article (validated); `None` keeps the value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleUpdate {
    pub name: Option<String>,
    pub price: Option<Money>,
    pub tax_rate: Option<TaxRate>,
    pub barcodes: Option<Vec<String>>,
    /// `Some(None)` removes the category.
    pub category: Option<Option<String>>,
    pub web: Option<bool>,
    pub active: Option<bool>,
}

/// One article write, its fields already validated by [`crate::catalog`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArticleWrite {
    /// A new article (refused when the SKU exists); the backend gives it a UUIDv7.
    Create {
        sku: String,
        name: String,
        price: Money,
        tax_rate: TaxRate,
        barcodes: Vec<String>,
        category: Option<String>,
        web: bool,
    },
    /// Changes an existing article (refused when the SKU does not exist).
    Update { sku: String, update: ArticleUpdate },
    /// CSV import: updates the SKU when it exists, creates it otherwise (`name`, `price` and
    /// `tax_rate` set in the update); an unknown category is created.
    Upsert { sku: String, update: ArticleUpdate },
}

/// What a list of article writes did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleWriteReport {
    pub articles: Vec<Article>,
    pub created: usize,
    pub updated: usize,
    pub categories_created: Vec<String>,
}

/// Storage of the catalog (each write appends its changes to the feed).
#[async_trait]
pub trait CatalogStorage: Send + Sync + 'static {
    async fn list_tax_rates(&self) -> Result<Vec<TaxRateView>, StorageError>;
    async fn create_tax_rate(&self, rate: &TaxRateView) -> Result<TaxRateView, StorageError>;
    async fn update_tax_rate(
        &self,
        bp: u32,
        name: Option<String>,
        active: Option<bool>,
    ) -> Result<TaxRateView, StorageError>;
    async fn list_categories(&self) -> Result<Vec<Category>, StorageError>;
    async fn create_category(&self, category: &Category) -> Result<Category, StorageError>;
    async fn update_category(
        &self,
        code: &str,
        name: Option<String>,
        active: Option<bool>,
    ) -> Result<Category, StorageError>;
    /// A page of articles by SKU after `after`, optionally filtered by a text in the SKU,
    /// the name or a barcode; returns the next `after`.
    async fn list_articles(
        &self,
        search: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Article>, Option<String>), StorageError>;
    async fn get_article(&self, sku: &str) -> Result<Option<Article>, StorageError>;
    /// Plans the writes with [`crate::articles::plan`] over the facts read in one
    /// transaction and writes the plan; when any is refused nothing is written and the error
    /// is [`StorageError::ArticlesRefused`] naming each refused write by its index. With
    /// `dry_run` nothing is written either (refusals still reported, an empty list else).
    async fn write_articles(
        &self,
        writes: Vec<ArticleWrite>,
        dry_run: bool,
    ) -> Result<ArticleWriteReport, StorageError>;
}
