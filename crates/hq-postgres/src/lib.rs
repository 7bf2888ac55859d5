//! HQ storage on PostgreSQL: for a chain that outgrows one SQLite file, and the way to run
//! several HQ processes (behind a load balancer) on one database (`docs/scaling.md`).
//!
//! **Driver: tokio-postgres with a deadpool pool**, not sqlx. This crate writes plain SQL
//! and needs neither compile-time checked queries nor sqlx's migration runner; tokio-postgres
//! is the driver sqlx-postgres reimplements, with a much smaller build (no second SQLite
//! next to rusqlite's, no macros crate) on a 2-core builder, and deadpool adds a pool of
//! about 300 lines. Connections are plain TCP or Unix sockets (`NoTls`): put PostgreSQL on
//! the same host, a private network or behind a TLS tunnel.
//!
//! **Selected by URL**: `postgres://user:password@host:port/database` (also
//! `postgresql://`, and the key=value form of libpq). A URL that does not parse, a server
//! that does not answer within 10 s, wrong credentials or a missing database are refused at
//! start with a message naming the URL (password hidden) and what to check. Comptoir never
//! creates a database: [`PostgresStorage::create`] (`hq init`) creates the schema only in an
//! empty database; [`PostgresStorage::open`] (`hq serve` and every other command) refuses a
//! database without Comptoir's schema, migrates an older one (under an advisory lock, so two
//! processes starting together migrate once) and refuses a newer one.
//!
//! **Several writers, one behaviour.** SQLite has one writer; PostgreSQL has as many as
//! there are HQ processes and pool connections, so the backend makes the orderings explicit:
//! - *Feed sequences in commit order.* A `SEQUENCE` hands out 7 then 8, 8 may commit first,
//!   and a shop that read up to 8 would never see 7. Here every transaction that writes the
//!   catalog, shops, tokens or jobs first locks the one row of `feed_counter` and takes each
//!   change's `seq` from it (`UPDATE ... RETURNING`); the lock is held until commit, so the
//!   next writer can only take 8 after 7 is committed and visible. Those writes are
//!   serialised exactly as on SQLite (they are rare: admin actions, imports).
//! - *Pushes per shop.* `apply_push` locks its shop's row (`FOR NO KEY UPDATE`): two HQ
//!   processes receiving the same shop's batch (a retry through another process) apply it
//!   one after the other, so the second sees the first's records as duplicates and the
//!   chain heads are read and advanced by one transaction at a time. Different shops push
//!   in parallel.
//! - *Contacts* are single-row updates.
//!
//! Every method is one transaction (READ COMMITTED, plus the locks above); the snapshot's
//! cursor and count are read in one REPEATABLE READ transaction.
#![forbid(unsafe_code)]

mod customers;
mod dashboard;
#[cfg(feature = "testing")]
pub mod testing;

use async_trait::async_trait;
use comptoir_core::customer::LoyaltyRule;
use comptoir_core::{Money, TaxRate};
use comptoir_hq::HqError;
use comptoir_hq::storage::*;
use comptoir_hq::sync::{chain_step, now_text};
use comptoir_protocol::{
    Change, CustomerBody, Entity, HqIdentity, JobBody, JobKind, JobReport, JobState, LoyaltyEntryBody, MessageBody,
    OfferBody, PushOutcome, Quarantined, Record, ShopIdentity,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, NoTls, Row};
use tracing::instrument;
use uuid::Uuid;

/// The migrations, applied in order; the version is the count applied.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_hq.sql"),
    include_str!("../migrations/0002_dashboard.sql"),
    include_str!("../migrations/0003_customers.sql"),
    include_str!("../migrations/0004_stock.sql"),
];

mod stock;
/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;
const POOL_MAX: usize = 16;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Key of the advisory lock that makes concurrent migrations wait for each other.
const MIGRATION_LOCK: i64 = 0x636f_6d70_746f_6972;

/// An error inside this crate: a database failure or an HQ refusal.
enum Fail {
    Db(tokio_postgres::Error),
    Hq(HqError),
}
impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Self {
        Fail::Db(e)
    }
}
impl From<HqError> for Fail {
    fn from(e: HqError) -> Self {
        Fail::Hq(e)
    }
}
impl From<serde_json::Error> for Fail {
    fn from(e: serde_json::Error) -> Self {
        Fail::Hq(HqError::Storage(format!("JSON: {e}")))
    }
}
impl From<deadpool_postgres::PoolError> for Fail {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Fail::Hq(HqError::Storage(format!("PostgreSQL connection: {e}")))
    }
}
impl From<Fail> for HqError {
    fn from(f: Fail) -> HqError {
        match f {
            Fail::Db(e) => HqError::Storage(db_text(&e)),
            Fail::Hq(e) => e,
        }
    }
}
type R<T> = Result<T, Fail>;

/// A database error with PostgreSQL's own message when there is one.
fn db_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{}: {}", d.code().code(), d.message()),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

fn uuid(text: &str) -> R<Uuid> {
    Uuid::parse_str(text).map_err(|e| Fail::Hq(HqError::Storage(format!("stored id {text}: {e}"))))
}

fn record_kind(text: &str) -> RecordKind {
    RecordKind::parse(text)
}

/// The URL with its password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((auth, host)) = rest.rsplit_once('@')
        && let Some((user, _)) = auth.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    match url.find("password=") {
        Some(i) => {
            let end = url[i..].find(' ').map(|j| i + j).unwrap_or(url.len());
            format!("{}password=***{}", &url[..i], &url[end..])
        }
        None => url.to_string(),
    }
}

fn url_error(url: &str, en: String, fr: String) -> HqError {
    HqError::DatabaseUrl { url: redact(url), en, fr }
}

/// HQ storage on PostgreSQL. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct PostgresStorage {
    pool: Pool,
    /// The URL, password hidden: where this HQ lives, for messages.
    place: String,
}

impl PostgresStorage {
    /// Makes the schema of a new HQ in an **empty** database (which must exist); refuses a
    /// database that already holds an HQ, or other tables.
    pub async fn create(url: &str) -> Result<PostgresStorage, HqError> {
        let storage = Self::connect(url).await?;
        let client = storage.pool.get().await.map_err(Fail::from)?;
        let tables: Vec<String> = client
            .query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()", &[])
            .await
            .map_err(Fail::from)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if tables.iter().any(|t| t == "comptoir_schema") {
            return Err(HqError::AlreadyInitialised { place: storage.place.clone() });
        }
        if !tables.is_empty() {
            return Err(url_error(
                url,
                format!(
                    "the database is not empty ({} tables, e.g. {}) and holds no Comptoir HQ; give `hq init` an empty database (createdb ...)",
                    tables.len(),
                    tables[0]
                ),
                format!(
                    "la base n'est pas vide ({} tables, p. ex. {}) et ne contient pas de siège Comptoir ; donnez à `hq init` une base vide (createdb ...)",
                    tables.len(),
                    tables[0]
                ),
            ));
        }
        drop(client);
        storage.migrate().await?;
        Ok(storage)
    }

    /// Opens an existing HQ's database and brings its schema up to date; refuses a database
    /// without Comptoir's schema (never makes an empty HQ somewhere unexpected) and one whose
    /// schema is newer than this program.
    pub async fn open(url: &str) -> Result<PostgresStorage, HqError> {
        let storage = Self::connect(url).await?;
        let client = storage.pool.get().await.map_err(Fail::from)?;
        let has_schema: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'comptoir_schema')",
                &[],
            )
            .await
            .map_err(Fail::from)?
            .get(0);
        if !has_schema {
            return Err(HqError::NotInitialised { place: storage.place.clone() });
        }
        drop(client);
        storage.migrate().await?;
        Ok(storage)
    }

    /// Where this HQ lives: the URL, password hidden.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// Parses the URL and makes one connection, so that every mistake shows at start.
    async fn connect(url: &str) -> Result<PostgresStorage, HqError> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
            url_error(
                url,
                format!("not a PostgreSQL URL ({e}); write postgres://user:password@host:5432/database"),
                format!("pas une URL PostgreSQL ({e}) ; écrivez postgres://utilisateur:motdepasse@hote:5432/base"),
            )
        })?;
        if config.get_dbname().is_none() {
            return Err(url_error(
                url,
                "no database name; write postgres://user:password@host:5432/database".into(),
                "aucun nom de base ; écrivez postgres://utilisateur:motdepasse@hote:5432/base".into(),
            ));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("comptoir-hq");
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(POOL_MAX)
            .build()
            .map_err(|e| HqError::Storage(format!("PostgreSQL pool: {e}")))?;
        let storage = PostgresStorage { pool, place: redact(url) };
        match storage.pool.get().await {
            Ok(_) => Ok(storage),
            Err(deadpool_postgres::PoolError::Backend(e)) => {
                let missing_db = e.as_db_error().is_some_and(|d| d.code().code() == "3D000");
                let cause = db_text(&e);
                if missing_db {
                    Err(url_error(
                        url,
                        format!(
                            "{cause}; Comptoir never creates a database: create it first (createdb), or fix the name"
                        ),
                        format!(
                            "{cause} ; Comptoir ne crée jamais de base : créez-la d'abord (createdb), ou corrigez le nom"
                        ),
                    ))
                } else {
                    Err(url_error(
                        url,
                        format!(
                            "cannot connect to PostgreSQL ({cause}); check the host, port, user and password, and that the server runs"
                        ),
                        format!(
                            "connexion à PostgreSQL impossible ({cause}) ; vérifiez l'hôte, le port, l'utilisateur et le mot de passe, et que le serveur tourne"
                        ),
                    ))
                }
            }
            Err(e) => Err(url_error(
                url,
                format!("cannot connect to PostgreSQL ({e})"),
                format!("connexion à PostgreSQL impossible ({e})"),
            )),
        }
    }

    async fn migrate(&self) -> Result<(), HqError> {
        let mut client = self.pool.get().await.map_err(Fail::from)?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(Fail::from)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS comptoir_schema (version BIGINT NOT NULL)")
            .await
            .map_err(Fail::from)?;
        let current: Option<i64> =
            tx.query_opt("SELECT version FROM comptoir_schema", &[]).await.map_err(Fail::from)?.map(|r| r.get(0));
        let current = current.unwrap_or(0);
        if current > SCHEMA_VERSION {
            return Err(HqError::SchemaTooNew { found: current, supported: SCHEMA_VERSION });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.batch_execute(sql).await.map_err(Fail::from)?;
            tracing::info!(version = i + 1, "HQ database schema migrated");
        }
        tx.execute("DELETE FROM comptoir_schema", &[]).await.map_err(Fail::from)?;
        tx.execute("INSERT INTO comptoir_schema (version) VALUES ($1)", &[&SCHEMA_VERSION.max(current)])
            .await
            .map_err(Fail::from)?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }

    /// A pooled connection.
    async fn conn(&self) -> R<deadpool_postgres::Object> {
        Ok(self.pool.get().await?)
    }

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
];

// ---------------------------------------------------------------- helpers in a transaction

/// Takes the HQ write lock (the feed counter's row) until commit: catalog, shop, token and
/// job writes run one at a time, and feed sequence numbers follow commit order.
async fn lock_writes(c: &impl GenericClient) -> R<()> {
    c.execute("SELECT seq FROM feed_counter WHERE id = 1 FOR UPDATE", &[]).await?;
    Ok(())
}

async fn append_change(
    c: &impl GenericClient,
    entity: Entity,
    key: &str,
    body: &(impl serde::Serialize + Sync),
    shop: Option<&str>,
) -> R<i64> {
    let seq: i64 = c.query_one("UPDATE feed_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq", &[]).await?.get(0);
    c.execute(
        "INSERT INTO changes (seq, entity, key, body, shop, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&seq, &entity.as_str(), &key, &serde_json::to_string(body)?, &shop, &now_text()],
    )
    .await?;
    Ok(seq)
}

fn bp_of(r: &Row, i: usize) -> u32 {
    r.get::<_, i32>(i) as u32
}

async fn tax_rates(c: &impl GenericClient) -> R<Vec<TaxRateView>> {
    let rows = c.query("SELECT bp, name, active FROM tax_rates ORDER BY bp DESC", &[]).await?;
    Ok(rows.iter().map(|r| TaxRateView { bp: bp_of(r, 0), name: r.get(1), active: r.get(2) }).collect())
}

async fn categories(c: &impl GenericClient) -> R<Vec<Category>> {
    let rows = c.query("SELECT code, name, active FROM categories ORDER BY code", &[]).await?;
    Ok(rows.iter().map(|r| Category { code: r.get(0), name: r.get(1), active: r.get(2) }).collect())
}

async fn exists(c: &impl GenericClient, sql: &str, params: &[&(dyn ToSql + Sync)]) -> R<bool> {
    Ok(c.query_one(&format!("SELECT EXISTS({sql})"), params).await?.get(0))
}

async fn create_category_in(c: &impl GenericClient, cat: &Category) -> R<Category> {
    if exists(c, "SELECT 1 FROM categories WHERE code = $1", &[&cat.code]).await? {
        return Err(
            HqError::AlreadyExists { what: "category", key: cat.code.clone(), field: Some("code".into()) }.into()
        );
    }
    c.execute(
        "INSERT INTO categories (code, name, active, updated_at) VALUES ($1, $2, $3, $4)",
        &[&cat.code, &cat.name, &cat.active, &now_text()],
    )
    .await?;
    append_change(c, Entity::Category, &cat.code, &cat.body(), None).await?;
    Ok(cat.clone())
}

const ARTICLE_COLUMNS: &str = "id, sku, name, category, tax_rate_bp, price, web, active, updated_at";

/// Articles from rows of [`ARTICLE_COLUMNS`], with their barcodes (one query for all).
async fn articles_from_rows(c: &impl GenericClient, rows: &[Row]) -> R<Vec<Article>> {
    let ids: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    let mut codes: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    if !ids.is_empty() {
        for r in c
            .query(
                "SELECT article_id, code FROM barcodes WHERE article_id = ANY($1) ORDER BY article_id, position",
                &[&ids],
            )
            .await?
        {
            codes.entry(r.get(0)).or_default().push(r.get(1));
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.get(0);
        out.push(Article {
            id: uuid(&id)?,
            sku: r.get(1),
            name: r.get(2),
            category: r.get(3),
            tax_rate_bp: bp_of(r, 4),
            price: Money(r.get(5)),
            barcodes: codes.remove(&id).unwrap_or_default(),
            web: r.get(6),
            active: r.get(7),
            updated_at: r.get(8),
        });
    }
    Ok(out)
}

async fn article_by_sku(c: &impl GenericClient, sku: &str) -> R<Option<Article>> {
    let rows = c.query(&format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE sku = $1"), &[&sku]).await?;
    Ok(articles_from_rows(c, &rows).await?.pop())
}

async fn usable_tax_rate(c: &impl GenericClient, rate: TaxRate) -> R<u32> {
    let active: Option<bool> =
        c.query_opt("SELECT active FROM tax_rates WHERE bp = $1", &[&(rate.bp() as i32)]).await?.map(|r| r.get(0));
    let key = format!("{} %", rate.percent_text());
    match active {
        Some(true) => Ok(rate.bp()),
        Some(false) => Err(HqError::Inactive { what: "tax rate", key, field: Some("tax_rate_bp".into()) }.into()),
        None => Err(HqError::NotFound { what: "tax rate", key, field: Some("tax_rate_bp".into()) }.into()),
    }
}

/// The category an article may use; with `create`, an unknown code is created (CSV import).
async fn known_category(c: &impl GenericClient, code: &str, create: bool, created: &mut Vec<String>) -> R<String> {
    if !exists(c, "SELECT 1 FROM categories WHERE code = $1", &[&code]).await? {
        if !create {
            return Err(HqError::NotFound { what: "category", key: code.into(), field: Some("category".into()) }.into());
        }
        create_category_in(c, &Category { code: code.into(), name: code.into(), active: true }).await?;
        created.push(code.into());
    }
    Ok(code.into())
}

async fn check_barcodes(c: &impl GenericClient, codes: &[String], owner: Option<&Uuid>) -> R<()> {
    let owner = owner.map(|u| u.to_string());
    for (i, code) in codes.iter().enumerate() {
        let holder: Option<String> = c
            .query_opt(
                "SELECT a.sku FROM barcodes b JOIN articles a ON a.id = b.article_id
                 WHERE b.code = $1 AND ($2::text IS NULL OR a.id <> $2)",
                &[code, &owner],
            )
            .await?
            .map(|r| r.get(0));
        if let Some(sku) = holder {
            return Err(HqError::conflict(
                format!("Barcode {code} already belongs to article {sku}; a barcode identifies one article."),
                format!(
                    "Le code-barres {code} appartient déjà à l'article {sku} ; un code-barres désigne un seul article."
                ),
                Some(&format!("barcodes[{i}]")),
            )
            .into());
        }
    }
    Ok(())
}

async fn store_article(c: &impl GenericClient, a: &Article, insert: bool) -> R<()> {
    let id = a.id.to_string();
    let bp = a.tax_rate_bp as i32;
    if insert {
        c.execute(
            &format!("INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
            &[&id, &a.sku, &a.name, &a.category, &bp, &a.price.cents(), &a.web, &a.active, &a.updated_at],
        )
        .await?;
    } else {
        c.execute(
            "UPDATE articles SET name = $1, category = $2, tax_rate_bp = $3, price = $4, web = $5, active = $6, updated_at = $7 WHERE id = $8",
            &[&a.name, &a.category, &bp, &a.price.cents(), &a.web, &a.active, &a.updated_at, &id],
        )
        .await?;
    }
    c.execute("DELETE FROM barcodes WHERE article_id = $1", &[&id]).await?;
    for (i, code) in a.barcodes.iter().enumerate() {
        c.execute("INSERT INTO barcodes (code, article_id, position) VALUES ($1, $2, $3)", &[code, &id, &(i as i32)])
            .await?;
    }
    append_change(c, Entity::Article, &id, &a.body(), None).await?;
    Ok(())
}

/// One article write; returns the article and whether it was created.
async fn write_article(c: &impl GenericClient, write: ArticleWrite, cats: &mut Vec<String>) -> R<(Article, bool)> {
    let now = now_text();
    let (sku, update, upsert) = match write {
        ArticleWrite::Create { sku, name, price, tax_rate, barcodes, category, web } => {
            let tax_rate_bp = usable_tax_rate(c, tax_rate).await?;
            let category = match category {
                Some(code) => Some(known_category(c, &code, false, cats).await?),
                None => None,
            };
            if article_by_sku(c, &sku).await?.is_some() {
                return Err(HqError::AlreadyExists { what: "article", key: sku, field: Some("sku".into()) }.into());
            }
            check_barcodes(c, &barcodes, None).await?;
            let a = Article {
                id: Uuid::now_v7(),
                sku,
                name,
                category,
                tax_rate_bp,
                price,
                barcodes,
                web,
                active: true,
                updated_at: now,
            };
            store_article(c, &a, true).await?;
            return Ok((a, true));
        }
        ArticleWrite::Update { sku, update } => (sku, update, false),
        ArticleWrite::Upsert { sku, update } => (sku, update, true),
    };
    let (mut a, created) = match article_by_sku(c, &sku).await? {
        Some(a) => (a, false),
        None if upsert => {
            let (Some(name), Some(price), Some(rate)) = (update.name.clone(), update.price, update.tax_rate) else {
                return Err(HqError::bad_request(
                    "A new article needs a name, a price and a tax rate.",
                    "Un nouvel article demande un nom, un prix et un taux de TVA.",
                    Some("name"),
                )
                .into());
            };
            let a = Article {
                id: Uuid::now_v7(),
                sku: sku.clone(),
                name,
                category: None,
                tax_rate_bp: rate.bp(),
                price,
                barcodes: Vec::new(),
                web: false,
                active: true,
                updated_at: now.clone(),
            };
            (a, true)
        }
        None => return Err(HqError::NotFound { what: "article", key: sku, field: None }.into()),
    };
    if let Some(name) = update.name {
        a.name = name;
    }
    if let Some(price) = update.price {
        a.price = price;
    }
    if let Some(rate) = update.tax_rate {
        a.tax_rate_bp = usable_tax_rate(c, rate).await?;
    } else if created {
        usable_tax_rate(c, TaxRate(a.tax_rate_bp)).await?;
    }
    if let Some(category) = update.category {
        a.category = match category {
            Some(code) => Some(known_category(c, &code, upsert, cats).await?),
            None => None,
        };
    }
    if let Some(web) = update.web {
        a.web = web;
    }
    if let Some(active) = update.active {
        a.active = active;
    }
    if let Some(codes) = update.barcodes {
        check_barcodes(c, &codes, Some(&a.id)).await?;
        a.barcodes = codes;
    }
    a.updated_at = now;
    store_article(c, &a, created).await?;
    Ok((a, created))
}

async fn shop_exists(c: &impl GenericClient, code: &str) -> R<bool> {
    exists(c, "SELECT 1 FROM shops WHERE code = $1", &[&code]).await
}

const SHOP_COLUMNS: &str =
    "s.code, s.name, s.postal_code, s.created_at, s.enrolled_at IS NOT NULL, s.revoked, s.last_contact,
    s.version, s.unsent, s.oldest_unsent_seconds, s.health_at, s.cursor, s.chain_ok,
    (SELECT COUNT(*) FROM quarantine q WHERE q.shop = s.code)";

fn shop_from_row(r: &Row) -> ShopRecord {
    ShopRecord {
        code: r.get(0),
        name: r.get(1),
        postal_code: r.get(2),
        created_at: r.get(3),
        enrolled: r.get(4),
        revoked: r.get(5),
        last_contact: r.get(6),
        version: r.get(7),
        unsent: r.get(8),
        oldest_unsent_seconds: r.get(9),
        health_at: r.get(10),
        cursor: r.get(11),
        chain_ok: r.get(12),
        quarantined: r.get(13),
    }
}

async fn insert_token(c: &impl GenericClient, code: &str, token: &SecretRecord) -> R<()> {
    c.execute("UPDATE enrolment_tokens SET voided = TRUE WHERE shop = $1 AND used_at IS NULL", &[&code]).await?;
    c.execute(
        "INSERT INTO enrolment_tokens (hash, shop, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        &[&token.hash, &code, &token.created_at, &token.expires_at.clone().unwrap_or_default()],
    )
    .await?;
    Ok(())
}

fn job_kind_text(kind: JobKind) -> R<String> {
    Ok(serde_json::to_value(kind)?.as_str().unwrap_or_default().to_string())
}

fn job_state(text: &str) -> JobState {
    match text {
        "done" => JobState::Done,
        "failed" => JobState::Failed,
        _ => JobState::Pending,
    }
}

async fn jobs_in(c: &impl GenericClient, id: Option<&str>) -> R<Vec<JobView>> {
    let bodies: Vec<String> = c
        .query("SELECT body FROM jobs WHERE ($1::text IS NULL OR id = $1) ORDER BY id DESC", &[&id])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = Vec::with_capacity(bodies.len());
    for body in bodies {
        let job: JobBody = serde_json::from_str(&body)?;
        let shops = c
            .query(
                "SELECT shop, state, detail, updated_at FROM job_targets WHERE job = $1 ORDER BY shop",
                &[&job.id.to_string()],
            )
            .await?
            .iter()
            .map(|r| JobTarget {
                shop: r.get(0),
                state: job_state(r.get::<_, &str>(1)),
                detail: r.get(2),
                updated_at: r.get(3),
            })
            .collect();
        out.push(JobView { id: job.id, kind: job.kind, since: job.since, created_at: job.created_at, shops });
    }
    Ok(out)
}

/// The ids of a push that HQ already holds (ticket, closure or quarantine): one query.
async fn known_ids(c: &impl GenericClient, ids: &[String]) -> R<HashSet<String>> {
    let rows = c
        .query(
            "SELECT id FROM tickets WHERE id = ANY($1) UNION ALL SELECT id FROM closures WHERE id = ANY($1)
             UNION ALL SELECT id FROM quarantine WHERE id = ANY($1)",
            &[&ids],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// One record's place in its register's chain.
struct Link<'a> {
    register: &'a str,
    kind: RecordKind,
    sequence: i64,
    prev: &'a str,
    hash: &'a str,
    label: &'a str,
}

/// A shop's chain heads during one push: read once, advanced in memory, written at the end.
struct Heads {
    heads: HashMap<(String, &'static str), ChainHead>,
    changed: HashSet<(String, &'static str)>,
    broken: bool,
}

impl Heads {
    async fn load(c: &impl GenericClient, shop: &str) -> R<Heads> {
        let mut heads = HashMap::new();
        for r in c.query("SELECT register, chain, sequence, hash FROM chain_heads WHERE shop = $1", &[&shop]).await? {
            let chain: &str = r.get(1);
            let kind = record_kind(chain).as_str();
            heads.insert((r.get(0), kind), ChainHead { sequence: r.get(2), hash: r.get(3) });
        }
        Ok(Heads { heads, changed: HashSet::new(), broken: false })
    }

    /// Chains a record against its register's head and records what is wrong.
    async fn chain(&mut self, c: &impl GenericClient, shop: &str, link: Link<'_>, at: &str) -> R<()> {
        let Link { register, kind, sequence, prev, hash, label } = link;
        let key = (register.to_string(), kind.as_str());
        let step = chain_step(self.heads.get(&key), sequence, prev, label);
        if let Some((event, detail)) = step.event() {
            c.execute(
                "INSERT INTO chain_events (shop, register, chain, kind, sequence, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[&shop, &register, &kind.as_str(), &event, &sequence, &detail, &at],
            )
            .await?;
            tracing::warn!(shop, register, chain = kind.as_str(), event, detail, "chain event");
        }
        self.broken |= !step.ok();
        if step.advances() {
            self.heads.insert(key.clone(), ChainHead { sequence, hash: hash.to_string() });
            self.changed.insert(key);
        }
        Ok(())
    }

    async fn save(self, c: &impl GenericClient, shop: &str) -> R<()> {
        if self.broken {
            c.execute("UPDATE shops SET chain_ok = FALSE WHERE code = $1", &[&shop]).await?;
        }
        for key in &self.changed {
            let head = &self.heads[key];
            c.execute(
                "INSERT INTO chain_heads (shop, register, chain, sequence, hash) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (shop, register, chain) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash",
                &[&shop, &key.0, &key.1, &head.sequence, &head.hash],
            )
            .await?;
        }
        Ok(())
    }
}

async fn snapshot_items(
    c: &impl GenericClient,
    shop: &str,
    entity: Entity,
    after: Option<&str>,
    limit: usize,
) -> R<Vec<SnapshotItem>> {
    let mut items = Vec::new();
    let limit = limit as i64;
    match entity {
        Entity::TaxRate => {
            let after: i32 = after.and_then(|a| a.parse().ok()).unwrap_or(-1);
            for r in c
                .query("SELECT bp, name, active FROM tax_rates WHERE bp > $1 ORDER BY bp LIMIT $2", &[&after, &limit])
                .await?
            {
                let t = TaxRateView { bp: bp_of(&r, 0), name: r.get(1), active: r.get(2) };
                items.push(SnapshotItem { entity, key: t.bp.to_string(), body: serde_json::to_value(t.body())? });
            }
        }
        Entity::Category => {
            for r in c
                .query(
                    "SELECT code, name, active FROM categories WHERE code > $1 ORDER BY code LIMIT $2",
                    &[&after.unwrap_or(""), &limit],
                )
                .await?
            {
                let cat = Category { code: r.get(0), name: r.get(1), active: r.get(2) };
                items.push(SnapshotItem { entity, key: cat.code.clone(), body: serde_json::to_value(cat.body())? });
            }
        }
        Entity::Article => {
            let rows = c
                .query(
                    &format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id > $1 ORDER BY id LIMIT $2"),
                    &[&after.unwrap_or(""), &limit],
                )
                .await?;
            for a in articles_from_rows(c, &rows).await? {
                items.push(SnapshotItem { entity, key: a.id.to_string(), body: serde_json::to_value(a.body())? });
            }
        }
        Entity::Job => {
            for r in c
                .query(
                    "SELECT j.id, j.body FROM jobs j JOIN job_targets t ON t.job = j.id
                     WHERE t.shop = $1 AND t.state = 'pending' AND j.id > $2 ORDER BY j.id LIMIT $3",
                    &[&shop, &after.unwrap_or(""), &limit],
                )
                .await?
            {
                let body: String = r.get(1);
                items.push(SnapshotItem { entity, key: r.get(0), body: serde_json::from_str(&body)? });
            }
        }
        Entity::LoyaltyRule | Entity::Customer | Entity::LoyaltyEntry => {
            items.extend(customers::snapshot_items(c, entity, after, limit as usize).await?);
        }
        Entity::Offer | Entity::Message => {
            items.extend(customers::offer_and_message_items(c, shop, entity, after, limit as usize).await?);
        }
        other => items.extend(stock::snapshot_items(c, shop, other, after, limit as usize).await?),
    }
    Ok(items)
}

/// `(head, floor)`: the feed's last committed sequence (never below the floor) and the floor.
async fn feed_head(c: &impl GenericClient) -> R<(i64, i64)> {
    let row = c
        .query_one(
            "SELECT (SELECT seq FROM feed_counter WHERE id = 1), COALESCE((SELECT feed_floor FROM hq WHERE id = 1), 0)",
            &[],
        )
        .await?;
    let (head, floor): (i64, i64) = (row.get(0), row.get(1));
    Ok((head.max(floor), floor))
}

#[async_trait]
impl HqStorage for PostgresStorage {
    #[instrument(skip_all)]
    async fn initialise(&self, hq: &HqIdentity, admin_user: &str, admin_password_hash: &str) -> Result<(), HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        if exists(&*tx, "SELECT 1 FROM hq", &[]).await? {
            return Err(HqError::AlreadyInitialised { place: self.place.clone() });
        }
        let now = now_text();
        tx.execute(
            "INSERT INTO hq (id, hq_id, name, created_at) VALUES (1, $1, $2, $3)",
            &[&hq.id.to_string(), &hq.name, &now],
        )
        .await
        .map_err(Fail::from)?;
        tx.execute(
            "INSERT INTO admins (\"user\", password_hash, created_at) VALUES ($1, $2, $3)",
            &[&admin_user, &admin_password_hash, &now],
        )
        .await
        .map_err(Fail::from)?;
        for (bp, name) in TaxRate::FRENCH {
            let t = TaxRateView { bp, name: name.into(), active: true };
            tx.execute(
                "INSERT INTO tax_rates (bp, name, active, updated_at) VALUES ($1, $2, TRUE, $3)",
                &[&(bp as i32), &name, &now],
            )
            .await
            .map_err(Fail::from)?;
            append_change(&*tx, Entity::TaxRate, &bp.to_string(), &t.body(), None).await?;
        }
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn identity(&self) -> Result<HqIdentity, HqError> {
        let client = self.conn().await?;
        let row = client.query_opt("SELECT hq_id, name FROM hq WHERE id = 1", &[]).await.map_err(Fail::from)?;
        let row = row.ok_or_else(|| HqError::NotInitialised { place: self.place.clone() })?;
        Ok(HqIdentity { id: uuid(row.get(0))?, name: row.get(1) })
    }

    #[instrument(skip_all)]
    async fn admin_password_hash(&self, user: &str) -> Result<Option<String>, HqError> {
        let client = self.conn().await?;
        Ok(client
            .query_opt("SELECT password_hash FROM admins WHERE \"user\" = $1", &[&user])
            .await
            .map_err(Fail::from)?
            .map(|r| r.get(0)))
    }

    #[instrument(skip_all)]
    async fn create_api_token(&self, name: &str, token: &SecretRecord) -> Result<(), HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        tx.execute(
            "INSERT INTO api_tokens (id, name, hash, created_at) VALUES ($1, $2, $3, $4)",
            &[&token.id, &name, &token.hash, &token.created_at],
        )
        .await
        .map_err(Fail::from)?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn api_token(&self, id: &str) -> Result<Option<(String, String)>, HqError> {
        let client = self.conn().await?;
        Ok(client
            .query_opt("SELECT name, hash FROM api_tokens WHERE id = $1", &[&id])
            .await
            .map_err(Fail::from)?
            .map(|r| (r.get(0), r.get(1))))
    }

    #[instrument(skip_all)]
    async fn list_tax_rates(&self) -> Result<Vec<TaxRateView>, HqError> {
        let client = self.conn().await?;
        Ok(tax_rates(&**client).await?)
    }

    #[instrument(skip_all)]
    async fn create_tax_rate(&self, rate: &TaxRateView) -> Result<TaxRateView, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        if exists(&*tx, "SELECT 1 FROM tax_rates WHERE bp = $1", &[&(rate.bp as i32)]).await? {
            return Err(HqError::AlreadyExists {
                what: "tax rate",
                key: rate.bp.to_string(),
                field: Some("bp".into()),
            });
        }
        tx.execute(
            "INSERT INTO tax_rates (bp, name, active, updated_at) VALUES ($1, $2, $3, $4)",
            &[&(rate.bp as i32), &rate.name, &rate.active, &now_text()],
        )
        .await
        .map_err(Fail::from)?;
        append_change(&*tx, Entity::TaxRate, &rate.bp.to_string(), &rate.body(), None).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(rate.clone())
    }

    #[instrument(skip_all)]
    async fn update_tax_rate(
        &self,
        bp: u32,
        name: Option<String>,
        active: Option<bool>,
    ) -> Result<TaxRateView, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let mut t = tax_rates(&*tx).await?.into_iter().find(|t| t.bp == bp).ok_or(HqError::NotFound {
            what: "tax rate",
            key: bp.to_string(),
            field: None,
        })?;
        if let Some(n) = name {
            t.name = n;
        }
        if let Some(a) = active {
            t.active = a;
        }
        tx.execute(
            "UPDATE tax_rates SET name = $1, active = $2, updated_at = $3 WHERE bp = $4",
            &[&t.name, &t.active, &now_text(), &(bp as i32)],
        )
        .await
        .map_err(Fail::from)?;
        append_change(&*tx, Entity::TaxRate, &bp.to_string(), &t.body(), None).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(t)
    }

    #[instrument(skip_all)]
    async fn list_categories(&self) -> Result<Vec<Category>, HqError> {
        let client = self.conn().await?;
        Ok(categories(&**client).await?)
    }

    #[instrument(skip_all)]
    async fn create_category(&self, category: &Category) -> Result<Category, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let cat = create_category_in(&*tx, category).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(cat)
    }

    #[instrument(skip_all)]
    async fn update_category(
        &self,
        code: &str,
        name: Option<String>,
        active: Option<bool>,
    ) -> Result<Category, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let mut cat = categories(&*tx).await?.into_iter().find(|c| c.code == code).ok_or(HqError::NotFound {
            what: "category",
            key: code.to_string(),
            field: None,
        })?;
        if let Some(n) = name {
            cat.name = n;
        }
        if let Some(a) = active {
            cat.active = a;
        }
        tx.execute(
            "UPDATE categories SET name = $1, active = $2, updated_at = $3 WHERE code = $4",
            &[&cat.name, &cat.active, &now_text(), &code],
        )
        .await
        .map_err(Fail::from)?;
        append_change(&*tx, Entity::Category, code, &cat.body(), None).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(cat)
    }

    #[instrument(skip_all)]
    async fn list_articles(
        &self,
        search: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Article>, Option<String>), HqError> {
        // SQLite's LIKE ignores ASCII case: ILIKE here.
        let pattern = search.map(|s| format!("%{}%", s.replace(['%', '_', '\\'], "")));
        let client = self.conn().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {ARTICLE_COLUMNS} FROM articles a
                     WHERE ($1::text IS NULL OR sku > $1)
                       AND ($2::text IS NULL OR sku ILIKE $2 OR name ILIKE $2
                            OR EXISTS (SELECT 1 FROM barcodes b WHERE b.article_id = a.id AND b.code ILIKE $2))
                     ORDER BY sku LIMIT $3"
                ),
                &[&after, &pattern, &((limit + 1) as i64)],
            )
            .await
            .map_err(Fail::from)?;
        let mut items = articles_from_rows(&**client, &rows).await?;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|a| a.sku.clone())
        } else {
            None
        };
        Ok((items, next))
    }

    #[instrument(skip_all)]
    async fn get_article(&self, sku: &str) -> Result<Option<Article>, HqError> {
        let client = self.conn().await?;
        Ok(article_by_sku(&**client, sku).await?)
    }

    #[instrument(skip_all)]
    async fn write_articles(&self, writes: Vec<ArticleWrite>, dry_run: bool) -> Result<ArticleWriteReport, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let mut report = ArticleWriteReport::default();
        let mut refused = Vec::new();
        for (i, w) in writes.into_iter().enumerate() {
            // A refused write must not abort the transaction (PostgreSQL would refuse every
            // statement after an error): each write runs in a savepoint.
            tx.batch_execute("SAVEPOINT w").await.map_err(Fail::from)?;
            match write_article(&*tx, w, &mut report.categories_created).await {
                Ok((a, created)) => {
                    tx.batch_execute("RELEASE SAVEPOINT w").await.map_err(Fail::from)?;
                    if created {
                        report.created += 1;
                    } else {
                        report.updated += 1;
                    }
                    report.articles.push(a);
                }
                Err(Fail::Hq(e)) if !matches!(e, HqError::Storage(_)) => {
                    tx.batch_execute("ROLLBACK TO SAVEPOINT w").await.map_err(Fail::from)?;
                    refused.push((i, e));
                }
                Err(e) => return Err(e.into()),
            }
        }
        if !refused.is_empty() || dry_run {
            // Dropping the transaction rolls it back.
            return Err(HqError::Rows(refused));
        }
        tx.commit().await.map_err(Fail::from)?;
        Ok(report)
    }

    #[instrument(skip_all)]
    async fn create_shop(&self, shop: &ShopIdentity, token: &SecretRecord) -> Result<ShopRecord, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        if shop_exists(&*tx, &shop.code).await? {
            return Err(HqError::AlreadyExists { what: "shop", key: shop.code.clone(), field: Some("code".into()) });
        }
        tx.execute(
            "INSERT INTO shops (code, name, postal_code, created_at) VALUES ($1, $2, $3, $4)",
            &[&shop.code, &shop.name, &shop.postal_code, &now_text()],
        )
        .await
        .map_err(Fail::from)?;
        stock::shop_added(&*tx, &shop.code, &shop.name).await?;
        insert_token(&*tx, &shop.code, token).await?;
        let row = tx
            .query_one(&format!("SELECT {SHOP_COLUMNS} FROM shops s WHERE code = $1"), &[&shop.code])
            .await
            .map_err(Fail::from)?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(shop_from_row(&row))
    }

    #[instrument(skip_all)]
    async fn issue_enrolment_token(&self, code: &str, token: &SecretRecord) -> Result<(), HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        if !shop_exists(&*tx, code).await? {
            return Err(HqError::NotFound { what: "shop", key: code.to_string(), field: None });
        }
        insert_token(&*tx, code, token).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn revoke_shop(&self, code: &str) -> Result<(), HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        if !shop_exists(&*tx, code).await? {
            return Err(HqError::NotFound { what: "shop", key: code.to_string(), field: None });
        }
        let now = now_text();
        tx.execute("UPDATE shops SET revoked = TRUE WHERE code = $1", &[&code]).await.map_err(Fail::from)?;
        tx.execute("UPDATE credentials SET revoked_at = $1 WHERE shop = $2 AND revoked_at IS NULL", &[&now, &code])
            .await
            .map_err(Fail::from)?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn list_shops(&self) -> Result<Vec<ShopRecord>, HqError> {
        let client = self.conn().await?;
        let rows = client
            .query(&format!("SELECT {SHOP_COLUMNS} FROM shops s ORDER BY code"), &[])
            .await
            .map_err(Fail::from)?;
        Ok(rows.iter().map(shop_from_row).collect())
    }

    #[instrument(skip_all)]
    async fn enrol(&self, token_hash: &str, now: &str, credential: &SecretRecord) -> Result<ShopIdentity, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let token = tx
            .query_opt("SELECT shop, expires_at, used_at, voided FROM enrolment_tokens WHERE hash = $1", &[&token_hash])
            .await
            .map_err(Fail::from)?
            .map(|r| {
                (r.get::<_, String>(0), r.get::<_, String>(1), r.get::<_, Option<String>>(2), r.get::<_, bool>(3))
            });
        let shop = match token {
            Some((shop, expires, None, false)) if expires.as_str() > now => shop,
            _ => return Err(HqError::InvalidEnrolmentToken),
        };
        tx.execute("UPDATE enrolment_tokens SET used_at = $1 WHERE hash = $2", &[&now, &token_hash])
            .await
            .map_err(Fail::from)?;
        tx.execute("UPDATE credentials SET revoked_at = $1 WHERE shop = $2 AND revoked_at IS NULL", &[&now, &shop])
            .await
            .map_err(Fail::from)?;
        tx.execute(
            "INSERT INTO credentials (id, shop, hash, created_at) VALUES ($1, $2, $3, $4)",
            &[&credential.id, &shop, &credential.hash, &credential.created_at],
        )
        .await
        .map_err(Fail::from)?;
        tx.execute("UPDATE shops SET revoked = FALSE, enrolled_at = $1 WHERE code = $2", &[&now, &shop])
            .await
            .map_err(Fail::from)?;
        let r = tx
            .query_one("SELECT code, name, postal_code FROM shops WHERE code = $1", &[&shop])
            .await
            .map_err(Fail::from)?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(ShopIdentity { code: r.get(0), name: r.get(1), postal_code: r.get(2) })
    }

    #[instrument(skip_all)]
    async fn credential(&self, id: &str) -> Result<Option<CredentialCheck>, HqError> {
        let client = self.conn().await?;
        Ok(client
            .query_opt(
                "SELECT c.shop, c.hash, c.revoked_at IS NOT NULL OR s.revoked FROM credentials c JOIN shops s ON s.code = c.shop WHERE c.id = $1",
                &[&id],
            )
            .await
            .map_err(Fail::from)?
            .map(|r| CredentialCheck { shop: r.get(0), hash: r.get(1), revoked: r.get(2) }))
    }

    #[instrument(skip_all)]
    async fn record_contact(&self, shop: &str, h: &ShopHealth) -> Result<(), HqError> {
        let client = self.conn().await?;
        client
            .execute(
                "UPDATE shops SET last_contact = $1, version = COALESCE($2, version), unsent = COALESCE($3, unsent),
                     oldest_unsent_seconds = CASE WHEN $3::bigint IS NULL THEN oldest_unsent_seconds ELSE $4 END,
                     health_at = CASE WHEN $3::bigint IS NULL THEN health_at ELSE $1 END,
                     cursor = COALESCE($5, cursor)
                 WHERE code = $6",
                &[&h.at, &h.version, &h.unsent, &h.oldest_unsent_seconds, &h.cursor, &shop],
            )
            .await
            .map_err(Fail::from)?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn apply_push(&self, shop: &str, received_at: &str, items: Vec<PushItem>) -> Result<PushOutcome, HqError> {
        let at = received_at;
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        // Customers and loyalty entries append feed changes: take the feed lock first, in
        // the order every other feed writer takes it (no deadlock with the shop row).
        if items.iter().any(|i| matches!(i.kind, RecordKind::Customer | RecordKind::LoyaltyEntry)) {
            lock_writes(&*tx).await?;
        }
        // One push per shop at a time, whichever HQ process received it.
        tx.execute("SELECT 1 FROM shops WHERE code = $1 FOR NO KEY UPDATE", &[&shop]).await.map_err(Fail::from)?;
        // One round trip per record: duplicates found in one query, chain heads read once
        // and written once.
        let ids: Vec<String> = items.iter().map(|i| i.id.to_string()).collect();
        let mut held = known_ids(&*tx, &ids).await?;
        let mut heads = Heads::load(&*tx, shop).await?;
        let mut out = PushOutcome::default();
        // Tickets are inserted together at the end, pipelined on the connection (one
        // prepared statement, no round trip per ticket), in the order they came.
        let mut tickets: Vec<(String, comptoir_core::ticket::Ticket, String)> = Vec::new();
        for (item, id) in items.into_iter().zip(ids) {
            // A customer's edits share its id and merge idempotently: never duplicates.
            if item.kind != RecordKind::Customer && !held.insert(id.clone()) {
                out.duplicates.push(item.id);
                continue;
            }
            match item.action {
                PushAction::Quarantine(reason) => {
                    tx.execute(
                        "INSERT INTO quarantine (id, shop, kind, reason, received_at, body) VALUES ($1, $2, $3, $4, $5, $6)",
                        &[&id, &shop, &item.kind.as_str(), &reason, &at, &item.raw],
                    )
                    .await
                    .map_err(Fail::from)?;
                    out.quarantined.push(Quarantined { id: item.id, reason });
                }
                PushAction::Insert(record) => {
                    match *record {
                        Record::Ticket(t) => {
                            let link = Link {
                                register: &t.register,
                                kind: RecordKind::Ticket,
                                sequence: t.sequence,
                                prev: &t.prev_hash,
                                hash: &t.hash,
                                label: &t.number,
                            };
                            heads.chain(&*tx, shop, link, at).await?;
                            let body = serde_json::to_string(&t).map_err(Fail::from)?;
                            tickets.push((id, t, body));
                            out.accepted.push(item.id);
                            continue;
                        }
                        Record::Closure(c) => {
                            tx.execute(
                                "INSERT INTO closures (id, shop, register, sequence, kind, period, created_at, total, grand_total, hash, prev_hash, body, received_at)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                                &[&id, &shop, &c.register, &c.sequence, &c.kind.as_str(), &c.period, &c.created_at,
                                    &c.totals.total.cents(), &c.grand_total.cents(), &c.hash, &c.prev_hash,
                                    &serde_json::to_string(&c).map_err(Fail::from)?, &at],
                            )
                            .await
                            .map_err(Fail::from)?;
                            let label = format!("{} {} {}", c.register, c.kind.as_str(), c.period);
                            let link = Link {
                                register: &c.register,
                                kind: RecordKind::Closure,
                                sequence: c.sequence,
                                prev: &c.prev_hash,
                                hash: &c.hash,
                                label: &label,
                            };
                            heads.chain(&*tx, shop, link, at).await?;
                        }
                        Record::Customer(b) => customers::upsert(&*tx, &b, false).await?,
                        Record::LoyaltyEntry(e) => {
                            if !customers::insert_entry(&*tx, &e, at).await? {
                                out.duplicates.push(item.id);
                                continue;
                            }
                        }
                        Record::MessageAck(a) => {
                            if !customers::insert_ack(&*tx, &a, at).await? {
                                out.duplicates.push(item.id);
                                continue;
                            }
                        }
                        other => match stock::apply_record(&*tx, shop, at, &other).await? {
                            None => {
                                out.duplicates.push(item.id);
                                continue;
                            }
                            Some(Err(reason)) => {
                                let raw = serde_json::to_string(&other).map_err(Fail::from)?;
                                tx.execute(
                                    "INSERT INTO quarantine (id, shop, kind, reason, received_at, body) VALUES ($1, $2, $3, $4, $5, $6)",
                                    &[&id, &shop, &item.kind.as_str(), &reason, &at, &raw],
                                )
                                .await
                                .map_err(Fail::from)?;
                                out.quarantined.push(Quarantined { id: item.id, reason });
                                continue;
                            }
                            Some(Ok(())) => {}
                        },
                    }
                    out.accepted.push(item.id);
                }
            }
        }
        if !tickets.is_empty() {
            let insert = tx
                .prepare(
                    "INSERT INTO tickets (id, shop, register, sequence, number, business_date, created_at, total, hash,
                     prev_hash, body, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .await
                .map_err(Fail::from)?;
            type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);
            let totals: Vec<i64> = tickets.iter().map(|(_, t, _)| t.total.cents()).collect();
            let params: Vec<[Param; 12]> = tickets
                .iter()
                .zip(&totals)
                .map(|((id, t, body), total)| {
                    [
                        id as Param,
                        &shop,
                        &t.register,
                        &t.sequence,
                        &t.number,
                        &t.business_date,
                        &t.created_at,
                        total,
                        &t.hash,
                        &t.prev_hash,
                        body,
                        &at,
                    ]
                })
                .collect();
            let inserts = params.iter().map(|p| tx.execute(&insert, p));
            futures_util::future::try_join_all(inserts).await.map_err(Fail::from)?;
            let mut summary = comptoir_hq::dashboard::summary::BatchSummary::default();
            for (_, t, _) in &tickets {
                summary.add(&comptoir_hq::dashboard::summary::summarize(shop, t));
            }
            dashboard::add_tickets(&*tx, &summary).await?;
        }
        heads.save(&*tx, shop).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(out)
    }

    #[instrument(skip_all)]
    async fn list_tickets(
        &self,
        shop: Option<&str>,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<StoredTicket>, Option<i64>), HqError> {
        let client = self.conn().await?;
        let mut items: Vec<StoredTicket> = client
            .query(
                "SELECT arrival, received_at, body FROM tickets WHERE ($1::text IS NULL OR shop = $1) AND arrival > $2 ORDER BY arrival LIMIT $3",
                &[&shop, &after, &((limit + 1) as i64)],
            )
            .await
            .map_err(Fail::from)?
            .iter()
            .map(|r| StoredTicket { arrival: r.get(0), received_at: r.get(1), body: r.get(2) })
            .collect();
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|t| t.arrival)
        } else {
            None
        };
        Ok((items, next))
    }

    #[instrument(skip_all)]
    async fn sales_report(&self, from: &str, to: &str, shop: Option<&str>) -> Result<Vec<SalesRow>, HqError> {
        let client = self.conn().await?;
        Ok(client
            .query(
                "SELECT shop, business_date, COUNT(*), SUM(total)::bigint FROM tickets
                 WHERE business_date BETWEEN $1 AND $2 AND ($3::text IS NULL OR shop = $3)
                 GROUP BY shop, business_date ORDER BY shop COLLATE \"C\", business_date COLLATE \"C\"",
                &[&from, &to, &shop],
            )
            .await
            .map_err(Fail::from)?
            .iter()
            .map(|r| SalesRow { shop: r.get(0), day: r.get(1), tickets: r.get(2), revenue: r.get(3) })
            .collect())
    }

    #[instrument(skip_all)]
    async fn list_quarantine(&self, shop: Option<&str>) -> Result<Vec<QuarantineRecord>, HqError> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT id, shop, kind, reason, received_at, body FROM quarantine WHERE ($1::text IS NULL OR shop = $1)
                 ORDER BY received_at COLLATE \"C\", id",
                &[&shop],
            )
            .await
            .map_err(Fail::from)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(QuarantineRecord {
                id: uuid(r.get(0))?,
                shop: r.get(1),
                kind: record_kind(r.get(2)),
                reason: r.get(3),
                received_at: r.get(4),
                body: r.get(5),
            });
        }
        Ok(out)
    }

    #[instrument(skip_all)]
    async fn chain_events(&self, shop: Option<&str>) -> Result<Vec<ChainEvent>, HqError> {
        let client = self.conn().await?;
        Ok(client
            .query(
                "SELECT shop, register, chain, kind, sequence, detail, at FROM chain_events WHERE ($1::text IS NULL OR shop = $1) ORDER BY id",
                &[&shop],
            )
            .await
            .map_err(Fail::from)?
            .iter()
            .map(|r| ChainEvent {
                shop: r.get(0),
                register: r.get(1),
                chain: record_kind(r.get(2)),
                kind: r.get(3),
                sequence: r.get(4),
                detail: r.get(5),
                at: r.get(6),
            })
            .collect())
    }

    #[instrument(skip_all)]
    async fn feed(&self, shop: &str, cursor: i64, limit: usize) -> Result<FeedRead, HqError> {
        // Sequences are given in commit order (see the crate doc): whatever a reader sees
        // above its cursor, nothing below it can still appear.
        let client = self.conn().await?;
        let (_, floor) = feed_head(&**client).await?;
        let rows = client
            .query(
                "SELECT seq, entity, key, body FROM changes WHERE seq > $1 AND (shop IS NULL OR shop = $2) ORDER BY seq LIMIT $3",
                &[&cursor, &shop, &(limit as i64)],
            )
            .await
            .map_err(Fail::from)?;
        let mut changes = Vec::with_capacity(rows.len());
        for r in rows {
            let (seq, entity, key, body): (i64, String, String, String) = (r.get(0), r.get(1), r.get(2), r.get(3));
            let entity = Entity::parse(&entity)
                .ok_or_else(|| HqError::Storage(format!("change {seq}: unknown entity {entity}")))?;
            changes.push(Change { seq, entity, key, body: serde_json::from_str(&body).map_err(Fail::from)? });
        }
        Ok(FeedRead { changes, floor })
    }

    #[instrument(skip_all)]
    async fn purge_feed(&self, before: &str) -> Result<i64, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let last: Option<i64> = tx
            .query_one("SELECT MAX(seq) FROM changes WHERE created_at < $1", &[&before])
            .await
            .map_err(Fail::from)?
            .get(0);
        if let Some(last) = last {
            tx.execute("DELETE FROM changes WHERE seq <= $1", &[&last]).await.map_err(Fail::from)?;
            tx.execute("UPDATE hq SET feed_floor = GREATEST(feed_floor, $1) WHERE id = 1", &[&last])
                .await
                .map_err(Fail::from)?;
        }
        let floor = feed_head(&*tx).await?.1;
        tx.commit().await.map_err(Fail::from)?;
        Ok(floor)
    }

    #[instrument(skip_all)]
    async fn snapshot_begin(&self, shop: &str) -> Result<(i64, u64), HqError> {
        let mut client = self.conn().await?;
        // One snapshot of the database: the cursor and the count see the same state.
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(Fail::from)?;
        let (cursor, _) = feed_head(&*tx).await?;
        let total: i64 = tx
            .query_one(
                "SELECT (SELECT COUNT(*) FROM tax_rates) + (SELECT COUNT(*) FROM categories) + (SELECT COUNT(*) FROM articles)
                      + (SELECT COUNT(*) FROM job_targets WHERE shop = $1 AND state = 'pending')",
                &[&shop],
            )
            .await
            .map_err(Fail::from)?
            .get(0);
        let total =
            total + customers::snapshot_count(&*tx).await? + customers::offer_and_message_count(&*tx, shop).await?;
        let total = total + stock::snapshot_count(&*tx, shop).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok((cursor, total as u64))
    }

    #[instrument(skip_all)]
    async fn snapshot_page(
        &self,
        shop: &str,
        after: Option<(Entity, String)>,
        limit: usize,
    ) -> Result<Vec<SnapshotItem>, HqError> {
        let client = self.conn().await?;
        let mut items = Vec::new();
        for entity in Entity::ALL {
            let from = match &after {
                Some((e, _)) if *e > entity => continue,
                Some((e, key)) if *e == entity => Some(key.as_str()),
                _ => None,
            };
            let left = limit - items.len();
            items.extend(snapshot_items(&**client, shop, entity, from, left).await?);
            if items.len() >= limit {
                break;
            }
        }
        Ok(items)
    }

    #[instrument(skip_all)]
    async fn create_job(&self, job: &JobBody, shops: &[String]) -> Result<JobView, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        for (i, code) in shops.iter().enumerate() {
            if !shop_exists(&*tx, code).await? {
                return Err(HqError::NotFound { what: "shop", key: code.clone(), field: Some(format!("shops[{i}]")) });
            }
        }
        let id = job.id.to_string();
        tx.execute(
            "INSERT INTO jobs (id, kind, since, created_at, body) VALUES ($1, $2, $3, $4, $5)",
            &[
                &id,
                &job_kind_text(job.kind)?,
                &job.since,
                &job.created_at,
                &serde_json::to_string(job).map_err(Fail::from)?,
            ],
        )
        .await
        .map_err(Fail::from)?;
        for code in shops {
            tx.execute(
                "INSERT INTO job_targets (job, shop, state, updated_at) VALUES ($1, $2, 'pending', $3)",
                &[&id, code, &job.created_at],
            )
            .await
            .map_err(Fail::from)?;
            append_change(&*tx, Entity::Job, &id, job, Some(code)).await?;
        }
        let view = jobs_in(&*tx, Some(&id)).await?.pop().ok_or_else(|| HqError::Storage("job just written".into()))?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(view)
    }

    #[instrument(skip_all)]
    async fn list_jobs(&self) -> Result<Vec<JobView>, HqError> {
        let client = self.conn().await?;
        Ok(jobs_in(&**client, None).await?)
    }

    #[instrument(skip_all)]
    async fn report_job(&self, shop: &str, job: Uuid, report: &JobReport, at: &str) -> Result<(), HqError> {
        let state = match report.state {
            JobState::Pending => "pending",
            JobState::Done => "done",
            JobState::Failed => "failed",
        };
        let detail: String = report.detail.chars().take(4000).collect();
        let client = self.conn().await?;
        let n = client
            .execute(
                "UPDATE job_targets SET state = $1, detail = $2, updated_at = $3 WHERE job = $4 AND shop = $5",
                &[&state, &detail, &at, &job.to_string(), &shop],
            )
            .await
            .map_err(Fail::from)?;
        if n == 0 {
            return Err(HqError::NotFound { what: "job", key: job.to_string(), field: None });
        }
        Ok(())
    }

    // ---- dashboard: the queries are in src/dashboard.rs
    async fn create_session(&self, session: &DashboardSession) -> Result<(), HqError> {
        self.d_create_session(session).await
    }
    async fn session(&self, token_hash: &str, now: &str) -> Result<Option<DashboardSession>, HqError> {
        self.d_session(token_hash, now).await
    }
    async fn delete_session(&self, token_hash: &str) -> Result<(), HqError> {
        self.d_delete_session(token_hash).await
    }
    async fn sales_days(&self, filter: &SalesFilter) -> Result<Vec<DaySales>, HqError> {
        self.d_sales_days(filter).await
    }
    async fn payment_totals(&self, filter: &SalesFilter) -> Result<Vec<PaymentTotal>, HqError> {
        self.d_payment_totals(filter).await
    }
    async fn vat_totals(&self, filter: &SalesFilter) -> Result<Vec<VatTotal>, HqError> {
        self.d_vat_totals(filter).await
    }
    async fn top_articles(&self, filter: &SalesFilter, limit: usize) -> Result<Vec<ArticleSales>, HqError> {
        self.d_top_articles(filter, limit).await
    }
    async fn registers(&self) -> Result<Vec<RegisterView>, HqError> {
        self.d_registers().await
    }

    // ---------------------------------------------------------------- customers and loyalty

    #[instrument(skip_all)]
    async fn write_customer(&self, body: CustomerBody) -> Result<CustomerView, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        customers::upsert(&*tx, &body, true).await?;
        let view = customers::must_view(&*tx, &body.id.to_string()).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(view)
    }

    async fn next_card_number(&self) -> Result<i64, HqError> {
        let client = self.conn().await?;
        Ok(customers::next_card(&**client).await?)
    }

    async fn get_customer(&self, id: Uuid) -> Result<Option<CustomerView>, HqError> {
        let client = self.conn().await?;
        Ok(customers::view(&**client, &id.to_string()).await?)
    }

    async fn customer_body(&self, id: Uuid) -> Result<Option<CustomerBody>, HqError> {
        let client = self.conn().await?;
        Ok(customers::body(&**client, &id.to_string()).await?)
    }

    async fn list_customers(&self, overdrawn: bool, limit: usize) -> Result<Vec<CustomerView>, HqError> {
        let client = self.conn().await?;
        Ok(customers::list(&**client, overdrawn, limit).await?)
    }

    #[instrument(skip_all)]
    async fn merge_customers(&self, from: Uuid, into: Uuid) -> Result<CustomerView, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let view = customers::merge(&*tx, &from.to_string(), &into.to_string()).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(view)
    }

    #[instrument(skip_all)]
    async fn erase_customer(&self, id: Uuid) -> Result<CustomerView, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let view = customers::erase(&*tx, &id.to_string()).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(view)
    }

    #[instrument(skip_all)]
    async fn add_loyalty_entry(&self, entry: LoyaltyEntryBody) -> Result<CustomerView, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let id = entry.customer.to_string();
        customers::must_view(&*tx, &id).await?;
        customers::insert_entry(&*tx, &entry, &now_text()).await?;
        let view = customers::must_view(&*tx, &id).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(view)
    }

    async fn loyalty_entries(&self, customer: Uuid) -> Result<Vec<LoyaltyEntryBody>, HqError> {
        let client = self.conn().await?;
        Ok(customers::entries(&**client, &customer.to_string()).await?)
    }

    async fn loyalty_rule(&self) -> Result<LoyaltyRule, HqError> {
        let client = self.conn().await?;
        Ok(customers::rule(&**client).await?)
    }

    #[instrument(skip_all)]
    async fn set_loyalty_rule(&self, rule: LoyaltyRule) -> Result<(), HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        customers::set_rule(&*tx, &rule).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }

    // ---------------------------------------------------------------- stock and people

    #[instrument(skip_all)]
    async fn put_documents(
        &self,
        shops: Vec<(String, String)>,
        create: Option<(Entity, String, String)>,
        puts: Vec<comptoir_hq::stock::DocPut>,
    ) -> Result<(), HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        stock::put_documents(&*tx, &shops, create.as_ref(), &puts).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn document(&self, entity: Entity, key: &str) -> Result<Option<serde_json::Value>, HqError> {
        let client = self.conn().await?;
        Ok(stock::canonical(&**client, entity, key).await?)
    }

    #[instrument(skip_all)]
    async fn documents(&self, entity: Entity) -> Result<Vec<serde_json::Value>, HqError> {
        let client = self.conn().await?;
        Ok(stock::documents(&**client, entity).await?)
    }

    #[instrument(skip_all)]
    async fn stock_levels(&self, sku: &str) -> Result<Vec<(String, i64)>, HqError> {
        let client = self.conn().await?;
        Ok(stock::stock_levels(&**client, sku).await?)
    }

    #[instrument(skip_all)]
    async fn punches(&self, from: &str, to: &str) -> Result<Vec<comptoir_protocol::stock::Punch>, HqError> {
        let client = self.conn().await?;
        Ok(stock::punches(&**client, from, to).await?)
    }

    // ---------------------------------------------------------------- offers and messages

    #[instrument(skip_all)]
    async fn create_offer(&self, offer: OfferBody) -> Result<OfferBody, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        customers::create_offer(&*tx, &offer).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(offer)
    }

    async fn list_offers(&self) -> Result<Vec<OfferBody>, HqError> {
        let client = self.conn().await?;
        Ok(customers::offers(&**client, None, i64::MAX).await?)
    }

    #[instrument(skip_all)]
    async fn create_message(&self, shop: &str, message: MessageBody) -> Result<MessageView, HqError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let view = customers::create_message(&*tx, shop, &message).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(view)
    }

    async fn list_messages(&self, shop: Option<&str>) -> Result<Vec<MessageView>, HqError> {
        let client = self.conn().await?;
        Ok(customers::messages(&**client, shop).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(redact("postgres://hq:s3cret@db:5432/hq"), "postgres://hq:***@db:5432/hq");
        assert_eq!(redact("postgres://hq@db/hq"), "postgres://hq@db/hq");
        assert_eq!(redact("host=db password=s3cret dbname=hq"), "host=db password=*** dbname=hq");
    }
}
