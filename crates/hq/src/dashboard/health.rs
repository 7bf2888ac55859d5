//! Chain health: every shop with its online state, last contact, sync lag, unsent records,
//! version, chain verification state and quarantined records. A shop that is stalled or
//! whose chain is broken comes first, its row marked and labelled (not by colour alone).
//!
//! - *online*: a sync call within [`ONLINE_SECONDS`] (an online shop long-polls the feed,
//!   so it calls at least once a minute);
//! - *stalled*: enrolled, not revoked, and either silent for [`STALLED_SECONDS`] or with
//!   records waiting longer than that (`lag_seconds`).

use super::session::{Signed, error_page};
use crate::hq::Hq;
use crate::shops::ShopView;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use comptoir_pages::{self as pages, Badge, Table, Tr, badge, html};

pub const ONLINE_SECONDS: i64 = 120;
pub const STALLED_SECONDS: i64 = 900;

/// Seconds since an instant as stored.
pub fn age(text: Option<&str>, now: jiff::Timestamp) -> Option<i64> {
    let t: jiff::Timestamp = text?.parse().ok()?;
    Some(now.duration_since(t).as_secs())
}

pub struct State3 {
    pub online: bool,
    pub stalled: bool,
}

pub fn state_of(s: &ShopView, now: jiff::Timestamp) -> State3 {
    let silent = age(s.last_contact.as_deref(), now);
    let online = silent.is_some_and(|a| a <= ONLINE_SECONDS);
    let active = s.enrolled && !s.revoked;
    let stalled =
        active && (silent.is_none_or(|a| a > STALLED_SECONDS) || s.lag_seconds.is_some_and(|l| l > STALLED_SECONDS));
    State3 { online, stalled }
}

pub async fn page(State(hq): State<Hq>, signed: Signed) -> Response {
    let l = signed.lang;
    let now = jiff::Timestamp::now();
    let (shops, events) = match tokio::try_join!(hq.storage.list_shops(), hq.storage.chain_events(None)) {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let mut views: Vec<ShopView> = shops.into_iter().map(|s| ShopView::of(s, now)).collect();
    // Trouble first, then by code.
    views.sort_by_key(|v| {
        let st = state_of(v, now);
        (!st.stalled && v.chain_ok, v.code.clone())
    });
    let troubled = views.iter().filter(|v| state_of(v, now).stalled || !v.chain_ok).count();
    let banner = if troubled > 0 {
        pages::alert_text(&format!(
            "{troubled} {}",
            l.t(
                "shop(s) need attention: stalled or broken chain.",
                "magasin(s) à surveiller : bloqué ou chaîne rompue."
            )
        ))
    } else {
        pages::notice(l.t(
            "Every shop is in sync and every chain is intact.",
            "Tous les magasins sont synchronisés et toutes les chaînes sont intactes.",
        ))
    };
    let heads = [
        l.t("Shop", "Magasin"),
        l.t("State", "État"),
        l.t("Last contact", "Dernier contact"),
        l.t("#Sync lag", "#Retard de synchro"),
        l.t("#Unsent", "#Non envoyés"),
        l.t("Version", "Version"),
        l.t("Chain", "Chaîne"),
        l.t("#Quarantined", "#En quarantaine"),
    ];
    // Each row is headed by its shop and marked (class and data attribute) when in trouble.
    let rows = html! {
        @for v in &views {
            @let st = state_of(v, now);
            tr class=[(st.stalled || !v.chain_ok).then_some("bad")] data-shop=(v.code) {
                th scope="row" { (v.code) " " small { (v.name) } }
                td { (if v.revoked {
                    badge(Badge::Off, l.t("revoked", "révoqué"))
                } else if !v.enrolled {
                    badge(Badge::Off, l.t("not enrolled", "non inscrit"))
                } else if st.stalled {
                    badge(Badge::Bad, l.t("stalled", "bloqué"))
                } else if st.online {
                    badge(Badge::Ok, l.t("online", "en ligne"))
                } else {
                    badge(Badge::Warn, l.t("offline", "hors ligne"))
                }) }
                td { (pages::instant(v.last_contact.as_deref())) }
                td.num { @match v.lag_seconds { Some(s) => { (s) " s" } None => { "—" } } }
                td.num { @match v.unsent { Some(u) => { (u) } None => { "—" } } }
                td { (v.version.as_deref().unwrap_or("—")) }
                td { (if v.chain_ok { badge(Badge::Ok, l.t("verified", "vérifiée")) } else { badge(Badge::Bad, l.t("broken", "rompue")) }) }
                td.num { (v.quarantined) }
            }
        }
    };
    let shops = Table { id: "health", caption: l.t("Shops", "Magasins"), heads: &heads, csv: None };
    let recent: Vec<Vec<String>> = events
        .iter()
        .rev()
        .take(50)
        .map(|e| {
            vec![
                pages::instant(Some(&e.at)),
                e.shop.clone(),
                e.register.clone(),
                e.chain.as_str().to_string(),
                e.kind.clone(),
                e.sequence.to_string(),
                e.detail.clone(),
            ]
        })
        .collect();
    let event_heads = [
        l.t("When", "Quand"),
        l.t("Shop", "Magasin"),
        l.t("Register", "Caisse"),
        l.t("Chain", "Chaîne"),
        l.t("Event", "Événement"),
        "#N°",
        l.t("Detail", "Détail"),
    ];
    let body = html! {
        (banner)
        (shops.body(rows, views.is_empty()))
        h2 { (l.t("Chain events", "Événements de chaîne")) }
        (pages::table("chain-events", l.t("The 50 latest", "Les 50 derniers"), &event_heads, &recent, None))
    };
    pages::page(&signed.frame("health"), StatusCode::OK, l.t("Chain health", "Santé du réseau"), body)
}
