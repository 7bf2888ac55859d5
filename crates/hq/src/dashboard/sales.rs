//! The sales page: revenue, ticket count and average basket per shop and per day, week or
//! month, with the change against the period just before (same length); a chart; top
//! articles; totals per payment method and per VAT rate; filters by shop and dates; every
//! table also as CSV (`/dashboard/sales.csv?table=...` with the same filters).
//!
//! Everything is read from the summary tables (`HqStorage::sales_days` and friends), never
//! from the tickets: a year of 50 shops is a few thousand rows.

use super::session::{Signed, error_page};
use crate::HqError;
use crate::hq::Hq;
use crate::storage::{ArticleSales, DaySales, PaymentTotal, SalesFilter, VatTotal};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use comptoir_core::Lang;
use comptoir_pages::{self as pages, Choice, Field, Form, Select, Tr, html};
use jiff::civil::Date;
use std::collections::BTreeMap;

/// The longest range one page shows.
const MAX_DAYS: i64 = 3 * 366;
const TOP_ARTICLES: usize = 20;

#[derive(Debug, Default, serde::Deserialize)]
pub struct SalesQuery {
    from: Option<String>,
    to: Option<String>,
    shop: Option<String>,
    by: Option<String>,
    table: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Day,
    Week,
    Month,
}

impl By {
    fn parse(text: Option<&str>) -> By {
        match text {
            Some("week") => By::Week,
            Some("month") => By::Month,
            _ => By::Day,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            By::Day => "day",
            By::Week => "week",
            By::Month => "month",
        }
    }
    fn bucket(self, d: Date) -> String {
        match self {
            By::Day => d.to_string(),
            By::Week => {
                let w = d.iso_week_date();
                format!("{}-W{:02}", w.year(), w.week())
            }
            By::Month => d.to_string()[..7].to_string(),
        }
    }
}

struct Filters {
    from: Date,
    to: Date,
    shop: Option<String>,
    by: By,
}

fn date(field: &str, text: &str) -> Result<Date, HqError> {
    text.trim().parse::<Date>().map_err(|_| {
        HqError::invalid(
            "bad_date",
            format!("{field}: {text:?} is not a date; write YYYY-MM-DD."),
            format!("{field} : {text:?} n'est pas une date ; écrivez AAAA-MM-JJ."),
            Some(field),
        )
    })
}

fn filters(q: &SalesQuery) -> Result<Filters, HqError> {
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let to = match q.to.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(t) => date("to", t)?,
        None => today,
    };
    let from = match q.from.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(f) => date("from", f)?,
        None => to.checked_sub(jiff::Span::new().days(29)).unwrap_or(to),
    };
    if from > to {
        return Err(HqError::invalid(
            "bad_date_range",
            "from is after to: give the first day, then the last.",
            "from est après to : indiquez le premier jour puis le dernier.",
            Some("from"),
        ));
    }
    if days_between(from, to) > MAX_DAYS {
        return Err(HqError::invalid(
            "date_range_too_long",
            format!("At most {MAX_DAYS} days at once: narrow the dates."),
            format!("Au plus {MAX_DAYS} jours à la fois : resserrez les dates."),
            Some("from"),
        ));
    }
    let shop = q.shop.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    Ok(Filters { from, to, shop, by: By::parse(q.by.as_deref()) })
}

/// Days from `a` to `b`, both counted.
fn days_between(a: Date, b: Date) -> i64 {
    a.until(b).map(|s| s.get_days() as i64).unwrap_or(0) + 1
}

fn filter_of(from: Date, to: Date, shop: &Option<String>) -> SalesFilter {
    SalesFilter { from: from.to_string(), to: to.to_string(), shop: shop.clone() }
}

/// Everything the page and the CSV files show.
struct Sales {
    current: Vec<DaySales>,
    previous: Vec<DaySales>,
    payments: Vec<PaymentTotal>,
    vat: Vec<VatTotal>,
    top: Vec<ArticleSales>,
    shops: Vec<(String, String)>,
    prev_from: Date,
    prev_to: Date,
}

async fn load(hq: &Hq, f: &Filters) -> Result<Sales, HqError> {
    let n = days_between(f.from, f.to);
    let prev_to = f.from.yesterday().unwrap_or(f.from);
    let prev_from = prev_to.checked_sub(jiff::Span::new().days(n - 1)).unwrap_or(prev_to);
    let cur = filter_of(f.from, f.to, &f.shop);
    let prev = filter_of(prev_from, prev_to, &f.shop);
    let s = &hq.storage;
    let (current, previous, payments, vat, top, shops) = tokio::try_join!(
        s.sales_days(&cur),
        s.sales_days(&prev),
        s.payment_totals(&cur),
        s.vat_totals(&cur),
        s.top_articles(&cur, TOP_ARTICLES),
        s.list_shops(),
    )?;
    Ok(Sales {
        current,
        previous,
        payments,
        vat,
        top,
        shops: shops.into_iter().map(|s| (s.code, s.name)).collect(),
        prev_from,
        prev_to,
    })
}

fn basket(revenue: i64, tickets: i64) -> i64 {
    if tickets == 0 { 0 } else { (revenue as f64 / tickets as f64).round() as i64 }
}

/// `(tickets, revenue)` per key.
fn sum_by(rows: &[DaySales], key: impl Fn(&DaySales) -> String) -> BTreeMap<String, (i64, i64)> {
    let mut out: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in rows {
        let e = out.entry(key(r)).or_default();
        e.0 += r.tickets;
        e.1 += r.revenue;
    }
    out
}

fn total(rows: &[DaySales]) -> (i64, i64) {
    rows.iter().fold((0, 0), |a, r| (a.0 + r.tickets, a.1 + r.revenue))
}

/// Every bucket of the range (empty ones too), in order, with its totals.
fn periods(f: &Filters, rows: &[DaySales]) -> Vec<(String, i64, i64)> {
    let by_day = sum_by(rows, |r| r.day.clone());
    let mut out: Vec<(String, i64, i64)> = Vec::new();
    let mut d = f.from;
    while d <= f.to {
        let key = f.by.bucket(d);
        let (n, r) = by_day.get(&d.to_string()).copied().unwrap_or_default();
        match out.last_mut() {
            Some(last) if last.0 == key => {
                last.1 += n;
                last.2 += r;
            }
            _ => out.push((key, n, r)),
        }
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    out
}

/// Rows of each table, as text cells: `(id, heads, rows)`; `money` formats amounts.
type Table = (&'static str, Vec<&'static str>, Vec<Vec<String>>);

fn tables(l: Lang, f: &Filters, s: &Sales, money: &dyn Fn(i64) -> String, qty: &dyn Fn(i64) -> String) -> Vec<Table> {
    let names: BTreeMap<&str, &str> = s.shops.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect();
    let cur = sum_by(&s.current, |r| r.shop.clone());
    let prev = sum_by(&s.previous, |r| r.shop.clone());
    let mut shop_codes: Vec<&String> = cur.keys().chain(prev.keys()).collect();
    shop_codes.sort();
    shop_codes.dedup();
    let shops = shop_codes
        .iter()
        .map(|code| {
            let (n, r) = cur.get(*code).copied().unwrap_or_default();
            let (pn, pr) = prev.get(*code).copied().unwrap_or_default();
            vec![
                (*code).clone(),
                names.get(code.as_str()).unwrap_or(&"").to_string(),
                n.to_string(),
                money(r),
                money(basket(r, n)),
                pn.to_string(),
                money(pr),
                pages::change(l, r, pr),
            ]
        })
        .collect();
    let periods = periods(f, &s.current)
        .into_iter()
        .map(|(k, n, r)| vec![k, n.to_string(), money(r), money(basket(r, n))])
        .collect();
    let articles =
        s.top.iter().map(|a| vec![a.sku.clone(), a.name.clone(), qty(a.qty_milli), money(a.revenue)]).collect();
    let payments = s.payments.iter().map(|p| vec![method_name(l, &p.method).to_string(), money(p.amount)]).collect();
    let vat = s
        .vat
        .iter()
        .map(|v| {
            let rate = comptoir_core::TaxRate(v.rate_bp).percent_text();
            vec![if l == Lang::Fr { rate.replace('.', ",") } else { rate }, money(v.net), money(v.vat), money(v.gross)]
        })
        .collect();
    vec![
        (
            "shops",
            vec![
                l.t("Shop", "Magasin"),
                l.t("Name", "Nom"),
                "#tickets",
                "#revenue",
                "#basket",
                "#prev_tickets",
                "#prev_revenue",
                "#change",
            ],
            shops,
        ),
        ("periods", vec!["period", "#tickets", "#revenue", "#basket"], periods),
        ("articles", vec!["sku", "name", "#qty", "#revenue"], articles),
        ("payments", vec!["method", "#amount"], payments),
        ("vat", vec!["#rate", "#net", "#vat", "#gross"], vat),
    ]
}

fn method_name(l: Lang, m: &str) -> &str {
    match m {
        "cash" => l.t("Cash", "Espèces"),
        "card" => l.t("Card", "Carte"),
        "cheque" => l.t("Cheque", "Chèque"),
        "voucher" => l.t("Voucher", "Bon d'achat"),
        "other" => l.t("Other", "Autre"),
        other => other,
    }
}

/// The column heads shown on the page (the CSV keeps the stable English keys).
fn shown_heads(l: Lang, id: &str) -> Vec<&'static str> {
    let t = |en: &'static str, fr: &'static str| l.t(en, fr);
    match id {
        "shops" => vec![
            t("Shop", "Magasin"),
            t("Name", "Nom"),
            t("#Tickets", "#Tickets"),
            t("#Revenue", "#Chiffre d'affaires"),
            t("#Average basket", "#Panier moyen"),
            t("#Tickets before", "#Tickets avant"),
            t("#Revenue before", "#CA avant"),
            t("#Change", "#Évolution"),
        ],
        "periods" => vec![
            t("Period", "Période"),
            t("#Tickets", "#Tickets"),
            t("#Revenue", "#Chiffre d'affaires"),
            t("#Average basket", "#Panier moyen"),
        ],
        "articles" => vec![
            t("SKU", "Référence"),
            t("Article", "Article"),
            t("#Quantity", "#Quantité"),
            t("#Revenue", "#Chiffre d'affaires"),
        ],
        "payments" => vec![t("Method", "Moyen de paiement"), t("#Amount", "#Montant")],
        _ => vec![t("#VAT rate (%)", "#Taux de TVA (%)"), t("#Net", "#HT"), t("#VAT", "#TVA"), t("#Gross", "#TTC")],
    }
}

fn caption(l: Lang, id: &str) -> &'static str {
    match id {
        "shops" => l.t("Per shop", "Par magasin"),
        "periods" => l.t("Per period", "Par période"),
        "articles" => l.t("Top articles", "Meilleurs articles"),
        "payments" => l.t("Per payment method", "Par moyen de paiement"),
        _ => l.t("Per VAT rate", "Par taux de TVA"),
    }
}

fn query_string(f: &Filters) -> String {
    format!("from={}&to={}&shop={}&by={}", f.from, f.to, pages::url(f.shop.as_deref().unwrap_or("")), f.by.as_str())
}

pub async fn page(State(hq): State<Hq>, signed: Signed, Query(q): Query<SalesQuery>) -> Response {
    let l = signed.lang;
    let title = l.t("Sales", "Ventes");
    let f = match filters(&q) {
        Ok(f) => f,
        Err(e) => {
            let body = html! {
                (super::alert(l, &e))
                p { a href="/dashboard/sales" { (l.t("Back to the last 30 days", "Revenir aux 30 derniers jours")) } }
            };
            return pages::page(&signed.frame("sales"), StatusCode::BAD_REQUEST, title, body);
        }
    };
    let s = match load(&hq, &f).await {
        Ok(s) => s,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let (from, to) = (f.from.to_string(), f.to.to_string());
    let mut shops =
        vec![Choice { value: String::new(), text: l.t("All shops", "Tous les magasins").into(), selected: false }];
    shops.extend(s.shops.iter().map(|(code, name)| Choice {
        value: code.clone(),
        text: format!("{code} — {name}"),
        selected: f.shop.as_deref() == Some(code),
    }));
    let per = [(By::Day, "day", "jour"), (By::Week, "week", "semaine"), (By::Month, "month", "mois")]
        .into_iter()
        .map(|(by, en, fr)| Choice { value: by.as_str().into(), text: l.t(en, fr).into(), selected: f.by == by })
        .collect();
    let filters = html! {
        (Field::new(l.t("From", "Du"), "from").kind("date").value(&from))
        (Field::new(l.t("To", "Au"), "to").kind("date").value(&to))
        (Select::new(l.t("Shop", "Magasin"), "shop", shops))
        (Select::new(l.t("Per", "Par"), "by", per))
    };

    // Headline figures against the period before.
    let (n, r) = total(&s.current);
    let (pn, pr) = total(&s.previous);
    let cards = [
        ("total-revenue", l.t("Revenue", "Chiffre d'affaires"), pages::money(l, r), pages::change(l, r, pr)),
        ("total-tickets", l.t("Tickets", "Tickets"), pages::count(l, n), pages::change(l, n, pn)),
        (
            "total-basket",
            l.t("Average basket", "Panier moyen"),
            pages::money(l, basket(r, n)),
            pages::change(l, basket(r, n), basket(pr, pn)),
        ),
    ];
    let bars: Vec<(String, i64)> = periods(&f, &s.current).into_iter().map(|(k, _, r)| (k, r)).collect();
    let money = |c: i64| pages::money(l, c);
    let qty = |m: i64| pages::quantity(l, m);
    let qs = query_string(&f);
    let body = html! {
        (Form::search("/dashboard/sales").with(filters, l.t("Show", "Afficher")))
        p {
            (l.t("Business days", "Jours de vente")) " " (f.from) " → " (f.to)
            " (" (l.t("compared with", "comparé à")) " " (s.prev_from) " → " (s.prev_to) ")"
        }
        div.cards {
            @for (id, label, shown, change) in &cards {
                div.card id=(id) {
                    div { (label) }
                    div.value { (shown) }
                    div.delta { (change) " " (l.t("vs previous period", "vs période précédente")) }
                }
            }
        }
        (pages::bar_chart(l, l.t("Revenue per period", "Chiffre d'affaires par période"), &bars))
        @for (id, _, rows) in tables(l, &f, &s, &money, &qty) {
            (pages::table(
                &format!("sales-{id}"),
                caption(l, id),
                &shown_heads(l, id),
                &rows,
                Some(&format!("/dashboard/sales.csv?table={id}&{qs}")),
            ))
        }
    };
    pages::page(&signed.frame("sales"), StatusCode::OK, title, body)
}

pub async fn csv(State(hq): State<Hq>, signed: Signed, Query(q): Query<SalesQuery>) -> Response {
    let l = signed.lang;
    let f = match filters(&q) {
        Ok(f) => f,
        Err(e) => return (e.status(), e.message(l)).into_response(),
    };
    let s = match load(&hq, &f).await {
        Ok(s) => s,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let wanted = q.table.as_deref().unwrap_or("shops");
    // Plain numbers in CSV: cents as euros with a point, quantities with a point.
    let money = |c: i64| comptoir_core::Money(c).to_string();
    let qty = |m: i64| comptoir_core::Quantity(m).to_string();
    let Some((id, heads, rows)) = tables(Lang::En, &f, &s, &money, &qty).into_iter().find(|t| t.0 == wanted) else {
        let e = HqError::invalid(
            "bad_table",
            "table: one of shops, periods, articles, payments, vat.",
            "table : shops, periods, articles, payments ou vat.",
            Some("table"),
        );
        return (e.status(), e.message(l)).into_response();
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let heads: Vec<&str> = heads.iter().map(|h| h.trim_start_matches('#')).collect();
    let heads: Vec<String> = match id {
        "shops" => vec!["shop", "name", "tickets", "revenue", "basket", "prev_tickets", "prev_revenue", "change"]
            .into_iter()
            .map(String::from)
            .collect(),
        _ => heads.into_iter().map(String::from).collect(),
    };
    let _ = w.write_record(&heads);
    for row in rows {
        let _ = w.write_record(row.iter().map(|c| comptoir_core::spreadsheet::safe_cell(c).into_owned()));
    }
    let data = w.into_inner().unwrap_or_default();
    let name = format!("attachment; filename=\"sales-{id}-{}-{}.csv\"", f.from, f.to);
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)], data)
        .into_response()
}
