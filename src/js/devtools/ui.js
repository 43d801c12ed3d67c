// The devtools' building blocks: inline styles (the app's CSS neither leaks in nor is
// touched), small components, and the hooks that read the store.

import { createElement as h, Fragment, useCallback, useEffect, useReducer, useRef, useState, useSyncExternalStore } from 'react';

// ---- looks -----------------------------------------------------------------------------------

export const C = {
  bg: '#0f172a',
  panel: '#111827',
  row: '#1f2937',
  line: '#334155',
  text: '#e5e7eb',
  dim: '#94a3b8',
  accent: '#38bdf8',
  good: '#22c55e',
  warn: '#f59e0b',
  bad: '#ef4444',
  info: '#a78bfa',
};
export const FONT = 'ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
export const base = { boxSizing: 'border-box', fontFamily: FONT, fontSize: 12, lineHeight: 1.4, color: C.text, letterSpacing: 'normal', textTransform: 'none' };
export const btn = { ...base, background: C.row, color: C.text, border: `1px solid ${C.line}`, borderRadius: 4, padding: '2px 8px', cursor: 'pointer', fontSize: 11, margin: 0 };
export const code = { fontFamily: MONO, fontSize: 11, color: C.text, background: 'transparent' };
export const pre = { ...code, margin: 0, padding: 8, background: C.bg, border: `1px solid ${C.line}`, borderRadius: 4, whiteSpace: 'pre-wrap', wordBreak: 'break-word', maxHeight: 260, overflow: 'auto' };
export const TONE = { success: C.good, fresh: C.good, open: C.good, idle: C.dim, pending: C.warn, stale: C.warn, queued: C.warn, saving: C.dim, connecting: C.warn, paused: C.warn, fetching: C.accent, inflight: C.accent, error: C.bad, failed: C.bad, conflict: C.warn, closed: C.dim, inactive: C.dim };

export function Tag({ tone, children }) {
  const color = TONE[tone] ?? tone ?? C.dim;
  return h('span', { style: { ...base, display: 'inline-block', padding: '0 6px', borderRadius: 8, fontSize: 10, fontWeight: 600, color, border: `1px solid ${color}`, marginRight: 4, whiteSpace: 'nowrap' } }, children);
}

export function Empty({ children }) {
  return h('p', { style: { ...base, color: C.dim, padding: 12, margin: 0 } }, children);
}

// ---- reading the store -------------------------------------------------------------------------

// A value of the store that changes when `subscribe` says so.
export function useRead(store, subscribe, read) {
  const sub = useCallback((f) => subscribe(store, f), [store, subscribe]);
  const get = useCallback(() => read(store), [store, read]);
  return useSyncExternalStore(sub, get, get);
}
export const subQueries = (s, f) => s.subscribeQueries(f);
export const subSync = (s, f) => s.subscribeSync(f);
export const subConnection = (s, f) => s.subscribeConnection(f);
export const readQueries = (s) => s.queries();
export const readMutations = (s) => s.mutations();
export const readSync = (s) => s.syncState();
export const readConnection = (s) => s.connectionState();

// Re-renders every `ms` (ages, "x s ago").
export function useNow(ms) {
  const [now, set] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => set(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

// store.inspect() (a wasm call): read again when queries or the outbox changed, at most every 250 ms.
export function useInspection(store) {
  const [, bump] = useReducer((n) => n + 1, 0);
  const last = useRef({ at: 0, value: null, dirty: true });
  useEffect(() => {
    let timer;
    const changed = () => {
      last.current.dirty = true;
      if (timer === undefined) {
        timer = setTimeout(() => {
          timer = undefined;
          bump();
        }, 250);
      }
    };
    const off = [store.subscribeQueries(changed), store.subscribeSync(changed)];
    return () => {
      clearTimeout(timer);
      off.forEach((f) => f());
    };
  }, [store]);
  if (last.current.dirty || last.current.value === null) {
    last.current = { at: Date.now(), value: store.inspect(), dirty: false };
  }
  return last.current.value;
}

export function ago(t, now) {
  if (!t) return '-';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

export function json(v, limit = 20000) {
  let text;
  try {
    text = JSON.stringify(v, null, 2);
  } catch {
    text = String(v);
  }
  if (text === undefined) return 'undefined';
  return text.length > limit ? `${text.slice(0, limit)}\n… (${text.length - limit} more characters)` : text;
}

export const keyText = (hash) => {
  try {
    return JSON.stringify(JSON.parse(hash));
  } catch {
    return hash;
  }
};

export function Row({ selected, onClick, children, testid, data }) {
  return h(
    'div',
    {
      role: 'button',
      tabIndex: 0,
      onClick,
      onKeyDown: (e) => (e.key === 'Enter' || e.key === ' ') && onClick?.(),
      'data-testid': testid,
      ...data,
      style: { ...base, display: 'flex', alignItems: 'center', gap: 6, padding: '4px 8px', borderBottom: `1px solid ${C.line}`, cursor: onClick ? 'pointer' : 'default', background: selected ? C.row : 'transparent', minWidth: 0 },
    },
    children,
  );
}

export function Split({ list, detail }) {
  return h(
    'div',
    { style: { ...base, display: 'flex', height: '100%', minHeight: 0 } },
    h('div', { style: { ...base, flex: '1 1 55%', overflow: 'auto', borderRight: `1px solid ${C.line}`, minWidth: 0 } }, list),
    h('div', { style: { ...base, flex: '1 1 45%', overflow: 'auto', padding: 8, minWidth: 0 } }, detail),
  );
}

export function Facts({ facts }) {
  return h(
    'dl',
    { style: { ...base, display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '2px 10px', margin: 0 } },
    facts.map(([k, v]) => h(Fragment, { key: k }, h('dt', { style: { ...base, color: C.dim, margin: 0 } }, k), h('dd', { style: { ...base, margin: 0, wordBreak: 'break-word' } }, String(v)))),
  );
}

export function Filter({ value, onChange, placeholder }) {
  return h('input', {
    value,
    placeholder,
    onChange: (e) => onChange(e.target.value),
    style: { ...base, width: '100%', background: C.bg, border: 0, borderBottom: `1px solid ${C.line}`, padding: '6px 8px', outline: 'none', margin: 0, borderRadius: 0 },
  });
}
