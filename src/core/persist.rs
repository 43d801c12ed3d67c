//! What the browser side persists and shares between tabs, decided here so it is tested
//! natively: which outbox records to write or delete after each call, which base records and
//! query results changed since the last cache write (the delta), how a delta from IndexedDB
//! or another tab is applied, and how this tab's queue is reconciled with the outbox another
//! tab changed.
//!
//! The delta holds *server base* data only: optimistic layers live in the outbox records and
//! are re-applied from them, so a reload or another tab never mistakes them for server truth.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::cache::Written;
use super::config::Persist;
use super::engine::Output;
use super::error::{Error, Result};
use super::json::{self, Origin};
use super::mutation::{MStatus, Mutation};
use super::normalize::result_refs;
use super::query::{ErrorInfo, QueryMeta, QueryOptions, Status};
use super::shape::Shape;
use super::store::{Query, Store};

/// Cache keys and query hashes changed since the last delta was taken.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PersistState {
    pub entities: HashSet<String>,
    pub queries: HashSet<String>,
}

impl Store {
    pub fn persisting(&self) -> bool {
        !matches!(self.config.persist, Persist::Off)
    }

    /// The outbox record of mutation `id` must be rewritten (or deleted, when it is gone).
    pub(super) fn mark(&mut self, id: &str) {
        if self.persisting() && !self.sync.dirty.iter().any(|d| d == id) {
            self.sync.dirty.push(id.to_owned());
        }
    }

    pub(super) fn persist_dirty(&mut self, keys: &[String], hashes: &[String]) {
        if self.persisting() {
            self.persist.entities.extend(keys.iter().cloned());
            self.persist.queries.extend(hashes.iter().cloned());
        }
    }

    /// Called once at the end of every call that produced `out`: records what to persist.
    /// `out.outbox` gets the records to write (strict durability, in this order) and
    /// `out.persist` says a cache delta is waiting (`take_cache_delta`).
    pub fn collect_persist(&mut self, out: &mut Output) {
        if !self.persisting() {
            return;
        }
        let c = &out.changes;
        for k in c.written_entities.iter().chain(&out.removed_entities) {
            self.persist.entities.insert(k.clone());
        }
        for h in c.written_queries.iter().chain(&out.removed_queries) {
            self.persist.queries.insert(h.clone());
        }
        out.persist = !self.persist.entities.is_empty() || !self.persist.queries.is_empty();
        for id in std::mem::take(&mut self.sync.dirty) {
            match self.mutations.iter_mut().find(|m| m.id == id) {
                // A stand-in for an unreadable record never overwrites what is stored.
                Some(m) if m.unreadable => {}
                Some(m) => {
                    m.stamp += 1;
                    out.outbox.push((id, Some(m.to_record())));
                }
                None => out.outbox.push((id, None)),
            }
        }
    }

    /// The records of `ids` are durable: they are queued now (and sent when it is their turn).
    pub fn persisted(&mut self, ids_json: &str, now: f64) -> Result<Output> {
        let ids = id_list(ids_json)?;
        let mut out = Output {
            sync: true,
            ..Output::default()
        };
        for m in &mut self.mutations {
            if m.status == MStatus::Saving && ids.contains(&m.id) {
                m.status = MStatus::Queued;
            }
        }
        self.pump(now, &mut out);
        Ok(self.finish_out(out, now))
    }

    /// Writing the records of `ids` failed (quota, storage gone): those mutations are not
    /// queued; they fail with `code`, their layers roll back.
    pub fn persist_failed(
        &mut self,
        ids_json: &str,
        code: &str,
        message: &str,
        now: f64,
    ) -> Result<Output> {
        let ids = id_list(ids_json)?;
        let mut out = Output {
            sync: true,
            ..Output::default()
        };
        let mut unsaved = Vec::new();
        for id in ids {
            if let Some(m) = self
                .mutations
                .iter_mut()
                .find(|m| m.id == id && m.status == MStatus::Saving)
            {
                // The write did not happen: the stamp is back at what storage holds (0: no
                // record at all, so a reconcile cannot take it for settled elsewhere).
                m.stamp = m.stamp.saturating_sub(1);
                self.fail_mutation(&id, ErrorInfo::new(code, message), &mut out);
                unsaved.push(id);
            }
        }
        // Their records never reached storage: none to write now (dependents that failed
        // with them were stored, and their records are updated).
        self.sync.dirty.retain(|d| !unsaved.contains(d));
        self.pump(now, &mut out);
        Ok(self.finish_out(out, now))
    }

    /// This tab became (or stopped being) the one that sends.
    pub fn set_leader(&mut self, on: bool, now: f64) -> Output {
        self.sync.leader = on;
        let mut out = Output {
            sync: true,
            ..Output::default()
        };
        self.pump(now, &mut out);
        self.finish_out(out, now)
    }

    /// The changed base records and query results since the last call, as JSON:
    /// `{ "e": [[key, record | null]], "q": [[hash, { k, s, r, t } | null]] }`.
    pub fn take_cache_delta(&mut self) -> String {
        let keys = std::mem::take(&mut self.persist.entities);
        let hashes = std::mem::take(&mut self.persist.queries);
        let e: Vec<Value> = keys
            .iter()
            .map(|k| json!([k, self.base_record(k)]))
            .collect();
        let q: Vec<Value> = hashes
            .iter()
            .map(|h| {
                let rec = self.queries.get(h).map(|q| {
                    let result = self.shadow_queries.get(h).unwrap_or(&q.result);
                    json!({ "k": q.key, "s": q.shape.to_json(), "r": result, "t": q.updated_at })
                });
                json!([h, rec])
            })
            .collect();
        json!({ "e": e, "q": q }).to_string()
    }

    /// Applies a delta read from IndexedDB (`hydrate`: its queries are stale until
    /// refetched) or sent by another tab. Nothing applied here is persisted again.
    pub fn apply_cache(&mut self, delta_json: &str, hydrate: bool, now: f64) -> Result<Output> {
        let v = json::parse(delta_json, "cache delta", Origin::Server)?;
        let mut out = Output::default();
        let mut written = Written::default();
        let schema = self.config.schema.clone();
        let mut relayer = Vec::new();
        for pair in v.get("e").and_then(Value::as_array).into_iter().flatten() {
            let (Some(key), rec) = (pair.get(0).and_then(Value::as_str), pair.get(1)) else {
                continue;
            };
            if schema.get(super::key::type_of(key)).is_none() {
                continue; // a type this version of the app no longer declares
            }
            let rec = rec.and_then(Value::as_object).cloned();
            if let Some(base) = self.shadow.get_mut(key) {
                *base = rec;
                relayer.push(key.to_owned());
            } else {
                self.cache.replace(&schema, key, rec, &mut written);
            }
        }
        let mut wq = Vec::new();
        self.relayer(&relayer, &[], &mut written, &mut wq);
        for pair in v.get("q").and_then(Value::as_array).into_iter().flatten() {
            let Some(hash) = pair.get(0).and_then(Value::as_str) else {
                continue;
            };
            match pair.get(1).and_then(Value::as_object) {
                Some(q) => {
                    if let Some(query) = read_query(q, &schema) {
                        self.put_remote_query(hash, query, hydrate, now, &mut wq, &mut out);
                    }
                }
                // Removed in the other tab; kept here while something observes it.
                None if !hydrate && self.metas.get(hash).map_or(true, |m| m.observers == 0) => {
                    self.metas.remove(hash);
                    if self.queries.remove(hash).is_some() {
                        self.shadow_queries.remove(hash);
                        self.cache.drop_query(hash);
                        out.removed_queries.push(hash.to_owned());
                    }
                }
                None => {}
            }
        }
        out.changes = self.finish(written, wq);
        Ok(self.finish_out(out, now))
    }

    fn put_remote_query(
        &mut self,
        hash: &str,
        q: Query,
        hydrate: bool,
        now: f64,
        wq: &mut Vec<String>,
        out: &mut Output,
    ) {
        let inserts_pending = self
            .mutations
            .iter()
            .any(|m| m.layered && m.layer.inserts.iter().any(|i| i.hash == hash));
        let mut q = q;
        if inserts_pending {
            self.shadow_queries
                .insert(hash.to_owned(), q.result.clone());
            q.result = self.visible_result(hash, q.result);
        }
        let mut refs = Vec::new();
        result_refs(&q.shape, &q.result, &mut refs);
        self.cache.set_query_refs(hash, &refs);
        let at = q.updated_at;
        let key = q.key.clone();
        self.queries.insert(hash.to_owned(), q);
        wq.push(hash.to_owned());
        if !self.metas.contains_key(hash) {
            // A lifecycle of its own, so an unobserved query is collected after gcTime like
            // any other; read from IndexedDB it is stale until refetched.
            let mut m = QueryMeta::new(key, QueryOptions::observe_only(&self.config.defaults), now);
            m.status = Status::Success;
            m.data_updated_at = at.max(f64::MIN_POSITIVE);
            m.invalidated = hydrate;
            self.metas.insert(hash.to_owned(), m);
            out.states.push(hash.to_owned());
        } else if hydrate {
            if let Some(m) = self.metas.get_mut(hash) {
                m.invalidated = true;
                out.states.push(hash.to_owned());
            }
        } else if let Some(m) = self.metas.get_mut(hash) {
            if at >= m.data_updated_at {
                m.status = Status::Success;
                m.data_updated_at = at.max(f64::MIN_POSITIVE);
                m.invalidated = false;
                m.error = None;
                out.states.push(hash.to_owned());
            }
        }
    }

    /// Brings this tab's queue in line with the outbox as stored (`records`: every record,
    /// as another tab or a reload left them). Unknown records join the queue with their
    /// layers; records changed elsewhere (a higher stamp) replace ours; ours that are gone
    /// from storage were settled or discarded elsewhere and leave. Unreadable records are
    /// listed as failed with `STORAGE`.
    pub fn reconcile_outbox(&mut self, records_json: &str, now: f64) -> Result<Output> {
        let v = json::parse(records_json, "outbox records", Origin::Server)?;
        let records = v
            .as_array()
            .ok_or_else(|| Error::Storage("outbox records: not a list".to_owned()))?;
        let mut out = Output {
            sync: true,
            ..Output::default()
        };
        let mut seen = HashSet::new();
        for rec in records {
            let Some(id) = rec.get("id").and_then(Value::as_str) else {
                continue; // the store's key path: every stored record has one
            };
            seen.insert(id.to_owned());
            let stamp = rec.get("v").and_then(Value::as_u64).unwrap_or(0);
            let parsed = Mutation::from_record(rec, &self.config.schema)
                .unwrap_or_else(|e| Mutation::unreadable(id, rec, &e));
            match self.mutations.iter().position(|m| m.id == id) {
                Some(i) => {
                    let mine = &self.mutations[i];
                    if stamp <= mine.stamp || mine.status == MStatus::Inflight {
                        continue;
                    }
                    self.layer_off(id, &mut out);
                    let mut m = parsed;
                    let old = self.mutations.remove(i);
                    m.attempts = old.attempts;
                    if m.created_at == old.created_at {
                        self.mutations.insert(i, m);
                    } else {
                        // Retried elsewhere: it moved to the back of the queue.
                        self.insert_in_order(m);
                    }
                }
                None => self.insert_in_order(parsed),
            }
            let failed = self
                .mutations
                .iter()
                .any(|m| m.id == id && m.status == MStatus::Failed);
            if !failed {
                self.set_layered(id, true, &mut out);
            }
        }
        let gone: Vec<String> = self
            .mutations
            .iter()
            .filter(|m| {
                !seen.contains(&m.id)
                    && m.status != MStatus::Saving
                    && m.status != MStatus::Inflight
                    // Failed before it was ever stored (its write failed): nothing
                    // elsewhere settled it.
                    && !(m.status == MStatus::Failed && m.stamp == 0)
            })
            .map(|m| m.id.clone())
            .collect();
        for id in gone {
            self.layer_off(&id, &mut out);
            self.mutations.retain(|m| m.id != id);
        }
        self.pump(now, &mut out);
        Ok(self.finish_out(out, now))
    }

    /// Puts a mutation read from storage at its place in the queue: by time, then id.
    fn insert_in_order(&mut self, m: Mutation) {
        let at = (m.created_at, m.id.as_str());
        let pos = self
            .mutations
            .iter()
            .position(|x| (x.created_at, x.id.as_str()) > at)
            .unwrap_or(self.mutations.len());
        self.mutations.insert(pos, m);
    }

    /// Another tab settled mutation `id`: it leaves this tab's queue (its result is already in
    /// the base through that tab's cache delta).
    pub fn forget_mutation(&mut self, id: &str, now: f64) -> Output {
        let mut out = Output {
            sync: true,
            ..Output::default()
        };
        if self
            .mutations
            .iter()
            .any(|m| m.id == id && m.status != MStatus::Inflight)
        {
            self.layer_off(id, &mut out);
            self.mutations.retain(|m| m.id != id);
        }
        self.finish_out(out, now)
    }

    /// `clear()`: everything in memory goes; pending mutations reject with `CLEARED`.
    /// (The browser side wipes this store's IndexedDB data and tells the other tabs.)
    pub fn clear(&mut self, now: f64) -> Output {
        let mut out = Output {
            sync: true,
            ..Output::default()
        };
        for m in std::mem::take(&mut self.mutations) {
            if m.status != MStatus::Failed {
                out.settled.push((
                    m.id,
                    Err(ErrorInfo::new("CLEARED", "the store was cleared (clear())")),
                ));
            }
        }
        self.shadow.clear();
        self.shadow_queries.clear();
        let mut hashes: Vec<String> = self.queries.keys().cloned().collect();
        for h in self.metas.keys() {
            if !self.queries.contains_key(h) {
                hashes.push(h.clone());
            }
        }
        self.drop_queries(hashes, &mut out);
        let rest: Vec<String> = self.cache.keys();
        let mut written = Written::default();
        let schema = self.config.schema.clone();
        for k in rest {
            self.cache.replace(&schema, &k, None, &mut written);
            out.removed_entities.push(k);
        }
        self.sync = super::outbox::SyncMeta {
            leader: self.sync.leader,
            last_ticket: self.sync.last_ticket,
            ..Default::default()
        };
        self.persist = PersistState::default();
        self.finish_out(out, now)
    }
}

fn read_query(q: &Map<String, Value>, schema: &super::schema::Schema) -> Option<Query> {
    Some(Query {
        key: q.get("k").filter(|k| k.is_array())?.clone(),
        shape: Shape::from_json(q.get("s")?, schema).ok()?,
        result: q.get("r")?.clone(),
        updated_at: q.get("t").and_then(Value::as_f64).unwrap_or(0.0),
    })
}

fn id_list(ids_json: &str) -> Result<Vec<String>> {
    let v = json::parse(ids_json, "mutation ids", Origin::App)?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default())
}
