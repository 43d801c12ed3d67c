// Query and mutation filters (TanStack's QueryFilters and MutationFilters), checked in JS:
// JSON would drop a misspelt function-valued key without a word. The core matches the query
// filters (core/query/filter.rs); `predicate(query)` runs here, over the public listing.

import { invalidArgument } from './errors.js';
import { describe } from './keys.js';

const QUERY_FILTERS = ['queryKey', 'exact', 'type', 'stale', 'fetchStatus', 'predicate'];
const MUTATION_STATUS = {
  pending: ['saving', 'queued', 'inflight'],
  error: ['failed'],
  saving: ['saving'],
  queued: ['queued'],
  inflight: ['inflight'],
  failed: ['failed'],
  conflict: ['conflict'],
};

/** `{ rest, predicate }`: the filter fields the core reads, and the JS predicate if any. */
export function queryFilter(filters, what, withRefetchType = false) {
  if (filters === undefined) return { rest: {}, predicate: undefined };
  if (filters === null || typeof filters !== 'object' || Array.isArray(filters)) {
    throw invalidArgument(`${what} expects filters like { queryKey: ['todos'] }, got ${describe(filters)}`);
  }
  const { predicate, ...rest } = filters;
  for (const k of Object.keys(rest)) {
    if (!QUERY_FILTERS.includes(k) && !(withRefetchType && k === 'refetchType')) {
      const known = QUERY_FILTERS.join(', ') + (withRefetchType ? ', refetchType' : '');
      throw invalidArgument(`${what}: unknown query filter \`${k}\`; known: ${known}`);
    }
  }
  if (predicate !== undefined && typeof predicate !== 'function') {
    throw invalidArgument('the `predicate` filter must be a function (query) => boolean');
  }
  if (rest.queryKey !== undefined && !Array.isArray(rest.queryKey)) {
    throw invalidArgument('queryKey filter must be an array (a key prefix)');
  }
  return { rest, predicate };
}

/** A test of `store.mutations()` entries for `{ status?, predicate? }`. */
export function mutationFilter(filters, what) {
  if (filters === undefined) return () => true;
  if (filters === null || typeof filters !== 'object' || Array.isArray(filters)) {
    throw invalidArgument(`${what} expects filters like { status: 'pending' }, got ${describe(filters)}`);
  }
  const { status, predicate, ...rest } = filters;
  for (const k of Object.keys(rest)) {
    const why = k === 'mutationKey' || k === 'exact' ? ' (strata mutations have no key: use `predicate(mutation)`)' : '';
    throw invalidArgument(`${what}: unknown mutation filter \`${k}\`${why}; known: status, predicate`);
  }
  const statuses = status === undefined ? null : MUTATION_STATUS[status];
  if (statuses === undefined) {
    throw invalidArgument(`the \`status\` filter must be one of ${Object.keys(MUTATION_STATUS).join(', ')}, got ${describe(status)}`);
  }
  if (predicate !== undefined && typeof predicate !== 'function') {
    throw invalidArgument('the `predicate` filter must be a function (mutation) => boolean');
  }
  return (m) => (statuses === null || statuses.includes(m.status)) && (predicate === undefined || Boolean(predicate(m)));
}
