//! What handlers of both servers take from a request: a JSON body whose refusal is an
//! error body, the request's language, the address it comes from.

use crate::error::{CommonError, short};
use crate::layers::BodyLimit;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use comptoir_core::Lang;
use serde::de::DeserializeOwned;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// A JSON body; `serde` errors become 400s naming the problem and the field, oversized
/// bodies 413s with the route's limit.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = CommonError;

    async fn from_request(req: Request, state: &S) -> Result<Self, CommonError> {
        let limit = req.extensions().get::<BodyLimit>().map(|l| l.0).unwrap_or(0);
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(json_rejection(rejection, limit)),
        }
    }
}

/// The refusal of a body that is not the JSON a route expects.
pub fn json_rejection(r: JsonRejection, limit: usize) -> CommonError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return CommonError::PayloadTooLarge { limit };
    }
    let detail = short_detail(&r.body_text());
    match r {
        JsonRejection::BytesRejection(_) if detail.contains("timed out") => CommonError::Timeout,
        JsonRejection::MissingJsonContentType(_) => CommonError::bad_request(
            "bad_request",
            "Send the body as JSON with the header Content-Type: application/json.",
            "Envoyez le corps en JSON avec l'en-tête Content-Type: application/json.",
            None,
        ),
        JsonRejection::JsonDataError(_) => {
            // serde says which field: "...: lines[0].qty: invalid type..." -> keep its words.
            let field = detail.split(": ").nth(1).and_then(|s| s.split(' ').next()).map(str::to_string);
            CommonError::BadRequest {
                kind: "bad_request",
                en: format!("The JSON does not have the expected shape: {detail}"),
                fr: format!("Le JSON n'a pas la forme attendue : {detail}"),
                field: field.filter(|f| !f.is_empty() && !f.contains(char::is_whitespace)),
            }
        }
        _ => CommonError::BadRequest {
            kind: "bad_request",
            en: format!("The body is not valid JSON: {detail}"),
            fr: format!("Le corps n'est pas du JSON valide : {detail}"),
            field: None,
        },
    }
}

/// A framework's explanation, with every quoted value cut to its beginning: serde quotes
/// the refused value whole (`invalid value: string "…"`), and a refused megabyte is not
/// worth sending back.
pub fn short_detail(detail: &str) -> String {
    let mut out = String::new();
    let mut rest = detail;
    while let Some(start) = rest.find(['"', '`']) {
        let quote = rest.as_bytes()[start] as char;
        out.push_str(&rest[..=start]);
        rest = &rest[start + 1..];
        match rest.find(quote) {
            Some(end) => {
                out.push_str(&short(&rest[..end]));
                out.push(quote);
                rest = &rest[end + 1..];
            }
            None => {
                out.push_str(&short(rest));
                rest = "";
            }
        }
    }
    out.push_str(&short_tail(rest));
    out
}

fn short_tail(text: &str) -> String {
    // Unquoted text is the framework's own words, but bounded all the same.
    const KEEP: usize = 300;
    match text.char_indices().nth(KEEP) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

/// The language a request prefers (`Accept-Language`, q values honoured); English by default.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(Lang::from_preference).unwrap_or_default()
}

/// The request's language, as an extractor.
pub struct RequestLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for RequestLang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(RequestLang(request_lang(&parts.headers)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_cut_and_the_words_kept() {
        let long = "9".repeat(100_000);
        let d = short_detail(&format!("postal_code: invalid value: string \"{long}\", expected 5 digits"));
        assert!(d.len() < 200, "{d}");
        assert!(d.starts_with("postal_code: invalid value: string \"9999"), "{d}");
        assert!(d.ends_with("\", expected 5 digits"), "{d}");
    }

    #[test]
    fn q_zero_is_not_a_language_the_caller_reads() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, "fr;q=0, en".parse().unwrap());
        assert_eq!(request_lang(&h), Lang::En);
        h.insert(header::ACCEPT_LANGUAGE, "en;q=0.3, fr-CA;q=0.8".parse().unwrap());
        assert_eq!(request_lang(&h), Lang::Fr);
        h.insert(header::ACCEPT_LANGUAGE, "fr-FR,fr;q=0.9,en;q=0.8".parse().unwrap());
        assert_eq!(request_lang(&h), Lang::Fr);
        assert_eq!(request_lang(&HeaderMap::new()), Lang::En);
    }
}
