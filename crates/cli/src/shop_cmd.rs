//! `comptoir shop ...`: create, run and administer a shop. Administration commands work
//! on the database directly (also while the server runs: SQLite serialises the writers).

use crate::manage::{self, ManageCommand};
use crate::report;
use clap::{Args, Subcommand};
use comptoir_shop::catalog_csv;
use comptoir_shop::config::ShopConfig;
use comptoir_shop::shop::journal;
use comptoir_shop::{Shop, ShopError, logs, server, sync, verify};
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct ShopArgs {
    /// The shop's data directory (database, comptoir.toml, logs/).
    #[arg(long, global = true, env = "COMPTOIR_DATA_DIR", default_value = "comptoir-data")]
    pub data_dir: PathBuf,
    #[command(subcommand)]
    pub command: ShopCommand,
}

#[derive(Subcommand)]
pub enum ShopCommand {
    /// Creates a new shop in the data directory (refuses an existing one).
    Init {
        /// Shop code, printed in every ticket number (e.g. PARIS1).
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// Code of the first admin user.
        #[arg(long, default_value = "admin")]
        admin_user: String,
        /// Read the admin password from standard input (first line).
        #[arg(long)]
        admin_password_stdin: bool,
    },
    /// Runs the shop server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8090; 0.0.0.0:8090 for the LAN).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Walks every ticket and closure chain and the journal, checking hashes and
    /// signatures; exit 1 naming the first broken link.
    Verify,
    /// Prints the technical event journal (oldest first), filtered.
    Journal {
        /// Only entries with this code (e.g. sign_in_failed).
        #[arg(long)]
        code: Option<String>,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        register: Option<String>,
        /// From this day or instant (YYYY-MM-DD or RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Before this day or instant.
        #[arg(long)]
        to: Option<String>,
        /// Print as JSON Lines.
        #[arg(long)]
        json: bool,
    },
    /// Replaces the shop's signing key; the rotation is journaled, signed by the old key.
    RotateKey,
    /// Writes the signed archive of a day (YYYY-MM-DD), a month (YYYY-MM) or a fiscal year
    /// (YYYY) and prints its path last (docs/fiscal.md). Check it with `comptoir verify-archive`.
    Archive {
        #[arg(long)]
        period: String,
        /// Where to write it (default: <data dir>/archives/SHOP-PERIOD.jsonl).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Joins a chain: exchanges HQ's one-time token for a credential and takes the catalog.
    /// An empty data directory becomes a new shop (give its admin account).
    Enroll {
        /// HQ's address, e.g. http://hq.example.fr:8080
        #[arg(long)]
        hq: String,
        /// The token printed by `comptoir hq shop add` (works once).
        #[arg(long)]
        token: String,
        #[arg(long, default_value = "admin")]
        admin_user: String,
        /// Read the new shop's admin password from standard input.
        #[arg(long)]
        admin_password_stdin: bool,
    },
    /// Version, shop, HQ, last push and pull, unsent records, cursor.
    Status {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Runs the start-up checks (database, HQ defined, address, reachable, same HQ).
    Check,
    /// Syncs with HQ now and prints what went each way.
    Sync,
    /// Catalog CSV import and export.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    #[command(flatten)]
    Manage(ManageCommand),
}

#[derive(Subcommand)]
pub enum CatalogCommand {
    /// Imports articles from a CSV file: all rows or none.
    Import { file: PathBuf },
    /// Writes the catalog as CSV (to standard output without --output).
    Export {
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

fn read_password() -> Result<String, ShopError> {
    let mut line = String::new();
    std::io::stdin().read_to_string(&mut line)?;
    let password = line.lines().next().unwrap_or("").to_string();
    Ok(password)
}

pub fn open(data_dir: &Path, flags: &[(&str, toml::Value)]) -> Result<Shop, ShopError> {
    let config = ShopConfig::load(data_dir, flags)?;
    Shop::open(data_dir, config)
}

pub async fn run(args: ShopArgs) -> ExitCode {
    let data_dir = args.data_dir;
    let result = match args.command {
        ShopCommand::Init { code, name, admin_user, admin_password_stdin } => {
            init(&data_dir, &code, &name, &admin_user, admin_password_stdin)
        }
        ShopCommand::Serve { listen } => serve(&data_dir, listen).await,
        ShopCommand::Verify => return verify_chains(&data_dir).await,
        ShopCommand::Journal { code, user, register, from, to, json } => {
            let q = comptoir_shop::journal::JournalQuery { code, user, register, from, to, after: None, limit: None };
            print_journal(&data_dir, q, json).await
        }
        ShopCommand::RotateKey => rotate_key(&data_dir).await,
        ShopCommand::Archive { period, out } => archive(&data_dir, &period, out).await,
        ShopCommand::Enroll { hq, token, admin_user, admin_password_stdin } => {
            enroll(&data_dir, &hq, &token, &admin_user, admin_password_stdin).await
        }
        ShopCommand::Status { json } => status(&data_dir, json).await,
        ShopCommand::Check => return check(&data_dir).await,
        ShopCommand::Sync => sync_now(&data_dir).await,
        ShopCommand::Catalog { command } => catalog(&data_dir, command).await,
        ShopCommand::Manage(command) => match open(&data_dir, &[]) {
            Ok(shop) => manage::run(&shop, command).await,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

fn init(data_dir: &Path, code: &str, name: &str, admin: &str, password_stdin: bool) -> Result<(), ShopError> {
    if !password_stdin {
        return Err(ShopError::Config(
            "give the admin password on standard input with --admin-password-stdin \
             (e.g. echo 'my password' | comptoir shop init ... --admin-password-stdin)"
                .into(),
        ));
    }
    let password = read_password()?;
    Shop::init(data_dir, code, name, admin, &password)?;
    println!(
        "Shop {code} created in {}. Start it with: comptoir shop serve --data-dir {}",
        data_dir.display(),
        data_dir.display()
    );
    Ok(())
}

async fn serve(data_dir: &Path, listen: Option<SocketAddr>) -> Result<(), ShopError> {
    let flags: Vec<(&str, toml::Value)> =
        listen.map(|l| vec![("listen", toml::Value::String(l.to_string()))]).unwrap_or_default();
    let shop = open(data_dir, &flags)?;
    let _log_guard =
        logs::init(Some(&data_dir.join("logs")), &shop.config.log, &shop.config.timezone).map_err(ShopError::Config)?;
    let listener = tokio::net::TcpListener::bind(shop.config.listen).await.map_err(|e| {
        ShopError::Config(format!("cannot listen on {}: {e}; choose another --listen", shop.config.listen))
    })?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to find the port.
    println!("Comptoir shop {} ({}) listening on http://{addr}/api/v1", shop.code, shop.name);
    tracing::info!(shop = %shop.code, %addr, "shop server started");
    start_sync(&shop).await;
    server::serve(shop, listener, server::stop_signal()).await?;
    tracing::info!("shop server stopped");
    Ok(())
}

async fn print_journal(
    data_dir: &Path,
    mut q: comptoir_shop::journal::JournalQuery,
    json: bool,
) -> Result<(), ShopError> {
    let shop = open(data_dir, &[])?;
    q.limit = Some(1000);
    loop {
        let page = {
            let q = q.clone();
            shop.store.read(move |c| comptoir_shop::journal::list(c, &q)).await?
        };
        for e in &page.items {
            if json {
                println!("{}", serde_json::to_string(e).unwrap_or_default());
            } else {
                println!(
                    "{:>6}  {}  {:<16} {:<10} {:<6} {}",
                    e.sequence,
                    e.at,
                    e.code,
                    e.user.as_deref().unwrap_or("-"),
                    e.register.as_deref().unwrap_or("-"),
                    e.details
                );
            }
        }
        match page.next {
            Some(n) => q.after = Some(n),
            None => return Ok(()),
        }
    }
}

async fn archive(data_dir: &Path, period: &str, out: Option<PathBuf>) -> Result<(), ShopError> {
    let shop = open(data_dir, &[])?;
    let (path, m) = comptoir_shop::archive::write(&shop, period, out, None).await?;
    println!(
        "Archive of {} {} ({}): {} ticket(s), {} closure(s), {} journal entries, total {}, absolute total {}",
        m.shop,
        m.period,
        m.period_kind,
        m.counts.tickets,
        m.counts.closures,
        m.counts.journal,
        m.totals.tickets_total,
        m.totals.tickets_absolute_total
    );
    // A copy goes to HQ when the shop is enrolled (docs/fiscal.md, "Archives at HQ").
    match comptoir_shop::archive::upload(&shop, &path).await {
        Ok(Some(r)) if r.verified => println!("Copied to HQ as {} (its signature holds at HQ)", r.name),
        Ok(Some(r)) => println!("Copied to HQ as {}, but HQ says its signature does not hold", r.name),
        Ok(None) => {}
        Err(e) => eprintln!("The archive was written; its copy to HQ failed, run the command again: {e}"),
    }
    // Scripts and tests read the last line.
    println!("{}", path.display());
    Ok(())
}

/// `comptoir verify-archive FILE`: offline, no database. Exit 0 intact, 1 broken, 2 unreadable.
pub fn verify_archive(file: &Path, public_key: Option<&str>) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error [unreadable_archive]: {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    match comptoir_shop::archive::verify(&bytes, public_key) {
        Ok(s) => {
            let m = &s.manifest;
            println!("Archive {} of shop {}: intact.", file.display(), m.shop);
            println!("Period {} ({}), from {} to {}, made {}", m.period, m.period_kind, m.from, m.to, m.created_at);
            println!(
                "{} ticket(s), {} closure(s), {} journal entries; total {}, absolute total {}",
                m.counts.tickets,
                m.counts.closures,
                m.counts.journal,
                m.totals.tickets_total,
                m.totals.tickets_absolute_total
            );
            for c in &m.chains {
                println!(
                    "chain {}{}: {} record(s), sequences {} to {}, from {} to {}",
                    c.chain,
                    c.register.as_deref().map(|r| format!(" of {r}")).unwrap_or_default(),
                    c.records,
                    c.first_sequence,
                    c.last_sequence,
                    c.prev_hash,
                    c.last_hash
                );
            }
            println!("Signed by key {} (public keys: {})", s.signed_by, s.public_keys.join(", "));
            ExitCode::SUCCESS
        }
        Err(broken) => {
            println!("BROKEN  {}: {broken}", file.display());
            ExitCode::from(1)
        }
    }
}

async fn rotate_key(data_dir: &Path) -> Result<(), ShopError> {
    let shop = open(data_dir, &[])?;
    let key = shop.store.write(|tx| comptoir_shop::fiscal::rotate(tx, None)).await?;
    println!("New signing key: {key}");
    Ok(())
}

async fn verify_chains(data_dir: &Path) -> ExitCode {
    let shop = match open(data_dir, &[]) {
        Ok(s) => s,
        Err(e) => return report(&e),
    };
    let reports = match shop.store.write(|tx| verify::verify_recorded(tx, None)).await {
        Ok(r) => r,
        Err(e) => return report(&e),
    };
    let mut intact = true;
    for r in &reports {
        let chain =
            if r.register.is_empty() { r.chain.to_string() } else { format!("register {} {}", r.register, r.chain) };
        match &r.broken {
            None => println!("ok      {chain}: {} record(s) chained and signed", r.records),
            Some(b) => {
                intact = false;
                println!("BROKEN  {chain}: {b}");
            }
        }
    }
    let _ = shop.store.write(move |tx| journal(tx, "verify", None, if intact { "intact" } else { "broken" })).await;
    if intact {
        println!("All chains intact.");
        ExitCode::SUCCESS
    } else {
        eprintln!("Tampering detected: see the broken link(s) above.");
        ExitCode::from(1)
    }
}

async fn catalog(data_dir: &Path, command: CatalogCommand) -> Result<(), ShopError> {
    let shop = open(data_dir, &[])?;
    match command {
        CatalogCommand::Import { file } => {
            let data =
                std::fs::read(&file).map_err(|e| ShopError::Config(format!("cannot read {}: {e}", file.display())))?;
            let lang = crate::cli_lang();
            let report = shop
                .store
                .write(move |tx| {
                    let r = catalog_csv::import(tx, &data, lang)?;
                    journal(tx, "catalog_import", None, &format!("{} created, {} updated", r.created, r.updated))?;
                    Ok(r)
                })
                .await?;
            println!("{} article(s) created, {} updated.", report.created, report.updated);
            if !report.categories_created.is_empty() {
                println!("New categories: {}", report.categories_created.join(", "));
            }
        }
        CatalogCommand::Export { output } => {
            let data = shop.store.read(catalog_csv::export).await?;
            match output {
                Some(path) => std::fs::write(&path, data)
                    .map_err(|e| ShopError::Config(format!("cannot write {}: {e}", path.display())))?,
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&data)?;
                }
            }
        }
    }
    Ok(())
}

/// Runs the start-up checks into the log and, when the shop is enrolled and automatic sync
/// is on, starts the sync agent. Failures never stop the server: the shop keeps selling.
async fn start_sync(shop: &Shop) {
    let checks = sync::checks::run(shop, comptoir_core::Lang::En).await;
    let enrolled = checks.iter().any(|c| c.name == "hq_defined" && c.ok);
    for c in &checks {
        if c.ok {
            tracing::info!(check = c.name, "{}", c.message);
        } else if enrolled || c.name == "local_database" {
            tracing::warn!(check = c.name, "{}", c.message);
        }
    }
    if !enrolled {
        return;
    }
    if !shop.config.sync.auto {
        tracing::info!("automatic sync is off (sync.auto = false): run `comptoir shop sync` to sync");
        return;
    }
    match sync::SyncAgent::for_shop(shop).await {
        Ok(agent) => {
            agent.spawn();
            tracing::info!("sync with HQ started");
        }
        Err(e) => tracing::warn!(error = %e, "sync agent not started"),
    }
}

async fn enroll(
    data_dir: &Path,
    hq: &str,
    token: &str,
    admin_user: &str,
    password_stdin: bool,
) -> Result<(), ShopError> {
    let password = if password_stdin { Some(read_password()?) } else { None };
    let config = ShopConfig::load(data_dir, &[])?;
    let admin = password.as_deref().map(|p| (admin_user, p));
    let (shop, enrolment) = sync::enrol::enroll(data_dir, hq, token, admin, config).await?;
    println!(
        "Shop {} ({}) enrolled with {}{}.",
        enrolment.shop_code,
        enrolment.shop_name,
        enrolment.hq_name,
        if enrolment.created { ", new shop created" } else { "" }
    );
    let agent = sync::SyncAgent::for_shop(&shop).await?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("Catalog {bar:40} {pos}/{len} records ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |done: u64, total: u64| {
        bar.set_length(total.max(done));
        bar.set_position(done);
    };
    let items = agent.take_snapshot(&progress).await;
    bar.finish();
    if items.is_err() {
        eprintln!(
            "The shop is enrolled; the catalog will finish loading at the next sync (`comptoir shop sync` or `serve`)."
        );
    }
    let items = items?;
    println!(
        "Catalog received: {items} records. Start selling with: comptoir shop serve --data-dir {}",
        data_dir.display()
    );
    Ok(())
}

async fn status(data_dir: &Path, json: bool) -> Result<(), ShopError> {
    let shop = open(data_dir, &[])?;
    let s = sync::status::status(&shop).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
        return Ok(());
    }
    println!("Comptoir {}", s.version);
    println!("Shop:          {} ({})", s.shop, s.name);
    let Some(hq) = &s.hq else {
        println!("HQ:            none (single shop): nothing is synced");
        println!("Kept for HQ:   {} record(s), sent to HQ if this shop joins a chain (comptoir shop enroll)", s.unsent);
        return Ok(());
    };
    println!("HQ:            {} at {} (enrolled {})", hq.name, hq.url, hq.enrolled_at);
    println!("Automatic sync: {}", if s.auto_sync { "on" } else { "off" });
    println!("Last push:     {}", s.last_push_at.as_deref().unwrap_or("never"));
    println!("Last pull:     {}", s.last_pull_at.as_deref().unwrap_or("never"));
    println!(
        "Unsent:        {} record(s){}",
        s.unsent,
        if s.unsent > 0 { format!(", oldest {} s old", s.oldest_unsent_seconds) } else { String::new() }
    );
    println!("Feed cursor:   {}", s.cursor);
    if let Some(e) = &s.last_error {
        println!("Last error:    {e} ({})", s.last_error_at.as_deref().unwrap_or(""));
    }
    Ok(())
}

async fn check(data_dir: &Path) -> ExitCode {
    let shop = match open(data_dir, &[]) {
        Ok(s) => s,
        Err(e) => return report(&e),
    };
    let checks = sync::checks::run(&shop, crate::cli_lang()).await;
    for c in &checks {
        println!("{} {:<15} {}", if c.ok { "ok  " } else { "FAIL" }, c.name, c.message);
    }
    if checks.iter().all(|c| c.ok) { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

async fn sync_now(data_dir: &Path) -> Result<(), ShopError> {
    let shop = open(data_dir, &[])?;
    let agent = sync::SyncAgent::for_shop(&shop).await?;
    let (push, pull, jobs) = agent.sync_once().await?;
    println!(
        "Up:   {} record(s) sent: {} accepted, {} already at HQ, {} quarantined.",
        push.sent, push.accepted, push.duplicates, push.quarantined
    );
    println!(
        "Down: {} change(s){}, cursor {}.",
        pull.changes,
        if pull.snapshot_items > 0 {
            format!(" and a snapshot of {} records", pull.snapshot_items)
        } else {
            String::new()
        },
        pull.cursor
    );
    for w in &pull.skipped {
        println!("      skipped: {w}");
    }
    println!("Jobs: {jobs} run and reported.");
    Ok(())
}
