//! The shop's HTTP API under `/api/v1`, JSON in and out, HTTP Basic on every route but
//! `/api/v1/health`. The OpenAPI document is generated from the handlers (utoipa) and
//! served at `/api/v1/openapi.json`.
//!
//! Errors: handlers return `ShopError`; [`localize`] renders it as
//! `{"kind", "message", "field"}` in the language of the request's `Accept-Language`.

mod app;
mod catalog;
mod customers;
mod extract;
pub mod registers;
mod sales;
mod staff;
pub mod stock;

use crate::error::ShopError;
use crate::shop::Shop;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use comptoir_core::Lang;
use std::sync::Arc;
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

pub use extract::{Body, Caller};

#[derive(OpenApi)]
#[openapi(
    info(title = "Comptoir shop API", description = "Register and back-office API of one Comptoir shop. Amounts are integer cents, tax included."),
    paths(
        health, openapi_json, shop_info,
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

/// The body of every refusal.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable.
    pub kind: String,
    /// For a person, in French or English after `Accept-Language`.
    pub message: String,
    /// The request field to blame, as a path (`lines[0].qty`).
    pub field: Option<String>,
    /// A refused CSV import: every bad row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<crate::error::RowError>>,
}

impl ShopError {
    fn render(&self, lang: Lang) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(kind = self.kind(), error = %self, "request failed");
        }
        let rows = match self {
            ShopError::CsvRejected { rows } => Some(rows.clone()),
            _ => None,
        };
        let body = ErrorBody { kind: self.kind().into(), message: self.message(lang), field: self.field(), rows };
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"comptoir\""));
        }
        let retry_after = match self {
            ShopError::TooManyAttempts { retry_after, .. } => Some(*retry_after),
            ShopError::Overloaded => Some(1),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl IntoResponse for ShopError {
    /// Rendered in English here; [`localize`] re-renders it in the caller's language.
    fn into_response(self) -> Response {
        let mut response = self.render(Lang::En);
        response.extensions_mut().insert(Arc::new(self));
        response
    }
}

/// Renders errors in the request's language, and turns the framework's own refusals
/// (body too large, unknown route, wrong method) into the same JSON shape.
async fn localize(axum::extract::State(shop): axum::extract::State<Shop>, request: Request, next: Next) -> Response {
    let lang = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_preference)
        .unwrap_or_default();
    let limit = if request.uri().path() == "/api/v1/catalog/import" {
        shop.config.max_import_bytes
    } else {
        shop.config.max_body_bytes
    };
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    if let Some(error) = response.extensions_mut().remove::<Arc<ShopError>>() {
        return match &*error {
            ShopError::PayloadTooLarge { .. } => ShopError::PayloadTooLarge { limit }.render(lang),
            e => e.render(lang),
        };
    }
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    match response.status() {
        StatusCode::NOT_FOUND if !is_json => ShopError::NoRoute { path }.render(lang),
        StatusCode::METHOD_NOT_ALLOWED => ShopError::MethodNotAllowed.render(lang),
        StatusCode::PAYLOAD_TOO_LARGE => ShopError::PayloadTooLarge { limit }.render(lang),
        StatusCode::REQUEST_TIMEOUT => ShopError::bad_request(
            "The request took too long and was stopped; nothing was written if it was a sale. Try again.",
            "La requête a pris trop de temps et a été arrêtée. Réessayez.",
            None,
        )
        .render(lang)
        .map_status(StatusCode::REQUEST_TIMEOUT),
        _ => response,
    }
}

trait MapStatus {
    fn map_status(self, status: StatusCode) -> Response;
}
impl MapStatus for Response {
    fn map_status(mut self, status: StatusCode) -> Response {
        *self.status_mut() = status;
        self
    }
}

#[utoipa::path(get, path = "/api/v1/health", security(()), responses((status = 200, description = "The shop server is up")))]
async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

#[utoipa::path(get, path = "/api/v1/openapi.json", responses((status = 200, description = "This document")))]
async fn openapi_json(_caller: Caller) -> axum::Json<utoipa::openapi::OpenApi> {
    let mut doc = ApiDoc::openapi();
    doc.merge(stock::StockDoc::openapi());
    doc.merge(registers::RegisterDoc::openapi());
    axum::Json(doc)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ShopInfo {
    pub code: String,
    pub name: String,
    pub version: String,
    /// The signed-in user.
    pub user: crate::staff::User,
}

#[utoipa::path(get, path = "/api/v1/shop", responses((status = 200, body = ShopInfo)))]
async fn shop_info(axum::extract::State(shop): axum::extract::State<Shop>, caller: Caller) -> axum::Json<ShopInfo> {
    axum::Json(ShopInfo {
        code: shop.code.clone(),
        name: shop.name.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        user: caller.0,
    })
}

/// The answer to a request refused because the server already serves as many as it may.
async fn overloaded(headers: axum::http::HeaderMap, _: tower::BoxError) -> Response {
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_preference)
        .unwrap_or_default();
    ShopError::Overloaded.render(lang)
}

/// The whole API. Limits: a time limit per request (`request_timeout_seconds`), a body
/// limit per route (`max_body_bytes`, `max_import_bytes`), and at most
/// `max_concurrent_requests` requests at once (the others get 503 at once, never queued).
pub fn router(shop: Shop) -> Router {
    use axum::routing::{get, patch, post};
    let limit = shop.config.max_body_bytes;
    let import_limit = shop.config.max_import_bytes;
    let timeout = Duration::from_secs(shop.config.request_timeout_seconds);
    let import = Router::new()
        .route("/api/v1/catalog/import", post(catalog::import_catalog))
        .layer(DefaultBodyLimit::max(import_limit));
    let api = Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/shop", get(shop_info))
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
        .merge(app::routes())
        .merge(crate::register::routes())
        .layer(DefaultBodyLimit::max(limit));
    let concurrency = shop.config.max_concurrent_requests.max(1);
    api.merge(import)
        .layer(axum::middleware::from_fn_with_state(shop.clone(), localize))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(
            tower::ServiceBuilder::new()
                .layer(axum::error_handling::HandleErrorLayer::new(overloaded))
                .load_shed()
                .concurrency_limit(concurrency),
        )
        .with_state(shop)
}
