//! End-to-end tests of the `comptoir` binary: real shop processes, real HTTP on loopback,
//! the real SQLite file.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_comptoir");
const PASSWORD: &str = "secret-password";

fn comptoir(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("COMPTOIR_DATA_DIR")
        .env("LANG", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run comptoir");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait for comptoir")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn init_shop(dir: &Path, code: &str) {
    let out = comptoir(
        &[
            "shop",
            "init",
            "--data-dir",
            dir.to_str().unwrap(),
            "--code",
            code,
            "--name",
            "Paris Centre",
            "--admin-user",
            "admin",
            "--admin-password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(out.status.success(), "init failed: {}", text(&out.stderr));
}

/// A running `comptoir shop serve`, killed on drop.
struct ShopProcess {
    child: Child,
    base: String,
}

impl ShopProcess {
    fn start(dir: &Path) -> ShopProcess {
        let mut child = Command::new(BIN)
            .args(["shop", "serve", "--data-dir", dir.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .env("COMPTOIR_SHOP_LOG__STDOUT", "false")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start shop");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line.split("listening on ").nth(1).expect("address line").trim().to_string();
        ShopProcess { child, base }
    }
}

impl Drop for ShopProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn post(base: &str, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let r =
        client().post(format!("{base}{path}")).basic_auth("admin", Some(PASSWORD)).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn setup_catalog(base: &str) {
    for (path, body) in [
        (
            "/articles",
            serde_json::json!({"sku":"A1","name":"Baguette","price":120,"tax_rate_bp":550,"barcodes":["3017620422003"]}),
        ),
        ("/articles", serde_json::json!({"sku":"B2","name":"Vin rouge","price":1290,"tax_rate_bp":2000})),
        ("/registers", serde_json::json!({"code":"R1","name":"Caisse 1"})),
        ("/registers", serde_json::json!({"code":"R2","name":"Caisse 2"})),
        ("/users", serde_json::json!({"code":"C1","name":"Alice","role":"cashier","pin":"1234"})),
        ("/users", serde_json::json!({"code":"C2","name":"Bob","role":"cashier","pin":"5678"})),
    ] {
        let (status, body) = post(base, path, body).await;
        assert_eq!(status, 201, "{path}: {body}");
    }
}

fn sale(register: &str, cashier: &str, i: usize) -> serde_json::Value {
    serde_json::json!({
        "register": register, "cashier": cashier,
        "lines": [{"sku": "A1", "qty": 1 + i % 3}, {"barcode": "3017620422003", "qty": 0.5}],
        "payments": [{"method": "cash", "amount": 1000}],
    })
}

fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    (tmp, dir)
}

#[test]
fn version_is_printed() {
    let out = comptoir(&["--version"], None);
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("comptoir "), "{}", text(&out.stdout));
}

#[test]
fn a_single_shop_says_it_syncs_nothing_and_what_it_keeps_for_a_chain() {
    let (_tmp, dir) = data_dir();
    init_shop(&dir, "PARIS1");
    let out = comptoir(&["shop", "status", "--data-dir", dir.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("HQ:            none (single shop): nothing is synced"), "{shown}");
    assert!(shown.contains("sent to HQ if this shop joins a chain"), "{shown}");
    assert!(!shown.contains("Automatic sync: on"), "{shown}");
    let out = comptoir(&["shop", "status", "--data-dir", dir.to_str().unwrap(), "--json"], None);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((status["enrolled"].as_bool(), status["auto_sync"].as_bool()), (Some(false), Some(false)), "{status}");
}

#[test]
fn init_refuses_an_existing_shop_and_a_missing_password() {
    let (_tmp, dir) = data_dir();
    init_shop(&dir, "PARIS1");
    let again = comptoir(
        &["shop", "init", "--data-dir", dir.to_str().unwrap(), "--code", "X", "--name", "X", "--admin-password-stdin"],
        Some("another-password\n"),
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("already_initialised"), "{}", text(&again.stderr));

    let (_tmp2, dir2) = data_dir();
    let short = comptoir(
        &["shop", "init", "--data-dir", dir2.to_str().unwrap(), "--code", "P", "--name", "P", "--admin-password-stdin"],
        Some("short\n"),
    );
    assert_eq!(short.status.code(), Some(2));
    assert!(text(&short.stderr).contains("weak_password"), "{}", text(&short.stderr));
    assert!(!dir2.join("shop.sqlite").exists(), "a refused init leaves no database behind");

    let missing = comptoir(&["shop", "verify", "--data-dir", dir2.to_str().unwrap()], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("shop init"), "{}", text(&missing.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_registers_post_500_tickets_each_at_once_without_gap_or_collision() {
    let (_tmp, dir) = data_dir();
    init_shop(&dir, "PARIS1");
    let shop = ShopProcess::start(&dir);
    setup_catalog(&shop.base).await;

    let mut tasks = Vec::new();
    for (register, cashier) in [("R1", "C1"), ("R2", "C2")] {
        let base = shop.base.clone();
        tasks.push(tokio::spawn(async move {
            let c = client();
            for i in 0..500 {
                let r = c
                    .post(format!("{base}/tickets"))
                    .basic_auth("admin", Some(PASSWORD))
                    .json(&sale(register, cashier, i))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 201);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }

    let mut numbers = std::collections::HashSet::new();
    for register in ["R1", "R2"] {
        let mut sequences = Vec::new();
        let mut after: Option<i64> = None;
        loop {
            let mut url = format!("{}/tickets?register={register}&limit=200", shop.base);
            if let Some(a) = after {
                url.push_str(&format!("&after={a}"));
            }
            let page: serde_json::Value =
                client().get(url).basic_auth("admin", Some(PASSWORD)).send().await.unwrap().json().await.unwrap();
            for t in page["items"].as_array().unwrap() {
                sequences.push(t["sequence"].as_i64().unwrap());
                let number = t["number"].as_str().unwrap().to_string();
                assert_eq!(number, format!("PARIS1-{register}-{:06}", t["sequence"].as_i64().unwrap()));
                assert!(numbers.insert(number), "ticket numbers never collide");
            }
            match page["next"].as_i64() {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(sequences, (1..=500).collect::<Vec<i64>>(), "register {register}: gap-free, oldest first");
    }
    assert_eq!(numbers.len(), 1000);
    drop(shop);

    let out = comptoir(&["shop", "verify", "--data-dir", dir.to_str().unwrap()], None);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("register R1 tickets: 500 record(s) chained"), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("register R2 tickets: 500 record(s) chained"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_the_ticket_changed_behind_the_programs_back() {
    let (_tmp, dir) = data_dir();
    init_shop(&dir, "PARIS1");
    let shop = ShopProcess::start(&dir);
    setup_catalog(&shop.base).await;
    for i in 0..3 {
        let (status, body) = post(&shop.base, "/tickets", sale("R1", "C1", i)).await;
        assert_eq!(status, 201, "{body}");
    }
    drop(shop);
    let ok = comptoir(&["shop", "verify", "--data-dir", dir.to_str().unwrap()], None);
    assert!(ok.status.success());

    let db = rusqlite::Connection::open(dir.join("shop.sqlite")).unwrap();
    // The triggers refuse the change...
    let refused = db.execute(
        "UPDATE ticket_lines SET total = total - 100 WHERE ticket_id = (SELECT id FROM tickets WHERE number = 'PARIS1-R1-000002') AND idx = 0",
        [],
    );
    assert!(refused.unwrap_err().to_string().contains("immutable"));
    // ...so a fraudster drops them first; the chain still tells.
    db.execute_batch("DROP TRIGGER ticket_lines_no_update").unwrap();
    let changed = db
        .execute(
            "UPDATE ticket_lines SET total = total - 100 WHERE ticket_id = (SELECT id FROM tickets WHERE number = 'PARIS1-R1-000002') AND idx = 0",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(db);

    let out = comptoir(&["shop", "verify", "--data-dir", dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("BROKEN  register R1 tickets: ticket PARIS1-R1-000002 (sequence 2) was altered"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_a_deleted_ticket_as_a_gap() {
    let (_tmp, dir) = data_dir();
    init_shop(&dir, "PARIS1");
    let shop = ShopProcess::start(&dir);
    setup_catalog(&shop.base).await;
    for i in 0..3 {
        assert_eq!(post(&shop.base, "/tickets", sale("R2", "C2", i)).await.0, 201);
    }
    drop(shop);
    let db = rusqlite::Connection::open(dir.join("shop.sqlite")).unwrap();
    db.execute_batch(
        "PRAGMA foreign_keys = OFF;
         DROP TRIGGER tickets_no_delete;
         DELETE FROM tickets WHERE number = 'PARIS1-R2-000002';",
    )
    .unwrap();
    drop(db);
    let out = comptoir(&["shop", "verify", "--data-dir", dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("ticket sequence 2 is missing"), "{}", text(&out.stdout));
}

#[test]
fn catalog_from_the_command_line() {
    let (tmp, dir) = data_dir();
    init_shop(&dir, "LYON1");
    let d = dir.to_str().unwrap();

    let good = tmp.path().join("good.csv");
    std::fs::write(
        &good,
        "sku;name;price;tax_rate;category;barcodes;web\nP1;Pain de campagne;2,10;5,5;BOUL;3017620422003;oui\nV1;Vin;12.90;20;;;non\n",
    )
    .unwrap();
    let out = comptoir(&["shop", "catalog", "import", good.to_str().unwrap(), "--data-dir", d], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("2 article(s) created, 0 updated"), "{}", text(&out.stdout));

    let bad = tmp.path().join("bad.csv");
    std::fs::write(
        &bad,
        "sku,name,price,tax_rate\nN1,Nouveau,1.00,5.5\nN2,Prix faux,abc,5.5\nN3,Taux inconnu,1.00,7\nN4,Prix négatif,-1,20\n",
    )
    .unwrap();
    let out = comptoir(&["shop", "catalog", "import", bad.to_str().unwrap(), "--data-dir", d], None);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("csv_rejected"), "{err}");
    assert!(err.contains("line 3 [price]"), "{err}");
    assert!(err.contains("line 4 [tax_rate]"), "{err}");
    assert!(err.contains("line 5 [price]"), "{err}");
    assert!(!err.contains("line 2"), "{err}");

    let out = comptoir(&["shop", "catalog", "export", "--data-dir", d], None);
    let csv = text(&out.stdout);
    assert!(csv.starts_with("sku,name,price,tax_rate,category,barcodes,web,active\n"), "{csv}");
    assert!(csv.contains("P1,Pain de campagne,2.10,5.5,BOUL,3017620422003,1,1\n"), "{csv}");
    assert!(!csv.contains("N1"), "a refused file imports nothing: {csv}");

    let out = comptoir(
        &[
            "shop",
            "article",
            "add",
            "--data-dir",
            d,
            "--sku",
            "F1",
            "--name",
            "Comté",
            "--price",
            "4.5",
            "--tax-rate",
            "5.5",
            "--barcode",
            "96385074",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = comptoir(&["shop", "article", "set", "F1", "--data-dir", d, "--price", "4.80"], None);
    let article: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(article["price"], 480);
    let out = comptoir(&["shop", "article", "deactivate", "F1", "--data-dir", d], None);
    let article: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(article["active"], false);
    let out = comptoir(
        &[
            "shop",
            "article",
            "add",
            "--data-dir",
            d,
            "--sku",
            "F2",
            "--name",
            "X",
            "--price",
            "1",
            "--tax-rate",
            "5.5",
            "--barcode",
            "96385075",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("check digit"), "{}", text(&out.stderr));

    for args in [
        vec!["shop", "register", "add", "--code", "R1", "--name", "Caisse 1"],
        vec!["shop", "user", "add", "--code", "C1", "--name", "Alice", "--role", "cashier", "--pin", "1234"],
        vec!["shop", "category", "add", "--code", "FROM", "--name", "Fromagerie"],
        vec!["shop", "tax-rate", "add", "--rate", "8.5", "--name", "TVA Corse"],
        vec!["shop", "register", "deactivate", "R1"],
    ] {
        let mut args = args.clone();
        args.extend(["--data-dir", d]);
        let out = comptoir(&args, None);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    }
    let out = comptoir(&["shop", "user", "deactivate", "admin", "--data-dir", d], None);
    assert_eq!(out.status.code(), Some(2), "the last admin cannot be deactivated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_come_from_file_then_environment_then_flags() {
    let (_tmp, dir) = data_dir();
    init_shop(&dir, "NICE1");
    std::fs::write(dir.join("comptoir.toml"), "max_body_bytes = 2048\n[log]\nretention_days = 3\n").unwrap();
    let shop = ShopProcess::start(&dir);
    let big = serde_json::json!({"sku": "X", "name": "x".repeat(4000), "price": 1, "tax_rate_bp": 550});
    let r = client()
        .post(format!("{}/articles", shop.base))
        .basic_auth("admin", Some(PASSWORD))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["kind"], "payload_too_large");
    assert!(body["message"].as_str().unwrap().contains("2048"), "{body}");
    drop(shop);
    let today = std::fs::read_dir(dir.join("logs")).unwrap().count();
    assert_eq!(today, 1, "one daily log file");

    std::fs::write(dir.join("comptoir.toml"), "listen = \"127.0.0.1:0\"\nlisten_typo = 1\n").unwrap();
    let out = comptoir(&["shop", "serve", "--data-dir", dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("listen_typo"), "{}", text(&out.stderr));
}

/// Durability: a ticket the API acknowledged (201) is on disk, whenever the process dies.
/// Two registers post without pause while the shop is killed with SIGKILL at a random
/// moment, five times; after each restart every acknowledged ticket is there, the
/// numbering has no gap and every chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_ticket_survives_sigkill_at_any_point() {
    use rand::Rng;
    let (_tmp, dir) = data_dir();
    init_shop(&dir, "PARIS1");
    let mut shop = ShopProcess::start(&dir);
    setup_catalog(&shop.base).await;
    let mut acknowledged: Vec<String> = Vec::new();
    for round in 0..5 {
        let base = shop.base.clone();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut posters = Vec::new();
        for (register, cashier) in [("R1", "C1"), ("R2", "C2")] {
            let (base, stop) = (base.clone(), stop.clone());
            posters.push(tokio::spawn(async move {
                let c = client();
                let mut ok = Vec::new();
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let sent = c
                        .post(format!("{base}/tickets"))
                        .basic_auth("admin", Some(PASSWORD))
                        .json(&sale(register, cashier, i))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().as_u16() == 201 => {
                            let t: serde_json::Value = r.json().await.unwrap_or_default();
                            if let Some(id) = t["id"].as_str() {
                                ok.push(id.to_string());
                            }
                        }
                        // Killed mid-request: the answer never came, the ticket may or may not exist.
                        _ => break,
                    }
                    i += 1;
                }
                ok
            }));
        }
        let wait = rand::rng().random_range(100..600);
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        let _ = shop.child.kill(); // SIGKILL
        let _ = shop.child.wait();
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut this_round = Vec::new();
        for p in posters {
            this_round.extend(p.await.unwrap());
        }
        shop = ShopProcess::start(&dir);
        // Every ticket on disk, read back page by page.
        let mut on_disk = std::collections::HashSet::new();
        let mut after: Option<i64> = None;
        loop {
            let mut url = format!("{}/tickets?limit=1000", shop.base);
            if let Some(a) = after {
                url.push_str(&format!("&after={a}"));
            }
            let page: serde_json::Value =
                client().get(url).basic_auth("admin", Some(PASSWORD)).send().await.unwrap().json().await.unwrap();
            on_disk.extend(page["items"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()));
            match page["next"].as_i64() {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        for id in acknowledged.iter().chain(&this_round) {
            assert!(on_disk.contains(id), "round {round}: acknowledged ticket {id} lost");
        }
        acknowledged.extend(this_round);
    }
    assert!(acknowledged.len() > 10, "the registers sold between kills: {}", acknowledged.len());
    drop(shop);
    let out = comptoir(&["shop", "verify", "--data-dir", dir.to_str().unwrap()], None);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
}

// ---------------------------------------------------------------- fiscal archives (docs/fiscal.md)

async fn get(base: &str, path: &str) -> serde_json::Value {
    let r = client().get(format!("{base}{path}")).basic_auth("admin", Some(PASSWORD)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

/// A shop with three tickets on R1 and a closed day; returns its month, its public key and
/// the archive `comptoir shop archive` wrote (the path is the last line it printed).
async fn archived_month(dir: &Path) -> (String, String, PathBuf) {
    init_shop(dir, "PARIS1");
    let shop = ShopProcess::start(dir);
    setup_catalog(&shop.base).await;
    let mut month = String::new();
    for i in 0..3 {
        let (status, t) = post(&shop.base, "/tickets", sale("R1", "C1", i)).await;
        assert_eq!(status, 201, "{t}");
        month = t["business_date"].as_str().unwrap()[..7].to_string();
    }
    let (status, day) = post(&shop.base, "/closures", serde_json::json!({"register":"R1","kind":"day"})).await;
    assert_eq!(status, 201, "{day}");
    let key = get(&shop.base, "/shop").await["public_key"].as_str().unwrap().to_string();
    drop(shop);

    let out = comptoir(&["shop", "archive", "--data-dir", dir.to_str().unwrap(), "--period", &month], None);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains("3 ticket(s), 1 closure(s)"), "{printed}");
    let path = PathBuf::from(printed.lines().last().unwrap());
    assert_eq!(path, dir.join("archives").join(format!("PARIS1-{month}.jsonl")));
    (month, key, path)
}

fn verify_archive(path: &Path, key: Option<&str>) -> (Option<i32>, String) {
    let mut args = vec!["verify-archive", path.to_str().unwrap()];
    if let Some(k) = key {
        args.extend(["--public-key", k]);
    }
    let out = comptoir(&args, None);
    (out.status.code(), text(&out.stdout))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_months_archive_verifies_offline_and_any_change_is_named() {
    let (tmp, dir) = data_dir();
    let (month, key, path) = archived_month(&dir).await;

    // Offline: the database is gone, the archive alone is checked.
    std::fs::remove_file(dir.join("shop.sqlite")).unwrap();
    let (code, shown) = verify_archive(&path, Some(&key));
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("intact"), "{shown}");
    assert!(shown.contains(&format!("Period {month} (month)")), "{shown}");
    assert!(shown.contains("3 ticket(s), 1 closure(s)"), "{shown}");
    assert!(shown.contains("chain tickets of R1: 3 record(s), sequences 1 to 3"), "{shown}");
    let stranger = "11".repeat(32);
    let (code, shown) = verify_archive(&path, Some(&stranger));
    assert_eq!(code, Some(1), "another shop's key: {shown}");
    assert!(shown.contains("does not list the expected public key"), "{shown}");

    let original = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    let ticket_line = |n: usize| lines.iter().position(|l| l.contains(&format!("PARIS1-R1-00000{n}\""))).unwrap();
    let tampered = tmp.path().join("tampered.jsonl");
    let write = |lines: &[String]| {
        std::fs::write(&tampered, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    };

    // One byte flipped in a ticket's record: the cashier C1 becomes C2.
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let first = ticket_line(1);
    edited[first] = edited[first].replacen("\"cashier\":\"C1\"", "\"cashier\":\"C2\"", 1);
    write(&edited);
    let (code, shown) = verify_archive(&tampered, None);
    assert_eq!(code, Some(1), "{shown}");
    assert!(
        shown.contains(&format!(
            "line {}: ticket PARIS1-R1-000001: its record does not match its canonical encoding",
            first + 1
        )),
        "{shown}"
    );

    // One byte flipped in the signed text itself: its hash tells.
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    edited[first] =
        edited[first].replacen("cashier=C1", "cashier=C2", 1).replacen("\"cashier\":\"C1\"", "\"cashier\":\"C2\"", 1);
    write(&edited);
    let (code, shown) = verify_archive(&tampered, None);
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("ticket PARIS1-R1-000001 was altered: its content no longer matches its hash"), "{shown}");

    // A ticket removed from the middle: the chain tells.
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    edited.remove(ticket_line(2));
    write(&edited);
    let (code, shown) = verify_archive(&tampered, None);
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("ticket sequence 2 is missing (next found: 3, PARIS1-R1-000003)"), "{shown}");

    // The last ticket removed and the manifest recomputed to match, without the shop's key:
    // every count, head and digest agrees, the signature does not.
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let removed: serde_json::Value = serde_json::from_str(&edited.remove(ticket_line(3))).unwrap();
    let second: serde_json::Value = serde_json::from_str(lines[ticket_line(2)]).unwrap();
    let manifest_at = edited.len() - 2;
    let mut manifest: serde_json::Value = serde_json::from_str(&edited[manifest_at]).unwrap();
    manifest["counts"]["tickets"] = 2.into();
    let total = removed["record"]["total"].as_i64().unwrap();
    for t in ["tickets_total", "tickets_absolute_total"] {
        manifest["totals"][t] = (manifest["totals"][t].as_i64().unwrap() - total).into();
    }
    let chain = manifest["chains"].as_array_mut().unwrap().iter_mut().find(|c| c["chain"] == "tickets").unwrap();
    chain["records"] = 2.into();
    chain["last_sequence"] = 2.into();
    chain["last_hash"] = second["hash"].clone();
    let records: String = edited[..manifest_at].iter().map(|l| format!("{l}\n")).collect();
    manifest["records_sha256"] = comptoir_core::chain::sha256_hex(records.as_bytes()).into();
    edited[manifest_at] = manifest.to_string();
    write(&edited);
    let (code, shown) = verify_archive(&tampered, None);
    assert_eq!(code, Some(1), "{shown}");
    assert!(
        shown.contains("the archive's signature does not match its content: the manifest or a line was changed or recomputed without the shop's key"),
        "{shown}"
    );

    // Untouched, it is still intact.
    assert_eq!(verify_archive(&path, None).0, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archive_and_the_failed_sign_ins_are_in_the_journal() {
    let (_tmp, dir) = data_dir();
    init_shop(&dir, "PARIS1");
    let shop = ShopProcess::start(&dir);
    let r = client().get(format!("{}/shop", shop.base)).basic_auth("admin", Some("wrong")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let journal = get(&shop.base, "/journal").await;
    let codes: Vec<&str> = journal["items"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"sign_in_failed"), "{codes:?}");
    drop(shop);
    let day = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Europe/Paris").unwrap()).date().to_string();
    let out = comptoir(&["shop", "archive", "--data-dir", dir.to_str().unwrap(), "--period", &day], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = comptoir(&["shop", "journal", "--data-dir", dir.to_str().unwrap(), "--code", "archive"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("archive          -          -      {day} ")), "{}", text(&out.stdout));
    let bad = comptoir(&["shop", "archive", "--data-dir", dir.to_str().unwrap(), "--period", "2026-13"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("invalid_period"), "{}", text(&bad.stderr));
}
