//! Shop administration: adding a shop, its enrolment tokens, its own prices, and the view
//! of a shop with its sync health. The API (`api::admin`, `api::stock`), the dashboard and
//! the CLI all call these; none of them calls another for it.

use crate::error::HqError;
use crate::hq::Hq;
use crate::storage::ShopRecord;
use crate::sync::{self, lag_seconds};
use comptoir_core::catalog::{validate_code, validate_name};
use comptoir_protocol::ShopIdentity;
use comptoir_protocol::stock::ShopPrice;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A shop as the admin sees it, with its sync health.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShopView {
    pub code: String,
    pub name: String,
    pub postal_code: String,
    /// Last authenticated sync call.
    pub last_contact: Option<String>,
    /// Records the shop reported not yet acknowledged.
    pub unsent: Option<i64>,
    /// 0 when nothing is unsent, else the age of the oldest unsent record now; null before any report.
    pub lag_seconds: Option<i64>,
    /// Every register's chain arrived intact so far (see /api/v1/chain-events).
    pub chain_ok: bool,
    /// The shop's software version.
    pub version: Option<String>,
    pub enrolled: bool,
    pub revoked: bool,
    /// Records of this shop held in quarantine.
    pub quarantined: i64,
    /// The shop's feed cursor as last reported.
    pub cursor: Option<i64>,
}

impl ShopView {
    pub fn of(s: ShopRecord, now: jiff::Timestamp) -> ShopView {
        ShopView {
            lag_seconds: lag_seconds(&s, now),
            code: s.code,
            name: s.name,
            postal_code: s.postal_code,
            last_contact: s.last_contact,
            unsent: s.unsent,
            chain_ok: s.chain_ok,
            version: s.version,
            enrolled: s.enrolled,
            revoked: s.revoked,
            quarantined: s.quarantined,
            cursor: s.cursor,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShop {
    pub code: String,
    pub name: String,
    pub postal_code: String,
    /// The shop's country, ISO 3166-1 alpha-2 (`FR` when left out): a French shop's postal
    /// code must be a French one.
    #[serde(default)]
    pub country: Option<String>,
}

/// Validates a new shop's identity.
pub fn validate_shop(input: NewShop) -> Result<ShopIdentity, HqError> {
    let country = validate_country(input.country.as_deref().unwrap_or("FR"))?;
    let postal_code = validate_postal_code(&country, &input.postal_code)?;
    Ok(ShopIdentity {
        code: validate_code("code", &input.code)?,
        name: validate_name("name", &input.name)?,
        postal_code,
    })
}

fn validate_country(text: &str) -> Result<String, HqError> {
    let country = text.trim().to_ascii_uppercase();
    if country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Ok(country);
    }
    Err(HqError::invalid(
        "bad_country",
        format!("{:?} is not a country code: write two letters such as FR or BE.", comptoir_http::short(text)),
        format!(
            "{:?} n'est pas un code pays : écrivez deux lettres, par exemple FR ou BE.",
            comptoir_http::short(text)
        ),
        Some("country"),
    ))
}

/// A French postal code is five digits whose first two name a department (01 to 95) or an
/// overseas territory (97, 98); elsewhere, 1 to 16 letters, digits, spaces or '-'.
pub fn validate_postal_code(country: &str, text: &str) -> Result<String, HqError> {
    let code = text.trim().to_string();
    let quoted = comptoir_http::short(&code);
    if country == "FR" {
        let department = code.get(..2).and_then(|d| d.parse::<u8>().ok());
        let ok =
            code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()) && matches!(department, Some(1..=95 | 97 | 98));
        if ok {
            return Ok(code);
        }
        return Err(HqError::invalid(
            "bad_postal_code",
            format!("{quoted:?} is not a French postal code: five digits, such as 69003."),
            format!("{quoted:?} n'est pas un code postal français : cinq chiffres, par exemple 69003."),
            Some("postal_code"),
        ));
    }
    let ok =
        (1..=16).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-');
    if ok {
        return Ok(code);
    }
    Err(HqError::invalid(
        "bad_postal_code",
        format!("{quoted:?} is not a postal code: 1 to 16 letters, digits, spaces or '-'."),
        format!("{quoted:?} n'est pas un code postal : de 1 à 16 lettres, chiffres, espaces ou « - »."),
        Some("postal_code"),
    ))
}

/// Creates a shop and its first enrolment token (API and CLI).
pub async fn add_shop(
    hq_storage: &dyn crate::HqStorage,
    token_days: u32,
    shop: ShopIdentity,
) -> Result<(ShopRecord, String), HqError> {
    let (token, record) = sync::new_enrolment_token(token_days);
    let created = hq_storage.create_shop(&shop, &record).await?;
    Ok((created, token))
}

/// Issues a new enrolment token for a shop, voiding its unused ones (API and CLI).
pub async fn reissue_token(hq_storage: &dyn crate::HqStorage, token_days: u32, code: &str) -> Result<String, HqError> {
    let (token, record) = sync::new_enrolment_token(token_days);
    hq_storage.issue_enrolment_token(code, &record).await?;
    Ok(token)
}

/// Sets (or with `None` lifts) a shop's own price of an article and sends it to that shop
/// only: the API's `PUT /api/v1/shops/{code}/prices/{sku}` and the dashboard's article page.
pub async fn set_shop_price(
    hq: &Hq,
    code: &str,
    sku: &str,
    price: Option<comptoir_core::Money>,
) -> Result<ShopPrice, HqError> {
    let code = validate_code("shop", code)?;
    if price.is_some_and(|p| p.cents() < 0) {
        return Err(HqError::invalid(
            "negative_price",
            "price cannot be negative.",
            "price ne peut pas être négatif.",
            Some("price"),
        ));
    }
    let a = hq.storage.get_article(sku).await?.ok_or_else(|| HqError::NotFound {
        what: "article",
        key: sku.into(),
        field: Some("sku".into()),
    })?;
    let p = ShopPrice { shop: code.clone(), article_id: a.id, sku: a.sku, price };
    hq.storage.put_documents(vec![(code, "shop".into())], None, vec![crate::stock::shop_price_put(&p)]).await?;
    hq.notify_change();
    Ok(p)
}
