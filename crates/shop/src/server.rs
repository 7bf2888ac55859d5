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
    if let Err(e) = shop
        .store
        .write(move |tx| {
            journal(
                tx,
                crate::journal::codes::SERVER_STARTED,
                None,
                // The program's version at each start: a software update shows in the journal.
                &format!("Comptoir {}, listening on {addr}", env!("CARGO_PKG_VERSION")),
            )
        })
        .await
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
    let closer = tokio::spawn(automatic_closures(shop.clone()));
    // The print queue is sent while the server runs (receipts and drawer pulses).
    let printer = tokio::spawn(crate::printing::run_worker(shop.store.clone(), shop.devices.print_wake.clone()));
    comptoir_http::serve::serve(crate::api::router(shop.clone()), overflow, listener, config, shutdown).await;
    closer.abort();
    printer.abort();
    if let Err(e) = shop
        .store
        .write(move |tx| journal(tx, crate::journal::codes::SERVER_STOPPED, None, &format!("was listening on {addr}")))
        .await
    {
        tracing::warn!(error = %e, "the server stop could not be written to the journal");
    }
    Ok(())
}

/// Once a minute: the closures due (`closures::close_due`), and after `fiscal.closure_hour`
/// the current business day's too. A day with no sale is not closed.
async fn automatic_closures(shop: Shop) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let s = shop.clone();
        let made = shop
            .store
            .write(move |tx| {
                let (created_at, today) = s.stamp();
                let hour_passed = s.config.fiscal.closure_hour.is_some_and(|h| s.local_hour() >= h);
                // After the closure hour, the due closures are those of tomorrow's first ticket.
                let as_of = if hour_passed { next_day(&today) } else { today.clone() };
                crate::closures::close_due_everywhere(tx, &s.code, &created_at, &as_of, &today)
            })
            .await;
        match made {
            Ok(made) if !made.is_empty() => {
                tracing::info!(closures = made.len(), "automatic closures made");
                shop.outbox_signal.notify_one();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "automatic closures failed"),
        }
        // Each month closed (here or by the first sale of a new day) is archived and copied
        // to HQ once: the months with a closure and no archive yet.
        match shop.store.read(crate::archive::months_to_archive).await {
            Ok(months) => {
                for month in months {
                    crate::archive::after_month_closure(&shop, &month).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading the months to archive failed"),
        }
    }
}

fn next_day(day: &str) -> String {
    jiff::civil::Date::strptime("%Y-%m-%d", day)
        .ok()
        .and_then(|d| d.tomorrow().ok())
        .map(|d| d.to_string())
        .unwrap_or_else(|| day.to_string())
}
