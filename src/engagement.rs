//! How engaged a shopper is: recency, frequency and depth of their visits, on the device only.
//!
//! The page reads an [`EngagementEstimate`] through the SDK's documented hook and may show its
//! own retention nudge (a reminder, a coupon). Nothing here is ever synced: the signal batch
//! carries only a coarse, noised band computed elsewhere (`signals::engagement_band`).
//!
//! The estimate is a transparent heuristic, not a learned model: each factor is a saturating
//! curve of one observable, so a privacy team (or the shopper) can see why a score is what it
//! is. The constants are the time scales a store would reason in: a month of visits, two
//! weeks of absence, a handful of actions per visit.

use crate::affinity::Decayed;
use crate::error::{Error, Result};
use crate::json::{Object, Value};
use crate::number::Shortest;
use crate::stored::Fields;

/// Visits and actions fade by half over 30 days: "frequency" means recent frequency.
pub const ENGAGEMENT_HALF_LIFE_MS: f64 = 30.0 * DAY_MS;

const DAY_MS: f64 = 86_400_000.0;
/// Days of absence over which the recency factor falls to 1/e.
const RECENCY_SCALE_DAYS: f64 = 14.0;
/// Visits (decayed) at which the frequency factor reaches 1 - 1/e.
const FREQUENCY_SCALE_VISITS: f64 = 3.0;
/// Actions per visit at which the depth factor reaches 1 - 1/e.
const DEPTH_SCALE_ACTIONS: f64 = 8.0;
/// Commitments (cart adds, checkouts, orders; decayed) at which that factor reaches 1 - 1/e.
const COMMITMENT_SCALE: f64 = 2.0;

/// What a shopper did that engagement counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Any accepted event that shows no commitment (a view, a search, an impression…).
    Browse,
    /// A cart addition, a checkout or an order.
    Commit,
}

/// The engagement state stored in the profile.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Engagement {
    /// Visits, decayed: frequency.
    visits: Decayed,
    /// Events, decayed; with `visits`, the depth of a visit.
    actions: Decayed,
    /// Commitments, decayed.
    commitments: Decayed,
    /// When the visit before the current one ended, ms since the epoch; 0 before a second
    /// visit.
    previous_visit_end_ms: f64,
    /// When the latest event happened.
    last_event_ms: f64,
}

/// The engagement estimate the page sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngagementEstimate {
    /// Days between the previous visit's end and the latest activity (0 for a first visit).
    pub recency_days: f64,
    /// Days since the latest activity.
    pub idle_days: f64,
    /// Visits over the last month or so (decayed count).
    pub visits: f64,
    /// Mean actions per visit (decayed).
    pub depth: f64,
    /// Engagement from 0 (none) to 1.
    pub score: f64,
    /// From 0 to 1: how likely this shopper is drifting away, given how engaged they were.
    pub churn_risk: f64,
    /// A label for the page: `"new"`, `"engaged"`, `"casual"`, `"at_risk"` or `"lapsed"`.
    pub level: &'static str,
}

impl EngagementEstimate {
    /// The estimate as the page's `engagement()` shows it.
    pub fn to_value(&self) -> Value {
        Object::new()
            .with("recency_days", self.recency_days)
            .with("idle_days", self.idle_days)
            .with("visits", self.visits)
            .with("depth", self.depth)
            .with("score", self.score)
            .with("churn_risk", self.churn_risk)
            .with("level", self.level)
            .into()
    }
}

impl Engagement {
    /// The stored form.
    pub fn to_value(&self) -> Value {
        Object::new()
            .with("visits", self.visits.to_value())
            .with("actions", self.actions.to_value())
            .with("commitments", self.commitments.to_value())
            .with("previous_visit_end_ms", self.previous_visit_end_ms)
            .with("last_event_ms", self.last_event_ms)
            .into()
    }

    /// The stored state in field `key` of `fields`; its bounds are [`Self::check`]'s.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming the field when it is not of the stored form.
    pub fn read(fields: &Fields, key: &str) -> Result<Self> {
        let fields = fields.object(key)?;
        Ok(Engagement {
            visits: Decayed::read(&fields, "visits")?,
            actions: Decayed::read(&fields, "actions")?,
            commitments: Decayed::read(&fields, "commitments")?,
            previous_visit_end_ms: fields.number("previous_visit_end_ms")?,
            last_event_ms: fields.number("last_event_ms")?,
        })
    }

    /// Checks state read from storage: every count and time finite, no count negative.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming the field.
    pub fn check(&self) -> Result<()> {
        self.visits.check("engagement.visits")?;
        self.actions.check("engagement.actions")?;
        self.commitments.check("engagement.commitments")?;
        for (name, ms) in [
            ("previous_visit_end_ms", self.previous_visit_end_ms),
            ("last_event_ms", self.last_event_ms),
        ] {
            if !ms.is_finite() {
                return Err(Error::Corrupt(format!(
                    "profile engagement.{name}: {}",
                    Shortest(ms)
                )));
            }
        }
        Ok(())
    }

    /// Counts one accepted event at `now_ms`; `new_visit` when it starts a session.
    pub fn record(&mut self, action: Action, now_ms: f64, new_visit: bool) {
        let half_life = ENGAGEMENT_HALF_LIFE_MS;
        if new_visit {
            if self.last_event_ms > 0.0 {
                self.previous_visit_end_ms = self.last_event_ms;
            }
            self.visits.add(1.0, now_ms, half_life);
        }
        self.actions.add(1.0, now_ms, half_life);
        if action == Action::Commit {
            self.commitments.add(1.0, now_ms, half_life);
        }
        self.last_event_ms = self.last_event_ms.max(now_ms);
    }

    /// A state that matches lifetime counters kept before engagement was tracked, as if they
    /// all happened at `at_ms`: the migration from profile schema 1.
    pub fn seeded(visits: u64, actions: u64, commitments: u64, at_ms: f64) -> Self {
        let at = |value: u64| Decayed {
            value: value as f64,
            at_ms,
        };
        Engagement {
            visits: at(visits),
            actions: at(actions),
            commitments: at(commitments),
            previous_visit_end_ms: 0.0,
            last_event_ms: at_ms,
        }
    }

    /// The estimate as of `now_ms`.
    pub fn estimate(&self, now_ms: f64) -> EngagementEstimate {
        let half_life = ENGAGEMENT_HALF_LIFE_MS;
        let now = now_ms.max(self.last_event_ms);
        let visits = self.visits.at(now, half_life);
        let actions = self.actions.at(now, half_life);
        let commitments = self.commitments.at(now, half_life);
        let depth = if visits > 1e-9 { actions / visits } else { 0.0 };
        let idle_days = if self.last_event_ms > 0.0 {
            (now - self.last_event_ms) / DAY_MS
        } else {
            0.0
        };
        let recency_days = if self.previous_visit_end_ms > 0.0 {
            ((self.last_event_ms - self.previous_visit_end_ms) / DAY_MS).max(0.0)
        } else {
            0.0
        };

        let saturate = |x: f64, scale: f64| 1.0 - (-x / scale).exp();
        let recency = (-idle_days / RECENCY_SCALE_DAYS).exp();
        let frequency = saturate(visits, FREQUENCY_SCALE_VISITS);
        let deep = saturate(depth, DEPTH_SCALE_ACTIONS);
        let committed = saturate(commitments, COMMITMENT_SCALE);
        let score = if actions > 1e-9 {
            0.4 * recency + 0.3 * frequency + 0.2 * deep + 0.1 * committed
        } else {
            0.0
        };
        // Someone who came often and has gone quiet is at risk; a one-off visitor who never
        // came back was never engaged, so their absence says less.
        let habit = 0.5 * frequency + 0.3 * deep + 0.2 * committed;
        let churn_risk = ((1.0 - recency) * habit.max(0.25)).clamp(0.0, 1.0);
        // A first visit is "new" even with an order in it: there is no habit to judge yet.
        let level = if actions <= 1e-9 || (visits < 1.5 && idle_days < 1.0) {
            "new"
        } else if idle_days > 4.0 * RECENCY_SCALE_DAYS {
            "lapsed"
        } else if churn_risk > 0.3 {
            "at_risk"
        } else if score > 0.6 {
            "engaged"
        } else {
            "casual"
        };
        EngagementEstimate {
            recency_days,
            idle_days,
            visits,
            depth,
            score,
            churn_risk,
            level,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(e: &mut Engagement, day: f64, actions: usize, commit: bool) {
        for i in 0..actions {
            let action = if commit && i == actions - 1 {
                Action::Commit
            } else {
                Action::Browse
            };
            e.record(action, day * DAY_MS + i as f64 * 60_000.0, i == 0);
        }
    }

    #[test]
    fn nothing_recorded_is_new_with_no_score() {
        let estimate = Engagement::default().estimate(1e12);
        assert_eq!(estimate.level, "new");
        assert_eq!(estimate.score, 0.0);
    }

    #[test]
    fn a_regular_shopper_is_engaged_and_at_little_risk() {
        let mut e = Engagement::default();
        for day in [1.0, 3.0, 6.0, 8.0, 10.0] {
            visit(&mut e, day, 12, day == 8.0);
        }
        let estimate = e.estimate(10.1 * DAY_MS);
        assert_eq!(estimate.level, "engaged", "{estimate:?}");
        assert!(estimate.churn_risk < 0.1, "{estimate:?}");
        assert!((estimate.recency_days - 2.0).abs() < 0.05, "{estimate:?}");
        assert!(estimate.depth > 10.0, "{estimate:?}");
    }

    #[test]
    fn the_same_shopper_gone_quiet_is_at_risk_then_lapsed() {
        let mut e = Engagement::default();
        for day in [1.0, 3.0, 6.0, 8.0, 10.0] {
            visit(&mut e, day, 12, false);
        }
        let quiet = e.estimate(30.0 * DAY_MS);
        assert_eq!(quiet.level, "at_risk", "{quiet:?}");
        let gone = e.estimate(80.0 * DAY_MS);
        assert_eq!(gone.level, "lapsed", "{gone:?}");
        assert!(gone.score < quiet.score);
    }

    #[test]
    fn a_one_off_visitor_is_less_at_risk_than_a_regular() {
        let mut once = Engagement::default();
        visit(&mut once, 1.0, 3, false);
        let mut regular = Engagement::default();
        for day in [1.0, 2.0, 3.0, 4.0] {
            visit(&mut regular, day, 10, false);
        }
        let later = 25.0 * DAY_MS;
        assert!(once.estimate(later).churn_risk < regular.estimate(later).churn_risk);
    }

    #[test]
    fn every_figure_stays_in_range_on_odd_clocks() {
        let mut e = Engagement::default();
        e.record(Action::Browse, 5e12, true);
        e.record(Action::Commit, 1.0, true); // a clock that jumped back decays nothing
        for now in [0.0, 1.0, 5e12, 1e15, f64::MAX] {
            let estimate = e.estimate(now);
            for v in [estimate.score, estimate.churn_risk] {
                assert!((0.0..=1.0).contains(&v), "{estimate:?} at {now}");
            }
            assert!(estimate.idle_days >= 0.0 && estimate.recency_days >= 0.0);
        }
    }
}
