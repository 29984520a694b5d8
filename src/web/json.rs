//! From a JavaScript value to JSON text, which the core's own readers then take apart field
//! by field (`crate::json`).
//!
//! Reading the object through its known field names (as serde-wasm-bindgen does) never sees an
//! unknown (typo'd) option; going through JSON does. Plain `JSON.stringify` would also turn
//! `NaN` and `Infinity` into `null`, silently dropping a bad price, so a replacer writes them
//! as strings, which then fail as "expected a number" at their field.

use wasm_bindgen::prelude::*;

use crate::error::{Error, Result};

/// `JSON.stringify(value)` with non-finite numbers kept visible as strings.
///
/// Refused as `field`, expecting `within`, when it is longer than `max_bytes`: before it is
/// copied into wasm memory, which never shrinks. (A JavaScript string is never longer in
/// UTF-16 units than in UTF-8 bytes, so no text within the limit is refused here.)
pub fn stringify(
    value: &JsValue,
    field: &str,
    max_bytes: usize,
    within: &'static str,
) -> Result<String> {
    let replacer =
        Closure::<dyn Fn(JsValue, JsValue) -> JsValue>::new(|_key: JsValue, v: JsValue| {
            // Spelled as JavaScript does, which is what `event_json::amount` recognises; Rust's
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
    match super::text::copy_within(&text, max_bytes) {
        Some(Ok(text)) => Ok(text),
        Some(Err(length)) => Err(Error::invalid(
            field,
            within,
            format!("{length} characters"),
        )),
        None => Err(Error::Malformed("expected an object".into())),
    }
}
