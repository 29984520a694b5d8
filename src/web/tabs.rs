//! Other tabs of the same store: what one tab erases or pauses, every open tab honours, and
//! what one tab records, the others merge.
//!
//! The browser fires a `storage` event in every *other* same-origin tab when one changes
//! localStorage, so the tab that erased needs no message of its own. The event is not
//! instant: a write racing it is caught by the engine itself, which never writes back a
//! profile that vanished from storage since it last saw it (see `Engine::persist_now`).
//! A profile another tab wrote is adopted and merged with this tab's own recent events
//! (`crate::event_log`), so that both tabs' events count; the `storage` event is the channel
//! for that too, since it arrives only once the other tab's value is readable here.
//! A store running from memory shares nothing across tabs, and needs nothing of this.

use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::JsValue;

use super::engine::{key, Engine};
use super::storage::MAX_STORED_CHARS;
use super::text::copy_within;
use super::widgets;
use crate::inventory::{CONSENT_KEY, CONTROLS_KEY, PROFILE_KEY};

/// The `storage` listener of one running SDK; dropping it removes it.
pub struct Tabs {
    _listener: EventListener,
}

/// Listens for other tabs' changes to Vitrine's keys.
pub fn listen(engine: &Rc<Engine>) -> Option<Tabs> {
    let window = web_sys::window()?;
    let engine = Rc::clone(engine);
    let listener = EventListener::new(&window, "storage", move |event| {
        // Only the browser's own: a page's script may dispatch a `storage` event itself (a
        // same-tab sync idiom), with no key, which would read as another tab's `clear()`
        // and forget a revoked consent or a pause; or dispatch one from inside its own
        // wrapper of `setItem`, while this tab is writing.
        if !event.is_trusted() {
            return;
        }
        // web-sys's StorageEvent would need another feature for two fields; read them plainly.
        let field = |name: &str| js_sys::Reflect::get(event, &JsValue::from_str(name)).ok();
        let changed = field("key").and_then(|k| k.as_string());
        // Read only for Vitrine's keys, and only when short enough: another tab's app may
        // store anything, of any length, and wasm memory never shrinks.
        // A longer value is none of Vitrine's records: the event is then ignored.
        let new_value = || {
            let value = field("newValue")?;
            copy_within(&value, MAX_STORED_CHARS)
        };
        match changed {
            // `localStorage.clear()` in another tab: everything went.
            None => engine.forget_in_memory(),
            Some(changed) if changed == key(&engine.config, PROFILE_KEY) => match new_value() {
                None => engine.forget_in_memory(),
                Some(Ok(json)) => engine.adopt_profile(json),
                Some(Err(_)) => {}
            },
            Some(changed) if changed == key(&engine.config, CONTROLS_KEY) => {
                let Ok(value) = new_value().transpose() else {
                    return;
                };
                engine.adopt_controls(value.as_deref());
                if engine.paused() {
                    widgets::all_widgets()
                        .iter()
                        .for_each(widgets::restore_server_order);
                }
            }
            Some(changed) if changed == key(&engine.config, CONSENT_KEY) => {
                if let Ok(value) = new_value().transpose() {
                    engine.adopt_consent(value.as_deref());
                }
            }
            Some(_) => {}
        }
    });
    Some(Tabs {
        _listener: listener,
    })
}
