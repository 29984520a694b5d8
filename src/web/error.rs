//! Turning Vitrine errors into JavaScript errors, and reporting the ones nobody awaits.

use wasm_bindgen::prelude::*;

use crate::error::Error;

/// A JavaScript `Error` named `VitrineError`, with the stable `code` as a property.
pub fn to_js(error: &Error) -> JsValue {
    make(error.code(), &error.to_string())
}

/// A `VitrineError` for failures that happen in the browser layer itself.
pub fn make(code: &str, message: &str) -> JsValue {
    let js = js_sys::Error::new(message);
    js.set_name("VitrineError");
    // Reflect::set only fails on frozen objects; a fresh Error is not one.
    let _ = js_sys::Reflect::set(&js, &"code".into(), &code.into());
    js.into()
}

/// What a thrown JavaScript value says: an error's `message` (when it has one), a thrown
/// string itself, or else its type. Not `{:?}`: formatting a `JsValue` that way costs the
/// core and its glue a debug printer of every JavaScript type.
pub fn describe(value: &JsValue) -> String {
    let message = js_sys::Reflect::get(value, &"message".into()).ok();
    message
        .and_then(|m| m.as_string())
        .filter(|m| !m.is_empty())
        .or_else(|| value.as_string())
        .unwrap_or_else(|| match value.js_typeof().as_string() {
            Some(kind) => format!("a thrown value of type {kind}"),
            None => "a thrown value".into(),
        })
}

/// Where errors that no caller awaits go: the page's `onError` hook, or a console warning
/// when there is none (the npm wrapper's hook warns itself, with the error's code: both
/// warned each error twice).
#[derive(Clone, Default)]
pub struct Reporter {
    hook: Option<js_sys::Function>,
}

impl Reporter {
    /// A reporter calling `hook`, if given, for every error.
    pub fn new(hook: Option<js_sys::Function>) -> Self {
        Reporter { hook }
    }

    /// Reports one error. Never throws: a throwing hook is itself only warned about.
    pub fn report(&self, error: &JsValue) {
        match &self.hook {
            Some(hook) => {
                if hook.call1(&JsValue::NULL, error).is_err() {
                    let message = describe(error);
                    web_sys::console::warn_1(
                        &format!("vitrine: {message} (and the onError hook threw)").into(),
                    );
                }
            }
            None => web_sys::console::warn_1(&format!("vitrine: {}", describe(error)).into()),
        }
    }

    /// Reports a core [`Error`].
    pub fn report_error(&self, error: &Error) {
        self.report(&to_js(error));
    }
}
