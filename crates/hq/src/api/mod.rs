//! HQ's HTTP API under `/api/v1`, JSON in and out.
//!
//! - Admin routes (catalog, shops, tickets, reports, quarantine, jobs): HTTP Basic with an
//!   admin account, or `Authorization: Bearer <API token>` (`comptoir hq token create`).
//! - Sync routes under `/api/v1/sync/` (see `comptoir_protocol`): the shop credential as a
//!   bearer token, and the `comptoir-protocol` header on every call.
//! - `/api/v1/health` needs nothing; the OpenAPI document is at `/api/v1/openapi.json`.
//!
//! Errors: handlers return `HqError`; the shared HTTP layer (`comptoir_http`) renders it
//! as `{"kind", "message", "field"}` in the language of the request's `Accept-Language`,
//! the framework's own refusals included.

pub mod admin;
mod customers;
mod extract;
pub mod fiscal;
pub mod stock;
mod sync;

use crate::error::SERVER;
use crate::hq::Hq;
use axum::Router;
use axum::http::StatusCode;
use comptoir_http::{HEALTH_PATH, Stack, shed};
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

pub use comptoir_http::{Body, ErrorBody, request_lang};
pub use extract::{AdminCaller, ShopCaller, SourceAddress};

#[derive(OpenApi)]
#[openapi(
    info(title = "Comptoir HQ API", description = "Admin and sync API of a Comptoir HQ. Amounts are integer cents, tax included."),
    paths(
        health, openapi_json,
        admin::list_articles, admin::create_article, admin::get_article, admin::update_article,
        admin::list_categories, admin::create_category, admin::update_category,
        admin::list_tax_rates, admin::create_tax_rate, admin::update_tax_rate,
        admin::export_catalog, admin::import_catalog,
        admin::list_shops, admin::create_shop, admin::revoke_shop, admin::new_enrolment_token,
        admin::list_tickets, admin::sales_report, admin::list_quarantine, admin::list_chain_events,
        admin::create_job, admin::list_jobs,
        customers::list_customers, customers::create_customer, customers::get_customer,
        customers::update_customer, customers::merge_customer, customers::erase_customer,
        customers::get_loyalty, customers::post_loyalty, customers::get_rule, customers::put_rule,
        customers::list_offers, customers::create_offer, customers::list_messages, customers::create_message,
        sync::enrol, sync::hello, sync::snapshot, sync::feed, sync::push, sync::report_job,
        fiscal::list_journal, fiscal::list_archives, fiscal::get_archive, fiscal::upload_archive,
    ),
    components(schemas(ErrorBody, crate::error::RowError)),
    modifiers(&Security),
    security(("basic" = []), ("bearer" = []))
)]
pub struct ApiDoc;

struct Security;
impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An admin API token, or a shop credential on /api/v1/sync/ routes"))
                    .build(),
            ),
        );
    }
}

#[utoipa::path(get, path = "/api/v1/health", security(()), responses((status = 200, description = "HQ is up")))]
async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

#[utoipa::path(get, path = "/api/v1/openapi.json", responses((status = 200, description = "This document")))]
async fn openapi_json(_caller: AdminCaller) -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(document())
}

/// The whole OpenAPI document of HQ's API: every part's paths in one.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(stock::StockDoc::openapi());
    doc
}

/// The route of health, answered before every limit (and past the connection caps).
pub fn health_route() -> Router {
    Router::new().route(HEALTH_PATH, axum::routing::get(health))
}

/// The whole API.
///
/// Limits: health first, outside every limit; every route has a time limit (`request_timeout_seconds`; the long-polled feed
/// its longest wait plus that), a body limit (`max_body_bytes`) and a share of the
/// concurrency limit (`max_concurrent_requests`; waiting feeds `max_waiting_feeds`).
pub fn router(hq: Hq) -> Router {
    use axum::routing::{get, patch, post};
    let limit = hq.config.max_body_bytes;
    let timeout = Duration::from_secs(hq.config.request_timeout_seconds);
    let feed_wait = hq.config.feed_poll_max_seconds.min(comptoir_protocol::MAX_WAIT_SECONDS);
    let feed_timeout = Duration::from_secs(feed_wait + hq.config.request_timeout_seconds.max(1));
    let bounded = Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/articles", get(admin::list_articles).post(admin::create_article))
        .route("/api/v1/articles/{sku}", get(admin::get_article).patch(admin::update_article))
        .route("/api/v1/categories", get(admin::list_categories).post(admin::create_category))
        .route("/api/v1/categories/{code}", patch(admin::update_category))
        .route("/api/v1/tax-rates", get(admin::list_tax_rates).post(admin::create_tax_rate))
        .route("/api/v1/tax-rates/{bp}", patch(admin::update_tax_rate))
        .route("/api/v1/catalog/export", get(admin::export_catalog))
        .route("/api/v1/catalog/import", post(admin::import_catalog))
        .route("/api/v1/shops", get(admin::list_shops).post(admin::create_shop))
        .route("/api/v1/shops/{code}/revoke", post(admin::revoke_shop))
        .route("/api/v1/shops/{code}/enrolment-token", post(admin::new_enrolment_token))
        .route("/api/v1/tickets", get(admin::list_tickets))
        .route("/api/v1/reports/sales", get(admin::sales_report))
        .route("/api/v1/quarantine", get(admin::list_quarantine))
        .route("/api/v1/chain-events", get(admin::list_chain_events))
        .route("/api/v1/jobs", get(admin::list_jobs).post(admin::create_job))
        .route("/api/v1/customers", get(customers::list_customers).post(customers::create_customer))
        .route("/api/v1/customers/{id}", get(customers::get_customer).patch(customers::update_customer))
        .route("/api/v1/customers/{id}/merge", post(customers::merge_customer))
        .route("/api/v1/customers/{id}/erase", post(customers::erase_customer))
        .route("/api/v1/customers/{id}/loyalty", get(customers::get_loyalty).post(customers::post_loyalty))
        .route("/api/v1/loyalty/rule", get(customers::get_rule).put(customers::put_rule))
        .route("/api/v1/offers", get(customers::list_offers).post(customers::create_offer))
        .route("/api/v1/messages", get(customers::list_messages).post(customers::create_message))
        .route("/api/v1/sync/enrol", post(sync::enrol))
        .route("/api/v1/sync/hello", get(sync::hello))
        .route("/api/v1/sync/push", post(sync::push))
        .route("/api/v1/sync/jobs/{id}", post(sync::report_job))
        .route("/api/v1/sync/archives", post(fiscal::upload_archive))
        .route("/api/v1/shops/{code}/journal", get(fiscal::list_journal))
        .route("/api/v1/shops/{code}/archives", get(fiscal::list_archives))
        .route("/api/v1/shops/{code}/archives/{name}", get(fiscal::get_archive))
        // The snapshot's limit is for its first page: the stream then goes on by itself.
        .route("/api/v1/sync/snapshot", get(sync::snapshot))
        // The web dashboard (docs/dashboard.md), under the same limits.
        .merge(crate::dashboard::routes())
        .merge(stock::routes())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout));
    let feed = Router::new()
        .route("/api/v1/sync/feed", get(sync::feed))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, feed_timeout));
    let api = shed(bounded, hq.config.max_concurrent_requests, SERVER)
        .merge(shed(feed, hq.config.max_waiting_feeds, SERVER))
        .with_state(hq.clone());
    let stack = Stack {
        server: SERVER,
        max_body_bytes: limit,
        // An archive is one file of a period's records, larger than any other request.
        body_limits: vec![("/api/v1/sync/archives", comptoir_protocol::MAX_ARCHIVE_BYTES)],
        body_read_timeout: Duration::from_secs(hq.config.body_read_timeout_seconds.max(1)),
        // The dashboard renders its own pages and refusals (HTML).
        pages: vec!["/", "/dashboard"],
        immutable: Vec::new(),
    };
    stack.apply(api, health_route())
}
