//! Chain health: every shop with its online state, last contact, sync lag, unsent records,
//! version, chain verification state and quarantined records. A shop that is stalled or
//! whose chain is broken comes first, its row marked and labelled (not by colour alone).
//!
//! - *online*: a sync call within [`ONLINE_SECONDS`] (an online shop long-polls the feed,
//!   so it calls at least once a minute);
//! - *stalled*: enrolled, not revoked, and either silent for [`STALLED_SECONDS`] or with
//!   records waiting longer than that (`lag_seconds`).

use super::html::{self, Tr, esc};
use super::session::{Signed, error_page};
use crate::hq::Hq;
use crate::shops::ShopView;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use std::fmt::Write;

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
    let mut b = String::new();
    if troubled > 0 {
        let _ = write!(
            b,
            "<div class=\"alert\" role=\"alert\">{} {}</div>",
            troubled,
            l.t(
                "shop(s) need attention: stalled or broken chain.",
                "magasin(s) à surveiller : bloqué ou chaîne rompue."
            )
        );
    } else {
        b.push_str(&html::notice(l.t(
            "Every shop is in sync and every chain is intact.",
            "Tous les magasins sont synchronisés et toutes les chaînes sont intactes.",
        )));
    }
    let _ = write!(
        b,
        "<div class=\"scroll\"><table id=\"health\"><caption>{}</caption><thead><tr>",
        l.t("Shops", "Magasins")
    );
    for (h, num) in [
        (l.t("Shop", "Magasin"), false),
        (l.t("State", "État"), false),
        (l.t("Last contact", "Dernier contact"), false),
        (l.t("Sync lag", "Retard de synchro"), true),
        (l.t("Unsent", "Non envoyés"), true),
        (l.t("Version", "Version"), false),
        (l.t("Chain", "Chaîne"), false),
        (l.t("Quarantined", "En quarantaine"), true),
    ] {
        let class = if num { " class=\"num\"" } else { "" };
        let _ = write!(b, "<th scope=\"col\"{class}>{h}</th>");
    }
    b.push_str("</tr></thead><tbody>");
    for v in &views {
        let st = state_of(v, now);
        let bad = st.stalled || !v.chain_ok;
        let state = if v.revoked {
            format!("<span class=\"badge off\">{}</span>", l.t("revoked", "révoqué"))
        } else if !v.enrolled {
            format!("<span class=\"badge off\">{}</span>", l.t("not enrolled", "non inscrit"))
        } else if st.stalled {
            format!("<span class=\"badge bad\">{}</span>", l.t("stalled", "bloqué"))
        } else if st.online {
            format!("<span class=\"badge ok\">{}</span>", l.t("online", "en ligne"))
        } else {
            format!("<span class=\"badge warn\">{}</span>", l.t("offline", "hors ligne"))
        };
        let chain = if v.chain_ok {
            format!("<span class=\"badge ok\">{}</span>", l.t("verified", "vérifiée"))
        } else {
            format!("<span class=\"badge bad\">{}</span>", l.t("broken", "rompue"))
        };
        let lag = match v.lag_seconds {
            Some(s) => format!("{s} s"),
            None => "—".into(),
        };
        let _ = write!(
            b,
            "<tr{} data-shop=\"{}\"><th scope=\"row\">{} <small>{}</small></th><td>{state}</td><td>{}</td><td class=\"num\">{lag}</td><td class=\"num\">{}</td><td>{}</td><td>{chain}</td><td class=\"num\">{}</td></tr>",
            if bad { " class=\"bad\"" } else { "" },
            esc(&v.code),
            esc(&v.code),
            esc(&v.name),
            esc(&html::instant(v.last_contact.as_deref())),
            v.unsent.map(|u| u.to_string()).unwrap_or_else(|| "—".into()),
            esc(v.version.as_deref().unwrap_or("—")),
            v.quarantined
        );
    }
    if views.is_empty() {
        b.push_str("<tr><td colspan=\"8\" class=\"empty\">—</td></tr>");
    }
    b.push_str("</tbody></table></div>");
    let recent: Vec<Vec<String>> = events
        .iter()
        .rev()
        .take(50)
        .map(|e| {
            vec![
                esc(&html::instant(Some(&e.at))),
                esc(&e.shop),
                esc(&e.register),
                esc(e.chain.as_str()),
                esc(&e.kind),
                e.sequence.to_string(),
                esc(&e.detail),
            ]
        })
        .collect();
    let _ = write!(b, "<h2>{}</h2>", l.t("Chain events", "Événements de chaîne"));
    let heads = [
        l.t("When", "Quand"),
        l.t("Shop", "Magasin"),
        l.t("Register", "Caisse"),
        l.t("Chain", "Chaîne"),
        l.t("Event", "Événement"),
        "#N°",
        l.t("Detail", "Détail"),
    ];
    b.push_str(&html::table("chain-events", l.t("The 50 latest", "Les 50 derniers"), &heads, &recent, None));
    html::page(&signed.frame("health"), StatusCode::OK, l.t("Chain health", "Santé du réseau"), &b)
}
