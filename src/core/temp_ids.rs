//! Temporary ids: an optimistic insert uses a temporary id (`store.tempId()`); when the server
//! answers with the real one, every reference is rewritten in place (cache records, query
//! results, the shadow base, later mutations' layers, urls and bodies), so the entity keeps
//! its place in every list. A mutation that names the temp id of an insert that failed or was
//! discarded fails with it.

use serde_json::Value;

use super::cache::Written;
use super::engine::Output;
use super::key::{id_string, type_of};
use super::mutation::{rewrite_key, rewrite_key_in_lists, rewrite_text, LayerWrite, MStatus};
use super::normalize::result_refs;
use super::query::ErrorInfo;
use super::store::Store;

impl Store {
    /// Renames entity `from` to `to` (whose id value is `real_id`) everywhere.
    pub(super) fn rename_entity(
        &mut self,
        from: &str,
        to: &str,
        real_id: &Value,
        out: &mut Output,
    ) {
        let id_field = self
            .config
            .schema
            .get(type_of(from))
            .map(|t| t.id_field.clone())
            .unwrap_or_else(|| "id".to_owned());
        let temp_text = from.split_once(':').map_or(from, |(_, id)| id).to_owned();
        let real_text = id_string(real_id).unwrap_or_default();

        // Later mutations: layers, subjects, snapshots, urls and bodies.
        let mut touched = Vec::new();
        for m in &mut self.mutations {
            let before = (
                m.request.url.clone(),
                m.request.body.clone(),
                m.layer.clone(),
            );
            for (k, w) in &mut m.layer.writes {
                if k == from {
                    *k = to.to_owned();
                    if let LayerWrite::Merge(fields) = w {
                        fields.insert(id_field.clone(), real_id.clone());
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
            m.request.url = m.request.url.replace(&temp_text, &real_text);
            if let Some(body) = &mut m.request.body {
                rewrite_text(body, &temp_text, &real_text);
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
        for id in touched {
            self.mark(&id);
        }

        // The shadow base.
        if let Some(mut rec) = self.shadow.remove(from) {
            if let Some(r) = &mut rec {
                r.insert(id_field.clone(), real_id.clone());
            }
            let merged = match (self.shadow.remove(to).flatten(), rec) {
                (Some(mut existing), Some(r)) => {
                    existing.extend(r);
                    Some(existing)
                }
                (a, b) => b.or(a),
            };
            self.shadow.insert(to.to_owned(), merged);
        }
        for rec in self.shadow.values_mut().flatten() {
            rec.values_mut().for_each(|v| rewrite_key(v, from, to));
        }
        for result in self.shadow_queries.values_mut() {
            rewrite_key_in_lists(result, from, to);
        }

        // The visible cache: the record moves, parents and queries point at the new key.
        let mut written = Written::default();
        let schema = self.config.schema.clone();
        if let Some(mut rec) = self.cache.get(from).cloned() {
            rec.insert(id_field, real_id.clone());
            let merged = match self.cache.get(to).cloned() {
                Some(mut existing) => {
                    existing.extend(rec);
                    existing
                }
                None => rec,
            };
            self.cache.replace(&schema, to, Some(merged), &mut written);
            self.cache.replace(&schema, from, None, &mut written);
        }
        for parent in self.cache.parents_of(from) {
            if let Some(mut rec) = self.cache.get(&parent).cloned() {
                rec.values_mut().for_each(|v| rewrite_key(v, from, to));
                self.cache
                    .replace(&schema, &parent, Some(rec), &mut written);
            }
        }
        let mut wq = Vec::new();
        for hash in self.cache.queries_of(from) {
            if let Some(q) = self.queries.get_mut(&hash) {
                rewrite_key_in_lists(&mut q.result, from, to);
            }
            if let Some(q) = self.queries.get(&hash) {
                let mut refs = Vec::new();
                result_refs(&q.shape, &q.result, &mut refs);
                let refs: Vec<String> = refs.into_iter().map(str::to_owned).collect();
                let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
                self.cache.set_query_refs(&hash, &refs);
            }
            wq.push(hash);
        }
        let changes = self.finish(written, wq);
        super::outbox::merge_changes(&mut out.changes, changes);
    }

    /// Fails every queued mutation that names the temporary entity `key` (whose insert failed
    /// or was discarded).
    pub(super) fn fail_dependents(&mut self, key: &str, out: &mut Output) {
        let temp_text = key.split_once(':').map_or(key, |(_, id)| id).to_owned();
        let dependents: Vec<String> = self
            .mutations
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
                    || m.request.url.contains(&temp_text)
                    || m.request
                        .body
                        .as_ref()
                        .is_some_and(|b| b.to_string().contains(&temp_text))
            })
            .map(|m| m.id.clone())
            .collect();
        for id in dependents {
            let e = ErrorInfo::new(
                "CONFLICT",
                format!("this mutation uses the temporary id {temp_text}, whose insert failed or was discarded"),
            );
            self.fail_mutation(&id, e, out);
        }
    }
}
