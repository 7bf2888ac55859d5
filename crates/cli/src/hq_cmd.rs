//! `comptoir hq ...`: create, run and administer an HQ. Administration commands work on the
//! database directly (also while the server runs: SQLite serialises the writers, and the
//! server sees their catalog changes within a second).
//!
//! Where the database is: `--database-url` (or `COMPTOIR_HQ_DATABASE_URL`, or
//! `database_url` in `DIR/hq.toml`): `sqlite:///path/hq.sqlite` or
//! `postgres://user:password@host:5432/database`; otherwise the file `DIR/hq.sqlite` of
//! `--data-dir DIR`. The data directory (`hq.toml`, `logs/`) is `--data-dir`, else the
//! SQLite file's folder, else `./comptoir-hq`.
//!
//! `comptoir hq migrate --to postgres://...` copies a SQLite HQ into an empty PostgreSQL
//! database, row for row (same HQ id, credentials, feed sequence numbers, arrival numbers),
//! then checks the counts of every table and every register's chain head: shops keep
//! syncing with the new HQ without enrolling again.

use crate::cli_lang;
use clap::{Args, Subcommand};
use comptoir_core::catalog::validate_password;
use comptoir_hq::shops::{NewShop, add_shop, reissue_token, validate_shop};
use comptoir_hq::storage::prelude::*;
use comptoir_hq::sync::new_keyed_secret;
use comptoir_hq::{DatabaseUrl, Hq, HqConfig, HqError, HqStorage, server};
use comptoir_hq_postgres::PostgresStorage;
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
    /// The database instead of DIR/hq.sqlite: sqlite:///path/to/hq.sqlite or
    /// postgres://user:password@host:5432/database.
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
        /// Serve HTTPS with this certificate chain (PEM); goes with --tls-key.
        #[arg(long)]
        tls_cert: Option<PathBuf>,
        /// The private key (PEM) of --tls-cert.
        #[arg(long)]
        tls_key: Option<PathBuf>,
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
    /// Copies this (SQLite) HQ into an empty PostgreSQL database and checks the copy. Stop
    /// the HQ server first; afterwards serve with --database-url postgres://...
    Migrate {
        /// The target: postgres://user:password@host:5432/database (an empty database).
        #[arg(long)]
        to: String,
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
        /// ISO 3166-1 alpha-2; a French shop (the default) needs a French postal code.
        #[arg(long, default_value = "FR")]
        country: String,
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

/// Where HQ's database is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Db {
    Sqlite(PathBuf),
    /// The URL as given.
    Postgres(String),
}

/// Where HQ's files are.
struct Place {
    data_dir: PathBuf,
    db: Db,
}

impl Place {
    /// The database, as a person would write it again.
    fn shown(&self) -> String {
        match &self.db {
            Db::Sqlite(path) => path.display().to_string(),
            Db::Postgres(url) => comptoir_hq_postgres::redact(url),
        }
    }

    /// The options that name this database in a command line.
    fn args(&self) -> String {
        match &self.db {
            Db::Sqlite(_) => format!("--data-dir {}", self.data_dir.display()),
            Db::Postgres(url) => format!("--database-url {}", comptoir_hq_postgres::redact(url)),
        }
    }
}

/// The URL from the flag (or its environment variable), else `database_url` in
/// `DIR/hq.toml`, else `DIR/hq.sqlite`.
fn place(data_dir: Option<PathBuf>, url: Option<&str>) -> Result<Place, HqError> {
    let configured = match (url, &data_dir) {
        (Some(url), _) => Some(url.to_string()),
        (None, dir) => {
            let dir = dir.clone().unwrap_or_else(|| PathBuf::from("comptoir-hq"));
            HqConfig::load(&dir, &[])?.database_url
        }
    };
    match configured {
        Some(url) => match DatabaseUrl::parse(&url)? {
            DatabaseUrl::Sqlite(db) => {
                let dir = data_dir.unwrap_or_else(|| match db.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                });
                Ok(Place { data_dir: dir, db: Db::Sqlite(db) })
            }
            DatabaseUrl::Postgres(url) => {
                Ok(Place { data_dir: data_dir.unwrap_or_else(|| PathBuf::from("comptoir-hq")), db: Db::Postgres(url) })
            }
        },
        None => {
            let dir = data_dir.unwrap_or_else(|| PathBuf::from("comptoir-hq"));
            Ok(Place { db: Db::Sqlite(dir.join(DB_FILE)), data_dir: dir })
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
        HqCommand::Serve { listen, tls_cert, tls_key } => serve(&place, listen, tls_cert, tls_key).await,
        HqCommand::Shop { command } => shop(&place, command).await,
        HqCommand::Token { command: TokenCommand::Create { name } } => token(&place, &name).await,
        HqCommand::Migrate { to } => migrate(&place, &to).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

async fn open(place: &Place) -> Result<Arc<dyn HqStorage>, HqError> {
    Ok(match &place.db {
        Db::Sqlite(path) => Arc::new(SqliteStorage::open(path)?),
        Db::Postgres(url) => Arc::new(PostgresStorage::open(url).await?),
    })
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
    let identity = HqIdentity { id: uuid::Uuid::new_v4(), name: name.clone() };
    match &place.db {
        Db::Sqlite(path) => {
            let storage = SqliteStorage::create(path)?;
            if let Err(e) = storage.initialise(&identity, &admin, &hash).await {
                // A refused init leaves no half-made HQ behind.
                drop(storage);
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                return Err(e.into());
            }
        }
        Db::Postgres(url) => {
            // Only in an empty database (which must exist): never over another HQ.
            PostgresStorage::create(url).await?.initialise(&identity, &admin, &hash).await?;
        }
    }
    println!("HQ \"{name}\" ({}) created in {}.", identity.id, place.shown());
    println!("Start it with: comptoir hq serve {}", place.args());
    Ok(())
}

async fn serve(
    place: &Place,
    listen: Option<SocketAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
) -> Result<(), HqError> {
    let mut flags: Vec<(&str, toml::Value)> = Vec::new();
    if let Some(l) = listen {
        flags.push(("listen", toml::Value::String(l.to_string())));
    }
    for (key, path) in [("tls_cert", tls_cert), ("tls_key", tls_key)] {
        if let Some(p) = path {
            flags.push((key, toml::Value::String(p.display().to_string())));
        }
    }
    let config = HqConfig::load(&place.data_dir, &flags)?;
    let hq = Hq::open(open(place).await?, config).await?;
    // HQ serves shops in any time zone: its log files are dated in UTC.
    let _log_guard =
        comptoir_hq::logs::init(Some(&place.data_dir.join("logs")), &hq.config.log, "UTC").map_err(HqError::Config)?;
    let listener = tokio::net::TcpListener::bind(hq.config.listen)
        .await
        .map_err(|e| HqError::Config(format!("cannot listen on {}: {e}; choose another --listen", hq.config.listen)))?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this first line to find the port.
    println!("Comptoir HQ listening on {}://{addr}/api/v1", hq.config.scheme());
    tracing::info!(hq = %hq.identity.id, %addr, database = %place.shown(), "HQ server started");
    server::serve(hq, listener, server::stop_signal()).await?;
    tracing::info!("HQ server stopped");
    Ok(())
}

fn token_days(place: &Place) -> Result<u32, HqError> {
    Ok(HqConfig::load(&place.data_dir, &[])?.enrolment_token_days)
}

async fn shop(place: &Place, command: ShopCommand) -> Result<(), HqError> {
    let storage = open(place).await?;
    match command {
        ShopCommand::Add { code, name, postal_code, country } => {
            let days = token_days(place)?;
            let identity = validate_shop(NewShop { code, name, postal_code, country: Some(country) })?;
            let (shop, token) = add_shop(storage.as_ref(), days, identity).await?;
            println!("Shop {} ({}, {}) created.", shop.code, shop.name, shop.postal_code);
            println!("Enrol it with `comptoir shop enroll --token ...` within {days} days; this token works once:");
            println!("{token}");
        }
        ShopCommand::List => {
            let now = jiff::Timestamp::now();
            for s in storage.list_shops().await? {
                let v = comptoir_hq::shops::ShopView::of(s, now);
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
    let storage = open(place).await?;
    let (token, record) = new_keyed_secret();
    storage.create_api_token(&name, &record).await?;
    println!("API token \"{name}\" created; send it as Authorization: Bearer <token>. It is shown once:");
    println!("{token}");
    Ok(())
}

/// Each copied table's columns on PostgreSQL and the SQLite expression that gives each.
fn copy_columns(table: &str) -> Vec<(&'static str, &'static str)> {
    let same = |cols: &[&'static str]| cols.iter().map(|c| (*c, *c)).collect::<Vec<_>>();
    match table {
        "hq" => same(&["id", "hq_id", "name", "created_at", "feed_floor"]),
        "admins" => same(&["user", "password_hash", "created_at"]),
        "api_tokens" => same(&["id", "name", "hash", "created_at"]),
        "tax_rates" | "categories" => {
            let key = if table == "tax_rates" { "bp" } else { "code" };
            same(&[key, "name", "active", "updated_at"])
        }
        "articles" => same(&["id", "sku", "name", "category", "tax_rate_bp", "price", "web", "active", "updated_at"]),
        // SQLite keeps an article's barcodes in rowid order; PostgreSQL in `position`.
        "barcodes" => vec![("code", "code"), ("article_id", "article_id"), ("position", "rowid")],
        "changes" => same(&["seq", "entity", "key", "body", "shop", "created_at"]),
        "shops" => same(&[
            "code",
            "name",
            "postal_code",
            "created_at",
            "enrolled_at",
            "revoked",
            "last_contact",
            "version",
            "unsent",
            "oldest_unsent_seconds",
            "health_at",
            "cursor",
            "chain_ok",
        ]),
        "enrolment_tokens" => same(&["hash", "shop", "created_at", "expires_at", "used_at", "voided"]),
        "enrolment_requests" => same(&["token", "request"]),
        "customers" => same(&[
            "id",
            "card",
            "name",
            "name_hlc",
            "email",
            "email_hlc",
            "phone",
            "phone_hlc",
            "grp",
            "grp_hlc",
            "origin",
            "created_at",
            "merged_into",
            "merged_at",
            "erased",
            "erased_at",
        ]),
        "loyalty_entries" => same(&["id", "customer", "shop", "kind", "points", "ticket", "at", "note", "received_at"]),
        "offers" => same(&["id", "body", "created_at"]),
        "messages" => same(&["id", "shop", "register", "text", "created_at", "body"]),
        "message_acks" => same(&["id", "message", "shop", "register", "user", "at", "received_at"]),
        "credentials" => same(&["id", "shop", "hash", "created_at", "revoked_at"]),
        "tickets" => same(&[
            "arrival",
            "id",
            "shop",
            "register",
            "sequence",
            "number",
            "business_date",
            "created_at",
            "total",
            "hash",
            "prev_hash",
            "body",
            "received_at",
        ]),
        "closures" => same(&[
            "arrival",
            "id",
            "shop",
            "register",
            "sequence",
            "kind",
            "period",
            "created_at",
            "total",
            "grand_total",
            "hash",
            "prev_hash",
            "body",
            "received_at",
        ]),
        "quarantine" => same(&["id", "shop", "kind", "reason", "received_at", "body"]),
        "chain_heads" => same(&["shop", "register", "chain", "sequence", "hash"]),
        "chain_events" => same(&["id", "shop", "register", "chain", "kind", "sequence", "detail", "at"]),
        "jobs" => same(&["id", "kind", "since", "created_at", "body"]),
        "job_targets" => same(&["job", "shop", "state", "detail", "updated_at"]),
        // The dashboard's sales summaries (sessions are not copied: sign in again).
        "sales_days" => same(&["day", "shop", "tickets", "revenue"]),
        "sales_day_payments" => same(&["day", "shop", "method", "amount"]),
        "sales_day_vat" => same(&["day", "shop", "rate_bp", "gross", "net", "vat"]),
        "sales_day_articles" => same(&["day", "shop", "sku", "name", "qty_milli", "revenue"]),
        "sales_month_articles" => same(&["month", "shop", "sku", "name", "qty_milli", "revenue"]),
        // stock and people (0004_stock.sql)
        "stock_records" => same(&["id", "shop", "kind", "received_at"]),
        "stock_movements" => same(&["id", "shop", "article_id", "sku", "kind", "qty_milli", "reference", "at"]),
        "punches" => same(&["id", "shop", "register", "user_code", "kind", "at", "date", "body"]),
        "documents" => same(&["entity", "key", "audience", "body", "updated_at"]),
        // fiscal records (0010_journal.sql); uploaded archives are not copied (their files
        // stay in the SQLite HQ: the shop can upload them again)
        "shop_keys" => same(&["shop", "key_id", "public_key", "registered_at", "retired_at"]),
        "journal_entries" => same(&[
            "id",
            "shop",
            "sequence",
            "code",
            "at",
            "user_code",
            "register",
            "details",
            "prev_hash",
            "hash",
            "signature",
            "received_at",
        ]),
        _ => Vec::new(),
    }
}

fn sqlite_error(e: rusqlite::Error) -> HqError {
    HqError::Storage(format!("reading the SQLite HQ: {e}"))
}

/// Rows copied per PostgreSQL transaction.
const COPY_BATCH: usize = 2000;

/// `comptoir hq migrate --to postgres://...`: SQLite → PostgreSQL, then checks.
async fn migrate(place: &Place, to: &str) -> Result<(), HqError> {
    let Db::Sqlite(path) = &place.db else {
        return Err(HqError::Config(
            "`hq migrate` copies a SQLite HQ: give its --data-dir (or --database-url sqlite:///...)".into(),
        ));
    };
    if !matches!(DatabaseUrl::parse(to)?, DatabaseUrl::Postgres(_)) {
        return Err(HqError::Config("--to must be a postgres:// URL".into()));
    }
    // Brings the source's schema up to date (and refuses a missing file).
    let source = SqliteStorage::open(path)?;
    let identity = source.identity().await?;
    drop(source);
    let target = PostgresStorage::create(to).await?;
    let mut db = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(sqlite_error)?;
    db.busy_timeout(std::time::Duration::from_secs(10)).map_err(sqlite_error)?;
    // One read transaction: the copy is of one moment of the source.
    let read = db.transaction().map_err(sqlite_error)?;
    let mut source_counts = Vec::new();
    for table in std::iter::once("hq").chain(comptoir_hq_postgres::COPIED_TABLES.iter().copied()) {
        let columns = copy_columns(table);
        let pg_columns: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
        let select: Vec<String> = columns.iter().map(|(_, e)| format!("\"{e}\"")).collect();
        let mut stmt = read.prepare(&format!("SELECT {} FROM {table}", select.join(", "))).map_err(sqlite_error)?;
        let mut rows = stmt.query([]).map_err(sqlite_error)?;
        let (mut batch, mut n) = (Vec::new(), 0i64);
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            let mut values = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                use rusqlite::types::ValueRef;
                values.push(match row.get_ref(i).map_err(sqlite_error)? {
                    ValueRef::Null => None,
                    ValueRef::Integer(v) => Some(v.to_string()),
                    ValueRef::Real(v) => Some(v.to_string()),
                    ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
                });
            }
            batch.push(values);
            n += 1;
            if batch.len() == COPY_BATCH {
                target.import_rows(table, &pg_columns, std::mem::take(&mut batch)).await?;
            }
        }
        if !batch.is_empty() {
            target.import_rows(table, &pg_columns, batch).await?;
        }
        println!("{table:<18} {n:>10} rows copied");
        source_counts.push((table.to_string(), n));
    }
    let head: i64 = read
        .query_row(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0),
                        COALESCE((SELECT MAX(seq) FROM changes), 0), (SELECT feed_floor FROM hq WHERE id = 1))",
            [],
            |r| r.get(0),
        )
        .map_err(sqlite_error)?;
    let mut stmt = read
        .prepare("SELECT shop, register, chain, sequence, hash FROM chain_heads ORDER BY shop, register, chain")
        .map_err(sqlite_error)?;
    let source_heads: Vec<(String, String, String, i64, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .map_err(sqlite_error)?
        .collect::<Result<_, _>>()
        .map_err(sqlite_error)?;
    drop(stmt);
    // The one settings row of customers: the loyalty rule and HQ's card counter.
    let (ppe, cpp, seq): (i64, i64, i64) = read
        .query_row("SELECT points_per_euro, cents_per_point, card_seq FROM loyalty_settings WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(sqlite_error)?;
    drop(read);
    target
        .execute_batch(&format!(
            "UPDATE loyalty_settings SET points_per_euro = {ppe}, cents_per_point = {cpp}, card_seq = {seq} WHERE id = 1"
        ))
        .await?;
    target.finish_import(head).await?;

    // The checks: same identity, same counts, same chain heads, same feed head.
    let mismatch = |what: String| HqError::Storage(format!("the copy differs from the source: {what}"));
    if target.identity().await? != identity {
        return Err(mismatch("HQ identity".into()));
    }
    let target_counts = target.counts().await?;
    for (table, n) in &source_counts[1..] {
        let copied = target_counts.iter().find(|(t, _)| t == table).map(|(_, n)| *n);
        if copied != Some(*n) {
            return Err(mismatch(format!("{table}: {n} rows in SQLite, {copied:?} in PostgreSQL")));
        }
    }
    let target_heads = target.chain_heads().await?;
    if target_heads != source_heads {
        return Err(mismatch(format!(
            "chain heads ({} in SQLite, {} in PostgreSQL)",
            source_heads.len(),
            target_heads.len()
        )));
    }
    let (cursor, _) = target.snapshot_begin("").await?;
    if cursor != head {
        return Err(mismatch(format!("feed head {head} in SQLite, {cursor} in PostgreSQL")));
    }
    println!(
        "HQ \"{}\" ({}) copied to {} and checked: every table's count, {} chain heads, feed head {head}.",
        identity.name,
        identity.id,
        comptoir_hq_postgres::redact(to),
        source_heads.len()
    );
    println!(
        "Serve it with: comptoir hq serve --data-dir {} --database-url {} (or set database_url in hq.toml); shops keep their credentials.",
        place.data_dir.display(),
        comptoir_hq_postgres::redact(to)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn database_place() {
        let p = place(None, Some("sqlite:///var/lib/hq/hq.sqlite")).ok().unwrap();
        assert_eq!(
            (p.db, p.data_dir),
            (Db::Sqlite(PathBuf::from("/var/lib/hq/hq.sqlite")), PathBuf::from("/var/lib/hq"))
        );
        let dir = tempfile::tempdir().unwrap();
        let p = place(Some(dir.path().into()), None).ok().unwrap();
        assert_eq!(p.db, Db::Sqlite(dir.path().join("hq.sqlite")));
        let p = place(Some(dir.path().into()), Some("postgres://u:pw@h/db")).ok().unwrap();
        assert_eq!((p.db, p.data_dir.as_path()), (Db::Postgres("postgres://u:pw@h/db".into()), dir.path()));
        assert!(!Place { data_dir: "d".into(), db: Db::Postgres("postgres://u:pw@h/db".into()) }.args().contains("pw"));
        assert_eq!(place(None, Some("mysql://x")).err().unwrap().kind(), "database_url");
        // `database_url` in hq.toml, when no flag names one.
        std::fs::write(dir.path().join("hq.toml"), "database_url = \"postgres://hq@db:5432/hq\"\n").unwrap();
        let p = place(Some(dir.path().into()), None).ok().unwrap();
        assert_eq!(p.db, Db::Postgres("postgres://hq@db:5432/hq".into()));
        let p = place(Some(dir.path().into()), Some("sqlite:///x/hq.sqlite")).ok().unwrap();
        assert_eq!(p.db, Db::Sqlite(Path::new("/x/hq.sqlite").into()), "the flag wins");
    }
}
