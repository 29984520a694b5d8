//! One tab syncs: the tab holding a Web Lock is the only one that builds, queues and sends
//! batches, and the only one that writes the outbox and the ledger.
//!
//! The outbox carries the day's privacy budget. Two tabs that each spent from their own copy
//! and wrote it back would, between them, spend the day's ε twice; one syncing tab cannot.
//! The lock is asked for without waiting first, so that a lone tab knows at once that it
//! leads; a tab that finds it held queues a second request, and takes over (reading the
//! outbox and ledger its predecessor wrote) when that tab closes or stops. A browser without
//! Web Locks, or a store running from memory (which no other tab shares), leads at once.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::engine::Engine;

// `onLead` is called at most once, when this tab holds the lock; `release()` lets it go, or
// withdraws the queued request. `decided` settles once this tab knows whether it leads now.
#[wasm_bindgen(inline_js = r#"
export function vitrineLeadSync(name, onLead) {
  const locks = globalThis.navigator?.locks;
  if (typeof locks?.request !== "function") return null;
  let stopped = false;
  let release = () => {};
  const held = new Promise((resolve) => (release = resolve));
  const lead = () => {
    if (stopped) return undefined;
    try { onLead(); } catch (_) { /* reported by the SDK itself */ }
    return held;
  };
  let decide = () => {};
  const decided = new Promise((resolve) => (decide = resolve));
  locks
    .request(name, { ifAvailable: true }, (lock) => {
      if (lock !== null) {
        decide(true);
        return lead();
      }
      decide(false);
      locks.request(name, lead).catch(() => {});
      return undefined;
    })
    .catch(() => decide(false));
  return {
    decided,
    release: () => {
      stopped = true;
      release();
    },
  };
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = vitrineLeadSync)]
    fn lead_sync(name: &str, on_lead: &js_sys::Function) -> JsValue;
}

/// This tab's claim on the sync; dropping it releases the lock (or the queued request), and
/// the next tab takes over.
pub struct SyncLead {
    release: Option<js_sys::Function>,
    _on_lead: Closure<dyn FnMut()>,
}

/// Asks for the sync lock; until it is decided, [`Engine::sync`] waits for the answer.
pub fn claim(engine: &Rc<Engine>) -> Option<SyncLead> {
    if engine.config.sync_url.is_none() || engine.state.borrow().store.degraded().is_some() {
        engine.lead_sync();
        return None;
    }
    let on_lead = {
        let engine = Rc::clone(engine);
        Closure::<dyn FnMut()>::new(move || engine.lead_sync())
    };
    let name = format!("{}.sync", engine.config.storage_prefix);
    let claim = lead_sync(&name, on_lead.as_ref().unchecked_ref());
    if claim.is_null() {
        engine.lead_sync();
        return None;
    }
    let field = |name: &str| js_sys::Reflect::get(&claim, &JsValue::from_str(name)).ok();
    let decided = field("decided").and_then(|d| d.dyn_into::<js_sys::Promise>().ok());
    if let Some(decided) = decided {
        engine.await_sync_lead(decided);
    }
    Some(SyncLead {
        release: field("release").and_then(|r| r.dyn_into::<js_sys::Function>().ok()),
        _on_lead: on_lead,
    })
}

impl Drop for SyncLead {
    fn drop(&mut self) {
        // Before the closure goes: a grant arriving later must find the claim withdrawn.
        if let Some(release) = self.release.take() {
            let _ = release.call0(&JsValue::NULL);
        }
    }
}
