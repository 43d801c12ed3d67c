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
  useState,
  useSyncExternalStore,
} from 'react';
import { StrataError, invalidArgument } from './errors.js';
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

// ---- useMutation ---------------------------------------------------------------------------

const IDLE = Object.freeze({ status: 'idle', data: undefined, error: null, variables: undefined, id: undefined, submittedAt: 0 });

// store.mutate does not return the mutation's id; its entry is the first one that was not
// listed before the call (the optimistic apply and the queue update happen before it returns).
function newMutationId(before, after) {
  if (before === after) return undefined;
  const seen = new Set(before.map((m) => m.id));
  for (const m of after) if (!seen.has(m.id)) return m.id;
  return undefined;
}

// 'queued': waiting for the network (offline, or sent and queued again after a network error,
// a retryable answer or a 401 pause) rather than simply waiting for its answer.
function isQueued(store, id) {
  if (!store.syncState().online) return true;
  if (id === undefined) return false;
  const entry = store.mutations().find((m) => m.id === id);
  return entry !== undefined && entry.status === 'queued' && entry.attempts > 0;
}

/**
 * `useMutation({ mutation: (variables) => description, onSuccess?, onError?, onSettled? })`.
 * The description is data (it may be persisted); the callbacks live only in this component.
 * Returns `{ mutate, mutateAsync, status, data, error, variables, reset, isIdle, isPending,
 * isQueued, isSuccess, isError }`; `status` is 'idle' | 'pending' | 'queued' | 'success' | 'error'.
 */
export function useMutation(options) {
  const store = useStore();
  if (options === null || typeof options !== 'object' || typeof options.mutation !== 'function') {
    throw invalidArgument('useMutation expects { mutation: (variables) => ({ request, optimistic?, shape?, ... }), onSuccess?, onError? }');
  }
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const [state, setState] = useState(IDLE);
  const latest = useRef(0); // only the latest call updates the returned state

  const mutateAsync = useCallback(
    (variables, callbacks) => {
      const call = ++latest.current;
      const { mutation, onSuccess, onError, onSettled } = optionsRef.current;
      let promise;
      let id;
      try {
        const description = mutation(variables);
        const before = store.mutations();
        promise = store.mutate(description);
        id = newMutationId(before, store.mutations());
      } catch (e) {
        promise = Promise.reject(e);
      }
      setState({ status: 'pending', data: undefined, error: null, variables, id, submittedAt: Date.now() });
      const run = (fn, ...args) => {
        if (typeof fn !== 'function') return;
        try {
          fn(...args);
        } catch (e) {
          if (typeof globalThis.reportError === 'function') globalThis.reportError(e);
          else console.error(e);
        }
      };
      return promise.then(
        (data) => {
          if (call === latest.current) setState({ status: 'success', data, error: null, variables, id, submittedAt: 0 });
          run(onSuccess, data, variables);
          run(onSettled, data, null, variables);
          if (call === latest.current) {
            run(callbacks?.onSuccess, data, variables);
            run(callbacks?.onSettled, data, null, variables);
          }
          return data;
        },
        (error) => {
          if (call === latest.current) setState({ status: 'error', data: undefined, error, variables, id, submittedAt: 0 });
          run(onError, error, variables);
          run(onSettled, undefined, error, variables);
          if (call === latest.current) {
            run(callbacks?.onError, error, variables);
            run(callbacks?.onSettled, undefined, error, variables);
          }
          throw error;
        },
      );
    },
    [store],
  );

  const mutate = useCallback((variables, callbacks) => {
    mutateAsync(variables, callbacks).catch(() => {}); // the error is in `error` and onError
  }, [mutateAsync]);

  const reset = useCallback(() => {
    latest.current++;
    setState(IDLE);
  }, []);

  // Watches the sync state only while a call is pending; a boolean snapshot re-renders only
  // when it flips.
  const pending = state.status === 'pending';
  const subscribeSync = useCallback((listener) => store.subscribeSync(listener), [store]);
  const queuedSnapshot = useCallback(() => isQueued(store, state.id), [store, state.id]);
  const queued = useSyncExternalStore(
    pending ? subscribeSync : noSubscribe,
    pending ? queuedSnapshot : returnFalse,
    returnFalse,
  );
  const status = pending && queued ? 'queued' : state.status;

  return useMemo(
    () => ({
      mutate,
      mutateAsync,
      reset,
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
    }),
    [mutate, mutateAsync, reset, status, state],
  );
}

function returnFalse() {
  return false;
}
