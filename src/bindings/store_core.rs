//! `StoreCore`: the wasm half of a store. Every write takes JSON text and returns one batch
//! (JSON text) describing what changed; the JS wrapper applies it to its snapshots. Reads of
//! snapshots never come here.

use wasm_bindgen::prelude::*;

use super::error::to_js;
use crate::core::{batch, Store};
use crate::web::clock;

#[wasm_bindgen]
pub struct StoreCore {
    pub(super) inner: Store,
}

#[wasm_bindgen]
impl StoreCore {
    /// `options_json`: the JSON-serializable `createStore` options.
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str) -> Result<StoreCore, JsValue> {
        Store::from_options_json(options_json)
            .map(|inner| StoreCore { inner })
            .map_err(to_js)
    }

    #[wasm_bindgen(js_name = setQueryData)]
    pub fn set_query_data(
        &mut self,
        hash: &str,
        key_json: &str,
        data_json: &str,
        shape_json: &str,
    ) -> Result<String, JsValue> {
        let changes = self
            .inner
            .set_query_data(hash, key_json, data_json, shape_json, clock::now())
            .map_err(to_js)?;
        Ok(batch::to_json(&self.inner, &changes, data_json.len()))
    }

    #[wasm_bindgen(js_name = updateEntity)]
    pub fn update_entity(
        &mut self,
        type_name: &str,
        id_json: &str,
        patch_json: &str,
    ) -> Result<String, JsValue> {
        let changes = self
            .inner
            .update_entity(type_name, id_json, patch_json)
            .map_err(to_js)?;
        Ok(batch::to_json(&self.inner, &changes, patch_json.len()))
    }

    /// The core's own denormalized reading of a query, as JSON text (`undefined` if unknown).
    /// Used by tests to check the JS snapshots against the core.
    #[wasm_bindgen(js_name = readQuery)]
    pub fn read_query(&self, hash: &str) -> Option<String> {
        self.inner.read_query(hash).map(|v| v.to_string())
    }

    /// The number of cached entities.
    #[wasm_bindgen(js_name = entityCount)]
    pub fn entity_count(&self) -> usize {
        self.inner.entity_count()
    }
}
