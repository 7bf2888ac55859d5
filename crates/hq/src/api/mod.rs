//! HQ's HTTP API under `/api/v1`, JSON in and out.
//!
//! - Admin routes (catalog, shops, tickets, reports, quarantine, jobs): HTTP Basic with an
//!   admin account, or `Authorization: Bearer <API token>` (`comptoir hq token create`).
//! - Sync routes under `/api/v1/sync/` (see `comptoir_protocol`): the shop credential as a
//!   bearer token, and the `comptoir-protocol` header on every call.
//! - `/api/v1/health` needs nothing; the OpenAPI document is at `/api/v1/openapi.json`.
//!
//! Errors: handlers return `HqError`; [`localize`] renders it as `{"kind", "message",
//! "field"}` in the language of the request's `Accept-Language`.

pub mod admin;
mod customers;
mod extract;
pub mod stock;
mod sync;

use crate::error::HqError;
use crate::hq::Hq;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use comptoir_core::Lang;
use std::sync::Arc;
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

pub use extract::{AdminCaller, Body, ShopCaller, SourceAddress};

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

/// The body of every refusal.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable.
    pub kind: String,
    /// For a person, in French or English after `Accept-Language`.
    pub message: String,
    /// The request field to blame, as a path (`barcodes[0]`).
    pub field: Option<String>,
    /// A refused CSV import: every bad row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<crate::error::RowError>>,
}

impl HqError {
    fn render(&self, lang: Lang) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(kind = self.kind(), error = %self, "request failed");
        }
        let rows = match self {
            HqError::CsvRejected { rows } => Some(rows.clone()),
            _ => None,
        };
        let body = ErrorBody { kind: self.kind().into(), message: self.message(lang), field: self.field(), rows };
        let mut response = (status, axum::Json(body)).into_response();
        if matches!(self, HqError::Unauthorized) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"comptoir-hq\""));
        }
        let retry_after = match self {
            HqError::TooManyAttempts { retry_after, .. } => Some(*retry_after),
            HqError::Overloaded => Some(1),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl IntoResponse for HqError {
    /// Rendered in English here; [`localize`] re-renders it in the caller's language.
    fn into_response(self) -> Response {
        let mut response = self.render(Lang::En);
        response.extensions_mut().insert(Arc::new(self));
        response
    }
}

/// The language a request prefers.
pub fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
    headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(Lang::from_preference).unwrap_or_default()
}

/// Renders errors in the request's language, and turns the framework's own refusals (body
/// too large, unknown route, wrong method, timeout) into the same JSON shape.
async fn localize(State(hq): State<Hq>, request: Request, next: Next) -> Response {
    let lang = request_lang(request.headers());
    let limit = hq.config.max_body_bytes;
    let path = request.uri().path().to_string();
    if path == "/" || path.starts_with("/dashboard") {
        // The dashboard renders its own pages and refusals (HTML).
        return next.run(request).await;
    }
    let mut response = next.run(request).await;
    if let Some(error) = response.extensions_mut().remove::<Arc<HqError>>() {
        return match &*error {
            HqError::PayloadTooLarge { .. } => HqError::PayloadTooLarge { limit }.render(lang),
            e => e.render(lang),
        };
    }
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    match response.status() {
        StatusCode::NOT_FOUND if !is_json => HqError::NoRoute { path }.render(lang),
        StatusCode::METHOD_NOT_ALLOWED => HqError::MethodNotAllowed.render(lang),
        StatusCode::PAYLOAD_TOO_LARGE => HqError::PayloadTooLarge { limit }.render(lang),
        StatusCode::REQUEST_TIMEOUT if !is_json => HqError::Timeout.render(lang),
        _ => response,
    }
}

#[utoipa::path(get, path = "/api/v1/health", security(()), responses((status = 200, description = "HQ is up")))]
async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

#[utoipa::path(get, path = "/api/v1/openapi.json", responses((status = 200, description = "This document")))]
async fn openapi_json(_caller: AdminCaller) -> axum::Json<utoipa::openapi::OpenApi> {
    let mut doc = ApiDoc::openapi();
    doc.merge(stock::StockDoc::openapi());
    axum::Json(doc)
}

/// The answer to a request refused because the server already serves as many as it may.
async fn overloaded(headers: axum::http::HeaderMap, _: tower::BoxError) -> Response {
    HqError::Overloaded.render(request_lang(&headers))
}

/// At most `max` requests of `router` at once; the others get 503 at once (never queued).
fn bounded_concurrency(router: Router<Hq>, max: usize) -> Router<Hq> {
    router.layer(
        tower::ServiceBuilder::new()
            .layer(axum::error_handling::HandleErrorLayer::new(overloaded))
            .load_shed()
            .concurrency_limit(max.max(1)),
    )
}

/// The whole API.
///
/// Limits: every route has a time limit (`request_timeout_seconds`; the long-polled feed
/// its longest wait plus that), a body limit (`max_body_bytes`) and a share of the
/// concurrency limit (`max_concurrent_requests`; waiting feeds `max_waiting_feeds`).
pub fn router(hq: Hq) -> Router {
    use axum::routing::{get, patch, post};
    let limit = hq.config.max_body_bytes;
    let timeout = Duration::from_secs(hq.config.request_timeout_seconds);
    let feed_wait = hq.config.feed_poll_max_seconds.min(comptoir_protocol::MAX_WAIT_SECONDS);
    let feed_timeout = Duration::from_secs(feed_wait + hq.config.request_timeout_seconds.max(1));
    let bounded = Router::new()
        .route("/api/v1/health", get(health))
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
        // The snapshot's limit is for its first page: the stream then goes on by itself.
        .route("/api/v1/sync/snapshot", get(sync::snapshot))
        // The web dashboard (docs/dashboard.md), under the same limits.
        .merge(crate::dashboard::routes())
        .merge(stock::routes())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout));
    let feed = Router::new()
        .route("/api/v1/sync/feed", get(sync::feed))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, feed_timeout));
    bounded_concurrency(bounded, hq.config.max_concurrent_requests)
        .merge(bounded_concurrency(feed, hq.config.max_waiting_feeds))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(hq.clone(), localize))
        .with_state(hq)
}
