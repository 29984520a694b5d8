//! From a profile and a list of candidates to the model's input: one fixed-length row each.
//!
//! The names, their order and [`FEATURE_VERSION`] are the feature contract. The training
//! script reads the same contract from `models/feature_contract.json` (a test keeps the two
//! equal), and trains on rows that this very code computed (`vitrine-dataset`), so the model
//! never sees features computed any other way.

use crate::affinity::AffinityTable;
use crate::event::{top_category, Product};
use crate::profile::{price_band, Profile};

/// The version of the feature contract; the model carries it in its ONNX metadata.
pub const FEATURE_VERSION: u32 = 1;

/// The contract's feature names, in input order.
pub const FEATURE_NAMES: [&str; FEATURE_COUNT] = [
    "server_rank_log",
    "server_rank_frac",
    "category_share",
    "top_category_share",
    "brand_share",
    "price_band_share",
    "price_distance",
    "viewed_recency",
    "viewed_count_log",
    "in_cart",
    "same_category_as_last",
    "same_brand_as_last",
    "history_strength_log",
];

/// How many features each candidate has.
pub const FEATURE_COUNT: usize = 13;

/// How quickly "I saw this a moment ago" fades, in ms.
const RECENCY_SCALE_MS: f64 = 30.0 * 60.0 * 1000.0;

/// A product in a widget, with the position the store's server gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The product as the page describes it.
    pub product: Product,
    /// Its 0-based position in the server's order.
    pub server_position: u32,
}

/// Index of a feature by name, for code that reads rows back (explanations, the rule).
pub(crate) mod index {
    pub const CATEGORY_SHARE: usize = 2;
    pub const TOP_CATEGORY_SHARE: usize = 3;
    pub const BRAND_SHARE: usize = 4;
    pub const PRICE_BAND_SHARE: usize = 5;
    pub const PRICE_DISTANCE: usize = 6;
    pub const VIEWED_RECENCY: usize = 7;
    pub const IN_CART: usize = 9;
    pub const SAME_CATEGORY_AS_LAST: usize = 10;
    pub const SAME_BRAND_AS_LAST: usize = 11;
}

/// Computes the feature rows of `candidates`, row-major: `candidates.len() × FEATURE_COUNT`.
///
/// Every value is finite: missing data gives zero, never NaN.
pub fn extract(profile: &Profile, candidates: &[Candidate], now_ms: f64) -> Vec<f32> {
    let now = if now_ms.is_finite() {
        now_ms.max(profile.clock_ms())
    } else {
        profile.clock_ms()
    };
    let half_life = profile.half_life_ms();
    let last = profile.recent.front();
    let mean_log_price = profile.mean_log_price(now);
    let strength = profile.strength(now).ln_1p();
    let denominator = candidates.len().saturating_sub(1).max(1) as f64;
    // A share divides by its table's total, which is the same for every candidate: summing
    // each table once per list instead of once per candidate is most of a list's cost.
    let categories = Shares::of(&profile.categories, now, half_life);
    let top_categories = Shares::of(&profile.top_categories, now, half_life);
    let brands = Shares::of(&profile.brands, now, half_life);
    let price_bands = Shares::of(&profile.price_bands, now, half_life);

    let mut rows = Vec::with_capacity(candidates.len() * FEATURE_COUNT);
    for candidate in candidates {
        let product = &candidate.product;
        let position = f64::from(candidate.server_position);
        let category = product.category.as_deref();
        let brand = product.brand.as_deref();
        let recent = profile.recent_item(&product.id);

        let category_share = category.map_or(0.0, |c| categories.share(c));
        let top_share = category.map_or(0.0, |c| top_categories.share(top_category(c)));
        let brand_share = brand.map_or(0.0, |b| brands.share(b));
        let band_share = product
            .price
            .map_or(0.0, |p| price_bands.share(&price_band(p)));
        let price_distance = match (product.price, mean_log_price) {
            (Some(price), Some(mean)) => (price.ln_1p() - mean).abs(),
            _ => 0.0,
        };
        let viewed_recency = recent.map_or(0.0, |r| {
            (-(now - r.last_seen_ms).max(0.0) / RECENCY_SCALE_MS).exp()
        });
        let viewed_count = recent.map_or(0.0, |r| f64::from(r.views).ln_1p());
        let in_cart = flag(profile.cart.iter().any(|id| id == &product.id));
        let same_category = flag(matches!((last, category),
            (Some(l), Some(c)) if l.category.as_deref() == Some(c)));
        let same_brand = flag(matches!((last, brand),
            (Some(l), Some(b)) if l.brand.as_deref() == Some(b)));

        let row = [
            position.ln_1p(),
            position / denominator,
            category_share,
            top_share,
            brand_share,
            band_share,
            price_distance,
            viewed_recency,
            viewed_count,
            in_cart,
            same_category,
            same_brand,
            strength,
        ];
        // Checked after the narrowing: a finite f64 can still overflow f32.
        rows.extend(
            row.iter()
                .map(|&v| v as f32)
                .map(|v| if v.is_finite() { v } else { 0.0 }),
        );
    }
    rows
}

/// An affinity table with its total taken once: `share` is then
/// [`AffinityTable::share`] without re-summing the table, the same arithmetic.
struct Shares<'a> {
    table: &'a AffinityTable,
    total: f64,
    now: f64,
    half_life: f64,
}

impl<'a> Shares<'a> {
    fn of(table: &'a AffinityTable, now: f64, half_life: f64) -> Self {
        let total = table.total(now, half_life);
        Shares {
            table,
            total,
            now,
            half_life,
        }
    }

    fn share(&self, label: &str) -> f64 {
        if self.total > 0.0 {
            self.table.weight(label, self.now, self.half_life) / self.total
        } else {
            0.0
        }
    }
}

fn flag(value: bool) -> f64 {
    if value {
        1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    fn product(id: &str, category: &str, brand: &str, price: f64) -> Product {
        Product {
            id: id.into(),
            category: Some(category.into()),
            brand: Some(brand.into()),
            price: Some(price),
        }
    }

    #[test]
    fn the_contract_file_matches_the_code() {
        let contract: serde_json::Value =
            serde_json::from_str(include_str!("../models/feature_contract.json")).unwrap();
        assert_eq!(contract["version"], FEATURE_VERSION);
        let names: Vec<&str> = contract["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(names, FEATURE_NAMES);
    }

    #[test]
    fn an_empty_profile_gives_only_position_features() {
        let candidates: Vec<Candidate> = (0..3)
            .map(|i| Candidate {
                product: product(&i.to_string(), "a.b", "c", 5.0),
                server_position: i,
            })
            .collect();
        let rows = extract(&Profile::default(), &candidates, 0.0);
        assert_eq!(rows.len(), 3 * FEATURE_COUNT);
        let last = &rows[2 * FEATURE_COUNT..];
        assert_eq!(last[1], 1.0, "server_rank_frac of the last item");
        assert!(last[2..].iter().all(|&v| v == 0.0), "{last:?}");
    }

    #[test]
    fn affinity_shows_in_the_features() {
        let mut profile = Profile::default();
        let phone = product("1", "electronics.smartphone", "apple", 999.0);
        profile.apply(
            &Event::ProductViewed {
                product: phone.clone(),
            },
            1000.0,
        );
        let candidates = [
            Candidate {
                product: phone,
                server_position: 0,
            },
            Candidate {
                product: product("2", "furniture.sofa", "ikea", 300.0),
                server_position: 1,
            },
        ];
        let rows = extract(&profile, &candidates, 2000.0);
        let (seen, other) = rows.split_at(FEATURE_COUNT);
        assert_eq!(seen[index::CATEGORY_SHARE], 1.0);
        assert_eq!(seen[index::BRAND_SHARE], 1.0);
        assert!(seen[index::VIEWED_RECENCY] > 0.99);
        assert_eq!(seen[index::SAME_CATEGORY_AS_LAST], 1.0);
        assert_eq!(other[index::CATEGORY_SHARE], 0.0);
        assert!(other[index::PRICE_DISTANCE] > 1.0);
    }

    #[test]
    fn never_emits_nan() {
        let mut odd = product("x", "a", "b", f64::MAX);
        odd.price = Some(f64::MAX);
        let rows = extract(
            &Profile::default(),
            &[Candidate {
                product: odd,
                server_position: u32::MAX,
            }],
            f64::NAN,
        );
        assert!(rows.iter().all(|v| v.is_finite()), "{rows:?}");
    }
}
