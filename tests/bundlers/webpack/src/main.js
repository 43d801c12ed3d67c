// webpack 5 + React: what a user writes after `npm install strata-store react react-dom`. No JSX
// (that would need a loader); the wasm comes through webpack's own asset handling.
import { createElement as h } from 'react';
import { createRoot } from 'react-dom/client';
import { createStore } from 'strata-store';
import { StoreProvider, useMutation, useQuery } from 'strata-store/react';
import { entities, failed, line, rename, report, todosQuery } from '../../shared/scenario.js';

function App() {
  const todos = useQuery(todosQuery);
  const save = useMutation({ mutation: rename, onSuccess: (saved) => report({ ok: true, saved }), onError: failed });
  if (todos.isPending) return h('p', { id: 'status' }, 'loading');
  if (todos.isError) return h('p', { id: 'status' }, `error: ${todos.error.message}`);
  return h(
    'div',
    null,
    h('ul', { id: 'todos' }, todos.data.map((t) => h('li', { key: t.id }, line(t)))),
    h('button', { id: 'rename', onClick: () => save.mutate('Ada') }, 'Rename Ann'),
    h('p', { id: 'mutation' }, save.status),
  );
}

createStore({ name: 'webpack', baseUrl: '/api', entities }).then(
  (store) => createRoot(document.getElementById('root')).render(h(StoreProvider, { store }, h(App))),
  failed,
);
