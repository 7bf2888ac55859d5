//! HQ storage on SQLite: one file (`hq.sqlite`), the default for a small chain.
//!
//! Same durability as the shop's store: WAL journal, `synchronous = FULL` (the WAL is
//! fsynced at every commit, so a push HQ acknowledged survives a power cut), foreign keys
//! on, a 10 s busy timeout. Writes go through one connection behind a mutex, each in a
//! `BEGIN IMMEDIATE` transaction: that single writer is also what makes feed sequence
//! numbers follow commit order. Reads use a small pool of other connections. A CLI command
//! writing while the server runs is serialised by SQLite's own lock.
//!
//! Migrations in `migrations/` are embedded and applied at every open; the version lives in
//! `user_version`, and a database newer than the program is refused, not touched.
//! [`SqliteStorage::open`] refuses a missing file; only [`SqliteStorage::create`] makes one.
#![forbid(unsafe_code)]

mod customers;
mod dashboard;

use async_trait::async_trait;
use comptoir_core::Money;
use comptoir_core::customer::LoyaltyRule;
use comptoir_hq::HqError;
use comptoir_hq::storage::*;
use comptoir_hq::sync::{chain_step, now_text};
use comptoir_protocol::{
    Change, CustomerBody, Entity, HqIdentity, JobBody, JobKind, JobReport, JobState, LoyaltyEntryBody, MessageBody,
    OfferBody, PushOutcome, Quarantined, Record, ShopIdentity,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tracing::instrument;
use uuid::Uuid;

mod stock;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_hq.sql"),
    include_str!("../migrations/0002_dashboard.sql"),
    include_str!("../migrations/0003_customers.sql"),
    include_str!("../migrations/0004_stock.sql"),
];
/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;
/// The database file's name inside an HQ data directory.
pub const DB_FILE: &str = "hq.sqlite";
const READ_POOL_MAX: usize = 8;

/// An error inside this crate: a database failure or an HQ refusal.
enum Fail {
    Db(rusqlite::Error),
    Hq(HqError),
}
impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Db(e)
    }
}
impl From<HqError> for Fail {
    fn from(e: HqError) -> Self {
        Fail::Hq(e)
    }
}
impl From<serde_json::Error> for Fail {
    fn from(e: serde_json::Error) -> Self {
        Fail::Hq(HqError::Storage(format!("JSON: {e}")))
    }
}
impl From<Fail> for HqError {
    fn from(f: Fail) -> HqError {
        match f {
            Fail::Db(e) => HqError::Storage(e.to_string()),
            Fail::Hq(e) => e,
        }
    }
}
type R<T> = Result<T, Fail>;

fn uuid(text: &str) -> R<Uuid> {
    Uuid::parse_str(text).map_err(|e| Fail::Hq(HqError::Storage(format!("stored id {text}: {e}"))))
}

#[derive(Clone)]
pub struct SqliteStorage {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> R<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(HqError::SchemaTooNew { found: current, supported: SCHEMA_VERSION }.into());
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "HQ database schema migrated");
    }
    Ok(())
}

impl SqliteStorage {
    /// Creates the database file; refuses when one is already there.
    pub fn create(path: &Path) -> Result<SqliteStorage, HqError> {
        if path.exists() {
            return Err(HqError::AlreadyInitialised { place: path.display().to_string() });
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        Self::open_path(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)
    }

    /// Opens an existing HQ database and brings its schema up to date; refuses a missing
    /// file rather than creating an empty HQ somewhere unexpected.
    pub fn open(path: &Path) -> Result<SqliteStorage, HqError> {
        if !path.exists() {
            return Err(HqError::NotInitialised { place: path.display().to_string() });
        }
        Self::open_path(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
    }

    fn open_path(path: &Path, flags: OpenFlags) -> Result<SqliteStorage, HqError> {
        let flags = flags | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut writer = Connection::open_with_flags(path, flags).map_err(Fail::from)?;
        configure(&writer).map_err(Fail::from)?;
        migrate(&mut writer)?;
        Ok(SqliteStorage {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the writer: committed when `f`
    /// succeeds, rolled back otherwise.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> R<T> + Send + 'static,
    ) -> Result<T, HqError> {
        let inner = self.inner.clone();
        blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
    }

    /// Runs `f` on a pooled read connection.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> R<T> + Send + 'static,
    ) -> Result<T, HqError> {
        let inner = self.inner.clone();
        blocking(move || {
            let pooled = inner.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let conn = match pooled {
                Some(c) => c,
                None => {
                    let c = Connection::open_with_flags(
                        &inner.path,
                        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )?;
                    configure(&c)?;
                    c
                }
            };
            let result = f(&conn);
            let mut pool = inner.readers.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < READ_POOL_MAX {
                pool.push(conn);
            }
            result
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> R<T> + Send + 'static) -> Result<T, HqError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(HqError::from),
        Err(e) => Err(HqError::Storage(format!("database task failed: {e}"))),
    }
}

// ---------------------------------------------------------------- helpers in a transaction

fn append_change(
    c: &Connection,
    entity: Entity,
    key: &str,
    body: &impl serde::Serialize,
    shop: Option<&str>,
) -> R<i64> {
    c.execute(
        "INSERT INTO changes (entity, key, body, shop, created_at) VALUES (?, ?, ?, ?, ?)",
        params![entity.as_str(), key, serde_json::to_string(body)?, shop, now_text()],
    )?;
    Ok(c.last_insert_rowid())
}

fn tax_rates(c: &Connection) -> R<Vec<TaxRateView>> {
    let mut stmt = c.prepare_cached("SELECT bp, name, active FROM tax_rates ORDER BY bp DESC")?;
    let rows = stmt.query_map([], |r| Ok(TaxRateView { bp: r.get(0)?, name: r.get(1)?, active: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn categories(c: &Connection) -> R<Vec<Category>> {
    let mut stmt = c.prepare_cached("SELECT code, name, active FROM categories ORDER BY code")?;
    let rows = stmt.query_map([], |r| Ok(Category { code: r.get(0)?, name: r.get(1)?, active: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn create_category_in(c: &Connection, cat: &Category) -> R<Category> {
    let exists: bool =
        c.query_row("SELECT EXISTS(SELECT 1 FROM categories WHERE code = ?)", [&cat.code], |r| r.get(0))?;
    if exists {
        return Err(
            HqError::AlreadyExists { what: "category", key: cat.code.clone(), field: Some("code".into()) }.into()
        );
    }
    c.execute(
        "INSERT INTO categories (code, name, active, updated_at) VALUES (?, ?, ?, ?)",
        params![cat.code, cat.name, cat.active, now_text()],
    )?;
    append_change(c, Entity::Category, &cat.code, &cat.body(), None)?;
    Ok(cat.clone())
}

const ARTICLE_COLUMNS: &str = "id, sku, name, category, tax_rate_bp, price, web, active, updated_at";

fn article_from_row(c: &Connection, r: &rusqlite::Row) -> R<Article> {
    let id: String = r.get(0)?;
    let id = uuid(&id)?;
    Ok(Article {
        id,
        sku: r.get(1)?,
        name: r.get(2)?,
        category: r.get(3)?,
        tax_rate_bp: r.get(4)?,
        price: Money(r.get(5)?),
        barcodes: barcodes_of(c, &id)?,
        web: r.get(6)?,
        active: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

fn barcodes_of(c: &Connection, id: &Uuid) -> R<Vec<String>> {
    let mut stmt = c.prepare_cached("SELECT code FROM barcodes WHERE article_id = ? ORDER BY rowid")?;
    let rows = stmt.query_map([id.to_string()], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn article_by(c: &Connection, column: &str, value: &str) -> R<Option<Article>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE {column} = ?"))?;
    let mut rows = stmt.query([value])?;
    match rows.next()? {
        Some(r) => Ok(Some(article_from_row(c, r)?)),
        None => Ok(None),
    }
}

fn usable_tax_rate(c: &Connection, rate: comptoir_core::TaxRate) -> R<u32> {
    let active: Option<bool> =
        c.query_row("SELECT active FROM tax_rates WHERE bp = ?", [rate.bp()], |r| r.get(0)).optional()?;
    let key = format!("{} %", rate.percent_text());
    match active {
        Some(true) => Ok(rate.bp()),
        Some(false) => Err(HqError::Inactive { what: "tax rate", key, field: Some("tax_rate_bp".into()) }.into()),
        None => Err(HqError::NotFound { what: "tax rate", key, field: Some("tax_rate_bp".into()) }.into()),
    }
}

/// The category an article may use; with `create`, an unknown code is created (CSV import).
fn known_category(c: &Connection, code: &str, create: bool, created: &mut Vec<String>) -> R<String> {
    let exists: bool = c.query_row("SELECT EXISTS(SELECT 1 FROM categories WHERE code = ?)", [code], |r| r.get(0))?;
    if !exists {
        if !create {
            return Err(HqError::NotFound { what: "category", key: code.into(), field: Some("category".into()) }.into());
        }
        create_category_in(c, &Category { code: code.into(), name: code.into(), active: true })?;
        created.push(code.into());
    }
    Ok(code.into())
}

fn check_barcodes(c: &Connection, codes: &[String], owner: Option<&Uuid>) -> R<()> {
    for (i, code) in codes.iter().enumerate() {
        let holder: Option<String> = c
            .query_row(
                "SELECT a.sku FROM barcodes b JOIN articles a ON a.id = b.article_id WHERE b.code = ?1 AND (?2 IS NULL OR a.id <> ?2)",
                params![code, owner.map(|u| u.to_string())],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(sku) = holder {
            return Err(HqError::conflict(
                format!("Barcode {code} already belongs to article {sku}; a barcode identifies one article."),
                format!(
                    "Le code-barres {code} appartient déjà à l'article {sku} ; un code-barres désigne un seul article."
                ),
                Some(&format!("barcodes[{i}]")),
            )
            .into());
        }
    }
    Ok(())
}

fn store_article(c: &Connection, a: &Article, insert: bool) -> R<()> {
    if insert {
        c.execute(
            &format!("INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            params![
                a.id.to_string(),
                a.sku,
                a.name,
                a.category,
                a.tax_rate_bp,
                a.price.cents(),
                a.web,
                a.active,
                a.updated_at
            ],
        )?;
    } else {
        c.execute(
            "UPDATE articles SET name = ?, category = ?, tax_rate_bp = ?, price = ?, web = ?, active = ?, updated_at = ? WHERE id = ?",
            params![a.name, a.category, a.tax_rate_bp, a.price.cents(), a.web, a.active, a.updated_at, a.id.to_string()],
        )?;
    }
    c.execute("DELETE FROM barcodes WHERE article_id = ?", [a.id.to_string()])?;
    let mut stmt = c.prepare_cached("INSERT INTO barcodes (code, article_id) VALUES (?, ?)")?;
    for code in &a.barcodes {
        stmt.execute(params![code, a.id.to_string()])?;
    }
    append_change(c, Entity::Article, &a.id.to_string(), &a.body(), None)?;
    Ok(())
}

/// One article write; returns the article and whether it was created.
fn write_article(c: &Connection, write: ArticleWrite, cats: &mut Vec<String>) -> R<(Article, bool)> {
    let now = now_text();
    let (sku, update, upsert) = match write {
        ArticleWrite::Create { sku, name, price, tax_rate, barcodes, category, web } => {
            let tax_rate_bp = usable_tax_rate(c, tax_rate)?;
            let category = category.map(|code| known_category(c, &code, false, cats)).transpose()?;
            if article_by(c, "sku", &sku)?.is_some() {
                return Err(HqError::AlreadyExists { what: "article", key: sku, field: Some("sku".into()) }.into());
            }
            check_barcodes(c, &barcodes, None)?;
            let a = Article {
                id: Uuid::now_v7(),
                sku,
                name,
                category,
                tax_rate_bp,
                price,
                barcodes,
                web,
                active: true,
                updated_at: now,
            };
            store_article(c, &a, true)?;
            return Ok((a, true));
        }
        ArticleWrite::Update { sku, update } => (sku, update, false),
        ArticleWrite::Upsert { sku, update } => (sku, update, true),
    };
    let (mut a, created) = match article_by(c, "sku", &sku)? {
        Some(a) => (a, false),
        None if upsert => {
            let (Some(name), Some(price), Some(rate)) = (update.name.clone(), update.price, update.tax_rate) else {
                return Err(HqError::bad_request(
                    "A new article needs a name, a price and a tax rate.",
                    "Un nouvel article demande un nom, un prix et un taux de TVA.",
                    Some("name"),
                )
                .into());
            };
            let a = Article {
                id: Uuid::now_v7(),
                sku: sku.clone(),
                name,
                category: None,
                tax_rate_bp: rate.bp(),
                price,
                barcodes: Vec::new(),
                web: false,
                active: true,
                updated_at: now.clone(),
            };
            (a, true)
        }
        None => return Err(HqError::NotFound { what: "article", key: sku, field: None }.into()),
    };
    if let Some(name) = update.name {
        a.name = name;
    }
    if let Some(price) = update.price {
        a.price = price;
    }
    if let Some(rate) = update.tax_rate {
        a.tax_rate_bp = usable_tax_rate(c, rate)?;
    } else if created {
        usable_tax_rate(c, comptoir_core::TaxRate(a.tax_rate_bp))?;
    }
    if let Some(category) = update.category {
        a.category = category.map(|code| known_category(c, &code, upsert, cats)).transpose()?;
    }
    if let Some(web) = update.web {
        a.web = web;
    }
    if let Some(active) = update.active {
        a.active = active;
    }
    if let Some(codes) = update.barcodes {
        check_barcodes(c, &codes, Some(&a.id))?;
        a.barcodes = codes;
    }
    a.updated_at = now;
    store_article(c, &a, created)?;
    Ok((a, created))
}

fn shop_exists(c: &Connection, code: &str) -> R<bool> {
    Ok(c.query_row("SELECT EXISTS(SELECT 1 FROM shops WHERE code = ?)", [code], |r| r.get(0))?)
}

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

fn jobs_in(c: &Connection, id: Option<&str>) -> R<Vec<JobView>> {
    let mut stmt = c.prepare_cached("SELECT body FROM jobs WHERE (?1 IS NULL OR id = ?1) ORDER BY id DESC")?;
    let bodies: Vec<String> = stmt.query_map([id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut targets =
        c.prepare_cached("SELECT shop, state, detail, updated_at FROM job_targets WHERE job = ? ORDER BY shop")?;
    let mut out = Vec::with_capacity(bodies.len());
    for body in bodies {
        let job: JobBody = serde_json::from_str(&body)?;
        let shops = targets
            .query_map([job.id.to_string()], |r| {
                let state: String = r.get(1)?;
                Ok(JobTarget { shop: r.get(0)?, state: job_state(&state), detail: r.get(2)?, updated_at: r.get(3)? })
            })?
            .collect::<Result<_, _>>()?;
        out.push(JobView { id: job.id, kind: job.kind, since: job.since, created_at: job.created_at, shops });
    }
    Ok(out)
}

fn record_exists(c: &Connection, id: &str) -> R<bool> {
    // Cached statements: this runs once per pushed record.
    Ok(c.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM tickets WHERE id = ?1) OR EXISTS(SELECT 1 FROM closures WHERE id = ?1)
             OR EXISTS(SELECT 1 FROM quarantine WHERE id = ?1)",
    )?
    .query_row([id], |r| r.get(0))?)
}

/// Chains a record against its register's head and records what is wrong.
#[allow(clippy::too_many_arguments)]
fn chain(
    c: &Connection,
    shop: &str,
    register: &str,
    kind: RecordKind,
    sequence: i64,
    prev: &str,
    hash: &str,
    label: &str,
    at: &str,
) -> R<()> {
    let head: Option<ChainHead> = c
        .prepare_cached("SELECT sequence, hash FROM chain_heads WHERE shop = ? AND register = ? AND chain = ?")?
        .query_row(params![shop, register, kind.as_str()], |r| Ok(ChainHead { sequence: r.get(0)?, hash: r.get(1)? }))
        .optional()?;
    let step = chain_step(head.as_ref(), sequence, prev, label);
    if let Some((event, detail)) = step.event() {
        c.execute(
            "INSERT INTO chain_events (shop, register, chain, kind, sequence, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            params![shop, register, kind.as_str(), event, sequence, detail, at],
        )?;
        tracing::warn!(shop, register, chain = kind.as_str(), event, detail, "chain event");
    }
    if !step.ok() {
        c.execute("UPDATE shops SET chain_ok = 0 WHERE code = ?", [shop])?;
    }
    if step.advances() {
        c.prepare_cached(
            "INSERT INTO chain_heads (shop, register, chain, sequence, hash) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (shop, register, chain) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash",
        )?
        .execute(params![shop, register, kind.as_str(), sequence, hash])?;
    }
    Ok(())
}

fn snapshot_items(
    c: &Connection,
    shop: &str,
    entity: Entity,
    after: Option<&str>,
    limit: usize,
) -> R<Vec<SnapshotItem>> {
    let mut items = Vec::new();
    match entity {
        Entity::TaxRate => {
            let after: i64 = after.and_then(|a| a.parse().ok()).unwrap_or(-1);
            let mut stmt =
                c.prepare_cached("SELECT bp, name, active FROM tax_rates WHERE bp > ? ORDER BY bp LIMIT ?")?;
            let rows = stmt.query_map(params![after, limit as i64], |r| {
                Ok(TaxRateView { bp: r.get(0)?, name: r.get(1)?, active: r.get(2)? })
            })?;
            for t in rows {
                let t = t?;
                items.push(SnapshotItem { entity, key: t.bp.to_string(), body: serde_json::to_value(t.body())? });
            }
        }
        Entity::Category => {
            let mut stmt =
                c.prepare_cached("SELECT code, name, active FROM categories WHERE code > ? ORDER BY code LIMIT ?")?;
            let rows = stmt.query_map(params![after.unwrap_or(""), limit as i64], |r| {
                Ok(Category { code: r.get(0)?, name: r.get(1)?, active: r.get(2)? })
            })?;
            for cat in rows {
                let cat = cat?;
                items.push(SnapshotItem { entity, key: cat.code.clone(), body: serde_json::to_value(cat.body())? });
            }
        }
        Entity::Article => {
            let mut stmt =
                c.prepare_cached(&format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id > ? ORDER BY id LIMIT ?"))?;
            let mut rows = stmt.query(params![after.unwrap_or(""), limit as i64])?;
            while let Some(r) = rows.next()? {
                let a = article_from_row(c, r)?;
                items.push(SnapshotItem { entity, key: a.id.to_string(), body: serde_json::to_value(a.body())? });
            }
        }
        Entity::Job => {
            let mut stmt = c.prepare_cached(
                "SELECT j.id, j.body FROM jobs j JOIN job_targets t ON t.job = j.id
                 WHERE t.shop = ? AND t.state = 'pending' AND j.id > ? ORDER BY j.id LIMIT ?",
            )?;
            let rows = stmt.query_map(params![shop, after.unwrap_or(""), limit as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            for row in rows {
                let (id, body) = row?;
                items.push(SnapshotItem { entity, key: id, body: serde_json::from_str(&body)? });
            }
        }
        Entity::LoyaltyRule | Entity::Customer | Entity::LoyaltyEntry => {
            items.extend(customers::snapshot_items(c, entity, after, limit)?);
        }
        Entity::Offer | Entity::Message => {
            items.extend(customers::offer_and_message_items(c, shop, entity, after, limit)?);
        }
        other => items.extend(stock::snapshot_items(c, shop, other, after, limit)?),
    }
    Ok(items)
}

fn feed_head(c: &Connection) -> R<(i64, i64)> {
    let floor: i64 = c.query_row("SELECT feed_floor FROM hq WHERE id = 1", [], |r| r.get(0)).optional()?.unwrap_or(0);
    let max: Option<i64> = c.query_row("SELECT MAX(seq) FROM changes", [], |r| r.get(0))?;
    Ok((max.unwrap_or(floor).max(floor), floor))
}

#[async_trait]
impl HqStorage for SqliteStorage {
    #[instrument(skip_all)]
    async fn initialise(&self, hq: &HqIdentity, admin_user: &str, admin_password_hash: &str) -> Result<(), HqError> {
        let (hq, user, hash) = (hq.clone(), admin_user.to_string(), admin_password_hash.to_string());
        let place = self.inner.path.display().to_string();
        self.write(move |tx| {
            let exists: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM hq)", [], |r| r.get(0))?;
            if exists {
                return Err(HqError::AlreadyInitialised { place }.into());
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
    async fn identity(&self) -> Result<HqIdentity, HqError> {
        let place = self.inner.path.display().to_string();
        self.read(move |c| {
            let row: Option<(String, String)> = c
                .query_row("SELECT hq_id, name FROM hq WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let (id, name) = row.ok_or(HqError::NotInitialised { place })?;
            Ok(HqIdentity { id: uuid(&id)?, name })
        })
        .await
    }

    #[instrument(skip_all)]
    async fn admin_password_hash(&self, user: &str) -> Result<Option<String>, HqError> {
        let user = user.to_string();
        self.read(move |c| {
            Ok(c.query_row("SELECT password_hash FROM admins WHERE user = ?", [user], |r| r.get(0)).optional()?)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn create_api_token(&self, name: &str, token: &SecretRecord) -> Result<(), HqError> {
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
    async fn api_token(&self, id: &str) -> Result<Option<(String, String)>, HqError> {
        let id = id.to_string();
        self.read(move |c| {
            Ok(c.query_row("SELECT name, hash FROM api_tokens WHERE id = ?", [id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn list_tax_rates(&self) -> Result<Vec<TaxRateView>, HqError> {
        self.read(tax_rates).await
    }

    #[instrument(skip_all)]
    async fn create_tax_rate(&self, rate: &TaxRateView) -> Result<TaxRateView, HqError> {
        let rate = rate.clone();
        self.write(move |tx| {
            let exists: bool =
                tx.query_row("SELECT EXISTS(SELECT 1 FROM tax_rates WHERE bp = ?)", [rate.bp], |r| r.get(0))?;
            if exists {
                return Err(HqError::AlreadyExists {
                    what: "tax rate",
                    key: rate.bp.to_string(),
                    field: Some("bp".into()),
                }
                .into());
            }
            tx.execute(
                "INSERT INTO tax_rates (bp, name, active, updated_at) VALUES (?, ?, ?, ?)",
                params![rate.bp, rate.name, rate.active, now_text()],
            )?;
            append_change(tx, Entity::TaxRate, &rate.bp.to_string(), &rate.body(), None)?;
            Ok(rate)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn update_tax_rate(
        &self,
        bp: u32,
        name: Option<String>,
        active: Option<bool>,
    ) -> Result<TaxRateView, HqError> {
        self.write(move |tx| {
            let mut t = tax_rates(tx)?.into_iter().find(|t| t.bp == bp).ok_or(HqError::NotFound {
                what: "tax rate",
                key: bp.to_string(),
                field: None,
            })?;
            if let Some(n) = name {
                t.name = n;
            }
            if let Some(a) = active {
                t.active = a;
            }
            tx.execute(
                "UPDATE tax_rates SET name = ?, active = ?, updated_at = ? WHERE bp = ?",
                params![t.name, t.active, now_text(), bp],
            )?;
            append_change(tx, Entity::TaxRate, &bp.to_string(), &t.body(), None)?;
            Ok(t)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn list_categories(&self) -> Result<Vec<Category>, HqError> {
        self.read(categories).await
    }

    #[instrument(skip_all)]
    async fn create_category(&self, category: &Category) -> Result<Category, HqError> {
        let category = category.clone();
        self.write(move |tx| create_category_in(tx, &category)).await
    }

    #[instrument(skip_all)]
    async fn update_category(
        &self,
        code: &str,
        name: Option<String>,
        active: Option<bool>,
    ) -> Result<Category, HqError> {
        let code = code.to_string();
        self.write(move |tx| {
            let mut cat = categories(tx)?.into_iter().find(|c| c.code == code).ok_or(HqError::NotFound {
                what: "category",
                key: code.clone(),
                field: None,
            })?;
            if let Some(n) = name {
                cat.name = n;
            }
            if let Some(a) = active {
                cat.active = a;
            }
            tx.execute(
                "UPDATE categories SET name = ?, active = ?, updated_at = ? WHERE code = ?",
                params![cat.name, cat.active, now_text(), code],
            )?;
            append_change(tx, Entity::Category, &code, &cat.body(), None)?;
            Ok(cat)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn list_articles(
        &self,
        search: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Article>, Option<String>), HqError> {
        let pattern = search.map(|s| format!("%{}%", s.replace(['%', '_'], "")));
        let after = after.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {ARTICLE_COLUMNS} FROM articles a
                 WHERE (?1 IS NULL OR sku > ?1)
                   AND (?2 IS NULL OR sku LIKE ?2 OR name LIKE ?2
                        OR EXISTS (SELECT 1 FROM barcodes b WHERE b.article_id = a.id AND b.code LIKE ?2))
                 ORDER BY sku LIMIT ?3"
            ))?;
            let mut rows = stmt.query(params![after, pattern, (limit + 1) as i64])?;
            let mut items = Vec::new();
            while let Some(r) = rows.next()? {
                items.push(article_from_row(c, r)?);
            }
            let next = if items.len() > limit {
                items.truncate(limit);
                items.last().map(|a| a.sku.clone())
            } else {
                None
            };
            Ok((items, next))
        })
        .await
    }

    #[instrument(skip_all)]
    async fn get_article(&self, sku: &str) -> Result<Option<Article>, HqError> {
        let sku = sku.to_string();
        self.read(move |c| article_by(c, "sku", &sku)).await
    }

    #[instrument(skip_all)]
    async fn write_articles(&self, writes: Vec<ArticleWrite>, dry_run: bool) -> Result<ArticleWriteReport, HqError> {
        self.write(move |tx| {
            let mut report = ArticleWriteReport::default();
            let mut refused = Vec::new();
            for (i, w) in writes.into_iter().enumerate() {
                match write_article(tx, w, &mut report.categories_created) {
                    Ok((a, created)) => {
                        if created {
                            report.created += 1;
                        } else {
                            report.updated += 1;
                        }
                        report.articles.push(a);
                    }
                    Err(Fail::Hq(e)) if !matches!(e, HqError::Storage(_)) => refused.push((i, e)),
                    Err(e) => return Err(e),
                }
            }
            if !refused.is_empty() || dry_run {
                return Err(HqError::Rows(refused).into());
            }
            Ok(report)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn create_shop(&self, shop: &ShopIdentity, token: &SecretRecord) -> Result<ShopRecord, HqError> {
        let (shop, token) = (shop.clone(), token.clone());
        self.write(move |tx| {
            if shop_exists(tx, &shop.code)? {
                return Err(HqError::AlreadyExists { what: "shop", key: shop.code, field: Some("code".into()) }.into());
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
    async fn issue_enrolment_token(&self, code: &str, token: &SecretRecord) -> Result<(), HqError> {
        let (code, token) = (code.to_string(), token.clone());
        self.write(move |tx| {
            if !shop_exists(tx, &code)? {
                return Err(HqError::NotFound { what: "shop", key: code, field: None }.into());
            }
            insert_token(tx, &code, &token)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn revoke_shop(&self, code: &str) -> Result<(), HqError> {
        let code = code.to_string();
        self.write(move |tx| {
            if !shop_exists(tx, &code)? {
                return Err(HqError::NotFound { what: "shop", key: code, field: None }.into());
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
    async fn list_shops(&self) -> Result<Vec<ShopRecord>, HqError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {SHOP_COLUMNS} FROM shops s ORDER BY code"))?;
            Ok(stmt.query_map([], shop_from_row)?.collect::<Result<_, _>>()?)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn enrol(&self, token_hash: &str, now: &str, credential: &SecretRecord) -> Result<ShopIdentity, HqError> {
        let (hash, now, cred) = (token_hash.to_string(), now.to_string(), credential.clone());
        self.write(move |tx| {
            let token: Option<(String, String, Option<String>, bool)> = tx
                .query_row(
                    "SELECT shop, expires_at, used_at, voided FROM enrolment_tokens WHERE hash = ?",
                    [&hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let shop = match token {
                Some((shop, expires, None, false)) if expires.as_str() > now.as_str() => shop,
                _ => return Err(HqError::InvalidEnrolmentToken.into()),
            };
            tx.execute("UPDATE enrolment_tokens SET used_at = ? WHERE hash = ?", params![now, hash])?;
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
    async fn credential(&self, id: &str) -> Result<Option<CredentialCheck>, HqError> {
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
    async fn record_contact(&self, shop: &str, h: &ShopHealth) -> Result<(), HqError> {
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

    #[instrument(skip_all)]
    async fn apply_push(&self, shop: &str, received_at: &str, items: Vec<PushItem>) -> Result<PushOutcome, HqError> {
        let (shop, at) = (shop.to_string(), received_at.to_string());
        self.write(move |tx| {
            let mut out = PushOutcome::default();
            // The batch's tickets added up, then written once per summary row.
            let mut summary = comptoir_hq::dashboard::summary::BatchSummary::default();
            for item in items {
                let id = item.id.to_string();
                // A customer's edits share its id and merge idempotently: never duplicates.
                if item.kind != RecordKind::Customer && record_exists(tx, &id)? {
                    out.duplicates.push(item.id);
                    continue;
                }
                match item.action {
                    PushAction::Quarantine(reason) => {
                        tx.execute(
                            "INSERT INTO quarantine (id, shop, kind, reason, received_at, body) VALUES (?, ?, ?, ?, ?, ?)",
                            params![id, shop, item.kind.as_str(), reason, at, item.raw],
                        )?;
                        out.quarantined.push(Quarantined { id: item.id, reason });
                    }
                    PushAction::Insert(record) => {
                        match *record {
                            Record::Ticket(t) => {
                                tx.prepare_cached(
                                    "INSERT INTO tickets (id, shop, register, sequence, number, business_date, created_at, total, hash, prev_hash, body, received_at)
                                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                )?
                                .execute(params![id, shop, t.register, t.sequence, t.number, t.business_date, t.created_at,
                                    t.total.cents(), t.hash, t.prev_hash, serde_json::to_string(&t)?, at])?;
                                chain(tx, &shop, &t.register, RecordKind::Ticket, t.sequence, &t.prev_hash, &t.hash, &t.number, &at)?;
                                summary.add(&comptoir_hq::dashboard::summary::summarize(&shop, &t));
                            }
                            Record::Closure(c) => {
                                tx.execute(
                                    "INSERT INTO closures (id, shop, register, sequence, kind, period, created_at, total, grand_total, hash, prev_hash, body, received_at)
                                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                    params![id, shop, c.register, c.sequence, c.kind.as_str(), c.period, c.created_at,
                                        c.totals.total.cents(), c.grand_total.cents(), c.hash, c.prev_hash, serde_json::to_string(&c)?, at],
                                )?;
                                let label = format!("{} {} {}", c.register, c.kind.as_str(), c.period);
                                chain(tx, &shop, &c.register, RecordKind::Closure, c.sequence, &c.prev_hash, &c.hash, &label, &at)?;
                            }
                            Record::Customer(b) => customers::upsert(tx, &b, false)?,
                            Record::LoyaltyEntry(e) => {
                                if !customers::insert_entry(tx, &e, &at)? {
                                    out.duplicates.push(item.id);
                                    continue;
                                }
                            }
                            Record::MessageAck(a) => {
                                if !customers::insert_ack(tx, &a, &at)? {
                                    out.duplicates.push(item.id);
                                    continue;
                                }
                            }
                            other => match stock::apply_record(tx, &shop, &at, &other)? {
                                None => {
                                    out.duplicates.push(item.id);
                                    continue;
                                }
                                Some(Err(reason)) => {
                                    let raw = serde_json::to_string(&other)?;
                                    tx.execute(
                                        "INSERT INTO quarantine (id, shop, kind, reason, received_at, body) VALUES (?, ?, ?, ?, ?, ?)",
                                        params![id, shop, item.kind.as_str(), reason, at, raw],
                                    )?;
                                    out.quarantined.push(Quarantined { id: item.id, reason });
                                    continue;
                                }
                                Some(Ok(())) => {}
                            },
                        }
                        out.accepted.push(item.id);
                    }
                }
            }
            dashboard::add_batch(tx, &summary)?;
            Ok(out)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn list_tickets(
        &self,
        shop: Option<&str>,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<StoredTicket>, Option<i64>), HqError> {
        let shop = shop.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT arrival, received_at, body FROM tickets WHERE (?1 IS NULL OR shop = ?1) AND arrival > ?2 ORDER BY arrival LIMIT ?3",
            )?;
            let mut items: Vec<StoredTicket> = stmt
                .query_map(params![shop, after, (limit + 1) as i64], |r| {
                    Ok(StoredTicket { arrival: r.get(0)?, received_at: r.get(1)?, body: r.get(2)? })
                })?
                .collect::<Result<_, _>>()?;
            let next = if items.len() > limit {
                items.truncate(limit);
                items.last().map(|t| t.arrival)
            } else {
                None
            };
            Ok((items, next))
        })
        .await
    }

    #[instrument(skip_all)]
    async fn sales_report(&self, from: &str, to: &str, shop: Option<&str>) -> Result<Vec<SalesRow>, HqError> {
        let (from, to, shop) = (from.to_string(), to.to_string(), shop.map(str::to_string));
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT shop, business_date, COUNT(*), SUM(total) FROM tickets
                 WHERE business_date BETWEEN ?1 AND ?2 AND (?3 IS NULL OR shop = ?3)
                 GROUP BY shop, business_date ORDER BY shop, business_date",
            )?;
            Ok(stmt
                .query_map(params![from, to, shop], |r| {
                    Ok(SalesRow { shop: r.get(0)?, day: r.get(1)?, tickets: r.get(2)?, revenue: r.get(3)? })
                })?
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn list_quarantine(&self, shop: Option<&str>) -> Result<Vec<QuarantineRecord>, HqError> {
        let shop = shop.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, shop, kind, reason, received_at, body FROM quarantine WHERE (?1 IS NULL OR shop = ?1) ORDER BY received_at, id",
            )?;
            let rows: Vec<(String, String, String, String, String, String)> = stmt
                .query_map([shop], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(|(id, shop, kind, reason, received_at, body)| {
                    let kind = RecordKind::parse(&kind);
                    Ok(QuarantineRecord { id: uuid(&id)?, shop, kind, reason, received_at, body })
                })
                .collect()
        })
        .await
    }

    #[instrument(skip_all)]
    async fn chain_events(&self, shop: Option<&str>) -> Result<Vec<ChainEvent>, HqError> {
        let shop = shop.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT shop, register, chain, kind, sequence, detail, at FROM chain_events WHERE (?1 IS NULL OR shop = ?1) ORDER BY id",
            )?;
            Ok(stmt
                .query_map([shop], |r| {
                    let chain: String = r.get(2)?;
                    Ok(ChainEvent {
                        shop: r.get(0)?,
                        register: r.get(1)?,
                        chain: if chain == "closure" { RecordKind::Closure } else { RecordKind::Ticket },
                        kind: r.get(3)?,
                        sequence: r.get(4)?,
                        detail: r.get(5)?,
                        at: r.get(6)?,
                    })
                })?
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn feed(&self, shop: &str, cursor: i64, limit: usize) -> Result<FeedRead, HqError> {
        let shop = shop.to_string();
        self.read(move |c| {
            let (_, floor) = feed_head(c)?;
            let mut stmt = c.prepare_cached(
                "SELECT seq, entity, key, body FROM changes WHERE seq > ?1 AND (shop IS NULL OR shop = ?2) ORDER BY seq LIMIT ?3",
            )?;
            let rows: Vec<(i64, String, String, String)> = stmt
                .query_map(params![cursor, shop, limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<_, _>>()?;
            let mut changes = Vec::with_capacity(rows.len());
            for (seq, entity, key, body) in rows {
                let entity = Entity::parse(&entity)
                    .ok_or_else(|| HqError::Storage(format!("change {seq}: unknown entity {entity}")))?;
                changes.push(Change { seq, entity, key, body: serde_json::from_str(&body)? });
            }
            Ok(FeedRead { changes, floor })
        })
        .await
    }

    #[instrument(skip_all)]
    async fn purge_feed(&self, before: &str) -> Result<i64, HqError> {
        let before = before.to_string();
        self.write(move |tx| {
            let last: Option<i64> =
                tx.query_row("SELECT MAX(seq) FROM changes WHERE created_at < ?", [&before], |r| r.get(0))?;
            if let Some(last) = last {
                tx.execute("DELETE FROM changes WHERE seq <= ?", [last])?;
                tx.execute("UPDATE hq SET feed_floor = MAX(feed_floor, ?) WHERE id = 1", [last])?;
            }
            Ok(feed_head(tx)?.1)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn snapshot_begin(&self, shop: &str) -> Result<(i64, u64), HqError> {
        let shop = shop.to_string();
        self.read(move |c| {
            // One read transaction: the cursor and the count see the same state.
            c.execute_batch("BEGIN")?;
            let result = (|| -> R<(i64, u64)> {
                let (cursor, _) = feed_head(c)?;
                let total: i64 = c.query_row(
                    "SELECT (SELECT COUNT(*) FROM tax_rates) + (SELECT COUNT(*) FROM categories) + (SELECT COUNT(*) FROM articles)
                          + (SELECT COUNT(*) FROM job_targets WHERE shop = ? AND state = 'pending')",
                    [&shop],
                    |r| r.get(0),
                )?;
                let total = total + customers::snapshot_count(c)? + customers::offer_and_message_count(c, &shop)?;
                let total = total + stock::snapshot_count(c, &shop)?;
                Ok((cursor, total as u64))
            })();
            c.execute_batch("COMMIT")?;
            result
        })
        .await
    }

    #[instrument(skip_all)]
    async fn snapshot_page(
        &self,
        shop: &str,
        after: Option<(Entity, String)>,
        limit: usize,
    ) -> Result<Vec<SnapshotItem>, HqError> {
        let shop = shop.to_string();
        self.read(move |c| {
            let mut items = Vec::new();
            for entity in Entity::ALL {
                let from = match &after {
                    Some((e, _)) if *e > entity => continue,
                    Some((e, key)) if *e == entity => Some(key.as_str()),
                    _ => None,
                };
                let left = limit - items.len();
                items.extend(snapshot_items(c, &shop, entity, from, left)?);
                if items.len() >= limit {
                    break;
                }
            }
            Ok(items)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn create_job(&self, job: &JobBody, shops: &[String]) -> Result<JobView, HqError> {
        let (job, shops) = (job.clone(), shops.to_vec());
        self.write(move |tx| {
            for (i, code) in shops.iter().enumerate() {
                if !shop_exists(tx, code)? {
                    return Err(HqError::NotFound {
                        what: "shop",
                        key: code.clone(),
                        field: Some(format!("shops[{i}]")),
                    }
                    .into());
                }
            }
            let id = job.id.to_string();
            tx.execute(
                "INSERT INTO jobs (id, kind, since, created_at, body) VALUES (?, ?, ?, ?, ?)",
                params![id, job_kind_text(job.kind)?, job.since, job.created_at, serde_json::to_string(&job)?],
            )?;
            for code in &shops {
                tx.execute(
                    "INSERT INTO job_targets (job, shop, state, updated_at) VALUES (?, ?, 'pending', ?)",
                    params![id, code, job.created_at],
                )?;
                append_change(tx, Entity::Job, &id, &job, Some(code))?;
            }
            jobs_in(tx, Some(&id))?.pop().ok_or_else(|| HqError::Storage("job just written".into()).into())
        })
        .await
    }

    #[instrument(skip_all)]
    async fn list_jobs(&self) -> Result<Vec<JobView>, HqError> {
        self.read(|c| jobs_in(c, None)).await
    }

    #[instrument(skip_all)]
    async fn report_job(&self, shop: &str, job: Uuid, report: &JobReport, at: &str) -> Result<(), HqError> {
        let (shop, report, at) = (shop.to_string(), report.clone(), at.to_string());
        self.write(move |tx| {
            let state = match report.state {
                JobState::Pending => "pending",
                JobState::Done => "done",
                JobState::Failed => "failed",
            };
            let detail: String = report.detail.chars().take(4000).collect();
            let n = tx.execute(
                "UPDATE job_targets SET state = ?, detail = ?, updated_at = ? WHERE job = ? AND shop = ?",
                params![state, detail, at, job.to_string(), shop],
            )?;
            if n == 0 {
                return Err(HqError::NotFound { what: "job", key: job.to_string(), field: None }.into());
            }
            Ok(())
        })
        .await
    }

    // ---- dashboard: the queries are in src/dashboard.rs
    async fn create_session(&self, session: &DashboardSession) -> Result<(), HqError> {
        self.d_create_session(session).await
    }
    async fn session(&self, token_hash: &str, now: &str) -> Result<Option<DashboardSession>, HqError> {
        self.d_session(token_hash, now).await
    }
    async fn delete_session(&self, token_hash: &str) -> Result<(), HqError> {
        self.d_delete_session(token_hash).await
    }
    async fn sales_days(&self, filter: &SalesFilter) -> Result<Vec<DaySales>, HqError> {
        self.d_sales_days(filter).await
    }
    async fn payment_totals(&self, filter: &SalesFilter) -> Result<Vec<PaymentTotal>, HqError> {
        self.d_payment_totals(filter).await
    }
    async fn vat_totals(&self, filter: &SalesFilter) -> Result<Vec<VatTotal>, HqError> {
        self.d_vat_totals(filter).await
    }
    async fn top_articles(&self, filter: &SalesFilter, limit: usize) -> Result<Vec<ArticleSales>, HqError> {
        self.d_top_articles(filter, limit).await
    }
    async fn registers(&self) -> Result<Vec<RegisterView>, HqError> {
        self.d_registers().await
    }

    // ---------------------------------------------------------------- customers and loyalty

    #[instrument(skip_all)]
    async fn write_customer(&self, body: CustomerBody) -> Result<CustomerView, HqError> {
        self.write(move |tx| {
            customers::upsert(tx, &body, true)?;
            customers::must_view(tx, &body.id.to_string())
        })
        .await
    }

    async fn next_card_number(&self) -> Result<i64, HqError> {
        self.write(|tx| customers::next_card(tx)).await
    }

    async fn get_customer(&self, id: Uuid) -> Result<Option<CustomerView>, HqError> {
        self.read(move |c| customers::view(c, &id.to_string())).await
    }

    async fn customer_body(&self, id: Uuid) -> Result<Option<CustomerBody>, HqError> {
        self.read(move |c| customers::body(c, &id.to_string())).await
    }

    async fn list_customers(&self, overdrawn: bool, limit: usize) -> Result<Vec<CustomerView>, HqError> {
        self.read(move |c| customers::list(c, overdrawn, limit)).await
    }

    #[instrument(skip_all)]
    async fn merge_customers(&self, from: Uuid, into: Uuid) -> Result<CustomerView, HqError> {
        self.write(move |tx| customers::merge(tx, &from.to_string(), &into.to_string())).await
    }

    #[instrument(skip_all)]
    async fn erase_customer(&self, id: Uuid) -> Result<CustomerView, HqError> {
        self.write(move |tx| customers::erase(tx, &id.to_string())).await
    }

    #[instrument(skip_all)]
    async fn add_loyalty_entry(&self, entry: LoyaltyEntryBody) -> Result<CustomerView, HqError> {
        self.write(move |tx| {
            let id = entry.customer.to_string();
            customers::must_view(tx, &id)?;
            customers::insert_entry(tx, &entry, &now_text())?;
            customers::must_view(tx, &id)
        })
        .await
    }

    async fn loyalty_entries(&self, customer: Uuid) -> Result<Vec<LoyaltyEntryBody>, HqError> {
        self.read(move |c| customers::entries(c, &customer.to_string())).await
    }

    async fn loyalty_rule(&self) -> Result<LoyaltyRule, HqError> {
        self.read(customers::rule).await
    }

    #[instrument(skip_all)]
    async fn set_loyalty_rule(&self, rule: LoyaltyRule) -> Result<(), HqError> {
        self.write(move |tx| customers::set_rule(tx, &rule)).await
    }

    // ---------------------------------------------------------------- stock and people

    #[instrument(skip_all)]
    async fn put_documents(
        &self,
        shops: Vec<(String, String)>,
        create: Option<(Entity, String, String)>,
        puts: Vec<comptoir_hq::stock::DocPut>,
    ) -> Result<(), HqError> {
        self.write(move |tx| stock::put_documents(tx, &shops, create.as_ref(), &puts)).await
    }

    #[instrument(skip_all)]
    async fn document(&self, entity: Entity, key: &str) -> Result<Option<serde_json::Value>, HqError> {
        let key = key.to_string();
        self.read(move |c| stock::canonical(c, entity, &key)).await
    }

    #[instrument(skip_all)]
    async fn documents(&self, entity: Entity) -> Result<Vec<serde_json::Value>, HqError> {
        self.read(move |c| stock::documents(c, entity)).await
    }

    #[instrument(skip_all)]
    async fn stock_levels(&self, sku: &str) -> Result<Vec<(String, i64)>, HqError> {
        let sku = sku.to_string();
        self.read(move |c| stock::stock_levels(c, &sku)).await
    }

    #[instrument(skip_all)]
    async fn punches(&self, from: &str, to: &str) -> Result<Vec<comptoir_protocol::stock::Punch>, HqError> {
        let (from, to) = (from.to_string(), to.to_string());
        self.read(move |c| stock::punches(c, &from, &to)).await
    }

    // ---------------------------------------------------------------- offers and messages

    #[instrument(skip_all)]
    async fn create_offer(&self, offer: OfferBody) -> Result<OfferBody, HqError> {
        self.write(move |tx| {
            customers::create_offer(tx, &offer)?;
            Ok(offer)
        })
        .await
    }

    async fn list_offers(&self) -> Result<Vec<OfferBody>, HqError> {
        self.read(|c| customers::offers(c, None, usize::MAX >> 1)).await
    }

    #[instrument(skip_all)]
    async fn create_message(&self, shop: &str, message: MessageBody) -> Result<MessageView, HqError> {
        let shop = shop.to_string();
        self.write(move |tx| customers::create_message(tx, &shop, &message)).await
    }

    async fn list_messages(&self, shop: Option<&str>) -> Result<Vec<MessageView>, HqError> {
        let shop = shop.map(str::to_string);
        self.read(move |c| customers::messages(c, shop.as_deref())).await
    }
}
