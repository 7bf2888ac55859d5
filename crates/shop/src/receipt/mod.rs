//! The receipt: one model, built from a committed ticket as the store holds it (never from
//! what a browser shows), rendered three ways from the same model: ESC/POS bytes
//! ([`escpos`]), an 80 mm HTML page ([`html`]) and plain text ([`text`]).
//!
//! What a French receipt carries, all of it here: the shop's legal name, address, SIRET and
//! VAT number ([`Identity`]), the ticket's number, date and time (in the shop's time zone),
//! register and cashier, each line (quantity, unit price, amount, VAT code), discounts and
//! offers, the VAT breakdown per rate (net, VAT, gross), the total, each tender and the
//! change, the customer's points, the software's name and version and a short excerpt of
//! the ticket's hash. A return prints as a return (its title, the sale it gives back,
//! negative amounts, "Remboursement"). A reprint says "DUPLICATA n° N" ([`Copy`]).
//!
//! [`build`] decides (pure); [`load`] reads the facts it needs from the store.

pub mod escpos;
pub mod html;
pub mod mail;
pub mod text;

use crate::error::ShopError;
use comptoir_core::Money;
use comptoir_core::ticket::{PaymentMethod, Ticket, TicketKind};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// The software named on every receipt.
pub const SOFTWARE: &str = concat!("Comptoir ", env!("CARGO_PKG_VERSION"));

/// The shop's legal identity, printed at the top of each receipt (its rules:
/// [`comptoir_core::identity`]).
pub use comptoir_core::identity::{IdentityChange, LegalIdentity as Identity};

pub fn identity(conn: &Connection) -> Result<Identity, ShopError> {
    Ok(conn.query_row(
        "SELECT legal_name, address, siret, vat_number, footer FROM shop_identity WHERE id = 1",
        [],
        |r| {
            Ok(Identity {
                legal_name: r.get(0)?,
                address: r.get(1)?,
                siret: r.get(2)?,
                vat_number: r.get(3)?,
                footer: r.get(4)?,
            })
        },
    )?)
}

/// Checks and applies a change of the identity made in this shop: a chain shop's is set at
/// HQ ([`apply_from_hq`]).
pub fn change_identity(conn: &Connection, change: IdentityChange) -> Result<Identity, ShopError> {
    let enrolled: bool = conn.query_row("SELECT EXISTS(SELECT 1 FROM hq_link)", [], |r| r.get(0))?;
    if enrolled {
        return Err(ShopError::IdentityOwnedByHq);
    }
    let id = comptoir_core::identity::changed(identity(conn)?, change)?;
    store_identity(conn, &id)?;
    Ok(id)
}

/// The identity HQ set for this shop, as its feed brings it (checked again: the feed is
/// an input like any other).
pub fn apply_from_hq(conn: &Connection, id: Identity) -> Result<(), ShopError> {
    let id = comptoir_core::identity::validated(id)?;
    if identity(conn)? != id {
        store_identity(conn, &id)?;
    }
    Ok(())
}

fn store_identity(conn: &Connection, id: &Identity) -> Result<(), ShopError> {
    conn.execute(
        "UPDATE shop_identity SET legal_name = ?, address = ?, siret = ?, vat_number = ?, footer = ? WHERE id = 1",
        params![id.legal_name, id.address, id.siret, id.vat_number, id.footer],
    )?;
    crate::shop::journal(
        conn,
        crate::journal::codes::CONFIG_CHANGED,
        None,
        &format!("shop identity: SIRET {} VAT {}", id.siret, id.vat_number),
    )?;
    Ok(())
}

/// Which print of a ticket this is: the original, or the N-th duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Copy {
    Original,
    Duplicate(u32),
}

impl Copy {
    /// The copy numbered `n` in `ticket_prints` (0: the original).
    pub fn from_number(n: u32) -> Copy {
        if n == 0 { Copy::Original } else { Copy::Duplicate(n) }
    }
    /// `DUPLICATA n° 2`, or `None` for the original.
    pub fn mark(self) -> Option<String> {
        match self {
            Copy::Original => None,
            Copy::Duplicate(n) => Some(format!("DUPLICATA n° {n}")),
        }
    }
}

/// What the terminal answered for a card tender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardDetail {
    pub amount: Money,
    pub card_type: Option<String>,
    pub authorisation: Option<String>,
    pub card_number: Option<String>,
}

/// The customer's points on this ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Points {
    pub earned: i64,
    pub redeemed: i64,
    /// The balance when the receipt is printed.
    pub balance: i64,
}

/// Everything [`build`] needs besides the ticket.
#[derive(Debug, Clone)]
pub struct Facts {
    pub ticket: Ticket,
    pub shop_name: String,
    pub identity: Identity,
    pub register_name: String,
    pub cashier_name: String,
    pub return_of_number: Option<String>,
    pub points: Option<Points>,
    pub cards: Vec<CardDetail>,
    pub copy: Copy,
    /// The receipt's web page, printed as a QR code.
    pub link: Option<String>,
    pub timezone: jiff::tz::TimeZone,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub name: String,
    pub sku: String,
    /// `2`, `0,352` (kg): as the cashier typed it, French decimals.
    pub qty: String,
    pub unit_price: Money,
    pub amount: Money,
    /// The line's VAT code, a letter of the breakdown (`A`, `B`...).
    pub vat_code: char,
    /// The line's own discount (offers included), positive on the receipt.
    pub discount: Money,
    /// The offer that gave the discount.
    pub offer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VatRow {
    pub code: char,
    /// `5,5 %`.
    pub rate: String,
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tender {
    /// `Espèces`, `Carte bancaire`...
    pub label: String,
    pub amount: Money,
    /// What the terminal answered: `CB 4970XX...1234 aut. 123456`.
    pub detail: Option<String>,
}

/// A receipt, ready to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The shop's trade name (its name in Comptoir).
    pub shop_name: String,
    pub legal_name: String,
    pub address: Vec<String>,
    pub siret: String,
    pub vat_number: String,
    /// `TICKET DE CAISSE` or `TICKET DE RETOUR`.
    pub title: String,
    pub is_return: bool,
    pub number: String,
    /// `Retour du ticket PARIS1-R1-000001`.
    pub return_of: Option<String>,
    /// `02/12/2026`.
    pub date: String,
    /// `14:03:27`.
    pub time: String,
    /// `R1 Caisse 1`.
    pub register: String,
    /// `C1 Alice`.
    pub cashier: String,
    pub lines: Vec<Line>,
    /// The ticket's own discount, positive on the receipt.
    pub discount: Money,
    pub vat: Vec<VatRow>,
    pub total: Money,
    pub tenders: Vec<Tender>,
    pub change: Money,
    pub points: Option<PointsView>,
    pub software: String,
    /// The first 8 hex digits of the ticket's hash.
    pub hash_excerpt: String,
    /// `DUPLICATA n° 1` on a reprint.
    pub duplicate: Option<String>,
    pub link: Option<String>,
    pub footer: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PointsView {
    pub earned: i64,
    pub redeemed: i64,
    pub balance: i64,
}

/// `12,50`, `-1,20`: euros in the French way.
pub fn euros(m: Money) -> String {
    let c = m.cents();
    let sign = if c < 0 { "-" } else { "" };
    format!("{sign}{},{:02}", c.unsigned_abs() / 100, c.unsigned_abs() % 100)
}

fn rate_text(bp: i64) -> String {
    let (units, rest) = (bp / 100, bp % 100);
    if rest == 0 {
        format!("{units} %")
    } else if rest % 10 == 0 {
        format!("{units},{} %", rest / 10)
    } else {
        format!("{units},{rest:02} %")
    }
}

fn qty_text(milli: i64) -> String {
    let sign = if milli < 0 { "-" } else { "" };
    let m = milli.unsigned_abs();
    if m.is_multiple_of(1000) {
        format!("{sign}{}", m / 1000)
    } else {
        let frac = format!("{:03}", m % 1000);
        format!("{sign}{},{}", m / 1000, frac.trim_end_matches('0'))
    }
}

fn tender_label(method: PaymentMethod, is_return: bool) -> String {
    let name = match method {
        PaymentMethod::Cash => "Espèces",
        PaymentMethod::Card => "Carte bancaire",
        PaymentMethod::Cheque => "Chèque",
        PaymentMethod::Voucher => "Bon d'achat",
        PaymentMethod::Other => "Autre",
        PaymentMethod::Loyalty => "Points fidélité",
    };
    if is_return { format!("Remboursement {}", name.to_lowercase()) } else { name.to_string() }
}

/// Builds the receipt of `facts.ticket`. Pure: the same facts give the same receipt.
pub fn build(facts: Facts) -> Receipt {
    let t = &facts.ticket;
    let is_return = t.kind == TicketKind::Return;
    // VAT codes: A, B, C... by increasing rate, as the breakdown lists them.
    let mut rates: Vec<i64> = t.vat.iter().map(|v| v.rate_bp.0 as i64).collect();
    rates.extend(t.lines.iter().map(|l| l.tax_rate_bp.0 as i64));
    rates.sort_unstable();
    rates.dedup();
    let code_of = |bp: i64| -> char {
        let i = rates.iter().position(|r| *r == bp).unwrap_or(0);
        (b'A' + (i as u8).min(25)) as char
    };
    let lines = t
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| Line {
            name: l.name.clone(),
            sku: l.sku.clone(),
            qty: qty_text(l.qty.milli()),
            unit_price: l.unit_price,
            amount: l.total,
            vat_code: code_of(l.tax_rate_bp.0 as i64),
            discount: Money(l.discount.cents().abs()),
            offer: t.offers.iter().find(|o| o.line == i).map(|o| o.name.clone()),
        })
        .collect();
    let vat = t
        .vat
        .iter()
        .map(|v| VatRow {
            code: code_of(v.rate_bp.0 as i64),
            rate: rate_text(v.rate_bp.0 as i64),
            net: v.net,
            vat: v.vat,
            gross: v.gross,
        })
        .collect();
    let mut cards = facts.cards.clone();
    let tenders = t
        .payments
        .iter()
        .map(|p| {
            let detail = if p.method == PaymentMethod::Card {
                cards.iter().position(|c| c.amount == p.amount.abs()).map(|i| {
                    let c = cards.remove(i);
                    [c.card_type, c.card_number, c.authorisation.map(|a| format!("aut. {a}"))]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
            } else {
                None
            };
            Tender { label: tender_label(p.method, is_return), amount: p.amount, detail }
        })
        .collect();
    let local = t.created_at.parse::<jiff::Timestamp>().map(|ts| ts.to_zoned(facts.timezone.clone())).ok();
    let (date, time) = match &local {
        Some(z) => (z.strftime("%d/%m/%Y").to_string(), z.strftime("%H:%M:%S").to_string()),
        None => (t.business_date.clone(), String::new()),
    };
    let id = &facts.identity;
    Receipt {
        shop_name: facts.shop_name.clone(),
        legal_name: id.legal_name.clone(),
        address: id.address.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect(),
        siret: id.siret.clone(),
        vat_number: id.vat_number.clone(),
        title: if is_return { "TICKET DE RETOUR" } else { "TICKET DE CAISSE" }.into(),
        is_return,
        number: t.number.clone(),
        return_of: facts.return_of_number.as_ref().map(|n| format!("Retour du ticket {n}")),
        date,
        time,
        register: format!("{} {}", t.register, facts.register_name).trim().to_string(),
        cashier: format!("{} {}", t.cashier, facts.cashier_name).trim().to_string(),
        lines,
        discount: Money(t.discount.cents().abs()),
        vat,
        total: t.total,
        tenders,
        change: t.change,
        points: facts.points.map(|p| PointsView { earned: p.earned, redeemed: p.redeemed, balance: p.balance }),
        software: SOFTWARE.into(),
        hash_excerpt: t.hash.chars().take(8).collect(),
        duplicate: facts.copy.mark(),
        link: facts.link.clone(),
        footer: Some(id.footer.clone()).filter(|f| !f.is_empty()),
    }
}

/// Reads the facts of a committed ticket's receipt from the store.
pub fn load(
    conn: &Connection,
    ticket: Ticket,
    shop_name: &str,
    timezone: jiff::tz::TimeZone,
    copy: Copy,
    link: Option<String>,
) -> Result<Facts, ShopError> {
    let register_name = crate::staff::get_register(conn, &ticket.register)?.map(|r| r.name).unwrap_or_default();
    let cashier_name = crate::staff::get_user(conn, &ticket.cashier)?.map(|u| u.name).unwrap_or_default();
    let return_of_number = match ticket.return_of {
        Some(id) => {
            conn.query_row("SELECT number FROM tickets WHERE id = ?", [id.to_string()], |r| r.get(0)).optional()?
        }
        None => None,
    };
    let id = ticket.id.to_string();
    let points = match ticket.customer.as_deref().and_then(|c| uuid::Uuid::parse_str(c).ok()) {
        Some(customer) => {
            let (earned, redeemed): (i64, i64) = conn.query_row(
                "SELECT COALESCE(SUM(CASE WHEN kind = 'earn' THEN points END), 0),
                        COALESCE(-SUM(CASE WHEN kind = 'redeem' THEN points END), 0)
                 FROM loyalty_entries WHERE ticket = ?",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Some(Points { earned, redeemed, balance: crate::loyalty::balance(conn, &customer)? })
        }
        None => None,
    };
    let mut stmt = conn.prepare_cached(
        "SELECT amount, card_type, authorisation, card_number FROM terminal_payments
         WHERE ticket_id = ? AND status = 'accepted' ORDER BY at",
    )?;
    let cards = stmt
        .query_map([&id], |r| {
            Ok(CardDetail {
                amount: Money(r.get(0)?),
                card_type: r.get(1)?,
                authorisation: r.get(2)?,
                card_number: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Facts {
        ticket,
        shop_name: shop_name.to_string(),
        identity: identity(conn)?,
        register_name,
        cashier_name,
        return_of_number,
        points,
        cards,
        copy,
        link,
        timezone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_rates_and_quantities_are_written_the_french_way() {
        assert_eq!(euros(Money(1250)), "12,50");
        assert_eq!(euros(Money(-120)), "-1,20");
        assert_eq!(euros(Money(5)), "0,05");
        assert_eq!(rate_text(550), "5,5 %");
        assert_eq!(rate_text(2000), "20 %");
        assert_eq!(rate_text(210), "2,1 %");
        assert_eq!(qty_text(2000), "2");
        assert_eq!(qty_text(352), "0,352");
        assert_eq!(qty_text(-1500), "-1,5");
    }

    #[test]
    fn the_original_has_no_mark_and_each_reprint_its_number() {
        assert_eq!(Copy::from_number(0).mark(), None);
        assert_eq!(Copy::from_number(3).mark().as_deref(), Some("DUPLICATA n° 3"));
    }
}
