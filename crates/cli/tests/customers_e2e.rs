//! End-to-end customers and loyalty: a real HQ process, real shop processes, each shop
//! behind its own proxy so its link to HQ can be cut (offline) and restored.

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::proxy::{self, Proxy};
use support::*;

struct Chain {
    _tmp: tempfile::TempDir,
    hq: Hq,
    shops: Vec<Server>,
    links: Vec<Proxy>,
    api: Api,
}

async fn chain(codes: &[&str], backend: Backend) -> Chain {
    let tmp = tempfile::tempdir().unwrap();
    let hq = Hq::start(tmp.path(), backend);
    let api = Api::default();
    let (status, body) = api
        .post(
            &format!("{}/articles", hq.server.base),
            json!({"sku": "A1", "name": "Panier", "price": 2500, "tax_rate_bp": 550}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let mut shops = Vec::new();
    let mut links = Vec::new();
    for code in codes {
        let link = Proxy::start(hq.origin().trim_start_matches("http://").to_string()).await;
        let token = hq.add_shop(code);
        let dir = tmp.path().join(code);
        let out = enroll(&dir, &link.origin(), &token);
        assert!(out.status.success(), "enroll {code}: {}", text(&out.stderr));
        let shop = start_shop(&dir);
        let (status, b) =
            api.post(&format!("{}/registers", shop.base), json!({"code": "R1", "name": "Caisse 1"})).await;
        assert_eq!(status, 201, "{b}");
        shops.push(shop);
        links.push(link);
    }
    Chain { _tmp: tmp, hq, shops, links, api }
}

async fn post_lang(api: &Api, url: &str, body: Value, lang: &str) -> (u16, Value) {
    let r = api
        .http
        .post(url)
        .basic_auth("admin", Some(PASSWORD))
        .header("Accept-Language", lang)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn patch(api: &Api, url: &str, body: Value) -> (u16, Value) {
    let r = api.http.patch(url).basic_auth("admin", Some(PASSWORD)).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn create_customer(api: &Api, shop: &Server, body: Value) -> Value {
    let (status, c) = api.post(&format!("{}/customers", shop.base), body).await;
    assert_eq!(status, 201, "{c}");
    c
}

async fn customer_at(api: &Api, base: &str, id: &str) -> Value {
    let (status, c) = api.get(&format!("{base}/customers/{id}")).await;
    assert_eq!(status, 200, "{c}");
    c
}

async fn search(api: &Api, shop: &Server, q: &str) -> Vec<Value> {
    let (status, page) = api.get(&format!("{}/customers?q={q}", shop.base)).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().cloned().unwrap()
}

async fn sell(api: &Api, shop: &Server, customer: &str, payments: Value) -> (u16, Value) {
    api.post(
        &format!("{}/tickets", shop.base),
        json!({"register": "R1", "cashier": "admin", "customer": customer,
               "lines": [{"sku": "A1", "qty": 1}], "payments": payments}),
    )
    .await
}

async fn balance_at(api: &Api, base: &str, id: &str) -> i64 {
    customer_at(api, base, id).await["loyalty_balance"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_made_offline_in_two_shops_merge_at_hq() {
    let c = chain(&["LYON1", "NICE1"], Backend::Sqlite).await;
    let (api, lyon, nice) = (&c.api, &c.shops[0], &c.shops[1]);

    // Bad input is refused at the register, naming the field, in French and English.
    let url = format!("{}/customers", lyon.base);
    let (status, e) = post_lang(api, &url, json!({"name": "Marie", "email": "marie.example.org"}), "fr").await;
    assert_eq!((status, e["kind"].as_str(), e["field"].as_str()), (422, Some("invalid_email"), Some("email")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("adresse e-mail"), "{e}");
    let (status, e) = post_lang(api, &url, json!({"name": "Marie", "phone": "06 12 AB"}), "en").await;
    assert_eq!((status, e["kind"].as_str(), e["field"].as_str()), (422, Some("invalid_phone"), Some("phone")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("phone number"), "{e}");
    let (status, e) = patch(api, &format!("{}/customers/nope", lyon.base), json!({"name": "X"})).await;
    assert_eq!((status, e["kind"].as_str()), (404, Some("not_found")), "{e}");

    // Both links down: the same person is entered in both shops.
    for l in &c.links {
        l.set(proxy::DOWN);
    }
    let a = create_customer(api, lyon, json!({"name": "Marie Curie", "email": "marie@example.org"})).await;
    let b = create_customer(api, nice, json!({"name": "Marie Curie", "phone": "+33 6 00 00 00 01"})).await;
    let (a_id, b_id) = (a["id"].as_str().unwrap().to_string(), b["id"].as_str().unwrap().to_string());
    assert!(a["card"].as_str().unwrap().starts_with("LYON1-"), "{a}");
    assert!(b["card"].as_str().unwrap().starts_with("NICE1-"), "{b}");
    assert_eq!(uuid::Uuid::parse_str(&a_id).unwrap().get_version_num(), 7);
    // Found offline by name, email, phone and card.
    for q in ["marie", "curie", "marie@example.org", a["card"].as_str().unwrap()] {
        assert_eq!(search(api, lyon, q).await.len(), 1, "{q}");
    }
    assert_eq!(search(api, nice, "0600000001").await.len(), 1, "national form of +33");
    // Offline edits of different fields of Lyon's record, in Lyon.
    let (status, _) =
        patch(api, &format!("{}/customers/{a_id}", lyon.base), json!({"phone": "+33 6 11 11 11 11"})).await;
    assert_eq!(status, 200);

    // Links up: HQ gets both records, and every shop gets the other's.
    for l in &c.links {
        l.set(proxy::PASS);
    }
    eventually(Duration::from_secs(15), "both customers at HQ and in both shops", || async {
        let at_hq = api.get(&format!("{}/customers/{b_id}", c.hq.server.base)).await.0 == 200
            && api.get(&format!("{}/customers/{a_id}", c.hq.server.base)).await.0 == 200;
        at_hq && search(api, lyon, "marie").await.len() == 2 && search(api, nice, "marie").await.len() == 2
    })
    .await;
    // Edits of one record in two shops merge field by field.
    patch(api, &format!("{}/customers/{a_id}", nice.base), json!({"email": "marie.curie@example.org"})).await;
    patch(api, &format!("{}/customers/{a_id}", lyon.base), json!({"name": "Marie Skłodowska-Curie"})).await;
    eventually(Duration::from_secs(10), "the two edits merged everywhere", || async {
        let mut all = true;
        for base in [&c.hq.server.base, &lyon.base, &nice.base] {
            let v = customer_at(api, base, &a_id).await;
            all &= v["name"] == "Marie Skłodowska-Curie"
                && v["email"] == "marie.curie@example.org"
                && v["phone"] == "+33 6 11 11 11 11";
        }
        all
    })
    .await;

    // HQ merges Nice's record into Lyon's: history kept, one record found in the shops.
    let (status, v) = api.post(&format!("{}/customers/{b_id}/merge", c.hq.server.base), json!({"into": a_id})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["merged_from"], json!([b_id]));
    let (status, e) = api.post(&format!("{}/customers/{b_id}/merge", c.hq.server.base), json!({"into": a_id})).await;
    assert_eq!((status, e["kind"].as_str()), (409, Some("conflict")), "merged once: {e}");
    eventually(Duration::from_secs(10), "the merge at both shops", || async {
        search(api, lyon, "marie").await.len() == 1 && search(api, nice, "marie").await.len() == 1
    })
    .await;
    assert_eq!(customer_at(api, &nice.base, &b_id).await["merged_into"], a_id.as_str());
    // A ticket naming the merged record's card counts for the survivor.
    let card_b = b["card"].as_str().unwrap();
    let (status, t) = sell(api, nice, card_b, json!([{"method": "card", "amount": 2500}])).await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["customer"], a_id.as_str(), "the ticket names the surviving record");

    // GDPR: erased at HQ, gone from every shop; the ticket stays, naming only an id.
    let (status, v) = api.post(&format!("{}/customers/{a_id}/erase", c.hq.server.base), json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!((v["erased"].as_bool(), v["name"].as_str(), v["email"].as_str()), (Some(true), Some(""), None));
    eventually(Duration::from_secs(10), "the erasure at both shops", || async {
        search(api, lyon, "marie").await.is_empty() && search(api, nice, "curie").await.is_empty()
    })
    .await;
    let v = customer_at(api, &lyon.base, &a_id).await;
    assert!(v["erased"].as_bool().unwrap() && v["name"] == "" && v["phone"].is_null(), "{v}");
    // Nice's record, merged into the erased one, is the same person: erased too, at HQ and in
    // both shops, and its phone no longer finds anybody.
    eventually(Duration::from_secs(10), "the merged record erased everywhere", || async {
        let mut all = search(api, nice, "0600000001").await.is_empty();
        for base in [&c.hq.server.base, &lyon.base, &nice.base] {
            let v = customer_at(api, base, &b_id).await;
            all &= v["erased"] == true && v["name"] == "" && v["phone"].is_null() && v["email"].is_null();
        }
        all
    })
    .await;
    let (status, t2) = api.get(&format!("{}/tickets/{}", nice.base, t["id"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    assert_eq!(t2["customer"], a_id.as_str());
    let (status, e) = sell(api, nice, &a_id, json!([{"method": "card", "amount": 2500}])).await;
    assert_eq!((status, e["field"].as_str()), (422, Some("customer")), "an erased customer is not sold to: {e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn points_earned_in_one_shop_are_spent_in_another_and_offline_double_spending_is_flagged() {
    let c = chain(&["LYON1", "NICE1"], Backend::Sqlite).await;
    let (api, lyon, nice) = (&c.api, &c.shops[0], &c.shops[1]);
    let hq = &c.hq.server.base;
    let m = create_customer(api, lyon, json!({"name": "Marie Curie"})).await;
    let id = m["id"].as_str().unwrap().to_string();
    eventually(Duration::from_secs(10), "the customer at Nice", || async {
        api.get(&format!("{}/customers/{id}", nice.base)).await.0 == 200
    })
    .await;

    // 25.00 € at Lyon earns 25 points by the default rule (1 point per euro)...
    let (status, t) = sell(api, lyon, &id, json!([{"method": "card", "amount": 2500}])).await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(balance_at(api, &lyon.base, &id).await, 25);
    // ...which Nice sees within a second, the link being up (long-polled feed).
    let start = Instant::now();
    eventually(Duration::from_secs(3), "Lyon's points at Nice", || async {
        balance_at(api, &nice.base, &id).await == 25
    })
    .await;
    let seen = start.elapsed();
    println!("points earned at Lyon seen at Nice after {seen:?}");
    assert!(seen < Duration::from_millis(1500), "{seen:?}");

    // Nice refuses to redeem more than it knows, naming the payment; then spends 20 points.
    let (status, e) = post_lang(
        api,
        &format!("{}/tickets", nice.base),
        json!({"register": "R1", "cashier": "admin", "customer": id, "lines": [{"sku": "A1", "qty": 1}],
               "payments": [{"method": "card", "amount": 2470}, {"method": "loyalty", "amount": 30}]}),
        "fr",
    )
    .await;
    assert_eq!(
        (status, e["kind"].as_str(), e["field"].as_str()),
        (422, Some("loyalty_balance_exceeded"), Some("payments[1].amount")),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().contains("25 points"), "{e}");
    let (status, e) = api
        .post(
            &format!("{}/tickets", nice.base),
            json!({"register": "R1", "cashier": "admin", "lines": [{"sku": "A1", "qty": 1}],
                   "payments": [{"method": "loyalty", "amount": 2500}]}),
        )
        .await;
    assert_eq!((status, e["field"].as_str()), (400, Some("payments[0].method")), "points need a customer: {e}");
    let (status, t) =
        sell(api, nice, &id, json!([{"method": "card", "amount": 2480}, {"method": "loyalty", "amount": 20}])).await;
    assert_eq!(status, 201, "{t}");
    // 25 + 24 earned on the 24.80 € not paid in points − 20 redeemed.
    assert_eq!(balance_at(api, &nice.base, &id).await, 29);
    eventually(Duration::from_secs(5), "HQ and Lyon agree", || async {
        balance_at(api, hq, &id).await == 29 && balance_at(api, &lyon.base, &id).await == 29
    })
    .await;

    // The chain's rule comes from HQ: 2 points per euro from now on.
    let r = api
        .http
        .put(format!("{hq}/loyalty/rule"))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"points_per_euro": 2, "cents_per_point": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = api
        .http
        .put(format!("{hq}/loyalty/rule"))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"points_per_euro": -1, "cents_per_point": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422, "a negative rule is refused");
    // The refusal speaks of points per euro, not of an amount in euros out of range.
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!((e["kind"].as_str(), e["field"].as_str()), (Some("loyalty_rule_out_of_range"), Some("points_per_euro")));
    assert!(e["message"].as_str().unwrap().contains("points earned per euro spent are a whole number from 0"), "{e}");
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Both shops offline spend the same 29 points.
    for l in &c.links {
        l.set(proxy::DOWN);
    }
    for shop in [lyon, nice] {
        let (status, t) =
            sell(api, shop, &id, json!([{"method": "card", "amount": 2471}, {"method": "loyalty", "amount": 29}]))
                .await;
        assert_eq!(status, 201, "{t}");
    }
    // Each earned floor(24.71 € × 2) = 49: each shop alone sees 29 − 29 + 49.
    assert_eq!(balance_at(api, &lyon.base, &id).await, 49);
    let v = customer_at(api, hq, &id).await;
    assert_eq!((v["loyalty_balance"].as_i64(), v["overdrawn"].as_bool()), (Some(29), Some(false)));
    // Back online: HQ merges both shops' entries; the balance is their sum.
    for l in &c.links {
        l.set(proxy::PASS);
    }
    eventually(Duration::from_secs(15), "both shops' entries at HQ", || async {
        balance_at(api, hq, &id).await == 29 - 29 - 29 + 49 + 49
    })
    .await;

    // Earning off (HQ's rule); Pierre gets 10 points at HQ, then both shops offline spend them.
    let r = api
        .http
        .put(format!("{hq}/loyalty/rule"))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"points_per_euro": 0, "cents_per_point": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let p = create_customer(api, lyon, json!({"name": "Pierre Curie"})).await;
    let pid = p["id"].as_str().unwrap().to_string();
    eventually(Duration::from_secs(10), "Pierre at HQ", || async {
        api.get(&format!("{hq}/customers/{pid}")).await.0 == 200
    })
    .await;
    let (status, e) = api.post(&format!("{hq}/customers/{pid}/loyalty"), json!({"kind": "adjust", "points": 0})).await;
    assert_eq!((status, e["field"].as_str()), (400, Some("points")), "{e}");
    // A note longer than the history keeps is refused whole, not cut.
    let (status, e) = api
        .post(
            &format!("{hq}/customers/{pid}/loyalty"),
            json!({"kind": "adjust", "points": 10, "note": "x".repeat(201)}),
        )
        .await;
    assert_eq!((status, e["kind"].as_str(), e["field"].as_str()), (422, Some("text_too_long"), Some("note")), "{e}");
    let (status, v) = api
        .post(&format!("{hq}/customers/{pid}/loyalty"), json!({"kind": "adjust", "points": 10, "note": "welcome"}))
        .await;
    assert_eq!((status, v["loyalty_balance"].as_i64()), (200, Some(10)), "{v}");
    // The feed is in order: a shop that has the 10 points has the new rule too.
    eventually(Duration::from_secs(10), "Pierre's points in both shops", || async {
        balance_at(api, &lyon.base, &pid).await == 10 && balance_at(api, &nice.base, &pid).await == 10
    })
    .await;
    for l in &c.links {
        l.set(proxy::DOWN);
    }
    for shop in [lyon, nice] {
        let (status, t) =
            sell(api, shop, &pid, json!([{"method": "card", "amount": 2490}, {"method": "loyalty", "amount": 10}]))
                .await;
        assert_eq!(status, 201, "each shop knew 10 points: {t}");
        assert_eq!(balance_at(api, &shop.base, &pid).await, 0);
    }
    for l in &c.links {
        l.set(proxy::PASS);
    }
    eventually(Duration::from_secs(15), "HQ flags Pierre overdrawn", || async {
        let v = customer_at(api, hq, &pid).await;
        v["loyalty_balance"].as_i64() == Some(-10) && v["overdrawn"] == true
    })
    .await;
    let (_, list) = api.get(&format!("{hq}/customers?overdrawn=true")).await;
    let ids: Vec<&str> = list["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![pid.as_str()]);
    assert_eq!(customer_at(api, hq, &id).await["overdrawn"], false);
    // Expiry takes the rest of a positive balance.
    let (status, v) = api.post(&format!("{hq}/customers/{id}/loyalty"), json!({"kind": "expire"})).await;
    assert_eq!((status, v["loyalty_balance"].as_i64()), (200, Some(0)), "{v}");
    eventually(Duration::from_secs(5), "the expiry at Lyon", || async { balance_at(api, &lyon.base, &id).await == 0 })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_applies_to_an_identified_customer_and_messages_reach_the_register() {
    let c = chain(&["LYON1"], Backend::Sqlite).await;
    let (api, lyon) = (&c.api, &c.shops[0]);
    let hq = &c.hq.server.base;

    // Offers are checked at HQ, naming the field.
    let (status, e) = post_lang(
        api,
        &format!("{hq}/offers"),
        json!({"name": "Sans cible", "percent_bp": 1000, "from": "2020-01-01", "to": "2099-12-31"}),
        "fr",
    )
    .await;
    assert_eq!((status, e["field"].as_str()), (400, Some("article")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("Donnez soit article"), "{e}");
    let mut offers = Vec::new();
    for body in [
        json!({"name": "-10 % paniers", "percent_bp": 1000, "article": "A1", "from": "2020-01-01", "to": "2099-12-31"}),
        json!({"name": "3 € VIP", "amount": 300, "article": "A1", "group": "VIP", "from": "2020-01-01", "to": "2099-12-31"}),
        json!({"name": "Fini", "percent_bp": 5000, "article": "A1", "from": "2020-01-01", "to": "2020-12-31"}),
    ] {
        let (status, o) = api.post(&format!("{hq}/offers"), body).await;
        assert_eq!(status, 201, "{o}");
        offers.push(o["id"].as_str().unwrap().to_string());
    }
    let marie = create_customer(api, lyon, json!({"name": "Marie Curie"})).await;
    let paul = create_customer(api, lyon, json!({"name": "Paul Langevin", "group": "VIP"})).await;
    let (mid, pid) = (marie["id"].as_str().unwrap(), paul["id"].as_str().unwrap());
    eventually(Duration::from_secs(10), "the offers at the shop", || async {
        let (s, o) = api.get(&format!("{}/customers/{pid}/offers", lyon.base)).await;
        s == 200 && o.as_array().map(Vec::len) == Some(2)
    })
    .await;
    let (_, o) = api.get(&format!("{}/customers/{mid}/offers", lyon.base)).await;
    assert_eq!(o.as_array().unwrap().len(), 1, "Marie is not VIP; the old offer is over: {o}");

    // Marie's ticket gets 10 %; Paul's the better of 10 % and 3 €; no customer, no offer.
    let (status, t) = sell(api, lyon, mid, json!([{"method": "card", "amount": 2250}])).await;
    assert_eq!(status, 201, "{t}");
    assert_eq!((t["total"].as_i64(), t["lines"][0]["discount"].as_i64()), (Some(2250), Some(250)), "{t}");
    assert_eq!(t["offers"], json!([{"line": 0, "offer": offers[0], "name": "-10 % paniers", "discount": 250}]));
    let (status, tp) = sell(api, lyon, pid, json!([{"method": "card", "amount": 2200}])).await;
    assert_eq!(status, 201, "{tp}");
    assert_eq!(tp["offers"][0]["offer"], offers[1].as_str());
    let (status, plain) = api
        .post(
            &format!("{}/tickets", lyon.base),
            json!({"register": "R1", "cashier": "admin", "lines": [{"sku": "A1", "qty": 1}],
                   "payments": [{"method": "card", "amount": 2500}]}),
        )
        .await;
    assert_eq!(status, 201, "{plain}");
    assert!(plain.get("offers").is_none(), "{plain}");
    // Recorded on the ticket: read back the same, the chain verifies, HQ agrees with the hash.
    let (_, again) = api.get(&format!("{}/tickets/{}", lyon.base, t["id"].as_str().unwrap())).await;
    assert_eq!(again, t);
    let (status, v) = api.post(&format!("{}/verify", lyon.base), json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert!(!v.to_string().contains("altered"), "{v}");
    eventually(Duration::from_secs(10), "the tickets at HQ, none quarantined", || async {
        let (_, page) = api.get(&format!("{hq}/tickets?shop=LYON1")).await;
        let with_offer = page["items"].as_array().map(|a| a.iter().filter(|t| t.get("offers").is_some()).count());
        let (_, q) = api.get(&format!("{hq}/quarantine")).await;
        with_offer == Some(2) && q.as_array().map(Vec::is_empty) == Some(true)
    })
    .await;

    // Messages: one for the whole shop, one for another register.
    let (status, e) = api.post(&format!("{hq}/messages"), json!({"shop": "NOPE", "text": "x"})).await;
    assert_eq!((status, e["kind"].as_str(), e["field"].as_str()), (422, Some("not_found"), Some("shop")), "{e}");
    let (status, m) = api.post(&format!("{hq}/messages"), json!({"shop": "LYON1", "text": "Inventaire ce soir"})).await;
    assert_eq!(status, 201, "{m}");
    let (status, _) = api
        .post(&format!("{hq}/messages"), json!({"shop": "LYON1", "register": "R2", "text": "Caisse 2 seulement"}))
        .await;
    assert_eq!(status, 201);
    let url = |moment: &str| format!("{}/registers/R1/messages?moment={moment}", lyon.base);
    eventually(Duration::from_secs(10), "the message at the register", || async {
        api.get(&url("opening")).await.1["items"].as_array().map(Vec::len) == Some(1)
    })
    .await;
    let (status, e) = api.get(&url("lunch")).await;
    assert_eq!((status, e["field"].as_str()), (400, Some("moment")), "{e}");
    // The link down, the register still gets its messages and sells (local data only).
    c.links[0].set(proxy::DOWN);
    let (_, page) = api.get(&url("between_tickets")).await;
    assert_eq!(page["items"][0]["text"], "Inventaire ce soir");
    let (status, _) = sell(api, lyon, mid, json!([{"method": "card", "amount": 2250}])).await;
    assert_eq!(status, 201);
    let id = m["id"].as_str().unwrap();
    let r = api
        .http
        .post(format!("{}/registers/R1/messages/{id}/ack", lyon.base))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (_, page) = api.get(&url("closing")).await;
    assert_eq!(page["items"], json!([]), "acknowledged: no longer pending");
    c.links[0].set(proxy::PASS);
    eventually(Duration::from_secs(10), "the acknowledgement at HQ", || async {
        let (_, list) = api.get(&format!("{hq}/messages?shop=LYON1")).await;
        list.as_array().unwrap().iter().any(|m| m["id"] == id && m["acks"][0]["register"] == "R1")
    })
    .await;
}
