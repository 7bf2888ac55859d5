//! Sales up: what shops push (tickets, closures, the records beside them), quarantine
//! and chain events. A push is decided by [`crate::push::plan`]; the backend reads the facts
//! it needs ([`PushFacts`](crate::push::PushFacts)) and writes the plan.

use super::StorageError;
#[allow(unused_imports)]
use super::*;
use async_trait::async_trait;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Ticket,
    Closure,
    Customer,
    LoyaltyEntry,
    MessageAck,
    // ---- stock and people (crate::stock)
    StockMovement,
    Transfer,
    TransferReceipt,
    PurchaseOrder,
    Reception,
    Punch,
    /// An entry of a shop's technical journal (one chain per shop, register `""`).
    JournalEntry,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Ticket => "ticket",
            RecordKind::Closure => "closure",
            RecordKind::Customer => "customer",
            RecordKind::LoyaltyEntry => "loyalty_entry",
            RecordKind::MessageAck => "message_ack",
            RecordKind::StockMovement => "stock_movement",
            RecordKind::Transfer => "transfer",
            RecordKind::TransferReceipt => "transfer_receipt",
            RecordKind::PurchaseOrder => "purchase_order",
            RecordKind::Reception => "reception",
            RecordKind::Punch => "punch",
            RecordKind::JournalEntry => "journal_entry",
        }
    }
    /// The kind named by a record's `kind` tag (a ticket when unknown).
    pub fn parse(text: &str) -> RecordKind {
        [
            RecordKind::Closure,
            RecordKind::Customer,
            RecordKind::LoyaltyEntry,
            RecordKind::MessageAck,
            RecordKind::StockMovement,
            RecordKind::Transfer,
            RecordKind::TransferReceipt,
            RecordKind::PurchaseOrder,
            RecordKind::Reception,
            RecordKind::Punch,
            RecordKind::JournalEntry,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
        .unwrap_or(RecordKind::Ticket)
    }
    /// A record of [`crate::stock`] (not part of a register's chain).
    pub fn is_stock(self) -> bool {
        matches!(
            self,
            RecordKind::StockMovement
                | RecordKind::Transfer
                | RecordKind::TransferReceipt
                | RecordKind::PurchaseOrder
                | RecordKind::Reception
                | RecordKind::Punch
        )
    }
}

/// One record of a push, after the checks that need no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushItem {
    pub id: Uuid,
    pub kind: RecordKind,
    /// The record's JSON as received, kept for quarantine (empty for a record to insert).
    pub raw: String,
    pub action: PushAction,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushAction {
    /// Insert unless the id is known; check the register's chain.
    Insert(Box<Record>),
    /// As `Insert`, its signature already found good, before the push's transaction, with
    /// keys the shop had ([`crate::fiscal::preverify`]): the plan does not check it again.
    Signed(Box<Record>),
    /// Keep aside with this reason, unless the id is known.
    Quarantine(String),
}

/// A ticket as stored at HQ: its arrival number and the full ticket JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTicket {
    /// Arrival order at HQ (the `after` of the next page).
    pub arrival: i64,
    pub received_at: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SalesRow {
    pub shop: String,
    /// Business day, `YYYY-MM-DD`.
    pub day: String,
    pub tickets: i64,
    /// Σ ticket totals, tax included, cents; returns deduct.
    pub revenue: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuarantineRecord {
    pub id: Uuid,
    pub shop: String,
    pub kind: RecordKind,
    pub reason: String,
    pub received_at: String,
    /// The record as received (JSON text).
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChainEvent {
    pub shop: String,
    pub register: String,
    /// `ticket` or `closure`.
    pub chain: RecordKind,
    /// `gap`, `break` or `late`.
    pub kind: String,
    pub sequence: i64,
    pub detail: String,
    pub at: String,
}

/// Where a register's chain stands at HQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub sequence: i64,
    pub hash: String,
}

/// Storage of sales up.
#[async_trait]
pub trait SalesStorage: Send + Sync + 'static {
    /// Applies a push in one transaction: ids already held (ticket, closure or quarantine)
    /// are duplicates; inserted records are chained against what HQ holds, and a gap or a
    /// break is recorded (the record is still stored) and marks the shop's chain not ok.
    async fn apply_push(
        &self,
        shop: &str,
        received_at: &str,
        items: Vec<PushItem>,
    ) -> Result<PushOutcome, StorageError>;
    /// Tickets oldest first by arrival, after arrival number `after`.
    async fn list_tickets(
        &self,
        shop: Option<&str>,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<StoredTicket>, Option<i64>), StorageError>;
    async fn sales_report(&self, from: &str, to: &str, shop: Option<&str>) -> Result<Vec<SalesRow>, StorageError>;
    async fn list_quarantine(&self, shop: Option<&str>) -> Result<Vec<QuarantineRecord>, StorageError>;
    async fn chain_events(&self, shop: Option<&str>) -> Result<Vec<ChainEvent>, StorageError>;
}
