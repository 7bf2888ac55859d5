//! The stories every HQ storage backend must pass (in the spirit of atuin's database story
//! test), each on a freshly created, empty storage. A backend's tests invoke
//! [`storage_stories!`](crate::storage_stories) with a function that makes one: it writes
//! one test function per story (`crates/hq-sqlite/tests/stories.rs`,
//! `crates/hq-postgres/tests/stories.rs`).
//!
//! Compiled only with the `conformance` feature (the backends' and HQ's tests turn it on),
//! never into the release binary. Also here, the test fixtures every HQ crate shares:
//! [`ticket`] and [`closure`], correctly hashed records.

use crate::error::HqError;
use crate::storage::*;
use crate::sync::{
    format_instant, new_enrolment_token, new_keyed_secret, now_text, prepare_push, secret_hash, secret_matches,
};
use comptoir_core::closure::{Closure, ClosureKind, PeriodTotals};
use comptoir_core::customer::LoyaltyRule;
use comptoir_core::hlc::Hlc;
use comptoir_core::ticket::{Payment, PaymentMethod, Ticket, TicketKind, TicketLine, VatLine};
use comptoir_core::{Money, Quantity, TaxRate};
use comptoir_protocol::{
    CustomerBody, Entity, HqIdentity, JobBody, JobKind, JobReport, JobState, LoyaltyEntryBody, LoyaltyKind,
    MessageAckBody, MessageBody, OfferBody, PushOutcome, ShopIdentity,
};
use std::sync::Arc;
use uuid::Uuid;

/// One test function per story, on a fresh storage from `$fresh`: an async function
/// returning `(guard, Arc<dyn HqStorage>)`, the guard (a temporary directory, a throwaway
/// server) kept alive until the story ends.
#[macro_export]
macro_rules! storage_stories {
    ($fresh:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn story_identity_catalog_shops_sync_feed_and_jobs() {
            let (_guard, storage) = $fresh().await;
            $crate::conformance::stories(storage).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn story_customers_loyalty_offers_and_messages() {
            let (_guard, storage) = $fresh().await;
            $crate::conformance::customers_story(storage).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn story_dashboard_sessions_and_sales_summaries() {
            let (_guard, storage) = $fresh().await;
            $crate::conformance::dashboard_stories(storage).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn story_signatures_journal_key_rotation_and_archives() {
            let (_guard, storage) = $fresh().await;
            $crate::conformance::fiscal_stories(storage).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn story_stock_and_people() {
            let (_guard, storage) = $fresh().await;
            $crate::conformance::stock_stories(storage).await;
        }
    };
}

/// A storage fact as the API would report it (its kind, field and message), or an
/// `HqError` as it is: the stories check what a caller of HQ sees.
pub trait AsHqError {
    fn hq(self) -> HqError;
}
impl AsHqError for StorageError {
    fn hq(self) -> HqError {
        self.into()
    }
}
impl AsHqError for HqError {
    fn hq(self) -> HqError {
        self
    }
}

/// A sale of one article at `total` cents (5.5 % VAT), hashed and chained after `prev`.
pub fn ticket(shop: &str, register: &str, sequence: i64, prev: &str, total: i64, business_date: &str) -> Ticket {
    let vat = TaxRate(550).vat_in(Money(total));
    let mut t = Ticket {
        id: Uuid::now_v7(),
        number: format!("{shop}-{register}-{sequence:06}"),
        shop: shop.into(),
        register: register.into(),
        sequence,
        kind: TicketKind::Sale,
        created_at: format!("{business_date}T10:00:00.000000Z"),
        business_date: business_date.into(),
        cashier: "C1".into(),
        customer: None,
        return_of: None,
        lines: vec![TicketLine {
            article_id: Uuid::nil(),
            sku: "A1".into(),
            name: "Baguette".into(),
            qty: Quantity(1000),
            unit_price: Money(total),
            tax_rate_bp: TaxRate(550),
            discount: Money(0),
            total: Money(total),
        }],
        discount: Money(0),
        payments: vec![Payment { method: PaymentMethod::Card, amount: Money(total) }],
        vat: vec![VatLine { rate_bp: TaxRate(550), gross: Money(total), net: Money(total) - vat, vat }],
        total: Money(total),
        change: Money(0),
        prev_hash: prev.into(),
        hash: String::new(),
        offers: vec![],
        signature: None,
    };
    t.hash = comptoir_core::chain::ticket_hash(&t);
    t
}

/// A day closure of `total` cents, hashed and chained after `prev`.
pub fn closure(shop: &str, register: &str, sequence: i64, prev: &str, total: i64, day: &str) -> Closure {
    let mut c = Closure {
        id: Uuid::now_v7(),
        shop: shop.into(),
        register: register.into(),
        sequence,
        kind: ClosureKind::Day,
        period: day.into(),
        created_at: format!("{day}T20:00:00.000000Z"),
        totals: PeriodTotals { ticket_count: 1, total: Money(total), ..Default::default() },
        grand_total: Money(total),
        grand_absolute_total: None,
        prev_hash: prev.into(),
        hash: String::new(),
        signature: None,
    };
    c.hash = comptoir_core::chain::closure_hash(&c);
    c
}

fn record(kind: &str, body: impl serde::Serialize) -> serde_json::Value {
    serde_json::json!({"kind": kind, "body": body})
}

async fn enrol(s: &dyn HqStorage, token: &str) -> Result<(String, ShopIdentity), HqError> {
    enrol_as(s, token, None).await
}

/// An enrolment naming its request (the shop's `Idempotency-Key`).
async fn enrol_as(s: &dyn HqStorage, token: &str, request: Option<&str>) -> Result<(String, ShopIdentity), HqError> {
    let (credential, record) = new_keyed_secret();
    let shop = s.enrol(&secret_hash(token), &now_text(), &record, request).await?;
    Ok((credential, shop))
}

async fn check(s: &dyn HqStorage, credential: &str) -> Option<String> {
    let (id, secret) = crate::sync::split_keyed_secret(credential)?;
    let c = s.credential(id).await.expect("credential lookup")?;
    (!c.revoked && secret_matches(secret, &c.hash)).then_some(c.shop)
}

async fn all_snapshot(s: &dyn HqStorage, shop: &str, page: usize) -> Vec<SnapshotItem> {
    let mut items: Vec<SnapshotItem> = Vec::new();
    loop {
        let after = items.last().map(|i| (i.entity, i.key.clone()));
        let next = s.snapshot_page(shop, after, page).await.expect("snapshot page");
        if next.is_empty() {
            return items;
        }
        assert!(next.len() <= page);
        items.extend(next);
    }
}

/// Runs every story against `storage`, which must be freshly created and empty.
pub async fn stories(storage: Arc<dyn HqStorage>) {
    let s = storage.as_ref();
    let g = comptoir_core::chain::GENESIS;

    // ---- identity
    let hq = HqIdentity { id: Uuid::new_v4(), name: "Comptoir HQ".into() };
    s.initialise(&hq, "admin", "$argon2id$fake").await.expect("initialise");
    assert_eq!(s.identity().await.unwrap(), hq);
    assert_eq!(s.admin_password_hash("admin").await.unwrap().as_deref(), Some("$argon2id$fake"));
    assert_eq!(s.admin_password_hash("nobody").await.unwrap(), None);
    assert_eq!(s.initialise(&hq, "x", "y").await.unwrap_err().hq().kind(), "already_initialised");
    let (api_token, api_record) = new_keyed_secret();
    s.create_api_token("ci", &api_record).await.unwrap();
    let (name, hash) = s.api_token(&api_record.id).await.unwrap().expect("token stored");
    assert_eq!(name, "ci");
    assert!(secret_matches(api_token.split_once('.').unwrap().1, &hash));

    // ---- catalog: France's rates, then a category and articles
    let rates: Vec<u32> = s.list_tax_rates().await.unwrap().iter().map(|t| t.bp).collect();
    assert_eq!(rates, vec![2000, 1000, 550, 210]);
    s.create_category(&Category { code: "BOUL".into(), name: "Boulangerie".into(), active: true }).await.unwrap();
    assert_eq!(
        s.create_category(&Category { code: "BOUL".into(), name: "x".into(), active: true })
            .await
            .unwrap_err()
            .hq()
            .kind(),
        "already_exists"
    );
    let create = |sku: &str, barcodes: Vec<&str>, bp: u32, category: Option<&str>| ArticleWrite::Create {
        sku: sku.into(),
        name: format!("Article {sku}"),
        price: Money(120),
        tax_rate: TaxRate(bp),
        barcodes: barcodes.into_iter().map(String::from).collect(),
        category: category.map(String::from),
        web: false,
    };
    let report = s
        .write_articles(
            vec![create("A1", vec!["3017620422003"], 550, Some("BOUL")), create("B1", vec![], 2000, None)],
            false,
        )
        .await
        .unwrap();
    assert_eq!((report.created, report.updated), (2, 0));
    let a1 = report.articles[0].clone();
    assert_eq!(a1.id.get_version_num(), 7, "article ids are UUIDv7");
    // All or nothing: a good write next to a refused one writes nothing.
    let err = s
        .write_articles(
            vec![
                create("C1", vec![], 550, None),
                create("D1", vec!["3017620422003"], 550, None),
                create("E1", vec![], 1234, None),
                create("F1", vec![], 550, Some("NOPE")),
                create("A1", vec![], 550, None),
                create("a1", vec![], 550, None),
            ],
            false,
        )
        .await
        .unwrap_err()
        .hq();
    let HqError::Rows(rows) = err else { panic!("expected rows, got {err:?}") };
    let refused: Vec<(usize, &str)> = rows.iter().map(|(i, e)| (*i, e.kind())).collect();
    assert_eq!(
        refused,
        vec![(1, "conflict"), (2, "not_found"), (3, "not_found"), (4, "already_exists"), (5, "already_exists")]
    );
    assert!(
        rows[4].1.message(comptoir_http::Lang::En).contains("A1"),
        "the case-variant names the SKU held: {:?}",
        rows[4].1
    );
    assert!(s.get_article("C1").await.unwrap().is_none(), "nothing written when a write is refused");
    let dry = s.write_articles(vec![create("C1", vec![], 550, None)], true).await.unwrap_err().hq();
    assert!(matches!(&dry, HqError::Rows(r) if r.is_empty()), "{dry:?}");
    assert!(s.get_article("C1").await.unwrap().is_none(), "a dry run writes nothing");
    s.update_tax_rate(210, None, Some(false)).await.unwrap();
    let err = s.write_articles(vec![create("G1", vec![], 210, None)], false).await.unwrap_err().hq().single();
    assert_eq!((err.kind(), err.field().as_deref()), ("inactive", Some("tax_rate_bp")));
    let update = ArticleUpdate { price: Some(Money(130)), category: Some(None), ..Default::default() };
    let updated = s.write_articles(vec![ArticleWrite::Update { sku: "A1".into(), update }], false).await.unwrap();
    assert_eq!((updated.articles[0].price, updated.articles[0].category.clone()), (Money(130), None));
    assert_eq!(updated.articles[0].id, a1.id, "an update keeps the id");
    let upsert = ArticleUpdate {
        name: Some("Croissant".into()),
        price: Some(Money(110)),
        tax_rate: Some(TaxRate(550)),
        category: Some(Some("VIEN".into())),
        ..Default::default()
    };
    let up = s.write_articles(vec![ArticleWrite::Upsert { sku: "CR1".into(), update: upsert }], false).await.unwrap();
    assert_eq!((up.created, up.categories_created.clone()), (1, vec!["VIEN".to_string()]));
    let (page, next) = s.list_articles(None, None, 2).await.unwrap();
    assert_eq!(page.iter().map(|a| a.sku.as_str()).collect::<Vec<_>>(), vec!["A1", "B1"]);
    assert_eq!(next.as_deref(), Some("B1"));
    let (found, _) = s.list_articles(Some("3017620422"), None, 10).await.unwrap();
    assert_eq!(found.len(), 1, "search by barcode");

    // ---- shops and enrolment
    let lyon = ShopIdentity { code: "LYON1".into(), name: "Lyon".into(), postal_code: "69003".into() };
    let paris = ShopIdentity { code: "PARIS1".into(), name: "Paris".into(), postal_code: "75001".into() };
    let (lyon_token, rec) = new_enrolment_token(7);
    let created = s.create_shop(&lyon, &rec).await.unwrap();
    assert!(!created.enrolled && !created.revoked && created.chain_ok && created.last_contact.is_none());
    assert_eq!(s.create_shop(&lyon, &new_enrolment_token(7).1).await.unwrap_err().hq().kind(), "already_exists");
    let lower = ShopIdentity { code: "lyon1".into(), ..lyon.clone() };
    let e = s.create_shop(&lower, &new_enrolment_token(7).1).await.unwrap_err().hq();
    assert_eq!(e.kind(), "already_exists", "shop codes are unique without case");
    assert!(e.message(comptoir_http::Lang::Fr).contains("LYON1"), "{}", e.message(comptoir_http::Lang::Fr));
    let (paris_token_old, rec) = new_enrolment_token(7);
    s.create_shop(&paris, &rec).await.unwrap();
    let (paris_token, rec) = new_enrolment_token(7);
    s.issue_enrolment_token("PARIS1", &rec).await.unwrap();
    assert_eq!(enrol(s, &paris_token_old).await.unwrap_err().hq().kind(), "invalid_enrolment_token", "old token void");
    let (lyon_cred, who) = enrol(s, &lyon_token).await.unwrap();
    assert_eq!(who, lyon);
    assert_eq!(enrol(s, &lyon_token).await.unwrap_err().hq().kind(), "invalid_enrolment_token", "a token works once");
    // PARIS1's first answer is lost: the same request with the same token succeeds again, a
    // new credential replacing the one the shop never received; another request cannot.
    let (lost_cred, _) = enrol_as(s, &paris_token, Some("req-1")).await.unwrap();
    let (paris_cred, again) = enrol_as(s, &paris_token, Some("req-1")).await.unwrap();
    assert_eq!(again, paris);
    assert_eq!(check(s, &lost_cred).await, None, "the lost credential is replaced");
    assert_eq!(enrol_as(s, &paris_token, Some("req-2")).await.unwrap_err().hq().kind(), "invalid_enrolment_token");
    assert_eq!(enrol(s, &paris_token).await.unwrap_err().hq().kind(), "invalid_enrolment_token");
    let (mut expired_token, mut rec) = new_enrolment_token(7);
    rec.expires_at = Some(format_instant(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(1)));
    s.issue_enrolment_token("LYON1", &rec).await.unwrap();
    assert_eq!(enrol(s, &expired_token).await.unwrap_err().hq().kind(), "invalid_enrolment_token", "expired");
    expired_token.push('x');
    assert_eq!(enrol(s, &expired_token).await.unwrap_err().hq().kind(), "invalid_enrolment_token", "unknown");
    assert_eq!(check(s, &lyon_cred).await.as_deref(), Some("LYON1"));
    assert_eq!(check(s, &paris_cred).await.as_deref(), Some("PARIS1"));
    assert_eq!(check(s, &format!("{}x", lyon_cred)).await, None, "a wrong secret is refused");
    let health = ShopHealth {
        at: now_text(),
        version: Some("0.1.0".into()),
        unsent: Some(3),
        oldest_unsent_seconds: Some(12),
        cursor: Some(5),
    };
    s.record_contact("LYON1", &health).await.unwrap();
    s.record_contact("LYON1", &ShopHealth { at: now_text(), ..Default::default() }).await.unwrap();
    let shops = s.list_shops().await.unwrap();
    let l = shops.iter().find(|x| x.code == "LYON1").unwrap();
    assert!(l.enrolled && l.last_contact.is_some());
    assert_eq!(
        (l.unsent, l.oldest_unsent_seconds, l.cursor, l.version.as_deref()),
        (Some(3), Some(12), Some(5), Some("0.1.0"))
    );

    // ---- push: accepted, duplicates, quarantine, chain gap
    let day = "2026-11-23";
    let t1 = ticket("LYON1", "R1", 1, g, 240, day);
    let t2 = ticket("LYON1", "R1", 2, &t1.hash, 500, day);
    let z1 = closure("LYON1", "R1", 1, g, 740, day);
    let batch = vec![record("ticket", &t1), record("ticket", &t2), record("closure", &z1)];
    let out = s.apply_push("LYON1", &now_text(), prepare_push("LYON1", batch.clone()).unwrap()).await.unwrap();
    assert_eq!(out.accepted, vec![t1.id, t2.id, z1.id]);
    let again = s.apply_push("LYON1", &now_text(), prepare_push("LYON1", batch).unwrap()).await.unwrap();
    assert_eq!((again.accepted.len(), again.duplicates.clone()), (0, vec![t1.id, t2.id, z1.id]), "re-sent: duplicates");
    let foreign = ticket("PARIS1", "R1", 1, g, 100, day);
    let mut altered = ticket("LYON1", "R1", 3, &t2.hash, 300, day);
    altered.total = Money(1);
    let t3 = ticket("LYON1", "R1", 3, &t2.hash, 300, day);
    let batch = vec![record("ticket", &foreign), record("ticket", &altered), record("ticket", &t3)];
    let out = s.apply_push("LYON1", &now_text(), prepare_push("LYON1", batch).unwrap()).await.unwrap();
    assert_eq!(out.accepted, vec![t3.id], "quarantine does not block the records after it");
    assert_eq!(out.quarantined.len(), 2);
    assert!(out.quarantined[0].reason.contains("names shop PARIS1, credential is shop LYON1"), "{:?}", out.quarantined);
    assert!(out.quarantined[1].reason.contains("altered"), "{:?}", out.quarantined);
    let again = s
        .apply_push("LYON1", &now_text(), prepare_push("LYON1", vec![record("ticket", &foreign)]).unwrap())
        .await
        .unwrap();
    assert_eq!(again.duplicates, vec![foreign.id], "a quarantined id is not quarantined twice");
    let q = s.list_quarantine(Some("LYON1")).await.unwrap();
    assert_eq!(q.len(), 2);
    assert!(q[0].body.contains(&foreign.id.to_string()));
    assert!(s.list_quarantine(Some("PARIS1")).await.unwrap().is_empty());
    assert!(s.list_shops().await.unwrap().iter().find(|x| x.code == "LYON1").unwrap().chain_ok);
    // Sequence 4 never arrives: 5 is a gap, stored all the same.
    let t4 = ticket("LYON1", "R1", 4, &t3.hash, 10, day);
    let t5 = ticket("LYON1", "R1", 5, &t4.hash, 20, "2026-11-24");
    let out =
        s.apply_push("LYON1", &now_text(), prepare_push("LYON1", vec![record("ticket", &t5)]).unwrap()).await.unwrap();
    assert_eq!(out.accepted, vec![t5.id]);
    let events = s.chain_events(Some("LYON1")).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].kind.as_str(), events[0].sequence, events[0].register.as_str()), ("gap", 5, "R1"));
    let lyon_now = s.list_shops().await.unwrap().into_iter().find(|x| x.code == "LYON1").unwrap();
    assert!(!lyon_now.chain_ok);
    assert_eq!(lyon_now.quarantined, 2);
    // A break: the next sequence not pointing at the last hash.
    let p1 = ticket("PARIS1", "R1", 1, g, 100, day);
    let p2 = ticket("PARIS1", "R1", 2, g, 100, day);
    s.apply_push(
        "PARIS1",
        &now_text(),
        prepare_push("PARIS1", vec![record("ticket", &p1), record("ticket", &p2)]).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(s.chain_events(Some("PARIS1")).await.unwrap()[0].kind, "break");

    // ---- tickets by arrival, sales report
    let (page, next) = s.list_tickets(Some("LYON1"), 0, 2).await.unwrap();
    let ids: Vec<String> =
        page.iter().map(|t| serde_json::from_str::<Ticket>(&t.body).unwrap().id.to_string()).collect();
    assert_eq!(ids, vec![t1.id.to_string(), t2.id.to_string()]);
    let (rest, end) = s.list_tickets(Some("LYON1"), next.unwrap(), 10).await.unwrap();
    assert_eq!((rest.len(), end), (2, None));
    let stored: Ticket = serde_json::from_str(&rest[1].body).unwrap();
    assert_eq!(stored, t5, "the full ticket is kept as sent");
    let report = s.sales_report("2026-11-23", "2026-11-24", None).await.unwrap();
    let rows: Vec<(&str, &str, i64, i64)> =
        report.iter().map(|r| (r.shop.as_str(), r.day.as_str(), r.tickets, r.revenue)).collect();
    assert_eq!(
        rows,
        vec![("LYON1", "2026-11-23", 3, 1040), ("LYON1", "2026-11-24", 1, 20), ("PARIS1", "2026-11-23", 2, 200)]
    );
    assert_eq!(s.sales_report("2026-11-24", "2026-11-24", Some("LYON1")).await.unwrap().len(), 1);

    // ---- jobs, and the feed filtered per shop
    let job =
        JobBody { id: Uuid::now_v7(), kind: JobKind::ResendSales, since: Some(day.into()), created_at: now_text() };
    let view = s.create_job(&job, &["LYON1".to_string()]).await.unwrap();
    assert_eq!(view.shops.len(), 1);
    assert_eq!(view.shops[0].state, JobState::Pending);
    let unknown =
        s.create_job(&JobBody { id: Uuid::now_v7(), ..job.clone() }, &["NOPE".to_string()]).await.unwrap_err().hq();
    assert_eq!((unknown.kind(), unknown.field().as_deref()), ("not_found", Some("shops[0]")));
    let lyon_feed = s.feed("LYON1", 0, 1000).await.unwrap();
    let paris_feed = s.feed("PARIS1", 0, 1000).await.unwrap();
    assert_eq!(lyon_feed.floor, 0);
    assert!(lyon_feed.changes.iter().any(|c| c.entity == Entity::Job && c.key == job.id.to_string()));
    assert!(!paris_feed.changes.iter().any(|c| c.entity == Entity::Job), "jobs go to their shops only");
    assert_eq!(lyon_feed.changes.len(), paris_feed.changes.len() + 1);
    let seqs: Vec<i64> = lyon_feed.changes.iter().map(|c| c.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "sequences grow");
    let first_three = s.feed("LYON1", 0, 3).await.unwrap();
    assert_eq!(first_three.changes, lyon_feed.changes[..3].to_vec());
    let after = s.feed("LYON1", first_three.changes[2].seq, 1000).await.unwrap();
    assert_eq!(after.changes, lyon_feed.changes[3..].to_vec(), "the cursor resumes exactly");
    let last = lyon_feed.changes.last().unwrap().seq;
    assert!(s.feed("LYON1", last, 1000).await.unwrap().changes.is_empty());
    let a1_change = lyon_feed.changes.iter().rev().find(|c| c.key == a1.id.to_string()).unwrap();
    assert_eq!(a1_change.body["price"], 130, "the feed carries the full new state");

    // ---- snapshot, paged and resumable
    let (cursor, total) = s.snapshot_begin("LYON1").await.unwrap();
    assert_eq!(cursor, last);
    // 4 rates + 2 categories + 3 articles + 1 pending job + the loyalty rule + the chain's 2 shops.
    assert_eq!(total, 13);
    let whole = all_snapshot(s, "LYON1", 1000).await;
    let paged = all_snapshot(s, "LYON1", 3).await;
    assert_eq!(whole, paged, "paging changes nothing");
    assert_eq!(whole.len() as u64, total);
    let entities: Vec<Entity> = whole.iter().map(|i| i.entity).collect();
    let mut sorted = entities.clone();
    sorted.sort();
    assert_eq!(entities, sorted, "tax rates, categories, articles, jobs, the loyalty rule, then the chain's shops");
    assert_eq!(whole[0].key, "210");
    assert_eq!(whole.iter().rfind(|i| i.entity == Entity::Job).unwrap().key, job.id.to_string());
    assert!(whole.iter().any(|i| i.entity == Entity::LoyaltyRule));
    assert_eq!(s.snapshot_begin("PARIS1").await.unwrap().1, 12, "no job for PARIS1");
    let cut = &whole[4];
    let resumed = s.snapshot_page("LYON1", Some((cut.entity, cut.key.clone())), 1000).await.unwrap();
    assert_eq!(resumed, whole[5..].to_vec());

    // ---- job reports: only the target shop, then no longer pending
    let id = job.id;
    let done = JobReport { state: JobState::Done, detail: "4 tickets sent".into() };
    assert_eq!(s.report_job("PARIS1", id, &done, &now_text()).await.unwrap_err().hq().kind(), "not_found");
    s.report_job("LYON1", id, &done, &now_text()).await.unwrap();
    let jobs = s.list_jobs().await.unwrap();
    assert_eq!(jobs[0].shops[0].state, JobState::Done);
    assert_eq!(jobs[0].shops[0].detail, "4 tickets sent");
    assert_eq!(s.snapshot_begin("LYON1").await.unwrap().1, 12, "a done job leaves the snapshot");

    // ---- revocation, and enrolling again
    s.revoke_shop("LYON1").await.unwrap();
    assert_eq!(check(s, &lyon_cred).await, None, "revoked at once");
    assert!(s.list_shops().await.unwrap().iter().find(|x| x.code == "LYON1").unwrap().revoked);
    assert_eq!(s.revoke_shop("NOPE").await.unwrap_err().hq().kind(), "not_found");
    let (token, rec) = new_enrolment_token(7);
    s.issue_enrolment_token("LYON1", &rec).await.unwrap();
    let (new_cred, _) = enrol(s, &token).await.unwrap();
    assert_eq!(check(s, &new_cred).await.as_deref(), Some("LYON1"));
    assert_eq!(check(s, &lyon_cred).await, None, "the old credential stays revoked");
    assert!(!s.list_shops().await.unwrap().iter().find(|x| x.code == "LYON1").unwrap().revoked);

    // ---- retention: purging moves the floor; sequences keep growing after it
    assert_eq!(s.purge_feed("2000-01-01T00:00:00.000000Z").await.unwrap(), 0, "nothing that old");
    let floor = s.purge_feed("2999-01-01T00:00:00.000000Z").await.unwrap();
    assert_eq!(floor, last);
    let read = s.feed("LYON1", 0, 1000).await.unwrap();
    assert!(read.changes.is_empty());
    assert_eq!(read.floor, last);
    assert_eq!(s.snapshot_begin("LYON1").await.unwrap().0, last, "the snapshot cursor survives a purge");
    s.create_category(&Category { code: "NEW".into(), name: "Nouveau".into(), active: true }).await.unwrap();
    let read = s.feed("LYON1", floor, 1000).await.unwrap();
    assert_eq!(read.changes.len(), 1);
    assert!(read.changes[0].seq > floor, "a sequence is never reused");
}

/// The customers' story on its own storage: an HQ with shops LYON1 and PARIS1.
pub async fn customers_story(storage: Arc<dyn HqStorage>) {
    let s = storage.as_ref();
    let hq = HqIdentity { id: Uuid::new_v4(), name: "Comptoir HQ".into() };
    s.initialise(&hq, "admin", "$argon2id$fake").await.expect("initialise");
    for (code, name, postal_code) in [("LYON1", "Lyon", "69003"), ("PARIS1", "Paris", "75001")] {
        let shop = ShopIdentity { code: code.into(), name: name.into(), postal_code: postal_code.into() };
        s.create_shop(&shop, &new_enrolment_token(7).1).await.unwrap();
    }
    customer_stories(s).await;
}

fn customer(id: Uuid, card: &str, name: &str, stamp: &str) -> CustomerBody {
    CustomerBody {
        id,
        card: card.into(),
        name: name.into(),
        name_hlc: stamp.into(),
        email: None,
        email_hlc: stamp.into(),
        phone: None,
        phone_hlc: stamp.into(),
        group: None,
        group_hlc: stamp.into(),
        origin: card.split('-').next().unwrap_or("HQ").into(),
        created_at: now_text(),
        merged_into: None,
        erased: false,
    }
}

fn entry(customer: Uuid, shop: &str, kind: LoyaltyKind, points: i64) -> LoyaltyEntryBody {
    LoyaltyEntryBody {
        id: Uuid::now_v7(),
        customer,
        shop: shop.into(),
        kind,
        points,
        ticket: None,
        at: now_text(),
        note: String::new(),
    }
}

async fn push(s: &dyn HqStorage, shop: &str, records: Vec<serde_json::Value>) -> PushOutcome {
    let items = prepare_push(shop, records).unwrap();
    s.apply_push(shop, &now_text(), items).await.unwrap()
}

/// Customers and loyalty: the field-by-field merge by stamp, pushes that are never
/// duplicates, merging two records, erasure, the ledger and overdrafts, feed and snapshot.
/// Runs on a storage where shops LYON1 and PARIS1 exist.
pub async fn customer_stories(s: &dyn HqStorage) {
    let stamp = |ms: u64, node: &str| Hlc::new(ms, 0, node).encode();
    let cursor = s.feed("PARIS1", 0, 100_000).await.unwrap().changes.last().map(|c| c.seq).unwrap_or(0);

    // ---- a shop's customer, then edits from two places merging field by field
    let id = Uuid::now_v7();
    let mut lyon = customer(id, "LYON1-000001", "Marie Curie", &stamp(1000, "LYON1"));
    lyon.email = Some("marie@example.org".into());
    let out = push(s, "LYON1", vec![record("customer", &lyon)]).await;
    assert_eq!(out.accepted, vec![id]);
    // Paris edits the phone later; Lyon edits the name even later but had not seen Paris's phone.
    let mut paris = lyon.clone();
    paris.phone = Some("+33600000001".into());
    paris.phone_hlc = stamp(2000, "PARIS1");
    let mut lyon2 = lyon.clone();
    lyon2.name = "Marie Skłodowska-Curie".into();
    lyon2.name_hlc = stamp(3000, "LYON1");
    let out = push(s, "PARIS1", vec![record("customer", &paris)]).await;
    assert_eq!(out.accepted, vec![id], "a customer's edits are never duplicates");
    push(s, "LYON1", vec![record("customer", &lyon2), record("customer", &lyon)]).await;
    let v = s.get_customer(id).await.unwrap().unwrap();
    assert_eq!(v.name, "Marie Skłodowska-Curie", "the later name wins");
    assert_eq!(v.phone.as_deref(), Some("+33600000001"), "the phone edit made elsewhere stays");
    assert_eq!(v.email.as_deref(), Some("marie@example.org"));
    // A shop cannot merge or erase: those fields of a pushed record are ignored.
    let mut sneaky = lyon2.clone();
    sneaky.erased = true;
    push(s, "LYON1", vec![record("customer", &sneaky)]).await;
    assert!(!s.get_customer(id).await.unwrap().unwrap().erased);
    // An invalid record is quarantined, never merged.
    let mut bad = customer(Uuid::now_v7(), "LYON1-000009", "X", &stamp(1, "LYON1"));
    bad.email = Some("nope".into());
    let out = push(s, "LYON1", vec![record("customer", &bad)]).await;
    assert_eq!(out.quarantined.len(), 1);
    assert!(s.get_customer(bad.id).await.unwrap().is_none());

    // ---- the ledger: entries by id, balance = sum, a duplicate is a duplicate
    let earn = entry(id, "LYON1", LoyaltyKind::Earn, 120);
    let out = push(s, "LYON1", vec![record("loyalty_entry", &earn)]).await;
    assert_eq!(out.accepted, vec![earn.id]);
    let out = push(s, "LYON1", vec![record("loyalty_entry", &earn)]).await;
    assert_eq!(out.duplicates, vec![earn.id]);
    let wrong_shop = entry(id, "LYON1", LoyaltyKind::Earn, 5);
    assert_eq!(push(s, "PARIS1", vec![record("loyalty_entry", &wrong_shop)]).await.quarantined.len(), 1);
    assert_eq!(s.get_customer(id).await.unwrap().unwrap().loyalty_balance, 120);

    // ---- two shops offline spend the same points: overdrawn
    push(s, "LYON1", vec![record("loyalty_entry", entry(id, "LYON1", LoyaltyKind::Redeem, -100))]).await;
    assert!(!s.get_customer(id).await.unwrap().unwrap().overdrawn);
    push(s, "PARIS1", vec![record("loyalty_entry", entry(id, "PARIS1", LoyaltyKind::Redeem, -100))]).await;
    let v = s.get_customer(id).await.unwrap().unwrap();
    assert_eq!((v.loyalty_balance, v.overdrawn), (-80, true));
    let over = s.list_customers(true, 100).await.unwrap();
    assert_eq!(over.iter().map(|c| c.id).collect::<Vec<_>>(), vec![id]);
    let fixed = s.add_loyalty_entry(entry(id, "HQ", LoyaltyKind::Adjust, 80)).await.unwrap();
    assert_eq!((fixed.loyalty_balance, fixed.overdrawn), (0, false));
    assert!(s.list_customers(true, 100).await.unwrap().is_empty());
    assert_eq!(s.loyalty_entries(id).await.unwrap().len(), 4);

    // ---- merging two records of one person: history kept, points follow
    let twin = Uuid::now_v7();
    let hq_card = s.next_card_number().await.unwrap();
    assert!(s.next_card_number().await.unwrap() > hq_card);
    let t = customer(twin, &format!("HQ-{hq_card:06}"), "Marie Curie", &stamp(500, "HQ"));
    s.write_customer(t).await.unwrap();
    s.add_loyalty_entry(entry(twin, "HQ", LoyaltyKind::Adjust, 30)).await.unwrap();
    assert_eq!(s.merge_customers(twin, twin).await.unwrap_err().hq().kind(), "conflict");
    assert_eq!(s.merge_customers(twin, Uuid::now_v7()).await.unwrap_err().hq().kind(), "not_found");
    let found = s.search_customers(comptoir_core::customer::query_terms("mari cur"), 10).await.unwrap();
    assert!(found.iter().any(|c| c.id == twin), "found by prefixes of two words");
    let survivor = s.merge_customers(twin, id).await.unwrap();
    assert!(
        s.search_customers(comptoir_core::customer::query_terms("curie"), 10)
            .await
            .unwrap()
            .iter()
            .all(|c| c.id != twin),
        "a merged record is found through the one it was merged into, not on its own"
    );
    assert_eq!(survivor.loyalty_balance, 30);
    assert_eq!(survivor.merged_from, vec![twin]);
    let merged = s.get_customer(twin).await.unwrap().unwrap();
    assert_eq!(merged.merged_into, Some(id), "the merged record is kept");
    assert_eq!(s.merge_customers(twin, id).await.unwrap_err().hq().kind(), "conflict", "merged once");

    // ---- erasure: for good, points kept
    let erased = s.erase_customer(id).await.unwrap();
    assert!(erased.erased && erased.name.is_empty() && erased.email.is_none() && erased.phone.is_none());
    assert_eq!(erased.loyalty_balance, 30);
    let twin_now = s.get_customer(twin).await.unwrap().unwrap();
    assert!(twin_now.erased && twin_now.name.is_empty(), "the record merged into the erased one is erased too");
    let search = |q: &str| comptoir_core::customer::query_terms(q);
    assert!(s.search_customers(search("curie"), 10).await.unwrap().is_empty(), "an erased person is not found");
    let mut late = lyon2.clone();
    late.name = "Back".into();
    late.name_hlc = stamp(9_000_000_000_000, "LYON1");
    push(s, "LYON1", vec![record("customer", &late)]).await;
    assert!(s.get_customer(id).await.unwrap().unwrap().name.is_empty(), "an edit after erasure brings nothing back");

    // ---- the rule, and what the feed and the snapshot carry
    assert_eq!(s.loyalty_rule().await.unwrap(), LoyaltyRule::default());
    s.set_loyalty_rule(LoyaltyRule { points_per_euro: 2, cents_per_point: 5 }).await.unwrap();
    assert_eq!(s.loyalty_rule().await.unwrap().points_per_euro, 2);
    let feed = s.feed("PARIS1", cursor, 100_000).await.unwrap().changes;
    let last_of = |key: &str| feed.iter().rev().find(|c| c.key == key).cloned().unwrap();
    let c = last_of(&id.to_string());
    assert_eq!(c.entity, Entity::Customer);
    assert_eq!(c.body["erased"], true);
    assert_eq!(c.body["name"], "");
    assert!(feed.iter().any(|c| c.entity == Entity::LoyaltyEntry && c.key == earn.id.to_string()));
    assert_eq!(last_of(&twin.to_string()).body["merged_into"], id.to_string());
    assert_eq!(last_of(&twin.to_string()).body["erased"], true, "shops erase the merged record too");
    assert_eq!(last_of("chain").body["points_per_euro"], 2);
    let snapshot = all_snapshot(s, "PARIS1", 2).await;
    assert_eq!(snapshot.len() as u64, s.snapshot_begin("PARIS1").await.unwrap().1);
    assert_eq!(snapshot.iter().filter(|i| i.entity == Entity::Customer).count(), 2);
    assert_eq!(snapshot.iter().filter(|i| i.entity == Entity::LoyaltyEntry).count(), 5);

    // ---- offers for every shop, messages for one, acknowledgements pushed once
    let offer = OfferBody {
        id: Uuid::now_v7(),
        name: "-10 %".into(),
        percent_bp: Some(1000),
        amount: None,
        article: Some("A1".into()),
        category: None,
        group: None,
        customer: None,
        from: "2026-01-01".into(),
        to: "2026-12-31".into(),
        active: true,
    };
    s.create_offer(offer.clone()).await.unwrap();
    assert_eq!(s.list_offers().await.unwrap(), vec![offer.clone()]);
    let message = MessageBody {
        id: Uuid::now_v7(),
        register: Some("R1".into()),
        text: "Inventaire".into(),
        created_at: now_text(),
    };
    let nope = s.create_message("NOPE", message.clone()).await.unwrap_err().hq();
    assert_eq!(nope.kind(), "not_found");
    let view = s.create_message("LYON1", message.clone()).await.unwrap();
    assert!(view.acks.is_empty());
    let lyon_feed = s.feed("LYON1", cursor, 100_000).await.unwrap().changes;
    assert!(lyon_feed.iter().any(|c| c.entity == Entity::Offer && c.key == offer.id.to_string()));
    assert!(lyon_feed.iter().any(|c| c.entity == Entity::Message && c.key == message.id.to_string()));
    let paris_feed = s.feed("PARIS1", cursor, 100_000).await.unwrap().changes;
    assert!(paris_feed.iter().any(|c| c.entity == Entity::Offer), "offers go to every shop");
    assert!(!paris_feed.iter().any(|c| c.entity == Entity::Message), "a message goes to its shop only");
    let lyon_snapshot = all_snapshot(s, "LYON1", 1000).await;
    assert_eq!(lyon_snapshot.len() as u64, s.snapshot_begin("LYON1").await.unwrap().1);
    assert_eq!(lyon_snapshot.iter().filter(|i| i.entity == Entity::Message).count(), 1);
    assert_eq!(all_snapshot(s, "PARIS1", 1000).await.iter().filter(|i| i.entity == Entity::Message).count(), 0);
    let ack = MessageAckBody {
        id: Uuid::now_v7(),
        message: message.id,
        shop: "LYON1".into(),
        register: "R1".into(),
        user: "C1".into(),
        at: now_text(),
    };
    assert_eq!(push(s, "LYON1", vec![record("message_ack", &ack)]).await.accepted, vec![ack.id]);
    assert_eq!(push(s, "LYON1", vec![record("message_ack", &ack)]).await.duplicates, vec![ack.id]);
    assert_eq!(push(s, "PARIS1", vec![record("message_ack", &ack)]).await.quarantined.len(), 1);
    let listed = s.list_messages(Some("LYON1")).await.unwrap();
    assert_eq!(listed[0].acks, vec![ack]);
    assert!(s.list_messages(Some("PARIS1")).await.unwrap().is_empty());
}

// ---------------------------------------------------------------- dashboard

/// `t` with other lines, payments and change, VAT recomputed per rate and hash redone.
fn reshaped(mut t: Ticket, lines: &[(&str, i64, i64, u32)], payments: &[(PaymentMethod, i64)], change: i64) -> Ticket {
    t.lines = lines
        .iter()
        .map(|(sku, qty, total, bp)| TicketLine {
            article_id: Uuid::nil(),
            sku: (*sku).into(),
            name: format!("Article {sku}"),
            qty: Quantity(qty * 1000),
            unit_price: Money(total / qty),
            tax_rate_bp: TaxRate(*bp),
            discount: Money(0),
            total: Money(*total),
        })
        .collect();
    let mut by_rate: std::collections::BTreeMap<u32, i64> = Default::default();
    for (_, _, total, bp) in lines {
        *by_rate.entry(*bp).or_default() += total;
    }
    t.vat = by_rate
        .into_iter()
        .map(|(bp, gross)| {
            let vat = TaxRate(bp).vat_in(Money(gross));
            VatLine { rate_bp: TaxRate(bp), gross: Money(gross), net: Money(gross) - vat, vat }
        })
        .collect();
    t.total = Money(lines.iter().map(|l| l.2).sum());
    if t.total.cents() < 0 {
        t.kind = TicketKind::Return;
    }
    t.payments = payments.iter().map(|(m, a)| Payment { method: *m, amount: Money(*a) }).collect();
    t.change = Money(change);
    t.hash = comptoir_core::chain::ticket_hash(&t);
    t
}

/// The dashboard's part of the storage, on a fresh storage: sessions, and the sales
/// summaries, which must always equal what the tickets HQ holds add up to (duplicates and
/// quarantined records never count), over day ranges and whole months alike.
pub async fn dashboard_stories(storage: Arc<dyn HqStorage>) {
    let s = storage.as_ref();
    let g = comptoir_core::chain::GENESIS;
    let hq = HqIdentity { id: Uuid::new_v4(), name: "Comptoir HQ".into() };
    s.initialise(&hq, "admin", "$argon2id$fake").await.unwrap();
    for code in ["LYON1", "NICE1"] {
        let shop = ShopIdentity { code: code.into(), name: code.into(), postal_code: "69003".into() };
        s.create_shop(&shop, &new_enrolment_token(7).1).await.unwrap();
    }

    // ---- sessions
    let now = now_text();
    let session = DashboardSession {
        token_hash: "a".repeat(64),
        user: "admin".into(),
        csrf: "csrf-1".into(),
        created_at: now.clone(),
        expires_at: "2999-01-01T00:00:00.000000Z".into(),
    };
    s.create_session(&session).await.unwrap();
    assert_eq!(s.session(&session.token_hash, &now).await.unwrap(), Some(session.clone()));
    assert_eq!(s.session(&session.token_hash, "3000-01-01T00:00:00.000000Z").await.unwrap(), None, "expired");
    assert_eq!(s.session(&"b".repeat(64), &now).await.unwrap(), None);
    s.delete_session(&session.token_hash).await.unwrap();
    assert_eq!(s.session(&session.token_hash, &now).await.unwrap(), None, "logged out");

    // ---- sales: a card sale in January, a cash sale with change and a return in
    // February, a sale at NICE1 in March.
    let t1 = reshaped(
        ticket("LYON1", "R1", 1, g, 0, "2026-01-30"),
        &[("A1", 2, 1000, 550)],
        &[(PaymentMethod::Card, 1000)],
        0,
    );
    let t2 = reshaped(
        ticket("LYON1", "R1", 2, &t1.hash, 0, "2026-02-10"),
        &[("A1", 1, 500, 550), ("B2", 1, 1000, 2000)],
        &[(PaymentMethod::Cash, 2000)],
        500,
    );
    let t3 = reshaped(
        ticket("LYON1", "R1", 3, &t2.hash, 0, "2026-02-10"),
        &[("B2", -1, -1000, 2000)],
        &[(PaymentMethod::Cash, -1000)],
        0,
    );
    let n1 = reshaped(
        ticket("NICE1", "R1", 1, g, 0, "2026-03-01"),
        &[("C3", 3, 2100, 1000)],
        &[(PaymentMethod::Card, 2100)],
        0,
    );
    let mut altered = ticket("LYON1", "R2", 1, g, 99_999, "2026-02-10");
    altered.total = Money(1);
    let batch = vec![record("ticket", &t1), record("ticket", &t2), record("ticket", &t3), record("ticket", &altered)];
    let out = s.apply_push("LYON1", &now_text(), prepare_push("LYON1", batch.clone()).unwrap()).await.unwrap();
    assert_eq!((out.accepted.len(), out.quarantined.len()), (3, 1));
    // Sent again: every record is a duplicate and nothing counts twice.
    let again = s.apply_push("LYON1", &now_text(), prepare_push("LYON1", batch).unwrap()).await.unwrap();
    assert_eq!(again.duplicates.len(), 4);
    let c1 = closure("LYON1", "R1", 1, g, 1500, "2026-02-10");
    s.apply_push("LYON1", &now_text(), prepare_push("LYON1", vec![record("closure", &c1)]).unwrap()).await.unwrap();
    s.apply_push("NICE1", &now_text(), prepare_push("NICE1", vec![record("ticket", &n1)]).unwrap()).await.unwrap();

    let filter = |from: &str, to: &str, shop: Option<&str>| SalesFilter {
        from: from.into(),
        to: to.into(),
        shop: shop.map(String::from),
    };
    let year = filter("2026-01-01", "2026-12-31", None);
    let days = s.sales_days(&year).await.unwrap();
    let day =
        |shop: &str, d: &str, n: i64, r: i64| DaySales { shop: shop.into(), day: d.into(), tickets: n, revenue: r };
    assert_eq!(
        days,
        vec![
            day("LYON1", "2026-01-30", 1, 1000),
            day("LYON1", "2026-02-10", 2, 500),
            day("NICE1", "2026-03-01", 1, 2100)
        ]
    );
    // The summaries equal what the tickets themselves add up to.
    for f in [
        year.clone(),
        filter("2026-02-01", "2026-02-28", Some("LYON1")),
        filter("2026-03-01", "2026-03-01", Some("NICE1")),
    ] {
        let from_tickets = s.sales_report(&f.from, &f.to, f.shop.as_deref()).await.unwrap();
        let summarised: Vec<SalesRow> = s
            .sales_days(&f)
            .await
            .unwrap()
            .into_iter()
            .map(|d| SalesRow { shop: d.shop, day: d.day, tickets: d.tickets, revenue: d.revenue })
            .collect();
        assert_eq!(summarised, from_tickets, "{f:?}");
    }
    assert_eq!(s.sales_days(&filter("2026-02-11", "2026-02-28", None)).await.unwrap(), vec![]);

    let pay = |m: &str, a: i64| PaymentTotal { method: m.into(), amount: a };
    // Cash: 2000 tendered - 500 change - 1000 refunded.
    assert_eq!(s.payment_totals(&year).await.unwrap(), vec![pay("card", 3100), pay("cash", 500)]);
    assert_eq!(
        s.payment_totals(&filter("2026-01-01", "2026-12-31", Some("NICE1"))).await.unwrap(),
        vec![pay("card", 2100)]
    );

    let vat = s.vat_totals(&year).await.unwrap();
    let rates: Vec<(u32, i64)> = vat.iter().map(|v| (v.rate_bp, v.gross)).collect();
    assert_eq!(rates, vec![(550, 1500), (1000, 2100), (2000, 0)]);
    for v in &vat {
        assert_eq!(v.net + v.vat, v.gross, "{v:?}");
    }
    let expected_vat: i64 = [&t1, &t2, &t3, &n1].iter().flat_map(|t| t.vat.iter()).map(|v| v.vat.cents()).sum();
    assert_eq!(vat.iter().map(|v| v.vat).sum::<i64>(), expected_vat);

    let art = |sku: &str, q: i64, r: i64| ArticleSales {
        sku: sku.into(),
        name: format!("Article {sku}"),
        qty_milli: q,
        revenue: r,
    };
    let top = vec![art("C3", 3000, 2100), art("A1", 3000, 1500), art("B2", 0, 0)];
    assert_eq!(s.top_articles(&year, 10).await.unwrap(), top, "whole months");
    // Ragged edges (days) and whole months (February) together give the same answer.
    assert_eq!(s.top_articles(&filter("2026-01-15", "2026-03-05", None), 10).await.unwrap(), top, "days + months");
    assert_eq!(s.top_articles(&year, 1).await.unwrap(), top[..1].to_vec(), "limit");
    assert_eq!(
        s.top_articles(&filter("2026-02-10", "2026-02-10", Some("LYON1")), 10).await.unwrap(),
        vec![art("A1", 1000, 500), art("B2", 0, 0)]
    );
    assert_eq!(s.top_articles(&filter("2026-02-11", "2026-02-27", None), 10).await.unwrap(), vec![]);

    // ---- registers, from the chain heads
    let regs = s.registers().await.unwrap();
    let reg = |shop: &str, r: &str, t: i64, c: i64| RegisterView {
        shop: shop.into(),
        register: r.into(),
        tickets: t,
        closures: c,
    };
    assert_eq!(regs, vec![reg("LYON1", "R1", 3, 1), reg("NICE1", "R1", 1, 0)]);
}

/// Every summary over all time, as text: compared before and after a migration refills them.
pub async fn summaries(s: &dyn HqStorage) -> String {
    let all = SalesFilter { from: "0000-01-01".into(), to: "9999-12-31".into(), shop: None };
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        s.sales_days(&all).await.unwrap(),
        s.payment_totals(&all).await.unwrap(),
        s.vat_totals(&all).await.unwrap(),
        s.top_articles(&all, 1000).await.unwrap()
    )
}

// ---------------------------------------------------------------- stock and people

/// The stock-and-people story (`crate::stock`), on a freshly created, empty storage:
/// movements and levels, a transfer forwarded to its receiver only and received with a
/// difference, an order received above what was ordered, punches, documents filtered per
/// shop in the feed and the snapshot, duplicates and quarantine.
pub async fn stock_stories(storage: Arc<dyn HqStorage>) {
    use crate::stock as st;
    use comptoir_protocol::Record;
    use comptoir_protocol::stock::*;
    let s = storage.as_ref();
    s.initialise(&HqIdentity { id: Uuid::new_v4(), name: "HQ".into() }, "admin", "$argon2id$fake").await.unwrap();
    for code in ["LYON1", "NICE1", "LILLE1"] {
        let shop = ShopIdentity { code: code.into(), name: format!("Shop {code}"), postal_code: "69003".into() };
        s.create_shop(&shop, &new_enrolment_token(7).1).await.unwrap();
    }
    // Every shop knows the chain's shops.
    let shops_seen: Vec<String> = s
        .feed("NICE1", 0, 100)
        .await
        .unwrap()
        .changes
        .iter()
        .filter(|c| c.entity == Entity::Shop)
        .map(|c| c.key.clone())
        .collect();
    assert_eq!(shops_seen, ["LYON1", "NICE1", "LILLE1"]);

    let push = |shop: &'static str, records: Vec<Record>| async move {
        let values = records.iter().map(|r| serde_json::to_value(r).unwrap()).collect();
        s.apply_push(shop, &now_text(), prepare_push(shop, values).unwrap()).await.unwrap()
    };
    let article = Uuid::now_v7();
    let movement = |shop: &str, kind: MovementKind, qty: i64| StockMovement {
        id: Uuid::now_v7(),
        shop: shop.into(),
        article_id: article,
        sku: "A1".into(),
        kind,
        qty: Quantity(qty),
        reference: None,
        counted: None,
        at: now_text(),
    };
    let m1 = movement("LYON1", MovementKind::Reception, 10_000);
    let out = push(
        "LYON1",
        vec![Record::StockMovement(m1.clone()), Record::StockMovement(movement("LYON1", MovementKind::Sale, -1000))],
    )
    .await;
    assert_eq!(out.accepted.len(), 2);
    let again = push("LYON1", vec![Record::StockMovement(m1.clone())]).await;
    assert_eq!(again.duplicates, vec![m1.id], "a movement counts once");
    let forged = push("LYON1", vec![Record::StockMovement(movement("NICE1", MovementKind::Adjustment, 5000))]).await;
    assert_eq!(forged.quarantined.len(), 1, "a shop writes only its own ledger");

    // A transfer LYON1 → NICE1 reaches NICE1's feed, not LILLE1's.
    let transfer = Transfer {
        id: Uuid::now_v7(),
        from: "LYON1".into(),
        to: "NICE1".into(),
        state: TransferState::InTransit,
        lines: vec![TransferLine { article_id: article, sku: "A1".into(), sent: Quantity(4000), received: None }],
        sent_at: now_text(),
        received_at: None,
        differences: false,
    };
    let out = push(
        "LYON1",
        vec![
            Record::Transfer(transfer.clone()),
            Record::StockMovement(movement("LYON1", MovementKind::TransferOut, -4000)),
        ],
    )
    .await;
    assert_eq!(out.accepted.len(), 2, "{out:?}");
    let has_transfer = |shop: &'static str| async move {
        s.feed(shop, 0, 1000)
            .await
            .unwrap()
            .changes
            .iter()
            .any(|c| c.entity == Entity::Transfer && c.key == transfer.id.to_string())
    };
    assert!(has_transfer("NICE1").await && has_transfer("LYON1").await);
    assert!(!has_transfer("LILLE1").await, "a transfer goes to its shops only");
    // A receipt of an unknown slip is quarantined; the real one marks the difference.
    let receipt = |transfer: Uuid| TransferReceipt {
        id: Uuid::now_v7(),
        transfer,
        shop: "NICE1".into(),
        lines: vec![ReceivedLine { article_id: article, sku: "A1".into(), qty: Quantity(3000) }],
        at: now_text(),
    };
    let unknown = push("NICE1", vec![Record::TransferReceipt(receipt(Uuid::now_v7()))]).await;
    assert!(unknown.quarantined[0].reason.contains("unknown"), "{unknown:?}");
    let out = push(
        "NICE1",
        vec![
            Record::TransferReceipt(receipt(transfer.id)),
            Record::StockMovement(movement("NICE1", MovementKind::TransferIn, 3000)),
        ],
    )
    .await;
    assert_eq!(out.accepted.len(), 2, "{out:?}");
    let slip: Transfer =
        serde_json::from_value(s.document(Entity::Transfer, &transfer.id.to_string()).await.unwrap().unwrap()).unwrap();
    assert_eq!(
        (slip.state, slip.differences, slip.lines[0].received),
        (TransferState::Received, true, Some(Quantity(3000)))
    );
    assert_eq!(s.stock_levels("A1").await.unwrap(), vec![("LYON1".to_string(), 5000), ("NICE1".to_string(), 3000)]);
    assert_eq!(st::chain_stock("A1", s.stock_levels("A1").await.unwrap()).total, Quantity(8000));

    // An order made at HQ for LILLE1, received above what was ordered.
    let order = PurchaseOrder {
        id: Uuid::now_v7(),
        shop: "LILLE1".into(),
        supplier: "Moulin".into(),
        origin: "HQ".into(),
        state: OrderState::Open,
        lines: vec![OrderLine {
            article_id: article,
            sku: "A1".into(),
            ordered: Quantity(2000),
            received: Quantity(0),
            cost: None,
        }],
        created_at: now_text(),
    };
    let e = s
        .put_documents(vec![("PARIS9".into(), "shop".into())], None, vec![st::order_put(&order)])
        .await
        .unwrap_err()
        .hq();
    assert_eq!((e.kind(), e.field().as_deref()), ("not_found", Some("shop")));
    assert!(s.document(Entity::PurchaseOrder, &order.id.to_string()).await.unwrap().is_none(), "nothing written");
    s.put_documents(vec![("LILLE1".into(), "shop".into())], None, vec![st::order_put(&order)]).await.unwrap();
    let reception = Reception {
        id: Uuid::now_v7(),
        order: order.id,
        shop: "LILLE1".into(),
        lines: vec![ReceptionLine {
            article_id: article,
            sku: "A1".into(),
            qty: Quantity(3000),
            ordered: Quantity(2000),
            received_before: Quantity(0),
            difference: Quantity(-1000),
            over: true,
        }],
        over: true,
        at: now_text(),
    };
    assert_eq!(push("LILLE1", vec![Record::Reception(reception.clone())]).await.accepted.len(), 1);
    let order: PurchaseOrder =
        serde_json::from_value(s.document(Entity::PurchaseOrder, &order.id.to_string()).await.unwrap().unwrap())
            .unwrap();
    assert_eq!((order.state, order.lines[0].received), (OrderState::Received, Quantity(3000)));
    let receptions = s.documents(Entity::Reception).await.unwrap();
    assert_eq!(receptions.len(), 1);
    assert_eq!(receptions[0]["over"], true);

    // Users: created once, sent to their shops only, in the feed and the snapshot.
    let user = st::NewChainUser {
        code: "C1".into(),
        name: "Alice".into(),
        role: "cashier".into(),
        pin: "1234".into(),
        shops: vec!["LYON1".into()],
        registers: vec![],
    };
    let (shops, body, puts) = st::new_user(user.clone()).unwrap();
    assert!(comptoir_core::secret::verify_secret("1234", &body.pin_hash), "an Argon2id hash of the PIN");
    s.put_documents(shops.clone(), Some((Entity::User, "C1".into(), "code".into())), puts.clone()).await.unwrap();
    let e = s.put_documents(shops, Some((Entity::User, "C1".into(), "code".into())), puts).await.unwrap_err().hq();
    assert_eq!((e.kind(), e.field().as_deref()), ("already_exists", Some("code")));
    let users_in = |shop: &'static str| async move {
        let feed = s.feed(shop, 0, 1000).await.unwrap().changes.iter().filter(|c| c.entity == Entity::User).count();
        let snap = all_snapshot(s, shop, 2).await.iter().filter(|i| i.entity == Entity::User).count();
        let total = s.snapshot_begin(shop).await.unwrap().1 as usize;
        assert_eq!(total, all_snapshot(s, shop, 1000).await.len(), "the snapshot count is its length");
        (feed, snap)
    };
    assert_eq!(users_in("LYON1").await, (1, 1));
    assert_eq!(users_in("NICE1").await, (0, 0), "users go to their shops only");
    assert_eq!(s.documents(Entity::User).await.unwrap().len(), 1, "HQ lists each user once");
    // A shop price reaches that shop only.
    let price = ShopPrice { shop: "NICE1".into(), article_id: article, sku: "A1".into(), price: Some(Money(99)) };
    s.put_documents(vec![("NICE1".into(), "shop".into())], None, vec![st::shop_price_put(&price)]).await.unwrap();
    let got = |shop: &'static str| async move {
        all_snapshot(s, shop, 1000).await.iter().filter(|i| i.entity == Entity::ShopPrice).count()
    };
    assert_eq!((got("NICE1").await, got("LYON1").await), (1, 0));

    // Punches, reported per business day.
    let punch = |kind: PunchKind, at: &str| Punch {
        id: Uuid::now_v7(),
        shop: "LYON1".into(),
        register: "R1".into(),
        user: "C1".into(),
        kind,
        at: at.into(),
        date: at[..10].into(),
    };
    let out = push(
        "LYON1",
        vec![
            Record::Punch(punch(PunchKind::In, "2026-12-01T08:00:00.000000Z")),
            Record::Punch(punch(PunchKind::Out, "2026-12-01T12:15:00.000000Z")),
            Record::Punch(punch(PunchKind::In, "2026-12-09T08:00:00.000000Z")),
        ],
    )
    .await;
    assert_eq!(out.accepted.len(), 3);
    let (mon, sun) = st::week_bounds("2026-W49").unwrap();
    let week = s.punches(&mon.to_string(), &sun.to_string()).await.unwrap();
    assert_eq!(week.len(), 2, "the next week's punch is not in it");
    let report = st::week_report("2026-W49", &mon.to_string(), &sun.to_string(), week);
    assert_eq!((report.users[0].minutes, report.users[0].open), (255, false));
}

/// A journal entry of `shop`, hashed, chained after `prev` and signed with `key`.
pub fn journal_entry(
    shop: &str,
    sequence: i64,
    prev: &str,
    code: &str,
    details: &str,
    key: &comptoir_core::fiscal::SecretKey,
) -> comptoir_core::chain::JournalEntry {
    let mut e = comptoir_core::chain::JournalEntry {
        shop: shop.into(),
        sequence,
        code: code.into(),
        at: format!("2026-12-{:02}T09:00:00.000000Z", sequence.clamp(1, 28)),
        user: Some("admin".into()),
        register: None,
        details: details.into(),
        prev_hash: prev.into(),
        hash: String::new(),
        signature: None,
    };
    e.hash = comptoir_core::chain::journal_hash(&e);
    e.signature = Some(key.sign(comptoir_core::chain::encode_journal(&e).as_bytes()));
    e
}

/// Signatures, the journal, key rotation and archives at HQ (docs/fiscal.md): HQ registers
/// a shop's first key, quarantines a record whose signature does not hold, stores and lists
/// the journal, follows a rotation signed by the current key (old records still verify),
/// refuses a forged one, and keeps uploaded archives.
pub async fn fiscal_stories(storage: Arc<dyn HqStorage>) {
    use comptoir_core::chain::{GENESIS, encode_ticket};
    use comptoir_core::fiscal::SecretKey;
    use comptoir_protocol::Record;
    let s = storage.as_ref();
    s.initialise(&HqIdentity { id: Uuid::new_v4(), name: "HQ".into() }, "admin", "$argon2id$fake").await.unwrap();
    let lyon = ShopIdentity { code: "LYON1".into(), name: "Lyon".into(), postal_code: "69003".into() };
    s.create_shop(&lyon, &new_enrolment_token(7).1).await.unwrap();
    let push = |records: Vec<Record>| async move {
        let values = records.iter().map(|r| serde_json::to_value(r).unwrap()).collect();
        s.apply_push("LYON1", &now_text(), prepare_push("LYON1", values).unwrap()).await.unwrap()
    };
    let signed_ticket = |sequence: i64, prev: &str, key: &SecretKey| {
        let mut t = ticket("LYON1", "R1", sequence, prev, 450, "2026-12-01");
        t.signature = Some(key.sign(encode_ticket(&t).as_bytes()));
        t
    };
    let (first, second, thief) = (SecretKey::generate(), SecretKey::generate(), SecretKey::generate());

    // Before HQ holds a key, records are stored unverified.
    let e1 = journal_entry("LYON1", 1, GENESIS, "shop_initialised", "LYON1 Lyon", &first);
    let out = push(vec![Record::JournalEntry(e1.clone())]).await;
    assert_eq!(out.accepted.len(), 1);

    // The first key is registered once; a second "first key" changes nothing.
    let k1 = crate::fiscal::first_key(&first.public_key(), &now_text()).unwrap();
    assert!(s.register_first_key("LYON1", &k1).await.unwrap());
    let k3 = crate::fiscal::first_key(&thief.public_key(), &now_text()).unwrap();
    assert!(!s.register_first_key("LYON1", &k3).await.unwrap());
    assert_eq!(s.shop_keys("LYON1").await.unwrap(), vec![k1.clone()]);

    // A ticket signed by the shop's key is accepted; one signed by another is quarantined,
    // and so is a journal entry whose signature was made for other content.
    let t1 = signed_ticket(1, GENESIS, &first);
    let forged = signed_ticket(2, &t1.hash, &thief);
    let e2 = journal_entry("LYON1", 2, &e1.hash, "sign_in", "", &first);
    let mut e3 = journal_entry("LYON1", 3, &e2.hash, "price_changed", "A1 1.20 -> 1.10", &first);
    e3.signature = e2.signature.clone();
    let out = push(vec![
        Record::Ticket(t1.clone()),
        Record::Ticket(forged.clone()),
        Record::JournalEntry(e2.clone()),
        Record::JournalEntry(e3.clone()),
    ])
    .await;
    assert_eq!(out.accepted, vec![t1.id, comptoir_protocol::journal_entry_id(&e2)]);
    let reasons: Vec<&str> = out.quarantined.iter().map(|q| q.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("LYON1-R1-000002") && reasons[0].contains("not one of the shop's"), "{reasons:?}");
    assert!(reasons[1].contains("journal entry 3") && reasons[1].contains("does not match"), "{reasons:?}");
    let held = s.list_quarantine(Some("LYON1")).await.unwrap();
    assert!(held.iter().any(|q| q.kind == RecordKind::JournalEntry), "the journal entry is kept aside");
    // Pushed again, the journal is idempotent.
    let again = push(vec![Record::JournalEntry(e2.clone())]).await;
    assert_eq!(again.duplicates.len(), 1);

    // A rotation signed by the current key registers the new key: tickets signed with it are
    // accepted, and tickets signed before (with the first key) still verify.
    let details = format!("old {} new {} public key {}", first.key_id(), second.key_id(), second.public_key());
    let e4 = journal_entry("LYON1", 3, &e2.hash, "key_rotated", &details, &first);
    let t2 = signed_ticket(2, &t1.hash, &second);
    let late = signed_ticket(3, &t2.hash, &first);
    let out =
        push(vec![Record::JournalEntry(e4.clone()), Record::Ticket(t2.clone()), Record::Ticket(late.clone())]).await;
    assert_eq!(out.accepted, vec![comptoir_protocol::journal_entry_id(&e4), t2.id, late.id], "{out:?}");
    let keys = s.shop_keys("LYON1").await.unwrap();
    assert_eq!(keys.iter().map(|k| k.key_id.clone()).collect::<Vec<_>>(), vec![first.key_id(), second.key_id()]);
    assert!(keys[0].retired_at.is_some() && keys[1].retired_at.is_none());

    // A forged rotation: signed by a key HQ does not know, or by the retired key.
    let to_thief = format!("old {} new {} public key {}", second.key_id(), thief.key_id(), thief.public_key());
    let by_thief = journal_entry("LYON1", 4, &e4.hash, "key_rotated", &to_thief, &thief);
    // (Other details than the first: the same content would be the same entry, a duplicate.)
    let by_old = journal_entry("LYON1", 4, &e4.hash, "key_rotated", &format!("{to_thief} "), &first);
    let out = push(vec![Record::JournalEntry(by_thief), Record::JournalEntry(by_old)]).await;
    assert!(out.accepted.is_empty(), "{out:?}");
    assert!(out.quarantined[0].reason.contains("not one of the shop's"), "{:?}", out.quarantined);
    assert!(out.quarantined[1].reason.contains("not by the shop's current key"), "{:?}", out.quarantined);
    assert_eq!(s.shop_keys("LYON1").await.unwrap().len(), 2, "the forged rotations registered nothing");

    // The journal, by sequence, filtered and paged; its chain is checked like a register's.
    let all = |code: Option<&str>, after: i64, limit: usize| JournalFilter {
        code: code.map(str::to_string),
        after,
        limit,
        ..JournalFilter::default()
    };
    let (page, next) = s.list_journal("LYON1", &all(None, 0, 2)).await.unwrap();
    assert_eq!(page.iter().map(|e| e.entry.sequence).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(page[1].entry, e2, "stored as the shop signed it");
    let (rest, end) = s.list_journal("LYON1", &all(None, next.unwrap(), 2)).await.unwrap();
    assert_eq!((rest.len(), end), (1, None));
    assert_eq!(rest[0].entry.code, "key_rotated");
    let (rotations, _) = s.list_journal("LYON1", &all(Some("key_rotated"), 0, 10)).await.unwrap();
    assert_eq!(rotations.len(), 1);
    let dated = JournalFilter { from: Some("2026-12-02".into()), to: Some("2026-12-03".into()), ..all(None, 0, 10) };
    assert_eq!(s.list_journal("LYON1", &dated).await.unwrap().0.len(), 1, "entry 2 is stamped on the 2nd");
    assert!(s.list_journal("NICE1", &all(None, 0, 10)).await.unwrap().0.is_empty());
    assert!(
        s.chain_events(Some("LYON1")).await.unwrap().iter().all(|e| e.chain != RecordKind::JournalEntry),
        "the journal's chain is intact"
    );

    // Archives: kept once by name, listed newest first, their bytes given back.
    let record = |name: &str, at: &str| ArchiveRecord {
        name: name.into(),
        shop: "LYON1".into(),
        period: "2026-11".into(),
        bytes: 3,
        sha256: "ab".into(),
        verified: true,
        detail: "signature holds".into(),
        received_at: at.into(),
    };
    s.store_archive(&record("LYON1-2026-11-a.jsonl", "2026-12-01T00:00:00Z"), b"one".to_vec()).await.unwrap();
    s.store_archive(&record("LYON1-2026-11-a.jsonl", "2026-12-01T00:00:00Z"), b"two".to_vec()).await.unwrap();
    s.store_archive(&record("LYON1-2026-11-b.jsonl", "2026-12-02T00:00:00Z"), b"new".to_vec()).await.unwrap();
    let listed: Vec<String> = s.list_archives("LYON1").await.unwrap().into_iter().map(|a| a.name).collect();
    assert_eq!(listed, ["LYON1-2026-11-b.jsonl", "LYON1-2026-11-a.jsonl"]);
    assert_eq!(s.archive_body("LYON1", "LYON1-2026-11-a.jsonl").await.unwrap().as_deref(), Some(&b"one"[..]));
    assert_eq!(s.archive_body("NICE1", "LYON1-2026-11-a.jsonl").await.unwrap(), None, "only its own shop's");

    // An entry removed on the way (sequence 5 after 3): stored, and the gap recorded on the
    // journal's chain, as for a register's tickets.
    let e6 = journal_entry("LYON1", 6, "0".repeat(64).as_str(), "sign_out", "", &second);
    assert_eq!(push(vec![Record::JournalEntry(e6)]).await.accepted.len(), 1);
    let events = s.chain_events(Some("LYON1")).await.unwrap();
    let gap = events.iter().find(|e| e.chain == RecordKind::JournalEntry).expect("a journal chain event");
    assert_eq!((gap.kind.as_str(), gap.sequence), ("gap", 6), "{gap:?}");
    assert!(gap.detail.contains("expected sequence 4"), "{gap:?}");
}
