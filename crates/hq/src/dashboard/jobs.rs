//! Jobs: create one for one or several shops (resync the catalog, resend sales since a day,
//! send stock, upload logs) and follow its state per shop, with when it last changed.

use super::session::{Fields, Signed, SignedForm, error_page};
use crate::HqError;
use crate::hq::Hq;
use crate::sync::now_text;
use axum::extract::State;
use axum::response::Response;
use comptoir_pages::{
    self as pages, Badge, Check, Choice, Field, Form, Layout, Markup, Outcome, Select, Table, Tr, badge, html,
};
use comptoir_protocol::{JobBody, JobKind, JobState};
use uuid::Uuid;

const KINDS: [(&str, &str, &str); 4] = [
    ("resync_catalog", "Resync the catalog", "Resynchroniser le catalogue"),
    ("resend_sales", "Resend sales since a day", "Renvoyer les ventes depuis un jour"),
    ("send_stock", "Send stock", "Envoyer le stock"),
    ("upload_logs", "Upload logs", "Envoyer les journaux"),
];

async fn render(hq: &Hq, signed: &Signed, said: Outcome) -> Response {
    let l = signed.lang;
    let (shops, jobs) = match tokio::try_join!(hq.storage.list_shops(), hq.storage.list_jobs()) {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let problem = said.problem_in("job");
    let kinds =
        KINDS.iter().map(|(k, en, fr)| Choice { value: k.to_string(), text: l.t(en, fr).into(), selected: false });
    let fields = html! {
        (Select::new(l.t("Kind", "Type"), "kind", kinds.collect()).problem(problem))
        (Field::new(l.t("Since (resend sales only)", "Depuis (renvoi des ventes seulement)"), "since").kind("date").problem(problem))
        fieldset {
            legend { (l.t("Shops", "Magasins")) }
            @if let Some(e) = problem.and_then(|p| p.on("shops")) { span.field-error { (e) } }
            @for s in shops.iter().filter(|s| !s.revoked) {
                (Check { label: &format!("{} — {}", s.code, s.name), name: "shops", value: Some(&s.code), checked: false })
            }
        }
    };
    let mut rows: Vec<Vec<Markup>> = Vec::new();
    for j in &jobs {
        let kind = serde_json::to_value(j.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        let kind_label = KINDS.iter().find(|k| k.0 == kind).map(|k| l.t(k.1, k.2)).unwrap_or(kind.as_str()).to_string();
        for t in &j.shops {
            let state = match t.state {
                JobState::Pending => badge(Badge::Warn, l.t("pending", "en attente")),
                JobState::Done => badge(Badge::Ok, l.t("done", "faite")),
                JobState::Failed => badge(Badge::Bad, l.t("failed", "échouée")),
            };
            let detail: String = t.detail.chars().take(200).collect();
            rows.push(vec![
                html! { (pages::instant(Some(&j.created_at))) },
                html! { (kind_label) },
                html! { (j.since.as_deref().unwrap_or("—")) },
                html! { (t.shop) },
                state,
                html! { (pages::instant(Some(&t.updated_at))) },
                html! { (detail) },
            ]);
        }
    }
    let heads = [
        l.t("Created", "Créée"),
        l.t("Kind", "Type"),
        l.t("Since", "Depuis"),
        l.t("Shop", "Magasin"),
        l.t("State", "État"),
        l.t("Updated", "Mise à jour"),
        l.t("Detail", "Détail"),
    ];
    let table =
        Table { id: "jobs", caption: l.t("Newest first", "Les plus récentes d'abord"), heads: &heads, csv: None };
    let body = html! {
        (said.banner())
        h2 { (l.t("New job", "Nouvelle tâche")) }
        (Form::post("/dashboard/jobs", &signed.csrf, Layout::Stack).with(fields, l.t("Create the job", "Créer la tâche")))
        h2 { (l.t("Jobs and their state per shop", "Tâches et leur état par magasin")) }
        (table.rows(&rows))
    };
    pages::page(&signed.frame("jobs"), said.status(), l.t("Jobs", "Tâches"), body)
}

pub async fn page(State(hq): State<Hq>, signed: Signed) -> Response {
    render(&hq, &signed, Outcome::Shown).await
}

fn parse(form: &Fields) -> Result<(JobBody, Vec<String>), HqError> {
    let kind: JobKind = serde_json::from_value(serde_json::Value::String(form.text("kind"))).map_err(|_| {
        HqError::invalid("bad_job_kind", "Choose a kind of job.", "Choisissez un type de tâche.", Some("kind"))
    })?;
    let mut shops = form.all("shops");
    shops.sort();
    shops.dedup();
    if shops.is_empty() {
        return Err(HqError::invalid(
            "no_shop_ticked",
            "Tick at least one shop.",
            "Cochez au moins un magasin.",
            Some("shops"),
        ));
    }
    let since = match form.text("since") {
        s if s.is_empty() => None,
        s => Some(s.parse::<jiff::civil::Date>().map(|d| d.to_string()).map_err(|_| {
            HqError::invalid(
                "bad_date",
                "since: write the day as YYYY-MM-DD.",
                "since : écrivez le jour en AAAA-MM-JJ.",
                Some("since"),
            )
        })?),
    };
    if kind == JobKind::ResendSales && since.is_none() {
        return Err(HqError::invalid(
            "since_needed",
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
    let done = result.map(|view| {
        hq.notify_change();
        tracing::info!(job = %view.id, user = %signed.user, "job created from the dashboard");
        pages::notice(&format!(
            "{} ({})",
            l.t("Job created", "Tâche créée"),
            view.shops.iter().map(|s| s.shop.as_str()).collect::<Vec<_>>().join(", ")
        ))
    });
    render(&hq, &signed, Outcome::of(l, "job", done)).await
}
