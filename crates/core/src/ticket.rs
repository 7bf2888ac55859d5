//! A ticket is one finished sale or return. [`compute`] turns what the cashier entered
//! into the amounts that will be committed, refusing what cannot be right.
//!
//! Rules, in the order they apply:
//! 1. line gross = round(unit price × quantity) with the rounding rule of [`crate::money`];
//! 2. line net = gross − line discount (0 ≤ discount ≤ gross; mirrored for returns);
//! 3. the ticket discount is shared over the lines in proportion to their net amounts,
//!    by largest remainder (ties go to the earlier line), so the shares add up exactly;
//! 4. line total = net − share; ticket total = Σ line totals;
//! 5. the VAT breakdown is computed per rate on Σ line totals of that rate ([`crate::tax`]);
//! 6. a sale is paid with positive amounts covering the total; the excess is change and
//!    must not exceed the cash paid; a return is refunded with negative amounts equal to
//!    its (negative) total.

use crate::catalog::{MAX_AMOUNT, validate_price};
use crate::error::DomainError;
use crate::money::{Money, Quantity, mul_div_round};
use crate::tax::{TaxRate, VatAmounts, breakdown};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TicketKind {
    Sale,
    Return,
}

impl TicketKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketKind::Sale => "sale",
            TicketKind::Return => "return",
        }
    }
    pub fn parse(text: &str) -> Option<TicketKind> {
        match text {
            "sale" => Some(TicketKind::Sale),
            "return" => Some(TicketKind::Return),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PaymentMethod {
    Cash,
    Card,
    Cheque,
    Voucher,
    Other,
    /// Loyalty points of the ticket's customer, at the chain's `cents_per_point`.
    Loyalty,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 6] = [
        PaymentMethod::Cash,
        PaymentMethod::Card,
        PaymentMethod::Cheque,
        PaymentMethod::Voucher,
        PaymentMethod::Other,
        PaymentMethod::Loyalty,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
            PaymentMethod::Cheque => "cheque",
            PaymentMethod::Voucher => "voucher",
            PaymentMethod::Other => "other",
            PaymentMethod::Loyalty => "loyalty",
        }
    }
    pub fn parse(text: &str) -> Option<PaymentMethod> {
        PaymentMethod::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

/// A line as the register asks for it, with the article already looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDraft {
    pub article_id: Uuid,
    pub sku: String,
    pub name: String,
    pub tax_rate: TaxRate,
    pub unit_price: Money,
    pub qty: Quantity,
    /// Line discount in cents, same sign as the line (negative on a return line).
    pub discount: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payment {
    pub method: PaymentMethod,
    /// Cents; negative on a return (a refund).
    pub amount: Money,
}

/// A line as committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketLine {
    pub article_id: Uuid,
    pub sku: String,
    pub name: String,
    pub qty: Quantity,
    pub unit_price: Money,
    pub tax_rate_bp: TaxRate,
    pub discount: Money,
    /// What the line costs after its discount and its share of the ticket discount.
    pub total: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VatLine {
    pub rate_bp: TaxRate,
    pub gross: Money,
    pub net: Money,
    pub vat: Money,
}

/// The amounts of a ticket, before it is numbered and chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputedTicket {
    pub kind: TicketKind,
    pub lines: Vec<TicketLine>,
    pub discount: Money,
    pub payments: Vec<Payment>,
    pub vat: Vec<VatLine>,
    pub total: Money,
    pub change: Money,
}

/// An offer applied to a line of a ticket (its amount is the line's discount).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppliedOffer {
    /// Index of the line in `lines`.
    pub line: usize,
    pub offer: Uuid,
    pub name: String,
    pub discount: Money,
}

/// A committed ticket: immutable, numbered and chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub id: Uuid,
    /// `SHOP-REGISTER-000042`: unique across the chain because each register numbers its own.
    pub number: String,
    pub shop: String,
    pub register: String,
    /// Gap-free per register, from 1.
    pub sequence: i64,
    pub kind: TicketKind,
    /// RFC 3339, UTC, microseconds, as stamped at commit.
    pub created_at: String,
    /// The shop's calendar day the ticket belongs to (`YYYY-MM-DD`), for closures.
    pub business_date: String,
    pub cashier: String,
    pub customer: Option<String>,
    /// The sale this return gives back.
    pub return_of: Option<Uuid>,
    pub lines: Vec<TicketLine>,
    pub discount: Money,
    pub payments: Vec<Payment>,
    pub vat: Vec<VatLine>,
    pub total: Money,
    pub change: Money,
    pub prev_hash: String,
    pub hash: String,
    /// Offers applied to its lines (customer identified), in line order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<AppliedOffer>,
    /// `KEY_ID:HEX`: the shop's Ed25519 signature over the canonical encoding
    /// (`chain::encode_ticket`), by the key `KEY_ID` (`fiscal`). Absent on tickets made
    /// before shops signed, and from shops that do not sign yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// Splits `amount` over `weights` in proportion, by largest remainder; the parts add up
/// to `amount` exactly. All weights share one sign (or are zero) and `Σ weights ≠ 0`.
pub fn allocate(amount: Money, weights: &[Money]) -> Vec<Money> {
    let total: i128 = weights.iter().map(|w| w.cents() as i128).sum();
    if total == 0 {
        return vec![Money::ZERO; weights.len()];
    }
    let a = amount.cents() as i128;
    let mut shares: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let num = a * w.cents() as i128;
        shares.push(num.div_euclid(total));
        remainders.push((num.rem_euclid(total), i));
    }
    let mut left = a - shares.iter().sum::<i128>();
    // Largest remainder first; equal remainders go to the earlier line.
    remainders.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    let step = left.signum();
    for (_, i) in remainders.iter().cycle() {
        if left == 0 {
            break;
        }
        shares[*i] += step;
        left -= step;
    }
    shares.into_iter().map(|s| Money(s as i64)).collect()
}

/// Computes a ticket from its lines, ticket discount and payments.
pub fn compute(
    kind: TicketKind,
    lines: &[LineDraft],
    discount: Money,
    payments: &[Payment],
) -> Result<ComputedTicket, DomainError> {
    if lines.is_empty() {
        return Err(DomainError::EmptyTicket);
    }
    let refund = kind == TicketKind::Return;
    let mut nets = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match (line.qty.milli().signum(), refund) {
            (0, _) => return Err(DomainError::ZeroQuantity { line: i }),
            (-1, false) => return Err(DomainError::NegativeQuantityInSale { line: i }),
            (1, true) => return Err(DomainError::PositiveQuantityInReturn { line: i }),
            _ => {}
        }
        validate_price(&format!("lines[{i}].unit_price"), line.unit_price)?;
        let gross = Money(mul_div_round(line.unit_price.cents(), line.qty.milli(), 1000));
        if gross.abs() > MAX_AMOUNT {
            return Err(DomainError::AmountOutOfRange { field: format!("lines[{i}].qty") });
        }
        // A return line's discount is derived by the shop from the original line (its
        // share of the original discounts); only its sign of net is checked here.
        let in_range =
            if refund { line.discount >= gross } else { line.discount >= Money::ZERO && line.discount <= gross };
        if !in_range {
            return Err(DomainError::DiscountOutOfRange { field: format!("lines[{i}].discount"), max: gross.abs() });
        }
        nets.push(gross - line.discount);
    }
    let net_sum: Money = nets.iter().sum();
    let discount_ok = if refund { discount == Money::ZERO } else { discount >= Money::ZERO && discount <= net_sum };
    if !discount_ok {
        let max = if refund { Money::ZERO } else { net_sum };
        return Err(DomainError::DiscountOutOfRange { field: "discount".into(), max });
    }
    let shares = allocate(discount, &nets);

    let mut committed = Vec::with_capacity(lines.len());
    let mut gross_per_rate: BTreeMap<TaxRate, Money> = BTreeMap::new();
    for ((line, net), share) in lines.iter().zip(&nets).zip(&shares) {
        let total = *net - *share;
        *gross_per_rate.entry(line.tax_rate).or_default() += total;
        committed.push(TicketLine {
            article_id: line.article_id,
            sku: line.sku.clone(),
            name: line.name.clone(),
            qty: line.qty,
            unit_price: line.unit_price,
            tax_rate_bp: line.tax_rate,
            discount: line.discount,
            total,
        });
    }
    let total: Money = committed.iter().map(|l| l.total).sum();
    let vat = breakdown(&gross_per_rate)
        .into_iter()
        .map(|(rate, VatAmounts { gross, net, vat })| VatLine { rate_bp: rate, gross, net, vat })
        .collect();

    let mut paid = Money::ZERO;
    let mut cash = Money::ZERO;
    for (index, p) in payments.iter().enumerate() {
        if p.amount == Money::ZERO {
            return Err(DomainError::ZeroPayment { index });
        }
        if p.amount.is_negative() != refund {
            return Err(DomainError::PaymentSign { index, refund });
        }
        if p.amount.abs() > MAX_AMOUNT {
            return Err(DomainError::AmountOutOfRange { field: format!("payments[{index}].amount") });
        }
        paid += p.amount;
        if p.method == PaymentMethod::Cash {
            cash += p.amount;
        }
    }
    let change = if refund {
        if paid != total {
            return Err(DomainError::RefundMismatch { total, paid });
        }
        Money::ZERO
    } else {
        if paid < total {
            return Err(DomainError::PaymentsShort { total, paid });
        }
        let change = paid - total;
        if change > cash {
            return Err(DomainError::ChangeNotInCash { change, cash });
        }
        change
    };
    Ok(ComputedTicket { kind, lines: committed, discount, payments: payments.to_vec(), vat, total, change })
}

/// How much of an original line a return of `asked` units (positive) gives back, when
/// `returned` units were already given back: the part of the line total proportional to
/// the units, computed on cumulative quantities so that returning the whole line, in any
/// number of returns, refunds exactly its total.
pub fn refund_for(original: &TicketLine, returned: Quantity, asked: Quantity) -> Money {
    let q = original.qty.milli();
    let before = mul_div_round(original.total.cents(), returned.milli(), q);
    let after = mul_div_round(original.total.cents(), returned.milli() + asked.milli(), q);
    Money(after - before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(price: i64, qty_milli: i64, rate: u32, discount: i64) -> LineDraft {
        LineDraft {
            article_id: Uuid::nil(),
            sku: "A".into(),
            name: "Article".into(),
            tax_rate: TaxRate(rate),
            unit_price: Money(price),
            qty: Quantity(qty_milli),
            discount: Money(discount),
        }
    }

    fn cash(amount: i64) -> Payment {
        Payment { method: PaymentMethod::Cash, amount: Money(amount) }
    }

    #[test]
    fn two_baguettes_paid_five_euros() {
        let t = compute(TicketKind::Sale, &[line(120, 2000, 550, 0)], Money::ZERO, &[cash(500)]).unwrap();
        assert_eq!(t.total, Money(240));
        assert_eq!(t.change, Money(260));
        assert_eq!(t.vat, vec![VatLine { rate_bp: TaxRate(550), gross: Money(240), net: Money(227), vat: Money(13) }]);
    }

    #[test]
    fn weighed_goods_round_half_away_from_zero() {
        // 0.125 kg at 3.00 €/kg = 0.375 → 0.38
        let t = compute(TicketKind::Sale, &[line(300, 125, 550, 0)], Money::ZERO, &[cash(38)]).unwrap();
        assert_eq!(t.total, Money(38));
    }

    #[test]
    fn ticket_discount_is_shared_by_largest_remainder() {
        let lines = [line(100, 1000, 2000, 0), line(100, 1000, 550, 0), line(100, 1000, 550, 0)];
        let t = compute(TicketKind::Sale, &lines, Money(10), &[cash(290)]).unwrap();
        let totals: Vec<_> = t.lines.iter().map(|l| l.total.cents()).collect();
        assert_eq!(totals, vec![96, 97, 97]);
        assert_eq!(t.total, Money(290));
    }

    #[test]
    fn refusals() {
        let l = [line(120, 1000, 550, 0)];
        assert_eq!(compute(TicketKind::Sale, &[], Money::ZERO, &[]), Err(DomainError::EmptyTicket));
        assert_eq!(
            compute(TicketKind::Sale, &[line(120, 0, 550, 0)], Money::ZERO, &[cash(120)]),
            Err(DomainError::ZeroQuantity { line: 0 })
        );
        assert_eq!(
            compute(TicketKind::Sale, &l, Money::ZERO, &[cash(100)]),
            Err(DomainError::PaymentsShort { total: Money(120), paid: Money(100) })
        );
        let card = Payment { method: PaymentMethod::Card, amount: Money(200) };
        assert_eq!(
            compute(TicketKind::Sale, &l, Money::ZERO, &[card]),
            Err(DomainError::ChangeNotInCash { change: Money(80), cash: Money::ZERO })
        );
        assert!(matches!(
            compute(TicketKind::Sale, &[line(120, 1000, 550, 121)], Money::ZERO, &[cash(120)]),
            Err(DomainError::DiscountOutOfRange { .. })
        ));
        assert!(matches!(
            compute(TicketKind::Sale, &[line(-5, 1000, 550, 0)], Money::ZERO, &[]),
            Err(DomainError::NegativePrice { .. })
        ));
        assert_eq!(
            compute(TicketKind::Sale, &[line(120, -1000, 550, 0)], Money::ZERO, &[]),
            Err(DomainError::NegativeQuantityInSale { line: 0 })
        );
        assert_eq!(
            compute(TicketKind::Return, &[line(120, -1000, 550, 0)], Money::ZERO, &[cash(-100)]),
            Err(DomainError::RefundMismatch { total: Money(-120), paid: Money(-100) })
        );
        assert_eq!(
            compute(TicketKind::Return, &[line(120, -1000, 550, 0)], Money::ZERO, &[cash(120)]),
            Err(DomainError::PaymentSign { index: 0, refund: true })
        );
    }

    #[test]
    fn partial_returns_refund_exactly_the_line_total() {
        let original = TicketLine {
            article_id: Uuid::nil(),
            sku: "A".into(),
            name: "A".into(),
            qty: Quantity(3000),
            unit_price: Money(100),
            tax_rate_bp: TaxRate(2000),
            discount: Money(0),
            total: Money(290),
        };
        let a = refund_for(&original, Quantity(0), Quantity(1000));
        let b = refund_for(&original, Quantity(1000), Quantity(1000));
        let c = refund_for(&original, Quantity(2000), Quantity(1000));
        assert_eq!(a + b + c, Money(290));
    }

    fn arb_line() -> impl Strategy<Value = LineDraft> {
        (0i64..100_000, 1i64..20_000, prop::sample::select(vec![0u32, 210, 550, 1000, 2000]), 0i64..=100).prop_map(
            |(price, qty, rate, pct)| {
                let gross = mul_div_round(price, qty, 1000);
                line(price, qty, rate, gross * pct / 100)
            },
        )
    }

    proptest! {
        #[test]
        fn lines_and_vat_add_up_to_the_total(
            lines in prop::collection::vec(arb_line(), 1..12),
            discount_pct in 0i64..=100,
            overpay in 0i64..10_000,
        ) {
            let nets: i64 = lines.iter().map(|l| mul_div_round(l.unit_price.cents(), l.qty.milli(), 1000) - l.discount.cents()).sum();
            let discount = Money(nets * discount_pct / 100);
            let total = nets - discount.cents();
            let t = compute(TicketKind::Sale, &lines, discount, &[cash(total + overpay)]).unwrap();
            prop_assert_eq!(t.total.cents(), total);
            prop_assert_eq!(t.lines.iter().map(|l| l.total).sum::<Money>(), t.total);
            prop_assert_eq!(t.vat.iter().map(|v| v.gross).sum::<Money>(), t.total);
            for v in &t.vat {
                prop_assert_eq!(v.net + v.vat, v.gross);
                prop_assert!(v.vat.cents() >= 0 && v.vat <= v.gross);
            }
            for l in &t.lines {
                prop_assert!(l.total.cents() >= 0);
            }
            prop_assert_eq!(t.change, Money(overpay));
        }

        #[test]
        fn allocation_adds_up(amount in -1_000_000i64..1_000_000, weights in prop::collection::vec(1i64..100_000, 1..20)) {
            let weights: Vec<Money> = weights.into_iter().map(Money).collect();
            let shares = allocate(Money(amount), &weights);
            prop_assert_eq!(shares.iter().sum::<Money>(), Money(amount));
        }

        #[test]
        fn returns_in_pieces_refund_the_whole_line(total in 0i64..1_000_000, qty in 1i64..50, pieces in prop::collection::vec(1i64..5, 1..10)) {
            let original = TicketLine {
                article_id: Uuid::nil(), sku: "A".into(), name: "A".into(),
                qty: Quantity(qty * 1000), unit_price: Money(0), tax_rate_bp: TaxRate(0),
                discount: Money(0), total: Money(total),
            };
            let mut returned = 0i64;
            let mut refunded = Money::ZERO;
            for p in pieces {
                let p = p.min(qty - returned);
                if p == 0 { break; }
                refunded += refund_for(&original, Quantity(returned * 1000), Quantity(p * 1000));
                returned += p;
            }
            if returned == qty {
                prop_assert_eq!(refunded, Money(total));
            } else {
                prop_assert!(refunded <= Money(total));
            }
        }
    }
}
