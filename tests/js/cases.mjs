// Wrapper tests: load the built package from pkg/ exactly as a user's page would.
import { test, assert, assertEqual, assertSame, assertNotSame, assertThrowsCode } from './harness.mjs';
import { createStore, StrataError } from '/pkg/index.js';

const entities = {
  Todo: { relations: { assignee: 'User', comments: ['Comment'] }, version: 'version' },
  User: {},
  Comment: { relations: { author: 'User' } },
};

const alice = { id: 'u1', name: 'Alice' };
const bob = { id: 'u2', name: 'Bob' };
const todos = [
  { id: 1, title: 'Write tests', assignee: alice, comments: [{ id: 'c1', text: 'ok', author: bob }] },
  { id: 2, title: 'Ship', assignee: bob, comments: [] },
];

async function seeded() {
  const store = await createStore({ name: 'test', persist: false, entities });
  store.setQueryData(['todos'], todos, { shape: ['Todo'] });
  store.setQueryData(['todo', 1], todos[0], { shape: 'Todo' });
  store.setQueryData(['users'], { items: [alice, bob], total: 2 }, { shape: { items: ['User'], total: null } });
  return store;
}

function counter(store, kind, ...args) {
  const c = { n: 0 };
  const unsub = kind === 'query'
    ? store.subscribeQuery({ queryKey: args[0] }, () => c.n++)
    : store.subscribeEntity(args[0], args[1], () => c.n++);
  c.unsub = unsub;
  return c;
}

// Another copy of the package whose wasm is not served (404), or served with a wrong type.
async function loadVariant(variant) {
  const rejections = [];
  const onRejection = (e) => rejections.push(String(e.reason && e.reason.message));
  window.addEventListener('unhandledrejection', onRejection);
  try {
    const m = await import(`/_pkg/${variant}/index.js`);
    let result;
    try {
      const store = await m.createStore({ persist: false });
      store.close();
      result = { ok: true };
    } catch (e) {
      result = { ok: false, error: e, isStrataError: e instanceof m.StrataError };
    }
    await new Promise((r) => setTimeout(r, 50)); // unhandledrejection fires after a task
    return { ...result, rejections };
  } finally {
    window.removeEventListener('unhandledrejection', onRejection);
  }
}

test('wasm not served: importing does not throw or leave an unhandled rejection; createStore is INTERNAL', async () => {
  const r = await loadVariant('missing');
  assertEqual(r.ok, false, 'createStore rejects');
  assert(r.isStrataError, 'a StrataError');
  assertEqual(r.error.code, 'INTERNAL');
  assert(/could not load strata_wasm_bg\.wasm \(it must be served next to the package's index\.js as application\/wasm\)/.test(r.error.message), r.error.message);
  assertEqual(r.rejections, [], 'unhandled rejections');
});

// createStore({ wasm }): a copy of the package whose own wasm is not served (404), so a store that
// works was loaded from what the option gave. Each import is a fresh module (its own query string).
async function storeWith(label, wasm) {
  const m = await import(`/_pkg/missing/index.js?wasm=${label}`);
  performance.clearResourceTimings(); // the buffer (250 entries) fills up over the suite
  const store = await m.createStore({ persist: false, entities: { Todo: {} }, wasm });
  try {
    store.setQueryData(['todos'], [{ id: 1, title: label }], { shape: ['Todo'] });
    return store.getEntity('Todo', 1);
  } finally {
    store.close();
  }
}
const wasmFile = (via) => `/pkg/strata_wasm_bg.wasm?via=${via}`;
const requested = (via) => performance.getEntriesByType('resource').some((e) => e.name.endsWith(wasmFile(via)));

test('createStore({ wasm: URL }) loads the core from that URL (the package\'s own is 404 here)', async () => {
  assertEqual(await storeWith('url', new URL(wasmFile('url'), location.href)), { id: 1, title: 'url' });
  assert(requested('url'), 'the URL was fetched');
});

test('createStore({ wasm: string }) resolves it like fetch does (relative to the page)', async () => {
  assertEqual(await storeWith('string', wasmFile('string')), { id: 1, title: 'string' });
  assert(requested('string'), 'the path was fetched');
});

test('createStore({ wasm: Response }) and a promise of one: instantiated from the response', async () => {
  assertEqual(await storeWith('response', await fetch(wasmFile('response'))), { id: 1, title: 'response' });
  assertEqual(await storeWith('response-promise', fetch(wasmFile('response-promise'))), { id: 1, title: 'response-promise' });
});

test('createStore({ wasm: WebAssembly.Module }) uses the compiled module', async () => {
  const module = await WebAssembly.compileStreaming(fetch(wasmFile('module')));
  assertEqual(await storeWith('module', module), { id: 1, title: 'module' });
});

test('createStore({ wasm }) with something else is INVALID_ARGUMENT, and the page can still load the core', async () => {
  const m = await import('/_pkg/missing/index.js?wasm=invalid');
  await assertThrowsCode(() => m.createStore({ persist: false, wasm: 42 }), 'INVALID_ARGUMENT');
  const store = await m.createStore({ persist: false, wasm: wasmFile('after-invalid') });
  store.close();
});

test('wasm served as application/octet-stream: it still loads (compiled from the bytes)', async () => {
  const r = await loadVariant('octet');
  assertEqual(r.ok, true, `createStore resolves (${r.error && r.error.message})`);
  assertEqual(r.rejections, [], 'unhandled rejections');
});

test('reading a query denormalizes it; reads return the same object', async () => {
  const store = await seeded();
  const list = store.getQueryData(['todos']);
  assertEqual(list, todos);
  assertSame(store.getQueryData(['todos']), list, 'second read is ===');
  assertSame(list[0].assignee, store.getEntity('User', 'u1'), 'an entity is one object everywhere');
  assertSame(store.getQueryData(['todo', 1]), list[0], 'two queries share the entity snapshot');
  assertEqual(store._coreReadQuery(['todos']), list, "the core's own reading agrees");
  store.close();
});

test('two queries sharing an entity both change on updateEntity; an unrelated query stays ===', async () => {
  const store = await seeded();
  const list = store.getQueryData(['todos']);
  const one = store.getQueryData(['todo', 1]);
  const users = store.getQueryData(['users']);
  const cList = counter(store, 'query', ['todos']);
  const cOne = counter(store, 'query', ['todo', 1]);
  const cUsers = counter(store, 'query', ['users']);
  const cBob = counter(store, 'entity', 'User', 'u2');
  store.updateEntity('Todo', 1, { title: 'Write more tests' });
  assertEqual([cList.n, cOne.n, cUsers.n, cBob.n], [1, 1, 0, 0], 'notified exactly the affected observers once');
  assertEqual(store.getQueryData(['todos'])[0].title, 'Write more tests');
  assertEqual(store.getQueryData(['todo', 1]).title, 'Write more tests');
  assertNotSame(store.getQueryData(['todos']), list);
  assertNotSame(store.getQueryData(['todo', 1]), one);
  assertSame(store.getQueryData(['users']), users, 'unrelated query snapshot is ===');
  store.close();
});

test('updating a related entity reaches every query and entity that shows it', async () => {
  const store = await seeded();
  const todo1 = store.getEntity('Todo', 1);
  const todo2 = store.getEntity('Todo', 2);
  const cTodo1 = counter(store, 'entity', 'Todo', 1);
  const cTodo2 = counter(store, 'entity', 'Todo', 2);
  const cUsers = counter(store, 'query', ['users']);
  store.updateEntity('User', 'u2', { name: 'Robert' });
  // Bob is Todo 2's assignee and the author of Todo 1's comment.
  assertEqual([cTodo1.n, cTodo2.n, cUsers.n], [1, 1, 1]);
  assertEqual(store.getEntity('Todo', 2).assignee.name, 'Robert');
  assertEqual(store.getEntity('Todo', 1).comments[0].author.name, 'Robert');
  assertNotSame(store.getEntity('Todo', 1), todo1);
  assertNotSame(store.getEntity('Todo', 2), todo2);
  assertSame(store.getEntity('Todo', 1).assignee, todo1.assignee, 'Alice is untouched and keeps her identity');
  store.close();
});

test('unchanged rows keep their identity; unchanged plain parts too', async () => {
  const store = await seeded();
  const before = store.getQueryData(['todos']);
  store.updateEntity('Todo', 2, { title: 'Ship it' });
  const after = store.getQueryData(['todos']);
  assertNotSame(after, before, 'the list changed');
  assertSame(after[0], before[0], 'row 1 did not change: same object');
  assertNotSame(after[1], before[1]);
  const users = store.getQueryData(['users']);
  store.setQueryData(['users'], { items: [alice, bob], total: 3 }, { shape: { items: ['User'], total: null } });
  const users2 = store.getQueryData(['users']);
  assertNotSame(users2, users);
  assertSame(users2.items, users.items, 'items did not change: same array');
  assertEqual(users2.total, 3);
  store.close();
});

test('writing identical data again notifies nobody and keeps every snapshot', async () => {
  const store = await seeded();
  const list = store.getQueryData(['todos']);
  const c = counter(store, 'query', ['todos']);
  const cu = counter(store, 'entity', 'User', 'u1');
  store.setQueryData(['todos'], structuredClone(todos), { shape: ['Todo'] });
  store.updateEntity('User', 'u1', { name: 'Alice' });
  assertEqual([c.n, cu.n], [0, 0]);
  assertSame(store.getQueryData(['todos']), list);
  store.close();
});

test('a listener fires once per batch, only for its own snapshot, and stops after unsubscribe', async () => {
  const store = await seeded();
  const c = counter(store, 'query', ['todos']);
  // One write that changes both todos and both users: still one call.
  store.setQueryData(['todos'], todos.map((t) => ({ ...t, title: t.title + '!', assignee: { ...t.assignee, name: 'X' } })), { shape: ['Todo'] });
  assertEqual(c.n, 1);
  c.unsub();
  c.unsub();
  store.updateEntity('Todo', 1, { title: 'again' });
  assertEqual(c.n, 1, 'no call after unsubscribe');
  store.close();
});

test('a re-entrant listener can write to the store; its changes are delivered too', async () => {
  const store = await seeded();
  const seen = [];
  store.subscribeEntity('Todo', 1, () => {
    const t = store.getEntity('Todo', 1);
    seen.push(t.title);
    if (t.title === 'first') store.updateEntity('Todo', 1, { title: 'second' });
  });
  const cList = counter(store, 'query', ['todos']);
  store.updateEntity('Todo', 1, { title: 'first' });
  assertEqual(seen, ['first', 'second']);
  assertEqual(store.getEntity('Todo', 1).title, 'second');
  assertEqual(cList.n, 2, 'the list saw both batches');
  store.close();
});

test('a throwing listener does not stop the others', async () => {
  const store = await seeded();
  const reported = [];
  const onerror = (e) => { reported.push(e.error && e.error.message); e.preventDefault(); };
  window.addEventListener('error', onerror);
  try {
    let after = 0;
    store.subscribeEntity('Todo', 1, () => { throw new Error('listener boom'); });
    store.subscribeEntity('Todo', 1, () => after++);
    const c = counter(store, 'query', ['todos']);
    store.updateEntity('Todo', 1, { title: 'x' });
    assertEqual([after, c.n], [1, 1]);
    assertEqual(reported, ['listener boom'], 'the error is reported, not swallowed');
    store.updateEntity('Todo', 1, { title: 'y' });
    assertEqual(after, 2, 'the store keeps working');
  } finally {
    window.removeEventListener('error', onerror);
    store.close();
  }
});

test('ids compare as strings and keep their JSON type', async () => {
  const store = await seeded();
  assertSame(store.getEntity('Todo', '1'), store.getEntity('Todo', 1));
  assertEqual(typeof store.getEntity('Todo', '1').id, 'number');
  store.setQueryData(['todo', 'str'], { id: '1', title: 'by string' }, { shape: 'Todo' });
  assertEqual(store.getEntity('Todo', 1).title, 'by string');
  assertSame(store.getQueryData(['todo', 'str']), store.getQueryData(['todo', 1]), 'one entity');
  store.close();
});

test('an entity subscribed before it exists notifies when it arrives', async () => {
  const store = await seeded();
  const c = counter(store, 'entity', 'User', 'u9');
  assertEqual(store.getEntity('User', 'u9'), undefined);
  store.updateEntity('User', 'u9', { name: 'New' });
  assertEqual(c.n, 1);
  assertEqual(store.getEntity('User', 'u9'), { id: 'u9', name: 'New' });
  store.close();
});

test('cyclic data becomes shared objects, not infinite recursion', async () => {
  const store = await createStore({
    persist: false,
    entities: { Todo: { relations: { owner: 'User' } }, User: { relations: { todos: ['Todo'] } } },
  });
  store.setQueryData(['todos'], [{ id: 1, owner: { id: 'u', name: 'U' } }], { shape: ['Todo'] });
  store.setQueryData(['user'], { id: 'u', todos: [{ id: 1, title: 'cycle' }] }, { shape: 'User' });
  const todo = store.getQueryData(['todos'])[0];
  assertSame(todo.owner.todos[0], todo, 'the cycle closes on the same object');
  assertEqual(todo.title, 'cycle');
  assertEqual(store._coreReadQuery(['todos']), [{ id: 1, owner: { id: 'u', name: 'U', todos: [{ id: 1 }] }, title: 'cycle' }], 'the core stubs the back edge');
  store.close();
});

test('__proto__, constructor and prototype keys stay plain data', async () => {
  const store = await seeded();
  const data = JSON.parse('{"id":"p","__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"prototype":3}');
  store.setQueryData(['proto'], data, { shape: 'User' });
  store.setQueryData(['proto-plain'], data);
  const u = store.getEntity('User', 'p');
  assert(Object.hasOwn(u, '__proto__'), '__proto__ is an own data property');
  assertEqual(u.__proto__, { polluted: true });
  assertEqual(({}).polluted, undefined, 'Object.prototype untouched');
  assertEqual(Object.getPrototypeOf(store.getQueryData(['proto-plain'])), Object.prototype);
  assertEqual(JSON.parse(JSON.stringify(store.getQueryData(['proto-plain']))), data);
  store.close();
});

test('bad input throws typed errors and the store keeps working', async () => {
  const store = await seeded();
  const e = await assertThrowsCode(() => store.setQueryData('todos', []), 'INVALID_ARGUMENT');
  assert(e instanceof StrataError && e instanceof Error, 'a StrataError');
  assert(/non-empty array/.test(e.message), 'the message says what to do');
  await assertThrowsCode(() => store.setQueryData([], []), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.getQueryData({ key: 1 }), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.setQueryData(['x'], 'text', { shape: ['Todo'] }), 'SHAPE');
  await assertThrowsCode(() => store.setQueryData(['x'], [1, 2], { shape: ['Todo'] }), 'SHAPE');
  await assertThrowsCode(() => store.setQueryData(['x'], [{ title: 'no id' }], { shape: ['Todo'] }), 'SHAPE');
  await assertThrowsCode(() => store.setQueryData(['x'], { id: { a: 1 } }, { shape: 'Todo' }), 'SHAPE');
  await assertThrowsCode(() => store.setQueryData(['x'], { id: 1 }, { shape: 'Nope' }), 'SHAPE');
  await assertThrowsCode(() => store.setQueryData(['x'], { id: 1, assignee: 'u1' }, { shape: 'Todo' }), 'SHAPE');
  const cyclicShape = { items: null };
  cyclicShape.items = [cyclicShape];
  await assertThrowsCode(() => store.setQueryData(['x'], { items: [] }, { shape: cyclicShape }), 'SHAPE');
  const cyclicData = { id: 1 };
  cyclicData.self = cyclicData;
  await assertThrowsCode(() => store.setQueryData(['x'], cyclicData), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.setQueryData(['x'], undefined), 'INVALID_ARGUMENT');
  let deep = [];
  for (let i = 0; i < 5000; i++) deep = [deep];
  const deepErr = await assertThrowsCode(() => store.setQueryData(['deep'], deep), 'INVALID_ARGUMENT');
  assert(/nests deeper/.test(deepErr.message), deepErr.message);
  let veryDeep = {};
  for (let i = 0; i < 200000; i++) veryDeep = { a: veryDeep };
  await assertThrowsCode(() => store.setQueryData(['deeper'], veryDeep), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.updateEntity('Nope', 1, {}), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.updateEntity('Todo', { id: 1 }, {}), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.updateEntity('Todo', 1, 'title'), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.updateEntity('Todo', 1, { id: 2 }), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.getEntity('Todo', null), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => store.subscribeEntity('Todo', 1, 'not a function'), 'INVALID_ARGUMENT');
  // A failed write wrote nothing, and the store still works.
  await assertThrowsCode(() => store.setQueryData(['partial'], [{ id: 7, title: 'a' }, { title: 'no id' }], { shape: ['Todo'] }), 'SHAPE');
  assertEqual(store.getEntity('Todo', 7), undefined, 'nothing from the failed write landed');
  assertEqual(store.getQueryData(['x']), undefined);
  store.updateEntity('Todo', 1, { title: 'still works' });
  assertEqual(store.getQueryData(['todos'])[0].title, 'still works');
  store.close();
});

test('createStore validates its options', async () => {
  const e = await assertThrowsCode(() => createStore({ entites: {} }), 'INVALID_ARGUMENT');
  assert(/unknown createStore option `entites`/.test(e.message), e.message);
  await assertThrowsCode(() => createStore({ entities: { Todo: { relations: { owner: 'Ghost' } } } }), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => createStore({ defaults: { staleTim: 1 } }), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => createStore({ onError: 'no' }), 'INVALID_ARGUMENT');
  await assertThrowsCode(() => createStore(null), 'INVALID_ARGUMENT');
  // Every option of the design is accepted, including those not built yet.
  const store = await createStore({
    name: 'app', persist: { buster: 'v1', maxAge: 86_400_000 }, baseUrl: '/api',
    headers: () => ({ Authorization: 'Bearer t' }), entities,
    defaults: { staleTime: Infinity, gcTime: 300_000, retry: 3, retryDelay: 1000, timeout: 30_000, refetchOnWindowFocus: true, refetchOnReconnect: true },
    onError: () => {},
  });
  store.close();
});

test('a closed store rejects every call with CLOSED', async () => {
  const store = await seeded();
  store.close();
  store.close();
  await assertThrowsCode(() => store.getQueryData(['todos']), 'CLOSED');
  await assertThrowsCode(() => store.setQueryData(['todos'], []), 'CLOSED');
  await assertThrowsCode(() => store.updateEntity('Todo', 1, {}), 'CLOSED');
  await assertThrowsCode(() => store.subscribeEntity('Todo', 1, () => {}), 'CLOSED');
});

test('a large response: 10,000 tasks with assignees and comments', async () => {
  const store = await createStore({ persist: false, entities });
  const users = Array.from({ length: 200 }, (_, i) => ({ id: `u${i}`, name: `User ${i}` }));
  const data = Array.from({ length: 10_000 }, (_, i) => ({
    id: i, title: `Task ${i}`, done: i % 3 === 0, assignee: users[i % 200],
    comments: [0, 1, 2].map((j) => ({ id: `c${i}-${j}`, text: `comment ${j}`, author: users[(i + j) % 200] })),
  }));
  store.setQueryData(['big'], data, { shape: ['Todo'] });
  const view = store.getQueryData(['big']);
  assertEqual(view.length, 10_000);
  assertEqual(view[9999].comments[2].author.name, `User ${(9999 + 2) % 200}`);
  assertSame(view[0].assignee, view[200].assignee, 'one user object for every task it is assigned');
  const c = counter(store, 'query', ['big']);
  store.updateEntity('User', 'u5', { name: 'Renamed' });
  assertEqual(c.n, 1);
  const after = store.getQueryData(['big']);
  assertEqual(after[5].assignee.name, 'Renamed');
  assertSame(after[1], view[1], 'rows that do not show u5 keep their identity');
  store.close();
});

test('query keys hash by value: object key order does not matter, arrays may be fresh', async () => {
  const store = await createStore({ persist: false, entities });
  store.setQueryData(['todos', { page: 1, filter: 'open' }], [1, 2]);
  const a = store.getQueryData(['todos', { filter: 'open', page: 1 }]);
  assertEqual(a, [1, 2]);
  assertSame(store.getQueryData(['todos', { page: 1, filter: 'open' }]), a);
  assertEqual(store.getQueryData(['todos', { page: 2, filter: 'open' }]), undefined);
  store.setQueryData(['n', 1], 'one');
  assertEqual(store.getQueryData(['n', '1']), undefined, "1 and '1' are different key elements");
  assertEqual(store.getQueryData(['n', 1]), 'one');
  store.close();
});
import './queries.mjs';
import './mutations.mjs';
import './realtime.mjs';
import './cors.mjs';
import './tanstack.mjs';
import './infinite.mjs';
import './scopes.mjs';
import './fetcher.mjs';
import './live.mjs';
import './hydrate.mjs';
import './events.mjs';

test('non-ASCII text crosses into the core and back exactly, short and long (the encodeInto copy of scripts/package.mjs)', async () => {
  const store = await createStore({ persist: false, entities });
  const odd = ['é', 'naïve café', '日本語のテキスト', '😀 emoji 👩‍💻', 'a\u0301', '\u{10FFFF}', '𝒳𝒴'];
  // Non-ASCII first, last, after a long ASCII run and between long runs: each branch of the copy.
  const titles = [
    ...odd,
    `${'x'.repeat(5000)}é`,
    `é${'x'.repeat(5000)}`,
    `${'x'.repeat(3000)}😀${'y'.repeat(3000)}日本`,
    '😀'.repeat(2000),
  ];
  const list = titles.map((title, i) => ({ id: 100 + i, title, assignee: { id: `u${i}`, name: odd[i % odd.length] }, comments: [] }));
  store.setQueryData(['odd'], list, { shape: ['Todo'] });
  const back = store.getQueryData(['odd']);
  assertEqual(back.map((t) => t.title), titles, 'titles read back');
  assertEqual(back.map((t) => t.assignee.name), titles.map((_, i) => odd[i % odd.length]), 'names read back');
  // And through a key: a non-ASCII query key and entity id.
  store.setQueryData(['ключ', '😀'], { id: 'ид-😀', title: 'ü' }, { shape: 'Todo' });
  assertEqual(store.getQueryData(['ключ', '😀']).title, 'ü', 'a non-ASCII key');
  assertEqual(store.getEntity('Todo', 'ид-😀').title, 'ü', 'a non-ASCII id');
  store.close();
});
