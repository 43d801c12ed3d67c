//! The normalized entity cache: records by key plus the reverse indexes that let a write
//! report exactly which entities and queries it changed.

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::{Map, Value};

use super::key::{id_string, type_of};
use super::normalize::{record_refs, EntityRecord};
use super::schema::Schema;

#[derive(Debug, Default)]
pub struct Cache {
    records: HashMap<String, Map<String, Value>>,
    /// child key -> entities whose relation fields reference it.
    parents: HashMap<String, HashSet<String>>,
    /// entity key -> queries whose results reference it directly.
    query_refs: HashMap<String, HashSet<String>>,
}

/// What one write did, in the order things were first touched.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Written {
    pub entities: Vec<String>,
    seen: HashSet<String>,
}

impl Written {
    fn add(&mut self, key: &str) {
        if self.seen.insert(key.to_owned()) {
            self.entities.push(key.to_owned());
        }
    }
    pub fn contains(&self, key: &str) -> bool {
        self.seen.contains(key)
    }
}

impl Cache {
    pub fn get(&self, key: &str) -> Option<&Map<String, Value>> {
        self.records.get(key)
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Merges entities into the cache field by field (fields the write does not carry are
    /// kept, as Apollo does). An entity keeps the id value it was first stored with, so
    /// `1` then `"1"` is not a change.
    pub fn write(&mut self, schema: &Schema, entities: Vec<EntityRecord>, written: &mut Written) {
        for (key, fields) in coalesce(entities) {
            let Some(t) = schema.get(type_of(&key)) else {
                continue; // normalize only produces declared types
            };
            match self.records.get_mut(&key) {
                None => {
                    let mut refs = Vec::new();
                    record_refs(&t.relations, &fields, &mut refs);
                    for child in refs {
                        link(&mut self.parents, child, &key);
                    }
                    self.records.insert(key.clone(), fields);
                    written.add(&key);
                }
                Some(rec) => {
                    let mut changed = false;
                    let mut relations_changed = false;
                    let mut old_refs: Vec<String> = Vec::new();
                    for (k, v) in fields {
                        if k == t.id_field && rec.contains_key(&k) {
                            continue;
                        }
                        if rec.get(&k) == Some(&v) {
                            continue;
                        }
                        if t.relation(&k).is_some() && !relations_changed {
                            relations_changed = true;
                            let mut refs = Vec::new();
                            record_refs(&t.relations, rec, &mut refs);
                            old_refs = refs.into_iter().map(str::to_owned).collect();
                        }
                        rec.insert(k, v);
                        changed = true;
                    }
                    if relations_changed {
                        let mut new_refs = Vec::new();
                        record_refs(&t.relations, rec, &mut new_refs);
                        let new_set: HashSet<&str> = new_refs.iter().copied().collect();
                        let old_set: HashSet<&str> = old_refs.iter().map(String::as_str).collect();
                        for gone in old_set.difference(&new_set) {
                            unlink(&mut self.parents, gone, &key);
                        }
                        for added in new_set.difference(&old_set) {
                            link(&mut self.parents, added, &key);
                        }
                    }
                    if changed {
                        written.add(&key);
                    }
                }
            }
        }
    }

    /// Records that query `query` now references `new` instead of `old`.
    pub fn relink_query(&mut self, query: &str, old: &[&str], new: &[&str]) {
        let old_set: HashSet<&str> = old.iter().copied().collect();
        let new_set: HashSet<&str> = new.iter().copied().collect();
        for gone in old_set.difference(&new_set) {
            unlink(&mut self.query_refs, gone, query);
        }
        for added in new_set.difference(&old_set) {
            link(&mut self.query_refs, added, query);
        }
    }

    /// Every entity whose denormalized view changes when `written` changed: the written
    /// entities and everything that reaches them through relations (cycles included).
    /// Returned without the written ones themselves.
    pub fn dependents(&self, written: &Written) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen: HashSet<&str> = written.entities.iter().map(String::as_str).collect();
        let mut queue: VecDeque<&str> = written.entities.iter().map(String::as_str).collect();
        while let Some(k) = queue.pop_front() {
            if let Some(ps) = self.parents.get(k) {
                for p in ps {
                    if seen.insert(p) {
                        out.push(p.clone());
                        queue.push_back(p);
                    }
                }
            }
        }
        out
    }

    /// Queries that reference any of these entities directly.
    pub fn queries_referencing<'a>(
        &'a self,
        keys: impl Iterator<Item = &'a String>,
        out: &mut Vec<String>,
        seen: &mut HashSet<String>,
    ) {
        for k in keys {
            if let Some(qs) = self.query_refs.get(k) {
                for q in qs {
                    if seen.insert(q.clone()) {
                        out.push(q.clone());
                    }
                }
            }
        }
    }
}

/// Folds the copies of one entity within a write into one record (later copies win, field by
/// field), so the write is judged by its net result against the record as it was before.
fn coalesce(entities: Vec<EntityRecord>) -> Vec<EntityRecord> {
    let mut at: HashMap<String, usize> = HashMap::with_capacity(entities.len());
    let mut out: Vec<EntityRecord> = Vec::with_capacity(entities.len());
    for (key, fields) in entities {
        match at.get(&key) {
            Some(&i) => {
                let merged = &mut out[i].1;
                for (k, v) in fields {
                    // The first copy's id value stands, as for the cache itself.
                    if !merged.contains_key(&k) || !is_id_of(&key, &k, &v, merged) {
                        merged.insert(k, v);
                    }
                }
            }
            None => {
                at.insert(key.clone(), out.len());
                out.push((key, fields));
            }
        }
    }
    out
}

/// Whether `k` holds this entity's id in `merged` (same string form as `v`): then the
/// first copy's JSON type is kept.
fn is_id_of(key: &str, k: &str, v: &Value, merged: &Map<String, Value>) -> bool {
    let id = key.split_once(':').map_or("", |(_, id)| id);
    id_string(v).as_deref() == Some(id) && merged.get(k).and_then(id_string).as_deref() == Some(id)
}

fn link(index: &mut HashMap<String, HashSet<String>>, child: &str, parent: &str) {
    index
        .entry(child.to_owned())
        .or_default()
        .insert(parent.to_owned());
}

fn unlink(index: &mut HashMap<String, HashSet<String>>, child: &str, parent: &str) {
    if let Some(set) = index.get_mut(child) {
        set.remove(parent);
        if set.is_empty() {
            index.remove(child);
        }
    }
}
