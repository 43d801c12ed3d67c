//! `inspect()`: what devtools show that the wrapper does not mirror: every entity with the
//! queries that show it, and each pending mutation's optimistic layer. A read: no output,
//! no finish step. Values are built by hand (no `json!`/`to_value`: they cost wasm size).

use serde_json::{Map, Value};

use super::Store;
use crate::core::cache::layer::LayerWrite;

fn strings(list: Vec<String>) -> Value {
    Value::Array(list.into_iter().map(Value::String).collect())
}

impl Store {
    /// `{ entities: [[key, [hash]]], layers: [{ id, active, writes: [[key, patch | null]], inserts: [[hash, key]] }] }`
    pub fn inspect(&self) -> Value {
        let entities = self
            .cache
            .entities_shown()
            .into_iter()
            .map(|(key, hashes)| Value::Array(vec![Value::String(key), strings(hashes)]))
            .collect();
        let layers = self
            .queue
            .list()
            .iter()
            .map(|m| {
                let writes = m
                    .layer
                    .writes
                    .iter()
                    .map(|(key, w)| {
                        let patch = match w {
                            LayerWrite::Merge(patch) => Value::Object(patch.to_map()),
                            LayerWrite::Delete => Value::Null,
                        };
                        Value::Array(vec![Value::String(key.clone()), patch])
                    })
                    .collect();
                let inserts = m
                    .layer
                    .inserts
                    .iter()
                    .map(|i| strings(vec![i.hash.clone(), i.key.clone()]))
                    .collect();
                let mut o = Map::new();
                o.insert("id".into(), Value::String(m.id.clone()));
                o.insert("active".into(), Value::Bool(m.layered));
                o.insert("writes".into(), Value::Array(writes));
                o.insert("inserts".into(), Value::Array(inserts));
                Value::Object(o)
            })
            .collect();
        let mut o = Map::new();
        o.insert("entities".into(), Value::Array(entities));
        o.insert("layers".into(), Value::Array(layers));
        Value::Object(o)
    }
}
