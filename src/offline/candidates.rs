//! The replay protocol: which lists the shopper would have seen, and which item they took.
//!
//! Training (`vitrine-dataset`) and evaluation (`vitrine-eval`) both use this module, so
//! the model is trained on exactly the kind of list it is judged on. Sessions are split by
//! time; the training catalogue and its popularity come from the training sessions only. For
//! every interaction `t ≥ 1` of a session:
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
//! Two rules keep training lists looking like test lists, where a model could otherwise learn
//! an artefact of the replay instead of the shopper:
//!
//! - a training session is replayed with its own interactions left out of the popularity
//!   ([`LeftOut`]), as a test session never contributes to it;
//! - a candidate with no popularity (in practice the target, when training never saw it) is
//!   put at a random position, not last: a real server shows new products somewhere, and
//!   since every drawn candidate has some popularity, "last" would point at the target.
//!
//! Draws come from a [`SplitMix64`] seeded by the protocol seed, the session id and `t`:
//! one group does not depend on which other groups were replayed.

use std::collections::{HashMap, HashSet};

use crate::features::{extract, Candidate};
use crate::offline::catalogue::{server_cmp, Catalogue, LeftOut};
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
    /// Whether the target has a popularity, i.e. other training sessions engaged with it.
    pub target_known: bool,
    /// The feature rows of `candidates`, from [`extract`], row-major.
    pub features: Vec<f32>,
}

/// Replays sessions against the catalogue of the training ones.
#[derive(Debug)]
pub struct Replay<'a> {
    sessions: &'a [ShopperSession],
    training: usize,
    catalogue: Catalogue,
    config: ProtocolConfig,
    by_user: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Replay<'a> {
    /// Prepares a replay of `sessions`, which must be ordered by start time (as
    /// [`SessionLog::sessions`](crate::offline::session::SessionLog::sessions) is); the first
    /// `training` of them build the catalogue. History is looked up among all of them,
    /// whichever split they belong to: on a device the profile would hold them all.
    ///
    /// # Panics
    /// When `training` is larger than `sessions.len()`.
    pub fn new(sessions: &'a [ShopperSession], training: usize, config: ProtocolConfig) -> Self {
        let catalogue = Catalogue::from_sessions(&sessions[..training]);
        let mut by_user: HashMap<&str, Vec<usize>> = HashMap::new();
        // An anonymous shopper (empty user id) has no earlier sessions we could know of.
        for (i, session) in sessions.iter().enumerate() {
            if !session.user_id.is_empty() {
                by_user.entry(session.user_id.as_str()).or_default().push(i);
            }
        }
        Replay {
            sessions,
            training,
            catalogue,
            config,
            by_user,
        }
    }

    /// The protocol's parameters.
    pub fn config(&self) -> ProtocolConfig {
        self.config
    }

    /// The sessions replayed, training ones first.
    pub fn sessions(&self) -> &'a [ShopperSession] {
        self.sessions
    }

    /// The training catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
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
        let left_out = if index < self.training {
            self.catalogue.left_out(session)
        } else {
            LeftOut::nothing()
        };
        let mut profile = self.history_before(index);
        let mut seen: HashSet<&str> = HashSet::new();
        let mut groups = Vec::new();

        for (step, interaction) in session.interactions.iter().enumerate() {
            if step > 0 && interaction.action.is_engagement() {
                let mut rng = SplitMix64::for_event(self.config.seed, &session.id, step);
                let (candidates, target, target_popularity) =
                    self.candidates(interaction, &left_out, &mut rng);
                let now_ms = session.interactions[step - 1].at_ms;
                groups.push(Group {
                    session: index,
                    step,
                    now_ms,
                    features: extract(&profile, &candidates, now_ms),
                    candidates,
                    target,
                    target_new: !seen.contains(interaction.product().id.as_str()),
                    target_known: target_popularity > 0,
                });
            }
            profile.apply(&interaction.event, interaction.at_ms);
            seen.insert(interaction.product().id.as_str());
        }
        groups
    }

    /// A fresh profile with this shopper's interactions from before session `index` started:
    /// those of sessions that started earlier, in time order, cut at this session's start so
    /// that an overlapping session (another tab) cannot leak later actions. Time decides, not
    /// the index: sessions read from two files (train, test) may interleave.
    fn history_before(&self, index: usize) -> Profile {
        let session = &self.sessions[index];
        let start = session.started_ms();
        let earlier = self
            .by_user
            .get(session.user_id.as_str())
            .map_or(&[][..], Vec::as_slice);

        let mut past: Vec<&Interaction> = earlier
            .iter()
            .filter(|&&j| j != index)
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

    /// The candidates for one target in server order, the target's position, and its
    /// popularity (without `left_out`).
    pub fn candidates(
        &self,
        target: &Interaction,
        left_out: &LeftOut,
        rng: &mut SplitMix64,
    ) -> (Vec<Candidate>, usize, u32) {
        let catalogue = &self.catalogue;
        let wanted = self.config.candidates.max(1);
        let target_id = target.product().id.as_str();
        let target_index = catalogue.index_of(target_id);
        let mut taken: Vec<usize> = target_index.into_iter().collect();

        // Products only this session engaged with are not in the server's catalogue yet,
        // just as no test-period product is.
        let same_category = target
            .category_id
            .as_deref()
            .map_or(&[][..], |c| catalogue.in_category(c));
        let mut pool: Vec<usize> = same_category
            .iter()
            .copied()
            .filter(|&i| Some(i) != target_index && catalogue.popularity_without(i, left_out) > 0)
            .collect();
        let from_category = self.config.from_category.min(wanted - 1).min(pool.len());
        // A partial Fisher–Yates shuffle: the first `from_category` slots end up a uniform
        // sample without replacement.
        for slot in 0..from_category {
            let pick = slot + rng.below(pool.len() - slot);
            pool.swap(slot, pick);
        }
        taken.extend_from_slice(&pool[..from_category]);
        catalogue.draw_by_popularity(wanted - 1 - from_category, &mut taken, left_out, rng);

        let target_popularity =
            target_index.map_or(0, |i| catalogue.popularity_without(i, left_out));
        let mut listed: Vec<(u32, Candidate)> = taken
            .iter()
            .filter(|&&i| Some(i) != target_index)
            .map(|&i| {
                let item = catalogue.item(i);
                let candidate = Candidate {
                    product: item.product.clone(),
                    server_position: 0,
                };
                (catalogue.popularity_without(i, left_out), candidate)
            })
            .collect();
        listed.push((
            target_popularity,
            Candidate {
                product: target.product().clone(),
                server_position: 0,
            },
        ));
        let candidates = server_order(listed, rng);
        let position = candidates
            .iter()
            .position(|c| c.product.id == target_id)
            .expect("invariant: the target is always listed");
        (candidates, position, target_popularity)
    }
}

/// Sorts `(popularity, candidate)` pairs by popularity, ties by product id, then inserts the
/// products without popularity at random positions, and numbers the result.
pub fn server_order(listed: Vec<(u32, Candidate)>, rng: &mut SplitMix64) -> Vec<Candidate> {
    let (mut unknown, mut known): (Vec<_>, Vec<_>) = listed.into_iter().partition(|c| c.0 == 0);
    known.sort_by(|a, b| server_cmp((a.0, &a.1.product.id), (b.0, &b.1.product.id)));
    unknown.sort_by(|a, b| a.1.product.id.cmp(&b.1.product.id));

    let mut ordered: Vec<Candidate> = known.into_iter().map(|(_, c)| c).collect();
    for (_, candidate) in unknown {
        let at = rng.below(ordered.len() + 1);
        ordered.insert(at, candidate);
    }
    for (position, candidate) in ordered.iter_mut().enumerate() {
        candidate.server_position = position as u32;
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FEATURE_COUNT;
    use crate::offline::rees46::{read, COLUMNS};

    /// Ten one-shopper training sessions `t0`…`t9`, session `tN` viewing product `pN` (in
    /// category `c0` or `c1`) N + 1 times; then a returning shopper's two sessions.
    fn fixture() -> Vec<ShopperSession> {
        let mut rows = vec![COLUMNS.join(",")];
        for id in 0..10u32 {
            for k in 0..=id {
                let (category, price) = (id % 2, id + 1);
                rows.push(format!(
                    "2019-10-01 00:00:{k:02} UTC,view,p{id},c{category},,,{price}.0,u{id},t{id}"
                ));
            }
        }
        rows.push("2019-10-01 01:00:00 UTC,view,p1,c1,,b,2.0,shopper,first".into());
        rows.push("2019-10-01 02:00:00 UTC,view,p3,c1,,b,4.0,shopper,second".into());
        rows.push("2019-10-01 02:00:05 UTC,cart,p3,c1,,b,4.0,shopper,second".into());
        rows.push("2019-10-01 02:00:09 UTC,view,new,c1,,b,4.0,shopper,second".into());
        read(rows.join("\n").as_bytes()).unwrap().sessions
    }

    const TRAINING: usize = 10;

    fn replay(session: &str, config: ProtocolConfig) -> Vec<Group> {
        let sessions = fixture();
        let index = sessions.iter().position(|s| s.id == session).unwrap();
        Replay::new(&sessions, TRAINING, config).groups(index)
    }

    #[test]
    fn lists_are_server_ordered_and_hold_the_target_once() {
        let groups = replay(
            "second",
            ProtocolConfig {
                candidates: 6,
                from_category: 2,
                seed: 1,
            },
        );
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
        let ids: Vec<&str> = repeat
            .candidates
            .iter()
            .map(|c| c.product.id.as_str())
            .collect();
        let mut by_popularity = ids.clone();
        by_popularity.sort_by_key(|id| std::cmp::Reverse(id[1..].parse::<u32>().unwrap()));
        assert_eq!(ids, by_popularity, "pN has popularity N + 1");

        let cold = &groups[1];
        assert_eq!(cold.candidates[cold.target].product.id, "new");
        assert!(cold.target_new && !cold.target_known);
    }

    #[test]
    fn an_unknown_target_is_not_always_last() {
        let positions: HashSet<usize> = (0..20)
            .map(|seed| {
                let config = ProtocolConfig {
                    candidates: 6,
                    from_category: 2,
                    seed,
                };
                replay("second", config)[1].target
            })
            .collect();
        assert!(positions.len() > 2, "{positions:?}");
    }

    #[test]
    fn a_training_session_is_left_out_of_the_popularity() {
        // Only session t3 engaged with p3: without it, p3 has no popularity.
        let groups = replay("t3", ProtocolConfig::default());
        assert_eq!(groups.len(), 3);
        assert!(groups.iter().all(|g| !g.target_known && !g.target_new));
        assert!(groups.iter().all(|g| g.candidates.len() == 10));
        // The test session sees p3 with its full popularity.
        assert!(replay("second", ProtocolConfig::default())[0].target_known);
    }

    #[test]
    fn history_includes_earlier_sessions() {
        let groups = replay("second", ProtocolConfig::default());
        let group = &groups[0];
        assert_eq!(
            group.features.len(),
            10 * FEATURE_COUNT,
            "the whole catalogue"
        );
        let i = group
            .candidates
            .iter()
            .position(|c| c.product.id == "p1")
            .unwrap();
        let row = &group.features[i * FEATURE_COUNT..(i + 1) * FEATURE_COUNT];
        assert!(row[8] > 0.0, "p1 was viewed in the first session: {row:?}");
    }

    #[test]
    fn is_deterministic_and_draws_from_the_category() {
        let config = ProtocolConfig {
            candidates: 4,
            from_category: 3,
            seed: 9,
        };
        let a = replay("second", config);
        assert_eq!(a, replay("second", config));
        let in_c1 = ["p1", "p3", "p5", "p7", "p9"];
        assert!(
            a[0].candidates
                .iter()
                .all(|c| in_c1.contains(&c.product.id.as_str())),
            "{:?}",
            a[0].candidates
        );
        let differs =
            (10..20).any(|seed| replay("second", ProtocolConfig { seed, ..config })[0] != a[0]);
        assert!(differs, "the seed changes the draws");
    }
}
