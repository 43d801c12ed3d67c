// createStore({ fetch, credentials }): every request of the store (queries, infinite pages,
// mutations, the push stream) goes through the app's fetch, with its credentials.
import { test, assertEqual } from './harness.mjs';
import { createStore } from '/pkg/index.js';

const entities = { Task: { version: 'version', relations: { assignee: 'User' } }, User: {} };
async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return r.json();
}

test('fetch option: queries, pages, mutations and the stream use it, with credentials', async () => {
  await api('/api/_reset', {});
  await api('/api/_set?path=/api/feed/0', { items: [{ id: 9, title: 'p0' }], next: null });
  const calls = [];
  const spy = (url, init) => {
    calls.push([new URL(url, location.href).pathname, init.method ?? 'GET', init.credentials, new Headers(init.headers).get('x-trace')]);
    return fetch(url, init);
  };
  const store = await createStore({ persist: false, baseUrl: '/api', entities, fetch: spy, credentials: 'same-origin', headers: () => ({ 'X-Trace': 't1' }) });
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  await store.fetchInfiniteQuery({ queryKey: ['feed'], url: (n) => `/feed/${n}`, shape: { items: ['Task'], next: null }, initialPageParam: 0, getNextPageParam: (l) => l.next });
  await store.mutate({ request: { method: 'PATCH', url: '/tasks/1', body: { title: 'x' } }, shape: 'Task' });
  const conn = store.connect({ url: '/events' });
  const start = Date.now();
  while (store.connectionState().status !== 'open' && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
  conn.close();
  assertEqual(calls, [
    ['/api/tasks', 'GET', 'same-origin', 't1'],
    ['/api/feed/0', 'GET', 'same-origin', 't1'],
    ['/api/tasks/1', 'PATCH', 'same-origin', 't1'],
    ['/api/events', 'GET', 'same-origin', 't1'],
  ]);
  store.close();
});

test('fetch option: a fetch that throws is a NETWORK failure, retried like one; bad options are refused', async () => {
  await api('/api/_reset', {});
  let n = 0;
  const flaky = (url, init) => {
    n++;
    if (n === 1) throw new TypeError('tracing failed');
    return fetch(url, init);
  };
  const store = await createStore({ persist: false, baseUrl: '/api', entities, fetch: flaky, defaults: { retryDelay: 10 } });
  const data = await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'], retry: 1 });
  assertEqual([n, data.length], [2, 3]);
  store.close();
  for (const o of [{ fetch: 'no' }, { credentials: 'always' }]) {
    let code;
    try {
      await createStore({ persist: false, entities, ...o });
    } catch (e) {
      code = e.code;
    }
    assertEqual(code, 'INVALID_ARGUMENT', JSON.stringify(o));
  }
});

test('per-query headers (over the store\'s) and credentials', async () => {
  await api('/api/_reset', {});
  const seen = [];
  const spy = (url, init) => {
    const h = new Headers(init.headers);
    seen.push([new URL(url, location.href).pathname, h.get('x-store'), h.get('x-query'), init.credentials]);
    return fetch(url, init);
  };
  const store = await createStore({ persist: false, baseUrl: '/api', entities, fetch: spy, headers: { 'X-Store': 's', 'X-Query': 'store' } });
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'], headers: () => ({ 'X-Query': 'q' }), credentials: 'omit' });
  await store.fetchQuery({ queryKey: ['task', 1], url: '/tasks/1', shape: 'Task' });
  assertEqual(seen, [['/api/tasks', 's', 'q', 'omit'], ['/api/tasks/1', 's', 'store', undefined]]);
  let code;
  try {
    await store.fetchQuery({ queryKey: ['x'], url: '/x', credentials: 'nope' });
  } catch (e) {
    code = e.code;
  }
  assertEqual(code, 'INVALID_ARGUMENT');
  store.close();
});
