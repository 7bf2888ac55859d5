//! The shop's side of the feed and the snapshot: any bytes are read as a `FeedPage` (the
//! long-poll answer) and, line by line, as a snapshot stream (`SnapshotLine` NDJSON), and
//! every change or item is applied to a real shop database (rolled back after each input):
//! an unreadable record is skipped with a warning, never a panic.
#![no_main]

use comptoir_protocol::{FeedPage, SnapshotLine};
use libfuzzer_sys::fuzz_target;
use std::sync::{Mutex, OnceLock};

fn database() -> &'static Mutex<rusqlite::Connection> {
    static DB: OnceLock<(tempfile::TempDir, Mutex<rusqlite::Connection>)> = OnceLock::new();
    &DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        comptoir_shop::Shop::init(dir.path(), "LYON1", "Lyon", "admin", "fuzz-password").expect("shop init");
        let conn = rusqlite::Connection::open(dir.path().join(comptoir_shop::store::DB_FILE)).expect("open");
        conn.pragma_update(None, "foreign_keys", "ON").expect("pragma");
        (dir, Mutex::new(conn))
    })
    .1
}

fuzz_target!(|data: &[u8]| {
    let mut records = Vec::new();
    if let Ok(page) = serde_json::from_slice::<FeedPage>(data) {
        records.extend(page.changes.into_iter().map(|c| (c.entity, c.key, c.body)));
    }
    for line in data.split(|b| *b == b'\n') {
        if let Ok(SnapshotLine::Item { entity, key, body }) = serde_json::from_slice::<SnapshotLine>(line) {
            records.push((entity, key, body));
        }
    }
    if records.is_empty() {
        return;
    }
    let mut conn = database().lock().unwrap_or_else(|p| p.into_inner());
    let tx = conn.transaction().expect("begin");
    for (entity, key, body) in records {
        // Errors are fine (a refused record); a panic is the bug.
        let _ = comptoir_shop::sync::apply::apply(&tx, entity, &key, body);
    }
    tx.rollback().expect("rollback");
});
