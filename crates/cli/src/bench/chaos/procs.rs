//! The chain's processes: real `comptoir hq serve` and `comptoir shop serve` children, started,
//! killed and restarted by a round.

use crate::bench::harness;
use comptoir_shop::ShopError;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A `comptoir ... serve` child and the address it printed.
pub(super) struct Proc {
    pub(super) child: Child,
    /// `http://127.0.0.1:PORT/api/v1`
    pub(super) base: String,
}

impl Proc {
    pub(super) async fn start(spec: &ProcSpec) -> Result<Proc, ShopError> {
        let (args, env) = (&spec.args, &spec.env);
        let exe = std::env::current_exe()?;
        let stderr = std::fs::OpenOptions::new().create(true).append(true).open(&spec.stderr)?;
        let mut child = Command::new(exe)
            .args(args)
            .env("LANG", "C")
            .env("COMPTOIR_SHOP_LOG__STDOUT", "false")
            .env("COMPTOIR_HQ_LOG__STDOUT", "false")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()?;
        let mut lines = BufReader::new(child.stdout.take().ok_or_else(|| harness("no stdout"))?).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .map_err(|_| harness(format!("{args:?} did not start within 30 s")))??
            .unwrap_or_default();
        let base = line
            .split("listening on ")
            .nth(1)
            .ok_or_else(|| harness(format!("{args:?} said {line:?}")))?
            .trim()
            .to_string();
        Ok(Proc { child, base })
    }

    pub(super) async fn kill(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// SIGTERM and wait: a clean stop.
    pub(super) async fn stop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
        }
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.is_err() {
            self.kill().await;
        }
    }
}

pub(super) struct ProcSpec {
    pub(super) args: Vec<String>,
    pub(super) env: Vec<(String, String)>,
    /// The process's standard error goes there (appended across restarts).
    pub(super) stderr: PathBuf,
}

/// The round's processes; a shop's or HQ's base changes when it starts again.
pub(super) struct Chain {
    pub(super) hq: Proc,
    pub(super) hq_spec: ProcSpec,
    pub(super) shops: Vec<Proc>,
    pub(super) shop_specs: Vec<ProcSpec>,
}
