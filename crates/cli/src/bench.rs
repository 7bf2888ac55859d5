//! `comptoir bench <scenario>`: performance measured through the real code paths.
//!
//! `register`: ticket commit latency through the shop API over loopback HTTP, with durable
//! commits (WAL, `synchronous = FULL`), several registers posting at once. Each register
//! is a task with its own HTTP connection posting one ticket after the other, as a till
//! does; latency is measured from sending the request to receiving the 201.

use crate::fixtures;
use crate::report;
use clap::{Args, Subcommand};
use comptoir_shop::{Shop, ShopConfig, server};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub scenario: Scenario,
    /// Also write the results as JSON to this file.
    #[arg(long, global = true)]
    pub json: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum Scenario {
    /// Ticket commit latency through the shop API, registers posting at once.
    Register {
        #[arg(long, default_value_t = 4)]
        registers: usize,
        /// Tickets each register posts.
        #[arg(long, default_value_t = 1000)]
        tickets: usize,
        /// Runs; the report gives each run and the median of their p50 and p99.
        #[arg(long, default_value_t = 1)]
        runs: usize,
    },
}

#[derive(serde::Serialize)]
struct RegisterRun {
    registers: usize,
    tickets: usize,
    seconds: f64,
    tickets_per_second: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

pub async fn run(args: BenchArgs) -> ExitCode {
    match args.scenario {
        Scenario::Register { registers, tickets, runs } => {
            let mut results = Vec::new();
            for i in 0..runs.max(1) {
                match register_run(registers, tickets).await {
                    Ok(r) => {
                        println!(
                            "run {}: {} registers x {} tickets in {:.2} s ({:.0} tickets/s): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                            i + 1,
                            r.registers,
                            r.tickets,
                            r.seconds,
                            r.tickets_per_second,
                            r.p50_ms,
                            r.p90_ms,
                            r.p99_ms,
                            r.max_ms
                        );
                        results.push(r);
                    }
                    Err(e) => return report(&e),
                }
            }
            let p50 = median(results.iter().map(|r| r.p50_ms).collect());
            let p99 = median(results.iter().map(|r| r.p99_ms).collect());
            let tps = median(results.iter().map(|r| r.tickets_per_second).collect());
            println!();
            println!("| scenario | registers | tickets/register | runs | median p50 | median p99 | median tickets/s |");
            println!("|---|---|---|---|---|---|---|");
            println!(
                "| register | {registers} | {tickets} | {} | {p50:.2} ms | {p99:.2} ms | {tps:.0} |",
                results.len()
            );
            if let Some(path) = args.json {
                let doc = serde_json::json!({
                    "scenario": "register", "runs": results,
                    "median_p50_ms": p50, "median_p99_ms": p99, "median_tickets_per_second": tps,
                });
                if let Err(e) = std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap_or_default()) {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            ExitCode::SUCCESS
        }
    }
}

async fn register_run(registers: usize, tickets: usize) -> Result<RegisterRun, comptoir_shop::ShopError> {
    let dir = tempfile_dir()?;
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
        p50_ms: percentile(&all, 50.0),
        p90_ms: percentile(&all, 90.0),
        p99_ms: percentile(&all, 99.0),
        max_ms: all.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0),
    })
}

fn tempfile_dir() -> Result<tempfile::TempDir, comptoir_shop::ShopError> {
    Ok(tempfile::Builder::new().prefix("comptoir-bench-").tempdir()?)
}
