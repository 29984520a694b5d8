//! When to build a signal batch and what to do with the answer: the sync schedule, kept apart
//! from the transport so that it is plain, testable Rust.
//!
//! At most one batch is in flight. A batch is built only when the day's privacy budget allows
//! it, and is kept (with the same `batch_id`) until the collector has answered, so a re-send
//! after a network failure or a closed tab is dropped by the collector as a duplicate.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::funnel::{Funnel, FunnelStage};
use crate::profile::Profile;
use crate::signals::{Arm, Entropy, PrivacyBudget, SignalBatch, DEFAULT_DAILY_EPSILON};

/// The version of the stored outbox's shape. Schema 2 holds signal batches of schema 2 and
/// the funnel stage.
pub const OUTBOX_SCHEMA: u32 = 2;

/// How often and how noisily to sync.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyncConfig {
    /// The least time between two batches, in ms.
    pub interval_ms: f64,
    /// The ε one batch spends.
    pub epsilon: f64,
    /// The most ε a shopper spends per UTC day.
    pub daily_epsilon: f64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            interval_ms: 15.0 * 60.0 * 1000.0,
            epsilon: DEFAULT_DAILY_EPSILON,
            daily_epsilon: DEFAULT_DAILY_EPSILON,
        }
    }
}

/// What the transport learned from one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The collector answered with this HTTP status.
    Status(u16),
    /// The request never got an answer (offline, blocked, aborted).
    NetworkError,
    /// `sendBeacon` queued it. The browser delivers queued beacons after the page is gone and
    /// reports nothing back, so the batch counts as handed over; the collector drops a rare
    /// double by its id.
    Beaconed,
}

/// The sync state that persists across page loads.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Outbox {
    schema: u32,
    budget: PrivacyBudget,
    /// The batch waiting for the collector's answer, if any.
    pending: Option<SignalBatch>,
    /// When the last batch was built, ms since the epoch.
    last_built_ms: f64,
    /// How many batches the collector accepted, for the page's ledger.
    delivered: u64,
    /// The furthest widget stage since the last batch was built.
    #[serde(default)]
    funnel: Funnel,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Outbox {
            schema: OUTBOX_SCHEMA,
            ..Outbox::default()
        }
    }

    /// The batch to send now, building one if the interval has passed and the budget allows.
    /// Returns `None` when there is nothing to send.
    pub fn next_batch(
        &mut self,
        profile: &Profile,
        arm: Arm,
        now_ms: f64,
        config: &SyncConfig,
        entropy: &mut dyn Entropy,
    ) -> Option<&SignalBatch> {
        if self.pending.is_none() {
            // A clock set back (now before the last build) must not block sync forever.
            let interval_passed =
                now_ms - self.last_built_ms >= config.interval_ms || now_ms < self.last_built_ms;
            let has_activity = profile.totals.events > 0;
            if interval_passed
                && has_activity
                && self
                    .budget
                    .try_spend(config.epsilon, config.daily_epsilon, now_ms)
            {
                self.pending = Some(SignalBatch::from_profile(
                    profile,
                    arm,
                    self.funnel.take(),
                    config.epsilon,
                    entropy,
                ));
                self.last_built_ms = now_ms;
            }
        }
        self.pending.as_ref()
    }

    /// Records the outcome of sending the pending batch with id `batch_id`.
    ///
    /// A 2xx (accepted or duplicate), a queued beacon and a 4xx the collector will never
    /// accept (400, 401, 403, 404, 410, 413, 415, 422) end the batch; anything else keeps it
    /// for a later try.
    pub fn record(&mut self, batch_id: &str, delivery: Delivery) {
        if self.pending.as_ref().map(|b| b.batch_id.as_str()) != Some(batch_id) {
            return;
        }
        let done = match delivery {
            Delivery::Status(status) if (200..300).contains(&status) => {
                self.delivered += 1;
                true
            }
            Delivery::Beaconed => {
                self.delivered += 1;
                true
            }
            Delivery::Status(400 | 401 | 403 | 404 | 410 | 413 | 415 | 422) => true,
            Delivery::Status(_) | Delivery::NetworkError => false,
        };
        if done {
            self.pending = None;
        }
    }

    /// Drops the unsent batch. The spent budget stays spent: erasing a profile must not buy
    /// a second batch the same day.
    pub fn discard_pending(&mut self) {
        self.pending = None;
    }

    /// Notes that the shopper reached `stage` of a widget's funnel; the next batch reports
    /// the furthest stage since the one before.
    pub fn reach(&mut self, stage: FunnelStage) {
        self.funnel.reach(stage);
    }

    /// The furthest funnel stage since the last batch was built.
    pub fn funnel(&self) -> FunnelStage {
        self.funnel.furthest()
    }

    /// The batch waiting for an answer, if any.
    pub fn pending(&self) -> Option<&SignalBatch> {
        self.pending.as_ref()
    }

    /// How many batches the collector accepted or a beacon carried away from this device.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Serializes the outbox for storage.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("invariant: an outbox always serializes")
    }

    /// Restores a stored outbox.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the text is not an outbox of a known schema.
    pub fn from_json(json: &str) -> Result<Self> {
        let outbox: Outbox =
            serde_json::from_str(json).map_err(|e| Error::Corrupt(format!("outbox: {e}")))?;
        if outbox.schema != OUTBOX_SCHEMA {
            return Err(Error::Corrupt(format!(
                "outbox schema {} is not known",
                outbox.schema
            )));
        }
        if let Some(batch) = &outbox.pending {
            batch
                .validate()
                .map_err(|e| Error::Corrupt(format!("outbox batch: {e}")))?;
        }
        Ok(outbox)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Product};
    use crate::signals::tests::SeededEntropy;

    const DAY: f64 = 86_400_000.0;

    fn active_profile() -> Profile {
        let mut p = Profile::default();
        let product = Product {
            id: "1".into(),
            category: None,
            brand: None,
            price: None,
        };
        p.apply(&Event::ProductViewed { product }, 10.0 * DAY);
        p
    }

    #[test]
    fn one_batch_a_day_by_default_and_resent_until_answered() {
        let profile = active_profile();
        let config = SyncConfig::default();
        let mut entropy = SeededEntropy::new(5);
        let mut outbox = Outbox::new();

        let first = outbox
            .next_batch(
                &profile,
                Arm::Personalized,
                10.0 * DAY,
                &config,
                &mut entropy,
            )
            .unwrap()
            .clone();
        outbox.record(&first.batch_id, Delivery::NetworkError);
        let again = outbox
            .next_batch(
                &profile,
                Arm::Personalized,
                10.1 * DAY,
                &config,
                &mut entropy,
            )
            .unwrap();
        assert_eq!(again.batch_id, first.batch_id, "a retry keeps the batch id");

        outbox.record(&first.batch_id, Delivery::Status(202));
        assert_eq!(outbox.delivered(), 1);
        assert!(outbox
            .next_batch(
                &profile,
                Arm::Personalized,
                10.5 * DAY,
                &config,
                &mut entropy
            )
            .is_none());
        assert!(outbox
            .next_batch(
                &profile,
                Arm::Personalized,
                11.0 * DAY,
                &config,
                &mut entropy
            )
            .is_some());
    }

    #[test]
    fn a_rejected_batch_is_dropped_and_a_server_error_kept() {
        let profile = active_profile();
        let config = SyncConfig {
            daily_epsilon: 100.0,
            interval_ms: 0.0,
            ..SyncConfig::default()
        };
        let mut entropy = SeededEntropy::new(6);
        let mut outbox = Outbox::new();
        let id = outbox
            .next_batch(&profile, Arm::Personalized, DAY, &config, &mut entropy)
            .unwrap()
            .batch_id
            .clone();
        outbox.record(&id, Delivery::Status(503));
        assert!(outbox.pending().is_some());
        outbox.record(&id, Delivery::Status(400));
        assert!(outbox.pending().is_none());
        assert_eq!(outbox.delivered(), 0);
    }

    #[test]
    fn a_queued_beacon_hands_the_batch_over() {
        let mut outbox = Outbox::new();
        let mut entropy = SeededEntropy::new(9);
        let profile = active_profile();
        let config = SyncConfig::default();
        let id = outbox
            .next_batch(&profile, Arm::Personalized, DAY, &config, &mut entropy)
            .unwrap()
            .batch_id
            .clone();
        outbox.record(&id, Delivery::Beaconed);
        assert!(outbox.pending().is_none());
        assert!(outbox
            .next_batch(
                &profile,
                Arm::Personalized,
                1.2 * DAY,
                &config,
                &mut entropy
            )
            .is_none());
    }

    #[test]
    fn nothing_is_sent_before_any_activity() {
        let mut outbox = Outbox::new();
        let mut entropy = SeededEntropy::new(1);
        assert!(outbox
            .next_batch(
                &Profile::default(),
                Arm::Personalized,
                DAY,
                &SyncConfig::default(),
                &mut entropy
            )
            .is_none());
    }

    #[test]
    fn the_funnel_stage_goes_into_one_batch_only() {
        let profile = active_profile();
        let config = SyncConfig {
            daily_epsilon: 1000.0,
            epsilon: 50.0, // so much budget that the noise keeps the truth almost surely
            interval_ms: 0.0,
        };
        let mut entropy = SeededEntropy::new(12);
        let mut outbox = Outbox::new();
        outbox.reach(FunnelStage::CartAdd);
        outbox.reach(FunnelStage::Impression);
        let first = outbox
            .next_batch(&profile, Arm::Holdout, DAY, &config, &mut entropy)
            .unwrap()
            .clone();
        assert_eq!((first.funnel, first.arm), (3, Arm::Holdout));
        assert_eq!(
            outbox.funnel(),
            FunnelStage::None,
            "building the batch reset the stage"
        );
        outbox.record(&first.batch_id, Delivery::Status(202));
        let second = outbox
            .next_batch(&profile, Arm::Holdout, DAY, &config, &mut entropy)
            .unwrap();
        assert_eq!(second.funnel, 0);
    }

    #[test]
    fn round_trips() {
        let mut outbox = Outbox::new();
        let mut entropy = SeededEntropy::new(2);
        outbox.next_batch(
            &active_profile(),
            Arm::Holdout,
            DAY,
            &SyncConfig::default(),
            &mut entropy,
        );
        assert_eq!(Outbox::from_json(&outbox.to_json()).unwrap(), outbox);
        assert!(Outbox::from_json("[]").is_err());
    }
}
