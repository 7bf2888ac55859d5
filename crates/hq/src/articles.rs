//! The plan of article writes: what a list of [`ArticleWrite`]s does, decided without a
//! database, as [`crate::stock::plan`] decides a stock record.
//!
//! A backend, inside its writing transaction, reads the [`ArticleFacts`] that [`needs`]
//! names (the tax rates, the category codes, the articles of the SKUs and the holders of
//! the barcodes the writes name), calls [`plan`], and either reports the refusals or
//! writes the plan's [`Op`]s in order. Referential rules live here:
//! - a tax rate must exist and be active, a category must exist (the CSV import, an
//!   [`ArticleWrite::Upsert`], creates an unknown one, named by its code);
//! - a SKU names one article, whatever its letters' case (`A1` and `a1` are one SKU, kept
//!   as first written): a create refuses a held SKU, an update an unknown one; an upsert of
//!   an unknown SKU needs a name, a price and a tax rate;
//! - a barcode identifies one article.
//!
//! Writes are planned in order, each seeing what the ones before it did (a category the
//! import created, a barcode an earlier row released). When any write is refused nothing
//! is written, and every refusal is reported with the index of its write.

use crate::storage::{Article, ArticleUpdate, ArticleWrite, ArticleWriteReport, Category, TaxRateView};
use comptoir_core::TaxRate;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What the backend reads before planning, in the same transaction as the writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleFacts {
    /// Every tax rate HQ holds.
    pub tax_rates: Vec<TaxRateView>,
    /// Every category code HQ holds.
    pub categories: HashSet<String>,
    /// The article held under each SKU of [`needs`], keyed by [`sku_key`] (a SKU absent
    /// here is not held, in any case).
    pub articles: HashMap<String, Article>,
    /// `barcode -> (article id, SKU)` for each barcode of [`needs`] that an article holds.
    pub barcodes: HashMap<String, (Uuid, String)>,
}

/// The key a SKU is unique by: codes are ASCII, compared without case.
pub fn sku_key(sku: &str) -> String {
    sku.to_ascii_lowercase()
}

/// The SKUs and the barcodes the writes name: what [`ArticleFacts`] must hold.
pub fn needs(writes: &[ArticleWrite]) -> (Vec<String>, Vec<String>) {
    let mut skus = Vec::new();
    let mut barcodes = Vec::new();
    for w in writes {
        match w {
            ArticleWrite::Create { sku, barcodes: codes, .. } => {
                skus.push(sku.clone());
                barcodes.extend(codes.iter().cloned());
            }
            ArticleWrite::Update { sku, update } | ArticleWrite::Upsert { sku, update } => {
                skus.push(sku.clone());
                barcodes.extend(update.barcodes.iter().flatten().cloned());
            }
        }
    }
    skus.sort();
    skus.dedup();
    barcodes.sort();
    barcodes.dedup();
    (skus, barcodes)
}

/// Why a write is refused: a fact, turned into a kind, a field and a message by `HqError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    TaxRateUnknown(TaxRate),
    TaxRateInactive(TaxRate),
    CategoryUnknown(String),
    /// A create names a SKU HQ holds.
    SkuTaken(String),
    /// An update names a SKU HQ does not hold.
    SkuUnknown(String),
    /// An upsert of an unknown SKU lacks its name, price or tax rate.
    NewArticleIncomplete,
    /// Barcode number `index` of the write belongs to the article `sku`.
    BarcodeHeld {
        index: usize,
        code: String,
        sku: String,
    },
}

/// One write of the plan, in the order the backend makes them (each with its feed change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// A category the import names and HQ does not hold.
    CreateCategory(Category),
    /// The article as it must be stored (`insert`: new), its barcodes replacing the held ones.
    StoreArticle { article: Article, insert: bool },
}

/// What the writes do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticlePlan {
    pub ops: Vec<Op>,
    pub report: ArticleWriteReport,
}

/// The writes' state as planned so far, over the facts read.
struct Held {
    facts: ArticleFacts,
}

impl Held {
    fn rate(&self, rate: TaxRate) -> Result<u32, Refusal> {
        match self.facts.tax_rates.iter().find(|t| t.bp == rate.bp()) {
            Some(t) if t.active => Ok(rate.bp()),
            Some(_) => Err(Refusal::TaxRateInactive(rate)),
            None => Err(Refusal::TaxRateUnknown(rate)),
        }
    }

    /// The category an article may use; with `create`, an unknown code is planned.
    fn category(&self, code: String, create: bool, new: &mut Vec<Category>) -> Result<String, Refusal> {
        if self.facts.categories.contains(&code) || new.iter().any(|c| c.code == code) {
            return Ok(code);
        }
        if !create {
            return Err(Refusal::CategoryUnknown(code));
        }
        new.push(Category { code: code.clone(), name: code.clone(), active: true });
        Ok(code)
    }

    fn barcodes(&self, codes: &[String], owner: Option<Uuid>) -> Result<(), Refusal> {
        for (index, code) in codes.iter().enumerate() {
            if let Some((id, sku)) = self.facts.barcodes.get(code)
                && Some(*id) != owner
            {
                return Err(Refusal::BarcodeHeld { index, code: code.clone(), sku: sku.clone() });
            }
        }
        Ok(())
    }

    /// Takes a planned write in: later writes see it.
    fn store(&mut self, a: &Article, new: Vec<Category>) {
        for c in new {
            self.facts.categories.insert(c.code);
        }
        if let Some(old) = self.facts.articles.get(&sku_key(&a.sku)) {
            for code in &old.barcodes {
                self.facts.barcodes.remove(code);
            }
        }
        for code in &a.barcodes {
            self.facts.barcodes.insert(code.clone(), (a.id, a.sku.clone()));
        }
        self.facts.articles.insert(sku_key(&a.sku), a.clone());
    }
}

/// Plans `writes` over `facts` at instant `now`; refused writes by index, or the plan.
pub fn plan(writes: Vec<ArticleWrite>, facts: ArticleFacts, now: &str) -> Result<ArticlePlan, Vec<(usize, Refusal)>> {
    let mut held = Held { facts };
    let mut ops = Vec::new();
    let mut report = ArticleWriteReport::default();
    let mut refused = Vec::new();
    for (i, w) in writes.into_iter().enumerate() {
        let mut new_categories = Vec::new();
        match one(&held, w, now, &mut new_categories) {
            Ok((article, insert)) => {
                if insert {
                    report.created += 1;
                } else {
                    report.updated += 1;
                }
                for c in &new_categories {
                    report.categories_created.push(c.code.clone());
                    ops.push(Op::CreateCategory(c.clone()));
                }
                held.store(&article, new_categories);
                report.articles.push(article.clone());
                ops.push(Op::StoreArticle { article, insert });
            }
            Err(r) => refused.push((i, r)),
        }
    }
    if refused.is_empty() { Ok(ArticlePlan { ops, report }) } else { Err(refused) }
}

/// One write over what is held; `(article, created)`.
fn one(held: &Held, write: ArticleWrite, now: &str, cats: &mut Vec<Category>) -> Result<(Article, bool), Refusal> {
    let (sku, update, upsert): (String, ArticleUpdate, bool) = match write {
        ArticleWrite::Create { sku, name, price, tax_rate, barcodes, category, web } => {
            let tax_rate_bp = held.rate(tax_rate)?;
            let category = category.map(|code| held.category(code, false, cats)).transpose()?;
            if let Some(taken) = held.facts.articles.get(&sku_key(&sku)) {
                return Err(Refusal::SkuTaken(taken.sku.clone()));
            }
            held.barcodes(&barcodes, None)?;
            let a = Article {
                id: Uuid::now_v7(),
                sku,
                name,
                category,
                tax_rate_bp,
                price,
                barcodes,
                web,
                active: true,
                updated_at: now.to_string(),
            };
            return Ok((a, true));
        }
        ArticleWrite::Update { sku, update } => (sku, update, false),
        ArticleWrite::Upsert { sku, update } => (sku, update, true),
    };
    let (mut a, created) = match held.facts.articles.get(&sku_key(&sku)) {
        Some(a) => (a.clone(), false),
        None if upsert => {
            let (Some(name), Some(price), Some(rate)) = (update.name.clone(), update.price, update.tax_rate) else {
                return Err(Refusal::NewArticleIncomplete);
            };
            let a = Article {
                id: Uuid::now_v7(),
                sku: sku.clone(),
                name,
                category: None,
                tax_rate_bp: rate.bp(),
                price,
                barcodes: Vec::new(),
                web: false,
                active: true,
                updated_at: now.to_string(),
            };
            (a, true)
        }
        None => return Err(Refusal::SkuUnknown(sku)),
    };
    if let Some(name) = update.name {
        a.name = name;
    }
    if let Some(price) = update.price {
        a.price = price;
    }
    if let Some(rate) = update.tax_rate {
        a.tax_rate_bp = held.rate(rate)?;
    } else if created {
        held.rate(TaxRate(a.tax_rate_bp))?;
    }
    if let Some(category) = update.category {
        a.category = category.map(|code| held.category(code, upsert, cats)).transpose()?;
    }
    if let Some(web) = update.web {
        a.web = web;
    }
    if let Some(active) = update.active {
        a.active = active;
    }
    if let Some(codes) = update.barcodes {
        held.barcodes(&codes, Some(a.id))?;
        a.barcodes = codes;
    }
    a.updated_at = now.to_string();
    Ok((a, created))
}

#[cfg(test)]
mod tests {
    use super::*;
    use comptoir_core::Money;

    fn facts() -> ArticleFacts {
        let rate = |bp, active| TaxRateView { bp, name: format!("{bp}"), active };
        let held = Article {
            id: Uuid::now_v7(),
            sku: "CAFE".into(),
            name: "Café".into(),
            category: None,
            tax_rate_bp: 550,
            price: Money(450),
            barcodes: vec!["3017620422003".into()],
            web: false,
            active: true,
            updated_at: "t0".into(),
        };
        ArticleFacts {
            tax_rates: vec![rate(2000, true), rate(550, true), rate(1000, false)],
            categories: ["EPICERIE".to_string()].into(),
            barcodes: [("3017620422003".to_string(), (held.id, "CAFE".to_string()))].into(),
            articles: [(sku_key("CAFE"), held)].into(),
        }
    }

    fn create(sku: &str, rate: u32, barcodes: &[&str], category: Option<&str>) -> ArticleWrite {
        ArticleWrite::Create {
            sku: sku.into(),
            name: sku.into(),
            price: Money(100),
            tax_rate: TaxRate(rate),
            barcodes: barcodes.iter().map(|b| b.to_string()).collect(),
            category: category.map(str::to_string),
            web: false,
        }
    }

    #[test]
    fn a_create_is_checked_against_rates_categories_skus_and_barcodes() {
        let writes = vec![
            create("THE", 1000, &[], None),
            create("THE", 900, &[], None),
            create("THE", 550, &[], Some("BOISSONS")),
            create("CAFE", 550, &[], None),
            create("THE", 550, &["0", "3017620422003"], None),
            create("cafe", 550, &[], None),
        ];
        let refused = plan(writes, facts(), "t1").unwrap_err();
        assert_eq!(
            refused,
            vec![
                (0, Refusal::TaxRateInactive(TaxRate(1000))),
                (1, Refusal::TaxRateUnknown(TaxRate(900))),
                (2, Refusal::CategoryUnknown("BOISSONS".into())),
                (3, Refusal::SkuTaken("CAFE".into())),
                (4, Refusal::BarcodeHeld { index: 1, code: "3017620422003".into(), sku: "CAFE".into() }),
                (5, Refusal::SkuTaken("CAFE".into())),
            ]
        );
    }

    #[test]
    fn an_import_creates_its_categories_and_sees_its_own_earlier_rows() {
        let update = |barcodes: Option<Vec<String>>, category: Option<&str>| ArticleUpdate {
            name: Some("Thé vert".into()),
            price: Some(Money(390)),
            tax_rate: Some(TaxRate(550)),
            barcodes,
            category: category.map(|c| Some(c.to_string())),
            ..ArticleUpdate::default()
        };
        let writes = vec![
            // The café gives its barcode up, then the tea takes it: row 2 sees row 1.
            ArticleWrite::Upsert { sku: "CAFE".into(), update: update(Some(vec![]), None) },
            ArticleWrite::Upsert {
                sku: "THE".into(),
                update: update(Some(vec!["3017620422003".into()]), Some("BOISSONS")),
            },
            ArticleWrite::Upsert { sku: "TISANE".into(), update: update(None, Some("BOISSONS")) },
        ];
        let p = plan(writes, facts(), "t1").unwrap();
        assert_eq!((p.report.created, p.report.updated), (2, 1));
        assert_eq!(p.report.categories_created, vec!["BOISSONS".to_string()], "created once");
        let kinds: Vec<&str> = p
            .ops
            .iter()
            .map(|o| match o {
                Op::CreateCategory(_) => "category",
                Op::StoreArticle { insert: true, .. } => "insert",
                Op::StoreArticle { insert: false, .. } => "update",
            })
            .collect();
        assert_eq!(kinds, ["update", "category", "insert", "insert"], "a category before the article using it");
    }

    #[test]
    fn an_update_needs_a_held_sku_and_an_upsert_a_whole_new_article() {
        let writes = vec![
            ArticleWrite::Update { sku: "THE".into(), update: ArticleUpdate::default() },
            ArticleWrite::Upsert {
                sku: "THE".into(),
                update: ArticleUpdate { name: Some("Thé".into()), ..ArticleUpdate::default() },
            },
            ArticleWrite::Update {
                sku: "CAFE".into(),
                update: ArticleUpdate { barcodes: Some(vec!["3017620422003".into()]), ..ArticleUpdate::default() },
            },
        ];
        let refused = plan(writes, facts(), "t1").unwrap_err();
        assert_eq!(refused, vec![(0, Refusal::SkuUnknown("THE".into())), (1, Refusal::NewArticleIncomplete)]);
    }
}
