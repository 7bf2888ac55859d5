//! Jobs HQ queues for shops.

use super::*;
use async_trait::async_trait;
use comptoir_hq::storage::*;
use comptoir_protocol::{JobBody, JobKind, JobReport, JobState};
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

async fn jobs_in(c: &impl GenericClient, id: Option<&str>) -> R<Vec<JobView>> {
    let bodies: Vec<String> = c
        .query("SELECT body FROM jobs WHERE ($1::text IS NULL OR id = $1) ORDER BY id DESC", &[&id])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = Vec::with_capacity(bodies.len());
    for body in bodies {
        let job: JobBody = serde_json::from_str(&body)?;
        let shops = c
            .query(
                "SELECT shop, state, detail, updated_at FROM job_targets WHERE job = $1 ORDER BY shop",
                &[&job.id.to_string()],
            )
            .await?
            .iter()
            .map(|r| JobTarget {
                shop: r.get(0),
                state: job_state(r.get::<_, &str>(1)),
                detail: r.get(2),
                updated_at: r.get(3),
            })
            .collect();
        out.push(JobView { id: job.id, kind: job.kind, since: job.since, created_at: job.created_at, shops });
    }
    Ok(out)
}

#[async_trait]
impl JobStorage for PostgresStorage {
    #[instrument(skip_all)]
    async fn create_job(&self, job: &JobBody, shops: &[String]) -> Result<JobView, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        for (i, code) in shops.iter().enumerate() {
            if !shop_exists(&*tx, code).await? {
                return Err(StorageError::NotFound {
                    what: "shop",
                    key: code.clone(),
                    field: Some(format!("shops[{i}]")),
                });
            }
        }
        let id = job.id.to_string();
        tx.execute(
            "INSERT INTO jobs (id, kind, since, created_at, body) VALUES ($1, $2, $3, $4, $5)",
            &[
                &id,
                &job_kind_text(job.kind)?,
                &job.since,
                &job.created_at,
                &serde_json::to_string(job).map_err(Fail::from)?,
            ],
        )
        .await
        .map_err(Fail::from)?;
        for code in shops {
            tx.execute(
                "INSERT INTO job_targets (job, shop, state, updated_at) VALUES ($1, $2, 'pending', $3)",
                &[&id, code, &job.created_at],
            )
            .await
            .map_err(Fail::from)?;
            append_change(&*tx, Entity::Job, &id, job, Some(code)).await?;
        }
        let view =
            jobs_in(&*tx, Some(&id)).await?.pop().ok_or_else(|| StorageError::Database("job just written".into()))?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(view)
    }

    #[instrument(skip_all)]
    async fn list_jobs(&self) -> Result<Vec<JobView>, StorageError> {
        let client = self.conn().await?;
        Ok(jobs_in(&**client, None).await?)
    }

    #[instrument(skip_all)]
    async fn report_job(&self, shop: &str, job: Uuid, report: &JobReport, at: &str) -> Result<(), StorageError> {
        let state = match report.state {
            JobState::Pending => "pending",
            JobState::Done => "done",
            JobState::Failed => "failed",
        };
        let detail: String = report.detail.chars().take(4000).collect();
        let client = self.conn().await?;
        let n = client
            .execute(
                "UPDATE job_targets SET state = $1, detail = $2, updated_at = $3 WHERE job = $4 AND shop = $5",
                &[&state, &detail, &at, &job.to_string(), &shop],
            )
            .await
            .map_err(Fail::from)?;
        if n == 0 {
            return Err(StorageError::NotFound { what: "job", key: job.to_string(), field: None });
        }
        Ok(())
    }
}
