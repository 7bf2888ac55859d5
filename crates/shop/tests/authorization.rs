//! Who may call what on a shop: one table, every endpoint of the OpenAPI document × every
//! kind of caller, with the status each must get; then sign-in limits (lockout per user
//! and per address) and a log that never holds a secret.

mod common;

use common::{ADMIN, ADMIN_PASSWORD, Api, TestShop, serve};
use comptoir_shop::ShopConfig;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// No Authorization header.
    Nobody,
    /// The admin's code with a wrong password.
    WrongPassword,
    /// The cashier's code with a wrong PIN.
    WrongPin,
    /// Cashier C1 with its PIN.
    Cashier,
    /// Manager M1 with its password.
    Manager,
    /// The admin.
    Admin,
}

const EVERYONE: [Who; 6] = [Who::Nobody, Who::WrongPassword, Who::WrongPin, Who::Cashier, Who::Manager, Who::Admin];

fn tag(who: Who) -> usize {
    EVERYONE.iter().position(|w| *w == who).unwrap()
}

/// What a row sends.
struct Req {
    path: String,
    body: Option<Value>,
    csv: Option<&'static str>,
}

fn get(path: &str) -> Req {
    Req { path: path.into(), body: None, csv: None }
}

fn with(path: &str, body: Value) -> Req {
    Req { path: path.into(), body: Some(body), csv: None }
}

/// One endpoint: its method and OpenAPI path, the request, and the status for each caller
/// in the order of [`EVERYONE`].
struct Row {
    method: Method,
    path: &'static str,
    request: fn(Who) -> Req,
    expect: [u16; 6],
}

//                           Nobody Wrong WrongPin Cashier Manager Admin
const SIGNED_IN: [u16; 6] = [401, 401, 401, 200, 200, 200];
const MANAGER: [u16; 6] = [401, 401, 401, 403, 200, 200];
const MANAGER_CREATES: [u16; 6] = [401, 401, 401, 403, 201, 201];
const SIGNED_IN_CREATES: [u16; 6] = [401, 401, 401, 201, 201, 201];
const ADMIN_ONLY: [u16; 6] = [401, 401, 401, 403, 403, 200];
const ADMIN_CREATES: [u16; 6] = [401, 401, 401, 403, 403, 201];

const CSV: &str = "sku;name;price;tax_rate;category;barcodes\nA1;Baguette tradition;1,30;5,5;;3017620422003\n";

fn rows() -> Vec<Row> {
    use Method as M;
    vec![
        Row { method: M::GET, path: "/api/v1/health", request: |_| get("/api/v1/health"), expect: [200; 6] },
        Row {
            method: M::GET,
            path: "/api/v1/openapi.json",
            request: |_| get("/api/v1/openapi.json"),
            expect: SIGNED_IN,
        },
        Row { method: M::GET, path: "/api/v1/shop", request: |_| get("/api/v1/shop"), expect: SIGNED_IN },
        Row { method: M::GET, path: "/api/v1/articles", request: |_| get("/api/v1/articles"), expect: SIGNED_IN },
        Row {
            method: M::POST,
            path: "/api/v1/articles",
            request: |w| {
                with(
                    "/api/v1/articles",
                    json!({"sku": format!("N{}", tag(w)), "name": "Pain", "price": 120, "tax_rate_bp": 550}),
                )
            },
            expect: MANAGER_CREATES,
        },
        Row {
            method: M::GET,
            path: "/api/v1/articles/{sku}",
            request: |_| get("/api/v1/articles/A1"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/articles/{sku}",
            request: |_| with("/api/v1/articles/B1", json!({"price": 1300})),
            expect: MANAGER,
        },
        Row { method: M::GET, path: "/api/v1/categories", request: |_| get("/api/v1/categories"), expect: SIGNED_IN },
        Row {
            method: M::POST,
            path: "/api/v1/categories",
            request: |w| with("/api/v1/categories", json!({"code": format!("CAT{}", tag(w)), "name": "Rayon"})),
            expect: MANAGER_CREATES,
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/categories/{code}",
            request: |_| with("/api/v1/categories/BREAD", json!({"name": "Pains"})),
            expect: MANAGER,
        },
        Row { method: M::GET, path: "/api/v1/tax-rates", request: |_| get("/api/v1/tax-rates"), expect: SIGNED_IN },
        Row {
            method: M::POST,
            path: "/api/v1/tax-rates",
            request: |w| with("/api/v1/tax-rates", json!({"bp": 100 + tag(w), "name": "Taux"})),
            expect: MANAGER_CREATES,
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/tax-rates/{bp}",
            request: |_| with("/api/v1/tax-rates/550", json!({"name": "Réduit"})),
            expect: MANAGER,
        },
        Row {
            method: M::GET,
            path: "/api/v1/catalog/export",
            request: |_| get("/api/v1/catalog/export"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::POST,
            path: "/api/v1/catalog/import",
            request: |_| Req { path: "/api/v1/catalog/import".into(), body: None, csv: Some(CSV) },
            expect: MANAGER,
        },
        Row { method: M::GET, path: "/api/v1/registers", request: |_| get("/api/v1/registers"), expect: SIGNED_IN },
        Row {
            method: M::POST,
            path: "/api/v1/registers",
            request: |w| with("/api/v1/registers", json!({"code": format!("N{}", tag(w)), "name": "Caisse"})),
            expect: MANAGER_CREATES,
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/registers/{code}",
            request: |_| with("/api/v1/registers/R1", json!({"name": "Caisse 1"})),
            expect: MANAGER,
        },
        Row { method: M::GET, path: "/api/v1/users", request: |_| get("/api/v1/users"), expect: MANAGER },
        Row {
            method: M::POST,
            path: "/api/v1/users",
            request: |w| {
                with(
                    "/api/v1/users",
                    json!({"code": format!("U{}", tag(w)), "name": "Bob", "role": "cashier", "pin": "4321"}),
                )
            },
            expect: ADMIN_CREATES,
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/users/{code}",
            request: |_| with("/api/v1/users/U9", json!({"name": "Robert"})),
            expect: ADMIN_ONLY,
        },
        Row {
            method: M::POST,
            path: "/api/v1/tickets",
            // Every role may sell under the cashier's code (a cashier only under its own).
            request: |_| {
                with(
                    "/api/v1/tickets",
                    json!({"register": "R1", "cashier": "C1", "lines": [{"sku": "A1", "qty": 1}], "payments": [{"method": "cash", "amount": 500}]}),
                )
            },
            expect: [401, 401, 401, 201, 201, 201],
        },
        Row { method: M::GET, path: "/api/v1/tickets", request: |_| get("/api/v1/tickets"), expect: SIGNED_IN },
        Row {
            method: M::GET,
            path: "/api/v1/tickets/{key}",
            request: |_| get("/api/v1/tickets/PARIS1-R1-000001"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::POST,
            path: "/api/v1/closures",
            // Each caller closes the day of its own register (a period closes once).
            request: |w| with("/api/v1/closures", json!({"register": format!("Z{}", tag(w)), "kind": "day"})),
            expect: MANAGER_CREATES,
        },
        Row { method: M::GET, path: "/api/v1/closures", request: |_| get("/api/v1/closures"), expect: SIGNED_IN },
        Row { method: M::POST, path: "/api/v1/verify", request: |_| get("/api/v1/verify"), expect: MANAGER },
        Row { method: M::GET, path: "/api/v1/journal", request: |_| get("/api/v1/journal"), expect: MANAGER },
        // Customers: any signed-in user, at the register. The first one made is PARIS1-000001.
        Row {
            method: M::POST,
            path: "/api/v1/customers",
            request: |w| with("/api/v1/customers", json!({"name": format!("Client {}", tag(w))})),
            expect: SIGNED_IN_CREATES,
        },
        Row {
            method: M::GET,
            path: "/api/v1/customers",
            request: |_| get("/api/v1/customers?q=client"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::GET,
            path: "/api/v1/customers/{key}",
            request: |_| get("/api/v1/customers/PARIS1-000001"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/customers/{key}",
            request: |_| with("/api/v1/customers/PARIS1-000001", json!({"phone": "+33 6 12 34 56 78"})),
            expect: SIGNED_IN,
        },
        Row {
            method: M::GET,
            path: "/api/v1/customers/{key}/loyalty",
            request: |_| get("/api/v1/customers/PARIS1-000001/loyalty"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::GET,
            path: "/api/v1/customers/{key}/offers",
            request: |_| get("/api/v1/customers/PARIS1-000001/offers"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::GET,
            path: "/api/v1/registers/{code}/messages",
            request: |_| get("/api/v1/registers/R1/messages?moment=opening"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::POST,
            path: "/api/v1/registers/{code}/messages/{id}/ack",
            // No such message: signed-in callers learn it is not found.
            request: |_| with("/api/v1/registers/R1/messages/00000000-0000-0000-0000-000000000000/ack", json!({})),
            expect: [401, 401, 401, 404, 404, 404],
        },
        // The register's own operations (docs/register.md): any signed-in user.
        Row { method: M::GET, path: "/api/v1/hq-link", request: |_| get("/api/v1/hq-link"), expect: SIGNED_IN },
        Row { method: M::GET, path: "/api/v1/parked", request: |_| get("/api/v1/parked"), expect: SIGNED_IN },
        Row {
            method: M::POST,
            path: "/api/v1/parked",
            request: |w| {
                with(
                    "/api/v1/parked",
                    json!({"register": "R1", "cashier": "C1", "label": format!("Attente {}", tag(w)), "lines": [{"sku": "A1", "name": "Baguette", "qty": 1, "unit_price": 120}]}),
                )
            },
            expect: SIGNED_IN_CREATES,
        },
        Row {
            method: M::DELETE,
            path: "/api/v1/parked/{id}",
            request: |_| get("/api/v1/parked/00000000-0000-0000-0000-000000000000"),
            expect: [401, 401, 401, 404, 404, 404],
        },
        Row {
            method: M::POST,
            path: "/api/v1/tickets/preview",
            request: |_| {
                with(
                    "/api/v1/tickets/preview",
                    json!({"register": "R1", "cashier": "C1", "lines": [{"sku": "A1", "qty": 2}], "payments": []}),
                )
            },
            expect: SIGNED_IN,
        },
        Row { method: M::GET, path: "/api/v1/scan/{code}", request: |_| get("/api/v1/scan/A1"), expect: SIGNED_IN },
        Row { method: M::GET, path: "/api/v1/scale-rules", request: |_| get("/api/v1/scale-rules"), expect: SIGNED_IN },
        Row {
            method: M::PUT,
            path: "/api/v1/scale-rules",
            request: |_| with("/api/v1/scale-rules", json!([])),
            expect: MANAGER,
        },
        Row {
            method: M::GET,
            path: "/api/v1/settings/discounts",
            request: |_| get("/api/v1/settings/discounts"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::PUT,
            path: "/api/v1/settings/discounts",
            request: |_| with("/api/v1/settings/discounts", json!({"cashier_limit_bp": 1000})),
            expect: MANAGER,
        },
        Row {
            method: M::GET,
            path: "/api/v1/registers/{code}/keyboard",
            // No keyboard was defined for R1: signed-in callers are told so.
            request: |_| get("/api/v1/registers/R1/keyboard"),
            expect: [401, 401, 401, 404, 404, 404],
        },
        Row {
            method: M::GET,
            path: "/api/v1/registers/{code}/users",
            request: |_| get("/api/v1/registers/R1/users"),
            expect: MANAGER,
        },
        Row {
            method: M::GET,
            path: "/api/v1/registers/{code}/till",
            request: |_| get("/api/v1/registers/R1/till"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::POST,
            path: "/api/v1/registers/{code}/till/open",
            // Each caller opens the till of its own register, then closes it (next row).
            request: |w| with(&format!("/api/v1/registers/Y{}/till/open", tag(w)), json!({"amount": 10000})),
            expect: SIGNED_IN_CREATES,
        },
        Row {
            method: M::POST,
            path: "/api/v1/registers/{code}/till/close",
            request: |w| with(&format!("/api/v1/registers/Y{}/till/close", tag(w)), json!({"amount": 10000})),
            expect: SIGNED_IN,
        },
        Row {
            method: M::GET,
            path: "/api/v1/registers/{code}/sessions",
            request: |_| get("/api/v1/registers/R1/sessions"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::GET,
            path: "/api/v1/registers/{code}/x",
            request: |_| get("/api/v1/registers/R1/x"),
            expect: SIGNED_IN,
        },
        // Receipts and devices (docs/peripherals.md).
        Row {
            method: M::GET,
            path: "/api/v1/shop/identity",
            request: |_| get("/api/v1/shop/identity"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/shop/identity",
            request: |_| with("/api/v1/shop/identity", json!({"footer": "Merci de votre visite"})),
            expect: ADMIN_ONLY,
        },
        Row { method: M::GET, path: "/api/v1/printers", request: |_| get("/api/v1/printers"), expect: SIGNED_IN },
        Row {
            method: M::POST,
            path: "/api/v1/printers",
            request: |w| {
                with(
                    "/api/v1/printers",
                    json!({"code": format!("P{}", tag(w) + 1), "name": "Imprimante", "kind": "receipt", "address": "browser"}),
                )
            },
            expect: MANAGER_CREATES,
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/printers/{code}",
            request: |_| with("/api/v1/printers/P0", json!({"name": "Comptoir"})),
            expect: MANAGER,
        },
        Row {
            method: M::GET,
            path: "/api/v1/printers/{code}/status",
            request: |_| get("/api/v1/printers/P0/status"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::POST,
            path: "/api/v1/tickets/{key}/print",
            request: |_| with("/api/v1/tickets/PARIS1-R1-000001/print", json!({})),
            expect: SIGNED_IN,
        },
        Row {
            method: M::GET,
            path: "/api/v1/tickets/{key}/receipt",
            request: |_| get("/api/v1/tickets/PARIS1-R1-000001/receipt?format=html"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::POST,
            path: "/api/v1/tickets/{key}/link",
            request: |_| with("/api/v1/tickets/PARIS1-R1-000001/link", json!({})),
            expect: SIGNED_IN_CREATES,
        },
        Row {
            method: M::POST,
            path: "/api/v1/tickets/{key}/email",
            // This shop has no mail server: signed-in callers are told how to set one.
            request: |_| with("/api/v1/tickets/PARIS1-R1-000001/email", json!({"to": "alice@example.fr"})),
            expect: [401, 401, 401, 400, 400, 400],
        },
        Row {
            method: M::POST,
            path: "/api/v1/registers/{code}/drawer",
            // The drawer opens on a manager's PIN, whoever is signed in at the register; R1
            // prints from the browser, which has no drawer (opened in tests/peripherals.rs).
            request: |_| with("/api/v1/registers/R1/drawer", json!({"manager": "M2", "pin": "2468"})),
            expect: [401, 401, 401, 400, 400, 400],
        },
        Row {
            method: M::GET,
            path: "/api/v1/registers/{code}/devices",
            request: |_| get("/api/v1/registers/R1/devices"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::GET,
            path: "/api/v1/registers/{code}/display",
            request: |_| get("/api/v1/registers/R1/display"),
            expect: SIGNED_IN,
        },
        Row { method: M::GET, path: "/api/v1/terminals", request: |_| get("/api/v1/terminals"), expect: SIGNED_IN },
        Row {
            method: M::POST,
            path: "/api/v1/terminals",
            request: |w| {
                with(
                    "/api/v1/terminals",
                    json!({"code": format!("T{}", tag(w) + 1), "kind": "caisse-ap-ip", "address": "tcp://127.0.0.1:9"}),
                )
            },
            expect: MANAGER_CREATES,
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/terminals/{code}",
            request: |_| with("/api/v1/terminals/T0", json!({"name": "Terminal du comptoir"})),
            expect: MANAGER,
        },
        Row {
            method: M::POST,
            path: "/api/v1/terminals/{code}/payments",
            // T0 is switched off: the answer is a payment that did not happen.
            request: |_| with("/api/v1/terminals/T0/payments", json!({"amount": 100})),
            expect: SIGNED_IN,
        },
        // Stock and people (docs/stock.md, docs/people.md).
        Row { method: M::GET, path: "/api/v1/stock", request: |_| get("/api/v1/stock?sku=A1"), expect: SIGNED_IN },
        Row {
            method: M::GET,
            path: "/api/v1/stock/movements",
            request: |_| get("/api/v1/stock/movements?sku=A1"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::POST,
            path: "/api/v1/stock/adjustments",
            request: |_| with("/api/v1/stock/adjustments", json!({"sku": "A1", "qty": 2, "reason": "casse"})),
            expect: MANAGER_CREATES,
        },
        Row {
            method: M::POST,
            path: "/api/v1/stock/counts",
            request: |_| with("/api/v1/stock/counts", json!({"sku": "A1", "counted": 12})),
            expect: MANAGER_CREATES,
        },
        Row { method: M::GET, path: "/api/v1/shops", request: |_| get("/api/v1/shops"), expect: SIGNED_IN },
        Row { method: M::GET, path: "/api/v1/transfers", request: |_| get("/api/v1/transfers"), expect: SIGNED_IN },
        Row {
            method: M::POST,
            path: "/api/v1/transfers",
            // A shop alone knows no other shop to send to.
            request: |_| with("/api/v1/transfers", json!({"to": "LYON1", "lines": [{"sku": "A1", "qty": 1}]})),
            expect: [401, 401, 401, 403, 422, 422],
        },
        Row {
            method: M::POST,
            path: "/api/v1/transfers/{id}/receive",
            request: |_| with("/api/v1/transfers/00000000-0000-0000-0000-000000000000/receive", json!({"lines": []})),
            expect: [401, 401, 401, 403, 404, 404],
        },
        Row {
            method: M::GET,
            path: "/api/v1/purchase-orders",
            request: |_| get("/api/v1/purchase-orders"),
            expect: SIGNED_IN,
        },
        Row {
            method: M::POST,
            path: "/api/v1/purchase-orders",
            request: |_| {
                with(
                    "/api/v1/purchase-orders",
                    json!({"supplier": "Moulins Dupont", "lines": [{"sku": "A1", "qty": 10}]}),
                )
            },
            expect: MANAGER_CREATES,
        },
        Row {
            method: M::POST,
            path: "/api/v1/receptions",
            request: |_| with("/api/v1/receptions", json!({"order": "PO-NONE", "lines": [{"sku": "A1", "qty": 10}]})),
            expect: [401, 401, 401, 403, 422, 422],
        },
        Row {
            method: M::POST,
            path: "/api/v1/timeclock",
            // A punch is signed by the user's own PIN, whoever holds the register.
            request: |_| {
                with("/api/v1/timeclock", json!({"register": "R1", "user": "C1", "pin": "1234", "kind": "in"}))
            },
            expect: SIGNED_IN_CREATES,
        },
        Row { method: M::GET, path: "/api/v1/settings/hq", request: |_| get("/api/v1/settings/hq"), expect: SIGNED_IN },
        Row {
            method: M::PATCH,
            path: "/api/v1/settings/hq",
            request: |_| with("/api/v1/settings/hq", json!({"accept_hq_prices": true})),
            expect: ADMIN_ONLY,
        },
        Row {
            method: M::PUT,
            path: "/api/v1/prices/{sku}",
            request: |_| with("/api/v1/prices/A1", json!({"price": 130})),
            expect: MANAGER,
        },
    ]
}

/// Every operation of the OpenAPI document, as (METHOD, path).
fn documented() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(comptoir_shop::api::document()).unwrap();
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

fn caller(api: &Api, who: Who) -> Api {
    match who {
        Who::Nobody => api.anonymous(),
        Who::WrongPassword => api.as_user(ADMIN, "not-the-password"),
        Who::WrongPin => api.as_user("C1", "9999"),
        Who::Cashier => api.as_user("C1", "1234"),
        Who::Manager => api.as_user("M1", "manager-password"),
        Who::Admin => api.clone(),
    }
}

/// A shop with C1 (cashier), M1 (manager), M2 (manager with a PIN), U9 (cashier), category
/// BREAD, registers R1 (printing on P0, the browser), Z0..Z5 and Y0..Y5, terminal T0 (off),
/// one sale; served with `config`.
async fn prepared(config: ShopConfig) -> (TestShop, Api) {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let mut setup = vec![
        ("/api/v1/users", json!({"code": "M1", "name": "Marie", "role": "manager", "password": "manager-password"})),
        ("/api/v1/users", json!({"code": "U9", "name": "Bob", "role": "cashier", "pin": "4321"})),
        ("/api/v1/categories", json!({"code": "BREAD", "name": "Pain"})),
    ];
    for i in 0..EVERYONE.len() {
        setup.push(("/api/v1/registers", json!({"code": format!("Z{i}"), "name": "Caisse"})));
        setup.push(("/api/v1/registers", json!({"code": format!("Y{i}"), "name": "Caisse"})));
    }
    setup.push(("/api/v1/users", json!({"code": "M2", "name": "Martin", "role": "manager", "pin": "2468"})));
    setup
        .push(("/api/v1/printers", json!({"code": "P0", "name": "Caisse 1", "kind": "receipt", "address": "browser"})));
    setup.push((
        "/api/v1/terminals",
        json!({"code": "T0", "kind": "caisse-ap-ip", "address": "tcp://127.0.0.1:9", "timeout_seconds": 1}),
    ));
    for (path, body) in setup {
        let (s, v) = api.post(path, body).await;
        assert_eq!(s, 201, "{path}: {v}");
    }
    let (s, r) = api.patch("/api/v1/registers/R1", json!({"receipt_printer": "P0"})).await;
    assert_eq!(s, 200, "{r}");
    api.sell(json!({"register": "R1", "cashier": "C1", "lines": [{"sku": "A1", "qty": 1}], "payments": [{"method": "cash", "amount": 120}]}))
        .await;
    // The same data, served again with the settings of the test.
    let served = serve(shop.data_dir(), config).await;
    (shop, served)
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

    // Many wrong credentials from one address: no lockout here (tested below).
    let config = ShopConfig { login_max_failures: 0, login_max_failures_per_address: 0, ..ShopConfig::default() };
    let (_shop, api) = prepared(config).await;
    let mut failures = Vec::new();
    for row in &table {
        for (i, who) in EVERYONE.iter().enumerate() {
            let req = (row.request)(*who);
            let client = caller(&api, *who);
            let (status, body) = match (&req.body, req.csv) {
                (_, Some(csv)) => {
                    let (s, _, text) = client.raw(row.method.clone(), &req.path, Some("text/csv"), csv.into()).await;
                    (s, serde_json::from_str(&text).unwrap_or(Value::Null))
                }
                (body, None) => client.send(row.method.clone(), &req.path, body.clone()).await,
            };
            if status != row.expect[i] {
                failures.push(format!(
                    "{} {} as {who:?}: {status}, expected {} ({body})",
                    row.method, req.path, row.expect[i]
                ));
            } else if status >= 400 {
                assert!(body["kind"].is_string() && body["message"].is_string(), "JSON error body: {body}");
            }
        }
    }
    assert!(failures.is_empty(), "{} wrong statuses:\n{}", failures.len(), failures.join("\n"));

    // A cashier sells under its own code only.
    let (s, body) = caller(&api, Who::Cashier)
        .post("/api/v1/tickets", json!({"register": "R1", "cashier": "U9", "lines": [{"sku": "A1", "qty": 1}], "payments": [{"method": "cash", "amount": 500}]}))
        .await;
    assert_eq!((s, body["kind"].as_str()), (403, Some("forbidden")), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pins_lock_the_user_for_a_while_and_a_success_resets() {
    let config = ShopConfig {
        login_max_failures: 3,
        login_max_failures_per_address: 0,
        // Long enough for the checks below on a loaded 2-core machine (an Argon2id check each).
        login_lockout_seconds: 6,
        ..ShopConfig::default()
    };
    let (_shop, api) = prepared(config).await;
    let wrong = api.as_user("C1", "0000");
    let right = api.as_user("C1", "1234");
    assert_eq!(wrong.get("/api/v1/shop").await.0, 401);
    assert_eq!(wrong.get("/api/v1/shop").await.0, 401);
    assert_eq!(right.get("/api/v1/shop").await.0, 200, "a success resets the count");
    assert_eq!(wrong.get("/api/v1/shop").await.0, 401);
    assert_eq!(wrong.get("/api/v1/shop").await.0, 401);
    let (status, ct, text) = wrong.in_language("fr").raw(Method::GET, "/api/v1/shop", None, Vec::new()).await;
    assert_eq!(status, 429, "{text}");
    assert!(ct.starts_with("application/json"));
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["kind"], "too_many_attempts");
    assert!(body["message"].as_str().unwrap().contains("le compte est bloqué encore 6 secondes"), "{body}");
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/shop", api.base))
        .basic_auth("C1", Some("1234"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "locked: even the right PIN waits");
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=6).contains(&wait), "{wait}");
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("the account is locked for"), "{body}");
    // Other users keep working.
    assert_eq!(api.get("/api/v1/shop").await.0, 200);
    tokio::time::sleep(Duration::from_millis(6100)).await;
    assert_eq!(right.get("/api/v1/shop").await.0, 200, "the lock lifts after login_lockout_seconds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_from_one_address_lock_it_whatever_the_user() {
    let config = ShopConfig {
        login_max_failures: 0,
        login_max_failures_per_address: 4,
        login_lockout_seconds: 60,
        ..ShopConfig::default()
    };
    let (_shop, api) = prepared(config).await;
    for user in ["C1", "U9", "M1"] {
        assert_eq!(api.as_user(user, "0000").get("/api/v1/shop").await.0, 401);
    }
    let (s, body) = api.as_user("NOBODY", "0000").in_language("en").get("/api/v1/shop").await;
    assert_eq!((s, body["kind"].as_str()), (429, Some("too_many_attempts")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("from this address"), "{body}");
    // X-Forwarded-For is not believed without trusted_proxies: still locked.
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/shop", api.base))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .header("X-Forwarded-For", "198.51.100.8")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap(), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sign_in_is_logged_without_its_secret() {
    let logs = tempfile::tempdir().unwrap();
    let level = comptoir_shop::config::LogConfig { level: "debug".into(), retention_days: 30, stdout: false };
    let guard = comptoir_shop::logs::init(Some(logs.path()), &level, "Europe/Paris").unwrap();
    let (_shop, api) = prepared(ShopConfig::default()).await;
    let secret = "hunter2-Tr0ub4dor";
    assert_eq!(api.as_user(ADMIN, secret).get("/api/v1/shop").await.0, 401);
    assert_eq!(api.as_user("C1", "86420975").get("/api/v1/tickets").await.0, 401);
    assert_eq!(api.as_user("C1", "1234").get("/api/v1/tickets").await.0, 200);
    drop(guard); // flushes the file
    let mut text = String::new();
    for entry in std::fs::read_dir(logs.path()).unwrap() {
        text.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(text.contains("sign-in refused"), "the failures are logged: {text}");
    use base64::Engine;
    for leaked in [
        secret.to_string(),
        "86420975".into(),
        ADMIN_PASSWORD.into(),
        base64::engine::general_purpose::STANDARD.encode(format!("{ADMIN}:{secret}")),
    ] {
        assert!(!text.contains(&leaked), "{leaked:?} in the log:\n{text}");
    }
}
