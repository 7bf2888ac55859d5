//! The HQ dashboard in a real browser: a real HQ process and two real shop processes on
//! loopback, simulated sales through the shops' API, then `tests/browser/dashboard.mjs`
//! drives Debian's headless Chromium (Playwright) through the pages: a wrong password is
//! refused, sign-in, the sales page's totals per shop equal HQ's API, an article edited in
//! the dashboard reaches a shop, a shop's own price set on the article page reaches that shop
//! only, the customers (overdrawn marked), stock and users pages show what HQ's API gives,
//! a job is created and done, axe-core finds no serious or
//! critical accessibility violation, screenshots of the main pages are saved.
//!
//! Needs `node`, `/usr/bin/chromium` and `npm ci` in `tests/browser/` (scripts/test does
//! all three); without them the test fails, it never skips.

mod support;

use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use support::*;

/// Two registers, and the cashier C1 defined at HQ (a chain's users come from HQ).
async fn setup_shop(api: &Api, hq_base: &str, shop: &Server, code: &str) {
    for body in [json!({"code": "R1", "name": "Caisse 1"}), json!({"code": "R2", "name": "Caisse 2"})] {
        let (status, b) = api.post(&format!("{}/registers", shop.base), body).await;
        assert_eq!(status, 201, "{b}");
    }
    chain_user(api, hq_base, &shop.base, code, "C1", "1234").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_works_in_a_real_browser() {
    check_tools();
    let tmp = tempfile::tempdir().unwrap();
    let hq = Hq::start(tmp.path(), Backend::Sqlite);
    let api = Api::default();
    for (sku, price, bp) in [("A1", 120, 550), ("B2", 1290, 2000)] {
        let (status, body) = api
            .post(
                &format!("{}/articles", hq.server.base),
                json!({"sku": sku, "name": format!("Article {sku}"), "price": price, "tax_rate_bp": bp}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let mut shops = Vec::new();
    for code in ["LYON1", "NICE1"] {
        let token = hq.add_shop(code);
        let dir = tmp.path().join(code);
        let out = enroll(&dir, &hq.origin(), &token);
        assert!(out.status.success(), "enroll {code}: {}", text(&out.stderr));
        let shop = start_shop(&dir);
        setup_shop(&api, &hq.server.base, &shop, code).await;
        shops.push((code, shop));
    }
    // Different sales per shop: LYON1 sells more, NICE1 gives change and has a return.
    let mut sold = 0;
    for (i, (code, shop)) in shops.iter().enumerate() {
        for n in 0..(6 - 2 * i) {
            let register = if n % 2 == 0 { "R1" } else { "R2" };
            let body = json!({
                "register": register, "cashier": "C1",
                "lines": [{"sku": "A1", "qty": 1 + n % 3}, {"sku": "B2", "qty": 1}],
                "payments": [{"method": if n % 2 == 0 { "card" } else { "cash" }, "amount": if n % 2 == 0 { 1290 + 120 * (1 + n as i64 % 3) } else { 5000 }}],
            });
            let (status, t) = api.post(&format!("{}/tickets", shop.base), body).await;
            assert_eq!(status, 201, "{code}: {t}");
            sold += 1;
            if *code == "NICE1" && n == 0 {
                let body = json!({
                    "register": "R1", "cashier": "C1", "return_of": t["id"],
                    "lines": [{"sku": "B2", "qty": -1}],
                    "payments": [{"method": "card", "amount": -1290}],
                });
                let (status, r) = api.post(&format!("{}/tickets", shop.base), body).await;
                assert_eq!(status, 201, "return: {r}");
                sold += 1;
            }
        }
    }
    let tickets_url = format!("{}/tickets", hq.server.base);
    eventually(Duration::from_secs(20), "every ticket at HQ", || {
        let (api, url) = (api.clone(), tickets_url.clone());
        async move { api.all(&url).await.len() == sold }
    })
    .await;

    // LYON1's archive of the month, copied to HQ (the journal page lists it); the journal's
    // entries reach HQ with the sync.
    let lyon = tmp.path().join("LYON1");
    let month: String = rusqlite::Connection::open(lyon.join("shop.sqlite"))
        .unwrap()
        .query_row("SELECT substr(MAX(business_date), 1, 7) FROM tickets", [], |r| r.get(0))
        .unwrap();
    let out = comptoir(&["shop", "archive", "--data-dir", lyon.to_str().unwrap(), "--period", &month], None);
    assert!(text(&out.stdout).contains("Copied to HQ"), "{}{}", text(&out.stdout), text(&out.stderr));
    let journal_url = format!("{}/shops/LYON1/journal?code=archive", hq.server.base);
    eventually(Duration::from_secs(60), "the archive's journal entries at HQ (the next push)", || {
        let (api, url) = (api.clone(), journal_url.clone());
        async move { api.all(&url).await.len() >= 2 }
    })
    .await;

    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let shop_urls: Vec<String> = shops.iter().map(|(c, s)| format!("{c}={}", s.base)).collect();
    let started = std::time::Instant::now();
    let out = Command::new("node")
        .arg("dashboard.mjs")
        .current_dir(browser_dir())
        .env("HQ_ORIGIN", hq.origin())
        .env("ADMIN_USER", "admin")
        .env("ADMIN_PASSWORD", PASSWORD)
        .env("SHOPS", shop_urls.join(","))
        .env("CHROMIUM", CHROMIUM)
        .env("SCREENSHOTS", &screenshots)
        .output()
        .expect("run node");
    println!("{}", text(&out.stdout));
    eprintln!("{}", text(&out.stderr));
    assert!(out.status.success(), "the browser test failed (see its output above)");
    println!("browser part: {:?}; screenshots in {}", started.elapsed(), screenshots.display());
    for page in [
        "login",
        "sales",
        "health",
        "catalog",
        "article",
        "customers",
        "stock",
        "users",
        "shops",
        "journal",
        "journal-tablet",
        "journal-phone",
        "jobs",
    ] {
        let shot = screenshots.join(format!("{page}.png"));
        assert!(std::fs::metadata(&shot).is_ok_and(|m| m.len() > 1000), "no screenshot {}", shot.display());
    }
}
