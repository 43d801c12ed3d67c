// What every bundler app does with strata, as data: the entity types, the query and the mutation.
// No imports (each app imports strata-store itself), so this file resolves nothing.
export const entities = { Todo: { relations: { assignee: 'User' } }, User: {} };

// GET /api/todos (the runner's API): two todos, both assigned to the User u1.
export const todosQuery = { queryKey: ['todos'], url: '/todos', shape: ['Todo'] };

// PATCH /api/users/u1: optimistic at once, then the server's answer through the shape.
export const rename = (name) => ({
  request: { method: 'PATCH', url: '/users/u1', body: { name } },
  optimistic: [{ op: 'update', type: 'User', id: 'u1', patch: { name } }],
  shape: 'User',
});

export const line = (t) => `${t.title} (${t.assignee.name})`;

// The runner reads window.__app: { ok, error?, saved? }.
export function report(result) {
  window.__app = result;
}
export function failed(e) {
  report({ ok: false, error: String((e && e.stack) || e), code: e && e.code });
}
