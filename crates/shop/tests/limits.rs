//! The shop server's limits, over real HTTP: a flood gets 503 (never a crash, never an
//! unbounded queue), and every route that takes a body stops at its size limit.

mod common;

use common::{ADMIN, ADMIN_PASSWORD, TestShop, serve};
use comptoir_shop::ShopConfig;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use utoipa::OpenApi;

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
    let doc = serde_json::to_value(comptoir_shop::api::ApiDoc::openapi()).unwrap();
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
