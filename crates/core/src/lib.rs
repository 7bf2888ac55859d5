//! Comptoir's domain: what a shop sells and how a sale is counted.
//!
//! Everything here is pure computation, with no I/O, so the same rules run in the
//! shop server, at HQ and in tests:
//! - [`money`]: cents ([`Money`]) and quantities to the gram ([`Quantity`]), and the one rounding rule;
//! - [`tax`]: VAT rates in basis points and the per-rate breakdown of a ticket;
//! - [`catalog`]: articles, barcodes, categories, registers, users and their validation;
//! - [`ticket`]: computing a sale or a return from its lines and payments;
//! - [`closure`]: day, month and year totals (Z) with perpetual grand totals;
//! - [`chain`]: the canonical encoding and SHA-256 hash chain of tickets and closures;
//! - [`fiscal`]: Ed25519 signatures of tickets, closures and journal entries (NF525);
//! - [`identity`]: the shop's legal identity on receipts (SIRET, VAT number), checked once;
//! - [`customer`]: validating customers' emails and phones, search words, the loyalty rule;
//! - [`hlc`]: the hybrid logical clock that orders edits of a customer across the chain;
//! - [`spreadsheet`]: CSV cells a spreadsheet cannot run as formulas;
//! - [`secret`]: Argon2id hashing of passwords and PINs;
//! - [`error`]: the domain's refusals, each with a French and an English message.
#![forbid(unsafe_code)]

pub mod catalog;
pub mod chain;
pub mod closure;
pub mod customer;
pub mod error;
pub mod fiscal;
pub mod hlc;
pub mod identity;
pub mod money;
pub mod secret;
pub mod spreadsheet;
pub mod tax;
pub mod ticket;

pub use error::{DomainError, Lang};
pub use money::{Money, Quantity};
pub use tax::TaxRate;
