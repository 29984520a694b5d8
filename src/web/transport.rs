//! Getting a signal batch to the collector, by `fetch` while the page lives and as it goes
//! away, and whether the browser says the shopper asked sites not to share their data.
//!
//! Never by `sendBeacon`: a beacon carries the cookies of the collector's origin, often the
//! store's own session cookie, which would tie a batch to a shopper. Every request here is
//! made without credentials.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::outbox::Delivery;

/// POSTs `body` as JSON and reports the status, or a network error (an abort through
/// `signal` included).
pub async fn post(url: &str, body: &str, signal: Option<&web_sys::AbortSignal>) -> Delivery {
    delivery(try_post(url, body, signal, "application/json").await)
}

/// POSTs `body` as the page goes away, and does not wait for the answer: the browser
/// finishes a keepalive request after the page is gone. As `text/plain`, which a
/// cross-origin collector takes without a preflight request that the closing page might not
/// wait for (the collector reads the JSON either way).
pub fn post_leaving(url: &str, body: &str) {
    let (url, body) = (url.to_owned(), body.to_owned());
    // The request starts in this task's microtasks, before the page is torn down.
    wasm_bindgen_futures::spawn_local(async move {
        let _ = try_post(&url, &body, None, "text/plain;charset=UTF-8").await;
    });
}

fn delivery(answer: Result<u16, JsValue>) -> Delivery {
    match answer {
        Ok(status) => Delivery::Status(status),
        Err(_) => Delivery::NetworkError,
    }
}

async fn try_post(
    url: &str,
    body: &str,
    signal: Option<&web_sys::AbortSignal>,
    content_type: &str,
) -> Result<u16, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_signal(signal);
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    init.set_credentials(web_sys::RequestCredentials::Omit);
    // keepalive lets a request started just before navigation still complete; web-sys has no
    // setter for it.
    js_sys::Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE)?;
    let headers = web_sys::Headers::new()?;
    headers.set("content-type", content_type)?;
    init.set_headers(&headers);
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await?;
    let response: web_sys::Response = response.dyn_into()?;
    Ok(response.status())
}

/// Whether the browser sends Global Privacy Control (`navigator.globalPrivacyControl`). Only
/// a real `true` counts: absent, `false` or anything else means no signal.
pub fn global_privacy_control() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"globalPrivacyControl".into()).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}
