//! [`StorageError`]: what a storage method reports when it did not do what was asked.
//!
//! Facts only: which thing was not found or already exists, which plan refused what, or
//! that the database failed (with its cause, for the log). No HTTP status and no sentence
//! for a user: `From<StorageError> for HqError` (crate::error) turns these facts into the
//! API's kinds, statuses and messages, in one place.

use uuid::Uuid;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    /// `what` (`"shop"`, `"article"`, ...) with this key does not exist; `field` names the
    /// input that referred to it, when the caller gave one.
    #[error("{what} {key} not found")]
    NotFound { what: &'static str, key: String, field: Option<String> },
    /// A unique key is taken.
    #[error("{what} {key} already exists")]
    AlreadyExists { what: &'static str, key: String, field: Option<String> },
    /// The state of what is held forbids the write.
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// Article writes refused by [`crate::articles::plan`], each by its index in the list
    /// (nothing written); an empty list for a dry run that would have succeeded.
    #[error("{} article writes refused", .0.len())]
    ArticlesRefused(Vec<(usize, crate::articles::Refusal)>),
    /// No unused, unexpired enrolment token has this hash.
    #[error("unknown, used or expired enrolment token")]
    EnrolmentTokenRefused,
    #[error("no HQ in {place}")]
    NotInitialised { place: String },
    #[error("an HQ already exists in {place}")]
    AlreadyInitialised { place: String },
    #[error("database schema {found} is newer than this program ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    /// The database failed; the cause is for the log.
    #[error("database: {0}")]
    Database(String),
}

/// A write the held state forbids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// A customer merged into itself.
    MergeIntoItself,
    /// The customer is already merged into another or erased.
    CustomerMergedOrErased { id: Uuid },
}

impl StorageError {
    /// A database failure with its cause.
    pub fn database(cause: impl std::fmt::Display) -> StorageError {
        StorageError::Database(cause.to_string())
    }
}

impl From<serde_json::Error> for StorageError {
    fn from(e: serde_json::Error) -> Self {
        StorageError::Database(format!("JSON: {e}"))
    }
}
