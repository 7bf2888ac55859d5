//! Closures and readings, tickets: the list of closures (Z), a closure's detail, the X
//! reading of every register now, and the ticket search (business day, number, register)
//! with the ticket's receipt as printed (`crate::receipt`'s HTML).
//!
//! Everything here only reads: closures are made by the register screen, the API, the
//! CLI or automatically (`crate::closures`), never changed.

use super::session::{Signed, error_page};
use crate::closures as z;
use crate::error::ShopError;
use crate::receipt::{self, Copy};
use crate::sales::{self, TicketSearch};
use crate::shop::Shop;
use crate::staff;
use crate::till;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use comptoir_core::Lang;
use comptoir_core::closure::PeriodTotals;
use comptoir_pages::{self as pages, Choice, Field, Form, Markup, Select, Table, Tr, html};

const SHOWN: usize = 200;

fn kind_text(l: Lang, kind: &str) -> &'static str {
    match kind {
        "day" => l.t("Day", "Jour"),
        "month" => l.t("Month", "Mois"),
        "year" => l.t("Year", "Année"),
        _ => "—",
    }
}

fn method_text(l: Lang, method: &str) -> String {
    match method {
        "cash" => l.t("Cash", "Espèces"),
        "card" => l.t("Card", "Carte"),
        "cheque" => l.t("Cheque", "Chèque"),
        "voucher" => l.t("Voucher", "Avoir"),
        "loyalty" => l.t("Loyalty points", "Points de fidélité"),
        _ => l.t("Other", "Autre"),
    }
    .to_string()
}

/// The totals of a period: tickets, total, payments, VAT per rate.
fn totals(l: Lang, id: &str, t: &PeriodTotals) -> Markup {
    let facts = [
        (l.t("Tickets", "Tickets"), html! { (pages::count(l, t.ticket_count)) }),
        (l.t("First ticket", "Premier ticket"), html! { (t.first_number.as_deref().unwrap_or("—")) }),
        (l.t("Last ticket", "Dernier ticket"), html! { (t.last_number.as_deref().unwrap_or("—")) }),
        (l.t("Total incl. VAT", "Total TTC"), html! { (pages::money(l, t.total.cents())) }),
        (l.t("Absolute total", "Total absolu"), html! { (pages::money(l, t.absolute_total.cents())) }),
    ];
    let payments: Vec<Vec<String>> =
        t.payments.iter().map(|(m, a)| vec![method_text(l, m.as_str()), pages::money(l, a.cents())]).collect();
    let vat: Vec<Vec<String>> = t
        .vat
        .iter()
        .map(|(rate, v)| {
            vec![
                format!("{} %", rate.percent_text()),
                pages::money(l, v.net.cents()),
                pages::money(l, v.vat.cents()),
                pages::money(l, v.gross.cents()),
            ]
        })
        .collect();
    html! {
        (pages::facts(id, &facts))
        (pages::table(&format!("{id}-payments"), l.t("Payments", "Règlements"), &[l.t("Method", "Moyen"), l.t("#Amount", "#Montant")], &payments, None))
        (pages::table(&format!("{id}-vat"), l.t("VAT", "TVA"),
            &[l.t("Rate", "Taux"), l.t("#Excl. VAT", "#HT"), l.t("#VAT", "#TVA"), l.t("#Incl. VAT", "#TTC")], &vat, None))
    }
}

#[derive(serde::Deserialize, Default)]
pub struct RegisterQuery {
    register: Option<String>,
}

fn register_choices(l: Lang, registers: &[staff::Register], chosen: Option<&str>) -> Vec<Choice> {
    let mut out = vec![Choice { value: String::new(), text: l.t("All", "Toutes").into(), selected: chosen.is_none() }];
    out.extend(registers.iter().map(|r| Choice {
        value: r.code.clone(),
        text: format!("{} — {}", r.code, r.name),
        selected: chosen == Some(r.code.as_str()),
    }));
    out
}

pub async fn closures(State(shop): State<Shop>, signed: Signed, Query(q): Query<RegisterQuery>) -> Response {
    let l = signed.lang;
    let register = q.register.filter(|r| !r.is_empty());
    let chosen = register.clone();
    let loaded =
        shop.store.read(move |c| Ok((z::list_closures(c, chosen.as_deref())?, staff::list_registers(c)?))).await;
    let (mut list, registers) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    list.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    list.truncate(SHOWN);
    let rows: Vec<Vec<Markup>> = list
        .iter()
        .map(|c| {
            vec![
                html! { a href=(format!("/admin/closures/{}", c.id)) { (c.register) " #" (c.sequence) } },
                html! { (kind_text(l, c.kind.as_str())) },
                html! { (c.period) },
                html! { (pages::count(l, c.totals.ticket_count)) },
                html! { (pages::money(l, c.totals.total.cents())) },
                html! { (pages::money(l, c.grand_total.cents())) },
                html! { (super::local_time(&shop, Some(&c.created_at))) },
            ]
        })
        .collect();
    let heads = [
        l.t("Closure", "Clôture"),
        l.t("Kind", "Type"),
        l.t("Period", "Période"),
        l.t("#Tickets", "#Tickets"),
        l.t("#Total", "#Total"),
        l.t("#Grand total", "#Grand total"),
        l.t("Made", "Faite le"),
    ];
    let pick = Select::new(l.t("Register", "Caisse"), "register", register_choices(l, &registers, register.as_deref()));
    let body = html! {
        p {
            a href="/admin/x-reading" { (l.t("X reading now (every register)", "Lecture X maintenant (toutes les caisses)")) }
            " · "
            a href="/admin/sessions" { (l.t("Till sessions", "Sessions de caisse")) }
        }
        (Form::search("/admin/closures").with(html! { (pick) }, l.t("Show", "Afficher")))
        (Table { id: "closures", caption: l.t("Closures (Z), newest first", "Clôtures (Z), les plus récentes d'abord"), heads: &heads, csv: None }.rows(&rows))
    };
    pages::page(&signed.frame("closures"), StatusCode::OK, l.t("Closures", "Clôtures"), body)
}

pub async fn closure(State(shop): State<Shop>, signed: Signed, Path(id): Path<String>) -> Response {
    let l = signed.lang;
    let key = id.clone();
    let found = match shop.store.read(move |c| z::load_closure(c, &key)).await {
        Ok(c) => c,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let Some(c) = found else {
        let e = ShopError::NotFound { what: "closure", key: id, field: None };
        return pages::page(
            &signed.frame("closures"),
            StatusCode::NOT_FOUND,
            l.t("Closures", "Clôtures"),
            super::alert(l, &e),
        );
    };
    let facts = [
        (l.t("Register", "Caisse"), html! { (c.register) }),
        (l.t("Kind", "Type"), html! { (kind_text(l, c.kind.as_str())) }),
        (l.t("Period", "Période"), html! { (c.period) }),
        (l.t("Sequence", "Numéro d'ordre"), html! { (c.sequence) }),
        (l.t("Made", "Faite le"), html! { (super::local_time(&shop, Some(&c.created_at))) }),
        (l.t("Grand total", "Grand total"), html! { (pages::money(l, c.grand_total.cents())) }),
        (l.t("Fingerprint", "Empreinte"), html! { code { (c.hash) } }),
        (l.t("Signed", "Signée"), html! { (if c.signature.is_some() { l.t("yes", "oui") } else { l.t("no", "non") }) }),
    ];
    let title = format!("Z {} {} · {}", kind_text(l, c.kind.as_str()), c.period, c.register);
    let body = html! {
        (pages::facts("closure", &facts))
        h2 { (l.t("Totals", "Totaux")) }
        (totals(l, "closure-totals", &c.totals))
        p { a href=(format!("/admin/tickets?register={}&date={}", pages::url(&c.register), if c.period.len() == 10 { c.period.as_str() } else { "" })) {
            (l.t("Tickets of this register", "Tickets de cette caisse"))
        } }
    };
    pages::page(&signed.frame("closures"), StatusCode::OK, &title, body)
}

pub async fn x_reading(State(shop): State<Shop>, signed: Signed) -> Response {
    let l = signed.lang;
    let (at, today) = shop.stamp();
    let loaded = shop
        .store
        .read(move |c| {
            let mut out = Vec::new();
            for r in staff::list_registers(c)?.into_iter().filter(|r| r.active) {
                out.push((till::x_reading(c, &r.code, &at, &today)?, r));
            }
            Ok(out)
        })
        .await;
    let readings = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let body = html! {
        p { (l.t(
            "The X reading shows each register's totals since its last day closure; it changes nothing.",
            "La lecture X montre les totaux de chaque caisse depuis sa dernière clôture du jour ; elle ne modifie rien."
        )) }
        @if readings.is_empty() { p { (l.t("No active register.", "Aucune caisse active.")) } }
        @for (x, r) in &readings {
            section aria-labelledby=(format!("x-{}", r.code)) {
                h2 id=(format!("x-{}", r.code)) { (r.code) " — " (r.name) }
                (totals(l, &format!("x-{}-totals", r.code), &x.totals))
                @if let Some(cash) = x.expected_cash {
                    p { (l.t("Cash the drawer should hold now:", "Espèces que le tiroir doit contenir :")) " " strong { (pages::money(l, cash.cents())) } }
                } @else {
                    p { (l.t("No open till session.", "Pas de session de caisse ouverte.")) }
                }
            }
        }
    };
    pages::page(&signed.frame("closures"), StatusCode::OK, l.t("X reading", "Lecture X"), body)
}

#[derive(serde::Deserialize, Default)]
pub struct TicketQuery {
    date: Option<String>,
    number: Option<String>,
    register: Option<String>,
}

fn bad_date(text: &str) -> ShopError {
    ShopError::invalid(
        "bad_date",
        format!("date: {text:?} is not a day; write it as 2026-03-14."),
        format!("date : {text:?} n'est pas une date ; écrivez-la 2026-03-14."),
        Some("date"),
    )
}

pub async fn tickets(State(shop): State<Shop>, signed: Signed, Query(q): Query<TicketQuery>) -> Response {
    let l = signed.lang;
    let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let search = TicketSearch { date: clean(q.date), register: clean(q.register), number: clean(q.number) };
    let refused = search.date.as_deref().filter(|d| d.parse::<jiff::civil::Date>().is_err()).map(bad_date);
    let problem = refused.as_ref().map(|e| pages::Problem::of(l, e));
    let wanted = search.clone();
    let valid = refused.is_none();
    let loaded = shop
        .store
        .read(move |c| {
            let found = if valid { sales::search_tickets(c, &wanted, SHOWN)? } else { Vec::new() };
            Ok((found, staff::list_registers(c)?))
        })
        .await;
    let (found, registers) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let rows: Vec<Vec<Markup>> = found
        .iter()
        .map(|t| {
            vec![
                html! { a href=(format!("/admin/tickets/{}", pages::url(&t.number))) { (t.number) } },
                html! { (t.business_date) },
                html! { (t.register) },
                html! { (t.cashier) },
                html! { (if t.kind.as_str() == "return" { l.t("Return", "Retour") } else { l.t("Sale", "Vente") }) },
                html! { (pages::money(l, t.total.cents())) },
            ]
        })
        .collect();
    let heads = [
        l.t("Number", "Numéro"),
        l.t("Business day", "Journée"),
        l.t("Register", "Caisse"),
        l.t("Cashier", "Caissier"),
        l.t("Kind", "Type"),
        l.t("#Total", "#Total"),
    ];
    let fields = html! {
        (Field::new(l.t("Business day", "Journée"), "date").kind("date").value(search.date.as_deref().unwrap_or("")).problem(problem.as_ref()))
        (Field::new(l.t("Number contains", "Le numéro contient"), "number").kind("search").value(search.number.as_deref().unwrap_or("")))
        (Select::new(l.t("Register", "Caisse"), "register", register_choices(l, &registers, search.register.as_deref())))
    };
    let body = html! {
        @if let Some(p) = &problem { (pages::alert(p)) }
        (Form::search("/admin/tickets").with(fields, l.t("Search", "Rechercher")))
        (Table { id: "tickets", caption: l.t("Tickets, newest first", "Tickets, les plus récents d'abord"), heads: &heads, csv: None }.rows(&rows))
    };
    let status = problem.as_ref().map(|p| p.status).unwrap_or(StatusCode::OK);
    pages::page(&signed.frame("tickets"), status, l.t("Tickets", "Tickets"), body)
}

pub async fn ticket(State(shop): State<Shop>, signed: Signed, Path(key): Path<String>) -> Response {
    let l = signed.lang;
    let (name, tz) = (shop.name.clone(), shop.timezone().clone());
    let k = key.clone();
    let loaded = shop
        .store
        .read(move |c| {
            let Some(t) = sales::find_ticket(c, &k)? else { return Ok(None) };
            let printed = crate::printing::print_count(c, &t.id.to_string())?;
            // The receipt as last printed (a view never makes a print).
            let copy = Copy::from_number(printed.saturating_sub(1));
            Ok(Some((t.clone(), receipt::build(receipt::load(c, t, &name, tz, copy, None)?))))
        })
        .await;
    let (t, r) = match loaded {
        Ok(Some(x)) => x,
        Ok(None) => {
            let e = ShopError::NotFound { what: "ticket", key, field: None };
            return pages::page(
                &signed.frame("tickets"),
                StatusCode::NOT_FOUND,
                l.t("Tickets", "Tickets"),
                super::alert(l, &e),
            );
        }
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let facts = [
        (l.t("Business day", "Journée"), html! { (t.business_date) }),
        (l.t("Register", "Caisse"), html! { (t.register) }),
        (l.t("Cashier", "Caissier"), html! { (t.cashier) }),
        (l.t("Committed", "Enregistré"), html! { (super::local_time(&shop, Some(&t.created_at))) }),
        (l.t("Total", "Total"), html! { (pages::money(l, t.total.cents())) }),
        (
            l.t("VAT rates", "Taux de TVA"),
            html! {
                (t.vat.iter().map(|v| format!("{} %", v.rate_bp.percent_text())).collect::<Vec<_>>().join(", "))
            },
        ),
    ];
    let body = html! {
        (pages::facts("ticket", &facts))
        h2 { (l.t("Receipt", "Ticket de caisse")) }
        div.receipt-paper lang="fr" { (receipt::html::body(&r)) }
        p { a href=(format!("/admin/tickets?register={}&date={}", pages::url(&t.register), pages::url(&t.business_date))) {
            (l.t("Other tickets of this day and register", "Autres tickets de cette journée et de cette caisse"))
        } }
    };
    pages::page(&signed.frame("tickets"), StatusCode::OK, &format!("{} {}", l.t("Ticket", "Ticket"), t.number), body)
}

/// The till sessions of every register, newest first: float, who opened and closed, the
/// cash counted against the cash expected.
pub async fn sessions(State(shop): State<Shop>, signed: Signed) -> Response {
    let l = signed.lang;
    let loaded = shop
        .store
        .read(|c| {
            let mut out = Vec::new();
            for r in staff::list_registers(c)? {
                out.extend(till::sessions(c, &r.code, 20)?);
            }
            Ok(out)
        })
        .await;
    let mut list = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    list.sort_by(|a, b| b.opened_at.cmp(&a.opened_at));
    let money = |m: Option<comptoir_core::Money>| m.map(|m| pages::money(l, m.cents())).unwrap_or_else(|| "—".into());
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            vec![
                s.register.clone(),
                s.business_date.clone(),
                format!("{} {}", super::local_time(&shop, Some(&s.opened_at)), s.opened_by),
                pages::money(l, s.float.cents()),
                match (&s.closed_at, &s.closed_by) {
                    (Some(at), Some(by)) => format!("{} {by}", super::local_time(&shop, Some(at))),
                    _ => l.t("open", "ouverte").to_string(),
                },
                money(s.expected),
                money(s.counted),
                money(s.difference),
            ]
        })
        .collect();
    let heads = [
        l.t("Register", "Caisse"),
        l.t("Business day", "Journée"),
        l.t("Opened", "Ouverte"),
        l.t("#Float", "#Fond de caisse"),
        l.t("Closed", "Fermée"),
        l.t("#Expected", "#Attendu"),
        l.t("#Counted", "#Compté"),
        l.t("#Difference", "#Écart"),
    ];
    let body = pages::table(
        "sessions",
        l.t("Till sessions, newest first", "Sessions de caisse, les plus récentes d'abord"),
        &heads,
        &rows,
        None,
    );
    pages::page(&signed.frame("closures"), StatusCode::OK, l.t("Till sessions", "Sessions de caisse"), body)
}
