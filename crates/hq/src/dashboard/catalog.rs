//! The catalog pages: articles (list, search, create, edit), categories, tax rates, CSV
//! import with its rejection report, CSV export. Every write goes through the same
//! validation as the API (`crate::catalog`) and the same storage call, so it reaches the
//! shops through the feed like any other catalog change.
//!
//! The article page also sets a shop's own price (`<section id="shop-prices">`), through
//! the API's `PUT /api/v1/shops/{code}/prices/{sku}` path (`api::stock::set_shop_price`):
//! the price reaches that shop only. HQ's storage lists no shop prices by article, so the
//! page shows the price just set, not the ones set before.

use super::html::{self, Tr, csrf_field, esc};
use super::session::{Signed, SignedForm, error_page};
use crate::HqError;
use crate::catalog::{self as cat, ArticleChange, NewArticle};
use crate::hq::Hq;
use crate::storage::{Article, ArticleWrite, Category, TaxRateView};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use comptoir_core::catalog::{validate_code, validate_name};
use comptoir_core::{Lang, Money, TaxRate};
use std::fmt::Write;

const PAGE: usize = 50;

fn subnav(l: Lang, current: &str) -> String {
    let mut h = format!("<nav aria-label=\"{}\" class=\"sub\"><ul>", l.t("Catalog", "Catalogue"));
    for (key, path, en, fr) in [
        ("articles", "/dashboard/catalog", "Articles", "Articles"),
        ("categories", "/dashboard/catalog/categories", "Categories", "Catégories"),
        ("tax-rates", "/dashboard/catalog/tax-rates", "Tax rates", "Taux de TVA"),
        ("import", "/dashboard/catalog/import", "CSV import", "Import CSV"),
        ("export", "/dashboard/catalog/export.csv", "CSV export", "Export CSV"),
    ] {
        let cur = if key == current { " aria-current=\"page\"" } else { "" };
        let _ = write!(h, "<li><a href=\"{path}\"{cur}>{}</a></li>", l.t(en, fr));
    }
    h.push_str("</ul></nav>");
    h
}

fn price_text(l: Lang, m: Money) -> String {
    let t = m.to_string();
    if l == Lang::Fr { t.replace('.', ",") } else { t }
}

fn parse_price(text: &str) -> Result<Money, HqError> {
    Money::parse_decimal(text).ok_or_else(|| {
        HqError::bad_request(
            format!("price: {text:?} is not an amount; write euros such as 12.50."),
            format!("price : {text:?} n'est pas un montant ; écrivez des euros, par exemple 12,50."),
            Some("price"),
        )
    })
}

fn parse_bp(text: &str) -> Result<i64, HqError> {
    text.trim().parse::<i64>().map_err(|_| {
        HqError::bad_request(
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

/// The fields of an article form, with its current values.
fn article_fields(l: Lang, a: Option<&Article>, rates: &[TaxRateView], cats: &[Category]) -> String {
    let mut h = String::new();
    if a.is_none() {
        let _ = write!(h, "<label>{}<input name=\"sku\" required maxlength=\"32\"></label>", l.t("SKU", "Référence"));
    }
    let _ = write!(
        h,
        "<label>{}<input name=\"name\" required maxlength=\"120\" value=\"{}\"></label>\
         <label>{}<input name=\"price\" required inputmode=\"decimal\" value=\"{}\"></label><label>{}<select name=\"tax_rate_bp\">",
        l.t("Name", "Nom"),
        esc(a.map(|a| a.name.as_str()).unwrap_or("")),
        l.t("Price incl. tax (€)", "Prix TTC (€)"),
        a.map(|a| price_text(l, a.price)).unwrap_or_default(),
        l.t("VAT rate", "Taux de TVA")
    );
    for r in rates.iter().filter(|r| r.active || a.is_some_and(|a| a.tax_rate_bp == r.bp)) {
        let sel = if a.is_some_and(|a| a.tax_rate_bp == r.bp) { " selected" } else { "" };
        let _ = write!(h, "<option value=\"{}\"{sel}>{}</option>", r.bp, esc(&r.name));
    }
    let _ = write!(
        h,
        "</select></label><label>{}<select name=\"category\"><option value=\"\">—</option>",
        l.t("Category", "Catégorie")
    );
    for c in cats.iter().filter(|c| c.active || a.is_some_and(|a| a.category.as_deref() == Some(&c.code))) {
        let sel = if a.is_some_and(|a| a.category.as_deref() == Some(&c.code)) { " selected" } else { "" };
        let _ = write!(h, "<option value=\"{}\"{sel}>{} — {}</option>", esc(&c.code), esc(&c.code), esc(&c.name));
    }
    let _ = write!(
        h,
        "</select></label><label>{}<input name=\"barcodes\" value=\"{}\"></label>\
         <label class=\"check\"><input type=\"checkbox\" name=\"web\"{}> {}</label>",
        l.t("Barcodes (separated by spaces)", "Codes-barres (séparés par des espaces)"),
        esc(&a.map(|a| a.barcodes.join(" ")).unwrap_or_default()),
        if a.is_some_and(|a| a.web) { " checked" } else { "" },
        l.t("Sold on the web", "Vendu sur le web")
    );
    if let Some(a) = a {
        let _ = write!(
            h,
            "<label class=\"check\"><input type=\"checkbox\" name=\"active\"{}> {}</label>",
            if a.active { " checked" } else { "" },
            l.t("Active (on sale)", "Actif (en vente)")
        );
    }
    h
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    after: Option<String>,
}

async fn render_list(hq: &Hq, signed: &Signed, q: &ListQuery, status: StatusCode, message: &str) -> Response {
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
    let mut b = subnav(l, "articles");
    b.push_str(message);
    let _ = write!(
        b,
        "<form class=\"inline\" method=\"get\" action=\"/dashboard/catalog\" role=\"search\"><label>{}<input type=\"search\" name=\"q\" value=\"{}\"></label><button type=\"submit\">{}</button></form>",
        l.t("SKU, name or barcode", "Référence, nom ou code-barres"),
        esc(search.unwrap_or("")),
        l.t("Search", "Rechercher")
    );
    let rows: Vec<Vec<String>> = articles
        .iter()
        .map(|a| {
            vec![
                format!("<a href=\"/dashboard/catalog/articles/{}\">{}</a>", html::url(&a.sku), esc(&a.sku)),
                esc(&a.name),
                esc(a.category.as_deref().unwrap_or("—")),
                esc(&html::money(l, a.price.cents())),
                esc(&TaxRate(a.tax_rate_bp).percent_text()),
                esc(&a.barcodes.join(" ")),
                if a.active { l.t("yes", "oui").into() } else { l.t("no", "non").into() },
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
    b.push_str(&html::table("articles", l.t("Articles", "Articles"), &heads, &rows, None));
    if let Some(next) = next {
        let _ = write!(
            b,
            "<p><a href=\"/dashboard/catalog?q={}&amp;after={}\">{}</a></p>",
            html::url(search.unwrap_or("")),
            html::url(&next),
            l.t("Next page", "Page suivante")
        );
    }
    let _ = write!(
        b,
        "<h2>{}</h2><form class=\"stack\" method=\"post\" action=\"/dashboard/catalog\">{}{}<button type=\"submit\">{}</button></form>",
        l.t("New article", "Nouvel article"),
        csrf_field(&signed.csrf),
        article_fields(l, None, &rates, &cats),
        l.t("Create", "Créer")
    );
    html::page(&signed.frame("catalog"), status, l.t("Catalog", "Catalogue"), &b)
}

pub async fn articles(State(hq): State<Hq>, signed: Signed, Query(q): Query<ListQuery>) -> Response {
    render_list(&hq, &signed, &q, StatusCode::OK, "").await
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
    let q = ListQuery::default();
    match result {
        Ok(a) => {
            let msg = html::notice(&format!("{} {}", l.t("Article created:", "Article créé :"), a.sku));
            render_list(&hq, &signed, &q, StatusCode::OK, &msg).await
        }
        Err(e) => render_list(&hq, &signed, &q, e.status(), &html::alert(l, &e)).await,
    }
}

async fn write_one(hq: &Hq, write: ArticleWrite) -> Result<Article, HqError> {
    let report = hq.storage.write_articles(vec![write], false).await.map_err(|e| HqError::from(e).single())?;
    hq.notify_change();
    report.articles.into_iter().next().ok_or_else(|| HqError::Storage("no article written".into()))
}

async fn render_article(hq: &Hq, signed: &Signed, sku: &str, status: StatusCode, message: &str) -> Response {
    let l = signed.lang;
    let loaded =
        tokio::try_join!(hq.storage.get_article(sku), hq.storage.list_tax_rates(), hq.storage.list_categories());
    let (article, rates, cats) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let Some(a) = article else {
        let e = HqError::NotFound { what: "article", key: sku.into(), field: None };
        return html::page(
            &signed.frame("catalog"),
            StatusCode::NOT_FOUND,
            l.t("Catalog", "Catalogue"),
            &html::alert(l, &e),
        );
    };
    let mut b = subnav(l, "articles");
    b.push_str(message);
    let _ = write!(
        b,
        "<form class=\"stack\" method=\"post\" action=\"/dashboard/catalog/articles/{}\">{}{}<button type=\"submit\">{}</button></form>",
        html::url(&a.sku),
        csrf_field(&signed.csrf),
        article_fields(l, Some(&a), &rates, &cats),
        l.t("Save", "Enregistrer")
    );
    let _ = write!(
        b,
        "<p>{} {}</p><section id=\"shop-prices\" aria-labelledby=\"shop-prices-title\"><h2 id=\"shop-prices-title\">{}</h2><p>{}</p>\
         <form class=\"inline\" method=\"post\" action=\"/dashboard/catalog/articles/{}/shop-price\">{}\
         <label>{}<input name=\"shop\" required maxlength=\"32\"></label>\
         <label>{}<input name=\"price\" inputmode=\"decimal\"></label><button type=\"submit\">{}</button></form></section>",
        l.t("Last changed:", "Dernière modification :"),
        esc(&html::instant(Some(&a.updated_at))),
        l.t("Per-shop prices", "Prix par magasin"),
        l.t(
            "A shop's own price replaces the chain's price in that shop only; leave the price empty to go back to the chain's price.",
            "Le prix propre à un magasin remplace le prix du réseau dans ce magasin seulement ; laissez le prix vide pour revenir au prix du réseau."
        ),
        html::url(&a.sku),
        csrf_field(&signed.csrf),
        l.t("Shop code", "Code du magasin"),
        l.t("Price in euros (tax included)", "Prix en euros (TTC)"),
        l.t("Set the shop's price", "Fixer le prix du magasin")
    );
    let title = format!("{} {}", esc(&a.sku), esc(&a.name));
    html::page(&signed.frame("catalog"), status, &title, &b)
}

pub async fn article(State(hq): State<Hq>, signed: Signed, Path(sku): Path<String>) -> Response {
    render_article(&hq, &signed, &sku, StatusCode::OK, "").await
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
    match result {
        Ok(a) => {
            tracing::info!(sku = %a.sku, user = %signed.user, "article changed from the dashboard");
            let msg = html::notice(l.t(
                "Saved: the shops receive the change within a second.",
                "Enregistré : les magasins reçoivent la modification dans la seconde.",
            ));
            render_article(&hq, &signed, &sku, StatusCode::OK, &msg).await
        }
        Err(e) => render_article(&hq, &signed, &sku, e.status(), &html::alert(l, &e)).await,
    }
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
    match result {
        Ok(p) => {
            tracing::info!(sku = %p.sku, shop = %p.shop, user = %signed.user, "shop price set from the dashboard");
            let msg = match p.price {
                Some(m) => format!(
                    "{} {}{} {}. {}",
                    l.t("Price of shop", "Prix du magasin"),
                    p.shop,
                    l.t(":", " :"),
                    html::money(l, m.cents()),
                    l.t("The shop receives it within a second.", "Le magasin le reçoit dans la seconde.")
                ),
                None => format!(
                    "{} {} {}",
                    l.t("Shop", "Le magasin"),
                    p.shop,
                    l.t("goes back to the chain's price.", "revient au prix du réseau.")
                ),
            };
            render_article(&hq, &signed, &sku, StatusCode::OK, &html::notice(&msg)).await
        }
        Err(e) => render_article(&hq, &signed, &sku, e.status(), &html::alert(l, &e)).await,
    }
}

// ---------------------------------------------------------------- categories

async fn render_categories(hq: &Hq, signed: &Signed, status: StatusCode, message: &str) -> Response {
    let l = signed.lang;
    let cats = match hq.storage.list_categories().await {
        Ok(c) => c,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let mut b = subnav(l, "categories");
    b.push_str(message);
    let rows: Vec<Vec<String>> = cats
        .iter()
        .map(|c| {
            vec![
                esc(&c.code),
                format!(
                    "<form class=\"inline\" method=\"post\" action=\"/dashboard/catalog/categories\">{}<input type=\"hidden\" name=\"action\" value=\"update\">\
                     <input type=\"hidden\" name=\"code\" value=\"{}\"><label>{}<input name=\"name\" value=\"{}\" required maxlength=\"120\"></label>\
                     <label class=\"check\"><input type=\"checkbox\" name=\"active\"{}> {}</label><button type=\"submit\">{}</button></form>",
                    csrf_field(&signed.csrf),
                    esc(&c.code),
                    l.t("Name", "Nom"),
                    esc(&c.name),
                    if c.active { " checked" } else { "" },
                    l.t("Active", "Active"),
                    l.t("Save", "Enregistrer")
                ),
            ]
        })
        .collect();
    b.push_str(&html::table(
        "categories",
        l.t("Categories", "Catégories"),
        &[l.t("Code", "Code"), l.t("Name and state", "Nom et état")],
        &rows,
        None,
    ));
    let _ = write!(
        b,
        "<h2>{}</h2><form class=\"inline\" method=\"post\" action=\"/dashboard/catalog/categories\">{}<input type=\"hidden\" name=\"action\" value=\"create\">\
         <label>{}<input name=\"code\" required maxlength=\"32\"></label><label>{}<input name=\"name\" required maxlength=\"120\"></label><button type=\"submit\">{}</button></form>",
        l.t("New category", "Nouvelle catégorie"),
        csrf_field(&signed.csrf),
        l.t("Code", "Code"),
        l.t("Name", "Nom"),
        l.t("Create", "Créer")
    );
    html::page(&signed.frame("catalog"), status, l.t("Categories", "Catégories"), &b)
}

pub async fn categories(State(hq): State<Hq>, signed: Signed) -> Response {
    render_categories(&hq, &signed, StatusCode::OK, "").await
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
    match result {
        Ok(c) => {
            render_categories(
                &hq,
                &signed,
                StatusCode::OK,
                &html::notice(&format!("{} {}", l.t("Saved:", "Enregistré :"), c.code)),
            )
            .await
        }
        Err(e) => render_categories(&hq, &signed, e.status(), &html::alert(l, &e)).await,
    }
}

// ---------------------------------------------------------------- tax rates

async fn render_rates(hq: &Hq, signed: &Signed, status: StatusCode, message: &str) -> Response {
    let l = signed.lang;
    let rates = match hq.storage.list_tax_rates().await {
        Ok(r) => r,
        Err(e) => return error_page(l, &signed.here, &e.into()),
    };
    let mut b = subnav(l, "tax-rates");
    b.push_str(message);
    let rows: Vec<Vec<String>> = rates
        .iter()
        .map(|r| {
            vec![
                esc(&TaxRate(r.bp).percent_text()),
                format!(
                    "<form class=\"inline\" method=\"post\" action=\"/dashboard/catalog/tax-rates\">{}<input type=\"hidden\" name=\"action\" value=\"update\">\
                     <input type=\"hidden\" name=\"bp\" value=\"{}\"><label>{}<input name=\"name\" value=\"{}\" required maxlength=\"120\"></label>\
                     <label class=\"check\"><input type=\"checkbox\" name=\"active\"{}> {}</label><button type=\"submit\">{}</button></form>",
                    csrf_field(&signed.csrf),
                    r.bp,
                    l.t("Name", "Nom"),
                    esc(&r.name),
                    if r.active { " checked" } else { "" },
                    l.t("Active", "Actif"),
                    l.t("Save", "Enregistrer")
                ),
            ]
        })
        .collect();
    b.push_str(&html::table(
        "tax-rates",
        l.t("Tax rates", "Taux de TVA"),
        &[l.t("#Rate %", "#Taux %"), l.t("Name and state", "Nom et état")],
        &rows,
        None,
    ));
    let _ = write!(
        b,
        "<h2>{}</h2><form class=\"inline\" method=\"post\" action=\"/dashboard/catalog/tax-rates\">{}<input type=\"hidden\" name=\"action\" value=\"create\">\
         <label>{}<input name=\"percent\" required inputmode=\"decimal\"></label><label>{}<input name=\"name\" required maxlength=\"120\"></label><button type=\"submit\">{}</button></form>",
        l.t("New tax rate", "Nouveau taux de TVA"),
        csrf_field(&signed.csrf),
        l.t("Rate (%)", "Taux (%)"),
        l.t("Name", "Nom"),
        l.t("Create", "Créer")
    );
    html::page(&signed.frame("catalog"), status, l.t("Tax rates", "Taux de TVA"), &b)
}

pub async fn tax_rates(State(hq): State<Hq>, signed: Signed) -> Response {
    render_rates(&hq, &signed, StatusCode::OK, "").await
}

pub async fn tax_rate_action(State(hq): State<Hq>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let result = async {
        let name = validate_name("name", &form.text("name"))?;
        let r = match form.get("action") {
            Some("create") => {
                let percent = form.text("percent");
                let rate = TaxRate::parse_percent(&percent).ok_or_else(|| {
                    HqError::bad_request(
                        format!("percent: {percent:?} is not a rate; write 20 or 5.5."),
                        format!("percent : {percent:?} n'est pas un taux ; écrivez 20 ou 5,5."),
                        Some("percent"),
                    )
                })?;
                hq.storage.create_tax_rate(&TaxRateView { bp: rate.bp(), name, active: true }).await?
            }
            _ => {
                let bp = form
                    .text("bp")
                    .parse::<u32>()
                    .map_err(|_| HqError::bad_request("bp: not a rate.", "bp : pas un taux.", Some("bp")))?;
                hq.storage.update_tax_rate(bp, Some(name), Some(form.checked("active"))).await?
            }
        };
        hq.notify_change();
        Ok::<_, HqError>(r)
    }
    .await;
    match result {
        Ok(r) => {
            render_rates(
                &hq,
                &signed,
                StatusCode::OK,
                &html::notice(&format!("{} {}", l.t("Saved:", "Enregistré :"), r.name)),
            )
            .await
        }
        Err(e) => render_rates(&hq, &signed, e.status(), &html::alert(l, &e)).await,
    }
}

// ---------------------------------------------------------------- import and export

fn import_form(l: Lang, csrf: &str, text: &str) -> String {
    format!(
        "<p>{}</p><form class=\"stack\" method=\"post\" action=\"/dashboard/catalog/import\">{}<label>{}<textarea name=\"csv\" required spellcheck=\"false\">{}</textarea></label><button type=\"submit\">{}</button></form>",
        l.t(
            "Columns: sku, name, price, tax_rate, category, barcodes, web, active (separated by ';' or ','). Nothing is imported while a row is wrong.",
            "Colonnes : sku, name, price, tax_rate, category, barcodes, web, active (séparées par ';' ou ','). Rien n'est importé tant qu'une ligne est fausse."
        ),
        csrf_field(csrf),
        l.t("CSV file content", "Contenu du fichier CSV"),
        esc(text),
        l.t("Import", "Importer")
    )
}

pub async fn import_page(signed: Signed) -> Response {
    let l = signed.lang;
    let b = subnav(l, "import") + &import_form(l, &signed.csrf, "");
    html::page(&signed.frame("catalog"), StatusCode::OK, l.t("CSV import", "Import CSV"), &b)
}

pub async fn import(State(hq): State<Hq>, SignedForm(signed, form): SignedForm) -> Response {
    let l = signed.lang;
    let text = form.get("csv").unwrap_or("").to_string();
    let mut b = subnav(l, "import");
    let status = match cat::import_csv(hq.storage.as_ref(), text.as_bytes(), l).await {
        Ok(report) => {
            hq.notify_change();
            tracing::info!(created = report.created, updated = report.updated, user = %signed.user, "catalog imported from the dashboard");
            b.push_str(&html::notice(&format!(
                "{} {} {}, {} {}, {} {}",
                l.t("Imported:", "Importé :"),
                report.created,
                l.t("created", "créés"),
                report.updated,
                l.t("updated", "modifiés"),
                report.categories_created.len(),
                l.t("new categories", "nouvelles catégories")
            )));
            b.push_str(&import_form(l, &signed.csrf, ""));
            StatusCode::OK
        }
        Err(HqError::CsvRejected { rows }) => {
            let _ = write!(
                b,
                "<div class=\"alert\" role=\"alert\">{} {}</div>",
                rows.len(),
                l.t(
                    "row(s) refused: nothing was imported. Correct them and send again.",
                    "ligne(s) refusée(s) : rien n'a été importé. Corrigez-les puis renvoyez."
                )
            );
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| vec![r.line.to_string(), esc(r.column.as_deref().unwrap_or("—")), esc(&r.message)])
                .collect();
            b.push_str(&html::table(
                "rejections",
                l.t("Rejection report", "Rapport de rejet"),
                &[l.t("#Line", "#Ligne"), l.t("Column", "Colonne"), l.t("Problem", "Problème")],
                &cells,
                None,
            ));
            b.push_str(&import_form(l, &signed.csrf, &text));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => {
            b.push_str(&html::alert(l, &e));
            b.push_str(&import_form(l, &signed.csrf, &text));
            e.status()
        }
    };
    html::page(&signed.frame("catalog"), status, l.t("CSV import", "Import CSV"), &b)
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
