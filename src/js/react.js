// strata-store/react: React bindings for a strata Store. Every hook reads through
// useSyncExternalStore; the store hands out the same snapshot object until it changes, so a
// component re-renders only when its own query, entity or sync state changed.
//
// Nothing here runs at import time beyond creating a context (safe to import during SSR); the
// main entry it imports starts compiling the wasm then, in a browser page only.
// React is a peer dependency; this module is only reached through the `strata-store/react` subpath,
// so the main entry stays free of bare imports.

import {
  createContext,
  createElement,
  useCallback,
  useContext,
  useDebugValue,
  useEffect,
  useMemo,
  useRef,
  useSyncExternalStore,
} from 'react';
// The main entry's own copy of these (one StrataError class for `instanceof` across entries,
// and one module to load: the main entry ships as a single file).
import { StrataError, __invalidArgument as invalidArgument, __report as report, __hashKey as hashKey } from './index.js';

const StoreContext = createContext(null);

/** Provides `store` to every hook below it: `<StoreProvider store={store}>...</StoreProvider>`. */
export function StoreProvider({ store, children }) {
  if (store === null || typeof store !== 'object' || typeof store.getQueryState !== 'function') {
    throw invalidArgument('<StoreProvider store={...}> needs the Store that createStore() resolved with');
  }
  return createElement(StoreContext.Provider, { value: store }, children);
}

/** The store of the nearest `<StoreProvider>`. */
export function useStore() {
  const store = useContext(StoreContext);
  if (store === null) {
    throw new StrataError('INVALID_ARGUMENT', 'strata hooks need a <StoreProvider store={store}> above the component');
  }
  return store;
}

const HYDRATE_NEW = Symbol.for('strata.hydrateNew'); // the Store's render-time hydrate

/**
 * Applies a state `store.dehydrate()` made (on the server) to the store of the nearest
 * `<StoreProvider>` before its children read, so the first client render matches the server's.
 * As TanStack's HydrationBoundary: what the store has never seen (new queries, new entities)
 * is applied during the render; data the store already shows is updated in an effect (never
 * during a render), and only when the state's is newer.
 */
export function HydrationBoundary({ state, children }) {
  const store = useStore();
  useMemo(() => {
    if (state !== undefined && state !== null) store[HYDRATE_NEW](state);
  }, [store, state]);
  useEffect(() => {
    if (state !== undefined && state !== null) store.hydrate(state);
  }, [store, state]);
  return children ?? null;
}

// ---- useQuery ------------------------------------------------------------------------------

// The state of a query the store does not know yet (before the first subscription). Frozen
// constants, so getSnapshot returns the same object on every call.
const placeholder = (fetchStatus) =>
  Object.freeze({
    status: 'pending',
    fetchStatus,
    data: undefined,
    error: null,
    dataUpdatedAt: 0,
    errorUpdatedAt: 0,
    isStale: true,
    failureCount: 0,
  });
const PENDING_IDLE = placeholder('idle');
const PENDING_FETCHING = placeholder('fetching');

const MIN_SUSPENSE_STALE = 1000;

// Options of one component's result, not of the query (the store never sees them).
const RESULT_OPTIONS = ['select', 'suspense', 'placeholderData', 'throwOnError', 'notifyOnChangeProps'];
// Options a function may stand for; the latest render's function is the one called.
const FUNCTION_OPTIONS = ['queryFn', 'enabled', 'staleTime', 'retry', 'retryDelay', 'refetchInterval', 'initialData', 'initialDataUpdatedAt'];
const DYNAMIC_OPTIONS = ['enabled', 'staleTime', 'refetchInterval'];
const REFRESH = Symbol.for('strata.refreshOptions'); // Store: evaluate function options again

// What identifies a query observer across renders: the canonical queryKey hash plus the
// JSON of the other options (functions count by presence only; the latest one is called).
function optionsKey(queryKey, rest) {
  const json = JSON.stringify(rest, (_k, v) => (typeof v === 'function' ? '[fn]' : v === Infinity ? 'Infinity' : v));
  return `${hashKey(queryKey)}\u0000${json}`;
}

/** Splits hook options: `{ result, query }` (what shapes this component's result, and the query's options). */
function splitHookOptions(options, what) {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument(`${what} expects options like { queryKey, url | queryFn, shape }`);
  }
  const result = {};
  const query = {};
  for (const [k, v] of Object.entries(options)) (RESULT_OPTIONS.includes(k) ? result : query)[k] = v;
  if (result.select !== undefined && typeof result.select !== 'function') throw invalidArgument('`select` must be a function (data) => selected');
  if (query.queryFn !== undefined && typeof query.queryFn !== 'function') {
    throw invalidArgument('`queryFn` must be a function ({ queryKey, signal }) => Promise<data>');
  }
  const n = result.notifyOnChangeProps;
  if (n !== undefined && n !== 'all' && !Array.isArray(n) && typeof n !== 'function') {
    throw invalidArgument("`notifyOnChangeProps` must be a list of result property names, 'all', or a function returning one");
  }
  const t = result.throwOnError;
  if (t !== undefined && typeof t !== 'boolean' && typeof t !== 'function') throw invalidArgument('`throwOnError` must be a boolean or a function (error, query) => boolean');
  return { result, query };
}

/**
 * The options a subscription gets: stable until `key` changes; each function-valued option
 * is a wrapper calling the latest render's function (`latest()` gives those options).
 */
function observerOptionsOf(query, latest, suspense) {
  const o = { ...query };
  for (const name of FUNCTION_OPTIONS) {
    if (typeof query[name] === 'function') o[name] = (...args) => latest()[name](...args);
  }
  // A suspended component subscribes only after its fetch landed; with staleTime 0 that
  // subscription would fetch again at once. As TanStack Query does, suspense queries keep
  // data fresh for at least a second (the store's defaults cannot be read from here).
  if (suspense && (o.staleTime === undefined || (typeof o.staleTime === 'number' && o.staleTime < MIN_SUSPENSE_STALE))) {
    o.staleTime = MIN_SUSPENSE_STALE;
  }
  return o;
}

const hasDynamic = (query) => DYNAMIC_OPTIONS.some((k) => typeof query[k] === 'function');
const willFetch = (o) => o.enabled !== false && (o.url !== undefined || o.queryFn !== undefined);

const suspended = new WeakMap(); // store -> Map<hash, Promise> of the fetch a Suspense boundary waits on

function suspendOn(store, hash, options) {
  let byHash = suspended.get(store);
  if (byHash === undefined) suspended.set(store, (byHash = new Map()));
  let promise = byHash.get(hash);
  if (promise === undefined) {
    // Settles either way: React renders again, then reads the data or throws the error.
    promise = store.fetchQuery(options).then(
      () => byHash.delete(hash),
      () => byHash.delete(hash),
    );
    byHash.set(hash, promise);
  }
  return promise;
}

/** A result memo: what one component remembers of its query between renders. */
function newMemo() {
  return { select: undefined, data: undefined, selected: undefined, hash: undefined, placeholder: undefined, last: undefined, result: undefined, key: [] };
}

const sameList = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The hook result of `state` (TanStack's QueryObserverResult): `select` applied,
 * `placeholderData` shown while there is no data (`isPlaceholderData`), the derived flags.
 * The same object while nothing in it changed.
 */
function resultOf(store, hash, state, resultOptions, memo, refetch) {
  const { select, placeholderData } = resultOptions;
  let data = state.data;
  let status = state.status;
  let isPlaceholderData = false;
  if (data !== undefined) {
    memo.last = { data, hash }; // the previous data a placeholderData function gets
  } else if (status === 'pending' && placeholderData !== undefined) {
    if (memo.hash !== hash || memo.placeholder === undefined) {
      const prev = memo.last;
      const query = prev ? store.queries({ queryKey: JSON.parse(prev.hash), exact: true })[0] : undefined;
      memo.placeholder = { value: typeof placeholderData === 'function' ? placeholderData(prev?.data, query) : placeholderData };
      memo.hash = hash;
    }
    if (memo.placeholder.value !== undefined) {
      data = memo.placeholder.value;
      status = 'success';
      isPlaceholderData = true;
    }
  }
  if (data !== undefined && !isPlaceholderData) memo.placeholder = undefined;
  if (select !== undefined && data !== undefined) {
    if (memo.select !== select || memo.data !== data) {
      memo.select = select;
      memo.data = data;
      memo.selected = select(data);
    }
    data = memo.selected;
  }
  const key = [state, data, status, isPlaceholderData, refetch];
  if (memo.result !== undefined && sameList(memo.key, key)) return memo.result;
  memo.key = key;
  memo.result = {
    ...state,
    status,
    data,
    refetch,
    isPlaceholderData,
    isPending: status === 'pending',
    isSuccess: status === 'success',
    isError: status === 'error',
    isFetching: state.fetchStatus === 'fetching',
    isPaused: state.fetchStatus === 'paused',
    isLoading: status === 'pending' && state.fetchStatus === 'fetching',
    isRefetching: state.fetchStatus === 'fetching' && status !== 'pending',
  };
  return memo.result;
}

// throwOnError: an error the fetch settled with goes to the nearest error boundary.
function shouldThrow(store, result, throwOnError, queryKey) {
  if (!result.isError || result.isFetching || !throwOnError) return false;
  if (typeof throwOnError !== 'function') return true;
  return Boolean(throwOnError(result.error, store.queries({ queryKey, exact: true })[0]));
}

/** `refetch()` of exactly this query (TanStack's `cancelRefetch`: a fetch under way is superseded). */
function refetchOf(store, queryKey) {
  return () =>
    store
      .refetchQueries({ queryKey, exact: true })
      .then(() => store.getQueryState(queryKey));
}

/**
 * Observes a query: subscribes with `options` (minus this component's result options) while
 * mounted, which fetches when there is no data or it is stale. Returns the query state plus
 * `refetch`, `isPending`, `isFetching`, `isLoading`, `isRefetching`, `isError`, `isSuccess`,
 * `isPlaceholderData`.
 */
export function useQuery(options) {
  const store = useStore();
  const { result: resultOptions, query } = splitHookOptions(options, 'useQuery');
  const { suspense = false, throwOnError = false, notifyOnChangeProps } = resultOptions;
  const latestRef = useRef(query);
  latestRef.current = query;
  const latest = useCallback(() => latestRef.current, []);

  const key = optionsKey(query.queryKey, { ...query, suspense: Boolean(suspense) });
  // Stable across renders until the key or an option changes: re-renders do not resubscribe.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` covers queryKey and every option
  const observerOptions = useMemo(() => observerOptionsOf(query, latest, suspense), [key, latest]);
  const hash = hashKey(observerOptions.queryKey);
  const subscribe = useCallback((listener) => store.subscribeQuery(observerOptions, listener), [store, observerOptions]);
  const fetching = willFetch(observerOptions);
  const read = useCallback(
    () => store.getQueryState(observerOptions.queryKey) ?? (fetching ? PENDING_FETCHING : PENDING_IDLE),
    [store, observerOptions, fetching],
  );
  const refetch = useMemo(() => refetchOf(store, observerOptions.queryKey), [store, observerOptions]);
  const memo = useRef(null);
  if (memo.current === null) memo.current = newMemo();

  // notifyOnChangeProps: the snapshot React compares stays the state last notified while none
  // of the listed result properties changed, so other changes do not re-render.
  const notified = useRef({ state: undefined, result: undefined });
  const notifyRef = useRef(notifyOnChangeProps);
  notifyRef.current = notifyOnChangeProps;
  const resultRef = useRef(resultOptions);
  resultRef.current = resultOptions;
  const getSnapshot = useCallback(() => {
    const state = read();
    const n = notifyRef.current;
    const props = typeof n === 'function' ? n() : n;
    if (!Array.isArray(props)) return state;
    const last = notified.current;
    if (last.state === state) return state;
    const probe = resultOf(store, hash, state, resultRef.current, newMemo(), refetch);
    if (last.result !== undefined && props.every((p) => Object.is(last.result[p], probe[p]))) return last.state;
    notified.current = { state, result: probe };
    return state;
  }, [read, store, hash, refetch]);
  const snapshot = useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
  // Rendered for any reason, the component shows the latest state (as TanStack's observer).
  const state = notifyOnChangeProps === undefined || notifyOnChangeProps === 'all' ? snapshot : read();

  // Function-valued options may read props that changed with this render.
  useEffect(() => {
    if (hasDynamic(latestRef.current)) store[REFRESH]?.(observerOptions.queryKey);
  });

  if (suspense && observerOptions.enabled !== false && state.data === undefined) {
    // No data: wait for the fetch (also a retry of a failed query that is under way, e.g.
    // refetchQueries before an error boundary is reset); a settled error goes to the boundary.
    if (state.status === 'pending' || state.fetchStatus !== 'idle') {
      throw suspendOn(store, hash, observerOptions);
    }
    if (state.status === 'error') throw state.error;
  }

  const result = resultOf(store, hash, state, resultOptions, memo.current, refetch);
  if (shouldThrow(store, result, throwOnError, observerOptions.queryKey)) throw result.error;
  useDebugValue(result.status);
  return result;
}

/** `useQuery` in Suspense mode: the component renders once data is there. */
export function useSuspenseQuery(options) {
  if (options !== null && typeof options === 'object') {
    for (const k of ['enabled', 'placeholderData', 'suspense']) {
      if (k in options) throw invalidArgument(`useSuspenseQuery does not take \`${k}\` (it always suspends until there is data)`);
    }
  }
  return useQuery({ ...options, suspense: true });
}

/**
 * Several queries in one hook (their number may change between renders): an array of
 * `useQuery` results, or what `combine(results)` makes of it.
 */
export function useQueries(options) {
  const store = useStore();
  if (options === null || typeof options !== 'object' || !Array.isArray(options.queries)) {
    throw invalidArgument('useQueries expects { queries: [...options], combine? }');
  }
  const { queries, combine, ...other } = options;
  for (const k of Object.keys(other)) throw invalidArgument(`unknown useQueries option \`${k}\`; known: queries, combine`);
  if (combine !== undefined && typeof combine !== 'function') throw invalidArgument('`combine` must be a function (results) => value');
  const split = queries.map((q, i) => {
    const s = splitHookOptions(q, `useQueries queries[${i}]`);
    for (const k of ['suspense', 'notifyOnChangeProps']) {
      if (k in s.result) throw invalidArgument(`useQueries: \`${k}\` is not supported per query (queries[${i}])`);
    }
    return s;
  });
  const latestRef = useRef(split);
  latestRef.current = split;
  const key = split.map((s) => optionsKey(s.query.queryKey, s.query)).join('\u0001');
  const observers = useMemo(
    () => split.map((s, i) => observerOptionsOf(s.query, () => latestRef.current[i].query, false)),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` covers every query's options
    [key],
  );
  const subscribe = useCallback(
    (listener) => {
      const offs = observers.map((o) => store.subscribeQuery(o, listener));
      return () => offs.forEach((off) => off());
    },
    [store, observers],
  );
  const states = useRef({ list: [] });
  const getSnapshot = useCallback(() => {
    const next = observers.map((o) => store.getQueryState(o.queryKey) ?? (willFetch(o) ? PENDING_FETCHING : PENDING_IDLE));
    if (!sameList(states.current.list, next)) states.current = { list: next };
    return states.current.list;
  }, [store, observers]);
  const list = useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
  const refetches = useMemo(() => observers.map((o) => refetchOf(store, o.queryKey)), [store, observers]);
  const memos = useRef([]);
  useEffect(() => {
    for (const s of latestRef.current) if (hasDynamic(s.query)) store[REFRESH]?.(s.query.queryKey);
  });
  const results = list.map((state, i) => {
    memos.current[i] ??= newMemo();
    const r = resultOf(store, hashKey(observers[i].queryKey), state, split[i].result, memos.current[i], refetches[i]);
    if (shouldThrow(store, r, split[i].result.throwOnError, observers[i].queryKey)) throw r.error;
    return r;
  });
  memos.current.length = list.length;
  const out = useRef({ results: [], combine: undefined, value: undefined });
  if (!sameList(out.current.results, results) || out.current.combine !== combine || out.current.value === undefined) {
    const same = sameList(out.current.results, results);
    const stable = same ? out.current.results : results;
    out.current = { results: stable, combine, value: combine ? combine(stable) : stable };
  }
  return out.current.value;
}

/** A typed options object for useQuery, fetchQuery, ensureQueryData... (identity at run time). */
export function queryOptions(options) {
  return options;
}

/** A typed options object for useInfiniteQuery, fetchInfiniteQuery... (identity at run time). */
export function infiniteQueryOptions(options) {
  return options;
}

/** How many queries (matching `filters`) are fetching, re-rendering when it changes. */
export function useIsFetching(filters) {
  const store = useStore();
  const ref = useRef(filters);
  ref.current = filters;
  const subscribe = useCallback((listener) => store.subscribeQueries(listener), [store]);
  const getSnapshot = useCallback(() => store.isFetching(ref.current), [store]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}

/** How many mutations (matching `filters`) are under way, re-rendering when it changes. */
export function useIsMutating(filters) {
  const store = useStore();
  const ref = useRef(filters);
  ref.current = filters;
  const subscribe = useCallback((listener) => store.subscribeSync(listener), [store]);
  const getSnapshot = useCallback(() => store.isMutating(ref.current), [store]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}

/**
 * `select(mutation)` (default: the entry itself) of every `store.mutations()` entry matching
 * `filters` (`{ status?, predicate? }`): the same array until one of them changes.
 */
export function useMutationState(options = {}) {
  const store = useStore();
  if (options === null || typeof options !== 'object') throw invalidArgument('useMutationState expects { filters?, select? }');
  const { filters, select, ...other } = options;
  for (const k of Object.keys(other)) throw invalidArgument(`unknown useMutationState option \`${k}\`; known: filters, select`);
  if (select !== undefined && typeof select !== 'function') throw invalidArgument('`select` must be a function (mutation) => value');
  const ref = useRef({ filters, select });
  ref.current = { filters, select };
  const last = useRef({ out: [] });
  const subscribe = useCallback((listener) => store.subscribeSync(listener), [store]);
  const getSnapshot = useCallback(() => {
    const { filters: f, select: sel } = ref.current;
    const next = store.mutations(f).map((m) => (sel ? sel(m) : m));
    if (!sameList(last.current.out, next)) last.current = { out: next };
    return last.current.out;
  }, [store]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}

// ---- useInfiniteQuery ----------------------------------------------------------------------

const PAGE_FNS = ['url', 'queryFn', 'getNextPageParam', 'getPreviousPageParam'];
const NO_PAGES = Object.freeze({ hasNextPage: false, hasPreviousPage: false, isFetchingNextPage: false, isFetchingPreviousPage: false });
const INFINITE_IDLE = Object.freeze({ ...PENDING_IDLE, ...NO_PAGES });
const INFINITE_FETCHING = Object.freeze({ ...PENDING_FETCHING, ...NO_PAGES });

/**
 * Observes an infinite query (`store.subscribeInfiniteQuery`): `data` is `{ pages, pageParams }`;
 * also `fetchNextPage`, `fetchPreviousPage`, `hasNextPage`, `hasPreviousPage`,
 * `isFetchingNextPage`, `isFetchingPreviousPage`, `refetch` and the flags `useQuery` returns.
 */
export function useInfiniteQuery(options) {
  const store = useStore();
  if (options === null || typeof options !== 'object') {
    throw invalidArgument('useInfiniteQuery expects options like { queryKey, url | queryFn, shape, initialPageParam, getNextPageParam }');
  }
  const { select, queryKey, ...rest } = options;
  if (select !== undefined && typeof select !== 'function') throw invalidArgument('`select` must be a function (data) => selected');
  // The latest page functions are called through wrappers of stable identity.
  const fns = useRef({});
  fns.current = rest;
  const wrappers = useMemo(() => {
    const w = {};
    for (const name of PAGE_FNS) w[name] = (...args) => fns.current[name](...args);
    return w;
  }, []);
  const key = optionsKey(queryKey, rest);
  const observerOptions = useMemo(() => {
    const o = { queryKey, ...rest };
    for (const name of PAGE_FNS) if (typeof rest[name] === 'function') o[name] = wrappers[name];
    return o;
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` covers queryKey and every option
  }, [key, wrappers]);

  const subscribe = useCallback((listener) => store.subscribeInfiniteQuery(observerOptions, listener), [store, observerOptions]);
  const willFetch = observerOptions.enabled !== false;
  const getSnapshot = useCallback(
    () => store.getInfiniteQueryState(observerOptions.queryKey) ?? (willFetch ? INFINITE_FETCHING : INFINITE_IDLE),
    [store, observerOptions, willFetch],
  );
  const state = useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
  const fetchNextPage = useCallback(() => store.fetchNextPage(observerOptions.queryKey), [store, observerOptions]);
  const fetchPreviousPage = useCallback(() => store.fetchPreviousPage(observerOptions.queryKey), [store, observerOptions]);
  const refetch = useCallback(
    () => store.refetchQueries({ queryKey: observerOptions.queryKey, exact: true }).then(() => store.getInfiniteQueryState(observerOptions.queryKey)),
    [store, observerOptions],
  );

  const selected = useRef({ data: undefined, select: undefined, value: undefined, done: false });
  let data = state.data;
  if (select !== undefined && data !== undefined) {
    const s = selected.current;
    if (!s.done || s.data !== data || s.select !== select) selected.current = { data, select, value: select(data), done: true };
    data = selected.current.value;
  }
  const result = useMemo(
    () => ({
      ...state,
      data,
      fetchNextPage,
      fetchPreviousPage,
      refetch,
      isPending: state.status === 'pending',
      isSuccess: state.status === 'success',
      isError: state.status === 'error',
      isFetching: state.fetchStatus === 'fetching',
      isPaused: state.fetchStatus === 'paused',
      isLoading: state.status === 'pending' && state.fetchStatus === 'fetching',
    }),
    [state, data, fetchNextPage, fetchPreviousPage, refetch],
  );
  useDebugValue(result.status);
  return result;
}

// ---- useEntity, useSyncState ---------------------------------------------------------------

const noSubscribe = () => () => {};
const nothing = () => undefined;

/** The entity `(type, id)` with its relations expanded; undefined while not cached (or id is null). */
export function useEntity(type, id) {
  const store = useStore();
  const none = id === null || id === undefined;
  const subscribe = useCallback((listener) => store.subscribeEntity(type, id, listener), [store, type, id]);
  const getSnapshot = useCallback(() => store.getEntity(type, id), [store, type, id]);
  return useSyncExternalStore(none ? noSubscribe : subscribe, none ? nothing : getSnapshot, none ? nothing : getSnapshot);
}

/** `{ online, pending, inflight, failed, conflicts, lastError, lastSyncAt }`, re-rendering when it changes. */
export function useSyncState() {
  const store = useStore();
  const subscribe = useCallback((listener) => store.subscribeSync(listener), [store]);
  const getSnapshot = useCallback(() => store.syncState(), [store]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}

/** `{ status, lastEventId, lastMessageAt, reconnects, error }` of `store.connect()`'s connection. */
export function useConnection() {
  const store = useStore();
  const subscribe = useCallback((listener) => store.subscribeConnection(listener), [store]);
  const getSnapshot = useCallback(() => store.connectionState(), [store]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}

// ---- useMutation ---------------------------------------------------------------------------

const IDLE = Object.freeze({ status: 'idle', data: undefined, error: null, variables: undefined, id: undefined, submittedAt: 0 });

// 'queued': waiting for the network (offline, or sent and queued again after a network error,
// a retryable answer or a 401 pause) rather than simply waiting for its answer.
function isQueued(store, id) {
  if (!store.syncState().online) return true;
  if (id === undefined) return false;
  const entry = store.mutations().find((m) => m.id === id);
  return entry !== undefined && entry.status === 'queued' && entry.attempts > 0;
}

// A callback's error is reported; it changes nothing else.
function call(fn, ...args) {
  if (typeof fn !== 'function') return;
  try {
    fn(...args);
  } catch (e) {
    report(e);
  }
}

/**
 * The state of one component's mutation calls, without React: idle -> pending (<-> queued)
 * -> success | error, of the latest call (reset() goes back to idle and lets earlier calls
 * change nothing). `getResult()` is the same object until that state or the queued flag
 * changed; `subscribe(listener)` calls the listener when it may have (it watches the store's
 * sync state only while a call is pending). `options` is the latest useMutation options.
 */
class MutationObserver {
  #store;
  #state = IDLE;
  #latest = 0;
  #listeners = new Set();
  #offSync = null;
  #result = { state: null, queued: false, value: undefined };

  constructor(store) {
    this.#store = store;
    this.options = null;
    // Own properties: stable identities for the component and for useSyncExternalStore.
    this.mutateAsync = (variables, callbacks) => this.#mutate(variables, callbacks);
    this.mutate = (variables, callbacks) => {
      this.#mutate(variables, callbacks).catch(() => {}); // the error is in `error` and onError
    };
    this.reset = () => {
      this.#latest++;
      this.#set(IDLE);
    };
    this.subscribe = (listener) => {
      this.#listeners.add(listener);
      this.#watch();
      return () => {
        this.#listeners.delete(listener);
        this.#watch();
      };
    };
    this.getResult = () => this.#getResult();
  }

  #mutate(variables, callbacks) {
    const n = ++this.#latest;
    const { mutation, onSuccess, onError, onSettled } = this.options;
    const own = { onSuccess, onError, onSettled };
    let promise;
    try {
      promise = this.#store.mutate(mutation(variables));
    } catch (e) {
      promise = Promise.reject(e);
    }
    const id = promise.id; // store.mutate names the mutation's entry on its promise
    this.#set({ status: 'pending', data: undefined, error: null, variables, id, submittedAt: Date.now() });
    // One ending for both outcomes: the observer's state (if this is still the latest call),
    // the hook's callbacks, then this call's own (only for the latest call, as TanStack does).
    const end = (ok, data, error) => {
      const latest = n === this.#latest;
      if (latest) this.#set({ status: ok ? 'success' : 'error', data, error, variables, id, submittedAt: 0 });
      for (const cb of latest ? [own, callbacks] : [own]) {
        call(ok ? cb?.onSuccess : cb?.onError, ok ? data : error, variables);
        call(cb?.onSettled, data, error, variables);
      }
    };
    return promise.then(
      (data) => {
        end(true, data, null);
        return data;
      },
      (error) => {
        end(false, undefined, error);
        throw error;
      },
    );
  }

  #set(state) {
    this.#state = state;
    this.#watch();
    this.#emit();
  }

  #emit() {
    for (const listener of [...this.#listeners]) listener();
  }

  // Whether the call is queued can change only while it is pending: watch the sync state then.
  #watch() {
    const watch = this.#state.status === 'pending' && this.#listeners.size > 0;
    if (watch && this.#offSync === null) {
      // (A closed store throws CLOSED here: not from mutate(), the next render reads it.)
      try {
        this.#offSync = this.#store.subscribeSync(() => this.#emit());
      } catch {
        // nothing to watch
      }
    } else if (!watch && this.#offSync !== null) {
      this.#offSync();
      this.#offSync = null;
    }
  }

  #getResult() {
    const state = this.#state;
    const queued = state.status === 'pending' && isQueued(this.#store, state.id);
    const r = this.#result;
    if (r.state === state && r.queued === queued) return r.value;
    const status = queued ? 'queued' : state.status;
    const value = {
      mutate: this.mutate,
      mutateAsync: this.mutateAsync,
      reset: this.reset,
      status,
      data: state.data,
      error: state.error,
      variables: state.variables,
      mutationId: state.id,
      submittedAt: state.submittedAt,
      isIdle: status === 'idle',
      isPending: status === 'pending' || status === 'queued',
      isQueued: status === 'queued',
      isSuccess: status === 'success',
      isError: status === 'error',
    };
    this.#result = { state, queued, value };
    return value;
  }
}

/**
 * `useMutation({ mutation: (variables) => description, onSuccess?, onError?, onSettled? })`.
 * The description is data (it may be persisted); the callbacks live only in this component.
 * Returns `{ mutate, mutateAsync, status, data, error, variables, mutationId, submittedAt,
 * reset, isIdle, isPending, isQueued, isSuccess, isError }`; `status` is 'idle' | 'pending' |
 * 'queued' | 'success' | 'error'. A MutationObserver holds the state; this hook reads it.
 */
export function useMutation(options) {
  const store = useStore();
  if (options === null || typeof options !== 'object' || typeof options.mutation !== 'function') {
    throw invalidArgument('useMutation expects { mutation: (variables) => ({ request, optimistic?, shape?, ... }), onSuccess?, onError? }');
  }
  const observer = useMemo(() => new MutationObserver(store), [store]);
  observer.options = options; // the latest callbacks and mutation are called
  return useSyncExternalStore(observer.subscribe, observer.getResult, observer.getResult);
}
