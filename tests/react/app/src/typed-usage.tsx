// Typed usage of strata/react, checked by `tsc --noEmit` (tests/react/run.mjs); never run.
// Every `@ts-expect-error` line must be an error, so the declarations are checked both ways.
import { createStore, type Store } from 'strata';
import {
  StoreProvider,
  useEntity,
  useMutation,
  useQuery,
  useStore,
  useSyncState,
  type MutationDescription,
  type MutationStatus,
  type QueryState,
  type SyncState,
  type UseQueryResult,
} from 'strata/react';

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
