//! Connecting, creating and migrating the database (see the crate's documentation).

use super::*;
use comptoir_hq::HqError;
use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};
use std::str::FromStr;
use tokio_postgres::NoTls;

/// The URL with its password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((auth, host)) = rest.rsplit_once('@')
        && let Some((user, _)) = auth.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    match url.find("password=") {
        Some(i) => {
            let end = url[i..].find(' ').map(|j| i + j).unwrap_or(url.len());
            format!("{}password=***{}", &url[..i], &url[end..])
        }
        None => url.to_string(),
    }
}

fn url_error(url: &str, en: String, fr: String) -> HqError {
    HqError::DatabaseUrl { url: redact(url), en, fr }
}

impl PostgresStorage {
    /// Makes the schema of a new HQ in an **empty** database (which must exist); refuses a
    /// database that already holds an HQ, or other tables.
    pub async fn create(url: &str) -> Result<PostgresStorage, HqError> {
        let storage = Self::connect(url).await?;
        let client = storage.pool.get().await.map_err(Fail::from)?;
        let tables: Vec<String> = client
            .query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()", &[])
            .await
            .map_err(Fail::from)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if tables.iter().any(|t| t == "comptoir_schema") {
            return Err(HqError::AlreadyInitialised { place: storage.place.clone() });
        }
        if !tables.is_empty() {
            return Err(url_error(
                url,
                format!(
                    "the database is not empty ({} tables, e.g. {}) and holds no Comptoir HQ; give `hq init` an empty database (createdb ...)",
                    tables.len(),
                    tables[0]
                ),
                format!(
                    "la base n'est pas vide ({} tables, p. ex. {}) et ne contient pas de siège Comptoir ; donnez à `hq init` une base vide (createdb ...)",
                    tables.len(),
                    tables[0]
                ),
            ));
        }
        drop(client);
        storage.migrate().await?;
        Ok(storage)
    }

    /// Opens an existing HQ's database and brings its schema up to date; refuses a database
    /// without Comptoir's schema (never makes an empty HQ somewhere unexpected) and one whose
    /// schema is newer than this program.
    pub async fn open(url: &str) -> Result<PostgresStorage, HqError> {
        let storage = Self::connect(url).await?;
        let client = storage.pool.get().await.map_err(Fail::from)?;
        let has_schema: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'comptoir_schema')",
                &[],
            )
            .await
            .map_err(Fail::from)?
            .get(0);
        if !has_schema {
            return Err(HqError::NotInitialised { place: storage.place.clone() });
        }
        drop(client);
        storage.migrate().await?;
        Ok(storage)
    }

    /// Where this HQ lives: the URL, password hidden.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// Parses the URL and makes one connection, so that every mistake shows at start.
    async fn connect(url: &str) -> Result<PostgresStorage, HqError> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
            url_error(
                url,
                format!("not a PostgreSQL URL ({e}); write postgres://user:password@host:5432/database"),
                format!("pas une URL PostgreSQL ({e}) ; écrivez postgres://utilisateur:motdepasse@hote:5432/base"),
            )
        })?;
        if config.get_dbname().is_none() {
            return Err(url_error(
                url,
                "no database name; write postgres://user:password@host:5432/database".into(),
                "aucun nom de base ; écrivez postgres://utilisateur:motdepasse@hote:5432/base".into(),
            ));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("comptoir-hq");
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(POOL_MAX)
            .build()
            .map_err(|e| HqError::Storage(format!("PostgreSQL pool: {e}")))?;
        let storage = PostgresStorage { pool, place: redact(url) };
        match storage.pool.get().await {
            Ok(_) => Ok(storage),
            Err(deadpool_postgres::PoolError::Backend(e)) => {
                let missing_db = e.as_db_error().is_some_and(|d| d.code().code() == "3D000");
                let cause = db_text(&e);
                if missing_db {
                    Err(url_error(
                        url,
                        format!(
                            "{cause}; Comptoir never creates a database: create it first (createdb), or fix the name"
                        ),
                        format!(
                            "{cause} ; Comptoir ne crée jamais de base : créez-la d'abord (createdb), ou corrigez le nom"
                        ),
                    ))
                } else {
                    Err(url_error(
                        url,
                        format!(
                            "cannot connect to PostgreSQL ({cause}); check the host, port, user and password, and that the server runs"
                        ),
                        format!(
                            "connexion à PostgreSQL impossible ({cause}) ; vérifiez l'hôte, le port, l'utilisateur et le mot de passe, et que le serveur tourne"
                        ),
                    ))
                }
            }
            Err(e) => Err(url_error(
                url,
                format!("cannot connect to PostgreSQL ({e})"),
                format!("connexion à PostgreSQL impossible ({e})"),
            )),
        }
    }

    async fn migrate(&self) -> Result<(), HqError> {
        let mut client = self.pool.get().await.map_err(Fail::from)?;
        let tx = client.transaction().await.map_err(Fail::from)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(Fail::from)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS comptoir_schema (version BIGINT NOT NULL)")
            .await
            .map_err(Fail::from)?;
        let current: Option<i64> =
            tx.query_opt("SELECT version FROM comptoir_schema", &[]).await.map_err(Fail::from)?.map(|r| r.get(0));
        let current = current.unwrap_or(0);
        if current > SCHEMA_VERSION {
            return Err(HqError::SchemaTooNew { found: current, supported: SCHEMA_VERSION });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.batch_execute(sql).await.map_err(Fail::from)?;
            tracing::info!(version = i + 1, "HQ database schema migrated");
        }
        tx.execute("DELETE FROM comptoir_schema", &[]).await.map_err(Fail::from)?;
        tx.execute("INSERT INTO comptoir_schema (version) VALUES ($1)", &[&SCHEMA_VERSION.max(current)])
            .await
            .map_err(Fail::from)?;
        tx.commit().await.map_err(Fail::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(redact("postgres://hq:s3cret@db:5432/hq"), "postgres://hq:***@db:5432/hq");
        assert_eq!(redact("postgres://hq@db/hq"), "postgres://hq@db/hq");
        assert_eq!(redact("host=db password=s3cret dbname=hq"), "host=db password=*** dbname=hq");
    }
}
