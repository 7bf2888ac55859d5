//! `comptoir bench dashboard`: the dashboard's server time per page with a year of sales.
//!
//! An HQ as its own process (`hq init` then `hq serve`, SQLite); then this process opens the
//! same database through the storage layer (`SqliteStorage`, the product's own
//! `apply_push`, so the summary tables are filled exactly as a real push fills them) and
//! loads `days` days of sales for `shops` shops, `tickets` a day each, one register per
//! shop, correctly chained. Then it signs in to the dashboard over HTTP like a browser
//! (cookie, CSRF) and times each main page `requests` times, sequentially: the figures are
//! the median and the slowest, in milliseconds, client-measured on loopback.

use super::chain::{ADMIN, HqProcess, PASSWORD, progress};
use super::{Figures, harness, percentile_ms, tempdir};
use comptoir_core::ticket::{Payment, PaymentMethod, Ticket, TicketKind, TicketLine, VatLine};
use comptoir_core::{Money, Quantity, TaxRate};
use comptoir_hq::storage::prelude::*;
use comptoir_hq::storage::{ArticleWrite, PushAction, PushItem, RecordKind};
use comptoir_hq::sync::{new_enrolment_token, now_text};
use comptoir_hq_sqlite::SqliteStorage;
use comptoir_protocol::{Record, ShopIdentity};
use comptoir_shop::ShopError;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use uuid::Uuid;

const ARTICLES: usize = 300;
const BATCH: usize = 1000;
const RATES: [u32; 3] = [550, 1000, 2000];

/// The pages timed: `(label, path, median key, max key)`; `{last}` is the last day loaded,
/// `{first}` the first, `{shop}` the first shop.
const PAGES: &[(&str, &str, &str, &str)] = &[
    ("sales, last 30 days", "/dashboard/sales", "sales_30d_p50_ms", "sales_30d_max_ms"),
    (
        "sales, the year per month",
        "/dashboard/sales?from={first}&to={last}&by=month",
        "sales_year_p50_ms",
        "sales_year_max_ms",
    ),
    (
        "sales, one shop, the year per week",
        "/dashboard/sales?from={first}&to={last}&by=week&shop={shop}",
        "sales_shop_year_p50_ms",
        "sales_shop_year_max_ms",
    ),
    (
        "sales CSV, top articles of the year",
        "/dashboard/sales.csv?table=articles&from={first}&to={last}",
        "sales_csv_p50_ms",
        "sales_csv_max_ms",
    ),
    ("chain health", "/dashboard/health", "health_p50_ms", "health_max_ms"),
    ("catalog", "/dashboard/catalog", "catalog_p50_ms", "catalog_max_ms"),
    ("catalog search", "/dashboard/catalog?q=A01", "catalog_search_p50_ms", "catalog_search_max_ms"),
    ("shops", "/dashboard/shops", "shops_p50_ms", "shops_max_ms"),
    ("jobs", "/dashboard/jobs", "jobs_p50_ms", "jobs_max_ms"),
];

/// A small deterministic generator: the same data at every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn article(i: usize) -> (String, String, i64, u32) {
    (format!("A{i:04}"), format!("Article {i}"), 100 + (i as i64 * 37) % 4900, RATES[i % RATES.len()])
}

/// A sale of 1 to 4 lines; paid by card, or in cash with change.
fn sale(shop: &str, sequence: i64, prev: &str, day: &str, rng: &mut Lcg) -> Ticket {
    let mut lines = Vec::new();
    let mut by_rate: BTreeMap<u32, i64> = BTreeMap::new();
    for _ in 0..1 + rng.next(4) {
        let (sku, name, price, bp) = article(rng.next(ARTICLES));
        let qty = 1 + rng.next(2) as i64;
        *by_rate.entry(bp).or_default() += price * qty;
        lines.push(TicketLine {
            article_id: Uuid::nil(),
            sku,
            name,
            qty: Quantity(qty * 1000),
            unit_price: Money(price),
            tax_rate_bp: TaxRate(bp),
            discount: Money(0),
            total: Money(price * qty),
        });
    }
    let total: i64 = by_rate.values().sum();
    let vat = by_rate
        .into_iter()
        .map(|(bp, gross)| {
            let v = TaxRate(bp).vat_in(Money(gross));
            VatLine { rate_bp: TaxRate(bp), gross: Money(gross), net: Money(gross) - v, vat: v }
        })
        .collect();
    let (payments, change) = if rng.next(3) == 0 {
        let given = (total / 1000 + 1) * 1000;
        (vec![Payment { method: PaymentMethod::Cash, amount: Money(given) }], given - total)
    } else {
        (vec![Payment { method: PaymentMethod::Card, amount: Money(total) }], 0)
    };
    let mut t = Ticket {
        id: Uuid::now_v7(),
        number: format!("{shop}-R1-{sequence:06}"),
        shop: shop.into(),
        register: "R1".into(),
        sequence,
        kind: TicketKind::Sale,
        created_at: format!("{day}T12:00:00.000000Z"),
        business_date: day.into(),
        cashier: "C1".into(),
        customer: None,
        offers: Vec::new(),
        return_of: None,
        lines,
        discount: Money(0),
        payments,
        vat,
        total: Money(total),
        change: Money(change),
        prev_hash: prev.into(),
        hash: String::new(),
        signature: None,
    };
    t.hash = comptoir_core::chain::ticket_hash(&t);
    t
}

fn hq_error(e: comptoir_hq::StorageError) -> ShopError {
    harness(e.to_string())
}

/// Loads the catalog, the shops and their year of sales; returns (tickets, seconds).
async fn load(s: &SqliteStorage, shops: usize, days: &[String], tickets: usize) -> Result<(u64, f64), ShopError> {
    let writes = (0..ARTICLES)
        .map(|i| {
            let (sku, name, price, bp) = article(i);
            ArticleWrite::Create {
                sku,
                name,
                price: Money(price),
                tax_rate: TaxRate(bp),
                barcodes: vec![],
                category: None,
                web: false,
            }
        })
        .collect();
    s.write_articles(writes, false).await.map_err(hq_error)?;
    let bar = progress((shops * days.len() * tickets) as u64, "tickets loaded through apply_push");
    let start = Instant::now();
    let mut rng = Lcg(7);
    let mut loaded = 0u64;
    for n in 0..shops {
        let code = format!("S{n:03}");
        let identity = ShopIdentity { code: code.clone(), name: format!("Shop {n}"), postal_code: "75001".into() };
        s.create_shop(&identity, &new_enrolment_token(7).1).await.map_err(hq_error)?;
        let (mut sequence, mut prev) = (0i64, comptoir_core::chain::GENESIS.to_string());
        let mut batch = Vec::with_capacity(BATCH);
        for day in days {
            for _ in 0..tickets {
                sequence += 1;
                let t = sale(&code, sequence, &prev, day, &mut rng);
                prev = t.hash.clone();
                batch.push(PushItem {
                    id: t.id,
                    kind: RecordKind::Ticket,
                    raw: String::new(),
                    action: PushAction::Insert(Box::new(Record::Ticket(t))),
                });
                if batch.len() == BATCH {
                    loaded += batch.len() as u64;
                    bar.inc(batch.len() as u64);
                    s.apply_push(&code, &now_text(), std::mem::take(&mut batch)).await.map_err(hq_error)?;
                }
            }
        }
        if !batch.is_empty() {
            loaded += batch.len() as u64;
            bar.inc(batch.len() as u64);
            s.apply_push(&code, &now_text(), batch).await.map_err(hq_error)?;
        }
    }
    bar.finish_and_clear();
    Ok((loaded, start.elapsed().as_secs_f64()))
}

fn set_cookie_value(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn form_escape(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Signs in like a browser; returns the `Cookie` header of the session.
async fn sign_in(http: &reqwest::Client, origin: &str) -> Result<String, ShopError> {
    let e = |e: reqwest::Error| harness(e.to_string());
    let page = http.get(format!("{origin}/dashboard/login")).send().await.map_err(e)?;
    let login_cookie = set_cookie_value(&page, "comptoir_login").ok_or_else(|| harness("no sign-in cookie"))?;
    let body = format!("csrf={login_cookie}&user={ADMIN}&password={}&next=%2Fdashboard%2Fsales", form_escape(PASSWORD));
    let r = http
        .post(format!("{origin}/dashboard/login"))
        .header("cookie", format!("comptoir_login={login_cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(e)?;
    let session = set_cookie_value(&r, "comptoir_session")
        .ok_or_else(|| harness(format!("sign-in refused: HTTP {}", r.status())))?;
    Ok(format!("comptoir_session={session}"))
}

pub async fn dashboard(shops: usize, days: usize, tickets: usize, requests: usize) -> Result<Figures, ShopError> {
    let root = tempdir()?;
    let hq = HqProcess::start(root.path(), None).await?;
    let storage = SqliteStorage::open(&root.path().join("hq").join(comptoir_hq_sqlite::DB_FILE))
        .map_err(|e| harness(e.to_string()))?;
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut dates: Vec<String> = (0..days as i64)
        .rev()
        .filter_map(|back| today.checked_sub(jiff::Span::new().days(back)).ok())
        .map(|d| d.to_string())
        .collect();
    dates.dedup();
    let (loaded, load_seconds) = load(&storage, shops, &dates, tickets).await?;
    drop(storage);
    let db = root.path().join("hq").join(comptoir_hq_sqlite::DB_FILE);
    let wal = db.with_extension("sqlite-wal");
    let db_mib =
        [db, wal].iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len() as f64 / 1048576.0).sum::<f64>();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| harness(e.to_string()))?;
    let cookie = sign_in(&http, &hq.origin).await?;
    let mut figures: Figures = vec![
        ("shops", shops as f64),
        ("days", dates.len() as f64),
        ("tickets", loaded as f64),
        ("load_tickets_per_second", loaded as f64 / load_seconds),
        ("database_mib", db_mib),
    ];
    let (first, last) = (dates.first().cloned().unwrap_or_default(), dates.last().cloned().unwrap_or_default());
    let mut slowest = 0.0f64;
    for (label, path, p50_key, max_key) in PAGES {
        let path = path.replace("{first}", &first).replace("{last}", &last).replace("{shop}", "S000");
        let url = format!("{}{path}", hq.origin);
        let mut times: Vec<Duration> = Vec::with_capacity(requests);
        // One request before timing: connections open, statements prepared.
        for i in 0..=requests.max(1) {
            let start = Instant::now();
            let r = http.get(&url).header("cookie", &cookie).send().await.map_err(|e| harness(e.to_string()))?;
            let status = r.status();
            let body = r.bytes().await.map_err(|e| harness(e.to_string()))?;
            let took = start.elapsed();
            if status != reqwest::StatusCode::OK || body.len() < 100 {
                return Err(harness(format!("{label}: HTTP {status}, {} bytes", body.len())));
            }
            if i > 0 {
                times.push(took);
            }
        }
        times.sort();
        let (p50, max) = (percentile_ms(&times, 50.0), percentile_ms(&times, 100.0));
        slowest = slowest.max(max);
        eprintln!("{label:<40} p50 {p50:>8.2} ms   max {max:>8.2} ms");
        figures.push((p50_key, p50));
        figures.push((max_key, max));
    }
    figures.push(("slowest_page_ms", slowest));
    drop(hq);
    Ok(figures)
}
