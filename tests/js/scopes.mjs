// Mutation scopes against the test API: different scopes are sent in parallel, one scope in
// order (the server's log shows when each request arrived).
import { test, assertEqual } from './harness.mjs';
import { createStore } from '/pkg/index.js';

const entities = { Task: { version: 'version', relations: { assignee: 'User' } }, User: {} };
async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return r.json();
}
const patch = (id, title, scope) => ({
  request: { method: 'PATCH', url: `/tasks/${id}`, body: { title } },
  optimistic: [{ op: 'update', type: 'Task', id, patch: { title } }],
  shape: 'Task',
  ...(scope ? { scope: { id: scope } } : {}),
});

test('scopes: a slow mutation holds back its own scope only', async () => {
  await api('/api/_reset', {});
  const store = await createStore({ persist: false, baseUrl: '/api', entities });
  await store.fetchQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] });
  // The first write is applied at once but answered 400 ms later.
  await api('/api/_after', { times: 1, delayMs: 400 });
  const order = [];
  const slow = store.mutate(patch(1, 'a1', 'a')).then(() => order.push('a1'));
  const behind = store.mutate(patch(1, 'a2', 'a')).then(() => order.push('a2'));
  const other = store.mutate(patch(2, 'b1', 'b')).then(() => order.push('b1'));
  await Promise.all([slow, behind, other]);
  assertEqual(order, ['b1', 'a1', 'a2'], 'b did not wait for a; a2 waited for a1');
  const log = (await api('/api/_log')).filter((e) => e.method === 'PATCH').map((e) => JSON.parse(e.body).title);
  assertEqual(log, ['a1', 'b1', 'a2'], 'a2 was sent only after a1 was answered');
  store.close();
});
