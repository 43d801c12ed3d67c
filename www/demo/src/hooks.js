// Small hooks the demo builds on top of strata-store/react.
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { useStore } from 'strata-store/react';
import { subjectOf } from './store.js';

// ---- the query cache, for the inspector --------------------------------------------------

const sameEntries = (a, b) => a === b || (a.length === b.length && a.every((e, i) => e === b[i]));

/**
 * store.queries(filters): every query the cache holds (`{ queryKey, state, observers, meta, ... }`),
 * re-rendering when the listing changes (store.subscribeQueries). The snapshot is cached: the
 * same array while its entries are the same objects (an entry is replaced when its query's
 * state, meta or observers change), so useSyncExternalStore sees a stable value.
 */
export function useQueryList(filters) {
  const store = useStore();
  const last = useRef(null);
  const subscribe = useCallback((f) => store.subscribeQueries(f), [store]);
  const get = () => {
    const next = store.queries(filters);
    if (last.current === null || last.current.store !== store || !sameEntries(last.current.list, next)) {
      last.current = { store, list: next };
    }
    return last.current.list;
  };
  return useSyncExternalStore(subscribe, get, get);
}

// ---- the outbox --------------------------------------------------------------------------

/** store.mutations(), re-rendering when the outbox changes. */
export function useMutationList() {
  const store = useStore();
  const subscribe = useCallback((f) => store.subscribeSync(f), [store]);
  const get = useCallback(() => store.mutations(), [store]);
  return useSyncExternalStore(subscribe, get, get);
}

const STATUS_RANK = { conflict: 4, failed: 3, inflight: 2, queued: 1 };

/** Map 'Task:t3' -> the most pressing status of the mutations about it. */
export function usePendingByEntity() {
  const list = useMutationList();
  return useMemo(() => {
    const m = new Map();
    for (const entry of list) {
      const key = subjectOf(entry.request);
      if (!key) continue;
      const prev = m.get(key);
      if (!prev || STATUS_RANK[entry.status] > STATUS_RANK[prev]) m.set(key, entry.status);
    }
    return m;
  }, [list]);
}

// Conflicts the user settled with 'take theirs' (their CONFLICT rejection is expected).
export const settledConflicts = new Set();

/** `run(description)` -> store.mutate(description). Returns { id, promise }. */
export function useRun() {
  const store = useStore();
  return useCallback(
    (description) => {
      const promise = store.mutate(description);
      const id = promise.id;
      promise.catch((error) => {
        if (error && error.code === 'CONFLICT' && !(id && settledConflicts.has(id))) {
          toast({
            kind: 'warn',
            title: 'Someone else changed this first',
            text: 'Your change was dropped and their version is shown.',
          });
        }
      });
      return { id, promise };
    },
    [store],
  );
}

// ---- toasts ------------------------------------------------------------------------------

let toasts = [];
const toastSubs = new Set();
let toastSeq = 0;

export function toast(t) {
  const id = ++toastSeq;
  toasts = [...toasts.filter((x) => !(t.key && x.key === t.key)), { id, ...t }].slice(-4);
  for (const f of toastSubs) f();
  setTimeout(() => dismissToast(id), t.ttl ?? 8000);
  return id;
}

/** Dismisses the toast with this `key` (if it is still shown). */
export function dismissToastKey(key) {
  const t = toasts.find((x) => x.key === key);
  if (t) dismissToast(t.id);
}

export function dismissToast(id) {
  const next = toasts.filter((t) => t.id !== id);
  if (next.length === toasts.length) return;
  toasts = next;
  for (const f of toastSubs) f();
}

export function useToasts() {
  return useSyncExternalStore(
    (f) => {
      toastSubs.add(f);
      return () => toastSubs.delete(f);
    },
    () => toasts,
  );
}

// ---- time ----------------------------------------------------------------------------------

export function useNow(every = 5000) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), every);
    return () => clearInterval(t);
  }, [every]);
  return now;
}

export function ago(at, now = Date.now()) {
  if (!at) return 'never';
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  return `${Math.round(h / 24)} d ago`;
}
