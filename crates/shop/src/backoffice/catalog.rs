//! The catalog pages: articles (list with search, create, edit), CSV import with its
//! rejection report, CSV export. Every write goes through the shop's catalog service
//! (`crate::catalog`, `crate::catalog_csv`), the same validation as the API's.
//!
//! In a chain shop HQ owns the catalog: the pages show it read-only, with a note saying
//! it is changed at HQ, and offer no form (the service would refuse the change anyway,
//! `catalog_owned_by_hq`).

use super::session::{Signed, SignedForm, error_page};
use super::{hq_note, owned_by_hq};
use crate::catalog::{
    self as cat, Article, ArticleChange, Category, CategoryChange, NewArticle, NewCategory, NewTaxRate, TaxRateChange,
    TaxRateView,
};
use crate::catalog_csv;
use crate::error::ShopError;
use crate::shop::{Shop, journal};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use comptoir_core::{Lang, Money, TaxRate};
use comptoir_http::web::Fields;
use comptoir_pages::{
    self as pages, Check, Choice, Field, Form, Layout, Markup, Nav, Outcome, Problem, Table, Tr, html,
};

const PAGE: usize = 50;

const SUBNAV: &[Nav] = &[
    Nav { key: "articles", path: "/admin/catalog", en: "Articles", fr: "Articles" },
    Nav { key: "categories", path: "/admin/catalog/categories", en: "Categories", fr: "Catégories" },
    Nav { key: "tax-rates", path: "/admin/catalog/tax-rates", en: "VAT rates", fr: "Taux de TVA" },
    Nav { key: "import", path: "/admin/catalog/import", en: "CSV import", fr: "Import CSV" },
    Nav { key: "export", path: "/admin/catalog/export.csv", en: "CSV export", fr: "Export CSV" },
];

/// A catalog page: the sub-navigation, the outcome of the last action, the note of a chain
/// shop, then `body`.
fn catalog_page(signed: &Signed, sub: &str, title: &str, said: &Outcome, chain: bool, body: Markup) -> Response {
    let l = signed.lang;
    let body = html! {
        (pages::frame::nav(l, l.t("Catalog", "Catalogue"), Some("sub"), SUBNAV, sub))
        (said.banner())
        @if chain { (hq_note(l, "articles, categories and VAT rates", "les articles, catégories et taux de TVA")) }
        (body)
    };
    pages::page(&signed.frame("catalog"), said.status(), title, body)
}

/// A price as the reader writes it: `12.50`, `12,50` in French.
pub fn price_text(l: Lang, m: Money) -> String {
    let t = m.to_string();
    if l == Lang::Fr { t.replace('.', ",") } else { t }
}

/// An amount typed in euros, refused with the field it came from.
pub fn parse_price(text: &str, field: &'static str) -> Result<Money, ShopError> {
    Money::parse_decimal(text).ok_or_else(|| {
        ShopError::invalid(
            "bad_amount",
            format!("{field}: {text:?} is not an amount; write euros such as 12.50."),
            format!("{field} : {text:?} n'est pas un montant ; écrivez des euros, par exemple 12,50."),
            Some(field),
        )
    })
}

fn parse_bp(text: &str) -> Result<i64, ShopError> {
    text.trim().parse::<i64>().map_err(|_| {
        ShopError::invalid(
            "bad_tax_rate",
            "tax_rate_bp: choose a VAT rate.",
            "tax_rate_bp : choisissez un taux de TVA.",
            Some("tax_rate_bp"),
        )
    })
}

fn split_barcodes(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// The outcome of an article form: a refusal naming one barcode of the list
/// (`barcodes[1]`) is shown next to the one field that holds them all.
fn article_outcome(l: Lang, result: Result<Markup, ShopError>) -> Outcome {
    match Outcome::of(l, "article", result) {
        Outcome::Refused { form, mut problem } => {
            if problem.field.as_deref().is_some_and(|f| f.starts_with("barcodes")) {
                problem.field = Some("barcodes".into());
            }
            Outcome::Refused { form, problem }
        }
        other => other,
    }
}

/// The fields of an article form, with the values sent (after a refusal) or the article's.
fn article_fields(
    l: Lang,
    a: Option<&Article>,
    sent: Option<&Fields>,
    rates: &[TaxRateView],
    cats: &[Category],
    problem: Option<&Problem>,
) -> Markup {
    let value = |name: &str, current: String| sent.map(|f| f.text(name)).unwrap_or(current);
    let bp = value("tax_rate_bp", a.map(|a| a.tax_rate_bp.to_string()).unwrap_or_default());
    let category = value("category", a.and_then(|a| a.category.clone()).unwrap_or_default());
    let rates = rates
        .iter()
        .filter(|r| r.active || r.bp.to_string() == bp)
        .map(|r| Choice { value: r.bp.to_string(), text: r.name.clone(), selected: r.bp.to_string() == bp })
        .collect();
    let mut categories = vec![Choice { value: String::new(), text: "—".into(), selected: category.is_empty() }];
    categories.extend(cats.iter().filter(|c| c.active || c.code == category).map(|c| Choice {
        value: c.code.clone(),
        text: format!("{} — {}", c.code, c.name),
        selected: c.code == category,
    }));
    let sku = value("sku", String::new());
    let name = value("name", a.map(|a| a.name.clone()).unwrap_or_default());
    let price = value("price", a.map(|a| price_text(l, a.price)).unwrap_or_default());
    let barcodes = value("barcodes", a.map(|a| a.barcodes.join(" ")).unwrap_or_default());
    let web = sent.map(|f| f.checked("web")).unwrap_or(a.is_some_and(|a| a.web));
    let active = sent.map(|f| f.checked("active")).unwrap_or(a.is_none_or(|a| a.active));
    html! {
        @if a.is_none() { (Field::new(l.t("SKU", "Référence"), "sku").required().maxlength(32).value(&sku).problem(problem)) }
        (Field::new(l.t("Name", "Nom"), "name").required().maxlength(120).value(&name).problem(problem))
        (Field::new(l.t("Price incl. VAT (€)", "Prix TTC (€)"), "price").required().decimal().value(&price).problem(problem))
        (pages::Select::new(l.t("VAT rate", "Taux de TVA"), "tax_rate_bp", rates).problem(problem))
        (pages::Select::new(l.t("Category", "Catégorie"), "category", categories).problem(problem))
        (Field::new(l.t("Barcodes (separated by spaces)", "Codes-barres (séparés par des espaces)"), "barcodes").value(&barcodes).problem(problem))
        (Check { label: l.t("Sold on the web", "Vendu sur le web"), name: "web", value: None, checked: web })
        @if a.is_some() {
            (Check { label: l.t("Active (on sale)", "Actif (en vente)"), name: "active", value: None, checked: active })
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    after: Option<String>,
}

async fn render_list(shop: &Shop, signed: &Signed, q: &ListQuery, said: Outcome, sent: Option<&Fields>) -> Response {
    let l = signed.lang;
    let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    let after = q.after.clone();
    let (s2, a2) = (search.clone(), after.clone());
    let loaded = shop
        .store
        .read(move |c| {
            Ok((
                cat::list_articles(c, s2.as_deref(), a2.as_deref(), PAGE)?,
                cat::list_tax_rates(c)?,
                cat::list_categories(c)?,
                crate::sync::link::hq_link(c)?.is_some(),
            ))
        })
        .await;
    let ((articles, next), rates, cats, chain) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let rows: Vec<Vec<Markup>> = articles
        .iter()
        .map(|a| {
            vec![
                html! { a href=(format!("/admin/catalog/articles/{}", pages::url(&a.sku))) { (a.sku) } },
                html! { (a.name) },
                html! { (a.category.as_deref().unwrap_or("—")) },
                html! { (pages::money(l, a.price.cents())) },
                html! { (TaxRate(a.tax_rate_bp).percent_text()) },
                html! { (a.barcodes.join(" ")) },
                html! { (if a.active { l.t("yes", "oui") } else { l.t("no", "non") }) },
            ]
        })
        .collect();
    let heads = [
        l.t("SKU", "Référence"),
        l.t("Name", "Nom"),
        l.t("Category", "Catégorie"),
        l.t("#Price", "#Prix"),
        l.t("#VAT %", "#TVA %"),
        l.t("Barcodes", "Codes-barres"),
        l.t("Active", "Actif"),
    ];
    let find = Field::new(l.t("SKU, name or barcode", "Référence, nom ou code-barres"), "q")
        .kind("search")
        .value(search.as_deref().unwrap_or(""));
    let body = html! {
        (Form::search("/admin/catalog").with(html! { (find) }, l.t("Search", "Rechercher")))
        (Table { id: "articles", caption: l.t("Articles", "Articles"), heads: &heads, csv: Some("/admin/catalog/export.csv") }.rows(&rows))
        @if let Some(next) = next {
            p { a href=(format!("/admin/catalog?q={}&after={}", pages::url(search.as_deref().unwrap_or("")), pages::url(&next))) {
                (l.t("Next page", "Page suivante"))
            } }
        }
        @if !chain {
            h2 id="new-article" { (l.t("New article", "Nouvel article")) }
            (Form::post("/admin/catalog", &signed.csrf, Layout::Stack)
                .with(article_fields(l, None, sent, &rates, &cats, said.problem_in("article")), l.t("Create", "Créer")))
        }
    };
    catalog_page(signed, "articles", l.t("Catalog", "Catalogue"), &said, chain, body)
}

pub async fn articles(State(shop): State<Shop>, signed: Signed, Query(q): Query<ListQuery>) -> Response {
    render_list(&shop, &signed, &q, Outcome::Shown, None).await
}

pub async fn create_article(State(shop): State<Shop>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let result = async {
        let input = NewArticle {
            sku: form.text("sku"),
            name: form.text("name"),
            price: parse_price(&form.text("price"), "price")?,
            tax_rate_bp: parse_bp(&form.text("tax_rate_bp"))?,
            barcodes: split_barcodes(&form.text("barcodes")),
            category: Some(form.text("category")).filter(|c| !c.is_empty()),
            web: form.checked("web"),
        };
        shop.store.write(move |tx| cat::create_article(tx, input)).await
    }
    .await;
    let refused = result.is_err();
    let done = result.map(|a| {
        tracing::info!(sku = %a.sku, user = %signed.user.code, "article created from the back office");
        pages::notice(&format!("{} {} {}", l.t("Article created:", "Article créé :"), a.sku, a.name))
    });
    // A refused form comes back with what was typed; a created one comes back empty.
    let sent = refused.then_some(&form);
    render_list(&shop, &signed, &ListQuery::default(), article_outcome(l, done), sent).await
}

async fn render_article(shop: &Shop, signed: &Signed, sku: &str, said: Outcome, sent: Option<&Fields>) -> Response {
    let l = signed.lang;
    let key = sku.to_string();
    let loaded = shop
        .store
        .read(move |c| {
            Ok((
                cat::get_article(c, &key)?,
                cat::list_tax_rates(c)?,
                cat::list_categories(c)?,
                crate::sync::link::hq_link(c)?.is_some(),
                crate::people::settings(c)?.accept_hq_prices,
            ))
        })
        .await;
    let (article, rates, cats, chain, hq_prices) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let Some(a) = article else {
        let e = ShopError::NotFound { what: "article", key: sku.into(), field: None };
        let body = html! { (super::alert(l, &e)) p { a href="/admin/catalog" { (l.t("Back to the catalog", "Retour au catalogue")) } } };
        return pages::page(&signed.frame("catalog"), StatusCode::NOT_FOUND, l.t("Catalog", "Catalogue"), body);
    };
    let path = format!("/admin/catalog/articles/{}", pages::url(&a.sku));
    let body = if chain {
        let facts = [
            (l.t("SKU", "Référence"), html! { (a.sku) }),
            (l.t("Name", "Nom"), html! { (a.name) }),
            (l.t("Price incl. VAT", "Prix TTC"), html! { (pages::money(l, a.price.cents())) }),
            (l.t("VAT rate", "Taux de TVA"), html! { (TaxRate(a.tax_rate_bp).percent_text()) " %" }),
            (l.t("Category", "Catégorie"), html! { (a.category.as_deref().unwrap_or("—")) }),
            (
                l.t("Barcodes", "Codes-barres"),
                html! { (if a.barcodes.is_empty() { "—".to_string() } else { a.barcodes.join(" ") }) },
            ),
            (l.t("Active", "Actif"), html! { (if a.active { l.t("yes", "oui") } else { l.t("no", "non") }) }),
        ];
        let price_path = format!("{path}/price");
        let in_price = said.problem_in("price");
        let price = sent.map(|f| f.text("price")).unwrap_or_else(|| price_text(l, a.price));
        html! {
            (pages::facts("article", &facts))
            section id="own-price" aria-labelledby="own-price-title" {
                h2 id="own-price-title" { (l.t("This shop's price", "Prix de cette boutique")) }
                @if hq_prices {
                    p { (l.t(
                        "The price is HQ's: this shop takes HQ's price changes. To keep its own prices, turn that off on the HQ link page.",
                        "Le prix est celui du siège : cette boutique accepte les changements de prix du siège. Pour garder ses propres prix, désactivez-les sur la page du lien au siège."
                    )) " " a href="/admin/sync#hq-settings" { (l.t("HQ link", "Lien au siège")) } }
                } @else {
                    p { (l.t(
                        "This shop keeps its own prices: HQ's price changes do not replace them.",
                        "Cette boutique garde ses propres prix : les changements de prix du siège ne les remplacent pas."
                    )) }
                    (Form::post(&price_path, &signed.csrf, Layout::Inline).with(html! {
                        (Field::new(l.t("Price incl. VAT (€)", "Prix TTC (€)"), "price").required().decimal().value(&price).problem(in_price))
                    }, l.t("Set the price", "Fixer le prix")))
                }
            }
        }
    } else {
        html! {
            (Form::post(&path, &signed.csrf, Layout::Stack)
                .with(article_fields(l, Some(&a), sent, &rates, &cats, said.problem_in("article")), l.t("Save", "Enregistrer")))
        }
    };
    let body = html! {
        (body)
        p { (l.t("Last changed:", "Dernière modification :")) " " (super::local_time(shop, Some(&a.updated_at))) }
        p { a href=(format!("/admin/stock?sku={}", pages::url(&a.sku))) { (l.t("Stock of this article", "Stock de cet article")) } }
    };
    catalog_page(signed, "articles", &format!("{} {}", a.sku, a.name), &said, chain, body)
}

pub async fn article(State(shop): State<Shop>, signed: Signed, Path(sku): Path<String>) -> Response {
    render_article(&shop, &signed, &sku, Outcome::Shown, None).await
}

pub async fn update_article(
    State(shop): State<Shop>,
    Path(sku): Path<String>,
    SignedForm(signed, form): SignedForm,
) -> Response {
    let l = signed.lang;
    let result = async {
        let change = ArticleChange {
            name: Some(form.text("name")),
            price: Some(parse_price(&form.text("price"), "price")?),
            tax_rate_bp: Some(parse_bp(&form.text("tax_rate_bp"))?),
            barcodes: Some(split_barcodes(&form.text("barcodes"))),
            category: Some(form.text("category")),
            web: Some(form.checked("web")),
            active: Some(form.checked("active")),
        };
        let key = sku.clone();
        shop.store.write(move |tx| cat::update_article(tx, &key, change)).await
    }
    .await;
    let refused = result.is_err();
    let done = result.map(|a| {
        tracing::info!(sku = %a.sku, user = %signed.user.code, "article changed from the back office");
        pages::notice(&format!("{} {} {}", l.t("Saved:", "Enregistré :"), a.sku, a.name))
    });
    render_article(&shop, &signed, &sku, article_outcome(l, done), refused.then_some(&form)).await
}

/// A chain shop's own price, while it refuses HQ's price changes (`people::set_local_price`).
pub async fn own_price(
    State(shop): State<Shop>,
    Path(sku): Path<String>,
    SignedForm(signed, form): SignedForm,
) -> Response {
    let l = signed.lang;
    let result = async {
        let price = parse_price(&form.text("price"), "price")?;
        let key = sku.clone();
        shop.store.write(move |tx| crate::people::set_local_price(tx, &key, crate::people::LocalPrice { price })).await
    }
    .await;
    let refused = result.is_err();
    let done = result.map(|_| {
        tracing::info!(sku = %sku, user = %signed.user.code, "shop's own price set from the back office");
        pages::notice(&format!("{} {}", l.t("Price saved:", "Prix enregistré :"), sku))
    });
    render_article(&shop, &signed, &sku, Outcome::of(l, "price", done), refused.then_some(&form)).await
}

// ---------------------------------------------------------------- categories and VAT rates

/// What differs between the categories page and the VAT rates page: both list named
/// entries renamed and (de)activated in place, with a form to create one.
struct Listing {
    key: &'static str,
    path: &'static str,
    title: (&'static str, &'static str),
    key_head: (&'static str, &'static str),
    /// The hidden field naming the entry in its form, and the create form's first field.
    key_field: &'static str,
    new_key: (&'static str, &'static str),
    new_title: (&'static str, &'static str),
}

const CATEGORIES: Listing = Listing {
    key: "categories",
    path: "/admin/catalog/categories",
    title: ("Categories", "Catégories"),
    key_head: ("Code", "Code"),
    key_field: "code",
    new_key: ("Code", "Code"),
    new_title: ("New category", "Nouvelle catégorie"),
};

const TAX_RATES: Listing = Listing {
    key: "tax-rates",
    path: "/admin/catalog/tax-rates",
    title: ("VAT rates", "Taux de TVA"),
    key_head: ("#Rate", "#Taux"),
    key_field: "percent",
    new_key: ("Rate (%)", "Taux (%)"),
    new_title: ("New VAT rate", "Nouveau taux de TVA"),
};

/// One entry: shown as `shown`, named in its form by `key`.
struct Entry {
    shown: String,
    key: String,
    name: String,
    active: bool,
}

impl Listing {
    fn form_of(&self, form: &Fields) -> String {
        match form.get("action") {
            Some("update") => format!("update-{}", form.text(self.key_field)),
            _ => "create".into(),
        }
    }

    fn render(&self, signed: &Signed, entries: Vec<Entry>, chain: bool, said: Outcome) -> Response {
        let l = signed.lang;
        let t = |(en, fr): (&'static str, &'static str)| l.t(en, fr);
        let rows: Vec<Vec<Markup>> = entries
            .iter()
            .map(|e| {
                let state = if e.active { l.t("active", "actif") } else { l.t("deactivated", "désactivé") };
                if chain {
                    return vec![html! { (e.shown) }, html! { (e.name) " (" (state) ")" }];
                }
                let problem = said.problem_in(&format!("update-{}", e.key));
                let label = format!("{} {}", l.t("Name of", "Nom de"), e.shown);
                let fields = html! {
                    (Field::new(&label, "name").value(&e.name).required().maxlength(120).problem(problem))
                    (Check { label: l.t("Active", "Actif"), name: "active", value: None, checked: e.active })
                };
                let form = Form::post(self.path, &signed.csrf, Layout::Inline)
                    .hidden("action", "update")
                    .hidden(self.key_field, &e.key)
                    .with(fields, l.t("Save", "Enregistrer"));
                vec![html! { (e.shown) }, form]
            })
            .collect();
        let heads = [t(self.key_head), l.t("Name and state", "Nom et état")];
        let problem = said.problem_in("create");
        let key = Field::new(t(self.new_key), self.key_field).required().maxlength(32).problem(problem);
        let key = if self.key_field == "percent" { key.decimal() } else { key };
        let body = html! {
            (Table { id: self.key, caption: t(self.title), heads: &heads, csv: None }.rows(&rows))
            @if !chain {
                h2 { (t(self.new_title)) }
                (Form::post(self.path, &signed.csrf, Layout::Inline).hidden("action", "create").with(html! {
                    (key)
                    (Field::new(l.t("Name", "Nom"), "name").required().maxlength(120).problem(problem))
                }, l.t("Create", "Créer")))
            }
        };
        catalog_page(signed, self.key, t(self.title), &said, chain, body)
    }
}

/// A rate typed in percent (`5,5`), as basis points (550).
fn parse_percent(text: &str) -> Result<i64, ShopError> {
    Money::parse_decimal(text).map(|m| m.cents()).ok_or_else(|| {
        ShopError::invalid(
            "bad_tax_rate",
            format!("percent: {text:?} is not a rate; write it in percent, such as 5.5."),
            format!("percent : {text:?} n'est pas un taux ; écrivez-le en pour cent, par exemple 5,5."),
            Some("percent"),
        )
    })
}

/// The outcome of a listing's form; the service names a rate `bp`, the form `percent`.
fn listing_outcome(l: Lang, form: String, result: Result<Markup, ShopError>) -> Outcome {
    match Outcome::of(l, form, result) {
        Outcome::Refused { form, mut problem } => {
            if problem.field.as_deref() == Some("bp") {
                problem.field = Some("percent".into());
            }
            Outcome::Refused { form, problem }
        }
        other => other,
    }
}

async fn show_categories(shop: &Shop, signed: &Signed, said: Outcome) -> Response {
    let loaded = shop.store.read(|c| Ok((cat::list_categories(c)?, crate::sync::link::hq_link(c)?.is_some()))).await;
    match loaded {
        Ok((list, chain)) => {
            let entries = list
                .into_iter()
                .map(|c| Entry { shown: c.code.clone(), key: c.code, name: c.name, active: c.active })
                .collect();
            CATEGORIES.render(signed, entries, chain, said)
        }
        Err(e) => error_page(signed.lang, &signed.here, &e),
    }
}

pub async fn categories(State(shop): State<Shop>, signed: Signed) -> Response {
    show_categories(&shop, &signed, Outcome::Shown).await
}

pub async fn category_action(State(shop): State<Shop>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let (code, name, active) = (form.text("code"), form.text("name"), form.checked("active"));
    let update = form.get("action") == Some("update");
    let result = shop
        .store
        .write(move |tx| {
            if update {
                cat::update_category(tx, &code, CategoryChange { name: Some(name), active: Some(active) })
            } else {
                cat::create_category(tx, NewCategory { code, name })
            }
        })
        .await
        .map(|c| pages::notice(&format!("{} {} {}", l.t("Saved:", "Enregistré :"), c.code, c.name)));
    show_categories(&shop, &signed, listing_outcome(l, CATEGORIES.form_of(&form), result)).await
}

async fn show_tax_rates(shop: &Shop, signed: &Signed, said: Outcome) -> Response {
    let loaded = shop.store.read(|c| Ok((cat::list_tax_rates(c)?, crate::sync::link::hq_link(c)?.is_some()))).await;
    match loaded {
        Ok((list, chain)) => {
            let entries = list
                .into_iter()
                .map(|r| {
                    let shown = format!("{} %", TaxRate(r.bp).percent_text());
                    Entry { key: TaxRate(r.bp).percent_text(), shown, name: r.name, active: r.active }
                })
                .collect();
            TAX_RATES.render(signed, entries, chain, said)
        }
        Err(e) => error_page(signed.lang, &signed.here, &e),
    }
}

pub async fn tax_rates(State(shop): State<Shop>, signed: Signed) -> Response {
    show_tax_rates(&shop, &signed, Outcome::Shown).await
}

pub async fn tax_rate_action(State(shop): State<Shop>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let (name, active) = (form.text("name"), form.checked("active"));
    let update = form.get("action") == Some("update");
    let result = async {
        let bp = parse_percent(&form.text("percent"))?;
        shop.store
            .write(move |tx| {
                if update {
                    let bp = u32::try_from(bp).map_err(|_| ShopError::NotFound {
                        what: "tax rate",
                        key: bp.to_string(),
                        field: Some("percent".into()),
                    })?;
                    cat::update_tax_rate(tx, bp, TaxRateChange { name: Some(name), active: Some(active) })
                } else {
                    cat::create_tax_rate(tx, NewTaxRate { bp, name })
                }
            })
            .await
    }
    .await
    .map(|r| {
        pages::notice(&format!("{} {} % {}", l.t("Saved:", "Enregistré :"), TaxRate(r.bp).percent_text(), r.name))
    });
    show_tax_rates(&shop, &signed, listing_outcome(l, TAX_RATES.form_of(&form), result)).await
}

// ---------------------------------------------------------------- import and export

fn import_form(l: Lang, csrf: &str, text: &str) -> Markup {
    let fields = html! {
        label {
            (l.t("CSV file contents (paste it here)", "Contenu du fichier CSV (collez-le ici)"))
            textarea name="csv" required spellcheck="false" rows="10" { (text) }
        }
    };
    html! {
        p { (l.t(
            "Columns: sku, name, price, tax_rate, category, barcodes, web, active (separated by ';' or ','). An article whose SKU exists is updated. Nothing is imported while a row is wrong.",
            "Colonnes : sku, name, price, tax_rate, category, barcodes, web, active (séparées par ';' ou ','). Un article dont la référence existe est mis à jour. Rien n'est importé tant qu'une ligne est fausse."
        )) }
        (Form::post(super::IMPORT_PATH, csrf, Layout::Stack).with(fields, l.t("Import", "Importer")))
    }
}

pub async fn import_page(State(shop): State<Shop>, signed: Signed) -> Response {
    let l = signed.lang;
    let chain = match owned_by_hq(&shop).await {
        Ok(c) => c,
        Err(e) => return error_page(l, &signed.here, &e),
    };
    let body = if chain {
        html! {}
    } else {
        import_form(l, &signed.csrf, "")
    };
    catalog_page(&signed, "import", l.t("CSV import", "Import CSV"), &Outcome::Shown, chain, body)
}

pub async fn import(State(shop): State<Shop>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let text = form.get("csv").unwrap_or("").to_string();
    let actor = signed.user.code.clone();
    let data = text.clone().into_bytes();
    let result = shop
        .store
        .write(move |tx| {
            let report = catalog_csv::import(tx, &data, l)?;
            journal(
                tx,
                "catalog_import",
                Some(&actor),
                &format!("{} created, {} updated (back office)", report.created, report.updated),
            )?;
            Ok(report)
        })
        .await;
    let (status, body) = match result {
        Ok(report) => {
            tracing::info!(created = report.created, updated = report.updated, user = %signed.user.code, "catalog imported from the back office");
            let mut done = format!(
                "{} {} {}, {} {}.",
                l.t("Imported:", "Importé :"),
                pages::count(l, report.created as i64),
                l.t("created", "créé(s)"),
                pages::count(l, report.updated as i64),
                l.t("updated", "mis à jour"),
            );
            if !report.categories_created.is_empty() {
                done.push_str(&format!(
                    " {} {}",
                    l.t("New categories:", "Nouvelles catégories :"),
                    report.categories_created.join(", ")
                ));
            }
            (StatusCode::OK, html! { (pages::notice(&done)) (import_form(l, &signed.csrf, "")) })
        }
        Err(ShopError::CsvRejected { rows }) => {
            let refused = format!(
                "{} {}",
                pages::count(l, rows.len() as i64),
                l.t(
                    "row(s) refused: nothing was imported. Correct them and send again.",
                    "ligne(s) refusée(s) : rien n'a été importé. Corrigez-les puis renvoyez."
                )
            );
            let heads = [l.t("#Line", "#Ligne"), l.t("Column", "Colonne"), l.t("Why", "Motif")];
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| vec![r.line.to_string(), r.column.clone().unwrap_or_else(|| "—".into()), r.message.clone()])
                .collect();
            let body = html! {
                (pages::alert_text(&refused))
                (pages::table("rejections", l.t("Rejection report", "Rapport de rejet"), &heads, &cells, None))
                (import_form(l, &signed.csrf, &text))
            };
            (StatusCode::UNPROCESSABLE_ENTITY, body)
        }
        Err(e) => {
            let chain = matches!(e, ShopError::CatalogOwnedByHq);
            let form = if chain {
                html! {}
            } else {
                import_form(l, &signed.csrf, &text)
            };
            (e.status(), html! { (super::alert(l, &e)) (form) })
        }
    };
    let body = html! { (pages::frame::nav(l, l.t("Catalog", "Catalogue"), Some("sub"), SUBNAV, "import")) (body) };
    pages::page(&signed.frame("catalog"), status, l.t("CSV import", "Import CSV"), body)
}

/// The catalog as the CSV file the import reads back.
pub async fn export(State(shop): State<Shop>, signed: Signed) -> Response {
    let user = signed.user.code.clone();
    match shop.store.write(move |tx| catalog_csv::export_recorded(tx, &user)).await {
        Ok(data) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"catalog.csv\""),
            ],
            data,
        )
            .into_response(),
        Err(e) => error_page(signed.lang, &signed.here, &e),
    }
}
