//! `comptoir bench chaos --rounds N --seed S`: randomized fault rounds against a real chain,
//! each followed by a reconciliation of every shop against HQ.
//!
//! A round is a fresh copy of one template chain (an HQ on SQLite and two enrolled shops
//! with registers R1, R2), run as real `comptoir hq serve` and `comptoir shop serve`
//! processes. Every shop reaches HQ through [`Link`], a TCP proxy of this process. While a
//! register simulator posts sales, the round's plan (drawn from the round's seed) injects
//! faults among:
//!
//! - on the link: connections **cut** (the answer stops after a few bytes), **stalled**
//!   (nothing passes until the shop's time limit), **slowed** (small chunks, delays),
//!   **duplicated** (the request is sent to HQ a second time, as a replaying middlebox
//!   would) and **truncated** (only the beginning of the request reaches HQ);
//! - SIGKILL of a shop or of HQ in the middle of a push batch (the push request is on its
//!   way, or HQ has answered and the answer is held back) and in the middle of a snapshot
//!   (a catalog re-sync job, killed after some bytes of the snapshot passed);
//! - a clean HQ restart (SIGTERM, then start again);
//! - a shop whose disk fills up: its data directory is a small tmpfs (needs root) that a
//!   filler file fills; the shop must answer 507 `disk_full`, keep every committed sale and
//!   sell again once the filler is gone;
//! - clock skew: a shop's ticket clock runs hours or days ahead or behind HQ's
//!   (the test-only `test_clock_offset_seconds` setting).
//!
//! Then the faults stop, unanswered sales are posted again with the same id (the register's
//! retry), and once HQ has caught up every [`Ledger`] is compared: the shop's side against
//! HQ's, entry by entry: lost, duplicated, extra and differing entries. The ledgers today are
//! tickets (id → number, total, hash), each register's chain head, and the catalog (HQ →
//! shop), and the stock levels of every article sold. The loyalty ledger joins as a new
//! variant of [`Ledger`] once the rounds' sales name customers.
//!
//! Round `i` of `--seed S` uses seed `S + i`; a failing round prints its seed, and
//! `--seed <that> --rounds 1` runs the same plan again (timings between processes are real,
//! so a replay is the same faults at the same sales, not the same interleaving).

use super::chain::{ADMIN, HqProcess, PASSWORD};
use super::{Figures, harness, tempdir};
use crate::fixtures::catalog_csv;
use comptoir_shop::sync::SyncAgent;
use comptoir_shop::{Shop, ShopConfig, ShopError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, mpsc};
use uuid::Uuid;

const SHOPS: [&str; 2] = ["CHAOS1", "CHAOS2"];
const REGISTERS: [&str; 2] = ["R1", "R2"];
/// Enough articles that a snapshot lasts long enough to be killed in its middle.
const ARTICLES: usize = 300;
/// The shop's time limit for one call to HQ in a round; a stall lasts longer than it.
const SHOP_TIMEOUT_SECONDS: u64 = 2;

/// Every fault a round can inject, in the order of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    Cut,
    Stall,
    Slow,
    Duplicate,
    Truncate,
    KillShopMidPush,
    KillHqMidPush,
    KillShopMidSnapshot,
    KillHqMidSnapshot,
    HqRestart,
    DiskFull,
    ClockSkew,
}

pub const FAULTS: [Fault; 12] = [
    Fault::Cut,
    Fault::Stall,
    Fault::Slow,
    Fault::Duplicate,
    Fault::Truncate,
    Fault::KillShopMidPush,
    Fault::KillHqMidPush,
    Fault::KillShopMidSnapshot,
    Fault::KillHqMidSnapshot,
    Fault::HqRestart,
    Fault::DiskFull,
    Fault::ClockSkew,
];

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::Cut => "cut",
            Fault::Stall => "stall",
            Fault::Slow => "slow",
            Fault::Duplicate => "duplicate",
            Fault::Truncate => "truncate",
            Fault::KillShopMidPush => "kill_shop_mid_push",
            Fault::KillHqMidPush => "kill_hq_mid_push",
            Fault::KillShopMidSnapshot => "kill_shop_mid_snapshot",
            Fault::KillHqMidSnapshot => "kill_hq_mid_snapshot",
            Fault::HqRestart => "hq_restart",
            Fault::DiskFull => "disk_full",
            Fault::ClockSkew => "clock_skew",
        }
    }
}

// ---------------------------------------------------------------------------------------
// The plan of a round
// ---------------------------------------------------------------------------------------

/// What a round does, drawn from its seed alone.
#[derive(Debug, Clone)]
struct Plan {
    sales: usize,
    /// Link faults on between these sale numbers.
    link: Vec<Fault>,
    link_from: usize,
    link_to: usize,
    /// (sale number, fault, shop index) for kills and restarts.
    events: Vec<(usize, Fault, usize)>,
    /// (shop index, full from sale, full until sale).
    disk_full: Option<(usize, usize, usize)>,
    /// Ticket clock offset of each shop, seconds.
    skew: [i64; 2],
}

impl Plan {
    fn draw(seed: u64, sales: usize) -> Plan {
        let mut rng = StdRng::seed_from_u64(seed);
        loop {
            let link: Vec<Fault> = FAULTS[..5].iter().copied().filter(|_| rng.random_bool(0.35)).collect::<Vec<_>>();
            let link_from = rng.random_range(0..sales / 2);
            let link_to = rng.random_range(link_from + 1..=sales);
            let disk_full = rng.random_bool(0.25).then(|| {
                let from = rng.random_range(0..sales / 2);
                (rng.random_range(0..SHOPS.len()), from, rng.random_range(from + 2..=sales))
            });
            let mut events = Vec::new();
            for fault in &FAULTS[5..10] {
                if rng.random_bool(0.3) {
                    let shop = rng.random_range(0..SHOPS.len());
                    // A shop whose disk is full is not killed too: it could not start again
                    // until the space returns, which says nothing about either fault.
                    let kills_full_shop = matches!(fault, Fault::KillShopMidPush | Fault::KillShopMidSnapshot)
                        && disk_full.is_some_and(|(s, _, _)| s == shop);
                    if !kills_full_shop {
                        events.push((rng.random_range(1..sales), *fault, shop));
                    }
                }
            }
            events.sort();
            let mut skew = [0i64; 2];
            for s in skew.iter_mut() {
                if rng.random_bool(0.25) {
                    // Up to three days either way: across midnight and business days.
                    *s = rng.random_range(-3 * 86_400..=3 * 86_400);
                }
            }
            let plan = Plan { sales, link, link_from, link_to, events, disk_full, skew };
            if !plan.faults().is_empty() {
                return plan;
            }
        }
    }

    fn faults(&self) -> Vec<Fault> {
        let mut out = self.link.clone();
        out.extend(self.events.iter().map(|e| e.1));
        if self.disk_full.is_some() {
            out.push(Fault::DiskFull);
        }
        if self.skew.iter().any(|s| *s != 0) {
            out.push(Fault::ClockSkew);
        }
        out.sort();
        out.dedup();
        out
    }
}

// ---------------------------------------------------------------------------------------
// The misbehaving link
// ---------------------------------------------------------------------------------------

/// Which process an armed trigger kills, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Trigger {
    /// Kill the shop while its push is at HQ; HQ's answer is held back until it is dead.
    ShopPush,
    /// Kill HQ right after a push request went through to it.
    HqPush,
    /// Kill the shop / HQ after some bytes of a snapshot passed.
    ShopSnapshot,
    HqSnapshot,
}

struct LinkState {
    upstream: String,
    faults: Vec<Fault>,
    /// The trigger and the shop whose connections it watches.
    armed: Vec<(Trigger, usize)>,
    turn: usize,
    rng: StdRng,
}

/// A TCP proxy between the shops and HQ, one port per shop (so a trigger knows whose
/// request it sees). Its faults apply per connection; a fired trigger is sent on `fired`
/// and answered (the victim is dead) on the oneshot.
#[derive(Clone)]
struct Link {
    ports: Vec<u16>,
    state: Arc<std::sync::Mutex<LinkState>>,
    /// Connections that met a fault, by fault.
    seen: Arc<std::sync::Mutex<BTreeMap<Fault, u64>>>,
    stop: Arc<AtomicBool>,
    /// Triggers taken by a connection and not finished yet (victim dead and started again,
    /// or the connection ended before firing).
    pending: Arc<AtomicI64>,
}

type Fired = (Trigger, usize, tokio::sync::oneshot::Sender<()>);

impl Link {
    async fn start(upstream: String, seed: u64, fired: mpsc::UnboundedSender<Fired>) -> Result<Link, ShopError> {
        let mut listeners = Vec::new();
        for _ in SHOPS {
            listeners.push(TcpListener::bind("127.0.0.1:0").await?);
        }
        let link = Link {
            ports: listeners.iter().map(|l| l.local_addr().map(|a| a.port())).collect::<Result<_, _>>()?,
            state: Arc::new(std::sync::Mutex::new(LinkState {
                upstream,
                faults: Vec::new(),
                armed: Vec::new(),
                turn: 0,
                rng: StdRng::seed_from_u64(seed ^ 0x11AA),
            })),
            seen: Arc::default(),
            stop: Arc::default(),
            pending: Arc::default(),
        };
        for (shop, listener) in listeners.into_iter().enumerate() {
            let (l, fired) = (link.clone(), fired.clone());
            tokio::spawn(async move {
                while !l.stop.load(Ordering::SeqCst) {
                    let Ok((client, _)) = listener.accept().await else { continue };
                    let (l, fired) = (l.clone(), fired.clone());
                    tokio::spawn(async move { l.serve(shop, client, fired).await });
                }
            });
        }
        Ok(link)
    }

    /// The HQ address shop `shop` is given.
    fn origin(&self, shop: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[shop])
    }

    fn with<T>(&self, f: impl FnOnce(&mut LinkState) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn saw(&self, fault: Fault) {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()).entry(fault).or_default() += 1;
    }

    async fn serve(&self, shop: usize, client: TcpStream, fired: mpsc::UnboundedSender<Fired>) {
        let mut head = vec![0u8; 2048];
        let Ok(Ok(len)) = tokio::time::timeout(Duration::from_secs(5), client.peek(&mut head)).await else { return };
        let head = String::from_utf8_lossy(&head[..len]).into_owned();
        let is_push = head.starts_with("POST /api/v1/sync/push");
        let is_snapshot = head.starts_with("GET /api/v1/sync/snapshot");
        if std::env::var_os("COMPTOIR_CHAOS_DEBUG").is_some() {
            eprintln!("link {shop}: {} armed {:?}", head.lines().next().unwrap_or(""), self.with(|s| s.armed.clone()));
        }
        let (upstream, trigger, fault, r) = self.with(|s| {
            let matches = |(t, target): &(Trigger, usize)| {
                *target == shop
                    && match t {
                        Trigger::ShopPush | Trigger::HqPush => is_push,
                        Trigger::ShopSnapshot | Trigger::HqSnapshot => is_snapshot,
                    }
            };
            let trigger = s.armed.iter().position(matches).map(|i| s.armed.remove(i).0);
            // Every connection of the window meets a fault, in turn, so that each fault of
            // the plan is met even when only a few requests cross the link.
            let fault = if trigger.is_none() && !s.faults.is_empty() {
                s.turn += 1;
                Some(s.faults[s.turn % s.faults.len()])
            } else {
                None
            };
            (s.upstream.clone(), trigger, fault, s.rng.random::<u64>())
        });
        let Ok(server) = TcpStream::connect(&upstream).await else { return };
        let mut opts = Relay::default();
        if let Some(t) = trigger {
            self.pending.fetch_add(1, Ordering::SeqCst);
            opts.pending = Some(self.pending.clone());
            let (tx, rx) = tokio::sync::oneshot::channel();
            match t {
                Trigger::ShopPush | Trigger::HqPush => opts.on_request = Some(((t, shop, tx), fired)),
                Trigger::ShopSnapshot | Trigger::HqSnapshot => {
                    opts.slow = true;
                    opts.on_answer_bytes = Some((1000 + r % 20_000, (t, shop, tx), fired));
                }
            }
            opts.hold_answer = (t == Trigger::ShopPush).then_some(rx);
        } else if let Some(f) = fault {
            self.saw(f);
            match f {
                Fault::Cut => opts.answer_limit = r % 4000,
                Fault::Truncate => opts.request_limit = r % 600,
                Fault::Stall => opts.stall = Some(Duration::from_millis(SHOP_TIMEOUT_SECONDS * 1000 + 500)),
                Fault::Slow => opts.slow = true,
                Fault::Duplicate => opts.replay_to = Some(upstream),
                _ => {}
            }
        }
        opts.run(client, server).await;
    }
}

struct Relay {
    answer_limit: u64,
    request_limit: u64,
    stall: Option<Duration>,
    slow: bool,
    replay_to: Option<String>,
    on_request: Option<(Fired, mpsc::UnboundedSender<Fired>)>,
    on_answer_bytes: Option<(u64, Fired, mpsc::UnboundedSender<Fired>)>,
    hold_answer: Option<tokio::sync::oneshot::Receiver<()>>,
    /// The link's count of unfinished triggers, when this connection took one.
    pending: Option<Arc<AtomicI64>>,
}

impl Default for Relay {
    fn default() -> Self {
        Relay {
            answer_limit: u64::MAX,
            request_limit: u64::MAX,
            stall: None,
            slow: false,
            replay_to: None,
            on_request: None,
            on_answer_bytes: None,
            hold_answer: None,
            pending: None,
        }
    }
}

impl Relay {
    async fn run(mut self, client: TcpStream, server: TcpStream) {
        if let Some(d) = self.stall {
            // Nothing passes; the shop's time limit ends the call first.
            tokio::time::sleep(d).await;
            return;
        }
        let (mut cr, mut cw) = client.into_split();
        let (mut sr, mut sw) = server.into_split();
        let (request_limit, slow, replay_to) = (self.request_limit, self.slow, self.replay_to.take());
        let on_request = self.on_request.take();
        let pending = self.pending.clone();
        let up = tokio::spawn(async move {
            let mut captured = Vec::new();
            let mut sent = 0u64;
            let mut buf = vec![0u8; 16 * 1024];
            let mut on_request = on_request;
            loop {
                let n = match cr.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let allowed = (request_limit - sent).min(n as u64) as usize;
                if allowed > 0 && sw.write_all(&buf[..allowed]).await.is_err() {
                    break;
                }
                sent += allowed as u64;
                if replay_to.is_some() && captured.len() < 1 << 20 {
                    captured.extend_from_slice(&buf[..n]);
                }
                if let Some((f, fired)) = on_request.take() {
                    let _ = fired.send(f);
                }
                if sent >= request_limit {
                    // Truncated: HQ saw the beginning of the request only.
                    let _ = sw.shutdown().await;
                    return;
                }
                if slow {
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
            }
            let _ = sw.shutdown().await;
            if on_request.is_some()
                && let Some(p) = &pending
            {
                // The request ended before the trigger fired: nothing is killed.
                p.fetch_sub(1, Ordering::SeqCst);
            }
            if let Some(addr) = replay_to {
                replay(&addr, &captured).await;
            }
        });
        if let Some(hold) = self.hold_answer.take() {
            // HQ has the push; the shop dies before the answer reaches it.
            let _ = tokio::time::timeout(Duration::from_secs(10), hold).await;
        }
        let mut sent = 0u64;
        let mut buf = vec![0u8; if self.slow { 256 } else { 16 * 1024 }];
        let mut on_bytes = self.on_answer_bytes.take();
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut chunk = buf[..n].to_vec();
            if sent == 0 {
                // One request per connection, so that each request meets its own fault or
                // trigger: the client is told not to reuse the connection.
                if let Some(eol) = chunk.windows(2).position(|w| w == b"\r\n") {
                    chunk.splice(eol + 2..eol + 2, b"connection: close\r\n".iter().copied());
                }
            }
            let n = chunk.len();
            let allowed = (self.answer_limit - sent).min(n as u64) as usize;
            if allowed > 0 && cw.write_all(&chunk[..allowed]).await.is_err() {
                break;
            }
            sent += allowed as u64;
            if sent >= self.answer_limit {
                break;
            }
            if let Some((after, ..)) = &on_bytes
                && sent >= *after
                && let Some((_, f, fired)) = on_bytes.take()
            {
                let _ = fired.send(f);
            }
            if self.slow {
                tokio::time::sleep(Duration::from_millis(4)).await;
            }
        }
        if on_bytes.is_some()
            && let Some(p) = &self.pending
        {
            p.fetch_sub(1, Ordering::SeqCst);
        }
        up.abort();
        let _ = cw.shutdown().await;
    }
}

/// Sends `bytes` (the requests a connection carried) to HQ once more; the answer is read
/// and dropped.
async fn replay(addr: &str, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(bytes).await?;
        s.shutdown().await?;
        let mut sink = Vec::new();
        s.read_to_end(&mut sink).await?;
        Ok::<_, std::io::Error>(())
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------

/// A `comptoir ... serve` child and the address it printed.
struct Proc {
    child: Child,
    /// `http://127.0.0.1:PORT/api/v1`
    base: String,
}

impl Proc {
    async fn start(spec: &ProcSpec) -> Result<Proc, ShopError> {
        let (args, env) = (&spec.args, &spec.env);
        let exe = std::env::current_exe()?;
        let stderr = std::fs::OpenOptions::new().create(true).append(true).open(&spec.stderr)?;
        let mut child = Command::new(exe)
            .args(args)
            .env("LANG", "C")
            .env("COMPTOIR_SHOP_LOG__STDOUT", "false")
            .env("COMPTOIR_HQ_LOG__STDOUT", "false")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()?;
        let mut lines = BufReader::new(child.stdout.take().ok_or_else(|| harness("no stdout"))?).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .map_err(|_| harness(format!("{args:?} did not start within 30 s")))??
            .unwrap_or_default();
        let base = line
            .split("listening on ")
            .nth(1)
            .ok_or_else(|| harness(format!("{args:?} said {line:?}")))?
            .trim()
            .to_string();
        Ok(Proc { child, base })
    }

    async fn kill(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// SIGTERM and wait: a clean stop.
    async fn stop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
        }
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.is_err() {
            self.kill().await;
        }
    }
}

struct ProcSpec {
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// The process's standard error goes there (appended across restarts).
    stderr: PathBuf,
}

/// The round's processes; a shop's or HQ's base changes when it starts again.
struct Chain {
    hq: Proc,
    hq_spec: ProcSpec,
    shops: Vec<Proc>,
    shop_specs: Vec<ProcSpec>,
}

// ---------------------------------------------------------------------------------------
// Template chain
// ---------------------------------------------------------------------------------------

/// An HQ with the catalog and the two shops enrolled, their registers and cashier made,
/// every database checkpointed so that a plain file copy is a consistent chain.
async fn template(root: &Path) -> Result<PathBuf, ShopError> {
    let dir = root.join("template");
    let hq = HqProcess::start(&dir, None).await?;
    hq.import_catalog(catalog_csv(ARTICLES)).await?;
    let config = ShopConfig::default();
    for code in SHOPS {
        let token = hq.add_shop(code).await?;
        let d = dir.join(code);
        Shop::init(&d, code, code, ADMIN, PASSWORD)?;
        let shop = Shop::open(&d, config.clone())?;
        shop.store
            .write(|tx| {
                for r in REGISTERS {
                    comptoir_shop::staff::create_register(
                        tx,
                        comptoir_shop::staff::NewRegister { code: r.into(), name: format!("Caisse {r}") },
                    )?;
                }
                comptoir_shop::staff::create_user(
                    tx,
                    comptoir_shop::staff::NewUser {
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
        drop(shop);
        let (shop, _) = comptoir_shop::sync::enrol::enroll(&d, &hq.origin, &token, None, config.clone()).await?;
        let agent = SyncAgent::for_shop(&shop).await?;
        agent.take_snapshot(&|_, _| {}).await?;
        // The shop's customer (card CODE-000001), sent to HQ in the first round.
        let name = format!("Client {code}");
        shop.store
            .write(move |tx| {
                comptoir_shop::customers::create_customer(
                    tx,
                    comptoir_shop::customers::NewCustomer { name, email: None, phone: None, group: None },
                    true,
                )
                .map(|_| ())
            })
            .await?;
    }
    drop(hq);
    tokio::time::sleep(Duration::from_millis(200)).await;
    for db in sqlite_files(&dir)? {
        let c = rusqlite::Connection::open(&db)?;
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    Ok(dir)
}

fn sqlite_files(dir: &Path) -> Result<Vec<PathBuf>, ShopError> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            out.extend(sqlite_files(&p)?);
        } else if p.extension().is_some_and(|x| x == "sqlite" || x == "db") {
            out.push(p);
        }
    }
    Ok(out)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), ShopError> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let (p, t) = (e.path(), to.join(e.file_name()));
        if p.is_dir() {
            if e.file_name() != "logs" {
                copy_dir(&p, &t)?;
            }
        } else if !p.to_string_lossy().ends_with("-shm") {
            std::fs::copy(&p, &t)?;
        }
    }
    Ok(())
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() { dir_size(&p) } else { e.metadata().map(|m| m.len()).unwrap_or(0) }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// A small tmpfs at `dir`, so that the disk can really fill up.
fn mount_tmpfs(dir: &Path, bytes: u64) -> Result<(), ShopError> {
    std::fs::create_dir_all(dir)?;
    let out = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={}k", bytes.div_ceil(1024)), "comptoir-chaos"])
        .arg(dir)
        .output()?;
    if !out.status.success() {
        return Err(harness(format!(
            "the disk-full fault mounts a small tmpfs and needs root: mount said {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

fn unmount(dir: &Path) {
    let _ = std::process::Command::new("umount").arg("-l").arg(dir).status();
}

/// Writes a filler file until the disk is full.
fn fill(dir: &Path) -> Result<(), ShopError> {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("filler"))?;
    let block = vec![0xA5u8; 64 * 1024];
    loop {
        match f.write(&block) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => return Err(e.into()),
        }
    }
    // The last bytes of a partial block.
    for _ in 0..64 {
        if f.write(&block[..1024]).is_err() {
            break;
        }
    }
    let _ = f.sync_all();
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Ledgers and reconciliation
// ---------------------------------------------------------------------------------------

/// What is compared between a shop and HQ after a round. Each ledger lists its entries on
/// both sides as (key, value); `source` is the side where entries are made (a ticket at the
/// shop, an article at HQ). A new ledger (stock, loyalty) is a new variant and its two
/// listings: the comparison is the same for all.
#[derive(Debug, Clone, Copy)]
enum Ledger {
    /// Ticket id → number, total, hash.
    Tickets,
    /// Register → sequence and hash of its last ticket.
    ChainHeads,
    /// SKU → price (HQ's catalog as the shop holds it after snapshots killed halfway).
    Catalog,
    /// SKU → stock level of every article the shop's tickets sold: a level is the sum of its
    /// movements, so a movement lost or counted twice on the way shows as a difference.
    Stock,
    /// Loyalty entry id → points, of the customers the shop's tickets named (each shop has its
    /// own customer, made in the template: every other sale names it and earns points).
    Loyalty,
}

const LEDGERS: [Ledger; 5] = [Ledger::Tickets, Ledger::ChainHeads, Ledger::Catalog, Ledger::Stock, Ledger::Loyalty];

#[derive(Debug, Default, Clone)]
struct Mismatch {
    lost: usize,
    duplicated: usize,
    extra: usize,
    differing: usize,
    details: Vec<String>,
}

impl Ledger {
    fn name(self) -> &'static str {
        match self {
            Ledger::Tickets => "tickets",
            Ledger::ChainHeads => "chain heads",
            Ledger::Catalog => "catalog",
            Ledger::Stock => "stock",
            Ledger::Loyalty => "loyalty",
        }
    }

    fn source_is_shop(self) -> bool {
        !matches!(self, Ledger::Catalog)
    }

    async fn at_shop(self, c: &Client, base: &str) -> Result<Vec<(String, String)>, ShopError> {
        match self {
            Ledger::Tickets => Ok(ticket_entries(&c.all(&format!("{base}/tickets")).await?)),
            Ledger::ChainHeads => Ok(chain_heads(&c.all(&format!("{base}/tickets")).await?)),
            Ledger::Catalog => Ok(article_entries(&c.all(&format!("{base}/articles")).await?)),
            Ledger::Stock => {
                let mut out = Vec::new();
                for sku in sold_skus(&c.all(&format!("{base}/tickets")).await?) {
                    let level = c.get(&format!("{base}/stock?sku={sku}")).await?;
                    out.push((sku, level["quantity"].to_string()));
                }
                Ok(out)
            }
            Ledger::Loyalty => loyalty_entries(c, base, &c.all(&format!("{base}/tickets")).await?).await,
        }
    }

    async fn at_hq(self, c: &Client, base: &str, shop: &str) -> Result<Vec<(String, String)>, ShopError> {
        match self {
            Ledger::Tickets => Ok(ticket_entries(&c.all(&format!("{base}/tickets?shop={shop}")).await?)),
            Ledger::ChainHeads => Ok(chain_heads(&c.all(&format!("{base}/tickets?shop={shop}")).await?)),
            Ledger::Catalog => Ok(article_entries(&c.all(&format!("{base}/articles")).await?)),
            Ledger::Stock => {
                let mut out = Vec::new();
                for sku in sold_skus(&c.all(&format!("{base}/tickets?shop={shop}")).await?) {
                    let chain = c.get(&format!("{base}/stock?sku={sku}")).await?;
                    let level = chain["shops"]
                        .as_array()
                        .and_then(|l| l.iter().find(|s| s["shop"] == shop))
                        .map(|s| s["quantity"].to_string())
                        .unwrap_or_else(|| "none".into());
                    out.push((sku, level));
                }
                Ok(out)
            }
            Ledger::Loyalty => loyalty_entries(c, base, &c.all(&format!("{base}/tickets?shop={shop}")).await?).await,
        }
    }

    fn compare(self, shop: &[(String, String)], hq: &[(String, String)]) -> Mismatch {
        let (source, copy) = if self.source_is_shop() { (shop, hq) } else { (hq, shop) };
        let mut m = Mismatch::default();
        let count = |side: &[(String, String)]| {
            let mut map: BTreeMap<String, (usize, String)> = BTreeMap::new();
            for (k, v) in side {
                let e = map.entry(k.clone()).or_insert((0, v.clone()));
                e.0 += 1;
            }
            map
        };
        let (src, cp) = (count(source), count(copy));
        for (k, (n, _)) in src.iter().chain(cp.iter()) {
            if *n > 1 {
                m.duplicated += n - 1;
                m.details.push(format!("{}: {k} {n} times", self.name()));
            }
        }
        for (k, (_, v)) in &src {
            match cp.get(k) {
                None => {
                    m.lost += 1;
                    m.details.push(format!("{}: {k} lost", self.name()));
                }
                Some((_, w)) if w != v => {
                    m.differing += 1;
                    m.details.push(format!("{}: {k} is {v} at the source, {w} in the copy", self.name()));
                }
                _ => {}
            }
        }
        for k in cp.keys() {
            if !src.contains_key(k) {
                m.extra += 1;
                m.details.push(format!("{}: {k} was never made at the source", self.name()));
            }
        }
        m
    }
}

fn ticket_entries(items: &[serde_json::Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap_or("?").to_string(),
                format!("{} {} {}", t["number"].as_str().unwrap_or("?"), t["total"], t["hash"].as_str().unwrap_or("?")),
            )
        })
        .collect()
}

fn chain_heads(items: &[serde_json::Value]) -> Vec<(String, String)> {
    let mut heads: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for t in items {
        let register = t["register"].as_str().unwrap_or("?").to_string();
        let seq = t["sequence"].as_i64().unwrap_or(-1);
        let hash = t["hash"].as_str().unwrap_or("?").to_string();
        let e = heads.entry(register).or_insert((seq, hash.clone()));
        if seq > e.0 {
            *e = (seq, hash);
        }
    }
    heads.into_iter().map(|(r, (s, h))| (r, format!("{s} {h}"))).collect()
}

/// The loyalty entries a shop made for the customers its tickets named, as `base` (the
/// shop's API or HQ's) holds them.
async fn loyalty_entries(
    c: &Client,
    base: &str,
    tickets: &[serde_json::Value],
) -> Result<Vec<(String, String)>, ShopError> {
    let named: std::collections::BTreeSet<(String, String)> = tickets
        .iter()
        .filter_map(|t| Some((t["customer"].as_str()?.to_string(), t["shop"].as_str()?.to_string())))
        .collect();
    let mut out = Vec::new();
    for (customer, shop) in named {
        let view = c.get(&format!("{base}/customers/{customer}/loyalty")).await?;
        for e in view["entries"].as_array().cloned().unwrap_or_default() {
            if e["shop"] == shop.as_str() {
                out.push((e["id"].as_str().unwrap_or("?").to_string(), e["points"].to_string()));
            }
        }
    }
    Ok(out)
}

/// The SKUs the tickets' lines name, each once.
fn sold_skus(tickets: &[serde_json::Value]) -> Vec<String> {
    let skus: std::collections::BTreeSet<String> = tickets
        .iter()
        .flat_map(|t| t["lines"].as_array().cloned().unwrap_or_default())
        .filter_map(|l| l["sku"].as_str().map(str::to_string))
        .collect();
    skus.into_iter().collect()
}

fn article_entries(items: &[serde_json::Value]) -> Vec<(String, String)> {
    items.iter().map(|a| (a["sku"].as_str().unwrap_or("?").to_string(), a["price"].to_string())).collect()
}

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
}

impl Client {
    /// GET as admin; a request that gets no answer is tried again for a few seconds (a
    /// loaded machine, a process starting again), an error status is not.
    async fn get(&self, url: &str) -> Result<serde_json::Value, ShopError> {
        let mut tries = 0;
        let r = loop {
            match self.http.get(url).basic_auth(ADMIN, Some(PASSWORD)).send().await {
                Ok(r) => break r,
                Err(e) if tries >= 10 => return Err(harness(format!("{url}: {e}"))),
                Err(_) => tries += 1,
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        let status = r.status();
        let body = r.text().await.map_err(|e| harness(format!("{url}: {e}")))?;
        if !status.is_success() {
            return Err(harness(format!("{url} answered {status}: {body}")));
        }
        serde_json::from_str(&body).map_err(|e| harness(format!("{url}: {e}")))
    }

    /// Every item of a paginated list.
    async fn all(&self, url: &str) -> Result<Vec<serde_json::Value>, ShopError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        let sep = if url.contains('?') { '&' } else { '?' };
        loop {
            let page_url = match &after {
                Some(a) => format!("{url}{sep}limit=1000&after={a}"),
                None => format!("{url}{sep}limit=1000"),
            };
            let page = self.get(&page_url).await?;
            out.extend(page["items"].as_array().cloned().unwrap_or_default());
            match &page["next"] {
                serde_json::Value::Number(n) => after = Some(n.to_string()),
                serde_json::Value::String(s) => after = Some(s.clone()),
                _ => return Ok(out),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// A round
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default)]
pub struct RoundResult {
    pub seed: u64,
    pub faults: Vec<Fault>,
    /// Link connections that met each fault, kills that fired.
    pub seen: BTreeMap<Fault, u64>,
    pub tickets: usize,
    pub lost: usize,
    pub duplicated: usize,
    /// Sales the full disk refused with 507 `disk_full`.
    pub refused_disk_full: usize,
    /// Anything else wrong (extra or differing entries, an unexpected answer, no convergence).
    pub failures: Vec<String>,
    pub seconds: f64,
}

impl RoundResult {
    pub fn ok(&self) -> bool {
        self.lost == 0 && self.duplicated == 0 && self.failures.is_empty()
    }
}

fn sale_body(id: Uuid, k: usize) -> serde_json::Value {
    let sku = |m: usize| format!("A{:05}", 1 + (k * m) % ARTICLES);
    // Sale k is made at shop k % SHOPS; every other one names that shop's customer.
    let customer = (k / SHOPS.len()).is_multiple_of(2).then(|| format!("{}-000001", SHOPS[k % SHOPS.len()]));
    serde_json::json!({
        "customer": customer,
        "id": id,
        "register": REGISTERS[(k / SHOPS.len()) % REGISTERS.len()],
        "cashier": "C1",
        "lines": [{"sku": sku(7), "qty": 1 + k % 3}, {"sku": sku(13), "qty": 1}],
        "payments": [{"method": "cash", "amount": 100_000}],
    })
}

enum Posted {
    Acknowledged,
    DiskFull,
    /// No answer: the shop is being killed or restarted.
    NoAnswer,
}

async fn post_sale(c: &Client, base: &str, body: &serde_json::Value) -> Result<Posted, String> {
    let r = match c.http.post(format!("{base}/tickets")).basic_auth(ADMIN, Some(PASSWORD)).json(body).send().await {
        Ok(r) => r,
        Err(_) => return Ok(Posted::NoAnswer),
    };
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    match status {
        200 | 201 => Ok(Posted::Acknowledged),
        507 if text.contains("\"disk_full\"") => Ok(Posted::DiskFull),
        _ => Err(format!("sale {} answered {status}: {text}", body["id"])),
    }
}

pub async fn round(template: &Path, root: &Path, seed: u64, sales: usize) -> Result<RoundResult, ShopError> {
    let started = Instant::now();
    let plan = Plan::draw(seed, sales);
    if std::env::var_os("COMPTOIR_CHAOS_DEBUG").is_some() {
        eprintln!("plan of seed {seed}: {plan:?}");
    }
    let mut result = RoundResult { seed, faults: plan.faults(), ..RoundResult::default() };
    let dir = root.join(format!("round-{seed}"));
    let _ = std::fs::remove_dir_all(&dir);
    let full_dir = plan.disk_full.map(|(s, _, _)| dir.join(SHOPS[s]));
    if let Some(d) = &full_dir {
        let size = dir_size(&template.join(d.file_name().unwrap_or_default()));
        mount_tmpfs(d, size + 3 * 1024 * 1024)?;
    }
    let outcome = run_round(template, &dir, &plan, &mut result).await;
    if outcome.is_err() || !result.ok() {
        // What the processes said on standard error (a panic, a refusal to start).
        for name in ["hq"].into_iter().chain(SHOPS) {
            let text = std::fs::read_to_string(dir.join(format!("{name}.stderr"))).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            for line in tail.into_iter().rev() {
                eprintln!("  {name} stderr: {line}");
            }
        }
    }
    if let Some(d) = &full_dir {
        unmount(d);
    }
    let _ = std::fs::remove_dir_all(&dir);
    outcome?;
    result.seconds = started.elapsed().as_secs_f64();
    Ok(result)
}

async fn run_round(template: &Path, dir: &Path, plan: &Plan, result: &mut RoundResult) -> Result<(), ShopError> {
    copy_dir(template, dir)?;
    let http =
        reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(|e| harness(e.to_string()))?;
    let c = Client { http };

    let hq_dir = dir.join("hq").display().to_string();
    let hq_spec = ProcSpec {
        args: ["hq", "serve", "--data-dir", &hq_dir, "--listen", "127.0.0.1:0"].map(String::from).to_vec(),
        env: Vec::new(),
        stderr: dir.join("hq.stderr"),
    };
    let hq = Proc::start(&hq_spec).await?;
    let (fired_tx, mut fired_rx) = mpsc::unbounded_channel::<Fired>();
    let link = Link::start(authority(&hq.base), result.seed, fired_tx).await?;
    let mut shops = Vec::new();
    let mut shop_specs = Vec::new();
    for (i, code) in SHOPS.iter().enumerate() {
        let d = dir.join(code);
        let db = rusqlite::Connection::open(d.join(comptoir_shop::store::DB_FILE))?;
        db.execute("UPDATE hq_link SET url = ?1", [link.origin(i)])?;
        drop(db);
        let d = d.display().to_string();
        let spec = ProcSpec {
            args: ["shop", "serve", "--data-dir", &d, "--listen", "127.0.0.1:0"].map(String::from).to_vec(),
            env: [
                ("COMPTOIR_SHOP_SYNC__BACKOFF_INITIAL_SECONDS", "1".to_string()),
                ("COMPTOIR_SHOP_SYNC__BACKOFF_MAX_SECONDS", "1".to_string()),
                ("COMPTOIR_SHOP_SYNC__REQUEST_TIMEOUT_SECONDS", SHOP_TIMEOUT_SECONDS.to_string()),
                ("COMPTOIR_SHOP_SYNC__PING_TIMEOUT_SECONDS", "1".to_string()),
                ("COMPTOIR_SHOP_SYNC__PULL_WAIT_SECONDS", "1".to_string()),
                ("COMPTOIR_SHOP_SYNC__PUSH_INTERVAL_SECONDS", "1".to_string()),
                ("COMPTOIR_SHOP_SYNC__BATCH_SIZE", "4".to_string()),
                ("COMPTOIR_SHOP_TEST_CLOCK_OFFSET_SECONDS", plan.skew[i].to_string()),
            ]
            .map(|(k, v)| (k.to_string(), v))
            .to_vec(),
            stderr: dir.join(format!("{code}.stderr")),
        };
        shops.push(Proc::start(&spec).await?);
        shop_specs.push(spec);
    }
    let chain = Arc::new(Mutex::new(Chain { hq, hq_spec, shops, shop_specs }));
    for skew in plan.skew.iter().filter(|s| **s != 0) {
        let _ = skew;
        link.saw(Fault::ClockSkew);
    }

    // The killer: a fired trigger kills its victim, answers the link, starts it again.
    let killer = {
        let (chain, link) = (chain.clone(), link.clone());
        let mut rng = StdRng::seed_from_u64(result.seed ^ 0x4B11);
        tokio::spawn(async move {
            while let Some((trigger, victim, done)) = fired_rx.recv().await {
                let wait = Duration::from_millis(rng.random_range(0..25));
                tokio::time::sleep(wait).await;
                let mut ch = chain.lock().await;
                match trigger {
                    Trigger::ShopPush | Trigger::ShopSnapshot => ch.shops[victim].kill().await,
                    Trigger::HqPush | Trigger::HqSnapshot => ch.hq.kill().await,
                }
                link.saw(match trigger {
                    Trigger::ShopPush => Fault::KillShopMidPush,
                    Trigger::HqPush => Fault::KillHqMidPush,
                    Trigger::ShopSnapshot => Fault::KillShopMidSnapshot,
                    Trigger::HqSnapshot => Fault::KillHqMidSnapshot,
                });
                let _ = done.send(());
                tokio::time::sleep(Duration::from_millis(rng.random_range(50..300))).await;
                let restarted = match trigger {
                    Trigger::ShopPush | Trigger::ShopSnapshot => {
                        let spec = &ch.shop_specs[victim];
                        Proc::start(spec).await.map(|p| ch.shops[victim] = p)
                    }
                    Trigger::HqPush | Trigger::HqSnapshot => {
                        let spec = &ch.hq_spec;
                        match Proc::start(spec).await {
                            Ok(p) => {
                                link.with(|s| s.upstream = authority(&p.base));
                                ch.hq = p;
                                Ok(())
                            }
                            Err(e) => Err(e),
                        }
                    }
                };
                if let Err(e) = restarted {
                    eprintln!("chaos: could not start again after {trigger:?}: {e}");
                }
                link.pending.fetch_sub(1, Ordering::SeqCst);
            }
        })
    };

    // The register: sales in turn at each shop, faults switched at their sale numbers.
    let mut rng = StdRng::seed_from_u64(result.seed ^ 0x5A1E);
    let mut unanswered: Vec<(usize, serde_json::Value)> = Vec::new();
    let mut acknowledged: Vec<(usize, Uuid)> = Vec::new();
    let mut disk_full_now = false;
    let mut failures = Vec::new();
    for k in 0..plan.sales {
        if k == plan.link_from {
            link.with(|s| s.faults = plan.link.clone());
        }
        if k == plan.link_to {
            link.with(|s| s.faults.clear());
        }
        if let Some((s, from, to)) = plan.disk_full {
            let d = dir.join(SHOPS[s]);
            if k == from {
                fill(&d)?;
                disk_full_now = true;
                link.saw(Fault::DiskFull);
            }
            if k == to {
                std::fs::remove_file(d.join("filler"))?;
                disk_full_now = false;
            }
        }
        for (_, fault, shop) in plan.events.iter().filter(|e| e.0 == k) {
            let trigger = match fault {
                Fault::KillShopMidPush => Trigger::ShopPush,
                Fault::KillHqMidPush => Trigger::HqPush,
                Fault::KillShopMidSnapshot => Trigger::ShopSnapshot,
                Fault::KillHqMidSnapshot => Trigger::HqSnapshot,
                Fault::HqRestart => {
                    let mut ch = chain.lock().await;
                    ch.hq.stop().await;
                    let p = Proc::start(&ch.hq_spec).await?;
                    link.with(|s| s.upstream = authority(&p.base));
                    ch.hq = p;
                    link.saw(Fault::HqRestart);
                    continue;
                }
                _ => continue,
            };
            link.with(|s| s.armed.push((trigger, *shop)));
            if matches!(trigger, Trigger::ShopSnapshot | Trigger::HqSnapshot) {
                // A catalog re-sync job makes the shop take a snapshot now.
                // HQ may be starting again: try for a few seconds.
                let job = serde_json::json!({"kind": "resync_catalog", "shops": [SHOPS[*shop]]});
                for _ in 0..30 {
                    let hq_base = chain.lock().await.hq.base.clone();
                    let sent =
                        c.http.post(format!("{hq_base}/jobs")).basic_auth(ADMIN, Some(PASSWORD)).json(&job).send();
                    if sent.await.is_ok_and(|r| r.status().is_success()) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        let shop = k % SHOPS.len();
        let body = sale_body(Uuid::now_v7(), k);
        let base = chain.lock().await.shops[shop].base.clone();
        match post_sale(&c, &base, &body).await {
            Ok(Posted::Acknowledged) => acknowledged.push((shop, uuid_of(&body))),
            Ok(Posted::DiskFull) if disk_full_now && plan.disk_full.is_some_and(|(s, _, _)| s == shop) => {
                result.refused_disk_full += 1;
            }
            Ok(Posted::DiskFull) => failures.push(format!("sale {k} refused for a full disk at {}", SHOPS[shop])),
            Ok(Posted::NoAnswer) => unanswered.push((shop, body)),
            Err(e) => failures.push(e),
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(5..40))).await;
    }

    // Before healing, every fault of the plan is met (bounded): a link fault no connection
    // met yet stays on alone, an armed trigger waits (the shop may be in a back-off), and a
    // sale now and then makes the traffic they need.
    let until = Instant::now() + Duration::from_secs(8);
    let mut nudge = Instant::now();
    let mut extra = SHOPS.len();
    loop {
        let seen = link.seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let unmet: Vec<Fault> = plan.link.iter().copied().filter(|f| !seen.contains_key(f)).collect();
        link.with(|s| s.faults.clone_from(&unmet));
        let armed = link.with(|s| s.armed.clone());
        let done = unmet.is_empty() && armed.is_empty() && link.pending.load(Ordering::SeqCst) <= 0;
        if done || Instant::now() > until {
            break;
        }
        let push_target = armed.iter().find(|(t, _)| matches!(t, Trigger::ShopPush | Trigger::HqPush)).map(|a| a.1);
        if (push_target.is_some() || !unmet.is_empty()) && nudge.elapsed() > Duration::from_millis(700) {
            nudge = Instant::now();
            let shop = push_target.unwrap_or(extra % SHOPS.len());
            let body = sale_body(Uuid::now_v7(), extra * SHOPS.len() + shop);
            extra += 1;
            let base = chain.lock().await.shops[shop].base.clone();
            match post_sale(&c, &base, &body).await {
                Ok(Posted::Acknowledged) => acknowledged.push((shop, uuid_of(&body))),
                Ok(_) => unanswered.push((shop, body)),
                Err(e) => failures.push(e),
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Heal: the link passes everything, space returns, the processes are up.
    link.with(|s| s.faults.clear());
    link.with(|s| s.armed.clear());
    if let Some((s, _, _)) = plan.disk_full {
        let _ = std::fs::remove_file(dir.join(SHOPS[s]).join("filler"));
    }
    // A trigger still armed never fired; one that fired is finished once the killer idles.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let _ = chain.lock().await;
    // The register posts again what got no answer, with the same id, and one more sale at
    // each shop (the full disk's shop sells again).
    let deadline = Instant::now() + Duration::from_secs(30);
    for (shop, body) in unanswered.into_iter().chain((0..SHOPS.len()).map(|s| (s, sale_body(Uuid::now_v7(), s)))) {
        loop {
            let base = chain.lock().await.shops[shop].base.clone();
            match post_sale(&c, &base, &body).await {
                Ok(Posted::Acknowledged) => {
                    acknowledged.push((shop, uuid_of(&body)));
                    break;
                }
                Ok(Posted::DiskFull) => {
                    failures.push(format!("{} still refuses sales once space returned", SHOPS[shop]))
                }
                Ok(Posted::NoAnswer) => {}
                Err(e) => failures.push(e),
            }
            if Instant::now() > deadline || !failures.is_empty() {
                failures.push(format!("sale {} never acknowledged", body["id"]));
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // HQ catches up: the same ticket ids on both sides (or the deadline).
    let converge_deadline = Instant::now() + Duration::from_secs(40);
    let mut converged = false;
    while Instant::now() < converge_deadline {
        let (shop_bases, hq_base) = {
            let ch = chain.lock().await;
            (ch.shops.iter().map(|p| p.base.clone()).collect::<Vec<_>>(), ch.hq.base.clone())
        };
        let mut all = true;
        for (i, base) in shop_bases.iter().enumerate() {
            let (Ok(a), Ok(b)) =
                (Ledger::Tickets.at_shop(&c, base).await, Ledger::Tickets.at_hq(&c, &hq_base, SHOPS[i]).await)
            else {
                all = false;
                break;
            };
            let mut ka: Vec<&String> = a.iter().map(|e| &e.0).collect();
            let mut kb: Vec<&String> = b.iter().map(|e| &e.0).collect();
            ka.sort();
            kb.sort();
            if ka != kb {
                all = false;
                break;
            }
            // A sale's stock movements and loyalty entries follow its ticket in the outbox:
            // wait for them too.
            for ledger in [Ledger::Stock, Ledger::Loyalty] {
                let (Ok(mut a), Ok(mut b)) =
                    (ledger.at_shop(&c, base).await, ledger.at_hq(&c, &hq_base, SHOPS[i]).await)
                else {
                    all = false;
                    break;
                };
                a.sort();
                b.sort();
                if a != b {
                    all = false;
                    break;
                }
            }
            if !all {
                break;
            }
        }
        if all {
            converged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if !converged {
        failures.push("HQ did not catch up with the shops within 40 s".into());
    }

    // Reconcile every ledger of every shop.
    let (shop_bases, hq_base) = {
        let ch = chain.lock().await;
        (ch.shops.iter().map(|p| p.base.clone()).collect::<Vec<_>>(), ch.hq.base.clone())
    };
    for (i, base) in shop_bases.iter().enumerate() {
        let shop_tickets = c.all(&format!("{base}/tickets")).await?;
        let ids: std::collections::HashSet<&str> = shop_tickets.iter().filter_map(|t| t["id"].as_str()).collect();
        for (_, id) in acknowledged.iter().filter(|(s, _)| *s == i) {
            if !ids.contains(id.to_string().as_str()) {
                result.lost += 1;
                failures.push(format!("{}: acknowledged sale {id} is not in the shop's database", SHOPS[i]));
            }
        }
        for ledger in LEDGERS {
            let m = ledger.compare(&ledger.at_shop(&c, base).await?, &ledger.at_hq(&c, &hq_base, SHOPS[i]).await?);
            if ledger.source_is_shop() {
                result.lost += m.lost;
                result.duplicated += m.duplicated;
            }
            if matches!(ledger, Ledger::Tickets) {
                result.tickets += shop_tickets.len();
            }
            if m.lost + m.duplicated + m.extra + m.differing > 0 {
                failures.extend(m.details.iter().take(10).map(|d| format!("{}: {d}", SHOPS[i])));
            }
        }
    }
    let shops_at_hq = c.get(&format!("{hq_base}/shops")).await?;
    for s in shops_at_hq.as_array().cloned().unwrap_or_default() {
        if s["chain_ok"] != serde_json::Value::Bool(true) {
            failures.push(format!("HQ reports a broken chain for {}", s["code"]));
        }
        if s["quarantined"].as_i64().unwrap_or(0) != 0 {
            failures.push(format!("HQ quarantined records of {}", s["code"]));
        }
    }

    killer.abort();
    let mut ch = chain.lock().await;
    for p in ch.shops.iter_mut() {
        p.kill().await;
    }
    ch.hq.kill().await;
    link.stop.store(true, Ordering::SeqCst);
    result.seen = link.seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    result.failures = failures;
    Ok(())
}

fn uuid_of(body: &serde_json::Value) -> Uuid {
    body["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default()
}

/// `127.0.0.1:PORT` of `http://127.0.0.1:PORT/api/v1`.
fn authority(base: &str) -> String {
    base.trim_start_matches("http://").split('/').next().unwrap_or_default().to_string()
}

/// The whole run: `rounds` rounds from `seed`; stops at the first failing round.
pub async fn chaos(rounds: u64, seed: Option<u64>, sales: usize) -> Result<Figures, ShopError> {
    let seed = seed.unwrap_or_else(|| rand::rng().random_range(0..1_000_000_000));
    println!("chaos: {rounds} rounds from seed {seed} (round i uses seed {seed} + i)");
    let tmp = tempdir()?;
    let template = template(tmp.path()).await?;
    let started = Instant::now();
    let mut faults: BTreeMap<Fault, u64> = BTreeMap::new();
    let mut seen: BTreeMap<Fault, u64> = BTreeMap::new();
    let (mut tickets, mut refused) = (0usize, 0usize);
    for i in 0..rounds {
        let s = seed.wrapping_add(i);
        let r = round(&template, tmp.path(), s, sales).await.map_err(|e| {
            harness(format!(
                "chaos round {} could not be run ({e}); replay it with: comptoir bench chaos --seed {s} --rounds 1",
                i + 1
            ))
        })?;
        for f in &r.faults {
            *faults.entry(*f).or_default() += 1;
        }
        for (f, n) in &r.seen {
            *seen.entry(*f).or_default() += n;
        }
        tickets += r.tickets;
        refused += r.refused_disk_full;
        let names: Vec<&str> = r.faults.iter().map(|f| f.name()).collect();
        println!(
            "round {:>4} seed {s}: {} tickets, lost {}, duplicated {}, {:.1} s [{}]{}",
            i + 1,
            r.tickets,
            r.lost,
            r.duplicated,
            r.seconds,
            names.join(" "),
            if r.ok() { "" } else { "  FAILED" }
        );
        if !r.ok() {
            for f in &r.failures {
                println!("  {f}");
            }
            return Err(harness(format!(
                "chaos round {} failed (lost {}, duplicated {}); replay it with: comptoir bench chaos --seed {s} --rounds 1",
                i + 1,
                r.lost,
                r.duplicated
            )));
        }
    }
    println!("faults planned (rounds) / met (connections, kills, fills):");
    for f in FAULTS {
        println!(
            "  {:<24} {:>6} {:>8}",
            f.name(),
            faults.get(&f).copied().unwrap_or(0),
            seen.get(&f).copied().unwrap_or(0)
        );
    }
    let mut figures: Figures = vec![
        ("rounds", rounds as f64),
        ("seed", seed as f64),
        ("tickets", tickets as f64),
        ("lost", 0.0),
        ("duplicated", 0.0),
        ("refused_disk_full", refused as f64),
        ("seconds", started.elapsed().as_secs_f64()),
    ];
    for f in FAULTS {
        figures.push((f.name(), seen.get(&f).copied().unwrap_or(0) as f64));
    }
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reconciliation_counts_lost_duplicated_extra_and_differing_entries() {
        let shop = entries(&[("t1", "a"), ("t2", "b"), ("t3", "c"), ("t4", "d")]);
        let hq = entries(&[("t1", "a"), ("t2", "b"), ("t2", "b"), ("t3", "x"), ("t9", "z")]);
        let m = Ledger::Tickets.compare(&shop, &hq);
        assert_eq!((m.lost, m.duplicated, m.extra, m.differing), (1, 1, 1, 1), "{:?}", m.details);
        // The catalog's source is HQ: what HQ has and the shop lacks is lost.
        let m = Ledger::Catalog.compare(&entries(&[("A1", "100")]), &entries(&[("A1", "100"), ("A2", "5")]));
        assert_eq!((m.lost, m.extra), (1, 0));
        let same = Ledger::Tickets.compare(&shop, &shop);
        assert_eq!(same.lost + same.duplicated + same.extra + same.differing, 0);
    }

    #[test]
    fn a_round_plan_is_drawn_from_its_seed_alone_and_always_injects_a_fault() {
        for seed in 0..200 {
            let (a, b) = (Plan::draw(seed, 24), Plan::draw(seed, 24));
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
            assert!(!a.faults().is_empty());
        }
    }

    #[test]
    fn chain_heads_are_each_registers_last_ticket() {
        let items = vec![
            serde_json::json!({"register": "R1", "sequence": 1, "hash": "h1"}),
            serde_json::json!({"register": "R1", "sequence": 2, "hash": "h2"}),
            serde_json::json!({"register": "R2", "sequence": 1, "hash": "k1"}),
        ];
        assert_eq!(chain_heads(&items), entries(&[("R1", "2 h2"), ("R2", "1 k1")]));
    }
}
