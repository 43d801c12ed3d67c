//! The store: the top that composes the parts and runs the use cases that cross them.
//!
//! - `cache` (cache/): entities, query results, the base under the optimistic layers;
//! - `queries` (query/): every query's lifecycle;
//! - `queue` (mutation/): the mutations not yet acknowledged and the sync bookkeeping;
//! - `sync` (sync/): what to persist and share with other tabs.
//!
//! Each part owns its state; only the store holds more than one. The use cases live in
//! store/: `data.rs` (setQueryData, updateEntity), `queries.rs` (observe, fetch, settle,
//! timers, invalidate...), `mutations.rs` (mutate, settle, conflicts, retry, discard, temp
//! ids), `persistence.rs` (outbox durability, cache deltas, other tabs, clear), `hydrate.rs`
//! (SSR: dehydrate and hydrate).
//!
//! **Every public method ends in `finish`**, the one place that turns a call into its
//! `Output`: the cache's change record, which query states were reported, what to persist
//! (unless the call applied what was already stored elsewhere), whether the sync state
//! changed (by comparison), and when `tick` is next due. A method cannot forget the wake-up
//! time or the persistence of what it wrote (tests/finish.rs calls every one of them).

mod data;
mod hydrate;
mod inspect;
mod mutations;
mod pages;
mod persistence;
mod pushes;
mod queries;

pub use pages::Side;

use crate::core::row::Row;
use serde_json::Value;

use super::cache::guard::Order;
use super::cache::{Cache, Query};
use super::config::{Config, Persist};
use super::error::Result;
use super::json::{self, Origin};
use super::live::Live;
use super::mutation::description::MStatus;
use super::mutation::{Queue, SyncState};
use super::output::{Action, Output};
use super::push::Pushes;
use super::query::state::QueryMeta;
use super::query::Queries;
use super::sync::Sync;

#[derive(Debug)]
pub struct Store {
    config: Config,
    cache: Cache,
    queries: Queries,
    queue: Queue,
    sync: Sync,
    pushes: Pushes,
    /// Live queries over the cache, kept by the finish step.
    live: Live,
    /// `navigator.onLine` as last reported.
    online: bool,
}

/// Where a call's data came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// This tab's own work: persisted.
    Here,
    /// Read from IndexedDB or sent by another tab: already stored, not persisted again.
    Stored,
}

/// What the sync state's comparison looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SyncMark {
    queue: u64,
    online: bool,
}

impl Store {
    pub fn new(config: Config) -> Store {
        let persisting = !matches!(config.persist, Persist::Off);
        Store {
            cache: Cache::new(config.schema.clone()),
            queries: Queries::default(),
            queue: Queue::default(),
            sync: Sync::new(persisting),
            pushes: Pushes::default(),
            live: Live::default(),
            online: true,
            config,
        }
    }

    /// Builds a store from the JSON form of the `createStore` options.
    pub fn from_options_json(text: &str) -> Result<Store> {
        let v = json::parse(text, "createStore options", Origin::App)?;
        Ok(Store::new(Config::from_json(&v)?))
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    pub fn query(&self, hash: &str) -> Option<&Query> {
        self.cache.query(hash)
    }

    pub fn meta(&self, hash: &str) -> Option<&QueryMeta> {
        self.queries.get(hash)
    }

    pub fn entity(&self, key: &str) -> Option<&Row> {
        self.cache.entity(key)
    }

    pub fn entity_count(&self) -> usize {
        self.cache.entity_count()
    }

    /// The denormalized result of a query (entities expanded), as plain JSON.
    pub fn read_query(&self, hash: &str) -> Option<Value> {
        self.cache.read_query(hash)
    }

    /// The denormalized entity, as plain JSON.
    pub fn read_entity(&self, type_name: &str, id: &str) -> Option<Value> {
        self.cache.read_entity(type_name, id)
    }

    pub fn persisting(&self) -> bool {
        self.sync.persisting()
    }

    pub fn sync_state(&self) -> SyncState<'_> {
        self.queue.sync_state(self.online)
    }

    pub fn mutation_list(&self) -> Vec<Value> {
        self.queue.list().iter().map(|m| m.listing()).collect()
    }

    /// The earliest moment `tick` has work: a query timer (retry, stale flip, interval, gc) or
    /// the head of the mutation queue's backoff.
    pub fn next_wake(&self, now: f64) -> Option<f64> {
        self.queries
            .next_wake(now)
            .into_iter()
            .chain(self.queue.wake_at(self.online))
            .reduce(f64::min)
    }

    /// Runs use case `f` and finishes its output.
    fn run(
        &mut self,
        now: f64,
        source: Source,
        f: impl FnOnce(&mut Store, &mut Output) -> Result<()>,
    ) -> Result<Output> {
        let before = self.sync_mark();
        let mut out = Output::default();
        f(self, &mut out)?;
        Ok(self.finish(out, before, now, source))
    }

    /// `run` for a use case that cannot fail.
    fn run_ok(&mut self, now: f64, f: impl FnOnce(&mut Store, &mut Output)) -> Output {
        let before = self.sync_mark();
        let mut out = Output::default();
        f(self, &mut out);
        self.finish(out, before, now, Source::Here)
    }

    fn sync_mark(&self) -> SyncMark {
        SyncMark {
            queue: self.queue.revision(),
            online: self.online,
        }
    }

    /// The one finish step (see the module doc). Not inlined: `run` is instantiated once per
    /// use case, and a copy of this in each cost kilobytes of wasm.
    #[inline(never)]
    fn finish(&mut self, mut out: Output, before: SyncMark, now: f64, source: Source) -> Output {
        // Echoes whose mutation this call settled apply in it.
        self.release_echoes(now, &mut out);
        self.mark_requests(&out.actions);
        self.update_live(&mut out, now);
        let taken = self.cache.take_changes();
        out.changes = taken.changes;
        self.queries.report(&out.states, now);
        if source == Source::Here {
            self.sync.note(&taken.base_entities, &taken.base_queries);
            self.sync.collect(&mut out, &mut self.queue);
        }
        out.sync = self.sync_mark() != before;
        out.wake_at = self.next_wake(now);
        out
    }

    /// The finish step's live part: removed queries stop being live (or are built again when
    /// they started over), then the entities this call changed move through the live sets and
    /// the live results that moved are written as their queries' results.
    fn update_live(&mut self, out: &mut Output, now: f64) {
        if self.live.is_empty() {
            return;
        }
        for h in &out.removed_queries {
            if self.queries.get(h).is_some() {
                self.live.rebuild(h, &self.cache);
            } else {
                self.live.remove(h);
            }
        }
        let (keys, written) = self.cache.pending_changes();
        for shown in self.live.apply(&keys, &written, &self.cache) {
            self.cache
                .write_live_result(&shown.hash, shown.key, &shown.from, shown.result, now);
            out.live_totals.push((shown.hash, shown.total));
        }
    }

    /// The active layers' keys, for cache writes under them.
    fn relayer(&mut self, keys: &[String], hashes: &[String]) {
        let layers = self.queue.active_layers();
        self.cache.relayer(keys, hashes, &layers);
    }

    /// Server data into the base, under the active layers, ordered by `order` (see
    /// cache/guard.rs).
    fn write_base(&mut self, entities: Vec<super::cache::normalize::EntityRecord>, order: Order) {
        let layers = self.queue.active_layers();
        self.cache.write_base(entities, &layers, order);
    }

    /// The requests this call sends are marked with the push clock (their answers must not
    /// undo a later push); marks of requests no longer in flight go.
    fn mark_requests(&mut self, actions: &[Action]) {
        let guard = self.cache.guard_mut();
        for a in actions {
            match a {
                Action::Fetch { hash, .. } => guard.mark_request(query_request(hash)),
                Action::Send { id, .. } => guard.mark_request(mutation_request(id)),
                Action::Abort { .. } | Action::AskRetry { .. } => {}
            }
        }
        let (queries, queue) = (&self.queries, &self.queue);
        self.cache.guard_mut().retain_requests(|who| {
            if let Some(hash) = who.strip_prefix('q') {
                queries.get(hash).is_some_and(|m| m.in_flight())
            } else {
                who.strip_prefix('m')
                    .and_then(|id| queue.get(id))
                    .is_some_and(|m| m.status == MStatus::Inflight)
            }
        });
    }

    /// How the answer of query `hash`'s fetch in flight is ordered against pushes.
    fn fetch_order(&self, hash: &str) -> Order {
        self.order_of(&query_request(hash))
    }

    /// How the answer of mutation `id`'s request is ordered against pushes.
    fn send_order(&self, id: &str) -> Order {
        self.order_of(&mutation_request(id))
    }

    fn order_of(&self, who: &str) -> Order {
        self.cache
            .guard()
            .request_mark(who)
            .map_or(Order::Any, Order::Since)
    }
}

fn query_request(hash: &str) -> String {
    format!("q{hash}")
}

fn mutation_request(id: &str) -> String {
    format!("m{id}")
}
