//! Customer routes: any signed-in user (a cashier at the register) creates, edits and
//! finds customers; reading works offline, from the shop's own copy.

use super::{Body, Caller, ErrorBody};
use crate::customers::{self, Customer, CustomerChange, NewCustomer};
use crate::error::ShopError;
use crate::shop::Shop;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use comptoir_protocol::LoyaltyEntryBody;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct CustomerQuery {
    /// Start of a word of the name, of the email, of the phone number or of the card number.
    pub q: Option<String>,
    /// At most this many (1 to 50, default 20).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerPage {
    pub items: Vec<Customer>,
}

fn not_found(key: &str) -> ShopError {
    ShopError::NotFound { what: "customer", key: key.chars().take(64).collect(), field: None }
}

#[utoipa::path(get, path = "/api/v1/customers", params(CustomerQuery), responses((status = 200, body = CustomerPage)))]
pub async fn list_customers(
    State(shop): State<Shop>,
    _caller: Caller,
    Query(q): Query<CustomerQuery>,
) -> Result<Json<CustomerPage>, ShopError> {
    let text = q.q.unwrap_or_default();
    if text.len() > 200 {
        return Err(ShopError::invalid(
            "search_too_long",
            "q: search with at most 200 characters.",
            "q : cherchez avec au plus 200 caractères.",
            Some("q"),
        ));
    }
    let limit = q.limit.unwrap_or(20);
    let items = shop.store.read(move |c| customers::search(c, &text, limit)).await?;
    Ok(Json(CustomerPage { items }))
}

#[utoipa::path(post, path = "/api/v1/customers", request_body = NewCustomer,
    responses((status = 201, body = Customer), (status = 422, body = ErrorBody)))]
pub async fn create_customer(
    State(shop): State<Shop>,
    _caller: Caller,
    Body(input): Body<NewCustomer>,
) -> Result<(StatusCode, Json<Customer>), ShopError> {
    let share = shop.config.sync.share_customers;
    let c = shop.store.write(move |tx| customers::create_customer(tx, input, share)).await?;
    shop.outbox_signal.notify_one();
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/api/v1/customers/{key}", params(("key" = String, Path, description = "Id or card number")),
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody)))]
pub async fn get_customer(
    State(shop): State<Shop>,
    _caller: Caller,
    Path(key): Path<String>,
) -> Result<Json<Customer>, ShopError> {
    let k = key.clone();
    let c = shop.store.read(move |c| customers::get_customer(c, &k)).await?;
    c.map(Json).ok_or_else(|| not_found(&key))
}

#[utoipa::path(patch, path = "/api/v1/customers/{key}", request_body = CustomerChange,
    params(("key" = String, Path, description = "Id or card number")),
    responses((status = 200, body = Customer), (status = 422, body = ErrorBody)))]
pub async fn update_customer(
    State(shop): State<Shop>,
    _caller: Caller,
    Path(key): Path<String>,
    Body(change): Body<CustomerChange>,
) -> Result<Json<Customer>, ShopError> {
    let share = shop.config.sync.share_customers;
    let c = shop.store.write(move |tx| customers::update_customer(tx, &key, change, share)).await?;
    shop.outbox_signal.notify_one();
    Ok(Json(c))
}

#[derive(Serialize, ToSchema)]
pub struct LoyaltyView {
    pub customer: uuid::Uuid,
    pub balance: i64,
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<LoyaltyEntryBody>,
}

#[utoipa::path(get, path = "/api/v1/customers/{key}/loyalty", params(("key" = String, Path, description = "Id or card number")),
    responses((status = 200, body = LoyaltyView), (status = 404, body = ErrorBody)))]
pub async fn get_loyalty(
    State(shop): State<Shop>,
    _caller: Caller,
    Path(key): Path<String>,
) -> Result<Json<LoyaltyView>, ShopError> {
    let k = key.clone();
    let view = shop
        .store
        .read(move |c| {
            let Some(b) = customers::resolve(c, &k)? else { return Ok(None) };
            Ok(Some(LoyaltyView {
                customer: b.id,
                balance: crate::loyalty::balance(c, &b.id)?,
                entries: crate::loyalty::entries(c, &b.id)?,
            }))
        })
        .await?;
    view.map(Json).ok_or_else(|| not_found(&key))
}

#[utoipa::path(get, path = "/api/v1/customers/{key}/offers", params(("key" = String, Path, description = "Id or card number")),
    responses((status = 200, description = "The offers HQ defined that apply to this customer today", body = Vec<Object>),
              (status = 404, body = ErrorBody)))]
pub async fn get_offers(
    State(shop): State<Shop>,
    _caller: Caller,
    Path(key): Path<String>,
) -> Result<Json<Vec<comptoir_protocol::OfferBody>>, ShopError> {
    let (_, day) = shop.stamp();
    let k = key.clone();
    let offers = shop
        .store
        .read(move |c| {
            let Some(b) = customers::resolve(c, &k)?.filter(|b| !b.erased) else { return Ok(None) };
            Ok(Some(crate::offers::applying(c, &b, &day)?))
        })
        .await?;
    offers.map(Json).ok_or_else(|| not_found(&key))
}

#[derive(Deserialize, IntoParams)]
pub struct MomentQuery {
    /// `opening`, `closing`, `closure` or `between_tickets`.
    pub moment: String,
}

#[derive(Serialize, ToSchema)]
pub struct MessagePage {
    pub moment: String,
    pub items: Vec<crate::offers::Message>,
}

fn known_register(c: &rusqlite::Connection, code: &str) -> Result<(), ShopError> {
    crate::staff::get_register(c, code)?.map(|_| ()).ok_or_else(|| ShopError::NotFound {
        what: "register",
        key: code.chars().take(64).collect(),
        field: None,
    })
}

#[utoipa::path(get, path = "/api/v1/registers/{code}/messages", params(MomentQuery),
    responses((status = 200, description = "HQ's messages this register has not acknowledged", body = MessagePage),
              (status = 400, body = ErrorBody)))]
pub async fn get_messages(
    State(shop): State<Shop>,
    _caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<MomentQuery>,
) -> Result<Json<MessagePage>, ShopError> {
    if !crate::offers::MOMENTS.contains(&q.moment.as_str()) {
        return Err(ShopError::invalid(
            "unknown_moment",
            "moment: use opening, closing, closure or between_tickets.",
            "moment : utilisez opening (ouverture), closing (fermeture), closure (clôture) ou between_tickets (entre deux tickets).",
            Some("moment"),
        ));
    }
    let items = shop
        .store
        .read(move |c| {
            known_register(c, &code)?;
            crate::offers::pending(c, &code)
        })
        .await?;
    Ok(Json(MessagePage { moment: q.moment, items }))
}

#[utoipa::path(post, path = "/api/v1/registers/{code}/messages/{id}/ack",
    responses((status = 204, description = "Acknowledged (again is harmless)"), (status = 404, body = ErrorBody)))]
pub async fn ack_message(
    State(shop): State<Shop>,
    caller: Caller,
    Path((code, id)): Path<(String, String)>,
) -> Result<StatusCode, ShopError> {
    let shop_code = shop.code.clone();
    let user = caller.0.code.clone();
    shop.store
        .write(move |tx| {
            known_register(tx, &code)?;
            crate::offers::acknowledge(tx, &shop_code, &code, &id, &user)
        })
        .await?;
    shop.outbox_signal.notify_one();
    Ok(StatusCode::NO_CONTENT)
}
