// Server-side rendering, the JS side of dehydrate/hydrate (the rules are the core's,
// src/core/store/hydrate.rs): which queries a filter chooses, and the state checked and given
// each query's hash (hashes are this wrapper's, so they are not part of the format).

import { invalidArgument } from './errors.js';
import { hashKey, toJson, describe, isPlainObject } from './keys.js';

/** @internal strata-store/react's render-time hydration: only what the store has never seen. */
export const HYDRATE_NEW = Symbol.for('strata.hydrateNew');

/**
 * `dehydrate(filter)`: `{ filters, should }`, the query filters (queryKey, exact, type, stale,
 * fetchStatus, predicate) and the test each chosen query passes (TanStack's
 * `shouldDehydrateQuery`; by default, successful queries).
 */
export function dehydrateFilter(filter) {
  if (filter === undefined) return { filters: undefined, should: succeeded };
  if (!isPlainObject(filter)) {
    throw invalidArgument(`dehydrate expects { shouldDehydrateQuery?, queryKey?, predicate?, ... }, got ${describe(filter)}`);
  }
  const { shouldDehydrateQuery, ...filters } = filter;
  if (shouldDehydrateQuery !== undefined && typeof shouldDehydrateQuery !== 'function') {
    throw invalidArgument('`shouldDehydrateQuery` must be a function (query) => boolean');
  }
  return { filters, should: shouldDehydrateQuery ?? succeeded };
}

function succeeded(query) {
  return query.state.status === 'success';
}

/** The JSON the core's hydrate reads: the state with each query's hash. */
export function hydrateJson(state) {
  if (!isPlainObject(state) || !Array.isArray(state.queries)) {
    throw invalidArgument(`hydrate expects the state store.dehydrate() returned ({ version, entities, queries }), got ${describe(state)}`);
  }
  const queries = state.queries.map((q, i) => {
    if (!isPlainObject(q) || !Array.isArray(q.queryKey) || q.queryKey.length === 0) {
      throw invalidArgument(`hydrate: queries[${i}] has no queryKey list`);
    }
    return { ...q, hash: hashKey(q.queryKey) };
  });
  return toJson({ ...state, queries }, 'the dehydrated state');
}
