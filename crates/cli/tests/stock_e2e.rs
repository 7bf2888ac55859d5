//! Stock and people end to end: a real HQ process and real shop processes on loopback.
//! A transfer A → B with an order and its reception (stock right in A, in B and at HQ, on
//! SQLite and on PostgreSQL), then users filtered per shop, keyboards, a time-clock week
//! report, per-shop prices and printers with the "accept HQ price updates" switch, and
//! every refused input of these routes.

mod support;

use serde_json::{Value, json};
use std::time::Duration;
use support::*;

const WAIT: Duration = Duration::from_secs(15);

async fn hq_article(api: &Api, hq: &Hq, sku: &str, price: i64) {
    let (status, body) = api
        .post(
            &format!("{}/articles", hq.server.base),
            json!({"sku": sku, "name": format!("Article {sku}"), "price": price, "tax_rate_bp": 550}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn send(api: &Api, method: reqwest::Method, url: &str, body: Value) -> (u16, Value) {
    let r = api.http.request(method, url).basic_auth("admin", Some(PASSWORD)).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Enrolled and serving shops, each with a local register R1.
async fn chain(tmp: &std::path::Path, hq: &Hq, api: &Api, codes: &[&str]) -> Vec<Server> {
    let tokens: Vec<String> = codes.iter().map(|c| hq.add_shop(c)).collect();
    let mut shops = Vec::new();
    for (code, token) in codes.iter().zip(tokens) {
        let dir = tmp.join(code);
        let out = enroll(&dir, &hq.origin(), &token);
        assert!(out.status.success(), "enroll {code}: {}{}", text(&out.stdout), text(&out.stderr));
        let shop = start_shop(&dir);
        let (s, b) = api.post(&format!("{}/registers", shop.base), json!({"code": "R1", "name": "Caisse 1"})).await;
        assert_eq!(s, 201, "{b}");
        shops.push(shop);
    }
    shops
}

async fn quantity(api: &Api, shop: &Server, sku: &str) -> Value {
    let (status, body) = api.get(&format!("{}/stock?sku={sku}", shop.base)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sku"], sku);
    body["quantity"].clone()
}

async fn a_transfer_moves_stock_from_a_to_b_and_hq_sees_both(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let hq = Hq::start(tmp.path(), backend);
    let api = Api::default();
    hq_article(&api, &hq, "A1", 250).await;
    let shops = chain(tmp.path(), &hq, &api, &["LYON1", "NICE1"]).await;
    let (lyon, nice) = (&shops[0], &shops[1]);
    let hq_base = &hq.server.base;

    // HQ orders 10 for Lyon; 12 arrive: accepted, flagged, the difference recorded.
    let (s, order) = api
        .post(
            &format!("{hq_base}/purchase-orders"),
            json!({"shop": "LYON1", "supplier": "Moulin", "lines": [{"sku": "A1", "qty": 10}]}),
        )
        .await;
    assert_eq!(s, 201, "{order}");
    let (s, b) = api
        .post(
            &format!("{hq_base}/purchase-orders"),
            json!({"shop": "PARIS9", "supplier": "Moulin", "lines": [{"sku": "A1", "qty": 1}]}),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("shop")), "{b}");
    let id = order["id"].as_str().unwrap().to_string();
    eventually(WAIT, "the order at Lyon", || async {
        let (_, list) = api.get(&format!("{}/purchase-orders", lyon.base)).await;
        list.as_array().is_some_and(|l| l.iter().any(|o| o["id"] == id.as_str()))
    })
    .await;
    let (s, r) =
        api.post(&format!("{}/receptions", lyon.base), json!({"order": id, "lines": [{"sku": "A1", "qty": 12}]})).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!((r["over"].as_bool(), r["lines"][0]["over"].as_bool()), (Some(true), Some(true)), "{r}");
    assert_eq!(r["lines"][0]["difference"], -2, "{r}");
    assert_eq!(quantity(&api, lyon, "A1").await, 12);

    // A sale takes one out, in the ticket's own transaction.
    let (s, t) = api.post(&format!("{}/tickets", lyon.base), json!({"register": "R1", "cashier": "admin", "lines": [{"sku": "A1", "qty": 1}], "payments": [{"method": "cash", "amount": 250}]})).await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(quantity(&api, lyon, "A1").await, 11);

    // Refused: a negative count, a transfer to a shop the chain does not have.
    let (s, b) = api.post(&format!("{}/stock/counts", lyon.base), json!({"sku": "A1", "counted": -1})).await;
    assert_eq!((s, b["kind"].as_str(), b["field"].as_str()), (400, Some("negative_count"), Some("counted")), "{b}");
    let (s, b) = api
        .post(&format!("{}/transfers", lyon.base), json!({"to": "PARIS9", "lines": [{"sku": "A1", "qty": 1}]}))
        .await;
    assert_eq!((s, b["kind"].as_str(), b["field"].as_str()), (422, Some("not_found"), Some("to")), "{b}");
    assert_eq!(quantity(&api, lyon, "A1").await, 11, "nothing moved");

    // Lyon sends 4 to Nice, which counts 3 on arrival.
    eventually(WAIT, "Lyon knows Nice", || async {
        let (_, list) = api.get(&format!("{}/shops", lyon.base)).await;
        list.as_array().is_some_and(|l| l.iter().any(|s| s["code"] == "NICE1"))
    })
    .await;
    let (s, slip) =
        api.post(&format!("{}/transfers", lyon.base), json!({"to": "NICE1", "lines": [{"sku": "A1", "qty": 4}]})).await;
    assert_eq!(s, 201, "{slip}");
    assert_eq!(slip["state"], "in_transit");
    assert_eq!(quantity(&api, lyon, "A1").await, 7);
    let id = slip["id"].as_str().unwrap().to_string();
    eventually(WAIT, "the slip at Nice", || async {
        let (_, list) = api.get(&format!("{}/transfers", nice.base)).await;
        list.as_array().is_some_and(|l| l.iter().any(|t| t["id"] == id.as_str() && t["state"] == "in_transit"))
    })
    .await;
    let (s, got) =
        api.post(&format!("{}/transfers/{id}/receive", nice.base), json!({"lines": [{"sku": "A1", "qty": 3}]})).await;
    assert_eq!(s, 200, "{got}");
    assert_eq!((got["state"].as_str(), got["differences"].as_bool()), (Some("received"), Some(true)), "{got}");
    assert_eq!(quantity(&api, nice, "A1").await, 3);
    let (s, b) =
        api.post(&format!("{}/transfers/{id}/receive", nice.base), json!({"lines": [{"sku": "A1", "qty": 3}]})).await;
    assert_eq!(s, 409, "received once: {b}");

    // Nice sells more than it has: allowed, and flagged.
    let (s, t) = api.post(&format!("{}/tickets", nice.base), json!({"register": "R1", "cashier": "admin", "lines": [{"sku": "A1", "qty": 5}], "payments": [{"method": "cash", "amount": 1250}]})).await;
    assert_eq!(s, 201, "{t}");
    let (_, level) = api.get(&format!("{}/stock?sku=A1", nice.base)).await;
    assert_eq!((level["quantity"].as_i64(), level["negative"].as_bool()), (Some(-2), Some(true)), "{level}");

    // HQ: each shop's stock and the chain's; the slip received with its difference, seen
    // by the sender too; the order received above what was ordered.
    eventually(WAIT, "HQ's stock", || async {
        let (_, st) = api.get(&format!("{hq_base}/stock?sku=A1")).await;
        st["total"] == 5
            && st["negative"] == true
            && st["shops"] == json!([{"shop": "LYON1", "quantity": 7, "negative": false}, {"shop": "NICE1", "quantity": -2, "negative": true}])
    })
    .await;
    let (_, slips) = api.get(&format!("{hq_base}/transfers")).await;
    assert_eq!(slips[0]["lines"][0]["received"], 3, "{slips}");
    assert_eq!(slips[0]["differences"], true);
    eventually(WAIT, "the received slip back at Lyon", || async {
        let (_, list) = api.get(&format!("{}/transfers", lyon.base)).await;
        list[0]["state"] == "received" && list[0]["lines"][0]["received"] == 3
    })
    .await;
    let (_, orders) = api.get(&format!("{hq_base}/purchase-orders")).await;
    assert_eq!((orders[0]["state"].as_str(), orders[0]["lines"][0]["received"].as_i64()), (Some("received"), Some(12)));
    let (_, receptions) = api.get(&format!("{hq_base}/receptions")).await;
    assert_eq!(receptions[0]["over"], true, "{receptions}");
    let (s, b) = api.get(&format!("{hq_base}/stock?sku=NOPE")).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("sku")), "{b}");

    // The send_stock job works now: every movement goes up again, HQ counts nothing twice.
    let (s, job) = api.post(&format!("{hq_base}/jobs"), json!({"kind": "send_stock", "shops": ["LYON1"]})).await;
    assert_eq!(s, 201, "{job}");
    eventually(WAIT, "send_stock done", || async {
        let (_, jobs) = api.get(&format!("{hq_base}/jobs")).await;
        jobs.as_array().is_some_and(|l| l.iter().any(|j| j["kind"] == "send_stock" && j["shops"][0]["state"] == "done"))
    })
    .await;
    let (_, st) = api.get(&format!("{hq_base}/stock?sku=A1")).await;
    assert_eq!(st["total"], 5, "{st}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_moves_stock_from_a_to_b_and_hq_sees_both_sqlite() {
    a_transfer_moves_stock_from_a_to_b_and_hq_sees_both(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_moves_stock_from_a_to_b_and_hq_sees_both_postgres() {
    a_transfer_moves_stock_from_a_to_b_and_hq_sees_both(Backend::Postgres).await
}

async fn price(api: &Api, shop: &Server, sku: &str) -> Option<i64> {
    let (status, body) = api.get(&format!("{}/articles/{sku}", shop.base)).await;
    (status == 200).then(|| body["price"].as_i64()).flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_keyboards_time_clock_and_per_shop_prices_and_printers() {
    let tmp = tempfile::tempdir().unwrap();
    let hq = Hq::start(tmp.path(), Backend::Sqlite);
    let api = Api::default();
    let hq_base = hq.server.base.clone();
    hq_article(&api, &hq, "A1", 100).await;
    let shops = chain(tmp.path(), &hq, &api, &["LYON1", "NICE1"]).await;
    let (lyon, nice) = (&shops[0], &shops[1]);

    // Users: each shop gets its own only; a shop of a chain makes none.
    let user = |code: &str, shop: &str, pin: &str| json!({"code": code, "name": format!("User {code}"), "role": "cashier", "pin": pin, "shops": [shop]});
    for body in [user("C1", "LYON1", "1111"), user("C2", "NICE1", "2222"), user("C3", "LYON1", "3333")] {
        let (s, b) = api.post(&format!("{hq_base}/users"), body).await;
        assert_eq!(s, 201, "{b}");
        assert!(b.get("pin_hash").is_none(), "HQ never shows the hash: {b}");
    }
    let (s, b) = api.post(&format!("{hq_base}/users"), user("C1", "LYON1", "1111")).await;
    assert_eq!((s, b["kind"].as_str(), b["field"].as_str()), (409, Some("already_exists"), Some("code")), "{b}");
    let (s, b) = api.post(&format!("{hq_base}/users"), user("C9", "PARIS9", "1111")).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("shops[0]")), "{b}");
    let (s, b) = api.post(&format!("{hq_base}/users"), user("C9", "LYON1", "12")).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("pin")), "{b}");
    let codes = |list: Value| -> Vec<String> {
        let mut v: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["active"] == true && u["code"] != "admin")
            .map(|u| u["code"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    eventually(WAIT, "users at their shops", || async {
        codes(api.get(&format!("{}/users", lyon.base)).await.1) == ["C1", "C3"]
            && codes(api.get(&format!("{}/users", nice.base)).await.1) == ["C2"]
    })
    .await;
    let (s, b) = api
        .post(&format!("{}/users", lyon.base), json!({"code": "L1", "name": "Local", "role": "cashier", "pin": "1234"}))
        .await;
    assert_eq!((s, b["kind"].as_str()), (409, Some("users_owned_by_hq")), "{b}");
    // C3 moves to Nice: Lyon stops accepting it, Nice gets it.
    let (s, b) = send(&api, reqwest::Method::PATCH, &format!("{hq_base}/users/C3"), json!({"shops": ["NICE1"]})).await;
    assert_eq!(s, 200, "{b}");
    eventually(WAIT, "C3 moved", || async {
        codes(api.get(&format!("{}/users", lyon.base)).await.1) == ["C1"]
            && codes(api.get(&format!("{}/users", nice.base)).await.1) == ["C2", "C3"]
    })
    .await;
    // An HQ user signs in at its shop with its PIN.
    let r = api.http.get(format!("{}/shop", lyon.base)).basic_auth("C1", Some("1111")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);

    // Keyboards: one for Lyon's registers, one for Nice's R1 only.
    let page = json!([{"name": "Boulangerie", "buttons": [
        {"label": "Baguette", "kind": "article", "value": "A1"},
        {"label": "Remise", "kind": "function", "value": "discount"}]}]);
    let (s, b) = api
        .post(
            &format!("{hq_base}/keyboards"),
            json!({"code": "K1", "name": "Lyon", "pages": page, "shops": ["LYON1"], "registers": []}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = api
        .post(
            &format!("{hq_base}/keyboards"),
            json!({"code": "K2", "name": "Nice R1", "pages": page, "shops": [], "registers": ["NICE1/R1"]}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let bad = json!([{"name": "P", "buttons": [{"label": "X", "kind": "dance", "value": "x"}]}]);
    let (s, b) = api
        .post(
            &format!("{hq_base}/keyboards"),
            json!({"code": "K3", "name": "Bad", "pages": bad, "shops": ["LYON1"], "registers": []}),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (400, Some("pages[0].buttons[0].kind")), "{b}");
    eventually(WAIT, "keyboards at the registers", || async {
        let (s1, k1) = api.get(&format!("{}/registers/R1/keyboard", lyon.base)).await;
        let (s2, k2) = api.get(&format!("{}/registers/R1/keyboard", nice.base)).await;
        s1 == 200 && k1["code"] == "K1" && s2 == 200 && k2["code"] == "K2"
    })
    .await;
    let (_, k) = api.get(&format!("{}/registers/R1/keyboard", lyon.base)).await;
    assert_eq!(k["pages"][0]["buttons"][1]["value"], "discount");
    assert_eq!(api.get(&format!("{}/registers/R2/keyboard", nice.base)).await.0, 404, "nothing for Nice's R2");

    // Time clock: in and out with the PIN; HQ reports the week.
    let punch = |user: &str, pin: &str, kind: &str| json!({"register": "R1", "user": user, "pin": pin, "kind": kind});
    let (s, b) = api.post(&format!("{}/timeclock", lyon.base), punch("C1", "9999", "in")).await;
    assert_eq!((s, b["field"].as_str()), (400, Some("pin")), "{b}");
    let (s, first) = api.post(&format!("{}/timeclock", lyon.base), punch("C1", "1111", "in")).await;
    assert_eq!(s, 201, "{first}");
    let (s, b) = api.post(&format!("{}/timeclock", lyon.base), punch("C1", "1111", "out")).await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = api.post(&format!("{}/timeclock", nice.base), punch("C2", "2222", "in")).await;
    assert_eq!(s, 201, "{b}");
    let date: jiff::civil::Date = first["date"].as_str().unwrap().parse().unwrap();
    let iso = date.iso_week_date();
    let week = format!("{}-W{:02}", iso.year(), iso.week());
    eventually(WAIT, "the week at HQ", || async {
        let (s, r) = api.get(&format!("{hq_base}/timeclock/report?week={week}")).await;
        s == 200
            && r["users"].as_array().is_some_and(|u| u.len() == 2)
            && r["users"][0]["user"] == "C1"
            && r["users"][0]["open"] == false
            && r["users"][1]["user"] == "C2"
            && r["users"][1]["open"] == true
    })
    .await;
    let (s, b) = api.get(&format!("{hq_base}/timeclock/report?week=2026-49")).await;
    assert_eq!((s, b["field"].as_str()), (400, Some("week")), "{b}");

    // Prices: Nice refuses HQ's price updates and sets its own; Lyon gets HQ's own price.
    assert_eq!(send(&api, reqwest::Method::PUT, &format!("{}/prices/A1", lyon.base), json!({"price": 1})).await.0, 409);
    let (s, b) =
        send(&api, reqwest::Method::PATCH, &format!("{}/settings/hq", nice.base), json!({"accept_hq_prices": false}))
            .await;
    assert_eq!((s, b["accept_hq_prices"].as_bool()), (200, Some(false)), "{b}");
    let (s, b) = send(&api, reqwest::Method::PUT, &format!("{}/prices/A1", nice.base), json!({"price": 150})).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = send(&api, reqwest::Method::PATCH, &format!("{hq_base}/articles/A1"), json!({"price": 200})).await;
    assert_eq!(s, 200, "{b}");
    hq_article(&api, &hq, "A2", 300).await;
    let (s, b) =
        send(&api, reqwest::Method::PUT, &format!("{hq_base}/shops/LYON1/prices/A1"), json!({"price": 180})).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) =
        send(&api, reqwest::Method::PUT, &format!("{hq_base}/shops/PARIS9/prices/A1"), json!({"price": 180})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("shop")), "{b}");
    eventually(WAIT, "prices at the shops", || async {
        price(&api, lyon, "A1").await == Some(180)
            && price(&api, lyon, "A2").await == Some(300)
            && price(&api, nice, "A2").await == Some(300)
    })
    .await;
    assert_eq!(price(&api, nice, "A1").await, Some(150), "Nice keeps its own price");
    // Removing Lyon's own price goes back to the chain's.
    let (s, b) =
        send(&api, reqwest::Method::PUT, &format!("{hq_base}/shops/LYON1/prices/A1"), json!({"price": null})).await;
    assert_eq!(s, 200, "{b}");
    eventually(WAIT, "Lyon back on the chain's price", || async { price(&api, lyon, "A1").await == Some(200) }).await;

    // Printers: Lyon's only reaches Lyon; with printer updates off, Nice keeps its own.
    let printer = |name: &str| json!({"name": name, "kind": "receipt", "address": "tcp://10.0.0.5:9100"});
    let (s, b) =
        send(&api, reqwest::Method::PUT, &format!("{hq_base}/shops/LYON1/printers/P1"), printer("Comptoir")).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) =
        send(&api, reqwest::Method::PUT, &format!("{hq_base}/shops/NICE1/printers/P1"), printer("Nice 1")).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = send(
        &api,
        reqwest::Method::PUT,
        &format!("{hq_base}/shops/NICE1/printers/P2"),
        json!({"name": "X", "kind": "fax", "address": "a"}),
    )
    .await;
    assert_eq!((s, b["field"].as_str()), (400, Some("kind")), "{b}");
    eventually(WAIT, "printers at their shops", || async {
        let (_, l) = api.get(&format!("{}/printers", lyon.base)).await;
        let (_, n) = api.get(&format!("{}/printers", nice.base)).await;
        l.as_array().is_some_and(|a| a.len() == 1 && a[0]["name"] == "Comptoir")
            && n.as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    let (s, _) =
        send(&api, reqwest::Method::PATCH, &format!("{}/settings/hq", nice.base), json!({"accept_hq_printers": false}))
            .await;
    assert_eq!(s, 200);
    let (s, _) =
        send(&api, reqwest::Method::PUT, &format!("{hq_base}/shops/NICE1/printers/P1"), printer("Renamed")).await;
    assert_eq!(s, 200);
    let (s, _) =
        send(&api, reqwest::Method::PUT, &format!("{hq_base}/shops/NICE1/printers/P3"), printer("New one")).await;
    assert_eq!(s, 200);
    eventually(WAIT, "a new printer still arrives", || async {
        let (_, n) = api.get(&format!("{}/printers", nice.base)).await;
        n.as_array().is_some_and(|a| a.len() == 2)
    })
    .await;
    let (_, n) = api.get(&format!("{}/printers", nice.base)).await;
    assert_eq!(n[0]["name"], "Nice 1", "an existing printer kept: {n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_legal_identity_on_a_chain_shops_receipts_is_set_at_hq() {
    let tmp = tempfile::tempdir().unwrap();
    let hq = Hq::start(tmp.path(), Backend::Sqlite);
    let api = Api::default();
    let hq_base = hq.server.base.clone();
    hq_article(&api, &hq, "A1", 120).await;
    let shops = chain(tmp.path(), &hq, &api, &["LYON1", "NICE1"]).await;
    let (lyon, nice) = (&shops[0], &shops[1]);
    let identity = |siret: &str| {
        json!({"legal_name": "Boulangeries Martin SA", "address": "3 place Bellecour\n69002 Lyon",
               "siret": siret, "vat_number": "FR 12 123456789", "footer": "Échange sous 30 jours"})
    };

    // A bad SIRET is refused at HQ, naming the field; nothing is sent.
    let (s, b) = send(&api, reqwest::Method::PUT, &format!("{hq_base}/shops/LYON1/identity"), identity("1234")).await;
    assert_eq!((s, b["kind"].as_str(), b["field"].as_str()), (422, Some("invalid_siret"), Some("siret")), "{b}");
    let (s, b) =
        send(&api, reqwest::Method::PUT, &format!("{hq_base}/shops/PARIS9/identity"), identity("12345678900012")).await;
    assert_eq!((s, b["kind"].as_str(), b["field"].as_str()), (422, Some("not_found"), Some("shop")), "{b}");

    let (s, b) =
        send(&api, reqwest::Method::PUT, &format!("{hq_base}/shops/LYON1/identity"), identity("123 456 789 00012"))
            .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["siret"], "12345678900012");
    let (_, back) = api.get(&format!("{hq_base}/shops/LYON1/identity")).await;
    assert_eq!(back["vat_number"], "FR12123456789", "HQ reads back what it set: {back}");

    // It reaches Lyon, and Lyon only; Lyon's receipts print it.
    eventually(WAIT, "the identity at Lyon", || async {
        let (_, id) = api.get(&format!("{}/shop/identity", lyon.base)).await;
        id["siret"] == "12345678900012"
    })
    .await;
    let (_, id) = api.get(&format!("{}/shop/identity", nice.base)).await;
    assert_eq!(id["siret"], "", "Nice has not been given Lyon's identity: {id}");
    let (s, u) = api
        .post(
            &format!("{hq_base}/users"),
            json!({"code": "C1", "name": "Alice", "role": "cashier", "pin": "1111", "shops": ["LYON1"]}),
        )
        .await;
    assert_eq!(s, 201, "{u}");
    eventually(WAIT, "C1 at Lyon", || async {
        let (_, users) = api.get(&format!("{}/users", lyon.base)).await;
        users.as_array().is_some_and(|a| a.iter().any(|u| u["code"] == "C1"))
    })
    .await;
    eventually(WAIT, "A1 at Lyon", || async { price(&api, lyon, "A1").await == Some(120) }).await;
    let (s, t) = api
        .post(
            &format!("{}/tickets", lyon.base),
            json!({"register": "R1", "cashier": "C1", "lines": [{"sku": "A1", "qty": 1}], "payments": [{"method": "cash", "amount": 200}]}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let r = api
        .http
        .get(format!("{}/tickets/{}/receipt", lyon.base, t["number"].as_str().unwrap()))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    let receipt = r.text().await.unwrap();
    for mention in [
        "Boulangeries Martin SA",
        "3 place Bellecour",
        "SIRET 12345678900012",
        "FR12123456789",
        "Échange sous 30 jours",
    ] {
        assert!(receipt.contains(mention), "no {mention:?} on the receipt:\n{receipt}");
    }

    // The shop's own staff cannot change it: they are sent to HQ.
    let (s, b) =
        send(&api, reqwest::Method::PATCH, &format!("{}/shop/identity", lyon.base), json!({"footer": "x"})).await;
    assert_eq!((s, b["kind"].as_str()), (409, Some("identity_owned_by_hq")), "{b}");
    assert!(b["message"].as_str().unwrap().contains("HQ"), "{b}");
}
