//! Customers and loyalty, the chain's stock of an article, and the chain's users: read-only
//! pages over the same storage calls as the JSON API (`api::customers`, `api::stock`).
//!
//! A signal is never colour alone: an overdrawn customer and a negative stock level carry a
//! text badge ("overdrawn", "negative") beside the number.

use super::html::{self, Tr, esc};
use super::session::{Signed, error_page};
use crate::HqError;
use crate::hq::Hq;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use comptoir_core::Lang;
use comptoir_protocol::Entity;
use comptoir_protocol::stock::UserBody;
use serde::Deserialize;
use std::fmt::Write;
use uuid::Uuid;

/// Most customers one page lists (the API's own bound is 1000).
const CUSTOMERS: usize = 200;

fn overdrawn_badge(l: Lang) -> String {
    format!("<span class=\"badge bad\">{}</span>", l.t("overdrawn", "à découvert"))
}

fn points(l: Lang, balance: i64, overdrawn: bool) -> String {
    let mut s = esc(&html::count(l, balance));
    if overdrawn {
        s.push(' ');
        s.push_str(&overdrawn_badge(l));
    }
    s
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
    let mut b = String::new();
    let _ = write!(
        b,
        "<form class=\"inline\" method=\"get\" action=\"/dashboard/customers\" role=\"search\">\
         <label class=\"check\"><input type=\"checkbox\" name=\"overdrawn\" value=\"1\"{}>{}</label>\
         <button type=\"submit\">{}</button></form>",
        if only_overdrawn { " checked" } else { "" },
        l.t("Only overdrawn customers", "Seulement les clients à découvert"),
        l.t("Show", "Afficher")
    );
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            vec![
                format!("<a href=\"/dashboard/customers/{}\">{}</a>", c.id, esc(&c.card)),
                esc(&c.name),
                esc(c.email.as_deref().unwrap_or("—")),
                esc(c.phone.as_deref().unwrap_or("—")),
                points(l, c.loyalty_balance, c.overdrawn),
            ]
        })
        .collect();
    b.push_str(&html::table(
        "customers",
        l.t("Customers", "Clients"),
        &[
            l.t("Card", "Carte"),
            l.t("Name", "Nom"),
            l.t("Email", "E-mail"),
            l.t("Phone", "Téléphone"),
            l.t("#Loyalty points", "#Points de fidélité"),
        ],
        &rows,
        None,
    ));
    if list.len() == CUSTOMERS {
        let _ = write!(b, "<p>{}</p>", l.t("Only the first 200 are shown.", "Seuls les 200 premiers sont affichés."));
    }
    html::page(&signed.frame("customers"), StatusCode::OK, l.t("Customers", "Clients"), &b)
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
        return html::page(
            &signed.frame("customers"),
            StatusCode::NOT_FOUND,
            l.t("Customers", "Clients"),
            &html::alert(l, &not_found()),
        );
    };
    let mut b = format!("<p><a href=\"/dashboard/customers\">{}</a></p>", l.t("All customers", "Tous les clients"));
    let _ = write!(b, "<dl class=\"facts\" id=\"customer\">");
    for (k, v) in [
        (l.t("Card", "Carte"), esc(&c.card)),
        (l.t("Email", "E-mail"), esc(c.email.as_deref().unwrap_or("—"))),
        (l.t("Phone", "Téléphone"), esc(c.phone.as_deref().unwrap_or("—"))),
        (l.t("Group", "Groupe"), esc(c.group.as_deref().unwrap_or("—"))),
        (l.t("Loyalty points", "Points de fidélité"), points(l, c.loyalty_balance, c.overdrawn)),
    ] {
        let _ = write!(b, "<dt>{k}</dt><dd>{v}</dd>");
    }
    if c.erased {
        let _ = write!(
            b,
            "<dt>{}</dt><dd>{}</dd>",
            l.t("Personal data", "Données personnelles"),
            l.t("erased", "effacées")
        );
    }
    b.push_str("</dl>");
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
                esc(&html::instant(Some(&e.at))),
                esc(&e.shop),
                kind.to_string(),
                esc(&html::count(l, e.points)),
                esc(e.ticket.map(|t| t.to_string()).as_deref().unwrap_or("—")),
                esc(&e.note),
            ]
        })
        .collect();
    b.push_str(&html::table(
        "loyalty-entries",
        l.t("Loyalty entries", "Mouvements de points"),
        &[
            l.t("When", "Quand"),
            l.t("Shop", "Magasin"),
            l.t("Kind", "Type"),
            l.t("#Points", "#Points"),
            l.t("Ticket", "Ticket"),
            l.t("Note", "Note"),
        ],
        &rows,
        None,
    ));
    let title = format!("{} {}", c.card, c.name);
    html::page(&signed.frame("customers"), StatusCode::OK, &title, &b)
}

#[derive(Deserialize)]
pub struct StockQuery {
    pub sku: Option<String>,
}

pub async fn stock(State(hq): State<Hq>, signed: Signed, Query(q): Query<StockQuery>) -> Response {
    let l = signed.lang;
    let sku = q.sku.as_deref().unwrap_or("").trim().to_string();
    let mut b = String::new();
    let _ = write!(
        b,
        "<form class=\"inline\" method=\"get\" action=\"/dashboard/stock\" role=\"search\">\
         <label>{}<input name=\"sku\" required maxlength=\"64\" value=\"{}\"></label><button type=\"submit\">{}</button></form>",
        l.t("Article SKU", "Référence de l'article"),
        esc(&sku),
        l.t("Look up", "Consulter")
    );
    let mut status = StatusCode::OK;
    if !sku.is_empty() {
        let found = match hq.storage.get_article(&sku).await {
            Ok(a) => a,
            Err(e) => return error_page(l, &signed.here, &e.into()),
        };
        match found {
            None => {
                let e = HqError::NotFound { what: "article", key: sku.clone(), field: Some("sku".into()) };
                status = e.status();
                b.push_str(&html::alert(l, &e));
            }
            Some(a) => {
                let levels = match hq.storage.stock_levels(&a.sku).await {
                    Ok(x) => x,
                    Err(e) => return error_page(l, &signed.here, &e.into()),
                };
                let chain = crate::stock::chain_stock(&a.sku, levels);
                let level = |milli: i64, negative: bool| {
                    let mut s = esc(&html::quantity(l, milli));
                    if negative {
                        let _ = write!(s, " <span class=\"badge bad\">{}</span>", l.t("negative", "négatif"));
                    }
                    s
                };
                let mut rows: Vec<Vec<String>> =
                    chain.shops.iter().map(|s| vec![esc(&s.shop), level(s.quantity.milli(), s.negative)]).collect();
                rows.push(vec![
                    format!("<strong>{}</strong>", l.t("Chain total", "Total du réseau")),
                    format!("<strong>{}</strong>", level(chain.total.milli(), chain.total.milli() < 0)),
                ]);
                let caption = format!("{} {} {}", l.t("Stock of", "Stock de"), a.sku, a.name);
                b.push_str(&html::table(
                    "stock",
                    &caption,
                    &[l.t("Shop", "Magasin"), l.t("#Quantity", "#Quantité")],
                    &rows,
                    None,
                ));
            }
        }
    }
    html::page(&signed.frame("stock"), status, l.t("Stock", "Stock"), &b)
}

pub async fn users(State(hq): State<Hq>, signed: Signed) -> Response {
    let l = signed.lang;
    let docs = match hq.storage.documents(Entity::User).await {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let users: Vec<UserBody> = docs.into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect();
    let list = |items: &[String]| if items.is_empty() { "—".to_string() } else { esc(&items.join(", ")) };
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| vec![esc(&u.code), esc(&u.name), esc(&u.role), list(&u.shops), list(&u.registers)])
        .collect();
    let b = html::table(
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
    html::page(&signed.frame("users"), StatusCode::OK, l.t("Users", "Utilisateurs"), &b)
}
