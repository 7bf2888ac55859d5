//! What `hq migrate` (SQLite to PostgreSQL) needs: raw SQL, row counts, chain heads, rows
//! copied as they are and the feed's head set after them.

use super::*;
use comptoir_hq::HqError;

impl PostgresStorage {
    /// Runs SQL on the database as is (tests and `hq migrate`).
    pub async fn execute_batch(&self, sql: &str) -> Result<(), HqError> {
        let client = self.conn().await?;
        client.batch_execute(sql).await.map_err(Fail::from)?;
        Ok(())
    }

    /// Counts the rows of each table `hq migrate` copies, and the feed's head.
    pub async fn counts(&self) -> Result<Vec<(String, i64)>, HqError> {
        let client = self.conn().await?;
        let mut out = Vec::new();
        for table in COPIED_TABLES {
            let n: i64 =
                client.query_one(&format!("SELECT COUNT(*) FROM {table}"), &[]).await.map_err(Fail::from)?.get(0);
            out.push((table.to_string(), n));
        }
        Ok(out)
    }

    /// Every register's chain heads: `(shop, register, chain, sequence, hash)`.
    pub async fn chain_heads(&self) -> Result<Vec<(String, String, String, i64, String)>, HqError> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT shop, register, chain, sequence, hash FROM chain_heads ORDER BY shop COLLATE \"C\", register COLLATE \"C\", chain",
                &[],
            )
            .await
            .map_err(Fail::from)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))).collect())
    }

    /// Copies rows into an empty HQ as they are (`hq migrate`): `rows` are the values of
    /// `columns` of `table`, as text (NULL as `None`), converted to each column's type by
    /// PostgreSQL. One transaction per call.
    pub async fn import_rows(
        &self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Option<String>>>,
    ) -> Result<u64, HqError> {
        if !COPIED_TABLES.contains(&table) && table != "hq" {
            return Err(HqError::Storage(format!("unknown table {table}")));
        }
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        let types: Vec<String> = {
            let mut types = Vec::new();
            for column in columns {
                let t: String = tx
                    .query_one(
                        "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                         WHERE a.attrelid = $1::text::regclass AND a.attname = $2::text AND NOT a.attisdropped",
                        &[&table, column],
                    )
                    .await
                    .map_err(Fail::from)?
                    .get(0);
                types.push(t);
            }
            types
        };
        let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
        let values: Vec<String> = types.iter().enumerate().map(|(i, t)| format!("${}::text::{t}", i + 1)).collect();
        let overriding = if table == "tickets" || table == "closures" || table == "chain_events" {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        };
        let sql = format!("INSERT INTO {table} ({}){overriding} VALUES ({})", quoted.join(", "), values.join(", "));
        let stmt = tx.prepare(&sql).await.map_err(Fail::from)?;
        let mut n = 0;
        for row in &rows {
            let params: Vec<&(dyn ToSql + Sync)> = row.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            n += tx.execute(&stmt, &params).await.map_err(Fail::from)?;
        }
        tx.commit().await.map_err(Fail::from)?;
        Ok(n)
    }

    /// After a copy: identity columns continue after the copied rows, and the feed counter
    /// after the copied feed (`head`: the source's last sequence, floor included).
    pub async fn finish_import(&self, head: i64) -> Result<(), HqError> {
        let client = self.conn().await?;
        client
            .batch_execute(
                "SELECT setval(pg_get_serial_sequence('tickets', 'arrival'), GREATEST((SELECT MAX(arrival) FROM tickets), 1), (SELECT COUNT(*) > 0 FROM tickets));
                 SELECT setval(pg_get_serial_sequence('closures', 'arrival'), GREATEST((SELECT MAX(arrival) FROM closures), 1), (SELECT COUNT(*) > 0 FROM closures));
                 SELECT setval(pg_get_serial_sequence('chain_events', 'id'), GREATEST((SELECT MAX(id) FROM chain_events), 1), (SELECT COUNT(*) > 0 FROM chain_events));",
            )
            .await
            .map_err(Fail::from)?;
        client
            .execute(
                "UPDATE feed_counter SET seq = GREATEST($1, (SELECT COALESCE(MAX(seq), 0) FROM changes), (SELECT feed_floor FROM hq WHERE id = 1))",
                &[&head],
            )
            .await
            .map_err(Fail::from)?;
        Ok(())
    }
}

/// The tables `hq migrate` copies, parents first (`hq` itself apart).
pub const COPIED_TABLES: &[&str] = &[
    "admins",
    "api_tokens",
    "tax_rates",
    "categories",
    "articles",
    "barcodes",
    "changes",
    "shops",
    "enrolment_tokens",
    "enrolment_requests",
    "credentials",
    "tickets",
    "closures",
    "quarantine",
    "chain_heads",
    "chain_events",
    "jobs",
    "job_targets",
    "sales_days",
    "sales_day_payments",
    "sales_day_vat",
    "sales_day_articles",
    "sales_month_articles",
    // stock and people
    "stock_records",
    "stock_movements",
    "punches",
    "documents",
    "customers",
    "loyalty_entries",
    "offers",
    "messages",
    "message_acks",
    // fiscal records (uploaded archives are not copied: the shops can upload them again)
    "shop_keys",
    "journal_entries",
];
