//! The live SDK in one page: the profile, the outbox and the scorer, with their persistence.
//!
//! Shared as `Rc<Engine>` by the exported handle, the DOM listeners and the timers. Borrows of
//! the state never cross an `await` or a call into page code.
//!
//! A record with nothing in it is not stored: its key is removed instead. So a device where
//! nothing was tracked (or everything was erased) holds no Vitrine key at all.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use gloo_timers::callback::{Interval, Timeout};
use wasm_bindgen::JsValue;

use super::config::Config;
use super::error::{make, Reporter};
use super::storage::Store;
use super::transport;
use crate::controls::Controls;
use crate::error::Error;
use crate::event::Event;
use crate::inventory::{CONTROLS_KEY, LEDGER_KEY, OUTBOX_KEY, PROFILE_KEY};
use crate::ledger::{Ledger, Transport};
use crate::outbox::{Delivery, Outbox};
use crate::profile::Profile;
use crate::signals::{SignalBatch, SystemEntropy};

#[cfg(feature = "model")]
type LoadedScorer = crate::model::Scorer;
#[cfg(not(feature = "model"))]
type LoadedScorer = ();

/// What the engine owns that changes.
pub struct State {
    pub profile: Profile,
    pub outbox: Outbox,
    pub ledger: Ledger,
    pub controls: Controls,
    pub store: Store,
    pub scorer: Option<LoadedScorer>,
    /// Each record as this tab last read or wrote it. A record this tab never saw is not its
    /// to remove. And when storage has lost a profile this tab saw, another tab erased it:
    /// this tab must not write it back.
    known: HashMap<&'static str, String>,
}

/// The SDK instance behind a `Vitrine` handle.
pub struct Engine {
    pub config: Config,
    pub reporter: Reporter,
    pub state: RefCell<State>,
    persist_timer: RefCell<Option<Timeout>>,
    persist_pending: Cell<bool>,
    sync_timers: RefCell<(Option<Timeout>, Option<Interval>)>,
    sync_in_flight: Cell<bool>,
    stopped: Cell<bool>,
}

impl Engine {
    /// Loads the stored profile and outbox (starting afresh, with a report, from corrupt ones).
    pub fn start(config: Config, reporter: Reporter) -> Rc<Engine> {
        let store = Store::open(&config.storage_prefix);
        if let Some(reason) = store.degraded() {
            reporter.report(&make(
                "storage_unavailable",
                &format!("using memory: {reason}"),
            ));
        }
        let known: HashMap<&'static str, String> = RECORDS
            .iter()
            .filter_map(|&suffix| Some((suffix, store.get(&key(&config, suffix))?)))
            .collect();
        let load = |suffix: &str| known.get(suffix).cloned();
        let report = |e: Error| reporter.report_error(&e);
        let fresh_profile = || Profile::new(config.profile());
        let mut profile = load(PROFILE_KEY).map_or_else(fresh_profile, |json| {
            Profile::from_json(&json).unwrap_or_else(|e| {
                report(e);
                fresh_profile()
            })
        });
        let outbox = load(OUTBOX_KEY).map_or_else(Outbox::new, |json| {
            Outbox::from_json(&json).unwrap_or_else(|e| {
                report(e);
                Outbox::new()
            })
        });
        let mut ledger = load(LEDGER_KEY).map_or_else(Ledger::default, |json| {
            Ledger::from_json(&json).unwrap_or_else(|e| {
                report(e);
                Ledger::default()
            })
        });
        let controls = load(CONTROLS_KEY).map_or_else(Controls::default, |json| {
            Controls::from_json(&json).unwrap_or_else(|e| {
                report(e);
                Controls::default()
            })
        });
        let now = js_sys::Date::now();
        let retention = config.retention();
        let expired = retention.expire_profile(&mut profile, now);
        let expired = retention.expire_ledger(&mut ledger, now) || expired;
        let engine = Rc::new(Engine {
            config,
            reporter,
            state: RefCell::new(State {
                profile,
                outbox,
                ledger,
                controls,
                store,
                scorer: None,
                known,
            }),
            persist_timer: RefCell::new(None),
            persist_pending: Cell::new(false),
            sync_timers: RefCell::new((None, None)),
            sync_in_flight: Cell::new(false),
            stopped: Cell::new(false),
        });
        if expired {
            engine.persist_now();
        }
        engine
    }

    /// Applies a validated event now and schedules a coalesced write.
    pub fn record(self: &Rc<Self>, event: &Event) {
        if self.stopped.get() || self.paused() {
            return;
        }
        self.state
            .borrow_mut()
            .profile
            .apply(event, js_sys::Date::now());
        self.schedule_persist();
    }

    /// Validates then applies an event from the page.
    pub fn track(self: &Rc<Self>, event: &Event) -> Result<(), Error> {
        event.validate()?;
        self.record(event);
        Ok(())
    }

    /// Writes every record now; empty ones are removed instead. If another tab erased the
    /// profile since this tab last saw it, this tab forgets its own copy instead of writing.
    pub fn persist_now(&self) {
        let profile_key = key(&self.config, PROFILE_KEY);
        let mut state = self.state.borrow_mut();
        if state.known.contains_key(PROFILE_KEY) && state.store.get(&profile_key).is_none() {
            drop(state);
            self.forget_in_memory();
            return;
        }
        let now = js_sys::Date::now();
        let retention = self.config.retention();
        retention.expire_profile(&mut state.profile, now);
        retention.expire_ledger(&mut state.ledger, now);

        let profile = (state.profile.totals.events > 0).then(|| state.profile.to_json());
        let outbox = (state.outbox != Outbox::new()).then(|| state.outbox.to_json());
        let ledger = (!state.ledger.is_empty()).then(|| state.ledger.to_json());
        let controls = state.controls.paused.then(|| state.controls.to_json());
        // Every write happens: the one that moves the store to memory must not skip others.
        let mut moved = None;
        for (suffix, value) in [
            (PROFILE_KEY, profile),
            (OUTBOX_KEY, outbox),
            (LEDGER_KEY, ledger),
            (CONTROLS_KEY, controls),
        ] {
            let key = key(&self.config, suffix);
            match value {
                Some(json) => {
                    moved = state.store.set(&key, &json).or(moved);
                    state.known.insert(suffix, json);
                }
                None => {
                    if state.known.remove(suffix).is_some() {
                        state.store.remove(&key);
                    }
                }
            }
        }
        drop(state);
        if let Some(reason) = moved {
            self.reporter.report(&make(
                "storage_unavailable",
                &format!("using memory: {reason}"),
            ));
        }
    }

    /// Starts the periodic sync, if a sync URL is configured.
    pub fn start_sync(self: &Rc<Self>) {
        if self.config.sync_url.is_none() {
            return;
        }
        let first = {
            let engine = Rc::clone(self);
            Timeout::new(ms(self.config.first_sync_delay_ms), move || {
                engine.spawn_sync()
            })
        };
        // Checking often is cheap: the outbox itself enforces the interval and the budget.
        let every = ms(self.config.sync_interval_ms.min(60_000.0));
        let periodic = {
            let engine = Rc::clone(self);
            Interval::new(every, move || engine.spawn_sync())
        };
        *self.sync_timers.borrow_mut() = (Some(first), Some(periodic));
    }

    /// Sends the due batch, if any, and records the answer.
    pub async fn sync(self: Rc<Self>) -> Result<bool, JsValue> {
        let Some(url) = self.config.sync_url.clone() else {
            return Err(make("no_sync_url", "sync needs the `syncUrl` option"));
        };
        if self.stopped.get() || self.paused() || self.sync_in_flight.get() {
            return Ok(false);
        }
        self.sync_in_flight.set(true);
        let Some(batch) = self.due_batch() else {
            self.sync_in_flight.set(false);
            return Ok(false);
        };
        let delivery = transport::post(&url, &batch.to_json()).await;
        {
            // An erase while the request was out (here or in another tab) emptied the outbox
            // and the ledger: the answer then belongs to nothing that is still kept.
            let mut state = self.state.borrow_mut();
            if state.outbox.pending().map(|p| &p.batch_id) == Some(&batch.batch_id) {
                state.outbox.record(&batch.batch_id, delivery);
                let now = js_sys::Date::now();
                state.ledger.record(&batch, Transport::Fetch, delivery, now);
            }
        }
        self.persist_now();
        self.sync_in_flight.set(false);
        Ok(self.state.borrow().outbox.pending().is_none())
    }

    /// On page hide: persist, and hand the due batch to `sendBeacon`.
    pub fn on_hide(&self) {
        self.persist_now();
        let Some(url) = self.config.sync_url.as_deref() else {
            return;
        };
        if self.sync_in_flight.get() || self.paused() {
            return; // a keepalive fetch is carrying the batch already, or sync is paused
        }
        let Some(batch) = self.due_batch() else {
            return;
        };
        // Refused (the page-wide beacon quota is full): the batch stays for the next page.
        if transport::beacon(url, &batch.to_json()) {
            let mut state = self.state.borrow_mut();
            state.outbox.record(&batch.batch_id, Delivery::Beaconed);
            let now = js_sys::Date::now();
            state
                .ledger
                .record(&batch, Transport::Beacon, Delivery::Beaconed, now);
        }
        self.persist_now();
    }

    /// Forgets everything Vitrine keeps, here and in storage: every key under the prefix.
    ///
    /// The outbox goes too, privacy budget included. Keeping the day's spending would keep a
    /// record the shopper asked to erase; what it protects is the shopper against the
    /// collector, and only the shopper can erase. The cost is bounded: a new batch still
    /// needs new activity and spends the budget of a new, unlinkable profile.
    pub fn erase(&self) {
        self.forget_in_memory();
        let mut state = self.state.borrow_mut();
        state.store.remove_all();
    }

    /// Drops every in-memory record and the pending write, without touching storage: another
    /// tab erased it, or this one is about to.
    pub fn forget_in_memory(&self) {
        self.persist_timer.borrow_mut().take();
        self.persist_pending.set(false);
        let mut state = self.state.borrow_mut();
        state.profile = Profile::new(self.config.profile());
        state.outbox = Outbox::new();
        state.ledger = Ledger::default();
        state.controls = Controls::default();
        state.known.clear();
    }

    /// Whether the shopper paused personalization.
    pub fn paused(&self) -> bool {
        self.state.borrow().controls.paused
    }

    /// Pauses or resumes: tracking, ranking and sync stop while paused; the choice is stored.
    pub fn set_paused(&self, paused: bool) {
        self.state.borrow_mut().controls = Controls::with_paused(paused);
        self.persist_now();
    }

    /// Adopts controls another tab stored (`None`: removed).
    pub fn adopt_controls(&self, json: Option<&str>) {
        let controls = json
            .and_then(|j| Controls::from_json(j).ok())
            .unwrap_or_default();
        self.state.borrow_mut().controls = controls;
    }

    /// Every stored record, parsed, keyed by its full storage key, after a write of the
    /// current state: what an export hands the shopper.
    pub fn stored_records(&self) -> Vec<(String, serde_json::Value)> {
        self.persist_now();
        let state = self.state.borrow();
        RECORDS
            .iter()
            .filter_map(|suffix| {
                let key = key(&self.config, suffix);
                let json = state.store.get(&key)?;
                let value = serde_json::from_str(&json).unwrap_or(serde_json::Value::String(json));
                Some((key, value))
            })
            .collect()
    }

    /// The batch to send now, if the schedule and the budget allow one. A new batch has spent
    /// budget, so it is written to storage before anything can go wrong in sending it.
    fn due_batch(&self) -> Option<SignalBatch> {
        let batch = {
            let mut state = self.state.borrow_mut();
            let State {
                profile, outbox, ..
            } = &mut *state;
            let now = js_sys::Date::now();
            outbox
                .next_batch(profile, now, &self.config.sync(), &mut SystemEntropy)
                .cloned()
        };
        if batch.is_some() {
            self.persist_now();
        }
        // That write may have found the profile erased by another tab, and forgotten the
        // batch built from it: then nothing is sent.
        let state = self.state.borrow();
        let pending = state.outbox.pending().map(|p| &p.batch_id);
        batch.filter(|b| pending == Some(&b.batch_id))
    }

    /// Stops timers and further tracking, after one last write.
    pub fn stop(&self) {
        if self.stopped.replace(true) {
            return;
        }
        *self.sync_timers.borrow_mut() = (None, None);
        self.persist_timer.borrow_mut().take();
        self.persist_now();
    }

    fn spawn_sync(self: &Rc<Self>) {
        let engine = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let reporter = engine.reporter.clone();
            if let Err(e) = engine.sync().await {
                reporter.report(&e);
            }
        });
    }

    /// Coalesces writes: the first change arms one timer, later changes ride on it.
    fn schedule_persist(self: &Rc<Self>) {
        if self.persist_pending.replace(true) {
            return;
        }
        let engine = Rc::clone(self);
        let timer = Timeout::new(ms(self.config.persist_delay_ms), move || {
            engine.persist_pending.set(false);
            engine.persist_now();
        });
        // The timer replaced here has already fired: dropping it cancels nothing.
        *self.persist_timer.borrow_mut() = Some(timer);
    }
}

/// The records the engine stores, by key suffix.
const RECORDS: [&str; 4] = [PROFILE_KEY, OUTBOX_KEY, LEDGER_KEY, CONTROLS_KEY];

/// The full storage key of a record: `<storagePrefix>.<suffix>`.
pub fn key(config: &Config, suffix: &str) -> String {
    format!("{}.{suffix}", config.storage_prefix)
}

fn ms(value: f64) -> u32 {
    value.clamp(0.0, f64::from(u32::MAX)) as u32
}
