//! HQ's identity, its admins and their API tokens.

use super::StorageError;
#[allow(unused_imports)]
use super::*;
use async_trait::async_trait;

/// Storage of identity and admins.
#[async_trait]
pub trait AdminStorage: Send + Sync + 'static {
    /// Makes a new HQ: identity, the first admin (Argon2id hash), France's VAT rates.
    async fn initialise(
        &self,
        hq: &HqIdentity,
        admin_user: &str,
        admin_password_hash: &str,
    ) -> Result<(), StorageError>;
    async fn identity(&self) -> Result<HqIdentity, StorageError>;
    async fn admin_password_hash(&self, user: &str) -> Result<Option<String>, StorageError>;
    async fn create_api_token(&self, name: &str, token: &SecretRecord) -> Result<(), StorageError>;
    /// `(name, hash)` of the API token with this id.
    async fn api_token(&self, id: &str) -> Result<Option<(String, String)>, StorageError>;
}
