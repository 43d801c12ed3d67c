//! HTTP for queries with the platform `fetch` (web-sys): the response text stays in Rust and
//! goes straight to the core. Timeouts and cancellation arrive as an `AbortSignal` from the
//! JS wrapper, which aborts with the reason `"strata:timeout"` when `timeout` ran out.
//! (The issue named gloo-net, a thin builder over these same calls; see docs/ARCHITECTURE.md.)

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, RequestInit, Response};

use crate::core::{ErrorInfo, Settle};

pub const TIMEOUT_REASON: &str = "strata:timeout";

#[wasm_bindgen]
extern "C" {
    // The global `fetch` (window or worker).
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(input: &str, init: &RequestInit) -> js_sys::Promise;
}

/// GETs `url` with `headers` (a plain object of strings, evaluated at send time by the
/// wrapper) and reports how it ended.
pub async fn get(url: &str, headers: JsValue, signal: Option<AbortSignal>, how: &How) -> Settle {
    send("GET", url, headers, None, signal, how).await
}

/// How a store sends: its `fetch` option (else the global one), its `credentials` option,
/// and the attempt's timeout.
pub struct How {
    pub fetcher: Option<js_sys::Function>,
    pub credentials: Option<String>,
    pub timeout_ms: f64,
}

/// Sends one request (queries: GET; mutations: any method with a JSON body).
pub async fn send(
    method: &str,
    url: &str,
    headers: JsValue,
    body: Option<String>,
    signal: Option<AbortSignal>,
    how: &How,
) -> Settle {
    let timeout_ms = how.timeout_ms;
    let init = RequestInit::new();
    if let Some(c) = &how.credentials {
        // Set by name: the typed setter needs another web-sys feature for one string.
        let _ = js_sys::Reflect::set(&init, &"credentials".into(), &JsValue::from_str(c));
    }
    init.set_method(method);
    if headers.is_object() {
        init.set_headers(&headers);
    }
    if let Some(b) = &body {
        init.set_body(&JsValue::from_str(b));
    }
    init.set_signal(signal.as_ref());
    let failed = |detail: JsValue| {
        if signal.as_ref().is_some_and(is_timeout) {
            Settle::Failed(ErrorInfo::new(
                "TIMEOUT",
                format!(
                    "{method} {url} did not answer within {} ms; raise `timeout` or check the server",
                    timeout_ms as u64
                ),
            ))
        } else {
            let detail = detail
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_else(|| "no answer".to_owned());
            Settle::Failed(ErrorInfo::new(
                "NETWORK",
                format!("{method} {url} failed before an answer arrived ({detail}); check the connection and the url"),
            ))
        }
    };
    let started = match &how.fetcher {
        Some(f) => match f.call2(&JsValue::UNDEFINED, &JsValue::from_str(url), &init) {
            Ok(v) => js_sys::Promise::resolve(&v),
            Err(e) => return failed(e),
        },
        None => global_fetch(url, &init),
    };
    let resp: Response = match JsFuture::from(started).await {
        Ok(r) => match r.dyn_into() {
            Ok(r) => r,
            Err(other) => return failed(other),
        },
        Err(e) => return failed(e),
    };
    let status = resp.status();
    let retry_after = resp.headers().get("retry-after").ok().flatten();
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p).await,
        Err(e) => Err(e),
    };
    match text {
        Ok(body) => Settle::Http {
            status,
            body: body.as_string().unwrap_or_default(),
            retry_after,
        },
        Err(e) => failed(e),
    }
}

fn is_timeout(signal: &AbortSignal) -> bool {
    signal.aborted() && signal.reason() == JsValue::from_str(TIMEOUT_REASON)
}
