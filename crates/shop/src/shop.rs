//! [`Shop`]: an open shop, the handle the API and the CLI act through. It holds the store,
//! the shop's identity, its settings and the login cache.
//!
//! Logins: Argon2id makes checking a password cost tens of milliseconds on purpose, which
//! a register cannot pay on every ticket. A successful login is therefore remembered for
//! `auth_cache_seconds` as a salted SHA-256 of the secret (the salt is random per process);
//! a changed or deactivated user is forgotten at once by this process, and within that
//! delay by others.
//!
//! Failed sign-ins go through [`LoginGuard`]: `login_max_failures` consecutive failures
//! lock a user for `login_lockout_seconds`, `login_max_failures_per_address` failures lock
//! the address they come from; in this process's memory (a restart forgets them).

use crate::catalog::seed_french_tax_rates;
use crate::config::ShopConfig;
use crate::error::ShopError;
use crate::staff::{NewUser, User, check_login, create_user};
use crate::store::{Store, now_text};
use comptoir_core::catalog::{Role, validate_code, validate_name};
use comptoir_http::sign_in::guarded;
pub use comptoir_http::sign_in::{Locked, LoginCache, LoginGuard};
use rusqlite::{Connection, OptionalExtension, params};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct Shop {
    pub store: Store,
    pub code: String,
    pub name: String,
    pub config: Arc<ShopConfig>,
    timezone: jiff::tz::TimeZone,
    logins: Arc<LoginCache<User>>,
    /// Signalled after each commit that queued a record for HQ: wakes the sync pusher.
    pub outbox_signal: Arc<tokio::sync::Notify>,
    /// Failed sign-ins, per user and per address.
    pub guard: Arc<LoginGuard>,
    /// The devices' shared state: the print queue's wake-up, the customer displays.
    pub devices: Arc<crate::display::Hub>,
    /// The way out to the SMTP server of `[mail]`, when one is set.
    pub mailer: Option<Arc<crate::receipt::mail::Mailer>>,
}

/// An Argon2id hash of nothing anyone knows, checked when the user does not exist, so
/// that an unknown user costs as long as a wrong PIN (no user enumeration by timing).
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut random = [0u8; 16];
        rand::fill(&mut random);
        comptoir_core::secret::hash_secret(&format!("{random:?}"))
    })
}

/// Records an event in the technical journal (chained and signed: `crate::journal`), with
/// no register; `crate::journal::record` takes one.
pub fn journal(conn: &Connection, code: &str, user: Option<&str>, details: &str) -> Result<(), ShopError> {
    crate::journal::record(conn, crate::journal::Event { code, user, register: None, details })?;
    Ok(())
}

impl Shop {
    /// Creates a new shop in `data_dir`: database, France's VAT rates, the first admin.
    pub fn init(
        data_dir: &Path,
        code: &str,
        name: &str,
        admin_user: &str,
        admin_password: &str,
    ) -> Result<(), ShopError> {
        let code = validate_code("code", code)?;
        let name = validate_name("name", name)?;
        let store = Store::create(data_dir)?;
        let admin = admin_user.to_string();
        let password = admin_password.to_string();
        store
            .write_blocking(move |tx| {
                tx.execute(
                    "INSERT INTO shop (id, code, name, created_at) VALUES (1, ?, ?, ?)",
                    params![code, name, now_text()],
                )?;
                seed_french_tax_rates(tx)?;
                // The journal opens with the shop; its first admin is the first user journaled.
                journal(tx, crate::journal::codes::SHOP_INITIALISED, Some(&admin), &format!("shop {code} \"{name}\""))?;
                create_user(
                    tx,
                    NewUser {
                        code: admin.clone(),
                        name: admin.clone(),
                        role: Role::Admin,
                        pin: None,
                        password: Some(password),
                    },
                )?;
                Ok(())
            })
            .inspect_err(|_| {
                // A refused init leaves no half-made shop behind.
                let _ = std::fs::remove_file(store.path());
            })
    }

    pub fn open(data_dir: &Path, config: ShopConfig) -> Result<Shop, ShopError> {
        let store = Store::open(data_dir)?;
        // A shop made before signatures gets its key at its first open; the closures'
        // settings are copied where their rules read them, a change journaled.
        let fiscal = config.fiscal.clone();
        store.write_blocking(|tx| {
            crate::fiscal::ensure_key(tx)?;
            let (month, auto): (i64, bool) =
                tx.query_row("SELECT year_start_month, auto_closures FROM fiscal_settings WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            let wanted = (i64::from(fiscal.year_start_month.clamp(1, 12)), fiscal.auto_closures);
            if (month, auto) != wanted {
                tx.execute(
                    "UPDATE fiscal_settings SET year_start_month = ?, auto_closures = ? WHERE id = 1",
                    params![wanted.0, wanted.1],
                )?;
                let details = format!(
                    "fiscal.year_start_month {month} -> {}, fiscal.auto_closures {auto} -> {}",
                    wanted.0, wanted.1
                );
                journal(tx, crate::journal::codes::CONFIG_CHANGED, None, &details)?;
            }
            Ok(())
        })?;
        let (code, name) = store.read_blocking(|c| {
            Ok(c.query_row("SELECT code, name FROM shop WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?)
        })?;
        let timezone = jiff::tz::TimeZone::get(&config.timezone)
            .map_err(|e| ShopError::Config(format!("timezone {:?}: {e}", config.timezone)))?;
        let guard = Arc::new(LoginGuard::new(
            config.login_max_failures,
            config.login_max_failures_per_address,
            Duration::from_secs(config.login_lockout_seconds),
        ));
        let mailer = crate::receipt::mail::Mailer::from_config(&config.mail)?.map(Arc::new);
        Ok(Shop {
            mailer,
            guard,
            store,
            code,
            name,
            logins: Arc::new(LoginCache::new(Duration::from_secs(config.auth_cache_seconds))),
            config: Arc::new(config),
            timezone,
            outbox_signal: Arc::new(tokio::sync::Notify::new()),
            devices: Arc::new(crate::display::Hub::default()),
        })
    }

    /// The hour (0-23) of the shop's clock now.
    pub fn local_hour(&self) -> u8 {
        let now = jiff::Timestamp::now()
            .saturating_add(jiff::SignedDuration::from_secs(self.config.test_clock_offset_seconds))
            .unwrap_or_else(|_| jiff::Timestamp::now());
        now.to_zoned(self.timezone.clone()).hour() as u8
    }

    /// The shop's time zone (`timezone`): business days, period bounds, the local dates
    /// and times receipts print.
    pub fn timezone(&self) -> &jiff::tz::TimeZone {
        &self.timezone
    }

    /// Now, as `(created_at, business_date)`: the UTC instant and the shop's calendar day.
    pub fn stamp(&self) -> (String, String) {
        let now = jiff::Timestamp::now()
            .saturating_add(jiff::SignedDuration::from_secs(self.config.test_clock_offset_seconds))
            .unwrap_or_else(|_| jiff::Timestamp::now());
        let created = now.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let day = now.to_zoned(self.timezone.clone()).date().to_string();
        (created, day)
    }

    /// Checks a user code and password (or PIN).
    pub async fn login(&self, code: &str, secret: &str) -> Result<User, ShopError> {
        if code.len() > 64 || secret.len() > 256 {
            return Err(ShopError::Unauthorized);
        }
        if let Some(user) = self.logins.get(code, secret) {
            return Ok(user);
        }
        let (code_owned, secret_owned) = (code.to_string(), secret.to_string());
        let user = self
            .store
            .read(move |c| {
                let known: Option<i64> = c
                    .query_row("SELECT 1 FROM users WHERE code = ? AND active = 1", [&code_owned], |r| r.get(0))
                    .optional()?;
                if known.is_none() {
                    // As long as a wrong secret of a real user.
                    comptoir_core::secret::verify_secret(&secret_owned, decoy_hash());
                    return Ok(None);
                }
                check_login(c, &code_owned, &secret_owned)
            })
            .await?;
        let user = user.ok_or(ShopError::Unauthorized)?;
        self.logins.put(code, secret, user.clone());
        Ok(user)
    }

    /// [`Shop::login`] behind the guard: refused at once (429) while the user or the
    /// caller's address is locked; a failure is counted, a success clears the user.
    pub async fn sign_in(&self, source: IpAddr, code: &str, secret: &str) -> Result<User, ShopError> {
        let refused = |e: &ShopError| matches!(e, ShopError::Unauthorized);
        let attempt = async {
            let result = self.login(code, secret).await;
            if matches!(result, Err(ShopError::Unauthorized)) {
                // Every checked failure is journaled (a locked caller is refused before it
                // is checked, so a flood stops at the lockout's count).
                let user: String = code.chars().take(64).collect();
                let details = format!("from {source}");
                let written = self
                    .store
                    .write(move |tx| {
                        crate::journal::record(
                            tx,
                            crate::journal::Event {
                                code: crate::journal::codes::SIGN_IN_FAILED,
                                user: Some(&user),
                                register: None,
                                details: &details,
                            },
                        )
                    })
                    .await;
                if let Err(e) = written {
                    tracing::warn!(error = %e, "a failed sign-in could not be journaled");
                }
            }
            result
        };
        guarded(&self.guard, Some(code), source, attempt, refused, locked).await
    }

    /// Forgets a remembered login, after the user changed.
    pub fn forget_login(&self, code: &str) {
        self.logins.forget(code);
    }
}

/// The refusal of a locked user or address.
pub fn locked(lock: Locked) -> ShopError {
    ShopError::TooManyAttempts { retry_after: lock.retry_after, address: lock.address }
}
