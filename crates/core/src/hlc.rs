//! A hybrid logical clock: the stamp that decides which edit of a customer field wins.
//!
//! A stamp is `(physical milliseconds, counter, node)`. A node (a shop code, or `HQ`)
//! stamps a local edit with [`Hlc::tick`] and takes in every stamp it receives with
//! [`Hlc::observe`], so a stamp made after seeing another is always greater than it, even
//! when the clocks of the two machines disagree; the node breaks exact ties, so two
//! different edits never compare equal. Stamps travel and are stored as fixed-width text
//! ([`Hlc::encode`]) whose byte order is the stamps' order: databases compare them with
//! plain `>` and the field-by-field merge is one SQL statement.

use std::cmp::Ordering;
use std::fmt;

/// A hybrid logical clock stamp.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (at least; it runs ahead of a slow wall clock).
    pub millis: u64,
    /// Orders stamps made within the same millisecond.
    pub counter: u32,
    /// Who made it: breaks ties between nodes.
    pub node: String,
}

/// The stamp of a field never written (below every real stamp).
pub const ZERO: &str = "";

const MILLIS_WIDTH: usize = 15;
const COUNTER_WIDTH: usize = 6;
const MAX_COUNTER: u32 = 999_999;

impl Hlc {
    pub fn new(millis: u64, counter: u32, node: &str) -> Hlc {
        Hlc { millis, counter, node: node.to_string() }
    }

    /// The stamp of a new local edit at wall time `now_millis`, after `last` (the greatest
    /// stamp this node made or saw).
    pub fn tick(last: Option<&Hlc>, now_millis: u64, node: &str) -> Hlc {
        match last {
            Some(l) if l.millis >= now_millis => Hlc::bump(l.millis, l.counter, node),
            _ => Hlc::new(now_millis, 0, node),
        }
    }

    /// The greatest stamp this node knows after receiving `remote` at wall time
    /// `now_millis`: its next [`Hlc::tick`] will be above both.
    pub fn observe(last: Option<&Hlc>, remote: &Hlc, now_millis: u64, node: &str) -> Hlc {
        let mut best = match last {
            Some(l) if l > remote => l.clone(),
            _ => remote.clone(),
        };
        if now_millis > best.millis {
            best = Hlc::new(now_millis, 0, node);
        }
        best.node = node.to_string();
        best
    }

    fn bump(millis: u64, counter: u32, node: &str) -> Hlc {
        if counter >= MAX_COUNTER {
            // A million edits in one millisecond: borrow the next millisecond.
            Hlc::new(millis + 1, 0, node)
        } else {
            Hlc::new(millis, counter + 1, node)
        }
    }

    /// Fixed-width text whose byte order is the stamps' order.
    pub fn encode(&self) -> String {
        format!("{:0mw$}.{:0cw$}.{}", self.millis, self.counter, self.node, mw = MILLIS_WIDTH, cw = COUNTER_WIDTH)
    }

    pub fn decode(text: &str) -> Option<Hlc> {
        let mut parts = text.splitn(3, '.');
        let millis = parts.next().filter(|p| p.len() == MILLIS_WIDTH)?.parse().ok()?;
        let counter = parts.next().filter(|p| p.len() == COUNTER_WIDTH)?.parse().ok()?;
        let node = parts.next()?;
        if node.is_empty() || node.len() > 32 {
            return None;
        }
        Some(Hlc::new(millis, counter, node))
    }
}

impl Ord for Hlc {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.millis, self.counter, self.node.as_str()).cmp(&(other.millis, other.counter, other.node.as_str()))
    }
}

impl PartialOrd for Hlc {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

/// The merge rule of one field: the value with the greater stamp wins; on equal stamps
/// (the same edit seen twice) the value held stays.
pub fn merge_field<'a, T>(held: (&'a T, &'a str), incoming: (&'a T, &'a str)) -> (&'a T, &'a str) {
    if incoming.1 > held.1 { incoming } else { held }
}

/// Now, in milliseconds since the Unix epoch.
pub fn now_millis() -> u64 {
    jiff::Timestamp::now().as_millisecond().max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_tick_after_a_later_remote_stamp_is_above_it() {
        // HQ's clock is 10 s ahead; the shop edits after seeing HQ's edit.
        let remote = Hlc::new(1_000_010_000, 3, "HQ");
        let seen = Hlc::observe(None, &remote, 1_000_000_000, "LYON1");
        let mine = Hlc::tick(Some(&seen), 1_000_000_001, "LYON1");
        assert!(mine > remote, "{mine} vs {remote}");
        assert_eq!(mine.millis, remote.millis);
    }

    #[test]
    fn encoding_round_trips_and_refuses_garbage() {
        let h = Hlc::new(1_764_000_000_123, 42, "PARIS-2");
        assert_eq!(h.encode(), "001764000000123.000042.PARIS-2");
        assert_eq!(Hlc::decode(&h.encode()), Some(h));
        assert_eq!(Hlc::decode("12.3.X"), None);
        assert_eq!(Hlc::decode("001764000000123.000042."), None);
        assert!(ZERO < Hlc::new(0, 0, "A").encode().as_str());
    }

    #[test]
    fn a_counter_overflow_moves_to_the_next_millisecond() {
        let last = Hlc::new(5, MAX_COUNTER, "A");
        assert_eq!(Hlc::tick(Some(&last), 5, "A"), Hlc::new(6, 0, "A"));
    }

    #[test]
    fn the_greater_stamp_wins_and_a_tie_keeps_the_held_value() {
        assert_eq!(merge_field((&"old", "b"), (&"new", "c")).0, &"new");
        assert_eq!(merge_field((&"old", "c"), (&"new", "b")).0, &"old");
        assert_eq!(merge_field((&"old", "c"), (&"new", "c")).0, &"old");
    }

    fn stamp() -> impl Strategy<Value = Hlc> {
        (0u64..1u64 << 44, 0u32..=MAX_COUNTER, "[A-Z]{1,6}").prop_map(|(m, c, n)| Hlc::new(m, c, &n))
    }

    proptest! {
        #[test]
        fn text_order_is_stamp_order(a in stamp(), b in stamp()) {
            prop_assert_eq!(a.cmp(&b), a.encode().cmp(&b.encode()));
        }

        #[test]
        fn ticks_always_grow(start in stamp(), walls in proptest::collection::vec(0u64..1u64 << 44, 1..40)) {
            let mut last = start;
            for now in walls {
                let next = Hlc::tick(Some(&last), now, &last.node.clone());
                prop_assert!(next > last);
                prop_assert!(next.millis >= now);
                last = next;
            }
        }

        #[test]
        fn merging_is_order_independent(edits in proptest::collection::vec((stamp(), 0u8..10), 1..20)) {
            // Applying the same edits in any order gives the same value: last writer wins.
            // (Two different edits never share a stamp: the node breaks ties.)
            let mut seen = std::collections::HashSet::new();
            let edits: Vec<(Hlc, u8)> = edits.into_iter().filter(|(h, _)| seen.insert(h.clone())).collect();
            let fold = |list: &[(Hlc, u8)]| {
                let mut held: (u8, String) = (255, String::new());
                for (h, v) in list {
                    let text = h.encode();
                    if text > held.1 { held = (*v, text); }
                }
                held
            };
            let forward = fold(&edits);
            let mut reversed = edits.clone();
            reversed.reverse();
            prop_assert_eq!(forward, fold(&reversed));
        }
    }
}
