//! `customers`: register search on a shop holding many customers (1,000,000 by default),
//! through the real store and search code. Customers are created with the shop's own
//! `create_customer` (validation, card number, stamps, search words), in transactions of
//! 10,000; then searches by the start of a first name, a last name, first and last name, a phone
//! number, an email and a card number, each timed.

use super::{Figures, percentile_ms, tempdir};
use comptoir_shop::customers::{NewCustomer, create_customer, search};
use comptoir_shop::{Shop, ShopConfig, ShopError};
use std::time::{Duration, Instant};

const FIRST: [&str; 20] = [
    "Marie", "Jean", "Pierre", "Sophie", "Luc", "Camille", "Élodie", "Hugo", "Léa", "Louis", "Chloé", "Paul", "Inès",
    "Jules", "Manon", "Arthur", "Zoé", "Gabriel", "Alice", "Noé",
];
const LAST: [&str; 25] = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
    "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard",
    "André", "Mercier", "Curie",
];

fn person(i: usize) -> NewCustomer {
    let first = FIRST[i % FIRST.len()];
    let last = LAST[(i / FIRST.len()) % LAST.len()];
    NewCustomer {
        name: format!("{first} {last} {}", i / (FIRST.len() * LAST.len())),
        email: Some(format!("client{i}@example.org")),
        phone: Some(format!("+33 6 {:08}", i)),
        group: None,
    }
}

pub async fn customers(count: usize, searches: usize) -> Result<Figures, ShopError> {
    let dir = tempdir()?;
    Shop::init(dir.path(), "BENCH", "Bench", "admin", "bench-password")?;
    let shop = Shop::open(dir.path(), ShopConfig::default())?;
    let started = Instant::now();
    let mut made = 0;
    while made < count {
        let batch = (count - made).min(10_000);
        let first = made;
        shop.store
            .write(move |tx| {
                for i in first..first + batch {
                    create_customer(tx, person(i), false)?;
                }
                Ok(())
            })
            .await?;
        made += batch;
    }
    let load_seconds = started.elapsed().as_secs_f64();
    let mut times: Vec<Duration> = Vec::with_capacity(searches);
    let mut found = 0usize;
    for s in 0..searches {
        let i = (s * 7919) % count;
        let p = person(i);
        let query = match s % 6 {
            0 => FIRST[i % FIRST.len()].chars().take(3).collect(),
            1 => LAST[(i / FIRST.len()) % LAST.len()].to_string(),
            2 => format!("{} {}", FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]),
            3 => format!("06{:08}", i)[..8].to_string(),
            4 => p.email.clone().unwrap_or_default(),
            _ => format!("BENCH-{:06}", i + 1),
        };
        let t = Instant::now();
        let hits = shop.store.read(move |c| search(c, &query, 20)).await?;
        times.push(t.elapsed());
        found += usize::from(!hits.is_empty());
    }
    if found != searches {
        return Err(super::harness(format!("{} of {searches} searches found nobody", searches - found)));
    }
    times.sort();
    Ok(vec![
        ("customers", count as f64),
        ("load_seconds", load_seconds),
        ("searches", searches as f64),
        ("p50_ms", percentile_ms(&times, 50.0)),
        ("p99_ms", percentile_ms(&times, 99.0)),
        ("max_ms", percentile_ms(&times, 100.0)),
    ])
}
