//! `inspect()`: what devtools show that the wrapper does not mirror: every entity with the
//! queries that show it, and each pending mutation's optimistic layer. A read: no output,
//! no finish step.

use serde_json::{json, Value};

use super::Store;
use crate::core::cache::layer::LayerWrite;

impl Store {
    /// `{ entities: [[key, [hash]]], layers: [{ id, active, writes: [[key, patch | null]], inserts: [[hash, key]] }] }`
    pub fn inspect(&self) -> Value {
        let entities: Vec<Value> = self
            .cache
            .entities_shown()
            .into_iter()
            .map(|(key, hashes)| json!([key, hashes]))
            .collect();
        let layers: Vec<Value> = self
            .queue
            .list()
            .iter()
            .map(|m| {
                let writes: Vec<Value> = m
                    .layer
                    .writes
                    .iter()
                    .map(|(key, w)| match w {
                        LayerWrite::Merge(patch) => json!([key, patch]),
                        LayerWrite::Delete => json!([key, null]),
                    })
                    .collect();
                let inserts: Vec<Value> = m
                    .layer
                    .inserts
                    .iter()
                    .map(|i| json!([i.hash, i.key]))
                    .collect();
                json!({ "id": m.id, "active": m.layered, "writes": writes, "inserts": inserts })
            })
            .collect();
        json!({ "entities": entities, "layers": layers })
    }
}
