//! The receipt as an 80 mm HTML page, for the browser's print dialog (a "browser"
//! printer) and for the receipt's web page (the QR code's link). Every value is escaped by
//! maud; the style is a file of this server (`/register/receipt.css`), as the strict CSP
//! wants; the QR code is an SVG image in a `data:` URL.

use super::{Receipt, euros};
use maud::{DOCTYPE, Markup, html};

/// The QR code of `data` as an SVG document.
pub fn qr_svg(data: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(code.render::<qrcode::render::svg::Color>().min_dimensions(160, 160).quiet_zone(true).build())
}

/// A `data:` URL of the QR code of `data`, for an `img` under the strict CSP.
pub fn qr_data_url(data: &str) -> Option<String> {
    use base64::Engine;
    qr_svg(data)
        .map(|svg| format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg)))
}

/// The receipt itself, for a page of its own or inside another (the back office's).
pub fn body(r: &Receipt) -> Markup {
    html! {
        article.receipt {
            header {
                h1 { (r.shop_name) }
                @if !r.legal_name.is_empty() { p { (r.legal_name) } }
                @for line in &r.address { p { (line) } }
                @if !r.siret.is_empty() { p { "SIRET " (r.siret) } }
                @if !r.vat_number.is_empty() { p { "N° TVA intracom. " (r.vat_number) } }
            }
            h2 { (r.title) }
            @if let Some(d) = &r.duplicate { p.duplicate { (d) } }
            p { "Ticket n° " span.number { (r.number) } }
            p { "Le " (r.date) " à " (r.time) }
            p { "Caisse : " (r.register) }
            p { "Caissier : " (r.cashier) }
            @if let Some(of) = &r.return_of { p { (of) } }
            table.lines {
                @for l in &r.lines {
                    tr {
                        td { (l.name) br; small { (l.qty) " × " (euros(l.unit_price)) } }
                        td.amount { (euros(l.amount)) " " (l.vat_code) }
                    }
                    @if l.discount.cents() != 0 {
                        tr.discount {
                            td { "Remise" @if let Some(o) = &l.offer { " " (o) } }
                            td.amount { "-" (euros(l.discount)) }
                        }
                    }
                }
            }
            @if r.discount.cents() != 0 {
                p.spread { span { "Remise sur le ticket" } span { "-" (euros(r.discount)) } }
            }
            p.spread.total {
                span { @if r.is_return { "TOTAL REMBOURSÉ" } @else { "TOTAL TTC" } }
                span { (euros(r.total)) " €" }
            }
            @for t in &r.tenders {
                p.spread { span { (t.label) } span { (euros(t.amount)) } }
                @if let Some(d) = &t.detail { p.detail { (d) } }
            }
            @if r.change.cents() != 0 {
                p.spread { span { "Rendu monnaie" } strong { (euros(r.change)) } }
            }
            table.vat {
                tr { th { "TVA" } th { "Taux" } th { "HT" } th { "TVA" } th { "TTC" } }
                @for v in &r.vat {
                    tr {
                        td { (v.code) } td { (v.rate) } td { (euros(v.net)) } td { (euros(v.vat)) } td { (euros(v.gross)) }
                    }
                }
            }
            @if let Some(p) = &r.points {
                @if p.earned != 0 { p.spread { span { "Points gagnés" } span { (p.earned) } } }
                @if p.redeemed != 0 { p.spread { span { "Points utilisés" } span { (p.redeemed) } } }
                p.spread { span { "Solde de points" } span { (p.balance) } }
            }
            footer {
                @if let Some(f) = &r.footer { p { (f) } }
                @if !r.is_return { p { "Merci de votre visite" } }
                @if let Some(link) = &r.link {
                    @if let Some(src) = qr_data_url(link) { img.qr src=(src) alt="QR"; }
                }
                p.software { (r.software) " - empreinte " (r.hash_excerpt) }
                @if let Some(d) = &r.duplicate { p.duplicate { (d) } }
            }
        }
    }
}

/// The whole page.
pub fn render(r: &Receipt) -> String {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Ticket " (r.number) }
                link rel="stylesheet" href="/register/receipt.css";
                script src="/register/receipt.js" {}
            }
            body { (body(r)) }
        }
    }
    .into_string()
}
