//! `comptoir hq ...`: create, run and administer an HQ. Administration commands work on the
//! database directly (also while the server runs: SQLite serialises the writers, and the
//! server sees their catalog changes within a second).
//!
//! Where the database is: `--data-dir DIR` (the file `DIR/hq.sqlite`), or
//! `--database-url sqlite:///path/hq.sqlite` (the data directory, for `hq.toml` and the
//! logs, is then `--data-dir` or the database file's folder). `postgres://` URLs are
//! recognised and refused: PostgreSQL storage is not in this version.

use crate::cli_lang;
use clap::{Args, Subcommand};
use comptoir_core::catalog::validate_password;
use comptoir_hq::api::admin::{NewShop, add_shop, reissue_token, validate_shop};
use comptoir_hq::sync::new_keyed_secret;
use comptoir_hq::{DatabaseUrl, Hq, HqConfig, HqError, HqStorage, server};
use comptoir_hq_sqlite::{DB_FILE, SqliteStorage};
use comptoir_protocol::HqIdentity;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args)]
pub struct HqArgs {
    /// HQ's data directory (hq.sqlite, hq.toml, logs/). Default: ./comptoir-hq.
    #[arg(long, global = true, env = "COMPTOIR_HQ_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The database instead of DIR/hq.sqlite: sqlite:///path/to/hq.sqlite.
    #[arg(long, global = true, env = "COMPTOIR_HQ_DATABASE_URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: HqCommand,
}

#[derive(Subcommand)]
pub enum HqCommand {
    /// Creates a new HQ: database, random identity, first admin (refuses an existing HQ).
    Init {
        /// HQ's name, shown to shops.
        #[arg(long, default_value = "Comptoir HQ")]
        name: String,
        #[arg(long, default_value = "admin")]
        admin_user: String,
        /// Read the admin password from standard input (first line).
        #[arg(long)]
        admin_password_stdin: bool,
    },
    /// Runs the HQ server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Shops: add, list, revoke, new enrolment token.
    Shop {
        #[command(subcommand)]
        command: ShopCommand,
    },
    /// Admin API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
pub enum ShopCommand {
    /// Creates a shop and prints its one-time enrolment token (last line).
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        postal_code: String,
    },
    /// Lists the shops with their sync health.
    List,
    /// Revokes a shop: its credential is refused at once.
    Revoke { code: String },
    /// Prints a new enrolment token (last line); the shop's unused ones stop working.
    Token { code: String },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Creates an admin API token (sent as Authorization: Bearer) and prints it (last line).
    Create {
        #[arg(long)]
        name: String,
    },
}

/// Where HQ's files are.
struct Place {
    data_dir: PathBuf,
    db: PathBuf,
}

fn place(data_dir: Option<PathBuf>, url: Option<&str>) -> Result<Place, HqError> {
    match url {
        Some(url) => match DatabaseUrl::parse(url)? {
            DatabaseUrl::Sqlite(db) => {
                let dir = data_dir.unwrap_or_else(|| match db.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                });
                Ok(Place { data_dir: dir, db })
            }
            DatabaseUrl::Postgres(_) => Err(HqError::DatabaseUrl {
                url: url.into(),
                en: "PostgreSQL storage is not in this version of Comptoir; use sqlite:///path/to/hq.sqlite or --data-dir".into(),
                fr: "le stockage PostgreSQL n'est pas dans cette version de Comptoir ; utilisez sqlite:///chemin/vers/hq.sqlite ou --data-dir".into(),
            }),
        },
        None => {
            let dir = data_dir.unwrap_or_else(|| PathBuf::from("comptoir-hq"));
            Ok(Place { db: dir.join(DB_FILE), data_dir: dir })
        }
    }
}

fn report(error: &HqError) -> ExitCode {
    let lang = cli_lang();
    eprintln!("error [{}]: {}", error.kind(), error.message(lang));
    if let HqError::CsvRejected { rows } = error {
        for r in rows {
            eprintln!("  line {}: {}", r.line, r.message);
        }
    }
    if let HqError::Storage(cause) = error {
        eprintln!("  cause: {cause}");
    }
    ExitCode::from(2)
}

pub async fn run(args: HqArgs) -> ExitCode {
    let place = match place(args.data_dir, args.database_url.as_deref()) {
        Ok(p) => p,
        Err(e) => return report(&e),
    };
    let result = match args.command {
        HqCommand::Init { name, admin_user, admin_password_stdin } => {
            init(&place, &name, &admin_user, admin_password_stdin).await
        }
        HqCommand::Serve { listen } => serve(&place, listen).await,
        HqCommand::Shop { command } => shop(&place, command).await,
        HqCommand::Token { command: TokenCommand::Create { name } } => token(&place, &name).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

fn open(place: &Place) -> Result<Arc<dyn HqStorage>, HqError> {
    Ok(Arc::new(SqliteStorage::open(&place.db)?))
}

async fn init(place: &Place, name: &str, admin: &str, password_stdin: bool) -> Result<(), HqError> {
    if !password_stdin {
        return Err(HqError::Config(
            "give the admin password on standard input with --admin-password-stdin \
             (e.g. echo 'my password' | comptoir hq init ... --admin-password-stdin)"
                .into(),
        ));
    }
    let name = comptoir_core::catalog::validate_name("name", name)?;
    let admin = comptoir_core::catalog::validate_code("admin_user", admin)?;
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let password = input.lines().next().unwrap_or("").to_string();
    validate_password("admin_password", &password)?;
    let hash = tokio::task::spawn_blocking(move || comptoir_core::secret::hash_secret(&password))
        .await
        .map_err(|e| HqError::Storage(e.to_string()))?;
    let storage = SqliteStorage::create(&place.db)?;
    let identity = HqIdentity { id: uuid::Uuid::new_v4(), name: name.clone() };
    if let Err(e) = storage.initialise(&identity, &admin, &hash).await {
        // A refused init leaves no half-made HQ behind.
        drop(storage);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", place.db.display()));
        }
        return Err(e);
    }
    println!("HQ \"{name}\" ({}) created in {}.", identity.id, place.db.display());
    println!("Start it with: comptoir hq serve --data-dir {}", place.data_dir.display());
    Ok(())
}

async fn serve(place: &Place, listen: Option<SocketAddr>) -> Result<(), HqError> {
    let flags: Vec<(&str, toml::Value)> =
        listen.map(|l| vec![("listen", toml::Value::String(l.to_string()))]).unwrap_or_default();
    let config = HqConfig::load(&place.data_dir, &flags)?;
    let hq = Hq::open(open(place)?, config).await?;
    let log = comptoir_shop::config::LogConfig {
        level: hq.config.log.level.clone(),
        retention_days: hq.config.log.retention_days,
        stdout: hq.config.log.stdout,
    };
    // HQ serves shops in any time zone: its log files are dated in UTC.
    let _log_guard =
        comptoir_shop::logs::init(Some(&place.data_dir.join("logs")), &log, "UTC").map_err(HqError::Config)?;
    let listener = tokio::net::TcpListener::bind(hq.config.listen)
        .await
        .map_err(|e| HqError::Config(format!("cannot listen on {}: {e}; choose another --listen", hq.config.listen)))?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this first line to find the port.
    println!("Comptoir HQ listening on http://{addr}/api/v1");
    tracing::info!(hq = %hq.identity.id, %addr, "HQ server started");
    server::serve(hq, listener, server::stop_signal()).await?;
    tracing::info!("HQ server stopped");
    Ok(())
}

fn token_days(place: &Place) -> Result<u32, HqError> {
    Ok(HqConfig::load(&place.data_dir, &[])?.enrolment_token_days)
}

async fn shop(place: &Place, command: ShopCommand) -> Result<(), HqError> {
    let storage = open(place)?;
    match command {
        ShopCommand::Add { code, name, postal_code } => {
            let days = token_days(place)?;
            let identity = validate_shop(NewShop { code, name, postal_code })?;
            let (shop, token) = add_shop(storage.as_ref(), days, identity).await?;
            println!("Shop {} ({}, {}) created.", shop.code, shop.name, shop.postal_code);
            println!("Enrol it with `comptoir shop enroll --token ...` within {days} days; this token works once:");
            println!("{token}");
        }
        ShopCommand::List => {
            let now = jiff::Timestamp::now();
            for s in storage.list_shops().await? {
                let v = comptoir_hq::api::admin::ShopView::of(s, now);
                println!(
                    "{:<12} {:<24} enrolled={} revoked={} chain_ok={} unsent={} lag={}s last_contact={} version={}",
                    v.code,
                    v.name,
                    v.enrolled,
                    v.revoked,
                    v.chain_ok,
                    v.unsent.map(|n| n.to_string()).unwrap_or("-".into()),
                    v.lag_seconds.map(|n| n.to_string()).unwrap_or("-".into()),
                    v.last_contact.unwrap_or("-".into()),
                    v.version.unwrap_or("-".into()),
                );
            }
        }
        ShopCommand::Revoke { code } => {
            storage.revoke_shop(&code).await?;
            println!(
                "Shop {code} revoked: its credential is refused from now on. A new enrolment token (comptoir hq shop token {code}) lets it enrol again."
            );
        }
        ShopCommand::Token { code } => {
            let days = token_days(place)?;
            let token = reissue_token(storage.as_ref(), days, &code).await?;
            println!(
                "New enrolment token for shop {code}, valid {days} days, works once (earlier unused tokens no longer work):"
            );
            println!("{token}");
        }
    }
    Ok(())
}

async fn token(place: &Place, name: &str) -> Result<(), HqError> {
    let name = comptoir_core::catalog::validate_name("name", name)?;
    let storage = open(place)?;
    let (token, record) = new_keyed_secret();
    storage.create_api_token(&name, &record).await?;
    println!("API token \"{name}\" created; send it as Authorization: Bearer <token>. It is shown once:");
    println!("{token}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn database_place() {
        let p = place(None, Some("sqlite:///var/lib/hq/hq.sqlite")).ok().unwrap();
        assert_eq!((p.db, p.data_dir), (PathBuf::from("/var/lib/hq/hq.sqlite"), PathBuf::from("/var/lib/hq")));
        let p = place(Some("d".into()), None).ok().unwrap();
        assert_eq!(p.db, Path::new("d").join("hq.sqlite"));
        let e = place(None, Some("postgres://u@h/db")).err().unwrap();
        assert!(e.message(comptoir_core::Lang::En).contains("not in this version"));
        assert_eq!(place(None, Some("mysql://x")).err().unwrap().kind(), "database_url");
    }
}
