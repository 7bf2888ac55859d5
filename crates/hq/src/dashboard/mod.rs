//! The HQ web dashboard: pages served by the HQ process itself under `/dashboard/`
//! (docs/dashboard.md). Server-rendered HTML in French or English, no JavaScript; charts are
//! inline SVG. Every page but the sign-in needs a session.
//!
//! The markup is written with `comptoir_pages` (maud): checked when HQ compiles, every
//! value escaped by its type, the frame, tables, forms and the CSP shared with the shop's
//! pages. This module gives it HQ's [`SITE`] and lets it show an [`HqError`].
//!
//! - [`session`]: sign-in (the API's lockout), database-held sessions, CSRF, language;
//! - [`sales`], [`health`], [`catalog`], [`shops`], [`jobs`]: the pages;
//! - [`journal`]: a shop's technical journal, keys and archives (docs/fiscal.md);
//! - [`people`]: customers and loyalty, the chain's stock of an article, the chain's users.
//!
//! The sales summaries' rules are in [`crate::sales`]; shop administration in
//! [`crate::shops`]: the dashboard calls them, as the API and the CLI do.

pub mod catalog;
pub mod health;
pub mod jobs;
pub mod journal;
pub mod people;
pub mod sales;
pub mod session;
pub mod shops;

use crate::HqError;
use crate::hq::Hq;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use comptoir_core::Lang;
use comptoir_pages::{self as pages, Markup, Nav, Problem, Site, Tr, html};
use session::Signed;

/// HQ's pages: their name, paths and navigation.
pub const SITE: Site = Site {
    name: "Comptoir HQ",
    home: "/dashboard/sales",
    stylesheet: "/dashboard/style.css",
    lang_switch: "/dashboard/lang",
    sign_out: "/dashboard/logout",
    nav: &[
        Nav { key: "sales", path: "/dashboard/sales", en: "Sales", fr: "Ventes" },
        Nav { key: "health", path: "/dashboard/health", en: "Chain health", fr: "Santé du réseau" },
        Nav { key: "catalog", path: "/dashboard/catalog", en: "Catalog", fr: "Catalogue" },
        Nav { key: "shops", path: "/dashboard/shops", en: "Shops", fr: "Magasins" },
        Nav { key: "jobs", path: "/dashboard/jobs", en: "Jobs", fr: "Tâches" },
        Nav { key: "customers", path: "/dashboard/customers", en: "Customers", fr: "Clients" },
        Nav { key: "stock", path: "/dashboard/stock", en: "Stock", fr: "Stock" },
        Nav { key: "users", path: "/dashboard/users", en: "Users", fr: "Utilisateurs" },
    ],
};

/// An HQ error on a page: its own status, kind, field and message (`error.rs`).
impl pages::Refusal for HqError {
    fn status(&self) -> StatusCode {
        HqError::status(self)
    }
    fn kind(&self) -> &str {
        HqError::kind(self)
    }
    fn field(&self) -> Option<String> {
        HqError::field(self)
    }
    fn message(&self, lang: Lang) -> String {
        HqError::message(self, lang)
    }
}

/// An error shown at the top of a page.
pub fn alert(lang: Lang, e: &HqError) -> Markup {
    pages::alert(&Problem::of(lang, e))
}

/// Any other `/dashboard/...` path.
async fn not_found(signed: Signed) -> Response {
    let l = signed.lang;
    let body = html! { p { a href="/dashboard/sales" { (l.t("Go to the sales", "Aller aux ventes")) } } };
    pages::page(&signed.frame(""), StatusCode::NOT_FOUND, l.t("Page not found", "Page introuvable"), body)
}

/// The dashboard's routes (merged into the API's router, under its limits).
pub fn routes() -> Router<Hq> {
    use axum::routing::get;
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard/sales") }))
        .route("/dashboard", get(|| async { Redirect::to("/dashboard/sales") }))
        .route("/dashboard/", get(|| async { Redirect::to("/dashboard/sales") }))
        .route("/dashboard/style.css", get(|| async { pages::stylesheet() }))
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
        .route("/dashboard/shops/{code}/journal", get(journal::page))
        .route("/dashboard/shops/{code}/archives/{name}", get(journal::archive))
        .route("/dashboard/jobs", get(jobs::page).post(jobs::create))
        .route("/dashboard/customers", get(people::customers))
        .route("/dashboard/customers/{id}", get(people::customer))
        .route("/dashboard/stock", get(people::stock))
        .route("/dashboard/users", get(people::users))
        .route("/dashboard/{*rest}", get(not_found))
}
