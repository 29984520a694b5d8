//! The evaluation loop: replay sessions, rank every list with each ranker, keep the metrics.
//!
//! `vitrine-dataset` (baseline metrics next to its training rows) and `vitrine-eval` (every
//! format, the model included) both run [`replay_sessions`], so a change of the protocol,
//! the features or the rule moves both sets of figures together. A ranker is just a score
//! per candidate; its rank of the target is [`target_rank`]: descending score, ties in
//! server order.

use std::ops::Range;

use serde_json::{json, Map, Value};

use crate::offline::candidates::{Group, Replay};
use crate::offline::metrics::{target_rank, MetricsAccumulator, RankingMetrics};
use crate::ranker::rule_scores;

/// Scores one list's feature rows (row-major): the model, behind whatever runtime loads it.
pub type Scorer<'a, E> = &'a dyn Fn(&[f32]) -> Result<Vec<f32>, E>;

/// Metrics of several named rankers over the same lists, plus counts of those lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Scoreboard {
    rankers: Vec<(&'static str, MetricsAccumulator)>,
    /// Lists ranked.
    pub groups: usize,
    /// Candidates in them.
    pub rows: usize,
    /// Lists whose target the training catalogue has (a popularity above zero).
    pub known_targets: usize,
}

impl Scoreboard {
    /// An empty board for rankers of these names, in report order.
    pub fn new(names: &[&'static str]) -> Self {
        Scoreboard {
            rankers: names
                .iter()
                .map(|&n| (n, MetricsAccumulator::default()))
                .collect(),
            groups: 0,
            rows: 0,
            known_targets: 0,
        }
    }

    /// Records one list: `scores[k]` are ranker `k`'s scores of `group`'s candidates.
    ///
    /// # Panics
    /// When `scores` does not hold one slice per ranker, or a slice is shorter than the
    /// list: both are programming errors of the caller.
    pub fn record(&mut self, group: &Group, scores: &[&[f32]]) {
        assert_eq!(
            scores.len(),
            self.rankers.len(),
            "invariant: one score list per ranker"
        );
        for ((_, metrics), scores) in self.rankers.iter_mut().zip(scores) {
            metrics.add(target_rank(scores, group.target), group.target_new);
        }
        self.groups += 1;
        self.rows += group.candidates.len();
        self.known_targets += usize::from(group.target_known);
    }

    /// The metrics of the ranker called `name`, if the board has one.
    pub fn metrics(&self, name: &str) -> Option<RankingMetrics> {
        self.rankers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| m.finish())
    }

    /// Every ranker's metrics, in report order.
    pub fn results(&self) -> Vec<(&'static str, RankingMetrics)> {
        self.rankers.iter().map(|(n, m)| (*n, m.finish())).collect()
    }

    /// One JSON object: each ranker's name → its [`metrics_json`], and the counts.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        for (name, metrics) in self.results() {
            object.insert(name.to_string(), metrics_json(&metrics));
        }
        let new = self.results().first().map_or(0, |(_, m)| m.groups_new);
        object.insert("groups".into(), json!(self.groups));
        object.insert("groups_new".into(), json!(new));
        object.insert("candidates".into(), json!(self.rows));
        object.insert("targets_seen_in_training".into(), json!(self.known_targets));
        Value::Object(object)
    }

    /// A table for people: one line per ranker.
    pub fn table(&self) -> String {
        let mut text = format!(
            "{:<12} {:>7} {:>8} {:>7} | {:>7} {:>8} {:>7}\n",
            "ranker", "HR@10", "NDCG@10", "MRR", "HR_new", "NDCG_new", "MRR_new"
        );
        for (name, m) in self.results() {
            text.push_str(&format!(
                "{name:<12} {:>7.4} {:>8.4} {:>7.4} | {:>7.4} {:>8.4} {:>7.4}\n",
                m.hr_at_10, m.ndcg_at_10, m.mrr, m.hr_at_10_new, m.ndcg_at_10_new, m.mrr_new
            ));
        }
        let new = self.results().first().map_or(0, |(_, m)| m.groups_new);
        text.push_str(&format!(
            "{} lists of {} candidates on average; {} with a target new to its session,\n\
             {} with a target training had seen\n",
            self.groups,
            self.rows.checked_div(self.groups).unwrap_or(0),
            new,
            self.known_targets
        ));
        text
    }
}

/// The six metrics under the names the `vitrine-eval` JSON promises.
pub fn metrics_json(m: &RankingMetrics) -> Value {
    json!({
        "hr10": m.hr_at_10,
        "ndcg10": m.ndcg_at_10,
        "mrr": m.mrr,
        "hr10_new": m.hr_at_10_new,
        "ndcg10_new": m.ndcg_at_10_new,
        "mrr_new": m.mrr_new,
        "groups": m.groups,
        "groups_new": m.groups_new,
    })
}

/// Scores that rank a list exactly in its server order (the list is given in that order).
pub fn server_scores(candidates: usize) -> Vec<f32> {
    (0..candidates).map(|i| -(i as f32)).collect()
}

/// Replays `sessions` of `replay` and ranks each list with the server order, the rule
/// ([`rule_scores`]) and, when given, the `model`: a board named `server`, `rule`, `model`.
///
/// `on_group` sees each list with its rule scores (`vitrine-dataset` writes them out);
/// `progress` is told `(sessions done, sessions in all)` after each session.
///
/// # Errors
/// The first error of the model or of `on_group`, which stops the replay.
pub fn replay_sessions<E>(
    replay: &Replay<'_>,
    sessions: Range<usize>,
    model: Option<Scorer<'_, E>>,
    mut on_group: impl FnMut(&Group, &[f32]) -> Result<(), E>,
    mut progress: impl FnMut(usize, usize),
) -> Result<Scoreboard, E> {
    let names: &[&'static str] = if model.is_some() {
        &["server", "rule", "model"]
    } else {
        &["server", "rule"]
    };
    let mut board = Scoreboard::new(names);
    let total = sessions.len();
    for (done, index) in sessions.enumerate() {
        for group in replay.groups(index) {
            let server = server_scores(group.candidates.len());
            let rule = rule_scores(&group.features);
            on_group(&group, &rule)?;
            match model {
                Some(model) => {
                    let learned = model(&group.features)?;
                    board.record(&group, &[&server, &rule, &learned]);
                }
                None => board.record(&group, &[&server, &rule]),
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
    use crate::offline::rees46;

    fn log() -> Vec<crate::offline::session::ShopperSession> {
        let mut rows = vec![rees46::COLUMNS.join(",")];
        for (i, (user, product)) in [("a", 1), ("b", 2), ("a", 1), ("c", 3), ("a", 2), ("a", 1)]
            .iter()
            .enumerate()
        {
            let session = if i < 3 { "s1" } else { "s2" };
            rows.push(format!(
                "2019-10-01 00:00:0{i} UTC,view,p{product},c,,,1.0,{user},{session}{user}"
            ));
        }
        rees46::read(rows.join("\n").as_bytes()).unwrap().sessions
    }

    #[test]
    fn the_server_scores_reproduce_the_server_order() {
        let scores = server_scores(5);
        assert!((0..5).all(|i| target_rank(&scores, i) == i + 1));
    }

    #[test]
    fn ranks_every_list_with_every_ranker() {
        let sessions = log();
        let replay = Replay::new(&sessions, 3, ProtocolConfig::default());
        let constant = |rows: &[f32]| Ok::<_, String>(vec![0.0; rows.len() / 13]);
        let mut seen = 0;
        let mut reports = Vec::new();
        let board = replay_sessions(
            &replay,
            3..sessions.len(),
            Some(&constant),
            |_, _| {
                seen += 1;
                Ok(())
            },
            |done, total| reports.push((done, total)),
        )
        .unwrap();
        assert_eq!(board.groups, seen);
        assert!(board.groups > 0);
        let server = board.metrics("server").unwrap();
        let model = board.metrics("model").unwrap();
        assert_eq!(server, model, "a constant score keeps the server order");
        assert_eq!(
            reports.last(),
            Some(&(sessions.len() - 3, sessions.len() - 3))
        );
        let json = board.to_json();
        for key in ["server", "rule", "model"] {
            assert!(json[key]["ndcg10"].is_f64(), "{json}");
        }
    }

    #[test]
    fn stops_at_the_first_model_error() {
        let sessions = log();
        let replay = Replay::new(&sessions, 3, ProtocolConfig::default());
        let failing = |_: &[f32]| Err::<Vec<f32>, _>("broken".to_string());
        let result = replay_sessions(
            &replay,
            3..sessions.len(),
            Some(&failing),
            |_, _| Ok(()),
            |_, _| {},
        );
        assert_eq!(result.unwrap_err(), "broken");
    }
}
