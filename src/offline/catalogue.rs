//! The training catalogue: every product seen in the training sessions, with its popularity.
//!
//! It plays the store's server in the replay: candidates are drawn from it and ordered by
//! its popularity. It is built from training sessions only, so nothing about the test period
//! leaks into the candidates or the server order.
//!
//! A training session replayed against it must not see its own interactions in the
//! popularity: a test session never does, and a product the shopper viewed five times would
//! otherwise rise in the server order precisely because it is the one they will view again.
//! [`LeftOut`] holds the counts to subtract.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use crate::event::Product;
use crate::offline::rees46::ShopperSession;
use crate::offline::rng::SplitMix64;

/// One product of the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueItem {
    /// The product as last seen in training.
    pub product: Product,
    /// Its numeric REES46 `category_id`, if the rows had one.
    pub category_id: Option<String>,
    /// How many engagements (views, carts, purchases) it had in training.
    pub popularity: u32,
}

/// The products of the training sessions, sorted by product id.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    items: Vec<CatalogueItem>,
    by_id: HashMap<String, usize>,
    by_category: HashMap<String, Vec<usize>>,
    /// `cumulative[i]` = total popularity of items `0..=i`, for weighted draws.
    cumulative: Vec<u64>,
}

/// The engagements of one replayed session, left out of the catalogue's popularity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeftOut {
    counts: HashMap<usize, u32>,
}

impl LeftOut {
    /// Nothing left out: for a session the catalogue was not built from.
    pub fn nothing() -> Self {
        LeftOut::default()
    }

    fn count(&self, index: usize) -> u32 {
        self.counts.get(&index).copied().unwrap_or(0)
    }
}

impl Catalogue {
    /// Builds the catalogue from `sessions` (the training split).
    ///
    /// Cost: one pass over the interactions, then a sort of the distinct products.
    pub fn from_sessions<'a>(sessions: impl IntoIterator<Item = &'a ShopperSession>) -> Self {
        // A BTreeMap keeps the build independent of hashing order.
        let mut seen: BTreeMap<&str, CatalogueItem> = BTreeMap::new();
        for interaction in sessions.into_iter().flat_map(|s| &s.interactions) {
            if !interaction.action.is_engagement() {
                continue;
            }
            let product = interaction.product();
            let item = seen
                .entry(product.id.as_str())
                .or_insert_with(|| CatalogueItem {
                    product: product.clone(),
                    category_id: None,
                    popularity: 0,
                });
            item.product = product.clone();
            if interaction.category_id.is_some() {
                item.category_id.clone_from(&interaction.category_id);
            }
            item.popularity = item.popularity.saturating_add(1);
        }

        let items: Vec<CatalogueItem> = seen.into_values().collect();
        let mut catalogue = Catalogue {
            items,
            ..Catalogue::default()
        };
        let mut total = 0u64;
        for (i, item) in catalogue.items.iter().enumerate() {
            catalogue.by_id.insert(item.product.id.clone(), i);
            if let Some(category) = &item.category_id {
                catalogue
                    .by_category
                    .entry(category.clone())
                    .or_default()
                    .push(i);
            }
            total += u64::from(item.popularity);
            catalogue.cumulative.push(total);
        }
        catalogue
    }

    /// How many products it has.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it has no product.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The item at `index` (indices follow product-id order).
    ///
    /// # Panics
    /// When `index` is not below [`Catalogue::len`].
    pub fn item(&self, index: usize) -> &CatalogueItem {
        &self.items[index]
    }

    /// The index of the product with this id, if training saw it.
    pub fn index_of(&self, product_id: &str) -> Option<usize> {
        self.by_id.get(product_id).copied()
    }

    /// The training popularity of a product id: zero for a product training never saw.
    pub fn popularity(&self, product_id: &str) -> u32 {
        self.index_of(product_id)
            .map_or(0, |i| self.items[i].popularity)
    }

    /// The engagements of `session` on catalogue products, to leave out when that session is
    /// one of those the catalogue was built from.
    pub fn left_out(&self, session: &ShopperSession) -> LeftOut {
        let mut counts: HashMap<usize, u32> = HashMap::new();
        for interaction in session
            .interactions
            .iter()
            .filter(|i| i.action.is_engagement())
        {
            if let Some(index) = self.index_of(&interaction.product().id) {
                *counts.entry(index).or_default() += 1;
            }
        }
        LeftOut { counts }
    }

    /// The popularity of item `index` once `left_out` is subtracted.
    pub fn popularity_without(&self, index: usize, left_out: &LeftOut) -> u32 {
        self.items[index]
            .popularity
            .saturating_sub(left_out.count(index))
    }

    /// Indices of the products with this `category_id`, in product-id order.
    pub fn in_category(&self, category_id: &str) -> &[usize] {
        self.by_category.get(category_id).map_or(&[], Vec::as_slice)
    }

    /// Draws up to `count` distinct items, each draw with probability proportional to
    /// popularity (without `left_out`) among the items not yet taken, skipping the indices in
    /// `taken` and adding the ones it draws there. Returns fewer when fewer remain.
    ///
    /// Cost: O(count · (log n + |taken|)) while draws mostly hit free items. If rejections
    /// pile up (a few items hold most of the weight and are taken), it finishes with one pass
    /// over the catalogue that continues the same sampling scheme exactly.
    pub fn draw_by_popularity(
        &self,
        count: usize,
        taken: &mut Vec<usize>,
        left_out: &LeftOut,
        rng: &mut SplitMix64,
    ) -> Vec<usize> {
        let total = self.cumulative.last().copied().unwrap_or(0);
        let mut drawn = Vec::with_capacity(count);
        if total == 0 {
            return drawn;
        }

        let mut attempts = 0;
        let budget = 8 * count + 32;
        while drawn.len() < count && attempts < budget {
            attempts += 1;
            let ticket = (rng.next_f64() * total as f64) as u64;
            let index = self
                .cumulative
                .partition_point(|&c| c <= ticket)
                .min(self.len() - 1);
            if taken.contains(&index) {
                continue;
            }
            // Thinning: keeping a draw with probability (popularity - left out) / popularity
            // turns draws by the full popularity into draws by the reduced one.
            let full = self.items[index].popularity;
            let kept = self.popularity_without(index, left_out);
            if kept < full && rng.below(full as usize) >= kept as usize {
                continue;
            }
            taken.push(index);
            drawn.push(index);
        }
        if drawn.len() < count {
            self.finish_by_keys(count - drawn.len(), taken, left_out, rng, &mut drawn);
        }
        drawn
    }

    /// Efraimidis–Spirakis: each free item gets the key `ln(u) / weight`, and the largest
    /// keys win. This gives the same distribution as successive weighted draws.
    fn finish_by_keys(
        &self,
        count: usize,
        taken: &mut Vec<usize>,
        left_out: &LeftOut,
        rng: &mut SplitMix64,
        drawn: &mut Vec<usize>,
    ) {
        let mut keyed: Vec<(f64, usize)> = (0..self.len())
            .filter(|&i| self.popularity_without(i, left_out) > 0 && !taken.contains(&i))
            .map(|i| {
                let u = rng.next_f64().max(f64::MIN_POSITIVE);
                (u.ln() / f64::from(self.popularity_without(i, left_out)), i)
            })
            .collect();
        keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, index) in keyed.iter().take(count) {
            taken.push(index);
            drawn.push(index);
        }
    }
}

/// The server's order: more popular first, ties by product id. Used to sort candidates.
pub fn server_cmp(a: (u32, &str), b: (u32, &str)) -> Ordering {
    b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline::rees46::{read, COLUMNS};

    fn catalogue() -> Catalogue {
        let mut text = COLUMNS.join(",") + "\n";
        for (i, (id, category)) in [
            ("a", "1"),
            ("b", "1"),
            ("a", "1"),
            ("c", "2"),
            ("a", "1"),
            ("d", ""),
        ]
        .iter()
        .enumerate()
        {
            text.push_str(&format!(
                "2019-10-01 00:00:0{i} UTC,view,{id},{category},,,1,u,s\n"
            ));
        }
        Catalogue::from_sessions(&read(text.as_bytes()).unwrap().sessions)
    }

    #[test]
    fn counts_popularity_and_categories() {
        let c = catalogue();
        assert_eq!(c.len(), 4);
        assert_eq!(c.popularity("a"), 3);
        assert_eq!(c.popularity("zzz"), 0);
        let in_one: Vec<&str> = c
            .in_category("1")
            .iter()
            .map(|&i| c.item(i).product.id.as_str())
            .collect();
        assert_eq!(in_one, ["a", "b"]);
        assert!(c.in_category("").is_empty());
    }

    #[test]
    fn draws_distinct_items_weighted_by_popularity() {
        let c = catalogue();
        let mut hits = vec![0u32; c.len()];
        for seed in 0..2_000 {
            let mut taken = Vec::new();
            let mut rng = SplitMix64::new(seed);
            let drawn = c.draw_by_popularity(1, &mut taken, &LeftOut::nothing(), &mut rng);
            hits[drawn[0]] += 1;
        }
        // "a" has half of the weight (3 of 6).
        assert!((900..1100).contains(&hits[0]), "{hits:?}");

        let mut taken = vec![0];
        let mut rng = SplitMix64::new(3);
        let mut drawn = c.draw_by_popularity(10, &mut taken, &LeftOut::nothing(), &mut rng);
        drawn.sort();
        assert_eq!(drawn, [1, 2, 3], "all the free items, each once");
    }

    #[test]
    fn leaves_a_session_out() {
        let c = catalogue();
        let mut left_out = LeftOut::nothing();
        left_out.counts.insert(0, 2);
        left_out.counts.insert(1, 1);
        assert_eq!(c.popularity_without(0, &left_out), 1);
        assert_eq!(c.popularity_without(1, &left_out), 0);
        let mut hits = vec![0u32; c.len()];
        for seed in 0..3_000 {
            let mut rng = SplitMix64::new(seed);
            for i in c.draw_by_popularity(1, &mut Vec::new(), &left_out, &mut rng) {
                hits[i] += 1;
            }
        }
        // Weights are now a 1, b 0, c 1, d 1: b is never drawn, the rest a third each.
        assert_eq!(hits[1], 0, "{hits:?}");
        assert!(
            hits.iter().all(|&h| h == 0 || (900..1100).contains(&h)),
            "{hits:?}"
        );
    }

    #[test]
    fn server_order_is_popularity_then_id() {
        let mut v = [(1, "b"), (3, "z"), (1, "a")];
        v.sort_by(|a, b| server_cmp(*a, *b));
        assert_eq!(v, [(3, "z"), (1, "a"), (1, "b")]);
    }
}
