//! HTTP client of HQ's sync endpoints. Every call has a time limit; every failure becomes
//! `HqUnreachable` (network, timeout), `HqCertificate` (HQ's HTTPS certificate is not
//! trusted) or `HqRefused` (HQ answered with an error).
//!
//! HTTPS is rustls: HQ's certificate must chain to Mozilla's roots, the system's roots or
//! the authority of `sync.hq_ca_cert`, and name the host of HQ's address.

use crate::config::SyncConfig;
use crate::error::ShopError;
use comptoir_protocol::{
    EnrolRequest, EnrolResponse, ErrorBody, FeedPage, HEADER_CURSOR, HEADER_OLDEST_UNSENT, HEADER_PROTOCOL,
    HEADER_UNSENT, HEADER_VERSION, Hello, JobReport, PROTOCOL_VERSION, PushOutcome, SnapshotLine,
};
use reqwest::{Method, RequestBuilder, Response};
use std::path::Path;
use std::time::Duration;
use uuid::Uuid;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the shop tells HQ about itself on every push and pull.
#[derive(Debug, Clone, Copy, Default)]
pub struct Health {
    pub unsent: i64,
    pub oldest_unsent_seconds: i64,
    pub cursor: i64,
}

#[derive(Clone)]
pub struct HqClient {
    http: reqwest::Client,
    base: String,
    credential: Option<String>,
    timeout: Duration,
}

/// `http://host:port`, from what a person may type (`…/`, `…/api/v1`).
pub fn normalise_url(url: &str) -> Result<String, ShopError> {
    let trimmed = url.trim().trim_end_matches('/');
    let trimmed = trimmed.strip_suffix("/api/v1").unwrap_or(trimmed);
    match reqwest::Url::parse(trimmed) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => Ok(trimmed.to_string()),
        _ => Err(ShopError::Config(format!(
            "HQ address {url:?} is not an http(s) URL; write it like http://hq.example.fr:8080"
        ))),
    }
}

impl HqClient {
    /// A client trusting the system's and Mozilla's roots only.
    pub fn new(base: &str, credential: Option<String>, timeout: Duration) -> Result<HqClient, ShopError> {
        Self::with_ca(base, credential, timeout, None)
    }

    /// A client with the shop's sync settings (`sync.hq_ca_cert`).
    pub fn with_config(
        base: &str,
        credential: Option<String>,
        timeout: Duration,
        sync: &SyncConfig,
    ) -> Result<HqClient, ShopError> {
        Self::with_ca(base, credential, timeout, sync.hq_ca_cert.as_deref())
    }

    /// A client that also trusts the certificate authorities of the PEM file `ca`.
    pub fn with_ca(
        base: &str,
        credential: Option<String>,
        timeout: Duration,
        ca: Option<&Path>,
    ) -> Result<HqClient, ShopError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout);
        if let Some(path) = ca {
            let shown = path.display();
            let pem = std::fs::read(path).map_err(|e| ShopError::Setting {
                key: "sync.hq_ca_cert",
                en: format!("cannot read {shown} ({e}); give the PEM file of HQ's certificate authority."),
                fr: format!(
                    "impossible de lire {shown} ({e}) ; donnez le fichier PEM de l'autorité de certification du siège."
                ),
            })?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).ok().filter(|c| !c.is_empty()).ok_or_else(|| {
                    ShopError::Setting {
                        key: "sync.hq_ca_cert",
                        en: format!("{shown} holds no PEM certificate (BEGIN CERTIFICATE blocks expected)."),
                        fr: format!("{shown} ne contient aucun certificat PEM (blocs BEGIN CERTIFICATE attendus)."),
                    }
                })?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder.build().map_err(|e| ShopError::Config(format!("HTTP client: {e}")))?;
        Ok(HqClient { http, base: normalise_url(base)?, credential, timeout })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str, health: Option<Health>) -> RequestBuilder {
        let mut r = self
            .http
            .request(method, format!("{}/api/v1/sync/{path}", self.base))
            .timeout(self.timeout)
            .header(HEADER_PROTOCOL, PROTOCOL_VERSION.to_string())
            .header(HEADER_VERSION, VERSION);
        if let Some(c) = &self.credential {
            r = r.bearer_auth(c);
        }
        if let Some(h) = health {
            r = r
                .header(HEADER_UNSENT, h.unsent.to_string())
                .header(HEADER_OLDEST_UNSENT, h.oldest_unsent_seconds.to_string())
                .header(HEADER_CURSOR, h.cursor.to_string());
        }
        r
    }

    fn unreachable(&self, e: reqwest::Error) -> ShopError {
        if let Some(detail) = certificate_problem(&e) {
            return ShopError::HqCertificate { url: self.base.clone(), detail };
        }
        let cause = if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "connection refused or no route".to_string()
        } else {
            e.to_string()
        };
        ShopError::HqUnreachable { url: self.base.clone(), cause }
    }

    async fn send(&self, r: RequestBuilder) -> Result<Response, ShopError> {
        let response = r.send().await.map_err(|e| self.unreachable(e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let (kind, message) = match serde_json::from_str::<ErrorBody>(&text) {
            Ok(b) => (b.kind, b.message),
            Err(_) => ("http_error".to_string(), text.chars().take(300).collect()),
        };
        Err(ShopError::HqRefused { status, kind, message })
    }

    async fn json<T: serde::de::DeserializeOwned>(&self, r: RequestBuilder) -> Result<T, ShopError> {
        let response = self.send(r).await?;
        response.json().await.map_err(|e| self.unreachable(e))
    }

    pub async fn enrol(&self, token: &str) -> Result<EnrolResponse, ShopError> {
        let body =
            EnrolRequest { token: token.trim().to_string(), protocol: PROTOCOL_VERSION, version: VERSION.into() };
        self.json(self.request(Method::POST, "enrol", None).json(&body)).await
    }

    pub async fn hello(&self, timeout: Duration) -> Result<Hello, ShopError> {
        self.json(self.request(Method::GET, "hello", None).timeout(timeout)).await
    }

    pub async fn feed(&self, cursor: i64, wait: u64, limit: usize, health: Health) -> Result<FeedPage, ShopError> {
        let r = self
            .request(Method::GET, &format!("feed?cursor={cursor}&wait={wait}&limit={limit}"), Some(health))
            .timeout(self.timeout + Duration::from_secs(wait));
        self.json(r).await
    }

    /// Sends a batch shaped as [`comptoir_protocol::PushBatch`] (typed or as stored text).
    /// `first_key`: the shop's first public key, which HQ registers when it holds none.
    pub async fn push(
        &self,
        batch: &impl serde::Serialize,
        health: Health,
        first_key: Option<&str>,
    ) -> Result<PushOutcome, ShopError> {
        let mut r = self.request(Method::POST, "push", Some(health));
        if let Some(key) = first_key {
            r = r.header(comptoir_protocol::HEADER_PUBLIC_KEY, key);
        }
        self.json(r.json(batch)).await
    }

    /// Uploads a fiscal archive (`POST /api/v1/sync/archives`).
    pub async fn upload_archive(&self, bytes: Vec<u8>) -> Result<comptoir_protocol::ArchiveReceipt, ShopError> {
        let r = self
            .request(Method::POST, "archives", None)
            .timeout(self.timeout.max(Duration::from_secs(300)))
            .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
            .body(bytes);
        self.json(r).await
    }

    pub async fn report_job(&self, id: Uuid, report: &JobReport) -> Result<(), ShopError> {
        self.send(self.request(Method::POST, &format!("jobs/{id}"), None).json(report)).await.map(|_| ())
    }

    /// Opens a snapshot stream; `after` resumes after that `entity/key`.
    pub async fn snapshot(&self, after: Option<&str>) -> Result<SnapshotStream, ShopError> {
        let path = match after {
            Some(a) => format!("snapshot?after={}", urlencode(a)),
            None => "snapshot".to_string(),
        };
        // A large catalog takes longer than one request's limit: the limit applies per chunk.
        let r = self.request(Method::GET, &path, None).timeout(Duration::from_secs(3600));
        let response = self.send(r).await?;
        Ok(SnapshotStream { response, buffer: Vec::new(), client: self.clone() })
    }
}

/// The lines of a snapshot as they arrive.
pub struct SnapshotStream {
    response: Response,
    buffer: Vec<u8>,
    client: HqClient,
}

impl SnapshotStream {
    /// The next line; `None` when the stream ended (cut, if no `end` line came).
    pub async fn next_line(&mut self) -> Result<Option<SnapshotLine>, ShopError> {
        loop {
            if let Some(pos) = self.buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=pos).collect();
                let line = &line[..line.len() - 1];
                if line.is_empty() {
                    continue;
                }
                return serde_json::from_slice(line).map(Some).map_err(|e| ShopError::HqRefused {
                    status: 200,
                    kind: "bad_snapshot".into(),
                    message: format!("unreadable snapshot line: {e}"),
                });
            }
            let chunk = tokio::time::timeout(self.client.timeout, self.response.chunk()).await.map_err(|_| {
                ShopError::HqUnreachable { url: self.client.base.clone(), cause: "snapshot stalled".into() }
            })?;
            match chunk.map_err(|e| self.client.unreachable(e))? {
                Some(bytes) => self.buffer.extend_from_slice(&bytes),
                None => return Ok(None),
            }
        }
    }
}

/// The TLS certificate refusal among the causes of `e`, if that is what it is.
fn certificate_problem(e: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut found = None;
    while let Some(err) = source {
        let text = err.to_string();
        if text.contains("certificate") || text.contains("Certificate") {
            found = Some(text);
        }
        source = err.source();
    }
    found
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
