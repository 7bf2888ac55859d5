//! The receipt as lines of text, 48 characters wide (an 80 mm printer's Font A), with
//! their emphasis: the plain-text rendering, and the body of the ESC/POS one.

use super::{Receipt, euros};

/// Characters per line on 80 mm paper (576 dots, Font A of 12 dots).
pub const WIDTH: usize = 48;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
}

/// One printed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub text: String,
    pub align: Align,
    pub bold: bool,
    /// Double height and width: half as many characters fit.
    pub big: bool,
}

impl Row {
    fn plain(text: impl Into<String>) -> Row {
        Row { text: text.into(), align: Align::Left, bold: false, big: false }
    }
    fn center(text: impl Into<String>) -> Row {
        Row { text: text.into(), align: Align::Center, bold: false, big: false }
    }
    fn bold(mut self) -> Row {
        self.bold = true;
        self
    }
    fn big(mut self) -> Row {
        self.big = true;
        self
    }
}

fn cut(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

/// `left` and `right` on one line of `width`, the left side shortened when they do not fit.
pub fn spread(left: &str, right: &str, width: usize) -> String {
    let r = right.chars().count();
    let room = width.saturating_sub(r + 1);
    let l = cut(left, room);
    let pad = width.saturating_sub(l.chars().count() + r);
    format!("{l}{}{right}", " ".repeat(pad))
}

/// The receipt's lines, in order, for a printer or a text file.
pub fn rows(r: &Receipt) -> Vec<Row> {
    let w = WIDTH;
    let mut out = Vec::new();
    let rule = || Row::plain("-".repeat(w));
    out.push(Row::center(cut(&r.shop_name, w / 2)).bold().big());
    if !r.legal_name.is_empty() {
        out.push(Row::center(cut(&r.legal_name, w)));
    }
    for line in &r.address {
        out.push(Row::center(cut(line, w)));
    }
    if !r.siret.is_empty() {
        out.push(Row::center(format!("SIRET {}", r.siret)));
    }
    if !r.vat_number.is_empty() {
        out.push(Row::center(format!("N° TVA intracom. {}", r.vat_number)));
    }
    out.push(Row::plain(""));
    out.push(Row::center(r.title.clone()).bold());
    if let Some(d) = &r.duplicate {
        out.push(Row::center(d.clone()).bold().big());
    }
    out.push(Row::plain(format!("Ticket n° {}", r.number)));
    out.push(Row::plain(format!("Le {} à {}", r.date, r.time)));
    out.push(Row::plain(format!("Caisse : {}", r.register)));
    out.push(Row::plain(format!("Caissier : {}", r.cashier)));
    if let Some(of) = &r.return_of {
        out.push(Row::plain(of.clone()));
    }
    out.push(rule());
    for l in &r.lines {
        out.push(Row::plain(cut(&l.name, w)));
        let detail = format!("  {} x {}", l.qty, euros(l.unit_price));
        out.push(Row::plain(spread(&detail, &format!("{} {}", euros(l.amount), l.vat_code), w)));
        if l.discount.cents() != 0 {
            let what = match &l.offer {
                Some(o) => format!("  Remise {o}"),
                None => "  Remise".to_string(),
            };
            out.push(Row::plain(spread(&what, &format!("-{}  ", euros(l.discount)), w)));
        }
    }
    out.push(rule());
    if r.discount.cents() != 0 {
        out.push(Row::plain(spread("Remise sur le ticket", &format!("-{}", euros(r.discount)), w)));
    }
    let total_label = if r.is_return { "TOTAL REMBOURSÉ" } else { "TOTAL TTC" };
    let total = format!("{} EUR", euros(r.total));
    if total_label.chars().count() + total.len() < w / 2 {
        out.push(Row::plain(spread(total_label, &total, w / 2)).bold().big());
    } else {
        out.push(Row::plain(spread(total_label, &total, w)).bold());
    }
    for t in &r.tenders {
        out.push(Row::plain(spread(&t.label, &euros(t.amount), w)));
        if let Some(d) = &t.detail {
            out.push(Row::plain(format!("  {}", cut(d, w - 2))));
        }
    }
    if r.change.cents() != 0 {
        out.push(Row::plain(spread("Rendu monnaie", &euros(r.change), w)).bold());
    }
    out.push(rule());
    out.push(Row::plain(format!("{:<5}{:>8}{:>12}{:>11}{:>12}", "TVA", "Taux", "HT", "TVA", "TTC")));
    for v in &r.vat {
        out.push(Row::plain(format!(
            "{:<5}{:>8}{:>12}{:>11}{:>12}",
            v.code,
            v.rate,
            euros(v.net),
            euros(v.vat),
            euros(v.gross)
        )));
    }
    if let Some(p) = &r.points {
        out.push(rule());
        if p.earned != 0 {
            out.push(Row::plain(spread("Points gagnés", &p.earned.to_string(), w)));
        }
        if p.redeemed != 0 {
            out.push(Row::plain(spread("Points utilisés", &p.redeemed.to_string(), w)));
        }
        out.push(Row::plain(spread("Solde de points", &p.balance.to_string(), w)));
    }
    out.push(rule());
    if let Some(f) = &r.footer {
        out.push(Row::center(cut(f, w)));
    }
    if !r.is_return {
        out.push(Row::center("Merci de votre visite"));
    }
    out.push(Row::center(format!("{} - empreinte {}", r.software, r.hash_excerpt)));
    if let Some(d) = &r.duplicate {
        out.push(Row::center(d.clone()).bold());
    }
    out
}

/// The receipt as plain text, one line per row, centred rows padded.
pub fn render(r: &Receipt) -> String {
    let mut s = String::new();
    for row in rows(r) {
        let width = if row.big { WIDTH / 2 } else { WIDTH };
        let text = match row.align {
            Align::Left => row.text,
            Align::Center => {
                let pad = width.saturating_sub(row.text.chars().count()) / 2;
                format!("{}{}", " ".repeat(pad), row.text)
            }
        };
        s.push_str(text.trim_end());
        s.push('\n');
    }
    if let Some(link) = &r.link {
        s.push_str(&format!("Votre ticket en ligne : {link}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_puts_the_amount_at_the_right_edge_and_shortens_the_name() {
        assert_eq!(spread("Pain", "1,20", 12), "Pain    1,20");
        assert_eq!(spread("Baguette tradition", "1,20", 12), "Baguett 1,20");
    }
}
