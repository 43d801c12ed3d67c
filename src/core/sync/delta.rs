//! The cache delta: the base records and query results that changed, as JSON
//! `{ "e": [[key, record | null]], "q": [[hash, { k, s, r, t } | null]] }`. The browser side
//! writes it to IndexedDB and posts it to the other tabs; a delta read back is applied by the
//! store (store/persistence.rs).

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use crate::core::cache::{Cache, Query};
use crate::core::error::Result;
use crate::core::json;
use crate::core::key::type_of;
use crate::core::shape::Shape;

/// The delta of `keys` and `hashes` as the cache holds them now (server base only); `live`
/// gives a live query's definition, stored with its result (`l`).
pub fn write(
    cache: &Cache,
    keys: &HashSet<String>,
    hashes: &HashSet<String>,
    live: impl Fn(&str) -> Option<Value>,
) -> String {
    let e: Vec<Value> = keys
        .iter()
        .map(|k| json!([k, cache.base_record(k)]))
        .collect();
    let q: Vec<Value> = hashes
        .iter()
        .map(|h| {
            let rec = cache.query(h).map(|q| {
                let result = cache.base_result(h).unwrap_or(&q.result);
                let mut rec =
                    json!({ "k": q.key, "s": q.shape.to_json(), "r": result, "t": q.updated_at });
                if let (Some(def), Some(m)) = (live(h), rec.as_object_mut()) {
                    m.insert("l".to_owned(), def);
                }
                rec
            });
            json!([h, rec])
        })
        .collect();
    json!({ "e": e, "q": q }).to_string()
}

/// A delta read back: entity records (`None`: gone) and query results (`None`: removed).
/// Entries of types this version of the app no longer declares, and results that cannot be
/// read, are left out.
#[derive(Debug, Default)]
pub struct Delta {
    pub entities: Vec<(String, Option<Map<String, Value>>)>,
    pub queries: Vec<(String, Option<Query>)>,
    /// Live definitions stored with query results (checked when applied).
    pub live: Vec<(String, Value)>,
}

pub fn read(text: &str, cache: &Cache) -> Result<Delta> {
    let v = json::parse_stored(text, "the cache delta")?;
    let schema = cache.schema();
    let mut d = Delta::default();
    for pair in v.get("e").and_then(Value::as_array).into_iter().flatten() {
        let (Some(key), rec) = (pair.get(0).and_then(Value::as_str), pair.get(1)) else {
            continue;
        };
        if schema.get(type_of(key)).is_none() {
            continue; // a type this version of the app no longer declares
        }
        let rec = rec.and_then(Value::as_object).cloned();
        d.entities.push((key.to_owned(), rec));
    }
    for pair in v.get("q").and_then(Value::as_array).into_iter().flatten() {
        let Some(hash) = pair.get(0).and_then(Value::as_str) else {
            continue;
        };
        match pair.get(1).and_then(Value::as_object) {
            Some(q) => {
                if let Some(query) = read_query(q, cache) {
                    if let Some(def) = q.get("l") {
                        d.live.push((hash.to_owned(), def.clone()));
                    }
                    d.queries.push((hash.to_owned(), Some(query)));
                }
            }
            None => d.queries.push((hash.to_owned(), None)),
        }
    }
    Ok(d)
}

fn read_query(q: &Map<String, Value>, cache: &Cache) -> Option<Query> {
    Some(Query {
        key: q.get("k").filter(|k| k.is_array())?.clone(),
        shape: Shape::from_json(q.get("s")?, cache.schema()).ok()?,
        result: q.get("r")?.clone(),
        updated_at: q.get("t").and_then(Value::as_f64).unwrap_or(0.0),
    })
}
