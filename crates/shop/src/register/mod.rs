//! The register screen: the page a cashier uses all day, served by the shop server at
//! `/` (choose a register) and `/registers/{code}` (that register), from files embedded
//! in the binary (no build step, no CDN, works with no internet).
//!
//! It is a client-side app in plain JavaScript modules (`app.js`, `i18n.js`) that talks
//! to the shop's API through `/app/v1` (`api::app`: the same handlers as `/api/v1` with a
//! browser session). The strict CSP below forbids inline scripts and styles: every script
//! and style is one of these files. The browser keeps only the cart being rung
//! (`localStorage`, so a reload never loses it); a sale exists once the server committed
//! it, under the id the screen chose, so a retry never sells twice.

use crate::shop::Shop;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const I18N_JS: &str = include_str!("i18n.js");
const STYLE_CSS: &str = include_str!("style.css");
const DISPLAY: &str = include_str!("display.html");
const DISPLAY_JS: &str = include_str!("display.js");
const DISPLAY_CSS: &str = include_str!("display.css");
const RECEIPT_CSS: &str = include_str!("receipt.css");
const RECEIPT_JS: &str = include_str!("receipt.js");

/// Only this server's own files; no inline script or style, no frames, no forms elsewhere.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Revalidated on every load: a new version of the shop server is used at once.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

async fn index() -> Response {
    asset(INDEX, "text/html; charset=utf-8")
}

pub fn routes() -> Router<Shop> {
    use axum::routing::get;
    Router::new()
        .route("/", get(index))
        .route("/registers/{code}", get(index))
        .route("/register/app.js", get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }))
        .route("/register/i18n.js", get(|| async { asset(I18N_JS, "text/javascript; charset=utf-8") }))
        .route("/register/style.css", get(|| async { asset(STYLE_CSS, "text/css; charset=utf-8") }))
        // The customer display (crate::display) and the receipt page's files (crate::receipt::html).
        .route("/registers/{code}/display", get(|| async { asset(DISPLAY, "text/html; charset=utf-8") }))
        .route("/register/display.js", get(|| async { asset(DISPLAY_JS, "text/javascript; charset=utf-8") }))
        .route("/register/display.css", get(|| async { asset(DISPLAY_CSS, "text/css; charset=utf-8") }))
        .route("/register/receipt.css", get(|| async { asset(RECEIPT_CSS, "text/css; charset=utf-8") }))
        .route("/register/receipt.js", get(|| async { asset(RECEIPT_JS, "text/javascript; charset=utf-8") }))
}
