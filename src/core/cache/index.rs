//! The entity index: visible records by key plus the reverse indexes (parents, queries) that
//! let a write report exactly which entities and queries it changed.
//!
//! Keys (`"Type:id"`, query hashes) are interned to dense integer ids once; the indexes then
//! work on integers with a fast hasher. String keys everywhere (one allocation and one SipHash
//! per link) made a 10,000-task ingest spend most of its time in the allocator and the hasher.

use crate::core::row::Row;
use std::collections::VecDeque;
use std::rc::Rc;

use foldhash::fast::FixedState;
use foldhash::HashMap;

use super::normalize::{each_ref, record_refs, EntityRecord};
use crate::core::key::type_of;
use crate::core::schema::{Relation, Schema};

/// Sets and maps of our own dense ids hash with a fixed seed: the ids are not attacker-chosen,
/// and a per-set random seed cost a seed generation for every slot's two sets (80,400 in the
/// 10,000-task ingest). It also makes their iteration order, so the order of dependents in a
/// change set, the same from store to store.
use super::links::{Id, IdSet, Links};
type IdMap<V> = std::collections::HashMap<Id, V, FixedState>;

/// Strings to dense ids and back.
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<Rc<str>, Id>,
    names: Vec<Rc<str>>,
}

impl Interner {
    fn reserve(&mut self, n: usize) {
        self.ids.reserve(n);
        self.names.reserve(n);
    }

    fn get(&self, s: &str) -> Option<Id> {
        self.ids.get(s).copied()
    }

    fn intern(&mut self, s: &str) -> Id {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        // More than u32::MAX distinct keys cannot fit in wasm memory anyway.
        let id = Id::try_from(self.names.len()).unwrap_or(Id::MAX);
        let name: Rc<str> = s.into();
        self.names.push(Rc::clone(&name));
        self.ids.insert(name, id);
        id
    }

    fn name(&self, id: Id) -> &str {
        self.names.get(id as usize).map_or("", |s| s)
    }
}

#[derive(Debug, Default)]
struct Slot {
    record: Option<Row>,
    /// Entities whose relation fields reference this one.
    parents: Links,
    /// Queries whose results reference this entity directly.
    queries: Links,
}

#[derive(Debug, Default)]
pub struct Index {
    keys: Interner,
    slots: Vec<Slot>,
    count: usize,
    query_names: Interner,
    /// Per query id: the entities its result references (sorted, deduplicated).
    query_refs: Vec<Vec<Id>>,
    /// Scratch for a new entity's children (a big response files tens of thousands).
    children: Vec<Id>,
}

/// The entities one write changed, in the order they were first changed.
#[derive(Debug, Default)]
pub struct Written {
    ids: Vec<Id>,
    seen: IdSet,
}

impl Written {
    fn add(&mut self, id: Id) {
        if self.seen.insert(id) {
            self.ids.push(id);
        }
    }
}

/// What a write changed, as keys: see `output::ChangeSet`.
pub struct Changes {
    pub written: Vec<String>,
    pub dependents: Vec<String>,
    pub dependent_queries: Vec<String>,
}

impl Index {
    pub fn get(&self, key: &str) -> Option<&Row> {
        let id = self.keys.get(key)?;
        self.slots.get(id as usize)?.record.as_ref()
    }

    /// Every cached entity key.
    pub fn keys(&self) -> Vec<String> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.record.is_some())
            .filter_map(|(i, _)| u32::try_from(i).ok())
            .map(|i| self.keys.name(i).to_owned())
            .collect()
    }

    /// Calls `f` with every cached entity of type `type_name` (key and record).
    pub fn each_of(&self, type_name: &str, mut f: impl FnMut(&str, &Row)) {
        for (i, slot) in self.slots.iter().enumerate() {
            let (Some(rec), Ok(id)) = (&slot.record, Id::try_from(i)) else {
                continue;
            };
            let key = self.keys.name(id);
            if type_of(key) == type_name {
                f(key, rec);
            }
        }
    }

    /// The number of cached entities.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn intern(&mut self, key: &str) -> Id {
        let id = self.keys.intern(key);
        if self.slots.len() <= id as usize {
            self.slots.resize_with(id as usize + 1, Slot::default);
        }
        id
    }

    fn slot(&mut self, id: Id) -> Option<&mut Slot> {
        self.slots.get_mut(id as usize)
    }

    /// Merges entities into the cache field by field (fields the write does not carry are
    /// kept, as Apollo does). An entity keeps the id value it was first stored with, so
    /// `1` then `"1"` is not a change. Copies of one entity within a write are folded first,
    /// so the write is judged by its net result.
    pub fn write(&mut self, schema: &Schema, entities: Vec<EntityRecord>, written: &mut Written) {
        for (id, fields) in self.coalesce(schema, entities) {
            let Some(t) = schema.get(type_of(self.keys.name(id))) else {
                continue; // normalize only produces declared types
            };
            if self
                .slots
                .get(id as usize)
                .is_some_and(|s| s.record.is_none())
            {
                self.insert_new(id, &t.relations, fields, written);
                continue;
            }
            let Some(rec) = self.slot(id).and_then(|s| s.record.as_mut()) else {
                continue;
            };
            let mut changed = false;
            let mut old_refs: Option<Vec<String>> = None;
            for (k, v) in fields {
                if (*k == *t.id_field && rec.contains_key(&k)) || rec.get(&k) == Some(&v) {
                    continue;
                }
                if old_refs.is_none() && t.relation(&k).is_some() {
                    let mut refs = Vec::new();
                    record_refs(&t.relations, rec, &mut refs);
                    old_refs = Some(refs.into_iter().map(str::to_owned).collect());
                }
                rec.insert_cell(k, v);
                changed = true;
            }
            if changed {
                written.add(id);
            }
            // Relations changed (rare): relink from the old children to the new ones.
            if let Some(old) = old_refs {
                let mut new_refs = Vec::new();
                record_refs(&t.relations, rec, &mut new_refs);
                let new_refs: Vec<String> = new_refs.into_iter().map(str::to_owned).collect();
                let old_ids = self.intern_all(&old);
                let new_ids = self.intern_all(&new_refs);
                self.link(id, &old_ids, &new_ids);
            }
        }
    }

    /// Sets an entity's record to exactly `record` (`None`: the entity is gone), relinking its
    /// relations. Used for optimistic layers, whose visible record is computed, not merged.
    /// Parents keep their links to a gone entity, so they are reported as dependents.
    pub fn replace(
        &mut self,
        schema: &Schema,
        key: &str,
        record: Option<Row>,
        written: &mut Written,
    ) {
        let id = self.intern(key);
        let relations = schema
            .get(type_of(key))
            .map(|t| t.relations.as_slice())
            .unwrap_or(&[]);
        let Some(slot) = self.slots.get(id as usize) else {
            return;
        };
        if slot.record == record {
            return;
        }
        if slot.record.is_none() {
            // A new entity (every entity of a cold start); `record` is `Some`, as it differs.
            if let Some(rec) = record {
                self.insert_new(id, relations, rec, written);
            }
            return;
        }
        // The old children were interned when they were linked: looked up, not copied.
        let mut old = Vec::new();
        if let Some(rec) = &slot.record {
            record_refs(relations, rec, &mut old);
        }
        let old_ids = sorted(old.iter().filter_map(|k| self.keys.get(k)).collect());
        let mut new = Vec::new();
        if let Some(rec) = &record {
            record_refs(relations, rec, &mut new);
        }
        let new_ids = self.intern_all(&new);
        self.link(id, &old_ids, &new_ids);
        let Some(slot) = self.slot(id) else { return };
        match (slot.record.is_some(), record.is_some()) {
            (false, true) => self.count += 1,
            (true, false) => self.count = self.count.saturating_sub(1),
            _ => {}
        }
        if let Some(slot) = self.slot(id) {
            slot.record = record;
        }
        written.add(id);
    }

    /// Stores a new entity `id` (its slot holds no record): its children are interned into
    /// the reused buffer and linked, with no list of keys per entity.
    fn insert_new(&mut self, id: Id, relations: &[Relation], rec: Row, written: &mut Written) {
        let mut children = std::mem::take(&mut self.children);
        children.clear();
        each_ref(relations, &rec, |k| children.push(self.intern(k)));
        sort_dedup(&mut children);
        self.link(id, &[], &children);
        self.children = children;
        if let Some(slot) = self.slot(id) {
            slot.record = Some(rec);
        }
        self.count += 1;
        written.add(id);
    }

    fn intern_all<S: AsRef<str>>(&mut self, keys: &[S]) -> Vec<Id> {
        sorted(keys.iter().map(|k| self.intern(k.as_ref())).collect())
    }

    /// Moves entity `id`'s parent links from the children `old` to `new` (both sorted).
    fn link(&mut self, id: Id, old: &[Id], new: &[Id]) {
        self.relink(old, new, |s| &mut s.parents, id);
    }

    /// Moves `id` from the set `set` picks in the slots of `old` to those of `new` (both
    /// sorted), touching only the slots that differ.
    fn relink(&mut self, old: &[Id], new: &[Id], set: fn(&mut Slot) -> &mut Links, id: Id) {
        for gone in old.iter().filter(|c| new.binary_search(c).is_err()) {
            if let Some(s) = self.slot(*gone) {
                set(s).remove(id);
            }
        }
        for added in new.iter().filter(|c| old.binary_search(c).is_err()) {
            if let Some(s) = self.slot(*added) {
                set(s).insert(id);
            }
        }
    }

    /// See `Cache::reserve_entities`; a first big response gets the same. An index that holds
    /// nothing gets room for `n` keys.
    pub fn reserve_if_empty(&mut self, n: usize) {
        if self.keys.names.is_empty() {
            self.keys.reserve(n);
            self.slots.reserve(n);
        }
    }

    fn coalesce(&mut self, schema: &Schema, entities: Vec<EntityRecord>) -> Vec<(Id, Row)> {
        self.reserve_if_empty(entities.len());
        let mut at: IdMap<usize> =
            IdMap::with_capacity_and_hasher(entities.len(), FixedState::default());
        let mut out: Vec<(Id, Row)> = Vec::with_capacity(entities.len());
        for (key, fields) in entities {
            let id = self.intern(&key);
            match at.get(&id) {
                Some(&i) => {
                    let id_field = schema.get(type_of(&key)).map(|t| t.id_field.as_str());
                    let merged = &mut out[i].1;
                    for (k, v) in fields {
                        // The first copy's id value stands, as in the cache itself.
                        if Some(&*k) != id_field || !merged.contains_key(&k) {
                            merged.insert_cell(k, v);
                        }
                    }
                }
                None => {
                    at.insert(id, out.len());
                    out.push((id, fields));
                }
            }
        }
        out
    }

    /// Replaces the set of entities query `hash` references.
    pub fn set_query_refs(&mut self, hash: &str, refs: &[&str]) {
        let q = self.query_names.intern(hash);
        let new = self.intern_all(refs);
        if self.query_refs.len() <= q as usize {
            self.query_refs.resize_with(q as usize + 1, Vec::new);
        }
        let old = std::mem::take(&mut self.query_refs[q as usize]);
        self.relink(&old, &new, |s| &mut s.queries, q);
        self.query_refs[q as usize] = new;
    }

    /// The written entities, every entity that reaches one of them through relations (their
    /// denormalized view changed; cycles included), and the queries that show any of them,
    /// leaving out `written_queries`.
    pub fn changes(&self, written: &Written, written_queries: &[String]) -> Changes {
        let mut seen: IdSet = written.ids.iter().copied().collect();
        let mut queue: VecDeque<Id> = written.ids.iter().copied().collect();
        let mut dependents = Vec::new();
        while let Some(id) = queue.pop_front() {
            if let Some(slot) = self.slots.get(id as usize) {
                for p in slot.parents.iter() {
                    if seen.insert(p) {
                        dependents.push(p);
                        queue.push_back(p);
                    }
                }
            }
        }
        let skip: IdSet = written_queries
            .iter()
            .filter_map(|h| self.query_names.get(h))
            .collect();
        let mut queries_seen = IdSet::default();
        let mut dependent_queries = Vec::new();
        for id in written.ids.iter().chain(&dependents) {
            if let Some(slot) = self.slots.get(*id as usize) {
                for q in slot.queries.iter() {
                    if !skip.contains(&q) && queries_seen.insert(q) {
                        dependent_queries.push(self.query_names.name(q).to_owned());
                    }
                }
            }
        }
        let names = |ids: &[Id]| {
            ids.iter()
                .map(|id| self.keys.name(*id).to_owned())
                .collect()
        };
        Changes {
            written: names(&written.ids),
            dependents: names(&dependents),
            dependent_queries,
        }
    }

    /// Entities whose relation fields reference `key`.
    pub fn parents_of(&self, key: &str) -> Vec<String> {
        self.linked(key, |s| &s.parents, &self.keys)
    }

    /// Queries whose results reference `key` directly.
    pub fn queries_of(&self, key: &str) -> Vec<String> {
        self.linked(key, |s| &s.queries, &self.query_names)
    }

    /// The names (from `names`) of the ids in the set `set` picks in `key`'s slot.
    fn linked(&self, key: &str, set: fn(&Slot) -> &Links, names: &Interner) -> Vec<String> {
        let slot = self
            .keys
            .get(key)
            .and_then(|id| self.slots.get(id as usize));
        slot.map(|s| set(s).iter().map(|i| names.name(i).to_owned()).collect())
            .unwrap_or_default()
    }

    /// Garbage collection: drops every entity no query (and no root) reaches, directly or
    /// through relations, and returns their keys. Interned ids stay allocated for reuse.
    /// `roots`: entities kept whatever queries reference (those under optimistic layers).
    pub fn sweep(&mut self, schema: &Schema, roots: &[String]) -> Vec<String> {
        let mut marked = vec![false; self.slots.len()];
        let mut stack: Vec<Id> = self.query_refs.iter().flatten().copied().collect();
        stack.extend(roots.iter().filter_map(|k| self.keys.get(k)));
        while let Some(id) = stack.pop() {
            let Some(m) = marked.get_mut(id as usize) else {
                continue;
            };
            if *m {
                continue;
            }
            *m = true;
            let key = self.keys.name(id);
            let (Some(t), Some(rec)) = (schema.get(type_of(key)), self.get(key)) else {
                continue;
            };
            let mut refs = Vec::new();
            record_refs(&t.relations, rec, &mut refs);
            stack.extend(refs.into_iter().filter_map(|k| self.keys.get(k)));
        }
        let mut removed = Vec::new();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if slot.record.is_some() && !marked.get(i).copied().unwrap_or(true) {
                slot.record = None;
                // Everything that referenced it is unreachable too, so is being dropped.
                slot.parents.clear();
                slot.queries.clear();
                removed.push(i);
            }
        }
        self.count = self.count.saturating_sub(removed.len());
        // Links from dropped entities to kept ones (a kept child's parent set) go as well.
        let dropped: IdSet = removed
            .iter()
            .filter_map(|i| Id::try_from(*i).ok())
            .collect();
        for slot in &mut self.slots {
            if !slot.parents.is_empty() {
                slot.parents.retain(|p| !dropped.contains(&p));
            }
        }
        removed
            .into_iter()
            .filter_map(|i| Id::try_from(i).ok())
            .map(|id| self.keys.name(id).to_owned())
            .collect()
    }

    /// Forgets query `hash`'s references (the query was removed).
    pub fn drop_query(&mut self, hash: &str) {
        if self.query_names.get(hash).is_some() {
            self.set_query_refs(hash, &[]);
        }
    }
}

/// Ids sorted and deduplicated (what `link` and `relink` take).
fn sorted(mut ids: Vec<Id>) -> Vec<Id> {
    sort_dedup(&mut ids);
    ids
}

fn sort_dedup(ids: &mut Vec<Id>) {
    crate::core::sort::sort(ids);
    ids.dedup();
}
