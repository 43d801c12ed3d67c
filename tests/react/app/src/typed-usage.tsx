// Typed usage of strata-store/react, checked by `tsc --noEmit` (tests/react/run.mjs); never run.
// Every `@ts-expect-error` line must be an error, so the declarations are checked both ways.
import { StrataDevtools } from 'strata-store/devtools';
import { createStore, queryOptions as storeQueryOptions, type Store, type QueryEntry, type DehydratedState } from 'strata-store';
import {
  HydrationBoundary,
  StoreProvider,
  infiniteQueryOptions,
  queryOptions,
  useInfiniteQuery,
  useConnection,
  useEntity,
  useIsFetching,
  useIsMutating,
  useMutation,
  useMutationState,
  useQueries,
  useQuery,
  useStore,
  useSuspenseQuery,
  useSyncState,
  type MutationDescription,
  type MutationStatus,
  type QueryState,
  type InfiniteData,
  type SyncState,
  type UseQueryResult,
} from 'strata-store/react';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}

interface User {
  id: string;
  name: string;
}
interface Todo {
  id: number;
  title: string;
  assignee: User | null;
}

export function TodoList() {
  const todos = useQuery<Todo[]>({ queryKey: ['todos'], url: '/todos', shape: ['Todo'], staleTime: Infinity });
  expectType<Equal<typeof todos, UseQueryResult<Todo[]>>>();
  expectType<Equal<typeof todos.data, Todo[] | undefined>>();
  if (todos.isPending) return <p>loading</p>;
  if (todos.status === 'error') return <p>{todos.error.code}</p>;
  // Narrowed: success has data.
  const list: Todo[] = todos.data;
  return (
    <ul>
      {list.map((t) => (
        <li key={t.id}>{t.title}</li>
      ))}
    </ul>
  );
}

export function Counts() {
  // TData inferred from queryFn, TSelected from select.
  const count = useQuery({
    queryKey: ['todos', { done: false }],
    queryFn: async ({ signal }): Promise<Todo[]> => (await fetch('/api/todos', { signal })).json(),
    select: (todos) => todos.length,
  });
  expectType<Equal<typeof count.data, number | undefined>>();
  const refetched: Promise<QueryState | undefined> = count.refetch();
  void refetched;
  const fetching: boolean = count.isFetching && count.isLoading && count.isPaused;
  // Suspense mode: data is always there.
  const all = useQuery<Todo[]>({ queryKey: ['todos'], url: '/todos', suspense: true });
  expectType<Equal<typeof all.data, Todo[]>>();
  // @ts-expect-error queryKey is required
  useQuery({ url: '/todos' });
  // @ts-expect-error unknown option
  useQuery({ queryKey: ['x'], staletime: 5 });
  return <p>{fetching ? all.data.length : count.data}</p>;
}

export function TodoItem({ id }: { id: number }) {
  const todo = useEntity<Todo>('Todo', id);
  expectType<Equal<typeof todo, Todo | undefined>>();
  const maybe = useEntity('User', null);
  expectType<Equal<typeof maybe, Record<string, unknown> | undefined>>();
  // @ts-expect-error ids are strings or numbers
  useEntity('Todo', { id });

  const rename = useMutation<Todo, { id: number; title: string }>({
    mutation: ({ id, title }) => ({
      request: { method: 'PATCH', url: `/todos/${id}`, body: { title } },
      optimistic: [{ op: 'update', type: 'Todo', id, patch: { title } }],
      shape: 'Todo',
      conflict: 'merge',
    }),
    onSuccess: (data, variables) => console.log(data.title, variables.id),
    onError: (error) => console.log(error.code),
  });
  rename.mutate({ id, title: 'new' }, { onSettled: (data, error) => console.log(data?.title, error?.code) });
  const saved: Promise<Todo> = rename.mutateAsync({ id, title: 'newer' });
  void saved;
  // @ts-expect-error variables are typed
  rename.mutate({ id: 'one' });
  const status: MutationStatus = rename.status;
  expectType<Equal<typeof rename.data, Todo | undefined>>();

  const remove = useMutation({ mutation: (): MutationDescription => ({ request: { method: 'DELETE', url: `/todos/${id}` } }) });
  remove.mutate();
  useMutation({
    // @ts-expect-error an optimistic op is one of update | insert | delete
    mutation: () => ({ request: { method: 'POST', url: '/x' }, optimistic: [{ op: 'upsert', type: 'Todo', id: 1 }] }),
  });
  // @ts-expect-error `mutation` is required
  useMutation({ onSuccess: () => {} });

  const sync: SyncState = useSyncState();
  const store: Store = useStore();
  void store;
  return (
    <p>
      {todo?.title} {status} {sync.online ? 'online' : 'offline'} {sync.pending}
    </p>
  );
}

// queryOptions: the key carries the data type.
const todoOptions = queryOptions({
  queryKey: ['todos', 'typed'],
  queryFn: async (): Promise<Todo[]> => [],
  staleTime: (query) => (query.state.data?.length ? 60_000 : 0),
});

export function TanStackOptions() {
  const store = useStore();
  const cached = store.getQueryData(todoOptions.queryKey);
  expectType<Equal<typeof cached, Todo[] | undefined>>();
  const state = store.getQueryState(todoOptions.queryKey);
  expectType<Equal<typeof state, QueryState<Todo[]> | undefined>>();
  store.setQueryData(todoOptions.queryKey, (old) => [...(old ?? []), { id: 9, title: 'x', assignee: null }]);
  // @ts-expect-error the tagged key wants Todo[]
  store.setQueryData(todoOptions.queryKey, 5);
  const untyped = store.getQueryData(['other']);
  expectType<Equal<typeof untyped, unknown>>();
  const plain = storeQueryOptions({ queryKey: ['n'], queryFn: async () => 1 });
  const n = store.getQueryData(plain.queryKey);
  expectType<Equal<typeof n, number | undefined>>();

  const todos = useQuery({
    ...todoOptions,
    enabled: (query: QueryEntry<Todo[]>) => query.state.status !== 'error',
    retry: (failureCount, error) => failureCount < 2 && error.code !== 'HTTP',
    retryDelay: (failureCount) => 100 * 2 ** failureCount,
    refetchInterval: (query) => (query.state.data ? false : 1000),
    placeholderData: (previous) => previous,
    throwOnError: (error) => error.code === 'SHAPE',
    notifyOnChangeProps: ['data', 'isFetching'],
    refetchOnMount: 'always',
    networkMode: 'offlineFirst',
    meta: { title: 'Todos' },
    initialData: () => [],
  });
  const placeholder: boolean = todos.isPlaceholderData && todos.isRefetching;
  if (todos.status === 'success') {
    const list: Todo[] = todos.data;
    void list;
  }
  // @ts-expect-error networkMode is one of three
  useQuery({ queryKey: ['x'], networkMode: 'offline' });

  const suspended = useSuspenseQuery({ queryKey: ['todos'], queryFn: async (): Promise<Todo[]> => [] });
  expectType<Equal<typeof suspended.data, Todo[]>>();
  // @ts-expect-error useSuspenseQuery has no enabled
  useSuspenseQuery({ queryKey: ['todos'], enabled: false });

  const [a, b] = useQueries({
    queries: [
      { queryKey: ['a'], queryFn: async () => 1 },
      { queryKey: ['b'], queryFn: async () => 'b', select: (s: string) => s.length },
    ],
  });
  expectType<Equal<typeof a.data, number | undefined>>();
  expectType<Equal<typeof b.data, number | undefined>>();
  const total = useQueries({
    queries: [todoOptions, todoOptions],
    combine: (results) => results.reduce((n, r) => n + (r.data?.length ?? 0), 0),
  });
  expectType<Equal<typeof total, number>>();
  const results = useQueries({ queries: [todoOptions] });
  expectType<Equal<typeof results[0]['data'], Todo[] | undefined>>();

  const fetching: number = useIsFetching({ queryKey: ['todos'], type: 'active', predicate: (q) => q.meta?.title === 'Todos' });
  const mutating: number = useIsMutating();
  const urls = useMutationState({ filters: { status: 'pending' }, select: (m) => m.request.url });
  expectType<Equal<typeof urls, string[]>>();
  void store.invalidateQueries({ queryKey: ['todos'], exact: true, refetchType: 'all' });
  // @ts-expect-error refetchType is for invalidateQueries
  void store.refetchQueries({ refetchType: 'all' });
  const data: Array<[unknown, number | undefined]> = store.getQueriesData<number>({ queryKey: ['n'] });
  void data;
  return <p>{placeholder ? fetching + mutating : total}</p>;
}

export async function mountApp(element: HTMLElement) {
  const store = await createStore({ persist: false, entities: { Todo: { relations: { assignee: 'User' } }, User: {} } });
  const { createRoot } = await import('react-dom/client');
  createRoot(element).render(
    <StoreProvider store={store}>
      <TodoList />
      <Counts />
      <TodoItem id={1} />
    </StoreProvider>,
  );
  // @ts-expect-error StoreProvider needs a store
  void (<StoreProvider />);
}

// Infinite queries: the options' key carries { pages, pageParams }; the hook's data is typed.
type TaskPage = { items: Todo[]; next: number | null };
const feedOptions = infiniteQueryOptions({
  queryKey: ['feed', 'typed'],
  url: (cursor: number) => `/feed/${cursor}`,
  shape: { items: ['Todo'], next: null },
  initialPageParam: 0,
  getNextPageParam: (last: TaskPage) => last.next,
});

export function TypedFeed() {
  const store = useStore();
  const cached = store.getQueryData(feedOptions.queryKey);
  expectType<Equal<typeof cached, InfiniteData<TaskPage, number> | undefined>>();
  const feed = useInfiniteQuery(feedOptions);
  if (feed.status === 'success') {
    const first: Todo[] = feed.data.pages[0].items;
    void first;
  }
  const more: boolean = feed.hasNextPage && !feed.isFetchingNextPage;
  void feed.fetchNextPage();
  // @ts-expect-error initialPageParam is required
  useInfiniteQuery({ queryKey: ['f'], url: (n: number) => `/f/${n}`, getNextPageParam: () => null });
  const conn = useConnection();
  const open: boolean = conn.status === 'open';
  return more && open ? null : null;
}

// Server-side rendering: dehydrate on the server, hydrate in the browser.
export async function ssrUsage(server: Store): Promise<unknown> {
  const state: DehydratedState = server.dehydrate({ queryKey: ['todos'], shouldDehydrateQuery: (q) => q.state.status === 'success' });
  const v: 1 = state.version;
  const at: number = state.queries[0].dataUpdatedAt;
  const client = await createStore({ hydrate: state });
  client.hydrate(JSON.parse(JSON.stringify(state)) as DehydratedState);
  // @ts-expect-error shouldDehydrateQuery is a function
  server.dehydrate({ shouldDehydrateQuery: true });
  // @ts-expect-error the state is what dehydrate returned
  client.hydrate({ queries: [] });
  void v;
  void at;
  return (
    <StoreProvider store={client}>
      <HydrationBoundary state={state}>
        <p />
      </HydrationBoundary>
    </StoreProvider>
  );
}

// strata-store/devtools: the props are typed.
export function TypedDevtools() {
  // @ts-expect-error position is one of four corners
  void (<StrataDevtools position="middle" />);
  return <StrataDevtools initialIsOpen position="bottom-left" initialTab="timeline" />;
}
