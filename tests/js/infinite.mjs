// Infinite queries against the test API: pages of tasks served from /api/feed/<n> (set with
// `_set`), cursors in each page. Every page is normalized, so a task on page 3 is the task
// everything else shows.
import { test, assert, assertEqual, assertSame } from './harness.mjs';
import { createStore } from '/pkg/index.js';

const entities = { Task: { relations: { assignee: 'User' } }, User: {} };

async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return r.json();
}
const log = async () => (await api('/api/_log')).filter((e) => e.path.startsWith('/api/feed/')).map((e) => e.path);

/** Pages 0..n-1 of `size` tasks; each names the next cursor (null on the last). */
async function serve(n, size = 3, title = (id) => `task ${id}`) {
  await api('/api/_reset', {});
  for (let p = 0; p < n; p++) {
    const items = Array.from({ length: size }, (_, i) => {
      const id = p * size + i + 1;
      return { id, title: title(id), assignee: { id: 'u1', name: 'Ann' } };
    });
    await api(`/api/_set?path=/api/feed/${p}`, { items, next: p + 1 < n ? p + 1 : null, prev: p > 0 ? p - 1 : null });
  }
}

const feed = (extra = {}) => ({
  queryKey: ['feed'],
  url: (cursor) => `/feed/${cursor}`,
  shape: { items: ['Task'], next: null, prev: null },
  initialPageParam: 0,
  getNextPageParam: (last) => last.next,
  getPreviousPageParam: (first) => first.prev,
  retry: 0,
  ...extra,
});
const ids = (data) => data.pages.map((p) => p.items.map((t) => t.id));

async function store() {
  return createStore({ persist: false, baseUrl: '/api', entities });
}

test('infinite: first page, next pages, hasNextPage at the end; isFetchingNextPage while it loads', async () => {
  await serve(3);
  const s = await store();
  let seen = [];
  const off = s.subscribeInfiniteQuery(feed(), () => {
    const st = s.getInfiniteQueryState(['feed']);
    seen.push(st.isFetchingNextPage);
  });
  let st = await s.fetchNextPage(['feed']); // no data yet: fetches the first page
  assertEqual(ids(st.data), [[1, 2, 3]]);
  assertEqual([st.hasNextPage, st.hasPreviousPage], [true, false]);
  seen = [];
  st = await s.fetchNextPage(['feed']);
  assert(seen.includes(true), 'isFetchingNextPage was true while the page loaded');
  assertEqual(ids(st.data), [[1, 2, 3], [4, 5, 6]]);
  assertEqual(st.data.pageParams, [0, 1]);
  st = await s.fetchNextPage(['feed']);
  assertEqual(st.data.pageParams, [0, 1, 2]);
  assertEqual([st.hasNextPage, st.isFetchingNextPage], [false, false]);
  const before = (await log()).length;
  st = await s.fetchNextPage(['feed']);
  assertEqual((await log()).length, before, 'no next page: nothing fetched');
  assertSame(s.getInfiniteQueryState(['feed']), st, 'the same state object until it changes');
  off();
  s.close();
});

test('infinite: previous pages and maxPages drop pages from the other end', async () => {
  await serve(4);
  const s = await store();
  const off = s.subscribeInfiniteQuery(feed({ initialPageParam: 2, maxPages: 2 }), () => {});
  await s.fetchNextPage(['feed']);
  let st = await s.fetchNextPage(['feed']);
  assertEqual(st.data.pageParams, [2, 3]);
  st = await s.fetchPreviousPage(['feed']);
  assertEqual(st.data.pageParams, [1, 2], 'page 3 dropped for page 1');
  st = await s.fetchPreviousPage(['feed']);
  assertEqual(st.data.pageParams, [0, 1]);
  assertEqual([st.hasPreviousPage, st.hasNextPage], [false, true]);
  off();
  s.close();
});

test('infinite: a refetch fetches every page again, in order from the first', async () => {
  await serve(3);
  const s = await store();
  const off = s.subscribeInfiniteQuery(feed(), () => {});
  await s.fetchNextPage(['feed']);
  await s.fetchNextPage(['feed']);
  await s.fetchNextPage(['feed']);
  await serve(3, 3, (id) => `v2 ${id}`);
  await s.invalidateQueries({ queryKey: ['feed'] });
  assertEqual(await log(), ['/api/feed/0', '/api/feed/1', '/api/feed/2'], 'in order, from the first');
  const data = s.getQueryData(['feed']);
  assertEqual(data.pages[2].items[0].title, 'v2 7');
  assertEqual(data.pageParams, [0, 1, 2]);
  off();
  s.close();
});

test('infinite: a failing page keeps the others; an entity on page 3 is the entity everywhere', async () => {
  await serve(3);
  const s = await store();
  const off = s.subscribeInfiniteQuery(feed(), () => {});
  await s.fetchNextPage(['feed']);
  await s.fetchNextPage(['feed']);
  await api('/api/_fixture', { path: '/api/feed/2', status: 500, times: 1, json: { error: 'down' } });
  let st = await s.fetchNextPage(['feed']);
  assertEqual([st.status, st.error?.code, st.error?.status], ['error', 'HTTP', 500]);
  assertEqual(ids(st.data), [[1, 2, 3], [4, 5, 6]], 'the pages already there stay');
  st = await s.fetchNextPage(['feed']);
  assertEqual(st.status, 'success');
  const task8 = st.data.pages[2].items[1];
  assertSame(task8, s.getEntity('Task', 8), 'the page holds the shared entity snapshot');
  s.updateEntity('Task', 8, { title: 'renamed' });
  assertEqual(s.getQueryData(['feed']).pages[2].items[1].title, 'renamed');
  assertSame(s.getQueryData(['feed']).pages[0], st.data.pages[0], 'untouched pages stay ===');
  off();
  s.close();
});

test('infinite: an optimistic insert goes into the first page (start) or the last (end)', async () => {
  await serve(2);
  const s = await store();
  const off = s.subscribeInfiniteQuery(feed(), () => {});
  await s.fetchNextPage(['feed']);
  await s.fetchNextPage(['feed']);
  await api('/api/_fixture', { path: '/api/tasks', status: 201, json: { id: 100, title: 'made' }, delayMs: 300 });
  const done = s.mutate({
    request: { method: 'POST', url: '/tasks', body: { title: 'made' } },
    optimistic: [{ op: 'insert', type: 'Task', data: { id: s.tempId(), title: 'made' }, into: [{ queryKey: ['feed'], path: 'items', position: 'start' }] }],
    shape: 'Task',
  });
  assertEqual(s.getQueryData(['feed']).pages[0].items[0].title, 'made', 'shown at once at the start of the first page');
  await done;
  assertEqual(s.getQueryData(['feed']).pages[0].items[0].id, 100, 'the real id');
  assertEqual(s.getQueryData(['feed']).pages[1].items.length, 3);
  off();
  s.close();
});

test('infinite: the queryFn form (offsets) and fetchInfiniteQuery with `pages`', async () => {
  const s = await store();
  const calls = [];
  const opts = {
    queryKey: ['offsets'],
    queryFn: ({ pageParam, direction, signal }) => {
      calls.push([pageParam, direction, signal instanceof AbortSignal]);
      return { rows: [{ id: 1000 + pageParam, title: `row ${pageParam}` }], offset: pageParam };
    },
    shape: { rows: ['Task'], offset: null },
    initialPageParam: 0,
    getNextPageParam: (last) => (last.offset < 40 ? last.offset + 10 : undefined),
    pages: 3,
  };
  const data = await s.fetchInfiniteQuery(opts);
  assertEqual(data.pageParams, [0, 10, 20]);
  assertEqual(calls, [[0, 'forward', true], [10, 'forward', true], [20, 'forward', true]]);
  assertSame(data.pages[1].rows[0], s.getEntity('Task', 1010));
  s.close();
});

test('infinite: bad options are INVALID_ARGUMENT naming the option', async () => {
  const s = await store();
  const bad = [
    { queryKey: ['x'], initialPageParam: 0, getNextPageParam: () => null },
    { queryKey: ['x'], url: () => '/a', getNextPageParam: () => null },
    { queryKey: ['x'], url: () => '/a', initialPageParam: 0 },
    { queryKey: ['x'], url: () => '/a', initialPageParam: 0, getNextPageParam: () => null, maxPages: 0 },
    { queryKey: ['x'], url: '/a', initialPageParam: 0, getNextPageParam: () => null },
  ];
  for (const o of bad) {
    let code;
    try {
      s.subscribeInfiniteQuery(o, () => {});
    } catch (e) {
      code = e.code;
    }
    assertEqual(code, 'INVALID_ARGUMENT', Object.keys(o).join(','));
  }
  let code;
  try {
    await s.fetchNextPage(['never']);
  } catch (e) {
    code = e.code;
  }
  assertEqual(code, 'INVALID_ARGUMENT');
  s.close();
});
