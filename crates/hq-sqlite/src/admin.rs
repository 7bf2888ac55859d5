//! HQ's identity, its admins and their API tokens.

use super::*;
use async_trait::async_trait;
use comptoir_hq::storage::*;
use comptoir_protocol::HqIdentity;
use rusqlite::{OptionalExtension, params};
use tracing::instrument;

#[async_trait]
impl AdminStorage for SqliteStorage {
    #[instrument(skip_all)]
    async fn initialise(
        &self,
        hq: &HqIdentity,
        admin_user: &str,
        admin_password_hash: &str,
    ) -> Result<(), StorageError> {
        let (hq, user, hash) = (hq.clone(), admin_user.to_string(), admin_password_hash.to_string());
        let place = self.inner.path.display().to_string();
        self.write(move |tx| {
            let exists: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM hq)", [], |r| r.get(0))?;
            if exists {
                return Err(StorageError::AlreadyInitialised { place }.into());
            }
            let now = now_text();
            tx.execute(
                "INSERT INTO hq (id, hq_id, name, created_at) VALUES (1, ?, ?, ?)",
                params![hq.id.to_string(), hq.name, now],
            )?;
            tx.execute(
                "INSERT INTO admins (user, password_hash, created_at) VALUES (?, ?, ?)",
                params![user, hash, now],
            )?;
            for (bp, name) in comptoir_core::TaxRate::FRENCH {
                let t = TaxRateView { bp, name: name.into(), active: true };
                tx.execute(
                    "INSERT INTO tax_rates (bp, name, active, updated_at) VALUES (?, ?, 1, ?)",
                    params![bp, name, now],
                )?;
                append_change(tx, Entity::TaxRate, &bp.to_string(), &t.body(), None)?;
            }
            Ok(())
        })
        .await
    }

    #[instrument(skip_all)]
    async fn identity(&self) -> Result<HqIdentity, StorageError> {
        let place = self.inner.path.display().to_string();
        self.read(move |c| {
            let row: Option<(String, String)> = c
                .query_row("SELECT hq_id, name FROM hq WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let (id, name) = row.ok_or(StorageError::NotInitialised { place })?;
            Ok(HqIdentity { id: uuid(&id)?, name })
        })
        .await
    }

    #[instrument(skip_all)]
    async fn admin_password_hash(&self, user: &str) -> Result<Option<String>, StorageError> {
        let user = user.to_string();
        self.read(move |c| {
            Ok(c.query_row("SELECT password_hash FROM admins WHERE user = ?", [user], |r| r.get(0)).optional()?)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn create_api_token(&self, name: &str, token: &SecretRecord) -> Result<(), StorageError> {
        let (name, token) = (name.to_string(), token.clone());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO api_tokens (id, name, hash, created_at) VALUES (?, ?, ?, ?)",
                params![token.id, name, token.hash, token.created_at],
            )?;
            Ok(())
        })
        .await
    }

    #[instrument(skip_all)]
    async fn api_token(&self, id: &str) -> Result<Option<(String, String)>, StorageError> {
        let id = id.to_string();
        self.read(move |c| {
            Ok(c.query_row("SELECT name, hash FROM api_tokens WHERE id = ?", [id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?)
        })
        .await
    }
}
