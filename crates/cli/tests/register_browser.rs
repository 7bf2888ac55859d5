//! The register screen in a real browser: a real HQ process and an enrolled shop process
//! on loopback (the shop reaches HQ through a proxy that can cut the link), then
//! `tests/browser/register.mjs` drives Debian's headless Chromium (Playwright) through a
//! cashier's day, in English then in French: open the till with a counted float (HQ's
//! message acknowledged), sell by button, by scanner keystrokes, by search and a weighed
//! article, a customer with an offer and points, split payment, park and resume, a
//! return, a double tap on pay (one ticket), a reload mid-ticket (cart kept), HQ cut (icon
//! crossed out, selling goes on), close with the count and the Z (a manager's). Each step
//! is checked against the shop's API; axe-core finds no serious violation; screenshots at
//! 1920x1080, 1024x768 and 390x844 are saved.
//!
//! Needs `node`, `/usr/bin/chromium` and `npm ci` in `tests/browser/` (scripts/test does
//! all three); without them the test fails, it never skips.

mod support;

use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use support::proxy::{DOWN, PASS, Proxy};
use support::*;

async fn created(api: &Api, url: String, body: serde_json::Value) {
    let (status, answer) = api.post(&url, body).await;
    assert_eq!(status, 201, "{url}: {answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_screen_works_in_a_real_browser() {
    check_tools();
    let tmp = tempfile::tempdir().unwrap();
    let hq = Hq::start(tmp.path(), Backend::Sqlite);
    let link = Arc::new(Proxy::start(hq.origin().trim_start_matches("http://").to_string()).await);
    let api = Api::default();
    let h = &hq.server.base;
    for body in [
        json!({"sku":"A1","name":"Baguette","price":120,"tax_rate_bp":550,"barcodes":["3017620422003"]}),
        json!({"sku":"B2","name":"Vin rouge","price":1290,"tax_rate_bp":2000}),
        // Sold by weight: its scale barcodes are 21 12345 VVVVV C (grams).
        json!({"sku":"F1","name":"Comté","price":1990,"tax_rate_bp":550,"barcodes":["2112345"]}),
    ] {
        created(&api, format!("{h}/articles"), body).await;
    }
    created(
        &api,
        format!("{h}/offers"),
        json!({"name":"Vin -10 %","percent_bp":1000,"article":"B2","from":"2020-01-01","to":"2099-12-31"}),
    )
    .await;
    let token = hq.add_shop("LYON1");
    created(&api, format!("{h}/messages"), json!({"shop":"LYON1","text":"Inventaire demain à 8 h"})).await;
    let buttons = |list: &[(&str, &str)]| -> Vec<serde_json::Value> {
        list.iter().map(|(l, v)| json!({"label": l, "kind": "article", "value": v})).collect()
    };
    created(
        &api,
        format!("{h}/keyboards"),
        json!({"code":"K1","name":"Lyon","shops":["LYON1"],"registers":[],"pages":[
            {"name":"Boulangerie","buttons": buttons(&[("Baguette","A1"),("Vin rouge","B2")])},
            {"name":"Crèmerie","buttons": buttons(&[("Comté","F1")])}]}),
    )
    .await;

    let dir = tmp.path().join("LYON1");
    let out = enroll(&dir, &link.origin(), &token);
    assert!(out.status.success(), "enroll: {}", text(&out.stderr));
    let shop = start_shop(&dir);
    let s = &shop.base;
    for body in [json!({"code":"R1","name":"Caisse 1"}), json!({"code":"R2","name":"Caisse 2"})] {
        created(&api, format!("{s}/registers"), body).await;
    }
    // Alice is attached to R1 only; Marc, a manager, to every register of the shop.
    created(
        &api,
        format!("{h}/users"),
        json!({"code":"C1","name":"Alice","role":"cashier","pin":"1234","shops":["LYON1"],"registers":["LYON1/R1"]}),
    )
    .await;
    created(
        &api,
        format!("{h}/users"),
        json!({"code":"M1","name":"Marc","role":"manager","pin":"4321","shops":["LYON1"]}),
    )
    .await;
    eventually(Duration::from_secs(20), "users, keyboard and message at the shop", || {
        let (api, s) = (api.clone(), s.clone());
        async move {
            let (_, users) = api.get(&format!("{s}/users")).await;
            let (k, _) = api.get(&format!("{s}/registers/R1/keyboard")).await;
            let (_, m) = api.get(&format!("{s}/registers/R1/messages?moment=opening")).await;
            users.as_array().is_some_and(|l| l.iter().filter(|u| u["code"] == "C1" || u["code"] == "M1").count() == 2)
                && k == 200
                && m["items"].as_array().is_some_and(|i| !i.is_empty())
        }
    })
    .await;

    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../screenshots/register");
    std::fs::create_dir_all(&screenshots).unwrap();
    let started = std::time::Instant::now();
    let mut child = Command::new("node")
        .arg("register.mjs")
        .current_dir(browser_dir())
        .env("SHOP_ORIGIN", s.trim_end_matches("/api/v1"))
        .env("ADMIN_USER", "admin")
        .env("ADMIN_PASSWORD", PASSWORD)
        .env("CHROMIUM", CHROMIUM)
        .env("SCREENSHOTS", &screenshots)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run node");
    // The script asks for the link to HQ to be cut and restored: "CONTROL hq-down" / "hq-up".
    let mut to_node = child.stdin.take().unwrap();
    let from_node = BufReader::new(child.stdout.take().unwrap());
    let proxy = link.clone();
    let reader = std::thread::spawn(move || {
        for line in from_node.lines() {
            let Ok(line) = line else { break };
            println!("{line}");
            let mode = match line.trim() {
                "CONTROL hq-down" => Some(DOWN),
                "CONTROL hq-up" => Some(PASS),
                _ => None,
            };
            if let Some(m) = mode {
                proxy.set(m);
                let _ = writeln!(to_node, "ok");
                let _ = to_node.flush();
            }
        }
    });
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().expect("node ran");
    reader.join().unwrap();
    assert!(status.success(), "the browser test failed (see its output above)");
    println!("browser part: {:?}; screenshots in {}", started.elapsed(), screenshots.display());
    for size in ["1920x1080", "1024x768", "390x844"] {
        for screen in ["signin", "sale", "pay", "receipt"] {
            let shot = screenshots.join(format!("{screen}-{size}.png"));
            assert!(std::fs::metadata(&shot).is_ok_and(|m| m.len() > 1000), "no screenshot {}", shot.display());
        }
    }
}
