//! The storage trait every HQ backend implements (SQLite in `comptoir-hq-sqlite`, PostgreSQL
//! later), and the plain records it takes and gives.
//!
//! Rules a backend follows (the conformance stories in [`crate::conformance`] check them):
//! - every method that writes runs in **one transaction**: all or nothing;
//! - every catalog write and every job appends its change(s) to the feed **in the same
//!   transaction**, with a sequence number that only grows and is assigned in commit order
//!   (a reader that has seen sequence N never later sees a new change below N);
//! - referential checks (tax rate exists and is active, category exists, barcode held by one
//!   article, SKU unique) are made by the backend inside the writing transaction; syntax
//!   (codes, names, prices, EAN check digits) is checked before, by [`crate::catalog`];
//! - push decisions that need no database (wrong shop, altered hash) are made before, by
//!   [`crate::sync`]; the backend sorts out duplicates and checks chains against what it holds.
//!
//! Nothing here names a database type: ids are `Uuid`s or strings, instants RFC 3339 text.

use crate::error::HqError;
use async_trait::async_trait;
use comptoir_core::customer::LoyaltyRule;
use comptoir_core::{Money, TaxRate};
use comptoir_protocol::{
    ArticleBody, CategoryBody, CustomerBody, Entity, HqIdentity, JobBody, JobReport, JobState, LoyaltyEntryBody,
    MessageBody, OfferBody, PushOutcome, Record, ShopIdentity, TaxRateBody,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

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

/// A hashed secret: an enrolment token, a shop credential or an admin API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRecord {
    /// The public part (credential and API token id); the hash itself for enrolment tokens.
    pub id: String,
    /// Hex SHA-256 of the secret.
    pub hash: String,
    pub created_at: String,
    /// Enrolment tokens only.
    pub expires_at: Option<String>,
}

/// A shop credential as checked on every sync call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialCheck {
    pub shop: String,
    pub hash: String,
    /// The credential or its shop was revoked.
    pub revoked: bool,
}

/// What a shop reports about itself on a sync call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopHealth {
    pub at: String,
    pub version: Option<String>,
    pub unsent: Option<i64>,
    pub oldest_unsent_seconds: Option<i64>,
    pub cursor: Option<i64>,
}

/// A shop as HQ keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopRecord {
    pub code: String,
    pub name: String,
    pub postal_code: String,
    pub created_at: String,
    pub enrolled: bool,
    pub revoked: bool,
    pub last_contact: Option<String>,
    pub version: Option<String>,
    pub unsent: Option<i64>,
    pub oldest_unsent_seconds: Option<i64>,
    /// When `unsent` and `oldest_unsent_seconds` were reported.
    pub health_at: Option<String>,
    pub cursor: Option<i64>,
    pub chain_ok: bool,
    pub quarantined: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobTarget {
    pub shop: String,
    #[schema(value_type = String)]
    pub state: JobState,
    pub detail: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobView {
    pub id: Uuid,
    #[schema(value_type = String)]
    pub kind: comptoir_protocol::JobKind,
    pub since: Option<String>,
    pub created_at: String,
    pub shops: Vec<JobTarget>,
}

impl JobView {
    pub fn body(&self) -> JobBody {
        JobBody { id: self.id, kind: self.kind, since: self.since.clone(), created_at: self.created_at.clone() }
    }
}

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

/// HQ storage. Object safe: the server holds an `Arc<dyn HqStorage>`.
#[async_trait]
pub trait HqStorage: Send + Sync + 'static {
    // ---- identity and admins
    /// Makes a new HQ: identity, the first admin (Argon2id hash), France's VAT rates.
    async fn initialise(&self, hq: &HqIdentity, admin_user: &str, admin_password_hash: &str) -> Result<(), HqError>;
    async fn identity(&self) -> Result<HqIdentity, HqError>;
    async fn admin_password_hash(&self, user: &str) -> Result<Option<String>, HqError>;
    async fn create_api_token(&self, name: &str, token: &SecretRecord) -> Result<(), HqError>;
    /// `(name, hash)` of the API token with this id.
    async fn api_token(&self, id: &str) -> Result<Option<(String, String)>, HqError>;

    // ---- catalog (each write appends its changes to the feed)
    async fn list_tax_rates(&self) -> Result<Vec<TaxRateView>, HqError>;
    async fn create_tax_rate(&self, rate: &TaxRateView) -> Result<TaxRateView, HqError>;
    async fn update_tax_rate(
        &self,
        bp: u32,
        name: Option<String>,
        active: Option<bool>,
    ) -> Result<TaxRateView, HqError>;
    async fn list_categories(&self) -> Result<Vec<Category>, HqError>;
    async fn create_category(&self, category: &Category) -> Result<Category, HqError>;
    async fn update_category(
        &self,
        code: &str,
        name: Option<String>,
        active: Option<bool>,
    ) -> Result<Category, HqError>;
    /// A page of articles by SKU after `after`, optionally filtered by a text in the SKU,
    /// the name or a barcode; returns the next `after`.
    async fn list_articles(
        &self,
        search: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Article>, Option<String>), HqError>;
    async fn get_article(&self, sku: &str) -> Result<Option<Article>, HqError>;
    /// Applies every write in one transaction; when any is refused nothing is written and
    /// the error is [`HqError::Rows`] naming each refused write by its index. With
    /// `dry_run`, the transaction is always rolled back (and refusals still reported).
    async fn write_articles(&self, writes: Vec<ArticleWrite>, dry_run: bool) -> Result<ArticleWriteReport, HqError>;

    // ---- shops
    /// Creates a shop with its first enrolment token.
    async fn create_shop(&self, shop: &ShopIdentity, token: &SecretRecord) -> Result<ShopRecord, HqError>;
    /// A new enrolment token; the shop's unused ones are voided.
    async fn issue_enrolment_token(&self, code: &str, token: &SecretRecord) -> Result<(), HqError>;
    /// Revokes the shop and every credential it holds.
    async fn revoke_shop(&self, code: &str) -> Result<(), HqError>;
    async fn list_shops(&self) -> Result<Vec<ShopRecord>, HqError>;
    /// Uses an enrolment token (by its hash; unused and not expired at `now`), replaces the
    /// shop's credentials by `credential` and lifts a revocation.
    async fn enrol(&self, token_hash: &str, now: &str, credential: &SecretRecord) -> Result<ShopIdentity, HqError>;
    async fn credential(&self, id: &str) -> Result<Option<CredentialCheck>, HqError>;
    async fn record_contact(&self, shop: &str, health: &ShopHealth) -> Result<(), HqError>;

    // ---- sales up
    /// Applies a push in one transaction: ids already held (ticket, closure or quarantine)
    /// are duplicates; inserted records are chained against what HQ holds, and a gap or a
    /// break is recorded (the record is still stored) and marks the shop's chain not ok.
    async fn apply_push(&self, shop: &str, received_at: &str, items: Vec<PushItem>) -> Result<PushOutcome, HqError>;
    /// Tickets oldest first by arrival, after arrival number `after`.
    async fn list_tickets(
        &self,
        shop: Option<&str>,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<StoredTicket>, Option<i64>), HqError>;
    async fn sales_report(&self, from: &str, to: &str, shop: Option<&str>) -> Result<Vec<SalesRow>, HqError>;
    async fn list_quarantine(&self, shop: Option<&str>) -> Result<Vec<QuarantineRecord>, HqError>;
    async fn chain_events(&self, shop: Option<&str>) -> Result<Vec<ChainEvent>, HqError>;

    // ---- catalog down
    /// Changes after `cursor` visible to `shop` (for all shops or for it), oldest first.
    async fn feed(&self, shop: &str, cursor: i64, limit: usize) -> Result<FeedRead, HqError>;
    /// Deletes changes made before `before` and returns the new floor.
    async fn purge_feed(&self, before: &str) -> Result<i64, HqError>;
    /// `(cursor, total)`: the feed's last sequence and the snapshot's item count.
    async fn snapshot_begin(&self, shop: &str) -> Result<(i64, u64), HqError>;
    /// Items after `after` in snapshot order: tax rates, categories, articles, then the
    /// shop's pending jobs, each by key.
    async fn snapshot_page(
        &self,
        shop: &str,
        after: Option<(Entity, String)>,
        limit: usize,
    ) -> Result<Vec<SnapshotItem>, HqError>;

    // ---- jobs
    /// Queues a job for shops (each must exist); one feed change per shop.
    async fn create_job(&self, job: &JobBody, shops: &[String]) -> Result<JobView, HqError>;
    async fn list_jobs(&self) -> Result<Vec<JobView>, HqError>;
    /// A shop reports on its own target of a job (else not found).
    async fn report_job(&self, shop: &str, job: Uuid, report: &JobReport, at: &str) -> Result<(), HqError>;

    // ---- dashboard (docs/dashboard.md): sessions and the sales summaries that
    // `apply_push` maintains in the transaction that inserts each ticket.
    async fn create_session(&self, session: &DashboardSession) -> Result<(), HqError>;
    /// The session with this hash, unless expired at `now` (expired ones are deleted).
    async fn session(&self, token_hash: &str, now: &str) -> Result<Option<DashboardSession>, HqError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), HqError>;
    /// Per shop and business day, by shop then day.
    async fn sales_days(&self, filter: &SalesFilter) -> Result<Vec<DaySales>, HqError>;
    /// By method name.
    async fn payment_totals(&self, filter: &SalesFilter) -> Result<Vec<PaymentTotal>, HqError>;
    /// By rate.
    async fn vat_totals(&self, filter: &SalesFilter) -> Result<Vec<VatTotal>, HqError>;
    /// The `limit` articles with the highest revenue (then SKU).
    async fn top_articles(&self, filter: &SalesFilter, limit: usize) -> Result<Vec<ArticleSales>, HqError>;
    /// Every register HQ received a record from, by shop then register.
    async fn registers(&self) -> Result<Vec<RegisterView>, HqError>;
    // ---- customers and loyalty (docs/customers.md)
    //
    // A pushed `Record::Customer` is merged by `apply_push` exactly like `write_customer`
    // (but keeping HQ's `merged_into` and `erased`) and is never a duplicate; a pushed
    // `Record::LoyaltyEntry` is inserted by id. Both append a feed change for every shop
    // in the push's transaction, and the snapshot carries the loyalty rule, customers
    // and entries after the jobs.

    /// Merges a customer field by field (greater stamp wins; `merged_into` and `erased`
    /// taken from `body` only when set), appends the resulting record to the feed.
    async fn write_customer(&self, body: CustomerBody) -> Result<CustomerView, HqError>;
    /// The next number of HQ's own card series.
    async fn next_card_number(&self) -> Result<i64, HqError>;
    async fn get_customer(&self, id: Uuid) -> Result<Option<CustomerView>, HqError>;
    /// The record as stored (for an edit at HQ).
    async fn customer_body(&self, id: Uuid) -> Result<Option<CustomerBody>, HqError>;
    /// Customers by card; with `overdrawn`, only those below zero.
    async fn list_customers(&self, overdrawn: bool, limit: usize) -> Result<Vec<CustomerView>, HqError>;
    /// Merges `from` into `into` (both must exist, be different and not merged or erased):
    /// `from` is kept with `merged_into`, the records merged into `from` follow to `into`.
    async fn merge_customers(&self, from: Uuid, into: Uuid) -> Result<CustomerView, HqError>;
    /// Erases the personal data of a customer for good (GDPR); its id, card and points stay.
    async fn erase_customer(&self, id: Uuid) -> Result<CustomerView, HqError>;
    /// An entry made at HQ (adjustment, expiry); the customer must exist.
    async fn add_loyalty_entry(&self, entry: LoyaltyEntryBody) -> Result<CustomerView, HqError>;
    async fn loyalty_entries(&self, customer: Uuid) -> Result<Vec<LoyaltyEntryBody>, HqError>;
    async fn loyalty_rule(&self) -> Result<LoyaltyRule, HqError>;
    async fn set_loyalty_rule(&self, rule: LoyaltyRule) -> Result<(), HqError>;

    // ---- offers and messages (a pushed `Record::MessageAck` is inserted by id by `apply_push`)

    /// Stores an offer (validated) and appends it to the feed for every shop.
    async fn create_offer(&self, offer: OfferBody) -> Result<OfferBody, HqError>;
    async fn list_offers(&self) -> Result<Vec<OfferBody>, HqError>;
    /// Stores a message for `shop` (which must exist) and appends it to that shop's feed.
    async fn create_message(&self, shop: &str, message: MessageBody) -> Result<MessageView, HqError>;
    async fn list_messages(&self, shop: Option<&str>) -> Result<Vec<MessageView>, HqError>;

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
    ) -> Result<(), HqError>;
    /// HQ's canonical copy of a document.
    async fn document(&self, entity: Entity, key: &str) -> Result<Option<serde_json::Value>, HqError>;
    /// Every canonical document of an entity, by key.
    async fn documents(&self, entity: Entity) -> Result<Vec<serde_json::Value>, HqError>;
    /// `(shop, Σ quantity in thousandths)` of an article, per shop holding movements.
    async fn stock_levels(&self, sku: &str) -> Result<Vec<(String, i64)>, HqError>;
    /// Punches of the business days `from..=to` (`YYYY-MM-DD`), by user then instant.
    async fn punches(&self, from: &str, to: &str) -> Result<Vec<comptoir_protocol::stock::Punch>, HqError>;
}
