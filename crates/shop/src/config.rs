//! Every setting of the shop server, with its default, in one place.
//!
//! Sources, later ones winning: defaults < `<data dir>/comptoir.toml` < environment
//! variables `COMPTOIR_SHOP_<KEY>` (nested keys with `__`, e.g. `COMPTOIR_SHOP_LOG__LEVEL`)
//! < command-line flags. Unknown keys are refused, so a typo is an error, not a silently
//! ignored setting. `docs/configuration.md` lists the same keys.

use crate::error::ShopError;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// The configuration file's name inside the data directory.
pub const CONFIG_FILE: &str = "comptoir.toml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShopConfig {
    /// Address the register API listens on. Use `0.0.0.0:8090` so registers on the LAN reach it.
    pub listen: SocketAddr,
    /// IANA time zone of the shop: decides the business day of a ticket and the log file's date.
    pub timezone: String,
    /// Largest JSON request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest CSV catalog import, in bytes.
    pub max_import_bytes: usize,
    /// Time limit of one API request, in seconds.
    pub request_timeout_seconds: u64,
    /// How long a checked login is remembered (0 checks the password on every request).
    pub auth_cache_seconds: u64,
    /// Consecutive failed sign-ins (password or PIN) that lock a user (0: never locked).
    pub login_max_failures: u32,
    /// Failed sign-ins from one address that lock the address (0: never).
    pub login_max_failures_per_address: u32,
    /// How long a locked user or address stays locked, and how long failures are
    /// remembered, in seconds.
    pub login_lockout_seconds: u64,
    /// Reverse proxies whose `X-Forwarded-For` header is believed (empty: none is).
    pub trusted_proxies: Vec<IpAddr>,
    /// Requests served at once; past it, 503 with Retry-After.
    pub max_concurrent_requests: usize,
    /// Open connections at once; past it, a few more are served health only (anything
    /// else 503), then new connections wait in the system's backlog.
    pub max_connections: usize,
    /// Open connections at once from one address (the TCP peer), past it treated as past
    /// `max_connections`. 0: no bound.
    pub max_connections_per_address: usize,
    /// Time a client has to send a request's headers, in seconds.
    pub header_timeout_seconds: u64,
    /// Longest wait for the next bytes of a request body, in seconds.
    pub body_read_timeout_seconds: u64,
    /// TEST ONLY (the chaos suite's clock skew): seconds added to the clock that stamps
    /// tickets. 0, the default, is the real clock; never set it in a real shop.
    pub test_clock_offset_seconds: i64,
    /// The address customers' phones reach this server at (`https://caisse.example.fr`),
    /// for the links of receipts shown as QR codes; unset: the address the register used.
    /// When it is `https`, the back office's cookies are `Secure` (served behind TLS).
    pub public_url: Option<String>,
    pub log: LogConfig,
    pub sync: SyncConfig,
    pub fiscal: FiscalConfig,
    pub mail: MailConfig,
}

/// The SMTP server receipts are e-mailed through (`docs/peripherals.md`). Unset: the
/// register offers paper and the QR code only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// `smtp://HOST:PORT` (plain, a relay on the shop's network), `smtp://HOST:587?tls=required`
    /// (STARTTLS) or `smtps://USER:PASSWORD@HOST:465`.
    pub smtp_url: Option<String>,
    /// The receipts' sender, `Boutique <caisse@example.fr>`.
    pub from: Option<String>,
    /// Longest wait for the mail server, seconds.
    pub timeout_seconds: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig { smtp_url: None, from: None, timeout_seconds: 10 }
    }
}

/// Closures and archives (NF525, `docs/fiscal.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FiscalConfig {
    /// First month of the fiscal year (1 = January): the year closure and the year archive
    /// cover the twelve months from it; fiscal year `2026` starts in 2026.
    pub year_start_month: u8,
    /// Hour (0-23, shop's time) at which the server closes the previous business days
    /// of every register on its own. Without it, a day is still closed automatically
    /// before the first ticket of a later day.
    pub closure_hour: Option<u8>,
    /// Close days, months and fiscal years automatically (the day before the first ticket
    /// of a new day, the month after its last day, the year after its last month).
    pub auto_closures: bool,
    /// Write each month's archive to `<data dir>/archives/` once the month is closed.
    pub auto_archive: bool,
}

impl Default for FiscalConfig {
    fn default() -> Self {
        FiscalConfig { year_start_month: 1, closure_hour: None, auto_closures: true, auto_archive: true }
    }
}

/// How the shop talks to HQ (PRODUCT.md, "Synchronisation parameters").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Sync in the background while the server runs. Off: only `comptoir shop sync` syncs
    /// (the seeds' "frequency 00:00:00").
    pub auto: bool,
    /// Most records sent to HQ in one push.
    pub batch_size: usize,
    /// Send tickets and closures to HQ.
    pub send_sales: bool,
    /// Share customers and loyalty with the chain (used once customers are synced).
    pub share_customers: bool,
    /// A push is sent at once after each sale; this is the fallback check interval, seconds.
    pub push_interval_seconds: u64,
    /// Long-poll HQ's change feed (changes arrive within a second). Off: ask every
    /// `pull_interval_seconds`.
    pub long_poll: bool,
    /// How long one long-poll waits for a change at HQ, seconds.
    pub pull_wait_seconds: u64,
    /// Interval between two pulls when long-polling is off, seconds.
    pub pull_interval_seconds: u64,
    /// Time limit of one request to HQ (connection lost, server down), seconds.
    pub request_timeout_seconds: u64,
    /// Time limit of the reachability check of HQ, seconds.
    pub ping_timeout_seconds: u64,
    /// After an error, wait this long before retrying, doubling at each new error...
    pub backoff_initial_seconds: u64,
    /// ...up to this (each wait is randomised by ±20 % so shops do not retry in step).
    pub backoff_max_seconds: u64,
    /// Days an acknowledged outbox record is kept before it is purged.
    pub outbox_retention_days: u32,
    /// PEM file of a certificate authority trusted for HQ's HTTPS certificate, besides the
    /// system's and Mozilla's roots (for an HQ with its own CA).
    pub hq_ca_cert: Option<PathBuf>,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            auto: true,
            batch_size: 500,
            send_sales: true,
            share_customers: true,
            push_interval_seconds: 30,
            long_poll: true,
            pull_wait_seconds: 25,
            pull_interval_seconds: 30,
            request_timeout_seconds: 60,
            ping_timeout_seconds: 5,
            backoff_initial_seconds: 1,
            backoff_max_seconds: 300,
            outbox_retention_days: 7,
            hq_ca_cert: None,
        }
    }
}

/// The `log` section (daily files in `<data dir>/logs/`, dated in the shop's time zone).
pub use comptoir_http::logs::LogConfig;

impl Default for ShopConfig {
    fn default() -> Self {
        ShopConfig {
            listen: "127.0.0.1:8090".parse().expect("static address"),
            timezone: "Europe/Paris".into(),
            max_body_bytes: 1024 * 1024,
            max_import_bytes: 64 * 1024 * 1024,
            request_timeout_seconds: 30,
            auth_cache_seconds: 60,
            login_max_failures: 5,
            login_max_failures_per_address: 20,
            login_lockout_seconds: 300,
            trusted_proxies: Vec::new(),
            max_concurrent_requests: 256,
            max_connections: 1024,
            max_connections_per_address: 256,
            header_timeout_seconds: 10,
            body_read_timeout_seconds: 10,
            test_clock_offset_seconds: 0,
            public_url: None,
            log: LogConfig::default(),
            sync: SyncConfig::default(),
            fiscal: FiscalConfig::default(),
            mail: MailConfig::default(),
        }
    }
}

impl ShopConfig {
    /// Reads the settings of the shop in `data_dir`, applying `flags` (key, value) last.
    pub fn load(data_dir: &Path, flags: &[(&str, toml::Value)]) -> Result<ShopConfig, ShopError> {
        let mut figment = Figment::from(Serialized::defaults(ShopConfig::default()))
            .merge(Toml::file(data_dir.join(CONFIG_FILE)))
            .merge(Env::prefixed("COMPTOIR_SHOP_").split("__"));
        for (key, value) in flags {
            figment = figment.merge((*key, value.clone()));
        }
        figment.extract().map_err(|e| ShopError::Config(e.to_string()))
    }
}

#[cfg(test)]
// figment's test jail returns its own (large) error type; that is its API, not ours.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_then_flags() {
        figment::Jail::expect_with(|jail| {
            let dir = jail.directory().to_path_buf();
            jail.create_file(
                dir.join(CONFIG_FILE),
                "listen = \"0.0.0.0:9000\"\ntimezone = \"Europe/Brussels\"\n[log]\nretention_days = 7\n",
            )?;
            let c = ShopConfig::load(&dir, &[]).unwrap();
            assert_eq!(c.listen.port(), 9000);
            assert_eq!(c.log.retention_days, 7);
            assert_eq!(c.log.level, "info");

            jail.set_env("COMPTOIR_SHOP_LISTEN", "127.0.0.1:9100");
            jail.set_env("COMPTOIR_SHOP_LOG__LEVEL", "debug");
            let c = ShopConfig::load(&dir, &[]).unwrap();
            assert_eq!(c.listen.port(), 9100);
            assert_eq!(c.log.level, "debug");
            assert_eq!(c.timezone, "Europe/Brussels");

            let c = ShopConfig::load(&dir, &[("listen", toml::Value::String("127.0.0.1:9200".into()))]).unwrap();
            assert_eq!(c.listen.port(), 9200);
            assert_eq!(c.sync.hq_ca_cert, None);
            jail.set_env("COMPTOIR_SHOP_SYNC__HQ_CA_CERT", "/etc/comptoir/hq-ca.pem");
            let c = ShopConfig::load(&dir, &[]).unwrap();
            assert_eq!(c.sync.hq_ca_cert.as_deref(), Some(Path::new("/etc/comptoir/hq-ca.pem")));
            Ok(())
        });
    }

    #[test]
    fn a_mistyped_key_is_refused() {
        figment::Jail::expect_with(|jail| {
            let dir = jail.directory().to_path_buf();
            jail.create_file(dir.join(CONFIG_FILE), "lisen = \"0.0.0.0:9000\"\n")?;
            let err = ShopConfig::load(&dir, &[]).unwrap_err();
            assert!(err.to_string().contains("lisen"), "{err}");
            Ok(())
        });
    }
}
