//! CSV cells that a spreadsheet opens as data, never as a formula.
//!
//! Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` as
//! a formula (and a leading tab or carriage return hides one), so an article named
//! `=HYPERLINK("http://…")` in an exported catalog would run on the manager's machine. Every
//! CSV Comptoir writes passes its cells through [`safe_cell`], which puts a `'` in front of
//! such a cell (the mark spreadsheets themselves use for "text"), except a plain number
//! (`-12.50`, `+3 %`), which is no formula and must stay a number. The catalog import reads
//! a cell through [`read_cell`], which takes that mark off again, so an exported catalog
//! imports back unchanged.

use std::borrow::Cow;

fn starts_a_formula(cell: &str) -> bool {
    matches!(cell.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'))
}

/// A signed decimal number, optionally followed by `%`: `-12.50`, `+3,5 %`.
fn is_plain_number(cell: &str) -> bool {
    let body = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let body = body.trim_end_matches('%').trim_end();
    let mut digits = 0;
    let mut separators = 0;
    for c in body.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' | ',' => separators += 1,
            _ => return false,
        }
    }
    digits > 0 && separators <= 1
}

/// Whether the cell gets the mark: it would run as a formula, or it already starts with a
/// mark that [`read_cell`] would take off (so that every cell reads back as it was).
fn needs_mark(cell: &str) -> bool {
    (starts_a_formula(cell) && !is_plain_number(cell)) || cell.strip_prefix('\'').is_some_and(needs_mark)
}

/// The cell as it is safe to write in a CSV file.
pub fn safe_cell(cell: &str) -> Cow<'_, str> {
    if needs_mark(cell) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// A cell as it was before [`safe_cell`]: the `'` it added is taken off.
pub fn read_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_mark(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_formula_is_written_as_text_and_read_back_as_it_was() {
        let name = "=HYPERLINK(\"http://x\")";
        assert_eq!(safe_cell(name), "'=HYPERLINK(\"http://x\")");
        assert_eq!(read_cell(&safe_cell(name)), name);
        // A name typed with the mark itself keeps it through export and import.
        assert_eq!(safe_cell("'=x"), "''=x");
        assert_eq!(read_cell("''=x"), "'=x");
        for dangerous in ["+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "-", "+"] {
            assert!(safe_cell(dangerous).starts_with('\''), "{dangerous:?}");
        }
    }

    #[test]
    fn numbers_and_ordinary_text_are_left_alone() {
        for cell in ["-12.50", "+3,5 %", "-0.4%", "12", "Baguette", "", "'quoted already", "3017620422003"] {
            assert_eq!(safe_cell(cell), cell);
            assert_eq!(read_cell(cell), cell);
        }
    }

    proptest! {
        #[test]
        fn every_cell_survives_the_round_trip(cell in "\\PC{0,12}") {
            let written = safe_cell(&cell);
            prop_assert_eq!(read_cell(&written), cell.as_str());
            prop_assert!(!starts_a_formula(&written) || is_plain_number(&written));
        }
    }
}
