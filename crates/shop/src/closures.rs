//! Closures (Z) of a register: day, month and year.
//!
//! - A day closure covers the register's tickets after its previous day closure, up to and
//!   including the closed business day. A day can be closed once; a later day closes the
//!   earlier ones implicitly (no ticket can be added to them).
//! - A month (year) closure sums the day closures of that month (year). It needs every
//!   ticket of the period to be in a day closure already.
//! - After any closure, tickets dated in its period are refused (`sales::closed_period`).
//! - Each kind keeps a perpetual grand total; all closures of a register form one chain.

use crate::error::ShopError;
use crate::sales::{closed_period, for_each_ticket_after};
use comptoir_core::chain::{GENESIS, closure_hash, encode_closure};
use comptoir_core::closure::{Closure, ClosureKind, PeriodTotals};
use comptoir_core::tax::VatAmounts;
use comptoir_core::ticket::PaymentMethod;
use comptoir_core::{Money, TaxRate};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClosure {
    pub register: String,
    pub kind: ClosureKind,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY` by kind; defaults to the current day, month or year.
    pub period: Option<String>,
}

fn valid_period(kind: ClosureKind, period: &str) -> bool {
    let parts: Vec<&str> = period.split('-').collect();
    let numeric = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    match (kind, parts.as_slice()) {
        (ClosureKind::Year, [y]) => numeric(y, 4),
        (ClosureKind::Month, [y, m]) => numeric(y, 4) && numeric(m, 2) && ("01"..="12").contains(m),
        (ClosureKind::Day, [_, _, _]) => jiff::civil::Date::strptime("%Y-%m-%d", period).is_ok(),
        _ => false,
    }
}

/// Closes a period of a register. `today` is the shop's current business date.
pub fn close(
    conn: &Connection,
    shop_code: &str,
    created_at: &str,
    today: &str,
    input: NewClosure,
) -> Result<Closure, ShopError> {
    let register = crate::staff::get_register(conn, &input.register)?.ok_or_else(|| ShopError::NotFound {
        what: "register",
        key: input.register.clone(),
        field: Some("register".into()),
    })?;
    let kind = input.kind;
    let start_month = year_start_month(conn)?;
    let period_of = |date: &str| kind.fiscal_period_of(date, start_month);
    let period = input.period.clone().unwrap_or_else(|| period_of(today));
    if !valid_period(kind, &period) {
        let (shape, shape_fr, what_fr) = match kind {
            ClosureKind::Day => ("YYYY-MM-DD", "AAAA-MM-JJ", "un jour"),
            ClosureKind::Month => ("YYYY-MM", "AAAA-MM", "un mois"),
            ClosureKind::Year => ("YYYY", "AAAA", "une année"),
        };
        return Err(ShopError::invalid(
            "bad_period",
            format!("{:?} is not a {} period: write it {shape}.", comptoir_http::short(&period), kind.as_str()),
            format!("{:?} n'est pas {what_fr} : la forme attendue est {shape_fr}.", comptoir_http::short(&period)),
            Some("period"),
        ));
    }
    if period > period_of(today) {
        return Err(ShopError::invalid(
            "period_not_begun",
            format!("{period} has not started yet (today is {today}): a period is closed once it has begun."),
            format!(
                "{period} n'a pas encore commencé (nous sommes le {today}) : une période se clôture une fois commencée."
            ),
            Some("period"),
        ));
    }
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM closures WHERE register = ? AND kind = ? AND period = ?)",
        params![register.code, kind.as_str(), period],
        |r| r.get(0),
    )?;
    if exists {
        return Err(ShopError::AlreadyClosed { register: register.code, kind: kind.as_str(), period });
    }

    let last_day_seq: i64 = conn.query_row(
        "SELECT COALESCE(MAX(last_sequence), 0) FROM closures WHERE register = ? AND kind = 'day'",
        [&register.code],
        |r| r.get(0),
    )?;
    let mut totals = PeriodTotals::default();
    let mut last_sequence = last_day_seq;
    match kind {
        ClosureKind::Day => {
            // A later day already closed, or the month or year: this day is closed too.
            let first_day_of_period = period.clone();
            if let Some(closed) = closed_period(conn, &register.code, &first_day_of_period)? {
                return Err(ShopError::ClosedPeriod { register: register.code, period: closed });
            }
            for_each_ticket_after(conn, &register.code, last_day_seq, |t| {
                if t.business_date.as_str() > period.as_str() {
                    return Ok(false);
                }
                last_sequence = t.sequence;
                totals.add_ticket(&t);
                Ok(true)
            })?;
        }
        ClosureKind::Month | ClosureKind::Year => {
            // Every ticket of the period must already be in a day closure.
            let mut unclosed: Option<String> = None;
            for_each_ticket_after(conn, &register.code, last_day_seq, |t| {
                if period_of(&t.business_date) <= period {
                    unclosed = Some(t.business_date.clone());
                }
                Ok(false)
            })?;
            if let Some(date) = unclosed {
                return Err(ShopError::DayNotClosed { register: register.code, date });
            }
            // The period's days: a month's, or a fiscal year's from its first month.
            let (first_day, after_last) = match kind {
                ClosureKind::Year => comptoir_core::closure::fiscal_year_days(&period, start_month),
                _ => (format!("{period}-01"), format!("{period}-99")),
            };
            let mut stmt = conn.prepare_cached(
                "SELECT id FROM closures WHERE register = ? AND kind = 'day' AND period >= ? AND period < ? ORDER BY sequence",
            )?;
            let ids: Vec<String> = stmt
                .query_map(params![register.code, first_day, after_last], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for id in ids {
                if let Some(day) = load_closure(conn, &id)? {
                    totals.add_period(&day.totals);
                }
            }
        }
    }

    let (previous_grand_total, previous_absolute): (i64, Option<i64>) = conn
        .query_row(
            "SELECT grand_total, grand_absolute_total FROM closures WHERE register = ? AND kind = ?
             ORDER BY sequence DESC LIMIT 1",
            params![register.code, kind.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, None));
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT sequence, hash FROM closures WHERE register = ? ORDER BY sequence DESC LIMIT 1",
            [&register.code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (sequence, prev_hash) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let grand_total = Money(previous_grand_total) + totals.total;
    let totals_absolute = totals.absolute_total;
    let mut closure = Closure {
        id: Uuid::now_v7(),
        shop: shop_code.to_string(),
        register: register.code,
        sequence,
        kind,
        period,
        created_at: created_at.to_string(),
        totals,
        grand_total,
        // Kept since signatures came (older closures have none: counted from zero).
        grand_absolute_total: Some(Money(previous_absolute.unwrap_or(0)) + totals_absolute),
        prev_hash,
        hash: String::new(),
        signature: None,
    };
    closure.hash = closure_hash(&closure);
    closure.signature = Some(crate::fiscal::sign(conn, encode_closure(&closure).as_bytes())?);
    insert_closure(conn, &closure, (kind == ClosureKind::Day).then_some(last_sequence))?;
    crate::sync::outbox::enqueue(conn, &comptoir_protocol::Record::Closure(closure.clone()))?;
    Ok(closure)
}

/// The fiscal year's first month (1-12), as `Shop::open` copied it from the settings.
pub fn year_start_month(conn: &Connection) -> Result<u8, ShopError> {
    let m: i64 = conn
        .prepare_cached("SELECT year_start_month FROM fiscal_settings WHERE id = 1")?
        .query_row([], |r| r.get(0))?;
    Ok(m.clamp(1, 12) as u8)
}

fn insert_closure(conn: &Connection, c: &Closure, last_sequence: Option<i64>) -> Result<(), ShopError> {
    let id = c.id.to_string();
    conn.execute(
        "INSERT INTO closures (id, shop, register, sequence, kind, period, created_at, ticket_count, first_number,
         last_number, last_sequence, total, grand_total, prev_hash, hash, signature, absolute_total,
         grand_absolute_total)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            id,
            c.shop,
            c.register,
            c.sequence,
            c.kind.as_str(),
            c.period,
            c.created_at,
            c.totals.ticket_count,
            c.totals.first_number,
            c.totals.last_number,
            last_sequence,
            c.totals.total.cents(),
            c.grand_total.cents(),
            c.prev_hash,
            c.hash,
            c.signature,
            c.grand_absolute_total.map(|_| c.totals.absolute_total.cents()),
            c.grand_absolute_total.map(Money::cents)
        ],
    )?;
    for (m, a) in &c.totals.payments {
        conn.execute(
            "INSERT INTO closure_payments (closure_id, method, amount) VALUES (?, ?, ?)",
            params![id, m.as_str(), a.cents()],
        )?;
    }
    for (r, v) in &c.totals.vat {
        conn.execute(
            "INSERT INTO closure_vat (closure_id, rate_bp, gross, net, vat) VALUES (?, ?, ?, ?, ?)",
            params![id, r.bp(), v.gross.cents(), v.net.cents(), v.vat.cents()],
        )?;
    }
    Ok(())
}

const CLOSURE_COLUMNS: &str = "id, shop, register, sequence, kind, period, created_at, ticket_count, first_number,
     last_number, total, grand_total, prev_hash, hash, signature, absolute_total, grand_absolute_total";

fn closure_from_row(conn: &Connection, r: &rusqlite::Row) -> Result<Closure, ShopError> {
    let id: String = r.get(0)?;
    let kind: String = r.get(4)?;
    let mut c = Closure {
        id: Uuid::parse_str(&id).map_err(|_| ShopError::Storage(format!("unreadable closure id {id:?}")))?,
        shop: r.get(1)?,
        register: r.get(2)?,
        sequence: r.get(3)?,
        kind: ClosureKind::parse(&kind)
            .ok_or_else(|| ShopError::Storage(format!("unreadable closure kind {kind:?}")))?,
        period: r.get(5)?,
        created_at: r.get(6)?,
        totals: PeriodTotals {
            ticket_count: r.get(7)?,
            first_number: r.get(8)?,
            last_number: r.get(9)?,
            total: Money(r.get(10)?),
            absolute_total: Money(r.get::<_, Option<i64>>(15)?.unwrap_or(0)),
            ..Default::default()
        },
        grand_total: Money(r.get(11)?),
        grand_absolute_total: r.get::<_, Option<i64>>(16)?.map(Money),
        prev_hash: r.get(12)?,
        hash: r.get(13)?,
        signature: r.get(14)?,
    };
    let mut stmt = conn.prepare_cached("SELECT method, amount FROM closure_payments WHERE closure_id = ?")?;
    let mut rows = stmt.query([&id])?;
    while let Some(row) = rows.next()? {
        let method: String = row.get(0)?;
        let method = PaymentMethod::parse(&method)
            .ok_or_else(|| ShopError::Storage(format!("unreadable payment method {method:?}")))?;
        c.totals.payments.insert(method, Money(row.get(1)?));
    }
    let mut stmt = conn.prepare_cached("SELECT rate_bp, gross, net, vat FROM closure_vat WHERE closure_id = ?")?;
    let mut rows = stmt.query([&id])?;
    while let Some(row) = rows.next()? {
        c.totals.vat.insert(
            TaxRate(row.get(0)?),
            VatAmounts { gross: Money(row.get(1)?), net: Money(row.get(2)?), vat: Money(row.get(3)?) },
        );
    }
    Ok(c)
}

pub fn load_closure(conn: &Connection, id: &str) -> Result<Option<Closure>, ShopError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {CLOSURE_COLUMNS} FROM closures WHERE id = ?"))?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(r) => Ok(Some(closure_from_row(conn, r)?)),
        None => Ok(None),
    }
}

/// A register's closures (or every register's), in chain order.
pub fn list_closures(conn: &Connection, register: Option<&str>) -> Result<Vec<Closure>, ShopError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CLOSURE_COLUMNS} FROM closures WHERE (?1 IS NULL OR register = ?1) ORDER BY register, sequence"
    ))?;
    let mut rows = stmt.query([register])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(closure_from_row(conn, r)?);
    }
    Ok(out)
}

/// What is closed already for a register, for [`due`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Closed {
    /// The latest business day before today whose tickets are not all in a day closure.
    pub unclosed_day: Option<String>,
    /// The latest day (`YYYY-MM-DD`), month (`YYYY-MM`) and fiscal year (`YYYY`) closed.
    pub last_day: Option<String>,
    pub last_month: Option<String>,
    pub last_year: Option<String>,
}

/// The automatic closures due on `today`, in the order to make them (pure): the day of
/// unclosed tickets before today (which closes every earlier day too); then the month of
/// the latest closed day once it is over, if not closed yet; then that month's fiscal year
/// once it is over, if not closed yet.
pub fn due(today: &str, year_start_month: u8, closed: &Closed) -> Vec<(ClosureKind, String)> {
    let mut out = Vec::new();
    let mut last_day = closed.last_day.clone();
    if let Some(day) = &closed.unclosed_day
        && day.as_str() < today
    {
        out.push((ClosureKind::Day, day.clone()));
        last_day = last_day.max(Some(day.clone()));
    }
    let mut last_month = closed.last_month.clone();
    if let Some(day) = &last_day {
        let month = ClosureKind::Month.period_of(day);
        if month < ClosureKind::Month.period_of(today) && last_month.as_ref().is_none_or(|m| *m < month) {
            out.push((ClosureKind::Month, month.clone()));
            last_month = Some(month);
        }
    }
    if let Some(month) = &last_month {
        let year = ClosureKind::Year.fiscal_period_of(&format!("{month}-01"), year_start_month);
        let this_year = ClosureKind::Year.fiscal_period_of(today, year_start_month);
        if year < this_year && closed.last_year.as_ref().is_none_or(|y| *y < year) {
            out.push((ClosureKind::Year, year));
        }
    }
    out
}

fn closed_state(conn: &Connection, register: &str, today: &str) -> Result<Closed, ShopError> {
    let last = |kind: &str| -> Result<Option<String>, ShopError> {
        Ok(conn
            .prepare_cached("SELECT MAX(period) FROM closures WHERE register = ? AND kind = ?")?
            .query_row(params![register, kind], |r| r.get(0))?)
    };
    Ok(Closed {
        unclosed_day: crate::till::z_due(conn, register, today)?,
        last_day: last("day")?,
        last_month: last("month")?,
        last_year: last("year")?,
    })
}

/// Makes the automatic closures due for `register` on `today` (when `fiscal.auto_closures`
/// is on), journaled as `closure` with no user. Run in the caller's write transaction.
pub fn close_due(
    conn: &Connection,
    shop_code: &str,
    created_at: &str,
    today: &str,
    register: &str,
) -> Result<Vec<Closure>, ShopError> {
    close_due_as_of(conn, shop_code, created_at, today, today, register)
}

/// [`close_due`] deciding as if it were `as_of` (the day after `today` once the closure
/// hour passed, which closes today).
fn close_due_as_of(
    conn: &Connection,
    shop_code: &str,
    created_at: &str,
    as_of: &str,
    today: &str,
    register: &str,
) -> Result<Vec<Closure>, ShopError> {
    let auto: bool =
        conn.prepare_cached("SELECT auto_closures FROM fiscal_settings WHERE id = 1")?.query_row([], |r| r.get(0))?;
    if !auto {
        return Ok(Vec::new());
    }
    let start_month = year_start_month(conn)?;
    let mut made = Vec::new();
    for (kind, period) in due(as_of, start_month, &closed_state(conn, register, as_of)?) {
        let c = close(
            conn,
            shop_code,
            created_at,
            today,
            NewClosure { register: register.into(), kind, period: Some(period) },
        )?;
        let details = format!("automatic {} {} total {}", c.kind.as_str(), c.period, c.totals.total);
        crate::journal::record(
            conn,
            crate::journal::Event {
                code: crate::journal::codes::CLOSURE,
                user: None,
                register: Some(register),
                details: &details,
            },
        )?;
        made.push(c);
    }
    Ok(made)
}

/// [`close_due`] for every register with tickets.
pub fn close_due_everywhere(
    conn: &Connection,
    shop_code: &str,
    created_at: &str,
    as_of: &str,
    today: &str,
) -> Result<Vec<Closure>, ShopError> {
    let registers: Vec<String> = conn
        .prepare("SELECT DISTINCT register FROM tickets ORDER BY 1")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut made = Vec::new();
    for r in registers {
        made.extend(close_due_as_of(conn, shop_code, created_at, as_of, today, &r)?);
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(unclosed: Option<&str>, day: Option<&str>, month: Option<&str>, year: Option<&str>) -> Closed {
        let o = |x: Option<&str>| x.map(str::to_string);
        Closed { unclosed_day: o(unclosed), last_day: o(day), last_month: o(month), last_year: o(year) }
    }

    #[test]
    fn the_first_ticket_of_a_new_day_closes_the_day_before_then_the_month_and_the_year() {
        // Nothing ever closed, same day: nothing.
        assert_eq!(due("2026-12-02", 1, &Closed::default()), vec![]);
        // Same day: nothing.
        assert_eq!(due("2026-12-02", 1, &closed(None, Some("2026-12-01"), Some("2026-11"), Some("2025"))), vec![]);
        // Next day: yesterday's Z.
        assert_eq!(
            due("2026-12-03", 1, &closed(Some("2026-12-02"), Some("2026-12-01"), Some("2026-11"), Some("2025"))),
            vec![(ClosureKind::Day, "2026-12-02".into())]
        );
        // New Year's Day after a Z on the 31st was missed: the day, December, the year 2026.
        assert_eq!(
            due("2027-01-02", 1, &closed(Some("2026-12-31"), Some("2026-12-30"), Some("2026-11"), Some("2025"))),
            vec![
                (ClosureKind::Day, "2026-12-31".into()),
                (ClosureKind::Month, "2026-12".into()),
                (ClosureKind::Year, "2026".into())
            ]
        );
        // A fiscal year from July: January closes December but no year.
        assert_eq!(
            due("2027-01-02", 7, &closed(Some("2026-12-31"), None, None, None)),
            vec![(ClosureKind::Day, "2026-12-31".into()), (ClosureKind::Month, "2026-12".into())]
        );
        assert_eq!(
            due("2027-07-01", 7, &closed(None, Some("2027-06-30"), Some("2027-05"), None)),
            vec![(ClosureKind::Month, "2027-06".into()), (ClosureKind::Year, "2026".into())]
        );
    }
}
