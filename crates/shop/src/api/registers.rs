//! What a register needs beyond selling: its till (session opened with a float, closed
//! with the count, the X reading), parked tickets, scanning (scale barcodes and their
//! rules), the users HQ attached to it, and the state of the link to HQ for its status bar.
//! Rules in [`crate::till`], [`crate::parked`], [`crate::scale`]. The register screen
//! (`api::app`) calls these same handlers with its browser session.

use super::{Body, Caller, ErrorBody};
use crate::error::ShopError;
use crate::parked::{self, NewParked, Parked};
use crate::scale::{self, ScaleRule, Scanned};
use crate::shop::Shop;
use crate::staff::{self, User};
use crate::till::{self, CashCount, RegisterSession, TillState, XReading};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Json, Router};
use comptoir_core::catalog::Role;
use comptoir_core::ticket::Ticket;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

#[derive(OpenApi)]
#[openapi(paths(
    get_till,
    open_till,
    close_till,
    list_sessions,
    x_reading,
    register_users,
    list_parked,
    post_parked,
    take_parked,
    scan,
    get_scale_rules,
    put_scale_rules,
    hq_link,
    preview_ticket,
    get_discount_rule,
    put_discount_rule
))]
pub struct RegisterDoc;

pub fn routes() -> Router<Shop> {
    use axum::routing::{delete, get, post};
    Router::new()
        .route("/api/v1/registers/{code}/till", get(get_till))
        .route("/api/v1/registers/{code}/till/open", post(open_till))
        .route("/api/v1/registers/{code}/till/close", post(close_till))
        .route("/api/v1/registers/{code}/sessions", get(list_sessions))
        .route("/api/v1/registers/{code}/x", get(x_reading))
        .route("/api/v1/registers/{code}/users", get(register_users))
        .route("/api/v1/parked", get(list_parked).post(post_parked))
        .route("/api/v1/parked/{id}", delete(take_parked))
        .route("/api/v1/scan/{code}", get(scan))
        .route("/api/v1/scale-rules", get(get_scale_rules).put(put_scale_rules))
        .route("/api/v1/hq-link", get(hq_link))
        .route("/api/v1/tickets/preview", post(preview_ticket))
        .route("/api/v1/settings/discounts", get(get_discount_rule).put(put_discount_rule))
}

/// The address a request comes from, as the sign-in guard counts it.
pub struct Source(pub std::net::IpAddr);

impl axum::extract::FromRequestParts<Shop> for Source {
    type Rejection = ShopError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, shop: &Shop) -> Result<Self, ShopError> {
        Ok(Source(comptoir_http::source_address(parts, &shop.config.trusted_proxies)))
    }
}

/// The manager who approves a cashier's discounts above the shop's limit: the
/// `X-Manager-Approval: CODE:PIN` header, checked through the sign-in guard (a wrong PIN
/// counts like any failed sign-in). `None` without the header.
pub async fn manager_approval(
    shop: &Shop,
    source: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
) -> Result<Option<String>, ShopError> {
    let Some(value) = headers.get("x-manager-approval") else { return Ok(None) };
    let (code, pin) = value.to_str().ok().and_then(|v| v.split_once(':')).unwrap_or(("", ""));
    let manager = match shop.sign_in(source, code, pin).await {
        Ok(u) => u,
        Err(ShopError::Unauthorized) => {
            return Err(ShopError::refused(
                crate::error::Refusal::WrongPin,
                "The manager's code or PIN is wrong: type them again.",
                "Le code ou le PIN du responsable est faux : saisissez-les à nouveau.",
                Some("X-Manager-Approval"),
            ));
        }
        Err(e) => return Err(e),
    };
    if manager.role < Role::Manager {
        return Err(ShopError::Forbidden { needed: Role::Manager.as_str() });
    }
    Ok(Some(manager.code))
}

/// A cashier works only at the registers HQ attached it to.
fn at_register(c: &rusqlite::Connection, user: &User, register: &str) -> Result<(), ShopError> {
    if staff::may_use_register(c, &user.code, register)? {
        Ok(())
    } else {
        Err(staff::not_at_this_register(&user.code, register))
    }
}

#[utoipa::path(get, path = "/api/v1/registers/{code}/till",
    responses((status = 200, body = TillState), (status = 404, body = ErrorBody)))]
pub async fn get_till(
    State(shop): State<Shop>,
    _c: Caller,
    Path(code): Path<String>,
) -> Result<Json<TillState>, ShopError> {
    let (_, today) = shop.stamp();
    Ok(Json(shop.store.read(move |c| till::state(c, &code, &today)).await?))
}

#[utoipa::path(post, path = "/api/v1/registers/{code}/till/open", request_body = CashCount,
    responses((status = 201, description = "Opened with this float", body = RegisterSession),
              (status = 409, description = "Already open (`session_open`), or an earlier day's Z is due (`z_due`)", body = ErrorBody),
              (status = 400, description = "A bad count (`bad_count`)", body = ErrorBody)))]
pub async fn open_till(
    State(shop): State<Shop>,
    caller: Caller,
    Path(code): Path<String>,
    Body(count): Body<CashCount>,
) -> Result<(StatusCode, Json<RegisterSession>), ShopError> {
    let stamper = shop.clone();
    let session = shop
        .store
        .write(move |tx| {
            at_register(tx, &caller.0, &code)?;
            let (at, today) = stamper.stamp();
            till::open(tx, &code, &caller.0.code, &at, &today, &count)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(session)))
}

#[utoipa::path(post, path = "/api/v1/registers/{code}/till/close", request_body = CashCount,
    responses((status = 200, description = "Closed: counted, expected and the difference", body = RegisterSession),
              (status = 409, description = "Not open (`no_open_session`)", body = ErrorBody)))]
pub async fn close_till(
    State(shop): State<Shop>,
    caller: Caller,
    Path(code): Path<String>,
    Body(count): Body<CashCount>,
) -> Result<Json<RegisterSession>, ShopError> {
    let stamper = shop.clone();
    let session = shop
        .store
        .write(move |tx| {
            at_register(tx, &caller.0, &code)?;
            let (at, _) = stamper.stamp();
            till::close(tx, &code, &caller.0.code, &at, &count)
        })
        .await?;
    Ok(Json(session))
}

#[utoipa::path(get, path = "/api/v1/registers/{code}/sessions",
    responses((status = 200, description = "The register's sessions, newest first (100)", body = Vec<RegisterSession>)))]
pub async fn list_sessions(
    State(shop): State<Shop>,
    _c: Caller,
    Path(code): Path<String>,
) -> Result<Json<Vec<RegisterSession>>, ShopError> {
    Ok(Json(shop.store.read(move |c| till::sessions(c, &code, 100)).await?))
}

#[utoipa::path(get, path = "/api/v1/registers/{code}/x",
    responses((status = 200, description = "The X reading: totals since the last Z, nothing written", body = XReading)))]
pub async fn x_reading(
    State(shop): State<Shop>,
    _c: Caller,
    Path(code): Path<String>,
) -> Result<Json<XReading>, ShopError> {
    let (at, today) = shop.stamp();
    Ok(Json(shop.store.read(move |c| till::x_reading(c, &code, &at, &today)).await?))
}

#[utoipa::path(get, path = "/api/v1/registers/{code}/users",
    responses((status = 200, description = "Active users who may sell at this register", body = Vec<User>)))]
pub async fn register_users(
    State(shop): State<Shop>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Vec<User>>, ShopError> {
    caller.require(Role::Manager)?;
    let users = shop
        .store
        .read(move |c| {
            let mut out = Vec::new();
            for u in staff::list_users(c)? {
                if u.active && u.has_pin && staff::may_use_register(c, &u.code, &code)? {
                    out.push(u);
                }
            }
            Ok(out)
        })
        .await?;
    Ok(Json(users))
}

#[utoipa::path(get, path = "/api/v1/parked", responses((status = 200, description = "Every parked ticket of the shop, oldest first", body = Vec<Parked>)))]
pub async fn list_parked(State(shop): State<Shop>, _c: Caller) -> Result<Json<Vec<Parked>>, ShopError> {
    Ok(Json(shop.store.read(parked::list).await?))
}

#[utoipa::path(post, path = "/api/v1/parked", request_body = NewParked,
    responses((status = 201, description = "Parked (again with the same id: the same one)", body = Parked),
              (status = 400, body = ErrorBody)))]
pub async fn post_parked(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewParked>,
) -> Result<(StatusCode, Json<Parked>), ShopError> {
    if caller.0.role == Role::Cashier && input.cashier != caller.0.code {
        return Err(ShopError::Forbidden { needed: Role::Manager.as_str() });
    }
    let stamper = shop.clone();
    let p = shop
        .store
        .write(move |tx| {
            at_register(tx, &caller.0, &input.register)?;
            parked::park(tx, &stamper.stamp().0, input)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[utoipa::path(delete, path = "/api/v1/parked/{id}",
    responses((status = 200, description = "Taken back: here it is, and it is parked no more", body = Parked),
              (status = 404, description = "`not_parked`", body = ErrorBody)))]
pub async fn take_parked(
    State(shop): State<Shop>,
    _c: Caller,
    Path(id): Path<String>,
) -> Result<Json<Parked>, ShopError> {
    let id = Uuid::parse_str(&id).map_err(|_| {
        ShopError::invalid(
            "bad_ticket_id",
            "id: not a ticket id (a UUID).",
            "id : pas un identifiant de ticket (UUID).",
            Some("id"),
        )
    })?;
    Ok(Json(shop.store.write(move |tx| parked::take(tx, &id)).await?))
}

#[utoipa::path(get, path = "/api/v1/scan/{code}",
    params(("code" = String, Path, description = "A barcode as scanned (scale barcodes included) or a SKU")),
    responses((status = 200, body = Scanned), (status = 422, description = "`unknown_barcode`", body = ErrorBody)))]
pub async fn scan(State(shop): State<Shop>, _c: Caller, Path(code): Path<String>) -> Result<Json<Scanned>, ShopError> {
    Ok(Json(shop.store.read(move |c| scale::scan(c, &code)).await?))
}

#[utoipa::path(get, path = "/api/v1/scale-rules", responses((status = 200, body = Vec<ScaleRule>)))]
pub async fn get_scale_rules(State(shop): State<Shop>, _c: Caller) -> Result<Json<Vec<ScaleRule>>, ShopError> {
    Ok(Json(shop.store.read(scale::rules).await?))
}

#[utoipa::path(put, path = "/api/v1/scale-rules", request_body = Vec<ScaleRule>,
    responses((status = 200, description = "The shop's rules, replaced", body = Vec<ScaleRule>),
              (status = 400, description = "`bad_scale_rule`", body = ErrorBody)))]
pub async fn put_scale_rules(
    State(shop): State<Shop>,
    caller: Caller,
    Body(rules): Body<Vec<ScaleRule>>,
) -> Result<Json<Vec<ScaleRule>>, ShopError> {
    caller.require(Role::Manager)?;
    Ok(Json(shop.store.write(move |tx| scale::set_rules(tx, &rules)).await?))
}

/// The link to HQ as a register's status bar shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HqLinkState {
    /// The shop is in a chain.
    pub enrolled: bool,
    /// The last exchange with HQ succeeded (false when not enrolled).
    pub reachable: bool,
    /// Records waiting to be sent to HQ.
    pub unsent: i64,
    pub last_error_at: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/hq-link", responses((status = 200, body = HqLinkState)))]
pub async fn hq_link(State(shop): State<Shop>, _c: Caller) -> Result<Json<HqLinkState>, ShopError> {
    let s = crate::sync::status::status(&shop).await?;
    Ok(Json(HqLinkState {
        enrolled: s.enrolled,
        reachable: s.enrolled && s.last_error.is_none(),
        unsent: s.unsent,
        last_error_at: s.last_error_at,
    }))
}

#[utoipa::path(post, path = "/api/v1/tickets/preview", request_body = crate::sales::NewTicket,
    responses((status = 200, description = "The ticket this would make (offers, points, VAT), not committed; without enough payments, priced as paid in cash exactly", body = Ticket),
              (status = 422, body = ErrorBody)))]
pub async fn preview_ticket(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<crate::sales::NewTicket>,
) -> Result<Json<Ticket>, ShopError> {
    if caller.0.role == Role::Cashier && input.cashier != caller.0.code {
        return Err(ShopError::Forbidden { needed: Role::Manager.as_str() });
    }
    let stamper = shop.clone();
    let ticket = shop
        .store
        .write(move |tx| {
            let (created_at, business_date) = stamper.stamp();
            let stamp = crate::sales::Stamp { shop_code: &stamper.code, created_at, business_date };
            till::preview(tx, &stamp, input)
        })
        .await?;
    shop.devices.board.show_cart(&ticket.register, &ticket);
    Ok(Json(ticket))
}

#[utoipa::path(get, path = "/api/v1/settings/discounts", responses((status = 200, body = till::DiscountRule)))]
pub async fn get_discount_rule(State(shop): State<Shop>, _c: Caller) -> Result<Json<till::DiscountRule>, ShopError> {
    let limit = shop.store.read(till::discount_limit).await?;
    Ok(Json(till::DiscountRule { cashier_limit_bp: limit }))
}

#[utoipa::path(put, path = "/api/v1/settings/discounts", request_body = till::DiscountRule,
    responses((status = 200, description = "Above this share, a cashier's discounts need `X-Manager-Approval: CODE:PIN` on the ticket", body = till::DiscountRule),
              (status = 400, body = ErrorBody)))]
pub async fn put_discount_rule(
    State(shop): State<Shop>,
    caller: Caller,
    Body(rule): Body<till::DiscountRule>,
) -> Result<Json<till::DiscountRule>, ShopError> {
    caller.require(Role::Manager)?;
    Ok(Json(shop.store.write(move |tx| till::set_discount_limit(tx, &rule)).await?))
}
