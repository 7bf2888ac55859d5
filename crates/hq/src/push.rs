//! The plan of a push: what a batch of records, already sorted by
//! [`crate::sync::prepare_push`], does at HQ, decided without a database.
//!
//! A backend, in the push's transaction, reads the [`PushFacts`] that [`needs`] names (which
//! ids HQ already holds, the shop's chain heads, the documents the stock records need),
//! calls [`plan`] and writes the [`PushPlan`]: the records to insert or quarantine, the
//! chain events, the heads that moved, whether the shop's chain broke, and the sales
//! summaries to add. Rules:
//! - an id HQ holds as a ticket, a closure or in quarantine, or one met earlier in the same
//!   push, is a duplicate: nothing is done; a loyalty entry, a message acknowledgement or a
//!   stock record is also a duplicate when HQ stored it already;
//! - a customer's edits share its id and merge field by field (the backend's upsert): an
//!   inserted customer is never a duplicate;
//! - tickets and closures are chained against their register's head
//!   ([`crate::sync::chain_step`]); a gap or a break is recorded and marks the shop's chain
//!   not ok, the record is still stored;
//! - a stock record does what [`crate::stock::plan`] says, over the documents as the records
//!   before it in the push left them; its refusal quarantines it;
//! - a ticket, a closure or a journal entry whose signature does not hold with the shop's
//!   keys ([`crate::fiscal::check_signature`]) is quarantined with the reason; a journal
//!   entry is chained against the shop's journal head (register `""`); a valid key rotation
//!   ([`crate::fiscal::rotation`]) registers the new key for the records after it;
//! - the tickets stored add up into one [`BatchSummary`].

use crate::sales::{BatchSummary, summarize};
use crate::stock::Target;
use crate::storage::{ChainEvent, ChainHead, PushAction, PushItem, RecordKind, ShopKey};
use crate::sync::chain_step;
use comptoir_core::chain::JournalEntry;
use comptoir_core::closure::Closure;
use comptoir_core::ticket::Ticket;
use comptoir_protocol::{CustomerBody, Entity, LoyaltyEntryBody, MessageAckBody, PushOutcome, Quarantined, Record};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What the backend reads before planning, in the push's transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushFacts {
    /// The ids of [`needs`] that HQ holds as a ticket, a closure or in quarantine.
    pub held: HashSet<Uuid>,
    /// The ids of [`needs`] that HQ stored as a loyalty entry, a message acknowledgement or
    /// a stock record.
    pub stored: HashSet<Uuid>,
    /// The shop's chain heads, by register and chain (ticket or closure).
    pub heads: HashMap<(String, RecordKind), ChainHead>,
    /// HQ's canonical copy of each document of [`needs`] that it holds.
    pub documents: HashMap<(Entity, String), serde_json::Value>,
    /// The shop's public keys HQ holds, oldest first.
    pub keys: Vec<ShopKey>,
}

/// What [`PushFacts`] must cover: the ids of the push (customers aside), and the canonical
/// documents its stock records need.
pub fn needs(items: &[PushItem]) -> (Vec<Uuid>, Vec<(Entity, String)>) {
    let mut ids = Vec::with_capacity(items.len());
    let mut documents = Vec::new();
    for item in items {
        if let PushAction::Insert(record) | PushAction::Signed(record) = &item.action {
            if item.kind == RecordKind::Customer {
                continue;
            }
            if let Some(need) = crate::stock::needs(record) {
                documents.push(need);
            }
        }
        ids.push(item.id);
    }
    documents.sort();
    documents.dedup();
    (ids, documents)
}

/// One write of the plan; the backend makes them in order (tickets may be batched).
#[derive(Debug, Clone, PartialEq)]
pub enum PushWrite {
    /// Kept aside with its reason; `raw` is the record as received.
    Quarantine {
        id: Uuid,
        kind: RecordKind,
        reason: String,
        raw: String,
    },
    Ticket(Box<Ticket>),
    Closure(Box<Closure>),
    JournalEntry(Box<JournalEntry>),
    /// A key a signed rotation registered; `retires` is the key id it replaces (retired at
    /// the new key's `registered_at`).
    ShopKey {
        key: ShopKey,
        retires: String,
    },
    ChainEvent(ChainEvent),
    /// Merged field by field over what HQ holds (a shop's `merged_into` and `erased` never
    /// count), then appended to the feed.
    Customer(Box<CustomerBody>),
    /// Inserted, then appended to the feed.
    LoyaltyEntry(Box<LoyaltyEntryBody>),
    MessageAck(Box<MessageAckBody>),
    /// A stock record: kept by id (`kind` its tag) with what [`crate::stock::plan`] said.
    Stock {
        id: Uuid,
        kind: &'static str,
        plan: Box<crate::stock::Plan>,
    },
}

/// Everything a push does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushPlan {
    pub outcome: PushOutcome,
    pub writes: Vec<PushWrite>,
    /// The chain heads that moved, to store at the end.
    pub heads: Vec<((String, RecordKind), ChainHead)>,
    /// A gap or a break was met: the shop's chain is not ok any more.
    pub chain_broken: bool,
    /// What the stored tickets add to the sales summaries.
    pub summary: BatchSummary,
}

/// Plans the push of `shop`'s `items`, received at `at`, over `facts`.
pub fn plan(shop: &str, at: &str, items: Vec<PushItem>, facts: PushFacts) -> PushPlan {
    let PushFacts { mut held, mut stored, mut heads, mut documents, mut keys } = facts;
    let mut moved: Vec<(String, RecordKind)> = Vec::new();
    let mut p = PushPlan::default();
    for item in items {
        let customer = item.kind == RecordKind::Customer && matches!(item.action, PushAction::Insert(_));
        if !customer && held.contains(&item.id) {
            p.outcome.duplicates.push(item.id);
            continue;
        }
        let record = match item.action {
            PushAction::Quarantine(reason) => {
                held.insert(item.id);
                quarantine(&mut p, item.id, item.kind, reason, item.raw);
                continue;
            }
            PushAction::Insert(record) => (*record, false),
            PushAction::Signed(record) => (*record, true),
        };
        let (record, checked) = record;
        let signed = match &record {
            Record::Ticket(t) => Some(t.number.clone()),
            Record::Closure(c) => Some(format!("closure {} {} {}", c.register, c.kind.as_str(), c.period)),
            Record::JournalEntry(e) => Some(format!("journal entry {}", e.sequence)),
            _ => None,
        };
        if let Some(label) = signed {
            let signature = if checked { Ok(()) } else { crate::fiscal::check_signature(&keys, &record, &label) };
            let verdict = signature.and_then(|()| match &record {
                Record::JournalEntry(e) => {
                    crate::fiscal::rotation(&keys, &e.code, &e.details, e.signature.as_deref(), at)
                        .map_err(|reason| format!("{label}: {reason}"))
                }
                _ => Ok(None),
            });
            match verdict {
                Ok(Some(key)) => {
                    let retires = keys.iter().rev().find(|k| k.retired_at.is_none()).map(|k| k.key_id.clone());
                    for k in keys.iter_mut().filter(|k| k.retired_at.is_none()) {
                        k.retired_at = Some(at.to_string());
                    }
                    keys.push(key.clone());
                    p.writes.push(PushWrite::ShopKey { key, retires: retires.unwrap_or_default() });
                }
                Ok(None) => {}
                Err(reason) => {
                    held.insert(item.id);
                    let raw = serde_json::to_string(&record).unwrap_or_default();
                    quarantine(&mut p, item.id, item.kind, reason, raw);
                    continue;
                }
            }
        }
        let unchained =
            !matches!(record, Record::Ticket(_) | Record::Closure(_) | Record::Customer(_) | Record::JournalEntry(_));
        if unchained && !stored.insert(item.id) {
            p.outcome.duplicates.push(item.id);
            continue;
        }
        match record {
            Record::Ticket(t) => {
                held.insert(item.id);
                let link = (t.register.clone(), RecordKind::Ticket, t.sequence, t.prev_hash.clone(), t.hash.clone());
                chain(&mut p, &mut heads, &mut moved, shop, at, link, &t.number);
                p.summary.add(&summarize(shop, &t));
                p.writes.push(PushWrite::Ticket(Box::new(t)));
            }
            Record::Closure(c) => {
                let label = format!("{} {} {}", c.register, c.kind.as_str(), c.period);
                let link = (c.register.clone(), RecordKind::Closure, c.sequence, c.prev_hash.clone(), c.hash.clone());
                held.insert(item.id);
                // The closure is written before its chain event, as it always was.
                p.writes.push(PushWrite::Closure(Box::new(c)));
                chain(&mut p, &mut heads, &mut moved, shop, at, link, &label);
            }
            Record::JournalEntry(e) => {
                let label = format!("journal entry {}", e.sequence);
                let link = (String::new(), RecordKind::JournalEntry, e.sequence, e.prev_hash.clone(), e.hash.clone());
                held.insert(item.id);
                p.writes.push(PushWrite::JournalEntry(Box::new(e)));
                chain(&mut p, &mut heads, &mut moved, shop, at, link, &label);
            }
            Record::Customer(b) => p.writes.push(PushWrite::Customer(Box::new(b))),
            Record::LoyaltyEntry(e) => p.writes.push(PushWrite::LoyaltyEntry(Box::new(e))),
            Record::MessageAck(a) => p.writes.push(PushWrite::MessageAck(Box::new(a))),
            other => {
                let current = crate::stock::needs(&other).and_then(|need| documents.get(&need).cloned());
                match crate::stock::plan(&other, current) {
                    Ok(stock) => {
                        // Later records of the push see the canonical copies this one wrote.
                        for put in &stock.puts {
                            if put.targets.contains(&Target::Hq) {
                                documents.insert((put.entity, put.key.clone()), put.body.clone());
                            }
                        }
                        let kind = other.kind_str();
                        p.writes.push(PushWrite::Stock { id: item.id, kind, plan: Box::new(stock) });
                    }
                    Err(reason) => {
                        stored.remove(&item.id);
                        held.insert(item.id);
                        let raw = serde_json::to_string(&other).unwrap_or_default();
                        quarantine(&mut p, item.id, item.kind, reason, raw);
                        continue;
                    }
                }
            }
        }
        p.outcome.accepted.push(item.id);
    }
    p.heads = moved.into_iter().map(|key| (key.clone(), heads[&key].clone())).collect();
    p
}

fn quarantine(p: &mut PushPlan, id: Uuid, kind: RecordKind, reason: String, raw: String) {
    p.writes.push(PushWrite::Quarantine { id, kind, reason: reason.clone(), raw });
    p.outcome.quarantined.push(Quarantined { id, reason });
}

/// `(register, chain, sequence, prev_hash, hash)` of a record.
type Link = (String, RecordKind, i64, String, String);

/// Chains a record against its register's head and plans what is wrong.
fn chain(
    p: &mut PushPlan,
    heads: &mut HashMap<(String, RecordKind), ChainHead>,
    moved: &mut Vec<(String, RecordKind)>,
    shop: &str,
    at: &str,
    (register, kind, sequence, prev, hash): Link,
    label: &str,
) {
    let key = (register, kind);
    let step = chain_step(heads.get(&key), sequence, &prev, label);
    if let Some((event, detail)) = step.event() {
        tracing::warn!(shop, register = key.0, chain = kind.as_str(), event, detail, "chain event");
        p.writes.push(PushWrite::ChainEvent(ChainEvent {
            shop: shop.to_string(),
            register: key.0.clone(),
            chain: kind,
            kind: event.to_string(),
            sequence,
            detail: detail.to_string(),
            at: at.to_string(),
        }));
    }
    p.chain_broken |= !step.ok();
    if step.advances() {
        if !moved.contains(&key) {
            moved.push(key.clone());
        }
        heads.insert(key, ChainHead { sequence, hash });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{closure, ticket};
    use comptoir_core::chain::GENESIS;

    fn insert(record: Record) -> PushItem {
        let kind = RecordKind::parse(record.kind_str());
        PushItem { id: record.id(), kind, raw: String::new(), action: PushAction::Insert(Box::new(record)) }
    }

    #[test]
    fn a_push_sorts_duplicates_chains_and_sums_its_tickets() {
        let t1 = ticket("LYON1", "R1", 1, GENESIS, 450, "2026-11-23");
        let t2 = ticket("LYON1", "R1", 2, &t1.hash, 300, "2026-11-23");
        // Sequence 4 after 2: a gap, recorded; the head moves to 4.
        let t4 = ticket("LYON1", "R1", 4, &t2.hash, 200, "2026-11-24");
        let held = ticket("LYON1", "R2", 1, GENESIS, 100, "2026-11-23");
        let items = vec![
            insert(Record::Ticket(t1.clone())),
            insert(Record::Ticket(t2.clone())),
            insert(Record::Ticket(t2.clone())),
            insert(Record::Ticket(t4.clone())),
            insert(Record::Ticket(held.clone())),
            PushItem {
                id: Uuid::now_v7(),
                kind: RecordKind::Ticket,
                raw: "{}".into(),
                action: PushAction::Quarantine("altered".into()),
            },
        ];
        let facts = PushFacts { held: [held.id].into(), ..PushFacts::default() };
        let p = plan("LYON1", "t", items, facts);
        assert_eq!(p.outcome.accepted, vec![t1.id, t2.id, t4.id]);
        assert_eq!(p.outcome.duplicates, vec![t2.id, held.id], "the second t2 and the one HQ held");
        assert_eq!(p.outcome.quarantined.len(), 1);
        assert!(p.chain_broken);
        let events: Vec<&str> = p
            .writes
            .iter()
            .filter_map(|w| match w {
                PushWrite::ChainEvent(e) => Some(e.kind.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(events, ["gap"]);
        assert_eq!(p.heads, vec![(("R1".into(), RecordKind::Ticket), ChainHead { sequence: 4, hash: t4.hash })]);
        // 450 + 300 on the 23rd, 200 on the 24th: each stored ticket once.
        assert_eq!(p.summary.days[&("2026-11-23".into(), "LYON1".into())], (2, 750));
        assert_eq!(p.summary.days[&("2026-11-24".into(), "LYON1".into())], (1, 200));
    }

    #[test]
    fn a_closure_chains_on_its_own_head_and_a_late_record_leaves_the_head() {
        let c1 = closure("LYON1", "R1", 1, GENESIS, 1000, "2026-11-23");
        let c2 = closure("LYON1", "R1", 2, &c1.hash, 500, "2026-11-24");
        let head = ChainHead { sequence: 2, hash: c2.hash.clone() };
        let facts = PushFacts { heads: [(("R1".into(), RecordKind::Closure), head)].into(), ..PushFacts::default() };
        let p = plan("LYON1", "t", vec![insert(Record::Closure(c1.clone()))], facts);
        assert_eq!(p.outcome.accepted, vec![c1.id], "a late closure is still stored");
        assert!(p.heads.is_empty(), "the head stays at 2");
        assert!(matches!(&p.writes[..], [PushWrite::Closure(_), PushWrite::ChainEvent(e)] if e.kind == "late"));
        assert!(p.chain_broken);
    }
}
