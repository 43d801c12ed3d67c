// The package under a strict Content-Security-Policy (tests/js/csp.html, opened by run.mjs):
// loads, compiles the wasm, fetches a query and runs a mutation; sets window.__csp.
const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));

try {
  const { createStore } = await import('/pkg/index.js');
  const store = await createStore({ persist: false, baseUrl: '/api', entities: { Todo: { relations: { assignee: 'User' } }, User: {} } });
  const todos = await store.fetchQuery({ queryKey: ['todos'], url: '/todos', shape: ['Todo'] });
  store.updateEntity('User', todos[0].assignee.id, { name: 'Ada' });
  window.__csp = { ok: true, first: store.getQueryData(['todos'])[0].assignee.name, violations };
  store.close();
} catch (e) {
  window.__csp = { ok: false, code: e && e.code, message: String(e && e.message), violations };
}
