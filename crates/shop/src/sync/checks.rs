//! Start-up checks (seed 002): local database, HQ defined, HQ address, HQ reachable, same
//! HQ as at enrolment. A failed check is reported with what to do; the shop sells anyway.

use super::client::{HqClient, normalise_url};
use super::link;
use crate::error::ShopError;
use crate::shop::Shop;
use comptoir_core::Lang;
use serde::Serialize;
use std::time::Duration;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub message: String,
}

fn check(name: &'static str, ok: bool, message: String) -> Check {
    Check { name, ok, message }
}

/// Runs every check in order; later HQ checks are skipped (not run) once one fails.
pub async fn run(shop: &Shop, lang: Lang) -> Vec<Check> {
    let mut out = Vec::new();
    let db = shop
        .store
        .read(|c| Ok(c.query_row("SELECT code FROM shop WHERE id = 1", [], |r| r.get::<_, String>(0))?))
        .await;
    match db {
        Ok(code) => out.push(check(
            "local_database",
            true,
            lang.pick(
                format!("Local database of shop {code} is readable."),
                format!("La base locale de la boutique {code} est lisible."),
            ),
        )),
        Err(e) => {
            out.push(check("local_database", false, e.message(lang)));
            return out;
        }
    }
    let link = match shop.store.read(link::hq_link).await {
        Ok(Some(l)) => {
            out.push(check(
                "hq_defined",
                true,
                lang.pick(format!("HQ: {}.", l.hq_name), format!("Siège : {}.", l.hq_name)),
            ));
            l
        }
        Ok(None) => {
            out.push(check("hq_defined", false, ShopError::NotEnrolled.message(lang)));
            return out;
        }
        Err(e) => {
            out.push(check("hq_defined", false, e.message(lang)));
            return out;
        }
    };
    if let Err(e) = normalise_url(&link.url) {
        out.push(check("hq_address", false, e.message(lang)));
        return out;
    }
    out.push(check(
        "hq_address",
        true,
        lang.pick(format!("HQ address: {}.", link.url), format!("Adresse du siège : {}.", link.url)),
    ));

    let ping = Duration::from_secs(shop.config.sync.ping_timeout_seconds.max(1));
    let hello = match HqClient::with_config(&link.url, Some(link.credential.clone()), ping, &shop.config.sync) {
        Ok(client) => client.hello(ping).await,
        Err(e) => Err(e),
    };
    let hello = match hello {
        Ok(h) => {
            out.push(check(
                "hq_reachable",
                true,
                lang.pick(
                    format!("HQ answers (version {}).", h.version),
                    format!("Le siège répond (version {}).", h.version),
                ),
            ));
            h
        }
        Err(ShopError::HqRefused { status: 401, .. }) => {
            out.push(check(
                "hq_reachable",
                false,
                lang.pick(
                    "HQ answers but refuses this shop's credential (the shop was revoked?): ask HQ for a new enrolment token (comptoir hq shop token CODE) and enrol again.".into(),
                    "Le siège répond mais refuse l'identifiant de la boutique (boutique révoquée ?) : demandez au siège un nouveau jeton (comptoir hq shop token CODE) et réinscrivez-la.".into(),
                ),
            ));
            return out;
        }
        Err(e) => {
            out.push(check("hq_reachable", false, e.message(lang)));
            return out;
        }
    };
    let same = hello.hq.id == link.hq_id;
    out.push(check(
        "same_hq",
        same,
        if same {
            lang.pick("HQ is the one this shop enrolled with.".into(), "Le siège est bien celui de l'inscription.".into())
        } else {
            lang.pick(
                format!("The server at {} is HQ {} ({}), not the HQ this shop enrolled with ({}): fix the address, or enrol again if the chain moved to a new HQ.", link.url, hello.hq.name, hello.hq.id, link.hq_id),
                format!("Le serveur {} est le siège {} ({}), pas celui de l'inscription ({}) : corrigez l'adresse, ou réinscrivez la boutique si la chaîne a changé de siège.", link.url, hello.hq.name, hello.hq.id, link.hq_id),
            )
        },
    ));
    out
}
