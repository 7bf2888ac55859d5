//! The sync rules that need no database, shared by every backend: secrets (enrolment
//! tokens, shop credentials, API tokens), the push checks that send a record to quarantine,
//! the chain step HQ applies as records arrive, and the lag of a shop.

use crate::error::HqError;
use crate::storage::{ChainHead, PushAction, PushItem, RecordKind, SecretRecord, ShopRecord};
use base64::Engine;
use comptoir_core::chain::{closure_hash, journal_hash, ticket_hash};
use comptoir_protocol::{MAX_BATCH, Record};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// Now, as stored in every instant: RFC 3339, UTC, microseconds.
pub fn now_text() -> String {
    format_instant(jiff::Timestamp::now())
}

pub fn format_instant(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Seconds from `earlier` (RFC 3339) to `now`; 0 when unreadable or in the future.
pub fn seconds_since(earlier: &str, now: jiff::Timestamp) -> i64 {
    earlier.parse::<jiff::Timestamp>().map(|t| (now.as_second() - t.as_second()).max(0)).unwrap_or(0)
}

/// 256 random bits, base64url without padding (43 characters, URL-safe).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256. Enrolment tokens, shop credentials and API tokens carry 256 random bits:
/// nobody can guess them, so a fast hash is right (a slow one like Argon2 protects
/// low-entropy passwords against guessing, which cannot work here) and keeps every sync
/// call cheap. What the database holds is useless to a thief: the secret is not in it.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares a presented secret with a stored hash in constant time.
pub fn secret_matches(secret: &str, stored_hash: &str) -> bool {
    let presented = secret_hash(secret);
    presented.len() == stored_hash.len() && bool::from(presented.as_bytes().ct_eq(stored_hash.as_bytes()))
}

/// A new enrolment token: `cpe_` + 256 random bits; HQ keeps only its hash (which is also
/// its id), valid `days` days.
pub fn new_enrolment_token(days: u32) -> (String, SecretRecord) {
    let token = format!("cpe_{}", random_secret());
    let now = jiff::Timestamp::now();
    let expires = now.checked_add(jiff::SignedDuration::from_hours(24 * days as i64)).unwrap_or(now);
    let hash = secret_hash(&token);
    (
        token,
        SecretRecord {
            id: hash.clone(),
            hash,
            created_at: format_instant(now),
            expires_at: Some(format_instant(expires)),
        },
    )
}

/// A new `<id>.<secret>` pair (shop credential or API token); HQ keeps the id and the
/// secret's hash.
pub fn new_keyed_secret() -> (String, SecretRecord) {
    let id = Uuid::new_v4().simple().to_string();
    let secret = random_secret();
    let record = SecretRecord { id: id.clone(), hash: secret_hash(&secret), created_at: now_text(), expires_at: None };
    (format!("{id}.{secret}"), record)
}

/// Splits `<id>.<secret>`.
pub fn split_keyed_secret(text: &str) -> Option<(&str, &str)> {
    let (id, secret) = text.trim().split_once('.')?;
    (id.len() == 32 && !secret.is_empty() && secret.len() <= 128).then_some((id, secret))
}

/// What a record does to its register's chain at HQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainStep {
    /// The next link: sequence = last + 1 and prev_hash = last hash.
    Linked,
    /// Sequences skipped: the head moves on, the event is recorded.
    Gap { detail: String },
    /// The next sequence but not pointing at the last hash.
    Break { detail: String },
    /// Older than the head (a resent record filling a gap): stored, head unchanged.
    Late { detail: String },
}

impl ChainStep {
    /// `(kind, detail)` of the event to record, if any.
    pub fn event(&self) -> Option<(&'static str, &str)> {
        match self {
            ChainStep::Linked => None,
            ChainStep::Gap { detail } => Some(("gap", detail)),
            ChainStep::Break { detail } => Some(("break", detail)),
            ChainStep::Late { detail } => Some(("late", detail)),
        }
    }
    /// Whether the record becomes the chain's new head.
    pub fn advances(&self) -> bool {
        !matches!(self, ChainStep::Late { .. })
    }
    /// Whether the chain is still known intact after it (a late record filling a gap does
    /// not repair the recorded gap: an admin looks at the events).
    pub fn ok(&self) -> bool {
        matches!(self, ChainStep::Linked)
    }
}

/// Checks a record against its chain's head at HQ (`None`: no record yet).
pub fn chain_step(head: Option<&ChainHead>, sequence: i64, prev_hash: &str, label: &str) -> ChainStep {
    let (last_seq, last_hash) = match head {
        Some(h) => (h.sequence, h.hash.as_str()),
        None => (0, comptoir_core::chain::GENESIS),
    };
    if sequence <= last_seq {
        ChainStep::Late { detail: format!("{label}: sequence {sequence} arrived after {last_seq}") }
    } else if sequence > last_seq + 1 {
        ChainStep::Gap { detail: format!("{label}: expected sequence {}, got {sequence}", last_seq + 1) }
    } else if prev_hash != last_hash {
        ChainStep::Break {
            detail: format!("{label}: prev_hash {prev_hash} is not the hash {last_hash} of sequence {last_seq}"),
        }
    } else {
        ChainStep::Linked
    }
}

/// Sorts a push's records, as received, into inserts and quarantines. The batch is refused
/// whole (400/413) only when it cannot be read at all or is too large; a record that cannot
/// be read but has an id is quarantined, so it never blocks the ones behind it.
pub fn prepare_push(shop: &str, records: Vec<serde_json::Value>) -> Result<Vec<PushItem>, HqError> {
    let raw = records
        .iter()
        .map(|v| serde_json::value::to_raw_value(v).map_err(|e| HqError::Storage(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    prepare_push_raw(shop, raw)
}

/// [`prepare_push`] on records as they arrived: each is parsed straight into its type (no
/// intermediate JSON tree, the hot path of ingestion), and its exact text is what goes to
/// quarantine when it is refused.
pub fn prepare_push_raw(shop: &str, records: Vec<Box<serde_json::value::RawValue>>) -> Result<Vec<PushItem>, HqError> {
    if records.len() > MAX_BATCH {
        return Err(HqError::BatchTooLarge { records: records.len(), max: MAX_BATCH });
    }
    let mut items = Vec::with_capacity(records.len());
    for (i, text) in records.into_iter().enumerate() {
        let record: Record = match serde_json::from_str(text.get()) {
            Ok(r) => r,
            Err(e) => {
                let value: serde_json::Value = serde_json::from_str(text.get()).unwrap_or_default();
                let kind = RecordKind::parse(value.get("kind").and_then(|k| k.as_str()).unwrap_or(""));
                let id = value
                    .get("body")
                    .and_then(|b| b.get("id"))
                    .and_then(|v| v.as_str())
                    .and_then(|s| Uuid::parse_str(s).ok())
                    .ok_or_else(|| {
                        HqError::invalid(
                            "bad_record",
                            format!("records[{i}] is not a ticket or a closure with an id: {e}"),
                            format!("records[{i}] : ce n'est ni un ticket ni une clôture avec un identifiant ({e})."),
                            Some(&format!("records[{i}]")),
                        )
                    })?;
                let raw = text.get().to_string();
                items.push(PushItem { id, kind, raw, action: PushAction::Quarantine(format!("unreadable: {e}")) });
                continue;
            }
        };
        let id = record.id();
        if let Record::Customer(c) = &record {
            let action = match crate::customers::check_pushed(c) {
                Ok(()) => PushAction::Insert(Box::new(record)),
                Err(reason) => PushAction::Quarantine(reason),
            };
            let raw = if matches!(action, PushAction::Insert(_)) { String::new() } else { text.get().to_string() };
            items.push(PushItem { id, kind: RecordKind::Customer, raw, action });
            continue;
        }
        let kind = RecordKind::parse(record.kind_str());
        if !matches!(kind, RecordKind::Ticket | RecordKind::Closure | RecordKind::JournalEntry) {
            // Not chained (loyalty entries, message acknowledgements, stock records): only the
            // shop it names is checked here; what a stock record does at HQ is
            // `crate::stock::plan`, in the backend's transaction.
            let label = match kind {
                RecordKind::LoyaltyEntry => "loyalty entry",
                RecordKind::MessageAck => "message acknowledgement",
                other => other.as_str(),
            };
            let action = if record.shop() != shop {
                PushAction::Quarantine(format!("{label} {id} names shop {}, credential is shop {shop}", record.shop()))
            } else {
                PushAction::Insert(Box::new(record))
            };
            let raw = if matches!(action, PushAction::Insert(_)) { String::new() } else { text.get().to_string() };
            items.push(PushItem { id, kind, raw, action });
            continue;
        }
        let (named_shop, stored_hash, recomputed, label) = match &record {
            Record::Ticket(t) => (t.shop.as_str(), t.hash.as_str(), ticket_hash(t), t.number.clone()),
            Record::Closure(c) => (
                c.shop.as_str(),
                c.hash.as_str(),
                closure_hash(c),
                format!("{} {} {}", c.register, c.kind.as_str(), c.period),
            ),
            Record::JournalEntry(e) => {
                (e.shop.as_str(), e.hash.as_str(), journal_hash(e), format!("journal entry {}", e.sequence))
            }
            _ => unreachable!("customers and unchained records are sorted out above"),
        };
        let number_ok = match &record {
            Record::Ticket(t) => t.number.starts_with(&format!("{}-{}-", t.shop, t.register)),
            _ => true,
        };
        let action = if named_shop != shop {
            PushAction::Quarantine(format!("{label} names shop {named_shop}, credential is shop {shop}"))
        } else if !number_ok {
            PushAction::Quarantine(format!("{label}: a ticket number starts with its shop and register codes"))
        } else if recomputed != stored_hash {
            PushAction::Quarantine(format!(
                "{label} altered: its content hashes to {recomputed}, not to its hash {stored_hash}"
            ))
        } else {
            PushAction::Insert(Box::new(record))
        };
        let raw = if matches!(action, PushAction::Insert(_)) { String::new() } else { text.get().to_string() };
        items.push(PushItem { id, kind, raw, action });
    }
    Ok(items)
}

/// How far behind a shop's sales are: 0 when it reported nothing unsent, else the age of its
/// oldest unsent record when reported plus the time since; `None` before any report.
pub fn lag_seconds(shop: &ShopRecord, now: jiff::Timestamp) -> Option<i64> {
    let unsent = shop.unsent?;
    if unsent == 0 {
        return Some(0);
    }
    let oldest = shop.oldest_unsent_seconds.unwrap_or(0);
    let since = shop.health_at.as_deref().map(|t| seconds_since(t, now)).unwrap_or(0);
    Some(oldest + since)
}

/// How long after an enrolment its shop may retry it with the same token and request id,
/// when HQ's answer was lost: long enough for the shop's retries, short enough that a token
/// seen later is of no use.
pub const ENROLMENT_RETRY_SECONDS: i64 = 15 * 60;

/// An enrolment token as HQ holds it, with its shop's state: what [`enrolment`] decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentToken {
    pub expires_at: String,
    pub used_at: Option<String>,
    /// A newer token was issued before this one was used.
    pub voided: bool,
    /// The request id the enrolment that used it came with.
    pub request: Option<String>,
    pub shop_revoked: bool,
    /// The shop's last enrolment.
    pub enrolled_at: Option<String>,
}

/// What an enrolment with a token does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrolment {
    /// The token's one use.
    First,
    /// The same request again (its answer was lost): a new credential replaces the one
    /// the shop never received.
    Retry,
}

/// Whether a token may enrol at `now` (RFC 3339) for a request with this id; `None`
/// refuses it. A token works once, except for the retry of that same enrolment: same
/// request id, within [`ENROLMENT_RETRY_SECONDS`], the shop not revoked nor enrolled again
/// since.
pub fn enrolment(t: &EnrolmentToken, now: &str, request: Option<&str>) -> Option<Enrolment> {
    if t.voided || t.expires_at.as_str() <= now {
        return None;
    }
    let Some(used_at) = &t.used_at else { return Some(Enrolment::First) };
    let same_request = request.is_some() && t.request.as_deref() == request;
    let last_enrolment = t.enrolled_at.as_deref() == Some(used_at.as_str());
    let recent = match (used_at.parse::<jiff::Timestamp>(), now.parse::<jiff::Timestamp>()) {
        (Ok(used), Ok(now)) => now.as_second() - used.as_second() <= ENROLMENT_RETRY_SECONDS,
        _ => false,
    };
    (same_request && last_enrolment && recent && !t.shop_revoked).then_some(Enrolment::Retry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_works_once_but_the_same_request_may_retry_for_a_while() {
        let unused = EnrolmentToken {
            expires_at: "2026-12-09T10:00:00.000000Z".into(),
            used_at: None,
            voided: false,
            request: None,
            shop_revoked: false,
            enrolled_at: None,
        };
        let now = "2026-12-02T10:00:00.000000Z";
        assert_eq!(enrolment(&unused, now, None), Some(Enrolment::First));
        assert_eq!(enrolment(&EnrolmentToken { voided: true, ..unused.clone() }, now, None), None);
        assert_eq!(enrolment(&unused, "2026-12-09T10:00:00.000000Z", None), None, "expired");
        let used = EnrolmentToken {
            used_at: Some(now.into()),
            request: Some("r1".into()),
            enrolled_at: Some(now.into()),
            ..unused
        };
        let soon = "2026-12-02T10:05:00.000000Z";
        assert_eq!(enrolment(&used, soon, Some("r1")), Some(Enrolment::Retry), "the lost answer's retry");
        assert_eq!(enrolment(&used, soon, Some("r2")), None, "another request");
        assert_eq!(enrolment(&used, soon, None), None, "an old shop sends no request id: once");
        assert_eq!(enrolment(&used, "2026-12-02T10:15:01.000000Z", Some("r1")), None, "too late");
        assert_eq!(enrolment(&EnrolmentToken { shop_revoked: true, ..used.clone() }, soon, Some("r1")), None);
        let again = EnrolmentToken { enrolled_at: Some("2026-12-02T10:01:00.000000Z".into()), ..used };
        assert_eq!(enrolment(&again, soon, Some("r1")), None, "enrolled since with another token");
    }

    #[test]
    fn secrets_are_random_and_checked_by_hash() {
        let (token, record) = new_enrolment_token(7);
        assert!(token.starts_with("cpe_") && token.len() == 47, "{token}");
        assert!(token[4..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(secret_matches(&token, &record.hash));
        assert!(!secret_matches("cpe_other", &record.hash));
        let (cred, rec) = new_keyed_secret();
        let (id, secret) = split_keyed_secret(&cred).unwrap();
        assert_eq!(id, rec.id);
        assert!(secret_matches(secret, &rec.hash));
        assert_ne!(new_keyed_secret().0, cred);
        assert!(split_keyed_secret("nodot").is_none());
    }

    #[test]
    fn push_checks_send_records_to_quarantine() {
        let g = comptoir_core::chain::GENESIS;
        let good = crate::conformance::ticket("LYON1", "R1", 1, g, 100, "2026-11-23");
        let mut renumbered = crate::conformance::ticket("LYON1", "R1", 2, &good.hash, 100, "2026-11-23");
        renumbered.number = "PARIS1-R1-000002".into();
        renumbered.hash = comptoir_core::chain::ticket_hash(&renumbered);
        let records = [&good, &renumbered].map(|t| serde_json::json!({"kind": "ticket", "body": t})).to_vec();
        let items = prepare_push("LYON1", records).unwrap();
        assert!(matches!(items[0].action, PushAction::Insert(_)));
        assert!(matches!(&items[1].action, PushAction::Quarantine(r) if r.contains("ticket number")), "{items:?}");
        let too_many = vec![serde_json::json!({}); MAX_BATCH + 1];
        assert_eq!(prepare_push("LYON1", too_many).unwrap_err().kind(), "batch_too_large");
    }

    #[test]
    fn chain_steps() {
        let g = comptoir_core::chain::GENESIS;
        assert_eq!(chain_step(None, 1, g, "T1"), ChainStep::Linked);
        assert!(matches!(chain_step(None, 2, g, "T2"), ChainStep::Gap { .. }));
        let head = ChainHead { sequence: 3, hash: "h3".into() };
        assert_eq!(chain_step(Some(&head), 4, "h3", "T4"), ChainStep::Linked);
        assert!(matches!(chain_step(Some(&head), 4, "hx", "T4"), ChainStep::Break { .. }));
        let late = chain_step(Some(&head), 2, "h1", "T2");
        assert!(matches!(late, ChainStep::Late { .. }) && !late.advances());
    }
}
