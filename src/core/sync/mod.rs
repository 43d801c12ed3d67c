//! The sync part: what the browser side persists and shares between tabs, decided here so it
//! is tested natively. It tracks what is dirty (outbox records to rewrite, base records and
//! query results changed since the last cache write) and turns that into the output's
//! `outbox` and `persist` once per call.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | `Sync` (the part's state): dirty tracking, the per-call collection |
//! | `records.rs` | the outbox record: a mutation as written to IndexedDB and read back |
//! | `delta.rs` | the cache delta: changed base records and query results, written and read |
//!
//! The delta holds *server base* data only: optimistic layers live in the outbox records and
//! are re-applied from them, so a reload or another tab never mistakes them for server truth.
//! Reconciling the queue with the stored outbox crosses parts and is the store's
//! (store/persistence.rs). Tests: src/core/tests/persist/ (a file per rule, random_reload.rs).

pub mod delta;
pub mod records;

use foldhash::HashSet;

use super::mutation::Queue;
use super::output::Output;

#[derive(Debug, Default)]
pub struct Sync {
    on: bool,
    /// This tab's id, written into every record it writes (see `Mutation::writer`).
    tab: String,
    /// Mutations whose outbox record must be rewritten (or deleted, when gone), in order.
    dirty: Vec<String>,
    /// Records whose write failed: dirty again after this call's collection, so the next call
    /// writes them (not this one, or a failing storage would be asked again at once).
    deferred: Vec<String>,
    /// Cache keys and query hashes changed since the last delta was taken.
    entities: HashSet<String>,
    queries: HashSet<String>,
}

impl Sync {
    /// `on`: the store persists (`persist` is not `false`).
    pub fn new(on: bool) -> Sync {
        Sync {
            on,
            ..Sync::default()
        }
    }

    pub fn persisting(&self) -> bool {
        self.on
    }

    pub fn set_tab(&mut self, tab: &str) {
        tab.clone_into(&mut self.tab);
    }

    /// The outbox record of mutation `id` must be rewritten (or deleted, when it is gone).
    pub fn mark(&mut self, id: &str) {
        if self.on && !self.dirty.iter().any(|d| d == id) {
            self.dirty.push(id.to_owned());
        }
    }

    /// Records whose write failed and must be written again (see `deferred`).
    pub fn defer(&mut self, ids: Vec<String>) {
        if self.on {
            self.deferred.extend(ids);
        }
    }

    /// Records that will never be written after all (their write failed before any was).
    pub fn unmark(&mut self, ids: &[String]) {
        self.dirty.retain(|d| !ids.contains(d));
    }

    /// Base records and query results to write with the next delta.
    pub fn note<'a>(
        &mut self,
        entities: impl IntoIterator<Item = &'a String>,
        queries: impl IntoIterator<Item = &'a String>,
    ) {
        if self.on {
            self.entities.extend(entities.into_iter().cloned());
            self.queries.extend(queries.into_iter().cloned());
        }
    }

    /// The finish step's persistence part: what this call changed goes into the next delta
    /// (`out.persist` says one is waiting) and the dirty outbox records into `out.outbox`, in
    /// order.
    pub fn collect(&mut self, out: &mut Output, queue: &mut Queue) {
        if !self.on {
            return;
        }
        let c = &out.changes;
        self.note(
            c.written_entities.iter().chain(&out.removed_entities),
            c.written_queries.iter().chain(&out.removed_queries),
        );
        out.persist = !self.entities.is_empty() || !self.queries.is_empty();
        for id in std::mem::take(&mut self.dirty) {
            match queue.stamp(&id, &self.tab) {
                // A stand-in for an unreadable record never overwrites what is stored.
                Some(m) if m.unreadable => {}
                Some(m) => out.outbox.push((id, Some(records::write(m)))),
                None => out.outbox.push((id, None)),
            }
        }
        for id in std::mem::take(&mut self.deferred) {
            self.mark(&id);
        }
    }

    /// The keys and hashes of the next delta (see delta.rs); the tracking starts over.
    pub fn take_delta(&mut self) -> (HashSet<String>, HashSet<String>) {
        (
            std::mem::take(&mut self.entities),
            std::mem::take(&mut self.queries),
        )
    }

    /// `clear()`: nothing is dirty any more.
    pub fn reset(&mut self) {
        let tab = std::mem::take(&mut self.tab);
        *self = Sync::new(self.on);
        self.tab = tab;
    }
}
