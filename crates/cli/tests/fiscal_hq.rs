//! Fiscal integrity between a shop and HQ, with real processes over loopback HTTP
//! (docs/fiscal.md): the shop's technical journal reaches HQ through sync, chained and
//! signed; a key rotation reaches HQ as a signed journal entry, after which HQ accepts the
//! tickets signed with the new key; a forged rotation is quarantined; an archive is copied
//! to HQ, which checks its signature and gives it back byte for byte. Each story runs on
//! both HQ backends.

mod support;

use comptoir_core::chain::{JournalEntry, encode_journal, journal_hash};
use comptoir_core::fiscal::SecretKey;
use serde_json::{Value, json};
use support::*;

async fn hq_article(api: &Api, hq: &Hq, sku: &str, price: i64) {
    let body = json!({"sku": sku, "name": format!("Article {sku}"), "price": price, "tax_rate_bp": 550});
    let (status, b) = api.post(&format!("{}/articles", hq.server.base), body).await;
    assert_eq!(status, 201, "{b}");
}

/// Starts the shop (syncing by hand), sells `n` tickets at R1, stops it.
async fn sell(api: &Api, dir: &str, n: usize, first_run: bool) {
    let shop = Server::start(
        &["shop", "serve", "--data-dir", dir, "--listen", "127.0.0.1:0"],
        &[("COMPTOIR_SHOP_SYNC__AUTO", "false")],
    );
    if first_run {
        let (s, b) = api.post(&format!("{}/registers", shop.base), json!({"code": "R1", "name": "Caisse 1"})).await;
        assert_eq!(s, 201, "{b}");
    }
    for _ in 0..n {
        let sale = json!({"register": "R1", "cashier": "C1", "lines": [{"sku": "A1", "qty": 1}], "payments": [{"method": "card", "amount": 120}]});
        let (s, b) = api.post(&format!("{}/tickets", shop.base), sale).await;
        assert_eq!(s, 201, "{b}");
    }
    drop(shop);
}

/// `comptoir shop sync`, whose output must say no record was quarantined (or `quarantined`).
fn sync(dir: &str, quarantined: usize) -> String {
    let out = comptoir(&["shop", "sync", "--data-dir", dir], None);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains(&format!("{quarantined} quarantined")), "{stdout}");
    stdout
}

fn shop_db(dir: &std::path::Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(dir.join("shop.sqlite")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    db
}

/// The key id a record's `signature` names.
fn signer(record: &Value) -> String {
    record["signature"].as_str().and_then(|s| s.split_once(':')).map(|(id, _)| id.to_string()).unwrap_or_default()
}

async fn the_journal_keys_and_archives_of_a_shop_reach_hq(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let hq = Hq::start(tmp.path(), backend);
    let hq_base = hq.server.base.clone();
    let api = Api::default();
    hq_article(&api, &hq, "A1", 120).await;
    let token = hq.add_shop("LYON1");
    hq_user(&api, &hq_base, "LYON1", "C1", "1234").await;
    let dir = tmp.path().join("LYON1");
    assert!(enroll(&dir, &hq.origin(), &token).status.success());
    let d = dir_arg(&dir);

    // Two sales; the sync carries them and every journal entry (creation, enrolment, the
    // server's start and stop), each verified at HQ against the key the shop registered.
    sell(&api, &d, 2, true).await;
    sync(&d, 0);
    let at_shop: i64 = shop_db(&dir).query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0)).unwrap();
    let journal = api.all(&format!("{hq_base}/shops/LYON1/journal")).await;
    assert_eq!(journal.len() as i64, at_shop, "HQ holds the whole journal");
    let codes: Vec<&str> = journal.iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"shop_initialised") && codes.contains(&"enrolled"), "{codes:?}");
    let sequences: Vec<i64> = journal.iter().map(|e| e["sequence"].as_i64().unwrap()).collect();
    assert_eq!(sequences, (1..=at_shop).collect::<Vec<_>>(), "in order, no gap");
    let first_key = signer(&journal[0]);
    assert!(journal.iter().all(|e| signer(e) == first_key), "all signed by the first key");
    let (s, only) = api.get(&format!("{hq_base}/shops/LYON1/journal?code=enrolled")).await;
    assert_eq!((s, only["items"].as_array().unwrap().len()), (200, 1), "{only}");
    let (s, none) = api.get(&format!("{hq_base}/shops/LYON1/journal?from=2000-01-01&to=2000-01-02")).await;
    assert_eq!((s, none["items"].as_array().unwrap().len()), (200, 0), "{none}");
    let (s, bad) = api.get(&format!("{hq_base}/shops/LYON1/journal?from=yesterday")).await;
    assert_eq!((s, bad["kind"].as_str()), (400, Some("bad_instant")), "{bad}");
    let (s, _) = api.get(&format!("{hq_base}/shops/NOPE1/journal")).await;
    assert_eq!(s, 404);

    // The key is rotated at the shop; the next sale is signed with the new key, and HQ,
    // having followed the signed rotation, accepts it.
    let out = comptoir(&["shop", "rotate-key", "--data-dir", &d], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    sell(&api, &d, 1, false).await;
    sync(&d, 0);
    let tickets = api.all(&format!("{hq_base}/tickets?shop=LYON1")).await;
    assert_eq!(tickets.len(), 3);
    let new_key = signer(&tickets[2]);
    assert_ne!(new_key, first_key, "the third ticket is signed with the new key");
    assert_eq!(signer(&tickets[0]), first_key, "the first ones keep theirs");
    let rotations = api.all(&format!("{hq_base}/shops/LYON1/journal?code=key_rotated")).await;
    assert_eq!(rotations.len(), 1);
    assert_eq!(signer(&rotations[0]), first_key, "the rotation is signed by the old key");
    let (_, quarantine) = api.get(&format!("{hq_base}/quarantine?shop=LYON1")).await;
    assert_eq!(quarantine.as_array().unwrap().len(), 0, "{quarantine}");

    // A forged rotation, slipped into the outbox, signed by a key that is not the shop's:
    // HQ quarantines it with its reason, and keeps trusting the shop's own key.
    let db = shop_db(&dir);
    let (sequence, prev): (i64, String) = db
        .query_row("SELECT sequence, hash FROM journal ORDER BY sequence DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let thief = SecretKey::generate();
    let mut forged = JournalEntry {
        shop: "LYON1".into(),
        sequence: sequence + 1,
        code: "key_rotated".into(),
        at: "2099-01-01T00:00:00.000000Z".into(),
        user: None,
        register: None,
        details: format!("old {new_key} new {} public key {}", thief.key_id(), thief.public_key()),
        prev_hash: prev,
        hash: String::new(),
        signature: None,
    };
    forged.hash = journal_hash(&forged);
    forged.signature = Some(thief.sign(encode_journal(&forged).as_bytes()));
    let record = json!({"kind": "journal_entry", "body": forged});
    let id = comptoir_protocol::journal_entry_id(&forged).to_string();
    db.execute(
        "INSERT INTO outbox (record_id, kind, body, created_at) VALUES (?, 'journal_entry', ?, '2099-01-01T00:00:00Z')",
        rusqlite::params![id, record.to_string()],
    )
    .unwrap();
    drop(db);
    sync(&d, 1);
    let (_, quarantine) = api.get(&format!("{hq_base}/quarantine?shop=LYON1")).await;
    let reasons: Vec<&str> = quarantine.as_array().unwrap().iter().map(|q| q["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("key_rotated") || reasons[0].contains("journal entry"), "{reasons:?}");
    assert!(reasons[0].contains("not one of the shop's"), "{reasons:?}");
    let incidents: i64 =
        shop_db(&dir).query_row("SELECT COUNT(*) FROM journal WHERE code = 'quarantine'", [], |r| r.get(0)).unwrap();
    assert_eq!(incidents, 0, "a quarantined journal entry is not journaled again (it would loop)");

    // The month's archive: written at the shop, copied to HQ, whose check of its signature
    // holds; HQ lists it and gives the same bytes back.
    let month: String =
        shop_db(&dir).query_row("SELECT substr(MAX(business_date), 1, 7) FROM tickets", [], |r| r.get(0)).unwrap();
    let out = comptoir(&["shop", "archive", "--data-dir", &d, "--period", &month], None);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Copied to HQ as LYON1-") && stdout.contains("signature holds"), "{stdout}");
    let path = last_line(&out);
    let (s, archives) = api.get(&format!("{hq_base}/shops/LYON1/archives")).await;
    assert_eq!(s, 200, "{archives}");
    let archives = archives.as_array().unwrap().clone();
    assert_eq!(archives.len(), 1, "{archives:?}");
    assert_eq!(archives[0]["verified"], true, "{archives:?}");
    assert_eq!(archives[0]["period"], month.as_str());
    let name = archives[0]["name"].as_str().unwrap();
    let got = api
        .http
        .get(format!("{hq_base}/shops/LYON1/archives/{name}"))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), std::fs::read(&path).unwrap(), "the same bytes");

    // Another shop's credential cannot upload this shop's archive.
    let nice_token = hq.add_shop("NICE1");
    let nice = tmp.path().join("NICE1");
    assert!(enroll(&nice, &hq.origin(), &nice_token).status.success());
    let credential: String = shop_db(&nice).query_row("SELECT credential FROM hq_link", [], |r| r.get(0)).unwrap();
    let refused = api
        .http
        .post(format!("{hq_base}/sync/archives"))
        .bearer_auth(credential)
        .header(comptoir_protocol::HEADER_PROTOCOL, comptoir_protocol::PROTOCOL_VERSION.to_string())
        .header(comptoir_protocol::HEADER_VERSION, "test")
        .body(std::fs::read(&path).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["kind"], "archive_of_another_shop", "{body}");
    drop(hq);
}

macro_rules! on_both_backends {
    ($($story:ident => $sqlite:ident, $postgres:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $story(Backend::Sqlite).await
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            $story(Backend::Postgres).await
        }
    )*};
}

on_both_backends! {
    the_journal_keys_and_archives_of_a_shop_reach_hq => the_journal_keys_and_archives_of_a_shop_reach_hq_sqlite, the_journal_keys_and_archives_of_a_shop_reach_hq_postgres;
}
