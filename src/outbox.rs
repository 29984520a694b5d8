//! When to build a signal batch, where it waits until the collector takes it, and what an
//! answer means: the sync schedule, kept apart from the transport so that it is plain,
//! testable Rust.
//!
//! A batch is built only when the interval has passed and the day's privacy budget allows
//! it. It then waits in a bounded queue, with the same `batch_id`, until the collector has
//! answered, so a re-send after a network failure or a closed tab is dropped by the collector
//! as a duplicate. A failed attempt is retried after an exponential backoff with jitter
//! ([`Backoff`]); an answer that will never change (400, 401, 403, 404, 410, 413, 415, 422)
//! drops the batch at once.
//!
//! The queue is what an offline device accumulates, so it is bounded three ways, and never
//! fills the host page's storage: at most [`QUEUE_MAX_BATCHES`] batches, at most
//! [`QUEUE_MAX_BYTES`] of batch JSON, none older than [`QUEUE_MAX_AGE_MS`]. The oldest goes
//! first: a dropped batch is privacy budget spent for nothing, never data sent twice.

use crate::backoff::Backoff;
use crate::error::{Error, Result};
use crate::funnel::{Funnel, FunnelStage};
use crate::json::{Object, Value};
use crate::profile::Profile;
use crate::signals::{Arm, Entropy, PrivacyBudget, SignalBatch, DEFAULT_DAILY_EPSILON};
use crate::stored::{self, Fields};

/// The version of the stored outbox's shape. Schema 2 holds a queue of schema 2 signal
/// batches and the funnel stage.
pub const OUTBOX_SCHEMA: u32 = 2;
/// The most batches the queue keeps. At the default schedule (one batch per day) that is a
/// week offline.
pub const QUEUE_MAX_BATCHES: usize = 8;
/// The most batch JSON the queue keeps, in bytes: a batch is about 200, the collector's
/// limit 16 KB, so real batches never hit it; it bounds a tampered or future-schema store.
pub const QUEUE_MAX_BYTES: usize = 8 * 1024;
/// A batch older than this is dropped unsent: a week-old aggregate says little, and the
/// ledger's retention should not have to outlive it.
pub const QUEUE_MAX_AGE_MS: f64 = 7.0 * 86_400_000.0;

/// How often and how noisily to sync.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyncConfig {
    /// The least time between two batches, in ms.
    pub interval_ms: f64,
    /// The ε one batch spends.
    pub epsilon: f64,
    /// The most ε a shopper spends per UTC day.
    pub daily_epsilon: f64,
    /// The retry schedule.
    pub backoff: Backoff,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            interval_ms: 15.0 * 60.0 * 1000.0,
            epsilon: DEFAULT_DAILY_EPSILON,
            daily_epsilon: DEFAULT_DAILY_EPSILON,
            backoff: Backoff::default(),
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
    /// Handed to the browser as the page went away: a keepalive request that the browser
    /// finishes after the page is gone, whose answer the page does not hear. The batch counts
    /// as delivered (resending it from every next page would send it again at each
    /// navigation); the collector drops a rare double by its id.
    HandedOver,
}

impl Delivery {
    /// Whether the batch is done with: taken, or refused for good.
    pub fn is_final(self) -> bool {
        match self {
            Delivery::Status(status) => {
                (200..300).contains(&status)
                    || matches!(status, 400 | 401 | 403 | 404 | 410 | 413 | 415 | 422)
            }
            Delivery::HandedOver => true,
            Delivery::NetworkError => false,
        }
    }

    /// Whether the collector has (or will have) the batch.
    pub fn is_delivered(self) -> bool {
        matches!(self, Delivery::HandedOver)
            || matches!(self, Delivery::Status(s) if (200..300).contains(&s))
    }
}

/// A batch waiting for the collector.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    /// The batch, exactly as it will be sent.
    pub batch: SignalBatch,
    /// When it was built, ms since the epoch: its age for [`QUEUE_MAX_AGE_MS`].
    pub built_ms: f64,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not to be sent before this time, ms since the epoch (the backoff).
    pub next_attempt_ms: f64,
}

/// The sync state that persists across page loads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outbox {
    schema: u32,
    budget: PrivacyBudget,
    /// Batches built but not yet taken by the collector, oldest first.
    queue: Vec<Queued>,
    /// When the last batch was built, ms since the epoch.
    last_built_ms: f64,
    /// How many batches the collector accepted, for the page's ledger.
    delivered: u64,
    /// The furthest widget stage since the last batch was built.
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

    /// An empty outbox whose budget for the UTC day of `now_ms` is all spent: what replaces a
    /// stored outbox that cannot be read (corrupt, or written by another version). That
    /// record may have spent the day's budget already, and a second batch the same day would
    /// spend it twice; the next day's budget is whole again.
    pub fn with_day_spent(now_ms: f64, daily_limit: f64) -> Self {
        Outbox {
            budget: PrivacyBudget::spent_for_the_day(daily_limit, now_ms),
            ..Outbox::new()
        }
    }

    /// The batch to send now: builds one into the queue if the interval has passed and the
    /// budget allows, then returns the oldest queued batch whose backoff has elapsed.
    /// Returns `None` when there is nothing to send yet.
    pub fn next_batch(
        &mut self,
        profile: &Profile,
        arm: Arm,
        now_ms: f64,
        config: &SyncConfig,
        entropy: &mut dyn Entropy,
    ) -> Option<&SignalBatch> {
        self.expire(now_ms);
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
            let batch = SignalBatch::from_profile(
                profile,
                arm,
                self.funnel.take(),
                config.epsilon,
                entropy,
            );
            self.queue.push(Queued {
                batch,
                built_ms: now_ms,
                attempts: 0,
                next_attempt_ms: now_ms,
            });
            self.last_built_ms = now_ms;
            self.enforce_bounds();
        }
        self.due(now_ms)
    }

    /// The oldest queued batch whose backoff has elapsed at `now_ms`. A clock set back before
    /// a batch was built makes it due: the wait must not grow with the clock's error.
    pub fn due(&self, now_ms: f64) -> Option<&SignalBatch> {
        self.queue
            .iter()
            .find(|q| q.next_attempt_ms <= now_ms || now_ms < q.built_ms)
            .map(|q| &q.batch)
    }

    /// Records the outcome of sending the queued batch with id `batch_id` at `now_ms`; `u` is
    /// a uniform draw in `[0, 1)` for the backoff's jitter.
    ///
    /// A 2xx (accepted or duplicate), a batch handed over as the page went away and a 4xx
    /// the collector will never accept end the batch; anything else keeps it, not to be
    /// re-sent before the backoff.
    pub fn record(
        &mut self,
        batch_id: &str,
        delivery: Delivery,
        now_ms: f64,
        u: f64,
        backoff: &Backoff,
    ) {
        let Some(index) = self.queue.iter().position(|q| q.batch.batch_id == batch_id) else {
            return;
        };
        if delivery.is_delivered() {
            self.delivered += 1;
        }
        if delivery.is_final() {
            self.queue.remove(index);
        } else {
            let queued = &mut self.queue[index];
            queued.attempts = queued.attempts.saturating_add(1);
            queued.next_attempt_ms = now_ms + backoff.delay_ms(queued.attempts, u);
        }
    }

    /// Drops every unsent batch and the funnel stage: consent was revoked, or the profile
    /// erased. The spent budget stays spent: that must not buy a second batch the same day.
    pub fn purge(&mut self) {
        self.queue.clear();
        self.funnel = Funnel::default();
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

    /// The oldest batch waiting for an answer, if any.
    pub fn pending(&self) -> Option<&SignalBatch> {
        self.queue.first().map(|q| &q.batch)
    }

    /// Every batch waiting, oldest first, whatever its backoff.
    pub fn queued(&self) -> impl Iterator<Item = &Queued> {
        self.queue.iter()
    }

    /// Whether the batch with this id is still waiting.
    pub fn holds(&self, batch_id: &str) -> bool {
        self.queue.iter().any(|q| q.batch.batch_id == batch_id)
    }

    /// How many batches the collector accepted, or the browser took as a page went away,
    /// from this device.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Serializes the outbox for storage.
    pub fn to_json(&self) -> String {
        let queue: Vec<Value> = self
            .queue
            .iter()
            .map(|q| {
                Object::new()
                    .with("batch", q.batch.to_value())
                    .with("built_ms", q.built_ms)
                    .with("attempts", q.attempts)
                    .with("next_attempt_ms", q.next_attempt_ms)
                    .into()
            })
            .collect();
        let budget = Object::new()
            .with("day", self.budget.day as f64)
            .with("spent", self.budget.spent);
        Value::from(
            Object::new()
                .with("schema", self.schema)
                .with("budget", budget)
                .with("queue", queue)
                .with("last_built_ms", self.last_built_ms)
                .with("delivered", self.delivered)
                .with(
                    "funnel",
                    Object::new().with("furthest", self.funnel.furthest().name()),
                ),
        )
        .to_json()
    }

    /// Restores a stored outbox. A queue over its bounds (written by a tampered or future
    /// store) is cut to them, oldest first, rather than refused.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the text is not an outbox of a known schema, or holds a batch
    /// that would not validate or a time that is not finite.
    pub fn from_json(json: &str) -> Result<Self> {
        let value = stored::parse("outbox", json)?;
        let mut outbox = Outbox::from_value(&value)?;
        if outbox.schema != OUTBOX_SCHEMA {
            return Err(Error::Corrupt(format!(
                "outbox schema {} is not known",
                outbox.schema
            )));
        }
        for (i, queued) in outbox.queue.iter().enumerate() {
            queued
                .batch
                .validate()
                .map_err(|e| Error::Corrupt(format!("outbox queue[{i}]: {e}")))?;
            if !(queued.built_ms.is_finite() && queued.next_attempt_ms.is_finite()) {
                return Err(Error::Corrupt(format!(
                    "outbox queue[{i}]: a time is not finite"
                )));
            }
        }
        if !(outbox.last_built_ms.is_finite() && outbox.budget.spent.is_finite()) {
            return Err(Error::Corrupt("outbox: a number is not finite".to_owned()));
        }
        outbox.enforce_bounds();
        Ok(outbox)
    }

    /// The outbox's fields, of their types; their bounds are checked by `from_json`.
    fn from_value(value: &Value) -> Result<Self> {
        let fields = Fields::of(value, "outbox")?.only(&[
            "schema",
            "budget",
            "queue",
            "last_built_ms",
            "delivered",
            "funnel",
        ])?;
        // The budget and the funnel never refused fields they did not know, unlike the
        // outbox and its queue.
        let budget = fields.object("budget")?;
        let day = budget.number("day")?;
        if day.fract() != 0.0 || day.abs() > 9_007_199_254_740_992.0 {
            // Past 2^53 a day number would saturate, and the budget would never roll over.
            return Err(budget.corrupt("day", "expected a whole number of days"));
        }
        let funnel = fields.object("funnel")?;
        let furthest = FunnelStage::from_name(&funnel.string("furthest")?)
            .ok_or_else(|| funnel.corrupt("furthest", "expected a funnel stage"))?;
        let queue = fields.list("queue", |at, queued| {
            let queued = Fields::of(queued, at.as_str())?.only(&[
                "batch",
                "built_ms",
                "attempts",
                "next_attempt_ms",
            ])?;
            Ok(Queued {
                batch: SignalBatch::from_value(queued.value("batch")?, &format!("{at}.batch"))?,
                built_ms: queued.number("built_ms")?,
                attempts: queued.small("attempts")?,
                next_attempt_ms: queued.number("next_attempt_ms")?,
            })
        })?;
        Ok(Outbox {
            schema: fields.small("schema")?,
            budget: PrivacyBudget {
                day: day as i64,
                spent: budget.number("spent")?,
            },
            queue,
            last_built_ms: fields.number("last_built_ms")?,
            delivered: fields.count("delivered")?,
            funnel: Funnel::at(furthest),
        })
    }

    fn expire(&mut self, now_ms: f64) {
        self.queue
            .retain(|q| now_ms - q.built_ms <= QUEUE_MAX_AGE_MS);
    }

    fn enforce_bounds(&mut self) {
        if self.queue.len() > QUEUE_MAX_BATCHES {
            self.queue.drain(..self.queue.len() - QUEUE_MAX_BATCHES);
        }
        let size = |q: &Queued| q.batch.to_json().len();
        let mut bytes: usize = self.queue.iter().map(size).sum();
        while bytes > QUEUE_MAX_BYTES && !self.queue.is_empty() {
            bytes -= size(&self.queue.remove(0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Product};
    use crate::signals::tests::SeededEntropy;

    const DAY: f64 = 86_400_000.0;
    const ARM: Arm = Arm::Personalized;

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

    /// A schedule that builds a batch at every call.
    fn eager() -> SyncConfig {
        SyncConfig {
            daily_epsilon: 1000.0,
            interval_ms: 0.0,
            ..SyncConfig::default()
        }
    }

    fn send(outbox: &mut Outbox, config: &SyncConfig, now: f64, seed: u64) -> Option<String> {
        let mut entropy = SeededEntropy::new(seed);
        outbox
            .next_batch(&active_profile(), ARM, now, config, &mut entropy)
            .map(|b| b.batch_id.clone())
    }

    #[test]
    fn one_batch_a_day_by_default_and_resent_until_answered() {
        let config = SyncConfig::default();
        let backoff = config.backoff;
        let mut outbox = Outbox::new();
        let first = send(&mut outbox, &config, 10.0 * DAY, 5).unwrap();
        outbox.record(&first, Delivery::NetworkError, 10.0 * DAY, 0.5, &backoff);
        let again = send(&mut outbox, &config, 10.1 * DAY, 6).unwrap();
        assert_eq!(again, first, "a retry keeps the batch id");

        outbox.record(&first, Delivery::Status(202), 10.1 * DAY, 0.5, &backoff);
        assert_eq!(outbox.delivered(), 1);
        assert!(send(&mut outbox, &config, 10.5 * DAY, 7).is_none());
        assert!(send(&mut outbox, &config, 11.0 * DAY, 8).is_some());
    }

    #[test]
    fn a_failed_batch_waits_out_its_backoff() {
        let config = SyncConfig::default();
        let mut outbox = Outbox::new();
        let t0 = 10.0 * DAY;
        let id = send(&mut outbox, &config, t0, 1).unwrap();
        let mut at = t0;
        let mut waits = Vec::new();
        for _ in 0..4 {
            outbox.record(&id, Delivery::Status(503), at, 0.0, &config.backoff);
            let wait = config
                .backoff
                .delay_ms(outbox.queued().next().unwrap().attempts, 0.0);
            assert!(
                outbox.due(at + wait - 1.0).is_none(),
                "not before the backoff"
            );
            assert_eq!(outbox.due(at + wait).unwrap().batch_id, id);
            waits.push(wait);
            at += wait;
        }
        assert_eq!(waits, [15_000.0, 30_000.0, 60_000.0, 120_000.0]);
    }

    #[test]
    fn final_answers_drop_the_batch_and_server_errors_keep_it() {
        let config = eager();
        for status in [400, 401, 403, 410, 422] {
            let mut outbox = Outbox::new();
            let id = send(&mut outbox, &config, DAY, 6).unwrap();
            outbox.record(&id, Delivery::Status(503), DAY, 0.5, &config.backoff);
            outbox.record(&id, Delivery::Status(429), DAY, 0.5, &config.backoff);
            assert!(outbox.holds(&id));
            outbox.record(&id, Delivery::Status(status), DAY, 0.5, &config.backoff);
            assert!(!outbox.holds(&id), "{status} is final");
            assert_eq!(outbox.delivered(), 0);
        }
    }

    #[test]
    fn a_batch_handed_over_as_the_page_goes_is_done_with() {
        let config = SyncConfig::default();
        let mut outbox = Outbox::new();
        let id = send(&mut outbox, &config, DAY, 9).unwrap();
        outbox.record(&id, Delivery::HandedOver, DAY, 0.5, &config.backoff);
        assert!(outbox.pending().is_none());
        assert!(send(&mut outbox, &config, 1.2 * DAY, 10).is_none());
    }

    #[test]
    fn an_outbox_in_place_of_an_unreadable_one_sends_nothing_until_the_next_day() {
        let config = SyncConfig::default();
        let mut outbox = Outbox::with_day_spent(DAY + 1_000.0, config.daily_epsilon);
        assert!(
            send(&mut outbox, &config, DAY + 60_000.0, 3).is_none(),
            "today is spent"
        );
        assert!(
            send(&mut outbox, &config, 2.0 * DAY + 60_000.0, 4).is_some(),
            "tomorrow"
        );
    }

    #[test]
    fn nothing_is_sent_before_any_activity() {
        let mut outbox = Outbox::new();
        let mut entropy = SeededEntropy::new(1);
        let config = SyncConfig::default();
        assert!(outbox
            .next_batch(&Profile::default(), ARM, DAY, &config, &mut entropy)
            .is_none());
    }

    #[test]
    fn the_offline_queue_is_bounded_in_count_and_age() {
        let config = SyncConfig {
            interval_ms: DAY / 4.0,
            ..eager()
        };
        let mut outbox = Outbox::new();
        let t0 = 10.0 * DAY;
        let mut ids = Vec::new();
        for i in 0..20u32 {
            // Offline: every attempt fails with no answer.
            let now = t0 + f64::from(i) * DAY / 4.0;
            let id = send(&mut outbox, &config, now, u64::from(i)).unwrap();
            outbox.record(&id, Delivery::NetworkError, now, 0.5, &config.backoff);
            ids.push(outbox.queued().last().unwrap().batch.batch_id.clone());
            assert!(outbox.queued().count() <= QUEUE_MAX_BATCHES);
        }
        let kept: Vec<_> = outbox.queued().map(|q| q.batch.batch_id.clone()).collect();
        assert_eq!(
            kept,
            ids[ids.len() - QUEUE_MAX_BATCHES..],
            "the newest are kept"
        );
        let bytes: usize = outbox.queued().map(|q| q.batch.to_json().len()).sum();
        assert!(bytes <= QUEUE_MAX_BYTES, "{bytes}");

        // Eight days later the whole queue has aged out, unsent.
        let mut entropy = SeededEntropy::new(99);
        let later = t0 + 5.0 * DAY + QUEUE_MAX_AGE_MS + 1.0;
        let none_active = Profile::default();
        assert!(outbox
            .next_batch(&none_active, ARM, later, &config, &mut entropy)
            .is_none());
        assert_eq!(outbox.queued().count(), 0);
    }

    #[test]
    fn a_stored_queue_over_its_bounds_is_cut_on_load() {
        let config = eager();
        let mut outbox = Outbox::new();
        send(&mut outbox, &config, DAY, 1);
        let one = outbox.queued().next().unwrap().clone();
        // As a tampered or future store could have written it: `to_json` keeps no bounds.
        outbox.queue = (0..40)
            .map(|i| {
                let mut q = one.clone();
                q.batch.batch_id = format!("{i:032x}");
                q
            })
            .collect();
        let loaded = Outbox::from_json(&outbox.to_json()).unwrap();
        assert_eq!(loaded.queued().count(), QUEUE_MAX_BATCHES);
        assert_eq!(loaded.pending().unwrap().batch_id, format!("{:032x}", 32));
    }

    #[test]
    fn purging_empties_the_queue_but_keeps_the_budget_spent() {
        let config = SyncConfig::default();
        let mut outbox = Outbox::new();
        outbox.reach(FunnelStage::Click);
        send(&mut outbox, &config, DAY, 3).unwrap();
        outbox.reach(FunnelStage::Impression);
        outbox.purge();
        assert_eq!(
            (outbox.queued().count(), outbox.funnel()),
            (0, FunnelStage::None)
        );
        assert!(
            send(&mut outbox, &config, 1.5 * DAY, 4).is_none(),
            "the day is spent"
        );
    }

    #[test]
    fn the_funnel_stage_goes_into_one_batch_only() {
        let profile = active_profile();
        let config = SyncConfig {
            epsilon: 50.0, // so much budget that the noise keeps the truth almost surely
            ..eager()
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
        outbox.record(
            &first.batch_id,
            Delivery::Status(202),
            DAY,
            0.5,
            &config.backoff,
        );
        let second = outbox
            .next_batch(&profile, Arm::Holdout, DAY, &config, &mut entropy)
            .unwrap();
        assert_eq!(second.funnel, 0);
    }

    #[test]
    fn round_trips() {
        let mut outbox = Outbox::new();
        send(&mut outbox, &SyncConfig::default(), DAY, 2);
        assert_eq!(Outbox::from_json(&outbox.to_json()).unwrap(), outbox);
        assert!(Outbox::from_json("[]").is_err());
        let old_schema = outbox.to_json().replacen("\"schema\":2", "\"schema\":1", 1);
        assert!(Outbox::from_json(&old_schema).is_err());
    }
}
