//! HQ's limits, over real HTTP: a flood gets 503 (never a crash), long-polled feeds have
//! their own bound and a time limit longer than their wait, every body-taking route stops
//! at `max_body_bytes`, and connections are bounded.

use comptoir_hq::{Hq, HqConfig, HqStorage};
use comptoir_hq_sqlite::SqliteStorage;
use comptoir_protocol::{HEADER_PROTOCOL, HEADER_VERSION};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PASSWORD: &str = "hq-admin-password";

struct TestHq {
    _dir: tempfile::TempDir,
    addr: std::net::SocketAddr,
    base: String,
    client: reqwest::Client,
}

impl TestHq {
    async fn start(config: HqConfig) -> TestHq {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn HqStorage> = Arc::new(SqliteStorage::create(&dir.path().join("hq.sqlite")).unwrap());
        let identity = comptoir_protocol::HqIdentity { id: uuid::Uuid::new_v4(), name: "Comptoir HQ".into() };
        storage.initialise(&identity, "admin", &comptoir_core::secret::hash_secret(PASSWORD)).await.unwrap();
        let hq = Hq::open(storage, config).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(comptoir_hq::server::serve(hq, listener, std::future::pending()));
        let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
        TestHq { _dir: dir, addr, base: format!("http://{addr}"), client }
    }

    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .header(HEADER_PROTOCOL, "1")
            .header(HEADER_VERSION, "0.1.0")
    }

    fn admin(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.req(method, path).basic_auth("admin", Some(PASSWORD))
    }

    async fn send(rb: reqwest::RequestBuilder) -> (u16, Value) {
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn enrolled_shop(&self, code: &str) -> String {
        let (s, created) = Self::send(
            self.admin(Method::POST, "/api/v1/shops")
                .json(&json!({"code": code, "name": code, "postal_code": "69003"})),
        )
        .await;
        assert_eq!(s, 201, "{created}");
        let token = created["enrolment_token"].as_str().unwrap();
        let (s, e) = Self::send(
            self.req(Method::POST, "/api/v1/sync/enrol")
                .json(&json!({"token": token, "protocol": 1, "version": "0.1.0"})),
        )
        .await;
        assert_eq!(s, 200, "{e}");
        e["credential"].as_str().unwrap().to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_gets_503s_with_retry_after_and_hq_keeps_answering() {
    let hq = TestHq::start(HqConfig { max_concurrent_requests: 4, ..HqConfig::default() }).await;
    let cred = hq.enrolled_shop("LYON1").await;
    let hq = Arc::new(hq);
    let cred = Arc::new(cred);
    let started = Instant::now();
    let tasks: Vec<_> = (0..100)
        .map(|t| {
            let (hq, cred) = (hq.clone(), cred.clone());
            tokio::spawn(async move {
                let mut seen = BTreeMap::<u16, usize>::new();
                for i in 0..30 {
                    let rb = match (t + i) % 3 {
                        0 => hq.admin(Method::GET, "/api/v1/articles?limit=10"),
                        1 => hq.req(Method::GET, "/api/v1/sync/hello").bearer_auth(cred.as_str()),
                        _ => hq.admin(Method::GET, "/api/v1/shops"),
                    };
                    let r = rb.send().await.expect("the server answers");
                    let status = r.status().as_u16();
                    if status == 503 {
                        assert_eq!(r.headers()["retry-after"], "1");
                        let body: Value = r.json().await.unwrap();
                        assert_eq!(body["kind"], "overloaded", "{body}");
                    }
                    *seen.entry(status).or_default() += 1;
                }
                seen
            })
        })
        .collect();
    let mut seen = BTreeMap::<u16, usize>::new();
    for t in tasks {
        let counts = tokio::time::timeout(Duration::from_secs(120), t).await.expect("bounded in time").unwrap();
        for (s, n) in counts {
            *seen.entry(s).or_default() += n;
        }
    }
    assert_eq!(seen.values().sum::<usize>(), 3000);
    assert!(seen.keys().all(|s| (200..300).contains(s) || *s == 429 || *s == 503), "statuses: {seen:?}");
    assert!(seen.get(&503).is_some_and(|n| *n > 0), "100 callers for 4 places: some are shed ({seen:?})");
    eprintln!("3000 requests in {:?}: {seen:?}", started.elapsed());
    // Still serving.
    assert_eq!(TestHq::send(hq.req(Method::GET, "/api/v1/health")).await.0, 200);
    assert_eq!(TestHq::send(hq.admin(Method::GET, "/api/v1/shops")).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_feeds_have_their_own_bound_and_a_limit_longer_than_their_wait() {
    // A 4 s wait leaves room to ask for the third feed on a loaded 2-core machine.
    let config =
        HqConfig { max_waiting_feeds: 2, feed_poll_max_seconds: 4, request_timeout_seconds: 1, ..HqConfig::default() };
    let hq = Arc::new(TestHq::start(config).await);
    let cred = Arc::new(hq.enrolled_shop("LYON1").await);
    let (_, page) = TestHq::send(hq.req(Method::GET, "/api/v1/sync/feed?cursor=0").bearer_auth(cred.as_str())).await;
    let cursor = page["cursor"].as_i64().unwrap();
    let path = format!("/api/v1/sync/feed?cursor={cursor}&wait=30");
    let waiting: Vec<_> = (0..2)
        .map(|_| {
            let (hq, cred, path) = (hq.clone(), cred.clone(), path.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let got = TestHq::send(hq.req(Method::GET, &path).bearer_auth(cred.as_str())).await;
                (got, started.elapsed())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // A third waiting feed is refused at once; admin requests are not affected.
    let (s, body) = TestHq::send(hq.req(Method::GET, &path).bearer_auth(cred.as_str())).await;
    assert_eq!((s, body["kind"].as_str()), (503, Some("overloaded")), "{body}");
    assert_eq!(TestHq::send(hq.admin(Method::GET, "/api/v1/shops")).await.0, 200);
    // Each waits its capped 4 s and answers 200, though request_timeout_seconds is 1.
    for w in waiting {
        let ((status, page), took) = w.await.unwrap();
        assert_eq!(status, 200, "{page}");
        assert!(page["changes"].as_array().unwrap().is_empty());
        assert!(took >= Duration::from_millis(3500) && took < Duration::from_secs(20), "{took:?}");
    }
    let (s, _) = TestHq::send(hq.req(Method::GET, "/api/v1/sync/feed?cursor=0").bearer_auth(cred.as_str())).await;
    assert_eq!(s, 200, "places free again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_with_a_body_stops_at_max_body_bytes() {
    let hq = TestHq::start(HqConfig { max_body_bytes: 4096, ..HqConfig::default() }).await;
    let cred = hq.enrolled_shop("LYON1").await;
    let doc = serde_json::to_value(comptoir_hq::api::document()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(body) = op.get("requestBody") else { continue };
            // The archive upload has its own, larger bound (below).
            if path == "/api/v1/sync/archives" {
                continue;
            }
            let content_type = body["content"].as_object().unwrap().keys().next().unwrap().clone();
            let concrete = path
                .replace("{sku}", "A1")
                .replace("{code}", "X1")
                .replace("{bp}", "550")
                .replace("{id}", &uuid::Uuid::nil().to_string());
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut rb = hq.admin(method.clone(), &concrete);
            if path.starts_with("/api/v1/sync/") {
                rb = hq.req(method.clone(), &concrete).bearer_auth(&cred);
            }
            let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(5000));
            let (s, e) = TestHq::send(rb.header("content-type", content_type).body(big)).await;
            assert_eq!((s, e["kind"].as_str()), (413, Some("payload_too_large")), "{method} {path}: {e}");
            checked += 1;
        }
    }
    assert!(checked >= 12, "every body-taking route: {checked}");
}

/// Sends `request` as it is on a new connection and reads one response: its status and
/// JSON body. Bounded in time: a server waiting for a body that never comes fails the test.
async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let read = async {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "connection closed before a full answer: {}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            let Some((head, body)) = text.split_once("\r\n\r\n") else { continue };
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap_or(0usize);
            if body.len() >= length {
                let status = head.split(' ').nth(1).unwrap().parse().unwrap();
                return (status, serde_json::from_str(&body[..length]).unwrap_or(Value::String(body.into())));
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read).await.expect("an answer, not a wait for the body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_announcing_64_mib_is_refused_before_its_body() {
    let hq = TestHq::start(HqConfig::default()).await;
    let cred = hq.enrolled_shop("LYON1").await;
    // The headers only: HQ answers on the announced length (8 MiB by default) instead of
    // waiting for a body that never comes.
    let request = format!(
        "POST /api/v1/sync/push HTTP/1.1\r\nhost: hq\r\nauthorization: Bearer {cred}\r\n{HEADER_PROTOCOL}: 1\r\ncontent-type: application/json\r\naccept-language: fr-FR, en;q=0.5\r\ncontent-length: {}\r\n\r\n",
        64 * 1024 * 1024
    );
    let (status, body) = exchange(hq.addr, request.as_bytes()).await;
    assert_eq!((status, body["kind"].as_str()), (413, Some("payload_too_large")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("dépasse 8388608 octets"), "{body}");
    // Nobody signed in: refused the same, on its word, before any credential is checked.
    let request = format!(
        "POST /api/v1/articles HTTP/1.1\r\nhost: hq\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        64 * 1024 * 1024
    );
    let (status, body) = exchange(hq.addr, request.as_bytes()).await;
    assert_eq!((status, body["kind"].as_str()), (413, Some("payload_too_large")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("larger than 8388608 bytes"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_larger_than_its_bound_is_refused_before_its_body() {
    let hq = TestHq::start(HqConfig { max_body_bytes: 4096, ..HqConfig::default() }).await;
    let cred = hq.enrolled_shop("LYON1").await;
    let upload = |bytes: usize| {
        format!(
            "POST /api/v1/sync/archives HTTP/1.1\r\nhost: hq\r\nauthorization: Bearer {cred}\r\n{HEADER_PROTOCOL}: 3\r\ncontent-type: application/x-ndjson\r\ncontent-length: {bytes}\r\n\r\n"
        )
    };
    // An archive is larger than any other request: more than max_body_bytes is taken...
    let mut request = upload(5000).into_bytes();
    request.extend(std::iter::repeat_n(b'x', 4999).chain([b'\n']));
    let (status, body) = exchange(hq.addr, &request).await;
    assert_eq!((status, body["kind"].as_str()), (400, Some("not_an_archive")), "{body}");
    // ...up to its own bound.
    let too_big = comptoir_protocol::MAX_ARCHIVE_BYTES + 1;
    let (status, body) = exchange(hq.addr, upload(too_big).as_bytes()).await;
    assert_eq!((status, body["kind"].as_str()), (413, Some("payload_too_large")), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_connections_are_bounded_and_health_answers_past_the_bound() {
    let hq = TestHq::start(HqConfig { max_connections: 2, ..HqConfig::default() }).await;
    let connect = || tokio::net::TcpStream::connect(hq.addr);
    let idle = [connect().await.unwrap(), connect().await.unwrap()];
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Past the bound, a connection is served one request: health, or 503 for anything else.
    let (status, body) = exchange(hq.addr, b"GET /api/v1/health HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")), "{body}");
    let (status, body) = exchange(hq.addr, b"GET /api/v1/shops HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!((status, body["kind"].as_str()), (503, Some("overloaded")), "{body}");
    // Those few overflow places (4 here) taken too, a connection waits in the backlog...
    let spare =
        [connect().await.unwrap(), connect().await.unwrap(), connect().await.unwrap(), connect().await.unwrap()];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ask = || async {
        let mut s = tokio::net::TcpStream::connect(hq.addr).await.unwrap();
        s.write_all(b"GET /api/v1/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).await.map(|_| String::from_utf8_lossy(&answer).to_string())
    };
    assert!(tokio::time::timeout(Duration::from_millis(500), ask()).await.is_err(), "served beyond every bound");
    // ...until one closes.
    drop(idle);
    let answer = tokio::time::timeout(Duration::from_secs(10), ask()).await.expect("served").unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(spare);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_uuid_in_a_path_is_a_json_refusal_in_the_callers_language() {
    let hq = TestHq::start(HqConfig::default()).await;
    let (s, e) =
        TestHq::send(hq.admin(Method::GET, "/api/v1/customers/not-a-uuid").header("accept-language", "fr")).await;
    assert_eq!((s, e["kind"].as_str()), (400, Some("bad_path")), "{e}");
    assert!(e["message"].as_str().unwrap().starts_with("Une valeur de l'adresse"), "{e}");
    let (s, e) = TestHq::send(hq.admin(Method::GET, "/api/v1/tickets?limit=many")).await;
    assert_eq!((s, e["kind"].as_str()), (400, Some("bad_query")), "{e}");
}
