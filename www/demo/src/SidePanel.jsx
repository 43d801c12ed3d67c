// The side panel: what strata is doing right now.
//   Sync   - syncState(), the live connection (useConnection()), the outbox (mutations()),
//            retry/discard, conflicts side by side
//   Server - the demo server's knobs and its request log
// The cache (queries, entities, optimistic layers) and the timeline of events are in
// strata-store/devtools' floating panel (App.jsx).
import { useEffect, useRef, useState } from 'react';
import { useConnection, useStore, useSyncState } from 'strata-store/react';
import { describeRequest, entities, LIVE, server, TAB_ID } from './store.js';
import { ago, dismissToastKey, settledConflicts, toast, useMutationList, useNow } from './hooks.js';
import { setServerControl, useServerControl } from './control.js';
import { Chip, Icon, Spinner } from './ui.jsx';

export function SidePanel({ tab, setTab, offline }) {
  const sync = useSyncState();
  const attention = sync.failed + sync.conflicts;
  return (
    <aside className="panel" aria-label="Developer panel" data-testid="panel">
      <nav className="tabs" role="tablist">
        <button role="tab" aria-selected={tab === 'sync'} className={tab === 'sync' ? 'active' : ''} onClick={() => setTab('sync')} data-testid="tab-sync">
          <Icon name="sync" size={14} /> Sync
          {sync.pending + attention > 0 && <span className={`count ${attention ? 'count-bad' : ''}`}>{sync.pending + attention}</span>}
        </button>
        <button role="tab" aria-selected={tab === 'server'} className={tab === 'server' ? 'active' : ''} onClick={() => setTab('server')} data-testid="tab-server">
          <Icon name="server" size={14} /> Server
        </button>
      </nav>
      <div className="panel-body">
        {tab === 'sync' && <SyncPanel offline={offline} />}
        {tab === 'server' && <ServerPanel />}
      </div>
    </aside>
  );
}

// ---- Sync ------------------------------------------------------------------------------------

function SyncPanel({ offline }) {
  const store = useStore();
  const sync = useSyncState();
  const list = useMutationList();
  const now = useNow(5000);
  const [flushing, setFlushing] = useState(false);
  return (
    <div className="sync-panel" data-testid="sync-panel">
      <div className="stats">
        <Stat label="Network" value={offline ? 'Offline' : sync.online ? 'Online' : 'Browser offline'} tone={offline || !sync.online ? 'warn' : 'good'} />
        <Stat label="Waiting" value={sync.pending} testid="stat-pending" tone={sync.pending ? 'busy' : undefined} />
        <Stat label="Sending" value={sync.inflight} />
        <Stat label="Failed" value={sync.failed} tone={sync.failed ? 'bad' : undefined} testid="stat-failed" />
        <Stat label="Conflicts" value={sync.conflicts} tone={sync.conflicts ? 'warn' : undefined} testid="stat-conflicts" />
        <Stat label="Last sync" value={sync.lastSyncAt ? ago(sync.lastSyncAt, now) : 'not yet'} />
      </div>
      {sync.lastError && offline && sync.lastError.code === 'NETWORK' ? (
        <div className="last-error waiting" data-testid="last-error" data-kind="waiting">
          <Icon name="cloudOff" size={14} />
          <span>Waiting for the network: changes are sent when it is back.</span>
        </div>
      ) : (
        sync.lastError && (
          <div className="last-error" data-testid="last-error">
            <Icon name="alert" size={14} />
            <span>
              <code>{sync.lastError.code}</code> {sync.lastError.message}
            </span>
          </div>
        )
      )}
      <LiveConnection offline={offline} />
      <div className="section-head">
        <h3>Outbox</h3>
        <span className="muted">{list.length === 0 ? 'empty' : `${list.length} not acknowledged`}</span>
        <button
          className="btn btn-small"
          disabled={flushing}
          onClick={async () => {
            setFlushing(true);
            try {
              await store.flush();
            } finally {
              setFlushing(false);
            }
          }}
        >
          {flushing ? <Spinner /> : <Icon name="refresh" size={12} />} Sync now
        </button>
      </div>
      {list.length === 0 ? (
        <div className="empty small">
          <Icon name="check" size={22} />
          <strong>Every change is on the server</strong>
          <span>Edits appear here until the server acknowledges them: go offline and change something.</span>
        </div>
      ) : (
        <ol className="outbox" data-testid="outbox">
          {list.map((m, i) => (
            <MutationCard key={m.id} m={m} position={i + 1} now={now} offline={offline} />
          ))}
        </ol>
      )}
    </div>
  );
}

const LIVE_TEXT = { open: 'Open', connecting: 'Connecting…', paused: 'Paused (offline)', closed: 'Closed' };
const LIVE_HINT = {
  open: 'Changes from teammates and other browsers arrive as they happen.',
  connecting: 'Opening the connection; it retries with backoff while the server cannot be reached.',
  paused: 'The browser is offline; the connection reopens when it is back.',
  closed: 'Not connected: the page only sees changes when it refetches.',
};

// The store's real-time connection: in a persisted store only the tab that sends the outbox
// connects, and the other tabs show its state.
function LiveConnection({ offline }) {
  const c = useConnection();
  const now = useNow(1000);
  const endpoint = `/api${LIVE.url.split('?')[0]}`;
  return (
    <>
      <div className="section-head">
        <h3>Live updates</h3>
        <span className="muted">pushed by the server, under the optimistic layers</span>
      </div>
      <div
        className={`live live-${c.status}`}
        data-testid="connection"
        data-status={c.status}
        data-transport={LIVE.transport}
        data-last-event-id={c.lastEventId ?? ''}
        data-reconnects={c.reconnects}
      >
        <div className="live-head">
          <span className={`live-dot live-dot-${c.status}`} aria-hidden="true" />
          <strong className="live-status" data-testid="connection-status">
            {LIVE_TEXT[c.status] ?? c.status}
          </strong>
          <Chip tone="info" testid="connection-transport">
            {LIVE.label}
          </Chip>
          <code className="live-url">{endpoint}</code>
        </div>
        <p className="live-hint muted">{LIVE_HINT[c.status]}</p>
        <dl className="live-facts">
          <div>
            <dt>Last event</dt>
            <dd data-testid="connection-event">{c.lastEventId !== null ? `#${c.lastEventId}` : <span className="muted">none yet</span>}</dd>
          </div>
          <div>
            <dt>Last message</dt>
            <dd data-testid="connection-message" title={c.lastMessageAt ? new Date(c.lastMessageAt).toISOString() : undefined}>
              {c.lastMessageAt ? (
                <>
                  {new Date(c.lastMessageAt).toLocaleTimeString()} <span className="muted">· {ago(c.lastMessageAt, now)}</span>
                </>
              ) : (
                <span className="muted">none yet</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Reconnects</dt>
            <dd data-testid="connection-reconnects">{c.reconnects}</dd>
          </div>
        </dl>
        {c.error && offline && c.error.code === 'NETWORK' ? (
          <div className="last-error live-error waiting" data-testid="connection-error" data-kind="waiting">
            <Icon name="cloudOff" size={14} />
            <span>Offline: the connection reopens when the network is back.</span>
          </div>
        ) : c.error && (
          <div className="last-error live-error" data-testid="connection-error">
            <Icon name="alert" size={14} />
            <span>
              <code>{c.error.code}</code> {c.error.message}
            </span>
          </div>
        )}
      </div>
    </>
  );
}

function Stat({ label, value, tone, testid }) {
  return (
    <div className={`stat ${tone ? `tone-${tone}` : ''}`} data-testid={testid}>
      <span className="stat-value">{value}</span>
      <span className="stat-label">{label}</span>
    </div>
  );
}

const STATUS_TEXT = { queued: 'queued', inflight: 'sending', failed: 'failed', conflict: 'conflict' };
const STATUS_TONE = { queued: 'busy', inflight: 'info', failed: 'bad', conflict: 'warn' };

function MutationCard({ m, position, now, offline }) {
  const store = useStore();
  const label = describeRequest(store, m.request);
  const status = m.status === 'queued' && offline ? 'queued (offline)' : STATUS_TEXT[m.status];
  const act = (fn) => {
    try {
      const r = fn();
      if (r && typeof r.catch === 'function') r.catch(() => {}); // the outcome shows in this list
    } catch (e) {
      toast({ kind: 'error', title: 'Could not do that', text: e.message });
    }
  };
  return (
    <li className={`mutation mutation-${m.status}`} data-testid={`mutation-${m.id}`} data-status={m.status}>
      <div className="mutation-head">
        <span className="mutation-pos">{position}</span>
        <strong className="mutation-label">{label}</strong>
        <Chip tone={STATUS_TONE[m.status]}>{m.status === 'inflight' ? <Spinner size={9} /> : null} {status}</Chip>
      </div>
      <div className="mutation-meta">
        <code>
          {m.request.method} {m.request.url}
        </code>
        <span>
          {m.attempts} {m.attempts === 1 ? 'attempt' : 'attempts'} · {ago(m.createdAt, now)}
        </span>
      </div>
      {m.error && offline && m.error.code === 'NETWORK' ? (
        <div className="mutation-error waiting">Waiting for the network</div>
      ) : m.error && (
        <div className="mutation-error">
          <code>{m.error.code}</code> {m.error.message}
        </div>
      )}
      {m.status === 'conflict' && m.conflict && <ConflictView m={m} />}
      {m.status === 'failed' && (
        <div className="mutation-actions">
          <button className="btn btn-small btn-primary" data-testid="retry" onClick={() => act(() => store.retry(m.id))}>
            <Icon name="refresh" size={12} /> Retry
          </button>
          <button className="btn btn-small" data-testid="discard" onClick={() => act(() => store.discard(m.id))}>
            Discard
          </button>
        </div>
      )}
      {m.status === 'queued' && (
        <div className="mutation-actions">
          <button className="btn btn-small" data-testid="discard" onClick={() => act(() => store.discard(m.id))} title="Undo: drop this change and its optimistic layer">
            Undo
          </button>
        </div>
      )}
    </li>
  );
}

const HIDDEN_FIELDS = new Set(['id', 'version', 'updatedAt', 'createdAt', 'updatedBy', 'comments', 'project']);

function display(store, field, v) {
  if (v === undefined) return <span className="muted">-</span>;
  if (v === null) return <span className="muted">none</span>;
  if (typeof v === 'boolean') return field === 'done' ? (v ? 'done' : 'not done') : String(v);
  if (typeof v === 'string') {
    const m = /^([A-Z]\w*):(.+)$/.exec(v); // a normalized reference, 'User:u2'
    if (m && entities[m[1]]) {
      const e = store.getEntity(m[1], m[2]);
      return e ? e.name ?? e.title ?? m[2] : m[2];
    }
    return v;
  }
  if (typeof v === 'object') return v.name ?? v.title ?? v.id ?? JSON.stringify(v);
  return String(v);
}

const same = (a, b) => {
  const norm = (v) => (v && typeof v === 'object' ? `${v.id}` : typeof v === 'string' ? v.replace(/^[A-Z]\w*:/, '') : JSON.stringify(v));
  return norm(a) === norm(b);
};

function ConflictView({ m }) {
  const store = useStore();
  const { base, local, server } = m.conflict;
  const mine = Object.keys(local || {}).filter((f) => !HIDDEN_FIELDS.has(f));
  const theirsOnly = Object.keys(server || {}).filter((f) => !HIDDEN_FIELDS.has(f) && !mine.includes(f) && base && f in base && !same(base[f], server[f]));
  const fields = [...mine, ...theirsOnly];
  const editable = mine.filter((f) => typeof local[f] === 'string' && !/^[A-Z]\w*:/.test(local[f]));
  const [combined, setCombined] = useState(() => Object.fromEntries(editable.map((f) => [f, local[f]])));
  const [editing, setEditing] = useState(false);
  const who = server?.updatedBy?.name ?? 'Someone';
  const resolve = (choice) => {
    if (choice === 'server') settledConflicts.add(m.id);
    try {
      store.resolveConflict(m.id, choice);
    } catch (e) {
      toast({ kind: 'error', title: 'Could not resolve', text: e.message });
    }
  };
  return (
    <div className="conflict" data-testid="conflict">
      <p className="conflict-intro">
        <Icon name="merge" size={14} />
        <span>
          <strong>{who}</strong> changed this task on the server (now version {server?.version}) before your change arrived.
        </span>
      </p>
      <table className="conflict-table">
        <thead>
          <tr>
            <th />
            <th>Before</th>
            <th>Yours</th>
            <th>{who.split(' ')[0]}'s</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((f) => (
            <tr key={f} data-field={f}>
              <th>{f}</th>
              <td className="was">{display(store, f, base?.[f])}</td>
              <td className={mine.includes(f) ? 'yours' : 'muted'} data-testid={`yours-${f}`}>
                {mine.includes(f) ? display(store, f, local[f]) : 'unchanged'}
              </td>
              <td className={same(server?.[f], base?.[f]) ? 'muted' : 'theirs'} data-testid={`theirs-${f}`}>
                {display(store, f, server?.[f])}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing && (
        <div className="combine">
          {editable.map((f) => (
            <label key={f} className="field">
              <span>{f}</span>
              <input value={combined[f]} onChange={(e) => setCombined({ ...combined, [f]: e.target.value })} data-testid={`combine-${f}`} />
            </label>
          ))}
        </div>
      )}
      <div className="mutation-actions">
        {editing ? (
          <>
            <button className="btn btn-small btn-primary" data-testid="save-combined" onClick={() => resolve(combined)}>
              Save this version
            </button>
            <button className="btn btn-small" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </>
        ) : (
          <>
            <button className="btn btn-small btn-primary" data-testid="keep-mine" onClick={() => resolve('local')}>
              Keep mine
            </button>
            <button className="btn btn-small" data-testid="take-theirs" onClick={() => resolve('server')}>
              Take theirs
            </button>
            {editable.length > 0 && (
              <button className="btn btn-small" data-testid="combine" onClick={() => setEditing(true)}>
                Edit…
              </button>
            )}
          </>
        )}
      </div>
    </div>
  );
}

// ---- Server ----------------------------------------------------------------------------------

const LATENCIES = [0, 300, 1000, 3000];
const FAILURES = [0, 0.25, 1];

function ServerPanel() {
  const store = useStore();
  const { control, error } = useServerControl();
  const [entries, setEntries] = useState([]);
  const last = useRef(0);
  const now = useNow(5000);

  useEffect(() => {
    let stop = false;
    const poll = async () => {
      try {
        const { entries: fresh, last: seq } = await server.log(last.current);
        if (seq < last.current) {
          // the server was reset
          last.current = 0;
          setEntries([]);
          return;
        }
        last.current = seq;
        if (!stop && fresh.length) setEntries((prev) => [...fresh.reverse(), ...prev].slice(0, 200));
      } catch {
        // the control endpoint is never cut; a failure means the server is down
      }
    };
    poll();
    const t = setInterval(poll, 1000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, []);

  const set = (patch) => setServerControl(patch).catch((e) => toast({ kind: 'error', title: 'Server control failed', text: e.message }));

  return (
    <div className="server-panel" data-testid="server-panel">
      {error && <div className="last-error">The demo server does not answer: {error}</div>}
      <div className="control">
        <span className="control-label">Network</span>
        <div className="segmented">
          <button className={control && !control.networkCut ? 'active' : ''} onClick={() => set({ networkCut: false })}>
            Connected
          </button>
          <button className={control?.networkCut ? 'active active-bad' : ''} onClick={() => set({ networkCut: true })} data-testid="server-cut">
            Cut
          </button>
        </div>
      </div>
      <div className="control">
        <span className="control-label">Latency</span>
        <div className="segmented">
          {LATENCIES.map((ms) => (
            <button key={ms} className={control?.latencyMs === ms ? 'active' : ''} onClick={() => set({ latencyMs: ms })} data-testid={`latency-${ms}`}>
              {ms === 0 ? 'none' : ms < 1000 ? `${ms} ms` : `${ms / 1000} s`}
            </button>
          ))}
        </div>
      </div>
      <div className="control">
        <span className="control-label">Failing writes</span>
        <div className="segmented">
          {FAILURES.map((r) => (
            <button key={r} className={control?.failureRate === r ? `active ${r ? 'active-bad' : ''}` : ''} onClick={() => set({ failureRate: r })} data-testid={`failures-${r * 100}`}>
              {r === 0 ? 'none' : `${r * 100}%`}
            </button>
          ))}
        </div>
      </div>
      <p className="muted small">
        Failing writes answer <code>HTTP {control?.failureStatus ?? 500}</code>: strata retries twice, then rolls the change back and lists it as failed.
        A cut destroys every API connection: reads fail, writes wait in the outbox.
      </p>
      <div className="section-head">
        <h3>Request log</h3>
        <span className="muted">this tab is {TAB_ID}</span>
        <button
          className="btn btn-small"
          onClick={async () => {
            await server.reset();
            await store.invalidateQueries();
            toast({ kind: 'info', title: 'Demo data reset', text: 'The server is back to its seed data.' });
          }}
        >
          Reset demo data
        </button>
      </div>
      <ol className="log" data-testid="request-log">
        {entries.length === 0 && <li className="muted">No request yet.</li>}
        {entries.map((e) => (
          <li key={e.seq} className={`log-entry outcome-${e.outcome}${e.tab === TAB_ID ? ' mine' : ''}`}>
            <span className="log-method">{e.method}</span>
            <code className="log-path">{e.path}</code>
            <span className="log-status">{e.status ?? '-'}</span>
            <Chip tone={OUTCOME_TONE[e.outcome] ?? 'neutral'}>{e.outcome ?? 'waiting'}</Chip>
            <span className="log-meta">
              {e.tab ? `tab ${e.tab}` : ''} {e.idempotencyKey ? `· key ${e.idempotencyKey.slice(0, 8)}` : ''} · {ago(e.at, now)}
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}

const OUTCOME_TONE = { read: 'neutral', applied: 'good', replayed: 'info', conflict: 'warn', rejected: 'bad', failed: 'bad', cut: 'bad', aborted: 'neutral', simulated: 'warn', stream: 'info' };

export function useOutboxToasts(openSync) {
  const list = useMutationList();
  const store = useStore();
  const prev = useRef(new Map());
  useEffect(() => {
    const before = prev.current;
    const next = new Map(list.map((m) => [m.id, m.status]));
    // A conflict resolved (or a failure retried or discarded): its toast has nothing left to ask.
    for (const [id, status] of before) {
      if ((status === 'conflict' || status === 'failed') && next.get(id) !== status) dismissToastKey(id);
    }
    for (const m of list) {
      if (before.get(m.id) === m.status) continue;
      if (m.status === 'failed') {
        toast({
          kind: 'error',
          key: m.id,
          title: `Not saved: ${describeRequest(store, m.request)}`,
          text: `${m.error ? m.error.message : 'The server refused it'}. Your change was undone.`,
          action: { label: 'Retry', run: () => store.retry(m.id).catch(() => {}) },
        });
      } else if (m.status === 'conflict') {
        const who = m.conflict?.server?.updatedBy?.name ?? 'Someone';
        toast({
          kind: 'warn',
          key: m.id,
          title: `${who} changed this too`,
          text: `${describeRequest(store, m.request)}: choose which version to keep.`,
          action: { label: 'Resolve', run: openSync },
          ttl: 15000,
        });
      }
    }
    prev.current = next;
  }, [list, store, openSync]);
}
