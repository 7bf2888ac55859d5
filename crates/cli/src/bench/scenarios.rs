//! The chain scenarios. Each builds its chain (not measured), then measures one thing.

use super::chain::{self, HqProcess, SimShop, progress, sell};
use super::{Backend, Figures, harness, percentile_ms, tempdir};
use crate::fixtures::catalog_csv;
use comptoir_hq_postgres::testing::TestPostgres;
use comptoir_protocol::Record;
use comptoir_shop::config::SyncConfig;
use comptoir_shop::sync::outbox;
use comptoir_shop::{Shop, ShopConfig, ShopError};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const ARTICLES: usize = 200;

fn bench_config() -> ShopConfig {
    ShopConfig {
        sync: SyncConfig { backoff_initial_seconds: 1, backoff_max_seconds: 2, ..SyncConfig::default() },
        ..ShopConfig::default()
    }
}

async fn chain_with_shops(root: &Path, shops: usize, articles: usize) -> Result<(HqProcess, Vec<SimShop>), ShopError> {
    chain_on(root, shops, articles, None).await
}

async fn chain_on(
    root: &Path,
    shops: usize,
    articles: usize,
    database_url: Option<&str>,
) -> Result<(HqProcess, Vec<SimShop>), ShopError> {
    let hq = HqProcess::start(root, database_url).await?;
    hq.import_catalog(catalog_csv(articles)).await?;
    let bar = progress(shops as u64, "shops enrolled");
    let sims = chain::shops(&hq, root, shops, &bench_config(), &bar).await?;
    bar.finish_and_clear();
    Ok((hq, sims))
}

/// Total tickets HQ holds, from its sales report.
async fn tickets_at_hq(hq: &HqProcess) -> Result<u64, ShopError> {
    let r = hq
        .http
        .get(hq.api("reports/sales?from=2000-01-01&to=2999-12-31"))
        .basic_auth(chain::ADMIN, Some(chain::PASSWORD))
        .send()
        .await
        .map_err(|e| harness(e.to_string()))?;
    let body: serde_json::Value = r.json().await.map_err(|e| harness(e.to_string()))?;
    Ok(body["items"].as_array().map(|a| a.iter().map(|i| i["tickets"].as_u64().unwrap_or(0)).sum()).unwrap_or(0))
}

/// Pushes every shop's outbox at once (tickets and their stock movements); returns the
/// seconds until HQ acknowledged all.
async fn push_everything(sims: &[SimShop], total: u64) -> Result<f64, ShopError> {
    let bar = progress(total, "tickets at HQ");
    let sent = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for s in sims {
        let (agent, sent, bar) = (s.agent.clone(), sent.clone(), bar.clone());
        tasks.spawn(async move {
            loop {
                let r = agent.push_batch().await?;
                if r.sent == 0 {
                    return Ok::<_, ShopError>(());
                }
                sent.fetch_add(r.sent as u64, Ordering::Relaxed);
                bar.inc(r.sent as u64);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| harness(e.to_string()))??;
    }
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    // Records, not tickets: each sale line also sends its stock movement (the callers count
    // the tickets HQ holds).
    if sent.load(Ordering::Relaxed) < total {
        return Err(harness(format!("{} records acknowledged for {total} tickets", sent.load(Ordering::Relaxed))));
    }
    Ok(seconds)
}

/// The same rows HQ stores for these tickets, inserted straight into a fresh HQ database of
/// the same backend with one prepared statement, 10,000 rows a transaction: the ceiling.
fn direct_insert_sqlite(root: &Path, rows: &[(String, Record)]) -> Result<f64, ShopError> {
    let dir = root.join("direct");
    let exe = std::env::current_exe()?;
    let mut init = std::process::Command::new(exe)
        .args([
            "hq",
            "init",
            "--data-dir",
            &dir.display().to_string(),
            "--admin-user",
            "admin",
            "--admin-password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()?;
    std::io::Write::write_all(&mut init.stdin.take().expect("piped"), b"bench-password\n")?;
    init.wait()?;
    let path = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "sqlite"))
        .ok_or_else(|| harness("no HQ database file"))?;
    let mut db = rusqlite::Connection::open(path)?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "FULL")?;
    db.pragma_update(None, "foreign_keys", "ON")?;
    let now = comptoir_shop::store::now_text();
    let shops: std::collections::BTreeSet<&str> = rows.iter().map(|(s, _)| s.as_str()).collect();
    for s in shops {
        db.execute("INSERT INTO shops (code, name, postal_code, created_at) VALUES (?1, ?1, '75001', ?2)", [s, &now])?;
    }
    let start = Instant::now();
    for chunk in rows.chunks(10_000) {
        let tx = db.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO tickets (id, shop, register, sequence, number, business_date, created_at, total, hash,
                 prev_hash, body, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )?;
            for (shop, record) in chunk {
                let Some((t, body)) = ticket_row(record) else { continue };
                insert.execute(rusqlite::params![
                    t.id.to_string(),
                    shop,
                    t.register,
                    t.sequence,
                    t.number,
                    t.business_date,
                    t.created_at,
                    t.total.cents(),
                    t.hash,
                    t.prev_hash,
                    body,
                    now
                ])?;
            }
        }
        tx.commit()?;
    }
    Ok(start.elapsed().as_secs_f64())
}

/// A pushed ticket and the JSON body HQ stores for it (other records are skipped).
fn ticket_row(record: &Record) -> Option<(&comptoir_core::ticket::Ticket, String)> {
    let Record::Ticket(t) = record else { return None };
    Some((t, serde_json::to_string(t).ok()?))
}

/// The same ceiling on PostgreSQL: a fresh HQ database, one prepared statement, 10,000 rows
/// a transaction, durable commits.
async fn direct_insert_postgres(root: &Path, url: &str, rows: &[(String, Record)]) -> Result<f64, ShopError> {
    let exe = std::env::current_exe()?;
    let mut init = tokio::process::Command::new(exe)
        .args(["hq", "init", "--data-dir", &root.join("direct").display().to_string(), "--database-url", url])
        .args(["--admin-user", "admin", "--admin-password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()?;
    tokio::io::AsyncWriteExt::write_all(&mut init.stdin.take().expect("piped"), b"bench-password\n").await?;
    init.wait().await?;
    let pg = |e: tokio_postgres::Error| harness(format!("PostgreSQL: {e}"));
    let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.map_err(pg)?;
    let task = tokio::spawn(connection);
    let now = comptoir_shop::store::now_text();
    let shops: std::collections::BTreeSet<&str> = rows.iter().map(|(s, _)| s.as_str()).collect();
    for s in shops {
        client
            .execute(
                "INSERT INTO shops (code, name, postal_code, created_at) VALUES ($1, $1, '75001', $2)",
                &[&s, &now],
            )
            .await
            .map_err(pg)?;
    }
    let start = Instant::now();
    for chunk in rows.chunks(10_000) {
        let tx = client.transaction().await.map_err(pg)?;
        let insert = tx
            .prepare(
                "INSERT INTO tickets (id, shop, register, sequence, number, business_date, created_at, total, hash,
                 prev_hash, body, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .await
            .map_err(pg)?;
        let rows: Vec<(&String, &comptoir_core::ticket::Ticket, String, i64, String)> = chunk
            .iter()
            .filter_map(|(shop, record)| {
                let (t, body) = ticket_row(record)?;
                Some((shop, t, t.id.to_string(), t.total.cents(), body))
            })
            .collect();
        // Executed together, the inserts are pipelined on the connection instead of waiting
        // one round trip each: the server's own pace, which is the ceiling sought.
        type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);
        let params: Vec<[Param; 12]> = rows
            .iter()
            .map(|(shop, t, id, total, body)| {
                [
                    id as Param,
                    *shop,
                    &t.register,
                    &t.sequence,
                    &t.number,
                    &t.business_date,
                    &t.created_at,
                    total,
                    &t.hash,
                    &t.prev_hash,
                    body,
                    &now,
                ]
            })
            .collect();
        let inserts = params.iter().map(|p| tx.execute(&insert, p));
        futures_util::future::try_join_all(inserts).await.map_err(pg)?;
        tx.commit().await.map_err(pg)?;
    }
    let seconds = start.elapsed().as_secs_f64();
    drop(client);
    let _ = task.await;
    Ok(seconds)
}

pub async fn ingest(shops: usize, tickets: usize, backend: Backend) -> Result<Figures, ShopError> {
    let root = tempdir()?;
    let postgres = (backend == Backend::Postgres).then(|| TestPostgres::start_with(true));
    let hq_url = postgres.as_ref().map(|p| p.database());
    let (hq, sims) = chain_on(root.path(), shops, ARTICLES, hq_url.as_deref()).await?;
    let bar = progress(shops as u64, "backlogs written");
    for s in &sims {
        sell(&s.shop, 0, tickets, ARTICLES).await?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut rows: Vec<(String, Record)> = Vec::with_capacity(shops * tickets);
    for s in &sims {
        let pending = s.shop.store.read(|c| outbox::pending(c, usize::MAX >> 1)).await?;
        rows.extend(pending.into_iter().map(|(_, r)| (s.code.clone(), r)));
    }
    let total = (shops * tickets) as u64;
    let seconds = push_everything(&sims, total).await?;
    let at_hq = tickets_at_hq(&hq).await?;
    if at_hq != total {
        return Err(harness(format!("HQ holds {at_hq} tickets, {total} were sent")));
    }
    let direct = match &postgres {
        None => direct_insert_sqlite(root.path(), &rows)?,
        Some(p) => direct_insert_postgres(root.path(), &p.database(), &rows).await?,
    };
    let rate = total as f64 / seconds;
    let direct_rate = total as f64 / direct;
    Ok(vec![
        ("shops", shops as f64),
        ("tickets", total as f64),
        ("seconds", seconds),
        ("tickets_per_second", rate),
        ("rows_per_second", rate),
        ("direct_tickets_per_second", direct_rate),
        ("ratio_to_direct", rate / direct_rate),
    ])
}

pub async fn catchup(tickets: usize, backend: Backend) -> Result<Figures, ShopError> {
    let root = tempdir()?;
    let postgres = (backend == Backend::Postgres).then(|| TestPostgres::start_with(true));
    let hq_url = postgres.as_ref().map(|p| p.database());
    let (hq, sims) = chain_on(root.path(), 1, ARTICLES, hq_url.as_deref()).await?;
    // A week offline: the sales pile up in the outbox.
    sell(&sims[0].shop, 0, tickets, ARTICLES).await?;
    let seconds = push_everything(&sims, tickets as u64).await?;
    let at_hq = tickets_at_hq(&hq).await?;
    if at_hq != tickets as u64 {
        return Err(harness(format!("HQ holds {at_hq} tickets of {tickets}")));
    }
    Ok(vec![("tickets", tickets as f64), ("seconds", seconds), ("tickets_per_second", tickets as f64 / seconds)])
}

pub async fn first_load(articles: usize) -> Result<Figures, ShopError> {
    let root = tempdir()?;
    let hq = HqProcess::start(root.path(), None).await?;
    let csv = catalog_csv(articles);
    hq.import_catalog(csv.clone()).await?;
    let token = hq.add_shop("FIRST").await?;
    // Measured: from the enrolment command to a shop able to sell (catalog applied).
    let start = Instant::now();
    let dir = root.path().join("first");
    let (shop, _) = comptoir_shop::sync::enrol::enroll(
        &dir,
        &hq.origin,
        &token,
        Some((chain::ADMIN, chain::PASSWORD)),
        bench_config(),
    )
    .await?;
    let agent = comptoir_shop::sync::SyncAgent::for_shop(&shop).await?;
    let bar = progress(articles as u64, "catalog loaded");
    let items = agent
        .take_snapshot(&|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await?;
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let count: i64 = shop.store.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))?)).await?;
    if count as usize != articles {
        return Err(harness(format!("the shop has {count} articles of {articles}")));
    }
    // The same catalog from a local file into a fresh single shop (CSV import).
    let local_dir = root.path().join("local");
    Shop::init(&local_dir, "LOCAL", "Local", chain::ADMIN, chain::PASSWORD)?;
    let local = Shop::open(&local_dir, ShopConfig::default())?;
    let file = root.path().join("catalog.csv");
    std::fs::write(&file, &csv)?;
    let start = Instant::now();
    let data = std::fs::read(&file)?;
    local
        .store
        .write(move |tx| comptoir_shop::catalog_csv::import(tx, &data, comptoir_core::Lang::En).map(|_| ()))
        .await?;
    let local_seconds = start.elapsed().as_secs_f64();
    Ok(vec![
        ("articles", articles as f64),
        ("records", items as f64),
        ("seconds", seconds),
        ("local_file_seconds", local_seconds),
        ("ratio_to_local_file", seconds / local_seconds),
    ])
}

pub async fn fanout(shops: usize) -> Result<Figures, ShopError> {
    let root = tempdir()?;
    let (hq, sims) = chain_with_shops(root.path(), shops, 50).await?;
    let mut handles = Vec::new();
    for s in &sims {
        handles.extend(s.agent.clone().spawn());
    }
    // Let every puller reach its long-poll.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_before, _) = hq.memory_mib();
    let start = Instant::now();
    hq.set_price("A00001", 4242).await?;
    let bar = progress(shops as u64, "shops with the price");
    let mut waiting: Vec<&SimShop> = sims.iter().collect();
    let mut arrival = Vec::with_capacity(shops);
    while !waiting.is_empty() {
        if start.elapsed() > Duration::from_secs(60) {
            return Err(harness(format!("{} shops still without the new price after 60 s", waiting.len())));
        }
        let mut still = Vec::new();
        for s in waiting {
            let price: i64 = s
                .shop
                .store
                .read(|c| Ok(c.query_row("SELECT price FROM articles WHERE sku = 'A00001'", [], |r| r.get(0))?))
                .await?;
            if price == 4242 {
                arrival.push(start.elapsed());
                bar.inc(1);
            } else {
                still.push(s);
            }
        }
        waiting = still;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    let (rss, peak) = hq.memory_mib();
    for h in handles {
        h.abort();
    }
    arrival.sort();
    Ok(vec![
        ("shops", shops as f64),
        ("seconds_until_all", seconds),
        ("p50_ms", percentile_ms(&arrival, 50.0)),
        ("p99_ms", percentile_ms(&arrival, 99.0)),
        ("hq_rss_mib_idle", rss_before),
        ("hq_rss_mib", rss),
        ("hq_peak_rss_mib", peak),
    ])
}

fn parse_instant(v: &serde_json::Value) -> Option<jiff::Timestamp> {
    v.as_str()?.parse().ok()
}

pub async fn latency(tickets: usize, rate: f64) -> Result<Figures, ShopError> {
    let root = tempdir()?;
    let (hq, sims) = chain_with_shops(root.path(), 1, ARTICLES).await?;
    let sim = &sims[0];
    let handles = sim.agent.clone().spawn();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pause = Duration::from_secs_f64(1.0 / rate.max(0.01));
    let bar = progress(tickets as u64, "tickets sold");
    for i in 0..tickets {
        let started = Instant::now();
        sell(&sim.shop, i, 1, ARTICLES).await?;
        // As the register API does after a commit.
        sim.shop.outbox_signal.notify_one();
        bar.inc(1);
        tokio::time::sleep(pause.saturating_sub(started.elapsed())).await;
    }
    bar.finish_and_clear();
    let deadline = Instant::now() + Duration::from_secs(30);
    let stored = loop {
        let stored = hq.tickets(&sim.code).await?;
        if stored.len() >= tickets || Instant::now() > deadline {
            break stored;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for h in handles {
        h.abort();
    }
    if stored.len() != tickets {
        return Err(harness(format!("HQ holds {} tickets of {tickets}", stored.len())));
    }
    let mut delays: Vec<Duration> = stored
        .iter()
        .filter_map(|t| {
            let (c, r) = (parse_instant(&t["created_at"])?, parse_instant(&t["received_at"])?);
            Some(Duration::from_micros(r.duration_since(c).as_micros().max(0) as u64))
        })
        .collect();
    delays.sort();
    Ok(vec![
        ("tickets", tickets as f64),
        ("p50_ms", percentile_ms(&delays, 50.0)),
        ("p99_ms", percentile_ms(&delays, 99.0)),
        ("max_ms", delays.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)),
    ])
}

pub async fn soak(shops: usize, seconds: u64, every: f64) -> Result<Figures, ShopError> {
    let root = tempdir()?;
    let (hq, sims) = chain_with_shops(root.path(), shops, ARTICLES).await?;
    // Pullers long-poll as in production; sales and pushes are driven here to time them.
    let mut handles = Vec::new();
    let cpu_before = hq.cpu_seconds();
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<Duration>::new()));
    let sold = Arc::new(AtomicU64::new(0));
    let bar = progress(seconds, "seconds of selling");
    let mut tasks = tokio::task::JoinSet::new();
    for (n, s) in sims.iter().enumerate() {
        let agent = s.agent.clone();
        handles.push(tokio::spawn({
            let agent = agent.clone();
            async move {
                loop {
                    if agent.pull(25).await.is_err() {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }));
        let (shop, latencies, sold) = (s.shop.clone(), latencies.clone(), sold.clone());
        tasks.spawn(async move {
            // Shops start spread over one period, as real shops do.
            let period = Duration::from_secs_f64(every.max(0.1));
            tokio::time::sleep(period.mul_f64((n as f64 * 0.618_034).fract())).await;
            let mut i = 0;
            while Instant::now() < end {
                sell(&shop, i, 1, ARTICLES).await?;
                sold.fetch_add(1, Ordering::Relaxed);
                let t0 = Instant::now();
                agent.push_all().await?;
                latencies.lock().unwrap_or_else(|p| p.into_inner()).push(t0.elapsed());
                i += 1;
                tokio::time::sleep(period).await;
            }
            Ok::<_, ShopError>(())
        });
    }
    let ticker = {
        let bar = bar.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                bar.inc(1);
            }
        })
    };
    let mut failures = 0;
    while let Some(done) = tasks.join_next().await {
        if !matches!(done, Ok(Ok(()))) {
            failures += 1;
        }
    }
    ticker.abort();
    bar.finish_and_clear();
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = (hq.cpu_seconds() - cpu_before) / elapsed * 100.0;
    let (rss, peak) = hq.memory_mib();
    for h in handles {
        h.abort();
    }
    // Convergence: every shop's outbox is empty and HQ holds every ticket sold.
    for s in &sims {
        s.agent.push_all().await?;
    }
    let total = sold.load(Ordering::Relaxed);
    let at_hq = tickets_at_hq(&hq).await?;
    let mut unsent = 0;
    for s in &sims {
        unsent += s.shop.store.read(outbox::backlog).await?.0;
    }
    if at_hq != total || unsent != 0 || failures != 0 {
        return Err(harness(format!(
            "not converged: {at_hq} at HQ of {total} sold, {unsent} unsent, {failures} shops failed"
        )));
    }
    let mut l = latencies.lock().unwrap_or_else(|p| p.into_inner()).clone();
    l.sort();
    Ok(vec![
        ("shops", shops as f64),
        ("tickets", total as f64),
        ("tickets_per_second", total as f64 / elapsed),
        ("push_p50_ms", percentile_ms(&l, 50.0)),
        ("push_p99_ms", percentile_ms(&l, 99.0)),
        ("hq_cpu_percent", cpu),
        ("hq_rss_mib", rss),
        ("hq_peak_rss_mib", peak),
    ])
}
