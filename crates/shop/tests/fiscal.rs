//! Fiscal integrity (NF525, docs/fiscal.md): every ticket, closure and journal entry is
//! signed by the shop's key; the technical journal records what happened; whoever edits the
//! database behind the program's back is named by `verify`.

mod common;

use common::{ADMIN, TestShop};
use comptoir_core::chain::{JournalEntry, closure_hash, encode_closure, encode_journal, encode_ticket, ticket_hash};
use comptoir_core::closure::Closure;
use comptoir_core::fiscal::verify as verify_signature;
use comptoir_core::ticket::Ticket;
use comptoir_shop::{Shop, ShopConfig};
use reqwest::Method;
use serde_json::{Value, json};

fn sale(qty: i64) -> Value {
    json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":qty}],"payments":[{"method":"cash","amount":5000}]})
}

async fn public_key(api: &common::Api) -> String {
    let (s, shop) = api.get("/api/v1/shop").await;
    assert_eq!(s, 200, "{shop}");
    shop["public_key"].as_str().expect("public_key").to_string()
}

async fn verify(api: &common::Api) -> Value {
    let (s, report) = api.send(Method::POST, "/api/v1/verify", None).await;
    assert_eq!(s, 200, "{report}");
    report
}

/// The first broken chain's description, if any.
fn broken(report: &Value) -> Option<String> {
    report["chains"].as_array()?.iter().find_map(|c| c["broken"].as_str().map(str::to_string))
}

fn database(shop: &TestShop) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(shop.data_dir().join("shop.sqlite")).expect("open the shop database");
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ticket_closure_and_journal_entry_is_signed_by_the_shops_key() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let key = public_key(api).await;
    assert_eq!(key.len(), 64, "an Ed25519 public key in hex: {key}");

    let sold = api.sell(sale(2)).await;
    api.sell(sale(1)).await;
    let (s, day) = api.post("/api/v1/closures", json!({"register":"R1","kind":"day"})).await;
    assert_eq!(s, 201, "{day}");

    // Anyone holding the public key checks a ticket from its JSON alone.
    for t in api.tickets().await {
        let ticket: Ticket = serde_json::from_value(t.clone()).expect("a ticket");
        let signature = t["signature"].as_str().expect("every ticket has a signature");
        assert_eq!(ticket_hash(&ticket), ticket.hash);
        assert_eq!(verify_signature([key.as_str()], encode_ticket(&ticket).as_bytes(), Some(signature)), Ok(()));
    }
    assert_eq!(api.tickets().await[0], sold, "the ticket as sold is the ticket as listed");
    let closure: Closure = serde_json::from_value(day.clone()).unwrap();
    assert_eq!(closure_hash(&closure), closure.hash);
    assert_eq!(
        verify_signature([key.as_str()], encode_closure(&closure).as_bytes(), closure.signature.as_deref()),
        Ok(())
    );
    // Three baguettes at 1.20 €: the perpetual absolute total starts with this day.
    assert_eq!(day["absolute_total"], 360);
    assert_eq!(day["grand_absolute_total"], 360);

    let (s, journal) = api.get("/api/v1/journal").await;
    assert_eq!(s, 200, "{journal}");
    let items = journal["items"].as_array().unwrap();
    let codes: Vec<&str> = items.iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes.first(), Some(&"shop_initialised"), "{codes:?}");
    assert!(codes.contains(&"server_started") && codes.contains(&"closure"), "{codes:?}");
    let closed = items.iter().find(|e| e["code"] == "closure").unwrap();
    assert_eq!(closed["user"], ADMIN);
    for e in items {
        for field in ["code", "at", "user", "register", "details"] {
            assert!(e.get(field).is_some(), "{field} in {e}");
        }
        let entry: JournalEntry = serde_json::from_value(e.clone()).unwrap();
        assert_eq!(
            verify_signature([key.as_str()], encode_journal(&entry).as_bytes(), entry.signature.as_deref()),
            Ok(())
        );
    }
    assert_eq!(verify(api).await["intact"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sign_in_is_journaled_and_the_journal_filters_and_pages() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let (s, _) = api.as_user(ADMIN, "not-the-password").get("/api/v1/shop").await;
    assert_eq!(s, 401);
    let (s, _) = api.as_user("nobody", "whatever").get("/api/v1/articles").await;
    assert_eq!(s, 401);

    let (s, failed) = api.get("/api/v1/journal?code=sign_in_failed").await;
    assert_eq!(s, 200, "{failed}");
    let users: Vec<&str> = failed["items"].as_array().unwrap().iter().map(|e| e["user"].as_str().unwrap()).collect();
    assert_eq!(users, ["admin", "nobody"]);
    assert!(failed["items"][0]["details"].as_str().unwrap().starts_with("from 127.0.0.1"), "{failed}");

    let (_, only_nobody) = api.get("/api/v1/journal?user=nobody").await;
    assert_eq!(only_nobody["items"].as_array().unwrap().len(), 1, "{only_nobody}");

    // Pages of two, walked to the end, give the whole journal in order.
    let (_, all) = api.get("/api/v1/journal?limit=1000").await;
    let mut walked = Vec::new();
    let mut after = 0;
    loop {
        let (_, page) = api.get(&format!("/api/v1/journal?limit=2&after={after}")).await;
        walked.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next"].as_i64() {
            Some(n) => after = n,
            None => break,
        }
    }
    assert_eq!(walked, *all["items"].as_array().unwrap());
    assert!(walked.len() >= 4, "{walked:?}");

    // The journal is for managers.
    let cashier = api.as_user("C1", "1234");
    assert_eq!(cashier.get("/api/v1/journal").await.0, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_key_rotation_old_records_verify_with_their_key() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let first_key = public_key(api).await;
    api.sell(sale(1)).await;

    let other = Shop::open(shop.data_dir(), ShopConfig::default()).unwrap();
    let new_key = other.store.write_blocking(|tx| comptoir_shop::fiscal::rotate(tx, Some(ADMIN))).unwrap();
    assert_ne!(new_key, first_key);
    api.sell(sale(2)).await;

    let (_, info) = api.get("/api/v1/shop").await;
    assert_eq!(info["public_key"], new_key.as_str());
    let keys: Vec<&str> =
        info["public_keys"].as_array().unwrap().iter().map(|k| k["public_key"].as_str().unwrap()).collect();
    assert_eq!(keys, [first_key.as_str(), new_key.as_str()]);

    let tickets = api.tickets().await;
    let signed_by = |t: &Value| t["signature"].as_str().unwrap().split(':').next().unwrap().to_string();
    assert_eq!(signed_by(&tickets[0]), comptoir_core::fiscal::key_id(&first_key).unwrap());
    assert_eq!(signed_by(&tickets[1]), comptoir_core::fiscal::key_id(&new_key).unwrap());
    // The rotation itself is journaled, signed by the old key, and names the new one.
    let (_, rotated) = api.get("/api/v1/journal?code=key_rotated").await;
    let entry = &rotated["items"][0];
    assert!(entry["details"].as_str().unwrap().contains(&new_key), "{entry}");
    assert_eq!(signed_by(entry), comptoir_core::fiscal::key_id(&first_key).unwrap());
    assert_eq!(verify(api).await["intact"], true, "both keys' records verify");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_rewritten_with_correct_hashes_is_caught_by_its_signature() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    for qty in 1..=3 {
        api.sell(sale(qty)).await;
    }
    assert_eq!(verify(api).await["intact"], true);

    // A fraudster who knows the encoding lowers ticket 2 and recomputes every hash after it.
    let db = database(&shop);
    db.execute_batch("DROP TRIGGER tickets_no_update; DROP TRIGGER ticket_lines_no_update; DROP TRIGGER ticket_payments_no_update; DROP TRIGGER ticket_vat_no_update;").unwrap();
    let mut tickets = Vec::new();
    comptoir_shop::sales::for_each_ticket_after(&db, "R1", 0, |t| {
        tickets.push(t);
        Ok(true)
    })
    .unwrap();
    let mut prev = tickets[0].hash.clone();
    for t in tickets.iter_mut().skip(1) {
        if t.sequence == 2 {
            // Two baguettes become one: 2.40 € to 1.20 €, VAT recomputed, change adjusted.
            t.lines[0].qty = comptoir_core::Quantity(1000);
            t.lines[0].total = comptoir_core::Money(120);
            t.total = comptoir_core::Money(120);
            t.vat[0].gross = comptoir_core::Money(120);
            t.vat[0].net = comptoir_core::Money(114);
            t.vat[0].vat = comptoir_core::Money(6);
            t.change = comptoir_core::Money(4880);
            db.execute("UPDATE ticket_lines SET qty_milli = 1000, total = 120 WHERE ticket_id = ?", [t.id.to_string()])
                .unwrap();
            db.execute("UPDATE ticket_vat SET gross = 120, net = 114, vat = 6 WHERE ticket_id = ?", [t.id.to_string()])
                .unwrap();
        }
        t.prev_hash = prev.clone();
        t.hash = ticket_hash(t);
        db.execute(
            "UPDATE tickets SET total = ?, change = ?, prev_hash = ?, hash = ? WHERE id = ?",
            rusqlite::params![t.total.cents(), t.change.cents(), t.prev_hash, t.hash, t.id.to_string()],
        )
        .unwrap();
        prev = t.hash.clone();
    }
    drop(db);

    let report = verify(api).await;
    assert_eq!(report["intact"], false, "{report}");
    assert_eq!(
        broken(&report).as_deref(),
        Some("ticket PARIS1-R1-000002 has a signature that does not match its content"),
        "the hashes hold, the signature does not: {report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_entry_removed_or_altered_is_named() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let (s, _) = api.as_user(ADMIN, "wrong").get("/api/v1/shop").await;
    assert_eq!(s, 401);
    let (_, failed) = api.get("/api/v1/journal?code=sign_in_failed").await;
    let sequence = failed["items"][0]["sequence"].as_i64().unwrap();
    // Something happens after it (the last entry's removal is told by HQ's copy and the archives).
    let (s, _) = api.post("/api/v1/closures", json!({"register":"R1","kind":"day"})).await;
    assert_eq!(s, 201);
    assert_eq!(verify(api).await["intact"], true);

    let db = database(&shop);
    let refused = db.execute("DELETE FROM journal WHERE sequence = ?", [sequence]);
    assert!(refused.unwrap_err().to_string().contains("append-only"));
    db.execute_batch("DROP TRIGGER journal_no_delete; DROP TRIGGER journal_no_update;").unwrap();
    db.execute("UPDATE journal SET details = 'nothing happened' WHERE sequence = ?", [sequence]).unwrap();
    let report = verify(api).await;
    let journal = report["chains"].as_array().unwrap().iter().find(|c| c["chain"] == "journal").unwrap().clone();
    let named = journal["broken"].as_str().unwrap();
    assert!(named.starts_with("journal entry sign_in_failed at "), "{journal}");
    assert!(
        named.ends_with(&format!("(sequence {sequence}) was altered: its content no longer matches its hash")),
        "{named}"
    );

    db.execute("DELETE FROM journal WHERE sequence = ?", [sequence]).unwrap();
    drop(db);
    let report = verify(api).await;
    let journal = report["chains"].as_array().unwrap().iter().find(|c| c["chain"] == "journal").unwrap().clone();
    assert!(
        journal["broken"].as_str().unwrap().starts_with(&format!("journal entry sequence {sequence} is missing")),
        "{journal}"
    );
}

/// The clock offset that makes the shop's "now" be `local` (Paris time).
fn clock_at(local: &str) -> ShopConfig {
    let target = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", local)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Paris").unwrap())
        .unwrap()
        .timestamp();
    let offset = target.as_second() - jiff::Timestamp::now().as_second();
    ShopConfig { test_clock_offset_seconds: offset, ..ShopConfig::default() }
}

fn kinds(closures: &[Value]) -> Vec<String> {
    closures.iter().map(|c| format!("{} {}", c["kind"].as_str().unwrap(), c["period"].as_str().unwrap())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn days_months_and_years_close_themselves_across_midnight_a_month_end_and_a_year_end() {
    let shop = TestShop::with_catalog().await;
    // The last evening of January 2027: two sales (2.40 € and a return of 1.20 €).
    let january = common::serve(shop.data_dir(), clock_at("2027-01-31 23:50")).await;
    let sold = january.sell(sale(2)).await;
    assert_eq!(sold["business_date"], "2027-01-31");
    january
        .sell(json!({"register":"R1","cashier":"C1","return_of":sold["number"],"lines":[{"sku":"A1","qty":-1}],
        "payments":[{"method":"cash","amount":-120}]}))
        .await;
    assert!(january.closures().await.is_empty(), "nothing closes on the day itself");

    // The shop restarts after midnight: at start, without a sale, the day and January close.
    let february = common::serve(shop.data_dir(), clock_at("2027-02-01 00:10")).await;
    let mut closures = Vec::new();
    for _ in 0..100 {
        closures = february.closures().await;
        if closures.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(kinds(&closures), ["day 2027-01-31", "month 2027-01"]);
    let (day, month) = (&closures[0], &closures[1]);
    assert_eq!((day["total"].as_i64(), day["ticket_count"].as_i64()), (Some(120), Some(2)));
    // Perpetual totals: 2.40 - 1.20 = 1.20 €; absolute 2.40 + 1.20 = 3.60 €.
    assert_eq!((day["grand_total"].as_i64(), day["grand_absolute_total"].as_i64()), (Some(120), Some(360)));
    assert_eq!((month["grand_total"].as_i64(), month["grand_absolute_total"].as_i64()), (Some(120), Some(360)));
    let (_, journal) = february.get("/api/v1/journal?code=closure").await;
    let automatic: Vec<&str> =
        journal["items"].as_array().unwrap().iter().map(|e| e["details"].as_str().unwrap()).collect();
    assert_eq!(automatic, ["automatic day 2027-01-31 total 1.20", "automatic month 2027-01 total 1.20"]);
    // January closed, its archive is written by itself into the data directory, and verifies.
    let archives = shop.data_dir().join("archives");
    let mut january_archive = None;
    for _ in 0..100 {
        january_archive = std::fs::read_dir(&archives)
            .ok()
            .and_then(|d| d.flatten().map(|e| e.path()).find(|p| p.to_string_lossy().ends_with("-2027-01.jsonl")));
        if january_archive.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let january_archive = january_archive.expect("the automatic monthly archive of January");
    let summary = comptoir_shop::archive::verify(&std::fs::read(&january_archive).unwrap(), None).unwrap();
    assert_eq!((summary.manifest.period.as_str(), summary.manifest.counts.tickets), ("2027-01", 2));

    // A sale in February, then the first sale of 2028 closes February's last day, February
    // and the year 2027, each perpetual total carried on.
    february.sell(sale(1)).await;
    let next_year = common::serve(shop.data_dir(), clock_at("2028-01-03 09:00")).await;
    next_year.sell(sale(3)).await;
    let closures = next_year.closures().await;
    assert_eq!(kinds(&closures), ["day 2027-01-31", "month 2027-01", "day 2027-02-01", "month 2027-02", "year 2027"]);
    let year = &closures[4];
    // 2027: 1.20 € (January) + 1.20 € (February); absolute 3.60 + 1.20 = 4.80 €.
    assert_eq!((year["total"].as_i64(), year["absolute_total"].as_i64()), (Some(240), Some(480)));
    assert_eq!(closures[3]["grand_total"], 240, "months' perpetual total: {}", closures[3]);
    assert_eq!(closures[3]["grand_absolute_total"], 480);
    // The sale of 2028 is in no closure yet; every chain verifies.
    assert_eq!(verify(&next_year).await["intact"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_and_price_changes_exports_and_schema_updates_are_journaled() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let (s, u) =
        api.post("/api/v1/users", json!({"code": "C7", "name": "Chloé", "role": "cashier", "pin": "7777"})).await;
    assert_eq!(s, 201, "{u}");
    let (s, u) = api.patch("/api/v1/users/C7", json!({"pin": "7878", "role": "manager"})).await;
    assert_eq!(s, 200, "{u}");
    let (s, a) = api.patch("/api/v1/articles/A1", json!({"price": 135})).await;
    assert_eq!(s, 200, "{a}");
    // A change that leaves the price as it was is no price change.
    let (s, _) = api.patch("/api/v1/articles/A1", json!({"name": "Baguette tradition"})).await;
    assert_eq!(s, 200);
    let (s, _, _) = api.raw(reqwest::Method::GET, "/api/v1/catalog/export", None, vec![]).await;
    assert_eq!(s, 200);

    let details = |code: &'static str| async move {
        let (_, j) = api.get(&format!("/api/v1/journal?code={code}")).await;
        j["items"].as_array().unwrap().iter().map(|e| e["details"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let users = details("user_changed").await;
    assert!(users.iter().any(|d| d.contains("user C7 created")), "{users:?}");
    assert!(
        users.iter().any(|d| d.contains("user C7") && d.contains("manager") && d.contains("PIN changed")),
        "{users:?}"
    );
    let prices = details("price_changed").await;
    assert_eq!(prices.len(), 1, "{prices:?}");
    assert!(prices[0].starts_with("A1: 1.20") && prices[0].ends_with("1.35"), "{prices:?}");
    let exports = details("export").await;
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert!(exports[0].starts_with("catalog CSV"), "{exports:?}");

    // A database of an older schema, opened by this program: the update is journaled once.
    let db = database(&shop);
    db.pragma_update(None, "user_version", comptoir_shop::store::SCHEMA_VERSION - 1).unwrap();
    drop(db);
    let again = common::serve(shop.data_dir(), comptoir_shop::ShopConfig::default()).await;
    let (_, j) = again.get("/api/v1/journal?code=schema_updated").await;
    let items = j["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{j}");
    assert!(items[0]["details"].as_str().unwrap().contains("→"), "{j}");
    let (_, report) = again.post("/api/v1/verify", json!({})).await;
    assert_eq!(broken(&report), None, "the journal still verifies: {report}");
}
