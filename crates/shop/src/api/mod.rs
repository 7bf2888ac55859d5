//! The shop's HTTP API under `/api/v1`, JSON in and out, HTTP Basic on every route but
//! `/api/v1/health`. The OpenAPI document is generated from the handlers (utoipa) and
//! served at `/api/v1/openapi.json`.
//!
//! Errors: handlers return `ShopError`; the shared HTTP layer (`comptoir_http`) renders it
//! as `{"kind", "message", "field"}` in the language of the request's `Accept-Language`,
//! the framework's own refusals included.

mod app;
mod catalog;
mod customers;
mod extract;
pub mod peripherals;
pub mod registers;
mod sales;
mod staff;
pub mod stock;

use crate::error::SERVER;
use crate::shop::Shop;
use axum::Router;
use axum::http::StatusCode;
use comptoir_http::{HEALTH_PATH, Stack, shed};
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

pub use comptoir_http::{Body, ErrorBody};
pub use extract::Caller;

#[derive(OpenApi)]
#[openapi(
    info(title = "Comptoir shop API", description = "Register and back-office API of one Comptoir shop. Amounts are integer cents, tax included."),
    paths(
        health, openapi_json, shop_info, get_journal,
        catalog::list_articles, catalog::create_article, catalog::get_article, catalog::update_article,
        catalog::list_categories, catalog::create_category, catalog::update_category,
        catalog::list_tax_rates, catalog::create_tax_rate, catalog::update_tax_rate,
        catalog::export_catalog, catalog::import_catalog,
        staff::list_registers, staff::create_register, staff::update_register,
        staff::list_users, staff::create_user, staff::update_user,
        sales::post_ticket, sales::list_tickets, sales::get_ticket,
        sales::post_closure, sales::list_closures, sales::verify_chains,
        customers::list_customers, customers::create_customer, customers::get_customer,
        customers::update_customer, customers::get_loyalty, customers::get_offers,
        customers::get_messages, customers::ack_message,
    ),
    components(schemas(ErrorBody, crate::error::RowError)),
    modifiers(&BasicAuth),
    security(("basic" = []))
)]
pub struct ApiDoc;

struct BasicAuth;
impl utoipa::Modify for BasicAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

#[utoipa::path(get, path = "/api/v1/health", security(()), responses((status = 200, description = "The shop server is up")))]
async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

#[utoipa::path(get, path = "/api/v1/openapi.json", responses((status = 200, description = "This document")))]
async fn openapi_json(_caller: Caller) -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(document())
}

/// The whole OpenAPI document of the shop's API: every part's paths in one.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(stock::StockDoc::openapi());
    doc.merge(registers::RegisterDoc::openapi());
    doc.merge(peripherals::PeripheralsDoc::openapi());
    doc
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ShopInfo {
    pub code: String,
    pub name: String,
    pub version: String,
    /// The signed-in user.
    pub user: crate::staff::User,
    /// The shop's current Ed25519 public key (64 hex digits), which signs its tickets,
    /// closures and journal entries (`docs/fiscal.md`).
    pub public_key: Option<String>,
    /// Every key the shop ever signed with, oldest first.
    pub public_keys: Vec<crate::fiscal::PublicKey>,
}

#[utoipa::path(get, path = "/api/v1/shop", responses((status = 200, body = ShopInfo)))]
async fn shop_info(
    axum::extract::State(shop): axum::extract::State<Shop>,
    caller: Caller,
) -> Result<axum::Json<ShopInfo>, crate::ShopError> {
    let (public_key, public_keys) =
        shop.store.read(|c| Ok((crate::fiscal::public_key(c)?, crate::fiscal::public_keys(c)?))).await?;
    Ok(axum::Json(ShopInfo {
        code: shop.code.clone(),
        name: shop.name.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        user: caller.0,
        public_key,
        public_keys,
    }))
}

#[utoipa::path(get, path = "/api/v1/journal", params(crate::journal::JournalQuery),
    responses((status = 200, description = "The technical event journal, oldest first", body = crate::journal::JournalPage),
        (status = 403, body = ErrorBody)))]
async fn get_journal(
    axum::extract::State(shop): axum::extract::State<Shop>,
    caller: Caller,
    axum::extract::Query(q): axum::extract::Query<crate::journal::JournalQuery>,
) -> Result<axum::Json<crate::journal::JournalPage>, crate::ShopError> {
    caller.require(comptoir_core::catalog::Role::Manager)?;
    Ok(axum::Json(shop.store.read(move |c| crate::journal::list(c, &q)).await?))
}

/// The route of health, answered before every limit (and past the connection caps).
pub fn health_route() -> Router {
    Router::new().route(HEALTH_PATH, axum::routing::get(health))
}

/// The whole API. Limits: health first, outside every limit; a time limit per request (`request_timeout_seconds`), a body
/// limit per route (`max_body_bytes`, `max_import_bytes`), and at most
/// `max_concurrent_requests` requests at once (the others get 503 at once, never queued).
pub fn router(shop: Shop) -> Router {
    use axum::routing::{get, patch, post};
    let limit = shop.config.max_body_bytes;
    let import_limit = shop.config.max_import_bytes;
    let timeout = Duration::from_secs(shop.config.request_timeout_seconds);
    let api = Router::new()
        .route("/api/v1/catalog/import", post(catalog::import_catalog))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/shop", get(shop_info))
        .route("/api/v1/journal", get(get_journal))
        .route("/api/v1/articles", get(catalog::list_articles).post(catalog::create_article))
        .route("/api/v1/articles/{sku}", get(catalog::get_article).patch(catalog::update_article))
        .route("/api/v1/categories", get(catalog::list_categories).post(catalog::create_category))
        .route("/api/v1/categories/{code}", patch(catalog::update_category))
        .route("/api/v1/tax-rates", get(catalog::list_tax_rates).post(catalog::create_tax_rate))
        .route("/api/v1/tax-rates/{bp}", patch(catalog::update_tax_rate))
        .route("/api/v1/catalog/export", get(catalog::export_catalog))
        .route("/api/v1/registers", get(staff::list_registers).post(staff::create_register))
        .route("/api/v1/registers/{code}", patch(staff::update_register))
        .route("/api/v1/users", get(staff::list_users).post(staff::create_user))
        .route("/api/v1/users/{code}", patch(staff::update_user))
        .route("/api/v1/tickets", get(sales::list_tickets).post(sales::post_ticket))
        .route("/api/v1/tickets/{key}", get(sales::get_ticket))
        .route("/api/v1/closures", get(sales::list_closures).post(sales::post_closure))
        .route("/api/v1/verify", post(sales::verify_chains))
        .route("/api/v1/customers", get(customers::list_customers).post(customers::create_customer))
        .route("/api/v1/customers/{key}", get(customers::get_customer).patch(customers::update_customer))
        .route("/api/v1/customers/{key}/loyalty", get(customers::get_loyalty))
        .route("/api/v1/customers/{key}/offers", get(customers::get_offers))
        .route("/api/v1/registers/{code}/messages", get(customers::get_messages))
        .route("/api/v1/registers/{code}/messages/{id}/ack", post(customers::ack_message))
        .merge(stock::routes())
        .merge(registers::routes())
        .merge(peripherals::routes())
        .merge(app::routes())
        .merge(crate::register::routes())
        .merge(crate::backoffice::routes())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout));
    let api = shed(api, shop.config.max_concurrent_requests, SERVER).with_state(shop.clone());
    let stack = Stack {
        server: SERVER,
        max_body_bytes: limit,
        body_limits: vec![("/api/v1/catalog/import", import_limit), (crate::backoffice::IMPORT_PATH, import_limit)],
        body_read_timeout: Duration::from_secs(shop.config.body_read_timeout_seconds.max(1)),
        pages: vec!["/admin"],
        immutable: vec![
            ("/api/v1/tickets", "tickets", "les tickets"),
            ("/api/v1/closures", "closures", "les clôtures"),
        ],
    };
    stack.apply(api, health_route())
}
