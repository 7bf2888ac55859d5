//! Customers and loyalty, the chain's stock of an article, and the chain's users: read-only
//! pages over the same storage calls as the JSON API (`api::customers`, `api::stock`).
//!
//! A signal is never colour alone: an overdrawn customer and a negative stock level carry a
//! text badge ("overdrawn", "negative") beside the number.

use super::session::{Signed, error_page};
use crate::HqError;
use crate::hq::Hq;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use comptoir_core::Lang;
use comptoir_pages::{self as pages, Badge, Check, Field, Form, Markup, Table, Tr, badge, html};
use comptoir_protocol::Entity;
use comptoir_protocol::stock::UserBody;
use serde::Deserialize;
use uuid::Uuid;

/// Most customers one page lists (the API's own bound is 1000).
const CUSTOMERS: usize = 200;

/// A loyalty balance, labelled when overdrawn.
fn points(l: Lang, balance: i64, overdrawn: bool) -> Markup {
    html! {
        (pages::count(l, balance))
        @if overdrawn { " " (badge(Badge::Bad, l.t("overdrawn", "à découvert"))) }
    }
}

#[derive(Deserialize)]
pub struct CustomersQuery {
    pub overdrawn: Option<String>,
}

pub async fn customers(State(hq): State<Hq>, signed: Signed, Query(q): Query<CustomersQuery>) -> Response {
    let l = signed.lang;
    let only_overdrawn = q.overdrawn.as_deref().is_some_and(|v| !v.is_empty() && v != "0");
    let list = match hq.storage.list_customers(only_overdrawn, CUSTOMERS).await {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let filter = Check {
        label: l.t("Only overdrawn customers", "Seulement les clients à découvert"),
        name: "overdrawn",
        value: Some("1"),
        checked: only_overdrawn,
    };
    let rows: Vec<Vec<Markup>> = list
        .iter()
        .map(|c| {
            vec![
                html! { a href=(format!("/dashboard/customers/{}", c.id)) { (c.card) } },
                html! { (c.name) },
                html! { (c.email.as_deref().unwrap_or("—")) },
                html! { (c.phone.as_deref().unwrap_or("—")) },
                points(l, c.loyalty_balance, c.overdrawn),
            ]
        })
        .collect();
    let heads = [
        l.t("Card", "Carte"),
        l.t("Name", "Nom"),
        l.t("Email", "E-mail"),
        l.t("Phone", "Téléphone"),
        l.t("#Loyalty points", "#Points de fidélité"),
    ];
    let body = html! {
        (Form::search("/dashboard/customers").with(html! { (filter) }, l.t("Show", "Afficher")))
        (Table { id: "customers", caption: l.t("Customers", "Clients"), heads: &heads, csv: None }.rows(&rows))
        @if list.len() == CUSTOMERS {
            p { (l.t("Only the first 200 are shown.", "Seuls les 200 premiers sont affichés.")) }
        }
    };
    pages::page(&signed.frame("customers"), StatusCode::OK, l.t("Customers", "Clients"), body)
}

pub async fn customer(State(hq): State<Hq>, signed: Signed, Path(id): Path<String>) -> Response {
    let l = signed.lang;
    let not_found = || HqError::NotFound { what: "customer", key: id.clone(), field: None };
    let found = match Uuid::parse_str(&id) {
        Ok(uuid) => match tokio::try_join!(hq.storage.get_customer(uuid), hq.storage.loyalty_entries(uuid)) {
            Ok((Some(c), entries)) => Some((c, entries)),
            Ok((None, _)) => None,
            Err(e) => return error_page(l, &signed.here, &e.into()),
        },
        Err(_) => None,
    };
    let Some((c, entries)) = found else {
        return pages::page(
            &signed.frame("customers"),
            StatusCode::NOT_FOUND,
            l.t("Customers", "Clients"),
            super::alert(l, &not_found()),
        );
    };
    let mut facts = vec![
        (l.t("Card", "Carte"), html! { (c.card) }),
        (l.t("Email", "E-mail"), html! { (c.email.as_deref().unwrap_or("—")) }),
        (l.t("Phone", "Téléphone"), html! { (c.phone.as_deref().unwrap_or("—")) }),
        (l.t("Group", "Groupe"), html! { (c.group.as_deref().unwrap_or("—")) }),
        (l.t("Loyalty points", "Points de fidélité"), points(l, c.loyalty_balance, c.overdrawn)),
    ];
    if c.erased {
        facts.push((l.t("Personal data", "Données personnelles"), html! { (l.t("erased", "effacées")) }));
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let kind = match e.kind.as_str() {
                "earn" => l.t("earned", "gagnés"),
                "redeem" => l.t("redeemed", "utilisés"),
                "adjust" => l.t("adjusted", "ajustés"),
                _ => l.t("expired", "expirés"),
            };
            vec![
                pages::instant(Some(&e.at)),
                e.shop.clone(),
                kind.to_string(),
                pages::count(l, e.points),
                e.ticket.map(|t| t.to_string()).unwrap_or_else(|| "—".into()),
                e.note.clone(),
            ]
        })
        .collect();
    let heads = [
        l.t("When", "Quand"),
        l.t("Shop", "Magasin"),
        l.t("Kind", "Type"),
        l.t("#Points", "#Points"),
        l.t("Ticket", "Ticket"),
        l.t("Note", "Note"),
    ];
    let body = html! {
        p { a href="/dashboard/customers" { (l.t("All customers", "Tous les clients")) } }
        (pages::facts("customer", &facts))
        (pages::table("loyalty-entries", l.t("Loyalty entries", "Mouvements de points"), &heads, &rows, None))
    };
    let title = format!("{} {}", c.card, c.name);
    pages::page(&signed.frame("customers"), StatusCode::OK, &title, body)
}

#[derive(Deserialize)]
pub struct StockQuery {
    pub sku: Option<String>,
}

pub async fn stock(State(hq): State<Hq>, signed: Signed, Query(q): Query<StockQuery>) -> Response {
    let l = signed.lang;
    let sku = q.sku.as_deref().unwrap_or("").trim().to_string();
    let mut status = StatusCode::OK;
    let mut shown = html! {};
    if !sku.is_empty() {
        let found = match hq.storage.get_article(&sku).await {
            Ok(a) => a,
            Err(e) => return error_page(l, &signed.here, &e.into()),
        };
        match found {
            None => {
                let e = HqError::NotFound { what: "article", key: sku.clone(), field: Some("sku".into()) };
                status = e.status();
                shown = super::alert(l, &e);
            }
            Some(a) => {
                let levels = match hq.storage.stock_levels(&a.sku).await {
                    Ok(x) => x,
                    Err(e) => return error_page(l, &signed.here, &e.into()),
                };
                let chain = crate::stock::chain_stock(&a.sku, levels);
                let level = |milli: i64, negative: bool| {
                    html! {
                        (pages::quantity(l, milli))
                        @if negative { " " (badge(Badge::Bad, l.t("negative", "négatif"))) }
                    }
                };
                let mut rows: Vec<Vec<Markup>> = chain
                    .shops
                    .iter()
                    .map(|s| vec![html! { (s.shop) }, level(s.quantity.milli(), s.negative)])
                    .collect();
                rows.push(vec![
                    html! { strong { (l.t("Chain total", "Total du réseau")) } },
                    html! { strong { (level(chain.total.milli(), chain.total.milli() < 0)) } },
                ]);
                let caption = format!("{} {} {}", l.t("Stock of", "Stock de"), a.sku, a.name);
                let heads = [l.t("Shop", "Magasin"), l.t("#Quantity", "#Quantité")];
                shown = Table { id: "stock", caption: &caption, heads: &heads, csv: None }.rows(&rows);
            }
        }
    }
    let lookup = Field::new(l.t("Article SKU", "Référence de l'article"), "sku").required().maxlength(64).value(&sku);
    let body = html! {
        (Form::search("/dashboard/stock").with(html! { (lookup) }, l.t("Look up", "Consulter")))
        (shown)
    };
    pages::page(&signed.frame("stock"), status, l.t("Stock", "Stock"), body)
}

pub async fn users(State(hq): State<Hq>, signed: Signed) -> Response {
    let l = signed.lang;
    let docs = match hq.storage.documents(Entity::User).await {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let users: Vec<UserBody> = docs.into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect();
    let list = |items: &[String]| if items.is_empty() { "—".to_string() } else { items.join(", ") };
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| vec![u.code.clone(), u.name.clone(), u.role.clone(), list(&u.shops), list(&u.registers)])
        .collect();
    let b = pages::table(
        "users",
        l.t("The chain's users", "Les utilisateurs du réseau"),
        &[
            l.t("Code", "Code"),
            l.t("Name", "Nom"),
            l.t("Role", "Rôle"),
            l.t("Shops", "Magasins"),
            l.t("Registers", "Caisses"),
        ],
        &rows,
        None,
    );
    pages::page(&signed.frame("users"), StatusCode::OK, l.t("Users", "Utilisateurs"), b)
}
