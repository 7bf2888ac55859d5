//! CSV import and export of the catalog.
//!
//! Columns (header required, any order, names case-insensitive): `sku`, `name`, `price`
//! (euros, `1.20` or `1,20`), `tax_rate` (percent, `5.5`), and optionally `category`
//! (a category code, created when unknown), `barcodes` (separated by `|` or spaces),
//! `web` and `active` (`1`/`0`, `yes`/`no`, `oui`/`non`, `true`/`false`). The delimiter is
//! `,` or `;` (as French spreadsheets write it), detected from the header.
//!
//! An article whose SKU exists is updated, others are created. The import is all or
//! nothing: one transaction, and when any row is bad nothing is written and the report
//! names every bad row (its line in the file, the column and why).

use crate::catalog::{
    ArticleChange, NewArticle, NewCategory, create_article, create_category, get_article, list_articles,
    list_categories, list_tax_rates, update_article,
};
use crate::error::{RowError, ShopError};
use comptoir_core::spreadsheet::{read_cell, safe_cell};
use comptoir_core::{Lang, Money, TaxRate};
use rusqlite::Connection;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// Most rows one file may hold.
pub const MAX_ROWS: usize = 500_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub categories_created: Vec<String>,
}

const KNOWN: [&str; 8] = ["sku", "name", "price", "tax_rate", "category", "barcodes", "web", "active"];
const REQUIRED: [&str; 4] = ["sku", "name", "price", "tax_rate"];

fn parse_flag(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "oui" | "true" | "y" | "o" | "x" => Some(true),
        "0" | "no" | "non" | "false" | "n" | "" => Some(false),
        _ => None,
    }
}

fn row_error(line: usize, column: Option<&str>, en: String, fr: String, lang: Lang) -> RowError {
    RowError { line, column: column.map(str::to_string), message: lang.pick(en, fr) }
}

/// Imports a CSV file into the catalog, inside the caller's transaction.
pub fn import(conn: &Connection, data: &[u8], lang: Lang) -> Result<ImportReport, ShopError> {
    let (mut reader, index) = comptoir_http::csv_header::read(data, &KNOWN, &REQUIRED)
        .map_err(|e| ShopError::CsvRejected { rows: vec![row_error(1, None, e.en, e.fr, lang)] })?;

    let mut errors = Vec::new();
    let mut report = ImportReport { created: 0, updated: 0, categories_created: Vec::new() };
    let mut known_categories: HashSet<String> = list_categories(conn)?.into_iter().map(|c| c.code).collect();
    let usable_rates: HashSet<u32> = list_tax_rates(conn)?.into_iter().filter(|t| t.active).map(|t| t.bp).collect();
    let mut seen_skus: HashMap<String, usize> = HashMap::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        if n >= MAX_ROWS {
            errors.push(row_error(
                line,
                None,
                format!("More than {MAX_ROWS} rows; split the file."),
                format!("Plus de {MAX_ROWS} lignes ; scindez le fichier."),
                lang,
            ));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(row_error(
                    line,
                    None,
                    format!("Unreadable row: {e}"),
                    format!("Ligne illisible : {e}"),
                    lang,
                ));
                continue;
            }
        };
        let cell = |k: &str| index.get(k).and_then(|i| record.get(*i)).map(read_cell).unwrap_or("");
        let sku = cell("sku").to_string();
        if let Some(first) = seen_skus.insert(sku.clone(), line) {
            errors.push(row_error(
                line,
                Some("sku"),
                format!("SKU {sku} already appears on line {first}."),
                format!("Le SKU {sku} figure déjà ligne {first}."),
                lang,
            ));
            continue;
        }
        let Some(price) = Money::parse_decimal(cell("price")) else {
            errors.push(row_error(
                line,
                Some("price"),
                format!("Price {:?} is not an amount in euros (e.g. 1.20).", cell("price")),
                format!("Le prix {:?} n'est pas un montant en euros (par ex. 1,20).", cell("price")),
                lang,
            ));
            continue;
        };
        let Some(rate) = TaxRate::parse_percent(cell("tax_rate")) else {
            errors.push(row_error(
                line,
                Some("tax_rate"),
                format!("Tax rate {:?} is not a percentage (e.g. 5.5).", cell("tax_rate")),
                format!("Le taux {:?} n'est pas un pourcentage (par ex. 5,5).", cell("tax_rate")),
                lang,
            ));
            continue;
        };
        if !usable_rates.contains(&rate.bp()) {
            errors.push(row_error(
                line,
                Some("tax_rate"),
                format!("No active tax rate of {} % in this shop; fix the rate or create it first (comptoir shop tax-rate add).", rate.percent_text()),
                format!("Aucun taux de TVA actif de {} % dans la boutique ; corrigez le taux ou créez-le d'abord (comptoir shop tax-rate add).", rate.percent_text()),
                lang,
            ));
            continue;
        }
        let mut flags = [None, None];
        let mut bad_flag = false;
        for (slot, column) in flags.iter_mut().zip(["web", "active"]) {
            if index.contains_key(column) {
                match parse_flag(cell(column)) {
                    Some(v) => *slot = Some(v),
                    None => {
                        bad_flag = true;
                        errors.push(row_error(
                            line,
                            Some(column),
                            format!("{column} {:?} is not yes/no (1/0).", cell(column)),
                            format!("{column} {:?} n'est pas oui/non (1/0).", cell(column)),
                            lang,
                        ));
                    }
                }
            }
        }
        if bad_flag {
            continue;
        }
        let [web, active] = flags;
        let category = Some(cell("category").to_string()).filter(|c| !c.is_empty());
        if let Some(code) = &category
            && !known_categories.contains(code)
        {
            match create_category(conn, NewCategory { code: code.clone(), name: code.clone() }) {
                Ok(_) => {
                    known_categories.insert(code.clone());
                    report.categories_created.push(code.clone());
                }
                Err(e) => {
                    errors.push(RowError { line, column: Some("category".into()), message: e.message(lang) });
                    continue;
                }
            }
        }
        let barcodes: Option<Vec<String>> = index.contains_key("barcodes").then(|| {
            cell("barcodes")
                .split(|c: char| c == '|' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        });
        let result = match get_article(conn, &sku)? {
            Some(_) => update_article(
                conn,
                &sku,
                ArticleChange {
                    name: Some(cell("name").to_string()),
                    price: Some(price),
                    tax_rate_bp: Some(rate.bp() as i64),
                    barcodes,
                    category: Some(category.unwrap_or_default()),
                    web,
                    active,
                },
            )
            .map(|_| report.updated += 1),
            None => create_article(
                conn,
                NewArticle {
                    sku: sku.clone(),
                    name: cell("name").to_string(),
                    price,
                    tax_rate_bp: rate.bp() as i64,
                    barcodes: barcodes.unwrap_or_default(),
                    category,
                    web: web.unwrap_or(false),
                },
            )
            .and_then(|_| match active {
                Some(false) => update_article(conn, &sku, ArticleChange { active: Some(false), ..Default::default() }),
                _ => Ok(get_article(conn, &sku)?.expect("just created")),
            })
            .map(|_| report.created += 1),
        };
        if let Err(e) = result {
            if let ShopError::Storage(_) = e {
                return Err(e);
            }
            // The API's field names, as the file's columns.
            let column = e.field().map(|f| match f.split(['[', '.']).next().unwrap_or("") {
                "tax_rate_bp" => "tax_rate".to_string(),
                other => other.to_string(),
            });
            errors.push(RowError { line, column, message: e.message(lang) });
        }
    }
    if errors.is_empty() { Ok(report) } else { Err(ShopError::CsvRejected { rows: errors }) }
}

/// The catalog's export by `user`, journaled (an export of data is a fiscal event, NF525):
/// run in a write transaction.
pub fn export_recorded(conn: &Connection, user: &str) -> Result<Vec<u8>, ShopError> {
    let data = export(conn)?;
    let articles = data.iter().filter(|b| **b == b'\n').count().saturating_sub(1);
    crate::shop::journal(
        conn,
        crate::journal::codes::EXPORT,
        Some(user),
        &format!("catalog CSV, {articles} articles"),
    )?;
    Ok(data)
}

/// The whole catalog as CSV, in the format [`import`] reads.
pub fn export(conn: &Connection) -> Result<Vec<u8>, ShopError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| ShopError::Storage(format!("CSV export: {e}"));
    writer.write_record(KNOWN).map_err(csv_err)?;
    let mut after: Option<String> = None;
    loop {
        let (page, next) = list_articles(conn, None, after.as_deref(), 1000)?;
        for a in page {
            let cells = [
                a.sku.as_str(),
                a.name.as_str(),
                &a.price.to_string(),
                &TaxRate(a.tax_rate_bp).percent_text(),
                a.category.as_deref().unwrap_or(""),
                &a.barcodes.join("|"),
                if a.web { "1" } else { "0" },
                if a.active { "1" } else { "0" },
            ];
            writer.write_record(cells.map(safe_cell).iter().map(|c| c.as_bytes())).map_err(csv_err)?;
        }
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    writer.into_inner().map_err(|e| ShopError::Storage(format!("CSV export: {e}")))
}
