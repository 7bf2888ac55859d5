//! A bar chart as inline SVG (no script, no image request), with a text alternative: the
//! SVG's title, each bar's own title, and the figure's caption.

use crate::text::money;
use comptoir_core::Lang;
use maud::{Markup, html};

/// Bars of `(label, amount in cents)`, the amounts shown in the reader's language.
pub fn bar_chart(lang: Lang, title: &str, bars: &[(String, i64)]) -> Markup {
    let (w, h, pad) = (720.0f64, 200.0f64, 24.0f64);
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let n = bars.len().max(1) as f64;
    let step = (w - 2.0 * pad) / n;
    let bar_w = (step * 0.8).max(1.0);
    let base = h - pad;
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {w} {h}")) role="img" aria-labelledby="chart-title" {
                title id="chart-title" { (title) }
                line x1=(pad) y1=(base) x2=(w - pad) y2=(base) stroke="#555" {}
                @for (i, (label, v)) in bars.iter().enumerate() {
                    @let bh = ((*v).max(0) as f64 / max as f64) * (h - 2.0 * pad);
                    @let x = pad + i as f64 * step + (step - bar_w) / 2.0;
                    rect x=(format!("{x:.1}")) y=(format!("{:.1}", base - bh)) width=(format!("{bar_w:.1}"))
                        height=(format!("{bh:.1}")) fill="#1f5f99" {
                        title { (label) ": " (money(lang, *v)) }
                    }
                }
                @if let (Some(first), Some(last)) = (bars.first(), bars.last()) {
                    text x=(pad) y=(h - 6.0) font-size="12" fill="#222" { (first.0) }
                    text x=(w - pad) y=(h - 6.0) font-size="12" fill="#222" text-anchor="end" { (last.0) }
                }
                text x=(pad) y="14" font-size="12" fill="#222" { (money(lang, max)) }
            }
            figcaption { (title) }
        }
    }
}
