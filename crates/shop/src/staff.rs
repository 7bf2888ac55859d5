//! Registers and the people who use them: users with a role, a PIN for the register and,
//! for managers and admins, a password for the back office. Secrets are stored as
//! Argon2id hashes only. The last active admin can be neither deactivated nor demoted,
//! so a shop can never lock itself out.

use crate::error::ShopError;
use crate::store::now_text;
use comptoir_core::catalog::{Role, validate_code, validate_name, validate_password, validate_pin};
use comptoir_core::secret::{hash_secret, verify_secret};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Register {
    pub code: String,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegister {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterChange {
    pub name: Option<String>,
    pub active: Option<bool>,
    /// The printer of its receipts and drawer (`""`: none); see `printing`.
    pub receipt_printer: Option<String>,
    /// Its card terminal (`""`: none).
    pub terminal: Option<String>,
    /// `ask`, `print`, `qr`, `email` or `none`.
    #[schema(value_type = Option<String>)]
    pub receipt_mode: Option<crate::printing::ReceiptMode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub code: String,
    pub name: String,
    #[schema(value_type = String, example = "cashier")]
    pub role: Role,
    pub active: bool,
    pub has_pin: bool,
    pub has_password: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub code: String,
    pub name: String,
    #[schema(value_type = String, example = "cashier")]
    pub role: Role,
    /// 4 to 8 digits, typed at the register.
    pub pin: Option<String>,
    /// At least 8 characters, for the back office.
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub role: Option<Role>,
    pub pin: Option<String>,
    pub password: Option<String>,
    pub active: Option<bool>,
}

// ---- registers ----

pub fn list_registers(conn: &Connection) -> Result<Vec<Register>, ShopError> {
    let mut stmt = conn.prepare_cached("SELECT code, name, active FROM registers ORDER BY code")?;
    let rows = stmt.query_map([], |r| Ok(Register { code: r.get(0)?, name: r.get(1)?, active: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get_register(conn: &Connection, code: &str) -> Result<Option<Register>, ShopError> {
    let mut stmt = conn.prepare_cached("SELECT code, name, active FROM registers WHERE code = ?")?;
    Ok(stmt.query_row([code], |r| Ok(Register { code: r.get(0)?, name: r.get(1)?, active: r.get(2)? })).optional()?)
}

pub fn create_register(conn: &Connection, input: NewRegister) -> Result<Register, ShopError> {
    let code = validate_code("code", &input.code)?;
    let name = validate_name("name", &input.name)?;
    if get_register(conn, &code)?.is_some() {
        return Err(ShopError::AlreadyExists { what: "register", key: code, field: Some("code".into()) });
    }
    conn.execute(
        "INSERT INTO registers (code, name, active, updated_at) VALUES (?, ?, 1, ?)",
        params![code, name, now_text()],
    )?;
    Ok(Register { code, name, active: true })
}

pub fn update_register(conn: &Connection, code: &str, change: RegisterChange) -> Result<Register, ShopError> {
    let mut r =
        get_register(conn, code)?.ok_or(ShopError::NotFound { what: "register", key: code.into(), field: None })?;
    if let Some(name) = change.name {
        r.name = validate_name("name", &name)?;
    }
    if let Some(active) = change.active {
        r.active = active;
    }
    conn.execute(
        "UPDATE registers SET name = ?, active = ?, updated_at = ? WHERE code = ?",
        params![r.name, r.active, now_text(), code],
    )?;
    if change.receipt_printer.is_some() || change.terminal.is_some() || change.receipt_mode.is_some() {
        crate::printing::set_devices(conn, code, change.receipt_printer, change.terminal, change.receipt_mode)?;
    }
    Ok(r)
}

// ---- users ----

const USER_SELECT: &str = "SELECT code, name, role, active, pin_hash IS NOT NULL, password_hash IS NOT NULL FROM users";

fn user_from_row(r: &rusqlite::Row) -> rusqlite::Result<User> {
    let role: String = r.get(2)?;
    Ok(User {
        code: r.get(0)?,
        name: r.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Cashier),
        active: r.get(3)?,
        has_pin: r.get(4)?,
        has_password: r.get(5)?,
    })
}

pub fn list_users(conn: &Connection) -> Result<Vec<User>, ShopError> {
    let mut stmt = conn.prepare_cached(&format!("{USER_SELECT} ORDER BY code"))?;
    let rows = stmt.query_map([], user_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get_user(conn: &Connection, code: &str) -> Result<Option<User>, ShopError> {
    let mut stmt = conn.prepare_cached(&format!("{USER_SELECT} WHERE code = ?"))?;
    Ok(stmt.query_row([code], user_from_row).optional()?)
}

fn hashed_secrets(pin: Option<&str>, password: Option<&str>) -> Result<(Option<String>, Option<String>), ShopError> {
    if let Some(pin) = pin {
        validate_pin("pin", pin)?;
    }
    if let Some(pw) = password {
        validate_password("password", pw)?;
    }
    Ok((pin.map(hash_secret), password.map(hash_secret)))
}

pub fn create_user(conn: &Connection, input: NewUser) -> Result<User, ShopError> {
    let code = validate_code("code", &input.code)?;
    let name = validate_name("name", &input.name)?;
    if input.pin.is_none() && input.password.is_none() {
        return Err(ShopError::invalid(
            "user_without_secret",
            "A user needs a PIN (for the register) or a password (for the back office).",
            "Un utilisateur a besoin d'un PIN (pour la caisse) ou d'un mot de passe (pour l'arrière-boutique).",
            Some("pin"),
        ));
    }
    if get_user(conn, &code)?.is_some() {
        return Err(ShopError::AlreadyExists { what: "user", key: code, field: Some("code".into()) });
    }
    let (pin_hash, password_hash) = hashed_secrets(input.pin.as_deref(), input.password.as_deref())?;
    conn.execute(
        "INSERT INTO users (code, name, role, pin_hash, password_hash, active, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
        params![code, name, input.role.as_str(), pin_hash, password_hash, now_text()],
    )?;
    crate::shop::journal(
        conn,
        crate::journal::codes::USER_CHANGED,
        None,
        &format!("user {code} created ({}, {name})", input.role.as_str()),
    )?;
    Ok(User {
        code,
        name,
        role: input.role,
        active: true,
        has_pin: pin_hash.is_some(),
        has_password: password_hash.is_some(),
    })
}

pub fn update_user(conn: &Connection, code: &str, change: UserChange) -> Result<User, ShopError> {
    let mut u = get_user(conn, code)?.ok_or(ShopError::NotFound { what: "user", key: code.into(), field: None })?;
    if let Some(name) = change.name {
        u.name = validate_name("name", &name)?;
    }
    let was_admin = u.role == Role::Admin && u.active;
    if let Some(role) = change.role {
        u.role = role;
    }
    if let Some(active) = change.active {
        u.active = active;
    }
    if was_admin && !(u.role == Role::Admin && u.active) {
        let admins: i64 =
            conn.query_row("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1", [], |r| r.get(0))?;
        if admins <= 1 {
            return Err(ShopError::conflict(
                format!("{code} is the last active admin; make another admin first, or nobody could manage the shop."),
                format!(
                    "{code} est le dernier administrateur actif ; créez d'abord un autre administrateur, sinon plus personne ne pourrait gérer la boutique."
                ),
                Some("role"),
            ));
        }
    }
    let (pin_hash, password_hash) = hashed_secrets(change.pin.as_deref(), change.password.as_deref())?;
    conn.execute(
        "UPDATE users SET name = ?, role = ?, active = ?, pin_hash = COALESCE(?, pin_hash),
         password_hash = COALESCE(?, password_hash), updated_at = ? WHERE code = ?",
        params![u.name, u.role.as_str(), u.active, pin_hash, password_hash, now_text(), code],
    )?;
    u.has_pin |= pin_hash.is_some();
    u.has_password |= password_hash.is_some();
    let secrets = match (pin_hash.is_some(), password_hash.is_some()) {
        (true, true) => ", PIN and password changed",
        (true, false) => ", PIN changed",
        (false, true) => ", password changed",
        (false, false) => "",
    };
    crate::shop::journal(
        conn,
        crate::journal::codes::USER_CHANGED,
        None,
        &format!(
            "user {code}: {}, {}, {}{secrets}",
            u.name,
            u.role.as_str(),
            if u.active { "active" } else { "inactive" }
        ),
    )?;
    Ok(u)
}

/// Checks a user code and a secret: the password when the user has one, else the PIN.
/// Returns the user when they are active and the secret matches.
pub fn check_login(conn: &Connection, code: &str, secret: &str) -> Result<Option<User>, ShopError> {
    let row: Option<(Option<String>, Option<String>)> = conn
        .query_row("SELECT pin_hash, password_hash FROM users WHERE code = ? AND active = 1", [code], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((pin_hash, password_hash)) = row else {
        return Ok(None);
    };
    let ok = password_hash.as_deref().is_some_and(|h| verify_secret(secret, h))
        || pin_hash.as_deref().is_some_and(|h| verify_secret(secret, h));
    if ok { get_user(conn, code) } else { Ok(None) }
}

/// Whether `user` may sell at `register`: HQ attached it to that register, or to none
/// (then every register of the shop).
pub fn may_use_register(conn: &Connection, user: &str, register: &str) -> Result<bool, ShopError> {
    Ok(conn
        .prepare_cached(
            "SELECT NOT EXISTS(SELECT 1 FROM user_registers WHERE user_code = ?1)
                 OR EXISTS(SELECT 1 FROM user_registers WHERE user_code = ?1 AND register = ?2)",
        )?
        .query_row(params![user, register], |r| r.get(0))?)
}

/// The refusal of a user at a register HQ did not attach it to.
pub fn not_at_this_register(user: &str, register: &str) -> ShopError {
    ShopError::refused(
        crate::error::Refusal::NotAtThisRegister,
        format!(
            "{user} is not attached to register {register} at HQ: use one of its registers, or ask HQ to add this one."
        ),
        format!(
            "{user} n'est pas rattaché à la caisse {register} au siège : utilisez une de ses caisses, ou demandez au siège d'ajouter celle-ci."
        ),
        Some("cashier"),
    )
}
