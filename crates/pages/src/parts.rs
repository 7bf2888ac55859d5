//! Pieces of a page: what a form's action came to (a notice, or a refusal shown as an alert
//! and next to the field to blame), tables, badges and lists of facts.

use crate::text::Tr;
use axum::http::StatusCode;
use comptoir_core::Lang;
use maud::{Markup, html};

/// An error a server's pages can show: each server's one error type implements it by
/// calling its own kind, field, message and its one mapping to HTTP status.
pub trait Refusal {
    fn status(&self) -> StatusCode;
    /// Stable machine-readable kind (`data-kind` on the alert).
    fn kind(&self) -> &str;
    /// The form field to blame, if any.
    fn field(&self) -> Option<String>;
    fn message(&self, lang: Lang) -> String;
}

/// A refusal as shown: rendered once in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub lang: Lang,
    pub status: StatusCode,
    pub kind: String,
    pub message: String,
    pub field: Option<String>,
}

impl Problem {
    pub fn of(lang: Lang, e: &(impl Refusal + ?Sized)) -> Problem {
        Problem { lang, status: e.status(), kind: e.kind().to_string(), message: e.message(lang), field: e.field() }
    }

    /// The message, when this problem blames the field `name`.
    pub fn on(&self, name: &str) -> Option<&str> {
        (self.field.as_deref() == Some(name)).then_some(self.message.as_str())
    }
}

/// A refusal shown at the top of a page: the message and the field to blame.
pub fn alert(p: &Problem) -> Markup {
    html! {
        div.alert role="alert" data-kind=(p.kind) {
            (p.message)
            @if let Some(f) = &p.field {
                " " span.field { "(" (p.lang.t("field", "champ")) ": " (f) ")" }
            }
        }
    }
}

/// An alert that is no single refusal (a count of refused rows, shops that need attention).
pub fn alert_text(text: &str) -> Markup {
    html! { div.alert role="alert" { (text) } }
}

/// A confirmation of what was done.
pub fn notice(text: &str) -> Markup {
    html! { div.notice role="status" { (text) } }
}

/// What a page shows after a form's action: nothing (a plain visit), what was done, or the
/// refusal, which also marks its field in the form that was sent (`form`), not in another
/// form of the same page that has a field of the same name.
pub enum Outcome {
    Shown,
    Done(Markup),
    Refused { form: String, problem: Problem },
}

impl Outcome {
    /// The outcome of the action of form `form`: `Ok` holds what to tell the reader.
    pub fn of<E: Refusal>(lang: Lang, form: impl Into<String>, result: Result<Markup, E>) -> Outcome {
        match result {
            Ok(done) => Outcome::Done(done),
            Err(e) => Outcome::Refused { form: form.into(), problem: Problem::of(lang, &e) },
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Outcome::Refused { problem, .. } => problem.status,
            _ => StatusCode::OK,
        }
    }

    /// The notice or the alert to show above the page's content.
    pub fn banner(&self) -> Markup {
        match self {
            Outcome::Shown => html! {},
            Outcome::Done(done) => html! { (done) },
            Outcome::Refused { problem, .. } => alert(problem),
        }
    }

    /// The refusal of form `form`, for its fields.
    pub fn problem_in(&self, form: &str) -> Option<&Problem> {
        match self {
            Outcome::Refused { form: f, problem } if *f == form => Some(problem),
            _ => None,
        }
    }
}

/// The kinds of [`badge`]: never colour alone, the badge always carries its word.
#[derive(Debug, Clone, Copy)]
pub enum Badge {
    Ok,
    Warn,
    Bad,
    Off,
}

pub fn badge(kind: Badge, text: &str) -> Markup {
    let class = match kind {
        Badge::Ok => "badge ok",
        Badge::Warn => "badge warn",
        Badge::Bad => "badge bad",
        Badge::Off => "badge off",
    };
    html! { span class=(class) { (text) } }
}

/// A table with its caption and column heads; a head starting with `#` is a numeric column
/// (right-aligned, the `#` not shown). `id` names it for links and tests.
pub struct Table<'a> {
    pub id: &'a str,
    pub caption: &'a str,
    pub heads: &'a [&'a str],
    /// A link to the same table as CSV, in the caption.
    pub csv: Option<&'a str>,
}

impl Table<'_> {
    fn numeric(&self, column: usize) -> bool {
        self.heads.get(column).is_some_and(|h| h.starts_with('#'))
    }

    /// The table with rows given whole (`tr` elements), for rows that carry their own
    /// attributes or a row head; `empty` shows a dash row instead.
    pub fn body(&self, rows: Markup, empty: bool) -> Markup {
        html! {
            div.scroll {
                table id=(self.id) {
                    caption {
                        (self.caption)
                        @if let Some(link) = self.csv { " " a.csv href=(link) { "CSV" } }
                    }
                    thead { tr {
                        @for h in self.heads {
                            @match h.strip_prefix('#') {
                                Some(text) => { th scope="col" class="num" { (text) } }
                                None => { th scope="col" { (h) } }
                            }
                        }
                    } }
                    tbody {
                        (rows)
                        @if empty { tr { td colspan=(self.heads.len().max(1)) class="empty" { "—" } } }
                    }
                }
            }
        }
    }

    /// The table with one cell per column in each row.
    pub fn rows(&self, rows: &[Vec<Markup>]) -> Markup {
        let body = html! {
            @for row in rows {
                tr { @for (i, cell) in row.iter().enumerate() { td class=[self.numeric(i).then_some("num")] { (cell) } } }
            }
        };
        self.body(body, rows.is_empty())
    }
}

/// A table of text cells (escaped as every splice): the common case.
pub fn table(id: &str, caption: &str, heads: &[&str], rows: &[Vec<String>], csv: Option<&str>) -> Markup {
    let rows: Vec<Vec<Markup>> = rows.iter().map(|r| r.iter().map(|c| html! { (c) }).collect()).collect();
    Table { id, caption, heads, csv }.rows(&rows)
}

/// A list of facts: label, value.
pub fn facts(id: &str, items: &[(&str, Markup)]) -> Markup {
    html! {
        dl.facts id=(id) { @for (k, v) in items { dt { (k) } dd { (v) } } }
    }
}
