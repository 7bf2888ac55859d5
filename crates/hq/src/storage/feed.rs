//! Catalog down: the change feed and the snapshot.

use super::StorageError;
#[allow(unused_imports)]
use super::*;
use async_trait::async_trait;

/// What the feed holds for a shop after its cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRead {
    pub changes: Vec<comptoir_protocol::Change>,
    /// Changes up to this sequence were purged: a cursor below it is too old.
    pub floor: i64,
}

/// One item of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotItem {
    pub entity: Entity,
    pub key: String,
    pub body: serde_json::Value,
}

/// Storage of catalog down.
#[async_trait]
pub trait FeedStorage: Send + Sync + 'static {
    /// Changes after `cursor` visible to `shop` (for all shops or for it), oldest first.
    async fn feed(&self, shop: &str, cursor: i64, limit: usize) -> Result<FeedRead, StorageError>;
    /// Deletes changes made before `before` and returns the new floor.
    async fn purge_feed(&self, before: &str) -> Result<i64, StorageError>;
    /// `(cursor, total)`: the feed's last sequence and the snapshot's item count.
    async fn snapshot_begin(&self, shop: &str) -> Result<(i64, u64), StorageError>;
    /// Items after `after` in snapshot order: tax rates, categories, articles, then the
    /// shop's pending jobs, each by key.
    async fn snapshot_page(
        &self,
        shop: &str,
        after: Option<(Entity, String)>,
        limit: usize,
    ) -> Result<Vec<SnapshotItem>, StorageError>;
}
