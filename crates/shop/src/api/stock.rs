//! Stock and people on the shop API: stock levels, adjustments and counts, the chain's
//! shops, transfers, purchase orders and receptions, the time clock, a register's
//! keyboard, printers, this shop's own prices and the HQ settings. Rules in
//! [`crate::stock`] and [`crate::people`].

use super::{Body, Caller, ErrorBody};
use crate::error::ShopError;
use crate::people::{self, HqSettings, HqSettingsChange, LocalPrice, NewPunch};
use crate::shop::Shop;
use crate::stock::{
    self, ChainShop, MovementView, NewAdjustment, NewCount, NewOrder, NewReception, NewTransfer, StockLevel,
    TransferReceiptInput,
};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Json, Router};
use comptoir_core::catalog::Role;
use comptoir_protocol::stock::{Keyboard, Printer, Punch, PurchaseOrder, Reception, Transfer};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(paths(
    get_stock,
    stock_movements,
    post_adjustment,
    post_count,
    list_shops,
    list_transfers,
    post_transfer,
    receive_transfer,
    list_orders,
    post_order,
    post_reception,
    post_punch,
    register_keyboard,
    list_printers,
    get_settings,
    patch_settings,
    put_price
))]
pub struct StockDoc;

pub fn routes() -> Router<Shop> {
    use axum::routing::{get, post, put};
    Router::new()
        .route("/api/v1/stock", get(get_stock))
        .route("/api/v1/stock/movements", get(stock_movements))
        .route("/api/v1/stock/adjustments", post(post_adjustment))
        .route("/api/v1/stock/counts", post(post_count))
        .route("/api/v1/shops", get(list_shops))
        .route("/api/v1/transfers", get(list_transfers).post(post_transfer))
        .route("/api/v1/transfers/{id}/receive", post(receive_transfer))
        .route("/api/v1/purchase-orders", get(list_orders).post(post_order))
        .route("/api/v1/receptions", post(post_reception))
        .route("/api/v1/timeclock", post(post_punch))
        .route("/api/v1/registers/{code}/keyboard", get(register_keyboard))
        .route("/api/v1/printers", get(list_printers))
        .route("/api/v1/settings/hq", get(get_settings).patch(patch_settings))
        .route("/api/v1/prices/{sku}", put(put_price))
}

#[derive(Deserialize, IntoParams)]
pub struct SkuQuery {
    pub sku: String,
}

#[utoipa::path(get, path = "/api/v1/stock", params(SkuQuery),
    responses((status = 200, body = StockLevel), (status = 422, body = ErrorBody)))]
pub async fn get_stock(
    State(shop): State<Shop>,
    _c: Caller,
    Query(q): Query<SkuQuery>,
) -> Result<Json<StockLevel>, ShopError> {
    Ok(Json(shop.store.read(move |c| stock::level(c, &q.sku)).await?))
}

#[utoipa::path(get, path = "/api/v1/stock/movements", params(SkuQuery), responses((status = 200, body = Vec<MovementView>)))]
pub async fn stock_movements(
    State(shop): State<Shop>,
    _c: Caller,
    Query(q): Query<SkuQuery>,
) -> Result<Json<Vec<MovementView>>, ShopError> {
    Ok(Json(shop.store.read(move |c| stock::movements(c, &q.sku)).await?))
}

#[utoipa::path(post, path = "/api/v1/stock/adjustments", request_body = NewAdjustment,
    responses((status = 201, body = StockLevel), (status = 400, body = ErrorBody)))]
pub async fn post_adjustment(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewAdjustment>,
) -> Result<(StatusCode, Json<StockLevel>), ShopError> {
    caller.require(Role::Manager)?;
    let level = shop.store.write(move |tx| stock::adjust(tx, input)).await?;
    shop.outbox_signal.notify_one();
    Ok((StatusCode::CREATED, Json(level)))
}

#[utoipa::path(post, path = "/api/v1/stock/counts", request_body = NewCount,
    responses((status = 201, body = StockLevel), (status = 400, description = "counted is negative", body = ErrorBody)))]
pub async fn post_count(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewCount>,
) -> Result<(StatusCode, Json<StockLevel>), ShopError> {
    caller.require(Role::Manager)?;
    let level = shop.store.write(move |tx| stock::count(tx, input)).await?;
    shop.outbox_signal.notify_one();
    Ok((StatusCode::CREATED, Json(level)))
}

#[utoipa::path(get, path = "/api/v1/shops", responses((status = 200, body = Vec<ChainShop>)))]
pub async fn list_shops(State(shop): State<Shop>, _c: Caller) -> Result<Json<Vec<ChainShop>>, ShopError> {
    Ok(Json(shop.store.read(stock::chain_shops).await?))
}

#[utoipa::path(get, path = "/api/v1/transfers", responses((status = 200, description = "Transfers sent and to receive")))]
pub async fn list_transfers(State(shop): State<Shop>, _c: Caller) -> Result<Json<Vec<Transfer>>, ShopError> {
    Ok(Json(shop.store.read(stock::list_transfers).await?))
}

#[utoipa::path(post, path = "/api/v1/transfers", request_body = NewTransfer,
    responses((status = 201, description = "Sent: in transit"), (status = 422, description = "Unknown shop (field to) or article", body = ErrorBody)))]
pub async fn post_transfer(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewTransfer>,
) -> Result<(StatusCode, Json<Transfer>), ShopError> {
    caller.require(Role::Manager)?;
    let t = shop.store.write(move |tx| stock::send_transfer(tx, input)).await?;
    shop.outbox_signal.notify_one();
    Ok((StatusCode::CREATED, Json(t)))
}

#[utoipa::path(post, path = "/api/v1/transfers/{id}/receive", request_body = TransferReceiptInput,
    responses((status = 200, description = "Received, with its differences"), (status = 404, body = ErrorBody)))]
pub async fn receive_transfer(
    State(shop): State<Shop>,
    caller: Caller,
    Path(id): Path<String>,
    Body(input): Body<TransferReceiptInput>,
) -> Result<Json<Transfer>, ShopError> {
    caller.require(Role::Manager)?;
    let t = shop.store.write(move |tx| stock::receive_transfer(tx, &id, input)).await?;
    shop.outbox_signal.notify_one();
    Ok(Json(t))
}

#[utoipa::path(get, path = "/api/v1/purchase-orders", responses((status = 200, description = "Orders delivered to this shop")))]
pub async fn list_orders(State(shop): State<Shop>, _c: Caller) -> Result<Json<Vec<PurchaseOrder>>, ShopError> {
    Ok(Json(shop.store.read(stock::list_orders).await?))
}

#[utoipa::path(post, path = "/api/v1/purchase-orders", request_body = NewOrder,
    responses((status = 201, description = "The order, sent to HQ"), (status = 422, body = ErrorBody)))]
pub async fn post_order(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewOrder>,
) -> Result<(StatusCode, Json<PurchaseOrder>), ShopError> {
    caller.require(Role::Manager)?;
    let o = shop.store.write(move |tx| stock::create_order(tx, input)).await?;
    shop.outbox_signal.notify_one();
    Ok((StatusCode::CREATED, Json(o)))
}

#[utoipa::path(post, path = "/api/v1/receptions", request_body = NewReception,
    responses((status = 201, description = "Received; lines above ordered are flagged over"), (status = 422, body = ErrorBody)))]
pub async fn post_reception(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewReception>,
) -> Result<(StatusCode, Json<Reception>), ShopError> {
    caller.require(Role::Manager)?;
    let r = shop.store.write(move |tx| stock::receive(tx, input)).await?;
    shop.outbox_signal.notify_one();
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(post, path = "/api/v1/timeclock", request_body = NewPunch,
    responses((status = 201, description = "Clocked in or out"), (status = 400, description = "Wrong PIN", body = ErrorBody)))]
pub async fn post_punch(
    State(shop): State<Shop>,
    _c: Caller,
    Body(input): Body<NewPunch>,
) -> Result<(StatusCode, Json<Punch>), ShopError> {
    let stamper = shop.clone();
    let p = shop
        .store
        .write(move |tx| {
            let (at, date) = stamper.stamp();
            people::punch(tx, &stamper.code, &at, &date, input)
        })
        .await?;
    shop.outbox_signal.notify_one();
    Ok((StatusCode::CREATED, Json(p)))
}

#[utoipa::path(get, path = "/api/v1/registers/{code}/keyboard",
    responses((status = 200, description = "The register's layout"), (status = 404, body = ErrorBody)))]
pub async fn register_keyboard(
    State(shop): State<Shop>,
    _c: Caller,
    Path(code): Path<String>,
) -> Result<Json<Keyboard>, ShopError> {
    let me = shop.code.clone();
    Ok(Json(shop.store.read(move |c| people::keyboard_for(c, &me, &code)).await?))
}

#[utoipa::path(get, path = "/api/v1/printers", responses((status = 200, description = "This shop's printers")))]
pub async fn list_printers(State(shop): State<Shop>, _c: Caller) -> Result<Json<Vec<Printer>>, ShopError> {
    Ok(Json(shop.store.read(people::printers).await?))
}

#[utoipa::path(get, path = "/api/v1/settings/hq", responses((status = 200, body = HqSettings)))]
pub async fn get_settings(State(shop): State<Shop>, _c: Caller) -> Result<Json<HqSettings>, ShopError> {
    Ok(Json(shop.store.read(people::settings).await?))
}

#[utoipa::path(patch, path = "/api/v1/settings/hq", request_body = HqSettingsChange, responses((status = 200, body = HqSettings)))]
pub async fn patch_settings(
    State(shop): State<Shop>,
    caller: Caller,
    Body(change): Body<HqSettingsChange>,
) -> Result<Json<HqSettings>, ShopError> {
    caller.require(Role::Admin)?;
    Ok(Json(shop.store.write(move |tx| people::change_settings(tx, change)).await?))
}

#[utoipa::path(put, path = "/api/v1/prices/{sku}", request_body = LocalPrice,
    responses((status = 200, description = "The shop's own price"), (status = 409, description = "HQ price updates are accepted", body = ErrorBody)))]
pub async fn put_price(
    State(shop): State<Shop>,
    caller: Caller,
    Path(sku): Path<String>,
    Body(input): Body<LocalPrice>,
) -> Result<Json<serde_json::Value>, ShopError> {
    caller.require(Role::Manager)?;
    Ok(Json(shop.store.write(move |tx| people::set_local_price(tx, &sku, input)).await?))
}
