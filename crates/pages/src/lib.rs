//! Server-side HTML of Comptoir's web pages, shared by every page either server renders
//! (the HQ dashboard and the shop's back office).
//!
//! Pages are written with [maud]'s `html!` macro: the markup is checked when the crate
//! compiles and every value spliced into it, text or attribute, is escaped by its type. Only
//! a [`Markup`] (itself built by `html!`) goes in unescaped, so no page can forget to
//! escape a name that came from data. `maud::PreEscaped` is deliberately not re-exported.
//!
//! - [`text`]: French or English ([`Tr`]), amounts, counts, quantities, changes and
//!   instants in the reader's language, query-string escaping;
//! - [`frame`]: the page around the body (navigation given by the caller, language switch,
//!   sign-out form with its CSRF field) and the response headers, strict CSP included;
//! - [`parts`]: notices, alerts and the outcome of a form, tables, badges, facts;
//! - [`form`]: forms and their fields, a refused field's error shown next to it;
//! - [`chart`]: the inline SVG bar chart;
//! - [`STYLE`]: the one stylesheet, embedded.
//!
//! The pages carry no script and no inline style: the Content-Security-Policy set by
//! [`frame::html_response`] forbids both, so even an injected tag could do nothing.

#![forbid(unsafe_code)]

pub mod chart;
pub mod form;
pub mod frame;
pub mod parts;
pub mod text;

pub use chart::bar_chart;
pub use form::Layout;
pub use form::{Check, Choice, Field, Form, Select};
pub use frame::{Frame, Nav, Site, html_response, page, stylesheet};
pub use maud::{Markup, Render, html};
pub use parts::{Badge, Outcome, Problem, Refusal, Table, alert, alert_text, badge, facts, notice, table};
pub use text::{Tr, change, count, instant, lang_code, money, quantity, url};

/// The stylesheet every page links to: readable on a phone (tables scroll sideways, the
/// navigation wraps), contrast above WCAG AA.
pub const STYLE: &str = include_str!("style.css");

#[cfg(test)]
mod tests;
