//! The dashboard's part of storage: sessions and the sales summaries (docs/dashboard.md).

use super::StorageError;
#[allow(unused_imports)]
use super::*;
use async_trait::async_trait;

// ---------------------------------------------------------------- dashboard (docs/dashboard.md)

/// A dashboard sign-in, kept in the database so that any HQ process serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardSession {
    /// Hex SHA-256 of the cookie's secret (the secret itself is never stored).
    pub token_hash: String,
    pub user: String,
    /// The token every form of this session must carry.
    pub csrf: String,
    pub created_at: String,
    pub expires_at: String,
}

/// Sales of one shop on one business day, from the summary tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySales {
    pub shop: String,
    pub day: String,
    pub tickets: i64,
    /// Σ ticket totals, cents; returns deduct.
    pub revenue: i64,
}

/// Money taken by one payment method (cash net of the change given back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentTotal {
    pub method: String,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatTotal {
    pub rate_bp: u32,
    pub gross: i64,
    pub net: i64,
    pub vat: i64,
}

/// What one article sold (returns deduct).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleSales {
    pub sku: String,
    pub name: String,
    /// Thousandths of a unit.
    pub qty_milli: i64,
    pub revenue: i64,
}

/// A register as HQ knows it: from the chain heads of the records it received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterView {
    pub shop: String,
    pub register: String,
    /// Last ticket sequence received (0: none yet).
    pub tickets: i64,
    /// Last closure sequence received (0: none yet).
    pub closures: i64,
}

/// The filter of every sales summary query: business days `from..=to`, one shop or all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesFilter {
    pub from: String,
    pub to: String,
    pub shop: Option<String>,
}

/// Storage of dashboard.
#[async_trait]
pub trait DashboardStorage: Send + Sync + 'static {
    // `apply_push` maintains in the transaction that inserts each ticket.
    async fn create_session(&self, session: &DashboardSession) -> Result<(), StorageError>;
    /// The session with this hash, unless expired at `now` (expired ones are deleted).
    async fn session(&self, token_hash: &str, now: &str) -> Result<Option<DashboardSession>, StorageError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StorageError>;
    /// Per shop and business day, by shop then day.
    async fn sales_days(&self, filter: &SalesFilter) -> Result<Vec<DaySales>, StorageError>;
    /// By method name.
    async fn payment_totals(&self, filter: &SalesFilter) -> Result<Vec<PaymentTotal>, StorageError>;
    /// By rate.
    async fn vat_totals(&self, filter: &SalesFilter) -> Result<Vec<VatTotal>, StorageError>;
    /// The `limit` articles with the highest revenue (then SKU).
    async fn top_articles(&self, filter: &SalesFilter, limit: usize) -> Result<Vec<ArticleSales>, StorageError>;
    /// Every register HQ received a record from, by shop then register.
    async fn registers(&self) -> Result<Vec<RegisterView>, StorageError>;
}
