//! `comptoir demo`: a ready-to-try shop. Creates (or reuses) a shop in `--data-dir` with a
//! generated catalog, two registers and their cashiers, serves it, simulates sales
//! through the real HTTP API, and prints what to open.

use crate::fixtures;
use crate::report;
use crate::shop_cmd::open;
use clap::Args;
use comptoir_shop::{Shop, server};
use rand::Rng;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const ADMIN: &str = "admin";
const ADMIN_PASSWORD: &str = "comptoir-demo";

#[derive(Args)]
pub struct DemoArgs {
    /// Where the demo shop lives; reused when it exists.
    #[arg(long, default_value = "demo-data")]
    pub data_dir: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// Articles generated in a new demo shop.
    #[arg(long, default_value_t = 5000)]
    pub articles: usize,
    /// Simulated sales per second (0: none).
    #[arg(long, default_value_t = 1.0)]
    pub sales_per_second: f64,
}

pub async fn run(args: DemoArgs) -> ExitCode {
    let fresh = !args.data_dir.join(comptoir_shop::store::DB_FILE).exists();
    if fresh && let Err(e) = Shop::init(&args.data_dir, "DEMO", "Comptoir démo", ADMIN, ADMIN_PASSWORD) {
        return report(&e);
    }
    let flags = vec![("listen", toml::Value::String(args.listen.to_string()))];
    let shop = match open(&args.data_dir, &flags) {
        Ok(s) => s,
        Err(e) => return report(&e),
    };
    if fresh {
        println!("Generating {} articles...", args.articles);
        if let Err(e) = fixtures::populate(&shop, 2, args.articles).await {
            return report(&e);
        }
    }
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "error: cannot listen on {}: {e}. Choose another address with --listen 127.0.0.1:PORT",
                args.listen
            );
            return ExitCode::from(2);
        }
    };
    let addr = listener.local_addr().expect("bound listener has an address");
    let base = format!("http://{addr}/api/v1");
    println!();
    println!("Comptoir demo shop is running (data in {}).", args.data_dir.display());
    println!("  API:       {base}");
    println!("  OpenAPI:   {base}/openapi.json");
    println!("  Sign in:   HTTP Basic {ADMIN} / {ADMIN_PASSWORD}   (cashiers C1, C2 with PIN 1234)");
    println!("  Try:       curl -u {ADMIN}:{ADMIN_PASSWORD} '{base}/tickets?limit=5'");
    println!("  Sell:      curl -u {ADMIN}:{ADMIN_PASSWORD} -H 'Content-Type: application/json' \\");
    println!(
        "               -d '{{\"register\":\"R1\",\"cashier\":\"C1\",\"lines\":[{{\"sku\":\"A00001\",\"qty\":2}}],\"payments\":[{{\"method\":\"cash\",\"amount\":5000}}]}}' {base}/tickets"
    );
    println!("Simulating {} sale(s) per second. Ctrl-C stops.", args.sales_per_second);

    if args.sales_per_second > 0.0 {
        tokio::spawn(simulate(base.clone(), args.articles.max(1), args.sales_per_second));
    }
    match server::serve(shop, listener, server::stop_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

/// Sells random baskets through the API, as registers would.
async fn simulate(base: String, articles: usize, per_second: f64) {
    let client = reqwest::Client::new();
    let pause = Duration::from_secs_f64(1.0 / per_second);
    loop {
        tokio::time::sleep(pause).await;
        let body = {
            let mut rng = rand::rng();
            let register = rng.random_range(1..=2);
            let lines: Vec<_> = (0..rng.random_range(1..=4))
                .map(|_| serde_json::json!({"sku": format!("A{:05}", rng.random_range(1..=articles.min(99_999))), "qty": rng.random_range(1..=3)}))
                .collect();
            serde_json::json!({
                "register": format!("R{register}"), "cashier": format!("C{register}"),
                "lines": lines, "payments": [{"method": "cash", "amount": 50_000}],
            })
        };
        let sent =
            client.post(format!("{base}/tickets")).basic_auth(ADMIN, Some(ADMIN_PASSWORD)).json(&body).send().await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "simulated sale failed");
        }
    }
}
