//! The browser glue: the `Vitrine` class that JavaScript sees.
//!
//! Every exported method catches its own failures and returns them as a `VitrineError` with a
//! stable `code`; none of them lets a Rust panic or a raw exception reach the page.

mod batch;
mod capture;
mod config;
mod dom;
mod dwell;
mod engine;
mod error;
mod impressions;
mod json;
mod leader;
mod navigation;
mod scoring;
mod storage;
mod tabs;
mod text;
mod transport;
mod widgets;

use std::rc::Rc;

/// Talc instead of Rust's default dlmalloc: a general-purpose allocator that coalesces freed
/// blocks as dlmalloc does, and made the core's wasm 6.7 KB smaller (2.1 KB of brotli) with
/// no change `make bench` could see in `track()`, flushing, re-ranking or memory. The core is
/// single-threaded; the memory cap in `build.rs` still holds, since Talc grows the memory
/// with `memory.grow` like any other wasm allocator.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use wasm_bindgen::prelude::*;

use self::capture::Capture;
use self::config::Config;
use self::engine::Engine;
use self::error::{to_js, Reporter};
use self::leader::SyncLead;
use self::scoring::Scorer;
use self::tabs::Tabs;
use crate::consent::Choice;
use crate::event::{Event, EVENT_JSON_WITHIN, MAX_EVENT_JSON_BYTES};
use crate::funnel::FunnelStage;
use crate::json::{Object, Value};
use crate::ledger::LedgerEntry;
use crate::ranker::Explanation;
use crate::signals::Arm;

/// A running Vitrine instance in one page.
#[wasm_bindgen]
pub struct Vitrine {
    engine: Rc<Engine>,
    capture: Option<Capture>,
    tabs: Option<Tabs>,
    lead: Option<SyncLead>,
    /// Whether [`Vitrine::begin`] ran: it installs everything once.
    begun: bool,
}

#[wasm_bindgen]
impl Vitrine {
    /// Starts tracking: loads the stored profile, installs DOM capture, starts sync.
    /// `onError` receives every error that no call returns (storage, sync, capture).
    /// The same as [`Vitrine::open`] then [`Vitrine::begin`].
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, on_error: Option<js_sys::Function>) -> Result<Vitrine, JsValue> {
        let mut vitrine = Vitrine::open(config, on_error)?;
        vitrine.begin();
        Ok(vitrine)
    }

    /// The first half of starting: checks the options and loads the stored records. Nothing
    /// is captured, synced or heard from other tabs until [`Vitrine::begin`]. The wrapper
    /// calls the two in separate tasks: most of the core's functions run for the first time
    /// in them, and the browser compiles each then, so that as one call they made the page's
    /// longest task.
    pub fn open(config: JsValue, on_error: Option<js_sys::Function>) -> Result<Vitrine, JsValue> {
        let config = Config::from_js(&config).map_err(|e| to_js(&e))?;
        let engine = Engine::start(config, Reporter::new(on_error));
        Ok(Vitrine {
            engine,
            capture: None,
            tabs: None,
            lead: None,
            begun: false,
        })
    }

    /// The second half of starting: installs DOM capture and scans the page, claims the sync
    /// lead, starts sync and listens to other tabs. Once: later calls, and calls after
    /// [`Vitrine::stop`], do nothing.
    pub fn begin(&mut self) {
        if std::mem::replace(&mut self.begun, true) || self.engine.is_stopped() {
            return;
        }
        let engine = &self.engine;
        self.capture = capture::install(engine);
        if engine.config.auto_capture {
            self.capture.iter().for_each(Capture::scan);
        }
        self.lead = leader::claim(engine);
        engine.start_sync();
        self.tabs = tabs::listen(engine);
    }

    /// Records one event given as a plain object, such as
    /// `{type: "added_to_cart", product: {id: "42", price: 9.5}, quantity: 2}`.
    pub fn track(&self, event: JsValue) -> Result<(), JsValue> {
        let event = json::stringify(&event, "event", MAX_EVENT_JSON_BYTES, EVENT_JSON_WITHIN)
            .and_then(|json| Event::from_json(&json));
        let event = event.map_err(|e| to_js(&e))?;
        self.engine.track(&event).map_err(|e| to_js(&e))
    }

    /// Loads the ONNX ranking model, checking it against the feature contract.
    #[wasm_bindgen(js_name = loadModel)]
    pub fn load_model(&self, bytes: &[u8]) -> Result<(), JsValue> {
        #[cfg(feature = "model")]
        {
            let scorer = crate::model::Scorer::from_onnx(bytes).map_err(|e| to_js(&e))?;
            self.engine.state.borrow_mut().scorer = Some(Scorer::Tract(scorer));
            Ok(())
        }
        #[cfg(not(feature = "model"))]
        {
            let _ = bytes;
            Err(self::error::make(
                "model_runtime",
                "this build of Vitrine has no model runtime",
            ))
        }
    }

    /// Ranks with `score` instead of the rule: the ranker module's `scoreInto`, which reads
    /// a `Float32Array` of rows of 13 features, writes one score per row into the second
    /// `Float32Array` and returns how many it wrote. This is how the npm wrapper hands the
    /// lazily loaded ranker to the core, which carries no model runtime of its own.
    #[wasm_bindgen(js_name = useScorer)]
    pub fn use_scorer(&self, score: js_sys::Function) {
        self.engine.state.borrow_mut().scorer = Some(Scorer::Js(score));
    }

    /// Whether a model is loaded; without one, ranking uses the hand-written affinity rule.
    #[wasm_bindgen(js_name = hasModel)]
    pub fn has_model(&self) -> bool {
        self.engine.state.borrow().scorer.is_some()
    }

    /// Re-ranks one widget container and returns an explanation per item. On failure the
    /// widget keeps its server order, is marked `fallback`, and the error is thrown.
    /// While paused it keeps the server order, marks the widget `fallback` and returns `null`.
    /// A shopper in the holdout arm keeps the server order, the widget is marked `holdout`
    /// and every explanation's signal is `holdout`. Without sync consent, and unless the store
    /// set `personalizeWithoutConsent`, it behaves as paused.
    pub fn rerank(&self, container: &web_sys::Element) -> Result<JsValue, JsValue> {
        if !self.engine.personalizing() {
            widgets::restore_server_order(container);
            return Ok(JsValue::NULL);
        }
        let explanations = if self.engine.arm() == Arm::Holdout {
            widgets::serve_holdout(container).map_err(|e| to_js(&e))?
        } else {
            widgets::rerank(&self.engine, container)
                .map_err(|e| to_js(&e))?
                .explanations
        };
        self.engine.reach(FunnelStage::Impression);
        // One JSON text and the engine's own parser: building the objects field by field
        // through the boundary cost more than ranking them.
        js_sys::JSON::parse(&Explanation::list_json(&explanations))
    }

    /// For `make bench`, not part of the package's API: reads `container` once, then ranks
    /// it `times` times without touching the DOM (features, the model or the rule, the
    /// blend and the policy), so a re-rank's own cost can be told from its DOM work.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = benchDecide)]
    pub fn bench_decide(&self, container: &web_sys::Element, times: u32) -> Result<(), JsValue> {
        let read = widgets::read(container).map_err(|e| to_js(&e))?;
        for _ in 0..times {
            widgets::decide(&self.engine, &read).map_err(|e| to_js(&e))?;
        }
        Ok(())
    }

    /// Re-ranks every `[data-vitrine-widget]` in the document; errors go to `onError`.
    /// Returns how many widgets were ranked.
    #[wasm_bindgen(js_name = rerankAll)]
    pub fn rerank_all(&self) -> u32 {
        if !self.engine.personalizing() {
            widgets::all_widgets()
                .iter()
                .for_each(widgets::restore_server_order);
            return 0;
        }
        let holdout = self.engine.arm() == Arm::Holdout;
        let mut ranked = 0;
        for container in widgets::all_widgets() {
            let served = if holdout {
                widgets::serve_holdout(&container).map(|_| ())
            } else {
                widgets::rerank(&self.engine, &container).map(|_| ())
            };
            match served {
                Ok(()) => {
                    ranked += 1;
                    self.engine.reach(FunnelStage::Impression);
                }
                Err(e) => self.engine.reporter.report_error(&e),
            }
        }
        ranked
    }

    /// Grants consent to sync: batches may be built and sent (unless Global Privacy Control
    /// is on and honoured). The choice is stored.
    #[wasm_bindgen(js_name = grantConsent)]
    pub fn grant_consent(&self) {
        self.engine.set_consent(Choice::Granted);
    }

    /// Revokes consent to sync: the request in flight is aborted, the queue of unsent
    /// batches is purged, and nothing is sent until consent is granted again. The choice is
    /// stored.
    #[wasm_bindgen(js_name = revokeConsent)]
    pub fn revoke_consent(&self) {
        self.engine.set_consent(Choice::Revoked);
    }

    /// The consent state: `{ syncAllowed, reason, mode, globalPrivacyControl }`, `reason`
    /// being `granted`, `opt_out_default`, `not_asked`, `revoked` or `global_privacy_control`.
    pub fn consent(&self) -> Result<JsValue, JsValue> {
        let decision = self.engine.consent_decision();
        to_plain(&Value::from(
            Object::new()
                .with("syncAllowed", decision.sync_allowed)
                .with("reason", decision.reason.name())
                .with("mode", self.engine.config.consent.name())
                .with("globalPrivacyControl", transport::global_privacy_control()),
        ))
    }

    /// The shopper's segment, 0 to 7: the nearest of the shipped centroids to their profile.
    /// It is computed here and never sent as is; a batch carries it noised.
    pub fn segment(&self) -> u8 {
        crate::segment::segment_of(&self.engine.state.borrow().profile)
    }

    /// The shopper's experiment arm, `"personalized"` or `"holdout"`: stable on this device.
    #[wasm_bindgen(getter)]
    pub fn arm(&self) -> String {
        self.engine.arm().as_str().to_owned()
    }

    /// Marks every widget `fallback`, leaving its server order: used when the model failed.
    #[wasm_bindgen(js_name = fallbackAll)]
    pub fn fallback_all(&self) {
        widgets::all_widgets()
            .iter()
            .for_each(widgets::mark_fallback);
    }

    /// Re-reads the page: a product page's view, a search, each counted once per element
    /// and value. With `autoCapture` this happens by itself as the page changes.
    pub fn scan(&self) {
        self.capture.iter().for_each(Capture::scan);
    }

    /// The local profile as a plain object. It never leaves the device.
    pub fn profile(&self) -> Result<JsValue, JsValue> {
        to_plain(&self.engine.state.borrow().profile.to_value())
    }

    /// The profile in plain words, one sentence per fact, for a privacy page.
    #[wasm_bindgen(js_name = describeProfile)]
    pub fn describe_profile(&self) -> Vec<String> {
        let state = self.engine.state.borrow();
        state.profile.describe(js_sys::Date::now())
    }

    /// How engaged this shopper is (recency, frequency, depth, a score and a churn risk), for
    /// the page's own retention nudge. It never leaves the device.
    pub fn engagement(&self) -> Result<JsValue, JsValue> {
        to_plain(
            &self
                .engine
                .state
                .borrow()
                .profile
                .engagement(js_sys::Date::now())
                .to_value(),
        )
    }

    /// Sends the due signal batch now, if the interval and the privacy budget allow one.
    /// Resolves to whether nothing is left waiting for the collector.
    pub fn sync(&self) -> js_sys::Promise {
        let engine = Rc::clone(&self.engine);
        wasm_bindgen_futures::future_to_promise(async move {
            engine.sync().await.map(JsValue::from_bool)
        })
    }

    /// Writes the profile to storage now instead of at the next coalesced write.
    pub fn flush(&self) {
        self.engine.persist_now();
    }

    /// Erases everything Vitrine keeps on this device (every key under the storage prefix:
    /// profile, outbox with its budget, ledger, controls), in memory and in storage. Other
    /// open tabs drop their copies too.
    pub fn erase(&self) {
        self.engine.erase();
    }

    /// Pauses personalization: widgets go back to the server's order, and nothing is tracked,
    /// stored or sent until `resume()`. The choice survives page loads and reaches other tabs.
    pub fn pause(&self) {
        self.engine.set_paused(true);
        widgets::all_widgets()
            .iter()
            .for_each(widgets::restore_server_order);
    }

    /// Resumes personalization; the page re-ranks with `rerankAll()`.
    pub fn resume(&self) {
        self.engine.set_paused(false);
    }

    /// Whether personalization is paused.
    #[wasm_bindgen(getter)]
    pub fn paused(&self) -> bool {
        self.engine.paused()
    }

    /// Every batch sent from this device (the last 50, none older than `retentionDays`),
    /// oldest first: when, how, the ε spent, the outcome, and the batch exactly as sent.
    pub fn ledger(&self) -> Result<JsValue, JsValue> {
        let state = self.engine.state.borrow();
        let entries = state.ledger.entries().map(LedgerEntry::to_value).collect();
        to_plain(&Value::Array(entries))
    }

    /// Everything Vitrine stores on this device, for the shopper to download: each record
    /// by its storage key, exactly as stored, with the plain-words summary.
    #[wasm_bindgen(js_name = exportData)]
    pub fn export_data(&self) -> Result<JsValue, JsValue> {
        let stored: Object = self.engine.stored_records().into_iter().collect();
        let now = js_sys::Date::now();
        let summary = self.engine.state.borrow().profile.describe(now);
        let export = Object::new()
            .with("format", "vitrine-export/1")
            .with(
                "exported_at",
                String::from(js_sys::Date::new(&now.into()).to_iso_string()),
            )
            .with(
                "summary",
                summary.into_iter().map(Value::from).collect::<Vec<_>>(),
            )
            .with("stored", stored);
        to_plain(&export.into())
    }

    /// Why storage runs from memory, or `undefined` when it persists normally.
    #[wasm_bindgen(js_name = storageDegraded)]
    pub fn storage_degraded(&self) -> Option<String> {
        self.engine
            .state
            .borrow()
            .store
            .degraded()
            .map(str::to_owned)
    }

    /// Removes every listener and timer, after one last write. The instance does nothing after.
    pub fn stop(&mut self) {
        self.capture = None;
        self.tabs = None;
        self.engine.stop();
        // After the last write: the tab that syncs next reads what this one left.
        self.lead = None;
    }
}

/// `value` as plain JavaScript objects, by way of its JSON text and the browser's parser.
fn to_plain(value: &Value) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&value.to_json())
}
