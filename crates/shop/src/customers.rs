//! The shop's customers: created and edited here (offline too) or arriving from HQ, and
//! found by the registers.
//!
//! Rules:
//! - a customer made here gets a UUIDv7 and the card number `<shop code>-<6-digit counter>`,
//!   unique across the chain because shop codes are;
//! - every edit stamps the fields it changes with this shop's hybrid logical clock
//!   ([`comptoir_core::hlc`]); a record from HQ replaces a field only when its stamp is
//!   greater ([`upsert`], the same rule HQ applies), so edits merge field by field and the
//!   last writer wins everywhere;
//! - `merged_into` and `erased` come from HQ only; an erased customer keeps its id and card
//!   (tickets still name it) but no name, email or phone, and is never found again;
//! - search looks up prefixes of the words in `customer_terms` (an index range scan), so it
//!   stays fast on a million customers;
//! - with `sync.share_customers` off, nothing about customers goes to HQ and nothing from
//!   HQ is applied.

use crate::error::ShopError;
use crate::store::now_text;
use comptoir_core::catalog::{validate_code, validate_name};
use comptoir_core::customer::{query_terms, search_terms, validate_email, validate_phone};
use comptoir_core::hlc::{Hlc, now_millis};
use comptoir_protocol::{CustomerBody, Record};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Most customers one search returns.
pub const MAX_RESULTS: usize = 50;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Customer group code (offers may target a group).
    pub group: Option<String>,
}

/// Changed fields; absent keeps the value, an empty string clears email, phone or group.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerChange {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub group: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Customer {
    pub id: Uuid,
    pub card: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub group: Option<String>,
    /// Points as this shop knows them (its entries and those HQ sent).
    pub loyalty_balance: i64,
    pub origin: String,
    pub created_at: String,
    pub merged_into: Option<Uuid>,
    pub erased: bool,
}

fn optional(
    field: &str,
    value: Option<&str>,
    check: fn(&str, &str) -> Result<Option<String>, comptoir_core::DomainError>,
) -> Result<Option<String>, ShopError> {
    Ok(match value {
        Some(v) => check(field, v)?,
        None => None,
    })
}

fn group(value: Option<&str>) -> Result<Option<String>, ShopError> {
    Ok(match value.map(str::trim) {
        Some("") | None => None,
        Some(g) => Some(validate_code("group", g)?),
    })
}

/// The next stamp of this shop's clock (stored, so it only grows across restarts).
pub fn tick(conn: &Connection, node: &str) -> Result<Hlc, ShopError> {
    let last: Option<String> = conn.query_row("SELECT hlc_last FROM customer_state WHERE id = 1", [], |r| r.get(0))?;
    let next = Hlc::tick(last.as_deref().and_then(Hlc::decode).as_ref(), now_millis(), node);
    conn.execute("UPDATE customer_state SET hlc_last = ? WHERE id = 1", [next.encode()])?;
    Ok(next)
}

/// Takes in the stamps of a record from elsewhere, so the next local edit is above them.
fn observe(conn: &Connection, node: &str, body: &CustomerBody) -> Result<(), ShopError> {
    let remote = [&body.name_hlc, &body.email_hlc, &body.phone_hlc, &body.group_hlc]
        .into_iter()
        .filter_map(|s| Hlc::decode(s))
        .max();
    if let Some(remote) = remote {
        let last: Option<String> =
            conn.query_row("SELECT hlc_last FROM customer_state WHERE id = 1", [], |r| r.get(0))?;
        let seen = Hlc::observe(last.as_deref().and_then(Hlc::decode).as_ref(), &remote, now_millis(), node);
        conn.execute("UPDATE customer_state SET hlc_last = ? WHERE id = 1", [seen.encode()])?;
    }
    Ok(())
}

fn shop_code(conn: &Connection) -> Result<String, ShopError> {
    Ok(conn.query_row("SELECT code FROM shop WHERE id = 1", [], |r| r.get(0))?)
}

pub fn create_customer(conn: &Connection, input: NewCustomer, share: bool) -> Result<Customer, ShopError> {
    let name = validate_name("name", &input.name)?;
    let email = optional("email", input.email.as_deref(), validate_email)?;
    let phone = optional("phone", input.phone.as_deref(), validate_phone)?;
    let group = group(input.group.as_deref())?;
    let code = shop_code(conn)?;
    let seq: i64 =
        conn.query_row("UPDATE customer_state SET card_seq = card_seq + 1 WHERE id = 1 RETURNING card_seq", [], |r| {
            r.get(0)
        })?;
    let stamp = tick(conn, &code)?.encode();
    let body = CustomerBody {
        id: Uuid::now_v7(),
        card: format!("{code}-{seq:06}"),
        name,
        name_hlc: stamp.clone(),
        email,
        email_hlc: stamp.clone(),
        phone,
        phone_hlc: stamp.clone(),
        group,
        group_hlc: stamp,
        origin: code,
        created_at: now_text(),
        merged_into: None,
        erased: false,
    };
    upsert(conn, &body)?;
    if share {
        crate::sync::outbox::enqueue(conn, &Record::Customer(body.clone()))?;
    }
    get_customer(conn, &body.id.to_string())?.ok_or_else(|| ShopError::Storage("customer just written".into()))
}

pub fn update_customer(
    conn: &Connection,
    key: &str,
    change: CustomerChange,
    share: bool,
) -> Result<Customer, ShopError> {
    let mut body = load_body(conn, key)?.filter(|b| !b.erased).ok_or_else(|| ShopError::NotFound {
        what: "customer",
        key: key.into(),
        field: None,
    })?;
    let code = shop_code(conn)?;
    let stamp = tick(conn, &code)?.encode();
    if let Some(name) = &change.name {
        body.name = validate_name("name", name)?;
        body.name_hlc = stamp.clone();
    }
    if let Some(email) = &change.email {
        body.email = validate_email("email", email)?;
        body.email_hlc = stamp.clone();
    }
    if let Some(phone) = &change.phone {
        body.phone = validate_phone("phone", phone)?;
        body.phone_hlc = stamp.clone();
    }
    if let Some(g) = &change.group {
        body.group = group(Some(g))?;
        body.group_hlc = stamp;
    }
    upsert(conn, &body)?;
    if share {
        crate::sync::outbox::enqueue(conn, &Record::Customer(body.clone()))?;
    }
    get_customer(conn, &body.id.to_string())?.ok_or_else(|| ShopError::Storage("customer just written".into()))
}

/// Applies a customer from HQ: the field-by-field merge, then HQ's merge and erasure.
pub fn apply_remote(conn: &Connection, body: &CustomerBody) -> Result<(), ShopError> {
    let code = shop_code(conn)?;
    observe(conn, &code, body)?;
    upsert(conn, body)
}

/// Writes `body` over what is held, field by field by stamp (see the module doc).
pub fn upsert(conn: &Connection, b: &CustomerBody) -> Result<(), ShopError> {
    let id = b.id.to_string();
    conn.prepare_cached(
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
        b.merged_into.map(|u| u.to_string()),
        b.erased
    ])?;
    let (name, email, phone, card, erased, merged): (
        String,
        Option<String>,
        Option<String>,
        String,
        bool,
        Option<String>,
    ) = conn
        .prepare_cached("SELECT name, email, phone, card, erased, merged_into FROM customers WHERE id = ?")?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?;
    conn.prepare_cached("DELETE FROM customer_terms WHERE customer = ?")?.execute([&id])?;
    if erased {
        // Erasure is for good: whatever edit arrives later, the personal data stays gone.
        conn.prepare_cached("UPDATE customers SET name = '', email = NULL, phone = NULL WHERE id = ?")?
            .execute([&id])?;
        return Ok(());
    }
    if merged.is_some() {
        // A merged record is found through the one it was merged into.
        return Ok(());
    }
    let mut insert = conn.prepare_cached("INSERT OR IGNORE INTO customer_terms (term, customer) VALUES (?, ?)")?;
    for term in search_terms(&name, email.as_deref(), phone.as_deref(), &card) {
        insert.execute(params![term, id])?;
    }
    Ok(())
}

fn body_from_row(r: &rusqlite::Row) -> rusqlite::Result<CustomerBody> {
    let id: String = r.get(0)?;
    let merged: Option<String> = r.get(13)?;
    let parse = |s: &str| Uuid::parse_str(s).unwrap_or_default();
    Ok(CustomerBody {
        id: parse(&id),
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
        erased: r.get(12)?,
        merged_into: merged.as_deref().map(parse),
    })
}

const BODY_COLUMNS: &str = "id, card, name, name_hlc, email, email_hlc, phone, phone_hlc, grp, grp_hlc, origin,
    created_at, erased, merged_into";

/// A customer by id or card number, as stored.
pub fn load_body(conn: &Connection, key: &str) -> Result<Option<CustomerBody>, ShopError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {BODY_COLUMNS} FROM customers WHERE id = ?1 OR card = ?1"))?
        .query_row([key], body_from_row)
        .optional()?)
}

/// The customer a ticket names (id or card), followed to the record it was merged into.
pub fn resolve(conn: &Connection, key: &str) -> Result<Option<CustomerBody>, ShopError> {
    let mut body = load_body(conn, key)?;
    // Merges are re-pointed at HQ, so one step suffices; the bound guards against a loop.
    for _ in 0..4 {
        match body.as_ref().and_then(|b| b.merged_into) {
            Some(next) => body = load_body(conn, &next.to_string())?,
            None => break,
        }
    }
    Ok(body)
}

pub fn get_customer(conn: &Connection, key: &str) -> Result<Option<Customer>, ShopError> {
    let Some(b) = load_body(conn, key)? else { return Ok(None) };
    let balance = crate::loyalty::balance(conn, &b.id)?;
    Ok(Some(view(b, balance)))
}

fn view(b: CustomerBody, balance: i64) -> Customer {
    Customer {
        id: b.id,
        card: b.card,
        name: b.name,
        email: b.email,
        phone: b.phone,
        group: b.group,
        loyalty_balance: balance,
        origin: b.origin,
        created_at: b.created_at,
        merged_into: b.merged_into,
        erased: b.erased,
    }
}

/// The smallest text above every text that starts with `prefix`.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Most index entries one search reads before it stops (bounds the worst case).
const MAX_SCAN: usize = 200_000;

/// Customers whose words start with every word of `query` (name, email, phone, card).
///
/// The word with the fewest index entries (counted up to a bound) drives: its range is
/// scanned in index order and each candidate is checked for the other words, until `limit`
/// customers are found. A search therefore reads a few index pages, even on a million
/// customers, unless every word is very common.
pub fn search(conn: &Connection, query: &str, limit: usize) -> Result<Vec<Customer>, ShopError> {
    let mut terms = query_terms(query);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let limit = limit.clamp(1, MAX_RESULTS);
    if terms.len() > 1 {
        let mut count = conn.prepare_cached(
            "SELECT COUNT(*) FROM (SELECT 1 FROM customer_terms WHERE term >= ?1 AND term < ?2 LIMIT 2000)",
        )?;
        let mut sized = Vec::with_capacity(terms.len());
        for t in terms.drain(..) {
            let n: i64 = count.query_row(params![t, prefix_end(&t)], |r| r.get(0))?;
            sized.push((n, t));
        }
        sized.sort();
        terms = sized.into_iter().map(|(_, t)| t).collect();
    }
    let Some((first, rest)) = terms.split_first() else { return Ok(Vec::new()) };
    let mut scan =
        conn.prepare_cached("SELECT customer FROM customer_terms WHERE term >= ?1 AND term < ?2 LIMIT ?3")?;
    let mut check = conn.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM customer_terms WHERE customer = ?1 AND term >= ?2 AND term < ?3)",
    )?;
    let mut rows = scan.query(params![first, prefix_end(first), MAX_SCAN as i64])?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        if !seen.insert(id.clone()) {
            continue;
        }
        let mut all = true;
        for t in rest {
            if !check.query_row(params![id, t, prefix_end(t)], |r| r.get::<_, bool>(0))? {
                all = false;
                break;
            }
        }
        if all && let Some(c) = get_customer(conn, &id)? {
            out.push(c);
            if out.len() >= limit {
                break;
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.card.cmp(&b.card)));
    Ok(out)
}
