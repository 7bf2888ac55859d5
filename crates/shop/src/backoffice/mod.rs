//! The shop manager's back office: pages served by the shop server itself under `/admin/`
//! (docs/backoffice.md), for users with the manager or admin role. Server-rendered HTML in
//! French or English, no JavaScript, under the strict CSP of `comptoir_pages`.
//!
//! The pages are written with `comptoir_pages` (maud), the frame, tables, forms and CSP
//! shared with HQ's dashboard; this module gives them the shop's [`SITE`] and lets them
//! show a [`ShopError`]. They act through the shop's services, as the API and the CLI do.
//!
//! - [`session`]: sign-in (the API's guard and lockout), sessions held in the shop's
//!   database, CSRF on every form, the reader's language;
//! - [`catalog`]: articles (list, search, create, edit), categories, VAT rates, CSV import
//!   and export, a chain shop's own prices;
//! - [`closures`]: closures, the X reading, a closure's detail, till sessions, ticket
//!   search and receipts;
//! - [`sync`]: the link to HQ, "sync now", what the shop takes from HQ, the log files;
//! - [`stock`]: stock levels, adjustments and counts;
//! - [`customers`]: the customer search, a new customer;
//! - [`people`]: users and registers (each one's printer, terminal and receipt choice);
//! - [`devices`]: printers (with their queue) and card terminals.
//!
//! In a chain shop (enrolled with HQ), what HQ owns (the catalog, the users) is shown
//! read-only with a note saying it is changed at HQ ([`owned_by_hq`]); the services refuse
//! a change anyway.

pub mod catalog;
pub mod closures;
pub mod customers;
pub mod devices;
pub mod people;
pub mod session;
pub mod stock;
pub mod sync;

use crate::error::ShopError;
use crate::shop::Shop;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use comptoir_core::Lang;
use comptoir_pages::{self as pages, Markup, Nav, Problem, Site, Tr, html};
use session::Signed;

/// The back office's pages: their name, paths and navigation.
pub const SITE: Site = Site {
    name: "Comptoir",
    home: "/admin/",
    stylesheet: "/admin/style.css",
    lang_switch: "/admin/lang",
    sign_out: "/admin/logout",
    nav: &[
        Nav { key: "catalog", path: "/admin/catalog", en: "Catalog", fr: "Catalogue" },
        Nav { key: "closures", path: "/admin/closures", en: "Closures", fr: "Clôtures" },
        Nav { key: "tickets", path: "/admin/tickets", en: "Tickets", fr: "Tickets" },
        Nav { key: "stock", path: "/admin/stock", en: "Stock", fr: "Stock" },
        Nav { key: "customers", path: "/admin/customers", en: "Customers", fr: "Clients" },
        Nav { key: "users", path: "/admin/users", en: "Users", fr: "Utilisateurs" },
        Nav { key: "registers", path: "/admin/registers", en: "Registers", fr: "Caisses" },
        Nav { key: "devices", path: "/admin/devices", en: "Devices", fr: "Appareils" },
        Nav { key: "sync", path: "/admin/sync", en: "HQ link", fr: "Lien au siège" },
    ],
};

/// The path of CSV imports, which has the import's body limit (`max_import_bytes`).
pub const IMPORT_PATH: &str = "/admin/catalog/import";

/// A shop error on a page: its own status, kind, field and message (`error.rs`).
impl pages::Refusal for ShopError {
    fn status(&self) -> StatusCode {
        ShopError::status(self)
    }
    fn kind(&self) -> &str {
        ShopError::kind(self)
    }
    fn field(&self) -> Option<String> {
        ShopError::field(self)
    }
    fn message(&self, lang: Lang) -> String {
        ShopError::message(self, lang)
    }
}

/// An error shown at the top of a page.
pub fn alert(lang: Lang, e: &ShopError) -> Markup {
    pages::alert(&Problem::of(lang, e))
}

/// Whether HQ owns the catalog and the users (the shop is enrolled in a chain).
pub async fn owned_by_hq(shop: &Shop) -> Result<bool, ShopError> {
    shop.store.read(|c| Ok(crate::sync::link::hq_link(c)?.is_some())).await
}

/// The note above what a chain shop shows read-only.
pub fn hq_note(l: Lang, what_en: &str, what_fr: &str) -> Markup {
    html! {
        p.notice.hq-owned role="note" {
            (l.t("This shop belongs to a chain: ", "Cette boutique fait partie d'une chaîne : "))
            (l.t(what_en, what_fr))
            (l.t(" are changed at HQ and arrive here by themselves; they are shown read-only.",
                 " se modifient au siège et arrivent ici toutes seules ; elles sont affichées en lecture seule."))
        }
    }
}

/// The start page: what the back office holds.
async fn home(signed: Signed) -> Response {
    let l = signed.lang;
    let body = html! {
        ul.links {
            @for item in SITE.nav {
                li { a href=(item.path) { (l.t(item.en, item.fr)) } }
            }
            li { a href="/" { (l.t("The register screen", "L'écran de caisse")) } }
        }
    };
    pages::page(&signed.frame(""), StatusCode::OK, l.t("Back office", "Arrière-boutique"), body)
}

/// Any other `/admin/...` path.
async fn not_found(signed: Signed) -> Response {
    let l = signed.lang;
    let body = html! { p { a href="/admin/" { (l.t("Go to the back office's start", "Aller à l'accueil de l'arrière-boutique")) } } };
    pages::page(&signed.frame(""), StatusCode::NOT_FOUND, l.t("Page not found", "Page introuvable"), body)
}

/// The back office's routes (merged into the API's router, under its limits).
pub fn routes() -> Router<Shop> {
    use axum::routing::{get, post};
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/") }))
        .route("/admin/", get(home))
        .route("/admin/style.css", get(|| async { pages::stylesheet() }))
        .route("/admin/login", get(session::login_page).post(session::login))
        .route("/admin/logout", post(session::logout))
        .route("/admin/lang", get(session::switch_lang))
        .route("/admin/catalog", get(catalog::articles).post(catalog::create_article))
        .route("/admin/catalog/articles/{sku}", get(catalog::article).post(catalog::update_article))
        .route("/admin/catalog/articles/{sku}/price", post(catalog::own_price))
        .route("/admin/catalog/categories", get(catalog::categories).post(catalog::category_action))
        .route("/admin/catalog/tax-rates", get(catalog::tax_rates).post(catalog::tax_rate_action))
        .route(IMPORT_PATH, get(catalog::import_page).post(catalog::import))
        .route("/admin/catalog/export.csv", get(catalog::export))
        .route("/admin/closures", get(closures::closures))
        .route("/admin/closures/{id}", get(closures::closure))
        .route("/admin/x-reading", get(closures::x_reading))
        .route("/admin/sessions", get(closures::sessions))
        .route("/admin/logs", get(sync::logs))
        .route("/admin/tickets", get(closures::tickets))
        .route("/admin/tickets/{key}", get(closures::ticket))
        .route("/admin/sync", get(sync::page).post(sync::sync_now))
        .route("/admin/sync/settings", post(sync::settings))
        .route("/admin/stock", get(stock::levels).post(stock::adjust))
        .route("/admin/stock/count", post(stock::count))
        .route("/admin/customers", get(customers::page).post(customers::create))
        .route("/admin/users", get(people::users).post(people::create_user))
        .route("/admin/users/{code}", get(people::user).post(people::update_user))
        .route("/admin/registers", get(people::registers).post(people::register_action))
        .route("/admin/devices", get(devices::page))
        .route("/admin/devices/printers", post(devices::create_printer))
        .route("/admin/devices/printers/{code}", get(devices::printer).post(devices::update_printer))
        .route("/admin/devices/terminals", post(devices::create_terminal))
        .route("/admin/devices/terminals/{code}", get(devices::terminal).post(devices::update_terminal))
        .route("/admin/{*rest}", get(not_found))
}

/// An instant the store wrote (UTC, RFC 3339) in the shop's own time, as a manager reads
/// the clock on the wall: `2026-12-02 16:17` (a text that is no instant is shown as it is).
pub(crate) fn local_time(shop: &Shop, text: Option<&str>) -> String {
    match text.map(|t| (t, t.parse::<jiff::Timestamp>())) {
        Some((_, Ok(at))) => at.to_zoned(shop.timezone().clone()).strftime("%Y-%m-%d %H:%M").to_string(),
        Some((t, Err(_))) => pages::instant(Some(t)),
        None => pages::instant(None),
    }
}
