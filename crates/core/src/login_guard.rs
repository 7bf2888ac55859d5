//! Failed sign-ins, counted in memory: the rule that locks an account or a source address
//! after repeated failures, shared by the shop and HQ servers. No I/O: the servers decide
//! what a sign-in is and how a refusal is worded.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most accounts and addresses remembered at once; past it, entries neither locked nor
/// recent are forgotten first, so a flood of made-up names cannot grow memory for ever.
const MAX_TRACKED: usize = 50_000;

/// Failed sign-ins, per account and per source address, in this process's memory.
///
/// `max_failures` consecutive failures of an account (or `max_per_address` failures from
/// one address, whatever the accounts) lock it for `lockout`; while locked, even the right
/// secret is refused without being checked. A success clears the account's count (not the
/// address's, or one valid account would let an address guess the others' without end).
/// Failures older than `lockout` are forgotten.
pub struct LoginGuard {
    max_failures: u32,
    max_per_address: u32,
    lockout: Duration,
    entries: Mutex<HashMap<GuardKey, Failures>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum GuardKey {
    Account(String),
    Address(IpAddr),
}

struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// Why a sign-in is refused before its secret is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    /// Seconds until it opens again (at least 1).
    pub retry_after: u64,
    /// The address is locked (else the account).
    pub address: bool,
}

impl LoginGuard {
    pub fn new(max_failures: u32, max_per_address: u32, lockout: Duration) -> LoginGuard {
        LoginGuard { max_failures, max_per_address, lockout, entries: Mutex::new(HashMap::new()) }
    }

    fn remaining(f: &Failures, now: Instant) -> Option<u64> {
        f.locked_until.filter(|u| *u > now).map(|u| (u - now).as_secs_f64().ceil().max(1.0) as u64)
    }

    /// Refuses an account or an address that is locked now.
    pub fn check(&self, account: Option<&str>, address: IpAddr) -> Result<(), Locked> {
        let now = Instant::now();
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = entries.get(&GuardKey::Address(address)).and_then(|f| Self::remaining(f, now)) {
            return Err(Locked { retry_after: r, address: true });
        }
        if let Some(account) = account
            && let Some(r) = entries.get(&GuardKey::Account(account.to_string())).and_then(|f| Self::remaining(f, now))
        {
            return Err(Locked { retry_after: r, address: false });
        }
        Ok(())
    }

    /// Counts a failure; returns the lock it caused, if any.
    pub fn failed(&self, account: Option<&str>, address: IpAddr) -> Option<Locked> {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_TRACKED {
            let lockout = self.lockout;
            entries.retain(|_, f| Self::remaining(f, now).is_some() || now.duration_since(f.last) < lockout);
            if entries.len() >= MAX_TRACKED {
                entries.retain(|_, f| Self::remaining(f, now).is_some());
            }
        }
        let mut locked = None;
        let keys = [
            account.map(|a| (GuardKey::Account(a.to_string()), self.max_failures)),
            Some((GuardKey::Address(address), self.max_per_address)),
        ];
        for (key, max) in keys.into_iter().flatten() {
            if max == 0 {
                continue;
            }
            let address = matches!(key, GuardKey::Address(_));
            let f = entries.entry(key).or_insert(Failures { count: 0, last: now, locked_until: None });
            if now.duration_since(f.last) >= self.lockout
                || Self::remaining(f, now).is_none() && f.locked_until.is_some()
            {
                f.count = 0;
                f.locked_until = None;
            }
            f.count += 1;
            f.last = now;
            if f.count >= max {
                f.count = 0;
                f.locked_until = Some(now + self.lockout);
                locked.get_or_insert(Locked { retry_after: self.lockout.as_secs().max(1), address });
            }
        }
        locked
    }

    /// A successful sign-in clears the account's failures.
    pub fn succeeded(&self, account: &str) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(&GuardKey::Account(account.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_locks_after_n_failures_and_a_success_resets() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let g = LoginGuard::new(3, 6, Duration::from_secs(300));
        assert_eq!(g.failed(Some("a"), ip), None);
        assert_eq!(g.failed(Some("a"), ip), None);
        g.succeeded("a");
        assert_eq!(g.failed(Some("a"), ip), None);
        assert_eq!(g.failed(Some("a"), ip), None);
        assert_eq!(g.check(Some("a"), ip), Ok(()));
        assert_eq!(g.failed(Some("a"), ip), Some(Locked { retry_after: 300, address: false }));
        let err = g.check(Some("a"), other).unwrap_err();
        assert!(!err.address && err.retry_after > 0 && err.retry_after <= 300);
        assert_eq!(g.check(Some("b"), other), Ok(()));
        // The sixth failure from `ip` (whatever the account) locks the address.
        assert_eq!(g.failed(Some("c"), ip), Some(Locked { retry_after: 300, address: true }));
        assert!(g.check(Some("d"), ip).unwrap_err().address);
        assert_eq!(g.check(Some("d"), other), Ok(()));
        // Zero turns a limit off.
        let off = LoginGuard::new(0, 0, Duration::from_secs(300));
        for _ in 0..100 {
            assert_eq!(off.failed(Some("a"), ip), None);
        }
        // Locks expire.
        let short = LoginGuard::new(1, 0, Duration::from_millis(20));
        assert!(short.failed(Some("a"), ip).is_some());
        assert!(short.check(Some("a"), ip).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(short.check(Some("a"), ip), Ok(()));
    }
}
