//! The link to HQ: whether HQ answers (the start-up checks of `crate::sync::checks`), what
//! waits in the outbox and since when, the last push and pull, the last error; and a
//! "sync now" button that runs one full sync (`SyncAgent::sync_once`: push, pull, jobs),
//! as `comptoir shop sync` does. A standalone shop is told it has no HQ.

use super::session::{Signed, SignedForm, error_page};
use crate::error::ShopError;
use crate::shop::Shop;
use crate::sync::{agent::SyncAgent, checks, status};
use axum::extract::State;
use axum::response::Response;
use comptoir_core::Lang;
use comptoir_pages::{self as pages, Badge, Check, Form, Layout, Markup, Outcome, Table, Tr, badge, html};

async fn render(shop: &Shop, signed: &Signed, said: Outcome) -> Response {
    let l = signed.lang;
    let s = match status::status(shop).await {
        Ok(s) => s,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let settings = match shop.store.read(crate::people::settings).await {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let checks = if s.enrolled { checks::run(shop, l).await } else { Vec::new() };
    let reachable = checks.iter().find(|c| c.name == "hq_reachable").is_some_and(|c| c.ok);
    let yes_no = |ok: bool, yes: (&str, &str), no: (&str, &str)| -> Markup {
        if ok { badge(Badge::Ok, l.t(yes.0, yes.1)) } else { badge(Badge::Bad, l.t(no.0, no.1)) }
    };
    let body = if let Some(hq) = &s.hq {
        let waiting = if s.unsent == 0 {
            badge(Badge::Ok, l.t("nothing waiting", "rien en attente"))
        } else {
            html! {
                (badge(Badge::Warn, &pages::count(l, s.unsent)))
                " " (l.t("since", "depuis")) " " (super::local_time(shop, s.oldest_unsent_at.as_deref()))
            }
        };
        let facts = [
            (l.t("HQ", "Siège"), html! { (hq.name) " — " (hq.url) }),
            (l.t("HQ reachable", "Siège joignable"), yes_no(reachable, ("yes", "oui"), ("no", "non"))),
            (l.t("Waiting in the outbox", "En attente d'envoi"), waiting),
            (l.t("Last push", "Dernier envoi"), html! { (super::local_time(shop, s.last_push_at.as_deref())) }),
            (l.t("Last pull", "Dernière réception"), html! { (super::local_time(shop, s.last_pull_at.as_deref())) }),
            (
                l.t("Automatic sync", "Synchronisation automatique"),
                yes_no(s.auto_sync, ("on", "active"), ("off", "arrêtée")),
            ),
            (l.t("Feed cursor", "Curseur du flux"), html! { (s.cursor) }),
            (
                l.t("Last error", "Dernière erreur"),
                html! {
                    @match &s.last_error {
                        Some(e) => { (e) " (" (super::local_time(shop, s.last_error_at.as_deref())) ")" }
                        None => { "—" }
                    }
                },
            ),
            (l.t("Enrolled", "Inscrite le"), html! { (super::local_time(shop, Some(&hq.enrolled_at))) }),
        ];
        let rows: Vec<Vec<Markup>> = checks
            .iter()
            .map(|c| {
                vec![
                    html! { (c.name) },
                    yes_no(c.ok, ("passed", "réussi"), ("failed", "échoué")),
                    html! { (c.message) },
                ]
            })
            .collect();
        let heads = [l.t("Check", "Vérification"), l.t("Result", "Résultat"), l.t("Detail", "Détail")];
        html! {
            (pages::facts("sync-status", &facts))
            (Form::post("/admin/sync", &signed.csrf, Layout::Inline).with(html! {}, l.t("Sync now", "Synchroniser maintenant")))
            (Table { id: "sync-checks", caption: l.t("Checks", "Vérifications"), heads: &heads, csv: None }.rows(&rows))
            p { a href="/admin/logs" { (l.t("The shop's log files", "Les fichiers journaux de la boutique")) } }
            h2 id="hq-settings" { (l.t("What this shop takes from HQ", "Ce que cette boutique accepte du siège")) }
            (Form::post("/admin/sync/settings", &signed.csrf, Layout::Stack).with(html! {
                (Check { label: l.t("HQ's price changes (off: the shop keeps its own prices)", "Les changements de prix du siège (désactivé : la boutique garde ses propres prix)"),
                    name: "accept_hq_prices", value: None, checked: settings.accept_hq_prices })
                (Check { label: l.t("HQ's printer definitions", "Les définitions d'imprimantes du siège"),
                    name: "accept_hq_printers", value: None, checked: settings.accept_hq_printers })
            }, l.t("Save", "Enregistrer")))
        }
    } else {
        html! {
            p { (ShopError::NotEnrolled.message(l)) }
            p { a href="/admin/logs" { (l.t("The shop's log files", "Les fichiers journaux de la boutique")) } }
            (pages::facts("sync-status", &[
                (l.t("Kept for HQ", "Gardé pour le siège"), html! { (pages::count(l, s.unsent)) }),
            ]))
        }
    };
    let body = html! { (said.banner()) (body) };
    pages::page(&signed.frame("sync"), said.status(), l.t("HQ link", "Lien au siège"), body)
}

pub async fn page(State(shop): State<Shop>, signed: Signed) -> Response {
    render(&shop, &signed, Outcome::Shown).await
}

fn synced(
    l: Lang,
    push: &crate::sync::agent::PushReport,
    pull: &crate::sync::agent::PullReport,
    jobs: usize,
) -> Markup {
    pages::notice(&format!(
        "{} {} {}, {} {}, {} {}.",
        l.t("Synced:", "Synchronisé :"),
        pages::count(l, push.sent as i64),
        l.t("record(s) sent", "envoi(s)"),
        pages::count(l, pull.changes as i64),
        l.t("change(s) received", "modification(s) reçue(s)"),
        pages::count(l, jobs as i64),
        l.t("job(s) run", "tâche(s) exécutée(s)"),
    ))
}

/// "Sync now": one push, pull and jobs round, its outcome shown on the page.
pub async fn sync_now(State(shop): State<Shop>, SignedForm(signed, _): SignedForm) -> Response {
    let l = signed.lang;
    let result = async {
        let agent = SyncAgent::for_shop(&shop).await?;
        let (push, pull, jobs) = agent.sync_once().await?;
        tracing::info!(user = %signed.user.code, sent = push.sent, received = pull.changes, "sync asked from the back office");
        Ok::<_, ShopError>(synced(l, &push, &pull, jobs))
    }
    .await;
    render(&shop, &signed, Outcome::of(l, "sync", result)).await
}

/// What the shop takes from HQ: its price changes, its printer definitions.
pub async fn settings(State(shop): State<Shop>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let change = crate::people::HqSettingsChange {
        accept_hq_prices: Some(form.checked("accept_hq_prices")),
        accept_hq_printers: Some(form.checked("accept_hq_printers")),
    };
    let result = shop.store.write(move |tx| crate::people::change_settings(tx, change)).await;
    let done = result.map(|s| {
        tracing::info!(user = %signed.user.code, prices = s.accept_hq_prices, printers = s.accept_hq_printers, "HQ settings changed from the back office");
        pages::notice(l.t("Saved.", "Enregistré."))
    });
    render(&shop, &signed, Outcome::of(l, "settings", done)).await
}

/// The end of the shop's daily log files (the same text an `upload_logs` job sends HQ).
pub async fn logs(State(shop): State<Shop>, signed: Signed) -> Response {
    let l = signed.lang;
    let dir = shop.store.path().parent().map(|d| d.join("logs")).unwrap_or_default();
    let text = tokio::task::spawn_blocking(move || {
        crate::sync::agent::recent_logs(&dir, crate::sync::agent::LOG_UPLOAD_BYTES)
    })
    .await
    .unwrap_or_else(|e| Err(ShopError::Storage(e.to_string())));
    let body = match text {
        Ok(t) => html! {
            p { (l.t("The end of the newest daily log files, newest last.", "La fin des derniers fichiers journaliers, le plus récent en dernier.")) }
            pre.logs tabindex="0" aria-label=(l.t("Log lines", "Lignes du journal")) { (t) }
        },
        Err(e) => super::alert(l, &e),
    };
    pages::page(&signed.frame("sync"), axum::http::StatusCode::OK, l.t("Log files", "Fichiers journaux"), body)
}
