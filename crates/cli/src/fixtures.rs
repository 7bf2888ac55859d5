//! Generated shop data for the demo and the benchmarks: a catalog with valid EAN-13
//! barcodes, registers and users, written straight into a shop's store.

use comptoir_core::catalog::{Role, gtin_check_digit};
use comptoir_core::{Money, TaxRate};
use comptoir_shop::catalog::{NewArticle, NewCategory, create_article, create_category};
use comptoir_shop::staff::{NewRegister, NewUser, create_register, create_user};
use comptoir_shop::{Shop, ShopError};

pub const CATEGORIES: [(&str, &str, u32); 6] = [
    ("BOUL", "Boulangerie", 550),
    ("EPIC", "Épicerie", 550),
    ("BOIS", "Boissons", 2000),
    ("FROM", "Fromagerie", 550),
    ("DROG", "Droguerie", 2000),
    ("PRESSE", "Presse", 210),
];

const WORDS: [&str; 12] =
    ["Pain", "Confiture", "Café", "Thé", "Comté", "Savon", "Jus", "Biscuit", "Chocolat", "Miel", "Huile", "Farine"];

/// An EAN-13 in the 200–299 "in-store" prefix range, from a number.
pub fn ean13(n: u64) -> String {
    let body = format!("2{:011}", n % 100_000_000_000);
    let check = gtin_check_digit(body.as_bytes());
    format!("{body}{check}")
}

/// A catalog of `articles` articles (`A00001`...) as the CSV that HQ and shops import.
pub fn catalog_csv(articles: usize) -> String {
    let mut csv = String::from("sku,name,price,tax_rate,category,barcodes,web\n");
    for i in 1..=articles {
        let (category, label, bp) = CATEGORIES[i % CATEGORIES.len()];
        let price = 50 + (i * 37) % 2500;
        csv.push_str(&format!(
            "A{i:05},{} {label} n°{i},{}.{:02},{},{category},{},{}\n",
            WORDS[i % WORDS.len()],
            price / 100,
            price % 100,
            TaxRate(bp).percent_text(),
            ean13(i as u64),
            i % 3 == 0
        ));
    }
    csv
}

/// Registers R1..Rn, cashiers C1..Cn with PIN 1234, and `articles` articles A00001...
pub async fn populate(shop: &Shop, registers: usize, articles: usize) -> Result<(), ShopError> {
    shop.store
        .write(move |tx| {
            for (code, name, _) in CATEGORIES {
                create_category(tx, NewCategory { code: code.into(), name: name.into() })?;
            }
            for r in 1..=registers {
                create_register(tx, NewRegister { code: format!("R{r}"), name: format!("Caisse {r}") })?;
                create_user(
                    tx,
                    NewUser {
                        code: format!("C{r}"),
                        name: format!("Caissier {r}"),
                        role: Role::Cashier,
                        pin: Some("1234".into()),
                        password: None,
                    },
                )?;
            }
            for i in 1..=articles {
                let (category, label, bp) = CATEGORIES[i % CATEGORIES.len()];
                create_article(
                    tx,
                    NewArticle {
                        sku: format!("A{i:05}"),
                        name: format!("{} {} n°{i}", WORDS[i % WORDS.len()], label),
                        price: Money(50 + (i as i64 * 37) % 2500),
                        tax_rate_bp: TaxRate(bp).bp() as i64,
                        barcodes: vec![ean13(i as u64)],
                        category: Some(category.into()),
                        web: i % 3 == 0,
                    },
                )?;
            }
            Ok(())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_barcodes_are_valid_ean13() {
        for n in [0, 1, 42, 99_999] {
            let code = ean13(n);
            assert_eq!(code.len(), 13);
            assert!(comptoir_core::catalog::validate_barcode("b", &code).is_ok(), "{code}");
        }
    }
}
