//! The shop's back office in a real browser: a real standalone shop process on loopback
//! with a register, a cashier and a sale made through its API, then
//! `tests/browser/backoffice.mjs` drives Debian's headless Chromium (Playwright) through a
//! manager's pages: a cashier is refused, a wrong password too, sign-in; an article is
//! created, a bad price is refused next to the price field, the article is edited and
//! found; a CSV import is refused with its report, then accepted; the closures, the X
//! reading, a Z's detail, the ticket search and the receipt; the HQ link page; a stock
//! adjustment; a user and a register created; a printer refused for its address, then
//! created and renamed, and a card terminal (the devices page); French at the switch. Each change is checked
//! against the shop's API; axe-core finds no serious or critical violation; screenshots at
//! 1280x800, 820x1180 and 390x844 are saved.
//!
//! Needs `node`, `/usr/bin/chromium` and `npm ci` in `tests/browser/` (scripts/test does
//! all three); without them the test fails, it never skips.

mod support;

use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_back_office_works_in_a_real_browser() {
    check_tools();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("PARIS1");
    init_shop(&dir, "PARIS1", "Paris Centre");
    let shop = start_shop(&dir);
    let s = &shop.base;
    let api = Api::default();
    for (path, body) in [
        ("articles", json!({"sku":"A1","name":"Baguette","price":120,"tax_rate_bp":550,"barcodes":["3017620422003"]})),
        ("articles", json!({"sku":"B1","name":"Vin rouge","price":1250,"tax_rate_bp":2000})),
        ("registers", json!({"code":"R1","name":"Caisse 1"})),
        ("registers", json!({"code":"R3","name":"Caisse 3"})),
        ("users", json!({"code":"C1","name":"Alice","role":"cashier","pin":"1234"})),
        (
            "tickets",
            json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":2},{"sku":"B1","qty":1}],"payments":[{"method":"cash","amount":2000}]}),
        ),
        ("closures", json!({"register":"R1","kind":"day"})),
        (
            "tickets",
            json!({"register":"R3","cashier":"C1","lines":[{"sku":"A1","qty":1}],"payments":[{"method":"card","amount":120}]}),
        ),
    ] {
        let (status, answer) = api.post(&format!("{s}/{path}"), body).await;
        assert_eq!(status, 201, "{path}: {answer}");
    }

    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("backoffice-screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let started = std::time::Instant::now();
    let out = Command::new("node")
        .arg("backoffice.mjs")
        .current_dir(browser_dir())
        .env("SHOP_ORIGIN", s.trim_end_matches("/api/v1"))
        .env("ADMIN_USER", "admin")
        .env("ADMIN_PASSWORD", PASSWORD)
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
        "catalog",
        "article",
        "import",
        "closures",
        "closure",
        "x-reading",
        "sessions",
        "tickets",
        "ticket",
        "sync",
        "logs",
        "stock",
        "customers",
        "users",
        "registers",
    ] {
        for size in ["1280x800", "820x1180", "390x844"] {
            let shot = screenshots.join(format!("{page}-{size}.png"));
            assert!(std::fs::metadata(&shot).is_ok_and(|m| m.len() > 1000), "no screenshot {}", shot.display());
        }
    }
}
