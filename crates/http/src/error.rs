//! Error bodies, written once for both servers.
//!
//! A server's error implements [`HttpError`] (kind, status, message in a language, field);
//! [`respond`] renders it in English and keeps the error in the response, so that the
//! localisation layer ([`crate::layers`]) renders it again in the request's language.
//! [`CommonError`] holds the cases both servers share (not found, already exists, bad
//! request, conflict, no route, wrong method, payload too large, timeout, overloaded);
//! each server's error maps its own variants of those cases onto it and keeps only its own
//! cases on top.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comptoir_core::Lang;
use serde::Serialize;
use std::sync::Arc;

/// One refused row of a CSV import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RowError {
    /// Line number in the file, the header being line 1.
    pub line: usize,
    pub column: Option<String>,
    pub message: String,
}

/// The body of every refusal.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable.
    pub kind: String,
    /// For a person, in French or English after `Accept-Language`.
    pub message: String,
    /// The request field to blame, as a path (`lines[0].qty`, `barcodes[0]`).
    pub field: Option<String>,
    /// A refused CSV import: every bad row.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rows: Option<Vec<RowError>>,
}

/// What the HTTP layer needs of a server's error to answer with it.
pub trait HttpError: std::fmt::Debug + std::fmt::Display + Send + Sync + 'static {
    /// Stable, machine-readable.
    fn kind(&self) -> &'static str;
    /// The error's HTTP status (each server maps it in one place).
    fn status(&self) -> StatusCode;
    /// What went wrong and what to do about it.
    fn message(&self, lang: Lang) -> String;
    /// The request field to blame.
    fn field(&self) -> Option<String>;
    /// Every bad row of a refused CSV import.
    fn rows(&self) -> Option<Vec<RowError>> {
        None
    }
    /// Seconds to announce in `Retry-After` (429, 503).
    fn retry_after(&self) -> Option<u64> {
        None
    }
    /// The realm of the `WWW-Authenticate: Basic` challenge, on a refusal that asks for
    /// HTTP Basic credentials.
    fn basic_realm(&self) -> Option<&'static str> {
        None
    }
}

/// A server's name in messages that speak of it ("HQ is busy", "Le siège traite…").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerName {
    /// As the subject of an English sentence: "HQ", "The shop server".
    pub en: &'static str,
    /// As the subject of a French sentence: "Le siège", "Le serveur de la boutique".
    pub fr: &'static str,
}

/// The cases both servers share. Refusals of the HTTP layer itself (before a handler)
/// are these; a server's own error maps its variants of them here (see [`HttpError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommonError {
    #[error("{what} {key} not found")]
    NotFound { what: &'static str, what_fr: &'static str, key: String, field: Option<String> },
    #[error("{what} {key} already exists")]
    AlreadyExists { what: &'static str, what_fr: &'static str, key: String, field: Option<String> },
    #[error("{what} {key} is deactivated")]
    Inactive { what: &'static str, what_fr: &'static str, key: String, field: Option<String> },
    #[error("conflict: {en}")]
    Conflict { kind: &'static str, en: String, fr: String, field: Option<String> },
    /// A request refused as it is; `kind` names the refusal (`bad_request` for the
    /// framework's generic ones).
    #[error("bad request: {en}")]
    BadRequest { kind: &'static str, en: String, fr: String, field: Option<String> },
    #[error("no route {path}")]
    NoRoute { path: String },
    /// `immutable`: the route holds records that are never changed (tickets, closures),
    /// which the message says.
    #[error("method not allowed")]
    MethodNotAllowed { immutable: Option<(&'static str, &'static str)> },
    #[error("server busy")]
    Overloaded { server: ServerName },
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("request timed out")]
    Timeout,
}

/// A French noun with its article ("l'article", "la catégorie"), for the words that agree
/// with it: "créez-la", "désactivée".
struct French(&'static str);

impl French {
    fn feminine(&self) -> bool {
        // "l'" hides the gender: the feminine ones Comptoir names are listed.
        self.0.starts_with("la ") || matches!(self.0, "l'adresse" | "l'archive" | "l'imprimante")
    }
    fn pronoun(&self) -> &'static str {
        if self.feminine() { "la" } else { "le" }
    }
    fn agreement(&self) -> &'static str {
        if self.feminine() { "e" } else { "" }
    }
}

/// A sentence's first word with its capital letter.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The first characters of a refused value, for a message: a refused megabyte is not
/// worth sending back (issue 20).
pub fn short(text: &str) -> String {
    const KEEP: usize = 60;
    match text.char_indices().nth(KEEP) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

impl CommonError {
    pub fn bad_request(kind: &'static str, en: impl Into<String>, fr: impl Into<String>, field: Option<&str>) -> Self {
        CommonError::BadRequest { kind, en: en.into(), fr: fr.into(), field: field.map(str::to_string) }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            CommonError::NotFound { field: Some(_), .. } => StatusCode::UNPROCESSABLE_ENTITY,
            CommonError::NotFound { field: None, .. } => StatusCode::NOT_FOUND,
            CommonError::AlreadyExists { .. } | CommonError::Conflict { .. } => StatusCode::CONFLICT,
            CommonError::Inactive { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            CommonError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            CommonError::NoRoute { .. } => StatusCode::NOT_FOUND,
            CommonError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            CommonError::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            CommonError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            CommonError::Timeout => StatusCode::REQUEST_TIMEOUT,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            CommonError::NotFound { .. } => "not_found",
            CommonError::AlreadyExists { .. } => "already_exists",
            CommonError::Inactive { .. } => "inactive",
            CommonError::Conflict { kind, .. } | CommonError::BadRequest { kind, .. } => kind,
            CommonError::NoRoute { .. } => "no_route",
            CommonError::MethodNotAllowed { .. } => "method_not_allowed",
            CommonError::Overloaded { .. } => "overloaded",
            CommonError::PayloadTooLarge { .. } => "payload_too_large",
            CommonError::Timeout => "timeout",
        }
    }

    pub fn field(&self) -> Option<String> {
        match self {
            CommonError::NotFound { field, .. }
            | CommonError::AlreadyExists { field, .. }
            | CommonError::Inactive { field, .. }
            | CommonError::Conflict { field, .. }
            | CommonError::BadRequest { field, .. } => field.clone(),
            _ => None,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        use CommonError::*;
        match self {
            NotFound { what, what_fr, key, .. } => {
                let (key, noun) = (short(key), French(what_fr));
                lang.pick(
                    format!("{} {key} does not exist; check the code or create it first.", capitalized(what)),
                    format!(
                        "{} {key} n'existe pas ; vérifiez le code ou créez-{} d'abord.",
                        capitalized(what_fr),
                        noun.pronoun()
                    ),
                )
            }
            AlreadyExists { what, what_fr, key, .. } => {
                let (key, noun) = (short(key), French(what_fr));
                lang.pick(
                    format!(
                        "{} {key} already exists; choose another code or change the existing one.",
                        capitalized(what)
                    ),
                    format!(
                        "{} {key} existe déjà ; choisissez un autre code ou modifiez {what_fr} existant{}.",
                        capitalized(what_fr),
                        noun.agreement()
                    ),
                )
            }
            Inactive { what, what_fr, key, .. } => {
                let (key, noun) = (short(key), French(what_fr));
                lang.pick(
                    format!("{} {key} is deactivated; reactivate it to use it.", capitalized(what)),
                    format!(
                        "{} {key} est désactivé{} ; réactivez-{} pour l'utiliser.",
                        capitalized(what_fr),
                        noun.agreement(),
                        noun.pronoun()
                    ),
                )
            }
            Conflict { en, fr, .. } | BadRequest { en, fr, .. } => lang.pick(en.clone(), fr.clone()),
            NoRoute { path } => {
                let path = short(path);
                lang.pick(
                    format!("There is no route {path}; the routes are listed in /api/v1/openapi.json."),
                    format!("La route {path} n'existe pas ; les routes sont listées dans /api/v1/openapi.json."),
                )
            }
            MethodNotAllowed { immutable: None } => lang.pick(
                "This route does not take this method; see /api/v1/openapi.json.".into(),
                "Cette route n'accepte pas cette méthode ; voir /api/v1/openapi.json.".into(),
            ),
            MethodNotAllowed { immutable: Some((en, fr)) } => lang.pick(
                format!("This route does not take this method ({en} can never be changed or deleted)."),
                format!("Cette route n'accepte pas cette méthode ({fr} ne peuvent jamais être modifiés ni supprimés)."),
            ),
            Overloaded { server } => lang.pick(
                format!(
                    "{} is busy with too many requests at once; nothing was done. Try again in a second.",
                    server.en
                ),
                format!(
                    "{} traite trop de requêtes à la fois ; rien n'a été fait. Réessayez dans une seconde.",
                    server.fr
                ),
            ),
            PayloadTooLarge { limit } => lang.pick(
                format!("The request body is larger than {limit} bytes; send less at once."),
                format!("Le corps de la requête dépasse {limit} octets ; envoyez-en moins à la fois."),
            ),
            Timeout => lang.pick(
                "The request took too long and was stopped. Try again.".into(),
                "La requête a pris trop de temps et a été arrêtée. Réessayez.".into(),
            ),
        }
    }
}

impl HttpError for CommonError {
    fn kind(&self) -> &'static str {
        CommonError::kind(self)
    }
    fn status(&self) -> StatusCode {
        CommonError::status(self)
    }
    fn message(&self, lang: Lang) -> String {
        CommonError::message(self, lang)
    }
    fn field(&self) -> Option<String> {
        CommonError::field(self)
    }
    fn retry_after(&self) -> Option<u64> {
        matches!(self, CommonError::Overloaded { .. }).then_some(1)
    }
}

impl IntoResponse for CommonError {
    fn into_response(self) -> Response {
        respond(self)
    }
}

/// The error a response was made of, kept for the localisation layer.
#[derive(Clone)]
pub(crate) struct Rendered(pub(crate) Arc<dyn HttpError>);

/// Renders `error` in `lang`: its status, the JSON body, `Retry-After` and the Basic
/// challenge when it has them. A server error (5xx) is logged with its cause.
pub fn render(error: &dyn HttpError, lang: Lang) -> Response {
    let status = error.status();
    if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
        tracing::error!(kind = error.kind(), error = %error, "request failed");
    }
    let body =
        ErrorBody { kind: error.kind().into(), message: error.message(lang), field: error.field(), rows: error.rows() };
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(realm) = error.basic_realm()
        && let Ok(value) = HeaderValue::from_str(&format!("Basic realm=\"{realm}\""))
    {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    if let Some(seconds) = error.retry_after() {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The response of a handler's error: rendered in English, the error kept so that the
/// localisation layer renders it again in the request's language.
pub fn respond<E: HttpError>(error: E) -> Response {
    let mut response = render(&error, Lang::En);
    response.extensions_mut().insert(Rendered(Arc::new(error)));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_value_is_quoted_by_its_beginning_only() {
        let huge = "7".repeat(1_000_000);
        let e = CommonError::NotFound { what: "customer", what_fr: "le client", key: huge, field: None };
        assert!(e.message(Lang::En).len() < 200, "{}", e.message(Lang::En).len());
        assert!(e.message(Lang::Fr).starts_with("Le client 7777"));
        assert_eq!(short("é".repeat(70).as_str()).chars().count(), 61);
        assert_eq!(short("A1"), "A1");
    }

    #[test]
    fn french_words_agree_with_the_noun() {
        let category = |e: fn(&'static str, &'static str, String, Option<String>) -> CommonError| {
            e("category", "la catégorie", "BOUL".into(), None).message(Lang::Fr)
        };
        let inactive = category(|what, what_fr, key, field| CommonError::Inactive { what, what_fr, key, field });
        assert_eq!(inactive, "La catégorie BOUL est désactivée ; réactivez-la pour l'utiliser.");
        let missing = category(|what, what_fr, key, field| CommonError::NotFound { what, what_fr, key, field });
        assert_eq!(missing, "La catégorie BOUL n'existe pas ; vérifiez le code ou créez-la d'abord.");
        let article =
            CommonError::AlreadyExists { what: "article", what_fr: "l'article", key: "A1".into(), field: None };
        assert_eq!(
            article.message(Lang::Fr),
            "L'article A1 existe déjà ; choisissez un autre code ou modifiez l'article existant."
        );
        assert_eq!(
            article.message(Lang::En),
            "Article A1 already exists; choose another code or change the existing one."
        );
    }

    #[test]
    fn the_405_speaks_of_tickets_only_where_they_are() {
        let plain = CommonError::MethodNotAllowed { immutable: None };
        assert!(!plain.message(Lang::En).contains("ticket"));
        let tickets = CommonError::MethodNotAllowed { immutable: Some(("tickets", "les tickets")) };
        assert!(tickets.message(Lang::En).contains("tickets can never be changed"));
        assert!(tickets.message(Lang::Fr).contains("les tickets ne peuvent jamais"));
    }
}
