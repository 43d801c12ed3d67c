//! Temporary ids, the queue's side: an optimistic insert uses a temporary id
//! (`store.tempId()`); when the server answers with the real one, later mutations' layers,
//! subjects, snapshots, urls and bodies are rewritten (the cache's side is in
//! cache/rename.rs). A mutation that names the temp id of an insert that failed or was
//! discarded fails with it.

use serde_json::Value;

use super::description::{rewrite_text, MStatus};
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
                        fields.insert(id_field.to_owned(), real_id.clone());
                    }
                }
                if let LayerWrite::Merge(fields) = w {
                    fields.values_mut().for_each(|v| rewrite_key(v, from, to));
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
            m.request.url = m.request.url.replace(temp_text, &real_text);
            if let Some(body) = &mut m.request.body {
                rewrite_text(body, temp_text, &real_text);
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
            .filter(|m| {
                m.layer.touches(key)
                    || m.layer.inserts.iter().any(|i| i.key == key)
                    || m.request.url.contains(temp_text)
                    || m.request
                        .body
                        .as_ref()
                        .is_some_and(|b| b.to_string().contains(temp_text))
            })
            .map(|m| m.id.clone())
            .collect()
    }
}

/// The id part of an entity key (`Todo:tmp-1` -> `tmp-1`).
pub fn id_text(key: &str) -> &str {
    key.split_once(':').map_or(key, |(_, id)| id)
}
