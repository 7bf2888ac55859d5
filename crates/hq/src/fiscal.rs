//! HQ's fiscal checks (docs/fiscal.md), decided without a database: the signature of a
//! pushed ticket, closure or journal entry against the shop's keys, and what a `key_rotated`
//! journal entry does to them.
//!
//! Rules:
//! - a shop for which HQ holds no key (enrolled before signatures, not pushed since) has its
//!   records stored unverified; once HQ holds one, every ticket, closure and journal entry
//!   must carry a signature that holds with one of the shop's keys, retired ones included
//!   (a record signed before a rotation stays valid), or it is quarantined;
//! - a rotation (`key_rotated`, details `old ID new ID public key HEX`) must be signed by
//!   the shop's current key: the new key is registered and the old one retired. A rotation
//!   signed by any other key is quarantined and changes nothing.

use crate::storage::{PushAction, PushItem, ShopKey};
use comptoir_core::chain::{encode_closure, encode_journal, encode_ticket};
use comptoir_core::fiscal::{key_id, verify};
use comptoir_protocol::Record;

/// The journal code of a key rotation (the shop's `journal::codes::KEY_ROTATED`).
pub const KEY_ROTATED: &str = "key_rotated";

/// Checks a chained record's signature; `Err(reason)` sends it to quarantine.
pub fn check_signature(keys: &[ShopKey], record: &Record, label: &str) -> Result<(), String> {
    if keys.is_empty() {
        return Ok(());
    }
    let (message, signature) = match record {
        Record::Ticket(t) => (encode_ticket(t), t.signature.as_deref()),
        Record::Closure(c) => (encode_closure(c), c.signature.as_deref()),
        Record::JournalEntry(e) => (encode_journal(e), e.signature.as_deref()),
        _ => return Ok(()),
    };
    verify(keys.iter().map(|k| k.public_key.as_str()), message.as_bytes(), signature)
        .map_err(|fault| format!("{label} {}", fault.describe()))
}

/// What a journal entry does to the shop's keys: `Ok(Some(new key))` for a valid rotation
/// (its signature already checked), `Ok(None)` for any other entry, `Err(reason)` for a
/// rotation HQ must refuse.
pub fn rotation(
    keys: &[ShopKey],
    code: &str,
    details: &str,
    signature: Option<&str>,
    at: &str,
) -> Result<Option<ShopKey>, String> {
    if code != KEY_ROTATED || keys.is_empty() {
        return Ok(None);
    }
    let signer = signature.and_then(|s| s.split_once(':')).map(|(id, _)| id).unwrap_or("");
    let current = keys.iter().rev().find(|k| k.retired_at.is_none());
    match current {
        Some(k) if k.key_id == signer => {}
        Some(k) => {
            return Err(format!("key rotation signed by key {signer}, not by the shop's current key {}", k.key_id));
        }
        None => return Err("key rotation, but the shop has no current key at HQ".into()),
    }
    let public_key = details
        .split_once("public key ")
        .map(|(_, k)| k.trim())
        .filter(|k| k.len() == 64)
        .ok_or_else(|| format!("key rotation without a new public key in its details ({details})"))?;
    let id = key_id(public_key).ok_or_else(|| format!("key rotation names an unreadable public key {public_key}"))?;
    if keys.iter().any(|k| k.key_id == id) {
        return Err(format!("key rotation names key {id}, which the shop already had"));
    }
    Ok(Some(ShopKey {
        key_id: id,
        public_key: public_key.to_string(),
        registered_at: at.to_string(),
        retired_at: None,
    }))
}

/// Checks the signatures of a push before its transaction (Ed25519 takes tens of
/// microseconds a record: not under the write lock), over `keys` as read before it and the
/// rotations of the push itself, in order. A record whose signature holds becomes
/// [`PushAction::Signed`]; any other is left as it was, for the plan to check again with the
/// keys of the transaction (a rotation pushed meanwhile) and quarantine. Keys only grow and
/// a retired key still verifies what it signed, so a signature found good here holds there.
pub fn preverify(keys: &[ShopKey], items: &mut [PushItem]) {
    if keys.is_empty() {
        return;
    }
    let mut keys = keys.to_vec();
    for item in items.iter_mut() {
        let PushAction::Insert(record) = &item.action else { continue };
        let label = match record.as_ref() {
            Record::Ticket(_) | Record::Closure(_) | Record::JournalEntry(_) => "",
            _ => continue,
        };
        if check_signature(&keys, record, label).is_err() {
            continue;
        }
        if let Record::JournalEntry(e) = record.as_ref()
            && let Ok(Some(key)) = rotation(&keys, &e.code, &e.details, e.signature.as_deref(), &e.at)
        {
            for k in keys.iter_mut().filter(|k| k.retired_at.is_none()) {
                k.retired_at = Some(e.at.clone());
            }
            keys.push(key);
        }
        let PushAction::Insert(record) = std::mem::replace(&mut item.action, PushAction::Quarantine(String::new()))
        else {
            unreachable!("matched above")
        };
        item.action = PushAction::Signed(record);
    }
}

/// The shop's first key, as HQ registers it from a push's header; `None` when unreadable.
pub fn first_key(public_key: &str, at: &str) -> Option<ShopKey> {
    let public_key = public_key.trim().to_ascii_lowercase();
    let id = key_id(&public_key)?;
    Some(ShopKey { key_id: id, public_key, registered_at: at.to_string(), retired_at: None })
}

/// What HQ found in an uploaded archive (`comptoir-archive/1`, docs/fiscal.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveCheck {
    pub period: String,
    /// Hex SHA-256 of the whole file.
    pub sha256: String,
    /// The signature of the whole (and the manifest's digest of the records) holds with one
    /// of the shop's keys.
    pub verified: bool,
    /// A summary when verified, else the first fault found.
    pub detail: String,
}

/// Why an upload is not an archive of this shop at all (refused, not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveRefusal {
    /// Not JSON Lines ending with a manifest and a signature line.
    NotAnArchive(String),
    /// The manifest names another shop.
    OtherShop(String),
}

/// Checks an uploaded archive: it ends with its manifest (naming `shop`) and the signature
/// of every byte before the last line; the signature must hold with one of `keys` (HQ's
/// copy of the shop's keys, not the keys the file lists) and the manifest's
/// `records_sha256` must be the digest of the records. The records' own chains and
/// signatures are checked by `comptoir verify-archive` (HQ already checked each record
/// when it was pushed).
pub fn check_archive(shop: &str, keys: &[ShopKey], bytes: &[u8]) -> Result<ArchiveCheck, ArchiveRefusal> {
    let not = |why: &str| ArchiveRefusal::NotAnArchive(why.to_string());
    if !bytes.ends_with(b"\n") {
        return Err(not("its last line is incomplete"));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| not("it is not UTF-8 text"))?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let n = lines.len();
    if n < 2 {
        return Err(not("it has no manifest and signature lines"));
    }
    let manifest: serde_json::Value =
        serde_json::from_str(lines[n - 2]).map_err(|_| not("its manifest is unreadable"))?;
    let signature: serde_json::Value =
        serde_json::from_str(lines[n - 1]).map_err(|_| not("its signature line is unreadable"))?;
    if manifest["type"] != "manifest" || signature["type"] != "signature" {
        return Err(not("it does not end with its manifest and its signature"));
    }
    if manifest["format"] != "comptoir-archive/1" {
        return Err(not("its format is not comptoir-archive/1"));
    }
    let named = manifest["shop"].as_str().unwrap_or_default();
    if named != shop {
        return Err(ArchiveRefusal::OtherShop(named.to_string()));
    }
    let period = manifest["period"].as_str().unwrap_or_default().to_string();
    if period.is_empty() || period.len() > 10 || !period.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return Err(not("its manifest names no period (YYYY, YYYY-MM or YYYY-MM-DD)"));
    }
    let records_len: usize = lines[..n - 2].iter().map(|l| l.len()).sum();
    let signed_len = records_len + lines[n - 2].len();
    let sha256 = comptoir_core::chain::sha256_hex(bytes);
    let digest_ok =
        manifest["records_sha256"].as_str() == Some(&comptoir_core::chain::sha256_hex(&bytes[..records_len]));
    let verdict = if keys.is_empty() {
        Err("HQ holds no public key for the shop yet: the signature cannot be checked".to_string())
    } else if !digest_ok {
        Err("the manifest's records_sha256 is not the digest of the records: a line was changed".to_string())
    } else {
        verify(keys.iter().map(|k| k.public_key.as_str()), &bytes[..signed_len], signature["signature"].as_str())
            .map_err(|f| format!("the archive {}", f.describe()))
    };
    let counts = &manifest["counts"];
    Ok(match verdict {
        Ok(()) => ArchiveCheck {
            period,
            sha256,
            verified: true,
            detail: format!(
                "signature holds; {} tickets, {} closures, {} journal entries",
                counts["tickets"], counts["closures"], counts["journal"]
            ),
        },
        Err(detail) => ArchiveCheck { period, sha256, verified: false, detail },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use comptoir_core::fiscal::SecretKey;

    fn key(k: &SecretKey, retired: bool) -> ShopKey {
        ShopKey {
            key_id: k.key_id(),
            public_key: k.public_key(),
            registered_at: "t".into(),
            retired_at: retired.then(|| "t".to_string()),
        }
    }

    #[test]
    fn a_rotation_holds_only_when_signed_by_the_current_key() {
        let (old, new, thief) = (SecretKey::generate(), SecretKey::generate(), SecretKey::generate());
        let keys = vec![key(&old, false)];
        let details = format!("old {} new {} public key {}", old.key_id(), new.key_id(), new.public_key());
        let by_old = old.sign(b"x");
        let added = rotation(&keys, KEY_ROTATED, &details, Some(&by_old), "t").unwrap().unwrap();
        assert_eq!(added.key_id, new.key_id());
        assert_eq!(rotation(&keys, "sign_in", &details, Some(&by_old), "t"), Ok(None));
        let forged = rotation(&keys, KEY_ROTATED, &details, Some(&thief.sign(b"x")), "t").unwrap_err();
        assert!(forged.contains("not by the shop's current key"), "{forged}");
        // Before the transaction: what holds is marked, the rest left for the plan.
        let entry = |signer: &SecretKey| {
            let mut e = comptoir_core::chain::JournalEntry {
                shop: "LYON1".into(),
                sequence: 1,
                code: "sign_in".into(),
                at: "t".into(),
                user: None,
                register: None,
                details: String::new(),
                prev_hash: String::new(),
                hash: String::new(),
                signature: None,
            };
            e.signature = Some(signer.sign(comptoir_core::chain::encode_journal(&e).as_bytes()));
            let record = Record::JournalEntry(e);
            let id = record.id();
            let kind = crate::storage::RecordKind::JournalEntry;
            PushItem { id, kind, raw: String::new(), action: PushAction::Insert(Box::new(record)) }
        };
        let mut items = vec![entry(&old), entry(&thief)];
        preverify(&keys, &mut items);
        assert!(matches!(items[0].action, PushAction::Signed(_)), "signed by the shop's key");
        assert!(matches!(items[1].action, PushAction::Insert(_)), "left for the plan to quarantine");
        let after = vec![key(&old, true), key(&new, false)];
        let replayed = rotation(&after, KEY_ROTATED, &details, Some(&by_old), "t").unwrap_err();
        assert!(replayed.contains("current key"), "a retired key cannot rotate again: {replayed}");
    }
}
