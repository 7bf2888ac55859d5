//! What handlers take from a request: the JSON body (refused with a clear message when
//! malformed or too large), the admin caller (HTTP Basic or API token) and the shop caller
//! (protocol header, shop credential, health headers recorded).

use crate::error::HqError;
use crate::hq::{Admin, Hq};
use crate::storage::ShopHealth;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use comptoir_protocol::{
    HEADER_CURSOR, HEADER_OLDEST_UNSENT, HEADER_PROTOCOL, HEADER_UNSENT, HEADER_VERSION, SUPPORTED_PROTOCOLS,
};
use serde::de::DeserializeOwned;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// A JSON body; `serde` errors become 400s naming the problem, oversized bodies 413s.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = HqError;

    async fn from_request(req: Request, state: &S) -> Result<Self, HqError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> HqError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return HqError::PayloadTooLarge { limit: 0 };
    }
    let detail = r.body_text();
    match r {
        JsonRejection::MissingJsonContentType(_) => HqError::bad_request(
            "Send the body as JSON with the header Content-Type: application/json.",
            "Envoyez le corps en JSON avec l'en-tête Content-Type: application/json.",
            None,
        ),
        JsonRejection::JsonDataError(_) => {
            let field = detail.split(": ").nth(1).and_then(|s| s.split(' ').next()).map(str::to_string);
            HqError::BadRequest {
                en: format!("The JSON does not have the expected shape: {detail}"),
                fr: format!("Le JSON n'a pas la forme attendue : {detail}"),
                field: field.filter(|f| !f.is_empty() && !f.contains(char::is_whitespace)),
            }
        }
        _ => HqError::BadRequest {
            en: format!("The body is not valid JSON: {detail}"),
            fr: format!("Le corps n'est pas du JSON valide : {detail}"),
            field: None,
        },
    }
}

fn authorization(parts: &Parts) -> Option<&str> {
    parts.headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok())
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

/// The caller's address (see [`source_address`]), for rate limits.
pub struct SourceAddress(pub IpAddr);

impl FromRequestParts<Hq> for SourceAddress {
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut Parts, hq: &Hq) -> Result<Self, HqError> {
        Ok(SourceAddress(source_address(parts, &hq.config.trusted_proxies)))
    }
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
