//! `StoreCore`: the wasm half of a store. Every call takes JSON text and returns one batch
//! (JSON text, see core/batch.rs) describing what changed and what the browser must do; the
//! JS wrapper applies it. Reads of snapshots never come here.
//!
//! The store sits in an `Rc<RefCell<..>>` so a fetch can settle after its `.await`: the
//! borrow is taken only once the response is in, never across the await.

use std::cell::{RefCell, RefMut};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::error::to_js;
use crate::core::{batch, Error, ErrorInfo, Output, Settle, Side, Store};
use crate::web::{clock, http};

#[wasm_bindgen]
pub struct StoreCore {
    pub(super) inner: Rc<RefCell<Store>>,
}

fn busy() -> JsValue {
    to_js(Error::InvalidArgument(
        "the store is busy (a call re-entered it); retry after the current call returns".to_owned(),
    ))
}

impl StoreCore {
    /// Runs `f` on the store and renders its output as a batch. Only the call of `f` is
    /// generic (this is instantiated once per export): the borrow, the clock, the error and
    /// the batch are shared code, inlined into every export they cost kilobytes of wasm.
    fn run(
        &self,
        hint: usize,
        f: impl FnOnce(&mut Store, f64) -> Result<Output, Error>,
    ) -> Result<String, JsValue> {
        let (mut s, now) = self.begin()?;
        let out = f(&mut s, now);
        end(&s, out, hint, now)
    }

    #[inline(never)]
    fn begin(&self) -> Result<(RefMut<'_, Store>, f64), JsValue> {
        let s = self.inner.try_borrow_mut().map_err(|_| busy())?;
        Ok((s, clock::now()))
    }
}

/// The batch of a use case's output, or its error as a JS value.
#[inline(never)]
fn end(s: &Store, out: Result<Output, Error>, hint: usize, now: f64) -> Result<String, JsValue> {
    let out = out.map_err(to_js)?;
    Ok(render(s, &out, hint, now))
}

/// The batch of `out` (the core's finish step already decided what to persist).
fn render(s: &Store, out: &Output, hint: usize, now: f64) -> String {
    batch::output_json(s, out, hint, now)
}

#[wasm_bindgen]
impl StoreCore {
    /// `options_json`: the JSON-serializable `createStore` options.
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str) -> Result<StoreCore, JsValue> {
        Store::from_options_json(options_json)
            .map(|s| StoreCore {
                inner: Rc::new(RefCell::new(s)),
            })
            .map_err(to_js)
    }

    #[wasm_bindgen(js_name = setQueryData)]
    pub fn set_query_data(
        &self,
        hash: &str,
        key_json: &str,
        data_json: String,
        shape_json: &str,
    ) -> Result<String, JsValue> {
        // Moved into the call, so the text is freed before the batch is written: the batch
        // (about its size) can take its place instead of raising the memory's high-water mark.
        self.run(data_json.len(), move |s, now| {
            s.set_query_data(hash, key_json, &data_json, shape_json, now)
        })
    }

    /// `setQueriesData`: `[[hash, queryKey, data]]`, each through its query's own shape.
    #[wasm_bindgen(js_name = setQueriesData)]
    pub fn set_queries_data(&self, items_json: &str) -> Result<String, JsValue> {
        self.run(items_json.len(), |s, now| {
            s.set_queries_data(items_json, now)
        })
    }

    #[wasm_bindgen(js_name = updateEntity)]
    pub fn update_entity(
        &self,
        type_name: &str,
        id_json: &str,
        patch_json: &str,
    ) -> Result<String, JsValue> {
        self.run(patch_json.len(), |s, now| {
            s.update_entity(type_name, id_json, patch_json, now)
        })
    }

    /// An observer subscribes to query `hash` with `opts_json` (url, shape, staleTime, ...).
    pub fn observe(&self, hash: &str, key_json: &str, opts_json: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| s.observe(hash, key_json, opts_json, now))
    }

    pub fn unobserve(&self, hash: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| Ok(s.unobserve(hash, now)))
    }

    /// `fetchQuery`/`prefetchQuery`: fetches unless the data is fresh.
    pub fn fetch(&self, hash: &str, key_json: &str, opts_json: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| s.fetch(hash, key_json, opts_json, now))
    }

    /// A `queryFn` resolved: its data as JSON text.
    #[wasm_bindgen(js_name = settleData)]
    pub fn settle_data(
        &self,
        hash: &str,
        ticket: f64,
        data_json: String,
    ) -> Result<String, JsValue> {
        let hint = data_json.len();
        // Moved in: freed before the batch is written (see set_query_data).
        self.run(hint, move |s, now| {
            Ok(s.settle_data(hash, ticket as u64, &data_json, now, clock::random()))
        })
    }

    /// A `queryFn` rejected (or threw): `code` is the StrataError code the wrapper chose;
    /// `status` an HTTP status it carried (an infinite query's page request), so retries
    /// follow the same rule as a url query's.
    #[wasm_bindgen(js_name = settleError)]
    pub fn settle_error(
        &self,
        hash: &str,
        ticket: f64,
        code: &str,
        message: &str,
        status: Option<u16>,
    ) -> Result<String, JsValue> {
        self.run(0, |s, now| {
            let mut e = ErrorInfo::new(code, message);
            e.status = status;
            Ok(s.settle(hash, ticket as u64, Settle::Failed(e), now, clock::random()))
        })
    }

    /// Fetches `url` (`headers`: a plain object the wrapper evaluated at send time) and settles the query
    /// with the response text in Rust. Resolves with the batch.
    #[wasm_bindgen(js_name = fetchUrl)]
    #[allow(clippy::too_many_arguments)]
    pub fn fetch_url(
        &self,
        hash: String,
        ticket: f64,
        url: String,
        headers: JsValue,
        signal: Option<AbortSignal>,
        timeout_ms: f64,
        fetcher: Option<js_sys::Function>,
        credentials: Option<String>,
    ) -> js_sys::Promise {
        let inner = Rc::clone(&self.inner);
        let how = http::How {
            fetcher,
            credentials,
            timeout_ms,
        };
        wasm_bindgen_futures::future_to_promise(async move {
            let result = http::get(&url, headers, signal, &how).await;
            let hint = match &result {
                Settle::Http { body, .. } => body.len(),
                _ => 0,
            };
            let mut s = inner.try_borrow_mut().map_err(|_| busy())?;
            let now = clock::now();
            let out = s.settle(&hash, ticket as u64, result, now, clock::random());
            Ok(JsValue::from_str(&render(&s, &out, hint, now)))
        })
    }

    /// Refetches exactly query `hash` (a fetch in flight is superseded).
    #[wasm_bindgen(js_name = refetchQuery)]
    pub fn refetch_query(&self, hash: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| Ok(s.refetch_query(hash, now)))
    }

    /// An infinite query's fetch brought one more page (`text`; empty: none to fetch) for
    /// `param_json`, before the first page (`first`) or after the last; `max_pages` 0: no limit.
    #[wasm_bindgen(js_name = settlePage)]
    pub fn settle_page(
        &self,
        hash: &str,
        ticket: f64,
        text: &str,
        param_json: &str,
        first: bool,
        max_pages: u32,
    ) -> Result<String, JsValue> {
        let side = if first { Side::First } else { Side::Last };
        let max = (max_pages > 0).then_some(max_pages as usize);
        self.run(text.len(), |s, now| {
            Ok(s.settle_page(
                hash,
                ticket as u64,
                text,
                param_json,
                side,
                max,
                now,
                clock::random(),
            ))
        })
    }

    /// `mutate`: applies the optimistic layer and queues the request. `id` is a UUID (also the
    /// Idempotency-Key).
    pub fn mutate(&self, id: &str, desc_json: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| s.mutate(id, desc_json, now))
    }

    /// Sends attempt `ticket` of mutation `id` and settles it in Rust. Resolves with the batch.
    #[wasm_bindgen(js_name = sendMutation)]
    #[allow(clippy::too_many_arguments)]
    pub fn send_mutation(
        &self,
        id: String,
        ticket: f64,
        method: String,
        url: String,
        headers: JsValue,
        body: Option<String>,
        signal: Option<AbortSignal>,
        timeout_ms: f64,
        fetcher: Option<js_sys::Function>,
        credentials: Option<String>,
    ) -> js_sys::Promise {
        let inner = Rc::clone(&self.inner);
        let how = http::How {
            fetcher,
            credentials,
            timeout_ms,
        };
        wasm_bindgen_futures::future_to_promise(async move {
            let result = http::send(&method, &url, headers, body, signal, &how).await;
            let mut s = inner.try_borrow_mut().map_err(|_| busy())?;
            let now = clock::now();
            let out = s.settle_mutation(&id, ticket as u64, result, now, clock::random());
            Ok(JsValue::from_str(&render(&s, &out, 0, now)))
        })
    }

    /// A mutation attempt that could not be sent (`code`: the StrataError code the wrapper
    /// chose, e.g. AUTH when the app's `headers()` threw).
    #[wasm_bindgen(js_name = failMutation)]
    pub fn fail_mutation(
        &self,
        id: &str,
        ticket: f64,
        code: &str,
        message: &str,
    ) -> Result<String, JsValue> {
        self.run(0, |s, now| {
            let e = Settle::Failed(ErrorInfo::new(code, message));
            Ok(s.settle_mutation(id, ticket as u64, e, now, clock::random()))
        })
    }

    /// `mutations()` as JSON text, read when the wrapper's cached list is out of date.
    #[wasm_bindgen(js_name = mutationList)]
    pub fn mutation_list(&self) -> String {
        self.inner
            .try_borrow()
            .map(|s| serde_json::Value::Array(s.mutation_list()).to_string())
            .unwrap_or_else(|_| "[]".to_owned())
    }

    /// `store.inspect()` (devtools) as JSON text: entities with the queries showing them, layers.
    pub fn inspect(&self) -> String {
        self.inner
            .try_borrow()
            .map(|s| s.inspect().to_string())
            .unwrap_or_else(|_| "{\"entities\":[],\"layers\":[]}".to_owned())
    }

    #[wasm_bindgen(js_name = resolveConflict)]
    pub fn resolve_conflict(&self, id: &str, choice_json: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| s.resolve_conflict(id, choice_json, now))
    }

    #[wasm_bindgen(js_name = retryMutation)]
    pub fn retry_mutation(&self, id: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| s.retry_mutation(id, now))
    }

    #[wasm_bindgen(js_name = discardMutation)]
    pub fn discard_mutation(&self, id: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| s.discard_mutation(id, now))
    }

    pub fn flush(&self) -> Result<String, JsValue> {
        self.run(0, |s, now| Ok(s.flush(now)))
    }

    /// `filter_json`: query filters (`{ queryKey, exact, type, stale, fetchStatus, hashes,
    /// refetchType }`, core/query/filter.rs).
    #[wasm_bindgen(js_name = invalidateQueries)]
    pub fn invalidate_queries(&self, filter_json: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| s.invalidate(filter_json, now))
    }

    #[wasm_bindgen(js_name = refetchQueries)]
    pub fn refetch_queries(&self, filter_json: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| s.refetch(filter_json, now))
    }

    #[wasm_bindgen(js_name = cancelQueries)]
    pub fn cancel_queries(&self, filter_json: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| s.cancel(filter_json, now))
    }

    #[wasm_bindgen(js_name = removeQueries)]
    pub fn remove_queries(&self, filter_json: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| s.remove(filter_json, now))
    }

    /// `initial_json`: `[[hash, initialData, initialDataUpdatedAt | null]]` of the queries
    /// whose observers gave `initialData`.
    #[wasm_bindgen(js_name = resetQueries)]
    pub fn reset_queries(&self, filter_json: &str, initial_json: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| s.reset(filter_json, initial_json, now))
    }

    /// The hashes of the queries `filter_json` matches, as a JSON list (a read: no batch).
    #[wasm_bindgen(js_name = matchQueries)]
    pub fn match_queries(&self, filter_json: &str) -> Result<String, JsValue> {
        let s = self.inner.try_borrow().map_err(|_| busy())?;
        let hashes = s.match_queries(filter_json, clock::now()).map_err(to_js)?;
        Ok(serde_json::Value::from(hashes).to_string())
    }

    /// An observer's options changed (function-valued options evaluated again).
    #[wasm_bindgen(js_name = updateOptions)]
    pub fn update_options(&self, hash: &str, opts_json: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| s.update_options(hash, opts_json, now))
    }

    /// The app's `retry`/`retryDelay` answer to an `["r", ...]` action: `delay` in ms, NaN
    /// for the store's own backoff.
    #[wasm_bindgen(js_name = decideRetry)]
    pub fn decide_retry(
        &self,
        hash: &str,
        ticket: f64,
        retry: bool,
        delay: f64,
    ) -> Result<String, JsValue> {
        self.run(0, |s, now| {
            let delay = (!delay.is_nan()).then_some(delay);
            Ok(s.decide_retry(hash, ticket as u64, retry, delay, now, clock::random()))
        })
    }

    /// Server push messages, each one JSON text, joined with NUL (a character no JSON text
    /// holds): one call per batch of messages, however many entities they carry.
    #[wasm_bindgen(js_name = applyPushes)]
    pub fn apply_pushes(&self, texts: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| {
            let texts: Vec<&str> = texts.split('\0').collect();
            Ok(s.apply_pushes(&texts, now))
        })
    }

    #[wasm_bindgen(js_name = setOnline)]
    pub fn set_online(&self, online: bool) -> Result<String, JsValue> {
        self.run(0, |s, now| Ok(s.set_online(online, now)))
    }

    pub fn focus(&self) -> Result<String, JsValue> {
        self.run(0, |s, now| Ok(s.focus(now)))
    }

    /// Timers: call at the batch's `w` time.
    pub fn tick(&self) -> Result<String, JsValue> {
        self.run(0, |s, now| Ok(s.tick(now)))
    }

    /// The outbox records of `ids_json` (a JSON list) are durable: they are queued now.
    pub fn persisted(&self, ids_json: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| s.persisted(ids_json, now))
    }

    /// Writing those records failed (`QUOTA`, `STORAGE`): the mutations fail, not queued.
    #[wasm_bindgen(js_name = persistFailed)]
    pub fn persist_failed(
        &self,
        ids_json: &str,
        code: &str,
        message: &str,
    ) -> Result<String, JsValue> {
        self.run(0, |s, now| s.persist_failed(ids_json, code, message, now))
    }

    /// This tab's id, written into the outbox records it writes.
    #[wasm_bindgen(js_name = setTab)]
    pub fn set_tab(&self, tab: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| Ok(s.set_tab(tab, now)))
    }

    /// This tab holds (or lost) the flusher lock.
    #[wasm_bindgen(js_name = setLeader)]
    pub fn set_leader(&self, on: bool) -> Result<String, JsValue> {
        self.run(0, |s, now| Ok(s.set_leader(on, now)))
    }

    /// Base records and query results changed since the last call (JSON, see core/persist.rs).
    #[wasm_bindgen(js_name = takeCacheDelta)]
    pub fn take_cache_delta(&self) -> Result<String, JsValue> {
        let mut s = self.inner.try_borrow_mut().map_err(|_| busy())?;
        Ok(s.take_cache_delta())
    }

    /// Applies a cache delta read from IndexedDB (`hydrate`) or sent by another tab. What it
    /// writes is not persisted again.
    #[wasm_bindgen(js_name = applyCache)]
    pub fn apply_cache(&self, delta_json: &str, hydrate: bool) -> Result<String, JsValue> {
        self.run(delta_json.len(), |s, now| {
            s.apply_cache(delta_json, hydrate, now)
        })
    }

    /// The cache chunks `chunks_json` (a JSON array of delta texts, oldest first) as one delta
    /// text, to replace them in IndexedDB (a read: no batch).
    #[wasm_bindgen(js_name = compactCache)]
    pub fn compact_cache(&self, chunks_json: &str) -> Result<String, JsValue> {
        let s = self.inner.try_borrow().map_err(|_| busy())?;
        s.compact_cache(chunks_json).map_err(to_js)
    }

    /// The dehydrated state (JSON) of the queries `hashes_json` lists (a read: no batch).
    pub fn dehydrate(&self, hashes_json: &str) -> Result<String, JsValue> {
        let s = self.inner.try_borrow().map_err(|_| busy())?;
        s.dehydrate(hashes_json).map_err(to_js)
    }

    /// Applies a dehydrated state (`only_new`: only what this store has never seen).
    pub fn hydrate(&self, state_json: &str, only_new: bool) -> Result<String, JsValue> {
        self.run(state_json.len(), |s, now| {
            s.hydrate(state_json, only_new, now)
        })
    }

    /// Aligns the queue with every outbox record as stored (a JSON list).
    #[wasm_bindgen(js_name = reconcileOutbox)]
    pub fn reconcile_outbox(&self, records_json: &str) -> Result<String, JsValue> {
        self.run(records_json.len(), |s, now| {
            s.reconcile_outbox(records_json, now)
        })
    }

    /// Another tab settled mutation `id`.
    #[wasm_bindgen(js_name = forgetMutation)]
    pub fn forget_mutation(&self, id: &str) -> Result<String, JsValue> {
        self.run(0, |s, now| Ok(s.forget_mutation(id, now)))
    }

    /// `clear()`: wipes memory; pending mutations settle with `CLEARED`.
    pub fn clear(&self) -> Result<String, JsValue> {
        self.run(0, |s, now| Ok(s.clear(now)))
    }

    /// The core's own denormalized reading of a query, as JSON text (`undefined` if unknown).
    /// Used by tests to check the JS snapshots against the core.
    #[wasm_bindgen(js_name = readQuery)]
    pub fn read_query(&self, hash: &str) -> Option<String> {
        self.inner
            .try_borrow()
            .ok()?
            .read_query(hash)
            .map(|v| v.to_string())
    }

    /// The validated `persist` option as JSON: `null` (off) or `{ "buster": string, "maxAge":
    /// ms | null }`, so the wrapper never re-reads the raw option.
    #[wasm_bindgen(js_name = persistOptions)]
    pub fn persist_options(&self) -> String {
        self.inner
            .try_borrow()
            .map(|s| s.config().persist_json().to_string())
            .unwrap_or_else(|_| "null".to_owned())
    }

    /// `url` as a request of this store goes to (`baseUrl` applied, core/url.rs).
    #[wasm_bindgen(js_name = resolveUrl)]
    pub fn resolve_url(&self, url: &str) -> String {
        self.inner
            .try_borrow()
            .map(|s| crate::core::resolve_url(&s.config().base_url, url))
            .unwrap_or_else(|_| url.to_owned())
    }

    /// The number of cached entities.
    #[wasm_bindgen(js_name = entityCount)]
    pub fn entity_count(&self) -> usize {
        self.inner
            .try_borrow()
            .map(|s| s.entity_count())
            .unwrap_or(0)
    }
}
