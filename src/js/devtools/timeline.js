// The devtools' timeline: the store's events (store.subscribeEvents), newest first.

import { createElement as h, useEffect, useRef, useState } from 'react';
import { C, base, btn, code, Empty, keyText } from './ui.js';

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

export function TimelineTab({ events, clear, paused, setPaused }) {
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
export function useTimeline(store) {
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
