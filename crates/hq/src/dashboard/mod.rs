//! The HQ web dashboard: pages served by the HQ process itself under `/dashboard/`
//! (docs/dashboard.md).
//!
//! - [`summary`]: what a ticket adds to the sales summary tables (no database);
//!
//! Server-rendered HTML, no JavaScript; charts are inline SVG drawn here.

pub mod summary;
