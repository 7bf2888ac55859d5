//! `HqError`: every way an HQ operation can fail, for the API, the CLI and every storage
//! backend alike.
//!
//! [`HqError::status`] is the one place an error becomes an HTTP status; the body is always
//! `{"kind", "message", "field"}` (plus `rows` for a refused CSV import), with the message
//! in the language the request prefers (rendered by `comptoir_http`). Kinds are stable:
//! programs (the shop's sync agent first) match on them. The cases both servers share
//! (not found, bad request, payload too large, ...) are worded once, in
//! [`comptoir_http::CommonError`]; [`HqError::common`] maps HQ's variants onto them.

use axum::http::StatusCode;
use comptoir_core::{DomainError, Lang};
pub use comptoir_http::RowError;
use comptoir_http::{CommonError, ServerName};

/// HQ in the messages that speak of the server.
pub const SERVER: ServerName = ServerName { en: "HQ", fr: "Le siège" };

#[derive(Debug, thiserror::Error)]
pub enum HqError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{what} {key} not found")]
    NotFound { what: &'static str, key: String, field: Option<String> },
    #[error("{what} {key} already exists")]
    AlreadyExists { what: &'static str, key: String, field: Option<String> },
    #[error("{what} {key} is deactivated")]
    Inactive { what: &'static str, key: String, field: Option<String> },
    #[error("conflict: {en}")]
    Conflict { en: String, fr: String, field: Option<String> },
    /// A request refused as it is, with its own stable kind (`bad_postal_code`, `bad_week`).
    #[error("{kind}: {en}")]
    Invalid { kind: &'static str, en: String, fr: String, field: Option<String> },
    #[error("no route {path}")]
    NoRoute { path: String },
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("missing or wrong admin credentials")]
    Unauthorized,
    #[error("unknown or revoked shop credential")]
    InvalidCredential,
    /// Too many failed sign-ins or enrolments: the account (or, with `address`, the
    /// caller's address) is locked for `retry_after` seconds (429 with Retry-After).
    #[error("too many failed attempts; retry in {retry_after} s")]
    TooManyAttempts { retry_after: u64, address: bool },
    /// HQ is serving as many requests as it may at once (503 with Retry-After).
    #[error("server busy")]
    Overloaded,
    #[error("TLS {path}: {en}")]
    Tls { path: String, en: String, fr: String },
    #[error("unknown, used or expired enrolment token")]
    InvalidEnrolmentToken,
    #[error("unsupported protocol {got:?}")]
    UnsupportedProtocol { got: Option<String> },
    #[error("request body too large")]
    PayloadTooLarge { limit: usize },
    #[error("batch of {records} records, more than {max}")]
    BatchTooLarge { records: usize, max: usize },
    #[error("CSV import refused: {} bad rows", rows.len())]
    CsvRejected { rows: Vec<RowError> },
    /// Several writes refused in one transaction (nothing written); the index is the
    /// position of the write in the list given to the storage.
    #[error("{} writes refused", .0.len())]
    Rows(Vec<(usize, HqError)>),
    #[error("request timed out")]
    Timeout,
    #[error("no HQ in {place}")]
    NotInitialised { place: String },
    #[error("an HQ already exists in {place}")]
    AlreadyInitialised { place: String },
    #[error("database schema {found} is newer than this program ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("database URL {url:?}: {en}")]
    DatabaseUrl { url: String, en: String, fr: String },
    #[error("configuration: {0}")]
    Config(String),
    #[error("storage: {0}")]
    Storage(String),
}

impl From<comptoir_http::serve::TlsError> for HqError {
    fn from(e: comptoir_http::serve::TlsError) -> Self {
        HqError::Tls { path: e.path, en: e.en, fr: e.fr }
    }
}

/// The facts a storage method reports, as the API's errors: the one place they get a
/// status (through the variant) and a message.
impl From<crate::storage::StorageError> for HqError {
    fn from(e: crate::storage::StorageError) -> Self {
        use crate::storage::{Conflict, StorageError as S};
        match e {
            S::NotFound { what, key, field } => HqError::NotFound { what, key, field },
            S::AlreadyExists { what, key, field } => HqError::AlreadyExists { what, key, field },
            S::Conflict(Conflict::MergeIntoItself) => HqError::conflict(
                "A customer cannot be merged into itself.",
                "Un client ne peut pas être fusionné avec lui-même.",
                Some("into"),
            ),
            S::Conflict(Conflict::CustomerMergedOrErased { id }) => HqError::conflict(
                format!("Customer {id} is already merged or erased; merge the record it was merged into."),
                format!("Le client {id} est déjà fusionné ou effacé ; fusionnez la fiche qui l'a absorbé."),
                Some("into"),
            ),
            S::ArticlesRefused(rows) => HqError::Rows(rows.into_iter().map(|(i, r)| (i, r.into())).collect()),
            S::EnrolmentTokenRefused => HqError::InvalidEnrolmentToken,
            S::NotInitialised { place } => HqError::NotInitialised { place },
            S::AlreadyInitialised { place } => HqError::AlreadyInitialised { place },
            S::SchemaTooNew { found, supported } => HqError::SchemaTooNew { found, supported },
            S::Database(cause) => HqError::Storage(cause),
        }
    }
}

impl From<crate::articles::Refusal> for HqError {
    fn from(r: crate::articles::Refusal) -> Self {
        use crate::articles::Refusal as A;
        let rate_key = |rate: comptoir_core::TaxRate| format!("{} %", rate.percent_text());
        match r {
            A::TaxRateUnknown(rate) => {
                HqError::NotFound { what: "tax rate", key: rate_key(rate), field: Some("tax_rate_bp".into()) }
            }
            A::TaxRateInactive(rate) => {
                HqError::Inactive { what: "tax rate", key: rate_key(rate), field: Some("tax_rate_bp".into()) }
            }
            A::CategoryUnknown(code) => {
                HqError::NotFound { what: "category", key: code, field: Some("category".into()) }
            }
            A::SkuTaken(sku) => HqError::AlreadyExists { what: "article", key: sku, field: Some("sku".into()) },
            A::SkuUnknown(sku) => HqError::NotFound { what: "article", key: sku, field: None },
            A::NewArticleIncomplete => HqError::invalid(
                "new_article_incomplete",
                "A new article needs a name, a price and a tax rate.",
                "Un nouvel article demande un nom, un prix et un taux de TVA.",
                Some("name"),
            ),
            A::BarcodeHeld { index, code, sku } => HqError::conflict(
                format!("Barcode {code} already belongs to article {sku}; a barcode identifies one article."),
                format!(
                    "Le code-barres {code} appartient déjà à l'article {sku} ; un code-barres désigne un seul article."
                ),
                Some(&format!("barcodes[{index}]")),
            ),
        }
    }
}

impl From<std::io::Error> for HqError {
    fn from(e: std::io::Error) -> Self {
        HqError::Storage(e.to_string())
    }
}

fn what_fr(what: &'static str) -> &'static str {
    match what {
        "article" => "l'article",
        "barcode" => "le code-barres",
        "category" => "la catégorie",
        "tax rate" => "le taux de TVA",
        "shop" => "le magasin",
        "job" => "la tâche",
        "admin" => "l'administrateur",
        "user" => "l'utilisateur",
        other => other,
    }
}

impl HqError {
    /// A request refused as it is, with its own stable kind.
    pub fn invalid(kind: &'static str, en: impl Into<String>, fr: impl Into<String>, field: Option<&str>) -> HqError {
        HqError::Invalid { kind, en: en.into(), fr: fr.into(), field: field.map(str::to_string) }
    }

    pub fn conflict(en: impl Into<String>, fr: impl Into<String>, field: Option<&str>) -> HqError {
        HqError::Conflict { en: en.into(), fr: fr.into(), field: field.map(str::to_string) }
    }

    /// A single refused write comes back as itself, several as [`HqError::Rows`].
    pub fn single(self) -> HqError {
        match self {
            HqError::Rows(mut rows) if rows.len() == 1 => rows.remove(0).1,
            e => e,
        }
    }

    /// The case both servers share that this error is, if it is one.
    pub fn common(&self) -> Option<CommonError> {
        let text = |en: &String, fr: &String, field: &Option<String>| (en.clone(), fr.clone(), field.clone());
        Some(match self {
            HqError::NotFound { what, key, field } => {
                CommonError::NotFound { what, what_fr: what_fr(what), key: key.clone(), field: field.clone() }
            }
            HqError::AlreadyExists { what, key, field } => {
                CommonError::AlreadyExists { what, what_fr: what_fr(what), key: key.clone(), field: field.clone() }
            }
            HqError::Inactive { what, key, field } => {
                CommonError::Inactive { what, what_fr: what_fr(what), key: key.clone(), field: field.clone() }
            }
            HqError::Conflict { en, fr, field } => {
                let (en, fr, field) = text(en, fr, field);
                CommonError::Conflict { kind: "conflict", en, fr, field }
            }
            HqError::Invalid { kind, en, fr, field } => {
                let (en, fr, field) = text(en, fr, field);
                CommonError::BadRequest { kind, en, fr, field }
            }
            HqError::NoRoute { path } => CommonError::NoRoute { path: path.clone() },
            HqError::MethodNotAllowed => CommonError::MethodNotAllowed { immutable: None },
            HqError::Overloaded => CommonError::Overloaded { server: SERVER },
            HqError::PayloadTooLarge { limit } => CommonError::PayloadTooLarge { limit: *limit },
            HqError::Timeout => CommonError::Timeout,
            _ => return None,
        })
    }

    /// The HTTP status of each error: the only mapping in HQ (the shared cases in
    /// [`CommonError::status`]).
    pub fn status(&self) -> StatusCode {
        if let Some(common) = self.common() {
            return common.status();
        }
        match self {
            HqError::Domain(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HqError::Unauthorized | HqError::InvalidCredential | HqError::InvalidEnrolmentToken => {
                StatusCode::UNAUTHORIZED
            }
            HqError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            HqError::UnsupportedProtocol { .. } => StatusCode::BAD_REQUEST,
            HqError::BatchTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            HqError::CsvRejected { .. } | HqError::Rows(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HqError::NotFound { .. }
            | HqError::AlreadyExists { .. }
            | HqError::Inactive { .. }
            | HqError::Conflict { .. }
            | HqError::Invalid { .. }
            | HqError::NoRoute { .. }
            | HqError::MethodNotAllowed
            | HqError::Overloaded
            | HqError::PayloadTooLarge { .. }
            | HqError::Timeout => unreachable!("a common case, answered above"),
            HqError::NotInitialised { .. }
            | HqError::AlreadyInitialised { .. }
            | HqError::SchemaTooNew { .. }
            | HqError::DatabaseUrl { .. }
            | HqError::Config(_)
            | HqError::Tls { .. }
            | HqError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable kind.
    pub fn kind(&self) -> &'static str {
        if let Some(common) = self.common() {
            return common.kind();
        }
        match self {
            HqError::Domain(d) => d.kind(),
            HqError::Unauthorized => "unauthorized",
            HqError::InvalidCredential => "invalid_credential",
            HqError::InvalidEnrolmentToken => "invalid_enrolment_token",
            HqError::TooManyAttempts { .. } => "too_many_attempts",
            HqError::Tls { .. } => "tls",
            HqError::UnsupportedProtocol { .. } => "unsupported_protocol",
            HqError::BatchTooLarge { .. } => "batch_too_large",
            HqError::CsvRejected { .. } => "csv_rejected",
            HqError::Rows(_) => "rows_rejected",
            HqError::NotInitialised { .. } => "not_initialised",
            HqError::AlreadyInitialised { .. } => "already_initialised",
            HqError::SchemaTooNew { .. } => "schema_too_new",
            HqError::DatabaseUrl { .. } => "database_url",
            HqError::Config(_) => "config",
            HqError::Storage(_) => "storage",
            _ => unreachable!("a common case, answered above"),
        }
    }

    pub fn field(&self) -> Option<String> {
        if let Some(common) = self.common() {
            return common.field();
        }
        match self {
            HqError::Domain(d) => d.field(),
            HqError::BatchTooLarge { .. } => Some("records".into()),
            HqError::InvalidEnrolmentToken => Some("token".into()),
            _ => None,
        }
    }

    /// What went wrong and what to do about it.
    pub fn message(&self, lang: Lang) -> String {
        use HqError::*;
        if let Some(common) = self.common() {
            return common.message(lang);
        }
        match self {
            Domain(d) => d.message(lang),
            Unauthorized => lang.pick(
                "Missing or wrong credentials: sign in with HTTP Basic (admin user and password) or send Authorization: Bearer <API token> (comptoir hq token create).".into(),
                "Identifiants absents ou faux : identifiez-vous en HTTP Basic (administrateur et mot de passe) ou envoyez Authorization: Bearer <jeton d'API> (comptoir hq token create).".into(),
            ),
            InvalidCredential => lang.pick(
                "This shop credential is unknown or was revoked: ask HQ for a new enrolment token (comptoir hq shop token --data-dir DIR SHOP) and enrol the shop again (comptoir shop enroll).".into(),
                "Ce certificat de magasin est inconnu ou a été révoqué : demandez au siège un nouveau jeton d'enrôlement (comptoir hq shop token --data-dir DIR MAGASIN) et enrôlez à nouveau le magasin (comptoir shop enroll).".into(),
            ),
            InvalidEnrolmentToken => lang.pick(
                "This enrolment token is unknown, already used or expired (a token works once): ask HQ for a new enrolment token: comptoir hq shop token --data-dir DIR SHOP.".into(),
                "Ce jeton d'enrôlement est inconnu, déjà utilisé ou expiré (un jeton ne sert qu'une fois) : demandez au siège un nouveau jeton : comptoir hq shop token --data-dir DIR MAGASIN.".into(),
            ),
            TooManyAttempts { retry_after, address: false } => lang.pick(
                format!("Too many wrong passwords for this account: it is locked for {retry_after} more seconds. Wait, then sign in again."),
                format!("Trop de mots de passe faux pour ce compte : il est bloqué encore {retry_after} secondes. Patientez, puis reconnectez-vous."),
            ),
            TooManyAttempts { retry_after, address: true } => lang.pick(
                format!("Too many failed sign-ins or enrolments from this address: it is locked for {retry_after} more seconds. Wait, then try again with the right password or a new enrolment token."),
                format!("Trop de connexions ou d'enrôlements manqués depuis cette adresse : elle est bloquée encore {retry_after} secondes. Patientez, puis réessayez avec le bon mot de passe ou un nouveau jeton d'enrôlement."),
            ),
            Tls { path, en, fr } => lang.pick(
                format!("HTTPS cannot start with {path}: {en}"),
                format!("HTTPS ne peut pas démarrer avec {path} : {fr}"),
            ),
            UnsupportedProtocol { got } => {
                let accepted = comptoir_protocol::SUPPORTED_PROTOCOLS.map(|v| v.to_string()).join(", ");
                let got = got.clone().unwrap_or_else(|| "none".into());
                lang.pick(
                    format!("Protocol version {got} is not supported: this HQ accepts comptoir-protocol {accepted}. Update the shop's Comptoir (or HQ's) so that they speak the same protocol."),
                    format!("La version de protocole {got} n'est pas prise en charge : ce siège accepte comptoir-protocol {accepted}. Mettez à jour le Comptoir du magasin (ou du siège) pour qu'ils parlent le même protocole."),
                )
            }
            BatchTooLarge { records, max } => lang.pick(
                format!("The batch holds {records} records, more than {max}: send smaller batches."),
                format!("Le lot contient {records} enregistrements, plus que {max} : envoyez des lots plus petits."),
            ),
            CsvRejected { rows } => lang.pick(
                format!("The file was refused whole, nothing was imported: {} row(s) to fix (see rows).", rows.len()),
                format!("Le fichier est refusé en entier, rien n'a été importé : {} ligne(s) à corriger (voir rows).", rows.len()),
            ),
            Rows(rows) => {
                let list: Vec<String> = rows.iter().map(|(i, e)| format!("#{}: {}", i + 1, e.message(lang))).collect();
                lang.pick(
                    format!("Nothing was written: {}", list.join(" ")),
                    format!("Rien n'a été écrit : {}", list.join(" ")),
                )
            }
            NotInitialised { place } => lang.pick(
                format!("No HQ in {place}: run `comptoir hq init --data-dir DIR ...` first, or give the right --data-dir / --database-url."),
                format!("Aucun siège dans {place} : lancez d'abord `comptoir hq init --data-dir DIR ...`, ou donnez le bon --data-dir / --database-url."),
            ),
            AlreadyInitialised { place } => lang.pick(
                format!("An HQ already exists in {place}; nothing was changed."),
                format!("Un siège existe déjà dans {place} ; rien n'a été modifié."),
            ),
            SchemaTooNew { found, supported } => lang.pick(
                format!("The database is at schema version {found} but this program knows up to {supported}: install a newer Comptoir."),
                format!("La base est au schéma {found} mais ce programme ne connaît que jusqu'à {supported} : installez un Comptoir plus récent."),
            ),
            DatabaseUrl { url, en, fr } => lang.pick(
                format!("Database URL {url:?}: {en}"),
                format!("URL de base de données {url:?} : {fr}"),
            ),
            Config(m) => lang.pick(format!("Configuration error: {m}"), format!("Erreur de configuration : {m}")),
            Storage(_) => lang.pick(
                "The HQ database failed; nothing was written. See HQ's log for the cause.".into(),
                "La base du siège a échoué ; rien n'a été écrit. La cause est dans le journal du siège.".into(),
            ),
            _ => unreachable!("a common case, answered above"),
        }
    }
}

impl comptoir_http::HttpError for HqError {
    fn kind(&self) -> &'static str {
        HqError::kind(self)
    }
    fn status(&self) -> StatusCode {
        HqError::status(self)
    }
    fn message(&self, lang: Lang) -> String {
        HqError::message(self, lang)
    }
    fn field(&self) -> Option<String> {
        HqError::field(self)
    }
    fn rows(&self) -> Option<Vec<RowError>> {
        match self {
            HqError::CsvRejected { rows } => Some(rows.clone()),
            _ => None,
        }
    }
    fn retry_after(&self) -> Option<u64> {
        match self {
            HqError::TooManyAttempts { retry_after, .. } => Some(*retry_after),
            HqError::Overloaded => Some(1),
            _ => None,
        }
    }
    fn basic_realm(&self) -> Option<&'static str> {
        matches!(self, HqError::Unauthorized).then_some("comptoir-hq")
    }
}

impl axum::response::IntoResponse for HqError {
    /// Rendered in English here; the localisation layer renders it again in the caller's language.
    fn into_response(self) -> axum::response::Response {
        comptoir_http::respond(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_kind_a_status_and_two_languages() {
        let e = HqError::UnsupportedProtocol { got: Some("9".into()) };
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert!(e.message(Lang::En).contains("accepts comptoir-protocol 1"), "{}", e.message(Lang::En));
        assert!(e.message(Lang::Fr).contains("accepte comptoir-protocol 1"));
        assert!(HqError::InvalidCredential.message(Lang::En).contains("comptoir hq shop token"));
        let rows = HqError::Rows(vec![(0, HqError::InvalidCredential)]);
        assert_eq!(rows.single().kind(), "invalid_credential");
    }
}
