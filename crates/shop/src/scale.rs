//! Scanning at the register: a barcode (or SKU) becomes the line to ring.
//!
//! Weighed and priced goods carry in-store EAN-13 barcodes with a prefix from 20 to 29:
//! `PP AAAAA VVVVV C`. The article is the one with the 7-digit barcode `PPAAAAA`; `VVVVV`
//! is a weight or a price, as the shop's rule for that prefix says (kind and decimals:
//! `21` weight in grams is `weight, 3`, `26` price in cents is `price, 2`). The check
//! digit must be right, or the code is refused (a misread is not a sale).
//!
//! [`decode`] is the pure rule; [`scan`] looks the article up.

use crate::catalog::{Article, get_article, get_article_by_barcode};
use crate::error::{Refusal, ShopError};
use comptoir_core::{Money, Quantity};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScaleKind {
    /// The value is a weight in kilograms.
    Weight,
    /// The value is the line's price in euros.
    Price,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleRule {
    /// Two digits, 20 to 29.
    pub prefix: String,
    pub kind: ScaleKind,
    /// Decimals of the 5-digit value: 3 for a weight in grams, 2 for a price in cents.
    pub decimals: u8,
}

/// What a scale barcode says, before the article is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleCode<'a> {
    /// `PPAAAAA`: the article's barcode.
    pub article_code: &'a str,
    pub value: ScaleValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleValue {
    Weight(Quantity),
    Price(Money),
}

fn ean13_check_ok(code: &str) -> bool {
    let digits: Vec<u32> = code.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 13 || code.len() != 13 {
        return false;
    }
    let sum: u32 = digits[..12].iter().enumerate().map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 }).sum();
    (10 - sum % 10) % 10 == digits[12]
}

/// Reads a scale barcode by the shop's rules; `None` when it is not one.
pub fn decode<'a>(code: &'a str, rules: &[ScaleRule]) -> Option<ScaleCode<'a>> {
    if !ean13_check_ok(code) {
        return None;
    }
    let rule = rules.iter().find(|r| r.prefix == code[..2])?;
    let raw: i64 = code[7..12].parse().ok()?;
    // Value in thousandths (weight) or hundredths (price) whatever the rule's decimals.
    let scaled = |unit_decimals: u32| {
        let d = u32::from(rule.decimals);
        if d <= unit_decimals { raw * 10_i64.pow(unit_decimals - d) } else { raw / 10_i64.pow(d - unit_decimals) }
    };
    let value = match rule.kind {
        ScaleKind::Weight => ScaleValue::Weight(Quantity(scaled(3))),
        ScaleKind::Price => ScaleValue::Price(Money(scaled(2))),
    };
    Some(ScaleCode { article_code: &code[..7], value })
}

pub fn validate_rule(rule: &ScaleRule) -> Result<(), ShopError> {
    let ok_prefix =
        rule.prefix.len() == 2 && rule.prefix.starts_with('2') && rule.prefix.bytes().all(|b| b.is_ascii_digit());
    if !ok_prefix {
        return Err(ShopError::refused(
            Refusal::BadScaleRule,
            format!("prefix {:?}: in-store barcodes start with 20 to 29.", rule.prefix),
            format!("prefix {:?} : les codes-barres magasin commencent par 20 à 29.", rule.prefix),
            Some("prefix"),
        ));
    }
    if rule.decimals > 3 {
        return Err(ShopError::refused(
            Refusal::BadScaleRule,
            "decimals: 0 to 3.",
            "decimals : de 0 à 3.",
            Some("decimals"),
        ));
    }
    Ok(())
}

pub fn rules(conn: &Connection) -> Result<Vec<ScaleRule>, ShopError> {
    let mut stmt = conn.prepare_cached("SELECT prefix, kind, decimals FROM scale_rules ORDER BY prefix")?;
    let rows = stmt.query_map([], |r| {
        let kind: String = r.get(1)?;
        Ok(ScaleRule {
            prefix: r.get(0)?,
            kind: if kind == "price" { ScaleKind::Price } else { ScaleKind::Weight },
            decimals: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Replaces the shop's rules by `new` (an empty list: no scale barcodes).
pub fn set_rules(conn: &Connection, new: &[ScaleRule]) -> Result<Vec<ScaleRule>, ShopError> {
    for (i, r) in new.iter().enumerate() {
        validate_rule(r).map_err(|e| match e {
            ShopError::Refused { refusal, en, fr, field } => {
                ShopError::Refused { refusal, en, fr, field: field.map(|f| format!("[{i}].{f}")) }
            }
            other => other,
        })?;
    }
    conn.execute("DELETE FROM scale_rules", [])?;
    for r in new {
        let kind = match r.kind {
            ScaleKind::Weight => "weight",
            ScaleKind::Price => "price",
        };
        conn.execute(
            "INSERT INTO scale_rules (prefix, kind, decimals) VALUES (?, ?, ?) ON CONFLICT(prefix) DO UPDATE SET kind = excluded.kind, decimals = excluded.decimals",
            params![r.prefix, kind, r.decimals],
        )?;
    }
    crate::shop::journal(conn, crate::journal::codes::CONFIG_CHANGED, None, &format!("scale rules: {new:?}"))?;
    rules(conn)
}

/// The line a scanned code rings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scanned {
    pub code: String,
    #[schema(value_type = Object)]
    pub article: Article,
    pub qty: Quantity,
    /// The price per unit to ring: the catalog's, or the one the barcode carries.
    #[schema(value_type = i64)]
    pub unit_price: Money,
    /// The barcode carried the price (send it as the line's `unit_price`).
    pub price_given: bool,
}

/// Looks a scanned or typed code up: an article's barcode, its SKU, or a scale barcode.
pub fn scan(conn: &Connection, code: &str) -> Result<Scanned, ShopError> {
    let code = code.trim();
    let found = |article: Article, qty: Quantity, unit_price: Option<Money>| {
        let price_given = unit_price.is_some();
        Scanned { code: code.to_string(), unit_price: unit_price.unwrap_or(article.price), article, qty, price_given }
    };
    if let Some(a) = get_article_by_barcode(conn, code)?.or(get_article(conn, code)?).filter(|a| a.active) {
        return Ok(found(a, Quantity::from_units(1), None));
    }
    if let Some(s) = decode(code, &rules(conn)?)
        && let Some(a) = get_article_by_barcode(conn, s.article_code)?.filter(|a| a.active)
    {
        return Ok(match s.value {
            ScaleValue::Weight(q) => found(a, q, None),
            ScaleValue::Price(p) => found(a, Quantity::from_units(1), Some(p)),
        });
    }
    Err(ShopError::refused(
        Refusal::UnknownBarcode,
        format!("No article has the code {code:?}: check it, or search the article by name."),
        format!("Aucun article n'a le code {code:?} : vérifiez-le, ou cherchez l'article par son nom."),
        Some("code"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Vec<ScaleRule> {
        vec![
            ScaleRule { prefix: "21".into(), kind: ScaleKind::Weight, decimals: 3 },
            ScaleRule { prefix: "26".into(), kind: ScaleKind::Price, decimals: 2 },
        ]
    }

    #[test]
    fn a_weight_barcode_gives_the_article_code_and_kilograms() {
        // 21 12345 00750 + check: 0.750 kg of article 2112345.
        let s = decode("2112345007502", &rules()).unwrap();
        assert_eq!(s.article_code, "2112345");
        assert_eq!(s.value, ScaleValue::Weight(Quantity(750)));
    }

    #[test]
    fn a_price_barcode_gives_the_price() {
        // 26 54321 01250: 12.50 €.
        let s = decode("2654321012501", &rules()).unwrap();
        assert_eq!(s.article_code, "2654321");
        assert_eq!(s.value, ScaleValue::Price(Money(1250)));
    }

    #[test]
    fn a_misread_or_unknown_prefix_is_no_scale_barcode() {
        assert!(decode("2112345007509", &rules()).is_none(), "wrong check digit");
        assert!(decode("2312345007506", &rules()).is_none(), "no rule for 23");
        assert!(decode("3017620422003", &rules()).is_none(), "a maker's EAN");
        assert!(decode("211234500750", &rules()).is_none(), "12 digits");
    }
}
