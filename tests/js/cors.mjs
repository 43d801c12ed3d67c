// Requests to another origin (run.mjs serves one on another port: window.__crossOrigin). A server
// without CORS headers: the browser refuses the answer, fetch rejects, and the NETWORK error says
// to check CORS. A server with the headers the README lists (Cross-origin servers): queries and mutations work.
import { test, assert, assertEqual, assertThrowsCode } from './harness.mjs';
import { createStore } from '/pkg/index.js';

const cross = () => window.__crossOrigin;
const entities = { Todo: {} };
const CORS_HINT = /another origin than this page \(http:\/\/127\.0\.0\.1:\d+\): check that the server's CORS answers allow it .*Idempotency-Key, If-Match and your own headers; Access-Control-Expose-Headers: Retry-After\)/;

// Resolves with the store's sync state once `pred` holds (no timing assertion: it waits for it).
function syncWhen(store, pred) {
  return new Promise((resolve) => {
    const check = () => {
      const s = store.syncState();
      if (pred(s)) {
        off();
        resolve(s);
      }
    };
    const off = store.subscribeSync(check);
    check();
  });
}

test('CORS: a query to another origin without CORS headers is NETWORK, and the message says to check CORS', async () => {
  assert(typeof cross() === 'string' && cross() !== location.origin, `another origin: ${cross()}`);
  const store = await createStore({ persist: false, entities });
  try {
    const e = await assertThrowsCode(() => store.fetchQuery({ queryKey: ['x'], url: `${cross()}/closed/todos`, shape: ['Todo'], retry: 0 }), 'NETWORK');
    assert(e.message.startsWith(`GET ${cross()}/closed/todos failed before an answer arrived`), e.message);
    assert(e.message.includes(`${cross()} is another origin than this page (${location.origin})`), e.message);
    assert(CORS_HINT.test(e.message), e.message);
  } finally {
    store.close();
  }
});

test('CORS: a mutation to another origin without CORS headers: its NETWORK error says to check CORS', async () => {
  const store = await createStore({ persist: false, entities, headers: { 'X-Tenant': 't1' } });
  try {
    store.setQueryData(['todos'], [{ id: 1, title: 'a' }], { shape: ['Todo'] });
    void store.mutate({ request: { method: 'PATCH', url: `${cross()}/closed/todos/1`, body: { title: 'b' } }, optimistic: [{ op: 'update', type: 'Todo', id: 1, patch: { title: 'b' } }] }).catch(() => {});
    const s = await syncWhen(store, (x) => x.lastError);
    assertEqual(s.lastError.code, 'NETWORK');
    assert(s.lastError.message.startsWith(`PATCH ${cross()}/closed/todos/1 failed before an answer arrived`), s.lastError.message);
    assert(CORS_HINT.test(s.lastError.message), s.lastError.message);
    assertEqual(store.getEntity('Todo', 1).title, 'b', 'the change stays (queued), nothing is lost');
  } finally {
    store.close();
  }
});

test('CORS: an infinite query page to another origin without CORS headers says to check CORS', async () => {
  const store = await createStore({ persist: false, entities });
  try {
    const e = await assertThrowsCode(
      () => store.fetchInfiniteQuery({ queryKey: ['pages'], url: (p) => `${cross()}/closed/todos?page=${p}`, initialPageParam: 0, getNextPageParam: () => null, shape: ['Todo'], retry: 0 }),
      'NETWORK',
    );
    assert(CORS_HINT.test(e.message), e.message);
  } finally {
    store.close();
  }
});

test('CORS: a same-origin NETWORK error has no CORS hint', async () => {
  await fetch('/api/_fixture', { method: 'POST', body: JSON.stringify({ path: '/api/cut-cors', destroy: true }) });
  const store = await createStore({ persist: false, baseUrl: '/api', entities });
  try {
    const e = await assertThrowsCode(() => store.fetchQuery({ queryKey: ['cut'], url: '/cut-cors', retry: 0 }), 'NETWORK');
    assert(e.message.includes('failed before an answer arrived'), e.message);
    assert(!/another origin|CORS/.test(e.message), e.message);
  } finally {
    store.close();
    await fetch('/api/_reset', { method: 'POST', body: '{}' });
  }
});

test('CORS: with the headers the README lists (Cross-origin servers), a query and a mutation (Idempotency-Key, a custom header) work cross-origin', async () => {
  const store = await createStore({ persist: false, entities, headers: { 'X-Tenant': 't1' } });
  try {
    const todos = await store.fetchQuery({ queryKey: ['todos'], url: `${cross()}/open/todos`, shape: ['Todo'], retry: 0 });
    assertEqual(todos, [{ id: 1, title: 'from the other origin' }]);
    const saved = await store.mutate({ request: { method: 'PATCH', url: `${cross()}/open/todos/1`, body: { title: 'renamed' } }, optimistic: [{ op: 'update', type: 'Todo', id: 1, patch: { title: 'renamed' } }], shape: 'Todo' });
    assertEqual(saved, { id: 1, title: 'renamed' });
    const log = await (await fetch(`${cross()}/open/_log`)).json();
    const patch = log.find((r) => r.method === 'PATCH');
    assert(patch && patch.idempotencyKey, `the PATCH arrived with an Idempotency-Key: ${JSON.stringify(log)}`);
    assertEqual(patch.tenant, 't1', 'the custom header arrived');
  } finally {
    store.close();
  }
});
