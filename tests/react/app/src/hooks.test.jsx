// Hook tests: real components (development React 19, so StrictMode double-mounts) against the
// real wasm store from the installed strata tarball and the test API (tests/server/api.mjs,
// same origin). tests/react/run.mjs builds this page with NODE_ENV=development and reads
// window.__results.
import { Component, StrictMode, Suspense, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { flushSync } from 'react-dom';
import { hydrateRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { createStore } from 'strata-store';
import {
  HydrationBoundary,
  StoreProvider,
  queryOptions,
  useConnection,
  useEntity,
  useInfiniteQuery,
  useIsFetching,
  useIsMutating,
  useMutation,
  useMutationState,
  useQueries,
  useQuery,
  useStore,
  useSuspenseQuery,
  useSyncState,
} from 'strata-store/react';
import { StrataDevtools, StrataDevtoolsPanel } from 'strata-store/devtools';
import { assert, assertEqual, nextFrame, run, sleep, test, waitFor } from './harness.js';

// React's own warnings (getSnapshot not cached, updates during render...) fail the last test.
const warnings = [];
for (const level of ['error', 'warn']) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    warnings.push(`${level}: ${args.map(String).join(' ')}`);
    original(...args);
  };
}

const entities = {
  Todo: { relations: { assignee: 'User' } },
  User: {},
  Task: { version: 'version', relations: { assignee: 'User' } },
};
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
const newStore = () => createStore({ persist: false, baseUrl: '/api', entities });

// A view of the store that counts subscriptions (the store itself exposes no listener count).
function counting(store) {
  const counts = { subscribeQuery: 0, subscribeEntity: 0, subscribeSync: 0, fetchQuery: 0, active: 0 };
  const wrap = (name) => (...args) => {
    counts[name]++;
    counts.active++;
    const off = store[name](...args);
    let on = true;
    return () => {
      if (on) counts.active--;
      on = false;
      off();
    };
  };
  const wrappers = {
    subscribeQuery: wrap('subscribeQuery'),
    subscribeEntity: wrap('subscribeEntity'),
    subscribeSync: wrap('subscribeSync'),
    fetchQuery: (options) => {
      counts.fetchQuery++;
      return store.fetchQuery(options);
    },
  };
  const view = new Proxy(store, {
    get(target, prop) {
      if (Object.hasOwn(wrappers, prop)) return wrappers[prop];
      const v = target[prop];
      return typeof v === 'function' ? v.bind(target) : v; // private fields need the real `this`
    },
  });
  return { view, counts };
}

const stage = document.getElementById('stage');
function mount(element, rootOptions) {
  const container = document.createElement('div');
  stage.appendChild(container);
  const root = createRoot(container, rootOptions);
  flushSync(() => root.render(element));
  return {
    container,
    text: (selector) => container.querySelector(selector)?.textContent,
    unmount() {
      root.unmount();
      container.remove();
    },
  };
}

const patchTask = (id, fields, extra = {}) => ({
  request: { method: 'PATCH', url: `/tasks/${id}`, body: fields },
  optimistic: [{ op: 'update', type: 'Task', id, patch: fields }],
  shape: 'Task',
  ...extra,
});
const taskJson = (id, title, version = 2) => ({ id, title, done: false, version, assignee: id === 1 ? { id: 'u1', name: 'Ann' } : null });

// ---------------------------------------------------------------------------------------------

test('useEntity: a component reading entity X does not re-render when entity Y changes', async () => {
  const store = await newStore();
  store.setQueryData(['todos'], todos, { shape: ['Todo'] });
  const renders = { 1: 0, 2: 0 };
  function TodoLine({ id }) {
    renders[id]++;
    const todo = useEntity('Todo', id);
    return <span id={`t${id}`}>{todo ? `${todo.title}/${todo.assignee.name}` : '-'}</span>;
  }
  const m = mount(
    <StoreProvider store={store}>
      <TodoLine id={1} />
      <TodoLine id={2} />
    </StoreProvider>,
  );
  await nextFrame();
  assertEqual([m.text('#t1'), m.text('#t2')], ['a/Ann', 'b/Bo']);
  const [r1, r2] = [renders[1], renders[2]];

  store.updateEntity('Todo', 2, { title: 'b2' });
  await waitFor(() => m.text('#t2') === 'b2/Bo', 'Y to show its change');
  await sleep(30);
  assertEqual(renders[1], r1, 'X did not re-render when Y changed');
  assert(renders[2] > r2, 'Y re-rendered');

  // A change reaching Y through a relation (its assignee) re-renders only Y too.
  const r2b = renders[2];
  store.updateEntity('User', 'u2', { name: 'Bob' });
  await waitFor(() => m.text('#t2') === 'b2/Bob', 'Y to show its assignee change');
  await sleep(30);
  assertEqual(renders[1], r1, 'X did not re-render when Y\'s assignee changed');
  assert(renders[2] > r2b, 'Y re-rendered for its assignee');

  // Writing the same value changes no snapshot: nobody re-renders.
  const r2c = renders[2];
  store.updateEntity('Todo', 1, { title: 'a' });
  await sleep(30);
  assertEqual([renders[1], renders[2]], [r1, r2c], 'an identical write re-renders nobody');
  m.unmount();
  store.close();
});

test('useQuery: re-renders only for its own query; parent re-renders do not resubscribe', async () => {
  const store = await newStore();
  const { view, counts } = counting(store);
  store.setQueryData(['a'], { n: 1 });
  store.setQueryData(['b'], { n: 1 });
  const renders = { a: 0, b: 0 };
  let rerenderParent;
  function Q({ name }) {
    renders[name]++;
    // A new options object and a new key array on every render, as apps write them.
    const q = useQuery({ queryKey: [name], staleTime: 10_000 });
    return <span id={name}>{q.status}:{q.data ? q.data.n : '-'}</span>;
  }
  function Parent() {
    const [tick, setTick] = useState(0);
    rerenderParent = () => setTick((t) => t + 1);
    return (
      <>
        <i>{tick}</i>
        <Q name="a" />
        <Q name="b" />
      </>
    );
  }
  const m = mount(
    <StoreProvider store={view}>
      <Parent />
    </StoreProvider>,
  );
  await nextFrame();
  assertEqual([m.text('#a'), m.text('#b')], ['success:1', 'success:1']);
  assertEqual(counts.subscribeQuery, 2, 'one subscription per component');

  for (let i = 0; i < 3; i++) flushSync(() => rerenderParent());
  assertEqual(counts.subscribeQuery, 2, 'parent re-renders did not resubscribe');
  assertEqual(counts.active, 2);

  const [ra, rb] = [renders.a, renders.b];
  store.setQueryData(['a'], { n: 2 });
  await waitFor(() => m.text('#a') === 'success:2', 'query a to re-render');
  await sleep(30);
  assertEqual(renders.b, rb, 'query b did not re-render');
  assert(renders.a > ra);
  m.unmount();
  assertEqual(counts.active, 0, 'unmount unsubscribed');
  store.close();
});

test('useQuery: StrictMode double-mount fetches once (server count 1) and leaks no subscription', async () => {
  await reset();
  const store = await newStore();
  const { view, counts } = counting(store);
  function Todos() {
    const q = useQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'] });
    if (q.isPending) return <p id="status">{q.isLoading ? 'loading' : 'pending'}</p>;
    return <ul id="list">{q.data.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;
  }
  const m = mount(
    <StrictMode>
      <StoreProvider store={view}>
        <Todos />
      </StoreProvider>
    </StrictMode>,
  );
  assertEqual(m.text('#status'), 'loading', 'first render: pending and fetching');
  await waitFor(() => m.text('#list') === 'ab', 'the data');
  await sleep(50);
  assertEqual(await count('/api/todos'), 1, 'one request');
  assert(counts.subscribeQuery >= 2, `StrictMode mounted twice (subscribeQuery called ${counts.subscribeQuery} times)`);
  assertEqual(counts.active, 1, 'one live subscription');
  m.unmount();
  assertEqual(counts.active, 0);
  store.close();
});

test('useQuery: a second observer of fresh data (staleTime: Infinity) does not refetch', async () => {
  await reset();
  const store = await newStore();
  function Todos({ id }) {
    // Infinity has no JSON form: the hook passes it on so the store accepts it.
    const q = useQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'], staleTime: Infinity });
    return <p id={id}>{q.data ? q.data.length : '-'}</p>;
  }
  const first = mount(
    <StrictMode>
      <StoreProvider store={store}>
        <Todos id="one" />
      </StoreProvider>
    </StrictMode>,
  );
  await waitFor(() => first.text('#one') === '2', 'the first observer\'s data');
  const second = mount(
    <StrictMode>
      <StoreProvider store={store}>
        <Todos id="two" />
      </StoreProvider>
    </StrictMode>,
  );
  assertEqual(second.text('#two'), '2', 'the second observer renders cached data at once');
  await sleep(100);
  assertEqual(await count('/api/todos'), 1, 'no second request');
  first.unmount();
  second.unmount();
  store.close();
});

test('unmount unsubscribes (query, entity, sync) and the query is collected after gcTime', async () => {
  await reset();
  const store = await newStore();
  const { view, counts } = counting(store);
  function Everything() {
    const q = useQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'], gcTime: 100 });
    const ann = useEntity('User', 'u1');
    const sync = useSyncState();
    return <p id="all">{q.data ? q.data.length : '-'}/{ann ? ann.name : '-'}/{String(sync.online)}</p>;
  }
  const m = mount(
    <StrictMode>
      <StoreProvider store={view}>
        <Everything />
      </StoreProvider>
    </StrictMode>,
  );
  await waitFor(() => m.text('#all') === '2/Ann/true', 'the data');
  assertEqual(counts.active, 3, 'three live subscriptions');
  m.unmount();
  assertEqual(counts.active, 0, 'all unsubscribed');
  await waitFor(() => store.getQueryState(['todos']) === undefined, 'the unobserved query to be collected', 3000);
  store.close();
});

test('useMutation: the optimistic change shows in the same frame, before the server answers', async () => {
  await reset();
  const store = await newStore();
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  await fixture({ path: '/api/tasks/1', delayMs: 400, json: taskJson(1, 'sync', 2), times: 1 });
  await fixture({ path: '/api/tasks/2', delayMs: 400, json: taskJson(2, 'clicked', 2), times: 1 });
  let rename;
  const succeeded = [];
  function Tasks() {
    const tasks = useQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'], staleTime: 60_000 });
    rename = useMutation({
      mutation: ({ id, title }) => patchTask(id, { title }),
      onSuccess: (data, variables) => succeeded.push([data.title, variables.id]),
    });
    return (
      <div>
        <ul id="titles">{tasks.data?.map((t) => <li key={t.id}>{t.title}</li>)}</ul>
        <span id="status">{rename.status}</span>
        <button id="go" onClick={() => rename.mutate({ id: 2, title: 'clicked' })}>go</button>
      </div>
    );
  }
  const m = mount(
    <StoreProvider store={store}>
      <Tasks />
    </StoreProvider>,
  );
  const titles = () => [...m.container.querySelectorAll('#titles li')].map((li) => li.textContent);
  assertEqual(titles(), ['one', 'two', 'three']);

  // Synchronously: the DOM shows the change when flushSync(mutate) returns.
  flushSync(() => rename.mutate({ id: 1, title: 'sync' }));
  assertEqual(titles(), ['sync', 'two', 'three'], 'visible synchronously after mutate');
  assertEqual(m.text('#status'), 'pending');
  await waitFor(() => m.text('#status') === 'success', 'the server answer', 3000);

  // From a click: visible before the next frame is painted, while the request is in flight.
  m.container.querySelector('#go').click();
  const seen = await new Promise((resolve) => requestAnimationFrame(() => resolve([titles(), m.text('#status')])));
  assertEqual(seen, [['sync', 'clicked', 'three'], 'pending'], 'in the same frame, server not answered yet');
  const log = await api('/api/_log?path=/api/tasks/2');
  assertEqual(log.map((e) => e.status), [null], 'the PATCH was sent and not yet answered');
  await waitFor(() => m.text('#status') === 'success', 'the second answer', 3000);
  assertEqual(succeeded, [['sync', 1], ['clicked', 2]], 'onSuccess(data read through shape, variables)');
  assertEqual(rename.data.version, 2);
  m.unmount();
  store.close();
});

test('useMutation: an error rolls back, sets error and calls onError; reset() goes back to idle', async () => {
  await reset();
  const store = await newStore();
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  await fixture({ path: '/api/tasks/3', status: 422, json: { error: 'no' }, times: 1 });
  let m8;
  const errors = [];
  function Task3() {
    const task = useEntity('Task', 3);
    m8 = useMutation({
      mutation: (title) => patchTask(3, { title }),
      onError: (error, variables) => errors.push([error.code, error.status, variables]),
      onSuccess: () => errors.push('unexpected success'),
    });
    return <p id="t3">{task.title}:{m8.status}:{m8.error ? m8.error.code : '-'}</p>;
  }
  const m = mount(
    <StoreProvider store={store}>
      <Task3 />
    </StoreProvider>,
  );
  flushSync(() => m8.mutate('doomed'));
  assertEqual(m.text('#t3'), 'doomed:pending:-');
  await waitFor(() => m.text('#t3') === 'three:error:HTTP', 'the rollback and the error', 3000);
  assertEqual(errors, [['HTTP', 422, 'doomed']]);
  assertEqual(m8.mutationId, store.mutations()[0].id, 'mutationId names the failed entry');
  store.discard(m8.mutationId);
  flushSync(() => m8.reset());
  assertEqual(m.text('#t3'), 'three:idle:-');
  // mutateAsync rejects with the StrataError.
  await fixture({ path: '/api/tasks/3', status: 422, json: { error: 'no' }, times: 1 });
  let thrown;
  await m8.mutateAsync('again').catch((e) => (thrown = e));
  assertEqual([thrown && thrown.code, thrown && thrown.status], ['HTTP', 422], 'mutateAsync rejected');
  await waitFor(() => m.text('#t3') === 'three:error:HTTP', 'the second failure shown', 3000);
  store.discard(m8.mutationId);
  m.unmount();
  store.close();
});

test('useMutation: status is "queued" while offline, then "success" when the browser is back', async () => {
  await reset();
  const store = await newStore();
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  let save;
  function Task2() {
    const task = useEntity('Task', 2);
    const sync = useSyncState();
    save = useMutation({ mutation: (title) => patchTask(2, { title }) });
    return <p id="t2">{task.title}:{save.status}:{sync.online ? 'online' : 'offline'}:{sync.pending}</p>;
  }
  const m = mount(
    <StoreProvider store={store}>
      <Task2 />
    </StoreProvider>,
  );
  try {
    await window.__setOffline(true);
    await waitFor(() => m.text('#t2') === 'two:idle:offline:0', 'useSyncState to show offline');
    flushSync(() => save.mutate('offline edit'));
    assertEqual(m.text('#t2'), 'offline edit:queued:offline:1', 'optimistic, queued, counted');
  } finally {
    await window.__setOffline(false);
  }
  await waitFor(() => m.text('#t2') === 'offline edit:success:online:0', 'the queued mutation to be sent', 5000);
  assertEqual((await api('/api/_tasks')).find((t) => t.id === 2).title, 'offline edit');
  m.unmount();
  store.close();
});

test('useMutation: status is "queued" again after a network error, then "success"', async () => {
  await reset();
  const store = await newStore();
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  await fixture({ path: '/api/tasks/1', destroy: true, times: 1 });
  const statuses = [];
  let save;
  function Task1() {
    save = useMutation({ mutation: (title) => patchTask(1, { title }, { retryDelay: 300 }) });
    useEffect(() => {
      statuses.push(save.status);
    }, [save.status]);
    return <p id="s">{save.status}</p>;
  }
  const m = mount(
    <StoreProvider store={store}>
      <Task1 />
    </StoreProvider>,
  );
  flushSync(() => save.mutate('after a drop'));
  await waitFor(() => m.text('#s') === 'success', 'the retry to succeed', 5000);
  assertEqual(statuses, ['idle', 'pending', 'queued', 'pending', 'success']);
  assertEqual(await count('/api/tasks/1'), 2, 'sent twice');
  m.unmount();
  store.close();
});

test('useQuery: select runs only when the data (or select) changes; refetch() fetches again', async () => {
  await reset();
  const store = await newStore();
  let selects = 0;
  const titles = (data) => {
    selects++;
    return data.map((t) => t.title).join(',');
  };
  let q;
  let rerender;
  function Titles() {
    const [, setTick] = useState(0);
    rerender = () => setTick((t) => t + 1);
    q = useQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'], staleTime: 60_000, select: titles });
    return <p id="titles">{q.isSuccess ? q.data : '-'}</p>;
  }
  const m = mount(
    <StoreProvider store={store}>
      <Titles />
    </StoreProvider>,
  );
  await waitFor(() => m.text('#titles') === 'a,b', 'the selected data');
  const n = selects;
  flushSync(() => rerender());
  flushSync(() => rerender());
  assertEqual(selects, n, 'no select on unrelated renders');
  store.updateEntity('Todo', 2, { title: 'B' });
  await waitFor(() => m.text('#titles') === 'a,B', 'select of the new data');
  assertEqual(selects, n + 1);

  assertEqual(await count('/api/todos'), 1);
  const state = await q.refetch();
  assertEqual(await count('/api/todos'), 2, 'refetch() fetched fresh data again');
  assertEqual([state.status, state.fetchStatus], ['success', 'idle'], 'refetch resolves with the settled state');
  m.unmount();
  store.close();
});

test('useQuery suspense: suspends on the fetch, renders the data, one request under StrictMode', async () => {
  await reset();
  await fixture({ path: '/api/todos', delayMs: 150, json: todos, times: 1 });
  const store = await newStore();
  const { view, counts } = counting(store);
  function List() {
    const q = useQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'], suspense: true });
    return <ul id="list">{q.data.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;
  }
  const m = mount(
    <StrictMode>
      <StoreProvider store={view}>
        <Suspense fallback={<p id="fallback">loading</p>}>
          <List />
        </Suspense>
      </StoreProvider>
    </StrictMode>,
  );
  assertEqual(m.text('#fallback'), 'loading', 'the Suspense fallback while pending');
  await waitFor(() => m.text('#list') === 'ab', 'the data after suspending', 3000);
  await sleep(100);
  assertEqual(await count('/api/todos'), 1, 'one request (suspend fetch + subscription joined)');
  assertEqual(counts.fetchQuery, 1, 'one fetchQuery for all suspended renders');
  m.unmount();
  store.close();
});

test('useQuery suspense: an error goes to the error boundary; refetchQueries + reset retries', async () => {
  await reset();
  await fixture({ path: '/api/todos', status: 500, json: { error: 'down' }, times: 1 });
  const store = await newStore();
  const caught = [];
  class Boundary extends Component {
    state = { error: null };
    static getDerivedStateFromError(error) {
      return { error };
    }
    render() {
      if (!this.state.error) return this.props.children;
      const retry = () => {
        store.refetchQueries({ queryKey: ['todos'] });
        this.setState({ error: null });
      };
      return <button id="retry" onClick={retry}>{this.state.error.code}</button>;
    }
  }
  function List() {
    const q = useQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'], retry: 0, suspense: true });
    return <ul id="list">{q.data.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;
  }
  const m = mount(
    <StoreProvider store={store}>
      <Boundary>
        <Suspense fallback={<p id="fallback">loading</p>}>
          <List />
        </Suspense>
      </Boundary>
    </StoreProvider>,
    { onCaughtError: (error) => caught.push(error.code) }, // instead of React's console.error
  );
  await waitFor(() => m.text('#retry') === 'HTTP', 'the error boundary', 3000);
  assert(caught.length >= 1 && caught.every((c) => c === 'HTTP'), `caught ${JSON.stringify(caught)}`);
  m.container.querySelector('#retry').click();
  await waitFor(() => m.text('#fallback') === 'loading', 'suspending on the retry', 3000);
  await waitFor(() => m.text('#list') === 'ab', 'the data after the retry', 3000);
  assertEqual(await count('/api/todos'), 2);
  m.unmount();
  store.close();
});

test('useStore outside a StoreProvider throws INVALID_ARGUMENT; useEntity(type, null) is undefined', async () => {
  let caught;
  function Bare() {
    try {
      useStore();
    } catch (e) {
      caught = e;
    }
    return null;
  }
  const m = mount(<Bare />);
  assertEqual(caught && caught.code, 'INVALID_ARGUMENT');
  m.unmount();
  const store = await newStore();
  function Maybe() {
    const t = useEntity('Todo', null);
    return <p id="maybe">{t === undefined ? 'none' : 'some'}</p>;
  }
  const m2 = mount(
    <StoreProvider store={store}>
      <Maybe />
    </StoreProvider>,
  );
  assertEqual(m2.text('#maybe'), 'none');
  m2.unmount();
  store.close();
});

test('useInfiniteQuery: pages load with fetchNextPage; an entity on page 2 updates in place', async () => {
  await reset();
  for (let n = 0; n < 3; n++) {
    const items = [{ id: `f${n}`, title: `page ${n}`, assignee: { id: 'u1', name: 'Ann' } }];
    await api(`/api/_set?path=/api/feed/${n}`, { items, next: n < 2 ? n + 1 : null });
    // The second page takes a while, so its loading state shows.
    if (n === 1) await fixture({ path: '/api/feed/1', delayMs: 300, times: 1, json: { items, next: 2 } });
  }
  const store = await newStore();
  let feed;
  function Feed() {
    feed = useInfiniteQuery({
      queryKey: ['feed'],
      url: (n) => `/feed/${n}`,
      shape: { items: ['Todo'], next: null },
      initialPageParam: 0,
      getNextPageParam: (last) => last.next,
    });
    const titles = feed.data ? feed.data.pages.map((p) => p.items[0].title).join(',') : '-';
    return <span id="feed">{feed.status}:{titles}:{String(feed.hasNextPage)}:{String(feed.isFetchingNextPage)}</span>;
  }
  const m = mount(
    <StrictMode>
      <StoreProvider store={store}>
        <Feed />
      </StoreProvider>
    </StrictMode>,
  );
  await waitFor(() => m.text('#feed') === 'success:page 0:true:false', 'the first page');
  const more = feed.fetchNextPage();
  await waitFor(() => m.text('#feed').endsWith(':true:true'), 'isFetchingNextPage');
  await more;
  await waitFor(() => m.text('#feed') === 'success:page 0,page 1:true:false', 'the second page');
  await feed.fetchNextPage();
  await waitFor(() => m.text('#feed') === 'success:page 0,page 1,page 2:false:false', 'the last page');
  assertEqual(await count('/api/feed/0'), 1, 'StrictMode fetched the first page once');
  store.updateEntity('Todo', 'f1', { title: 'renamed' });
  await waitFor(() => m.text('#feed') === 'success:page 0,renamed,page 2:false:false', 'the entity on page 2');
  m.unmount();
  store.close();
});

test('useConnection: shows the connection state and its changes', async () => {
  await reset();
  const store = await newStore();
  function Conn() {
    const c = useConnection();
    return <span id="conn">{c.status}</span>;
  }
  const m = mount(
    <StoreProvider store={store}>
      <Conn />
    </StoreProvider>,
  );
  assertEqual(m.text('#conn'), 'closed');
  const conn = store.connect({ url: '/events' });
  await waitFor(() => m.text('#conn') === 'open', 'the connection to open');
  conn.close();
  await waitFor(() => m.text('#conn') === 'closed', 'closed again');
  m.unmount();
  store.close();
});

// ---- TanStack options and hooks ---------------------------------------------------------------

/** A queryFn resolving with `value(n)` (n = its call count); `hold()` makes the next calls wait for `release()`. */
function source(value = (n) => ({ n })) {
  let gate = null;
  const fn = async (ctx) => {
    fn.calls++;
    fn.keys.push(ctx.queryKey);
    const n = fn.calls;
    if (gate) await gate.promise;
    return value(n, ctx);
  };
  fn.calls = 0;
  fn.keys = [];
  fn.hold = () => {
    let release;
    gate = { promise: new Promise((r) => (release = r)) };
    gate.release = release;
  };
  fn.release = () => {
    const g = gate;
    gate = null;
    g?.release();
  };
  return fn;
}

test('useQuery: placeholderData keeps the previous data while a new key loads (isPlaceholderData)', async () => {
  const store = await newStore();
  const fn = source((n, ctx) => ({ page: ctx.queryKey[1] }));
  const seen = [];
  function Page({ page }) {
    const q = useQuery({ queryKey: ['page', page], queryFn: fn, placeholderData: (previous) => previous });
    seen.push([page, q.status, q.data?.page, q.isPlaceholderData]);
    return <p id="page">{q.data ? `${q.data.page}${q.isPlaceholderData ? '*' : ''}` : '-'}</p>;
  }
  let setPage;
  function App() {
    const [page, set] = useState(1);
    setPage = set;
    return <Page page={page} />;
  }
  const m = mount(
    <StoreProvider store={store}>
      <App />
    </StoreProvider>,
  );
  await waitFor(() => m.text('#page') === '1', 'page 1');
  fn.hold();
  flushSync(() => setPage(2));
  assertEqual(m.text('#page'), '1*', 'page 1 shown as a placeholder while page 2 loads');
  assert(seen.some(([p, status, data, ph]) => p === 2 && status === 'success' && data === 1 && ph === true), JSON.stringify(seen));
  fn.release();
  await waitFor(() => m.text('#page') === '2', 'page 2');
  assertEqual(store.getQueryData(['page', 1]), { page: 1 }, 'the placeholder was never stored');
  m.unmount();
  store.close();
});

test('useQuery: placeholderData as a value; throwOnError sends the error to the error boundary', async () => {
  const store = await newStore();
  function Value() {
    const q = useQuery({ queryKey: ['v'], queryFn: () => new Promise(() => {}), placeholderData: { n: 0 } });
    return <p id="v">{`${q.status}:${q.data.n}:${q.isPlaceholderData}`}</p>;
  }
  class Boundary extends Component {
    state = { error: null };
    static getDerivedStateFromError(error) {
      return { error };
    }
    render() {
      return this.state.error ? <p id="caught">{this.state.error.code}</p> : this.props.children;
    }
  }
  function Failing() {
    const q = useQuery({ queryKey: ['fails'], queryFn: async () => { throw new Error('down'); }, retry: 0, throwOnError: true });
    return <p id="f">{q.status}</p>;
  }
  const caught = [];
  const m = mount(
    <StoreProvider store={store}>
      <Value />
      <Boundary>
        <Failing />
      </Boundary>
    </StoreProvider>,
    { onCaughtError: (error) => caught.push(error.code) },
  );
  assertEqual(m.text('#v'), 'success:0:true');
  await waitFor(() => m.text('#caught') === 'NETWORK', 'the boundary caught the error');
  assert(caught.includes('NETWORK'));
  m.unmount();
  store.close();
});

test('useQuery: notifyOnChangeProps: ["data"] does not re-render for a fetch status change', async () => {
  const store = await newStore();
  store.setQueryData(['n'], { n: 1 });
  const fn = source((n) => ({ n: n === 1 ? 1 : 2 }));
  let renders = 0;
  function N() {
    renders++;
    const q = useQuery({ queryKey: ['n'], queryFn: fn, staleTime: Infinity, notifyOnChangeProps: ['data'] });
    return <p id="n">{q.data.n}</p>;
  }
  const m = mount(
    <StoreProvider store={store}>
      <N />
    </StoreProvider>,
  );
  await nextFrame();
  const before = renders;
  fn.hold();
  const done = store.refetchQueries({ queryKey: ['n'] });
  assertEqual(store.getQueryState(['n']).fetchStatus, 'fetching');
  await nextFrame();
  assertEqual(renders, before, 'fetching: no re-render');
  fn.release();
  await done;
  await nextFrame();
  // Same data ({ n: 1 } again, equal): still no re-render.
  assertEqual(renders, before, 'same data');
  await store.refetchQueries({ queryKey: ['n'] });
  await waitFor(() => m.text('#n') === '2', 'new data renders');
  assertEqual(renders, before + 1);
  m.unmount();
  store.close();
});

test('useQuery: refetch() refetches exactly its query, not the ones under its key', async () => {
  const store = await newStore();
  const a = source();
  const a1 = source();
  let q;
  function A() {
    q = useQuery({ queryKey: ['a'], queryFn: a, staleTime: Infinity });
    useQuery({ queryKey: ['a', 1], queryFn: a1, staleTime: Infinity });
    return null;
  }
  const m = mount(
    <StoreProvider store={store}>
      <A />
    </StoreProvider>,
  );
  await waitFor(() => q.isSuccess && store.getQueryState(['a', 1])?.status === 'success', 'both loaded');
  const state = await q.refetch();
  assertEqual([a.calls, a1.calls, state.data], [2, 1, { n: 2 }]);
  m.unmount();
  store.close();
});

test('useQuery: removeQueries while mounted fetches the query again (it was left pending)', async () => {
  const store = await newStore();
  const fn = source();
  function W() {
    const q = useQuery({ queryKey: ['w'], queryFn: fn });
    return <p id="w">{q.data ? q.data.n : q.status}</p>;
  }
  const m = mount(
    <StoreProvider store={store}>
      <W />
    </StoreProvider>,
  );
  await waitFor(() => m.text('#w') === '1', 'loaded');
  store.removeQueries({ queryKey: ['w'] });
  await waitFor(() => m.text('#w') === '2', 'fetched again after removal');
  assertEqual(fn.calls, 2);
  m.unmount();
  store.close();
});

test('useQuery: an enabled function reading props is asked again when the component re-renders', async () => {
  const store = await newStore();
  const fn = source();
  let setOn;
  function G() {
    const [on, set] = useState(false);
    setOn = set;
    const q = useQuery({ queryKey: ['g'], queryFn: fn, enabled: () => on });
    return <p id="g">{q.data ? q.data.n : q.fetchStatus}</p>;
  }
  const m = mount(
    <StoreProvider store={store}>
      <G />
    </StoreProvider>,
  );
  await nextFrame();
  assertEqual([m.text('#g'), fn.calls], ['idle', 0]);
  flushSync(() => setOn(true));
  await waitFor(() => m.text('#g') === '1', 'enabled by the re-render');
  m.unmount();
  store.close();
});

test('useQueries: a changing number of queries, combine', async () => {
  const store = await newStore();
  const fn = source((n, ctx) => ctx.queryKey[1] * 10);
  let setIds;
  let combined;
  function L() {
    const [ids, set] = useState([1, 2]);
    setIds = set;
    combined = useQueries({
      queries: ids.map((id) => ({ queryKey: ['item', id], queryFn: fn, select: (x) => x + 1 })),
      combine: (results) => ({ total: results.reduce((t, r) => t + (r.data ?? 0), 0), pending: results.some((r) => r.isPending) }),
    });
    return <p id="l">{combined.pending ? 'loading' : combined.total}</p>;
  }
  const m = mount(
    <StoreProvider store={store}>
      <L />
    </StoreProvider>,
  );
  await waitFor(() => m.text('#l') === '32', 'two items: 11 + 21');
  const before = combined;
  await nextFrame();
  assert(combined === before, 'combine result stable while nothing changed');
  flushSync(() => setIds([1, 2, 3]));
  await waitFor(() => m.text('#l') === '63', 'three items');
  m.unmount();
  store.close();
});

test('useSuspenseQuery suspends until there is data; queryOptions carries the options', async () => {
  const store = await newStore();
  const fn = source();
  const options = queryOptions({ queryKey: ['sus'], queryFn: fn });
  function S() {
    const q = useSuspenseQuery(options);
    return <p id="s">{q.data.n}</p>;
  }
  const m = mount(
    <StoreProvider store={store}>
      <Suspense fallback={<p id="fallback">loading</p>}>
        <S />
      </Suspense>
    </StoreProvider>,
  );
  assertEqual(m.text('#fallback'), 'loading');
  await waitFor(() => m.text('#s') === '1', 'the data');
  assertEqual(store.getQueryData(options.queryKey), { n: 1 });
  let caught;
  function Bad() {
    try {
      useSuspenseQuery({ queryKey: ['x'], queryFn: fn, enabled: false });
    } catch (e) {
      caught = e;
    }
    return null;
  }
  const m2 = mount(
    <StoreProvider store={store}>
      <Bad />
    </StoreProvider>,
  );
  assertEqual(caught?.code, 'INVALID_ARGUMENT');
  m2.unmount();
  m.unmount();
  store.close();
});

test('useIsFetching, useIsMutating and useMutationState follow the store', async () => {
  await reset();
  const store = await newStore();
  const fn = source();
  let counts;
  function Counts() {
    const fetching = useIsFetching();
    const todos = useIsFetching({ queryKey: ['t'] });
    const mutating = useIsMutating();
    const urls = useMutationState({ filters: { status: 'pending' }, select: (m) => m.request.url });
    counts = { fetching, todos, mutating, urls };
    return null;
  }
  const m = mount(
    <StoreProvider store={store}>
      <Counts />
    </StoreProvider>,
  );
  assertEqual(counts, { fetching: 0, todos: 0, mutating: 0, urls: [] });
  fn.hold();
  const offA = store.subscribeQuery({ queryKey: ['t', 1], queryFn: fn }, () => {});
  const offB = store.subscribeQuery({ queryKey: ['u'], queryFn: fn }, () => {});
  await waitFor(() => counts.fetching === 2 && counts.todos === 1, 'two fetching, one under ["t"]');
  fn.release();
  await waitFor(() => counts.fetching === 0, 'settled');
  // The answer waits until the hooks have shown the mutation under way.
  await fixture({ path: '/api/tasks', json: { id: 1, title: 'x' }, delayMs: 300 });
  const done = store.mutate({ request: { method: 'POST', url: '/tasks', body: { title: 'x' } } });
  await waitFor(() => counts.mutating === 1 && counts.urls.length === 1, 'a mutation under way');
  assertEqual(counts.urls, ['/api/tasks']);
  await done;
  await waitFor(() => counts.mutating === 0 && counts.urls.length === 0, 'done');
  offA();
  offB();
  m.unmount();
  store.close();
});

// ---- HydrationBoundary --------------------------------------------------------------------

// The server's side in the page: a store fetches, dehydrates; the state crosses as JSON.
async function serverState() {
  await reset();
  await fixture({ path: '/api/todos', json: todos });
  const server = await newStore();
  await server.fetchQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'] });
  const state = JSON.parse(JSON.stringify(server.dehydrate()));
  server.close();
  return state;
}

function HydratedTodos({ seen }) {
  const q = useQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'], staleTime: 60_000 });
  seen?.push(q.status);
  return <p className="todos">{q.status}:{(q.data ?? []).map((t) => `${t.title}/${t.assignee.name}`).join(',')}</p>;
}

test('HydrationBoundary: server HTML hydrates without a mismatch or a refetch; the first render has the data', async () => {
  const state = await serverState();
  const app = (store, seen) => (
    <StrictMode>
      <StoreProvider store={store}>
        <HydrationBoundary state={state}>
          <HydratedTodos seen={seen} />
        </HydrationBoundary>
      </StoreProvider>
    </StrictMode>
  );
  // "Server" render: a fresh store, only the boundary gives it data.
  const ssrStore = await newStore();
  const html = renderToString(app(ssrStore));
  ssrStore.close();
  assertEqual(html, '<p class="todos">success<!-- -->:<!-- -->a/Ann,b/Bo</p>', 'server HTML');
  // "Browser": another fresh store hydrates that HTML.
  const store = await newStore();
  const container = document.createElement('div');
  container.innerHTML = html;
  stage.appendChild(container);
  const seen = [];
  const errors = [];
  const root = hydrateRoot(container, app(store, seen), { onRecoverableError: (e) => errors.push(String(e)) });
  await waitFor(() => seen.length > 0 && container.querySelector('.todos'), 'hydrated');
  await nextFrame();
  assertEqual(errors, [], 'no hydration mismatch');
  assertEqual([...new Set(seen)], ['success'], 'no render without the data');
  assertEqual(container.querySelector('.todos').textContent, 'success:a/Ann,b/Bo');
  assertEqual(await count('/api/todos'), 1, 'fresh: the browser did not fetch again');
  root.unmount();
  container.remove();
  store.close();
});

test('HydrationBoundary: a newer state updates what the store shows (after render); an older one does not', async () => {
  const store = await newStore();
  store.setQueryData(['todos'], [{ id: 1, title: 'old', assignee: { id: 'u1', name: 'Ann' } }], { shape: ['Todo'] });
  await sleep(2); // the server's data must be newer than this write, in ms
  const state = await serverState();
  const seen = [];
  const m = mount(
    <StoreProvider store={store}>
      <HydrationBoundary state={state}>
        <HydratedTodos seen={seen} />
      </HydrationBoundary>
    </StoreProvider>,
  );
  await waitFor(() => m.text('.todos') === 'success:a/Ann,b/Bo', 'the newer state shown');
  // Now the store has newer data than a state made before it: the boundary keeps it.
  const older = { ...state, queries: state.queries.map((q) => ({ ...q, dataUpdatedAt: q.dataUpdatedAt - 1000 })), entities: { ...state.entities, 'Todo:1': { ...state.entities['Todo:1'], title: 'stale' } } };
  const m2 = mount(
    <StoreProvider store={store}>
      <HydrationBoundary state={older}>
        <HydratedTodos />
      </HydrationBoundary>
    </StoreProvider>,
  );
  await nextFrame();
  assertEqual(m2.text('.todos'), 'success:a/Ann,b/Bo');
  assertEqual(store.getEntity('Todo', 1).title, 'a');
  m.unmount();
  m2.unmount();
  store.close();
});

// The devtools (strata-store/devtools): the button opens the panel; each tab shows the
// store's state; a failed mutation is retried from the outbox tab.
test('StrataDevtools: queries, entities, the outbox (retry) and the timeline', async () => {
  await reset();
  const store = await newStore();
  const m = mount(
    <StoreProvider store={store}>
      <StrataDevtools />
    </StoreProvider>,
  );
  const q = (s) => m.container.querySelector(s);
  const all = (s) => [...m.container.querySelectorAll(s)];
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  assert(q('[data-testid="strata-devtools-panel"]') === null, 'closed at first: only the button');
  q('[data-testid="strata-devtools-toggle"]').click();
  await waitFor(() => all('[data-testid="sd-query"]').length === 1, 'the query row');
  assertEqual(q('[data-testid="sd-query"]').dataset.hash, '["tasks"]');
  assertEqual(q('[data-testid="sd-query"]').dataset.status, 'success');
  q('[data-testid="sd-query"]').click();
  await waitFor(() => q('[data-testid="sd-query-detail"] pre')?.textContent.includes('"title"'), "the query's data");

  q('[data-testid="sd-tab-entities"]').click();
  await waitFor(() => all('[data-testid="sd-entity"]').some((e) => e.dataset.key === 'Task:1'), 'Task:1 listed');
  all('[data-testid="sd-entity"]').find((e) => e.dataset.key === 'Task:1').click();
  await waitFor(() => q('[data-testid="sd-entity-query"]')?.textContent === '["tasks"]', 'the query showing Task:1');

  await fixture({ path: '/api/tasks/1', status: 422, json: { error: 'no' }, times: 1 });
  const failed = store.mutate({ request: { method: 'PATCH', url: '/tasks/1', body: { title: 'again' } }, optimistic: [{ op: 'update', type: 'Task', id: 1, patch: { title: 'again' } }] });
  failed.catch(() => {});
  q('[data-testid="sd-tab-outbox"]').click();
  await waitFor(() => q('[data-testid="sd-mutation"]')?.dataset.status === 'failed', 'the failed mutation in the outbox');
  q('[data-testid="sd-retry"]').click();
  await waitFor(() => q('[data-testid="sd-mutation"]') === null, 'retried from the devtools and acknowledged');
  assertEqual(store.getEntity('Task', 1).title, 'again');

  q('[data-testid="sd-tab-timeline"]').click();
  await waitFor(() => {
    const t = all('[data-testid="sd-event"]').map((e) => e.dataset.type);
    return t.includes('fetch-end') && t.includes('rollback') && t.includes('mutation-settled');
  }, 'fetches, the rollback and the settled retry on the timeline');
  q('[data-testid="strata-devtools-close"]').click();
  await waitFor(() => q('[data-testid="strata-devtools-toggle"]'), 'closed again');
  m.unmount();

  // The panel alone takes the store as a prop (no provider).
  const p = mount(<StrataDevtoolsPanel store={store} initialTab="connection" />);
  assertEqual(p.container.querySelector('[data-testid="sd-connection"]').dataset.status, 'closed');
  p.unmount();
  store.close();
});

test('no React warnings were logged', () => {
  assertEqual(warnings, []);
});

// ---------------------------------------------------------------------------------------------

let summary;
try {
  summary = await run();
} catch (e) {
  summary = { passed: 0, failed: 1, results: [{ name: 'run hook tests', ok: false, error: String(e && e.stack), ms: 0 }] };
}
window.__results = summary;
document.getElementById('status').textContent = `${summary.passed} passed, ${summary.failed} failed`;
