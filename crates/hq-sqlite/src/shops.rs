//! Shops, enrolment tokens, credentials and the health shops report.

use super::*;
use async_trait::async_trait;
use comptoir_hq::storage::*;
use comptoir_hq::sync::{EnrolmentToken, enrolment};
use comptoir_protocol::ShopIdentity;
use rusqlite::{OptionalExtension, params};
use tracing::instrument;

const SHOP_COLUMNS: &str =
    "s.code, s.name, s.postal_code, s.created_at, s.enrolled_at IS NOT NULL, s.revoked, s.last_contact,
    s.version, s.unsent, s.oldest_unsent_seconds, s.health_at, s.cursor, s.chain_ok,
    (SELECT COUNT(*) FROM quarantine q WHERE q.shop = s.code)";

fn shop_from_row(r: &rusqlite::Row) -> rusqlite::Result<ShopRecord> {
    Ok(ShopRecord {
        code: r.get(0)?,
        name: r.get(1)?,
        postal_code: r.get(2)?,
        created_at: r.get(3)?,
        enrolled: r.get(4)?,
        revoked: r.get(5)?,
        last_contact: r.get(6)?,
        version: r.get(7)?,
        unsent: r.get(8)?,
        oldest_unsent_seconds: r.get(9)?,
        health_at: r.get(10)?,
        cursor: r.get(11)?,
        chain_ok: r.get(12)?,
        quarantined: r.get(13)?,
    })
}

fn insert_token(c: &Connection, code: &str, token: &SecretRecord) -> R<()> {
    c.execute("UPDATE enrolment_tokens SET voided = 1 WHERE shop = ? AND used_at IS NULL", [code])?;
    c.execute(
        "INSERT INTO enrolment_tokens (hash, shop, created_at, expires_at) VALUES (?, ?, ?, ?)",
        params![token.hash, code, token.created_at, token.expires_at.clone().unwrap_or_default()],
    )?;
    Ok(())
}

#[async_trait]
impl ShopStorage for SqliteStorage {
    #[instrument(skip_all)]
    async fn create_shop(&self, shop: &ShopIdentity, token: &SecretRecord) -> Result<ShopRecord, StorageError> {
        let (shop, token) = (shop.clone(), token.clone());
        self.write(move |tx| {
            // `paris1` is taken by `PARIS1`: codes are unique without case.
            let held: Option<String> = tx
                .query_row("SELECT code FROM shops WHERE code = ? COLLATE NOCASE", [&shop.code], |r| r.get(0))
                .optional()?;
            if let Some(key) = held {
                return Err(StorageError::AlreadyExists { what: "shop", key, field: Some("code".into()) }.into());
            }
            tx.execute(
                "INSERT INTO shops (code, name, postal_code, created_at) VALUES (?, ?, ?, ?)",
                params![shop.code, shop.name, shop.postal_code, now_text()],
            )?;
            stock::shop_added(tx, &shop.code, &shop.name)?;
            insert_token(tx, &shop.code, &token)?;
            Ok(tx.query_row(
                &format!("SELECT {SHOP_COLUMNS} FROM shops s WHERE code = ?"),
                [&shop.code],
                shop_from_row,
            )?)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn issue_enrolment_token(&self, code: &str, token: &SecretRecord) -> Result<(), StorageError> {
        let (code, token) = (code.to_string(), token.clone());
        self.write(move |tx| {
            if !shop_exists(tx, &code)? {
                return Err(StorageError::NotFound { what: "shop", key: code, field: None }.into());
            }
            insert_token(tx, &code, &token)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn revoke_shop(&self, code: &str) -> Result<(), StorageError> {
        let code = code.to_string();
        self.write(move |tx| {
            if !shop_exists(tx, &code)? {
                return Err(StorageError::NotFound { what: "shop", key: code, field: None }.into());
            }
            let now = now_text();
            tx.execute("UPDATE shops SET revoked = 1 WHERE code = ?", [&code])?;
            tx.execute(
                "UPDATE credentials SET revoked_at = ? WHERE shop = ? AND revoked_at IS NULL",
                params![now, code],
            )?;
            Ok(())
        })
        .await
    }

    #[instrument(skip_all)]
    async fn list_shops(&self) -> Result<Vec<ShopRecord>, StorageError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {SHOP_COLUMNS} FROM shops s ORDER BY code"))?;
            Ok(stmt.query_map([], shop_from_row)?.collect::<Result<_, _>>()?)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn enrol(
        &self,
        token_hash: &str,
        now: &str,
        credential: &SecretRecord,
        request: Option<&str>,
    ) -> Result<ShopIdentity, StorageError> {
        let (hash, now, cred) = (token_hash.to_string(), now.to_string(), credential.clone());
        let request = request.map(str::to_string);
        self.write(move |tx| {
            let row = tx
                .query_row(
                    "SELECT t.shop, t.expires_at, t.used_at, t.voided, r.request, s.revoked, s.enrolled_at
                     FROM enrolment_tokens t JOIN shops s ON s.code = t.shop
                     LEFT JOIN enrolment_requests r ON r.token = t.hash WHERE t.hash = ?",
                    [&hash],
                    |r| {
                        let token = EnrolmentToken {
                            expires_at: r.get(1)?,
                            used_at: r.get(2)?,
                            voided: r.get(3)?,
                            request: r.get(4)?,
                            shop_revoked: r.get(5)?,
                            enrolled_at: r.get(6)?,
                        };
                        Ok((r.get::<_, String>(0)?, token))
                    },
                )
                .optional()?;
            let shop = match row {
                Some((shop, token)) if enrolment(&token, &now, request.as_deref()).is_some() => shop,
                _ => return Err(StorageError::EnrolmentTokenRefused.into()),
            };
            tx.execute("UPDATE enrolment_tokens SET used_at = ? WHERE hash = ?", params![now, hash])?;
            tx.execute("DELETE FROM enrolment_requests WHERE token = ?", [&hash])?;
            if let Some(request) = &request {
                tx.execute("INSERT INTO enrolment_requests (token, request) VALUES (?, ?)", params![hash, request])?;
            }
            tx.execute(
                "UPDATE credentials SET revoked_at = ? WHERE shop = ? AND revoked_at IS NULL",
                params![now, shop],
            )?;
            tx.execute(
                "INSERT INTO credentials (id, shop, hash, created_at) VALUES (?, ?, ?, ?)",
                params![cred.id, shop, cred.hash, cred.created_at],
            )?;
            tx.execute("UPDATE shops SET revoked = 0, enrolled_at = ? WHERE code = ?", params![now, shop])?;
            Ok(tx.query_row("SELECT code, name, postal_code FROM shops WHERE code = ?", [&shop], |r| {
                Ok(ShopIdentity { code: r.get(0)?, name: r.get(1)?, postal_code: r.get(2)? })
            })?)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn credential(&self, id: &str) -> Result<Option<CredentialCheck>, StorageError> {
        let id = id.to_string();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT c.shop, c.hash, c.revoked_at IS NOT NULL OR s.revoked FROM credentials c JOIN shops s ON s.code = c.shop WHERE c.id = ?",
                [id],
                |r| Ok(CredentialCheck { shop: r.get(0)?, hash: r.get(1)?, revoked: r.get(2)? }),
            )
            .optional()?)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn record_contact(&self, shop: &str, h: &ShopHealth) -> Result<(), StorageError> {
        let (shop, h) = (shop.to_string(), h.clone());
        self.write(move |tx| {
            tx.execute(
                "UPDATE shops SET last_contact = ?1, version = COALESCE(?2, version), unsent = COALESCE(?3, unsent),
                     oldest_unsent_seconds = CASE WHEN ?3 IS NULL THEN oldest_unsent_seconds ELSE ?4 END,
                     health_at = CASE WHEN ?3 IS NULL THEN health_at ELSE ?1 END,
                     cursor = COALESCE(?5, cursor)
                 WHERE code = ?6",
                params![h.at, h.version, h.unsent, h.oldest_unsent_seconds, h.cursor, shop],
            )?;
            Ok(())
        })
        .await
    }
}
