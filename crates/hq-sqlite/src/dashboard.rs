//! The dashboard's storage on SQLite: sessions, and the sales summaries (`0002_dashboard.sql`)
//! that [`add_batch`] updates inside `apply_push`'s transaction.

use super::{Fail, R, SqliteStorage};
use comptoir_hq::StorageError;
use comptoir_hq::sales::{BatchSummary, CHAIN, split_months};
use comptoir_hq::storage::*;
use rusqlite::{Connection, OptionalExtension, params};

/// Adds a push batch's inserted tickets to the summaries (same transaction as the
/// inserts): one upsert per summary row, however many tickets it sums.
pub(crate) fn add_batch(c: &Connection, b: &BatchSummary) -> R<()> {
    let mut days = c.prepare_cached(
        "INSERT INTO sales_days (day, shop, tickets, revenue) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (day, shop) DO UPDATE SET tickets = tickets + excluded.tickets, revenue = revenue + excluded.revenue",
    )?;
    for ((day, shop), (n, revenue)) in &b.days {
        days.execute(params![day, shop, n, revenue])?;
    }
    let mut pay = c.prepare_cached(
        "INSERT INTO sales_day_payments (day, shop, method, amount) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (day, shop, method) DO UPDATE SET amount = amount + excluded.amount",
    )?;
    for ((day, shop, method), amount) in &b.payments {
        pay.execute(params![day, shop, method, amount])?;
    }
    let mut vat = c.prepare_cached(
        "INSERT INTO sales_day_vat (day, shop, rate_bp, gross, net, vat) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (day, shop, rate_bp) DO UPDATE SET gross = gross + excluded.gross, net = net + excluded.net,
             vat = vat + excluded.vat",
    )?;
    for ((day, shop, bp), (g, n, v)) in &b.vat {
        vat.execute(params![day, shop, bp, g, n, v])?;
    }
    let mut day_art = c.prepare_cached(
        "INSERT INTO sales_day_articles (day, shop, sku, name, qty_milli, revenue) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (day, shop, sku) DO UPDATE SET name = excluded.name, qty_milli = qty_milli + excluded.qty_milli,
             revenue = revenue + excluded.revenue",
    )?;
    for ((day, shop, sku), (name, q, r)) in &b.day_articles {
        day_art.execute(params![day, shop, sku, name, q, r])?;
    }
    let mut month_art = c.prepare_cached(
        "INSERT INTO sales_month_articles (month, shop, sku, name, qty_milli, revenue) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (month, shop, sku) DO UPDATE SET name = excluded.name, qty_milli = qty_milli + excluded.qty_milli,
             revenue = revenue + excluded.revenue",
    )?;
    for ((month, shop, sku), (name, q, r)) in &b.month_articles {
        month_art.execute(params![month, shop, sku, name, q, r])?;
    }
    Ok(())
}

fn own(f: &SalesFilter) -> SalesFilter {
    f.clone()
}

#[async_trait::async_trait]
impl DashboardStorage for SqliteStorage {
    async fn create_session(&self, s: &DashboardSession) -> Result<(), StorageError> {
        let s = s.clone();
        self.write(move |tx| {
            // Expired sessions go when new ones come: the table stays small.
            tx.execute("DELETE FROM dashboard_sessions WHERE expires_at <= ?", [&s.created_at])?;
            tx.execute(
                "INSERT INTO dashboard_sessions (token_hash, admin, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                params![s.token_hash, s.user, s.csrf, s.created_at, s.expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn session(&self, hash: &str, now: &str) -> Result<Option<DashboardSession>, StorageError> {
        let (hash, now) = (hash.to_string(), now.to_string());
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT token_hash, admin, csrf, created_at, expires_at FROM dashboard_sessions
                 WHERE token_hash = ? AND expires_at > ?",
            )?
            .query_row(params![hash, now], |r| {
                Ok(DashboardSession {
                    token_hash: r.get(0)?,
                    user: r.get(1)?,
                    csrf: r.get(2)?,
                    created_at: r.get(3)?,
                    expires_at: r.get(4)?,
                })
            })
            .optional()?)
        })
        .await
    }

    async fn delete_session(&self, hash: &str) -> Result<(), StorageError> {
        let hash = hash.to_string();
        self.write(move |tx| {
            tx.execute("DELETE FROM dashboard_sessions WHERE token_hash = ?", [hash])?;
            Ok(())
        })
        .await
    }

    async fn sales_days(&self, f: &SalesFilter) -> Result<Vec<DaySales>, StorageError> {
        let f = own(f);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT shop, day, tickets, revenue FROM sales_days
                 WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR shop = ?3) ORDER BY shop, day",
            )?;
            Ok(stmt
                .query_map(params![f.from, f.to, f.shop], |r| {
                    Ok(DaySales { shop: r.get(0)?, day: r.get(1)?, tickets: r.get(2)?, revenue: r.get(3)? })
                })?
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn payment_totals(&self, f: &SalesFilter) -> Result<Vec<PaymentTotal>, StorageError> {
        let f = own(f);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT method, SUM(amount) FROM sales_day_payments
                 WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR shop = ?3) GROUP BY method ORDER BY method",
            )?;
            Ok(stmt
                .query_map(params![f.from, f.to, f.shop], |r| {
                    Ok(PaymentTotal { method: r.get(0)?, amount: r.get(1)? })
                })?
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn vat_totals(&self, f: &SalesFilter) -> Result<Vec<VatTotal>, StorageError> {
        let f = own(f);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT rate_bp, SUM(gross), SUM(net), SUM(vat) FROM sales_day_vat
                 WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR shop = ?3) GROUP BY rate_bp ORDER BY rate_bp",
            )?;
            Ok(stmt
                .query_map(params![f.from, f.to, f.shop], |r| {
                    Ok(VatTotal { rate_bp: r.get(0)?, gross: r.get(1)?, net: r.get(2)?, vat: r.get(3)? })
                })?
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn top_articles(&self, f: &SalesFilter, limit: usize) -> Result<Vec<ArticleSales>, StorageError> {
        let f = own(f);
        self.read(move |c| {
            let (days, months) = split_months(&f.from, &f.to);
            // Every shop: the chain-wide rows.
            let shop = f.shop.clone().unwrap_or_else(|| CHAIN.to_string());
            let mut parts = Vec::new();
            let mut args: Vec<String> = vec![shop];
            let ranges = days.into_iter().map(|r| ("sales_day_articles", "day", r));
            for (table, column, (a, b)) in ranges.chain(months.map(|r| ("sales_month_articles", "month", r))) {
                parts.push(format!(
                    "SELECT sku, name, qty_milli, revenue FROM {table} WHERE {column} BETWEEN ?{} AND ?{} AND shop = ?1",
                    args.len() + 1,
                    args.len() + 2
                ));
                args.push(a);
                args.push(b);
            }
            if parts.is_empty() {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT sku, MAX(name), SUM(qty_milli), SUM(revenue) FROM ({}) GROUP BY sku
                 ORDER BY SUM(revenue) DESC, sku LIMIT {}",
                parts.join(" UNION ALL "),
                limit as i64
            );
            let mut stmt = c.prepare_cached(&sql)?;
            Ok(stmt
                .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                    Ok(ArticleSales { sku: r.get(0)?, name: r.get(1)?, qty_milli: r.get(2)?, revenue: r.get(3)? })
                })?
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn registers(&self) -> Result<Vec<RegisterView>, StorageError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT shop, register,
                        COALESCE(MAX(CASE WHEN chain = 'ticket' THEN sequence END), 0),
                        COALESCE(MAX(CASE WHEN chain = 'closure' THEN sequence END), 0)
                 FROM chain_heads GROUP BY shop, register ORDER BY shop, register",
            )?;
            let rows: Vec<RegisterView> = stmt
                .query_map([], |r| {
                    Ok(RegisterView { shop: r.get(0)?, register: r.get(1)?, tickets: r.get(2)?, closures: r.get(3)? })
                })?
                .collect::<Result<_, _>>()?;
            Ok::<_, Fail>(rows)
        })
        .await
    }
}
