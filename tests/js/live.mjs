// Live queries (docs/LIVE_QUERIES.md): insert, update, delete, rollback and push each move rows
// in a live list; notifications are exact (a change that moves nothing notifies nothing);
// snapshots are shared with other queries (===); bad definitions are INVALID_ARGUMENT at
// subscribe time; a persisted live query comes back after a reload (a new store on the same
// IndexedDB) and keeps moving without being subscribed again.
import { test, assert, assertEqual, assertSame, assertThrowsCode } from './harness.mjs';
import { createStore } from '/pkg/index.js';

const entities = { Task: { version: 'version', relations: { assignee: 'User' } }, User: {} };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return r.json();
}

async function until(what, pred, ms = 8000) {
  const start = Date.now();
  for (;;) {
    if (pred()) return;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const OPEN = { from: 'Task', where: { done: false }, orderBy: [['due', 'asc']] };
const ids = (list) => (list || []).map((t) => t.id);

async function setup() {
  await api('/api/_reset', {});
  const store = await createStore({ persist: false, baseUrl: '/api', entities });
  store.setQueryData(['seed'], [
    { id: 1, title: 'one', done: false, due: 3, version: 1, assignee: { id: 'u1', name: 'Ann' } },
    { id: 2, title: 'two', done: false, due: 1, version: 1, assignee: null },
    { id: 3, title: 'three', done: true, due: 2, version: 1, assignee: null },
  ], { shape: ['Task'] });
  return store;
}

function watch(store, options) {
  const c = { n: 0 };
  c.off = store.subscribeQuery(options, () => c.n++);
  c.n = 0;
  return c;
}

test('live: a live query without a source shows matching entities sorted, with the total and shared snapshots', async () => {
  const store = await setup();
  watch(store, { queryKey: ['open'], live: OPEN });
  const state = store.getQueryState(['open']);
  assertEqual(state.status, 'success');
  assertEqual(ids(state.data), [2, 1]);
  assertEqual(state.total, 2);
  assertSame(state.data[1], store.getQueryData(['seed'])[0], 'the same entity snapshot as the plain query');
  assertSame(store.getQueryData(['open']), state.data, 'the same array until it changes');
  store.close();
});

test('live: updateEntity moves rows in, out and within; a change that moves nothing notifies nothing', async () => {
  const store = await setup();
  const c = watch(store, { queryKey: ['open'], live: { ...OPEN, limit: 2 } });
  const before = store.getQueryData(['open']);
  store.updateEntity('Task', 3, { done: false }); // joins at due 2: between 2 and 1
  assertEqual(ids(store.getQueryData(['open'])), [2, 3]);
  assertEqual(store.getQueryState(['open']).total, 3);
  assertEqual(c.n, 1, 'one notification');
  store.updateEntity('Task', 1, { due: 5 }); // outside the window, still last: nothing shows it
  assertEqual(c.n, 1, 'a move outside the window notifies nothing');
  store.updateEntity('Task', 1, { title: 'renamed' }); // not shown either
  assertEqual(c.n, 1, 'a field change of a row outside the window notifies nothing');
  store.updateEntity('Task', 2, { due: 9 }); // moves within: 3, 1
  assertEqual(ids(store.getQueryData(['open'])), [3, 1]);
  assertEqual(c.n, 2);
  store.updateEntity('Task', 3, { done: true }); // leaves
  assertEqual(ids(store.getQueryData(['open'])), [1, 2]);
  assertEqual(store.getQueryState(['open']).total, 2);
  assertEqual(c.n, 3);
  assert(before !== store.getQueryData(['open']));
  store.close();
});

test('live: an optimistic insert appears at once without `into` and leaves exactly on rollback', async () => {
  const store = await setup();
  const c = watch(store, { queryKey: ['open'], live: OPEN });
  await api('/api/_fixture', { path: '/api/tasks', status: 422, json: { error: 'no' }, times: 1 });
  const done = store.mutate({
    request: { method: 'POST', url: '/tasks', body: { title: 'new', done: false } },
    optimistic: [{ op: 'insert', type: 'Task', data: { id: store.tempId(), title: 'new', done: false, due: 0 } }],
    shape: 'Task',
  });
  assertEqual(store.getQueryData(['open']).map((t) => t.title), ['new', 'two', 'one'], 'in the same call');
  assertEqual(c.n, 1);
  await assertThrowsCode(() => done, 'HTTP');
  assertEqual(ids(store.getQueryData(['open'])), [2, 1], 'gone after the rollback');
  assertEqual(store.getQueryState(['open']).total, 2);
  assertEqual(c.n, 2, 'one notification for the rollback');
  store.close();
});

test('live: an optimistic delete and an update that succeed move rows once each', async () => {
  const store = await setup();
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] }); // server versions
  const c = watch(store, { queryKey: ['open'], live: { from: 'Task', where: { done: false }, orderBy: [['title', 'asc']] } });
  assertEqual(ids(store.getQueryData(['open'])), [1, 3, 2]);
  c.n = 0;
  const del = store.mutate({ request: { method: 'DELETE', url: '/tasks/3' }, optimistic: [{ op: 'delete', type: 'Task', id: 3 }] });
  assertEqual(ids(store.getQueryData(['open'])), [1, 2]);
  await del;
  assertEqual(ids(store.getQueryData(['open'])), [1, 2]);
  const upd = store.mutate({
    request: { method: 'PATCH', url: '/tasks/1', body: { done: true } },
    optimistic: [{ op: 'update', type: 'Task', id: 1, patch: { done: true } }],
    shape: 'Task',
  });
  assertEqual(ids(store.getQueryData(['open'])), [2]);
  await upd;
  assertEqual(ids(store.getQueryData(['open'])), [2]);
  assertEqual(c.n, 2, 'the server answers moved nothing more');
  store.close();
});

test('live: a push that stops a match removes the row; one that starts a match adds it', async () => {
  const store = await setup();
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  const c = watch(store, { queryKey: ['open'], live: { from: 'Task', where: { done: false }, orderBy: [['id', 'asc']] } });
  assertEqual(ids(store.getQueryData(['open'])), [1, 2, 3]);
  store.connect({ url: '/events', transport: 'sse' });
  await until('the connection', () => store.connectionState().status === 'open');
  await api('/api/_edit', { id: 2, patch: { done: true } });
  await until('the push', () => ids(store.getQueryData(['open'])).length === 2);
  assertEqual(ids(store.getQueryData(['open'])), [1, 3]);
  assertEqual(c.n, 1);
  await api('/api/_push', { type: 'upsert', entity: 'Task', data: { id: 7, title: 'pushed', done: false, version: 1, assignee: null } });
  await until('the second push', () => ids(store.getQueryData(['open'])).length === 3);
  assertEqual(ids(store.getQueryData(['open'])), [1, 3, 7]);
  assertEqual(c.n, 2);
  store.close();
});

test('live: with a url the response fills the cache through shape and the definition decides', async () => {
  await api('/api/_reset', {});
  const store = await createStore({ persist: false, baseUrl: '/api', entities });
  const c = watch(store, { queryKey: ['mine'], url: '/tasks', shape: ['Task'], live: { from: 'Task', where: { 'assignee.id': 'u1' } } });
  assertEqual(store.getQueryData(['mine']), [], 'no member yet');
  await until('the response', () => store.getQueryState(['mine']).fetchStatus === 'idle');
  assertEqual(ids(store.getQueryData(['mine'])), [1]);
  assertEqual(store.getQueryState(['mine']).total, 1);
  assert(c.n >= 1);
  const data = await store.fetchQuery({ queryKey: ['mine'], url: '/tasks', shape: ['Task'], live: { from: 'Task', where: { 'assignee.id': 'u1' } }, staleTime: Infinity });
  assertEqual(ids(data), [1], 'fetchQuery resolves with the live list');
  store.close();
});

test('live: fetchQuery of a live query without a source resolves with its rows', async () => {
  const store = await setup();
  const data = await store.fetchQuery({ queryKey: ['open'], live: OPEN });
  assertEqual(ids(data), [2, 1]);
  assertSame(data, store.getQueryData(['open']));
  store.close();
});

test('live: 100 live queries over the type; one change notifies only the queries it moves', async () => {
  const store = await setup();
  const counters = [];
  for (let p = 0; p < 100; p++) counters.push(watch(store, { queryKey: ['proj', p], live: { from: 'Task', where: { project: `p${p}` } } }));
  store.updateEntity('Task', 1, { project: 'p5' });
  assertEqual(counters.map((c) => c.n).reduce((a, b) => a + b), 1);
  assertEqual(counters[5].n, 1);
  store.updateEntity('Task', 1, { project: 'p6' });
  assertEqual([counters[5].n, counters[6].n], [2, 1]);
  assertEqual(counters.map((c) => c.n).reduce((a, b) => a + b), 3);
  store.close();
});

test('live: a bad definition is INVALID_ARGUMENT naming the part, at subscribeQuery time', async () => {
  const store = await setup();
  const cases = [
    [{ from: 'Nope' }, /Nope/],
    [{ from: 'Task', where: { due: { $near: 1 } } }, /\$near/],
    [{ from: 'Task', where: { due: { $in: 3 } } }, /where\.due\.\$in/],
    [{ from: 'Task', where: { due: { $lt: true } } }, /where\.due\.\$lt/],
    [{ from: 'Task', orderBy: [['due', 'up']] }, /orderBy/],
  ];
  for (const [live, re] of cases) {
    const e = await assertThrowsCode(() => store.subscribeQuery({ queryKey: ['bad'], live }, () => {}), 'INVALID_ARGUMENT');
    assert(re.test(e.message), e.message);
  }
  assertEqual(store.getQueryState(['bad']), undefined, 'nothing was created');
  store.close();
});

test('live: a persisted live query comes back after a reload and keeps moving', async () => {
  const name = `live-${Math.random().toString(36).slice(2)}`;
  let store = await createStore({ name, entities });
  store.setQueryData(['seed'], [{ id: 1, done: false, due: 2 }, { id: 2, done: false, due: 1 }], { shape: ['Task'] });
  const off = store.subscribeQuery({ queryKey: ['open'], live: OPEN }, () => {});
  assertEqual(ids(store.getQueryData(['open'])), [2, 1]);
  off();
  store.close(); // writes the cache at once
  store = await createStore({ name, entities });
  assertEqual(ids(store.getQueryData(['open'])), [2, 1], 'back after the reload');
  assertEqual(store.getQueryState(['open']).total, 2);
  store.updateEntity('Task', 1, { due: 0 });
  assertEqual(ids(store.getQueryData(['open'])), [1, 2], 'still live without a new subscription');
  store.close();
});
