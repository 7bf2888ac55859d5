//! Enrolment: a shop exchanges the one-time token HQ printed for a long-lived credential,
//! records which HQ it joined, and is then due a snapshot of the catalog.
//!
//! Everything that can be checked locally is checked before the token is spent (it works
//! once): the data directory, the admin account of a new shop.

use super::client::HqClient;
use super::link::{self, HqLink};
use crate::config::ShopConfig;
use crate::error::ShopError;
use crate::shop::{Shop, journal};
use crate::store::{DB_FILE, now_text};
use comptoir_core::catalog::{validate_code, validate_password};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Enrolment {
    pub shop_code: String,
    pub shop_name: String,
    pub hq_name: String,
    /// A new shop was created in the data directory (it was empty).
    pub created: bool,
}

/// Enrols the shop of `data_dir` (creating it when the directory holds none, with the
/// given admin account) with the HQ at `hq_url`.
pub async fn enroll(
    data_dir: &Path,
    hq_url: &str,
    token: &str,
    admin: Option<(&str, &str)>,
    config: ShopConfig,
) -> Result<(Shop, Enrolment), ShopError> {
    let timeout = Duration::from_secs(config.sync.request_timeout_seconds.max(1));
    let client = HqClient::with_config(hq_url, None, timeout, &config.sync)?;
    let existing = data_dir.join(DB_FILE).exists();
    if existing {
        let shop = Shop::open(data_dir, config.clone())?;
        if let Some(link) = shop.store.read(link::hq_link).await? {
            return Err(ShopError::AlreadyEnrolled { hq_url: link.url });
        }
    } else {
        let Some((user, password)) = admin else {
            return Err(ShopError::Config(
                "the data directory is empty: give the new shop's admin with --admin-user and --admin-password-stdin"
                    .into(),
            ));
        };
        validate_code("admin-user", user)?;
        validate_password("admin-password", password)?;
    }

    let answer = client.enrol(token).await?;
    let created = !existing;
    if created {
        let (user, password) = admin.expect("checked above");
        Shop::init(data_dir, &answer.shop.code, &answer.shop.name, user, password)?;
    }
    let shop = Shop::open(data_dir, config)?;
    if shop.code != answer.shop.code {
        return Err(ShopError::ShopCodeMismatch { local: shop.code.clone(), enrolled: answer.shop.code });
    }
    let link = HqLink {
        url: client.base().to_string(),
        hq_id: answer.hq.id,
        hq_name: answer.hq.name.clone(),
        credential: answer.credential,
        enrolled_at: now_text(),
    };
    let hq = format!("{} ({}) at {}", link.hq_name, link.hq_id, link.url);
    shop.store
        .write(move |tx| {
            link::save_hq_link(tx, &link)?;
            link::require_snapshot(tx)?;
            journal(tx, crate::journal::codes::ENROLLED, None, &hq)
        })
        .await?;
    Ok((shop, Enrolment { shop_code: answer.shop.code, shop_name: answer.shop.name, hq_name: answer.hq.name, created }))
}
