//! The shop's HTTP API, driven over real HTTP against a server on a random port.
//!
//! Every amount below is computed by hand in the comments: prices are tax-inclusive cents,
//! quantities in units, rounding half away from zero, VAT = round(gross × rate / (10000 + rate)).

mod common;

use common::{ADMIN_PASSWORD, TestShop, assert_refused, serve};
use comptoir_shop::ShopConfig;
use reqwest::Method;
use serde_json::{Value, json};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn two_baguettes_cash_500() -> Value {
    json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":2}],"payments":[{"method":"cash","amount":500}]})
}

fn one_baguette_cash(amount: i64) -> Value {
    json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":1}],"payments":[{"method":"cash","amount":amount}]})
}

fn vat(rate: u32, gross: i64, net: i64, vat: i64) -> Value {
    json!({"rate_bp": rate, "gross": gross, "net": net, "vat": vat})
}

/// The VAT breakdown of a ticket adds up: Σ gross = total and net + vat = gross per rate.
#[track_caller]
fn assert_vat_adds_up(t: &Value) {
    let lines = t["vat"].as_array().expect("vat");
    let gross: i64 = lines.iter().map(|v| v["gross"].as_i64().unwrap()).sum();
    assert_eq!(gross, t["total"].as_i64().unwrap(), "Σ gross = total in {t}");
    for v in lines {
        assert_eq!(v["net"].as_i64().unwrap() + v["vat"].as_i64().unwrap(), v["gross"].as_i64().unwrap(), "{v}");
    }
    let line_totals: i64 = t["lines"].as_array().unwrap().iter().map(|l| l["total"].as_i64().unwrap()).sum();
    assert_eq!(line_totals, t["total"].as_i64().unwrap(), "Σ line totals = total in {t}");
}

// ---------------------------------------------------------------- access and documents

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_public_and_every_other_route_needs_basic_auth() {
    let shop = TestShop::empty().await;
    // Sixty refused sign-ins from one address: no lockout here (tests/authorization.rs).
    let config = ShopConfig { login_max_failures: 0, login_max_failures_per_address: 0, ..ShopConfig::default() };
    let api = &serve(shop.data_dir(), config).await;

    let (s, health) = api.anonymous().get("/api/v1/health").await;
    assert_eq!(s, 200);
    assert_eq!(health["status"], "ok");

    let routes = [
        (Method::GET, "/api/v1/shop"),
        (Method::GET, "/api/v1/articles"),
        (Method::POST, "/api/v1/articles"),
        (Method::GET, "/api/v1/articles/A1"),
        (Method::PATCH, "/api/v1/articles/A1"),
        (Method::GET, "/api/v1/categories"),
        (Method::POST, "/api/v1/categories"),
        (Method::GET, "/api/v1/tax-rates"),
        (Method::GET, "/api/v1/catalog/export"),
        (Method::POST, "/api/v1/catalog/import"),
        (Method::GET, "/api/v1/registers"),
        (Method::POST, "/api/v1/registers"),
        (Method::GET, "/api/v1/users"),
        (Method::POST, "/api/v1/users"),
        (Method::GET, "/api/v1/tickets"),
        (Method::POST, "/api/v1/tickets"),
        (Method::GET, "/api/v1/tickets/PARIS1-R1-000001"),
        (Method::GET, "/api/v1/closures"),
        (Method::POST, "/api/v1/closures"),
        (Method::POST, "/api/v1/verify"),
    ];
    let wrong_password = api.as_user("admin", "not-the-password");
    let unknown_user = api.as_user("nobody", ADMIN_PASSWORD);
    for (method, path) in routes {
        for (who, client) in [
            ("nobody", api.anonymous()),
            ("wrong password", wrong_password.clone()),
            ("unknown user", unknown_user.clone()),
        ] {
            let got = client.send(method.clone(), path, Some(json!({}))).await;
            assert_eq!(got.0, 401, "{method} {path} as {who}: {}", got.1);
            assert_refused(&got, 401, "unauthorized", None);
        }
    }
    // The refusal tells the client how to sign in.
    let (_, ct, _) = api.anonymous().raw(Method::GET, "/api/v1/shop", None, vec![]).await;
    assert!(ct.starts_with("application/json"), "{ct}");
    let resp = reqwest::get(format!("{}/api/v1/shop", api.base)).await.unwrap();
    assert_eq!(resp.headers()["www-authenticate"], "Basic realm=\"comptoir\"");

    // The right password opens the same route.
    let (s, info) = api.get("/api/v1/shop").await;
    assert_eq!(s, 200, "{info}");
    assert_eq!(info["code"], "PARIS1");
    assert_eq!(info["name"], "Paris Centre");
    assert_eq!(info["user"]["code"], "admin");
    assert_eq!(info["user"]["role"], "admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_lists_the_routes() {
    let shop = TestShop::empty().await;
    let (s, doc) = shop.api.get("/api/v1/openapi.json").await;
    assert_eq!(s, 200, "{doc}");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().expect("paths");
    for (path, methods) in [
        ("/api/v1/health", &["get"][..]),
        ("/api/v1/articles", &["get", "post"]),
        ("/api/v1/articles/{sku}", &["get", "patch"]),
        ("/api/v1/registers", &["get", "post"]),
        ("/api/v1/users", &["get", "post"]),
        ("/api/v1/tickets", &["get", "post"]),
        ("/api/v1/tickets/{key}", &["get"]),
        ("/api/v1/closures", &["get", "post"]),
        ("/api/v1/catalog/import", &["post"]),
        ("/api/v1/catalog/export", &["get"]),
        ("/api/v1/verify", &["post"]),
    ] {
        let item = paths.get(path).unwrap_or_else(|| panic!("{path} missing from the OpenAPI document"));
        for m in methods {
            assert!(item.get(*m).is_some(), "{m} {path} missing from the OpenAPI document");
        }
    }
    // Tickets can never be changed or deleted, and the document does not pretend otherwise.
    for m in ["put", "patch", "delete"] {
        assert!(paths["/api/v1/tickets/{key}"].get(m).is_none());
    }
    assert_eq!(doc["components"]["securitySchemes"]["basic"]["scheme"], "basic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_route_changes_or_deletes_a_ticket() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let t = api.sell(two_baguettes_cash_500()).await;
    let id = t["id"].as_str().unwrap();
    for (method, path) in [
        (Method::DELETE, format!("/api/v1/tickets/{id}")),
        (Method::DELETE, "/api/v1/tickets/PARIS1-R1-000001".to_string()),
        (Method::PUT, format!("/api/v1/tickets/{id}")),
        (Method::PATCH, format!("/api/v1/tickets/{id}")),
        (Method::DELETE, "/api/v1/tickets".to_string()),
        (Method::DELETE, "/api/v1/closures".to_string()),
    ] {
        let (s, body) = api.send(method.clone(), &path, Some(json!({"total": 0}))).await;
        assert_eq!(s, 405, "{method} {path}: {body}");
        assert_eq!(body["kind"], "method_not_allowed", "{body}");
        assert!(body["message"].as_str().unwrap().contains("never be changed or deleted"), "{body}");
    }
    let (s, again) = api.get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(again, t);
}

// ---------------------------------------------------------------- selling

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sale_of_the_contract() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;

    let (s, t) = api.post("/api/v1/tickets", two_baguettes_cash_500()).await;
    assert_eq!(s, 201, "{t}");
    assert!(uuid::Uuid::parse_str(t["id"].as_str().unwrap()).is_ok(), "{t}");
    assert_eq!(t["number"], "PARIS1-R1-000001");
    assert_eq!(t["sequence"], 1);
    assert_eq!(t["kind"], "sale");
    assert_eq!(t["shop"], "PARIS1");
    assert_eq!(t["register"], "R1");
    assert_eq!(t["cashier"], "C1");
    // 2 × 1.20 = 2.40; 5.00 paid in cash, 2.60 given back.
    assert_eq!(t["total"], 240);
    assert_eq!(t["change"], 260);
    assert_eq!(t["discount"], 0);
    assert_eq!(t["lines"][0]["sku"], "A1");
    assert_eq!(t["lines"][0]["name"], "Baguette");
    assert_eq!(t["lines"][0]["qty"], 2);
    assert_eq!(t["lines"][0]["unit_price"], 120);
    assert_eq!(t["lines"][0]["tax_rate_bp"], 550);
    assert_eq!(t["lines"][0]["total"], 240);
    assert_eq!(t["payments"], json!([{"method":"cash","amount":500}]));
    // VAT at 5.5 % in 2.40: 240 × 550 / 10550 = 12.51 → 13.
    assert_eq!(t["vat"], json!([vat(550, 240, 227, 13)]));
    assert_vat_adds_up(&t);
    let hash = t["hash"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(t["prev_hash"], GENESIS);
    let date = t["business_date"].as_str().unwrap();
    assert_eq!(date.len(), 10, "{date}");

    // Read back by number and by id: the same ticket.
    let (s, by_number) = api.get("/api/v1/tickets/PARIS1-R1-000001").await;
    assert_eq!(s, 200);
    assert_eq!(by_number, t);
    let (s, by_id) = api.get(&format!("/api/v1/tickets/{}", t["id"].as_str().unwrap())).await;
    assert_eq!(s, 200);
    assert_eq!(by_id, t);
    let got = api.get("/api/v1/tickets/PARIS1-R1-000099").await;
    assert_refused(&got, 404, "not_found", None);

    // The next ticket follows it in the register's chain.
    let t2 = api.sell(one_baguette_cash(120)).await;
    assert_eq!(t2["number"], "PARIS1-R1-000002");
    assert_eq!(t2["sequence"], 2);
    assert_eq!(t2["change"], 0);
    assert_eq!(t2["prev_hash"], t["hash"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_are_listed_oldest_first_by_pages() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let (s, _) = api.post("/api/v1/registers", json!({"code":"R2","name":"Caisse 2"})).await;
    assert_eq!(s, 201);
    for i in 1..=3 {
        assert_eq!(api.sell(one_baguette_cash(120)).await["sequence"], i);
    }
    let other = api
        .sell(json!({"register":"R2","cashier":"C1","lines":[{"sku":"A1","qty":1}],"payments":[{"method":"cash","amount":120}]}))
        .await;
    assert_eq!(other["number"], "PARIS1-R2-000001");
    for i in 4..=5 {
        assert_eq!(api.sell(one_baguette_cash(120)).await["sequence"], i);
    }

    let numbers = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|t| t["number"].as_str().unwrap().to_string()).collect()
    };
    let (s, p1) = api.get("/api/v1/tickets?register=R1&limit=2").await;
    assert_eq!(s, 200, "{p1}");
    assert_eq!(numbers(&p1), ["PARIS1-R1-000001", "PARIS1-R1-000002"]);
    let next = p1["next"].as_i64().expect("a next page");
    let (_, p2) = api.get(&format!("/api/v1/tickets?register=R1&limit=2&after={next}")).await;
    assert_eq!(numbers(&p2), ["PARIS1-R1-000003", "PARIS1-R1-000004"]);
    let next = p2["next"].as_i64().expect("a next page");
    let (_, p3) = api.get(&format!("/api/v1/tickets?register=R1&limit=2&after={next}")).await;
    assert_eq!(numbers(&p3), ["PARIS1-R1-000005"]);
    assert!(p3["next"].is_null(), "{p3}");

    // Without a register: every register's tickets, in the order they were committed.
    let all: Vec<String> = api.tickets().await.iter().map(|t| t["number"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        all,
        [
            "PARIS1-R1-000001",
            "PARIS1-R1-000002",
            "PARIS1-R1-000003",
            "PARIS1-R2-000001",
            "PARIS1-R1-000004",
            "PARIS1-R1-000005"
        ]
    );
    let (_, r2) = api.get("/api/v1/tickets?register=R2").await;
    assert_eq!(numbers(&r2), ["PARIS1-R2-000001"]);
    assert!(r2["next"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_may_name_a_barcode_and_a_weighed_quantity() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let t = api
        .sell(json!({"register":"R1","cashier":"C1",
            "lines":[{"barcode":"3017620422003","qty":1},{"sku":"F1","qty":0.25}],
            "payments":[{"method":"cash","amount":1000}]}))
        .await;
    assert_eq!(t["lines"][0]["sku"], "A1");
    assert_eq!(t["lines"][0]["total"], 120);
    // 0.25 kg at 19.90 €/kg = 4.975 → 4.98 (half away from zero).
    assert_eq!(t["lines"][1]["sku"], "F1");
    assert_eq!(t["lines"][1]["qty"].as_f64(), Some(0.25));
    assert_eq!(t["lines"][1]["total"], 498);
    assert_eq!(t["total"], 618);
    assert_eq!(t["change"], 382);
    // One rate: 618 × 550 / 10550 = 32.2 → 32.
    assert_eq!(t["vat"], json!([vat(550, 618, 586, 32)]));
    assert_vat_adds_up(&t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_naming_one_article_by_sku_and_another_by_barcode_is_refused() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    // 3017620422003 is the baguette (A1): the same article twice is fine.
    let t = api
        .sell(json!({"register":"R1","cashier":"C1",
            "lines":[{"sku":"A1","barcode":"3017620422003","qty":1}],
            "payments":[{"method":"cash","amount":120}]}))
        .await;
    assert_eq!(t["lines"][0]["sku"], "A1");
    // The croissant's SKU with the baguette's barcode: which one was sold? Refused, nothing sold.
    let (s, e) = api
        .post(
            "/api/v1/tickets",
            json!({"register":"R1","cashier":"C1",
            "lines":[{"sku":"F1","barcode":"3017620422003","qty":1}],
            "payments":[{"method":"cash","amount":2000}]}),
        )
        .await;
    assert_eq!(
        (s, e["kind"].as_str(), e["field"].as_str()),
        (422, Some("sku_and_barcode_differ"), Some("lines[0]")),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().contains("article A1"), "{e}");
    let (s, e) = api
        .post(
            "/api/v1/tickets",
            json!({"register":"R1","cashier":"C1",
            "lines":[{"sku":"A1","barcode":"2000000000008","qty":1}],
            "payments":[{"method":"cash","amount":120}]}),
        )
        .await;
    assert_eq!((s, e["kind"].as_str(), e["field"].as_str()), (422, Some("not_found"), Some("lines[0].barcode")), "{e}");
    let (_, page) = api.get("/api/v1/tickets?register=R1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "only the first ticket was sold");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_and_ticket_discounts_are_shared_exactly() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let t = api
        .sell(json!({"register":"R1","cashier":"C1",
            "lines":[{"sku":"A1","qty":2,"discount":20},{"sku":"B1","qty":1}],
            "discount":100,
            "payments":[{"method":"card","amount":1000},{"method":"cash","amount":500}]}))
        .await;
    // Nets: 240 − 20 = 220 and 1250; the 100 of ticket discount is shared 220:1250,
    // 14.97 and 85.03 → 14 and 85 plus the last cent to the largest remainder (line 0).
    assert_eq!(t["lines"][0]["discount"], 20);
    assert_eq!(t["lines"][0]["total"], 205);
    assert_eq!(t["lines"][1]["discount"], 0);
    assert_eq!(t["lines"][1]["total"], 1165);
    assert_eq!(t["discount"], 100);
    assert_eq!(t["total"], 1370);
    assert_eq!(t["change"], 130);
    // 5.5 %: 205 × 550 / 10550 = 10.69 → 11; 20 %: 1165 / 6 = 194.17 → 194.
    assert_eq!(t["vat"], json!([vat(550, 205, 194, 11), vat(2000, 1165, 971, 194)]));
    assert_vat_adds_up(&t);

    // A discount larger than what it applies to is refused, and nothing is written.
    let got = api
        .post(
            "/api/v1/tickets",
            json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":2,"discount":241}],"payments":[{"method":"cash","amount":500}]}),
        )
        .await;
    assert_refused(&got, 422, "discount_out_of_range", Some("lines[0].discount"));
    let got = api
        .post(
            "/api/v1/tickets",
            json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":2}],"discount":241,"payments":[{"method":"cash","amount":500}]}),
        )
        .await;
    assert_refused(&got, 422, "discount_out_of_range", Some("discount"));
    assert_eq!(api.tickets().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_is_given_in_cash_only() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let card = |amount: i64| json!({"method":"card","amount":amount});
    let cash = |amount: i64| json!({"method":"cash","amount":amount});
    let ticket =
        |payments: Value| json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":1}],"payments":payments});

    // 1.20 paid 2.00 by card: 0.80 of change that nobody can give.
    let got = api.post("/api/v1/tickets", ticket(json!([card(200)]))).await;
    assert_refused(&got, 422, "change_not_in_cash", Some("payments"));
    // 1.40 by card + 0.10 in cash: 0.30 of change but only 0.10 of cash.
    let got = api.post("/api/v1/tickets", ticket(json!([card(140), cash(10)]))).await;
    assert_refused(&got, 422, "change_not_in_cash", Some("payments"));
    assert!(api.tickets().await.is_empty());

    // 1.00 by card + 0.50 in cash: 0.30 back from the cash.
    let t = api.sell(ticket(json!([card(100), cash(50)]))).await;
    assert_eq!(t["total"], 120);
    assert_eq!(t["change"], 30);
    assert_eq!(t["sequence"], 1, "the refused tickets took no number");
    // Exact card payment: no change.
    let t = api.sell(ticket(json!([card(120)]))).await;
    assert_eq!(t["change"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returns_refund_what_was_paid_and_never_more_than_sold() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    // 3 baguettes with 0.10 off the ticket: 3.50.
    let sale = api
        .sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":3}],"discount":10,
            "payments":[{"method":"cash","amount":350}]}))
        .await;
    assert_eq!(sale["total"], 350);
    let give_back = |qty: i64, refund: i64| {
        json!({"register":"R1","cashier":"C1","return_of":"PARIS1-R1-000001",
            "lines":[{"sku":"A1","qty":qty}],"payments":[{"method":"cash","amount":refund}]})
    };

    // One of three: round(350 / 3) = 1.17 back.
    let r1 = api.sell(give_back(-1, -117)).await;
    assert_eq!(r1["kind"], "return");
    assert_eq!(r1["number"], "PARIS1-R1-000002");
    assert_eq!(r1["return_of"], sale["id"]);
    assert_eq!(r1["lines"][0]["qty"], -1);
    assert_eq!(r1["lines"][0]["total"], -117);
    assert_eq!(r1["total"], -117);
    assert_eq!(r1["change"], 0);
    // −117 × 550 / 10550 = −6.10 → −6.
    assert_eq!(r1["vat"], json!([vat(550, -117, -111, -6)]));
    assert_vat_adds_up(&r1);

    // Three more cannot be given back: one of three already was.
    let before = api.tickets().await;
    let got = api.post("/api/v1/tickets", give_back(-3, -350)).await;
    assert_refused(&got, 422, "return_exceeds_sold", Some("lines[0].qty"));
    // A refund that is not the return's total is refused too.
    let got = api.post("/api/v1/tickets", give_back(-2, -200)).await;
    assert_refused(&got, 422, "refund_mismatch", Some("payments"));
    // A return takes negative quantities.
    let got = api.post("/api/v1/tickets", give_back(1, -117)).await;
    assert_refused(&got, 422, "positive_quantity_in_return", Some("lines[0].qty"));
    assert_eq!(api.tickets().await, before, "refused returns write nothing");

    // The two others: 3.50 − 1.17 = 2.33, so the whole sale is refunded exactly.
    let r2 = api.sell(give_back(-2, -233)).await;
    assert_eq!(r2["number"], "PARIS1-R1-000003");
    assert_eq!(r2["total"], -233);
    assert_eq!(r1["total"].as_i64().unwrap() + r2["total"].as_i64().unwrap(), -350);

    // Nothing is left to give back.
    let got = api.post("/api/v1/tickets", give_back(-1, -117)).await;
    assert_refused(&got, 422, "return_exceeds_sold", Some("lines[0].qty"));
    // A return of a return is refused.
    let got = api
        .post(
            "/api/v1/tickets",
            json!({"register":"R1","cashier":"C1","return_of":"PARIS1-R1-000002",
                "lines":[{"sku":"A1","qty":-1}],"payments":[{"method":"cash","amount":-117}]}),
        )
        .await;
    assert_refused(&got, 422, "not_a_sale", Some("return_of"));
    assert_eq!(api.tickets().await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_the_same_ticket_id_twice_sells_once() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let id = uuid::Uuid::now_v7().to_string();
    let mut ticket = two_baguettes_cash_500();
    ticket["id"] = json!(id);

    let (s, first) = api.post("/api/v1/tickets", ticket.clone()).await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["id"], id);
    let (s, second) = api.post("/api/v1/tickets", ticket).await;
    assert_eq!(s, 200, "{second}");
    assert_eq!(second, first);

    let tickets = api.tickets().await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0], first);
    // The next sale is number 2: the retry took no number.
    assert_eq!(api.sell(one_baguette_cash(120)).await["sequence"], 2);
}

// ---------------------------------------------------------------- refusals write nothing

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_that_do_not_cover_the_total_are_refused() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let mut ticket = two_baguettes_cash_500();
    ticket["payments"] = json!([{"method":"cash","amount":200}]);
    let got = api.post("/api/v1/tickets", ticket.clone()).await;
    assert_refused(&got, 422, "payments_short", Some("payments"));
    assert_eq!(got.1["message"], "The payments (2.00 €) do not cover the total (2.40 €): 0.40 € are missing.");
    // No payment at all.
    ticket["payments"] = json!([]);
    let got = api.post("/api/v1/tickets", ticket).await;
    assert_refused(&got, 422, "payments_short", Some("payments"));

    assert!(api.tickets().await.is_empty());
    assert_eq!(api.sell(two_baguettes_cash_500()).await["sequence"], 1, "no number was used up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_articles_are_refused_naming_the_line() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let line =
        |l: Value| json!({"register":"R1","cashier":"C1","lines":[l],"payments":[{"method":"cash","amount":500}]});

    let got = api.post("/api/v1/tickets", line(json!({"sku":"NOPE","qty":1}))).await;
    assert_refused(&got, 422, "not_found", Some("lines[0].sku"));
    let got = api.post("/api/v1/tickets", line(json!({"barcode":"4006381333931","qty":1}))).await;
    assert_refused(&got, 422, "not_found", Some("lines[0].barcode"));
    // The field names the line at fault, not the first one.
    let got = api
        .post(
            "/api/v1/tickets",
            json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":1},{"sku":"NOPE","qty":1}],
                "payments":[{"method":"cash","amount":500}]}),
        )
        .await;
    assert_refused(&got, 422, "not_found", Some("lines[1].sku"));
    // A line naming no article.
    let got = api.post("/api/v1/tickets", line(json!({"qty":1}))).await;
    assert_refused(&got, 400, "line_without_article", Some("lines[0]"));
    // An unknown register or cashier.
    let mut t = one_baguette_cash(120);
    t["register"] = json!("R9");
    assert_refused(&api.post("/api/v1/tickets", t).await, 422, "not_found", Some("register"));
    let mut t = one_baguette_cash(120);
    t["cashier"] = json!("C9");
    assert_refused(&api.post("/api/v1/tickets", t).await, 422, "not_found", Some("cashier"));
    // No line at all.
    let got = api
        .post(
            "/api/v1/tickets",
            json!({"register":"R1","cashier":"C1","lines":[],"payments":[{"method":"cash","amount":100}]}),
        )
        .await;
    assert_refused(&got, 422, "empty_ticket", Some("lines"));

    assert!(api.tickets().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_quantities_are_refused() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let qty = |q: Value| json!({"register":"R1","cashier":"C1","lines":[{"sku":"F1","qty":q}],"payments":[{"method":"cash","amount":5000}]});

    let got = api.post("/api/v1/tickets", qty(json!(0))).await;
    assert_refused(&got, 422, "zero_quantity", Some("lines[0].qty"));
    // Quantities have at most three decimals (grams of a kilogram).
    let got = api.post("/api/v1/tickets", qty(json!(0.0001))).await;
    assert_refused(&got, 400, "bad_request", Some("lines[0].qty"));
    let got = api.post("/api/v1/tickets", qty(json!(1.2345))).await;
    assert_refused(&got, 400, "bad_request", Some("lines[0].qty"));
    // A quantity is a number, not text.
    let got = api.post("/api/v1/tickets", qty(json!("2"))).await;
    assert_refused(&got, 400, "bad_request", Some("lines[0].qty"));
    // A negative quantity is a return, not a sale.
    let got = api.post("/api/v1/tickets", qty(json!(-1))).await;
    assert_refused(&got, 422, "negative_quantity_in_sale", Some("lines[0].qty"));
    assert!(api.tickets().await.is_empty());

    // Three decimals are fine: 1.125 kg × 19.90 = 22.3875 → 22.39.
    let t = api.sell(qty(json!(1.125))).await;
    assert_eq!(t["total"], 2239);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversized_bodies_are_refused() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;

    let (s, _, text) = api
        .raw(Method::POST, "/api/v1/tickets", Some("application/json"), br#"{"register":"R1","cashier":"#.to_vec())
        .await;
    let body: Value = serde_json::from_str(&text).expect("a JSON refusal");
    assert_refused(&(s, body), 400, "bad_request", None);
    // Not JSON at all, and JSON without its content type.
    let (s, _, text) = api.raw(Method::POST, "/api/v1/tickets", Some("application/json"), b"lines=A1".to_vec()).await;
    assert_refused(&(s, serde_json::from_str(&text).unwrap()), 400, "bad_request", None);
    let bytes = serde_json::to_vec(&two_baguettes_cash_500()).unwrap();
    let (s, _, text) = api.raw(Method::POST, "/api/v1/tickets", Some("text/plain"), bytes).await;
    assert_refused(&(s, serde_json::from_str(&text).unwrap()), 400, "bad_request", None);
    // Unknown fields are refused rather than ignored.
    let mut t = two_baguettes_cash_500();
    t["tip"] = json!(100);
    assert_eq!(api.post("/api/v1/tickets", t).await.0, 400);

    // A body over the 1 MiB limit.
    let mut big = two_baguettes_cash_500();
    big["customer"] = json!("x".repeat(1024 * 1024 + 1));
    let got = api.post("/api/v1/tickets", big).await;
    assert_refused(&got, 413, "payload_too_large", None);
    assert!(got.1["message"].as_str().unwrap().contains("1048576"), "{}", got.1);

    assert!(api.tickets().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_in_french_when_asked() {
    let shop = TestShop::with_catalog().await;
    let fr = shop.api.in_language("fr-FR,fr;q=0.9,en;q=0.8");
    let mut ticket = two_baguettes_cash_500();
    ticket["payments"] = json!([{"method":"cash","amount":200}]);
    let got = fr.post("/api/v1/tickets", ticket.clone()).await;
    assert_refused(&got, 422, "payments_short", Some("payments"));
    assert_eq!(got.1["message"], "Les paiements (2,00 €) ne couvrent pas le total (2,40 €) : il manque 0,40 €.");
    // The kind and field stay the same whatever the language.
    let en = shop.api.in_language("en-GB").post("/api/v1/tickets", ticket).await;
    assert_refused(&en, 422, "payments_short", Some("payments"));
    assert!(en.1["message"].as_str().unwrap().starts_with("The payments"));

    let got = fr.as_user("admin", "faux").get("/api/v1/shop").await;
    assert_refused(&got, 401, "unauthorized", None);
    assert!(got.1["message"].as_str().unwrap().starts_with("Code utilisateur ou mot de passe"), "{}", got.1);
    let got = fr.send(Method::DELETE, "/api/v1/tickets/x", None).await;
    assert_eq!(got.0, 405);
    assert!(got.1["message"].as_str().unwrap().contains("ne peuvent jamais être modifiés"), "{}", got.1);
    let got = fr.post("/api/v1/articles", json!({"sku":"A1","name":"Encore","price":1,"tax_rate_bp":550})).await;
    assert_refused(&got, 409, "already_exists", Some("sku"));
    assert!(got.1["message"].as_str().unwrap().contains("existe déjà"), "{}", got.1);
    // A SKU differing only by case is the same SKU: refused, naming the one held.
    let got = fr.post("/api/v1/articles", json!({"sku":"a1","name":"Encore","price":1,"tax_rate_bp":550})).await;
    assert_refused(&got, 409, "already_exists", Some("sku"));
    assert!(got.1["message"].as_str().unwrap().contains("A1"), "{}", got.1);
}

// ---------------------------------------------------------------- catalog

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_articles_are_refused_and_not_created() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;

    let got = api.post("/api/v1/articles", json!({"sku":"N1","name":"Négatif","price":-5,"tax_rate_bp":550})).await;
    assert_refused(&got, 422, "negative_price", Some("price"));
    // 3017620422003 is right; ending in 4 the check digit is wrong.
    let got = api
        .post(
            "/api/v1/articles",
            json!({"sku":"N2","name":"Mauvais EAN","price":100,"tax_rate_bp":550,"barcodes":["3017620422004"]}),
        )
        .await;
    assert_refused(&got, 422, "invalid_barcode", Some("barcodes[0]"));
    assert!(got.1["message"].as_str().unwrap().contains("should be 3"), "{}", got.1);
    let got = api.post("/api/v1/articles", json!({"sku":"N3","name":"TVA 7 %","price":100,"tax_rate_bp":700})).await;
    assert_refused(&got, 422, "not_found", Some("tax_rate_bp"));
    // A barcode identifies one article.
    let got = api
        .post(
            "/api/v1/articles",
            json!({"sku":"N4","name":"Doublon","price":100,"tax_rate_bp":550,"barcodes":["3017620422003"]}),
        )
        .await;
    assert_refused(&got, 409, "conflict", Some("barcodes[0]"));
    for sku in ["N1", "N2", "N3", "N4"] {
        let got = api.get(&format!("/api/v1/articles/{sku}")).await;
        assert_refused(&got, 404, "not_found", None);
    }
    assert_eq!(api.articles().await.len(), 3);

    // A refused change leaves the article as it was, even the fields that were valid.
    let (_, before) = api.get("/api/v1/articles/A1").await;
    let got = api.patch("/api/v1/articles/A1", json!({"name":"Baguette tradition","barcodes":["3017620422004"]})).await;
    assert_refused(&got, 422, "invalid_barcode", Some("barcodes[0]"));
    let got = api.patch("/api/v1/articles/A1", json!({"name":"Baguette tradition","price":-1})).await;
    assert_refused(&got, 422, "negative_price", Some("price"));
    let (_, after) = api.get("/api/v1/articles/A1").await;
    assert_eq!(after, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_article_cannot_be_sold_but_can_be_returned() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    api.sell(two_baguettes_cash_500()).await;

    let (s, a) = api.patch("/api/v1/articles/A1", json!({"active":false})).await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["active"], false);
    assert_eq!(a["price"], 120, "the other fields are kept");
    assert_eq!(a["barcodes"], json!(["3017620422003"]));

    let got = api.post("/api/v1/tickets", one_baguette_cash(120)).await;
    assert_refused(&got, 422, "inactive", Some("lines[0].sku"));
    let got = api
        .post(
            "/api/v1/tickets",
            json!({"register":"R1","cashier":"C1","lines":[{"barcode":"3017620422003","qty":1}],"payments":[{"method":"cash","amount":120}]}),
        )
        .await;
    assert_refused(&got, 422, "inactive", Some("lines[0].barcode"));
    assert_eq!(api.tickets().await.len(), 1);

    // What was sold before can still be given back.
    let r = api
        .sell(json!({"register":"R1","cashier":"C1","return_of":"PARIS1-R1-000001","lines":[{"sku":"A1","qty":-1}],
            "payments":[{"method":"cash","amount":-120}]}))
        .await;
    assert_eq!(r["total"], -120);

    // Reactivated, it sells again.
    let (s, _) = api.patch("/api/v1/articles/A1", json!({"active":true})).await;
    assert_eq!(s, 200);
    assert_eq!(api.sell(one_baguette_cash(120)).await["sequence"], 3);
}

const FRENCH_CSV: &str = "sku;name;price;tax_rate;category;barcodes;web;active\n\
P1;Pain de campagne;1,20;5,5;BOUL;4006381333931;oui;1\n\
P2;Croissant;0,95;5,5;BOUL;;non;1\n\
P3;Jus d'orange;2,5;20;BOISSONS;;1;0\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_import_reads_french_spreadsheets() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let (s, _, text) =
        api.raw(Method::POST, "/api/v1/catalog/import", Some("text/csv"), FRENCH_CSV.as_bytes().to_vec()).await;
    assert_eq!(s, 200, "{text}");
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report, json!({"created":3,"updated":0,"categories_created":["BOUL","BOISSONS"]}));

    let (_, p1) = api.get("/api/v1/articles/P1").await;
    assert_eq!(p1["name"], "Pain de campagne");
    assert_eq!(p1["price"], 120);
    assert_eq!(p1["tax_rate_bp"], 550);
    assert_eq!(p1["category"], "BOUL");
    assert_eq!(p1["barcodes"], json!(["4006381333931"]));
    assert_eq!(p1["web"], true);
    assert_eq!(p1["active"], true);
    let (_, p2) = api.get("/api/v1/articles/P2").await;
    assert_eq!(p2["price"], 95);
    assert_eq!(p2["web"], false);
    let (_, p3) = api.get("/api/v1/articles/P3").await;
    assert_eq!(p3["price"], 250);
    assert_eq!(p3["tax_rate_bp"], 2000);
    assert_eq!(p3["category"], "BOISSONS");
    assert_eq!(p3["active"], false);
    assert_eq!(api.articles().await.len(), 6);

    // The imported barcode sells.
    let t = api
        .sell(json!({"register":"R1","cashier":"C1","lines":[{"barcode":"4006381333931","qty":1}],"payments":[{"method":"cash","amount":120}]}))
        .await;
    assert_eq!(t["lines"][0]["sku"], "P1");

    // Importing again updates: a new price, nothing created.
    let csv = "sku;name;price;tax_rate\nP2;Croissant au beurre;1,05;5,5\n";
    let (s, _, text) = api.raw(Method::POST, "/api/v1/catalog/import", Some("text/csv"), csv.as_bytes().to_vec()).await;
    assert_eq!(s, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), json!({"created":0,"updated":1,"categories_created":[]}));
    let (_, p2) = api.get("/api/v1/articles/P2").await;
    assert_eq!(p2["name"], "Croissant au beurre");
    assert_eq!(p2["price"], 105);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_file_with_bad_rows_is_refused_whole() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let before = api.articles().await;
    let (_, categories_before) = api.get("/api/v1/categories").await;
    let csv = "sku;name;price;tax_rate;category\n\
Q1;Bon;1,00;5,5;NEUVE\n\
Q2;Mauvais prix;abc;5,5;\n\
Q3;Bon aussi;2,00;20;\n\
Q4;Mauvais taux;1,00;x;\n\
A1;Baguette moins chère;1,00;5,5;\n";
    let (s, _, text) = api.raw(Method::POST, "/api/v1/catalog/import", Some("text/csv"), csv.as_bytes().to_vec()).await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_refused(&(s, body.clone()), 422, "csv_rejected", None);
    let rows = body["rows"].as_array().expect("rows");
    let lines: Vec<i64> = rows.iter().map(|r| r["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [3, 5], "{body}");
    assert_eq!(rows[0]["column"], "price");
    assert_eq!(rows[1]["column"], "tax_rate");

    // Nothing was imported: not the good rows, not the new category, not the update of A1.
    assert_eq!(api.articles().await, before);
    let (_, categories_after) = api.get("/api/v1/categories").await;
    assert_eq!(categories_after, categories_before);
    for sku in ["Q1", "Q3"] {
        assert_refused(&api.get(&format!("/api/v1/articles/{sku}")).await, 404, "not_found", None);
    }

    // A bad row caught by the catalog rules names its CSV column too.
    let csv = "sku;name;price;tax_rate;barcodes\nQ5;Taux inconnu;1,00;7;\nQ6;EAN faux;1,00;5,5;3017620422004\n";
    let (s, _, text) = api.raw(Method::POST, "/api/v1/catalog/import", Some("text/csv"), csv.as_bytes().to_vec()).await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(s, 422, "{body}");
    assert_eq!(
        body["rows"],
        json!([
            {"line": 2, "column": "tax_rate", "message": body["rows"][0]["message"]},
            {"line": 3, "column": "barcodes", "message": body["rows"][1]["message"]},
        ])
    );
    assert_eq!(api.articles().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_export_and_reimport_round_trip() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let (s, _, text) =
        api.raw(Method::POST, "/api/v1/catalog/import", Some("text/csv"), FRENCH_CSV.as_bytes().to_vec()).await;
    assert_eq!(s, 200, "{text}");
    // A name a CSV writer must quote.
    let (s, _) = api
        .post(
            "/api/v1/articles",
            json!({"sku":"V2","name":"Vin \"cuvée\", rouge; 75 cl","price":999,"tax_rate_bp":2000,"web":true}),
        )
        .await;
    assert_eq!(s, 201);

    let (s, ct, exported) = api.raw(Method::GET, "/api/v1/catalog/export", None, vec![]).await;
    assert_eq!(s, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert_eq!(exported.lines().count(), 1 + 7, "{exported}");
    assert!(exported.starts_with("sku,name,price,tax_rate,category,barcodes,web,active\n"), "{exported}");
    assert!(exported.contains("A1,Baguette,1.20,5.5,,3017620422003,0,1\n"), "{exported}");
    assert!(exported.contains("P3,Jus d'orange,2.50,20,BOISSONS,,1,0\n"), "{exported}");

    // Into the same shop: every article updated to what it already was.
    let articles = api.articles().await;
    let (s, _, text) =
        api.raw(Method::POST, "/api/v1/catalog/import", Some("text/csv"), exported.clone().into_bytes()).await;
    assert_eq!(s, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), json!({"created":0,"updated":7,"categories_created":[]}));
    let without_stamps = |list: Vec<Value>| -> Vec<Value> {
        list.into_iter()
            .map(|mut a| {
                a.as_object_mut().unwrap().remove("updated_at");
                a.as_object_mut().unwrap().remove("id");
                a
            })
            .collect()
    };
    assert_eq!(without_stamps(api.articles().await), without_stamps(articles.clone()));
    let (_, _, again) = api.raw(Method::GET, "/api/v1/catalog/export", None, vec![]).await;
    assert_eq!(again, exported);

    // Into a new shop: the same catalog.
    let other = TestShop::empty().await;
    let (s, _, text) =
        other.api.raw(Method::POST, "/api/v1/catalog/import", Some("text/csv"), exported.clone().into_bytes()).await;
    assert_eq!(s, 200, "{text}");
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["created"], 7);
    assert_eq!(without_stamps(other.api.articles().await), without_stamps(articles));
    let (_, _, theirs) = other.api.raw(Method::GET, "/api/v1/catalog/export", None, vec![]).await;
    assert_eq!(theirs, exported);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_catalog_runs_no_formula_in_a_spreadsheet_and_imports_back_unchanged() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    // Someone names an article as a spreadsheet formula; a manager then opens the export.
    let (s, _) = api
        .post("/api/v1/articles", json!({"sku":"Z9","name":"=HYPERLINK(\"http://x\")","price":100,"tax_rate_bp":2000}))
        .await;
    assert_eq!(s, 201);
    let (_, _, exported) = api.raw(Method::GET, "/api/v1/catalog/export", None, vec![]).await;
    // The cell is marked as text with a leading quote, so the spreadsheet shows it, never runs it.
    assert!(exported.contains("Z9,\"'=HYPERLINK(\"\"http://x\"\")\",1.00,20,"), "{exported}");
    assert!(exported.contains("A1,Baguette,1.20,5.5,"), "prices stay numbers: {exported}");
    // Imported into another shop, the name is the one typed, without the mark.
    let other = TestShop::empty().await;
    let (s, _, text) =
        other.api.raw(Method::POST, "/api/v1/catalog/import", Some("text/csv"), exported.into_bytes()).await;
    assert_eq!(s, 200, "{text}");
    let (_, article) = other.api.get("/api/v1/articles/Z9").await;
    assert_eq!(article["name"], "=HYPERLINK(\"http://x\")");
}

// ---------------------------------------------------------------- roles

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cashier_sells_for_themselves_but_cannot_manage() {
    let shop = TestShop::with_catalog().await;
    let cashier = shop.api.as_user("C1", "1234");

    let t = cashier.sell(two_baguettes_cash_500()).await;
    assert_eq!(t["cashier"], "C1");
    // Not in someone else's name.
    let mut other = two_baguettes_cash_500();
    other["cashier"] = json!("admin");
    assert_refused(&cashier.post("/api/v1/tickets", other).await, 403, "forbidden", None);
    // A cashier reads the catalog and the tickets...
    assert_eq!(cashier.get("/api/v1/articles").await.0, 200);
    assert_eq!(cashier.tickets().await.len(), 1);
    // ... but does not change the catalog, close, verify or manage users.
    let got = cashier.post("/api/v1/articles", json!({"sku":"X1","name":"X","price":100,"tax_rate_bp":550})).await;
    assert_refused(&got, 403, "forbidden", None);
    let got = cashier.patch("/api/v1/articles/A1", json!({"price":1})).await;
    assert_refused(&got, 403, "forbidden", None);
    let got = cashier.post("/api/v1/closures", json!({"register":"R1","kind":"day"})).await;
    assert_refused(&got, 403, "forbidden", None);
    let (s, _, _) = cashier.raw(Method::POST, "/api/v1/catalog/import", Some("text/csv"), FRENCH_CSV.into()).await;
    assert_eq!(s, 403);
    assert_refused(&cashier.send(Method::POST, "/api/v1/verify", None).await, 403, "forbidden", None);
    let got = cashier.post("/api/v1/users", json!({"code":"C2","name":"Bob","role":"admin","pin":"9999"})).await;
    assert_refused(&got, 403, "forbidden", None);
    // A wrong PIN is no login.
    assert_refused(&shop.api.as_user("C1", "4321").get("/api/v1/articles").await, 401, "unauthorized", None);

    assert_eq!(shop.api.articles().await.len(), 3);
    assert!(shop.api.closures().await.is_empty());
    let (_, a1) = shop.api.get("/api/v1/articles/A1").await;
    assert_eq!(a1["price"], 120);
    assert_eq!(shop.api.tickets().await.len(), 1);
}

// ---------------------------------------------------------------- closures

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_ticket_enters_a_closed_day() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    api.sell(two_baguettes_cash_500()).await;
    let (s, day) = api.post("/api/v1/closures", json!({"register":"R1","kind":"day"})).await;
    assert_eq!(s, 201, "{day}");
    assert_eq!(day["total"], 240);

    let got = api.post("/api/v1/tickets", two_baguettes_cash_500()).await;
    assert_refused(&got, 409, "closed_period", Some("register"));
    assert_eq!(api.tickets().await.len(), 1);
    // A day is closed once.
    let got = api.post("/api/v1/closures", json!({"register":"R1","kind":"day"})).await;
    assert_refused(&got, 409, "already_closed", Some("register"));
    assert_eq!(api.closures().await.len(), 1);
    // A period that has not begun cannot be closed.
    let got = api.post("/api/v1/closures", json!({"register":"R1","kind":"day","period":"2999-01-01"})).await;
    assert_refused(&got, 400, "period_not_begun", Some("period"));
    let got = api.post("/api/v1/closures", json!({"register":"R1","kind":"month","period":"2026-13"})).await;
    assert_refused(&got, 400, "bad_period", Some("period"));
}

/// Two days in one test: the same shop served in two time zones 26 hours apart, so the
/// second server's business day is always later than the first's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn day_and_month_closures_total_their_tickets() {
    let shop = TestShop::with_catalog().await;
    let west = serve(shop.data_dir(), ShopConfig { timezone: "Etc/GMT+12".into(), ..ShopConfig::default() }).await;
    let east = serve(shop.data_dir(), ShopConfig { timezone: "Etc/GMT-14".into(), ..ShopConfig::default() }).await;

    // Day 1: 2.40 paid 5.00 in cash (2.60 back), 12.50 by card.
    let t1 = west.sell(two_baguettes_cash_500()).await;
    let t2 = west
        .sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"B1","qty":1}],"payments":[{"method":"card","amount":1250}]}))
        .await;
    assert_eq!(t2["vat"], json!([vat(2000, 1250, 1042, 208)]));
    let (s, day1) = west.post("/api/v1/closures", json!({"register":"R1","kind":"day"})).await;
    assert_eq!(s, 201, "{day1}");
    assert_eq!(day1["kind"], "day");
    assert_eq!(day1["period"], t1["business_date"]);
    assert_eq!(day1["sequence"], 1);
    assert_eq!(day1["prev_hash"], GENESIS);
    assert_eq!(day1["ticket_count"], 2);
    assert_eq!(day1["first_number"], "PARIS1-R1-000001");
    assert_eq!(day1["last_number"], "PARIS1-R1-000002");
    assert_eq!(day1["total"], 1490);
    assert_eq!(day1["payments"], json!({"cash": 240, "card": 1250}));
    assert_eq!(
        day1["vat"],
        json!({"550": {"gross": 240, "net": 227, "vat": 13}, "2000": {"gross": 1250, "net": 1042, "vat": 208}})
    );
    assert_eq!(day1["grand_total"], 1490);

    // Day 2: two bottles by cheque, and one baguette of ticket 1 given back in cash.
    let t3 = east
        .sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"B1","qty":2}],"payments":[{"method":"cheque","amount":2500}]}))
        .await;
    assert!(
        t3["business_date"].as_str() > t1["business_date"].as_str(),
        "{} then {}",
        t1["business_date"],
        t3["business_date"]
    );
    assert_eq!(t3["number"], "PARIS1-R1-000003");
    let t4 = east
        .sell(json!({"register":"R1","cashier":"C1","return_of":"PARIS1-R1-000001","lines":[{"sku":"A1","qty":-1}],
            "payments":[{"method":"cash","amount":-120}]}))
        .await;
    assert_eq!(t4["total"], -120);
    // −120 × 550 / 10550 = −6.26 → −6; 2500 / 6 = 416.67 → 417.
    assert_eq!(t4["vat"], json!([vat(550, -120, -114, -6)]));
    let (s, day2) = east.post("/api/v1/closures", json!({"register":"R1","kind":"day"})).await;
    assert_eq!(s, 201, "{day2}");
    assert_eq!(day2["period"], t3["business_date"]);
    assert_eq!(day2["sequence"], 2);
    assert_eq!(day2["prev_hash"], day1["hash"]);
    assert_eq!(day2["ticket_count"], 2);
    assert_eq!(day2["first_number"], "PARIS1-R1-000003");
    assert_eq!(day2["last_number"], "PARIS1-R1-000004");
    assert_eq!(day2["total"], 2380);
    assert_eq!(day2["payments"], json!({"cash": -120, "cheque": 2500}));
    assert_eq!(
        day2["vat"],
        json!({"550": {"gross": -120, "net": -114, "vat": -6}, "2000": {"gross": 2500, "net": 2083, "vat": 417}})
    );
    // The perpetual grand total: 14.90 + 23.80.
    assert_eq!(day2["grand_total"], 3870);

    // The month of day 1 sums its day closures (both days, unless day 2 began a new month).
    let month_of = |c: &Value| c["period"].as_str().unwrap()[..7].to_string();
    let month = month_of(&day1);
    let (s, m) = east.post("/api/v1/closures", json!({"register":"R1","kind":"month","period":&month})).await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(m["kind"], "month");
    assert_eq!(m["period"], month);
    assert_eq!(m["sequence"], 3);
    assert_eq!(m["prev_hash"], day2["hash"]);
    if month_of(&day2) == month {
        assert_eq!(m["ticket_count"], 4);
        assert_eq!(m["first_number"], "PARIS1-R1-000001");
        assert_eq!(m["last_number"], "PARIS1-R1-000004");
        assert_eq!(m["total"], 3870);
        assert_eq!(m["payments"], json!({"cash": 120, "card": 1250, "cheque": 2500}));
        assert_eq!(
            m["vat"],
            json!({"550": {"gross": 120, "net": 113, "vat": 7}, "2000": {"gross": 3750, "net": 3125, "vat": 625}})
        );
        assert_eq!(m["grand_total"], 3870);
    } else {
        for key in ["ticket_count", "first_number", "last_number", "total", "payments", "vat", "grand_total"] {
            assert_eq!(m[key], day1[key], "{key}");
        }
    }

    let (s, listed) = shop.api.get("/api/v1/closures?register=R1").await;
    assert_eq!(s, 200);
    assert_eq!(listed, json!([day1, day2, m]));
    let (_, verify) = shop.api.send(Method::POST, "/api/v1/verify", None).await;
    assert_eq!(verify["intact"], true, "{verify}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_waits_for_its_days_to_be_closed() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let t = api.sell(two_baguettes_cash_500()).await;
    let got = api.post("/api/v1/closures", json!({"register":"R1","kind":"month"})).await;
    assert_refused(&got, 409, "day_not_closed", Some("register"));
    assert!(api.closures().await.is_empty());

    let (s, day) = api.post("/api/v1/closures", json!({"register":"R1","kind":"day"})).await;
    assert_eq!(s, 201, "{day}");
    let (s, month) = api.post("/api/v1/closures", json!({"register":"R1","kind":"month"})).await;
    assert_eq!(s, 201, "{month}");
    assert_eq!(month["period"], &t["business_date"].as_str().unwrap()[..7]);
    for key in ["ticket_count", "first_number", "last_number", "total", "payments", "vat", "grand_total"] {
        assert_eq!(month[key], day[key], "{key}");
    }
}

// ---------------------------------------------------------------- integrity

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_reports_intact_chains() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    api.sell(two_baguettes_cash_500()).await;
    api.sell(one_baguette_cash(200)).await;
    let (s, _) = api.post("/api/v1/closures", json!({"register":"R1","kind":"day"})).await;
    assert_eq!(s, 201);

    let (s, report) = api.send(Method::POST, "/api/v1/verify", None).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["intact"], true);
    assert_eq!(
        report["chains"],
        json!([
            {"register":"R1","chain":"tickets","records":2,"broken":null},
            {"register":"R1","chain":"closures","records":1,"broken":null},
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_refuses_to_change_or_delete_tickets() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let t = api.sell(two_baguettes_cash_500()).await;
    let (s, _) = api.post("/api/v1/closures", json!({"register":"R1","kind":"day"})).await;
    assert_eq!(s, 201);

    let db = rusqlite::Connection::open(shop.data_dir().join("shop.sqlite")).expect("open the shop database");
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let immutable = "tickets are immutable: make a return ticket instead";
    for sql in [
        "UPDATE tickets SET total = 0",
        "DELETE FROM tickets",
        "UPDATE ticket_lines SET total = 0",
        "DELETE FROM ticket_lines",
        "UPDATE ticket_payments SET amount = 0",
        "DELETE FROM ticket_payments",
        "UPDATE ticket_vat SET vat = 0",
        "DELETE FROM ticket_vat",
    ] {
        let err = db.execute(sql, []).expect_err(sql);
        assert!(err.to_string().contains(immutable), "{sql}: {err}");
    }
    for sql in ["UPDATE closures SET total = 0", "DELETE FROM closures", "DELETE FROM closure_payments"] {
        let err = db.execute(sql, []).expect_err(sql);
        assert!(err.to_string().contains("closures are immutable"), "{sql}: {err}");
    }
    let err = db.execute("DELETE FROM events", []).expect_err("events");
    assert!(err.to_string().contains("append-only"), "{err}");
    drop(db);

    let (_, again) = api.get("/api/v1/tickets/PARIS1-R1-000001").await;
    assert_eq!(again, t);
    let (_, report) = api.send(Method::POST, "/api/v1/verify", None).await;
    assert_eq!(report["intact"], true, "{report}");
}
