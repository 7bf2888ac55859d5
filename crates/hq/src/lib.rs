//! Comptoir HQ: the central server of a chain of shops.
//!
//! HQ owns the catalog (articles, categories, tax rates) and sends it down to the shops
//! through a change feed and streamed snapshots; shops push every ticket and closure up,
//! exactly once, and HQ checks each register's hash chain as they arrive.
//!
//! Where things happen, by name:
//! - [`storage`]: the [`HqStorage`] trait every backend implements (SQLite in
//!   `comptoir-hq-sqlite`; PostgreSQL later) and the records it exchanges;
//! - [`sync`]: the rules that need no database (secrets, quarantine decisions, chain steps, lag);
//! - [`fiscal`]: signatures of pushed records and key rotations (docs/fiscal.md);
//! - [`customers`]: HQ's edits of customers, checks of pushed ones, the double-spending policy;
//! - [`catalog`]: validation of catalog writes and CSV import/export;
//! - [`hq`]: [`Hq`], the open HQ the API and the CLI act through (storage, settings, the
//!   wake-up signal of long-polled feeds, the admin login cache);
//! - [`api`]: the HTTP API under `/api/v1` (admin and sync) and its OpenAPI document;
//! - [`server`]: binding, the feed purge task and graceful shutdown;
//! - [`dashboard`]: the web dashboard under `/dashboard/` (sessions, pages, the sales
//!   summaries' rules);
//! - `conformance` (feature `conformance`, for tests): the stories every storage backend
//!   must pass, one test each, and the fixtures HQ's tests share;
//! - [`config`], [`error`]: settings and `HqError`, mapped to HTTP status in one place.
#![forbid(unsafe_code)]

pub mod api;
pub mod articles;
pub mod catalog;
pub mod config;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod customers;
pub mod dashboard;
pub mod error;
pub mod fiscal;
pub mod hq;
pub mod push;
pub mod sales;
pub mod server;
pub mod shops;
pub mod stock;
pub mod storage;
pub mod sync;

/// Daily log files, shared with the shop server.
pub use comptoir_http::logs;
pub use config::HqConfig;
pub use error::HqError;
pub use hq::{DatabaseUrl, Hq};
pub use storage::{HqStorage, StorageError};
