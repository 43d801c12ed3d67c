// Teamboard: the page. Header (network switch, sync badge), the team strip, two views (the
// board; All tasks, page by page), the task drawer, the side panel (Sync, Server) and
// strata-store/devtools (the floating button: queries, entities, layers, outbox, timeline).
import { useCallback, useEffect, useRef, useState } from 'react';
import { useStore, useSyncState } from 'strata-store/react';
import { StrataDevtools } from 'strata-store/devtools';
import { AllTasks } from './AllTasks.jsx';
import { Board, Me, Team } from './Board.jsx';
import { LiveTasks } from './LiveTasks.jsx';
import { TaskDrawer } from './TaskDrawer.jsx';
import { SidePanel, useOutboxToasts } from './SidePanel.jsx';
import { setServerControl, useServerControl } from './control.js';
import { ago, toast, useNow } from './hooks.js';
import { Icon, Spinner, Toasts } from './ui.jsx';

export function App() {
  const store = useStore();
  const sync = useSyncState();
  const { control } = useServerControl();
  const [openTask, setOpenTask] = useState(null);
  const [tab, setTab] = useState('sync');
  const [view, setView] = useState('board');
  // All tasks is mounted when first opened and kept (hidden) after, like the board: its pages
  // stay observed, so what changes meanwhile is there when you come back, without a request.
  const [allOpened, setAllOpened] = useState(false);
  const pickView = (v) => {
    setView(v);
    if (v === 'all') setAllOpened(true);
  };
  const cut = Boolean(control?.networkCut);
  const offline = cut || !sync.online;
  const openSync = useCallback(() => setTab('sync'), []);
  useOutboxToasts(openSync);

  // Back online (this tab's switch, the Server panel, or another tab): send the outbox now
  // instead of waiting out its backoff, and refresh what failed to load meanwhile.
  const wasCut = useRef(cut);
  useEffect(() => {
    if (wasCut.current && !cut) {
      store.flush().catch(() => {});
      store.invalidateQueries().catch(() => {});
    }
    wasCut.current = cut;
  }, [cut, store]);

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            <Icon name="layers" size={18} />
          </span>
          <strong>Teamboard</strong>
          <span className="brand-sub">a demo of strata</span>
        </div>
        <div className="topbar-right">
          <NetworkSwitch control={control} browserOnline={sync.online} />
          <SyncBadge sync={sync} offline={offline} onClick={openSync} />
          <Me />
        </div>
      </header>
      {offline && (
        <div className="banner" data-testid="offline-banner">
          <Icon name="cloudOff" size={16} />
          <span>
            <strong>You are offline.</strong> Keep working: changes are kept on this device and sent, in order and exactly once, when
            the connection is back.
          </span>
        </div>
      )}
      <div className="layout">
        <main className="main">
          <Team offline={offline} />
          <nav className="views" role="tablist" aria-label="Views">
            <button role="tab" aria-selected={view === 'board'} className={view === 'board' ? 'active' : ''} onClick={() => pickView('board')} data-testid="view-board">
              <Icon name="layers" size={14} /> Board
            </button>
            <button role="tab" aria-selected={view === 'all'} className={view === 'all' ? 'active' : ''} onClick={() => pickView('all')} data-testid="view-all">
              <Icon name="list" size={14} /> All tasks
            </button>
            <button role="tab" aria-selected={view === 'live'} className={view === 'live' ? 'active' : ''} onClick={() => pickView('live')} data-testid="view-live">
              <Icon name="list" size={14} /> Live lists
            </button>
          </nav>
          <div hidden={view !== 'board'}>
            <Board onOpenTask={setOpenTask} offline={offline} />
          </div>
          {allOpened && (
            <div hidden={view !== 'all'}>
              <AllTasks onOpenTask={setOpenTask} offline={offline} />
            </div>
          )}
          {view === 'live' && <LiveTasks onOpenTask={setOpenTask} offline={offline} />}
          <Explainer />
        </main>
        <SidePanel tab={tab} setTab={setTab} offline={offline} />
      </div>
      {openTask && <TaskDrawer taskId={openTask} onClose={() => setOpenTask(null)} offline={offline} />}
      <Toasts />
      <StrataDevtools />
    </div>
  );
}

function NetworkSwitch({ control, browserOnline }) {
  const [busy, setBusy] = useState(false);
  const cut = Boolean(control?.networkCut);
  const online = !cut && browserOnline;
  const flip = async () => {
    setBusy(true);
    try {
      await setServerControl({ networkCut: !cut });
    } catch (e) {
      toast({ kind: 'error', title: 'The demo server did not answer', text: e.message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      className={`network ${online ? 'network-on' : 'network-off'}`}
      onClick={flip}
      disabled={busy || control === null}
      role="switch"
      aria-checked={online}
      data-testid="network-switch"
      data-online={String(online)}
      title={cut ? 'The network is cut: click to reconnect' : 'Cut the network (the demo server drops every API connection)'}
    >
      <span className="network-track">
        <span className="network-thumb" />
      </span>
      <Icon name={online ? 'cloud' : 'cloudOff'} size={16} />
      <span>{!browserOnline ? 'Browser offline' : cut ? 'Offline' : 'Online'}</span>
    </button>
  );
}

function SyncBadge({ sync, offline, onClick }) {
  const now = useNow(10_000);
  let tone = 'good';
  let text = sync.lastSyncAt ? `All changes saved · ${ago(sync.lastSyncAt, now)}` : 'All changes saved';
  let icon = <Icon name="check" size={14} />;
  if (sync.conflicts > 0) {
    tone = 'warn';
    text = `${sync.conflicts} conflict${sync.conflicts > 1 ? 's' : ''} to resolve`;
    icon = <Icon name="merge" size={14} />;
  } else if (sync.failed > 0) {
    tone = 'bad';
    text = `${sync.failed} change${sync.failed > 1 ? 's' : ''} not saved`;
    icon = <Icon name="alert" size={14} />;
  } else if (sync.pending > 0) {
    tone = 'busy';
    text = offline ? `${sync.pending} change${sync.pending > 1 ? 's' : ''} saved offline` : `Saving ${sync.pending} change${sync.pending > 1 ? 's' : ''}…`;
    icon = offline ? <Icon name="cloudOff" size={14} /> : <Spinner />;
  }
  return (
    <button
      className={`sync-badge tone-${tone}`}
      onClick={onClick}
      data-testid="sync-badge"
      data-pending={sync.pending}
      data-failed={sync.failed}
      data-conflicts={sync.conflicts}
    >
      {icon}
      <span>{text}</span>
    </button>
  );
}

function Explainer() {
  return (
    <section className="explainer">
      <h2>Things to try</h2>
      <ol>
        <li>
          <strong>Rename a teammate</strong> in the Team strip: both projects and My tasks change in the same frame, because
          they reference one <code>User</code> entity.
        </li>
        <li>
          <strong>Set latency to 3 s</strong> (Server tab) and tick a task: it is done at once, with “Saving…” until the server
          answers.
        </li>
        <li>
          <strong>Set failing writes to 100%</strong> and tick a task: strata retries, then rolls back exactly that change and
          lists it as failed, with Retry and Discard.
        </li>
        <li>
          <strong>Go offline</strong> with the switch, make a few changes, reload the page, go online: the outbox sends each
          change once, in order (watch the request log).
        </li>
        <li>
          <strong>Let a teammate edit a task:</strong> open it and click “Lin retitles it”. The server pushes the change and the row
          updates without a refetch (Live updates, Sync tab).
        </li>
        <li>
          <strong>Make a conflict:</strong> go offline, rename a task, open it and let Lin retitle it too, go online. The Sync tab
          shows both versions side by side.
        </li>
        <li>
          <strong>Open All tasks</strong> and load pages: 132 tasks, 20 per page. Rename “Review the analytics event plan” on the
          board: on page 3 it changes too, without a request (one <code>Task</code> entity). Offset pages shows the other API style.
        </li>
        <li>
          <strong>Open a second tab</strong>: changes in one appear in the other. <strong>Open another browser</strong> (or a
          private window): they appear there too, pushed by the server over SSE, or over a WebSocket with{' '}
          <code>?transport=websocket</code>.
        </li>
      </ol>
    </section>
  );
}
