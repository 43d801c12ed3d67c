//! The one message a write sends to JS: the records and query results that changed, and the
//! keys whose snapshots must be rebuilt. One JSON string per write (measured faster than
//! building JS objects field by field across the boundary; see README "Boundary transfer").
//!
//! `{ "e": [[key, record]...], "d": [key...], "q": [[hash, shape, result]...], "dq": [hash...] }`
//! - `e`: entities whose record changed (relation fields hold keys)
//! - `d`: entities whose record is unchanged but whose view changed (they reach an `e` entity)
//! - `q`: queries whose normalized result changed
//! - `dq`: queries whose result is unchanged but that show a changed entity

use serde::Serialize;
use serde_json::{Map, Value};

use super::store::{ChangeSet, Store};

#[derive(Serialize)]
pub struct Batch<'a> {
    e: Vec<(&'a str, &'a Map<String, Value>)>,
    d: &'a [String],
    q: Vec<(&'a str, Value, &'a Value)>,
    dq: &'a [String],
}

/// The batch for a change set, borrowing the store's current records.
pub fn build<'a>(store: &'a Store, changes: &'a ChangeSet) -> Batch<'a> {
    Batch {
        e: changes
            .written_entities
            .iter()
            .filter_map(|k| store.entity(k).map(|r| (k.as_str(), r)))
            .collect(),
        d: &changes.dependent_entities,
        q: changes
            .written_queries
            .iter()
            .filter_map(|h| {
                store
                    .query(h)
                    .map(|q| (h.as_str(), q.shape.to_json(), &q.result))
            })
            .collect(),
        dq: &changes.dependent_queries,
    }
}

/// Serializes a change set against the store's current state.
pub fn to_json(store: &Store, changes: &ChangeSet) -> String {
    let batch = build(store, changes);
    // Serializing maps of strings and JSON values cannot fail; an empty batch is the safe fallback.
    serde_json::to_string(&batch).unwrap_or_else(|_| r#"{"e":[],"d":[],"q":[],"dq":[]}"#.to_owned())
}
