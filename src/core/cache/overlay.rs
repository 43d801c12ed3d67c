//! Optimistic layers over the server base. The index holds what is *visible*; for every
//! entity (and query result) an active layer touches, the server base is kept aside in the
//! shadow maps, and visible = base + the active layers in queue order. The active layers are
//! an argument (the mutation queue owns them), so the rule "visible = base + layers" lives
//! here alone. Server writes to a shadowed entity go to its base and the visible record is
//! recomputed, so a rollback (dropping a layer) can never lose a neighbour's layer or newer
//! server data.

use crate::core::row::Row;

use super::guard::{older_version, Order, GONE};
use super::layer::{apply_insert, apply_write, Layer, LayerWrite};
use super::normalize::EntityRecord;
use super::{inserts_into, visible_result, Cache, Query};
use crate::core::key::type_of;

impl Cache {
    /// Writes server (base) data: straight into the index, or into the shadow base of
    /// entities under a layer (whose visible record is then recomputed). What would go back
    /// in time is dropped first (guard.rs).
    pub fn write_base(&mut self, mut entities: Vec<EntityRecord>, layers: &[&Layer], order: Order) {
        let (shadow, index) = (&self.shadow, &self.index);
        let base = |k: &str| match shadow.get(k) {
            Some(b) => b.as_ref(),
            None => index.get(k),
        };
        self.guard.admit(&self.schema, &mut entities, order, base);
        if self.shadow.is_empty() {
            self.write_visible(entities);
            return;
        }
        let (shadowed, direct): (Vec<EntityRecord>, Vec<EntityRecord>) = entities
            .into_iter()
            .partition(|(k, _)| self.shadow.contains_key(k));
        self.write_visible(direct);
        let mut keys = Vec::with_capacity(shadowed.len());
        for (key, fields) in shadowed {
            let id_field = self.schema.get(type_of(&key)).map(|t| t.id_field.clone());
            if let Some(base) = self.shadow.get_mut(&key) {
                *base = merge_base(base.take(), fields, id_field.as_deref());
            }
            keys.push(key);
        }
        // The base changed even where the layers on top hide it (nothing visible moved).
        self.changed.base_entities.extend(keys.iter().cloned());
        self.relayer(&keys, &[], layers);
    }

    /// Room for `n` entities when the cache is empty (a cold start): the index is sized once
    /// instead of growing, and rehashing every key, a dozen times.
    pub fn reserve_entities(&mut self, n: usize) {
        self.index.reserve_if_empty(n);
    }

    /// Replaces entity `key`'s base record as stored elsewhere (IndexedDB, another tab),
    /// unless it carries an older version than the base.
    pub fn put_base(&mut self, key: &str, rec: Option<Row>, layers: &[&Layer]) {
        if let Some(r) = &rec {
            if older_version(&self.schema, key, r, || self.base_record(key)) {
                return;
            }
        }
        let shadowed = if self.shadow.is_empty() {
            None
        } else {
            self.shadow.get_mut(key)
        };
        match shadowed {
            Some(base) => {
                *base = rec;
                self.relayer(&[key.to_owned()], &[], layers);
            }
            None => self.replace_visible(key, rec),
        }
    }

    /// A push deleted entity `key`: its base is gone (layers on top still show theirs).
    pub fn delete_base(&mut self, key: &str, layers: &[&Layer]) {
        self.guard.deleted(key);
        let cached = self.shadow.contains_key(key) || self.index.get(key).is_some();
        if cached {
            if self.shadow.contains_key(key) {
                self.changed.base_entities.push(key.to_owned());
            }
            self.put_base(key, None, layers);
        }
    }

    /// Stores a query result as stored elsewhere (IndexedDB, another tab), under the active
    /// layers' list inserts. Unlike `write_result`, it always counts as written.
    pub fn put_result(&mut self, hash: &str, mut q: Query, layers: &[&Layer]) {
        if inserts_into(layers, hash) {
            self.shadow_results
                .insert(hash.to_owned(), q.result.clone());
            q.result = visible_result(layers, hash, q.result);
        }
        self.set_refs(hash, &q.shape, &q.result);
        self.results.insert(hash.to_owned(), q);
        self.note_query(hash);
    }

    /// Recomputes the visible records of `keys` and results of `hashes` from their base and
    /// `layers` (the active ones, in queue order); what no layer touches any more leaves the
    /// shadow maps.
    pub fn relayer(&mut self, keys: &[String], hashes: &[String], layers: &[&Layer]) {
        for key in keys {
            let writes: Vec<&LayerWrite> = layers
                .iter()
                .flat_map(|l| l.writes.iter().filter(|(k, _)| k == key).map(|(_, w)| w))
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
                        let b = self.index.get(key).cloned();
                        self.shadow.insert(key.clone(), b.clone());
                        b
                    }
                };
                writes.into_iter().fold(base, apply_write)
            };
            self.replace_visible(key, visible);
        }
        for hash in hashes {
            let Some(current) = self.results.get(hash).map(|q| q.result.clone()) else {
                continue;
            };
            let result = if inserts_into(layers, hash) {
                let base = self
                    .shadow_results
                    .entry(hash.clone())
                    .or_insert(current.clone())
                    .clone();
                visible_result(layers, hash, base)
            } else {
                match self.shadow_results.remove(hash) {
                    Some(base) => base,
                    None => continue,
                }
            };
            if result != current {
                let shape = match self.results.get_mut(hash) {
                    Some(q) => {
                        q.result = result.clone();
                        q.shape.clone()
                    }
                    None => continue,
                };
                self.set_refs(hash, &shape, &result);
                self.note_query(hash);
            }
        }
    }

    /// A settled mutation's layer becomes server truth: its writes and list inserts go into
    /// the base (then `relayer` without it leaves the visible state where it was). `sent`:
    /// the push clock when its request went out; a field a push set since then stays.
    pub fn commit(&mut self, layer: &Layer, sent: Option<u64>) {
        for (key, w) in &layer.writes {
            let newer = sent.map_or_else(Vec::new, |m| self.guard.pushed_since(key, m));
            if let Some(base) = self.shadow.get_mut(key) {
                *base = match (w, newer.is_empty()) {
                    (_, true) => apply_write(base.take(), w),
                    // A pushed delete after our write: the entity stays gone.
                    _ if newer.contains(&GONE) => base.take(),
                    (LayerWrite::Merge(fields), false) => {
                        let mut fields = fields.clone();
                        fields.retain(|f, _| !newer.contains(&f));
                        apply_write(base.take(), &LayerWrite::Merge(fields))
                    }
                    (LayerWrite::Delete, false) => apply_write(base.take(), w),
                };
            }
        }
        for ins in &layer.inserts {
            if let Some(base) = self.shadow_results.get_mut(&ins.hash) {
                apply_insert(base, ins);
            }
        }
        // The committed base changed even where the visible records did not.
        self.changed
            .base_entities
            .extend(layer.writes.iter().map(|(k, _)| k.clone()));
        self.changed
            .base_queries
            .extend(layer.inserts.iter().map(|i| i.hash.clone()));
    }

    /// The server base of an entity (under its layers, if any).
    pub fn base_record(&self, key: &str) -> Option<&Row> {
        // No layer is active most of the time: then the base is what is visible.
        let shadowed = if self.shadow.is_empty() {
            None
        } else {
            self.shadow.get(key)
        };
        match shadowed {
            Some(b) => b.as_ref(),
            None => self.index.get(key),
        }
    }
}

/// Field-wise merge of a server write into a base record; the first id value stands.
fn merge_base(base: Option<Row>, fields: Row, id_field: Option<&str>) -> Option<Row> {
    let mut rec = base.unwrap_or_default();
    for (k, v) in fields {
        if Some(&*k) == id_field && rec.contains_key(&k) {
            continue;
        }
        rec.insert_cell(k, v);
    }
    Some(rec)
}
