//! From a JavaScript value to JSON text, which the core's own readers then take apart field
//! by field (`crate::json`).
//!
//! Reading the object through its known field names (as serde-wasm-bindgen does) never sees an
//! unknown (typo'd) option; going through JSON does. Plain `JSON.stringify` would also turn
//! `NaN` and `Infinity` into `null`, silently dropping a bad price, so a replacer writes them
//! as strings, which then fail as "expected a number" at their field. And it would call a
//! `toJSON` that the page's scripts put on `Array.prototype` or `Object.prototype`, as
//! Prototype.js did (an array then became a string, and an order its refusal), so the
//! replacer writes what the page's object holds instead (`src/page_safe.js`). What JSON
//! cannot hold (a BigInt, a lone surrogate, an object within itself) is refused at its
//! field, which the replacer names, rather than as the whole value.

use wasm_bindgen::prelude::*;

use super::error::describe;
use crate::error::{Error, Result};

#[wasm_bindgen(module = "/src/page_safe.js")]
extern "C" {
    #[wasm_bindgen(js_name = vitrineStringify, catch)]
    fn stringify_page_safe(value: &JsValue) -> std::result::Result<JsValue, JsValue>;
}

/// `JSON.stringify(value)` with non-finite numbers kept visible as strings, and no `toJSON`
/// of the built-in prototypes called.
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
    let text = stringify_page_safe(value).map_err(|thrown| unserializable(field, &thrown))?;
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

/// Why a value could not be written as JSON: what JSON cannot hold, at the path the replacer
/// names (`field` itself when it is the value), or what a getter of the page's object threw.
fn unserializable(field: &str, thrown: &JsValue) -> Error {
    let text_of = |key: &str| {
        js_sys::Reflect::get(thrown, &key.into())
            .ok()
            .and_then(|value| value.as_string())
    };
    if text_of("name").as_deref() != Some("VitrineFieldError") {
        return Error::Malformed(format!(
            "{field}: not serializable as JSON ({})",
            describe(thrown)
        ));
    }
    let path = text_of("path").filter(|path| !path.is_empty());
    Error::Malformed(format!(
        "`{}`: {}",
        path.as_deref().unwrap_or(field),
        describe(thrown)
    ))
}
