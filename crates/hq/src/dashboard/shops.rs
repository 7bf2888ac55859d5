//! Shops: add one (its enrolment token is shown once, never again), revoke it, issue a new
//! enrolment token; and each shop's registers, as HQ knows them from the records received
//! (the chain heads).

use super::html::{self, Tr, csrf_field, esc};
use super::session::{Signed, SignedForm, error_page};
use crate::HqError;
use crate::hq::Hq;
use crate::shops::{NewShop, add_shop, reissue_token, validate_shop};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use std::fmt::Write;

async fn render(hq: &Hq, signed: &Signed, status: StatusCode, message: &str) -> Response {
    let l = signed.lang;
    let (shops, registers) = match tokio::try_join!(hq.storage.list_shops(), hq.storage.registers()) {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let mut b = String::from(message);
    let _ = write!(
        b,
        "<h2>{}</h2><form class=\"inline\" method=\"post\" action=\"/dashboard/shops\">{}<input type=\"hidden\" name=\"action\" value=\"add\">\
         <label>{}<input name=\"code\" required maxlength=\"32\"></label><label>{}<input name=\"name\" required maxlength=\"120\"></label>\
         <label>{}<input name=\"postal_code\" required maxlength=\"16\"></label><button type=\"submit\">{}</button></form>",
        l.t("Add a shop", "Ajouter un magasin"),
        csrf_field(&signed.csrf),
        l.t("Code", "Code"),
        l.t("Name", "Nom"),
        l.t("Postal code", "Code postal"),
        l.t("Add", "Ajouter")
    );
    let _ = write!(
        b,
        "<div class=\"scroll\"><table id=\"shops\"><caption>{}</caption><thead><tr>",
        l.t("Shops", "Magasins")
    );
    for h in [
        l.t("Shop", "Magasin"),
        l.t("Postal code", "Code postal"),
        l.t("State", "État"),
        l.t("Registers", "Caisses"),
        l.t("Actions", "Actions"),
    ] {
        let _ = write!(b, "<th scope=\"col\">{h}</th>");
    }
    b.push_str("</tr></thead><tbody>");
    for s in &shops {
        let state = if s.revoked {
            l.t("revoked", "révoqué")
        } else if s.enrolled {
            l.t("enrolled", "inscrit")
        } else {
            l.t("waiting for enrolment", "en attente d'inscription")
        };
        let regs: Vec<String> = registers
            .iter()
            .filter(|r| r.shop == s.code)
            .map(|r| {
                format!(
                    "{} ({} {}, {} {})",
                    esc(&r.register),
                    r.tickets,
                    l.t("tickets", "tickets"),
                    r.closures,
                    l.t("closures", "clôtures")
                )
            })
            .collect();
        let form = |action: &str, label: &str, class: &str| {
            format!(
                "<form class=\"inline\" method=\"post\" action=\"/dashboard/shops\">{}<input type=\"hidden\" name=\"action\" value=\"{action}\">\
                 <input type=\"hidden\" name=\"code\" value=\"{}\"><button type=\"submit\"{class} aria-label=\"{label} {}\">{label}</button></form>",
                csrf_field(&signed.csrf),
                esc(&s.code),
                esc(&s.code)
            )
        };
        let mut actions = form("token", l.t("New enrolment token", "Nouveau jeton d'inscription"), "");
        if !s.revoked {
            actions.push_str(&form("revoke", l.t("Revoke", "Révoquer"), " class=\"danger\""));
        }
        let _ = write!(
            b,
            "<tr data-shop=\"{}\"><th scope=\"row\">{} <small>{}</small></th><td>{}</td><td>{state}</td><td>{}</td><td>{actions}</td></tr>",
            esc(&s.code),
            esc(&s.code),
            esc(&s.name),
            esc(&s.postal_code),
            if regs.is_empty() { "—".to_string() } else { regs.join("<br>") }
        );
    }
    if shops.is_empty() {
        b.push_str("<tr><td colspan=\"5\" class=\"empty\">—</td></tr>");
    }
    b.push_str("</tbody></table></div>");
    html::page(&signed.frame("shops"), status, l.t("Shops", "Magasins"), &b)
}

pub async fn page(State(hq): State<Hq>, signed: Signed) -> Response {
    render(&hq, &signed, StatusCode::OK, "").await
}

fn token_box(l: comptoir_core::Lang, code: &str, token: &str) -> String {
    format!(
        "<div class=\"notice\" role=\"status\"><p>{} {}. {}</p><p class=\"secret\" id=\"enrolment-token\">{}</p>\
         <p><code>comptoir shop enroll --hq URL --token {}</code></p></div>",
        l.t("Enrolment token for", "Jeton d'inscription de"),
        esc(code),
        l.t("It is shown only now: give it to the shop.", "Il n'est affiché que maintenant : donnez-le au magasin."),
        esc(token),
        esc(token)
    )
}

pub async fn action(State(hq): State<Hq>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let code = form.text("code");
    let result: Result<String, HqError> = match form.get("action") {
        Some("add") => {
            let input = NewShop { code: code.clone(), name: form.text("name"), postal_code: form.text("postal_code") };
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
            html::notice(&format!(
                "{} {}",
                code,
                l.t(
                    "is revoked: its credential is refused from now on.",
                    "est révoqué : son identifiant est refusé dès maintenant."
                )
            ))
        }),
        _ => Err(HqError::bad_request("Unknown action.", "Action inconnue.", Some("action"))),
    };
    match result {
        Ok(message) => render(&hq, &signed, StatusCode::OK, &message).await,
        Err(e) => render(&hq, &signed, e.status(), &html::alert(l, &e)).await,
    }
}
