// What the JS side keeps per query beside the core's lifecycle: the queryKey as the app wrote
// it, `meta`, `initialData`, the subscriptions (their count, and the function-valued options of
// the latest one, evaluated here and sent to the core as values), and the public listing
// (`store.queries()`) built from it. Query options are split here too: what the core reads as
// JSON, and what stays in JS.

import { invalidArgument, report } from './errors.js';
import { hashKey, describe } from './keys.js';

// Options TanStack allows as functions that strata evaluates in JS (the core gets values).
const DYNAMIC = ['enabled', 'staleTime', 'refetchInterval'];
const RETRY = ['retry', 'retryDelay'];
// Options of an observer's result (useQuery), not of the query: the store has no result.
const HOOK_ONLY = ['select', 'suspense', 'placeholderData', 'throwOnError', 'notifyOnChangeProps'];

const PENDING = Object.freeze({
  status: 'pending',
  fetchStatus: 'idle',
  data: undefined,
  error: null,
  dataUpdatedAt: 0,
  errorUpdatedAt: 0,
  isStale: true,
  failureCount: 0,
});

/**
 * Splits query options into `json` (what the core reads; functions replaced by markers or
 * taken out), `fns` (enabled/staleTime/refetchInterval functions), `retryFns`, and the JS-only
 * `queryFn`, `meta`, `initialData`. Every function the core cannot take is INVALID_ARGUMENT.
 */
export function splitOptions(options, what) {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument(`${what} expects options like { queryKey, url | queryFn, shape }, got ${describe(options)}`);
  }
  const { queryKey, queryFn, meta, initialData, initialDataUpdatedAt, ...json } = options;
  const hash = hashKey(queryKey);
  if (queryFn !== undefined && typeof queryFn !== 'function') {
    throw invalidArgument('`queryFn` must be a function ({ queryKey, signal, meta }) => Promise<data>');
  }
  if (queryFn) json.queryFn = true;
  if ('askRetry' in json) throw invalidArgument('unknown query option `askRetry`');
  for (const name of HOOK_ONLY) {
    if (name in json) {
      throw invalidArgument(`\`${name}\` is an option of useQuery (it shapes one component's result); ${what} has no result to apply it to`);
    }
  }
  const fns = {};
  for (const name of DYNAMIC) {
    if (typeof json[name] === 'function') {
      fns[name] = json[name];
      delete json[name];
    }
  }
  const retryFns = {};
  for (const name of RETRY) {
    if (typeof json[name] === 'function') {
      retryFns[name] = json[name];
      delete json[name];
      json.askRetry = true; // the core asks at each failure (an "r" action)
    }
  }
  for (const [k, v] of Object.entries(json)) {
    if (typeof v === 'function') throw invalidArgument(`query option \`${k}\` cannot be a function`);
  }
  if (initialDataUpdatedAt !== undefined && typeof initialDataUpdatedAt !== 'number' && typeof initialDataUpdatedAt !== 'function') {
    throw invalidArgument('`initialDataUpdatedAt` must be a time in ms (or a function returning one)');
  }
  return {
    hash,
    queryKey,
    keyJson: JSON.stringify(queryKey),
    json,
    fns,
    retryFns,
    queryFn,
    meta,
    initial: initialData === undefined ? undefined : { data: initialData, at: initialDataUpdatedAt },
  };
}

/** `initialData` (a value or a function) as `[data, updatedAt]`; undefined data: none. */
export function initialValue(initial) {
  if (initial === undefined) return [undefined, undefined];
  const data = typeof initial.data === 'function' ? initial.data() : initial.data;
  const at = typeof initial.at === 'function' ? initial.at() : initial.at;
  return [data, at ?? undefined];
}

export class QueryRegistry {
  #byHash = new Map(); // hash -> { queryKey, meta, initial, observers: Set<record>, latest }
  #state; // the Store's: hash -> the query's state view (getQueryState), or undefined
  #entries = new Map(); // hash -> the listing entry last built
  #list = null; // the listing, null when it must be built again

  constructor(state) {
    this.#state = state;
  }

  #info(hash, queryKey) {
    let info = this.#byHash.get(hash);
    if (info === undefined) {
      info = { queryKey, meta: undefined, initial: undefined, retryFns: undefined, observers: new Set(), latest: null };
      this.#byHash.set(hash, info);
    }
    return info;
  }

  /** A call named the query (subscribe, fetch): its key, meta and initialData are the latest. */
  saw(q) {
    const info = this.#info(q.hash, q.queryKey);
    if (q.meta !== undefined) info.meta = q.meta;
    if (q.initial !== undefined) info.initial = q.initial;
    // As the core's options: the latest call with a source sets them.
    if (q.json.url !== undefined || q.json.queryFn) info.retryFns = q.retryFns;
    this.changed();
    return info;
  }

  /** A subscription starts; returns its record (the options it sent, evaluated). */
  observe(q) {
    const info = this.saw(q);
    const record = { q, sent: null };
    info.observers.add(record);
    // The core keeps the latest options that have a source (or the only ones there are).
    if (q.json.url !== undefined || q.json.queryFn || info.latest === null) info.latest = record;
    return record;
  }

  unobserve(hash, record) {
    const info = this.#byHash.get(hash);
    if (info === undefined) return;
    info.observers.delete(record);
    this.changed();
  }

  /** The core removed the query for good (gc, removeQueries of an unobserved one). */
  forget(hash) {
    const info = this.#byHash.get(hash);
    if (info === undefined) return;
    // A subscription that outlives it keeps the key (a later subscribe names it again).
    if (info.observers.size === 0) this.#byHash.delete(hash);
    else info.meta = undefined;
    this.changed();
  }

  /** Every subscription's view of this query changes: the listing is built again. */
  changed() {
    this.#list = null;
  }

  has(hash) {
    return this.#byHash.has(hash);
  }

  initial(hash) {
    return this.#byHash.get(hash)?.initial;
  }

  /** The record whose options the core holds for this query, if it has function options. */
  dynamic(hash) {
    const r = this.#byHash.get(hash)?.latest;
    return r && (Object.keys(r.q.fns).length > 0 ? r : null);
  }

  /** The hashes whose latest subscription has function-valued options. */
  dynamicHashes() {
    const out = [];
    for (const [hash, info] of this.#byHash) if (info.latest && Object.keys(info.latest.q.fns).length > 0) out.push(hash);
    return out;
  }

  /** The `retry`/`retryDelay` functions the core asks about (the latest subscription's, or a fetch's). */
  retryFns(hash) {
    return this.#byHash.get(hash)?.retryFns;
  }

  /**
   * The options JSON for the core, the function-valued ones evaluated with the query as
   * `query` (its listing entry; a new query's before it exists). Records what was sent.
   */
  resolve(record) {
    const { q } = record;
    const values = {};
    const entry = this.entry(q.hash) ?? this.#draft(q);
    for (const [name, fn] of Object.entries(q.fns)) {
      let v;
      try {
        v = fn(entry);
      } catch (e) {
        // The last value stands (none yet: the option's default).
        report(e);
        v = record.sent?.[name];
      }
      if (name === 'enabled') v = v !== false;
      else if (name === 'refetchInterval') v = typeof v === 'number' && v > 0 ? v : false;
      else if (v === undefined) continue;
      values[name] = v;
    }
    return values;
  }

  #draft(q) {
    return this.#entry(q.hash, { queryKey: q.queryKey, meta: q.meta, observers: new Set() }, PENDING);
  }

  /** The public listing: one frozen entry per query the core has a lifecycle for. */
  list(hashes) {
    if (this.#list === null) {
      const list = [];
      for (const hash of hashes()) {
        const e = this.entry(hash);
        if (e !== undefined) list.push(e);
      }
      this.#list = Object.freeze(list);
    }
    return this.#list;
  }

  /** One query's listing entry (the same object until its state, meta or observers change). */
  entry(hash) {
    const state = this.#state(hash);
    if (state === undefined) return undefined;
    let info = this.#byHash.get(hash);
    if (info === undefined) {
      // Known from another tab or IndexedDB only: the key is the hash read back.
      info = this.#info(hash, JSON.parse(hash));
    }
    return this.#entry(hash, info, state);
  }

  #entry(hash, info, state) {
    const observers = info.observers.size;
    const enabled = [...info.observers].some((r) => (r.sent?.enabled ?? r.q.json.enabled) !== false);
    const active = observers > 0 && enabled;
    const prev = this.#entries.get(hash);
    if (prev && prev.state === state && prev.meta === info.meta && prev.observers === observers && prev.active === active) {
      return prev.entry;
    }
    const entry = Object.freeze({
      queryKey: info.queryKey,
      queryHash: hash,
      state,
      meta: info.meta,
      observers,
      isActive: () => active,
      isStale: () => state.isStale,
      isDisabled: () => observers > 0 && !enabled,
      getObserversCount: () => observers,
    });
    if (state !== PENDING) this.#entries.set(hash, { entry, state, meta: info.meta, observers, active });
    return entry;
  }

  /** Drops the listing entries of queries that no longer exist. */
  prune(hash) {
    this.#entries.delete(hash);
  }
}
