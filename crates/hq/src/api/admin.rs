//! Admin routes: the chain's catalog, shops and their enrolment, tickets, sales reports,
//! quarantine, chain events and jobs. Every one needs an admin (Basic or API token).

use super::{AdminCaller, Body, ErrorBody, request_lang};
use crate::catalog::{self as cat, ActiveChange, ArticleChange, ImportReport, NewArticle, NewCategory, NewTaxRate};
use crate::error::HqError;
use crate::hq::Hq;
use crate::storage::{Article, ArticleWrite, Category, ChainEvent, JobView, QuarantineRecord, SalesRow, TaxRateView};
// Shop administration is `crate::shops`; `add_shop` stays reachable here for the callers
// that named it in `api::admin` (the shop's TLS test).
pub use crate::shops::add_shop;
use crate::shops::{NewShop, ShopView, reissue_token, validate_shop};
use crate::sync::now_text;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use comptoir_core::TaxRate;
use comptoir_core::catalog::{validate_code, validate_name};
use comptoir_http::short;
use comptoir_protocol::{JobBody, JobKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

// ---------------------------------------------------------------- catalog

#[derive(Deserialize, IntoParams)]
pub struct ArticleQuery {
    /// Text found in the SKU, the name or a barcode.
    pub q: Option<String>,
    /// `next` of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct ArticlePage {
    pub items: Vec<Article>,
    pub next: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/articles", params(ArticleQuery), responses((status = 200, body = ArticlePage)))]
pub async fn list_articles(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Query(q): Query<ArticleQuery>,
) -> Result<Json<ArticlePage>, HqError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let (items, next) = hq.storage.list_articles(q.q.as_deref(), q.after.as_deref(), limit).await?;
    Ok(Json(ArticlePage { items, next }))
}

async fn write_one(hq: &Hq, write: ArticleWrite) -> Result<Article, HqError> {
    let report = hq.storage.write_articles(vec![write], false).await.map_err(|e| HqError::from(e).single())?;
    hq.notify_change();
    report.articles.into_iter().next().ok_or_else(|| HqError::Storage("no article written".into()))
}

#[utoipa::path(post, path = "/api/v1/articles", request_body = NewArticle,
    responses((status = 201, body = Article), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_article(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Body(input): Body<NewArticle>,
) -> Result<(StatusCode, Json<Article>), HqError> {
    let write = cat::validate_new_article(input)?;
    Ok((StatusCode::CREATED, Json(write_one(&hq, write).await?)))
}

#[utoipa::path(get, path = "/api/v1/articles/{sku}", responses((status = 200, body = Article), (status = 404, body = ErrorBody)))]
pub async fn get_article(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(sku): Path<String>,
) -> Result<Json<Article>, HqError> {
    hq.storage.get_article(&sku).await?.map(Json).ok_or(HqError::NotFound { what: "article", key: sku, field: None })
}

#[utoipa::path(patch, path = "/api/v1/articles/{sku}", request_body = ArticleChange,
    responses((status = 200, body = Article), (status = 404, body = ErrorBody)))]
pub async fn update_article(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(sku): Path<String>,
    Body(change): Body<ArticleChange>,
) -> Result<Json<Article>, HqError> {
    let update = cat::validate_change(change)?;
    Ok(Json(write_one(&hq, ArticleWrite::Update { sku, update }).await?))
}

#[utoipa::path(get, path = "/api/v1/categories", responses((status = 200, body = Vec<Category>)))]
pub async fn list_categories(State(hq): State<Hq>, _a: AdminCaller) -> Result<Json<Vec<Category>>, HqError> {
    Ok(Json(hq.storage.list_categories().await?))
}

#[utoipa::path(post, path = "/api/v1/categories", request_body = NewCategory, responses((status = 201, body = Category)))]
pub async fn create_category(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Body(input): Body<NewCategory>,
) -> Result<(StatusCode, Json<Category>), HqError> {
    let c =
        Category { code: validate_code("code", &input.code)?, name: validate_name("name", &input.name)?, active: true };
    let c = hq.storage.create_category(&c).await?;
    hq.notify_change();
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(patch, path = "/api/v1/categories/{code}", request_body = ActiveChange, responses((status = 200, body = Category)))]
pub async fn update_category(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(code): Path<String>,
    Body(change): Body<ActiveChange>,
) -> Result<Json<Category>, HqError> {
    let name = change.name.as_deref().map(|n| validate_name("name", n)).transpose()?;
    let c = hq.storage.update_category(&code, name, change.active).await?;
    hq.notify_change();
    Ok(Json(c))
}

#[utoipa::path(get, path = "/api/v1/tax-rates", responses((status = 200, body = Vec<TaxRateView>)))]
pub async fn list_tax_rates(State(hq): State<Hq>, _a: AdminCaller) -> Result<Json<Vec<TaxRateView>>, HqError> {
    Ok(Json(hq.storage.list_tax_rates().await?))
}

#[utoipa::path(post, path = "/api/v1/tax-rates", request_body = NewTaxRate, responses((status = 201, body = TaxRateView)))]
pub async fn create_tax_rate(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Body(input): Body<NewTaxRate>,
) -> Result<(StatusCode, Json<TaxRateView>), HqError> {
    let rate = TaxRate::new(input.bp, "bp")?;
    let view = TaxRateView { bp: rate.bp(), name: validate_name("name", &input.name)?, active: true };
    let view = hq.storage.create_tax_rate(&view).await?;
    hq.notify_change();
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(patch, path = "/api/v1/tax-rates/{bp}", request_body = ActiveChange, responses((status = 200, body = TaxRateView)))]
pub async fn update_tax_rate(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(bp): Path<u32>,
    Body(change): Body<ActiveChange>,
) -> Result<Json<TaxRateView>, HqError> {
    let name = change.name.as_deref().map(|n| validate_name("name", n)).transpose()?;
    let view = hq.storage.update_tax_rate(bp, name, change.active).await?;
    hq.notify_change();
    Ok(Json(view))
}

#[utoipa::path(get, path = "/api/v1/catalog/export", responses((status = 200, description = "The catalog as CSV", content_type = "text/csv")))]
pub async fn export_catalog(State(hq): State<Hq>, _a: AdminCaller) -> Result<impl IntoResponse, HqError> {
    let data = cat::export_csv(hq.storage.as_ref()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"catalog.csv\""),
        ],
        data,
    ))
}

#[utoipa::path(post, path = "/api/v1/catalog/import", request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 422, description = "Refused whole; every bad row named", body = ErrorBody)))]
pub async fn import_catalog(
    State(hq): State<Hq>,
    _a: AdminCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportReport>, HqError> {
    let report = cat::import_csv(hq.storage.as_ref(), &body, request_lang(&headers)).await?;
    hq.notify_change();
    tracing::info!(created = report.created, updated = report.updated, "catalog imported");
    Ok(Json(report))
}

// ---------------------------------------------------------------- shops

#[derive(Serialize, ToSchema)]
pub struct ShopCreated {
    pub shop: ShopView,
    /// Give it to the shop once: `comptoir shop enroll --token ...`.
    pub enrolment_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct EnrolmentToken {
    pub enrolment_token: String,
}

#[utoipa::path(get, path = "/api/v1/shops", responses((status = 200, body = Vec<ShopView>)))]
pub async fn list_shops(State(hq): State<Hq>, _a: AdminCaller) -> Result<Json<Vec<ShopView>>, HqError> {
    let now = jiff::Timestamp::now();
    Ok(Json(hq.storage.list_shops().await?.into_iter().map(|s| ShopView::of(s, now)).collect()))
}

#[utoipa::path(post, path = "/api/v1/shops", request_body = NewShop, responses((status = 201, body = ShopCreated), (status = 409, body = ErrorBody)))]
pub async fn create_shop(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Body(input): Body<NewShop>,
) -> Result<(StatusCode, Json<ShopCreated>), HqError> {
    let identity = validate_shop(input)?;
    let (shop, enrolment_token) = add_shop(hq.storage.as_ref(), hq.config.enrolment_token_days, identity).await?;
    tracing::info!(shop = %shop.code, "shop created");
    Ok((StatusCode::CREATED, Json(ShopCreated { shop: ShopView::of(shop, jiff::Timestamp::now()), enrolment_token })))
}

async fn shop_view(hq: &Hq, code: &str) -> Result<ShopView, HqError> {
    let shop = hq.storage.list_shops().await?.into_iter().find(|s| s.code == code);
    shop.map(|s| ShopView::of(s, jiff::Timestamp::now())).ok_or(HqError::NotFound {
        what: "shop",
        key: code.into(),
        field: None,
    })
}

#[utoipa::path(post, path = "/api/v1/shops/{code}/revoke", responses((status = 200, body = ShopView), (status = 404, body = ErrorBody)))]
pub async fn revoke_shop(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(code): Path<String>,
) -> Result<Json<ShopView>, HqError> {
    hq.storage.revoke_shop(&code).await?;
    tracing::warn!(shop = %code, "shop revoked");
    Ok(Json(shop_view(&hq, &code).await?))
}

#[utoipa::path(post, path = "/api/v1/shops/{code}/enrolment-token", responses((status = 200, body = EnrolmentToken), (status = 404, body = ErrorBody)))]
pub async fn new_enrolment_token(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Path(code): Path<String>,
) -> Result<Json<EnrolmentToken>, HqError> {
    let enrolment_token = reissue_token(hq.storage.as_ref(), hq.config.enrolment_token_days, &code).await?;
    Ok(Json(EnrolmentToken { enrolment_token }))
}

// ---------------------------------------------------------------- sales

#[derive(Deserialize, IntoParams)]
pub struct TicketQuery {
    pub shop: Option<String>,
    /// `next` of the previous page (arrival order); 0 or absent from the start.
    pub after: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct TicketPage {
    /// Full tickets as the shop committed them, plus `received_at`, oldest arrival first.
    pub items: Vec<serde_json::Value>,
    pub next: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/tickets", params(TicketQuery), responses((status = 200, body = TicketPage)))]
pub async fn list_tickets(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Query(q): Query<TicketQuery>,
) -> Result<Json<TicketPage>, HqError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let (rows, next) = hq.storage.list_tickets(q.shop.as_deref(), q.after.unwrap_or(0), limit).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let mut v: serde_json::Value =
            serde_json::from_str(&r.body).map_err(|e| HqError::Storage(format!("stored ticket: {e}")))?;
        if let Some(o) = v.as_object_mut() {
            o.insert("received_at".into(), r.received_at.into());
        }
        items.push(v);
    }
    Ok(Json(TicketPage { items, next }))
}

#[derive(Deserialize, IntoParams)]
pub struct SalesQuery {
    /// First business day, `YYYY-MM-DD`.
    pub from: String,
    /// Last business day, `YYYY-MM-DD` (included).
    pub to: String,
    pub shop: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SalesReport {
    pub items: Vec<SalesRow>,
}

fn date(field: &str, text: &str) -> Result<String, HqError> {
    text.parse::<jiff::civil::Date>().map(|d| d.to_string()).map_err(|_| {
        HqError::invalid(
            "bad_date",
            format!("{field}: {:?} is not a date; write YYYY-MM-DD.", short(text)),
            format!("{field} : {:?} n'est pas une date ; écrivez AAAA-MM-JJ.", short(text)),
            Some(field),
        )
    })
}

#[utoipa::path(get, path = "/api/v1/reports/sales", params(SalesQuery), responses((status = 200, body = SalesReport)))]
pub async fn sales_report(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Query(q): Query<SalesQuery>,
) -> Result<Json<SalesReport>, HqError> {
    let (from, to) = (date("from", &q.from)?, date("to", &q.to)?);
    Ok(Json(SalesReport { items: hq.storage.sales_report(&from, &to, q.shop.as_deref()).await? }))
}

#[derive(Deserialize, IntoParams)]
pub struct ShopFilter {
    pub shop: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/quarantine", params(ShopFilter), responses((status = 200, body = Vec<QuarantineRecord>)))]
pub async fn list_quarantine(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Query(q): Query<ShopFilter>,
) -> Result<Json<Vec<QuarantineRecord>>, HqError> {
    Ok(Json(hq.storage.list_quarantine(q.shop.as_deref()).await?))
}

#[utoipa::path(get, path = "/api/v1/chain-events", params(ShopFilter), responses((status = 200, body = Vec<ChainEvent>)))]
pub async fn list_chain_events(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Query(q): Query<ShopFilter>,
) -> Result<Json<Vec<ChainEvent>>, HqError> {
    Ok(Json(hq.storage.chain_events(q.shop.as_deref()).await?))
}

// ---------------------------------------------------------------- jobs

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewJob {
    /// `resync_catalog`, `resend_sales`, `send_stock` or `upload_logs`.
    #[schema(value_type = String)]
    pub kind: JobKind,
    /// Codes of the target shops.
    pub shops: Vec<String>,
    /// For `resend_sales`: the first business day to send again (`YYYY-MM-DD`).
    pub since: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/jobs", request_body = NewJob, responses((status = 201, body = JobView), (status = 422, body = ErrorBody)))]
pub async fn create_job(
    State(hq): State<Hq>,
    _a: AdminCaller,
    Body(input): Body<NewJob>,
) -> Result<(StatusCode, Json<JobView>), HqError> {
    if input.shops.is_empty() {
        return Err(HqError::invalid(
            "no_shop",
            "Name at least one shop in shops.",
            "Indiquez au moins un magasin dans shops.",
            Some("shops"),
        ));
    }
    let since = input.since.as_deref().map(|s| date("since", s)).transpose()?;
    if input.kind == JobKind::ResendSales && since.is_none() {
        return Err(HqError::invalid(
            "resend_without_since",
            "A resend_sales job needs since (YYYY-MM-DD): the first business day to send again.",
            "Une tâche resend_sales demande since (AAAA-MM-JJ) : le premier jour à renvoyer.",
            Some("since"),
        ));
    }
    let mut shops = input.shops;
    shops.sort();
    shops.dedup();
    let job = JobBody { id: Uuid::now_v7(), kind: input.kind, since, created_at: now_text() };
    let view = hq.storage.create_job(&job, &shops).await?;
    hq.notify_change();
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/api/v1/jobs", responses((status = 200, body = Vec<JobView>)))]
pub async fn list_jobs(State(hq): State<Hq>, _a: AdminCaller) -> Result<Json<Vec<JobView>>, HqError> {
    Ok(Json(hq.storage.list_jobs().await?))
}
