//! Customers, loyalty, offers and messages (docs/customers.md).

use super::StorageError;
#[allow(unused_imports)]
use super::*;
use async_trait::async_trait;

// ---------------------------------------------------------------- customers and loyalty

/// A customer as HQ shows it: the record, its balance and whether it is overdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CustomerView {
    pub id: Uuid,
    pub card: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub group: Option<String>,
    pub origin: String,
    pub created_at: String,
    pub merged_into: Option<Uuid>,
    /// The records merged into this one (their tickets and points count here).
    pub merged_from: Vec<Uuid>,
    pub erased: bool,
    /// Σ points of its entries and of the records merged into it.
    pub loyalty_balance: i64,
    /// The balance is below zero: shops redeemed offline more than it held.
    pub overdrawn: bool,
}

/// A message as HQ shows it, with the registers that acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    pub id: Uuid,
    pub shop: String,
    pub register: Option<String>,
    pub text: String,
    pub created_at: String,
    #[schema(value_type = Vec<Object>)]
    pub acks: Vec<comptoir_protocol::MessageAckBody>,
}

/// Storage of customers.
#[async_trait]
pub trait CustomerStorage: Send + Sync + 'static {
    // ---- customers and loyalty (docs/customers.md)
    //
    // A pushed `Record::Customer` is merged by `apply_push` exactly like `write_customer`
    // (but keeping HQ's `merged_into` and `erased`) and is never a duplicate; a pushed
    // `Record::LoyaltyEntry` is inserted by id. Both append a feed change for every shop
    // in the push's transaction, and the snapshot carries the loyalty rule, customers
    // and entries after the jobs.

    /// Merges a customer field by field (greater stamp wins; `merged_into` and `erased`
    /// taken from `body` only when set), appends the resulting record to the feed.
    async fn write_customer(&self, body: CustomerBody) -> Result<CustomerView, StorageError>;
    /// The next number of HQ's own card series.
    async fn next_card_number(&self) -> Result<i64, StorageError>;
    async fn get_customer(&self, id: Uuid) -> Result<Option<CustomerView>, StorageError>;
    /// The record as stored (for an edit at HQ).
    async fn customer_body(&self, id: Uuid) -> Result<Option<CustomerBody>, StorageError>;
    /// Customers by card; with `overdrawn`, only those below zero.
    async fn list_customers(&self, overdrawn: bool, limit: usize) -> Result<Vec<CustomerView>, StorageError>;
    /// The live (neither merged nor erased) customers the query's terms find
    /// (`comptoir_core::customer::matches_query`), by card, at most `limit`.
    async fn search_customers(&self, query: Vec<String>, limit: usize) -> Result<Vec<CustomerView>, StorageError>;
    /// Merges `from` into `into` (both must exist, be different and not merged or erased):
    /// `from` is kept with `merged_into`, the records merged into `from` follow to `into`.
    async fn merge_customers(&self, from: Uuid, into: Uuid) -> Result<CustomerView, StorageError>;
    /// Erases the personal data of a customer for good (GDPR); its id, card and points stay.
    async fn erase_customer(&self, id: Uuid) -> Result<CustomerView, StorageError>;
    /// An entry made at HQ (adjustment, expiry); the customer must exist.
    async fn add_loyalty_entry(&self, entry: LoyaltyEntryBody) -> Result<CustomerView, StorageError>;
    async fn loyalty_entries(&self, customer: Uuid) -> Result<Vec<LoyaltyEntryBody>, StorageError>;
    async fn loyalty_rule(&self) -> Result<LoyaltyRule, StorageError>;
    async fn set_loyalty_rule(&self, rule: LoyaltyRule) -> Result<(), StorageError>;

    // ---- offers and messages (a pushed `Record::MessageAck` is inserted by id by `apply_push`)

    /// Stores an offer (validated) and appends it to the feed for every shop.
    async fn create_offer(&self, offer: OfferBody) -> Result<OfferBody, StorageError>;
    async fn list_offers(&self) -> Result<Vec<OfferBody>, StorageError>;
    /// Stores a message for `shop` (which must exist) and appends it to that shop's feed.
    async fn create_message(&self, shop: &str, message: MessageBody) -> Result<MessageView, StorageError>;
    async fn list_messages(&self, shop: Option<&str>) -> Result<Vec<MessageView>, StorageError>;
}
