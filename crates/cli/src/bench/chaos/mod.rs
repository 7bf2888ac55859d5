//! `comptoir bench chaos --rounds N --seed S`: randomized fault rounds against a real chain,
//! each followed by a reconciliation of every shop against HQ.
//!
//! A round is a fresh copy of one template chain (an HQ on SQLite and two enrolled shops
//! with registers R1, R2), run as real `comptoir hq serve` and `comptoir shop serve`
//! processes. Every shop reaches HQ through [`link::Link`], a TCP proxy of this process.
//! While a register simulator posts sales, the round's plan (drawn from the round's seed) injects
//! faults among:
//!
//! - on the link: connections **cut** (the answer stops after a few bytes), **stalled**
//!   (nothing passes until the shop's time limit), **slowed** (small chunks, delays),
//!   **duplicated** (the request is sent to HQ a second time, as a replaying middlebox
//!   would) and **truncated** (only the beginning of the request reaches HQ);
//! - SIGKILL of a shop or of HQ in the middle of a push batch (the push request is on its
//!   way, or HQ has answered and the answer is held back) and in the middle of a snapshot
//!   (a catalog re-sync job, killed after some bytes of the snapshot passed);
//! - a clean HQ restart (SIGTERM, then start again);
//! - a shop whose disk fills up: its data directory is a small tmpfs (needs root) that a
//!   filler file fills; the shop must answer 507 `disk_full`, keep every committed sale and
//!   sell again once the filler is gone;
//! - clock skew: a shop's ticket clock runs hours or days ahead or behind HQ's
//!   (the test-only `test_clock_offset_seconds` setting).
//!
//! Then the faults stop, unanswered sales are posted again with the same id (the register's
//! retry), and once HQ has caught up every [`reconcile::Ledger`] is compared: the shop's
//! side against HQ's, entry by entry: lost, duplicated, extra and differing entries. The
//! ledgers today are tickets (id → number, total, hash), each register's chain head, and the
//! catalog (HQ → shop), and the stock levels of every article sold. The loyalty ledger joins as a new
//! variant of [`reconcile::Ledger`] once the rounds' sales name customers.
//!
//! Round `i` of `--seed S` uses seed `S + i`; a failing round prints its seed, and
//! `--seed <that> --rounds 1` runs the same plan again (timings between processes are real,
//! so a replay is the same faults at the same sales, not the same interleaving).
//!
//! The module follows a round's parts: [`faults`] (what can go wrong, the plan), [`link`]
//! (the proxy that does it), [`procs`] and [`template`] (the chain), [`rounds`] (one
//! round), [`reconcile`] (the ledgers compared).

mod faults;
mod link;
mod procs;
mod reconcile;
mod rounds;
mod template;

use super::{Figures, harness, tempdir};
use comptoir_shop::ShopError;
use rand::Rng;
use std::collections::BTreeMap;
use std::time::Instant;
use template::template;

pub use faults::{FAULTS, Fault};
pub use rounds::round;

const SHOPS: [&str; 2] = ["CHAOS1", "CHAOS2"];
const REGISTERS: [&str; 2] = ["R1", "R2"];
/// Enough articles that a snapshot lasts long enough to be killed in its middle.
const ARTICLES: usize = 300;
/// The shop's time limit for one call to HQ in a round; a stall lasts longer than it.
const SHOP_TIMEOUT_SECONDS: u64 = 2;

/// The whole run: `rounds` rounds from `seed`; stops at the first failing round.
pub async fn chaos(rounds: u64, seed: Option<u64>, sales: usize) -> Result<Figures, ShopError> {
    let seed = seed.unwrap_or_else(|| rand::rng().random_range(0..1_000_000_000));
    println!("chaos: {rounds} rounds from seed {seed} (round i uses seed {seed} + i)");
    let tmp = tempdir()?;
    let template = template(tmp.path()).await?;
    let started = Instant::now();
    let mut faults: BTreeMap<Fault, u64> = BTreeMap::new();
    let mut seen: BTreeMap<Fault, u64> = BTreeMap::new();
    let (mut tickets, mut refused) = (0usize, 0usize);
    for i in 0..rounds {
        let s = seed.wrapping_add(i);
        let r = round(&template, tmp.path(), s, sales).await.map_err(|e| {
            harness(format!(
                "chaos round {} could not be run ({e}); replay it with: comptoir bench chaos --seed {s} --rounds 1",
                i + 1
            ))
        })?;
        for f in &r.faults {
            *faults.entry(*f).or_default() += 1;
        }
        for (f, n) in &r.seen {
            *seen.entry(*f).or_default() += n;
        }
        tickets += r.tickets;
        refused += r.refused_disk_full;
        let names: Vec<&str> = r.faults.iter().map(|f| f.name()).collect();
        println!(
            "round {:>4} seed {s}: {} tickets, lost {}, duplicated {}, {:.1} s [{}]{}",
            i + 1,
            r.tickets,
            r.lost,
            r.duplicated,
            r.seconds,
            names.join(" "),
            if r.ok() { "" } else { "  FAILED" }
        );
        if !r.ok() {
            for f in &r.failures {
                println!("  {f}");
            }
            return Err(harness(format!(
                "chaos round {} failed (lost {}, duplicated {}); replay it with: comptoir bench chaos --seed {s} --rounds 1",
                i + 1,
                r.lost,
                r.duplicated
            )));
        }
    }
    println!("faults planned (rounds) / met (connections, kills, fills):");
    for f in FAULTS {
        println!(
            "  {:<24} {:>6} {:>8}",
            f.name(),
            faults.get(&f).copied().unwrap_or(0),
            seen.get(&f).copied().unwrap_or(0)
        );
    }
    let mut figures: Figures = vec![
        ("rounds", rounds as f64),
        ("seed", seed as f64),
        ("tickets", tickets as f64),
        ("lost", 0.0),
        ("duplicated", 0.0),
        ("refused_disk_full", refused as f64),
        ("seconds", started.elapsed().as_secs_f64()),
    ];
    for f in FAULTS {
        figures.push((f.name(), seen.get(&f).copied().unwrap_or(0) as f64));
    }
    Ok(figures)
}
