// The Store: the public API over the wasm core. Every call crosses into wasm once and comes
// back as one batch (src/core/batch.rs), applied here; reads are Map lookups on the snapshots
// and query states (never a wasm call). What a batch asks for is done by the parts it
// composes: Requests (requests.js), Notifier (notifier.js) and, when persisted, Replica
// (replica.js); every rule about them (staleness, retries, backoff, gc, dedup) is the core's.

import { StrataError, fromCore, invalidArgument, report, errorFromState } from './errors.js';
import { hashKey, toJson, describe, finite, newId } from './keys.js';
import { QueryRegistry, splitOptions, initialValue } from './query-registry.js';
import { queryFilter, mutationFilter } from './filters.js';
import { Snapshots } from './snapshots.js';
import { Notifier } from './notifier.js';
import { Requests } from './requests.js';
import { Replica } from './replica.js';
import { Connection, CLOSED } from './connection.js';
import { Infinite } from './infinite.js';
import { dehydrateFilter, hydrateJson, HYDRATE_NEW } from './hydrate.js';
import { Events } from './events.js';

const MAX_TIMER = 2 ** 31 - 1;
const PAGES = () => {}; // an infinite query's source marker: its pages are fetched by infinite.js

/** @internal createStore's hook to hydrate a new store from IndexedDB. */
export const INIT = Symbol('strata.init');

// `into` targets name queries by key; the core knows them by hash.
function withHashes(description) {
  if (!Array.isArray(description.optimistic)) return description;
  const optimistic = description.optimistic.map((op) => {
    if (!op || !Array.isArray(op.into)) return op;
    return { ...op, into: op.into.map((t) => (t && t.queryKey !== undefined ? { ...t, hash: hashKey(t.queryKey), queryKey: undefined } : t)) };
  });
  return { ...description, optimistic };
}

export class Store {
  #core;
  #snap;
  #options;
  #closed = false;
  #states = new Map(); // hash -> raw state from the core
  #stateViews = new Map(); // hash -> { raw, data, total, view }
  #totals = new Map(); // hash -> a live query's member count before its window (`state.total`)
  #wake = { at: null, timer: undefined };
  #unlisten = [];
  #sync = {
    list: Object.freeze([]),
    state: Object.freeze({ online: true, pending: 0, inflight: 0, failed: 0, conflicts: 0, lastError: null, lastSyncAt: null }),
  };
  #epoch = 0; // bumped by every applied batch
  #lastState = { key: undefined, epoch: -1, view: undefined };
  #notify = new Notifier();
  #events = new Events(); // the timeline: subscribeEvents(), events()
  #requests;
  #replica = null; // IndexedDB and the other tabs (persisted stores only)
  #connection = null; // connect()'s Connection
  #connectionState = CLOSED;
  #pushReport = null; // the last batch's `pu` (applyPushes)
  #registry; // per query: key, meta, initialData, subscriptions and their function options
  #evaluating = false; // function options are being evaluated again (no nested round)
  #infinite;
  #infiniteViews = new WeakMap(); // query state view -> { options, view }: the infinite query state

  /** @internal use createStore() */
  constructor(core, options, persistence = null) {
    this.#core = core;
    this.#options = options;
    this.#snap = new Snapshots(options.entities);
    const run = (call) => this.#run(call);
    this.#registry = new QueryRegistry((hash) => this.#state(hash));
    this.#requests = new Requests(core, options, run, (hash) => this.#state(hash), (hash) => this.#registry.retryFns(hash), this.#events, (id) =>
      this.mutations().find((m) => m.id === id),
    );
    this.#infinite = new Infinite({
      data: (hash) => this.#snap.query(hash),
      headers: (hash) => this.#requests.headers(hash),
      fetch: (url, init, hash) => this.#requests.fetch(url, init, hash),
      resolveUrl: (url) => this.#core.resolveUrl(url),
    });
    if (persistence) {
      this.#replica = new Replica(core, persistence.idb, {
        events: this.#events,
        migrate: persistence.migrate,
        run,
        flush: () => this.flush(),
        settle: (id, ok, value) => {
          if (this.#requests.waitsForMutation(id)) this.#requests.settleMutation(id, ok, value);
        },
        sync: (state) => {
          this.#setSync(this.#sync.raw ?? state, false);
          this.#notify.drain();
        },
        connection: (state) => this.#connection?.follow(state),
        announceConnection: () => this.#connection?.announce(),
      });
    }
    this.#listenToBrowser();
  }

  /** @internal Loads what IndexedDB holds and joins the other tabs (see Replica.init). */
  async [INIT]() {
    await this.#replica?.init(this.#options.name ?? 'strata');
  }

  // ---- queries ---------------------------------------------------------------------------

  /**
   * Writes data for a query, normalized through `shape` (omitted: the query's own shape, plain
   * data for a new query). `data` may be an updater `(old) => new`; undefined writes nothing.
   */
  setQueryData(queryKey, data, options = {}) {
    this.#open();
    const hash = hashKey(queryKey);
    if (options === null || typeof options !== 'object') {
      throw invalidArgument(`setQueryData options must be an object like { shape }, got ${describe(options)}`);
    }
    for (const k of Object.keys(options)) {
      if (k !== 'shape') throw invalidArgument(`unknown setQueryData option \`${k}\`; known: shape`);
    }
    const updater = typeof data === 'function';
    const value = updater ? data(this.#snap.query(hash)) : data;
    if (value === undefined) {
      if (updater) return; // TanStack: an updater that returns undefined writes nothing
      throw invalidArgument('setQueryData: data is undefined; pass JSON data (use removeQueries to drop a query)');
    }
    const dataJson = toJson(value, 'setQueryData data');
    const keyJson = JSON.stringify(queryKey);
    if (options.shape === undefined) {
      this.#run(() => this.#core.setQueriesData(`[[${JSON.stringify(hash)},${keyJson},${dataJson}]]`));
      return;
    }
    const shapeJson = toJson(options.shape, 'shape', 'SHAPE');
    this.#run(() => this.#core.setQueryData(hash, keyJson, dataJson, shapeJson));
  }

  /**
   * `updater(old)` (or a value) for every query the filters match, in one call, each through
   * its own shape; returns `[[queryKey, data]]` of what was written.
   */
  setQueriesData(filters, updater) {
    this.#open();
    const hashes = this.#matched(filters, 'setQueriesData');
    const items = [];
    const written = [];
    for (const hash of hashes) {
      const value = typeof updater === 'function' ? updater(this.#snap.query(hash)) : updater;
      if (value === undefined) continue;
      const queryKey = this.#registry.entry(hash)?.queryKey ?? JSON.parse(hash);
      items.push(`[${JSON.stringify(hash)},${JSON.stringify(queryKey)},${toJson(value, 'setQueriesData data')}]`);
      written.push([hash, queryKey]);
    }
    if (items.length > 0) this.#run(() => this.#core.setQueriesData(`[${items.join(',')}]`));
    return written.map(([hash, queryKey]) => [queryKey, this.#snap.query(hash)]);
  }

  /** `[[queryKey, data]]` of every query the filters match. */
  getQueriesData(filters) {
    this.#open();
    return this.#matched(filters, 'getQueriesData').map((hash) => [this.#registry.entry(hash)?.queryKey ?? JSON.parse(hash), this.#snap.query(hash)]);
  }

  /** The query's denormalized data, the same object until it changes; undefined if none. */
  getQueryData(queryKey) {
    this.#open();
    return this.#snap.query(hashKey(queryKey));
  }

  /**
   * `{ status, fetchStatus, data, error, dataUpdatedAt, errorUpdatedAt, isStale, failureCount }`,
   * the same object until something in it changes; undefined for an unknown query.
   */
  getQueryState(queryKey) {
    this.#open();
    // A render loop reads the same query with the same key array again and again: while no
    // batch arrived since, the answer cannot have changed (keys are treated as immutable).
    const last = this.#lastState;
    if (queryKey === last.key && last.epoch === this.#epoch) return last.view;
    const view = this.#state(hashKey(queryKey));
    last.key = queryKey;
    last.epoch = this.#epoch;
    last.view = view;
    return view;
  }

  #state(hash) {
    const raw = this.#states.get(hash);
    if (raw === undefined) return undefined;
    const data = this.#snap.query(hash);
    const total = this.#totals.get(hash);
    const cached = this.#stateViews.get(hash);
    if (cached !== undefined && cached.raw === raw && cached.data === data && cached.total === total) return cached.view;
    const view = {
      status: raw.status,
      fetchStatus: raw.fetchStatus,
      data,
      error: cached !== undefined && cached.raw.error === raw.error ? cached.view.error : errorFromState(raw.error),
      dataUpdatedAt: raw.dataUpdatedAt,
      errorUpdatedAt: raw.errorUpdatedAt,
      isStale: raw.isStale,
      failureCount: raw.failureCount,
    };
    if (total !== undefined) view.total = total;
    this.#stateViews.set(hash, { raw, data, total, view });
    return view;
  }

  /**
   * Makes the query active: with a source (`url` or `queryFn`) it fetches at once when there
   * is no data or it is stale; refetch rules apply while subscribed. `listener()` runs once per
   * change batch that changed this query's data or state. Returns the unsubscribe function.
   */
  subscribeQuery(options, listener) {
    this.#open();
    return this.#subscribe(this.#queryOptions(options, 'subscribeQuery'), listener);
  }

  #subscribe(q, listener) {
    const unsubscribe = this.#notify.onQuery(q.hash, listener);
    const record = this.#registry.observe(q);
    try {
      const optsJson = this.#optionsJson(record, 'subscribeQuery');
      this.#run(() => this.#core.observe(q.hash, q.keyJson, optsJson));
    } catch (e) {
      unsubscribe();
      this.#registry.unobserve(q.hash, record);
      throw e;
    }
    this.#listingChanged();
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      unsubscribe();
      this.#registry.unobserve(q.hash, record);
      if (this.#closed) return;
      this.#run(() => this.#core.unobserve(q.hash));
      this.#listingChanged();
    };
  }

  /**
   * @internal (strata-store/react) Evaluates the function-valued options of the query's latest
   * subscription again (a component re-rendered: its closures may read new props).
   */
  [Symbol.for('strata.refreshOptions')](queryKey) {
    if (!this.#closed) this.#reevaluate([hashKey(queryKey)]);
  }

  /** Every query the core has a lifecycle for, optionally filtered (TanStack's `getQueryCache().findAll`): `{ queryKey, queryHash, state, meta, observers, isActive(), isStale(), isDisabled(), getObserversCount() }`, the same array until something in it changes. */
  queries(filters) {
    this.#open();
    const all = this.#registry.list(() => this.#states.keys());
    if (filters === undefined) return all;
    return this.#matched(filters, 'queries').map((h) => this.#registry.entry(h)).filter((e) => e !== undefined);
  }

  /** `listener()` runs when `queries()` may have changed (a query's state, data or observers). */
  subscribeQueries(listener) {
    this.#open();
    return this.#notify.onQueries(listener);
  }

  /** How many matching queries are fetching (TanStack's `isFetching`; paused ones do not count). */
  isFetching(filters) {
    this.#open();
    const { rest, predicate } = queryFilter(filters, 'isFetching');
    return this.#matched({ ...rest, fetchStatus: 'fetching', predicate }, 'isFetching').length;
  }

  /** How many mutations are under way (saving, queued or in flight), optionally filtered `{ status?, predicate? }`. */
  isMutating(filters) {
    this.#open();
    const test = mutationFilter(filters, 'isMutating');
    return this.mutations({ status: 'pending' }).filter(test).length;
  }

  /**
   * The cached data when there is some (a stale query is refetched in the background with
   * `revalidateIfStale: true`), else `fetchQuery(options)`.
   */
  async ensureQueryData(options) {
    this.#open();
    if (options === null || typeof options !== 'object') {
      throw invalidArgument(`ensureQueryData expects options like { queryKey, url | queryFn }, got ${describe(options)}`);
    }
    const { revalidateIfStale = false, ...rest } = options;
    const data = this.#snap.query(hashKey(rest.queryKey));
    if (data === undefined) return this.#fetch(rest);
    if (revalidateIfStale) void this.prefetchQuery(rest); // the core fetches only stale data
    return data;
  }

  /** Fetches unless the cached data is fresh; resolves with the data (dedups with a fetch in flight). */
  fetchQuery(options) {
    return this.#fetch(options);
  }

  // ---- infinite queries ------------------------------------------------------------------

  /**
   * Observes an infinite query (`{ pages, pageParams }`): its first page is fetched with
   * `initialPageParam`; `fetchNextPage(queryKey)` / `fetchPreviousPage(queryKey)` add pages; a
   * refetch fetches every page again, in order from the first. Returns the unsubscribe function.
   */
  subscribeInfiniteQuery(options, listener) {
    this.#open();
    return this.#subscribe(this.#infiniteOptions(options, 'subscribeInfiniteQuery'), listener);
  }

  /** Like fetchQuery for an infinite query: resolves with `{ pages, pageParams }`. */
  fetchInfiniteQuery(options) {
    this.#open();
    return this.#fetchWith(this.#infiniteOptions(options, 'fetchInfiniteQuery'));
  }

  async prefetchInfiniteQuery(options) {
    try {
      await this.fetchInfiniteQuery(options);
    } catch {
      // prefetching only warms the cache
    }
  }

  /** Fetches the page after the last one; resolves with the infinite query's state (never rejects). */
  fetchNextPage(queryKey) {
    return this.#morePages(queryKey, 'forward', 'fetchNextPage');
  }

  /** Fetches the page before the first one; resolves with the infinite query's state. */
  fetchPreviousPage(queryKey) {
    return this.#morePages(queryKey, 'backward', 'fetchPreviousPage');
  }

  /**
   * The query state plus `hasNextPage`, `hasPreviousPage`, `isFetchingNextPage` and
   * `isFetchingPreviousPage`; the same object until one of them changes.
   */
  getInfiniteQueryState(queryKey) {
    const state = this.getQueryState(queryKey);
    if (state === undefined) return undefined;
    const hash = hashKey(queryKey);
    const inf = this.#infinite;
    // The app's page functions run once per state and options, not on every read (a render
    // loop reads it again and again); a fetch's direction is bound when its state changes.
    const options = inf.options(hash);
    const cached = this.#infiniteViews.get(state);
    if (cached !== undefined && cached.options === options) return cached.view;
    const fetching = state.fetchStatus === 'fetching' ? inf.direction(hash) : null;
    const view = Object.freeze({
      ...state,
      hasNextPage: inf.hasPage(hash, state.data, true),
      hasPreviousPage: inf.hasPage(hash, state.data, false),
      isFetchingNextPage: fetching === 'forward',
      isFetchingPreviousPage: fetching === 'backward',
    });
    this.#infiniteViews.set(state, { options, view });
    return view;
  }

  async #morePages(queryKey, direction, what) {
    this.#open();
    const hash = hashKey(queryKey);
    if (!this.#infinite.has(hash)) {
      throw invalidArgument(`${what}: no infinite query with this key in this tab; subscribe to it (subscribeInfiniteQuery, useInfiniteQuery) or fetch it (fetchInfiniteQuery) first`);
    }
    const data = this.#snap.query(hash);
    // Nothing in that direction: nothing to fetch (without pages, the first one is fetched).
    if (data === undefined || this.#infinite.hasPage(hash, data, direction === 'forward')) {
      this.#infinite.ask(hash, direction);
      const done = this.#requests.waitQuery(hash);
      this.#run(() => this.#core.refetchQuery(hash));
      this.#requests.settleQuery(hash);
      await done.catch(() => {}); // the error is in the state
    }
    return this.getInfiniteQueryState(queryKey);
  }

  #infiniteOptions(options, what) {
    if (options === null || typeof options !== 'object') {
      throw invalidArgument(`${what} expects options like { queryKey, url | queryFn, shape, initialPageParam, getNextPageParam }, got ${describe(options)}`);
    }
    const hash = hashKey(options.queryKey);
    const prepared = this.#requests.requestOptions(hash, this.#infinite.prepare(hash, options, what), what);
    this.#requests.pagesSource(hash, prepared.queryKey, (ticket, signal) => this.#infinite.fetch(hash, ticket, signal));
    // The same split as a query's (function-valued options, meta, initialData); the pages
    // are the source.
    const q = splitOptions({ ...prepared, queryFn: PAGES }, what);
    this.#registry.saw(q);
    return q;
  }

  /** Like fetchQuery, but never rejects and resolves with nothing. */
  async prefetchQuery(options) {
    try {
      await this.#fetch(options);
    } catch {
      // prefetching only warms the cache; the error is in the query's state
    }
  }

  /** Marks matching queries stale; those `refetchType` picks (default: the active ones) refetch. Resolves when they settle. */
  invalidateQueries(filters = {}) {
    return this.#filtered('invalidateQueries', filters, true);
  }

  /** Refetches matching queries that have a source. Resolves when they settle. */
  refetchQueries(filters = {}) {
    return this.#filtered('refetchQueries', filters);
  }

  /** Cancels fetches of matching queries: their answers never land in the cache. */
  async cancelQueries(filters = {}) {
    await this.#filtered('cancelQueries', filters);
  }

  /**
   * Removes matching queries and the entities only they referenced. A query something
   * observes starts again as a new query (and fetches).
   */
  removeQueries(filters = {}) {
    this.#open();
    this.#run(() => this.#core.removeQueries(this.#filterJson(filters, 'removeQueries')));
  }

  /**
   * Matching queries go back to their initial state (`initialData` again, else pending
   * without data); the active ones refetch. Resolves when they settle.
   */
  async resetQueries(filters = {}) {
    this.#open();
    const hashes = this.#matched(filters, 'resetQueries');
    const initial = [];
    for (const hash of hashes) {
      const [data, at] = initialValue(this.#registry.initial(hash));
      if (data !== undefined) initial.push([hash, data, at ?? null]);
    }
    const json = toJson({ hashes }, 'resetQueries filters');
    const started = this.#run(() => this.#core.resetQueries(json, toJson(initial, 'initialData')));
    await Promise.all(started.map((h) => this.#requests.waitQuery(h).catch(() => {})));
  }

  // ---- mutations -------------------------------------------------------------------------

  /**
   * Applies the optimistic ops at once (observers are notified before this returns), queues
   * the request, and resolves with the server's result (read back through `shape`, or the
   * parsed body). The description is plain data: no functions.
   */
  mutate(description) {
    try {
      this.#open();
      if (description === null || typeof description !== 'object') {
        throw invalidArgument(`mutate expects { request, optimistic?, shape?, ... }, got ${describe(description)}`);
      }
      for (const [k, v] of Object.entries(description)) {
        if (typeof v === 'function') {
          throw invalidArgument(`mutation descriptions are data (they are persisted); \`${k}\` is a function: callbacks belong to useMutation or to the promise mutate returns`);
        }
      }
      const id = newId();
      const json = toJson(withHashes(description), 'mutation');
      const done = this.#requests.waitMutation(id);
      try {
        this.#run(() => this.#core.mutate(id, json));
      } catch (e) {
        this.#requests.unwaitMutation(id);
        throw e;
      }
      // The id names the entry in mutations() (retry, discard, resolveConflict).
      done.id = id;
      return done;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Every mutation not yet acknowledged, in queue order (the same array until it changes);
   * with filters `{ status?, predicate? }` those that match (`status: 'pending'`: saving,
   * queued or in flight; `'error'`: failed; or a status of the list).
   */
  mutations(filters) {
    this.#open();
    if (this.#sync.list === null) {
      const list = JSON.parse(this.#core.mutationList()).map((m) => (m.error ? { ...m, error: errorFromState(m.error) } : m));
      this.#sync.list = Object.freeze(list);
    }
    if (filters === undefined) return this.#sync.list;
    return this.#sync.list.filter(mutationFilter(filters, 'mutations'));
  }

  /** `{ online, pending, inflight, failed, conflicts, lastError, lastSyncAt }` (the same object until it changes). */
  syncState() {
    this.#open();
    return this.#sync.state;
  }

  /** `listener()` runs whenever `mutations()` or `syncState()` changed. Returns the unsubscribe function. */
  subscribeSync(listener) {
    this.#open();
    return this.#notify.onSync(listener);
  }

  // ---- real-time -------------------------------------------------------------------------

  /**
   * Opens the store's real-time connection (SSE or WebSocket): server pushes go into the
   * cache's server base, under the optimistic layers. Returns `{ close() }`. In a persisted
   * store only the tab that sends the outbox connects; the other tabs see its state.
   */
  connect(options) {
    this.#open();
    if (this.#connection) throw invalidArgument('connect: this store is already connected; close() that connection first');
    const c = new Connection(options, {
      apply: (joined) => {
        this.#pushReport = null;
        this.#run(() => this.#core.applyPushes(joined));
        if (this.#events.on) {
          let count = 1;
          for (let i = joined.indexOf('\0'); i !== -1; i = joined.indexOf('\0', i + 1)) count++;
          const r = this.#pushReport;
          this.#events.emit({ type: 'push', count, refused: r ? r[1].length : 0, eventId: r ? r[0] : null });
        }
        return this.#pushReport;
      },
      invalidate: () => this.invalidateQueries(),
      headers: () => this.#requests.headers(),
      fetch: (url, init) => this.#requests.fetch(url, init),
      resolveUrl: (url) => this.#core.resolveUrl(url),
      whenLeader: this.#replica ? this.#replica.whenLeader() : null,
      changed: (state) => {
        if (this.#connection !== c && state.status !== 'closed') return;
        const previous = this.#connectionState.status;
        this.#connectionState = state;
        if (this.#events.on && previous !== state.status) {
          this.#events.emit({ type: 'connection', status: state.status, previous, error: state.error ? state.error.code : null });
        }
        this.#notify.connectionChanged();
      },
      post: (state) => this.#replica?.postConnection(state),
      ask: () => this.#replica?.askConnection(),
    });
    this.#connection = c;
    c.start();
    return Object.freeze({
      close: () => {
        if (this.#connection !== c) return;
        c.close();
        this.#connection = null;
      },
    });
  }

  /** `{ status: 'connecting'|'open'|'paused'|'closed', lastEventId, lastMessageAt, reconnects, error }` */
  connectionState() {
    return this.#connectionState;
  }

  subscribeConnection(listener) {
    this.#open();
    return this.#notify.onConnection(listener);
  }

  // ---- events (devtools, performance monitoring) ---------------------------------------------

  /**
   * `listener(event)` for each later event of the store's timeline (fetches, mutation sends,
   * rollbacks, conflicts, pushes, tab messages, connection changes); returns the unsubscribe
   * function. Nothing is recorded while nobody listens.
   */
  subscribeEvents(listener) {
    this.#open();
    if (typeof listener !== 'function') throw invalidArgument('subscribeEvents(listener): listener must be a function');
    return this.#events.subscribe(listener);
  }

  /** The last events (up to 300, oldest first) recorded while a subscribeEvents listener was subscribed. */
  events() {
    this.#open();
    return this.#events.history();
  }

  /**
   * What devtools show beyond the public reads (a wasm call: not for render loops):
   * `{ entities: [{ key, type, id, queries }], layers: [{ id, active, writes: [{ key, patch }], inserts: [{ queryHash, key }] }] }`.
   * `queries`: the hashes of the queries showing the entity (directly or through relations);
   * a write's `patch` is null for a delete.
   */
  inspect() {
    this.#open();
    const r = JSON.parse(this.#callRead(() => this.#core.inspect()));
    const split = (key) => {
      const i = key.indexOf(':');
      return { key, type: key.slice(0, i), id: key.slice(i + 1) };
    };
    const byText = (a, b) => (a < b ? -1 : a > b ? 1 : 0); // the core lists them in no order
    return {
      entities: r.entities.map(([key, queries]) => ({ ...split(key), queries: queries.sort(byText) })).sort((a, b) => byText(a.key, b.key)),
      layers: r.layers.map((l) => ({
        id: l.id,
        active: l.active,
        writes: l.writes.map(([key, patch]) => ({ key, patch })),
        inserts: l.inserts.map(([queryHash, key]) => ({ queryHash, key })),
      })),
    };
  }

  /**
   * Resumes a queue paused by a 401 (after the app refreshed its token) and sends what can be
   * sent; resolves when nothing more can be sent now.
   */
  async flush() {
    this.#open();
    const replica = this.#replica;
    await replica?.idle(); // this tab's writes are durable (and queued) first
    if (this.#closed) return;
    if (replica?.follower) return replica.askSender();
    this.#run(() => this.#core.flush());
    while (!this.#closed && this.#sync.state.inflight > 0) {
      await new Promise((resolve) => {
        const off = this.subscribeSync(() => {
          off();
          resolve();
        });
      });
    }
  }

  /** Re-applies a failed mutation's layer and sends it again; resolves like `mutate`. */
  retry(id) {
    try {
      this.#open();
      const done = this.#requests.waitMutation(id);
      this.#run(() => this.#core.retryMutation(String(id)));
      return done;
    } catch (e) {
      this.#requests.unwaitMutation(id);
      return Promise.reject(e);
    }
  }

  /** Removes a failed, conflicting or queued mutation and its optimistic layer. */
  discard(id) {
    this.#open();
    this.#run(() => this.#core.discardMutation(String(id)));
  }

  /** Settles an open conflict: keep `'local'`, take `'server'`, or send `value` (an object of fields). */
  resolveConflict(id, resolution) {
    this.#open();
    this.#run(() => this.#core.resolveConflict(String(id), toJson(resolution, 'resolution')));
  }

  /** A temporary id for an optimistic insert; replaced by the server's id when it answers. */
  tempId() {
    return `tmp-${newId()}`;
  }

  // ---- entities --------------------------------------------------------------------------

  /** The entity's denormalized snapshot, the same object until it changes; undefined if not cached. */
  getEntity(type, id) {
    this.#open();
    return this.#snap.entity(this.#key(type, id));
  }

  /** Merges `patch` into the entity (a partial entity is created if it is not cached). */
  updateEntity(type, id, patch) {
    this.#open();
    this.#key(type, id);
    const patchJson = toJson(patch, 'updateEntity patch');
    this.#run(() => this.#core.updateEntity(type, JSON.stringify(id), patchJson));
  }

  /** Calls `listener()` whenever the entity's snapshot changes. Returns the unsubscribe function. */
  subscribeEntity(type, id, listener) {
    this.#open();
    return this.#notify.onEntity(this.#key(type, id), listener);
  }

  // ---- server-side rendering ------------------------------------------------------------

  /**
   * Plain JSON of the chosen queries (TanStack's `dehydrate`: by default the successful ones;
   * `filter` takes the query filters and `shouldDehydrateQuery(query)`) and of every entity
   * they show, for `hydrate` in another store. Format: README, "Server-side rendering and hydration".
   */
  dehydrate(filter) {
    this.#open();
    const { filters, should } = dehydrateFilter(filter);
    const hashes = this.#matched(filters, 'dehydrate').filter((h) => {
      const entry = this.#registry.entry(h);
      return entry !== undefined && Boolean(should(entry));
    });
    return JSON.parse(this.#callRead(() => this.#core.dehydrate(JSON.stringify(hashes))));
  }

  /** Applies what `dehydrate` returned, never over newer data; a bad state applies nothing. */
  hydrate(state) {
    this.#open();
    const json = hydrateJson(state);
    this.#run(() => this.#core.hydrate(json, false));
  }

  /** @internal (strata-store/react) `hydrate` of only what this store has never seen. */
  [HYDRATE_NEW](state) {
    this.#open();
    const json = hydrateJson(state);
    this.#notify.holdUntilMicrotask(); // called during a render: listeners run after it
    this.#run(() => this.#core.hydrate(json, true));
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /**
   * Logout: wipes this store's memory and its IndexedDB data, in every tab. Pending mutations
   * reject with CLEARED.
   */
  async clear() {
    this.#open();
    if (this.#replica) await this.#replica.clear();
    else this.#run(() => this.#core.clear());
  }

  /** Stops this store: timers, requests and browser listeners end; later calls throw CLOSED. */
  close() {
    if (this.#closed) return;
    this.#connection?.close();
    this.#connection = null;
    this.#closed = true;
    this.#replica?.close(); // writes the last cache changes first
    clearTimeout(this.#wake.timer);
    for (const off of this.#unlisten) off();
    this.#requests.close();
    this.#notify.clear();
    this.#events.clear();
    this.#snap.clear();
    this.#states.clear();
    this.#stateViews.clear();
    this.#totals.clear();
    this.#core.free();
  }

  /** @internal the core's own JSON reading of a query, for tests. */
  _coreReadQuery(queryKey) {
    this.#open();
    const text = this.#core.readQuery(hashKey(queryKey));
    return text === undefined ? undefined : JSON.parse(text);
  }

  // ---- internals -------------------------------------------------------------------------

  #open() {
    if (this.#closed) throw new StrataError('CLOSED', 'this store was closed; create a new one with createStore()');
  }

  #key(type, id) {
    if (typeof type !== 'string' || !this.#snap.hasType(type)) {
      throw invalidArgument(`unknown entity type ${JSON.stringify(type)}; declare it in createStore({ entities })`);
    }
    if (typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) {
      throw invalidArgument(`entity id must be a string or a finite number, got ${describe(id)}`);
    }
    return `${type}:${id}`;
  }

  // Splits query options into what the core reads (JSON) and what stays in JS (queryFn,
  // meta, initialData, function-valued options), and registers the JS parts.
  #queryOptions(options, what) {
    if (options === null || typeof options !== 'object') {
      throw invalidArgument(`${what} expects options like { queryKey, url | queryFn, shape }, got ${describe(options)}`);
    }
    // Per-query `headers` and `credentials` stay with the requests.
    const q = splitOptions(this.#requests.requestOptions(hashKey(options.queryKey), options, what), what);
    if (q.queryFn) this.#requests.source(q.hash, q.queryKey, q.queryFn, q.meta);
    this.#registry.saw(q);
    return q;
  }

  // The options JSON of a subscription or fetch: function-valued options evaluated now, and
  // `initialData` while the core has no such query.
  #optionsJson(record, what) {
    const json = { ...record.q.json, ...this.#registry.resolve(record) };
    record.sent = json;
    if (!this.#states.has(record.q.hash)) {
      const [data, at] = initialValue(record.q.initial);
      if (data !== undefined) {
        json.initialData = data;
        if (at !== undefined) json.initialDataUpdatedAt = at;
      }
    }
    return toJson(json, `${what} options`, 'INVALID_ARGUMENT', finite);
  }

  // After a batch: the function-valued options of these queries' latest subscriptions are
  // evaluated again; the core hears of those whose value changed. Not from inside such a
  // round: an option that changes at each call would never settle.
  #reevaluate(hashes) {
    if (this.#evaluating) return;
    this.#evaluating = true;
    try {
      for (const hash of hashes) {
        const record = this.#registry.dynamic(hash);
        if (record === null || record === undefined || !this.#states.has(hash)) continue;
        const before = record.sent;
        const values = this.#registry.resolve(record);
        if (Object.entries(values).every(([k, v]) => before?.[k] === v)) continue;
        const json = { ...record.q.json, ...values };
        record.sent = json;
        try {
          this.#run(() => this.#core.updateOptions(hash, toJson(json, 'query options', 'INVALID_ARGUMENT', finite)));
        } catch (e) {
          report(e); // a function gave a value the core refuses: the last one stands
        }
      }
    } finally {
      this.#evaluating = false;
    }
  }

  #listingChanged() {
    this.#registry.changed();
    this.#notify.queriesChanged();
    this.#notify.drain();
  }

  // The filter JSON for the core; a `predicate` runs here, over the listing entries of the
  // queries the other fields match, and the core gets the hashes it chose.
  #filterJson(filters, what, withRefetchType = false) {
    const { rest, predicate } = queryFilter(filters, what, withRefetchType);
    if (predicate !== undefined) {
      const { refetchType, ...matchable } = rest;
      rest.hashes = this.#matched({ ...matchable, predicate }, what);
      if (refetchType !== undefined) rest.refetchType = refetchType;
    }
    return toJson(rest, `${what} filters`);
  }

  // The hashes of the queries the filters match (predicate included), sorted.
  #matched(filters, what) {
    const { rest, predicate } = queryFilter(filters, what);
    const hashes = JSON.parse(this.#callRead(() => this.#core.matchQueries(toJson(rest, `${what} filters`))));
    if (predicate === undefined) return hashes;
    return hashes.filter((h) => {
      const entry = this.#registry.entry(h);
      return entry !== undefined && Boolean(predicate(entry));
    });
  }

  #callRead(call) {
    try {
      return call();
    } catch (e) {
      throw fromCore(e);
    }
  }

  async #filtered(method, filters, withRefetchType = false) {
    this.#open();
    const json = this.#filterJson(filters, method, withRefetchType);
    const started = this.#run(() => this.#core[method](json));
    // Resolve once every fetch this started has settled (errors stay in the queries' state).
    await Promise.all(started.map((h) => this.#requests.waitQuery(h).catch(() => {})));
  }

  async #fetch(options) {
    this.#open();
    return this.#fetchWith(this.#queryOptions(options, 'fetchQuery'));
  }

  async #fetchWith(q) {
    const optsJson = this.#optionsJson({ q, sent: null }, 'fetchQuery');
    const requests = this.#requests;
    const done = requests.waitQuery(q.hash);
    try {
      this.#run(() => this.#core.fetch(q.hash, q.keyJson, optsJson));
    } catch (e) {
      done.catch(() => {}); // the caller gets `e` below; this promise must not go unhandled
      requests.rejectQuery(q.hash, e);
      throw e;
    }
    requests.settleQuery(q.hash);
    return done;
  }

  // One wasm call, then its batch is applied; listeners run after the core is released, so a
  // listener may call back into the store. Returns the hashes whose fetch this call started.
  #run(call) {
    let text;
    try {
      text = call();
    } catch (e) {
      throw fromCore(e);
    }
    return this.#apply(text);
  }

  #apply(text) {
    if (this.#closed) return [];
    this.#epoch++;
    const b = JSON.parse(text);
    if (b.pu) this.#pushReport = b.pu;
    const changed = this.#snap.applyBatch(b);
    const queries = new Set(changed.queries);
    const errored = [];
    const requests = this.#requests;
    const restarted = new Set();
    for (const [hash] of b.s || []) restarted.add(hash);
    // Removals first: a removed query that is observed starts again in the same batch (`s`),
    // keeping its queryFn and its registry entry.
    for (const hash of b.rq || []) {
      const prev = this.#states.get(hash);
      this.#states.delete(hash);
      this.#stateViews.delete(hash);
      this.#totals.delete(hash);
      this.#registry.prune(hash);
      if (!restarted.has(hash)) {
        requests.forget(hash);
        this.#registry.forget(hash);
      } else if (prev) {
        // Its waiters (fetchQuery) wait for the new fetch, or learn it was cancelled.
        requests.rejectQuery(hash, new StrataError('CANCELLED', 'the query was removed or reset before its fetch settled'));
      }
    }
    for (const [hash, state] of b.s || []) {
      const prev = this.#states.get(hash);
      this.#states.set(hash, state);
      queries.add(hash);
      if (state.status === 'error' && (!prev || prev.errorUpdatedAt !== state.errorUpdatedAt)) errored.push(hash);
    }
    // Live queries whose result was handed out: the total may have moved alone.
    for (const [hash, total] of b.lt || []) {
      if (this.#totals.get(hash) !== total) queries.add(hash);
      this.#totals.set(hash, total);
    }
    // The wake-up time and the sync state before the actions: an action may settle at once
    // (a send that cannot start), and what its own, newer batch brings must not be overwritten
    // by this one's. The list is fetched from the core on the next mutations() call.
    this.#schedule(b.w);
    if (b.y) this.#setSync(b.y.state, true);
    const started = requests.actions(b.a || []);
    this.#replica?.batch(b);
    this.#notify.changed(changed.entities, queries);
    for (const hash of queries) requests.settleQuery(hash);
    for (const [id, ok, value] of b.ms || []) requests.settleMutation(id, ok, value);
    if (queries.size > 0) this.#reevaluate([...queries]);
    if (this.#options.onError) {
      for (const hash of errored) {
        const state = this.#state(hash);
        try {
          this.#options.onError(state.error, { queryKey: JSON.parse(hash) });
        } catch (e) {
          report(e);
        }
      }
    }
    return started;
  }

  #setSync(raw, listChanged) {
    const state = this.#replica?.syncView(raw) ?? raw;
    this.#sync = {
      list: listChanged ? null : this.#sync.list,
      state: Object.freeze({ ...state, lastError: errorFromState(state.lastError) }),
      raw,
    };
    this.#notify.syncChanged();
  }

  #schedule(at) {
    if (at === this.#wake.at) return;
    clearTimeout(this.#wake.timer);
    this.#wake.at = at ?? null;
    if (at === null || at === undefined) return;
    const delay = Math.max(0, Math.min(at - Date.now(), MAX_TIMER));
    this.#wake.timer = setTimeout(() => {
      this.#wake.at = null;
      if (!this.#closed) this.#run(() => this.#core.tick());
    }, delay);
  }

  #listenToBrowser() {
    if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return;
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.#unlisten.push(() => target.removeEventListener(type, fn));
    };
    const safe = (call) => () => {
      if (!this.#closed) {
        try {
          this.#run(call);
        } catch (e) {
          report(e);
        }
      }
    };
    on(window, 'online', safe(() => this.#core.setOnline(true)));
    on(window, 'offline', safe(() => this.#core.setOnline(false)));
    on(window, 'focus', safe(() => this.#core.focus()));
    // The last cache changes before the page goes away (relaxed; best effort).
    on(window, 'pagehide', () => this.#replica?.flushCache());
    if (typeof document !== 'undefined') {
      on(document, 'visibilitychange', () => {
        if (document.visibilityState === 'visible') safe(() => this.#core.focus())();
      });
    }
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      this.#run(() => this.#core.setOnline(false));
    }
  }
}
