//! Customers and loyalty at HQ, the rules that need no database.
//!
//! - HQ edits like a shop does: each changed field gets a new hybrid-logical-clock stamp
//!   from node `HQ`, taken above every stamp the record holds, so an HQ edit wins over what
//!   HQ has seen and loses only to a later edit made elsewhere.
//! - A pushed customer is checked like a register's input (name, email, phone, stamps);
//!   a record that fails is quarantined, never merged.
//! - Double spending: a shop redeems up to the balance it knows. Two shops offline may
//!   both spend the same points; once both pushes are in, the balance is below zero and
//!   the customer is shown `overdrawn` (GET /api/v1/customers/{id} and
//!   GET /api/v1/customers?overdrawn=true). Nothing is refused after the fact: the sales
//!   happened. The next points earned pay the debt; an admin may adjust it.

use crate::error::HqError;
use comptoir_core::catalog::{validate_code, validate_name};
use comptoir_core::customer::{validate_email, validate_phone};
use comptoir_core::hlc::{Hlc, now_millis};
use comptoir_protocol::CustomerBody;

/// HQ's node name in stamps and the origin of customers made at HQ.
pub const NODE: &str = "HQ";

/// Why a pushed customer cannot be merged, if it cannot.
pub fn check_pushed(c: &CustomerBody) -> Result<(), String> {
    validate_name("name", &c.name).map_err(|e| format!("customer {}: {e}", c.id))?;
    if let Some(e) = &c.email {
        validate_email("email", e).map_err(|e| format!("customer {}: {e}", c.id))?;
    }
    if let Some(p) = &c.phone {
        validate_phone("phone", p).map_err(|e| format!("customer {}: {e}", c.id))?;
    }
    if let Some(g) = &c.group {
        validate_code("group", g).map_err(|e| format!("customer {}: {e}", c.id))?;
    }
    validate_code("card", &c.card).map_err(|e| format!("customer {}: {e}", c.id))?;
    for (field, stamp) in
        [("name", &c.name_hlc), ("email", &c.email_hlc), ("phone", &c.phone_hlc), ("group", &c.group_hlc)]
    {
        if !stamp.is_empty() && Hlc::decode(stamp).is_none() {
            return Err(format!("customer {}: {field}_hlc {stamp:?} is not a clock stamp", c.id));
        }
    }
    Ok(())
}

/// A stamp above every stamp `held` carries (and above now).
pub fn next_stamp(held: Option<&CustomerBody>) -> String {
    let top = held
        .into_iter()
        .flat_map(|b| [&b.name_hlc, &b.email_hlc, &b.phone_hlc, &b.group_hlc])
        .filter_map(|s| Hlc::decode(s))
        .max();
    let now = now_millis();
    let seen = top.map(|t| Hlc::observe(None, &t, now, NODE));
    Hlc::tick(seen.as_ref(), now, NODE).encode()
}

/// Fields of a customer written at HQ, validated.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub group: Option<String>,
}

/// Applies `input` to `body`, stamping each changed field with `stamp`.
pub fn apply_input(body: &mut CustomerBody, input: &CustomerInput, stamp: &str) -> Result<(), HqError> {
    if let Some(n) = &input.name {
        body.name = validate_name("name", n)?;
        body.name_hlc = stamp.into();
    }
    if let Some(e) = &input.email {
        body.email = validate_email("email", e)?;
        body.email_hlc = stamp.into();
    }
    if let Some(p) = &input.phone {
        body.phone = validate_phone("phone", p)?;
        body.phone_hlc = stamp.into();
    }
    if let Some(g) = &input.group {
        body.group = if g.trim().is_empty() { None } else { Some(validate_code("group", g.trim())?) };
        body.group_hlc = stamp.into();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> CustomerBody {
        CustomerBody {
            id: uuid::Uuid::now_v7(),
            card: "LYON1-000001".into(),
            name: "Marie".into(),
            name_hlc: Hlc::new(now_millis() + 60_000, 0, "LYON1").encode(),
            email: None,
            email_hlc: String::new(),
            phone: None,
            phone_hlc: String::new(),
            group: None,
            group_hlc: String::new(),
            origin: "LYON1".into(),
            created_at: "t".into(),
            merged_into: None,
            erased: false,
        }
    }

    #[test]
    fn an_hq_stamp_is_above_every_stamp_held_even_from_a_clock_ahead() {
        let b = body();
        let s = next_stamp(Some(&b));
        assert!(s > b.name_hlc, "{s} vs {}", b.name_hlc);
        assert!(s.ends_with(".HQ"));
    }

    #[test]
    fn pushed_customers_are_checked() {
        let mut b = body();
        assert!(check_pushed(&b).is_ok());
        b.email = Some("not-an-email".into());
        assert!(check_pushed(&b).unwrap_err().contains("email"));
        let mut b = body();
        b.name_hlc = "yesterday".into();
        assert!(check_pushed(&b).unwrap_err().contains("name_hlc"));
    }
}
