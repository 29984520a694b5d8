//! JavaScript strings copied into wasm memory only when short enough. The memory is capped
//! (`build.rs`) and never shrinks, so a string's length is checked while it is still in
//! JavaScript, before the copy.

use wasm_bindgen::{JsCast, JsValue};

/// `value` copied into a `String` when it is a string of at most `max_chars` UTF-16 units;
/// `Err` with its length when it is longer; `None` when it is no string.
pub fn copy_within(value: &JsValue, max_chars: usize) -> Option<Result<String, usize>> {
    let text = value.dyn_ref::<js_sys::JsString>()?;
    let length = text.length() as usize;
    Some(if length > max_chars {
        Err(length)
    } else {
        Ok(String::from(text))
    })
}
