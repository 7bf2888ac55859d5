//! What a shop sells and who sells it: the validation rules of codes, names, barcodes,
//! PINs and roles. Records themselves live in the stores; these functions are the one
//! place their fields are checked, for the API, the CLI and CSV import alike.

use crate::error::DomainError;
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// Largest price or amount accepted anywhere: 10 million euros.
pub const MAX_AMOUNT: Money = Money(1_000_000_000);

/// A code typed by a person (SKU, register code, user code, shop code):
/// 1 to 32 letters, digits, `-`, `_` or `.`.
pub fn validate_code(field: &str, value: &str) -> Result<String, DomainError> {
    let ok = (1..=32).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok { Ok(value.to_string()) } else { Err(DomainError::InvalidCode { field: field.into(), value: value.into() }) }
}

/// A name shown on screens and receipts: trimmed, 1 to 200 characters, no control or
/// text-direction character ([`refuse_hidden_characters`]).
pub fn validate_name(field: &str, value: &str) -> Result<String, DomainError> {
    let trimmed = value.trim();
    refuse_hidden_characters(field, trimmed)?;
    let count = trimmed.chars().count();
    if (1..=200).contains(&count) {
        Ok(trimmed.to_string())
    } else {
        Err(DomainError::InvalidName { field: field.into() })
    }
}

/// Whether a character changes how the text around it reads without being seen: the
/// direction overrides and isolates of Unicode's bidirectional algorithm (U+202E turns
/// "Tarte 4.50" into "05.4 etraT" on a receipt or a dashboard), the direction marks, and
/// zero-width characters that make two identical-looking names differ.
pub fn is_hidden_character(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
        )
}

/// Refuses a text typed by a person that holds a control or text-direction character,
/// naming the first one: the message says what to retype instead of "1 to 200 characters".
pub fn refuse_hidden_characters(field: &str, text: &str) -> Result<(), DomainError> {
    match text.chars().find(|c| is_hidden_character(*c)) {
        Some(c) => Err(DomainError::HiddenCharacter { field: field.into(), code_point: c as u32 }),
        None => Ok(()),
    }
}

/// A price or an amount a person enters: 0 to [`MAX_AMOUNT`].
pub fn validate_price(field: &str, price: Money) -> Result<Money, DomainError> {
    if price.is_negative() {
        Err(DomainError::NegativePrice { field: field.into(), price })
    } else if price > MAX_AMOUNT {
        Err(DomainError::AmountOutOfRange { field: field.into() })
    } else {
        Ok(price)
    }
}

/// The check digit of a GTIN (EAN-8, EAN-13) body (ASCII digits without the check digit):
/// weights 3 and 1 alternate from the right.
pub fn gtin_check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body.iter().rev().enumerate().map(|(i, d)| (d - b'0') as u32 * if i % 2 == 0 { 3 } else { 1 }).sum();
    ((10 - sum % 10) % 10) as u8
}

/// A barcode: an EAN-13 or EAN-8 (all digits, 13 or 8 of them) must carry the right check
/// digit; anything else is a free code of 1 to 48 letters, digits, `-`, `_` or `.`.
pub fn validate_barcode(field: &str, code: &str) -> Result<String, DomainError> {
    let code = code.trim();
    let digits = !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit());
    if digits && (code.len() == 13 || code.len() == 8) {
        let bytes = code.as_bytes();
        let expected = gtin_check_digit(&bytes[..bytes.len() - 1]);
        if bytes[bytes.len() - 1] - b'0' != expected {
            return Err(DomainError::InvalidBarcode {
                field: field.into(),
                code: code.into(),
                expected_check_digit: Some(expected),
            });
        }
        return Ok(code.into());
    }
    let free = (1..=48).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if free {
        Ok(code.into())
    } else {
        Err(DomainError::InvalidBarcode { field: field.into(), code: code.into(), expected_check_digit: None })
    }
}

/// What a user may do. Each role can do everything the previous one can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sells, returns, reads the catalog.
    Cashier,
    /// Also closes registers and manages the catalog and registers.
    Manager,
    /// Also manages users.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "cashier" => Some(Role::Cashier),
            "manager" => Some(Role::Manager),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A PIN typed at a register: 4 to 8 digits.
pub fn validate_pin(field: &str, pin: &str) -> Result<(), DomainError> {
    if (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(DomainError::InvalidPin { field: field.into() })
    }
}

/// A password for the back office: at least 8 characters (and at most 256, to bound hashing).
pub fn validate_password(field: &str, password: &str) -> Result<(), DomainError> {
    let n = password.chars().count();
    if (8..=256).contains(&n) { Ok(()) } else { Err(DomainError::WeakPassword { field: field.into() }) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ean_check_digits_are_verified() {
        assert!(validate_barcode("b", "3017620422003").is_ok()); // EAN-13
        assert!(validate_barcode("b", "96385074").is_ok()); // EAN-8
        let err = validate_barcode("b", "3017620422004").unwrap_err();
        assert_eq!(
            err,
            DomainError::InvalidBarcode {
                field: "b".into(),
                code: "3017620422004".into(),
                expected_check_digit: Some(3)
            }
        );
        assert!(validate_barcode("b", "96385075").is_err());
        // Free codes: in-shop labels, 12-digit UPC kept as they are.
        assert!(validate_barcode("b", "PLU-42").is_ok());
        assert!(validate_barcode("b", "036000291452").is_ok());
        assert!(validate_barcode("b", "").is_err());
        assert!(validate_barcode("b", "has space").is_err());
    }

    #[test]
    fn codes_names_pins() {
        assert!(validate_code("sku", "A1").is_ok());
        assert!(validate_code("sku", "").is_err());
        assert!(validate_code("sku", "a/b").is_err());
        assert!(validate_code("sku", &"x".repeat(33)).is_err());
        assert_eq!(validate_name("name", "  Baguette ").unwrap(), "Baguette");
        assert!(validate_name("name", "   ").is_err());
        // A right-to-left override would print "Tarte" backwards on a receipt.
        assert_eq!(
            validate_name("name", "Tarte \u{202E}05.4").unwrap_err(),
            DomainError::HiddenCharacter { field: "name".into(), code_point: 0x202E }
        );
        assert_eq!(
            validate_name("name", "Pain\0").unwrap_err(),
            DomainError::HiddenCharacter { field: "name".into(), code_point: 0 }
        );
        assert!(validate_name("name", "Crème brûlée — 250 g").is_ok());
        assert!(validate_pin("pin", "1234").is_ok());
        assert!(validate_pin("pin", "12a4").is_err());
        assert!(validate_pin("pin", "123").is_err());
        assert!(validate_password("password", "short").is_err());
        assert!(validate_price("price", Money(-1)).is_err());
        assert!(validate_price("price", Money(0)).is_ok());
    }

    proptest! {
        #[test]
        fn any_ean13_body_with_its_check_digit_is_valid(body in "[0-9]{12}") {
            let check = gtin_check_digit(body.as_bytes());
            let code = format!("{body}{check}");
            prop_assert!(validate_barcode("b", &code).is_ok());
            let wrong = format!("{body}{}", (check + 1) % 10);
            prop_assert!(validate_barcode("b", &wrong).is_err());
        }
    }
}
