//! Sales summaries: what one ticket adds to the per-shop, per-day sales summaries (the
//! dashboard reads them; [`crate::push::plan`] adds up a push's tickets with them).
//!
//! Computed here once, applied by each backend in the transaction that inserts the ticket,
//! so the summaries always equal the tickets HQ holds. Rules:
//! - a return (negative total) deducts from revenue but still counts as a ticket, as in
//!   `sales_report`;
//! - payments are grouped by method; the change given back is taken off `cash`;
//! - articles are grouped by SKU with the line totals (after discounts) and quantities, per
//!   shop and also chain-wide (shop [`CHAIN`]).

use comptoir_core::ticket::Ticket;
use std::collections::BTreeMap;

/// A ticket's contribution to the summary tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSummary {
    pub shop: String,
    /// Business day `YYYY-MM-DD`.
    pub day: String,
    /// `YYYY-MM`.
    pub month: String,
    pub total: i64,
    /// `(method, amount)`.
    pub payments: Vec<(String, i64)>,
    /// `(rate_bp, gross, net, vat)`.
    pub vat: Vec<(i64, i64, i64, i64)>,
    /// `(sku, name, qty_milli, revenue)`.
    pub articles: Vec<(String, String, i64, i64)>,
}

pub fn summarize(shop: &str, t: &Ticket) -> TicketSummary {
    let mut payments: BTreeMap<String, i64> = BTreeMap::new();
    for p in &t.payments {
        *payments.entry(p.method.as_str().to_string()).or_default() += p.amount.cents();
    }
    if t.change.cents() != 0 {
        *payments.entry("cash".to_string()).or_default() -= t.change.cents();
    }
    let mut vat: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new();
    for v in &t.vat {
        let e = vat.entry(v.rate_bp.bp() as i64).or_default();
        e.0 += v.gross.cents();
        e.1 += v.net.cents();
        e.2 += v.vat.cents();
    }
    let mut articles: BTreeMap<String, (String, i64, i64)> = BTreeMap::new();
    for l in &t.lines {
        let e = articles.entry(l.sku.clone()).or_insert_with(|| (l.name.clone(), 0, 0));
        e.1 += l.qty.milli();
        e.2 += l.total.cents();
    }
    TicketSummary {
        shop: shop.to_string(),
        day: t.business_date.clone(),
        month: t.business_date.get(..7).unwrap_or(&t.business_date).to_string(),
        total: t.total.cents(),
        payments: payments.into_iter().collect(),
        vat: vat.into_iter().map(|(bp, (g, n, v))| (bp, g, n, v)).collect(),
        articles: articles.into_iter().map(|(sku, (name, q, r))| (sku, name, q, r)).collect(),
    }
}

/// An inclusive range of days (`YYYY-MM-DD`) or months (`YYYY-MM`).
pub type Range = (String, String);

/// Whole months inside `from..=to` and the days outside them, so that a long range reads
/// the month table and only its ragged edges from the day table.
/// Returns `(day ranges, month range)`; each range is inclusive.
pub fn split_months(from: &str, to: &str) -> (Vec<Range>, Option<Range>) {
    use jiff::civil::Date;
    let (Ok(f), Ok(t)) = (from.parse::<Date>(), to.parse::<Date>()) else {
        return (vec![(from.to_string(), to.to_string())], None);
    };
    if f > t {
        return (Vec::new(), None);
    }
    // First whole month: the month of `f` when f is its first day, else the next one.
    let first = if f.day() == 1 { f } else { f.last_of_month().tomorrow().unwrap_or(f) };
    // Last whole month: the month of `t` when t is its last day, else the one before.
    let last = if t == t.last_of_month() { t.first_of_month() } else { t.first_of_month().yesterday().unwrap_or(t) };
    if first > last || first > t {
        return (vec![(f.to_string(), t.to_string())], None);
    }
    let last = last.first_of_month();
    let mut days = Vec::new();
    if f < first {
        days.push((f.to_string(), first.yesterday().unwrap_or(first).to_string()));
    }
    let end_of_months = last.last_of_month();
    if end_of_months < t {
        days.push((end_of_months.tomorrow().unwrap_or(t).to_string(), t.to_string()));
    }
    let month = |d: Date| d.to_string()[..7].to_string();
    (days, Some((month(first), month(last))))
}

#[cfg(test)]
mod tests {
    use super::split_months;

    #[test]
    fn month_split() {
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(split_months("2026-01-01", "2026-12-31"), (vec![], Some(s("2026-01", "2026-12"))));
        assert_eq!(
            split_months("2026-01-15", "2026-03-10"),
            (vec![s("2026-01-15", "2026-01-31"), s("2026-03-01", "2026-03-10")], Some(s("2026-02", "2026-02")))
        );
        assert_eq!(split_months("2026-01-15", "2026-02-10"), (vec![s("2026-01-15", "2026-02-10")], None));
        assert_eq!(split_months("2026-02-01", "2026-02-28"), (vec![], Some(s("2026-02", "2026-02"))));
        assert_eq!(split_months("2026-02-02", "2026-02-28"), (vec![s("2026-02-02", "2026-02-28")], None));
        assert_eq!(split_months("2026-03-01", "2026-02-01"), (vec![], None));
    }
}

/// The shop code of the article summaries' chain-wide rows (every shop's sales added up):
/// the top articles of the whole chain read 300 rows a month, not 300 per shop. No shop
/// has this code (codes are never empty).
pub const CHAIN: &str = "";

/// Several tickets' summaries added together, one row per key: a backend that inserts a
/// batch writes each summary row once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchSummary {
    /// `(day, shop) -> (tickets, revenue)`
    pub days: BTreeMap<(String, String), (i64, i64)>,
    /// `(day, shop, method) -> amount`
    pub payments: BTreeMap<(String, String, String), i64>,
    /// `(day, shop, rate_bp) -> (gross, net, vat)`
    pub vat: BTreeMap<(String, String, i64), (i64, i64, i64)>,
    /// `(day, shop, sku) -> (name, qty_milli, revenue)`, with [`CHAIN`] rows
    pub day_articles: BTreeMap<(String, String, String), (String, i64, i64)>,
    /// `(month, shop, sku) -> (name, qty_milli, revenue)`, with [`CHAIN`] rows
    pub month_articles: BTreeMap<(String, String, String), (String, i64, i64)>,
}

impl BatchSummary {
    pub fn add(&mut self, s: &TicketSummary) {
        let d = self.days.entry((s.day.clone(), s.shop.clone())).or_default();
        d.0 += 1;
        d.1 += s.total;
        for (m, a) in &s.payments {
            *self.payments.entry((s.day.clone(), s.shop.clone(), m.clone())).or_default() += a;
        }
        for (bp, g, n, v) in &s.vat {
            let e = self.vat.entry((s.day.clone(), s.shop.clone(), *bp)).or_default();
            e.0 += g;
            e.1 += n;
            e.2 += v;
        }
        for (sku, name, q, r) in &s.articles {
            for shop in [s.shop.as_str(), CHAIN] {
                for (map, period) in [(&mut self.day_articles, &s.day), (&mut self.month_articles, &s.month)] {
                    let e = map
                        .entry((period.clone(), shop.to_string(), sku.clone()))
                        .or_insert_with(|| (name.clone(), 0, 0));
                    e.0 = name.clone();
                    e.1 += q;
                    e.2 += r;
                }
            }
        }
    }
}
