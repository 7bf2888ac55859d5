//! What every handler takes from a request: the JSON body (refused with a clear message
//! when malformed or too large) and the signed-in user (HTTP Basic).

use crate::error::ShopError;
use crate::shop::Shop;
use crate::staff::User;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use base64::Engine;
use comptoir_core::catalog::Role;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// A JSON body; `serde` errors become 400s naming the problem, oversized bodies 413s.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ShopError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ShopError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ShopError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ShopError::PayloadTooLarge { limit: 0 };
    }
    let detail = r.body_text();
    match r {
        JsonRejection::MissingJsonContentType(_) => ShopError::bad_request(
            "Send the body as JSON with the header Content-Type: application/json.",
            "Envoyez le corps en JSON avec l'en-tête Content-Type: application/json.",
            None,
        ),
        JsonRejection::JsonDataError(_) => {
            // serde says which field: "lines[0].qty: invalid type..." -> keep its words.
            let field = detail.split(": ").nth(1).and_then(|s| s.split(' ').next()).map(str::to_string);
            ShopError::BadRequest {
                en: format!("The JSON does not have the expected shape: {detail}"),
                fr: format!("Le JSON n'a pas la forme attendue : {detail}"),
                field: field.filter(|f| !f.is_empty() && !f.contains(char::is_whitespace)),
            }
        }
        _ => ShopError::BadRequest {
            en: format!("The body is not valid JSON: {detail}"),
            fr: format!("Le corps n'est pas du JSON valide : {detail}"),
            field: None,
        },
    }
}

/// The address a request comes from: the connection's peer, or, when the peer is one of
/// `trusted_proxies`, the last address of `X-Forwarded-For` that is not a trusted proxy.
pub fn source_address(parts: &Parts, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    let hops = forwarded.iter().flat_map(|v| v.split(',')).map(str::trim).collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted_proxies.contains(&ip) => continue,
            Ok(ip) => return ip,
            Err(_) => return peer,
        }
    }
    peer
}

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
