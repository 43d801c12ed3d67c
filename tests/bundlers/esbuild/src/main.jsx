// esbuild + React (JSX): the wasm is imported as a file (esbuild's `file` loader gives its path
// relative to the bundle) and handed to createStore, since esbuild does not follow new URL().
import { createRoot } from 'react-dom/client';
import { createStore } from 'strata-store';
import { StoreProvider, useMutation, useQuery } from 'strata-store/react';
import wasmPath from 'strata-store/strata_wasm_bg.wasm';
import { entities, failed, line, rename, report, todosQuery } from '../../shared/scenario.js';

function App() {
  const todos = useQuery(todosQuery);
  const save = useMutation({ mutation: rename, onSuccess: (saved) => report({ ok: true, saved }), onError: failed });
  if (todos.isPending) return <p id="status">loading</p>;
  if (todos.isError) return <p id="status">error: {todos.error.message}</p>;
  return (
    <div>
      <ul id="todos">
        {todos.data.map((t) => (
          <li key={t.id}>{line(t)}</li>
        ))}
      </ul>
      <button id="rename" onClick={() => save.mutate('Ada')}>Rename Ann</button>
      <p id="mutation">{save.status}</p>
    </div>
  );
}

const wasm = new URL(wasmPath, import.meta.url);
createStore({ name: 'esbuild', baseUrl: '/api', entities, wasm }).then(
  (store) => createRoot(document.getElementById('root')).render(<StoreProvider store={store}><App /></StoreProvider>),
  failed,
);
