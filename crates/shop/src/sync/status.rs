//! What `comptoir shop status` shows: version, shop, HQ, the last successful push and
//! pull, what is still unsent and since when, the feed cursor, the last error.
//!
//! A shop with no HQ syncs nothing (`auto_sync` is false whatever the setting says), yet its
//! outbox keeps every record since `shop init`: a single shop that later joins a chain sends
//! its whole history to HQ at enrolment. `unsent` then counts what is kept for that day.

use super::agent::age_seconds;
use super::{link, outbox};
use crate::error::ShopError;
use crate::shop::Shop;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct HqStatus {
    pub url: String,
    pub id: String,
    pub name: String,
    pub enrolled_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShopStatus {
    pub version: String,
    pub shop: String,
    pub name: String,
    pub enrolled: bool,
    pub hq: Option<HqStatus>,
    /// Whether the sync agent runs: the `sync.auto` setting, and an HQ to sync with.
    pub auto_sync: bool,
    pub last_push_at: Option<String>,
    pub last_pull_at: Option<String>,
    pub unsent: i64,
    pub oldest_unsent_at: Option<String>,
    pub oldest_unsent_seconds: i64,
    pub cursor: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
}

pub async fn status(shop: &Shop) -> Result<ShopStatus, ShopError> {
    let (code, name, auto) = (shop.code.clone(), shop.name.clone(), shop.config.sync.auto);
    shop.store
        .read(move |c| {
            let hq = link::hq_link(c)?;
            let state = link::sync_state(c)?;
            let (unsent, oldest) = outbox::backlog(c)?;
            Ok(ShopStatus {
                version: env!("CARGO_PKG_VERSION").into(),
                shop: code,
                name,
                enrolled: hq.is_some(),
                auto_sync: auto && hq.is_some(),
                hq: hq.map(|l| HqStatus {
                    url: l.url,
                    id: l.hq_id.to_string(),
                    name: l.hq_name,
                    enrolled_at: l.enrolled_at,
                }),
                last_push_at: state.last_push_at,
                last_pull_at: state.last_pull_at,
                unsent,
                oldest_unsent_seconds: age_seconds(oldest.as_deref()),
                oldest_unsent_at: oldest,
                cursor: state.cursor,
                last_error: state.last_error,
                last_error_at: state.last_error_at,
            })
        })
        .await
}
