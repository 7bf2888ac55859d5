//! The HQ web dashboard: pages served by the HQ process itself under `/dashboard/`
//! (docs/dashboard.md). Server-rendered HTML in French or English, no JavaScript; charts are
//! inline SVG drawn here. Every page but the sign-in needs a session.
//!
//! - [`session`]: sign-in (the API's lockout), database-held sessions, CSRF, language;
//! - [`html`]: escaping, layout and navigation, amounts, tables, the SVG chart, the stylesheet;
//! - [`sales`], [`health`], [`catalog`], [`shops`], [`jobs`]: the pages;
//! - [`people`]: customers and loyalty, the chain's stock of an article, the chain's users.
//!
//! The sales summaries' rules are in [`crate::sales`]; shop administration in
//! [`crate::shops`]: the dashboard calls them, as the API and the CLI do.

pub mod catalog;
pub mod health;
pub mod html;
pub mod jobs;
pub mod people;
pub mod sales;
pub mod session;
pub mod shops;

use crate::hq::Hq;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use html::Tr;
use session::Signed;

async fn stylesheet() -> Response {
    let mut r = html::STYLE.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    r
}

/// Any other `/dashboard/...` path.
async fn not_found(signed: Signed) -> Response {
    let l = signed.lang;
    let body = format!("<p><a href=\"/dashboard/sales\">{}</a></p>", l.t("Go to the sales", "Aller aux ventes"));
    html::page(&signed.frame(""), StatusCode::NOT_FOUND, l.t("Page not found", "Page introuvable"), &body)
}

/// The dashboard's routes (merged into the API's router, under its limits).
pub fn routes() -> Router<Hq> {
    use axum::routing::get;
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard/sales") }))
        .route("/dashboard", get(|| async { Redirect::to("/dashboard/sales") }))
        .route("/dashboard/", get(|| async { Redirect::to("/dashboard/sales") }))
        .route("/dashboard/style.css", get(stylesheet))
        .route("/dashboard/login", get(session::login_page).post(session::login))
        .route("/dashboard/logout", axum::routing::post(session::logout))
        .route("/dashboard/lang", get(session::switch_lang))
        .route("/dashboard/sales", get(sales::page))
        .route("/dashboard/sales.csv", get(sales::csv))
        .route("/dashboard/health", get(health::page))
        .route("/dashboard/catalog", get(catalog::articles).post(catalog::create_article))
        .route("/dashboard/catalog/articles/{sku}", get(catalog::article).post(catalog::update_article))
        .route("/dashboard/catalog/articles/{sku}/shop-price", axum::routing::post(catalog::shop_price))
        .route("/dashboard/catalog/categories", get(catalog::categories).post(catalog::category_action))
        .route("/dashboard/catalog/tax-rates", get(catalog::tax_rates).post(catalog::tax_rate_action))
        .route("/dashboard/catalog/import", get(catalog::import_page).post(catalog::import))
        .route("/dashboard/catalog/export.csv", get(catalog::export))
        .route("/dashboard/shops", get(shops::page).post(shops::action))
        .route("/dashboard/jobs", get(jobs::page).post(jobs::create))
        .route("/dashboard/customers", get(people::customers))
        .route("/dashboard/customers/{id}", get(people::customer))
        .route("/dashboard/stock", get(people::stock))
        .route("/dashboard/users", get(people::users))
        .route("/dashboard/{*rest}", get(not_found))
}
