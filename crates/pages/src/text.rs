//! Texts in the reader's language: French or English, amounts, counts, quantities,
//! changes and instants. All return plain text, escaped where the page splices it.

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

/// The `lang` attribute of a page.
pub fn lang_code(lang: Lang) -> &'static str {
    lang.t("en", "fr")
}

/// Escapes a query-string value (percent-encoding; HTML escaping is maud's).
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
        Some(t) if t.len() >= 16 && t.is_char_boundary(10) && t.is_char_boundary(16) => {
            format!("{} {} UTC", &t[..10], &t[11..16])
        }
        Some(t) => t.to_string(),
        None => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_each_language_writes_them() {
        assert_eq!(money(Lang::En, 123456), "€1,234.56");
        assert_eq!(money(Lang::Fr, 123456), "1\u{202f}234,56\u{a0}€");
        assert_eq!(money(Lang::En, -1230), "-€12.30");
        assert_eq!(count(Lang::Fr, -1234567), "-1\u{202f}234\u{202f}567");
        assert_eq!(quantity(Lang::Fr, 250), "0,25");
        assert_eq!(change(Lang::En, 110, 100), "+10.0%");
        assert_eq!(change(Lang::Fr, 90, 100), "-10,0 %");
        assert_eq!(change(Lang::En, 5, 0), "—");
    }

    #[test]
    fn an_instant_is_shown_to_the_minute_and_a_query_value_is_percent_encoded() {
        assert_eq!(instant(Some("2026-03-14T09:26:53.589Z")), "2026-03-14 09:26 UTC");
        assert_eq!(instant(None), "—");
        assert_eq!(url("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
