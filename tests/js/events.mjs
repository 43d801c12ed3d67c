// The store's timeline (store.subscribeEvents / store.events()) against the real test API:
// a fetch (start, end with duration, bytes and status), a mutation that fails and rolls back,
// a conflict, a push, two stores of one name (two tabs: BroadcastChannel messages), and the
// devtools read store.inspect().
import { test, assert, assertEqual, assertThrowsCode } from './harness.mjs';
import { createStore } from '/pkg/index.js';

const entities = { Task: { version: 'version', relations: { assignee: 'User' } }, User: {} };

async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return r.json();
}
async function until(what, pred, ms = 8000) {
  const start = Date.now();
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const types = (events) => events.map((e) => e.type);
const patch = (id, fields, extra = {}) => ({
  request: { method: 'PATCH', url: `/tasks/${id}`, body: fields },
  optimistic: [{ op: 'update', type: 'Task', id, patch: fields }],
  shape: 'Task',
  ...extra,
});

async function setup() {
  await api('/api/_reset', {});
  const store = await createStore({ persist: false, baseUrl: '/api', entities });
  const events = [];
  const off = store.subscribeEvents((e) => events.push(e));
  return { store, events, off };
}

test('events: nothing is recorded while nobody listens', async () => {
  await api('/api/_reset', {});
  const store = await createStore({ persist: false, baseUrl: '/api', entities });
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  assertEqual(store.events(), [], 'no listener: no history');
  const events = [];
  const off = store.subscribeEvents((e) => events.push(e));
  off();
  await store.refetchQueries();
  assertEqual(events, [], 'an unsubscribed listener hears nothing');
  store.close();
});

test('events: a url fetch has a start and an end with duration, bytes and status', async () => {
  const { store, events, off } = await setup();
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  assertEqual(types(events), ['fetch-start', 'fetch-end']);
  const [start, end] = events;
  assertEqual([start.queryHash, start.queryKey, start.url], ['["tasks"]', ['tasks'], '/api/tasks']);
  assertEqual([end.queryHash, end.status, end.error, end.ok, end.ticket], ['["tasks"]', 200, null, true, start.ticket]);
  const body = await (await fetch('/api/tasks')).text();
  assertEqual(end.bytes, body.length, 'bytes: the response body (Content-Length)');
  assert(typeof end.duration === 'number' && end.duration >= 0, 'a duration in ms');
  assert(end.seq === start.seq + 1 && end.at >= start.at, 'stamped in order');
  assert(Object.isFrozen(end), 'events are frozen');
  assertEqual(store.events(), events, 'the history holds the same events');
  off();
  store.close();
});

test('events: a failed fetch ends with its status and error code', async () => {
  const { store, events, off } = await setup();
  await api('/api/_fixture', { path: '/api/tasks', status: 500, json: { error: 'down' }, times: 1 });
  await assertThrowsCode(() => store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'], retry: false }), 'HTTP');
  const end = events.find((e) => e.type === 'fetch-end');
  assertEqual([end.status, end.error, end.ok], [500, 'HTTP', false]);
  off();
  store.close();
});

test('events: a queryFn fetch ends with the size of its JSON', async () => {
  const { store, events, off } = await setup();
  await store.fetchQuery({ queryKey: ['fn'], queryFn: async () => ({ a: 1 }) });
  const end = events.find((e) => e.type === 'fetch-end');
  assertEqual([end.url, end.bytes, end.status, end.ok], [null, '{"a":1}'.length, null, true]);
  off();
  store.close();
});

test('events: a mutation that fails is sent, settles with its error and rolls back', async () => {
  const { store, events, off } = await setup();
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  events.length = 0;
  await api('/api/_fixture', { path: '/api/tasks/1', status: 422, json: { error: 'no' }, times: 1 });
  const done = store.mutate(patch(1, { title: 'will fail' }));
  await assertThrowsCode(() => done, 'HTTP');
  const mine = events.filter((e) => e.id === done.id);
  assertEqual(types(mine), ['mutation-sent', 'mutation-settled', 'rollback']);
  const [sent, settled, rollback] = mine;
  assertEqual([sent.method, sent.url, sent.name], ['PATCH', '/api/tasks/1', 'PATCH /api/tasks/1']);
  assertEqual([settled.status, settled.httpStatus, settled.error], ['error', 422, 'HTTP']);
  assert(settled.duration >= 0, 'a duration');
  assertEqual(rollback.error, 'HTTP');
  off();
  store.close();
});

test('events: a mutation that succeeds settles with success', async () => {
  const { store, events, off } = await setup();
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  const done = store.mutate(patch(1, { title: 'ok' }));
  await done;
  const settled = events.find((e) => e.type === 'mutation-settled');
  assertEqual([settled.id, settled.status, settled.httpStatus, settled.error], [done.id, 'success', 200, null]);
  assert(!events.some((e) => e.type === 'rollback'), 'no rollback');
  off();
  store.close();
});

test('events: a conflict (manual policy) is on the timeline', async () => {
  const { store, events, off } = await setup();
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  await api('/api/_edit', { id: 1, patch: { title: 'edited elsewhere' } });
  const done = store.mutate(patch(1, { title: 'mine' }, { conflict: 'manual' }));
  done.catch(() => {});
  await until('the conflict', () => store.mutations().some((m) => m.status === 'conflict'));
  const mine = events.filter((e) => e.id === done.id);
  assertEqual(types(mine), ['mutation-sent', 'mutation-settled', 'conflict']);
  assertEqual([mine[1].status, mine[1].httpStatus], ['conflict', 409]);
  store.discard(done.id);
  off();
  store.close();
});

test('events: a push and the connection changes', async () => {
  const { store, events, off } = await setup();
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  const conn = store.connect({ url: '/events' });
  await until('the connection to open', () => store.connectionState().status === 'open');
  await api('/api/_edit', { id: 1, patch: { title: 'pushed' } });
  await until('the push', () => store.getEntity('Task', 1).title === 'pushed');
  const push = events.find((e) => e.type === 'push');
  assertEqual([push.count, push.refused], [1, 0]);
  conn.close();
  const statuses = events.filter((e) => e.type === 'connection').map((e) => [e.previous, e.status]);
  assertEqual(statuses, [['closed', 'connecting'], ['connecting', 'open'], ['open', 'closed']]);
  off();
  store.close();
});

test('events: two stores of one name (two tabs) post and receive tab messages', async () => {
  await api('/api/_reset', {});
  const name = `events-${Math.random().toString(36).slice(2)}`;
  const a = await createStore({ name, baseUrl: '/api', entities });
  const b = await createStore({ name, baseUrl: '/api', entities });
  const seenA = [];
  const seenB = [];
  const offA = a.subscribeEvents((e) => seenA.push(e));
  const offB = b.subscribeEvents((e) => seenB.push(e));
  await a.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  await until('the cache delta in the other tab', () => b.getQueryData(['tasks']) !== undefined);
  const sent = seenA.filter((e) => e.type === 'tab-message' && e.direction === 'sent').map((e) => e.kind);
  const received = seenB.filter((e) => e.type === 'tab-message' && e.direction === 'received').map((e) => e.kind);
  assert(sent.includes('cache'), `the first tab posted its cache delta (sent: ${sent})`);
  assert(received.includes('cache'), `the second tab received it (received: ${received})`);
  offA();
  offB();
  await a.clear();
  a.close();
  b.close();
});

test('events: a throwing listener does not break the store or the other listeners', async () => {
  const { store, events, off } = await setup();
  const errors = [];
  const onError = (e) => {
    errors.push(e.message);
    e.preventDefault();
  };
  window.addEventListener('error', onError);
  const offBad = store.subscribeEvents(() => {
    throw new Error('listener bug');
  });
  try {
    const data = await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
    assertEqual(data.length > 0, true, 'the fetch settled');
    assertEqual(types(events), ['fetch-start', 'fetch-end'], 'the other listener heard both');
    assert(errors.some((m) => /listener bug/.test(m)), 'the bug was reported');
  } finally {
    window.removeEventListener('error', onError);
    offBad();
    off();
    store.close();
  }
});

test('inspect: entities with the queries that show them, and the layers of pending mutations', async () => {
  await api('/api/_reset', {});
  const store = await createStore({ persist: false, baseUrl: '/api', entities });
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  const tasks = store.getQueryData(['tasks']);
  const { entities: list } = store.inspect();
  const first = list.find((e) => e.key === `Task:${tasks[0].id}`);
  assertEqual([first.type, first.id, first.queries], ['Task', String(tasks[0].id), ['["tasks"]']]);
  const user = list.find((e) => e.type === 'User');
  if (user) assertEqual(user.queries, ['["tasks"]'], 'a user is shown through the tasks that reference it');
  await api('/api/_fixture', { path: `/api/tasks/${tasks[0].id}`, status: 503, json: {}, times: 100 });
  const done = store.mutate({ ...patch(tasks[0].id, { title: 'layered' }), retry: 0 });
  done.catch(() => {});
  const layer = store.inspect().layers.find((l) => l.id === done.id);
  assertEqual([layer.active, layer.writes.map((w) => [w.key, w.patch.title])], [true, [[`Task:${tasks[0].id}`, 'layered']]]);
  await assertThrowsCode(() => done, 'HTTP');
  assertEqual(store.inspect().layers.find((l) => l.id === done.id).active, false, 'a failed mutation keeps no active layer');
  store.close();
});
