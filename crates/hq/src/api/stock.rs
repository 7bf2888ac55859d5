//! Admin routes of stock and people: the chain's stock, purchase orders, transfers and
//! receptions, users, keyboards, a shop's own prices, printers and legal identity on
//! receipts, the time-clock report.
//! Every one needs an admin. Rules are in [`crate::stock`].

use super::{AdminCaller, Body, ErrorBody};
use crate::error::HqError;
use crate::hq::Hq;
use crate::stock::{
    self as st, ChainStock, ChainUser, ChainUserChange, NewChainUser, NewOrder, PrinterInput, ShopPriceInput,
    WeekReport,
};
use crate::sync::now_text;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Json, Router};
use comptoir_core::Quantity;
use comptoir_core::catalog::validate_code;
use comptoir_core::identity::LegalIdentity;
use comptoir_protocol::Entity;
use comptoir_protocol::stock::*;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(paths(
    chain_stock,
    create_order,
    list_orders,
    list_transfers,
    list_receptions,
    create_user,
    list_users,
    update_user,
    create_keyboard,
    list_keyboards,
    put_shop_price,
    put_printer,
    get_shop_identity,
    put_shop_identity,
    timeclock_report
))]
pub struct StockDoc;

pub fn routes() -> Router<Hq> {
    use axum::routing::{get, patch, put};
    Router::new()
        .route("/api/v1/stock", get(chain_stock))
        .route("/api/v1/purchase-orders", get(list_orders).post(create_order))
        .route("/api/v1/transfers", get(list_transfers))
        .route("/api/v1/receptions", get(list_receptions))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{code}", patch(update_user))
        .route("/api/v1/keyboards", get(list_keyboards).post(create_keyboard))
        .route("/api/v1/shops/{code}/prices/{sku}", put(put_shop_price))
        .route("/api/v1/shops/{code}/printers/{printer}", put(put_printer))
        .route("/api/v1/shops/{code}/identity", get(get_shop_identity).put(put_shop_identity))
        .route("/api/v1/timeclock/report", get(timeclock_report))
}

#[derive(Deserialize, IntoParams)]
pub struct SkuQuery {
    pub sku: String,
}

async fn article(hq: &Hq, sku: &str, field: &str) -> Result<crate::storage::Article, HqError> {
    hq.storage.get_article(sku).await?.ok_or_else(|| HqError::NotFound {
        what: "article",
        key: sku.into(),
        field: Some(field.into()),
    })
}

#[utoipa::path(get, path = "/api/v1/stock", params(SkuQuery),
    responses((status = 200, body = ChainStock), (status = 422, body = ErrorBody)))]
pub async fn chain_stock(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Query(q): Query<SkuQuery>,
) -> Result<Json<ChainStock>, HqError> {
    let a = article(&hq, &q.sku, "sku").await?;
    let levels = hq.storage.stock_levels(&a.sku).await?;
    Ok(Json(st::chain_stock(&a.sku, levels)))
}

fn decode<T: serde::de::DeserializeOwned>(values: Vec<serde_json::Value>) -> Vec<T> {
    values.into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect()
}

#[utoipa::path(post, path = "/api/v1/purchase-orders", request_body = NewOrder,
    responses((status = 201, description = "The order, sent to its shop"), (status = 422, body = ErrorBody)))]
pub async fn create_order(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Body(input): Body<NewOrder>,
) -> Result<(StatusCode, Json<PurchaseOrder>), HqError> {
    let shop = validate_code("shop", &input.shop)?;
    let supplier = comptoir_core::catalog::validate_name("supplier", &input.supplier)?;
    if input.lines.is_empty() || input.lines.len() > 1000 {
        return Err(HqError::invalid(
            "line_count",
            "An order has 1 to 1000 lines.",
            "Une commande a de 1 à 1000 lignes.",
            Some("lines"),
        ));
    }
    let mut lines = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        st::positive(&format!("lines[{i}].qty"), l.qty)?;
        let a = article(&hq, &l.sku, &format!("lines[{i}].sku")).await?;
        lines.push(OrderLine { article_id: a.id, sku: a.sku, ordered: l.qty, received: Quantity(0), cost: l.cost });
    }
    let order = PurchaseOrder {
        id: st::new_id(),
        shop: shop.clone(),
        supplier,
        origin: "HQ".into(),
        state: OrderState::Open,
        lines,
        created_at: now_text(),
    };
    hq.storage.put_documents(vec![(shop, "shop".into())], None, vec![st::order_put(&order)]).await?;
    hq.notify_change();
    Ok((StatusCode::CREATED, Json(order)))
}

#[utoipa::path(get, path = "/api/v1/purchase-orders", responses((status = 200, description = "Every purchase order")))]
pub async fn list_orders(State(hq): State<Hq>, _a: AdminCaller) -> Result<Json<Vec<PurchaseOrder>>, HqError> {
    Ok(Json(decode(hq.storage.documents(Entity::PurchaseOrder).await?)))
}

#[utoipa::path(get, path = "/api/v1/transfers", responses((status = 200, description = "Every transfer slip")))]
pub async fn list_transfers(State(hq): State<Hq>, _a: AdminCaller) -> Result<Json<Vec<Transfer>>, HqError> {
    Ok(Json(decode(hq.storage.documents(Entity::Transfer).await?)))
}

#[utoipa::path(get, path = "/api/v1/receptions", responses((status = 200, description = "Every reception, with its differences")))]
pub async fn list_receptions(State(hq): State<Hq>, _a: AdminCaller) -> Result<Json<Vec<Reception>>, HqError> {
    Ok(Json(decode(hq.storage.documents(Entity::Reception).await?)))
}

#[utoipa::path(post, path = "/api/v1/users", request_body = NewChainUser,
    responses((status = 201, body = ChainUser), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Body(input): Body<NewChainUser>,
) -> Result<(StatusCode, Json<ChainUser>), HqError> {
    let (shops, body, puts) = st::new_user(input)?;
    hq.storage.put_documents(shops, Some((Entity::User, body.code.clone(), "code".into())), puts).await?;
    hq.notify_change();
    Ok((StatusCode::CREATED, Json(body.into())))
}

#[utoipa::path(patch, path = "/api/v1/users/{code}", request_body = ChainUserChange,
    responses((status = 200, body = ChainUser), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_user(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(code): Path<String>,
    Body(change): Body<ChainUserChange>,
) -> Result<Json<ChainUser>, HqError> {
    let current: UserBody = hq
        .storage
        .document(Entity::User, &code)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or(HqError::NotFound { what: "user", key: code, field: None })?;
    let (shops, body, puts) = st::change_user(current, change)?;
    hq.storage.put_documents(shops, None, puts).await?;
    hq.notify_change();
    Ok(Json(body.into()))
}

#[utoipa::path(get, path = "/api/v1/users", responses((status = 200, body = Vec<ChainUser>)))]
pub async fn list_users(State(hq): State<Hq>, _a: AdminCaller) -> Result<Json<Vec<ChainUser>>, HqError> {
    let users: Vec<UserBody> = decode(hq.storage.documents(Entity::User).await?);
    Ok(Json(users.into_iter().map(ChainUser::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/keyboards", request_body = serde_json::Value,
    responses((status = 201, description = "The keyboard, sent to its shops"), (status = 422, body = ErrorBody)))]
pub async fn create_keyboard(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Body(input): Body<Keyboard>,
) -> Result<(StatusCode, Json<Keyboard>), HqError> {
    let (shops, put) = st::new_keyboard(input.clone())?;
    hq.storage.put_documents(shops, None, vec![put]).await?;
    hq.notify_change();
    Ok((StatusCode::CREATED, Json(input)))
}

#[utoipa::path(get, path = "/api/v1/keyboards", responses((status = 200, description = "Every keyboard")))]
pub async fn list_keyboards(State(hq): State<Hq>, _a: AdminCaller) -> Result<Json<Vec<Keyboard>>, HqError> {
    Ok(Json(decode(hq.storage.documents(Entity::Keyboard).await?)))
}

#[utoipa::path(put, path = "/api/v1/shops/{code}/prices/{sku}", request_body = ShopPriceInput,
    responses((status = 200, description = "The shop's price, sent to that shop only"), (status = 422, body = ErrorBody)))]
pub async fn put_shop_price(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path((code, sku)): Path<(String, String)>,
    Body(input): Body<ShopPriceInput>,
) -> Result<Json<ShopPrice>, HqError> {
    Ok(Json(crate::shops::set_shop_price(&hq, &code, &sku, input.price).await?))
}

#[utoipa::path(put, path = "/api/v1/shops/{code}/printers/{printer}", request_body = PrinterInput,
    responses((status = 200, description = "The printer, sent to that shop only"), (status = 422, body = ErrorBody)))]
pub async fn put_printer(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path((code, printer)): Path<(String, String)>,
    Body(input): Body<PrinterInput>,
) -> Result<Json<serde_json::Value>, HqError> {
    let code = validate_code("shop", &code)?;
    let put = st::printer(&code, &printer, input)?;
    let body = put.body.clone();
    hq.storage.put_documents(vec![(code, "shop".into())], None, vec![put]).await?;
    hq.notify_change();
    Ok(Json(body))
}

/// The legal identity HQ set for `code`, if any.
pub async fn shop_identity_of(hq: &Hq, code: &str) -> Result<Option<LegalIdentity>, HqError> {
    let docs = hq.storage.documents(Entity::ShopIdentity).await?;
    Ok(docs
        .into_iter()
        .filter_map(|d| serde_json::from_value::<ShopIdentityBody>(d).ok())
        .find(|b| b.shop == code)
        .map(|b| b.identity))
}

#[utoipa::path(get, path = "/api/v1/shops/{code}/identity", params(("code" = String, Path, description = "Shop code")),
    responses((status = 200, description = "The shop's legal identity on receipts (empty fields when not set yet)", body = LegalIdentity),
              (status = 404, body = ErrorBody)))]
pub async fn get_shop_identity(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(code): Path<String>,
) -> Result<Json<LegalIdentity>, HqError> {
    let code = validate_code("shop", &code)?;
    if !hq.storage.list_shops().await?.iter().any(|s| s.code == code) {
        return Err(HqError::NotFound { what: "shop", key: code, field: Some("shop".into()) });
    }
    Ok(Json(shop_identity_of(&hq, &code).await?.unwrap_or_default()))
}

#[utoipa::path(put, path = "/api/v1/shops/{code}/identity", params(("code" = String, Path, description = "Shop code")), request_body = LegalIdentity,
    responses((status = 200, description = "Set, and on its way to the shop, whose receipts print it", body = LegalIdentity),
              (status = 422, description = "No such shop, a bad SIRET or VAT number, a text too long", body = ErrorBody)))]
pub async fn put_shop_identity(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(code): Path<String>,
    Body(input): Body<LegalIdentity>,
) -> Result<Json<LegalIdentity>, HqError> {
    let code = validate_code("shop", &code)?;
    let put = st::shop_identity(&code, input)?;
    let stored: ShopIdentityBody =
        serde_json::from_value(put.body.clone()).map_err(|e| HqError::Storage(e.to_string()))?;
    hq.storage.put_documents(vec![(code, "shop".into())], None, vec![put]).await?;
    hq.notify_change();
    Ok(Json(stored.identity))
}

#[derive(Deserialize, IntoParams)]
pub struct WeekQuery {
    /// ISO week, `2026-W49`.
    pub week: String,
}

#[utoipa::path(get, path = "/api/v1/timeclock/report", params(WeekQuery),
    responses((status = 200, body = WeekReport), (status = 400, body = ErrorBody)))]
pub async fn timeclock_report(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Query(q): Query<WeekQuery>,
) -> Result<Json<WeekReport>, HqError> {
    let (monday, sunday) = st::week_bounds(&q.week)?;
    let (from, to) = (monday.to_string(), sunday.to_string());
    let punches = hq.storage.punches(&from, &to).await?;
    Ok(Json(st::week_report(&q.week, &from, &to, punches)))
}
