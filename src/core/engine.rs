//! The query engine: every transition of a query's lifecycle (observe, fetch, settle, retry,
//! pause, cancel, invalidate, refetch, remove, focus, reconnect, timers, gc). Time and
//! randomness come in as arguments; what the browser must do comes out as `Action`s, and the
//! next moment anything is due as `wake_at`, so one JS timer drives all of it.

use serde_json::Value;

use super::error::{Error, Result};
use super::ingest::normalize_json;
use super::json::{self, Origin};
use super::query::{key_has_prefix, ErrorInfo, FetchStatus, QueryMeta, QueryOptions, Status};
use super::retry;
use super::shape::Shape;
use super::store::{parse_query_key, ChangeSet, Store};

/// Something the browser side must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Start fetch `ticket` of query `hash`: GET `url` when given, else call the `queryFn`.
    Fetch {
        hash: String,
        ticket: u64,
        url: Option<String>,
        timeout: f64,
    },
    /// Abort the request of a cancelled or superseded fetch.
    Abort { hash: String, ticket: u64 },
    /// Send attempt `ticket` of mutation `id`.
    Send {
        id: String,
        ticket: u64,
        method: String,
        url: String,
        headers: serde_json::Map<String, Value>,
        body: Option<String>,
        timeout: f64,
    },
}

/// What one call changed and what it asks for.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Output {
    pub changes: ChangeSet,
    /// Queries whose state (status, fetchStatus, error, isStale...) changed.
    pub states: Vec<String>,
    pub removed_queries: Vec<String>,
    pub removed_entities: Vec<String>,
    pub actions: Vec<Action>,
    /// The earliest moment `tick` has something to do.
    pub wake_at: Option<f64>,
    /// Mutations that settled: the result (read back through `shape`) or the error.
    pub settled: Vec<(String, std::result::Result<Value, ErrorInfo>)>,
    /// The mutation list or sync state changed.
    pub sync: bool,
    /// Outbox records to write, in order (`None`: delete); see persist.rs.
    pub outbox: Vec<(String, Option<Value>)>,
    /// A cache delta is waiting to be persisted (`take_cache_delta`).
    pub persist: bool,
}

impl Output {
    fn state(&mut self, hash: &str) {
        if !self.states.iter().any(|h| h == hash) {
            self.states.push(hash.to_owned());
        }
    }
}

/// How a fetch ended, as the browser side reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum Settle {
    /// An HTTP answer: status, body text, `Retry-After` header.
    Http {
        status: u16,
        body: String,
        retry_after: Option<String>,
    },
    /// A `queryFn` resolved with data (as JSON text).
    Data(String),
    /// The request failed without an answer, or the `queryFn` rejected.
    Failed(ErrorInfo),
}

impl Store {
    pub fn meta(&self, hash: &str) -> Option<&QueryMeta> {
        self.metas.get(hash)
    }

    fn parse_options(&self, opts_json: &str) -> Result<QueryOptions> {
        let v = json::parse(opts_json, "query options", Origin::App)?;
        QueryOptions::from_json(
            &v,
            &self.config.defaults,
            &self.config.schema,
            &self.config.base_url,
        )
    }

    /// Creates the query's lifecycle if needed, with the latest observer's options.
    /// Returns whether it was created (its first state must reach the JS side).
    fn ensure_meta(
        &mut self,
        hash: &str,
        key_json: &str,
        opts: Option<QueryOptions>,
        now: f64,
    ) -> Result<bool> {
        let key = parse_query_key(key_json)?;
        let created = !self.metas.contains_key(hash);
        let data_at = self.queries.get(hash).map(|q| q.updated_at);
        let defaults = &self.config.defaults;
        let meta = self.metas.entry(hash.to_owned()).or_insert_with(|| {
            let mut m = QueryMeta::new(key, QueryOptions::observe_only(defaults), now);
            if let Some(at) = data_at {
                m.status = Status::Success;
                m.data_updated_at = at.max(f64::MIN_POSITIVE);
            }
            m
        });
        // The latest observer with a source sets the options; an observer without one (it
        // only watches) leaves a sourced query's options alone.
        if let Some(o) = opts {
            if o.has_source() || !meta.opts.has_source() {
                meta.opts = o;
            }
        }
        Ok(created)
    }

    /// `setQueryData`: writes data and marks the query successful and fresh.
    pub fn put_query_data(
        &mut self,
        hash: &str,
        key_json: &str,
        data_json: &str,
        shape_json: &str,
        now: f64,
    ) -> Result<Output> {
        let changes = self.set_query_data(hash, key_json, data_json, shape_json, now)?;
        self.ensure_meta(hash, key_json, None, now)?;
        let mut out = Output {
            changes,
            ..Output::default()
        };
        let data_changed = out.changes.written_queries.iter().any(|h| h == hash);
        if let Some(m) = self.metas.get_mut(hash) {
            if !m.opts.has_source() {
                if let Ok(shape) = json::parse(shape_json, "shape", Origin::App)
                    .and_then(|v| Shape::from_json(&v, &self.config.schema))
                {
                    m.opts.shape = shape;
                }
            }
            // Identical data already shown successfully changes nothing (not even
            // dataUpdatedAt), so a rewrite of the same data notifies nobody.
            // Stale-by-time data is refreshed too (with staleTime 0 data is always stale, so a
            // new dataUpdatedAt would change nothing but the notification count).
            let expired = m.opts.stale_time > 0.0 && m.is_stale(now);
            if data_changed || m.status != Status::Success || m.invalidated || expired {
                m.status = Status::Success;
                m.data_updated_at = now;
                m.error = None;
                m.invalidated = false;
                out.state(hash);
            }
        }
        Ok(self.finish_out(out, now))
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
        let created = self.ensure_meta(hash, key_json, Some(opts), now)?;
        let mut out = Output::default();
        if created {
            out.state(hash);
        }
        let fetch = match self.metas.get_mut(hash) {
            Some(m) => {
                m.observers += 1;
                m.inactive_since = None;
                if m.interval_at.is_none() {
                    m.interval_at = m.opts.refetch_interval.map(|i| now + i);
                }
                m.opts.enabled && m.opts.has_source() && m.is_stale(now)
            }
            None => false,
        };
        if fetch {
            self.start_fetch(hash, now, false, &mut out);
        }
        Ok(self.finish_out(out, now))
    }

    /// An observer leaves; the last one starts the gc clock.
    pub fn unobserve(&mut self, hash: &str, now: f64) -> Output {
        if let Some(m) = self.metas.get_mut(hash) {
            m.observers = m.observers.saturating_sub(1);
            if m.observers == 0 {
                m.inactive_since = Some(now);
                m.interval_at = None;
            }
        }
        self.finish_out(Output::default(), now)
    }

    /// `fetchQuery` / `prefetchQuery`: fetches unless the data is fresh (or joins the fetch
    /// in flight). `force` fetches even fresh data (`refetch`).
    pub fn fetch(
        &mut self,
        hash: &str,
        key_json: &str,
        opts_json: &str,
        now: f64,
        force: bool,
    ) -> Result<Output> {
        let opts = self.parse_options(opts_json)?;
        if !opts.has_source() {
            return Err(Error::InvalidArgument(
                "fetchQuery needs a source: `url` or `queryFn`".to_owned(),
            ));
        }
        let created = self.ensure_meta(hash, key_json, Some(opts), now)?;
        let mut out = Output::default();
        if created {
            out.state(hash);
        }
        let stale = self.metas.get(hash).is_some_and(|m| m.is_stale(now));
        if force || stale {
            self.start_fetch(hash, now, false, &mut out);
        }
        Ok(self.finish_out(out, now))
    }

    /// Starts a fetch unless one is under way (dedup). `supersede` replaces the one under way:
    /// its answer will be dropped.
    fn start_fetch(&mut self, hash: &str, now: f64, supersede: bool, out: &mut Output) {
        let online = self.online;
        let Some(m) = self.metas.get_mut(hash) else {
            return;
        };
        if !m.opts.has_source() {
            return;
        }
        if m.ticket != 0 {
            if !supersede {
                return; // joins the fetch in flight
            }
            out.actions.push(Action::Abort {
                hash: hash.to_owned(),
                ticket: m.ticket,
            });
        }
        self.last_ticket += 1;
        m.ticket = self.last_ticket;
        m.failure_count = 0;
        m.retry_at = None;
        m.inactive_since = m.inactive_since.map(|_| now);
        send_or_pause(hash, m, online, out);
        out.state(hash);
    }

    /// A fetch ended. Answers of cancelled or superseded fetches (an old ticket) are dropped.
    pub fn settle(
        &mut self,
        hash: &str,
        ticket: u64,
        result: Settle,
        now: f64,
        random: f64,
    ) -> Output {
        let mut out = Output::default();
        if self.metas.get(hash).map(|m| m.ticket) != Some(ticket) || ticket == 0 {
            return self.finish_out(out, now);
        }
        let url = self
            .metas
            .get(hash)
            .and_then(|m| m.opts.url.clone())
            .unwrap_or_default();
        let outcome = match result {
            Settle::Http { status, body, .. } if (200..300).contains(&status) => {
                if body.trim().is_empty() {
                    let msg = format!(
                        "GET {url} answered {status} with an empty body; a query needs JSON data"
                    );
                    Err((ErrorInfo::new("PARSE", msg), None))
                } else {
                    Ok((body, Origin::Server))
                }
            }
            Settle::Http {
                status,
                body,
                retry_after,
            } => Err((
                ErrorInfo::http(status, &url, body),
                retry_after.as_deref().and_then(retry::parse_retry_after),
            )),
            Settle::Data(text) => Ok((text, Origin::App)),
            Settle::Failed(e) => Err((e, None)),
        };
        match outcome {
            Ok((text, origin)) => {
                let what = || match origin {
                    Origin::Server => format!("the response of GET {url}"),
                    Origin::App => "the data the queryFn resolved with".to_owned(),
                };
                self.land(hash, &text, &what, origin, now, random, &mut out)
            }
            Err((e, retry_after)) => self.fail(hash, e, retry_after, now, random, &mut out),
        }
        self.finish_out(out, now)
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
        let Some(m) = self.metas.get(hash) else {
            return;
        };
        let (key, shape) = (m.key.clone(), m.opts.shape.clone());
        let written = normalize_json(&self.config.schema, &shape, text, what, origin)
            .and_then(|n| self.write_normalized(hash, key, n, &shape, now));
        match written {
            Ok(changes) => {
                out.changes = changes;
                if let Some(m) = self.metas.get_mut(hash) {
                    m.status = Status::Success;
                    m.fetch = FetchStatus::Idle;
                    m.data_updated_at = now;
                    m.error = None;
                    m.failure_count = 0;
                    m.invalidated = false;
                    m.ticket = 0;
                    m.retry_at = None;
                    m.reported_stale = m.is_stale(now);
                    // An unobserved query keeps what it just fetched for gcTime from now.
                    if !m.active() {
                        m.inactive_since = Some(now);
                    }
                    if m.active() {
                        m.interval_at = m.opts.refetch_interval.map(|i| now + i);
                    }
                }
                out.state(hash);
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
        let online = self.online;
        let Some(m) = self.metas.get_mut(hash) else {
            return;
        };
        m.failure_count += 1;
        out.state(hash);
        if e.code == "NETWORK" && !online {
            // Offline: wait for the network instead of spending retries.
            m.fetch = FetchStatus::Paused;
            m.failure_count -= 1;
            return;
        }
        if retry::retryable(&e) && m.failure_count <= m.opts.retry {
            m.retry_at =
                Some(now + retry::delay(m.failure_count, m.opts.retry_delay, random, retry_after));
            return;
        }
        m.status = Status::Error;
        m.fetch = FetchStatus::Idle;
        m.error = Some(e);
        m.error_updated_at = now;
        m.ticket = 0;
        m.retry_at = None;
        if !m.active() {
            m.inactive_since = Some(now);
        }
    }

    /// `navigator.onLine` changed. Back online, paused fetches resume and active stale
    /// queries with `refetchOnReconnect` refetch.
    pub fn set_online(&mut self, online: bool, now: f64) -> Output {
        let mut out = Output::default();
        let was = self.online;
        self.online = online;
        if online != was {
            out.sync = true;
        }
        if online && !was {
            self.wake_queue(now, &mut out);
            for hash in self.hashes(|m| m.fetch == FetchStatus::Paused) {
                if let Some(m) = self.metas.get_mut(&hash) {
                    m.ticket = 0; // nothing is in flight for a paused fetch
                }
                self.start_fetch(&hash, now, false, &mut out);
            }
            self.refetch_stale(now, |o| o.refetch_on_reconnect, &mut out);
        }
        self.finish_out(out, now)
    }

    /// The window regained focus (or became visible).
    pub fn focus(&mut self, now: f64) -> Output {
        let mut out = Output::default();
        self.refetch_stale(now, |o| o.refetch_on_window_focus, &mut out);
        self.finish_out(out, now)
    }

    /// Refetches the active, enabled, stale queries (not fetching) whose options `want` it.
    fn refetch_stale(&mut self, now: f64, want: fn(&QueryOptions) -> bool, out: &mut Output) {
        let due = self.hashes(|m| {
            m.active() && m.opts.enabled && want(&m.opts) && m.ticket == 0 && m.is_stale(now)
        });
        for hash in due {
            self.start_fetch(&hash, now, false, out);
        }
    }

    /// Marks every query whose key starts with `prefix` stale; active ones refetch (a fetch
    /// under way is superseded, so its older answer cannot land).
    pub fn invalidate(&mut self, prefix_json: &str, now: f64) -> Result<Output> {
        let prefix = parse_prefix(prefix_json)?;
        let mut out = Output::default();
        for hash in self.hashes(|m| key_has_prefix(&m.key, &prefix)) {
            let refetch = match self.metas.get_mut(&hash) {
                Some(m) => {
                    m.invalidated = true;
                    out.state(&hash);
                    m.active() && m.opts.enabled
                }
                None => false,
            };
            if refetch {
                self.start_fetch(&hash, now, true, &mut out);
            }
        }
        Ok(self.finish_out(out, now))
    }

    /// Refetches every matching query that has a source (disabled ones included: this is
    /// an explicit request).
    pub fn refetch(&mut self, prefix_json: &str, now: f64) -> Result<Output> {
        let prefix = parse_prefix(prefix_json)?;
        let mut out = Output::default();
        for hash in self.hashes(|m| key_has_prefix(&m.key, &prefix) && m.opts.has_source()) {
            self.start_fetch(&hash, now, true, &mut out);
        }
        Ok(self.finish_out(out, now))
    }

    /// Cancels the fetches of matching queries: their answers never land; data stays.
    pub fn cancel(&mut self, prefix_json: &str, now: f64) -> Result<Output> {
        let prefix = parse_prefix(prefix_json)?;
        let mut out = Output::default();
        for hash in self.hashes(|m| key_has_prefix(&m.key, &prefix) && m.ticket != 0) {
            if let Some(m) = self.metas.get_mut(&hash) {
                out.actions.push(Action::Abort {
                    hash: hash.clone(),
                    ticket: m.ticket,
                });
                m.ticket = 0;
                m.retry_at = None;
                m.fetch = FetchStatus::Idle;
                out.state(&hash);
            }
        }
        Ok(self.finish_out(out, now))
    }

    /// Removes matching queries (data and lifecycle); entities no query reaches any more go too.
    pub fn remove(&mut self, prefix_json: &str, now: f64) -> Result<Output> {
        let prefix = parse_prefix(prefix_json)?;
        let mut out = Output::default();
        let mut hashes = self.hashes(|m| key_has_prefix(&m.key, &prefix));
        for (h, q) in &self.queries {
            if key_has_prefix(&q.key, &prefix) && !hashes.contains(h) {
                hashes.push(h.clone());
            }
        }
        self.drop_queries(hashes, &mut out);
        Ok(self.finish_out(out, now))
    }

    pub(super) fn drop_queries(&mut self, hashes: Vec<String>, out: &mut Output) {
        if hashes.is_empty() {
            return;
        }
        for h in hashes {
            if let Some(m) = self.metas.remove(&h) {
                if m.ticket != 0 {
                    out.actions.push(Action::Abort {
                        hash: h.clone(),
                        ticket: m.ticket,
                    });
                }
            }
            self.queries.remove(&h);
            self.shadow_queries.remove(&h);
            self.cache.drop_query(&h);
            out.removed_queries.push(h);
        }
        // Entities under a pending mutation's layer stay: the layer still shows or commits them.
        let layered: Vec<String> = self.shadow.keys().cloned().collect();
        out.removed_entities = self.cache.sweep(&self.config.schema, &layered);
    }

    /// Timers: retries due, `isStale` flips, `refetchInterval`, gc.
    pub fn tick(&mut self, now: f64) -> Output {
        let mut out = Output::default();
        for hash in self.hashes(|m| m.retry_at.is_some_and(|t| t <= now)) {
            let online = self.online;
            if let Some(m) = self.metas.get_mut(&hash) {
                m.retry_at = None;
                send_or_pause(&hash, m, online, &mut out);
                if !online {
                    out.state(&hash);
                }
            }
        }
        for hash in self.hashes(|m| !m.reported_stale && m.is_stale(now)) {
            if let Some(m) = self.metas.get_mut(&hash) {
                m.reported_stale = true;
                out.state(&hash);
            }
        }
        for hash in self.hashes(|m| m.active() && m.interval_at.is_some_and(|t| t <= now)) {
            if let Some(m) = self.metas.get_mut(&hash) {
                m.interval_at = m.opts.refetch_interval.map(|i| now + i);
            }
            if self.metas.get(&hash).is_some_and(|m| m.opts.enabled) {
                self.start_fetch(&hash, now, false, &mut out);
            }
        }
        let expired = self.hashes(|m| m.observers == 0 && m.gc_at().is_some_and(|t| t <= now));
        self.drop_queries(expired, &mut out);
        self.pump_due(now, &mut out);
        self.finish_out(out, now)
    }

    fn hashes(&self, pred: impl Fn(&QueryMeta) -> bool) -> Vec<String> {
        let mut out: Vec<String> = self
            .metas
            .iter()
            .filter(|(_, m)| pred(m))
            .map(|(h, _)| h.clone())
            .collect();
        super::sort::sort(&mut out); // deterministic order for tests and for the JS side
        out
    }

    /// Records the stale flag as reported for every changed state and computes `wake_at`.
    pub(super) fn finish_out(&mut self, mut out: Output, now: f64) -> Output {
        for h in &out.states {
            if let Some(m) = self.metas.get_mut(h) {
                m.reported_stale = m.is_stale(now);
            }
        }
        out.wake_at = self.next_wake(now);
        out
    }

    /// The earliest moment `tick` has work: a retry, a stale flip of an observed query, an
    /// interval refetch, or a gc.
    pub fn next_wake(&self, now: f64) -> Option<f64> {
        self.metas
            .values()
            .flat_map(|m| {
                [
                    m.retry_at,
                    if m.active() { m.stale_at(now) } else { None },
                    if m.active() { m.interval_at } else { None },
                    if m.observers == 0 { m.gc_at() } else { None },
                ]
            })
            .flatten()
            .chain(self.queue_wake())
            .reduce(f64::min)
    }
}

/// A queryKey prefix for invalidate/refetch/cancel/remove: a JSON array; `[]` matches all.
fn parse_prefix(prefix_json: &str) -> Result<Value> {
    let v = json::parse(prefix_json, "queryKey filter", Origin::App)?;
    if v.is_array() {
        Ok(v)
    } else {
        Err(Error::InvalidArgument(
            "the queryKey filter must be an array (a prefix of query keys, e.g. ['todos'])"
                .to_owned(),
        ))
    }
}

/// Starts the request of the query's current ticket, or pauses it while offline.
fn send_or_pause(hash: &str, m: &mut QueryMeta, online: bool, out: &mut Output) {
    if online {
        m.fetch = FetchStatus::Fetching;
        out.actions.push(Action::Fetch {
            hash: hash.to_owned(),
            ticket: m.ticket,
            url: m.opts.url.clone(),
            timeout: m.opts.timeout,
        });
    } else {
        m.fetch = FetchStatus::Paused;
    }
}
