//! The storage conformance stories (`comptoir_hq::conformance`) on PostgreSQL, one test
//! each, plus what only this backend has: the refusal to invent or overwrite a database, schema versions, and
//! feed sequence numbers that follow commit order under concurrent writers.

use comptoir_hq::HqStorage;
use comptoir_hq::conformance::AsHqError;
use comptoir_hq::storage::prelude::*;
use comptoir_hq::storage::{ArticleUpdate, ArticleWrite, Category};
use comptoir_hq_postgres::testing::TestPostgres;
use comptoir_hq_postgres::{PostgresStorage, SCHEMA_VERSION};
use comptoir_protocol::HqIdentity;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use uuid::Uuid;

/// A throwaway PostgreSQL server with an empty HQ schema in its database.
async fn fresh() -> (TestPostgres, Arc<dyn HqStorage>) {
    let pg = TestPostgres::start();
    let storage = PostgresStorage::create(&pg.database()).await.unwrap();
    (pg, Arc::new(storage))
}

comptoir_hq::storage_stories!(fresh);

/// Migration 0002 fills the summaries from the tickets an older HQ already holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_migration_sums_the_tickets_already_held() {
    let pg = TestPostgres::start();
    let url = pg.database();
    let storage = PostgresStorage::create(&url).await.unwrap();
    comptoir_hq::conformance::dashboard_stories(Arc::new(storage.clone()) as Arc<dyn HqStorage>).await;
    let before = comptoir_hq::conformance::summaries(&storage).await;
    assert!(before.contains("LYON1"), "{before}");
    // Back to schema 1: as if these tickets had arrived before the dashboard existed.
    storage
        .execute_batch(
            "DROP TABLE dashboard_sessions; DROP TABLE sales_days; DROP TABLE sales_day_payments;
             DROP TABLE sales_day_vat; DROP TABLE sales_day_articles; DROP TABLE sales_month_articles;
             DROP TABLE message_acks, messages, offers, loyalty_entries, customers, loyalty_settings; DROP FUNCTION loyalty_append_only;
             DROP TABLE stock_records, stock_movements, punches, documents;
             UPDATE comptoir_schema SET version = 1;",
        )
        .await
        .unwrap();
    drop(storage);
    let storage = PostgresStorage::open(&url).await.unwrap();
    assert_eq!(comptoir_hq::conformance::summaries(&storage).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_refuses_what_is_not_an_hq_and_create_what_is_not_empty() {
    let pg = TestPostgres::start();
    // A database that does not exist is never created.
    let missing = pg.url_of("no_such_db");
    let e = PostgresStorage::open(&missing).await.err().unwrap();
    assert_eq!(e.kind(), "database_url");
    let text = e.message(comptoir_core::Lang::En);
    assert!(text.contains("does not exist") && text.contains("never creates"), "{text}");
    assert_eq!(PostgresStorage::create(&missing).await.err().unwrap().kind(), "database_url");
    // Nobody listening.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = PostgresStorage::open(&format!("postgres://u:hidden@127.0.0.1:{closed}/hq")).await.err().unwrap();
    let text = e.message(comptoir_core::Lang::En);
    assert!(e.kind() == "database_url" && text.contains("cannot connect"), "{text}");
    assert!(!text.contains("hidden"), "the password never shows: {text}");
    assert_eq!(PostgresStorage::open("postgres://u@h:notaport/db").await.err().unwrap().kind(), "database_url");

    // An empty database: `open` refuses (no HQ), `create` makes the schema.
    let url = pg.database();
    assert_eq!(PostgresStorage::open(&url).await.err().unwrap().kind(), "not_initialised");
    let s = PostgresStorage::create(&url).await.unwrap();
    assert_eq!(s.identity().await.unwrap_err().hq().kind(), "not_initialised", "schema but no HQ yet");
    assert_eq!(PostgresStorage::create(&url).await.err().unwrap().kind(), "already_initialised");
    PostgresStorage::open(&url).await.unwrap();

    // A database holding something else is not taken over.
    let other = pg.database();
    PostgresStorage::create(&other).await.unwrap().execute_batch("DROP TABLE comptoir_schema CASCADE").await.unwrap();
    let e = PostgresStorage::create(&other).await.err().unwrap();
    assert!(e.message(comptoir_core::Lang::En).contains("not empty"), "{e:?}");

    // A newer schema is refused, untouched.
    s.execute_batch(&format!("UPDATE comptoir_schema SET version = {}", SCHEMA_VERSION + 1)).await.unwrap();
    let e = PostgresStorage::open(&url).await.err().unwrap();
    assert_eq!(e.kind(), "schema_too_new");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_schema_is_migrated_on_open_once_by_concurrent_processes() {
    let pg = TestPostgres::start();
    let url = pg.database();
    let s = PostgresStorage::create(&url).await.unwrap();
    // Version 0: a database made by a build before the first migration was recorded.
    s.execute_batch("UPDATE comptoir_schema SET version = 0; DROP TABLE message_acks, messages, offers, loyalty_entries, customers, loyalty_settings; DROP FUNCTION loyalty_append_only; DROP TABLE documents, punches, stock_movements, stock_records, dashboard_sessions, sales_days, sales_day_payments, sales_day_vat, sales_day_articles, sales_month_articles, job_targets, jobs, chain_events, chain_heads, quarantine, closures, tickets, credentials, enrolment_requests, enrolment_tokens, shops, changes, barcodes, articles, categories, tax_rates, api_tokens, admins, feed_counter, hq; DROP FUNCTION comptoir_append_only;")
        .await
        .unwrap();
    let (a, b) = tokio::join!(PostgresStorage::open(&url), PostgresStorage::open(&url));
    let (a, _b) = (a.unwrap(), b.unwrap());
    let hq = HqIdentity { id: Uuid::new_v4(), name: "HQ".into() };
    a.initialise(&hq, "admin", "x").await.unwrap();
    assert_eq!(a.identity().await.unwrap(), hq);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_are_append_only() {
    let pg = TestPostgres::start();
    let s = PostgresStorage::create(&pg.database()).await.unwrap();
    s.execute_batch(
        "INSERT INTO shops (code, name, postal_code, created_at) VALUES ('S', 'S', '1', 't');
         INSERT INTO tickets (id, shop, register, sequence, number, business_date, created_at, total, hash, prev_hash, body, received_at)
         VALUES ('x', 'S', 'R1', 1, 'S-R1-1', 'd', 't', 1, 'h', 'p', '{}', 't');",
    )
    .await
    .unwrap();
    let e = s.execute_batch("UPDATE tickets SET total = 2").await.unwrap_err();
    assert!(format!("{e:?}").contains("append-only"), "{e:?}");
    assert!(s.execute_batch("DELETE FROM tickets").await.is_err());
}

/// Several writers on several connections (as several HQ processes would be) change the
/// catalog while a reader follows the feed with its cursor, as a shop does: the reader must
/// end up with every change, none skipped. With sequence numbers from a plain SEQUENCE this
/// fails (a later number commits before an earlier one and the cursor passes the gap).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_catalog_writers_never_make_a_feed_reader_skip_a_change() {
    let pg = TestPostgres::start();
    let url = pg.database();
    let first = PostgresStorage::create(&url).await.unwrap();
    first.initialise(&HqIdentity { id: Uuid::new_v4(), name: "HQ".into() }, "admin", "x").await.unwrap();
    const WRITERS: usize = 6;
    const WRITES: usize = 40;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        // Each writer has its own pool, as a separate HQ process would.
        let s = PostgresStorage::open(&url).await.unwrap();
        writers.push(tokio::spawn(async move {
            for i in 0..WRITES {
                let sku = format!("W{w}-{i}");
                let write = if i % 5 == 4 {
                    ArticleWrite::Upsert {
                        sku,
                        update: ArticleUpdate {
                            name: Some(format!("Imported {w} {i}")),
                            price: Some(comptoir_core::Money(100 + i as i64)),
                            tax_rate: Some(comptoir_core::TaxRate(550)),
                            category: Some(Some(format!("C{w}-{i}"))),
                            ..Default::default()
                        },
                    }
                } else {
                    ArticleWrite::Create {
                        sku,
                        name: format!("Article {w} {i}"),
                        price: comptoir_core::Money(100 + i as i64),
                        tax_rate: comptoir_core::TaxRate(2000),
                        barcodes: vec![],
                        category: None,
                        web: false,
                    }
                };
                s.write_articles(vec![write], false).await.unwrap();
                if i % 7 == 0 {
                    s.create_category(&Category { code: format!("K{w}-{i}"), name: "k".into(), active: true })
                        .await
                        .unwrap();
                }
            }
        }));
    }
    let reader = PostgresStorage::open(&url).await.unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let follower = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut cursor = 0;
            let mut seen = Vec::new();
            loop {
                let finished = done.load(Ordering::SeqCst);
                let read = reader.feed("ANY", cursor, 7).await.unwrap();
                for c in &read.changes {
                    assert!(c.seq > cursor);
                    cursor = c.seq;
                    seen.push(c.seq);
                }
                if read.changes.is_empty() {
                    if finished {
                        return seen;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = follower.await.unwrap();
    let all: Vec<i64> = first.feed("ANY", 0, 100_000).await.unwrap().changes.iter().map(|c| c.seq).collect();
    // 4 VAT rates + every article + the upserts' categories + the extra categories.
    let expected = 4 + WRITERS * WRITES + WRITERS * (WRITES / 5) + WRITERS * WRITES.div_ceil(7);
    assert_eq!(all.len(), expected);
    assert_eq!(seen, all, "the follower saw every change, in order, none skipped");
    assert_eq!(all, (1..=expected as i64).collect::<Vec<_>>(), "sequences are dense: none lost to a rollback");
}

/// The same shop's batch arriving through two HQ processes at once (a retry through the
/// other one): applied once, the second sees duplicates; the chain stays intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_push_through_two_processes_is_applied_once() {
    use comptoir_hq::conformance::ticket;
    use comptoir_hq::sync::{new_enrolment_token, now_text, prepare_push};
    let pg = TestPostgres::start();
    let url = pg.database();
    let a = PostgresStorage::create(&url).await.unwrap();
    a.initialise(&HqIdentity { id: Uuid::new_v4(), name: "HQ".into() }, "admin", "x").await.unwrap();
    let shop = comptoir_protocol::ShopIdentity { code: "LYON1".into(), name: "Lyon".into(), postal_code: "1".into() };
    a.create_shop(&shop, &new_enrolment_token(1).1).await.unwrap();
    let b = PostgresStorage::open(&url).await.unwrap();
    let mut prev = comptoir_core::chain::GENESIS.to_string();
    for round in 0..20 {
        let mut records = Vec::new();
        for i in 0..10 {
            let t = ticket("LYON1", "R1", round * 10 + i + 1, &prev, 100, "2026-01-01");
            prev = t.hash.clone();
            records.push(serde_json::json!({"kind": "ticket", "body": t}));
        }
        let at = now_text();
        let (x, y) = tokio::join!(
            a.apply_push("LYON1", &at, prepare_push("LYON1", records.clone()).unwrap()),
            b.apply_push("LYON1", &at, prepare_push("LYON1", records).unwrap()),
        );
        let (x, y) = (x.unwrap(), y.unwrap());
        assert_eq!(x.accepted.len() + y.accepted.len(), 10, "round {round}: {x:?} {y:?}");
        assert_eq!(x.duplicates.len() + y.duplicates.len(), 10);
    }
    let (tickets, _) = a.list_tickets(Some("LYON1"), 0, 1000).await.unwrap();
    assert_eq!(tickets.len(), 200);
    assert!(a.chain_events(None).await.unwrap().is_empty());
    assert!(a.list_shops().await.unwrap()[0].chain_ok);
}
