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
//!
//! One file per storage domain, each implementing its trait of `comptoir_hq::storage`:
//! `admin`, `catalog`, `shops`, `sales` (pushes), `feed`, `jobs`, `dashboard`, `customers`,
//! `stock`; `open` connects, creates and migrates, `import` is what `hq migrate` needs. What a
//! push or an article write does is decided by the plans of comptoir-hq; these files read
//! the facts a plan needs and write the plan.
#![forbid(unsafe_code)]

mod admin;
mod catalog;
mod customers;
mod dashboard;
mod feed;
mod fiscal;
mod import;
mod jobs;
mod open;
mod sales;
mod shops;
mod stock;
#[cfg(feature = "testing")]
pub mod testing;

pub use import::COPIED_TABLES;
pub use open::redact;

use comptoir_hq::sync::now_text;
use comptoir_hq::{HqError, StorageError};
use comptoir_protocol::Entity;
use deadpool_postgres::Pool;
use std::time::Duration;
use tokio_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

/// The migrations, applied in order; the version is the count applied.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_hq.sql"),
    include_str!("../migrations/0002_dashboard.sql"),
    include_str!("../migrations/0003_customers.sql"),
    include_str!("../migrations/0004_stock.sql"),
    include_str!("../migrations/0005_enrolment_retry.sql"),
    include_str!("../migrations/0009_codes_without_case.sql"),
    include_str!("../migrations/0010_journal.sql"),
];
/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;
const POOL_MAX: usize = 16;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Key of the advisory lock that makes concurrent migrations wait for each other.
const MIGRATION_LOCK: i64 = 0x636f_6d70_746f_6972;

/// An error inside this crate: a database failure or a fact to report.
enum Fail {
    Db(tokio_postgres::Error),
    St(StorageError),
}
impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Self {
        Fail::Db(e)
    }
}
impl From<StorageError> for Fail {
    fn from(e: StorageError) -> Self {
        Fail::St(e)
    }
}
impl From<serde_json::Error> for Fail {
    fn from(e: serde_json::Error) -> Self {
        Fail::St(e.into())
    }
}
impl From<deadpool_postgres::PoolError> for Fail {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Fail::St(StorageError::Database(format!("PostgreSQL connection: {e}")))
    }
}
impl From<Fail> for StorageError {
    fn from(f: Fail) -> StorageError {
        match f {
            Fail::Db(e) => StorageError::Database(db_text(&e)),
            Fail::St(e) => e,
        }
    }
}
impl From<Fail> for HqError {
    fn from(f: Fail) -> HqError {
        StorageError::from(f).into()
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
    Uuid::parse_str(text).map_err(|e| StorageError::Database(format!("stored id {text}: {e}")).into())
}

/// HQ storage on PostgreSQL. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct PostgresStorage {
    pool: Pool,
    /// The URL, password hidden: where this HQ lives, for messages.
    place: String,
}
impl PostgresStorage {
    /// A pooled connection.
    async fn conn(&self) -> R<deadpool_postgres::Object> {
        Ok(self.pool.get().await?)
    }
}

// ---------------------------------------------------------------- helpers every domain uses

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

async fn exists(c: &impl GenericClient, sql: &str, params: &[&(dyn ToSql + Sync)]) -> R<bool> {
    Ok(c.query_one(&format!("SELECT EXISTS({sql})"), params).await?.get(0))
}

async fn shop_exists(c: &impl GenericClient, code: &str) -> R<bool> {
    exists(c, "SELECT 1 FROM shops WHERE code = $1", &[&code]).await
}
