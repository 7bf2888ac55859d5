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

/// An offer as an admin defines it.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    pub name: String,
    /// Percentage off in basis points (1000 = 10 %), or else `amount`.
    pub percent_bp: Option<u32>,
    /// Cents off each unit.
    pub amount: Option<i64>,
    /// Article SKU, or else `category`.
    pub article: Option<String>,
    pub category: Option<String>,
    /// A customer group, or one `customer`; neither: everyone identified.
    pub group: Option<String>,
    pub customer: Option<uuid::Uuid>,
    /// `YYYY-MM-DD`, first and last day.
    pub from: String,
    pub to: String,
}

fn bad(field: &str, en: String, fr: String) -> HqError {
    HqError::invalid("bad_offer", en, fr, Some(field))
}

fn day(field: &str, text: &str) -> Result<String, HqError> {
    text.parse::<jiff::civil::Date>().map(|d| d.to_string()).map_err(|_| {
        bad(
            field,
            format!("{field}: {text:?} is not a day; write YYYY-MM-DD."),
            format!("{field} : {text:?} n'est pas une date ; écrivez AAAA-MM-JJ."),
        )
    })
}

/// Checks an offer: one kind of reduction, one target, one audience at most, a real range.
pub fn validate_offer(i: OfferInput) -> Result<comptoir_protocol::OfferBody, HqError> {
    let name = validate_name("name", &i.name)?;
    match (i.percent_bp, i.amount) {
        (Some(bp), None) if (1..=10_000).contains(&bp) => {}
        (None, Some(a)) if a > 0 && a <= comptoir_core::catalog::MAX_AMOUNT.cents() => {}
        _ => {
            return Err(bad(
                "percent_bp",
                "Give either percent_bp (1 to 10000, 1000 = 10 %) or amount (cents off each unit, more than 0).".into(),
                "Donnez soit percent_bp (1 à 10000, 1000 = 10 %), soit amount (centimes de remise par unité, plus de 0).".into(),
            ));
        }
    }
    let (article, category) = match (&i.article, &i.category) {
        (Some(a), None) => (Some(validate_code("article", a)?), None),
        (None, Some(c)) => (None, Some(validate_code("category", c)?)),
        _ => {
            return Err(bad(
                "article",
                "Give either article (a SKU) or category (a category code).".into(),
                "Donnez soit article (un SKU), soit category (un code de catégorie).".into(),
            ));
        }
    };
    if i.group.is_some() && i.customer.is_some() {
        return Err(bad(
            "group",
            "An offer is for a customer group or for one customer, not both.".into(),
            "Une offre est pour un groupe de clients ou pour un client, pas les deux.".into(),
        ));
    }
    let group = i.group.as_deref().map(|g| validate_code("group", g)).transpose()?;
    let (from, to) = (day("from", &i.from)?, day("to", &i.to)?);
    if from > to {
        return Err(bad("to", format!("to: {to} is before from {from}."), format!("to : {to} est avant from {from}.")));
    }
    Ok(comptoir_protocol::OfferBody {
        id: uuid::Uuid::now_v7(),
        name,
        percent_bp: i.percent_bp,
        amount: i.amount.map(comptoir_core::Money),
        article,
        category,
        group,
        customer: i.customer,
        from,
        to,
        active: true,
    })
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    pub shop: String,
    /// One register of the shop; absent: all of them.
    pub register: Option<String>,
    pub text: String,
}

pub const MAX_MESSAGE: usize = 2000;

pub fn validate_message(i: &MessageInput) -> Result<comptoir_protocol::MessageBody, HqError> {
    validate_code("shop", &i.shop)?;
    let register = i.register.as_deref().map(|r| validate_code("register", r)).transpose()?;
    let text = i.text.trim();
    // Line breaks are how a message is laid out; every other hidden character is refused.
    comptoir_core::catalog::refuse_hidden_characters("text", &text.replace(['\n', '\r'], " "))?;
    if text.is_empty() || text.chars().count() > MAX_MESSAGE {
        return Err(bad(
            "text",
            format!("text: a message has 1 to {MAX_MESSAGE} characters."),
            format!("text : un message a de 1 à {MAX_MESSAGE} caractères."),
        ));
    }
    Ok(comptoir_protocol::MessageBody {
        id: uuid::Uuid::now_v7(),
        register,
        text: text.into(),
        created_at: crate::sync::now_text(),
    })
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
    fn offers_and_messages_are_checked() {
        let ok = OfferInput {
            name: "-10 % paniers".into(),
            percent_bp: Some(1000),
            amount: None,
            article: Some("A1".into()),
            category: None,
            group: None,
            customer: None,
            from: "2026-12-01".into(),
            to: "2026-12-31".into(),
        };
        assert!(validate_offer(ok.clone()).is_ok());
        let both = OfferInput { amount: Some(100), ..ok.clone() };
        assert_eq!(validate_offer(both).unwrap_err().field().as_deref(), Some("percent_bp"));
        let no_target = OfferInput { article: None, ..ok.clone() };
        assert_eq!(validate_offer(no_target).unwrap_err().field().as_deref(), Some("article"));
        let reversed = OfferInput { from: "2027-01-01".into(), ..ok.clone() };
        assert_eq!(validate_offer(reversed).unwrap_err().field().as_deref(), Some("to"));
        let bad_day = OfferInput { from: "1er décembre".into(), ..ok };
        assert_eq!(validate_offer(bad_day).unwrap_err().field().as_deref(), Some("from"));
        let m = MessageInput { shop: "LYON1".into(), register: None, text: "  ".into() };
        assert_eq!(validate_message(&m).unwrap_err().field().as_deref(), Some("text"));
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
