//! A TCP proxy between shops and HQ that can pass traffic through, cut connections at
//! random points, or refuse everything (the link is down).

use rand::Rng;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const PASS: u8 = 0;
/// Each connection, with probability 1/3, is cut after a random number of bytes.
pub const CHAOS: u8 = 1;
/// Connections are accepted and closed at once, and open ones (a client's pooled
/// keep-alive connection) carry nothing more: the link is down for them too.
pub const DOWN: u8 = 2;

pub struct Proxy {
    pub port: u16,
    mode: Arc<AtomicU8>,
    snapshot_cut: Arc<AtomicU64>,
    pub cuts: Arc<AtomicU64>,
}

impl Proxy {
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mode = Arc::new(AtomicU8::new(PASS));
        let snapshot_cut = Arc::new(AtomicU64::new(u64::MAX));
        let cuts = Arc::new(AtomicU64::new(0));
        let (m, c, n) = (mode.clone(), snapshot_cut.clone(), cuts.clone());
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { continue };
                let mode = m.load(Ordering::SeqCst);
                if mode == DOWN {
                    drop(client);
                    continue;
                }
                let limit = match mode {
                    CHAOS if rand::rng().random_range(0..3) == 0 => {
                        n.fetch_add(1, Ordering::SeqCst);
                        rand::rng().random_range(0..4000u64)
                    }
                    _ => u64::MAX,
                };
                let upstream = upstream.clone();
                let (c, n, m) = (c.clone(), n.clone(), m.clone());
                tokio::spawn(async move {
                    // Peek at the request: an armed snapshot cut applies to the snapshot's answer.
                    let mut first = vec![0u8; 4096];
                    let Ok(len) = client.peek(&mut first).await else { return };
                    let is_snapshot = String::from_utf8_lossy(&first[..len]).contains("/api/v1/sync/snapshot");
                    let limit = if is_snapshot {
                        let armed = c.swap(u64::MAX, Ordering::SeqCst);
                        if armed != u64::MAX {
                            n.fetch_add(1, Ordering::SeqCst);
                        }
                        armed.min(limit)
                    } else {
                        limit
                    };
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        relay(client, server, limit, m).await;
                    }
                });
            }
        });
        Proxy { port, mode, snapshot_cut, cuts }
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    /// The answer to the next snapshot request is cut after `bytes`.
    pub fn cut_next_snapshot_after(&self, bytes: u64) {
        self.snapshot_cut.store(bytes, Ordering::SeqCst);
    }
}

/// Copies both ways; the answer (server → client) is cut after `limit` bytes, and the
/// connection is dropped as soon as the link is set down.
async fn relay(client: TcpStream, server: TcpStream, limit: u64, mode: Arc<AtomicU8>) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let down = mode.clone();
    let up = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match cr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) if down.load(Ordering::SeqCst) == DOWN => break,
                Ok(n) => {
                    if sw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = sw.shutdown().await;
    });
    let mut sent = 0u64;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match sr.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) if mode.load(Ordering::SeqCst) == DOWN => break,
            Ok(n) => {
                let allowed = (limit - sent).min(n as u64) as usize;
                if allowed > 0 && cw.write_all(&buf[..allowed]).await.is_err() {
                    break;
                }
                sent += allowed as u64;
                if sent >= limit {
                    break;
                }
            }
        }
    }
    up.abort();
    let _ = cw.shutdown().await;
}
