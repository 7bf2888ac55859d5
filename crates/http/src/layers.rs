//! One stack of layers for both servers' routers, outermost first:
//!
//! 1. health: `GET /api/v1/health` is answered before anything else (no sign-in, no
//!    limit, no load shedding), so a monitor sees a busy server as up;
//! 2. localisation: every refusal is rendered in the request's language, the framework's
//!    own included (no route, wrong method, bad query string or path value, body too
//!    large, timeout), as the JSON error body;
//! 3. body limit: a request announcing (`Content-Length`) more than its route's limit is
//!    refused with 413 at once, before a byte of its body is read; a body without a length
//!    is cut at the limit while read; a body whose next bytes take longer than the body
//!    read timeout is dropped.
//!
//! Load shedding ([`shed`]) is given by each server to the routes it bounds.

use crate::error::{CommonError, Rendered, ServerName, render, respond};
use crate::extract::{request_lang, short_detail};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::Duration;

/// The path every monitor asks.
pub const HEALTH_PATH: &str = "/api/v1/health";

/// The body limit of the request being served, for the extractors' refusals.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// What a server gives the stack.
#[derive(Debug, Clone)]
pub struct Stack {
    pub server: ServerName,
    /// Largest request body, in bytes, on every route not in `body_limits`.
    pub max_body_bytes: usize,
    /// Routes (exact paths) with their own body limit.
    pub body_limits: Vec<(&'static str, usize)>,
    /// Longest wait for the next bytes of a request body.
    pub body_read_timeout: Duration,
    /// Path prefixes that render their own pages and refusals (HTML): left alone.
    pub pages: Vec<&'static str>,
    /// Path prefixes of records never changed or deleted, with their names (en, fr), for
    /// the message of a 405 there.
    pub immutable: Vec<(&'static str, &'static str, &'static str)>,
}

impl Stack {
    fn limit_for(&self, path: &str) -> usize {
        self.body_limits.iter().find(|(p, _)| *p == path).map(|(_, l)| *l).unwrap_or(self.max_body_bytes)
    }

    fn is_page(&self, path: &str) -> bool {
        self.pages.iter().any(|p| if p.ends_with('/') || *p == "/" { path == *p } else { path.starts_with(p) })
    }

    /// `api` (its state given) under the stack, with `health` (the route of
    /// [`HEALTH_PATH`]) in front of everything.
    pub fn apply(self, api: Router, health: Router) -> Router {
        let stack = Arc::new(self);
        let api = api
            .layer(DefaultBodyLimit::disable())
            .layer(axum::middleware::from_fn_with_state(stack.clone(), body_limit))
            .layer(axum::middleware::from_fn_with_state(stack, localize));
        health.merge(api)
    }
}

/// What a connection past the connection caps is served: health, and 503 for the rest.
pub fn overflow(health: Router, server: ServerName) -> Router {
    health.fallback(move || async move { render(&CommonError::Overloaded { server }, crate::Lang::En) }).layer(
        axum::middleware::from_fn(move |request: Request, next: Next| async move {
            let lang = request_lang(request.headers());
            let response = next.run(request).await;
            if response.status() == StatusCode::SERVICE_UNAVAILABLE {
                return render(&CommonError::Overloaded { server }, lang);
            }
            response
        }),
    )
}

/// At most `max` requests of `router` at once; the others get 503 at once, never queued.
pub fn shed<S: Clone + Send + Sync + 'static>(router: Router<S>, max: usize, server: ServerName) -> Router<S> {
    router.layer(
        tower::ServiceBuilder::new()
            .layer(axum::error_handling::HandleErrorLayer::new(move |_: tower::BoxError| async move {
                respond(CommonError::Overloaded { server })
            }))
            .load_shed()
            .concurrency_limit(max.max(1)),
    )
}

async fn body_limit(State(stack): State<Arc<Stack>>, request: Request, next: Next) -> Response {
    let limit = stack.limit_for(request.uri().path());
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        // Refused on its word: waiting for 64 MiB to refuse them is what a slow attacker wants.
        return respond(CommonError::PayloadTooLarge { limit });
    }
    let timeout = stack.body_read_timeout;
    let mut request = request.map(|body| {
        axum::body::Body::new(http_body_util::Limited::new(tower_http::timeout::TimeoutBody::new(timeout, body), limit))
    });
    request.extensions_mut().insert(BodyLimit(limit));
    next.run(request).await
}

/// A framework refusal's own text, bounded (it is plain text of a line or two).
async fn framework_text(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024).await.unwrap_or_default();
    short_detail(String::from_utf8_lossy(&bytes).trim())
}

async fn localize(State(stack): State<Arc<Stack>>, request: Request, next: Next) -> Response {
    let lang = request_lang(request.headers());
    let path = request.uri().path().to_string();
    if stack.is_page(&path) {
        return next.run(request).await;
    }
    let mut response = next.run(request).await;
    if let Some(Rendered(error)) = response.extensions_mut().remove::<Rendered>() {
        return render(&*error, lang);
    }
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || response.status().is_success() {
        return response;
    }
    let error = match response.status() {
        StatusCode::NOT_FOUND => CommonError::NoRoute { path },
        StatusCode::METHOD_NOT_ALLOWED => CommonError::MethodNotAllowed {
            immutable: stack.immutable.iter().find(|(p, _, _)| path.starts_with(p)).map(|(_, en, fr)| (*en, *fr)),
        },
        StatusCode::PAYLOAD_TOO_LARGE => CommonError::PayloadTooLarge { limit: stack.limit_for(&path) },
        StatusCode::REQUEST_TIMEOUT => CommonError::Timeout,
        status if status.is_client_error() => {
            let text = framework_text(response).await;
            refusal_of(&text)
        }
        _ => return response,
    };
    render(&error, lang)
}

/// The framework's refusal of a query string or a path value, as an error body.
fn refusal_of(text: &str) -> CommonError {
    if let Some(detail) = text.strip_prefix("Failed to deserialize query string: ") {
        CommonError::bad_request(
            "bad_query",
            format!("The query string is not valid: {detail}. The route's parameters are in /api/v1/openapi.json."),
            format!(
                "Les paramètres de l'adresse (après « ? ») ne sont pas valides : {detail}. Ceux de la route sont dans /api/v1/openapi.json."
            ),
            None,
        )
    } else if text.starts_with("Invalid URL") || text.contains("path") {
        CommonError::bad_request(
            "bad_path",
            format!("A value in the address is not valid: {text}."),
            format!("Une valeur de l'adresse n'est pas valide : {text}."),
            None,
        )
    } else if text.contains("timed out") {
        CommonError::Timeout
    } else {
        CommonError::bad_request(
            "bad_request",
            format!("The request cannot be read: {text}."),
            format!("La requête est illisible : {text}."),
            None,
        )
    }
}
