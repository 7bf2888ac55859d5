//! The hash chains that make tickets and closures tamper-evident (NF525 spirit).
//!
//! Each register has two chains: its tickets, and its closures. Every record stores the
//! hash of the previous record of its chain (`prev_hash`, 64 zeros for the first) and its
//! own `hash = hex(SHA-256(canonical encoding))`. The canonical encoding is UTF-8 text,
//! one `key=value` per line, ending in `\n`, in exactly the order below; strings are
//! escaped (`\` → `\\`, `|` → `\|`, newline → `\n`, carriage return → `\r`), amounts are
//! integer cents, quantities integer thousandths, rates basis points. Optional values
//! are empty when absent.
//!
//! Ticket (`comptoir-ticket/1`): `id`, `shop`, `register`, `sequence`, `number`, `kind`,
//! `created_at`, `business_date`, `cashier`, `customer`, `return_of`, then one
//! `line=article_id|sku|name|qty|unit_price|tax_rate_bp|discount|total` per line in
//! order, `discount`, one `payment=method|amount` per payment in order, one
//! `vat=rate_bp|gross|net|vat` per rate in ascending rate, `total`, `change`, then one
//! `offer=line|offer_id|name|discount` per applied offer in order (none on a ticket without
//! offers, so tickets made before offers existed hash as they did), `prev`.
//!
//! Closure (`comptoir-closure/1`): `id`, `shop`, `register`, `sequence`, `kind`, `period`,
//! `created_at`, `ticket_count`, `first_number`, `last_number`, `total`, one
//! `payment=method|amount` per method in the order cash, card, cheque, voucher, other, loyalty,
//! one `vat=rate_bp|gross|net|vat` per rate ascending, `grand_total`, then, on closures
//! that keep it (all made since the perpetual absolute total exists; older ones hash as
//! they did), `absolute_total` and `grand_absolute_total`, then `prev`.
//!
//! Journal entry (`comptoir-journal/1`, the technical event journal, one chain per shop):
//! `shop`, `sequence`, `code`, `at`, `user`, `register`, `details`, `prev`.
//!
//! Signatures (`fiscal`) are over these same bytes; the hash chain does not include them.

use crate::closure::Closure;
use crate::ticket::Ticket;
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// `prev_hash` of the first record of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// The canonical encoding of a ticket (its `hash` field is not part of it).
pub fn encode_ticket(t: &Ticket) -> String {
    let mut s = String::with_capacity(512);
    // Writing to a String cannot fail.
    let _ = writeln!(s, "comptoir-ticket/1");
    let _ = writeln!(s, "id={}", t.id);
    let _ = writeln!(s, "shop={}", escape(&t.shop));
    let _ = writeln!(s, "register={}", escape(&t.register));
    let _ = writeln!(s, "sequence={}", t.sequence);
    let _ = writeln!(s, "number={}", escape(&t.number));
    let _ = writeln!(s, "kind={}", t.kind.as_str());
    let _ = writeln!(s, "created_at={}", escape(&t.created_at));
    let _ = writeln!(s, "business_date={}", escape(&t.business_date));
    let _ = writeln!(s, "cashier={}", escape(&t.cashier));
    let _ = writeln!(s, "customer={}", escape(t.customer.as_deref().unwrap_or("")));
    let _ = writeln!(s, "return_of={}", t.return_of.map(|u| u.to_string()).unwrap_or_default());
    for l in &t.lines {
        let _ = writeln!(
            s,
            "line={}|{}|{}|{}|{}|{}|{}|{}",
            l.article_id,
            escape(&l.sku),
            escape(&l.name),
            l.qty.milli(),
            l.unit_price.cents(),
            l.tax_rate_bp.bp(),
            l.discount.cents(),
            l.total.cents()
        );
    }
    let _ = writeln!(s, "discount={}", t.discount.cents());
    for p in &t.payments {
        let _ = writeln!(s, "payment={}|{}", p.method.as_str(), p.amount.cents());
    }
    let mut vat = t.vat.clone();
    vat.sort_by_key(|v| v.rate_bp);
    for v in &vat {
        let _ = writeln!(s, "vat={}|{}|{}|{}", v.rate_bp.bp(), v.gross.cents(), v.net.cents(), v.vat.cents());
    }
    let _ = writeln!(s, "total={}", t.total.cents());
    let _ = writeln!(s, "change={}", t.change.cents());
    for o in &t.offers {
        let _ = writeln!(s, "offer={}|{}|{}|{}", o.line, o.offer, escape(&o.name), o.discount.cents());
    }
    let _ = writeln!(s, "prev={}", t.prev_hash);
    s
}

/// The canonical encoding of a closure (its `hash` field is not part of it).
pub fn encode_closure(c: &Closure) -> String {
    let mut s = String::with_capacity(512);
    let _ = writeln!(s, "comptoir-closure/1");
    let _ = writeln!(s, "id={}", c.id);
    let _ = writeln!(s, "shop={}", escape(&c.shop));
    let _ = writeln!(s, "register={}", escape(&c.register));
    let _ = writeln!(s, "sequence={}", c.sequence);
    let _ = writeln!(s, "kind={}", c.kind.as_str());
    let _ = writeln!(s, "period={}", escape(&c.period));
    let _ = writeln!(s, "created_at={}", escape(&c.created_at));
    let _ = writeln!(s, "ticket_count={}", c.totals.ticket_count);
    let _ = writeln!(s, "first_number={}", escape(c.totals.first_number.as_deref().unwrap_or("")));
    let _ = writeln!(s, "last_number={}", escape(c.totals.last_number.as_deref().unwrap_or("")));
    let _ = writeln!(s, "total={}", c.totals.total.cents());
    for (method, amount) in &c.totals.payments {
        let _ = writeln!(s, "payment={}|{}", method.as_str(), amount.cents());
    }
    for (rate, v) in &c.totals.vat {
        let _ = writeln!(s, "vat={}|{}|{}|{}", rate.bp(), v.gross.cents(), v.net.cents(), v.vat.cents());
    }
    let _ = writeln!(s, "grand_total={}", c.grand_total.cents());
    if let Some(grand_absolute) = c.grand_absolute_total {
        let _ = writeln!(s, "absolute_total={}", c.totals.absolute_total.cents());
        let _ = writeln!(s, "grand_absolute_total={}", grand_absolute.cents());
    }
    let _ = writeln!(s, "prev={}", c.prev_hash);
    s
}

/// One entry of the technical event journal (JET), as chained and signed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JournalEntry {
    pub shop: String,
    /// Gap-free per shop, from 1.
    pub sequence: i64,
    /// What happened: one of the codes of `docs/fiscal.md` (`sign_in_failed`, `closure`, …).
    pub code: String,
    /// RFC 3339, UTC, microseconds.
    pub at: String,
    pub user: Option<String>,
    pub register: Option<String>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
    /// `KEY_ID:HEX`, as on tickets.
    pub signature: Option<String>,
}

/// The canonical encoding of a journal entry (its `hash` and `signature` are not part of it).
pub fn encode_journal(e: &JournalEntry) -> String {
    let mut s = String::with_capacity(256);
    let _ = writeln!(s, "comptoir-journal/1");
    let _ = writeln!(s, "shop={}", escape(&e.shop));
    let _ = writeln!(s, "sequence={}", e.sequence);
    let _ = writeln!(s, "code={}", escape(&e.code));
    let _ = writeln!(s, "at={}", escape(&e.at));
    let _ = writeln!(s, "user={}", escape(e.user.as_deref().unwrap_or("")));
    let _ = writeln!(s, "register={}", escape(e.register.as_deref().unwrap_or("")));
    let _ = writeln!(s, "details={}", escape(&e.details));
    let _ = writeln!(s, "prev={}", e.prev_hash);
    s
}

pub fn journal_hash(e: &JournalEntry) -> String {
    sha256_hex(encode_journal(e).as_bytes())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn ticket_hash(t: &Ticket) -> String {
    sha256_hex(encode_ticket(t).as_bytes())
}

pub fn closure_hash(c: &Closure) -> String {
    sha256_hex(encode_closure(c).as_bytes())
}

/// Where a chain stops being intact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The record's content no longer matches its hash: it was changed after commit.
    Altered { sequence: i64, label: String },
    /// The record does not point at the previous one: a record was removed or inserted.
    Unlinked { sequence: i64, label: String },
    /// A sequence number is missing.
    Gap { expected: i64, found: i64, label: String },
}

/// Walks one chain given in sequence order as `(sequence, label, prev_hash, stored hash,
/// recomputed hash)` and returns the first broken link.
pub fn verify_links<'a>(
    records: impl IntoIterator<Item = (i64, &'a str, &'a str, &'a str, String)>,
) -> Option<ChainBreak> {
    let mut expected_prev = GENESIS.to_string();
    for (expected_seq, (sequence, label, prev, stored, recomputed)) in (1..).zip(records) {
        if sequence != expected_seq {
            return Some(ChainBreak::Gap { expected: expected_seq, found: sequence, label: label.into() });
        }
        if recomputed != stored {
            return Some(ChainBreak::Altered { sequence, label: label.into() });
        }
        if prev != expected_prev {
            return Some(ChainBreak::Unlinked { sequence, label: label.into() });
        }
        expected_prev = stored.to_string();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Money, Quantity};
    use crate::tax::TaxRate;
    use crate::ticket::*;
    use uuid::Uuid;

    fn ticket(seq: i64, prev: &str) -> Ticket {
        let mut t = Ticket {
            id: Uuid::from_u128(seq as u128),
            number: format!("P-R1-{seq:06}"),
            shop: "P".into(),
            register: "R1".into(),
            sequence: seq,
            kind: TicketKind::Sale,
            created_at: "2026-11-23T10:00:00.000000Z".into(),
            business_date: "2026-11-23".into(),
            cashier: "C1".into(),
            customer: None,
            return_of: None,
            lines: vec![TicketLine {
                article_id: Uuid::nil(),
                sku: "A|1".into(),
                name: "Pain\nblanc".into(),
                qty: Quantity(2000),
                unit_price: Money(120),
                tax_rate_bp: TaxRate(550),
                discount: Money(0),
                total: Money(240),
            }],
            discount: Money(0),
            payments: vec![Payment { method: PaymentMethod::Cash, amount: Money(500) }],
            vat: vec![VatLine { rate_bp: TaxRate(550), gross: Money(240), net: Money(227), vat: Money(13) }],
            total: Money(240),
            change: Money(260),
            prev_hash: prev.into(),
            hash: String::new(),
            offers: vec![],
            signature: None,
        };
        t.hash = ticket_hash(&t);
        t
    }

    #[test]
    fn encoding_is_stable_and_escaped() {
        let t = ticket(1, GENESIS);
        let e = encode_ticket(&t);
        assert!(e.contains("line=00000000-0000-0000-0000-000000000000|A\\|1|Pain\\nblanc|2000|120|550|0|240\n"));
        assert!(e.ends_with(&format!("prev={GENESIS}\n")));
        assert_eq!(t.hash, ticket_hash(&t));
        assert_eq!(t.hash.len(), 64);
        assert!(!e.contains("offer="), "no offer line without offers");
        let mut with_offer = t.clone();
        with_offer.offers.push(AppliedOffer { line: 0, offer: Uuid::nil(), name: "-10 %".into(), discount: Money(24) });
        let e = encode_ticket(&with_offer);
        assert!(e.contains("offer=0|00000000-0000-0000-0000-000000000000|-10 %|24\nprev="), "{e}");
        assert_ne!(ticket_hash(&with_offer), t.hash);
    }

    #[test]
    fn any_change_breaks_the_chain_at_that_ticket() {
        let a = ticket(1, GENESIS);
        let b = ticket(2, &a.hash);
        let c = ticket(3, &b.hash);
        let walk = |ts: &[Ticket]| {
            let rows: Vec<_> = ts
                .iter()
                .map(|t| (t.sequence, t.number.as_str(), t.prev_hash.as_str(), t.hash.as_str(), ticket_hash(t)))
                .collect();
            verify_links(rows.iter().map(|(s, n, p, h, r)| (*s, *n, *p, *h, r.clone())))
        };
        assert_eq!(walk(&[a.clone(), b.clone(), c.clone()]), None);
        let mut altered = b.clone();
        altered.total = Money(1);
        assert_eq!(
            walk(&[a.clone(), altered, c.clone()]),
            Some(ChainBreak::Altered { sequence: 2, label: b.number.clone() })
        );
        assert_eq!(
            walk(&[a.clone(), c.clone()]),
            Some(ChainBreak::Gap { expected: 2, found: 3, label: c.number.clone() })
        );
    }
}
