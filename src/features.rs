//! From a profile and a list of candidates to the model's input: one fixed-length row each.
//!
//! The names, their order and [`FEATURE_VERSION`] are the feature contract. The training
//! script reads the same contract from `models/feature_contract.json` (a test keeps the two
//! equal), and trains on rows that this very code computed (`vitrine-dataset`), so the model
//! never sees features computed any other way.

use crate::affinity::AffinityTable;
use crate::event::{top_category, Product};
use crate::profile::{price_band, Profile, RecentItem};

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
    let last = profile.recent.first();
    let mean_log_price = profile.mean_log_price(now);
    let strength = profile.strength(now).ln_1p();
    let denominator = candidates.len().saturating_sub(1).max(1) as f64;
    // What does not depend on the candidate is made once per list: the shares of each
    // table (decayed and divided by their total) and the lookups of recent items and cart.
    let categories = shares(&profile.categories, now, half_life);
    let top_categories = shares(&profile.top_categories, now, half_life);
    let brands = shares(&profile.brands, now, half_life);
    let price_bands = shares(&profile.price_bands, now, half_life);
    let by_id = known_items(profile);

    let mut rows = vec![0.0; candidates.len() * FEATURE_COUNT];
    for (candidate, out) in candidates.iter().zip(rows.chunks_exact_mut(FEATURE_COUNT)) {
        let product = &candidate.product;
        let position = f64::from(candidate.server_position);
        let category = product.category.as_deref();
        let brand = product.brand.as_deref();
        let known = by_id.get(&product.id);
        let recent = known.and_then(|k| k.recent);
        let share = |table: &ByLabel<'_, f64>, label: Option<&str>| {
            label.and_then(|l| table.get(l)).copied().unwrap_or(0.0)
        };

        let category_share = share(&categories, category);
        let top_share = share(&top_categories, category.map(top_category));
        let brand_share = share(&brands, brand);
        let band_share = share(&price_bands, product.price.map(price_band));
        let price_distance = match (product.price, mean_log_price) {
            (Some(price), Some(mean)) => (price.ln_1p() - mean).abs(),
            _ => 0.0,
        };
        let viewed_recency = recent.map_or(0.0, |r| {
            (-(now - r.last_seen_ms).max(0.0) / RECENCY_SCALE_MS).exp()
        });
        let viewed_count = recent.map_or(0.0, |r| f64::from(r.views).ln_1p());
        let in_cart = flag(known.is_some_and(|k| k.in_cart));
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
        for (slot, value) in out.iter_mut().zip(row) {
            // Checked after the narrowing: a finite f64 can still overflow f32.
            let value = value as f32;
            *slot = if value.is_finite() { value } else { 0.0 };
        }
    }
    rows
}

/// What the profile knows of one product id: the recent item, and whether it is in the cart.
#[derive(Clone, Copy)]
struct Known<'a> {
    recent: Option<&'a RecentItem>,
    in_cart: bool,
}

/// The recent items and the cart by product id, in one table: one lookup per candidate
/// answers both. Of two recent entries with one id, the first (the latest) counts.
fn known_items(profile: &Profile) -> ByLabel<'_, Known<'_>> {
    let mut known = ByLabel::with_room_for(profile.recent.len() + profile.cart.len());
    for item in &profile.recent {
        known.insert_or_update(
            &item.id,
            Known {
                recent: Some(item),
                in_cart: false,
            },
            |_| {},
        );
    }
    for id in &profile.cart {
        known.insert_or_update(
            id,
            Known {
                recent: None,
                in_cart: true,
            },
            |k| k.in_cart = true,
        );
    }
    known
}

/// An affinity table's shares as of `now`: each label's weight decayed and divided by the
/// total once per list, rather than once per candidate (the exponentials were most of a
/// list's cost). The same arithmetic as [`AffinityTable::share`].
fn shares(table: &AffinityTable, now: f64, half_life: f64) -> ByLabel<'_, f64> {
    let mut shares: Vec<(&str, f64)> = table.weights(now, half_life).collect();
    let total: f64 = shares.iter().map(|&(_, weight)| weight).sum();
    for (_, share) in &mut shares {
        *share = if total > 0.0 { *share / total } else { 0.0 };
    }
    ByLabel::new(shares)
}

/// Values by label, hashed once per list so that each candidate's lookup is one short hash
/// instead of a scan of the recent items or the cart, or a search among similar category
/// paths (comparing `electronics.audio` with `electronics.smartphone` byte by byte was most of
/// a candidate's cost in the browser).
///
/// Open addressing with linear probing over a table at most half full, built once and only
/// read: `HashMap` did the same with 15 KB of the start-up wasm for tables of a few dozen.
struct ByLabel<'a, T> {
    slots: Vec<Option<(&'a str, T)>>,
}

impl<'a, T> ByLabel<'a, T> {
    fn new(entries: Vec<(&'a str, T)>) -> Self {
        let mut table = ByLabel::with_room_for(entries.len());
        for (label, value) in entries {
            // Of two equal labels the one listed first stays, as a scan finds.
            table.insert_or_update(label, value, |_| {});
        }
        table
    }

    /// An empty table that `labels` distinct labels leave at most half full.
    fn with_room_for(labels: usize) -> Self {
        let capacity = (2 * labels).next_power_of_two();
        ByLabel {
            slots: (0..capacity).map(|_| None).collect(),
        }
    }

    /// Puts `value` under `label`, or, when the label is already there, calls `update` on
    /// the value it holds. Only as many labels as the table has room for may be inserted.
    fn insert_or_update(&mut self, label: &'a str, value: T, update: impl FnOnce(&mut T)) {
        let mask = self.slots.len() - 1;
        let mut at = label_hash(label) & mask;
        loop {
            match &mut self.slots[at] {
                None => {
                    self.slots[at] = Some((label, value));
                    return;
                }
                Some((held, held_value)) if *held == label => return update(held_value),
                Some(_) => at = (at + 1) & mask,
            }
        }
    }

    fn get(&self, label: &str) -> Option<&T> {
        let mask = self.slots.len() - 1;
        let mut at = label_hash(label) & mask;
        // The table is at most half full, so an empty slot ends every probe.
        while let Some((held, value)) = &self.slots[at] {
            if *held == label {
                return Some(value);
            }
            at = (at + 1) & mask;
        }
        None
    }
}

/// A fast, unkeyed hash for labels the shopper's own page supplied (the multiply-rotate
/// scheme of rustc's FxHash, eight bytes at a time), its well-mixed high half as a slot
/// index. No denial-of-service concern: the tables hold at most a few dozen labels and live
/// for one ranking.
fn label_hash(label: &str) -> usize {
    let add =
        |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    let mut words = label.as_bytes().chunks_exact(8);
    let mut hash = 0;
    for word in &mut words {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(word);
        hash = add(hash, u64::from_le_bytes(bytes));
    }
    for &byte in words.remainder() {
        hash = add(hash, u64::from(byte));
    }
    // Nothing but the length distinguishes labels that differ only in trailing NULs.
    hash = add(hash, label.len() as u64);
    (hash >> 32) as usize
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

    #[test]
    fn by_label_finds_each_label_and_keeps_the_first_of_equals() {
        let labels: Vec<String> = (0..100).map(|i| format!("electronics.{i}")).collect();
        let mut entries: Vec<(&str, usize)> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i))
            .collect();
        entries.push(("electronics.7", 999));
        entries.push(("", 1000));
        let table = ByLabel::new(entries);
        for (i, label) in labels.iter().enumerate() {
            assert_eq!(table.get(label), Some(&i), "{label}");
        }
        assert_eq!(table.get(""), Some(&1000));
        assert_eq!(table.get("electronics.100"), None);
        assert_eq!(table.get("electronics.7\0"), None);
        assert_eq!(ByLabel::<u8>::new(Vec::new()).get("x"), None);
    }

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
    fn the_cart_and_the_recent_items_are_read_together() {
        let mut profile = Profile::default();
        let viewed_and_carted = product("1", "a.b", "c", 5.0);
        let carted = product("2", "a.b", "c", 5.0);
        let viewed = product("3", "a.b", "c", 5.0);
        let events = [
            Event::ProductViewed {
                product: viewed_and_carted.clone(),
            },
            Event::AddedToCart {
                product: viewed_and_carted.clone(),
                quantity: 1,
            },
            Event::AddedToCart {
                product: carted.clone(),
                quantity: 1,
            },
            Event::ProductViewed {
                product: viewed.clone(),
            },
        ];
        for (i, event) in events.iter().enumerate() {
            profile.apply(event, 1000.0 * i as f64);
        }
        let in_recent = |id: &str| profile.recent.iter().any(|r| r.id == id);
        let candidates: Vec<Candidate> = [
            viewed_and_carted,
            carted,
            viewed,
            product("4", "a", "c", 1.0),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, product)| Candidate {
            product,
            server_position: i as u32,
        })
        .collect();
        let rows = extract(&profile, &candidates, 5000.0);
        let feature = |item: usize, at: usize| rows[item * FEATURE_COUNT + at];
        assert_eq!(feature(0, index::IN_CART), 1.0);
        assert!(feature(0, index::VIEWED_RECENCY) > 0.9);
        assert_eq!(feature(1, index::IN_CART), 1.0);
        assert_eq!(feature(1, index::VIEWED_RECENCY) > 0.0, in_recent("2"));
        assert_eq!(feature(2, index::IN_CART), 0.0);
        assert!(feature(2, index::VIEWED_RECENCY) > 0.9);
        assert_eq!(feature(3, index::IN_CART), 0.0);
        assert_eq!(feature(3, index::VIEWED_RECENCY), 0.0);
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
