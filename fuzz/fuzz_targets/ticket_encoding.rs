//! The canonical ticket encoding (`comptoir_core::chain`) is injective: two tickets that
//! encode the same are the same ticket (up to what [`normal`] says the encoding ignores),
//! so no change to a ticket can keep its hash. And the hash HQ recomputes from the
//! wire form (JSON) is the hash the shop computed.
#![no_main]

use arbitrary::{Arbitrary, Result, Unstructured};
use comptoir_core::chain::{encode_ticket, ticket_hash};
use comptoir_core::ticket::{Payment, PaymentMethod, Ticket, TicketKind, TicketLine, VatLine};
use comptoir_core::{Money, Quantity, TaxRate};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

/// Strings made mostly of the characters the escaping is about.
fn text(u: &mut Unstructured) -> Result<String> {
    let n = u.int_in_range(0..=12)?;
    let mut s = String::new();
    for _ in 0..n {
        s.push(match u.int_in_range(0..=9)? {
            0 => '|',
            1 => '\\',
            2 => '\n',
            3 => '\r',
            4 => '=',
            5 => 'n',
            6 => 'r',
            7 => 'é',
            _ => char::arbitrary(u)?,
        });
    }
    Ok(s)
}

fn uuid(u: &mut Unstructured) -> Result<Uuid> {
    Ok(Uuid::from_u128(u.int_in_range(0..=3)?))
}

fn small(u: &mut Unstructured) -> Result<i64> {
    Ok(u.int_in_range(-3..=3)?)
}

fn line(u: &mut Unstructured) -> Result<TicketLine> {
    Ok(TicketLine {
        article_id: uuid(u)?,
        sku: text(u)?,
        name: text(u)?,
        qty: Quantity(small(u)?),
        unit_price: Money(small(u)?),
        tax_rate_bp: TaxRate(u.int_in_range(0..=2)?),
        discount: Money(small(u)?),
        total: Money(small(u)?),
    })
}

fn method(u: &mut Unstructured) -> Result<PaymentMethod> {
    Ok(*u.choose(&[
        PaymentMethod::Cash,
        PaymentMethod::Card,
        PaymentMethod::Cheque,
        PaymentMethod::Voucher,
        PaymentMethod::Other,
    ])?)
}

fn ticket(u: &mut Unstructured) -> Result<Ticket> {
    let mut lines = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        lines.push(line(u)?);
    }
    let mut payments = Vec::new();
    for _ in 0..u.int_in_range(0..=2)? {
        payments.push(Payment { method: method(u)?, amount: Money(small(u)?) });
    }
    let mut vat = Vec::new();
    // Distinct rates: a ticket has one VAT line per rate.
    for rate in 0..u.int_in_range(0..=2u32)? {
        vat.push(VatLine {
            rate_bp: TaxRate(rate * 550),
            gross: Money(small(u)?),
            net: Money(small(u)?),
            vat: Money(small(u)?),
        });
    }
    Ok(Ticket {
        id: uuid(u)?,
        number: text(u)?,
        shop: text(u)?,
        register: text(u)?,
        sequence: small(u)?,
        kind: if bool::arbitrary(u)? { TicketKind::Sale } else { TicketKind::Return },
        created_at: text(u)?,
        business_date: text(u)?,
        cashier: text(u)?,
        customer: if bool::arbitrary(u)? { Some(text(u)?) } else { None },
        return_of: if bool::arbitrary(u)? { Some(uuid(u)?) } else { None },
        lines,
        discount: Money(small(u)?),
        payments,
        vat,
        total: Money(small(u)?),
        change: Money(small(u)?),
        prev_hash: text(u)?,
        hash: String::new(),
    })
}

/// What the encoding does not tell apart, by its rules: the VAT lines' order (sorted), and
/// an empty optional value from an absent one (`customer=` for both; the shop stores an
/// empty customer as none, `sales::commit_ticket`).
fn normal(mut t: Ticket) -> Ticket {
    t.vat.sort_by_key(|v| v.rate_bp);
    if t.customer.as_deref() == Some("") {
        t.customer = None;
    }
    t.hash.clear();
    t
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let (Ok(a), Ok(b)) = (ticket(&mut u), ticket(&mut u)) else { return };
    let (ea, eb) = (encode_ticket(&a), encode_ticket(&b));
    assert!(ea.ends_with('\n') && ea.starts_with("comptoir-ticket/1\n"));
    if ea == eb {
        assert_eq!(normal(a.clone()), normal(b.clone()), "two different tickets encode the same:\n{ea}");
    }
    let hash = ticket_hash(&a);
    assert_eq!(hash.len(), 64);
    let mut sent = a.clone();
    sent.hash = hash.clone();
    let wire = serde_json::to_string(&sent).expect("a ticket serializes");
    let back: Ticket = serde_json::from_str(&wire).expect("a ticket reads back");
    assert_eq!(ticket_hash(&back), hash, "the wire form changes the hash");
});
