//! The shop-side pieces of sync, without HQ: the outbox written with each sale, HQ's
//! changes applied to the catalog, the read-only catalog of an enrolled shop, back-off.

use comptoir_core::catalog::Role;
use comptoir_core::ticket::{Payment, PaymentMethod};
use comptoir_core::{Money, Quantity, TaxRate};
use comptoir_protocol::{ArticleBody, CategoryBody, Entity, Record, TaxRateBody};
use comptoir_shop::sales::{NewLine, NewTicket, Stamp, commit_ticket};
use comptoir_shop::staff::{NewRegister, NewUser, create_register, create_user};
use comptoir_shop::sync::agent::Backoff;
use comptoir_shop::sync::link::{HqLink, save_hq_link};
use comptoir_shop::sync::{apply, outbox};
use comptoir_shop::{Shop, ShopConfig, ShopError, catalog};
use std::time::Duration;

fn shop() -> (tempfile::TempDir, Shop) {
    let dir = tempfile::tempdir().unwrap();
    Shop::init(dir.path(), "LYON1", "Lyon", "admin", "secret-password").unwrap();
    let shop = Shop::open(dir.path(), ShopConfig::default()).unwrap();
    (dir, shop)
}

fn article_body(id: u128, sku: &str, price: i64, barcodes: &[&str]) -> serde_json::Value {
    serde_json::to_value(ArticleBody {
        id: uuid::Uuid::from_u128(id),
        sku: sku.into(),
        name: format!("Article {sku}"),
        category: Some("BOUL".into()),
        tax_rate_bp: TaxRate(550),
        price: Money(price),
        barcodes: barcodes.iter().map(|b| b.to_string()).collect(),
        web: false,
        active: true,
    })
    .unwrap()
}

#[test]
fn each_committed_ticket_is_queued_in_the_same_transaction() {
    let (_dir, shop) = shop();
    shop.store
        .write_blocking(|tx| {
            catalog::create_article(
                tx,
                catalog::NewArticle {
                    sku: "A1".into(),
                    name: "Baguette".into(),
                    price: Money(120),
                    tax_rate_bp: 550,
                    barcodes: vec![],
                    category: None,
                    web: false,
                },
            )?;
            create_register(tx, NewRegister { code: "R1".into(), name: "Caisse".into() })?;
            create_user(
                tx,
                NewUser {
                    code: "C1".into(),
                    name: "A".into(),
                    role: Role::Cashier,
                    pin: Some("1234".into()),
                    password: None,
                },
            )?;
            Ok(())
        })
        .unwrap();
    let sale = |qty: i64, paid: i64| NewTicket {
        id: None,
        register: "R1".into(),
        cashier: "C1".into(),
        lines: vec![NewLine {
            sku: Some("A1".into()),
            barcode: None,
            qty: Quantity::from_units(qty),
            unit_price: None,
            discount: Money(0),
        }],
        discount: Money(0),
        payments: vec![Payment { method: PaymentMethod::Cash, amount: Money(paid) }],
        customer: None,
        return_of: None,
        terminal_payments: Vec::new(),
    };
    let stamp = Stamp {
        shop_code: "LYON1",
        created_at: "2026-11-23T10:00:00.000000Z".into(),
        business_date: "2026-11-23".into(),
    };
    // The shop's creation is journaled, and the journal's entries go to HQ too: sent already.
    let created = shop.store.read_blocking(|c| outbox::pending(c, 10)).unwrap();
    assert!(created.iter().all(|(_, r)| matches!(r, Record::JournalEntry(_))), "{created:?}");
    let sent: Vec<(i64, &str)> = created.iter().map(|(seq, _)| (*seq, "accepted")).collect();
    shop.store.write_blocking(|tx| outbox::acknowledge(tx, &sent)).unwrap();
    shop.store.write_blocking(|tx| commit_ticket(tx, &stamp, sale(2, 500)).map(|_| ())).unwrap();
    // A refused sale queues nothing: it is one transaction.
    let refused = shop.store.write_blocking(|tx| commit_ticket(tx, &stamp, sale(2, 100)).map(|_| ()));
    assert!(matches!(refused, Err(ShopError::Domain(_))));

    let pending = shop.store.read_blocking(|c| outbox::pending(c, 10)).unwrap();
    assert_eq!(pending.len(), 2, "the ticket and its stock movement");
    let Record::Ticket(t) = &pending[0].1 else { panic!("a ticket") };
    assert_eq!(t.number, "LYON1-R1-000001");
    assert_eq!(t.total, Money(240));
    let Record::StockMovement(m) = &pending[1].1 else { panic!("a stock movement") };
    assert_eq!(
        (m.sku.as_str(), m.qty, m.reference.as_deref()),
        ("A1", Quantity::from_units(-2), Some("LYON1-R1-000001"))
    );
    let (unsent, oldest) = shop.store.read_blocking(outbox::backlog).unwrap();
    assert_eq!(unsent, 2);
    assert!(oldest.is_some());

    // A closure goes the same way and reads back whole (its VAT totals are keyed by rate).
    let closure = shop
        .store
        .write_blocking(|tx| {
            comptoir_shop::closures::close(
                tx,
                "LYON1",
                "2026-11-23T20:00:00.000000Z",
                "2026-11-23",
                comptoir_shop::closures::NewClosure {
                    register: "R1".into(),
                    kind: comptoir_core::closure::ClosureKind::Day,
                    period: None,
                },
            )
        })
        .unwrap();
    let queued = shop.store.read_blocking(|c| outbox::pending(c, 10)).unwrap();
    assert_eq!(queued.len(), 3);
    assert_eq!(queued[2].1, Record::Closure(closure));
    let answered: Vec<(i64, &str)> = queued.iter().map(|(seq, _)| (*seq, "accepted")).collect();
    shop.store.write_blocking(|tx| outbox::acknowledge(tx, &answered)).unwrap();
    assert!(shop.store.read_blocking(|c| outbox::pending(c, 10)).unwrap().is_empty());
    assert_eq!(shop.store.read_blocking(outbox::backlog).unwrap().0, 0);
    // Resending since a date queues the ticket again (HQ ignores what it has).
    assert_eq!(shop.store.write_blocking(|tx| outbox::requeue_since(tx, "2026-11-01")).unwrap(), 2);
    assert_eq!(shop.store.write_blocking(|tx| outbox::requeue_since(tx, "2026-12-01")).unwrap(), 0);
}

#[test]
fn hq_changes_apply_idempotently_and_hq_ids_win() {
    let (_dir, shop) = shop();
    // A local article made before joining the chain, with the SKU HQ will use.
    shop.store
        .write_blocking(|tx| {
            catalog::create_article(
                tx,
                catalog::NewArticle {
                    sku: "A1".into(),
                    name: "Local".into(),
                    price: Money(100),
                    tax_rate_bp: 550,
                    barcodes: vec!["3017620422003".into()],
                    category: None,
                    web: false,
                },
            )
            .map(|_| ())
        })
        .unwrap();
    let changes = vec![
        (
            Entity::TaxRate,
            "850".to_string(),
            serde_json::to_value(TaxRateBody { bp: TaxRate(850), name: "Corse".into(), active: true }).unwrap(),
        ),
        (
            Entity::Category,
            "BOUL".to_string(),
            serde_json::to_value(CategoryBody { code: "BOUL".into(), name: "Boulangerie".into(), active: true })
                .unwrap(),
        ),
        (Entity::Article, "1".to_string(), article_body(1, "A1", 130, &["3017620422003"])),
        (Entity::Article, "2".to_string(), serde_json::json!({"not": "an article"})),
    ];
    for _ in 0..2 {
        let warnings = shop
            .store
            .write_blocking(|tx| {
                let mut w = Vec::new();
                for (e, k, b) in changes.clone() {
                    w.extend(apply::apply(tx, e, &k, b)?);
                }
                Ok(w)
            })
            .unwrap();
        assert_eq!(warnings.len(), 1, "the unreadable record is skipped and named: {warnings:?}");
    }
    let a = shop.store.read_blocking(|c| catalog::get_article(c, "A1")).unwrap().unwrap();
    assert_eq!(a.id, uuid::Uuid::from_u128(1), "HQ's id replaced the local one");
    assert_eq!(a.price, Money(130));
    assert_eq!(a.barcodes, vec!["3017620422003".to_string()]);
    assert_eq!(a.category.as_deref(), Some("BOUL"));
    let rates = shop.store.read_blocking(catalog::list_tax_rates).unwrap();
    assert!(rates.iter().any(|r| r.bp == 850 && r.name == "Corse"));
}

#[test]
fn an_enrolled_shop_refuses_local_catalog_changes() {
    let (_dir, shop) = shop();
    shop.store
        .write_blocking(|tx| {
            save_hq_link(
                tx,
                &HqLink {
                    url: "http://127.0.0.1:1".into(),
                    hq_id: uuid::Uuid::nil(),
                    hq_name: "HQ".into(),
                    credential: "x.y".into(),
                    enrolled_at: "now".into(),
                },
            )
        })
        .unwrap();
    let refused = shop.store.write_blocking(|tx| {
        catalog::create_category(tx, catalog::NewCategory { code: "X".into(), name: "X".into() }).map(|_| ())
    });
    assert!(matches!(refused, Err(ShopError::CatalogOwnedByHq)));
    let csv = shop.store.write_blocking(|tx| {
        comptoir_shop::catalog_csv::import(tx, b"sku,name,price,tax_rate\nA,B,1,5.5\n", comptoir_core::Lang::En)
            .map(|_| ())
    });
    assert!(csv.is_err(), "CSV import is a local catalog change too");
    // Changes from HQ still apply.
    shop.store
        .write_blocking(|tx| apply::apply(tx, Entity::Article, "9", article_body(9, "H1", 500, &[])).map(|_| ()))
        .unwrap();
    assert!(shop.store.read_blocking(|c| catalog::get_article(c, "H1")).unwrap().is_some());
}

#[test]
fn back_off_doubles_with_jitter_up_to_the_cap() {
    let mut b = Backoff::new(1, 8);
    let waits: Vec<Duration> = (0..6).map(|_| b.next_wait()).collect();
    let bounds = [1.0, 2.0, 4.0, 8.0, 8.0, 8.0];
    for (w, base) in waits.iter().zip(bounds) {
        let s = w.as_secs_f64();
        assert!(s >= base * 0.8 - 1e-9 && s <= base * 1.2 + 1e-9, "{s} not within 20 % of {base}");
    }
    b.reset();
    assert!(b.next_wait() <= Duration::from_secs_f64(1.2));
}

#[test]
fn recent_logs_keep_the_newest_end_within_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("comptoir-2026-11-22.log"), "old line\n".repeat(10)).unwrap();
    std::fs::write(dir.path().join("comptoir-2026-11-23.log"), format!("{}last line\n", "x".repeat(100))).unwrap();
    std::fs::write(dir.path().join("other.txt"), "not a log").unwrap();
    let text = comptoir_shop::sync::agent::recent_logs(dir.path(), 60).unwrap();
    assert!(text.len() <= 60, "{}", text.len());
    assert!(text.ends_with("last line\n"), "{text}");
    assert!(text.starts_with("==> comptoir-2026-11-23.log <==\n"), "{text}");
    let all = comptoir_shop::sync::agent::recent_logs(dir.path(), 10_000).unwrap();
    assert!(all.starts_with("==> comptoir-2026-11-22.log <==\nold line"), "{all}");
    assert!(!all.contains("not a log"));
    assert!(comptoir_shop::sync::agent::recent_logs(&dir.path().join("none"), 100).is_err());
}

#[test]
fn a_shop_made_before_the_journal_went_to_hq_queues_its_whole_journal_once() {
    let (dir, shop) = shop();
    let journal = shop.store.read_blocking(comptoir_shop::journal::all).unwrap();
    assert!(!journal.is_empty(), "the shop's creation and opening are journaled");
    drop(shop);
    // As a shop of the version before: its journal was never queued for HQ.
    let db = rusqlite::Connection::open(dir.path().join("shop.sqlite")).unwrap();
    db.execute("DELETE FROM outbox WHERE kind = 'journal_entry'", []).unwrap();
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    db.pragma_update(None, "user_version", version - 1).unwrap();
    drop(db);

    // The upgrade queues every entry, in order, exactly as the journal holds it.
    let shop = Shop::open(dir.path(), ShopConfig::default()).unwrap();
    let queued: Vec<_> = shop
        .store
        .read_blocking(|c| outbox::pending(c, 100))
        .unwrap()
        .into_iter()
        .filter_map(|(_, r)| match r {
            Record::JournalEntry(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(queued[..journal.len()], journal[..], "the old entries, whole and in order");
    // Their ids on the wire are the ones the journal's own queueing gives.
    let raw = shop.store.read_blocking(|c| outbox::pending_raw(c, 100)).unwrap();
    for (e, (_, id, _)) in journal.iter().zip(&raw) {
        assert_eq!(*id, comptoir_protocol::journal_entry_id(e));
    }
    // Opening again queues nothing more.
    drop(shop);
    let shop = Shop::open(dir.path(), ShopConfig::default()).unwrap();
    let again = shop.store.read_blocking(|c| outbox::pending(c, 100)).unwrap();
    let entries = again.iter().filter(|(_, r)| matches!(r, Record::JournalEntry(_))).count();
    assert!(entries >= journal.len() && entries <= journal.len() + 2, "only what the reopening journaled");
}
