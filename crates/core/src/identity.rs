//! The shop's legal identity, printed at the top of every receipt (a French receipt names
//! the company, its address, SIRET and intra-community VAT number). A chain's HQ sets it for
//! each shop and sends it down; a shop alone sets its own. Both check it here, the same way.

use crate::DomainError;
use serde::{Deserialize, Serialize};

/// The shop's legal identity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LegalIdentity {
    /// The company's legal name (raison sociale).
    pub legal_name: String,
    /// Postal address, lines separated by `\n`.
    pub address: String,
    /// 14 digits.
    pub siret: String,
    /// Intra-community VAT number (`FR` + 11 characters).
    pub vat_number: String,
    /// A line printed at the bottom (opening hours, return policy).
    pub footer: String,
}

/// A change of the identity: the fields given change.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IdentityChange {
    pub legal_name: Option<String>,
    pub address: Option<String>,
    pub siret: Option<String>,
    pub vat_number: Option<String>,
    pub footer: Option<String>,
}

impl From<LegalIdentity> for IdentityChange {
    fn from(id: LegalIdentity) -> Self {
        IdentityChange {
            legal_name: Some(id.legal_name),
            address: Some(id.address),
            siret: Some(id.siret),
            vat_number: Some(id.vat_number),
            footer: Some(id.footer),
        }
    }
}

fn text(value: &str, field: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim().to_string();
    if v.chars().count() > max || v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(DomainError::IdentityText { field: field.into(), max });
    }
    Ok(v)
}

/// `id` with `change` applied, every field checked: texts bounded, without control
/// characters; SIRET 14 digits; VAT number two letters then 2 to 13 letters or digits
/// (spaces dropped, upper case). An empty SIRET or VAT number is allowed (not yet known).
pub fn changed(mut id: LegalIdentity, change: IdentityChange) -> Result<LegalIdentity, DomainError> {
    if let Some(v) = change.legal_name {
        id.legal_name = text(&v, "legal_name", 120)?;
    }
    if let Some(v) = change.address {
        id.address = text(&v, "address", 300)?;
    }
    if let Some(v) = change.footer {
        id.footer = text(&v, "footer", 200)?;
    }
    if let Some(v) = change.siret {
        let v: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        if !v.is_empty() && (v.len() != 14 || !v.bytes().all(|b| b.is_ascii_digit())) {
            return Err(DomainError::InvalidSiret { field: "siret".into() });
        }
        id.siret = v;
    }
    if let Some(v) = change.vat_number {
        let v: String = v.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
        let ok = v.len() >= 4
            && v.len() <= 15
            && v.bytes().take(2).all(|b| b.is_ascii_uppercase())
            && v.bytes().all(|b| b.is_ascii_alphanumeric());
        if !v.is_empty() && !ok {
            return Err(DomainError::InvalidVatNumber { field: "vat_number".into() });
        }
        id.vat_number = v;
    }
    Ok(id)
}

/// A whole identity, checked as a change from nothing.
pub fn validated(id: LegalIdentity) -> Result<LegalIdentity, DomainError> {
    changed(LegalIdentity::default(), id.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_the_tax_office_writes_them() {
        let id = validated(LegalIdentity {
            legal_name: " Boulangerie Martin SARL ".into(),
            address: "12 rue de la Paix\n75002 Paris".into(),
            siret: "123 456 789 00012".into(),
            vat_number: "fr 12 123456789".into(),
            footer: String::new(),
        })
        .unwrap();
        assert_eq!(id.legal_name, "Boulangerie Martin SARL");
        assert_eq!(id.siret, "12345678900012");
        assert_eq!(id.vat_number, "FR12123456789");
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = |change: IdentityChange| changed(LegalIdentity::default(), change).unwrap_err().field();
        let siret = IdentityChange { siret: Some("1234".into()), ..Default::default() };
        assert_eq!(bad(siret).as_deref(), Some("siret"));
        let vat = IdentityChange { vat_number: Some("12345".into()), ..Default::default() };
        assert_eq!(bad(vat).as_deref(), Some("vat_number"));
        let name = IdentityChange { legal_name: Some("x".repeat(121)), ..Default::default() };
        assert_eq!(bad(name).as_deref(), Some("legal_name"));
        let footer = IdentityChange { footer: Some("a\u{7}b".into()), ..Default::default() };
        assert_eq!(bad(footer).as_deref(), Some("footer"));
    }
}
