// Live lists: "My tasks" and a filter bar (open / done, by assignee, sorted), each one live
// query over the Task entities already in the cache (docs/LIVE_QUERIES.md). No request: the
// core keeps each list as tasks change, from the board, a drawer, another tab or a server
// push, and an optimistic change shows at once and leaves exactly if it is rolled back.
import { useState } from 'react';
import { useQuery } from 'strata-store/react';
import { ME, queries } from './store.js';
import { usePendingByEntity } from './hooks.js';
import { ColumnBody, TaskRow } from './Board.jsx';
import { Icon } from './ui.jsx';

const SORTS = {
  newest: { label: 'Newest', orderBy: [['createdAt', 'desc']] },
  updated: { label: 'Recently updated', orderBy: [['updatedAt', 'desc']] },
  title: { label: 'Title', orderBy: [['title', 'asc']] },
};

/** The live definition of the filter bar's choice. */
export function liveFilter({ status, assignee, sort }) {
  const where = {};
  if (status !== 'all') where.done = status === 'done';
  if (assignee === 'none') where.assignee = null;
  else if (assignee !== 'anyone') where.assignee = assignee;
  return { from: 'Task', where, orderBy: SORTS[sort].orderBy, limit: 50 };
}

export function LiveTasks({ onOpenTask, offline }) {
  const users = useQuery(queries.users).data ?? [];
  const [f, setF] = useState({ status: 'open', assignee: 'anyone', sort: 'newest' });
  const set = (k) => (e) => setF((x) => ({ ...x, [k]: e.target.value }));
  const live = liveFilter(f);
  return (
    <section className="all-tasks" aria-label="Live lists" data-testid="live-tasks">
      <div className="all-head">
        <div className="all-title">
          <h2>Live lists</h2>
          <span className="hint">Live queries over the cached tasks: filtered, sorted and counted in Rust, kept up to date on every change, without a request.</span>
        </div>
      </div>
      <LiveList testid="live-mine" title="My tasks" live={{ from: 'Task', where: { assignee: ME, done: false }, orderBy: [['updatedAt', 'desc']] }} onOpenTask={onOpenTask} offline={offline} />
      <div className="live-filters" role="group" aria-label="Filter">
        <label>
          Status{' '}
          <select value={f.status} onChange={set('status')} data-testid="live-status">
            <option value="open">Open</option>
            <option value="done">Done</option>
            <option value="all">All</option>
          </select>
        </label>
        <label>
          Assignee{' '}
          <select value={f.assignee} onChange={set('assignee')} data-testid="live-assignee">
            <option value="anyone">Anyone</option>
            <option value="none">Nobody</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>{u.name}</option>
            ))}
          </select>
        </label>
        <label>
          Sort{' '}
          <select value={f.sort} onChange={set('sort')} data-testid="live-sort">
            {Object.entries(SORTS).map(([k, s]) => (
              <option key={k} value={k}>{s.label}</option>
            ))}
          </select>
        </label>
        <code className="small">{JSON.stringify(live.where)}</code>
      </div>
      <LiveList testid="live-filtered" title="Filtered" live={live} onOpenTask={onOpenTask} offline={offline} />
    </section>
  );
}

function LiveList({ testid, title, live, onOpenTask, offline }) {
  // The definition is the key: each choice is its own live query (kept while shown).
  const q = useQuery({ queryKey: ['live', live], live });
  const pending = usePendingByEntity();
  const tasks = q.data ?? [];
  return (
    <div className="column" data-testid={testid}>
      <div className="column-head">
        <span className="column-badge"><Icon name="list" size={14} /></span>
        <h2>{title}</h2>
        <span className="column-count" data-testid={`${testid}-total`} title="members before the window (state.total)">
          {tasks.length < (q.total ?? 0) ? `${tasks.length} of ${q.total}` : q.total ?? 0}
        </span>
      </div>
      {tasks.length === 0 ? (
        <ColumnBody>
          <div className="empty">
            <Icon name="check" size={28} />
            <strong>Nothing here</strong>
          </div>
        </ColumnBody>
      ) : (
        <ul className="tasks">
          {tasks.map((t) => (
            <TaskRow key={t.id} task={t} sync={pending.get(`Task:${t.id}`)} showProject onOpen={() => onOpenTask(t.id)} offline={offline} />
          ))}
        </ul>
      )}
    </div>
  );
}
