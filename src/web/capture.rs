//! Tracking without code: views, clicks, cart actions, impressions and searches read from
//! `data-vitrine-*`, in a page that loads once or navigates on the client.
//!
//! What the page shows counts once per page view, however often it is read: the product of a
//! product page as one view, a search widget's query as one search (each remembered against
//! the very element that showed it, so a re-read or a navigation that leaves it in place
//! counts nothing again), and each widget item as at most one impression ([`Impressions`]).
//! A product page's visible time is recorded as dwell ([`Dwell`]).
//! New content is read as it arrives (a `MutationObserver`), and client-side navigation and
//! back/forward-cache restores start new views ([`navigation`]).
//!
//! Every listener, observer and timer is owned by [`Capture`]; dropping it (which `stop()`
//! does) removes them all and restores the history methods.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions, EventListenerPhase};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, MutationObserver, MutationObserverInit};

use super::dom;
use super::dwell::Dwell;
use super::engine::Engine;
use super::impressions::Impressions;
use super::navigation::{self, Navigation, ViewStart};
use crate::event::{Event, WidgetKind};
use crate::funnel::FunnelStage;

/// The page watch of one running SDK.
pub struct Capture {
    page: Rc<Page>,
    // Dropped in this order: the history methods are restored before anything else goes.
    _navigation: Option<Navigation>,
    _mutations: Option<Mutations>,
    _listeners: Vec<EventListener>,
}

/// What the current page view has counted.
struct Page {
    engine: Rc<Engine>,
    /// Element → the value it was counted with (a product id, `?` and a query). Weak, so a
    /// removed element is forgotten with it.
    counted: RefCell<js_sys::WeakMap>,
    impressions: Option<Impressions>,
    dwell: Option<Dwell>,
}

/// A `MutationObserver` and its callback; dropping it disconnects.
struct Mutations {
    observer: MutationObserver,
    _callback: Closure<dyn FnMut()>,
}

impl Drop for Mutations {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

/// Installs the listeners: page hide, which flushes storage and hands the due batch to
/// `sendBeacon`, always; with `autoCapture`, clicks (in the capture phase, so that a page
/// stopping propagation does not hide them), impressions, content that arrives later, and
/// new page views.
pub fn install(engine: &Rc<Engine>) -> Option<Capture> {
    let window = web_sys::window()?;
    let document = window.document()?;
    let auto = engine.config.auto_capture;
    let page = Rc::new(Page {
        engine: Rc::clone(engine),
        counted: RefCell::new(js_sys::WeakMap::new()),
        impressions: if auto {
            Impressions::start(engine)
        } else {
            None
        },
        dwell: auto.then(|| Dwell::new(engine)),
    });

    let mut listeners = Vec::new();
    if auto {
        let on_click = Rc::clone(engine);
        listeners.push(EventListener::new_with_options(
            &document,
            "click",
            EventListenerOptions {
                phase: EventListenerPhase::Capture,
                passive: true,
            },
            move |event| {
                if let Some(element) = dom::event_element(event) {
                    click(&on_click, &element);
                }
            },
        ));
    }
    let on_visibility = Rc::clone(&page);
    listeners.push(EventListener::new(
        &document,
        "visibilitychange",
        move |_| {
            let page = &on_visibility;
            if dom::tab_hidden() {
                // Dwell first, so that the write on hide takes it along.
                page.dwell.iter().for_each(Dwell::hidden);
                page.impressions.iter().for_each(Impressions::hidden);
                page.engine.on_hide();
            } else {
                page.dwell.iter().for_each(Dwell::visible);
                page.impressions.iter().for_each(Impressions::visible);
            }
        },
    ));
    let on_pagehide = Rc::clone(&page);
    listeners.push(EventListener::new(&window, "pagehide", move |_| {
        on_pagehide.dwell.iter().for_each(Dwell::end);
        on_pagehide.engine.on_hide()
    }));

    let (mutations, navigation) = if auto {
        let on_view = Rc::clone(&page);
        (
            watch_mutations(&document, &page),
            navigation::watch(move |start| on_view.new_view(start)),
        )
    } else {
        (None, None)
    };
    Some(Capture {
        page,
        _navigation: navigation,
        _mutations: mutations,
        _listeners: listeners,
    })
}

impl Drop for Capture {
    fn drop(&mut self) {
        // Vitrine stops: the product page's visible time so far is the page's to keep.
        self.page.dwell.iter().for_each(Dwell::end);
    }
}

impl Capture {
    /// Reads what the page shows now: the product a product page shows, and the search that
    /// produced a results widget, each unless this view already counted it.
    pub fn scan(&self) {
        self.page.scan();
    }
}

impl Page {
    fn scan(&self) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let engine = &self.engine;
        let detail = format!("[{}][{}]", dom::ITEM, dom::DETAIL);
        if let Ok(Some(detail)) = document.query_selector(&detail) {
            // A value over the limit reads as empty here; `product_of` reports it.
            let id = dom::attribute(&detail, dom::ITEM)
                .ok()
                .flatten()
                .unwrap_or_default();
            if self.first_time(&detail, &id) {
                match dom::product_of(&detail) {
                    Ok(product) => {
                        engine.record(&Event::ProductViewed {
                            product: product.clone(),
                        });
                        self.dwell
                            .iter()
                            .for_each(|dwell| dwell.begin(product.clone()));
                    }
                    Err(e) => engine.reporter.report_error(&e),
                }
            }
        }
        let selector = format!("[{}=\"search\"][{}]", dom::WIDGET, dom::QUERY);
        if let Ok(Some(widget)) = document.query_selector(&selector) {
            let query = match dom::attribute(&widget, dom::QUERY) {
                Ok(query) => query.unwrap_or_default(),
                Err(e) => return engine.reporter.report_error(&e),
            };
            if !self.first_time(&widget, &format!("?{query}")) {
                return;
            }
            let result_count = dom::items_in_server_order(&widget)
                .ok()
                .map(|items| items.len() as u32);
            let event = Event::ProductsSearched {
                query,
                result_count,
            };
            if let Err(e) = engine.track(&event) {
                engine.reporter.report_error(&e);
            }
        }
    }

    /// Whether `element` shows `value` for the first time; remembers that it now has.
    fn first_time(&self, element: &Element, value: &str) -> bool {
        let counted = self.counted.borrow();
        if counted.get(element).as_string().as_deref() == Some(value) {
            return false;
        }
        counted.set(element, &JsValue::from_str(value));
        true
    }

    fn new_view(&self, start: ViewStart) {
        self.dwell.iter().for_each(Dwell::end);
        // A restored page shows the very elements it showed before, and they count again.
        // After a navigation, elements still in place are what the old view showed.
        if start == ViewStart::Restored {
            *self.counted.borrow_mut() = js_sys::WeakMap::new();
        }
        if let Some(impressions) = &self.impressions {
            impressions.new_page_view();
        }
        self.scan();
    }
}

/// Reads the page again whenever items, a product page or a search arrive or change.
fn watch_mutations(document: &web_sys::Document, page: &Rc<Page>) -> Option<Mutations> {
    let on_change = Rc::clone(page);
    let callback = Closure::<dyn FnMut()>::new(move || {
        if let Some(impressions) = &on_change.impressions {
            impressions.watch_new_items();
        }
        on_change.scan();
    });
    let observer = MutationObserver::new(callback.as_ref().unchecked_ref()).ok()?;
    let options = MutationObserverInit::new();
    options.set_child_list(true);
    options.set_subtree(true);
    let watched = js_sys::Array::of3(&dom::ITEM.into(), &dom::DETAIL.into(), &dom::QUERY.into());
    options.set_attribute_filter(&watched);
    observer
        .observe_with_options(document.document_element()?.as_ref(), &options)
        .ok()?;
    Some(Mutations {
        observer,
        _callback: callback,
    })
}

fn click(engine: &Rc<Engine>, target: &Element) {
    let Some(item) = dom::closest(target, &format!("[{}]", dom::ITEM)) else {
        return;
    };
    let product = match dom::product_of(&item) {
        Ok(product) => product,
        Err(e) => return engine.reporter.report_error(&e),
    };
    let action = dom::closest(target, &format!("[{}]", dom::ACTION))
        .filter(|action| item.contains(Some(action)))
        .and_then(|action| dom::attribute(&action, dom::ACTION).ok().flatten());
    let in_widget = item
        .parent_element()
        .is_some_and(|p| p.has_attribute(dom::WIDGET));
    let event = match action.as_deref() {
        Some("add-to-cart") => Event::AddedToCart {
            product,
            quantity: 1,
        },
        Some("remove-from-cart") => Event::RemovedFromCart {
            product,
            quantity: 1,
        },
        Some(_) => return,
        None => {
            let widget = item
                .parent_element()
                .filter(|p| p.has_attribute(dom::WIDGET));
            let kind = widget
                .as_ref()
                .and_then(|w| dom::attribute(w, dom::WIDGET).ok().flatten())
                .and_then(|k| WidgetKind::parse(&k).ok());
            let position = widget.and_then(|w| dom::displayed_position(&w, &item));
            Event::ProductClicked {
                product,
                widget: kind,
                position,
            }
        }
    };
    engine.record(&event);
    // The widget funnel counts only what happened inside a Vitrine widget.
    match &event {
        Event::ProductClicked { .. } if in_widget => engine.reach(FunnelStage::Click),
        Event::AddedToCart { .. } if in_widget => engine.reach(FunnelStage::CartAdd),
        _ => {}
    }
}
