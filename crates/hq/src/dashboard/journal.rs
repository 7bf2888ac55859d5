//! A shop's fiscal records at HQ (docs/fiscal.md): its technical journal as pushed (filtered
//! by code and dates, paged by sequence), its public keys, and the archives it uploaded,
//! each downloadable. Read-only, over the same storage calls as the admin API
//! (`api::fiscal`).

use super::session::{Signed, error_page};
use crate::HqError;
use crate::api::fiscal::{JournalQuery, journal_filter};
use crate::hq::Hq;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use comptoir_pages::{self as pages, Badge, Field, Form, Markup, Table, Tr, badge, html};

/// Entries per page.
const PAGE: usize = 100;

/// The day after `day` (`YYYY-MM-DD`): the page's "to" day is inclusive, storage's bound is not.
fn day_after(day: &str) -> Option<String> {
    let d: jiff::civil::Date = day.parse().ok()?;
    d.tomorrow().ok().map(|d| d.to_string())
}

/// Details as the table shows them: a long word (a hash, a path) shortened so the table
/// fits the page; the API gives them whole.
fn shown_details(details: &str) -> String {
    let words: Vec<String> = details
        .split_whitespace()
        .map(|w| {
            if w.chars().count() <= 24 {
                w.to_string()
            } else if let Some((_, last)) = w.rsplit_once('/').filter(|(_, last)| !last.is_empty()) {
                format!("…/{last}")
            } else {
                format!("{}…", w.chars().take(12).collect::<String>())
            }
        })
        .collect();
    let text = words.join(" ");
    if text.chars().count() > 160 { format!("{}…", text.chars().take(160).collect::<String>()) } else { text }
}

/// A link to this page with the filters and `after`.
fn page_link(code: &str, q: &JournalQuery, after: i64) -> String {
    let mut parts = Vec::new();
    for (k, v) in [("code", &q.code), ("from", &q.from), ("to", &q.to)] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", url_escape(v)));
        }
    }
    parts.push(format!("after={after}"));
    format!("/dashboard/shops/{code}/journal?{}", parts.join("&"))
}

fn url_escape(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn page(
    State(hq): State<Hq>,
    signed: Signed,
    Path(code): Path<String>,
    Query(q): Query<JournalQuery>,
) -> Response {
    let l = signed.lang;
    let shops = match hq.storage.list_shops().await {
        Ok(s) => s,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let Some(shop) = shops.into_iter().find(|s| s.code.eq_ignore_ascii_case(&code)) else {
        let e = HqError::NotFound { what: "shop", key: code.clone(), field: None };
        return pages::page(
            &signed.frame("shops"),
            StatusCode::NOT_FOUND,
            l.t("Journal", "Journal"),
            super::alert(l, &e),
        );
    };
    let code = shop.code.clone();
    let title = format!("{} {} — {}", l.t("Journal of", "Journal de"), code, shop.name);
    let filters = html! {
        (Field::new(l.t("Code", "Code"), "code").value(q.code.as_deref().unwrap_or("")).maxlength(64))
        (Field::new(l.t("From", "Du"), "from").kind("date").value(q.from.as_deref().unwrap_or("")))
        (Field::new(l.t("To (included)", "Au (inclus)"), "to").kind("date").value(q.to.as_deref().unwrap_or("")))
    };
    let search = Form::search("").with(filters, l.t("Show", "Afficher"));
    let mut storage_query = JournalQuery { limit: Some(PAGE), ..JournalQuery::default() };
    storage_query.code = q.code.clone();
    storage_query.from = q.from.clone();
    storage_query.after = q.after;
    // A day given as "to" is included: storage's bound is the next midnight.
    storage_query.to = q.to.as_deref().map(|t| day_after(t).unwrap_or_else(|| t.to_string()));
    let filter = match journal_filter(&storage_query) {
        Ok(f) => f,
        Err(e) => {
            let body = html! { (search) (super::alert(l, &e)) };
            return pages::page(&signed.frame("shops"), e.status(), &title, body);
        }
    };
    let loaded = tokio::try_join!(
        hq.storage.list_journal(&code, &filter),
        hq.storage.shop_keys(&code),
        hq.storage.list_archives(&code)
    );
    let ((entries, next), keys, archives) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let rows: Vec<Vec<Markup>> = entries
        .iter()
        .map(|s| {
            let e = &s.entry;
            let details = shown_details(&e.details);
            vec![
                html! { (e.sequence) },
                html! { (pages::instant(Some(&e.at))) },
                html! { code { (e.code) } },
                html! { (e.user.as_deref().unwrap_or("—")) },
                html! { (e.register.as_deref().unwrap_or("—")) },
                html! { span title=(e.details) { (details) } },
            ]
        })
        .collect();
    let heads = [
        l.t("#No.", "#N°"),
        l.t("At", "Le"),
        l.t("Code", "Code"),
        l.t("User", "Utilisateur"),
        l.t("Register", "Caisse"),
        l.t("Details", "Détails"),
    ];
    let key_rows: Vec<Vec<Markup>> = keys
        .iter()
        .map(|k| {
            vec![
                html! { code { (k.key_id) } },
                html! { code { (k.public_key) } },
                html! { (pages::instant(Some(&k.registered_at))) },
                match &k.retired_at {
                    None => badge(Badge::Ok, l.t("current", "actuelle")),
                    Some(at) => html! { (l.t("retired", "retirée")) " " (pages::instant(Some(at))) },
                },
            ]
        })
        .collect();
    let key_heads = [
        l.t("Key id", "Identifiant"),
        l.t("Public key", "Clé publique"),
        l.t("Registered", "Enregistrée"),
        l.t("State", "État"),
    ];
    let archive_rows: Vec<Vec<Markup>> = archives
        .iter()
        .map(|a| {
            let href = format!("/dashboard/shops/{code}/archives/{}", a.name);
            vec![
                html! { a href=(href) download { (a.name) } },
                html! { (a.period) },
                html! { (pages::count(l, a.bytes)) },
                html! { (pages::instant(Some(&a.received_at))) },
                html! {
                    @if a.verified { (badge(Badge::Ok, l.t("signature holds", "signature valide"))) }
                    @else { (badge(Badge::Bad, l.t("signature does not hold", "signature invalide"))) " " (a.detail) }
                },
            ]
        })
        .collect();
    let archive_heads = [
        l.t("File", "Fichier"),
        l.t("Period", "Période"),
        l.t("#Bytes", "#Octets"),
        l.t("Received", "Reçue"),
        l.t("Verification", "Vérification"),
    ];
    let body = html! {
        p { a href="/dashboard/shops" { (l.t("All shops", "Tous les magasins")) } }
        @if keys.is_empty() {
            p { (badge(Badge::Warn, l.t("unverified", "non vérifié"))) " "
                (l.t("HQ holds no public key for this shop yet: its records are stored without their signatures checked.",
                     "Le siège n'a encore aucune clé publique de ce magasin : ses enregistrements sont gardés sans vérifier leur signature.")) }
        }
        (search)
        (Table { id: "journal", caption: l.t("Technical journal (JET), by number", "Journal des événements techniques (JET), par numéro"), heads: &heads, csv: None }.rows(&rows))
        @if let Some(n) = next {
            p { a rel="next" href=(page_link(&code, &q, n)) { (l.t("Next entries", "Entrées suivantes")) } }
        }
        h2 { (l.t("Archives", "Archives")) }
        (Table { id: "archives", caption: l.t("Archives the shop uploaded, newest first", "Archives envoyées par le magasin, les plus récentes d'abord"), heads: &archive_heads, csv: None }.rows(&archive_rows))
        h2 { (l.t("Signing keys", "Clés de signature")) }
        (Table { id: "keys", caption: l.t("The shop's public keys at HQ", "Les clés publiques du magasin au siège"), heads: &key_heads, csv: None }.rows(&key_rows))
    };
    pages::page(&signed.frame("shops"), StatusCode::OK, &title, body)
}

/// An archive's file, for a signed-in admin.
pub async fn archive(State(hq): State<Hq>, signed: Signed, Path((code, name)): Path<(String, String)>) -> Response {
    match crate::api::fiscal::archive_file(&hq, &code, &name).await {
        Ok(r) => r,
        Err(e) => {
            let l = signed.lang;
            pages::page(&signed.frame("shops"), e.status(), l.t("Archives", "Archives"), super::alert(l, &e))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_words_of_details_are_shortened() {
        let hash = "a".repeat(64);
        let shown = super::shown_details(&format!("2026-11 /tmp/x/archives/LYON1-2026-11.jsonl sha256 {hash}"));
        assert_eq!(shown, "2026-11 …/LYON1-2026-11.jsonl sha256 aaaaaaaaaaaa…");
    }
}
