//! Catalog routes: articles, categories, tax rates, CSV import and export.
//! Reading needs any signed-in user; changing needs a manager.

use super::{Body, Caller, ErrorBody};
use crate::catalog::{
    self as cat, Article, ArticleChange, Category, CategoryChange, NewArticle, NewCategory, NewTaxRate, TaxRateChange,
    TaxRateView,
};
use crate::catalog_csv::{self, ImportReport};
use crate::error::ShopError;
use crate::shop::{Shop, journal};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use comptoir_core::Lang;
use comptoir_core::catalog::Role;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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
    State(shop): State<Shop>,
    _caller: Caller,
    Query(q): Query<ArticleQuery>,
) -> Result<Json<ArticlePage>, ShopError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let (items, next) =
        shop.store.read(move |c| cat::list_articles(c, q.q.as_deref(), q.after.as_deref(), limit)).await?;
    Ok(Json(ArticlePage { items, next }))
}

#[utoipa::path(post, path = "/api/v1/articles", request_body = NewArticle,
    responses((status = 201, body = Article), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_article(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewArticle>,
) -> Result<(StatusCode, Json<Article>), ShopError> {
    caller.require(Role::Manager)?;
    let a = shop.store.write(move |tx| cat::create_article(tx, input)).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[utoipa::path(get, path = "/api/v1/articles/{sku}", responses((status = 200, body = Article), (status = 404, body = ErrorBody)))]
pub async fn get_article(
    State(shop): State<Shop>,
    _caller: Caller,
    Path(sku): Path<String>,
) -> Result<Json<Article>, ShopError> {
    let key = sku.clone();
    let a = shop.store.read(move |c| cat::get_article(c, &key)).await?;
    a.map(Json).ok_or(ShopError::NotFound { what: "article", key: sku, field: None })
}

#[utoipa::path(patch, path = "/api/v1/articles/{sku}", request_body = ArticleChange,
    responses((status = 200, body = Article), (status = 404, body = ErrorBody)))]
pub async fn update_article(
    State(shop): State<Shop>,
    caller: Caller,
    Path(sku): Path<String>,
    Body(change): Body<ArticleChange>,
) -> Result<Json<Article>, ShopError> {
    caller.require(Role::Manager)?;
    Ok(Json(shop.store.write(move |tx| cat::update_article(tx, &sku, change)).await?))
}

#[utoipa::path(get, path = "/api/v1/categories", responses((status = 200, body = Vec<Category>)))]
pub async fn list_categories(State(shop): State<Shop>, _caller: Caller) -> Result<Json<Vec<Category>>, ShopError> {
    Ok(Json(shop.store.read(cat::list_categories).await?))
}

#[utoipa::path(post, path = "/api/v1/categories", request_body = NewCategory, responses((status = 201, body = Category)))]
pub async fn create_category(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewCategory>,
) -> Result<(StatusCode, Json<Category>), ShopError> {
    caller.require(Role::Manager)?;
    Ok((StatusCode::CREATED, Json(shop.store.write(move |tx| cat::create_category(tx, input)).await?)))
}

#[utoipa::path(patch, path = "/api/v1/categories/{code}", request_body = CategoryChange, responses((status = 200, body = Category)))]
pub async fn update_category(
    State(shop): State<Shop>,
    caller: Caller,
    Path(code): Path<String>,
    Body(change): Body<CategoryChange>,
) -> Result<Json<Category>, ShopError> {
    caller.require(Role::Manager)?;
    Ok(Json(shop.store.write(move |tx| cat::update_category(tx, &code, change)).await?))
}

#[utoipa::path(get, path = "/api/v1/tax-rates", responses((status = 200, body = Vec<TaxRateView>)))]
pub async fn list_tax_rates(State(shop): State<Shop>, _caller: Caller) -> Result<Json<Vec<TaxRateView>>, ShopError> {
    Ok(Json(shop.store.read(cat::list_tax_rates).await?))
}

#[utoipa::path(post, path = "/api/v1/tax-rates", request_body = NewTaxRate, responses((status = 201, body = TaxRateView)))]
pub async fn create_tax_rate(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewTaxRate>,
) -> Result<(StatusCode, Json<TaxRateView>), ShopError> {
    caller.require(Role::Manager)?;
    Ok((StatusCode::CREATED, Json(shop.store.write(move |tx| cat::create_tax_rate(tx, input)).await?)))
}

#[utoipa::path(patch, path = "/api/v1/tax-rates/{bp}", request_body = TaxRateChange, responses((status = 200, body = TaxRateView)))]
pub async fn update_tax_rate(
    State(shop): State<Shop>,
    caller: Caller,
    Path(bp): Path<u32>,
    Body(change): Body<TaxRateChange>,
) -> Result<Json<TaxRateView>, ShopError> {
    caller.require(Role::Manager)?;
    Ok(Json(shop.store.write(move |tx| cat::update_tax_rate(tx, bp, change)).await?))
}

#[utoipa::path(get, path = "/api/v1/catalog/export", responses((status = 200, description = "The catalog as CSV", content_type = "text/csv")))]
pub async fn export_catalog(State(shop): State<Shop>, caller: Caller) -> Result<impl IntoResponse, ShopError> {
    let data = shop.store.write(move |tx| catalog_csv::export_recorded(tx, &caller.0.code)).await?;
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
    State(shop): State<Shop>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportReport>, ShopError> {
    caller.require(Role::Manager)?;
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_preference)
        .unwrap_or_default();
    let actor = caller.0.code.clone();
    let report = shop
        .store
        .write(move |tx| {
            let report = catalog_csv::import(tx, &body, lang)?;
            journal(
                tx,
                "catalog_import",
                Some(&actor),
                &format!("{} created, {} updated", report.created, report.updated),
            )?;
            Ok(report)
        })
        .await?;
    Ok(Json(report))
}
