// strata/react: React bindings for a strata Store. Every hook reads through
// useSyncExternalStore; the store hands out the same snapshot object until it changes, so a
// component re-renders only when its own query, entity or sync state changed.
//
// Nothing here runs at import time beyond creating a context (safe to import during SSR).
// React is a peer dependency; this module is only reached through the `strata/react` subpath,
// so the main entry stays free of bare imports.

import {
  createContext,
  createElement,
  useCallback,
  useContext,
  useDebugValue,
  useMemo,
  useRef,
  useSyncExternalStore,
} from 'react';
import { StrataError, invalidArgument, report } from './errors.js';
import { hashKey } from './keys.js';

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

// What identifies a query observer across renders: the canonical queryKey hash plus the
// JSON of the other options (functions count by presence only; the latest one is called).
function optionsKey(queryKey, rest) {
  const json = JSON.stringify(rest, (_k, v) => (typeof v === 'function' ? '[fn]' : v === Infinity ? 'Infinity' : v));
  return `${hashKey(queryKey)}\u0000${json}`;
}

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

/**
 * Observes a query: subscribes with `options` (minus `select` and `suspense`) while mounted,
 * which fetches when there is no data or it is stale. Returns the query state plus `refetch`,
 * `isPending`, `isFetching`, `isLoading`, `isError`, `isSuccess`.
 */
export function useQuery(options) {
  const store = useStore();
  if (options === null || typeof options !== 'object') {
    throw invalidArgument('useQuery expects options like { queryKey, url | queryFn, shape }');
  }
  const { select, suspense = false, queryKey, queryFn, ...rest } = options;
  if (select !== undefined && typeof select !== 'function') throw invalidArgument('`select` must be a function (data) => selected');
  if (queryFn !== undefined && typeof queryFn !== 'function') {
    throw invalidArgument('`queryFn` must be a function ({ queryKey, signal }) => Promise<data>');
  }

  // The latest queryFn is called through a wrapper of stable identity, so an inline queryFn
  // does not make a new observer on every render.
  const queryFnRef = useRef(queryFn);
  queryFnRef.current = queryFn;
  const callQueryFn = useCallback((ctx) => queryFnRef.current(ctx), []);

  const key = optionsKey(queryKey, { ...rest, queryFn, suspense: Boolean(suspense) });
  // Stable across renders until the key or an option changes: re-renders do not resubscribe.
  const observerOptions = useMemo(() => {
    // Infinity durations pass as they are: the store encodes them for the core.
    const o = { queryKey, ...rest };
    if (queryFn !== undefined) o.queryFn = callQueryFn;
    // A suspended component subscribes only after its fetch landed; with staleTime 0 that
    // subscription would fetch again at once. As TanStack Query does, suspense queries keep
    // data fresh for at least a second (the store's defaults cannot be read from here).
    if (suspense && (o.staleTime === undefined || (typeof o.staleTime === 'number' && o.staleTime < MIN_SUSPENSE_STALE))) {
      o.staleTime = MIN_SUSPENSE_STALE;
    }
    return o;
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` covers queryKey and every option
  }, [key, callQueryFn]);

  const subscribe = useCallback((listener) => store.subscribeQuery(observerOptions, listener), [store, observerOptions]);
  const willFetch = observerOptions.enabled !== false && (observerOptions.url !== undefined || observerOptions.queryFn !== undefined);
  const getSnapshot = useCallback(
    () => store.getQueryState(observerOptions.queryKey) ?? (willFetch ? PENDING_FETCHING : PENDING_IDLE),
    [store, observerOptions, willFetch],
  );
  const state = useSyncExternalStore(subscribe, getSnapshot, getSnapshot);

  const refetch = useCallback(() => {
    const current = store.getQueryState(observerOptions.queryKey);
    // Stale (always, with the default staleTime 0): fetchQuery fetches exactly this query and
    // joins a fetch in flight. Fresh: the store has no public forced fetch of one query, so
    // refetchQueries (a prefix match: queries whose key extends this one refetch too).
    const done =
      current === undefined || current.isStale
        ? store.fetchQuery(observerOptions).catch(() => {})
        : store.refetchQueries({ queryKey: observerOptions.queryKey });
    return done.then(() => store.getQueryState(observerOptions.queryKey));
  }, [store, observerOptions]);

  if (suspense && observerOptions.enabled !== false && state.data === undefined) {
    // No data: wait for the fetch (also a retry of a failed query that is under way, e.g.
    // refetchQueries before an error boundary is reset); a settled error goes to the boundary.
    if (state.status === 'pending' || state.fetchStatus !== 'idle') {
      throw suspendOn(store, hashKey(observerOptions.queryKey), observerOptions);
    }
    if (state.status === 'error') throw state.error;
  }

  // select runs again only when the data or the select function changes.
  const selected = useRef({ data: undefined, select: undefined, value: undefined, done: false });
  let data = state.data;
  if (select !== undefined && data !== undefined) {
    const s = selected.current;
    if (!s.done || s.data !== data || s.select !== select) {
      selected.current = { data, select, value: select(data), done: true };
    }
    data = selected.current.value;
  }

  const result = useMemo(
    () => ({
      ...state,
      data,
      refetch,
      isPending: state.status === 'pending',
      isSuccess: state.status === 'success',
      isError: state.status === 'error',
      isFetching: state.fetchStatus === 'fetching',
      isPaused: state.fetchStatus === 'paused',
      isLoading: state.status === 'pending' && state.fetchStatus === 'fetching',
    }),
    [state, data, refetch],
  );
  useDebugValue(result.status);
  return result;
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
    () => store.refetchQueries({ queryKey: observerOptions.queryKey }).then(() => store.getInfiniteQueryState(observerOptions.queryKey)),
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
