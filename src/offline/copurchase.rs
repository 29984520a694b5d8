//! Co-purchase statistics: which products are bought together, from training baskets.
//!
//! For each product `a`, the share of the baskets holding `a` that also hold `b`, an estimate
//! of P(b | a). Only the `top_k` strongest neighbours of each product are kept, and only
//! pairs seen in at least `min_count` baskets, so the file stays small enough to ship beside
//! the model (`models/copurchase.json`, written by `vitrine-eval --write-copurchase`).
//!
//! A candidate's score for a basket is the sum of P(candidate | item) over the basket's items:
//! zero for a product no basket item points to, which then keeps its server position.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::offline::session::ShopperSession;

/// The format name written in the file, checked when it is read.
pub const FORMAT: &str = "vitrine.copurchase/1";

/// Top-k co-purchase neighbours per product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoPurchase {
    /// [`FORMAT`].
    pub format: String,
    /// Where the statistics come from (data set and split), for people reading the file.
    pub source: String,
    /// Training baskets counted.
    pub baskets: usize,
    /// Neighbours kept per product, at most.
    pub top_k: usize,
    /// Baskets a pair must share to be kept.
    pub min_count: u32,
    /// Product id → `(neighbour id, P(neighbour | product))`, strongest first, ties by id.
    pub neighbours: BTreeMap<String, Vec<(String, f32)>>,
}

impl CoPurchase {
    /// Counts the pairs of distinct products in `baskets`.
    ///
    /// Cost: O(Σ basket size²) time; memory for every distinct pair before the cut.
    pub fn from_baskets<'a>(
        baskets: impl IntoIterator<Item = &'a ShopperSession>,
        top_k: usize,
        min_count: u32,
        source: &str,
    ) -> Self {
        let mut holding: HashMap<&str, u32> = HashMap::new();
        let mut pairs: HashMap<(&str, &str), u32> = HashMap::new();
        let mut count = 0;
        for basket in baskets {
            count += 1;
            let items: BTreeSet<&str> = basket
                .interactions
                .iter()
                .filter(|i| i.action.is_engagement())
                .map(|i| i.product().id.as_str())
                .collect();
            for &a in &items {
                *holding.entry(a).or_default() += 1;
                for &b in items.iter().filter(|&&b| b != a) {
                    *pairs.entry((a, b)).or_default() += 1;
                }
            }
        }

        let mut by_item: BTreeMap<String, Vec<(String, u32)>> = BTreeMap::new();
        for ((a, b), together) in pairs {
            if together >= min_count.max(1) {
                by_item
                    .entry(a.to_string())
                    .or_default()
                    .push((b.to_string(), together));
            }
        }
        let neighbours = by_item
            .into_iter()
            .map(|(a, mut list)| {
                list.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
                list.truncate(top_k);
                let base = f64::from(holding[a.as_str()]);
                // Four decimals are plenty for a ranking score and keep the file small.
                let list = list
                    .into_iter()
                    .map(|(b, n)| (b, ((f64::from(n) / base) * 1e4).round() as f32 / 1e4))
                    .collect();
                (a, list)
            })
            .collect();
        CoPurchase {
            format: FORMAT.into(),
            source: source.into(),
            baskets: count,
            top_k,
            min_count,
            neighbours,
        }
    }

    /// Reads the JSON file [`CoPurchase::to_json`] wrote.
    ///
    /// # Errors
    /// A message naming the field when the JSON is malformed or of another format.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let table: CoPurchase = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|e| format!("`{}`: {}", e.path(), e.inner()))?;
        if table.format != FORMAT {
            return Err(format!(
                "`format`: expected {FORMAT:?}, found {:?}",
                table.format
            ));
        }
        Ok(table)
    }

    /// The table as JSON, one product per line, so that a diff of a regenerated file reads.
    pub fn to_json(&self) -> String {
        let mut text = format!(
            "{{\"format\":{},\"source\":{},\"baskets\":{},\"top_k\":{},\"min_count\":{},\
             \"neighbours\":{{",
            json_string(&self.format),
            json_string(&self.source),
            self.baskets,
            self.top_k,
            self.min_count
        );
        for (i, (item, list)) in self.neighbours.iter().enumerate() {
            let list = serde_json::to_string(list).expect("invariant: pairs always serialize");
            let comma = if i == 0 { "" } else { "," };
            text.push_str(&format!("{comma}\n{}:{list}", json_string(item)));
        }
        text.push_str("\n}}\n");
        text
    }

    /// Σ P(`candidate` | item) over the `basket`'s product ids.
    pub fn score(&self, basket: &[&str], candidate: &str) -> f32 {
        basket
            .iter()
            .filter_map(|item| self.neighbours.get(*item))
            .flat_map(|list| list.iter().filter(|(b, _)| b == candidate))
            .map(|(_, p)| p)
            .sum()
    }
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("invariant: a string always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline::online_retail;

    fn baskets() -> Vec<ShopperSession> {
        let mut text =
            String::from("InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n");
        for (invoice, items) in [(1, "10 20 30"), (2, "10 20"), (3, "10 40"), (4, "20 10 10")] {
            for item in items.split(' ') {
                text.push_str(&format!("{invoice},{item},1,2010-12-01 08:00:00,1.0,\n"));
            }
        }
        online_retail::read(text.as_bytes()).unwrap().sessions
    }

    #[test]
    fn counts_conditional_shares_and_keeps_the_top_k() {
        let table = CoPurchase::from_baskets(&baskets(), 1, 1, "test");
        assert_eq!(table.baskets, 4);
        // 10 is in 4 baskets, with 20 in 3 of them: P(20 | 10) = 0.75, the top neighbour.
        assert_eq!(table.neighbours["10"], [("20".to_string(), 0.75)]);
        assert_eq!(table.neighbours["40"], [("10".to_string(), 1.0)]);
        assert_eq!(table.score(&["10", "40"], "20"), 0.75);
        assert_eq!(table.score(&["10"], "30"), 0.0, "cut by top_k");

        let strict = CoPurchase::from_baskets(&baskets(), 5, 2, "test");
        assert!(
            !strict.neighbours.contains_key("30"),
            "30 shares no pair twice"
        );
        assert_eq!(strict.neighbours["10"], [("20".to_string(), 0.75)]);
    }

    #[test]
    fn round_trips_through_json_and_refuses_other_files() {
        let table = CoPurchase::from_baskets(&baskets(), 3, 1, "test");
        assert_eq!(CoPurchase::from_json(&table.to_json()).unwrap(), table);
        let other = table.to_json().replace(FORMAT, "something/9");
        assert!(CoPurchase::from_json(&other)
            .unwrap_err()
            .contains("`format`"));
        let err = CoPurchase::from_json("{\"format\": 3}").unwrap_err();
        assert!(err.starts_with("`format`"), "{err}");
    }
}
