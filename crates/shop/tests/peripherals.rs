//! Receipts and the devices of a register, with real processes: a network ESC/POS printer
//! listening on a loopback port captures each job's bytes, which an independent decoder
//! (npos, from npm, run by node: tests/escpos) turns into text lines; the card terminal is
//! the Caisse-AP simulator (Python and Twisted) run as its own process, in its success,
//! refusal and timeout modes; e-mailed receipts go to a real SMTP server, aiosmtpd (Python).
//!
//! Needs: node with `npm ci` done in tests/escpos; a Python with Twisted and aiosmtpd (`COMPTOIR_PYTHON`,
//! default tests/caisse-ap/.venv/bin/python); the simulator (`CAISSE_AP_SIMULATOR`, default
//! ../shared/vendor/caisse-ap-ip/caisse_ap_ip_server.py beside the repository). A missing
//! tool fails the test, it is never skipped.

mod common;

use common::{Api, TestShop, assert_refused, serve};
use comptoir_shop::ShopConfig;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A network printer on a loopback port: every connection is one job, its bytes sent on.
struct CapturePrinter {
    port: u16,
    jobs: mpsc::UnboundedReceiver<Vec<u8>>,
}

impl CapturePrinter {
    async fn start() -> CapturePrinter {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        CapturePrinter::on(listener)
    }

    fn on(listener: tokio::net::TcpListener) -> CapturePrinter {
        let port = listener.local_addr().unwrap().port();
        let (tx, jobs) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut bytes = Vec::new();
                    if s.read_to_end(&mut bytes).await.is_ok() {
                        let _ = tx.send(bytes);
                    }
                });
            }
        });
        CapturePrinter { port, jobs }
    }

    fn address(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// The next job printed (the worker sends it in the background).
    async fn next(&mut self) -> Decoded {
        let bytes = tokio::time::timeout(Duration::from_secs(60), self.jobs.recv())
            .await
            .expect("the printer received a job")
            .expect("printer running");
        decode(&bytes).await
    }
}

/// What the independent decoder read in a job.
#[derive(Debug)]
struct Decoded {
    lines: Vec<String>,
    qr: Vec<String>,
    pulses: u64,
    cuts: u64,
    code_pages: Vec<u64>,
}

impl Decoded {
    fn text(&self) -> String {
        self.lines.join("\n")
    }
    #[track_caller]
    fn has(&self, needle: &str) {
        assert!(self.lines.iter().any(|l| l.contains(needle)), "no line with {needle:?} in:\n{}", self.text());
    }
}

async fn decode(bytes: &[u8]) -> Decoded {
    let dir = repo().join("tests/escpos");
    assert!(
        dir.join("node_modules/npos").is_dir(),
        "the ESC/POS decoder is not installed: run `npm ci` in {}",
        dir.display()
    );
    let mut child = tokio::process::Command::new("node")
        .arg(dir.join("decode.cjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (install Node.js)");
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(bytes).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "decoder failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let strings = |k: &str| v[k].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
    Decoded {
        lines: strings("lines"),
        qr: strings("qr"),
        pulses: v["pulses"].as_u64().unwrap(),
        cuts: v["cuts"].as_u64().unwrap(),
        code_pages: v["code_pages"].as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).collect(),
    }
}

async fn identify(api: &Api) {
    let (s, id) = api
        .patch(
            "/api/v1/shop/identity",
            json!({"legal_name":"Boulangerie Martin SARL","address":"12 rue de la Paix\n75002 Paris",
                   "siret":"123 456 789 00012","vat_number":"FR 12 123456789","footer":"Échange sous 30 jours avec ce ticket"}),
        )
        .await;
    assert_eq!(s, 200, "{id}");
    assert_eq!(id["siret"], "12345678900012");
    assert_eq!(id["vat_number"], "FR12123456789");
}

async fn printer_for_r1(api: &Api, address: &str) {
    let (s, p) =
        api.post("/api/v1/printers", json!({"code":"P1","name":"Caisse 1","kind":"receipt","address":address})).await;
    assert_eq!(s, 201, "{p}");
    let (s, r) = api.patch("/api/v1/registers/R1", json!({"receipt_printer":"P1"})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["receipt_printer"], "P1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_printed_on_a_network_printer_carries_every_french_mention() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    identify(api).await;
    let mut printer = CapturePrinter::start().await;
    printer_for_r1(api, &printer.address()).await;
    let (s, c) = api.post("/api/v1/customers", json!({"name":"Jeanne Dupont"})).await;
    assert_eq!(s, 201, "{c}");

    // 2 baguettes (2.40 at 5.5 %) and a wine with 0.50 off (12.00 at 20 %): 14.40,
    // paid 10.00 by card and 5.00 in cash, 0.60 given back.
    let t = api
        .sell(json!({"register":"R1","cashier":"C1","customer":c["id"],
            "lines":[{"sku":"A1","qty":2},{"sku":"B1","qty":1,"discount":50}],
            "payments":[{"method":"card","amount":1000},{"method":"cash","amount":500}]}))
        .await;
    assert_eq!((t["total"].as_i64(), t["change"].as_i64()), (Some(1440), Some(60)), "{t}");

    // The cash tender opens the drawer by itself, through the printer.
    let drawer = printer.next().await;
    assert_eq!(drawer.pulses, 1, "{drawer:?}");
    assert!(drawer.lines.iter().all(|l| l.is_empty()), "{drawer:?}");

    let (s, printed) = api.post("/api/v1/tickets/PARIS1-R1-000001/print", json!({})).await;
    assert_eq!(s, 200, "{printed}");
    assert_eq!((printed["copy"].as_u64(), printed["status"].as_str()), (Some(0), Some("queued")), "{printed}");
    assert!(printed["duplicate"].is_null());
    let r = printer.next().await;
    assert_eq!(r.code_pages, vec![19], "code page 858 for the accents and the euro");
    assert_eq!(r.cuts, 1);
    assert_eq!(r.pulses, 0, "a print on demand opens nothing");
    assert!(r.qr.is_empty(), "no link asked: no QR code");
    for mention in [
        "Paris Centre",
        "Boulangerie Martin SARL",
        "12 rue de la Paix",
        "75002 Paris",
        "SIRET 12345678900012",
        "N° TVA intracom. FR12123456789",
        "TICKET DE CAISSE",
        "Ticket n° PARIS1-R1-000001",
        "Caisse : R1 Caisse 1",
        "Caissier : C1 Alice",
        "Baguette",
        "  2 x 1,20",
        "2,40 A",
        "Vin rouge",
        "  1 x 12,50",
        "12,00 B",
        "Remise",
        "-0,50",
        "TOTAL TTC",
        "14,40 EUR",
        "Carte bancaire",
        "Espèces",
        "Rendu monnaie",
        "0,60",
        "Points gagnés",
        "Solde de points",
        "Échange sous 30 jours avec ce ticket",
        "Merci de votre visite",
    ] {
        r.has(mention);
    }
    // Date and time in the shop's time zone, then the breakdown per rate: net, VAT, gross.
    assert!(
        r.lines.iter().any(|l| l.starts_with("Le ") && l.contains(" à ") && l.matches('/').count() == 2),
        "{}",
        r.text()
    );
    // 2.40 at 5.5 %: VAT 0.13, net 2.27. 12.00 at 20 %: VAT 2.00, net 10.00.
    r.has("A       5,5 %        2,27       0,13        2,40");
    r.has("B        20 %       10,00       2,00       12,00");
    let hash = t["hash"].as_str().unwrap();
    r.has(&format!("Comptoir {} - empreinte {}", env!("CARGO_PKG_VERSION"), &hash[..8]));
    assert!(!r.text().contains("DUPLICATA"), "{}", r.text());

    // Each reprint is a numbered duplicate.
    for n in 1..=2 {
        let (s, again) = api.post("/api/v1/tickets/PARIS1-R1-000001/print", json!({})).await;
        assert_eq!(s, 200, "{again}");
        assert_eq!(again["duplicate"], format!("DUPLICATA n° {n}"));
        let dup = printer.next().await;
        dup.has(&format!("DUPLICATA n° {n}"));
        dup.has("Ticket n° PARIS1-R1-000001");
    }

    // With its web page's link as a QR code the printer draws: the link opens the receipt.
    let (s, again) = api.post("/api/v1/tickets/PARIS1-R1-000001/print?qr=true", json!({})).await;
    assert_eq!((s, again["duplicate"].as_str()), (200, Some("DUPLICATA n° 3")), "{again}");
    let with_qr = printer.next().await;
    with_qr.has("Votre ticket en ligne");
    assert_eq!(with_qr.qr.len(), 1, "{with_qr:?}");
    let page = reqwest::get(&with_qr.qr[0]).await.unwrap();
    assert_eq!(page.status(), 200, "{}", with_qr.qr[0]);
    let html = page.text().await.unwrap();
    assert!(html.contains("SIRET 12345678900012") && html.contains("PARIS1-R1-000001"), "{html}");

    // Each duplicate is an event of the technical journal, with its number and register.
    let (_, journal) = api.get("/api/v1/journal?code=reprint").await;
    let details: Vec<&str> =
        journal["items"].as_array().unwrap().iter().map(|e| e["details"].as_str().unwrap()).collect();
    assert_eq!(details.len(), 3, "{journal}");
    assert!(details.iter().any(|d| d.contains("PARIS1-R1-000001 DUPLICATA n° 3")), "{journal}");
    assert!(journal["items"].as_array().unwrap().iter().all(|e| e["register"] == "R1"), "{journal}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_prints_as_a_return_and_every_rendering_says_the_same() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    identify(api).await;
    api.sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":2}],"payments":[{"method":"cash","amount":240}]}))
        .await;
    let back = api
        .sell(json!({"register":"R1","cashier":"C1","return_of":"PARIS1-R1-000001","lines":[{"sku":"A1","qty":-1}],
                     "payments":[{"method":"cash","amount":-120}]}))
        .await;
    assert_eq!(back["kind"], "return");
    let (s, _, text) =
        api.raw(reqwest::Method::GET, "/api/v1/tickets/PARIS1-R1-000002/receipt?format=text", None, vec![]).await;
    assert_eq!(s, 200, "{text}");
    for mention in [
        "TICKET DE RETOUR",
        "Retour du ticket PARIS1-R1-000001",
        "  -1 x 1,20",
        "-1,20 A",
        "TOTAL REMBOURSÉ",
        "Remboursement espèces",
        "SIRET 12345678900012",
    ] {
        assert!(text.contains(mention), "{mention:?} missing from:\n{text}");
    }
    assert!(!text.contains("Merci de votre visite"), "{text}");
    let (s, ct, page) =
        api.raw(reqwest::Method::GET, "/api/v1/tickets/PARIS1-R1-000002/receipt?format=html", None, vec![]).await;
    assert_eq!(s, 200);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(page.contains("TICKET DE RETOUR") && page.contains("Remboursement espèces"), "{page}");
    let bytes = get_bytes(api, "/api/v1/tickets/PARIS1-R1-000002/receipt?format=escpos").await;
    let decoded = decode(&bytes).await;
    decoded.has("TICKET DE RETOUR");
    decoded.has("TOTAL REMBOURSÉ");
    let (s, e) = api.get("/api/v1/tickets/PARIS1-R1-000002/receipt?format=pdf").await;
    assert_eq!((s, e["kind"].as_str()), (400, Some("invalid_format")), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printer_down_never_fails_a_sale_and_prints_in_order_once_back() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    // A port nobody listens on yet: the printer is off.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    printer_for_r1(api, &format!("tcp://127.0.0.1:{port}")).await;
    let t = api.sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":1}],"payments":[{"method":"cash","amount":200}]})).await;
    assert_eq!(t["number"], "PARIS1-R1-000001", "the sale is committed whatever the printer");
    let (s, printed) = api.post("/api/v1/tickets/PARIS1-R1-000001/print", json!({})).await;
    assert_eq!((s, printed["status"].as_str()), (200, Some("queued")), "{printed}");

    // The cashier is told, in both languages, once the queue has tried.
    let status = wait_for(api, "/api/v1/printers/P1/status", |s| s["online"] == false).await;
    assert_eq!(status["waiting"], 2, "{status}");
    assert_eq!(status["message_fr"], "imprimante P1 hors ligne, 2 tickets en attente");
    assert_eq!(status["message_en"], "printer P1 offline, 2 receipts waiting");
    let (_, devices) = api.get("/api/v1/registers/R1/devices").await;
    assert_eq!(devices["printer_status"]["waiting"], 2, "{devices}");

    // Switched on: the drawer's pulse, then the receipt, each once.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let mut printer = CapturePrinter::on(listener);
    assert_eq!(printer.next().await.pulses, 1);
    let receipt = printer.next().await;
    receipt.has("Ticket n° PARIS1-R1-000001");
    let status = wait_for(api, "/api/v1/printers/P1/status", |s| s["waiting"] == 0).await;
    assert_eq!(status["online"], true, "{status}");
    assert_eq!(status["message_fr"], "imprimante P1 prête, rien en attente");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(printer.jobs.try_recv().is_err(), "nothing printed twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_are_counted_with_the_ticket_across_a_restart() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let mut printer = CapturePrinter::start().await;
    printer_for_r1(api, &printer.address()).await;
    api.sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"B1","qty":1}],"payments":[{"method":"card","amount":1250}]})).await;
    for _ in 0..2 {
        let (s, _) = api.post("/api/v1/tickets/PARIS1-R1-000001/print", json!({})).await;
        assert_eq!(s, 200);
        printer.next().await;
    }
    // The same data served by a new server process state: the count goes on.
    let again = serve(shop.data_dir(), ShopConfig::default()).await;
    let (s, printed) = again.post("/api/v1/tickets/PARIS1-R1-000001/print", json!({})).await;
    assert_eq!(s, 200, "{printed}");
    assert_eq!(printed["duplicate"], "DUPLICATA n° 2");
    printer.next().await.has("DUPLICATA n° 2");
    // The views show the last copy printed, never an unmarked one.
    let (_, _, text) = again.raw(reqwest::Method::GET, "/api/v1/tickets/PARIS1-R1-000001/receipt", None, vec![]).await;
    assert!(text.contains("DUPLICATA n° 2"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printers_and_registers_refuse_what_cannot_be_reached() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api.in_language("fr");
    let (s, e) = api.post("/api/v1/printers", json!({"code":"P9","name":"X","address":"lpt1"})).await;
    assert_eq!(
        (s, e["kind"].as_str(), e["field"].as_str()),
        (400, Some("invalid_printer_address"), Some("address")),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().contains("écrivez tcp://"), "{e}");
    let (s, e) = api.patch("/api/v1/registers/R1", json!({"receipt_printer":"NOPE"})).await;
    assert_eq!((s, e["kind"].as_str(), e["field"].as_str()), (422, Some("not_found"), Some("receipt_printer")), "{e}");
    for address in ["file:/dev/usb/lp0", "browser"] {
        let code = if address == "browser" { "WEB" } else { "USB" };
        let (s, p) = api.post("/api/v1/printers", json!({"code":code,"name":"Caisse","address":address})).await;
        assert_eq!(s, 201, "{p}");
    }
    api.sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":1}],"payments":[{"method":"cash","amount":120}]})).await;
    let (s, e) = api.post("/api/v1/tickets/PARIS1-R1-000001/print", json!({})).await;
    assert_eq!((s, e["kind"].as_str()), (400, Some("no_receipt_printer")), "{e}");
    // A browser printer: the register prints the 80 mm page itself; the copy still counts.
    let (s, _) = api.patch("/api/v1/registers/R1", json!({"receipt_printer":"WEB"})).await;
    assert_eq!(s, 200);
    let (s, p) = api.post("/api/v1/tickets/PARIS1-R1-000001/print", json!({})).await;
    assert_eq!((s, p["status"].as_str()), (200, Some("browser")), "{p}");
    let (s, p) = api.post("/api/v1/tickets/PARIS1-R1-000001/print", json!({})).await;
    assert_eq!((s, p["duplicate"].as_str()), (200, Some("DUPLICATA n° 1")), "{p}");
    // Identity checks.
    let (s, e) = api.patch("/api/v1/shop/identity", json!({"siret":"1234"})).await;
    assert_eq!((s, e["kind"].as_str()), (422, Some("invalid_siret")), "{e}");
    let (s, e) = shop.api.as_user("C1", "1234").patch("/api/v1/shop/identity", json!({"legal_name":"X"})).await;
    assert_eq!(s, 403, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drawer_opens_on_demand_with_a_manager_pin_only() {
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    let (s, _) = api.post("/api/v1/users", json!({"code":"M1","name":"Marie","role":"manager","pin":"4321"})).await;
    assert_eq!(s, 201);
    let mut printer = CapturePrinter::start().await;
    printer_for_r1(api, &printer.address()).await;
    let cashier = api.as_user("C1", "1234");
    let (s, e) = cashier.post("/api/v1/registers/R1/drawer", json!({"manager":"M1","pin":"0000"})).await;
    assert_eq!((s, e["kind"].as_str()), (403, Some("wrong_pin")), "{e}");
    let (s, e) = cashier.post("/api/v1/registers/R1/drawer", json!({"manager":"C1","pin":"1234"})).await;
    assert_eq!(s, 403, "a cashier's own PIN does not open it: {e}");
    let (s, st) = cashier.post("/api/v1/registers/R1/drawer", json!({"manager":"M1","pin":"4321"})).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(printer.next().await.pulses, 1);
    // The opening without a sale is journaled under the manager who approved it.
    let (_, journal) = api.get("/api/v1/journal?code=drawer_opened").await;
    let items = journal["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{journal}");
    assert_eq!((items[0]["user"].as_str(), items[0]["register"].as_str()), (Some("M1"), Some("R1")), "{journal}");
}

async fn get_bytes(api: &Api, path: &str) -> Vec<u8> {
    let (user, password) = api.auth.clone().unwrap();
    let r = api.client.get(format!("{}{path}", api.base)).basic_auth(user, Some(password)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
}

async fn wait_for(api: &Api, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..300 {
        let (s, v) = api.get(path).await;
        assert_eq!(s, 200, "{v}");
        if done(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never reached the state awaited");
}

// ---------------------------------------------------------------- the card terminal

/// The Caisse-AP simulator, as its own process, killed when dropped.
struct Simulator {
    child: tokio::process::Child,
    port: u16,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn python() -> PathBuf {
    std::env::var_os("COMPTOIR_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("tests/caisse-ap/.venv/bin/python"))
}

fn simulator_script() -> PathBuf {
    if let Some(p) = std::env::var_os("CAISSE_AP_SIMULATOR") {
        return p.into();
    }
    let rel = "shared/vendor/caisse-ap-ip/caisse_ap_ip_server.py";
    // ../shared beside the repository, wherever the clone sits.
    let repo = repo().canonicalize().unwrap();
    repo.ancestors()
        .map(|a| a.join(rel))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("the Caisse-AP simulator is missing: set CAISSE_AP_SIMULATOR to {rel}"))
}

impl Simulator {
    async fn start(args: &[&str]) -> Simulator {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let py = python();
        assert!(py.exists(), "no Python with Twisted at {} (see tests/caisse-ap/README.md)", py.display());
        let child = tokio::process::Command::new(&py)
            .arg(simulator_script())
            .args(["-p", &port.to_string(), "-l", "warn"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the simulator starts");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Simulator { child, port };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the Caisse-AP simulator did not listen on {port}");
    }
}

async fn terminal(api: &Api, port: u16, timeout: u32) {
    let (s, t) = api
        .post(
            "/api/v1/terminals",
            json!({"code":"T1","kind":"caisse-ap-ip","address":format!("tcp://127.0.0.1:{port}"),"timeout_seconds":timeout}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_card_payment_pays_the_ticket_once_with_what_the_terminal_said() {
    let sim = Simulator::start(&["-d", "0"]).await;
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    terminal(api, sim.port, 30).await;
    let (s, p) = api.post("/api/v1/terminals/T1/payments", json!({"amount":1250,"register":"R1"})).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["status"], "accepted", "{p}");
    assert_eq!(p["card_type"], "CB");
    let auth = p["authorisation"].as_str().unwrap().to_string();
    assert_eq!(auth.len(), 6, "{p}");
    assert!(p["card_number"].as_str().unwrap().contains("######"), "masked: {p}");

    let sale = json!({"register":"R1","cashier":"C1","lines":[{"sku":"B1","qty":1}],
        "payments":[{"method":"card","amount":1250}],"terminal_payments":[p["id"]]});
    let t = api.sell(sale.clone()).await;
    let (_, _, text) = api
        .raw(reqwest::Method::GET, &format!("/api/v1/tickets/{}/receipt", t["number"].as_str().unwrap()), None, vec![])
        .await;
    assert!(text.contains(&format!("aut. {auth}")) && text.contains("CB"), "{text}");
    // The same payment cannot pay a second ticket.
    let (s, e) = api.post("/api/v1/tickets", sale).await;
    assert_eq!((s, e["kind"].as_str()), (400, Some("card_payment_used")), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_card_says_why_and_pays_nothing() {
    let sim = Simulator::start(&["-d", "0", "-f", "-ft", "refused"]).await;
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    terminal(api, sim.port, 30).await;
    let (s, p) = api.post("/api/v1/terminals/T1/payments", json!({"amount":1250})).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["status"], "refused", "{p}");
    assert!(p["authorisation"].is_null());
    assert_eq!(p["reason_fr"], "refusé par la carte ou la banque (04)");
    let (s, e) = api
        .post(
            "/api/v1/tickets",
            json!({"register":"R1","cashier":"C1","lines":[{"sku":"B1","qty":1}],
            "payments":[{"method":"card","amount":1250}],"terminal_payments":[p["id"]]}),
        )
        .await;
    assert_eq!((s, e["kind"].as_str()), (400, Some("card_payment_not_accepted")), "{e}");
    assert_eq!(api.tickets().await.len(), 0, "nothing sold");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_that_does_not_answer_in_time_is_never_a_payment() {
    // The simulator takes 30 s; the register waits 2.
    let sim = Simulator::start(&["-d", "30"]).await;
    let shop = TestShop::with_catalog().await;
    let api = &shop.api;
    terminal(api, sim.port, 2).await;
    let (s, p) = api.post("/api/v1/terminals/T1/payments", json!({"amount":1250})).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["status"], "timeout", "{p}");
    assert!(p["reason_fr"].as_str().unwrap().contains("vérifiez son ticket"), "{p}");
    let (s, e) = api
        .post(
            "/api/v1/tickets",
            json!({"register":"R1","cashier":"C1","lines":[{"sku":"B1","qty":1}],
            "payments":[{"method":"card","amount":1250}],"terminal_payments":[p["id"]]}),
        )
        .await;
    assert_eq!((s, e["kind"].as_str()), (400, Some("card_payment_not_accepted")), "{e}");
    // A terminal switched off: the same, at once.
    drop(sim);
    let (s, t) = api.patch("/api/v1/terminals/T1", json!({"address":"tcp://127.0.0.1:1"})).await;
    assert_eq!(s, 200, "{t}");
    let (_, p) = api.post("/api/v1/terminals/T1/payments", json!({"amount":1250})).await;
    assert_eq!(p["status"], "timeout", "{p}");
}

/// A real SMTP server, aiosmtpd from PyPI run as its own process, keeping each message it
/// takes as a file of a maildir.
struct MailServer {
    child: tokio::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

impl MailServer {
    async fn start() -> MailServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let maildir = tempfile::tempdir().unwrap();
        let py = python();
        assert!(py.exists(), "no Python with aiosmtpd at {} (see tests/caisse-ap/README.md)", py.display());
        let child = tokio::process::Command::new(&py)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("aiosmtpd starts");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return MailServer { child, port, maildir };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not listen on {port} (is it installed? tests/caisse-ap/README.md)");
    }

    /// Every message the server took, as the raw text it keeps.
    fn messages(&self) -> Vec<String> {
        let new = self.maildir.path().join("mail/new");
        let Ok(entries) = std::fs::read_dir(new) else { return Vec::new() };
        entries.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect()
    }
}

/// A mail's text with its quoted-printable soft breaks and escapes undone (what a reader sees).
fn readable(mail: &str) -> String {
    let joined = mail.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_is_emailed_to_the_customer_through_the_shops_mail_server() {
    let mail = MailServer::start().await;
    let shop = TestShop::with_catalog().await;
    identify(&shop.api).await;
    // Without a mail server, the register is told how to set one, and offers no e-mail.
    shop.api.sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"B1","qty":2}],"payments":[{"method":"cash","amount":5000}]})).await;
    let (_, devices) = shop.api.get("/api/v1/registers/R1/devices").await;
    assert_eq!(devices["email"], false);
    let refused = shop.api.post("/api/v1/tickets/PARIS1-R1-000001/email", json!({"to":"alice@example.fr"})).await;
    assert_refused(&refused, 400, "mail_not_configured", Some("to"));
    assert!(refused.1["message"].as_str().unwrap().contains("mail.smtp_url"), "{}", refused.1);

    let mut config = ShopConfig::default();
    config.mail.smtp_url = Some(format!("smtp://127.0.0.1:{}", mail.port));
    config.mail.from = Some("Boulangerie Martin <caisse@boulangerie-martin.fr>".into());
    let api = serve(shop.data_dir(), config).await;
    let (_, devices) = api.get("/api/v1/registers/R1/devices").await;
    assert_eq!(devices["email"], true);

    // A mistyped address is refused before anything is sent.
    let refused = api.post("/api/v1/tickets/PARIS1-R1-000001/email", json!({"to":"alice@example"})).await;
    assert_refused(&refused, 422, "invalid_email", Some("to"));
    assert!(mail.messages().is_empty());

    let (s, sent) = api.post("/api/v1/tickets/PARIS1-R1-000001/email", json!({"to":" alice@example.fr "})).await;
    assert_eq!(s, 200, "{sent}");
    assert_eq!(sent["sent_to"], "alice@example.fr");
    let messages = mail.messages();
    assert_eq!(messages.len(), 1, "one message at the mail server");
    let m = readable(&messages[0]);
    assert!(m.contains("To: alice@example.fr"), "{m}");
    assert!(m.contains("caisse@boulangerie-martin.fr"), "{m}");
    // The receipt as printed, with its legal mentions, and the link to its page.
    for mention in ["Boulangerie Martin SARL", "SIRET 12345678900012", "PARIS1-R1-000001", "TOTAL", "Comptoir "] {
        assert!(m.contains(mention), "no {mention:?} in:\n{m}");
    }
    let url = sent["url"].as_str().unwrap();
    assert!(m.contains(url), "the mail links to {url}:\n{m}");
    // The link opens the receipt for anyone who has it, with no sign-in.
    let path = url.split_once("/r/").map(|(_, t)| format!("/r/{t}")).unwrap();
    let (status, _, page) = api.anonymous().raw(reqwest::Method::GET, &path, None, vec![]).await;
    assert_eq!(status, 200);
    assert!(page.contains("PARIS1-R1-000001"));
    // An e-mail is not a print: the first print is still the original.
    let (_, _, text) = api.raw(reqwest::Method::GET, "/api/v1/tickets/PARIS1-R1-000001/receipt", None, vec![]).await;
    assert!(!text.contains("DUPLICATA"), "{text}");

    // The mail server gone: the cashier is told, and the sale stays as it was.
    drop(mail);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = api.post("/api/v1/tickets/PARIS1-R1-000001/email", json!({"to":"alice@example.fr"})).await;
    assert_refused(&refused, 502, "mail_not_sent", None);
    assert!(refused.1["message"].as_str().unwrap().contains("127.0.0.1"), "{}", refused.1);
    assert_eq!(api.tickets().await.len(), 1);
}
