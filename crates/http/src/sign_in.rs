//! Signing in, for both servers: the guard that locks an account or a source address
//! after repeated failures ([`LoginGuard`], counted in this process's memory), the cache
//! of checked logins ([`LoginCache`]) and the guarded sign-in itself ([`guarded`]). The
//! servers decide what a login is (their storage, their Argon2id hashes) and how a
//! refusal is worded.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

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

/// Checked logins, remembered for a while so that Argon2id (tens of milliseconds on
/// purpose) is not paid on every request: per account, a salted SHA-256 of the secret
/// (random salt per process, compared in constant time) with what the login gave.
pub struct LoginCache<U> {
    salt: [u8; 16],
    ttl: Duration,
    entries: Mutex<HashMap<String, CachedLogin<U>>>,
}

struct CachedLogin<U> {
    digest: [u8; 32],
    value: U,
    until: Instant,
}

impl<U: Clone> LoginCache<U> {
    /// A cache keeping logins `ttl` (zero: nothing is kept, every login is checked).
    pub fn new(ttl: Duration) -> LoginCache<U> {
        let mut salt = [0u8; 16];
        rand::fill(&mut salt);
        LoginCache { salt, ttl, entries: Mutex::new(HashMap::new()) }
    }

    fn digest(&self, account: &str, secret: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.salt);
        h.update(account.as_bytes());
        h.update([0]);
        h.update(secret.as_bytes());
        h.finalize().into()
    }

    /// What the login of `account` with `secret` gave, if it was checked lately.
    pub fn get(&self, account: &str, secret: &str) -> Option<U> {
        let digest = self.digest(account, secret);
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(account)
            .filter(|c| c.until > Instant::now() && bool::from(c.digest.ct_eq(&digest)))
            .map(|c| c.value.clone())
    }

    /// Remembers a checked login.
    pub fn put(&self, account: &str, secret: &str, value: U) {
        if self.ttl.is_zero() {
            return;
        }
        let digest = self.digest(account, secret);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        // Only successes are kept, so the map holds real accounts; expired ones go now and then.
        if entries.len() >= MAX_TRACKED {
            entries.retain(|_, c| c.until > now);
        }
        entries.insert(account.to_string(), CachedLogin { digest, value, until: now + self.ttl });
    }

    /// Forgets an account (its secret changed, it was deactivated).
    pub fn forget(&self, account: &str) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(account);
    }
}

/// A sign-in behind the guard: refused at once while the account or the address is
/// locked (even the right secret is not checked); a refusal (`refused` says which errors
/// are) is counted, and the lock it causes is returned instead; a success clears the
/// account's failures.
pub async fn guarded<T, E>(
    guard: &LoginGuard,
    account: Option<&str>,
    source: IpAddr,
    attempt: impl Future<Output = Result<T, E>>,
    refused: impl Fn(&E) -> bool,
    locked: impl Fn(Locked) -> E,
) -> Result<T, E> {
    guard.check(account, source).map_err(&locked)?;
    match attempt.await {
        Ok(v) => {
            if let Some(account) = account {
                guard.succeeded(account);
            }
            Ok(v)
        }
        Err(e) if refused(&e) => {
            tracing::warn!(account = account.unwrap_or("-"), %source, "sign-in refused");
            match guard.failed(account, source) {
                Some(lock) => {
                    tracing::warn!(account = account.unwrap_or("-"), %source, seconds = lock.retry_after, address = lock.address, "sign-ins locked");
                    Err(locked(lock))
                }
                None => Err(e),
            }
        }
        Err(e) => Err(e),
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

    #[test]
    fn a_cached_login_answers_for_its_own_secret_only() {
        let cache = LoginCache::new(Duration::from_secs(60));
        assert_eq!(cache.get("alice", "1234"), None);
        cache.put("alice", "1234", 7);
        assert_eq!(cache.get("alice", "1234"), Some(7));
        assert_eq!(cache.get("alice", "4321"), None);
        assert_eq!(cache.get("bob", "1234"), None);
        cache.forget("alice");
        assert_eq!(cache.get("alice", "1234"), None);
        let off = LoginCache::new(Duration::ZERO);
        off.put("alice", "1234", 7);
        assert_eq!(off.get("alice", "1234"), None, "zero keeps nothing");
    }

    #[tokio::test]
    async fn a_guarded_sign_in_counts_refusals_and_locks() {
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let g = LoginGuard::new(2, 0, Duration::from_secs(60));
        let refuse = || async { Err::<(), &str>("wrong") };
        let lock = |l: Locked| if l.address { "address locked" } else { "account locked" };
        assert_eq!(guarded(&g, Some("a"), ip, refuse(), |e| *e == "wrong", lock).await, Err("wrong"));
        assert_eq!(guarded(&g, Some("a"), ip, refuse(), |e| *e == "wrong", lock).await, Err("account locked"));
        // Locked: even a right secret is refused, unchecked.
        let ok = async { Ok::<(), &str>(()) };
        assert_eq!(guarded(&g, Some("a"), ip, ok, |e| *e == "wrong", lock).await, Err("account locked"));
        assert_eq!(guarded(&g, Some("b"), ip, async { Ok(()) }, |e| *e == "wrong", lock).await, Ok(()));
    }
}
