//! Jobs HQ queues for shops.

use super::StorageError;
#[allow(unused_imports)]
use super::*;
use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobTarget {
    pub shop: String,
    #[schema(value_type = String)]
    pub state: JobState,
    pub detail: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobView {
    pub id: Uuid,
    #[schema(value_type = String)]
    pub kind: comptoir_protocol::JobKind,
    pub since: Option<String>,
    pub created_at: String,
    pub shops: Vec<JobTarget>,
}

impl JobView {
    pub fn body(&self) -> JobBody {
        JobBody { id: self.id, kind: self.kind, since: self.since.clone(), created_at: self.created_at.clone() }
    }
}

/// Storage of jobs.
#[async_trait]
pub trait JobStorage: Send + Sync + 'static {
    /// Queues a job for shops (each must exist); one feed change per shop.
    async fn create_job(&self, job: &JobBody, shops: &[String]) -> Result<JobView, StorageError>;
    async fn list_jobs(&self) -> Result<Vec<JobView>, StorageError>;
    /// A shop reports on its own target of a job (else not found).
    async fn report_job(&self, shop: &str, job: Uuid, report: &JobReport, at: &str) -> Result<(), StorageError>;
}
