//! Customers and loyalty on PostgreSQL: the same merge, ledger, feed changes and snapshot
//! items as the SQLite backend (rules in `comptoir_hq::customers`). Stamps are compared in
//! the `C` collation (the columns are declared so), where text order is byte order.
//! Writers that append feed changes hold the feed counter's row lock until commit, as
//! every other feed write does.

use super::{Fail, R, append_change, lock_writes, uuid};
use comptoir_core::customer::{LoyaltyRule, matches_query, search_terms};
use comptoir_hq::StorageError;
use comptoir_hq::storage::Conflict;
use comptoir_hq::storage::{CustomerView, MessageView, SnapshotItem};
use comptoir_hq::sync::now_text;
use comptoir_protocol::{CustomerBody, Entity, LoyaltyEntryBody, LoyaltyKind, MessageAckBody, MessageBody, OfferBody};
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

const BODY_COLUMNS: &str = "id, card, name, name_hlc, email, email_hlc, phone, phone_hlc, grp, grp_hlc, origin,
    created_at, merged_into, erased";

fn body_from_row(r: &Row) -> R<CustomerBody> {
    let merged: Option<String> = r.get(12);
    Ok(CustomerBody {
        id: uuid(r.get(0))?,
        card: r.get(1),
        name: r.get(2),
        name_hlc: r.get(3),
        email: r.get(4),
        email_hlc: r.get(5),
        phone: r.get(6),
        phone_hlc: r.get(7),
        group: r.get(8),
        group_hlc: r.get(9),
        origin: r.get(10),
        created_at: r.get(11),
        merged_into: merged.as_deref().map(uuid).transpose()?,
        erased: r.get(13),
    })
}

pub(crate) async fn body(c: &impl GenericClient, id: &str) -> R<Option<CustomerBody>> {
    let row = c.query_opt(&format!("SELECT {BODY_COLUMNS} FROM customers WHERE id = $1"), &[&id]).await?;
    row.as_ref().map(body_from_row).transpose()
}

async fn balance(c: &impl GenericClient, id: &str) -> R<i64> {
    Ok(c.query_one(
        "SELECT COALESCE(SUM(points), 0)::BIGINT FROM loyalty_entries
         WHERE customer = $1 OR customer IN (SELECT id FROM customers WHERE merged_into = $1)",
        &[&id],
    )
    .await?
    .get(0))
}

pub(crate) async fn view(c: &impl GenericClient, id: &str) -> R<Option<CustomerView>> {
    let Some(b) = body(c, id).await? else { return Ok(None) };
    let rows = c.query("SELECT id FROM customers WHERE merged_into = $1 ORDER BY id", &[&id]).await?;
    let merged_from = rows.iter().map(|r| uuid(r.get(0))).collect::<R<Vec<_>>>()?;
    let loyalty_balance = if b.merged_into.is_some() { 0 } else { balance(c, id).await? };
    Ok(Some(CustomerView {
        id: b.id,
        card: b.card,
        name: b.name,
        email: b.email,
        phone: b.phone,
        group: b.group,
        origin: b.origin,
        created_at: b.created_at,
        merged_into: b.merged_into,
        merged_from,
        erased: b.erased,
        loyalty_balance,
        overdrawn: loyalty_balance < 0,
    }))
}

pub(crate) async fn must_view(c: &impl GenericClient, id: &str) -> R<CustomerView> {
    view(c, id).await?.ok_or_else(|| StorageError::NotFound { what: "customer", key: id.into(), field: None }.into())
}

pub(crate) async fn upsert(c: &impl GenericClient, b: &CustomerBody, from_hq: bool) -> R<()> {
    let id = b.id.to_string();
    let (merged, erased) = if from_hq { (b.merged_into.map(|u| u.to_string()), b.erased) } else { (None, false) };
    c.execute(
        "INSERT INTO customers AS k (id, card, name, name_hlc, email, email_hlc, phone, phone_hlc, grp, grp_hlc,
             origin, created_at, merged_into, erased)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (id) DO UPDATE SET
             name = CASE WHEN excluded.name_hlc > k.name_hlc THEN excluded.name ELSE k.name END,
             name_hlc = GREATEST(k.name_hlc, excluded.name_hlc),
             email = CASE WHEN excluded.email_hlc > k.email_hlc THEN excluded.email ELSE k.email END,
             email_hlc = GREATEST(k.email_hlc, excluded.email_hlc),
             phone = CASE WHEN excluded.phone_hlc > k.phone_hlc THEN excluded.phone ELSE k.phone END,
             phone_hlc = GREATEST(k.phone_hlc, excluded.phone_hlc),
             grp = CASE WHEN excluded.grp_hlc > k.grp_hlc THEN excluded.grp ELSE k.grp END,
             grp_hlc = GREATEST(k.grp_hlc, excluded.grp_hlc),
             merged_into = COALESCE(excluded.merged_into, k.merged_into),
             erased = k.erased OR excluded.erased",
        &[
            &id,
            &b.card,
            &b.name,
            &b.name_hlc,
            &b.email,
            &b.email_hlc,
            &b.phone,
            &b.phone_hlc,
            &b.group,
            &b.group_hlc,
            &b.origin,
            &b.created_at,
            &merged,
            &erased,
        ],
    )
    .await?;
    c.execute("UPDATE customers SET name = '', email = NULL, phone = NULL WHERE id = $1 AND erased", &[&id]).await?;
    feed(c, &id).await
}

async fn feed(c: &impl GenericClient, id: &str) -> R<()> {
    let b =
        body(c, id).await?.ok_or_else(|| Fail::St(StorageError::Database(format!("customer {id} just written"))))?;
    append_change(c, Entity::Customer, id, &b, None).await?;
    Ok(())
}

pub(crate) async fn insert_entry(c: &impl GenericClient, e: &LoyaltyEntryBody, received_at: &str) -> R<bool> {
    let n = c
        .execute(
            "INSERT INTO loyalty_entries (id, customer, shop, kind, points, ticket, at, note, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
            &[
                &e.id.to_string(),
                &e.customer.to_string(),
                &e.shop,
                &e.kind.as_str(),
                &e.points,
                &e.ticket.map(|t| t.to_string()),
                &e.at,
                &e.note,
                &received_at,
            ],
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    append_change(c, Entity::LoyaltyEntry, &e.id.to_string(), e, None).await?;
    Ok(true)
}

fn entry_from_row(r: &Row) -> R<LoyaltyEntryBody> {
    let kind: String = r.get(3);
    let ticket: Option<String> = r.get(5);
    Ok(LoyaltyEntryBody {
        id: uuid(r.get(0))?,
        customer: uuid(r.get(1))?,
        shop: r.get(2),
        kind: LoyaltyKind::parse(&kind).unwrap_or(LoyaltyKind::Adjust),
        points: r.get(4),
        ticket: ticket.as_deref().map(uuid).transpose()?,
        at: r.get(6),
        note: r.get(7),
    })
}

pub(crate) async fn entries(c: &impl GenericClient, customer: &str) -> R<Vec<LoyaltyEntryBody>> {
    let rows = c
        .query(
            "SELECT id, customer, shop, kind, points, ticket, at, note FROM loyalty_entries
             WHERE customer = $1 OR customer IN (SELECT id FROM customers WHERE merged_into = $1) ORDER BY at, id",
            &[&customer],
        )
        .await?;
    rows.iter().map(entry_from_row).collect()
}

pub(crate) async fn list(c: &impl GenericClient, overdrawn: bool, limit: usize) -> R<Vec<CustomerView>> {
    let limit = limit as i64;
    let rows = if overdrawn {
        c.query(
            "SELECT root FROM (SELECT COALESCE(k.merged_into, e.customer) AS root, e.points FROM loyalty_entries e
                 LEFT JOIN customers k ON k.id = e.customer) t
             GROUP BY root HAVING SUM(points) < 0 ORDER BY root LIMIT $1",
            &[&limit],
        )
        .await?
    } else {
        c.query("SELECT id FROM customers ORDER BY card LIMIT $1", &[&limit]).await?
    };
    let mut out = Vec::new();
    for r in rows {
        let id: String = r.get(0);
        if let Some(v) = view(c, &id).await? {
            out.push(v);
        }
    }
    Ok(out)
}

pub(crate) async fn search(c: &impl GenericClient, query: &[String], limit: usize) -> R<Vec<CustomerView>> {
    let rows = c
        .query(
            "SELECT id, name, email, phone, card FROM customers WHERE merged_into IS NULL AND NOT erased ORDER BY card",
            &[],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let (name, email, phone, card): (String, Option<String>, Option<String>, String) =
            (r.get(1), r.get(2), r.get(3), r.get(4));
        if !matches_query(query, &search_terms(&name, email.as_deref(), phone.as_deref(), &card)) {
            continue;
        }
        if let Some(v) = view(c, &r.get::<_, String>(0)).await? {
            out.push(v);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

pub(crate) async fn merge(c: &impl GenericClient, from: &str, into: &str) -> R<CustomerView> {
    if from == into {
        return Err(StorageError::Conflict(Conflict::MergeIntoItself).into());
    }
    let a = body(c, from).await?.ok_or_else(|| StorageError::NotFound {
        what: "customer",
        key: from.into(),
        field: None,
    })?;
    let b = body(c, into).await?.ok_or_else(|| StorageError::NotFound {
        what: "customer",
        key: into.into(),
        field: Some("into".into()),
    })?;
    for x in [&a, &b] {
        if x.merged_into.is_some() || x.erased {
            return Err(StorageError::Conflict(Conflict::CustomerMergedOrErased { id: x.id }).into());
        }
    }
    let followers: Vec<String> =
        c.query("SELECT id FROM customers WHERE merged_into = $1", &[&from]).await?.iter().map(|r| r.get(0)).collect();
    c.execute(
        "UPDATE customers SET merged_into = $1, merged_at = $2 WHERE id = $3 OR merged_into = $3",
        &[&into, &now_text(), &from],
    )
    .await?;
    feed(c, from).await?;
    for f in followers {
        feed(c, &f).await?;
    }
    feed(c, into).await?;
    must_view(c, into).await
}

pub(crate) async fn erase(c: &impl GenericClient, id: &str) -> R<CustomerView> {
    if body(c, id).await?.is_none() {
        return Err(StorageError::NotFound { what: "customer", key: id.into(), field: None }.into());
    }
    // The records merged into this one are the same person: their personal data goes too,
    // and each goes down the feed so that every shop erases it as well.
    let merged: Vec<String> =
        c.query("SELECT id FROM customers WHERE merged_into = $1", &[&id]).await?.iter().map(|r| r.get(0)).collect();
    c.execute(
        "UPDATE customers SET name = '', email = NULL, phone = NULL, erased = TRUE,
             erased_at = COALESCE(erased_at, $1) WHERE id = $2 OR merged_into = $2",
        &[&now_text(), &id],
    )
    .await?;
    for m in &merged {
        feed(c, m).await?;
    }
    feed(c, id).await?;
    must_view(c, id).await
}

pub(crate) async fn next_card(c: &impl GenericClient) -> R<i64> {
    Ok(c.query_one("UPDATE loyalty_settings SET card_seq = card_seq + 1 WHERE id = 1 RETURNING card_seq", &[])
        .await?
        .get(0))
}

pub(crate) async fn rule(c: &impl GenericClient) -> R<LoyaltyRule> {
    let r = c.query_one("SELECT points_per_euro, cents_per_point FROM loyalty_settings WHERE id = 1", &[]).await?;
    Ok(LoyaltyRule { points_per_euro: r.get(0), cents_per_point: r.get(1) })
}

pub(crate) async fn set_rule(c: &impl GenericClient, rule: &LoyaltyRule) -> R<()> {
    c.execute(
        "UPDATE loyalty_settings SET points_per_euro = $1, cents_per_point = $2 WHERE id = 1",
        &[&rule.points_per_euro, &rule.cents_per_point],
    )
    .await?;
    append_change(c, Entity::LoyaltyRule, "chain", rule, None).await?;
    Ok(())
}

pub(crate) async fn snapshot_count(c: &impl GenericClient) -> R<i64> {
    Ok(c.query_one("SELECT 1 + (SELECT COUNT(*) FROM customers) + (SELECT COUNT(*) FROM loyalty_entries)", &[])
        .await?
        .get(0))
}

pub(crate) async fn snapshot_items(
    c: &impl GenericClient,
    entity: Entity,
    after: Option<&str>,
    limit: usize,
) -> R<Vec<SnapshotItem>> {
    let mut items = Vec::new();
    let limit = limit as i64;
    let after = after.unwrap_or("");
    match entity {
        Entity::LoyaltyRule if after.is_empty() => {
            items.push(SnapshotItem { entity, key: "chain".into(), body: serde_json::to_value(rule(c).await?)? });
        }
        Entity::Customer => {
            let sql = format!("SELECT {BODY_COLUMNS} FROM customers WHERE id > $1 ORDER BY id LIMIT $2");
            for r in c.query(&sql, &[&after, &limit]).await? {
                let b = body_from_row(&r)?;
                items.push(SnapshotItem { entity, key: b.id.to_string(), body: serde_json::to_value(&b)? });
            }
        }
        Entity::LoyaltyEntry => {
            let rows = c
                .query(
                    "SELECT id, customer, shop, kind, points, ticket, at, note FROM loyalty_entries
                     WHERE id > $1 ORDER BY id LIMIT $2",
                    &[&after, &limit],
                )
                .await?;
            for r in rows {
                let e = entry_from_row(&r)?;
                items.push(SnapshotItem { entity, key: e.id.to_string(), body: serde_json::to_value(&e)? });
            }
        }
        _ => {}
    }
    Ok(items)
}

// ---------------------------------------------------------------- offers and messages

pub(crate) async fn create_offer(c: &impl GenericClient, o: &OfferBody) -> R<()> {
    c.execute(
        "INSERT INTO offers (id, body, created_at) VALUES ($1, $2, $3)",
        &[&o.id.to_string(), &serde_json::to_string(o)?, &now_text()],
    )
    .await?;
    append_change(c, Entity::Offer, &o.id.to_string(), o, None).await?;
    Ok(())
}

pub(crate) async fn offers(c: &impl GenericClient, after: Option<&str>, limit: i64) -> R<Vec<OfferBody>> {
    let rows =
        c.query("SELECT body FROM offers WHERE id > $1 ORDER BY id LIMIT $2", &[&after.unwrap_or(""), &limit]).await?;
    rows.iter().map(|r| Ok(serde_json::from_str(r.get::<_, &str>(0))?)).collect()
}

pub(crate) async fn create_message(c: &impl GenericClient, shop: &str, m: &MessageBody) -> R<MessageView> {
    if c.query_opt("SELECT 1 FROM shops WHERE code = $1", &[&shop]).await?.is_none() {
        return Err(StorageError::NotFound { what: "shop", key: shop.into(), field: Some("shop".into()) }.into());
    }
    c.execute(
        "INSERT INTO messages (id, shop, register, text, created_at, body) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&m.id.to_string(), &shop, &m.register, &m.text, &m.created_at, &serde_json::to_string(m)?],
    )
    .await?;
    append_change(c, Entity::Message, &m.id.to_string(), m, Some(shop)).await?;
    messages(c, Some(shop))
        .await?
        .into_iter()
        .find(|v| v.id == m.id)
        .ok_or_else(|| Fail::St(StorageError::Database("message just written".into())))
}

pub(crate) async fn messages(c: &impl GenericClient, shop: Option<&str>) -> R<Vec<MessageView>> {
    let rows = c
        .query(
            "SELECT id, shop, register, text, created_at FROM messages WHERE ($1::text IS NULL OR shop = $1)
             ORDER BY created_at, id",
            &[&shop],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let id: String = r.get(0);
        let acks = c
            .query(
                "SELECT id, message, shop, register, \"user\", at FROM message_acks WHERE message = $1 ORDER BY at, id",
                &[&id],
            )
            .await?
            .iter()
            .map(|a| {
                Ok(MessageAckBody {
                    id: uuid(a.get(0))?,
                    message: uuid(a.get(1))?,
                    shop: a.get(2),
                    register: a.get(3),
                    user: a.get(4),
                    at: a.get(5),
                })
            })
            .collect::<R<Vec<_>>>()?;
        out.push(MessageView {
            id: uuid(&id)?,
            shop: r.get(1),
            register: r.get(2),
            text: r.get(3),
            created_at: r.get(4),
            acks,
        });
    }
    Ok(out)
}

pub(crate) async fn insert_ack(c: &impl GenericClient, a: &MessageAckBody, received_at: &str) -> R<bool> {
    Ok(c.execute(
        "INSERT INTO message_acks (id, message, shop, register, \"user\", at, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        &[&a.id.to_string(), &a.message.to_string(), &a.shop, &a.register, &a.user, &a.at, &received_at],
    )
    .await?
        > 0)
}

pub(crate) async fn offer_and_message_items(
    c: &impl GenericClient,
    shop: &str,
    entity: Entity,
    after: Option<&str>,
    limit: usize,
) -> R<Vec<SnapshotItem>> {
    let mut items = Vec::new();
    let limit = limit as i64;
    match entity {
        Entity::Offer => {
            for o in offers(c, after, limit).await? {
                items.push(SnapshotItem { entity, key: o.id.to_string(), body: serde_json::to_value(&o)? });
            }
        }
        Entity::Message => {
            let rows = c
                .query(
                    "SELECT id, body FROM messages WHERE shop = $1 AND id > $2 ORDER BY id LIMIT $3",
                    &[&shop, &after.unwrap_or(""), &limit],
                )
                .await?;
            for r in rows {
                items.push(SnapshotItem { entity, key: r.get(0), body: serde_json::from_str(r.get::<_, &str>(1))? });
            }
        }
        _ => {}
    }
    Ok(items)
}

pub(crate) async fn offer_and_message_count(c: &impl GenericClient, shop: &str) -> R<i64> {
    Ok(c.query_one("SELECT (SELECT COUNT(*) FROM offers) + (SELECT COUNT(*) FROM messages WHERE shop = $1)", &[&shop])
        .await?
        .get(0))
}

#[async_trait::async_trait]
impl comptoir_hq::storage::CustomerStorage for super::PostgresStorage {
    #[tracing::instrument(skip_all)]
    async fn write_customer(&self, body: CustomerBody) -> Result<CustomerView, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        upsert(&*tx, &body, true).await?;
        let view = must_view(&*tx, &body.id.to_string()).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(view)
    }

    async fn next_card_number(&self) -> Result<i64, StorageError> {
        let client = self.conn().await?;
        Ok(next_card(&**client).await?)
    }

    async fn get_customer(&self, id: Uuid) -> Result<Option<CustomerView>, StorageError> {
        let client = self.conn().await?;
        Ok(view(&**client, &id.to_string()).await?)
    }

    async fn customer_body(&self, id: Uuid) -> Result<Option<CustomerBody>, StorageError> {
        let client = self.conn().await?;
        Ok(body(&**client, &id.to_string()).await?)
    }

    async fn list_customers(&self, overdrawn: bool, limit: usize) -> Result<Vec<CustomerView>, StorageError> {
        let client = self.conn().await?;
        Ok(list(&**client, overdrawn, limit).await?)
    }

    async fn search_customers(&self, query: Vec<String>, limit: usize) -> Result<Vec<CustomerView>, StorageError> {
        let client = self.conn().await?;
        Ok(search(&**client, &query, limit).await?)
    }

    #[tracing::instrument(skip_all)]
    async fn merge_customers(&self, from: Uuid, into: Uuid) -> Result<CustomerView, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let view = merge(&*tx, &from.to_string(), &into.to_string()).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(view)
    }

    #[tracing::instrument(skip_all)]
    async fn erase_customer(&self, id: Uuid) -> Result<CustomerView, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let view = erase(&*tx, &id.to_string()).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(view)
    }

    #[tracing::instrument(skip_all)]
    async fn add_loyalty_entry(&self, entry: LoyaltyEntryBody) -> Result<CustomerView, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let id = entry.customer.to_string();
        must_view(&*tx, &id).await?;
        insert_entry(&*tx, &entry, &now_text()).await?;
        let view = must_view(&*tx, &id).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(view)
    }

    async fn loyalty_entries(&self, customer: Uuid) -> Result<Vec<LoyaltyEntryBody>, StorageError> {
        let client = self.conn().await?;
        Ok(entries(&**client, &customer.to_string()).await?)
    }

    async fn loyalty_rule(&self) -> Result<LoyaltyRule, StorageError> {
        let client = self.conn().await?;
        Ok(rule(&**client).await?)
    }

    #[tracing::instrument(skip_all)]
    async fn set_loyalty_rule(&self, rule: LoyaltyRule) -> Result<(), StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        set_rule(&*tx, &rule).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn create_offer(&self, offer: OfferBody) -> Result<OfferBody, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        create_offer(&*tx, &offer).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(offer)
    }

    async fn list_offers(&self) -> Result<Vec<OfferBody>, StorageError> {
        let client = self.conn().await?;
        Ok(offers(&**client, None, i64::MAX).await?)
    }

    #[tracing::instrument(skip_all)]
    async fn create_message(&self, shop: &str, message: MessageBody) -> Result<MessageView, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let view = create_message(&*tx, shop, &message).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(view)
    }

    async fn list_messages(&self, shop: Option<&str>) -> Result<Vec<MessageView>, StorageError> {
        let client = self.conn().await?;
        Ok(messages(&**client, shop).await?)
    }
}
