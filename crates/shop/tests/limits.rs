//! The shop server's limits, over real HTTP: a flood gets 503 (never a crash, never an
//! unbounded queue), and every route that takes a body stops at its size limit.

mod common;

use common::{ADMIN, ADMIN_PASSWORD, TestShop, serve};
use comptoir_shop::ShopConfig;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_gets_503s_with_retry_after_and_the_shop_keeps_selling() {
    let shop = TestShop::with_catalog().await;
    let api = serve(shop.data_dir(), ShopConfig { max_concurrent_requests: 4, ..ShopConfig::default() }).await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..100)
        .map(|t| {
            let (client, base) = (client.clone(), api.base.clone());
            tokio::spawn(async move {
                let mut seen = BTreeMap::<u16, usize>::new();
                for i in 0..30 {
                    let rb = match (t + i) % 3 {
                        0 => client
                            .get(format!("{base}/api/v1/articles?limit=50"))
                            .basic_auth(ADMIN, Some(ADMIN_PASSWORD)),
                        1 => client.get(format!("{base}/api/v1/tickets")).basic_auth("C1", Some("1234")),
                        _ => client.get(format!("{base}/api/v1/health")),
                    };
                    let r = rb.send().await.expect("the server answers");
                    let status = r.status().as_u16();
                    if status == 503 {
                        assert_eq!(r.headers()["retry-after"], "1");
                        let body: Value = r.json().await.unwrap();
                        assert_eq!(body["kind"], "overloaded", "{body}");
                        assert!(body["message"].as_str().unwrap().contains("busy"), "{body}");
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
    // Still selling.
    api.sell(json!({"register": "R1", "cashier": "C1", "lines": [{"sku": "A1", "qty": 1}], "payments": [{"method": "cash", "amount": 120}]}))
        .await;
    let (status, body) = api.in_language("fr").get("/api/v1/shop").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_with_a_body_stops_at_its_limit() {
    let shop = TestShop::with_catalog().await;
    let config = ShopConfig { max_body_bytes: 4096, max_import_bytes: 8192, ..ShopConfig::default() };
    let api = serve(shop.data_dir(), config).await;
    let doc = serde_json::to_value(comptoir_shop::api::document()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(body) = op.get("requestBody") else { continue };
            let content_type = body["content"].as_object().unwrap().keys().next().unwrap().clone();
            let limit = if path == "/api/v1/catalog/import" { 8192 } else { 4096 };
            let concrete = path.replace("{sku}", "A1").replace("{code}", "R1").replace("{bp}", "550");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(limit));
            let (s, _, text) = api.raw(method.clone(), &concrete, Some(&content_type), big.into_bytes()).await;
            let e: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            assert_eq!((s, e["kind"].as_str()), (413, Some("payload_too_large")), "{method} {path}: {text}");
            assert!(e["message"].as_str().unwrap().contains(&limit.to_string()), "{e}");
            checked += 1;
        }
    }
    assert!(checked >= 12, "every body-taking route: {checked}");
}

/// Sends `request` as it is on a new connection (from `from`, a loopback address) and reads
/// one response: its status and JSON body. Bounded in time: a server that waits for a body
/// it will never get fails the test instead of hanging it.
async fn exchange_from(from: &str, addr: std::net::SocketAddr, request: &[u8]) -> (u16, Value) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
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

async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> (u16, Value) {
    exchange_from("127.0.0.1", addr, request).await
}

fn address(api: &common::Api) -> std::net::SocketAddr {
    api.base.trim_start_matches("http://").parse().unwrap()
}

fn basic(user: &str, secret: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_announcing_64_mib_is_refused_before_its_body() {
    let shop = TestShop::with_catalog().await;
    let addr = address(&shop.api);
    // The headers only: a body announced at 64 MiB that never comes. The shop answers on the
    // announced length, instead of waiting for the body until its time limit.
    let request = format!(
        "POST /api/v1/tickets HTTP/1.1\r\nhost: shop\r\nauthorization: Basic {}\r\ncontent-type: application/json\r\naccept-language: fr\r\ncontent-length: {}\r\n\r\n",
        basic(ADMIN, ADMIN_PASSWORD),
        64 * 1024 * 1024
    );
    let (status, body) = exchange(addr, request.as_bytes()).await;
    assert_eq!((status, body["kind"].as_str()), (413, Some("payload_too_large")), "{body}");
    // The limit, in the caller's language: 1 MiB by default.
    assert!(body["message"].as_str().unwrap().contains("dépasse 1048576 octets"), "{body}");
    // The import route has its own, larger, limit; 64 MiB plus one byte is past it.
    let request = format!(
        "POST /api/v1/catalog/import HTTP/1.1\r\nhost: shop\r\ncontent-type: text/csv\r\ncontent-length: {}\r\n\r\n",
        64 * 1024 * 1024 + 1
    );
    let (status, body) = exchange(addr, request.as_bytes()).await;
    assert_eq!((status, body["kind"].as_str()), (413, Some("payload_too_large")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("larger than 67108864 bytes"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sending_its_headers_byte_by_byte_is_dropped_after_the_header_timeout() {
    let shop = TestShop::empty().await;
    let config = ShopConfig { header_timeout_seconds: 1, ..ShopConfig::default() };
    let api = serve(shop.data_dir(), config).await;
    let mut slow = tokio::net::TcpStream::connect(address(&api)).await.unwrap();
    slow.write_all(b"GET /api/v1/health HTTP/1.1\r\nhost: shop\r\nx-pad: ").await.unwrap();
    let started = Instant::now();
    // One byte every 100 ms, for ever: the shop must hang up (bounded at 30 s here).
    let dropped = loop {
        assert!(started.elapsed() < Duration::from_secs(30), "a header sent byte by byte is still read");
        tokio::time::sleep(Duration::from_millis(100)).await;
        if slow.write_all(b"a").await.is_err() {
            break true;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(1), slow.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(_)) | Err(_) => continue, // a 408 may come before the close
        }
    };
    assert!(dropped);
    // A normal client is served meanwhile and after.
    assert_eq!(api.get("/api/v1/health").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_every_connection_taken_health_still_answers() {
    let shop = TestShop::with_catalog().await;
    let config = ShopConfig { max_connections: 2, ..ShopConfig::default() };
    let api = serve(shop.data_dir(), config).await;
    let addr = address(&api);
    // Two idle connections take both places.
    let _idle =
        [tokio::net::TcpStream::connect(addr).await.unwrap(), tokio::net::TcpStream::connect(addr).await.unwrap()];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let health = b"GET /api/v1/health HTTP/1.1\r\nhost: shop\r\n\r\n";
    let (status, body) = exchange(addr, health).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")), "{body}");
    // Anything else is shed, in the caller's language.
    let shop_info = format!(
        "GET /api/v1/shop HTTP/1.1\r\nhost: shop\r\naccept-language: fr\r\nauthorization: Basic {}\r\n\r\n",
        basic(ADMIN, ADMIN_PASSWORD)
    );
    let (status, body) = exchange(addr, shop_info.as_bytes()).await;
    assert_eq!((status, body["kind"].as_str()), (503, Some("overloaded")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("Le serveur de la boutique traite trop"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_connection() {
    let shop = TestShop::with_catalog().await;
    let config = ShopConfig { max_connections: 100, max_connections_per_address: 2, ..ShopConfig::default() };
    let api = serve(shop.data_dir(), config).await;
    let addr = address(&api);
    let _idle =
        [tokio::net::TcpStream::connect(addr).await.unwrap(), tokio::net::TcpStream::connect(addr).await.unwrap()];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let shop_info = format!(
        "GET /api/v1/shop HTTP/1.1\r\nhost: shop\r\nauthorization: Basic {}\r\n\r\n",
        basic(ADMIN, ADMIN_PASSWORD)
    );
    // A third connection from 127.0.0.1: health only.
    let (status, body) = exchange(addr, shop_info.as_bytes()).await;
    assert_eq!((status, body["kind"].as_str()), (503, Some("overloaded")), "{body}");
    let (status, _) = exchange(addr, b"GET /api/v1/health HTTP/1.1\r\nhost: shop\r\n\r\n").await;
    assert_eq!(status, 200);
    // Another address (127.0.0.2, loopback too) is served as usual.
    let (status, body) = exchange_from("127.0.0.2", addr, shop_info.as_bytes()).await;
    assert_eq!((status, body["code"].as_str()), (200, Some("PARIS1")), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_before_a_handler_are_json_in_the_callers_language() {
    let shop = TestShop::with_catalog().await;
    let fr = shop.api.in_language("fr");
    let refusal = |got: (u16, String, String)| {
        let body: Value = serde_json::from_str(&got.2).unwrap_or_else(|_| panic!("a JSON refusal: {got:?}"));
        (got.0, body["kind"].as_str().unwrap_or_default().to_string(), body["message"].as_str().unwrap().to_string())
    };
    // A query string that does not parse.
    let (s, kind, message) = refusal(fr.raw(Method::GET, "/api/v1/tickets?after=soon", None, Vec::new()).await);
    assert_eq!((s, kind.as_str()), (400, "bad_query"), "{message}");
    assert!(message.starts_with("Les paramètres de l'adresse"), "{message}");
    // A path value that does not parse, and one that is not UTF-8.
    let (s, kind, message) = refusal(fr.raw(Method::PATCH, "/api/v1/tax-rates/abc", None, b"{}".to_vec()).await);
    assert_eq!((s, kind.as_str()), (400, "bad_path"), "{message}");
    let (s, kind, message) = refusal(shop.api.raw(Method::GET, "/api/v1/articles/%ff", None, Vec::new()).await);
    assert_eq!((s, kind.as_str()), (400, "bad_path"), "{message}");
    // A wrong method on a route that is not a ticket's does not speak of tickets.
    let (s, kind, message) = refusal(shop.api.raw(Method::DELETE, "/api/v1/articles", None, Vec::new()).await);
    assert_eq!((s, kind.as_str()), (405, "method_not_allowed"), "{message}");
    assert!(!message.contains("ticket"), "{message}");
    // `fr;q=0` refuses French.
    let (_, _, message) =
        refusal(shop.api.in_language("fr;q=0, en").raw(Method::DELETE, "/api/v1/articles", None, Vec::new()).await);
    assert!(message.starts_with("This route"), "{message}");
    // A refused value comes back by its beginning only.
    let long = "9".repeat(20_000);
    let (s, kind, message) =
        refusal(fr.raw(Method::GET, &format!("/api/v1/tickets?after={long}"), None, Vec::new()).await);
    assert_eq!((s, kind.as_str()), (400, "bad_query"), "{message}");
    assert!(message.len() < 1000, "{} bytes", message.len());
    let (s, kind, message) =
        refusal(shop.api.raw(Method::GET, &format!("/api/v1/nothing/{long}"), None, Vec::new()).await);
    assert_eq!((s, kind.as_str()), (404, "no_route"), "{message}");
    assert!(message.len() < 1000, "{} bytes", message.len());
}
