//! HQ storage on SQLite: one file (`hq.sqlite`), the default for a small chain.
//!
//! Same durability as the shop's store: WAL journal, `synchronous = FULL` (the WAL is
//! fsynced at every commit, so a push HQ acknowledged survives a power cut), foreign keys
//! on, a 10 s busy timeout. Writes go through one connection behind a mutex, each in a
//! `BEGIN IMMEDIATE` transaction: that single writer is also what makes feed sequence
//! numbers follow commit order. Reads use a small pool of other connections. A CLI command
//! writing while the server runs is serialised by SQLite's own lock.
//!
//! Migrations in `migrations/` are embedded and applied at every open; the version lives in
//! `user_version`, and a database newer than the program is refused, not touched.
//! [`SqliteStorage::open`] refuses a missing file; only [`SqliteStorage::create`] makes one.
#![forbid(unsafe_code)]

//!
//! One file per storage domain, each implementing its trait of `comptoir_hq::storage`:
//! `admin`, `catalog`, `shops`, `sales` (pushes), `feed` (feed and snapshot), `jobs`,
//! `dashboard`, `customers`, `stock`, `fiscal`. What a push or an article write does is decided by
//! the plans of comptoir-hq; these files read the facts a plan needs and write the plan.

mod admin;
mod catalog;
mod customers;
mod dashboard;
mod feed;
mod fiscal;
mod jobs;
mod sales;
mod shops;
mod stock;

use comptoir_hq::sync::now_text;
use comptoir_hq::{HqError, StorageError};
use comptoir_protocol::Entity;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

const MIGRATIONS: &[&str] = &[
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
/// The database file's name inside an HQ data directory.
pub const DB_FILE: &str = "hq.sqlite";
const READ_POOL_MAX: usize = 8;

/// An error inside this crate: a database failure or a fact to report.
enum Fail {
    Db(rusqlite::Error),
    St(StorageError),
}
impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
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
impl From<Fail> for StorageError {
    fn from(f: Fail) -> StorageError {
        match f {
            Fail::Db(e) => StorageError::database(e),
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

fn uuid(text: &str) -> R<Uuid> {
    Uuid::parse_str(text).map_err(|e| StorageError::Database(format!("stored id {text}: {e}")).into())
}

#[derive(Clone)]
pub struct SqliteStorage {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> R<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StorageError::SchemaTooNew { found: current, supported: SCHEMA_VERSION }.into());
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "HQ database schema migrated");
    }
    Ok(())
}

impl SqliteStorage {
    /// Creates the database file; refuses when one is already there.
    pub fn create(path: &Path) -> Result<SqliteStorage, HqError> {
        if path.exists() {
            return Err(HqError::AlreadyInitialised { place: path.display().to_string() });
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        Self::open_path(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)
    }

    /// Opens an existing HQ database and brings its schema up to date; refuses a missing
    /// file rather than creating an empty HQ somewhere unexpected.
    pub fn open(path: &Path) -> Result<SqliteStorage, HqError> {
        if !path.exists() {
            return Err(HqError::NotInitialised { place: path.display().to_string() });
        }
        Self::open_path(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
    }

    fn open_path(path: &Path, flags: OpenFlags) -> Result<SqliteStorage, HqError> {
        let flags = flags | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut writer = Connection::open_with_flags(path, flags).map_err(Fail::from)?;
        configure(&writer).map_err(Fail::from)?;
        migrate(&mut writer)?;
        Ok(SqliteStorage {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the writer: committed when `f`
    /// succeeds, rolled back otherwise.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> R<T> + Send + 'static,
    ) -> Result<T, StorageError> {
        let inner = self.inner.clone();
        blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
    }

    /// Runs `f` on a pooled read connection.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> R<T> + Send + 'static,
    ) -> Result<T, StorageError> {
        let inner = self.inner.clone();
        blocking(move || {
            let pooled = inner.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let conn = match pooled {
                Some(c) => c,
                None => {
                    let c = Connection::open_with_flags(
                        &inner.path,
                        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )?;
                    configure(&c)?;
                    c
                }
            };
            let result = f(&conn);
            let mut pool = inner.readers.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < READ_POOL_MAX {
                pool.push(conn);
            }
            result
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> R<T> + Send + 'static) -> Result<T, StorageError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(StorageError::from),
        Err(e) => Err(StorageError::Database(format!("database task failed: {e}"))),
    }
}

// ---------------------------------------------------------------- helpers every domain uses

fn append_change(
    c: &Connection,
    entity: Entity,
    key: &str,
    body: &impl serde::Serialize,
    shop: Option<&str>,
) -> R<i64> {
    c.execute(
        "INSERT INTO changes (entity, key, body, shop, created_at) VALUES (?, ?, ?, ?, ?)",
        params![entity.as_str(), key, serde_json::to_string(body)?, shop, now_text()],
    )?;
    Ok(c.last_insert_rowid())
}

fn shop_exists(c: &Connection, code: &str) -> R<bool> {
    Ok(c.query_row("SELECT EXISTS(SELECT 1 FROM shops WHERE code = ?)", [code], |r| r.get(0))?)
}
