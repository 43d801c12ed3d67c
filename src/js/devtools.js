// `strata-store/devtools`: <StrataDevtools> (a floating button that opens a panel, like
// TanStack Query Devtools) and <StrataDevtoolsPanel> (the panel alone, to embed). Tabs:
// queries, entities (with the queries showing them), optimistic layers, the outbox (retry,
// discard, conflicts), the connection, and the timeline (store.subscribeEvents). Not in the
// main entry: apps that do not import it do not ship it. It imports only 'react' and the
// package's own entries; styles are inline, so the app's CSS neither leaks in nor is touched.
// The parts: devtools/ui.js (styles, small components, store reads), devtools/tabs.js,
// devtools/timeline.js; scripts/package.mjs bundles them into pkg/devtools.js.

import { createElement as h, useState } from 'react';
import { useStore } from './react.js';
import { C, base, useRead, subSync, subQueries, readSync, readQueries } from './devtools/ui.js';
import { QueriesTab, EntitiesTab, LayersTab, OutboxTab, ConnectionTab } from './devtools/tabs.js';
import { TimelineTab, useTimeline } from './devtools/timeline.js';

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
