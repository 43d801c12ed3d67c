#!/usr/bin/env node
// Self-check of the test API (tests/server/api.mjs) mounted on the static server,
// exercised with Node's fetch (and the `ws` client for /api/ws), plus the push endpoints of
// the demo API (www/server/api.mjs). Run: node tests/server/api.selftest.mjs
// Prints `api selftest: N passed` (and exits 0) or the failures (exit 1).

import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { createApi } from './api.mjs';
import { createDemoApi } from '../../www/server/api.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const api = createApi();
const server = await startStaticServer({ root: repoRoot, port: 0, handler: api.handle });
const base = server.url;

const TODOS = [
  { id: 1, title: 'a', assignee: { id: 'u1', name: 'Ann' } },
  { id: 2, title: 'b', assignee: { id: 'u2', name: 'Bo' } },
];

const get = (p, init) => fetch(base + p, init);
const getJson = async (p, init) => (await get(p, init)).json();
const post = (p, body) =>
  fetch(base + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const fixture = async (f) => {
  const r = await post('/api/_fixture', f);
  const text = await r.text();
  assert.equal(r.status, 200, `fixture rejected: ${text}`);
  return JSON.parse(text);
};
const count = async (p) => (await getJson(`/api/_count?path=${encodeURIComponent(p)}`)).count;
const reset = async () => assert.equal((await post('/api/_reset', {})).status, 200);

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('built-in GET /api/todos, JSON, no-store', async () => {
  const r = await get('/api/todos');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await r.json(), TODOS);
});

test('_set replaces the data of a path (built-in or new); reset restores', async () => {
  const next = [{ id: 3, title: 'c', assignee: { id: 'u1', name: 'Ann' } }];
  assert.deepEqual(await (await post('/api/_set?path=/api/todos', next)).json(), { ok: true, path: '/api/todos' });
  assert.deepEqual(await getJson('/api/todos'), next);
  assert.deepEqual(await getJson('/api/todos?page=2'), next, 'query string ignored');
  await post('/api/_set?path=/api/users/u1', { id: 'u1', name: 'Ann' });
  assert.deepEqual(await getJson('/api/users/u1'), { id: 'u1', name: 'Ann' });
  const bad = await fetch(base + '/api/_set?path=/api/x', { method: 'POST', body: '{nope' });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /not valid JSON/);
  await reset();
  assert.deepEqual(await getJson('/api/todos'), TODOS);
  assert.equal((await get('/api/users/u1')).status, 404);
});

test('unknown path -> 404 { error: "no fixture" }; POST to built-in -> 405', async () => {
  const r = await get('/api/nothing/here');
  assert.equal(r.status, 404);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await r.json(), { error: 'no fixture' });
  assert.equal((await fetch(base + '/api/todos', { method: 'POST', body: '{}' })).status, 405);
});

test('times/then: 500 twice then 200, then falls back to built-in', async () => {
  await fixture({
    path: '/api/todos', status: 500, json: { error: 'boom' }, times: 2,
    then: { json: [{ id: 9 }], times: 1 },
  });
  const seen = [];
  for (let i = 0; i < 4; i++) {
    const r = await get('/api/todos');
    seen.push([r.status, await r.json()]);
  }
  assert.deepEqual(seen, [
    [500, { error: 'boom' }],
    [500, { error: 'boom' }],
    [200, [{ id: 9 }]],
    [200, TODOS],
  ]);
  assert.equal(await count('/api/todos'), 4);
});

test('exhausted fixture on an unknown path -> 404 no fixture', async () => {
  await fixture({ path: '/api/once', json: { ok: 1 }, times: 1 });
  assert.equal((await get('/api/once')).status, 200);
  const r = await get('/api/once');
  assert.equal(r.status, 404);
  assert.deepEqual(await r.json(), { error: 'no fixture' });
});

test('429 with Retry-After; 404 fixture; custom headers', async () => {
  await fixture({ path: '/api/limited', status: 429, headers: { 'Retry-After': 1, 'X-Extra': 'yes' }, json: { error: 'slow down' } });
  const r = await get('/api/limited');
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '1');
  assert.equal(r.headers.get('x-extra'), 'yes');
  assert.equal(r.headers.get('cache-control'), 'no-store');
  await fixture({ path: '/api/gone', status: 404, json: { error: 'gone' } });
  const g = await get('/api/gone');
  assert.equal(g.status, 404);
  assert.deepEqual(await g.json(), { error: 'gone' });
});

test('non-JSON body sent as is', async () => {
  await fixture({ path: '/api/html', body: '<html>oops</html>', headers: { 'content-type': 'text/html' } });
  const r = await get('/api/html');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/html');
  assert.equal(await r.text(), '<html>oops</html>');
  await fixture({ path: '/api/plain', body: 'not json' });
  const p = await get('/api/plain');
  assert.match(p.headers.get('content-type'), /^text\/plain/);
  await assert.rejects(p.json(), SyntaxError);
});

test('204 empty response (body ignored)', async () => {
  await fixture({ path: '/api/empty', status: 204, json: { ignored: true } });
  const r = await get('/api/empty');
  assert.equal(r.status, 204);
  assert.equal(r.headers.get('content-type'), null);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(await r.text(), '');
});

test('bodyRepeat generates a > 3 MB JSON body server-side', async () => {
  const item = JSON.stringify({ id: 1, title: 'x'.repeat(80), assignee: { id: 'u1', name: 'Ann' } });
  const n = 40_000;
  const f = { path: '/api/huge', bodyRepeat: { prefix: '[', item, separator: ',', count: n, suffix: ']' } };
  const req = JSON.stringify(f).length;
  assert.ok(req < 1000, `fixture request is small (${req} bytes)`);
  await fixture(f);
  const r = await get('/api/huge');
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const text = await r.text();
  assert.ok(text.length > 3 * 1024 * 1024, `body is ${text.length} bytes`);
  assert.equal(Number(r.headers.get('content-length')), Buffer.byteLength(text));
  const parsed = JSON.parse(text);
  assert.equal(parsed.length, n);
  assert.deepEqual(parsed[n - 1], JSON.parse(item));
});

test('delayMs delays the answer; aborting during the delay rejects but is counted', async () => {
  await fixture({ path: '/api/slow', json: { slow: true }, delayMs: 300 });
  const t0 = Date.now();
  const r = await get('/api/slow');
  assert.deepEqual(await r.json(), { slow: true });
  assert.ok(Date.now() - t0 >= 290, `took ${Date.now() - t0} ms`);
  await assert.rejects(get('/api/slow', { signal: AbortSignal.timeout(50) }), (e) => e.name === 'TimeoutError' || e.name === 'AbortError');
  assert.equal(await count('/api/slow'), 2);
});

test('destroy: fetch rejects with a network error; then the next fixture answers', async () => {
  await fixture({ path: '/api/flaky', destroy: true, times: 1, then: { json: { ok: true } } });
  await assert.rejects(get('/api/flaky'), TypeError);
  assert.deepEqual(await getJson('/api/flaky'), { ok: true });
  assert.equal(await count('/api/flaky'), 2);
  await fixture({ path: '/api/flaky2', destroy: true, delayMs: 100 });
  await assert.rejects(get('/api/flaky2'), TypeError);
});

test('count and log (method, path, query, headers, body, status, replayed, at)', async () => {
  await reset();
  const before = Date.now();
  await get('/api/todos?page=2&q=a', { headers: { 'x-test': 'case-1', authorization: 'Bearer t' } });
  await get('/api/todos');
  await fetch(base + '/api/things', { method: 'PUT', body: 'hello' });
  assert.equal(await count('/api/todos'), 2);
  assert.equal(await count('/api/things'), 1);
  assert.equal(await count('/api/never'), 0);
  assert.deepEqual(await getJson('/api/_count'), { counts: { '/api/todos': 2, '/api/things': 1 } });
  const log = await getJson('/api/_log');
  assert.equal(log.length, 3, 'control endpoints are not logged');
  const [a, b, c] = log;
  assert.equal(a.method, 'GET');
  assert.equal(a.path, '/api/todos');
  assert.deepEqual(a.query, { page: '2', q: 'a' });
  assert.deepEqual(a.headers, { 'x-test': 'case-1', authorization: 'Bearer t', 'if-match': null, 'idempotency-key': null });
  assert.equal(a.body, null);
  assert.equal(a.status, 200);
  assert.equal(a.replayed, false);
  assert.ok(a.at >= before && a.at <= Date.now());
  assert.deepEqual(b.headers, { 'x-test': null, authorization: null, 'if-match': null, 'idempotency-key': null });
  assert.deepEqual(b.query, {});
  assert.equal(c.method, 'PUT');
  assert.equal(c.body, 'hello');
  assert.equal(c.status, 404);
  assert.deepEqual((await getJson('/api/_log?path=/api/things')).map((e) => e.method), ['PUT']);
});

test('_reset (HTTP) and api.reset() clear fixtures, counters, log', async () => {
  await fixture({ path: '/api/todos', status: 500, json: {} });
  await get('/api/todos');
  await reset();
  assert.equal(await count('/api/todos'), 0);
  assert.deepEqual(await getJson('/api/_log'), []);
  assert.equal((await get('/api/todos')).status, 200, 'fixture cleared');
  await fixture({ path: '/api/todos', status: 503, json: {} });
  api.reset();
  assert.equal(await count('/api/todos'), 0);
  assert.equal((await get('/api/todos')).status, 200);
});

test('fixture array, replacement, validation errors', async () => {
  const r = await fixture([{ path: '/api/a', json: 1 }, { path: '/api/b?x=1', json: 2 }]);
  assert.deepEqual(r, { ok: true, paths: ['/api/a', '/api/b'] });
  assert.equal(await getJson('/api/a'), 1);
  assert.equal(await getJson('/api/b'), 2);
  await fixture({ path: '/api/a', json: 'replaced' });
  assert.equal(await getJson('/api/a'), 'replaced');
  for (const bad of [
    {},
    { path: '/not-api' },
    { path: '/api/_log' },
    { path: '/api/x', body: 'a', json: 1 },
    { path: '/api/x', status: 99 },
    { path: '/api/x', times: -1 },
    { path: '/api/x', bodyRepeat: { item: 'a' } },
  ]) {
    const res = await post('/api/_fixture', bad);
    assert.equal(res.status, 400, JSON.stringify(bad));
    assert.equal(typeof (await res.json()).error, 'string');
  }
  assert.equal((await get('/api/_fixture')).status, 405);
});

test('HEAD gets headers only', async () => {
  await reset();
  const r = await fetch(base + '/api/todos', { method: 'HEAD' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(await r.text(), '');
});

test('static files still served next to the API; non-/api paths untouched', async () => {
  const r = await get('/tests/js/index.html');
  assert.equal(r.status, 200);
  assert.match(await r.text(), /strata JS tests/);
  assert.equal((await get('/apix')).status, 404);
  assert.equal((await fetch(base + '/tests/js/index.html', { method: 'POST' })).status, 405);
});

// ---- Tasks resource (versioned REST, idempotency keys, behind-the-back edits)

const SEED_TASKS = [
  { id: 1, title: 'one', done: false, version: 1, assignee: { id: 'u1', name: 'Ann' } },
  { id: 2, title: 'two', done: false, version: 1, assignee: null },
  { id: 3, title: 'three', done: false, version: 1, assignee: null },
];
const send = (method, p, body, headers = {}) =>
  fetch(base + p, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
const sendJsonBody = async (method, p, body, headers) => {
  const r = await send(method, p, body, headers);
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, json: text === '' ? undefined : JSON.parse(text) };
};
const serverTasks = () => getJson('/api/_tasks');
const serverTask = async (id) => (await serverTasks()).find((t) => String(t.id) === String(id));

test('tasks: seed, GET list and item (ETag), 404, 405', async () => {
  const list = await get('/api/tasks');
  assert.equal(list.status, 200);
  assert.equal(list.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await list.json(), SEED_TASKS);
  const one = await get('/api/tasks/1');
  assert.equal(one.status, 200);
  assert.equal(one.headers.get('etag'), '"1"');
  assert.deepEqual(await one.json(), SEED_TASKS[0]);
  const missing = await get('/api/tasks/99');
  assert.equal(missing.status, 404);
  assert.equal(typeof (await missing.json()).error, 'string');
  const bad = await send('DELETE', '/api/tasks');
  assert.equal(bad.status, 405);
  assert.equal(bad.headers.get('allow'), 'GET, HEAD, POST');
  assert.deepEqual(await serverTasks(), SEED_TASKS, '_tasks is the raw state');
  assert.deepEqual(await getJson('/api/_count'), { counts: { '/api/tasks': 2, '/api/tasks/1': 1, '/api/tasks/99': 1 } }, '_tasks not counted');
});

test('tasks: POST creates with a server id t4, t5 (client id ignored), version 1; validation 400', async () => {
  const a = await sendJsonBody('POST', '/api/tasks', { id: 'tmp-123', title: 'four', version: 7 });
  assert.equal(a.status, 201);
  assert.deepEqual(a.json, { id: 't4', title: 'four', done: false, version: 1, assignee: null });
  assert.equal(a.headers.get('location'), '/api/tasks/t4');
  assert.equal(a.headers.get('etag'), '"1"');
  const b = await sendJsonBody('POST', '/api/tasks', { title: 'five', done: true, assignee: { id: 'u2', name: 'Bo' } });
  assert.equal(b.status, 201);
  assert.deepEqual(b.json, { id: 't5', title: 'five', done: true, version: 1, assignee: { id: 'u2', name: 'Bo' } });
  assert.deepEqual(await getJson('/api/tasks/t4'), a.json);
  assert.equal((await serverTasks()).length, 5);
  for (const body of [{}, { title: 1 }, { title: 'x', done: 'yes' }, { title: 'x', assignee: { id: 'u1' } }, '[1]', '{nope']) {
    const r = await sendJsonBody('POST', '/api/tasks', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(typeof r.json.error, 'string');
  }
  assert.equal((await serverTasks()).length, 5, 'rejected creations change nothing');
  await reset();
  assert.deepEqual(await serverTasks(), SEED_TASKS);
  assert.equal((await sendJsonBody('POST', '/api/tasks', { title: 'again' })).json.id, 't4', 'ids restart after reset');
});

test('tasks: PATCH with matching If-Match ("1", W/"2", 3) -> 200, version + 1', async () => {
  const r1 = await sendJsonBody('PATCH', '/api/tasks/1', { done: true }, { 'if-match': '"1"' });
  assert.equal(r1.status, 200);
  assert.deepEqual(r1.json, { ...SEED_TASKS[0], done: true, version: 2 });
  assert.equal(r1.headers.get('etag'), '"2"');
  const r2 = await sendJsonBody('PATCH', '/api/tasks/1', { title: 'uno', id: 'ignored', version: 99 }, { 'if-match': 'W/"2"' });
  assert.equal(r2.status, 200);
  assert.deepEqual(r2.json, { id: 1, title: 'uno', done: true, version: 3, assignee: { id: 'u1', name: 'Ann' } });
  const r3 = await sendJsonBody('PATCH', '/api/tasks/1', { assignee: null }, { 'if-match': '3' });
  assert.equal(r3.status, 200);
  assert.equal(r3.json.version, 4);
  assert.equal(r3.json.assignee, null);
  const r4 = await sendJsonBody('PATCH', '/api/tasks/2', { done: true }); // no version anywhere
  assert.equal(r4.status, 200, 'unconditional');
  assert.equal(r4.json.version, 2);
  assert.deepEqual(await serverTask(1), r3.json);
  assert.equal((await sendJsonBody('PATCH', '/api/tasks/nope', { done: true })).status, 404);
});

test('tasks: stale If-Match -> 409 with the current task; nothing applied', async () => {
  await sendJsonBody('PATCH', '/api/tasks/1', { title: 'server' }, { 'if-match': '"1"' });
  const r = await sendJsonBody('PATCH', '/api/tasks/1', { title: 'mine' }, { 'if-match': '"1"' });
  assert.equal(r.status, 409);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.equal(r.headers.get('etag'), '"2"');
  assert.deepEqual(r.json, { ...SEED_TASKS[0], title: 'server', version: 2 });
  assert.deepEqual(await serverTask(1), r.json, 'unchanged');
  // If-Match wins over body.version
  assert.equal((await sendJsonBody('PATCH', '/api/tasks/1', { title: 'x', version: 2 }, { 'if-match': '"1"' })).status, 409);
  assert.equal((await sendJsonBody('PATCH', '/api/tasks/1', { title: 'x', version: 1 }, { 'if-match': '"2"' })).status, 200);
});

test('tasks: conflict shapes: x-conflict-shape wrapped -> { current }, empty -> no body', async () => {
  await post('/api/_edit', { id: 2, patch: { title: 'theirs' } });
  const current = { ...SEED_TASKS[1], title: 'theirs', version: 2 };
  const w = await sendJsonBody('PATCH', '/api/tasks/2', { done: true }, { 'if-match': '"1"', 'x-conflict-shape': 'wrapped' });
  assert.equal(w.status, 409);
  assert.deepEqual(w.json, { current });
  const e = await sendJsonBody('PATCH', '/api/tasks/2', { done: true }, { 'if-match': '"1"', 'x-conflict-shape': 'empty' });
  assert.equal(e.status, 409);
  assert.equal(e.text, '');
  assert.equal(e.headers.get('content-type'), null);
  assert.equal(e.headers.get('content-length'), '0');
  assert.equal(e.headers.get('etag'), '"2"');
  const p = await sendJsonBody('PUT', '/api/tasks/2', { title: 'mine' }, { 'if-match': '"1"', 'x-conflict-shape': 'wrapped' });
  assert.equal(p.status, 409);
  assert.deepEqual(p.json, { current });
  assert.deepEqual(await serverTask(2), current);
});

test('tasks: body.version fallback when there is no If-Match', async () => {
  const ok = await sendJsonBody('PATCH', '/api/tasks/3', { done: true, version: 1 });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json, { ...SEED_TASKS[2], done: true, version: 2 });
  const stale = await sendJsonBody('PATCH', '/api/tasks/3', { done: false, version: 1 });
  assert.equal(stale.status, 409);
  assert.deepEqual(stale.json, ok.json);
  const nullVersion = await sendJsonBody('PATCH', '/api/tasks/3', { title: 'x', version: null });
  assert.equal(nullVersion.status, 200, 'version: null is no version (unconditional)');
  assert.equal(nullVersion.json.version, 3);
});

test('tasks: PUT replaces title/done/assignee, version + 1', async () => {
  const r = await sendJsonBody('PUT', '/api/tasks/1', { title: 'replaced' }, { 'if-match': '"1"' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { id: 1, title: 'replaced', done: false, version: 2, assignee: null });
  assert.equal((await sendJsonBody('PUT', '/api/tasks/1', { done: true })).status, 400, 'PUT needs a title');
  assert.deepEqual(await serverTask(1), r.json);
});

test('tasks: DELETE with version (If-Match or body) -> 204; stale -> 409; missing -> 404', async () => {
  const stale = await send('DELETE', '/api/tasks/1', undefined, { 'if-match': '"5"' });
  assert.equal(stale.status, 409);
  assert.deepEqual(await stale.json(), SEED_TASKS[0]);
  const d = await send('DELETE', '/api/tasks/1', undefined, { 'if-match': '"1"' });
  assert.equal(d.status, 204);
  assert.equal(await d.text(), '');
  assert.equal((await get('/api/tasks/1')).status, 404);
  assert.equal((await send('DELETE', '/api/tasks/2', { version: 2 })).status, 409);
  assert.equal((await send('DELETE', '/api/tasks/2', { version: 1 })).status, 204);
  assert.equal((await send('DELETE', '/api/tasks/2')).status, 404);
  assert.deepEqual(await serverTasks(), [SEED_TASKS[2]]);
});

test('tasks: idempotent replay returns the first answer and applies nothing again', async () => {
  const h = { 'if-match': '"1"', 'idempotency-key': 'k1' };
  const first = await sendJsonBody('PATCH', '/api/tasks/1', { done: true }, h);
  assert.equal(first.status, 200);
  assert.equal(first.json.version, 2);
  const second = await sendJsonBody('PATCH', '/api/tasks/1', { done: true }, h);
  assert.equal(second.status, 200, 'not a 409 although If-Match is now stale');
  assert.equal(second.text, first.text);
  assert.equal(second.headers.get('etag'), '"2"');
  assert.equal((await serverTask(1)).version, 2, 'version incremented once');
  // POST with a key creates once
  const c1 = await sendJsonBody('POST', '/api/tasks', { title: 'four' }, { 'idempotency-key': 'k2' });
  const c2 = await sendJsonBody('POST', '/api/tasks', { title: 'four' }, { 'idempotency-key': 'k2' });
  assert.equal(c1.status, 201);
  assert.equal(c2.status, 201);
  assert.deepEqual(c2.json, c1.json);
  assert.equal(c2.headers.get('location'), '/api/tasks/t4');
  assert.equal((await serverTasks()).length, 4, 'created once');
  // the first answer is stored whatever it is (here a 409) ...
  const x1 = await sendJsonBody('PATCH', '/api/tasks/2', { done: true }, { 'if-match': '"7"', 'idempotency-key': 'k3' });
  const x2 = await sendJsonBody('PATCH', '/api/tasks/2', { done: true }, { 'if-match': '"1"', 'idempotency-key': 'k3' });
  assert.equal(x1.status, 409);
  assert.equal(x2.status, 409);
  assert.equal((await serverTask(2)).version, 1);
  // ... a DELETE 204 too
  assert.equal((await send('DELETE', '/api/tasks/3', undefined, { 'idempotency-key': 'k4' })).status, 204);
  assert.equal((await send('DELETE', '/api/tasks/3', undefined, { 'idempotency-key': 'k4' })).status, 204, 'replayed, not 404');
  // GET is never replayed; a different key is a new request
  assert.equal((await get('/api/tasks/3', { headers: { 'idempotency-key': 'k4' } })).status, 404);
  assert.equal((await sendJsonBody('PATCH', '/api/tasks/1', { done: false }, { 'idempotency-key': 'k5' })).json.version, 3);
  const log = await getJson('/api/_log');
  assert.deepEqual(log.map((e) => [e.method, e.path, e.status, e.replayed]), [
    ['PATCH', '/api/tasks/1', 200, false],
    ['PATCH', '/api/tasks/1', 200, true],
    ['POST', '/api/tasks', 201, false],
    ['POST', '/api/tasks', 201, true],
    ['PATCH', '/api/tasks/2', 409, false],
    ['PATCH', '/api/tasks/2', 409, true],
    ['DELETE', '/api/tasks/3', 204, false],
    ['DELETE', '/api/tasks/3', 204, true],
    ['GET', '/api/tasks/3', 404, false],
    ['PATCH', '/api/tasks/1', 200, false],
  ]);
  // reset forgets keys
  await reset();
  assert.equal((await sendJsonBody('PATCH', '/api/tasks/1', { done: true }, h)).json.version, 2);
  assert.equal((await getJson('/api/_log'))[0].replayed, false);
});

test('tasks: _edit changes a task behind the client (version + 1), unlogged; delete; errors', async () => {
  const r = await post('/api/_edit', { id: 1, patch: { title: 'edited', id: 'no', version: 50 } });
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { ...SEED_TASKS[0], title: 'edited', version: 2 });
  assert.deepEqual(await getJson('/api/tasks/1'), { ...SEED_TASKS[0], title: 'edited', version: 2 });
  const t = await (await post('/api/tasks', { title: 'new' })).json();
  assert.equal((await (await post('/api/_edit', { id: t.id, patch: { done: true } })).json()).version, 2);
  assert.equal((await post('/api/_edit', { id: 99, patch: {} })).status, 404);
  assert.equal((await post('/api/_edit', { id: 1 })).status, 400);
  assert.equal((await post('/api/_edit', { id: 1, patch: { done: 'x' } })).status, 400);
  assert.deepEqual(await (await post('/api/_edit', { id: 3, delete: true })).json(), { deleted: SEED_TASKS[2] });
  assert.equal((await get('/api/tasks/3')).status, 404);
  assert.deepEqual((await getJson('/api/_log')).map((e) => `${e.method} ${e.path}`), ['GET /api/tasks/1', 'POST /api/tasks', 'GET /api/tasks/3']);
  assert.deepEqual(Object.keys((await getJson('/api/_count')).counts), ['/api/tasks/1', '/api/tasks', '/api/tasks/3'], '_edit not counted');
  assert.equal((await post('/api/_fixture', { path: '/api/_edit', status: 500 })).status, 400, 'control endpoint');
});

test('tasks: fixture 500 once wins, then the real PATCH answers; fixture answers are not stored under the key', async () => {
  await fixture({ path: '/api/tasks/1', status: 500, json: { error: 'boom' }, times: 1 });
  const h = { 'if-match': '"1"', 'idempotency-key': 'retry-1' };
  const a = await sendJsonBody('PATCH', '/api/tasks/1', { done: true }, h);
  assert.equal(a.status, 500);
  assert.deepEqual(a.json, { error: 'boom' });
  assert.deepEqual(await serverTask(1), SEED_TASKS[0], 'the 500 applied nothing');
  const b = await sendJsonBody('PATCH', '/api/tasks/1', { done: true }, h);
  assert.equal(b.status, 200, 'same key: the fixture answer was not stored');
  assert.equal(b.json.version, 2);
  const c = await sendJsonBody('PATCH', '/api/tasks/1', { done: true }, h);
  assert.equal(c.status, 200);
  assert.equal(c.json.version, 2, 'replayed');
  assert.equal((await serverTask(1)).version, 2);
  // A fixture wins over a stored key too, and over GET.
  await fixture({ path: '/api/tasks/1', status: 503, json: {}, times: 1 });
  assert.equal((await send('PATCH', '/api/tasks/1', { done: true }, h)).status, 503);
  assert.equal((await send('PATCH', '/api/tasks/1', { done: true }, h)).status, 200);
  await fixture({ path: '/api/tasks', json: [], times: 1 });
  assert.deepEqual(await getJson('/api/tasks'), []);
  assert.equal((await getJson('/api/tasks')).length, 3);
  // destroy then the real answer
  await fixture({ path: '/api/tasks/2', destroy: true, times: 1 });
  await assert.rejects(send('PATCH', '/api/tasks/2', { done: true }, { 'idempotency-key': 'd' }), TypeError);
  assert.equal((await sendJsonBody('PATCH', '/api/tasks/2', { done: true }, { 'idempotency-key': 'd' })).json.version, 2);
  const log = await getJson('/api/_log?path=/api/tasks/1');
  assert.deepEqual(log.map((e) => [e.status, e.replayed]), [[500, false], [200, false], [200, true], [503, false], [200, true]]);
  assert.equal(await count('/api/tasks/1'), 5);
  const d = await getJson('/api/_log?path=/api/tasks/2');
  assert.deepEqual(d.map((e) => [e.status, e.replayed]), [[null, false], [200, false]], 'a destroyed answer has status null');
});

test('tasks: log entries carry method, path, body, headers (if-match, idempotency-key, x-test, authorization), status, replayed', async () => {
  const body = JSON.stringify({ title: 'logged' });
  await fetch(base + '/api/tasks/1', {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', 'if-match': 'W/"1"', 'idempotency-key': 'abc', 'x-test': 't1', authorization: 'Bearer z' },
    body,
  });
  await send('PATCH', '/api/tasks/1', { title: 'stale' }, { 'if-match': '"1"' });
  const [a, b] = await getJson('/api/_log?path=/api/tasks/1');
  assert.equal(a.method, 'PATCH');
  assert.equal(a.path, '/api/tasks/1');
  assert.equal(a.body, body);
  assert.deepEqual(a.headers, { 'x-test': 't1', authorization: 'Bearer z', 'if-match': 'W/"1"', 'idempotency-key': 'abc' });
  assert.equal(a.status, 200);
  assert.equal(a.replayed, false);
  assert.equal(typeof a.at, 'number');
  assert.deepEqual(b.headers, { 'x-test': null, authorization: null, 'if-match': '"1"', 'idempotency-key': null });
  assert.equal(b.status, 409);
  assert.equal(b.body, JSON.stringify({ title: 'stale' }));
});

// ---- Push: GET /api/events (SSE), /api/ws (WebSocket), _push and the _events controls

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(pred, what, ms = 3000) {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** An SSE client on fetch + a stream reader: { res, events: [{ id, data, json }], pings, ended, close() }. */
async function openSse(p = '/api/events', headers = {}, at = base) {
  const ctrl = new AbortController();
  const res = await fetch(at + p, { headers, signal: ctrl.signal });
  const c = { res, events: [], pings: 0, ended: false, close: () => ctrl.abort() };
  if (res.status !== 200) {
    c.ended = true;
    c.body = await res.text();
    return c;
  }
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let id = null;
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) c.pings += line === ': ping' ? 1 : 0;
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (id !== null || data.length) {
            const text = data.join('\n');
            let json;
            try {
              json = JSON.parse(text);
            } catch {}
            c.events.push({ id, data: text, json });
          }
        }
      }
    } catch {}
    c.ended = true;
  })();
  return c;
}

/** A WebSocket client: { ws, messages: [parsed or raw text], texts, closed: Promise<code> }; resolves once open. */
async function openWs(query = '', at = base) {
  const ws = new WebSocket(`${at.replace(/^http/, 'ws')}/api/ws${query}`);
  const c = { ws, texts: [], messages: [], code: null };
  ws.on('message', (d) => {
    const text = String(d);
    c.texts.push(text);
    try {
      c.messages.push(JSON.parse(text));
    } catch {
      c.messages.push(text);
    }
  });
  c.closed = new Promise((r) => ws.on('close', (code) => r((c.code = code))));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return c;
}
const wsRefused = () =>
  new Promise((resolve) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/ws`);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode);
      ws.terminate();
    });
    ws.on('open', () => resolve('open'));
    ws.on('error', (e) => resolve(`error: ${e.message}`));
  });
const push = async (m) => {
  const r = await post('/api/_push', m);
  const text = await r.text();
  assert.equal(r.status, 200, `_push rejected: ${text}`);
  return JSON.parse(text).eventIds;
};
const connections = () => getJson('/api/_events/connections');

test('events: SSE headers, flushed at once; a PATCH broadcasts the task as GET answers it, with its idempotencyKey', async () => {
  const sse = await openSse();
  assert.equal(sse.res.status, 200);
  assert.equal(sse.res.headers.get('content-type'), 'text/event-stream');
  assert.equal(sse.res.headers.get('cache-control'), 'no-store');
  assert.equal(sse.res.headers.get('content-length'), null);
  const patched = await sendJsonBody('PATCH', '/api/tasks/1', { done: true }, { 'if-match': '"1"', 'idempotency-key': 'push-k1' });
  assert.equal(patched.status, 200);
  await until(() => sse.events.length === 1, 'the upsert');
  const [e] = sse.events;
  assert.equal(e.id, '1');
  assert.deepEqual(e.json, { type: 'upsert', entity: 'Task', data: await getJson('/api/tasks/1'), idempotencyKey: 'push-k1', eventId: '1' });
  assert.ok(!e.data.includes('\n'), 'one-line JSON');
  // no key: no idempotencyKey field; a stale write (409) broadcasts nothing
  assert.equal((await send('PATCH', '/api/tasks/2', { title: 'x' }, { 'if-match': '"9"' })).status, 409);
  await send('PATCH', '/api/tasks/2', { title: 'deux' });
  await until(() => sse.events.length === 2, 'the second upsert');
  assert.deepEqual(sse.events[1].json, { type: 'upsert', entity: 'Task', data: { ...SEED_TASKS[1], title: 'deux', version: 2 }, eventId: '2' });
  sse.close();
});

test('events: an idempotent replay (same key) does not broadcast again', async () => {
  const sse = await openSse();
  const h = { 'idempotency-key': 'once' };
  await sendJsonBody('PATCH', '/api/tasks/1', { done: true }, h);
  const again = await sendJsonBody('PATCH', '/api/tasks/1', { done: true }, h);
  assert.equal(again.status, 200);
  assert.equal((await getJson('/api/_log')).at(-1).replayed, true);
  await sendJsonBody('DELETE', '/api/tasks/3', undefined, { 'idempotency-key': 'del' });
  await sendJsonBody('DELETE', '/api/tasks/3', undefined, { 'idempotency-key': 'del' });
  await push({ type: 'invalidate', queryKey: ['marker'] });
  await until(() => sse.events.length === 3, 'three events');
  assert.deepEqual(sse.events.map((e) => [e.id, e.json.type, e.json.idempotencyKey]), [['1', 'upsert', 'once'], ['2', 'delete', 'del'], ['3', 'invalidate', undefined]]);
  assert.deepEqual(sse.events[1].json, { type: 'delete', entity: 'Task', id: 3, idempotencyKey: 'del', eventId: '2' }, 'delete carries the entity id');
  sse.close();
});

test('events: Last-Event-ID (header or ?lastEventId=) replays exactly the missed events, then live', async () => {
  assert.deepEqual(await push([{ type: 'invalidate', queryKey: ['a'] }, { type: 'invalidate', queryKey: ['b'] }]), ['1', '2']);
  await sendJsonBody('POST', '/api/tasks', { title: 'four' });
  await post('/api/_edit', { id: 2, patch: { done: true } });
  await post('/api/_edit', { id: 1, delete: true });
  const sse = await openSse('/api/events', { 'last-event-id': '2' });
  await until(() => sse.events.length === 3, 'the replay');
  await sleep(30);
  assert.deepEqual(sse.events.map((e) => e.id), ['3', '4', '5'], 'only the events after 2');
  assert.deepEqual(sse.events.map((e) => e.json), [
    { type: 'upsert', entity: 'Task', data: { id: 't4', title: 'four', done: false, version: 1, assignee: null }, eventId: '3' },
    { type: 'upsert', entity: 'Task', data: { ...SEED_TASKS[1], done: true, version: 2 }, eventId: '4' },
    { type: 'delete', entity: 'Task', id: 1, eventId: '5' },
  ]);
  await push({ type: 'invalidate', queryKey: ['live'] });
  await until(() => sse.events.length === 4, 'the live event');
  assert.equal(sse.events[3].id, '6');
  const q = await openSse('/api/events?lastEventId=5');
  const none = await openSse('/api/events'); // no Last-Event-ID: live only
  const latest = await openSse('/api/events', { 'last-event-id': '6' });
  await push({ type: 'invalidate', queryKey: ['next'] });
  await until(() => q.events.length === 2 && none.events.length === 1 && latest.events.length === 1, 'the other streams');
  assert.deepEqual(q.events.map((e) => e.id), ['6', '7']);
  assert.deepEqual(none.events.map((e) => e.id), ['7']);
  assert.deepEqual(latest.events.map((e) => e.id), ['7']);
  const conns = await connections();
  assert.deepEqual(conns.map((c) => [c.transport, c.lastEventId, c.open]), [['sse', '2', true], ['sse', '5', true], ['sse', null, true], ['sse', '6', true]]);
  assert.equal(conns[0].headers['last-event-id'], '2');
  assert.equal(typeof conns[0].at, 'number');
  assert.deepEqual(await getJson('/api/_count'), { counts: { '/api/tasks': 1 } }, 'streams are not counted');
  assert.deepEqual((await getJson('/api/_log')).map((e) => e.path), ['/api/tasks'], 'streams are not logged');
  for (const c of [sse, q, none, latest]) c.close();
  await until(async () => (await connections()).every((c) => !c.open), 'closed streams to show open: false');
});

test('events: the replay buffer keeps the last 1000 events', async () => {
  const many = Array.from({ length: 1005 }, (_, i) => ({ type: 'invalidate', queryKey: [i] }));
  const ids = await push(many);
  assert.equal(ids.at(-1), '1005');
  const sse = await openSse('/api/events', { 'last-event-id': '0' });
  await until(() => sse.events.length === 1000, '1000 replayed events');
  assert.equal(sse.events[0].id, '6');
  sse.close();
});

test('ws: the same messages as SSE, one text frame each; ?lastEventId= replays; not counted', async () => {
  const sse = await openSse();
  const ws = await openWs();
  await sendJsonBody('POST', '/api/tasks', { title: 'four' }, { 'idempotency-key': 'c1' });
  await sendJsonBody('POST', '/api/tasks', { title: 'four' }, { 'idempotency-key': 'c1' }); // replay: nothing
  await sendJsonBody('PATCH', '/api/tasks/t4', { done: true }, { 'idempotency-key': 'p1' });
  await send('DELETE', '/api/tasks/t4');
  await until(() => ws.messages.length === 3 && sse.events.length === 3, 'three messages on both');
  assert.deepEqual(ws.messages, sse.events.map((e) => e.json));
  assert.deepEqual(ws.texts, sse.events.map((e) => e.data), 'the same JSON text');
  assert.deepEqual(ws.messages.map((m) => [m.eventId, m.type, m.idempotencyKey]), [['1', 'upsert', 'c1'], ['2', 'upsert', 'p1'], ['3', 'delete', undefined]]);
  assert.deepEqual(ws.messages[2], { type: 'delete', entity: 'Task', id: 't4', eventId: '3' });
  const late = await openWs('?lastEventId=1');
  await until(() => late.messages.length === 2, 'the ws replay');
  assert.deepEqual(late.messages.map((m) => m.eventId), ['2', '3']);
  assert.deepEqual((await connections()).map((c) => [c.transport, c.lastEventId, c.open]), [['sse', null, true], ['ws', null, true], ['ws', '1', true]]);
  assert.deepEqual(Object.keys((await getJson('/api/_count')).counts), ['/api/tasks', '/api/tasks/t4']);
  const plain = await get('/api/ws');
  assert.equal(plain.status, 426, 'a plain request to /api/ws');
  ws.ws.close();
  late.ws.close();
  sse.close();
  await ws.closed;
});

test('_push: objects get eventId, arrays get one id each, raw text goes verbatim; bad bodies 400', async () => {
  const sse = await openSse();
  const ws = await openWs();
  const ids = await push([{ raw: '{not json' }, { raw: 'line1\nline2' }, { type: 'batch', messages: [{ type: 'delete', entity: 'Task', id: 2 }] }]);
  assert.deepEqual(ids, ['1', '2', '3']);
  assert.deepEqual(await push({ type: 'upsert', entity: 'User', data: { id: 'u1', name: 'Ann' }, eventId: 'ignored' }), ['4']);
  await until(() => sse.events.length === 4 && ws.texts.length === 4, 'four messages');
  assert.deepEqual(sse.events.map((e) => [e.id, e.data]).slice(0, 2), [['1', '{not json'], ['2', 'line1\nline2']]);
  assert.deepEqual(ws.texts.slice(0, 2), ['{not json', 'line1\nline2']);
  assert.deepEqual(ws.messages[2], { type: 'batch', messages: [{ type: 'delete', entity: 'Task', id: 2 }], eventId: '3' });
  assert.equal(ws.messages[3].eventId, '4', 'the server sets eventId');
  for (const bad of ['{nope', '1', 'null', '[1]', JSON.stringify({ raw: 5 })]) {
    const r = await fetch(base + '/api/_push', { method: 'POST', body: bad });
    assert.equal(r.status, 400, bad);
  }
  assert.equal((await get('/api/_push')).status, 405);
  assert.equal((await post('/api/_fixture', { path: '/api/events', status: 500 })).status, 400, 'no fixtures on push endpoints');
  ws.ws.close();
  sse.close();
});

test('_events/drop closes every SSE response and WebSocket; the client can reconnect with Last-Event-ID', async () => {
  const sse = await openSse();
  const ws = await openWs();
  await push({ type: 'invalidate', queryKey: ['x'] });
  await until(() => sse.events.length === 1 && ws.messages.length === 1, 'the first event');
  assert.deepEqual(await (await post('/api/_events/drop', {})).json(), { closed: 2 });
  assert.equal(await ws.closed, 1001);
  await until(() => sse.ended, 'the SSE stream to end');
  assert.deepEqual((await connections()).map((c) => c.open), [false, false]);
  await push({ type: 'invalidate', queryKey: ['missed'] });
  const again = await openSse('/api/events', { 'last-event-id': sse.events[0].id });
  await until(() => again.events.length === 1, 'the missed event');
  assert.deepEqual(again.events[0].json, { type: 'invalidate', queryKey: ['missed'], eventId: '2' });
  again.close();
});

test('_events/heartbeat: SSE `: ping` comments and WS empty batches; drop { silent } stops everything, sockets open', async () => {
  assert.deepEqual(await (await post('/api/_events/heartbeat', { ms: 40 })).json(), { ms: 40 });
  const sse = await openSse();
  const ws = await openWs();
  await until(() => sse.pings >= 2 && ws.messages.length >= 2, 'heartbeats');
  assert.ok(ws.messages.every((m) => JSON.stringify(m) === '{"type":"batch","messages":[]}'), JSON.stringify(ws.messages));
  assert.equal(sse.events.length, 0, 'a ping is not an event');
  assert.deepEqual(await (await post('/api/_events/drop', { silent: true })).json(), { closed: 2 });
  await sleep(20);
  const [pings, frames] = [sse.pings, ws.messages.length];
  await push({ type: 'invalidate', queryKey: ['unheard'] });
  await sleep(200);
  assert.deepEqual([sse.pings, ws.messages.length, sse.events.length], [pings, frames, 0], 'nothing after a silent drop');
  assert.equal(sse.ended, false);
  assert.equal(ws.ws.readyState, WebSocket.OPEN);
  assert.deepEqual((await connections()).map((c) => c.open), [true, true]);
  // a new connection is served normally (and replays)
  const fresh = await openSse('/api/events?lastEventId=0');
  await until(() => fresh.events.length === 1 && fresh.pings >= 1, 'the new stream');
  await post('/api/_events/heartbeat', { ms: 0 });
  const p = fresh.pings;
  await sleep(150);
  assert.equal(fresh.pings, p, 'heartbeat 0: none');
  assert.equal((await post('/api/_events/heartbeat', { ms: -1 })).status, 400);
  fresh.close();
  sse.close();
  ws.ws.terminate();
});

test('_events/refuse: SSE 503, WebSocket upgrade rejected (recorded as refused); off again serves', async () => {
  assert.deepEqual(await (await post('/api/_events/refuse', { on: true })).json(), { on: true });
  const sse = await openSse('/api/events', { 'last-event-id': '3' });
  assert.equal(sse.res.status, 503);
  assert.equal(sse.res.headers.get('cache-control'), 'no-store');
  assert.equal(await wsRefused(), 503);
  assert.deepEqual((await connections()).map((c) => [c.transport, c.refused, c.open, c.lastEventId]), [['sse', true, false, '3'], ['ws', true, false, null]]);
  await post('/api/_events/refuse', { on: false });
  const ok = await openSse();
  assert.equal(ok.res.status, 200);
  const ws = await openWs();
  assert.equal(ws.ws.readyState, WebSocket.OPEN);
  assert.deepEqual(await getJson('/api/_count'), { counts: {} });
  ok.close();
  ws.ws.close();
  assert.equal((await post('/api/_events/refuse', {})).status, 400);
});

test('events: _after broadcasts when applied (answer lost); _reset closes streams, ids restart at 1, settings back', async () => {
  const sse = await openSse();
  const ws = await openWs();
  await post('/api/_after', { lose: true });
  await assert.rejects(send('PATCH', '/api/tasks/1', { done: true }, { 'idempotency-key': 'lost' }), TypeError);
  await until(() => sse.events.length === 1, 'the upsert of the lost write');
  assert.equal(sse.events[0].json.idempotencyKey, 'lost');
  await post('/api/_events/heartbeat', { ms: 5 });
  await post('/api/_events/refuse', { on: true });
  await reset();
  assert.equal(await ws.closed, 1001);
  await until(() => sse.ended, 'the SSE stream to end');
  assert.deepEqual(await connections(), []);
  const next = await openSse();
  assert.equal(next.res.status, 200, 'refuse is off');
  assert.deepEqual(await push({ type: 'invalidate', queryKey: [] }), ['1']);
  await sleep(60);
  assert.equal(next.pings, 0, 'heartbeat back to 15 s');
  next.close();
});

test('close() of the static server ends open SSE and WebSocket streams (the process can exit)', async () => {
  const api2 = createApi();
  const s2 = await startStaticServer({ root: repoRoot, port: 0, handler: api2.handle });
  const r = await fetch(`${s2.url}/api/events`);
  const reader = r.body.getReader();
  const ended = reader.read().then(() => 'ended', () => 'ended');
  const ws = new WebSocket(`${s2.url.replace(/^http/, 'ws')}/api/ws`);
  await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
  const wsClosed = new Promise((res) => ws.on('close', () => res('closed')));
  const t0 = Date.now();
  await s2.close();
  assert.deepEqual(await Promise.all([ended, wsClosed]), ['ended', 'closed']);
  assert.ok(Date.now() - t0 < 1000, `closed in ${Date.now() - t0} ms`);
  // api.close() alone ends them too
  const s3 = await startStaticServer({ root: repoRoot, port: 0, handler: api2.handle });
  const r3 = await fetch(`${s3.url}/api/events`);
  const ended3 = r3.body.getReader().read().then((x) => (x.done ? 'done' : 'data'), () => 'error');
  api2.close();
  assert.equal(await ended3, 'error', 'killed');
  await s3.close();
});

// ---- The demo API's push endpoints (www/server/api.mjs, in memory)

async function withDemo(fn) {
  const demo = createDemoApi({ dataFile: null });
  const srv = await startStaticServer({ root: repoRoot, port: 0, handler: demo.handle });
  const call = (method, p, body, headers = {}) =>
    fetch(srv.url + p, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  try {
    await fn({ demo, at: srv.url, call });
  } finally {
    await srv.close();
  }
}

test('demo: writes broadcast (task PATCH with key, comment -> its task, user PATCH, DELETE, edit-as) on SSE and ws; replays and failures do not', async () => {
  await withDemo(async ({ demo, at, call }) => {
    const sse = await openSse('/api/events', { 'x-demo-tab': 'A' }, at);
    assert.equal(sse.res.headers.get('content-type'), 'text/event-stream');
    assert.equal(sse.res.headers.get('cache-control'), 'no-store');
    const ws = await openWs('?tab=B', at);
    const h = { 'idempotency-key': 'demo-k1', 'if-match': '"1"' };
    assert.equal((await call('PATCH', '/api/tasks/t1', { done: true }, h)).status, 200);
    assert.equal((await call('PATCH', '/api/tasks/t1', { done: true }, h)).status, 200, 'replay');
    assert.equal((await call('PATCH', '/api/tasks/t1', { done: false }, { 'if-match': '"1"' })).status, 409);
    assert.equal((await call('POST', '/api/tasks/t1/comments', { body: 'pushed' })).status, 201);
    const afterComment = await (await fetch(`${at}/api/tasks/t1`)).json();
    assert.equal((await call('PATCH', '/api/users/u2', { name: 'Lin C.' })).status, 200);
    demo.setControl({ failureRate: 1 });
    assert.equal((await call('PATCH', '/api/tasks/t2', { done: true })).status, 500);
    demo.setControl({ failureRate: 0, latencyMs: 300 });
    assert.equal((await call('DELETE', '/api/tasks/t2')).status, 200);
    demo.setControl({ latencyMs: 0 });
    assert.equal((await call('POST', '/api/_control/edit-as', { taskId: 't3', patch: { title: 'theirs' } })).status, 200);
    await until(() => sse.events.length === 5 && ws.messages.length === 5, 'five messages');
    assert.deepEqual(ws.messages, sse.events.map((e) => e.json));
    assert.deepEqual(sse.events.map((e) => e.id), ['1', '2', '3', '4', '5']);
    const [patched, commented, user, deleted, edited] = ws.messages;
    const task = async (id) => (await fetch(`${at}/api/tasks/${id}`)).json();
    assert.equal(patched.type, 'upsert');
    assert.equal(patched.entity, 'Task');
    assert.equal(patched.idempotencyKey, 'demo-k1');
    assert.equal(patched.data.version, 2);
    assert.equal(patched.data.done, true);
    assert.deepEqual(commented, { type: 'upsert', entity: 'Task', data: afterComment, eventId: '2' }, 'the task as GET answered it then');
    assert.equal(commented.data.comments.at(-1).body, 'pushed');
    assert.deepEqual(user, { type: 'upsert', entity: 'User', data: { id: 'u2', name: 'Lin C.', role: 'Engineering', color: '#0ea5e9' }, eventId: '3' });
    assert.deepEqual(deleted, { type: 'delete', entity: 'Task', id: 't2', eventId: '4' });
    assert.deepEqual(edited, { type: 'upsert', entity: 'Task', data: await task('t3'), eventId: '5' });
    assert.equal(edited.data.updatedBy.id, 'u2');
    const streams = demo.log().filter((e) => e.outcome === 'stream');
    assert.deepEqual(streams.map((e) => [e.method, e.path, e.status, e.tab]), [['GET', '/api/events', 200, 'A'], ['GET', '/api/ws?tab=B', 101, 'B']]);
    assert.equal(demo.log().filter((e) => e.outcome === 'applied').length, 4, 'streams are not applied writes');
    const late = await openSse('/api/events?lastEventId=3', {}, at);
    await until(() => late.events.length === 2, 'the replay');
    assert.deepEqual(late.events.map((e) => e.id), ['4', '5']);
    const conns = await (await fetch(`${at}/api/_control/events/connections`)).json();
    assert.deepEqual(conns.map((c) => [c.transport, c.lastEventId, c.open]), [['sse', null, true], ['ws', null, true], ['sse', '3', true]]);
    assert.deepEqual(await (await call('POST', '/api/_control/events/drop', {})).json(), { closed: 3 });
    assert.equal(await ws.closed, 1001);
    await until(() => sse.ended && late.ended, 'the SSE streams to end');
  });
});

test('demo: the network cut kills open streams and refuses new ones (logged as cut); reset restarts event ids', async () => {
  await withDemo(async ({ demo, at, call }) => {
    const sse = await openSse('/api/events', {}, at);
    const ws = await openWs('', at);
    await call('POST', '/api/_control', { networkCut: true });
    await until(() => sse.ended, 'the SSE stream to die');
    await ws.closed;
    await assert.rejects(fetch(`${at}/api/events`), TypeError);
    const wsCut = await new Promise((resolve) => {
      const w = new WebSocket(`${at.replace(/^http/, 'ws')}/api/ws`);
      w.on('open', () => resolve('open'));
      w.on('error', () => resolve('error'));
    });
    assert.equal(wsCut, 'error');
    assert.deepEqual(demo.log().map((e) => [e.path, e.outcome]), [['/api/events', 'stream'], ['/api/ws', 'stream'], ['/api/events', 'cut'], ['/api/ws', 'cut']]);
    await call('POST', '/api/_control', { networkCut: false });
    await call('PATCH', '/api/tasks/t1', { done: true });
    const after = await openSse('/api/events?lastEventId=0', {}, at);
    await until(() => after.events.length === 1, 'the replay');
    assert.equal(after.events[0].id, '1');
    await call('POST', '/api/_control/reset');
    await until(() => after.ended, 'reset to close the stream');
    assert.deepEqual(await (await fetch(`${at}/api/_control/events/connections`)).json(), []);
    const fresh = await openSse('/api/events', {}, at);
    await call('PATCH', '/api/tasks/t1', { done: true });
    await until(() => fresh.events.length === 1, 'the first event after the reset');
    assert.equal(fresh.events[0].id, '1');
    fresh.close();
  });
});

test('both APIs (one push hub, www/server/push-hub.mjs): a non-GET /api/events is each one\'s 405, /api/ws a 426, other upgrade paths untouched', async () => {
  const r = await fetch(base + '/api/events', { method: 'POST', body: '{}' });
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'GET');
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await r.json(), { error: 'method not allowed' });
  assert.deepEqual(await connections(), [], 'a 405 is no connection attempt');
  const fakeSocket = { destroyed: false, destroy() { this.destroyed = true; }, end() { throw new Error('touched'); } };
  assert.equal(api.upgrade({ url: '/api/events', headers: {} }, fakeSocket, Buffer.alloc(0)), false);
  assert.equal(api.upgrade({ url: '/api/wsx', headers: {} }, fakeSocket, Buffer.alloc(0)), false);
  assert.equal(fakeSocket.destroyed, false);
  await withDemo(async ({ demo, at, call }) => {
    const d = await call('DELETE', '/api/events');
    assert.equal(d.status, 405);
    assert.equal(d.headers.get('allow'), 'GET');
    assert.deepEqual(await d.json(), { error: 'DELETE is not allowed here (allowed: GET)' });
    assert.equal((await fetch(`${at}/api/ws`)).status, 426);
    assert.equal(demo.upgrade({ url: '/api/other', headers: {} }, fakeSocket, Buffer.alloc(0)), false);
    assert.equal(fakeSocket.destroyed, false);
    demo.setControl({ networkCut: true });
    await assert.rejects(fetch(`${at}/api/events?lastEventId=7`), TypeError);
    const conns = await (await fetch(`${at}/api/_control/events/connections`)).json();
    assert.deepEqual(conns.map((c) => [c.transport, c.refused, c.open, c.lastEventId]), [['sse', true, false, '7']]);
    assert.deepEqual(demo.log().map((e) => [e.path, e.status, e.outcome]), [['/api/events?lastEventId=7', null, 'cut']], 'the 405 and 426 are not logged');
  });
});

let passed = 0;
const failures = [];
for (const t of tests) {
  try {
    api.reset(); // every case starts from a clean API
    await t.fn();
    passed++;
    console.log(`ok - ${t.name}`);
  } catch (err) {
    failures.push(t.name);
    console.log(`not ok - ${t.name}\n    ${String(err?.stack ?? err).replace(/\n/g, '\n    ')}`);
  }
}
await server.close();
if (failures.length) {
  console.log(`api selftest: ${passed} passed, ${failures.length} failed`);
  process.exit(1);
}
console.log(`api selftest: ${passed} passed`);
process.exit(0);
