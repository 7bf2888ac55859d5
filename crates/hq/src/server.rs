//! Running the HQ server: bind, serve until Ctrl-C or SIGTERM, finish the requests in
//! flight; meanwhile purge the feed of changes older than `feed_retention_days` (at start
//! and every hour).
//!
//! HTTP or HTTPS: with `tls_cert` and `tls_key` (PEM files), every connection is TLS
//! (rustls, TLS 1.2 and 1.3, HTTP/2 or HTTP/1.1 by ALPN). Connections are bounded
//! (`max_connections`), a client has 10 s for its TLS handshake and 30 s to send its
//! request headers, and every request knows the address it came from (rate limits).

use crate::error::HqError;
use crate::hq::Hq;
use crate::sync::format_instant;
use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Time a client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a client has to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

fn tls_error(path: &Path, en: String, fr: String) -> HqError {
    HqError::Tls { path: path.display().to_string(), en, fr }
}

/// The TLS acceptor of `tls_cert` and `tls_key`; `None` when neither is set (plain HTTP).
pub fn tls_acceptor(config: &crate::HqConfig) -> Result<Option<TlsAcceptor>, HqError> {
    let (cert_path, key_path) = match (&config.tls_cert, &config.tls_key) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        (Some(p), None) | (None, Some(p)) => {
            return Err(tls_error(
                p,
                "tls_cert and tls_key go together: give both (PEM files) for HTTPS, or neither for HTTP.".into(),
                "tls_cert et tls_key vont ensemble : donnez les deux (fichiers PEM) pour HTTPS, ou aucun pour HTTP."
                    .into(),
            ));
        }
    };
    let certs = CertificateDer::pem_file_iter(cert_path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            tls_error(
                cert_path,
                format!("cannot read the certificate chain ({e}); give a PEM file of BEGIN CERTIFICATE blocks."),
                format!("impossible de lire la chaîne de certificats ({e}) ; donnez un fichier PEM de blocs BEGIN CERTIFICATE."),
            )
        })?;
    if certs.is_empty() {
        return Err(tls_error(
            cert_path,
            "no certificate in this file; give a PEM file of BEGIN CERTIFICATE blocks.".into(),
            "aucun certificat dans ce fichier ; donnez un fichier PEM de blocs BEGIN CERTIFICATE.".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| {
        tls_error(
            key_path,
            format!("cannot read the private key ({e}); give a PEM file with one PRIVATE KEY block."),
            format!("impossible de lire la clé privée ({e}) ; donnez un fichier PEM avec un bloc PRIVATE KEY."),
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| {
            tls_error(
                key_path,
                format!("the certificate and the key do not make a usable pair ({e})."),
                format!("le certificat et la clé ne forment pas une paire utilisable ({e})."),
            )
        })?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some(TlsAcceptor::from(Arc::new(server))))
}

/// Purges changes older than the retention; returns the new floor.
pub async fn purge_feed(hq: &Hq) -> Result<i64, HqError> {
    let now = jiff::Timestamp::now();
    let keep = jiff::SignedDuration::from_hours(24 * hq.config.feed_retention_days as i64);
    let before = format_instant(now.checked_sub(keep).unwrap_or(now));
    Ok(hq.storage.purge_feed(&before).await?)
}

/// Serves the API on `listener` until `shutdown` resolves (HTTPS when `tls_cert` and
/// `tls_key` are set).
pub async fn serve(
    hq: Hq,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HqError> {
    let tls = tls_acceptor(&hq.config)?;
    let limits = Limits {
        max_connections: hq.config.max_connections.max(1),
        // In-flight requests finish, the longest being a long-polled feed.
        grace: Duration::from_secs(
            hq.config.feed_poll_max_seconds.min(comptoir_protocol::MAX_WAIT_SECONDS)
                + hq.config.request_timeout_seconds
                + 5,
        ),
    };
    let purger = {
        let hq = hq.clone();
        tokio::spawn(async move {
            loop {
                match purge_feed(&hq).await {
                    Ok(floor) => tracing::debug!(floor, "feed purged"),
                    Err(e) => tracing::error!(error = %e, "feed purge failed"),
                }
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        })
    };
    serve_connections(crate::api::router(hq), listener, tls, limits, shutdown).await;
    purger.abort();
    Ok(())
}

struct Limits {
    max_connections: usize,
    grace: Duration,
}

/// Accepts connections (at most `max_connections` open) and serves `app` on each, until
/// `shutdown`; then waits up to `grace` for the connections to finish their requests.
async fn serve_connections(
    app: Router,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let mut http = Builder::new(TokioExecutor::new());
    http.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let watcher = graceful.watcher();
        let (app, tls, http) = (app.clone(), tls.clone(), http.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper_util::service::TowerToHyperService::new(tower::service_fn(
                move |mut r: Request<hyper::body::Incoming>| {
                    r.extensions_mut().insert(ConnectInfo(peer));
                    app.clone().oneshot(r.map(axum::body::Body::new))
                },
            ));
            match tls {
                None => {
                    let _ = watcher.watch(http.serve_connection_with_upgrades(TokioIo::new(stream), service)).await;
                }
                Some(acceptor) => {
                    let Some(stream) = handshake(&acceptor, stream, peer).await else { return };
                    let _ = watcher.watch(http.serve_connection_with_upgrades(TokioIo::new(stream), service)).await;
                }
            }
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {},
        _ = tokio::time::sleep(limits.grace) => tracing::warn!("connections still open after the grace period; closing them"),
    }
}

async fn handshake(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(s)) => Some(s),
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            None
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
