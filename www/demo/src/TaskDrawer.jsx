// A task's details: edit it, comment on it, and let "a teammate" change it on the server
// (pushed to the page live; offline, the way to make a conflict on purpose).
import { useEffect, useState } from 'react';
import { useEntity, useQuery, useStore } from 'strata-store/react';
import { ME, mutations, queries, server } from './store.js';
import { ago, toast, useNow, usePendingByEntity, useRun } from './hooks.js';
import { Avatar, Icon } from './ui.jsx';
import { SyncMark } from './Board.jsx';

export function TaskDrawer({ taskId, onClose, offline }) {
  const task = useEntity('Task', taskId);
  const pending = usePendingByEntity();
  const now = useNow(10_000);
  const run = useRun();
  const store = useStore();
  const users = useQuery(queries.users);
  const [title, setTitle] = useState(task?.title ?? '');
  const [comment, setComment] = useState('');

  useEffect(() => {
    if (task) setTitle(task.title);
  }, [task?.title]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const onKey = (e) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  if (!task) {
    return (
      <Shell onClose={onClose}>
        <div className="empty">
          <strong>This task is gone</strong>
          <span>It was deleted, or it was new and now has its server id.</span>
        </div>
      </Shell>
    );
  }

  const saveTitle = () => {
    const t = title.trim();
    if (t && t !== task.title) run(mutations.renameTask(task, t));
    else setTitle(task.title);
  };

  return (
    <Shell onClose={onClose}>
      <div className="drawer-head">
        {task.project && (
          <span className="project-tag" style={{ '--accent': task.project.color }}>
            {task.project.key}
          </span>
        )}
        <span className="muted">
          {task.project?.name} · {String(task.id).startsWith('tmp-') ? 'not saved yet' : `#${task.id}`} · version {task.version}
        </span>
        <SyncMark sync={pending.get(`Task:${task.id}`)} offline={offline} />
      </div>
      <input
        className="drawer-title"
        data-testid="drawer-title"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        onBlur={saveTitle}
        onKeyDown={(e) => {
          if (e.key === 'Enter') e.currentTarget.blur();
        }}
        aria-label="Title"
      />
      <div className="drawer-fields">
        <label className="field">
          <span>Status</span>
          <button className={`btn ${task.done ? 'btn-done' : ''}`} data-testid="drawer-toggle" onClick={() => run(mutations.toggleTask(task, !task.done))}>
            <Icon name="check" size={14} /> {task.done ? 'Done' : 'Mark done'}
          </button>
        </label>
        <label className="field">
          <span>Assignee</span>
          <select value={task.assignee?.id ?? ''} onChange={(e) => run(mutations.assignTask(task, e.target.value || null))}>
            <option value="">Unassigned</option>
            {(users.data ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
                {u.id === ME ? ' (you)' : ''}
              </option>
            ))}
          </select>
        </label>
        <div className="field">
          <span>Last change</span>
          <span className="muted">
            {task.updatedBy ? task.updatedBy.name : 'someone'}, {ago(task.updatedAt, now)}
          </span>
        </div>
      </div>

      <h3>Comments</h3>
      <ul className="comments">
        {task.comments.length === 0 && <li className="muted">No comments yet.</li>}
        {task.comments.map((c) => (
          <li key={c.id} className={String(c.id).startsWith('tmp-') ? 'comment pending' : 'comment'}>
            <Avatar user={c.author} size={26} />
            <div>
              <div className="comment-head">
                <strong>{c.author?.name ?? 'Someone'}</strong>
                <span className="muted">{String(c.id).startsWith('tmp-') ? 'sending…' : ago(c.createdAt, now)}</span>
              </div>
              <p>{c.body}</p>
            </div>
          </li>
        ))}
      </ul>
      <form
        className="comment-form"
        onSubmit={(e) => {
          e.preventDefault();
          const body = comment.trim();
          if (!body) return;
          run(mutations.addComment(task, store.tempId(), body)).promise.catch((err) => {
            if (err.code !== 'CANCELLED') toast({ kind: 'error', title: 'Comment not posted', text: err.message });
          });
          setComment('');
        }}
      >
        <textarea placeholder="Write a comment…" value={comment} onChange={(e) => setComment(e.target.value)} rows={2} aria-label="Comment" />
        <button className="btn btn-primary" type="submit" disabled={!comment.trim()}>
          Comment
        </button>
      </form>

      <Teammate task={task} users={users.data ?? []} offline={offline} />

      <div className="drawer-foot">
        <button
          className="btn btn-danger"
          onClick={() => {
            run(mutations.deleteTask(task));
            onClose();
          }}
        >
          <Icon name="trash" size={14} /> Delete task
        </button>
      </div>
    </Shell>
  );
}

function Shell({ children, onClose }) {
  return (
    <div className="drawer-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <aside className="drawer" data-testid="drawer" role="dialog" aria-label="Task details">
        <button className="icon-btn drawer-close" onClick={onClose} aria-label="Close" data-testid="drawer-close">
          <Icon name="x" size={18} />
        </button>
        {children}
      </aside>
    </div>
  );
}

function Teammate({ task, users, offline }) {
  const others = users.filter((u) => u.id !== ME);
  const [userId, setUserId] = useState('u2');
  const who = users.find((u) => u.id === userId);
  const first = who ? who.name.split(' ')[0] : 'A teammate';
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const suggested = `${task.title.replace(/ \(.*'s edit\)$/, '')} (${first}'s edit)`;

  const act = async (patch, what) => {
    setBusy(true);
    try {
      await server.editAs(task.id, userId, patch);
      toast({
        kind: 'info',
        title: `${first} ${what} on the server`,
        text: offline
          ? 'This page is offline: it gets the change when the connection is back. An edit of yours waiting in the outbox meets theirs then.'
          : 'The server pushed the change to every open page: this one shows it without a refetch.',
        key: 'teammate',
      });
    } catch (e) {
      toast({ kind: 'error', title: 'The simulated edit failed', text: e.message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="teammate" data-testid="teammate">
      <h3>
        <Icon name="bolt" size={14} /> Simulate a teammate
      </h3>
      <p className="muted">
        Changes the task on the server as someone else, the way a colleague on another laptop would; the server pushes it to this page. For a
        conflict, go offline first, edit the task, let them change it too, then go online.
      </p>
      <div className="teammate-row">
        <select value={userId} onChange={(e) => setUserId(e.target.value)} aria-label="Teammate">
          {others.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name}
            </option>
          ))}
        </select>
        <input value={title} placeholder={suggested} onChange={(e) => setTitle(e.target.value)} aria-label="Their title" data-testid="teammate-title" />
      </div>
      <div className="teammate-row">
        <button className="btn" disabled={busy} data-testid="teammate-retitle" onClick={() => act({ title: title.trim() || suggested }, 'retitled it')}>
          {first} retitles it
        </button>
        <button className="btn" disabled={busy} data-testid="teammate-toggle" onClick={() => act({ done: !task.done }, task.done ? 'reopened it' : 'completed it')}>
          {first} {task.done ? 'reopens' : 'completes'} it
        </button>
      </div>
    </section>
  );
}
