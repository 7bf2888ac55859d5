//! People and the register's set-up from HQ: users (only this shop's arrive), the time
//! clock, keyboards, this shop's own prices and printers, and the seed-002 settings
//! "accept HQ price updates" and "accept HQ printer updates".
//!
//! Rules:
//! - once enrolled, users are HQ's: local user creation is refused (409
//!   `users_owned_by_hq`); a user HQ takes off this shop arrives inactive;
//! - an HQ user signs in at the register with its code and PIN (HQ sends the Argon2id hash
//!   only), and sells only at the registers HQ attached it to (none: every register);
//! - a clock-in or clock-out needs the user's PIN, is a UUIDv7 punch, and goes up to HQ
//!   through the outbox;
//! - a register's keyboard is the one assigned to it, else the one assigned to the shop;
//! - prices: an article's price is this shop's own price from HQ when there is one, else
//!   the chain's. With "accept HQ price updates" off, an article already here keeps its
//!   price (the shop sets it with `PUT /api/v1/prices/{sku}`) and a new article arrives
//!   with HQ's. Printers follow the same opt-in.

use crate::error::ShopError;
use crate::store::now_text;
use crate::sync::outbox::enqueue;
use comptoir_core::Money;
use comptoir_protocol::stock::*;
use comptoir_protocol::{ArticleBody, Entity, Record};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

fn decode<T: serde::de::DeserializeOwned>(entity: Entity, key: &str, body: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(body).map_err(|e| format!("{} {key}: {e}", entity.as_str()))
}

/// Applies one record of the stock-and-people entities from HQ (see `sync::apply`).
/// `Err(warning)`: unreadable by this version, skipped.
pub fn apply(
    conn: &Connection,
    entity: Entity,
    key: &str,
    body: serde_json::Value,
) -> Result<Result<(), String>, ShopError> {
    Ok(match entity {
        Entity::Shop => match decode::<ShopBody>(entity, key, body) {
            Ok(s) => {
                conn.prepare_cached(
                    "INSERT INTO chain_shops (code, name, active) VALUES (?1, ?2, ?3)
                     ON CONFLICT(code) DO UPDATE SET name = ?2, active = ?3",
                )?
                .execute(params![s.code, s.name, s.active])?;
                Ok(())
            }
            Err(w) => Err(w),
        },
        Entity::User => match decode::<UserBody>(entity, key, body) {
            Ok(u) => apply_user(conn, &u).map(Ok)?,
            Err(w) => Err(w),
        },
        Entity::Keyboard => match decode::<Keyboard>(entity, key, body.clone()) {
            Ok(k) => {
                conn.prepare_cached(
                    "INSERT INTO keyboards (code, body) VALUES (?1, ?2) ON CONFLICT(code) DO UPDATE SET body = ?2",
                )?
                .execute(params![k.code, body.to_string()])?;
                Ok(())
            }
            Err(w) => Err(w),
        },
        Entity::ShopPrice => match decode::<ShopPrice>(entity, key, body) {
            Ok(p) => apply_shop_price(conn, &p).map(Ok)?,
            Err(w) => Err(w),
        },
        Entity::Printer => match decode::<Printer>(entity, key, body.clone()) {
            Ok(p) => {
                let exists: bool =
                    conn.query_row("SELECT EXISTS(SELECT 1 FROM printers WHERE code = ?)", [&p.code], |r| r.get(0))?;
                if !exists || settings(conn)?.accept_hq_printers {
                    // Marked as HQ's, so the back office says HQ changes it.
                    let mut stored = body;
                    if let Some(o) = stored.as_object_mut() {
                        o.insert(crate::printing::SENT_BY_HQ.into(), true.into());
                    }
                    conn.prepare_cached(
                        "INSERT INTO printers (code, body) VALUES (?1, ?2) ON CONFLICT(code) DO UPDATE SET body = ?2",
                    )?
                    .execute(params![p.code, stored.to_string()])?;
                }
                Ok(())
            }
            Err(w) => Err(w),
        },
        Entity::PurchaseOrder => match decode::<PurchaseOrder>(entity, key, body) {
            Ok(o) => crate::stock::apply_order(conn, &o).map(Ok)?,
            Err(w) => Err(w),
        },
        Entity::Transfer => match decode::<Transfer>(entity, key, body) {
            Ok(t) => crate::stock::apply_transfer(conn, &t).map(Ok)?,
            Err(w) => Err(w),
        },
        Entity::ShopIdentity => match decode::<ShopIdentityBody>(entity, key, body) {
            // An identity this shop would refuse from its own staff is skipped with a warning,
            // never half-applied.
            Ok(b) => match crate::receipt::apply_from_hq(conn, b.identity) {
                Ok(()) => Ok(()),
                Err(ShopError::Domain(d)) => Err(format!("{} {key}: {d}", entity.as_str())),
                Err(e) => return Err(e),
            },
            Err(w) => Err(w),
        },
        other => Err(format!("{} {key}: not for shops", other.as_str())),
    })
}

fn apply_user(conn: &Connection, u: &UserBody) -> Result<(), ShopError> {
    let role = comptoir_core::catalog::Role::parse(&u.role).map(|r| r.as_str()).unwrap_or("cashier");
    conn.prepare_cached(
        "INSERT INTO users (code, name, role, pin_hash, password_hash, active, updated_at) VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6)
         ON CONFLICT(code) DO UPDATE SET name = ?2, role = ?3, pin_hash = ?4, active = ?5, updated_at = ?6",
    )?
    .execute(params![u.code, u.name, role, u.pin_hash, u.active, now_text()])?;
    // Seed 003: only the registers HQ attached the user to, this shop's ones.
    let me: String = conn.query_row("SELECT code FROM shop WHERE id = 1", [], |r| r.get(0))?;
    conn.prepare_cached("DELETE FROM user_registers WHERE user_code = ?")?.execute([&u.code])?;
    for register in u.registers.iter().filter_map(|r| r.strip_prefix(&format!("{me}/"))) {
        conn.prepare_cached("INSERT OR IGNORE INTO user_registers (user_code, register) VALUES (?, ?)")?
            .execute(params![u.code, register])?;
    }
    crate::shop::journal(
        conn,
        crate::journal::codes::USER_CHANGED,
        None,
        &format!("user {} from HQ: {}, {role}, {}", u.code, u.name, if u.active { "active" } else { "inactive" }),
    )?;
    Ok(())
}

/// Once the shop is in a chain, users are made at HQ.
pub fn refuse_local_users(conn: &Connection) -> Result<(), ShopError> {
    let enrolled: bool = conn.query_row("SELECT EXISTS(SELECT 1 FROM hq_link)", [], |r| r.get(0))?;
    if enrolled { Err(ShopError::UsersOwnedByHq) } else { Ok(()) }
}

// ---------------------------------------------------------------- settings and prices

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HqSettings {
    /// Seed 002: take HQ's price changes for articles already here (default on).
    pub accept_hq_prices: bool,
    /// The same for printer definitions.
    pub accept_hq_printers: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HqSettingsChange {
    pub accept_hq_prices: Option<bool>,
    pub accept_hq_printers: Option<bool>,
}

pub fn settings(conn: &Connection) -> Result<HqSettings, ShopError> {
    Ok(conn.query_row("SELECT accept_prices, accept_printers FROM hq_settings WHERE id = 1", [], |r| {
        Ok(HqSettings { accept_hq_prices: r.get(0)?, accept_hq_printers: r.get(1)? })
    })?)
}

pub fn change_settings(conn: &Connection, change: HqSettingsChange) -> Result<HqSettings, ShopError> {
    conn.execute(
        "UPDATE hq_settings SET accept_prices = COALESCE(?, accept_prices), accept_printers = COALESCE(?, accept_printers) WHERE id = 1",
        params![change.accept_hq_prices, change.accept_hq_printers],
    )?;
    crate::shop::journal(conn, crate::journal::codes::CONFIG_CHANGED, None, &format!("{:?}", settings(conn)?))?;
    settings(conn)
}

/// The price to store for an article arriving from HQ (called by `sync::apply` before
/// it writes the article): the shop's own price from HQ, else the chain's; an article
/// already here keeps its price when HQ price updates are refused.
pub fn price_from_hq(conn: &Connection, a: &ArticleBody) -> Result<Money, ShopError> {
    let id = a.id.to_string();
    conn.prepare_cached(
        "INSERT INTO hq_prices (article_id, chain_price) VALUES (?1, ?2) ON CONFLICT(article_id) DO UPDATE SET chain_price = ?2",
    )?
    .execute(params![id, a.price.cents()])?;
    if !settings(conn)?.accept_hq_prices {
        let current: Option<i64> =
            conn.query_row("SELECT price FROM articles WHERE id = ?", [&id], |r| r.get(0)).optional()?;
        if let Some(c) = current {
            return Ok(Money(c));
        }
    }
    let own: Option<i64> = conn
        .query_row("SELECT shop_price FROM hq_prices WHERE article_id = ?", [&id], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(own.map(Money).unwrap_or(a.price))
}

fn apply_shop_price(conn: &Connection, p: &ShopPrice) -> Result<(), ShopError> {
    let id = p.article_id.to_string();
    conn.prepare_cached(
        "INSERT INTO hq_prices (article_id, shop_price) VALUES (?1, ?2) ON CONFLICT(article_id) DO UPDATE SET shop_price = ?2",
    )?
    .execute(params![id, p.price.map(|m| m.cents())])?;
    if settings(conn)?.accept_hq_prices {
        // Back to the chain's price when HQ removes the shop's own.
        conn.execute(
            "UPDATE articles SET price = COALESCE((SELECT COALESCE(shop_price, chain_price) FROM hq_prices WHERE article_id = ?1), price),
                 updated_at = ?2 WHERE id = ?1",
            params![id, now_text()],
        )?;
    }
    Ok(())
}

/// `PUT /api/v1/prices/{sku}`: the shop's own price, only while it refuses HQ's.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalPrice {
    #[schema(value_type = i64)]
    pub price: Money,
}

pub fn set_local_price(conn: &Connection, sku: &str, input: LocalPrice) -> Result<serde_json::Value, ShopError> {
    let enrolled: bool = conn.query_row("SELECT EXISTS(SELECT 1 FROM hq_link)", [], |r| r.get(0))?;
    if enrolled && settings(conn)?.accept_hq_prices {
        return Err(ShopError::CatalogOwnedByHq);
    }
    if input.price.cents() < 0 {
        return Err(ShopError::invalid(
            "negative_price",
            "price cannot be negative.",
            "price : un prix ne peut pas être négatif.",
            Some("price"),
        ));
    }
    let (id, sku) = crate::stock::article(conn, sku, "sku")?;
    conn.execute(
        "UPDATE articles SET price = ?, updated_at = ? WHERE id = ?",
        params![input.price.cents(), now_text(), id.to_string()],
    )?;
    crate::shop::journal(
        conn,
        crate::journal::codes::PRICE_CHANGED,
        None,
        &format!("{sku}: the shop's own price {}", input.price),
    )?;
    Ok(serde_json::json!({"sku": sku, "price": input.price.cents()}))
}

// ---------------------------------------------------------------- keyboards and printers

/// The layout of a register: assigned to it, else to the shop.
pub fn keyboard_for(conn: &Connection, shop: &str, register: &str) -> Result<Keyboard, ShopError> {
    let mut stmt = conn.prepare("SELECT body FROM keyboards ORDER BY code")?;
    let rows: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let all: Vec<Keyboard> = rows.iter().filter_map(|b| serde_json::from_str(b).ok()).collect();
    let own = format!("{shop}/{register}");
    all.iter()
        .find(|k| k.registers.contains(&own))
        .or_else(|| all.iter().find(|k| k.shops.iter().any(|s| s == shop)))
        .cloned()
        .ok_or(ShopError::NotFound { what: "keyboard", key: own, field: None })
}

pub fn printers(conn: &Connection) -> Result<Vec<Printer>, ShopError> {
    let mut stmt = conn.prepare("SELECT body FROM printers ORDER BY code")?;
    let rows: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(rows.iter().filter_map(|b| serde_json::from_str(b).ok()).collect())
}

// ---------------------------------------------------------------- time clock

/// `POST /api/v1/timeclock`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPunch {
    pub register: String,
    pub user: String,
    pub pin: String,
    /// `in` or `out`.
    #[schema(value_type = String)]
    pub kind: PunchKind,
}

/// Records a punch after checking the user's PIN; `date` is the shop's business day.
pub fn punch(conn: &Connection, shop: &str, at: &str, date: &str, input: NewPunch) -> Result<Punch, ShopError> {
    let register_ok: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM registers WHERE code = ? AND active = 1)",
        [&input.register],
        |r| r.get(0),
    )?;
    if !register_ok {
        return Err(ShopError::NotFound { what: "register", key: input.register, field: Some("register".into()) });
    }
    let pin_hash: Option<Option<String>> = conn
        .query_row("SELECT pin_hash FROM users WHERE code = ? AND active = 1", [&input.user], |r| r.get(0))
        .optional()?;
    let Some(pin_hash) = pin_hash else {
        return Err(ShopError::NotFound { what: "user", key: input.user, field: Some("user".into()) });
    };
    if !pin_hash.as_deref().is_some_and(|h| comptoir_core::secret::verify_secret(&input.pin, h)) {
        return Err(ShopError::invalid(
            "wrong_pin",
            "Wrong PIN for this user.",
            "PIN incorrect pour cet utilisateur.",
            Some("pin"),
        ));
    }
    let p = Punch {
        id: Uuid::now_v7(),
        shop: shop.into(),
        register: input.register,
        user: input.user,
        kind: input.kind,
        at: at.into(),
        date: date.into(),
    };
    let kind = if p.kind == PunchKind::In { "in" } else { "out" };
    conn.execute(
        "INSERT INTO punches (id, user_code, register, kind, at) VALUES (?, ?, ?, ?, ?)",
        params![p.id.to_string(), p.user, p.register, kind, p.at],
    )?;
    enqueue(conn, &Record::Punch(p.clone()))?;
    Ok(p)
}
