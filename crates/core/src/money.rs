//! Money and quantities as integers.
//!
//! Rounding rule (the only one in Comptoir): whenever an amount in cents is derived by
//! multiplying or dividing, the exact rational result is rounded to the nearest cent,
//! halves away from zero (0.5 → 1, -0.5 → -1). See [`mul_div_round`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// An amount in cents of the shop's currency (euro cents in France). Tax-inclusive unless
/// a name says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn cents(self) -> i64 {
        self.0
    }

    pub fn abs(self) -> Money {
        Money(self.0.abs())
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Parses an amount written by a person in euros: `12`, `12.5`, `12,50`, `-3.20`.
    pub fn parse_decimal(text: &str) -> Option<Money> {
        let text = text.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let digits = digits.replace(',', ".");
        let (units, fraction) = match digits.split_once('.') {
            Some((u, f)) => (u, f),
            None => (digits.as_str(), ""),
        };
        if units.is_empty() || fraction.len() > 2 {
            return None;
        }
        if !units.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let units: i64 = units.parse().ok()?;
        let mut cents: i64 = if fraction.is_empty() { 0 } else { fraction.parse().ok()? };
        if fraction.len() == 1 {
            cents *= 10;
        }
        let value = units.checked_mul(100)?.checked_add(cents)?;
        Some(Money(if negative { -value } else { value }))
    }
}

impl fmt::Display for Money {
    /// `12.30`, `-0.05`: euros with two decimals, as exported in CSV files.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}
impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}
impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}
impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}
impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}
impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}
impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

/// `a * b / c` rounded to the nearest integer, halves away from zero, computed exactly.
/// `c` must not be zero.
pub fn mul_div_round(a: i64, b: i64, c: i64) -> i64 {
    assert!(c != 0, "mul_div_round by zero");
    let num = a as i128 * b as i128;
    let den = c as i128;
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    let q = num / den;
    let r = num % den;
    let rounded = if 2 * r.abs() >= den { q + num.signum() } else { q };
    rounded as i64
}

/// A quantity in thousandths of a unit: 1 piece is 1000, 0.250 kg of cheese is 250.
/// In JSON it is a number with at most three decimals (`2`, `0.25`, `-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity(pub i64);

impl Quantity {
    /// The largest quantity accepted on one line: one million units.
    pub const MAX_MILLI: i64 = 1_000_000_000;

    pub fn from_units(units: i64) -> Quantity {
        Quantity(units * 1000)
    }

    pub fn milli(self) -> i64 {
        self.0
    }

    /// Converts a JSON number; `None` when it has more than three decimals or is out of range.
    pub fn from_f64(value: f64) -> Option<Quantity> {
        if !value.is_finite() {
            return None;
        }
        let scaled = value * 1000.0;
        let rounded = scaled.round();
        if (scaled - rounded).abs() > 1e-6 || rounded.abs() > Self::MAX_MILLI as f64 {
            return None;
        }
        Some(Quantity(rounded as i64))
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        if abs.is_multiple_of(1000) {
            write!(f, "{sign}{}", abs / 1000)
        } else {
            let frac = format!("{:03}", abs % 1000);
            write!(f, "{sign}{}.{}", abs / 1000, frac.trim_end_matches('0'))
        }
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 1000 == 0 { s.serialize_i64(self.0 / 1000) } else { s.serialize_f64(self.as_f64()) }
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Quantity, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a quantity: a number with at most 3 decimals")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
                v.checked_mul(1000)
                    .filter(|m| m.abs() <= Quantity::MAX_MILLI)
                    .map(Quantity)
                    .ok_or_else(|| E::custom("quantity out of range (at most 1,000,000)"))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
                let v = i64::try_from(v).map_err(|_| E::custom("quantity out of range (at most 1,000,000)"))?;
                self.visit_i64(v)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Quantity, E> {
                Quantity::from_f64(v)
                    .ok_or_else(|| E::custom("quantity must have at most 3 decimals and be at most 1,000,000"))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Quantity {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some("Quantity with at most 3 decimals (kilograms for weighed goods); negative on a return"))
            .into()
    }
}
#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Quantity {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(mul_div_round(5, 1, 10), 1);
        assert_eq!(mul_div_round(-5, 1, 10), -1);
        assert_eq!(mul_div_round(4, 1, 10), 0);
        assert_eq!(mul_div_round(-4, 1, 10), 0);
        assert_eq!(mul_div_round(15, 1, 10), 2);
        assert_eq!(mul_div_round(25, 1, -10), -3);
        // 1.999 kg at 12.99 €/kg = 25.967... → 25.97
        assert_eq!(mul_div_round(1299, 1999, 1000), 2597);
    }

    #[test]
    fn decimal_amounts_parse_like_a_person_writes_them() {
        assert_eq!(Money::parse_decimal("12"), Some(Money(1200)));
        assert_eq!(Money::parse_decimal("1,2"), Some(Money(120)));
        assert_eq!(Money::parse_decimal(" 0.05 "), Some(Money(5)));
        assert_eq!(Money::parse_decimal("-3.20"), Some(Money(-320)));
        assert_eq!(Money::parse_decimal("1.234"), None);
        assert_eq!(Money::parse_decimal("abc"), None);
        assert_eq!(Money::parse_decimal(""), None);
        assert_eq!(Money::parse_decimal(".5"), None);
        assert_eq!(Money(-5).to_string(), "-0.05");
        assert_eq!(Money(123456).to_string(), "1234.56");
    }

    #[test]
    fn quantities_keep_three_decimals_and_refuse_more() {
        let q: Quantity = serde_json::from_str("0.25").unwrap();
        assert_eq!(q, Quantity(250));
        let q: Quantity = serde_json::from_str("2").unwrap();
        assert_eq!(q, Quantity(2000));
        let q: Quantity = serde_json::from_str("-1.125").unwrap();
        assert_eq!(q, Quantity(-1125));
        assert!(serde_json::from_str::<Quantity>("0.0001").is_err());
        assert!(serde_json::from_str::<Quantity>("\"2\"").is_err());
        assert!(serde_json::from_str::<Quantity>("10000000").is_err());
        assert_eq!(serde_json::to_string(&Quantity(2000)).unwrap(), "2");
        assert_eq!(serde_json::to_string(&Quantity(250)).unwrap(), "0.25");
        assert_eq!(Quantity(1250).to_string(), "1.25");
    }

    proptest! {
        #[test]
        fn quantity_round_trips_through_json(milli in -Quantity::MAX_MILLI..=Quantity::MAX_MILLI) {
            let q = Quantity(milli);
            let text = serde_json::to_string(&q).unwrap();
            prop_assert_eq!(serde_json::from_str::<Quantity>(&text).unwrap(), q);
        }

        #[test]
        fn money_display_round_trips(cents in -10_000_000_000i64..10_000_000_000) {
            let m = Money(cents);
            prop_assert_eq!(Money::parse_decimal(&m.to_string()), Some(m));
        }

        #[test]
        fn mul_div_round_is_within_half(a in -1_000_000_000i64..1_000_000_000, b in -100_000i64..100_000, c in 1i64..100_000) {
            let r = mul_div_round(a, b, c) as i128;
            let exact_num = a as i128 * b as i128;
            // |r*c - a*b| <= c/2
            prop_assert!(2 * (r * c as i128 - exact_num).abs() <= c as i128);
        }
    }
}
