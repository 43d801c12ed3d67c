// The Store: the JS wrapper around the wasm core. Every call crosses into wasm once and comes
// back as one batch (src/core/batch.rs); reads are Map lookups on the snapshots (never a wasm
// call). Timers, requests and browser events are driven from here; every rule about them
// (staleness, retries, backoff, gc, dedup) is decided by the core.

import { StrataError, fromCore, invalidArgument } from './errors.js';
import { hashKey, toJson, describe, finite } from './keys.js';
import { Snapshots } from './snapshots.js';
import { storageError } from './persist.js';
import { Tabs } from './tabs.js';

const TIMEOUT_REASON = 'strata:timeout'; // src/web/http.rs reads this abort reason
const MAX_TIMER = 2 ** 31 - 1;
// A cache delta waits this long for more changes before it is written and broadcast (the
// issue allows up to 1 s; shorter keeps other tabs close behind).
const CACHE_DELAY = 200;
// A follower's flush() waits this long for the sending tab to answer.
const FLUSH_ASK_TIMEOUT = 30_000;

/** @internal createStore's hook to hydrate a new store from IndexedDB. */
export const INIT = Symbol('strata.init');

function report(error) {
  // A throwing listener must not stop the others; surface it like an event listener error.
  if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
  else console.error(error);
}

function errorFromState(e) {
  if (!e) return null;
  const details = {};
  if (e.status !== undefined) details.status = e.status;
  if (e.body !== undefined) details.body = e.body;
  return new StrataError(e.code, e.message, details);
}

// What a queryFn's failure becomes: a StrataError keeps its code; anything else is treated
// like a failed request (NETWORK, retried), with the thrown value as the cause.
function queryFnError(e) {
  if (e instanceof StrataError) return e;
  const message = e instanceof Error ? e.message : `queryFn rejected with ${describe(e)}`;
  const err = new StrataError('NETWORK', `queryFn failed: ${message}`);
  err.cause = e;
  return err;
}

function newId() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  // Non-secure contexts lack randomUUID: a v4-shaped id from getRandomValues/Math.random.
  const b = new Uint8Array(16);
  if (globalThis.crypto && globalThis.crypto.getRandomValues) globalThis.crypto.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

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
  #entitySubs = new Map(); // key -> Set<sub>
  #querySubs = new Map(); // hash -> Set<sub>
  #queue = []; // pending listener calls: set, sub, set, sub, ...
  #notifying = false;
  #closed = false;
  #states = new Map(); // hash -> raw state from the core
  #stateViews = new Map(); // hash -> { raw, data, view }
  #sources = new Map(); // hash -> { queryKey, queryFn }
  #inflight = new Map(); // hash -> { ticket, controller, timer }
  #waiters = new Map(); // hash -> [{ resolve, reject }]
  #wake = { at: null, timer: undefined };
  #unlisten = [];
  #pendingMutations = new Map(); // mutation id -> [{ resolve, reject }]
  #sync = {
    list: Object.freeze([]),
    state: Object.freeze({ online: true, pending: 0, inflight: 0, failed: 0, conflicts: 0, lastError: null, lastSyncAt: null }),
  };
  #syncSubs = new Set();
  #persistence = null;
  #tabs = null;
  #leader = true; // this tab sends the outbox
  #io = Promise.resolve(); // IndexedDB outbox reads and writes, one after another
  #outboxPending = null; // Map id -> record | null: the next outbox write (see #writeOutbox)
  #syncPosted = ''; // the sync fields last posted to the other tabs
  #cacheTimer = undefined;
  #buster = '';
  #remoteSync = null; // the sending tab's { inflight, lastError, lastSyncAt } (followers)
  #flushAsks = new Map(); // nonce -> resolve (followers waiting for the sender's flush)
  #epoch = 0; // bumped by every applied batch
  #lastState = { key: undefined, epoch: -1, view: undefined };

  /** @internal use createStore() */
  constructor(core, options, persistence = null) {
    this.#core = core;
    this.#options = options;
    this.#persistence = persistence;
    this.#snap = new Snapshots(options.entities);
    this.#listenToBrowser();
  }

  /**
   * @internal Loads what IndexedDB holds (the cache, marked stale, then the outbox with its
   * layers re-applied), joins the other tabs and waits for its turn to send.
   */
  async [INIT]() {
    if (!this.#persistence) return;
    const p = this.#options.persist;
    const buster = p && typeof p === 'object' && typeof p.buster === 'string' ? p.buster : '';
    const maxAge = p && typeof p === 'object' && Number.isFinite(Number(p.maxAge)) ? Number(p.maxAge) : Infinity;
    this.#buster = buster;
    let loaded = { outbox: [], cache: null };
    try {
      loaded = await this.#persistence.load({ buster, maxAge });
    } catch (e) {
      console.warn(`strata: could not read IndexedDB (${e && (e.name || e.message)}); starting empty`);
    }
    this.#tabs = new Tabs(this.#options.name ?? 'strata', (msg) => this.#onTab(msg));
    this.#leader = false;
    this.#run(() => this.#core.setLeader(false));
    try {
      if (loaded.cache) this.#run(() => this.#core.applyCache(JSON.stringify(loaded.cache), true));
    } catch (e) {
      // A cache that cannot be applied is only a cache: start without it.
      console.warn(`strata: the persisted cache could not be read (${e && e.message}); it is ignored`);
    }
    // Unreadable records become failed STORAGE entries inside; only a non-list fails here.
    if (loaded.outbox.length) this.#run(() => this.#core.reconcileOutbox(JSON.stringify(loaded.outbox)));
    this.#tabs.elect(() => {
      // Read the outbox as the previous sender left it, then start sending.
      this.#ioStep(async () => {
        const records = await this.#persistence.readOutbox();
        if (this.#closed) return;
        this.#run(() => this.#core.reconcileOutbox(JSON.stringify(records)));
        this.#leader = true;
        this.#run(() => this.#core.setLeader(true));
        // Flushes this tab asked of the previous sender: this tab answers them now.
        const asks = [...this.#flushAsks.values()];
        this.#flushAsks.clear();
        if (asks.length) this.flush().then(() => asks.forEach((resolve) => resolve()), report);
      });
    });
  }

  // ---- queries ---------------------------------------------------------------------------

  /** Writes data for a query, normalized through `shape`. */
  setQueryData(queryKey, data, options = {}) {
    this.#open();
    const hash = hashKey(queryKey);
    if (options === null || typeof options !== 'object') {
      throw invalidArgument(`setQueryData options must be an object like { shape }, got ${describe(options)}`);
    }
    if (data === undefined) {
      throw invalidArgument('setQueryData: data is undefined; pass JSON data (use removeQueries to drop a query)');
    }
    const dataJson = toJson(data, 'setQueryData data');
    const shapeJson = toJson(options.shape === undefined ? null : options.shape, 'shape', 'SHAPE');
    this.#run(() => this.#core.setQueryData(hash, JSON.stringify(queryKey), dataJson, shapeJson));
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
    const cached = this.#stateViews.get(hash);
    if (cached !== undefined && cached.raw === raw && cached.data === data) return cached.view;
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
    this.#stateViews.set(hash, { raw, data, view });
    return view;
  }

  /**
   * Makes the query active: with a source (`url` or `queryFn`) it fetches at once when there
   * is no data or it is stale; refetch rules apply while subscribed. `listener()` runs once per
   * change batch that changed this query's data or state. Returns the unsubscribe function.
   */
  subscribeQuery(options, listener) {
    this.#open();
    const q = this.#queryOptions(options, 'subscribeQuery');
    const unsubscribe = this.#subscribe(this.#querySubs, q.hash, listener);
    try {
      this.#run(() => this.#core.observe(q.hash, q.keyJson, q.optsJson));
    } catch (e) {
      unsubscribe();
      throw e;
    }
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      unsubscribe();
      if (!this.#closed) this.#run(() => this.#core.unobserve(q.hash));
    };
  }

  /** Fetches unless the cached data is fresh; resolves with the data (dedups with a fetch in flight). */
  fetchQuery(options) {
    return this.#fetch(options, false);
  }

  /** Like fetchQuery, but never rejects and resolves with nothing. */
  async prefetchQuery(options) {
    try {
      await this.#fetch(options, false);
    } catch {
      // prefetching only warms the cache; the error is in the query's state
    }
  }

  /** Marks matching queries stale (prefix match); active ones refetch. Resolves when they settle. */
  invalidateQueries(filters = {}) {
    return this.#filtered('invalidateQueries', filters);
  }

  /** Refetches matching queries that have a source. Resolves when they settle. */
  refetchQueries(filters = {}) {
    return this.#filtered('refetchQueries', filters);
  }

  /** Cancels fetches of matching queries: their answers never land in the cache. */
  async cancelQueries(filters = {}) {
    await this.#filtered('cancelQueries', filters);
  }

  /** Removes matching queries and the entities only they referenced. */
  removeQueries(filters = {}) {
    this.#open();
    this.#run(() => this.#core.removeQueries(this.#prefix(filters)));
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
      const done = this.#mutationDone(id);
      try {
        this.#run(() => this.#core.mutate(id, json));
      } catch (e) {
        this.#pendingMutations.delete(id);
        throw e;
      }
      // The id names the entry in mutations() (retry, discard, resolveConflict).
      done.id = id;
      return done;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Every mutation not yet acknowledged, in queue order (the same array until it changes). */
  mutations() {
    this.#open();
    if (this.#sync.list === null) {
      const list = JSON.parse(this.#core.mutationList()).map((m) => (m.error ? { ...m, error: errorFromState(m.error) } : m));
      this.#sync.list = Object.freeze(list);
    }
    return this.#sync.list;
  }

  /** `{ online, pending, inflight, failed, conflicts, lastError, lastSyncAt }` (the same object until it changes). */
  syncState() {
    this.#open();
    return this.#sync.state;
  }

  /** `listener()` runs whenever `mutations()` or `syncState()` changed. Returns the unsubscribe function. */
  subscribeSync(listener) {
    this.#open();
    if (typeof listener !== 'function') throw invalidArgument('listener must be a function');
    const sub = { listener };
    this.#syncSubs.add(sub);
    return () => this.#syncSubs.delete(sub);
  }

  /**
   * Resumes a queue paused by a 401 (after the app refreshed its token) and sends what can be
   * sent; resolves when nothing more can be sent now.
   */
  async flush() {
    this.#open();
    await this.#io; // this tab's writes are durable (and queued) first
    if (this.#closed) return;
    if (this.#tabs && !this.#leader) return this.#askSenderToFlush();
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
      const done = this.#mutationDone(id);
      this.#run(() => this.#core.retryMutation(String(id)));
      return done;
    } catch (e) {
      this.#pendingMutations.delete(id);
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
    return this.#subscribe(this.#entitySubs, this.#key(type, id), listener);
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /**
   * Logout: wipes this store's memory and its IndexedDB data, in every tab. Pending mutations
   * reject with CLEARED.
   */
  async clear() {
    this.#open();
    this.#wipe();
    this.#tabs?.post({ t: 'clear' });
    await this.#io;
  }

  /** Stops this store: timers, requests and browser listeners end; later calls throw CLOSED. */
  close() {
    if (this.#closed) return;
    this.#flushCache();
    this.#closed = true;
    clearTimeout(this.#cacheTimer);
    this.#tabs?.close();
    const persistence = this.#persistence;
    if (persistence) this.#io.then(() => persistence.close());
    for (const resolve of this.#flushAsks.values()) resolve();
    this.#flushAsks.clear();
    clearTimeout(this.#wake.timer);
    for (const off of this.#unlisten) off();
    for (const f of this.#inflight.values()) {
      clearTimeout(f.timer);
      f.controller.abort();
    }
    this.#inflight.clear();
    const closed = new StrataError('CLOSED', 'the store was closed while this was pending');
    for (const list of this.#waiters.values()) for (const w of list) w.reject(closed);
    this.#waiters.clear();
    for (const list of this.#pendingMutations.values()) for (const w of list) w.reject(closed);
    this.#pendingMutations.clear();
    this.#syncSubs.clear();
    this.#entitySubs.clear();
    this.#querySubs.clear();
    this.#queue.length = 0;
    this.#snap.clear();
    this.#states.clear();
    this.#stateViews.clear();
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

  // Splits query options into what the core reads (JSON) and what stays in JS (queryFn).
  #queryOptions(options, what) {
    if (options === null || typeof options !== 'object') {
      throw invalidArgument(`${what} expects options like { queryKey, url | queryFn, shape }, got ${describe(options)}`);
    }
    const { queryKey, queryFn, ...rest } = options;
    const hash = hashKey(queryKey);
    if (queryFn !== undefined && typeof queryFn !== 'function') {
      throw invalidArgument('`queryFn` must be a function ({ queryKey, signal }) => Promise<data>');
    }
    if (queryFn) this.#sources.set(hash, { queryKey, queryFn });
    const json = { ...rest };
    if (queryFn) json.queryFn = true;
    return { hash, keyJson: JSON.stringify(queryKey), optsJson: toJson(json, `${what} options`, 'INVALID_ARGUMENT', finite) };
  }

  #prefix(filters) {
    if (filters === null || typeof filters !== 'object') {
      throw invalidArgument(`expected filters like { queryKey: ['todos'] }, got ${describe(filters)}`);
    }
    const key = filters.queryKey === undefined ? [] : filters.queryKey;
    if (!Array.isArray(key)) throw invalidArgument('queryKey filter must be an array (a key prefix)');
    return toJson(key, 'queryKey filter');
  }

  async #filtered(method, filters) {
    this.#open();
    const prefix = this.#prefix(filters);
    const started = this.#run(() => this.#core[method](prefix));
    // Resolve once every fetch this started has settled (errors stay in the queries' state).
    await Promise.all(started.map((h) => this.#wait(h).catch(() => {})));
  }

  async #fetch(options, force) {
    this.#open();
    const q = this.#queryOptions(options, 'fetchQuery');
    const done = this.#wait(q.hash);
    try {
      this.#run(() => this.#core.fetch(q.hash, q.keyJson, q.optsJson, force));
    } catch (e) {
      done.catch(() => {}); // the caller gets `e` below; this promise must not go unhandled
      this.#dropWaiters(q.hash, e);
      throw e;
    }
    this.#settleWaiters(q.hash);
    return done;
  }

  #wait(hash) {
    return new Promise((resolve, reject) => {
      let list = this.#waiters.get(hash);
      if (list === undefined) this.#waiters.set(hash, (list = []));
      list.push({ resolve, reject });
    });
  }

  #dropWaiters(hash, error) {
    const list = this.#waiters.get(hash);
    if (list === undefined) return;
    this.#waiters.delete(hash);
    for (const w of list) w.reject(error);
  }

  // Waiters of a query resolve when no fetch is under way any more.
  #settleWaiters(hash) {
    const list = this.#waiters.get(hash);
    if (list === undefined) return;
    const raw = this.#states.get(hash);
    if (raw === undefined) {
      this.#dropWaiters(hash, new StrataError('CANCELLED', 'the query was removed before its fetch settled'));
      return;
    }
    if (raw.fetchStatus !== 'idle') return;
    this.#waiters.delete(hash);
    const state = this.#state(hash);
    for (const w of list) {
      if (state.status === 'error') w.reject(state.error);
      else w.resolve(state.data);
    }
  }

  #subscribe(index, key, listener) {
    if (typeof listener !== 'function') throw invalidArgument('listener must be a function');
    let set = index.get(key);
    if (set === undefined) index.set(key, (set = new Set()));
    const sub = { listener }; // one object per subscription: the same function may subscribe twice
    set.add(sub);
    return () => {
      set.delete(sub);
      if (set.size === 0 && index.get(key) === set) index.delete(key);
    };
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
    const changed = this.#snap.applyBatch(b);
    const queries = new Set(changed.queries);
    const errored = [];
    for (const [hash, state] of b.s || []) {
      const prev = this.#states.get(hash);
      this.#states.set(hash, state);
      queries.add(hash);
      if (state.status === 'error' && (!prev || prev.errorUpdatedAt !== state.errorUpdatedAt)) errored.push(hash);
    }
    for (const hash of b.rq || []) {
      this.#states.delete(hash);
      this.#stateViews.delete(hash);
      this.#sources.delete(hash);
    }
    const started = this.#actions(b.a || []);
    this.#schedule(b.w);
    if (b.y) {
      // The list is fetched from the core on the next mutations() call.
      this.#setSync(b.y.state, true);
      if (this.#leader && this.#tabs) {
        // Followers take only these from the sender; post when they change.
        const { inflight, lastError, lastSyncAt } = b.y.state;
        const posted = JSON.stringify([inflight, lastError, lastSyncAt]);
        if (posted !== this.#syncPosted) {
          this.#syncPosted = posted;
          this.#tabs.post({ t: 'sync', state: b.y.state });
        }
      }
    }
    if (b.ob) this.#writeOutbox(b.ob);
    if (b.p && this.#cacheTimer === undefined) this.#cacheTimer = setTimeout(() => this.#flushCache(), CACHE_DELAY);
    if (this.#tabs && b.ms && b.ms.length) {
      // Other tabs get the server data before they drop the settled layers.
      this.#flushCache();
      for (const [id, ok, value] of b.ms) {
        if (ok || value.code !== 'CLEARED') this.#tabs.post({ t: 'done', id, ok, value });
      }
    }
    this.#enqueue(this.#entitySubs, changed.entities);
    this.#enqueue(this.#querySubs, queries);
    this.#drain();
    for (const hash of queries) this.#settleWaiters(hash);
    for (const [id, ok, value] of b.ms || []) this.#settleMutation(id, ok, value);
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
    let state = raw;
    if (!this.#leader && this.#remoteSync) {
      const r = this.#remoteSync;
      state = { ...raw, inflight: r.inflight, lastError: r.lastError, lastSyncAt: r.lastSyncAt };
    }
    this.#sync = {
      list: listChanged ? null : this.#sync.list,
      state: Object.freeze({ ...state, lastError: errorFromState(state.lastError) }),
      raw,
    };
    for (const sub of this.#syncSubs) this.#queue.push(this.#syncSubs, sub);
  }

  // ---- persistence and tabs ------------------------------------------------------------------

  // IndexedDB work runs one step at a time, in order; a failed step never blocks later ones.
  #ioStep(step) {
    this.#io = this.#io.then(step).catch((e) => report(e));
    return this.#io;
  }

  // Outbox records the core asked for, written in one strict transaction; then the new
  // mutations among them count as queued (and may be sent).
  //
  // Group commit: records that arrive while a write is under way (a burst of mutate() calls)
  // wait for it and then go together in the next transaction, the latest record per id.
  #writeOutbox(changes) {
    const persistence = this.#persistence;
    if (!persistence) return;
    if (this.#outboxPending) {
      for (const [id, record] of changes) {
        this.#outboxPending.delete(id);
        this.#outboxPending.set(id, record);
      }
      return;
    }
    this.#outboxPending = new Map(changes);
    this.#ioStep(async () => {
      const batch = [...this.#outboxPending];
      this.#outboxPending = null;
      const ids = JSON.stringify(batch.filter(([, record]) => record).map(([id]) => id));
      try {
        await persistence.writeOutbox(batch);
      } catch (e) {
        if (this.#closed) return;
        const err = storageError(e, 'saving the mutation');
        this.#run(() => this.#core.persistFailed(ids, err.code, err.message));
        return;
      }
      if (this.#closed) return;
      if (ids !== '[]') this.#run(() => this.#core.persisted(ids));
      this.#tabs?.post({ t: 'outbox' });
    });
  }

  // The base records and query results changed since the last call: to the other tabs now,
  // to IndexedDB in one relaxed transaction.
  #flushCache() {
    clearTimeout(this.#cacheTimer);
    this.#cacheTimer = undefined;
    if (this.#closed || !this.#persistence) return;
    let text;
    try {
      text = this.#core.takeCacheDelta();
    } catch (e) {
      report(fromCore(e));
      return;
    }
    const delta = JSON.parse(text);
    if (delta.e.length === 0 && delta.q.length === 0) return;
    this.#tabs?.post({ t: 'cache', delta: text });
    this.#persistence.writeCache(delta, this.#buster).catch((e) => report(storageError(e, 'saving the cache')));
  }

  #onTab(msg) {
    if (this.#closed || !msg || typeof msg !== 'object') return;
    try {
      switch (msg.t) {
        case 'cache':
          this.#run(() => this.#core.applyCache(msg.delta, false));
          break;
        case 'outbox':
          this.#ioStep(async () => {
            const records = await this.#persistence.readOutbox();
            if (!this.#closed) this.#run(() => this.#core.reconcileOutbox(JSON.stringify(records)));
          });
          break;
        case 'done':
          // The mutation was sent by another tab: settle this tab's promise for it.
          if (this.#pendingMutations.has(msg.id)) this.#settleMutation(msg.id, msg.ok, msg.value);
          if (msg.ok) this.#run(() => this.#core.forgetMutation(msg.id));
          break;
        case 'sync':
          if (!this.#leader) {
            this.#remoteSync = msg.state;
            this.#setSync(this.#sync.raw ?? msg.state, false);
            this.#drain();
          }
          break;
        case 'flush':
          if (this.#leader) this.flush().then(() => this.#tabs?.post({ t: 'flushed', nonce: msg.nonce }), report);
          break;
        case 'flushed': {
          const resolve = this.#flushAsks.get(msg.nonce);
          this.#flushAsks.delete(msg.nonce);
          resolve?.();
          break;
        }
        case 'clear':
          this.#wipe();
          break;
        default:
      }
    } catch (e) {
      report(e);
    }
  }

  #askSenderToFlush() {
    const nonce = newId();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#flushAsks.delete(nonce);
        resolve();
      }, FLUSH_ASK_TIMEOUT);
      this.#flushAsks.set(nonce, () => {
        clearTimeout(timer);
        resolve();
      });
      this.#tabs.post({ t: 'flush', nonce });
    });
  }

  // Memory now; IndexedDB after this tab's pending writes (so none of them outlives the wipe).
  #wipe() {
    clearTimeout(this.#cacheTimer);
    this.#cacheTimer = undefined;
    this.#remoteSync = null;
    this.#run(() => this.#core.clear());
    const persistence = this.#persistence;
    if (persistence) this.#ioStep(() => persistence.clear());
  }

  #actions(actions) {
    const started = [];
    const aborted = [];
    for (const a of actions) {
      if (a[0] === 'f') {
        this.#startFetch(a[1], a[2], a[3], a[4]);
        started.push(a[1]);
      } else if (a[0] === 'm') {
        this.#send(a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
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
        this.#dropWaiters(hash, new StrataError('CANCELLED', 'the fetch was cancelled (cancelQueries or removeQueries)'));
      }
    }
    return started;
  }

  #startFetch(hash, ticket, url, timeout) {
    const prev = this.#inflight.get(hash);
    if (prev !== undefined && prev.ticket !== ticket) {
      clearTimeout(prev.timer);
      prev.controller.abort();
    }
    const controller = new AbortController();
    const timer =
      typeof timeout === 'number' && Number.isFinite(timeout)
        ? setTimeout(() => controller.abort(TIMEOUT_REASON), Math.min(timeout, MAX_TIMER))
        : undefined;
    this.#inflight.set(hash, { ticket, controller, timer });
    const finish = (call) => {
      const f = this.#inflight.get(hash);
      if (f !== undefined && f.ticket === ticket) {
        clearTimeout(f.timer);
        this.#inflight.delete(hash);
      }
      if (this.#closed) return;
      try {
        this.#run(call);
      } catch (e) {
        report(e);
      }
    };
    if (url !== null) {
      let headers;
      try {
        headers = this.#headers();
      } catch (e) {
        finish(() => this.#core.settleError(hash, ticket, 'INVALID_ARGUMENT', `headers() threw: ${e && e.message}`));
        return;
      }
      this.#core
        .fetchUrl(hash, ticket, url, headers, controller.signal, typeof timeout === 'number' ? timeout : Infinity)
        .then(
          (text) => {
            const f = this.#inflight.get(hash);
            if (f !== undefined && f.ticket === ticket) {
              clearTimeout(f.timer);
              this.#inflight.delete(hash);
            }
            if (!this.#closed) this.#apply(text);
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
      result = Promise.resolve(source.queryFn({ queryKey: source.queryKey, signal: controller.signal }));
    } catch (e) {
      result = Promise.reject(e);
    }
    const aborted = new Promise((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    Promise.race([result, aborted]).then(
      (data) => {
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
        finish(() => this.#core.settleData(hash, ticket, json));
      },
      (e) => {
        if (controller.signal.aborted && controller.signal.reason === TIMEOUT_REASON) {
          finish(() => this.#core.settleError(hash, ticket, 'TIMEOUT', `queryFn did not settle within ${timeout} ms`));
        } else {
          const err = queryFnError(e);
          finish(() => this.#core.settleError(hash, ticket, err.code, err.message));
        }
      },
    );
  }

  #mutationDone(id) {
    return new Promise((resolve, reject) => {
      let list = this.#pendingMutations.get(id);
      if (list === undefined) this.#pendingMutations.set(id, (list = []));
      list.push({ resolve, reject });
    });
  }

  #settleMutation(id, ok, value) {
    const list = this.#pendingMutations.get(id);
    this.#pendingMutations.delete(id);
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

  // A mutation request: the app's headers (evaluated now, never stored) under the
  // mutation's own and strata's (Idempotency-Key, If-Match).
  #send(id, ticket, method, url, headers, body, timeout) {
    const controller = new AbortController();
    const timer =
      typeof timeout === 'number' && Number.isFinite(timeout)
        ? setTimeout(() => controller.abort(TIMEOUT_REASON), Math.min(timeout, MAX_TIMER))
        : undefined;
    let all;
    try {
      all = { ...this.#headers(), ...headers };
    } catch (e) {
      report(e);
      all = headers;
    }
    this.#core
      .sendMutation(id, ticket, method, url, all, body, controller.signal, typeof timeout === 'number' ? timeout : Infinity)
      .then(
        (text) => {
          clearTimeout(timer);
          if (!this.#closed) this.#apply(text);
        },
        (e) => {
          clearTimeout(timer);
          report(fromCore(e));
        },
      );
  }

  // Evaluated at send time, never stored.
  #headers() {
    const h = this.#options.headers;
    const value = typeof h === 'function' ? h() : h;
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object') throw invalidArgument('headers must give an object of header names to values');
    return value;
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
    on(window, 'pagehide', () => this.#flushCache());
    if (typeof document !== 'undefined') {
      on(document, 'visibilitychange', () => {
        if (document.visibilityState === 'visible') safe(() => this.#core.focus())();
      });
    }
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      this.#run(() => this.#core.setOnline(false));
    }
  }

  #enqueue(index, keys) {
    if (index.size === 0) return;
    for (const k of keys) {
      const set = index.get(k);
      if (set !== undefined) for (const sub of set) this.#queue.push(set, sub);
    }
  }

  // Listener calls triggered from inside a listener join the queue and run after the current
  // ones, in order; each batch calls each subscription at most once.
  #drain() {
    if (this.#notifying) return;
    this.#notifying = true;
    try {
      const q = this.#queue;
      for (let i = 0; i < q.length; i += 2) {
        const set = q[i];
        const sub = q[i + 1];
        if (!set.has(sub)) continue; // unsubscribed meanwhile
        try {
          sub.listener();
        } catch (e) {
          report(e);
        }
      }
      q.length = 0;
    } finally {
      this.#notifying = false;
    }
  }
}
