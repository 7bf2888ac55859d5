//! HTML building blocks of the dashboard: escaping, the page layout (navigation, language
//! switch, sign-out), amounts and dates in the reader's language, tables, and the inline
//! SVG bar chart. Every text that comes from data goes through [`esc`].
//!
//! The pages carry no script and no inline style: the Content-Security-Policy set in
//! [`page`] forbids both, so an injected tag can do nothing.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comptoir_core::Lang;
use std::fmt::Write;

/// French or English text, by the page's language.
pub trait Tr {
    fn t<'a>(self, en: &'a str, fr: &'a str) -> &'a str;
}

impl Tr for Lang {
    fn t<'a>(self, en: &'a str, fr: &'a str) -> &'a str {
        match self {
            Lang::Fr => fr,
            _ => en,
        }
    }
}

pub fn lang_code(lang: Lang) -> &'static str {
    lang.t("en", "fr")
}

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a query-string value.
pub fn url(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn group(digits: &str, sep: &str) -> String {
    let mut out = String::new();
    let n = digits.len();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// An amount in cents: `1 234,56 €` in French, `€1,234.56` in English.
pub fn money(lang: Lang, cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let units = (abs / 100).to_string();
    match lang {
        Lang::Fr => format!("{sign}{},{:02}\u{a0}€", group(&units, "\u{202f}"), abs % 100),
        _ => format!("{sign}€{}.{:02}", group(&units, ","), abs % 100),
    }
}

/// A count with thousands separators.
pub fn count(lang: Lang, n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group(&n.unsigned_abs().to_string(), lang.t(",", "\u{202f}")))
}

/// A quantity in thousandths: `2`, `0.25` (`0,25` in French).
pub fn quantity(lang: Lang, milli: i64) -> String {
    let text = comptoir_core::Quantity(milli).to_string();
    if lang == Lang::Fr { text.replace('.', ",") } else { text }
}

/// The change from `before` to `now` as a signed percentage, or a dash without a base.
pub fn change(lang: Lang, now: i64, before: i64) -> String {
    if before == 0 {
        return "—".into();
    }
    let pct = (now - before) as f64 * 100.0 / before.abs() as f64;
    let text = format!("{}{:.1} %", if pct > 0.0 { "+" } else { "" }, pct);
    if lang == Lang::Fr { text.replace('.', ",") } else { text.replace(" %", "%") }
}

/// An instant as stored (RFC 3339 UTC) shown to the minute, UTC.
pub fn instant(text: Option<&str>) -> String {
    match text {
        Some(t) if t.len() >= 16 => format!("{} {} UTC", &t[..10], &t[11..16]),
        Some(t) => t.to_string(),
        None => "—".into(),
    }
}

/// What is around every page.
pub struct Frame<'a> {
    pub lang: Lang,
    /// Signed-in admin and the session's CSRF token (none on the sign-in page).
    pub user: Option<(&'a str, &'a str)>,
    /// This page's path and query, where the language switch comes back to.
    pub here: &'a str,
    /// The navigation entry to mark as current.
    pub active: &'a str,
}

/// The navigation: `(key, path, English, French)`.
pub const NAV: &[(&str, &str, &str, &str)] = &[
    ("sales", "/dashboard/sales", "Sales", "Ventes"),
    ("health", "/dashboard/health", "Chain health", "Santé du réseau"),
    ("catalog", "/dashboard/catalog", "Catalog", "Catalogue"),
    ("shops", "/dashboard/shops", "Shops", "Magasins"),
    ("jobs", "/dashboard/jobs", "Jobs", "Tâches"),
    ("customers", "/dashboard/customers", "Customers", "Clients"),
    ("stock", "/dashboard/stock", "Stock", "Stock"),
    ("users", "/dashboard/users", "Users", "Utilisateurs"),
];

/// A whole page, with the headers every dashboard page carries.
pub fn page(frame: &Frame, status: StatusCode, title: &str, body: &str) -> Response {
    let l = frame.lang;
    let mut h = String::with_capacity(body.len() + 2048);
    let _ = write!(
        h,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Comptoir HQ</title><link rel=\"stylesheet\" href=\"/dashboard/style.css\"></head><body>",
        lang_code(l),
        esc(title)
    );
    h.push_str("<header class=\"top\"><a class=\"brand\" href=\"/dashboard/sales\">Comptoir HQ</a>");
    if frame.user.is_some() {
        let _ = write!(h, "<nav aria-label=\"{}\"><ul>", l.t("Main", "Principale"));
        for (key, path, en, fr) in NAV {
            let current = if *key == frame.active { " aria-current=\"page\"" } else { "" };
            let _ = write!(h, "<li><a href=\"{path}\"{current}>{}</a></li>", l.t(en, fr));
        }
        h.push_str("</ul></nav>");
    }
    h.push_str("<div class=\"tools\">");
    let (other, label) = match l {
        Lang::Fr => ("en", "English"),
        _ => ("fr", "Français"),
    };
    let _ = write!(
        h,
        "<a href=\"/dashboard/lang?to={other}&amp;back={}\" lang=\"{other}\" hreflang=\"{other}\">{label}</a>",
        url(frame.here)
    );
    if let Some((user, csrf)) = frame.user {
        let _ = write!(
            h,
            "<form method=\"post\" action=\"/dashboard/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\">{} ({})</button></form>",
            esc(csrf),
            l.t("Sign out", "Se déconnecter"),
            esc(user)
        );
    }
    h.push_str("</div></header><main>");
    let _ = write!(h, "<h1>{}</h1>", esc(title));
    h.push_str(body);
    h.push_str("</main></body></html>");
    html_response(status, h)
}

pub fn html_response(status: StatusCode, html: String) -> Response {
    let mut r = (status, html).into_response();
    let headers = r.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

/// A refusal shown in the page: the message in the reader's language and the field.
pub fn alert(lang: Lang, e: &crate::HqError) -> String {
    let field = e.field().map(|f| format!(" <span class=\"field\">({}: {})</span>", lang.t("field", "champ"), esc(&f)));
    format!(
        "<div class=\"alert\" role=\"alert\" data-kind=\"{}\">{}{}</div>",
        e.kind(),
        esc(&e.message(lang)),
        field.unwrap_or_default()
    )
}

pub fn notice(text: &str) -> String {
    format!("<div class=\"notice\" role=\"status\">{}</div>", esc(text))
}

/// The CSRF field every form carries.
pub fn csrf_field(csrf: &str) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(csrf))
}

/// A table: caption, column heads (a leading `#` marks a numeric column), rows of cells
/// already escaped; `id` names it for the CSV link and tests.
pub fn table(id: &str, caption: &str, heads: &[&str], rows: &[Vec<String>], csv: Option<&str>) -> String {
    let mut h = String::new();
    let _ = write!(h, "<div class=\"scroll\"><table id=\"{id}\"><caption>{}", esc(caption));
    if let Some(link) = csv {
        let _ = write!(h, " <a class=\"csv\" href=\"{}\">CSV</a>", esc(link));
    }
    h.push_str("</caption><thead><tr>");
    let numeric: Vec<bool> = heads.iter().map(|c| c.starts_with('#')).collect();
    for c in heads {
        let (class, text) = match c.strip_prefix('#') {
            Some(t) => (" class=\"num\"", t),
            None => ("", *c),
        };
        let _ = write!(h, "<th scope=\"col\"{class}>{}</th>", esc(text));
    }
    h.push_str("</tr></thead><tbody>");
    for row in rows {
        h.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if numeric.get(i).copied().unwrap_or(false) { " class=\"num\"" } else { "" };
            let _ = write!(h, "<td{class}>{cell}</td>");
        }
        h.push_str("</tr>");
    }
    if rows.is_empty() {
        let _ = write!(h, "<tr><td colspan=\"{}\" class=\"empty\">—</td></tr>", heads.len().max(1));
    }
    h.push_str("</tbody></table></div>");
    h
}

/// A bar chart of `(label, value)` as inline SVG, with a text alternative.
pub fn bar_chart(lang: Lang, title: &str, bars: &[(String, i64)]) -> String {
    let (w, hgt, pad) = (720.0f64, 200.0f64, 24.0f64);
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let n = bars.len().max(1) as f64;
    let step = (w - 2.0 * pad) / n;
    let bar_w = (step * 0.8).max(1.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<figure class=\"chart\"><svg viewBox=\"0 0 {w} {hgt}\" role=\"img\" aria-labelledby=\"chart-title\">\
         <title id=\"chart-title\">{}</title><line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#555\"/>",
        esc(title),
        hgt - pad,
        w - pad,
        hgt - pad
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let bh = ((*v).max(0) as f64 / max) * (hgt - 2.0 * pad);
        let x = pad + i as f64 * step + (step - bar_w) / 2.0;
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar_w:.1}\" height=\"{bh:.1}\" fill=\"#1f5f99\"><title>{}: {}</title></rect>",
            hgt - pad - bh,
            esc(label),
            esc(&money(lang, *v))
        );
    }
    if let (Some(first), Some(last)) = (bars.first(), bars.last()) {
        let _ = write!(
            s,
            "<text x=\"{pad}\" y=\"{}\" font-size=\"12\" fill=\"#222\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#222\" text-anchor=\"end\">{}</text>",
            hgt - 6.0,
            esc(&first.0),
            w - pad,
            hgt - 6.0,
            esc(&last.0)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{pad}\" y=\"14\" font-size=\"12\" fill=\"#222\">{}</text></svg><figcaption>{}</figcaption></figure>",
        esc(&money(lang, max as i64)),
        esc(title)
    );
    s
}

/// The dashboard's one stylesheet: readable on a phone (tables scroll sideways, the
/// navigation wraps), contrast above WCAG AA.
pub const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f6f7f9;line-height:1.4}
a{color:#0b4f8a}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.5rem 1rem;background:#13324f;color:#fff}
header.top a{color:#fff}
.brand{font-weight:700;text-decoration:none}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem .75rem;list-style:none;margin:0;padding:0}
nav a[aria-current=page]{font-weight:700;text-decoration:underline}
.tools{margin-left:auto;display:flex;gap:.75rem;align-items:center}
.tools form{margin:0}
main{padding:1rem;max-width:1200px;margin:0 auto}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
.scroll{overflow-x:auto;margin-bottom:1rem}
table{border-collapse:collapse;width:100%;background:#fff}
caption{text-align:left;font-weight:600;padding:.4rem 0}
th,td{padding:.35rem .5rem;border-bottom:1px solid #d5d9de;text-align:left;white-space:nowrap}
th.num,td.num{text-align:right}
td.empty{color:#555;text-align:center}
tr.bad td{background:#fde8e8}
.badge{display:inline-block;padding:0 .4rem;border-radius:.3rem;font-size:.85rem;font-weight:600}
.badge.ok{background:#dff3e4;color:#14532d}
.badge.bad{background:#b91c1c;color:#fff}
.badge.warn{background:#fff1c2;color:#5c3d00}
.badge.off{background:#e5e7eb;color:#333}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:.75rem;margin-bottom:1rem}
.card{background:#fff;border:1px solid #d5d9de;border-radius:.4rem;padding:.75rem}
.card .value{font-size:1.4rem;font-weight:700}
.card .delta{color:#333;font-size:.9rem}
form.inline{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0 1rem}
form.stack{display:grid;gap:.5rem;max-width:32rem;margin-bottom:1rem}
label{display:flex;flex-direction:column;font-size:.9rem;gap:.15rem}
label.check{flex-direction:row;align-items:center;gap:.4rem}
input,select,textarea,button{font:inherit;padding:.35rem .5rem;border:1px solid #6b7280;border-radius:.3rem;background:#fff;color:#1a1a1a}
textarea{width:100%;min-height:10rem;font-family:ui-monospace,monospace}
button{background:#0b4f8a;color:#fff;border-color:#0b4f8a;cursor:pointer}
button.danger{background:#b91c1c;border-color:#b91c1c}
.tools button{background:transparent;border-color:#fff}
.alert{background:#fde8e8;border:1px solid #b91c1c;color:#7f1d1d;padding:.5rem .75rem;border-radius:.3rem;margin-bottom:1rem}
.notice{background:#e6f4ea;border:1px solid #14532d;color:#14532d;padding:.5rem .75rem;border-radius:.3rem;margin-bottom:1rem}
.secret{font-family:ui-monospace,monospace;word-break:break-all;background:#fff;border:1px dashed #333;padding:.5rem}
figure.chart{margin:0 0 1rem;background:#fff;border:1px solid #d5d9de;padding:.5rem}
figure.chart svg{width:100%;height:auto;max-height:240px;display:block}
figcaption{font-size:.85rem;color:#333}
.later{background:#fff;border:1px dashed #6b7280;padding:1rem;border-radius:.4rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;background:#fff;border:1px solid #d5d9de;padding:.75rem;margin:0 0 1rem}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
@media (max-width:640px){header.top{flex-direction:column;align-items:flex-start}.tools{margin-left:0}main{padding:.5rem}}
"#;
