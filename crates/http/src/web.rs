//! What both servers' web pages need from HTTP to keep a browser session: cookies read and
//! written, random tokens and their stored digests, the CSRF comparison, the reader's
//! language, a safe place to go back to, and a posted form's fields.
//!
//! The servers keep their sessions where they keep the rest (HQ's database, the shop's
//! SQLite) and decide who may sign in; this module only holds the parts that must be the
//! same everywhere, so that a token is compared in constant time and a cookie is
//! `HttpOnly` on every page of either server.

use axum::http::{HeaderMap, HeaderValue, header};
use comptoir_core::Lang;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use subtle::ConstantTimeEq;

/// The cookie of the language switch, shared by every page of a server.
pub const LANG_COOKIE: &str = "comptoir_lang";

/// 256 random bits, as 64 hex digits: a session cookie, a CSRF token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// What a server stores of a session cookie: its SHA-256 (a stolen database opens nothing).
pub fn token_digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Whether a token sent equals the expected one, in constant time; an empty expected
/// token matches nothing.
pub fn same_token(sent: Option<&str>, expected: &str) -> bool {
    !expected.is_empty() && sent.is_some_and(|s| bool::from(s.as_bytes().ct_eq(expected.as_bytes())))
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: always `HttpOnly`, `Secure` when the site is served over TLS;
/// `max_age` 0 removes the cookie.
pub fn set_cookie(name: &str, value: &str, path: &str, same_site: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The reader's language: the switch's cookie, else the browser's.
pub fn page_lang(headers: &HeaderMap) -> Lang {
    match cookie(headers, LANG_COOKIE) {
        Some("fr") => Lang::Fr,
        Some("en") => Lang::En,
        _ => crate::request_lang(headers),
    }
}

/// `target` when it is a path under `prefix` of this site, else `home`: a sign-in or a
/// language switch never sends the reader to another site.
pub fn safe_back(target: Option<&str>, prefix: &str, home: &str) -> String {
    match target {
        Some(t) if t.starts_with(prefix) && !t.contains("//") && !t.contains('\\') => t.to_string(),
        _ => home.to_string(),
    }
}

/// Form fields as sent (`application/x-www-form-urlencoded`), repeated names kept.
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    /// A field's text, trimmed; empty when absent.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").trim().to_string()
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_compared_whole_and_stored_as_digests() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
        assert!(same_token(Some(&a), &a));
        assert!(!same_token(Some(&a[..63]), &a));
        assert!(!same_token(None, &a));
        assert!(!same_token(Some(""), ""), "no expected token, no match");
        assert_eq!(token_digest("x").len(), 64);
        assert_ne!(token_digest(&a), a);
    }

    #[test]
    fn cookies_and_back_paths() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; comptoir_lang=fr"));
        assert_eq!(cookie(&h, "a"), Some("1"));
        assert_eq!(page_lang(&h), Lang::Fr);
        let c = set_cookie("s", "v", "/admin", "Strict", 60, false);
        assert_eq!(c.to_str().unwrap(), "s=v; Path=/admin; Max-Age=60; HttpOnly; SameSite=Strict");
        assert_eq!(safe_back(Some("/admin/catalog?q=a"), "/admin", "/admin/"), "/admin/catalog?q=a");
        assert_eq!(safe_back(Some("//evil.example/admin"), "/admin", "/admin/"), "/admin/");
        assert_eq!(safe_back(Some("/admin//evil"), "/admin", "/admin/"), "/admin/");
        assert_eq!(safe_back(None, "/admin", "/admin/"), "/admin/");
    }
}
