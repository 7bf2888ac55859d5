//! The misbehaving link: a TCP proxy between each shop and HQ that cuts, stalls, slows,
//! duplicates or truncates what passes, and holds a push or a snapshot while a process is
//! killed.

use super::faults::Fault;
use super::{SHOP_TIMEOUT_SECONDS, SHOPS};
use comptoir_shop::ShopError;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Which process an armed trigger kills, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Trigger {
    /// Kill the shop while its push is at HQ; HQ's answer is held back until it is dead.
    ShopPush,
    /// Kill HQ right after a push request went through to it.
    HqPush,
    /// Kill the shop / HQ after some bytes of a snapshot passed.
    ShopSnapshot,
    HqSnapshot,
}

pub(super) struct LinkState {
    pub(super) upstream: String,
    pub(super) faults: Vec<Fault>,
    /// The trigger and the shop whose connections it watches.
    pub(super) armed: Vec<(Trigger, usize)>,
    pub(super) turn: usize,
    pub(super) rng: StdRng,
}

/// A TCP proxy between the shops and HQ, one port per shop (so a trigger knows whose
/// request it sees). Its faults apply per connection; a fired trigger is sent on `fired`
/// and answered (the victim is dead) on the oneshot.
#[derive(Clone)]
pub(super) struct Link {
    pub(super) ports: Vec<u16>,
    pub(super) state: Arc<std::sync::Mutex<LinkState>>,
    /// Connections that met a fault, by fault.
    pub(super) seen: Arc<std::sync::Mutex<BTreeMap<Fault, u64>>>,
    pub(super) stop: Arc<AtomicBool>,
    /// Triggers taken by a connection and not finished yet (victim dead and started again,
    /// or the connection ended before firing).
    pub(super) pending: Arc<AtomicI64>,
}

pub(super) type Fired = (Trigger, usize, tokio::sync::oneshot::Sender<()>);

impl Link {
    pub(super) async fn start(
        upstream: String,
        seed: u64,
        fired: mpsc::UnboundedSender<Fired>,
    ) -> Result<Link, ShopError> {
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
    pub(super) fn origin(&self, shop: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[shop])
    }

    pub(super) fn with<T>(&self, f: impl FnOnce(&mut LinkState) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub(super) fn saw(&self, fault: Fault) {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()).entry(fault).or_default() += 1;
    }

    pub(super) async fn serve(&self, shop: usize, client: TcpStream, fired: mpsc::UnboundedSender<Fired>) {
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

pub(super) struct Relay {
    pub(super) answer_limit: u64,
    pub(super) request_limit: u64,
    pub(super) stall: Option<Duration>,
    pub(super) slow: bool,
    pub(super) replay_to: Option<String>,
    pub(super) on_request: Option<(Fired, mpsc::UnboundedSender<Fired>)>,
    pub(super) on_answer_bytes: Option<(u64, Fired, mpsc::UnboundedSender<Fired>)>,
    pub(super) hold_answer: Option<tokio::sync::oneshot::Receiver<()>>,
    /// The link's count of unfinished triggers, when this connection took one.
    pub(super) pending: Option<Arc<AtomicI64>>,
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
    pub(super) async fn run(mut self, client: TcpStream, server: TcpStream) {
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
pub(super) async fn replay(addr: &str, bytes: &[u8]) {
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
