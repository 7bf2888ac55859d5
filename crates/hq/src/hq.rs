//! [`Hq`]: an open HQ, the handle the API and the CLI act through. It holds the storage,
//! HQ's identity, its settings, the signal that wakes long-polled feeds, and the admin
//! login cache.
//!
//! Admin logins: Argon2id costs tens of milliseconds on purpose; a successful login is
//! remembered for `auth_cache_seconds` in the shared [`LoginCache`] (a salted SHA-256 of
//! the password, random salt per process, compared in constant time). Shop credentials
//! and API tokens are never cached: they are checked by a fast hash on every call, so a revocation takes effect at once.
//!
//! Failed sign-ins (admin passwords, API tokens, enrolment tokens) go through
//! [`LoginGuard`]: per account and per source address, repeated failures lock for a while
//! (`login_max_failures`, `login_max_failures_per_address`, `login_lockout_seconds`). The
//! guard lives in this process's memory: HQ processes share no state but the database, so
//! with several HQ processes each counts its own failures (docs/security.md).

use crate::config::HqConfig;
use crate::error::HqError;
use crate::storage::{HqStorage, ShopHealth};
use crate::sync::{now_text, secret_matches, split_keyed_secret};
use comptoir_http::sign_in::guarded;
pub use comptoir_http::sign_in::{Locked, LoginCache, LoginGuard};
use comptoir_protocol::HqIdentity;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where HQ's database is, from `--database-url` (or the data directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite:///absolute/path/hq.sqlite` or `sqlite://relative/path`.
    Sqlite(PathBuf),
    /// `postgres://...` or `postgresql://...`.
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<DatabaseUrl, HqError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(HqError::DatabaseUrl {
                    url: url.into(),
                    en: "no file path; write sqlite:///path/to/hq.sqlite".into(),
                    fr: "aucun chemin de fichier ; écrivez sqlite:///chemin/vers/hq.sqlite".into(),
                });
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.into()));
        }
        Err(HqError::DatabaseUrl {
            url: url.into(),
            en: "unknown scheme; use sqlite:///path/to/hq.sqlite (or --data-dir)".into(),
            fr: "schéma inconnu ; utilisez sqlite:///chemin/vers/hq.sqlite (ou --data-dir)".into(),
        })
    }
}

/// Who is calling the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admin {
    User(String),
    Token(String),
}

#[derive(Clone)]
pub struct Hq {
    pub storage: Arc<dyn HqStorage>,
    pub identity: HqIdentity,
    pub config: Arc<HqConfig>,
    changes: Arc<tokio::sync::watch::Sender<u64>>,
    logins: Arc<LoginCache<()>>,
    /// Failed sign-ins and enrolments, per account and per address.
    pub guard: Arc<LoginGuard>,
}

/// An Argon2id hash of nothing anyone knows, checked when the user does not exist, so
/// that a wrong user costs as long as a wrong password (no user enumeration by timing).
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut random = [0u8; 16];
        rand::fill(&mut random);
        comptoir_core::secret::hash_secret(&hex::encode(random))
    })
}

impl Hq {
    pub async fn open(storage: Arc<dyn HqStorage>, config: HqConfig) -> Result<Hq, HqError> {
        let identity = storage.identity().await?;
        let guard = Arc::new(LoginGuard::new(
            config.login_max_failures,
            config.login_max_failures_per_address,
            Duration::from_secs(config.login_lockout_seconds),
        ));
        Ok(Hq {
            guard,
            storage,
            identity,
            logins: Arc::new(LoginCache::new(Duration::from_secs(config.auth_cache_seconds))),
            config: Arc::new(config),
            changes: Arc::new(tokio::sync::watch::channel(0).0),
        })
    }

    /// Wakes the feeds waiting in this process: call after every catalog write and job.
    pub fn notify_change(&self) {
        self.changes.send_modify(|n| *n += 1);
    }

    /// A receiver that sees every [`Hq::notify_change`] made after it was taken.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Checks an admin user and password (Argon2id, remembered for `auth_cache_seconds`).
    pub async fn login(&self, user: &str, password: &str) -> Result<Admin, HqError> {
        if user.len() > 64 || password.len() > 256 {
            return Err(HqError::Unauthorized);
        }
        if self.logins.get(user, password).is_some() {
            return Ok(Admin::User(user.into()));
        }
        let stored = self.storage.admin_password_hash(user).await?;
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| decoy_hash().to_string());
        let pw = password.to_string();
        let ok = tokio::task::spawn_blocking(move || comptoir_core::secret::verify_secret(&pw, &hash) && known)
            .await
            .map_err(|e| HqError::Storage(format!("password check failed: {e}")))?;
        if !ok {
            return Err(HqError::Unauthorized);
        }
        self.logins.put(user, password, ());
        Ok(Admin::User(user.into()))
    }

    /// [`Hq::login`] behind the guard: refused at once (429) while the account or the
    /// caller's address is locked; a failure is counted, a success clears the account.
    pub async fn sign_in(&self, source: IpAddr, user: &str, password: &str) -> Result<Admin, HqError> {
        let refused = |e: &HqError| matches!(e, HqError::Unauthorized);
        guarded(&self.guard, Some(user), source, self.login(user, password), refused, locked).await
    }

    /// [`Hq::check_api_token`] behind the guard (per address: a token names no account).
    pub async fn sign_in_token(&self, source: IpAddr, token: &str) -> Result<Admin, HqError> {
        let refused = |e: &HqError| matches!(e, HqError::Unauthorized);
        guarded(&self.guard, None, source, self.check_api_token(token), refused, locked).await
    }

    /// Checks an admin API token (`<id>.<secret>`).
    pub async fn check_api_token(&self, token: &str) -> Result<Admin, HqError> {
        let (id, secret) = split_keyed_secret(token).ok_or(HqError::Unauthorized)?;
        match self.storage.api_token(id).await? {
            Some((name, hash)) if secret_matches(secret, &hash) => Ok(Admin::Token(name)),
            _ => Err(HqError::Unauthorized),
        }
    }

    /// Checks a shop credential and returns the shop's code; unknown, wrong or revoked is
    /// [`HqError::InvalidCredential`].
    pub async fn check_credential(&self, credential: &str) -> Result<String, HqError> {
        let (id, secret) = split_keyed_secret(credential).ok_or(HqError::InvalidCredential)?;
        match self.storage.credential(id).await? {
            Some(c) if !c.revoked && secret_matches(secret, &c.hash) => Ok(c.shop),
            _ => Err(HqError::InvalidCredential),
        }
    }

    /// Records a shop's contact and health.
    pub async fn contact(&self, shop: &str, mut health: ShopHealth) -> Result<(), HqError> {
        health.at = now_text();
        Ok(self.storage.record_contact(shop, &health).await?)
    }
}

/// The refusal of a locked account or address.
pub fn locked(lock: Locked) -> HqError {
    HqError::TooManyAttempts { retry_after: lock.retry_after, address: lock.address }
}

/// The caller's address (see [`comptoir_http::source_address`]), for rate limits: taken
/// by the API's and the dashboard's sign-ins alike, so it lives with HQ's state.
pub struct SourceAddress(pub IpAddr);

impl axum::extract::FromRequestParts<Hq> for SourceAddress {
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, hq: &Hq) -> Result<Self, HqError> {
        Ok(SourceAddress(comptoir_http::source_address(parts, &hq.config.trusted_proxies)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/hq/hq.sqlite").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/hq/hq.sqlite".into())
        );
        assert!(matches!(DatabaseUrl::parse("postgres://u@h/db").unwrap(), DatabaseUrl::Postgres(_)));
        assert_eq!(DatabaseUrl::parse("mysql://x").unwrap_err().kind(), "database_url");
        assert_eq!(DatabaseUrl::parse("sqlite://").unwrap_err().kind(), "database_url");
    }
}
