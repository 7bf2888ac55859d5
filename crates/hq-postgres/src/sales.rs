//! Pushes (written as `comptoir_hq::push::plan` says), tickets, quarantine, chain events.

use super::*;
use async_trait::async_trait;
use comptoir_hq::push::{self, PushFacts, PushPlan, PushWrite};
use comptoir_hq::storage::*;
use comptoir_protocol::PushOutcome;
use tracing::instrument;

/// What `comptoir_hq::push::plan` needs to know about a push, read in its transaction:
/// one query for the ids held, one for those stored, one for the chain heads.
async fn push_facts(c: &impl GenericClient, shop: &str, items: &[PushItem]) -> R<PushFacts> {
    let (ids, documents) = push::needs(items);
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let mut facts = PushFacts::default();
    let ids_of =
        |rows: Vec<tokio_postgres::Row>| -> R<Vec<Uuid>> { rows.iter().map(|r| uuid(r.get::<_, &str>(0))).collect() };
    let held = c
        .query(
            "SELECT id FROM tickets WHERE id = ANY($1) UNION ALL SELECT id FROM closures WHERE id = ANY($1)
             UNION ALL SELECT id FROM quarantine WHERE id = ANY($1) UNION ALL SELECT id FROM journal_entries WHERE id = ANY($1)",
            &[&ids],
        )
        .await?;
    facts.held = ids_of(held)?.into_iter().collect();
    let stored = c
        .query(
            "SELECT id FROM loyalty_entries WHERE id = ANY($1) UNION ALL SELECT id FROM message_acks WHERE id = ANY($1)
             UNION ALL SELECT id FROM stock_records WHERE id = ANY($1)",
            &[&ids],
        )
        .await?;
    facts.stored = ids_of(stored)?.into_iter().collect();
    for r in c.query("SELECT register, chain, sequence, hash FROM chain_heads WHERE shop = $1", &[&shop]).await? {
        let chain: &str = r.get(1);
        facts.heads.insert((r.get(0), RecordKind::parse(chain)), ChainHead { sequence: r.get(2), hash: r.get(3) });
    }
    facts.keys = fiscal::keys(c, shop).await?;
    for (entity, key) in documents {
        if let Some(body) = stock::canonical(c, entity, &key).await? {
            facts.documents.insert((entity, key), body);
        }
    }
    Ok(facts)
}

/// Writes a push's plan. Tickets are inserted together at the end, pipelined on the
/// connection (one prepared statement, no round trip per ticket), in the order they came.
async fn write_plan(c: &impl GenericClient, shop: &str, at: &str, plan: &PushPlan) -> R<()> {
    let mut tickets = Vec::new();
    for w in &plan.writes {
        match w {
            PushWrite::Quarantine { id, kind, reason, raw } => {
                c.execute(
                    "INSERT INTO quarantine (id, shop, kind, reason, received_at, body) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[&id.to_string(), &shop, &kind.as_str(), reason, &at, raw],
                )
                .await?;
            }
            PushWrite::Ticket(t) => tickets.push((t.id.to_string(), t, serde_json::to_string(t)?)),
            PushWrite::Closure(k) => {
                c.execute(
                    "INSERT INTO closures (id, shop, register, sequence, kind, period, created_at, total, grand_total, hash, prev_hash, body, received_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    &[&k.id.to_string(), &shop, &k.register, &k.sequence, &k.kind.as_str(), &k.period, &k.created_at,
                        &k.totals.total.cents(), &k.grand_total.cents(), &k.hash, &k.prev_hash,
                        &serde_json::to_string(k)?, &at],
                )
                .await?;
            }
            PushWrite::JournalEntry(e) => fiscal::insert_entry(c, shop, at, e).await?,
            PushWrite::ShopKey { key, retires } => fiscal::rotate(c, shop, key, retires).await?,
            PushWrite::ChainEvent(e) => {
                c.execute(
                    "INSERT INTO chain_events (shop, register, chain, kind, sequence, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[&e.shop, &e.register, &e.chain.as_str(), &e.kind, &e.sequence, &e.detail, &e.at],
                )
                .await?;
            }
            PushWrite::Customer(b) => customers::upsert(c, b, false).await?,
            PushWrite::LoyaltyEntry(e) => {
                customers::insert_entry(c, e, at).await?;
            }
            PushWrite::MessageAck(a) => {
                customers::insert_ack(c, a, at).await?;
            }
            PushWrite::Stock { id, kind, plan } => stock::write_record(c, shop, at, id, kind, plan).await?,
        }
    }
    if !tickets.is_empty() {
        let insert = c
            .prepare(
                "INSERT INTO tickets (id, shop, register, sequence, number, business_date, created_at, total, hash,
                 prev_hash, body, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .await?;
        type Param<'a> = &'a (dyn ToSql + Sync);
        let totals: Vec<i64> = tickets.iter().map(|(_, t, _)| t.total.cents()).collect();
        let params: Vec<[Param; 12]> = tickets
            .iter()
            .zip(&totals)
            .map(|((id, t, body), total)| {
                [
                    id as Param,
                    &shop,
                    &t.register,
                    &t.sequence,
                    &t.number,
                    &t.business_date,
                    &t.created_at,
                    total,
                    &t.hash,
                    &t.prev_hash,
                    body,
                    &at,
                ]
            })
            .collect();
        futures_util::future::try_join_all(params.iter().map(|p| c.execute(&insert, p))).await?;
        dashboard::add_tickets(c, &plan.summary).await?;
    }
    if plan.chain_broken {
        c.execute("UPDATE shops SET chain_ok = FALSE WHERE code = $1", &[&shop]).await?;
    }
    for ((register, chain), head) in &plan.heads {
        c.execute(
            "INSERT INTO chain_heads (shop, register, chain, sequence, hash) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (shop, register, chain) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash",
            &[&shop, register, &chain.as_str(), &head.sequence, &head.hash],
        )
        .await?;
    }
    Ok(())
}

#[async_trait]
impl SalesStorage for PostgresStorage {
    #[instrument(skip_all)]
    async fn apply_push(
        &self,
        shop: &str,
        received_at: &str,
        items: Vec<PushItem>,
    ) -> Result<PushOutcome, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        // Customers and loyalty entries append feed changes: take the feed lock first, in
        // the order every other feed writer takes it (no deadlock with the shop row).
        if items.iter().any(|i| matches!(i.kind, RecordKind::Customer | RecordKind::LoyaltyEntry)) {
            lock_writes(&*tx).await?;
        }
        // One push per shop at a time, whichever HQ process received it.
        tx.execute("SELECT 1 FROM shops WHERE code = $1 FOR NO KEY UPDATE", &[&shop]).await.map_err(Fail::from)?;
        let facts = push_facts(&*tx, shop, &items).await?;
        let plan = push::plan(shop, received_at, items, facts);
        write_plan(&*tx, shop, received_at, &plan).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(plan.outcome)
    }

    #[instrument(skip_all)]
    async fn list_tickets(
        &self,
        shop: Option<&str>,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<StoredTicket>, Option<i64>), StorageError> {
        let client = self.conn().await?;
        let mut items: Vec<StoredTicket> = client
            .query(
                "SELECT arrival, received_at, body FROM tickets WHERE ($1::text IS NULL OR shop = $1) AND arrival > $2 ORDER BY arrival LIMIT $3",
                &[&shop, &after, &((limit + 1) as i64)],
            )
            .await
            .map_err(Fail::from)?
            .iter()
            .map(|r| StoredTicket { arrival: r.get(0), received_at: r.get(1), body: r.get(2) })
            .collect();
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|t| t.arrival)
        } else {
            None
        };
        Ok((items, next))
    }

    #[instrument(skip_all)]
    async fn sales_report(&self, from: &str, to: &str, shop: Option<&str>) -> Result<Vec<SalesRow>, StorageError> {
        let client = self.conn().await?;
        Ok(client
            .query(
                "SELECT shop, business_date, COUNT(*), SUM(total)::bigint FROM tickets
                 WHERE business_date BETWEEN $1 AND $2 AND ($3::text IS NULL OR shop = $3)
                 GROUP BY shop, business_date ORDER BY shop COLLATE \"C\", business_date COLLATE \"C\"",
                &[&from, &to, &shop],
            )
            .await
            .map_err(Fail::from)?
            .iter()
            .map(|r| SalesRow { shop: r.get(0), day: r.get(1), tickets: r.get(2), revenue: r.get(3) })
            .collect())
    }

    #[instrument(skip_all)]
    async fn list_quarantine(&self, shop: Option<&str>) -> Result<Vec<QuarantineRecord>, StorageError> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT id, shop, kind, reason, received_at, body FROM quarantine WHERE ($1::text IS NULL OR shop = $1)
                 ORDER BY received_at COLLATE \"C\", id",
                &[&shop],
            )
            .await
            .map_err(Fail::from)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(QuarantineRecord {
                id: uuid(r.get(0))?,
                shop: r.get(1),
                kind: RecordKind::parse(r.get(2)),
                reason: r.get(3),
                received_at: r.get(4),
                body: r.get(5),
            });
        }
        Ok(out)
    }

    #[instrument(skip_all)]
    async fn chain_events(&self, shop: Option<&str>) -> Result<Vec<ChainEvent>, StorageError> {
        let client = self.conn().await?;
        Ok(client
            .query(
                "SELECT shop, register, chain, kind, sequence, detail, at FROM chain_events WHERE ($1::text IS NULL OR shop = $1) ORDER BY id",
                &[&shop],
            )
            .await
            .map_err(Fail::from)?
            .iter()
            .map(|r| ChainEvent {
                shop: r.get(0),
                register: r.get(1),
                chain: RecordKind::parse(r.get(2)),
                kind: r.get(3),
                sequence: r.get(4),
                detail: r.get(5),
                at: r.get(6),
            })
            .collect())
    }
}
