//! Signing in to the back office, its sessions, CSRF and the reader's language.
//!
//! - **Sign-in** takes a user code and the password (or, for a user without one, the PIN)
//!   through [`Shop::sign_in`]: the same Argon2id check and the same
//!   [`LoginGuard`](comptoir_http::sign_in::LoginGuard) lockout as the API's HTTP Basic
//!   and the register screen (failures count per user and per address; a locked one gets
//!   429). A cashier who signs in rightly is refused: the back office is for managers.
//! - **Sessions** live in the shop's database (`backoffice_sessions`), so a restart keeps
//!   them. The cookie `comptoir_admin` carries 256 random bits; the database keeps only
//!   their SHA-256. It is `HttpOnly`, `SameSite=Strict`, `Path=/admin`, `Secure` when the
//!   shop's public address is `https`, and lasts [`SESSION_HOURS`]. Signing out deletes the
//!   row; a user deactivated or demoted since is signed out at their next page.
//! - **CSRF**: every form carries the session's random token (`csrf`), compared in constant
//!   time on every POST ([`SignedForm`], which every form handler takes). The sign-in form,
//!   made before any session, uses a double-submit token: the same random value in a
//!   `SameSite=Strict` cookie and in the form.
//! - **Language**: the `comptoir_lang` cookie set by the switch, else `Accept-Language`.
//!
//! The cookie, token and form primitives are `comptoir_http::web`'s, shared with HQ.

use super::SITE;
use crate::api::registers::Source;
use crate::error::ShopError;
use crate::shop::Shop;
use crate::staff::{self, User};
use crate::store::now_text;
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use comptoir_core::Lang;
use comptoir_core::catalog::Role;
use comptoir_http::web::{self, Fields};
use comptoir_pages::{self as pages, Field, Form, Frame, Layout, Problem, Tr, html};
use rusqlite::{OptionalExtension, params};

/// How long a back-office session lasts.
pub const SESSION_HOURS: i64 = 12;
const SESSION_COOKIE: &str = "comptoir_admin";
const LOGIN_COOKIE: &str = "comptoir_admin_login";
const HOME: &str = "/admin/";

fn secure(shop: &Shop) -> bool {
    shop.config.public_url.as_deref().is_some_and(|u| u.starts_with("https:"))
}

fn set_cookie(shop: &Shop, name: &str, value: &str, path: &str, max_age: i64) -> axum::http::HeaderValue {
    web::set_cookie(name, value, path, "Strict", max_age, secure(shop))
}

/// A path inside the back office, else its start page.
pub fn safe_back(target: Option<&str>) -> String {
    web::safe_back(target, "/admin", HOME)
}

/// This request's path and query.
fn here(parts: &Parts) -> String {
    parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| HOME.into())
}

/// A page request from a signed-in manager or admin.
pub struct Signed {
    pub user: User,
    pub csrf: String,
    pub lang: Lang,
    pub token_hash: String,
    pub here: String,
}

impl Signed {
    pub fn frame<'a>(&'a self, active: &'a str) -> Frame<'a> {
        Frame { site: &SITE, lang: self.lang, user: Some((&self.user.code, &self.csrf)), here: &self.here, active }
    }

    /// The refusal of a form without this session's CSRF token (`None`: the token is right).
    pub fn refuse_bad_csrf(&self, sent: Option<&str>) -> Option<Response> {
        if web::same_token(sent, &self.csrf) {
            return None;
        }
        tracing::warn!(user = %self.user.code, "back-office form without a valid CSRF token");
        let l = self.lang;
        let body = html! {
            div.alert role="alert" data-kind="csrf_token" {
                (l.t(
                    "This form was not sent from this session's page (or the page is too old). Nothing was changed.",
                    "Ce formulaire ne vient pas d'une page de cette session (ou la page est trop ancienne). Rien n'a été modifié."
                ))
            }
            p { a href=(self.here) { (l.t("Open the page again", "Rouvrir la page")) } }
        };
        Some(pages::page(&self.frame(""), StatusCode::FORBIDDEN, l.t("Form expired", "Formulaire expiré"), body))
    }
}

/// The session of a cookie, with its user, if it is valid now and its user still may use
/// the back office.
async fn session_of(shop: &Shop, hash: String) -> Result<Option<(User, String)>, ShopError> {
    let now = now_text();
    shop.store
        .read(move |c| {
            let row: Option<(String, String)> = c
                .prepare_cached(
                    "SELECT user_code, csrf FROM backoffice_sessions WHERE token_hash = ? AND expires_at > ?",
                )?
                .query_row(params![hash, now], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((code, csrf)) = row else { return Ok(None) };
            Ok(staff::get_user(c, &code)?.filter(|u| u.active && u.role >= Role::Manager).map(|u| (u, csrf)))
        })
        .await
}

impl FromRequestParts<Shop> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shop: &Shop) -> Result<Self, Response> {
        let lang = web::page_lang(&parts.headers);
        let here = here(parts);
        let login = || Redirect::to(&format!("/admin/login?next={}", pages::url(&here))).into_response();
        let Some(token) = web::cookie(&parts.headers, SESSION_COOKIE) else { return Err(login()) };
        let hash = web::token_digest(token);
        match session_of(shop, hash.clone()).await {
            Ok(Some((user, csrf))) => Ok(Signed { user, csrf, lang, token_hash: hash, here }),
            Ok(None) => Err(login()),
            Err(e) => Err(error_page(lang, &here, &e)),
        }
    }
}

/// A failure as a page.
pub fn error_page(lang: Lang, here: &str, e: &ShopError) -> Response {
    tracing::error!(error = %e, "back-office page failed");
    let frame = Frame { site: &SITE, lang, user: None, here, active: "" };
    pages::page(&frame, e.status(), lang.t("Something went wrong", "Un problème est survenu"), super::alert(lang, e))
}

/// A form posted by a signed-in manager, its CSRF token already checked: every form
/// handler of the back office takes this, so none can forget the check. Rejections: the
/// sign-in redirect, an unreadable form, or the 403 "form expired" page.
pub struct SignedForm(pub Signed, pub Fields);

impl FromRequest<Shop> for SignedForm {
    type Rejection = Response;

    async fn from_request(req: Request, shop: &Shop) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let signed = Signed::from_request_parts(&mut parts, shop).await?;
        let axum::Form(pairs) =
            axum::Form::<Vec<(String, String)>>::from_request(Request::from_parts(parts, body), shop)
                .await
                .map_err(IntoResponse::into_response)?;
        let form = Fields(pairs);
        match signed.refuse_bad_csrf(form.get("csrf")) {
            Some(refusal) => Err(refusal),
            None => Ok(SignedForm(signed, form)),
        }
    }
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn login_form(
    shop: &Shop,
    lang: Lang,
    next: &str,
    user: &str,
    error: Option<&ShopError>,
    status: StatusCode,
) -> Response {
    let token = web::random_token();
    let l = lang;
    let problem = error.map(|e| Problem::of(l, e));
    let fields = html! {
        (Field::new(l.t("User code", "Code utilisateur"), "user").autocomplete("username").required().maxlength(64).value(user).problem(problem.as_ref()))
        (Field::new(l.t("Password (or PIN)", "Mot de passe (ou PIN)"), "password")
            .kind("password")
            .autocomplete("current-password")
            .required()
            .maxlength(256)
            .problem(problem.as_ref()))
    };
    let body = html! {
        p { (shop.name) " (" (shop.code) ")" }
        @if let Some(p) = &problem { (pages::alert(p)) }
        (Form::post("/admin/login", &token, Layout::Stack).hidden("next", next).with(fields, l.t("Sign in", "Se connecter")))
        p { (l.t(
            "The back office is for the shop's managers and administrators. Cashiers sign in at the register screen.",
            "L'arrière-boutique est réservée aux responsables et administrateurs de la boutique. Les caissiers se connectent à l'écran de caisse."
        )) " " a href="/" { (l.t("Register screen", "Écran de caisse")) } }
    };
    let here = format!("/admin/login?next={}", pages::url(next));
    let frame = Frame { site: &SITE, lang, user: None, here: &here, active: "" };
    let mut r = pages::page(&frame, status, l.t("Back office sign-in", "Connexion à l'arrière-boutique"), body);
    r.headers_mut().append(header::SET_COOKIE, set_cookie(shop, LOGIN_COOKIE, &token, "/admin/login", 3600));
    r
}

pub async fn login_page(State(shop): State<Shop>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    login_form(&shop, web::page_lang(&headers), &safe_back(q.next.as_deref()), "", None, StatusCode::OK)
}

/// The refusal of a cashier, who signed in rightly but may not manage the shop.
fn cashier_refused(user: &User) -> ShopError {
    ShopError::invalid(
        "backoffice_managers_only",
        format!(
            "{} is a cashier: the back office is for managers and administrators. Sell at the register screen, or ask a manager.",
            user.code
        ),
        format!(
            "{} est caissier : l'arrière-boutique est réservée aux responsables et administrateurs. Vendez à l'écran de caisse, ou demandez à un responsable.",
            user.code
        ),
        Some("user"),
    )
}

pub async fn login(
    State(shop): State<Shop>,
    Source(source): Source,
    headers: HeaderMap,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let form = Fields(form);
    let lang = web::page_lang(&headers);
    let next = safe_back(form.get("next"));
    let code = form.text("user");
    if !web::same_token(form.get("csrf"), web::cookie(&headers, LOGIN_COOKIE).unwrap_or("")) {
        let e = ShopError::invalid(
            "sign_in_form_expired",
            "The sign-in form expired; sign in again.",
            "Le formulaire de connexion a expiré ; connectez-vous à nouveau.",
            Some("csrf"),
        );
        return login_form(&shop, lang, &next, &code, Some(&e), StatusCode::FORBIDDEN);
    }
    let password = form.get("password").unwrap_or("");
    let user = match shop.sign_in(source, &code, password).await {
        Ok(user) => user,
        Err(e) => {
            let (shown, status) = match e {
                ShopError::Unauthorized => (
                    ShopError::invalid(
                        "wrong_password",
                        "Wrong user code or password.",
                        "Code utilisateur ou mot de passe incorrect.",
                        Some("password"),
                    ),
                    StatusCode::UNAUTHORIZED,
                ),
                other => {
                    let status = other.status();
                    (other, status)
                }
            };
            return login_form(&shop, lang, &next, &code, Some(&shown), status);
        }
    };
    if user.role < Role::Manager {
        tracing::warn!(user = %user.code, %source, "a cashier tried the back office");
        return login_form(&shop, lang, &next, &code, Some(&cashier_refused(&user)), StatusCode::FORBIDDEN);
    }
    let token = web::random_token();
    let now = jiff::Timestamp::now();
    let expires = now.checked_add(jiff::SignedDuration::from_hours(SESSION_HOURS)).unwrap_or(now);
    let fmt = |t: jiff::Timestamp| t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let (hash, csrf, user_code, created, until) =
        (web::token_digest(&token), web::random_token(), user.code.clone(), fmt(now), fmt(expires));
    let written = shop
        .store
        .write(move |tx| {
            tx.execute("DELETE FROM backoffice_sessions WHERE expires_at <= ?", [&created])?;
            tx.execute(
                "INSERT INTO backoffice_sessions (token_hash, user_code, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                params![hash, user_code, csrf, created, until],
            )?;
            crate::shop::journal(tx, crate::journal::codes::SIGN_IN, Some(&user_code), &format!("back office from {source}"))
        })
        .await;
    if let Err(e) = written {
        return error_page(lang, "/admin/login", &e);
    }
    tracing::info!(user = %user.code, %source, "back-office sign-in");
    let mut r = Redirect::to(&next).into_response();
    let h = r.headers_mut();
    h.append(header::SET_COOKIE, set_cookie(&shop, SESSION_COOKIE, &token, "/admin", SESSION_HOURS * 3600));
    h.append(header::SET_COOKIE, set_cookie(&shop, LOGIN_COOKIE, "", "/admin/login", 0));
    r
}

pub async fn logout(State(shop): State<Shop>, SignedForm(signed, _): SignedForm) -> Response {
    let (hash, user) = (signed.token_hash.clone(), signed.user.code.clone());
    let deleted = shop
        .store
        .write(move |tx| {
            tx.execute("DELETE FROM backoffice_sessions WHERE token_hash = ?", [hash])?;
            crate::shop::journal(tx, crate::journal::codes::SIGN_OUT, Some(&user), "back office")
        })
        .await;
    if let Err(e) = deleted {
        return error_page(signed.lang, &signed.here, &e);
    }
    let mut r = Redirect::to("/admin/login").into_response();
    r.headers_mut().append(header::SET_COOKIE, set_cookie(&shop, SESSION_COOKIE, "", "/admin", 0));
    r
}

#[derive(serde::Deserialize)]
pub struct LangQuery {
    to: Option<String>,
    back: Option<String>,
}

/// The language switch: remembers the choice for a year and goes back to the page.
pub async fn switch_lang(State(shop): State<Shop>, Query(q): Query<LangQuery>) -> Response {
    let to = if q.to.as_deref() == Some("fr") { "fr" } else { "en" };
    let mut r = Redirect::to(&safe_back(q.back.as_deref())).into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, web::set_cookie(web::LANG_COOKIE, to, "/admin", "Lax", 365 * 86400, secure(&shop)));
    r
}
