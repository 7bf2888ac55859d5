//! The dashboard's pages over real HTTP (an in-process HQ on SQLite, a random port): a
//! hostile name written through the API reaches every page as text, never as markup, and a
//! refused form marks the field it blames, in the form that was sent only.

use comptoir_hq::{Hq, HqConfig, HqStorage};
use comptoir_hq_sqlite::SqliteStorage;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;

const PASSWORD: &str = "hq-admin-password";
/// A name that would run a script, or add an attribute, if a page spliced it raw.
const HOSTILE: &str = r#"<script>alert(1)</script>" onmouseover="x"#;
const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x";

struct Dashboard {
    _dir: tempfile::TempDir,
    base: String,
    client: reqwest::Client,
    /// `comptoir_session=...` once signed in.
    session: String,
    csrf: String,
}

/// The value of `name="csrf"` in a page's first form.
fn csrf_in(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    html[start..].split('"').next().unwrap().to_string()
}

/// `name=value` of cookie `name` set by a response.
fn cookie_set(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no cookie {name}"))
}

impl Dashboard {
    /// An HQ, signed in to its dashboard as its admin.
    async fn signed_in() -> Dashboard {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn HqStorage> = Arc::new(SqliteStorage::create(&dir.path().join("hq.sqlite")).unwrap());
        let identity = comptoir_protocol::HqIdentity { id: uuid::Uuid::new_v4(), name: "Comptoir HQ".into() };
        storage.initialise(&identity, "admin", &comptoir_core::secret::hash_secret(PASSWORD)).await.unwrap();
        let hq = Hq::open(storage, HqConfig::default()).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(comptoir_hq::server::serve(hq, listener, std::future::pending()));
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

        let page = client.get(format!("{base}/dashboard/login")).send().await.unwrap();
        let login_cookie = cookie_set(&page, "comptoir_login");
        let token = csrf_in(&page.text().await.unwrap());
        let signed = client
            .post(format!("{base}/dashboard/login"))
            .header("cookie", login_cookie)
            .form(&[
                ("csrf", token.as_str()),
                ("next", "/dashboard/catalog"),
                ("user", "admin"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(signed.status(), StatusCode::SEE_OTHER, "signed in and sent on");
        let session = cookie_set(&signed, "comptoir_session");
        let mut d = Dashboard { _dir: dir, base, client, session, csrf: String::new() };
        let (_, catalog) = d.get("/dashboard/catalog").await;
        d.csrf = csrf_in(&catalog);
        d
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self.client.get(format!("{}{path}", self.base)).header("cookie", &self.session).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// A dashboard form sent with this session's CSRF token.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.session)
            .form(&form)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn api(&self, path: &str, body: serde_json::Value) -> StatusCode {
        let r = self.client.post(format!("{}{path}", self.base)).basic_auth("admin", Some(PASSWORD)).json(&body);
        r.send().await.unwrap().status()
    }
}

fn assert_harmless(page: &str) {
    assert!(!page.contains("<script"), "a tag got through:\n{page}");
    assert!(!page.contains("\" onmouseover"), "a quote closed an attribute:\n{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_name_reaches_every_page_as_text() {
    let d = Dashboard::signed_in().await;
    // An article, a category and a customer named by someone hostile, through the API.
    let article = json!({"sku": "X1", "name": HOSTILE, "price": 100, "tax_rate_bp": 550, "barcodes": []});
    assert_eq!(d.api("/api/v1/articles", article).await, StatusCode::CREATED);
    assert_eq!(d.api("/api/v1/categories", json!({"code": "EVIL", "name": HOSTILE})).await, StatusCode::CREATED);
    assert_eq!(d.api("/api/v1/customers", json!({"name": HOSTILE})).await, StatusCode::CREATED);

    // In a table cell.
    let (s, list) = d.get("/dashboard/catalog?q=X1").await;
    assert_eq!(s, StatusCode::OK);
    assert_harmless(&list);
    assert!(list.contains(&format!("<td>{ESCAPED}</td>")), "{list}");
    // In the title, the heading and an input's value.
    let (_, article) = d.get("/dashboard/catalog/articles/X1").await;
    assert_harmless(&article);
    assert!(article.contains(&format!("<title>X1 {ESCAPED} · Comptoir HQ</title>")), "{article}");
    assert!(article.contains(&format!("<h1>X1 {ESCAPED}</h1>")), "{article}");
    assert!(article.contains(&format!("name=\"name\" value=\"{ESCAPED}\"")), "{article}");
    // In an option of the category list, and in the category's own rename form.
    assert!(article.contains(&format!("<option value=\"EVIL\">EVIL — {ESCAPED}</option>")), "{article}");
    let (_, categories) = d.get("/dashboard/catalog/categories").await;
    assert_harmless(&categories);
    assert!(categories.contains(&format!("value=\"{ESCAPED}\"")), "{categories}");
    // In the customers' table.
    let (_, customers) = d.get("/dashboard/customers").await;
    assert_harmless(&customers);
    assert!(customers.contains(&format!("<td>{ESCAPED}</td>")), "{customers}");
    // In the stock page's search box, as typed.
    let (_, search) = d.get("/dashboard/stock?sku=%3Cscript%3E").await;
    assert_harmless(&search);
    assert!(search.contains("value=\"&lt;script&gt;\""), "{search}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_form_marks_its_field_in_the_form_that_was_sent() {
    let d = Dashboard::signed_in().await;
    let article = json!({"sku": "B2", "name": "Brioche", "price": 1290, "tax_rate_bp": 550, "barcodes": []});
    assert_eq!(d.api("/api/v1/articles", article).await, StatusCode::CREATED);

    // The article page has two `price` fields: the article's and the shop's own price.
    let (s, page) = d.post("/dashboard/catalog/articles/B2/shop-price", &[("shop", "NICE1"), ("price", "cheap")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("role=\"alert\" data-kind=\"bad_amount\""), "{page}");
    assert_eq!(page.matches("aria-invalid=\"true\"").count(), 1, "one field blamed:\n{page}");
    let (article_form, shop_prices) = page.split_once("id=\"shop-prices\"").unwrap();
    assert!(!article_form.contains("aria-invalid"), "the article's own price is not blamed");
    assert!(
        shop_prices
            .contains("name=\"price\" inputmode=\"decimal\" aria-invalid=\"true\" aria-describedby=\"price-error\""),
        "{shop_prices}"
    );
    assert!(
        shop_prices
            .contains("<span class=\"field-error\" id=\"price-error\">price: &quot;cheap&quot; is not an amount")
    );

    // A hostile code refused on the categories page: the message quotes it, escaped, beside
    // the create form's code field.
    let (s, page) =
        d.post("/dashboard/catalog/categories", &[("action", "create"), ("code", HOSTILE), ("name", "x")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert_harmless(&page);
    assert!(page.contains("name=\"code\" required maxlength=\"32\" aria-invalid=\"true\""), "{page}");

    // Done: a notice, nothing blamed.
    let (s, page) = d
        .post("/dashboard/catalog/categories", &[("action", "create"), ("code", "BOUL"), ("name", "Boulangerie")])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("<div class=\"notice\" role=\"status\">Saved: BOUL</div>"), "{page}");
    assert!(!page.contains("aria-invalid"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shops_journal_page_filters_pages_and_shows_details_as_text() {
    use comptoir_hq::conformance::journal_entry;
    let d = Dashboard::signed_in().await;
    // LYON1 enrols and pushes 150 journal entries, one a day from 1 December, the 3rd
    // carrying hostile details.
    let created: serde_json::Value = d
        .client
        .post(format!("{}/api/v1/shops", d.base))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"code": "LYON1", "name": "Lyon", "postal_code": "69003"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let enrol = json!({"token": created["enrolment_token"], "protocol": 3, "version": "test"});
    let sync = |path: &str| {
        d.client
            .post(format!("{}/api/v1/sync/{path}", d.base))
            .header(comptoir_protocol::HEADER_PROTOCOL, "3")
            .header(comptoir_protocol::HEADER_VERSION, "test")
    };
    let enrolled: serde_json::Value = sync("enrol").json(&enrol).send().await.unwrap().json().await.unwrap();
    let credential = enrolled["credential"].as_str().unwrap().to_string();
    let key = comptoir_core::fiscal::SecretKey::generate();
    let mut prev = comptoir_core::chain::GENESIS.to_string();
    let mut records = Vec::new();
    for n in 1..=150 {
        let (code, details) = if n == 3 { ("price_changed", HOSTILE) } else { ("sign_in", "R1") };
        let e = journal_entry("LYON1", n, &prev, code, details, &key);
        prev = e.hash.clone();
        records.push(json!({"kind": "journal_entry", "body": e}));
    }
    let pushed: serde_json::Value = sync("push")
        .bearer_auth(&credential)
        .header(comptoir_protocol::HEADER_PUBLIC_KEY, key.public_key())
        .json(&json!({"records": records}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pushed["accepted"].as_array().unwrap().len(), 150, "{pushed}");

    let rows = |page: &str| page.matches("<tr><td class=\"num\">").count();
    let (s, first) = d.get("/dashboard/shops/LYON1/journal").await;
    assert_eq!(s, StatusCode::OK);
    assert_harmless(&first);
    assert!(first.contains(ESCAPED), "the details, as text");
    assert_eq!(rows(&first), 100, "a page holds 100 entries");
    assert!(first.contains("href=\"/dashboard/shops/LYON1/journal?after=100\""), "a link to the next page");
    assert!(first.contains(&key.key_id()), "the shop's key, registered from the push");
    let (_, second) = d.get("/dashboard/shops/LYON1/journal?after=100").await;
    assert_eq!(rows(&second), 50);
    assert!(!second.contains("rel=\"next\""), "the last page");
    // By code, and by days (the "to" day included: entries stamped on the 2nd and 3rd).
    let (_, prices) = d.get("/dashboard/shops/LYON1/journal?code=price_changed").await;
    assert_eq!(rows(&prices), 1);
    let (_, days) = d.get("/dashboard/shops/LYON1/journal?from=2026-12-02&to=2026-12-03").await;
    assert_eq!(rows(&days), 2);
    // A date that is none is refused on the page, naming the field.
    let (s, refused) = d.get("/dashboard/shops/LYON1/journal?from=soon").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(refused.contains("from must be a day YYYY-MM-DD"), "{refused}");
    let (s, _) = d.get("/dashboard/shops/NOPE1/journal").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // In French, for a reader who asks for it, refusal included.
    let french = |path: &str| {
        let r = d.client.get(format!("{}{path}", d.base)).header("cookie", &d.session);
        async move {
            let r = r.header("accept-language", "fr-FR").send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (_, page) = french("/dashboard/shops/LYON1/journal").await;
    assert!(page.contains("Journal de LYON1") && page.contains("Entrées suivantes"), "{page}");
    let (_, refused) = french("/dashboard/shops/LYON1/journal?to=bientôt").await;
    assert!(refused.contains("to doit être un jour AAAA-MM-JJ"), "{refused}");
}
