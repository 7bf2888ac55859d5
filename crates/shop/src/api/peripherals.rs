//! Receipts and devices on the shop API: the shop's legal identity, printers and their
//! status, printing and reprinting a ticket's receipt, its renderings (text, HTML, ESC/POS),
//! its web page behind an unguessable link, the cash drawer, card terminals and their
//! payments, and the customer display. Rules in [`crate::receipt`], [`crate::printing`],
//! [`crate::terminal`], [`crate::display`].

use super::registers::Source;
use super::{Body, Caller, ErrorBody};
use crate::display::Shown;
use crate::error::ShopError;
use crate::printing::{self, NewPrinter, Printed, PrinterChange, PrinterStatus, ShopFacts};
use crate::receipt::{self, Copy, Identity, IdentityChange};
use crate::shop::Shop;
use crate::terminal::{self, NewTerminal, PaymentRequest, Terminal, TerminalChange, TerminalPayment};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use comptoir_core::catalog::Role;
use comptoir_core::ticket::Ticket;
use comptoir_protocol::stock::Printer;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::time::Duration;
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(paths(
    get_identity,
    patch_identity,
    create_printer,
    update_printer,
    printer_status,
    print_ticket,
    ticket_receipt,
    receipt_link,
    email_receipt,
    open_drawer,
    list_terminals,
    create_terminal,
    update_terminal,
    terminal_payment,
    register_devices,
    display_state
))]
pub struct PeripheralsDoc;

pub fn routes() -> Router<Shop> {
    use axum::routing::{get, patch, post};
    Router::new()
        .route("/api/v1/shop/identity", get(get_identity).patch(patch_identity))
        .route("/api/v1/printers", post(create_printer))
        .route("/api/v1/printers/{code}", patch(update_printer))
        .route("/api/v1/printers/{code}/status", get(printer_status))
        .route("/api/v1/tickets/{key}/print", post(print_ticket))
        .route("/api/v1/tickets/{key}/receipt", get(ticket_receipt))
        .route("/api/v1/tickets/{key}/link", post(receipt_link))
        .route("/api/v1/tickets/{key}/email", post(email_receipt))
        .route("/api/v1/registers/{code}/drawer", post(open_drawer))
        .route("/api/v1/registers/{code}/devices", get(register_devices))
        .route("/api/v1/registers/{code}/display", get(display_state))
        .route("/api/v1/terminals", get(list_terminals).post(create_terminal))
        .route("/api/v1/terminals/{code}", patch(update_terminal))
        .route("/api/v1/terminals/{code}/payments", post(terminal_payment))
        .route("/r/{token}", get(public_receipt))
}

fn facts(shop: &Shop) -> (String, jiff::tz::TimeZone) {
    (shop.name.clone(), shop.timezone().clone())
}

async fn ticket(shop: &Shop, key: String) -> Result<Ticket, ShopError> {
    let k = key.clone();
    shop.store.read(move |c| crate::sales::find_ticket(c, &k)).await?.ok_or(ShopError::NotFound {
        what: "ticket",
        key,
        field: None,
    })
}

#[utoipa::path(get, path = "/api/v1/shop/identity", responses((status = 200, body = Identity)))]
pub async fn get_identity(State(shop): State<Shop>, _c: Caller) -> Result<Json<Identity>, ShopError> {
    Ok(Json(shop.store.read(receipt::identity).await?))
}

#[utoipa::path(patch, path = "/api/v1/shop/identity", request_body = IdentityChange,
    responses((status = 200, description = "Printed on every receipt from now on", body = Identity), (status = 400, body = ErrorBody)))]
pub async fn patch_identity(
    State(shop): State<Shop>,
    caller: Caller,
    Body(change): Body<IdentityChange>,
) -> Result<Json<Identity>, ShopError> {
    caller.require(Role::Admin)?;
    Ok(Json(shop.store.write(move |tx| receipt::change_identity(tx, change)).await?))
}

#[utoipa::path(post, path = "/api/v1/printers", request_body = NewPrinter,
    responses((status = 201, description = "Defined"), (status = 400, description = "Address or kind refused", body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn create_printer(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewPrinter>,
) -> Result<(StatusCode, Json<Printer>), ShopError> {
    caller.require(Role::Manager)?;
    let me = shop.code.clone();
    Ok((StatusCode::CREATED, Json(shop.store.write(move |tx| printing::create_printer(tx, &me, input)).await?)))
}

#[utoipa::path(patch, path = "/api/v1/printers/{code}", request_body = PrinterChange,
    responses((status = 200, description = "Changed"), (status = 404, body = ErrorBody)))]
pub async fn update_printer(
    State(shop): State<Shop>,
    caller: Caller,
    Path(code): Path<String>,
    Body(change): Body<PrinterChange>,
) -> Result<Json<Printer>, ShopError> {
    caller.require(Role::Manager)?;
    Ok(Json(shop.store.write(move |tx| printing::update_printer(tx, &code, change)).await?))
}

#[utoipa::path(get, path = "/api/v1/printers/{code}/status",
    responses((status = 200, description = "Online or not, and what waits", body = PrinterStatus), (status = 404, body = ErrorBody)))]
pub async fn printer_status(
    State(shop): State<Shop>,
    _c: Caller,
    Path(code): Path<String>,
) -> Result<Json<PrinterStatus>, ShopError> {
    let s = shop
        .store
        .read(move |c| {
            printing::get_printer(c, &code)?.ok_or(ShopError::NotFound {
                what: "printer",
                key: code.clone(),
                field: None,
            })?;
            printing::status(c, &code)
        })
        .await?;
    Ok(Json(s))
}

/// What a print answers: the print, and the printer's status for the cashier.
#[derive(Serialize, ToSchema)]
pub struct PrintAnswer {
    #[serde(flatten)]
    pub printed: Printed,
    pub printer_status: PrinterStatus,
}

#[derive(Deserialize, IntoParams)]
pub struct PrintQuery {
    /// Also print a QR code of the receipt's web page (a new unguessable link).
    pub qr: Option<bool>,
}

/// Prints a ticket's receipt on its register's printer (the original, then duplicates),
/// never failing for the printer being down: the print waits in the queue. `link`: the
/// receipt page's address, printed as a QR code.
pub async fn print(shop: &Shop, key: String, actor: String, link: Option<String>) -> Result<PrintAnswer, ShopError> {
    let t = ticket(shop, key).await?;
    let (name, tz) = facts(shop);
    let answer = shop
        .store
        .write(move |tx| {
            let printed =
                printing::print_receipt(tx, &ShopFacts { name: &name, timezone: tz }, t, Some(&actor), link, false)?;
            let printer_status = printing::status(tx, &printed.printer)?;
            Ok(PrintAnswer { printed, printer_status })
        })
        .await?;
    shop.devices.print_wake.notify_one();
    Ok(answer)
}

#[utoipa::path(post, path = "/api/v1/tickets/{key}/print", params(("key" = String, Path, description = "Ticket id or number"), PrintQuery),
    responses((status = 200, description = "Queued on the register's printer (or to print from the browser): the original the first time, then \"DUPLICATA n° N\"", body = PrintAnswer),
              (status = 404, body = ErrorBody), (status = 400, description = "The register has no receipt printer (`no_receipt_printer`)", body = ErrorBody)))]
pub async fn print_ticket(
    State(shop): State<Shop>,
    caller: Caller,
    Path(key): Path<String>,
    Query(q): Query<PrintQuery>,
    headers: HeaderMap,
) -> Result<Json<PrintAnswer>, ShopError> {
    let link = match q.qr {
        Some(true) => Some(link(&shop, key.clone(), &headers).await?.url),
        _ => None,
    };
    Ok(Json(print(&shop, key, caller.0.code, link).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct ReceiptQuery {
    /// `text` (default), `html` or `escpos`.
    pub format: Option<String>,
    /// Which print to show (0: the original); default the last one printed.
    pub copy: Option<u32>,
}

/// Which copy a view of a receipt shows: only one already printed (by default the last),
/// or the original when none was; a view (a page, an e-mail) never makes a print.
fn shown_copy(c: &rusqlite::Connection, ticket_id: &str, copy: Option<u32>) -> Result<Copy, ShopError> {
    let printed: u32 =
        c.query_row("SELECT COUNT(*) FROM ticket_prints WHERE ticket_id = ?", [ticket_id], |r| r.get(0))?;
    let n = if printed == 0 { 0 } else { copy.filter(|c| *c < printed).unwrap_or(printed - 1) };
    Ok(Copy::from_number(n))
}

/// A rendering of a receipt, for a copy already printed (or the original).
pub async fn render(
    shop: &Shop,
    key: String,
    format: &str,
    copy: Option<u32>,
    link: Option<String>,
) -> Result<Response, ShopError> {
    let t = ticket(shop, key).await?;
    let (name, tz) = facts(shop);
    let id = t.id.to_string();
    let r = shop
        .store
        .read(move |c| Ok(receipt::build(receipt::load(c, t, &name, tz, shown_copy(c, &id, copy)?, link)?)))
        .await?;
    let (body, kind): (Vec<u8>, &'static str) = match format {
        "html" => (receipt::html::render(&r).into_bytes(), "text/html; charset=utf-8"),
        "escpos" => (receipt::escpos::render(&r, false), "application/octet-stream"),
        "text" => (receipt::text::render(&r).into_bytes(), "text/plain; charset=utf-8"),
        other => {
            return Err(ShopError::invalid(
                "invalid_format",
                format!("format {other:?}: text, html or escpos."),
                format!("format {other:?} : text, html ou escpos."),
                Some("format"),
            ));
        }
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(crate::register::CSP));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(resp)
}

#[utoipa::path(get, path = "/api/v1/tickets/{key}/receipt", params(("key" = String, Path, description = "Ticket id or number"), ReceiptQuery),
    responses((status = 200, description = "The receipt as text, an 80 mm HTML page or ESC/POS bytes (not counted as a print)"), (status = 404, body = ErrorBody)))]
pub async fn ticket_receipt(
    State(shop): State<Shop>,
    _c: Caller,
    Path(key): Path<String>,
    Query(q): Query<ReceiptQuery>,
) -> Result<Response, ShopError> {
    render(&shop, key, q.format.as_deref().unwrap_or("text"), q.copy, None).await
}

/// An unguessable link to a receipt's page.
#[derive(Serialize, ToSchema)]
pub struct ReceiptLink {
    /// The receipt's page, for the customer's phone.
    pub url: String,
    /// The QR code of `url` as an SVG `data:` URL, for the register's screen.
    pub qr: Option<String>,
}

fn base_url(shop: &Shop, headers: &HeaderMap) -> String {
    if let Some(base) = &shop.config.public_url {
        return base.trim_end_matches('/').to_string();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}

/// Makes (or gives again) the link of a ticket's receipt page.
pub async fn link(shop: &Shop, key: String, headers: &HeaderMap) -> Result<ReceiptLink, ShopError> {
    let t = ticket(shop, key).await?;
    let mut random = [0u8; 24];
    rand::fill(&mut random);
    let token: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let hash = hex_sha(&token);
    let id = t.id.to_string();
    shop.store
        .write(move |tx| {
            tx.execute(
                "INSERT INTO receipt_links (token_hash, ticket_id, created_at) VALUES (?, ?, ?)",
                params![hash, id, crate::store::now_text()],
            )?;
            Ok(())
        })
        .await?;
    let url = format!("{}/r/{token}", base_url(shop, headers));
    Ok(ReceiptLink { qr: receipt::html::qr_data_url(&url), url })
}

/// `POST /api/v1/tickets/{key}/email`: where to send the receipt.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    /// The customer's e-mail address.
    pub to: String,
}

/// A receipt handed to the mail server.
#[derive(Serialize, ToSchema)]
pub struct EmailAnswer {
    pub sent_to: String,
    /// The receipt's web page, which the e-mail links to.
    pub url: String,
}

/// E-mails a ticket's receipt (the text receipt and a new link to its page) through the
/// SMTP server of `[mail]`. Nothing is printed and nothing is counted as a duplicate.
pub async fn email(shop: &Shop, key: String, to: &str, headers: &HeaderMap) -> Result<EmailAnswer, ShopError> {
    let mailer = shop.mailer.clone().ok_or_else(|| {
        ShopError::invalid(
            "mail_not_configured",
            "This shop has no mail server: set mail.smtp_url and mail.from in comptoir.toml to e-mail receipts, or print the receipt or show its QR code.",
            "Cette boutique n'a pas de serveur de messagerie : renseignez mail.smtp_url et mail.from dans comptoir.toml pour envoyer les tickets par e-mail, ou imprimez le ticket ou affichez son QR code.",
            Some("to"),
        )
    })?;
    let to = receipt::mail::recipient(to)?;
    let t = ticket(shop, key.clone()).await?;
    let page = link(shop, key, headers).await?;
    let (name, tz) = facts(shop);
    let id = t.id.to_string();
    let url = page.url.clone();
    let r = shop
        .store
        .read(move |c| Ok(receipt::build(receipt::load(c, t, &name, tz, shown_copy(c, &id, None)?, Some(url))?)))
        .await?;
    let sent_to = to.email.to_string();
    let message = receipt::mail::message(&r, &receipt::text::render(&r), mailer.from(), to)?;
    mailer.send(message).await?;
    Ok(EmailAnswer { sent_to, url: page.url })
}

#[utoipa::path(post, path = "/api/v1/tickets/{key}/email", params(("key" = String, Path, description = "Ticket id or number")), request_body = EmailRequest,
    responses((status = 200, description = "The receipt was handed to the mail server", body = EmailAnswer),
              (status = 400, description = "No mail server set (`mail_not_configured`), or a bad address (`invalid_email`)", body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 502, description = "The mail server refused or did not answer (`mail_not_sent`)", body = ErrorBody)))]
pub async fn email_receipt(
    State(shop): State<Shop>,
    _c: Caller,
    Path(key): Path<String>,
    headers: HeaderMap,
    Body(input): Body<EmailRequest>,
) -> Result<Json<EmailAnswer>, ShopError> {
    Ok(Json(email(&shop, key, &input.to, &headers).await?))
}

fn hex_sha(token: &str) -> String {
    sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[utoipa::path(post, path = "/api/v1/tickets/{key}/link", params(("key" = String, Path, description = "Ticket id or number")),
    responses((status = 201, description = "A new unguessable link to the receipt's page and its QR code", body = ReceiptLink), (status = 404, body = ErrorBody)))]
pub async fn receipt_link(
    State(shop): State<Shop>,
    _c: Caller,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<ReceiptLink>), ShopError> {
    Ok((StatusCode::CREATED, Json(link(&shop, key, &headers).await?)))
}

/// `GET /r/{token}`: the receipt's page, for whoever holds the link (no sign-in).
async fn public_receipt(State(shop): State<Shop>, Path(token): Path<String>) -> Result<Response, ShopError> {
    let not_found = || ShopError::NotFound { what: "receipt", key: "link".into(), field: None };
    if token.len() != 48 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let hash = hex_sha(&token);
    let id: Option<String> = shop
        .store
        .read(move |c| {
            use rusqlite::OptionalExtension;
            Ok(c.query_row("SELECT ticket_id FROM receipt_links WHERE token_hash = ?", [hash], |r| r.get(0))
                .optional()?)
        })
        .await?;
    let id = id.ok_or_else(not_found)?;
    render(&shop, id, "html", Some(0), None).await
}

/// `POST /api/v1/registers/{code}/drawer`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawerRequest {
    /// The manager's code.
    pub manager: String,
    pub pin: String,
}

/// Opens a register's drawer on demand, with a manager's PIN (journaled).
pub async fn drawer(
    shop: &Shop,
    source: std::net::IpAddr,
    register: String,
    input: DrawerRequest,
) -> Result<PrinterStatus, ShopError> {
    let manager = match shop.sign_in(source, &input.manager, &input.pin).await {
        Ok(u) => u,
        Err(ShopError::Unauthorized) => {
            return Err(ShopError::refused(
                crate::error::Refusal::WrongPin,
                "The manager's code or PIN is wrong: type them again.",
                "Le code ou le PIN du responsable est faux : saisissez-les à nouveau.",
                Some("pin"),
            ));
        }
        Err(e) => return Err(e),
    };
    if manager.role < Role::Manager {
        return Err(ShopError::Forbidden { needed: Role::Manager.as_str() });
    }
    let status = shop.store.write(move |tx| printing::open_drawer(tx, &register, &manager.code)).await?;
    shop.devices.print_wake.notify_one();
    Ok(status)
}

#[utoipa::path(post, path = "/api/v1/registers/{code}/drawer", request_body = DrawerRequest,
    responses((status = 200, description = "The pulse is queued on the register's printer", body = PrinterStatus),
              (status = 400, description = "Wrong PIN (`wrong_pin`) or no printer (`no_receipt_printer`)", body = ErrorBody)))]
pub async fn open_drawer(
    State(shop): State<Shop>,
    _c: Caller,
    Source(source): Source,
    Path(code): Path<String>,
    Body(input): Body<DrawerRequest>,
) -> Result<Json<PrinterStatus>, ShopError> {
    Ok(Json(drawer(&shop, source, code, input).await?))
}

/// A register's devices and its printer's status.
#[derive(Serialize, ToSchema)]
pub struct RegisterDevices {
    #[serde(flatten)]
    pub devices: printing::Devices,
    pub printer_status: Option<PrinterStatus>,
    /// Whether the receipt can be sent by e-mail (an SMTP server is configured).
    pub email: bool,
}

pub async fn devices_of(shop: &Shop, code: String) -> Result<RegisterDevices, ShopError> {
    let (devices, printer_status) = shop
        .store
        .read(move |c| {
            let d = printing::devices(c, &code)?;
            let s = match &d.receipt_printer {
                Some(p) => Some(printing::status(c, p)?),
                None => None,
            };
            Ok((d, s))
        })
        .await?;
    Ok(RegisterDevices { devices, printer_status, email: shop.mailer.is_some() })
}

#[utoipa::path(get, path = "/api/v1/registers/{code}/devices", responses((status = 200, body = RegisterDevices)))]
pub async fn register_devices(
    State(shop): State<Shop>,
    _c: Caller,
    Path(code): Path<String>,
) -> Result<Json<RegisterDevices>, ShopError> {
    Ok(Json(devices_of(&shop, code).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct DisplayQuery {
    /// The version the display has: the answer waits (up to 25 s) for a newer one.
    pub after: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/registers/{code}/display", params(DisplayQuery),
    responses((status = 200, description = "What the customer display shows", body = Shown)))]
pub async fn display_state(
    State(shop): State<Shop>,
    _c: Caller,
    Path(code): Path<String>,
    Query(q): Query<DisplayQuery>,
) -> Json<Shown> {
    Json(follow(&shop, &code, q.after).await)
}

/// The display of a register, once newer than `after` (long polling within the request limit).
pub async fn follow(shop: &Shop, register: &str, after: Option<u64>) -> Shown {
    match after {
        None => shop.devices.board.get(register),
        Some(v) => {
            let wait = Duration::from_secs(shop.config.request_timeout_seconds.saturating_sub(2).clamp(1, 25));
            shop.devices.board.wait(register, v, wait).await
        }
    }
}

#[utoipa::path(get, path = "/api/v1/terminals", responses((status = 200, body = Vec<Terminal>)))]
pub async fn list_terminals(State(shop): State<Shop>, _c: Caller) -> Result<Json<Vec<Terminal>>, ShopError> {
    Ok(Json(shop.store.read(terminal::list_terminals).await?))
}

#[utoipa::path(post, path = "/api/v1/terminals", request_body = NewTerminal,
    responses((status = 201, body = Terminal), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_terminal(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewTerminal>,
) -> Result<(StatusCode, Json<Terminal>), ShopError> {
    caller.require(Role::Manager)?;
    Ok((StatusCode::CREATED, Json(shop.store.write(move |tx| terminal::create_terminal(tx, input)).await?)))
}

#[utoipa::path(patch, path = "/api/v1/terminals/{code}", request_body = TerminalChange,
    responses((status = 200, body = Terminal), (status = 404, body = ErrorBody)))]
pub async fn update_terminal(
    State(shop): State<Shop>,
    caller: Caller,
    Path(code): Path<String>,
    Body(change): Body<TerminalChange>,
) -> Result<Json<Terminal>, ShopError> {
    caller.require(Role::Manager)?;
    Ok(Json(shop.store.write(move |tx| terminal::update_terminal(tx, &code, change)).await?))
}

/// Asks a terminal for a payment and records its outcome.
pub async fn pay(shop: &Shop, code: String, input: PaymentRequest) -> Result<TerminalPayment, ShopError> {
    let req = input.clone();
    let t = shop.store.read(move |c| terminal::check_request(c, &code, &req)).await?;
    let message = terminal::request(input.amount, terminal::register_number(input.register.as_deref()));
    let outcome = terminal::ask(&t.address, &message, Duration::from_secs(t.timeout_seconds.into())).await;
    if let Err(why) = &outcome {
        tracing::warn!(terminal = %t.code, amount = input.amount.cents(), why = %why, "no answer from the card terminal");
    }
    let register = input.register.clone();
    shop.store.write(move |tx| terminal::record(tx, &t.code, register.as_deref(), input.amount, &outcome)).await
}

#[utoipa::path(post, path = "/api/v1/terminals/{code}/payments", request_body = PaymentRequest,
    responses((status = 200, description = "`accepted` (with the authorisation and card type), `refused` (with the reason) or `timeout` (no answer: not a payment)", body = TerminalPayment),
              (status = 404, body = ErrorBody)))]
pub async fn terminal_payment(
    State(shop): State<Shop>,
    _c: Caller,
    Path(code): Path<String>,
    Body(input): Body<PaymentRequest>,
) -> Result<Json<TerminalPayment>, ShopError> {
    Ok(Json(pay(&shop, code, input).await?))
}

/// After a sale committed: the drawer and the receipt as the register wants them, and the
/// thank-you on its display. Never fails the sale (a problem is logged).
pub async fn after_sale(shop: &Shop, t: &Ticket, actor: &str) {
    shop.devices.board.show_paid(&t.register, t);
    let (name, tz) = facts(shop);
    let (ticket, actor) = (t.clone(), actor.to_string());
    let queued = shop
        .store
        .write(move |tx| printing::after_sale(tx, &ShopFacts { name: &name, timezone: tz }, &ticket, Some(&actor)))
        .await;
    match queued {
        Ok(true) => shop.devices.print_wake.notify_one(),
        Ok(false) => {}
        Err(e) => tracing::warn!(number = %t.number, error = %e, "the sale's drawer or receipt could not be queued"),
    }
}
