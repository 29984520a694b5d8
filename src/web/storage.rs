//! The profile's home in the browser: `localStorage`, or memory when that is unavailable.
//!
//! Storage can be missing (disabled cookies, some private modes), throw on access, or throw on
//! write (quota). In each case Vitrine keeps working from memory, says so once through the
//! error hook, and keeps every value it was asked to keep: nothing written is lost by the
//! switch, only its persistence across page loads.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use web_sys::Storage;

use super::text::copy_within;
use crate::label_map::LabelMap;

/// Longest stored value Vitrine reads, in characters (UTF-16 units). Its own records stay
/// under 32 KB; a longer value is not one of them, and copying it into wasm memory, which
/// never shrinks, could fill its cap (`build.rs`) on every page load.
pub const MAX_STORED_CHARS: usize = 256 << 10;

#[wasm_bindgen]
extern "C" {
    /// `localStorage` through a `getItem` whose value stays in JavaScript until its length
    /// is known (web-sys's copies it into a `String` at once).
    type UncopiedStorage;

    #[wasm_bindgen(method, catch, js_name = getItem)]
    fn get_item(this: &UncopiedStorage, key: &str) -> Result<JsValue, JsValue>;
}

/// A key-value store that never throws.
pub struct Store {
    prefix: String,
    local: Option<Storage>,
    memory: LabelMap<String>,
    degraded: Option<String>,
    /// Keys whose values were too long to read, with their lengths, until reported.
    unread: RefCell<Vec<(String, usize)>>,
}

impl Store {
    /// Opens `localStorage` for keys starting with `prefix`, probing that it accepts a write.
    pub fn open(prefix: &str) -> Store {
        let probe_key = format!("{prefix}.{}", crate::inventory::PROBE_KEY);
        let local = web_sys::window().ok_or("no window").and_then(|w| {
            w.local_storage()
                .map_err(|_| "localStorage threw on access")?
                .ok_or("no localStorage")
        });
        let probed = local.and_then(|storage| {
            storage
                .set_item(&probe_key, "1")
                .map_err(|_| "localStorage refused a write")?;
            let _ = storage.remove_item(&probe_key);
            Ok(storage)
        });
        let (local, degraded) = match probed {
            Ok(storage) => (Some(storage), None),
            Err(reason) => (None, Some(reason.to_owned())),
        };
        Store {
            prefix: prefix.to_owned(),
            local,
            memory: LabelMap::default(),
            degraded,
            unread: RefCell::new(Vec::new()),
        }
    }

    /// The keys [`Store::get`] found too long to read since the last call, with their
    /// lengths; each was read as absent.
    pub fn take_unread(&self) -> Vec<(String, usize)> {
        self.unread.take()
    }

    /// Why the store runs from memory, if it does.
    pub fn degraded(&self) -> Option<&str> {
        self.degraded.as_deref()
    }

    /// Reads a value. A read that throws reads from memory instead; a value over
    /// [`MAX_STORED_CHARS`] reads as absent, and is listed by [`Store::take_unread`].
    pub fn get(&self, key: &str) -> Option<String> {
        if let Some(storage) = &self.local {
            if let Ok(value) = storage.unchecked_ref::<UncopiedStorage>().get_item(key) {
                return match copy_within(&value, MAX_STORED_CHARS)? {
                    Ok(text) => Some(text),
                    Err(length) => {
                        let mut unread = self.unread.borrow_mut();
                        if !unread.iter().any(|(k, _)| k == key) {
                            unread.push((key.to_owned(), length));
                        }
                        None
                    }
                };
            }
        }
        self.memory.get(key).cloned()
    }

    /// Writes a value. Returns the reason when this write moved the store to memory.
    pub fn set(&mut self, key: &str, value: &str) -> Option<String> {
        if let Some(storage) = &self.local {
            if storage.set_item(key, value).is_ok() {
                return None;
            }
            self.fall_back_to_memory("localStorage refused a write (quota or policy)");
            self.memory.insert(key.to_owned(), value.to_owned());
            return self.degraded.clone();
        }
        self.memory.insert(key.to_owned(), value.to_owned());
        None
    }

    /// Removes a value wherever it is.
    pub fn remove(&mut self, key: &str) {
        if let Some(storage) = &self.local {
            let _ = storage.remove_item(key);
        }
        self.memory.remove(key);
    }

    /// Removes every key under the prefix, from localStorage and from memory, whether this
    /// version of Vitrine knows it or an older one wrote it.
    pub fn remove_all(&mut self) {
        let ours = self.key_prefix();
        if let Some(storage) = &self.local {
            let length = storage.length().unwrap_or(0);
            // Collect first: removing while walking the indices would skip keys.
            let keys: Vec<String> = (0..length)
                .filter_map(|i| storage.key(i).ok().flatten())
                .filter(|key| key.starts_with(&ours))
                .collect();
            for key in keys {
                let _ = storage.remove_item(&key);
            }
        }
        self.memory.retain(|key, _| !key.starts_with(&ours));
    }

    /// What every key of ours starts with: the prefix and its dot, so that the keys of an
    /// instance with the prefix `vitrine2` are not taken for ours.
    fn key_prefix(&self) -> String {
        format!("{}.", self.prefix)
    }

    /// Copies what localStorage holds under our prefix into memory, then stops using it.
    fn fall_back_to_memory(&mut self, reason: &str) {
        let ours = self.key_prefix();
        if let Some(storage) = self.local.take() {
            let length = storage.length().unwrap_or(0);
            for i in 0..length {
                let Ok(Some(key)) = storage.key(i) else {
                    continue;
                };
                if key.starts_with(&ours) {
                    if let Ok(Some(value)) = storage.get_item(&key) {
                        if !self.memory.contains_key(&key) {
                            self.memory.insert(key, value);
                        }
                    }
                }
            }
        }
        self.degraded = Some(reason.to_owned());
    }
}
