//! Running the HQ server: bind, serve until Ctrl-C or SIGTERM, finish the requests in
//! flight; meanwhile purge the feed of changes older than `feed_retention_days` (at start
//! and every hour).
//!
//! HTTP or HTTPS: with `tls_cert` and `tls_key` (PEM files), every connection is TLS
//! (rustls, TLS 1.2 and 1.3, HTTP/2 or HTTP/1.1 by ALPN). The accept loop is the shared
//! one of `comptoir_http::serve`: connections bounded (`max_connections`, and
//! `max_connections_per_address` from one address), `header_timeout_seconds` to send a
//! request's headers, health still answered past the caps.

use crate::error::{HqError, SERVER};
use crate::hq::Hq;
use crate::sync::format_instant;
use comptoir_http::serve::ServeConfig;
pub use comptoir_http::serve::stop_signal;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The TLS acceptor of `tls_cert` and `tls_key`; `None` when neither is set (plain HTTP).
pub fn tls_acceptor(config: &crate::HqConfig) -> Result<Option<TlsAcceptor>, HqError> {
    Ok(comptoir_http::serve::tls_acceptor(config.tls_cert.as_deref(), config.tls_key.as_deref())?)
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
    let config = ServeConfig {
        tls: tls_acceptor(&hq.config)?,
        max_connections: hq.config.max_connections.max(1),
        max_connections_per_address: hq.config.max_connections_per_address,
        header_timeout: Duration::from_secs(hq.config.header_timeout_seconds.max(1)),
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
    let overflow = comptoir_http::overflow(crate::api::health_route(), SERVER);
    comptoir_http::serve::serve(crate::api::router(hq), overflow, listener, config, shutdown).await;
    purger.abort();
    Ok(())
}
