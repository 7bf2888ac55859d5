//! Users and registers, through `crate::staff` as the API does.
//!
//! - Users: managers see them; admins create and edit them (name, role, a new PIN or
//!   password, active), as the API's `users` routes require. The last active admin can be
//!   neither demoted nor deactivated (the service's rule, shown next to the role).
//! - Registers: managers create, rename and (de)activate them, and choose each one's
//!   receipt printer, card terminal and how the receipt is offered (the devices themselves
//!   are defined on `/admin/devices`).
//!
//! In a chain shop both are HQ's: shown read-only with a note saying they are changed at
//! HQ (`people::refuse_local_users` refuses a user made here anyway).

use super::session::{Signed, SignedForm, error_page};
use super::{hq_note, owned_by_hq};
use crate::error::ShopError;
use crate::printing::ReceiptMode;
use crate::shop::Shop;
use crate::staff::{self, NewRegister, NewUser, RegisterChange, User, UserChange};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use comptoir_core::Lang;
use comptoir_core::catalog::Role;
use comptoir_http::web::Fields;
use comptoir_pages::{
    self as pages, Badge, Check, Choice, Field, Form, Layout, Markup, Outcome, Problem, Select, Table, Tr, badge, html,
};

fn role_text(l: Lang, role: Role) -> &'static str {
    match role {
        Role::Cashier => l.t("cashier", "caissier"),
        Role::Manager => l.t("manager", "responsable"),
        Role::Admin => l.t("admin", "administrateur"),
    }
}

fn mode_text(l: Lang, mode: ReceiptMode) -> &'static str {
    match mode {
        ReceiptMode::Ask => l.t("ask the customer", "demander au client"),
        ReceiptMode::Print => l.t("always print", "toujours imprimer"),
        ReceiptMode::Qr => l.t("QR code", "QR code"),
        ReceiptMode::Email => l.t("by e-mail", "par e-mail"),
        ReceiptMode::None => l.t("never offer", "ne pas proposer"),
    }
}

fn active_badge(l: Lang, active: bool) -> Markup {
    if active { badge(Badge::Ok, l.t("active", "actif")) } else { badge(Badge::Off, l.t("deactivated", "désactivé")) }
}

fn role_choices(l: Lang, chosen: &str) -> Vec<Choice> {
    [Role::Cashier, Role::Manager, Role::Admin]
        .into_iter()
        .map(|r| Choice { value: r.as_str().into(), text: role_text(l, r).into(), selected: r.as_str() == chosen })
        .collect()
}

fn parse_role(text: &str) -> Result<Role, ShopError> {
    Role::parse(text).ok_or_else(|| {
        ShopError::invalid(
            "bad_role",
            "role: choose cashier, manager or admin.",
            "role : choisissez caissier, responsable ou administrateur.",
            Some("role"),
        )
    })
}

/// A secret field: empty means "none" (or "unchanged" on an edit).
fn secret(form: &Fields, name: &str) -> Option<String> {
    form.get(name).filter(|s| !s.is_empty()).map(String::from)
}

fn secret_fields(l: Lang, problem: Option<&Problem>, editing: bool) -> Markup {
    let (pin, password) = if editing {
        (
            l.t("New PIN (4 to 8 digits; empty: unchanged)", "Nouveau PIN (4 à 8 chiffres ; vide : inchangé)"),
            l.t(
                "New password (8 characters or more; empty: unchanged)",
                "Nouveau mot de passe (8 caractères ou plus ; vide : inchangé)",
            ),
        )
    } else {
        (
            l.t("PIN for the register (4 to 8 digits)", "PIN pour la caisse (4 à 8 chiffres)"),
            l.t(
                "Password for the back office (8 characters or more)",
                "Mot de passe pour l'arrière-boutique (8 caractères ou plus)",
            ),
        )
    };
    html! {
        (Field::new(pin, "pin").kind("password").autocomplete("new-password").maxlength(8).problem(problem))
        (Field::new(password, "password").kind("password").autocomplete("new-password").maxlength(256).problem(problem))
    }
}

async fn render_users(shop: &Shop, signed: &Signed, said: Outcome, sent: Option<&Fields>) -> Response {
    let l = signed.lang;
    let loaded = shop.store.read(|c| Ok((staff::list_users(c)?, crate::sync::link::hq_link(c)?.is_some()))).await;
    let (users, chain) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let editable = !chain && signed.user.role >= Role::Admin;
    let rows: Vec<Vec<Markup>> = users
        .iter()
        .map(|u| {
            vec![
                html! { a href=(format!("/admin/users/{}", pages::url(&u.code))) { (u.code) } },
                html! { (u.name) },
                html! { (role_text(l, u.role)) },
                html! { (if u.has_pin { l.t("yes", "oui") } else { l.t("no", "non") }) },
                html! { (if u.has_password { l.t("yes", "oui") } else { l.t("no", "non") }) },
                active_badge(l, u.active),
            ]
        })
        .collect();
    let heads = [
        l.t("Code", "Code"),
        l.t("Name", "Nom"),
        l.t("Role", "Rôle"),
        l.t("PIN", "PIN"),
        l.t("Password", "Mot de passe"),
        l.t("State", "État"),
    ];
    let problem = said.problem_in("user");
    let value = |name: &str| sent.map(|f| f.text(name)).unwrap_or_default();
    let role = sent.map(|f| f.text("role")).unwrap_or_else(|| "cashier".into());
    let (code_v, name_v) = (value("code"), value("name"));
    let body = html! {
        (said.banner())
        @if chain { (hq_note(l, "users (and the registers they work at)", "les utilisateurs (et les caisses où ils travaillent)")) }
        (Table { id: "users", caption: l.t("Users", "Utilisateurs"), heads: &heads, csv: None }.rows(&rows))
        @if editable {
            h2 id="new-user" { (l.t("New user", "Nouvel utilisateur")) }
            (Form::post("/admin/users", &signed.csrf, Layout::Stack).with(html! {
                (Field::new(l.t("Code", "Code"), "code").required().maxlength(32).value(&code_v).problem(problem))
                (Field::new(l.t("Name", "Nom"), "name").required().maxlength(120).value(&name_v).problem(problem))
                (Select::new(l.t("Role", "Rôle"), "role", role_choices(l, &role)).problem(problem))
                (secret_fields(l, problem, false))
            }, l.t("Create", "Créer")))
        } @else if !chain {
            p { (l.t("Only an administrator creates and changes users.", "Seul un administrateur crée et modifie les utilisateurs.")) }
        }
    };
    pages::page(&signed.frame("users"), said.status(), l.t("Users", "Utilisateurs"), body)
}

pub async fn users(State(shop): State<Shop>, signed: Signed) -> Response {
    render_users(&shop, &signed, Outcome::Shown, None).await
}

fn needs_admin(signed: &Signed) -> Result<(), ShopError> {
    if signed.user.role >= Role::Admin { Ok(()) } else { Err(ShopError::Forbidden { needed: Role::Admin.as_str() }) }
}

pub async fn create_user(State(shop): State<Shop>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let result = async {
        needs_admin(&signed)?;
        let input = NewUser {
            code: form.text("code"),
            name: form.text("name"),
            role: parse_role(&form.text("role"))?,
            pin: secret(&form, "pin"),
            password: secret(&form, "password"),
        };
        shop.store
            .write(move |tx| {
                crate::people::refuse_local_users(tx)?;
                staff::create_user(tx, input)
            })
            .await
    }
    .await;
    let refused = result.is_err();
    let done = result.map(|u| {
        tracing::info!(code = %u.code, user = %signed.user.code, "user created from the back office");
        pages::notice(&format!("{} {} {}", l.t("User created:", "Utilisateur créé :"), u.code, u.name))
    });
    render_users(&shop, &signed, Outcome::of(l, "user", done), refused.then_some(&form)).await
}

async fn render_user(shop: &Shop, signed: &Signed, code: &str, said: Outcome) -> Response {
    let l = signed.lang;
    let key = code.to_string();
    let loaded =
        shop.store.read(move |c| Ok((staff::get_user(c, &key)?, crate::sync::link::hq_link(c)?.is_some()))).await;
    let (user, chain): (Option<User>, bool) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let Some(u) = user else {
        let e = ShopError::NotFound { what: "user", key: code.into(), field: None };
        return pages::page(
            &signed.frame("users"),
            StatusCode::NOT_FOUND,
            l.t("Users", "Utilisateurs"),
            super::alert(l, &e),
        );
    };
    let problem = said.problem_in("user");
    let facts = [
        (l.t("Code", "Code"), html! { (u.code) }),
        (l.t("Name", "Nom"), html! { (u.name) }),
        (l.t("Role", "Rôle"), html! { (role_text(l, u.role)) }),
        (l.t("State", "État"), active_badge(l, u.active)),
    ];
    let path = format!("/admin/users/{}", pages::url(&u.code));
    let body = html! {
        (said.banner())
        @if chain { (hq_note(l, "users (and the registers they work at)", "les utilisateurs (et les caisses où ils travaillent)")) }
        @if chain || signed.user.role < Role::Admin {
            (pages::facts("user", &facts))
        } @else {
            (Form::post(&path, &signed.csrf, Layout::Stack).with(html! {
                (Field::new(l.t("Name", "Nom"), "name").required().maxlength(120).value(&u.name).problem(problem))
                (Select::new(l.t("Role", "Rôle"), "role", role_choices(l, u.role.as_str())).problem(problem))
                (secret_fields(l, problem, true))
                (Check { label: l.t("Active", "Actif"), name: "active", value: None, checked: u.active })
            }, l.t("Save", "Enregistrer")))
        }
        p { a href="/admin/users" { (l.t("Back to the users", "Retour aux utilisateurs")) } }
    };
    pages::page(&signed.frame("users"), said.status(), &format!("{} {}", u.code, u.name), body)
}

pub async fn user(State(shop): State<Shop>, signed: Signed, Path(code): Path<String>) -> Response {
    render_user(&shop, &signed, &code, Outcome::Shown).await
}

pub async fn update_user(
    State(shop): State<Shop>,
    Path(code): Path<String>,
    SignedForm(signed, form): SignedForm,
) -> Response {
    let l = signed.lang;
    let result = async {
        needs_admin(&signed)?;
        if owned_by_hq(&shop).await? {
            return Err(ShopError::UsersOwnedByHq);
        }
        let change = UserChange {
            name: Some(form.text("name")),
            role: Some(parse_role(&form.text("role"))?),
            pin: secret(&form, "pin"),
            password: secret(&form, "password"),
            active: Some(form.checked("active")),
        };
        let key = code.clone();
        let u = shop.store.write(move |tx| staff::update_user(tx, &key, change)).await?;
        shop.forget_login(&u.code);
        Ok(u)
    }
    .await;
    let done = result.map(|u| {
        tracing::info!(code = %u.code, user = %signed.user.code, "user changed from the back office");
        pages::notice(&format!("{} {} {}", l.t("Saved:", "Enregistré :"), u.code, u.name))
    });
    render_user(&shop, &signed, &code, Outcome::of(l, "user", done)).await
}

// ---------------------------------------------------------------- registers

async fn render_registers(shop: &Shop, signed: &Signed, said: Outcome) -> Response {
    let l = signed.lang;
    let loaded = shop
        .store
        .read(|c| {
            let registers = staff::list_registers(c)?;
            let mut devices = Vec::new();
            for r in &registers {
                devices.push(crate::printing::devices(c, &r.code)?);
            }
            let chain = crate::sync::link::hq_link(c)?.is_some();
            Ok((registers, devices, crate::people::printers(c)?, crate::terminal::list_terminals(c)?, chain))
        })
        .await;
    let (registers, devices, printers, terminals, chain) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let heads = [l.t("Code", "Code"), l.t("Name", "Nom"), l.t("State", "État"), l.t("Devices", "Périphériques")];
    let rows: Vec<Vec<Markup>> = registers
        .iter()
        .zip(&devices)
        .map(|(r, d)| {
            let form = format!("register-{}", r.code);
            let problem = said.problem_in(&form);
            let name = if chain {
                html! { (r.name) }
            } else {
                let label = format!("{} {}", l.t("Name of", "Nom de"), r.code);
                let mut choices = vec![Choice { value: String::new(), text: "—".into(), selected: d.receipt_printer.is_none() }];
                choices.extend(printers.iter().filter(|p| p.active || d.receipt_printer.as_deref() == Some(&p.code)).map(|p| Choice {
                    value: p.code.clone(),
                    text: format!("{} — {}", p.code, p.name),
                    selected: d.receipt_printer.as_deref() == Some(&p.code),
                }));
                let mut terminal_choices = vec![Choice { value: String::new(), text: "—".into(), selected: d.terminal.is_none() }];
                terminal_choices.extend(terminals.iter().filter(|t| t.active || d.terminal.as_deref() == Some(&t.code)).map(|t| Choice {
                    value: t.code.clone(),
                    text: format!("{} — {}", t.code, t.name),
                    selected: d.terminal.as_deref() == Some(&t.code),
                }));
                let modes = ReceiptMode::ALL
                    .into_iter()
                    .map(|m| Choice { value: m.as_str().into(), text: mode_text(l, m).into(), selected: m == d.receipt_mode })
                    .collect();
                html! {
                    (Form::post("/admin/registers", &signed.csrf, Layout::Inline).hidden("code", &r.code).hidden("action", "update").with(html! {
                        (Field::new(&label, "name").required().maxlength(120).value(&r.name).problem(problem))
                        (Select::new(l.t("Receipt printer", "Imprimante des tickets"), "receipt_printer", choices).problem(problem))
                        (Select::new(l.t("Receipt", "Ticket"), "receipt_mode", modes).problem(problem))
                        (Select::new(l.t("Card terminal", "Terminal de paiement"), "terminal", terminal_choices).problem(problem))
                        (Check { label: l.t("Active", "Active"), name: "active", value: None, checked: r.active })
                    }, l.t("Save", "Enregistrer")))
                }
            };
            let devices = html! {
                (l.t("printer", "imprimante")) ": " (d.receipt_printer.as_deref().unwrap_or("—"))
                br;
                (l.t("receipt", "ticket")) ": " (mode_text(l, d.receipt_mode))
                br;
                (l.t("card terminal", "terminal de paiement")) ": " (d.terminal.as_deref().unwrap_or("—"))
            };
            vec![html! { (r.code) }, name, active_badge(l, r.active), devices]
        })
        .collect();
    let problem = said.problem_in("register");
    let body = html! {
        (said.banner())
        @if chain { (hq_note(l, "registers", "les caisses")) }
        (Table { id: "registers", caption: l.t("Registers", "Caisses"), heads: &heads, csv: None }.rows(&rows))
        p { a href="/admin/devices" { (l.t("The printers and card terminals are defined on the devices' page.",
                                           "Les imprimantes et les terminaux de paiement se définissent sur la page des appareils.")) } }
        @if !chain {
            h2 id="new-register" { (l.t("New register", "Nouvelle caisse")) }
            (Form::post("/admin/registers", &signed.csrf, Layout::Stack).hidden("action", "create").with(html! {
                (Field::new(l.t("Code", "Code"), "code").required().maxlength(32).problem(problem))
                (Field::new(l.t("Name", "Nom"), "name").required().maxlength(120).problem(problem))
            }, l.t("Create", "Créer")))
        }
    };
    pages::page(&signed.frame("registers"), said.status(), l.t("Registers", "Caisses"), body)
}

pub async fn registers(State(shop): State<Shop>, signed: Signed) -> Response {
    render_registers(&shop, &signed, Outcome::Shown).await
}

/// Creates a register (`action=create`) or renames and (de)activates one (`action=update`).
pub async fn register_action(State(shop): State<Shop>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let code = form.text("code");
    let update = form.get("action") == Some("update");
    let result = async {
        if owned_by_hq(&shop).await? {
            return Err(ShopError::conflict(
                "This shop belongs to a chain: its registers are defined at HQ. Make the change at HQ.",
                "Cette boutique fait partie d'une chaîne : ses caisses sont définies au siège. Faites la modification au siège.",
                None,
            ));
        }
        let (name, active) = (form.text("name"), form.checked("active"));
        // Absent (an older form): unchanged.
        let printer = form.get("receipt_printer").map(str::to_string);
        let terminal = form.get("terminal").map(str::to_string);
        let mode = match form.get("receipt_mode") {
            None => None,
            Some(text) => Some(ReceiptMode::ALL.into_iter().find(|m| m.as_str() == text).ok_or_else(|| {
                ShopError::invalid(
                    "bad_receipt_mode",
                    "receipt_mode: choose ask, print, qr, email or none.",
                    "receipt_mode : choisissez ask, print, qr, email ou none.",
                    Some("receipt_mode"),
                )
            })?),
        };
        let key = code.clone();
        shop.store
            .write(move |tx| {
                if update {
                    let change = RegisterChange {
                        name: Some(name),
                        active: Some(active),
                        receipt_printer: printer,
                        receipt_mode: mode,
                        terminal,
                    };
                    staff::update_register(tx, &key, change)
                } else {
                    staff::create_register(tx, NewRegister { code: key, name })
                }
            })
            .await
    }
    .await;
    let done = result.map(|r| {
        tracing::info!(register = %r.code, user = %signed.user.code, "register saved from the back office");
        pages::notice(&format!("{} {} {}", l.t("Saved:", "Enregistré :"), r.code, r.name))
    });
    let form_key = if update { format!("register-{code}") } else { "register".into() };
    render_registers(&shop, &signed, Outcome::of(l, form_key, done)).await
}
