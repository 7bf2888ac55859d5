//! Shops, enrolment tokens, credentials and the health shops report.

use super::*;
use async_trait::async_trait;
use comptoir_hq::storage::*;
use comptoir_hq::sync::{EnrolmentToken, enrolment};
use comptoir_protocol::ShopIdentity;
use tokio_postgres::Row;
use tracing::instrument;

fn shop_from_row(r: &Row) -> ShopRecord {
    ShopRecord {
        code: r.get(0),
        name: r.get(1),
        postal_code: r.get(2),
        created_at: r.get(3),
        enrolled: r.get(4),
        revoked: r.get(5),
        last_contact: r.get(6),
        version: r.get(7),
        unsent: r.get(8),
        oldest_unsent_seconds: r.get(9),
        health_at: r.get(10),
        cursor: r.get(11),
        chain_ok: r.get(12),
        quarantined: r.get(13),
    }
}

async fn insert_token(c: &impl GenericClient, code: &str, token: &SecretRecord) -> R<()> {
    c.execute("UPDATE enrolment_tokens SET voided = TRUE WHERE shop = $1 AND used_at IS NULL", &[&code]).await?;
    c.execute(
        "INSERT INTO enrolment_tokens (hash, shop, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        &[&token.hash, &code, &token.created_at, &token.expires_at.clone().unwrap_or_default()],
    )
    .await?;
    Ok(())
}

const SHOP_COLUMNS: &str =
    "s.code, s.name, s.postal_code, s.created_at, s.enrolled_at IS NOT NULL, s.revoked, s.last_contact,
    s.version, s.unsent, s.oldest_unsent_seconds, s.health_at, s.cursor, s.chain_ok,
    (SELECT COUNT(*) FROM quarantine q WHERE q.shop = s.code)";

#[async_trait]
impl ShopStorage for PostgresStorage {
    #[instrument(skip_all)]
    async fn create_shop(&self, shop: &ShopIdentity, token: &SecretRecord) -> Result<ShopRecord, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        // `paris1` is taken by `PARIS1`: codes are unique without case.
        let held = tx
            .query_opt("SELECT code FROM shops WHERE lower(code) = lower($1)", &[&shop.code])
            .await
            .map_err(Fail::from)?;
        if let Some(row) = held {
            return Err(StorageError::AlreadyExists { what: "shop", key: row.get(0), field: Some("code".into()) });
        }
        tx.execute(
            "INSERT INTO shops (code, name, postal_code, created_at) VALUES ($1, $2, $3, $4)",
            &[&shop.code, &shop.name, &shop.postal_code, &now_text()],
        )
        .await
        .map_err(Fail::from)?;
        stock::shop_added(&*tx, &shop.code, &shop.name).await?;
        insert_token(&*tx, &shop.code, token).await?;
        let row = tx
            .query_one(&format!("SELECT {SHOP_COLUMNS} FROM shops s WHERE code = $1"), &[&shop.code])
            .await
            .map_err(Fail::from)?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(shop_from_row(&row))
    }

    #[instrument(skip_all)]
    async fn issue_enrolment_token(&self, code: &str, token: &SecretRecord) -> Result<(), StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        if !shop_exists(&*tx, code).await? {
            return Err(StorageError::NotFound { what: "shop", key: code.to_string(), field: None });
        }
        insert_token(&*tx, code, token).await?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn revoke_shop(&self, code: &str) -> Result<(), StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        if !shop_exists(&*tx, code).await? {
            return Err(StorageError::NotFound { what: "shop", key: code.to_string(), field: None });
        }
        let now = now_text();
        tx.execute("UPDATE shops SET revoked = TRUE WHERE code = $1", &[&code]).await.map_err(Fail::from)?;
        tx.execute("UPDATE credentials SET revoked_at = $1 WHERE shop = $2 AND revoked_at IS NULL", &[&now, &code])
            .await
            .map_err(Fail::from)?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn list_shops(&self) -> Result<Vec<ShopRecord>, StorageError> {
        let client = self.conn().await?;
        let rows = client
            .query(&format!("SELECT {SHOP_COLUMNS} FROM shops s ORDER BY code"), &[])
            .await
            .map_err(Fail::from)?;
        Ok(rows.iter().map(shop_from_row).collect())
    }

    #[instrument(skip_all)]
    async fn enrol(
        &self,
        token_hash: &str,
        now: &str,
        credential: &SecretRecord,
        request: Option<&str>,
    ) -> Result<ShopIdentity, StorageError> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        lock_writes(&*tx).await?;
        let row = tx
            .query_opt(
                "SELECT t.shop, t.expires_at, t.used_at, t.voided, r.request, s.revoked, s.enrolled_at
                 FROM enrolment_tokens t JOIN shops s ON s.code = t.shop
                 LEFT JOIN enrolment_requests r ON r.token = t.hash WHERE t.hash = $1",
                &[&token_hash],
            )
            .await
            .map_err(Fail::from)?;
        let Some(row) = row else { return Err(StorageError::EnrolmentTokenRefused) };
        let shop: String = row.get(0);
        let token = EnrolmentToken {
            expires_at: row.get(1),
            used_at: row.get(2),
            voided: row.get(3),
            request: row.get(4),
            shop_revoked: row.get(5),
            enrolled_at: row.get(6),
        };
        if enrolment(&token, now, request).is_none() {
            return Err(StorageError::EnrolmentTokenRefused);
        }
        tx.execute("UPDATE enrolment_tokens SET used_at = $1 WHERE hash = $2", &[&now, &token_hash])
            .await
            .map_err(Fail::from)?;
        tx.execute("DELETE FROM enrolment_requests WHERE token = $1", &[&token_hash]).await.map_err(Fail::from)?;
        if let Some(request) = request {
            tx.execute("INSERT INTO enrolment_requests (token, request) VALUES ($1, $2)", &[&token_hash, &request])
                .await
                .map_err(Fail::from)?;
        }
        tx.execute("UPDATE credentials SET revoked_at = $1 WHERE shop = $2 AND revoked_at IS NULL", &[&now, &shop])
            .await
            .map_err(Fail::from)?;
        tx.execute(
            "INSERT INTO credentials (id, shop, hash, created_at) VALUES ($1, $2, $3, $4)",
            &[&credential.id, &shop, &credential.hash, &credential.created_at],
        )
        .await
        .map_err(Fail::from)?;
        tx.execute("UPDATE shops SET revoked = FALSE, enrolled_at = $1 WHERE code = $2", &[&now, &shop])
            .await
            .map_err(Fail::from)?;
        let r = tx
            .query_one("SELECT code, name, postal_code FROM shops WHERE code = $1", &[&shop])
            .await
            .map_err(Fail::from)?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(ShopIdentity { code: r.get(0), name: r.get(1), postal_code: r.get(2) })
    }

    #[instrument(skip_all)]
    async fn credential(&self, id: &str) -> Result<Option<CredentialCheck>, StorageError> {
        let client = self.conn().await?;
        Ok(client
            .query_opt(
                "SELECT c.shop, c.hash, c.revoked_at IS NOT NULL OR s.revoked FROM credentials c JOIN shops s ON s.code = c.shop WHERE c.id = $1",
                &[&id],
            )
            .await
            .map_err(Fail::from)?
            .map(|r| CredentialCheck { shop: r.get(0), hash: r.get(1), revoked: r.get(2) }))
    }

    #[instrument(skip_all)]
    async fn record_contact(&self, shop: &str, h: &ShopHealth) -> Result<(), StorageError> {
        let client = self.conn().await?;
        client
            .execute(
                "UPDATE shops SET last_contact = $1, version = COALESCE($2, version), unsent = COALESCE($3, unsent),
                     oldest_unsent_seconds = CASE WHEN $3::bigint IS NULL THEN oldest_unsent_seconds ELSE $4 END,
                     health_at = CASE WHEN $3::bigint IS NULL THEN health_at ELSE $1 END,
                     cursor = COALESCE($5, cursor)
                 WHERE code = $6",
                &[&h.at, &h.version, &h.unsent, &h.oldest_unsent_seconds, &h.cursor, &shop],
            )
            .await
            .map_err(Fail::from)?;
        Ok(())
    }
}
