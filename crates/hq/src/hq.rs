//! [`Hq`]: an open HQ, the handle the API and the CLI act through. It holds the storage,
//! HQ's identity, its settings, the signal that wakes long-polled feeds, and the admin
//! login cache.
//!
//! Admin logins: Argon2id costs tens of milliseconds on purpose; a successful login is
//! remembered for `auth_cache_seconds` as a salted SHA-256 of the password (random salt per
//! process), compared in constant time. Shop credentials and API tokens are never cached:
//! they are checked by a fast hash on every call, so a revocation takes effect at once.
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
use comptoir_protocol::HqIdentity;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

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

/// A checked password's salted digest and when it expires.
type CachedLogin = ([u8; 32], Instant);

#[derive(Clone)]
pub struct Hq {
    pub storage: Arc<dyn HqStorage>,
    pub identity: HqIdentity,
    pub config: Arc<HqConfig>,
    changes: Arc<tokio::sync::watch::Sender<u64>>,
    logins: Arc<Mutex<HashMap<String, CachedLogin>>>,
    login_salt: [u8; 16],
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
        let mut login_salt = [0u8; 16];
        rand::fill(&mut login_salt);
        let guard = Arc::new(LoginGuard::new(
            config.login_max_failures,
            config.login_max_failures_per_address,
            Duration::from_secs(config.login_lockout_seconds),
        ));
        Ok(Hq {
            guard,
            storage,
            identity,
            config: Arc::new(config),
            changes: Arc::new(tokio::sync::watch::channel(0).0),
            logins: Arc::new(Mutex::new(HashMap::new())),
            login_salt,
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

    fn digest(&self, user: &str, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.login_salt);
        h.update(user.as_bytes());
        h.update([0]);
        h.update(password.as_bytes());
        h.finalize().into()
    }

    /// Checks an admin user and password (Argon2id, remembered for `auth_cache_seconds`).
    pub async fn login(&self, user: &str, password: &str) -> Result<Admin, HqError> {
        if user.len() > 64 || password.len() > 256 {
            return Err(HqError::Unauthorized);
        }
        let digest = self.digest(user, password);
        {
            let cache = self.logins.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((d, until)) = cache.get(user)
                && *until > Instant::now()
                && bool::from(d.ct_eq(&digest))
            {
                return Ok(Admin::User(user.into()));
            }
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
        let ttl = Duration::from_secs(self.config.auth_cache_seconds);
        if !ttl.is_zero() {
            self.logins.lock().unwrap_or_else(|p| p.into_inner()).insert(user.into(), (digest, Instant::now() + ttl));
        }
        Ok(Admin::User(user.into()))
    }

    /// [`Hq::login`] behind the guard: refused at once (429) while the account or the
    /// caller's address is locked; a failure is counted, a success clears the account.
    pub async fn sign_in(&self, source: IpAddr, user: &str, password: &str) -> Result<Admin, HqError> {
        self.guard.check(Some(user), source).map_err(locked)?;
        match self.login(user, password).await {
            Ok(admin) => {
                self.guard.succeeded(user);
                Ok(admin)
            }
            Err(HqError::Unauthorized) => {
                tracing::warn!(user = %user, %source, "admin sign-in refused");
                match self.guard.failed(Some(user), source) {
                    Some(lock) => {
                        tracing::warn!(user = %user, %source, seconds = lock.retry_after, address = lock.address, "sign-ins locked");
                        Err(locked(lock))
                    }
                    None => Err(HqError::Unauthorized),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// [`Hq::check_api_token`] behind the guard (per address: a token names no account).
    pub async fn sign_in_token(&self, source: IpAddr, token: &str) -> Result<Admin, HqError> {
        self.guard.check(None, source).map_err(locked)?;
        match self.check_api_token(token).await {
            Err(HqError::Unauthorized) => {
                tracing::warn!(%source, "admin API token refused");
                Err(self.guard.failed(None, source).map(locked).unwrap_or(HqError::Unauthorized))
            }
            other => other,
        }
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
        self.storage.record_contact(shop, &health).await
    }
}

/// The refusal of a locked account or address.
pub fn locked(lock: Locked) -> HqError {
    HqError::TooManyAttempts { retry_after: lock.retry_after, address: lock.address }
}

/// Most accounts and addresses remembered at once; past it, entries neither locked nor
/// recent are forgotten first, so a flood of made-up names cannot grow memory for ever.
const MAX_TRACKED: usize = 50_000;

/// Failed sign-ins, per account and per source address, in this process's memory.
///
/// `max_failures` consecutive failures of an account (or `max_per_address` failures from
/// one address, whatever the accounts) lock it for `lockout`; while locked, even the right
/// secret is refused without being checked. A success clears the account's count (not the
/// address's, or one valid account would let an address guess the others' without end).
/// Failures older than `lockout` are forgotten.
pub struct LoginGuard {
    max_failures: u32,
    max_per_address: u32,
    lockout: Duration,
    entries: Mutex<HashMap<GuardKey, Failures>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum GuardKey {
    Account(String),
    Address(IpAddr),
}

struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// Why a sign-in is refused before its secret is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    /// Seconds until it opens again (at least 1).
    pub retry_after: u64,
    /// The address is locked (else the account).
    pub address: bool,
}

impl LoginGuard {
    pub fn new(max_failures: u32, max_per_address: u32, lockout: Duration) -> LoginGuard {
        LoginGuard { max_failures, max_per_address, lockout, entries: Mutex::new(HashMap::new()) }
    }

    fn remaining(f: &Failures, now: Instant) -> Option<u64> {
        f.locked_until.filter(|u| *u > now).map(|u| (u - now).as_secs_f64().ceil().max(1.0) as u64)
    }

    /// Refuses an account or an address that is locked now.
    pub fn check(&self, account: Option<&str>, address: IpAddr) -> Result<(), Locked> {
        let now = Instant::now();
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = entries.get(&GuardKey::Address(address)).and_then(|f| Self::remaining(f, now)) {
            return Err(Locked { retry_after: r, address: true });
        }
        if let Some(account) = account
            && let Some(r) = entries.get(&GuardKey::Account(account.to_string())).and_then(|f| Self::remaining(f, now))
        {
            return Err(Locked { retry_after: r, address: false });
        }
        Ok(())
    }

    /// Counts a failure; returns the lock it caused, if any.
    pub fn failed(&self, account: Option<&str>, address: IpAddr) -> Option<Locked> {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_TRACKED {
            let lockout = self.lockout;
            entries.retain(|_, f| Self::remaining(f, now).is_some() || now.duration_since(f.last) < lockout);
            if entries.len() >= MAX_TRACKED {
                entries.retain(|_, f| Self::remaining(f, now).is_some());
            }
        }
        let mut locked = None;
        let keys = [
            account.map(|a| (GuardKey::Account(a.to_string()), self.max_failures)),
            Some((GuardKey::Address(address), self.max_per_address)),
        ];
        for (key, max) in keys.into_iter().flatten() {
            if max == 0 {
                continue;
            }
            let address = matches!(key, GuardKey::Address(_));
            let f = entries.entry(key).or_insert(Failures { count: 0, last: now, locked_until: None });
            if now.duration_since(f.last) >= self.lockout
                || Self::remaining(f, now).is_none() && f.locked_until.is_some()
            {
                f.count = 0;
                f.locked_until = None;
            }
            f.count += 1;
            f.last = now;
            if f.count >= max {
                f.count = 0;
                f.locked_until = Some(now + self.lockout);
                locked.get_or_insert(Locked { retry_after: self.lockout.as_secs().max(1), address });
            }
        }
        locked
    }

    /// A successful sign-in clears the account's failures.
    pub fn succeeded(&self, account: &str) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(&GuardKey::Account(account.to_string()));
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

    #[test]
    fn the_guard_locks_after_n_failures_and_a_success_resets() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let g = LoginGuard::new(3, 6, Duration::from_secs(300));
        assert_eq!(g.failed(Some("a"), ip), None);
        assert_eq!(g.failed(Some("a"), ip), None);
        g.succeeded("a");
        assert_eq!(g.failed(Some("a"), ip), None);
        assert_eq!(g.failed(Some("a"), ip), None);
        assert_eq!(g.check(Some("a"), ip), Ok(()));
        assert_eq!(g.failed(Some("a"), ip), Some(Locked { retry_after: 300, address: false }));
        let err = g.check(Some("a"), other).unwrap_err();
        assert!(!err.address && err.retry_after > 0 && err.retry_after <= 300);
        assert_eq!(g.check(Some("b"), other), Ok(()));
        // The sixth failure from `ip` (whatever the account) locks the address.
        assert_eq!(g.failed(Some("c"), ip), Some(Locked { retry_after: 300, address: true }));
        assert!(g.check(Some("d"), ip).unwrap_err().address);
        assert_eq!(g.check(Some("d"), other), Ok(()));
        // Zero turns a limit off.
        let off = LoginGuard::new(0, 0, Duration::from_secs(300));
        for _ in 0..100 {
            assert_eq!(off.failed(Some("a"), ip), None);
        }
        // Locks expire.
        let short = LoginGuard::new(1, 0, Duration::from_millis(20));
        assert!(short.failed(Some("a"), ip).is_some());
        assert!(short.check(Some("a"), ip).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(short.check(Some("a"), ip), Ok(()));
    }
}
