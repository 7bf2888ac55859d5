//! Every setting of the HQ server, with its default, in one place.
//!
//! Sources, later ones winning: defaults < `<data dir>/hq.toml` < environment variables
//! `COMPTOIR_HQ_<KEY>` (nested keys with `__`, e.g. `COMPTOIR_HQ_LOG__LEVEL`) < command-line
//! flags. Unknown keys are refused, so a typo is an error. `docs/configuration.md` ("HQ
//! server") lists the same keys.

use crate::error::HqError;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// The configuration file's name inside the HQ data directory.
pub const CONFIG_FILE: &str = "hq.toml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HqConfig {
    /// The database, when not `<data dir>/hq.sqlite`: `sqlite:///path/hq.sqlite` or
    /// `postgres://user:password@host:5432/database` (`--database-url` wins over it).
    pub database_url: Option<String>,
    /// Address the API listens on.
    pub listen: SocketAddr,
    /// Largest request body, in bytes (push batches and CSV imports included).
    pub max_body_bytes: usize,
    /// Time limit of one API request, in seconds (long-polled feeds and streamed snapshots
    /// have their own bounds).
    pub request_timeout_seconds: u64,
    /// Days a change stays in the feed; a shop further behind takes a new snapshot.
    pub feed_retention_days: u32,
    /// Longest a feed request waits for a change, in seconds (also capped by the protocol).
    pub feed_poll_max_seconds: u64,
    /// Days an enrolment token stays valid.
    pub enrolment_token_days: u32,
    /// How long a checked admin password is remembered (0 checks Argon2 on every request).
    pub auth_cache_seconds: u64,
    /// Consecutive failed sign-ins that lock an admin account (0: never locked).
    pub login_max_failures: u32,
    /// Failed sign-ins or enrolments from one address that lock the address (0: never).
    pub login_max_failures_per_address: u32,
    /// How long a locked account or address stays locked, and how long failures are
    /// remembered, in seconds.
    pub login_lockout_seconds: u64,
    /// Reverse proxies whose `X-Forwarded-For` header is believed (empty: none is, the
    /// connection's address is the client's).
    pub trusted_proxies: Vec<IpAddr>,
    /// Requests served at once (long-polled feeds apart); past it, 503 with Retry-After.
    pub max_concurrent_requests: usize,
    /// Long-polled feed requests waiting at once; past it, 503 with Retry-After.
    pub max_waiting_feeds: usize,
    /// Open connections at once; past it, a few more are served health only (anything
    /// else 503), then new connections wait in the system's backlog.
    pub max_connections: usize,
    /// Open connections at once from one address (the TCP peer: behind a reverse proxy,
    /// the proxy; set 0 there), past it treated as past `max_connections`. 0: no bound.
    pub max_connections_per_address: usize,
    /// Time a client has to send a request's headers, in seconds.
    pub header_timeout_seconds: u64,
    /// Longest wait for the next bytes of a request body, in seconds.
    pub body_read_timeout_seconds: u64,
    /// PEM file of HQ's certificate chain: with `tls_key`, HQ serves HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// PEM file of the certificate's private key.
    pub tls_key: Option<PathBuf>,
    pub log: LogConfig,
}

/// The `log` section, as the shop's (daily files in `<data dir>/logs/`, dated in UTC).
pub use comptoir_http::logs::LogConfig;

impl Default for HqConfig {
    fn default() -> Self {
        HqConfig {
            database_url: None,
            listen: "127.0.0.1:8080".parse().expect("static address"),
            max_body_bytes: 8 * 1024 * 1024,
            request_timeout_seconds: 30,
            feed_retention_days: 30,
            feed_poll_max_seconds: 30,
            enrolment_token_days: 7,
            auth_cache_seconds: 60,
            login_max_failures: 5,
            login_max_failures_per_address: 20,
            login_lockout_seconds: 300,
            trusted_proxies: Vec::new(),
            max_concurrent_requests: 512,
            max_waiting_feeds: 4096,
            max_connections: 8192,
            max_connections_per_address: 1024,
            header_timeout_seconds: 10,
            body_read_timeout_seconds: 10,
            tls_cert: None,
            tls_key: None,
            log: LogConfig::default(),
        }
    }
}

impl HqConfig {
    /// Reads the settings of the HQ in `data_dir`, applying `flags` (key, value) last.
    pub fn load(data_dir: &Path, flags: &[(&str, toml::Value)]) -> Result<HqConfig, HqError> {
        let mut figment = Figment::from(Serialized::defaults(HqConfig::default()))
            .merge(Toml::file(data_dir.join(CONFIG_FILE)))
            .merge(Env::prefixed("COMPTOIR_HQ_").split("__"));
        for (key, value) in flags {
            figment = figment.merge((*key, value.clone()));
        }
        figment.extract().map_err(|e| HqError::Config(e.to_string()))
    }

    /// `https` when HQ serves TLS, else `http`: for the URL HQ announces.
    pub fn scheme(&self) -> &'static str {
        if self.tls_cert.is_some() { "https" } else { "http" }
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
            jail.create_file(dir.join(CONFIG_FILE), "listen = \"0.0.0.0:9000\"\nfeed_retention_days = 7\n")?;
            let c = HqConfig::load(&dir, &[]).unwrap();
            assert_eq!(c.listen.port(), 9000);
            assert_eq!(c.feed_retention_days, 7);
            assert_eq!(c.max_body_bytes, 8 * 1024 * 1024);
            jail.set_env("COMPTOIR_HQ_LISTEN", "127.0.0.1:9100");
            jail.set_env("COMPTOIR_HQ_LOG__LEVEL", "debug");
            let c = HqConfig::load(&dir, &[]).unwrap();
            assert_eq!(c.listen.port(), 9100);
            assert_eq!(c.log.level, "debug");
            let c = HqConfig::load(&dir, &[("listen", toml::Value::String("127.0.0.1:9200".into()))]).unwrap();
            assert_eq!(c.listen.port(), 9200);
            assert_eq!(c.scheme(), "http");
            jail.set_env("COMPTOIR_HQ_TLS_CERT", "/etc/comptoir/hq.pem");
            jail.set_env("COMPTOIR_HQ_TLS_KEY", "/etc/comptoir/hq.key");
            jail.set_env("COMPTOIR_HQ_TRUSTED_PROXIES", "[\"10.0.0.1\"]");
            let c = HqConfig::load(&dir, &[]).unwrap();
            assert_eq!(c.tls_cert.as_deref(), Some(Path::new("/etc/comptoir/hq.pem")));
            assert_eq!(c.tls_key.as_deref(), Some(Path::new("/etc/comptoir/hq.key")));
            assert_eq!(c.trusted_proxies, vec!["10.0.0.1".parse::<IpAddr>().unwrap()]);
            assert_eq!(c.scheme(), "https");
            jail.create_file(dir.join(CONFIG_FILE), "lisen = \"0.0.0.0:9000\"\n")?;
            assert!(HqConfig::load(&dir, &[]).unwrap_err().to_string().contains("lisen"));
            Ok(())
        });
    }
}
