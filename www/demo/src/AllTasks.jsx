// All tasks: every task (the projects' and the Inbox's), oldest first, page by page, with
// useInfiniteQuery. Two lists of the same endpoint in its two styles: cursor pages (Load more,
// or on scroll) and offset pages (a window of at most 3 pages). Their rows are the board's
// TaskRows over the same Task entities: an edit on the board, in a drawer or pushed by the
// server shows here without a request, on whatever page the task is.
import { useEffect, useRef, useState } from 'react';
import { useInfiniteQuery } from 'strata-store/react';
import { PAGE_SIZE, pages } from './store.js';
import { usePendingByEntity } from './hooks.js';
import { ColumnBody, Failed, Skeleton, TaskRow, Waiting } from './Board.jsx';
import { Chip, Icon, Spinner } from './ui.jsx';

const STYLES = {
  cursor: {
    label: 'Cursor pages',
    request: `GET /api/tasks/page?limit=${PAGE_SIZE}&cursor=…`,
    answer: '{ items: [Task], nextCursor }',
    note: 'The next page starts after the last task of this one: tasks added or deleted meanwhile shift nothing.',
  },
  offset: {
    label: 'Offset pages',
    request: `GET /api/tasks/page?offset=N&limit=${PAGE_SIZE}`,
    answer: '{ items: [Task], offset, total }',
    note: 'A queryFn, maxPages: 3 (a 4th page drops the first; "Load earlier" brings it back). Offsets shift when tasks are added or deleted.',
  },
};

export function AllTasks({ onOpenTask, offline }) {
  const [style, setStyle] = useState('cursor');
  // A list is mounted when first shown and kept (hidden) after: its pages stay observed.
  const [shown, setShown] = useState({ cursor: true });
  const pick = (s) => {
    setStyle(s);
    setShown((x) => (x[s] ? x : { ...x, [s]: true }));
  };
  const info = STYLES[style];
  return (
    <section className="all-tasks" aria-label="All tasks" data-testid="all-tasks">
      <div className="all-head">
        <div className="all-title">
          <h2>All tasks</h2>
          <span className="hint">The projects and the Inbox, oldest first, {PAGE_SIZE} per page: one useInfiniteQuery, every page normalized.</span>
        </div>
        <div className="segmented" role="tablist" aria-label="Pagination style">
          {Object.entries(STYLES).map(([s, x]) => (
            <button key={s} role="tab" aria-selected={style === s} className={style === s ? 'active' : ''} onClick={() => pick(s)} data-testid={`style-${s}`}>
              {x.label}
            </button>
          ))}
        </div>
      </div>
      <p className="all-api small">
        <code>{info.request}</code> <span className="muted">→</span> <code>{info.answer}</code>
        <span className="muted"> · {info.note}</span>
      </p>
      {shown.cursor && (
        <div hidden={style !== 'cursor'}>
          <PagedList kind="cursor" query={pages.cursor} onOpenTask={onOpenTask} offline={offline} autoLoad />
        </div>
      )}
      {shown.offset && (
        <div hidden={style !== 'offset'}>
          <PagedList kind="offset" query={pages.offset} onOpenTask={onOpenTask} offline={offline} />
        </div>
      )}
    </section>
  );
}

/** A page's number and what it was fetched with, for its divider. */
function pageLabel(kind, param, index) {
  if (kind === 'offset') return { n: Math.floor(param / PAGE_SIZE) + 1, param: `offset=${param}` };
  return { n: index + 1, param: param ? `cursor=${param.length > 14 ? `${param.slice(0, 12)}…` : param}` : 'no cursor (the first page)' };
}

function PagedList({ kind, query, onOpenTask, offline, autoLoad = false }) {
  const q = useInfiniteQuery(query);
  const pending = usePendingByEntity();
  const [onScroll, setOnScroll] = useState(false);
  const sentinel = useRef(null);
  const list = q.data?.pages ?? [];
  const params = q.data?.pageParams ?? [];
  const rows = list.reduce((n, p) => n + p.items.length, 0);
  const total = kind === 'offset' ? list[list.length - 1]?.total : undefined;
  const busy = q.isFetchingNextPage || q.isFetchingPreviousPage;
  const last = list[list.length - 1];
  const nextN = last ? pageLabel(kind, kind === 'offset' ? last.offset + last.items.length : null, list.length).n : 1;

  // Load on scroll: the sentinel under the list coming into view fetches the next page. A new
  // observer per page, so a sentinel still in view after a page landed asks for one more.
  useEffect(() => {
    if (!onScroll || !q.hasNextPage || busy || !sentinel.current) return undefined;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) q.fetchNextPage();
    });
    io.observe(sentinel.current);
    return () => io.disconnect();
  }, [onScroll, q.hasNextPage, busy, list.length, q.fetchNextPage]); // eslint-disable-line react-hooks/exhaustive-deps

  let body;
  if (q.data === undefined) {
    if (q.isError) body = <ColumnBody><Failed q={q} offline={offline} title="all tasks" /></ColumnBody>;
    else if (q.fetchStatus === 'paused') body = <ColumnBody><Waiting /></ColumnBody>;
    else body = <Skeleton />;
  } else {
    body = (
      <ul className="tasks paged">
        {list.map((p, i) => {
          const label = pageLabel(kind, params[i], i);
          return [
            <li key={`page-${label.n}`} className="page-divider" data-testid="page-divider" data-page={label.n}>
              <span>Page {label.n}</span>
              <code>{label.param}</code>
              <span className="muted">{p.items.length} tasks</span>
            </li>,
            ...p.items.map((t) => (
              <TaskRow key={`${t.id}@${label.n}`} task={t} page={label.n} sync={pending.get(`Task:${t.id}`)} showProject onOpen={() => onOpenTask(t.id)} offline={offline} />
            )),
          ];
        })}
      </ul>
    );
  }

  return (
    <div
      className="column paged-list"
      style={{ '--accent': kind === 'cursor' ? '#6d5dfc' : '#0d9488' }}
      data-testid={`list-${kind}`}
      data-pages={list.length}
      data-rows={rows}
      data-has-next={String(q.hasNextPage)}
      data-has-previous={String(q.hasPreviousPage)}
      data-fetching-next={String(q.isFetchingNextPage)}
    >
      <div className="column-head">
        <span className="column-badge">{kind === 'cursor' ? 'CURSOR' : 'OFFSET'}</span>
        <h2>{STYLES[kind].label}</h2>
        <span className="column-count" data-testid="loaded">
          {rows} {total !== undefined ? `of ${total} ` : ''}loaded · {list.length} {list.length === 1 ? 'page' : 'pages'}
        </span>
        <span className="column-state">
          {q.isFetching && !busy && q.data !== undefined && (
            <Chip tone="info" title="A refetch fetches every page again, in order">
              <Spinner size={9} /> refreshing {list.length} {list.length === 1 ? 'page' : 'pages'}
            </Chip>
          )}
          {q.fetchStatus === 'paused' && q.data !== undefined && <Chip tone="warn">offline</Chip>}
          {autoLoad && (
            <label className="auto-load" title="Fetch the next page when the end of the list comes into view (IntersectionObserver)">
              <input type="checkbox" checked={onScroll} onChange={(e) => setOnScroll(e.target.checked)} data-testid="auto-load" /> Load on scroll
            </label>
          )}
        </span>
      </div>
      {q.hasPreviousPage && (
        <div className="paged-foot paged-top">
          <button className="btn btn-small" onClick={() => q.fetchPreviousPage()} disabled={busy} data-testid="load-previous">
            {q.isFetchingPreviousPage ? <Spinner /> : <Icon name="plus" size={12} />}
            {q.isFetchingPreviousPage ? 'Loading the page before…' : 'Load earlier'}
          </button>
          <span className="muted small">maxPages: 3 dropped the first pages</span>
        </div>
      )}
      {body}
      {q.data !== undefined && (
        <div className="paged-foot">
          {q.isError && (
            <span className="paged-error" data-testid="page-error" title={q.error?.message}>
              <Icon name="alert" size={14} /> {offline ? 'Offline: the page did not load.' : `A page did not load: ${q.error?.message}`}
            </span>
          )}
          {q.hasNextPage ? (
            <button className="btn btn-primary" onClick={() => q.fetchNextPage()} disabled={busy} data-testid="load-more">
              {q.isFetchingNextPage ? <Spinner /> : <Icon name="plus" size={14} />}
              {q.isFetchingNextPage ? `Loading page ${nextN}…` : q.isError ? 'Try again' : 'Load more'}
            </button>
          ) : (
            <span className="all-loaded" data-testid="all-loaded">
              <Icon name="check" size={14} /> {kind === 'offset' && total !== rows ? `The end: tasks ${total - rows + 1}–${total} of ${total} shown` : `All ${rows} tasks loaded`}
            </span>
          )}
        </div>
      )}
      <div ref={sentinel} className="sentinel" aria-hidden="true" />
    </div>
  );
}
