//! Parked tickets: a cart set aside before payment (the customer went back for the bread)
//! so the register can serve the next one. Several may be parked at once; any device of
//! the shop can take one back. Taking it back removes it, so two registers cannot both
//! ring it: a parked ticket is a cart, never a sale, and it is not sent to HQ.

use crate::error::{Refusal, ShopError};
use comptoir_core::catalog::validate_code;
use comptoir_core::{Money, Quantity};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Most parked tickets a shop keeps at once.
pub const MAX_PARKED: i64 = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParkedLine {
    pub sku: String,
    /// As shown on the screen when parked.
    pub name: String,
    pub qty: Quantity,
    /// The price the line is sold at (cents, tax included).
    #[schema(value_type = i64)]
    pub unit_price: Money,
    /// The price was given (a priced-goods barcode), not the catalog's.
    #[serde(default)]
    pub price_given: bool,
    #[serde(default)]
    #[schema(value_type = i64)]
    pub discount: Money,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParked {
    /// Chosen by the register (a retry parks once).
    pub id: Option<Uuid>,
    pub register: String,
    pub cashier: String,
    /// A word to find it again ("dame au manteau rouge"); default: the time.
    #[serde(default)]
    pub label: String,
    pub lines: Vec<ParkedLine>,
    #[serde(default)]
    #[schema(value_type = i64)]
    pub discount: Money,
    pub customer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Parked {
    pub id: Uuid,
    pub register: String,
    pub cashier: String,
    pub parked_at: String,
    pub label: String,
    pub lines: Vec<ParkedLine>,
    #[schema(value_type = i64)]
    pub discount: Money,
    pub customer: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    lines: Vec<ParkedLine>,
    discount: Money,
    customer: Option<String>,
}

fn refuse(en: impl Into<String>, fr: impl Into<String>, field: &str) -> ShopError {
    ShopError::invalid("bad_parked_ticket", en, fr, Some(field))
}

pub fn park(conn: &Connection, at: &str, input: NewParked) -> Result<Parked, ShopError> {
    let register = validate_code("register", &input.register)?;
    if crate::staff::get_register(conn, &register)?.is_none() {
        return Err(ShopError::NotFound { what: "register", key: register, field: Some("register".into()) });
    }
    if crate::staff::get_user(conn, &input.cashier)?.is_none() {
        return Err(ShopError::NotFound {
            what: "user",
            key: input.cashier.chars().take(64).collect(),
            field: Some("cashier".into()),
        });
    }
    let id = input.id.unwrap_or_else(Uuid::now_v7);
    if let Some(p) = get(conn, &id)? {
        return Ok(p);
    }
    if input.lines.is_empty() || input.lines.len() > crate::sales::MAX_LINES {
        return Err(refuse(
            format!("A parked ticket has 1 to {} lines.", crate::sales::MAX_LINES),
            format!("Un ticket en attente a de 1 à {} lignes.", crate::sales::MAX_LINES),
            "lines",
        ));
    }
    for (i, l) in input.lines.iter().enumerate() {
        if l.sku.is_empty() || l.sku.len() > 64 || l.name.chars().count() > 200 {
            return Err(refuse(
                "Each line needs its sku (at most 64 characters) and a name of at most 200.",
                "Chaque ligne a besoin de son sku (64 caractères au plus) et d'un nom de 200 au plus.",
                &format!("lines[{i}].sku"),
            ));
        }
    }
    if input.label.chars().count() > 80 {
        return Err(refuse("label: at most 80 characters.", "label : 80 caractères au plus.", "label"));
    }
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM parked_tickets", [], |r| r.get(0))?;
    if count >= MAX_PARKED {
        return Err(ShopError::conflict(
            format!("{MAX_PARKED} tickets are already parked: resume or drop some first."),
            format!("{MAX_PARKED} tickets sont déjà en attente : reprenez-en ou abandonnez-en d'abord."),
            Some("lines"),
        ));
    }
    let label = if input.label.trim().is_empty() { at.get(11..16).unwrap_or(at).to_string() } else { input.label };
    let stored = Stored { lines: input.lines, discount: input.discount, customer: input.customer };
    let body = serde_json::to_string(&stored).map_err(|e| ShopError::Storage(e.to_string()))?;
    conn.execute(
        "INSERT INTO parked_tickets (id, register, cashier, parked_at, label, body) VALUES (?, ?, ?, ?, ?, ?)",
        params![id.to_string(), register, input.cashier, at, label, body],
    )?;
    Ok(get(conn, &id)?.expect("just parked"))
}

fn from_row(r: &rusqlite::Row) -> rusqlite::Result<Parked> {
    let id: String = r.get(0)?;
    let body: String = r.get(5)?;
    let stored: Stored =
        serde_json::from_str(&body).unwrap_or(Stored { lines: Vec::new(), discount: Money::ZERO, customer: None });
    Ok(Parked {
        id: Uuid::parse_str(&id).unwrap_or_default(),
        register: r.get(1)?,
        cashier: r.get(2)?,
        parked_at: r.get(3)?,
        label: r.get(4)?,
        lines: stored.lines,
        discount: stored.discount,
        customer: stored.customer,
    })
}

const COLUMNS: &str = "id, register, cashier, parked_at, label, body";

pub fn get(conn: &Connection, id: &Uuid) -> Result<Option<Parked>, ShopError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM parked_tickets WHERE id = ?"))?
        .query_row([id.to_string()], from_row)
        .optional()?)
}

/// Every parked ticket of the shop, oldest first (any register may resume any).
pub fn list(conn: &Connection) -> Result<Vec<Parked>, ShopError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM parked_tickets ORDER BY parked_at"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Takes a parked ticket back: returns it and removes it.
pub fn take(conn: &Connection, id: &Uuid) -> Result<Parked, ShopError> {
    let Some(p) = get(conn, id)? else {
        return Err(ShopError::refused(
            Refusal::NotParked,
            format!("No parked ticket {id}: another register may have taken it back already."),
            format!("Aucun ticket en attente {id} : une autre caisse l'a peut-être déjà repris."),
            None,
        ));
    };
    conn.execute("DELETE FROM parked_tickets WHERE id = ?", [id.to_string()])?;
    Ok(p)
}
