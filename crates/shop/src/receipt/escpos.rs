//! The receipt as ESC/POS bytes for a thermal printer: text modes (bold, double size,
//! centring), code page 858 (PC850 with the euro sign) for French accents, the receipt's
//! link as a QR code the printer draws itself (`GS ( k`), then a feed and a partial cut.
//! Also the drawer pulse (`ESC p`), sent through the printer the drawer hangs on.

use super::Receipt;
use super::text::{Align, rows};

const ESC: u8 = 0x1b;
const GS: u8 = 0x1d;

/// Code page 858 from 0x80 to 0xFF (Epson's table 19).
const CP858_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈ€ÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u{ad}±‗¾¶§÷¸°¨·¹³²■\u{a0}";

/// `ESC t 19`: the code page of [`encode_text`].
pub const CODE_PAGE: u8 = 19;

/// Text in code page 858; a character it lacks prints as `?`.
pub fn encode_text(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '’' => b'\'',
            _ => CP858_HIGH.chars().position(|h| h == c).map(|i| 0x80 + i as u8).unwrap_or(b'?'),
        })
        .collect()
}

/// The drawer kick: pin 2, 50 ms on, 500 ms off.
pub fn drawer_pulse() -> Vec<u8> {
    vec![ESC, b'@', ESC, b'p', 0, 25, 250]
}

fn qr(out: &mut Vec<u8>, data: &str) {
    let bytes = data.as_bytes();
    // Model 2, module size 6, error correction M, store, print.
    out.extend([GS, b'(', b'k', 4, 0, 49, 65, 50, 0]);
    out.extend([GS, b'(', b'k', 3, 0, 49, 67, 6]);
    out.extend([GS, b'(', b'k', 3, 0, 49, 69, 49]);
    let len = bytes.len() + 3;
    out.extend([GS, b'(', b'k', (len & 0xff) as u8, (len >> 8) as u8, 49, 80, 48]);
    out.extend(bytes);
    out.extend([GS, b'(', b'k', 3, 0, 49, 81, 48]);
}

/// The whole print job of a receipt; `pulse`: open the drawer first (a cash tender).
pub fn render(r: &Receipt, pulse: bool) -> Vec<u8> {
    let mut out = vec![ESC, b'@', ESC, b't', CODE_PAGE];
    if pulse {
        out.extend([ESC, b'p', 0, 25, 250]);
    }
    for row in rows(r) {
        out.extend([ESC, b'a', if row.align == Align::Center { 1 } else { 0 }]);
        out.extend([ESC, b'E', row.bold as u8]);
        out.extend([GS, b'!', if row.big { 0x11 } else { 0 }]);
        out.extend(encode_text(&row.text));
        out.push(b'\n');
    }
    out.extend([ESC, b'E', 0, GS, b'!', 0]);
    if let Some(link) = &r.link
        && link.len() < 700
    {
        out.extend([ESC, b'a', 1]);
        qr(&mut out, link);
        out.push(b'\n');
        out.extend(encode_text("Votre ticket en ligne"));
        out.push(b'\n');
        out.extend([ESC, b'a', 0]);
    }
    // Feed past the cutter, then a partial cut.
    out.extend([GS, b'V', 66, 3]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_accents_and_the_euro_take_their_code_page_858_bytes() {
        assert_eq!(encode_text("é"), vec![0x82]);
        assert_eq!(encode_text("€"), vec![0xd5]);
        assert_eq!(encode_text("Çà°"), vec![0x80, 0x85, 0xf8]);
        assert_eq!(encode_text("Ω"), vec![b'?']);
        assert_eq!(CP858_HIGH.chars().count(), 128);
    }
}
