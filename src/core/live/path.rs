//! Field paths of live definitions: a dotted path through to-one relations (`assignee.team`),
//! resolved against the schema once and read from a record through the cache.

use crate::core::cell::Cell;
use crate::core::row::Row;
use std::borrow::Cow;

use serde_json::Value;

use crate::core::cache::Cache;
use crate::core::error::{Error, Result};
use crate::core::key::type_of;
use crate::core::schema::Schema;

/// "live query `at`: msg" (one shared, non-generic constructor for the live part's errors).
pub(super) fn bad(at: &str, msg: &str) -> Error {
    let mut s = String::from("live query `");
    for part in [at, "`: ", msg] {
        s.push_str(part);
    }
    Error::InvalidArgument(s)
}

/// A field path resolved against the schema: to-one relations to follow, then the last field.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub text: String,
    follow: Vec<String>,
    last: String,
    /// The last field is a relation (its value reads as the related id or ids).
    last_rel: Option<bool>,
}

impl Path {
    /// Reads `a.b.c` starting at entity type `from`.
    pub fn parse(text: &str, from: &str, schema: &Schema, at: &str) -> Result<Path> {
        let segs: Vec<&str> = text.split('.').collect();
        if segs.iter().any(|s| s.is_empty()) {
            return Err(bad(at, &format!("`{text}` is not a field path")));
        }
        let mut ty = from.to_owned();
        let mut follow = Vec::new();
        let n = segs.len();
        for (i, seg) in segs.iter().enumerate() {
            let t = schema
                .get(&ty)
                .ok_or_else(|| bad(at, &format!("unknown entity type `{ty}`")))?;
            let rel = t.relation(seg);
            if i + 1 == n {
                return Ok(Path {
                    text: text.to_owned(),
                    follow,
                    last: (*seg).to_owned(),
                    last_rel: rel.map(|r| r.many),
                });
            }
            match rel {
                Some(r) if !r.many => {
                    follow.push((*seg).to_owned());
                    ty = r.target.clone();
                }
                Some(_) => {
                    return Err(bad(
                        at,
                        &format!("`{text}`: `{seg}` is a list relation; a path follows to-one relations only"),
                    ))
                }
                None => {
                    return Err(bad(
                        at,
                        &format!("`{text}`: `{ty}.{seg}` is not a relation declared in `entities`"),
                    ))
                }
            }
        }
        Err(bad(at, "an empty field path"))
    }

    /// The value of this path for entity record `rec` (`None`: missing).
    pub fn read<'c>(&self, rec: &'c Row, cache: &'c Cache) -> Option<Cow<'c, Value>> {
        let mut rec = rec;
        for f in &self.follow {
            let key = rec.get(f)?.as_str()?;
            rec = cache.entity(key)?;
        }
        let v = rec.get(&self.last)?;
        match self.last_rel {
            None => Some(v.view()),
            Some(false) => match v.as_str() {
                Some(k) => related_id(k, cache),
                None => Some(v.view()),
            },
            Some(true) => {
                let items = v.as_list()?;
                let ids = items
                    .iter()
                    .filter_map(Cell::as_str)
                    .filter_map(|k| related_id(k, cache).map(Cow::into_owned))
                    .collect();
                Some(Cow::Owned(Value::Array(ids)))
            }
        }
    }
}

/// The id value of the entity `key` names (as it was stored), if it is cached.
fn related_id<'c>(key: &str, cache: &'c Cache) -> Option<Cow<'c, Value>> {
    let t = cache.schema().get(type_of(key))?;
    cache.entity(key)?.get(&t.id_field).map(Cell::view)
}
