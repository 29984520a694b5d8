//! Dwell on product pages: how long the product page was visible, not how long it was open.
//!
//! The clock runs only while the document is visible. What it measured is recorded as a
//! `product_dwell` event when the tab is hidden (the last moment a page is sure to run:
//! `pagehide` and `unload` may never come on mobile), when the page view ends, and when
//! Vitrine stops. A view shorter than a second records nothing.

use std::cell::RefCell;
use std::rc::Rc;

use super::dom;
use super::engine::Engine;
use crate::event::{Event, Product, MAX_DWELL_SECONDS};

/// Less visible time than this is a glance, not a read.
const SHORTEST_MS: f64 = 1_000.0;

/// The dwell clock of the product page now shown, if any.
pub struct Dwell {
    engine: Rc<Engine>,
    clock: RefCell<Clock>,
}

#[derive(Default)]
struct Clock {
    product: Option<Product>,
    /// When the page last became visible, while it is (`performance.now()`).
    visible_since: Option<f64>,
    /// Visible time not yet recorded.
    pending_ms: f64,
    /// The engine's [`Engine::forgotten`] when this time began: after an erase, time
    /// measured before it is the erased profile's, not the new one's.
    generation: u32,
}

impl Dwell {
    /// A clock with no product page yet.
    pub fn new(engine: &Rc<Engine>) -> Dwell {
        Dwell {
            engine: Rc::clone(engine),
            clock: RefCell::default(),
        }
    }

    /// A product page is shown: what the previous one measured is recorded, and the clock
    /// starts for this one if the page is visible.
    pub fn begin(&self, product: Product) {
        self.end();
        let mut clock = self.clock.borrow_mut();
        clock.product = Some(product);
        clock.visible_since = (!dom::tab_hidden()).then(now);
        clock.generation = self.engine.forgotten();
    }

    /// The page view ends, or Vitrine stops: the time measured is recorded.
    pub fn end(&self) {
        self.hidden();
        self.clock.borrow_mut().product = None;
    }

    /// The tab was hidden: the clock stops and its time is recorded.
    pub fn hidden(&self) {
        let event = {
            let mut clock = self.clock.borrow_mut();
            if let Some(since) = clock.visible_since.take() {
                clock.pending_ms += (now() - since).max(0.0);
            }
            if clock.generation != self.engine.forgotten() {
                clock.generation = self.engine.forgotten();
                clock.pending_ms = 0.0;
            }
            let pending = std::mem::take(&mut clock.pending_ms);
            match &clock.product {
                Some(product) if pending >= SHORTEST_MS => Event::ProductDwell {
                    product: product.clone(),
                    seconds: (pending / 1_000.0).min(MAX_DWELL_SECONDS),
                },
                _ => return,
            }
        };
        self.engine.record(&event);
    }

    /// The tab is visible again: the clock runs again, if a product page is shown.
    pub fn visible(&self) {
        let mut clock = self.clock.borrow_mut();
        if clock.product.is_some() && clock.visible_since.is_none() {
            clock.visible_since = Some(now());
        }
    }
}

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}
