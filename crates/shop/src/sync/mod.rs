//! The shop's link to HQ: enrolment, the outbox that carries sales up, the change feed and
//! snapshots that bring the catalog down, jobs, start-up checks and health.
//!
//! - [`outbox`]: records written in the same transaction as the ticket or closure;
//! - [`client`]: the HTTP client of HQ's sync endpoints (`comptoir_protocol`);
//! - [`apply`]: HQ's changes applied to the local catalog (the only way it changes once
//!   the shop is enrolled);
//! - [`agent`]: the background pusher and puller, one sync on demand, back-off;
//! - [`enrol`]: exchanging an enrolment token for a credential and the first snapshot;
//! - [`checks`]: the start-up checks; [`status`]: what `comptoir shop status` shows.
//!
//! Selling never waits for HQ: every sync step runs beside the register API and an
//! unreachable HQ only delays the outbox.

pub mod agent;
pub mod apply;
pub mod checks;
pub mod client;
pub mod enrol;
pub mod link;
pub mod outbox;
pub mod status;

pub use agent::SyncAgent;
