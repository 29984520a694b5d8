//! Basket completion: hide one product of a test basket and rank candidates for it.
//!
//! The protocol mirrors [`candidates`](crate::offline::candidates) where it can:
//!
//! - baskets (invoices) are split by time; the catalogue and popularity of the training
//!   baskets play the server, and the **server order** sorts candidates by that popularity
//!   (a product training never saw goes to a random position, as in the session replay);
//! - in every test basket with at least two distinct products, each product in turn is the
//!   **target**; the other lines are **visible**, replayed as add-to-cart events through a
//!   fresh [`Profile`] at the invoice's time (the shopper's earlier invoices are not used);
//! - the **candidates** are the target and popularity-weighted draws from the training
//!   catalogue, without the visible products: a completion widget does not offer what is
//!   already in the cart. There is no "same category" part, since these products have no
//!   category (see [`online_retail`](crate::offline::online_retail));
//! - the **rankers** are the server order, the co-purchase table ([`CoPurchase::score`]
//!   summed over the visible products), the rule and the model on [`extract`]'s rows.
//!
//! Every target is new to its basket, so the `_new` metrics equal the others here.

use std::ops::Range;

use crate::features::{extract, Candidate};
use crate::offline::candidates::{server_order, Group, Replay};
use crate::offline::catalogue::LeftOut;
use crate::offline::copurchase::CoPurchase;
use crate::offline::evaluate::{server_scores, Scoreboard, Scorer};
use crate::offline::online_retail::distinct_products;
use crate::offline::rng::SplitMix64;
use crate::profile::Profile;
use crate::ranker::rule_scores;

/// One completion list: the group, and the product ids of the visible basket.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The list, its target and its feature rows. `step` is the hidden product's index among
    /// the basket's distinct products.
    pub group: Group,
    /// The visible products' ids.
    pub visible: Vec<String>,
}

/// Every completion list of basket `index` of the `replay`'s sessions (none when it has fewer
/// than two distinct products).
///
/// # Panics
/// When `index` is out of range.
pub fn completions(replay: &Replay<'_>, index: usize) -> Vec<Completion> {
    let basket = &replay.sessions()[index];
    let products = distinct_products(basket);
    if products.len() < 2 {
        return Vec::new();
    }
    let catalogue = replay.catalogue();
    let config = replay.config();
    let nothing = LeftOut::nothing();

    let mut lists = Vec::with_capacity(products.len());
    for (step, hidden) in products.iter().enumerate() {
        let target_id = hidden.product().id.as_str();
        let visible_lines: Vec<_> = basket
            .interactions
            .iter()
            .filter(|i| i.product().id != target_id)
            .collect();
        let mut profile = Profile::default();
        for line in &visible_lines {
            profile.apply(&line.event, line.at_ms);
        }
        let visible: Vec<String> = products
            .iter()
            .filter(|i| i.product().id != target_id)
            .map(|i| i.product().id.clone())
            .collect();

        let mut rng = SplitMix64::for_event(config.seed, &basket.id, step);
        let target_index = catalogue.index_of(target_id);
        let excluded: Vec<usize> = visible
            .iter()
            .filter_map(|id| catalogue.index_of(id))
            .collect();
        let mut taken: Vec<usize> = excluded.iter().copied().chain(target_index).collect();
        let wanted = config.candidates.max(1);
        let drawn = catalogue.draw_by_popularity(wanted - 1, &mut taken, &nothing, &mut rng);

        let target_popularity = catalogue.popularity(target_id);
        let mut listed: Vec<(u32, Candidate)> = drawn
            .iter()
            .map(|&i| {
                let item = catalogue.item(i);
                let candidate = Candidate {
                    product: item.product.clone(),
                    server_position: 0,
                };
                (item.popularity, candidate)
            })
            .collect();
        listed.push((
            target_popularity,
            Candidate {
                product: hidden.product().clone(),
                server_position: 0,
            },
        ));
        let candidates = server_order(listed, &mut rng);
        let target = candidates
            .iter()
            .position(|c| c.product.id == target_id)
            .expect("invariant: the target is always listed");
        let now_ms = hidden.at_ms;
        lists.push(Completion {
            group: Group {
                session: index,
                step,
                now_ms,
                features: extract(&profile, &candidates, now_ms),
                candidates,
                target,
                target_new: true,
                target_known: target_popularity > 0,
            },
            visible,
        });
    }
    lists
}

/// Ranks every completion list of the baskets `range` of `replay` with the server order,
/// the co-purchase table, the rule and (when given) the model: a board named `server`,
/// `copurchase`, `rule` and `model`. `progress` is told `(baskets done, baskets in all)`.
///
/// # Errors
/// The model's first error.
pub fn evaluate_baskets<E>(
    replay: &Replay<'_>,
    range: Range<usize>,
    copurchase: &CoPurchase,
    model: Option<Scorer<'_, E>>,
    mut progress: impl FnMut(usize, usize),
) -> Result<Scoreboard, E> {
    let names: &[&'static str] = if model.is_some() {
        &["server", "copurchase", "rule", "model"]
    } else {
        &["server", "copurchase", "rule"]
    };
    let mut board = Scoreboard::new(names);
    let total = range.len();
    for (done, index) in range.enumerate() {
        for Completion { group, visible } in completions(replay, index) {
            let basket: Vec<&str> = visible.iter().map(String::as_str).collect();
            let server = server_scores(group.candidates.len());
            let together: Vec<f32> = group
                .candidates
                .iter()
                .map(|c| copurchase.score(&basket, &c.product.id))
                .collect();
            let rule = rule_scores(&group.features);
            match model {
                Some(model) => {
                    let learned = model(&group.features)?;
                    board.record(&group, &[&server, &together, &rule, &learned]);
                }
                None => board.record(&group, &[&server, &together, &rule]),
            }
        }
        progress(done + 1, total);
    }
    Ok(board)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline::candidates::ProtocolConfig;
    use crate::offline::online_retail;
    use crate::offline::session::ShopperSession;

    /// Twenty training invoices pairing 1 with 2 (and filler 5…9), then one test invoice.
    fn baskets() -> Vec<ShopperSession> {
        let mut text =
            String::from("InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n");
        for invoice in 0..20 {
            let filler = 5 + invoice % 5;
            for item in [1, 2, filler] {
                text.push_str(&format!(
                    "{invoice},{item}0,1,2010-12-01 08:{invoice:02}:00,{item}.5,c{invoice}\n"
                ));
            }
        }
        for item in [1, 2, 3] {
            text.push_str(&format!("99,{item}0,2,2010-12-02 09:00:00,1.0,c1\n"));
        }
        online_retail::read(text.as_bytes()).unwrap().sessions
    }

    #[test]
    fn hides_each_product_and_keeps_the_visible_ones_out() {
        let baskets = baskets();
        let replay = Replay::new(&baskets, 20, ProtocolConfig::default());
        let lists = completions(&replay, 20);
        assert_eq!(lists.len(), 3);
        for Completion { group, visible } in &lists {
            let target = &group.candidates[group.target].product.id;
            assert_eq!(visible.len(), 2);
            assert!(!visible.contains(target));
            assert!(group
                .candidates
                .iter()
                .all(|c| !visible.contains(&c.product.id)));
            assert!(group.target_new);
        }
        // "30" is new to the catalogue: unknown target; "10" and "20" are known.
        assert!(!lists[2].group.target_known && lists[0].group.target_known);
        assert_eq!(lists, completions(&replay, 20), "deterministic");
    }

    #[test]
    fn copurchase_finds_the_partner() {
        let baskets = baskets();
        let replay = Replay::new(&baskets, 20, ProtocolConfig::default());
        let table = CoPurchase::from_baskets(&baskets[..20], 5, 1, "test");
        let none: Option<Scorer<'_, String>> = None;
        let board = evaluate_baskets(&replay, 20..21, &table, none, |_, _| {}).unwrap();
        let together = board.metrics("copurchase").unwrap();
        assert_eq!(board.groups, 3);
        // Hiding 10 or 20, the other one points at it: rank 1 in two lists of three.
        assert!(together.mrr >= 2.0 / 3.0, "{together}");
    }
}
