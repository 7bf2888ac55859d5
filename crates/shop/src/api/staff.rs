//! Registers (managers change them) and users (admins change them).

use super::{Body, Caller, ErrorBody};
use crate::error::ShopError;
use crate::shop::Shop;
use crate::staff::{self, NewRegister, NewUser, Register, RegisterChange, User, UserChange};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use comptoir_core::catalog::Role;

#[utoipa::path(get, path = "/api/v1/registers", responses((status = 200, body = Vec<Register>)))]
pub async fn list_registers(State(shop): State<Shop>, _caller: Caller) -> Result<Json<Vec<Register>>, ShopError> {
    Ok(Json(shop.store.read(staff::list_registers).await?))
}

#[utoipa::path(post, path = "/api/v1/registers", request_body = NewRegister,
    responses((status = 201, body = Register), (status = 409, body = ErrorBody)))]
pub async fn create_register(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewRegister>,
) -> Result<(StatusCode, Json<Register>), ShopError> {
    caller.require(Role::Manager)?;
    Ok((StatusCode::CREATED, Json(shop.store.write(move |tx| staff::create_register(tx, input)).await?)))
}

/// A register with its devices.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RegisterWithDevices {
    #[serde(flatten)]
    pub register: Register,
    #[serde(flatten)]
    pub devices: crate::printing::Devices,
}

#[utoipa::path(patch, path = "/api/v1/registers/{code}", request_body = RegisterChange,
    responses((status = 200, body = RegisterWithDevices), (status = 404, description = "No such register, printer or terminal", body = ErrorBody)))]
pub async fn update_register(
    State(shop): State<Shop>,
    caller: Caller,
    Path(code): Path<String>,
    Body(change): Body<RegisterChange>,
) -> Result<Json<RegisterWithDevices>, ShopError> {
    caller.require(Role::Manager)?;
    let answer = shop
        .store
        .write(move |tx| {
            let register = staff::update_register(tx, &code, change)?;
            let devices = crate::printing::devices(tx, &code)?;
            Ok(RegisterWithDevices { register, devices })
        })
        .await?;
    Ok(Json(answer))
}

#[utoipa::path(get, path = "/api/v1/users", responses((status = 200, body = Vec<User>)))]
pub async fn list_users(State(shop): State<Shop>, caller: Caller) -> Result<Json<Vec<User>>, ShopError> {
    caller.require(Role::Manager)?;
    Ok(Json(shop.store.read(staff::list_users).await?))
}

#[utoipa::path(post, path = "/api/v1/users", request_body = NewUser,
    responses((status = 201, body = User), (status = 409, body = ErrorBody)))]
pub async fn create_user(
    State(shop): State<Shop>,
    caller: Caller,
    Body(input): Body<NewUser>,
) -> Result<(StatusCode, Json<User>), ShopError> {
    caller.require(Role::Admin)?;
    let user = shop
        .store
        .write(move |tx| {
            crate::people::refuse_local_users(tx)?;
            staff::create_user(tx, input)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[utoipa::path(patch, path = "/api/v1/users/{code}", request_body = UserChange, responses((status = 200, body = User)))]
pub async fn update_user(
    State(shop): State<Shop>,
    caller: Caller,
    Path(code): Path<String>,
    Body(change): Body<UserChange>,
) -> Result<Json<User>, ShopError> {
    caller.require(Role::Admin)?;
    let key = code.clone();
    let user = shop.store.write(move |tx| staff::update_user(tx, &key, change)).await?;
    shop.forget_login(&code);
    Ok(Json(user))
}
