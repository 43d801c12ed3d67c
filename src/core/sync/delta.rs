//! The cache delta: the base records and query results that changed, as JSON
//! `{ "e": [[key, record | null]], "q": [[hash, { k, s, r, t } | null]] }`. The browser side
//! writes it to IndexedDB and posts it to the other tabs; a delta read back is applied by the
//! store (store/persistence.rs). IndexedDB keeps the cache as a few such texts (chunks, in
//! the order written); a JSON array of them is read in one call, the later chunk winning.

use foldhash::HashSet;

use foldhash::{HashMap, HashMapExt};

use serde_json::{Map, Value};

use crate::core::batch;
use crate::core::cache::ingest::{self, RawDelta};
use crate::core::cache::{Cache, Query};
use crate::core::error::Result;
use crate::core::json;
use crate::core::key::type_of;
use crate::core::row::Row;
use crate::core::shape::Shape;

/// The delta of `keys` and `hashes` as the cache holds them now (server base only). Written
/// straight from the records (the text `json!` would give, without a `Value` copy of each);
/// `live` gives a live query's definition, stored with its result (`l`).
pub fn write(
    cache: &Cache,
    keys: &HashSet<String>,
    hashes: &HashSet<String>,
    live: impl Fn(&str) -> Option<Value>,
) -> String {
    let mut out = Vec::new();
    out.extend_from_slice(b"{\"e\":[");
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        batch::json_str(&mut out, k);
        out.push(b',');
        match cache.base_record(k) {
            Some(rec) => batch::json_row(&mut out, rec),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b']');
    }
    out.extend_from_slice(b"],\"q\":[");
    for (i, h) in hashes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        batch::json_str(&mut out, h);
        out.push(b',');
        match cache.query(h) {
            Some(q) => {
                let result = cache.base_result(h).unwrap_or(&q.result);
                out.extend_from_slice(b"{\"k\":");
                batch::json_value(&mut out, &q.key);
                out.extend_from_slice(b",\"s\":");
                batch::json_value(&mut out, &q.shape.to_json());
                out.extend_from_slice(b",\"r\":");
                batch::json_value(&mut out, result);
                out.extend_from_slice(b",\"t\":");
                batch::json_value(&mut out, &Value::from(q.updated_at));
                if let Some(def) = live(h) {
                    out.extend_from_slice(b",\"l\":");
                    batch::json_value(&mut out, &def);
                }
                out.push(b'}');
            }
            None => out.extend_from_slice(b"null"),
        }
        out.push(b']');
    }
    out.extend_from_slice(b"]}");
    // Only whole UTF-8 strings and ASCII were written.
    String::from_utf8(out).unwrap_or_default()
}

/// A delta read back: entity records (`None`: gone) and query results (`None`: removed).
/// Entries of types this version of the app no longer declares, and results that cannot be
/// read, are left out.
#[derive(Debug, Default)]
pub struct Delta {
    pub entities: Vec<(String, Option<Row>)>,
    pub queries: Vec<(String, Option<Query>)>,
    /// Live definitions stored with query results (checked when applied).
    pub live: Vec<(String, Value)>,
}

/// Reads one delta, or a JSON array of deltas (the chunks IndexedDB holds, oldest first) as
/// the one delta they add up to (`merged`).
pub fn read(text: &str, cache: &Cache) -> Result<Delta> {
    if let Some(chunks) = ingest::read_delta(cache.schema(), text) {
        return Ok(read_raw(chunks, cache));
    }
    let v = match json::parse_stored(text, "the cache delta")? {
        Value::Array(mut chunks) if chunks.len() == 1 => chunks.pop().unwrap_or_default(),
        Value::Array(chunks) => merged(chunks),
        v => v,
    };
    Ok(read_value(v, cache))
}

/// Chunks (a JSON array of delta texts, oldest first) compacted into one delta text, to
/// replace them. Read as JSON only, so nothing is dropped that a later app version could read.
pub fn compact(text: &str) -> Result<String> {
    let chunks = match json::parse_stored(text, "the cache chunks")? {
        Value::Array(chunks) => chunks,
        v => vec![v],
    };
    let mut out = Vec::new();
    batch::json_value(&mut out, &merged(chunks));
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// Chunks as one delta: per key and hash the last chunk's entry, where it first appeared;
/// removals left out (the result stands for the whole cache).
fn merged(chunks: Vec<Value>) -> Value {
    let (mut e, mut q) = (Map::new(), Map::new());
    for chunk in chunks {
        let Value::Object(mut root) = chunk else {
            continue;
        };
        for (field, into) in [("e", &mut e), ("q", &mut q)] {
            for pair in owned_array(root.remove(field)) {
                let mut pair = owned_array(Some(pair)).into_iter();
                if let Some(Value::String(k)) = pair.next() {
                    into.insert(k, pair.next().unwrap_or(Value::Null));
                }
            }
        }
    }
    let pairs = |m: Map<String, Value>| -> Value {
        m.into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| Value::Array(vec![Value::String(k), v]))
            .collect()
    };
    let mut root = Map::new();
    root.insert("e".to_owned(), pairs(e));
    root.insert("q".to_owned(), pairs(q));
    Value::Object(root)
}

/// The one-pass reading's chunks as one delta, as `merged` makes it: entity entries in order
/// (applied one after the other they leave the last one per key, where the key first
/// appeared); per query the last entry, where it first appeared (a removal is one too, as a
/// hydrating store ignores removals).
fn read_raw(chunks: Vec<RawDelta>, cache: &Cache) -> Delta {
    let schema = cache.schema();
    let mut d = Delta::default();
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut queries: Vec<(String, Option<Option<Query>>)> = Vec::new();
    let several = chunks.len() > 1;
    for c in chunks {
        // Types this version of the app no longer declares are left out.
        let known =
            c.e.into_iter()
                .filter(|(k, _)| schema.get(type_of(k)).is_some());
        d.entities.extend(known);
        for (hash, v) in c.q {
            d.live.retain(|(h, _)| *h != hash);
            let entry = stored_query(&hash, v, cache, &mut d.live);
            match at.get(&hash).and_then(|&i| queries.get_mut(i)) {
                Some(slot) => slot.1 = entry,
                None => {
                    at.insert(hash.clone(), queries.len());
                    queries.push((hash, entry));
                }
            }
        }
    }
    // Where the last entry cannot be read the query is left out; a query the chunks end up
    // removing too, as `merged` leaves it out (one delta, another tab's, keeps its removals).
    d.queries = queries
        .into_iter()
        .filter_map(|(h, entry)| match entry? {
            None if several => None,
            q => Some((h, q)),
        })
        .collect();
    d
}

/// A stored query entry: `Some(Some(query))`, `Some(None)` for a removal (not an object), or
/// `None` when the result cannot be read (left out). Its live definition goes to `live`.
fn stored_query(
    hash: &str,
    v: Value,
    cache: &Cache,
    live: &mut Vec<(String, Value)>,
) -> Option<Option<Query>> {
    let Value::Object(mut q) = v else {
        return Some(None);
    };
    let def = q.remove("l");
    let query = read_query(q, cache)?;
    if let Some(def) = def {
        live.push((hash.to_owned(), def));
    }
    Some(Some(query))
}

fn read_value(v: Value, cache: &Cache) -> Delta {
    let schema = cache.schema();
    let mut d = Delta::default();
    // The parsed records are moved into the delta, not copied (a cold start reads every
    // record of the cache through here).
    let Value::Object(mut root) = v else {
        return d;
    };
    for pair in owned_array(root.remove("e")) {
        let mut pair = owned_array(Some(pair)).into_iter();
        let (Some(Value::String(key)), rec) = (pair.next(), pair.next()) else {
            continue;
        };
        if schema.get(type_of(&key)).is_none() {
            continue; // a type this version of the app no longer declares
        }
        let rec = match rec {
            Some(Value::Object(m)) => Some(Row::from_map(m)),
            _ => None,
        };
        d.entities.push((key, rec));
    }
    for pair in owned_array(root.remove("q")) {
        let mut pair = owned_array(Some(pair)).into_iter();
        let Some(Value::String(hash)) = pair.next() else {
            continue;
        };
        let v = pair.next().unwrap_or(Value::Null);
        if let Some(q) = stored_query(&hash, v, cache, &mut d.live) {
            d.queries.push((hash, q));
        }
    }
    d
}

/// The items of a JSON array; nothing for anything else.
fn owned_array(v: Option<Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

fn read_query(mut q: Map<String, Value>, cache: &Cache) -> Option<Query> {
    let shape = Shape::from_json(q.get("s")?, cache.schema()).ok()?;
    let updated_at = q.get("t").and_then(Value::as_f64).unwrap_or(0.0);
    let key = q.remove("k").filter(Value::is_array)?;
    let result = q.remove("r")?;
    Some(Query {
        key,
        shape,
        result,
        updated_at,
    })
}
