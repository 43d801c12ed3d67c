//! Query use cases: observe, fetch, settle, retry, pause, cancel, invalidate, refetch,
//! remove, focus, reconnect, timers and gc. The query part decides each state move; this
//! file adds what crosses into the cache (a fetch that lands writes data; removal collects
//! entities) and the mutation queue (back online, it sends too). Time and randomness come in
//! as arguments; what the browser must do goes out as `Action`s, and the next moment
//! anything is due as `wake_at`, so one JS timer drives all of it.

use super::{Source, Store};
use crate::core::cache::ingest::normalize_json;
use crate::core::error::{Error, ErrorInfo, Result};
use crate::core::json::{self, Origin};
use crate::core::output::{Output, Settle};
use crate::core::query::options::QueryOptions;
use crate::core::query::state::Event;
use crate::core::query::{key_has_prefix, parse_prefix, parse_query_key};
use crate::core::retry;

impl Store {
    fn parse_options(&self, opts_json: &str) -> Result<QueryOptions> {
        let v = json::parse(opts_json, "query options", Origin::App)?;
        QueryOptions::from_json(
            &v,
            &self.config.defaults,
            &self.config.schema,
            &self.config.base_url,
        )
    }

    /// Runs `then` on query `hash` once its lifecycle exists (created if needed, with the
    /// latest observer's options; a new one's first state reaches the JS side).
    fn with_query(
        &mut self,
        hash: &str,
        key_json: &str,
        opts: QueryOptions,
        now: f64,
        then: impl FnOnce(&mut Store, &mut Output),
    ) -> Result<Output> {
        let key = parse_query_key(key_json)?;
        Ok(self.run_ok(now, |s, out| {
            let data_at = s.cache.query(hash).map(|q| q.updated_at);
            let defaults = &s.config.defaults;
            if s.queries
                .ensure(hash, key, Some(opts), data_at, defaults, now)
            {
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
        if !opts.has_source() {
            return Err(Error::InvalidArgument(
                "fetchQuery needs a source: `url` or `queryFn`".to_owned(),
            ));
        }
        self.with_query(hash, key_json, opts, now, |s, out| {
            if s.queries.get(hash).is_some_and(|m| m.is_stale(now)) {
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

    /// Marks every query whose key starts with `prefix` stale; active ones refetch (a fetch
    /// under way is superseded, so its older answer cannot land).
    pub fn invalidate(&mut self, prefix_json: &str, now: f64) -> Result<Output> {
        let prefix = parse_prefix(prefix_json)?;
        self.run(now, Source::Here, |s, out| {
            s.invalidate_prefix(&prefix, now, out);
            Ok(())
        })
    }

    pub(super) fn invalidate_prefix(
        &mut self,
        prefix: &serde_json::Value,
        now: f64,
        out: &mut Output,
    ) {
        for hash in self.queries.matching(prefix) {
            self.queries.dispatch(&hash, Event::Invalidated, out);
            if self
                .queries
                .get(&hash)
                .is_some_and(|m| m.active() && m.opts().enabled)
            {
                self.start_fetch(&hash, now, true, out);
            }
        }
    }

    /// Refetches every matching query that has a source (disabled ones included: this is
    /// an explicit request).
    pub fn refetch(&mut self, prefix_json: &str, now: f64) -> Result<Output> {
        let prefix = parse_prefix(prefix_json)?;
        self.run(now, Source::Here, |s, out| {
            let due = s
                .queries
                .hashes(|m| key_has_prefix(m.key(), &prefix) && m.opts().has_source());
            for hash in due {
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
    pub fn cancel(&mut self, prefix_json: &str, now: f64) -> Result<Output> {
        let prefix = parse_prefix(prefix_json)?;
        self.run(now, Source::Here, |s, out| {
            let due = s
                .queries
                .hashes(|m| key_has_prefix(m.key(), &prefix) && m.in_flight());
            for hash in due {
                if let Some(ticket) = s.queries.get(&hash).map(|m| m.ticket()) {
                    out.actions.push(crate::core::output::Action::Abort {
                        hash: hash.clone(),
                        ticket,
                    });
                }
                s.queries.dispatch(&hash, Event::Cancelled, out);
            }
            Ok(())
        })
    }

    /// Removes matching queries (data and lifecycle); entities no query reaches any more go too.
    pub fn remove(&mut self, prefix_json: &str, now: f64) -> Result<Output> {
        let prefix = parse_prefix(prefix_json)?;
        self.run(now, Source::Here, |s, out| {
            let mut hashes = s.queries.matching(&prefix);
            let results: Vec<String> = s
                .cache
                .query_hashes()
                .filter(|h| {
                    !hashes.contains(h)
                        && s.cache
                            .query(h)
                            .is_some_and(|q| key_has_prefix(&q.key, &prefix))
                })
                .cloned()
                .collect();
            hashes.extend(results);
            s.drop_queries(hashes, out);
            Ok(())
        })
    }

    /// Removes queries: lifecycle (aborting a fetch in flight), data, and the entities no
    /// query reaches any more.
    fn drop_queries(&mut self, hashes: Vec<String>, out: &mut Output) {
        if hashes.is_empty() {
            return;
        }
        self.queries.remove(&hashes, out);
        out.removed_entities = self.cache.drop_queries(&hashes);
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
