//! Signing in to the dashboard, sessions, CSRF and the reader's language.
//!
//! - **Sign-in** checks an HQ admin account through [`Hq::sign_in`], the same Argon2id
//!   check and the same [`LoginGuard`](comptoir_http::sign_in::LoginGuard) lockout as the
//!   API's HTTP Basic: failures count per account and per address, a locked one gets 429.
//! - **Sessions** live in the database (`dashboard_sessions`), so any HQ process on the same
//!   database serves them. The cookie `comptoir_session` carries 256 random bits; the
//!   database keeps only their SHA-256. It is `HttpOnly`, `SameSite=Lax`, `Path=/dashboard`,
//!   `Secure` when HQ serves TLS, and lasts [`SESSION_HOURS`]; signing out deletes the row.
//! - **CSRF**: every form carries the session's random token (`csrf`), compared in constant
//!   time on every POST. The sign-in form, made before any session, uses a double-submit
//!   token: the same random value in a `SameSite=Strict` cookie and in the form.
//! - **Language**: the `comptoir_lang` cookie set by the switch, else `Accept-Language`.

use super::SITE;
use crate::HqError;
use crate::hq::Hq;
use crate::hq::SourceAddress;
use crate::storage::DashboardSession;
use crate::sync::{format_instant, now_text, secret_hash};
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use comptoir_core::Lang;
use comptoir_pages::{self as pages, Field, Form, Frame, Layout, Problem, Tr, html};
use subtle::ConstantTimeEq;

/// How long a dashboard session lasts.
pub const SESSION_HOURS: i64 = 12;
const SESSION_COOKIE: &str = "comptoir_session";
const LOGIN_COOKIE: &str = "comptoir_login";

// The cookie, token and form primitives are the ones every server's pages share.
pub use comptoir_http::web::{Fields, cookie, page_lang as lang_of};
use comptoir_http::web::{LANG_COOKIE, random_token};

fn set_cookie(hq: &Hq, name: &str, value: &str, path: &str, same_site: &str, max_age: i64) -> HeaderValue {
    comptoir_http::web::set_cookie(name, value, path, same_site, max_age, hq.config.tls_cert.is_some())
}

/// This request's path and query.
fn here(parts: &Parts) -> String {
    parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/dashboard/".into())
}

/// A path inside the dashboard, else the sales page (never another site).
pub fn safe_back(target: Option<&str>) -> String {
    comptoir_http::web::safe_back(target, "/dashboard", "/dashboard/sales")
}

/// A page request from a signed-in admin.
pub struct Signed {
    pub user: String,
    pub csrf: String,
    pub lang: Lang,
    pub token_hash: String,
    pub here: String,
}

impl Signed {
    pub fn frame<'a>(&'a self, active: &'a str) -> Frame<'a> {
        Frame { site: &SITE, lang: self.lang, user: Some((&self.user, &self.csrf)), here: &self.here, active }
    }

    /// The refusal of a form without this session's CSRF token (`None`: the token is right).
    pub fn refuse_bad_csrf(&self, sent: Option<&str>) -> Option<Response> {
        if comptoir_http::web::same_token(sent, &self.csrf) {
            return None;
        }
        tracing::warn!(user = %self.user, "dashboard form without a valid CSRF token");
        let l = self.lang;
        let body = html! {
            p { (l.t(
                "This form was not sent from this session's page (or the page is too old). Nothing was changed.",
                "Ce formulaire ne vient pas d'une page de cette session (ou la page est trop ancienne). Rien n'a été modifié."
            )) }
            p { a href=(self.here) { (l.t("Open the page again", "Rouvrir la page")) } }
        };
        Some(pages::page(&self.frame(""), StatusCode::FORBIDDEN, l.t("Form expired", "Formulaire expiré"), body))
    }
}

impl FromRequestParts<Hq> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, hq: &Hq) -> Result<Self, Response> {
        let lang = lang_of(&parts.headers);
        let here = here(parts);
        let login = || Redirect::to(&format!("/dashboard/login?next={}", pages::url(&here))).into_response();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else { return Err(login()) };
        let hash = secret_hash(token);
        match hq.storage.session(&hash, &now_text()).await {
            Ok(Some(s)) => Ok(Signed { user: s.user, csrf: s.csrf, lang, token_hash: hash, here }),
            Ok(None) => Err(login()),
            Err(e) => Err(error_page(lang, &here, &e.into())),
        }
    }
}

/// A storage failure as a page.
pub fn error_page(lang: Lang, here: &str, e: &HqError) -> Response {
    tracing::error!(error = %e, "dashboard page failed");
    let frame = Frame { site: &SITE, lang, user: None, here, active: "" };
    pages::page(&frame, e.status(), lang.t("Something went wrong", "Un problème est survenu"), super::alert(lang, e))
}

/// A form posted by a signed-in admin, its CSRF token already checked: every dashboard
/// form handler takes this, so none can forget the check. Rejections: the sign-in
/// redirect, an unreadable form, or the 403 "form expired" page.
pub struct SignedForm(pub Signed, pub Fields);

impl FromRequest<Hq> for SignedForm {
    type Rejection = Response;

    async fn from_request(req: Request, hq: &Hq) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let signed = Signed::from_request_parts(&mut parts, hq).await?;
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(Request::from_parts(parts, body), hq)
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

fn login_form(hq: &Hq, lang: Lang, next: &str, user: &str, error: Option<&HqError>, status: StatusCode) -> Response {
    let token = random_token();
    let l = lang;
    let problem = error.map(|e| Problem::of(l, e));
    let fields = html! {
        (Field::new(l.t("User", "Utilisateur"), "user").autocomplete("username").required().maxlength(64).value(user).problem(problem.as_ref()))
        (Field::new(l.t("Password", "Mot de passe"), "password")
            .kind("password")
            .autocomplete("current-password")
            .required()
            .maxlength(256)
            .problem(problem.as_ref()))
    };
    let body = html! {
        @if let Some(p) = &problem { (pages::alert(p)) }
        (Form::post("/dashboard/login", &token, Layout::Stack).hidden("next", next).with(fields, l.t("Sign in", "Se connecter")))
    };
    let here = format!("/dashboard/login?next={}", pages::url(next));
    let frame = Frame { site: &SITE, lang, user: None, here: &here, active: "" };
    let mut r = pages::page(&frame, status, l.t("Sign in", "Connexion"), body);
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(hq, LOGIN_COOKIE, &token, "/dashboard/login", "Strict", 3600));
    r
}

pub async fn login_page(State(hq): State<Hq>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    login_form(&hq, lang_of(&headers), &safe_back(q.next.as_deref()), "", None, StatusCode::OK)
}

pub async fn login(
    State(hq): State<Hq>,
    SourceAddress(source): SourceAddress,
    headers: HeaderMap,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let form = Fields(form);
    let lang = lang_of(&headers);
    let next = safe_back(form.get("next"));
    let user = form.text("user");
    let sent = form.get("csrf").unwrap_or("");
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
        let e = HqError::invalid(
            "sign_in_form_expired",
            "The sign-in form expired; sign in again.",
            "Le formulaire de connexion a expiré ; connectez-vous à nouveau.",
            Some("csrf"),
        );
        return login_form(&hq, lang, &next, &user, Some(&e), StatusCode::FORBIDDEN);
    }
    let password = form.get("password").unwrap_or("");
    match hq.sign_in(source, &user, password).await {
        Ok(_) => {}
        Err(e) => {
            let shown = match &e {
                HqError::Unauthorized => HqError::invalid(
                    "wrong_password",
                    "Wrong user or password.",
                    "Utilisateur ou mot de passe incorrect.",
                    Some("password"),
                ),
                other => HqError::invalid("sign_in_refused", other.message(Lang::En), other.message(Lang::Fr), None),
            };
            let status = if matches!(e, HqError::Unauthorized) { StatusCode::UNAUTHORIZED } else { e.status() };
            return login_form(&hq, lang, &next, &user, Some(&shown), status);
        }
    }
    let token = random_token();
    let now = jiff::Timestamp::now();
    let expires = now.checked_add(jiff::SignedDuration::from_hours(SESSION_HOURS)).unwrap_or(now);
    let session = DashboardSession {
        token_hash: secret_hash(&token),
        user: user.clone(),
        csrf: random_token(),
        created_at: format_instant(now),
        expires_at: format_instant(expires),
    };
    if let Err(e) = hq.storage.create_session(&session).await {
        return error_page(lang, "/dashboard/login", &e.into());
    }
    tracing::info!(user = %user, %source, "dashboard sign-in");
    let mut r = Redirect::to(&next).into_response();
    let h = r.headers_mut();
    h.append(header::SET_COOKIE, set_cookie(&hq, SESSION_COOKIE, &token, "/dashboard", "Lax", SESSION_HOURS * 3600));
    h.append(header::SET_COOKIE, set_cookie(&hq, LOGIN_COOKIE, "", "/dashboard/login", "Strict", 0));
    r
}

pub async fn logout(State(hq): State<Hq>, SignedForm(signed, _): SignedForm) -> Response {
    if let Err(e) = hq.storage.delete_session(&signed.token_hash).await {
        return error_page(signed.lang, &signed.here, &e.into());
    }
    let mut r = Redirect::to("/dashboard/login").into_response();
    r.headers_mut().append(header::SET_COOKIE, set_cookie(&hq, SESSION_COOKIE, "", "/dashboard", "Lax", 0));
    r
}

#[derive(serde::Deserialize)]
pub struct LangQuery {
    to: Option<String>,
    back: Option<String>,
}

/// The language switch: remembers the choice for a year and goes back to the page.
pub async fn switch_lang(State(hq): State<Hq>, Query(q): Query<LangQuery>) -> Response {
    let to = if q.to.as_deref() == Some("fr") { "fr" } else { "en" };
    let mut r = Redirect::to(&safe_back(q.back.as_deref())).into_response();
    r.headers_mut().append(header::SET_COOKIE, set_cookie(&hq, LANG_COOKIE, to, "/dashboard", "Lax", 365 * 86400));
    r
}
