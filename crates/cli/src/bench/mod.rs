//! `comptoir bench <scenario>`: performance measured through the real code paths — real
//! HQ processes, real shop storage, the real protocol over loopback HTTP — with a results
//! table on stdout and `--json FILE` for machines. `docs/benchmarks.md` has the figures.
//!
//! - `register`: ticket commit latency through the shop API ([`register`]);
//! - `ingest`, `catchup`, `first-load`, `fanout`, `latency`, `soak`: a simulated chain
//!   ([`chain`] builds it, [`scenarios`] measures it);
//! - `dashboard`: the HQ dashboard's pages with a year of sales ([`dashboard`]);
//! - `chaos`: randomized fault rounds, each reconciled shop by shop against HQ ([`chaos`]);
//! - `customers`: register search on a shop holding a million customers ([`customers`]);
//! - `register-screen`: the register screen in headless Chromium ([`screen`]);
//! - `connections`: a shop's health latency under many idle and slow connections ([`connections`]).

mod chain;
pub mod chaos;
mod connections;
mod customers;
mod dashboard;
mod register;
mod scenarios;
mod screen;

use crate::report;
use clap::{Args, Subcommand};
use comptoir_shop::ShopError;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub scenario: Scenario,
    /// Also write the results as JSON to this file.
    #[arg(long, global = true)]
    pub json: Option<PathBuf>,
    /// Runs of the scenario; the table gives each run and the medians.
    #[arg(long, global = true, default_value_t = 1)]
    pub runs: usize,
}

#[derive(Subcommand, Clone)]
pub enum Scenario {
    /// The register screen in headless Chromium: scan to line, sign-in, pay to receipt.
    RegisterScreen {
        #[arg(long, default_value_t = 100_000)]
        articles: usize,
        /// Barcodes scanned (a payment every 10).
        #[arg(long, default_value_t = 200)]
        scans: usize,
        /// Sign-ins after a lock.
        #[arg(long, default_value_t = 20)]
        signins: usize,
    },
    /// Ticket commit latency through the shop API, registers posting at once.
    Register {
        #[arg(long, default_value_t = 4)]
        registers: usize,
        /// Tickets each register posts.
        #[arg(long, default_value_t = 1000)]
        tickets: usize,
    },
    /// Shops push a backlog at once; HQ's tickets/s against the backend's direct-insert limit.
    Ingest {
        #[arg(long, default_value_t = 50)]
        shops: usize,
        /// Tickets in each shop's backlog.
        #[arg(long, default_value_t = 2000)]
        tickets: usize,
        #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
        backend: Backend,
    },
    /// One shop back after 7 days offline with 14,000 tickets: time until HQ has them all.
    Catchup {
        #[arg(long, default_value_t = 14_000)]
        tickets: usize,
        #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
        backend: Backend,
    },
    /// A fresh shop enrols against an HQ with many articles: time until it can sell.
    FirstLoad {
        #[arg(long, default_value_t = 100_000)]
        articles: usize,
    },
    /// Shops long-polling; HQ changes one price: time until every shop has it.
    Fanout {
        #[arg(long, default_value_t = 1000)]
        shops: usize,
    },
    /// A shop sells one ticket a second: commit at the shop to stored at HQ.
    Latency {
        #[arg(long, default_value_t = 60)]
        tickets: usize,
        /// Tickets per second.
        #[arg(long, default_value_t = 1.0)]
        rate: f64,
    },
    /// Shops selling steadily against one HQ: HQ request latency, CPU, memory, convergence.
    Soak {
        #[arg(long, default_value_t = 1000)]
        shops: usize,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Seconds between two sales of one shop.
        #[arg(long, default_value_t = 10.0)]
        every: f64,
    },
    /// The HQ dashboard's pages, timed over HTTP, with a year of sales loaded at HQ.
    Dashboard {
        #[arg(long, default_value_t = 50)]
        shops: usize,
        /// Days of sales, ending today.
        #[arg(long, default_value_t = 365)]
        days: usize,
        /// Tickets per shop and day.
        #[arg(long, default_value_t = 20)]
        tickets: usize,
        /// Timed requests per page.
        #[arg(long, default_value_t = 20)]
        requests: usize,
    },
    /// Randomized faults (link cut, stalled, slowed, duplicated, truncated; shop and HQ
    /// killed mid-push and mid-snapshot; HQ restarts; a full disk; clock skew), every shop
    /// reconciled against HQ after each round. Round i uses seed S + i.
    Chaos {
        #[arg(long, default_value_t = 10)]
        rounds: u64,
        /// First round's seed (random when absent; printed either way).
        #[arg(long)]
        seed: Option<u64>,
        /// Sales posted in each round.
        #[arg(long, default_value_t = 24)]
        sales: usize,
    },
    /// A shop server process holding idle connections and clients sending their headers
    /// byte by byte: a normal client's health latency meanwhile.
    Connections {
        /// Idle connections held open.
        #[arg(long, default_value_t = 20_000)]
        idle: usize,
        /// Connections sending their headers one byte every 100 ms.
        #[arg(long, default_value_t = 200)]
        slow: usize,
        /// Seconds of health requests, once the connections are open.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Register search (name, phone, email, card) on a shop holding many customers.
    Customers {
        #[arg(long, default_value_t = 1_000_000)]
        customers: usize,
        #[arg(long, default_value_t = 3000)]
        searches: usize,
    },
}

/// HQ's storage in a scenario. PostgreSQL: a throwaway server started from Debian's
/// binaries (durable commits, as in production), or `COMPTOIR_TEST_POSTGRES_URL`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One run's figures, by name, in the order they are printed.
pub type Figures = Vec<(&'static str, f64)>;

/// `p`-th percentile (nearest rank) of sorted durations, in milliseconds.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

pub fn median(mut values: Vec<f64>) -> f64 {
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

pub fn tempdir() -> Result<tempfile::TempDir, ShopError> {
    Ok(tempfile::Builder::new().prefix("comptoir-bench-").tempdir()?)
}

/// A failure of the benchmark harness itself, as a `ShopError` the CLI can print.
pub fn harness(message: impl Into<String>) -> ShopError {
    ShopError::Config(message.into())
}

fn name(s: &Scenario) -> &'static str {
    match s {
        Scenario::Register { .. } => "register",
        Scenario::RegisterScreen { .. } => "register-screen",
        Scenario::Ingest { .. } => "ingest",
        Scenario::Catchup { .. } => "catchup",
        Scenario::FirstLoad { .. } => "first-load",
        Scenario::Fanout { .. } => "fanout",
        Scenario::Latency { .. } => "latency",
        Scenario::Soak { .. } => "soak",
        Scenario::Dashboard { .. } => "dashboard",
        Scenario::Chaos { .. } => "chaos",
        Scenario::Customers { .. } => "customers",
        Scenario::Connections { .. } => "connections",
    }
}

async fn run_once(s: &Scenario) -> Result<Figures, ShopError> {
    match s.clone() {
        Scenario::Register { registers, tickets } => {
            let r = register::register_run(registers, tickets).await?;
            Ok(vec![
                ("tickets", r.tickets as f64),
                ("seconds", r.seconds),
                ("tickets_per_second", r.tickets_per_second),
                ("p50_ms", r.p50_ms),
                ("p90_ms", r.p90_ms),
                ("p99_ms", r.p99_ms),
                ("max_ms", r.max_ms),
            ])
        }
        Scenario::RegisterScreen { articles, scans, signins } => {
            screen::register_screen(articles, scans, signins).await
        }
        Scenario::Ingest { shops, tickets, backend } => scenarios::ingest(shops, tickets, backend).await,
        Scenario::Catchup { tickets, backend } => scenarios::catchup(tickets, backend).await,
        Scenario::FirstLoad { articles } => scenarios::first_load(articles).await,
        Scenario::Fanout { shops } => scenarios::fanout(shops).await,
        Scenario::Latency { tickets, rate } => scenarios::latency(tickets, rate).await,
        Scenario::Soak { shops, seconds, every } => scenarios::soak(shops, seconds, every).await,
        Scenario::Dashboard { shops, days, tickets, requests } => {
            dashboard::dashboard(shops, days, tickets, requests).await
        }
        Scenario::Chaos { rounds, seed, sales } => chaos::chaos(rounds, seed, sales.max(4)).await,
        Scenario::Customers { customers, searches } => customers::customers(customers, searches).await,
        Scenario::Connections { idle, slow, seconds } => {
            connections::connections(idle, slow, seconds.clamp(1, 60)).await
        }
    }
}

pub async fn run(args: BenchArgs) -> ExitCode {
    let scenario = name(&args.scenario);
    let mut runs: Vec<Figures> = Vec::new();
    for i in 0..args.runs.max(1) {
        match run_once(&args.scenario).await {
            Ok(figures) => {
                let line: Vec<String> = figures.iter().map(|(k, v)| format!("{k} {}", fmt(*v))).collect();
                println!("run {}: {}", i + 1, line.join(", "));
                runs.push(figures);
            }
            Err(e) => return report(&e),
        }
    }
    let keys: Vec<&'static str> = runs[0].iter().map(|(k, _)| *k).collect();
    let medians: Vec<(&'static str, f64)> = keys
        .iter()
        .map(|k| (*k, median(runs.iter().filter_map(|r| r.iter().find(|(n, _)| n == k).map(|(_, v)| *v)).collect())))
        .collect();
    println!();
    println!("| scenario | runs | {} |", keys.join(" | "));
    println!("|---|---|{}", "---|".repeat(keys.len()));
    println!(
        "| {scenario} (median) | {} | {} |",
        runs.len(),
        medians.iter().map(|(_, v)| fmt(*v)).collect::<Vec<_>>().join(" | ")
    );
    if let Some(path) = args.json {
        let as_map = |f: &Figures| {
            serde_json::Value::Object(f.iter().map(|(k, v)| ((*k).to_string(), serde_json::json!(v))).collect())
        };
        let doc = serde_json::json!({
            "scenario": scenario,
            "runs": runs.iter().map(as_map).collect::<Vec<_>>(),
            "median": as_map(&medians),
        });
        if let Err(e) = std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap_or_default()) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

fn fmt(v: f64) -> String {
    if (v.fract() == 0.0 && v.abs() < 1e12) || v.abs() >= 100.0 { format!("{v:.0}") } else { format!("{v:.2}") }
}
