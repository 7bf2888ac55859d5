//! `comptoir shop article|category|tax-rate|register|user ...`: the catalog and staff of a
//! shop without HQ, from the command line. Each command calls the same functions as the
//! API, in one transaction, and prints the record as JSON.

use clap::{Args, Subcommand};
use comptoir_core::catalog::Role;
use comptoir_core::{Money, TaxRate};
use comptoir_shop::catalog::{self, ArticleChange, CategoryChange, NewArticle, NewCategory, NewTaxRate, TaxRateChange};
use comptoir_shop::staff::{self, NewRegister, NewUser, RegisterChange, UserChange};
use comptoir_shop::{Shop, ShopError};
use serde::Serialize;

fn euros(text: &str) -> Result<Money, String> {
    Money::parse_decimal(text).ok_or_else(|| format!("{text:?} is not an amount in euros (e.g. 1.20)"))
}

fn percent(text: &str) -> Result<TaxRate, String> {
    TaxRate::parse_percent(text).ok_or_else(|| format!("{text:?} is not a tax rate in percent (e.g. 5.5)"))
}

fn role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("{text:?} is not a role: cashier, manager or admin"))
}

#[derive(Subcommand)]
pub enum ManageCommand {
    /// Articles of the catalog.
    Article {
        #[command(subcommand)]
        command: ArticleCommand,
    },
    /// Article categories.
    Category {
        #[command(subcommand)]
        command: CodeCommand<CategoryFields>,
    },
    /// VAT rates.
    TaxRate {
        #[command(subcommand)]
        command: TaxRateCommand,
    },
    /// Registers (tills) of the shop.
    Register {
        #[command(subcommand)]
        command: CodeCommand<RegisterFields>,
    },
    /// Users: cashiers, managers, admins.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
pub enum ArticleCommand {
    /// Lists articles, optionally those matching a text (SKU, name or barcode).
    List {
        #[arg(long)]
        search: Option<String>,
    },
    /// Creates an article.
    Add {
        #[arg(long)]
        sku: String,
        #[arg(long)]
        name: String,
        /// Price tax included, in euros (1.20).
        #[arg(long, value_parser = euros)]
        price: Money,
        /// VAT in percent (5.5).
        #[arg(long, value_parser = percent)]
        tax_rate: TaxRate,
        /// EAN-13, EAN-8 or free code; repeat for several.
        #[arg(long)]
        barcode: Vec<String>,
        #[arg(long)]
        category: Option<String>,
        /// Published on the web shop.
        #[arg(long)]
        web: bool,
    },
    /// Changes an article; options left out keep their value.
    Set {
        sku: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_parser = euros)]
        price: Option<Money>,
        #[arg(long, value_parser = percent)]
        tax_rate: Option<TaxRate>,
        /// Replaces all barcodes; repeat for several.
        #[arg(long)]
        barcode: Option<Vec<String>>,
        /// Category code ("" removes it).
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        web: Option<bool>,
        #[arg(long)]
        active: Option<bool>,
    },
    /// Deactivates an article: it can no longer be sold, its tickets stay.
    Deactivate { sku: String },
}

#[derive(Args)]
pub struct CategoryFields {
    #[arg(long)]
    name: Option<String>,
}

#[derive(Args)]
pub struct RegisterFields {
    #[arg(long)]
    name: Option<String>,
}

/// The commands of records named by a code (categories, registers).
#[derive(Subcommand)]
pub enum CodeCommand<F: Args> {
    List,
    Add {
        #[arg(long)]
        code: String,
        #[command(flatten)]
        fields: F,
    },
    Set {
        code: String,
        #[command(flatten)]
        fields: F,
        #[arg(long)]
        active: Option<bool>,
    },
    Deactivate {
        code: String,
    },
}

#[derive(Subcommand)]
pub enum TaxRateCommand {
    List,
    Add {
        /// Percent (5.5).
        #[arg(long, value_parser = percent)]
        rate: TaxRate,
        #[arg(long)]
        name: String,
    },
    Set {
        #[arg(value_parser = percent)]
        rate: TaxRate,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        active: Option<bool>,
    },
    Deactivate {
        #[arg(value_parser = percent)]
        rate: TaxRate,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    List,
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = role)]
        role: Role,
        /// 4 to 8 digits.
        #[arg(long)]
        pin: Option<String>,
        /// Read a back-office password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    Set {
        code: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_parser = role)]
        role: Option<Role>,
        #[arg(long)]
        pin: Option<String>,
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        active: Option<bool>,
    },
    Deactivate {
        code: String,
    },
}

fn print<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: cannot print the result: {e}"),
    }
}

fn password_from_stdin(wanted: bool) -> Result<Option<String>, ShopError> {
    if !wanted {
        return Ok(None);
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
    Ok(Some(text.lines().next().unwrap_or("").to_string()))
}

pub async fn run(shop: &Shop, command: ManageCommand) -> Result<(), ShopError> {
    let store = &shop.store;
    match command {
        ManageCommand::Article { command } => match command {
            ArticleCommand::List { search } => {
                let mut after: Option<String> = None;
                loop {
                    let s = search.clone();
                    let a = after.clone();
                    let (page, next) =
                        store.read(move |c| catalog::list_articles(c, s.as_deref(), a.as_deref(), 1000)).await?;
                    for a in page {
                        println!(
                            "{:<16} {:>10} {:>5}%  {}{}",
                            a.sku,
                            a.price.to_string(),
                            TaxRate(a.tax_rate_bp).percent_text(),
                            a.name,
                            if a.active { "" } else { "  (inactive)" }
                        );
                    }
                    match next {
                        Some(n) => after = Some(n),
                        None => break,
                    }
                }
            }
            ArticleCommand::Add { sku, name, price, tax_rate, barcode, category, web } => {
                let input = NewArticle {
                    sku,
                    name,
                    price,
                    tax_rate_bp: tax_rate.bp() as i64,
                    barcodes: barcode,
                    category,
                    web,
                };
                print(&store.write(move |tx| catalog::create_article(tx, input)).await?);
            }
            ArticleCommand::Set { sku, name, price, tax_rate, barcode, category, web, active } => {
                let change = ArticleChange {
                    name,
                    price,
                    tax_rate_bp: tax_rate.map(|t| t.bp() as i64),
                    barcodes: barcode,
                    category,
                    web,
                    active,
                };
                print(&store.write(move |tx| catalog::update_article(tx, &sku, change)).await?);
            }
            ArticleCommand::Deactivate { sku } => {
                let change = ArticleChange { active: Some(false), ..Default::default() };
                print(&store.write(move |tx| catalog::update_article(tx, &sku, change)).await?);
            }
        },
        ManageCommand::Category { command } => match command {
            CodeCommand::List => print(&store.read(catalog::list_categories).await?),
            CodeCommand::Add { code, fields } => {
                let name = fields.name.unwrap_or_else(|| code.clone());
                print(&store.write(move |tx| catalog::create_category(tx, NewCategory { code, name })).await?);
            }
            CodeCommand::Set { code, fields, active } => {
                let change = CategoryChange { name: fields.name, active };
                print(&store.write(move |tx| catalog::update_category(tx, &code, change)).await?);
            }
            CodeCommand::Deactivate { code } => {
                let change = CategoryChange { active: Some(false), ..Default::default() };
                print(&store.write(move |tx| catalog::update_category(tx, &code, change)).await?);
            }
        },
        ManageCommand::TaxRate { command } => match command {
            TaxRateCommand::List => print(&store.read(catalog::list_tax_rates).await?),
            TaxRateCommand::Add { rate, name } => {
                let input = NewTaxRate { bp: rate.bp() as i64, name };
                print(&store.write(move |tx| catalog::create_tax_rate(tx, input)).await?);
            }
            TaxRateCommand::Set { rate, name, active } => {
                let change = TaxRateChange { name, active };
                print(&store.write(move |tx| catalog::update_tax_rate(tx, rate.bp(), change)).await?);
            }
            TaxRateCommand::Deactivate { rate } => {
                let change = TaxRateChange { active: Some(false), ..Default::default() };
                print(&store.write(move |tx| catalog::update_tax_rate(tx, rate.bp(), change)).await?);
            }
        },
        ManageCommand::Register { command } => match command {
            CodeCommand::List => print(&store.read(staff::list_registers).await?),
            CodeCommand::Add { code, fields } => {
                let name = fields.name.unwrap_or_else(|| code.clone());
                print(&store.write(move |tx| staff::create_register(tx, NewRegister { code, name })).await?);
            }
            CodeCommand::Set { code, fields, active } => {
                let change = RegisterChange { name: fields.name, active, ..Default::default() };
                print(&store.write(move |tx| staff::update_register(tx, &code, change)).await?);
            }
            CodeCommand::Deactivate { code } => {
                let change = RegisterChange { active: Some(false), ..Default::default() };
                print(&store.write(move |tx| staff::update_register(tx, &code, change)).await?);
            }
        },
        ManageCommand::User { command } => match command {
            UserCommand::List => print(&store.read(staff::list_users).await?),
            UserCommand::Add { code, name, role, pin, password_stdin } => {
                let password = password_from_stdin(password_stdin)?;
                let input = NewUser { code, name, role, pin, password };
                print(&store.write(move |tx| staff::create_user(tx, input)).await?);
            }
            UserCommand::Set { code, name, role, pin, password_stdin, active } => {
                let password = password_from_stdin(password_stdin)?;
                let change = UserChange { name, role, pin, password, active };
                print(&store.write(move |tx| staff::update_user(tx, &code, change)).await?);
            }
            UserCommand::Deactivate { code } => {
                let change = UserChange { active: Some(false), ..Default::default() };
                print(&store.write(move |tx| staff::update_user(tx, &code, change)).await?);
            }
        },
    }
    Ok(())
}
