//! The queries part: every query's lifecycle (not its data: results live in the cache).
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | `Queries` (the lifecycles by hash, the ticket counter): which queries fetch, retry, go stale, get collected, and the actions that asks for |
//! | `state.rs` | `QueryMeta` and its one transition function `dispatch(Event)` |
//! | `options.rs` | `QueryOptions` read from the app's JSON, defaults filled in |
//! | `filter.rs` | `QueryFilter` (TanStack's query filters) and key prefix matching |
//!
//! Nothing here touches the cache; the store runs the use cases that cross both (a fetch
//! that lands writes the cache, then `landed` moves the state). Time, randomness and
//! `online` are arguments. Tests: src/core/tests/queries/ (a file per rule, random_sequences/),
//! retry.rs, finish.rs.

pub mod filter;
pub mod options;
pub mod state;

use foldhash::HashMap;

use serde_json::Value;

pub use self::filter::QueryFilter;
use self::options::QueryOptions;
use self::state::{Event, FetchStatus, QueryMeta};
use super::config::Defaults;
use super::error::{Error, ErrorInfo, Result};
use super::json::{self, type_name, Origin};
use super::output::{Action, Output};
use super::shape::Shape;

#[derive(Debug, Default)]
pub struct Queries {
    metas: HashMap<String, QueryMeta>,
    last_ticket: u64,
    /// `next_wake` as last computed, `None` once a lifecycle changed. Every call ends by asking
    /// for it; recomputing it over every query made a call that touches no query (an
    /// `updateEntity`) cost O(queries).
    wake: std::cell::Cell<Option<Option<f64>>>,
}

impl Queries {
    /// A lifecycle to change: the cached wake-up time goes.
    fn meta_mut(&mut self, hash: &str) -> Option<&mut QueryMeta> {
        self.wake.set(None);
        self.metas.get_mut(hash)
    }

    pub fn get(&self, hash: &str) -> Option<&QueryMeta> {
        self.metas.get(hash)
    }

    /// Moves query `hash`'s state (nothing when it has no lifecycle) and lists it as changed.
    pub fn dispatch(&mut self, hash: &str, ev: Event, out: &mut Output) {
        if let Some(m) = self.meta_mut(hash) {
            m.dispatch(ev);
            out.state(hash);
        }
    }

    /// Creates the query's lifecycle if needed (successful as of `data_at` when its result is
    /// already cached), with the latest observer's options. Returns whether it was created.
    pub fn ensure(
        &mut self,
        hash: &str,
        key: Value,
        opts: Option<QueryOptions>,
        data_at: Option<f64>,
        defaults: &Defaults,
        now: f64,
    ) -> bool {
        let created = !self.metas.contains_key(hash);
        self.wake.set(None);
        let meta = self.metas.entry(hash.to_owned()).or_insert_with(|| {
            let mut m = QueryMeta::new(key, QueryOptions::observe_only(defaults), now);
            if let Some(at) = data_at {
                m.dispatch(Event::Data {
                    at: at.max(f64::MIN_POSITIVE),
                });
            }
            m
        });
        if let Some(o) = opts {
            meta.set_options(o);
        }
        created
    }

    /// The latest observer's options (see `QueryMeta::set_options`).
    pub fn set_options(&mut self, hash: &str, opts: QueryOptions) {
        if let Some(m) = self.meta_mut(hash) {
            m.set_options(opts);
        }
    }

    /// Sets the shape of a query that has no source (what `setQueryData` wrote it with).
    pub fn set_observed_shape(&mut self, hash: &str, shape: Shape) {
        if let Some(m) = self.meta_mut(hash) {
            m.observe_shape(shape);
        }
    }

    /// Starts a fetch unless one is under way (dedup). `supersede` replaces the one under way:
    /// its answer will be dropped.
    pub fn start_fetch(
        &mut self,
        hash: &str,
        now: f64,
        supersede: bool,
        online: bool,
        out: &mut Output,
    ) {
        let Some(m) = self.metas.get(hash) else {
            return;
        };
        if !m.opts().has_source() {
            return;
        }
        if m.in_flight() {
            if !supersede {
                return; // joins the fetch in flight
            }
            out.actions.push(Action::Abort {
                hash: hash.to_owned(),
                ticket: m.ticket(),
            });
        }
        self.last_ticket += 1;
        let ticket = self.last_ticket;
        self.dispatch(
            hash,
            Event::Start {
                ticket,
                online,
                now,
            },
            out,
        );
        self.send(hash, out);
    }

    /// The request of the query's current ticket, if it is being fetched (not paused).
    fn send(&self, hash: &str, out: &mut Output) {
        if let Some(m) = self.metas.get(hash) {
            if m.fetch_status() == FetchStatus::Fetching {
                out.actions.push(Action::Fetch {
                    hash: hash.to_owned(),
                    ticket: m.ticket(),
                    url: m.opts().url.clone(),
                    timeout: m.opts().timeout,
                });
            }
        }
    }

    /// Whether `ticket` is the fetch of `hash` whose answer may land.
    pub fn is_current(&self, hash: &str, ticket: u64) -> bool {
        ticket != 0 && self.metas.get(hash).map(QueryMeta::ticket) == Some(ticket)
    }

    /// The current fetch failed (a final error, a retry later, or paused offline).
    #[allow(clippy::too_many_arguments)]
    pub fn failed(
        &mut self,
        hash: &str,
        error: ErrorInfo,
        retry_after: Option<f64>,
        online: bool,
        now: f64,
        random: f64,
        out: &mut Output,
    ) {
        let ev = Event::Failed {
            error,
            retry_after,
            online,
            now,
            random,
        };
        self.dispatch(hash, ev, out);
        // The app's retry function decides: the wrapper answers with `decide`.
        if let Some(m) = self.metas.get(hash) {
            if let Some(error) = m.deciding() {
                out.actions.push(Action::AskRetry {
                    hash: hash.to_owned(),
                    ticket: m.ticket(),
                    failure_count: m.failure_count(),
                    error: error.clone(),
                    would_retry: m.would_retry(error),
                });
            }
        }
    }

    /// The app's answer to an `AskRetry` of fetch `ticket` (dropped when that fetch is no
    /// longer current).
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &mut self,
        hash: &str,
        ticket: u64,
        retry: bool,
        delay: Option<f64>,
        now: f64,
        random: f64,
        out: &mut Output,
    ) {
        if self.is_current(hash, ticket) {
            let ev = Event::Decided {
                retry,
                delay,
                now,
                random,
            };
            self.dispatch(hash, ev, out);
        }
    }

    /// Back online: paused fetches start again (nothing of theirs is in flight).
    pub fn resume_paused(&mut self, now: f64, out: &mut Output) {
        for hash in self.hashes(|m| m.fetch_status() == FetchStatus::Paused) {
            if let Some(m) = self.meta_mut(&hash) {
                m.dispatch(Event::Unpause);
            }
            self.start_fetch(&hash, now, false, true, out);
        }
    }

    /// Refetches the active, enabled, stale queries (not fetching) whose options `want` it.
    pub fn refetch_stale(
        &mut self,
        now: f64,
        online: bool,
        want: fn(&QueryOptions) -> bool,
        out: &mut Output,
    ) {
        let due = self.hashes(|m| {
            m.active() && m.opts().enabled && want(m.opts()) && !m.in_flight() && m.is_stale(now)
        });
        for hash in due {
            self.start_fetch(&hash, now, false, online, out);
        }
    }

    /// Timers due at `now`: retries, `isStale` flips, `refetchInterval`. Returns the queries
    /// whose gc is due (the store removes them with their data).
    pub fn tick(&mut self, now: f64, online: bool, out: &mut Output) -> Vec<String> {
        for hash in self.hashes(|m| m.retry_at().is_some_and(|t| t <= now)) {
            if let Some(m) = self.meta_mut(&hash) {
                m.dispatch(Event::Resume { online });
            }
            if self.metas.get(&hash).map(QueryMeta::fetch_status) == Some(FetchStatus::Fetching) {
                self.send(&hash, out); // still fetching: the state shown does not change
            } else {
                out.state(&hash);
            }
        }
        for hash in self.hashes(|m| !m.reported_stale() && m.is_stale(now)) {
            self.dispatch(&hash, Event::Reported { now }, out);
        }
        for hash in self.hashes(|m| m.active() && m.interval_at().is_some_and(|t| t <= now)) {
            if let Some(m) = self.meta_mut(&hash) {
                m.dispatch(Event::Interval { now });
            }
            if self.metas.get(&hash).is_some_and(|m| m.opts().enabled) {
                self.start_fetch(&hash, now, false, online, out);
            }
        }
        self.hashes(|m| !m.active() && m.gc_at().is_some_and(|t| t <= now))
    }

    /// An observer subscribes; returns whether the query should fetch now (it has a source,
    /// is enabled and stale).
    pub fn observe(&mut self, hash: &str, now: f64) -> bool {
        match self.meta_mut(hash) {
            Some(m) => {
                m.dispatch(Event::Observed { now });
                m.fetch_on_mount(now)
            }
            None => false,
        }
    }

    /// An observer leaves; the last one starts the gc clock.
    pub fn unobserve(&mut self, hash: &str, now: f64) {
        if let Some(m) = self.meta_mut(hash) {
            m.dispatch(Event::Unobserved { now });
        }
    }

    /// Removes lifecycles; a fetch in flight is aborted.
    pub fn remove(&mut self, hashes: &[String], out: &mut Output) {
        self.wake.set(None);
        for h in hashes {
            if let Some(m) = self.metas.remove(h) {
                if m.in_flight() {
                    out.actions.push(Action::Abort {
                        hash: h.clone(),
                        ticket: m.ticket(),
                    });
                }
            }
        }
    }

    /// The hashes whose lifecycle matches, sorted (a deterministic order for tests and for the
    /// JS side).
    pub fn hashes(&self, pred: impl Fn(&QueryMeta) -> bool) -> Vec<String> {
        let mut out: Vec<String> = self
            .metas
            .iter()
            .filter(|(_, m)| pred(m))
            .map(|(h, _)| h.clone())
            .collect();
        super::sort::sort(&mut out);
        out
    }

    /// Hashes of the queries `filter` matches at `now`.
    pub fn matching(&self, filter: &QueryFilter, now: f64) -> Vec<String> {
        let mut out: Vec<String> = self
            .metas
            .iter()
            .filter(|(h, m)| filter.matches(h, m, now))
            .map(|(h, _)| h.clone())
            .collect();
        super::sort::sort(&mut out);
        out
    }

    /// Records the stale flag as reported for every state the output sends.
    pub fn report(&mut self, states: &[String], now: f64) {
        for h in states {
            if let Some(m) = self.metas.get_mut(h) {
                m.dispatch(Event::Reported { now });
            }
        }
    }

    /// The earliest moment some lifecycle has timer work. Unchanged lifecycles keep it while
    /// it is still ahead: each moment in it is fixed (a retry, a stale flip, an interval, a gc).
    pub fn next_wake(&self, now: f64) -> Option<f64> {
        if let Some(w) = self.wake.get().filter(|w| w.map_or(true, |t| t > now)) {
            return w;
        }
        let w = self
            .metas
            .values()
            .filter_map(|m| m.wake_at(now))
            .reduce(f64::min);
        self.wake.set(Some(w));
        w
    }
}

/// A queryKey is a non-empty JSON array (TanStack style).
pub fn parse_query_key(key_json: &str) -> Result<Value> {
    let key = json::parse(key_json, "queryKey", Origin::App)?;
    match &key {
        Value::Array(a) if !a.is_empty() => Ok(key),
        other => Err(Error::InvalidArgument(format!(
            "queryKey must be a non-empty array such as ['todos'] or ['todo', 5], got {}",
            if other.is_array() {
                "an empty array"
            } else {
                type_name(other)
            }
        ))),
    }
}
