//! The storage conformance stories (`comptoir_hq::conformance`) on SQLite, one test each,
//! plus what only this backend has: durability pragmas, the refusal to invent a database, newer schemas.

use comptoir_hq::HqStorage;
use comptoir_hq::conformance::AsHqError;
use comptoir_hq::storage::prelude::*;
use comptoir_hq_sqlite::{SCHEMA_VERSION, SqliteStorage};
use std::sync::Arc;

/// A freshly created, empty SQLite HQ and the directory that holds it.
async fn fresh() -> (tempfile::TempDir, Arc<dyn HqStorage>) {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::create(&dir.path().join("hq.sqlite")).unwrap();
    (dir, Arc::new(storage))
}

comptoir_hq::storage_stories!(fresh);

#[tokio::test]
async fn open_refuses_a_missing_file_and_create_an_existing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hq.sqlite");
    assert_eq!(SqliteStorage::open(&path).err().unwrap().kind(), "not_initialised");
    assert!(!path.exists(), "open never creates a database");
    let s = SqliteStorage::create(&path).unwrap();
    // Created but not initialised: no identity yet.
    assert_eq!(s.identity().await.unwrap_err().hq().kind(), "not_initialised");
    drop(s);
    assert_eq!(SqliteStorage::create(&path).err().unwrap().kind(), "already_initialised");
    let c = rusqlite::Connection::open(&path).unwrap();
    let (mode, sync): (String, i64) = (
        c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap(),
        c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap(),
    );
    assert_eq!((mode.as_str(), sync), ("wal", SCHEMA_VERSION));
    c.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    drop(c);
    assert_eq!(SqliteStorage::open(&path).err().unwrap().kind(), "schema_too_new");
}

#[tokio::test]
async fn tickets_are_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hq.sqlite");
    drop(SqliteStorage::create(&path).unwrap());
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("INSERT INTO shops (code, name, postal_code, created_at) VALUES ('S', 'S', '1', 't');
        INSERT INTO tickets (id, shop, register, sequence, number, business_date, created_at, total, hash, prev_hash, body, received_at)
        VALUES ('x', 'S', 'R1', 1, 'S-R1-1', 'd', 't', 1, 'h', 'p', '{}', 't');").unwrap();
    assert!(c.execute("UPDATE tickets SET total = 2", []).is_err());
    assert!(c.execute("DELETE FROM tickets", []).is_err());
}

/// Migration 0002 fills the summaries from the tickets an older HQ already holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_migration_sums_the_tickets_already_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hq.sqlite");
    let storage = SqliteStorage::create(&path).unwrap();
    comptoir_hq::conformance::dashboard_stories(Arc::new(storage.clone()) as Arc<dyn HqStorage>).await;
    let before = comptoir_hq::conformance::summaries(&storage).await;
    assert!(before.contains("LYON1"), "{before}");
    drop(storage);
    // Back to schema 1: as if these tickets had arrived before the dashboard existed.
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "DROP TABLE dashboard_sessions; DROP TABLE sales_days; DROP TABLE sales_day_payments; DROP TABLE sales_day_vat;
         DROP TABLE sales_day_articles; DROP TABLE sales_month_articles;
         DROP TABLE message_acks; DROP TABLE messages; DROP TABLE offers;
         DROP TABLE loyalty_entries; DROP TABLE customers; DROP TABLE loyalty_settings;
         DROP TABLE stock_records; DROP TABLE stock_movements; DROP TABLE punches; DROP TABLE documents;
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(c);
    let storage = SqliteStorage::open(&path).unwrap();
    assert_eq!(comptoir_hq::conformance::summaries(&storage).await, before);
}
