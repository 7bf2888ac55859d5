//! The dashboard's storage on PostgreSQL: sessions, and the sales summaries
//! (`0002_dashboard.sql`) that [`add_tickets`] updates inside `apply_push`'s transaction.
//!
//! A push batch's summaries are added up in memory first ([`BatchSummary`]), then each row is
//! upserted once, pipelined on the connection. The push already holds its shop's row lock,
//! and every summary row belongs to one shop, so two pushes never fight over a row.

use super::{Fail, PostgresStorage, R};
use comptoir_hq::StorageError;
use comptoir_hq::sales::{BatchSummary, CHAIN, split_months};
use comptoir_hq::storage::*;
use tokio_postgres::GenericClient;
use tokio_postgres::types::ToSql;

type Param<'a> = &'a (dyn ToSql + Sync);

/// Adds a batch's inserted tickets to the summaries (same transaction as the inserts).
pub(crate) async fn add_tickets(c: &impl GenericClient, b: &BatchSummary) -> R<()> {
    let days = c
        .prepare(
            "INSERT INTO sales_days (day, shop, tickets, revenue) VALUES ($1, $2, $3, $4)
             ON CONFLICT (day, shop) DO UPDATE SET tickets = sales_days.tickets + excluded.tickets,
                 revenue = sales_days.revenue + excluded.revenue",
        )
        .await?;
    let pay = c
        .prepare(
            "INSERT INTO sales_day_payments (day, shop, method, amount) VALUES ($1, $2, $3, $4)
             ON CONFLICT (day, shop, method) DO UPDATE SET amount = sales_day_payments.amount + excluded.amount",
        )
        .await?;
    let vat = c
        .prepare(
            "INSERT INTO sales_day_vat (day, shop, rate_bp, gross, net, vat) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (day, shop, rate_bp) DO UPDATE SET gross = sales_day_vat.gross + excluded.gross,
                 net = sales_day_vat.net + excluded.net, vat = sales_day_vat.vat + excluded.vat",
        )
        .await?;
    let day_art = c
        .prepare(
            "INSERT INTO sales_day_articles (day, shop, sku, name, qty_milli, revenue) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (day, shop, sku) DO UPDATE SET name = excluded.name,
                 qty_milli = sales_day_articles.qty_milli + excluded.qty_milli,
                 revenue = sales_day_articles.revenue + excluded.revenue",
        )
        .await?;
    let month_art = c
        .prepare(
            "INSERT INTO sales_month_articles (month, shop, sku, name, qty_milli, revenue) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (month, shop, sku) DO UPDATE SET name = excluded.name,
                 qty_milli = sales_month_articles.qty_milli + excluded.qty_milli,
                 revenue = sales_month_articles.revenue + excluded.revenue",
        )
        .await?;
    let mut calls: Vec<(&tokio_postgres::Statement, Vec<Param>)> = Vec::new();
    for ((day, shop), (n, revenue)) in &b.days {
        calls.push((&days, vec![day as Param, shop, n, revenue]));
    }
    for ((day, shop, method), amount) in &b.payments {
        calls.push((&pay, vec![day as Param, shop, method, amount]));
    }
    for ((day, shop, bp), (g, n, v)) in &b.vat {
        calls.push((&vat, vec![day as Param, shop, bp, g, n, v]));
    }
    for ((day, shop, sku), (name, q, r)) in &b.day_articles {
        calls.push((&day_art, vec![day as Param, shop, sku, name, q, r]));
    }
    for ((month, shop, sku), (name, q, r)) in &b.month_articles {
        calls.push((&month_art, vec![month as Param, shop, sku, name, q, r]));
    }
    futures_util::future::try_join_all(calls.iter().map(|(stmt, p)| c.execute(*stmt, p))).await?;
    Ok(())
}

#[async_trait::async_trait]
impl DashboardStorage for PostgresStorage {
    async fn create_session(&self, s: &DashboardSession) -> Result<(), StorageError> {
        let c = self.conn().await?;
        // Expired sessions go when new ones come: the table stays small.
        c.execute("DELETE FROM dashboard_sessions WHERE expires_at <= $1", &[&s.created_at])
            .await
            .map_err(Fail::from)?;
        c.execute(
            "INSERT INTO dashboard_sessions (token_hash, admin, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[&s.token_hash, &s.user, &s.csrf, &s.created_at, &s.expires_at],
        )
        .await
        .map_err(Fail::from)?;
        Ok(())
    }

    async fn session(&self, hash: &str, now: &str) -> Result<Option<DashboardSession>, StorageError> {
        let c = self.conn().await?;
        let row = c
            .query_opt(
                "SELECT token_hash, admin, csrf, created_at, expires_at FROM dashboard_sessions
                 WHERE token_hash = $1 AND expires_at > $2",
                &[&hash, &now],
            )
            .await
            .map_err(Fail::from)?;
        Ok(row.map(|r| DashboardSession {
            token_hash: r.get(0),
            user: r.get(1),
            csrf: r.get(2),
            created_at: r.get(3),
            expires_at: r.get(4),
        }))
    }

    async fn delete_session(&self, hash: &str) -> Result<(), StorageError> {
        let c = self.conn().await?;
        c.execute("DELETE FROM dashboard_sessions WHERE token_hash = $1", &[&hash]).await.map_err(Fail::from)?;
        Ok(())
    }

    async fn sales_days(&self, f: &SalesFilter) -> Result<Vec<DaySales>, StorageError> {
        let c = self.conn().await?;
        let rows = c
            .query(
                "SELECT shop, day, tickets, revenue FROM sales_days
                 WHERE day BETWEEN $1 AND $2 AND ($3::text IS NULL OR shop = $3) ORDER BY shop COLLATE \"C\", day",
                &[&f.from, &f.to, &f.shop],
            )
            .await
            .map_err(Fail::from)?;
        Ok(rows
            .iter()
            .map(|r| DaySales { shop: r.get(0), day: r.get(1), tickets: r.get(2), revenue: r.get(3) })
            .collect())
    }

    async fn payment_totals(&self, f: &SalesFilter) -> Result<Vec<PaymentTotal>, StorageError> {
        let c = self.conn().await?;
        let rows = c
            .query(
                "SELECT method, SUM(amount)::BIGINT FROM sales_day_payments
                 WHERE day BETWEEN $1 AND $2 AND ($3::text IS NULL OR shop = $3)
                 GROUP BY method ORDER BY method COLLATE \"C\"",
                &[&f.from, &f.to, &f.shop],
            )
            .await
            .map_err(Fail::from)?;
        Ok(rows.iter().map(|r| PaymentTotal { method: r.get(0), amount: r.get(1) }).collect())
    }

    async fn vat_totals(&self, f: &SalesFilter) -> Result<Vec<VatTotal>, StorageError> {
        let c = self.conn().await?;
        let rows = c
            .query(
                "SELECT rate_bp, SUM(gross)::BIGINT, SUM(net)::BIGINT, SUM(vat)::BIGINT FROM sales_day_vat
                 WHERE day BETWEEN $1 AND $2 AND ($3::text IS NULL OR shop = $3) GROUP BY rate_bp ORDER BY rate_bp",
                &[&f.from, &f.to, &f.shop],
            )
            .await
            .map_err(Fail::from)?;
        Ok(rows
            .iter()
            .map(|r| VatTotal {
                rate_bp: r.get::<_, i64>(0).clamp(0, u32::MAX as i64) as u32,
                gross: r.get(1),
                net: r.get(2),
                vat: r.get(3),
            })
            .collect())
    }

    async fn top_articles(&self, f: &SalesFilter, limit: usize) -> Result<Vec<ArticleSales>, StorageError> {
        let (days, months) = split_months(&f.from, &f.to);
        let mut parts = Vec::new();
        let mut args: Vec<String> = Vec::new();
        for (a, b) in days {
            parts.push(format!(
                "SELECT sku, name, qty_milli, revenue FROM sales_day_articles WHERE day BETWEEN ${} AND ${} AND shop = $1",
                args.len() + 2,
                args.len() + 3
            ));
            args.push(a);
            args.push(b);
        }
        if let Some((a, b)) = months {
            parts.push(format!(
                "SELECT sku, name, qty_milli, revenue FROM sales_month_articles WHERE month BETWEEN ${} AND ${} AND shop = $1",
                args.len() + 2,
                args.len() + 3
            ));
            args.push(a);
            args.push(b);
        }
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT sku, MAX(name), SUM(qty_milli)::BIGINT, SUM(revenue)::BIGINT FROM ({}) a GROUP BY sku
             ORDER BY SUM(revenue) DESC, sku COLLATE \"C\" LIMIT {}",
            parts.join(" UNION ALL "),
            limit as i64
        );
        // Every shop: the chain-wide rows.
        let shop = f.shop.clone().unwrap_or_else(|| CHAIN.to_string());
        let mut params: Vec<Param> = vec![&shop];
        params.extend(args.iter().map(|a| a as Param));
        let c = self.conn().await?;
        let rows = c.query(&sql, &params).await.map_err(Fail::from)?;
        Ok(rows
            .iter()
            .map(|r| ArticleSales { sku: r.get(0), name: r.get(1), qty_milli: r.get(2), revenue: r.get(3) })
            .collect())
    }

    async fn registers(&self) -> Result<Vec<RegisterView>, StorageError> {
        let c = self.conn().await?;
        let rows = c
            .query(
                "SELECT shop, register,
                        COALESCE(MAX(CASE WHEN chain = 'ticket' THEN sequence END), 0),
                        COALESCE(MAX(CASE WHEN chain = 'closure' THEN sequence END), 0)
                 FROM chain_heads GROUP BY shop, register ORDER BY shop COLLATE \"C\", register COLLATE \"C\"",
                &[],
            )
            .await
            .map_err(Fail::from)?;
        Ok(rows
            .iter()
            .map(|r| RegisterView { shop: r.get(0), register: r.get(1), tickets: r.get(2), closures: r.get(3) })
            .collect())
    }
}
