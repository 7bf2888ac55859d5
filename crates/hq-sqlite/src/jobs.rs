//! Jobs HQ queues for shops.

use super::*;
use async_trait::async_trait;
use comptoir_hq::storage::*;
use comptoir_protocol::{JobBody, JobKind, JobReport, JobState};
use rusqlite::params;
use tracing::instrument;

fn job_kind_text(kind: JobKind) -> R<String> {
    Ok(serde_json::to_value(kind)?.as_str().unwrap_or_default().to_string())
}

fn job_state(text: &str) -> JobState {
    match text {
        "done" => JobState::Done,
        "failed" => JobState::Failed,
        _ => JobState::Pending,
    }
}

fn jobs_in(c: &Connection, id: Option<&str>) -> R<Vec<JobView>> {
    let mut stmt = c.prepare_cached("SELECT body FROM jobs WHERE (?1 IS NULL OR id = ?1) ORDER BY id DESC")?;
    let bodies: Vec<String> = stmt.query_map([id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut targets =
        c.prepare_cached("SELECT shop, state, detail, updated_at FROM job_targets WHERE job = ? ORDER BY shop")?;
    let mut out = Vec::with_capacity(bodies.len());
    for body in bodies {
        let job: JobBody = serde_json::from_str(&body)?;
        let shops = targets
            .query_map([job.id.to_string()], |r| {
                let state: String = r.get(1)?;
                Ok(JobTarget { shop: r.get(0)?, state: job_state(&state), detail: r.get(2)?, updated_at: r.get(3)? })
            })?
            .collect::<Result<_, _>>()?;
        out.push(JobView { id: job.id, kind: job.kind, since: job.since, created_at: job.created_at, shops });
    }
    Ok(out)
}

#[async_trait]
impl JobStorage for SqliteStorage {
    #[instrument(skip_all)]
    async fn create_job(&self, job: &JobBody, shops: &[String]) -> Result<JobView, StorageError> {
        let (job, shops) = (job.clone(), shops.to_vec());
        self.write(move |tx| {
            for (i, code) in shops.iter().enumerate() {
                if !shop_exists(tx, code)? {
                    return Err(StorageError::NotFound {
                        what: "shop",
                        key: code.clone(),
                        field: Some(format!("shops[{i}]")),
                    }
                    .into());
                }
            }
            let id = job.id.to_string();
            tx.execute(
                "INSERT INTO jobs (id, kind, since, created_at, body) VALUES (?, ?, ?, ?, ?)",
                params![id, job_kind_text(job.kind)?, job.since, job.created_at, serde_json::to_string(&job)?],
            )?;
            for code in &shops {
                tx.execute(
                    "INSERT INTO job_targets (job, shop, state, updated_at) VALUES (?, ?, 'pending', ?)",
                    params![id, code, job.created_at],
                )?;
                append_change(tx, Entity::Job, &id, &job, Some(code))?;
            }
            jobs_in(tx, Some(&id))?.pop().ok_or_else(|| StorageError::Database("job just written".into()).into())
        })
        .await
    }

    #[instrument(skip_all)]
    async fn list_jobs(&self) -> Result<Vec<JobView>, StorageError> {
        self.read(|c| jobs_in(c, None)).await
    }

    #[instrument(skip_all)]
    async fn report_job(&self, shop: &str, job: Uuid, report: &JobReport, at: &str) -> Result<(), StorageError> {
        let (shop, report, at) = (shop.to_string(), report.clone(), at.to_string());
        self.write(move |tx| {
            let state = match report.state {
                JobState::Pending => "pending",
                JobState::Done => "done",
                JobState::Failed => "failed",
            };
            let detail: String = report.detail.chars().take(4000).collect();
            let n = tx.execute(
                "UPDATE job_targets SET state = ?, detail = ?, updated_at = ? WHERE job = ? AND shop = ?",
                params![state, detail, at, job.to_string(), shop],
            )?;
            if n == 0 {
                return Err(StorageError::NotFound { what: "job", key: job.to_string(), field: None }.into());
            }
            Ok(())
        })
        .await
    }
}
