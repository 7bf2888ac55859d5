//! Logging of both servers: to standard output and to one file per day,
//! `<data dir>/logs/comptoir-YYYY-MM-DD.log` (the shop's calendar day; UTC for HQ, which
//! serves shops in any time zone), files older than the retention being deleted at each
//! new day. Writes go through `tracing_appender::non_blocking`, so a slow disk never
//! delays a sale.

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The `log` section of both servers' settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// Level or filter (`info`, `debug`, `info,comptoir_shop=debug`).
    pub level: String,
    /// Days of daily log files kept in `<data dir>/logs/`; older files are deleted.
    pub retention_days: u32,
    /// Also write the log to standard output.
    pub stdout: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { level: "info".into(), retention_days: 30, stdout: true }
    }
}

/// A log file that changes every day and prunes old ones.
pub struct DailyFile {
    dir: PathBuf,
    retention_days: u32,
    timezone: jiff::tz::TimeZone,
    current: Option<(jiff::civil::Date, File)>,
}

impl DailyFile {
    pub fn new(dir: &Path, retention_days: u32, timezone: jiff::tz::TimeZone) -> std::io::Result<DailyFile> {
        std::fs::create_dir_all(dir)?;
        Ok(DailyFile { dir: dir.to_path_buf(), retention_days, timezone, current: None })
    }

    pub fn file_name(day: jiff::civil::Date) -> String {
        format!("comptoir-{day}.log")
    }

    fn today(&self) -> jiff::civil::Date {
        jiff::Timestamp::now().to_zoned(self.timezone.clone()).date()
    }

    /// Deletes daily files older than the retention.
    pub fn prune(&self, today: jiff::civil::Date) -> std::io::Result<()> {
        let Ok(oldest) = today.checked_sub(jiff::Span::new().days(self.retention_days as i64)) else {
            return Ok(());
        };
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(date) = name.strip_prefix("comptoir-").and_then(|n| n.strip_suffix(".log")) else { continue };
            if let Ok(date) = date.parse::<jiff::civil::Date>()
                && date < oldest
            {
                std::fs::remove_file(self.dir.join(name))?;
            }
        }
        Ok(())
    }

    fn file_for_today(&mut self) -> std::io::Result<&mut File> {
        let today = self.today();
        if self.current.as_ref().is_none_or(|(d, _)| *d != today) {
            let file = OpenOptions::new().create(true).append(true).open(self.dir.join(Self::file_name(today)))?;
            self.current = Some((today, file));
            // Pruning is best effort: a file we cannot delete must not stop logging.
            let _ = self.prune(today);
        }
        Ok(&mut self.current.as_mut().expect("just set").1)
    }
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file_for_today()?.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.current.as_mut() {
            Some((_, f)) => f.flush(),
            None => Ok(()),
        }
    }
}

/// Installs the global logger. Keep the returned guard alive: dropping it flushes the file.
pub fn init(log_dir: Option<&Path>, config: &LogConfig, timezone: &str) -> Result<Option<WorkerGuard>, String> {
    let filter = EnvFilter::try_new(&config.level).map_err(|e| format!("log.level {:?}: {e}", config.level))?;
    let stdout = config.stdout.then(|| tracing_subscriber::fmt::layer().with_target(false));
    let (file_layer, guard) = match log_dir {
        Some(dir) => {
            let tz = jiff::tz::TimeZone::get(timezone).map_err(|e| format!("timezone {timezone:?}: {e}"))?;
            let file = DailyFile::new(dir, config.retention_days, tz).map_err(|e| format!("{}: {e}", dir.display()))?;
            let (writer, guard) = tracing_appender::non_blocking(file);
            (Some(tracing_subscriber::fmt::layer().with_ansi(false).with_writer(writer)), Some(guard))
        }
        None => (None, None),
    };
    // A second init (tests) keeps the first logger.
    let _ = tracing_subscriber::registry().with(filter).with(stdout).with(file_layer).try_init();
    Ok(guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_todays_file_and_prunes_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let tz = jiff::tz::TimeZone::UTC;
        std::fs::write(dir.path().join("comptoir-2000-01-01.log"), "old").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "keep").unwrap();
        let mut f = DailyFile::new(dir.path(), 30, tz.clone()).unwrap();
        f.write_all(b"hello\n").unwrap();
        f.flush().unwrap();
        let today = jiff::Timestamp::now().to_zoned(tz).date();
        let content = std::fs::read_to_string(dir.path().join(DailyFile::file_name(today))).unwrap();
        assert_eq!(content, "hello\n");
        assert!(!dir.path().join("comptoir-2000-01-01.log").exists());
        assert!(dir.path().join("notes.txt").exists());
    }
}
