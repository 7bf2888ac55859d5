//! Wire types of stock, purchase orders, receptions, transfers, users, time clock,
//! keyboards, per-shop prices and printers (the records of issue 4's "stock and people").
//!
//! Which way each travels:
//! - up (shop → HQ, [`crate::Record`]): stock movements, transfers sent, transfer receipts,
//!   purchase orders made in a shop, receptions, time-clock punches;
//! - down (HQ → shop, [`crate::Entity`] changes, each a full upsert): the chain's shops (to
//!   every shop), users (to the shops they work at only), keyboards (to the shops they are
//!   assigned to), a shop's own prices and printers (to that shop only), purchase orders
//!   (to the shop they are delivered to), transfers (to both shops of the slip).
//!
//! Quantities are [`Quantity`] (thousandths of a unit), as on ticket lines; a movement's
//! quantity is signed: what enters the shop's stock is positive.

use comptoir_core::{Money, Quantity};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a shop's stock of an article changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    Sale,
    Return,
    Reception,
    TransferOut,
    TransferIn,
    Adjustment,
    /// An inventory count: the movement that brings the level to the counted quantity.
    Count,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Sale => "sale",
            MovementKind::Return => "return",
            MovementKind::Reception => "reception",
            MovementKind::TransferOut => "transfer_out",
            MovementKind::TransferIn => "transfer_in",
            MovementKind::Adjustment => "adjustment",
            MovementKind::Count => "count",
        }
    }
}

/// One row of a shop's stock ledger (append-only; the level is the sum).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMovement {
    /// UUIDv7, made by the shop.
    pub id: Uuid,
    pub shop: String,
    pub article_id: Uuid,
    pub sku: String,
    pub kind: MovementKind,
    /// Signed: positive enters the stock.
    pub qty: Quantity,
    /// The ticket, transfer, reception or count it comes from.
    pub reference: Option<String>,
    /// For a count: the quantity counted.
    pub counted: Option<Quantity>,
    pub at: String,
}

/// A shop of the chain, as every shop knows it (to name a transfer's destination).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopBody {
    pub code: String,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferState {
    /// Sent by the first shop, not yet received: in transit.
    InTransit,
    Received,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferLine {
    pub article_id: Uuid,
    pub sku: String,
    pub sent: Quantity,
    /// Set at reception.
    pub received: Option<Quantity>,
}

/// A transfer slip from shop `from` to shop `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub id: Uuid,
    pub from: String,
    pub to: String,
    pub state: TransferState,
    pub lines: Vec<TransferLine>,
    pub sent_at: String,
    pub received_at: Option<String>,
    /// Received with a quantity other than sent on some line.
    pub differences: bool,
}

/// What the receiving shop counted of a transfer (its own record: the transfer's id was
/// already pushed when it was sent, and a push is idempotent by id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferReceipt {
    pub id: Uuid,
    pub transfer: Uuid,
    pub shop: String,
    /// `(sku, received)` per line of the slip.
    pub lines: Vec<ReceivedLine>,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedLine {
    pub article_id: Uuid,
    pub sku: String,
    pub qty: Quantity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub article_id: Uuid,
    pub sku: String,
    pub ordered: Quantity,
    /// Σ of the receptions so far.
    pub received: Quantity,
    /// Unit purchase price, cents (optional).
    pub cost: Option<Money>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    Open,
    PartlyReceived,
    Received,
}

/// A purchase order for a supplier, delivered to `shop`; made at HQ (`origin` "HQ") or in
/// the shop (`origin` its code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrder {
    pub id: Uuid,
    pub shop: String,
    pub supplier: String,
    pub origin: String,
    pub state: OrderState,
    pub lines: Vec<OrderLine>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceptionLine {
    pub article_id: Uuid,
    pub sku: String,
    pub qty: Quantity,
    /// Ordered, and received before this reception.
    pub ordered: Quantity,
    pub received_before: Quantity,
    /// `ordered - received_before - qty`: negative when more came than ordered.
    pub difference: Quantity,
    /// More than ordered arrived: accepted, flagged.
    pub over: bool,
}

/// Goods received at a shop against a purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reception {
    pub id: Uuid,
    pub order: Uuid,
    pub shop: String,
    pub lines: Vec<ReceptionLine>,
    pub over: bool,
    pub at: String,
}

/// A user as HQ sends it to the shops it works at. `active: false` when taken off the shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserBody {
    pub code: String,
    pub name: String,
    /// `cashier`, `manager` or `admin`.
    pub role: String,
    /// Argon2id PHC string of the PIN (never the PIN).
    pub pin_hash: String,
    pub shops: Vec<String>,
    /// `SHOP/REGISTER` codes; empty: every register of its shops.
    pub registers: Vec<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PunchKind {
    In,
    Out,
}

/// A clock-in or clock-out at a register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Punch {
    pub id: Uuid,
    pub shop: String,
    pub register: String,
    pub user: String,
    pub kind: PunchKind,
    pub at: String,
    /// The shop's business day of the punch (its time zone), `YYYY-MM-DD`.
    pub date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyButton {
    pub label: String,
    /// `article`, `category` or `function`.
    pub kind: String,
    /// The SKU, the category code or the function (`discount`, `return`, …).
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPage {
    pub name: String,
    pub buttons: Vec<KeyButton>,
}

/// A keyboard layout and where it is used: whole shops, or `SHOP/REGISTER` registers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyboard {
    pub code: String,
    pub name: String,
    pub pages: Vec<KeyPage>,
    pub shops: Vec<String>,
    pub registers: Vec<String>,
}

/// A shop's own price of an article; `price: None` goes back to the chain's price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopPrice {
    pub shop: String,
    pub article_id: Uuid,
    pub sku: String,
    pub price: Option<Money>,
}

/// A printer of one shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Printer {
    pub shop: String,
    pub code: String,
    pub name: String,
    /// `receipt`, `label` or `kitchen`.
    pub kind: String,
    /// Where it is reached (`tcp://10.0.0.5:9100`, `usb:0`).
    pub address: String,
    pub active: bool,
}

/// The legal identity HQ set for a shop (`Entity::ShopIdentity`), sent to that shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShopIdentityBody {
    pub shop: String,
    #[serde(flatten)]
    pub identity: comptoir_core::identity::LegalIdentity,
}
