//! Running the shop server: bind, announce, serve until Ctrl-C or SIGTERM, then finish the
//! requests in flight (a sale being committed is never cut halfway).
//!
//! The accept loop is the shared one of `comptoir_http::serve`, as HQ's: connections
//! bounded (`max_connections`, `max_connections_per_address`), `header_timeout_seconds` to
//! send a request's headers, health still answered past the caps.

use crate::error::{SERVER, ShopError};
use crate::shop::{Shop, journal};
use comptoir_http::serve::ServeConfig;
pub use comptoir_http::serve::stop_signal;
use std::time::Duration;
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
    let config = ServeConfig {
        tls: None,
        max_connections: shop.config.max_connections.max(1),
        max_connections_per_address: shop.config.max_connections_per_address,
        header_timeout: Duration::from_secs(shop.config.header_timeout_seconds.max(1)),
        grace: Duration::from_secs(shop.config.request_timeout_seconds + 5),
    };
    let overflow = comptoir_http::overflow(crate::api::health_route(), SERVER);
    // The print queue is sent while the server runs (receipts and drawer pulses).
    let printer = tokio::spawn(crate::printing::run_worker(shop.store.clone(), shop.devices.print_wake.clone()));
    comptoir_http::serve::serve(crate::api::router(shop), overflow, listener, config, shutdown).await;
    printer.abort();
    Ok(())
}
