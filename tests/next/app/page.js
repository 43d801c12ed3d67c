// A server component: imports strata-store, creates a store, fetches through it and hands the
// dehydrated state to the client components. `window`/`document` are trapped while it does so
// (reads see undefined, as in Node): the page reports reads during the import in
// data-import-touched (none expected) and during the store's work in data-touched (only
// `typeof` probes can happen there, or the work would have thrown).
import { headers } from 'next/headers';
import { entities, todosQuery } from './entities.js';
import Providers from './providers.js';
import Todos from './todos.js';

export const dynamic = 'force-dynamic';

async function withBrowserGlobalsTrapped(fn) {
  const touched = [];
  const names = ['window', 'document'];
  for (const name of names) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        touched.push(name);
        return undefined;
      },
    });
  }
  try {
    return { value: await fn(), touched };
  } finally {
    for (const name of names) delete globalThis[name];
  }
}

export default async function Page() {
  const host = (await headers()).get('host');
  const imported = await withBrowserGlobalsTrapped(() => import('strata-store'));
  const { createStore } = imported.value;
  const { value: state, touched } = await withBrowserGlobalsTrapped(async () => {
    const store = await createStore({ entities, baseUrl: `http://${host}` });
    await store.fetchQuery(todosQuery);
    const dehydrated = store.dehydrate();
    store.close();
    return dehydrated;
  });
  return (
    <main data-import-touched={imported.touched.join(',')} data-touched={touched.join(',')}>
      <h1>Todos</h1>
      <Providers state={state}>
        <Todos />
      </Providers>
    </main>
  );
}
