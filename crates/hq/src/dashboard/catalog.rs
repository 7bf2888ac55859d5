//! The catalog pages: articles (list, search, create, edit), categories, tax rates, CSV
//! import with its rejection report, CSV export. Every write goes through the same
//! validation as the API (`crate::catalog`) and the same storage call, so it reaches the
//! shops through the feed like any other catalog change.
//!
//! Categories and tax rates are one kind of page ([`Listing`]): named entries renamed and
//! (de)activated in place, and a form to create one. Every action ends the same way: the
//! page again, with a notice or with the refusal beside its field ([`Outcome`]).
//!
//! The article page also sets a shop's own price (`<section id="shop-prices">`), through
//! the API's `PUT /api/v1/shops/{code}/prices/{sku}` path (`api::stock::set_shop_price`):
//! the price reaches that shop only. HQ's storage lists no shop prices by article, so the
//! page shows the price just set, not the ones set before.

use super::session::{Fields, Signed, SignedForm, error_page};
use crate::HqError;
use crate::catalog::{self as cat, ArticleChange, NewArticle};
use crate::hq::Hq;
use crate::storage::{Article, ArticleWrite, Category, TaxRateView};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use comptoir_core::catalog::{validate_code, validate_name};
use comptoir_core::{Lang, Money, TaxRate};
use comptoir_pages::{
    self as pages, Check, Choice, Field, Form, Layout, Markup, Nav, Outcome, Problem, Table, Tr, html,
};

const PAGE: usize = 50;

const SUBNAV: &[Nav] = &[
    Nav { key: "articles", path: "/dashboard/catalog", en: "Articles", fr: "Articles" },
    Nav { key: "categories", path: "/dashboard/catalog/categories", en: "Categories", fr: "Catégories" },
    Nav { key: "tax-rates", path: "/dashboard/catalog/tax-rates", en: "Tax rates", fr: "Taux de TVA" },
    Nav { key: "import", path: "/dashboard/catalog/import", en: "CSV import", fr: "Import CSV" },
    Nav { key: "export", path: "/dashboard/catalog/export.csv", en: "CSV export", fr: "Export CSV" },
];

fn subnav(l: Lang, current: &str) -> Markup {
    pages::frame::nav(l, l.t("Catalog", "Catalogue"), Some("sub"), SUBNAV, current)
}

/// A catalog page: the sub-navigation, then the outcome of the last action, then `body`.
fn catalog_page(signed: &Signed, sub: &str, title: &str, said: &Outcome, body: Markup) -> Response {
    let body = html! { (subnav(signed.lang, sub)) (said.banner()) (body) };
    pages::page(&signed.frame("catalog"), said.status(), title, body)
}

/// "Saved: X", the notice of every catalog write that needs no more words.
fn saved(l: Lang, what: &str) -> Markup {
    pages::notice(&format!("{} {what}", l.t("Saved:", "Enregistré :")))
}

fn price_text(l: Lang, m: Money) -> String {
    let t = m.to_string();
    if l == Lang::Fr { t.replace('.', ",") } else { t }
}

fn parse_price(text: &str) -> Result<Money, HqError> {
    Money::parse_decimal(text).ok_or_else(|| {
        HqError::invalid(
            "bad_amount",
            format!("price: {text:?} is not an amount; write euros such as 12.50."),
            format!("price : {text:?} n'est pas un montant ; écrivez des euros, par exemple 12,50."),
            Some("price"),
        )
    })
}

fn parse_bp(text: &str) -> Result<i64, HqError> {
    text.trim().parse::<i64>().map_err(|_| {
        HqError::invalid(
            "bad_tax_rate",
            "tax_rate_bp: choose a tax rate.",
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

/// The fields of an article form, with its current values; `problem` marks the field it blames.
fn article_fields(
    l: Lang,
    a: Option<&Article>,
    rates: &[TaxRateView],
    cats: &[Category],
    problem: Option<&Problem>,
) -> Markup {
    let rates = rates
        .iter()
        .filter(|r| r.active || a.is_some_and(|a| a.tax_rate_bp == r.bp))
        .map(|r| Choice {
            value: r.bp.to_string(),
            text: r.name.clone(),
            selected: a.is_some_and(|a| a.tax_rate_bp == r.bp),
        })
        .collect();
    let in_category = |c: &Category| a.is_some_and(|a| a.category.as_deref() == Some(&c.code));
    let mut categories = vec![Choice { value: String::new(), text: "—".into(), selected: false }];
    categories.extend(cats.iter().filter(|c| c.active || in_category(c)).map(|c| Choice {
        value: c.code.clone(),
        text: format!("{} — {}", c.code, c.name),
        selected: in_category(c),
    }));
    let price = a.map(|a| price_text(l, a.price)).unwrap_or_default();
    let barcodes = a.map(|a| a.barcodes.join(" ")).unwrap_or_default();
    html! {
        @if a.is_none() { (Field::new(l.t("SKU", "Référence"), "sku").required().maxlength(32).problem(problem)) }
        (Field::new(l.t("Name", "Nom"), "name").required().maxlength(120).value(a.map(|a| a.name.as_str()).unwrap_or("")).problem(problem))
        (Field::new(l.t("Price incl. tax (€)", "Prix TTC (€)"), "price").required().decimal().value(&price).problem(problem))
        (pages::Select::new(l.t("VAT rate", "Taux de TVA"), "tax_rate_bp", rates).problem(problem))
        (pages::Select::new(l.t("Category", "Catégorie"), "category", categories).problem(problem))
        (Field::new(l.t("Barcodes (separated by spaces)", "Codes-barres (séparés par des espaces)"), "barcodes").value(&barcodes).problem(problem))
        (Check { label: l.t("Sold on the web", "Vendu sur le web"), name: "web", value: None, checked: a.is_some_and(|a| a.web) })
        @if let Some(a) = a {
            (Check { label: l.t("Active (on sale)", "Actif (en vente)"), name: "active", value: None, checked: a.active })
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    after: Option<String>,
}

async fn render_list(hq: &Hq, signed: &Signed, q: &ListQuery, said: Outcome) -> Response {
    let l = signed.lang;
    let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let loaded = tokio::try_join!(
        hq.storage.list_articles(search, q.after.as_deref(), PAGE),
        hq.storage.list_tax_rates(),
        hq.storage.list_categories()
    );
    let ((articles, next), rates, cats) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let rows: Vec<Vec<Markup>> = articles
        .iter()
        .map(|a| {
            vec![
                html! { a href=(format!("/dashboard/catalog/articles/{}", pages::url(&a.sku))) { (a.sku) } },
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
        .value(search.unwrap_or(""));
    let fields = article_fields(l, None, &rates, &cats, said.problem_in("article"));
    let body = html! {
        (Form::search("/dashboard/catalog").with(html! { (find) }, l.t("Search", "Rechercher")))
        (Table { id: "articles", caption: l.t("Articles", "Articles"), heads: &heads, csv: None }.rows(&rows))
        @if let Some(next) = next {
            p { a href=(format!("/dashboard/catalog?q={}&after={}", pages::url(search.unwrap_or("")), pages::url(&next))) {
                (l.t("Next page", "Page suivante"))
            } }
        }
        h2 { (l.t("New article", "Nouvel article")) }
        (Form::post("/dashboard/catalog", &signed.csrf, Layout::Stack).with(fields, l.t("Create", "Créer")))
    };
    catalog_page(signed, "articles", l.t("Catalog", "Catalogue"), &said, body)
}

pub async fn articles(State(hq): State<Hq>, signed: Signed, Query(q): Query<ListQuery>) -> Response {
    render_list(&hq, &signed, &q, Outcome::Shown).await
}

pub async fn create_article(State(hq): State<Hq>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let result = async {
        let input = NewArticle {
            sku: form.text("sku"),
            name: form.text("name"),
            price: parse_price(&form.text("price"))?,
            tax_rate_bp: parse_bp(&form.text("tax_rate_bp"))?,
            barcodes: split_barcodes(&form.text("barcodes")),
            category: Some(form.text("category")).filter(|c| !c.is_empty()),
            web: form.checked("web"),
        };
        let write = cat::validate_new_article(input)?;
        write_one(&hq, write).await
    }
    .await;
    let done = result.map(|a| pages::notice(&format!("{} {}", l.t("Article created:", "Article créé :"), a.sku)));
    render_list(&hq, &signed, &ListQuery::default(), Outcome::of(l, "article", done)).await
}

async fn write_one(hq: &Hq, write: ArticleWrite) -> Result<Article, HqError> {
    let report = hq.storage.write_articles(vec![write], false).await.map_err(|e| HqError::from(e).single())?;
    hq.notify_change();
    report.articles.into_iter().next().ok_or_else(|| HqError::Storage("no article written".into()))
}

async fn render_article(hq: &Hq, signed: &Signed, sku: &str, said: Outcome) -> Response {
    let l = signed.lang;
    let loaded =
        tokio::try_join!(hq.storage.get_article(sku), hq.storage.list_tax_rates(), hq.storage.list_categories());
    let (article, rates, cats) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let Some(a) = article else {
        let e = HqError::NotFound { what: "article", key: sku.into(), field: None };
        return pages::page(
            &signed.frame("catalog"),
            StatusCode::NOT_FOUND,
            l.t("Catalog", "Catalogue"),
            super::alert(l, &e),
        );
    };
    let path = format!("/dashboard/catalog/articles/{}", pages::url(&a.sku));
    let shop_price_path = format!("{path}/shop-price");
    let in_shop_price = said.problem_in("shop-price");
    let shop_price = html! {
        (Field::new(l.t("Shop code", "Code du magasin"), "shop").required().maxlength(32).problem(in_shop_price))
        (Field::new(l.t("Price in euros (tax included)", "Prix en euros (TTC)"), "price").decimal().problem(in_shop_price))
    };
    let body = html! {
        (Form::post(&path, &signed.csrf, Layout::Stack)
            .with(article_fields(l, Some(&a), &rates, &cats, said.problem_in("article")), l.t("Save", "Enregistrer")))
        p { (l.t("Last changed:", "Dernière modification :")) " " (pages::instant(Some(&a.updated_at))) }
        section id="shop-prices" aria-labelledby="shop-prices-title" {
            h2 id="shop-prices-title" { (l.t("Per-shop prices", "Prix par magasin")) }
            p { (l.t(
                "A shop's own price replaces the chain's price in that shop only; leave the price empty to go back to the chain's price.",
                "Le prix propre à un magasin remplace le prix du réseau dans ce magasin seulement ; laissez le prix vide pour revenir au prix du réseau."
            )) }
            (Form::post(&shop_price_path, &signed.csrf, Layout::Inline).with(shop_price, l.t("Set the shop's price", "Fixer le prix du magasin")))
        }
    };
    catalog_page(signed, "articles", &format!("{} {}", a.sku, a.name), &said, body)
}

pub async fn article(State(hq): State<Hq>, signed: Signed, Path(sku): Path<String>) -> Response {
    render_article(&hq, &signed, &sku, Outcome::Shown).await
}

pub async fn update_article(
    State(hq): State<Hq>,
    Path(sku): Path<String>,
    SignedForm(signed, form): SignedForm,
) -> Response {
    let l = signed.lang;
    let result = async {
        let change = ArticleChange {
            name: Some(form.text("name")),
            price: Some(parse_price(&form.text("price"))?),
            tax_rate_bp: Some(parse_bp(&form.text("tax_rate_bp"))?),
            barcodes: Some(split_barcodes(&form.text("barcodes"))),
            category: Some(form.text("category")),
            web: Some(form.checked("web")),
            active: Some(form.checked("active")),
        };
        let update = cat::validate_change(change)?;
        write_one(&hq, ArticleWrite::Update { sku: sku.clone(), update }).await
    }
    .await;
    let done = result.map(|a| {
        tracing::info!(sku = %a.sku, user = %signed.user, "article changed from the dashboard");
        pages::notice(l.t(
            "Saved: the shops receive the change within a second.",
            "Enregistré : les magasins reçoivent la modification dans la seconde.",
        ))
    });
    render_article(&hq, &signed, &sku, Outcome::of(l, "article", done)).await
}

pub async fn shop_price(
    State(hq): State<Hq>,
    Path(sku): Path<String>,
    SignedForm(signed, form): SignedForm,
) -> Response {
    let l = signed.lang;
    let text = form.text("price");
    let result = async {
        let price = if text.is_empty() { None } else { Some(parse_price(&text)?) };
        crate::shops::set_shop_price(&hq, &form.text("shop"), &sku, price).await
    }
    .await;
    let done = result.map(|p| {
        tracing::info!(sku = %p.sku, shop = %p.shop, user = %signed.user, "shop price set from the dashboard");
        pages::notice(&match p.price {
            Some(m) => format!(
                "{} {}{} {}. {}",
                l.t("Price of shop", "Prix du magasin"),
                p.shop,
                l.t(":", " :"),
                pages::money(l, m.cents()),
                l.t("The shop receives it within a second.", "Le magasin le reçoit dans la seconde.")
            ),
            None => format!(
                "{} {} {}",
                l.t("Shop", "Le magasin"),
                p.shop,
                l.t("goes back to the chain's price.", "revient au prix du réseau.")
            ),
        })
    });
    render_article(&hq, &signed, &sku, Outcome::of(l, "shop-price", done)).await
}

// ---------------------------------------------------------------- categories and tax rates

/// What differs between the categories page and the tax-rates page.
struct Listing {
    /// Sub-navigation key and table id.
    key: &'static str,
    path: &'static str,
    title: (&'static str, &'static str),
    /// The column of what identifies an entry (a code, a rate).
    key_head: (&'static str, &'static str),
    /// The hidden field naming the entry in its rename form.
    key_field: &'static str,
    new_title: (&'static str, &'static str),
    /// The create form's first field: label, name, a decimal number or a code.
    new_key: (&'static str, &'static str, &'static str),
    new_key_decimal: bool,
    /// "Active" agrees with the entry's gender in French.
    active: (&'static str, &'static str),
}

const CATEGORIES: Listing = Listing {
    key: "categories",
    path: "/dashboard/catalog/categories",
    title: ("Categories", "Catégories"),
    key_head: ("Code", "Code"),
    key_field: "code",
    new_title: ("New category", "Nouvelle catégorie"),
    new_key: ("Code", "Code", "code"),
    new_key_decimal: false,
    active: ("Active", "Active"),
};

const TAX_RATES: Listing = Listing {
    key: "tax-rates",
    path: "/dashboard/catalog/tax-rates",
    title: ("Tax rates", "Taux de TVA"),
    key_head: ("#Rate %", "#Taux %"),
    key_field: "bp",
    new_title: ("New tax rate", "Nouveau taux de TVA"),
    new_key: ("Rate (%)", "Taux (%)", "percent"),
    new_key_decimal: true,
    active: ("Active", "Actif"),
};

/// One entry of a listing: shown as `shown`, named in its form by `key`.
struct Entry {
    shown: String,
    key: String,
    name: String,
    active: bool,
}

impl Listing {
    /// The form an action came from: the create form, or one entry's rename form.
    fn form_of(&self, form: &Fields) -> String {
        match form.get("action") {
            Some("create") => "create".into(),
            _ => format!("update-{}", form.text(self.key_field)),
        }
    }

    fn render(&self, signed: &Signed, entries: Vec<Entry>, said: Outcome) -> Response {
        let l = signed.lang;
        let t = |(en, fr): (&'static str, &'static str)| l.t(en, fr);
        let rows: Vec<Vec<Markup>> = entries
            .iter()
            .map(|e| {
                let problem = said.problem_in(&format!("update-{}", e.key));
                let fields = html! {
                    (Field::new(l.t("Name", "Nom"), "name").value(&e.name).required().maxlength(120).problem(problem))
                    (Check { label: t(self.active), name: "active", value: None, checked: e.active })
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
        let (en, fr, name) = self.new_key;
        let key = Field::new(l.t(en, fr), name).required().problem(problem);
        let key = if self.new_key_decimal { key.decimal() } else { key.maxlength(32) };
        let create = html! {
            (key)
            (Field::new(l.t("Name", "Nom"), "name").required().maxlength(120).problem(problem))
        };
        let body = html! {
            (Table { id: self.key, caption: t(self.title), heads: &heads, csv: None }.rows(&rows))
            h2 { (t(self.new_title)) }
            (Form::post(self.path, &signed.csrf, Layout::Inline).hidden("action", "create").with(create, l.t("Create", "Créer")))
        };
        catalog_page(signed, self.key, t(self.title), &said, body)
    }
}

async fn render_categories(hq: &Hq, signed: &Signed, said: Outcome) -> Response {
    match hq.storage.list_categories().await {
        Ok(cats) => {
            let entries = cats
                .into_iter()
                .map(|c| Entry { shown: c.code.clone(), key: c.code, name: c.name, active: c.active })
                .collect();
            CATEGORIES.render(signed, entries, said)
        }
        Err(e) => error_page(signed.lang, &signed.here, &e.into()),
    }
}

pub async fn categories(State(hq): State<Hq>, signed: Signed) -> Response {
    render_categories(&hq, &signed, Outcome::Shown).await
}

pub async fn category_action(State(hq): State<Hq>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let result = async {
        let c = match form.get("action") {
            Some("create") => {
                let c = Category {
                    code: validate_code("code", &form.text("code"))?,
                    name: validate_name("name", &form.text("name"))?,
                    active: true,
                };
                hq.storage.create_category(&c).await?
            }
            _ => {
                let name = validate_name("name", &form.text("name"))?;
                hq.storage.update_category(&form.text("code"), Some(name), Some(form.checked("active"))).await?
            }
        };
        hq.notify_change();
        Ok::<_, HqError>(c)
    }
    .await;
    let said = Outcome::of(l, CATEGORIES.form_of(&form), result.map(|c| saved(l, &c.code)));
    render_categories(&hq, &signed, said).await
}

async fn render_rates(hq: &Hq, signed: &Signed, said: Outcome) -> Response {
    match hq.storage.list_tax_rates().await {
        Ok(rates) => {
            let entries = rates
                .into_iter()
                .map(|r| Entry {
                    shown: TaxRate(r.bp).percent_text(),
                    key: r.bp.to_string(),
                    name: r.name,
                    active: r.active,
                })
                .collect();
            TAX_RATES.render(signed, entries, said)
        }
        Err(e) => error_page(signed.lang, &signed.here, &e.into()),
    }
}

pub async fn tax_rates(State(hq): State<Hq>, signed: Signed) -> Response {
    render_rates(&hq, &signed, Outcome::Shown).await
}

pub async fn tax_rate_action(State(hq): State<Hq>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let result = async {
        let name = validate_name("name", &form.text("name"))?;
        let r = match form.get("action") {
            Some("create") => {
                let percent = form.text("percent");
                let rate = TaxRate::parse_percent(&percent).ok_or_else(|| {
                    HqError::invalid(
                        "bad_tax_rate",
                        format!("percent: {percent:?} is not a rate; write 20 or 5.5."),
                        format!("percent : {percent:?} n'est pas un taux ; écrivez 20 ou 5,5."),
                        Some("percent"),
                    )
                })?;
                hq.storage.create_tax_rate(&TaxRateView { bp: rate.bp(), name, active: true }).await?
            }
            _ => {
                let bp = form.text("bp").parse::<u32>().map_err(|_| {
                    HqError::invalid("bad_tax_rate", "bp: not a rate.", "bp : pas un taux.", Some("bp"))
                })?;
                hq.storage.update_tax_rate(bp, Some(name), Some(form.checked("active"))).await?
            }
        };
        hq.notify_change();
        Ok::<_, HqError>(r)
    }
    .await;
    let said = Outcome::of(l, TAX_RATES.form_of(&form), result.map(|r| saved(l, &r.name)));
    render_rates(&hq, &signed, said).await
}

// ---------------------------------------------------------------- import and export

fn import_form(l: Lang, csrf: &str, text: &str) -> Markup {
    let fields = html! {
        label {
            (l.t("CSV file content", "Contenu du fichier CSV"))
            textarea name="csv" required spellcheck="false" { (text) }
        }
    };
    html! {
        p { (l.t(
            "Columns: sku, name, price, tax_rate, category, barcodes, web, active (separated by ';' or ','). Nothing is imported while a row is wrong.",
            "Colonnes : sku, name, price, tax_rate, category, barcodes, web, active (séparées par ';' ou ','). Rien n'est importé tant qu'une ligne est fausse."
        )) }
        (Form::post("/dashboard/catalog/import", csrf, Layout::Stack).with(fields, l.t("Import", "Importer")))
    }
}

pub async fn import_page(signed: Signed) -> Response {
    let l = signed.lang;
    catalog_page(&signed, "import", l.t("CSV import", "Import CSV"), &Outcome::Shown, import_form(l, &signed.csrf, ""))
}

pub async fn import(State(hq): State<Hq>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let text = form.get("csv").unwrap_or("").to_string();
    let (status, body) = match cat::import_csv(hq.storage.as_ref(), text.as_bytes(), l).await {
        Ok(report) => {
            hq.notify_change();
            tracing::info!(created = report.created, updated = report.updated, user = %signed.user, "catalog imported from the dashboard");
            let done = format!(
                "{} {} {}, {} {}, {} {}",
                l.t("Imported:", "Importé :"),
                report.created,
                l.t("created", "créés"),
                report.updated,
                l.t("updated", "modifiés"),
                report.categories_created.len(),
                l.t("new categories", "nouvelles catégories")
            );
            (StatusCode::OK, html! { (pages::notice(&done)) (import_form(l, &signed.csrf, "")) })
        }
        Err(HqError::CsvRejected { rows }) => {
            let refused = format!(
                "{} {}",
                rows.len(),
                l.t(
                    "row(s) refused: nothing was imported. Correct them and send again.",
                    "ligne(s) refusée(s) : rien n'a été importé. Corrigez-les puis renvoyez."
                )
            );
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| vec![r.line.to_string(), r.column.clone().unwrap_or_else(|| "—".into()), r.message.clone()])
                .collect();
            let heads = [l.t("#Line", "#Ligne"), l.t("Column", "Colonne"), l.t("Problem", "Problème")];
            let body = html! {
                (pages::alert_text(&refused))
                (pages::table("rejections", l.t("Rejection report", "Rapport de rejet"), &heads, &cells, None))
                (import_form(l, &signed.csrf, &text))
            };
            (StatusCode::UNPROCESSABLE_ENTITY, body)
        }
        Err(e) => (e.status(), html! { (super::alert(l, &e)) (import_form(l, &signed.csrf, &text)) }),
    };
    let body = html! { (subnav(l, "import")) (body) };
    pages::page(&signed.frame("catalog"), status, l.t("CSV import", "Import CSV"), body)
}

pub async fn export(State(hq): State<Hq>, signed: Signed) -> Response {
    match cat::export_csv(hq.storage.as_ref()).await {
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
