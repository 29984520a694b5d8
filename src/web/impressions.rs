//! Product impressions captured from the DOM: an item of a widget counts once it has been at
//! least half visible for a full second, and at most once per page view.
//!
//! An `IntersectionObserver` reports each item crossing the half-visible line; crossing in
//! starts a one-second timer for it, crossing out (or the tab going to the background)
//! cancels that timer. The timer, when it fires, records the impression with the item's
//! widget and its position as displayed then, after any re-ranking.
//!
//! Known limit: an item taller than twice the viewport can never be half visible, so it never
//! counts; product tiles are far smaller than that.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit};

use super::dom;
use super::engine::Engine;
use crate::event::{Event, WidgetKind};
use crate::label_map::LabelMap;

/// How much of an item must show, as a fraction of its area.
const VISIBLE_FRACTION: f64 = 0.5;
/// How long it must show, uninterrupted.
const VISIBLE_MS: u32 = 1_000;

/// The impression watch of one running SDK. Dropping it disconnects the observer and cancels
/// every pending timer.
pub struct Impressions {
    observer: IntersectionObserver,
    seen: Rc<RefCell<Seen>>,
    _on_intersect: Closure<dyn FnMut(js_sys::Array)>,
}

/// What this page view has counted, and what is on its way to counting.
#[derive(Default)]
struct Seen {
    /// The key (`key_of`) of each impression counted in this page view.
    counted: LabelMap<()>,
    /// A running timer per item now at least half visible, by key.
    pending: LabelMap<Timeout>,
}

impl Impressions {
    /// Starts watching every widget item now in the page; `None` where the browser has no
    /// `IntersectionObserver`, and impressions are then only what the page tracks itself.
    pub fn start(engine: &Rc<Engine>) -> Option<Impressions> {
        let seen = Rc::new(RefCell::new(Seen::default()));
        let on_intersect = {
            let engine = Rc::clone(engine);
            let seen = Rc::downgrade(&seen);
            Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
                for entry in entries.iter() {
                    if let Ok(entry) = entry.dyn_into::<IntersectionObserverEntry>() {
                        crossed(&engine, &seen, &entry);
                    }
                }
            })
        };
        let options = IntersectionObserverInit::new();
        options.set_threshold_f64(VISIBLE_FRACTION);
        let observer =
            IntersectionObserver::new_with_options(on_intersect.as_ref().unchecked_ref(), &options)
                .ok()?;
        let impressions = Impressions {
            observer,
            seen,
            _on_intersect: on_intersect,
        };
        impressions.watch_new_items();
        Some(impressions)
    }

    /// Observes the widget items added since the last call; observing an item twice is a
    /// no-op, so this is safe to call after any DOM change.
    pub fn watch_new_items(&self) {
        for item in widget_items() {
            self.observer.observe(&item);
        }
    }

    /// A new page view: what was counted may count again, and every item is measured afresh.
    pub fn new_page_view(&self) {
        {
            let mut seen = self.seen.borrow_mut();
            seen.counted.clear();
            seen.pending.clear();
        }
        self.remeasure();
    }

    /// The tab went to the background: nothing is seen there, so no timer may finish.
    pub fn hidden(&self) {
        self.seen.borrow_mut().pending.clear();
    }

    /// The tab came back: the observer only reports changes, so observing anew is how to
    /// learn which items show right now.
    pub fn visible(&self) {
        self.remeasure();
    }

    fn remeasure(&self) {
        self.observer.disconnect();
        self.watch_new_items();
    }
}

impl Drop for Impressions {
    fn drop(&mut self) {
        self.observer.disconnect();
        self.seen.borrow_mut().pending.clear();
    }
}

/// Every item of every widget in the document.
fn widget_items() -> Vec<Element> {
    let selector = format!("[{}] > [{}]", dom::WIDGET, dom::ITEM);
    let Some(found) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector_all(&selector).ok())
    else {
        return Vec::new();
    };
    (0..found.length())
        .filter_map(|i| found.item(i)?.dyn_into::<Element>().ok())
        .collect()
}

/// An item crossed the half-visible line, one way or the other.
fn crossed(engine: &Rc<Engine>, seen: &Weak<RefCell<Seen>>, entry: &IntersectionObserverEntry) {
    let Some(shared) = seen.upgrade() else {
        return;
    };
    let item = entry.target();
    let Some(key) = key_of(&item) else {
        return;
    };
    let mut state = shared.borrow_mut();
    if !(entry.is_intersecting() && entry.intersection_ratio() >= VISIBLE_FRACTION) {
        state.pending.remove(&key);
        return;
    }
    if state.counted.contains_key(&key) || state.pending.contains_key(&key) || dom::tab_hidden() {
        return;
    }
    let timer = {
        let engine = Rc::clone(engine);
        let seen = seen.clone();
        let key = key.clone();
        Timeout::new(VISIBLE_MS, move || {
            shown_long_enough(&engine, &seen, key, &item)
        })
    };
    state.pending.insert(key, timer);
}

/// The timer of an item ran out while it stayed half visible: it counts.
fn shown_long_enough(engine: &Rc<Engine>, seen: &Weak<RefCell<Seen>>, key: String, item: &Element) {
    let Some(shared) = seen.upgrade() else {
        return;
    };
    {
        let mut state = shared.borrow_mut();
        // Dropping the timer that is running this very callback is safe: wasm-bindgen frees
        // a closure dropped mid-call only once the call returns.
        state.pending.remove(&key);
        if !item.is_connected() || dom::tab_hidden() || state.counted.contains_key(&key) {
            return;
        }
        state.counted.insert(key, ());
    }
    let widget = item.parent_element();
    let product = match dom::product_of(item) {
        Ok(product) => product,
        Err(e) => return engine.reporter.report_error(&e),
    };
    let kind = widget
        .as_ref()
        .and_then(|w| dom::attribute(w, dom::WIDGET).ok().flatten())
        .and_then(|k| WidgetKind::parse(&k).ok());
    let position = widget.and_then(|w| dom::displayed_position(&w, item));
    engine.record(&Event::ProductImpression {
        product,
        widget: kind,
        position,
    });
}

/// An item's identity within a page view: its widget kind and product id.
fn key_of(item: &Element) -> Option<String> {
    let widget = dom::attribute(&item.parent_element()?, dom::WIDGET).ok()??;
    let id = dom::attribute(item, dom::ITEM).ok()??;
    // The widget's length first: the page's attributes may hold any character, and two
    // different pairs must never make the same key.
    Some(format!("{}:{widget}{id}", widget.len()))
}
