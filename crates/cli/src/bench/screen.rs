//! `register-screen`: the register screen in headless Chromium on a shop of `articles`
//! articles: sign-in to sale screen, scan (digits + Enter) to the line on screen, and pay
//! (exact cash) to receipt, measured by `tests/browser/register-bench.mjs` (Playwright) from
//! the driver's side, keystrokes included. Needs the repository's `tests/browser` with
//! `npm ci` done, `node` and `/usr/bin/chromium`.

use super::{Figures, harness, percentile_ms, tempdir};
use comptoir_shop::{Shop, ShopConfig, ShopError};
use std::path::PathBuf;
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";

pub async fn register_screen(articles: usize, scans: usize, signins: usize) -> Result<Figures, ShopError> {
    let browser = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    if !browser.join("node_modules/playwright-core").exists() || !std::path::Path::new(CHROMIUM).exists() {
        return Err(harness(format!("register-screen needs {CHROMIUM}, node and `npm ci` in {}", browser.display())));
    }
    let dir = tempdir()?;
    Shop::init(dir.path(), "BENCH", "Bench", "admin", "bench-password")?;
    let shop = Shop::open(dir.path(), ShopConfig::default())?;
    crate::fixtures::populate(&shop, 1, articles.max(1)).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(comptoir_shop::server::serve(shop, listener, std::future::pending()));
    let out = tokio::process::Command::new("node")
        .arg("register-bench.mjs")
        .current_dir(&browser)
        .env("SHOP_ORIGIN", format!("http://{addr}"))
        .env("ARTICLES", articles.max(1).to_string())
        .env("SCANS", scans.max(1).to_string())
        .env("SIGNINS", signins.max(1).to_string())
        .env("CHROMIUM", CHROMIUM)
        .output()
        .await;
    server.abort();
    let out = out.map_err(|e| harness(format!("node: {e}")))?;
    if !out.status.success() {
        return Err(harness(format!("the browser part failed: {}", String::from_utf8_lossy(&out.stderr))));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    let figures: serde_json::Value =
        serde_json::from_str(line).map_err(|e| harness(format!("unreadable result {line:?}: {e}")))?;
    let sorted = |key: &str| {
        let mut d: Vec<Duration> = figures[key]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_f64()).map(|ms| Duration::from_secs_f64(ms / 1000.0)).collect())
            .unwrap_or_default();
        d.sort();
        d
    };
    let (signin, scan, enter, pay) = (sorted("signin_ms"), sorted("scan_ms"), sorted("enter_ms"), sorted("pay_ms"));
    Ok(vec![
        ("articles", articles as f64),
        ("scans", scan.len() as f64),
        ("scan_p50_ms", percentile_ms(&scan, 50.0)),
        ("scan_p95_ms", percentile_ms(&scan, 95.0)),
        // From the barcode's Enter: what a scanner, which types its digits in a few ms, waits.
        ("enter_p50_ms", percentile_ms(&enter, 50.0)),
        ("enter_p95_ms", percentile_ms(&enter, 95.0)),
        ("signin_p95_ms", percentile_ms(&signin, 95.0)),
        ("payments", pay.len() as f64),
        ("pay_to_receipt_p95_ms", percentile_ms(&pay, 95.0)),
    ])
}
