//! The shop's SQLite database: one file, `shop.sqlite`, in the data directory.
//!
//! Durability: WAL journal with `synchronous = FULL`, so the WAL is fsynced at every
//! commit and a ticket the API acknowledged survives a power cut. Writes go through a
//! single connection behind a mutex and run in `BEGIN IMMEDIATE` transactions, which is
//! what makes ticket numbering gap-free per register even when registers post at once
//! (and when a CLI command writes while the server runs: SQLite's lock, with a busy
//! timeout, serialises the processes). Reads use a small pool of other connections, so a
//! long report never waits behind a sale.

mod schema;

use crate::error::ShopError;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use schema::SCHEMA_VERSION;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "shop.sqlite";

const READ_POOL_MAX: usize = 8;

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

fn configure(conn: &Connection) -> Result<(), ShopError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

impl Store {
    /// Creates the database file; refuses when one is already there.
    pub fn create(data_dir: &Path) -> Result<Store, ShopError> {
        let path = data_dir.join(DB_FILE);
        if path.exists() {
            return Err(ShopError::AlreadyInitialised { data_dir: data_dir.display().to_string() });
        }
        std::fs::create_dir_all(data_dir)?;
        Self::open_path(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)
    }

    /// Opens an existing shop database and brings its schema up to date; refuses a missing
    /// file rather than creating an empty shop somewhere unexpected.
    pub fn open(data_dir: &Path) -> Result<Store, ShopError> {
        let path = data_dir.join(DB_FILE);
        if !path.exists() {
            return Err(ShopError::NotInitialised { data_dir: data_dir.display().to_string() });
        }
        Self::open_path(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
    }

    fn open_path(path: PathBuf, flags: OpenFlags) -> Result<Store, ShopError> {
        let flags = flags | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let mut writer = Connection::open_with_flags(&path, flags)?;
        configure(&writer)?;
        let before = schema::migrate(&mut writer)?;
        if before > 0 && before < SCHEMA_VERSION {
            journal_schema_update(&mut writer, before)?;
        }
        Ok(Store { inner: Arc::new(Inner { path, writer: Mutex::new(writer), readers: Mutex::new(Vec::new()) }) })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in one write transaction, committed when `f` succeeds, rolled back
    /// otherwise, so nothing is ever partly written.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ShopError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T, ShopError> + Send + 'static,
    {
        let store = self.clone();
        run_blocking(move || store.write_blocking(f)).await
    }

    pub fn write_blocking<T>(&self, f: impl FnOnce(&Transaction) -> Result<T, ShopError>) -> Result<T, ShopError> {
        let mut conn = self.inner.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` on a read connection (a consistent snapshot when `f` opens a transaction).
    pub async fn read<T, F>(&self, f: F) -> Result<T, ShopError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ShopError> + Send + 'static,
    {
        let store = self.clone();
        run_blocking(move || store.read_blocking(f)).await
    }

    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> Result<T, ShopError>) -> Result<T, ShopError> {
        let pooled = self.inner.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.inner.path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c)?;
                c
            }
        };
        let result = f(&conn);
        let mut pool = self.inner.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < READ_POOL_MAX {
            pool.push(conn);
        }
        result
    }
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ShopError> + Send + 'static,
) -> Result<T, ShopError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ShopError::Storage(format!("database task failed: {e}")))?
}

/// Now, as stored in every `created_at`/`updated_at`: RFC 3339, UTC, microseconds.
pub fn now_text() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A schema update is a fiscal event (NF525): journaled once, by the program that applied it.
fn journal_schema_update(writer: &mut Connection, before: i64) -> Result<(), ShopError> {
    let tx = writer.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let initialised: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM shop WHERE id = 1)", [], |r| r.get(0))?;
    if initialised {
        crate::shop::journal(
            &tx,
            crate::journal::codes::SCHEMA_UPDATED,
            None,
            &format!("database schema {before} → {SCHEMA_VERSION}, Comptoir {}", env!("CARGO_PKG_VERSION")),
        )?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_are_durable_and_the_file_is_never_made_up() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(Store::open(dir.path()), Err(ShopError::NotInitialised { .. })));
        let store = Store::create(dir.path()).unwrap();
        let (mode, sync): (String, i64) = store
            .read_blocking(|c| {
                Ok((
                    c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
                    c.query_row("PRAGMA synchronous", [], |r| r.get(0))?,
                ))
            })
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous = FULL: the WAL is fsynced at every commit");
        let version: i64 = store.read_blocking(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        drop(store);
        assert!(matches!(Store::create(dir.path()), Err(ShopError::AlreadyInitialised { .. })));
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path()).unwrap());
        let c = Connection::open(dir.path().join(DB_FILE)).unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        drop(c);
        assert!(matches!(Store::open(dir.path()), Err(ShopError::SchemaTooNew { .. })));
    }
}
