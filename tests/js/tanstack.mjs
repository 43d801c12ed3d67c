// The TanStack Query v5 options and client methods strata takes (README "Coming from TanStack
// Query"): function-valued options, query filters, updaters, initialData, refetchOnMount,
// networkMode, meta, the cache listing and the client methods over it. queryFn sources, so
// nothing here waits on the network.
import { test, assert, assertEqual, assertSame, assertThrowsCode } from './harness.mjs';
import { createStore, StrataError } from '/pkg/index.js';

const entities = { Todo: { relations: { assignee: 'User' } }, User: {} };
const fresh = (options = {}) => createStore({ persist: false, entities, ...options });

/** Resolves with the query's state once `pred(state)` holds (checked after every change). */
function until(store, queryKey, pred) {
  return new Promise((resolve) => {
    let off = () => {};
    const check = () => {
      const s = store.getQueryState(queryKey);
      if (s && pred(s)) {
        off();
        resolve(s);
        return true;
      }
      return false;
    };
    if (!check()) off = store.subscribeQuery({ queryKey }, check);
  });
}

/** A queryFn that resolves with `value(n)` (n = its call count) and counts its calls. */
function counted(value = (n) => ({ n })) {
  const fn = async () => {
    fn.calls++;
    return value(fn.calls);
  };
  fn.calls = 0;
  return fn;
}

// ---- function-valued options --------------------------------------------------------------

test('enabled: () => false does not fetch; the function is asked again as the query changes', async () => {
  const store = await fresh();
  let on = false;
  const seen = [];
  const queryFn = counted();
  const off = store.subscribeQuery(
    {
      queryKey: ['gated'],
      queryFn,
      enabled: (query) => {
        seen.push(query.queryKey);
        return on;
      },
    },
    () => {},
  );
  assertEqual(store.getQueryState(['gated']).fetchStatus, 'idle', 'not fetching');
  assertEqual(queryFn.calls, 0);
  assertEqual(seen[0], ['gated'], 'the function gets the query');
  on = true;
  // Any change of the query evaluates it again: enabled now, and stale, so it fetches.
  await store.invalidateQueries({ queryKey: ['gated'], refetchType: 'none' });
  const s = await until(store, ['gated'], (st) => st.status === 'success');
  assertEqual([s.data, queryFn.calls], [{ n: 1 }, 1]);
  off();
  store.close();
});

test('staleTime as a function of the query keeps fetched data fresh for a second observer', async () => {
  const store = await fresh();
  const queryFn = counted();
  const opts = { queryKey: ['st'], queryFn, staleTime: (query) => (query.state.data ? 60_000 : 0) };
  const a = store.subscribeQuery(opts, () => {});
  await until(store, ['st'], (s) => s.status === 'success');
  assertEqual(store.getQueryState(['st']).isStale, false, 'the function gave 60 s once data was there');
  const b = store.subscribeQuery(opts, () => {});
  assertEqual([store.getQueryState(['st']).fetchStatus, queryFn.calls], ['idle', 1], 'fresh: no second fetch');
  a();
  b();
  store.close();
});

test('refetchInterval as a function stops the polling when it returns false', async () => {
  const store = await fresh();
  const queryFn = counted();
  const off = store.subscribeQuery(
    { queryKey: ['poll'], queryFn, refetchInterval: (query) => (query.state.data?.n >= 3 ? false : 10) },
    () => {},
  );
  await until(store, ['poll'], (s) => s.data?.n === 3 && s.fetchStatus === 'idle');
  // Polling stopped at 3: a few more intervals' worth of time brings no fourth fetch.
  await new Promise((r) => setTimeout(r, 80));
  assertEqual(queryFn.calls, 3);
  off();
  store.close();
});

test('retry as a function decides each failure with (failureCount, error); retryDelay as a function sets the wait', async () => {
  const store = await fresh();
  const asked = [];
  const delays = [];
  let calls = 0;
  const off = store.subscribeQuery(
    {
      queryKey: ['flaky'],
      queryFn: async () => {
        calls++;
        throw new StrataError('HTTP', 'not found', { status: 404 });
      },
      // A 404 the store would not retry by itself: the function says retry twice.
      retry: (failureCount, error) => {
        asked.push([failureCount, error instanceof StrataError, error.code]);
        return failureCount < 2;
      },
      retryDelay: (failureCount) => {
        delays.push(failureCount);
        return 1;
      },
    },
    () => {},
  );
  const s = await until(store, ['flaky'], (st) => st.status === 'error');
  assertEqual(calls, 3, 'the first attempt and two retries');
  assertEqual(asked, [[0, true, 'HTTP'], [1, true, 'HTTP'], [2, true, 'HTTP']], 'TanStack counts: failures before this one');
  assertEqual(delays, [0, 1], 'asked only when retrying');
  assertEqual([s.error.code, s.failureCount], ['HTTP', 3]);
  off();

  // A number from the function reads as a count; a throw as "no retry".
  let n = 0;
  const off2 = store.subscribeQuery(
    { queryKey: ['count'], queryFn: async () => { n++; throw new Error('down'); }, retry: () => 1, retryDelay: () => 0 },
    () => {},
  );
  await until(store, ['count'], (st) => st.status === 'error');
  assertEqual(n, 2);
  off2();
  store.close();
});

test('an option that cannot be a function is INVALID_ARGUMENT naming it; hook-only options too', async () => {
  const store = await fresh();
  const e = await assertThrowsCode(() => store.subscribeQuery({ queryKey: ['x'], queryFn: async () => 1, gcTime: () => 5 }, () => {}), 'INVALID_ARGUMENT');
  assert(e.message.includes('gcTime'), e.message);
  const p = await assertThrowsCode(() => store.subscribeQuery({ queryKey: ['x'], placeholderData: 1 }, () => {}), 'INVALID_ARGUMENT');
  assert(p.message.includes('placeholderData'), p.message);
  await assertThrowsCode(() => store.fetchQuery({ queryKey: ['x'], queryFn: async () => 1, askRetry: true }), 'INVALID_ARGUMENT');
  store.close();
});

// ---- filters --------------------------------------------------------------------------------

async function family() {
  const store = await fresh({ defaults: { staleTime: Infinity } });
  const fns = {};
  const keys = [['todos'], ['todos', 1], ['todos', { page: 2, size: 10 }], ['users']];
  const offs = [];
  for (const queryKey of keys) {
    const fn = counted(() => queryKey);
    fns[JSON.stringify(queryKey)] = fn;
    offs.push(store.subscribeQuery({ queryKey, queryFn: fn, meta: { tag: JSON.stringify(queryKey) } }, () => {}));
    await until(store, queryKey, (s) => s.status === 'success');
  }
  offs[1](); // ['todos', 1] is inactive
  const calls = () => Object.values(fns).map((f) => f.calls);
  return { store, calls, offs };
}

test('invalidateQueries({ queryKey, exact: true }) leaves [todos, 1] alone', async () => {
  const { store, calls } = await family();
  await store.invalidateQueries({ queryKey: ['todos'], exact: true });
  assertEqual(store.getQueryState(['todos']).isStale, false, 'refetched: fresh again');
  assertEqual(store.getQueryState(['todos', 1]).isStale, false, 'not invalidated');
  assertEqual(calls(), [2, 1, 1, 1]);
  await store.invalidateQueries({ queryKey: ['todos'] });
  assertEqual(store.getQueryState(['todos', 1]).isStale, true, 'the prefix reaches it (inactive: not refetched)');
  assertEqual(calls(), [3, 1, 2, 1]);
  // An object in a key matches partially, as in TanStack.
  await store.refetchQueries({ queryKey: ['todos', { page: 2 }] });
  assertEqual(calls(), [3, 1, 3, 1]);
  store.close();
});

test('filters: type, stale, fetchStatus, predicate and refetchType; an unknown filter is INVALID_ARGUMENT', async () => {
  const { store, calls } = await family();
  assertEqual(store.queries({ type: 'inactive' }).map((q) => q.queryKey), [['todos', 1]]);
  assertEqual(store.queries({ type: 'active', queryKey: ['todos'] }).length, 2);
  assertEqual(store.queries({ stale: true }).length, 0);
  await store.invalidateQueries({ queryKey: ['todos'], refetchType: 'all' });
  assertEqual(calls(), [2, 2, 2, 1], 'the inactive one refetched too');
  await store.invalidateQueries({ refetchType: 'none' });
  assertEqual(store.queries({ stale: true }).length, 4);
  assertEqual(calls(), [2, 2, 2, 1]);
  const asked = [];
  await store.refetchQueries({
    predicate: (query) => {
      asked.push(query.queryKey);
      return query.meta.tag === '["users"]';
    },
  });
  assertEqual(calls(), [2, 2, 2, 2], 'only the query the predicate chose');
  assertEqual(asked.length, 4);
  await store.refetchQueries({ queryKey: ['todos'], type: 'inactive' });
  assertEqual(calls(), [2, 3, 2, 2]);
  assertEqual(store.queries({ fetchStatus: 'fetching' }).length, 0);
  for (const bad of [{ querykey: ['todos'] }, { hashes: [] }, { type: 'idle' }, { predicate: true }, { queryKey: 'todos' }]) {
    await assertThrowsCode(() => store.refetchQueries(bad), 'INVALID_ARGUMENT', JSON.stringify(bad));
  }
  const e = await assertThrowsCode(() => store.removeQueries({ refetchType: 'all' }), 'INVALID_ARGUMENT');
  assert(e.message.includes('refetchType'), e.message);
  store.close();
});

test('cancelQueries and removeQueries take filters; an inactive match is removed, an observed one starts again', async () => {
  const { store, calls } = await family();
  store.removeQueries({ queryKey: ['todos'], type: 'inactive' });
  assertEqual(store.getQueryState(['todos', 1]), undefined);
  assert(store.getQueryState(['todos']) !== undefined, 'an active match of the prefix is not touched');
  let release;
  const slow = store.subscribeQuery({ queryKey: ['slow'], queryFn: () => new Promise((r) => (release = r)) }, () => {});
  assertEqual(store.isFetching(), 1);
  await store.cancelQueries({ fetchStatus: 'fetching' });
  assertEqual([store.isFetching(), store.getQueryState(['slow']).fetchStatus], [0, 'idle']);
  release({ late: true });
  assertEqual(calls(), [1, 1, 1, 1]);
  slow();
  store.close();
});

test('removeQueries of a query a subscriber watches fetches it again instead of leaving it pending', async () => {
  const store = await fresh();
  const queryFn = counted();
  const seen = [];
  const off = store.subscribeQuery({ queryKey: ['watched'], queryFn }, () => seen.push(store.getQueryState(['watched'])?.status));
  await until(store, ['watched'], (s) => s.status === 'success');
  store.removeQueries({ queryKey: ['watched'] });
  const s0 = store.getQueryState(['watched']);
  assertEqual([s0.status, s0.fetchStatus, s0.data], ['pending', 'fetching', undefined], 'a new query, fetching at once');
  const s1 = await until(store, ['watched'], (s) => s.status === 'success');
  assertEqual([s1.data, queryFn.calls], [{ n: 2 }, 2]);
  assert(seen.includes('pending'), 'the subscriber saw the new query');
  off();
  store.close();
});

// ---- data -----------------------------------------------------------------------------------

test('setQueryData(key, updater): the updater gets the old data; undefined writes nothing; the shape is kept', async () => {
  const store = await fresh();
  store.setQueryData(['todos'], [{ id: 1, title: 'a', assignee: { id: 'u1', name: 'Ann' } }], { shape: ['Todo'] });
  const c = { n: 0 };
  const off = store.subscribeQuery({ queryKey: ['todos'] }, () => c.n++);
  store.setQueryData(['todos'], (old) => [...old, { id: 2, title: 'b', assignee: { id: 'u1', name: 'Ann B.' } }]);
  assertEqual(store.getQueryData(['todos']).map((t) => t.title), ['a', 'b']);
  assertEqual(store.getEntity('User', 'u1').name, 'Ann B.', 'normalized through the query\'s shape');
  assertSame(store.getQueryData(['todos'])[0].assignee, store.getEntity('User', 'u1'));
  const before = store.getQueryData(['todos']);
  store.setQueryData(['todos'], () => undefined);
  assertSame(store.getQueryData(['todos']), before, 'nothing written');
  assertEqual(c.n, 1, 'one write, one notification');
  store.setQueryData(['new'], (old) => ({ was: old ?? null }));
  assertEqual(store.getQueryData(['new']), { was: null });
  await assertThrowsCode(() => store.setQueryData(['x'], 1, { updatedAt: 5 }), 'INVALID_ARGUMENT');
  off();
  store.close();
});

test('getQueriesData and setQueriesData go over the matching queries (one core call)', async () => {
  const store = await fresh();
  store.setQueryData(['todos', 1], { id: 1, title: 'a', assignee: null }, { shape: 'Todo' });
  store.setQueryData(['todos', 2], { id: 2, title: 'b', assignee: null }, { shape: 'Todo' });
  store.setQueryData(['users'], []);
  assertEqual(store.getQueriesData({ queryKey: ['todos'] }).map(([k, d]) => [k, d.title]), [[['todos', 1], 'a'], [['todos', 2], 'b']]);
  const c = { n: 0 };
  const off = store.subscribeQueries(() => c.n++);
  const written = store.setQueriesData({ queryKey: ['todos'] }, (old) => ({ ...old, title: old.title.toUpperCase() }));
  assertEqual(written.map(([k, d]) => [k, d.title]), [[['todos', 1], 'A'], [['todos', 2], 'B']]);
  assertEqual(store.getEntity('Todo', 2).title, 'B');
  assertEqual(c.n, 1, 'one batch');
  assertEqual(store.setQueriesData({ queryKey: ['none'] }, () => 1), []);
  off();
  store.close();
});

test('initialData (value or function) and initialDataUpdatedAt; fetchQuery answers fresh initial data without a fetch', async () => {
  const store = await fresh({ defaults: { staleTime: 10_000 } });
  const queryFn = counted();
  const off = store.subscribeQuery({ queryKey: ['init'], queryFn, initialData: () => ({ n: 0 }) }, () => {});
  const s = store.getQueryState(['init']);
  assertEqual([s.status, s.data, s.fetchStatus, queryFn.calls], ['success', { n: 0 }, 'idle', 0]);
  off();
  const old = store.subscribeQuery({ queryKey: ['old'], queryFn, initialData: { n: 0 }, initialDataUpdatedAt: Date.now() - 60_000 }, () => {});
  assertEqual(store.getQueryState(['old']).fetchStatus, 'fetching', 'older than staleTime: fetched');
  await until(store, ['old'], (st) => st.data.n === 1);
  old();
  const data = await store.fetchQuery({ queryKey: ['f'], queryFn, initialData: 7 });
  assertEqual([data, queryFn.calls], [7, 1]);
  await assertThrowsCode(() => store.fetchQuery({ queryKey: ['g'], queryFn, initialData: 1, initialDataUpdatedAt: 'now' }), 'INVALID_ARGUMENT');
  store.close();
});

test('ensureQueryData returns cached data, else fetches; revalidateIfStale refetches in the background', async () => {
  const store = await fresh();
  const queryFn = counted();
  assertEqual(await store.ensureQueryData({ queryKey: ['e'], queryFn }), { n: 1 });
  assertEqual(await store.ensureQueryData({ queryKey: ['e'], queryFn }), { n: 1 }, 'cached: no fetch although stale');
  assertEqual(queryFn.calls, 1);
  assertEqual(await store.ensureQueryData({ queryKey: ['e'], queryFn, revalidateIfStale: true }), { n: 1 });
  await until(store, ['e'], (s) => s.data.n === 2);
  store.close();
});

test('resetQueries: back to initialData or pending; the active ones refetch', async () => {
  const store = await fresh({ defaults: { staleTime: Infinity } });
  const a = counted();
  const b = counted();
  const offA = store.subscribeQuery({ queryKey: ['r', 'a'], queryFn: a, initialData: { n: 0 } }, () => {});
  store.setQueryData(['r', 'a'], { n: 9 });
  await store.fetchQuery({ queryKey: ['r', 'b'], queryFn: b });
  await store.resetQueries({ queryKey: ['r'] });
  assertEqual(store.getQueryState(['r', 'a']).data, { n: 1 }, 'active: refetched');
  assertEqual(a.calls, 1);
  const sb = store.getQueryState(['r', 'b']);
  assertEqual([sb.status, sb.data, b.calls], ['pending', undefined, 1], 'inactive: back to a new query, not refetched');
  offA();
  // Inactive with initialData: the initial data again.
  store.setQueryData(['r', 'a'], { n: 5 });
  await store.resetQueries({ queryKey: ['r', 'a'] });
  assertEqual(store.getQueryData(['r', 'a']), { n: 0 });
  store.close();
});

// ---- mount, network, meta, listing ----------------------------------------------------------

test('refetchOnMount: false keeps cached data; "always" refetches fresh data', async () => {
  const store = await fresh({ defaults: { staleTime: 60_000 } });
  const queryFn = counted();
  await store.fetchQuery({ queryKey: ['m'], queryFn });
  store.invalidateQueries({ queryKey: ['m'], refetchType: 'none' });
  const a = store.subscribeQuery({ queryKey: ['m'], queryFn, refetchOnMount: false }, () => {});
  assertEqual([store.getQueryState(['m']).fetchStatus, queryFn.calls], ['idle', 1], 'stale, but refetchOnMount: false');
  a();
  await store.fetchQuery({ queryKey: ['m2'], queryFn });
  const b = store.subscribeQuery({ queryKey: ['m2'], queryFn, refetchOnMount: 'always' }, () => {});
  assertEqual(store.getQueryState(['m2']).fetchStatus, 'fetching', 'fresh, but "always"');
  await until(store, ['m2'], (s) => s.fetchStatus === 'idle');
  b();
  await assertThrowsCode(() => store.subscribeQuery({ queryKey: ['z'], refetchOnMount: 'never' }, () => {}), 'INVALID_ARGUMENT');
  store.close();
});

test('networkMode: "always" fetches while offline; "online" waits paused', async () => {
  const store = await fresh();
  window.dispatchEvent(new Event('offline'));
  try {
    const queryFn = counted();
    const a = store.subscribeQuery({ queryKey: ['local'], queryFn, networkMode: 'always' }, () => {});
    const b = store.subscribeQuery({ queryKey: ['remote'], queryFn }, () => {});
    assertEqual(store.getQueryState(['remote']).fetchStatus, 'paused');
    const s = await until(store, ['local'], (st) => st.status === 'success');
    assertEqual(s.data, { n: 1 });
    assertEqual(store.getQueryState(['remote']).fetchStatus, 'paused');
    window.dispatchEvent(new Event('online'));
    await until(store, ['remote'], (st) => st.status === 'success');
    a();
    b();
    await assertThrowsCode(() => store.subscribeQuery({ queryKey: ['z'], networkMode: 'offline' }, () => {}), 'INVALID_ARGUMENT');
  } finally {
    window.dispatchEvent(new Event('online'));
    store.close();
  }
});

test('queries() lists every query with its key, state, observers and meta; subscribeQueries tells of changes', async () => {
  const store = await fresh();
  let ctx;
  const c = { n: 0 };
  const offList = store.subscribeQueries(() => c.n++);
  const off = store.subscribeQuery({ queryKey: ['todos', { done: false }], queryFn: async (context) => ((ctx = context), []), meta: { title: 'Open todos' } }, () => {});
  await until(store, ['todos', { done: false }], (s) => s.status === 'success');
  assertEqual(ctx.meta, { title: 'Open todos' }, 'meta in the queryFn context');
  const [q] = store.queries();
  assertEqual([q.queryKey, q.meta, q.observers, q.isActive(), q.getObserversCount(), q.state.status], [['todos', { done: false }], { title: 'Open todos' }, 1, true, 1, 'success']);
  assertSame(store.queries(), store.queries(), 'the same array until something changes');
  assertSame(q.state, store.getQueryState(['todos', { done: false }]));
  const n = c.n;
  off();
  assert(c.n > n, 'an observer leaving changes the listing');
  assertEqual([store.queries()[0].observers, store.queries()[0].isActive()], [0, false]);
  offList();
  store.close();
});

test('isFetching counts fetching queries (filters too); isMutating counts mutations under way', async () => {
  const store = await fresh({ baseUrl: '/api' });
  const releases = [];
  const slow = () => new Promise((r) => releases.push(r));
  const a = store.subscribeQuery({ queryKey: ['f', 1], queryFn: slow }, () => {});
  const b = store.subscribeQuery({ queryKey: ['g'], queryFn: slow }, () => {});
  assertEqual([store.isFetching(), store.isFetching({ queryKey: ['f'] })], [2, 1]);
  for (const r of releases) r(1);
  await until(store, ['g'], (s) => s.status === 'success');
  await until(store, ['f', 1], (s) => s.status === 'success');
  assertEqual(store.isFetching(), 0);
  assertEqual(store.isMutating(), 0);
  await fetch('/api/_reset', { method: 'POST', body: '{}' });
  const done = store.mutate({ request: { method: 'POST', url: '/tasks', body: { title: 'x' } } });
  assertEqual(store.isMutating(), 1);
  assertEqual(store.isMutating({ predicate: (m) => m.request.url.endsWith('/nope') }), 0);
  await done;
  assertEqual(store.isMutating(), 0);
  await assertThrowsCode(() => store.isMutating({ mutationKey: ['x'] }), 'INVALID_ARGUMENT');
  a();
  b();
  store.close();
});

// ---- createStore ----------------------------------------------------------------------------

test('createStore refuses every unknown option, function-valued or not, naming it', async () => {
  const f = await assertThrowsCode(() => createStore({ persist: false, onSuccess: () => {} }), 'INVALID_ARGUMENT');
  assert(f.message.includes('`onSuccess`'), f.message);
  const d = await assertThrowsCode(() => createStore({ persist: false, defaults: { retry: () => 1 } }), 'INVALID_ARGUMENT');
  assert(d.message.includes('defaults.retry'), d.message);
  const c = await assertThrowsCode(() => createStore({ persist: false, credential: 'include' }), 'INVALID_ARGUMENT');
  assert(c.message.includes('credential'), c.message);
  const p = await assertThrowsCode(() => createStore({ persist: { buster: () => 'x' } }), 'INVALID_ARGUMENT');
  assert(p.message.includes('persist.buster'), p.message);
});
