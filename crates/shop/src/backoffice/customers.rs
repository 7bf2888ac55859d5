//! Customers: a search (name, card, e-mail, phone: `crate::customers::search`, the register
//! screen's) with each one's card and the points this shop knows. Customers are made at
//! the register or through the API; this page only finds them.

use super::session::{Signed, error_page};
use crate::customers;
use crate::shop::Shop;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use comptoir_pages::{self as pages, Field, Form, Tr, html};

#[derive(serde::Deserialize, Default)]
pub struct CustomerQuery {
    q: Option<String>,
}

pub async fn page(State(shop): State<Shop>, signed: Signed, Query(q): Query<CustomerQuery>) -> Response {
    let l = signed.lang;
    let query = q.q.map(|s| s.trim().to_string()).unwrap_or_default();
    let text = query.clone();
    let found = match shop.store.read(move |c| customers::search(c, &text, customers::MAX_RESULTS)).await {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let rows: Vec<Vec<String>> = found
        .iter()
        .filter(|c| !c.erased)
        .map(|c| {
            vec![c.card.clone(), c.name.clone(), dash(&c.email), dash(&c.phone), pages::count(l, c.loyalty_balance)]
        })
        .collect();
    let heads = [
        l.t("Card", "Carte"),
        l.t("Name", "Nom"),
        l.t("E-mail", "E-mail"),
        l.t("Phone", "Téléphone"),
        l.t("#Points", "#Points"),
    ];
    let find = Field::new(l.t("Name, card, e-mail or phone", "Nom, carte, e-mail ou téléphone"), "q")
        .kind("search")
        .value(&query);
    let body = html! {
        (Form::search("/admin/customers").with(html! { (find) }, l.t("Search", "Rechercher")))
        @if query.is_empty() {
            p { (l.t("Type at least part of a name, a card, an e-mail or a phone number.",
                     "Tapez au moins une partie d'un nom, d'une carte, d'un e-mail ou d'un téléphone.")) }
        } @else {
            (pages::table("customers", l.t("Customers found", "Clients trouvés"), &heads, &rows, None))
        }
    };
    pages::page(&signed.frame("customers"), StatusCode::OK, l.t("Customers", "Clients"), body)
}
