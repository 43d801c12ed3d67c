// The devtools' tabs over the store's state: queries, entities, optimistic layers, the
// outbox and the connection (the timeline is timeline.js).

import { createElement as h, Fragment, useMemo, useState } from 'react';
import { C, base, btn, code, pre, Tag, Empty, Row, Split, Facts, Filter, useRead, useNow, useInspection, subQueries, subSync, subConnection, readQueries, readMutations, readSync, readConnection, ago, json, keyText } from './ui.js';

function queryTags(state, observers) {
  const tags = [[state.status, state.status]];
  if (state.fetchStatus !== 'idle') tags.push([state.fetchStatus, state.fetchStatus === 'fetching' ? 'fetching' : 'paused']);
  if (state.status === 'success') tags.push(state.isStale ? ['stale', 'stale'] : ['fresh', 'fresh']);
  if (observers === 0) tags.push(['inactive', 'inactive']);
  return tags;
}

export function QueriesTab({ store }) {
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

export function EntitiesTab({ store }) {
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

export function LayersTab({ store }) {
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

export function OutboxTab({ store }) {
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

export function ConnectionTab({ store }) {
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
