//! VAT. Rates are basis points (20 % = 2000, 5.5 % = 550). Prices are tax-inclusive, as
//! French retail prints them, so VAT is extracted from the gross amount:
//! `vat = round(gross × rate / (10000 + rate))` with the rounding rule of [`crate::money`],
//! computed once per rate on the ticket's gross total for that rate (not per line), so the
//! breakdown always adds up to the ticket total: `Σ gross = total` and `net + vat = gross`.

use crate::error::DomainError;
use crate::money::{Money, mul_div_round};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A VAT rate in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct TaxRate(pub u32);

/// A rate reads from a number (`550`) or, as a JSON object key, from a string (`"550"`):
/// closures key their VAT totals by rate, and serde hands flattened map keys over as text.
impl<'de> Deserialize<'de> for TaxRate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TaxRate, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = TaxRate;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a tax rate in basis points (0 to 10000)")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TaxRate, E> {
                u32::try_from(v)
                    .ok()
                    .filter(|v| *v <= 10_000)
                    .map(TaxRate)
                    .ok_or_else(|| E::custom("tax rate above 10000"))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<TaxRate, E> {
                u64::try_from(v).map_err(|_| E::custom("negative tax rate")).and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TaxRate, E> {
                v.parse::<u64>()
                    .map_err(|_| E::custom(format!("{v:?} is not a tax rate")))
                    .and_then(|v| self.visit_u64(v))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl TaxRate {
    /// The four rates of French VAT in force, created in every new shop.
    pub const FRENCH: [(u32, &'static str); 4] = [
        (2000, "TVA normale 20 %"),
        (1000, "TVA intermédiaire 10 %"),
        (550, "TVA réduite 5,5 %"),
        (210, "TVA super-réduite 2,1 %"),
    ];

    pub fn new(bp: i64, field: &str) -> Result<TaxRate, DomainError> {
        if (0..=10_000).contains(&bp) {
            Ok(TaxRate(bp as u32))
        } else {
            Err(DomainError::InvalidTaxRate { field: field.into(), bp })
        }
    }

    pub fn bp(self) -> u32 {
        self.0
    }

    /// Parses a percentage as written in a spreadsheet: `20`, `5.5`, `5,5`, `2.1 %`.
    pub fn parse_percent(text: &str) -> Option<TaxRate> {
        let cleaned = text.trim().trim_end_matches('%').trim();
        let hundredths = Money::parse_decimal(cleaned)?.cents();
        (0..=10_000).contains(&hundredths).then_some(TaxRate(hundredths as u32))
    }

    /// `20`, `5.5`, `2.1`: the percentage as a spreadsheet shows it.
    pub fn percent_text(self) -> String {
        let (units, hundredths) = (self.0 / 100, self.0 % 100);
        if hundredths == 0 {
            units.to_string()
        } else if hundredths % 10 == 0 {
            format!("{units}.{}", hundredths / 10)
        } else {
            format!("{units}.{hundredths:02}")
        }
    }

    /// The VAT contained in a tax-inclusive amount.
    pub fn vat_in(self, gross: Money) -> Money {
        Money(mul_div_round(gross.cents(), self.0 as i64, 10_000 + self.0 as i64))
    }
}

/// One rate's share of a ticket (or of a closure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VatAmounts {
    /// Tax-inclusive amount sold at this rate.
    pub gross: Money,
    /// Amount without tax.
    pub net: Money,
    /// The tax itself.
    pub vat: Money,
}

impl std::ops::AddAssign for VatAmounts {
    fn add_assign(&mut self, rhs: VatAmounts) {
        self.gross += rhs.gross;
        self.net += rhs.net;
        self.vat += rhs.vat;
    }
}

/// Computes the breakdown from the tax-inclusive total sold at each rate.
pub fn breakdown(gross_per_rate: &BTreeMap<TaxRate, Money>) -> BTreeMap<TaxRate, VatAmounts> {
    gross_per_rate
        .iter()
        .map(|(rate, gross)| {
            let vat = rate.vat_in(*gross);
            (*rate, VatAmounts { gross: *gross, net: *gross - vat, vat })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vat_is_extracted_from_tax_inclusive_prices() {
        // 1.20 € at 5.5 %: 1.20 × 550 / 10550 = 0.0625... → 0.06
        assert_eq!(TaxRate(550).vat_in(Money(120)), Money(6));
        // 12.00 € at 20 %: exactly 2.00 €
        assert_eq!(TaxRate(2000).vat_in(Money(1200)), Money(200));
        assert_eq!(TaxRate(2000).vat_in(Money(-1200)), Money(-200));
        assert_eq!(TaxRate(0).vat_in(Money(999)), Money(0));
    }

    #[test]
    fn percentages_read_and_write() {
        assert_eq!(TaxRate::parse_percent("5,5"), Some(TaxRate(550)));
        assert_eq!(TaxRate::parse_percent("20 %"), Some(TaxRate(2000)));
        assert_eq!(TaxRate::parse_percent("2.1"), Some(TaxRate(210)));
        assert_eq!(TaxRate::parse_percent("120"), None);
        assert_eq!(TaxRate::parse_percent("x"), None);
        assert_eq!(TaxRate(550).percent_text(), "5.5");
        assert_eq!(TaxRate(2000).percent_text(), "20");
        assert_eq!(TaxRate(1234).percent_text(), "12.34");
        assert!(TaxRate::new(10_001, "tax_rate_bp").is_err());
        assert!(TaxRate::new(-1, "tax_rate_bp").is_err());
    }
}
