//! Shops, their enrolment tokens and credentials, and the health they report.

use super::StorageError;
#[allow(unused_imports)]
use super::*;
use async_trait::async_trait;

/// A hashed secret: an enrolment token, a shop credential or an admin API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRecord {
    /// The public part (credential and API token id); the hash itself for enrolment tokens.
    pub id: String,
    /// Hex SHA-256 of the secret.
    pub hash: String,
    pub created_at: String,
    /// Enrolment tokens only.
    pub expires_at: Option<String>,
}

/// A shop credential as checked on every sync call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialCheck {
    pub shop: String,
    pub hash: String,
    /// The credential or its shop was revoked.
    pub revoked: bool,
}

/// What a shop reports about itself on a sync call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopHealth {
    pub at: String,
    pub version: Option<String>,
    pub unsent: Option<i64>,
    pub oldest_unsent_seconds: Option<i64>,
    pub cursor: Option<i64>,
}

/// A shop as HQ keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopRecord {
    pub code: String,
    pub name: String,
    pub postal_code: String,
    pub created_at: String,
    pub enrolled: bool,
    pub revoked: bool,
    pub last_contact: Option<String>,
    pub version: Option<String>,
    pub unsent: Option<i64>,
    pub oldest_unsent_seconds: Option<i64>,
    /// When `unsent` and `oldest_unsent_seconds` were reported.
    pub health_at: Option<String>,
    pub cursor: Option<i64>,
    pub chain_ok: bool,
    pub quarantined: i64,
}

/// Storage of shops.
#[async_trait]
pub trait ShopStorage: Send + Sync + 'static {
    /// Creates a shop with its first enrolment token.
    async fn create_shop(&self, shop: &ShopIdentity, token: &SecretRecord) -> Result<ShopRecord, StorageError>;
    /// A new enrolment token; the shop's unused ones are voided.
    async fn issue_enrolment_token(&self, code: &str, token: &SecretRecord) -> Result<(), StorageError>;
    /// Revokes the shop and every credential it holds.
    async fn revoke_shop(&self, code: &str) -> Result<(), StorageError>;
    async fn list_shops(&self) -> Result<Vec<ShopRecord>, StorageError>;
    /// Uses an enrolment token (by its hash) when [`crate::sync::enrolment`] allows it at
    /// `now` for `request` (the shop's request id, if it sent one): replaces the shop's
    /// credentials by `credential`, lifts a revocation, keeps the request id for a retry.
    async fn enrol(
        &self,
        token_hash: &str,
        now: &str,
        credential: &SecretRecord,
        request: Option<&str>,
    ) -> Result<ShopIdentity, StorageError>;
    async fn credential(&self, id: &str) -> Result<Option<CredentialCheck>, StorageError>;
    async fn record_contact(&self, shop: &str, health: &ShopHealth) -> Result<(), StorageError>;
}
