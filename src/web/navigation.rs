//! New page views in a page that does not reload: client-side navigation, and restores from
//! the back/forward cache.
//!
//! A single-page app changes its URL through the history API and never loads a page again,
//! so `pushState` and `replaceState` are wrapped (the page's call runs first, unchanged, and
//! its result is returned), and `popstate` and `hashchange` are heard. A call that leaves the
//! URL as it was (`replaceState` of state alone) starts no view. A page restored from the
//! back/forward cache (`pageshow` with `persisted`) is shown again without any script running
//! again: that is a new view too.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// How a new page view began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewStart {
    /// The URL changed without a load.
    Navigated,
    /// The page came back from the back/forward cache.
    Restored,
}

// Another script (a tag manager, a router) may wrap the history methods after us; then ours
// cannot be taken out of the chain, so it only goes quiet.
#[wasm_bindgen(inline_js = r#"
export function vitrineWrapHistory(onChange) {
  const history = globalThis.history;
  let active = true;
  const wrapped = [];
  for (const name of ["pushState", "replaceState"]) {
    const original = history[name];
    const wrapper = function (...args) {
      const result = original.apply(this, args);
      if (active) {
        try { onChange(); } catch (_) { /* never into the page's call */ }
      }
      return result;
    };
    history[name] = wrapper;
    wrapped.push([name, original, wrapper]);
  }
  return () => {
    active = false;
    for (const [name, original, wrapper] of wrapped) {
      if (history[name] === wrapper) history[name] = original;
    }
  };
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = vitrineWrapHistory, catch)]
    fn wrap_history(on_change: &js_sys::Function) -> Result<js_sys::Function, JsValue>;
}

/// The navigation watch of one running SDK. Dropping it restores the history methods (or
/// silences its wrappers) and removes its listeners.
pub struct Navigation {
    unwrap_history: Option<js_sys::Function>,
    _on_history: Closure<dyn FnMut()>,
    _listeners: Vec<EventListener>,
}

/// Calls `on_view` at the start of each new page view after this one.
pub fn watch(on_view: impl Fn(ViewStart) + 'static) -> Option<Navigation> {
    let window = web_sys::window()?;
    let on_view = Rc::new(on_view);
    let url = Rc::new(RefCell::new(current_url()));

    // Any of the four signals: a view starts only if the URL really changed.
    let changed = {
        let on_view = Rc::clone(&on_view);
        let url = Rc::clone(&url);
        Rc::new(move || {
            let now = current_url();
            if *url.borrow() != now {
                *url.borrow_mut() = now;
                on_view(ViewStart::Navigated);
            }
        })
    };

    let on_history = {
        let changed = Rc::clone(&changed);
        Closure::<dyn FnMut()>::new(move || changed())
    };
    let unwrap_history = wrap_history(on_history.as_ref().unchecked_ref()).ok();

    let mut listeners = Vec::new();
    for name in ["popstate", "hashchange"] {
        let changed = Rc::clone(&changed);
        listeners.push(EventListener::new(&window, name, move |_| changed()));
    }
    listeners.push(EventListener::new(&window, "pageshow", move |event| {
        let restored = event
            .dyn_ref::<web_sys::PageTransitionEvent>()
            .is_some_and(|e| e.persisted());
        if restored {
            *url.borrow_mut() = current_url();
            on_view(ViewStart::Restored);
        }
    }));

    Some(Navigation {
        unwrap_history,
        _on_history: on_history,
        _listeners: listeners,
    })
}

impl Drop for Navigation {
    fn drop(&mut self) {
        // Before the closure goes: a wrapper that outlives it must not call into freed code.
        if let Some(unwrap) = self.unwrap_history.take() {
            let _ = unwrap.call0(&JsValue::NULL);
        }
    }
}

fn current_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}
