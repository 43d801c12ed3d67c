//! `orderBy`: `[[field, 'asc' | 'desc'], ...]`, ties broken by id ascending, over a total order
//! of JSON values: missing = null < booleans (false < true) < numbers < strings (by code point)
//! < arrays < objects (these two by their JSON text). Within numbers and within strings it is
//! the order the `$lt`/`$gt` predicates use.

use crate::core::cell::Cell;
use crate::core::row::Row;
use std::cmp::Ordering;
use std::rc::Rc;

use serde_json::Value;

use super::path::Path;
use crate::core::cache::Cache;
use crate::core::error::{Error, Result};
use crate::core::json::type_name;
use crate::core::schema::Schema;

fn rank(v: Option<&Value>) -> u8 {
    match v {
        None | Some(Value::Null) => 0,
        Some(Value::Bool(_)) => 1,
        Some(Value::Number(_)) => 2,
        Some(Value::String(_)) => 3,
        Some(Value::Array(_)) => 4,
        Some(Value::Object(_)) => 5,
    }
}

/// The total order of JSON values (module doc).
pub fn cmp_values(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            // -0 and 0 are one number in JSON.
            (x + 0.0).total_cmp(&(y + 0.0))
        }
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(x @ (Value::Array(_) | Value::Object(_))), Some(y)) if rank(a) == rank(b) => {
            x.to_string().cmp(&y.to_string())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

/// The parsed `orderBy`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    pub fields: Vec<(Path, bool)>,
}

const MAX_FIELDS: usize = 16;

impl OrderBy {
    pub fn parse(v: Option<&Value>, from: &str, schema: &Schema) -> Result<OrderBy> {
        let bad = |msg: String| Error::InvalidArgument(format!("live query `orderBy`: {msg}"));
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(OrderBy { fields: Vec::new() });
        };
        let items = v.as_array().ok_or_else(|| {
            bad(format!(
                "needs an array like [['due', 'asc']], got {}",
                type_name(v)
            ))
        })?;
        if items.len() > MAX_FIELDS {
            return Err(bad(format!("at most {MAX_FIELDS} fields")));
        }
        let mut fields = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let pair = item.as_array().filter(|p| p.len() == 2);
            let (Some(Value::String(f)), Some(Value::String(dir))) =
                (pair.and_then(|p| p.first()), pair.and_then(|p| p.get(1)))
            else {
                return Err(bad(format!("item {i} must be [field, 'asc' | 'desc']")));
            };
            let desc = match dir.as_str() {
                "asc" => false,
                "desc" => true,
                other => {
                    return Err(bad(format!(
                        "item {i}: direction `{other}` is not 'asc' or 'desc'"
                    )))
                }
            };
            fields.push((
                Path::parse(f, from, schema, &format!("orderBy[{i}]"))?,
                desc,
            ));
        }
        Ok(OrderBy { fields })
    }

    /// The sort key of entity `key` with record `rec`.
    pub fn member(&self, key: &str, id: Option<&Cell>, rec: &Row, cache: &Cache) -> Member {
        let mut dirs = 0u32;
        let mut vals = Vec::with_capacity(self.fields.len());
        for (i, (p, desc)) in self.fields.iter().enumerate() {
            if *desc {
                dirs |= 1 << i;
            }
            vals.push(p.read(rec, cache).map(|v| v.into_owned()));
        }
        Member {
            vals,
            dirs,
            id: id.map(Cell::to_value),
            key: Rc::from(key),
        }
    }
}

/// One entity's place in a sorted set: its ordering values, then its id, then its key.
#[derive(Debug, Clone)]
pub struct Member {
    vals: Vec<Option<Value>>,
    /// Bit i: field i is descending.
    dirs: u32,
    id: Option<Value>,
    pub key: Rc<str>,
}

impl PartialEq for Member {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Member {}

impl PartialOrd for Member {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Member {
    fn cmp(&self, other: &Self) -> Ordering {
        for (i, (a, b)) in self.vals.iter().zip(&other.vals).enumerate() {
            let c = cmp_values(a.as_ref(), b.as_ref());
            if c != Ordering::Equal {
                return if self.dirs & (1 << i) != 0 {
                    c.reverse()
                } else {
                    c
                };
            }
        }
        cmp_values(self.id.as_ref(), other.id.as_ref()).then_with(|| self.key.cmp(&other.key))
    }
}

impl Member {
    /// Same place and same ordering values (nothing to move).
    pub fn same_place(&self, other: &Member) -> bool {
        self.cmp(other) == Ordering::Equal && self.vals == other.vals
    }
}
