//! Forms and their fields. A POST form always carries the session's CSRF field; a field
//! the refusal blames ([`Problem::on`]) is marked invalid, with the message beside it,
//! tied to the input by `aria-describedby`.

use crate::parts::Problem;
use maud::{Markup, Render, html};

/// How a form lays out its fields: one under the other, or on one line (wrapping).
#[derive(Debug, Clone, Copy)]
pub enum Layout {
    Stack,
    Inline,
}

/// A form: where it goes, its CSRF token (POST) or none (a GET search), hidden fields.
pub struct Form<'a> {
    action: &'a str,
    layout: Layout,
    csrf: Option<&'a str>,
    hidden: Vec<(&'a str, String)>,
}

impl<'a> Form<'a> {
    /// A POST form carrying the CSRF token.
    pub fn post(action: &'a str, csrf: &'a str, layout: Layout) -> Form<'a> {
        Form { action, layout, csrf: Some(csrf), hidden: Vec::new() }
    }

    /// A GET search form (changes nothing, so no token).
    pub fn search(action: &'a str) -> Form<'a> {
        Form { action, layout: Layout::Inline, csrf: None, hidden: Vec::new() }
    }

    pub fn hidden(mut self, name: &'a str, value: impl ToString) -> Form<'a> {
        self.hidden.push((name, value.to_string()));
        self
    }

    /// The form with its fields and a submit button reading `submit`.
    pub fn with(&self, fields: Markup, submit: &str) -> Markup {
        self.with_button(fields, html! { button type="submit" { (submit) } })
    }

    /// The form with its fields and its own button(s).
    pub fn with_button(&self, fields: Markup, button: Markup) -> Markup {
        let class = match self.layout {
            Layout::Stack => "stack",
            Layout::Inline => "inline",
        };
        html! {
            @if let Some(csrf) = self.csrf {
                form class=(class) method="post" action=(self.action) {
                    input type="hidden" name="csrf" value=(csrf);
                    @for (name, value) in &self.hidden { input type="hidden" name=(name) value=(value); }
                    (fields)
                    (button)
                }
            } @else {
                form class=(class) method="get" action=(self.action) role="search" {
                    @for (name, value) in &self.hidden { input type="hidden" name=(name) value=(value); }
                    (fields)
                    (button)
                }
            }
        }
    }
}

fn error_id(name: &str) -> String {
    format!("{name}-error")
}

/// A labelled text input.
pub struct Field<'a> {
    label: &'a str,
    name: &'a str,
    value: Option<&'a str>,
    kind: Option<&'static str>,
    required: bool,
    maxlength: Option<u32>,
    inputmode: Option<&'static str>,
    autocomplete: Option<&'static str>,
    error: Option<&'a str>,
}

impl<'a> Field<'a> {
    pub fn new(label: &'a str, name: &'a str) -> Field<'a> {
        Field {
            label,
            name,
            value: None,
            kind: None,
            required: false,
            maxlength: None,
            inputmode: None,
            autocomplete: None,
            error: None,
        }
    }
    pub fn value(mut self, value: &'a str) -> Self {
        self.value = Some(value);
        self
    }
    /// The input's `type` (`search`, `date`, `password`); text when not given.
    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = Some(kind);
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn maxlength(mut self, n: u32) -> Self {
        self.maxlength = Some(n);
        self
    }
    /// An amount or a rate: the phone shows its decimal keypad.
    pub fn decimal(mut self) -> Self {
        self.inputmode = Some("decimal");
        self
    }
    pub fn autocomplete(mut self, what: &'static str) -> Self {
        self.autocomplete = Some(what);
        self
    }
    /// Marks the field when `problem` blames it.
    pub fn problem(mut self, problem: Option<&'a Problem>) -> Self {
        self.error = problem.and_then(|p| p.on(self.name));
        self
    }
}

impl Render for Field<'_> {
    fn render(&self) -> Markup {
        html! {
            label {
                (self.label)
                input type=[self.kind] name=(self.name) value=[self.value] required[self.required]
                    maxlength=[self.maxlength] inputmode=[self.inputmode] autocomplete=[self.autocomplete]
                    aria-invalid=[self.error.map(|_| "true")] aria-describedby=[self.error.map(|_| error_id(self.name))];
                @if let Some(e) = self.error { span.field-error id=(error_id(self.name)) { (e) } }
            }
        }
    }
}

/// A labelled checkbox.
pub struct Check<'a> {
    pub label: &'a str,
    pub name: &'a str,
    /// Sent when ticked (`on` when none).
    pub value: Option<&'a str>,
    pub checked: bool,
}

impl Render for Check<'_> {
    fn render(&self) -> Markup {
        html! {
            label.check { input type="checkbox" name=(self.name) value=[self.value] checked[self.checked]; " " (self.label) }
        }
    }
}

/// One option of a [`Select`].
pub struct Choice {
    pub value: String,
    pub text: String,
    pub selected: bool,
}

/// A labelled drop-down list.
pub struct Select<'a> {
    label: &'a str,
    name: &'a str,
    choices: Vec<Choice>,
    error: Option<&'a str>,
}

impl<'a> Select<'a> {
    pub fn new(label: &'a str, name: &'a str, choices: Vec<Choice>) -> Select<'a> {
        Select { label, name, choices, error: None }
    }
    /// Marks the list when `problem` blames it.
    pub fn problem(mut self, problem: Option<&'a Problem>) -> Self {
        self.error = problem.and_then(|p| p.on(self.name));
        self
    }
}

impl Render for Select<'_> {
    fn render(&self) -> Markup {
        html! {
            label {
                (self.label)
                select name=(self.name) aria-invalid=[self.error.map(|_| "true")]
                    aria-describedby=[self.error.map(|_| error_id(self.name))] {
                    @for c in &self.choices { option value=(c.value) selected[c.selected] { (c.text) } }
                }
                @if let Some(e) = self.error { span.field-error id=(error_id(self.name)) { (e) } }
            }
        }
    }
}
