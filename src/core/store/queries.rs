//! Query use cases: observe, fetch, settle, retry, pause, cancel, invalidate, refetch,
//! remove, focus, reconnect, timers and gc. The query part decides each state move; this
//! file adds what crosses into the cache (a fetch that lands writes data; removal collects
//! entities) and the mutation queue (back online, it sends too). Time and randomness come in
//! as arguments; what the browser must do goes out as `Action`s, and the next moment
//! anything is due as `wake_at`, so one JS timer drives all of it.

use serde_json::Value;

use super::{Source, Store};
use crate::core::cache::guard::Order;
use crate::core::cache::ingest::normalize_json;
use crate::core::cache::normalize::{normalize, Normalized};
use crate::core::error::{Error, ErrorInfo, Result};
use crate::core::json::{self, Origin};
use crate::core::live::Def;
use crate::core::output::{Output, Settle};
use crate::core::query::filter::Kind;
use crate::core::query::options::QueryOptions;
use crate::core::query::state::Event;
use crate::core::query::state::FetchStatus;
use crate::core::query::{parse_query_key, QueryFilter};
use crate::core::retry;

/// Query options as read: the lifecycle's, `initialData`, the live definition.
type Parsed = (QueryOptions, Option<Initial>, Option<Def>);

/// `initialData` of an observe or fetch: written when the query is created without data.
struct Initial {
    data: Value,
    /// `initialDataUpdatedAt` (default: now).
    at: Option<f64>,
}

impl Store {
    fn parse_options(&self, opts_json: &str) -> Result<Parsed> {
        let mut v = json::parse(opts_json, "query options", Origin::App)?;
        let mut initial = None;
        let mut live = None;
        if let Some(obj) = v.as_object_mut() {
            // Read and checked whole here, before anything is written or built.
            if let Some(def) = obj.remove("live").filter(|d| !d.is_null()) {
                live = Some(Def::parse(&def, &self.config.schema)?);
            }
            let at = match obj.remove("initialDataUpdatedAt") {
                None | Some(Value::Null) => None,
                Some(x) => Some(
                    x.as_f64()
                        .filter(|t| t.is_finite() && *t >= 0.0)
                        .ok_or_else(|| {
                            Error::InvalidArgument(
                                "`initialDataUpdatedAt` must be a time in ms since the epoch"
                                    .to_owned(),
                            )
                        })?,
                ),
            };
            if let Some(data) = obj.remove("initialData") {
                initial = Some(Initial { data, at });
            }
        }
        let opts = QueryOptions::from_json(
            &v,
            &self.config.defaults,
            &self.config.schema,
            &self.config.base_url,
        )?;
        Ok((opts, initial, live))
    }

    /// The cache write `initialData` makes, checked against the shape first (nothing is
    /// written when it does not fit). `None` when the query exists or has data already.
    fn initial_write(
        &self,
        hash: &str,
        opts: &QueryOptions,
        initial: Option<Initial>,
        now: f64,
    ) -> Result<Option<(Normalized, f64)>> {
        let Some(i) = initial else { return Ok(None) };
        if self.queries.get(hash).is_some() || self.cache.query(hash).is_some() {
            return Ok(None);
        }
        let n = normalize(&self.config.schema, &opts.shape, i.data)?;
        Ok(Some((n, i.at.unwrap_or(now))))
    }

    /// Runs `then` on query `hash` once its lifecycle exists (created if needed, with the
    /// latest observer's options and its initial data; a new one's first state reaches the
    /// JS side).
    fn with_query(
        &mut self,
        hash: &str,
        key_json: &str,
        (opts, initial, live): Parsed,
        now: f64,
        then: impl FnOnce(&mut Store, &mut Output),
    ) -> Result<Output> {
        let key = parse_query_key(key_json)?;
        let first = self.initial_write(hash, &opts, initial, now)?;
        Ok(self.run_ok(now, |s, out| {
            if let Some(def) = live {
                s.define_live(hash, key.clone(), def, now, out);
            }
            if let Some((n, at)) = first {
                let shape = opts.shape.clone();
                s.write_data(hash, key.clone(), shape, n, Order::Any, at);
            }
            let data_at = s.cache.query(hash).map(|q| q.updated_at);
            let defaults = &s.config.defaults;
            let created = s
                .queries
                .ensure(hash, key, Some(opts), data_at, defaults, now);
            // New options may change `isStale` (a hydrated query observed with its staleTime).
            let restale = s
                .queries
                .get(hash)
                .is_some_and(|m| m.reported_stale() != m.is_stale(now));
            if created || restale {
                out.state(hash);
            }
            then(s, out);
        }))
    }

    fn start_fetch(&mut self, hash: &str, now: f64, supersede: bool, out: &mut Output) {
        self.queries
            .start_fetch(hash, now, supersede, self.online, out);
    }

    /// An observer subscribes. With a source, fetches at once when there is no data or it is
    /// stale (stale-while-revalidate: cached data stays visible meanwhile).
    pub fn observe(
        &mut self,
        hash: &str,
        key_json: &str,
        opts_json: &str,
        now: f64,
    ) -> Result<Output> {
        let opts = self.parse_options(opts_json)?;
        self.with_query(hash, key_json, opts, now, |s, out| {
            if s.queries.observe(hash, now) {
                s.start_fetch(hash, now, false, out);
            }
        })
    }

    /// An observer leaves; the last one starts the gc clock.
    pub fn unobserve(&mut self, hash: &str, now: f64) -> Output {
        self.run_ok(now, |s, _| s.queries.unobserve(hash, now))
    }

    /// `fetchQuery` / `prefetchQuery`: fetches unless the data is fresh (or joins the fetch
    /// in flight).
    pub fn fetch(
        &mut self,
        hash: &str,
        key_json: &str,
        opts_json: &str,
        now: f64,
    ) -> Result<Output> {
        let opts = self.parse_options(opts_json)?;
        let source = opts.0.has_source();
        // A live query without a source has its data at once: fetching it reads it.
        if !source && opts.2.is_none() {
            return Err(Error::InvalidArgument(
                "fetchQuery needs a source: `url` or `queryFn` (or a `live` definition)".to_owned(),
            ));
        }
        self.with_query(hash, key_json, opts, now, |s, out| {
            if source && s.queries.get(hash).is_some_and(|m| m.is_stale(now)) {
                s.start_fetch(hash, now, false, out);
            }
        })
    }

    /// A fetch by url ended. Answers of cancelled or superseded fetches (an old ticket) are
    /// dropped.
    pub fn settle(
        &mut self,
        hash: &str,
        ticket: u64,
        result: Settle,
        now: f64,
        random: f64,
    ) -> Output {
        self.run_ok(now, |s, out| {
            if !s.queries.is_current(hash, ticket) {
                return;
            }
            let url = s
                .queries
                .get(hash)
                .and_then(|m| m.opts().url.clone())
                .unwrap_or_default();
            match result {
                Settle::Http { status, body, .. } if (200..300).contains(&status) => {
                    if body.trim().is_empty() {
                        let msg = format!(
                            "GET {url} answered {status} with an empty body; a query needs JSON data"
                        );
                        s.fail(hash, ErrorInfo::new("PARSE", msg), None, now, random, out);
                    } else {
                        let what = || format!("the response of GET {url}");
                        s.land(hash, &body, &what, Origin::Server, now, random, out);
                    }
                }
                Settle::Http {
                    status,
                    body,
                    retry_after,
                } => {
                    let ra = retry_after.as_deref().and_then(retry::parse_retry_after);
                    let e = ErrorInfo::http(status, &url, body);
                    s.fail(hash, e, ra, now, random, out);
                }
                Settle::Failed(e) => s.fail(hash, e, None, now, random, out),
            }
        })
    }

    /// A `queryFn` resolved with data (JSON text); dropped like `settle` when superseded.
    pub fn settle_data(
        &mut self,
        hash: &str,
        ticket: u64,
        text: &str,
        now: f64,
        random: f64,
    ) -> Output {
        self.run_ok(now, |s, out| {
            if s.queries.is_current(hash, ticket) {
                let what = || "the data the queryFn resolved with".to_owned();
                s.land(hash, text, &what, Origin::App, now, random, out);
            }
        })
    }

    /// Writes a fetched JSON `text` (`what` names it in errors): unreadable or misshapen data
    /// is a final error and the old data stays.
    #[allow(clippy::too_many_arguments)]
    fn land(
        &mut self,
        hash: &str,
        text: &str,
        what: &dyn Fn() -> String,
        origin: Origin,
        now: f64,
        random: f64,
        out: &mut Output,
    ) {
        let Some(m) = self.queries.get(hash) else {
            return;
        };
        let (key, shape) = (m.key().clone(), m.opts().shape.clone());
        match normalize_json(&self.config.schema, &shape, text, what, origin) {
            Ok(n) => {
                let order = self.fetch_order(hash);
                self.write_data(hash, key, shape, n, order, now);
                self.queries.dispatch(hash, Event::Landed { now }, out);
            }
            Err(e) => self.fail(hash, ErrorInfo::from_error(&e), None, now, random, out),
        }
    }

    fn fail(
        &mut self,
        hash: &str,
        e: ErrorInfo,
        retry_after: Option<f64>,
        now: f64,
        random: f64,
        out: &mut Output,
    ) {
        self.queries
            .failed(hash, e, retry_after, self.online, now, random, out);
    }

    /// `navigator.onLine` changed. Back online, the mutation queue sends, paused fetches
    /// resume and active stale queries with `refetchOnReconnect` refetch.
    pub fn set_online(&mut self, online: bool, now: f64) -> Output {
        self.run_ok(now, |s, out| {
            let was = s.online;
            s.online = online;
            if online && !was {
                s.queue.wake_head();
                s.pump(now, out);
                s.queries.resume_paused(now, out);
                s.queries
                    .refetch_stale(now, true, |o| o.refetch_on_reconnect, out);
            }
        })
    }

    /// The window regained focus (or became visible).
    pub fn focus(&mut self, now: f64) -> Output {
        self.run_ok(now, |s, out| {
            let online = s.online;
            s.queries
                .refetch_stale(now, online, |o| o.refetch_on_window_focus, out);
        })
    }

    /// An observer's options changed without a new subscription (the wrapper evaluated a
    /// function-valued `enabled`, `staleTime` or `refetchInterval` again). As TanStack's
    /// `setOptions`: a query enabled now fetches when stale; a new interval starts now.
    pub fn update_options(&mut self, hash: &str, opts_json: &str, now: f64) -> Result<Output> {
        let (opts, _, _) = self.parse_options(opts_json)?;
        Ok(self.run_ok(now, |s, out| {
            let Some(before) = s.queries.get(hash).cloned() else {
                return;
            };
            s.queries.set_options(hash, opts);
            let Some(m) = s.queries.get(hash) else {
                return;
            };
            let interval = m.opts().refetch_interval != before.opts().refetch_interval;
            let enabled = m.opts().enabled && !before.opts().enabled;
            let stale_flip = m.is_stale(now) != before.is_stale(now);
            let fetch = enabled && m.active() && !m.in_flight() && m.is_stale(now);
            let active = m.active();
            if stale_flip {
                out.state(hash);
            }
            if interval && active {
                s.queries.dispatch(hash, Event::Interval { now }, out);
            }
            if fetch {
                s.start_fetch(hash, now, false, out);
            }
        }))
    }

    /// The app's `retry`/`retryDelay` function decided a failure (`AskRetry`): retry after
    /// `delay` ms (`None`: the store's backoff), or let the error stand.
    pub fn decide_retry(
        &mut self,
        hash: &str,
        ticket: u64,
        retry: bool,
        delay: Option<f64>,
        now: f64,
        random: f64,
    ) -> Output {
        let delay = delay.filter(|d| d.is_finite()).map(|d| d.max(0.0));
        self.run_ok(now, |s, out| {
            s.queries
                .decide(hash, ticket, retry, delay, now, random, out);
        })
    }

    /// The queries `filter_json` matches (a read: `isFetching`, `getQueriesData`, and the
    /// candidates a `predicate` is asked about).
    pub fn match_queries(&self, filter_json: &str, now: f64) -> Result<Vec<String>> {
        let f = QueryFilter::parse(filter_json, false)?;
        Ok(self.queries.matching(&f, now))
    }

    /// `invalidateQueries(filters)`: marks the matching queries stale; those `refetchType`
    /// picks (default: the active ones) refetch, a fetch under way superseded so its older
    /// answer cannot land.
    pub fn invalidate(&mut self, filter_json: &str, now: f64) -> Result<Output> {
        let f = QueryFilter::parse(filter_json, true)?;
        self.run(now, Source::Here, |s, out| {
            s.invalidate_matching(&f, now, out);
            Ok(())
        })
    }

    /// Invalidates the queries under a key prefix (a push, a mutation's `invalidate`).
    pub(super) fn invalidate_prefix(&mut self, prefix: &Value, now: f64, out: &mut Output) {
        self.invalidate_matching(&QueryFilter::prefix(prefix.clone()), now, out);
    }

    fn invalidate_matching(&mut self, f: &QueryFilter, now: f64, out: &mut Output) {
        for hash in self.queries.matching(f, now) {
            self.queries.dispatch(&hash, Event::Invalidated, out);
            // Invalidation is not an explicit fetch: a disabled query waits, as in TanStack.
            if self
                .queries
                .get(&hash)
                .is_some_and(|m| m.opts().enabled && f.refetches(m))
            {
                self.start_fetch(&hash, now, true, out);
            }
        }
    }

    /// Refetches every matching query that has a source (disabled ones included: this is
    /// an explicit request).
    pub fn refetch(&mut self, filter_json: &str, now: f64) -> Result<Output> {
        let f = QueryFilter::parse(filter_json, false)?;
        self.run(now, Source::Here, |s, out| {
            for hash in s.queries.matching(&f, now) {
                s.start_fetch(&hash, now, true, out);
            }
            Ok(())
        })
    }

    /// Refetches exactly query `hash` when it has a source (`fetchNextPage`, a hook's
    /// `refetch()`); a fetch in flight is superseded.
    pub fn refetch_query(&mut self, hash: &str, now: f64) -> Output {
        self.run_ok(now, |s, out| {
            if s.queries.get(hash).is_some_and(|m| m.opts().has_source()) {
                s.start_fetch(hash, now, true, out);
            }
        })
    }

    /// Cancels the fetches of matching queries: their answers never land; data stays.
    pub fn cancel(&mut self, filter_json: &str, now: f64) -> Result<Output> {
        let f = QueryFilter::parse(filter_json, false)?;
        self.run(now, Source::Here, |s, out| {
            for hash in s.queries.matching(&f, now) {
                if let Some(ticket) = s
                    .queries
                    .get(&hash)
                    .filter(|m| m.in_flight())
                    .map(|m| m.ticket())
                {
                    out.actions.push(crate::core::output::Action::Abort {
                        hash: hash.clone(),
                        ticket,
                    });
                    s.queries.dispatch(&hash, Event::Cancelled, out);
                }
            }
            Ok(())
        })
    }

    /// Removes matching queries (data and lifecycle); entities no query reaches any more go
    /// too. A query something observes starts again as a new query instead (and fetches, as
    /// TanStack's observer does when it next reads): its observers would otherwise wait on a
    /// query that no longer exists.
    pub fn remove(&mut self, filter_json: &str, now: f64) -> Result<Output> {
        let f = QueryFilter::parse(filter_json, false)?;
        self.run(now, Source::Here, |s, out| {
            let matched = s.queries.matching(&f, now);
            let (observed, mut gone): (Vec<String>, Vec<String>) = matched
                .into_iter()
                .partition(|h| s.queries.get(h).is_some_and(|m| m.active()));
            // Results without a lifecycle count as inactive, stale and idle.
            let plain = f.kind != Kind::Active
                && f.stale != Some(false)
                && f.fetch_status.map_or(true, |x| x == FetchStatus::Idle);
            let results: Vec<String> = s
                .cache
                .query_hashes()
                .filter(|h| {
                    plain
                        && s.queries.get(h).is_none()
                        && s.cache.query(h).is_some_and(|q| f.matches_key(h, &q.key))
                })
                .cloned()
                .collect();
            gone.extend(results);
            s.drop_queries(gone, out);
            s.restart(observed, Vec::new(), now, out)
        })
    }

    /// `resetQueries(filters)`: matching queries go back to a new query's state (their
    /// `initialData` again when the wrapper passes it: `[[hash, data, updatedAt|null]]`);
    /// the active ones refetch.
    pub fn reset(&mut self, filter_json: &str, initial_json: &str, now: f64) -> Result<Output> {
        let f = QueryFilter::parse(filter_json, false)?;
        let initial = json::parse(initial_json, "initial data", Origin::App)?;
        let Value::Array(initial) = initial else {
            return Err(Error::InvalidArgument(
                "resetQueries: initial data must be a list".to_owned(),
            ));
        };
        let mut writes = Vec::new();
        for item in initial {
            let (hash, data, at) = match item {
                Value::Array(mut a) if a.len() == 3 => {
                    let at = a.pop().and_then(|t| t.as_f64());
                    let data = a.pop().unwrap_or(Value::Null);
                    match a.pop() {
                        Some(Value::String(h)) => (h, data, at),
                        _ => continue,
                    }
                }
                _ => continue,
            };
            if let Some(m) = self.queries.get(&hash) {
                let n = normalize(&self.config.schema, &m.opts().shape, data)?;
                writes.push((hash, n, at.unwrap_or(now)));
            }
        }
        self.run(now, Source::Here, |s, out| {
            let matched = s.queries.matching(&f, now);
            writes.retain(|(h, _, _)| matched.contains(h));
            s.restart(matched, writes, now, out)
        })
    }

    /// Queries start again as new ones: a fetch in flight is aborted, data and error go
    /// (or `initial` data is written in their place), and the active ones fetch.
    fn restart(
        &mut self,
        hashes: Vec<String>,
        initial: Vec<(String, Normalized, f64)>,
        now: f64,
        out: &mut Output,
    ) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        for hash in &hashes {
            if let Some(m) = self.queries.get(hash).filter(|m| m.in_flight()) {
                out.actions.push(crate::core::output::Action::Abort {
                    hash: hash.clone(),
                    ticket: m.ticket(),
                });
            }
            self.queries.dispatch(hash, Event::Reset { now }, out);
        }
        let without: Vec<String> = hashes
            .iter()
            .filter(|h| !initial.iter().any(|(i, _, _)| i == *h))
            .filter(|h| self.cache.query(h).is_some())
            .cloned()
            .collect();
        for (hash, n, at) in initial {
            let Some(m) = self.queries.get(&hash) else {
                continue;
            };
            let (key, shape) = (m.key().clone(), m.opts().shape.clone());
            self.write_data(&hash, key, shape, n, Order::Any, at);
            self.queries.dispatch(&hash, Event::Data { at }, out);
        }
        // The JS side drops their data (`rq`) and takes the new state (`s`); entities only the
        // old data reached go (also those of a result `initial` replaced).
        let swept = self.cache.drop_queries(&without);
        out.removed_entities.extend(swept);
        out.removed_queries.extend(without);
        for hash in &hashes {
            if self
                .queries
                .get(hash)
                .is_some_and(|m| m.is_active() && m.opts().has_source())
            {
                self.start_fetch(hash, now, false, out);
            }
        }
        Ok(())
    }

    /// Removes queries: lifecycle (aborting a fetch in flight), data, and the entities no
    /// query reaches any more.
    fn drop_queries(&mut self, hashes: Vec<String>, out: &mut Output) {
        if hashes.is_empty() {
            return;
        }
        self.queries.remove(&hashes, out);
        let swept = self.cache.drop_queries(&hashes);
        out.removed_entities.extend(swept);
        out.removed_queries.extend(hashes);
    }

    /// Timers: retries due, `isStale` flips, `refetchInterval`, gc, the mutation queue's
    /// backoff.
    pub fn tick(&mut self, now: f64) -> Output {
        self.run_ok(now, |s, out| {
            let expired = s.queries.tick(now, s.online, out);
            s.drop_queries(expired, out);
            s.pump(now, out);
        })
    }
}
