//! How well a scorer ranks the target: HR@10, NDCG@10 and MRR over replayed groups.
//!
//! Each group has one relevant item, so NDCG@10 is `1 / log2(1 + rank)` when the target is in
//! the top ten and zero otherwise, and MRR is the mean of `1 / rank` over the whole list.
//! Every metric is also reported over the targets new to their session (`_new`): repeat
//! views are easy for anything that remembers what was just seen, and the new targets show
//! whether the profile generalizes.

use serde::Serialize;

/// The cut-off of HR and NDCG.
pub const CUTOFF: usize = 10;

/// The 1-based rank of `target` when the items (given in server order) are sorted by
/// descending score, equal scores keeping the server order, as
/// [`rank`](crate::ranker::rank) does. Non-finite scores rank below every finite one.
///
/// # Panics
/// When `target` is not an index of `scores`.
pub fn target_rank(scores: &[f32], target: usize) -> usize {
    let key = |s: f32| if s.is_finite() { s } else { f32::NEG_INFINITY };
    let own = key(scores[target]);
    let ahead = scores
        .iter()
        .enumerate()
        .filter(|&(i, &s)| key(s) > own || (key(s) == own && i < target))
        .count();
    ahead + 1
}

/// Sums of one population of groups.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sums {
    groups: usize,
    hits: f64,
    gain: f64,
    reciprocal: f64,
}

impl Sums {
    fn add(&mut self, rank: usize) {
        self.groups += 1;
        if rank <= CUTOFF {
            self.hits += 1.0;
            self.gain += 1.0 / (1.0 + rank as f64).log2();
        }
        self.reciprocal += 1.0 / rank as f64;
    }

    fn mean(total: f64, groups: usize) -> f64 {
        if groups == 0 {
            0.0
        } else {
            total / groups as f64
        }
    }
}

/// Collects target ranks and turns them into [`RankingMetrics`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsAccumulator {
    all: Sums,
    new: Sums,
}

impl MetricsAccumulator {
    /// Records the 1-based `rank` of one group's target; `target_new` when the target was
    /// not yet seen in its session.
    ///
    /// # Panics
    /// When `rank` is zero.
    pub fn add(&mut self, rank: usize, target_new: bool) {
        assert!(rank >= 1, "invariant: ranks start at 1");
        self.all.add(rank);
        if target_new {
            self.new.add(rank);
        }
    }

    /// The means so far; zero for a population without groups.
    pub fn finish(&self) -> RankingMetrics {
        let (all, new) = (self.all, self.new);
        RankingMetrics {
            hr_at_10: Sums::mean(all.hits, all.groups),
            ndcg_at_10: Sums::mean(all.gain, all.groups),
            mrr: Sums::mean(all.reciprocal, all.groups),
            hr_at_10_new: Sums::mean(new.hits, new.groups),
            ndcg_at_10_new: Sums::mean(new.gain, new.groups),
            mrr_new: Sums::mean(new.reciprocal, new.groups),
            groups: all.groups,
            groups_new: new.groups,
        }
    }
}

/// Ranking quality over a set of groups. Serialized with the names `models/metrics.json`
/// uses (`hr@10`, `ndcg@10_new`, …).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RankingMetrics {
    /// Share of targets ranked in the top ten.
    #[serde(rename = "hr@10")]
    pub hr_at_10: f64,
    /// Mean NDCG@10.
    #[serde(rename = "ndcg@10")]
    pub ndcg_at_10: f64,
    /// Mean reciprocal rank, over the whole list.
    pub mrr: f64,
    /// HR@10 over targets new to the session.
    #[serde(rename = "hr@10_new")]
    pub hr_at_10_new: f64,
    /// NDCG@10 over targets new to the session.
    #[serde(rename = "ndcg@10_new")]
    pub ndcg_at_10_new: f64,
    /// MRR over targets new to the session.
    pub mrr_new: f64,
    /// How many groups.
    pub groups: usize,
    /// How many of them have a target new to the session.
    pub groups_new: usize,
}

impl std::fmt::Display for RankingMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "HR@10 {:.4}  NDCG@10 {:.4}  MRR {:.4}  | new: HR@10 {:.4}  NDCG@10 {:.4}  \
             MRR {:.4}  ({} groups, {} new)",
            self.hr_at_10,
            self.ndcg_at_10,
            self.mrr,
            self.hr_at_10_new,
            self.ndcg_at_10_new,
            self.mrr_new,
            self.groups,
            self.groups_new
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_break_ties_by_server_order() {
        assert_eq!(target_rank(&[0.1, 0.9, 0.5], 1), 1);
        assert_eq!(target_rank(&[0.1, 0.9, 0.5], 0), 3);
        assert_eq!(target_rank(&[1.0, 1.0, 1.0], 2), 3);
        assert_eq!(target_rank(&[1.0, 1.0, 1.0], 0), 1);
        assert_eq!(target_rank(&[f32::NAN, 0.0], 0), 2);
        assert_eq!(target_rank(&[f32::NAN, f32::NEG_INFINITY], 1), 2);
    }

    #[test]
    fn computes_the_three_metrics() {
        let mut acc = MetricsAccumulator::default();
        acc.add(1, true);
        acc.add(3, false);
        acc.add(20, true);
        let m = acc.finish();
        assert_eq!((m.groups, m.groups_new), (3, 2));
        assert!((m.hr_at_10 - 2.0 / 3.0).abs() < 1e-12);
        assert!(
            (m.ndcg_at_10 - (1.0 + 0.5) / 3.0).abs() < 1e-12,
            "1/log2(4) = 0.5"
        );
        assert!((m.mrr - (1.0 + 1.0 / 3.0 + 0.05) / 3.0).abs() < 1e-12);
        assert!((m.hr_at_10_new - 0.5).abs() < 1e-12);
        assert!((m.mrr_new - 1.05 / 2.0).abs() < 1e-12);
    }

    #[test]
    fn empty_populations_give_zero() {
        let m = MetricsAccumulator::default().finish();
        assert_eq!((m.hr_at_10, m.mrr_new, m.groups), (0.0, 0.0, 0));
    }
}
