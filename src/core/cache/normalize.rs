//! Splitting a response into entities (stored once by `(type, id)`) and a result that keeps
//! references to them. In the normalized form an entity position holds its key `"Type:id"`;
//! the shape (for query results) and the schema's relations (for entity fields) say which
//! strings are keys, so no marker object is needed.

use crate::core::cell::Cell;
use crate::core::row::Row;
use serde_json::{Map, Value};

use crate::core::error::{Error, Result};
use crate::core::json::{type_name, Path};
use crate::core::key::{entity_key, id_string};
use crate::core::schema::{Relation, Schema};
use crate::core::shape::Shape;

/// One entity as found in the data: its key and its fields with relations turned into keys.
pub type EntityRecord = (String, Row);

/// A normalized value plus the entities found in it, inner ones before the ones holding them.
#[derive(Debug, Default)]
pub struct Normalized {
    pub result: Value,
    pub entities: Vec<EntityRecord>,
}

/// Normalizes `data` read through `shape`. Fails without side effects.
pub fn normalize(schema: &Schema, shape: &Shape, data: Value) -> Result<Normalized> {
    let mut n = Normalizer {
        schema,
        entities: Vec::new(),
        path: Path::default(),
    };
    let result = n.value(shape, data)?;
    Ok(Normalized {
        result,
        entities: n.entities,
    })
}

struct Normalizer<'a> {
    schema: &'a Schema,
    entities: Vec<EntityRecord>,
    path: Path<'a>,
}

impl<'a> Normalizer<'a> {
    fn value(&mut self, shape: &'a Shape, v: Value) -> Result<Value> {
        match (shape, v) {
            (_, Value::Null) => Ok(Value::Null),
            (Shape::Plain, v) => Ok(v),
            (Shape::Entity(t), v) => self.entity(t, v).map(Value::String),
            (Shape::List(item), Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, x) in items.into_iter().enumerate() {
                    self.path.push_index(i);
                    out.push(self.value(item, x)?);
                    self.path.pop();
                }
                Ok(Value::Array(out))
            }
            (Shape::List(_), other) => Err(self.mismatch("a list", &other)),
            (Shape::Object(fields), Value::Object(m)) => {
                let mut out = Map::with_capacity(m.len());
                for (k, x) in m {
                    let x = match fields.iter().find(|(name, _)| *name == k) {
                        Some((name, sub)) => {
                            self.path.push_field(name);
                            let x = self.value(sub, x)?;
                            self.path.pop();
                            x
                        }
                        None => x,
                    };
                    out.insert(k, x);
                }
                Ok(Value::Object(out))
            }
            (Shape::Object(_), other) => Err(self.mismatch("an object", &other)),
        }
    }

    fn entity(&mut self, type_name_: &str, v: Value) -> Result<String> {
        let schema: &'a Schema = self.schema;
        let t = schema.require(type_name_, "the shape")?;
        let mut m = match v {
            Value::Object(m) => m,
            other => return Err(self.mismatch(&format!("a `{type_name_}` object"), &other)),
        };
        let id = match m.get(&t.id_field) {
            Some(idv) => id_string(idv).ok_or_else(|| {
                Error::Shape(format!(
                    "`{type_name_}` at {}: id field `{}` must be a string or a number, got {}",
                    self.path.render(),
                    t.id_field,
                    type_name(idv)
                ))
            })?,
            None => {
                return Err(Error::Shape(format!(
                    "`{type_name_}` at {} has no id field `{}`; every entity needs one (set `id` in its entity definition if it is named differently)",
                    self.path.render(),
                    t.id_field
                )))
            }
        };
        for rel in &t.relations {
            if let Some(slot) = m.get_mut(&rel.field) {
                let raw = std::mem::take(slot);
                self.path.push_field(&rel.field);
                *slot = self.relation(rel, raw)?;
                self.path.pop();
            }
        }
        let key = entity_key(type_name_, &id);
        self.entities.push((key.clone(), Row::from_map(m)));
        Ok(key)
    }

    fn relation(&mut self, rel: &'a Relation, v: Value) -> Result<Value> {
        match (rel.many, v) {
            (_, Value::Null) => Ok(Value::Null),
            (false, v) => self.entity(&rel.target, v).map(Value::String),
            (true, Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, x) in items.into_iter().enumerate() {
                    self.path.push_index(i);
                    if !x.is_null() {
                        out.push(Value::String(self.entity(&rel.target, x)?));
                    }
                    self.path.pop();
                }
                Ok(Value::Array(out))
            }
            (true, other) => Err(self.mismatch(&format!("a list of `{}`", rel.target), &other)),
        }
    }

    fn mismatch(&self, expected: &str, got: &Value) -> Error {
        Error::Shape(format!(
            "expected {expected} at {}, got {}; check the `shape` you passed against the data",
            self.path.render(),
            type_name(got)
        ))
    }
}

/// Every entity key a normalized query result references directly.
pub fn result_refs<'v>(shape: &Shape, v: &'v Value, out: &mut Vec<&'v str>) {
    match (shape, v) {
        (Shape::Entity(_), Value::String(k)) => out.push(k),
        (Shape::List(item), Value::Array(items)) => {
            for x in items {
                result_refs(item, x, out);
            }
        }
        (Shape::Object(fields), Value::Object(m)) => {
            for (k, sub) in fields {
                if let Some(x) = m.get(k) {
                    result_refs(sub, x, out);
                }
            }
        }
        _ => {}
    }
}

/// Every entity key a normalized record references through its relation fields.
pub fn record_refs<'v>(relations: &[Relation], rec: &'v Row, out: &mut Vec<&'v str>) {
    each_ref(relations, rec, |k| out.push(k));
}

/// Calls `f` with each key `record_refs` lists, in its order.
pub fn each_ref<'v>(relations: &[Relation], rec: &'v Row, mut f: impl FnMut(&'v str)) {
    for rel in relations {
        let Some(c) = rec.get(&rel.field) else {
            continue;
        };
        match c.as_str() {
            Some(k) => f(k),
            None => c
                .as_list()
                .into_iter()
                .flatten()
                .filter_map(Cell::as_str)
                .for_each(&mut f),
        }
    }
}
