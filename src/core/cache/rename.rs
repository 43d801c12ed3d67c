//! A temporary id replaced by the real one (an insert settled): the record moves to its real
//! key, parents and query results point at it (keeping its place in every list), and the
//! shadow base follows. The queue's side of the rename is in mutation/temp_ids.rs.

use serde_json::Value;

use super::layer::{rewrite_key, rewrite_key_in_lists};
use super::Cache;
use crate::core::key::type_of;

impl Cache {
    /// Renames entity `from` to `to`, whose id value is `real_id`.
    pub fn rename(&mut self, from: &str, to: &str, real_id: &Value) {
        let id_field = self.id_field(from);

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
            rec.values_mut()
                .for_each(|v| v.rewrite(&mut |x| rewrite_key(x, from, to)));
        }
        for result in self.shadow_results.values_mut() {
            rewrite_key_in_lists(result, from, to);
        }

        // The visible records: the record moves, parents point at the new key.
        if let Some(mut rec) = self.index.get(from).cloned() {
            rec.insert(id_field, real_id.clone());
            let merged = match self.index.get(to).cloned() {
                Some(mut existing) => {
                    existing.extend(rec);
                    existing
                }
                None => rec,
            };
            self.replace_visible(to, Some(merged));
            self.replace_visible(from, None);
        }
        for parent in self.index.parents_of(from) {
            if let Some(mut rec) = self.index.get(&parent).cloned() {
                rec.values_mut()
                    .for_each(|v| v.rewrite(&mut |x| rewrite_key(x, from, to)));
                self.replace_visible(&parent, Some(rec));
            }
        }
        // Query results keep the entity where it stood.
        for hash in self.index.queries_of(from) {
            let shape = match self.results.get_mut(&hash) {
                Some(q) => {
                    rewrite_key_in_lists(&mut q.result, from, to);
                    (q.shape.clone(), q.result.clone())
                }
                None => continue,
            };
            self.set_refs(&hash, &shape.0, &shape.1);
            self.note_query(&hash);
        }
    }

    fn id_field(&self, key: &str) -> String {
        self.schema
            .get(type_of(key))
            .map(|t| t.id_field.clone())
            .unwrap_or_else(|| "id".to_owned())
    }
}
