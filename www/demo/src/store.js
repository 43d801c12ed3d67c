// Everything the demo tells strata: the entity types, the store's options, the queries and the
// mutations. Components only pick from here.
import { createStore } from 'strata-store';

/** The signed-in user (the demo has no login). */
export const ME = 'u1';

/** One id per tab, sent as X-Demo-Tab so the server's request log says which tab sent what. */
export const TAB_ID = (() => {
  try {
    let id = sessionStorage.getItem('teamboard-tab');
    if (!id) sessionStorage.setItem('teamboard-tab', (id = Math.random().toString(36).slice(2, 6)));
    return id;
  } catch {
    return Math.random().toString(36).slice(2, 6);
  }
})();

export const entities = {
  User: {},
  Project: {},
  Comment: { relations: { author: 'User' } },
  Task: {
    relations: { project: 'Project', assignee: 'User', updatedBy: 'User', comments: ['Comment'] },
    // strata sends the base version as If-Match and in the body; the server answers 409 with the
    // current task when someone else changed it first.
    version: 'version',
  },
};

export function createDemoStore({ onError } = {}) {
  return createStore({
    // One IndexedDB database per user: the outbox and the cache survive a reload (persist).
    name: `teamboard-${ME}`,
    persist: true,
    baseUrl: '/api',
    headers: () => ({ 'X-Demo-Tab': TAB_ID }), // evaluated per request, never stored
    entities,
    defaults: { staleTime: 30_000, retry: 2, retryDelay: 400 },
    onError,
  });
}

// ---- live updates (server pushes) ---------------------------------------------------------

/**
 * How this page listens to the server: Server-Sent Events at /api/events by default, or a
 * WebSocket at /api/ws with `?transport=websocket` in the page url. The server pushes every
 * applied write (ours too, with its Idempotency-Key) and strata puts it in the cache's server
 * base, under the optimistic layers: a teammate's edit shows without a refetch.
 */
export const LIVE = (() => {
  let transport = 'sse';
  try {
    if (new URLSearchParams(location.search).get('transport') === 'websocket') transport = 'websocket';
  } catch {
    // no location (not a browser)
  }
  return transport === 'websocket'
    ? // A browser WebSocket cannot send headers: the tab id goes in the url for the request log.
      { transport, label: 'WebSocket', url: `/ws?tab=${encodeURIComponent(TAB_ID)}` }
    : { transport, label: 'SSE', url: '/events' };
})();

/** Opens the store's connection (in a persisted store only the tab that sends the outbox connects). */
export function connectDemoStore(store, { onError } = {}) {
  return store.connect({
    url: LIVE.url,
    ...(LIVE.transport === 'websocket' ? { transport: 'websocket' } : {}),
    onError,
    // The demo server is local and its network cut is a switch: after "Online", the
    // connection is back within about 3 s instead of strata's default 30 s backoff ceiling.
    retryDelay: 500,
    maxRetryDelay: 3000,
  });
}

// ---- queries ----------------------------------------------------------------------------

// Each query carries its data's shape in `meta` too: the cache inspector (SidePanel) lists the
// cache with store.queries(), whose entries have the query's meta, and walks the data with it
// to find the entities inside.
const USERS = ['User'];
const PROJECTS = ['Project'];
const TASKS = ['Task'];
const USERS_META = { shape: USERS };
const PROJECTS_META = { shape: PROJECTS };
const TASKS_META = { shape: TASKS };

export const queries = {
  users: { queryKey: ['users'], url: '/users', shape: USERS, meta: USERS_META },
  projects: { queryKey: ['projects'], url: '/projects', shape: PROJECTS, meta: PROJECTS_META },
  projectTasks: (projectId) => ({ queryKey: ['project', projectId, 'tasks'], url: `/projects/${projectId}/tasks`, shape: TASKS, meta: TASKS_META }),
  myTasks: { queryKey: ['tasks', 'mine'], url: `/tasks?assignee=${ME}`, shape: TASKS, meta: TASKS_META },
};

// ---- infinite queries: every task (projects and the Inbox), page by page -----------------

export const PAGE_SIZE = 20;

/**
 * "All tasks", two ways to page the same list. Each page is normalized through `shape`, so a
 * task on page 3 is the Task entity the board shows: an edit anywhere reaches every page.
 */
export const pages = {
  // A cursor API: GET /api/tasks/page?limit=20&cursor=C -> { items: [Task], nextCursor }.
  // strata GETs `url(pageParam)` itself (baseUrl, headers); refetches go through every page again.
  cursor: {
    queryKey: ['tasks', 'all', 'cursor'],
    url: (cursor) => `/tasks/page?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    shape: { items: ['Task'], nextCursor: null },
    // The data is `{ pages, pageParams }`, each page of `shape` (for the cache inspector).
    meta: { shape: { pages: [{ items: ['Task'], nextCursor: null }], pageParams: null } },
    initialPageParam: null,
    getNextPageParam: (lastPage) => lastPage.nextCursor, // null: that was the last page
  },
  // An offset API: GET /api/tasks/page?offset=N&limit=20 -> { items, offset, total }, fetched by
  // a queryFn (the page's own fetch), keeping a window of at most 3 pages (maxPages): a 4th
  // page drops the first, which "Load earlier" (getPreviousPageParam) brings back.
  offset: {
    queryKey: ['tasks', 'all', 'offset'],
    queryFn: async ({ pageParam, signal }) => {
      const r = await fetch(`/api/tasks/page?offset=${pageParam}&limit=${PAGE_SIZE}`, { signal, headers: { 'X-Demo-Tab': TAB_ID } });
      if (!r.ok) throw new Error(`GET /api/tasks/page: HTTP ${r.status}`);
      return r.json();
    },
    shape: { items: ['Task'], offset: null, total: null },
    meta: { shape: { pages: [{ items: ['Task'], offset: null, total: null }], pageParams: null } },
    initialPageParam: 0,
    getNextPageParam: (last) => (last.offset + last.items.length < last.total ? last.offset + last.items.length : undefined),
    getPreviousPageParam: (first) => (first.offset > 0 ? Math.max(0, first.offset - PAGE_SIZE) : undefined),
    maxPages: 3,
  },
};

// ---- mutations (plain data: they are persisted and replayed after a reload) --------------

const ref = (id) => (id ? { id } : null);

export const mutations = {
  toggleTask: (task, done) => ({
    request: { method: 'PATCH', url: `/tasks/${task.id}`, body: { done } },
    optimistic: [{ op: 'update', type: 'Task', id: task.id, patch: { done } }],
    shape: 'Task',
    // A teammate renamed it meanwhile? Different fields: merged and resent on their version.
    conflict: 'merge',
  }),

  renameTask: (task, title) => ({
    request: { method: 'PATCH', url: `/tasks/${task.id}`, body: { title } },
    optimistic: [{ op: 'update', type: 'Task', id: task.id, patch: { title } }],
    shape: 'Task',
    // Someone else changed other fields: merged and resent. They retitled it too: listed as a
    // conflict and the user decides, side by side (Sync panel).
    conflict: 'merge',
  }),

  assignTask: (task, userId) => ({
    request: { method: 'PATCH', url: `/tasks/${task.id}`, body: { assigneeId: userId } },
    optimistic: [{ op: 'update', type: 'Task', id: task.id, patch: { assignee: ref(userId) } }],
    shape: 'Task',
    conflict: 'merge',
    invalidate: [queries.myTasks.queryKey], // it may join or leave "My tasks"
  }),

  // `allLoaded`: "All tasks" (cursor pages) has its last page, so the new task goes at its end
  // too (`path` is read inside the page); otherwise it comes with the page it falls on.
  createTask: (tempId, { projectId, title, assigneeId }, { allLoaded = false } = {}) => {
    const now = Date.now();
    const into = [{ queryKey: queries.projectTasks(projectId).queryKey, position: 'end' }];
    if (assigneeId === ME) into.push({ queryKey: queries.myTasks.queryKey, position: 'end' });
    if (allLoaded) into.push({ queryKey: pages.cursor.queryKey, path: 'items', position: 'end' });
    return {
      request: { method: 'POST', url: '/tasks', body: { projectId, title, assigneeId, clientId: tempId } },
      optimistic: [
        {
          op: 'insert',
          type: 'Task',
          data: {
            id: tempId,
            title,
            done: false,
            version: 0,
            project: ref(projectId),
            assignee: ref(assigneeId),
            comments: [],
            createdAt: now,
            updatedAt: now,
            updatedBy: ref(ME),
          },
          into,
        },
      ],
      shape: 'Task',
    };
  },

  deleteTask: (task) => ({
    request: { method: 'DELETE', url: `/tasks/${task.id}` },
    optimistic: [{ op: 'delete', type: 'Task', id: task.id }],
  }),

  addComment: (task, tempId, body) => ({
    request: { method: 'POST', url: `/tasks/${task.id}/comments`, body: { body } },
    optimistic: [
      { op: 'insert', type: 'Comment', data: { id: tempId, body, createdAt: Date.now(), author: ref(ME) } },
      { op: 'update', type: 'Task', id: task.id, patch: { comments: [...task.comments.map((c) => ref(c.id)), ref(tempId)] } },
    ],
    shape: 'Comment',
  }),

  renameUser: (user, name) => ({
    request: { method: 'PATCH', url: `/users/${user.id}`, body: { name } },
    optimistic: [{ op: 'update', type: 'User', id: user.id, patch: { name } }],
    shape: 'User',
  }),
};

// ---- reading a mutation back (works for mutations restored after a reload or made in
// another tab, which this tab never saw being created) -------------------------------------

/** The entity a queued request is about: 'Task:t3', 'User:u2' or the temp id of a new task. */
export function subjectOf(request) {
  const path = request.url.replace(/^https?:\/\/[^/]+/, '').replace(/^\/api/, '').split('?')[0];
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'tasks' && parts[1]) return `Task:${parts[1]}`;
  if (parts[0] === 'tasks' && request.method === 'POST' && request.body && request.body.clientId) return `Task:${request.body.clientId}`;
  if (parts[0] === 'users' && parts[1]) return `User:${parts[1]}`;
  return null;
}

const quote = (s) => `“${s}”`;

/** A sentence for a queued request: "Complete “Write the launch announcement”". */
export function describeRequest(store, request) {
  const body = request.body && typeof request.body === 'object' ? request.body : {};
  const key = subjectOf(request);
  const [type, id] = key ? [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)] : [];
  const entity = type ? store.getEntity(type, id) : undefined;
  const name = entity ? quote(entity.title ?? entity.name) : id ? `${type} ${id}` : '';
  const path = request.url.replace(/^\/api/, '');
  if (request.method === 'POST' && /^\/tasks\/?$/.test(path)) return `Create ${quote(body.title)}`;
  if (request.method === 'POST' && /\/comments$/.test(path)) return `Comment on ${name}`;
  if (request.method === 'DELETE') return `Delete ${name}`;
  if (type === 'User' && 'name' in body) return `Rename ${entity && entity.name !== body.name ? name : `user ${id}`} to ${quote(body.name)}`;
  if ('title' in body) return `Retitle to ${quote(body.title)}`;
  if ('done' in body) return `${body.done ? 'Complete' : 'Reopen'} ${name}`;
  if ('assigneeId' in body) {
    const who = body.assigneeId ? store.getEntity('User', body.assigneeId) : null;
    return body.assigneeId ? `Assign ${name} to ${who ? who.name : body.assigneeId}` : `Unassign ${name}`;
  }
  return `${request.method} ${request.url}`;
}

// ---- the demo server's controls (not strata: the knobs of the fake backend) -------------

export const server = {
  async control(patch) {
    const r = await fetch('/api/_control', patch ? { method: 'POST', body: JSON.stringify(patch) } : undefined);
    if (!r.ok) throw new Error(`control: HTTP ${r.status}`);
    return r.json();
  },
  async editAs(taskId, userId, patch) {
    const r = await fetch('/api/_control/edit-as', { method: 'POST', body: JSON.stringify({ taskId, userId, patch }) });
    if (!r.ok) throw new Error((await r.json().catch(() => ({}))).error || `HTTP ${r.status}`);
    return r.json();
  },
  async log(after = 0) {
    const r = await fetch(`/api/_control/log?after=${after}`);
    if (!r.ok) throw new Error(`log: HTTP ${r.status}`);
    return r.json();
  },
  async reset() {
    const r = await fetch('/api/_control/reset', { method: 'POST' });
    if (!r.ok) throw new Error(`reset: HTTP ${r.status}`);
  },
};
