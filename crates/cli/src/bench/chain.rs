//! A chain to measure: an HQ as its own process (so its memory and CPU can be read from
//! `/proc`), and simulated shops, many to this process, each with its real SQLite store,
//! real enrolment, real outbox and real sync agent speaking the protocol over loopback.
//!
//! Setting a shop up costs an Argon2id hash for its admin; for a thousand shops the harness
//! makes one template shop and copies its database file, renaming the copy's shop code
//! before enrolling it. Everything measured after that is the product's own code path.

use super::harness;
use comptoir_core::ticket::{Payment, PaymentMethod};
use comptoir_core::{Money, Quantity};
use comptoir_shop::sales::{NewLine, NewTicket, Stamp, commit_ticket};
use comptoir_shop::staff::{NewRegister, NewUser, create_register, create_user};
use comptoir_shop::sync::SyncAgent;
use comptoir_shop::{Shop, ShopConfig, ShopError};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

pub const ADMIN: &str = "admin";
pub const PASSWORD: &str = "bench-password";

pub struct HqProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
    pub http: reqwest::Client,
}

impl HqProcess {
    /// An HQ on SQLite in `root/hq`, or on the PostgreSQL database `database_url`.
    pub async fn start(root: &Path, database_url: Option<&str>) -> Result<HqProcess, ShopError> {
        let exe = std::env::current_exe()?;
        let dir = root.join("hq");
        let d = dir.display().to_string();
        let db: Vec<&str> = database_url.map(|u| vec!["--database-url", u]).unwrap_or_default();
        let mut init = Command::new(&exe)
            .args(["hq", "init", "--data-dir", &d, "--admin-user", ADMIN, "--admin-password-stdin"])
            .args(&db)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        init.stdin.take().expect("piped").write_all(format!("{PASSWORD}\n").as_bytes()).await?;
        let out = init.wait_with_output().await?;
        if !out.status.success() {
            return Err(harness(format!("hq init: {}", String::from_utf8_lossy(&out.stderr))));
        }
        let mut child = Command::new(&exe)
            .args(["hq", "serve", "--data-dir", &d, "--listen", "127.0.0.1:0"])
            .args(&db)
            .env("COMPTOIR_HQ_LOG__STDOUT", "false")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let line = lines.next_line().await?.unwrap_or_default();
        let base = line.split("listening on ").nth(1).ok_or_else(|| harness(format!("hq serve said {line:?}")))?;
        let origin = base.trim().trim_end_matches("/api/v1").to_string();
        let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().map_err(|e| harness(e.to_string()))?;
        Ok(HqProcess { child, origin, http })
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1/{path}", self.origin)
    }

    async fn admin(&self, request: reqwest::RequestBuilder) -> Result<serde_json::Value, ShopError> {
        let r = request.basic_auth(ADMIN, Some(PASSWORD)).send().await.map_err(|e| harness(e.to_string()))?;
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(harness(format!("HQ answered {status}: {body}")));
        }
        Ok(serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
    }

    pub async fn import_catalog(&self, csv: String) -> Result<(), ShopError> {
        self.admin(self.http.post(self.api("catalog/import")).header("content-type", "text/csv").body(csv))
            .await
            .map(|_| ())
    }

    /// Creates a shop at HQ; returns its enrolment token.
    pub async fn add_shop(&self, code: &str) -> Result<String, ShopError> {
        let body = serde_json::json!({"code": code, "name": format!("Shop {code}"), "postal_code": "75001"});
        let answer = self.admin(self.http.post(self.api("shops")).json(&body)).await?;
        answer["enrolment_token"].as_str().map(String::from).ok_or_else(|| harness(format!("no token in {answer}")))
    }

    pub async fn set_price(&self, sku: &str, price: i64) -> Result<(), ShopError> {
        let body = serde_json::json!({"price": price});
        self.admin(self.http.patch(self.api(&format!("articles/{sku}"))).json(&body)).await.map(|_| ())
    }

    /// Tickets HQ holds, with their `received_at`.
    pub async fn tickets(&self, shop: &str) -> Result<Vec<serde_json::Value>, ShopError> {
        let mut out = Vec::new();
        let mut after: Option<i64> = None;
        loop {
            let mut url = self.api(&format!("tickets?shop={shop}&limit=1000"));
            if let Some(a) = after {
                url.push_str(&format!("&after={a}"));
            }
            let page = self.admin(self.http.get(url)).await?;
            out.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next"].as_i64() {
                Some(n) => after = Some(n),
                None => return Ok(out),
            }
        }
    }

    fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Resident memory now and at its peak, in MiB (from /proc).
    pub fn memory_mib(&self) -> (f64, f64) {
        let status =
            self.pid().and_then(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok()).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .map(|kib| kib / 1024.0)
                .unwrap_or(0.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// CPU seconds used so far (user + system, from /proc).
    pub fn cpu_seconds(&self) -> f64 {
        let stat = self.pid().and_then(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok()).unwrap_or_default();
        // Fields after the command name (which is in parentheses): utime is the 14th field.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
            + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        ticks / clock_ticks()
    }
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

pub struct SimShop {
    pub code: String,
    pub shop: Shop,
    pub agent: SyncAgent,
}

/// A shop not yet enrolled, with registers R1, R2 and cashier C1, to copy.
pub async fn template(root: &Path) -> Result<PathBuf, ShopError> {
    let dir = root.join("template");
    Shop::init(&dir, "TEMPLATE", "Template", ADMIN, PASSWORD)?;
    let shop = Shop::open(&dir, ShopConfig::default())?;
    shop.store
        .write(|tx| {
            for r in ["R1", "R2"] {
                create_register(tx, NewRegister { code: r.into(), name: format!("Caisse {r}") })?;
            }
            create_user(
                tx,
                NewUser {
                    code: "C1".into(),
                    name: "Caissier".into(),
                    role: comptoir_core::catalog::Role::Cashier,
                    pin: Some("1234".into()),
                    password: None,
                },
            )
            .map(|_| ())
        })
        .await?;
    // Closing the last connection folds the WAL into the file, which is then copied.
    drop(shop);
    Ok(dir)
}

/// Creates, enrols and loads `n` shops (`S0000`...), at most 16 at a time.
pub async fn shops(
    hq: &HqProcess,
    root: &Path,
    n: usize,
    config: &ShopConfig,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<SimShop>, ShopError> {
    let template = template(root).await?;
    let limit = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let code = format!("S{i:04}");
        let token = hq.add_shop(&code).await?;
        let dir = root.join(&code);
        std::fs::create_dir_all(&dir)?;
        std::fs::copy(template.join(comptoir_shop::store::DB_FILE), dir.join(comptoir_shop::store::DB_FILE))?;
        let db = rusqlite::Connection::open(dir.join(comptoir_shop::store::DB_FILE))?;
        db.execute("UPDATE shop SET code = ?1, name = ?1", [&code])?;
        drop(db);
        let (origin, config, limit, bar) = (hq.origin.clone(), config.clone(), limit.clone(), bar.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire().await.map_err(|e| harness(e.to_string()))?;
            let (shop, _) = comptoir_shop::sync::enrol::enroll(&dir, &origin, &token, None, config).await?;
            let agent = SyncAgent::for_shop(&shop).await?;
            agent.take_snapshot(&|_, _| {}).await?;
            bar.inc(1);
            Ok::<_, ShopError>(SimShop { code, shop, agent })
        });
    }
    let mut out = Vec::with_capacity(n);
    while let Some(done) = tasks.join_next().await {
        out.push(done.map_err(|e| harness(e.to_string()))??);
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(out)
}

/// A sale of 3 lines, paid in 1 or 2 payments, as a register would post it.
pub fn sale(i: usize, articles: usize) -> NewTicket {
    let sku = |k: usize| format!("A{:05}", 1 + (i * k) % articles.max(1));
    let lines = vec![
        NewLine {
            sku: Some(sku(7)),
            barcode: None,
            qty: Quantity::from_units(1),
            unit_price: None,
            discount: Money(0),
        },
        NewLine {
            sku: Some(sku(13)),
            barcode: None,
            qty: Quantity::from_units(2),
            unit_price: None,
            discount: Money(0),
        },
        NewLine { sku: Some(sku(29)), barcode: None, qty: Quantity(500), unit_price: None, discount: Money(0) },
    ];
    let payments = if i.is_multiple_of(2) {
        vec![Payment { method: PaymentMethod::Cash, amount: Money(100_000) }]
    } else {
        vec![
            Payment { method: PaymentMethod::Card, amount: Money(100) },
            Payment { method: PaymentMethod::Cash, amount: Money(100_000) },
        ]
    };
    NewTicket {
        id: None,
        register: if i.is_multiple_of(2) { "R1" } else { "R2" }.into(),
        cashier: "C1".into(),
        lines,
        discount: Money(0),
        payments,
        customer: None,
        return_of: None,
        terminal_payments: Vec::new(),
    }
}

/// Commits sales number `first` to `first + count - 1` in the shop, in one transaction
/// (they wait in its outbox until pushed).
pub async fn sell(shop: &Shop, first: usize, count: usize, articles: usize) -> Result<(), ShopError> {
    let s = shop.clone();
    shop.store
        .write(move |tx| {
            for i in first..first + count {
                let (created_at, business_date) = s.stamp();
                let stamp = Stamp { shop_code: &s.code, created_at, business_date };
                commit_ticket(tx, &stamp, sale(i, articles))?;
            }
            Ok(())
        })
        .await
}

pub fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!("{what:<24} {{bar:40}} {{pos}}/{{len}} ({{elapsed}})"))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}
