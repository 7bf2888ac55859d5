//! Offers and messages from HQ at the shop: both arrive through the feed and are read from
//! the shop's own database, so a register never waits for HQ to sell (after a failed call
//! to HQ the sync agent waits its back-off; the register API is not concerned).
//!
//! Offer rules, applied by [`apply`] when a sale names a customer:
//! - an offer applies between its first and last day (the shop's business day), when
//!   active, to everyone, to the customers of its group, or to its one customer;
//! - it targets an article (SKU) or a category; on each line the register left without a
//!   discount, the applying offer giving the largest discount wins: a percentage of the
//!   line's gross (rounded half away from zero) or an amount per unit × quantity, never
//!   more than the line's gross;
//! - the discount becomes the line's discount and the offer is recorded on the ticket
//!   (`offers`, part of its hash).
//!
//! Messages: every message for the shop or for the register, not yet acknowledged by that
//! register, is pending; the register asks at opening, closing, closure and between
//! tickets, and acknowledges each (the acknowledgement goes up to HQ).

use crate::error::ShopError;
use crate::store::now_text;
use comptoir_core::Money;
use comptoir_core::money::mul_div_round;
use comptoir_core::ticket::{AppliedOffer, LineDraft};
use comptoir_protocol::{CustomerBody, MessageAckBody, MessageBody, OfferBody, Record};
use rusqlite::{Connection, params};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub fn apply_offer(conn: &Connection, o: &OfferBody) -> Result<(), ShopError> {
    let body = serde_json::to_string(o).map_err(|e| ShopError::Storage(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO offers (id, active, first_day, last_day, body) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(id) DO UPDATE SET active = ?2, first_day = ?3, last_day = ?4, body = ?5",
    )?
    .execute(params![o.id.to_string(), o.active, o.from, o.to, body])?;
    Ok(())
}

/// The offers that apply to `customer` on `day`.
pub fn applying(conn: &Connection, customer: &CustomerBody, day: &str) -> Result<Vec<OfferBody>, ShopError> {
    let mut stmt = conn.prepare_cached(
        "SELECT body FROM offers WHERE active = 1 AND first_day <= ?1 AND last_day >= ?1 ORDER BY id",
    )?;
    let bodies: Vec<String> = stmt.query_map([day], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for b in bodies {
        let Ok(o) = serde_json::from_str::<OfferBody>(&b) else { continue };
        let audience = match (&o.group, &o.customer) {
            (_, Some(c)) => *c == customer.id,
            (Some(g), None) => customer.group.as_deref() == Some(g.as_str()),
            (None, None) => true,
        };
        if audience {
            out.push(o);
        }
    }
    Ok(out)
}

fn discount_of(o: &OfferBody, line: &LineDraft) -> Money {
    let gross = mul_div_round(line.unit_price.cents(), line.qty.milli(), 1000);
    let off = match (o.percent_bp, o.amount) {
        (Some(bp), _) => mul_div_round(gross, bp as i64, 10_000),
        (None, Some(a)) => mul_div_round(a.cents(), line.qty.milli(), 1000),
        (None, None) => 0,
    };
    Money(off.clamp(0, gross.max(0)))
}

/// Applies the offers of the ticket's customer (`customer`: its id) to `lines`.
pub fn apply(
    conn: &Connection,
    customer: &str,
    day: &str,
    lines: &mut [LineDraft],
) -> Result<Vec<AppliedOffer>, ShopError> {
    let Some(c) = crate::customers::load_body(conn, customer)? else { return Ok(Vec::new()) };
    let offers = applying(conn, &c, day)?;
    if offers.is_empty() {
        return Ok(Vec::new());
    }
    let mut category = conn.prepare_cached("SELECT category FROM articles WHERE id = ?")?;
    let mut applied = Vec::new();
    for (i, line) in lines.iter_mut().enumerate() {
        if line.discount != Money::ZERO {
            continue;
        }
        let cat: Option<String> = category.query_row([line.article_id.to_string()], |r| r.get(0)).unwrap_or(None);
        let best = offers
            .iter()
            .filter(|o| match (&o.article, &o.category) {
                (Some(sku), _) => *sku == line.sku,
                (None, Some(code)) => cat.as_deref() == Some(code.as_str()),
                (None, None) => false,
            })
            .map(|o| (discount_of(o, line), o))
            .filter(|(d, _)| *d > Money::ZERO)
            .max_by_key(|(d, _)| *d);
        if let Some((d, o)) = best {
            line.discount = d;
            applied.push(AppliedOffer { line: i, offer: o.id, name: o.name.clone(), discount: d });
        }
    }
    Ok(applied)
}

pub fn record(conn: &Connection, ticket: &str, offers: &[AppliedOffer]) -> Result<(), ShopError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO ticket_offers (ticket_id, idx, line, offer, name, discount) VALUES (?, ?, ?, ?, ?, ?)",
    )?;
    for (i, o) in offers.iter().enumerate() {
        stmt.execute(params![ticket, i as i64, o.line as i64, o.offer.to_string(), o.name, o.discount.cents()])?;
    }
    Ok(())
}

pub fn applied_to(conn: &Connection, ticket: &str) -> Result<Vec<AppliedOffer>, ShopError> {
    let mut stmt =
        conn.prepare_cached("SELECT line, offer, name, discount FROM ticket_offers WHERE ticket_id = ? ORDER BY idx")?;
    let rows = stmt.query_map([ticket], |r| {
        let offer: String = r.get(1)?;
        Ok(AppliedOffer {
            line: r.get::<_, i64>(0)? as usize,
            offer: Uuid::parse_str(&offer).unwrap_or_default(),
            name: r.get(2)?,
            discount: Money(r.get(3)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ---------------------------------------------------------------- messages

pub fn apply_message(conn: &Connection, m: &MessageBody) -> Result<(), ShopError> {
    conn.prepare_cached("INSERT OR IGNORE INTO messages (id, register, text, created_at) VALUES (?, ?, ?, ?)")?
        .execute(params![m.id.to_string(), m.register, m.text, m.created_at])?;
    Ok(())
}

/// When a register asks for its messages.
pub const MOMENTS: [&str; 4] = ["opening", "closing", "closure", "between_tickets"];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Message {
    pub id: Uuid,
    pub text: String,
    /// `None`: for every register of the shop.
    pub register: Option<String>,
    pub created_at: String,
}

/// The messages `register` has not acknowledged, oldest first.
pub fn pending(conn: &Connection, register: &str) -> Result<Vec<Message>, ShopError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, text, register, created_at FROM messages m
         WHERE (register IS NULL OR register = ?1)
           AND NOT EXISTS (SELECT 1 FROM message_acks a WHERE a.message = m.id AND a.register = ?1)
         ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([register], |r| {
        let id: String = r.get(0)?;
        Ok(Message {
            id: Uuid::parse_str(&id).unwrap_or_default(),
            text: r.get(1)?,
            register: r.get(2)?,
            created_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records that `register` read message `id` (once; again is harmless) and queues it for HQ.
pub fn acknowledge(conn: &Connection, shop: &str, register: &str, id: &str, user: &str) -> Result<(), ShopError> {
    let known: Option<Option<String>> =
        conn.prepare_cached("SELECT register FROM messages WHERE id = ?")?.query_row([id], |r| r.get(0)).ok();
    match known {
        Some(None) => {}
        Some(Some(r)) if r == register => {}
        _ => return Err(ShopError::NotFound { what: "message", key: id.chars().take(64).collect(), field: None }),
    }
    let ack = MessageAckBody {
        id: Uuid::now_v7(),
        message: Uuid::parse_str(id).unwrap_or_default(),
        shop: shop.into(),
        register: register.into(),
        user: user.into(),
        at: now_text(),
    };
    let n = conn
        .prepare_cached("INSERT OR IGNORE INTO message_acks (id, message, register, user, at) VALUES (?, ?, ?, ?, ?)")?
        .execute(params![ack.id.to_string(), id, register, user, ack.at])?;
    if n > 0 {
        crate::sync::outbox::enqueue(conn, &Record::MessageAck(ack))?;
    }
    Ok(())
}
