//! Native unit tests for the pure core. The cache helpers live here, the query, mutation and
//! persistence helpers in `support/`; each file covers one rule of the spec (the lifecycle
//! rules in `queries/`, `mutations/` and `persist/`). Everything goes through the public
//! `Store` API with JSON text, as the bindings do.

use std::fmt::Debug;

use serde_json::{json, Value};

use super::{ChangeSet, Store};
use super::{Error, Result};

mod support;

mod bad_input;
mod batch;
mod changes;
mod config;
mod denormalize;
mod finish;
mod hydrate;
mod inspect;
mod live;
mod mutations;
mod normalize;
mod numbers;
mod pages;
mod persist;
mod pushes;
mod queries;
mod random;
mod retry;
mod update_entity;
mod url;

/// The value of a call that must succeed; a failure panics naming the call.
#[track_caller]
pub fn must<T>(r: Result<T>, call: impl std::fmt::Display) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{call} failed: {e}"),
    }
}

/// A store created from these options, as `createStore(options)` does.
pub fn store_from(options: Value) -> Store {
    must(
        Store::from_options_json(&options.to_string()),
        "store creation",
    )
}

/// The standard schema: todos with an assignee and comments, users that list their todos
/// (so `User` <-> `Todo` can form a cycle), threaded comments, books keyed by isbn and a
/// self-linked `Node` for long chains.
pub fn entities() -> Value {
    json!({
        "Todo": { "relations": { "assignee": "User", "comments": ["Comment"] } },
        "User": { "relations": { "todos": ["Todo"] } },
        "Comment": { "relations": { "author": "User", "replies": ["Comment"] } },
        "Book": { "id": "isbn" },
        "Node": { "relations": { "next": "Node" } }
    })
}

/// A store with the standard schema.
pub fn store() -> Store {
    store_with(entities())
}

/// A store with the given `entities` option.
pub fn store_with(entities: Value) -> Store {
    store_from(json!({ "entities": entities }))
}

/// The queryKey used for a hash in these tests: `[hash]`.
pub fn key_for(hash: &str) -> String {
    json!([hash]).to_string()
}

/// `setQueryData([hash], data, { shape })`, panicking on error.
pub fn set(s: &mut Store, hash: &str, data: Value, shape: Value) -> ChangeSet {
    must(
        try_set(s, hash, &data.to_string(), &shape.to_string()),
        format_args!("set_query_data({hash})"),
    )
}

/// `setQueryData` with raw JSON text for data and shape.
pub fn try_set(s: &mut Store, hash: &str, data: &str, shape: &str) -> Result<ChangeSet> {
    // The cache write alone, as these tests always wrote (setQueryData's lifecycle is
    // tested in engine.rs); the same text reader and errors as `set_query_data`.
    let key = crate::core::query::parse_query_key(&key_for(hash))?;
    let sh = match s.parse_shape(shape) {
        Ok(sh) => sh,
        Err(e) => {
            crate::core::json::parse(data, "query data", crate::core::json::Origin::App)?;
            return Err(e);
        }
    };
    let what = || "query data".to_owned();
    let origin = crate::core::json::Origin::App;
    let n =
        crate::core::cache::ingest::normalize_json(&s.config().schema, &sh, data, &what, origin)?;
    Ok(s.write_cache_only(hash, (key, sh, n)).changes)
}

/// `updateEntity(type, id, patch)`, panicking on error.
pub fn update(s: &mut Store, type_name: &str, id: Value, patch: Value) -> ChangeSet {
    must(
        try_update(s, type_name, &id.to_string(), &patch.to_string()),
        format_args!("update_entity({type_name}, {id})"),
    )
}

/// `updateEntity` with raw JSON text for id and patch.
pub fn try_update(s: &mut Store, type_name: &str, id: &str, patch: &str) -> Result<ChangeSet> {
    s.update_entity(type_name, id, patch, 0.0)
        .map(|o| o.changes)
}

/// The denormalized result of a cached query.
pub fn read(s: &Store, hash: &str) -> Value {
    s.read_query(hash)
        .unwrap_or_else(|| panic!("query `{hash}` is not cached"))
}

/// The normalized record stored under `key` (relation fields hold keys).
pub fn record(s: &Store, key: &str) -> Value {
    Value::Object(
        s.entity(key)
            .unwrap_or_else(|| panic!("entity `{key}` is not cached"))
            .to_map(),
    )
}

/// A change set as sorted JSON lists, so assertions do not depend on the order of touch.
pub fn summary(cs: &ChangeSet) -> Value {
    json!({
        "written_entities": sorted(&cs.written_entities),
        "dependent_entities": sorted(&cs.dependent_entities),
        "written_queries": sorted(&cs.written_queries),
        "dependent_queries": sorted(&cs.dependent_queries),
    })
}

pub fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// Asserts `r` is an error with this code and returns the error.
#[track_caller]
pub fn expect_err<T: Debug>(r: Result<T>, code: &str) -> Error {
    match r {
        Ok(v) => panic!("expected a {code} error, got Ok({v:?})"),
        Err(e) => {
            assert_eq!(e.code(), code, "wrong error code for: {e}");
            e
        }
    }
}

/// xorshift64*: tiny, deterministic, good enough to drive a test.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(super) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(super) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub(super) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    /// In [0, 1).
    pub(super) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn sort_sorts_like_the_standard_sort() {
    let mut rng = Rng::new(7);
    for n in [0usize, 1, 2, 3, 5, 16, 17, 100, 1000] {
        let mut v: Vec<u32> = (0..n).map(|_| rng.below(50) as u32).collect();
        let mut want = v.clone();
        want.sort_unstable();
        crate::core::sort::sort(&mut v);
        assert_eq!(v, want, "n = {n}");
    }
    let mut words = vec!["b", "a", "c", "a", ""];
    crate::core::sort::sort(&mut words);
    assert_eq!(words, ["", "a", "a", "b", "c"]);
}
