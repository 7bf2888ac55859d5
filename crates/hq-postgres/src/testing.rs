//! A PostgreSQL server for tests (feature `testing`): the crate's own tests and the CLI's
//! end-to-end tests use it.
//!
//! With `COMPTOIR_TEST_POSTGRES_URL` set (a superuser URL of a server you run), each
//! [`TestPostgres::database`] is a new database on that server, dropped at the end.
//! Otherwise a throwaway server is made from Debian's binaries
//! (`/usr/lib/postgresql/*/bin/initdb` and `pg_ctl`): a temporary directory, a random free
//! port on 127.0.0.1, its Unix socket in the same directory, trust authentication; stopped
//! and removed on drop. initdb refuses to run as root, so as root the server runs as the
//! `postgres` user (`runuser`), which owns the directory.
//!
//! When no server can be had the test **fails** with what to install; it never skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable naming an existing server to use instead.
pub const URL_VARIABLE: &str = "COMPTOIR_TEST_POSTGRES_URL";
const SUPERUSER: &str = "comptoir";

/// A PostgreSQL server for the duration of a test.
pub struct TestPostgres {
    /// A URL of the server without database name: `postgres://user@host:port`.
    base: String,
    /// The `postgres` maintenance database's URL, for CREATE and DROP DATABASE.
    admin: String,
    local: Option<Local>,
    created: std::sync::Mutex<Vec<String>>,
}

struct Local {
    dir: tempfile::TempDir,
    bin: PathBuf,
    run_as: Option<String>,
}

fn fail(what: &str) -> ! {
    panic!(
        "PostgreSQL is needed for this test and none could be had: {what}.\n\
         Install Debian's `postgresql` package (apt-get install -y postgresql; scripts/test does it), \
         or set {URL_VARIABLE}=postgres://superuser:password@host:port to use a running server."
    )
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`.
pub fn debian_bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| fail(&format!("no free port: {e}")))
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

impl Local {
    /// Runs a PostgreSQL binary, as the `postgres` user when we are root.
    fn run(&self, program: &str, args: &[&str]) -> std::io::Result<Output> {
        let exe = self.bin.join(program);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.args(args).env("LC_ALL", "C").env_remove("PGDATA").output()
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl TestPostgres {
    /// A server for tests that do not measure durability (`fsync` off: faster).
    pub fn start() -> TestPostgres {
        Self::start_with(false)
    }

    /// A server; with `durable`, commits are flushed to disk as in production (benchmarks).
    pub fn start_with(durable: bool) -> TestPostgres {
        if let Ok(url) = std::env::var(URL_VARIABLE)
            && !url.is_empty()
        {
            let base = url.trim_end_matches('/').to_string();
            // postgres://u:p@h:port[/db] → without the database.
            let base = match base.split_once("://").map(|(s, rest)| (s, rest.split_once('/'))) {
                Some((scheme, Some((host, _)))) => format!("{scheme}://{host}"),
                _ => base,
            };
            return TestPostgres { admin: format!("{base}/postgres"), base, local: None, created: Default::default() };
        }
        let bin = debian_bin_dir().unwrap_or_else(|| fail("no /usr/lib/postgresql/*/bin/initdb"));
        let run_as = is_root().then(|| "postgres".to_string());
        let dir = tempfile::Builder::new()
            .prefix("comptoir-pg-")
            .tempdir()
            .unwrap_or_else(|e| fail(&format!("no temporary directory: {e}")));
        if let Some(user) = &run_as {
            let out = Command::new("chown").args([&format!("{user}:"), dir.path().to_str().unwrap_or("")]).output();
            match out {
                Ok(o) if o.status.success() => {}
                Ok(o) => fail(&format!("chown {user} {}: {}", dir.path().display(), text(&o))),
                Err(e) => fail(&format!("chown: {e}")),
            }
        }
        let local = Local { dir, bin, run_as };
        let data = local.data();
        let data_arg = data.to_str().unwrap_or_default().to_string();
        let out = local.run(
            "initdb",
            &["-D", &data_arg, "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--no-sync", "--no-instructions"],
        );
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => fail(&format!("initdb: {}", text(&o))),
            Err(e) => fail(&format!("cannot run initdb: {e}")),
        }
        let socket_dir = local.dir.path().to_str().unwrap_or_default().to_string();
        let sync = if durable { "on" } else { "off" };
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let options = format!(
                "-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync={sync} -c synchronous_commit={sync} \
                 -c full_page_writes={sync} -c max_connections=200 -c shared_buffers=64MB"
            );
            let log = local.dir.path().join("server.log");
            let out = local.run(
                "pg_ctl",
                &["-D", &data_arg, "-l", log.to_str().unwrap_or_default(), "-o", &options, "-w", "-t", "30", "start"],
            );
            match out {
                Ok(o) if o.status.success() => {
                    let base = format!("postgres://{SUPERUSER}@127.0.0.1:{port}");
                    return TestPostgres {
                        admin: format!("{base}/postgres"),
                        base,
                        local: Some(local),
                        created: Default::default(),
                    };
                }
                Ok(o) => {
                    last_error =
                        format!("pg_ctl start: {}\n{}", text(&o), std::fs::read_to_string(&log).unwrap_or_default())
                }
                Err(e) => last_error = format!("cannot run pg_ctl: {e}"),
            }
        }
        fail(&last_error)
    }

    /// A new, empty database on this server; returns its URL.
    pub fn database(&self) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!("comptoir_test_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
        self.sql(&format!("CREATE DATABASE {name}"));
        self.created.lock().unwrap_or_else(|p| p.into_inner()).push(name.clone());
        format!("{}/{name}", self.base)
    }

    /// The server's URL for a database name that may not exist.
    pub fn url_of(&self, database: &str) -> String {
        format!("{}/{database}", self.base)
    }

    /// Runs one statement on the maintenance database (from any context: its own thread).
    pub fn sql(&self, statement: &str) {
        let (admin, statement) = (self.admin.clone(), statement.to_string());
        let result = std::thread::spawn(move || -> Result<(), String> {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
                    .await
                    .map_err(|e| format!("{admin}: {e}"))?;
                let task = tokio::spawn(conn);
                let r = client.batch_execute(&statement).await.map_err(|e| format!("{statement}: {e:?}"));
                drop(client);
                let _ = task.await;
                r
            })
        })
        .join();
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => fail(&e),
            Err(_) => fail("the SQL thread panicked"),
        }
    }

    /// Where the throwaway server's files are (none with an external server).
    pub fn dir(&self) -> Option<&Path> {
        self.local.as_ref().map(|l| l.dir.path())
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        match &self.local {
            Some(local) => {
                let data = local.data();
                let _ =
                    local.run("pg_ctl", &["-D", data.to_str().unwrap_or_default(), "-m", "immediate", "-w", "stop"]);
                // The TempDir removes the files.
            }
            None => {
                let names = std::mem::take(&mut *self.created.lock().unwrap_or_else(|p| p.into_inner()));
                for name in names {
                    let admin = self.admin.clone();
                    let _ = std::thread::spawn(move || {
                        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                        rt.block_on(async {
                            if let Ok((client, conn)) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await {
                                let task = tokio::spawn(conn);
                                let _ =
                                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                                drop(client);
                                let _ = task.await;
                            }
                        })
                    })
                    .join();
                }
            }
        }
    }
}
