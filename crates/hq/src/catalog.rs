//! The chain's catalog as HQ owns it: request bodies (the same as the shop's), their
//! validation with `comptoir_core::catalog` into [`ArticleWrite`]s, and CSV import/export in
//! the shop's format.
//!
//! CSV columns (header required, any order, case-insensitive): `sku`, `name`, `price`
//! (euros, `1.20` or `1,20`), `tax_rate` (percent, `5.5`), and optionally `category` (a
//! code, created when unknown), `barcodes` (separated by `|` or spaces), `web` and `active`
//! (`1`/`0`, `yes`/`no`, `oui`/`non`, `true`/`false`). Delimiter `,` or `;`, detected from
//! the header. All or nothing: one transaction, every bad row reported.

use crate::error::{HqError, RowError};
use crate::storage::{Article, ArticleUpdate, ArticleWrite, HqStorage};
use comptoir_core::catalog::{validate_barcode, validate_code, validate_name, validate_price};
use comptoir_core::spreadsheet::{read_cell, safe_cell};
use comptoir_core::{Lang, Money, TaxRate};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArticle {
    pub sku: String,
    pub name: String,
    /// Tax-inclusive price in cents.
    pub price: Money,
    pub tax_rate_bp: i64,
    #[serde(default)]
    pub barcodes: Vec<String>,
    pub category: Option<String>,
    #[serde(default)]
    pub web: bool,
}

/// Fields to change; those left out keep their value. `category: ""` removes the category.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleChange {
    pub name: Option<String>,
    pub price: Option<Money>,
    pub tax_rate_bp: Option<i64>,
    pub barcodes: Option<Vec<String>>,
    pub category: Option<String>,
    pub web: Option<bool>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaxRate {
    /// Basis points: 550 for 5.5 %.
    pub bp: i64,
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActiveChange {
    pub name: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub categories_created: Vec<String>,
}

fn barcodes(codes: &[String]) -> Result<Vec<String>, HqError> {
    let mut clean: Vec<String> = Vec::with_capacity(codes.len());
    for (i, code) in codes.iter().enumerate() {
        let field = format!("barcodes[{i}]");
        let code = validate_barcode(&field, code)?;
        if clean.contains(&code) {
            return Err(HqError::invalid(
                "duplicate_barcode",
                format!("Barcode {code} is listed twice."),
                format!("Le code-barres {code} est cité deux fois."),
                Some(&field),
            ));
        }
        clean.push(code);
    }
    Ok(clean)
}

fn category(code: Option<&str>) -> Result<Option<String>, HqError> {
    match code {
        Some(c) if !c.is_empty() => Ok(Some(validate_code("category", c)?)),
        _ => Ok(None),
    }
}

pub fn validate_new_article(a: NewArticle) -> Result<ArticleWrite, HqError> {
    Ok(ArticleWrite::Create {
        sku: validate_code("sku", &a.sku)?,
        name: validate_name("name", &a.name)?,
        price: validate_price("price", a.price)?,
        tax_rate: TaxRate::new(a.tax_rate_bp, "tax_rate_bp")?,
        barcodes: barcodes(&a.barcodes)?,
        category: category(a.category.as_deref())?,
        web: a.web,
    })
}

pub fn validate_change(c: ArticleChange) -> Result<ArticleUpdate, HqError> {
    Ok(ArticleUpdate {
        name: c.name.as_deref().map(|n| validate_name("name", n)).transpose()?,
        price: c.price.map(|p| validate_price("price", p)).transpose()?,
        tax_rate: c.tax_rate_bp.map(|bp| TaxRate::new(bp, "tax_rate_bp")).transpose()?,
        barcodes: c.barcodes.as_deref().map(barcodes).transpose()?,
        category: c.category.as_deref().map(|c| category(Some(c))).transpose()?,
        web: c.web,
        active: c.active,
    })
}

const KNOWN: [&str; 8] = ["sku", "name", "price", "tax_rate", "category", "barcodes", "web", "active"];
const REQUIRED: [&str; 4] = ["sku", "name", "price", "tax_rate"];
/// Most rows one file may hold.
pub const MAX_ROWS: usize = 500_000;

fn parse_flag(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "oui" | "true" | "y" | "o" | "x" => Some(true),
        "0" | "no" | "non" | "false" | "n" | "" => Some(false),
        _ => None,
    }
}

fn row(line: usize, column: Option<&str>, en: String, fr: String, lang: Lang) -> RowError {
    RowError { line, column: column.map(str::to_string), message: lang.pick(en, fr) }
}

/// The column of the file an API field stands for.
fn column_of(field: Option<String>) -> Option<String> {
    field.map(|f| match f.split(['[', '.']).next().unwrap_or("") {
        "tax_rate_bp" => "tax_rate".to_string(),
        other => other.to_string(),
    })
}

/// The good rows of a file (with their line numbers) and the bad ones.
pub type ParsedCsv = (Vec<(usize, ArticleWrite)>, Vec<RowError>);

/// Reads a CSV file into upserts (syntax only): the good rows and every bad row; a bad
/// header refuses the file at once.
pub fn parse_csv(data: &[u8], lang: Lang) -> Result<ParsedCsv, HqError> {
    let (mut reader, index) = comptoir_http::csv_header::read(data, &KNOWN, &REQUIRED)
        .map_err(|e| HqError::CsvRejected { rows: vec![row(1, None, e.en, e.fr, lang)] })?;
    let mut errors = Vec::new();
    let mut writes = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        if n >= MAX_ROWS {
            errors.push(row(
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
                errors.push(row(line, None, format!("Unreadable row: {e}"), format!("Ligne illisible : {e}"), lang));
                continue;
            }
        };
        let cell = |k: &str| index.get(k).and_then(|i| record.get(*i)).map(read_cell).unwrap_or("");
        let mut bad = |column: Option<String>, message: String| errors.push(RowError { line, column, message });
        let sku = match validate_code("sku", cell("sku")) {
            Ok(s) => s,
            Err(e) => {
                bad(Some("sku".into()), e.message(lang));
                continue;
            }
        };
        if let Some(first) = seen.insert(sku.clone(), line) {
            bad(
                Some("sku".into()),
                lang.pick(
                    format!("SKU {sku} already appears on line {first}."),
                    format!("Le SKU {sku} figure déjà ligne {first}."),
                ),
            );
            continue;
        }
        let Some(price) = Money::parse_decimal(cell("price")) else {
            bad(
                Some("price".into()),
                lang.pick(
                    format!("Price {:?} is not an amount in euros (e.g. 1.20).", cell("price")),
                    format!("Le prix {:?} n'est pas un montant en euros (par ex. 1,20).", cell("price")),
                ),
            );
            continue;
        };
        let Some(rate) = TaxRate::parse_percent(cell("tax_rate")) else {
            bad(
                Some("tax_rate".into()),
                lang.pick(
                    format!("Tax rate {:?} is not a percentage (e.g. 5.5).", cell("tax_rate")),
                    format!("Le taux {:?} n'est pas un pourcentage (par ex. 5,5).", cell("tax_rate")),
                ),
            );
            continue;
        };
        let mut flags = [None, None];
        let mut flag_error = false;
        for (slot, column) in flags.iter_mut().zip(["web", "active"]) {
            if index.contains_key(column) {
                match parse_flag(cell(column)) {
                    Some(v) => *slot = Some(v),
                    None => {
                        flag_error = true;
                        bad(
                            Some(column.into()),
                            lang.pick(
                                format!("{column} {:?} is not yes/no (1/0).", cell(column)),
                                format!("{column} {:?} n'est pas oui/non (1/0).", cell(column)),
                            ),
                        );
                    }
                }
            }
        }
        if flag_error {
            continue;
        }
        let change = ArticleChange {
            name: Some(cell("name").to_string()),
            price: Some(price),
            tax_rate_bp: Some(rate.bp() as i64),
            barcodes: index.contains_key("barcodes").then(|| {
                cell("barcodes")
                    .split(|c: char| c == '|' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            }),
            category: Some(cell("category").to_string()),
            web: flags[0],
            active: flags[1],
        };
        match validate_change(change) {
            Ok(update) => writes.push((line, ArticleWrite::Upsert { sku, update })),
            Err(e) => bad(column_of(e.field()), e.message(lang)),
        }
    }
    Ok((writes, errors))
}

/// Imports a CSV file: parse, then one storage transaction; every refusal names its line.
/// When some rows are already refused by their syntax, the others are still tried (and
/// rolled back) so that the report names every bad row at once.
pub async fn import_csv(storage: &dyn HqStorage, data: &[u8], lang: Lang) -> Result<ImportReport, HqError> {
    let (parsed, mut errors) = parse_csv(data, lang)?;
    let lines: Vec<usize> = parsed.iter().map(|(l, _)| *l).collect();
    let writes = parsed.into_iter().map(|(_, w)| w).collect();
    let result = storage.write_articles(writes, !errors.is_empty()).await.map_err(HqError::from);
    match result {
        Ok(r) if errors.is_empty() => {
            return Ok(ImportReport {
                created: r.created,
                updated: r.updated,
                categories_created: r.categories_created,
            });
        }
        Ok(_) => {}
        Err(HqError::Rows(rows)) => errors.extend(rows.into_iter().map(|(i, e)| RowError {
            line: lines[i],
            column: column_of(e.field()),
            message: e.message(lang),
        })),
        Err(e) => return Err(e),
    }
    errors.sort_by_key(|r| r.line);
    Err(HqError::CsvRejected { rows: errors })
}

/// The whole catalog as CSV, in the format [`parse_csv`] reads.
pub async fn export_csv(storage: &dyn HqStorage) -> Result<Vec<u8>, HqError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| HqError::Storage(format!("CSV export: {e}"));
    writer.write_record(KNOWN).map_err(csv_err)?;
    let mut after: Option<String> = None;
    loop {
        let (page, next): (Vec<Article>, _) = storage.list_articles(None, after.as_deref(), 1000).await?;
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
    writer.into_inner().map_err(|e| HqError::Storage(format!("CSV export: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_checked_before_storage() {
        let data = "sku;name;price;tax_rate;barcodes\nA1;Pain;1,20;5,5;3017620422003\nA1;Bis;1;5.5;\nB1;Vin;x;20;\nC1;Eau;1;20;3017620422004\n";
        let (good, rows) = parse_csv(data.as_bytes(), Lang::En).unwrap();
        assert_eq!(good.len(), 1);
        let got: Vec<(usize, Option<&str>)> = rows.iter().map(|r| (r.line, r.column.as_deref())).collect();
        assert_eq!(got, vec![(3, Some("sku")), (4, Some("price")), (5, Some("barcodes"))]);
        let (ok, _) = parse_csv(b"sku,name,price,tax_rate\nA1,Pain,1.20,5.5\n", Lang::En).unwrap();
        let ArticleWrite::Upsert { sku, update } = &ok[0].1 else { panic!() };
        assert_eq!((sku.as_str(), update.price, update.tax_rate), ("A1", Some(Money(120)), Some(TaxRate(550))));
        assert_eq!(update.category, Some(None));
    }
}
