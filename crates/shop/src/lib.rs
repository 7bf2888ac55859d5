//! The shop server: a complete point of sale for one shop, with or without HQ.
//!
//! Where things happen, by name:
//! - [`store`]: the SQLite database (WAL, durable commits, embedded migrations);
//! - [`catalog`], [`catalog_csv`]: articles, categories, tax rates, CSV import/export;
//! - [`staff`]: registers and users, PINs and passwords;
//! - [`sales`]: a ticket is validated, numbered, chained and stored here;
//! - [`customers`], [`loyalty`]: customers shared with the chain, their search, the points ledger;
//! - [`offers`]: HQ's offers applied to identified customers' tickets, and HQ's messages;
//! - [`closures`]: day, month and year closures (Z);
//! - [`till`], [`parked`], [`scale`]: register sessions and the X reading, parked tickets,
//!   scanning with scale barcodes; [`register`]: the register screen served at `/`;
//! - [`fiscal`], [`journal`]: the signing key and signatures, the technical event journal (NF525);
//! - [`archive`]: the signed archive of a period and its offline check;
//! - [`receipt`], [`printing`], [`terminal`], [`display`]: receipts and the devices of a
//!   register (printers and their queue, the cash drawer, the card terminal over Caisse-AP,
//!   the customer display; docs/peripherals.md);
//! - [`verify`]: walking the hash chains and checking signatures;
//! - [`sync`]: the link to HQ: enrolment, outbox, feed, snapshot, jobs, checks, status;
//! - [`backoffice`]: the manager's pages under `/admin/` (docs/backoffice.md);
//! - [`api`]: the HTTP API under `/api/v1` and its OpenAPI document;
//! - [`server`]: binding and graceful shutdown (the accept loop of `comptoir_http`);
//! - [`shop`]: the open shop the API and the CLI act through;
//! - [`config`], [`logs`]: settings and daily log files (shared with HQ, `comptoir_http::logs`);
//! - [`error`]: `ShopError`, mapped to HTTP status in one place.
#![forbid(unsafe_code)]

pub mod api;
pub mod archive;
pub mod backoffice;
pub mod catalog;
pub mod catalog_csv;
pub mod closures;
pub mod config;
pub mod customers;
pub mod display;
pub mod error;
pub mod fiscal;
pub mod journal;
pub use comptoir_http::logs;
pub mod loyalty;
pub mod offers;
pub mod parked;
pub mod people;
pub mod printing;
pub mod receipt;
pub mod register;
pub mod sales;
pub mod scale;
pub mod server;
pub mod shop;
pub mod staff;
pub mod stock;
pub mod store;
pub mod sync;
pub mod terminal;
pub mod till;
pub mod verify;

pub use config::ShopConfig;
pub use error::ShopError;
pub use shop::Shop;
