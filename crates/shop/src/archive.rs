//! Fiscal archives (NF525 "conservation et archivage", `docs/fiscal.md` documents the
//! format for auditors): one JSON Lines file per period, readable and checkable without
//! Comptoir, and [`verify`], which checks one offline with no database.
//!
//! A period is a day (`YYYY-MM-DD`), a month (`YYYY-MM`) or a fiscal year (`YYYY`, from
//! `fiscal.year_start_month`); its bounds are midnights in the shop's time zone. The
//! archive holds every record *made* in the period (by `created_at`, `at`), so each
//! chain's records in it are consecutive: a month closure made on the 1st belongs to the
//! archive of the month it was made in.
//!
//! Lines, in order (each a JSON object ending in `\n`, `type` first):
//! 1. `key`: every public key of the shop;
//! 2. `ticket`, `closure`, `journal`: `{encoding, hash, signature, record}` where `encoding`
//!    is the canonical text (`comptoir_core::chain`), `hash` its SHA-256, `signature` the
//!    Ed25519 signature of it (`KEY_ID:HEX`) and `record` the record as the API shows it;
//! 3. `manifest`: counts, totals, each chain's head at both ends, and the SHA-256 of the
//!    bytes of all lines before it;
//! 4. `signature`: the shop key's signature of all the bytes before this last line.

use crate::error::ShopError;
use comptoir_core::Money;
use comptoir_core::chain::{JournalEntry, encode_closure, encode_journal, encode_ticket, sha256_hex};
use comptoir_core::closure::Closure;
use comptoir_core::fiscal::{self, SignatureFault};
use comptoir_core::ticket::Ticket;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const FORMAT: &str = "comptoir-archive/1";

/// What an archive covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// As given: `2026-12-01`, `2026-12` or `2026`.
    pub label: String,
    /// `day`, `month` or `fiscal_year`.
    pub kind: &'static str,
    /// `[from, to)`, UTC instants as stored.
    pub from: String,
    pub to: String,
}

fn instant(date: jiff::civil::Date, tz: &jiff::tz::TimeZone) -> Result<String, ShopError> {
    let z = date.to_zoned(tz.clone()).map_err(|e| ShopError::Storage(format!("date {date}: {e}")))?;
    Ok(z.timestamp().strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
}

fn refused_period(text: &str) -> ShopError {
    ShopError::invalid(
        "invalid_period",
        format!("{text:?} is not a period: write a day YYYY-MM-DD, a month YYYY-MM or a fiscal year YYYY."),
        format!("{text:?} n'est pas une période : écrivez un jour AAAA-MM-JJ, un mois AAAA-MM ou un exercice AAAA."),
        Some("period"),
    )
}

/// Reads a period; `year_start_month` is the fiscal year's first month (1-12).
pub fn parse_period(text: &str, year_start_month: u8, tz: &jiff::tz::TimeZone) -> Result<Period, ShopError> {
    use jiff::ToSpan;
    let text = text.trim();
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (kind, start, end) = match text.len() {
        10 => {
            let d = jiff::civil::Date::strptime("%Y-%m-%d", text).map_err(|_| refused_period(text))?;
            ("day", d, d.tomorrow().map_err(|_| refused_period(text))?)
        }
        7 if digits(&text[..4]) && &text[4..5] == "-" && digits(&text[5..]) => {
            let d = jiff::civil::Date::strptime("%Y-%m-%d", format!("{text}-01")).map_err(|_| refused_period(text))?;
            ("month", d, d.checked_add(1.month()).map_err(|_| refused_period(text))?)
        }
        4 if digits(text) => {
            let year: i16 = text.parse().map_err(|_| refused_period(text))?;
            let month = year_start_month.clamp(1, 12) as i8;
            let d = jiff::civil::Date::new(year, month, 1).map_err(|_| refused_period(text))?;
            ("fiscal_year", d, d.checked_add(1.year()).map_err(|_| refused_period(text))?)
        }
        _ => return Err(refused_period(text)),
    };
    Ok(Period { label: text.to_string(), kind, from: instant(start, tz)?, to: instant(end, tz)? })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RecordLine<T> {
    encoding: String,
    hash: String,
    signature: Option<String>,
    record: T,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyLine {
    key_id: String,
    public_key: String,
    created_at: String,
    retired_at: Option<String>,
}

/// A chain's records in the archive: where it starts (`prev_hash` of its first record,
/// the head before the period) and where it ends (the head after it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainEnds {
    /// `tickets`, `closures` or `journal`.
    pub chain: String,
    /// The register of a ticket or closure chain; none for the journal.
    pub register: Option<String>,
    pub records: usize,
    pub first_sequence: i64,
    pub prev_hash: String,
    pub last_sequence: i64,
    pub last_hash: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub keys: usize,
    pub tickets: usize,
    pub closures: usize,
    pub journal: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Σ ticket totals (returns negative), cents.
    pub tickets_total: Money,
    /// Σ |ticket total|, cents.
    pub tickets_absolute_total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub shop: String,
    pub period: String,
    pub period_kind: String,
    pub from: String,
    pub to: String,
    pub created_at: String,
    pub counts: Counts,
    pub totals: Totals,
    pub chains: Vec<ChainEnds>,
    /// SHA-256 of the bytes of every line before the manifest.
    pub records_sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SignatureLine {
    /// `KEY_ID:HEX` over every byte before this line.
    signature: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Line {
    Key(KeyLine),
    Ticket(RecordLine<Ticket>),
    Closure(RecordLine<Closure>),
    Journal(RecordLine<JournalEntry>),
    Manifest(Manifest),
    Signature(SignatureLine),
}

fn push_line(out: &mut Vec<u8>, line: &Line) -> Result<(), ShopError> {
    serde_json::to_writer(&mut *out, line).map_err(|e| ShopError::Storage(format!("archive line: {e}")))?;
    out.push(b'\n');
    Ok(())
}

/// Folds records into each chain's ends and the totals (shared by building and checking).
#[derive(Default)]
struct Tally {
    counts: Counts,
    totals: Totals,
    chains: BTreeMap<(u8, String), ChainEnds>,
}

impl Tally {
    fn add(&mut self, order: u8, chain: &str, register: Option<&str>, sequence: i64, prev: &str, hash: &str) {
        let key = (order, register.unwrap_or("").to_string());
        let ends = self.chains.entry(key).or_insert_with(|| ChainEnds {
            chain: chain.to_string(),
            register: register.map(str::to_string),
            records: 0,
            first_sequence: sequence,
            prev_hash: prev.to_string(),
            last_sequence: sequence,
            last_hash: hash.to_string(),
        });
        ends.records += 1;
        ends.last_sequence = sequence;
        ends.last_hash = hash.to_string();
    }

    fn chains(&self) -> Vec<ChainEnds> {
        self.chains.values().cloned().collect()
    }
}

/// The archive of `period`, signed by the shop's current key. Run it in one read
/// transaction: the records are one consistent snapshot.
pub fn build(conn: &Connection, period: &Period, created_at: &str) -> Result<Vec<u8>, ShopError> {
    let shop: String = conn.query_row("SELECT code FROM shop WHERE id = 1", [], |r| r.get(0))?;
    let mut out = Vec::new();
    let mut tally = Tally::default();
    for k in crate::fiscal::public_keys(conn)? {
        tally.counts.keys += 1;
        let line =
            KeyLine { key_id: k.key_id, public_key: k.public_key, created_at: k.created_at, retired_at: k.retired_at };
        push_line(&mut out, &Line::Key(line))?;
    }
    let mut tickets = Vec::new();
    crate::sales::for_each_ticket_created_between(conn, &period.from, &period.to, |t| {
        tickets.push(t);
        Ok(())
    })?;
    for t in tickets {
        tally.counts.tickets += 1;
        tally.totals.tickets_total += t.total;
        tally.totals.tickets_absolute_total += Money(t.total.cents().abs());
        tally.add(0, "tickets", Some(&t.register), t.sequence, &t.prev_hash, &t.hash);
        let line =
            RecordLine { encoding: encode_ticket(&t), hash: t.hash.clone(), signature: t.signature.clone(), record: t };
        push_line(&mut out, &Line::Ticket(line))?;
    }
    let closures = crate::closures::list_closures(conn, None)?;
    for c in closures.into_iter().filter(|c| c.created_at >= period.from && c.created_at < period.to) {
        tally.counts.closures += 1;
        tally.add(1, "closures", Some(&c.register), c.sequence, &c.prev_hash, &c.hash);
        let line = RecordLine {
            encoding: encode_closure(&c),
            hash: c.hash.clone(),
            signature: c.signature.clone(),
            record: c,
        };
        push_line(&mut out, &Line::Closure(line))?;
    }
    for e in crate::journal::in_period(conn, &period.from, &period.to)? {
        tally.counts.journal += 1;
        tally.add(2, "journal", None, e.sequence, &e.prev_hash, &e.hash);
        let line = RecordLine {
            encoding: encode_journal(&e),
            hash: e.hash.clone(),
            signature: e.signature.clone(),
            record: e,
        };
        push_line(&mut out, &Line::Journal(line))?;
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        shop,
        period: period.label.clone(),
        period_kind: period.kind.into(),
        from: period.from.clone(),
        to: period.to.clone(),
        created_at: created_at.into(),
        counts: tally.counts.clone(),
        totals: tally.totals.clone(),
        chains: tally.chains(),
        records_sha256: sha256_hex(&out),
    };
    push_line(&mut out, &Line::Manifest(manifest))?;
    let signature = crate::fiscal::sign(conn, &out)?;
    push_line(&mut out, &Line::Signature(SignatureLine { signature }))?;
    Ok(out)
}

/// What an intact archive holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub manifest: Manifest,
    /// Key id of the key that signed the archive.
    pub signed_by: String,
    pub public_keys: Vec<String>,
}

fn fault(what: &str, label: &str, f: &SignatureFault) -> String {
    format!("{what} {label} {}", f.describe())
}

/// Checks one record line: its record encodes to its `encoding`, whose SHA-256 is its hash,
/// signed by one of the archive's keys.
/// What a record itself says: its canonical encoding recomputed, its hash, its signature.
struct FromRecord<'a> {
    encoded: String,
    hash: &'a str,
    signature: Option<&'a str>,
}

fn check_record(
    what: &str,
    label: &str,
    record: FromRecord,
    line: &RecordLine<impl Sized>,
    keys: &[String],
    signed_yet: &mut bool,
) -> Result<(), String> {
    if record.encoded != line.encoding {
        return Err(format!("{what} {label}: its record does not match its canonical encoding (a field was changed)"));
    }
    if sha256_hex(line.encoding.as_bytes()) != line.hash || line.hash != record.hash {
        return Err(format!("{what} {label} was altered: its content no longer matches its hash"));
    }
    if line.signature.as_deref() != record.signature {
        return Err(format!("{what} {label}: its signature differs from its record's"));
    }
    if line.signature.is_none() && !*signed_yet {
        return Ok(());
    }
    *signed_yet = true;
    fiscal::verify(keys.iter().map(String::as_str), line.encoding.as_bytes(), line.signature.as_deref())
        .map_err(|f| fault(what, label, &f))
}

/// Checks an archive without any database: every record against its encoding, hash and
/// signature, each chain's links and ends, the manifest's counts, totals and digest, and
/// the signature of the whole. `expected_key`: a public key the archive must be signed
/// with (the one HQ registered), else any key the archive lists. The error names the first
/// broken line or signature.
pub fn verify(bytes: &[u8], expected_key: Option<&str>) -> Result<Summary, String> {
    if !bytes.ends_with(b"\n") {
        return Err("the archive is cut short: its last line is incomplete".into());
    }
    let text =
        std::str::from_utf8(bytes).map_err(|e| format!("the archive is not UTF-8 text (byte {})", e.valid_up_to()))?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut parsed = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let line: Line =
            serde_json::from_str(l).map_err(|e| format!("line {}: not a readable archive line ({e})", i + 1))?;
        parsed.push(line);
    }
    let n = parsed.len();
    let (Some(Line::Manifest(manifest)), Some(Line::Signature(sig))) = (parsed.get(n.wrapping_sub(2)), parsed.last())
    else {
        return Err("the archive does not end with its manifest and its signature".into());
    };
    if manifest.format != FORMAT {
        return Err(format!("the archive's format is {:?}, not {FORMAT}", manifest.format));
    }
    let keys: Vec<String> = parsed
        .iter()
        .filter_map(|l| match l {
            Line::Key(k) => Some(k.public_key.clone()),
            _ => None,
        })
        .collect();
    let mut tally = Tally::default();
    tally.counts.keys = keys.len();
    // Per chain: the sequence and hash the next record must follow, and whether signed yet.
    let mut links: BTreeMap<(u8, String), (i64, String)> = BTreeMap::new();
    let mut signed_yet: BTreeMap<(u8, String), bool> = BTreeMap::new();
    let starts: BTreeMap<(u8, String), &ChainEnds> = manifest
        .chains
        .iter()
        .map(|c| {
            let order = match c.chain.as_str() {
                "tickets" => 0,
                "closures" => 1,
                _ => 2,
            };
            ((order, c.register.clone().unwrap_or_default()), c)
        })
        .collect();
    let mut follow = |order: u8, register: &str, label: &str, what: &str, seq: i64, prev: &str, hash: &str| {
        let key = (order, register.to_string());
        let expected =
            links.get(&key).cloned().or_else(|| starts.get(&key).map(|c| (c.first_sequence, c.prev_hash.clone())));
        let Some((expected_seq, expected_prev)) = expected else {
            return Err(format!("{what} {label}: its chain is not in the manifest"));
        };
        if seq != expected_seq {
            return Err(format!("{what} sequence {expected_seq} is missing (next found: {seq}, {label})"));
        }
        if prev != expected_prev {
            return Err(format!(
                "{what} {label} (sequence {seq}) does not follow the previous one: a record was removed or inserted"
            ));
        }
        links.insert(key, (seq + 1, hash.to_string()));
        Ok(())
    };
    for (i, line) in parsed[..n - 2].iter().enumerate() {
        let at = |e: String| format!("line {}: {e}", i + 1);
        match line {
            Line::Key(_) => {}
            Line::Ticket(l) => {
                let t = &l.record;
                let signed = signed_yet.entry((0, t.register.clone())).or_default();
                check_record(
                    "ticket",
                    &t.number,
                    FromRecord { encoded: encode_ticket(t), hash: &t.hash, signature: t.signature.as_deref() },
                    l,
                    &keys,
                    signed,
                )
                .map_err(at)?;
                follow(0, &t.register, &t.number, "ticket", t.sequence, &t.prev_hash, &t.hash).map_err(at)?;
                tally.counts.tickets += 1;
                tally.totals.tickets_total += t.total;
                tally.totals.tickets_absolute_total += Money(t.total.cents().abs());
                tally.add(0, "tickets", Some(&t.register), t.sequence, &t.prev_hash, &t.hash);
            }
            Line::Closure(l) => {
                let c = &l.record;
                let label = format!("{} {} of {}", c.kind.as_str(), c.period, c.register);
                let signed = signed_yet.entry((1, c.register.clone())).or_default();
                check_record(
                    "closure",
                    &label,
                    FromRecord { encoded: encode_closure(c), hash: &c.hash, signature: c.signature.as_deref() },
                    l,
                    &keys,
                    signed,
                )
                .map_err(at)?;
                follow(1, &c.register, &label, "closure", c.sequence, &c.prev_hash, &c.hash).map_err(at)?;
                tally.counts.closures += 1;
                tally.add(1, "closures", Some(&c.register), c.sequence, &c.prev_hash, &c.hash);
            }
            Line::Journal(l) => {
                let e = &l.record;
                let label = format!("{} ({})", e.sequence, e.code);
                let signed = signed_yet.entry((2, String::new())).or_default();
                check_record(
                    "journal entry",
                    &label,
                    FromRecord { encoded: encode_journal(e), hash: &e.hash, signature: e.signature.as_deref() },
                    l,
                    &keys,
                    signed,
                )
                .map_err(at)?;
                follow(2, "", &label, "journal entry", e.sequence, &e.prev_hash, &e.hash).map_err(at)?;
                tally.counts.journal += 1;
                tally.add(2, "journal", None, e.sequence, &e.prev_hash, &e.hash);
            }
            Line::Manifest(_) | Line::Signature(_) => {
                return Err(format!("line {}: a manifest or signature before the end", i + 1));
            }
        }
    }
    if tally.counts != manifest.counts {
        return Err(format!("the manifest's counts {:?} are not the archive's {:?}", manifest.counts, tally.counts));
    }
    if tally.totals != manifest.totals {
        return Err(format!("the manifest's totals {:?} are not the archive's {:?}", manifest.totals, tally.totals));
    }
    if tally.chains() != manifest.chains {
        return Err(
            "the manifest's chain heads are not those of the archive's records (a record was removed at an end)".into(),
        );
    }
    let records_len: usize = lines[..n - 2].iter().map(|l| l.len()).sum();
    if sha256_hex(&bytes[..records_len]) != manifest.records_sha256 {
        return Err("the manifest's records_sha256 is not the digest of the records".into());
    }
    let signed_len = records_len + lines[n - 2].len();
    let allowed: Vec<String> = match expected_key {
        Some(k) => {
            if !keys.iter().any(|listed| listed.eq_ignore_ascii_case(k.trim())) {
                return Err(format!("the archive does not list the expected public key {}", k.trim()));
            }
            vec![k.trim().to_lowercase()]
        }
        None => keys.clone(),
    };
    fiscal::verify(allowed.iter().map(String::as_str), &bytes[..signed_len], Some(&sig.signature)).map_err(|f| {
        format!(
            "the archive's signature {}: the manifest or a line was changed or recomputed without the shop's key",
            match f {
                SignatureFault::Invalid => "does not match its content".to_string(),
                other => other.describe(),
            }
        )
    })?;
    let signed_by = sig.signature.split(':').next().unwrap_or_default().to_string();
    Ok(Summary { manifest: manifest.clone(), signed_by, public_keys: keys })
}

/// Where archives are kept: `<data dir>/archives/` (six years at least, `docs/fiscal.md`).
pub const ARCHIVE_DIR: &str = "archives";

/// Writes the archive of `period` (to `out`, else `<data dir>/archives/SHOP-PERIOD.jsonl`),
/// journals it, and returns its path and manifest.
pub async fn write(
    shop: &crate::Shop,
    period: &str,
    out: Option<std::path::PathBuf>,
    user: Option<String>,
) -> Result<(std::path::PathBuf, Manifest), ShopError> {
    let period = parse_period(period, shop.config.fiscal.year_start_month, shop.timezone())?;
    let (created_at, _) = shop.stamp();
    let p = period.clone();
    let bytes = shop
        .store
        .read(move |c| {
            let tx = c.unchecked_transaction()?;
            let bytes = build(&tx, &p, &created_at)?;
            tx.finish()?;
            Ok(bytes)
        })
        .await?;
    let path = match out {
        Some(p) => p,
        None => {
            let dir = shop.store.path().parent().unwrap_or(std::path::Path::new(".")).join(ARCHIVE_DIR);
            std::fs::create_dir_all(&dir)?;
            dir.join(format!("{}-{}.jsonl", shop.code, period.label))
        }
    };
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&path)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
    }
    let summary = verify(&bytes, None)
        .map_err(|e| ShopError::Storage(format!("the archive just written does not verify: {e}")))?;
    let digest = sha256_hex(&bytes);
    let shown = path.display().to_string();
    let label = period.label.clone();
    shop.store
        .write(move |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO archives (period, path, sha256, created_at) VALUES (?, ?, ?, ?)",
                rusqlite::params![label, shown, digest, crate::store::now_text()],
            )?;
            let details = format!("{label} {shown} sha256 {digest}");
            crate::journal::record(
                tx,
                crate::journal::Event {
                    code: crate::journal::codes::ARCHIVE,
                    user: user.as_deref(),
                    register: None,
                    details: &details,
                },
            )
        })
        .await?;
    Ok((path, summary.manifest))
}

/// Copies an archive file to HQ (`POST /api/v1/sync/archives`), when the shop is enrolled:
/// `Ok(None)` when it is not. HQ checks the signature with its own copy of the shop's keys
/// and says whether it holds. The upload is journaled (`archive`, "copied to HQ").
pub async fn upload(
    shop: &crate::Shop,
    path: &std::path::Path,
) -> Result<Option<comptoir_protocol::ArchiveReceipt>, ShopError> {
    let agent = match crate::sync::agent::SyncAgent::for_shop(shop).await {
        Ok(a) => a,
        Err(ShopError::NotEnrolled) => return Ok(None),
        Err(e) => return Err(e),
    };
    let bytes = std::fs::read(path)?;
    if bytes.len() > comptoir_protocol::MAX_ARCHIVE_BYTES {
        return Err(ShopError::Storage(format!(
            "the archive {} is {} bytes, more than HQ takes ({}): archive a shorter period",
            path.display(),
            bytes.len(),
            comptoir_protocol::MAX_ARCHIVE_BYTES
        )));
    }
    let receipt = agent.client().upload_archive(bytes).await?;
    let details = format!(
        "{} copied to HQ as {} ({})",
        receipt.period,
        receipt.name,
        if receipt.verified { "signature holds at HQ" } else { "HQ says the signature does not hold" }
    );
    shop.store
        .write(move |tx| {
            crate::journal::record(
                tx,
                crate::journal::Event {
                    code: crate::journal::codes::ARCHIVE,
                    user: None,
                    register: None,
                    details: &details,
                },
            )
        })
        .await?;
    shop.outbox_signal.notify_one();
    Ok(Some(receipt))
}

/// The months closed (a month closure of any register) that have no archive yet, oldest
/// first: what the automatic monthly archive still owes.
pub fn months_to_archive(conn: &Connection) -> Result<Vec<String>, ShopError> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT period FROM closures WHERE kind = 'month'
         AND period NOT IN (SELECT period FROM archives) ORDER BY period",
    )?;
    Ok(stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?)
}

/// The automatic monthly archive: once a month is closed (after its last day), it is
/// archived in the data directory and copied to HQ. A failure to write is logged and tried
/// again a minute later; a failed copy to HQ is logged (`comptoir shop archive` again sends it).
pub async fn after_month_closure(shop: &crate::Shop, month: &str) {
    let path = match write(shop, month, None, None).await {
        Ok((path, _)) => path,
        Err(e) => {
            tracing::warn!(month, error = %e, "automatic monthly archive failed");
            return;
        }
    };
    match upload(shop, &path).await {
        Ok(Some(r)) => tracing::info!(month, name = %r.name, verified = r.verified, "monthly archive copied to HQ"),
        Ok(None) => tracing::info!(month, path = %path.display(), "monthly archive written (not enrolled with HQ)"),
        Err(e) => tracing::warn!(month, error = %e, "monthly archive written, its copy to HQ failed"),
    }
}
