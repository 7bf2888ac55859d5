//! Closures (Z): the totals of a register over a period, kept forever.
//!
//! A day closure sums the register's tickets of one business day (every ticket not yet
//! closed with a business date up to that day). A month closure sums the day closures of
//! a month, a year closure the day closures of a year. Each kind keeps a perpetual grand
//! total: the grand total of the previous closure of the same kind and register plus
//! this period's total. Payment totals are what stayed in the till: the cash line is
//! cash received minus change given, so the payment totals add up to the period total.

use crate::money::Money;
use crate::tax::{TaxRate, VatAmounts};
use crate::ticket::{PaymentMethod, Ticket};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ClosureKind {
    Day,
    Month,
    Year,
}

impl ClosureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClosureKind::Day => "day",
            ClosureKind::Month => "month",
            ClosureKind::Year => "year",
        }
    }
    pub fn parse(text: &str) -> Option<ClosureKind> {
        match text {
            "day" => Some(ClosureKind::Day),
            "month" => Some(ClosureKind::Month),
            "year" => Some(ClosureKind::Year),
            _ => None,
        }
    }
    /// The period a business date (`YYYY-MM-DD`) falls in: the date, `YYYY-MM` or `YYYY`
    /// (calendar year; [`ClosureKind::fiscal_period_of`] for a fiscal year).
    pub fn period_of(self, business_date: &str) -> String {
        self.fiscal_period_of(business_date, 1)
    }

    /// As [`ClosureKind::period_of`], the year being the fiscal year that starts in month
    /// `year_start_month` (1-12) of the year it is named after.
    pub fn fiscal_period_of(self, business_date: &str, year_start_month: u8) -> String {
        match self {
            ClosureKind::Day => business_date.to_string(),
            ClosureKind::Month => business_date.chars().take(7).collect(),
            ClosureKind::Year => fiscal_year_of(business_date, year_start_month),
        }
    }
}

/// The fiscal year (`YYYY`, the year it starts in) of a date `YYYY-MM-DD`.
pub fn fiscal_year_of(date: &str, year_start_month: u8) -> String {
    let year: i32 = date.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    let month: u8 = date.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let year = if month < year_start_month.clamp(1, 12) { year - 1 } else { year };
    format!("{year:04}")
}

/// The first day and the day after the last of fiscal year `year` (`YYYY-MM-DD` each).
pub fn fiscal_year_days(year: &str, year_start_month: u8) -> (String, String) {
    let y: i32 = year.parse().unwrap_or(0);
    let m = year_start_month.clamp(1, 12);
    (format!("{y:04}-{m:02}-01"), format!("{:04}-{m:02}-01", y + 1))
}

/// The totals of a period.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodTotals {
    pub ticket_count: i64,
    pub first_number: Option<String>,
    pub last_number: Option<String>,
    /// Tax-inclusive total of the period, returns deducted.
    pub total: Money,
    /// Per payment method, net of change given.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, i64>))]
    pub payments: BTreeMap<PaymentMethod, Money>,
    /// Per VAT rate (basis points).
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, VatAmounts>))]
    pub vat: BTreeMap<TaxRate, VatAmounts>,
    /// Σ |ticket total|: sales and returns both counted positively (NF525's absolute total).
    #[serde(default)]
    pub absolute_total: Money,
}

impl PeriodTotals {
    /// Adds a ticket; tickets are added in sequence order.
    pub fn add_ticket(&mut self, t: &Ticket) {
        self.ticket_count += 1;
        if self.first_number.is_none() {
            self.first_number = Some(t.number.clone());
        }
        self.last_number = Some(t.number.clone());
        self.total += t.total;
        self.absolute_total += Money(t.total.cents().abs());
        for p in &t.payments {
            *self.payments.entry(p.method).or_default() += p.amount;
        }
        if t.change != Money::ZERO {
            *self.payments.entry(PaymentMethod::Cash).or_default() -= t.change;
        }
        for v in &t.vat {
            *self.vat.entry(v.rate_bp).or_default() += VatAmounts { gross: v.gross, net: v.net, vat: v.vat };
        }
    }

    /// Adds a shorter period's totals; periods are added in chronological order.
    pub fn add_period(&mut self, other: &PeriodTotals) {
        self.ticket_count += other.ticket_count;
        if self.first_number.is_none() {
            self.first_number.clone_from(&other.first_number);
        }
        if other.last_number.is_some() {
            self.last_number.clone_from(&other.last_number);
        }
        self.total += other.total;
        self.absolute_total += other.absolute_total;
        for (m, a) in &other.payments {
            *self.payments.entry(*m).or_default() += *a;
        }
        for (r, v) in &other.vat {
            *self.vat.entry(*r).or_default() += *v;
        }
    }
}

/// A committed closure: immutable and chained per register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Closure {
    pub id: Uuid,
    pub shop: String,
    pub register: String,
    /// Gap-free per register, across the three kinds.
    pub sequence: i64,
    pub kind: ClosureKind,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub period: String,
    pub created_at: String,
    #[serde(flatten)]
    pub totals: PeriodTotals,
    /// Perpetual total of every closure of this kind and register so far, this one included.
    pub grand_total: Money,
    /// Perpetual absolute total (Σ of the absolute values of the tickets' totals, returns
    /// counted positively) of every closure of this kind and register so far. Absent on
    /// closures made before it was kept, which hash as they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grand_absolute_total: Option<Money>,
    pub prev_hash: String,
    pub hash: String,
    /// `KEY_ID:HEX`: the shop's Ed25519 signature over the canonical encoding (`fiscal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Quantity;
    use crate::ticket::{Payment, TicketKind, TicketLine, VatLine};

    fn sale(n: i64, total: i64, paid_cash: i64, paid_card: i64) -> Ticket {
        let mut payments = vec![];
        if paid_cash > 0 {
            payments.push(Payment { method: PaymentMethod::Cash, amount: Money(paid_cash) });
        }
        if paid_card > 0 {
            payments.push(Payment { method: PaymentMethod::Card, amount: Money(paid_card) });
        }
        let vat = TaxRate(2000).vat_in(Money(total));
        Ticket {
            id: Uuid::nil(),
            number: format!("P-R1-{n:06}"),
            shop: "P".into(),
            register: "R1".into(),
            sequence: n,
            kind: TicketKind::Sale,
            created_at: String::new(),
            business_date: "2026-11-23".into(),
            cashier: "C1".into(),
            customer: None,
            return_of: None,
            lines: vec![TicketLine {
                article_id: Uuid::nil(),
                sku: "A".into(),
                name: "A".into(),
                qty: Quantity(1000),
                unit_price: Money(total),
                tax_rate_bp: TaxRate(2000),
                discount: Money(0),
                total: Money(total),
            }],
            discount: Money(0),
            payments,
            vat: vec![VatLine { rate_bp: TaxRate(2000), gross: Money(total), net: Money(total) - vat, vat }],
            total: Money(total),
            change: Money(paid_cash + paid_card - total),
            prev_hash: String::new(),
            hash: String::new(),
            offers: vec![],
            signature: None,
        }
    }

    #[test]
    fn day_totals_net_of_change_add_up() {
        let mut day = PeriodTotals::default();
        day.add_ticket(&sale(1, 240, 500, 0));
        day.add_ticket(&sale(2, 1000, 0, 1000));
        assert_eq!(day.ticket_count, 2);
        assert_eq!(day.total, Money(1240));
        assert_eq!(day.payments[&PaymentMethod::Cash], Money(240));
        assert_eq!(day.payments[&PaymentMethod::Card], Money(1000));
        assert_eq!(day.payments.values().sum::<Money>(), day.total);
        assert_eq!(day.vat[&TaxRate(2000)].gross, day.total);
        assert_eq!(day.first_number.as_deref(), Some("P-R1-000001"));
        assert_eq!(day.last_number.as_deref(), Some("P-R1-000002"));

        let mut month = PeriodTotals::default();
        month.add_period(&PeriodTotals::default());
        month.add_period(&day);
        month.add_period(&day);
        assert_eq!(month.ticket_count, 4);
        assert_eq!(month.total, Money(2480));
        assert_eq!(month.first_number.as_deref(), Some("P-R1-000001"));
    }

    #[test]
    fn a_closure_survives_json_both_ways() {
        let mut day = PeriodTotals::default();
        day.add_ticket(&sale(1, 240, 500, 0));
        let c = Closure {
            id: Uuid::nil(),
            shop: "P".into(),
            register: "R1".into(),
            sequence: 1,
            kind: ClosureKind::Day,
            period: "2026-11-23".into(),
            created_at: "t".into(),
            totals: day,
            grand_total: Money(240),
            grand_absolute_total: Some(Money(240)),
            prev_hash: String::new(),
            hash: String::new(),
            signature: None,
        };
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.contains(r#""vat":{"2000":"#), "{text}");
        let back: Closure = serde_json::from_str(&text).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn periods_of_a_date() {
        assert_eq!(ClosureKind::Day.period_of("2026-11-23"), "2026-11-23");
        assert_eq!(ClosureKind::Month.period_of("2026-11-23"), "2026-11");
        assert_eq!(ClosureKind::Year.period_of("2026-11-23"), "2026");
        // A fiscal year from July: 2026-06-30 is in fiscal year 2025, 2026-07-01 starts 2026.
        assert_eq!(ClosureKind::Year.fiscal_period_of("2026-06-30", 7), "2025");
        assert_eq!(ClosureKind::Year.fiscal_period_of("2026-07-01", 7), "2026");
        assert_eq!(fiscal_year_days("2025", 7), ("2025-07-01".to_string(), "2026-07-01".to_string()));
    }
}
