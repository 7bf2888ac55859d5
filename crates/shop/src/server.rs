//! Running the shop server: bind, announce, serve until Ctrl-C or SIGTERM, then finish the
//! requests in flight (a sale being committed is never cut halfway).

use crate::error::ShopError;
use crate::shop::{Shop, journal};
use tokio::net::TcpListener;

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    shop: Shop,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ShopError> {
    let addr = listener.local_addr()?;
    // The journal line is not worth refusing to serve: on a full disk the shop still answers
    // (lists, and sales again as soon as space returns) instead of exiting after announcing
    // its address.
    if let Err(e) =
        shop.store.write(move |tx| journal(tx, "server_started", None, &format!("listening on {addr}"))).await
    {
        tracing::warn!(error = %e, "the server start could not be written to the journal");
    }
    // Each request knows the address it came from (sign-in limits per address).
    let app = crate::api::router(shop).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    Ok(())
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
