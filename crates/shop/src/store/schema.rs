//! Migrations embedded in the binary, applied in order at every open. The version lives in
//! SQLite's `user_version`; a database newer than the program is refused, not touched.

use crate::error::ShopError;
use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_shop.sql"),
    include_str!("../../migrations/0002_sync.sql"),
    include_str!("../../migrations/0003_customers.sql"),
    include_str!("../../migrations/0004_stock.sql"),
    include_str!("../../migrations/0005_register.sql"),
    include_str!("../../migrations/0006_fiscal.sql"),
    include_str!("../../migrations/0007_peripherals.sql"),
    include_str!("../../migrations/0010_codes_without_case.sql"),
    include_str!("../../migrations/0011_backoffice.sql"),
    include_str!("../../migrations/0012_journal_sync.sql"),
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Applies the migrations this database lacks; returns the version it had.
pub fn migrate(conn: &mut Connection) -> Result<i64, ShopError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(ShopError::SchemaTooNew { found: current, supported: SCHEMA_VERSION });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "database schema migrated");
    }
    Ok(current)
}
