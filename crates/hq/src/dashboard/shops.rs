//! Shops: add one (its enrolment token is shown once, never again), revoke it, issue a new
//! enrolment token; and each shop's registers, as HQ knows them from the records received
//! (the chain heads).

use super::session::{Signed, SignedForm, error_page};
use crate::HqError;
use crate::hq::Hq;
use crate::shops::{NewShop, add_shop, reissue_token, validate_shop};
use axum::extract::State;
use axum::response::Response;
use comptoir_pages::{self as pages, Field, Form, Layout, Markup, Outcome, Table, Tr, html};

async fn render(hq: &Hq, signed: &Signed, said: Outcome) -> Response {
    let l = signed.lang;
    let (shops, registers) = match tokio::try_join!(hq.storage.list_shops(), hq.storage.registers()) {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let problem = said.problem_in("add");
    let fields = html! {
        (Field::new(l.t("Code", "Code"), "code").required().maxlength(32).problem(problem))
        (Field::new(l.t("Name", "Nom"), "name").required().maxlength(120).problem(problem))
        (Field::new(l.t("Postal code", "Code postal"), "postal_code").required().maxlength(16).problem(problem))
    };
    // One small form per action and shop, its button named after the shop for screen readers.
    let action = |code: &str, action: &str, label: &str, danger: bool| {
        let button = html! {
            button type="submit" class=[danger.then_some("danger")] aria-label=(format!("{label} {code}")) { (label) }
        };
        Form::post("/dashboard/shops", &signed.csrf, Layout::Inline)
            .hidden("action", action)
            .hidden("code", code)
            .with_button(html! {}, button)
    };
    let heads = [
        l.t("Shop", "Magasin"),
        l.t("Postal code", "Code postal"),
        l.t("State", "État"),
        l.t("Registers", "Caisses"),
        l.t("Actions", "Actions"),
    ];
    let rows = html! {
        @for s in &shops {
            @let regs: Vec<_> = registers.iter().filter(|r| r.shop == s.code).collect();
            tr data-shop=(s.code) {
                th scope="row" {
                    (s.code) " " small { (s.name) } br;
                    @let label = l.t("Journal and archives", "Journal et archives");
                    // The accessible name starts with the visible text, then names the shop.
                    a href=(format!("/dashboard/shops/{}/journal", s.code)) aria-label=(format!("{label} {}", s.code)) {
                        (label)
                    }
                }
                td { (s.postal_code) }
                td { (if s.revoked {
                    l.t("revoked", "révoqué")
                } else if s.enrolled {
                    l.t("enrolled", "inscrit")
                } else {
                    l.t("waiting for enrolment", "en attente d'inscription")
                }) }
                td {
                    @for (i, r) in regs.iter().enumerate() {
                        @if i > 0 { br; }
                        (r.register) " (" (r.tickets) " " (l.t("tickets", "tickets")) ", " (r.closures) " " (l.t("closures", "clôtures")) ")"
                    }
                    @if regs.is_empty() { "—" }
                }
                td {
                    (action(&s.code, "token", l.t("New enrolment token", "Nouveau jeton d'inscription"), false))
                    @if !s.revoked { (action(&s.code, "revoke", l.t("Revoke", "Révoquer"), true)) }
                }
            }
        }
    };
    let body = html! {
        (said.banner())
        h2 { (l.t("Add a shop", "Ajouter un magasin")) }
        (Form::post("/dashboard/shops", &signed.csrf, Layout::Inline).hidden("action", "add").with(fields, l.t("Add", "Ajouter")))
        (Table { id: "shops", caption: l.t("Shops", "Magasins"), heads: &heads, csv: None }.body(rows, shops.is_empty()))
    };
    pages::page(&signed.frame("shops"), said.status(), l.t("Shops", "Magasins"), body)
}

pub async fn page(State(hq): State<Hq>, signed: Signed) -> Response {
    render(&hq, &signed, Outcome::Shown).await
}

fn token_box(l: comptoir_core::Lang, code: &str, token: &str) -> Markup {
    html! {
        div.notice role="status" {
            p {
                (l.t("Enrolment token for", "Jeton d'inscription de")) " " (code) ". "
                (l.t("It is shown only now: give it to the shop.", "Il n'est affiché que maintenant : donnez-le au magasin."))
            }
            p.secret id="enrolment-token" { (token) }
            p { code { "comptoir shop enroll --hq URL --token " (token) } }
        }
    }
}

pub async fn action(State(hq): State<Hq>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let code = form.text("code");
    let result: Result<Markup, HqError> = match form.get("action") {
        Some("add") => {
            let input = NewShop {
                code: code.clone(),
                name: form.text("name"),
                postal_code: form.text("postal_code"),
                country: None,
            };
            match validate_shop(input) {
                Ok(identity) => add_shop(hq.storage.as_ref(), hq.config.enrolment_token_days, identity).await.map(
                    |(shop, token)| {
                        tracing::info!(shop = %shop.code, user = %signed.user, "shop created from the dashboard");
                        token_box(l, &shop.code, &token)
                    },
                ),
                Err(e) => Err(e),
            }
        }
        Some("token") => reissue_token(hq.storage.as_ref(), hq.config.enrolment_token_days, &code)
            .await
            .map(|token| token_box(l, &code, &token)),
        Some("revoke") => hq.storage.revoke_shop(&code).await.map_err(HqError::from).map(|_| {
            tracing::warn!(shop = %code, user = %signed.user, "shop revoked from the dashboard");
            pages::notice(&format!(
                "{} {}",
                code,
                l.t(
                    "is revoked: its credential is refused from now on.",
                    "est révoqué : son identifiant est refusé dès maintenant."
                )
            ))
        }),
        _ => Err(HqError::invalid("bad_action", "Unknown action.", "Action inconnue.", Some("action"))),
    };
    let form = if form.get("action") == Some("add") { "add" } else { "shop" };
    render(&hq, &signed, Outcome::of(l, form, result)).await
}
