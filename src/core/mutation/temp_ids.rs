//! Temporary ids, the queue's side: an optimistic insert uses a temporary id
//! (`store.tempId()`, `tmp-<uuid>`); when the server answers with the real one, later
//! mutations' layers, subjects, snapshots, urls and bodies are rewritten (the cache's side is
//! in cache/rename.rs). A temp id is replaced only where it stands whole: a url path segment
//! or query value, a JSON string equal to it, an entity key; never inside other text. An id
//! that is not from `tempId()` is the app's own and is never renamed. A mutation that names
//! the temp id of an insert that failed or was discarded fails with it.

use serde_json::Value;

use super::description::MStatus;
use super::Queue;
use crate::core::cache::layer::{rewrite_key, LayerWrite};

impl Queue {
    /// Renames entity `from` to `to` (id value `real_id`, id field `id_field`) in every queued
    /// mutation. Returns the ids of those that changed (their records must be rewritten).
    pub fn rename(&mut self, from: &str, to: &str, real_id: &Value, id_field: &str) -> Vec<String> {
        let temp_text = id_text(from);
        let real_text = crate::core::key::id_string(real_id).unwrap_or_default();
        let mut touched = Vec::new();
        for m in &mut self.list {
            let before = (
                m.request.url.clone(),
                m.request.body.clone(),
                m.layer.clone(),
            );
            for (k, w) in &mut m.layer.writes {
                if k == from {
                    *k = to.to_owned();
                    if let LayerWrite::Merge(fields) = w {
                        fields.insert(id_field, real_id.clone());
                    }
                }
                if let LayerWrite::Merge(fields) = w {
                    fields
                        .values_mut()
                        .for_each(|v| v.rewrite(&mut |x| rewrite_key(x, from, to)));
                }
            }
            for ins in &mut m.layer.inserts {
                if ins.key == from {
                    ins.key = to.to_owned();
                }
            }
            if let Some(s) = &mut m.subject {
                if s.key == from {
                    s.key = to.to_owned();
                }
            }
            if let Some(v) = m.snapshot.remove(from) {
                m.snapshot.insert(to.to_owned(), v);
            }
            m.request.url = rewrite_url(&m.request.url, temp_text, &real_text);
            if let Some(body) = &mut m.request.body {
                rewrite_value(body, temp_text, &real_text);
            }
            if before
                != (
                    m.request.url.clone(),
                    m.request.body.clone(),
                    m.layer.clone(),
                )
            {
                touched.push(m.id.clone());
            }
        }
        if !touched.is_empty() {
            self.touch();
        }
        touched
    }

    /// The not yet sent mutations that name the temporary entity `key` (whose insert failed
    /// or was discarded).
    pub fn dependents_of(&self, key: &str) -> Vec<String> {
        let temp_text = id_text(key);
        self.list
            .iter()
            .filter(|m| {
                matches!(
                    m.status,
                    MStatus::Saving | MStatus::Queued | MStatus::Conflict
                )
            })
            .filter(|m| names(m, key, temp_text))
            .map(|m| m.id.clone())
            .collect()
    }

    /// The mutation, other than `except`, whose insert created entity `key` (a temporary id
    /// names one insert only).
    pub fn creator_of(&self, key: &str, except: &str) -> Option<&str> {
        self.list
            .iter()
            .filter(|m| m.id != except && m.status != MStatus::Failed)
            .find(|m| m.layer.created.as_ref().is_some_and(|(k, _)| k == key))
            .map(|m| m.id.as_str())
    }
}

/// Whether an insert's id is a temporary id from `store.tempId()`.
pub fn is_temp_id(id: &Value) -> bool {
    id.as_str()
        .is_some_and(|s| s.starts_with("tmp-") && s.len() > 4)
}

/// The id part of an entity key (`Todo:tmp-1` -> `tmp-1`).
pub fn id_text(key: &str) -> &str {
    key.split_once(':').map_or(key, |(_, id)| id)
}

/// The parts of a url a temporary id can stand in whole: its path segments and its query
/// values (`/tasks/tmp-1?parent=tmp-1`).
fn url_parts(url: &str) -> impl Iterator<Item = (usize, &str)> {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let query_at = path.len() + 1;
    let segments = path.split('/').scan(0, |at, seg| {
        let start = *at;
        *at += seg.len() + 1;
        Some((start, seg))
    });
    let values = query.split('&').scan(query_at, |at, pair| {
        let start = *at;
        *at += pair.len() + 1;
        let value_at = pair.find('=').map_or(pair.len(), |e| e + 1);
        Some((start + value_at, &pair[value_at..]))
    });
    segments.chain(values.filter(move |_| !query.is_empty()))
}

fn url_names(url: &str, temp: &str) -> bool {
    url_parts(url).any(|(_, part)| part == temp)
}

/// `url` with every whole part equal to `temp` replaced by `real`.
fn rewrite_url(url: &str, temp: &str, real: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut done = 0;
    for (at, part) in url_parts(url) {
        if part == temp {
            out.push_str(&url[done..at]);
            out.push_str(real);
            done = at + part.len();
        }
    }
    out.push_str(&url[done..]);
    out
}

/// Whether a JSON string equal to `temp` stands anywhere in `v`.
fn value_names(v: &Value, temp: &str) -> bool {
    match v {
        Value::String(s) => s == temp,
        Value::Array(items) => items.iter().any(|x| value_names(x, temp)),
        Value::Object(m) => m.values().any(|x| value_names(x, temp)),
        _ => false,
    }
}

/// Every JSON string equal to `temp` in `v` becomes `real`.
fn rewrite_value(v: &mut Value, temp: &str, real: &str) {
    match v {
        Value::String(s) if s == temp => *s = real.to_owned(),
        Value::Array(items) => items.iter_mut().for_each(|x| rewrite_value(x, temp, real)),
        Value::Object(m) => m.values_mut().for_each(|x| rewrite_value(x, temp, real)),
        _ => {}
    }
}

/// Whether mutation `m` names the temporary entity `key` (whose id text is `temp_text`): in
/// its layer, its list inserts, its url or its body.
pub fn names(m: &super::description::Mutation, key: &str, temp_text: &str) -> bool {
    m.layer.touches(key)
        || m.layer.inserts.iter().any(|i| i.key == key)
        || url_names(&m.request.url, temp_text)
        || m.request
            .body
            .as_ref()
            .is_some_and(|b| value_names(b, temp_text))
}
