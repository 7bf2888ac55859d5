//! HQ's identity, its admins and their API tokens.

use super::*;
use async_trait::async_trait;
use comptoir_hq::storage::*;
use comptoir_protocol::HqIdentity;
use tracing::instrument;

#[async_trait]
impl AdminStorage for PostgresStorage {
    #[instrument(skip_all)]
    async fn initialise(
        &self,
        hq: &HqIdentity,
        admin_user: &str,
        admin_password_hash: &str,
    ) -> Result<(), StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        if exists(&*tx, "SELECT 1 FROM hq", &[]).await? {
            return Err(StorageError::AlreadyInitialised { place: self.place.clone() });
        }
        let now = now_text();
        tx.execute(
            "INSERT INTO hq (id, hq_id, name, created_at) VALUES (1, $1, $2, $3)",
            &[&hq.id.to_string(), &hq.name, &now],
        )
        .await
        .map_err(Fail::from)?;
        tx.execute(
            "INSERT INTO admins (\"user\", password_hash, created_at) VALUES ($1, $2, $3)",
            &[&admin_user, &admin_password_hash, &now],
        )
        .await
        .map_err(Fail::from)?;
        for (bp, name) in comptoir_core::TaxRate::FRENCH {
            let t = TaxRateView { bp, name: name.into(), active: true };
            tx.execute(
                "INSERT INTO tax_rates (bp, name, active, updated_at) VALUES ($1, $2, TRUE, $3)",
                &[&(bp as i32), &name, &now],
            )
            .await
            .map_err(Fail::from)?;
            append_change(&*tx, Entity::TaxRate, &bp.to_string(), &t.body(), None).await?;
        }
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn identity(&self) -> Result<HqIdentity, StorageError> {
        let client = self.conn().await?;
        let row = client.query_opt("SELECT hq_id, name FROM hq WHERE id = 1", &[]).await.map_err(Fail::from)?;
        let row = row.ok_or_else(|| StorageError::NotInitialised { place: self.place.clone() })?;
        Ok(HqIdentity { id: uuid(row.get(0))?, name: row.get(1) })
    }

    #[instrument(skip_all)]
    async fn admin_password_hash(&self, user: &str) -> Result<Option<String>, StorageError> {
        let client = self.conn().await?;
        Ok(client
            .query_opt("SELECT password_hash FROM admins WHERE \"user\" = $1", &[&user])
            .await
            .map_err(Fail::from)?
            .map(|r| r.get(0)))
    }

    #[instrument(skip_all)]
    async fn create_api_token(&self, name: &str, token: &SecretRecord) -> Result<(), StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        tx.execute(
            "INSERT INTO api_tokens (id, name, hash, created_at) VALUES ($1, $2, $3, $4)",
            &[&token.id, &name, &token.hash, &token.created_at],
        )
        .await
        .map_err(Fail::from)?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn api_token(&self, id: &str) -> Result<Option<(String, String)>, StorageError> {
        let client = self.conn().await?;
        Ok(client
            .query_opt("SELECT name, hash FROM api_tokens WHERE id = $1", &[&id])
            .await
            .map_err(Fail::from)?
            .map(|r| (r.get(0), r.get(1))))
    }
}
