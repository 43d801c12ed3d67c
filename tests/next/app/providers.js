'use client';
// One store for the browser page; on the server, one per request (client components are
// rendered there too), keyed by the request's state so a suspended render finds it again.
import { use } from 'react';
import { createStore } from 'strata-store';
import { StoreProvider, HydrationBoundary } from 'strata-store/react';
import { entities } from './entities.js';

let browserStore;
const serverStores = new WeakMap();

function storeFor(state) {
  if (typeof window !== 'undefined') return (browserStore ??= createStore({ entities }));
  let store = serverStores.get(state);
  if (!store) serverStores.set(state, (store = createStore({ entities })));
  return store;
}

export default function Providers({ state, children }) {
  const store = use(storeFor(state));
  return (
    <StoreProvider store={store}>
      <HydrationBoundary state={state}>{children}</HydrationBoundary>
    </StoreProvider>
  );
}
