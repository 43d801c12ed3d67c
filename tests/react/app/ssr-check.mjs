// Server-side rendering checks, run by tests/react/run.mjs with Node from this directory (so
// `strata` and `strata-store/react` resolve to the installed tarball through its `exports`):
//   1. importing both entries touches neither `window` nor `document`;
//   2. renderToString of the hooks over a real store (the wasm loaded from the package's
//      file) renders cached data, pending state for unknown queries, and starts no fetch.
// Prints `ok - ...` / `not ok - ...` lines, then one line `SSR_RESULTS <json>` for the runner,
// and exits 1 on any failure.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok - ${name}`);
  } catch (e) {
    results.push({ name, ok: false, error: String((e && e.message) || e) });
    console.log(`not ok - ${name}: ${(e && e.stack) || e}`);
  }
}
function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

let strata;
let strataReact;
await check('SSR: importing strata and strata-store/react touches no window/document', async () => {
  const touched = [];
  for (const name of ['window', 'document']) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        touched.push(name);
        return undefined;
      },
    });
  }
  try {
    strata = await import('strata-store');
    strataReact = await import('strata-store/react');
  } finally {
    delete globalThis.window;
    delete globalThis.document;
  }
  assertEqual(touched, [], 'globals read at import time');
  assertEqual(
    Object.keys(strataReact).sort(),
    [
      'HydrationBoundary', 'StoreProvider', 'infiniteQueryOptions', 'queryOptions', 'useConnection', 'useEntity', 'useInfiniteQuery', 'useIsFetching', 'useIsMutating',
      'useMutation', 'useMutationState', 'useQueries', 'useQuery', 'useStore', 'useSuspenseQuery', 'useSyncState',
    ],
    'strata-store/react exports',
  );
});

await check('SSR: strata-store/react throws the main entry\'s StrataError (one copy across entries)', async () => {
  const { createElement: h } = await import('react');
  const { renderToString } = await import('react-dom/server');
  function Orphan() {
    strataReact.useStore();
    return null;
  }
  let error;
  try {
    renderToString(h(Orphan));
  } catch (e) {
    error = e;
  }
  assertEqual(error instanceof strata.StrataError, true, 'a hook without a provider throws an instance of strata.StrataError');
  assertEqual(error.code, 'INVALID_ARGUMENT', 'its code');
});

await check('SSR: renderToString of the hooks over a real store', async () => {
  // Node's fetch cannot read file: URLs; serve the package's wasm file the way a server would.
  const realFetch = globalThis.fetch;
  const requests = [];
  globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.startsWith('file:')) {
      return new Response(await readFile(fileURLToPath(url)), { headers: { 'Content-Type': 'application/wasm' } });
    }
    requests.push(url);
    return realFetch(input, init);
  };
  const { createElement: h } = await import('react');
  const { renderToString } = await import('react-dom/server');
  const { StoreProvider, useQuery, useEntity, useSyncState, useMutation } = strataReact;
  const store = await strata.createStore({
    persist: false,
    baseUrl: 'http://127.0.0.1:9/api',
    entities: { Todo: { relations: { assignee: 'User' } }, User: {} },
  });
  store.setQueryData(['todos'], [{ id: 1, title: 'a', assignee: { id: 'u1', name: 'Ann' } }], { shape: ['Todo'] });
  function App() {
    const todos = useQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'] });
    const other = useQuery({ queryKey: ['other'], url: '/other' });
    const ann = useEntity('User', 'u1');
    const sync = useSyncState();
    const m = useMutation({ mutation: () => ({ request: { method: 'POST', url: '/x' } }) });
    return h(
      'p',
      null,
      `${todos.status}:${todos.data.map((t) => `${t.title}/${t.assignee.name}`).join(',')}|${other.status}|${ann.name}|${sync.online}|${m.status}`,
    );
  }
  const html = renderToString(h(StoreProvider, { store }, h(App)));
  assertEqual(html, '<p>success:a/Ann|pending|Ann|true|idle</p>', 'server HTML');
  await new Promise((r) => setTimeout(r, 50));
  assertEqual(requests, [], 'no fetch during SSR (subscriptions run only in the browser)');
  store.close();
  globalThis.fetch = realFetch;
});

await check('SSR: createStore in Node is memory only without a warning; dehydrate -> HydrationBoundary renders the data', async () => {
  const warned = [];
  const warn = console.warn;
  console.warn = (...a) => warned.push(a.join(' '));
  const entities = { Todo: { relations: { assignee: 'User' } }, User: {} };
  let server;
  let client;
  try {
    server = await strata.createStore({ entities }); // persist not turned off: Node has no IndexedDB
    client = await strata.createStore({ entities });
  } finally {
    console.warn = warn;
  }
  assertEqual(warned, [], 'warnings');
  server.setQueryData(['todos'], [{ id: 1, title: 'a', assignee: { id: 'u1', name: 'Ann' } }], { shape: ['Todo'] });
  const state = JSON.parse(JSON.stringify(server.dehydrate()));
  const { createElement: h } = await import('react');
  const { renderToString } = await import('react-dom/server');
  const { StoreProvider, HydrationBoundary, useQuery } = strataReact;
  function Todos() {
    const q = useQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'], staleTime: 60_000 });
    return h('p', null, `${q.status}:${(q.data ?? []).map((t) => `${t.title}/${t.assignee.name}`).join(',')}`);
  }
  const html = renderToString(h(StoreProvider, { store: client }, h(HydrationBoundary, { state }, h(Todos))));
  assertEqual(html, '<p>success:a/Ann</p>', 'server HTML');
  server.close();
  client.close();
});

console.log(`SSR_RESULTS ${JSON.stringify(results)}`);
const failed = results.filter((r) => !r.ok).length;
process.exit(failed === 0 ? 0 : 1);
