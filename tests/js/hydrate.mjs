// SSR hydration: store.dehydrate() on one store ("the server"), then createStore({ hydrate }) /
// store.hydrate() in another ("the browser"), against the real test API (request counts come
// from the server's own log).
import { test, assert, assertEqual, assertSame, assertThrowsCode } from './harness.mjs';
import { createStore } from '/pkg/index.js';

const entities = { Todo: { relations: { assignee: 'User' } }, User: {} };
const todos = [
  { id: 1, title: 'a', assignee: { id: 'u1', name: 'Ann' } },
  { id: 2, title: 'b', assignee: { id: 'u1', name: 'Ann' } },
];

async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return r.json();
}
const count = async (path) => (await api(`/api/_count?path=${encodeURIComponent(path)}`)).count;
const list = { queryKey: ['todos'], url: '/todos', shape: ['Todo'] };
const one = { queryKey: ['todo', 1], url: '/todo1', shape: 'Todo' };
const listOf = (state) => state.queries.find((q) => q.queryKey[0] === 'todos');

// A "server" store that fetched the list and one todo, and its state as sent over the wire.
async function rendered() {
  await api('/api/_reset', {});
  await api('/api/_fixture', [{ path: '/api/todos', json: todos }, { path: '/api/todo1', json: todos[0] }]);
  const server = await createStore({ persist: false, baseUrl: '/api', entities });
  await server.fetchQuery(list);
  await server.fetchQuery(one);
  const state = JSON.parse(JSON.stringify(server.dehydrate()));
  server.close();
  return state;
}

test('hydrate: the state is plain JSON of the queries and the entities they show (version 1)', async () => {
  const state = await rendered();
  assertEqual(state.version, 1);
  assertEqual(state.queries.map((q) => q.queryKey).sort(), [['todo', 1], ['todos']]);
  assertEqual(listOf(state).result, ['Todo:1', 'Todo:2']);
  assertEqual(listOf(state).shape, ['Todo']);
  assert(state.queries.every((q) => q.status === 'success' && q.dataUpdatedAt > 0), JSON.stringify(state.queries));
  assertEqual(Object.keys(state.entities).sort(), ['Todo:1', 'Todo:2', 'User:u1']);
  assertEqual(state.entities['Todo:1'], { id: 1, title: 'a', assignee: 'User:u1' });
});

test('hydrate: createStore({ hydrate }) shows the same data, entities shared, fresh without a request', async () => {
  const state = await rendered();
  const store = await createStore({ persist: false, baseUrl: '/api', entities, hydrate: state });
  const data = store.getQueryData(['todos']);
  assertEqual(data, todos);
  assertSame(store.getQueryData(['todos']), data, 'the same snapshot until it changes');
  assertSame(store.getQueryData(['todo', 1]), data[0], 'one entity, one object, in both queries');
  assertSame(data[0].assignee, data[1].assignee);
  const st = store.getQueryState(['todos']);
  assertEqual([st.status, st.dataUpdatedAt], ['success', listOf(state).dataUpdatedAt]);
  // Observed within staleTime: no request (the core decides synchronously).
  const off = store.subscribeQuery({ ...list, staleTime: 60_000 }, () => {});
  assertEqual(store.getQueryState(['todos']).fetchStatus, 'idle');
  assertEqual(store.getQueryState(['todos']).isStale, false);
  await store.fetchQuery({ ...one, staleTime: 60_000 });
  assertEqual([await count('/api/todos'), await count('/api/todo1')], [1, 1], 'only the server fetched');
  off();
  // Past staleTime it refetches like any query.
  const stale = await createStore({ persist: false, baseUrl: '/api', entities, hydrate: state });
  const off2 = stale.subscribeQuery({ ...list, staleTime: 0 }, () => {});
  assertEqual(stale.getQueryState(['todos']).fetchStatus, 'fetching');
  await stale.refetchQueries({ queryKey: ['todos'] });
  assertEqual(await count('/api/todos'), 2);
  off2();
  store.close();
  stale.close();
});

test('hydrate: newer data in the store is not overwritten; the same state twice changes nothing', async () => {
  const state = await rendered();
  await api('/api/_fixture', { path: '/api/todos', json: [{ ...todos[0], title: 'newer' }, todos[1]] });
  const store = await createStore({ persist: false, baseUrl: '/api', entities });
  await store.fetchQuery(list); // fetched after the server rendered
  const before = store.getQueryData(['todos']);
  const at = store.getQueryState(['todos']).dataUpdatedAt;
  store.hydrate(state);
  assertSame(store.getQueryData(['todos']), before, 'kept, the same object');
  assertEqual(store.getQueryState(['todos']).dataUpdatedAt, at);
  assertEqual(store.getEntity('Todo', 1).title, 'newer');
  // The single todo was not in this store: it lands, and shows the store's newer record.
  assertEqual(store.getQueryData(['todo', 1]).title, 'newer');
  const again = store.getQueryData(['todo', 1]);
  store.hydrate(state);
  assertSame(store.getQueryData(['todo', 1]), again);
  store.close();
});

test('hydrate: an older store takes the newer state', async () => {
  const old = await createStore({ persist: false, entities });
  old.setQueryData(['todos'], [{ id: 1, title: 'old', assignee: null }], { shape: ['Todo'] });
  const oldAt = old.getQueryState(['todos']).dataUpdatedAt;
  const rendered_ = await rendered(); // fetched after the store wrote its data
  assert(listOf(rendered_).dataUpdatedAt >= oldAt);
  // Newer by a second whatever the clock did meanwhile.
  const state = { ...rendered_, queries: rendered_.queries.map((q) => ({ ...q, dataUpdatedAt: oldAt + 1000 })) };
  old.hydrate(state);
  assertEqual(old.getQueryState(['todos']).dataUpdatedAt, oldAt + 1000);
  assertEqual(old.getQueryData(['todos']), todos);
  old.close();
});

test('hydrate: a bad state is INVALID_ARGUMENT and applies nothing', async () => {
  const state = await rendered();
  const store = await createStore({ persist: false, entities });
  const bad = [
    null,
    { ...state, version: 2 },
    { ...state, queries: 'x' },
    { ...state, entities: { 'Nope:1': { id: 1 } } },
    { ...state, entities: { ...state.entities, 'Todo:1': { id: 9 } } },
    { ...state, queries: [...state.queries, { queryKey: 'todos', result: [], dataUpdatedAt: 1 }] },
    { ...state, queries: [...state.queries, { queryKey: ['x'], shape: null, result: 1, dataUpdatedAt: -1 }] },
  ];
  for (const s of bad) await assertThrowsCode(() => store.hydrate(s), 'INVALID_ARGUMENT', JSON.stringify(s)?.slice(0, 80));
  await assertThrowsCode(() => store.hydrate({ ...state, queries: [{ ...state.queries[0], shape: ['Nope'] }] }), 'SHAPE');
  assertEqual(store.queries().length, 0, 'no query applied');
  assertEqual(store.getEntity('Todo', 2), undefined, 'no entity applied');
  await assertThrowsCode(() => createStore({ persist: false, entities, hydrate: { version: 2 } }), 'INVALID_ARGUMENT');
  store.close();
});

test('hydrate: dehydrate chooses queries by filters and shouldDehydrateQuery (default: successful ones)', async () => {
  await api('/api/_reset', {});
  await api('/api/_fixture', [{ path: '/api/todos', json: todos }, { path: '/api/gone', status: 404, body: 'no' }]);
  const server = await createStore({ persist: false, baseUrl: '/api', entities, defaults: { retry: 0 } });
  await server.fetchQuery(list);
  server.setQueryData(['user', 'u1'], { id: 'u1', name: 'Ann' }, { shape: 'User' });
  await server.prefetchQuery({ queryKey: ['gone'], url: '/gone' });
  assertEqual(server.getQueryState(['gone']).status, 'error');
  const keys = (s) => s.queries.map((q) => q.queryKey);
  assertEqual(keys(server.dehydrate()).sort(), [['todos'], ['user', 'u1']]);
  assertEqual(keys(server.dehydrate({ queryKey: ['user'] })), [['user', 'u1']]);
  assertEqual(Object.keys(server.dehydrate({ queryKey: ['user'] }).entities), ['User:u1'], 'only what it shows');
  assertEqual(keys(server.dehydrate({ predicate: (q) => q.queryKey[0] === 'todos' })), [['todos']]);
  assertEqual(keys(server.dehydrate({ shouldDehydrateQuery: (q) => q.queryKey[0] === 'gone' })), [], 'no data: nothing to hydrate');
  await assertThrowsCode(() => server.dehydrate({ shouldDehydrateQuery: 1 }), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => server.dehydrate({ querykey: ['x'] }), 'INVALID_ARGUMENT');
  server.close();
});

test('hydrate: a persisted store hydrates too (after what IndexedDB holds)', async () => {
  const state = await rendered();
  const name = `hydrate-${Math.random()}`;
  const store = await createStore({ name, baseUrl: '/api', entities, hydrate: state });
  assertEqual(store.getQueryData(['todos']), todos);
  store.close();
});
