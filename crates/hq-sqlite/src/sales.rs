//! Pushes (written as `comptoir_hq::push::plan` says), tickets, quarantine, chain events.

use super::*;
use async_trait::async_trait;
use comptoir_hq::push::{self, PushFacts, PushPlan, PushWrite};
use comptoir_hq::storage::*;
use comptoir_protocol::PushOutcome;
use rusqlite::params;
use tracing::instrument;

/// Whether HQ holds this id as a ticket, a closure or in quarantine (`held`), and as a
/// loyalty entry, a message acknowledgement or a stock record (`stored`).
/// Whether HQ holds `id` as a ticket, a closure or a quarantined record.
fn held(c: &Connection, id: &str) -> R<bool> {
    Ok(c.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM tickets WHERE id = ?1) OR EXISTS(SELECT 1 FROM closures WHERE id = ?1)
             OR EXISTS(SELECT 1 FROM quarantine WHERE id = ?1) OR EXISTS(SELECT 1 FROM journal_entries WHERE id = ?1)",
    )?
    .query_row([id], |r| r.get(0))?)
}

/// Whether HQ stored `id` as a loyalty entry, a message acknowledgement or a stock record:
/// asked only of those kinds, so a ticket's push reads three tables, not six.
fn stored(c: &Connection, id: &str) -> R<bool> {
    Ok(c.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM loyalty_entries WHERE id = ?1) OR EXISTS(SELECT 1 FROM message_acks WHERE id = ?1)
             OR EXISTS(SELECT 1 FROM stock_records WHERE id = ?1)",
    )?
    .query_row([id], |r| r.get(0))?)
}

/// What `comptoir_hq::push::plan` needs to know about a push, read in its transaction.
fn push_facts(c: &Connection, shop: &str, items: &[PushItem]) -> R<PushFacts> {
    let (ids, documents) = push::needs(items);
    let mut facts = PushFacts::default();
    let chained: std::collections::HashSet<Uuid> = items
        .iter()
        .filter(|i| {
            matches!(i.kind, RecordKind::Ticket | RecordKind::Closure | RecordKind::Customer | RecordKind::JournalEntry)
        })
        .map(|i| i.id)
        .collect();
    for id in ids {
        let key = id.to_string();
        if held(c, &key)? {
            facts.held.insert(id);
        }
        if !chained.contains(&id) && stored(c, &key)? {
            facts.stored.insert(id);
        }
    }
    let mut stmt = c.prepare_cached("SELECT register, chain, sequence, hash FROM chain_heads WHERE shop = ?")?;
    let rows = stmt.query_map([shop], |r| {
        let chain: String = r.get(1)?;
        Ok(((r.get(0)?, RecordKind::parse(&chain)), ChainHead { sequence: r.get(2)?, hash: r.get(3)? }))
    })?;
    for row in rows {
        let (key, head) = row?;
        facts.heads.insert(key, head);
    }
    facts.keys = fiscal::keys(c, shop)?;
    for (entity, key) in documents {
        if let Some(body) = stock::canonical(c, entity, &key)? {
            facts.documents.insert((entity, key), body);
        }
    }
    Ok(facts)
}

fn quarantine(c: &Connection, shop: &str, at: &str, id: &Uuid, kind: RecordKind, reason: &str, raw: &str) -> R<()> {
    c.prepare_cached("INSERT INTO quarantine (id, shop, kind, reason, received_at, body) VALUES (?, ?, ?, ?, ?, ?)")?
        .execute(params![id.to_string(), shop, kind.as_str(), reason, at, raw])?;
    Ok(())
}

/// Writes a push's plan, in its order.
fn write_plan(c: &Connection, shop: &str, at: &str, plan: &PushPlan) -> R<()> {
    for w in &plan.writes {
        match w {
            PushWrite::Quarantine { id, kind, reason, raw } => quarantine(c, shop, at, id, *kind, reason, raw)?,
            PushWrite::Ticket(t) => {
                c.prepare_cached(
                    "INSERT INTO tickets (id, shop, register, sequence, number, business_date, created_at, total, hash, prev_hash, body, received_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )?
                .execute(params![t.id.to_string(), shop, t.register, t.sequence, t.number, t.business_date, t.created_at,
                    t.total.cents(), t.hash, t.prev_hash, serde_json::to_string(t)?, at])?;
            }
            PushWrite::Closure(k) => {
                c.prepare_cached(
                    "INSERT INTO closures (id, shop, register, sequence, kind, period, created_at, total, grand_total, hash, prev_hash, body, received_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )?
                .execute(params![k.id.to_string(), shop, k.register, k.sequence, k.kind.as_str(), k.period, k.created_at,
                    k.totals.total.cents(), k.grand_total.cents(), k.hash, k.prev_hash, serde_json::to_string(k)?, at])?;
            }
            PushWrite::JournalEntry(e) => fiscal::insert_entry(c, shop, at, e)?,
            PushWrite::ShopKey { key, retires } => fiscal::rotate(c, shop, key, retires)?,
            PushWrite::ChainEvent(e) => {
                c.prepare_cached(
                    "INSERT INTO chain_events (shop, register, chain, kind, sequence, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                )?
                .execute(params![e.shop, e.register, e.chain.as_str(), e.kind, e.sequence, e.detail, e.at])?;
            }
            PushWrite::Customer(b) => customers::upsert(c, b, false)?,
            PushWrite::LoyaltyEntry(e) => {
                customers::insert_entry(c, e, at)?;
            }
            PushWrite::MessageAck(a) => {
                customers::insert_ack(c, a, at)?;
            }
            PushWrite::Stock { id, kind, plan } => stock::write_record(c, shop, at, id, kind, plan)?,
        }
    }
    if plan.chain_broken {
        c.execute("UPDATE shops SET chain_ok = 0 WHERE code = ?", [shop])?;
    }
    let mut head = c.prepare_cached(
        "INSERT INTO chain_heads (shop, register, chain, sequence, hash) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (shop, register, chain) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash",
    )?;
    for ((register, chain), h) in &plan.heads {
        head.execute(params![shop, register, chain.as_str(), h.sequence, h.hash])?;
    }
    dashboard::add_batch(c, &plan.summary)
}

#[async_trait]
impl SalesStorage for SqliteStorage {
    #[instrument(skip_all)]
    async fn apply_push(
        &self,
        shop: &str,
        received_at: &str,
        items: Vec<PushItem>,
    ) -> Result<PushOutcome, StorageError> {
        let (shop, at) = (shop.to_string(), received_at.to_string());
        self.write(move |tx| {
            let facts = push_facts(tx, &shop, &items)?;
            let plan = push::plan(&shop, &at, items, facts);
            write_plan(tx, &shop, &at, &plan)?;
            Ok(plan.outcome)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn list_tickets(
        &self,
        shop: Option<&str>,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<StoredTicket>, Option<i64>), StorageError> {
        let shop = shop.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT arrival, received_at, body FROM tickets WHERE (?1 IS NULL OR shop = ?1) AND arrival > ?2 ORDER BY arrival LIMIT ?3",
            )?;
            let mut items: Vec<StoredTicket> = stmt
                .query_map(params![shop, after, (limit + 1) as i64], |r| {
                    Ok(StoredTicket { arrival: r.get(0)?, received_at: r.get(1)?, body: r.get(2)? })
                })?
                .collect::<Result<_, _>>()?;
            let next = if items.len() > limit {
                items.truncate(limit);
                items.last().map(|t| t.arrival)
            } else {
                None
            };
            Ok((items, next))
        })
        .await
    }

    #[instrument(skip_all)]
    async fn sales_report(&self, from: &str, to: &str, shop: Option<&str>) -> Result<Vec<SalesRow>, StorageError> {
        let (from, to, shop) = (from.to_string(), to.to_string(), shop.map(str::to_string));
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT shop, business_date, COUNT(*), SUM(total) FROM tickets
                 WHERE business_date BETWEEN ?1 AND ?2 AND (?3 IS NULL OR shop = ?3)
                 GROUP BY shop, business_date ORDER BY shop, business_date",
            )?;
            Ok(stmt
                .query_map(params![from, to, shop], |r| {
                    Ok(SalesRow { shop: r.get(0)?, day: r.get(1)?, tickets: r.get(2)?, revenue: r.get(3)? })
                })?
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn list_quarantine(&self, shop: Option<&str>) -> Result<Vec<QuarantineRecord>, StorageError> {
        let shop = shop.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, shop, kind, reason, received_at, body FROM quarantine WHERE (?1 IS NULL OR shop = ?1) ORDER BY received_at, id",
            )?;
            let rows: Vec<(String, String, String, String, String, String)> = stmt
                .query_map([shop], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(|(id, shop, kind, reason, received_at, body)| {
                    let kind = RecordKind::parse(&kind);
                    Ok(QuarantineRecord { id: uuid(&id)?, shop, kind, reason, received_at, body })
                })
                .collect()
        })
        .await
    }

    #[instrument(skip_all)]
    async fn chain_events(&self, shop: Option<&str>) -> Result<Vec<ChainEvent>, StorageError> {
        let shop = shop.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT shop, register, chain, kind, sequence, detail, at FROM chain_events WHERE (?1 IS NULL OR shop = ?1) ORDER BY id",
            )?;
            Ok(stmt
                .query_map([shop], |r| {
                    let chain: String = r.get(2)?;
                    Ok(ChainEvent {
                        shop: r.get(0)?,
                        register: r.get(1)?,
                        chain: RecordKind::parse(&chain),
                        kind: r.get(3)?,
                        sequence: r.get(4)?,
                        detail: r.get(5)?,
                        at: r.get(6)?,
                    })
                })?
                .collect::<Result<_, _>>()?)
        })
        .await
    }
}
