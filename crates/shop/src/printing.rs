//! Printers, what each register prints on, the print queue and the cash drawer.
//!
//! Rules:
//! - a printer is reached at `tcp://host:port` (a network ESC/POS printer, raw port 9100),
//!   `file:/dev/usb/lp0` (a device file) or `browser` (the register's print dialog, an
//!   80 mm HTML page); printers are defined here or received from HQ (`people::apply`,
//!   seed 002's opt-in);
//! - printing never blocks or fails a sale: a print is a job in `print_jobs`, committed
//!   with its bytes, and sent by the background worker ([`run_worker`]); a job that fails
//!   stays first in its printer's queue and is retried, so receipts come out in order;
//! - every print of a receipt is a row of `ticket_prints`: the first the original, then
//!   "DUPLICATA n° N", N counted from those rows (append-only: never reset, restarts
//!   included); each reprint is an event of the technical journal ([`journal_reprint`]);
//! - the drawer opens by the pulse of the register's receipt printer: on a sale paid
//!   (partly) in cash, and on demand with a manager's PIN (journaled).

use crate::error::ShopError;
use crate::journal;
use crate::receipt::{self, Copy};
use crate::store::now_text;
use comptoir_core::ticket::{PaymentMethod, Ticket};
use comptoir_protocol::stock::Printer;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

/// Where a printer is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// `host:port`.
    Tcp(String),
    File(std::path::PathBuf),
    Browser,
}

fn bad_address(address: &str) -> ShopError {
    ShopError::invalid(
        "invalid_printer_address",
        format!(
            "address {address:?}: write tcp://host:port (a network printer, port 9100), file:/dev/usb/lp0 or browser."
        ),
        format!(
            "address {address:?} : écrivez tcp://hôte:port (imprimante réseau, port 9100), file:/dev/usb/lp0 ou browser."
        ),
        Some("address"),
    )
}

impl Address {
    pub fn parse(text: &str) -> Result<Address, ShopError> {
        let t = text.trim();
        if t == "browser" {
            return Ok(Address::Browser);
        }
        if let Some(rest) = t.strip_prefix("tcp://") {
            let (host, port) = rest.rsplit_once(':').ok_or_else(|| bad_address(t))?;
            let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0);
            let host_ok = !host.is_empty()
                && host.len() <= 253
                && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-[]:".contains(&b));
            return if port_ok && host_ok { Ok(Address::Tcp(rest.to_string())) } else { Err(bad_address(t)) };
        }
        if let Some(path) = t.strip_prefix("file:") {
            return if path.starts_with('/') && !path.contains('\0') && path.len() < 256 {
                Ok(Address::File(path.into()))
            } else {
                Err(bad_address(t))
            };
        }
        Err(bad_address(t))
    }
}

/// `POST /api/v1/printers`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrinter {
    pub code: String,
    pub name: String,
    /// `receipt`, `label` or `kitchen`.
    #[serde(default = "receipt_kind")]
    pub kind: String,
    /// `tcp://192.168.1.50:9100`, `file:/dev/usb/lp0` or `browser`.
    pub address: String,
}

fn receipt_kind() -> String {
    "receipt".into()
}

/// `PATCH /api/v1/printers/{code}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrinterChange {
    pub name: Option<String>,
    pub address: Option<String>,
    pub active: Option<bool>,
}

fn check_kind(kind: &str) -> Result<(), ShopError> {
    if ["receipt", "label", "kitchen"].contains(&kind) {
        Ok(())
    } else {
        Err(ShopError::invalid(
            "invalid_printer_kind",
            "kind: receipt, label or kitchen.",
            "kind : receipt (tickets), label (étiquettes) ou kitchen (cuisine).",
            Some("kind"),
        ))
    }
}

pub fn get_printer(conn: &Connection, code: &str) -> Result<Option<Printer>, ShopError> {
    let body: Option<String> =
        conn.query_row("SELECT body FROM printers WHERE code = ?", [code], |r| r.get(0)).optional()?;
    Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
}

/// The key that marks, in a stored printer's body, a printer HQ sent (`people::apply`).
pub const SENT_BY_HQ: &str = "sent_by_hq";

/// Whether HQ sent this printer (then, with "accept HQ printer updates" on, HQ's next
/// change to it replaces a local one). Printers received before the mark existed read
/// as local until HQ sends them again.
pub fn sent_by_hq(conn: &Connection, code: &str) -> Result<bool, ShopError> {
    let body: Option<String> =
        conn.query_row("SELECT body FROM printers WHERE code = ?", [code], |r| r.get(0)).optional()?;
    Ok(body
        .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v.get(SENT_BY_HQ) == Some(&serde_json::Value::Bool(true))))
}

fn put_printer(conn: &Connection, p: &Printer) -> Result<(), ShopError> {
    let mut value = serde_json::to_value(p).map_err(|e| ShopError::Storage(e.to_string()))?;
    // A local change to HQ's printer keeps it HQ's: its next update still comes from HQ.
    if sent_by_hq(conn, &p.code)?
        && let Some(o) = value.as_object_mut()
    {
        o.insert(SENT_BY_HQ.into(), true.into());
    }
    let body = value.to_string();
    conn.execute(
        "INSERT INTO printers (code, body) VALUES (?1, ?2) ON CONFLICT(code) DO UPDATE SET body = ?2",
        params![p.code, body],
    )?;
    Ok(())
}

pub fn create_printer(conn: &Connection, shop: &str, input: NewPrinter) -> Result<Printer, ShopError> {
    let code = comptoir_core::catalog::validate_code("code", &input.code)?;
    let name = comptoir_core::catalog::validate_name("name", &input.name)?;
    check_kind(&input.kind)?;
    Address::parse(&input.address)?;
    if get_printer(conn, &code)?.is_some() {
        return Err(ShopError::AlreadyExists { what: "printer", key: code, field: Some("code".into()) });
    }
    let p =
        Printer { shop: shop.into(), code, name, kind: input.kind, address: input.address.trim().into(), active: true };
    put_printer(conn, &p)?;
    crate::shop::journal(
        conn,
        crate::journal::codes::CONFIG_CHANGED,
        None,
        &format!("printer {} at {}", p.code, p.address),
    )?;
    Ok(p)
}

pub fn update_printer(conn: &Connection, code: &str, change: PrinterChange) -> Result<Printer, ShopError> {
    let mut p = get_printer(conn, code)?.ok_or_else(|| not_found_printer(code))?;
    if let Some(n) = change.name {
        p.name = comptoir_core::catalog::validate_name("name", &n)?;
    }
    if let Some(a) = change.address {
        Address::parse(&a)?;
        p.address = a.trim().into();
    }
    if let Some(a) = change.active {
        p.active = a;
    }
    put_printer(conn, &p)?;
    Ok(p)
}

fn not_found_printer(code: &str) -> ShopError {
    ShopError::NotFound { what: "printer", key: code.into(), field: Some("receipt_printer".into()) }
}

// ---------------------------------------------------------------- registers' devices

/// How a register offers the receipt (since August 2023, printed only when asked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptMode {
    /// Ask the customer after each sale.
    Ask,
    /// Always print.
    Print,
    /// Show a QR code of the receipt's web page.
    Qr,
    /// Offer to send it by e-mail.
    Email,
    /// Never offer.
    None,
}

impl ReceiptMode {
    pub const ALL: [ReceiptMode; 5] =
        [ReceiptMode::Ask, ReceiptMode::Print, ReceiptMode::Qr, ReceiptMode::Email, ReceiptMode::None];

    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptMode::Ask => "ask",
            ReceiptMode::Print => "print",
            ReceiptMode::Qr => "qr",
            ReceiptMode::Email => "email",
            ReceiptMode::None => "none",
        }
    }
    fn parse(s: &str) -> ReceiptMode {
        match s {
            "print" => ReceiptMode::Print,
            "qr" => ReceiptMode::Qr,
            "email" => ReceiptMode::Email,
            "none" => ReceiptMode::None,
            _ => ReceiptMode::Ask,
        }
    }
}

/// A register's devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Devices {
    pub receipt_printer: Option<String>,
    pub terminal: Option<String>,
    pub receipt_mode: ReceiptMode,
}

pub fn devices(conn: &Connection, register: &str) -> Result<Devices, ShopError> {
    let row: Option<(Option<String>, Option<String>, String)> = conn
        .prepare_cached("SELECT receipt_printer, terminal, receipt_mode FROM register_devices WHERE register = ?")?
        .query_row([register], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(match row {
        Some((p, t, m)) => Devices { receipt_printer: p, terminal: t, receipt_mode: ReceiptMode::parse(&m) },
        None => Devices { receipt_printer: None, terminal: None, receipt_mode: ReceiptMode::Ask },
    })
}

/// Sets a register's devices; an empty code takes the device off.
pub fn set_devices(
    conn: &Connection,
    register: &str,
    printer: Option<String>,
    terminal: Option<String>,
    mode: Option<ReceiptMode>,
) -> Result<Devices, ShopError> {
    let mut d = devices(conn, register)?;
    if let Some(p) = printer {
        let p = p.trim().to_string();
        if p.is_empty() {
            d.receipt_printer = None;
        } else {
            get_printer(conn, &p)?.ok_or_else(|| not_found_printer(&p))?;
            d.receipt_printer = Some(p);
        }
    }
    if let Some(t) = terminal {
        let t = t.trim().to_string();
        if t.is_empty() {
            d.terminal = None;
        } else {
            crate::terminal::get_terminal(conn, &t)?.ok_or_else(|| ShopError::NotFound {
                what: "terminal",
                key: t.clone(),
                field: Some("terminal".into()),
            })?;
            d.terminal = Some(t);
        }
    }
    if let Some(m) = mode {
        d.receipt_mode = m;
    }
    conn.execute(
        "INSERT INTO register_devices (register, receipt_printer, terminal, receipt_mode) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(register) DO UPDATE SET receipt_printer = ?2, terminal = ?3, receipt_mode = ?4",
        params![register, d.receipt_printer, d.terminal, d.receipt_mode.as_str()],
    )?;
    Ok(d)
}

// ---------------------------------------------------------------- printing a receipt

/// The technical journal's event of a reprint. The one place a reprint is journaled.
pub fn journal_reprint(
    conn: &Connection,
    ticket: &str,
    register: &str,
    copy: u32,
    actor: Option<&str>,
) -> Result<(), ShopError> {
    let details = format!("ticket {ticket} DUPLICATA n° {copy}");
    let event =
        journal::Event { code: journal::codes::REPRINT, user: actor, register: Some(register), details: &details };
    journal::record(conn, event)?;
    Ok(())
}

/// What `POST /api/v1/tickets/{key}/print` did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Printed {
    pub ticket: String,
    /// 0: the original; N: the N-th duplicate.
    pub copy: u32,
    /// `DUPLICATA n° N` on a reprint.
    pub duplicate: Option<String>,
    pub printer: String,
    /// `queued` (sent by the print queue) or `browser` (open `page` and print it).
    pub status: String,
    /// For a browser printer: the receipt's page for the print dialog.
    pub page: Option<String>,
}

fn no_printer(register: &str) -> ShopError {
    ShopError::invalid(
        "no_receipt_printer",
        format!(
            "Register {register} has no receipt printer: name one (PATCH /api/v1/registers/{register}, receipt_printer)."
        ),
        format!(
            "La caisse {register} n'a pas d'imprimante de tickets : désignez-en une (PATCH /api/v1/registers/{register}, receipt_printer)."
        ),
        Some("receipt_printer"),
    )
}

/// The shop's facts a receipt needs besides the store.
pub struct ShopFacts<'a> {
    pub name: &'a str,
    pub timezone: jiff::tz::TimeZone,
}

/// Records the next print of `ticket` and queues it on its register's printer (in the
/// caller's transaction). `pulse`: open the drawer before printing.
pub fn print_receipt(
    conn: &Connection,
    shop: &ShopFacts,
    ticket: Ticket,
    actor: Option<&str>,
    link: Option<String>,
    pulse: bool,
) -> Result<Printed, ShopError> {
    let register = ticket.register.clone();
    let printer_code = devices(conn, &register)?.receipt_printer.ok_or_else(|| no_printer(&register))?;
    let printer = get_printer(conn, &printer_code)?.ok_or_else(|| not_found_printer(&printer_code))?;
    if !printer.active {
        return Err(ShopError::Inactive { what: "printer", key: printer.code, field: Some("receipt_printer".into()) });
    }
    let address = Address::parse(&printer.address)?;
    let id = ticket.id.to_string();
    let copy: u32 = conn.query_row("SELECT COUNT(*) FROM ticket_prints WHERE ticket_id = ?", [&id], |r| r.get(0))?;
    conn.execute(
        "INSERT INTO ticket_prints (ticket_id, copy, at, actor, printer) VALUES (?, ?, ?, ?, ?)",
        params![id, copy, now_text(), actor, printer.code],
    )?;
    if copy > 0 {
        journal_reprint(conn, &ticket.number, &register, copy, actor)?;
    }
    let number = ticket.number.clone();
    let facts = receipt::load(conn, ticket, shop.name, shop.timezone.clone(), Copy::from_number(copy), link)?;
    let r = receipt::build(facts);
    let status = if address == Address::Browser {
        "browser"
    } else {
        enqueue(conn, &printer.code, &format!("receipt {number} copy {copy}"), &receipt::escpos::render(&r, pulse))?;
        "queued"
    };
    Ok(Printed {
        page: (status == "browser").then(|| format!("/app/v1/tickets/{number}/receipt.html?copy={copy}")),
        ticket: number,
        copy,
        duplicate: r.duplicate,
        printer: printer.code,
        status: status.into(),
    })
}

/// Queues raw bytes for a printer.
pub fn enqueue(conn: &Connection, printer: &str, what: &str, bytes: &[u8]) -> Result<i64, ShopError> {
    conn.execute(
        "INSERT INTO print_jobs (printer, what, bytes, created_at) VALUES (?, ?, ?, ?)",
        params![printer, what, bytes, now_text()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Whether a committed ticket opens the drawer: it has a cash tender.
pub fn opens_drawer(t: &Ticket) -> bool {
    t.payments.iter().any(|p| p.method == PaymentMethod::Cash)
}

/// After a sale: the drawer's pulse on a cash tender, the receipt when the register always
/// prints. Returns whether something was queued. Never refuses: a register without a
/// printer simply has nothing to do.
pub fn after_sale(conn: &Connection, shop: &ShopFacts, t: &Ticket, actor: Option<&str>) -> Result<bool, ShopError> {
    let d = devices(conn, &t.register)?;
    let Some(code) = d.receipt_printer else { return Ok(false) };
    let Some(printer) = get_printer(conn, &code)?.filter(|p| p.active) else { return Ok(false) };
    if Address::parse(&printer.address)? == Address::Browser {
        return Ok(false);
    }
    let pulse = opens_drawer(t);
    if d.receipt_mode == ReceiptMode::Print {
        print_receipt(conn, shop, t.clone(), actor, None, pulse)?;
        return Ok(true);
    }
    if pulse {
        enqueue(conn, &printer.code, &format!("drawer {}", t.number), &receipt::escpos::drawer_pulse())?;
    }
    Ok(pulse)
}

/// Opens a register's drawer on demand (the manager's PIN checked by the caller).
pub fn open_drawer(conn: &Connection, register: &str, manager: &str) -> Result<PrinterStatus, ShopError> {
    let code = devices(conn, register)?.receipt_printer.ok_or_else(|| no_printer(register))?;
    let printer = get_printer(conn, &code)?.ok_or_else(|| not_found_printer(&code))?;
    if Address::parse(&printer.address)? == Address::Browser {
        return Err(ShopError::invalid(
            "no_drawer",
            format!("Printer {code} is the browser: no drawer hangs on it."),
            format!("L'imprimante {code} est le navigateur : aucun tiroir n'y est relié."),
            Some("receipt_printer"),
        ));
    }
    enqueue(conn, &code, &format!("drawer {register} on demand"), &receipt::escpos::drawer_pulse())?;
    let details = format!("without a sale, printer {code}");
    let event = journal::Event {
        code: journal::codes::DRAWER_OPENED,
        user: Some(manager),
        register: Some(register),
        details: &details,
    };
    journal::record(conn, event)?;
    status(conn, &code)
}

// ---------------------------------------------------------------- queue and status

/// A printer's state, shown to the cashier.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PrinterStatus {
    pub printer: String,
    /// False after a failed attempt, until a job goes through.
    pub online: bool,
    /// Jobs not printed yet.
    pub waiting: i64,
    pub last_error: Option<String>,
    /// "printer offline, 2 receipts waiting", for the status bar.
    pub message_en: String,
    pub message_fr: String,
}

/// The status of a printer from its queue.
pub fn status(conn: &Connection, printer: &str) -> Result<PrinterStatus, ShopError> {
    let waiting: i64 =
        conn.query_row("SELECT COUNT(*) FROM print_jobs WHERE printer = ? AND done_at IS NULL", [printer], |r| {
            r.get(0)
        })?;
    let first_error: Option<Option<String>> = conn
        .query_row(
            "SELECT last_error FROM print_jobs WHERE printer = ? AND done_at IS NULL ORDER BY id LIMIT 1",
            [printer],
            |r| r.get(0),
        )
        .optional()?;
    let last_error = first_error.flatten();
    Ok(describe(printer, waiting, last_error))
}

/// Pure: the words of a printer's state.
pub fn describe(printer: &str, waiting: i64, last_error: Option<String>) -> PrinterStatus {
    let online = last_error.is_none();
    let (en_jobs, fr_jobs) = match waiting {
        0 => ("nothing waiting".to_string(), "rien en attente".to_string()),
        1 => ("1 receipt waiting".to_string(), "1 ticket en attente".to_string()),
        n => (format!("{n} receipts waiting"), format!("{n} tickets en attente")),
    };
    let (message_en, message_fr) = if online {
        (format!("printer {printer} ready, {en_jobs}"), format!("imprimante {printer} prête, {fr_jobs}"))
    } else {
        (format!("printer {printer} offline, {en_jobs}"), format!("imprimante {printer} hors ligne, {fr_jobs}"))
    };
    PrinterStatus { printer: printer.into(), online, waiting, last_error, message_en, message_fr }
}

/// A job to send: its id, printer address and bytes.
struct Job {
    id: i64,
    address: Address,
    bytes: Vec<u8>,
}

/// The first waiting job of each printer that has one.
fn next_jobs(conn: &Connection) -> Result<Vec<Job>, ShopError> {
    let mut stmt = conn.prepare_cached(
        "SELECT j.id, p.body, j.bytes FROM print_jobs j JOIN printers p ON p.code = j.printer
         WHERE j.id IN (SELECT MIN(id) FROM print_jobs WHERE done_at IS NULL GROUP BY printer)",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?)))?;
    let mut jobs = Vec::new();
    for row in rows {
        let (id, body, bytes) = row?;
        let address = serde_json::from_str::<Printer>(&body).ok().and_then(|p| Address::parse(&p.address).ok());
        if let Some(address) = address.filter(|a| *a != Address::Browser) {
            jobs.push(Job { id, address, bytes });
        }
    }
    Ok(jobs)
}

/// How long one attempt may take to connect and send.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// The wait before a printer that failed is tried again.
const RETRY_EVERY: Duration = Duration::from_secs(2);

async fn send(address: &Address, bytes: &[u8]) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    match address {
        Address::Tcp(hostport) => {
            let attempt = async {
                let mut s = tokio::net::TcpStream::connect(hostport.as_str()).await?;
                s.write_all(bytes).await?;
                s.flush().await?;
                s.shutdown().await
            };
            match tokio::time::timeout(SEND_TIMEOUT, attempt).await {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => Err(format!("no answer from {hostport} within {} s", SEND_TIMEOUT.as_secs())),
            }
        }
        Address::File(path) => {
            let (p, b) = (path.clone(), bytes.to_vec());
            let attempt = tokio::task::spawn_blocking(move || {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().append(true).open(&p)?;
                f.write_all(&b)?;
                f.flush()
            });
            match tokio::time::timeout(SEND_TIMEOUT, attempt).await {
                Ok(Ok(r)) => r.map_err(|e| format!("{}: {e}", path.display())),
                Ok(Err(e)) => Err(format!("{}: {e}", path.display())),
                Err(_) => Err(format!("{} did not take the job within {} s", path.display(), SEND_TIMEOUT.as_secs())),
            }
        }
        Address::Browser => Ok(()),
    }
}

/// The print queue's worker: sends each printer's first waiting job, marks it done or
/// keeps it with its error; woken by `wake` when a job is queued, and every few seconds
/// while some are waiting. Runs as long as the server.
pub async fn run_worker(store: crate::store::Store, wake: std::sync::Arc<tokio::sync::Notify>) {
    loop {
        let jobs = match store.read(next_jobs).await {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(error = %e, "the print queue could not be read");
                Vec::new()
            }
        };
        let mut failed = false;
        let mut handles = Vec::new();
        for job in jobs {
            handles.push(tokio::spawn(async move {
                let outcome = send(&job.address, &job.bytes).await;
                (job.id, outcome)
            }));
        }
        let any = !handles.is_empty();
        for h in handles {
            let Ok((id, outcome)) = h.await else { continue };
            failed |= outcome.is_err();
            let done = store
                .write(move |tx| {
                    match &outcome {
                        Ok(()) => tx.execute(
                            "UPDATE print_jobs SET done_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
                            params![now_text(), id],
                        )?,
                        Err(e) => {
                            tracing::warn!(job = id, error = %e, "print failed, kept in the queue");
                            tx.execute(
                                "UPDATE print_jobs SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                                params![e, id],
                            )?
                        }
                    };
                    Ok(())
                })
                .await;
            if let Err(e) = done {
                tracing::warn!(error = %e, "the print queue could not be updated");
            }
        }
        if failed {
            // Wait before the next attempt; a new job wakes the worker sooner.
            let _ = tokio::time::timeout(RETRY_EVERY, wake.notified()).await;
        } else if !any {
            let _ = tokio::time::timeout(RETRY_EVERY * 15, wake.notified()).await;
        }
    }
}

/// How many times a ticket's receipt was printed (0: never; the next print is copy n°).
pub fn print_count(conn: &Connection, ticket_id: &str) -> Result<u32, ShopError> {
    Ok(conn.query_row("SELECT COUNT(*) FROM ticket_prints WHERE ticket_id = ?", [ticket_id], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_a_network_printer_a_device_file_or_the_browser() {
        assert_eq!(Address::parse("tcp://127.0.0.1:9100").unwrap(), Address::Tcp("127.0.0.1:9100".into()));
        assert_eq!(Address::parse("file:/dev/usb/lp0").unwrap(), Address::File("/dev/usb/lp0".into()));
        assert_eq!(Address::parse("browser").unwrap(), Address::Browser);
        for bad in ["tcp://printer", "tcp://:9100", "tcp://p:0", "file:lp0", "lpt1", "http://p:9100"] {
            assert_eq!(Address::parse(bad).unwrap_err().kind(), "invalid_printer_address", "{bad}");
        }
    }

    #[test]
    fn the_cashier_reads_whether_the_printer_is_offline_and_how_much_waits() {
        let s = describe("P1", 2, Some("connection refused".into()));
        assert!(!s.online);
        assert_eq!(s.message_fr, "imprimante P1 hors ligne, 2 tickets en attente");
        assert_eq!(s.message_en, "printer P1 offline, 2 receipts waiting");
        let s = describe("P1", 0, None);
        assert!(s.online);
        assert_eq!(s.message_fr, "imprimante P1 prête, rien en attente");
    }
}
