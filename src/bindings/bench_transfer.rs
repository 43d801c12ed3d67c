//! The alternative boundary transfer, built only for the transfer benchmark
//! (`--features bench-transfer`): the same change batch handed to JS as objects built by
//! serde-wasm-bindgen instead of one JSON string.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::error::to_js;
use super::StoreCore;
use crate::core::batch;
use crate::web::clock;

#[wasm_bindgen]
impl StoreCore {
    #[wasm_bindgen(js_name = setQueryDataObjects)]
    pub fn set_query_data_objects(
        &self,
        hash: &str,
        key_json: &str,
        data_json: &str,
        shape_json: &str,
    ) -> Result<JsValue, JsValue> {
        let mut s = self
            .inner
            .try_borrow_mut()
            .map_err(|_| JsValue::from_str("busy"))?;
        let out = s
            .set_query_data(hash, key_json, data_json, shape_json, clock::now())
            .map_err(to_js)?;
        let b = batch::build(&s, &out.changes);
        b.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| JsValue::from_str(&e.to_string()))
    }
}
