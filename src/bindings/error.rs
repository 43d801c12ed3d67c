//! Core errors become JS `Error`s here, once, with the stable `code` property the JS wrapper
//! turns into a `StrataError`.

use wasm_bindgen::JsValue;

use crate::core::Error;

pub fn to_js(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    // Setting a property on a fresh Error object cannot fail; if it somehow did, the message
    // alone still reaches JS (the wrapper treats a missing code as INTERNAL).
    let _ = js_sys::Reflect::set(
        &err,
        &JsValue::from_str("code"),
        &JsValue::from_str(e.code()),
    );
    err.into()
}
