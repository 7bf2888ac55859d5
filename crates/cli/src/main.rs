//! `comptoir`: one binary for every Comptoir process.
//!
//! - `comptoir shop ...`: a shop server and its administration (see [`shop_cmd`]);
//! - `comptoir hq ...`: the HQ server and its administration (see [`hq_cmd`]);
//! - `comptoir demo`: a shop with generated data, ready to try;
//! - `comptoir bench ...`: the benchmarks of `docs/benchmarks.md`.
#![forbid(unsafe_code)]

mod bench;
mod demo;
mod fixtures;
mod hq_cmd;
mod manage;
mod shop_cmd;

use clap::{Parser, Subcommand};
use comptoir_core::Lang;
use comptoir_shop::ShopError;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "comptoir", version, about = "Comptoir: point of sale for shops and chains")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A shop: its server, catalog, staff and chains.
    Shop(shop_cmd::ShopArgs),
    /// HQ: the central server of a chain, its shops and tokens.
    Hq(hq_cmd::HqArgs),
    /// Starts a shop with generated data and prints what to open.
    Demo(demo::DemoArgs),
    /// Measures performance (see docs/benchmarks.md).
    Bench(bench::BenchArgs),
    /// Checks a shop's archive offline, without any database (docs/fiscal.md): exit 0 and
    /// a summary when intact, 1 naming the first broken record or signature.
    VerifyArchive {
        file: std::path::PathBuf,
        /// The shop's public key as HQ registered it (64 hex digits): the archive must be
        /// signed with it.
        #[arg(long)]
        public_key: Option<String>,
    },
}

/// The language of messages printed by the CLI, from `LANG`.
pub fn cli_lang() -> Lang {
    std::env::var("LANG").map(|l| Lang::from_preference(&l)).unwrap_or_default()
}

/// Prints an error the way a person can act on it, and picks the exit code.
pub fn report(error: &ShopError) -> ExitCode {
    let lang = cli_lang();
    eprintln!("error [{}]: {}", error.kind(), error.message(lang));
    if let ShopError::CsvRejected { rows } = error {
        for r in rows {
            let column = r.column.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default();
            eprintln!("  line {}{}: {}", r.line, column, r.message);
        }
    }
    if let ShopError::Storage(cause) = error {
        eprintln!("  cause: {cause}");
    }
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        match cli.command {
            Command::Shop(args) => shop_cmd::run(args).await,
            Command::Hq(args) => hq_cmd::run(args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Bench(args) => bench::run(args).await,
            Command::VerifyArchive { file, public_key } => shop_cmd::verify_archive(&file, public_key.as_deref()),
        }
    })
}
