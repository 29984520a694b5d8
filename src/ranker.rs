//! From scores to an order: blend with the server's order, keep pinned slots, cap brands,
//! explain each move.
//!
//! The server's order encodes what the store knows (stock, margin, text match, popularity);
//! the model encodes what this shopper seems to want. Neither scale is comparable to the
//! other, so both are standardized within the list before they are mixed. The store keeps
//! the last word twice over: pinned (sponsored) items never move, and a brand cap keeps one
//! brand from filling the top of a list.

use std::fmt::Write as _;

use crate::features::{index, FEATURE_COUNT};

/// How the final order is made: the re-ranking policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Weight of the personal score against the server's order, in `[0, 1]`: 0 keeps the
    /// server order, 1 follows the model alone.
    pub personal_weight: f64,
    /// A cap on how many items of one brand the top of the list may hold; none by default.
    pub diversity: Option<BrandCap>,
}

/// At most `max_per_brand` items of one brand among the first `depth` positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrandCap {
    /// Items of one brand allowed in the top `depth`; at least 1.
    pub max_per_brand: usize,
    /// How many leading positions the cap covers.
    pub depth: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            personal_weight: 0.7,
            diversity: None,
        }
    }
}

/// What the policy needs to know of an item besides its score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Slot<'a> {
    /// The item's brand, for the brand cap; items without one are never capped.
    pub brand: Option<&'a str>,
    /// A pinned (sponsored) item stays at its server position.
    pub pinned: bool,
}

/// Why an item ended up where it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// Index of the item in the input (= its server position).
    pub server_position: u32,
    /// Its position after re-ranking.
    pub position: u32,
    /// What placed it: `"pinned"`, `"brand_diversity"` when the brand cap pushed it down,
    /// else the profile signal that speaks most for it, or `"server_order"` when none does.
    pub signal: &'static str,
}

impl Explanation {
    /// `explanations` as the JSON array the page's `rerank()` returns. Written straight into
    /// one string: a list of 2000 items would otherwise build 10,000 small allocations of a
    /// tree. The signal is one of this module's own names, which need no escaping.
    pub fn list_json(explanations: &[Explanation]) -> String {
        let mut json = String::with_capacity(64 * explanations.len() + 2);
        json.push('[');
        for (i, e) in explanations.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            let _ = write!(
                json,
                r#"{{"server_position":{},"position":{},"signal":"{}"}}"#,
                e.server_position, e.position, e.signal
            );
        }
        json.push(']');
        json
    }
}

/// A re-ranked list.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    /// Input indices in their new order.
    pub order: Vec<usize>,
    /// One explanation per input item, in input order.
    pub explanations: Vec<Explanation>,
}

/// The hand-written affinity rule: a score from the feature row alone, used when no model is
/// loaded and as the baseline the model must beat.
pub fn rule_score(row: &[f32]) -> f32 {
    2.0 * row[index::CATEGORY_SHARE]
        + row[index::TOP_CATEGORY_SHARE]
        + row[index::BRAND_SHARE]
        + 0.5 * row[index::PRICE_BAND_SHARE]
        - 0.2 * row[index::PRICE_DISTANCE].min(5.0)
        + 0.5 * row[index::VIEWED_RECENCY]
        + 0.5 * row[index::SAME_CATEGORY_AS_LAST]
        + 0.25 * row[index::SAME_BRAND_AS_LAST]
        - row[index::IN_CART]
}

/// Scores every row of `features` with [`rule_score`].
pub fn rule_scores(features: &[f32]) -> Vec<f32> {
    features
        .chunks_exact(FEATURE_COUNT)
        .map(rule_score)
        .collect()
}

/// Orders items given in server order, from their personal `scores`, feature rows and
/// `slots` (brand and pinning; missing slots count as unbranded and unpinned).
///
/// Non-finite scores count as "no opinion" and leave that item at its server prior. Equal
/// blended scores keep the server order, so identical input always gives identical output.
pub fn rank(scores: &[f32], features: &[f32], slots: &[Slot<'_>], policy: &Policy) -> Ranking {
    let n = scores.len();
    let slot = |i: usize| slots.get(i).copied().unwrap_or_default();
    let weight = if policy.personal_weight.is_finite() {
        policy.personal_weight.clamp(0.0, 1.0)
    } else {
        Policy::default().personal_weight
    };
    let personal = standardize(&scores.iter().map(|&s| f64::from(s)).collect::<Vec<_>>());
    let prior = standardize(&(0..n).map(|i| -(i as f64).ln_1p()).collect::<Vec<_>>());
    let blended: Vec<f64> = (0..n)
        .map(|i| weight * personal[i] + (1.0 - weight) * prior[i])
        .collect();

    // The free items queue up by blended score; pinned ones wait at their own index.
    let mut free: Vec<usize> = (0..n).filter(|&i| !slot(i).pinned).collect();
    crate::order::sort_indices(&mut free, &|a, b| {
        blended[b].total_cmp(&blended[a]).then(a.cmp(&b))
    });
    // The queue's head is its last element: nearly every pick is the head, and taking the
    // last of a `Vec` is O(1) (a deque would do as well, with more code in the wasm).
    free.reverse();
    let mut queue = free;

    let mut capped = vec![false; n];
    let mut brand_counts: Vec<(&str, usize)> = Vec::new();
    let mut order = Vec::with_capacity(n);
    for position in 0..n {
        let chosen = if slot(position).pinned {
            position
        } else {
            let pick = match policy.diversity {
                Some(cap) if position < cap.depth => {
                    let allowed = |&&i: &&usize| {
                        slot(i)
                            .brand
                            .is_none_or(|b| count_of(&brand_counts, b) < cap.max_per_brand)
                    };
                    // When every remaining item is over the cap, the cap yields: the list
                    // must still be filled.
                    queue.iter().rev().position(|i| allowed(&i)).unwrap_or(0)
                }
                _ => 0,
            };
            // `pick` counts from the head, the end of `queue`.
            let at = queue
                .len()
                .checked_sub(pick + 1)
                .expect("invariant: one free item is queued per unpinned position");
            for &skipped in &queue[at + 1..] {
                capped[skipped] = true;
            }
            queue.remove(at)
        };
        if let (Some(cap), Some(brand)) = (policy.diversity, slot(chosen).brand) {
            if position < cap.depth {
                bump(&mut brand_counts, brand);
            }
        }
        order.push(chosen);
    }

    let mut explanations: Vec<Explanation> = (0..n)
        .map(|i| Explanation {
            server_position: i as u32,
            position: 0,
            signal: if slot(i).pinned {
                "pinned"
            } else if capped[i] {
                "brand_diversity"
            } else {
                strongest_signal(features.chunks_exact(FEATURE_COUNT).nth(i))
            },
        })
        .collect();
    for (position, &i) in order.iter().enumerate() {
        explanations[i].position = position as u32;
    }
    Ranking {
        order,
        explanations,
    }
}

fn count_of(counts: &[(&str, usize)], brand: &str) -> usize {
    counts
        .iter()
        .find(|(b, _)| *b == brand)
        .map_or(0, |(_, c)| *c)
}

fn bump<'a>(counts: &mut Vec<(&'a str, usize)>, brand: &'a str) {
    match counts.iter_mut().find(|(b, _)| *b == brand) {
        Some((_, c)) => *c += 1,
        None => counts.push((brand, 1)),
    }
}

/// The server order, unchanged: what the page shows when anything fails.
pub fn server_order(n: usize) -> Vec<usize> {
    (0..n).collect()
}

/// Z-scores within the list; non-finite inputs and a flat list give zeros.
fn standardize(values: &[f64]) -> Vec<f64> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.len() < 2 {
        return vec![0.0; values.len()];
    }
    let mean = finite.iter().sum::<f64>() / finite.len() as f64;
    let variance = finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / finite.len() as f64;
    let sd = variance.sqrt();
    values
        .iter()
        .map(|&v| {
            if v.is_finite() && sd > 1e-12 {
                (v - mean) / sd
            } else {
                0.0
            }
        })
        .collect()
}

fn strongest_signal(row: Option<&[f32]>) -> &'static str {
    let Some(row) = row else {
        return "server_order";
    };
    let signals = [
        ("in_cart", row[index::IN_CART]),
        ("recently_viewed", row[index::VIEWED_RECENCY]),
        ("category", row[index::CATEGORY_SHARE]),
        ("brand", row[index::BRAND_SHARE]),
        ("top_category", row[index::TOP_CATEGORY_SHARE] * 0.8),
        ("price_band", row[index::PRICE_BAND_SHARE] * 0.5),
    ];
    signals
        .iter()
        .filter(|(_, v)| *v > 0.05)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or("server_order", |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explanations_are_written_as_a_json_array() {
        let explanations = [
            Explanation {
                server_position: 0,
                position: 1,
                signal: "brand",
            },
            Explanation {
                server_position: 1,
                position: 0,
                signal: "server_order",
            },
        ];
        let json = crate::json::parse(&Explanation::list_json(&explanations)).unwrap();
        let items = json.as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].get("position").and_then(|v| v.as_u64()), Some(1));
        assert_eq!(
            items[1].get("signal").and_then(|v| v.as_str()),
            Some("server_order")
        );
        assert_eq!(Explanation::list_json(&[]), "[]");
    }

    fn rows(n: usize) -> Vec<f32> {
        vec![0.0; n * FEATURE_COUNT]
    }

    #[test]
    fn flat_scores_keep_server_order() {
        let r = rank(&[0.5; 5], &rows(5), &[], &Policy::default());
        assert_eq!(r.order, server_order(5));
    }

    #[test]
    fn a_strong_score_lifts_an_item() {
        let mut features = rows(4);
        features[3 * FEATURE_COUNT + index::CATEGORY_SHARE] = 0.9;
        let r = rank(&[0.0, 0.0, 0.0, 5.0], &features, &[], &Policy::default());
        assert_eq!(r.order[0], 3);
        assert_eq!(r.explanations[3].position, 0);
        assert_eq!(r.explanations[3].signal, "category");
        assert_eq!(r.explanations[0].signal, "server_order");
    }

    #[test]
    fn weight_zero_is_the_server_order() {
        let policy = Policy {
            personal_weight: 0.0,
            ..Policy::default()
        };
        assert_eq!(
            rank(&[0.0, 1.0, 9.0], &rows(3), &[], &policy).order,
            vec![0, 1, 2]
        );
    }

    #[test]
    fn nan_and_inf_are_no_opinion() {
        let r = rank(
            &[f32::NAN, f32::INFINITY, 1.0, 0.0],
            &rows(4),
            &[],
            &Policy::default(),
        );
        assert_eq!(r.order.len(), 4);
        let mut sorted = r.order.clone();
        sorted.sort();
        assert_eq!(sorted, vec![0, 1, 2, 3]);
        let at = |i: usize| r.order.iter().position(|&j| j == i).unwrap();
        assert!(at(2) < at(3), "finite scores still count");
    }

    fn branded<'a>(brands: &[&'a str]) -> Vec<Slot<'a>> {
        brands
            .iter()
            .map(|&b| Slot {
                brand: Some(b),
                pinned: false,
            })
            .collect()
    }

    fn follow_the_model() -> Policy {
        Policy {
            personal_weight: 1.0,
            ..Policy::default()
        }
    }

    #[test]
    fn pinned_items_keep_their_slot() {
        let mut slots = branded(&["a", "b", "c", "d", "e"]);
        slots[1].pinned = true;
        slots[4].pinned = true;
        let scores = [0.0, 9.0, 1.0, 2.0, 8.0];
        let r = rank(&scores, &rows(5), &slots, &follow_the_model());
        assert_eq!(r.order, vec![3, 1, 2, 0, 4]);
        assert_eq!(r.explanations[1].signal, "pinned");
        assert_eq!(r.explanations[4].position, 4);
    }

    #[test]
    fn the_brand_cap_spreads_the_top() {
        let slots = branded(&["x", "x", "x", "y", "z", "x"]);
        let scores = [6.0, 5.0, 4.0, 3.0, 2.0, 1.0];
        let policy = Policy {
            diversity: Some(BrandCap {
                max_per_brand: 2,
                depth: 4,
            }),
            ..follow_the_model()
        };
        let r = rank(&scores, &rows(6), &slots, &policy);
        assert_eq!(r.order, vec![0, 1, 3, 4, 2, 5]);
        assert_eq!(r.explanations[2].signal, "brand_diversity");
        assert_eq!(
            r.explanations[5].signal, "server_order",
            "below the cap's depth"
        );
    }

    #[test]
    fn the_cap_yields_when_one_brand_is_all_there_is() {
        let slots = branded(&["x", "x", "x"]);
        let policy = Policy {
            diversity: Some(BrandCap {
                max_per_brand: 1,
                depth: 3,
            }),
            ..follow_the_model()
        };
        let r = rank(&[1.0, 3.0, 2.0], &rows(3), &slots, &policy);
        assert_eq!(r.order, vec![1, 2, 0]);
    }

    #[test]
    fn pinned_brands_count_against_the_cap() {
        let mut slots = branded(&["x", "x", "y"]);
        slots[0].pinned = true;
        let policy = Policy {
            diversity: Some(BrandCap {
                max_per_brand: 1,
                depth: 2,
            }),
            ..follow_the_model()
        };
        let r = rank(&[0.0, 5.0, 1.0], &rows(3), &slots, &policy);
        assert_eq!(r.order, vec![0, 2, 1]);
    }

    #[test]
    fn identical_input_gives_identical_output() {
        let slots = branded(&["a", "b", "a", "c", "a", "b", "d", "a"]);
        let scores = [0.3, 0.3, f32::NAN, 0.9, 0.9, -1.0, 0.3, 0.0];
        let policy = Policy {
            diversity: Some(BrandCap {
                max_per_brand: 1,
                depth: 5,
            }),
            ..Policy::default()
        };
        let first = rank(&scores, &rows(8), &slots, &policy);
        for _ in 0..3 {
            assert_eq!(rank(&scores, &rows(8), &slots, &policy), first);
        }
        let mut sorted = first.order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn rule_prefers_affinity() {
        let mut features = rows(2);
        features[FEATURE_COUNT + index::BRAND_SHARE] = 1.0;
        let scores = rule_scores(&features);
        assert!(scores[1] > scores[0]);
    }
}
