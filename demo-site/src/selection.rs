//! The server's own choice and order of candidates for each widget.
//!
//! This is the "server order" the SDK starts from: `data-vitrine-rank` is an item's position
//! here. It knows nothing about the shopper; personalization happens only in the browser.

use std::cmp::Reverse;
use std::collections::HashMap;

use crate::catalogue::{Catalogue, Product};

/// Most results a search shows.
pub const SEARCH_LIMIT: usize = 60;
/// Longest query we read, in bytes; the rest is ignored.
const MAX_QUERY_BYTES: usize = 200;
/// Most query tokens that count.
const MAX_QUERY_TOKENS: usize = 8;
/// Shortest token that may match as a prefix: `1` would otherwise match every model number.
const MIN_PREFIX_BYTES: usize = 3;

/// A shelf of `n` products showing the breadth of the store, in popularity order.
///
/// Departments (top-level categories; products with only a numeric category id form one
/// "uncategorized" department) take turns, most popular department first, each giving its
/// next most popular product, so that small departments such as apparel are on the shelf at
/// all rather than crowded out by forty phones. The shelf is then sorted by popularity: that
/// is the server order the SDK starts from.
pub fn popular_across_categories(catalogue: &Catalogue, n: usize) -> Vec<&Product> {
    fn department(p: &Product) -> &str {
        if p.has_category_code() {
            p.top_category()
        } else {
            ""
        }
    }
    let mut queues: Vec<(&str, u64, Vec<&Product>)> = Vec::new();
    for product in catalogue.by_popularity() {
        let name = department(product);
        match queues.iter_mut().find(|(d, _, _)| *d == name) {
            Some((_, total, queue)) => {
                *total += u64::from(product.popularity);
                queue.push(product);
            }
            None => queues.push((name, u64::from(product.popularity), vec![product])),
        }
    }
    // Stable sort: departments of equal weight keep the order of their most popular product.
    queues.sort_by_key(|(_, total, _)| Reverse(*total));

    let mut shelf = Vec::with_capacity(n);
    let mut round = 0;
    while shelf.len() < n && queues.iter().any(|(_, _, q)| q.len() > round) {
        for (_, _, queue) in &queues {
            if shelf.len() == n {
                break;
            }
            if let Some(product) = queue.get(round) {
                shelf.push(*product);
            }
        }
        round += 1;
    }
    let rank: HashMap<&str, usize> = catalogue
        .by_popularity()
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    shelf.sort_by_key(|p| rank[p.id.as_str()]);
    shelf
}

/// Up to `n` products like `product`: the same category first, then the same top-level
/// category, then the most popular of the rest; by popularity within each tier.
pub fn similar<'a>(catalogue: &'a Catalogue, product: &Product, n: usize) -> Vec<&'a Product> {
    let tier = |other: &Product| {
        if other.category == product.category {
            0
        } else if other.top_category() == product.top_category() {
            1
        } else {
            2
        }
    };
    let mut tiers: [Vec<&Product>; 3] = Default::default();
    // by_popularity is already in popularity order, so each tier stays in it.
    for other in catalogue
        .by_popularity()
        .iter()
        .filter(|o| o.id != product.id)
    {
        let t = tier(other);
        if tiers[..=t].iter().map(Vec::len).sum::<usize>() < n {
            tiers[t].push(other);
        }
    }
    tiers.into_iter().flatten().take(n).collect()
}

/// Products matching `query`, best match first, then most popular; at most
/// [`SEARCH_LIMIT`]. A query with no tokens matches nothing.
///
/// Each query token scores 2 when it equals a word of the product's name, category path or
/// brand, and 1 when it only starts one (`smart` finds `smartphone`) and is at least three
/// characters long.
pub fn search<'a>(catalogue: &'a Catalogue, query: &str) -> Vec<&'a Product> {
    let tokens = query_tokens(query);
    if tokens.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(u32, &Product)> = catalogue
        .by_popularity()
        .iter()
        .filter_map(|product| {
            let score = match_score(&tokens, product);
            (score > 0).then_some((score, product))
        })
        .collect();
    // A stable sort keeps popularity order among equal scores.
    scored.sort_by_key(|&(score, _)| Reverse(score));
    scored
        .into_iter()
        .take(SEARCH_LIMIT)
        .map(|(_, p)| p)
        .collect()
}

/// The distinct lowercase words of a query, in order, bounded in length and count.
pub fn query_tokens(query: &str) -> Vec<String> {
    let cut = (0..=query.len().min(MAX_QUERY_BYTES))
        .rev()
        .find(|&i| query.is_char_boundary(i))
        .unwrap_or(0);
    let mut tokens: Vec<String> = Vec::new();
    for word in words(&query[..cut]) {
        if tokens.len() == MAX_QUERY_TOKENS {
            break;
        }
        if !tokens.contains(&word) {
            tokens.push(word);
        }
    }
    tokens
}

fn match_score(tokens: &[String], product: &Product) -> u32 {
    let words: Vec<String> = words(&product.name)
        .chain(words(&product.category))
        .chain(words(&product.brand))
        .collect();
    tokens
        .iter()
        .map(|token| {
            if words.iter().any(|w| w == token) {
                2
            } else if token.len() >= MIN_PREFIX_BYTES
                && words.iter().any(|w| w.starts_with(token.as_str()))
            {
                1
            } else {
                0
            }
        })
        .sum()
}

/// Lowercase alphanumeric runs: `living_room.sofa` gives `living`, `room`, `sofa`.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        let csv = "\
product_id,category_code,brand,price,name,popularity
1,electronics.smartphone,apple,900.00,Apple smartphone 0001,50
2,electronics.smartphone,samsung,500.00,Samsung smartphone 0002,40
3,electronics.audio.headphone,apple,200.00,Apple headphone 0003,30
4,furniture.living_room.sofa,,400.00,Sofa 0004,60
5,electronics.smartphone,xiaomi,150.00,Xiaomi smartphone 0005,5
6,kids.toys,,20.00,Toys 0006,45
7,2053013552326770905,apple,10.00,Apple item 0007,1
";
        Catalogue::from_csv(csv.as_bytes()).unwrap()
    }

    fn ids(products: &[&Product]) -> Vec<String> {
        products.iter().map(|p| p.id.clone()).collect()
    }

    #[test]
    fn popular_shelves_take_turns_across_departments() {
        let catalogue = catalogue();
        let shelf = popular_across_categories(&catalogue, 4);
        assert_eq!(ids(&shelf), ["4", "1", "6", "7"]);
        assert_eq!(popular_across_categories(&catalogue, 10).len(), 7);
    }

    #[test]
    fn similar_items_go_category_then_top_category_then_popular() {
        let catalogue = catalogue();
        let phone = catalogue.get("1").unwrap();
        assert_eq!(
            ids(&similar(&catalogue, phone, 6)),
            ["2", "5", "3", "4", "6", "7"]
        );
        assert_eq!(ids(&similar(&catalogue, phone, 2)), ["2", "5"]);
    }

    #[test]
    fn search_orders_by_match_then_popularity() {
        let catalogue = catalogue();
        // "apple smartphone": product 1 matches both words; 3 and 7 only the brand, 2 and 5
        // only the category; popularity breaks the ties.
        assert_eq!(
            ids(&search(&catalogue, "Apple smartphone")),
            ["1", "2", "3", "5", "7"]
        );
        assert_eq!(ids(&search(&catalogue, "smart")), ["1", "2", "5"]);
        assert!(
            search(&catalogue, "sm").is_empty(),
            "short tokens match whole words only"
        );
        assert_eq!(ids(&search(&catalogue, "living-room")), ["4"]);
        assert!(search(&catalogue, "  ,. ").is_empty());
        assert!(search(&catalogue, "lawnmower").is_empty());
    }

    #[test]
    fn queries_are_bounded() {
        let long = "é".repeat(300);
        assert_eq!(query_tokens(&long)[0].len(), MAX_QUERY_BYTES);
        let many = (0..20)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(query_tokens(&many).len(), MAX_QUERY_TOKENS);
        assert_eq!(query_tokens("TV tv Tv"), ["tv"]);
    }
}
