//! Who may call what at HQ: one table, every endpoint of the OpenAPI document × every kind
//! of caller, with the status each must get; then sign-in limits (lockout per account and
//! per address, X-Forwarded-For only from trusted proxies).
//!
//! Real HTTP against an in-process HQ on a random port, SQLite storage.

use comptoir_core::chain::GENESIS;
use comptoir_hq::conformance::ticket;
use comptoir_hq::{Hq, HqConfig, HqStorage};
use comptoir_hq_sqlite::SqliteStorage;
use comptoir_protocol::{HEADER_PROTOCOL, HEADER_VERSION};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

const PASSWORD: &str = "hq-admin-password";

struct TestHq {
    _dir: tempfile::TempDir,
    base: String,
    storage: Arc<dyn HqStorage>,
    client: reqwest::Client,
}

impl TestHq {
    async fn start(config: HqConfig) -> TestHq {
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
        self.client
            .request(method, format!("{}{path}", self.base))
            .header(HEADER_PROTOCOL, "1")
            .header(HEADER_VERSION, "0.1.0")
    }

    fn admin(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.req(method, path).basic_auth("admin", Some(PASSWORD))
    }

    async fn send(rb: reqwest::RequestBuilder) -> (u16, Value, reqwest::header::HeaderMap) {
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)), headers)
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let (s, v, _) = Self::send(self.admin(Method::POST, path).json(&body)).await;
        assert!(s == 200 || s == 201, "{path}: {s} {v}");
        v
    }

    async fn enrolled_shop(&self, code: &str) -> String {
        let created = self.post("/api/v1/shops", json!({"code": code, "name": code, "postal_code": "69003"})).await;
        let token = created["enrolment_token"].as_str().unwrap();
        let (s, e, _) = Self::send(
            self.req(Method::POST, "/api/v1/sync/enrol")
                .json(&json!({"token": token, "protocol": 1, "version": "0.1.0"})),
        )
        .await;
        assert_eq!(s, 200, "{e}");
        e["credential"].as_str().unwrap().to_string()
    }
}

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// No Authorization header.
    Nobody,
    /// HTTP Basic, the admin's name, a wrong password.
    WrongPassword,
    /// HTTP Basic, the admin account.
    Admin,
    /// An admin API token (Bearer).
    ApiToken,
    /// LYON1's own credential: the shop the resources of each row belong to.
    Shop,
    /// PARIS1's credential, on LYON1's resources.
    OtherShop,
    /// NICE1's credential, revoked.
    Revoked,
}

const EVERYONE: [Who; 7] =
    [Who::Nobody, Who::WrongPassword, Who::Admin, Who::ApiToken, Who::Shop, Who::OtherShop, Who::Revoked];

struct Ctx {
    token: String,
    lyon: String,
    paris: String,
    nice: String,
    lyon_job: String,
    csv: String,
    /// A customer, the records each caller merges into it, and one to erase.
    customer: String,
    twins: Vec<String>,
    erasable: String,
}

/// What a row sends.
struct Req {
    path: String,
    body: Option<Value>,
    csv: Option<String>,
}

fn get(path: &str) -> Req {
    Req { path: path.into(), body: None, csv: None }
}

fn with(path: &str, body: Value) -> Req {
    Req { path: path.into(), body: Some(body), csv: None }
}

fn tag(who: Who) -> usize {
    EVERYONE.iter().position(|w| *w == who).unwrap()
}

/// One endpoint: its method and OpenAPI path, the request, and the status for each caller
/// in the order of [`EVERYONE`].
struct Row {
    method: Method,
    path: &'static str,
    request: fn(&Ctx, Who) -> Req,
    expect: [u16; 7],
    /// Checks a successful answer (whose data it is).
    verify: Option<fn(Who, &Value)>,
}

//                       Nobody Wrong Admin Token Shop Other Revoked
const ADMIN_ONLY: [u16; 7] = [401, 401, 200, 200, 401, 401, 401];
const ADMIN_CREATES: [u16; 7] = [401, 401, 201, 201, 401, 401, 401];
const SHOPS_ONLY: [u16; 7] = [401, 401, 401, 401, 200, 200, 401];

fn rows() -> Vec<Row> {
    use Method as M;
    vec![
        Row {
            method: M::GET,
            path: "/api/v1/health",
            request: |_, _| get("/api/v1/health"),
            expect: [200; 7],
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/openapi.json",
            request: |_, _| get("/api/v1/openapi.json"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/articles",
            request: |_, _| get("/api/v1/articles"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/articles",
            request: |_, w| {
                with(
                    "/api/v1/articles",
                    json!({"sku": format!("N{}", tag(w)), "name": "Pain", "price": 120, "tax_rate_bp": 550}),
                )
            },
            expect: ADMIN_CREATES,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/articles/{sku}",
            request: |_, _| get("/api/v1/articles/A1"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/articles/{sku}",
            request: |_, _| with("/api/v1/articles/A1", json!({"price": 130})),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/categories",
            request: |_, _| get("/api/v1/categories"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/categories",
            request: |_, w| with("/api/v1/categories", json!({"code": format!("CAT{}", tag(w)), "name": "Rayon"})),
            expect: ADMIN_CREATES,
            verify: None,
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/categories/{code}",
            request: |_, _| with("/api/v1/categories/BREAD", json!({"name": "Pains"})),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/tax-rates",
            request: |_, _| get("/api/v1/tax-rates"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/tax-rates",
            request: |_, w| with("/api/v1/tax-rates", json!({"bp": 100 + tag(w), "name": "Taux"})),
            expect: ADMIN_CREATES,
            verify: None,
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/tax-rates/{bp}",
            request: |_, _| with("/api/v1/tax-rates/550", json!({"name": "Réduit"})),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/catalog/export",
            request: |_, _| get("/api/v1/catalog/export"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/catalog/import",
            request: |c, _| Req { path: "/api/v1/catalog/import".into(), body: None, csv: Some(c.csv.clone()) },
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/shops",
            request: |_, _| get("/api/v1/shops"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/shops",
            request: |_, w| {
                with(
                    "/api/v1/shops",
                    json!({"code": format!("NEW{}", tag(w)), "name": "Nouveau", "postal_code": "75001"}),
                )
            },
            expect: ADMIN_CREATES,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/shops/{code}/revoke",
            request: |_, _| get("/api/v1/shops/SPARE/revoke"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/shops/{code}/enrolment-token",
            request: |_, _| get("/api/v1/shops/SPARE/enrolment-token"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/tickets",
            request: |_, _| get("/api/v1/tickets"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/reports/sales",
            request: |_, _| get("/api/v1/reports/sales?from=2026-01-01&to=2026-12-31"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/quarantine",
            request: |_, _| get("/api/v1/quarantine"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/chain-events",
            request: |_, _| get("/api/v1/chain-events"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/jobs",
            request: |_, _| with("/api/v1/jobs", json!({"kind": "resync_catalog", "shops": ["SPARE"]})),
            expect: ADMIN_CREATES,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/jobs",
            request: |_, _| get("/api/v1/jobs"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        // Enrolment takes no credential: the one-time token is the secret, and a wrong one
        // is refused whoever sends it.
        Row {
            method: M::POST,
            path: "/api/v1/sync/enrol",
            request: |_, _| {
                with("/api/v1/sync/enrol", json!({"token": "cpe_not-a-token", "protocol": 1, "version": "0.1.0"}))
            },
            expect: [401; 7],
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/sync/hello",
            request: |_, _| get("/api/v1/sync/hello"),
            expect: SHOPS_ONLY,
            verify: Some(|w, v| {
                let me = if w == Who::Shop { "LYON1" } else { "PARIS1" };
                assert_eq!(v["shop"]["code"], me, "hello names the credential's shop: {v}");
            }),
        },
        Row {
            method: M::GET,
            path: "/api/v1/sync/feed",
            request: |_, _| get("/api/v1/sync/feed?cursor=0"),
            expect: SHOPS_ONLY,
            verify: Some(|w, v| {
                let jobs: Vec<&Value> =
                    v["changes"].as_array().unwrap().iter().filter(|c| c["entity"] == "job").collect();
                match w {
                    Who::Shop => assert_eq!(jobs.len(), 1, "LYON1 sees its job: {v}"),
                    _ => assert!(jobs.is_empty(), "PARIS1 never sees LYON1's job: {v}"),
                }
            }),
        },
        Row {
            method: M::GET,
            path: "/api/v1/sync/snapshot",
            request: |_, _| get("/api/v1/sync/snapshot"),
            expect: SHOPS_ONLY,
            verify: Some(|w, v| {
                let text = v.as_str().unwrap();
                let jobs = text.lines().filter(|l| l.contains("\"entity\":\"job\"")).count();
                assert_eq!(jobs, usize::from(w == Who::Shop), "only LYON1's snapshot holds LYON1's job: {text}");
            }),
        },
        Row {
            method: M::POST,
            path: "/api/v1/sync/push",
            // Each caller pushes a ticket of LYON1's register R1.
            request: |_, w| {
                let t = ticket("LYON1", "R1", 1 + tag(w) as i64, GENESIS, 100, "2026-11-23");
                with("/api/v1/sync/push", json!({"records": [{"kind": "ticket", "body": t}]}))
            },
            expect: SHOPS_ONLY,
            verify: Some(|w, v| match w {
                Who::Shop => assert_eq!(v["accepted"].as_array().unwrap().len(), 1, "{v}"),
                _ => {
                    assert!(v["accepted"].as_array().unwrap().is_empty(), "PARIS1 cannot write LYON1's sales: {v}");
                    let reason = v["quarantined"][0]["reason"].as_str().unwrap();
                    assert!(reason.contains("names shop LYON1, credential is shop PARIS1"), "{reason}");
                }
            }),
        },
        Row {
            method: M::POST,
            path: "/api/v1/sync/jobs/{id}",
            request: |c, _| {
                with(&format!("/api/v1/sync/jobs/{}", c.lyon_job), json!({"state": "done", "detail": "ok"}))
            },
            // A shop reports its own jobs only: another shop's is not found.
            expect: [401, 401, 401, 401, 204, 404, 401],
            verify: None,
        },
        // Fiscal records (docs/fiscal.md): a shop's journal and archives for admins; the
        // upload for a shop's own credential (a file that is no archive is refused as such).
        Row {
            method: M::GET,
            path: "/api/v1/shops/{code}/journal",
            request: |_, _| get("/api/v1/shops/LYON1/journal?code=closure"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/shops/{code}/archives",
            request: |_, _| get("/api/v1/shops/LYON1/archives"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/shops/{code}/archives/{name}",
            request: |_, _| get("/api/v1/shops/LYON1/archives/LYON1-2026-11-000000000000.jsonl"),
            expect: [401, 401, 404, 404, 401, 401, 401],
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/sync/archives",
            request: |_, _| Req {
                path: "/api/v1/sync/archives".into(),
                body: None,
                csv: Some("not an archive\n".into()),
            },
            expect: [401, 401, 401, 401, 400, 400, 401],
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/customers",
            request: |_, _| get("/api/v1/customers?overdrawn=true"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/customers",
            request: |_, w| with("/api/v1/customers", json!({"name": format!("Client {}", tag(w))})),
            expect: ADMIN_CREATES,
            verify: Some(|_, v| assert!(v["card"].as_str().unwrap().starts_with("HQ-"), "{v}")),
        },
        Row {
            method: M::GET,
            path: "/api/v1/customers/{id}",
            request: |c, _| get(&format!("/api/v1/customers/{}", c.customer)),
            expect: ADMIN_ONLY,
            verify: Some(|_, v| assert_eq!(v["overdrawn"], false, "{v}")),
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/customers/{id}",
            request: |c, _| with(&format!("/api/v1/customers/{}", c.customer), json!({"email": "a@example.org"})),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/customers/{id}/merge",
            request: |c, w| with(&format!("/api/v1/customers/{}/merge", c.twins[tag(w)]), json!({"into": c.customer})),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/customers/{id}/erase",
            request: |c, _| with(&format!("/api/v1/customers/{}/erase", c.erasable), json!({})),
            expect: ADMIN_ONLY,
            verify: Some(|_, v| assert_eq!(v["erased"], true, "{v}")),
        },
        Row {
            method: M::GET,
            path: "/api/v1/customers/{id}/loyalty",
            request: |c, _| get(&format!("/api/v1/customers/{}/loyalty", c.customer)),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/customers/{id}/loyalty",
            request: |c, _| {
                with(&format!("/api/v1/customers/{}/loyalty", c.customer), json!({"kind": "adjust", "points": 5}))
            },
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/loyalty/rule",
            request: |_, _| get("/api/v1/loyalty/rule"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::PUT,
            path: "/api/v1/loyalty/rule",
            request: |_, _| with("/api/v1/loyalty/rule", json!({"points_per_euro": 1, "cents_per_point": 1})),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/offers",
            request: |_, _| get("/api/v1/offers"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/offers",
            request: |_, _| {
                with(
                    "/api/v1/offers",
                    json!({"name": "-10 %", "percent_bp": 1000, "article": "A1", "from": "2026-01-01", "to": "2026-12-31"}),
                )
            },
            expect: ADMIN_CREATES,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/messages",
            request: |_, _| get("/api/v1/messages?shop=LYON1"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/messages",
            request: |_, _| with("/api/v1/messages", json!({"shop": "LYON1", "text": "Bonjour"})),
            expect: ADMIN_CREATES,
            verify: None,
        },
        // Stock and people (docs/stock.md, docs/people.md): the chain's admin only.
        Row {
            method: M::GET,
            path: "/api/v1/stock",
            request: |_, _| get("/api/v1/stock?sku=A1"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/purchase-orders",
            request: |_, _| {
                with(
                    "/api/v1/purchase-orders",
                    json!({"shop": "LYON1", "supplier": "Moulins Dupont", "lines": [{"sku": "A1", "qty": 10}]}),
                )
            },
            expect: ADMIN_CREATES,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/purchase-orders",
            request: |_, _| get("/api/v1/purchase-orders"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/transfers",
            request: |_, _| get("/api/v1/transfers"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/receptions",
            request: |_, _| get("/api/v1/receptions"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/users",
            request: |_, w| {
                with(
                    "/api/v1/users",
                    json!({"code": format!("V{}", tag(w)), "name": "Valérie", "role": "cashier", "pin": "1357", "shops": ["LYON1"], "registers": []}),
                )
            },
            expect: ADMIN_CREATES,
            verify: None,
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/users/{code}",
            // V2 is the user the admin made on the row above.
            request: |_, _| with("/api/v1/users/V2", json!({"name": "Valérie D."})),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/users",
            request: |_, _| get("/api/v1/users"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::POST,
            path: "/api/v1/keyboards",
            request: |_, w| {
                with(
                    "/api/v1/keyboards",
                    json!({"code": format!("K{}", tag(w)), "name": "Boulangerie", "shops": ["LYON1"], "registers": [],
                           "pages": [{"name": "Pains", "buttons": [{"label": "Baguette", "kind": "article", "value": "A1"}]}]}),
                )
            },
            expect: ADMIN_CREATES,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/keyboards",
            request: |_, _| get("/api/v1/keyboards"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::PUT,
            path: "/api/v1/shops/{code}/prices/{sku}",
            request: |_, _| with("/api/v1/shops/LYON1/prices/A1", json!({"price": 140})),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::PUT,
            path: "/api/v1/shops/{code}/printers/{printer}",
            request: |_, _| {
                with(
                    "/api/v1/shops/LYON1/printers/P1",
                    json!({"name": "Caisse 1", "kind": "receipt", "address": "tcp://192.168.1.50:9100", "active": true}),
                )
            },
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::PUT,
            path: "/api/v1/shops/{code}/identity",
            request: |_, _| {
                with(
                    "/api/v1/shops/LYON1/identity",
                    json!({"legal_name": "Boulangeries Martin SA", "address": "Lyon", "siret": "12345678900012", "vat_number": "FR12123456789", "footer": ""}),
                )
            },
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/shops/{code}/identity",
            request: |_, _| get("/api/v1/shops/LYON1/identity"),
            expect: ADMIN_ONLY,
            verify: None,
        },
        Row {
            method: M::GET,
            path: "/api/v1/timeclock/report",
            request: |_, _| get("/api/v1/timeclock/report?week=2026-W48"),
            expect: ADMIN_ONLY,
            verify: None,
        },
    ]
}

/// Every operation of the OpenAPI document, as (METHOD, path).
fn documented() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(comptoir_hq::api::document()).unwrap();
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

fn unlimited() -> HqConfig {
    // The table sends many wrong credentials from one address: no lockout here (tested below).
    HqConfig { login_max_failures: 0, login_max_failures_per_address: 0, ..HqConfig::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_times_every_caller() {
    let table = rows();
    let covered: BTreeSet<(String, String)> =
        table.iter().map(|r| (r.method.to_string(), r.path.to_string())).collect();
    assert_eq!(table.len(), covered.len(), "one row per endpoint");
    let documented = documented();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(missing.is_empty(), "endpoints of the OpenAPI document without a row in this table: {missing:?}");
    let stale: Vec<_> = covered.difference(&documented).collect();
    assert!(stale.is_empty(), "rows for endpoints the OpenAPI document does not have: {stale:?}");

    let hq = TestHq::start(unlimited()).await;
    let (token, record) = comptoir_hq::sync::new_keyed_secret();
    hq.storage.create_api_token("ci", &record).await.unwrap();
    let lyon = hq.enrolled_shop("LYON1").await;
    let paris = hq.enrolled_shop("PARIS1").await;
    let nice = hq.enrolled_shop("NICE1").await;
    hq.post("/api/v1/shops/NICE1/revoke", json!({})).await;
    hq.post("/api/v1/shops", json!({"code": "SPARE", "name": "Spare", "postal_code": "13001"})).await;
    hq.post("/api/v1/categories", json!({"code": "BREAD", "name": "Pain"})).await;
    hq.post("/api/v1/articles", json!({"sku": "A1", "name": "Baguette", "price": 120, "tax_rate_bp": 550})).await;
    let job = hq.post("/api/v1/jobs", json!({"kind": "resync_catalog", "shops": ["LYON1"]})).await;
    let (s, csv, _) = TestHq::send(hq.admin(Method::GET, "/api/v1/catalog/export")).await;
    assert_eq!(s, 200);
    let new_customer = async |name: &str| {
        hq.post("/api/v1/customers", json!({"name": name})).await["id"].as_str().unwrap().to_string()
    };
    let customer = new_customer("Marie").await;
    let mut twins = Vec::new();
    for who in EVERYONE {
        twins.push(new_customer(&format!("Marie {}", tag(who))).await);
    }
    let erasable = new_customer("Pierre").await;
    let ctx = Ctx {
        customer,
        twins,
        erasable,
        token,
        lyon,
        paris,
        nice,
        lyon_job: job["id"].as_str().unwrap().to_string(),
        csv: csv.as_str().unwrap().to_string(),
    };

    let mut failures = Vec::new();
    for row in &table {
        for (i, who) in EVERYONE.iter().enumerate() {
            let req = (row.request)(&ctx, *who);
            let mut rb = hq.req(row.method.clone(), &req.path);
            rb = match who {
                Who::Nobody => rb,
                Who::WrongPassword => rb.basic_auth("admin", Some("not-the-password")),
                Who::Admin => rb.basic_auth("admin", Some(PASSWORD)),
                Who::ApiToken => rb.bearer_auth(&ctx.token),
                Who::Shop => rb.bearer_auth(&ctx.lyon),
                Who::OtherShop => rb.bearer_auth(&ctx.paris),
                Who::Revoked => rb.bearer_auth(&ctx.nice),
            };
            if let Some(body) = &req.body {
                rb = rb.json(body);
            }
            if let Some(csv) = &req.csv {
                rb = rb.header("content-type", "text/csv").body(csv.clone());
            }
            let (status, body, _) = TestHq::send(rb).await;
            if status != row.expect[i] {
                failures.push(format!(
                    "{} {} as {who:?}: {status}, expected {} ({body})",
                    row.method, req.path, row.expect[i]
                ));
                continue;
            }
            if status >= 400 {
                assert!(body["kind"].is_string() && body["message"].is_string(), "JSON error body: {body}");
            } else if let Some(verify) = row.verify {
                verify(*who, &body);
            }
        }
    }
    assert!(failures.is_empty(), "{} wrong statuses:\n{}", failures.len(), failures.join("\n"));

    // What the shops' calls left behind: LYON1's job done by LYON1 only; PARIS1's push of a
    // LYON1 ticket quarantined under PARIS1, never stored as LYON1's sale.
    let (_, jobs, _) = TestHq::send(hq.admin(Method::GET, "/api/v1/jobs")).await;
    let lyon_job = jobs.as_array().unwrap().iter().find(|j| j["id"] == job["id"]).unwrap();
    assert_eq!(lyon_job["shops"][0]["state"], "done", "{lyon_job}");
    let (_, tickets, _) = TestHq::send(hq.admin(Method::GET, "/api/v1/tickets?shop=LYON1")).await;
    assert_eq!(tickets["items"].as_array().unwrap().len(), 1, "only LYON1's own push is stored: {tickets}");
    let (_, quarantine, _) = TestHq::send(hq.admin(Method::GET, "/api/v1/quarantine?shop=PARIS1")).await;
    assert_eq!(quarantine.as_array().unwrap().len(), 1, "{quarantine}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_admin_sign_ins_lock_the_account_then_it_opens_again() {
    let config = HqConfig {
        login_max_failures: 3,
        login_max_failures_per_address: 0,
        // Long enough for the checks below on a loaded 2-core machine (an Argon2id check each).
        login_lockout_seconds: 6,
        ..HqConfig::default()
    };
    let hq = TestHq::start(config).await;
    let wrong = || hq.req(Method::GET, "/api/v1/shops").basic_auth("admin", Some("guess"));
    let right = || hq.req(Method::GET, "/api/v1/shops").basic_auth("admin", Some(PASSWORD));

    // Two failures, then a success: the count starts again.
    assert_eq!(TestHq::send(wrong()).await.0, 401);
    assert_eq!(TestHq::send(wrong()).await.0, 401);
    assert_eq!(TestHq::send(right()).await.0, 200);
    assert_eq!(TestHq::send(wrong()).await.0, 401);
    assert_eq!(TestHq::send(wrong()).await.0, 401);
    // The third consecutive failure locks: 429, Retry-After, a message in both languages.
    let (s, body, headers) = TestHq::send(wrong().header("Accept-Language", "fr")).await;
    assert_eq!((s, body["kind"].as_str()), (429, Some("too_many_attempts")), "{body}");
    assert_eq!(headers.get("retry-after").unwrap().to_str().unwrap(), "6");
    assert!(body["message"].as_str().unwrap().contains("bloqué encore 6 secondes"), "{body}");
    // Locked: even the right password is refused, without being checked.
    let (s, body, headers) = TestHq::send(right()).await;
    assert_eq!(s, 429, "{body}");
    assert!(body["message"].as_str().unwrap().contains("locked for"), "{body}");
    let wait: u64 = headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=6).contains(&wait), "{wait}");
    // Other credentials are not locked by the admin's lock (API tokens name no account).
    let (token, record) = comptoir_hq::sync::new_keyed_secret();
    hq.storage.create_api_token("ci", &record).await.unwrap();
    assert_eq!(TestHq::send(hq.req(Method::GET, "/api/v1/shops").bearer_auth(&token)).await.0, 200);

    tokio::time::sleep(Duration::from_millis(6100)).await;
    assert_eq!(TestHq::send(right()).await.0, 200, "the lock lifts after login_lockout_seconds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_from_one_address_lock_it_and_forwarded_for_counts_only_behind_a_trusted_proxy() {
    let enrol = |hq: &TestHq, forwarded: Option<&str>| {
        let mut rb = hq
            .req(Method::POST, "/api/v1/sync/enrol")
            .json(&json!({"token": "cpe_guess", "protocol": 1, "version": "0.1.0"}));
        if let Some(f) = forwarded {
            rb = rb.header("X-Forwarded-For", f);
        }
        rb
    };

    // No trusted proxy: X-Forwarded-For is ignored, every guess counts against 127.0.0.1.
    let config = HqConfig {
        login_max_failures: 0,
        login_max_failures_per_address: 4,
        login_lockout_seconds: 60,
        ..HqConfig::default()
    };
    let hq = TestHq::start(config.clone()).await;
    for i in 0..3 {
        let (s, body, _) = TestHq::send(enrol(&hq, Some(&format!("198.51.100.{i}")))).await;
        assert_eq!((s, body["kind"].as_str()), (401, Some("invalid_enrolment_token")));
    }
    let (s, body, headers) = TestHq::send(enrol(&hq, Some("198.51.100.9"))).await;
    assert_eq!((s, body["kind"].as_str()), (429, Some("too_many_attempts")), "{body}");
    assert_eq!(headers.get("retry-after").unwrap().to_str().unwrap(), "60");
    assert!(body["message"].as_str().unwrap().contains("from this address"), "{body}");
    // The address is locked for every sign-in, the admin's right password included.
    let (s, _, _) = TestHq::send(hq.admin(Method::GET, "/api/v1/shops")).await;
    assert_eq!(s, 429);

    // Behind a trusted proxy (here: loopback), the client is the forwarded address.
    let hq = TestHq::start(HqConfig { trusted_proxies: vec!["127.0.0.1".parse().unwrap()], ..config }).await;
    for _ in 0..3 {
        assert_eq!(TestHq::send(enrol(&hq, Some("198.51.100.7"))).await.0, 401);
    }
    assert_eq!(TestHq::send(enrol(&hq, Some("203.0.113.5, 198.51.100.7"))).await.0, 429, "the last untrusted hop");
    // Another client behind the same proxy is not locked.
    let (s, _, _) =
        TestHq::send(hq.admin(Method::GET, "/api/v1/shops").header("X-Forwarded-For", "198.51.100.8")).await;
    assert_eq!(s, 200);
    // A valid enrolment from a locked address waits too: the lock comes before the token.
    let created = hq.post("/api/v1/shops", json!({"code": "LYON1", "name": "Lyon", "postal_code": "69003"})).await;
    let token = created["enrolment_token"].as_str().unwrap();
    let locked = hq
        .req(Method::POST, "/api/v1/sync/enrol")
        .header("X-Forwarded-For", "198.51.100.7")
        .json(&json!({"token": token, "protocol": 1, "version": "0.1.0"}));
    assert_eq!(TestHq::send(locked).await.0, 429);
    let open = hq
        .req(Method::POST, "/api/v1/sync/enrol")
        .header("X-Forwarded-For", "198.51.100.8")
        .json(&json!({"token": token, "protocol": 1, "version": "0.1.0"}));
    assert_eq!(TestHq::send(open).await.0, 200, "the token was not spent by the refused attempt");
}
