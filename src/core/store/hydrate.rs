//! Server-side rendering: `dehydrate` writes the chosen queries (their server base) and every
//! entity they reach as one JSON state; `hydrate` applies such a state in another store (the
//! browser's), never over newer data. The format (version 1, docs/SSR.md):
//!
//! `{ "version": 1, "entities": { key: record }, "queries": [{ "queryKey", "shape", "result",
//! "dataUpdatedAt", "status" }] }`, records and results normalized as the cache holds them.
//! The JS side adds each query's `hash` before `hydrate` (hashes are the wrapper's).

use crate::core::row::Row;
use serde_json::{Map, Value};

use super::{Source, Store};
use crate::core::cache::guard::Order;
use crate::core::cache::normalize::{record_refs, result_refs};
use crate::core::cache::{Cache, Query};
use crate::core::error::{Error, Result};
use crate::core::json::{self, Origin};
use crate::core::key::{id_string, type_of};
use crate::core::output::Output;
use crate::core::query::state::{Event, Status};
use crate::core::shape::Shape;

/// The version of the dehydrated state this core writes and reads.
pub const FORMAT: u64 = 1;

/// One query of a state being hydrated.
struct Hydrated {
    hash: String,
    query: Query,
}

/// A state read and checked whole before anything is applied.
struct State {
    entities: Vec<(String, Map<String, Value>)>,
    queries: Vec<Hydrated>,
}

impl Store {
    /// The dehydrated state of the queries `hashes_json` names (the JS side chose them with
    /// the filters): those with data, their server base results, and every entity they reach
    /// through results and relations (base records: optimistic layers are not server data).
    pub fn dehydrate(&self, hashes_json: &str) -> Result<String> {
        let v = json::parse(hashes_json, "dehydrate hashes", Origin::App)?;
        let hashes = v.as_array().map(Vec::as_slice).unwrap_or_default();
        let mut queries = Vec::with_capacity(hashes.len());
        let mut stack: Vec<String> = Vec::new();
        for hash in hashes.iter().filter_map(Value::as_str) {
            let (Some(q), Some(m)) = (self.cache.query(hash), self.queries.get(hash)) else {
                continue;
            };
            if !m.has_data() {
                continue;
            }
            let result = self.cache.base_result(hash).unwrap_or(&q.result);
            let mut refs = Vec::new();
            result_refs(&q.shape, result, &mut refs);
            stack.extend(refs.into_iter().map(str::to_owned));
            let status = match m.status() {
                Status::Success => "success",
                Status::Error => "error",
                Status::Pending => "pending",
            };
            let mut o = Map::new();
            o.insert("queryKey".to_owned(), q.key.clone());
            o.insert("shape".to_owned(), q.shape.to_json());
            o.insert("result".to_owned(), result.clone());
            o.insert("dataUpdatedAt".to_owned(), Value::from(m.data_updated_at()));
            o.insert("status".to_owned(), Value::from(status));
            queries.push(Value::Object(o));
        }
        let mut entities = Map::new();
        let schema = self.cache.schema();
        while let Some(key) = stack.pop() {
            if entities.contains_key(&key) {
                continue;
            }
            let Some(rec) = self.cache.base_record(&key) else {
                continue;
            };
            if let Some(t) = schema.get(type_of(&key)) {
                let mut refs = Vec::new();
                record_refs(&t.relations, rec, &mut refs);
                stack.extend(refs.into_iter().map(str::to_owned));
            }
            entities.insert(key, Value::Object(rec.to_map()));
        }
        let mut state = Map::new();
        state.insert("version".to_owned(), Value::from(FORMAT));
        state.insert("entities".to_owned(), Value::Object(entities));
        state.insert("queries".to_owned(), Value::Array(queries));
        Ok(Value::Object(state).to_string())
    }

    /// Applies a dehydrated state (`createStore({ hydrate })`, `store.hydrate`,
    /// `<HydrationBoundary>`). A query lands when this store has none or its data is older
    /// (TanStack's rule); an entity unless a query here that shows it has data newer than the
    /// state's newest query (ties go to the state); records go through the
    /// base's version rule. `only_new`: only queries and entities this store has never seen
    /// (a render pass must not change what is already shown). The whole state is checked
    /// first: a bad one is INVALID_ARGUMENT (SHAPE for a shape) and nothing is applied.
    pub fn hydrate(&mut self, state_json: &str, only_new: bool, now: f64) -> Result<Output> {
        let state = read(state_json, &self.cache)?;
        self.run(now, Source::Here, |s, out| {
            s.apply_state(state, only_new, now, out);
            Ok(())
        })
    }

    fn apply_state(&mut self, state: State, only_new: bool, now: f64, out: &mut Output) {
        // The state's time: its newest data (one server render fetches within moments).
        let at = state
            .queries
            .iter()
            .map(|h| h.query.updated_at)
            .fold(0.0, f64::max);
        let known = |s: &Store, key: &str| s.cache.base_record(key).is_some();
        let entities: Vec<(String, Row)> = state
            .entities
            .into_iter()
            .filter(|(key, _)| {
                if !known(self, key) {
                    return true;
                }
                if only_new {
                    return false;
                }
                self.cache
                    .queries_showing(key)
                    .iter()
                    .filter_map(|h| self.queries.get(h))
                    .all(|m| m.data_updated_at() <= at)
            })
            .map(|(key, rec)| (key, Row::from_map(rec)))
            .collect();
        let landing: Vec<Hydrated> = state
            .queries
            .into_iter()
            .filter(|h| match self.queries.get(&h.hash) {
                None => !only_new || self.cache.query(&h.hash).is_none(),
                Some(_) if only_new => false,
                Some(m) => !m.has_data() || h.query.updated_at > m.data_updated_at(),
            })
            .collect();
        self.write_base(entities, Order::Any);
        let layers = self.queue.active_layers();
        for Hydrated { hash, query } in landing {
            let (key, at) = (query.key.clone(), query.updated_at);
            self.cache.put_result(&hash, query, &layers);
            let defaults = &self.config.defaults;
            if !self
                .queries
                .ensure(&hash, key, None, Some(at), defaults, now)
            {
                self.queries.dispatch(&hash, Event::Data { at }, out);
            }
            out.state(&hash);
        }
    }
}

fn bad(what: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("hydrate: {what}"))
}

/// Reads and checks a whole state (with the JS side's `hash` on each query).
fn read(text: &str, cache: &Cache) -> Result<State> {
    let v = json::parse(text, "the dehydrated state", Origin::App)?;
    let Some(obj) = v.as_object() else {
        return Err(bad("the state must be an object made by store.dehydrate()"));
    };
    match obj.get("version").and_then(Value::as_u64) {
        Some(FORMAT) => {}
        other => {
            return Err(bad(format_args!(
                "state version {}: this strata-store reads version {FORMAT} (dehydrate and hydrate with the same version)",
                other.map_or_else(|| "missing".to_owned(), |n| n.to_string())
            )))
        }
    }
    let schema = cache.schema();
    let mut entities = Vec::new();
    let given = obj.get("entities").unwrap_or(&Value::Null);
    let Some(given) = given.as_object() else {
        return Err(bad("`entities` must be an object { \"Type:id\": record }"));
    };
    for (key, rec) in given {
        let Some((type_name, id)) = key.split_once(':') else {
            return Err(bad(format_args!("entity key {key} is not \"Type:id\"")));
        };
        let Some(t) = schema.get(type_name) else {
            return Err(bad(format_args!(
                "entity type {type_name} is not declared in createStore({{ entities }})"
            )));
        };
        let Some(rec) = rec.as_object() else {
            return Err(bad(format_args!("the record of {key} is not an object")));
        };
        // A record filed under another id would overwrite the wrong entity.
        if rec.get(&t.id_field).and_then(id_string).as_deref() != Some(id) {
            return Err(bad(format_args!(
                "the record of {key} does not carry `{}`: {id}",
                t.id_field
            )));
        }
        entities.push((key.clone(), rec.clone()));
    }
    let Some(list) = obj.get("queries").and_then(Value::as_array) else {
        return Err(bad("`queries` must be a list"));
    };
    let mut queries = Vec::with_capacity(list.len());
    for (i, q) in list.iter().enumerate() {
        let hash = q.get("hash").and_then(Value::as_str);
        let key = q.get("queryKey").filter(|k| k.is_array());
        let (Some(hash), Some(key)) = (hash, key) else {
            return Err(bad(format_args!("queries[{i}] has no queryKey list")));
        };
        let at = q.get("dataUpdatedAt").and_then(Value::as_f64);
        let Some(at) = at.filter(|t| t.is_finite() && *t > 0.0) else {
            return Err(bad(format_args!(
                "queries[{i}].dataUpdatedAt must be a positive time in ms"
            )));
        };
        let Some(result) = q.get("result") else {
            return Err(bad(format_args!("queries[{i}] has no result")));
        };
        let shape = Shape::from_json(q.get("shape").unwrap_or(&Value::Null), schema)
            .map_err(|e| Error::Shape(format!("hydrate: queries[{i}].shape: {e}")))?;
        queries.push(Hydrated {
            hash: hash.to_owned(),
            query: Query {
                key: key.clone(),
                shape,
                result: result.clone(),
                updated_at: at,
            },
        });
    }
    Ok(State { entities, queries })
}
