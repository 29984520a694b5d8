//! The live SDK in one page: the profile, the outbox and the scorer, with their persistence.
//!
//! Shared as `Rc<Engine>` by the exported handle, the DOM listeners and the timers. Borrows of
//! the state never cross an `await` or a call into page code.
//!
//! A record with nothing in it is not stored: its key is removed instead. So a device where
//! nothing was tracked (or everything was erased) holds no Vitrine key at all.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::{Interval, Timeout};
use wasm_bindgen::JsValue;

use super::config::Config;
use super::error::{make, Reporter};
use super::scoring::Scorer;
use super::storage::{Store, MAX_STORED_CHARS};
use super::transport;
use crate::consent::{Choice, Consent, Decision};
use crate::controls::Controls;
use crate::error::Error;
use crate::event::Event;
use crate::event_log::EventLog;
use crate::funnel::FunnelStage;
use crate::holdout::Assignment;
use crate::inventory::{
    ASSIGNMENT_KEY, CONSENT_KEY, CONTROLS_KEY, LEDGER_KEY, OUTBOX_KEY, PROFILE_KEY,
};
use crate::json::{self, Value};
use crate::label_map::LabelMap;
use crate::ledger::{Ledger, Transport};
use crate::outbox::{Delivery, Outbox};
use crate::profile::Profile;
use crate::signals::{random_hex, Arm, Entropy, SignalBatch, SystemEntropy};

/// What the engine owns that changes.
pub struct State {
    pub profile: Profile,
    /// This tab's own recent events, for merging with what other tabs write.
    pub log: EventLog,
    pub outbox: Outbox,
    pub ledger: Ledger,
    pub controls: Controls,
    /// The shopper's explicit consent choice, if any.
    pub consent: Option<Consent>,
    /// The holdout draw: kept, so the arm is stable across visits.
    pub assignment: Assignment,
    pub store: Store,
    pub scorer: Option<Scorer>,
    /// Each record as this tab last read or wrote it. A record this tab never saw is not its
    /// to remove. And when storage has lost a profile this tab saw, another tab erased it:
    /// this tab must not write it back.
    known: LabelMap<String>,
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
    /// Aborts the fetch in flight, if any: revoking consent must not let it finish.
    in_flight: RefCell<Option<web_sys::AbortController>>,
    stopped: Cell<bool>,
    /// How many times this tab forgot everything (an erase, here or in another tab): what a
    /// clock measured across one must not come back as a record.
    forgotten: Cell<u32>,
    /// Whether this tab is the one that syncs (see `leader`); only it writes the outbox and
    /// the ledger.
    leads_sync: Cell<bool>,
    /// Settles once this tab knows whether it leads; `sync` waits for it.
    lead_decided: RefCell<Option<js_sys::Promise>>,
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
        let known: LabelMap<String> = RECORDS
            .iter()
            .filter_map(|&suffix| Some((suffix.to_owned(), store.get(&key(&config, suffix))?)))
            .collect();
        let load = |suffix: &str| known.get(suffix).cloned();
        let report = |e: Error| reporter.report_error(&e);
        for (key, length) in store.take_unread() {
            report(Error::Corrupt(format!(
                "{key}: {length} characters, over the {MAX_STORED_CHARS} Vitrine reads; \
                 starting that record afresh"
            )));
        }
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
                Outbox::with_day_spent(js_sys::Date::now(), config.sync().daily_epsilon)
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
        let consent =
            load(CONSENT_KEY).and_then(|json| Consent::from_json(&json).map_err(&report).ok());
        let draw = || Assignment::draw(&mut SystemEntropy);
        let assignment = load(ASSIGNMENT_KEY).map_or_else(draw, |json| {
            Assignment::from_json(&json).unwrap_or_else(|e| {
                report(e);
                draw()
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
                log: EventLog::new(random_hex(&mut SystemEntropy)),
                outbox,
                ledger,
                controls,
                consent,
                assignment,
                store,
                scorer: None,
                known,
            }),
            persist_timer: RefCell::new(None),
            persist_pending: Cell::new(false),
            sync_timers: RefCell::new((None, None)),
            sync_in_flight: Cell::new(false),
            in_flight: RefCell::new(None),
            stopped: Cell::new(false),
            forgotten: Cell::new(0),
            leads_sync: Cell::new(false),
            lead_decided: RefCell::new(None),
        });
        if expired {
            engine.persist_now();
        }
        engine
    }

    /// Applies a validated event now and schedules a coalesced write.
    pub fn record(self: &Rc<Self>, event: &Event) {
        if self.stopped.get() || !self.personalizing() {
            return;
        }
        let mut state = self.state.borrow_mut();
        let State { profile, log, .. } = &mut *state;
        log.record(profile, event, js_sys::Date::now());
        drop(state);
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
        let stored = state.store.get(&profile_key);
        if state.known.contains_key(PROFILE_KEY) && stored.is_none() {
            drop(state);
            self.forget_in_memory();
            return;
        }
        // Another tab wrote since this one last looked, and its `storage` event is still on
        // its way: merge now rather than write over its events.
        if let Some(stored) = stored {
            adopt(&mut state, stored);
        }
        let now = js_sys::Date::now();
        let retention = self.config.retention();
        retention.expire_profile(&mut state.profile, now);
        retention.expire_ledger(&mut state.ledger, now);

        let profile = (state.profile.totals.events > 0).then(|| state.profile.to_json());
        let outbox = (state.outbox != Outbox::new()).then(|| state.outbox.to_json());
        let ledger = (!state.ledger.is_empty()).then(|| state.ledger.to_json());
        let controls = state.controls.paused.then(|| state.controls.to_json());
        let consent = state.consent.map(|c| c.to_json());
        // Stored with the first activity, so that a device where nothing was tracked still
        // holds no Vitrine key at all. Known shortcoming: until then each page load draws
        // anew, so a visitor who never acts can see either arm from one page to the next.
        let assignment = profile.is_some().then(|| state.assignment.to_json());
        // Every changed record is written, even after one write moved the store to memory;
        // the switch copies the unchanged ones over.
        let mut moved = None;
        for (suffix, value) in [
            (PROFILE_KEY, profile),
            (OUTBOX_KEY, outbox),
            (LEDGER_KEY, ledger),
            (CONTROLS_KEY, controls),
            (CONSENT_KEY, consent),
            (ASSIGNMENT_KEY, assignment),
        ] {
            // The outbox and the ledger are the syncing tab's alone to write.
            if !self.leads_sync.get() && (suffix == OUTBOX_KEY || suffix == LEDGER_KEY) {
                continue;
            }
            let key = key(&self.config, suffix);
            match value {
                // Unchanged since this tab last wrote or read it: nothing to write.
                Some(json) if state.known.get(suffix) == Some(&json) => {}
                Some(json) => {
                    moved = state.store.set(&key, &json).or(moved);
                    state.known.insert(suffix.to_owned(), json);
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
        let decided = self.lead_decided.borrow().clone();
        if let Some(decided) = decided {
            let _ = wasm_bindgen_futures::JsFuture::from(decided).await;
        }
        if !self.leads_sync.get()
            || self.stopped.get()
            || self.paused()
            || self.sync_in_flight.get()
            || !self.consent_decision().sync_allowed
        {
            return Ok(false);
        }
        self.sync_in_flight.set(true);
        let Some(batch) = self.due_batch() else {
            self.sync_in_flight.set(false);
            return Ok(false);
        };
        let controller = web_sys::AbortController::new().ok();
        let signal = controller.as_ref().map(|c| c.signal());
        *self.in_flight.borrow_mut() = controller;
        let delivery = transport::post(&url, &batch.to_json(), signal.as_ref()).await;
        self.in_flight.borrow_mut().take();
        self.settle(&batch, Transport::Fetch, delivery);
        self.sync_in_flight.set(false);
        Ok(self.state.borrow().outbox.pending().is_none())
    }

    /// Records what became of one send, in the outbox and the ledger, and writes them.
    fn settle(&self, batch: &SignalBatch, transport: Transport, delivery: Delivery) {
        {
            // An erase or a revoked consent while the request was out (here or in another
            // tab) emptied the queue: the answer then belongs to nothing that is still kept.
            let mut state = self.state.borrow_mut();
            if state.outbox.holds(&batch.batch_id) {
                let now = js_sys::Date::now();
                let backoff = self.config.sync().backoff;
                let jitter = SystemEntropy.uniform();
                state
                    .outbox
                    .record(&batch.batch_id, delivery, now, jitter, &backoff);
                state.ledger.record(batch, transport, delivery, now);
            }
        }
        self.persist_now();
    }

    /// On page hide: persist, and send every due batch by keepalive `fetch`, one request per
    /// batch so that each stays far below the page-wide 64 KB keepalive quota. The browser
    /// finishes the request after the page is gone, and the page hears no answer: the batch
    /// is recorded as handed over at once, as a beacon was. So a request the browser refuses
    /// (the page's own keepalive requests used up the quota) is not retried; a refused beacon
    /// used to fall back to a fetch.
    pub fn on_hide(self: &Rc<Self>) {
        self.persist_now();
        let Some(url) = self.config.sync_url.clone() else {
            return;
        };
        if !self.leads_sync.get() {
            return; // the tab that syncs sends what is due
        }
        if self.sync_in_flight.get() || self.paused() || !self.consent_decision().sync_allowed {
            return; // a keepalive fetch is carrying a batch already, or sync is off
        }
        // Builds the day's batch if one is due; the loop below sends it with the others.
        let _ = self.due_batch();
        let now = js_sys::Date::now();
        let due: Vec<SignalBatch> = {
            let state = self.state.borrow();
            state
                .outbox
                .queued()
                .filter(|q| q.next_attempt_ms <= now || now < q.built_ms)
                .map(|q| q.batch.clone())
                .collect()
        };
        for batch in due {
            transport::post_leaving(&url, &batch.to_json());
            self.settle(&batch, Transport::Fetch, Delivery::HandedOver);
        }
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

    /// Another tab wrote `json` as the profile: this tab adopts it with its own events that
    /// it lacks, and writes the merge soon if there were any.
    pub fn adopt_profile(self: &Rc<Self>, json: String) {
        let again = adopt(&mut self.state.borrow_mut(), json);
        if again > 0 {
            self.schedule_persist();
        }
    }

    /// Drops every in-memory record and the pending write, without touching storage: another
    /// tab erased it, or this one is about to.
    pub fn forget_in_memory(&self) {
        self.forgotten.set(self.forgotten.get().wrapping_add(1));
        self.persist_timer.borrow_mut().take();
        self.persist_pending.set(false);
        let mut state = self.state.borrow_mut();
        state.profile = Profile::new(self.config.profile());
        state.log.clear();
        state.outbox = Outbox::new();
        state.ledger = Ledger::default();
        state.controls = Controls::default();
        state.consent = None;
        state.assignment = Assignment::draw(&mut SystemEntropy);
        state.known.clear();
    }

    /// This tab now syncs: it takes over the outbox and the ledger as the tab before it left
    /// them in storage (the day's spent budget with them), and writes them from now on.
    pub fn lead_sync(&self) {
        let mut state = self.state.borrow_mut();
        for suffix in [OUTBOX_KEY, LEDGER_KEY] {
            let stored = state.store.get(&key(&self.config, suffix));
            if stored.is_none() || stored.as_ref() == state.known.get(suffix) {
                continue;
            }
            let json = stored.unwrap_or_default();
            let adopted = if suffix == OUTBOX_KEY {
                Outbox::from_json(&json).map(|outbox| state.outbox = outbox)
            } else {
                Ledger::from_json(&json).map(|ledger| state.ledger = ledger)
            };
            if adopted.is_ok() {
                state.known.insert(suffix.to_owned(), json);
            }
        }
        drop(state);
        self.leads_sync.set(true);
    }

    /// Until `decided` settles this tab does not know whether it syncs; `sync` waits.
    pub fn await_sync_lead(&self, decided: js_sys::Promise) {
        *self.lead_decided.borrow_mut() = Some(decided);
    }

    /// Changes each time this tab forgets everything; see [`Engine::forget_in_memory`].
    pub fn forgotten(&self) -> u32 {
        self.forgotten.get()
    }

    /// Whether the shopper paused personalization.
    pub fn paused(&self) -> bool {
        self.state.borrow().controls.paused
    }

    /// The consent rules applied to the stored choice and the browser's GPC signal, now.
    pub fn consent_decision(&self) -> Decision {
        let choice = self.state.borrow().consent.map(|c| c.choice);
        self.config
            .consent_policy()
            .decide(choice, transport::global_privacy_control())
    }

    /// Whether tracking and re-ranking run: not paused, and either sync is allowed or the
    /// store chose to personalize without consent.
    pub fn personalizing(&self) -> bool {
        !self.paused()
            && (self.config.personalize_without_consent || self.consent_decision().sync_allowed)
    }

    /// The shopper's experiment arm.
    pub fn arm(&self) -> Arm {
        self.state.borrow().assignment.arm(self.config.holdout)
    }

    /// Notes a widget funnel stage for the next batch, when there will be one.
    pub fn reach(&self, stage: FunnelStage) {
        if self.stopped.get() || self.config.sync_url.is_none() || !self.personalizing() {
            return;
        }
        if !self.consent_decision().sync_allowed {
            return; // nothing collected for a batch that may not be sent
        }
        self.state.borrow_mut().outbox.reach(stage);
    }

    /// Adopts a consent choice another tab stored (`None`: removed). A revoke there purges
    /// this tab's copy of the queue and aborts its request too.
    pub fn adopt_consent(&self, json: Option<&str>) {
        let consent = json.and_then(|j| Consent::from_json(j).ok());
        let revoked = consent.is_some_and(|c| c.choice == Choice::Revoked);
        {
            let mut state = self.state.borrow_mut();
            state.consent = consent;
            if revoked {
                state.outbox.purge();
            }
        }
        if revoked {
            if let Some(controller) = self.in_flight.borrow_mut().take() {
                controller.abort();
            }
            // The syncing tab writes the emptied queue now, not at its next write.
            if self.leads_sync.get() {
                self.persist_now();
            }
        }
    }

    /// Stores the shopper's consent choice. Revoking stops sync at once: the fetch in flight
    /// is aborted, the queue and the funnel stage are purged, and nothing is sent until
    /// consent is granted again.
    pub fn set_consent(&self, choice: Choice) {
        {
            let mut state = self.state.borrow_mut();
            state.consent = Some(Consent::new(choice, js_sys::Date::now()));
            if choice == Choice::Revoked {
                state.outbox.purge();
            }
        }
        if choice == Choice::Revoked {
            if let Some(controller) = self.in_flight.borrow_mut().take() {
                controller.abort();
            }
        }
        self.persist_now();
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
    pub fn stored_records(&self) -> Vec<(String, Value)> {
        self.persist_now();
        let state = self.state.borrow();
        RECORDS
            .iter()
            .filter_map(|suffix| {
                let key = key(&self.config, suffix);
                let json = state.store.get(&key)?;
                let value = json::parse(&json).unwrap_or(Value::String(json));
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
                profile,
                outbox,
                assignment,
                ..
            } = &mut *state;
            let now = js_sys::Date::now();
            let arm = assignment.arm(self.config.holdout);
            outbox
                .next_batch(profile, arm, now, &self.config.sync(), &mut SystemEntropy)
                .cloned()
        };
        if batch.is_some() {
            self.persist_now();
        }
        // That write may have found the profile erased by another tab, and forgotten the
        // batch built from it: then nothing is sent.
        let state = self.state.borrow();
        batch.filter(|b| state.outbox.holds(&b.batch_id))
    }

    /// Whether [`Engine::stop`] ran.
    pub fn is_stopped(&self) -> bool {
        self.stopped.get()
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
const RECORDS: [&str; 6] = [
    PROFILE_KEY,
    OUTBOX_KEY,
    LEDGER_KEY,
    CONTROLS_KEY,
    CONSENT_KEY,
    ASSIGNMENT_KEY,
];

/// The full storage key of a record: `<storagePrefix>.<suffix>`.
pub fn key(config: &Config, suffix: &str) -> String {
    format!("{}.{suffix}", config.storage_prefix)
}

fn ms(value: f64) -> u32 {
    value.clamp(0.0, f64::from(u32::MAX)) as u32
}

/// Merges `json`, the profile another tab stored, into this tab's state: its profile plus
/// this tab's events it lacks. Returns how many events were applied again. A stored profile
/// this code cannot read is left to be written over, as at start.
fn adopt(state: &mut State, json: String) -> usize {
    if state.known.get(PROFILE_KEY) == Some(&json) {
        return 0;
    }
    let Ok(stored) = Profile::from_json(&json) else {
        return 0;
    };
    let (merged, again) = state.log.adopt(stored);
    state.profile = merged;
    state.known.insert(PROFILE_KEY.to_owned(), json);
    again
}
