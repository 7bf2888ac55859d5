//! `ShopError`: every way a shop operation can fail, for the API and the CLI alike.
//!
//! [`ShopError::status`] is the one place an error becomes an HTTP status; the body is
//! always `{"kind", "message", "field"}` (plus `rows` for a refused CSV import), with the
//! message in the language the request prefers (rendered by `comptoir_http`). The cases
//! both servers share (not found, bad request, payload too large, ...) are worded once,
//! in [`comptoir_http::CommonError`]; [`ShopError::common`] maps the shop's variants onto
//! them.

use axum::http::StatusCode;
use comptoir_core::{DomainError, Lang};
pub use comptoir_http::RowError;
use comptoir_http::{CommonError, ServerName};

/// The shop server in the messages that speak of it.
pub const SERVER: ServerName = ServerName { en: "The shop server", fr: "Le serveur de la boutique" };

#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{what} {key} not found")]
    NotFound { what: &'static str, key: String, field: Option<String> },
    #[error("{what} {key} already exists")]
    AlreadyExists { what: &'static str, key: String, field: Option<String> },
    #[error("{what} {key} is deactivated")]
    Inactive { what: &'static str, key: String, field: Option<String> },
    #[error("period {period} is closed for register {register}")]
    ClosedPeriod { register: String, period: String },
    #[error("{kind} {period} already closed for register {register}")]
    AlreadyClosed { register: String, kind: &'static str, period: String },
    #[error("day {date} of register {register} must be closed first")]
    DayNotClosed { register: String, date: String },
    #[error("the return refers to ticket {key}, which is not a sale")]
    NotASale { key: String },
    #[error("no route {path}")]
    NoRoute { path: String },
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("ticket id {id} already used by {number}")]
    IdReused { id: String, number: String },
    #[error("missing or wrong credentials")]
    Unauthorized,
    /// Too many failed sign-ins: the user (or, with `address`, the caller's address) is
    /// locked for `retry_after` seconds (429 with Retry-After).
    #[error("too many failed sign-ins; retry in {retry_after} s")]
    TooManyAttempts { retry_after: u64, address: bool },
    /// The server is serving as many requests as it may at once (503 with Retry-After).
    #[error("server busy")]
    Overloaded,
    #[error("HQ at {url} presented a certificate this shop does not trust: {detail}")]
    HqCertificate { url: String, detail: String },
    #[error("the catalog belongs to HQ")]
    CatalogOwnedByHq,
    /// Users are defined at HQ once the shop is in a chain (stock and people).
    #[error("users belong to HQ")]
    UsersOwnedByHq,
    /// A chain shop's legal identity is set at HQ (receipts, issue 14).
    #[error("the shop's identity belongs to HQ")]
    IdentityOwnedByHq,
    #[error("not enrolled")]
    NotEnrolled,
    #[error("already enrolled with {hq_url}")]
    AlreadyEnrolled { hq_url: String },
    #[error("HQ enrolled this shop as {enrolled}, but its code is {local}")]
    ShopCodeMismatch { local: String, enrolled: String },
    #[error("HQ at {url} unreachable: {cause}")]
    HqUnreachable { url: String, cause: String },
    #[error("HQ refused ({status} {kind}): {message}")]
    HqRefused { status: u16, kind: String, message: String },
    /// An outside server the shop hands something to (the mail server) refused it or did
    /// not answer; nothing of the shop's own was lost.
    #[error("{kind}: {en}")]
    OutsideServer { kind: &'static str, en: String, fr: String },
    #[error("role {needed} needed")]
    Forbidden { needed: &'static str },
    #[error("conflict: {en}")]
    Conflict { en: String, fr: String, field: Option<String> },
    /// A refusal of the register screen's operations, with its own stable kind.
    #[error("{}: {en}", refusal.kind())]
    Refused { refusal: Refusal, en: String, fr: String, field: Option<String> },
    /// A request refused as it is, with its own stable kind (`negative_count`, `wrong_pin`).
    #[error("{kind}: {en}")]
    Invalid { kind: &'static str, en: String, fr: String, field: Option<String> },
    #[error("request body too large")]
    PayloadTooLarge { limit: usize },
    #[error("CSV import refused: {} bad rows", rows.len())]
    CsvRejected { rows: Vec<RowError> },
    #[error("no shop in {data_dir}")]
    NotInitialised { data_dir: String },
    #[error("a shop already exists in {data_dir}")]
    AlreadyInitialised { data_dir: String },
    #[error("database schema {found} is newer than this program ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("configuration: {0}")]
    Config(String),
    /// A setting that cannot be used, explained in both languages.
    #[error("setting {key}: {en}")]
    Setting { key: &'static str, en: String, fr: String },
    #[error("storage: {0}")]
    Storage(String),
    /// The disk holding the shop's database is full (SQLITE_FULL, ENOSPC): nothing was written.
    #[error("disk full: {0}")]
    DiskFull(String),
}

impl From<rusqlite::Error> for ShopError {
    fn from(e: rusqlite::Error) -> Self {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            return ShopError::DiskFull(e.to_string());
        }
        ShopError::Storage(e.to_string())
    }
}

impl From<std::io::Error> for ShopError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::StorageFull {
            return ShopError::DiskFull(e.to_string());
        }
        ShopError::Storage(e.to_string())
    }
}

/// A role as a French shop names it.
fn role_fr(role: &str) -> &str {
    match role {
        "cashier" => "caissier",
        "manager" => "responsable",
        "admin" => "administrateur",
        other => other,
    }
}

/// A closure's kind as an adjective: "la clôture journalière".
pub(crate) fn closure_fr(kind: &str) -> &str {
    match kind {
        "day" => "journalière",
        "month" => "mensuelle",
        "year" => "annuelle",
        other => other,
    }
}

fn what_fr(what: &'static str) -> &'static str {
    match what {
        "article" => "l'article",
        "barcode" => "le code-barres",
        "category" => "la catégorie",
        "tax rate" => "le taux de TVA",
        "register" => "la caisse",
        "user" => "l'utilisateur",
        "ticket" => "le ticket",
        "closure" => "la clôture",
        "customer" => "le client",
        "shop" => "le magasin",
        "transfer" => "le transfert",
        "purchase order" => "la commande",
        "keyboard" => "le clavier",
        "message" => "le message",
        "printer" => "l'imprimante",
        "terminal" => "le terminal de paiement",
        "terminal payment" => "le paiement par terminal",
        "receipt" => "le ticket",
        other => other,
    }
}

/// Why the register screen's operations refuse, each a stable `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The register already has an open session.
    SessionOpen,
    /// The register has no open session to close.
    NoOpenSession,
    /// A previous business day must be closed (Z) first.
    ZDue,
    /// HQ did not attach this user to this register.
    NotAtThisRegister,
    /// A write of the register screen without its session's CSRF token.
    CsrfToken,
    /// The register screen is not signed in (or its session ended).
    SignedOut,
    /// The register screen's sign-in: unknown user or wrong PIN.
    WrongPin,
    /// No parked ticket with this id (already taken back?).
    NotParked,
    /// No article has this barcode, and it is no scale barcode either.
    UnknownBarcode,
    /// A cashier's discount above the shop's limit, without a manager's approval.
    ManagerApprovalNeeded,
    /// A cash count that is not a count of euro coins and notes.
    BadCount,
    /// A scale barcode rule that cannot be used.
    BadScaleRule,
}

impl Refusal {
    pub fn kind(self) -> &'static str {
        match self {
            Refusal::SessionOpen => "session_open",
            Refusal::NoOpenSession => "no_open_session",
            Refusal::ZDue => "z_due",
            Refusal::NotAtThisRegister => "not_at_this_register",
            Refusal::CsrfToken => "csrf_token",
            Refusal::SignedOut => "signed_out",
            Refusal::WrongPin => "wrong_pin",
            Refusal::NotParked => "not_parked",
            Refusal::UnknownBarcode => "unknown_barcode",
            Refusal::ManagerApprovalNeeded => "manager_approval_needed",
            Refusal::BadCount => "bad_count",
            Refusal::BadScaleRule => "bad_scale_rule",
        }
    }
}

impl ShopError {
    /// A [`Refusal`] with its message in both languages.
    pub fn refused(refusal: Refusal, en: impl Into<String>, fr: impl Into<String>, field: Option<&str>) -> ShopError {
        ShopError::Refused { refusal, en: en.into(), fr: fr.into(), field: field.map(str::to_string) }
    }

    /// A request refused as it is, with its own stable kind.
    pub fn invalid(kind: &'static str, en: impl Into<String>, fr: impl Into<String>, field: Option<&str>) -> ShopError {
        ShopError::Invalid { kind, en: en.into(), fr: fr.into(), field: field.map(str::to_string) }
    }

    pub fn conflict(en: impl Into<String>, fr: impl Into<String>, field: Option<&str>) -> ShopError {
        ShopError::Conflict { en: en.into(), fr: fr.into(), field: field.map(str::to_string) }
    }

    /// The case both servers share that this error is, if it is one.
    pub fn common(&self) -> Option<CommonError> {
        let text = |en: &String, fr: &String, field: &Option<String>| (en.clone(), fr.clone(), field.clone());
        Some(match self {
            ShopError::NotFound { what, key, field } => {
                CommonError::NotFound { what, what_fr: what_fr(what), key: key.clone(), field: field.clone() }
            }
            ShopError::AlreadyExists { what, key, field } => {
                CommonError::AlreadyExists { what, what_fr: what_fr(what), key: key.clone(), field: field.clone() }
            }
            ShopError::Inactive { what, key, field } => {
                CommonError::Inactive { what, what_fr: what_fr(what), key: key.clone(), field: field.clone() }
            }
            ShopError::Conflict { en, fr, field } => {
                let (en, fr, field) = text(en, fr, field);
                CommonError::Conflict { kind: "conflict", en, fr, field }
            }
            ShopError::Invalid { kind, en, fr, field } => {
                let (en, fr, field) = text(en, fr, field);
                CommonError::BadRequest { kind, en, fr, field }
            }
            ShopError::NoRoute { path } => CommonError::NoRoute { path: path.clone() },
            ShopError::MethodNotAllowed => {
                CommonError::MethodNotAllowed { immutable: Some(("tickets and closures", "les tickets et clôtures")) }
            }
            ShopError::Overloaded => CommonError::Overloaded { server: SERVER },
            ShopError::PayloadTooLarge { limit } => CommonError::PayloadTooLarge { limit: *limit },
            _ => return None,
        })
    }

    /// The HTTP status of each error: the only mapping in the program (the shared cases
    /// in [`CommonError::status`]).
    pub fn status(&self) -> StatusCode {
        if let Some(common) = self.common() {
            return common.status();
        }
        match self {
            ShopError::Domain(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ShopError::ClosedPeriod { .. } => StatusCode::CONFLICT,
            ShopError::AlreadyClosed { .. } => StatusCode::CONFLICT,
            ShopError::DayNotClosed { .. } => StatusCode::CONFLICT,
            ShopError::NotASale { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ShopError::IdReused { .. } => StatusCode::CONFLICT,
            ShopError::Unauthorized => StatusCode::UNAUTHORIZED,
            ShopError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ShopError::HqCertificate { .. } => StatusCode::BAD_GATEWAY,
            ShopError::CatalogOwnedByHq | ShopError::UsersOwnedByHq | ShopError::IdentityOwnedByHq => {
                StatusCode::CONFLICT
            }
            ShopError::NotEnrolled | ShopError::AlreadyEnrolled { .. } | ShopError::ShopCodeMismatch { .. } => {
                StatusCode::CONFLICT
            }
            ShopError::HqUnreachable { .. } | ShopError::HqRefused { .. } | ShopError::OutsideServer { .. } => {
                StatusCode::BAD_GATEWAY
            }
            ShopError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ShopError::Refused { refusal, .. } => match refusal {
                Refusal::SessionOpen | Refusal::NoOpenSession | Refusal::ZDue => StatusCode::CONFLICT,
                // Not 401: the API's 401 carries a Basic challenge, and browsers prompt on it.
                Refusal::NotAtThisRegister
                | Refusal::CsrfToken
                | Refusal::SignedOut
                | Refusal::WrongPin
                | Refusal::ManagerApprovalNeeded => StatusCode::FORBIDDEN,
                Refusal::NotParked => StatusCode::NOT_FOUND,
                Refusal::UnknownBarcode => StatusCode::UNPROCESSABLE_ENTITY,
                Refusal::BadCount | Refusal::BadScaleRule => StatusCode::BAD_REQUEST,
            },
            ShopError::CsvRejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ShopError::NotInitialised { .. }
            | ShopError::AlreadyInitialised { .. }
            | ShopError::SchemaTooNew { .. }
            | ShopError::Config(_)
            | ShopError::Setting { .. }
            | ShopError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ShopError::DiskFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            ShopError::NotFound { .. }
            | ShopError::AlreadyExists { .. }
            | ShopError::Inactive { .. }
            | ShopError::Conflict { .. }
            | ShopError::Invalid { .. }
            | ShopError::NoRoute { .. }
            | ShopError::MethodNotAllowed
            | ShopError::Overloaded
            | ShopError::PayloadTooLarge { .. } => unreachable!("a common case, answered above"),
        }
    }

    /// Stable machine-readable kind.
    pub fn kind(&self) -> &'static str {
        if let Some(common) = self.common() {
            return common.kind();
        }
        match self {
            ShopError::Domain(d) => d.kind(),
            ShopError::ClosedPeriod { .. } => "closed_period",
            ShopError::AlreadyClosed { .. } => "already_closed",
            ShopError::DayNotClosed { .. } => "day_not_closed",
            ShopError::NotASale { .. } => "not_a_sale",
            ShopError::IdReused { .. } => "id_reused",
            ShopError::Unauthorized => "unauthorized",
            ShopError::TooManyAttempts { .. } => "too_many_attempts",
            ShopError::HqCertificate { .. } => "hq_certificate",
            ShopError::CatalogOwnedByHq => "catalog_owned_by_hq",
            ShopError::UsersOwnedByHq => "users_owned_by_hq",
            ShopError::IdentityOwnedByHq => "identity_owned_by_hq",
            ShopError::NotEnrolled => "not_enrolled",
            ShopError::AlreadyEnrolled { .. } => "already_enrolled",
            ShopError::ShopCodeMismatch { .. } => "shop_code_mismatch",
            ShopError::HqUnreachable { .. } => "hq_unreachable",
            ShopError::HqRefused { .. } => "hq_refused",
            ShopError::OutsideServer { kind, .. } => kind,
            ShopError::Forbidden { .. } => "forbidden",
            ShopError::Refused { refusal, .. } => refusal.kind(),
            ShopError::CsvRejected { .. } => "csv_rejected",
            ShopError::NotInitialised { .. } => "not_initialised",
            ShopError::AlreadyInitialised { .. } => "already_initialised",
            ShopError::SchemaTooNew { .. } => "schema_too_new",
            ShopError::Config(_) | ShopError::Setting { .. } => "config",
            ShopError::Storage(_) => "storage",
            ShopError::DiskFull(_) => "disk_full",
            _ => unreachable!("a common case, answered above"),
        }
    }

    pub fn field(&self) -> Option<String> {
        if let Some(common) = self.common() {
            return common.field();
        }
        match self {
            ShopError::Domain(d) => d.field(),
            ShopError::Refused { field, .. } => field.clone(),
            ShopError::NotASale { .. } => Some("return_of".into()),
            ShopError::IdReused { .. } => Some("id".into()),
            ShopError::ClosedPeriod { .. } | ShopError::AlreadyClosed { .. } | ShopError::DayNotClosed { .. } => {
                Some("register".into())
            }
            _ => None,
        }
    }

    /// What went wrong and what to do about it.
    pub fn message(&self, lang: Lang) -> String {
        use ShopError::*;
        if let Some(common) = self.common() {
            return common.message(lang);
        }
        match self {
            Domain(d) => d.message(lang),
            ClosedPeriod { register, period } => lang.pick(
                format!("Register {register} is closed for {period} (a closure was made): no ticket can be added to a closed period."),
                format!("La caisse {register} est clôturée pour {period} (une clôture a été faite) : aucun ticket ne peut être ajouté à une période clôturée."),
            ),
            AlreadyClosed { register, kind, period } => lang.pick(
                format!("The {kind} closure {period} of register {register} already exists; a period is closed once."),
                format!(
                    "La clôture {} {period} de la caisse {register} existe déjà ; une période se clôture une seule fois.",
                    closure_fr(kind)
                ),
            ),
            DayNotClosed { register, date } => lang.pick(
                format!("Register {register} has tickets of {date} not yet in a day closure: make the day closure first."),
                format!("La caisse {register} a des tickets du {date} hors clôture journalière : faites d'abord la clôture du jour."),
            ),
            NotASale { key } => lang.pick(
                format!("Ticket {key} is itself a return; a return must refer to the original sale."),
                format!("Le ticket {key} est lui-même un retour ; un retour doit citer la vente d'origine."),
            ),
            IdReused { id, number } => lang.pick(
                format!("Ticket id {id} is already the id of ticket {number}, with other content: give each new ticket a new id (retry a ticket with the same id and the same content)."),
                format!("L'identifiant {id} est déjà celui du ticket {number}, au contenu différent : donnez un nouvel identifiant à chaque ticket (un renvoi garde le même identifiant et le même contenu)."),
            ),
            CatalogOwnedByHq => lang.pick(
                "This shop belongs to a chain: its catalog (articles, categories, tax rates) is managed at HQ and arrives here by itself. Make the change at HQ.".into(),
                "Cette boutique fait partie d'une chaîne : son catalogue (articles, catégories, taux de TVA) se gère au siège et arrive ici tout seul. Faites la modification au siège.".into(),
            ),
            UsersOwnedByHq => lang.pick(
                "This shop belongs to a chain: its users are defined at HQ (with the shops and registers they work at) and arrive here by themselves. Create the user at HQ.".into(),
                "Cette boutique fait partie d'une chaîne : ses utilisateurs sont définis au siège (avec les boutiques et caisses où ils travaillent) et arrivent ici tout seuls. Créez l'utilisateur au siège.".into(),
            ),
            IdentityOwnedByHq => lang.pick(
                "This shop belongs to a chain: its legal identity on receipts (legal name, address, SIRET, VAT number) is set at HQ, on the shop's page, and arrives here by itself. Make the change at HQ.".into(),
                "Cette boutique fait partie d'une chaîne : son identité légale sur les tickets (raison sociale, adresse, SIRET, n° de TVA) se règle au siège, sur la page de la boutique, et arrive ici toute seule. Faites la modification au siège.".into(),
            ),
            NotEnrolled => lang.pick(
                "This shop is not linked to an HQ (it works alone). To join a chain: comptoir shop enroll --hq URL --token TOKEN.".into(),
                "Cette boutique n'est reliée à aucun siège (elle fonctionne seule). Pour rejoindre une chaîne : comptoir shop enroll --hq URL --token JETON.".into(),
            ),
            AlreadyEnrolled { hq_url } => lang.pick(
                format!("This shop is already enrolled with the HQ at {hq_url}; nothing was changed."),
                format!("Cette boutique est déjà inscrite auprès du siège {hq_url} ; rien n'a été modifié."),
            ),
            ShopCodeMismatch { local, enrolled } => lang.pick(
                format!("HQ issued this token for shop {enrolled}, but this data directory holds shop {local}. Ask HQ for a token of shop {local}, or enrol into an empty --data-dir."),
                format!("Le siège a émis ce jeton pour la boutique {enrolled}, mais ce dossier contient la boutique {local}. Demandez au siège un jeton pour {local}, ou inscrivez un --data-dir vide."),
            ),
            HqUnreachable { url, cause } => lang.pick(
                format!("HQ at {url} does not answer ({cause}). The shop keeps selling and sends its sales when HQ is back; check the network and HQ's address."),
                format!("Le siège {url} ne répond pas ({cause}). La boutique continue de vendre et enverra ses ventes au retour du siège ; vérifiez le réseau et l'adresse du siège."),
            ),
            OutsideServer { en, fr, .. } => lang.pick(en.clone(), fr.clone()),
            HqRefused { status, kind, message } => lang.pick(
                format!("HQ refused the request ({status}, {kind}): {message}"),
                format!("Le siège a refusé la requête ({status}, {kind}) : {message}"),
            ),
            Unauthorized => lang.pick(
                "Missing or wrong user code or password: sign in with HTTP Basic (user code and password or PIN).".into(),
                "Code utilisateur ou mot de passe absent ou faux : identifiez-vous en HTTP Basic (code utilisateur et mot de passe ou PIN).".into(),
            ),
            TooManyAttempts { retry_after, address: false } => lang.pick(
                format!("Too many wrong passwords or PINs for this user: the account is locked for {retry_after} more seconds. Wait, then sign in again; a manager can check the user's code and PIN meanwhile."),
                format!("Trop de mots de passe ou de PIN faux pour cet utilisateur : le compte est bloqué encore {retry_after} secondes. Patientez, puis reconnectez-vous ; un responsable peut vérifier entre-temps le code et le PIN de l'utilisateur."),
            ),
            TooManyAttempts { retry_after, address: true } => lang.pick(
                format!("Too many failed sign-ins from this address: it is locked for {retry_after} more seconds. Wait, then try again."),
                format!("Trop de connexions manquées depuis cette adresse : elle est bloquée encore {retry_after} secondes. Patientez, puis réessayez."),
            ),
            HqCertificate { url, detail } => lang.pick(
                format!("HQ at {url} presented a TLS certificate this shop does not trust ({detail}). If HQ uses its own certificate authority, set sync.hq_ca_cert to that authority's PEM file; check also that the address is the name in HQ's certificate."),
                format!("Le siège {url} a présenté un certificat TLS auquel cette boutique ne fait pas confiance ({detail}). Si le siège utilise sa propre autorité de certification, indiquez son fichier PEM dans sync.hq_ca_cert ; vérifiez aussi que l'adresse est bien le nom inscrit dans le certificat du siège."),
            ),
            Forbidden { needed } => lang.pick(
                format!("This needs the {needed} role; ask someone with that role to do it."),
                format!("Cette action demande le rôle {} ; demandez-la à un {} de la boutique.", role_fr(needed), role_fr(needed)),
            ),
            Refused { en, fr, .. } => lang.pick(en.clone(), fr.clone()),
            CsvRejected { rows } => lang.pick(
                format!("The file was refused whole, nothing was imported: {} row(s) to fix (see rows).", rows.len()),
                format!("Le fichier est refusé en entier, rien n'a été importé : {} ligne(s) à corriger (voir rows).", rows.len()),
            ),
            NotInitialised { data_dir } => lang.pick(
                format!("No shop in {data_dir}: run `comptoir shop init --data-dir {data_dir} ...` first, or give the right --data-dir."),
                format!("Aucune boutique dans {data_dir} : lancez d'abord `comptoir shop init --data-dir {data_dir} ...`, ou donnez le bon --data-dir."),
            ),
            AlreadyInitialised { data_dir } => lang.pick(
                format!("A shop already exists in {data_dir}; nothing was changed. Use another --data-dir for a new shop."),
                format!("Une boutique existe déjà dans {data_dir} ; rien n'a été modifié. Utilisez un autre --data-dir pour une nouvelle boutique."),
            ),
            SchemaTooNew { found, supported } => lang.pick(
                format!("The database is at schema version {found} but this program knows up to {supported}: install a newer Comptoir."),
                format!("La base est au schéma {found} mais ce programme ne connaît que jusqu'à {supported} : installez un Comptoir plus récent."),
            ),
            Config(m) => lang.pick(format!("Configuration error: {m}"), format!("Erreur de configuration : {m}")),
            Setting { key, en, fr } => lang.pick(
                format!("Configuration error, {key}: {en}"),
                format!("Erreur de configuration, {key} : {fr}"),
            ),
            Storage(_) => lang.pick(
                "The shop database failed; nothing was written. See the shop's log for the cause.".into(),
                "La base de la boutique a échoué ; rien n'a été écrit. La cause est dans le journal de la boutique.".into(),
            ),
            DiskFull(_) => lang.pick(
                "The shop's disk is full: this was not recorded (nothing was written, earlier sales are safe). Free some disk space, then try again.".into(),
                "Le disque de la boutique est plein : rien n'a été enregistré (les ventes précédentes sont intactes). Libérez de la place sur le disque, puis réessayez.".into(),
            ),
            _ => unreachable!("a common case, answered above"),
        }
    }
}

impl comptoir_http::HttpError for ShopError {
    fn kind(&self) -> &'static str {
        ShopError::kind(self)
    }
    fn status(&self) -> StatusCode {
        ShopError::status(self)
    }
    fn message(&self, lang: Lang) -> String {
        ShopError::message(self, lang)
    }
    fn field(&self) -> Option<String> {
        ShopError::field(self)
    }
    fn rows(&self) -> Option<Vec<RowError>> {
        match self {
            ShopError::CsvRejected { rows } => Some(rows.clone()),
            _ => None,
        }
    }
    fn retry_after(&self) -> Option<u64> {
        match self {
            ShopError::TooManyAttempts { retry_after, .. } => Some(*retry_after),
            ShopError::Overloaded => Some(1),
            _ => None,
        }
    }
    fn basic_realm(&self) -> Option<&'static str> {
        (ShopError::status(self) == StatusCode::UNAUTHORIZED).then_some("comptoir")
    }
}

impl axum::response::IntoResponse for ShopError {
    /// Rendered in English here; the localisation layer renders it again in the caller's language.
    fn into_response(self) -> axum::response::Response {
        comptoir_http::respond(self)
    }
}
