//! Test harness: a real shop server on a random local port, driven over HTTP.
#![allow(dead_code)]

use comptoir_shop::{Shop, ShopConfig};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "secret-password";

/// A shop server running in the background; its data directory lives as long as this value.
pub struct TestShop {
    pub dir: TempDir,
    pub api: Api,
}

impl TestShop {
    /// A new shop `PARIS1` with no articles, registers or cashiers yet.
    pub async fn empty() -> TestShop {
        let dir = tempfile::tempdir().expect("temp dir");
        Shop::init(dir.path(), "PARIS1", "Paris Centre", ADMIN, ADMIN_PASSWORD).expect("shop init");
        let api = serve(dir.path(), ShopConfig::default()).await;
        TestShop { dir, api }
    }

    /// A shop with register R1, cashier C1 (PIN 1234) and three articles:
    /// - A1 "Baguette", 1.20 € at 5.5 %, barcode 3017620422003;
    /// - B1 "Vin rouge", 12.50 € at 20 %;
    /// - F1 "Comté" sold by weight, 19.90 €/kg at 5.5 %.
    pub async fn with_catalog() -> TestShop {
        let shop = TestShop::empty().await;
        let api = &shop.api;
        let (s, a) = api
            .post(
                "/api/v1/articles",
                json!({"sku":"A1","name":"Baguette","price":120,"tax_rate_bp":550,"barcodes":["3017620422003"]}),
            )
            .await;
        assert_eq!(s, 201, "{a}");
        assert!(a["id"].is_string(), "{a}");
        let (s, b) =
            api.post("/api/v1/articles", json!({"sku":"B1","name":"Vin rouge","price":1250,"tax_rate_bp":2000})).await;
        assert_eq!(s, 201, "{b}");
        let (s, f) =
            api.post("/api/v1/articles", json!({"sku":"F1","name":"Comté","price":1990,"tax_rate_bp":550})).await;
        assert_eq!(s, 201, "{f}");
        let (s, r) = api.post("/api/v1/registers", json!({"code":"R1","name":"Caisse 1"})).await;
        assert_eq!(s, 201, "{r}");
        let (s, u) = api.post("/api/v1/users", json!({"code":"C1","name":"Alice","role":"cashier","pin":"1234"})).await;
        assert_eq!(s, 201, "{u}");
        shop
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Opens the shop in `data_dir` with `config` and serves it on a fresh port; returns an
/// admin client for it.
pub async fn serve(data_dir: &Path, config: ShopConfig) -> Api {
    let shop = Shop::open(data_dir, config).expect("shop open");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { comptoir_shop::server::serve(shop, listener, std::future::pending()).await });
    Api {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        auth: Some((ADMIN.into(), ADMIN_PASSWORD.into())),
        lang: None,
        dir: data_dir.to_path_buf(),
    }
}

/// An HTTP client for one server, signed in as one user (or nobody).
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub auth: Option<(String, String)>,
    pub lang: Option<String>,
    pub dir: PathBuf,
}

impl Api {
    pub fn as_user(&self, code: &str, secret: &str) -> Api {
        Api { auth: Some((code.into(), secret.into())), ..self.clone() }
    }

    pub fn anonymous(&self) -> Api {
        Api { auth: None, ..self.clone() }
    }

    pub fn in_language(&self, lang: &str) -> Api {
        Api { lang: Some(lang.into()), ..self.clone() }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self.client.request(method, format!("{}{path}", self.base));
        if let Some((u, p)) = &self.auth {
            rb = rb.basic_auth(u, Some(p));
        }
        if let Some(l) = &self.lang {
            rb = rb.header("Accept-Language", l);
        }
        rb
    }

    /// Sends a raw body; returns the status, the content type and the body text.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (u16, String, String) {
        let mut rb = self.request(method, path);
        if let Some(ct) = content_type {
            rb = rb.header("Content-Type", ct);
        }
        if !body.is_empty() {
            rb = rb.body(body);
        }
        let resp = rb.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let text = resp.text().await.expect("response body");
        (status, ct, text)
    }

    /// Sends `body` as JSON (or nothing); returns the status and the JSON answer
    /// (`null` when the answer is not JSON).
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let (ct, bytes) = match body {
            Some(b) => (Some("application/json"), serde_json::to_vec(&b).expect("json")),
            None => (None, Vec::new()),
        };
        let (status, _, text) = self.raw(method, path, ct, bytes).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(Method::PATCH, path, Some(body)).await
    }

    /// Every ticket of the shop, oldest first.
    pub async fn tickets(&self) -> Vec<Value> {
        let (s, page) = self.get("/api/v1/tickets?limit=1000").await;
        assert_eq!(s, 200, "{page}");
        assert!(page["next"].is_null(), "more than 1000 tickets in a test: {page}");
        page["items"].as_array().expect("items").clone()
    }

    /// Every article of the shop, in SKU order.
    pub async fn articles(&self) -> Vec<Value> {
        let (s, page) = self.get("/api/v1/articles?limit=1000").await;
        assert_eq!(s, 200, "{page}");
        page["items"].as_array().expect("items").clone()
    }

    pub async fn closures(&self) -> Vec<Value> {
        let (s, list) = self.get("/api/v1/closures").await;
        assert_eq!(s, 200, "{list}");
        list.as_array().expect("closures").clone()
    }

    /// Posts a ticket that must be accepted (201); returns it.
    pub async fn sell(&self, ticket: Value) -> Value {
        let (s, t) = self.post("/api/v1/tickets", ticket).await;
        assert_eq!(s, 201, "ticket refused: {t}");
        t
    }
}

/// Asserts a refusal: its status, and the `kind` and `field` of its JSON body.
#[track_caller]
pub fn assert_refused(got: &(u16, Value), status: u16, kind: &str, field: Option<&str>) {
    let (s, body) = got;
    assert_eq!(*s, status, "status of {body}");
    assert_eq!(body["kind"], kind, "kind of {body}");
    assert_eq!(body["field"].as_str(), field, "field of {body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "message of {body}");
}
