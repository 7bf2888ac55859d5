//! The header of a CSV catalog import, read the same way by HQ and the shop: `;` or `,`
//! (whichever the first line holds more of), fields trimmed, columns in any order and any
//! case, a byte-order mark ignored; an unknown or missing column refuses the file at once.

use crate::error::short;
use std::collections::HashMap;

/// Why a header is refused, in both languages (the header is line 1 of the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError {
    pub en: String,
    pub fr: String,
}

/// A reader positioned after the header, and the column index of each known name.
pub type Header<'a> = (csv::Reader<&'a [u8]>, HashMap<&'static str, usize>);

/// Reads the header of `data`: every column must be one of `known`, every one of
/// `required` must be there.
pub fn read<'a>(data: &'a [u8], known: &[&'static str], required: &[&'static str]) -> Result<Header<'a>, HeaderError> {
    let first_line = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |c: u8| first_line.iter().filter(|b| **b == c).count();
    let delimiter = if count(b';') > count(b',') { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(false).trim(csv::Trim::All).from_reader(data);
    let headers = reader
        .headers()
        .map_err(|e| HeaderError { en: format!("Unreadable header: {e}"), fr: format!("En-tête illisible : {e}") })?
        .clone();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim_start_matches('\u{feff}').to_ascii_lowercase();
        match known.iter().find(|k| **k == h) {
            Some(k) => {
                index.insert(k, i);
            }
            None => {
                let h = short(&h);
                return Err(HeaderError {
                    en: format!("Unknown column {h:?}; the columns are {}.", known.join(", ")),
                    fr: format!("Colonne inconnue {h:?} ; les colonnes sont {}.", known.join(", ")),
                });
            }
        }
    }
    let missing: Vec<&str> = required.iter().copied().filter(|k| !index.contains_key(k)).collect();
    if !missing.is_empty() {
        return Err(HeaderError {
            en: format!("Missing column(s): {}.", missing.join(", ")),
            fr: format!("Colonne(s) manquante(s) : {}.", missing.join(", ")),
        });
    }
    Ok((reader, index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_any_order_and_case_with_either_separator() {
        let (mut r, index) =
            read(b"\xef\xbb\xbfName;SKU;price\nBaguette;A1;1,20\n", &["sku", "name", "price"], &["sku"])
                .expect("a good header");
        assert_eq!((index["sku"], index["name"], index["price"]), (1, 0, 2));
        assert_eq!(r.records().next().unwrap().unwrap().get(2), Some("1,20"));
        let e = read(b"sku,colour\n", &["sku", "name"], &["sku"]).unwrap_err();
        assert!(e.en.contains("Unknown column \"colour\"") && e.fr.contains("Colonne inconnue"), "{e:?}");
        let e = read(b"name\n", &["sku", "name"], &["sku"]).unwrap_err();
        assert!(e.en.contains("Missing column(s): sku"), "{e:?}");
    }
}
