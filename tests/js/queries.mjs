// Stale-while-revalidate query tests against the real local API (tests/server/api.mjs, same
// origin). Each test resets the server; counts come from the server's own request log.
import { test, assert, assertEqual, assertSame, assertThrowsCode } from './harness.mjs';
import { createStore, StrataError } from '/pkg/index.js';

const entities = { Todo: { relations: { assignee: 'User' } }, User: {} };
const todos = [
  { id: 1, title: 'a', assignee: { id: 'u1', name: 'Ann' } },
  { id: 2, title: 'b', assignee: { id: 'u2', name: 'Bo' } },
];

async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return r.json();
}
const reset = () => api('/api/_reset', {});
const fixture = (f) => api('/api/_fixture', f);
const count = async (path) => (await api(`/api/_count?path=${encodeURIComponent(path)}`)).count;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `pred(state)` holds for the query (checked after every notification). */
function until(store, queryKey, pred, ms = 5000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const s = store.getQueryState(queryKey);
      if (s && pred(s)) {
        clearTimeout(t);
        off();
        resolve(s);
      }
    };
    const t = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting on ${JSON.stringify(queryKey)}: ${JSON.stringify(store.getQueryState(queryKey))}`));
    }, ms);
    const off = store.subscribeQuery({ queryKey }, check);
    check();
  });
}

async function fresh(options = {}) {
  await reset();
  return createStore({ persist: false, baseUrl: '/api', entities, ...options });
}

test('stale-while-revalidate: cached data shows at once, then the fresh data', async () => {
  const store = await fresh();
  store.setQueryData(['todos'], [{ id: 1, title: 'cached', assignee: { id: 'u1', name: 'Ann' } }], { shape: ['Todo'] });
  const seen = [];
  const off = store.subscribeQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'] }, () => seen.push(store.getQueryState(['todos'])));
  const s0 = store.getQueryState(['todos']);
  assertEqual([s0.status, s0.fetchStatus, s0.data[0].title], ['success', 'fetching', 'cached'], 'cached data while fetching, synchronously');
  const s1 = await until(store, ['todos'], (s) => s.fetchStatus === 'idle');
  assertEqual(s1.data.map((t) => t.title), ['a', 'b']);
  assertEqual([s1.status, s1.isStale, s1.failureCount, s1.error], ['success', true, 0, null]);
  assert(s1.dataUpdatedAt > 0, 'dataUpdatedAt set');
  assertEqual(await count('/api/todos'), 1);
  assertSame(store.getQueryState(['todos']), s1, 'the same state object until it changes');
  assertSame(store.getEntity('User', 'u2'), s1.data[1].assignee, 'fetched data is normalized');
  off();
  store.close();
});

test('two observers and a fetchQuery share one request', async () => {
  const store = await fresh();
  await fixture({ path: '/api/todos', json: todos, delayMs: 150 });
  const opts = { queryKey: ['todos'], url: '/todos', shape: ['Todo'] };
  const a = store.subscribeQuery(opts, () => {});
  const b = store.subscribeQuery(opts, () => {});
  const data = await store.fetchQuery(opts);
  assertEqual(data.length, 2);
  assertEqual(await count('/api/todos'), 1);
  a();
  b();
  store.close();
});

test('invalidateQueries refetches only the active queries under the prefix', async () => {
  const store = await fresh({ defaults: { staleTime: 60_000 } });
  await fixture({ path: '/api/a', json: { id: 'x', n: 1 } });
  await fixture({ path: '/api/b', json: { id: 'y', n: 1 } });
  await fixture({ path: '/api/users', json: [] });
  const offA = store.subscribeQuery({ queryKey: ['todos', 'a'], url: '/a' }, () => {});
  await store.fetchQuery({ queryKey: ['todos', 'b'], url: '/b' }); // cached, no observer
  const offU = store.subscribeQuery({ queryKey: ['users'], url: '/users' }, () => {});
  await until(store, ['todos', 'a'], (s) => s.status === 'success');
  await until(store, ['users'], (s) => s.status === 'success');
  await store.invalidateQueries({ queryKey: ['todos'] });
  assertEqual([await count('/api/a'), await count('/api/b'), await count('/api/users')], [2, 1, 1]);
  assertEqual(store.getQueryState(['todos', 'b']).isStale, true, 'the inactive match is marked stale');
  assertEqual(store.getQueryState(['users']).isStale, false, 'outside the prefix: untouched');
  offA();
  offU();
  store.close();
});

test('a cancelled request never writes to the cache', async () => {
  const store = await fresh();
  store.setQueryData(['slow'], { v: 'old' });
  await fixture({ path: '/api/slow', json: { v: 'new' }, delayMs: 300 });
  const off = store.subscribeQuery({ queryKey: ['slow'], url: '/slow' }, () => {});
  assertEqual(store.getQueryState(['slow']).fetchStatus, 'fetching');
  await store.cancelQueries({ queryKey: ['slow'] });
  assertEqual(store.getQueryState(['slow']).fetchStatus, 'idle');
  await sleep(500);
  assertEqual(store.getQueryData(['slow']), { v: 'old' }, 'the answer of the cancelled request was dropped');
  off();
  store.close();
});

test('a superseded request never lands: refetch during a fetch keeps only the newer answer', async () => {
  const store = await fresh();
  await fixture({ path: '/api/v', json: { v: 1 }, delayMs: 300, times: 1, then: { json: { v: 2 } } });
  const off = store.subscribeQuery({ queryKey: ['v'], url: '/v' }, () => {});
  await sleep(50);
  await store.refetchQueries({ queryKey: ['v'] });
  assertEqual(store.getQueryData(['v']), { v: 2 });
  await sleep(400);
  assertEqual(store.getQueryData(['v']), { v: 2 }, 'the first, slower answer was dropped');
  off();
  store.close();
});

test('retries stop on 404; 500s are retried with backoff until success', async () => {
  const errors = [];
  const store = await fresh({ onError: (e, ctx) => errors.push([e.code, ctx.queryKey]) });
  await fixture({ path: '/api/missing', status: 404, body: 'nope' });
  const off = store.subscribeQuery({ queryKey: ['missing'], url: '/missing', retry: 3, retryDelay: 10 }, () => {});
  const s = await until(store, ['missing'], (st) => st.status === 'error');
  assert(s.error instanceof StrataError, 'a StrataError');
  assertEqual([s.error.code, s.error.status, s.error.body, s.failureCount], ['HTTP', 404, 'nope', 1]);
  assertEqual(await count('/api/missing'), 1, 'no retry on 404');
  assertEqual(errors, [['HTTP', ['missing']]], 'onError saw it once');
  await fixture({ path: '/api/flaky', status: 500, body: '<html>oops</html>', times: 2, then: { json: { ok: true } } });
  const off2 = store.subscribeQuery({ queryKey: ['flaky'], url: '/flaky', retry: 3, retryDelay: 10 }, () => {});
  const s2 = await until(store, ['flaky'], (st) => st.status === 'success');
  assertEqual(s2.data, { ok: true });
  assertEqual(await count('/api/flaky'), 3);
  off();
  off2();
  store.close();
});

test('a retry is still sent when updateEntity runs right after the failed fetch', async () => {
  // Every core call returns the next wake-up time; one that has no timer of its own (here
  // updateEntity of an unrelated entity) must not cancel the retry scheduled before it.
  const store = await fresh();
  await fixture({ path: '/api/flaky', status: 500, body: 'down', times: 1, then: { json: { ok: true } } });
  const off = store.subscribeQuery({ queryKey: ['flaky'], url: '/flaky', retry: 3, retryDelay: 250 }, () => {});
  await until(store, ['flaky'], (s) => s.failureCount === 1);
  assertEqual(await count('/api/flaky'), 1, 'the first request failed; the retry waits 250 ms');
  store.updateEntity('User', 'u9', { name: 'Zed' });
  const deadline = Date.now() + 3000;
  while ((await count('/api/flaky')) < 2 && Date.now() < deadline) await sleep(50);
  assertEqual(await count('/api/flaky'), 2, 'the retry reached the server within 3 s');
  const s = await until(store, ['flaky'], (st) => st.status === 'success');
  assertEqual(s.data, { ok: true });
  off();
  store.close();
});

test('a failed refetch keeps the old data; bad responses are typed errors', async () => {
  const store = await fresh();
  store.setQueryData(['x'], { v: 'kept' });
  await fixture({ path: '/api/x', body: '<html>not json</html>' });
  const off = store.subscribeQuery({ queryKey: ['x'], url: '/x', retry: 0 }, () => {});
  let s = await until(store, ['x'], (st) => st.status === 'error');
  assertEqual([s.error.code, s.data], ['PARSE', { v: 'kept' }]);
  await fixture({ path: '/api/x', status: 204 });
  await store.refetchQueries({ queryKey: ['x'] });
  s = store.getQueryState(['x']);
  assertEqual([s.error.code, s.data], ['PARSE', { v: 'kept' }]);
  await fixture({ path: '/api/x', json: { id: 5 } });
  const off2 = store.subscribeQuery({ queryKey: ['shaped'], url: '/x', shape: ['Todo'], retry: 0 }, () => {});
  s = await until(store, ['shaped'], (st) => st.status === 'error');
  assertEqual(s.error.code, 'SHAPE');
  await fixture({ path: '/api/big', bodyRepeat: { prefix: '[', item: '{"id":1,"title":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}', separator: ',', count: 60000, suffix: ']' } });
  const big = await store.fetchQuery({ queryKey: ['big'], url: '/big' });
  assertEqual(big.length, 60000, 'a several-MB response');
  off();
  off2();
  store.close();
});

test('network failure and timeout give NETWORK and TIMEOUT after retries', async () => {
  const store = await fresh();
  await fixture({ path: '/api/cut', destroy: true });
  await assertThrowsCode(() => store.fetchQuery({ queryKey: ['cut'], url: '/cut', retry: 1, retryDelay: 10 }), 'NETWORK');
  assertEqual(await count('/api/cut'), 2, 'one retry');
  await fixture({ path: '/api/late', json: {}, delayMs: 1000 });
  const e = await assertThrowsCode(() => store.fetchQuery({ queryKey: ['late'], url: '/late', retry: 0, timeout: 100 }), 'TIMEOUT');
  assert(/100 ms/.test(e.message), e.message);
  store.close();
});

test('queryFn: data is normalized; sync throws and non-Error rejections are typed errors', async () => {
  const store = await fresh();
  const seen = [];
  const data = await store.fetchQuery({
    queryKey: ['fn', 1],
    queryFn: ({ queryKey, signal }) => { seen.push([queryKey, signal instanceof AbortSignal]); return Promise.resolve(todos); },
    shape: ['Todo'],
  });
  assertEqual(seen, [[['fn', 1], true]]);
  assertSame(data[0].assignee, store.getEntity('User', 'u1'));
  await assertThrowsCode(() => store.fetchQuery({ queryKey: ['fn', 2], queryFn: () => { throw new Error('sync boom'); }, retry: 0 }), 'NETWORK');
  const e = await assertThrowsCode(() => store.fetchQuery({ queryKey: ['fn', 3], queryFn: () => Promise.reject('just a string'), retry: 0 }), 'NETWORK');
  assert(/just a string/.test(e.message), e.message);
  await assertThrowsCode(() => store.fetchQuery({ queryKey: ['fn', 4], queryFn: () => ({ id: 'no' }), shape: ['Todo'], retry: 0 }), 'SHAPE');
  await assertThrowsCode(() => store.fetchQuery({ queryKey: 'fn', queryFn: () => 1 }), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.fetchQuery({ queryKey: ['fn'], queryFn: () => 1, bogus: 1 }), 'INVALID_ARGUMENT');
  // A function or a Symbol has no JSON form: the fetch fails (it used to hang, fetching forever).
  for (const [i, bad] of [[6, () => 1], [7, Symbol('s')]]) {
    const e = await assertThrowsCode(() => store.fetchQuery({ queryKey: ['fn', i], queryFn: () => bad, retry: 0 }), 'INVALID_ARGUMENT');
    assert(/resolve with JSON data/.test(e.message), e.message);
    assertEqual(store.getQueryState(['fn', i]).fetchStatus, 'idle', 'not fetching forever');
  }
  assertEqual(await store.fetchQuery({ queryKey: ['fn', 5], queryFn: () => 42 }), 42, 'the store still works');
  store.close();
});

test('staleTime, enabled: false and prefetchQuery', async () => {
  const store = await fresh();
  await store.prefetchQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'] });
  assertEqual(await count('/api/todos'), 1);
  const off = store.subscribeQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'], staleTime: 60_000 }, () => {});
  assertEqual(store.getQueryState(['todos']).fetchStatus, 'idle', 'fresh data: no refetch on subscribe');
  const off2 = store.subscribeQuery({ queryKey: ['off'], url: '/todos', enabled: false }, () => {});
  assertEqual(store.getQueryState(['off']).fetchStatus, 'idle');
  assertEqual(store.getQueryState(['off']).status, 'pending');
  await sleep(50);
  assertEqual(await count('/api/todos'), 1, 'neither subscription fetched');
  const quick = store.subscribeQuery({ queryKey: ['quick'], url: '/todos', staleTime: 100 }, () => {});
  await until(store, ['quick'], (s) => s.status === 'success' && !s.isStale);
  await until(store, ['quick'], (s) => s.isStale, 2000);
  off();
  off2();
  quick();
  store.close();
});

test('gcTime collects an unused query and the entities only it referenced', async () => {
  const store = await fresh();
  const off = store.subscribeQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'], gcTime: 50 }, () => {});
  await until(store, ['todos'], (s) => s.status === 'success');
  assert(store.getEntity('User', 'u1') !== undefined);
  off();
  await sleep(200);
  assertEqual(store.getQueryState(['todos']), undefined, 'query collected');
  assertEqual(store.getEntity('User', 'u1'), undefined, 'its entities collected');
  store.close();
});

test('removeQueries drops data; refetchInterval refetches while observed', async () => {
  const store = await fresh();
  store.setQueryData(['todos', 1], { id: 1 }, { shape: 'Todo' });
  store.removeQueries({ queryKey: ['todos'] });
  assertEqual(store.getQueryData(['todos', 1]), undefined);
  assertEqual(store.getEntity('Todo', 1), undefined);
  const off = store.subscribeQuery({ queryKey: ['poll'], url: '/todos', refetchInterval: 100 }, () => {});
  await sleep(450);
  off();
  const n = await count('/api/todos');
  assert(n >= 3 && n <= 6, `polled ${n} times in 450 ms at 100 ms`);
  store.close();
});

test('offline: the query pauses while the browser is offline and resumes on reconnect', async () => {
  const store = await fresh();
  const t0 = Date.now();
  await window.__setOffline(true);

  try {
    assertEqual(navigator.onLine, false);
    const off = store.subscribeQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'] }, () => {});
    assertEqual(store.getQueryState(['todos']).fetchStatus, 'paused');
    await sleep(100);
    assertEqual(store.getQueryState(['todos']).fetchStatus, 'paused', 'still paused, nothing sent');
    const tOnline = Date.now();
    await window.__setOffline(false);
    const s = await until(store, ['todos'], (st) => st.status === 'success');
    assertEqual(s.data.length, 2);
    // Chromium's offline emulation may flap once while coming back (offline, online), which
    // legitimately pauses and resumes again; what matters is that nothing went out before.
    const log = await api('/api/_log?path=/api/todos');
    assert(log.length >= 1 && log.every((l) => l.at >= tOnline), `requests only after reconnecting: ${JSON.stringify(log.map((l) => l.at - t0))}`);
    off();
  } finally {
    await window.__setOffline(false);
    store.close();
  }
});

test('refetch on window focus for stale active queries', async () => {
  const store = await fresh();
  const off = store.subscribeQuery({ queryKey: ['todos'], url: '/todos' }, () => {});
  await until(store, ['todos'], (s) => s.status === 'success');
  window.dispatchEvent(new Event('focus'));
  await until(store, ['todos'], (s) => s.fetchStatus === 'idle');
  await sleep(50);
  assertEqual(await count('/api/todos'), 2);
  const off2 = store.subscribeQuery({ queryKey: ['nf'], url: '/todos', refetchOnWindowFocus: false }, () => {});
  await until(store, ['nf'], (s) => s.status === 'success');
  window.dispatchEvent(new Event('focus'));
  await sleep(100);
  assertEqual(await count('/api/todos'), 4, 'todos refetched again (stale), nf did not');
  off();
  off2();
  store.close();
});
