//! Push ingest through the storage trait, SQLite against PostgreSQL: how many tickets per
//! second HQ's storage commits (durably) when shops push batches at the same time. The
//! figures of `docs/scaling.md` come from it:
//!
//! ```sh
//! cargo run --release -p comptoir-hq-postgres --example push_bench -- [SHOPS] [TICKETS_PER_SHOP] [BATCH]
//! ```
//!
//! Defaults: 8 shops, 2,000 tickets each, batches of 50 (the shop's default `batch_size`).
//! PostgreSQL is a throwaway server from Debian's binaries (or `COMPTOIR_TEST_POSTGRES_URL`)
//! with `fsync` and `synchronous_commit` on, as in production. Tickets are made and hashed
//! before the clock starts: the figure is storage only (no HTTP, no JSON parsing).

use comptoir_hq::HqStorage;
use comptoir_hq::conformance::ticket;
use comptoir_hq::storage::PushItem;
use comptoir_hq::sync::{new_enrolment_token, now_text, prepare_push};
use comptoir_hq_postgres::PostgresStorage;
use comptoir_hq_postgres::testing::TestPostgres;
use comptoir_hq_sqlite::SqliteStorage;
use comptoir_protocol::{HqIdentity, ShopIdentity};
use std::sync::Arc;
use std::time::Instant;

fn arg(n: usize, default: usize) -> usize {
    std::env::args().nth(n).and_then(|a| a.parse().ok()).unwrap_or(default)
}

/// Every shop's batches, chained per register, ready to apply.
fn batches(shops: usize, per_shop: usize, batch: usize) -> Vec<Vec<Vec<PushItem>>> {
    (0..shops)
        .map(|s| {
            let code = format!("S{s:04}");
            let mut prev = comptoir_core::chain::GENESIS.to_string();
            let records: Vec<serde_json::Value> = (0..per_shop)
                .map(|i| {
                    let t = ticket(&code, "R1", i as i64 + 1, &prev, 100 + i as i64 % 900, "2026-11-23");
                    prev = t.hash.clone();
                    serde_json::json!({"kind": "ticket", "body": t})
                })
                .collect();
            records.chunks(batch).map(|c| prepare_push(&code, c.to_vec()).expect("prepared")).collect()
        })
        .collect()
}

async fn run(name: &str, storage: Arc<dyn HqStorage>, shops: usize, per_shop: usize, batch: usize) {
    storage.initialise(&HqIdentity { id: uuid::Uuid::new_v4(), name: "bench".into() }, "admin", "x").await.unwrap();
    for s in 0..shops {
        let shop = ShopIdentity { code: format!("S{s:04}"), name: "s".into(), postal_code: "1".into() };
        storage.create_shop(&shop, &new_enrolment_token(1).1).await.unwrap();
    }
    let work = batches(shops, per_shop, batch);
    let start = Instant::now();
    let tasks: Vec<_> = work
        .into_iter()
        .enumerate()
        .map(|(s, shop_batches)| {
            let storage = storage.clone();
            tokio::spawn(async move {
                let code = format!("S{s:04}");
                for items in shop_batches {
                    let out = storage.apply_push(&code, &now_text(), items).await.unwrap();
                    assert!(out.quarantined.is_empty() && out.duplicates.is_empty());
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let total = shops * per_shop;
    let (rows, _) = storage.list_tickets(None, 0, total + 1).await.unwrap();
    assert_eq!(rows.len(), total);
    println!(
        "{name:<10} {shops:>4} shops x {per_shop} tickets, batches of {batch}: {total} tickets in {secs:.2} s = {:.0} tickets/s, {:.0} batches/s",
        total as f64 / secs,
        (total as f64 / batch as f64) / secs
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let (shops, per_shop, batch) = (arg(1, 8), arg(2, 2000), arg(3, 50));
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStorage::create(&dir.path().join("hq.sqlite")).unwrap();
    run("sqlite", Arc::new(sqlite), shops, per_shop, batch).await;
    let pg = TestPostgres::start_with(true);
    let storage = PostgresStorage::create(&pg.database()).await.unwrap();
    run("postgres", Arc::new(storage), shops, per_shop, batch).await;
}
