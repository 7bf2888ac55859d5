//! Selling: committing tickets (sales and returns) and reading them back.
//!
//! [`commit_ticket`] runs inside one `BEGIN IMMEDIATE` transaction (see `store`): it looks
//! up the register, the cashier and the articles, computes the amounts with the domain
//! rules, refuses a ticket in a closed period, takes the register's next sequence number
//! and the hash of its previous ticket, and writes the ticket, its lines, payments and VAT
//! rows. Either all of it is on disk when the transaction commits, or none of it.
//!
//! A ticket may carry its own `id`: posting the same id again returns the ticket already
//! committed instead of selling twice, so a register can retry safely after a timeout.

use crate::catalog::{Article, article_by_sku_and_barcode, article_for_sale, get_article, get_article_by_barcode};
use crate::error::ShopError;
use crate::staff::{get_register, get_user};
use comptoir_core::chain::{GENESIS, encode_ticket, ticket_hash};
use comptoir_core::money::mul_div_round;
use comptoir_core::ticket::{
    LineDraft, Payment, PaymentMethod, Ticket, TicketKind, TicketLine, VatLine, compute, refund_for,
};
use comptoir_core::{DomainError, Money, Quantity, TaxRate};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Most lines one ticket may have.
pub const MAX_LINES: usize = 1000;
/// Most payments one ticket may have.
pub const MAX_PAYMENTS: usize = 20;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// Optional id chosen by the register (UUIDv7 advised). Posting the same id again
    /// returns the ticket already committed: a safe retry.
    pub id: Option<Uuid>,
    /// Register code.
    pub register: String,
    /// Code of the user selling.
    pub cashier: String,
    pub lines: Vec<NewLine>,
    /// Ticket discount in cents, shared over the lines.
    #[serde(default)]
    pub discount: Money,
    #[serde(default)]
    pub payments: Vec<Payment>,
    /// The customer (id or loyalty card number): the ticket earns points by the chain's
    /// rule and may be paid with points (`loyalty`). Stored as the customer's id.
    pub customer: Option<String>,
    /// Id or number of the sale given back: makes this ticket a return, with negative
    /// quantities and negative (refund) payments.
    pub return_of: Option<String>,
    /// The card terminal's accepted payments that pay the card tenders
    /// (`POST /api/v1/terminals/{code}/payments`): each once, adding up to them.
    #[serde(default)]
    pub terminal_payments: Vec<Uuid>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub qty: Quantity,
    /// Overrides the catalog price (cents, tax included); not allowed on a return.
    pub unit_price: Option<Money>,
    /// Line discount in cents.
    #[serde(default)]
    pub discount: Money,
}

/// What a commit did: sold now, or found the same ticket already committed.
pub enum Committed {
    New(Ticket),
    Existing(Ticket),
}

/// Where and when a ticket is being committed.
pub struct Stamp<'a> {
    pub shop_code: &'a str,
    pub created_at: String,
    pub business_date: String,
}

pub fn commit_ticket(conn: &Connection, stamp: &Stamp, input: NewTicket) -> Result<Committed, ShopError> {
    commit_ticket_shared(conn, stamp, input, true)
}

/// [`commit_ticket`]; `share_customers`: queue the ticket's loyalty entries for HQ.
pub fn commit_ticket_shared(
    conn: &Connection,
    stamp: &Stamp,
    input: NewTicket,
    share_customers: bool,
) -> Result<Committed, ShopError> {
    commit_ticket_approved(conn, stamp, input, share_customers, Discounts::Enforce)
}

/// Whether a cashier's discounts above the shop's limit (`till::discount_limit`) are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discounts<'a> {
    /// Refused without a manager's approval.
    Enforce,
    /// Approved by this manager (whose PIN the caller checked).
    ApprovedBy(&'a str),
    /// Not checked: a preview, which commits nothing.
    Unchecked,
}

/// [`commit_ticket_shared`] with a manager's approval of the discounts, or none.
pub fn commit_ticket_approved(
    conn: &Connection,
    stamp: &Stamp,
    input: NewTicket,
    share_customers: bool,
    discounts: Discounts,
) -> Result<Committed, ShopError> {
    if let Some(id) = input.id
        && let Some(existing) = load_ticket(conn, &id.to_string())?
    {
        // A retry carries the same content; a different ticket reusing the id is a bug
        // the register must hear about, not a sale to drop silently.
        let same = existing.register == input.register
            && existing.cashier == input.cashier
            && existing.lines.len() >= input.lines.len()
            && existing.payments.len() == input.payments.len()
            && existing.payments.iter().zip(&input.payments).all(|(a, b)| a == b);
        if !same {
            return Err(ShopError::IdReused { id: id.to_string(), number: existing.number });
        }
        return Ok(Committed::Existing(existing));
    }
    if input.lines.len() > MAX_LINES {
        return Err(ShopError::invalid(
            "too_many_lines",
            format!("A ticket has at most {MAX_LINES} lines; split it."),
            format!("Un ticket a au plus {MAX_LINES} lignes ; scindez-le."),
            Some("lines"),
        ));
    }
    if input.payments.len() > MAX_PAYMENTS {
        return Err(ShopError::invalid(
            "too_many_payments",
            format!("A ticket has at most {MAX_PAYMENTS} payments."),
            format!("Un ticket a au plus {MAX_PAYMENTS} paiements."),
            Some("payments"),
        ));
    }
    let register = get_register(conn, &input.register)?.ok_or_else(|| ShopError::NotFound {
        what: "register",
        key: input.register.clone(),
        field: Some("register".into()),
    })?;
    if !register.active {
        return Err(ShopError::Inactive { what: "register", key: register.code, field: Some("register".into()) });
    }
    let cashier = get_user(conn, &input.cashier)?.ok_or_else(|| ShopError::NotFound {
        what: "user",
        key: input.cashier.clone(),
        field: Some("cashier".into()),
    })?;
    if !cashier.active {
        return Err(ShopError::Inactive { what: "user", key: cashier.code, field: Some("cashier".into()) });
    }
    if !crate::staff::may_use_register(conn, &cashier.code, &register.code)? {
        return Err(crate::staff::not_at_this_register(&cashier.code, &register.code));
    }
    let mut customer = match input.customer.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => {
            let found = crate::customers::resolve(conn, c)?.filter(|b| !b.erased);
            let found = found.ok_or_else(|| ShopError::NotFound {
                what: "customer",
                key: c.chars().take(64).collect(),
                field: Some("customer".into()),
            })?;
            Some(found.id.to_string())
        }
        _ => None,
    };
    // The first ticket of a new business day closes the days, month and year before it.
    if discounts != Discounts::Unchecked {
        crate::closures::close_due(conn, stamp.shop_code, &stamp.created_at, &stamp.business_date, &register.code)?;
    }
    if let Some(period) = closed_period(conn, &register.code, &stamp.business_date)? {
        return Err(ShopError::ClosedPeriod { register: register.code, period });
    }

    let (kind, mut drafts, return_of) = match input.return_of.as_deref() {
        None => (TicketKind::Sale, sale_lines(conn, &input.lines)?, None),
        Some(key) => {
            let original = find_ticket(conn, key)?.ok_or_else(|| ShopError::NotFound {
                what: "ticket",
                key: key.into(),
                field: Some("return_of".into()),
            })?;
            if original.kind != TicketKind::Sale {
                return Err(ShopError::NotASale { key: key.into() });
            }
            if customer.is_none()
                && let Some(c) = &original.customer
            {
                // The sale's customer, followed to the record it was merged into since.
                customer = crate::customers::resolve(conn, c)?.map(|b| b.id.to_string()).or(Some(c.clone()));
            }
            (TicketKind::Return, return_lines(conn, &original, &input.lines)?, Some(original.id))
        }
    };
    // Offers apply to a sale with an identified customer, on lines the register did not discount.
    let offers = match (&customer, kind) {
        (Some(c), TicketKind::Sale) => crate::offers::apply(conn, c, &stamp.business_date, &mut drafts)?,
        _ => Vec::new(),
    };
    let computed = compute(kind, &drafts, input.discount, &input.payments)?;
    if kind == TicketKind::Sale && cashier.role == comptoir_core::catalog::Role::Cashier {
        let share = crate::till::discount_share_bp(&computed, &offers);
        match (crate::till::discount_limit(conn)?, discounts) {
            (Some(limit), Discounts::Enforce) if share > i64::from(limit) => {
                return Err(crate::till::approval_needed(share, limit));
            }
            (Some(limit), Discounts::ApprovedBy(manager)) if share > i64::from(limit) => {
                crate::shop::journal(
                    conn,
                    "discount_approved",
                    Some(manager),
                    &format!("{} {share} bp", input.register),
                )?;
            }
            _ => {}
        }
    }
    let customer_id = customer.as_deref().and_then(|c| Uuid::parse_str(c).ok());
    let redeemed = crate::loyalty::check_redemption(conn, customer_id.as_ref(), &computed.payments, kind)?;

    let last: Option<(i64, String)> = conn
        .prepare_cached("SELECT sequence, hash FROM tickets WHERE register = ? ORDER BY sequence DESC LIMIT 1")?
        .query_row([&register.code], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (sequence, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    let mut ticket = Ticket {
        id: input.id.unwrap_or_else(Uuid::now_v7),
        number: format!("{}-{}-{:06}", stamp.shop_code, register.code, sequence),
        shop: stamp.shop_code.to_string(),
        register: register.code,
        sequence,
        kind,
        created_at: stamp.created_at.clone(),
        business_date: stamp.business_date.clone(),
        cashier: cashier.code,
        customer,
        return_of,
        lines: computed.lines,
        discount: computed.discount,
        payments: computed.payments,
        vat: computed.vat,
        total: computed.total,
        change: computed.change,
        prev_hash,
        hash: String::new(),
        offers,
        signature: None,
    };
    ticket.hash = ticket_hash(&ticket);
    ticket.signature = Some(crate::fiscal::sign(conn, encode_ticket(&ticket).as_bytes())?);
    insert_ticket(conn, &ticket)?;
    if !input.terminal_payments.is_empty() {
        let card: Money = ticket.payments.iter().filter(|p| p.method == PaymentMethod::Card).map(|p| p.amount).sum();
        crate::terminal::attach(conn, &ticket.id.to_string(), card, &input.terminal_payments)?;
    }
    if let Some(c) = &customer_id {
        crate::loyalty::record_ticket(conn, &ticket, c, redeemed, share_customers)?;
    }
    // Same transaction: the ticket and its way to HQ are written together or not at all.
    crate::sync::outbox::enqueue(conn, &comptoir_protocol::Record::Ticket(ticket.clone()))?;
    // Same transaction again: what is sold or given back moves the stock ledger.
    crate::stock::record_ticket(conn, &ticket)?;
    Ok(Committed::New(ticket))
}

fn sale_lines(conn: &Connection, lines: &[NewLine]) -> Result<Vec<LineDraft>, ShopError> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let field = format!("lines[{i}]");
            let a = article_for_sale(conn, l.sku.as_deref(), l.barcode.as_deref(), &field)?;
            Ok(LineDraft {
                article_id: a.id,
                sku: a.sku,
                name: a.name,
                tax_rate: TaxRate(a.tax_rate_bp),
                unit_price: l.unit_price.unwrap_or(a.price),
                qty: l.qty,
                discount: l.discount,
            })
        })
        .collect()
}

/// Builds the lines of a return from the original sale: each unit given back is refunded
/// at what it was actually paid (its line's total, discounts included), and never more
/// units than were sold, counting every earlier return of that sale.
fn return_lines(conn: &Connection, original: &Ticket, lines: &[NewLine]) -> Result<Vec<LineDraft>, ShopError> {
    // Units already given back per article, by earlier returns and earlier lines of this one.
    let mut given_back: HashMap<Uuid, i64> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT l.article_id, -SUM(l.qty_milli) FROM tickets t JOIN ticket_lines l ON l.ticket_id = t.id
         WHERE t.return_of = ? GROUP BY l.article_id",
    )?;
    let rows = stmt.query_map([original.id.to_string()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (id, qty) = row?;
        if let Ok(id) = Uuid::parse_str(&id) {
            given_back.insert(id, qty);
        }
    }

    let mut drafts = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let field = format!("lines[{i}]");
        if l.unit_price.is_some() || l.discount != Money::ZERO {
            return Err(ShopError::invalid(
                "return_price_given",
                "A return is refunded at the price paid on the original ticket: leave unit_price and discount out.",
                "Un retour est remboursé au prix payé sur le ticket d'origine : ne donnez ni unit_price ni discount.",
                Some(&field),
            ));
        }
        if l.qty.milli() >= 0 {
            return Err(if l.qty.milli() == 0 {
                DomainError::ZeroQuantity { line: i }
            } else {
                DomainError::PositiveQuantityInReturn { line: i }
            }
            .into());
        }
        let article = returned_article(conn, l, &field)?;
        let asked = -l.qty.milli();
        let sold_lines: Vec<&TicketLine> = original.lines.iter().filter(|ol| ol.article_id == article.id).collect();
        let sold: i64 = sold_lines.iter().map(|ol| ol.qty.milli()).sum();
        let already = given_back.get(&article.id).copied().unwrap_or(0);
        if already + asked > sold {
            return Err(DomainError::ReturnExceedsSold {
                field: format!("{field}.qty"),
                sku: article.sku.clone(),
                sold: Quantity(sold),
                returned: Quantity(already),
                asked: Quantity(asked),
            }
            .into());
        }
        // Earlier units fill the original lines in order; this return takes what is left.
        let mut consumed = already;
        let mut left = asked;
        for ol in sold_lines {
            let line_returned = consumed.clamp(0, ol.qty.milli());
            consumed -= line_returned;
            let take = left.min(ol.qty.milli() - line_returned);
            if take <= 0 {
                continue;
            }
            left -= take;
            let refund = refund_for(ol, Quantity(line_returned), Quantity(take));
            let gross = Money(mul_div_round(ol.unit_price.cents(), -take, 1000));
            drafts.push(LineDraft {
                article_id: ol.article_id,
                sku: ol.sku.clone(),
                name: ol.name.clone(),
                tax_rate: ol.tax_rate_bp,
                unit_price: ol.unit_price,
                qty: Quantity(-take),
                discount: gross + refund,
            });
            if left == 0 {
                break;
            }
        }
        *given_back.entry(article.id).or_default() += asked;
    }
    Ok(drafts)
}

/// The article a return line names; deactivated articles can still be given back.
fn returned_article(conn: &Connection, l: &NewLine, field: &str) -> Result<Article, ShopError> {
    match (l.sku.as_deref(), l.barcode.as_deref()) {
        (Some(s), Some(b)) => article_by_sku_and_barcode(conn, s, b, field)?.ok_or_else(|| ShopError::NotFound {
            what: "article",
            key: s.into(),
            field: Some(format!("{field}.sku")),
        }),
        (Some(s), None) => get_article(conn, s)?.ok_or_else(|| ShopError::NotFound {
            what: "article",
            key: s.into(),
            field: Some(format!("{field}.sku")),
        }),
        (None, Some(b)) => get_article_by_barcode(conn, b)?.ok_or_else(|| ShopError::NotFound {
            what: "barcode",
            key: b.into(),
            field: Some(format!("{field}.barcode")),
        }),
        (None, None) => article_for_sale(conn, None, None, field),
    }
}

/// The closed period a business date falls in for a register, if any.
pub fn closed_period(conn: &Connection, register: &str, business_date: &str) -> Result<Option<String>, ShopError> {
    let month: String = business_date.chars().take(7).collect();
    let year = comptoir_core::closure::fiscal_year_of(business_date, crate::closures::year_start_month(conn)?);
    Ok(conn
        .prepare_cached(
            "SELECT period FROM closures WHERE register = ?1 AND (
                (kind = 'day' AND period >= ?2) OR (kind = 'month' AND period >= ?3) OR (kind = 'year' AND period >= ?4))
             ORDER BY sequence DESC LIMIT 1",
        )?
        .query_row(params![register, business_date, month, year], |r| r.get(0))
        .optional()?)
}

fn insert_ticket(conn: &Connection, t: &Ticket) -> Result<(), ShopError> {
    let id = t.id.to_string();
    conn.prepare_cached(
        "INSERT INTO tickets (id, number, shop, register, sequence, kind, created_at, business_date, cashier,
         customer, return_of, discount, total, change, prev_hash, hash, signature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        id,
        t.number,
        t.shop,
        t.register,
        t.sequence,
        t.kind.as_str(),
        t.created_at,
        t.business_date,
        t.cashier,
        t.customer,
        t.return_of.map(|u| u.to_string()),
        t.discount.cents(),
        t.total.cents(),
        t.change.cents(),
        t.prev_hash,
        t.hash,
        t.signature
    ])?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO ticket_lines (ticket_id, idx, article_id, sku, name, qty_milli, unit_price, tax_rate_bp, discount, total)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?;
    for (i, l) in t.lines.iter().enumerate() {
        stmt.execute(params![
            id,
            i as i64,
            l.article_id.to_string(),
            l.sku,
            l.name,
            l.qty.milli(),
            l.unit_price.cents(),
            l.tax_rate_bp.bp(),
            l.discount.cents(),
            l.total.cents()
        ])?;
    }
    let mut stmt =
        conn.prepare_cached("INSERT INTO ticket_payments (ticket_id, idx, method, amount) VALUES (?, ?, ?, ?)")?;
    for (i, p) in t.payments.iter().enumerate() {
        stmt.execute(params![id, i as i64, p.method.as_str(), p.amount.cents()])?;
    }
    let mut stmt =
        conn.prepare_cached("INSERT INTO ticket_vat (ticket_id, rate_bp, gross, net, vat) VALUES (?, ?, ?, ?, ?)")?;
    for v in &t.vat {
        stmt.execute(params![id, v.rate_bp.bp(), v.gross.cents(), v.net.cents(), v.vat.cents()])?;
    }
    crate::offers::record(conn, &id, &t.offers)?;
    Ok(())
}

fn corrupt(what: &str, value: &str) -> ShopError {
    ShopError::Storage(format!("unreadable {what} {value:?} in the database"))
}

fn parse_uuid(text: &str) -> Result<Uuid, ShopError> {
    Uuid::parse_str(text).map_err(|_| corrupt("id", text))
}

const TICKET_COLUMNS: &str = "id, number, shop, register, sequence, kind, created_at, business_date, cashier, customer,
     return_of, discount, total, change, prev_hash, hash, signature";

fn ticket_from_row(conn: &Connection, r: &rusqlite::Row) -> Result<Ticket, ShopError> {
    let id: String = r.get(0)?;
    let kind: String = r.get(5)?;
    let return_of: Option<String> = r.get(10)?;
    let mut t = Ticket {
        id: parse_uuid(&id)?,
        number: r.get(1)?,
        shop: r.get(2)?,
        register: r.get(3)?,
        sequence: r.get(4)?,
        kind: TicketKind::parse(&kind).ok_or_else(|| corrupt("ticket kind", &kind))?,
        created_at: r.get(6)?,
        business_date: r.get(7)?,
        cashier: r.get(8)?,
        customer: r.get(9)?,
        return_of: return_of.as_deref().map(parse_uuid).transpose()?,
        lines: Vec::new(),
        discount: Money(r.get(11)?),
        payments: Vec::new(),
        vat: Vec::new(),
        total: Money(r.get(12)?),
        change: Money(r.get(13)?),
        prev_hash: r.get(14)?,
        hash: r.get(15)?,
        offers: Vec::new(),
        signature: r.get(16)?,
    };
    let mut stmt = conn.prepare_cached(
        "SELECT article_id, sku, name, qty_milli, unit_price, tax_rate_bp, discount, total
         FROM ticket_lines WHERE ticket_id = ? ORDER BY idx",
    )?;
    let mut rows = stmt.query([&id])?;
    while let Some(r) = rows.next()? {
        let article: String = r.get(0)?;
        t.lines.push(TicketLine {
            article_id: parse_uuid(&article)?,
            sku: r.get(1)?,
            name: r.get(2)?,
            qty: Quantity(r.get(3)?),
            unit_price: Money(r.get(4)?),
            tax_rate_bp: TaxRate(r.get(5)?),
            discount: Money(r.get(6)?),
            total: Money(r.get(7)?),
        });
    }
    let mut stmt =
        conn.prepare_cached("SELECT method, amount FROM ticket_payments WHERE ticket_id = ? ORDER BY idx")?;
    let mut rows = stmt.query([&id])?;
    while let Some(r) = rows.next()? {
        let method: String = r.get(0)?;
        t.payments.push(Payment {
            method: PaymentMethod::parse(&method).ok_or_else(|| corrupt("payment method", &method))?,
            amount: Money(r.get(1)?),
        });
    }
    let mut stmt =
        conn.prepare_cached("SELECT rate_bp, gross, net, vat FROM ticket_vat WHERE ticket_id = ? ORDER BY rate_bp")?;
    let mut rows = stmt.query([&id])?;
    while let Some(r) = rows.next()? {
        t.vat.push(VatLine {
            rate_bp: TaxRate(r.get(0)?),
            gross: Money(r.get(1)?),
            net: Money(r.get(2)?),
            vat: Money(r.get(3)?),
        });
    }
    t.offers = crate::offers::applied_to(conn, &id)?;
    Ok(t)
}

pub fn load_ticket(conn: &Connection, id: &str) -> Result<Option<Ticket>, ShopError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?"))?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(r) => Ok(Some(ticket_from_row(conn, r)?)),
        None => Ok(None),
    }
}

/// A ticket by id or by number.
pub fn find_ticket(conn: &Connection, key: &str) -> Result<Option<Ticket>, ShopError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?1 OR number = ?1"))?;
    let mut rows = stmt.query([key])?;
    match rows.next()? {
        Some(r) => Ok(Some(ticket_from_row(conn, r)?)),
        None => Ok(None),
    }
}

/// What a ticket search asks: a business day, a register, text found in the number; any
/// left out matches every ticket.
#[derive(Debug, Clone, Default)]
pub struct TicketSearch {
    pub date: Option<String>,
    pub register: Option<String>,
    pub number: Option<String>,
}

/// The newest tickets matching `search`, at most `limit` (1 to 1000), newest first.
pub fn search_tickets(conn: &Connection, search: &TicketSearch, limit: usize) -> Result<Vec<Ticket>, ShopError> {
    let pattern = search.number.as_deref().map(|n| format!("%{}%", n.replace(['%', '_'], "")));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets
         WHERE (?1 IS NULL OR business_date = ?1) AND (?2 IS NULL OR register = ?2) AND (?3 IS NULL OR number LIKE ?3)
         ORDER BY rowid DESC LIMIT ?4"
    ))?;
    let mut rows = stmt.query(params![search.date, search.register, pattern, limit.clamp(1, 1000) as i64])?;
    let mut items = Vec::new();
    while let Some(r) = rows.next()? {
        items.push(ticket_from_row(conn, r)?);
    }
    Ok(items)
}

/// A page of tickets, oldest first; `after` is the `next` cursor of the previous page.
pub fn list_tickets(
    conn: &Connection,
    register: Option<&str>,
    after: Option<i64>,
    limit: usize,
) -> Result<(Vec<Ticket>, Option<i64>), ShopError> {
    let limit = limit.clamp(1, 1000);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TICKET_COLUMNS}, rowid FROM tickets WHERE (?1 IS NULL OR register = ?1) AND rowid > ?2
         ORDER BY rowid LIMIT ?3"
    ))?;
    let mut rows = stmt.query(params![register, after.unwrap_or(0), (limit + 1) as i64])?;
    let mut items = Vec::new();
    let mut cursors = Vec::new();
    while let Some(r) = rows.next()? {
        cursors.push(r.get::<_, i64>(17)?);
        items.push(ticket_from_row(conn, r)?);
    }
    let next = if items.len() > limit {
        items.truncate(limit);
        cursors.get(limit - 1).copied()
    } else {
        None
    };
    Ok((items, next))
}

/// The tickets of a register after a sequence number, in order, handed one at a time to
/// `f` until it returns `false`.
pub fn for_each_ticket_after(
    conn: &Connection,
    register: &str,
    after_sequence: i64,
    mut f: impl FnMut(Ticket) -> Result<bool, ShopError>,
) -> Result<(), ShopError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE register = ? AND sequence > ? ORDER BY sequence"
    ))?;
    let mut rows = stmt.query(params![register, after_sequence])?;
    while let Some(r) = rows.next()? {
        if !f(ticket_from_row(conn, r)?)? {
            break;
        }
    }
    Ok(())
}

/// Every ticket committed in `[from, to)` (UTC instants), by register and sequence.
pub fn for_each_ticket_created_between(
    conn: &Connection,
    from: &str,
    to: &str,
    mut f: impl FnMut(Ticket) -> Result<(), ShopError>,
) -> Result<(), ShopError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE created_at >= ? AND created_at < ? ORDER BY register, sequence"
    ))?;
    let mut rows = stmt.query(params![from, to])?;
    while let Some(r) = rows.next()? {
        f(ticket_from_row(conn, r)?)?;
    }
    Ok(())
}
