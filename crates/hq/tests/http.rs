//! HQ's HTTP API, driven over real HTTP against an in-process server on a random port with
//! the SQLite backend: admin auth, catalog, shops and enrolment, the sync endpoints.

use comptoir_core::chain::GENESIS;
use comptoir_core::ticket::TicketKind;
use comptoir_hq::conformance::{closure, ticket};
use comptoir_hq::{Hq, HqConfig, HqStorage};
use comptoir_hq_sqlite::SqliteStorage;
use comptoir_protocol::{
    HEADER_CURSOR, HEADER_OLDEST_UNSENT, HEADER_PROTOCOL, HEADER_UNSENT, HEADER_VERSION, MAX_BATCH,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "hq-admin-password";

struct TestHq {
    _dir: tempfile::TempDir,
    base: String,
    storage: Arc<dyn HqStorage>,
    client: reqwest::Client,
}

impl TestHq {
    async fn start() -> TestHq {
        Self::with_config(HqConfig::default()).await
    }

    async fn with_config(config: HqConfig) -> TestHq {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn HqStorage> = Arc::new(SqliteStorage::create(&dir.path().join("hq.sqlite")).unwrap());
        let identity = comptoir_protocol::HqIdentity { id: uuid::Uuid::new_v4(), name: "Comptoir HQ".into() };
        storage.initialise(&identity, "admin", &comptoir_core::secret::hash_secret(PASSWORD)).await.unwrap();
        let hq = Hq::open(storage.clone(), config).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(comptoir_hq::server::serve(hq, listener, std::future::pending()));
        TestHq { _dir: dir, base: format!("http://{addr}"), storage, client: reqwest::Client::new() }
    }

    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    fn admin(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.req(method, path).basic_auth("admin", Some(PASSWORD))
    }

    async fn send(rb: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let r = rb.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        Self::send(self.admin(Method::GET, path)).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        Self::send(self.admin(Method::POST, path).json(&body)).await
    }

    /// Creates a shop and enrols it; returns its credential.
    async fn enrolled_shop(&self, code: &str) -> String {
        let (s, created) =
            self.post("/api/v1/shops", json!({"code": code, "name": code, "postal_code": "69003"})).await;
        assert_eq!(s, 201, "{created}");
        let token = created["enrolment_token"].as_str().unwrap();
        let (s, e) = self.enrol(token).await;
        assert_eq!(s, 200, "{e}");
        e["credential"].as_str().unwrap().to_string()
    }

    async fn enrol(&self, token: &str) -> (StatusCode, Value) {
        Self::send(
            self.req(Method::POST, "/api/v1/sync/enrol")
                .header(HEADER_PROTOCOL, comptoir_protocol::PROTOCOL_VERSION.to_string())
                .json(&json!({"token": token, "protocol": 1, "version": "0.1.0"})),
        )
        .await
    }

    fn shop(&self, method: Method, path: &str, credential: &str) -> reqwest::RequestBuilder {
        self.req(method, path)
            .bearer_auth(credential)
            .header(HEADER_PROTOCOL, comptoir_protocol::PROTOCOL_VERSION.to_string())
            .header(HEADER_VERSION, "0.1.0")
    }

    async fn push(&self, credential: &str, records: Vec<Value>) -> (StatusCode, Value) {
        Self::send(self.shop(Method::POST, "/api/v1/sync/push", credential).json(&json!({ "records": records }))).await
    }
}

fn rec(kind: &str, body: impl serde::Serialize) -> Value {
    json!({"kind": kind, "body": body})
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().map(String::from).unwrap_or_else(|| x["id"].as_str().unwrap().into()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_auth_basic_bearer_and_refusals() {
    let hq = TestHq::start().await;
    let (s, health) = TestHq::send(hq.req(Method::GET, "/api/v1/health")).await;
    assert_eq!((s, health["status"].as_str()), (StatusCode::OK, Some("ok")));

    let (s, body) = TestHq::send(hq.req(Method::GET, "/api/v1/shops")).await;
    assert_eq!((s, body["kind"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let r = hq.req(Method::GET, "/api/v1/shops").basic_auth("admin", Some("wrong-password")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("www-authenticate").unwrap().to_str().unwrap().starts_with("Basic"));
    let (s, fr) = TestHq::send(
        hq.req(Method::GET, "/api/v1/shops").basic_auth("admin", Some("nope")).header("Accept-Language", "fr-FR"),
    )
    .await;
    assert_eq!(s, 401);
    assert!(fr["message"].as_str().unwrap().contains("Identifiants"), "{fr}");

    let (s, _) = hq.get("/api/v1/shops").await;
    assert_eq!(s, 200);
    let (token, record) = comptoir_hq::sync::new_keyed_secret();
    hq.storage.create_api_token("ci", &record).await.unwrap();
    let (s, rates) = TestHq::send(hq.req(Method::GET, "/api/v1/tax-rates").bearer_auth(&token)).await;
    assert_eq!(s, 200);
    assert_eq!(rates.as_array().unwrap().len(), 4, "France's four VAT rates");
    let (s, _) = TestHq::send(hq.req(Method::GET, "/api/v1/tax-rates").bearer_auth(format!("{token}x"))).await;
    assert_eq!(s, 401);
    // A shop credential is no admin token.
    let cred = hq.enrolled_shop("LYON1").await;
    let (s, _) = TestHq::send(hq.req(Method::GET, "/api/v1/shops").bearer_auth(&cred)).await;
    assert_eq!(s, 401);

    let (s, doc) = hq.get("/api/v1/openapi.json").await;
    assert_eq!(s, 200);
    for path in ["/api/v1/articles", "/api/v1/shops", "/api/v1/sync/push", "/api/v1/sync/feed", "/api/v1/reports/sales"]
    {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    let (s, e) = hq.get("/api/v1/nope").await;
    assert_eq!((s, e["kind"].as_str()), (StatusCode::NOT_FOUND, Some("no_route")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn articles_are_created_and_validated() {
    let hq = TestHq::start().await;
    let (s, c) = hq.post("/api/v1/categories", json!({"code": "BOUL", "name": "Boulangerie"})).await;
    assert_eq!(s, 201, "{c}");
    let (s, a) = hq
        .post(
            "/api/v1/articles",
            json!({"sku":"A1","name":"Baguette","price":120,"tax_rate_bp":550,"barcodes":["3017620422003"],"category":"BOUL"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let id = uuid::Uuid::parse_str(a["id"].as_str().unwrap()).unwrap();
    assert_eq!(id.get_version_num(), 7);
    assert_eq!((a["price"].as_i64(), a["category"].as_str()), (Some(120), Some("BOUL")));

    let cases = [
        (
            json!({"sku":"B1","name":"X","price":1,"tax_rate_bp":550,"barcodes":["3017620422004"]}),
            422,
            "invalid_barcode",
            "barcodes[0]",
        ),
        (
            json!({"sku":"B1","name":"X","price":1,"tax_rate_bp":550,"barcodes":["3017620422003"]}),
            409,
            "conflict",
            "barcodes[0]",
        ),
        (json!({"sku":"B1","name":"X","price":1,"tax_rate_bp":1234}), 422, "not_found", "tax_rate_bp"),
        (json!({"sku":"B1","name":"X","price":1,"tax_rate_bp":550,"category":"NOPE"}), 422, "not_found", "category"),
        (json!({"sku":"B 1","name":"X","price":1,"tax_rate_bp":550}), 422, "invalid_code", "sku"),
        (json!({"sku":"B1","name":"X","price":-1,"tax_rate_bp":550}), 422, "negative_price", "price"),
        (json!({"sku":"A1","name":"X","price":1,"tax_rate_bp":550}), 409, "already_exists", "sku"),
    ];
    for (body, status, kind, field) in cases {
        let (s, e) = hq.post("/api/v1/articles", body.clone()).await;
        assert_eq!(
            (s.as_u16(), e["kind"].as_str(), e["field"].as_str()),
            (status, Some(kind), Some(field)),
            "{body} -> {e}"
        );
    }
    let (s, _) = hq.post("/api/v1/tax-rates", json!({"bp": 850, "name": "TVA Corse"})).await;
    assert_eq!(s, 201);
    let (s, _) = TestHq::send(hq.admin(Method::PATCH, "/api/v1/tax-rates/850").json(&json!({"active": false}))).await;
    assert_eq!(s, 200);
    let (s, e) = hq.post("/api/v1/articles", json!({"sku":"B1","name":"X","price":1,"tax_rate_bp":850})).await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (422, Some("inactive")));

    let (s, e) = TestHq::send(
        hq.admin(Method::POST, "/api/v1/articles").header("content-type", "application/json").body("{\"sku\": "),
    )
    .await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (400, Some("bad_request")), "{e}");
    let (s, e) = TestHq::send(
        hq.admin(Method::POST, "/api/v1/articles")
            .header("Accept-Language", "fr")
            .json(&json!({"sku":"B1","name":"X","price":1,"tax_rate_bp":550,"barcodes":["3017620422004"]})),
    )
    .await;
    assert_eq!(s, 422);
    assert!(e["message"].as_str().unwrap().contains("clé de contrôle"), "{e}");

    let (s, p) =
        TestHq::send(hq.admin(Method::PATCH, "/api/v1/articles/A1").json(&json!({"price": 130, "category": ""}))).await;
    assert_eq!(
        (s.as_u16(), p["price"].as_i64(), p["category"].is_null(), p["id"].as_str()),
        (200, Some(130), true, a["id"].as_str())
    );
    let (s, _) = hq.get("/api/v1/articles/NOPE").await;
    assert_eq!(s, 404);
    let (s, page) = hq.get("/api/v1/articles?q=Bag").await;
    assert_eq!((s.as_u16(), page["items"].as_array().unwrap().len()), (200, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_import_is_all_or_nothing_and_exports_back() {
    let hq = TestHq::start().await;
    let bad = "sku;name;price;tax_rate;barcodes\nA1;Pain;1,20;5,5;3017620422003\nB1;Vin;12,50;7;\nC1;Eau;x;20;\n";
    let (s, e) =
        TestHq::send(hq.admin(Method::POST, "/api/v1/catalog/import").header("content-type", "text/csv").body(bad))
            .await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (422, Some("csv_rejected")), "{e}");
    let rows: Vec<(i64, &str)> = e["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["column"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, vec![(3, "tax_rate"), (4, "price")]);
    let (_, page) = hq.get("/api/v1/articles").await;
    assert!(page["items"].as_array().unwrap().is_empty(), "nothing imported");
    let good = "sku,name,price,tax_rate,category,barcodes,web,active\nA1,Pain,1.20,5.5,BOUL,3017620422003,1,1\nB1,Vin,12.50,20,,,0,0\n";
    let (s, r) = TestHq::send(hq.admin(Method::POST, "/api/v1/catalog/import").body(good)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["created"].as_i64(), r["categories_created"][0].as_str()), (Some(2), Some("BOUL")));
    let csv = hq.admin(Method::GET, "/api/v1/catalog/export").send().await.unwrap().text().await.unwrap();
    assert_eq!(csv, good, "export reads back as imported");
}

/// The shop enrols, HQ commits, and the answer is lost on the way back (the connection
/// drops): the shop retries with the same token and the same Idempotency-Key, and is
/// enrolled with a new credential; the credential it never received is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrolment_whose_answer_was_lost_succeeds_when_retried() {
    let hq = TestHq::start().await;
    let (_, created) = hq.post("/api/v1/shops", json!({"code":"LYON1","name":"Lyon","postal_code":"69003"})).await;
    let token = created["enrolment_token"].as_str().unwrap();
    let enrol = |key: &'static str| {
        hq.req(Method::POST, "/api/v1/sync/enrol")
            .header(HEADER_PROTOCOL, comptoir_protocol::PROTOCOL_VERSION.to_string())
            .header("Idempotency-Key", key)
            .json(&json!({"token": token, "protocol": 1, "version": "0.1.0"}))
    };
    let (s, lost) = TestHq::send(enrol("5b1e0c2e-enrol-1")).await;
    assert_eq!(s, 200, "{lost}");
    let lost = lost["credential"].as_str().unwrap().to_string(); // never reaches the shop
    let (s, retried) = TestHq::send(enrol("5b1e0c2e-enrol-1")).await;
    assert_eq!(s, 200, "{retried}");
    assert_eq!(retried["shop"]["code"], "LYON1");
    let credential = retried["credential"].as_str().unwrap();
    let (s, _) = TestHq::send(hq.shop(Method::GET, "/api/v1/sync/hello", credential)).await;
    assert_eq!(s, 200, "the retry's credential works");
    let (s, e) = TestHq::send(hq.shop(Method::GET, "/api/v1/sync/hello", &lost)).await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (401, Some("invalid_credential")), "the lost one is replaced");
    // Another request, or one without a key (an older shop), still finds the token used.
    let (s, e) = TestHq::send(enrol("another-request")).await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (401, Some("invalid_enrolment_token")));
    let (s, e) = hq.enrol(token).await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (401, Some("invalid_enrolment_token")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_export_neutralises_spreadsheet_formulas() {
    let hq = TestHq::start().await;
    let csv =
        "sku,name,price,tax_rate,category,barcodes,web,active\nF1,@SUM(A1:A9),1.00,20,,,0,1\nF2,-2+3,2.00,20,,,0,1\n";
    let (s, r) = TestHq::send(hq.admin(Method::POST, "/api/v1/catalog/import").body(csv)).await;
    assert_eq!(s, 200, "{r}");
    let exported = hq.admin(Method::GET, "/api/v1/catalog/export").send().await.unwrap().text().await.unwrap();
    assert!(exported.contains("F1,'@SUM(A1:A9),1.00,20,"), "{exported}");
    assert!(exported.contains("F2,'-2+3,2.00,20,"), "{exported}");
    // Imported back, the names are the ones typed.
    let (s, r) = TestHq::send(hq.admin(Method::POST, "/api/v1/catalog/import").body(exported)).await;
    assert_eq!((s.as_u16(), r["updated"].as_i64()), (200, Some(2)), "{r}");
    let (_, page) = hq.get("/api/v1/articles").await;
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["@SUM(A1:A9)", "-2+3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_token_works_once_and_hello_names_both_sides() {
    let hq = TestHq::start().await;
    let (s, created) = hq.post("/api/v1/shops", json!({"code":"LYON1","name":"Lyon","postal_code":"69003"})).await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["shop"]["code"], "LYON1");
    let token = created["enrolment_token"].as_str().unwrap();
    let (s, e) = hq.post("/api/v1/shops", json!({"code":"LYON1","name":"Lyon","postal_code":"69003"})).await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (409, Some("already_exists")));
    let (s, e) = hq.post("/api/v1/shops", json!({"code":"X1","name":"X","postal_code":"!!"})).await;
    assert_eq!((s.as_u16(), e["field"].as_str()), (400, Some("postal_code")));
    // A French shop (the default country) needs a French postal code; a Belgian one its own.
    let (s, e) = hq.post("/api/v1/shops", json!({"code":"X1","name":"X","postal_code":"6900"})).await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (400, Some("bad_postal_code")), "{e}");
    let (s, e) = hq.post("/api/v1/shops", json!({"code":"X1","name":"X","postal_code":"99123"})).await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (400, Some("bad_postal_code")), "{e}");
    let (s, e) =
        hq.post("/api/v1/shops", json!({"code":"X1","name":"X","postal_code":"1000","country":"Belgique"})).await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (400, Some("bad_country")), "{e}");
    let (s, e) =
        hq.post("/api/v1/shops", json!({"code":"BXL1","name":"Bruxelles","postal_code":"1000","country":"be"})).await;
    assert_eq!(s, 201, "{e}");

    let (s, enrolled) = hq.enrol(token).await;
    assert_eq!(s, 200, "{enrolled}");
    let hq_id = enrolled["hq"]["id"].as_str().unwrap().to_string();
    assert_eq!(enrolled["shop"]["postal_code"], "69003");
    let credential = enrolled["credential"].as_str().unwrap().to_string();
    let (s, e) = hq.enrol(token).await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (401, Some("invalid_enrolment_token")));
    assert!(e["message"].as_str().unwrap().contains("comptoir hq shop token"), "{e}");

    let (s, hello) = TestHq::send(hq.shop(Method::GET, "/api/v1/sync/hello", &credential)).await;
    assert_eq!(s, 200, "{hello}");
    assert_eq!(
        (hello["hq"]["id"].as_str(), hello["shop"]["code"].as_str(), hello["protocol"].as_u64()),
        (Some(hq_id.as_str()), Some("LYON1"), Some(u64::from(comptoir_protocol::PROTOCOL_VERSION)))
    );
    let (_, shops) = hq.get("/api/v1/shops").await;
    let lyon = shops.as_array().unwrap().iter().find(|s| s["code"] == "LYON1").unwrap();
    assert_eq!(lyon["version"], "0.1.0");
    assert!(lyon["last_contact"].is_string());

    // Unknown credential: 401 saying what to do.
    let (s, e) =
        TestHq::send(hq.shop(Method::GET, "/api/v1/sync/hello", "0123456789abcdef0123456789abcdef.nope")).await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (401, Some("invalid_credential")));
    assert!(e["message"].as_str().unwrap().contains("comptoir hq shop token"));

    // A new enrolment token voids the old unused ones.
    let (s, t1) = hq.post("/api/v1/shops/LYON1/enrolment-token", json!({})).await;
    assert_eq!(s, 200);
    let (_, t2) = hq.post("/api/v1/shops/LYON1/enrolment-token", json!({})).await;
    let (s, _) = hq.enrol(t1["enrolment_token"].as_str().unwrap()).await;
    assert_eq!(s, 401);
    let (s, _) = hq.enrol(t2["enrolment_token"].as_str().unwrap()).await;
    assert_eq!(s, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsupported_protocol_is_refused_naming_what_hq_accepts() {
    let hq = TestHq::start().await;
    let cred = hq.enrolled_shop("LYON1").await;
    for version in [Some("99"), Some("x"), None] {
        let mut rb = hq.req(Method::GET, "/api/v1/sync/hello").bearer_auth(&cred);
        if let Some(v) = version {
            rb = rb.header(HEADER_PROTOCOL, v);
        }
        let (s, e) = TestHq::send(rb).await;
        assert_eq!((s.as_u16(), e["kind"].as_str()), (400, Some("unsupported_protocol")), "{version:?}");
        assert!(e["message"].as_str().unwrap().contains("accepts comptoir-protocol 1"), "{e}");
    }
    let (s, e) = TestHq::send(
        hq.req(Method::POST, "/api/v1/sync/enrol").json(&json!({"token":"cpe_x","protocol":1,"version":"0.1.0"})),
    )
    .await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (400, Some("unsupported_protocol")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_long_poll_wakes_on_a_catalog_change() {
    let hq = TestHq::start().await;
    let cred = hq.enrolled_shop("LYON1").await;
    let (s, page) = TestHq::send(hq.shop(Method::GET, "/api/v1/sync/feed?cursor=0", &cred)).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["changes"].as_array().unwrap().len(), 5, "France's VAT rates and the chain's shop");
    let cursor = page["cursor"].as_i64().unwrap();
    assert_eq!(page["snapshot_required"], false);

    let waiting = {
        let rb = hq.shop(Method::GET, &format!("/api/v1/sync/feed?cursor={cursor}&wait=30"), &cred);
        tokio::spawn(TestHq::send(rb))
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "nothing new: the feed waits");
    let started = Instant::now();
    let (s, a) = hq.post("/api/v1/articles", json!({"sku":"A1","name":"Baguette","price":120,"tax_rate_bp":550})).await;
    assert_eq!(s, 201);
    let (s, page) = waiting.await.unwrap();
    assert_eq!(s, 200);
    let changes = page["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{page}");
    assert_eq!((changes[0]["entity"].as_str(), changes[0]["key"].as_str()), (Some("article"), a["id"].as_str()));
    assert_eq!(changes[0]["body"]["price"], 120);
    assert_eq!(page["cursor"], changes[0]["seq"]);
    assert!(started.elapsed() < Duration::from_secs(20), "woken by the change, not by the end of the wait");

    // The shop reported its cursor in the header.
    let (_, _) =
        TestHq::send(hq.shop(Method::GET, "/api/v1/sync/feed?cursor=6", &cred).header(HEADER_CURSOR, "6")).await;
    let (_, shops) = hq.get("/api/v1/shops").await;
    assert_eq!(shops[0]["cursor"], 6);

    // Past the retained feed: take a new snapshot.
    hq.storage.purge_feed("2999-01-01T00:00:00.000000Z").await.unwrap();
    let (_, page) = TestHq::send(hq.shop(Method::GET, "/api/v1/sync/feed?cursor=0", &cred)).await;
    assert_eq!(page["snapshot_required"], true);
}

fn ndjson(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_cut_halfway_resumes_after_the_last_item() {
    let hq = TestHq::start().await;
    let mut csv = String::from("sku,name,price,tax_rate,category\n");
    for i in 0..1200 {
        csv.push_str(&format!("S{i:05},Article {i},1.{:02},20,CAT{}\n", i % 100, i % 3));
    }
    let (s, r) = TestHq::send(hq.admin(Method::POST, "/api/v1/catalog/import").body(csv)).await;
    assert_eq!(s, 200, "{r}");
    let cred = hq.enrolled_shop("LYON1").await;
    let r = hq.shop(Method::GET, "/api/v1/sync/snapshot", &cred).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let full = ndjson(&r.text().await.unwrap());
    assert_eq!(full[0]["type"], "begin");
    let total = full[0]["total"].as_u64().unwrap();
    // 4 rates, 3 categories, 1200 articles, the loyalty rule and the chain's one shop.
    assert_eq!(total, 4 + 3 + 1200 + 1 + 1);
    let items: Vec<&Value> = full.iter().filter(|l| l["type"] == "item").collect();
    assert_eq!(items.len() as u64, total);
    assert_eq!(full.last().unwrap()["type"], "end");
    assert_eq!(full.last().unwrap()["items"].as_u64(), Some(total));

    // Cut: the shop read a part of the stream, then the connection dropped.
    let mut stream = hq.shop(Method::GET, "/api/v1/sync/snapshot", &cred).send().await.unwrap();
    let mut received = Vec::new();
    while received.len() < 20_000 {
        received.extend_from_slice(&stream.chunk().await.unwrap().expect("more data"));
    }
    drop(stream);
    let text = String::from_utf8_lossy(&received);
    let complete: Vec<Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let last = complete.iter().rev().find(|l| l["type"] == "item").unwrap();
    assert_ne!(complete.last().unwrap()["type"], "end", "cut before the end");
    let after = format!("{}/{}", last["entity"].as_str().unwrap(), last["key"].as_str().unwrap());
    let r = hq.shop(Method::GET, &format!("/api/v1/sync/snapshot?after={after}"), &cred).send().await.unwrap();
    let rest = ndjson(&r.text().await.unwrap());
    assert_eq!(rest[0]["type"], "begin");
    let mut got: Vec<Value> = complete.into_iter().filter(|l| l["type"] == "item").collect();
    got.extend(rest.iter().filter(|l| l["type"] == "item").cloned());
    let expected: Vec<Value> = items.into_iter().cloned().collect();
    assert_eq!(got, expected, "the resumed stream carries exactly the rest");
    assert_eq!(rest.last().unwrap()["type"], "end");

    let (s, e) = TestHq::send(hq.shop(Method::GET, "/api/v1/sync/snapshot?after=nope", &cred)).await;
    assert_eq!((s.as_u16(), e["field"].as_str()), (400, Some("after")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_is_idempotent_and_quarantines_without_blocking() {
    let hq = TestHq::start().await;
    let cred = hq.enrolled_shop("LYON1").await;
    let day = "2026-11-23";
    let t1 = ticket("LYON1", "R1", 1, GENESIS, 240, day);
    let t2 = ticket("LYON1", "R1", 2, &t1.hash, 500, day);
    let (s, out) = hq.push(&cred, vec![rec("ticket", &t1), rec("ticket", &t2)]).await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(ids(&out["accepted"]), vec![t1.id.to_string(), t2.id.to_string()]);
    let (_, again) = hq.push(&cred, vec![rec("ticket", &t1), rec("ticket", &t2)]).await;
    assert_eq!(ids(&again["duplicates"]), vec![t1.id.to_string(), t2.id.to_string()]);
    assert!(again["accepted"].as_array().unwrap().is_empty());

    let foreign = ticket("PARIS1", "R1", 1, GENESIS, 100, day);
    let mut altered = ticket("LYON1", "R1", 3, &t2.hash, 300, day);
    altered.lines[0].name = "Champagne".into();
    let t3 = ticket("LYON1", "R1", 3, &t2.hash, 300, day);
    let (s, out) = hq.push(&cred, vec![rec("ticket", &foreign), rec("ticket", &altered), rec("ticket", &t3)]).await;
    assert_eq!(s, 200);
    assert_eq!(ids(&out["accepted"]), vec![t3.id.to_string()], "the record after a quarantined one goes in");
    let q = out["quarantined"].as_array().unwrap();
    assert_eq!(ids(&out["quarantined"]), vec![foreign.id.to_string(), altered.id.to_string()]);
    assert!(q[0]["reason"].as_str().unwrap().contains("names shop PARIS1, credential is shop LYON1"));
    assert!(q[1]["reason"].as_str().unwrap().contains("altered"));
    let (s, list) = hq.get("/api/v1/quarantine?shop=LYON1").await;
    assert_eq!(s, 200);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["shop"], "LYON1");
    assert!(list[1]["body"].as_str().unwrap().contains("Champagne"), "the raw record is kept");
    assert!(list[0]["received_at"].is_string());

    // A gap: sequence 5 without 4; stored, and the shop's chain is flagged.
    let t5 = ticket("LYON1", "R1", 5, &t3.hash, 50, day);
    let z = closure("LYON1", "R1", 1, GENESIS, 1090, day);
    let (_, out) = hq.push(&cred, vec![rec("ticket", &t5), rec("closure", &z)]).await;
    assert_eq!(out["accepted"].as_array().unwrap().len(), 2);
    let (_, shops) = hq.get("/api/v1/shops").await;
    assert_eq!((shops[0]["chain_ok"].as_bool(), shops[0]["quarantined"].as_i64()), (Some(false), Some(2)));
    let (_, events) = hq.get("/api/v1/chain-events?shop=LYON1").await;
    assert_eq!((events[0]["kind"].as_str(), events[0]["sequence"].as_i64()), (Some("gap"), Some(5)));

    // Tickets, oldest first by arrival, paged.
    let (_, page) = hq.get("/api/v1/tickets?shop=LYON1&limit=2").await;
    let numbers: Vec<&str> = page["items"].as_array().unwrap().iter().map(|t| t["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, vec!["LYON1-R1-000001", "LYON1-R1-000002"]);
    assert_eq!(
        (page["items"][0]["total"].as_i64(), page["items"][0]["hash"].as_str()),
        (Some(240), Some(t1.hash.as_str()))
    );
    assert!(page["items"][0]["lines"].is_array() && page["items"][0]["received_at"].is_string());
    let (_, rest) = hq.get(&format!("/api/v1/tickets?shop=LYON1&after={}", page["next"])).await;
    let seqs: Vec<i64> = rest["items"].as_array().unwrap().iter().map(|t| t["sequence"].as_i64().unwrap()).collect();
    assert_eq!((seqs, rest["next"].is_null()), (vec![3, 5], true));

    // Malformed body, records that are not records, too many records.
    let (s, e) = TestHq::send(
        hq.shop(Method::POST, "/api/v1/sync/push", &cred).header("content-type", "application/json").body("{oops"),
    )
    .await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (400, Some("bad_request")));
    let (s, e) = hq.push(&cred, vec![json!({"kind":"ticket","body":{"no":"id"}})]).await;
    assert_eq!((s.as_u16(), e["field"].as_str()), (400, Some("records[0]")));
    let (s, out) =
        hq.push(&cred, vec![json!({"kind":"ticket","body":{"id": uuid::Uuid::now_v7(), "total": "x"}})]).await;
    assert_eq!(
        (s.as_u16(), out["quarantined"].as_array().unwrap().len()),
        (200, 1),
        "unreadable but identified: quarantined"
    );
    let many = vec![json!({}); MAX_BATCH + 1];
    let (s, e) = hq.push(&cred, many).await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (413, Some("batch_too_large")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_gets_413() {
    let config = HqConfig { max_body_bytes: 64 * 1024, ..HqConfig::default() };
    let hq = TestHq::with_config(config).await;
    let cred = hq.enrolled_shop("LYON1").await;
    let big = "x".repeat(100 * 1024);
    let (s, e) = hq.push(&cred, vec![json!({ "kind": "ticket", "body": big })]).await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (413, Some("payload_too_large")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("65536"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_shop_is_refused_at_once() {
    let hq = TestHq::start().await;
    let cred = hq.enrolled_shop("LYON1").await;
    let (s, _) = TestHq::send(hq.shop(Method::GET, "/api/v1/sync/hello", &cred)).await;
    assert_eq!(s, 200);
    let (s, shop) = hq.post("/api/v1/shops/LYON1/revoke", json!({})).await;
    assert_eq!((s.as_u16(), shop["revoked"].as_bool()), (200, Some(true)));
    for (method, path) in
        [(Method::GET, "/api/v1/sync/hello"), (Method::GET, "/api/v1/sync/feed"), (Method::POST, "/api/v1/sync/push")]
    {
        let (s, e) = TestHq::send(hq.shop(method, path, &cred).json(&json!({"records": []}))).await;
        assert_eq!((s.as_u16(), e["kind"].as_str()), (401, Some("invalid_credential")), "{path}");
    }
    let (s, _) = hq.post("/api/v1/shops/NOPE/revoke", json!({})).await;
    assert_eq!(s, 404);
    let (_, t) = hq.post("/api/v1/shops/LYON1/enrolment-token", json!({})).await;
    let (s, e) = hq.enrol(t["enrolment_token"].as_str().unwrap()).await;
    assert_eq!(s, 200);
    let (s, _) = TestHq::send(hq.shop(Method::GET, "/api/v1/sync/hello", e["credential"].as_str().unwrap())).await;
    assert_eq!(s, 200, "enrolled again with a new token");
    let (s, _) = TestHq::send(hq.shop(Method::GET, "/api/v1/sync/hello", &cred)).await;
    assert_eq!(s, 401, "the revoked credential stays revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_report_sums_tickets_per_shop_and_day_and_health_gives_lag() {
    let hq = TestHq::start().await;
    let lyon = hq.enrolled_shop("LYON1").await;
    let paris = hq.enrolled_shop("PARIS1").await;
    let t1 = ticket("LYON1", "R1", 1, GENESIS, 240, "2026-11-23");
    let t2 = ticket("LYON1", "R2", 1, GENESIS, 1250, "2026-11-23");
    let mut ret = ticket("LYON1", "R1", 2, &t1.hash, -120, "2026-11-23");
    ret.kind = TicketKind::Return;
    ret.return_of = Some(t1.id);
    ret.hash = comptoir_core::chain::ticket_hash(&ret);
    let t3 = ticket("LYON1", "R1", 3, &ret.hash, 500, "2026-11-24");
    let p1 = ticket("PARIS1", "R1", 1, GENESIS, 999, "2026-11-24");
    let (s, _) = TestHq::send(
        hq.shop(Method::POST, "/api/v1/sync/push", &lyon)
            .header(HEADER_UNSENT, "7")
            .header(HEADER_OLDEST_UNSENT, "30")
            .json(
                &json!({"records": [rec("ticket", &t1), rec("ticket", &t2), rec("ticket", &ret), rec("ticket", &t3)]}),
            ),
    )
    .await;
    assert_eq!(s, 200);
    let (_, out) = hq.push(&paris, vec![rec("ticket", &p1)]).await;
    assert_eq!(out["accepted"].as_array().unwrap().len(), 1);
    let (s, report) = hq.get("/api/v1/reports/sales?from=2026-11-23&to=2026-11-24").await;
    assert_eq!(s, 200);
    assert_eq!(
        report["items"],
        json!([
            {"shop":"LYON1","day":"2026-11-23","tickets":3,"revenue":1370},
            {"shop":"LYON1","day":"2026-11-24","tickets":1,"revenue":500},
            {"shop":"PARIS1","day":"2026-11-24","tickets":1,"revenue":999},
        ])
    );
    let (_, one) = hq.get("/api/v1/reports/sales?from=2026-11-24&to=2026-11-24&shop=PARIS1").await;
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    let (s, e) = hq.get("/api/v1/reports/sales?from=23/11/2026&to=2026-11-24").await;
    assert_eq!((s.as_u16(), e["field"].as_str()), (400, Some("from")));

    let (_, shops) = hq.get("/api/v1/shops").await;
    let l = &shops[0];
    assert_eq!((l["code"].as_str(), l["unsent"].as_i64()), (Some("LYON1"), Some(7)));
    assert!(l["lag_seconds"].as_i64().unwrap() >= 30, "{l}");
    assert_eq!(shops[1]["lag_seconds"], Value::Null, "no health reported yet");
    let (s, _) = TestHq::send(
        hq.shop(Method::GET, "/api/v1/sync/feed", &lyon).header(HEADER_UNSENT, "0").header(HEADER_OLDEST_UNSENT, "0"),
    )
    .await;
    assert_eq!(s, 200);
    let (_, shops) = hq.get("/api/v1/shops").await;
    assert_eq!((shops[0]["unsent"].as_i64(), shops[0]["lag_seconds"].as_i64()), (Some(0), Some(0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_reach_their_shops_and_report_state_per_shop() {
    let hq = TestHq::start().await;
    let lyon = hq.enrolled_shop("LYON1").await;
    let paris = hq.enrolled_shop("PARIS1").await;
    let _nice = hq.enrolled_shop("NICE1").await;
    let (s, e) = hq.post("/api/v1/jobs", json!({"kind":"resend_sales","shops":["LYON1"]})).await;
    assert_eq!((s.as_u16(), e["field"].as_str()), (400, Some("since")));
    let (s, e) = hq.post("/api/v1/jobs", json!({"kind":"upload_logs","shops":["NOPE"]})).await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (422, Some("not_found")));
    let (s, e) = hq.post("/api/v1/jobs", json!({"kind":"dance","shops":["LYON1"]})).await;
    assert_eq!(s.as_u16(), 400, "{e}");
    let (s, job) =
        hq.post("/api/v1/jobs", json!({"kind":"resend_sales","shops":["LYON1","PARIS1"],"since":"2026-11-01"})).await;
    assert_eq!(s, 201, "{job}");
    let id = job["id"].as_str().unwrap();
    assert_eq!(job["shops"].as_array().unwrap().len(), 2);

    for (cred, sees) in [(&lyon, true), (&paris, true), (&_nice, false)] {
        let (_, page) = TestHq::send(hq.shop(Method::GET, "/api/v1/sync/feed?cursor=0", cred)).await;
        let job_change = page["changes"].as_array().unwrap().iter().find(|c| c["entity"] == "job").cloned();
        assert_eq!(job_change.is_some(), sees, "{page}");
        if let Some(c) = job_change {
            assert_eq!(
                (c["key"].as_str(), c["body"]["kind"].as_str(), c["body"]["since"].as_str()),
                (Some(id), Some("resend_sales"), Some("2026-11-01"))
            );
        }
    }
    let report = |cred: &str, state: &str| {
        TestHq::send(
            hq.shop(Method::POST, &format!("/api/v1/sync/jobs/{id}"), cred)
                .json(&json!({"state": state, "detail": "12 tickets sent"})),
        )
    };
    let (s, _) = report(&lyon, "done").await;
    assert_eq!(s, 204);
    let (s, _) = report(&paris, "failed").await;
    assert_eq!(s, 204);
    let (s, e) = report(&_nice, "done").await;
    assert_eq!((s.as_u16(), e["kind"].as_str()), (404, Some("not_found")), "a shop reports only its own jobs");
    let (s, _) = report(&lyon, "pending").await;
    assert_eq!(s, 400);
    let (_, jobs) = hq.get("/api/v1/jobs").await;
    let states: Vec<(&str, &str)> = jobs[0]["shops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["shop"].as_str().unwrap(), t["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, vec![("LYON1", "done"), ("PARIS1", "failed")]);
    assert_eq!(jobs[0]["shops"][0]["detail"], "12 tickets sent");
    assert!(jobs[0]["shops"][0]["updated_at"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_office_finds_a_customer_as_the_till_does() {
    let hq = TestHq::start().await;
    for (name, email, phone) in [
        ("Élodie Martin", "elodie@example.fr", "06 12 34 56 78"),
        ("Marc Martinez", "marc@example.fr", "07 98 76 54 32"),
        ("Jeanne Durand", "jeanne@example.fr", "01 02 03 04 05"),
    ] {
        let (s, c) = hq.post("/api/v1/customers", json!({"name": name, "email": email, "phone": phone})).await;
        assert_eq!(s, 201, "{c}");
    }
    let names = |page: &Value| -> Vec<String> {
        let mut n: Vec<String> =
            page["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect();
        n.sort();
        n
    };
    // Without its accent, by a prefix of the name, by two words, by e-mail, by phone digits.
    let (s, page) = hq.get("/api/v1/customers?q=elodie").await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(names(&page), vec!["Élodie Martin"]);
    let (_, page) = hq.get("/api/v1/customers?q=mart").await;
    assert_eq!(names(&page), vec!["Marc Martinez", "Élodie Martin"]);
    let (_, page) = hq.get("/api/v1/customers?q=marc%20mart").await;
    assert_eq!(names(&page), vec!["Marc Martinez"]);
    let (_, page) = hq.get("/api/v1/customers?q=jeanne@example.fr").await;
    assert_eq!(names(&page), vec!["Jeanne Durand"]);
    let (_, page) = hq.get("/api/v1/customers?q=0798765432").await;
    assert_eq!(names(&page), vec!["Marc Martinez"]);
    let (_, page) = hq.get("/api/v1/customers?q=nobody").await;
    assert_eq!(names(&page), Vec::<String>::new());
    // No query lists them all.
    let (_, page) = hq.get("/api/v1/customers").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
}
