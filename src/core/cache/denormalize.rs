//! Reading normalized data back as plain JSON. JSON cannot hold a cycle, so an entity that
//! already appears on the path from the root (or lies deeper than `MAX_ENTITY_DEPTH`, or comes
//! after the read's expansion budget is spent) is written as a stub holding only its id field. The JS wrapper assembles its snapshots
//! itself (with shared objects, see src/js/snapshots.js); this is the reference reading used
//! for results handed out as JSON and by the native tests.

use crate::core::cell::Cell;
use serde_json::{Map, Value};

use super::index::Index;
use super::normalize::result_refs;
use crate::core::key::type_of;
use crate::core::schema::Schema;
use crate::core::shape::Shape;

/// Entity hops from the root after which entities are stubbed (keeps the wasm stack small).
pub const MAX_ENTITY_DEPTH: usize = 64;

/// Entity expansions one read may make: a few per cached entity and per reference in the
/// result read. A tree read of normal data needs about one per entity position; a densely
/// linked graph (everyone a friend of everyone) would otherwise unfold along every path, so
/// past the budget entities are stubs and the output stays bounded.
fn budget(cache: &Index, refs: usize) -> usize {
    cache
        .len()
        .saturating_add(refs)
        .saturating_mul(4)
        .saturating_add(256)
}

pub fn query(cache: &Index, schema: &Schema, shape: &Shape, result: &Value) -> Value {
    let mut refs = Vec::new();
    result_refs(shape, result, &mut refs);
    Reader {
        cache,
        schema,
        path: Vec::new(),
        budget: budget(cache, refs.len()),
    }
    .value(shape, result)
}

pub fn entity(cache: &Index, schema: &Schema, key: &str) -> Option<Value> {
    cache.get(key)?;
    Some(
        Reader {
            cache,
            schema,
            path: Vec::new(),
            budget: budget(cache, 1),
        }
        .entity(key),
    )
}

struct Reader<'a> {
    cache: &'a Index,
    schema: &'a Schema,
    path: Vec<&'a str>,
    budget: usize,
}

impl<'a> Reader<'a> {
    fn value(&mut self, shape: &Shape, v: &'a Value) -> Value {
        match (shape, v) {
            (Shape::Entity(_), Value::String(k)) => self.entity(k),
            (Shape::List(item), Value::Array(items)) => {
                let entity_items = matches!(**item, Shape::Entity(_));
                let mut out = Vec::with_capacity(items.len());
                for x in items {
                    let r = self.value(item, x);
                    // A reference to an entity that is gone (deleted, collected) leaves the list.
                    if !(entity_items && r.is_null() && !x.is_null()) {
                        out.push(r);
                    }
                }
                Value::Array(out)
            }
            (Shape::Object(fields), Value::Object(m)) => {
                let mut out = Map::with_capacity(m.len());
                for (k, x) in m {
                    let x = match Shape::field(fields, k) {
                        Some(sub) => self.value(sub, x),
                        None => x.clone(),
                    };
                    out.insert(k.clone(), x);
                }
                Value::Object(out)
            }
            _ => v.clone(),
        }
    }

    /// The entity with its relations expanded; `Null` when it is not cached.
    fn entity(&mut self, key: &'a str) -> Value {
        let Some(rec) = self.cache.get(key) else {
            return Value::Null;
        };
        let Some(t) = self.schema.get(type_of(key)) else {
            return Value::Object(rec.to_map());
        };
        if self.path.contains(&key) || self.path.len() >= MAX_ENTITY_DEPTH || self.budget == 0 {
            let mut stub = Map::new();
            if let Some(id) = rec.value(&t.id_field) {
                stub.insert(t.id_field.clone(), id);
            }
            return Value::Object(stub);
        }
        self.budget -= 1;
        self.path.push(key);
        let mut out = Map::with_capacity(rec.len());
        for (k, v) in rec {
            let x = match (t.relation(k), v, v.as_str()) {
                (Some(_), _, Some(child)) => self.entity(child),
                (Some(_), Cell::List(items), _) => Value::Array(
                    items
                        .iter()
                        .filter_map(Cell::as_str)
                        .map(|c| self.entity(c))
                        .filter(|x| !x.is_null())
                        .collect(),
                ),
                _ => v.to_value(),
            };
            out.insert(k.to_owned(), x);
        }
        self.path.pop();
        Value::Object(out)
    }
}
