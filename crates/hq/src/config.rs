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
use std::net::SocketAddr;
use std::path::Path;

/// The configuration file's name inside the HQ data directory.
pub const CONFIG_FILE: &str = "hq.toml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HqConfig {
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
    pub log: LogConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// Level or filter (`info`, `debug`, `info,comptoir_hq=debug`).
    pub level: String,
    /// Days of daily log files kept in `<data dir>/logs/`.
    pub retention_days: u32,
    /// Also write the log to standard output.
    pub stdout: bool,
}

impl Default for HqConfig {
    fn default() -> Self {
        HqConfig {
            listen: "127.0.0.1:8080".parse().expect("static address"),
            max_body_bytes: 8 * 1024 * 1024,
            request_timeout_seconds: 30,
            feed_retention_days: 30,
            feed_poll_max_seconds: 30,
            enrolment_token_days: 7,
            auth_cache_seconds: 60,
            log: LogConfig::default(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { level: "info".into(), retention_days: 30, stdout: true }
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
            jail.create_file(dir.join(CONFIG_FILE), "lisen = \"0.0.0.0:9000\"\n")?;
            assert!(HqConfig::load(&dir, &[]).unwrap_err().to_string().contains("lisen"));
            Ok(())
        });
    }
}
