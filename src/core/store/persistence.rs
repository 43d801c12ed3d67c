//! Persistence and tabs use cases: outbox records made durable (or not), the cache delta
//! taken and applied, this tab's queue reconciled with the outbox as stored, another tab's
//! settled mutation, leadership, and `clear()`. What was read from IndexedDB or sent by
//! another tab is applied with `Source::Stored`, so the finish step does not persist it again.

use foldhash::{HashSet, HashSetExt};

use serde_json::Value;

use super::{Source, Store};
use crate::core::cache::Query;
use crate::core::error::{Error, ErrorInfo, Result};
use crate::core::json::{self, Origin};
use crate::core::live::Def;
use crate::core::mutation::description::{MStatus, Mutation};
use crate::core::output::Output;
use crate::core::query::state::Event;
use crate::core::sync::{delta, records};

impl Store {
    /// The records of `ids` are durable: they are queued now (and sent when it is their turn).
    pub fn persisted(&mut self, ids_json: &str, now: f64) -> Result<Output> {
        let ids = id_list(ids_json)?;
        self.run(now, Source::Here, |s, out| {
            s.queue.saved(&ids);
            s.pump(now, out);
            Ok(())
        })
    }

    /// Writing the records of `ids` failed (quota, storage gone). Mutations still being
    /// saved are not queued: they fail with `code`, their layers roll back. The other records
    /// (a later state of a queued mutation, a settled one's deletion) are written again with
    /// the next batch, and the sync state reports the error meanwhile: what is on disk never
    /// silently stays behind.
    pub fn persist_failed(
        &mut self,
        ids_json: &str,
        code: &str,
        message: &str,
        now: f64,
    ) -> Result<Output> {
        let ids = id_list(ids_json)?;
        self.run(now, Source::Here, |s, out| {
            let unsaved = s.queue.saving(&ids);
            for id in &unsaved {
                s.queue.unstamp(id);
                s.fail_mutation(id, ErrorInfo::new(code, message), out);
            }
            // Their records never reached storage: none to write now (dependents that failed
            // with them were stored, and their records are updated).
            s.sync.unmark(&unsaved);
            let behind: Vec<String> = ids.into_iter().filter(|id| !unsaved.contains(id)).collect();
            if !behind.is_empty() {
                let e = format!("{message}; the outbox is written again with the next change");
                s.queue.report(ErrorInfo::new(code, e));
                s.sync.defer(behind);
            }
            s.pump(now, out);
            Ok(())
        })
    }

    /// This tab's id (the wrapper makes one per tab): written into the records it writes.
    pub fn set_tab(&mut self, tab: &str, now: f64) -> Output {
        self.run_ok(now, |s, _| s.sync.set_tab(tab))
    }

    /// This tab became (or stopped being) the one that sends.
    pub fn set_leader(&mut self, on: bool, now: f64) -> Output {
        self.run_ok(now, |s, out| {
            s.queue.set_leader(on);
            s.pump(now, out);
        })
    }

    /// The changed base records and query results since the last call, as JSON (see
    /// sync/delta.rs).
    pub fn take_cache_delta(&mut self) -> String {
        let (keys, hashes) = self.sync.take_delta();
        let live = &self.live;
        delta::write(&self.cache, &keys, &hashes, |h| {
            live.def(h).map(|d| d.json.clone())
        })
    }

    /// Cache chunks (a JSON array of delta texts, oldest first) as the one delta text that
    /// replaces them (sync/delta.rs `compact`).
    pub fn compact_cache(&self, chunks_json: &str) -> Result<String> {
        delta::compact(chunks_json)
    }

    /// Applies a delta read from IndexedDB (`hydrate`: its queries are stale until
    /// refetched) or sent by another tab. Nothing applied here is persisted again.
    pub fn apply_cache(&mut self, delta_json: &str, hydrate: bool, now: f64) -> Result<Output> {
        let d = delta::read(delta_json, &self.cache)?;
        self.run(now, Source::Stored, |s, out| {
            let layers = s.queue.active_layers();
            s.cache.reserve_entities(d.entities.len());
            for (key, rec) in d.entities {
                s.cache.put_base(&key, rec, &layers);
            }
            for (hash, q) in d.queries {
                match q {
                    Some(q) => s.put_stored_query(&hash, q, hydrate, now, out),
                    // Removed in the other tab; kept here while something observes it.
                    None if !hydrate && s.queries.get(&hash).map_or(true, |m| !m.active()) => {
                        s.queries
                            .remove(std::slice::from_ref(&hash), &mut Output::default());
                        if s.cache.forget_query(&hash) {
                            out.removed_queries.push(hash);
                        }
                    }
                    None => {}
                }
            }
            // Stored live queries are live here too (a definition this app version refuses
            // is left out, like a result of an undeclared type).
            for (hash, def) in d.live {
                let key = s.cache.query(&hash).map(|q| q.key.clone());
                if let (Some(key), Ok(def)) = (key, Def::parse(&def, &s.config.schema)) {
                    s.define_live(&hash, key, def, now, out);
                }
            }
            Ok(())
        })
    }

    /// A query result read from IndexedDB or sent by another tab. It gets a lifecycle of its
    /// own, so an unobserved query is collected after gcTime like any other; read from
    /// IndexedDB it is stale until refetched, and another tab's data counts when it is not
    /// older than ours.
    fn put_stored_query(
        &mut self,
        hash: &str,
        q: Query,
        hydrate: bool,
        now: f64,
        out: &mut Output,
    ) {
        let (key, raw_at) = (q.key.clone(), q.updated_at);
        let at = raw_at.max(f64::MIN_POSITIVE);
        // Another tab's result older than ours (its delta arrived after our own refetch) never
        // replaces ours; read from IndexedDB at startup, it is all there is.
        let older = !hydrate
            && self
                .queries
                .get(hash)
                .is_some_and(|m| m.has_data() && raw_at < m.data_updated_at());
        if older {
            return;
        }
        let layers = self.queue.active_layers();
        self.cache.put_result(hash, q, &layers);
        let defaults = &self.config.defaults;
        let created = self
            .queries
            .ensure(hash, key, None, Some(at), defaults, now);
        if created || hydrate {
            if hydrate {
                self.queries.dispatch(hash, Event::Invalidated, out);
            }
            out.state(hash);
        } else if self
            .queries
            .get(hash)
            .is_some_and(|m| raw_at >= m.data_updated_at())
        {
            self.queries.dispatch(hash, Event::Data { at }, out);
        }
    }

    /// Brings this tab's queue in line with the outbox as stored (`records`: every record,
    /// as another tab or a reload left them). Unknown records join the queue with their
    /// layers; records changed elsewhere (a higher stamp) replace ours; ours that are gone
    /// from storage were settled or discarded elsewhere and leave. Unreadable records are
    /// listed as failed with `STORAGE`.
    pub fn reconcile_outbox(&mut self, records_json: &str, now: f64) -> Result<Output> {
        // Each record is read on its own: one that cannot be read never hides the others.
        let Some(items) = json::array_items(records_json) else {
            json::parse_stored(records_json, "outbox records")?; // not JSON: PARSE
            return Err(Error::Storage("outbox records: not a list".to_owned()));
        };
        // Read every record first: a list with a record that has no id to list it by is refused
        // whole (PARSE), since taking the others alone would drop that one as settled elsewhere.
        let mut read = Vec::with_capacity(items.len());
        for text in items {
            read.push(match json::parse_stored(text, "an outbox record") {
                Ok(rec) => {
                    let Some(id) = rec.get("id").and_then(Value::as_str) else {
                        continue; // the store's key path: every stored record has one
                    };
                    records::read(&rec, &self.config.schema)
                        .unwrap_or_else(|e| records::unreadable(id, &rec, &e))
                }
                Err(e) => {
                    let id = records::id_of(text).ok_or(e.clone())?;
                    records::unreadable(&id, &Value::Null, &e)
                }
            });
        }
        self.run(now, Source::Here, |s, out| {
            let mut seen = HashSet::new();
            for m in read {
                seen.insert(m.id.clone());
                s.reconcile_record(m);
            }
            let gone: Vec<String> = s
                .queue
                .list()
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
                s.set_layered(&id, false);
                s.queue.take(&id);
            }
            s.pump(now, out);
            Ok(())
        })
    }

    /// One stored record: joins the queue, replaces our older copy, or is ours already.
    /// Copies are ordered by `(stamp, writer)`. A higher stamp wins; a lower one is ours still
    /// on its way to storage. Two tabs that wrote the same stamp at once agree by writer: the
    /// lower one takes the other's copy, the higher one writes its copy again (storage may hold
    /// the other, written last), so every tab converges on one.
    fn reconcile_record(&mut self, stored: Mutation) {
        let id = stored.id.clone();
        match self.queue.get(&id) {
            Some(mine) if mine.status == MStatus::Inflight || stored.stamp < mine.stamp => return,
            Some(mine) if stored.stamp == mine.stamp && stored.writer <= mine.writer => {
                if stored.writer < mine.writer && !mine.unreadable {
                    self.sync.mark(&id);
                }
                return;
            }
            Some(_) => {
                self.set_layered(&id, false);
                self.queue.replace(&id, stored);
            }
            None => self.queue.insert_in_order(stored),
        }
        if self
            .queue
            .get(&id)
            .is_some_and(|m| m.status != MStatus::Failed)
        {
            self.set_layered(&id, true);
        }
    }

    /// Another tab settled mutation `id`: it leaves this tab's queue (its result is already in
    /// the base through that tab's cache delta).
    pub fn forget_mutation(&mut self, id: &str, now: f64) -> Output {
        self.run_ok(now, |s, _| {
            if s.queue
                .get(id)
                .is_some_and(|m| m.status != MStatus::Inflight)
            {
                s.set_layered(id, false);
                s.queue.take(id);
            }
        })
    }

    /// `clear()`: everything in memory goes; pending mutations reject with `CLEARED`.
    /// (The browser side wipes this store's IndexedDB data and tells the other tabs, so
    /// nothing of it is persisted.)
    pub fn clear(&mut self, now: f64) -> Output {
        let run = self.run(now, Source::Stored, |s, out| {
            for m in s.queue.take_all() {
                if m.status != MStatus::Failed {
                    let e = ErrorInfo::new("CLEARED", "the store was cleared (clear())");
                    out.settled.push((m.id, Err(e)));
                }
            }
            let mut hashes: Vec<String> = s.cache.query_hashes().cloned().collect();
            for h in s.queries.hashes(|_| true) {
                if !hashes.contains(&h) {
                    hashes.push(h);
                }
            }
            // Fetches in flight are aborted like any removed query's.
            s.queries.remove(&hashes, out);
            out.removed_entities = s.cache.clear();
            s.pushes.clear();
            out.removed_queries = hashes;
            s.sync.reset();
            Ok(())
        });
        run.unwrap_or_default()
    }
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
