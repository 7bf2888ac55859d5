//! Scale-out: two `comptoir hq serve` processes on one PostgreSQL serve the same shops at
//! once, as behind a load balancer. A switching proxy sends each new connection to one HQ
//! process or the other and, every 700 ms, moves everyone: it cuts the open connections
//! (requests in flight included) and sends the next ones to the other process. Meanwhile
//! the shops sell and two writers change the catalog, one through each process.
//! At the end: HQ holds exactly the tickets the shops committed (no duplicate, none lost),
//! chains intact, and every shop's catalog is HQ's (no change missed by a feed cursor).

mod support;

use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy in front of two HQ processes that switches between them.
struct Switch {
    port: u16,
    /// Connections sent to each upstream.
    served: Arc<[AtomicU64; 2]>,
    stop: Arc<AtomicBool>,
    /// While set, shops stay on their process (enrolment is a one-time exchange).
    paused: Arc<AtomicBool>,
}

impl Switch {
    async fn start(upstreams: [String; 2], every: Duration) -> Switch {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let served: Arc<[AtomicU64; 2]> = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
        let stop = Arc::new(AtomicBool::new(false));
        let paused = Arc::new(AtomicBool::new(true));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let generation = Arc::new(generation);
        {
            let (generation, stop, paused) = (generation.clone(), stop.clone(), paused.clone());
            // Bounded: the test ends long before, and `stop` ends it earlier.
            tokio::spawn(async move {
                for _ in 0..2000 {
                    tokio::time::sleep(every).await;
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    if !paused.load(Ordering::SeqCst) {
                        generation.send_modify(|g| *g += 1);
                    }
                }
            });
        }
        let served2 = served.clone();
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { continue };
                let mut moved = generation.subscribe();
                let side = (*moved.borrow_and_update() % 2) as usize;
                served2[side].fetch_add(1, Ordering::SeqCst);
                let upstream = upstreams[side].clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else { return };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    tokio::select! {
                        _ = tokio::io::copy(&mut cr, &mut sw) => {}
                        _ = tokio::io::copy(&mut sr, &mut cw) => {}
                        _ = moved.changed() => {}
                    }
                    let _ = cw.shutdown().await;
                });
            }
        });
        Switch { port, served, stop, paused }
    }

    /// Starts moving shops from one process to the other.
    fn start_switching(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

async fn catalog(api: &Api, base: &str) -> HashMap<String, i64> {
    api.all(&format!("{base}/articles"))
        .await
        .into_iter()
        .map(|a| (a["sku"].as_str().unwrap().to_string(), a["price"].as_i64().unwrap()))
        .collect()
}

async fn patch_price(api: &Api, base: &str, sku: &str, price: i64) {
    let r = api
        .http
        .patch(format!("{base}/articles/{sku}"))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"price": price}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{:?}", r.text().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hq_processes_on_one_postgres_serve_the_same_shops() {
    let tmp = tempfile::tempdir().unwrap();
    let hq = Hq::start(tmp.path(), Backend::Postgres);
    let second = hq.serve("127.0.0.1:0", &[]);
    let bases = [hq.server.base.clone(), second.base.clone()];
    let api = Api::default();
    let (s, b) = api
        .post(
            &format!("{}/articles", bases[0]),
            json!({"sku": "A1", "name": "Baguette", "price": 120, "tax_rate_bp": 550}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let addr = |base: &str| base.trim_start_matches("http://").trim_end_matches("/api/v1").to_string();
    let switch = Switch::start([addr(&bases[0]), addr(&bases[1])], Duration::from_millis(700)).await;

    let codes = ["LYON1", "NICE1", "LILLE1"];
    let mut shops = Vec::new();
    for code in codes {
        let token = hq.add_shop(code);
        let dir = tmp.path().join(code);
        let out = enroll(&dir, &switch.origin(), &token);
        assert!(out.status.success(), "enroll {code}: {}{}", text(&out.stdout), text(&out.stderr));
        let shop = start_shop(&dir);
        for body in [json!({"code": "R1", "name": "Caisse 1"}), json!({"code": "R2", "name": "Caisse 2"})] {
            let (status, b) = api.post(&format!("{}/registers", shop.base), body).await;
            assert_eq!(status, 201, "{b}");
        }
        // An enrolled shop takes its users from HQ.
        chain_user(&api, &hq.server.base, &shop.base, code, "C1", "1234").await;
        shops.push(shop);
    }
    switch.start_switching();

    // Two catalog writers, one through each HQ process, while the shops sell.
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (api, base) = (api.clone(), bases[w].clone());
            tokio::spawn(async move {
                for i in 0..25 {
                    let (s, b) = api
                        .post(
                            &format!("{base}/articles"),
                            json!({"sku": format!("W{w}-{i:02}"), "name": format!("Writer {w} n°{i}"), "price": 100 + i, "tax_rate_bp": 2000}),
                        )
                        .await;
                    assert_eq!(s, 201, "{b}");
                    patch_price(&api, &base, "A1", 1000 * (w as i64 + 1) + i).await;
                    tokio::time::sleep(Duration::from_millis(40)).await;
                }
            })
        })
        .collect();
    let mut committed = 0;
    for i in 0..60 {
        for shop in &shops {
            for register in ["R1", "R2"] {
                let body = json!({
                    "register": register, "cashier": "C1",
                    "lines": [{"sku": "A1", "qty": 1 + i % 3}],
                    "payments": [{"method": "cash", "amount": 500_000}],
                });
                let (s, b) = api.post(&format!("{}/tickets", shop.base), body).await;
                assert_eq!(s, 201, "sale refused: {b}");
                committed += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for w in writers {
        w.await.unwrap();
    }
    // One last change through the second process: it must reach every shop too.
    patch_price(&api, &bases[1], "A1", 777).await;
    assert_eq!(committed, 360);

    // Every shop's own tickets, as its database holds them.
    let mut expected: HashMap<String, String> = HashMap::new();
    for shop in &shops {
        for t in api.all(&format!("{}/tickets", shop.base)).await {
            expected.insert(t["id"].as_str().unwrap().into(), t["hash"].as_str().unwrap().into());
        }
    }
    assert_eq!(expected.len(), 360);
    let hq_catalog = catalog(&api, &bases[0]).await;
    assert_eq!(hq_catalog.len(), 51);
    assert_eq!(hq_catalog["A1"], 777);
    assert_eq!(catalog(&api, &bases[1]).await, hq_catalog, "both HQ processes see one catalog");

    let base = bases[0].clone();
    // A liveness bound, generous for a loaded 2-core machine (it takes about 20 s alone).
    eventually(Duration::from_secs(150), "HQ holds every ticket", || {
        let (api, base) = (api.clone(), base.clone());
        async move { api.all(&format!("{base}/tickets")).await.len() >= 360 }
    })
    .await;
    for shop in &shops {
        eventually(Duration::from_secs(30), "every shop has HQ's catalog", || async {
            catalog(&api, &shop.base).await == hq_catalog
        })
        .await;
    }
    switch.stop.store(true, Ordering::SeqCst);

    let mut at_hq: HashMap<String, String> = HashMap::new();
    // Read through the second process: it sees what the first stored.
    for t in api.all(&format!("{}/tickets", bases[1])).await {
        let id = t["id"].as_str().unwrap().to_string();
        let previous = at_hq.insert(id.clone(), t["hash"].as_str().unwrap().into());
        assert!(previous.is_none(), "ticket {id} twice at HQ");
    }
    assert_eq!(at_hq, expected, "HQ holds exactly the tickets the shops committed");
    let (_, list) = api.get(&format!("{}/shops", bases[0])).await;
    for s in list.as_array().unwrap() {
        assert_eq!(s["chain_ok"], true, "chains verified at HQ: {s}");
        assert_eq!(s["quarantined"], 0, "{s}");
    }
    let (_, events) = api.get(&format!("{}/chain-events", bases[0])).await;
    assert_eq!(events.as_array().map(Vec::len), Some(0), "no gap, no break: {events}");
    let served: Vec<u64> = switch.served.iter().map(|n| n.load(Ordering::SeqCst)).collect();
    // Connections are long-lived (keep-alive, long-polls): each switch moves them over.
    assert!(served.iter().all(|n| *n >= 2), "both HQ processes served the shops: {served:?}");
    drop(second);
}
