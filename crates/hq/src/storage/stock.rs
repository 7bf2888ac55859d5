//! Stock and people (crate::stock): canonical documents, levels, punches.

use super::StorageError;
#[allow(unused_imports)]
use super::*;
use async_trait::async_trait;

/// Storage of stock.
#[async_trait]
pub trait StockStorage: Send + Sync + 'static {
    // ---- stock and people (crate::stock). Records pushed by shops (movements, transfers,
    // receipts, orders, receptions, punches) are stored by `apply_push`, which asks
    // `crate::stock::plan` what each one does; the rest is generic documents.
    /// In one transaction: checks every `(shop, field)` of `shops` exists (else not found
    /// naming the field), refuses when `create` names a canonical document that exists
    /// (already exists naming the field), then writes every put (and its feed changes).
    async fn put_documents(
        &self,
        shops: Vec<(String, String)>,
        create: Option<(Entity, String, String)>,
        puts: Vec<crate::stock::DocPut>,
    ) -> Result<(), StorageError>;
    /// HQ's canonical copy of a document.
    async fn document(&self, entity: Entity, key: &str) -> Result<Option<serde_json::Value>, StorageError>;
    /// Every canonical document of an entity, by key.
    async fn documents(&self, entity: Entity) -> Result<Vec<serde_json::Value>, StorageError>;
    /// `(shop, Σ quantity in thousandths)` of an article, per shop holding movements.
    async fn stock_levels(&self, sku: &str) -> Result<Vec<(String, i64)>, StorageError>;
    /// Punches of the business days `from..=to` (`YYYY-MM-DD`), by user then instant.
    async fn punches(&self, from: &str, to: &str) -> Result<Vec<comptoir_protocol::stock::Punch>, StorageError>;
}
