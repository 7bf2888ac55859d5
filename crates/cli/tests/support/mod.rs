//! Shared pieces of the end-to-end tests: running `comptoir` processes and a TCP proxy that
//! misbehaves on purpose.
#![allow(dead_code)]

pub mod proxy;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_comptoir");
pub const PASSWORD: &str = "secret-password";

/// Runs `comptoir` to completion.
pub fn comptoir(args: &[&str], stdin: Option<&str>) -> Output {
    comptoir_env(args, stdin, &[])
}

pub fn comptoir_env(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("COMPTOIR_DATA_DIR")
        .env("LANG", "C")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run comptoir");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait for comptoir")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn last_line(out: &Output) -> String {
    text(&out.stdout).lines().last().unwrap_or("").trim().to_string()
}

/// A `comptoir ... serve` process, SIGKILLed on drop.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT/api/v1`
    pub base: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Server {
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let (child, base) = Self::spawn(&args, &env);
        Server { child, base, args, env }
    }

    fn spawn(args: &[String], env: &[(String, String)]) -> (Child, String) {
        let mut child = Command::new(BIN)
            .args(args)
            .env("LANG", "C")
            .env("COMPTOIR_SHOP_LOG__STDOUT", "false")
            .env("COMPTOIR_HQ_LOG__STDOUT", "false")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start comptoir");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base =
            line.split("listening on ").nth(1).unwrap_or_else(|| panic!("no address in {line:?}")).trim().to_string();
        (child, base)
    }

    /// SIGKILL, wherever it is.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn restart(&mut self) {
        self.kill();
        let (child, base) = Self::spawn(&self.args, &self.env);
        self.child = child;
        self.base = base;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn dir_arg(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// HQ's storage backend in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    /// A throwaway PostgreSQL (or `COMPTOIR_TEST_POSTGRES_URL`'s server), one database per HQ.
    Postgres,
}

/// An HQ in a temp dir (its `hq.toml` and logs; its database too on SQLite): initialised
/// and serving.
pub struct Hq {
    pub dir: PathBuf,
    /// Dropped before `pg`: the server stops before its database does.
    pub server: Server,
    /// The options that name this HQ's database: `--data-dir DIR [--database-url URL]`.
    pub db_args: Vec<String>,
    pub pg: Option<comptoir_hq_postgres::testing::TestPostgres>,
}

impl Hq {
    pub fn start(root: &Path, backend: Backend) -> Hq {
        let dir = root.join("hq");
        let mut db_args = vec!["--data-dir".to_string(), dir_arg(&dir)];
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let pg = comptoir_hq_postgres::testing::TestPostgres::start();
                db_args.extend(["--database-url".to_string(), pg.database()]);
                Some(pg)
            }
        };
        let mut init: Vec<String> = vec!["hq".into(), "init".into()];
        init.extend(db_args.iter().cloned());
        init.extend(["--admin-user", "admin", "--admin-password-stdin"].map(String::from));
        let init: Vec<&str> = init.iter().map(String::as_str).collect();
        let out = comptoir(&init, Some(&format!("{PASSWORD}\n")));
        assert!(out.status.success(), "hq init: {}", text(&out.stderr));
        let server = serve(&db_args, "127.0.0.1:0", &[]);
        Hq { dir, server, db_args, pg }
    }

    /// Another `comptoir hq serve` process on this HQ's database.
    pub fn serve(&self, listen: &str, env: &[(&str, &str)]) -> Server {
        serve(&self.db_args, listen, env)
    }

    /// Runs `comptoir hq ARGS` on this HQ's database.
    pub fn cmd(&self, args: &[&str]) -> Output {
        let mut all: Vec<&str> = vec!["hq"];
        all.extend(args);
        all.extend(self.db_args.iter().map(String::as_str));
        comptoir(&all, None)
    }

    /// `http://127.0.0.1:PORT` (no /api/v1).
    pub fn origin(&self) -> String {
        self.server.base.trim_end_matches("/api/v1").to_string()
    }

    pub fn add_shop(&self, code: &str) -> String {
        let out = self.cmd(&["shop", "add", "--code", code, "--name", code, "--postal-code", "69003"]);
        assert!(out.status.success(), "hq shop add: {}", text(&out.stderr));
        last_line(&out)
    }
}

fn serve(db_args: &[String], listen: &str, env: &[(&str, &str)]) -> Server {
    let mut args: Vec<&str> = vec!["hq", "serve"];
    args.extend(db_args.iter().map(String::as_str));
    args.extend(["--listen", listen]);
    Server::start(&args, env)
}

/// Enrols a new shop (empty data dir) with the HQ reached at `hq_origin`.
pub fn enroll(dir: &Path, hq_origin: &str, token: &str) -> Output {
    let d = dir_arg(dir);
    comptoir(
        &[
            "shop",
            "enroll",
            "--data-dir",
            &d,
            "--hq",
            hq_origin,
            "--token",
            token,
            "--admin-user",
            "admin",
            "--admin-password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    )
}

/// Settings that make a shop retry fast in tests.
pub const FAST_SYNC: &[(&str, &str)] = &[
    ("COMPTOIR_SHOP_SYNC__BACKOFF_INITIAL_SECONDS", "1"),
    ("COMPTOIR_SHOP_SYNC__BACKOFF_MAX_SECONDS", "2"),
    ("COMPTOIR_SHOP_SYNC__REQUEST_TIMEOUT_SECONDS", "5"),
    ("COMPTOIR_SHOP_SYNC__PULL_WAIT_SECONDS", "5"),
    ("COMPTOIR_SHOP_SYNC__BATCH_SIZE", "50"),
];

/// `comptoir shop init` of a standalone shop in `dir`, its admin `admin` / [`PASSWORD`].
pub fn init_shop(dir: &Path, code: &str, name: &str) {
    let d = dir_arg(dir);
    let args = [
        "shop",
        "init",
        "--data-dir",
        &d,
        "--code",
        code,
        "--name",
        name,
        "--admin-user",
        "admin",
        "--admin-password-stdin",
    ];
    let out = comptoir(&args, Some(&format!("{PASSWORD}\n")));
    assert!(out.status.success(), "shop init {code}: {}", text(&out.stderr));
}

pub fn start_shop(dir: &Path) -> Server {
    let d = dir_arg(dir);
    Server::start(&["shop", "serve", "--data-dir", &d, "--listen", "127.0.0.1:0"], FAST_SYNC)
}

/// An HTTP client signed in as `admin`.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
}

impl Default for Api {
    fn default() -> Self {
        Api { http: reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap() }
    }
}

impl Api {
    pub async fn get(&self, url: &str) -> (u16, serde_json::Value) {
        let r = self.http.get(url).basic_auth("admin", Some(PASSWORD)).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn post(&self, url: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let r = self.http.post(url).basic_auth("admin", Some(PASSWORD)).json(&body).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Every item of a paginated list (`items`, `next`, `after`).
    pub async fn all(&self, url: &str) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        let mut after: Option<serde_json::Value> = None;
        loop {
            let sep = if url.contains('?') { '&' } else { '?' };
            let page_url = match &after {
                Some(a) => format!(
                    "{url}{sep}limit=500&after={}",
                    a.as_i64().map(|n| n.to_string()).unwrap_or_else(|| a.as_str().unwrap_or("").to_string())
                ),
                None => format!("{url}{sep}limit=500"),
            };
            let (status, page) = self.get(&page_url).await;
            assert_eq!(status, 200, "{page_url}: {page}");
            out.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page.get("next") {
                Some(n) if !n.is_null() => after = Some(n.clone()),
                _ => return out,
            }
        }
    }
}

/// Polls `check` every 100 ms until it returns true or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not reached within {limit:?}: {what}");
}

/// Makes `code` (a cashier with `pin`) work at `shop_code` through HQ — shops in a chain
/// take their users from HQ — and waits until the shop at `shop_base` has it.
pub async fn chain_user(api: &Api, hq_base: &str, shop_base: &str, shop_code: &str, code: &str, pin: &str) {
    hq_user(api, hq_base, shop_code, code, pin).await;
    eventually(Duration::from_secs(15), "the HQ user at the shop", || async {
        let (s, users) = api.get(&format!("{shop_base}/users")).await;
        s == 200 && users.as_array().is_some_and(|l| l.iter().any(|u| u["code"] == code && u["active"] == true))
    })
    .await;
}

/// Makes `code` (a cashier with `pin`) work at `shop_code` at HQ (created, or given one
/// more shop).
pub async fn hq_user(api: &Api, hq_base: &str, shop_code: &str, code: &str, pin: &str) {
    let (status, body) = api.get(&format!("{hq_base}/users")).await;
    assert_eq!(status, 200, "{body}");
    let existing = body.as_array().unwrap().iter().find(|u| u["code"] == code).cloned();
    let (status, body) = match existing {
        None => {
            api.post(
                &format!("{hq_base}/users"),
                serde_json::json!({"code": code, "name": code, "role": "cashier", "pin": pin, "shops": [shop_code]}),
            )
            .await
        }
        Some(u) => {
            let mut shops: Vec<serde_json::Value> = u["shops"].as_array().cloned().unwrap_or_default();
            shops.push(shop_code.into());
            let r = api
                .http
                .patch(format!("{hq_base}/users/{code}"))
                .basic_auth("admin", Some(PASSWORD))
                .json(&serde_json::json!({"shops": shops}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (if status == 200 { 201 } else { status }, r.json().await.unwrap_or_default())
        }
    };
    assert_eq!(status, 201, "{body}");
}

// ---------------------------------------------------------------- browser tests

/// Debian's Chromium, which the browser tests drive through Playwright.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The npm project of the browser tests (`tests/browser/`).
pub fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// Fails (never skips) when a piece of the browser test is missing, saying how to get it.
pub fn check_tools() {
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node is missing: install it (apt-get install -y nodejs npm) or run scripts/test, which does"
    );
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install it (apt-get install -y chromium) or run scripts/test, which does"
    );
    for package in ["playwright-core", "axe-core"] {
        assert!(
            browser_dir().join("node_modules").join(package).exists(),
            "{package} is missing: run `npm ci` in tests/browser/ (scripts/test does)"
        );
    }
}
