//! `bench connections`: a real shop server process holding many idle connections and
//! clients that send their headers byte by byte, while a normal client asks
//! `/api/v1/health`: its latency (p50, p99, max) says whether the accept loop and its
//! bounds (`crates/http/src/serve.rs`) keep the server answering. Loopback only, bounded
//! in count and time; it stops by itself.
//!
//! The server is given `max_connections` above the connections opened and a header
//! timeout longer than the run, so that what is measured is the cost of holding every
//! connection all along, not the cap or the timeout dropping them (the test suite shows
//! those: `crates/shop/tests/limits.rs`). Both processes need more file
//! descriptors than the usual 1024: the bench raises its own soft limit with `prlimit` and
//! the server's with `ulimit -Sn` in its spawn, both within the hard limit.

use super::{Figures, harness, percentile_ms};
use comptoir_shop::{Shop, ShopError};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::Command;

/// Longest the whole measurement may take, connections opened included.
const BOUND: Duration = Duration::from_secs(120);

/// This process's hard open-file limit, from `/proc/self/limits`.
fn hard_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    match line.split_whitespace().nth(4)? {
        "unlimited" => Some(usize::MAX),
        n => n.parse().ok(),
    }
}

/// Raises this process's soft open-file limit to `files` (within the hard limit, which
/// only a privileged process may raise).
fn raise_own_limit(files: usize) -> Result<(), ShopError> {
    let hard = hard_file_limit().ok_or_else(|| harness("cannot read the open-file limit in /proc/self/limits"))?;
    if files > hard {
        return Err(harness(format!(
            "{files} open files needed, but the hard limit is {hard}: open fewer connections (--idle), or raise the limit (ulimit -Hn)"
        )));
    }
    let pid = std::process::id().to_string();
    let limit = format!("--nofile={files}:{hard}");
    match std::process::Command::new("prlimit").args(["--pid", &pid, &limit]).status() {
        Ok(s) if s.success() => Ok(()),
        other => Err(harness(format!("cannot raise the open-file limit to {files} (prlimit: {other:?})"))),
    }
}

pub async fn connections(idle: usize, slow: usize, seconds: u64) -> Result<Figures, ShopError> {
    // Each connection is a file in both processes; a few hundred more for the rest.
    let files = idle + slow + 512;
    raise_own_limit(files)?;
    let root = super::tempdir()?;
    let dir = root.path().join("shop");
    Shop::init(&dir, "BENCH", "Bench", super::chain::ADMIN, super::chain::PASSWORD)?;
    let exe = std::env::current_exe()?;
    let d = dir.display().to_string();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -Sn {files} && exec \"$0\" shop serve --data-dir \"$1\" --listen 127.0.0.1:0"))
        .arg(&exe)
        .arg(&d)
        .env("COMPTOIR_SHOP_MAX_CONNECTIONS", (idle + slow + 1024).to_string())
        .env("COMPTOIR_SHOP_MAX_CONNECTIONS_PER_ADDRESS", "0")
        .env("COMPTOIR_SHOP_HEADER_TIMEOUT_SECONDS", (seconds + 60).to_string())
        .env("COMPTOIR_SHOP_SYNC__AUTO", "false")
        .env("COMPTOIR_SHOP_LOG__STDOUT", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let line = lines.next_line().await?.unwrap_or_default();
    let base = line.split("listening on ").nth(1).ok_or_else(|| harness(format!("shop serve said {line:?}")))?;
    let origin = base.trim().trim_end_matches("/api/v1").to_string();
    let addr: std::net::SocketAddr =
        origin.trim_start_matches("http://").parse().map_err(|e| harness(format!("{origin}: {e}")))?;
    let started = Instant::now();
    let measured = tokio::time::timeout(BOUND, measure(addr, &origin, idle, slow, seconds)).await;
    let _ = child.kill().await;
    let mut figures = measured.map_err(|_| harness(format!("not done within {} s", BOUND.as_secs())))??;
    figures.push(("seconds", started.elapsed().as_secs_f64()));
    Ok(figures)
}

async fn measure(
    addr: std::net::SocketAddr,
    origin: &str,
    idle: usize,
    slow: usize,
    seconds: u64,
) -> Result<Figures, ShopError> {
    // Idle connections: opened, then silent.
    let mut held = Vec::with_capacity(idle);
    for _ in 0..idle {
        held.push(TcpStream::connect(addr).await.map_err(|e| harness(format!("connection {}: {e}", held.len())))?);
    }
    // Slow clients: a header one byte every 100 ms, for as long as the server listens.
    let stop = tokio::sync::watch::channel(false);
    let mut drippers = Vec::with_capacity(slow);
    for _ in 0..slow {
        let mut done = stop.1.clone();
        drippers.push(tokio::spawn(async move {
            let Ok(mut s) = TcpStream::connect(addr).await else { return };
            if s.write_all(b"GET /api/v1/health HTTP/1.1\r\nhost: bench\r\nx-pad: ").await.is_err() {
                return;
            }
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                    _ = done.changed() => return,
                }
                if s.write_all(b"a").await.is_err() {
                    return;
                }
            }
        }));
    }
    // A normal client, one connection kept alive: health every 10 ms.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| harness(e.to_string()))?;
    let url = format!("{origin}/api/v1/health");
    let mut latencies = Vec::new();
    let mut failures = 0usize;
    let until = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < until {
        let asked = Instant::now();
        match client.get(&url).send().await {
            Ok(r) if r.status().is_success() => latencies.push(asked.elapsed()),
            _ => failures += 1,
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop.0.send(true);
    for d in drippers {
        let _ = d.await;
    }
    drop(held);
    latencies.sort();
    Ok(vec![
        ("idle", idle as f64),
        ("slow", slow as f64),
        ("probes", latencies.len() as f64),
        ("failed", failures as f64),
        ("p50_ms", percentile_ms(&latencies, 50.0)),
        ("p99_ms", percentile_ms(&latencies, 99.0)),
        ("max_ms", latencies.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)),
    ])
}
