//! The one message a write sends to JS: the records and query results that changed, and the
//! keys whose snapshots must be rebuilt. One JSON string per write (measured faster than
//! building JS objects field by field across the boundary; see README "Boundary transfer").
//!
//! `{ "e": [[key, record]...], "d": [key...], "q": [[hash, shape, result]...], "dq": [hash...] }`
//! - `e`: entities whose record changed (relation fields hold keys)
//! - `d`: entities whose record is unchanged but whose view changed (they reach an `e` entity)
//! - `q`: queries whose normalized result changed
//! - `dq`: queries whose result is unchanged but that show a changed entity
//!
//! Calls of the query engine add (see `output_json`):
//! - `s`: `[[hash, state]]` queries whose state changed (status, fetchStatus, error, ...)
//! - `rq` / `re`: removed queries / garbage-collected entities
//! - `a`: actions for the browser side: `["f", hash, ticket, url|null, timeout]` (fetch),
//!   `["x", hash, ticket]` (abort)
//! - `w`: when to call `tick` next (ms since the epoch), or null
//! - `ob`: outbox records to write to IndexedDB in this order: `[[id, record | null]]`
//! - `p`: true when a cache delta waits to be persisted (`takeCacheDelta`)

use serde::Serialize;
use serde_json::{Map, Value};

use super::engine::{Action, Output};
use super::query::StateOut;
use super::store::{ChangeSet, Store};

#[derive(Serialize)]
pub struct Batch<'a> {
    e: Vec<(&'a str, &'a Map<String, Value>)>,
    /// Written entities that are gone (an optimistic delete): JS drops them like `re`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    g: Vec<&'a str>,
    d: &'a [String],
    q: Vec<(&'a str, Value, &'a Value)>,
    dq: &'a [String],
}

/// The batch for a change set, borrowing the store's current records.
pub fn build<'a>(store: &'a Store, changes: &'a ChangeSet) -> Batch<'a> {
    let mut e = Vec::with_capacity(changes.written_entities.len());
    let mut g = Vec::new();
    for k in &changes.written_entities {
        match store.entity(k) {
            Some(r) => e.push((k.as_str(), r)),
            None => g.push(k.as_str()),
        }
    }
    Batch {
        e,
        g,
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
/// `size_hint`: the length of the JSON that was written, if known; the batch is about as
/// long, and reserving it up front saves regrowing a multi-megabyte buffer.
pub fn to_json(store: &Store, changes: &ChangeSet, size_hint: usize) -> String {
    serialize(&build(store, changes), size_hint)
}

/// JSON text of a batch, its buffer reserved from `size_hint` (see `to_json`).
fn serialize(batch: &impl Serialize, size_hint: usize) -> String {
    let mut out = Vec::with_capacity(size_hint.saturating_add(size_hint / 8).saturating_add(128));
    match serde_json::to_writer(&mut out, batch) {
        // serde_json writes UTF-8 only.
        Ok(()) => String::from_utf8(out).unwrap_or_else(|_| EMPTY.to_owned()),
        // Serializing maps of strings and JSON values cannot fail; an empty batch is the fallback.
        Err(_) => EMPTY.to_owned(),
    }
}

const EMPTY: &str = r#"{"e":[],"d":[],"q":[],"dq":[]}"#;

#[derive(Serialize)]
struct OutputBatch<'a> {
    #[serde(flatten)]
    data: Batch<'a>,
    s: Vec<(&'a str, StateOut<'a>)>,
    rq: &'a [String],
    re: &'a [String],
    a: Vec<Value>,
    w: Option<f64>,
    /// Settled mutations: `[[id, true, result] | [id, false, error]]`.
    ms: Vec<Value>,
    /// When the queue or sync state changed: `{ state: syncState() }` (the list is read on demand).
    #[serde(skip_serializing_if = "Option::is_none")]
    y: Option<Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    ob: &'a [(String, Option<Value>)],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    p: bool,
}

/// Serializes an engine `Output` (data changes, states, removals, actions, next wake-up).
pub fn output_json(store: &Store, out: &Output, size_hint: usize, now: f64) -> String {
    let batch = OutputBatch {
        data: build(store, &out.changes),
        s: out
            .states
            .iter()
            .filter_map(|h| store.meta(h).map(|m| (h.as_str(), m.state(now))))
            .collect(),
        rq: &out.removed_queries,
        re: &out.removed_entities,
        a: out
            .actions
            .iter()
            .map(|a| match a {
                Action::Fetch {
                    hash,
                    ticket,
                    url,
                    timeout,
                } => serde_json::json!(["f", hash, ticket, url, timeout]),
                Action::Abort { hash, ticket } => serde_json::json!(["x", hash, ticket]),
                Action::Send {
                    id,
                    ticket,
                    method,
                    url,
                    headers,
                    body,
                    timeout,
                } => serde_json::json!(["m", id, ticket, method, url, headers, body, timeout]),
            })
            .collect(),
        w: out.wake_at,
        ms: out
            .settled
            .iter()
            .map(|(id, r)| match r {
                Ok(v) => serde_json::json!([id, true, v]),
                Err(e) => serde_json::json!([id, false, e]),
            })
            .collect(),
        y: out.sync.then(
            // The list itself is read on demand (`StoreCore.mutationList`): re-sending it
            // with every batch made each mutate cost O(pending).
            || serde_json::json!({ "state": store.sync_state() }),
        ),
        ob: &out.outbox,
        p: out.persist,
    };
    serialize(&batch, size_hint)
}
