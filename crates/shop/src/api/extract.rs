//! What the shop's handlers take from a request besides a JSON body
//! (`comptoir_http::Body`): the signed-in user (HTTP Basic).

use crate::error::ShopError;
use crate::shop::Shop;
use crate::staff::User;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use comptoir_core::catalog::Role;
use comptoir_http::source_address;

/// The signed-in user.
pub struct Caller(pub User);

impl Caller {
    /// Refuses callers below `role`.
    pub fn require(&self, role: Role) -> Result<(), ShopError> {
        if self.0.role >= role { Ok(()) } else { Err(ShopError::Forbidden { needed: role.as_str() }) }
    }
}

impl FromRequestParts<Shop> for Caller {
    type Rejection = ShopError;

    async fn from_request_parts(parts: &mut Parts, shop: &Shop) -> Result<Self, ShopError> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).ok_or(ShopError::Unauthorized)?;
        let encoded = header.to_str().ok().and_then(|h| h.strip_prefix("Basic ")).ok_or(ShopError::Unauthorized)?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(ShopError::Unauthorized)?;
        let (code, secret) = decoded.split_once(':').ok_or(ShopError::Unauthorized)?;
        let source = source_address(parts, &shop.config.trusted_proxies);
        let user = shop.sign_in(source, code, secret).await?;
        Ok(Caller(user))
    }
}
