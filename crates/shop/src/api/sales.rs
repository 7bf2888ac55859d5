//! Tickets, closures and chain verification.

use super::registers::Source;
use super::{Body, Caller, ErrorBody};
use crate::closures::{self, NewClosure};
use crate::error::ShopError;
use crate::sales::{self, Committed, Discounts, NewTicket, Stamp};
use crate::shop::{Shop, journal};
use crate::verify::{ChainReport, verify_recorded};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use comptoir_core::catalog::Role;
use comptoir_core::closure::Closure;
use comptoir_core::ticket::Ticket;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[utoipa::path(post, path = "/api/v1/tickets", request_body = NewTicket,
    responses(
        (status = 201, description = "Committed (on disk)", body = Ticket),
        (status = 200, description = "A ticket with this id was already committed: here it is", body = Ticket),
        (status = 422, description = "Refused: nothing written", body = ErrorBody),
        (status = 403, description = "A cashier's discounts above the shop's limit need `X-Manager-Approval: CODE:PIN` (`manager_approval_needed`)", body = ErrorBody),
        (status = 409, description = "The period is closed", body = ErrorBody)))]
pub async fn post_ticket(
    State(shop): State<Shop>,
    caller: Caller,
    Source(source): Source,
    headers: HeaderMap,
    Body(input): Body<NewTicket>,
) -> Result<(StatusCode, Json<Ticket>), ShopError> {
    if caller.0.role == Role::Cashier && input.cashier != caller.0.code {
        return Err(ShopError::Forbidden { needed: Role::Manager.as_str() });
    }
    let approver = super::registers::manager_approval(&shop, source, &headers).await?;
    let caller_code = caller.0.code.clone();
    let stamper = shop.clone();
    let share = shop.config.sync.share_customers;
    let committed = shop
        .store
        .write(move |tx| {
            // Stamped inside the write lock, so time never goes backwards along a chain.
            let (created_at, business_date) = stamper.stamp();
            let stamp = Stamp { shop_code: &stamper.code, created_at, business_date };
            let discounts = match &approver {
                Some(manager) => Discounts::ApprovedBy(manager),
                None => Discounts::Enforce,
            };
            sales::commit_ticket_approved(tx, &stamp, input, share, discounts)
        })
        .await?;
    Ok(match committed {
        Committed::New(t) => {
            shop.outbox_signal.notify_one();
            tracing::info!(number = %t.number, total = t.total.cents(), "ticket committed");
            super::peripherals::after_sale(&shop, &t, &caller_code).await;
            (StatusCode::CREATED, Json(t))
        }
        Committed::Existing(t) => (StatusCode::OK, Json(t)),
    })
}

#[derive(Deserialize, IntoParams)]
pub struct TicketQuery {
    /// Only this register's tickets.
    pub register: Option<String>,
    /// `next` of the previous page.
    pub after: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct TicketPage {
    pub items: Vec<Ticket>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/tickets", params(TicketQuery), responses((status = 200, body = TicketPage)))]
pub async fn list_tickets(
    State(shop): State<Shop>,
    _caller: Caller,
    Query(q): Query<TicketQuery>,
) -> Result<Json<TicketPage>, ShopError> {
    let limit = q.limit.unwrap_or(100);
    let (items, next) = shop.store.read(move |c| sales::list_tickets(c, q.register.as_deref(), q.after, limit)).await?;
    Ok(Json(TicketPage { items, next }))
}

#[utoipa::path(get, path = "/api/v1/tickets/{key}", params(("key" = String, Path, description = "Ticket id or number")),
    responses((status = 200, body = Ticket), (status = 404, body = ErrorBody)))]
pub async fn get_ticket(
    State(shop): State<Shop>,
    _caller: Caller,
    Path(key): Path<String>,
) -> Result<Json<Ticket>, ShopError> {
    let k = key.clone();
    let t = shop.store.read(move |c| sales::find_ticket(c, &k)).await?;
    t.map(Json).ok_or(ShopError::NotFound { what: "ticket", key, field: None })
}

#[utoipa::path(post, path = "/api/v1/closures", request_body = NewClosure,
    responses((status = 201, body = Closure), (status = 409, body = ErrorBody)))]
pub async fn post_closure(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewClosure>,
) -> Result<(StatusCode, Json<Closure>), ShopError> {
    caller.require(Role::Manager)?;
    let stamper = shop.clone();
    let actor = caller.0.code.clone();
    let closure = shop
        .store
        .write(move |tx| {
            let (created_at, today) = stamper.stamp();
            let c = closures::close(tx, &stamper.code, &created_at, &today, input)?;
            let detail = format!("{} {} {} total {}", c.register, c.kind.as_str(), c.period, c.totals.total);
            journal(tx, crate::journal::codes::CLOSURE, Some(&actor), &detail)?;
            Ok(c)
        })
        .await?;
    shop.outbox_signal.notify_one();
    Ok((StatusCode::CREATED, Json(closure)))
}

#[derive(Deserialize, IntoParams)]
pub struct ClosureQuery {
    pub register: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/closures", params(ClosureQuery), responses((status = 200, body = Vec<Closure>)))]
pub async fn list_closures(
    State(shop): State<Shop>,
    _caller: Caller,
    Query(q): Query<ClosureQuery>,
) -> Result<Json<Vec<Closure>>, ShopError> {
    Ok(Json(shop.store.read(move |c| closures::list_closures(c, q.register.as_deref())).await?))
}

#[derive(Serialize, ToSchema)]
pub struct VerifyReport {
    pub intact: bool,
    #[schema(value_type = Vec<Object>)]
    pub chains: Vec<ChainReport>,
}

#[utoipa::path(post, path = "/api/v1/verify", responses((status = 200, body = VerifyReport)))]
pub async fn verify_chains(State(shop): State<Shop>, caller: Caller) -> Result<Json<VerifyReport>, ShopError> {
    caller.require(Role::Manager)?;
    let user = caller.0.code.clone();
    let chains = shop.store.write(move |tx| verify_recorded(tx, Some(&user))).await?;
    Ok(Json(VerifyReport { intact: chains.iter().all(|c| c.broken.is_none()), chains }))
}
