//! The replay protocol: which lists the shopper would have seen, and which item they took.
//!
//! Training (`vitrine-dataset`) and evaluation (`vitrine-eval`) both use this module, so
//! the model is trained on exactly the kind of list it is judged on. For every interaction
//! `t ≥ 1` of a session:
//!
//! - the **target** is the product of interaction `t`;
//! - the **history** is that shopper's earlier sessions and the session's interactions
//!   before `t`, applied in time order to a fresh [`Profile`] with [`Profile::apply`];
//! - the **candidates** are the target, up to [`ProtocolConfig::from_category`] products of
//!   the target's `category_id` drawn uniformly from the training catalogue, and
//!   popularity-weighted draws from the whole training catalogue for the rest, all distinct;
//! - the **server order** sorts them by training popularity, ties by product id;
//! - the features are computed with [`extract`] at the time of interaction `t - 1`: the list
//!   is shown after the shopper's last action and before the one we predict, so the time of
//!   the target itself is not known.
//!
//! Draws come from a [`SplitMix64`] seeded by the protocol seed, the session id and `t`:
//! one group does not depend on which other groups were replayed.
//!
//! Known limitation: a target that training never saw (a product first seen in the test
//! period) has popularity zero, so the server order puts it after every sampled candidate.
//! That is what a popularity-sorted server would do, but it makes such targets hard for the
//! server order and for any model that trusts it; `vitrine-dataset` reports how many there are.

use std::collections::{HashMap, HashSet};

use crate::features::{extract, Candidate};
use crate::offline::catalogue::{server_cmp, Catalogue};
use crate::offline::rees46::{Interaction, ShopperSession};
use crate::offline::rng::SplitMix64;
use crate::profile::Profile;

/// The protocol's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolConfig {
    /// Candidates per list, target included. Fewer when the catalogue is smaller.
    pub candidates: usize,
    /// At most this many candidates come from the target's `category_id`.
    pub from_category: usize,
    /// The seed every draw derives from.
    pub seed: u64,
}

impl Default for ProtocolConfig {
    fn default() -> Self {
        ProtocolConfig {
            candidates: 100,
            from_category: 49,
            seed: 0x0076_6974_7269_6e65,
        }
    }
}

/// One list the shopper would have seen, with the item they took.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Index of the session in the replayed slice.
    pub session: usize,
    /// Index of the target interaction in its session (≥ 1).
    pub step: usize,
    /// The moment the list is ranked: the time of interaction `step - 1`, ms since the epoch.
    pub now_ms: f64,
    /// The candidates in server order: `candidates[i].server_position == i`.
    pub candidates: Vec<Candidate>,
    /// The target's index in `candidates`, which is also its server position.
    pub target: usize,
    /// Whether the target is new to the session: none of interactions `0..step` is about it.
    pub target_new: bool,
    /// Whether training saw the target (popularity above zero).
    pub target_known: bool,
    /// The feature rows of `candidates`, from [`extract`], row-major.
    pub features: Vec<f32>,
}

/// Replays sessions against a training catalogue.
#[derive(Debug)]
pub struct Replay<'a> {
    sessions: &'a [ShopperSession],
    catalogue: &'a Catalogue,
    config: ProtocolConfig,
    by_user: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Replay<'a> {
    /// Prepares a replay of `sessions`, which must be ordered by start time (as
    /// [`Rees46Log::sessions`](crate::offline::rees46::Rees46Log::sessions) is). History is
    /// looked up among these sessions, whichever split they belong to: on a device the
    /// profile would hold them all.
    pub fn new(
        sessions: &'a [ShopperSession],
        catalogue: &'a Catalogue,
        config: ProtocolConfig,
    ) -> Self {
        let mut by_user: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, session) in sessions.iter().enumerate() {
            by_user.entry(session.user_id.as_str()).or_default().push(i);
        }
        Replay {
            sessions,
            catalogue,
            config,
            by_user,
        }
    }

    /// The protocol's parameters.
    pub fn config(&self) -> ProtocolConfig {
        self.config
    }

    /// Every group of session `index`: one per interaction after the first, except removals
    /// from the cart, which update the profile but are not something a shopper "took".
    ///
    /// Cost: replays the shopper's earlier sessions once, then O(candidates) feature rows and
    /// draws per group.
    ///
    /// # Panics
    /// When `index` is out of range.
    pub fn groups(&self, index: usize) -> Vec<Group> {
        let session = &self.sessions[index];
        let mut profile = self.history_before(index);
        let mut seen: HashSet<&str> = HashSet::new();
        let mut groups = Vec::new();

        for (step, interaction) in session.interactions.iter().enumerate() {
            if step > 0 && interaction.action.is_engagement() {
                let mut rng = SplitMix64::for_event(self.config.seed, &session.id, step);
                let (candidates, target) = self.candidates(interaction, &mut rng);
                let now_ms = session.interactions[step - 1].at_ms;
                let product = interaction.product();
                groups.push(Group {
                    session: index,
                    step,
                    now_ms,
                    features: extract(&profile, &candidates, now_ms),
                    candidates,
                    target,
                    target_new: !seen.contains(product.id.as_str()),
                    target_known: self.catalogue.index_of(&product.id).is_some(),
                });
            }
            profile.apply(&interaction.event, interaction.at_ms);
            seen.insert(interaction.product().id.as_str());
        }
        groups
    }

    /// A fresh profile with this shopper's interactions from before session `index` started:
    /// those of sessions that started earlier, in time order, cut at this session's start so
    /// that an overlapping session (another tab) cannot leak later actions.
    fn history_before(&self, index: usize) -> Profile {
        let session = &self.sessions[index];
        let start = session.started_ms();
        let earlier = self
            .by_user
            .get(session.user_id.as_str())
            .map_or(&[][..], Vec::as_slice);

        let mut past: Vec<&Interaction> = earlier
            .iter()
            .take_while(|&&j| j < index)
            .flat_map(|&j| &self.sessions[j].interactions)
            .filter(|i| i.at_ms < start)
            .collect();
        // Stable: equal times keep session order, then the session's own order.
        past.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));

        let mut profile = Profile::default();
        for interaction in past {
            profile.apply(&interaction.event, interaction.at_ms);
        }
        profile
    }

    /// The candidates for one target, in server order, and the target's position.
    pub fn candidates(
        &self,
        target: &Interaction,
        rng: &mut SplitMix64,
    ) -> (Vec<Candidate>, usize) {
        let catalogue = self.catalogue;
        let wanted = self.config.candidates.max(1);
        let target_id = target.product().id.as_str();
        let mut taken: Vec<usize> = catalogue.index_of(target_id).into_iter().collect();

        let same_category = target
            .category_id
            .as_deref()
            .map_or(&[][..], |c| catalogue.in_category(c));
        let mut pool: Vec<usize> = same_category
            .iter()
            .copied()
            .filter(|i| !taken.contains(i))
            .collect();
        let from_category = self.config.from_category.min(wanted - 1).min(pool.len());
        // A partial Fisher–Yates shuffle: the first `from_category` slots end up a uniform
        // sample without replacement.
        for slot in 0..from_category {
            let pick = slot + rng.below(pool.len() - slot);
            pool.swap(slot, pick);
        }
        taken.extend_from_slice(&pool[..from_category]);

        let missing = wanted - 1 - from_category;
        catalogue.draw_by_popularity(missing, &mut taken, rng);

        let mut listed: Vec<(u32, Candidate)> = taken
            .iter()
            .filter(|&&i| catalogue.item(i).product.id != target_id)
            .map(|&i| {
                let item = catalogue.item(i);
                (
                    item.popularity,
                    Candidate {
                        product: item.product.clone(),
                        server_position: 0,
                    },
                )
            })
            .collect();
        let target_candidate = Candidate {
            product: target.product().clone(),
            server_position: 0,
        };
        listed.push((catalogue.popularity(target_id), target_candidate));
        listed.sort_by(|a, b| server_cmp((a.0, &a.1.product.id), (b.0, &b.1.product.id)));

        let mut position_of_target = 0;
        let candidates = listed
            .into_iter()
            .enumerate()
            .map(|(position, (_, mut candidate))| {
                if candidate.product.id == target_id {
                    position_of_target = position;
                }
                candidate.server_position = position as u32;
                candidate
            })
            .collect();
        (candidates, position_of_target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline::rees46::{read, COLUMNS};

    /// Ten training products in two categories, popularity rising with the id, and a
    /// returning shopper whose second session is replayed.
    fn fixture() -> (Vec<ShopperSession>, Catalogue) {
        let mut rows = vec![COLUMNS.join(",")];
        for id in 0..10u32 {
            for k in 0..=id {
                rows.push(format!(
                    "2019-10-01 00:00:{:02} UTC,view,p{id},c{},,,{}.0,u{id},t{id}",
                    k,
                    id % 2,
                    id + 1
                ));
            }
        }
        rows.push("2019-10-01 01:00:00 UTC,view,p1,c1,,b,2.0,shopper,first".into());
        rows.push("2019-10-01 02:00:00 UTC,view,p3,c1,,b,4.0,shopper,second".into());
        rows.push("2019-10-01 02:00:05 UTC,cart,p3,c1,,b,4.0,shopper,second".into());
        rows.push("2019-10-01 02:00:09 UTC,view,new,c1,,b,4.0,shopper,second".into());
        let log = read(rows.join("\n").as_bytes()).unwrap();
        let catalogue =
            Catalogue::from_sessions(log.sessions.iter().filter(|s| s.user_id != "shopper"));
        (log.sessions, catalogue)
    }

    fn replay_second(config: ProtocolConfig) -> Vec<Group> {
        let (sessions, catalogue) = fixture();
        let index = sessions.iter().position(|s| s.id == "second").unwrap();
        Replay::new(&sessions, &catalogue, config).groups(index)
    }

    #[test]
    fn lists_are_server_ordered_and_hold_the_target_once() {
        let groups = replay_second(ProtocolConfig {
            candidates: 6,
            from_category: 2,
            seed: 1,
        });
        assert_eq!(groups.len(), 2);
        for group in &groups {
            assert_eq!(group.candidates.len(), 6);
            let ids: HashSet<&str> = group
                .candidates
                .iter()
                .map(|c| c.product.id.as_str())
                .collect();
            assert_eq!(ids.len(), 6, "distinct candidates");
            for (i, c) in group.candidates.iter().enumerate() {
                assert_eq!(c.server_position as usize, i);
            }
        }
        let repeat = &groups[0];
        assert_eq!(repeat.candidates[repeat.target].product.id, "p3");
        assert!(!repeat.target_new && repeat.target_known);
        let cold = &groups[1];
        assert_eq!(cold.candidates[cold.target].product.id, "new");
        assert!(cold.target_new && !cold.target_known);
        assert_eq!(cold.target, 5, "an unseen product has no popularity: last");
    }

    #[test]
    fn history_includes_earlier_sessions() {
        let groups = replay_second(ProtocolConfig::default());
        let rows = &groups[0].features;
        let row_of = |id: &str| {
            let i = groups[0]
                .candidates
                .iter()
                .position(|c| c.product.id == id)
                .unwrap();
            &rows[i * crate::features::FEATURE_COUNT..(i + 1) * crate::features::FEATURE_COUNT]
        };
        // p1 was viewed in the first session: it is remembered.
        assert!(
            row_of("p1")[8] > 0.0,
            "viewed_count_log of p1: {:?}",
            row_of("p1")
        );
        assert!(groups[0].features.len() == 10 * crate::features::FEATURE_COUNT);
    }

    #[test]
    fn is_deterministic_and_draws_from_the_category() {
        let config = ProtocolConfig {
            candidates: 4,
            from_category: 3,
            seed: 9,
        };
        let a = replay_second(config);
        assert_eq!(a, replay_second(config));
        let categories: Vec<bool> = a[0]
            .candidates
            .iter()
            .map(|c| ["p1", "p3", "p5", "p7", "p9"].contains(&c.product.id.as_str()))
            .collect();
        assert!(categories.iter().all(|&same| same), "{:?}", a[0].candidates);
        let differs = (10..20).any(|seed| {
            replay_second(ProtocolConfig { seed, ..config })[0].candidates != a[0].candidates
        });
        assert!(differs, "the seed changes the draws");
    }
}
