//! The till of a register: sessions opened with a counted cash float and closed with the
//! counted cash, the X reading (what the register holds since its last Z, nothing
//! written), and the day a Z is due.
//!
//! Rules:
//! - a register has at most one open session; a second opening is refused (`session_open`);
//! - a register whose tickets of an earlier business day are not in a day closure must
//!   close that day (Z) before opening again (`z_due`): a new day forces the previous Z;
//! - the cash expected at closing is the float plus the session's cash net of change (the
//!   closure's own rule, `PeriodTotals`), the difference is counted minus expected;
//! - a count is given by denomination (euro coins and notes, in cents) or as one amount.
//!
//! Selling through the API does not need an open session (scripts, imports, the demo's
//! simulated registers); the register screen opens one before it sells.

use crate::error::{Refusal, ShopError};
use crate::sales::for_each_ticket_after;
use comptoir_core::Money;
use comptoir_core::closure::PeriodTotals;
use comptoir_core::ticket::PaymentMethod;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Euro notes and coins, in cents: the keys a count by denomination may use.
pub const DENOMINATIONS: [i64; 15] = [50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RegisterSession {
    pub id: Uuid,
    pub register: String,
    pub opened_by: String,
    pub opened_at: String,
    pub business_date: String,
    /// Cash in the drawer at opening (cents).
    #[schema(value_type = i64)]
    pub float: Money,
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
    /// Cash counted at closing.
    #[schema(value_type = Option<i64>)]
    pub counted: Option<Money>,
    /// The count per denomination (cents → how many), when counted that way.
    pub counted_detail: Option<BTreeMap<String, i64>>,
    /// Float plus the session's cash net of change.
    #[schema(value_type = Option<i64>)]
    pub expected: Option<Money>,
    /// Counted minus expected: negative when cash is missing.
    #[schema(value_type = Option<i64>)]
    pub difference: Option<Money>,
}

/// Cash counted: by denomination, or as one amount.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CashCount {
    /// Cents, when not counted by denomination.
    #[schema(value_type = Option<i64>)]
    pub amount: Option<Money>,
    /// Denomination in cents (`"5000"` for a 50 € note) → how many.
    pub detail: Option<BTreeMap<String, i64>>,
}

/// What the register screen needs to know before it sells.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TillState {
    pub register: String,
    /// The shop's business day now.
    pub today: String,
    /// The open session, if any.
    pub session: Option<RegisterSession>,
    /// An earlier business day whose Z must be done before the register opens again.
    pub z_due: Option<String>,
}

/// The X reading: the register's totals since its last Z, and the open session's cash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct XReading {
    pub register: String,
    pub at: String,
    pub today: String,
    #[schema(value_type = Object)]
    pub totals: PeriodTotals,
    pub session: Option<RegisterSession>,
    /// Cash the drawer should hold now (open session only).
    #[schema(value_type = Option<i64>)]
    pub expected_cash: Option<Money>,
}

/// The amount of a count, checked: known denominations, counts from 0 to 100,000.
pub fn count_total(count: &CashCount) -> Result<(Money, Option<BTreeMap<String, i64>>), ShopError> {
    let bad = |en: String, fr: String, field: &str| Err(ShopError::refused(Refusal::BadCount, en, fr, Some(field)));
    match (&count.amount, &count.detail) {
        (Some(_), Some(_)) | (None, None) => bad(
            "Give the cash counted either as amount (cents) or as detail (per denomination), not both or neither."
                .into(),
            "Donnez l'espèce comptée soit en amount (centimes), soit en detail (par coupure), ni les deux ni aucun."
                .into(),
            "amount",
        ),
        (Some(a), None) if a.cents() < 0 => bad(
            "The cash counted cannot be negative.".into(),
            "L'espèce comptée ne peut être négative.".into(),
            "amount",
        ),
        (Some(a), None) => Ok((*a, None)),
        (None, Some(detail)) => {
            let mut total = 0i64;
            for (key, n) in detail {
                let field = format!("detail.{key}");
                let Some(value) = key.parse::<i64>().ok().filter(|v| DENOMINATIONS.contains(v)) else {
                    return bad(
                        format!("{key} is not a euro coin or note in cents (50000, 20000, … 2, 1)."),
                        format!("{key} n'est pas une pièce ou un billet en euros, en centimes (50000, 20000, … 2, 1)."),
                        &field,
                    );
                };
                if !(0..=100_000).contains(n) {
                    return bad(
                        format!("The count of {key} must be between 0 and 100000."),
                        format!("Le nombre de {key} doit être entre 0 et 100000."),
                        &field,
                    );
                }
                total += value * n;
            }
            Ok((Money(total), Some(detail.clone())))
        }
    }
}

const SESSION_COLUMNS: &str = "id, register, opened_by, opened_at, business_date, float_cents, closed_by, closed_at,
    counted_cents, counted_detail, expected_cents, after_sequence";

fn session_from_row(r: &rusqlite::Row) -> rusqlite::Result<(RegisterSession, i64)> {
    let id: String = r.get(0)?;
    let detail: Option<String> = r.get(9)?;
    let counted: Option<i64> = r.get(8)?;
    let expected: Option<i64> = r.get(10)?;
    Ok((
        RegisterSession {
            id: Uuid::parse_str(&id).unwrap_or_default(),
            register: r.get(1)?,
            opened_by: r.get(2)?,
            opened_at: r.get(3)?,
            business_date: r.get(4)?,
            float: Money(r.get(5)?),
            closed_by: r.get(6)?,
            closed_at: r.get(7)?,
            counted: counted.map(Money),
            counted_detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
            expected: expected.map(Money),
            difference: counted.zip(expected).map(|(c, e)| Money(c - e)),
        },
        r.get(11)?,
    ))
}

fn open_session(conn: &Connection, register: &str) -> Result<Option<(RegisterSession, i64)>, ShopError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM register_sessions WHERE register = ? AND closed_at IS NULL"
        ))?
        .query_row([register], session_from_row)
        .optional()?)
}

fn known_register(conn: &Connection, code: &str) -> Result<(), ShopError> {
    match crate::staff::get_register(conn, code)? {
        Some(r) if r.active => Ok(()),
        Some(r) => Err(ShopError::Inactive { what: "register", key: r.code, field: None }),
        None => Err(ShopError::NotFound { what: "register", key: code.chars().take(64).collect(), field: None }),
    }
}

fn last_day_sequence(conn: &Connection, register: &str) -> Result<i64, ShopError> {
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(last_sequence), 0) FROM closures WHERE register = ? AND kind = 'day'",
        [register],
        |r| r.get(0),
    )?)
}

/// The latest business day before `today` with tickets not in a day closure: its Z is due.
pub fn z_due(conn: &Connection, register: &str, today: &str) -> Result<Option<String>, ShopError> {
    let after = last_day_sequence(conn, register)?;
    Ok(conn.query_row(
        "SELECT MAX(business_date) FROM tickets WHERE register = ? AND sequence > ? AND business_date < ?",
        params![register, after, today],
        |r| r.get(0),
    )?)
}

pub fn state(conn: &Connection, register: &str, today: &str) -> Result<TillState, ShopError> {
    known_register(conn, register)?;
    Ok(TillState {
        register: register.into(),
        today: today.into(),
        session: open_session(conn, register)?.map(|(s, _)| s),
        z_due: z_due(conn, register, today)?,
    })
}

fn last_sequence(conn: &Connection, register: &str) -> Result<i64, ShopError> {
    Ok(conn.query_row("SELECT COALESCE(MAX(sequence), 0) FROM tickets WHERE register = ?", [register], |r| r.get(0))?)
}

/// Opens a session of `register` by `user` with the counted float.
pub fn open(
    conn: &Connection,
    register: &str,
    user: &str,
    at: &str,
    today: &str,
    float: &CashCount,
) -> Result<RegisterSession, ShopError> {
    known_register(conn, register)?;
    let (amount, _) = count_total(float)?;
    if let Some((s, _)) = open_session(conn, register)? {
        return Err(ShopError::refused(
            Refusal::SessionOpen,
            format!("Register {register} is already open since {} (by {}); close it first.", s.opened_at, s.opened_by),
            format!(
                "La caisse {register} est déjà ouverte depuis {} (par {}) ; fermez-la d'abord.",
                s.opened_at, s.opened_by
            ),
            Some("register"),
        ));
    }
    if let Some(day) = z_due(conn, register, today)? {
        return Err(ShopError::refused(
            Refusal::ZDue,
            format!("The day {day} of register {register} is not closed: do its Z (day closure) first."),
            format!("La journée du {day} de la caisse {register} n'est pas clôturée : faites d'abord son Z."),
            Some("register"),
        ));
    }
    let id = Uuid::now_v7();
    conn.execute(
        "INSERT INTO register_sessions (id, register, opened_by, opened_at, business_date, float_cents, after_sequence)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![id.to_string(), register, user, at, today, amount.cents(), last_sequence(conn, register)?],
    )?;
    crate::shop::journal(
        conn,
        crate::journal::codes::REGISTER_OPENED,
        Some(user),
        &format!("{register} float {amount}"),
    )?;
    Ok(open_session(conn, register)?.map(|(s, _)| s).expect("just opened"))
}

/// The cash the open session should hold: float plus its cash net of change.
fn expected_cash(conn: &Connection, session: &RegisterSession, after: i64) -> Result<Money, ShopError> {
    let mut totals = PeriodTotals::default();
    for_each_ticket_after(conn, &session.register, after, |t| {
        totals.add_ticket(&t);
        Ok(true)
    })?;
    Ok(session.float + totals.payments.get(&PaymentMethod::Cash).copied().unwrap_or_default())
}

/// Closes the open session of `register` with the cash counted.
pub fn close(
    conn: &Connection,
    register: &str,
    user: &str,
    at: &str,
    count: &CashCount,
) -> Result<RegisterSession, ShopError> {
    known_register(conn, register)?;
    let (counted, detail) = count_total(count)?;
    let Some((session, after)) = open_session(conn, register)? else {
        return Err(ShopError::refused(
            Refusal::NoOpenSession,
            format!("Register {register} is not open: there is nothing to close."),
            format!("La caisse {register} n'est pas ouverte : il n'y a rien à fermer."),
            Some("register"),
        ));
    };
    let expected = expected_cash(conn, &session, after)?;
    let detail_text =
        detail.map(|d| serde_json::to_string(&d)).transpose().map_err(|e| ShopError::Storage(e.to_string()))?;
    conn.execute(
        "UPDATE register_sessions SET closed_by = ?, closed_at = ?, counted_cents = ?, counted_detail = ?, expected_cents = ?
         WHERE id = ?",
        params![user, at, counted.cents(), detail_text, expected.cents(), session.id.to_string()],
    )?;
    crate::shop::journal(
        conn,
        "register_closed",
        Some(user),
        &format!("{register} counted {counted} expected {expected} difference {}", counted - expected),
    )?;
    let closed = conn
        .prepare_cached(&format!("SELECT {SESSION_COLUMNS} FROM register_sessions WHERE id = ?"))?
        .query_row([session.id.to_string()], session_from_row)?;
    Ok(closed.0)
}

/// The sessions of a register, newest first (at most `limit`).
pub fn sessions(conn: &Connection, register: &str, limit: usize) -> Result<Vec<RegisterSession>, ShopError> {
    known_register(conn, register)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM register_sessions WHERE register = ? ORDER BY opened_at DESC LIMIT ?"
    ))?;
    let rows = stmt.query_map(params![register, limit.clamp(1, 1000) as i64], session_from_row)?;
    Ok(rows.map(|r| r.map(|(s, _)| s)).collect::<Result<_, _>>()?)
}

/// The X reading of `register` now.
pub fn x_reading(conn: &Connection, register: &str, at: &str, today: &str) -> Result<XReading, ShopError> {
    known_register(conn, register)?;
    let mut totals = PeriodTotals::default();
    for_each_ticket_after(conn, register, last_day_sequence(conn, register)?, |t| {
        totals.add_ticket(&t);
        Ok(true)
    })?;
    let open = open_session(conn, register)?;
    let expected_cash = match &open {
        Some((s, after)) => Some(expected_cash(conn, s, *after)?),
        None => None,
    };
    Ok(XReading {
        register: register.into(),
        at: at.into(),
        today: today.into(),
        totals,
        session: open.map(|(s, _)| s),
        expected_cash,
    })
}

/// The ticket `input` would make, computed by the same code as a sale and rolled back:
/// offers for its customer, points redeemed, shares of the discount, VAT. Its number and
/// hash are what they would be now, not promises. Without payments (or too few), it is
/// priced as if paid in cash exactly, so the screen can show the amount to pay.
pub fn preview(
    conn: &Connection,
    stamp: &crate::sales::Stamp,
    mut input: crate::sales::NewTicket,
) -> Result<comptoir_core::ticket::Ticket, ShopError> {
    use crate::sales::{Committed, Discounts, commit_ticket_approved};
    use comptoir_core::DomainError;
    use comptoir_core::ticket::Payment;
    // A fresh id: a preview never returns, nor collides with, a committed ticket.
    input.id = None;
    conn.execute_batch("SAVEPOINT preview")?;
    let attempt = |input: crate::sales::NewTicket| match commit_ticket_approved(
        conn,
        stamp,
        input,
        false,
        Discounts::Unchecked,
    ) {
        Ok(Committed::New(t) | Committed::Existing(t)) => Ok(t),
        Err(e) => Err(e),
    };
    let first = attempt(input.clone());
    conn.execute_batch("ROLLBACK TO preview")?;
    let result = match first {
        Err(ShopError::Domain(
            DomainError::PaymentsShort { total, .. } | DomainError::RefundMismatch { total, .. },
        )) => {
            input.payments = vec![Payment { method: PaymentMethod::Cash, amount: total }];
            let second = attempt(input);
            conn.execute_batch("ROLLBACK TO preview")?;
            second
        }
        other => other,
    };
    conn.execute_batch("RELEASE preview")?;
    result
}

/// The share of a cashier's discounts (lines and ticket, HQ's offers excluded) in the
/// ticket before them, in basis points.
pub fn discount_share_bp(
    t: &comptoir_core::ticket::ComputedTicket,
    offers: &[comptoir_core::ticket::AppliedOffer],
) -> i64 {
    let lines: i64 = t.lines.iter().map(|l| l.discount.cents()).sum();
    let offered: i64 = offers.iter().map(|o| o.discount.cents()).sum();
    let given = lines - offered + t.discount.cents();
    let before = t.total.cents() + lines + t.discount.cents();
    if before <= 0 { 0 } else { given * 10_000 / before }
}

/// The most a cashier may discount without a manager (basis points), if limited.
pub fn discount_limit(conn: &Connection) -> Result<Option<u32>, ShopError> {
    Ok(conn.query_row("SELECT cashier_limit_bp FROM discount_rule WHERE id = 1", [], |r| r.get(0))?)
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountRule {
    /// A cashier's discounts above this share of a ticket (basis points: 1000 = 10 %) need a
    /// manager's PIN (`X-Manager-Approval`); null: no limit.
    pub cashier_limit_bp: Option<u32>,
}

pub fn set_discount_limit(conn: &Connection, rule: &DiscountRule) -> Result<DiscountRule, ShopError> {
    if rule.cashier_limit_bp.is_some_and(|bp| bp > 10_000) {
        return Err(ShopError::invalid(
            "bad_discount_limit",
            "cashier_limit_bp: 0 to 10000 (100 %), or null for no limit.",
            "cashier_limit_bp : de 0 à 10000 (100 %), ou null pour aucune limite.",
            Some("cashier_limit_bp"),
        ));
    }
    conn.execute("UPDATE discount_rule SET cashier_limit_bp = ? WHERE id = 1", [rule.cashier_limit_bp])?;
    crate::shop::journal(
        conn,
        crate::journal::codes::CONFIG_CHANGED,
        None,
        &format!("discount limit without a manager: {:?} bp", rule.cashier_limit_bp),
    )?;
    Ok(DiscountRule { cashier_limit_bp: discount_limit(conn)? })
}

pub fn approval_needed(share: i64, limit: u32) -> ShopError {
    let pct = |bp: i64| format!("{},{:02}", bp / 100, bp % 100);
    ShopError::refused(
        Refusal::ManagerApprovalNeeded,
        format!(
            "These discounts are {} % of the ticket, above the {} % a cashier may give: a manager approves them with their PIN.",
            pct(share).replace(',', "."),
            pct(i64::from(limit)).replace(',', ".")
        ),
        format!(
            "Ces remises font {} % du ticket, plus que les {} % qu'un caissier peut accorder : un responsable les valide avec son PIN.",
            pct(share),
            pct(i64::from(limit))
        ),
        Some("discount"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_by_denomination_adds_up_and_refuses_unknown_coins() {
        let detail = BTreeMap::from([("5000".to_string(), 2), ("200".to_string(), 3), ("5".to_string(), 1)]);
        let (total, kept) = count_total(&CashCount { amount: None, detail: Some(detail.clone()) }).unwrap();
        // 2 × 50 € + 3 × 2 € + 5 c
        assert_eq!(total, Money(10_605));
        assert_eq!(kept, Some(detail));
        let bad = BTreeMap::from([("300".to_string(), 1)]);
        let e = count_total(&CashCount { amount: None, detail: Some(bad) }).unwrap_err();
        assert_eq!(e.kind(), "bad_count");
        assert_eq!(e.field().as_deref(), Some("detail.300"));
        assert!(count_total(&CashCount::default()).is_err());
        assert!(count_total(&CashCount { amount: Some(Money(-1)), detail: None }).is_err());
    }
}
