//! Customers and loyalty points as pure rules: validating what a person types, the words a
//! register searches by, and the chain's earning rule.
//!
//! - An email is `local@domain` with a dotted domain, at most 254 characters, no spaces.
//! - A phone is 6 to 15 digits once spaces, dots, dashes and parentheses are taken out,
//!   with an optional leading `+`; it is stored as typed (trimmed), searched by its digits.
//! - Loyalty points are whole numbers; a ticket earns `floor(euros × points_per_euro)` on
//!   the part of its total not paid with points (to the cent: 24.71 € at 2 points per euro is 49),
//!   a return gives the same rule back
//!   (negative), and a point is worth `cents_per_point` cents when redeemed.

use crate::error::DomainError;
use crate::money::Money;
use serde::{Deserialize, Serialize};

pub const MAX_EMAIL: usize = 254;

/// Trims and checks an email; `None` for an empty value (no email).
pub fn validate_email(field: &str, email: &str) -> Result<Option<String>, DomainError> {
    let email = email.trim();
    if email.is_empty() {
        return Ok(None);
    }
    let bad = || DomainError::InvalidEmail { field: field.into(), value: email.chars().take(64).collect() };
    if email.len() > MAX_EMAIL || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if local.is_empty() || local.contains('@') || !domain_ok {
        return Err(bad());
    }
    Ok(Some(email.to_string()))
}

/// Trims and checks a phone number; `None` for an empty value.
pub fn validate_phone(field: &str, phone: &str) -> Result<Option<String>, DomainError> {
    let phone = phone.trim();
    if phone.is_empty() {
        return Ok(None);
    }
    let bad = || DomainError::InvalidPhone { field: field.into(), value: phone.chars().take(32).collect() };
    let body = phone.strip_prefix('+').unwrap_or(phone);
    if !body.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')')) {
        return Err(bad());
    }
    let digits = body.chars().filter(char::is_ascii_digit).count();
    if !(6..=15).contains(&digits) {
        return Err(bad());
    }
    Ok(Some(phone.to_string()))
}

/// Lower case without accents, for comparing what is typed with what is stored.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        out.push(match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ÿ' | 'ý' => 'y',
            'œ' => 'o',
            'æ' => 'a',
            c => c,
        });
    }
    out
}

/// The digits of a phone number, and its national form (`33 6…` → `06…`) for France.
fn phone_terms(phone: &str) -> Vec<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let mut out = vec![digits.clone()];
    if let Some(rest) = digits.strip_prefix("33")
        && phone.trim_start().starts_with('+')
    {
        out.push(format!("0{rest}"));
    }
    out
}

/// The words a customer is found by: each word of the name, the email, the phone's
/// digits and the card number, folded.
pub fn search_terms(name: &str, email: Option<&str>, phone: Option<&str>, card: &str) -> Vec<String> {
    let mut terms: Vec<String> =
        fold(name).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect();
    if let Some(e) = email {
        terms.push(fold(e));
    }
    if let Some(p) = phone {
        terms.extend(phone_terms(p));
    }
    terms.push(fold(card));
    terms.sort();
    terms.dedup();
    terms
}

/// Whether a customer with these search terms (see [`search_terms`]) is found by a query's
/// terms (see [`query_terms`]): each query term begins one of the customer's.
pub fn matches_query(query: &[String], terms: &[String]) -> bool {
    !query.is_empty() && query.iter().all(|q| terms.iter().any(|t| t.starts_with(q.as_str())))
}

/// What a register types, as the prefixes to look up: words of letters and digits, or one
/// email, phone or card number kept whole.
pub fn query_terms(query: &str) -> Vec<String> {
    let q = fold(query.trim());
    if q.contains('@') || q.contains('-') && q.chars().any(|c| c.is_ascii_digit()) {
        return vec![q];
    }
    let compact: String = q.chars().filter(|c| !matches!(c, ' ' | '.' | '(' | ')' | '+')).collect();
    if compact.len() >= 3 && compact.chars().all(|c| c.is_ascii_digit()) {
        return vec![compact];
    }
    q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// The chain's loyalty rule (an HQ setting sent down the feed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoyaltyRule {
    /// Points earned per whole euro spent (0 turns earning off).
    pub points_per_euro: i64,
    /// What one point is worth when redeemed, in cents.
    pub cents_per_point: i64,
}

impl Default for LoyaltyRule {
    fn default() -> Self {
        LoyaltyRule { points_per_euro: 1, cents_per_point: 1 }
    }
}

impl LoyaltyRule {
    pub const MAX_POINTS_PER_EURO: i64 = 1000;
    pub const MAX_CENTS_PER_POINT: i64 = 10_000;

    pub fn validate(&self) -> Result<(), DomainError> {
        if !(0..=Self::MAX_POINTS_PER_EURO).contains(&self.points_per_euro) {
            return Err(DomainError::LoyaltyRuleOutOfRange {
                field: "points_per_euro".into(),
                min: 0,
                max: Self::MAX_POINTS_PER_EURO,
            });
        }
        if !(1..=Self::MAX_CENTS_PER_POINT).contains(&self.cents_per_point) {
            return Err(DomainError::LoyaltyRuleOutOfRange {
                field: "cents_per_point".into(),
                min: 1,
                max: Self::MAX_CENTS_PER_POINT,
            });
        }
        Ok(())
    }

    /// Points earned on `amount` (negative on a return): whole euros × rate, rounded
    /// toward zero so a return never gives back more than the sale earned.
    pub fn points_earned(&self, amount: Money) -> i64 {
        let cents = amount.cents() as i128 * self.points_per_euro as i128;
        (cents / 100) as i64
    }

    /// Points a loyalty payment of `amount` uses (rounded up: a point is never split).
    pub fn points_for_payment(&self, amount: Money) -> i64 {
        let c = amount.cents();
        let p = self.cents_per_point;
        if c >= 0 { (c + p - 1) / p } else { -((-c + p - 1) / p) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phones_are_checked() {
        assert_eq!(validate_email("email", " marie@example.org ").unwrap().as_deref(), Some("marie@example.org"));
        assert_eq!(validate_email("email", "").unwrap(), None);
        for bad in ["marie", "marie@", "@example.org", "marie@example", "ma rie@example.org", "a@b..c", "a@.b.c"] {
            let e = validate_email("email", bad).unwrap_err();
            assert_eq!(e.kind(), "invalid_email", "{bad}");
            assert_eq!(e.field().as_deref(), Some("email"));
        }
        assert_eq!(validate_phone("phone", "+33 6 00 00 00 00").unwrap().as_deref(), Some("+33 6 00 00 00 00"));
        for bad in ["12", "+33 6 AB", "0600000000000000000", "06-00-00-00-0x"] {
            assert_eq!(validate_phone("phone", bad).unwrap_err().kind(), "invalid_phone", "{bad}");
        }
    }

    #[test]
    fn terms_find_a_customer_by_any_word() {
        let t = search_terms("Marie Curie-Skłodowska", Some("Marie@Example.org"), Some("+33600000001"), "LYON1-000042");
        for want in ["marie", "curie", "marie@example.org", "33600000001", "0600000001", "lyon1-000042"] {
            assert!(t.iter().any(|x| x == want), "{want} in {t:?}");
        }
        assert_eq!(fold("Élodie ÇA"), "elodie ca");
        assert_eq!(query_terms("06 00 00"), vec!["060000"]);
        assert_eq!(query_terms("Marie cu"), vec!["marie", "cu"]);
        assert_eq!(query_terms("LYON1-000042"), vec!["lyon1-000042"]);
    }

    #[test]
    fn points_follow_the_rule() {
        let r = LoyaltyRule { points_per_euro: 1, cents_per_point: 1 };
        assert_eq!(r.points_earned(Money(1299)), 12);
        assert_eq!(r.points_earned(Money(-1299)), -12);
        assert_eq!(r.points_for_payment(Money(500)), 500);
        let r = LoyaltyRule { points_per_euro: 2, cents_per_point: 5 };
        assert_eq!(r.points_earned(Money(1050)), 21);
        assert_eq!(r.points_for_payment(Money(12)), 3);
        assert!(LoyaltyRule { points_per_euro: -1, cents_per_point: 1 }.validate().is_err());
        assert!(LoyaltyRule { points_per_euro: 1, cents_per_point: 0 }.validate().is_err());
    }
}
