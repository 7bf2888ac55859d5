//! The storage every HQ backend implements (SQLite in `comptoir-hq-sqlite`, PostgreSQL in
//! `comptoir-hq-postgres`), split by domain, one trait per file: [`AdminStorage`],
//! [`CatalogStorage`], [`ShopStorage`], [`SalesStorage`], [`FeedStorage`], [`JobStorage`],
//! [`DashboardStorage`], [`CustomerStorage`], [`StockStorage`], [`FiscalStorage`]. [`HqStorage`] is their sum,
//! implemented for every type that implements them all; the server holds an
//! `Arc<dyn HqStorage>`. Callers bring the domain traits into scope with
//! `use crate::storage::prelude::*`.
//!
//! Rules a backend follows (the conformance stories in `crate::conformance` check them):
//! - every method that writes runs in **one transaction**: all or nothing;
//! - every catalog write and every job appends its change(s) to the feed **in the same
//!   transaction**, with a sequence number that only grows and is assigned in commit order
//!   (a reader that has seen sequence N never later sees a new change below N);
//! - **storage only stores**: what a push or an article write does is decided by the pure
//!   plans of comptoir-hq ([`crate::push::plan`], [`crate::articles::plan`],
//!   [`crate::stock::plan`]); the backend reads the facts a plan needs inside its
//!   transaction, calls the plan, and writes what it says;
//! - methods return a [`StorageError`]: facts (not found, already exists, a refusal of a
//!   plan, the database failed with its cause), never an HTTP status or a sentence for a
//!   user. `HqError` (crate::error) is the one place those facts become statuses and text.
//!
//! Nothing here names a database type: ids are `Uuid`s or strings, instants RFC 3339 text.

mod admin;
mod catalog;
mod customers;
mod dashboard;
mod error;
mod feed;
mod fiscal;
mod jobs;
mod sales;
mod shops;
mod stock;

pub use admin::AdminStorage;
pub use catalog::*;
pub use customers::*;
pub use dashboard::*;
pub use error::{Conflict, StorageError};
pub use feed::*;
pub use fiscal::*;
pub use jobs::*;
pub use sales::*;
pub use shops::*;
pub use stock::StockStorage;

#[allow(unused_imports)]
use comptoir_core::customer::LoyaltyRule;
#[allow(unused_imports)]
use comptoir_core::{Money, TaxRate};
#[allow(unused_imports)]
use comptoir_protocol::{
    ArticleBody, CategoryBody, CustomerBody, Entity, HqIdentity, JobBody, JobReport, JobState, LoyaltyEntryBody,
    MessageBody, OfferBody, PushOutcome, Record, ShopIdentity, TaxRateBody,
};
#[allow(unused_imports)]
use serde::{Deserialize, Serialize};
#[allow(unused_imports)]
use utoipa::ToSchema;
#[allow(unused_imports)]
use uuid::Uuid;

/// Every domain trait, for callers: `use crate::storage::prelude::*`.
pub mod prelude {
    pub use super::{
        AdminStorage as _, CatalogStorage as _, CustomerStorage as _, DashboardStorage as _, FeedStorage as _,
        FiscalStorage as _, HqStorage, JobStorage as _, SalesStorage as _, ShopStorage as _, StockStorage as _,
    };
}

/// HQ storage: every domain at once. Object safe: the server holds an `Arc<dyn HqStorage>`.
pub trait HqStorage:
    AdminStorage
    + CatalogStorage
    + ShopStorage
    + SalesStorage
    + FeedStorage
    + JobStorage
    + DashboardStorage
    + CustomerStorage
    + StockStorage
    + FiscalStorage
{
}

impl<T> HqStorage for T where
    T: AdminStorage
        + CatalogStorage
        + ShopStorage
        + SalesStorage
        + FeedStorage
        + JobStorage
        + DashboardStorage
        + CustomerStorage
        + StockStorage
        + FiscalStorage
{
}
