//! An optimistic layer: the record writes and list inserts one pending mutation puts over
//! the server base, and how each is applied. Built by mutation/description.rs, applied by
//! overlay.rs (which takes the active layers, in queue order, as an argument).

use crate::core::row::Row;
use serde_json::Value;

/// One write of a layer: fields merged into an entity, or the entity gone.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerWrite {
    Merge(Row),
    Delete,
}

/// An entity key put into a list of a query's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ListInsert {
    pub hash: String,
    pub path: Vec<String>,
    pub at_start: bool,
    pub key: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layer {
    pub writes: Vec<(String, LayerWrite)>,
    pub inserts: Vec<ListInsert>,
    /// The entity an insert op created: its key and its (temporary) id value.
    pub created: Option<(String, Value)>,
}

impl Layer {
    pub fn touches(&self, key: &str) -> bool {
        self.writes.iter().any(|(k, _)| k == key)
    }
}

/// A record after a layer write.
pub fn apply_write(base: Option<Row>, w: &LayerWrite) -> Option<Row> {
    match w {
        LayerWrite::Delete => None,
        LayerWrite::Merge(fields) => {
            let mut rec = base.unwrap_or_default();
            for (k, v) in fields.pairs() {
                rec.insert_cell(std::rc::Rc::clone(k), v.clone());
            }
            Some(rec)
        }
    }
}

/// A query result after a list insert (skipped when the path does not lead to a list). In
/// an infinite query's result (`{ pages, pageParams }`) the path is read inside the first page
/// (`start`) or the last one (`end`).
pub fn apply_insert(result: &mut Value, ins: &ListInsert) {
    let mut at = result;
    if is_pages(at) {
        let page = match at.get_mut("pages") {
            Some(Value::Array(pages)) => {
                if ins.at_start {
                    pages.first_mut()
                } else {
                    pages.last_mut()
                }
            }
            _ => None,
        };
        match page {
            Some(p) => at = p,
            None => return,
        }
    }
    for seg in &ins.path {
        match at.get_mut(seg.as_str()) {
            Some(next) => at = next,
            None => return,
        }
    }
    if let Value::Array(items) = at {
        let key = Value::String(ins.key.clone());
        if ins.at_start {
            items.insert(0, key);
        } else {
            items.push(key);
        }
    }
}

/// Whether `v` is an infinite query's result: exactly `pages` and `pageParams`, both lists.
pub fn is_pages(v: &Value) -> bool {
    matches!(v, Value::Object(o) if o.len() == 2
        && o.get("pages").is_some_and(Value::is_array)
        && o.get("pageParams").is_some_and(Value::is_array))
}

/// Replaces every string exactly equal to `from` (an entity key in a relation field or a
/// query result) with `to`.
pub fn rewrite_key(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::String(s) if s == from => *s = to.to_owned(),
        Value::Array(items) => items.iter_mut().for_each(|x| rewrite_key(x, from, to)),
        Value::Object(m) => m.values_mut().for_each(|x| rewrite_key(x, from, to)),
        _ => {}
    }
}

/// `rewrite_key` for query results: where a list already holds `to` (a refetch brought the
/// real entity first), the renamed item is dropped instead of showing the entity twice.
pub fn rewrite_key_in_lists(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::String(s) if s == from => *s = to.to_owned(),
        Value::Array(items) => {
            let has_to = items.iter().any(|x| x.as_str() == Some(to));
            let has_from = items.iter().any(|x| x.as_str() == Some(from));
            if has_to && has_from {
                items.retain(|x| x.as_str() != Some(from));
            }
            items
                .iter_mut()
                .for_each(|x| rewrite_key_in_lists(x, from, to));
        }
        Value::Object(m) => m
            .values_mut()
            .for_each(|x| rewrite_key_in_lists(x, from, to)),
        _ => {}
    }
}
