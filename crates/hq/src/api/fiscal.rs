//! Fiscal routes (docs/fiscal.md): a shop's journal and archives for admins, and the
//! archive upload of a shop (its credential, at most `MAX_ARCHIVE_BYTES`).

use super::{AdminCaller, ErrorBody, ShopCaller};
use crate::error::HqError;
use crate::fiscal::{ArchiveRefusal, check_archive};
use crate::hq::Hq;
use crate::storage::{ArchiveRecord, JournalFilter, StoredJournalEntry};
use crate::sync::now_text;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use comptoir_protocol::ArchiveReceipt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct JournalQuery {
    /// Only entries with this code (`sign_in_failed`, `closure`, …).
    pub code: Option<String>,
    /// Entries at or after this instant, or from this day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Entries before this instant, or before this day.
    pub to: Option<String>,
    /// `next` of the previous page.
    pub after: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct JournalPage {
    /// Entries as the shop chained and signed them, plus `received_at`, by sequence.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<StoredJournalEntry>,
    pub next: Option<i64>,
}

/// A date filter: `YYYY-MM-DD` or an RFC 3339 instant, as stored instants compare.
pub fn instant_filter(field: &str, value: Option<&str>) -> Result<Option<String>, HqError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    let day = v.parse::<jiff::civil::Date>().is_ok();
    if day || v.parse::<jiff::Timestamp>().is_ok() {
        return Ok(Some(v.to_string()));
    }
    Err(HqError::invalid(
        "bad_instant",
        format!("{field} must be a day YYYY-MM-DD or an RFC 3339 instant, not {v:?}."),
        format!("{field} doit être un jour AAAA-MM-JJ ou un instant RFC 3339, et non {v:?}."),
        Some(field),
    ))
}

/// The storage filter of a query (shared with the dashboard's journal page).
pub fn journal_filter(q: &JournalQuery) -> Result<JournalFilter, HqError> {
    Ok(JournalFilter {
        code: q.code.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string),
        from: instant_filter("from", q.from.as_deref())?,
        to: instant_filter("to", q.to.as_deref())?,
        after: q.after.unwrap_or(0).max(0),
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
    })
}

async fn known_shop(hq: &Hq, code: &str) -> Result<String, HqError> {
    let shops = hq.storage.list_shops().await?;
    shops.into_iter().find(|s| s.code.eq_ignore_ascii_case(code)).map(|s| s.code).ok_or_else(|| HqError::NotFound {
        what: "shop",
        key: code.to_string(),
        field: None,
    })
}

#[utoipa::path(get, path = "/api/v1/shops/{code}/journal", params(("code" = String, Path, description = "Shop code"), JournalQuery),
    responses((status = 200, body = JournalPage), (status = 404, description = "No such shop", body = ErrorBody)))]
pub async fn list_journal(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(code): Path<String>,
    Query(q): Query<JournalQuery>,
) -> Result<Json<JournalPage>, HqError> {
    let shop = known_shop(&hq, &code).await?;
    let (items, next) = hq.storage.list_journal(&shop, &journal_filter(&q)?).await?;
    Ok(Json(JournalPage { items, next }))
}

#[utoipa::path(get, path = "/api/v1/shops/{code}/archives", params(("code" = String, Path, description = "Shop code")),
    responses((status = 200, body = Vec<ArchiveRecord>), (status = 404, description = "No such shop", body = ErrorBody)))]
pub async fn list_archives(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(code): Path<String>,
) -> Result<Json<Vec<ArchiveRecord>>, HqError> {
    let shop = known_shop(&hq, &code).await?;
    Ok(Json(hq.storage.list_archives(&shop).await?))
}

/// The bytes of an archive, as the shop uploaded them.
pub async fn archive_file(hq: &Hq, code: &str, name: &str) -> Result<axum::response::Response, HqError> {
    let shop = known_shop(hq, code).await?;
    let body = hq.storage.archive_body(&shop, name).await?.ok_or_else(|| HqError::NotFound {
        what: "archive",
        key: name.to_string(),
        field: None,
    })?;
    let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\'], ""));
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson".to_string()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/shops/{code}/archives/{name}",
    params(("code" = String, Path, description = "Shop code"), ("name" = String, Path, description = "Archive name")),
    responses((status = 200, description = "The archive file (JSON Lines)"), (status = 404, description = "No such archive", body = ErrorBody)))]
pub async fn get_archive(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path((code, name)): Path<(String, String)>,
) -> Result<axum::response::Response, HqError> {
    archive_file(&hq, &code, &name).await
}

#[utoipa::path(post, path = "/api/v1/sync/archives", request_body(content = String, content_type = "application/x-ndjson"),
    responses((status = 200, description = "ArchiveReceipt: where HQ keeps it and whether its signature holds", body = serde_json::Value),
              (status = 400, description = "Not an archive of this shop", body = ErrorBody),
              (status = 413, description = "Larger than MAX_ARCHIVE_BYTES", body = ErrorBody)))]
pub async fn upload_archive(
    State(hq): State<Hq>,
    ShopCaller(shop): ShopCaller,
    body: Bytes,
) -> Result<Json<ArchiveReceipt>, HqError> {
    let keys = hq.storage.shop_keys(&shop).await?;
    let check = check_archive(&shop, &keys, &body).map_err(|r| match r {
        ArchiveRefusal::NotAnArchive(why) => HqError::invalid(
            "not_an_archive",
            format!("This is not a Comptoir archive: {why}. Upload the file `comptoir shop archive` wrote."),
            format!("Ce n'est pas une archive Comptoir : {why}. Envoyez le fichier écrit par `comptoir shop archive`."),
            None,
        ),
        ArchiveRefusal::OtherShop(other) => HqError::invalid(
            "archive_of_another_shop",
            format!("This archive is shop {other}'s, not shop {shop}'s: a shop uploads only its own archives."),
            format!(
                "Cette archive est celle du magasin {other}, et non du magasin {shop} : un magasin n'envoie que ses propres archives."
            ),
            None,
        ),
    })?;
    let name = format!("{shop}-{}-{}.jsonl", check.period, &check.sha256[..12]);
    let record = ArchiveRecord {
        name: name.clone(),
        shop: shop.clone(),
        period: check.period.clone(),
        bytes: body.len() as i64,
        sha256: check.sha256.clone(),
        verified: check.verified,
        detail: check.detail.clone(),
        received_at: now_text(),
    };
    hq.storage.store_archive(&record, body.to_vec()).await?;
    if check.verified {
        tracing::info!(shop = %shop, archive = %name, "archive received");
    } else {
        tracing::warn!(shop = %shop, archive = %name, detail = %check.detail, "archive received, signature does not hold");
    }
    Ok(Json(ArchiveReceipt {
        name,
        period: check.period,
        bytes: record.bytes as u64,
        sha256: check.sha256,
        verified: check.verified,
    }))
}
