//! Jobs: create one for one or several shops (resync the catalog, resend sales since a day,
//! send stock, upload logs) and follow its state per shop, with when it last changed.

use super::html::{self, Tr, csrf_field, esc};
use super::session::{Fields, Signed, SignedForm, error_page};
use crate::HqError;
use crate::hq::Hq;
use crate::sync::now_text;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use comptoir_protocol::{JobBody, JobKind, JobState};
use std::fmt::Write;
use uuid::Uuid;

const KINDS: [(&str, &str, &str); 4] = [
    ("resync_catalog", "Resync the catalog", "Resynchroniser le catalogue"),
    ("resend_sales", "Resend sales since a day", "Renvoyer les ventes depuis un jour"),
    ("send_stock", "Send stock", "Envoyer le stock"),
    ("upload_logs", "Upload logs", "Envoyer les journaux"),
];

async fn render(hq: &Hq, signed: &Signed, status: StatusCode, message: &str) -> Response {
    let l = signed.lang;
    let (shops, jobs) = match tokio::try_join!(hq.storage.list_shops(), hq.storage.list_jobs()) {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let mut b = String::from(message);
    let _ = write!(
        b,
        "<h2>{}</h2><form class=\"stack\" method=\"post\" action=\"/dashboard/jobs\">{}<label>{}<select name=\"kind\">",
        l.t("New job", "Nouvelle tâche"),
        csrf_field(&signed.csrf),
        l.t("Kind", "Type")
    );
    for (k, en, fr) in KINDS {
        let _ = write!(b, "<option value=\"{k}\">{}</option>", l.t(en, fr));
    }
    let _ = write!(
        b,
        "</select></label><label>{}<input type=\"date\" name=\"since\"></label><fieldset><legend>{}</legend>",
        l.t("Since (resend sales only)", "Depuis (renvoi des ventes seulement)"),
        l.t("Shops", "Magasins")
    );
    for s in shops.iter().filter(|s| !s.revoked) {
        let _ = write!(
            b,
            "<label class=\"check\"><input type=\"checkbox\" name=\"shops\" value=\"{}\"> {} — {}</label>",
            esc(&s.code),
            esc(&s.code),
            esc(&s.name)
        );
    }
    let _ = write!(b, "</fieldset><button type=\"submit\">{}</button></form>", l.t("Create the job", "Créer la tâche"));
    let mut rows = Vec::new();
    for j in &jobs {
        let kind = serde_json::to_value(j.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        let kind_label = KINDS.iter().find(|k| k.0 == kind).map(|k| l.t(k.1, k.2)).unwrap_or(kind.as_str()).to_string();
        for t in &j.shops {
            let (class, state) = match t.state {
                JobState::Pending => ("warn", l.t("pending", "en attente")),
                JobState::Done => ("ok", l.t("done", "faite")),
                JobState::Failed => ("bad", l.t("failed", "échouée")),
            };
            let detail: String = t.detail.chars().take(200).collect();
            rows.push(vec![
                esc(&html::instant(Some(&j.created_at))),
                esc(&kind_label),
                esc(j.since.as_deref().unwrap_or("—")),
                esc(&t.shop),
                format!("<span class=\"badge {class}\">{state}</span>"),
                esc(&html::instant(Some(&t.updated_at))),
                esc(&detail),
            ]);
        }
    }
    let _ = write!(b, "<h2>{}</h2>", l.t("Jobs and their state per shop", "Tâches et leur état par magasin"));
    let heads = [
        l.t("Created", "Créée"),
        l.t("Kind", "Type"),
        l.t("Since", "Depuis"),
        l.t("Shop", "Magasin"),
        l.t("State", "État"),
        l.t("Updated", "Mise à jour"),
        l.t("Detail", "Détail"),
    ];
    b.push_str(&html::table("jobs", l.t("Newest first", "Les plus récentes d'abord"), &heads, &rows, None));
    html::page(&signed.frame("jobs"), status, l.t("Jobs", "Tâches"), &b)
}

pub async fn page(State(hq): State<Hq>, signed: Signed) -> Response {
    render(&hq, &signed, StatusCode::OK, "").await
}

fn parse(form: &Fields) -> Result<(JobBody, Vec<String>), HqError> {
    let kind: JobKind = serde_json::from_value(serde_json::Value::String(form.text("kind")))
        .map_err(|_| HqError::bad_request("Choose a kind of job.", "Choisissez un type de tâche.", Some("kind")))?;
    let mut shops = form.all("shops");
    shops.sort();
    shops.dedup();
    if shops.is_empty() {
        return Err(HqError::bad_request("Tick at least one shop.", "Cochez au moins un magasin.", Some("shops")));
    }
    let since = match form.text("since") {
        s if s.is_empty() => None,
        s => Some(s.parse::<jiff::civil::Date>().map(|d| d.to_string()).map_err(|_| {
            HqError::bad_request(
                "since: write the day as YYYY-MM-DD.",
                "since : écrivez le jour en AAAA-MM-JJ.",
                Some("since"),
            )
        })?),
    };
    if kind == JobKind::ResendSales && since.is_none() {
        return Err(HqError::bad_request(
            "Resending sales needs the first day to send again (since).",
            "Le renvoi des ventes demande le premier jour à renvoyer (since).",
            Some("since"),
        ));
    }
    let since = if kind == JobKind::ResendSales { since } else { None };
    Ok((JobBody { id: Uuid::now_v7(), kind, since, created_at: now_text() }, shops))
}

pub async fn create(State(hq): State<Hq>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let result = match parse(&form) {
        Ok((job, shops)) => hq.storage.create_job(&job, &shops).await.map_err(HqError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(view) => {
            hq.notify_change();
            tracing::info!(job = %view.id, user = %signed.user, "job created from the dashboard");
            let msg = html::notice(&format!(
                "{} ({})",
                l.t("Job created", "Tâche créée"),
                view.shops.iter().map(|s| s.shop.as_str()).collect::<Vec<_>>().join(", ")
            ));
            render(&hq, &signed, StatusCode::OK, &msg).await
        }
        Err(e) => render(&hq, &signed, e.status(), &html::alert(l, &e)).await,
    }
}
