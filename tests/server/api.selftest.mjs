#!/usr/bin/env node
// Self-check of the test API (tests/server/api.mjs) mounted on the static server,
// exercised with Node's fetch. Run: node tests/server/api.selftest.mjs
// Prints `api selftest: N passed` (and exits 0) or the failures (exit 1).

import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { createApi } from './api.mjs';

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

test('count and log (method, path, query, x-test, authorization, body, at)', async () => {
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
  assert.deepEqual(a.headers, { 'x-test': 'case-1', authorization: 'Bearer t' });
  assert.equal(a.body, null);
  assert.ok(a.at >= before && a.at <= Date.now());
  assert.deepEqual(b.headers, { 'x-test': null, authorization: null });
  assert.deepEqual(b.query, {});
  assert.equal(c.method, 'PUT');
  assert.equal(c.body, 'hello');
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
