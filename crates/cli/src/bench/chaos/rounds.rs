//! One round: start the chain behind the link, sell while the plan's faults fire, stop the
//! faults, post unanswered sales again, wait for HQ, reconcile.

use super::faults::{Fault, Plan};
use super::link::{Fired, Link, Trigger};
use super::procs::{Chain, Proc, ProcSpec};
use super::reconcile::{Client, LEDGERS, Ledger};
use super::template::{copy_dir, dir_size, fill, mount_tmpfs, unmount};
use super::{ARTICLES, REGISTERS, SHOP_TIMEOUT_SECONDS, SHOPS};
use crate::bench::chain::{ADMIN, PASSWORD};
use crate::bench::harness;
use comptoir_shop::ShopError;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, mpsc};
use uuid::Uuid;

#[derive(Debug, Default)]
pub struct RoundResult {
    pub seed: u64,
    pub faults: Vec<Fault>,
    /// Link connections that met each fault, kills that fired.
    pub seen: BTreeMap<Fault, u64>,
    pub tickets: usize,
    pub lost: usize,
    pub duplicated: usize,
    /// Sales the full disk refused with 507 `disk_full`.
    pub refused_disk_full: usize,
    /// Anything else wrong (extra or differing entries, an unexpected answer, no convergence).
    pub failures: Vec<String>,
    pub seconds: f64,
}

impl RoundResult {
    pub fn ok(&self) -> bool {
        self.lost == 0 && self.duplicated == 0 && self.failures.is_empty()
    }
}

pub(super) fn sale_body(id: Uuid, k: usize) -> serde_json::Value {
    let sku = |m: usize| format!("A{:05}", 1 + (k * m) % ARTICLES);
    // Sale k is made at shop k % SHOPS; every other one names that shop's customer.
    let customer = (k / SHOPS.len()).is_multiple_of(2).then(|| format!("{}-000001", SHOPS[k % SHOPS.len()]));
    serde_json::json!({
        "customer": customer,
        "id": id,
        "register": REGISTERS[(k / SHOPS.len()) % REGISTERS.len()],
        "cashier": "C1",
        "lines": [{"sku": sku(7), "qty": 1 + k % 3}, {"sku": sku(13), "qty": 1}],
        "payments": [{"method": "cash", "amount": 100_000}],
    })
}

pub(super) enum Posted {
    Acknowledged,
    DiskFull,
    /// No answer: the shop is being killed or restarted.
    NoAnswer,
}

pub(super) async fn post_sale(c: &Client, base: &str, body: &serde_json::Value) -> Result<Posted, String> {
    let r = match c.http.post(format!("{base}/tickets")).basic_auth(ADMIN, Some(PASSWORD)).json(body).send().await {
        Ok(r) => r,
        Err(_) => return Ok(Posted::NoAnswer),
    };
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    match status {
        200 | 201 => Ok(Posted::Acknowledged),
        507 if text.contains("\"disk_full\"") => Ok(Posted::DiskFull),
        _ => Err(format!("sale {} answered {status}: {text}", body["id"])),
    }
}

pub async fn round(template: &Path, root: &Path, seed: u64, sales: usize) -> Result<RoundResult, ShopError> {
    let started = Instant::now();
    let plan = Plan::draw(seed, sales);
    if std::env::var_os("COMPTOIR_CHAOS_DEBUG").is_some() {
        eprintln!("plan of seed {seed}: {plan:?}");
    }
    let mut result = RoundResult { seed, faults: plan.faults(), ..RoundResult::default() };
    let dir = root.join(format!("round-{seed}"));
    let _ = std::fs::remove_dir_all(&dir);
    let full_dir = plan.disk_full.map(|(s, _, _)| dir.join(SHOPS[s]));
    if let Some(d) = &full_dir {
        let size = dir_size(&template.join(d.file_name().unwrap_or_default()));
        mount_tmpfs(d, size + 3 * 1024 * 1024)?;
    }
    let outcome = run_round(template, &dir, &plan, &mut result).await;
    if outcome.is_err() || !result.ok() {
        // What the processes said on standard error (a panic, a refusal to start).
        for name in ["hq"].into_iter().chain(SHOPS) {
            let text = std::fs::read_to_string(dir.join(format!("{name}.stderr"))).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            for line in tail.into_iter().rev() {
                eprintln!("  {name} stderr: {line}");
            }
        }
    }
    if let Some(d) = &full_dir {
        unmount(d);
    }
    let _ = std::fs::remove_dir_all(&dir);
    outcome?;
    result.seconds = started.elapsed().as_secs_f64();
    Ok(result)
}

pub(super) async fn run_round(
    template: &Path,
    dir: &Path,
    plan: &Plan,
    result: &mut RoundResult,
) -> Result<(), ShopError> {
    copy_dir(template, dir)?;
    let http =
        reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(|e| harness(e.to_string()))?;
    let c = Client { http };

    let hq_dir = dir.join("hq").display().to_string();
    let hq_spec = ProcSpec {
        args: ["hq", "serve", "--data-dir", &hq_dir, "--listen", "127.0.0.1:0"].map(String::from).to_vec(),
        env: Vec::new(),
        stderr: dir.join("hq.stderr"),
    };
    let hq = Proc::start(&hq_spec).await?;
    let (fired_tx, mut fired_rx) = mpsc::unbounded_channel::<Fired>();
    let link = Link::start(authority(&hq.base), result.seed, fired_tx).await?;
    let mut shops = Vec::new();
    let mut shop_specs = Vec::new();
    for (i, code) in SHOPS.iter().enumerate() {
        let d = dir.join(code);
        let db = rusqlite::Connection::open(d.join(comptoir_shop::store::DB_FILE))?;
        db.execute("UPDATE hq_link SET url = ?1", [link.origin(i)])?;
        drop(db);
        let d = d.display().to_string();
        let spec = ProcSpec {
            args: ["shop", "serve", "--data-dir", &d, "--listen", "127.0.0.1:0"].map(String::from).to_vec(),
            env: [
                ("COMPTOIR_SHOP_SYNC__BACKOFF_INITIAL_SECONDS", "1".to_string()),
                ("COMPTOIR_SHOP_SYNC__BACKOFF_MAX_SECONDS", "1".to_string()),
                ("COMPTOIR_SHOP_SYNC__REQUEST_TIMEOUT_SECONDS", SHOP_TIMEOUT_SECONDS.to_string()),
                ("COMPTOIR_SHOP_SYNC__PING_TIMEOUT_SECONDS", "1".to_string()),
                ("COMPTOIR_SHOP_SYNC__PULL_WAIT_SECONDS", "1".to_string()),
                ("COMPTOIR_SHOP_SYNC__PUSH_INTERVAL_SECONDS", "1".to_string()),
                ("COMPTOIR_SHOP_SYNC__BATCH_SIZE", "4".to_string()),
                ("COMPTOIR_SHOP_TEST_CLOCK_OFFSET_SECONDS", plan.skew[i].to_string()),
            ]
            .map(|(k, v)| (k.to_string(), v))
            .to_vec(),
            stderr: dir.join(format!("{code}.stderr")),
        };
        shops.push(Proc::start(&spec).await?);
        shop_specs.push(spec);
    }
    let chain = Arc::new(Mutex::new(Chain { hq, hq_spec, shops, shop_specs }));
    for skew in plan.skew.iter().filter(|s| **s != 0) {
        let _ = skew;
        link.saw(Fault::ClockSkew);
    }

    // The killer: a fired trigger kills its victim, answers the link, starts it again.
    let killer = {
        let (chain, link) = (chain.clone(), link.clone());
        let mut rng = StdRng::seed_from_u64(result.seed ^ 0x4B11);
        tokio::spawn(async move {
            while let Some((trigger, victim, done)) = fired_rx.recv().await {
                let wait = Duration::from_millis(rng.random_range(0..25));
                tokio::time::sleep(wait).await;
                let mut ch = chain.lock().await;
                match trigger {
                    Trigger::ShopPush | Trigger::ShopSnapshot => ch.shops[victim].kill().await,
                    Trigger::HqPush | Trigger::HqSnapshot => ch.hq.kill().await,
                }
                link.saw(match trigger {
                    Trigger::ShopPush => Fault::KillShopMidPush,
                    Trigger::HqPush => Fault::KillHqMidPush,
                    Trigger::ShopSnapshot => Fault::KillShopMidSnapshot,
                    Trigger::HqSnapshot => Fault::KillHqMidSnapshot,
                });
                let _ = done.send(());
                tokio::time::sleep(Duration::from_millis(rng.random_range(50..300))).await;
                let restarted = match trigger {
                    Trigger::ShopPush | Trigger::ShopSnapshot => {
                        let spec = &ch.shop_specs[victim];
                        Proc::start(spec).await.map(|p| ch.shops[victim] = p)
                    }
                    Trigger::HqPush | Trigger::HqSnapshot => {
                        let spec = &ch.hq_spec;
                        match Proc::start(spec).await {
                            Ok(p) => {
                                link.with(|s| s.upstream = authority(&p.base));
                                ch.hq = p;
                                Ok(())
                            }
                            Err(e) => Err(e),
                        }
                    }
                };
                if let Err(e) = restarted {
                    eprintln!("chaos: could not start again after {trigger:?}: {e}");
                }
                link.pending.fetch_sub(1, Ordering::SeqCst);
            }
        })
    };

    // The register: sales in turn at each shop, faults switched at their sale numbers.
    let mut rng = StdRng::seed_from_u64(result.seed ^ 0x5A1E);
    let mut unanswered: Vec<(usize, serde_json::Value)> = Vec::new();
    let mut acknowledged: Vec<(usize, Uuid)> = Vec::new();
    let mut disk_full_now = false;
    let mut failures = Vec::new();
    for k in 0..plan.sales {
        if k == plan.link_from {
            link.with(|s| s.faults = plan.link.clone());
        }
        if k == plan.link_to {
            link.with(|s| s.faults.clear());
        }
        if let Some((s, from, to)) = plan.disk_full {
            let d = dir.join(SHOPS[s]);
            if k == from {
                fill(&d)?;
                disk_full_now = true;
                link.saw(Fault::DiskFull);
            }
            if k == to {
                std::fs::remove_file(d.join("filler"))?;
                disk_full_now = false;
            }
        }
        for (_, fault, shop) in plan.events.iter().filter(|e| e.0 == k) {
            let trigger = match fault {
                Fault::KillShopMidPush => Trigger::ShopPush,
                Fault::KillHqMidPush => Trigger::HqPush,
                Fault::KillShopMidSnapshot => Trigger::ShopSnapshot,
                Fault::KillHqMidSnapshot => Trigger::HqSnapshot,
                Fault::HqRestart => {
                    let mut ch = chain.lock().await;
                    ch.hq.stop().await;
                    let p = Proc::start(&ch.hq_spec).await?;
                    link.with(|s| s.upstream = authority(&p.base));
                    ch.hq = p;
                    link.saw(Fault::HqRestart);
                    continue;
                }
                _ => continue,
            };
            link.with(|s| s.armed.push((trigger, *shop)));
            if matches!(trigger, Trigger::ShopSnapshot | Trigger::HqSnapshot) {
                // A catalog re-sync job makes the shop take a snapshot now.
                // HQ may be starting again: try for a few seconds.
                let job = serde_json::json!({"kind": "resync_catalog", "shops": [SHOPS[*shop]]});
                for _ in 0..30 {
                    let hq_base = chain.lock().await.hq.base.clone();
                    let sent =
                        c.http.post(format!("{hq_base}/jobs")).basic_auth(ADMIN, Some(PASSWORD)).json(&job).send();
                    if sent.await.is_ok_and(|r| r.status().is_success()) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        let shop = k % SHOPS.len();
        let body = sale_body(Uuid::now_v7(), k);
        let base = chain.lock().await.shops[shop].base.clone();
        match post_sale(&c, &base, &body).await {
            Ok(Posted::Acknowledged) => acknowledged.push((shop, uuid_of(&body))),
            Ok(Posted::DiskFull) if disk_full_now && plan.disk_full.is_some_and(|(s, _, _)| s == shop) => {
                result.refused_disk_full += 1;
            }
            Ok(Posted::DiskFull) => failures.push(format!("sale {k} refused for a full disk at {}", SHOPS[shop])),
            Ok(Posted::NoAnswer) => unanswered.push((shop, body)),
            Err(e) => failures.push(e),
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(5..40))).await;
    }

    // Before healing, every fault of the plan is met (bounded): a link fault no connection
    // met yet stays on alone, an armed trigger waits (the shop may be in a back-off), and a
    // sale now and then makes the traffic they need.
    // 20 s: a shop killed and started again may sit in its back-off for several seconds first.
    let until = Instant::now() + Duration::from_secs(20);
    let mut nudge = Instant::now();
    let mut extra = SHOPS.len();
    loop {
        let seen = link.seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let unmet: Vec<Fault> = plan.link.iter().copied().filter(|f| !seen.contains_key(f)).collect();
        link.with(|s| s.faults.clone_from(&unmet));
        let armed = link.with(|s| s.armed.clone());
        let done = unmet.is_empty() && armed.is_empty() && link.pending.load(Ordering::SeqCst) <= 0;
        if done || Instant::now() > until {
            break;
        }
        let push_target = armed.iter().find(|(t, _)| matches!(t, Trigger::ShopPush | Trigger::HqPush)).map(|a| a.1);
        if (push_target.is_some() || !unmet.is_empty()) && nudge.elapsed() > Duration::from_millis(700) {
            nudge = Instant::now();
            let shop = push_target.unwrap_or(extra % SHOPS.len());
            let body = sale_body(Uuid::now_v7(), extra * SHOPS.len() + shop);
            extra += 1;
            let base = chain.lock().await.shops[shop].base.clone();
            match post_sale(&c, &base, &body).await {
                Ok(Posted::Acknowledged) => acknowledged.push((shop, uuid_of(&body))),
                Ok(_) => unanswered.push((shop, body)),
                Err(e) => failures.push(e),
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Heal: the link passes everything, space returns, the processes are up.
    link.with(|s| s.faults.clear());
    link.with(|s| s.armed.clear());
    if let Some((s, _, _)) = plan.disk_full {
        let _ = std::fs::remove_file(dir.join(SHOPS[s]).join("filler"));
    }
    // A trigger still armed never fired; one that fired is finished once the killer idles.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let _ = chain.lock().await;
    // The register posts again what got no answer, with the same id, and one more sale at
    // each shop (the full disk's shop sells again).
    let deadline = Instant::now() + Duration::from_secs(30);
    for (shop, body) in unanswered.into_iter().chain((0..SHOPS.len()).map(|s| (s, sale_body(Uuid::now_v7(), s)))) {
        loop {
            let base = chain.lock().await.shops[shop].base.clone();
            match post_sale(&c, &base, &body).await {
                Ok(Posted::Acknowledged) => {
                    acknowledged.push((shop, uuid_of(&body)));
                    break;
                }
                Ok(Posted::DiskFull) => {
                    failures.push(format!("{} still refuses sales once space returned", SHOPS[shop]))
                }
                Ok(Posted::NoAnswer) => {}
                Err(e) => failures.push(e),
            }
            if Instant::now() > deadline || !failures.is_empty() {
                failures.push(format!("sale {} never acknowledged", body["id"]));
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // HQ catches up: the same ticket ids on both sides (or the deadline).
    let converge_deadline = Instant::now() + Duration::from_secs(40);
    let mut converged = false;
    while Instant::now() < converge_deadline {
        let (shop_bases, hq_base) = {
            let ch = chain.lock().await;
            (ch.shops.iter().map(|p| p.base.clone()).collect::<Vec<_>>(), ch.hq.base.clone())
        };
        let mut all = true;
        for (i, base) in shop_bases.iter().enumerate() {
            let (Ok(a), Ok(b)) =
                (Ledger::Tickets.at_shop(&c, base).await, Ledger::Tickets.at_hq(&c, &hq_base, SHOPS[i]).await)
            else {
                all = false;
                break;
            };
            let mut ka: Vec<&String> = a.iter().map(|e| &e.0).collect();
            let mut kb: Vec<&String> = b.iter().map(|e| &e.0).collect();
            ka.sort();
            kb.sort();
            if ka != kb {
                all = false;
                break;
            }
            // A sale's stock movements and loyalty entries follow its ticket in the outbox:
            // wait for them too.
            for ledger in [Ledger::Stock, Ledger::Loyalty] {
                let (Ok(mut a), Ok(mut b)) =
                    (ledger.at_shop(&c, base).await, ledger.at_hq(&c, &hq_base, SHOPS[i]).await)
                else {
                    all = false;
                    break;
                };
                a.sort();
                b.sort();
                if a != b {
                    all = false;
                    break;
                }
            }
            if !all {
                break;
            }
        }
        if all {
            converged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if !converged {
        failures.push("HQ did not catch up with the shops within 40 s".into());
    }

    // Reconcile every ledger of every shop.
    let (shop_bases, hq_base) = {
        let ch = chain.lock().await;
        (ch.shops.iter().map(|p| p.base.clone()).collect::<Vec<_>>(), ch.hq.base.clone())
    };
    for (i, base) in shop_bases.iter().enumerate() {
        let shop_tickets = c.all(&format!("{base}/tickets")).await?;
        let ids: std::collections::HashSet<&str> = shop_tickets.iter().filter_map(|t| t["id"].as_str()).collect();
        for (_, id) in acknowledged.iter().filter(|(s, _)| *s == i) {
            if !ids.contains(id.to_string().as_str()) {
                result.lost += 1;
                failures.push(format!("{}: acknowledged sale {id} is not in the shop's database", SHOPS[i]));
            }
        }
        for ledger in LEDGERS {
            let m = ledger.compare(&ledger.at_shop(&c, base).await?, &ledger.at_hq(&c, &hq_base, SHOPS[i]).await?);
            if ledger.source_is_shop() {
                result.lost += m.lost;
                result.duplicated += m.duplicated;
            }
            if matches!(ledger, Ledger::Tickets) {
                result.tickets += shop_tickets.len();
            }
            if m.lost + m.duplicated + m.extra + m.differing > 0 {
                failures.extend(m.details.iter().take(10).map(|d| format!("{}: {d}", SHOPS[i])));
            }
        }
    }
    let shops_at_hq = c.get(&format!("{hq_base}/shops")).await?;
    for s in shops_at_hq.as_array().cloned().unwrap_or_default() {
        if s["chain_ok"] != serde_json::Value::Bool(true) {
            failures.push(format!("HQ reports a broken chain for {}", s["code"]));
        }
        if s["quarantined"].as_i64().unwrap_or(0) != 0 {
            failures.push(format!("HQ quarantined records of {}", s["code"]));
        }
    }

    killer.abort();
    let mut ch = chain.lock().await;
    for p in ch.shops.iter_mut() {
        p.kill().await;
    }
    ch.hq.kill().await;
    link.stop.store(true, Ordering::SeqCst);
    result.seen = link.seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    result.failures = failures;
    Ok(())
}

pub(super) fn uuid_of(body: &serde_json::Value) -> Uuid {
    body["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default()
}

/// `127.0.0.1:PORT` of `http://127.0.0.1:PORT/api/v1`.
pub(super) fn authority(base: &str) -> String {
    base.trim_start_matches("http://").split('/').next().unwrap_or_default().to_string()
}
