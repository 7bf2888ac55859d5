//! The HTTP layer shared by the HQ and shop servers (layer "http" of `docs/architecture.md`):
//! everything between the socket and a server's thin handlers.
//!
//! - [`error`]: the error body `{"kind", "message", "field"}`, the [`HttpError`] trait every
//!   server error implements, the shared error core [`CommonError`], one rendering.
//! - [`extract`]: JSON bodies whose rejection is an error body, the request's language,
//!   the source address.
//! - [`layers`]: one stack for both routers: health first, localisation of every refusal
//!   (the framework's own included), body limits checked on the announced length first,
//!   a body read timeout, load shedding.
//! - [`sign_in`]: the guard against repeated failed sign-ins, the cache of checked logins.
//! - [`web`]: what web pages' sessions share: cookies, tokens, CSRF comparison, the
//!   reader's language, a posted form's fields.
//! - [`logs`]: the daily log files.
//! - [`csv_header`]: the header of a CSV import.
//! - [`serve`]: the accept loop (TLS optional, connection caps in total and per address,
//!   header read timeout, graceful stop) and the stop signal.
//!
//! Nothing here knows tickets or shops: a server gives its names and limits, the layer
//! applies them the same way for both.
#![forbid(unsafe_code)]

pub mod csv_header;
pub mod error;
pub mod extract;
pub mod layers;
pub mod logs;
pub mod serve;
pub mod sign_in;
pub mod web;

pub use comptoir_core::Lang;
pub use error::{CommonError, ErrorBody, HttpError, RowError, ServerName, render, respond, short};
pub use extract::{Body, RequestLang, request_lang, source_address};
pub use layers::{HEALTH_PATH, Stack, overflow, shed};
