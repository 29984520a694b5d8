//! The live SDK in one page: the profile, the outbox and the scorer, with their persistence.
//!
//! Shared as `Rc<Engine>` by the exported handle, the DOM listeners and the timers. Borrows of
//! the state never cross an `await` or a call into page code.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::{Interval, Timeout};
use wasm_bindgen::JsValue;

use super::config::Config;
use super::error::{make, Reporter};
use super::storage::Store;
use super::transport;
use crate::error::Error;
use crate::event::Event;
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
    pub store: Store,
    pub scorer: Option<LoadedScorer>,
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
        let profile = match store.get(&profile_key(&config)) {
            Some(json) => Profile::from_json(&json).unwrap_or_else(|e| {
                reporter.report_error(&e);
                Profile::new(config.profile())
            }),
            None => Profile::new(config.profile()),
        };
        let outbox = match store.get(&outbox_key(&config)) {
            Some(json) => Outbox::from_json(&json).unwrap_or_else(|e| {
                reporter.report_error(&e);
                Outbox::new()
            }),
            None => Outbox::new(),
        };
        Rc::new(Engine {
            config,
            reporter,
            state: RefCell::new(State {
                profile,
                outbox,
                store,
                scorer: None,
            }),
            persist_timer: RefCell::new(None),
            persist_pending: Cell::new(false),
            sync_timers: RefCell::new((None, None)),
            sync_in_flight: Cell::new(false),
            stopped: Cell::new(false),
        })
    }

    /// Applies a validated event now and schedules a coalesced write.
    pub fn record(self: &Rc<Self>, event: &Event) {
        if self.stopped.get() {
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

    /// Writes the profile and outbox now.
    pub fn persist_now(&self) {
        let mut state = self.state.borrow_mut();
        let profile = state.profile.to_json();
        let outbox = state.outbox.to_json();
        // Both writes always happen: the one that moves the store to memory must not skip
        // the other.
        let moved_profile = state.store.set(&profile_key(&self.config), &profile);
        let moved_outbox = state.store.set(&outbox_key(&self.config), &outbox);
        let moved = moved_profile.or(moved_outbox);
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
        if self.stopped.get() || self.sync_in_flight.get() {
            return Ok(false);
        }
        self.sync_in_flight.set(true);
        let Some(batch) = self.due_batch() else {
            self.sync_in_flight.set(false);
            return Ok(false);
        };
        let delivery = transport::post(&url, &batch.to_json()).await;
        self.state
            .borrow_mut()
            .outbox
            .record(&batch.batch_id, delivery);
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
        if self.sync_in_flight.get() {
            return; // a keepalive fetch is carrying the batch already
        }
        let Some(batch) = self.due_batch() else {
            return;
        };
        // Refused (the page-wide beacon quota is full): the batch stays for the next page.
        if transport::beacon(url, &batch.to_json()) {
            self.state
                .borrow_mut()
                .outbox
                .record(&batch.batch_id, Delivery::Beaconed);
        }
        self.persist_now();
    }

    /// Forgets the profile and any unsent batch, here and in storage.
    pub fn erase(&self) {
        let mut state = self.state.borrow_mut();
        state.profile = Profile::new(self.config.profile());
        state.outbox.discard_pending();
        state.store.remove(&profile_key(&self.config));
        let outbox = state.outbox.to_json();
        state.store.set(&outbox_key(&self.config), &outbox);
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
        batch
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

fn profile_key(config: &Config) -> String {
    format!("{}.profile", config.storage_prefix)
}

fn outbox_key(config: &Config) -> String {
    format!("{}.outbox", config.storage_prefix)
}

fn ms(value: f64) -> u32 {
    value.clamp(0.0, f64::from(u32::MAX)) as u32
}
