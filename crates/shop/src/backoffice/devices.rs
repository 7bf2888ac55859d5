//! Devices: the shop's printers and card terminals, through `crate::printing` and
//! `crate::terminal` as the API's `printers` and `terminals` routes do (docs/peripherals.md).
//!
//! - Printers: the list with each one's queue (jobs waiting, the error that holds the first
//!   one), a new printer (code, name, kind, address) and a printer's form (name, address,
//!   active; its kind is fixed at creation, as the API's `PATCH` has it). A bad address is
//!   the service's refusal, next to the address field.
//! - Card terminals: the list, a new terminal (code, name, kind, address, timeout) and a
//!   terminal's form (name, address, timeout, active).
//!
//! In a chain shop whose "accept HQ printer updates" is on (`/admin/sync`), a printer HQ
//! sent is HQ's: HQ's next change replaces one made here, so it is shown read-only with a
//! note saying so, and its form is refused (an old page).

use super::session::{Signed, SignedForm, error_page};
use crate::error::ShopError;
use crate::printing::{self, NewPrinter, PrinterChange, PrinterStatus};
use crate::shop::Shop;
use crate::terminal::{self, NewTerminal, Terminal, TerminalChange};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use comptoir_core::Lang;
use comptoir_http::web::Fields;
use comptoir_pages::{
    self as pages, Badge, Check, Choice, Field, Form, Layout, Markup, Outcome, Select, Table, Tr, badge, html,
};
use comptoir_protocol::stock::Printer;
use rusqlite::Connection;

const KINDS: [&str; 3] = ["receipt", "label", "kitchen"];
const TERMINAL_KINDS: [&str; 1] = ["caisse-ap-ip"];

fn kind_text(l: Lang, kind: &str) -> String {
    match kind {
        "receipt" => l.t("receipts", "tickets").into(),
        "label" => l.t("labels", "étiquettes").into(),
        "kitchen" => l.t("kitchen", "cuisine").into(),
        "caisse-ap-ip" => "Caisse-AP (IP)".into(),
        other => other.into(),
    }
}

fn kind_choices(l: Lang, kinds: &[&str], chosen: &str) -> Vec<Choice> {
    kinds.iter().map(|k| Choice { value: (*k).into(), text: kind_text(l, k), selected: *k == chosen }).collect()
}

fn active_badge(l: Lang, active: bool) -> Markup {
    if active { badge(Badge::Ok, l.t("active", "actif")) } else { badge(Badge::Off, l.t("deactivated", "désactivé")) }
}

/// A printer's queue as the manager reads it: ready or not, what waits, why it is held.
fn queue(l: Lang, s: &PrinterStatus) -> Markup {
    let waiting = match s.waiting {
        0 => l.t("nothing waiting", "rien en attente").to_string(),
        1 => l.t("1 job waiting", "1 impression en attente").to_string(),
        n => format!("{n} {}", l.t("jobs waiting", "impressions en attente")),
    };
    html! {
        @if s.online { (badge(Badge::Ok, l.t("ready", "prête"))) } @else { (badge(Badge::Bad, l.t("offline", "hors ligne"))) }
        " " (waiting)
        @if let Some(e) = &s.last_error { br; span.error { (l.t("last error: ", "dernière erreur : ")) (e) } }
    }
}

/// A printer as listed: its definition, its queue, and whether HQ changes it here.
struct Listed {
    printer: Printer,
    status: PrinterStatus,
    hq: bool,
}

/// What the devices' pages read.
struct Loaded {
    printers: Vec<Listed>,
    terminals: Vec<Terminal>,
}

/// Whether HQ's changes to the printers it sent reach this shop: enrolled and "accept HQ
/// printer updates" on.
fn hq_changes_printers(c: &Connection) -> Result<bool, ShopError> {
    Ok(crate::sync::link::hq_link(c)?.is_some() && crate::people::settings(c)?.accept_hq_printers)
}

fn load(c: &Connection) -> Result<Loaded, ShopError> {
    let from_hq = hq_changes_printers(c)?;
    let mut printers = Vec::new();
    for printer in crate::people::printers(c)? {
        let status = printing::status(c, &printer.code)?;
        let hq = from_hq && printing::sent_by_hq(c, &printer.code)?;
        printers.push(Listed { printer, status, hq });
    }
    Ok(Loaded { printers, terminals: terminal::list_terminals(c)? })
}

fn hq_printer_note(l: Lang) -> Markup {
    html! {
        p.notice.hq-owned role="note" {
            (l.t("Printers marked HQ are defined at HQ: HQ's changes replace those made here, so they are shown read-only. ",
                 "Les imprimantes marquées Siège sont définies au siège : ses modifications remplacent celles faites ici, elles sont donc affichées en lecture seule. "))
            a href="/admin/sync" { (l.t("What the shop takes from HQ", "Ce que la boutique prend du siège")) }
        }
    }
}

fn hq_badge(l: Lang) -> Markup {
    badge(Badge::Warn, l.t("HQ", "Siège"))
}

/// The printers and terminals, and the two creation forms (`sent`: what a refused form held).
async fn render(shop: &Shop, signed: &Signed, said: Outcome, sent: Option<&Fields>) -> Response {
    let l = signed.lang;
    let loaded = match shop.store.read(load).await {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let printer_rows: Vec<Vec<Markup>> = loaded
        .printers
        .iter()
        .map(|x| {
            let p = &x.printer;
            vec![
                html! {
                    a href=(format!("/admin/devices/printers/{}", pages::url(&p.code))) { (p.code) }
                    @if x.hq { " " (hq_badge(l)) }
                },
                html! { (p.name) },
                html! { (kind_text(l, &p.kind)) },
                html! { code { (p.address) } },
                active_badge(l, p.active),
                queue(l, &x.status),
            ]
        })
        .collect();
    let printer_heads = [
        l.t("Code", "Code"),
        l.t("Name", "Nom"),
        l.t("Kind", "Type"),
        l.t("Address", "Adresse"),
        l.t("State", "État"),
        l.t("Queue", "File d'attente"),
    ];
    let terminal_rows: Vec<Vec<Markup>> = loaded
        .terminals
        .iter()
        .map(|t| {
            vec![
                html! { a href=(format!("/admin/devices/terminals/{}", pages::url(&t.code))) { (t.code) } },
                html! { (t.name) },
                html! { (kind_text(l, &t.kind)) },
                html! { code { (t.address) } },
                html! { (t.timeout_seconds) " s" },
                active_badge(l, t.active),
            ]
        })
        .collect();
    let terminal_heads = [
        l.t("Code", "Code"),
        l.t("Name", "Nom"),
        l.t("Kind", "Type"),
        l.t("Address", "Adresse"),
        l.t("Timeout", "Délai"),
        l.t("State", "État"),
    ];
    // What a refused form held, kept in that form only.
    let kept = |form: &str, name: &str, default: &str| match (said.problem_in(form), sent) {
        (Some(_), Some(f)) => f.text(name),
        _ => default.to_string(),
    };
    let (printer_problem, terminal_problem) = (said.problem_in("printer"), said.problem_in("terminal"));
    let (p_code, p_name, p_kind, p_address) = (
        kept("printer", "code", ""),
        kept("printer", "name", ""),
        kept("printer", "kind", "receipt"),
        kept("printer", "address", ""),
    );
    let (t_code, t_name, t_address, t_timeout) = (
        kept("terminal", "code", ""),
        kept("terminal", "name", ""),
        kept("terminal", "address", ""),
        kept("terminal", "timeout_seconds", "120"),
    );
    let body = html! {
        (said.banner())
        @if loaded.printers.iter().any(|x| x.hq) { (hq_printer_note(l)) }
        (Table { id: "printers", caption: l.t("Printers", "Imprimantes"), heads: &printer_heads, csv: None }.rows(&printer_rows))
        h2 id="new-printer" { (l.t("New printer", "Nouvelle imprimante")) }
        (Form::post("/admin/devices/printers", &signed.csrf, Layout::Stack).with(html! {
            (Field::new(l.t("Code", "Code"), "code").required().maxlength(32).value(&p_code).problem(printer_problem))
            (Field::new(l.t("Name", "Nom"), "name").required().maxlength(120).value(&p_name).problem(printer_problem))
            (Select::new(l.t("Kind", "Type"), "kind", kind_choices(l, &KINDS, &p_kind)).problem(printer_problem))
            (Field::new(l.t("Address (tcp://HOST:9100, file:/dev/usb/lp0 or browser)",
                            "Adresse (tcp://HÔTE:9100, file:/dev/usb/lp0 ou browser)"), "address")
                .required().maxlength(300).value(&p_address).problem(printer_problem))
        }, l.t("Create", "Créer")))
        (Table { id: "terminals", caption: l.t("Card terminals", "Terminaux de paiement"), heads: &terminal_heads, csv: None }.rows(&terminal_rows))
        h2 id="new-terminal" { (l.t("New card terminal", "Nouveau terminal de paiement")) }
        (Form::post("/admin/devices/terminals", &signed.csrf, Layout::Stack).with(html! {
            (Field::new(l.t("Code", "Code"), "code").required().maxlength(32).value(&t_code).problem(terminal_problem))
            (Field::new(l.t("Name", "Nom"), "name").required().maxlength(120).value(&t_name).problem(terminal_problem))
            (Select::new(l.t("Kind", "Type"), "kind", kind_choices(l, &TERMINAL_KINDS, "caisse-ap-ip")).problem(terminal_problem))
            (Field::new(l.t("Address (tcp://HOST:PORT)", "Adresse (tcp://HÔTE:PORT)"), "address")
                .required().maxlength(300).value(&t_address).problem(terminal_problem))
            (Field::new(l.t("Timeout (seconds, 1 to 600)", "Délai (secondes, de 1 à 600)"), "timeout_seconds")
                .required().maxlength(3).value(&t_timeout).problem(terminal_problem))
        }, l.t("Create", "Créer")))
        p { a href="/admin/registers" { (l.t("Each register's printer and terminal are chosen on the registers' page.",
                                             "L'imprimante et le terminal de chaque caisse se choisissent sur la page des caisses.")) } }
    };
    pages::page(&signed.frame("devices"), said.status(), l.t("Devices", "Appareils"), body)
}

pub async fn page(State(shop): State<Shop>, signed: Signed) -> Response {
    render(&shop, &signed, Outcome::Shown, None).await
}

/// A number typed in a form; what is no number is sent as 0, which the service refuses
/// with its own words (`invalid_timeout`: "from 1 to 600").
fn seconds(form: &Fields, name: &str) -> Option<u32> {
    let text = form.text(name);
    let text = text.trim();
    (!text.is_empty()).then(|| text.parse().unwrap_or(0))
}

pub async fn create_printer(State(shop): State<Shop>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let input = NewPrinter {
        code: form.text("code"),
        name: form.text("name"),
        kind: form.text("kind"),
        address: form.text("address"),
    };
    let me = shop.code.clone();
    let result = shop.store.write(move |tx| printing::create_printer(tx, &me, input)).await;
    let refused = result.is_err();
    let done = result.map(|p| {
        tracing::info!(printer = %p.code, user = %signed.user.code, "printer defined from the back office");
        pages::notice(&format!("{} {} {}", l.t("Printer created:", "Imprimante créée :"), p.code, p.name))
    });
    render(&shop, &signed, Outcome::of(l, "printer", done), refused.then_some(&form)).await
}

pub async fn create_terminal(State(shop): State<Shop>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let name = form.text("name");
    let input = NewTerminal {
        code: form.text("code"),
        name: (!name.trim().is_empty()).then_some(name),
        kind: form.text("kind"),
        address: form.text("address"),
        timeout_seconds: seconds(&form, "timeout_seconds"),
    };
    let result = shop.store.write(move |tx| terminal::create_terminal(tx, input)).await;
    let refused = result.is_err();
    let done = result.map(|t| {
        tracing::info!(terminal = %t.code, user = %signed.user.code, "card terminal defined from the back office");
        pages::notice(&format!("{} {} {}", l.t("Card terminal created:", "Terminal créé :"), t.code, t.name))
    });
    render(&shop, &signed, Outcome::of(l, "terminal", done), refused.then_some(&form)).await
}

fn not_found_page(signed: &Signed, what: &'static str, code: &str) -> Response {
    let l = signed.lang;
    let e = ShopError::NotFound { what, key: code.into(), field: None };
    pages::page(&signed.frame("devices"), StatusCode::NOT_FOUND, l.t("Devices", "Appareils"), super::alert(l, &e))
}

fn back(l: Lang) -> Markup {
    html! { p { a href="/admin/devices" { (l.t("Back to the devices", "Retour aux appareils")) } } }
}

async fn render_printer(shop: &Shop, signed: &Signed, code: &str, said: Outcome, sent: Option<&Fields>) -> Response {
    let l = signed.lang;
    let key = code.to_string();
    let loaded = shop
        .store
        .read(move |c| {
            let Some(printer) = printing::get_printer(c, &key)? else { return Ok(None) };
            let status = printing::status(c, &key)?;
            let hq = hq_changes_printers(c)? && printing::sent_by_hq(c, &key)?;
            Ok(Some(Listed { printer, status, hq }))
        })
        .await;
    let x = match loaded {
        Ok(Some(x)) => x,
        Ok(None) => return not_found_page(signed, "printer", code),
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let p = &x.printer;
    let problem = said.problem_in("printer-edit");
    let facts = [
        (l.t("Code", "Code"), html! { (p.code) @if x.hq { " " (hq_badge(l)) } }),
        (l.t("Name", "Nom"), html! { (p.name) }),
        (l.t("Kind", "Type"), html! { (kind_text(l, &p.kind)) }),
        (l.t("Address", "Adresse"), html! { code { (p.address) } }),
        (l.t("State", "État"), active_badge(l, p.active)),
        (l.t("Queue", "File d'attente"), queue(l, &x.status)),
    ];
    let path = format!("/admin/devices/printers/{}", pages::url(&p.code));
    // A refused form shows what was typed.
    let typed = |name: &str, own: &str| sent.map(|f| f.text(name)).unwrap_or_else(|| own.to_string());
    let (name_v, address_v) = (typed("name", &p.name), typed("address", &p.address));
    let active_v = sent.map_or(p.active, |f| f.checked("active"));
    let body = html! {
        (said.banner())
        @if x.hq { (hq_printer_note(l)) }
        (pages::facts("printer", &facts))
        @if !x.hq {
            h2 id="edit-printer" { (l.t("Change", "Modifier")) }
            (Form::post(&path, &signed.csrf, Layout::Stack).with(html! {
                (Field::new(l.t("Name", "Nom"), "name").required().maxlength(120).value(&name_v).problem(problem))
                (Field::new(l.t("Address (tcp://HOST:9100, file:/dev/usb/lp0 or browser)",
                                "Adresse (tcp://HÔTE:9100, file:/dev/usb/lp0 ou browser)"), "address")
                    .required().maxlength(300).value(&address_v).problem(problem))
                (Check { label: l.t("Active", "Active"), name: "active", value: None, checked: active_v })
            }, l.t("Save", "Enregistrer")))
            p { (l.t("A printer's kind is set when it is created.", "Le type d'une imprimante se choisit à sa création.")) }
        }
        (back(l))
    };
    pages::page(&signed.frame("devices"), said.status(), &format!("{} {}", p.code, p.name), body)
}

pub async fn printer(State(shop): State<Shop>, signed: Signed, Path(code): Path<String>) -> Response {
    render_printer(&shop, &signed, &code, Outcome::Shown, None).await
}

pub async fn update_printer(
    State(shop): State<Shop>,
    Path(code): Path<String>,
    SignedForm(signed, form): SignedForm,
) -> Response {
    let l = signed.lang;
    let change = PrinterChange {
        name: Some(form.text("name")),
        address: Some(form.text("address")),
        active: Some(form.checked("active")),
    };
    let key = code.clone();
    let result = shop
        .store
        .write(move |tx| {
            if hq_changes_printers(tx)? && printing::sent_by_hq(tx, &key)? {
                return Err(ShopError::conflict(
                    format!("Printer {key} is HQ's: HQ's next change would replace this one. Change it at HQ, or stop taking HQ's printer updates on the HQ link page."),
                    format!("L'imprimante {key} est celle du siège : sa prochaine modification remplacerait celle-ci. Modifiez-la au siège, ou cessez de prendre les imprimantes du siège sur la page du lien au siège."),
                    None,
                ));
            }
            printing::update_printer(tx, &key, change)
        })
        .await;
    let refused = result.is_err();
    let done = result.map(|p| {
        tracing::info!(printer = %p.code, user = %signed.user.code, "printer changed from the back office");
        pages::notice(&format!("{} {} {}", l.t("Saved:", "Enregistré :"), p.code, p.name))
    });
    render_printer(&shop, &signed, &code, Outcome::of(l, "printer-edit", done), refused.then_some(&form)).await
}

async fn render_terminal(shop: &Shop, signed: &Signed, code: &str, said: Outcome, sent: Option<&Fields>) -> Response {
    let l = signed.lang;
    let key = code.to_string();
    let t = match shop.store.read(move |c| terminal::get_terminal(c, &key)).await {
        Ok(Some(t)) => t,
        Ok(None) => return not_found_page(signed, "terminal", code),
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let problem = said.problem_in("terminal-edit");
    let facts = [
        (l.t("Code", "Code"), html! { (t.code) }),
        (l.t("Kind", "Type"), html! { (kind_text(l, &t.kind)) }),
        (l.t("State", "État"), active_badge(l, t.active)),
    ];
    let path = format!("/admin/devices/terminals/{}", pages::url(&t.code));
    // A refused form shows what was typed.
    let typed = |name: &str, own: &str| sent.map(|f| f.text(name)).unwrap_or_else(|| own.to_string());
    let (name_v, address_v) = (typed("name", &t.name), typed("address", &t.address));
    let timeout_v = typed("timeout_seconds", &t.timeout_seconds.to_string());
    let active_v = sent.map_or(t.active, |f| f.checked("active"));
    let body = html! {
        (said.banner())
        (pages::facts("terminal", &facts))
        h2 id="edit-terminal" { (l.t("Change", "Modifier")) }
        (Form::post(&path, &signed.csrf, Layout::Stack).with(html! {
            (Field::new(l.t("Name", "Nom"), "name").required().maxlength(120).value(&name_v).problem(problem))
            (Field::new(l.t("Address (tcp://HOST:PORT)", "Adresse (tcp://HÔTE:PORT)"), "address")
                .required().maxlength(300).value(&address_v).problem(problem))
            (Field::new(l.t("Timeout (seconds, 1 to 600)", "Délai (secondes, de 1 à 600)"), "timeout_seconds")
                .required().maxlength(3).value(&timeout_v).problem(problem))
            (Check { label: l.t("Active", "Actif"), name: "active", value: None, checked: active_v })
        }, l.t("Save", "Enregistrer")))
        (back(l))
    };
    pages::page(&signed.frame("devices"), said.status(), &format!("{} {}", t.code, t.name), body)
}

pub async fn terminal(State(shop): State<Shop>, signed: Signed, Path(code): Path<String>) -> Response {
    render_terminal(&shop, &signed, &code, Outcome::Shown, None).await
}

pub async fn update_terminal(
    State(shop): State<Shop>,
    Path(code): Path<String>,
    SignedForm(signed, form): SignedForm,
) -> Response {
    let l = signed.lang;
    let change = TerminalChange {
        name: Some(form.text("name")),
        address: Some(form.text("address")),
        timeout_seconds: Some(seconds(&form, "timeout_seconds").unwrap_or(0)),
        active: Some(form.checked("active")),
    };
    let key = code.clone();
    let result = shop.store.write(move |tx| terminal::update_terminal(tx, &key, change)).await;
    let refused = result.is_err();
    let done = result.map(|t| {
        tracing::info!(terminal = %t.code, user = %signed.user.code, "card terminal changed from the back office");
        pages::notice(&format!("{} {} {}", l.t("Saved:", "Enregistré :"), t.code, t.name))
    });
    render_terminal(&shop, &signed, &code, Outcome::of(l, "terminal-edit", done), refused.then_some(&form)).await
}
