//! From a JavaScript value to JSON text, so that page input is parsed by the same serde code
//! (with the same unknown-field and per-field errors) as everywhere else.
//!
//! serde-wasm-bindgen reads structs by looking up known field names, so it never sees an
//! unknown (typo'd) option; going through JSON does. Plain `JSON.stringify` would also turn
//! `NaN` and `Infinity` into `null`, silently dropping a bad price, so a replacer writes them
//! as strings, which then fail as "expected f64" at their field.

use wasm_bindgen::prelude::*;

use crate::error::{Error, Result};

/// `JSON.stringify(value)` with non-finite numbers kept visible as strings.
pub fn stringify(value: &JsValue) -> Result<String> {
    let replacer =
        Closure::<dyn Fn(JsValue, JsValue) -> JsValue>::new(|_key: JsValue, v: JsValue| {
            // Spelled as JavaScript does, which is what `event::price` recognises; Rust's
            // own `Display` would write `inf`.
            match v.as_f64() {
                Some(n) if n.is_nan() => JsValue::from_str("NaN"),
                Some(n) if n == f64::INFINITY => JsValue::from_str("Infinity"),
                Some(n) if n == f64::NEG_INFINITY => JsValue::from_str("-Infinity"),
                _ => v,
            }
        });
    let text = js_sys::JSON::stringify_with_replacer(value, replacer.as_ref())
        .map_err(|_| Error::Malformed("not serializable as JSON (a cycle or a BigInt?)".into()))?;
    text.as_string()
        .ok_or_else(|| Error::Malformed("expected an object".into()))
}
