//! Customer and loyalty routes at HQ (admin): create, edit, merge two records of one
//! person, erase (GDPR), adjust or expire points, the chain's loyalty rule, and the
//! overdrawn customers; offers and messages (docs/customers.md).

use super::{AdminCaller, Body, ErrorBody};
use crate::customers::{
    CustomerInput, MessageInput, NODE, OfferInput, apply_input, next_stamp, validate_message, validate_offer,
};
use crate::error::HqError;
use crate::hq::Hq;
use crate::storage::{CustomerView, MessageView};
use crate::sync::now_text;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use comptoir_core::catalog::validate_name;
use comptoir_core::customer::{LoyaltyRule, query_terms};
use comptoir_protocol::{CustomerBody, LoyaltyEntryBody, LoyaltyKind, OfferBody};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

fn not_found(id: Uuid) -> HqError {
    HqError::NotFound { what: "customer", key: id.to_string(), field: None }
}

#[derive(Deserialize, IntoParams)]
pub struct CustomerQuery {
    /// Words of the name, or an e-mail, phone or card number (prefixes match), as at the till.
    pub q: Option<String>,
    /// Only the customers whose balance is below zero.
    pub overdrawn: Option<bool>,
    /// At most this many (1 to 1000, default 100).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerPage {
    pub items: Vec<CustomerView>,
}

#[utoipa::path(get, path = "/api/v1/customers", params(CustomerQuery), responses((status = 200, body = CustomerPage)))]
pub async fn list_customers(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Query(q): Query<CustomerQuery>,
) -> Result<Json<CustomerPage>, HqError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let overdrawn = q.overdrawn.unwrap_or(false);
    let items = match q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => {
            let mut found = hq.storage.search_customers(query_terms(text), limit).await?;
            found.retain(|c| !overdrawn || c.loyalty_balance < 0);
            found
        }
        None => hq.storage.list_customers(overdrawn, limit).await?,
    };
    Ok(Json(CustomerPage { items }))
}

#[utoipa::path(post, path = "/api/v1/customers", request_body = CustomerInput,
    responses((status = 201, body = CustomerView), (status = 422, body = ErrorBody)))]
pub async fn create_customer(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Body(input): Body<CustomerInput>,
) -> Result<(StatusCode, Json<CustomerView>), HqError> {
    let name = input.name.as_deref().unwrap_or("");
    validate_name("name", name)?;
    let stamp = next_stamp(None);
    let mut body = CustomerBody {
        id: Uuid::now_v7(),
        card: String::new(),
        name: String::new(),
        name_hlc: String::new(),
        email: None,
        email_hlc: String::new(),
        phone: None,
        phone_hlc: String::new(),
        group: None,
        group_hlc: String::new(),
        origin: NODE.into(),
        created_at: now_text(),
        merged_into: None,
        erased: false,
    };
    apply_input(&mut body, &input, &stamp)?;
    body.card = format!("{NODE}-{:06}", hq.storage.next_card_number().await?);
    let view = hq.storage.write_customer(body).await?;
    hq.notify_change();
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", responses((status = 200, body = CustomerView), (status = 404, body = ErrorBody)))]
pub async fn get_customer(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(id): Path<Uuid>,
) -> Result<Json<CustomerView>, HqError> {
    hq.storage.get_customer(id).await?.map(Json).ok_or_else(|| not_found(id))
}

#[utoipa::path(patch, path = "/api/v1/customers/{id}", request_body = CustomerInput,
    responses((status = 200, body = CustomerView), (status = 422, body = ErrorBody)))]
pub async fn update_customer(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(id): Path<Uuid>,
    Body(input): Body<CustomerInput>,
) -> Result<Json<CustomerView>, HqError> {
    let held = hq.storage.customer_body(id).await?.filter(|b| !b.erased).ok_or_else(|| not_found(id))?;
    let mut body = held.clone();
    apply_input(&mut body, &input, &next_stamp(Some(&held)))?;
    let view = hq.storage.write_customer(body).await?;
    hq.notify_change();
    Ok(Json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The record that stays; this one is merged into it.
    pub into: Uuid,
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", request_body = MergeRequest,
    responses((status = 200, description = "The surviving record", body = CustomerView), (status = 409, body = ErrorBody)))]
pub async fn merge_customer(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(id): Path<Uuid>,
    Body(req): Body<MergeRequest>,
) -> Result<Json<CustomerView>, HqError> {
    let view = hq.storage.merge_customers(id, req.into).await?;
    hq.notify_change();
    Ok(Json(view))
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/erase",
    responses((status = 200, body = CustomerView), (status = 404, body = ErrorBody)))]
pub async fn erase_customer(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(id): Path<Uuid>,
) -> Result<Json<CustomerView>, HqError> {
    let view = hq.storage.erase_customer(id).await?;
    tracing::info!(customer = %id, "customer's personal data erased");
    hq.notify_change();
    Ok(Json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoyaltyRequest {
    /// `adjust` (signed points) or `expire` (takes the whole positive balance).
    pub kind: String,
    /// For `adjust`: the points to add (negative to take away).
    pub points: Option<i64>,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoyaltyView {
    pub customer: CustomerView,
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<LoyaltyEntryBody>,
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/loyalty", responses((status = 200, body = LoyaltyView)))]
pub async fn get_loyalty(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(id): Path<Uuid>,
) -> Result<Json<LoyaltyView>, HqError> {
    let customer = hq.storage.get_customer(id).await?.ok_or_else(|| not_found(id))?;
    Ok(Json(LoyaltyView { customer, entries: hq.storage.loyalty_entries(id).await? }))
}

/// Longest note an adjustment keeps (it is shown in the customer's history).
const MAX_NOTE: usize = 200;

/// Most points one adjustment may move.
const MAX_ADJUST: i64 = 10_000_000;

#[utoipa::path(post, path = "/api/v1/customers/{id}/loyalty", request_body = LoyaltyRequest,
    responses((status = 200, body = CustomerView), (status = 422, body = ErrorBody)))]
pub async fn post_loyalty(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(id): Path<Uuid>,
    Body(req): Body<LoyaltyRequest>,
) -> Result<Json<CustomerView>, HqError> {
    let customer = hq.storage.get_customer(id).await?.ok_or_else(|| not_found(id))?;
    let (kind, points) = match req.kind.as_str() {
        "adjust" => match req.points {
            Some(p) if p != 0 && p.abs() <= MAX_ADJUST => (LoyaltyKind::Adjust, p),
            _ => {
                return Err(HqError::invalid(
                    "points_out_of_range",
                    format!("points: give the points to add or take away, not 0, at most {MAX_ADJUST} either way."),
                    format!(
                        "points : donnez les points à ajouter ou à retirer, différents de 0, au plus {MAX_ADJUST} dans un sens ou l'autre."
                    ),
                    Some("points"),
                ));
            }
        },
        "expire" => (LoyaltyKind::Expire, -customer.loyalty_balance.max(0)),
        _ => {
            return Err(HqError::invalid(
                "loyalty_kind",
                "kind: use adjust or expire (points are earned and redeemed on tickets).",
                "kind : utilisez adjust ou expire (les points se gagnent et s'utilisent sur les tickets).",
                Some("kind"),
            ));
        }
    };
    let note = req.note.trim();
    comptoir_core::catalog::refuse_hidden_characters("note", note)?;
    if note.chars().count() > MAX_NOTE {
        return Err(comptoir_core::DomainError::TextTooLong { field: "note".into(), max: MAX_NOTE }.into());
    }
    if points == 0 {
        return Ok(Json(customer));
    }
    let entry = LoyaltyEntryBody {
        id: Uuid::now_v7(),
        customer: customer.id,
        shop: NODE.into(),
        kind,
        points,
        ticket: None,
        at: now_text(),
        note: note.into(),
    };
    let view = hq.storage.add_loyalty_entry(entry).await?;
    hq.notify_change();
    Ok(Json(view))
}

#[utoipa::path(get, path = "/api/v1/loyalty/rule", responses((status = 200, body = LoyaltyRule)))]
pub async fn get_rule(State(hq): State<Hq>, _a: AdminCaller) -> Result<Json<LoyaltyRule>, HqError> {
    Ok(Json(hq.storage.loyalty_rule().await?))
}

#[utoipa::path(put, path = "/api/v1/loyalty/rule", request_body = LoyaltyRule,
    responses((status = 200, body = LoyaltyRule), (status = 422, body = ErrorBody)))]
pub async fn put_rule(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Body(rule): Body<LoyaltyRule>,
) -> Result<Json<LoyaltyRule>, HqError> {
    rule.validate()?;
    hq.storage.set_loyalty_rule(rule).await?;
    hq.notify_change();
    Ok(Json(rule))
}

#[utoipa::path(get, path = "/api/v1/offers", responses((status = 200, body = Vec<Object>)))]
pub async fn list_offers(State(hq): State<Hq>, _a: AdminCaller) -> Result<Json<Vec<OfferBody>>, HqError> {
    Ok(Json(hq.storage.list_offers().await?))
}

#[utoipa::path(post, path = "/api/v1/offers", request_body = OfferInput,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody)))]
pub async fn create_offer(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Body(input): Body<OfferInput>,
) -> Result<(StatusCode, Json<OfferBody>), HqError> {
    let offer = hq.storage.create_offer(validate_offer(input)?).await?;
    hq.notify_change();
    Ok((StatusCode::CREATED, Json(offer)))
}

#[derive(Deserialize, IntoParams)]
pub struct MessageQuery {
    pub shop: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/messages", params(MessageQuery), responses((status = 200, body = Vec<MessageView>)))]
pub async fn list_messages(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Query(q): Query<MessageQuery>,
) -> Result<Json<Vec<MessageView>>, HqError> {
    Ok(Json(hq.storage.list_messages(q.shop.as_deref()).await?))
}

#[utoipa::path(post, path = "/api/v1/messages", request_body = MessageInput,
    responses((status = 201, body = MessageView), (status = 404, body = ErrorBody)))]
pub async fn create_message(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Body(input): Body<MessageInput>,
) -> Result<(StatusCode, Json<MessageView>), HqError> {
    let body = validate_message(&input)?;
    let view = hq.storage.create_message(&input.shop, body).await?;
    hq.notify_change();
    Ok((StatusCode::CREATED, Json(view)))
}
