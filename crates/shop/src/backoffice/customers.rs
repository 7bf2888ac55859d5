//! Customers: a search (name, card, e-mail, phone: `crate::customers::search`, the register
//! screen's) with each one's card and the points this shop knows, and a form to create one
//! (`crate::customers::create_customer`, shared with the chain as the API's are).

use super::session::{Signed, SignedForm, error_page};
use crate::customers;
use crate::shop::Shop;
use axum::extract::{Query, State};
use axum::response::Response;
use comptoir_http::web::Fields;
use comptoir_pages::{self as pages, Field, Form, Layout, Outcome, Tr, html};

#[derive(serde::Deserialize, Default)]
pub struct CustomerQuery {
    q: Option<String>,
}

pub async fn page(State(shop): State<Shop>, signed: Signed, Query(q): Query<CustomerQuery>) -> Response {
    render(&shop, &signed, q.q.map(|s| s.trim().to_string()).unwrap_or_default(), Outcome::Shown, None).await
}

async fn render(shop: &Shop, signed: &Signed, query: String, said: Outcome, sent: Option<&Fields>) -> Response {
    let l = signed.lang;
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
    let problem = said.problem_in("customer");
    let value = |name: &str| sent.map(|f| f.text(name)).unwrap_or_default();
    let (name_v, email_v, phone_v) = (value("name"), value("email"), value("phone"));
    let create = html! {
        (Field::new(l.t("Name", "Nom"), "name").required().maxlength(120).value(&name_v).problem(problem))
        (Field::new(l.t("E-mail", "E-mail"), "email").kind("email").maxlength(254).value(&email_v).problem(problem))
        (Field::new(l.t("Phone", "Téléphone"), "phone").kind("tel").maxlength(32).value(&phone_v).problem(problem))
    };
    let body = html! {
        (said.banner())
        (Form::search("/admin/customers").with(html! { (find) }, l.t("Search", "Rechercher")))
        @if query.is_empty() {
            p { (l.t("Type at least part of a name, a card, an e-mail or a phone number.",
                     "Tapez au moins une partie d'un nom, d'une carte, d'un e-mail ou d'un téléphone.")) }
        } @else {
            (pages::table("customers", l.t("Customers found", "Clients trouvés"), &heads, &rows, None))
        }
        h2 id="new-customer" { (l.t("New customer", "Nouveau client")) }
        (Form::post("/admin/customers", &signed.csrf, Layout::Stack).with(create, l.t("Create", "Créer")))
    };
    pages::page(&signed.frame("customers"), said.status(), l.t("Customers", "Clients"), body)
}

pub async fn create(State(shop): State<Shop>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let optional = |name: &str| Some(form.text(name)).filter(|v| !v.is_empty());
    let input = customers::NewCustomer {
        name: form.text("name"),
        email: optional("email"),
        phone: optional("phone"),
        group: None,
    };
    let share = shop.config.sync.share_customers;
    let result = shop.store.write(move |tx| customers::create_customer(tx, input, share)).await;
    let refused = result.is_err();
    let (query, done) = match result {
        Ok(c) => {
            shop.outbox_signal.notify_one();
            tracing::info!(card = %c.card, user = %signed.user.code, "customer created from the back office");
            let said = pages::notice(&format!("{} {} {}", l.t("Customer created:", "Client créé :"), c.card, c.name));
            (c.card, Ok(said))
        }
        Err(e) => (String::new(), Err(e)),
    };
    render(&shop, &signed, query, Outcome::of(l, "customer", done), refused.then_some(&form)).await
}
