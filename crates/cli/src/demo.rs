//! `comptoir demo`: a small chain on this machine. One HQ and three shops, each its own
//! process (`comptoir hq serve`, `comptoir shop serve`), enrolled with HQ through a link
//! that the demo cuts now and then, a generated catalog of 5,000 articles at HQ, and sales
//! made through the shops' real API. Everything lives in `--data-dir` and is reused when
//! the demo runs again.

use crate::fixtures::catalog_csv;
use clap::Args;
use rand::Rng;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

const ADMIN: &str = "admin";
const PASSWORD: &str = "comptoir-demo";
const SHOPS: [(&str, &str, &str); 3] =
    [("PARIS1", "Paris Centre", "75001"), ("LYON1", "Lyon Part-Dieu", "69003"), ("NICE1", "Nice Massena", "06000")];

#[derive(Args)]
pub struct DemoArgs {
    /// Where the demo chain lives; reused when it exists.
    #[arg(long, default_value = "demo-data")]
    pub data_dir: PathBuf,
    /// HQ listens on this port; the shops on the next three, their links to HQ on the three after.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Articles generated at HQ for a new demo.
    #[arg(long, default_value_t = 5000)]
    pub articles: usize,
    /// Simulated sales per second, over all shops (0: none).
    #[arg(long, default_value_t = 2.0)]
    pub sales_per_second: f64,
    /// Stop after this many seconds (0: run until Ctrl-C).
    #[arg(long, default_value_t = 0)]
    pub seconds: u64,
}

fn fail(message: String) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// Runs `comptoir ARGS` to the end, with `stdin`, and returns its standard output.
async fn comptoir(args: &[&str], stdin: Option<&str>) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("comptoir {}: {e}", args.join(" ")))?;
    if let Some(text) = stdin {
        use tokio::io::AsyncWriteExt;
        let mut input = child.stdin.take().expect("piped");
        input.write_all(text.as_bytes()).await.map_err(|e| e.to_string())?;
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().await.map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("comptoir {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Starts `comptoir ARGS` (a server) and waits for its "listening on" line.
async fn serve(args: &[&str], log_env: &str) -> Result<Child, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(args)
        .env(log_env, "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("comptoir {}: {e}", args.join(" ")))?;
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    match tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await {
        Ok(Ok(Some(line))) if line.contains("listening on") => Ok(child),
        _ => Err(format!("comptoir {} did not start (see the messages above)", args.join(" "))),
    }
}

/// The demo's link between a shop and HQ: a TCP relay that can be cut to simulate an
/// internet outage at the shop.
async fn link(listen: u16, upstream: u16, up: Arc<AtomicBool>) -> Result<(), String> {
    let listener =
        TcpListener::bind(("127.0.0.1", listen)).await.map_err(|e| format!("port {listen}: {e}; try --port"))?;
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else { continue };
            if !up.load(Ordering::SeqCst) {
                continue; // dropped: the line is down
            }
            let up = up.clone();
            tokio::spawn(async move {
                let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await else { return };
                let relay = tokio::spawn(async move {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
                // An outage also breaks the connections already open (a long-poll, a push).
                while !relay.is_finished() {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    if !up.load(Ordering::SeqCst) {
                        relay.abort();
                    }
                }
            });
        }
    });
    Ok(())
}

pub async fn run(args: DemoArgs) -> ExitCode {
    match chain(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

async fn chain(args: DemoArgs) -> Result<(), String> {
    let root = &args.data_dir;
    let hq_dir = root.join("hq");
    let d = |p: &Path| p.display().to_string();
    let fresh = !hq_dir.exists();
    let hq_port = args.port;
    let http = reqwest::Client::new();
    let hq_api = format!("http://127.0.0.1:{hq_port}/api/v1");

    if fresh {
        println!("Creating the demo chain in {} ...", root.display());
        comptoir(
            &["hq", "init", "--data-dir", &d(&hq_dir), "--admin-user", ADMIN, "--admin-password-stdin"],
            Some(&format!("{PASSWORD}\n")),
        )
        .await?;
    }
    let listen = format!("127.0.0.1:{hq_port}");
    let mut children =
        vec![serve(&["hq", "serve", "--data-dir", &d(&hq_dir), "--listen", &listen], "COMPTOIR_HQ_LOG__STDOUT").await?];
    if fresh {
        println!("Loading {} articles at HQ ...", args.articles);
        let r = http
            .post(format!("{hq_api}/catalog/import"))
            .basic_auth(ADMIN, Some(PASSWORD))
            .header("content-type", "text/csv")
            .body(catalog_csv(args.articles))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!("catalog import at HQ: {}", r.text().await.unwrap_or_default()));
        }
    }

    let mut links = Vec::new();
    let mut shop_urls = Vec::new();
    for (i, (code, name, postal)) in SHOPS.iter().enumerate() {
        let shop_port = hq_port + 1 + i as u16;
        let link_port = hq_port + 4 + i as u16;
        let up = Arc::new(AtomicBool::new(true));
        link(link_port, hq_port, up.clone()).await?;
        links.push((*code, up));
        let dir = root.join("shops").join(code);
        if fresh {
            let out = comptoir(
                &[
                    "hq",
                    "shop",
                    "add",
                    "--data-dir",
                    &d(&hq_dir),
                    "--code",
                    code,
                    "--name",
                    name,
                    "--postal-code",
                    postal,
                ],
                None,
            )
            .await?;
            let token = out.lines().last().unwrap_or("").trim().to_string();
            // A shop of a chain takes its users from HQ: the two cashiers work at every
            // demo shop, and come with the shop's first snapshot.
            let shops_so_far: Vec<&str> = SHOPS[..=i].iter().map(|s| s.0).collect();
            for (user, name, pin) in [("C1", "Camille", "1234"), ("C2", "Dominique", "5678")] {
                let r = if i == 0 {
                    http.post(format!("{hq_api}/users")).json(&serde_json::json!({
                        "code": user, "name": name, "role": "cashier", "pin": pin, "shops": shops_so_far
                    }))
                } else {
                    http.patch(format!("{hq_api}/users/{user}")).json(&serde_json::json!({"shops": shops_so_far}))
                };
                let r = r.basic_auth(ADMIN, Some(PASSWORD)).send().await.map_err(|e| e.to_string())?;
                if !r.status().is_success() {
                    return Err(format!("user {user} at HQ: {}", r.text().await.unwrap_or_default()));
                }
            }
            println!("Enrolling shop {code} ...");
            comptoir(
                &[
                    "shop",
                    "enroll",
                    "--data-dir",
                    &d(&dir),
                    "--hq",
                    &format!("http://127.0.0.1:{link_port}"),
                    "--token",
                    &token,
                    "--admin-user",
                    ADMIN,
                    "--admin-password-stdin",
                ],
                Some(&format!("{PASSWORD}\n")),
            )
            .await?;
        }
        let listen = format!("127.0.0.1:{shop_port}");
        children.push(
            serve(&["shop", "serve", "--data-dir", &d(&dir), "--listen", &listen], "COMPTOIR_SHOP_LOG__STDOUT").await?,
        );
        let api = format!("http://127.0.0.1:{shop_port}/api/v1");
        if fresh {
            for (path, body) in [
                ("registers", serde_json::json!({"code": "R1", "name": "Caisse 1"})),
                ("registers", serde_json::json!({"code": "R2", "name": "Caisse 2"})),
                // The simulated sales ring at R1 and R2; R3 is for a person at the register screen.
                ("registers", serde_json::json!({"code": "R3", "name": "Caisse 3"})),
            ] {
                let r = http
                    .post(format!("{api}/{path}"))
                    .basic_auth(ADMIN, Some(PASSWORD))
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if !r.status().is_success() {
                    return Err(format!("{code} {path}: {}", r.text().await.unwrap_or_default()));
                }
            }
        }
        shop_urls.push((*code, api));
    }
    if fresh {
        // The register screen's buttons: two pages of the first articles, for every shop.
        let page = |name: &str, from: usize| {
            let buttons: Vec<serde_json::Value> = (from..from + 8)
                .filter(|i| *i <= args.articles)
                .map(|i| serde_json::json!({"label": format!("Article {i}"), "kind": "article", "value": format!("A{i:05}")}))
                .collect();
            serde_json::json!({"name": name, "buttons": buttons})
        };
        let shops: Vec<&str> = SHOPS.iter().map(|s| s.0).collect();
        let r = http
            .post(format!("{hq_api}/keyboards"))
            .basic_auth(ADMIN, Some(PASSWORD))
            .json(&serde_json::json!({"code": "DEMO", "name": "Demo", "shops": shops, "registers": [],
                "pages": [page("Page 1", 1), page("Page 2", 9)]}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!("keyboard at HQ: {}", r.text().await.unwrap_or_default()));
        }
    }

    println!();
    println!("The Comptoir demo chain is running (data in {}).", root.display());
    println!(
        "  Dashboard:  http://127.0.0.1:{hq_port}/dashboard/   (sales, chain health, catalog, shops, jobs, customers, stock, users)"
    );
    println!("  HQ API:     {hq_api}   (sales report: {hq_api}/reports/sales, shops' health: {hq_api}/shops)");
    for (code, api) in &shop_urls {
        let origin = api.trim_end_matches("/api/v1");
        println!("  Shop {code:<7} {api}   register screen: {origin}/registers/R3   back office: {origin}/admin/");
    }
    println!("  Sign in everywhere as {ADMIN} / {PASSWORD} (the APIs: HTTP Basic); cashiers C1 / 1234 and C2 / 5678.");
    println!(
        "  Register:   open a shop's register screen above and sign in as C1 / 1234 (R1 and R2 sell by themselves)."
    );
    println!(
        "  Back office: a shop's /admin/ above, signed in as {ADMIN} / {PASSWORD} (the chain's catalog and users read-only)."
    );
    println!("  Try:        curl -u {ADMIN}:{PASSWORD} {hq_api}/shops");
    println!("              curl -u {ADMIN}:{PASSWORD} '{}/tickets?limit=3'", shop_urls[0].1);
    println!("  OpenAPI:    {hq_api}/openapi.json and {}/openapi.json", shop_urls[0].1);
    println!(
        "Simulating {} sale(s) per second; shops lose their link to HQ now and then. Ctrl-C stops.",
        args.sales_per_second
    );

    let simulation = tokio::spawn(simulate(
        http.clone(),
        shop_urls.clone(),
        args.articles.clamp(1, 99_999),
        args.sales_per_second,
        links,
    ));
    if args.seconds > 0 {
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    } else {
        comptoir_shop::server::stop_signal().await;
    }
    simulation.abort();
    for mut child in children {
        let _ = child.kill().await;
    }
    println!("Demo stopped; run it again to continue with the same chain.");
    Ok(())
}

/// Sells random baskets through the shops' API; now and then cuts a shop's link to HQ for
/// 5 to 20 seconds: its sales wait in its outbox and reach HQ when the link is back.
async fn simulate(
    http: reqwest::Client,
    shops: Vec<(&'static str, String)>,
    articles: usize,
    per_second: f64,
    links: Vec<(&'static str, Arc<AtomicBool>)>,
) {
    if per_second <= 0.0 {
        return;
    }
    let pause = Duration::from_secs_f64(1.0 / per_second);
    let mut outage_until: Option<(usize, tokio::time::Instant)> = None;
    loop {
        tokio::time::sleep(pause).await;
        let (shop, body, outage) = {
            let mut rng = rand::rng();
            let shop = rng.random_range(0..shops.len());
            let n = rng.random_range(1..=2);
            let lines: Vec<_> = (0..rng.random_range(1..=4))
                .map(|_| serde_json::json!({"sku": format!("A{:05}", rng.random_range(1..=articles)), "qty": rng.random_range(1..=3)}))
                .collect();
            let body = serde_json::json!({
                "register": format!("R{n}"), "cashier": format!("C{n}"),
                "lines": lines, "payments": [{"method": "cash", "amount": 50_000}],
            });
            let outage = (outage_until.is_none() && rng.random_range(0..100) < 2)
                .then(|| (rng.random_range(0..links.len()), Duration::from_secs(rng.random_range(5..=20))));
            (shop, body, outage)
        };
        if let Some((i, length)) = outage {
            links[i].1.store(false, Ordering::SeqCst);
            println!("[demo] shop {} loses its internet link for {} s", links[i].0, length.as_secs());
            outage_until = Some((i, tokio::time::Instant::now() + length));
        }
        if let Some((i, until)) = outage_until
            && tokio::time::Instant::now() >= until
        {
            links[i].1.store(true, Ordering::SeqCst);
            println!("[demo] shop {} is back online; its waiting sales go to HQ", links[i].0);
            outage_until = None;
        }
        let (_, api) = &shops[shop];
        let _ = http.post(format!("{api}/tickets")).basic_auth(ADMIN, Some(PASSWORD)).json(&body).send().await;
    }
}
