//! The accept loop of both servers, on hyper-util: HTTP/1.1 and HTTP/2, TLS optional.
//!
//! Bounds: at most `max_connections` connections open, and `max_connections_per_address`
//! from one address (the TCP peer: behind a reverse proxy, the proxy); a client has
//! `header_timeout` to send its request headers and 10 s for a TLS handshake. Past a cap a
//! connection is not refused blind: it takes one of a few overflow places
//! (`max_connections / 16`, 4 to 256), where it has 2 s to send its headers and is served
//! one request only, health answered and anything else 503 `overloaded`; with the
//! overflow places full too, new connections wait in the system's backlog. On stop, the
//! loop stops accepting and waits up to `grace` for the requests in flight.

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Time a client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The bounds of the accept loop.
#[derive(Clone)]
pub struct ServeConfig {
    /// TLS on every connection, or plain HTTP.
    pub tls: Option<TlsAcceptor>,
    /// Connections open at once.
    pub max_connections: usize,
    /// Connections open at once from one address (0: no bound of its own).
    pub max_connections_per_address: usize,
    /// Time a client has to send a request's headers.
    pub header_timeout: Duration,
    /// After the stop signal, time left to the requests in flight.
    pub grace: Duration,
}

impl ServeConfig {
    /// Places for connections past a cap: enough for monitors, too few to matter.
    fn overflow_places(&self) -> usize {
        (self.max_connections / 16).clamp(4, 256)
    }
}

/// Why TLS cannot start, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TLS {path}: {en}")]
pub struct TlsError {
    pub path: String,
    pub en: String,
    pub fr: String,
}

fn tls_error(path: &Path, en: String, fr: String) -> TlsError {
    TlsError { path: path.display().to_string(), en, fr }
}

/// The TLS acceptor of a certificate chain and its key (PEM files); `None` when neither
/// is given (plain HTTP).
pub fn tls_acceptor(cert: Option<&Path>, key: Option<&Path>) -> Result<Option<TlsAcceptor>, TlsError> {
    let (cert_path, key_path) = match (cert, key) {
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

/// Open connections per address.
struct PerAddress {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection counted for its address, uncounted when dropped.
struct AddressPlace {
    counts: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    fn take(self: &Arc<Self>, ip: IpAddr) -> Option<AddressPlace> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_default();
        if self.max > 0 && *n >= self.max {
            return None;
        }
        *n += 1;
        Some(AddressPlace { counts: self.clone(), ip })
    }
}

impl Drop for AddressPlace {
    fn drop(&mut self) {
        let mut open = self.counts.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// What a connection holds while open (released when it closes).
struct Place {
    _permit: OwnedSemaphorePermit,
    _counted: Option<AddressPlace>,
    overflow: bool,
}

/// Serves `app` on `listener` until `shutdown` resolves; connections past the caps are
/// served `overflow` (see [`crate::layers::overflow`]), one request each.
pub async fn serve(
    app: Router,
    overflow: Router,
    listener: TcpListener,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let graceful = GracefulShutdown::new();
    let regular = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let spare = Arc::new(Semaphore::new(config.overflow_places()));
    let per_address = Arc::new(PerAddress { max: config.max_connections_per_address, open: Mutex::default() });
    let mut http = Builder::new(TokioExecutor::new());
    http.http1().timer(TokioTimer::new()).header_read_timeout(config.header_timeout);
    let mut one_request = Builder::new(TokioExecutor::new()).http1_only();
    // An overflow place is for a monitor's quick question: held briefly, one request.
    let overflow_timeout = config.header_timeout.min(Duration::from_secs(2));
    one_request.http1().timer(TokioTimer::new()).header_read_timeout(overflow_timeout).keep_alive(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A regular place first; past the cap, an overflow place; else wait for either.
        let permit = match regular.clone().try_acquire_owned() {
            Ok(p) => Ok(p),
            Err(_) => tokio::select! {
                p = regular.clone().acquire_owned() => match p { Ok(p) => Ok(p), Err(_) => break },
                p = spare.clone().acquire_owned() => match p { Ok(p) => Err(p), Err(_) => break },
                _ = &mut shutdown => break,
            },
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
        let place = match permit {
            Ok(p) => match per_address.take(peer.ip()) {
                Some(counted) => Place { _permit: p, _counted: Some(counted), overflow: false },
                None => match spare.clone().try_acquire_owned() {
                    Ok(o) => Place { _permit: o, _counted: None, overflow: true },
                    Err(_) => continue, // dropped: this address has all it may have
                },
            },
            Err(o) => Place { _permit: o, _counted: None, overflow: true },
        };
        let _ = stream.set_nodelay(true);
        let watcher = graceful.watcher();
        let (app, builder) =
            if place.overflow { (overflow.clone(), one_request.clone()) } else { (app.clone(), http.clone()) };
        let tls = config.tls.clone();
        tokio::spawn(async move {
            let _place = place;
            let service = hyper_util::service::TowerToHyperService::new(tower::service_fn(
                move |mut r: Request<hyper::body::Incoming>| {
                    r.extensions_mut().insert(ConnectInfo(peer));
                    app.clone().oneshot(r.map(axum::body::Body::new))
                },
            ));
            match tls {
                None => {
                    let _ = watcher.watch(builder.serve_connection_with_upgrades(TokioIo::new(stream), service)).await;
                }
                Some(acceptor) => {
                    let Some(stream) = handshake(&acceptor, stream, peer).await else { return };
                    let _ = watcher.watch(builder.serve_connection_with_upgrades(TokioIo::new(stream), service)).await;
                }
            }
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {},
        _ = tokio::time::sleep(config.grace) => tracing::warn!("connections still open after the grace period; closing them"),
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
