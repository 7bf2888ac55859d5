//! The sync agent: pushes the outbox up and pulls HQ's changes down.
//!
//! In the server it runs as two background tasks. The pusher wakes at every commit (the
//! API signals it) and otherwise every `push_interval_seconds`; it sends the outbox in
//! batches of `batch_size`, in commit order, and marks a record sent only once HQ answered
//! for it. The puller long-polls HQ's feed, so a change at HQ arrives within a second; it
//! takes a snapshot when HQ asks for one, and runs the jobs HQ queued. After an error each
//! task waits (exponential back-off with jitter, capped) and goes on: selling never waits.

use super::apply::apply;
use super::client::{Health, HqClient};
use super::link::{self, HqLink};
use super::outbox;
use crate::error::ShopError;
use crate::shop::{Shop, journal};
use comptoir_protocol::{JobReport, JobState, SnapshotLine};
use rand::Rng;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

type SnapshotItem = (comptoir_protocol::Entity, String, serde_json::Value);

/// A push batch whose records are already JSON text (the protocol's `PushBatch` shape).
#[derive(Serialize)]
pub struct RawBatch {
    pub records: Vec<Box<serde_json::value::RawValue>>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PushReport {
    pub sent: usize,
    pub accepted: usize,
    pub duplicates: usize,
    pub quarantined: usize,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PullReport {
    pub changes: usize,
    pub snapshot_items: u64,
    pub skipped: Vec<String>,
    pub cursor: i64,
}

/// Waits after errors: doubling from the initial wait to the cap, ±20 % at random.
pub struct Backoff {
    initial: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    pub fn new(initial_seconds: u64, max_seconds: u64) -> Backoff {
        let initial = Duration::from_secs(initial_seconds.max(1));
        Backoff { initial, max: Duration::from_secs(max_seconds.max(initial_seconds).max(1)), current: initial }
    }
    pub fn next_wait(&mut self) -> Duration {
        let base = self.current;
        self.current = (self.current * 2).min(self.max);
        base.mul_f64(rand::rng().random_range(0.8..1.2))
    }
    pub fn reset(&mut self) {
        self.current = self.initial;
    }
}

#[derive(Clone)]
pub struct SyncAgent {
    shop: Shop,
    client: HqClient,
}

impl SyncAgent {
    pub fn new(shop: Shop, link: &HqLink) -> Result<SyncAgent, ShopError> {
        let timeout = Duration::from_secs(shop.config.sync.request_timeout_seconds.max(1));
        let client = HqClient::with_config(&link.url, Some(link.credential.clone()), timeout, &shop.config.sync)?;
        Ok(SyncAgent { shop, client })
    }

    /// The agent of an enrolled shop; `NotEnrolled` otherwise.
    pub async fn for_shop(shop: &Shop) -> Result<SyncAgent, ShopError> {
        let link = shop.store.read(link::hq_link).await?.ok_or(ShopError::NotEnrolled)?;
        SyncAgent::new(shop.clone(), &link)
    }

    pub fn client(&self) -> &HqClient {
        &self.client
    }

    pub async fn health(&self) -> Result<Health, ShopError> {
        self.health_after(0).await
    }

    /// The health once every outbox record up to `seq` is acknowledged.
    async fn health_after(&self, seq: i64) -> Result<Health, ShopError> {
        self.shop
            .store
            .read(move |c| {
                let (unsent, oldest) = outbox::backlog_after(c, seq)?;
                let cursor = link::sync_state(c)?.cursor;
                Ok(Health { unsent, oldest_unsent_seconds: age_seconds(oldest.as_deref()), cursor })
            })
            .await
    }

    /// Sends one batch of the outbox. `sent == 0` when the outbox is empty.
    pub async fn push_batch(&self) -> Result<PushReport, ShopError> {
        let limit = self.shop.config.sync.batch_size.clamp(1, comptoir_protocol::MAX_BATCH);
        let pending = self.shop.store.read(move |c| outbox::pending_raw(c, limit)).await?;
        if pending.is_empty() {
            return Ok(PushReport::default());
        }
        // The health sent with a push is the one after it: HQ learns the backlog is gone.
        let last_seq = pending.last().map(|(s, _, _)| *s).unwrap_or(0);
        let health = self.health_after(last_seq).await?;
        let seq_of: std::collections::HashMap<Uuid, i64> = pending.iter().map(|(s, id, _)| (*id, *s)).collect();
        // The records go as they were stored: the same bytes the sale's transaction wrote.
        let batch = RawBatch { records: pending.into_iter().map(|(_, _, body)| body).collect() };
        let first_key = self.shop.store.read(|c| Ok(crate::fiscal::public_keys(c)?.into_iter().next())).await?;
        let outcome = self.client.push(&batch, health, first_key.as_ref().map(|k| k.public_key.as_str())).await?;
        let mut answered: Vec<(i64, &'static str)> = Vec::new();
        for id in &outcome.accepted {
            answered.extend(seq_of.get(id).map(|s| (*s, "accepted")));
        }
        for id in &outcome.duplicates {
            answered.extend(seq_of.get(id).map(|s| (*s, "duplicate")));
        }
        let mut incidents: Vec<(i64, String)> = Vec::new();
        for q in &outcome.quarantined {
            tracing::warn!(id = %q.id, reason = %q.reason, "HQ quarantined a record");
            if let Some(s) = seq_of.get(&q.id) {
                answered.push((*s, "quarantined"));
                incidents.push((*s, format!("HQ quarantined {}: {}", q.id, q.reason)));
            }
        }
        if answered.is_empty() {
            return Err(ShopError::HqRefused {
                status: 200,
                kind: "empty_outcome".into(),
                message: "HQ answered the push without acknowledging any record".into(),
            });
        }
        let report = PushReport {
            sent: seq_of.len(),
            accepted: outcome.accepted.len(),
            duplicates: outcome.duplicates.len(),
            quarantined: outcome.quarantined.len(),
        };
        self.shop
            .store
            .write(move |tx| {
                let pairs: Vec<(i64, &str)> = answered.iter().map(|(s, o)| (*s, *o)).collect();
                outbox::acknowledge(tx, &pairs)?;
                // A sync incident is journaled (NF525), except for a quarantined journal
                // entry: its own incident would go to HQ the same way, again and again.
                for (seq, details) in &incidents {
                    let kind: String = tx.query_row("SELECT kind FROM outbox WHERE seq = ?", [seq], |r| r.get(0))?;
                    if kind != "journal_entry" {
                        journal(tx, crate::journal::codes::QUARANTINE, None, &format!("{kind} {details}"))?;
                    }
                }
                link::pushed(tx)?;
                link::clear_error(tx)
            })
            .await?;
        Ok(report)
    }

    /// Sends the whole outbox, batch after batch.
    pub async fn push_all(&self) -> Result<PushReport, ShopError> {
        let mut total = PushReport::default();
        loop {
            let r = self.push_batch().await?;
            if r.sent == 0 {
                return Ok(total);
            }
            total.sent += r.sent;
            total.accepted += r.accepted;
            total.duplicates += r.duplicates;
            total.quarantined += r.quarantined;
        }
    }

    /// Takes (or resumes) a snapshot of HQ's catalog. `progress(applied, total)`.
    pub async fn take_snapshot(&self, progress: &(dyn Fn(u64, u64) + Send + Sync)) -> Result<u64, ShopError> {
        let state = self.shop.store.read(link::sync_state).await?;
        let mut stream = self.client.snapshot(state.snapshot_after.as_deref()).await?;
        let mut begin: Option<i64> = None;
        let (mut total, mut applied) = (0u64, 0u64);
        let mut batch: Vec<SnapshotItem> = Vec::new();
        let mut complete = false;
        loop {
            let line = match stream.next_line().await {
                Ok(line) => line,
                Err(e) => {
                    // A cut shows as a body error mid-chunk; what arrived before it is kept.
                    tracing::warn!(error = %e, "snapshot stream broken");
                    break;
                }
            };
            match line {
                None => break,
                Some(SnapshotLine::Begin { cursor, total: t }) => {
                    begin = Some(cursor);
                    total = t;
                    progress(applied, total);
                }
                Some(SnapshotLine::Item { entity, key, body }) => {
                    batch.push((entity, key, body));
                    if batch.len() >= 1000 {
                        applied += batch.len() as u64;
                        self.apply_snapshot_items(std::mem::take(&mut batch), begin).await?;
                        progress(applied, total);
                    }
                }
                Some(SnapshotLine::End { .. }) => {
                    complete = true;
                    break;
                }
            }
        }
        applied += batch.len() as u64;
        self.apply_snapshot_items(batch, begin).await?;
        progress(applied, total);
        if !complete {
            return Err(ShopError::HqUnreachable {
                url: self.client.base().to_string(),
                cause: format!("snapshot cut after {applied} items (the next attempt resumes from there)"),
            });
        }
        let cursor = begin.unwrap_or(0);
        self.shop.store.write(move |tx| link::snapshot_done(tx, cursor)).await?;
        Ok(applied)
    }

    async fn apply_snapshot_items(&self, items: Vec<SnapshotItem>, begin: Option<i64>) -> Result<(), ShopError> {
        let Some(mark) = items.last().map(|(e, k, _)| format!("{}/{k}", e.as_str())) else {
            return Ok(());
        };
        let cursor = begin.unwrap_or(0);
        let share = self.shop.config.sync.share_customers;
        self.shop
            .store
            .write(move |tx| {
                for (entity, key, body) in items {
                    if !share && super::apply::is_customer_data(entity) {
                        continue;
                    }
                    apply(tx, entity, &key, body)?;
                }
                link::snapshot_progress(tx, cursor, &mark)
            })
            .await
    }

    /// Pulls HQ's changes once (taking a snapshot first when one is due). `wait`: seconds a
    /// long-poll may wait for a change.
    pub async fn pull(&self, wait: u64) -> Result<PullReport, ShopError> {
        let mut report = PullReport::default();
        let state = self.shop.store.read(link::sync_state).await?;
        if state.snapshot_needed {
            report.snapshot_items = self.take_snapshot(&|_, _| {}).await?;
        }
        loop {
            let health = self.health().await?;
            let page = self.client.feed(health.cursor, wait, 1000, health).await?;
            if page.snapshot_required {
                tracing::info!(cursor = health.cursor, "HQ's feed no longer holds our cursor: taking a snapshot");
                self.shop.store.write(|tx| link::require_snapshot(tx)).await?;
                report.snapshot_items += self.take_snapshot(&|_, _| {}).await?;
                continue;
            }
            let n = page.changes.len();
            let cursor = page.cursor;
            let share = self.shop.config.sync.share_customers;
            let skipped = self
                .shop
                .store
                .write(move |tx| {
                    let mut skipped = Vec::new();
                    for c in page.changes {
                        if !share && super::apply::is_customer_data(c.entity) {
                            continue;
                        }
                        skipped.extend(apply(tx, c.entity, &c.key, c.body)?);
                    }
                    link::set_cursor(tx, cursor)?;
                    link::clear_error(tx)?;
                    Ok(skipped)
                })
                .await?;
            report.changes += n;
            report.skipped.extend(skipped);
            report.cursor = cursor;
            if n < 1000 {
                return Ok(report);
            }
        }
    }

    /// Runs the jobs HQ queued for this shop and reports each one.
    pub async fn run_jobs(&self) -> Result<usize, ShopError> {
        let jobs: Vec<(String, String, Option<String>, String)> = self
            .shop
            .store
            .read(|c| {
                Ok(c.prepare("SELECT id, kind, since, state FROM jobs WHERE reported = 0 ORDER BY rowid")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<Result<_, _>>()?)
            })
            .await?;
        let mut done = 0;
        for (id, kind, since, state) in jobs {
            let (state, detail) = if state == "pending" {
                let outcome = self.execute_job(&kind, since.as_deref()).await;
                let (state, detail) = match outcome {
                    Ok(detail) => ("done", detail),
                    Err(e) => ("failed", e.message(comptoir_core::Lang::En)),
                };
                let (i, s, d) = (id.clone(), state.to_string(), detail.clone());
                self.shop
                    .store
                    .write(move |tx| {
                        tx.execute(
                            "UPDATE jobs SET state = ?, detail = ?, updated_at = ? WHERE id = ?",
                            rusqlite::params![s, d, crate::store::now_text(), i],
                        )?;
                        journal(tx, crate::journal::codes::JOB, None, &format!("{kind} {s}: {d}"))
                    })
                    .await?;
                (state.to_string(), detail)
            } else {
                let i = id.clone();
                let detail: Option<String> = self
                    .shop
                    .store
                    .read(move |c| Ok(c.query_row("SELECT detail FROM jobs WHERE id = ?", [i], |r| r.get(0))?))
                    .await?;
                (state, detail.unwrap_or_default())
            };
            let job_id = Uuid::parse_str(&id).map_err(|_| ShopError::Storage(format!("unreadable job id {id}")))?;
            let report = JobReport { state: if state == "done" { JobState::Done } else { JobState::Failed }, detail };
            self.client.report_job(job_id, &report).await?;
            let i = id.clone();
            self.shop.store.write(move |tx| Ok(tx.execute("UPDATE jobs SET reported = 1 WHERE id = ?", [i])?)).await?;
            done += 1;
        }
        Ok(done)
    }

    async fn execute_job(&self, kind: &str, since: Option<&str>) -> Result<String, ShopError> {
        match kind {
            "resync_catalog" => {
                self.shop.store.write(|tx| link::require_snapshot(tx)).await?;
                let n = self.take_snapshot(&|_, _| {}).await?;
                Ok(format!("catalog taken again: {n} records"))
            }
            "resend_sales" => {
                let since = since.unwrap_or("0000-00-00").to_string();
                let n = self.shop.store.write(move |tx| outbox::requeue_since(tx, &since)).await?;
                self.shop.outbox_signal.notify_one();
                Ok(format!("{n} tickets and closures queued again"))
            }
            "send_stock" => {
                let (movements, articles) = self.shop.store.write(|tx| crate::stock::requeue_movements(tx)).await?;
                self.shop.outbox_signal.notify_one();
                Ok(format!("{movements} stock movements of {articles} articles queued again"))
            }
            "upload_logs" => {
                let dir = self.shop.store.path().parent().map(|d| d.join("logs")).unwrap_or_default();
                tokio::task::spawn_blocking(move || recent_logs(&dir, LOG_UPLOAD_BYTES))
                    .await
                    .map_err(|e| ShopError::Storage(e.to_string()))?
            }
            other => Err(ShopError::Config(format!("unknown job kind {other:?}: update this shop's software"))),
        }
    }

    /// One full sync now: push everything, pull the changes, run the jobs.
    pub async fn sync_once(&self) -> Result<(PushReport, PullReport, usize), ShopError> {
        let push = if self.shop.config.sync.send_sales { self.push_all().await? } else { PushReport::default() };
        let pull = self.pull(0).await?;
        let jobs = self.run_jobs().await?;
        Ok((push, pull, jobs))
    }

    async fn note_error(&self, e: &ShopError) {
        let text = e.message(comptoir_core::Lang::En);
        tracing::warn!(kind = e.kind(), error = %text, "sync with HQ failed; retrying later");
        let _ = self.shop.store.write(move |tx| link::record_error(tx, &text)).await;
    }

    /// Starts the background pusher and puller (and the outbox purge) for the server.
    pub fn spawn(self) -> Vec<tokio::task::JoinHandle<()>> {
        let agent = Arc::new(self);
        let cfg = agent.shop.config.sync.clone();
        let pusher = {
            let agent = agent.clone();
            let cfg = cfg.clone();
            tokio::spawn(async move {
                let mut backoff = Backoff::new(cfg.backoff_initial_seconds, cfg.backoff_max_seconds);
                let fallback = Duration::from_secs(cfg.push_interval_seconds.max(1));
                loop {
                    if !cfg.send_sales {
                        tokio::time::sleep(fallback).await;
                        continue;
                    }
                    match agent.push_batch().await {
                        Ok(r) if r.sent > 0 => backoff.reset(),
                        Ok(_) => {
                            backoff.reset();
                            let _ = tokio::time::timeout(fallback, agent.shop.outbox_signal.notified()).await;
                        }
                        Err(e) => {
                            agent.note_error(&e).await;
                            tokio::time::sleep(backoff.next_wait()).await;
                        }
                    }
                }
            })
        };
        let puller = {
            let agent = agent.clone();
            let cfg = cfg.clone();
            tokio::spawn(async move {
                let mut backoff = Backoff::new(cfg.backoff_initial_seconds, cfg.backoff_max_seconds);
                loop {
                    let wait = if cfg.long_poll { cfg.pull_wait_seconds } else { 0 };
                    let result = match agent.pull(wait).await {
                        Ok(_) => agent.run_jobs().await.map(|_| ()),
                        Err(e) => Err(e),
                    };
                    match result {
                        Ok(()) => {
                            backoff.reset();
                            if !cfg.long_poll {
                                tokio::time::sleep(Duration::from_secs(cfg.pull_interval_seconds.max(1))).await;
                            }
                        }
                        Err(e) => {
                            agent.note_error(&e).await;
                            tokio::time::sleep(backoff.next_wait()).await;
                        }
                    }
                }
            })
        };
        let purger = {
            let agent = agent.clone();
            tokio::spawn(async move {
                loop {
                    let days = agent.shop.config.sync.outbox_retention_days;
                    match agent.shop.store.write(move |tx| outbox::purge(tx, days)).await {
                        Ok(n) if n > 0 => tracing::info!(purged = n, "acknowledged outbox records purged"),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "outbox purge failed"),
                    }
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
            })
        };
        vec![pusher, puller, purger]
    }
}

/// How much of its recent log a shop sends for an `upload_logs` job.
pub const LOG_UPLOAD_BYTES: usize = 64 * 1024;

/// The end of the newest daily log files, newest last, at most `limit` bytes: what support
/// needs to see what happened. It travels as the job report's detail.
pub fn recent_logs(dir: &std::path::Path, limit: usize) -> Result<String, ShopError> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ShopError::Config(format!("no log files in {}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("comptoir-") && n.ends_with(".log"))
        })
        .collect();
    // comptoir-YYYY-MM-DD.log sorts by date.
    files.sort();
    let mut out: Vec<u8> = Vec::new();
    for file in files.iter().rev() {
        let data = std::fs::read(file)?;
        let header = format!("==> {} <==\n", file.file_name().and_then(|n| n.to_str()).unwrap_or(""));
        let room = limit.saturating_sub(out.len() + header.len());
        if room == 0 {
            break;
        }
        let tail = &data[data.len().saturating_sub(room)..];
        let mut chunk = header.into_bytes();
        chunk.extend_from_slice(tail);
        chunk.extend_from_slice(&out);
        out = chunk;
    }
    if files.is_empty() {
        return Err(ShopError::Config(format!("no log files in {}", dir.display())));
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Seconds since an RFC 3339 instant (0 when absent or unreadable).
pub fn age_seconds(instant: Option<&str>) -> i64 {
    instant
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| (jiff::Timestamp::now().as_second() - t.as_second()).max(0))
        .unwrap_or(0)
}
