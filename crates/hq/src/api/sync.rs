//! Sync routes, as `comptoir_protocol` documents them: enrol, hello, the streamed snapshot,
//! the long-polled feed, push and job reports.

use super::extract::{SourceAddress, check_protocol};
use super::{Body, ErrorBody, ShopCaller};
use crate::error::HqError;
use crate::hq::Hq;
use crate::storage::RecordKind;
use crate::sync::{new_keyed_secret, now_text, prepare_push_raw, secret_hash};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comptoir_http::short;
use comptoir_protocol::{
    EnrolRequest, EnrolResponse, Entity, FeedPage, Hello, JobReport, JobState, MAX_WAIT_SECONDS, PROTOCOL_VERSION,
    PushOutcome, SUPPORTED_PROTOCOLS, ShopIdentity, SnapshotLine,
};
use serde::Deserialize;
use std::time::Duration;
use tokio::time::Instant;
use utoipa::IntoParams;
use uuid::Uuid;

/// Items read from storage per snapshot page.
const SNAPSHOT_PAGE: usize = 500;

#[utoipa::path(post, path = "/api/v1/sync/enrol", security(()), request_body = serde_json::Value,
    responses((status = 200, description = "EnrolResponse: the shop, HQ's identity and the long-lived credential", body = serde_json::Value),
              (status = 401, description = "Unknown, used or expired token", body = ErrorBody),
              (status = 429, description = "Too many failed enrolments from this address", body = ErrorBody)))]
pub async fn enrol(
    State(hq): State<Hq>,
    headers: HeaderMap,
    SourceAddress(source): SourceAddress,
    Body(req): Body<EnrolRequest>,
) -> Result<Json<EnrolResponse>, HqError> {
    check_protocol(&headers)?;
    if !SUPPORTED_PROTOCOLS.contains(&req.protocol) {
        return Err(HqError::UnsupportedProtocol { got: Some(req.protocol.to_string()) });
    }
    hq.guard.check(None, source).map_err(crate::hq::locked)?;
    let request = enrolment_request(&headers)?;
    let (credential, record) = new_keyed_secret();
    let shop = hq.storage.enrol(&secret_hash(req.token.trim()), &now_text(), &record, request.as_deref()).await;
    let shop: ShopIdentity = match shop {
        Err(crate::storage::StorageError::EnrolmentTokenRefused) => {
            tracing::warn!(%source, "enrolment refused: unknown, used or expired token");
            return Err(hq.guard.failed(None, source).map(crate::hq::locked).unwrap_or(HqError::InvalidEnrolmentToken));
        }
        other => other?,
    };
    hq.contact(&shop.code, crate::storage::ShopHealth { version: Some(req.version), ..Default::default() }).await?;
    tracing::info!(shop = %shop.code, "shop enrolled");
    Ok(Json(EnrolResponse { shop, hq: hq.identity.clone(), credential }))
}

/// The header a shop names its enrolment request with: the same value on a retry of the
/// same enrolment (HQ's answer lost) lets the used token enrol once more (docs/sync.md).
pub const HEADER_IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The enrolment's request id, when the shop sent one: 1 to 128 visible ASCII characters.
fn enrolment_request(headers: &HeaderMap) -> Result<Option<String>, HqError> {
    let Some(value) = headers.get(HEADER_IDEMPOTENCY_KEY) else { return Ok(None) };
    match value.to_str() {
        Ok(v) if (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()) => Ok(Some(v.to_string())),
        _ => Err(HqError::invalid(
            "bad_idempotency_key",
            "The Idempotency-Key header must be 1 to 128 visible ASCII characters (a UUID, for example).",
            "L'en-tête Idempotency-Key doit compter 1 à 128 caractères ASCII visibles (un UUID, par exemple).",
            Some("Idempotency-Key"),
        )),
    }
}

#[utoipa::path(get, path = "/api/v1/sync/hello", responses((status = 200, description = "Hello", body = serde_json::Value)))]
pub async fn hello(State(hq): State<Hq>, ShopCaller(code): ShopCaller) -> Result<Json<Hello>, HqError> {
    let shop = hq.storage.list_shops().await?.into_iter().find(|s| s.code == code).ok_or(HqError::InvalidCredential)?;
    Ok(Json(Hello {
        hq: hq.identity.clone(),
        shop: ShopIdentity { code: shop.code, name: shop.name, postal_code: shop.postal_code },
        protocol: PROTOCOL_VERSION,
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct FeedQuery {
    /// The last change applied (0 before any).
    pub cursor: Option<i64>,
    /// Seconds to wait for a change when there is none (capped).
    pub wait: Option<u64>,
    /// Most changes returned, 1 to 5000 (default 1000).
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/sync/feed", params(FeedQuery), responses((status = 200, description = "FeedPage", body = serde_json::Value)))]
pub async fn feed(
    State(hq): State<Hq>,
    ShopCaller(shop): ShopCaller,
    headers: HeaderMap,
    Query(q): Query<FeedQuery>,
) -> Result<Json<FeedPage>, HqError> {
    let protocol = check_protocol(&headers)?;
    let cursor = q.cursor.unwrap_or(0).max(0);
    let limit = q.limit.unwrap_or(1000).clamp(1, 5000);
    let wait = q.wait.unwrap_or(0).min(hq.config.feed_poll_max_seconds).min(MAX_WAIT_SECONDS);
    let deadline = Instant::now() + Duration::from_secs(wait);
    let mut woken = hq.subscribe();
    loop {
        woken.borrow_and_update();
        let read = hq.storage.feed(&shop, cursor, limit).await?;
        if cursor < read.floor {
            return Ok(Json(FeedPage { changes: Vec::new(), cursor, snapshot_required: true }));
        }
        let now = Instant::now();
        if !read.changes.is_empty() || now >= deadline {
            let next = read.changes.last().map(|c| c.seq).unwrap_or(cursor);
            // A shop on an older protocol is not sent what it cannot read (its cursor
            // still moves past it).
            let changes = read.changes.into_iter().filter(|c| c.entity.since_protocol() <= protocol).collect();
            return Ok(Json(FeedPage { changes, cursor: next, snapshot_required: false }));
        }
        // Woken by a write in this process, or every second to see other processes' writes.
        let nap = (deadline - now).min(Duration::from_secs(1));
        tokio::select! {
            _ = woken.changed() => {},
            _ = tokio::time::sleep(nap) => {},
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct SnapshotQuery {
    /// `ENTITY/KEY` of the last item received, to resume a cut snapshot.
    pub after: Option<String>,
}

fn parse_after(text: &str) -> Result<(Entity, String), HqError> {
    text.split_once('/')
        .and_then(|(e, k)| Entity::parse(e).map(|e| (e, k.to_string())))
        .filter(|(_, k)| !k.is_empty())
        .ok_or_else(|| {
            HqError::invalid(
                "bad_cursor",
                format!("after={:?}: give ENTITY/KEY of the last item received (e.g. article/0190...).", short(text)),
                format!(
                    "after={:?} : donnez ENTITÉ/CLÉ du dernier élément reçu (par ex. article/0190...).",
                    short(text)
                ),
                Some("after"),
            )
        })
}

fn line(l: &SnapshotLine) -> Result<axum::body::Bytes, std::io::Error> {
    let mut text = serde_json::to_vec(l).map_err(std::io::Error::other)?;
    text.push(b'\n');
    Ok(text.into())
}

enum Stage {
    Items { after: Option<(Entity, String)>, sent: u64 },
    Done,
}

#[utoipa::path(get, path = "/api/v1/sync/snapshot", params(SnapshotQuery),
    responses((status = 200, description = "NDJSON: a begin line, one item per line, an end line", content_type = "application/x-ndjson")))]
pub async fn snapshot(
    State(hq): State<Hq>,
    ShopCaller(shop): ShopCaller,
    headers: HeaderMap,
    Query(q): Query<SnapshotQuery>,
) -> Result<Response, HqError> {
    let protocol = check_protocol(&headers)?;
    let after = q.after.as_deref().map(parse_after).transpose()?;
    // The cursor is read before any item: whatever changes after it comes again by the feed.
    let (cursor, total) = hq.storage.snapshot_begin(&shop).await?;
    let begin = futures_util::stream::once(std::future::ready(line(&SnapshotLine::Begin { cursor, total })));
    let storage = hq.storage.clone();
    let items = futures_util::stream::unfold(Stage::Items { after, sent: 0 }, move |stage| {
        let storage = storage.clone();
        let shop = shop.clone();
        async move {
            let Stage::Items { after, sent } = stage else { return None };
            match storage.snapshot_page(&shop, after, SNAPSHOT_PAGE).await {
                Err(e) => {
                    // The stream ends without its end line: the shop sees a cut and resumes.
                    tracing::error!(error = %e, "snapshot page failed");
                    Some((Err(std::io::Error::other(e.to_string())), Stage::Done))
                }
                Ok(page) if page.is_empty() => Some((line(&SnapshotLine::End { items: sent }), Stage::Done)),
                Ok(page) => {
                    let mut buf = Vec::new();
                    let last = page.last().map(|i| (i.entity, i.key.clone()));
                    let page: Vec<_> = page.into_iter().filter(|i| i.entity.since_protocol() <= protocol).collect();
                    let count = page.len() as u64;
                    for item in page {
                        let l = SnapshotLine::Item { entity: item.entity, key: item.key, body: item.body };
                        match line(&l) {
                            Ok(b) => buf.extend_from_slice(&b),
                            Err(e) => return Some((Err(e), Stage::Done)),
                        }
                    }
                    Some((Ok(buf.into()), Stage::Items { after: last, sent: sent + count }))
                }
            }
        }
    });
    use futures_util::StreamExt;
    let body = axum::body::Body::from_stream(begin.chain(items));
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}

/// A push as read: each record is parsed on its own, so one unreadable record is
/// quarantined instead of refusing the batch.
#[derive(Deserialize)]
pub struct RawBatch {
    pub records: Vec<Box<serde_json::value::RawValue>>,
}

#[utoipa::path(post, path = "/api/v1/sync/push", request_body = serde_json::Value,
    responses((status = 200, description = "PushOutcome: accepted, duplicates, quarantined", body = serde_json::Value),
              (status = 413, description = "More than MAX_BATCH records or too many bytes", body = ErrorBody)))]
pub async fn push(
    State(hq): State<Hq>,
    ShopCaller(shop): ShopCaller,
    headers: HeaderMap,
    Body(batch): Body<RawBatch>,
) -> Result<Json<PushOutcome>, HqError> {
    // The shop's first key, registered while HQ holds none (docs/fiscal.md, "Keys at HQ").
    let header = headers.get(comptoir_protocol::HEADER_PUBLIC_KEY).and_then(|v| v.to_str().ok());
    if let Some(key) = header.and_then(|k| crate::fiscal::first_key(k, &now_text()))
        && hq.storage.register_first_key(&shop, &key).await?
    {
        tracing::info!(shop = %shop, key = %key.key_id, "shop's first public key registered");
    }
    let mut items = prepare_push_raw(&shop, batch.records)?;
    // Signatures are checked here, outside the push's transaction (docs/fiscal.md, "Cost").
    let keys = hq.storage.shop_keys(&shop).await?;
    crate::fiscal::preverify(&keys, &mut items);
    // Customers and loyalty entries become feed changes for every other shop, a transfer or
    // an order goes down to other shops' feeds: wake their long-polls at once.
    let feeds = items.iter().any(|i| matches!(i.kind, RecordKind::Customer | RecordKind::LoyaltyEntry));
    let forwards = items.iter().any(|i| i.kind.is_stock());
    let outcome = hq.storage.apply_push(&shop, &now_text(), items).await?;
    if forwards || (feeds && !outcome.accepted.is_empty()) {
        hq.notify_change();
    }
    if !outcome.quarantined.is_empty() {
        tracing::warn!(shop = %shop, count = outcome.quarantined.len(), "records quarantined");
    }
    Ok(Json(outcome))
}

#[utoipa::path(post, path = "/api/v1/sync/jobs/{id}", request_body = serde_json::Value,
    responses((status = 204, description = "Recorded"), (status = 404, description = "Not a job of this shop", body = ErrorBody)))]
pub async fn report_job(
    State(hq): State<Hq>,
    ShopCaller(shop): ShopCaller,
    Path(id): Path<Uuid>,
    Body(report): Body<JobReport>,
) -> Result<StatusCode, HqError> {
    if report.state == JobState::Pending {
        return Err(HqError::invalid(
            "job_outcome",
            "Report a job as done or failed.",
            "Déclarez une tâche terminée (done) ou en échec (failed).",
            Some("state"),
        ));
    }
    hq.storage.report_job(&shop, id, &report, &now_text()).await?;
    Ok(StatusCode::NO_CONTENT)
}
