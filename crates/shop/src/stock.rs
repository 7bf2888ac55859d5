//! The shop's stock: an append-only ledger per article (sale, return, reception, transfer
//! out and in, adjustment, inventory count), transfer slips to and from other shops of the
//! chain, purchase orders and their receptions.
//!
//! Rules:
//! - every movement is a UUIDv7 row written with its cause in one transaction, and queued
//!   for HQ in that same transaction (the outbox), like a ticket;
//! - a ticket's movements are written inside `sales::commit_ticket`'s transaction: a sale
//!   on disk has its stock movement on disk;
//! - stock may go below zero (a sale is never refused for stock); the level shows
//!   `negative: true`;
//! - an inventory count becomes the adjustment that brings the level to what was counted;
//!   a negative count is refused, naming `counted`;
//! - a transfer names a shop HQ sent down (`chain_shops`), else it is refused naming `to`;
//!   it leaves this shop's stock when sent and enters the other's when received, with the
//!   quantities the receiver counted (differences kept on the slip);
//! - a reception above what was ordered is accepted and flagged (`over`).

use crate::error::ShopError;
use crate::store::now_text;
use crate::sync::outbox::enqueue;
use comptoir_core::ticket::{Ticket, TicketKind};
use comptoir_core::{Money, Quantity};
use comptoir_protocol::Record;
use comptoir_protocol::stock::*;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Most lines of a transfer, an order or a reception.
pub const MAX_LINES: usize = 1000;

/// `(id, sku)` of an article by SKU, else not found naming `field`.
pub fn article(conn: &Connection, sku: &str, field: &str) -> Result<(Uuid, String), ShopError> {
    let row: Option<(String, String)> = conn
        .prepare_cached("SELECT id, sku FROM articles WHERE sku = ? COLLATE NOCASE")?
        .query_row([sku], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (id, sku) =
        row.ok_or_else(|| ShopError::NotFound { what: "article", key: sku.into(), field: Some(field.into()) })?;
    let id = Uuid::parse_str(&id).map_err(|_| ShopError::Storage(format!("article id {id}")))?;
    Ok((id, sku))
}

fn shop_code(conn: &Connection) -> Result<String, ShopError> {
    Ok(conn.query_row("SELECT code FROM shop WHERE id = 1", [], |r| r.get(0))?)
}

/// Writes one movement and queues it for HQ.
#[allow(clippy::too_many_arguments)]
pub fn record_movement(
    conn: &Connection,
    shop: &str,
    article_id: Uuid,
    sku: &str,
    kind: MovementKind,
    qty: Quantity,
    reference: Option<String>,
    counted: Option<Quantity>,
) -> Result<StockMovement, ShopError> {
    let m = StockMovement {
        id: Uuid::now_v7(),
        shop: shop.into(),
        article_id,
        sku: sku.into(),
        kind,
        qty,
        reference,
        counted,
        at: now_text(),
    };
    conn.prepare_cached(
        "INSERT INTO stock_movements (id, article_id, sku, kind, qty_milli, reference, counted_milli, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        m.id.to_string(),
        article_id.to_string(),
        m.sku,
        kind.as_str(),
        qty.milli(),
        m.reference,
        counted.map(|c| c.milli()),
        m.at
    ])?;
    enqueue(conn, &Record::StockMovement(m.clone()))?;
    Ok(m)
}

/// The sale's (or return's) movements, in the ticket's own transaction: what is sold
/// leaves the stock, what is given back enters it.
pub fn record_ticket(conn: &Connection, ticket: &Ticket) -> Result<(), ShopError> {
    let kind = match ticket.kind {
        TicketKind::Sale => MovementKind::Sale,
        TicketKind::Return => MovementKind::Return,
    };
    for line in &ticket.lines {
        record_movement(
            conn,
            &ticket.shop,
            line.article_id,
            &line.sku,
            kind,
            Quantity(-line.qty.milli()),
            Some(ticket.number.clone()),
            None,
        )?;
    }
    Ok(())
}

fn level_of(conn: &Connection, article_id: &Uuid) -> Result<i64, ShopError> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(SUM(qty_milli), 0) FROM stock_movements WHERE article_id = ?")?
        .query_row([article_id.to_string()], |r| r.get(0))?)
}

/// `GET /api/v1/stock?sku=A1`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StockLevel {
    pub sku: String,
    #[schema(value_type = f64)]
    pub quantity: Quantity,
    /// Below zero: allowed, and shown.
    pub negative: bool,
}

pub fn level(conn: &Connection, sku: &str) -> Result<StockLevel, ShopError> {
    let (id, sku) = article(conn, sku, "sku")?;
    let q = level_of(conn, &id)?;
    Ok(StockLevel { sku, quantity: Quantity(q), negative: q < 0 })
}

/// Every article with movements, by SKU (the `send_stock` job's report).
pub fn levels(conn: &Connection) -> Result<Vec<StockLevel>, ShopError> {
    let mut stmt =
        conn.prepare("SELECT sku, SUM(qty_milli) FROM stock_movements GROUP BY article_id, sku ORDER BY sku")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (sku, q) = row?;
        out.push(StockLevel { sku, quantity: Quantity(q), negative: q < 0 });
    }
    Ok(out)
}

/// The `send_stock` job: every movement goes up again (HQ ignores those it has), so HQ's
/// levels match the shop's.
pub fn requeue_movements(conn: &Connection) -> Result<(usize, usize), ShopError> {
    let shop = shop_code(conn)?;
    let mut stmt = conn.prepare(
        "SELECT id, article_id, sku, kind, qty_milli, reference, counted_milli, at FROM stock_movements ORDER BY rowid",
    )?;
    // (id, article id, kind) as text, then the movement with placeholders for them.
    let rows: Vec<(String, String, String, StockMovement)> = stmt
        .query_map([], |r| {
            let m = StockMovement {
                id: Uuid::nil(),
                shop: shop.clone(),
                article_id: Uuid::nil(),
                sku: r.get(2)?,
                kind: MovementKind::Adjustment,
                qty: Quantity(r.get(4)?),
                reference: r.get(5)?,
                counted: r.get::<_, Option<i64>>(6)?.map(Quantity),
                at: r.get(7)?,
            };
            Ok((r.get(0)?, r.get(1)?, r.get(3)?, m))
        })?
        .collect::<Result<_, _>>()?;
    let n = rows.len();
    for (id, article_id, kind, mut m) in rows {
        let parse = |t: &str| Uuid::parse_str(t).map_err(|_| ShopError::Storage(format!("movement id {t}")));
        m.id = parse(&id)?;
        m.article_id = parse(&article_id)?;
        m.kind = serde_json::from_value(serde_json::Value::String(kind))
            .map_err(|e| ShopError::Storage(format!("movement {id}: {e}")))?;
        enqueue(conn, &Record::StockMovement(m))?;
    }
    Ok((n, levels(conn)?.len()))
}

/// `POST /api/v1/stock/adjustments`: a signed correction (breakage, theft found, …).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAdjustment {
    pub sku: String,
    /// Signed: positive adds to the stock.
    #[schema(value_type = f64)]
    pub qty: Quantity,
    pub reason: Option<String>,
}

pub fn adjust(conn: &Connection, input: NewAdjustment) -> Result<StockLevel, ShopError> {
    if input.qty.milli() == 0 {
        return Err(ShopError::invalid(
            "zero_adjustment",
            "qty of an adjustment cannot be 0.",
            "qty d'un ajustement ne peut pas valoir 0.",
            Some("qty"),
        ));
    }
    let reason = match input.reason {
        Some(r) => Some(comptoir_core::catalog::validate_name("reason", &r)?),
        None => None,
    };
    let (id, sku) = article(conn, &input.sku, "sku")?;
    record_movement(conn, &shop_code(conn)?, id, &sku, MovementKind::Adjustment, input.qty, reason, None)?;
    level(conn, &sku)
}

/// `POST /api/v1/stock/counts`: what was counted on the shelf.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCount {
    pub sku: String,
    #[schema(value_type = f64)]
    pub counted: Quantity,
}

pub fn count(conn: &Connection, input: NewCount) -> Result<StockLevel, ShopError> {
    if input.counted.milli() < 0 {
        return Err(ShopError::invalid(
            "negative_count",
            "counted cannot be negative: count what is on the shelf (0 when there is none).",
            "counted ne peut pas être négatif : comptez ce qui est en rayon (0 s'il n'y a rien).",
            Some("counted"),
        ));
    }
    let (id, sku) = article(conn, &input.sku, "sku")?;
    let delta = input.counted.milli() - level_of(conn, &id)?;
    // Recorded even when nothing changes: the count itself is a fact of the ledger.
    record_movement(
        conn,
        &shop_code(conn)?,
        id,
        &sku,
        MovementKind::Count,
        Quantity(delta),
        None,
        Some(input.counted),
    )?;
    level(conn, &sku)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovementView {
    pub id: String,
    pub kind: String,
    #[schema(value_type = f64)]
    pub qty: Quantity,
    pub reference: Option<String>,
    pub at: String,
}

pub fn movements(conn: &Connection, sku: &str) -> Result<Vec<MovementView>, ShopError> {
    let (id, _) = article(conn, sku, "sku")?;
    let mut stmt = conn.prepare(
        "SELECT id, kind, qty_milli, reference, at FROM stock_movements WHERE article_id = ? ORDER BY rowid",
    )?;
    let rows = stmt.query_map([id.to_string()], |r| {
        Ok(MovementView {
            id: r.get(0)?,
            kind: r.get(1)?,
            qty: Quantity(r.get(2)?),
            reference: r.get(3)?,
            at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ---------------------------------------------------------------- lines in requests

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QtyLine {
    pub sku: String,
    #[schema(value_type = f64)]
    pub qty: Quantity,
    /// Unit purchase price in cents (orders only).
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub cost: Option<Money>,
}

fn check_lines(lines: &[QtyLine], allow_zero: bool) -> Result<(), ShopError> {
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(ShopError::invalid(
            "line_count",
            format!("Give 1 to {MAX_LINES} lines."),
            format!("Donnez de 1 à {MAX_LINES} lignes."),
            Some("lines"),
        ));
    }
    for (i, l) in lines.iter().enumerate() {
        if l.qty.milli() < 0 || (!allow_zero && l.qty.milli() == 0) {
            let field = format!("lines[{i}].qty");
            return Err(ShopError::invalid(
                "not_positive",
                format!("{field} must be more than 0."),
                format!("{field} doit être supérieur à 0."),
                Some(&field),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- the chain's shops

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainShop {
    pub code: String,
    pub name: String,
}

pub fn chain_shops(conn: &Connection) -> Result<Vec<ChainShop>, ShopError> {
    let mut stmt = conn.prepare("SELECT code, name FROM chain_shops WHERE active = 1 ORDER BY code")?;
    let rows = stmt.query_map([], |r| Ok(ChainShop { code: r.get(0)?, name: r.get(1)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ---------------------------------------------------------------- transfers

/// `POST /api/v1/transfers`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTransfer {
    /// Code of the receiving shop of the chain.
    pub to: String,
    pub lines: Vec<QtyLine>,
}

fn store_transfer(conn: &Connection, t: &Transfer) -> Result<(), ShopError> {
    let state = if t.state == TransferState::Received { "received" } else { "in_transit" };
    conn.prepare_cached(
        "INSERT INTO transfers (id, from_shop, to_shop, state, body, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET state = ?4, body = ?5, updated_at = ?6",
    )?
    .execute(params![t.id.to_string(), t.from, t.to, state, to_json(t)?, now_text()])?;
    Ok(())
}

fn to_json(v: &impl Serialize) -> Result<String, ShopError> {
    serde_json::to_string(v).map_err(|e| ShopError::Storage(e.to_string()))
}

pub fn send_transfer(conn: &Connection, input: NewTransfer) -> Result<Transfer, ShopError> {
    let shop = shop_code(conn)?;
    let known: bool =
        conn.query_row("SELECT EXISTS(SELECT 1 FROM chain_shops WHERE code = ? AND active = 1)", [&input.to], |r| {
            r.get(0)
        })?;
    if !known || input.to == shop {
        return Err(if input.to == shop {
            ShopError::invalid(
                "transfer_to_self",
                "to is this shop: a transfer goes to another shop of the chain.",
                "to est cette boutique : un transfert va vers une autre boutique de l'enseigne.",
                Some("to"),
            )
        } else {
            ShopError::NotFound { what: "shop", key: input.to.clone(), field: Some("to".into()) }
        });
    }
    check_lines(&input.lines, false)?;
    let id = Uuid::now_v7();
    let mut lines = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        let (article_id, sku) = article(conn, &l.sku, &format!("lines[{i}].sku"))?;
        record_movement(
            conn,
            &shop,
            article_id,
            &sku,
            MovementKind::TransferOut,
            Quantity(-l.qty.milli()),
            Some(id.to_string()),
            None,
        )?;
        lines.push(TransferLine { article_id, sku, sent: l.qty, received: None });
    }
    let t = Transfer {
        id,
        from: shop,
        to: input.to,
        state: TransferState::InTransit,
        lines,
        sent_at: now_text(),
        received_at: None,
        differences: false,
    };
    store_transfer(conn, &t)?;
    enqueue(conn, &Record::Transfer(t.clone()))?;
    Ok(t)
}

/// `POST /api/v1/transfers/{id}/receive`: what arrived (a line left out arrived at 0).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferReceiptInput {
    pub lines: Vec<QtyLine>,
}

pub fn load_transfer(conn: &Connection, id: &str) -> Result<Option<Transfer>, ShopError> {
    let body: Option<String> =
        conn.query_row("SELECT body FROM transfers WHERE id = ?", [id], |r| r.get(0)).optional()?;
    body.map(|b| serde_json::from_str(&b).map_err(|e| ShopError::Storage(format!("transfer {id}: {e}")))).transpose()
}

pub fn receive_transfer(conn: &Connection, id: &str, input: TransferReceiptInput) -> Result<Transfer, ShopError> {
    let shop = shop_code(conn)?;
    let mut t = load_transfer(conn, id)?.filter(|t| t.to == shop).ok_or_else(|| ShopError::NotFound {
        what: "transfer",
        key: id.into(),
        field: None,
    })?;
    if t.state == TransferState::Received {
        return Err(ShopError::conflict(
            format!("Transfer {id} was already received."),
            format!("Le transfert {id} a déjà été reçu."),
            None,
        ));
    }
    check_lines(&input.lines, true)?;
    let mut got = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        let (article_id, sku) = article(conn, &l.sku, &format!("lines[{i}].sku"))?;
        if l.qty.milli() > 0 {
            record_movement(
                conn,
                &shop,
                article_id,
                &sku,
                MovementKind::TransferIn,
                l.qty,
                Some(t.id.to_string()),
                None,
            )?;
        }
        got.push(ReceivedLine { article_id, sku, qty: l.qty });
    }
    let receipt = TransferReceipt { id: Uuid::now_v7(), transfer: t.id, shop, lines: got, at: now_text() };
    // Same rule as HQ's, so both show the same slip before HQ answers.
    for line in &mut t.lines {
        let q = receipt.lines.iter().filter(|l| l.article_id == line.article_id).map(|l| l.qty.milli()).sum();
        line.received = Some(Quantity(q));
    }
    t.differences = t.lines.iter().any(|l| l.received != Some(l.sent))
        || receipt.lines.iter().any(|l| !t.lines.iter().any(|tl| tl.article_id == l.article_id));
    t.state = TransferState::Received;
    t.received_at = Some(receipt.at.clone());
    store_transfer(conn, &t)?;
    enqueue(conn, &Record::TransferReceipt(receipt))?;
    Ok(t)
}

pub fn list_transfers(conn: &Connection) -> Result<Vec<Transfer>, ShopError> {
    let mut stmt = conn.prepare("SELECT body FROM transfers ORDER BY id")?;
    let rows: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    rows.iter().map(|b| serde_json::from_str(b).map_err(|e| ShopError::Storage(e.to_string()))).collect()
}

/// A slip from HQ's feed. The sender keeps its own copy while it is in transit (HQ's
/// copy is the same); once received, HQ's copy (with the receiver's counts) wins.
pub fn apply_transfer(conn: &Connection, t: &Transfer) -> Result<(), ShopError> {
    if let Some(mine) = load_transfer(conn, &t.id.to_string())?
        && mine.state == TransferState::Received
        && t.state == TransferState::InTransit
    {
        return Ok(());
    }
    store_transfer(conn, t)
}

// ---------------------------------------------------------------- purchase orders

/// `POST /api/v1/purchase-orders` in a shop: an order delivered here.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    pub supplier: String,
    pub lines: Vec<QtyLine>,
}

fn store_order(conn: &Connection, o: &PurchaseOrder) -> Result<(), ShopError> {
    let state = serde_json::to_value(o.state).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
    conn.prepare_cached(
        "INSERT INTO purchase_orders (id, state, body, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(id) DO UPDATE SET state = ?2, body = ?3, updated_at = ?4",
    )?
    .execute(params![o.id.to_string(), state, to_json(o)?, now_text()])?;
    Ok(())
}

pub fn create_order(conn: &Connection, input: NewOrder) -> Result<PurchaseOrder, ShopError> {
    let shop = shop_code(conn)?;
    let supplier = comptoir_core::catalog::validate_name("supplier", &input.supplier)?;
    check_lines(&input.lines, false)?;
    let mut lines = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        let (article_id, sku) = article(conn, &l.sku, &format!("lines[{i}].sku"))?;
        lines.push(OrderLine { article_id, sku, ordered: l.qty, received: Quantity(0), cost: l.cost });
    }
    let o = PurchaseOrder {
        id: Uuid::now_v7(),
        shop: shop.clone(),
        supplier,
        origin: shop,
        state: OrderState::Open,
        lines,
        created_at: now_text(),
    };
    store_order(conn, &o)?;
    enqueue(conn, &Record::PurchaseOrder(o.clone()))?;
    Ok(o)
}

pub fn load_order(conn: &Connection, id: &str) -> Result<Option<PurchaseOrder>, ShopError> {
    let body: Option<String> =
        conn.query_row("SELECT body FROM purchase_orders WHERE id = ?", [id], |r| r.get(0)).optional()?;
    body.map(|b| serde_json::from_str(&b).map_err(|e| ShopError::Storage(format!("order {id}: {e}")))).transpose()
}

pub fn list_orders(conn: &Connection) -> Result<Vec<PurchaseOrder>, ShopError> {
    let mut stmt = conn.prepare("SELECT body FROM purchase_orders ORDER BY id")?;
    let rows: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    rows.iter().map(|b| serde_json::from_str(b).map_err(|e| ShopError::Storage(e.to_string()))).collect()
}

/// An order from HQ's feed; receptions made here since are kept (the shop's received
/// quantities are never behind HQ's: they are made here).
pub fn apply_order(conn: &Connection, o: &PurchaseOrder) -> Result<(), ShopError> {
    match load_order(conn, &o.id.to_string())? {
        Some(mine)
            if mine.lines.iter().map(|l| l.received.milli()).sum::<i64>()
                > o.lines.iter().map(|l| l.received.milli()).sum::<i64>() =>
        {
            Ok(())
        }
        _ => store_order(conn, o),
    }
}

/// `POST /api/v1/receptions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReception {
    /// The purchase order's id.
    pub order: String,
    pub lines: Vec<QtyLine>,
}

pub fn receive(conn: &Connection, input: NewReception) -> Result<Reception, ShopError> {
    let shop = shop_code(conn)?;
    let mut o = load_order(conn, &input.order)?.filter(|o| o.shop == shop).ok_or_else(|| ShopError::NotFound {
        what: "purchase order",
        key: input.order.clone(),
        field: Some("order".into()),
    })?;
    check_lines(&input.lines, false)?;
    let id = Uuid::now_v7();
    let mut lines = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        let (article_id, sku) = article(conn, &l.sku, &format!("lines[{i}].sku"))?;
        let (ordered, before) = o
            .lines
            .iter()
            .find(|ol| ol.article_id == article_id)
            .map(|ol| (ol.ordered, ol.received))
            .unwrap_or_default();
        let earlier: i64 =
            lines.iter().filter(|x: &&ReceptionLine| x.article_id == article_id).map(|x| x.qty.milli()).sum();
        let before = Quantity(before.milli() + earlier);
        let difference = Quantity(ordered.milli() - before.milli() - l.qty.milli());
        record_movement(conn, &shop, article_id, &sku, MovementKind::Reception, l.qty, Some(id.to_string()), None)?;
        lines.push(ReceptionLine {
            article_id,
            sku,
            qty: l.qty,
            ordered,
            received_before: before,
            difference,
            over: difference.milli() < 0,
        });
    }
    let r = Reception { id, order: o.id, shop, over: lines.iter().any(|l| l.over), lines, at: now_text() };
    // The same rule as HQ's (comptoir_hq::stock::apply_reception), applied here at once.
    for rl in &r.lines {
        match o.lines.iter_mut().find(|l| l.article_id == rl.article_id) {
            Some(l) => l.received = Quantity(l.received.milli() + rl.qty.milli()),
            None => o.lines.push(OrderLine {
                article_id: rl.article_id,
                sku: rl.sku.clone(),
                ordered: Quantity(0),
                received: rl.qty,
                cost: None,
            }),
        }
    }
    o.state =
        if o.lines.iter().all(|l| l.received >= l.ordered) { OrderState::Received } else { OrderState::PartlyReceived };
    store_order(conn, &o)?;
    conn.execute(
        "INSERT INTO receptions (id, order_id, body, at) VALUES (?, ?, ?, ?)",
        params![r.id.to_string(), o.id.to_string(), to_json(&r)?, r.at],
    )?;
    enqueue(conn, &Record::Reception(r.clone()))?;
    Ok(r)
}
