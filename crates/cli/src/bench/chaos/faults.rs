//! The faults a round can inject and the plan of a round, drawn from its seed alone.

use super::SHOPS;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Every fault a round can inject, in the order of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    Cut,
    Stall,
    Slow,
    Duplicate,
    Truncate,
    KillShopMidPush,
    KillHqMidPush,
    KillShopMidSnapshot,
    KillHqMidSnapshot,
    HqRestart,
    DiskFull,
    ClockSkew,
}

pub const FAULTS: [Fault; 12] = [
    Fault::Cut,
    Fault::Stall,
    Fault::Slow,
    Fault::Duplicate,
    Fault::Truncate,
    Fault::KillShopMidPush,
    Fault::KillHqMidPush,
    Fault::KillShopMidSnapshot,
    Fault::KillHqMidSnapshot,
    Fault::HqRestart,
    Fault::DiskFull,
    Fault::ClockSkew,
];

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::Cut => "cut",
            Fault::Stall => "stall",
            Fault::Slow => "slow",
            Fault::Duplicate => "duplicate",
            Fault::Truncate => "truncate",
            Fault::KillShopMidPush => "kill_shop_mid_push",
            Fault::KillHqMidPush => "kill_hq_mid_push",
            Fault::KillShopMidSnapshot => "kill_shop_mid_snapshot",
            Fault::KillHqMidSnapshot => "kill_hq_mid_snapshot",
            Fault::HqRestart => "hq_restart",
            Fault::DiskFull => "disk_full",
            Fault::ClockSkew => "clock_skew",
        }
    }
}

/// What a round does, drawn from its seed alone.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub(super) sales: usize,
    /// Link faults on between these sale numbers.
    pub(super) link: Vec<Fault>,
    pub(super) link_from: usize,
    pub(super) link_to: usize,
    /// (sale number, fault, shop index) for kills and restarts.
    pub(super) events: Vec<(usize, Fault, usize)>,
    /// (shop index, full from sale, full until sale).
    pub(super) disk_full: Option<(usize, usize, usize)>,
    /// Ticket clock offset of each shop, seconds.
    pub(super) skew: [i64; 2],
}

impl Plan {
    pub(super) fn draw(seed: u64, sales: usize) -> Plan {
        let mut rng = StdRng::seed_from_u64(seed);
        loop {
            let link: Vec<Fault> = FAULTS[..5].iter().copied().filter(|_| rng.random_bool(0.35)).collect::<Vec<_>>();
            let link_from = rng.random_range(0..sales / 2);
            let link_to = rng.random_range(link_from + 1..=sales);
            let disk_full = rng.random_bool(0.25).then(|| {
                let from = rng.random_range(0..sales / 2);
                (rng.random_range(0..SHOPS.len()), from, rng.random_range(from + 2..=sales))
            });
            let mut events = Vec::new();
            for fault in &FAULTS[5..10] {
                if rng.random_bool(0.3) {
                    let shop = rng.random_range(0..SHOPS.len());
                    // A shop whose disk is full is not killed too: it could not start again
                    // until the space returns, which says nothing about either fault.
                    let kills_full_shop = matches!(fault, Fault::KillShopMidPush | Fault::KillShopMidSnapshot)
                        && disk_full.is_some_and(|(s, _, _)| s == shop);
                    if !kills_full_shop {
                        events.push((rng.random_range(1..sales), *fault, shop));
                    }
                }
            }
            events.sort();
            let mut skew = [0i64; 2];
            for s in skew.iter_mut() {
                if rng.random_bool(0.25) {
                    // Up to three days either way: across midnight and business days.
                    *s = rng.random_range(-3 * 86_400..=3 * 86_400);
                }
            }
            let plan = Plan { sales, link, link_from, link_to, events, disk_full, skew };
            if !plan.faults().is_empty() {
                return plan;
            }
        }
    }

    pub(super) fn faults(&self) -> Vec<Fault> {
        let mut out = self.link.clone();
        out.extend(self.events.iter().map(|e| e.1));
        if self.disk_full.is_some() {
            out.push(Fault::DiskFull);
        }
        if self.skew.iter().any(|s| *s != 0) {
            out.push(Fault::ClockSkew);
        }
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_plan_is_drawn_from_its_seed_alone_and_always_injects_a_fault() {
        for seed in 0..200 {
            let (a, b) = (Plan::draw(seed, 24), Plan::draw(seed, 24));
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
            assert!(!a.faults().is_empty());
        }
    }
}
