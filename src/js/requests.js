// Requests: the work the core's batch actions ask for (query fetches through fetchUrl or the
// query's queryFn, mutation sends, aborts), their timeouts (abort reason `strata:timeout`),
// the app's headers, and the promises waiting on them (fetchQuery, mutate, retry).

import { StrataError, fromCore, invalidArgument, report, errorFromState, corsHint } from './errors.js';
import { describe } from './keys.js';
import { now } from './events.js';

const TIMEOUT_REASON = 'strata:timeout'; // src/web/http.rs reads this abort reason
const MAX_TIMER = 2 ** 31 - 1;

// What a queryFn's failure becomes: a StrataError keeps its code; anything else is treated
// like a failed request (NETWORK, retried), with the thrown value as the cause.
function queryFnError(e) {
  if (e instanceof StrataError) return e;
  const message = e instanceof Error ? e.message : `queryFn rejected with ${describe(e)}`;
  const err = new StrataError('NETWORK', `queryFn failed: ${message}`);
  err.cause = e;
  return err;
}

// A headers option's value now (a function is called at send time).
function evaluate(h) {
  const value = typeof h === 'function' ? h() : h;
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object') throw invalidArgument('headers must give an object of header names to values');
  return value;
}

// Aborts `controller` with the timeout reason after `timeout` ms (none for Infinity).
function timer(controller, timeout) {
  return typeof timeout === 'number' && Number.isFinite(timeout)
    ? setTimeout(() => controller.abort(TIMEOUT_REASON), Math.min(timeout, MAX_TIMER))
    : undefined;
}

// A list of { resolve, reject } under `key`, added to by a new promise.
function waitOn(map, key) {
  return new Promise((resolve, reject) => {
    let list = map.get(key);
    if (list === undefined) map.set(key, (list = []));
    list.push({ resolve, reject });
  });
}

export class Requests {
  #core;
  #options;
  #run; // the Store's: one wasm call, then its batch is applied
  #state; // the Store's query state (the view getQueryState returns) of a hash
  #closed = false;
  #sources = new Map(); // hash -> { queryKey, queryFn }
  #perQuery = new Map(); // hash -> { headers, credentials } of the query's latest options
  #inflight = new Map(); // hash -> { ticket, controller, timer }
  #waiters = new Map(); // hash -> [{ resolve, reject }]
  #mutations = new Map(); // mutation id -> [{ resolve, reject }]

  #retryFns; // hash -> the app's { retry?, retryDelay? } functions the core asks about
  #events; // the store's timeline (events.js): fetches and sends are timed only while it is on
  #sent = new Map(); // mutation id -> { t0, info, name } of its send under way (only while events are on)
  #mutationEntry; // the Store's mutations() entry of an id

  // The fetch the core sends queries and mutations with: the app's `fetch` option, else the global
  // one. A rejection for another origin gets the CORS hint into its message, which the core's
  // NETWORK error quotes.
  #coreFetch = (url, init) =>
    new Promise((resolve) => resolve((this.#options.fetch ?? globalThis.fetch)(url, init))).catch((e) => {
      const hint = init && init.signal && init.signal.aborted ? '' : corsHint(url);
      if (!hint) throw e;
      const err = new TypeError(`${e && e.message ? e.message : String(e)}; ${hint}`);
      err.cause = e;
      throw err;
    });

  constructor(core, options, run, state, retryFns, events, mutationEntry) {
    this.#core = core;
    this.#options = options;
    this.#run = run;
    this.#state = state;
    this.#retryFns = retryFns;
    this.#events = events;
    this.#mutationEntry = mutationEntry;
  }

  // While events are on: the store's fetch wrapped to note the response's status and size.
  #timedFetch(info) {
    const base = this.#coreFetch;
    return (url, init) =>
      base(url, init).then((res) => {
        info.status = res.status;
        const n = Number(res.headers?.get('content-length'));
        if (n > 0) info.bytes = n;
        info.resolved = res.url || url;
        return res;
      });
  }

  // The response size when no Content-Length came (compressed, chunked): Resource Timing's.
  static #bytes(info) {
    if (info.bytes !== null || !info.resolved || typeof performance === 'undefined' || !performance.getEntriesByName) return info.bytes;
    const entries = performance.getEntriesByName(info.resolved);
    const last = entries[entries.length - 1];
    return last && last.decodedBodySize > 0 ? last.decodedBodySize : null;
  }

  #fetchEnded(hash, ticket, url, info, code) {
    const state = this.#state(hash);
    let error = code ?? null;
    if (error === null && state !== undefined && (state.failureCount > info.failures || state.errorUpdatedAt > info.errorAt)) {
      error = state.errorUpdatedAt > info.errorAt && state.error ? state.error.code : info.status === null ? 'NETWORK' : info.status === 401 ? 'AUTH' : 'HTTP';
    }
    this.#events.emit({
      type: 'fetch-end',
      queryHash: hash,
      queryKey: JSON.parse(hash),
      url,
      ticket,
      duration: now() - info.t0,
      bytes: Requests.#bytes(info),
      status: info.status,
      error,
      ok: error === null,
    });
  }

  /** A send's batch was applied: its outcome on the timeline (settled, conflict, rollback). */
  #sendEnded(id, code) {
    const s = this.#sent.get(id);
    this.#sent.delete(id);
    if (s === undefined || !this.#events.on) return;
    const entry = this.#mutationEntry(id);
    const status = entry === undefined ? 'success' : entry.status === 'failed' ? 'error' : entry.status;
    const error = code ?? (entry?.error ? entry.error.code : null);
    this.#events.emit({ type: 'mutation-settled', id, name: s.name, status, httpStatus: s.info.status, error: status === 'success' ? null : error, duration: now() - s.t0 });
    if (status === 'conflict') this.#events.emit({ type: 'conflict', id, name: s.name });
    else if (status === 'error') this.#events.emit({ type: 'rollback', id, name: s.name, error });
  }

  /** The queryFn a fetch of this query without a url calls (with `meta` in its context). */
  source(hash, queryKey, queryFn, meta) {
    this.#sources.set(hash, { queryKey, queryFn, meta, pages: null });
  }

  /**
   * An infinite query's fetch: `pages(ticket, signal)` resolves with `{ all }` (every page's
   * JSON) or `{ page, param, first, maxPages }` (one more page), see infinite.js.
   */
  pagesSource(hash, queryKey, pages) {
    this.#sources.set(hash, { queryKey, queryFn: null, pages });
  }

  /** The query was removed: its queryFn is forgotten. */
  forget(hash) {
    this.#sources.delete(hash);
  }

  /** Runs a batch's actions ('f' fetch, 'm' send, 'x' abort); returns the hashes whose fetch started. */
  actions(actions) {
    const started = [];
    const aborted = [];
    for (const a of actions) {
      if (a[0] === 'f') {
        this.#startFetch(a[1], a[2], a[3], a[4]);
        started.push(a[1]);
      } else if (a[0] === 'm') {
        this.#send(a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
      } else if (a[0] === 'r') {
        this.#decide(a[1], a[2], a[3], a[4], a[5]);
      } else if (a[0] === 'x') {
        const f = this.#inflight.get(a[1]);
        if (f !== undefined && f.ticket === a[2]) {
          clearTimeout(f.timer);
          f.controller.abort();
          this.#inflight.delete(a[1]);
        }
        aborted.push(a[1]);
      }
    }
    // A cancelled fetch that nothing replaced: its waiters learn it was cancelled.
    for (const hash of aborted) {
      if (!started.includes(hash)) {
        this.rejectQuery(hash, new StrataError('CANCELLED', 'the fetch was cancelled (cancelQueries or removeQueries)'));
      }
    }
    return started;
  }

  // A failed fetch of a query whose `retry` or `retryDelay` is a function: the app decides,
  // with TanStack's arguments (the failures before this one, the error). A number from
  // `retry` is read as a count (retry while fewer failures), a throw as "no retry".
  #decide(hash, ticket, failureCount, errorState, wouldRetry) {
    const fns = this.#retryFns(hash) ?? {};
    const n = failureCount - 1;
    const error = errorFromState(errorState);
    let retry = wouldRetry;
    let delay = NaN;
    try {
      if (typeof fns.retry === 'function') {
        const r = fns.retry(n, error);
        retry = typeof r === 'number' ? n < r : Boolean(r);
      }
      if (retry && typeof fns.retryDelay === 'function') {
        const d = fns.retryDelay(n, error);
        if (typeof d === 'number' && d >= 0) delay = Math.min(d, MAX_TIMER);
      }
    } catch (e) {
      report(e);
      retry = false;
    }
    this.#run(() => this.#core.decideRetry(hash, ticket, retry, delay));
  }

  /** Resolves with the query's data (rejects with its error) once no fetch of it is under way. */
  waitQuery(hash) {
    return waitOn(this.#waiters, hash);
  }

  rejectQuery(hash, error) {
    const list = this.#waiters.get(hash);
    if (list === undefined) return;
    this.#waiters.delete(hash);
    for (const w of list) w.reject(error);
  }

  // Waiters of a query resolve when no fetch is under way any more.
  settleQuery(hash) {
    const list = this.#waiters.get(hash);
    if (list === undefined) return;
    const state = this.#state(hash);
    if (state === undefined) {
      this.rejectQuery(hash, new StrataError('CANCELLED', 'the query was removed before its fetch settled'));
      return;
    }
    if (state.fetchStatus !== 'idle') return;
    this.#waiters.delete(hash);
    for (const w of list) {
      if (state.status === 'error') w.reject(state.error);
      else w.resolve(state.data);
    }
  }

  /** Resolves with the mutation's result (rejects with its error) when the core settles it. */
  waitMutation(id) {
    return waitOn(this.#mutations, id);
  }

  /** Takes back the wait `waitMutation(id)` just added (the call it was for threw); the
   * earlier waiters of the same mutation (its `mutate()` promise) stay. */
  unwaitMutation(id) {
    const list = this.#mutations.get(id);
    list?.pop();
    if (!list?.length) this.#mutations.delete(id);
  }

  waitsForMutation(id) {
    return this.#mutations.has(id);
  }

  settleMutation(id, ok, value) {
    const list = this.#mutations.get(id);
    this.#mutations.delete(id);
    if (ok) {
      if (list) for (const w of list) w.resolve(value);
      return;
    }
    const error = errorFromState(value);
    if (error.code === 'CONFLICT' && typeof error.body === 'string') {
      try {
        error.current = JSON.parse(error.body);
      } catch {
        // not JSON: keep the text
      }
    }
    if (list) for (const w of list) w.reject(error);
    if (this.#options.onError) {
      try {
        this.#options.onError(error, { mutationId: id });
      } catch (e) {
        report(e);
      }
    }
  }

  /** Aborts every request and rejects every waiter with CLOSED. */
  close() {
    this.#closed = true;
    for (const f of this.#inflight.values()) {
      clearTimeout(f.timer);
      f.controller.abort();
    }
    this.#inflight.clear();
    const closed = new StrataError('CLOSED', 'the store was closed while this was pending');
    for (const list of this.#waiters.values()) for (const w of list) w.reject(closed);
    this.#waiters.clear();
    for (const list of this.#mutations.values()) for (const w of list) w.reject(closed);
    this.#mutations.clear();
  }

  #startFetch(hash, ticket, url, timeout) {
    const prev = this.#inflight.get(hash);
    if (prev !== undefined && prev.ticket !== ticket) {
      clearTimeout(prev.timer);
      prev.controller.abort();
    }
    const controller = new AbortController();
    this.#inflight.set(hash, { ticket, controller, timer: timer(controller, timeout) });
    let info = null; // timed while events are on
    if (this.#events.on) {
      const before = this.#state(hash);
      info = { t0: now(), status: null, bytes: null, resolved: null, failures: before?.failureCount ?? 0, errorAt: before?.errorUpdatedAt ?? 0 };
      this.#events.emit({ type: 'fetch-start', queryHash: hash, queryKey: JSON.parse(hash), url, ticket });
    }
    const ended = (code) => {
      if (info !== null && this.#events.on) this.#fetchEnded(hash, ticket, url, info, code);
    };
    const done = () => {
      const f = this.#inflight.get(hash);
      if (f !== undefined && f.ticket === ticket) {
        clearTimeout(f.timer);
        this.#inflight.delete(hash);
      }
      return !this.#closed;
    };
    const finish = (call, code) => {
      if (!done()) return;
      try {
        this.#run(call);
      } catch (e) {
        report(e);
      }
      ended(code);
    };
    if (url !== null) {
      let headers;
      try {
        headers = this.headers(hash);
      } catch (e) {
        finish(() => this.#core.settleError(hash, ticket, 'INVALID_ARGUMENT', `headers() threw: ${e && e.message}`));
        return;
      }
      this.#core
        .fetchUrl(hash, ticket, url, headers, controller.signal, typeof timeout === 'number' ? timeout : Infinity, info ? this.#timedFetch(info) : this.#coreFetch, this.#perQuery.get(hash)?.credentials ?? this.#options.credentials)
        .then(
          (text) => {
            if (!done()) return;
            this.#run(() => text);
            ended();
          },
          (e) => report(fromCore(e)),
        );
      return;
    }
    const source = this.#sources.get(hash);
    if (source === undefined) {
      finish(() => this.#core.settleError(hash, ticket, 'INVALID_ARGUMENT', 'no queryFn is registered for this query'));
      return;
    }
    let result;
    try {
      result = Promise.resolve(
        source.pages
          ? source.pages(ticket, controller.signal)
          : source.queryFn({ queryKey: source.queryKey, signal: controller.signal, meta: source.meta }),
      );
    } catch (e) {
      result = Promise.reject(e);
    }
    const aborted = new Promise((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    Promise.race([result, aborted]).then(
      (data) => {
        if (source.pages) {
          finish(() =>
            data.all !== undefined
              ? this.#core.settleData(hash, ticket, data.all)
              : this.#core.settlePage(hash, ticket, data.page, JSON.stringify(data.param ?? null), data.first, data.maxPages),
          );
          return;
        }
        if (data === undefined) {
          finish(() => this.#core.settleError(hash, ticket, 'INVALID_ARGUMENT', 'queryFn resolved with undefined; resolve with JSON data (null is fine)'));
          return;
        }
        let json;
        try {
          json = JSON.stringify(data);
        } catch (e) {
          finish(() => this.#core.settleError(hash, ticket, 'INVALID_ARGUMENT', `queryFn data is not JSON-serializable: ${e.message}`));
          return;
        }
        if (json === undefined) {
          // A function or a Symbol has no JSON form at all (JSON.stringify gives undefined).
          finish(() => this.#core.settleError(hash, ticket, 'INVALID_ARGUMENT', `queryFn resolved with ${describe(data)}; resolve with JSON data`));
          return;
        }
        if (info !== null) info.bytes = json.length;
        finish(() => this.#core.settleData(hash, ticket, json));
      },
      (e) => {
        if (controller.signal.aborted && controller.signal.reason === TIMEOUT_REASON) {
          finish(() => this.#core.settleError(hash, ticket, 'TIMEOUT', `queryFn did not settle within ${timeout} ms`), 'TIMEOUT');
        } else {
          const err = queryFnError(e);
          const status = typeof err.status === 'number' ? err.status : undefined;
          if (info !== null && status !== undefined) info.status = status;
          finish(() => this.#core.settleError(hash, ticket, err.code, err.message, status), err.code);
        }
      },
    );
  }

  // A mutation request: the app's headers (evaluated now, never stored) under the
  // mutation's own and strata's (Idempotency-Key, If-Match).
  #send(id, ticket, method, url, headers, body, timeout) {
    const controller = new AbortController();
    const t = timer(controller, timeout);
    let all;
    try {
      all = { ...this.headers(), ...headers };
    } catch (e) {
      // Never sent without the app's headers: the queue pauses (as on a 401) until flush().
      clearTimeout(t);
      const message = `headers() threw (${e && e.message}); the mutation was not sent. The queue is paused: call flush() once headers() works`;
      this.#run(() => this.#core.failMutation(id, ticket, 'AUTH', message));
      return;
    }
    let info = null;
    if (this.#events.on) {
      info = { status: null, bytes: null, resolved: null };
      const name = `${method} ${url}`;
      this.#sent.set(id, { t0: now(), info, name });
      this.#events.emit({ type: 'mutation-sent', id, name, method, url, ticket });
    }
    this.#core
      .sendMutation(id, ticket, method, url, all, body, controller.signal, typeof timeout === 'number' ? timeout : Infinity, info ? this.#timedFetch(info) : this.#coreFetch, this.#options.credentials)
      .then(
        (text) => {
          clearTimeout(t);
          if (this.#closed) return;
          this.#run(() => text);
          if (info !== null) this.#sendEnded(id);
        },
        (e) => {
          clearTimeout(t);
          this.#sent.delete(id);
          report(fromCore(e));
        },
      );
  }

  /**
   * Takes a query's own `headers` (object or function, over the store's) and `credentials`
   * out of its options (they are the wrapper's, not the core's); returns the rest.
   */
  requestOptions(hash, options, what) {
    const { headers, credentials, ...rest } = options;
    if (headers !== undefined && typeof headers !== 'function' && (headers === null || typeof headers !== 'object')) {
      throw invalidArgument(`${what}: \`headers\` must be an object of headers or a function returning one`);
    }
    if (credentials !== undefined && !['omit', 'same-origin', 'include'].includes(credentials)) {
      throw invalidArgument(`${what}: \`credentials\` is 'omit', 'same-origin' or 'include'`);
    }
    if (headers !== undefined || credentials !== undefined) this.#perQuery.set(hash, { headers, credentials });
    else this.#perQuery.delete(hash);
    return rest;
  }

  /** `fetch(url, init)` as the store's requests make it: its `fetch` option and `credentials` (query `hash`'s own first). */
  fetch(url, init, hash) {
    const f = this.#options.fetch ?? globalThis.fetch;
    const c = (hash !== undefined ? this.#perQuery.get(hash)?.credentials : undefined) ?? this.#options.credentials;
    return f(url, c === undefined ? init : { ...init, credentials: c });
  }

  // Evaluated at send time, never stored: the store's, under query `hash`'s own.
  headers(hash) {
    const value = evaluate(this.#options.headers);
    const own = hash === undefined ? undefined : this.#perQuery.get(hash)?.headers;
    return own === undefined ? value : { ...value, ...evaluate(own) };
  }
}
