//! From scores to an order: blend with the server's order, explain each move.
//!
//! The server's order encodes what the store knows (stock, margin, text match, popularity);
//! the model encodes what this shopper seems to want. Neither scale is comparable to the
//! other, so both are standardized within the list before they are mixed.

use serde::Serialize;

use crate::features::{index, FEATURE_COUNT};

/// How the final order is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlendConfig {
    /// Weight of the personal score against the server's order, in `[0, 1]`: 0 keeps the
    /// server order, 1 follows the model alone.
    pub personal_weight: f64,
}

impl Default for BlendConfig {
    fn default() -> Self {
        BlendConfig {
            personal_weight: 0.7,
        }
    }
}

/// Why an item ended up where it did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// Index of the item in the input (= its server position).
    pub server_position: u32,
    /// Its position after re-ranking.
    pub position: u32,
    /// The profile signal that speaks most for this item, or `"server_order"` when none does.
    pub signal: &'static str,
}

/// A re-ranked list.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// Orders items given in server order, from their personal `scores` and feature rows.
///
/// Non-finite scores count as "no opinion" and leave that item at its server prior. Equal
/// blended scores keep the server order, so identical input always gives identical output.
pub fn rank(scores: &[f32], features: &[f32], config: BlendConfig) -> Ranking {
    let n = scores.len();
    let weight = if config.personal_weight.is_finite() {
        config.personal_weight.clamp(0.0, 1.0)
    } else {
        BlendConfig::default().personal_weight
    };
    let personal = standardize(&scores.iter().map(|&s| f64::from(s)).collect::<Vec<_>>());
    let prior = standardize(&(0..n).map(|i| -(i as f64).ln_1p()).collect::<Vec<_>>());
    let blended: Vec<f64> = (0..n)
        .map(|i| weight * personal[i] + (1.0 - weight) * prior[i])
        .collect();

    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| blended[b].total_cmp(&blended[a]).then(a.cmp(&b)));

    let mut explanations: Vec<Explanation> = (0..n)
        .map(|i| Explanation {
            server_position: i as u32,
            position: 0,
            signal: strongest_signal(features.chunks_exact(FEATURE_COUNT).nth(i)),
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

    fn rows(n: usize) -> Vec<f32> {
        vec![0.0; n * FEATURE_COUNT]
    }

    #[test]
    fn flat_scores_keep_server_order() {
        let r = rank(&[0.5; 5], &rows(5), BlendConfig::default());
        assert_eq!(r.order, server_order(5));
    }

    #[test]
    fn a_strong_score_lifts_an_item() {
        let mut features = rows(4);
        features[3 * FEATURE_COUNT + index::CATEGORY_SHARE] = 0.9;
        let r = rank(&[0.0, 0.0, 0.0, 5.0], &features, BlendConfig::default());
        assert_eq!(r.order[0], 3);
        assert_eq!(r.explanations[3].position, 0);
        assert_eq!(r.explanations[3].signal, "category");
        assert_eq!(r.explanations[0].signal, "server_order");
    }

    #[test]
    fn weight_zero_is_the_server_order() {
        let config = BlendConfig {
            personal_weight: 0.0,
        };
        assert_eq!(
            rank(&[0.0, 1.0, 9.0], &rows(3), config).order,
            vec![0, 1, 2]
        );
    }

    #[test]
    fn nan_and_inf_are_no_opinion() {
        let r = rank(
            &[f32::NAN, f32::INFINITY, 1.0, 0.0],
            &rows(4),
            BlendConfig::default(),
        );
        assert_eq!(r.order.len(), 4);
        let mut sorted = r.order.clone();
        sorted.sort();
        assert_eq!(sorted, vec![0, 1, 2, 3]);
        let at = |i: usize| r.order.iter().position(|&j| j == i).unwrap();
        assert!(at(2) < at(3), "finite scores still count");
    }

    #[test]
    fn rule_prefers_affinity() {
        let mut features = rows(2);
        features[FEATURE_COUNT + index::BRAND_SHARE] = 1.0;
        let scores = rule_scores(&features);
        assert!(scores[1] > scores[0]);
    }
}
