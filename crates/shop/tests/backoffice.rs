//! Stories of the shop manager's back office (`/admin/`), over real HTTP as a browser
//! without JavaScript sends it: forms posted with the session's cookie and CSRF token,
//! pages read as HTML. The manager signs in, a form without its token changes nothing, a
//! cashier is sent to the register, the lockout is the API's; articles are created and a
//! bad price is refused next to its field; printers and card terminals are defined on the
//! devices page; a chain shop shows HQ's catalog (and HQ's printers) read-only.

mod common;

use common::*;
use comptoir_shop::ShopConfig;
use serde_json::json;
use std::collections::BTreeMap;

/// A browser without JavaScript: the cookies it was given, forms posted as forms, no
/// redirect followed (each step is asserted).
struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
    lang: &'static str,
}

struct Page {
    status: u16,
    location: Option<String>,
    html: String,
}

impl Page {
    /// The CSRF token of the page's first POST form.
    fn csrf(&self) -> String {
        let at = self.html.find("name=\"csrf\" value=\"").expect("a form with a CSRF field") + 19;
        self.html[at..].split('"').next().unwrap().to_string()
    }

    /// The text of the error shown next to field `name`, if any.
    fn field_error(&self, name: &str) -> Option<String> {
        let marker = format!("id=\"{name}-error\">");
        let at = self.html.find(&marker)? + marker.len();
        Some(self.html[at..].split('<').next().unwrap().to_string())
    }

    fn has(&self, text: &str) -> bool {
        self.html.contains(text)
    }
}

impl Browser {
    fn new(base: &str) -> Browser {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { base: base.into(), http, cookies: BTreeMap::new(), lang: "en" }
    }

    async fn send(&mut self, rb: reqwest::RequestBuilder) -> Page {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let resp = rb.header("Cookie", cookie).header("Accept-Language", self.lang).send().await.expect("sent");
        let status = resp.status().as_u16();
        for set in resp.headers().get_all("set-cookie") {
            let text = set.to_str().unwrap();
            assert!(text.contains("HttpOnly") && text.contains("SameSite="), "cookie flags: {text}");
            let (name, value) = text.split(';').next().unwrap().split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.into(), value.into());
            }
        }
        let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_string());
        let html = resp.headers().get("content-type").is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
        if html {
            let csp = resp.headers().get("content-security-policy").map(|v| v.to_str().unwrap().to_string());
            assert!(csp.is_some_and(|c| c.contains("default-src 'none'")), "every page has the strict CSP");
        }
        Page { status, location, html: resp.text().await.unwrap_or_default() }
    }

    async fn get(&mut self, path: &str) -> Page {
        let rb = self.http.get(format!("{}{path}", self.base));
        self.send(rb).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let rb = self.http.post(format!("{}{path}", self.base)).form(form);
        self.send(rb).await
    }

    /// Signs in through the sign-in page; returns the answer to the form.
    async fn sign_in(&mut self, user: &str, password: &str) -> Page {
        let form = self.get("/admin/login?next=/admin/catalog").await;
        assert_eq!(form.status, 200);
        let csrf = form.csrf();
        self.post(
            "/admin/login",
            &[("csrf", &csrf), ("next", "/admin/catalog"), ("user", user), ("password", password)],
        )
        .await
    }

    /// Opens `path` and posts its first form with `fields` (and the page's CSRF token).
    async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(page).await.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_signs_in_works_and_signs_out() {
    let shop = TestShop::with_catalog().await;
    let mut b = Browser::new(&shop.api.base);

    // Not signed in: every page leads to the sign-in, which comes back to it.
    let page = b.get("/admin/catalog").await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/admin/login?next=%2Fadmin%2Fcatalog")));

    // A wrong password is refused next to the password field, in the reader's language.
    b.lang = "fr";
    let wrong = b.sign_in(ADMIN, "not-the-password").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.field_error("password").as_deref(), Some("Code utilisateur ou mot de passe incorrect."));
    b.lang = "en";

    let signed = b.sign_in(ADMIN, ADMIN_PASSWORD).await;
    assert_eq!((signed.status, signed.location.as_deref()), (303, Some("/admin/catalog")));
    assert!(b.cookies.contains_key("comptoir_admin"), "{:?}", b.cookies);
    let catalog = b.get("/admin/catalog").await;
    assert_eq!(catalog.status, 200);
    assert!(catalog.has("Baguette") && catalog.has("Sign out (admin)"), "{}", catalog.html);

    // The language switch remembers French.
    let switched = b.get("/admin/lang?to=fr&back=%2Fadmin%2Fcatalog").await;
    assert_eq!(switched.location.as_deref(), Some("/admin/catalog"));
    assert!(b.get("/admin/catalog").await.has("Se déconnecter"));
    // ...and never leads to another site.
    let away = b.get("/admin/lang?to=en&back=%2F%2Fevil.example%2F").await;
    assert_eq!(away.location.as_deref(), Some("/admin/"));

    // Signing out ends the session: the same cookie opens nothing.
    let kept = b.cookies.clone();
    let out = b.submit("/admin/", "/admin/logout", &[]).await;
    assert_eq!((out.status, out.location.as_deref()), (303, Some("/admin/login")));
    b.cookies = kept;
    assert_eq!(b.get("/admin/catalog").await.status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_the_sessions_csrf_token_changes_nothing() {
    let shop = TestShop::with_catalog().await;
    let mut b = Browser::new(&shop.api.base);
    b.sign_in(ADMIN, ADMIN_PASSWORD).await;

    let article = [("sku", "Z1"), ("name", "Zeste"), ("price", "2.50"), ("tax_rate_bp", "550")];
    let refused = b.post("/admin/catalog", &article).await;
    assert_eq!(refused.status, 403);
    assert!(refused.has("data-kind=\"csrf_token\""), "{}", refused.html);
    let mut forged = vec![("csrf", "0000")];
    forged.extend_from_slice(&article);
    assert_eq!(b.post("/admin/catalog", &forged).await.status, 403);
    let skus: Vec<_> = shop.api.articles().await.iter().map(|a| a["sku"].as_str().unwrap().to_string()).collect();
    assert_eq!(skus, ["A1", "B1", "F1"], "nothing was created");

    // The sign-in form has its own token: without it, no session is made.
    let mut other = Browser::new(&shop.api.base);
    let page = other.post("/admin/login", &[("user", ADMIN), ("password", ADMIN_PASSWORD)]).await;
    assert_eq!(page.status, 403);
    assert!(!other.cookies.contains_key("comptoir_admin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cashier_is_sent_to_the_register_and_the_lockout_is_the_apis() {
    let dir = tempfile::tempdir().unwrap();
    comptoir_shop::Shop::init(dir.path(), "PARIS1", "Paris Centre", ADMIN, ADMIN_PASSWORD).unwrap();
    let config = ShopConfig { login_max_failures: 3, ..ShopConfig::default() };
    let api = serve(dir.path(), config).await;
    let (s, _) = api.post("/api/v1/users", json!({"code":"C1","name":"Alice","role":"cashier","pin":"1234"})).await;
    assert_eq!(s, 201);
    let (s, _) = api.post("/api/v1/users", json!({"code":"M1","name":"Marc","role":"manager","pin":"9876"})).await;
    assert_eq!(s, 201);

    // Alice's PIN is right, but she is a cashier.
    let mut b = Browser::new(&api.base);
    let refused = b.sign_in("C1", "1234").await;
    assert_eq!(refused.status, 403);
    let said = refused.field_error("user").expect("the refusal is next to the user field");
    assert!(said.contains("C1 is a cashier") && said.contains("register screen"), "{said}");
    assert!(!b.cookies.contains_key("comptoir_admin"));

    // A manager without a password signs in with the PIN, as with the API.
    let manager = b.sign_in("M1", "9876").await;
    assert_eq!(manager.status, 303);

    // Three wrong passwords lock the account, for the page and the API alike.
    let mut c = Browser::new(&api.base);
    assert_eq!(c.sign_in(ADMIN, "wrong-1").await.status, 401);
    assert_eq!(c.sign_in(ADMIN, "wrong-2").await.status, 401);
    let locked = c.sign_in(ADMIN, "wrong-3").await;
    assert_eq!(locked.status, 429);
    assert!(locked.has("data-kind=\"too_many_attempts\""), "{}", locked.html);
    assert_eq!(c.sign_in(ADMIN, ADMIN_PASSWORD).await.status, 429, "locked: even the right password");
    let (s, body) = api.get("/api/v1/shop").await;
    assert_eq!((s, body["kind"].as_str()), (429, Some("too_many_attempts")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_creates_and_edits_an_article_and_a_bad_price_is_refused_next_to_its_field() {
    let shop = TestShop::with_catalog().await;
    let mut b = Browser::new(&shop.api.base);
    b.sign_in(ADMIN, ADMIN_PASSWORD).await;

    let created = b
        .submit(
            "/admin/catalog",
            "/admin/catalog",
            &[("sku", "C2"), ("name", "Croissant"), ("price", "1.10"), ("tax_rate_bp", "550"), ("barcodes", "")],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.html);
    assert!(created.has("Article created: C2 Croissant"), "{}", created.html);
    let (_, c2) = shop.api.get("/api/v1/articles/C2").await;
    assert_eq!((c2["price"].as_i64(), c2["tax_rate_bp"].as_i64()), (Some(110), Some(550)));

    // A price that is no amount: refused next to the price field, in French for a French
    // reader, and what was typed is kept in the form.
    b.lang = "fr";
    let refused = b
        .submit(
            "/admin/catalog",
            "/admin/catalog",
            &[("sku", "C3"), ("name", "Chausson"), ("price", "douze"), ("tax_rate_bp", "550")],
        )
        .await;
    assert_eq!(refused.status, 400);
    let said = refused.field_error("price").expect("an error next to the price");
    assert!(said.starts_with("price :") && said.contains("douze") && said.contains("12,50"), "{said}");
    assert!(refused.has("aria-invalid=\"true\""));
    assert!(refused.has("value=\"Chausson\""), "the name typed is kept");
    assert_eq!(shop.api.get("/api/v1/articles/C3").await.0, 404);

    // The catalog's own rules are shown the same way: a barcode with a wrong check digit.
    b.lang = "en";
    let bad_code = b
        .submit(
            "/admin/catalog/articles/C2",
            "/admin/catalog/articles/C2",
            &[
                ("name", "Croissant"),
                ("price", "1.20"),
                ("tax_rate_bp", "550"),
                ("barcodes", "3017620422004"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(bad_code.status, 422, "{}", bad_code.html);
    assert!(bad_code.field_error("barcodes").is_some_and(|e| e.contains("3017620422004")), "{}", bad_code.html);

    // Editing: the new price and the search find it.
    let saved = b
        .submit(
            "/admin/catalog/articles/C2",
            "/admin/catalog/articles/C2",
            &[
                ("name", "Croissant au beurre"),
                ("price", "1,30"),
                ("tax_rate_bp", "550"),
                ("barcodes", ""),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, 200);
    assert!(saved.has("Saved: C2 Croissant au beurre"), "{}", saved.html);
    assert_eq!(shop.api.get("/api/v1/articles/C2").await.1["price"].as_i64(), Some(130));
    let found = b.get("/admin/catalog?q=beurre").await;
    assert!(found.has("Croissant au beurre") && !found.has("Baguette"), "{}", found.html);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_import_is_refused_whole_with_its_report_and_the_export_reads_back() {
    let shop = TestShop::with_catalog().await;
    let mut b = Browser::new(&shop.api.base);
    b.sign_in(ADMIN, ADMIN_PASSWORD).await;

    let bad = "sku;name;price;tax_rate\nD1;Donut;1,50;5,5\nD2;Dattes;beaucoup;5,5\n";
    let refused = b.submit("/admin/catalog/import", "/admin/catalog/import", &[("csv", bad)]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.has("id=\"rejections\"") && refused.has("<td class=\"num\">3</td>"), "{}", refused.html);
    assert_eq!(shop.api.get("/api/v1/articles/D1").await.0, 404, "nothing imported");

    let good = "sku;name;price;tax_rate\nD1;Donut;1,50;5,5\nA1;Baguette tradition;1,30;5,5\n";
    let done = b.submit("/admin/catalog/import", "/admin/catalog/import", &[("csv", good)]).await;
    assert_eq!(done.status, 200);
    assert!(done.has("Imported: 1 created, 1 updated."), "{}", done.html);

    let export = b.get("/admin/catalog/export.csv").await;
    assert_eq!(export.status, 200);
    assert!(export.html.contains("D1") && export.html.contains("Baguette tradition"), "{}", export.html);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_shop_shows_hqs_catalog_read_only() {
    let shop = TestShop::with_catalog().await;
    join_a_chain_whose_hq_is_down(&shop);
    let mut b = Browser::new(&shop.api.base);
    b.sign_in(ADMIN, ADMIN_PASSWORD).await;

    let list = b.get("/admin/catalog").await;
    assert!(list.has("Baguette") && list.has("are changed at HQ"), "{}", list.html);
    assert!(!list.has("New article"), "no creation form");
    let article = b.get("/admin/catalog/articles/A1").await;
    assert!(article.has("id=\"article\"") && !article.has("name=\"price\""), "facts, no form: {}", article.html);
    assert!(!b.get("/admin/catalog/import").await.has("name=\"csv\""));

    // A form sent anyway (an old page) is refused by the catalog service.
    let csrf = list.csrf();
    let sent = b
        .post(
            "/admin/catalog",
            &[("csrf", &csrf), ("sku", "Z1"), ("name", "Zeste"), ("price", "1"), ("tax_rate_bp", "550")],
        )
        .await;
    assert_eq!(sent.status, 409);
    assert!(sent.has("data-kind=\"catalog_owned_by_hq\""), "{}", sent.html);

    // Prices are HQ's unless the shop keeps its own: turned off on the HQ link page, the
    // article page then sets this shop's price.
    assert!(article.has("The price is HQ's"), "{}", article.html);
    let kept = b.submit("/admin/sync", "/admin/sync/settings", &[("accept_hq_printers", "on")]).await;
    assert_eq!(kept.status, 200, "{}", kept.html);
    let (_, settings) = shop.api.get("/api/v1/settings/hq").await;
    assert_eq!(settings["accept_hq_prices"], false, "{settings}");
    let bad = b.submit("/admin/catalog/articles/A1", "/admin/catalog/articles/A1/price", &[("price", "cher")]).await;
    assert_eq!(bad.status, 400);
    assert!(bad.field_error("price").is_some(), "{}", bad.html);
    let own = b.submit("/admin/catalog/articles/A1", "/admin/catalog/articles/A1/price", &[("price", "1,35")]).await;
    assert_eq!(own.status, 200, "{}", own.html);
    assert_eq!(shop.api.get("/api/v1/articles/A1").await.1["price"].as_i64(), Some(135));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manager_reads_the_x_the_z_and_finds_a_ticket_with_its_receipt() {
    let shop = TestShop::with_catalog().await;
    let sold = shop
        .api
        .sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":2}],"payments":[{"method":"cash","amount":500}]}))
        .await;
    let number = sold["number"].as_str().unwrap().to_string();
    let day = sold["business_date"].as_str().unwrap().to_string();
    let mut b = Browser::new(&shop.api.base);
    b.sign_in(ADMIN, ADMIN_PASSWORD).await;

    // The X reading counts the sale, before any closure.
    let x = b.get("/admin/x-reading").await;
    assert_eq!(x.status, 200);
    assert!(x.has("id=\"x-R1-totals\"") && x.has("€2.40"), "{}", x.html);

    // The day closure, made through the API, is listed and detailed.
    let (s, z) = shop.api.post("/api/v1/closures", json!({"register":"R1","kind":"day"})).await;
    assert_eq!(s, 201, "{z}");
    let list = b.get("/admin/closures").await;
    let link = format!("/admin/closures/{}", z["id"].as_str().unwrap());
    assert!(list.has(&link), "{}", list.html);
    let detail = b.get(&link).await;
    assert_eq!(detail.status, 200);
    assert!(detail.has(&number) && detail.has(z["hash"].as_str().unwrap()), "{}", detail.html);

    // The ticket search by day, register and number; the receipt as printed.
    let found = b.get(&format!("/admin/tickets?date={day}&register=R1&number={}", &number[number.len() - 3..])).await;
    assert!(found.has(&format!("/admin/tickets/{number}")), "{}", found.html);
    let none = b.get("/admin/tickets?date=2001-01-01").await;
    assert!(!none.has(&number));
    let bad = b.get("/admin/tickets?date=yesterday").await;
    assert_eq!(bad.status, 400);
    assert!(bad.field_error("date").is_some_and(|e| e.contains("2026-03-14")), "{}", bad.html);
    let receipt = b.get(&format!("/admin/tickets/{number}")).await;
    assert_eq!(receipt.status, 200);
    assert!(receipt.has("TOTAL TTC") && receipt.has("Baguette") && receipt.has("Rendu monnaie"), "{}", receipt.html);
    // When it was committed, in the shop's time (Europe/Paris), as the manager reads the clock.
    let at: jiff::Timestamp = sold["created_at"].as_str().unwrap().parse().unwrap();
    let local = at.to_zoned(jiff::tz::TimeZone::get("Europe/Paris").unwrap()).strftime("%Y-%m-%d %H:%M").to_string();
    assert!(receipt.has(&local) && !receipt.has(" UTC"), "{local} in {}", receipt.html);
}

/// Links the shop to an HQ at an address where nothing answers, as an enrolled shop
/// whose HQ is down.
fn join_a_chain_whose_hq_is_down(shop: &TestShop) {
    let store = comptoir_shop::store::Store::open(shop.data_dir()).unwrap();
    store
        .write_blocking(|tx| {
            comptoir_shop::sync::link::save_hq_link(
                tx,
                &comptoir_shop::sync::link::HqLink {
                    url: "http://127.0.0.1:1".into(),
                    hq_id: uuid::Uuid::nil(),
                    hq_name: "Siège".into(),
                    credential: "x.y".into(),
                    enrolled_at: "2026-01-01T00:00:00Z".into(),
                },
            )
        })
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_page_says_what_waits_and_sync_now_reports_an_unreachable_hq() {
    let shop = TestShop::with_catalog().await;
    let mut b = Browser::new(&shop.api.base);
    b.sign_in(ADMIN, ADMIN_PASSWORD).await;
    let alone = b.get("/admin/sync").await;
    assert!(alone.has("not linked to an HQ") && !alone.has("Sync now"), "{}", alone.html);

    join_a_chain_whose_hq_is_down(&shop);
    shop.api
        .sell(json!({"register":"R1","cashier":"C1","lines":[{"sku":"A1","qty":1}],"payments":[{"method":"card","amount":120}]}))
        .await;
    let page = b.get("/admin/sync").await;
    assert_eq!(page.status, 200);
    assert!(page.has("id=\"sync-status\"") && page.has("HQ reachable") && page.has("badge bad"), "{}", page.html);
    let now = b.submit("/admin/sync", "/admin/sync", &[]).await;
    assert_eq!(now.status, 502, "{}", now.html);
    assert!(now.has("data-kind=\"hq_unreachable\"") && now.has("keeps selling"), "{}", now.html);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_is_adjusted_and_users_and_registers_are_managed_here_unless_hq_owns_them() {
    let shop = TestShop::with_catalog().await;
    let mut b = Browser::new(&shop.api.base);
    b.sign_in(ADMIN, ADMIN_PASSWORD).await;

    // A customer made at the register is found by name.
    let (s, c) = shop.api.post("/api/v1/customers", json!({"name":"Claire Dupont","email":"claire@example.com"})).await;
    assert_eq!(s, 201, "{c}");
    let found = b.get("/admin/customers?q=dupont").await;
    assert!(found.has("id=\"customers\"") && found.has("claire@example.com"), "{}", found.html);
    let bad = b.submit("/admin/customers", "/admin/customers", &[("name", "Paul"), ("email", "paul@")]).await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(bad.field_error("email").is_some_and(|e| e.contains("paul@")), "{}", bad.html);
    let made =
        b.submit("/admin/customers", "/admin/customers", &[("name", "Paul Martin"), ("phone", "+33612345678")]).await;
    assert_eq!(made.status, 200, "{}", made.html);
    assert!(made.has("Customer created:") && made.has("+33612345678"), "the new card is searched: {}", made.html);

    // Alice opens her till: the till sessions show it, and the X reading the cash expected.
    let (s, opened) =
        shop.api.as_user("C1", "1234").post("/api/v1/registers/R1/till/open", json!({"amount": 11000})).await;
    assert_eq!(s, 201, "{opened}");
    let sessions = b.get("/admin/sessions").await;
    assert_eq!(sessions.status, 200);
    assert!(sessions.has("id=\"sessions\"") && sessions.has("€110.00") && sessions.has("open"), "{}", sessions.html);
    assert!(b.get("/admin/x-reading").await.has("Cash the drawer should hold now:"));

    let adjusted =
        b.submit("/admin/stock", "/admin/stock", &[("sku", "A1"), ("qty", "12"), ("reason", "Livraison")]).await;
    assert_eq!(adjusted.status, 200, "{}", adjusted.html);
    assert!(adjusted.has("Stock of A1: 12"), "{}", adjusted.html);
    let (_, level) = shop.api.get("/api/v1/stock?sku=A1").await;
    assert_eq!(level["quantity"].as_f64(), Some(12.0), "{level}");
    let counted = b.submit("/admin/stock", "/admin/stock/count", &[("sku", "A1"), ("counted", "10")]).await;
    assert!(counted.has("Stock of A1: 10"), "{}", counted.html);
    let negative = b.submit("/admin/stock", "/admin/stock/count", &[("sku", "A1"), ("counted", "-1")]).await;
    assert_eq!(negative.status, 400);
    assert!(negative.field_error("counted").is_some(), "{}", negative.html);
    let (_, level) = shop.api.get("/api/v1/stock?sku=A1").await;
    assert_eq!(level["quantity"].as_f64(), Some(10.0), "{level}");
    let (s, order) = shop
        .api
        .post("/api/v1/purchase-orders", json!({"supplier":"Moulin Dupré","lines":[{"sku":"A1","qty":50}]}))
        .await;
    assert_eq!(s, 201, "{order}");
    let page = b.get("/admin/stock").await;
    assert!(page.has("id=\"orders\"") && page.has("Moulin Dupré") && page.has("A1 0/50"), "{}", page.html);
    let zero = b.submit("/admin/stock", "/admin/stock", &[("sku", "A1"), ("qty", "0")]).await;
    assert_eq!(zero.status, 400);
    assert!(zero.field_error("qty").is_some(), "{}", zero.html);

    // An admin creates a manager; a PIN too short is refused next to the PIN.
    let short = b
        .submit("/admin/users", "/admin/users", &[("code", "M2"), ("name", "Mia"), ("role", "manager"), ("pin", "12")])
        .await;
    assert_eq!(short.status, 422, "{}", short.html);
    assert!(short.field_error("pin").is_some(), "{}", short.html);
    let made = b
        .submit(
            "/admin/users",
            "/admin/users",
            &[("code", "M2"), ("name", "Mia"), ("role", "manager"), ("pin", ""), ("password", "long-enough-1")],
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.html);
    // The last admin cannot demote themself.
    let demoted = b
        .submit("/admin/users/admin", "/admin/users/admin", &[("name", "admin"), ("role", "manager"), ("active", "on")])
        .await;
    assert_eq!(demoted.status, 409);
    assert!(demoted.field_error("role").is_some_and(|e| e.contains("last active admin")), "{}", demoted.html);

    // Mia, a manager, sees the users but may not change them.
    let mut mia = Browser::new(&shop.api.base);
    assert_eq!(mia.sign_in("M2", "long-enough-1").await.status, 303);
    let users = mia.get("/admin/users").await;
    assert!(users.has("Only an administrator") && !users.has("New user"), "{}", users.html);
    // Made a cashier since, she is signed out at her next page.
    let (s, _) = shop.api.patch("/api/v1/users/M2", json!({"role":"cashier"})).await;
    assert_eq!(s, 200);
    assert_eq!(mia.get("/admin/users").await.status, 303);

    let register = b
        .submit("/admin/registers", "/admin/registers", &[("action", "create"), ("code", "R9"), ("name", "Caisse 9")])
        .await;
    assert_eq!(register.status, 200, "{}", register.html);
    let (_, list) = shop.api.get("/api/v1/registers").await;
    assert!(list.as_array().unwrap().iter().any(|r| r["code"] == "R9"), "{list}");

    // R9 gets its receipt printer and always prints; an unknown printer is refused next to its list.
    let (s, p) = shop
        .api
        .post("/api/v1/printers", json!({"code":"P1","name":"Comptoir","address":"tcp://127.0.0.1:9100"}))
        .await;
    assert_eq!(s, 201, "{p}");
    let devices =
        [("action", "update"), ("code", "R9"), ("name", "Caisse 9"), ("active", "on"), ("receipt_mode", "print")];
    let unknown =
        b.submit("/admin/registers", "/admin/registers", &[&devices[..], &[("receipt_printer", "P7")]].concat()).await;
    assert_eq!(unknown.status, 422, "{}", unknown.html);
    assert!(unknown.field_error("receipt_printer").is_some_and(|e| e.contains("P7")), "{}", unknown.html);
    let set =
        b.submit("/admin/registers", "/admin/registers", &[&devices[..], &[("receipt_printer", "P1")]].concat()).await;
    assert_eq!(set.status, 200, "{}", set.html);
    let (_, r9) = shop.api.patch("/api/v1/registers/R9", json!({})).await;
    assert_eq!((r9["receipt_printer"].as_str(), r9["receipt_mode"].as_str()), (Some("P1"), Some("print")), "{r9}");

    join_a_chain_whose_hq_is_down(&shop);
    let users = b.get("/admin/users").await;
    assert!(users.has("are changed at HQ") && !users.has("New user"), "{}", users.html);
    let registers = b.get("/admin/registers").await;
    assert!(registers.has("are changed at HQ") && !registers.has("name=\"name\""), "{}", registers.html);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categories_and_vat_rates_are_created_renamed_and_deactivated_in_place() {
    let shop = TestShop::with_catalog().await;
    let mut b = Browser::new(&shop.api.base);
    b.sign_in(ADMIN, ADMIN_PASSWORD).await;

    let made = b
        .submit(
            "/admin/catalog/categories",
            "/admin/catalog/categories",
            &[("action", "create"), ("code", "PAIN"), ("name", "Pains")],
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.html);
    let renamed = b
        .submit(
            "/admin/catalog/categories",
            "/admin/catalog/categories",
            &[("action", "update"), ("code", "PAIN"), ("name", "Pains et viennoiseries")],
        )
        .await;
    assert!(renamed.has("Saved: PAIN Pains et viennoiseries"), "{}", renamed.html);
    let (_, cats) = shop.api.get("/api/v1/categories").await;
    assert_eq!(cats[0]["active"], false, "not ticked: deactivated: {cats}");

    let bad = b
        .submit(
            "/admin/catalog/tax-rates",
            "/admin/catalog/tax-rates",
            &[("action", "create"), ("percent", "beaucoup"), ("name", "X")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.field_error("percent").is_some(), "{}", bad.html);
    let rate = b
        .submit(
            "/admin/catalog/tax-rates",
            "/admin/catalog/tax-rates",
            &[("action", "create"), ("percent", "8,5"), ("name", "TVA 8,5 %")],
        )
        .await;
    assert_eq!(rate.status, 200, "{}", rate.html);
    let taken = b
        .submit(
            "/admin/catalog/tax-rates",
            "/admin/catalog/tax-rates",
            &[("action", "create"), ("percent", "8.5"), ("name", "Encore")],
        )
        .await;
    assert_eq!(taken.status, 409);
    assert!(taken.field_error("percent").is_some(), "the service's `bp` is the form's percent: {}", taken.html);
    let (_, rates) = shop.api.get("/api/v1/tax-rates").await;
    assert!(rates.as_array().unwrap().iter().any(|r| r["bp"] == 850 && r["active"] == true), "{rates}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printers_and_card_terminals_are_defined_here_and_hqs_printers_are_changed_at_hq() {
    let shop = TestShop::with_catalog().await;
    let mut b = Browser::new(&shop.api.base);
    b.sign_in(ADMIN, ADMIN_PASSWORD).await;
    let devices = b.get("/admin/devices").await;
    assert_eq!(devices.status, 200);
    assert!(
        devices.has("href=\"/admin/devices\"") && devices.has("New printer"),
        "in the navigation: {}",
        devices.html
    );

    // A French manager types an address the print queue cannot reach: refused next to the
    // address, in French, with what was typed kept.
    b.lang = "fr";
    let printer = [("code", "P1"), ("name", "Comptoir"), ("kind", "receipt")];
    let bad =
        b.submit("/admin/devices", "/admin/devices/printers", &[&printer[..], &[("address", "lpt1")]].concat()).await;
    assert_eq!(bad.status, 400, "{}", bad.html);
    assert!(bad.has("data-kind=\"invalid_printer_address\""), "{}", bad.html);
    assert!(bad.field_error("address").is_some_and(|e| e.contains("écrivez tcp://")), "{}", bad.html);
    assert!(bad.has("value=\"lpt1\"") && bad.has("value=\"Comptoir\""), "what was typed is kept: {}", bad.html);
    b.lang = "en";
    let made = b
        .submit(
            "/admin/devices",
            "/admin/devices/printers",
            &[&printer[..], &[("address", "tcp://127.0.0.1:9100")]].concat(),
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.html);
    assert!(made.has("Printer created: P1 Comptoir") && made.has("nothing waiting"), "with its queue: {}", made.html);
    let (_, status) = shop.api.get("/api/v1/printers/P1/status").await;
    assert_eq!(status["waiting"], 0, "{status}");

    // Its page changes its address and deactivates it; a bad address is refused there too.
    let page = "/admin/devices/printers/P1";
    let wrong = b.submit(page, page, &[("name", "Comptoir"), ("address", "http://p:9100"), ("active", "on")]).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.field_error("address").is_some_and(|e| e.contains("http://p:9100")), "{}", wrong.html);
    let edited = b.submit(page, page, &[("name", "Comptoir bas"), ("address", "file:/dev/usb/lp0")]).await;
    assert_eq!(edited.status, 200, "{}", edited.html);
    assert!(edited.has("Saved: P1 Comptoir bas") && edited.has("deactivated"), "{}", edited.html);
    let (_, listed) = shop.api.get("/api/v1/printers").await;
    let p1 = listed.as_array().unwrap().iter().find(|p| p["code"] == "P1").cloned().unwrap();
    assert_eq!((p1["address"].as_str(), p1["active"].as_bool()), (Some("file:/dev/usb/lp0"), Some(false)), "{p1}");

    // A card terminal: a printer's address and a timeout that is no number are refused next
    // to their fields; then made, and chosen for R1 on the registers' page.
    let terminal = [("code", "T1"), ("name", "Ingenico"), ("kind", "caisse-ap-ip")];
    let no_port = b
        .submit(
            "/admin/devices",
            "/admin/devices/terminals",
            &[&terminal[..], &[("address", "file:/dev/usb/lp0"), ("timeout_seconds", "90")]].concat(),
        )
        .await;
    assert_eq!(no_port.status, 400);
    assert!(no_port.field_error("address").is_some_and(|e| e.contains("Caisse-AP")), "{}", no_port.html);
    let no_time = b
        .submit(
            "/admin/devices",
            "/admin/devices/terminals",
            &[&terminal[..], &[("address", "tcp://127.0.0.1:8888"), ("timeout_seconds", "douze")]].concat(),
        )
        .await;
    assert_eq!(no_time.status, 400);
    assert!(no_time.field_error("timeout_seconds").is_some_and(|e| e.contains("1 to 600")), "{}", no_time.html);
    let made = b
        .submit(
            "/admin/devices",
            "/admin/devices/terminals",
            &[&terminal[..], &[("address", "tcp://127.0.0.1:8888"), ("timeout_seconds", "90")]].concat(),
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.html);
    assert!(made.has("Card terminal created: T1 Ingenico") && made.has("90 s"), "{}", made.html);
    let chosen = b
        .submit(
            "/admin/registers",
            "/admin/registers",
            &[("action", "update"), ("code", "R1"), ("name", "Caisse 1"), ("active", "on"), ("terminal", "T1")],
        )
        .await;
    assert_eq!(chosen.status, 200, "{}", chosen.html);
    let (_, r1) = shop.api.get("/api/v1/registers/R1/devices").await;
    assert_eq!(r1["terminal"], "T1", "{r1}");
    let edited = b
        .submit(
            "/admin/devices/terminals/T1",
            "/admin/devices/terminals/T1",
            &[("name", "Ingenico"), ("address", "tcp://127.0.0.1:8889"), ("timeout_seconds", "30")],
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.html);
    let (_, terminals) = shop.api.get("/api/v1/terminals").await;
    assert_eq!(
        (terminals[0]["timeout_seconds"].as_u64(), terminals[0]["active"].as_bool()),
        (Some(30), Some(false)),
        "{terminals}"
    );

    // In a chain taking HQ's printer updates, the printer HQ sent is HQ's: shown with the
    // note, no form, and a form sent anyway is refused; the shop's own printer keeps its form.
    join_a_chain_whose_hq_is_down(&shop);
    let store = comptoir_shop::store::Store::open(shop.data_dir()).unwrap();
    store
        .write_blocking(|tx| {
            let body = json!({"shop":"S1","code":"P2","name":"Cuisine","kind":"kitchen","address":"tcp://10.0.0.5:9100","active":true});
            comptoir_shop::people::apply(tx, comptoir_protocol::Entity::Printer, "P2", body).map(|r| r.unwrap())
        })
        .unwrap();
    let list = b.get("/admin/devices").await;
    assert!(list.has("Cuisine") && list.has("are defined at HQ"), "{}", list.html);
    let p2 = b.get("/admin/devices/printers/P2").await;
    assert!(p2.has("are defined at HQ") && !p2.has("name=\"address\""), "read-only: {}", p2.html);
    assert!(b.get("/admin/devices/printers/P1").await.has("name=\"address\""), "the shop's own printer");
    let csrf = list.csrf();
    let sent = b
        .post(
            "/admin/devices/printers/P2",
            &[("csrf", &csrf), ("name", "Local"), ("address", "browser"), ("active", "on")],
        )
        .await;
    assert_eq!(sent.status, 409, "{}", sent.html);
    assert!(sent.has("Printer P2 is HQ's"), "{}", sent.html);
    let (_, listed) = shop.api.get("/api/v1/printers").await;
    assert!(listed.as_array().unwrap().iter().any(|p| p["code"] == "P2" && p["name"] == "Cuisine"), "{listed}");
    // Turned off on the HQ link page, the shop changes HQ's printer as its own.
    let off = b.submit("/admin/sync", "/admin/sync/settings", &[("accept_hq_prices", "on")]).await;
    assert_eq!(off.status, 200, "{}", off.html);
    let p2 = "/admin/devices/printers/P2";
    let local = b.submit(p2, p2, &[("name", "Cuisine du fond"), ("address", "browser"), ("active", "on")]).await;
    assert_eq!(local.status, 200, "{}", local.html);
    // Taken again, HQ's updates make it HQ's again: a local change kept it marked as HQ's.
    let on = b.submit("/admin/sync", "/admin/sync/settings", &[("accept_hq_printers", "on")]).await;
    assert_eq!(on.status, 200, "{}", on.html);
    let again = b.get(p2).await;
    assert!(again.has("Cuisine du fond") && !again.has("name=\"address\""), "{}", again.html);
}
