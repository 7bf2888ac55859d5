//! Stock levels (every article with movements, from the shop's ledger, `crate::stock`), an
//! adjustment form (a signed correction with its reason, like the API's
//! `POST /api/v1/stock/adjustments`) and a count form (what is on the shelf, like
//! `POST /api/v1/stock/counts`); both are movements that reach HQ through the outbox.
//! The shop's transfers and purchase orders are listed, read-only.

use super::session::{Signed, SignedForm, error_page};
use crate::error::ShopError;
use crate::shop::Shop;
use crate::stock::{self as ledger, NewAdjustment, NewCount};
use axum::extract::{Query, State};
use axum::response::Response;
use comptoir_core::Quantity;
use comptoir_http::web::Fields;
use comptoir_pages::{self as pages, Badge, Field, Form, Layout, Markup, Outcome, Table, Tr, badge, html};
use comptoir_protocol::stock::{OrderState, TransferState};

/// A quantity typed by a person: `2`, `-1.5`, `0,25`.
fn parse_qty(text: &str) -> Result<Quantity, ShopError> {
    text.trim().replace(',', ".").parse::<f64>().ok().and_then(Quantity::from_f64).ok_or_else(|| {
        ShopError::invalid(
            "bad_quantity",
            format!("qty: {text:?} is not a quantity; write a number such as -2 or 1.5 (negative takes away)."),
            format!(
                "qty : {text:?} n'est pas une quantité ; écrivez un nombre comme -2 ou 1,5 (négatif pour retirer)."
            ),
            Some("qty"),
        )
    })
}

#[derive(serde::Deserialize, Default)]
pub struct StockQuery {
    sku: Option<String>,
}

async fn render(shop: &Shop, signed: &Signed, sku: Option<String>, said: Outcome, sent: Option<&Fields>) -> Response {
    let l = signed.lang;
    let loaded =
        shop.store.read(|c| Ok((ledger::levels(c)?, ledger::list_transfers(c)?, ledger::list_orders(c)?))).await;
    let (levels, transfers, orders) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let transfer_rows: Vec<Vec<String>> = transfers
        .iter()
        .map(|t| {
            let state = match t.state {
                TransferState::InTransit => l.t("in transit", "en route"),
                TransferState::Received if t.differences => l.t("received, with differences", "reçu, avec écarts"),
                TransferState::Received => l.t("received", "reçu"),
            };
            vec![
                super::local_time(shop, Some(&t.sent_at)),
                t.from.clone(),
                t.to.clone(),
                t.lines
                    .iter()
                    .map(|x| format!("{} × {}", x.sku, pages::quantity(l, x.sent.milli())))
                    .collect::<Vec<_>>()
                    .join(", "),
                state.to_string(),
            ]
        })
        .collect();
    let order_rows: Vec<Vec<String>> = orders
        .iter()
        .map(|o| {
            let state = match o.state {
                OrderState::Open => l.t("open", "ouverte"),
                OrderState::PartlyReceived => l.t("partly received", "reçue en partie"),
                OrderState::Received => l.t("received", "reçue"),
            };
            vec![
                super::local_time(shop, Some(&o.created_at)),
                o.supplier.clone(),
                o.lines
                    .iter()
                    .map(|x| {
                        format!(
                            "{} {}/{}",
                            x.sku,
                            pages::quantity(l, x.received.milli()),
                            pages::quantity(l, x.ordered.milli())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                state.to_string(),
            ]
        })
        .collect();
    let rows: Vec<Vec<Markup>> = levels
        .iter()
        .map(|s| {
            vec![
                html! { a href=(format!("/admin/catalog/articles/{}", pages::url(&s.sku))) { (s.sku) } },
                html! {
                    (pages::quantity(l, s.quantity.milli()))
                    @if s.negative { " " (badge(Badge::Warn, l.t("negative", "négatif"))) }
                },
            ]
        })
        .collect();
    let heads = [l.t("SKU", "Référence"), l.t("#Quantity", "#Quantité")];
    let problem = said.problem_in("adjust");
    let value = |name: &str, default: &str| sent.map(|f| f.text(name)).unwrap_or_else(|| default.to_string());
    let (sku_v, qty_v, reason_v) = (value("sku", sku.as_deref().unwrap_or("")), value("qty", ""), value("reason", ""));
    let fields = html! {
        (Field::new(l.t("SKU or barcode", "Référence ou code-barres"), "sku").required().maxlength(32).value(&sku_v).problem(problem))
        (Field::new(l.t("Quantity (negative takes away)", "Quantité (négative pour retirer)"), "qty").required().decimal().value(&qty_v).problem(problem))
        (Field::new(l.t("Reason", "Motif"), "reason").maxlength(120).value(&reason_v).problem(problem))
    };
    let in_count = said.problem_in("count");
    let counted_v = sent.map(|f| f.text("counted")).unwrap_or_default();
    let count_fields = html! {
        (Field::new(l.t("SKU or barcode", "Référence ou code-barres"), "sku").required().maxlength(32).value(&sku_v).problem(in_count))
        (Field::new(l.t("Counted on the shelf", "Compté en rayon"), "counted").required().decimal().value(&counted_v).problem(in_count))
    };
    let body = html! {
        (said.banner())
        h2 id="adjust" { (l.t("Adjust a stock", "Ajuster un stock")) }
        (Form::post("/admin/stock", &signed.csrf, Layout::Stack).with(fields, l.t("Record the adjustment", "Enregistrer l'ajustement")))
        h2 id="count" { (l.t("Record a count", "Enregistrer un comptage")) }
        (Form::post("/admin/stock/count", &signed.csrf, Layout::Stack).with(count_fields, l.t("Record the count", "Enregistrer le comptage")))
        (Table { id: "stock", caption: l.t("Stock levels", "Niveaux de stock"), heads: &heads, csv: None }.rows(&rows))
        (pages::table("transfers", l.t("Transfers between shops", "Transferts entre magasins"),
            &[l.t("Sent", "Envoyé"), l.t("From", "De"), l.t("To", "À"), l.t("Lines", "Lignes"), l.t("State", "État")], &transfer_rows, None))
        (pages::table("orders", l.t("Purchase orders (received / ordered)", "Commandes (reçu / commandé)"),
            &[l.t("Made", "Faite"), l.t("Supplier", "Fournisseur"), l.t("Lines", "Lignes"), l.t("State", "État")], &order_rows, None))
        p { (l.t("Transfers are sent and received, and orders received, at the register screen or through the API.",
                 "Les transferts s'envoient et se reçoivent, et les commandes se réceptionnent, à l'écran de caisse ou par l'API.")) }
    };
    pages::page(&signed.frame("stock"), said.status(), l.t("Stock", "Stock"), body)
}

pub async fn levels(State(shop): State<Shop>, signed: Signed, Query(q): Query<StockQuery>) -> Response {
    render(&shop, &signed, q.sku, Outcome::Shown, None).await
}

pub async fn adjust(State(shop): State<Shop>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let result = async {
        let input = NewAdjustment {
            sku: form.text("sku"),
            qty: parse_qty(&form.text("qty"))?,
            reason: Some(form.text("reason")).filter(|r| !r.is_empty()),
        };
        let level = shop.store.write(move |tx| ledger::adjust(tx, input)).await?;
        // The movement waits in the outbox: wake the pusher, as the API does.
        shop.outbox_signal.notify_one();
        Ok::<_, ShopError>(level)
    }
    .await;
    let refused = result.is_err();
    let done = result.map(|s| {
        tracing::info!(sku = %s.sku, user = %signed.user.code, "stock adjusted from the back office");
        pages::notice(&format!("{} {}: {}", l.t("Stock of", "Stock de"), s.sku, pages::quantity(l, s.quantity.milli())))
    });
    render(&shop, &signed, None, Outcome::of(l, "adjust", done), refused.then_some(&form)).await
}

pub async fn count(State(shop): State<Shop>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let result = async {
        let counted = parse_qty(&form.text("counted")).map_err(|_| {
            ShopError::invalid(
                "bad_quantity",
                format!(
                    "counted: {:?} is not a quantity; write what is on the shelf, such as 12 or 2.5.",
                    form.text("counted")
                ),
                format!(
                    "counted : {:?} n'est pas une quantité ; écrivez ce qui est en rayon, par exemple 12 ou 2,5.",
                    form.text("counted")
                ),
                Some("counted"),
            )
        })?;
        let input = NewCount { sku: form.text("sku"), counted };
        let level = shop.store.write(move |tx| ledger::count(tx, input)).await?;
        shop.outbox_signal.notify_one();
        Ok::<_, ShopError>(level)
    }
    .await;
    let refused = result.is_err();
    let done = result.map(|s| {
        tracing::info!(sku = %s.sku, user = %signed.user.code, "stock counted from the back office");
        pages::notice(&format!("{} {}: {}", l.t("Stock of", "Stock de"), s.sku, pages::quantity(l, s.quantity.milli())))
    });
    render(&shop, &signed, None, Outcome::of(l, "count", done), refused.then_some(&form)).await
}
