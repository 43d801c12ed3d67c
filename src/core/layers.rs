//! Optimistic layers over the server base. The cache holds what is *visible*; for every entity
//! (and query result) an active layer touches, the server base is kept aside in the shadow
//! maps, and visible = base + the active layers in queue order. Server writes to a shadowed
//! entity go to its base and the visible record is recomputed, so a rollback (dropping a
//! layer) can never lose a neighbour's layer or newer server data.

use serde_json::Value;

use super::cache::Written;
use super::mutation::{apply_insert, apply_write, LayerWrite};
use super::normalize::{result_refs, EntityRecord};
use super::store::Store;

impl Store {
    /// Writes server (base) data: straight into the cache, or into the shadow base of entities
    /// under a layer (whose visible record is then recomputed).
    pub(super) fn write_base(&mut self, entities: Vec<EntityRecord>, written: &mut Written) {
        if self.shadow.is_empty() {
            self.cache.write(&self.config.schema, entities, written);
            return;
        }
        let (shadowed, direct): (Vec<EntityRecord>, Vec<EntityRecord>) = entities
            .into_iter()
            .partition(|(k, _)| self.shadow.contains_key(k));
        self.cache.write(&self.config.schema, direct, written);
        let mut keys = Vec::with_capacity(shadowed.len());
        for (key, fields) in shadowed {
            if let Some(base) = self.shadow.get_mut(&key) {
                *base = merge_base(
                    base.take(),
                    fields,
                    self.config
                        .schema
                        .get(super::key::type_of(&key))
                        .map(|t| t.id_field.as_str()),
                );
            }
            keys.push(key);
        }
        // The base changed even where the layers on top hide it (nothing visible moved).
        self.persist_dirty(&keys, &[]);
        self.relayer(&keys, &[], written, &mut Vec::new());
    }

    /// Recomputes the visible records of `keys` and results of `hashes` from their base and
    /// the active layers; keys no active layer touches any more leave the shadow maps.
    pub(super) fn relayer(
        &mut self,
        keys: &[String],
        hashes: &[String],
        written: &mut Written,
        wq: &mut Vec<String>,
    ) {
        for key in keys {
            let writes: Vec<LayerWrite> = self
                .mutations
                .iter()
                .filter(|m| m.layered)
                .flat_map(|m| {
                    m.layer
                        .writes
                        .iter()
                        .filter(|(k, _)| k == key)
                        .map(|(_, w)| w.clone())
                })
                .collect();
            let visible = if writes.is_empty() {
                match self.shadow.remove(key) {
                    Some(base) => base,
                    None => continue,
                }
            } else {
                let base = match self.shadow.get(key) {
                    Some(b) => b.clone(),
                    None => {
                        let b = self.cache.get(key).cloned();
                        self.shadow.insert(key.clone(), b.clone());
                        b
                    }
                };
                writes.iter().fold(base, apply_write)
            };
            self.cache
                .replace(&self.config.schema, key, visible, written);
        }
        for hash in hashes {
            let layered = self
                .mutations
                .iter()
                .any(|m| m.layered && m.layer.inserts.iter().any(|i| &i.hash == hash));
            let Some(current) = self.queries.get(hash).map(|q| q.result.clone()) else {
                continue;
            };
            let result = if layered {
                let base = self
                    .shadow_queries
                    .entry(hash.clone())
                    .or_insert(current.clone())
                    .clone();
                self.visible_result(hash, base)
            } else {
                match self.shadow_queries.remove(hash) {
                    Some(base) => base,
                    None => continue,
                }
            };
            if result != current {
                if let Some(q) = self.queries.get_mut(hash) {
                    q.result = result;
                }
                if let Some(q) = self.queries.get(hash) {
                    let mut refs = Vec::new();
                    result_refs(&q.shape, &q.result, &mut refs);
                    let refs: Vec<String> = refs.into_iter().map(str::to_owned).collect();
                    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
                    self.cache.set_query_refs(hash, &refs);
                }
                if !wq.contains(hash) {
                    wq.push(hash.clone());
                }
            }
        }
    }

    /// A base query result with the active layers' list inserts applied.
    pub(super) fn visible_result(&self, hash: &str, mut base: Value) -> Value {
        for m in self.mutations.iter().filter(|m| m.layered) {
            for ins in m.layer.inserts.iter().filter(|i| i.hash == hash) {
                apply_insert(&mut base, ins);
            }
        }
        base
    }

    /// The server base of an entity (under its layers, if any).
    pub(super) fn base_record(&self, key: &str) -> Option<&serde_json::Map<String, Value>> {
        match self.shadow.get(key) {
            Some(b) => b.as_ref(),
            None => self.cache.get(key),
        }
    }
}

/// Field-wise merge of a server write into a base record; the first id value stands.
fn merge_base(
    base: Option<serde_json::Map<String, Value>>,
    fields: serde_json::Map<String, Value>,
    id_field: Option<&str>,
) -> Option<serde_json::Map<String, Value>> {
    let mut rec = base.unwrap_or_default();
    for (k, v) in fields {
        if Some(k.as_str()) == id_field && rec.contains_key(&k) {
            continue;
        }
        rec.insert(k, v);
    }
    Some(rec)
}
