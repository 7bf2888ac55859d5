//! The register's devices in a real browser: a standalone shop process, a receipt printer
//! that is off (nothing listens on its port), then `tests/browser/peripherals.mjs` drives
//! headless Chromium: the customer display (`/registers/R1/display`, a second window)
//! follows the register while it sells, then thanks the customer; the register asks for
//! the receipt, shows a QR code whose page opens without signing in (on a phone-sized
//! browser), and says the printer is offline; a card is paid through the Caisse-AP
//! simulator (its own process); a manager opens the drawer with their PIN. Screenshots at
//! 1920x1080, 1024x768, 390x844.
//!
//! Needs `node`, `/usr/bin/chromium` and `npm ci` in `tests/browser/`, and the simulator's
//! Python (`tests/caisse-ap/README.md`); fails without them.

mod support;

use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use support::*;

/// The Caisse-AP simulator (success mode, answering after a second), its own process.
struct Simulator {
    child: std::process::Child,
    port: u16,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child process killed with the test.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Simulator {
    fn start() -> Simulator {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let python = std::env::var_os("COMPTOIR_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo.join("tests/caisse-ap/.venv/bin/python"));
        assert!(python.exists(), "no Python with Twisted at {} (see tests/caisse-ap/README.md)", python.display());
        let rel = "shared/vendor/caisse-ap-ip/caisse_ap_ip_server.py";
        let script = std::env::var_os("CAISSE_AP_SIMULATOR")
            .map(PathBuf::from)
            .or_else(|| repo.canonicalize().ok()?.ancestors().map(|a| a.join(rel)).find(|p| p.is_file()))
            .unwrap_or_else(|| panic!("the Caisse-AP simulator is missing: set CAISSE_AP_SIMULATOR to {rel}"));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(python)
            .arg(script)
            .args(["-p", &port.to_string(), "-d", "1", "-l", "warn"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the simulator starts");
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Simulator { child, port };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the Caisse-AP simulator did not listen on {port}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customer_display_follows_the_register_and_the_receipt_is_offered() {
    check_tools();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("PARIS1");
    init_shop(&dir, "PARIS1", "Paris Centre");
    // A real SMTP server (aiosmtpd, in the simulator's Python) keeps what it takes in a maildir.
    let maildir = tmp.path().join("mail");
    let smtp_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let python = std::env::var_os("COMPTOIR_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/caisse-ap/.venv/bin/python"));
    let smtp = Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{smtp_port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("aiosmtpd starts (tests/caisse-ap/README.md)");
    let _smtp = KillOnDrop(smtp);
    let config = dir.join("comptoir.toml");
    let mut settings = std::fs::read_to_string(&config).unwrap_or_default();
    settings.push_str(&format!(
        "\n[mail]\nsmtp_url = \"smtp://127.0.0.1:{smtp_port}\"\nfrom = \"Boulangerie Martin <caisse@boulangerie-martin.fr>\"\n"
    ));
    std::fs::write(&config, settings).unwrap();
    let shop = start_shop(&dir);
    let terminal = Simulator::start();
    let s = &shop.base;
    let api = Api::default();
    // A port nobody listens on: the printer is switched off.
    let off = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for (path, body) in [
        ("articles", json!({"sku":"A1","name":"Baguette","price":120,"tax_rate_bp":550})),
        ("articles", json!({"sku":"B1","name":"Vin rouge","price":1250,"tax_rate_bp":2000})),
        ("registers", json!({"code":"R1","name":"Caisse 1"})),
        ("users", json!({"code":"C1","name":"Alice","role":"cashier","pin":"1234"})),
        ("users", json!({"code":"M1","name":"Marc","role":"manager","pin":"4321"})),
        (
            "terminals",
            json!({"code":"T1","kind":"caisse-ap-ip","address":format!("tcp://127.0.0.1:{}", terminal.port),"timeout_seconds":30}),
        ),
        (
            "printers",
            json!({"code":"P1","name":"Caisse 1","kind":"receipt","address":format!("tcp://127.0.0.1:{off}")}),
        ),
    ] {
        let (status, answer) = api.post(&format!("{s}/{path}"), body).await;
        assert_eq!(status, 201, "{path}: {answer}");
    }
    let r = api
        .http
        .patch(format!("{s}/registers/R1"))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"receipt_printer":"P1","terminal":"T1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = api
        .http
        .patch(format!("{s}/shop/identity"))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"legal_name":"Boulangerie Martin SARL","address":"12 rue de la Paix\n75002 Paris","siret":"12345678900012","vat_number":"FR12123456789"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../screenshots/peripherals");
    std::fs::create_dir_all(&screenshots).unwrap();
    let status = Command::new("node")
        .arg("peripherals.mjs")
        .current_dir(browser_dir())
        .env("SHOP_ORIGIN", s.trim_end_matches("/api/v1"))
        .env("ADMIN_USER", "admin")
        .env("ADMIN_PASSWORD", PASSWORD)
        .env("CHROMIUM", CHROMIUM)
        .env("SCREENSHOTS", &screenshots)
        .status()
        .expect("run node");
    assert!(status.success(), "the browser test failed (see its output above)");
    // The receipt e-mailed from the screen reached the mail server, legal mentions and all.
    let mails: Vec<String> = std::fs::read_dir(maildir.join("new"))
        .expect("the mail server kept a message")
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(mails.len(), 1, "one receipt e-mailed");
    assert!(mails[0].contains("To: alice@example.fr"), "{}", mails[0]);
    assert!(mails[0].contains("Boulangerie Martin SARL"), "{}", mails[0]);
    println!("screenshots in {}", screenshots.display());
}
