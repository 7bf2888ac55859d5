//! Customers and loyalty on SQLite: the field-by-field merge as one upsert, the ledger,
//! and their feed changes and snapshot items (rules in `comptoir_hq::customers`).

use super::{R, append_change, uuid};
use comptoir_core::customer::{LoyaltyRule, matches_query, search_terms};
use comptoir_hq::StorageError;
use comptoir_hq::storage::Conflict;
use comptoir_hq::storage::{CustomerView, MessageView, SnapshotItem};
use comptoir_hq::sync::now_text;
use comptoir_protocol::{CustomerBody, Entity, LoyaltyEntryBody, LoyaltyKind, MessageAckBody, MessageBody, OfferBody};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

const BODY_COLUMNS: &str = "id, card, name, name_hlc, email, email_hlc, phone, phone_hlc, grp, grp_hlc, origin,
    created_at, merged_into, erased";

fn body_from_row(r: &rusqlite::Row) -> rusqlite::Result<(String, CustomerBody, Option<String>)> {
    let id: String = r.get(0)?;
    Ok((
        id,
        CustomerBody {
            id: Uuid::nil(),
            card: r.get(1)?,
            name: r.get(2)?,
            name_hlc: r.get(3)?,
            email: r.get(4)?,
            email_hlc: r.get(5)?,
            phone: r.get(6)?,
            phone_hlc: r.get(7)?,
            group: r.get(8)?,
            group_hlc: r.get(9)?,
            origin: r.get(10)?,
            created_at: r.get(11)?,
            merged_into: None,
            erased: r.get(13)?,
        },
        r.get(12)?,
    ))
}

fn finish(row: (String, CustomerBody, Option<String>)) -> R<CustomerBody> {
    let (id, mut body, merged) = row;
    body.id = uuid(&id)?;
    body.merged_into = merged.as_deref().map(uuid).transpose()?;
    Ok(body)
}

pub(crate) fn body(c: &Connection, id: &str) -> R<Option<CustomerBody>> {
    let row = c
        .prepare_cached(&format!("SELECT {BODY_COLUMNS} FROM customers WHERE id = ?"))?
        .query_row([id], body_from_row)
        .optional()?;
    row.map(finish).transpose()
}

/// Σ points of the customer and of the records merged into it.
fn balance(c: &Connection, id: &str) -> R<i64> {
    Ok(c.prepare_cached(
        "SELECT COALESCE(SUM(points), 0) FROM loyalty_entries
         WHERE customer = ?1 OR customer IN (SELECT id FROM customers WHERE merged_into = ?1)",
    )?
    .query_row([id], |r| r.get(0))?)
}

pub(crate) fn view(c: &Connection, id: &str) -> R<Option<CustomerView>> {
    let Some(b) = body(c, id)? else { return Ok(None) };
    let merged_from: Vec<String> = c
        .prepare_cached("SELECT id FROM customers WHERE merged_into = ? ORDER BY id")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let merged_from = merged_from.iter().map(|s| uuid(s)).collect::<R<Vec<_>>>()?;
    // A merged record's points count at the survivor: it shows 0 itself.
    let loyalty_balance = if b.merged_into.is_some() { 0 } else { balance(c, id)? };
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

pub(crate) fn must_view(c: &Connection, id: &str) -> R<CustomerView> {
    view(c, id)?.ok_or_else(|| StorageError::NotFound { what: "customer", key: id.into(), field: None }.into())
}

/// The merge of one record over what is held; `from_hq`: HQ's own write, whose
/// `merged_into` and `erased` count (a shop's never do). Appends the result to the feed.
pub(crate) fn upsert(c: &Connection, b: &CustomerBody, from_hq: bool) -> R<()> {
    let id = b.id.to_string();
    let (merged, erased) = if from_hq { (b.merged_into.map(|u| u.to_string()), b.erased) } else { (None, false) };
    c.prepare_cached(
        "INSERT INTO customers (id, card, name, name_hlc, email, email_hlc, phone, phone_hlc, grp, grp_hlc,
             origin, created_at, merged_into, erased)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT(id) DO UPDATE SET
             name = CASE WHEN excluded.name_hlc > name_hlc THEN excluded.name ELSE name END,
             name_hlc = MAX(name_hlc, excluded.name_hlc),
             email = CASE WHEN excluded.email_hlc > email_hlc THEN excluded.email ELSE email END,
             email_hlc = MAX(email_hlc, excluded.email_hlc),
             phone = CASE WHEN excluded.phone_hlc > phone_hlc THEN excluded.phone ELSE phone END,
             phone_hlc = MAX(phone_hlc, excluded.phone_hlc),
             grp = CASE WHEN excluded.grp_hlc > grp_hlc THEN excluded.grp ELSE grp END,
             grp_hlc = MAX(grp_hlc, excluded.grp_hlc),
             merged_into = COALESCE(excluded.merged_into, merged_into),
             erased = MAX(erased, excluded.erased)",
    )?
    .execute(params![
        id,
        b.card,
        b.name,
        b.name_hlc,
        b.email,
        b.email_hlc,
        b.phone,
        b.phone_hlc,
        b.group,
        b.group_hlc,
        b.origin,
        b.created_at,
        merged,
        erased
    ])?;
    // Erasure is for good: an edit made before it and pushed after brings nothing back.
    c.prepare_cached("UPDATE customers SET name = '', email = NULL, phone = NULL WHERE id = ? AND erased = 1")?
        .execute([&id])?;
    feed(c, &id)
}

fn feed(c: &Connection, id: &str) -> R<()> {
    let b = body(c, id)?.ok_or_else(|| StorageError::Database(format!("customer {id} just written")))?;
    append_change(c, Entity::Customer, id, &b, None)?;
    Ok(())
}

/// Inserts an entry unless held; appends it to the feed. `false`: already held.
pub(crate) fn insert_entry(c: &Connection, e: &LoyaltyEntryBody, received_at: &str) -> R<bool> {
    let n = c
        .prepare_cached(
            "INSERT INTO loyalty_entries (id, customer, shop, kind, points, ticket, at, note, received_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
        )?
        .execute(params![
            e.id.to_string(),
            e.customer.to_string(),
            e.shop,
            e.kind.as_str(),
            e.points,
            e.ticket.map(|t| t.to_string()),
            e.at,
            e.note,
            received_at
        ])?;
    if n == 0 {
        return Ok(false);
    }
    append_change(c, Entity::LoyaltyEntry, &e.id.to_string(), e, None)?;
    Ok(true)
}

fn entry_from_row(r: &rusqlite::Row) -> rusqlite::Result<(String, String, LoyaltyEntryBody, Option<String>)> {
    let kind: String = r.get(3)?;
    Ok((
        r.get(0)?,
        r.get(1)?,
        LoyaltyEntryBody {
            id: Uuid::nil(),
            customer: Uuid::nil(),
            shop: r.get(2)?,
            kind: LoyaltyKind::parse(&kind).unwrap_or(LoyaltyKind::Adjust),
            points: r.get(4)?,
            ticket: None,
            at: r.get(6)?,
            note: r.get(7)?,
        },
        r.get(5)?,
    ))
}

fn finish_entry(row: (String, String, LoyaltyEntryBody, Option<String>)) -> R<LoyaltyEntryBody> {
    let (id, customer, mut e, ticket) = row;
    e.id = uuid(&id)?;
    e.customer = uuid(&customer)?;
    e.ticket = ticket.as_deref().map(uuid).transpose()?;
    Ok(e)
}

pub(crate) fn entries(c: &Connection, customer: &str) -> R<Vec<LoyaltyEntryBody>> {
    let rows: Vec<_> = c
        .prepare_cached(
            "SELECT id, customer, shop, kind, points, ticket, at, note FROM loyalty_entries
             WHERE customer = ?1 OR customer IN (SELECT id FROM customers WHERE merged_into = ?1) ORDER BY at, id",
        )?
        .query_map([customer], entry_from_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(finish_entry).collect()
}

pub(crate) fn list(c: &Connection, overdrawn: bool, limit: usize) -> R<Vec<CustomerView>> {
    let sql = if overdrawn {
        // The balance of a surviving record counts the entries of the records merged into it.
        "SELECT root FROM (SELECT COALESCE(k.merged_into, e.customer) AS root, e.points FROM loyalty_entries e
             LEFT JOIN customers k ON k.id = e.customer)
         GROUP BY root HAVING SUM(points) < 0 ORDER BY root LIMIT ?"
    } else {
        "SELECT id FROM customers ORDER BY card LIMIT ?"
    };
    let ids: Vec<String> = c.prepare_cached(sql)?.query_map([limit as i64], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(v) = view(c, &id)? {
            out.push(v);
        }
    }
    Ok(out)
}

pub(crate) fn search(c: &Connection, query: &[String], limit: usize) -> R<Vec<CustomerView>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, name, email, phone, card FROM customers WHERE merged_into IS NULL AND erased = 0 ORDER BY card",
    )?;
    let mut rows = stmt.query([])?;
    let mut found = Vec::new();
    while let Some(r) = rows.next()? {
        let (name, email, phone, card): (String, Option<String>, Option<String>, String) =
            (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        let terms = search_terms(&name, email.as_deref(), phone.as_deref(), &card);
        if matches_query(query, &terms) {
            found.push(r.get::<_, String>(0)?);
            if found.len() >= limit {
                break;
            }
        }
    }
    drop(rows);
    let mut out = Vec::new();
    for id in found {
        if let Some(v) = view(c, &id)? {
            out.push(v);
        }
    }
    Ok(out)
}

pub(crate) fn merge(c: &Connection, from: &str, into: &str) -> R<CustomerView> {
    if from == into {
        return Err(StorageError::Conflict(Conflict::MergeIntoItself).into());
    }
    let a = body(c, from)?.ok_or_else(|| StorageError::NotFound { what: "customer", key: from.into(), field: None })?;
    let b = body(c, into)?.ok_or_else(|| StorageError::NotFound {
        what: "customer",
        key: into.into(),
        field: Some("into".into()),
    })?;
    for x in [&a, &b] {
        if x.merged_into.is_some() || x.erased {
            return Err(StorageError::Conflict(Conflict::CustomerMergedOrErased { id: x.id }).into());
        }
    }
    let at = now_text();
    // History is kept: the record stays, pointing at the survivor; those merged into it follow.
    let followers: Vec<String> = c
        .prepare_cached("SELECT id FROM customers WHERE merged_into = ?")?
        .query_map([from], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    c.execute(
        "UPDATE customers SET merged_into = ?1, merged_at = ?2 WHERE id = ?3 OR merged_into = ?3",
        params![into, at, from],
    )?;
    feed(c, from)?;
    for f in followers {
        feed(c, &f)?;
    }
    feed(c, into)?;
    must_view(c, into)
}

pub(crate) fn erase(c: &Connection, id: &str) -> R<CustomerView> {
    if body(c, id)?.is_none() {
        return Err(StorageError::NotFound { what: "customer", key: id.into(), field: None }.into());
    }
    // The records merged into this one are the same person: their personal data goes too,
    // and each goes down the feed so that every shop erases it as well.
    let merged: Vec<String> = c
        .prepare_cached("SELECT id FROM customers WHERE merged_into = ?")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    c.execute(
        "UPDATE customers SET name = '', email = NULL, phone = NULL, erased = 1, erased_at = COALESCE(erased_at, ?1)
         WHERE id = ?2 OR merged_into = ?2",
        params![now_text(), id],
    )?;
    for m in merged {
        feed(c, &m)?;
    }
    feed(c, id)?;
    must_view(c, id)
}

pub(crate) fn next_card(c: &Connection) -> R<i64> {
    Ok(c.query_row("UPDATE loyalty_settings SET card_seq = card_seq + 1 WHERE id = 1 RETURNING card_seq", [], |r| {
        r.get(0)
    })?)
}

pub(crate) fn rule(c: &Connection) -> R<LoyaltyRule> {
    Ok(c.query_row("SELECT points_per_euro, cents_per_point FROM loyalty_settings WHERE id = 1", [], |r| {
        Ok(LoyaltyRule { points_per_euro: r.get(0)?, cents_per_point: r.get(1)? })
    })?)
}

pub(crate) fn set_rule(c: &Connection, rule: &LoyaltyRule) -> R<()> {
    c.execute(
        "UPDATE loyalty_settings SET points_per_euro = ?, cents_per_point = ? WHERE id = 1",
        params![rule.points_per_euro, rule.cents_per_point],
    )?;
    append_change(c, Entity::LoyaltyRule, "chain", rule, None)?;
    Ok(())
}

/// How many snapshot items the customers part holds.
pub(crate) fn snapshot_count(c: &Connection) -> R<i64> {
    Ok(c.query_row("SELECT 1 + (SELECT COUNT(*) FROM customers) + (SELECT COUNT(*) FROM loyalty_entries)", [], |r| {
        r.get(0)
    })?)
}

pub(crate) fn snapshot_items(
    c: &Connection,
    entity: Entity,
    after: Option<&str>,
    limit: usize,
) -> R<Vec<SnapshotItem>> {
    let mut items = Vec::new();
    match entity {
        Entity::LoyaltyRule if after.is_none() => {
            items.push(SnapshotItem { entity, key: "chain".into(), body: serde_json::to_value(rule(c)?)? });
        }
        Entity::Customer => {
            let rows: Vec<_> = c
                .prepare_cached(&format!("SELECT {BODY_COLUMNS} FROM customers WHERE id > ? ORDER BY id LIMIT ?"))?
                .query_map(params![after.unwrap_or(""), limit as i64], body_from_row)?
                .collect::<Result<_, _>>()?;
            for row in rows {
                let b = finish(row)?;
                items.push(SnapshotItem { entity, key: b.id.to_string(), body: serde_json::to_value(&b)? });
            }
        }
        Entity::LoyaltyEntry => {
            let rows: Vec<_> = c
                .prepare_cached(
                    "SELECT id, customer, shop, kind, points, ticket, at, note FROM loyalty_entries
                     WHERE id > ? ORDER BY id LIMIT ?",
                )?
                .query_map(params![after.unwrap_or(""), limit as i64], entry_from_row)?
                .collect::<Result<_, _>>()?;
            for row in rows {
                let e = finish_entry(row)?;
                items.push(SnapshotItem { entity, key: e.id.to_string(), body: serde_json::to_value(&e)? });
            }
        }
        _ => {}
    }
    Ok(items)
}

// ---------------------------------------------------------------- offers and messages

pub(crate) fn create_offer(c: &Connection, o: &OfferBody) -> R<()> {
    c.execute(
        "INSERT INTO offers (id, body, created_at) VALUES (?, ?, ?)",
        params![o.id.to_string(), serde_json::to_string(o)?, now_text()],
    )?;
    append_change(c, Entity::Offer, &o.id.to_string(), o, None)?;
    Ok(())
}

pub(crate) fn offers(c: &Connection, after: Option<&str>, limit: usize) -> R<Vec<OfferBody>> {
    let bodies: Vec<String> = c
        .prepare_cached("SELECT body FROM offers WHERE id > ? ORDER BY id LIMIT ?")?
        .query_map(params![after.unwrap_or(""), limit as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    bodies.iter().map(|b| Ok(serde_json::from_str(b)?)).collect()
}

pub(crate) fn create_message(c: &Connection, shop: &str, m: &MessageBody) -> R<MessageView> {
    let known: bool = c.query_row("SELECT EXISTS(SELECT 1 FROM shops WHERE code = ?)", [shop], |r| r.get(0))?;
    if !known {
        return Err(StorageError::NotFound { what: "shop", key: shop.into(), field: Some("shop".into()) }.into());
    }
    c.execute(
        "INSERT INTO messages (id, shop, register, text, created_at, body) VALUES (?, ?, ?, ?, ?, ?)",
        params![m.id.to_string(), shop, m.register, m.text, m.created_at, serde_json::to_string(m)?],
    )?;
    append_change(c, Entity::Message, &m.id.to_string(), m, Some(shop))?;
    Ok(messages(c, None)?
        .into_iter()
        .find(|v| v.id == m.id)
        .ok_or_else(|| StorageError::Database("message just written".into()))?)
}

pub(crate) fn messages(c: &Connection, shop: Option<&str>) -> R<Vec<MessageView>> {
    let rows: Vec<(String, String, Option<String>, String, String)> = c
        .prepare_cached(
            "SELECT id, shop, register, text, created_at FROM messages WHERE (?1 IS NULL OR shop = ?1) ORDER BY created_at, id",
        )?
        .query_map([shop], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    let mut acks = c.prepare_cached(
        "SELECT id, message, shop, register, user, at FROM message_acks WHERE message = ? ORDER BY at, id",
    )?;
    for (id, shop, register, text, created_at) in rows {
        let list: Vec<(String, String, String, String, String, String)> = acks
            .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
            .collect::<Result<_, _>>()?;
        let acks = list
            .into_iter()
            .map(|(aid, m, shop, register, user, at)| {
                Ok(MessageAckBody { id: uuid(&aid)?, message: uuid(&m)?, shop, register, user, at })
            })
            .collect::<R<Vec<_>>>()?;
        out.push(MessageView { id: uuid(&id)?, shop, register, text, created_at, acks });
    }
    Ok(out)
}

/// `false`: already held.
pub(crate) fn insert_ack(c: &Connection, a: &MessageAckBody, received_at: &str) -> R<bool> {
    Ok(c.prepare_cached(
        "INSERT INTO message_acks (id, message, shop, register, user, at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO NOTHING",
    )?
    .execute(params![a.id.to_string(), a.message.to_string(), a.shop, a.register, a.user, a.at, received_at])?
        > 0)
}

pub(crate) fn offer_and_message_items(
    c: &Connection,
    shop: &str,
    entity: Entity,
    after: Option<&str>,
    limit: usize,
) -> R<Vec<SnapshotItem>> {
    let mut items = Vec::new();
    match entity {
        Entity::Offer => {
            for o in offers(c, after, limit)? {
                items.push(SnapshotItem { entity, key: o.id.to_string(), body: serde_json::to_value(&o)? });
            }
        }
        Entity::Message => {
            let rows: Vec<(String, String)> = c
                .prepare_cached("SELECT id, body FROM messages WHERE shop = ? AND id > ? ORDER BY id LIMIT ?")?
                .query_map(params![shop, after.unwrap_or(""), limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            for (id, body) in rows {
                items.push(SnapshotItem { entity, key: id, body: serde_json::from_str(&body)? });
            }
        }
        _ => {}
    }
    Ok(items)
}

pub(crate) fn offer_and_message_count(c: &Connection, shop: &str) -> R<i64> {
    Ok(c.query_row(
        "SELECT (SELECT COUNT(*) FROM offers) + (SELECT COUNT(*) FROM messages WHERE shop = ?)",
        [shop],
        |r| r.get(0),
    )?)
}

#[async_trait::async_trait]
impl comptoir_hq::storage::CustomerStorage for super::SqliteStorage {
    #[tracing::instrument(skip_all)]
    async fn write_customer(&self, body: CustomerBody) -> Result<CustomerView, StorageError> {
        self.write(move |tx| {
            upsert(tx, &body, true)?;
            must_view(tx, &body.id.to_string())
        })
        .await
    }

    async fn next_card_number(&self) -> Result<i64, StorageError> {
        self.write(|tx| next_card(tx)).await
    }

    async fn get_customer(&self, id: Uuid) -> Result<Option<CustomerView>, StorageError> {
        self.read(move |c| view(c, &id.to_string())).await
    }

    async fn customer_body(&self, id: Uuid) -> Result<Option<CustomerBody>, StorageError> {
        self.read(move |c| body(c, &id.to_string())).await
    }

    async fn list_customers(&self, overdrawn: bool, limit: usize) -> Result<Vec<CustomerView>, StorageError> {
        self.read(move |c| list(c, overdrawn, limit)).await
    }

    async fn search_customers(&self, query: Vec<String>, limit: usize) -> Result<Vec<CustomerView>, StorageError> {
        self.read(move |c| search(c, &query, limit)).await
    }

    #[tracing::instrument(skip_all)]
    async fn merge_customers(&self, from: Uuid, into: Uuid) -> Result<CustomerView, StorageError> {
        self.write(move |tx| merge(tx, &from.to_string(), &into.to_string())).await
    }

    #[tracing::instrument(skip_all)]
    async fn erase_customer(&self, id: Uuid) -> Result<CustomerView, StorageError> {
        self.write(move |tx| erase(tx, &id.to_string())).await
    }

    #[tracing::instrument(skip_all)]
    async fn add_loyalty_entry(&self, entry: LoyaltyEntryBody) -> Result<CustomerView, StorageError> {
        self.write(move |tx| {
            let id = entry.customer.to_string();
            must_view(tx, &id)?;
            insert_entry(tx, &entry, &now_text())?;
            must_view(tx, &id)
        })
        .await
    }

    async fn loyalty_entries(&self, customer: Uuid) -> Result<Vec<LoyaltyEntryBody>, StorageError> {
        self.read(move |c| entries(c, &customer.to_string())).await
    }

    async fn loyalty_rule(&self) -> Result<LoyaltyRule, StorageError> {
        self.read(rule).await
    }

    #[tracing::instrument(skip_all)]
    async fn set_loyalty_rule(&self, rule: LoyaltyRule) -> Result<(), StorageError> {
        self.write(move |tx| set_rule(tx, &rule)).await
    }

    #[tracing::instrument(skip_all)]
    async fn create_offer(&self, offer: OfferBody) -> Result<OfferBody, StorageError> {
        self.write(move |tx| {
            create_offer(tx, &offer)?;
            Ok(offer)
        })
        .await
    }

    async fn list_offers(&self) -> Result<Vec<OfferBody>, StorageError> {
        self.read(|c| offers(c, None, usize::MAX >> 1)).await
    }

    #[tracing::instrument(skip_all)]
    async fn create_message(&self, shop: &str, message: MessageBody) -> Result<MessageView, StorageError> {
        let shop = shop.to_string();
        self.write(move |tx| create_message(tx, &shop, &message)).await
    }

    async fn list_messages(&self, shop: Option<&str>) -> Result<Vec<MessageView>, StorageError> {
        let shop = shop.map(str::to_string);
        self.read(move |c| messages(c, shop.as_deref())).await
    }
}
