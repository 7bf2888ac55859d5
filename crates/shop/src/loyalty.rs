//! Loyalty points at the shop: a ledger of entries, the balance is their sum.
//!
//! A ticket with a customer earns points by the chain's rule (sent down by HQ, kept in
//! `customer_state`) on the part not paid with points, and a `loyalty` payment redeems
//! points; both entries are written in the ticket's transaction and queued for HQ. A
//! redemption above the balance this shop knows is refused: offline, that balance may miss
//! what other shops spent meanwhile, which is why HQ watches for overdrawn customers
//! (docs/customers.md, "Double spending").

use crate::error::ShopError;
use crate::store::now_text;
use comptoir_core::customer::LoyaltyRule;
use comptoir_core::ticket::{PaymentMethod, Ticket, TicketKind};
use comptoir_core::{DomainError, Money};
use comptoir_protocol::{LoyaltyEntryBody, LoyaltyKind, Record};
use rusqlite::{Connection, params};
use uuid::Uuid;

pub fn rule(conn: &Connection) -> Result<LoyaltyRule, ShopError> {
    Ok(conn.query_row("SELECT points_per_euro, cents_per_point FROM customer_state WHERE id = 1", [], |r| {
        Ok(LoyaltyRule { points_per_euro: r.get(0)?, cents_per_point: r.get(1)? })
    })?)
}

pub fn set_rule(conn: &Connection, rule: &LoyaltyRule) -> Result<(), ShopError> {
    conn.execute(
        "UPDATE customer_state SET points_per_euro = ?, cents_per_point = ? WHERE id = 1",
        params![rule.points_per_euro, rule.cents_per_point],
    )?;
    Ok(())
}

/// The balance of a customer and of the records merged into it.
pub fn balance(conn: &Connection, customer: &Uuid) -> Result<i64, ShopError> {
    let id = customer.to_string();
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(points), 0) FROM loyalty_entries
             WHERE customer = ?1 OR customer IN (SELECT id FROM customers WHERE merged_into = ?1)",
        )?
        .query_row([id], |r| r.get(0))?)
}

/// Stores an entry (ignored when held: HQ sends every entry back down).
pub fn insert(conn: &Connection, e: &LoyaltyEntryBody) -> Result<bool, ShopError> {
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO loyalty_entries (id, customer, shop, kind, points, ticket, at, note)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )?
        .execute(params![
            e.id.to_string(),
            e.customer.to_string(),
            e.shop,
            e.kind.as_str(),
            e.points,
            e.ticket.map(|t| t.to_string()),
            e.at,
            e.note
        ])?;
    Ok(n > 0)
}

/// The points a ticket's loyalty payments use, refused above `balance`.
pub fn check_redemption(
    conn: &Connection,
    customer: Option<&Uuid>,
    payments: &[comptoir_core::ticket::Payment],
    kind: TicketKind,
) -> Result<i64, ShopError> {
    let rule = rule(conn)?;
    let mut points = 0;
    let mut last_index = None;
    for (i, p) in payments.iter().enumerate() {
        if p.method == PaymentMethod::Loyalty {
            points += rule.points_for_payment(p.amount);
            last_index = Some(i);
        }
    }
    let Some(index) = last_index else { return Ok(0) };
    let Some(customer) = customer else {
        return Err(ShopError::invalid(
            "loyalty_without_customer",
            "A loyalty payment needs the ticket's customer: identify the customer (customer) first.",
            "Un paiement en points de fidélité demande le client du ticket : identifiez d'abord le client (customer).",
            Some(&format!("payments[{index}].method")),
        ));
    };
    if kind == TicketKind::Sale {
        let balance = balance(conn, customer)?;
        if points > balance {
            return Err(DomainError::LoyaltyBalanceExceeded {
                field: format!("payments[{index}].amount"),
                balance,
                asked: points,
            }
            .into());
        }
    }
    Ok(points)
}

/// Writes the entries of a committed ticket (redeemed, then earned) and queues them.
pub fn record_ticket(
    conn: &Connection,
    t: &Ticket,
    customer: &Uuid,
    redeemed: i64,
    share: bool,
) -> Result<(), ShopError> {
    let rule = rule(conn)?;
    let paid_in_points: Money =
        t.payments.iter().filter(|p| p.method == PaymentMethod::Loyalty).map(|p| p.amount).sum();
    let earned = rule.points_earned(t.total - paid_in_points);
    let mut entries = Vec::new();
    if redeemed != 0 {
        entries.push((LoyaltyKind::Redeem, -redeemed));
    }
    if earned != 0 {
        entries.push((LoyaltyKind::Earn, earned));
    }
    for (kind, points) in entries {
        let e = LoyaltyEntryBody {
            id: Uuid::now_v7(),
            customer: *customer,
            shop: t.shop.clone(),
            kind,
            points,
            ticket: Some(t.id),
            at: now_text(),
            note: t.number.clone(),
        };
        insert(conn, &e)?;
        if share {
            crate::sync::outbox::enqueue(conn, &Record::LoyaltyEntry(e))?;
        }
    }
    Ok(())
}

/// A customer's entries, newest first.
pub fn entries(conn: &Connection, customer: &Uuid) -> Result<Vec<LoyaltyEntryBody>, ShopError> {
    let id = customer.to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT id, customer, shop, kind, points, ticket, at, note FROM loyalty_entries
         WHERE customer = ?1 OR customer IN (SELECT id FROM customers WHERE merged_into = ?1) ORDER BY at DESC, id DESC",
    )?;
    let rows = stmt.query_map([id], |r| {
        let parse = |s: String| Uuid::parse_str(&s).unwrap_or_default();
        let kind: String = r.get(3)?;
        Ok(LoyaltyEntryBody {
            id: parse(r.get(0)?),
            customer: parse(r.get(1)?),
            shop: r.get(2)?,
            kind: LoyaltyKind::parse(&kind).unwrap_or(LoyaltyKind::Adjust),
            points: r.get(4)?,
            ticket: r.get::<_, Option<String>>(5)?.map(parse),
            at: r.get(6)?,
            note: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
