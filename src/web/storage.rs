//! The profile's home in the browser: `localStorage`, or memory when that is unavailable.
//!
//! Storage can be missing (disabled cookies, some private modes), throw on access, or throw on
//! write (quota). In each case Vitrine keeps working from memory, says so once through the
//! error hook, and keeps every value it was asked to keep: nothing written is lost by the
//! switch, only its persistence across page loads.

use std::collections::HashMap;

use web_sys::Storage;

/// A key-value store that never throws.
pub struct Store {
    prefix: String,
    local: Option<Storage>,
    memory: HashMap<String, String>,
    degraded: Option<String>,
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
            memory: HashMap::new(),
            degraded,
        }
    }

    /// Why the store runs from memory, if it does.
    pub fn degraded(&self) -> Option<&str> {
        self.degraded.as_deref()
    }

    /// Reads a value. A read that throws reads from memory instead.
    pub fn get(&self, key: &str) -> Option<String> {
        if let Some(storage) = &self.local {
            if let Ok(value) = storage.get_item(key) {
                return value;
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
        let ours = format!("{}.", self.prefix);
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

    /// Copies what localStorage holds under our prefix into memory, then stops using it.
    fn fall_back_to_memory(&mut self, reason: &str) {
        if let Some(storage) = self.local.take() {
            let length = storage.length().unwrap_or(0);
            for i in 0..length {
                let Ok(Some(key)) = storage.key(i) else {
                    continue;
                };
                if key.starts_with(&self.prefix) {
                    if let Ok(Some(value)) = storage.get_item(&key) {
                        self.memory.entry(key).or_insert(value);
                    }
                }
            }
        }
        self.degraded = Some(reason.to_owned());
    }
}
