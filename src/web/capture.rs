//! Tracking without code: views, clicks and cart actions read from `data-vitrine-*`.
//!
//! Every listener is owned by [`Capture`]; dropping it (which `stop()` does) removes them all.

use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions, EventListenerPhase};
use web_sys::Element;

use super::dom;
use super::engine::Engine;
use crate::event::{Event, WidgetKind};
use crate::funnel::FunnelStage;

/// The page listeners of one running SDK.
pub struct Capture {
    _listeners: Vec<EventListener>,
}

/// Installs the listeners: clicks (in the capture phase, so that a page stopping propagation
/// does not hide them) and page hide, which flushes storage and hands the due batch to
/// `sendBeacon`.
pub fn install(engine: &Rc<Engine>) -> Option<Capture> {
    let window = web_sys::window()?;
    let document = window.document()?;
    let passive_capture = EventListenerOptions {
        phase: EventListenerPhase::Capture,
        passive: true,
    };

    let mut listeners = Vec::new();
    if engine.config.auto_capture {
        let on_click = Rc::clone(engine);
        listeners.push(EventListener::new_with_options(
            &document,
            "click",
            passive_capture,
            move |event| {
                if let Some(element) = dom::event_element(event) {
                    click(&on_click, &element);
                }
            },
        ));
    }
    let on_visibility = Rc::clone(engine);
    let doc = document.clone();
    listeners.push(EventListener::new(
        &document,
        "visibilitychange",
        move |_| {
            if doc.visibility_state() == web_sys::VisibilityState::Hidden {
                on_visibility.on_hide();
            }
        },
    ));
    let on_pagehide = Rc::clone(engine);
    listeners.push(EventListener::new(&window, "pagehide", move |_| {
        on_pagehide.on_hide()
    }));
    Some(Capture {
        _listeners: listeners,
    })
}

/// Records what the page says on load: the product a product page shows, and the search that
/// produced a results widget.
pub fn scan_page(engine: &Rc<Engine>) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(Some(detail)) = document.query_selector(&format!("[{}][{}]", dom::ITEM, dom::DETAIL))
    {
        match dom::product_of(&detail) {
            Ok(product) => engine.record(&Event::ProductViewed { product }),
            Err(e) => engine.reporter.report_error(&e),
        }
    }
    let selector = format!("[{}=\"search\"][{}]", dom::WIDGET, dom::QUERY);
    if let Ok(Some(widget)) = document.query_selector(&selector) {
        let query = widget.get_attribute(dom::QUERY).unwrap_or_default();
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
        .and_then(|action| action.get_attribute(dom::ACTION));
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
                .and_then(|w| w.get_attribute(dom::WIDGET))
                .and_then(|k| WidgetKind::parse(&k).ok());
            let position = widget.and_then(|w| displayed_position(&w, &item));
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

fn displayed_position(widget: &Element, item: &Element) -> Option<u32> {
    let children = widget.children();
    let mut position = 0;
    for i in 0..children.length() {
        let child = children.item(i)?;
        if child.is_same_node(Some(item)) {
            return Some(position);
        }
        if child.has_attribute(dom::ITEM) {
            position += 1;
        }
    }
    None
}
