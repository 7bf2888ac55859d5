//! The register screen's side of the API: browser sessions, and `/app/v1/…`, the same
//! handlers as `/api/v1/…` called with the session's user instead of HTTP Basic.
//!
//! Rules:
//! - signing in takes a register, a user code and a PIN, through the shop's sign-in guard
//!   (the same lockouts as HTTP Basic); HQ must have attached the user to that register;
//! - the session is a random token in an `HttpOnly; SameSite=Strict` cookie; the database
//!   keeps its SHA-256 only, and a session lasts [`SESSION_HOURS`];
//! - every write (`POST`, `PUT`, `PATCH`, `DELETE`) carries the session's CSRF token in
//!   `X-CSRF-Token` (a page of another site cannot read it), else `csrf_token` (403);
//! - a session belongs to one register: it sells, parks and counts at that one only;
//! - a refusal of the sign-in is a 403 (`wrong_pin`, `signed_out`), not a 401: the API's
//!   401 carries a Basic challenge, which would make the browser prompt for a password.
//!
//! `/app/v1/X` is `/api/v1/X` (same body, same answer), so another client can do with
//! HTTP Basic all the screen does.

use super::registers::Source;
use super::{Body, Caller, catalog, customers, peripherals, registers, sales, stock};
use crate::error::{Refusal, ShopError};
use crate::shop::Shop;
use crate::staff::{self, Register, User};
use crate::store::now_text;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The cookie of the register screen's session.
pub const COOKIE: &str = "comptoir_register";
/// How long a session lasts: a long shift.
pub const SESSION_HOURS: i64 = 14;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_hex() -> String {
    let mut b = [0u8; 32];
    rand::fill(&mut b);
    hex(&b)
}

fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn signed_out() -> ShopError {
    ShopError::refused(
        Refusal::SignedOut,
        "Sign in at the register first (your session ended or was closed).",
        "Identifiez-vous d'abord à la caisse (votre session a pris fin ou a été fermée).",
        None,
    )
}

/// The register screen's signed-in user, at its register.
pub struct Screen {
    pub user: User,
    pub register: String,
    pub csrf: String,
}

impl Screen {
    fn caller(&self) -> Caller {
        Caller(self.user.clone())
    }

    /// Refuses a register other than the session's.
    fn at(&self, register: &str) -> Result<(), ShopError> {
        if register == self.register {
            Ok(())
        } else {
            Err(ShopError::refused(
                Refusal::NotAtThisRegister,
                format!("This screen is signed in at register {}, not {register}.", self.register),
                format!("Cet écran est connecté à la caisse {}, pas à {register}.", self.register),
                Some("register"),
            ))
        }
    }
}

impl FromRequestParts<Shop> for Screen {
    type Rejection = ShopError;

    async fn from_request_parts(parts: &mut Parts, shop: &Shop) -> Result<Self, ShopError> {
        let token = cookie_value(&parts.headers, COOKIE).ok_or_else(signed_out)?;
        let hash = digest(token);
        let now = now_text();
        let found = shop
            .store
            .read(move |c| {
                let row: Option<(String, String, String)> = c
                    .prepare_cached(
                        "SELECT user_code, register, csrf FROM screen_sessions WHERE token_hash = ? AND expires_at > ?",
                    )?
                    .query_row(params![hash, now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?;
                let Some((user, register, csrf)) = row else { return Ok(None) };
                // A user deactivated or taken off the register since is signed out.
                let user = staff::get_user(c, &user)?.filter(|u| u.active);
                match user {
                    Some(u) if staff::may_use_register(c, &u.code, &register)? => Ok(Some((u, register, csrf))),
                    _ => Ok(None),
                }
            })
            .await?;
        let (user, register, csrf) = found.ok_or_else(signed_out)?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts.headers.get("x-csrf-token").map(|v| v.as_bytes()).unwrap_or_default();
            if !bool::from(sent.ct_eq(csrf.as_bytes())) {
                return Err(ShopError::refused(
                    Refusal::CsrfToken,
                    "This request lacks the screen's X-CSRF-Token header: reload the page.",
                    "Il manque à cette requête l'en-tête X-CSRF-Token de l'écran : rechargez la page.",
                    None,
                ));
            }
        }
        Ok(Screen { user, register, csrf })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub register: String,
    pub user: String,
    pub pin: String,
}

#[derive(Serialize)]
pub struct SessionView {
    pub shop: ShopView,
    pub register: Register,
    pub user: User,
    /// Send it back in `X-CSRF-Token` on every write.
    pub csrf: String,
}

#[derive(Serialize)]
pub struct ShopView {
    pub code: String,
    pub name: String,
}

fn session_cookie(value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict"))
        .expect("cookie header")
}

async fn view(shop: &Shop, user: User, register: String, csrf: String) -> Result<SessionView, ShopError> {
    let reg = shop
        .store
        .read(move |c| {
            staff::get_register(c, &register)?.ok_or(ShopError::NotFound {
                what: "register",
                key: register,
                field: None,
            })
        })
        .await?;
    Ok(SessionView { shop: ShopView { code: shop.code.clone(), name: shop.name.clone() }, register: reg, user, csrf })
}

/// `POST /app/v1/session`: signs a user in at a register with its PIN.
async fn sign_in(
    State(shop): State<Shop>,
    Source(source): Source,
    headers: HeaderMap,
    Body(input): Body<SignIn>,
) -> Result<Response, ShopError> {
    let register = input.register.clone();
    let reg = shop.store.read(move |c| staff::get_register(c, &register)).await?;
    match reg {
        Some(r) if r.active => {}
        _ => {
            return Err(ShopError::NotFound {
                what: "register",
                key: input.register.chars().take(64).collect(),
                field: Some("register".into()),
            });
        }
    }
    let user = match shop.sign_in(source, &input.user, &input.pin).await {
        Ok(u) => u,
        Err(ShopError::Unauthorized) => {
            return Err(ShopError::refused(
                Refusal::WrongPin,
                "Unknown user or wrong PIN: type them again.",
                "Utilisateur inconnu ou PIN incorrect : saisissez-les à nouveau.",
                Some("pin"),
            ));
        }
        Err(e) => return Err(e),
    };
    let token = random_hex();
    let csrf = random_hex();
    let (hash, old) = (digest(&token), cookie_value(&headers, COOKIE).map(digest));
    let (code, register, csrf_kept) = (user.code.clone(), input.register.clone(), csrf.clone());
    shop.store
        .write(move |tx| {
            if !staff::may_use_register(tx, &code, &register)? {
                return Err(staff::not_at_this_register(&code, &register));
            }
            let now = jiff::Timestamp::now();
            let expires = now.saturating_add(jiff::SignedDuration::from_hours(SESSION_HOURS)).unwrap_or(now);
            let fmt = |t: jiff::Timestamp| t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
            // Switching cashier replaces the screen's session; expired ones go too.
            if let Some(old) = old {
                tx.execute("DELETE FROM screen_sessions WHERE token_hash = ?", [old])?;
            }
            tx.execute("DELETE FROM screen_sessions WHERE expires_at <= ?", [fmt(now)])?;
            tx.execute(
                "INSERT INTO screen_sessions (token_hash, user_code, register, csrf, created_at, expires_at)
                 VALUES (?, ?, ?, ?, ?, ?)",
                params![hash, code, register, csrf_kept, fmt(now), fmt(expires)],
            )?;
            crate::shop::journal(
                tx,
                crate::journal::codes::SIGN_IN,
                Some(&code),
                &format!("register screen at {register}"),
            )
        })
        .await?;
    let body = view(&shop, user, input.register, csrf).await?;
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&token, SESSION_HOURS * 3600));
    Ok(response)
}

/// `GET /app/v1/session`: who is signed in at this screen (and the CSRF token again).
async fn get_session(State(shop): State<Shop>, s: Screen) -> Result<Json<SessionView>, ShopError> {
    Ok(Json(view(&shop, s.user, s.register, s.csrf).await?))
}

/// `DELETE /app/v1/session`: signs out (lock the screen, end of shift).
async fn sign_out(State(shop): State<Shop>, s: Screen, headers: HeaderMap) -> Result<Response, ShopError> {
    if let Some(hash) = cookie_value(&headers, COOKIE).map(digest) {
        let (user, register) = (s.user.code.clone(), s.register.clone());
        shop.store
            .write(move |tx| {
                tx.execute("DELETE FROM screen_sessions WHERE token_hash = ?", [hash])?;
                crate::journal::record(
                    tx,
                    crate::journal::Event {
                        code: crate::journal::codes::SIGN_OUT,
                        user: Some(&user),
                        register: Some(&register),
                        details: "register screen",
                    },
                )?;
                Ok(())
            })
            .await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie("", 0));
    Ok(response)
}

#[derive(Serialize)]
struct RegisterChoice {
    code: String,
    name: String,
}

/// `GET /app/v1/registers`: the active registers, to choose one before signing in.
async fn choose_register(State(shop): State<Shop>) -> Result<Json<Vec<RegisterChoice>>, ShopError> {
    let all = shop.store.read(staff::list_registers).await?;
    Ok(Json(all.into_iter().filter(|r| r.active).map(|r| RegisterChoice { code: r.code, name: r.name }).collect()))
}

// ---- the same handlers as /api/v1, with the screen's user

async fn articles(st: State<Shop>, s: Screen, q: Query<catalog::ArticleQuery>) -> impl IntoResponse {
    catalog::list_articles(st, s.caller(), q).await
}

async fn scan(st: State<Shop>, s: Screen, code: Path<String>) -> impl IntoResponse {
    registers::scan(st, s.caller(), code).await
}

async fn keyboard(st: State<Shop>, s: Screen, code: Path<String>) -> Result<Response, ShopError> {
    s.at(&code)?;
    Ok(stock::register_keyboard(st, s.caller(), code).await.into_response())
}

async fn till(st: State<Shop>, s: Screen, code: Path<String>) -> Result<Response, ShopError> {
    s.at(&code)?;
    Ok(registers::get_till(st, s.caller(), code).await.into_response())
}

async fn open_till(
    st: State<Shop>,
    s: Screen,
    code: Path<String>,
    body: Body<crate::till::CashCount>,
) -> Result<Response, ShopError> {
    s.at(&code)?;
    Ok(registers::open_till(st, s.caller(), code, body).await.into_response())
}

async fn close_till(
    st: State<Shop>,
    s: Screen,
    code: Path<String>,
    body: Body<crate::till::CashCount>,
) -> Result<Response, ShopError> {
    s.at(&code)?;
    Ok(registers::close_till(st, s.caller(), code, body).await.into_response())
}

async fn x_reading(st: State<Shop>, s: Screen, code: Path<String>) -> Result<Response, ShopError> {
    s.at(&code)?;
    Ok(registers::x_reading(st, s.caller(), code).await.into_response())
}

async fn messages(
    st: State<Shop>,
    s: Screen,
    code: Path<String>,
    q: Query<customers::MomentQuery>,
) -> Result<Response, ShopError> {
    s.at(&code)?;
    Ok(customers::get_messages(st, s.caller(), code, q).await.into_response())
}

async fn ack(st: State<Shop>, s: Screen, p: Path<(String, String)>) -> Result<Response, ShopError> {
    s.at(&p.0.0)?;
    Ok(customers::ack_message(st, s.caller(), p).await.into_response())
}

async fn post_ticket(
    st: State<Shop>,
    s: Screen,
    source: Source,
    headers: HeaderMap,
    body: Body<crate::sales::NewTicket>,
) -> Result<Response, ShopError> {
    s.at(&body.0.register)?;
    Ok(sales::post_ticket(st, s.caller(), source, headers, body).await.into_response())
}

async fn preview(st: State<Shop>, s: Screen, body: Body<crate::sales::NewTicket>) -> Result<Response, ShopError> {
    s.at(&body.0.register)?;
    Ok(registers::preview_ticket(st, s.caller(), body).await.into_response())
}

async fn get_ticket(st: State<Shop>, s: Screen, key: Path<String>) -> impl IntoResponse {
    sales::get_ticket(st, s.caller(), key).await
}

async fn post_closure(
    st: State<Shop>,
    s: Screen,
    body: Body<crate::closures::NewClosure>,
) -> Result<Response, ShopError> {
    s.at(&body.0.register)?;
    Ok(sales::post_closure(st, s.caller(), body).await.into_response())
}

async fn list_parked(st: State<Shop>, s: Screen) -> impl IntoResponse {
    registers::list_parked(st, s.caller()).await
}

async fn post_parked(st: State<Shop>, s: Screen, body: Body<crate::parked::NewParked>) -> Result<Response, ShopError> {
    s.at(&body.0.register)?;
    Ok(registers::post_parked(st, s.caller(), body).await.into_response())
}

async fn take_parked(st: State<Shop>, s: Screen, id: Path<String>) -> impl IntoResponse {
    registers::take_parked(st, s.caller(), id).await
}

async fn list_customers(st: State<Shop>, s: Screen, q: Query<customers::CustomerQuery>) -> impl IntoResponse {
    customers::list_customers(st, s.caller(), q).await
}

async fn create_customer(st: State<Shop>, s: Screen, body: Body<crate::customers::NewCustomer>) -> impl IntoResponse {
    customers::create_customer(st, s.caller(), body).await
}

async fn get_customer(st: State<Shop>, s: Screen, key: Path<String>) -> impl IntoResponse {
    customers::get_customer(st, s.caller(), key).await
}

async fn loyalty(st: State<Shop>, s: Screen, key: Path<String>) -> impl IntoResponse {
    customers::get_loyalty(st, s.caller(), key).await
}

async fn offers(st: State<Shop>, s: Screen, key: Path<String>) -> impl IntoResponse {
    customers::get_offers(st, s.caller(), key).await
}

async fn hq_link(st: State<Shop>, s: Screen) -> impl IntoResponse {
    registers::hq_link(st, s.caller()).await
}

async fn print(st: State<Shop>, s: Screen, key: Path<String>) -> Result<Response, ShopError> {
    Ok(Json(peripherals::print(&st.0, key.0, s.user.code.clone(), None).await?).into_response())
}

async fn receipt_page(
    st: State<Shop>,
    _s: Screen,
    key: Path<String>,
    q: Query<peripherals::ReceiptQuery>,
) -> Result<Response, ShopError> {
    peripherals::render(&st.0, key.0, "html", q.copy, None).await
}

async fn receipt_link(
    st: State<Shop>,
    _s: Screen,
    key: Path<String>,
    headers: HeaderMap,
) -> Result<Response, ShopError> {
    Ok((StatusCode::CREATED, Json(peripherals::link(&st.0, key.0, &headers).await?)).into_response())
}

async fn email_receipt(
    st: State<Shop>,
    _s: Screen,
    key: Path<String>,
    headers: HeaderMap,
    body: Body<peripherals::EmailRequest>,
) -> Result<Response, ShopError> {
    Ok(Json(peripherals::email(&st.0, key.0, &body.0.to, &headers).await?).into_response())
}

async fn devices(st: State<Shop>, s: Screen, code: Path<String>) -> Result<Response, ShopError> {
    s.at(&code.0)?;
    Ok(Json(peripherals::devices_of(&st.0, code.0).await?).into_response())
}

async fn drawer(
    st: State<Shop>,
    s: Screen,
    Source(source): Source,
    code: Path<String>,
    body: Body<peripherals::DrawerRequest>,
) -> Result<Response, ShopError> {
    s.at(&code.0)?;
    Ok(Json(peripherals::drawer(&st.0, source, code.0, body.0).await?).into_response())
}

async fn display(
    st: State<Shop>,
    s: Screen,
    code: Path<String>,
    q: Query<peripherals::DisplayQuery>,
) -> Result<Response, ShopError> {
    s.at(&code.0)?;
    Ok(Json(peripherals::follow(&st.0, &code.0, q.0.after).await).into_response())
}

/// `POST /app/v1/registers/{code}/card`: the amount asked of the register's own terminal.
async fn card(
    st: State<Shop>,
    s: Screen,
    code: Path<String>,
    body: Body<crate::terminal::PaymentRequest>,
) -> Result<Response, ShopError> {
    s.at(&code.0)?;
    let register = code.0.clone();
    let terminal = st.0.store.read(move |c| crate::printing::devices(c, &register)).await?.terminal;
    let Some(terminal) = terminal else {
        return Err(ShopError::invalid(
            "no_terminal",
            format!(
                "Register {} has no card terminal: name one (PATCH /api/v1/registers/{}, terminal).",
                code.0, code.0
            ),
            format!(
                "La caisse {} n'a pas de terminal de paiement : désignez-en un (PATCH /api/v1/registers/{}, terminal).",
                code.0, code.0
            ),
            Some("terminal"),
        ));
    };
    let mut input = body.0;
    input.register = Some(code.0);
    Ok(Json(peripherals::pay(&st.0, terminal, input).await?).into_response())
}

pub fn routes() -> Router<Shop> {
    use axum::routing::{delete, get, post};
    Router::new()
        .route("/app/v1/session", get(get_session).post(sign_in).delete(sign_out))
        .route("/app/v1/registers", get(choose_register))
        .route("/app/v1/articles", get(articles))
        .route("/app/v1/scan/{code}", get(scan))
        .route("/app/v1/registers/{code}/keyboard", get(keyboard))
        .route("/app/v1/registers/{code}/till", get(till))
        .route("/app/v1/registers/{code}/till/open", post(open_till))
        .route("/app/v1/registers/{code}/till/close", post(close_till))
        .route("/app/v1/registers/{code}/x", get(x_reading))
        .route("/app/v1/registers/{code}/messages", get(messages))
        .route("/app/v1/registers/{code}/messages/{id}/ack", post(ack))
        .route("/app/v1/tickets", post(post_ticket))
        .route("/app/v1/tickets/preview", post(preview))
        .route("/app/v1/tickets/{key}", get(get_ticket))
        .route("/app/v1/tickets/{key}/print", post(print))
        .route("/app/v1/tickets/{key}/receipt.html", get(receipt_page))
        .route("/app/v1/tickets/{key}/link", post(receipt_link))
        .route("/app/v1/tickets/{key}/email", post(email_receipt))
        .route("/app/v1/registers/{code}/devices", get(devices))
        .route("/app/v1/registers/{code}/drawer", post(drawer))
        .route("/app/v1/registers/{code}/display", get(display))
        .route("/app/v1/registers/{code}/card", post(card))
        .route("/app/v1/closures", post(post_closure))
        .route("/app/v1/parked", get(list_parked).post(post_parked))
        .route("/app/v1/parked/{id}", delete(take_parked))
        .route("/app/v1/customers", get(list_customers).post(create_customer))
        .route("/app/v1/customers/{key}", get(get_customer))
        .route("/app/v1/customers/{key}/loyalty", get(loyalty))
        .route("/app/v1/customers/{key}/offers", get(offers))
        .route("/app/v1/hq-link", get(hq_link))
}
