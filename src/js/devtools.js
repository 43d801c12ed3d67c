// `strata-store/devtools`: <StrataDevtools> (a floating button that opens a panel, like
// TanStack Query Devtools) and <StrataDevtoolsPanel> (the panel alone, to embed). Tabs:
// queries, entities (with the queries showing them), optimistic layers, the outbox (retry,
// discard, conflicts), the connection, and the timeline (store.subscribeEvents). Not in the
// main entry: apps that do not import it do not ship it. It imports only 'react' and the
// package's own entries; styles are inline, so the app's CSS neither leaks in nor is touched.

import { createElement as h, Fragment, useCallback, useEffect, useMemo, useReducer, useRef, useState, useSyncExternalStore } from 'react';
import { useStore } from './react.js';

// ---- looks -----------------------------------------------------------------------------------

const C = {
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
const FONT = 'ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
const base = { boxSizing: 'border-box', fontFamily: FONT, fontSize: 12, lineHeight: 1.4, color: C.text, letterSpacing: 'normal', textTransform: 'none' };
const btn = { ...base, background: C.row, color: C.text, border: `1px solid ${C.line}`, borderRadius: 4, padding: '2px 8px', cursor: 'pointer', fontSize: 11, margin: 0 };
const code = { fontFamily: MONO, fontSize: 11, color: C.text, background: 'transparent' };
const pre = { ...code, margin: 0, padding: 8, background: C.bg, border: `1px solid ${C.line}`, borderRadius: 4, whiteSpace: 'pre-wrap', wordBreak: 'break-word', maxHeight: 260, overflow: 'auto' };
const TONE = { success: C.good, fresh: C.good, open: C.good, idle: C.dim, pending: C.warn, stale: C.warn, queued: C.warn, saving: C.dim, connecting: C.warn, paused: C.warn, fetching: C.accent, inflight: C.accent, error: C.bad, failed: C.bad, conflict: C.warn, closed: C.dim, inactive: C.dim };

function Tag({ tone, children }) {
  const color = TONE[tone] ?? tone ?? C.dim;
  return h('span', { style: { ...base, display: 'inline-block', padding: '0 6px', borderRadius: 8, fontSize: 10, fontWeight: 600, color, border: `1px solid ${color}`, marginRight: 4, whiteSpace: 'nowrap' } }, children);
}

function Empty({ children }) {
  return h('p', { style: { ...base, color: C.dim, padding: 12, margin: 0 } }, children);
}

// ---- reading the store -------------------------------------------------------------------------

// A value of the store that changes when `subscribe` says so.
function useRead(store, subscribe, read) {
  const sub = useCallback((f) => subscribe(store, f), [store, subscribe]);
  const get = useCallback(() => read(store), [store, read]);
  return useSyncExternalStore(sub, get, get);
}
const subQueries = (s, f) => s.subscribeQueries(f);
const subSync = (s, f) => s.subscribeSync(f);
const subConnection = (s, f) => s.subscribeConnection(f);
const readQueries = (s) => s.queries();
const readMutations = (s) => s.mutations();
const readSync = (s) => s.syncState();
const readConnection = (s) => s.connectionState();

// Re-renders every `ms` (ages, "x s ago").
function useNow(ms) {
  const [now, set] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => set(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

// store.inspect() (a wasm call): read again when queries or the outbox changed, at most every 250 ms.
function useInspection(store) {
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

function ago(t, now) {
  if (!t) return '-';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

function json(v, limit = 20000) {
  let text;
  try {
    text = JSON.stringify(v, null, 2);
  } catch {
    text = String(v);
  }
  if (text === undefined) return 'undefined';
  return text.length > limit ? `${text.slice(0, limit)}\n… (${text.length - limit} more characters)` : text;
}

const keyText = (hash) => {
  try {
    return JSON.stringify(JSON.parse(hash));
  } catch {
    return hash;
  }
};

// ---- tabs ---------------------------------------------------------------------------------------

function Row({ selected, onClick, children, testid, data }) {
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

function Split({ list, detail }) {
  return h(
    'div',
    { style: { ...base, display: 'flex', height: '100%', minHeight: 0 } },
    h('div', { style: { ...base, flex: '1 1 55%', overflow: 'auto', borderRight: `1px solid ${C.line}`, minWidth: 0 } }, list),
    h('div', { style: { ...base, flex: '1 1 45%', overflow: 'auto', padding: 8, minWidth: 0 } }, detail),
  );
}

function queryTags(state, observers) {
  const tags = [[state.status, state.status]];
  if (state.fetchStatus !== 'idle') tags.push([state.fetchStatus, state.fetchStatus === 'fetching' ? 'fetching' : 'paused']);
  if (state.status === 'success') tags.push(state.isStale ? ['stale', 'stale'] : ['fresh', 'fresh']);
  if (observers === 0) tags.push(['inactive', 'inactive']);
  return tags;
}

function QueriesTab({ store }) {
  const queries = useRead(store, subQueries, readQueries);
  const now = useNow(1000);
  const [selected, select] = useState(null);
  const [filter, setFilter] = useState('');
  const shown = queries.filter((q) => !filter || q.queryHash.toLowerCase().includes(filter.toLowerCase()));
  const q = queries.find((x) => x.queryHash === selected);
  const exact = q ? { queryKey: q.queryKey, exact: true } : null;
  return h(Split, {
    list: h(
      Fragment,
      null,
      h(Filter, { value: filter, onChange: setFilter, placeholder: `Filter ${queries.length} queries` }),
      shown.length === 0 ? h(Empty, null, 'No queries.') : null,
      shown.map((x) =>
        h(
          Row,
          { key: x.queryHash, selected: x.queryHash === selected, onClick: () => select(x.queryHash), testid: 'sd-query', data: { 'data-hash': x.queryHash, 'data-status': x.state.status, 'data-fetch-status': x.state.fetchStatus } },
          h('span', { style: { ...base, minWidth: 22, textAlign: 'center', fontWeight: 700, color: x.observers ? C.accent : C.dim }, title: 'observers' }, x.observers),
          h('code', { style: { ...code, flex: 1, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } }, x.queryHash),
          queryTags(x.state, x.observers).map(([t, tone]) => h(Tag, { key: t, tone }, t)),
          h('span', { style: { ...base, color: C.dim, minWidth: 28, textAlign: 'right' }, title: 'age of the data' }, ago(x.state.dataUpdatedAt, now)),
        ),
      ),
    ),
    detail: q
      ? h(
          'div',
          { 'data-testid': 'sd-query-detail' },
          h('div', { style: { ...base, fontWeight: 700, marginBottom: 6 } }, h('code', { style: code }, q.queryHash)),
          h(
            'div',
            { style: { ...base, display: 'flex', gap: 4, flexWrap: 'wrap', marginBottom: 8 } },
            h('button', { style: btn, onClick: () => store.refetchQueries(exact).catch(() => {}) }, 'Refetch'),
            h('button', { style: btn, onClick: () => store.invalidateQueries({ ...exact, refetchType: 'none' }).catch(() => {}) }, 'Invalidate'),
            h('button', { style: btn, onClick: () => store.resetQueries(exact).catch(() => {}) }, 'Reset'),
            h('button', { style: btn, onClick: () => store.removeQueries(exact) }, 'Remove'),
          ),
          h(Facts, {
            facts: [
              ['status', q.state.status],
              ['fetchStatus', q.state.fetchStatus],
              ['observers', q.observers],
              ['updated', q.state.dataUpdatedAt ? `${ago(q.state.dataUpdatedAt, now)} ago` : 'never'],
              ['stale', String(q.state.isStale)],
              ['failures', q.state.failureCount],
              ['error', q.state.error ? `${q.state.error.code}: ${q.state.error.message}` : 'none'],
            ],
          }),
          h('div', { style: { ...base, color: C.dim, margin: '8px 0 4px' } }, 'data'),
          h('pre', { style: pre }, json(q.state.data)),
        )
      : h(Empty, null, 'Select a query to see its state and data.'),
  });
}

function Facts({ facts }) {
  return h(
    'dl',
    { style: { ...base, display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '2px 10px', margin: 0 } },
    facts.map(([k, v]) => h(Fragment, { key: k }, h('dt', { style: { ...base, color: C.dim, margin: 0 } }, k), h('dd', { style: { ...base, margin: 0, wordBreak: 'break-word' } }, String(v)))),
  );
}

function Filter({ value, onChange, placeholder }) {
  return h('input', {
    value,
    placeholder,
    onChange: (e) => onChange(e.target.value),
    style: { ...base, width: '100%', background: C.bg, border: 0, borderBottom: `1px solid ${C.line}`, padding: '6px 8px', outline: 'none', margin: 0, borderRadius: 0 },
  });
}

function EntitiesTab({ store }) {
  const { entities } = useInspection(store);
  const [selected, select] = useState(null);
  const [filter, setFilter] = useState('');
  const [type, setType] = useState(null);
  const types = useMemo(() => {
    const m = new Map();
    for (const e of entities) m.set(e.type, (m.get(e.type) ?? 0) + 1);
    return [...m];
  }, [entities]);
  const shown = entities.filter((e) => (type === null || e.type === type) && (!filter || e.key.toLowerCase().includes(filter.toLowerCase())));
  const e = entities.find((x) => x.key === selected);
  const value = e ? store.getEntity(e.type, e.id) : undefined;
  return h(Split, {
    list: h(
      Fragment,
      null,
      h(Filter, { value: filter, onChange: setFilter, placeholder: `Filter ${entities.length} entities` }),
      h(
        'div',
        { style: { ...base, display: 'flex', gap: 4, flexWrap: 'wrap', padding: '4px 8px', borderBottom: `1px solid ${C.line}` } },
        h('button', { style: { ...btn, borderColor: type === null ? C.accent : C.line }, onClick: () => setType(null) }, `all ${entities.length}`),
        types.map(([t, n]) => h('button', { key: t, style: { ...btn, borderColor: type === t ? C.accent : C.line }, onClick: () => setType(t) }, `${t} ${n}`)),
      ),
      shown.length === 0 ? h(Empty, null, 'No entities.') : null,
      shown.slice(0, 500).map((x) =>
        h(
          Row,
          { key: x.key, selected: x.key === selected, onClick: () => select(x.key), testid: 'sd-entity', data: { 'data-key': x.key } },
          h('code', { style: { ...code, flex: 1, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } }, x.key),
          h('span', { style: { ...base, color: x.queries.length ? C.dim : C.warn }, title: 'queries showing it' }, `${x.queries.length} ${x.queries.length === 1 ? 'query' : 'queries'}`),
        ),
      ),
      shown.length > 500 ? h(Empty, null, `${shown.length - 500} more: narrow the filter.`) : null,
    ),
    detail: e
      ? h(
          'div',
          { 'data-testid': 'sd-entity-detail' },
          h('div', { style: { ...base, fontWeight: 700, marginBottom: 6 } }, h('code', { style: code }, e.key)),
          h('div', { style: { ...base, color: C.dim, marginBottom: 4 } }, 'shown by'),
          e.queries.length === 0 ? h('div', { style: { ...base, color: C.dim } }, 'no query (kept by a layer, or about to be collected)') : null,
          e.queries.map((hash) => h('div', { key: hash, 'data-testid': 'sd-entity-query' }, h('code', { style: code }, keyText(hash)))),
          h('div', { style: { ...base, color: C.dim, margin: '8px 0 4px' } }, 'value (relations expanded)'),
          h('pre', { style: pre }, json(value)),
        )
      : h(Empty, null, 'Select an entity to see its value and the queries that show it.'),
  });
}

function LayersTab({ store }) {
  const { layers } = useInspection(store);
  const list = useRead(store, subSync, readMutations);
  const byId = new Map(list.map((m) => [m.id, m]));
  const active = layers.filter((l) => l.active);
  if (active.length === 0) return h(Empty, null, 'No optimistic layer: everything shown is what the server said.');
  return h(
    'div',
    { style: { ...base, padding: 8, overflow: 'auto', height: '100%' } },
    h('p', { style: { ...base, color: C.dim, margin: '0 0 8px' } }, 'What the app shows = the server base + these layers, in queue order.'),
    active.map((l, i) => {
      const m = byId.get(l.id);
      return h(
        'div',
        { key: l.id, 'data-testid': 'sd-layer', style: { ...base, border: `1px solid ${C.line}`, borderRadius: 4, padding: 6, marginBottom: 6 } },
        h('div', { style: { ...base, marginBottom: 4 } }, h('b', null, `${i + 1}. `), m ? h('code', { style: code }, `${m.request.method} ${m.request.url}`) : l.id, ' ', m ? h(Tag, { tone: m.status }, m.status) : null),
        l.writes.map((w, j) => h('div', { key: `w${j}` }, h('code', { style: code }, w.patch === null ? `delete ${w.key}` : `${w.key} ← ${JSON.stringify(w.patch)}`))),
        l.inserts.map((ins, j) => h('div', { key: `i${j}` }, h('code', { style: code }, `insert ${ins.key} into ${keyText(ins.queryHash)}`))),
      );
    }),
  );
}

function OutboxTab({ store }) {
  const list = useRead(store, subSync, readMutations);
  const sync = useRead(store, subSync, readSync);
  const now = useNow(1000);
  const [busy, setBusy] = useState(false);
  const act = (fn) => {
    try {
      const r = fn();
      if (r && typeof r.catch === 'function') r.catch(() => {}); // the outcome shows in the list
    } catch (e) {
      console.warn(`strata devtools: ${e && e.message}`);
    }
  };
  return h(
    'div',
    { style: { ...base, padding: 8, overflow: 'auto', height: '100%' } },
    h(
      'div',
      { style: { ...base, display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap', marginBottom: 8 } },
      h(Tag, { tone: sync.online ? 'open' : 'paused' }, sync.online ? 'online' : 'offline'),
      h('span', null, `${sync.pending} pending · ${sync.inflight} in flight · ${sync.failed} failed · ${sync.conflicts} conflicts`),
      h('span', { style: { ...base, color: C.dim } }, sync.lastSyncAt ? `last sync ${ago(sync.lastSyncAt, now)} ago` : 'not synced yet'),
      h(
        'button',
        {
          style: btn,
          disabled: busy,
          'data-testid': 'sd-flush',
          onClick: () => {
            setBusy(true);
            store.flush().finally(() => setBusy(false));
          },
        },
        busy ? 'Syncing…' : 'Sync now',
      ),
    ),
    sync.lastError ? h('div', { style: { ...base, color: sync.online ? C.bad : C.dim, marginBottom: 8 } }, h('code', { style: code }, sync.lastError.code), ' ', sync.lastError.message) : null,
    list.length === 0 ? h(Empty, null, 'The outbox is empty: every change is on the server.') : null,
    list.map((m, i) =>
      h(
        'div',
        { key: m.id, 'data-testid': 'sd-mutation', 'data-id': m.id, 'data-status': m.status, style: { ...base, border: `1px solid ${m.status === 'failed' ? C.bad : m.status === 'conflict' ? C.warn : C.line}`, borderRadius: 4, padding: 6, marginBottom: 6 } },
        h(
          'div',
          { style: { ...base, display: 'flex', gap: 6, alignItems: 'center', flexWrap: 'wrap' } },
          h('b', null, i + 1),
          h('code', { style: { ...code, flex: 1 } }, `${m.request.method} ${m.request.url}`),
          h(Tag, { tone: m.status }, m.status),
          h('span', { style: { ...base, color: C.dim } }, `${m.attempts} ${m.attempts === 1 ? 'attempt' : 'attempts'} · ${ago(m.createdAt, now)} ago`),
        ),
        m.request.body !== undefined ? h('code', { style: { ...code, color: C.dim, display: 'block', marginTop: 2 } }, JSON.stringify(m.request.body)) : null,
        m.error ? h('div', { style: { ...base, color: m.error.code === 'NETWORK' && !sync.online ? C.dim : C.bad, marginTop: 2 } }, h('code', { style: code }, m.error.code), ' ', m.error.message) : null,
        m.status === 'conflict' && m.conflict
          ? h(
              'div',
              { style: { ...base, display: 'grid', gridTemplateColumns: 'repeat(3, minmax(0, 1fr))', gap: 4, marginTop: 4 } },
              ['base', 'local', 'server'].map((side) => h('div', { key: side }, h('div', { style: { ...base, color: C.dim } }, side), h('pre', { style: { ...pre, maxHeight: 120, padding: 4 } }, json(m.conflict[side])))),
            )
          : null,
        h(
          'div',
          { style: { ...base, display: 'flex', gap: 4, marginTop: 4 } },
          m.status === 'failed' ? h('button', { style: btn, 'data-testid': 'sd-retry', onClick: () => act(() => store.retry(m.id)) }, 'Retry') : null,
          m.status === 'conflict' ? h('button', { style: btn, 'data-testid': 'sd-keep-local', onClick: () => act(() => store.resolveConflict(m.id, 'local')) }, 'Keep local') : null,
          m.status === 'conflict' ? h('button', { style: btn, 'data-testid': 'sd-take-server', onClick: () => act(() => store.resolveConflict(m.id, 'server')) }, 'Take server') : null,
          m.status !== 'inflight' && m.status !== 'saving' ? h('button', { style: btn, 'data-testid': 'sd-discard', onClick: () => act(() => store.discard(m.id)) }, 'Discard') : null,
        ),
      ),
    ),
  );
}

function ConnectionTab({ store }) {
  const c = useRead(store, subConnection, readConnection);
  const sync = useRead(store, subSync, readSync);
  const now = useNow(1000);
  return h(
    'div',
    { style: { ...base, padding: 8 }, 'data-testid': 'sd-connection', 'data-status': c.status },
    h('div', { style: { ...base, marginBottom: 8 } }, h(Tag, { tone: c.status }, c.status), c.status === 'closed' ? h('span', { style: { ...base, color: C.dim } }, 'no real-time connection (store.connect() opens one)') : null),
    h(Facts, {
      facts: [
        ['browser', sync.online ? 'online' : 'offline'],
        ['last event id', c.lastEventId ?? 'none'],
        ['last message', c.lastMessageAt ? `${ago(c.lastMessageAt, now)} ago` : 'none'],
        ['reconnects', c.reconnects],
        ['error', c.error ? `${c.error.code}: ${c.error.message}` : 'none'],
      ],
    }),
  );
}

// ---- timeline ---------------------------------------------------------------------------------

const EVENT_TONE = { 'fetch-start': C.dim, 'fetch-end': C.accent, 'mutation-sent': C.dim, 'mutation-settled': C.good, rollback: C.bad, conflict: C.warn, push: C.info, 'tab-message': C.dim, connection: C.warn };
const GROUPS = { fetches: ['fetch-start', 'fetch-end'], mutations: ['mutation-sent', 'mutation-settled', 'rollback', 'conflict'], pushes: ['push', 'connection'], tabs: ['tab-message'] };

function size(n) {
  if (n === null || n === undefined) return '';
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1048576).toFixed(2)} MB`;
}

function describeEvent(e) {
  switch (e.type) {
    case 'fetch-start':
      return `${keyText(e.queryHash)}${e.url ? ` GET ${e.url}` : ' queryFn'}`;
    case 'fetch-end':
      return `${keyText(e.queryHash)} ${e.status ?? ''} ${e.error ?? ''} ${Math.round(e.duration)} ms ${size(e.bytes)}`;
    case 'mutation-sent':
      return e.name;
    case 'mutation-settled':
      return `${e.name} → ${e.status}${e.httpStatus ? ` ${e.httpStatus}` : ''}${e.error ? ` ${e.error}` : ''} ${Math.round(e.duration)} ms`;
    case 'rollback':
      return `${e.name}: layer dropped (${e.error})`;
    case 'conflict':
      return `${e.name}: the server has a newer version`;
    case 'push':
      return `${e.count} ${e.count === 1 ? 'message' : 'messages'}${e.refused ? `, ${e.refused} refused` : ''}${e.eventId ? ` (#${e.eventId})` : ''}`;
    case 'tab-message':
      return `${e.direction} ${e.kind}`;
    case 'connection':
      return `${e.previous} → ${e.status}${e.error ? ` (${e.error})` : ''}`;
    default:
      return '';
  }
}

const failed = (e) => (e.type === 'fetch-end' && !e.ok) || (e.type === 'mutation-settled' && e.status === 'error') || e.type === 'rollback';

function TimelineTab({ events, clear, paused, setPaused }) {
  const [group, setGroup] = useState('all');
  const shown = group === 'all' ? events : events.filter((e) => GROUPS[group].includes(e.type));
  const rows = shown.slice(-300).reverse();
  const fetches = events.filter((e) => e.type === 'fetch-end');
  const avg = fetches.length ? Math.round(fetches.reduce((n, e) => n + e.duration, 0) / fetches.length) : null;
  return h(
    'div',
    { style: { ...base, display: 'flex', flexDirection: 'column', height: '100%', minHeight: 0 } },
    h(
      'div',
      { style: { ...base, display: 'flex', gap: 4, alignItems: 'center', flexWrap: 'wrap', padding: '4px 8px', borderBottom: `1px solid ${C.line}` } },
      ['all', ...Object.keys(GROUPS)].map((g) => h('button', { key: g, style: { ...btn, borderColor: group === g ? C.accent : C.line }, onClick: () => setGroup(g) }, g)),
      h('span', { style: { ...base, flex: 1 } }),
      avg !== null ? h('span', { style: { ...base, color: C.dim } }, `${fetches.length} fetches, avg ${avg} ms`) : null,
      h('button', { style: btn, onClick: () => setPaused(!paused) }, paused ? 'Resume' : 'Pause'),
      h('button', { style: btn, onClick: clear }, 'Clear'),
    ),
    h(
      'div',
      { style: { ...base, flex: 1, overflow: 'auto' }, 'data-testid': 'sd-timeline' },
      rows.length === 0 ? h(Empty, null, 'No events yet: fetches, mutations, pushes and tab messages show here as they happen.') : null,
      rows.map((e) =>
        h(
          'div',
          { key: e.seq, 'data-testid': 'sd-event', 'data-type': e.type, style: { ...base, display: 'flex', gap: 8, padding: '2px 8px', borderBottom: `1px solid ${C.row}`, alignItems: 'baseline' } },
          h('span', { style: { ...code, color: C.dim, minWidth: 84 } }, new Date(e.at).toISOString().slice(11, 23)),
          h('span', { style: { ...base, minWidth: 112, fontWeight: 600, color: failed(e) ? C.bad : EVENT_TONE[e.type] ?? C.text } }, e.type),
          h('code', { style: { ...code, color: failed(e) ? C.bad : C.text, wordBreak: 'break-all' } }, describeEvent(e)),
        ),
      ),
    ),
  );
}

// The timeline's events: the store's history, then each new one (a listener is kept while
// the devtools are mounted, closed or open, so a panel opened late shows what happened).
function useTimeline(store) {
  const [state, setState] = useState(() => ({ store, events: store.events(), paused: false }));
  const paused = useRef(false);
  useEffect(() => {
    let pending = [];
    let frame;
    const flush = () => {
      frame = undefined;
      const add = pending;
      pending = [];
      setState((s) => ({ ...s, events: [...s.events, ...add].slice(-300) }));
    };
    const off = store.subscribeEvents((e) => {
      if (paused.current) return;
      pending.push(e);
      if (frame === undefined) frame = setTimeout(flush, 100); // one render for a burst
    });
    setState({ store, events: store.events(), paused: paused.current });
    return () => {
      clearTimeout(frame);
      off();
    };
  }, [store]);
  return {
    events: state.store === store ? state.events : [],
    paused: state.paused,
    setPaused: (p) => {
      paused.current = p;
      setState((s) => ({ ...s, paused: p }));
    },
    clear: () => setState((s) => ({ ...s, events: [] })),
  };
}

// ---- the panel ---------------------------------------------------------------------------------

const TABS = [
  ['queries', 'Queries'],
  ['entities', 'Entities'],
  ['layers', 'Layers'],
  ['outbox', 'Outbox'],
  ['connection', 'Connection'],
  ['timeline', 'Timeline'],
];

function useTheStore(store) {
  let fromContext = null;
  try {
    fromContext = useStore(); // always called (hook order); throws without a provider
  } catch {
    fromContext = null;
  }
  const s = store ?? fromContext;
  if (!s) throw new Error('strata devtools: pass store={store} or render them under <StoreProvider>');
  return s;
}

function Panel({ store, timeline, initialTab = 'queries', onClose, style }) {
  const [tab, setTab] = useState(initialTab);
  const sync = useRead(store, subSync, readSync);
  const queries = useRead(store, subQueries, readQueries);
  const counts = { queries: queries.length, outbox: sync.pending + sync.failed + sync.conflicts, timeline: timeline.events.length };
  const body = {
    queries: () => h(QueriesTab, { store }),
    entities: () => h(EntitiesTab, { store }),
    layers: () => h(LayersTab, { store }),
    outbox: () => h(OutboxTab, { store }),
    connection: () => h(ConnectionTab, { store }),
    timeline: () => h(TimelineTab, timeline),
  }[tab];
  return h(
    'div',
    { 'data-testid': 'strata-devtools-panel', 'data-strata-devtools': '', role: 'dialog', 'aria-label': 'strata devtools', style: { ...base, display: 'flex', flexDirection: 'column', background: C.panel, color: C.text, minHeight: 0, ...style } },
    h(
      'div',
      { role: 'tablist', style: { ...base, display: 'flex', alignItems: 'stretch', borderBottom: `1px solid ${C.line}`, background: C.bg, overflowX: 'auto', flex: '0 0 auto' } },
      h('span', { style: { ...base, padding: '6px 10px', fontWeight: 800, color: C.accent, whiteSpace: 'nowrap' } }, 'strata'),
      TABS.map(([id, label]) =>
        h(
          'button',
          {
            key: id,
            role: 'tab',
            'aria-selected': tab === id,
            'data-testid': `sd-tab-${id}`,
            onClick: () => setTab(id),
            style: { ...base, background: 'transparent', border: 0, borderBottom: `2px solid ${tab === id ? C.accent : 'transparent'}`, color: tab === id ? C.text : C.dim, padding: '6px 10px', cursor: 'pointer', whiteSpace: 'nowrap', margin: 0, borderRadius: 0 },
          },
          label,
          counts[id] ? h('span', { style: { ...base, marginLeft: 4, color: id === 'outbox' && sync.failed + sync.conflicts ? C.bad : C.dim } }, counts[id]) : null,
        ),
      ),
      h('span', { style: { ...base, flex: 1 } }),
      onClose ? h('button', { 'data-testid': 'strata-devtools-close', 'aria-label': 'Close strata devtools', onClick: onClose, style: { ...base, background: 'transparent', border: 0, color: C.dim, fontSize: 16, padding: '0 10px', cursor: 'pointer', margin: 0 } }, '×') : null,
    ),
    h('div', { style: { ...base, flex: 1, minHeight: 0, overflow: 'hidden' } }, body()),
  );
}

/** The panel alone, to put where the app wants it (a side panel, a page of its own). */
export function StrataDevtoolsPanel({ store, initialTab, style } = {}) {
  const s = useTheStore(store);
  const timeline = useTimeline(s);
  return h(Panel, { store: s, timeline, initialTab, style: { height: '100%', ...style } });
}

const CORNERS = {
  'bottom-right': { bottom: 12, right: 12 },
  'bottom-left': { bottom: 12, left: 12 },
  'top-right': { top: 12, right: 12 },
  'top-left': { top: 12, left: 12 },
};

/**
 * A floating button that opens the devtools panel over the page (like TanStack Query
 * Devtools). `initialIsOpen`, `position` ('bottom-right' | 'bottom-left' | 'top-right' |
 * 'top-left'), `store` (else the <StoreProvider>'s), `panelHeight` (css, default '45vh').
 */
export function StrataDevtools({ store, initialIsOpen = false, position = 'bottom-right', panelHeight = '45vh', initialTab } = {}) {
  const s = useTheStore(store);
  const [open, setOpen] = useState(Boolean(initialIsOpen));
  const timeline = useTimeline(s);
  const sync = useRead(s, subSync, readSync);
  const corner = CORNERS[position] ?? CORNERS['bottom-right'];
  const top = 'top' in corner;
  const attention = sync.failed + sync.conflicts;
  if (open) {
    return h(Panel, {
      store: s,
      timeline,
      initialTab,
      onClose: () => setOpen(false),
      style: { position: 'fixed', left: 0, right: 0, [top ? 'top' : 'bottom']: 0, height: panelHeight, zIndex: 2147483000, boxShadow: '0 0 24px rgba(0,0,0,.45)', borderTop: `1px solid ${C.line}` },
    });
  }
  return h(
    'button',
    {
      'data-testid': 'strata-devtools-toggle',
      'data-strata-devtools': '',
      'aria-label': 'Open strata devtools',
      onClick: () => setOpen(true),
      style: { ...base, position: 'fixed', ...corner, zIndex: 2147483000, background: C.bg, color: C.accent, border: `1px solid ${attention ? C.bad : C.line}`, borderRadius: 18, padding: '6px 12px', fontWeight: 800, cursor: 'pointer', boxShadow: '0 2px 10px rgba(0,0,0,.35)', margin: 0 },
    },
    'strata',
    sync.pending ? h('span', { style: { ...base, marginLeft: 6, color: C.warn } }, sync.pending) : null,
    attention ? h('span', { style: { ...base, marginLeft: 6, color: C.bad } }, attention) : null,
  );
}
