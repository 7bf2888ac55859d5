//! Running the HQ server: bind, serve until Ctrl-C or SIGTERM, finish the requests in
//! flight; meanwhile purge the feed of changes older than `feed_retention_days` (at start
//! and every hour).

use crate::error::HqError;
use crate::hq::Hq;
use crate::sync::format_instant;
use std::time::Duration;
use tokio::net::TcpListener;

/// Purges changes older than the retention; returns the new floor.
pub async fn purge_feed(hq: &Hq) -> Result<i64, HqError> {
    let now = jiff::Timestamp::now();
    let keep = jiff::SignedDuration::from_hours(24 * hq.config.feed_retention_days as i64);
    let before = format_instant(now.checked_sub(keep).unwrap_or(now));
    hq.storage.purge_feed(&before).await
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    hq: Hq,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HqError> {
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
    let result = axum::serve(listener, crate::api::router(hq)).with_graceful_shutdown(shutdown).await;
    purger.abort();
    result.map_err(HqError::from)
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
