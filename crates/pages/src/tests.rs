//! A hostile name — a script tag, a quote that would close an attribute — comes out as
//! text wherever a page puts it: in text, in an attribute, in a table, a field, an alert,
//! the frame and the chart.

use super::*;
use axum::http::StatusCode;
use comptoir_core::Lang;

const HOSTILE: &str = r#"<script>alert(1)</script>" onmouseover="x"#;
const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x";

struct Refused;

impl Refusal for Refused {
    fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
    fn kind(&self) -> &str {
        "bad_request"
    }
    fn field(&self) -> Option<String> {
        Some("name".into())
    }
    fn message(&self, lang: Lang) -> String {
        format!("{} {HOSTILE}", lang.t("Wrong name:", "Nom incorrect :"))
    }
}

const SITE: Site = Site {
    name: "Test",
    home: "/t",
    stylesheet: "/t/style.css",
    lang_switch: "/t/lang",
    sign_out: "/t/logout",
    nav: &[Nav { key: "a", path: "/t/a", en: "A", fr: "A" }],
};

/// The body of a response as text.
async fn body_of(r: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn assert_harmless(html: &str) {
    assert!(!html.contains("<script"), "a tag got through: {html}");
    assert!(!html.contains("\" onmouseover"), "a quote closed an attribute: {html}");
}

#[test]
fn a_hostile_value_is_text_in_text_and_in_attributes() {
    let text = html! { p { (HOSTILE) } };
    assert_eq!(text.into_string(), format!("<p>{ESCAPED}</p>"));
    let attribute = html! { input value=(HOSTILE); };
    assert_eq!(attribute.into_string(), format!("<input value=\"{ESCAPED}\">"));
}

#[test]
fn table_cells_captions_and_links_are_escaped() {
    let t = table("t", HOSTILE, &["Name", "#Amount"], &[vec![HOSTILE.into(), "1".into()]], Some(HOSTILE));
    let html = t.into_string();
    assert_harmless(&html);
    assert!(html.contains(&format!("<td>{ESCAPED}</td>")), "{html}");
    assert!(html.contains(&format!("href=\"{ESCAPED}\"")), "{html}");
    assert!(html.contains("<th scope=\"col\" class=\"num\">Amount</th>"), "{html}");
    assert!(html.contains("<td class=\"num\">1</td>"), "{html}");
}

#[test]
fn an_empty_table_shows_a_dash_row_across_its_columns() {
    let html = table("t", "T", &["A", "B", "C"], &[], None).into_string();
    assert!(html.contains("<td colspan=\"3\" class=\"empty\">—</td>"), "{html}");
}

#[test]
fn a_refused_field_shows_its_error_beside_it_and_only_in_the_form_that_was_sent() {
    let outcome = Outcome::of::<Refused>(Lang::En, "rename", Err(Refused));
    assert_eq!(outcome.status(), StatusCode::BAD_REQUEST);
    let alert = outcome.banner().into_string();
    assert_harmless(&alert);
    assert!(alert.contains("role=\"alert\" data-kind=\"bad_request\""), "{alert}");
    assert!(alert.contains("(field: name)"), "{alert}");

    let sent = Field::new("Name", "name").value(HOSTILE).problem(outcome.problem_in("rename")).render().into_string();
    assert_harmless(&sent);
    assert!(sent.contains(&format!("value=\"{ESCAPED}\"")), "{sent}");
    assert!(sent.contains("aria-invalid=\"true\" aria-describedby=\"name-error\""), "{sent}");
    assert!(sent.contains(&format!("<span class=\"field-error\" id=\"name-error\">Wrong name: {ESCAPED}</span>")));

    let other = Field::new("Name", "name").problem(outcome.problem_in("create")).render().into_string();
    assert!(!other.contains("aria-invalid"), "another form's field is not blamed: {other}");
    let other_field = Field::new("Code", "code").problem(outcome.problem_in("rename")).render().into_string();
    assert!(!other_field.contains("aria-invalid"), "another field is not blamed: {other_field}");
}

#[test]
fn a_done_action_shows_its_notice_with_status_ok() {
    let outcome = Outcome::of::<Refused>(Lang::Fr, "rename", Ok(notice(HOSTILE)));
    assert_eq!(outcome.status(), StatusCode::OK);
    assert_eq!(outcome.banner().into_string(), format!("<div class=\"notice\" role=\"status\">{ESCAPED}</div>"));
    assert!(outcome.problem_in("rename").is_none());
}

#[test]
fn choices_and_checkboxes_escape_their_values() {
    let choice = Choice { value: HOSTILE.into(), text: HOSTILE.into(), selected: true };
    let select = Select::new("L", "s", vec![choice]).render().into_string();
    assert_harmless(&select);
    assert!(select.contains(&format!("<option value=\"{ESCAPED}\" selected>{ESCAPED}</option>")), "{select}");
    let check = Check { label: HOSTILE, name: "c", value: Some(HOSTILE), checked: false }.render().into_string();
    assert_harmless(&check);
    assert!(!check.contains("checked"), "{check}");
}

#[test]
fn the_chart_escapes_its_labels_and_title() {
    let html = bar_chart(Lang::En, HOSTILE, &[(HOSTILE.into(), 1250), ("b".into(), 0)]).into_string();
    assert_harmless(&html);
    assert!(html.contains(&format!("<title>{ESCAPED}: €12.50</title>")), "{html}");
    // Two bars share 672 units: 336 each, the bar 80 % of it, centred; the highest bar is
    // the whole height above the axis (200 - 2 × 24), the empty one has none.
    assert!(html.contains("<rect x=\"57.6\" y=\"24.0\" width=\"268.8\" height=\"152.0\""), "{html}");
    assert!(html.contains("<rect x=\"393.6\" y=\"176.0\" width=\"268.8\" height=\"0.0\""), "{html}");
}

#[tokio::test]
async fn the_frame_escapes_the_title_and_user_and_sends_the_strict_policy() {
    let here = format!("/t/a?q={HOSTILE}");
    let frame = Frame { site: &SITE, lang: Lang::Fr, user: Some((HOSTILE, HOSTILE)), here: &here, active: "a" };
    let r = page(&frame, StatusCode::CREATED, HOSTILE, html! { p { "body" } });
    assert_eq!(r.status(), StatusCode::CREATED);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.starts_with("default-src 'none'; style-src 'self'"), "{csp}");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let html = body_of(r).await;
    assert_harmless(&html);
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"fr\">"), "{html}");
    assert!(html.contains(&format!("<title>{ESCAPED} · Test</title>")), "{html}");
    assert!(html.contains(&format!("<h1>{ESCAPED}</h1>")), "{html}");
    assert!(html.contains(&format!("<input type=\"hidden\" name=\"csrf\" value=\"{ESCAPED}\">")), "{html}");
    assert!(html.contains(&format!("Se déconnecter ({ESCAPED})")), "{html}");
    assert!(html.contains("<a href=\"/t/a\" aria-current=\"page\">A</a>"), "{html}");
    // The way back is percent-encoded, then the `&` of the query escaped for the attribute.
    assert!(html.contains("href=\"/t/lang?to=en&amp;back=%2Ft%2Fa%3Fq%3D%3Cscript%3E"), "{html}");
}

#[tokio::test]
async fn the_sign_in_page_has_no_navigation_and_no_sign_out() {
    let frame = Frame { site: &SITE, lang: Lang::En, user: None, here: "/t/login", active: "" };
    let r = page(&frame, StatusCode::OK, "Sign in", html! {});
    let html = body_of(r).await;
    assert!(!html.contains("<nav"), "{html}");
    assert!(!html.contains("/t/logout"), "{html}");
}
