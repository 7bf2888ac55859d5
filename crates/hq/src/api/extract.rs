//! What HQ's handlers take from a request besides a JSON body (`comptoir_http::Body`): the
//! admin caller (HTTP Basic or API token) and the shop caller (protocol header, shop
//! credential, health headers recorded).

use crate::error::HqError;
pub use crate::hq::SourceAddress;
use crate::hq::{Admin, Hq};
use crate::storage::ShopHealth;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use base64::Engine;
use comptoir_http::source_address;
use comptoir_protocol::{
    HEADER_CURSOR, HEADER_OLDEST_UNSENT, HEADER_PROTOCOL, HEADER_UNSENT, HEADER_VERSION, SUPPORTED_PROTOCOLS,
};

fn authorization(parts: &Parts) -> Option<&str> {
    parts.headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok())
}

/// A signed-in admin: an admin account (HTTP Basic) or an API token (Bearer).
pub struct AdminCaller(pub Admin);

impl FromRequestParts<Hq> for AdminCaller {
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut Parts, hq: &Hq) -> Result<Self, HqError> {
        let value = authorization(parts).ok_or(HqError::Unauthorized)?;
        let source = source_address(parts, &hq.config.trusted_proxies);
        if let Some(token) = value.strip_prefix("Bearer ") {
            return Ok(AdminCaller(hq.sign_in_token(source, token.trim()).await?));
        }
        let encoded = value.strip_prefix("Basic ").ok_or(HqError::Unauthorized)?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(HqError::Unauthorized)?;
        let (user, password) = decoded.split_once(':').ok_or(HqError::Unauthorized)?;
        Ok(AdminCaller(hq.sign_in(source, user, password).await?))
    }
}

/// Refuses a request without a supported `comptoir-protocol` header.
pub fn check_protocol(headers: &HeaderMap) -> Result<u32, HqError> {
    let text = headers.get(HEADER_PROTOCOL).and_then(|v| v.to_str().ok()).map(|s| s.trim().to_string());
    match text.as_deref().and_then(|t| t.parse::<u32>().ok()) {
        Some(v) if SUPPORTED_PROTOCOLS.contains(&v) => Ok(v),
        _ => Err(HqError::UnsupportedProtocol { got: text }),
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn header_int(headers: &HeaderMap, name: &str) -> Option<i64> {
    header_text(headers, name).and_then(|s| s.parse().ok())
}

/// A shop calling a sync route: protocol checked, credential checked (never cached, so a
/// revocation is immediate), contact and health recorded. Holds the shop's code.
pub struct ShopCaller(pub String);

impl FromRequestParts<Hq> for ShopCaller {
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut Parts, hq: &Hq) -> Result<Self, HqError> {
        check_protocol(&parts.headers)?;
        let credential =
            authorization(parts).and_then(|v| v.strip_prefix("Bearer ")).ok_or(HqError::InvalidCredential)?;
        let shop = hq.check_credential(credential.trim()).await?;
        let h = &parts.headers;
        let health = ShopHealth {
            at: String::new(),
            version: header_text(h, HEADER_VERSION),
            unsent: header_int(h, HEADER_UNSENT),
            oldest_unsent_seconds: header_int(h, HEADER_OLDEST_UNSENT),
            cursor: header_int(h, HEADER_CURSOR),
        };
        hq.contact(&shop, health).await?;
        Ok(ShopCaller(shop))
    }
}
