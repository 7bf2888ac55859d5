//! The HQ ⇄ shop protocol, version 1. Both sides compile against these types, so a field
//! renamed here is renamed on both ends; [`PROTOCOL_VERSION`] changes when the meaning of
//! a message changes.
//!
//! # Endpoints (served by HQ)
//!
//! | method & path | auth | body → answer |
//! |---|---|---|
//! | `POST /api/v1/sync/enrol` | the one-time enrolment token, in the body | [`EnrolRequest`] → [`EnrolResponse`] |
//! | `GET /api/v1/sync/hello` | shop credential | → [`Hello`] |
//! | `GET /api/v1/sync/snapshot?after=ENTITY/KEY` | shop credential | → NDJSON, one [`SnapshotLine`] per line |
//! | `GET /api/v1/sync/feed?cursor=N&wait=SECONDS&limit=L` | shop credential | → [`FeedPage`] (long-poll) |
//! | `POST /api/v1/sync/push` | shop credential | [`PushBatch`] → [`PushOutcome`] |
//! | `POST /api/v1/sync/jobs/{id}` | shop credential | [`JobReport`] → 204 |
//! | `POST /api/v1/sync/archives` | shop credential | a fiscal archive (JSON Lines, at most [`MAX_ARCHIVE_BYTES`]) → [`ArchiveReceipt`] |
//!
//! The shop credential is sent as `Authorization: Bearer <credential>`. Every sync request
//! carries the headers [`HEADER_PROTOCOL`] and [`HEADER_VERSION`]; HQ answers an
//! unsupported protocol with 400 `unsupported_protocol` naming the versions it accepts.
//! Push and feed requests also carry the shop's health ([`HEADER_UNSENT`],
//! [`HEADER_OLDEST_UNSENT`], [`HEADER_CURSOR`]), which HQ keeps per shop, and its first
//! public key ([`HEADER_PUBLIC_KEY`]), which HQ registers when it holds none for the shop:
//! later keys reach HQ only as `key_rotated` journal entries signed by the key before.
//!
//! # Guarantees
//! - Push is idempotent: HQ inserts records by id and reports ids it already had as
//!   `duplicates`; a shop marks a record sent only once HQ has answered for it (accepted,
//!   duplicate or quarantined), so a cut connection is simply retried.
//! - A record HQ refuses is `quarantined` with its reason and kept at HQ; it never blocks
//!   the records behind it.
//! - The feed's cursor only grows. A shop whose cursor is older than what HQ retains gets
//!   `snapshot_required: true` and takes a new snapshot.
//! - A snapshot is resumable: `after` is the `entity/key` of the last item received. The
//!   shop follows the feed from the cursor of the *first* `begin` line of that snapshot;
//!   applying a change twice is harmless (every change is a full upsert).

use comptoir_core::chain::JournalEntry;
use comptoir_core::closure::Closure;
use comptoir_core::ticket::Ticket;
use comptoir_core::{Money, TaxRate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod stock;

/// The protocol version this build speaks. Version 2 adds customers and loyalty (entities
/// [`Entity::Customer`], [`Entity::LoyaltyEntry`], [`Entity::LoyaltyRule`] and the records
/// [`Record::Customer`], [`Record::LoyaltyEntry`]) and stock and people
/// (the entities and records of [`stock`]); HQ leaves those out of the feed and the
/// snapshot of a shop that speaks version 1 (see [`Entity::since_protocol`]).
/// Version 3 adds the technical journal's entries ([`Record::JournalEntry`]), the shop's
/// public key header and the archive upload; HQ still accepts shops speaking 1 and 2.
pub const PROTOCOL_VERSION: u32 = 3;
/// The protocol versions HQ accepts from shops.
pub const SUPPORTED_PROTOCOLS: [u32; 3] = [1, 2, 3];

pub const HEADER_PROTOCOL: &str = "comptoir-protocol";
pub const HEADER_VERSION: &str = "comptoir-version";
/// Number of records in the shop's outbox not yet acknowledged by HQ.
pub const HEADER_UNSENT: &str = "comptoir-unsent";
/// Age in seconds of the oldest unacknowledged record (0 when none).
pub const HEADER_OLDEST_UNSENT: &str = "comptoir-oldest-unsent-seconds";
/// The shop's feed cursor.
pub const HEADER_CURSOR: &str = "comptoir-cursor";
/// The shop's first public key (64 hex digits), on pushes: HQ registers it when it holds no
/// key for the shop yet (trusting the shop's credential, as for the enrolment).
pub const HEADER_PUBLIC_KEY: &str = "comptoir-public-key";
/// Largest fiscal archive a shop may upload, in bytes.
pub const MAX_ARCHIVE_BYTES: usize = 64 * 1024 * 1024;

/// Most records in one push.
pub const MAX_BATCH: usize = 5000;
/// Longest long-poll wait a shop may ask for, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// The token printed by `comptoir hq shop add` (works once).
    pub token: String,
    pub protocol: u32,
    /// The shop's software version.
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopIdentity {
    pub code: String,
    pub name: String,
    pub postal_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HqIdentity {
    /// Random, made at `comptoir hq init`: a shop checks it talks to the HQ it enrolled with.
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    pub shop: ShopIdentity,
    pub hq: HqIdentity,
    /// The long-lived credential; HQ keeps only its hash. Sent as a bearer token.
    pub credential: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub hq: HqIdentity,
    pub shop: ShopIdentity,
    pub protocol: u32,
    /// HQ's software version.
    pub version: String,
}

/// What the feed and the snapshot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    TaxRate,
    Category,
    Article,
    Job,
    /// The chain's loyalty rule (key `chain`), body [`comptoir_core::customer::LoyaltyRule`].
    LoyaltyRule,
    /// A customer (key: its id), body [`CustomerBody`].
    Customer,
    /// A loyalty ledger entry (key: its id), body [`LoyaltyEntryBody`].
    LoyaltyEntry,
    /// An offer (key: its id), body [`OfferBody`].
    Offer,
    /// A message for this shop or one of its registers (key: its id), body [`MessageBody`].
    Message,
    // ---- stock and people (crate::stock); after `Job` so snapshots send them last
    /// The chain's shops (every shop).
    Shop,
    /// A user, to the shops it works at (key: user code).
    User,
    /// A keyboard layout, to the shops it is assigned to (key: layout code).
    Keyboard,
    /// A shop's own price of an article, to that shop (key: article id).
    ShopPrice,
    /// A printer, to its shop (key: printer code).
    Printer,
    /// A purchase order, to the shop it is delivered to (key: id).
    PurchaseOrder,
    /// A transfer slip, to both its shops (key: id).
    Transfer,
    /// A reception against a purchase order: HQ's copy only, never sent down (key: id).
    Reception,
    /// The shop's legal identity on receipts, set at HQ, to that shop (key: shop code), body
    /// [`stock::ShopIdentityBody`].
    ShopIdentity,
}

impl Entity {
    /// Every entity, in snapshot order (the declaration order, which `Ord` follows).
    pub const ALL: [Entity; 18] = [
        Entity::TaxRate,
        Entity::Category,
        Entity::Article,
        Entity::Job,
        Entity::LoyaltyRule,
        Entity::Customer,
        Entity::LoyaltyEntry,
        Entity::Offer,
        Entity::Message,
        Entity::Shop,
        Entity::User,
        Entity::Keyboard,
        Entity::ShopPrice,
        Entity::Printer,
        Entity::PurchaseOrder,
        Entity::Transfer,
        Entity::Reception,
        Entity::ShopIdentity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Entity::TaxRate => "tax_rate",
            Entity::Category => "category",
            Entity::Article => "article",
            Entity::Job => "job",
            Entity::LoyaltyRule => "loyalty_rule",
            Entity::Customer => "customer",
            Entity::LoyaltyEntry => "loyalty_entry",
            Entity::Offer => "offer",
            Entity::Message => "message",
            Entity::Shop => "shop",
            Entity::User => "user",
            Entity::Keyboard => "keyboard",
            Entity::ShopPrice => "shop_price",
            Entity::Printer => "printer",
            Entity::PurchaseOrder => "purchase_order",
            Entity::Transfer => "transfer",
            Entity::Reception => "reception",
            Entity::ShopIdentity => "shop_identity",
        }
    }
    pub fn parse(text: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.as_str() == text)
    }
    /// The first protocol version that carries this entity: a shop speaking an older one
    /// cannot read it and is not sent it.
    pub fn since_protocol(self) -> u32 {
        match self {
            Entity::TaxRate | Entity::Category | Entity::Article | Entity::Job => 1,
            Entity::ShopIdentity => 3,
            _ => 2,
        }
    }
}

/// One change of the feed: the full new state of a record (upsert), keyed by entity and key
/// (tax rate: basis points; category: code; article: id; job: id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub seq: i64,
    pub entity: Entity,
    pub key: String,
    pub body: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedPage {
    pub changes: Vec<Change>,
    /// The cursor to ask from next time (the last change's seq, or the one given).
    pub cursor: i64,
    /// The cursor is older than HQ's retained feed: take a new snapshot.
    pub snapshot_required: bool,
}

/// One line of a snapshot stream (NDJSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SnapshotLine {
    /// First line: follow the feed from `cursor` once the snapshot is applied.
    Begin {
        cursor: i64,
        total: u64,
    },
    Item {
        entity: Entity,
        key: String,
        body: serde_json::Value,
    },
    /// Last line: the snapshot is complete. A stream without it was cut.
    End {
        items: u64,
    },
}

/// A tax rate as HQ sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRateBody {
    pub bp: TaxRate,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryBody {
    pub code: String,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleBody {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub tax_rate_bp: TaxRate,
    pub price: Money,
    pub barcodes: Vec<String>,
    pub web: bool,
    pub active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Take a new catalog snapshot.
    ResyncCatalog,
    /// Send again every ticket and closure since `since` (HQ ignores what it has).
    ResendSales,
    /// Send the stock levels.
    SendStock,
    /// Send the recent log files.
    UploadLogs,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobBody {
    pub id: Uuid,
    pub kind: JobKind,
    /// For `resend_sales`: `YYYY-MM-DD`, the first business day to send again.
    pub since: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Pending,
    Done,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobReport {
    pub state: JobState,
    pub detail: String,
}

/// A customer as it travels both ways. Each editable field carries the hybrid logical
/// clock stamp of its last edit (`*_hlc`, [`comptoir_core::hlc::Hlc::encode`], empty when
/// never set): a receiver keeps, field by field, the value with the greater stamp.
/// `merged_into` and `erased` are decided by HQ only; a shop's values are ignored at HQ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerBody {
    pub id: Uuid,
    /// The loyalty card number, given at creation and never changed (`LYON1-000042`).
    pub card: String,
    pub name: String,
    pub name_hlc: String,
    pub email: Option<String>,
    pub email_hlc: String,
    pub phone: Option<String>,
    pub phone_hlc: String,
    /// Customer group code (for offers), if any.
    pub group: Option<String>,
    pub group_hlc: String,
    /// Where it was made: a shop code or `HQ`.
    pub origin: String,
    pub created_at: String,
    /// This record was merged into that one (HQ): its tickets and points count there.
    pub merged_into: Option<Uuid>,
    /// Personal data erased (GDPR, HQ): name, email and phone are gone for good.
    pub erased: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoyaltyKind {
    Earn,
    Redeem,
    Adjust,
    Expire,
}

impl LoyaltyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LoyaltyKind::Earn => "earn",
            LoyaltyKind::Redeem => "redeem",
            LoyaltyKind::Adjust => "adjust",
            LoyaltyKind::Expire => "expire",
        }
    }
    pub fn parse(text: &str) -> Option<LoyaltyKind> {
        [LoyaltyKind::Earn, LoyaltyKind::Redeem, LoyaltyKind::Adjust, LoyaltyKind::Expire]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// One entry of the loyalty ledger; a customer's balance is the sum of the points of its
/// entries (and of the records merged into it). Entries are never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltyEntryBody {
    pub id: Uuid,
    pub customer: Uuid,
    /// The shop that wrote it, or `HQ`.
    pub shop: String,
    pub kind: LoyaltyKind,
    /// Signed: earned and adjusted up are positive, redeemed and expired negative.
    pub points: i64,
    pub ticket: Option<Uuid>,
    pub at: String,
    pub note: String,
}

/// An offer defined at HQ: a percentage or an amount off an article or a category, for
/// everyone, a customer group or one customer, between two days (inclusive). It applies
/// only on a ticket with an identified customer (docs/customers.md, "Offers").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferBody {
    pub id: Uuid,
    pub name: String,
    /// Percentage off, in basis points (1000 = 10 %); or else `amount`.
    pub percent_bp: Option<u32>,
    /// Amount off each unit, in cents.
    pub amount: Option<Money>,
    /// The article's SKU; or else `category`.
    pub article: Option<String>,
    pub category: Option<String>,
    /// A customer group code; or one `customer`; neither: everyone.
    pub group: Option<String>,
    pub customer: Option<Uuid>,
    /// First and last day, `YYYY-MM-DD`, in the shop's calendar.
    pub from: String,
    pub to: String,
    pub active: bool,
}

/// A message from HQ to a shop (every register) or one register of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageBody {
    pub id: Uuid,
    /// `None`: every register of the shop.
    pub register: Option<String>,
    pub text: String,
    pub created_at: String,
}

/// A register acknowledged a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageAckBody {
    pub id: Uuid,
    pub message: Uuid,
    pub shop: String,
    pub register: String,
    /// The user signed in at the register.
    pub user: String,
    pub at: String,
}

/// A record a shop sends up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum Record {
    Ticket(Ticket),
    Closure(Closure),
    /// A customer created or edited at the shop (its whole state with its stamps).
    Customer(CustomerBody),
    LoyaltyEntry(LoyaltyEntryBody),
    MessageAck(MessageAckBody),
    // ---- stock and people (crate::stock)
    StockMovement(stock::StockMovement),
    Transfer(stock::Transfer),
    TransferReceipt(stock::TransferReceipt),
    PurchaseOrder(stock::PurchaseOrder),
    Reception(stock::Reception),
    Punch(stock::Punch),
    /// An entry of the shop's technical journal (JET), chained and signed (protocol 3).
    JournalEntry(JournalEntry),
}

/// The id of a journal entry on the wire: the first 16 bytes of its hash (the entry has no
/// id of its own; its hash names it, and a resent entry has the same one).
pub fn journal_entry_id(e: &JournalEntry) -> Uuid {
    let bytes: Option<[u8; 16]> = e.hash.get(..32).and_then(|h| hex_bytes(h)?.try_into().ok());
    bytes.map(Uuid::from_bytes).unwrap_or_else(|| Uuid::from_u128(e.sequence as u128))
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    (0..text.len()).step_by(2).map(|i| text.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect()
}

impl Record {
    /// The record's id. Several edits of a customer share the customer's id: applying
    /// them is idempotent (field-by-field merge), so HQ never treats them as duplicates.
    pub fn id(&self) -> Uuid {
        match self {
            Record::Ticket(t) => t.id,
            Record::Closure(c) => c.id,
            Record::Customer(c) => c.id,
            Record::LoyaltyEntry(e) => e.id,
            Record::MessageAck(a) => a.id,
            Record::StockMovement(m) => m.id,
            Record::Transfer(t) => t.id,
            Record::TransferReceipt(r) => r.id,
            Record::PurchaseOrder(o) => o.id,
            Record::Reception(r) => r.id,
            Record::Punch(p) => p.id,
            Record::JournalEntry(e) => journal_entry_id(e),
        }
    }

    /// The `kind` tag of the record on the wire (and in the outbox).
    pub fn kind_str(&self) -> &'static str {
        match self {
            Record::Customer(_) => "customer",
            Record::LoyaltyEntry(_) => "loyalty_entry",
            Record::Ticket(_) => "ticket",
            Record::Closure(_) => "closure",
            Record::StockMovement(_) => "stock_movement",
            Record::Transfer(_) => "transfer",
            Record::TransferReceipt(_) => "transfer_receipt",
            Record::PurchaseOrder(_) => "purchase_order",
            Record::Reception(_) => "reception",
            Record::Punch(_) => "punch",
            Record::MessageAck(_) => "message_ack",
            Record::JournalEntry(_) => "journal_entry",
        }
    }

    /// The shop the record says it comes from (HQ compares it with the credential's).
    pub fn shop(&self) -> &str {
        match self {
            Record::Customer(c) => &c.origin,
            Record::LoyaltyEntry(e) => &e.shop,
            Record::Ticket(t) => &t.shop,
            Record::Closure(c) => &c.shop,
            Record::StockMovement(m) => &m.shop,
            Record::Transfer(t) => &t.from,
            Record::TransferReceipt(r) => &r.shop,
            Record::PurchaseOrder(o) => &o.origin,
            Record::Reception(r) => &r.shop,
            Record::Punch(p) => &p.shop,
            Record::MessageAck(a) => &a.shop,
            Record::JournalEntry(e) => &e.shop,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushBatch {
    pub records: Vec<Record>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    pub id: Uuid,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PushOutcome {
    pub accepted: Vec<Uuid>,
    /// Already at HQ: nothing done.
    pub duplicates: Vec<Uuid>,
    /// Refused and kept aside at HQ with the reason.
    pub quarantined: Vec<Quarantined>,
}

/// HQ's answer to an archive upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveReceipt {
    /// The archive's name at HQ (`SHOP-PERIOD-SHA256PREFIX.jsonl`).
    pub name: String,
    pub period: String,
    pub bytes: u64,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    /// The archive's signature holds with one of the shop's keys HQ registered.
    pub verified: bool,
}

/// The error body of both servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub kind: String,
    pub message: String,
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_snapshot_lines_have_stable_shapes() {
        let line = SnapshotLine::Begin { cursor: 7, total: 2 };
        assert_eq!(serde_json::to_string(&line).unwrap(), r#"{"type":"begin","cursor":7,"total":2}"#);
        let job = JobBody {
            id: Uuid::nil(),
            kind: JobKind::ResendSales,
            since: Some("2026-11-01".into()),
            created_at: "t".into(),
        };
        let text = serde_json::to_string(&job).unwrap();
        assert!(text.contains(r#""kind":"resend_sales""#), "{text}");
        assert_eq!(Entity::parse("article"), Some(Entity::Article));
        assert_eq!(serde_json::to_string(&Entity::TaxRate).unwrap(), "\"tax_rate\"");
    }
}
