//! `register`: ticket commit latency through the shop API over loopback HTTP, with durable
//! commits (WAL, `synchronous = FULL`), several registers posting at once. Each register
//! is a task with its own HTTP connection posting one ticket after the other, as a till
//! does; latency is measured from sending the request to receiving the 201.

use super::{percentile_ms, tempdir};
use crate::fixtures;
use comptoir_shop::{Shop, ShopConfig, server};
use std::time::Instant;

#[derive(serde::Serialize)]
pub struct RegisterRun {
    pub registers: usize,
    pub tickets: usize,
    pub seconds: f64,
    pub tickets_per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

pub async fn register_run(registers: usize, tickets: usize) -> Result<RegisterRun, comptoir_shop::ShopError> {
    let dir = tempdir()?;
    Shop::init(dir.path(), "BENCH", "Bench", "admin", "bench-password")?;
    let config = ShopConfig { auth_cache_seconds: 300, ..ShopConfig::default() };
    let shop = Shop::open(dir.path(), config)?;
    fixtures::populate(&shop, registers, 1000).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/api/v1", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(shop, listener, async {
        let _ = stop_rx.await;
    }));

    let started = Instant::now();
    let mut tasks = Vec::new();
    for r in 1..=registers {
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut latencies = Vec::with_capacity(tickets);
            for i in 0..tickets {
                let body = serde_json::json!({
                    "register": format!("R{r}"), "cashier": format!("C{r}"),
                    "lines": [
                        {"sku": format!("A{:05}", 1 + (i * 7) % 1000), "qty": 1},
                        {"sku": format!("A{:05}", 1 + (i * 13) % 1000), "qty": 2},
                        {"sku": format!("A{:05}", 1 + (i * 29) % 1000), "qty": 0.5},
                    ],
                    // One or two payments; card pays a part, cash the rest with change.
                    "payments": if i % 2 == 0 {
                        serde_json::json!([{"method": "cash", "amount": 100_000}])
                    } else {
                        serde_json::json!([{"method": "card", "amount": 100}, {"method": "cash", "amount": 100_000}])
                    },
                });
                let t0 = Instant::now();
                let response = client
                    .post(format!("{base}/tickets"))
                    .basic_auth("admin", Some("bench-password"))
                    .json(&body)
                    .send()
                    .await;
                let ok = matches!(&response, Ok(resp) if resp.status() == reqwest::StatusCode::CREATED);
                if !ok {
                    let detail = match response {
                        Ok(resp) => resp.text().await.unwrap_or_default(),
                        Err(e) => e.to_string(),
                    };
                    return Err(format!("register R{r}, ticket {i}: {detail}"));
                }
                latencies.push(t0.elapsed());
            }
            Ok(latencies)
        }));
    }
    let mut all = Vec::with_capacity(registers * tickets);
    for t in tasks {
        match t.await {
            Ok(Ok(l)) => all.extend(l),
            Ok(Err(e)) => return Err(comptoir_shop::ShopError::Storage(format!("benchmark sale refused: {e}"))),
            Err(e) => return Err(comptoir_shop::ShopError::Storage(format!("benchmark task failed: {e}"))),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop_tx.send(());
    let _ = server.await;
    all.sort();
    Ok(RegisterRun {
        registers,
        tickets: registers * tickets,
        seconds,
        tickets_per_second: all.len() as f64 / seconds,
        p50_ms: percentile_ms(&all, 50.0),
        p90_ms: percentile_ms(&all, 90.0),
        p99_ms: percentile_ms(&all, 99.0),
        max_ms: all.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0),
    })
}
