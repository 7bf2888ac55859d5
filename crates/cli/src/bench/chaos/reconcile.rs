//! Ledgers and reconciliation: each shop's side compared with HQ's, entry by entry (lost,
//! duplicated, extra, differing).

use crate::bench::chain::{ADMIN, PASSWORD};
use crate::bench::harness;
use comptoir_shop::ShopError;
use std::collections::BTreeMap;
use std::time::Duration;

/// What is compared between a shop and HQ after a round. Each ledger lists its entries on
/// both sides as (key, value); `source` is the side where entries are made (a ticket at the
/// shop, an article at HQ). A new ledger (stock, loyalty) is a new variant and its two
/// listings: the comparison is the same for all.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ledger {
    /// Ticket id → number, total, hash.
    Tickets,
    /// Register → sequence and hash of its last ticket.
    ChainHeads,
    /// SKU → price (HQ's catalog as the shop holds it after snapshots killed halfway).
    Catalog,
    /// SKU → stock level of every article the shop's tickets sold: a level is the sum of its
    /// movements, so a movement lost or counted twice on the way shows as a difference.
    Stock,
    /// Loyalty entry id → points, of the customers the shop's tickets named (each shop has its
    /// own customer, made in the template: every other sale names it and earns points).
    Loyalty,
}

pub(super) const LEDGERS: [Ledger; 5] =
    [Ledger::Tickets, Ledger::ChainHeads, Ledger::Catalog, Ledger::Stock, Ledger::Loyalty];

#[derive(Debug, Default, Clone)]
pub(super) struct Mismatch {
    pub(super) lost: usize,
    pub(super) duplicated: usize,
    pub(super) extra: usize,
    pub(super) differing: usize,
    pub(super) details: Vec<String>,
}

impl Ledger {
    pub(super) fn name(self) -> &'static str {
        match self {
            Ledger::Tickets => "tickets",
            Ledger::ChainHeads => "chain heads",
            Ledger::Catalog => "catalog",
            Ledger::Stock => "stock",
            Ledger::Loyalty => "loyalty",
        }
    }

    pub(super) fn source_is_shop(self) -> bool {
        !matches!(self, Ledger::Catalog)
    }

    pub(super) async fn at_shop(self, c: &Client, base: &str) -> Result<Vec<(String, String)>, ShopError> {
        match self {
            Ledger::Tickets => Ok(ticket_entries(&c.all(&format!("{base}/tickets")).await?)),
            Ledger::ChainHeads => Ok(chain_heads(&c.all(&format!("{base}/tickets")).await?)),
            Ledger::Catalog => Ok(article_entries(&c.all(&format!("{base}/articles")).await?)),
            Ledger::Stock => {
                let mut out = Vec::new();
                for sku in sold_skus(&c.all(&format!("{base}/tickets")).await?) {
                    let level = c.get(&format!("{base}/stock?sku={sku}")).await?;
                    out.push((sku, level["quantity"].to_string()));
                }
                Ok(out)
            }
            Ledger::Loyalty => loyalty_entries(c, base, &c.all(&format!("{base}/tickets")).await?).await,
        }
    }

    pub(super) async fn at_hq(self, c: &Client, base: &str, shop: &str) -> Result<Vec<(String, String)>, ShopError> {
        match self {
            Ledger::Tickets => Ok(ticket_entries(&c.all(&format!("{base}/tickets?shop={shop}")).await?)),
            Ledger::ChainHeads => Ok(chain_heads(&c.all(&format!("{base}/tickets?shop={shop}")).await?)),
            Ledger::Catalog => Ok(article_entries(&c.all(&format!("{base}/articles")).await?)),
            Ledger::Stock => {
                let mut out = Vec::new();
                for sku in sold_skus(&c.all(&format!("{base}/tickets?shop={shop}")).await?) {
                    let chain = c.get(&format!("{base}/stock?sku={sku}")).await?;
                    let level = chain["shops"]
                        .as_array()
                        .and_then(|l| l.iter().find(|s| s["shop"] == shop))
                        .map(|s| s["quantity"].to_string())
                        .unwrap_or_else(|| "none".into());
                    out.push((sku, level));
                }
                Ok(out)
            }
            Ledger::Loyalty => loyalty_entries(c, base, &c.all(&format!("{base}/tickets?shop={shop}")).await?).await,
        }
    }

    pub(super) fn compare(self, shop: &[(String, String)], hq: &[(String, String)]) -> Mismatch {
        let (source, copy) = if self.source_is_shop() { (shop, hq) } else { (hq, shop) };
        let mut m = Mismatch::default();
        let count = |side: &[(String, String)]| {
            let mut map: BTreeMap<String, (usize, String)> = BTreeMap::new();
            for (k, v) in side {
                let e = map.entry(k.clone()).or_insert((0, v.clone()));
                e.0 += 1;
            }
            map
        };
        let (src, cp) = (count(source), count(copy));
        for (k, (n, _)) in src.iter().chain(cp.iter()) {
            if *n > 1 {
                m.duplicated += n - 1;
                m.details.push(format!("{}: {k} {n} times", self.name()));
            }
        }
        for (k, (_, v)) in &src {
            match cp.get(k) {
                None => {
                    m.lost += 1;
                    m.details.push(format!("{}: {k} lost", self.name()));
                }
                Some((_, w)) if w != v => {
                    m.differing += 1;
                    m.details.push(format!("{}: {k} is {v} at the source, {w} in the copy", self.name()));
                }
                _ => {}
            }
        }
        for k in cp.keys() {
            if !src.contains_key(k) {
                m.extra += 1;
                m.details.push(format!("{}: {k} was never made at the source", self.name()));
            }
        }
        m
    }
}

pub(super) fn ticket_entries(items: &[serde_json::Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap_or("?").to_string(),
                format!("{} {} {}", t["number"].as_str().unwrap_or("?"), t["total"], t["hash"].as_str().unwrap_or("?")),
            )
        })
        .collect()
}

pub(super) fn chain_heads(items: &[serde_json::Value]) -> Vec<(String, String)> {
    let mut heads: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for t in items {
        let register = t["register"].as_str().unwrap_or("?").to_string();
        let seq = t["sequence"].as_i64().unwrap_or(-1);
        let hash = t["hash"].as_str().unwrap_or("?").to_string();
        let e = heads.entry(register).or_insert((seq, hash.clone()));
        if seq > e.0 {
            *e = (seq, hash);
        }
    }
    heads.into_iter().map(|(r, (s, h))| (r, format!("{s} {h}"))).collect()
}

/// The loyalty entries a shop made for the customers its tickets named, as `base` (the
/// shop's API or HQ's) holds them.
pub(super) async fn loyalty_entries(
    c: &Client,
    base: &str,
    tickets: &[serde_json::Value],
) -> Result<Vec<(String, String)>, ShopError> {
    let named: std::collections::BTreeSet<(String, String)> = tickets
        .iter()
        .filter_map(|t| Some((t["customer"].as_str()?.to_string(), t["shop"].as_str()?.to_string())))
        .collect();
    let mut out = Vec::new();
    for (customer, shop) in named {
        let view = c.get(&format!("{base}/customers/{customer}/loyalty")).await?;
        for e in view["entries"].as_array().cloned().unwrap_or_default() {
            if e["shop"] == shop.as_str() {
                out.push((e["id"].as_str().unwrap_or("?").to_string(), e["points"].to_string()));
            }
        }
    }
    Ok(out)
}

/// The SKUs the tickets' lines name, each once.
pub(super) fn sold_skus(tickets: &[serde_json::Value]) -> Vec<String> {
    let skus: std::collections::BTreeSet<String> = tickets
        .iter()
        .flat_map(|t| t["lines"].as_array().cloned().unwrap_or_default())
        .filter_map(|l| l["sku"].as_str().map(str::to_string))
        .collect();
    skus.into_iter().collect()
}

pub(super) fn article_entries(items: &[serde_json::Value]) -> Vec<(String, String)> {
    items.iter().map(|a| (a["sku"].as_str().unwrap_or("?").to_string(), a["price"].to_string())).collect()
}

#[derive(Clone)]
pub(super) struct Client {
    pub(super) http: reqwest::Client,
}

impl Client {
    /// GET as admin; a request that gets no answer is tried again for a few seconds (a
    /// loaded machine, a process starting again), an error status is not.
    pub(super) async fn get(&self, url: &str) -> Result<serde_json::Value, ShopError> {
        let mut tries = 0;
        let r = loop {
            match self.http.get(url).basic_auth(ADMIN, Some(PASSWORD)).send().await {
                Ok(r) => break r,
                Err(e) if tries >= 10 => return Err(harness(format!("{url}: {e}"))),
                Err(_) => tries += 1,
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        let status = r.status();
        let body = r.text().await.map_err(|e| harness(format!("{url}: {e}")))?;
        if !status.is_success() {
            return Err(harness(format!("{url} answered {status}: {body}")));
        }
        serde_json::from_str(&body).map_err(|e| harness(format!("{url}: {e}")))
    }

    /// Every item of a paginated list.
    pub(super) async fn all(&self, url: &str) -> Result<Vec<serde_json::Value>, ShopError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        let sep = if url.contains('?') { '&' } else { '?' };
        loop {
            let page_url = match &after {
                Some(a) => format!("{url}{sep}limit=1000&after={a}"),
                None => format!("{url}{sep}limit=1000"),
            };
            let page = self.get(&page_url).await?;
            out.extend(page["items"].as_array().cloned().unwrap_or_default());
            match &page["next"] {
                serde_json::Value::Number(n) => after = Some(n.to_string()),
                serde_json::Value::String(s) => after = Some(s.clone()),
                _ => return Ok(out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reconciliation_counts_lost_duplicated_extra_and_differing_entries() {
        let shop = entries(&[("t1", "a"), ("t2", "b"), ("t3", "c"), ("t4", "d")]);
        let hq = entries(&[("t1", "a"), ("t2", "b"), ("t2", "b"), ("t3", "x"), ("t9", "z")]);
        let m = Ledger::Tickets.compare(&shop, &hq);
        assert_eq!((m.lost, m.duplicated, m.extra, m.differing), (1, 1, 1, 1), "{:?}", m.details);
        // The catalog's source is HQ: what HQ has and the shop lacks is lost.
        let m = Ledger::Catalog.compare(&entries(&[("A1", "100")]), &entries(&[("A1", "100"), ("A2", "5")]));
        assert_eq!((m.lost, m.extra), (1, 0));
        let same = Ledger::Tickets.compare(&shop, &shop);
        assert_eq!(same.lost + same.duplicated + same.extra + same.differing, 0);
    }

    #[test]
    fn chain_heads_are_each_registers_last_ticket() {
        let items = vec![
            serde_json::json!({"register": "R1", "sequence": 1, "hash": "h1"}),
            serde_json::json!({"register": "R1", "sequence": 2, "hash": "h2"}),
            serde_json::json!({"register": "R2", "sequence": 1, "hash": "k1"}),
        ];
        assert_eq!(chain_heads(&items), entries(&[("R1", "2 h2"), ("R2", "1 k1")]));
    }
}
