// The board: one column per project plus "My tasks", and the team strip. The columns are
// three queries whose rows are shared Task entities (and whose assignees are shared Users):
// one change reaches every column that shows it (and All tasks, whose rows are TaskRows too).
import { useEffect, useRef, useState } from 'react';
import { useEntity, useQuery, useStore } from 'strata-store/react';
import { ME, mutations, pages, queries } from './store.js';
import { toast, usePendingByEntity, useRun } from './hooks.js';
import { Avatar, Chip, Icon, Spinner } from './ui.jsx';

export function Board({ onOpenTask, offline }) {
  const projects = useQuery(queries.projects);
  const list = projects.data ?? [];
  return (
    <section className="board" aria-label="Task lists">
      {projects.isPending && projects.fetchStatus !== 'paused' && !projects.isError
        ? [0, 1].map((i) => <SkeletonColumn key={i} />)
        : list.map((p) => (
            <TaskColumn
              key={p.id}
              testid={`column-${p.id}`}
              title={p.name}
              badge={p.key}
              accent={p.color}
              query={queries.projectTasks(p.id)}
              projectId={p.id}
              onOpenTask={onOpenTask}
              offline={offline}
            />
          ))}
      {projects.isError && !projects.data && <ColumnError title="Projects" q={projects} offline={offline} />}
      {projects.fetchStatus === 'paused' && !projects.data && (
        <div className="column">
          <ColumnBody>
            <Waiting />
          </ColumnBody>
        </div>
      )}
      <TaskColumn
        testid="column-mine"
        title="My tasks"
        badge="ME"
        accent="#334155"
        query={queries.myTasks}
        showProject
        onOpenTask={onOpenTask}
        offline={offline}
      />
    </section>
  );
}

function SkeletonColumn() {
  return (
    <div className="column">
      <div className="column-head">
        <span className="skeleton" style={{ width: 140, height: 16 }} />
      </div>
      <Skeleton />
    </div>
  );
}

export function Skeleton() {
  return (
    <ul className="tasks" aria-busy="true">
      {[0, 1, 2, 3].map((i) => (
        <li key={i} className="task skeleton-row">
          <span className="skeleton" style={{ width: 18, height: 18, borderRadius: 5 }} />
          <span className="skeleton" style={{ flex: 1, height: 14 }} />
          <span className="skeleton" style={{ width: 24, height: 24, borderRadius: 12 }} />
        </li>
      ))}
    </ul>
  );
}

function ColumnError({ title, q, offline }) {
  return (
    <div className="column column-error" data-testid="column-error">
      <div className="column-head">
        <h2>{title}</h2>
      </div>
      <Failed q={q} offline={offline} title={title.toLowerCase()} />
    </div>
  );
}

function TaskColumn({ testid, title, badge, accent, query, projectId, showProject, onOpenTask, offline }) {
  const q = useQuery(query);
  const pending = usePendingByEntity();
  const tasks = q.data ?? [];
  const open = tasks.filter((t) => !t.done).length;

  let body;
  if (q.data === undefined) {
    if (q.isError) body = <ColumnBody><Failed q={q} offline={offline} title={title} /></ColumnBody>;
    else if (q.fetchStatus === 'paused') body = <ColumnBody><Waiting /></ColumnBody>;
    else body = <Skeleton />;
  } else if (tasks.length === 0) {
    body = (
      <ColumnBody>
        <div className="empty">
          <Icon name="check" size={28} />
          <strong>Nothing here</strong>
          <span>{projectId ? 'Add the first task below.' : 'No task is assigned to you.'}</span>
        </div>
      </ColumnBody>
    );
  } else {
    body = (
      <ul className="tasks">
        {tasks.map((t) => (
          <TaskRow key={t.id} task={t} sync={pending.get(`Task:${t.id}`)} showProject={showProject} onOpen={() => onOpenTask(t.id)} offline={offline} />
        ))}
      </ul>
    );
  }

  return (
    <div className="column" data-testid={testid} style={{ '--accent': accent }}>
      <div className="column-head">
        <span className="column-badge">{badge}</span>
        <h2>{title}</h2>
        <span className="column-count" title={`${open} open, ${tasks.length - open} done`} data-testid="column-count">
          {open} open of {tasks.length}
        </span>
        <span className="column-state">
          {q.isFetching && <Spinner />}
          {q.isError && q.data !== undefined && (
            <Chip tone="warn" title={q.error?.message} testid="stale-data">
              {offline ? 'offline · saved data' : 'refresh failed'}
            </Chip>
          )}
          {q.fetchStatus === 'paused' && q.data !== undefined && <Chip tone="warn">offline</Chip>}
        </span>
      </div>
      {body}
      {projectId && <NewTask projectId={projectId} />}
    </div>
  );
}

export function ColumnBody({ children }) {
  return <div className="column-body">{children}</div>;
}

export function Failed({ q, offline, title }) {
  return (
    <div className="empty" data-testid="list-error">
      <Icon name={offline ? 'cloudOff' : 'alert'} size={28} />
      <strong>{offline ? 'You are offline' : `Could not load ${title}`}</strong>
      <span>{offline ? 'It was never loaded on this device; it appears as soon as the connection is back.' : q.error?.message}</span>
      <button className="btn" onClick={() => q.refetch()}>
        <Icon name="refresh" size={14} /> Try again
      </button>
    </div>
  );
}

export function Waiting() {
  return (
    <div className="empty">
      <Icon name="cloudOff" size={28} />
      <strong>Waiting for the network</strong>
      <span>The list loads as soon as you are back online.</span>
    </div>
  );
}

const SYNC_LABEL = {
  queued: 'Waiting to sync',
  inflight: 'Saving…',
  failed: 'Not saved',
  conflict: 'Conflict',
};

export function SyncMark({ sync, offline }) {
  if (!sync) return null;
  const tone = sync === 'failed' ? 'bad' : sync === 'conflict' ? 'warn' : 'busy';
  const label = sync === 'queued' && offline ? 'Saved offline' : SYNC_LABEL[sync];
  return (
    <span className={`sync-mark sync-${sync}`} data-testid="sync-mark" title={label}>
      {sync === 'inflight' ? <Spinner size={10} /> : <Icon name={sync === 'queued' ? 'cloudOff' : 'alert'} size={12} />}
      <span className={`sync-mark-text tone-${tone}`}>{label}</span>
    </span>
  );
}

/** One task: toggle, rename (click the title), assign, open (details). `page`: its page in All tasks. */
export function TaskRow({ task, sync, showProject, onOpen, offline, page }) {
  const run = useRun();
  const users = useQuery(queries.users);
  const [editing, setEditing] = useState(false);
  const temp = String(task.id).startsWith('tmp-');

  return (
    <li
      className={`task${task.done ? ' done' : ''}${sync ? ` has-sync sync-${sync}` : ''}`}
      data-testid={`task-${task.id}`}
      data-title={task.title}
      data-done={String(task.done)}
      data-sync={sync || 'saved'}
      data-page={page}
    >
      <label className="check" title={task.done ? 'Mark as not done' : 'Mark as done'}>
        <input
          type="checkbox"
          checked={task.done}
          data-testid="toggle"
          onChange={(e) => run(mutations.toggleTask(task, e.target.checked))}
        />
        <span className="check-box">
          <Icon name="check" size={12} />
        </span>
      </label>
      <div className="task-main">
        {editing ? (
          <TitleEditor
            value={task.title}
            onDone={(title) => {
              setEditing(false);
              if (title !== null && title !== task.title) run(mutations.renameTask(task, title));
            }}
          />
        ) : (
          <button className="task-title" data-testid="title" onClick={() => setEditing(true)} title="Click to rename">
            {task.title}
          </button>
        )}
        <div className="task-meta">
          {showProject &&
            (task.project ? (
              <span className="project-tag" style={{ '--accent': task.project.color }}>
                {task.project.key}
              </span>
            ) : (
              <span className="project-tag" style={{ '--accent': '#64748b' }} title="In the Inbox: no project yet">
                INBOX
              </span>
            ))}
          {temp && <Chip tone="info">new</Chip>}
          <SyncMark sync={sync} offline={offline} />
          <button className="meta-btn" onClick={onOpen} data-testid="open" title="Details and comments">
            <Icon name="comment" size={12} /> {task.comments.length}
          </button>
        </div>
      </div>
      <label className="assignee" title={task.assignee ? `Assigned to ${task.assignee.name} (click to change)` : 'Assign'}>
        <Avatar user={task.assignee} />
        <select
          aria-label="Assignee"
          data-testid="assignee"
          value={task.assignee?.id ?? ''}
          onChange={(e) => run(mutations.assignTask(task, e.target.value || null))}
        >
          <option value="">Unassigned</option>
          {(users.data ?? []).map((u) => (
            <option key={u.id} value={u.id}>
              {u.name}
              {u.id === ME ? ' (you)' : ''}
            </option>
          ))}
        </select>
      </label>
    </li>
  );
}

export function TitleEditor({ value, onDone, testid = 'title-input' }) {
  const [text, setText] = useState(value);
  const ref = useRef(null);
  useEffect(() => {
    ref.current?.focus();
    ref.current?.select();
  }, []);
  const commit = () => onDone(text.trim() === '' ? null : text.trim());
  return (
    <input
      ref={ref}
      className="title-input"
      data-testid={testid}
      value={text}
      onChange={(e) => setText(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit();
        if (e.key === 'Escape') onDone(null);
      }}
    />
  );
}

function NewTask({ projectId }) {
  const store = useStore();
  const run = useRun();
  const users = useQuery(queries.users);
  const [title, setTitle] = useState('');
  const [assigneeId, setAssignee] = useState(ME);
  const submit = (e) => {
    e.preventDefault();
    const t = title.trim();
    if (!t) return;
    // All tasks has its last page: the new task shows at its end at once, too.
    const all = store.getInfiniteQueryState(pages.cursor.queryKey);
    const allLoaded = Boolean(all && all.data && !all.hasNextPage);
    const { promise } = run(mutations.createTask(store.tempId(), { projectId, title: t, assigneeId: assigneeId || null }, { allLoaded }));
    promise.catch((error) => {
      if (error.code !== 'CONFLICT' && error.code !== 'CANCELLED') {
        toast({ kind: 'error', title: `“${t}” was not created`, text: error.message });
      }
    });
    setTitle('');
  };
  return (
    <form className="new-task" onSubmit={submit} data-testid="new-task">
      <Icon name="plus" size={14} />
      <input placeholder="Add a task…" value={title} onChange={(e) => setTitle(e.target.value)} data-testid="new-task-title" aria-label="New task title" />
      <select value={assigneeId} onChange={(e) => setAssignee(e.target.value)} aria-label="Assign the new task" data-testid="new-task-assignee">
        <option value="">Nobody</option>
        {(users.data ?? []).map((u) => (
          <option key={u.id} value={u.id}>
            {u.id === ME ? 'Me' : u.name.split(' ')[0]}
          </option>
        ))}
      </select>
      <button className="btn btn-small btn-primary" type="submit" disabled={!title.trim()}>
        Add
      </button>
    </form>
  );
}

// ---- the team strip ------------------------------------------------------------------------

export function Team({ offline }) {
  const users = useQuery(queries.users);
  const pending = usePendingByEntity();
  return (
    <section className="team" aria-label="Team" data-testid="team">
      <div className="team-head">
        <h2>Team</h2>
        <span className="hint">Rename someone: every list that shows them changes at once, it is one User entity.</span>
      </div>
      <ul className="team-list">
        {users.data === undefined && users.isPending && [0, 1, 2, 3, 4].map((i) => <li key={i} className="member"><span className="skeleton" style={{ width: 120, height: 28 }} /></li>)}
        {users.isError && users.data === undefined && (
          <li className="member muted">
            {offline ? 'Offline: the team appears as soon as the connection is back.' : `The team could not be loaded: ${users.error?.message}`}
            <button className="btn btn-small" onClick={() => users.refetch()}>
              Try again
            </button>
          </li>
        )}
        {(users.data ?? []).map((u) => (
          <Member key={u.id} user={u} sync={pending.get(`User:${u.id}`)} />
        ))}
      </ul>
    </section>
  );
}

function Member({ user, sync }) {
  const run = useRun();
  const [editing, setEditing] = useState(false);
  return (
    <li className="member" data-testid={`user-${user.id}`}>
      <Avatar user={user} size={30} />
      <div className="member-text">
        {editing ? (
          <TitleEditor
            value={user.name}
            testid="name-input"
            onDone={(name) => {
              setEditing(false);
              if (name !== null && name !== user.name) {
                run(mutations.renameUser(user, name)).promise.catch((e) => {
                  if (e.code !== 'CANCELLED') toast({ kind: 'error', title: 'Rename failed', text: e.message });
                });
              }
            }}
          />
        ) : (
          <button className="member-name" onClick={() => setEditing(true)} data-testid="name" title="Click to rename">
            {user.name}
            {user.id === ME && <span className="you">you</span>}
          </button>
        )}
        <span className="member-role">
          {user.role}
          <SyncMark sync={sync} />
        </span>
      </div>
    </li>
  );
}

/** The signed-in user, for the header. */
export function Me() {
  const me = useEntity('User', ME);
  if (!me) return <Avatar user={null} size={30} title="Signed in" />;
  return (
    <div className="me" data-testid="me">
      <Avatar user={me} size={30} />
      <span>{me.name}</span>
    </div>
  );
}
