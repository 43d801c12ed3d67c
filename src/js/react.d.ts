// Type declarations for `strata-store/react` (written by hand). React is a peer dependency; these
// declarations need `@types/react` (18 or 19).

import type { ReactElement, ReactNode } from 'react';
import type {
  EntityId, QueryKey, Shape, Store, StrataError, QueryStatus, FetchStatus, QueryState, SyncState,
  QueryFunctionContext, QueryOptions, OptimisticOp, MutationDescription, ConnectionState,
  QueryEntry, QueryFilters, MutationFilters, MutationEntry, DataTag, InferDataFromTag,
  InfiniteData, InfiniteQueryOptions, DehydratedState,
} from './index.js';

export type {
  EntityId, QueryKey, Shape, Store, StrataError, QueryStatus, FetchStatus, QueryState, SyncState,
  QueryFunctionContext, QueryOptions, OptimisticOp, MutationDescription, ConnectionState,
  QueryEntry, QueryFilters, MutationFilters, MutationEntry, DataTag, InferDataFromTag,
  InfiniteData, InfiniteQueryOptions, DehydratedState,
};

// ---- provider ------------------------------------------------------------------------------
export interface StoreProviderProps {
  /** The store `createStore()` resolved with. */
  store: Store;
  children?: ReactNode;
}

/** Makes `store` available to every strata hook below it. */
export declare function StoreProvider(props: StoreProviderProps): ReactElement;

/** The store of the nearest `<StoreProvider>`; throws `INVALID_ARGUMENT` without one. */
export declare function useStore(): Store;

export interface HydrationBoundaryProps {
  /** What `store.dehydrate()` returned on the server (null/undefined: nothing to apply). */
  state: DehydratedState | null | undefined;
  children?: ReactNode;
}

/**
 * Applies `state` to the store of the nearest `<StoreProvider>` before its children read (new
 * queries and entities during the render, newer data for what the store already shows in an
 * effect), so the first client render matches the server's and no request is repeated while
 * fresh.
 */
export declare function HydrationBoundary(props: HydrationBoundaryProps): ReactElement;

// ---- useQuery ------------------------------------------------------------------------------

export interface UseQueryOptions<TData = unknown, TSelected = TData> extends QueryOptions<TData> {
  /**
   * Derives what the component gets as `data`. Runs again only when the data or the function
   * changes (pass a stable function to skip work on unrelated renders).
   */
  select?: (data: TData) => TSelected;
  /**
   * `true`: while the query has no data the component suspends (the nearest `<Suspense>`
   * shows its fallback) on the `fetchQuery` promise; an error without data is thrown to the
   * nearest error boundary. As in TanStack Query, `staleTime` is then at least 1000 ms (also
   * when omitted: pass it to keep a longer store default), so the subscription made after the
   * fetch landed does not fetch again. Ignored while `enabled` is false. To retry after an
   * error boundary caught the error, call `store.refetchQueries({ queryKey })` (or
   * `removeQueries`) before resetting the boundary.
   */
  suspense?: boolean;
  /**
   * Shown as `data` while the query has no data (`status: 'success'`, `isPlaceholderData:
   * true`), never stored. A function gets the data and query this component showed before
   * (`(previous) => previous` keeps the previous data while a new key loads).
   */
  placeholderData?: TData | ((previousData: TData | undefined, previousQuery: QueryEntry | undefined) => TData | undefined);
  /** Throw a settled error to the nearest error boundary (a function decides per error). */
  throwOnError?: boolean | ((error: StrataError, query: QueryEntry | undefined) => boolean);
  /** Re-render only when one of these result properties changed (`'all'`: any; default). */
  notifyOnChangeProps?: ReadonlyArray<keyof QueryResultBase<TSelected> | 'data' | 'status' | 'error' | 'isPending' | 'isSuccess' | 'isError'> | 'all' | (() => ReadonlyArray<string> | 'all');
}

interface QueryResultBase<TSelected> extends Omit<QueryState<TSelected>, 'data' | 'status' | 'error'> {
  /**
   * Fetches exactly this query again (a fetch under way is superseded, as TanStack's default
   * `cancelRefetch`) and resolves with its state once settled.
   */
  refetch(): Promise<QueryState | undefined>;
  /** `data` is `placeholderData`, not the query's. */
  readonly isPlaceholderData: boolean;
  /** Fetching while there is data (a background refetch). */
  readonly isRefetching: boolean;
  /** `fetchStatus === 'fetching'` (also true for background refetches). */
  readonly isFetching: boolean;
  /** `fetchStatus === 'paused'` (offline). */
  readonly isPaused: boolean;
  /** The first fetch: pending and fetching. */
  readonly isLoading: boolean;
}

export interface QueryPendingResult<TSelected> extends QueryResultBase<TSelected> {
  readonly status: 'pending';
  readonly data: undefined;
  readonly error: StrataError | null;
  readonly isPending: true;
  readonly isSuccess: false;
  readonly isError: false;
}

export interface QuerySuccessResult<TSelected> extends QueryResultBase<TSelected> {
  readonly status: 'success';
  readonly data: TSelected;
  readonly error: null;
  readonly isPending: false;
  readonly isSuccess: true;
  readonly isError: false;
}

export interface QueryErrorResult<TSelected> extends QueryResultBase<TSelected> {
  readonly status: 'error';
  /** A failed refetch keeps the data it had. */
  readonly data: TSelected | undefined;
  readonly error: StrataError;
  readonly isPending: false;
  readonly isSuccess: false;
  readonly isError: true;
}

/** Narrow on `status` or `isSuccess` to get `data` typed as defined. */
export type UseQueryResult<TSelected = unknown> =
  | QueryPendingResult<TSelected>
  | QuerySuccessResult<TSelected>
  | QueryErrorResult<TSelected>;

/** In Suspense mode the component renders only once data is there. */
export type UseSuspenseQueryResult<TSelected = unknown> =
  | QuerySuccessResult<TSelected>
  | (QueryErrorResult<TSelected> & { readonly data: TSelected });

/**
 * Observes a query while mounted: subscribes with `options` (minus `select`, `suspense`), which
 * fetches when there is no data or it is stale; re-renders only when this query's state
 * changes. Options are compared by value (the queryKey by its hash), so an inline options
 * object does not resubscribe on every render; the latest `queryFn` is the one called.
 *
 * @example
 * const todos = useQuery<Todo[]>({ queryKey: ['todos'], url: '/todos', shape: ['Todo'] });
 * if (todos.isPending) return <Spinner />;
 * if (todos.isError && !todos.data) return <Failed error={todos.error} />;
 */
export declare function useQuery<TData = unknown, TSelected = TData>(
  options: UseQueryOptions<TData, TSelected> & { suspense: true },
): UseSuspenseQueryResult<TSelected>;
export declare function useQuery<TData = unknown, TSelected = TData>(
  options: UseQueryOptions<TData, TSelected>,
): UseQueryResult<TSelected>;

/** `useQuery` in Suspense mode (no `enabled`, no `placeholderData`): renders once there is data. */
export declare function useSuspenseQuery<TData = unknown, TSelected = TData>(
  options: Omit<UseQueryOptions<TData, TSelected>, 'enabled' | 'placeholderData' | 'suspense'>,
): UseSuspenseQueryResult<TSelected>;

type QueriesOptions = readonly UseQueryOptions<any, any>[];
/** The results of `useQueries`, one per options object, typed from each. */
export type QueriesResults<T extends QueriesOptions> = {
  -readonly [K in keyof T]: QueryResultOf<T[K]>;
};
type QueryResultOf<O> = O extends { select: (data: any) => infer S }
  ? UseQueryResult<S>
  : O extends { queryKey: DataTag<unknown, infer D> }
    ? UseQueryResult<D>
    : O extends { queryFn: (...args: any[]) => infer R }
      ? UseQueryResult<Awaited<R>>
      : UseQueryResult;

/** Several queries in one hook (their number may change): their results, or `combine(results)`. */
export declare function useQueries<const T extends QueriesOptions, TCombined = QueriesResults<T>>(options: {
  queries: T;
  combine?: (results: QueriesResults<T>) => TCombined;
}): TCombined;

/** Typed options: the returned `queryKey` carries `TData`, so `store.getQueryData(o.queryKey)` is typed. */
export declare function queryOptions<TData = unknown, TSelected = TData, TKey extends QueryKey = QueryKey>(
  options: UseQueryOptions<TData, TSelected> & { queryKey: TKey },
): UseQueryOptions<TData, TSelected> & { queryKey: DataTag<TKey, TData> };

/** Typed infinite query options: the returned `queryKey` carries `InfiniteData<TPage, TParam>`. */
export declare function infiniteQueryOptions<TPage = unknown, TParam = unknown, TKey extends QueryKey = QueryKey>(
  options: UseInfiniteQueryOptions<TPage, TParam> & { queryKey: TKey },
): UseInfiniteQueryOptions<TPage, TParam> & { queryKey: DataTag<TKey, InfiniteData<TPage, TParam>> };

/** How many queries (matching `filters`) are fetching; re-renders when it changes. */
export declare function useIsFetching(filters?: QueryFilters): number;

/** How many mutations (matching `filters`) are under way; re-renders when it changes. */
export declare function useIsMutating(filters?: MutationFilters): number;

/** `select(mutation)` (default: the entry) of every matching `store.mutations()` entry. */
export declare function useMutationState<TResult = MutationEntry>(options?: {
  filters?: MutationFilters;
  select?: (mutation: MutationEntry) => TResult;
}): TResult[];

// ---- useInfiniteQuery ----------------------------------------------------------------------

export interface UseInfiniteQueryOptions<TPage = unknown, TParam = unknown, TSelected = InfiniteData<TPage, TParam>>
  extends InfiniteQueryOptions<TPage, TParam> {
  select?: (data: InfiniteData<TPage, TParam>) => TSelected;
}

export type UseInfiniteQueryResult<TSelected = unknown> = UseQueryResult<TSelected> & {
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
  readonly isFetchingNextPage: boolean;
  readonly isFetchingPreviousPage: boolean;
  fetchNextPage(): Promise<unknown>;
  fetchPreviousPage(): Promise<unknown>;
};

/**
 * Observes an infinite query while mounted (`store.subscribeInfiniteQuery`).
 *
 * @example
 * const feed = useInfiniteQuery<{ items: Task[]; next: string | null }, string | null>({
 *   queryKey: ['tasks', 'all'], url: (cursor) => `/tasks?cursor=${cursor ?? ''}`,
 *   shape: { items: ['Task'], next: null }, initialPageParam: null,
 *   getNextPageParam: (last) => last.next,
 * });
 */
export declare function useInfiniteQuery<TPage = unknown, TParam = unknown, TSelected = InfiniteData<TPage, TParam>>(
  options: UseInfiniteQueryOptions<TPage, TParam, TSelected>,
): UseInfiniteQueryResult<TSelected>;

// ---- useEntity, useSyncState ---------------------------------------------------------------

/**
 * The entity `(type, id)` with its relations expanded, re-rendering only when this entity's
 * snapshot changes; `undefined` while it is not cached, or when `id` is null/undefined.
 */
export declare function useEntity<T = Record<string, unknown>>(type: string, id: EntityId | null | undefined): T | undefined;

/** The store's sync state (online, pending mutations, failures, conflicts), re-rendering when it changes. */
export declare function useSyncState(): SyncState;

/** The store's real-time connection state (`store.connect()`), re-rendering when it changes. */
export declare function useConnection(): ConnectionState;

// ---- useMutation ---------------------------------------------------------------------------

/**
 * `'queued'`: the mutation waits for the network (the browser is offline, or it was sent and is
 * queued again after a network error, a retryable answer or a 401 pause).
 */
export type MutationStatus = 'idle' | 'pending' | 'queued' | 'success' | 'error';

export interface MutateCallbacks<TData, TVariables> {
  onSuccess?: (data: TData, variables: TVariables) => void;
  onError?: (error: StrataError, variables: TVariables) => void;
  onSettled?: (data: TData | undefined, error: StrataError | null, variables: TVariables) => void;
}

export interface UseMutationOptions<TData = unknown, TVariables = void> extends MutateCallbacks<TData, TVariables> {
  /** Builds the mutation's description (data, no functions) from the variables. */
  mutation: (variables: TVariables) => MutationDescription;
}

export interface UseMutationResult<TData = unknown, TVariables = void> {
  /** Applies the optimistic change at once and queues the request; errors go to `error` / `onError`. */
  mutate(variables: TVariables, callbacks?: MutateCallbacks<TData, TVariables>): void;
  /** Like `mutate`, returning the promise of the server's result (rejects with a StrataError). */
  mutateAsync(variables: TVariables, callbacks?: MutateCallbacks<TData, TVariables>): Promise<TData>;
  /** Back to `'idle'`; the latest call's outcome is no longer shown (it still completes). */
  reset(): void;
  readonly status: MutationStatus;
  /** The server's result of the latest call (read through the description's `shape`). */
  readonly data: TData | undefined;
  readonly error: StrataError | null;
  readonly variables: TVariables | undefined;
  /** The latest call's id in `store.mutations()` (for `store.retry` / `store.discard`). */
  readonly mutationId: string | undefined;
  /** ms epoch of the latest call while it is pending, else 0. */
  readonly submittedAt: number;
  readonly isIdle: boolean;
  /** `'pending'` or `'queued'`. */
  readonly isPending: boolean;
  readonly isQueued: boolean;
  readonly isSuccess: boolean;
  readonly isError: boolean;
}

/**
 * A mutation bound to this component. The description is data (it may be persisted and
 * replayed); the callbacks live only in this component and are not persisted. Only the latest
 * call's outcome is shown; hook callbacks run for every call.
 *
 * @example
 * const rename = useMutation<Todo, { id: number; title: string }>({
 *   mutation: ({ id, title }) => ({
 *     request: { method: 'PATCH', url: `/todos/${id}`, body: { title } },
 *     optimistic: [{ op: 'update', type: 'Todo', id, patch: { title } }],
 *     shape: 'Todo',
 *   }),
 * });
 * rename.mutate({ id: 1, title: 'new' });
 */
export declare function useMutation<TData = unknown, TVariables = void>(
  options: UseMutationOptions<TData, TVariables>,
): UseMutationResult<TData, TVariables>;
