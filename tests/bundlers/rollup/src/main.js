// Rollup, no framework: the store's own subscribe API renders the list. The wasm sits next to
// the bundle (build.mjs's plugin emits it there), where the package looks for it by default.
import { createStore } from 'strata-store';
import { entities, failed, line, rename, report, todosQuery } from '../../shared/scenario.js';

const list = document.getElementById('todos');
const status = document.getElementById('mutation');

try {
  const store = await createStore({ name: 'rollup', baseUrl: '/api', entities });
  const render = () => {
    const todos = store.getQueryData(['todos']) ?? [];
    list.replaceChildren(...todos.map((t) => Object.assign(document.createElement('li'), { textContent: line(t) })));
  };
  store.subscribeQuery(todosQuery, render);
  await store.fetchQuery(todosQuery);
  render();
  document.getElementById('rename').addEventListener('click', () => {
    status.textContent = 'pending';
    store.mutate(rename('Ada')).then((saved) => {
      status.textContent = 'success';
      report({ ok: true, saved });
    }, failed);
  });
} catch (e) {
  failed(e);
}
