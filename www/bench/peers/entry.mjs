// The peer libraries the benchmark page uses, bundled by scripts/bench-peers.mjs with esbuild
// (production conditions, minified, ESM) into dist/peers.js; the page imports that one file.
// Versions are pinned in package.json / package-lock.json next to this file.
export { InMemoryCache, gql } from '@apollo/client';
export { cacheSizes } from '@apollo/client/utilities';
export { QueryClient, QueryObserver, InfiniteQueryObserver, notifyManager, dehydrate, hydrate } from '@tanstack/query-core';
export { normalize, denormalize, schema } from 'normalizr';
export { createCollection, localOnlyCollectionOptions, createLiveQueryCollection, eq, BTreeIndex } from '@tanstack/db';
