//! The page around every body: head, the site's navigation (given by the caller), the
//! language switch, the sign-out form with its CSRF field, the title; and the headers
//! every page carries, the strict Content-Security-Policy first.

use crate::text::{Tr, lang_code, url};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comptoir_core::Lang;
use maud::{DOCTYPE, Markup, html};

/// No script, no inline style, nothing from another origin, no framing: what the pages
/// need and nothing more.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// One entry of a navigation: `key` names it for [`Frame::active`].
pub struct Nav {
    pub key: &'static str,
    pub path: &'static str,
    pub en: &'static str,
    pub fr: &'static str,
}

/// What a server's pages have in common: its name and its own paths.
pub struct Site {
    /// Shown as the brand and after every title (`Sales · Comptoir HQ`).
    pub name: &'static str,
    /// Where the brand leads.
    pub home: &'static str,
    pub stylesheet: &'static str,
    /// Takes `?to=fr|en&back=PATH`.
    pub lang_switch: &'static str,
    /// Takes a POST with the `csrf` field.
    pub sign_out: &'static str,
    /// The main navigation, shown to a signed-in reader only.
    pub nav: &'static [Nav],
}

/// What is around one page.
pub struct Frame<'a> {
    pub site: &'a Site,
    pub lang: Lang,
    /// Signed-in user and the session's CSRF token (none on the sign-in page).
    pub user: Option<(&'a str, &'a str)>,
    /// This page's path and query, where the language switch comes back to.
    pub here: &'a str,
    /// The navigation entry to mark as current.
    pub active: &'a str,
}

/// A navigation list; the entry whose key is `active` is marked as the current page.
pub fn nav(lang: Lang, label: &str, class: Option<&str>, items: &[Nav], active: &str) -> Markup {
    html! {
        nav aria-label=(label) class=[class] {
            ul {
                @for item in items {
                    li { a href=(item.path) aria-current=[(item.key == active).then_some("page")] { (lang.t(item.en, item.fr)) } }
                }
            }
        }
    }
}

/// A whole page, with the headers every page carries.
pub fn page(frame: &Frame, status: StatusCode, title: &str, body: Markup) -> Response {
    let l = frame.lang;
    let site = frame.site;
    let (other, other_name) = match l {
        Lang::Fr => ("en", "English"),
        _ => ("fr", "Français"),
    };
    let switch = format!("{}?to={other}&back={}", site.lang_switch, url(frame.here));
    let markup = html! {
        (DOCTYPE)
        html lang=(lang_code(l)) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (site.name) }
                link rel="stylesheet" href=(site.stylesheet);
            }
            body {
                header.top {
                    a.brand href=(site.home) { (site.name) }
                    @if frame.user.is_some() {
                        (nav(l, l.t("Main", "Principale"), None, site.nav, frame.active))
                    }
                    div.tools {
                        a href=(switch) lang=(other) hreflang=(other) { (other_name) }
                        @if let Some((user, csrf)) = frame.user {
                            form method="post" action=(site.sign_out) {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { (l.t("Sign out", "Se déconnecter")) " (" (user) ")" }
                            }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    html_response(status, markup)
}

/// A page's response: HTML, never cached, under the strict CSP, never framed.
pub fn html_response(status: StatusCode, html: Markup) -> Response {
    let mut r = (status, html.into_string()).into_response();
    let headers = r.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

/// The embedded stylesheet as a response, cached for an hour.
pub fn stylesheet() -> Response {
    let mut r = crate::STYLE.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}
