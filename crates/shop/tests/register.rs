//! Stories of a register's day through the API, as the register screen lives it: the till
//! opened with a float and closed with the count, the X reading, the Z a new day forces,
//! parked tickets taken back on another device, scanning weighed and priced goods, the
//! screen's browser session (cookie + CSRF token) and the registers HQ attaches users to.

mod common;

use common::*;
use comptoir_protocol::Entity;
use comptoir_protocol::stock::UserBody;
use comptoir_shop::ShopConfig;
use serde_json::{Value, json};

/// Alice (C1) at register R1 with her PIN.
fn alice() -> (&'static str, &'static str) {
    ("C1", "1234")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_at_the_till_from_float_to_count() {
    let shop = TestShop::with_catalog().await;
    let (code, pin) = alice();
    let cashier = shop.api.as_user(code, pin);

    let (s, till) = cashier.get("/api/v1/registers/R1/till").await;
    assert_eq!(s, 200, "{till}");
    assert!(till["session"].is_null() && till["z_due"].is_null(), "{till}");

    // Alice counts her float: 2 × 50 € + 5 × 2 € = 110 €.
    let (s, opened) = cashier.post("/api/v1/registers/R1/till/open", json!({"detail": {"5000": 2, "200": 5}})).await;
    assert_eq!(s, 201, "{opened}");
    assert_eq!(opened["float"], 11000);
    assert_eq!(opened["opened_by"], "C1");
    let again = cashier.post("/api/v1/registers/R1/till/open", json!({"amount": 11000})).await;
    assert_refused(&again, 409, "session_open", Some("register"));

    // The screen shows the amount to pay before any payment: the server's own computation.
    let (s, preview) = cashier
        .post("/api/v1/tickets/preview", json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":2}]}))
        .await;
    assert_eq!(s, 200, "{preview}");
    assert_eq!(preview["total"], 240);
    assert!(shop.api.tickets().await.is_empty(), "a preview sells nothing");
    // Two baguettes (2.40 €) paid with a 5 € note: 2.60 € change, the drawer gains 2.40 €.
    cashier
        .sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":2}],"payments":[{"method":"cash","amount":500}]}))
        .await;
    // A bottle of wine (12.50 €) by card: no cash.
    cashier
        .sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"B1","qty":1}],"payments":[{"method":"card","amount":1250}]}))
        .await;

    let (s, x) = cashier.get("/api/v1/registers/R1/x").await;
    assert_eq!(s, 200, "{x}");
    assert_eq!(x["totals"]["ticket_count"], 2);
    assert_eq!(x["totals"]["total"], 1490);
    assert_eq!(x["totals"]["payments"]["cash"], 240);
    assert_eq!(x["totals"]["payments"]["card"], 1250);
    // 110 € float + 2.40 € = 112.40 €.
    assert_eq!(x["expected_cash"], 11240);
    assert!(shop.api.closures().await.is_empty(), "an X reading writes nothing");

    // She counts 112.20 €: 20 cents missing.
    let (s, closed) = cashier.post("/api/v1/registers/R1/till/close", json!({"amount": 11220})).await;
    assert_eq!(s, 200, "{closed}");
    assert_eq!(closed["expected"], 11240);
    assert_eq!(closed["counted"], 11220);
    assert_eq!(closed["difference"], -20);
    let twice = cashier.post("/api/v1/registers/R1/till/close", json!({"amount": 11220})).await;
    assert_refused(&twice, 409, "no_open_session", Some("register"));
    let bad = cashier.post("/api/v1/registers/R1/till/open", json!({"detail": {"300": 1}})).await;
    assert_refused(&bad, 400, "bad_count", Some("detail.300"));

    let (s, sessions) = cashier.get("/api/v1/registers/R1/sessions").await;
    assert_eq!(s, 200, "{sessions}");
    assert_eq!(sessions.as_array().map(Vec::len), Some(1));
    assert_eq!(sessions[0]["difference"], -20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_business_day_forces_the_z_of_the_previous_one() {
    let shop = TestShop::with_catalog().await;
    // Yesterday: the shop's clock one day behind.
    let yesterday = serve(shop.data_dir(), ShopConfig { test_clock_offset_seconds: -86_400, ..ShopConfig::default() })
        .await
        .as_user("C1", "1234");
    let (s, _) = yesterday.post("/api/v1/registers/R1/till/open", json!({"amount": 5000})).await;
    assert_eq!(s, 201);
    let sold = yesterday
        .sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":1}],"payments":[{"method":"cash","amount":120}]}))
        .await;
    let (s, _) = yesterday.post("/api/v1/registers/R1/till/close", json!({"amount": 5120})).await;
    assert_eq!(s, 200);

    // Today the register cannot open before yesterday's Z.
    let cashier = shop.api.as_user("C1", "1234");
    let (s, till) = cashier.get("/api/v1/registers/R1/till").await;
    assert_eq!(s, 200);
    assert_eq!(till["z_due"], sold["business_date"], "{till}");
    let refused = cashier.post("/api/v1/registers/R1/till/open", json!({"amount": 5000})).await;
    assert_refused(&refused, 409, "z_due", Some("register"));
    let (s, z) =
        shop.api.post("/api/v1/closures", json!({"register":"R1","kind":"day","period": sold["business_date"]})).await;
    assert_eq!(s, 201, "{z}");
    let (s, _) = cashier.post("/api/v1/registers/R1/till/open", json!({"amount": 5000})).await;
    assert_eq!(s, 201, "open once the Z is done");
}

fn parked_cart(label: &str) -> Value {
    json!({"register":"R1","cashier":"C1","label":label,
           "lines":[{"sku":"A1","name":"Baguette","qty":3,"unit_price":120},{"sku":"F1","name":"Comté","qty":0.25,"unit_price":1990}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parked_tickets_wait_and_are_taken_back_once() {
    let shop = TestShop::with_catalog().await;
    let cashier = shop.api.as_user("C1", "1234");
    let (s, first) = cashier.post("/api/v1/parked", parked_cart("manteau rouge")).await;
    assert_eq!(s, 201, "{first}");
    let (s, second) = cashier.post("/api/v1/parked", parked_cart("")).await;
    assert_eq!(s, 201, "{second}");
    assert!(!second["label"].as_str().unwrap_or_default().is_empty(), "a label by default: {second}");
    let (_, list) = cashier.get("/api/v1/parked").await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");

    // Another device of the shop (the manager's) takes the first one back, whole.
    let id = first["id"].as_str().unwrap();
    let (s, taken) = shop.api.send(reqwest::Method::DELETE, &format!("/api/v1/parked/{id}"), None).await;
    assert_eq!(s, 200, "{taken}");
    assert_eq!(taken["lines"], first["lines"]);
    assert_eq!(taken["lines"][1]["qty"], 0.25);
    let again = cashier.send(reqwest::Method::DELETE, &format!("/api/v1/parked/{id}"), None).await;
    assert_refused(&again, 404, "not_parked", None);
    let (_, list) = cashier.get("/api/v1/parked").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    // A cashier parks under her own code only.
    let mut other = parked_cart("x");
    other["cashier"] = json!("admin");
    let (s, _) = cashier.post("/api/v1/parked", other).await;
    assert_eq!(s, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanning_finds_barcodes_skus_and_weighed_or_priced_goods() {
    let shop = TestShop::with_catalog().await;
    // Comté carries the scale code 2112345 (weighed), a salad bowl 2654321 (priced).
    let (s, a) = shop.api.patch("/api/v1/articles/F1", json!({"barcodes": ["2112345"]})).await;
    assert_eq!(s, 200, "{a}");
    let (s, a) = shop
        .api
        .post(
            "/api/v1/articles",
            json!({"sku":"S1","name":"Taboulé","price":0,"tax_rate_bp":550,"barcodes":["2654321"]}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let cashier = shop.api.as_user("C1", "1234");

    let (s, baguette) = cashier.get("/api/v1/scan/3017620422003").await;
    assert_eq!(s, 200, "{baguette}");
    assert_eq!((baguette["article"]["sku"].as_str(), baguette["qty"].as_f64()), (Some("A1"), Some(1.0)));
    let (_, wine) = cashier.get("/api/v1/scan/B1").await;
    assert_eq!(wine["article"]["sku"], "B1", "a SKU typed in");

    // 21 12345 00750 2: 0.750 kg of Comté at 19.90 €/kg.
    let (s, cheese) = cashier.get("/api/v1/scan/2112345007502").await;
    assert_eq!(s, 200, "{cheese}");
    assert_eq!(cheese["article"]["sku"], "F1");
    assert_eq!(cheese["qty"], 0.75);
    assert_eq!((cheese["unit_price"].as_i64(), cheese["price_given"].as_bool()), (Some(1990), Some(false)));
    // 26 54321 01250 1: 12.50 € of taboulé.
    let (_, bowl) = cashier.get("/api/v1/scan/2654321012501").await;
    assert_eq!((bowl["article"]["sku"].as_str(), bowl["unit_price"].as_i64()), (Some("S1"), Some(1250)));
    assert_eq!(bowl["price_given"], true);

    // Rung as the screen rings it: 0.75 × 19.90 = 14.925 → 14.93 €, plus 12.50 €.
    let t = cashier
        .sell(json!({"register":"R1","cashier":"C1","lines":[
            {"sku":"F1","qty":cheese["qty"]},{"sku":"S1","qty":1,"unit_price":bowl["unit_price"]}],
            "payments":[{"method":"card","amount":2743}]}))
        .await;
    assert_eq!(t["total"], 2743);

    let misread = cashier.get("/api/v1/scan/2112345007509").await;
    assert_refused(&misread, 422, "unknown_barcode", Some("code"));

    // A shop that sells by weight under prefix 23, in tenths of grams… refused: 4 decimals.
    let bad = shop
        .api
        .send(reqwest::Method::PUT, "/api/v1/scale-rules", Some(json!([{"prefix":"23","kind":"weight","decimals":4}])))
        .await;
    assert_refused(&bad, 400, "bad_scale_rule", Some("[0].decimals"));
    let bad = shop
        .api
        .send(reqwest::Method::PUT, "/api/v1/scale-rules", Some(json!([{"prefix":"31","kind":"weight","decimals":3}])))
        .await;
    assert_refused(&bad, 400, "bad_scale_rule", Some("[0].prefix"));
    let (s, rules) = shop
        .api
        .send(reqwest::Method::PUT, "/api/v1/scale-rules", Some(json!([{"prefix":"21","kind":"price","decimals":2}])))
        .await;
    assert_eq!(s, 200, "{rules}");
    let (_, now_priced) = cashier.get("/api/v1/scan/2112345007502").await;
    assert_eq!((now_priced["qty"].as_f64(), now_priced["unit_price"].as_i64()), (Some(1.0), Some(750)));
    let (s, _) = cashier.send(reqwest::Method::PUT, "/api/v1/scale-rules", Some(json!([]))).await;
    assert_eq!(s, 403, "rules are a manager's");
}

/// A browser: the cookie it was given, and the CSRF token the page keeps.
struct Browser {
    base: String,
    http: reqwest::Client,
    cookie: Option<String>,
    csrf: Option<String>,
}

impl Browser {
    fn new(base: &str) -> Browser {
        Browser { base: base.into(), http: reqwest::Client::new(), cookie: None, csrf: None }
    }

    async fn send(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            rb = rb.header("Cookie", c);
        }
        if let Some(t) = &self.csrf {
            rb = rb.header("X-CSRF-Token", t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.expect("sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if let Some(set) = headers.get("set-cookie").and_then(|v| v.to_str().ok()) {
            let pair = set.split(';').next().unwrap_or_default().to_string();
            self.cookie = if pair.ends_with('=') { None } else { Some(pair) };
        }
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null), headers)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_screen_signs_in_with_a_pin_and_writes_with_its_csrf_token() {
    let shop = TestShop::with_catalog().await;
    let (s, _) = shop.api.post("/api/v1/registers", json!({"code":"R2","name":"Caisse 2"})).await;
    assert_eq!(s, 201);
    let mut browser = Browser::new(&shop.api.base);

    // The page and its files, under a strict CSP.
    let page = reqwest::get(format!("{}/registers/R1", shop.api.base)).await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("style-src 'self'") && !csp.contains("unsafe"), "{csp}");
    assert!(page.text().await.unwrap().contains("/register/app.js"));
    let (s, registers, _) = browser.send(reqwest::Method::GET, "/app/v1/registers", None).await;
    assert_eq!(s, 200, "{registers}");
    assert_eq!(registers[0]["code"], "R1");

    let (s, body, _) = browser.send(reqwest::Method::GET, "/app/v1/session", None).await;
    assert_eq!((s, body["kind"].as_str()), (403, Some("signed_out")));
    let (s, body, headers) = browser
        .send(reqwest::Method::POST, "/app/v1/session", Some(json!({"register":"R1","user":"C1","pin":"9999"})))
        .await;
    assert_eq!((s, body["kind"].as_str(), body["field"].as_str()), (403, Some("wrong_pin"), Some("pin")));
    assert!(headers.get("www-authenticate").is_none(), "no browser password prompt");

    let (s, session, headers) = browser
        .send(reqwest::Method::POST, "/app/v1/session", Some(json!({"register":"R1","user":"C1","pin":"1234"})))
        .await;
    assert_eq!(s, 201, "{session}");
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert_eq!((session["user"]["code"].as_str(), session["register"]["code"].as_str()), (Some("C1"), Some("R1")));
    let csrf = session["csrf"].as_str().unwrap().to_string();

    // Reading needs the cookie only; a write without the token is refused, nothing sold.
    let (s, found, _) = browser.send(reqwest::Method::GET, "/app/v1/articles?q=Bag", None).await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["items"][0]["sku"], "A1");
    let sale = json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":1}],"payments":[{"method":"cash","amount":200}]});
    let (s, body, _) = browser.send(reqwest::Method::POST, "/app/v1/tickets", Some(sale.clone())).await;
    assert_eq!((s, body["kind"].as_str()), (403, Some("csrf_token")));
    assert!(shop.api.tickets().await.is_empty());
    browser.csrf = Some(csrf);
    let (s, ticket, _) = browser.send(reqwest::Method::POST, "/app/v1/tickets", Some(sale.clone())).await;
    assert_eq!(s, 201, "{ticket}");
    assert_eq!((ticket["total"].as_i64(), ticket["change"].as_i64()), (Some(120), Some(80)));
    assert_eq!(shop.api.tickets().await.len(), 1, "the API sees the screen's ticket");

    // The session is R1's: it does not sell at R2.
    let mut elsewhere = sale.clone();
    elsewhere["register"] = json!("R2");
    let (s, body, _) = browser.send(reqwest::Method::POST, "/app/v1/tickets", Some(elsewhere)).await;
    assert_eq!((s, body["kind"].as_str()), (403, Some("not_at_this_register")));

    // Locking the screen signs out; the cookie no longer works.
    let kept = browser.cookie.clone();
    let (s, _, _) = browser.send(reqwest::Method::DELETE, "/app/v1/session", None).await;
    assert_eq!(s, 204);
    browser.cookie = kept;
    let (s, body, _) = browser.send(reqwest::Method::GET, "/app/v1/session", None).await;
    assert_eq!((s, body["kind"].as_str()), (403, Some("signed_out")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_attaches_users_to_registers_and_the_shop_keeps_to_it() {
    let shop = TestShop::with_catalog().await;
    let (s, _) = shop.api.post("/api/v1/registers", json!({"code":"R2","name":"Caisse 2"})).await;
    assert_eq!(s, 201);
    // HQ sends Bob, attached to PARIS1's R2 only (and to a register of another shop).
    let bob = UserBody {
        code: "BOB".into(),
        name: "Bob".into(),
        role: "cashier".into(),
        pin_hash: comptoir_core::secret::hash_secret("4321"),
        shops: vec!["PARIS1".into(), "LYON1".into()],
        registers: vec!["PARIS1/R2".into(), "LYON1/R1".into()],
        active: true,
    };
    let store = comptoir_shop::store::Store::open(shop.data_dir()).unwrap();
    store
        .write_blocking(|tx| {
            comptoir_shop::people::apply(tx, Entity::User, "BOB", serde_json::to_value(&bob).unwrap())
                .map(|r| r.unwrap())
        })
        .unwrap();

    let (s, at_r1) = shop.api.get("/api/v1/registers/R1/users").await;
    assert_eq!(s, 200, "{at_r1}");
    let codes =
        |v: &Value| v.as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(codes(&at_r1), ["C1"], "Alice has no register: every one; Bob is not at R1");
    let (_, at_r2) = shop.api.get("/api/v1/registers/R2/users").await;
    assert_eq!(codes(&at_r2), ["BOB", "C1"]);

    let bob_api = shop.api.as_user("BOB", "4321");
    let refused = bob_api
        .post("/api/v1/tickets", json!({"register":"R1","cashier":"BOB","lines":[{"sku":"A1","qty":1}],"payments":[{"method":"card","amount":120}]}))
        .await;
    assert_refused(&refused, 403, "not_at_this_register", Some("cashier"));
    bob_api
        .sell(json!({"register":"R2","cashier":"BOB","lines":[{"sku":"A1","qty":1}],"payments":[{"method":"card","amount":120}]}))
        .await;
    let mut browser = Browser::new(&shop.api.base);
    let (s, body, _) = browser
        .send(reqwest::Method::POST, "/app/v1/session", Some(json!({"register":"R1","user":"BOB","pin":"4321"})))
        .await;
    assert_eq!((s, body["kind"].as_str()), (403, Some("not_at_this_register")));
    let (s, _, _) = browser
        .send(reqwest::Method::POST, "/app/v1/session", Some(json!({"register":"R2","user":"BOB","pin":"4321"})))
        .await;
    assert_eq!(s, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_routes_are_in_the_openapi_document() {
    let shop = TestShop::empty().await;
    let (_, doc) = shop.api.get("/api/v1/openapi.json").await;
    for path in [
        "/api/v1/registers/{code}/till",
        "/api/v1/registers/{code}/till/open",
        "/api/v1/registers/{code}/till/close",
        "/api/v1/registers/{code}/x",
        "/api/v1/registers/{code}/users",
        "/api/v1/parked",
        "/api/v1/parked/{id}",
        "/api/v1/scan/{code}",
        "/api/v1/scale-rules",
        "/api/v1/hq-link",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }
    let (s, link) = shop.api.get("/api/v1/hq-link").await;
    assert_eq!(s, 200);
    assert_eq!((link["enrolled"].as_bool(), link["reachable"].as_bool()), (Some(false), Some(false)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cashiers_big_discount_needs_a_managers_pin() {
    let shop = TestShop::with_catalog().await;
    let (s, _) = shop.api.post("/api/v1/users", json!({"code":"M1","name":"Marc","role":"manager","pin":"4321"})).await;
    assert_eq!(s, 201);
    let (s, rule) = shop
        .api
        .send(reqwest::Method::PUT, "/api/v1/settings/discounts", Some(json!({"cashier_limit_bp": 1000})))
        .await;
    assert_eq!((s, rule["cashier_limit_bp"].as_i64()), (200, Some(1000)));
    let cashier = shop.api.as_user("C1", "1234");
    // 10 % off a 12.50 € bottle: within what a cashier may give.
    cashier
        .sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"B1","qty":1,"discount":125}],"payments":[{"method":"card","amount":1125}]}))
        .await;
    // 20 % off: refused, nothing written, until a manager approves with their PIN.
    let big = json!({"register":"R1","cashier":"C1","lines":[{"sku":"B1","qty":1,"discount":250}],"payments":[{"method":"card","amount":1000}]});
    let refused = cashier.post("/api/v1/tickets", big.clone()).await;
    assert_refused(&refused, 403, "manager_approval_needed", Some("discount"));
    assert_eq!(shop.api.tickets().await.len(), 1);
    let post_with = |approval: &str| {
        cashier
            .client
            .post(format!("{}/api/v1/tickets", cashier.base))
            .basic_auth("C1", Some("1234"))
            .header("X-Manager-Approval", approval.to_string())
            .json(&big)
            .send()
    };
    let wrong = post_with("M1:0000").await.unwrap();
    assert_eq!(wrong.status(), 403);
    assert_eq!(wrong.json::<Value>().await.unwrap()["kind"], "wrong_pin");
    let not_a_manager = post_with("C1:1234").await.unwrap();
    assert_eq!(not_a_manager.status(), 403);
    assert_eq!(not_a_manager.json::<Value>().await.unwrap()["kind"], "forbidden");
    let approved = post_with("M1:4321").await.unwrap();
    assert_eq!(approved.status(), 201);
    assert_eq!(shop.api.tickets().await.len(), 2);
    // A manager selling under their own code needs nobody.
    shop.api.as_user("M1", "4321")
        .sell(json!({"register":"R1","cashier":"M1","lines":[{"sku":"B1","qty":1,"discount":625}],"payments":[{"method":"card","amount":625}]}))
        .await;
    let bad = shop
        .api
        .send(reqwest::Method::PUT, "/api/v1/settings/discounts", Some(json!({"cashier_limit_bp": 20000})))
        .await;
    assert_refused(&bad, 400, "bad_discount_limit", Some("cashier_limit_bp"));
}
