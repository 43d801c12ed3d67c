// Optimistic mutation tests against the real local API's versioned /api/tasks (409 with the
// current task on a stale version, idempotent replays). Each test resets the server.
import { test, assert, assertEqual, assertThrowsCode } from './harness.mjs';
import { createStore } from '/pkg/index.js';

const entities = { Task: { version: 'version', relations: { assignee: 'User' } }, User: {} };

async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return r.json();
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const serverTask = async (id) => (await api('/api/_tasks')).find((t) => String(t.id) === String(id));

async function setup() {
  await api('/api/_reset', {});
  const store = await createStore({ persist: false, baseUrl: '/api', entities });
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  return store;
}

const patch = (id, fields, extra = {}) => ({
  request: { method: 'PATCH', url: `/tasks/${id}`, body: fields },
  optimistic: [{ op: 'update', type: 'Task', id, patch: fields }],
  shape: 'Task',
  ...extra,
});

test('an optimistic update shows in the same call, then the server result', async () => {
  const store = await setup();
  let seen;
  const off = store.subscribeEntity('Task', 1, () => { seen = store.getEntity('Task', 1).title; });
  const done = store.mutate(patch(1, { title: 'renamed' }));
  assertEqual(seen, 'renamed', 'the listener ran before mutate returned');
  assertEqual(store.getQueryData(['tasks'])[0].title, 'renamed');
  assertEqual(store.syncState().pending, 1);
  assertEqual(store.mutations().map((m) => m.id), [done.id], 'the promise names its entry');
  const result = await done;
  assertEqual([result.title, result.version], ['renamed', 2], 'resolved with the response read through shape');
  assertEqual(store.getEntity('Task', 1).version, 2);
  assertEqual(store.syncState().pending, 0);
  assertEqual(store.mutations(), []);
  const log = (await api('/api/_log?path=/api/tasks/1'))[0];
  assertEqual(log.headers['if-match'], '"1"', 'sent the base version');
  assert(/^[0-9a-f-]{36}$/.test(log.headers['idempotency-key']), 'an Idempotency-Key');
  off();
  store.close();
});

test('concurrent mutations: the first fails, the second keeps its change', async () => {
  const store = await setup();
  await api('/api/_fixture', { path: '/api/tasks/1', status: 422, json: { error: 'no' }, times: 1 });
  const first = store.mutate(patch(1, { title: 'will fail' }));
  const second = store.mutate({ ...patch(1, { done: true }), conflict: 'client-wins' });
  assertEqual([store.getEntity('Task', 1).title, store.getEntity('Task', 1).done], ['will fail', true]);
  const e = await assertThrowsCode(() => first, 'HTTP');
  assertEqual(e.status, 422);
  assertEqual([store.getEntity('Task', 1).title, store.getEntity('Task', 1).done], ['one', true], 'only the failed change rolled back');
  await second;
  assertEqual([store.getEntity('Task', 1).title, store.getEntity('Task', 1).done], ['one', true]);
  assertEqual((await serverTask(1)).done, true);
  const failed = store.mutations();
  assertEqual(failed.map((m) => m.status), ['failed'], 'the failed one stays listed');
  assertEqual(failed[0].error.code, 'HTTP');
  store.discard(failed[0].id);
  assertEqual(store.mutations(), []);
  store.close();
});

test('a refetch during a pending mutation shows the server data with the change on top', async () => {
  const store = await setup();
  await api('/api/_fixture', { path: '/api/tasks/2', delayMs: 400, json: { id: 2, title: 'mine', done: false, version: 3, assignee: null } });
  const pending = store.mutate(patch(2, { title: 'mine' }));
  await api('/api/_edit', { id: 2, patch: { done: true } });
  await store.refetchQueries({ queryKey: ['tasks'] });
  const t = store.getEntity('Task', 2);
  assertEqual([t.title, t.done], ['mine', true], 'server field under the pending change');
  await pending;
  store.close();
});

test('conflicts: server-wins, client-wins and merge', async () => {
  const store = await setup();
  await api('/api/_edit', { id: 1, patch: { done: true } }); // version 2 on the server, 1 here
  const e = await assertThrowsCode(() => store.mutate({ ...patch(1, { title: 'mine' }), conflict: 'server-wins' }), 'CONFLICT');
  assertEqual(e.current.version, 2, 'the error carries the current entity');
  assertEqual([store.getEntity('Task', 1).title, store.getEntity('Task', 1).done, store.getEntity('Task', 1).version], ['one', true, 2]);

  await api('/api/_edit', { id: 2, patch: { title: 'theirs' } });
  const r = await store.mutate({ ...patch(2, { title: 'ours' }), conflict: 'client-wins' });
  assertEqual(r.title, 'ours');
  assertEqual((await serverTask(2)).title, 'ours');

  await api('/api/_edit', { id: 3, patch: { done: true } });
  const m = await store.mutate({ ...patch(3, { title: 'merged' }), conflict: 'merge' });
  assertEqual([m.title, m.done], ['merged', true], 'non-overlapping fields merged');
  const s3 = await serverTask(3);
  assertEqual([s3.title, s3.done], ['merged', true]);
  store.close();
});

test('overlapping merge becomes a manual conflict resolved with a value', async () => {
  const store = await setup();
  await api('/api/_edit', { id: 1, patch: { title: 'theirs' } });
  const done = store.mutate({ ...patch(1, { title: 'ours' }), conflict: 'merge' });
  let list;
  for (let i = 0; i < 50 && !(list && list[0] && list[0].status === 'conflict'); i++) {
    await sleep(20);
    list = store.mutations();
  }
  assertEqual(list[0].status, 'conflict');
  assertEqual(list[0].conflict.local, { id: 1, title: 'ours' });
  assertEqual([list[0].conflict.base.title, list[0].conflict.server.title], ['one', 'theirs']);
  assertEqual(store.syncState().conflicts, 1);
  store.resolveConflict(list[0].id, { title: 'both' });
  const r = await done;
  assertEqual(r.title, 'both');
  assertEqual((await serverTask(1)).title, 'both');
  assertEqual(store.syncState().conflicts, 0);
  store.close();
});

test('a 409 without a body reads the current entity with GET', async () => {
  const store = await setup();
  await api('/api/_edit', { id: 1, patch: { done: true } });
  const r = await store.mutate({
    ...patch(1, { title: 'after read' }),
    request: { method: 'PATCH', url: '/tasks/1', body: { title: 'after read' }, headers: { 'x-conflict-shape': 'empty' } },
    conflict: 'client-wins',
  });
  assertEqual(r.title, 'after read');
  const methods = (await api('/api/_log?path=/api/tasks/1')).map((l) => `${l.method} ${l.status}`);
  assertEqual(methods, ['PATCH 409', 'GET 200', 'PATCH 200']);
  store.close();
});

test('5xx retries with backoff; 401 pauses the queue until flush', async () => {
  const store = await setup();
  await api('/api/_fixture', { path: '/api/tasks/1', status: 503, body: '<html>busy</html>', times: 2 });
  const r = await store.mutate({ ...patch(1, { title: 'eventually' }), retryDelay: 10 });
  assertEqual(r.title, 'eventually');
  const log = await api('/api/_log?path=/api/tasks/1');
  assertEqual(log.map((l) => l.status), [503, 503, 200]);
  assertEqual(new Set(log.map((l) => l.headers['idempotency-key'])).size, 1, 'the same key on every attempt');

  await api('/api/_fixture', { path: '/api/tasks/2', status: 401, json: { error: 'expired' }, times: 1 });
  const paused = store.mutate(patch(2, { title: 'after login' }));
  for (let i = 0; i < 50 && !store.syncState().lastError; i++) await sleep(20);
  assertEqual(store.syncState().lastError.code, 'AUTH');
  assertEqual(store.getEntity('Task', 2).title, 'after login', 'nothing rolled back');
  await sleep(100);
  assertEqual((await api('/api/_log?path=/api/tasks/2')).length, 1, 'paused: no resend');
  await store.flush();
  assertEqual((await paused).title, 'after login');
  store.close();
});

test('headers() that throws: the mutation waits unsent (AUTH) until flush, then goes with the headers', async () => {
  await api('/api/_reset', {});
  let token = null;
  const store = await createStore({
    persist: false,
    baseUrl: '/api',
    entities,
    headers: () => {
      if (!token) throw new Error('no token yet');
      return { Authorization: `Bearer ${token}` };
    },
  });
  const p = store.mutate(patch(2, { title: 'with headers' }));
  for (let i = 0; i < 50 && !store.syncState().lastError; i++) await sleep(20);
  assertEqual(store.syncState().lastError.code, 'AUTH');
  assert(/headers\(\) threw/.test(store.syncState().lastError.message), store.syncState().lastError.message);
  assertEqual(store.mutations()[0].status, 'queued', 'waiting, not failed');
  await sleep(100);
  assertEqual((await api('/api/_log?path=/api/tasks/2')).length, 0, 'never sent without the headers');
  token = 'abc';
  await store.flush();
  assertEqual((await p).title, 'with headers');
  const log = await api('/api/_log?path=/api/tasks/2');
  assertEqual(log.map((l) => l.headers.authorization), ['Bearer abc']);
  store.close();
});

test('retry(id) of a mutation that is not failed rejects, and its mutate() promise still settles', async () => {
  const store = await setup();
  await api('/api/_fixture', { path: '/api/tasks/2', status: 401, json: { error: 'expired' }, times: 1 });
  const p = store.mutate(patch(2, { title: 'kept' }));
  for (let i = 0; i < 50 && !store.syncState().lastError; i++) await sleep(20);
  await assertThrowsCode(() => store.retry(p.id), 'INVALID_ARGUMENT');
  await store.flush();
  assertEqual((await p).title, 'kept', 'the first promise was not dropped');
  store.close();
});

test('hashKey(undefined) is INVALID_ARGUMENT even as the first key a page hashes', async () => {
  const { __hashKey: hashKey } = await import(`/pkg/index.js?fresh=${Date.now()}`);
  let code;
  try {
    hashKey(undefined);
  } catch (e) {
    code = e.code;
  }
  assertEqual(code, 'INVALID_ARGUMENT');
});

test('a failed mutation can be retried', async () => {
  const store = await setup();
  await api('/api/_fixture', { path: '/api/tasks/3', status: 400, json: { error: 'bad' }, times: 1 });
  await assertThrowsCode(() => store.mutate(patch(3, { title: 'again' })), 'HTTP');
  assertEqual(store.getEntity('Task', 3).title, 'three');
  const id = store.mutations()[0].id;
  const p = store.retry(id);
  assertEqual(store.getEntity('Task', 3).title, 'again', 'the layer is back at once');
  assertEqual((await p).title, 'again');
  store.close();
});

test('delete and insert ops, rolled back exactly on failure', async () => {
  const store = await setup();
  await api('/api/_fixture', { path: '/api/tasks/2', status: 400, json: {}, times: 1 });
  const del = store.mutate({ request: { method: 'DELETE', url: '/tasks/2' }, optimistic: [{ op: 'delete', type: 'Task', id: 2 }] });
  assertEqual(store.getQueryData(['tasks']).map((t) => t.id), [1, 3], 'gone from the list at once');
  await assertThrowsCode(() => del, 'HTTP');
  assertEqual(store.getQueryData(['tasks']).map((t) => t.id), [1, 2, 3], 'back in its place');
  await api('/api/_fixture', { path: '/api/tasks', status: 500, json: {}, times: 1 });
  const ins = store.mutate({
    request: { method: 'POST', url: '/tasks', body: { title: 'new' } },
    optimistic: [{ op: 'insert', type: 'Task', data: { id: store.tempId(), title: 'new' }, into: [{ queryKey: ['tasks'], position: 'start' }] }],
    retry: 0,
  });
  assertEqual(store.getQueryData(['tasks'])[0].title, 'new');
  await assertThrowsCode(() => ins, 'HTTP');
  assertEqual(store.getQueryData(['tasks']).map((t) => t.id), [1, 2, 3]);
  store.close();
});

test('bad mutation input is a typed error and changes nothing', async () => {
  const store = await setup();
  const before = store.getQueryData(['tasks']);
  await assertThrowsCode(() => store.mutate({ request: { method: 'PATCH', url: '/tasks/1' }, optimistic: [{ op: 'update', type: 'Nope', id: 1, patch: {} }] }), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.mutate({ request: { method: 'PATCH', url: '/tasks/1' }, optimistic: [{ op: 'update', type: 'Task', patch: {} }] }), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.mutate({ request: { method: 'PATCH', url: '/tasks/1' }, optimistic: [{ op: 'update', type: 'Task', id: 1, patch: 'x' }] }), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.mutate({ request: { url: '/x' }, onSuccess: () => {} }), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.mutate(null), 'INVALID_ARGUMENT');
  assertEqual(store.getQueryData(['tasks']), before);
  assertEqual(store.mutations(), []);
  store.close();
});

test('a created entity keeps its list position when the real id arrives; later mutations follow it', async () => {
  const store = await setup();
  // Fresh for the whole test: the observer below must not refetch the list (a refetch that the
  // server answers after the POST would rightly put the new task where the server lists it).
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'], staleTime: Infinity });
  const tmp = store.tempId();
  const created = store.mutate({
    request: { method: 'POST', url: '/tasks', body: { title: 'fresh' } },
    optimistic: [{ op: 'insert', type: 'Task', data: { id: tmp, title: 'fresh', done: false }, into: [{ queryKey: ['tasks'], position: 'start' }] }],
    shape: 'Task',
  });
  const renamed = store.mutate({
    request: { method: 'PATCH', url: `/tasks/${tmp}`, body: { done: true } },
    optimistic: [{ op: 'update', type: 'Task', id: tmp, patch: { done: true } }],
    shape: 'Task',
  });
  assertEqual(store.getQueryData(['tasks']).map((t) => [t.id, t.title, t.done]).slice(0, 2), [[tmp, 'fresh', true], [1, 'one', false]]);
  const order = [];
  const off = store.subscribeQuery({ queryKey: ['tasks'] }, () => order.push(store.getQueryData(['tasks']).map((t) => t.id)));
  const r = await created;
  assertEqual(r.id, 't4');
  assertEqual(store.getQueryData(['tasks'])[0].id, 't4', 'same place, real id');
  assertEqual(store.getEntity('Task', tmp), undefined, 'the temporary entity is gone');
  assert(order.every((ids) => ids.length === 4 && (ids[0] === tmp || ids[0] === 't4')), `never moved: ${JSON.stringify(order)}`);
  const r2 = await renamed;
  assertEqual([r2.id, r2.done], ['t4', true]);
  const log = (await api('/api/_log')).filter((l) => l.method !== 'GET').map((l) => `${l.method} ${l.path} ${l.status}`);
  assertEqual(log, ['POST /api/tasks 201', 'PATCH /api/tasks/t4 200'], 'the queued PATCH went to the real id');
  off();
  store.close();
});

test('a mutation naming the temp id of a failed insert fails with it', async () => {
  const store = await setup();
  await api('/api/_fixture', { path: '/api/tasks', status: 400, json: { error: 'no' }, times: 1 });
  const tmp = store.tempId();
  const created = store.mutate({
    request: { method: 'POST', url: '/tasks', body: { title: 'x' } },
    optimistic: [{ op: 'insert', type: 'Task', data: { id: tmp, title: 'x' }, into: [{ queryKey: ['tasks'] }] }],
  });
  const dependent = store.mutate({
    request: { method: 'PATCH', url: `/tasks/${tmp}`, body: { done: true } },
    optimistic: [{ op: 'update', type: 'Task', id: tmp, patch: { done: true } }],
  });
  await assertThrowsCode(() => created, 'HTTP');
  await assertThrowsCode(() => dependent, 'CONFLICT');
  assertEqual(store.getQueryData(['tasks']).map((t) => t.id), [1, 2, 3]);
  assertEqual(store.mutations().map((m) => m.status), ['failed', 'failed']);
  store.close();
});
