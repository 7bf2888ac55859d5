//! Fiscal records at HQ (docs/fiscal.md): the shops' public keys, their technical journals
//! (stored by a push, [`crate::push::plan`]) and the archives they upload.

use super::StorageError;
#[allow(unused_imports)]
use super::*;
use async_trait::async_trait;
use comptoir_core::chain::JournalEntry;

/// A public key HQ holds for a shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShopKey {
    /// First 16 hex digits of SHA-256 of the key (what a signature names).
    pub key_id: String,
    /// 64 hex digits.
    pub public_key: String,
    pub registered_at: String,
    /// When a signed rotation replaced it; records signed before still verify with it.
    pub retired_at: Option<String>,
}

/// Which journal entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalFilter {
    pub code: Option<String>,
    /// Entries at or after this instant (or day `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Entries before this instant (or day).
    pub to: Option<String>,
    /// Sequence of the last entry of the previous page.
    pub after: i64,
    pub limit: usize,
}

/// A journal entry as HQ stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredJournalEntry {
    #[serde(flatten)]
    pub entry: JournalEntry,
    pub received_at: String,
}

/// An archive a shop uploaded (its bytes are kept beside it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ArchiveRecord {
    /// `SHOP-PERIOD-SHA256PREFIX.jsonl`, unique.
    pub name: String,
    pub shop: String,
    pub period: String,
    pub bytes: i64,
    pub sha256: String,
    /// Its signature and chains held with the shop's keys on receipt.
    pub verified: bool,
    /// The verification's summary, or the first fault it found.
    pub detail: String,
    pub received_at: String,
}

/// Storage of fiscal records.
#[async_trait]
pub trait FiscalStorage: Send + Sync + 'static {
    /// Registers `public_key` as the shop's first key, when HQ holds none for it; `false`
    /// when it held one already (nothing changes: later keys come by signed rotation).
    async fn register_first_key(&self, shop: &str, key: &ShopKey) -> Result<bool, StorageError>;
    /// The shop's keys, oldest first.
    async fn shop_keys(&self, shop: &str) -> Result<Vec<ShopKey>, StorageError>;
    /// A page of the shop's journal, by sequence; the next page's `after`, if any.
    async fn list_journal(
        &self,
        shop: &str,
        filter: &JournalFilter,
    ) -> Result<(Vec<StoredJournalEntry>, Option<i64>), StorageError>;
    /// Keeps an archive; one with the same name is already there: nothing done.
    async fn store_archive(&self, record: &ArchiveRecord, body: Vec<u8>) -> Result<(), StorageError>;
    /// The shop's archives, newest first.
    async fn list_archives(&self, shop: &str) -> Result<Vec<ArchiveRecord>, StorageError>;
    /// An archive's bytes.
    async fn archive_body(&self, shop: &str, name: &str) -> Result<Option<Vec<u8>>, StorageError>;
}
