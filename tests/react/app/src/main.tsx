// The packaging test's app: what a user writes after `npm install strata react react-dom`.
// tests/react/run.mjs builds it with `vite build` and checks in Chromium that the query's data
// from /api/todos renders (then reads window.__app).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createStore } from 'strata-store';
import { StoreProvider, useEntity, useQuery, useSyncState } from 'strata-store/react';

interface User {
  id: string;
  name: string;
}
interface Todo {
  id: number;
  title: string;
  assignee: User;
}

declare global {
  interface Window {
    __app?: { ok: boolean; error?: string };
  }
}

function Todos() {
  const todos = useQuery<Todo[]>({ queryKey: ['todos'], url: '/todos', shape: ['Todo'] });
  if (todos.isPending) return <p id="status">loading</p>;
  if (todos.isError) return <p id="status">error: {todos.error.message}</p>;
  return (
    <ul id="todos">
      {todos.data.map((t) => (
        <li key={t.id}>
          {t.title} ({t.assignee.name})
        </li>
      ))}
    </ul>
  );
}

function Ann() {
  const ann = useEntity<User>('User', 'u1');
  return <p id="ann">{ann ? ann.name : '-'}</p>;
}

function Sync() {
  const sync = useSyncState();
  return <p id="sync">{sync.online ? 'online' : 'offline'}</p>;
}

try {
  const store = await createStore({
    persist: false,
    baseUrl: '/api',
    entities: { Todo: { relations: { assignee: 'User' } }, User: {} },
  });
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <StoreProvider store={store}>
        <Todos />
        <Ann />
        <Sync />
      </StoreProvider>
    </StrictMode>,
  );
  window.__app = { ok: true };
} catch (e) {
  window.__app = { ok: false, error: String(e instanceof Error ? e.stack : e) };
}
