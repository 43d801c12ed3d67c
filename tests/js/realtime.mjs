// Real-time tests against the test API's push endpoints (GET /api/events SSE and /api/ws
// WebSocket, tests/server/api.mjs): pushes reach every query, survive slow older answers,
// resume after a drop, refetch after a gap that cannot be replayed, refuse bad messages and
// keep going. Each test resets the server (which closes every stream).
import { test, assert, assertEqual } from './harness.mjs';
import { createStore } from '/pkg/index.js';

const entities = { Task: { version: 'version', relations: { assignee: 'User' } }, User: {} };
const TRANSPORTS = { sse: '/events', websocket: '/ws' };

async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return r.json();
}
const count = async (path) => (await api(`/api/_count?path=${encodeURIComponent(path)}`)).count;
const push = (msg) => api('/api/_push', msg);
const connections = () => api('/api/_events/connections');

/** Resolves once `pred()` holds (checked every 20 ms). */
async function until(what, pred, ms = 8000) {
  const start = Date.now();
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const isOpen = (store) => until('the connection to open', () => store.connectionState().status === 'open');

async function setup(transport, connectOptions = {}, storeOptions = {}) {
  await api('/api/_reset', {});
  const store = await createStore({ persist: false, baseUrl: '/api', entities, ...storeOptions });
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  await store.fetchQuery({ queryKey: ['task', 1], url: '/tasks/1', shape: 'Task' });
  const errors = [];
  const conn = store.connect({ url: TRANSPORTS[transport], transport, onError: (e) => errors.push(e), ...connectOptions });
  await isOpen(store);
  return { store, conn, errors };
}

for (const transport of Object.keys(TRANSPORTS)) {
  test(`${transport}: a push reaches every query showing the entity, without a request`, async () => {
    const { store, conn } = await setup(transport);
    const before = [await count('/api/tasks'), await count('/api/tasks/1')];
    const seen = { list: 0, one: 0 };
    store.subscribeQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'], staleTime: Infinity }, () => seen.list++);
    store.subscribeQuery({ queryKey: ['task', 1], url: '/tasks/1', shape: 'Task', staleTime: Infinity }, () => seen.one++);
    seen.list = seen.one = 0; // subscribing reported the queries' states
    await api('/api/_edit', { id: 1, patch: { title: 'edited elsewhere' } });
    await until('the push', () => store.getEntity('Task', 1).title === 'edited elsewhere');
    assertEqual(store.getQueryData(['tasks'])[0].title, 'edited elsewhere');
    assertEqual(store.getQueryData(['task', 1]).title, 'edited elsewhere');
    assertEqual(store.getEntity('Task', 1).version, 2);
    assertEqual([seen.list, seen.one], [1, 1], 'each observer notified once');
    assertEqual([await count('/api/tasks'), await count('/api/tasks/1')], before, 'no refetch');
    const s = store.connectionState();
    assertEqual([s.status, s.lastEventId, s.reconnects, s.error], ['open', '1', 0, null]);
    assert(s.lastMessageAt > 0);
    // A delete removes it from every query.
    await push({ type: 'delete', entity: 'Task', id: 2 });
    await until('the delete', () => store.getQueryData(['tasks']).length === 2);
    assertEqual(store.getEntity('Task', 2), undefined);
    conn.close();
    assertEqual(store.connectionState().status, 'closed');
    store.close();
  });

  test(`${transport}: bad messages are refused with a code; the store and the connection keep working`, async () => {
    const { store, errors } = await setup(transport);
    await push({ raw: 'not json' });
    await push({ type: 'replace', entity: 'Task' });
    await push({ type: 'upsert', entity: 'Nope', data: { id: 1 } });
    await push({ type: 'upsert', entity: 'Task', data: { title: 'no id' } });
    await push({ type: 'upsert', entity: 'Task', data: { id: 3, title: 'fine' } });
    await until('the good message', () => store.getEntity('Task', 3).title === 'fine');
    assertEqual(errors.map((e) => e.code), ['PARSE', 'PARSE', 'SHAPE', 'SHAPE']);
    assertEqual(errors[0].text, 'not json', 'the refused text comes with the error');
    assertEqual(store.getEntity('Task', 1).title, 'one', 'nothing of them applied');
    const s = store.connectionState();
    assertEqual([s.status, s.reconnects], ['open', 0]);
    store.close();
  });

  test(`${transport}: a slow answer to a request sent before a push does not undo it`, async () => {
    // Users have no version: only the order of request and push protects the push.
    const { store } = await setup(transport);
    await api('/api/_set?path=/api/users', [{ id: 'u1', name: 'Ann', role: 'dev' }]);
    await api('/api/_fixture', { path: '/api/users', delayMs: 400, times: 1, json: [{ id: 'u1', name: 'Ann (old)', role: 'dev' }] });
    const slow = store.fetchQuery({ queryKey: ['users'], url: '/users', shape: ['User'] });
    await new Promise((r) => setTimeout(r, 100)); // the request is out
    await push({ type: 'upsert', entity: 'User', data: { id: 'u1', name: 'Ann (pushed)' } });
    await until('the push', () => store.getEntity('User', 'u1')?.name === 'Ann (pushed)');
    await slow;
    assertEqual(store.getQueryData(['users']), [{ id: 'u1', name: 'Ann (pushed)', role: 'dev' }], 'the older answer filled in the rest');
    // Versioned tasks: an older version never overwrites a newer one.
    await push({ type: 'upsert', entity: 'Task', data: { id: 1, title: 'v9', version: 9 } });
    await until('v9', () => store.getEntity('Task', 1).version === 9);
    await store.refetchQueries({ queryKey: ['tasks'] });
    assertEqual(store.getEntity('Task', 1).title, 'v9', 'the refetched version 1 did not win');
    store.close();
  });

  test(`${transport}: offline pauses the connection; online reopens it`, async () => {
    const { store } = await setup(transport);
    await window.__setOffline(true);
    await until('paused', () => store.connectionState().status === 'paused');
    await window.__setOffline(false);
    await isOpen(store);
    assertEqual(store.connectionState().reconnects, 1);
    store.close();
  });
}

test('sse: a reconnect sends Last-Event-ID and receives exactly the missed events (no refetch)', async () => {
  const { store } = await setup('sse', { retryDelay: 50 });
  await push({ type: 'upsert', entity: 'Task', data: { id: 1, title: 'e1' } });
  await until('e1', () => store.getEntity('Task', 1).title === 'e1');
  const lists = await count('/api/tasks');
  // A replay of e1 would undo this local write.
  store.updateEntity('Task', 1, { title: 'local' });
  const seen = { 1: 0, 2: 0, 3: 0 };
  for (const id of [1, 2, 3]) store.subscribeEntity('Task', id, () => seen[id]++);
  await api('/api/_events/refuse', { on: true });
  await api('/api/_events/drop', {});
  await push({ type: 'upsert', entity: 'Task', data: { id: 2, title: 'e2' } });
  await push({ type: 'upsert', entity: 'Task', data: { id: 3, title: 'e3' } });
  await until('a refused attempt', () => store.connectionState().error?.code === 'HTTP');
  await api('/api/_events/refuse', { on: false });
  await until('resumed', () => store.connectionState().lastEventId === '3', 10_000);
  assertEqual([1, 2, 3].map((id) => store.getEntity('Task', id).title), ['local', 'e2', 'e3'], 'the missed events, not e1 again');
  assertEqual(seen, { 1: 0, 2: 1, 3: 1 });
  const c = (await connections()).filter((x) => x.transport === 'sse' && !x.refused);
  assertEqual(c.map((x) => x.lastEventId), [null, '1']);
  assertEqual(await count('/api/tasks'), lists, 'a resumed stream refetches nothing');
  assertEqual(store.connectionState().reconnects, 1);
  store.close();
});

test('sse: the store headers() go with the stream request', async () => {
  const { store } = await setup('sse', {}, { headers: () => ({ Authorization: 'Bearer t0k' }) });
  const c = await connections();
  assertEqual(c.at(-1).headers.authorization, 'Bearer t0k');
  store.close();
});

test('websocket: a reconnect after a gap refetches the active queries (onReconnect)', async () => {
  const { store } = await setup('websocket', { retryDelay: 50 });
  const obs = store.subscribeQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] }, () => {});
  await until('the list fetched', () => store.getQueryState(['tasks']).fetchStatus === 'idle');
  const lists = await count('/api/tasks');
  await api('/api/_events/drop', {});
  await until('reconnected', () => store.connectionState().reconnects === 1);
  await until('the list refetched', () => store.getQueryState(['tasks']).fetchStatus === 'idle');
  assertEqual(await count('/api/tasks'), lists + 1, 'the active list was fetched again');
  obs();
  store.close();

  // onReconnect: 'none' leaves the queries alone.
  const second = await setup('websocket', { retryDelay: 50, onReconnect: 'none' });
  const off = second.store.subscribeQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] }, () => {});
  await until('the list fetched', () => second.store.getQueryState(['tasks']).fetchStatus === 'idle');
  const n = await count('/api/tasks');
  await api('/api/_events/drop', {});
  await until('reconnected', () => second.store.connectionState().reconnects === 1);
  await new Promise((r) => setTimeout(r, 100));
  assertEqual(await count('/api/tasks'), n);
  off();
  second.store.close();
});

test('websocket: a connection silent past heartbeatMs is reopened', async () => {
  const { store } = await setup('websocket', { heartbeatMs: 300, retryDelay: 50 });
  await api('/api/_events/heartbeat', { ms: 0 });
  await api('/api/_events/drop', { silent: true });
  await until('reopened', () => store.connectionState().reconnects === 1, 5000);
  assertEqual(store.connectionState().status, 'open');
  store.close();
});

test('websocket: url() is evaluated at each connect (a token in the query string)', async () => {
  let n = 0;
  const { store } = await setup('websocket', { url: () => `/ws?token=${++n}`, retryDelay: 50 });
  await api('/api/_events/drop', {});
  await until('reconnected', () => store.connectionState().reconnects === 1);
  const urls = (await connections()).map((c) => c.url);
  assert(urls[0].includes('token=1') && urls.at(-1).includes('token=2'), JSON.stringify(urls));
  store.close();
});

test('an echo of our own write does not flicker: the title never goes back', async () => {
  const { store } = await setup('sse');
  const titles = [];
  store.subscribeEntity('Task', 1, () => titles.push(store.getEntity('Task', 1).title));
  // The server applies the write at once (and broadcasts it) but answers 300 ms later.
  await api('/api/_after', { times: 1, delayMs: 300 });
  const done = store.mutate({
    request: { method: 'PATCH', url: '/tasks/1', body: { title: 'mine' } },
    optimistic: [{ op: 'update', type: 'Task', id: 1, patch: { title: 'mine' } }],
    shape: 'Task',
  });
  await until('the echo', () => store.connectionState().lastEventId === '1');
  assertEqual(store.getEntity('Task', 1).version, 1, 'the echo waits for its mutation');
  await done;
  assertEqual(titles, ['mine', 'mine'], 'the optimistic write, then the settle (version 2): the title never went back');
  assertEqual(store.getEntity('Task', 1).version, 2);
  store.close();
});

test('connect: bad options are INVALID_ARGUMENT; one connection per store', async () => {
  const store = await createStore({ persist: false, baseUrl: '/api', entities });
  for (const o of [undefined, {}, { url: '/events', nope: 1 }, { url: '/e', transport: 'smoke' }, { url: '/e', heartbeatMs: -1 }]) {
    let code;
    try {
      store.connect(o);
    } catch (e) {
      code = e.code;
    }
    assertEqual(code, 'INVALID_ARGUMENT', JSON.stringify(o));
  }
  const c = store.connect({ url: '/events' });
  let code;
  try {
    store.connect({ url: '/events' });
  } catch (e) {
    code = e.code;
  }
  assertEqual(code, 'INVALID_ARGUMENT');
  c.close();
  store.connect({ url: '/events' }).close();
  store.close();
});
