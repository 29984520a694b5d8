//! Getting a signal batch to the collector: `fetch` while the page lives, `sendBeacon` as it
//! goes away, and whether the browser says the shopper asked sites not to share their data.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::outbox::Delivery;

/// POSTs `body` as JSON and reports the status, or a network error (an abort through
/// `signal` included).
pub async fn post(url: &str, body: &str, signal: Option<&web_sys::AbortSignal>) -> Delivery {
    match try_post(url, body, signal).await {
        Ok(status) => Delivery::Status(status),
        Err(_) => Delivery::NetworkError,
    }
}

async fn try_post(
    url: &str,
    body: &str,
    signal: Option<&web_sys::AbortSignal>,
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
    headers.set("content-type", "application/json")?;
    init.set_headers(&headers);
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await?;
    let response: web_sys::Response = response.dyn_into()?;
    Ok(response.status())
}

/// Queues `body` with `navigator.sendBeacon`. Returns whether the browser accepted it; the
/// page-wide 64 KB beacon quota can make it refuse.
pub fn beacon(url: &str, body: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.navigator().send_beacon_with_opt_str(url, Some(body)).ok())
        .unwrap_or(false)
}

/// Whether the browser sends Global Privacy Control (`navigator.globalPrivacyControl`). Only
/// a real `true` counts: absent, `false` or anything else means no signal.
pub fn global_privacy_control() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"globalPrivacyControl".into()).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}
