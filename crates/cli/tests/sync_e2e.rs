//! End-to-end sync: a real HQ process, real shop processes, real HTTP on loopback, with a
//! misbehaving proxy between them and shops killed with SIGKILL in the middle of a push.
//! Every story runs twice: HQ on SQLite (`..._sqlite`) and on PostgreSQL (`..._postgres`).

mod support;

use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use support::proxy::{self, Proxy};
use support::*;

async fn hq_article(api: &Api, hq: &Hq, sku: &str, price: i64) {
    let (status, body) = api
        .post(
            &format!("{}/articles", hq.server.base),
            json!({"sku": sku, "name": format!("Article {sku}"), "price": price, "tax_rate_bp": 550}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn shop_price(api: &Api, shop: &Server, sku: &str) -> Option<i64> {
    let (status, body) = api.get(&format!("{}/articles/{sku}", shop.base)).await;
    (status == 200).then(|| body["price"].as_i64()).flatten()
}

/// Two local registers, and the cashier C1 made at HQ (an enrolled shop takes its users
/// from HQ).
async fn setup_registers(api: &Api, hq: &Hq, shop: &Server, code: &str) {
    local_registers(api, shop).await;
    chain_user(api, &hq.server.base, &shop.base, code, "C1", "1234").await;
}

async fn local_registers(api: &Api, shop: &Server) {
    for body in [json!({"code": "R1", "name": "Caisse 1"}), json!({"code": "R2", "name": "Caisse 2"})] {
        let (status, b) = api.post(&format!("{}/registers", shop.base), body).await;
        assert_eq!(status, 201, "{b}");
    }
}

async fn enrolled_shops_get_hq_catalog_changes_and_refuse_local_ones(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let hq = Hq::start(tmp.path(), backend);
    let api = Api::default();
    hq_article(&api, &hq, "A1", 120).await;

    let mut shops = Vec::new();
    for code in ["LYON1", "NICE1"] {
        let token = hq.add_shop(code);
        let dir = tmp.path().join(code);
        let out = enroll(&dir, &hq.origin(), &token);
        assert!(out.status.success(), "enroll {code}: {}{}", text(&out.stdout), text(&out.stderr));
        assert!(text(&out.stdout).contains(&format!("Shop {code} ({code}) enrolled")), "{}", text(&out.stdout));
        // The token works once.
        let again = enroll(&tmp.path().join(format!("{code}-again")), &hq.origin(), &token);
        assert_eq!(again.status.code(), Some(2), "a used token is refused");
        shops.push(start_shop(&dir));
    }
    for shop in &shops {
        assert_eq!(shop_price(&api, shop, "A1").await, Some(120), "the initial catalog came with enrolment");
    }

    // A price changed at HQ reaches every shop (long-poll): no sync command involved.
    let (status, body) = api
        .http
        .patch(format!("{}/articles/A1", hq.server.base))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"price": 135}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(status, 200, "{:?}", body.text().await);
    hq_article(&api, &hq, "B2", 990).await;
    for shop in &shops {
        eventually(Duration::from_secs(10), "HQ's change at the shop", || async {
            shop_price(&api, shop, "A1").await == Some(135) && shop_price(&api, shop, "B2").await == Some(990)
        })
        .await;
    }

    // The catalog of an enrolled shop is HQ's.
    let (status, body) = api
        .post(
            &format!("{}/articles", shops[0].base),
            json!({"sku": "L1", "name": "Local", "price": 1, "tax_rate_bp": 550}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["kind"], "catalog_owned_by_hq");

    // HQ sees both shops, in contact, chains intact.
    let (_, list) = api.get(&format!("{}/shops", hq.server.base)).await;
    let codes: HashSet<&str> = list.as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap()).collect();
    assert_eq!(codes, HashSet::from(["LYON1", "NICE1"]));
}

async fn every_ticket_reaches_hq_exactly_once_through_cuts_and_kills(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let hq = Hq::start(tmp.path(), backend);
    let api = Api::default();
    hq_article(&api, &hq, "A1", 120).await;
    hq_article(&api, &hq, "B2", 1290).await;
    let hq_addr = hq.origin().trim_start_matches("http://").to_string();
    let link = Proxy::start(hq_addr).await;

    let mut shops = Vec::new();
    for code in ["LYON1", "NICE1"] {
        let token = hq.add_shop(code);
        let dir = tmp.path().join(code);
        let out = enroll(&dir, &link.origin(), &token);
        assert!(out.status.success(), "enroll {code}: {}", text(&out.stderr));
        let shop = start_shop(&dir);
        setup_registers(&api, &hq, &shop, code).await;
        shops.push(shop);
    }

    link.set(proxy::CHAOS);
    // 2 shops x 2 registers x 250 tickets, a shop killed every 100 tickets.
    let mut committed = 0;
    for i in 0..250 {
        for shop in shops.iter_mut() {
            for register in ["R1", "R2"] {
                let body = json!({
                    "register": register, "cashier": "C1",
                    "lines": [{"sku": "A1", "qty": 1 + i % 3}, {"sku": "B2", "qty": 1}],
                    "payments": [{"method": "cash", "amount": 5000}],
                });
                match api
                    .http
                    .post(format!("{}/tickets", shop.base))
                    .basic_auth("admin", Some(PASSWORD))
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().as_u16() == 201 => committed += 1,
                    Ok(r) => panic!("sale refused: {}", r.text().await.unwrap_or_default()),
                    Err(e) => panic!("shop unreachable: {e}"),
                }
            }
        }
        if i % 50 == 25 {
            // SIGKILL in the middle of whatever the shop was pushing, then start again.
            let victim = &mut shops[(i / 50) % 2];
            victim.restart();
        }
    }
    assert_eq!(committed, 1000);
    link.set(proxy::PASS);

    // Every shop's own tickets, as its database holds them.
    let mut expected: HashMap<String, (String, i64, String)> = HashMap::new();
    for shop in &shops {
        for t in api.all(&format!("{}/tickets", shop.base)).await {
            expected.insert(
                t["id"].as_str().unwrap().into(),
                (
                    t["number"].as_str().unwrap().into(),
                    t["total"].as_i64().unwrap(),
                    t["hash"].as_str().unwrap().into(),
                ),
            );
        }
    }
    assert_eq!(expected.len(), 1000);

    let hq_base = hq.server.base.clone();
    eventually(Duration::from_secs(60), "HQ holds every ticket", || {
        let api = api.clone();
        let hq_base = hq_base.clone();
        async move {
            let mut n = 0;
            for code in ["LYON1", "NICE1"] {
                n += api.all(&format!("{hq_base}/tickets?shop={code}")).await.len();
            }
            n >= 1000
        }
    })
    .await;

    let mut at_hq: HashMap<String, (String, i64, String)> = HashMap::new();
    for code in ["LYON1", "NICE1"] {
        for t in api.all(&format!("{hq_base}/tickets?shop={code}")).await {
            let id = t["id"].as_str().unwrap().to_string();
            let previous = at_hq.insert(
                id.clone(),
                (
                    t["number"].as_str().unwrap().into(),
                    t["total"].as_i64().unwrap(),
                    t["hash"].as_str().unwrap().into(),
                ),
            );
            assert!(previous.is_none(), "ticket {id} twice at HQ");
        }
    }
    assert_eq!(at_hq, expected, "HQ holds exactly the tickets the shops committed");

    let (_, list) = api.get(&format!("{hq_base}/shops")).await;
    for s in list.as_array().unwrap() {
        assert_eq!(s["chain_ok"], true, "chains verified at HQ: {s}");
    }
    for shop in &shops {
        let (_, q) = api.get(&format!("{hq_base}/quarantine")).await;
        assert_eq!(q.as_array().map(|a| a.len()), Some(0), "nothing quarantined: {q}");
        let _ = shop;
    }
    assert!(link.cuts.load(std::sync::atomic::Ordering::SeqCst) > 0, "the proxy did cut connections");
}

async fn a_snapshot_cut_halfway_resumes_where_it_stopped(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let hq = Hq::start(tmp.path(), backend);
    let api = Api::default();
    let mut csv = String::from("sku,name,price,tax_rate\n");
    for i in 0..3000 {
        csv.push_str(&format!("S{i:05},Article numéro {i} avec un nom assez long pour peser,{}.50,5.5\n", i % 90));
    }
    let r = api
        .http
        .post(format!("{}/catalog/import", hq.server.base))
        .basic_auth("admin", Some(PASSWORD))
        .header("content-type", "text/csv")
        .body(csv)
        // 3,000 articles in one import: on a loaded 2-core machine it outlasts the usual 20 s.
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{:?}", r.text().await);

    let link = Proxy::start(hq.origin().trim_start_matches("http://").to_string()).await;
    let token = hq.add_shop("LYON1");
    let dir = tmp.path().join("LYON1");
    // Enrolment goes through, then the snapshot stream is cut at 150 kB.
    link.cut_next_snapshot_after(150_000);
    let out = enroll(&dir, &link.origin(), &token);
    assert_eq!(out.status.code(), Some(2), "{}{}", text(&out.stdout), text(&out.stderr));
    let db = rusqlite::Connection::open(dir.join("shop.sqlite")).unwrap();
    let applied: i64 = db.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0)).unwrap();
    assert!(text(&out.stderr).contains("resumes"), "{}", text(&out.stderr));
    let after: Option<String> = db.query_row("SELECT snapshot_after FROM sync_state", [], |r| r.get(0)).unwrap();
    assert!(applied > 0 && applied < 3000, "part of the catalog arrived before the cut: {applied}");
    assert!(after.is_some(), "the point to resume from is kept");

    let out = comptoir(&["shop", "sync", "--data-dir", dir.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let applied: i64 = db.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0)).unwrap();
    assert_eq!(applied, 3000);
    let resumed = text(&out.stdout);
    let n: u64 = resumed
        .split("a snapshot of ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(n > 0 && n < 3000 + 10, "the second pass resumed instead of starting over: {resumed}");
}

async fn a_revoked_shop_is_refused_and_a_quarantined_record_blocks_nothing(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let hq = Hq::start(tmp.path(), backend);
    let api = Api::default();
    hq_article(&api, &hq, "A1", 120).await;
    let token = hq.add_shop("LYON1");
    // Before enrolment: the user comes with the first snapshot (this shop syncs by hand).
    hq_user(&api, &hq.server.base, "LYON1", "C1", "1234").await;
    let dir = tmp.path().join("LYON1");
    assert!(enroll(&dir, &hq.origin(), &token).status.success());
    let d = dir.to_str().unwrap().to_string();
    let env: Vec<(&str, &str)> = vec![("COMPTOIR_SHOP_SYNC__AUTO", "false")];
    let shop = Server::start(&["shop", "serve", "--data-dir", &d, "--listen", "127.0.0.1:0"], &env);
    local_registers(&api, &shop).await;
    for _ in 0..3 {
        let (s, b) = api.post(&format!("{}/tickets", shop.base), json!({"register": "R1", "cashier": "C1", "lines": [{"sku": "A1", "qty": 1}], "payments": [{"method": "card", "amount": 120}]})).await;
        assert_eq!(s, 201, "{b}");
    }
    drop(shop);

    // Someone alters the second ticket on its way out: HQ's hash check catches it.
    let db = rusqlite::Connection::open(dir.join("shop.sqlite")).unwrap();
    let body: String = db
        .query_row("SELECT body FROM outbox WHERE kind = 'ticket' ORDER BY seq LIMIT 1 OFFSET 1", [], |r| r.get(0))
        .unwrap();
    let altered = body.replacen("\"total\":120", "\"total\":12", 1);
    assert_ne!(altered, body);
    db.execute("UPDATE outbox SET body = ? WHERE kind = 'ticket' AND seq = (SELECT seq FROM outbox WHERE kind = 'ticket' ORDER BY seq LIMIT 1 OFFSET 1)", [altered]).unwrap();
    drop(db);

    let out = comptoir(&["shop", "sync", "--data-dir", &d], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The records are the six of the sales (tickets, stock movements) and the journal's
    // entries (enrolment, server start and stop), which HQ keeps too.
    assert!(text(&out.stdout).contains("accepted, 0 already at HQ, 1 quarantined"), "{}", text(&out.stdout));
    // The sync incident is in the shop's technical journal, with HQ's reason.
    let incident: String = rusqlite::Connection::open(dir.join("shop.sqlite"))
        .unwrap()
        .query_row("SELECT details FROM journal WHERE code = 'quarantine'", [], |r| r.get(0))
        .unwrap();
    assert!(incident.starts_with("ticket HQ quarantined") && incident.contains("altered"), "{incident}");
    let (_, q) = api.get(&format!("{}/quarantine", hq.server.base)).await;
    assert_eq!(q.as_array().unwrap().len(), 1, "{q}");
    let tickets = api.all(&format!("{}/tickets?shop=LYON1", hq.server.base)).await;
    let numbers: Vec<&str> = tickets.iter().map(|t| t["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, vec!["LYON1-R1-000001", "LYON1-R1-000003"], "the record after the bad one went through");

    let status = comptoir(&["shop", "status", "--data-dir", &d, "--json"], None);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["unsent"], 0);
    assert_eq!(status["enrolled"], true);

    let out = hq.cmd(&["shop", "revoke", "LYON1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = comptoir(&["shop", "sync", "--data-dir", &d], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("401"), "{}", text(&out.stderr));
    let out = comptoir(&["shop", "check", "--data-dir", &d], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("FAIL hq_reachable"), "{}", text(&out.stdout));
}

async fn a_shop_behind_the_retained_feed_takes_a_snapshot_and_jobs_run_once(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let mut hq = Hq::start(tmp.path(), backend);
    let api = Api::default();
    hq_article(&api, &hq, "A1", 120).await;
    let token = hq.add_shop("LYON1");
    hq_user(&api, &hq.server.base, "LYON1", "C1", "1234").await;
    let dir = tmp.path().join("LYON1");
    assert!(enroll(&dir, &hq.origin(), &token).status.success());
    let d = dir.to_str().unwrap().to_string();

    // While the shop is away, HQ changes its catalog and forgets its feed (retention 0 days).
    hq_article(&api, &hq, "B2", 990).await;
    hq.server.kill();
    hq.server = hq.serve(hq.origin().trim_start_matches("http://"), &[("COMPTOIR_HQ_FEED_RETENTION_DAYS", "0")]);
    let out = comptoir(&["shop", "sync", "--data-dir", &d], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("and a snapshot of"), "the shop took a new snapshot: {}", text(&out.stdout));
    let db = rusqlite::Connection::open(dir.join("shop.sqlite")).unwrap();
    let price: i64 = db.query_row("SELECT price FROM articles WHERE sku = 'B2'", [], |r| r.get(0)).unwrap();
    assert_eq!(price, 990);

    // A job for the shop: resend its sales; it runs once and HQ sees it done.
    let shop = Server::start(
        &["shop", "serve", "--data-dir", &d, "--listen", "127.0.0.1:0"],
        &[("COMPTOIR_SHOP_SYNC__AUTO", "false")],
    );
    local_registers(&api, &shop).await;
    let (s, b) = api.post(&format!("{}/tickets", shop.base), json!({"register": "R1", "cashier": "C1", "lines": [{"sku": "B2", "qty": 1}], "payments": [{"method": "cash", "amount": 1000}]})).await;
    assert_eq!(s, 201, "{b}");
    drop(shop);
    let out = comptoir(&["shop", "sync", "--data-dir", &d], None);
    // The ticket and its stock movement, and the journal's entries of the server's run.
    let up = text(&out.stdout);
    let sent: Vec<&str> = up.split_whitespace().collect();
    assert!(sent.len() > 4 && sent[1] == sent[4] && up.contains("0 quarantined"), "all accepted: {up}");
    let (s, job) = api
        .post(
            &format!("{}/jobs", hq.server.base),
            json!({"kind": "resend_sales", "shops": ["LYON1"], "since": "2000-01-01"}),
        )
        .await;
    assert_eq!(s, 201, "{job}");
    let out = comptoir(&["shop", "sync", "--data-dir", &d], None);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Jobs: 1 run and reported"), "{stdout}");
    let out = comptoir(&["shop", "sync", "--data-dir", &d], None);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("accepted, 1 already at HQ, 0 quarantined"),
        "the resent ticket is a duplicate (the job's journal entry is new): {stdout}"
    );
    assert!(stdout.contains("Jobs: 0 run"), "a job runs once: {stdout}");
    let (_, jobs) = api.get(&format!("{}/jobs", hq.server.base)).await;
    let text_jobs = jobs.to_string();
    assert!(text_jobs.contains("\"done\""), "HQ sees the job done: {text_jobs}");
    assert_eq!(api.all(&format!("{}/tickets?shop=LYON1", hq.server.base)).await.len(), 1, "still one ticket at HQ");
}

/// `comptoir hq migrate`: a SQLite HQ with a shop that sells moves to PostgreSQL; the shop
/// keeps syncing with the new HQ (same address) without enrolling again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_hq_moves_to_postgres_and_its_shops_keep_syncing() {
    let pg = comptoir_hq_postgres::testing::TestPostgres::start();
    let tmp = tempfile::tempdir().unwrap();
    let mut hq = Hq::start(tmp.path(), Backend::Sqlite);
    let api = Api::default();
    hq_article(&api, &hq, "A1", 120).await;
    let token = hq.add_shop("LYON1");
    hq.add_shop("NICE1");
    let dir = tmp.path().join("LYON1");
    assert!(enroll(&dir, &hq.origin(), &token).status.success());
    let shop = start_shop(&dir);
    setup_registers(&api, &hq, &shop, "LYON1").await;
    let sell = |n: usize| {
        let (api, base) = (api.clone(), shop.base.clone());
        async move {
            for _ in 0..n {
                let (s, b) = api.post(&format!("{base}/tickets"), json!({"register": "R1", "cashier": "C1", "lines": [{"sku": "A1", "qty": 1}], "payments": [{"method": "card", "amount": 120}]})).await;
                assert!(s == 201, "{b}");
            }
        }
    };
    sell(5).await;
    let hq_base = hq.server.base.clone();
    eventually(Duration::from_secs(20), "5 tickets at the SQLite HQ", || async {
        api.all(&format!("{hq_base}/tickets?shop=LYON1")).await.len() == 5
    })
    .await;
    let (s, job) = api.post(&format!("{hq_base}/jobs"), json!({"kind": "send_stock", "shops": ["NICE1"]})).await;
    assert_eq!(s, 201, "{job}");
    let out = hq.cmd(&["token", "create", "--name", "reporting"]);
    let api_token = last_line(&out);

    // Stop, copy, check.
    hq.server.kill();
    let url = pg.database();
    let d = dir_arg(&hq.dir);
    let out = comptoir(&["hq", "migrate", "--data-dir", &d, "--to", &url], None);
    assert!(out.status.success(), "hq migrate: {}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("checked"), "{}", text(&out.stdout));
    let again = comptoir(&["hq", "migrate", "--data-dir", &d, "--to", &url], None);
    assert_eq!(again.status.code(), Some(2), "never over an existing HQ");
    assert!(text(&again.stderr).contains("already_initialised"), "{}", text(&again.stderr));

    // The PostgreSQL HQ at the same address: same identity, same admin, same API token.
    hq.server = Server::start(
        &[
            "hq",
            "serve",
            "--data-dir",
            &d,
            "--database-url",
            &url,
            "--listen",
            hq.origin().trim_start_matches("http://"),
        ],
        &[],
    );
    let r = api.http.get(format!("{hq_base}/jobs")).bearer_auth(&api_token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "the API token came along");
    assert!(r.text().await.unwrap().contains("NICE1"), "the job came along");
    assert_eq!(api.all(&format!("{hq_base}/tickets?shop=LYON1")).await.len(), 5);
    // The shop goes on, with its credential and its feed cursor.
    sell(3).await;
    let (status, _) = api
        .http
        .patch(format!("{hq_base}/articles/A1"))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"price": 150}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 200);
    eventually(Duration::from_secs(30), "new sales reach the PostgreSQL HQ, its change reaches the shop", || async {
        api.all(&format!("{hq_base}/tickets?shop=LYON1")).await.len() == 8
            && shop_price(&api, &shop, "A1").await == Some(150)
    })
    .await;
    let (_, list) = api.get(&format!("{hq_base}/shops")).await;
    let lyon = list.as_array().unwrap().iter().find(|s| s["code"] == "LYON1").unwrap().clone();
    assert_eq!(lyon["chain_ok"], true, "the chain continues across the move: {lyon}");
    let numbers: Vec<String> = api
        .all(&format!("{hq_base}/tickets?shop=LYON1"))
        .await
        .iter()
        .map(|t| t["number"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(numbers, (1..=8).map(|i| format!("LYON1-R1-{i:06}")).collect::<Vec<_>>(), "arrival order kept");
    drop(shop);
    drop(hq);
}

/// One `#[tokio::test]` per backend for each story above.
macro_rules! on_both_backends {
    ($($story:ident => $sqlite:ident, $postgres:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $story(Backend::Sqlite).await
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            $story(Backend::Postgres).await
        }
    )*};
}

on_both_backends! {
    enrolled_shops_get_hq_catalog_changes_and_refuse_local_ones => enrolled_shops_get_hq_catalog_changes_and_refuse_local_ones_sqlite, enrolled_shops_get_hq_catalog_changes_and_refuse_local_ones_postgres;
    every_ticket_reaches_hq_exactly_once_through_cuts_and_kills => every_ticket_reaches_hq_exactly_once_through_cuts_and_kills_sqlite, every_ticket_reaches_hq_exactly_once_through_cuts_and_kills_postgres;
    a_snapshot_cut_halfway_resumes_where_it_stopped => a_snapshot_cut_halfway_resumes_where_it_stopped_sqlite, a_snapshot_cut_halfway_resumes_where_it_stopped_postgres;
    a_revoked_shop_is_refused_and_a_quarantined_record_blocks_nothing => a_revoked_shop_is_refused_and_a_quarantined_record_blocks_nothing_sqlite, a_revoked_shop_is_refused_and_a_quarantined_record_blocks_nothing_postgres;
    a_shop_behind_the_retained_feed_takes_a_snapshot_and_jobs_run_once => a_shop_behind_the_retained_feed_takes_a_snapshot_and_jobs_run_once_sqlite, a_shop_behind_the_retained_feed_takes_a_snapshot_and_jobs_run_once_postgres;
}
