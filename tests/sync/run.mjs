#!/usr/bin/env node
// Persistence and multi-tab tests of the built package in headless Chromium, driven from
// Node with playwright-core: reloads, several tabs, a cut network (requests to the test API
// aborted by the browser), and the test API's request log to check that every mutation
// reached the server exactly once, in order. Each test runs in a fresh browser context (its
// own IndexedDB). Needs pkg/ (scripts/build.sh).
//
//   node tests/sync/run.mjs [name-filter]

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { createApi } from '../server/api.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const filter = process.argv[2] || '';
const { chromium } = await import('playwright-core');

const api = createApi();
const server = await startStaticServer({ root, port: 0, handler: api.handle });
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
const PAGE = `${server.url}/tests/sync/page.html`;

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
function eq(a, b, msg) {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  if (x !== y) throw new Error(`${msg}: expected ${y}, got ${x}`);
}

async function until(what, fn, timeout = 10_000) {
  const start = Date.now();
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() - start > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function control(pathname, body) {
  const res = await fetch(`${server.url}${pathname}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return res.json();
}
const serverLog = () => control('/api/_log?path=/api/tasks/1').then(async (one) => {
  const all = await control('/api/_log');
  return all.filter((e) => e.method === 'PATCH');
});

async function openTab(context, name, options) {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`  [pageerror] ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.log(`  [${m.type()}] ${m.text()}`);
  });
  await page.goto(PAGE);
  await page.evaluate(([n, o]) => window.t.open(n, o), [name, options ?? {}]);
  return page;
}
const call = (page, fn, ...args) => page.evaluate(([f, a]) => window.t[f](...a), [fn, args]);

// Mutation requests fail as a network error (the API is unreachable; the page itself loads).
const cut = (context) => context.route('**/api/tasks/**', (r) => r.abort('internetdisconnected'));
const uncut = (context) => context.unroute('**/api/tasks/**');

async function loaded(page) {
  await until('the task list', () => call(page, 'tasks'));
}

// ---------------------------------------------------------------------------------------------

test('offline mutations survive a reload, show at once, and replay in order exactly once', async (context) => {
  const page = await openTab(context, 'reload');
  await loaded(page);
  await cut(context);
  await call(page, 'patch', 1, { title: 'first' });
  await call(page, 'patch', 2, { done: true });
  await call(page, 'patch', 1, { title: 'third' });
  await until('three queued mutations', async () => (await call(page, 'list')).filter((m) => m.status === 'queued').length === 3);
  const before = await call(page, 'list');

  await page.reload();
  await page.evaluate(() => window.t.open('reload'));
  const after = await call(page, 'list');
  eq(after.map((m) => m.id), before.map((m) => m.id), 'the same mutations, in the same order, after the reload');
  const shown = await until('the cached list', () => call(page, 'tasks'));
  eq(shown.slice(0, 2), [{ id: 1, title: 'third', done: false }, { id: 2, title: 'two', done: true }], 'layers re-applied over the persisted cache');

  await uncut(context);
  await page.evaluate(() => window.t.store.flush());
  await until('the queue to drain', async () => (await call(page, 'sync')).pending === 0);
  const log = (await serverLog()).filter((e) => !e.replayed && e.status === 200);
  eq(log.map((e) => e.headers['idempotency-key']), before.map((m) => m.id), 'each mutation applied once, in order');
  const server = await control('/api/_tasks');
  eq(server.slice(0, 2).map((x) => [x.title, x.done]), [['third', false], ['two', true]], 'server state');
});

test('a flush interrupted by a reload delivers each mutation exactly once', async (context) => {
  const page = await openTab(context, 'interrupted');
  await loaded(page);
  // The first write is applied by the server but its answer takes 5 s: the page reloads first.
  await control('/api/_after', { times: 1, delayMs: 5000 });
  await call(page, 'patch', 1, { title: 'A' });
  await call(page, 'patch', 2, { title: 'B' });
  await call(page, 'patch', 3, { title: 'C' });
  await until('the first request to reach the server', async () => (await serverLog()).length === 1);
  const ids = (await call(page, 'list')).map((m) => m.id);
  await page.reload();
  await page.evaluate(() => window.t.open('interrupted'));
  await until('the queue to drain', async () => (await call(page, 'sync')).pending === 0, 15_000);
  const log = await serverLog();
  const applied = log.filter((e) => !e.replayed).map((e) => e.headers['idempotency-key']);
  eq(applied, ids, 'each mutation applied once, in order');
  assert(log.some((e) => e.replayed && e.headers['idempotency-key'] === ids[0]), 'the interrupted one was replayed with the same key');
  eq((await control('/api/_tasks')).map((x) => x.title), ['A', 'B', 'C'], 'server state');
});

test('a lost response is retried with the same Idempotency-Key and applied once', async (context) => {
  const page = await openTab(context, 'lost');
  await loaded(page);
  await control('/api/_after', { times: 1, lose: true });
  await call(page, 'patch', 1, { title: 'once' });
  await until('the mutation to settle', async () => (await page.evaluate(() => window.t.settled.length)) === 1);
  const log = await serverLog();
  eq(log.map((e) => e.replayed), [false, true], 'applied, then replayed');
  eq((await control('/api/_tasks'))[0].version, 2, 'the version moved once');
});

test('two tabs offline, then online: every mutation arrives once and both tabs agree', async (context) => {
  const a = await openTab(context, 'tabs');
  const b = await openTab(context, 'tabs');
  await loaded(a);
  await loaded(b);
  await cut(context);
  await call(a, 'patch', 1, { title: 'from A' });
  await call(b, 'patch', 2, { title: 'from B' });
  await call(a, 'patch', 3, { done: true });
  await call(b, 'patch', 1, { done: true });
  await until('both tabs to list four mutations', async () =>
    (await call(a, 'list')).length === 4 && (await call(b, 'list')).length === 4);
  for (const p of [a, b]) {
    eq((await call(p, 'tasks')).map((x) => [x.title, x.done]),
      [['from A', true], ['from B', false], ['three', true]], 'every tab shows every layer');
  }
  await uncut(context);
  await b.evaluate(() => window.t.store.flush()); // asked of the sending tab
  await until('both queues to drain', async () =>
    (await call(a, 'sync')).pending === 0 && (await call(b, 'sync')).pending === 0, 15_000);
  const log = (await serverLog()).filter((e) => !e.replayed);
  eq(log.length, 4, 'four writes applied');
  eq(new Set(log.map((e) => e.headers['idempotency-key'])).size, 4, 'each once');
  await until('both tabs to show the server data', async () => {
    const [x, y] = [await call(a, 'tasks'), await call(b, 'tasks')];
    return JSON.stringify(x) === JSON.stringify(y) && x[0].title === 'from A' && x[0].done === true;
  });
  await until('both promises of tab B to resolve', async () =>
    (await b.evaluate(() => window.t.settled.filter((s) => s.ok).length)) === 2);
});

test('when the sending tab closes, another takes over', async (context) => {
  const a = await openTab(context, 'takeover');
  await loaded(a);
  const b = await openTab(context, 'takeover');
  await loaded(b);
  await cut(context);
  await call(b, 'patch', 2, { title: 'survivor' });
  await until('tab A to see it', async () => (await call(a, 'list')).length === 1);
  await a.close(); // A held the lock (it opened first)
  await uncut(context);
  await b.evaluate(() => window.t.store.flush());
  await until('B to send it', async () => (await call(b, 'sync')).pending === 0, 15_000);
  eq((await serverLog()).filter((e) => !e.replayed).length, 1, 'sent once');
});

test('auth headers are sent but never written to IndexedDB', async (context) => {
  const page = await openTab(context, 'secret');
  await loaded(page);
  await cut(context);
  await call(page, 'patch', 1, { title: 'x' }, { request: { headers: { Authorization: 'Bearer per-call-secret' } } });
  await until('queued', async () => (await call(page, 'list'))[0]?.status === 'queued');
  await page.evaluate(() => new Promise((r) => setTimeout(r, 400))); // the cache write too
  const dump = JSON.stringify(await call(page, 'dump', 'secret'));
  assert(dump.includes('/api/tasks/1'), 'the mutation is in IndexedDB');
  assert(!dump.includes('top-secret-token') && !dump.includes('per-call-secret'), 'no header value in IndexedDB');
  assert(!/authorization/i.test(dump), 'no header name in IndexedDB');
  await uncut(context);
  await page.evaluate(() => window.t.store.flush());
  await until('sent', async () => (await call(page, 'sync')).pending === 0);
  eq((await serverLog())[0].headers.authorization, 'Bearer per-call-secret', 'headers evaluated at send time');
});

test('clear() rejects pending mutations with CLEARED and leaves nothing behind, in every tab', async (context) => {
  const a = await openTab(context, 'logout');
  const b = await openTab(context, 'logout');
  await loaded(a);
  await cut(context);
  await call(a, 'patch', 1, { title: 'pending' });
  await until('queued in B too', async () => (await call(b, 'list')).length === 1);
  await page_clear(a);
  eq(await a.evaluate(() => window.t.settled.map((s) => s.code)), ['CLEARED'], 'the pending promise rejected');
  await until('tab B to be empty', async () => (await call(b, 'list')).length === 0 && (await call(b, 'tasks')) === undefined);
  await a.evaluate(() => new Promise((r) => setTimeout(r, 400)));
  const dump = await call(a, 'dump', 'logout');
  for (const [store, rows] of Object.entries(dump)) eq(rows.length, 0, `object store ${store} is empty`);
  await uncut(context);
});
async function page_clear(page) {
  await page.evaluate(() => window.t.store.clear());
}

test('a quota error is reported: the mutation fails with QUOTA and is not queued', async (context) => {
  const page = await openTab(context, 'quota');
  await loaded(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: 1 });
  // Chromium's IndexedDB keeps the space it last learned it had for a few seconds, so a write
  // right after the override may still pass: wait until a probe write in this origin fails.
  await until('the quota to apply', () => page.evaluate(() => new Promise((resolve) => {
    const open = indexedDB.open('quota-probe', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('p');
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction('p', 'readwrite');
      tx.objectStore('p').put('x'.repeat(100_000), 1);
      tx.oncomplete = () => { db.close(); setTimeout(() => resolve(false), 250); };
      tx.onabort = () => { db.close(); resolve(tx.error && tx.error.name === 'QuotaExceededError'); };
    };
    open.onerror = () => resolve(open.error && open.error.name === 'QuotaExceededError');
  })), 20_000);
  await cut(context);
  await call(page, 'patch', 1, { title: 'x'.repeat(200_000) });
  await until('the mutation to settle', async () => (await page.evaluate(() => window.t.settled.length)) === 1);
  eq(await page.evaluate(() => window.t.settled[0].code), 'QUOTA', 'rejected with QUOTA');
  eq((await call(page, 'list')).map((m) => [m.status, m.code]), [['failed', 'QUOTA']], 'listed as failed');
  eq((await call(page, 'tasks'))[0].title, 'one', 'the layer rolled back');
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url });
  await uncut(context);
});

test('an unreadable outbox record is listed as failed with STORAGE; discard deletes it', async (context) => {
  const page = await openTab(context, 'corrupt');
  await loaded(page);
  await call(page, 'putRaw', 'corrupt', 'outbox', { id: 'broken-1', f: 99, url: '/api/tasks/1', method: 'PATCH' });
  await page.reload();
  await page.evaluate(() => window.t.open('corrupt'));
  eq(await call(page, 'list'), [{ id: 'broken-1', status: 'failed', code: 'STORAGE', url: '/api/tasks/1' }], 'listed');
  await page.evaluate(() => window.t.store.discard('broken-1'));
  await until('the record to be deleted', async () => (await call(page, 'dump', 'corrupt')).outbox.length === 0);
  eq((await serverLog()).length, 0, 'never sent');
});

test('the persisted cache shows data after a reload without network, marked stale; another buster drops it', async (context) => {
  const page = await openTab(context, 'cache', { persist: { buster: 'v1' } });
  await loaded(page);
  await page.evaluate(() => new Promise((r) => setTimeout(r, 400))); // the relaxed write
  await context.route('**/api/tasks', (r) => r.abort('internetdisconnected'));
  await page.reload();
  await page.evaluate(() => window.t.open('cache', { persist: { buster: 'v1' } }));
  eq((await call(page, 'tasks')).map((x) => x.title), ['one', 'two', 'three'], 'hydrated at createStore');
  eq((await call(page, 'queryState')).isStale, true, 'marked stale');
  await page.reload();
  await page.evaluate(() => window.t.open('cache', { persist: { buster: 'v2' } }));
  eq(await call(page, 'tasks'), undefined, 'a cache written under another buster is dropped');
  await context.unroute('**/api/tasks');
});

for (const transport of ['sse', 'websocket']) {
  test(`${transport}: two tabs hold one connection; both show a push; when it closes the other takes over and resumes`, async (context) => {
    const a = await openTab(context, `rt-${transport}`);
    await loaded(a);
    const b = await openTab(context, `rt-${transport}`);
    await loaded(b);
    await call(a, 'connect', transport);
    await call(b, 'connect', transport);
    await until('both tabs to show the connection open', async () =>
      (await call(a, 'conn')).status === 'open' && (await call(b, 'conn')).status === 'open');
    const open = (await control('/api/_events/connections')).filter((c) => c.open);
    eq(open.length, 1, 'one connection for the two tabs');

    await control('/api/_edit', { id: 1, patch: { title: 'pushed' } });
    for (const page of [a, b]) await until('the push in both tabs', async () => (await call(page, 'tasks'))[0].title === 'pushed');
    await until('the other tab to know the event id', async () => (await call(b, 'conn')).lastEventId === '1');

    // The connected tab goes; a change made meanwhile reaches the tab that takes over.
    await a.close();
    await control('/api/_edit', { id: 2, patch: { title: 'while switching' } });
    await until('the other tab to take over', async () => (await call(b, 'tasks'))[1].title === 'while switching', 15_000);
    const conns = await control('/api/_events/connections');
    eq(conns.filter((c) => c.open).length, 1, 'still one connection');
    if (transport === 'sse') eq(conns.at(-1).lastEventId, '1', 'resumed from the last event the closed tab applied');
    eq((await call(b, 'conn')).status, 'open');
  });
}

test('an infinite query persists its pages: after a reload they show at once, then refetch in order', async (context) => {
  for (let n = 0; n < 3; n++) {
    const items = [{ id: 500 + n, title: `page ${n}` }];
    await control(`/api/_set?path=/api/feed/${n}`, { items, next: n < 2 ? n + 1 : null });
  }
  const page = await openTab(context, 'pages');
  await call(page, 'feed');
  await until('the first page', async () => JSON.stringify(await call(page, 'feedParams')) === '[0]');
  eq(await call(page, 'nextPage'), [0, 1], 'two pages');
  await new Promise((r) => setTimeout(r, 600)); // the cache write waits 200 ms for more changes
  await page.reload();
  await page.evaluate(() => window.t.open('pages'));
  eq(await call(page, 'feedParams'), [0, 1], 'the pages came back from IndexedDB');
  const before = (await control('/api/_log')).filter((e) => e.path.startsWith('/api/feed/')).length;
  await call(page, 'feed');
  await until('the refetch', async () => (await control('/api/_log')).filter((e) => e.path.startsWith('/api/feed/')).length === before + 2);
  const paths = (await control('/api/_log')).filter((e) => e.path.startsWith('/api/feed/')).slice(-2).map((e) => e.path);
  eq(paths, ['/api/feed/0', '/api/feed/1'], 'every page again, in order');
});

test('a cache in the old per-record format is read after the upgrade, rewritten as one chunk, and the outbox kept', async (context) => {
  // What the previous strata left: its cache as one IndexedDB object per entity and query
  // (the pairs of a delta this version writes), the outbox as it is today.
  const src = await openTab(context, 'legacy-src');
  await loaded(src);
  await cut(context);
  await src.evaluate(() => window.t.patch(1, { title: 'offline edit' }));
  await until('the outbox record', async () => (await call(src, 'dump', 'legacy-src')).outbox.length === 1);
  await src.evaluate(() => new Promise((r) => setTimeout(r, 400))); // the relaxed write
  const dumped = await call(src, 'dump', 'legacy-src');
  const delta = JSON.parse(dumped.chunks[0]);
  await src.close();
  const page = await context.newPage();
  await page.goto(PAGE);
  await page.evaluate(
    ([name, outbox, delta]) =>
      new Promise((resolve, reject) => {
        const r = indexedDB.open(`strata:${name}`, 1);
        r.onupgradeneeded = () => {
          const db = r.result;
          db.createObjectStore('outbox', { keyPath: 'id' });
          for (const s of ['entities', 'queries', 'meta']) db.createObjectStore(s);
        };
        r.onerror = () => reject(r.error);
        r.onsuccess = () => {
          const db = r.result;
          const tx = db.transaction(['outbox', 'entities', 'queries', 'meta'], 'readwrite');
          for (const rec of outbox) tx.objectStore('outbox').put(rec);
          for (const [k, v] of delta.e) tx.objectStore('entities').put(v, k);
          for (const [h, q] of delta.q) tx.objectStore('queries').put(q, h);
          tx.objectStore('meta').put({ format: 1, buster: '', version: 0, writtenAt: Date.now() }, 'cache');
          tx.oncomplete = () => (db.close(), resolve());
          tx.onerror = () => reject(tx.error);
        };
      }),
    ['legacy', dumped.outbox, delta],
  );
  await context.route('**/api/tasks', (r) => r.abort('internetdisconnected'));
  await page.evaluate(() => window.t.open('legacy'));
  eq((await call(page, 'tasks')).map((x) => x.title), ['offline edit', 'two', 'three'], 'the old cache, with the outbox layer over it');
  eq((await call(page, 'list')).map((m) => m.id), dumped.outbox.map((r) => r.id), 'the stored mutation joined the queue');
  const after = await call(page, 'dump', 'legacy');
  eq([after.entities.length, after.queries.length, after.outbox.length], [0, 0, 1], 'the old records gone; the outbox as it was');
  // The core stamps a record again when a tab takes it over (v, w); the mutation is the same.
  const same = ({ v, w, ...rest }) => rest;
  eq(after.outbox.map(same), dumped.outbox.map(same), 'the outbox record is the same mutation');
  const sorted = (pairs) => [...pairs].sort(([a], [b]) => (a < b ? -1 : 1));
  eq(sorted(JSON.parse(after.chunks[0]).e), sorted(delta.e), 'every record is in the first chunk, as it was');
  await page.reload();
  await page.evaluate(() => window.t.open('legacy'));
  eq((await call(page, 'tasks')).map((x) => x.title), ['offline edit', 'two', 'three'], 'read from the chunk after a reload');
  await context.unroute('**/api/tasks');
  await uncut(context);
  await until('the mutation to be sent', async () => (await call(page, 'list')).length === 0);
  eq((await serverLog()).filter((e) => !e.replayed && e.status === 200 && JSON.stringify(e.body).includes('offline edit')).length, 1, 'sent once');
});

test('many small cache writes: a reload shows the last of each, before and after the chunks are compacted', async (context) => {
  const page = await openTab(context, 'chunks');
  await loaded(page);
  // Each write: one entity change, then pagehide (the cache is written at once: one chunk).
  const writes = (from, n) =>
    page.evaluate(([from, n]) => {
      for (let i = from; i < from + n; i++) {
        window.t.store.updateEntity('Task', i % 3 === 0 ? 3 : i % 3, { title: `w${i}` });
        window.dispatchEvent(new Event('pagehide'));
      }
    }, [from, n]);
  const titles = async () => (await call(page, 'tasks')).map((x) => x.title);
  await until('the list written', async () => (await call(page, 'dump', 'chunks')).chunks.length === 1);
  await writes(1, 9); // tasks 1, 2, 3 end as w7, w8, w9
  await until('the chunks', async () => (await call(page, 'dump', 'chunks')).chunks.length >= 10);
  const few = (await call(page, 'dump', 'chunks')).chunks.length;
  await context.route('**/api/tasks', (r) => r.abort('internetdisconnected'));
  await page.reload();
  await page.evaluate(() => window.t.open('chunks'));
  eq(await titles(), ['w7', 'w8', 'w9'], `the last write of each, from ${few} chunks`);
  await writes(10, 60); // past 32 chunks: rewritten as one, then appended to again
  const last = ['w67', 'w68', 'w69'];
  eq(await titles(), last, 'in memory');
  await until('the writes', async () => {
    const d = await call(page, 'dump', 'chunks');
    return d.chunks.some((c) => c.includes('"w69"'));
  });
  const many = (await call(page, 'dump', 'chunks')).chunks.length;
  assert(many <= 33, `compacted: ${many} chunks after ${few + 60} writes`);
  await page.reload();
  await page.evaluate(() => window.t.open('chunks'));
  eq(await titles(), last, `the last write of each, from ${many} chunks`);
  await context.unroute('**/api/tasks');
});

test('a cache chunk that cannot be read: the store starts without the cache, drops it, and keeps the outbox', async (context) => {
  const page = await openTab(context, 'badchunk');
  await loaded(page);
  await cut(context);
  await page.evaluate(() => window.t.patch(2, { title: 'kept' }));
  await until('the writes', async () => {
    const d = await call(page, 'dump', 'badchunk');
    return d.outbox.length === 1 && d.chunks.length >= 1;
  });
  await call(page, 'putRaw', 'badchunk', 'chunks', '{"e":[["Task:1",', 1e9);
  await context.route('**/api/tasks', (r) => r.abort('internetdisconnected'));
  await page.reload();
  await page.evaluate(() => window.t.open('badchunk'));
  eq(await call(page, 'tasks'), undefined, 'started without the cache');
  eq((await call(page, 'list')).length, 1, 'the mutation is still queued');
  await until('the cache to be dropped', async () => (await call(page, 'dump', 'badchunk')).chunks.length === 0);
  eq((await call(page, 'dump', 'badchunk')).outbox.length, 1, 'the outbox record is kept');
  await context.unroute('**/api/tasks');
  await uncut(context);
});

test('persist.version: cache data of another version is migrated by persist.migrate, or dropped without it', async (context) => {
  const page = await openTab(context, 'migrate', { persist: { version: 1 } });
  await loaded(page);
  await page.evaluate(() => new Promise((r) => setTimeout(r, 400))); // the relaxed write
  await context.route('**/api/tasks', (r) => r.abort('internetdisconnected'));
  await page.reload();
  await page.evaluate(() =>
    window.t.open('migrate', {
      persist: {
        version: 2,
        migrate: (old, was) => ({
          e: old.e.map(([k, r]) => [k, r && k.startsWith('Task:') ? { ...r, title: `${r.title} (v${was})` } : r]),
          q: old.q,
        }),
      },
    }),
  );
  eq((await call(page, 'tasks')).map((x) => x.title), ['one (v1)', 'two (v1)', 'three (v1)'], 'migrated at createStore');
  await page.reload();
  await page.evaluate(() => window.t.open('migrate', { persist: { version: 2 } }));
  eq((await call(page, 'tasks')).map((x) => x.title), ['one (v1)', 'two (v1)', 'three (v1)'], 'stored again as version 2');
  await page.reload();
  await page.evaluate(() => window.t.open('migrate', { persist: { version: 3 } }));
  eq(await call(page, 'tasks'), undefined, 'another version without migrate is dropped');
  await context.unroute('**/api/tasks');
});

test('without IndexedDB the store works in memory (with a warning)', async (context) => {
  await context.addInitScript(() => Object.defineProperty(window, 'indexedDB', { value: undefined }));
  const warnings = [];
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  await page.goto(PAGE);
  await page.evaluate(() => window.t.open('no-idb'));
  await loaded(page);
  await call(page, 'patch', 1, { title: 'memory' });
  await until('the mutation to settle', async () => (await page.evaluate(() => window.t.settled.length)) === 1);
  eq(await page.evaluate(() => window.t.settled[0].ok), true, 'sent and acknowledged');
  assert(warnings.some((w) => /IndexedDB is not available/.test(w)), `warned: ${warnings}`);
});

test('without Web Locks every tab sends, and the server still applies each mutation once', async (context) => {
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }));
  const a = await openTab(context, 'no-locks');
  const b = await openTab(context, 'no-locks');
  await loaded(a);
  await cut(context);
  await call(a, 'patch', 1, { title: 'twice sent, once applied' });
  await until('tab B to see it', async () => (await call(b, 'list')).length === 1);
  await uncut(context);
  await Promise.all([a.evaluate(() => window.t.store.flush()), b.evaluate(() => window.t.store.flush())]);
  await until('both queues to drain', async () =>
    (await call(a, 'sync')).pending === 0 && (await call(b, 'sync')).pending === 0, 15_000);
  eq((await serverLog()).filter((e) => !e.replayed).length, 1, 'applied once');
  eq((await control('/api/_tasks'))[0].version, 2, 'the version moved once');
});

// ---------------------------------------------------------------------------------------------

let failed = 0;
let ran = 0;
for (const { name, fn } of tests) {
  if (filter && !name.includes(filter)) continue;
  ran++;
  await control('/api/_reset', {});
  const context = await browser.newContext();
  const started = Date.now();
  try {
    await fn(context);
    console.log(`ok - ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e && e.stack ? e.stack : e}`);
  } finally {
    await context.close().catch(() => {});
  }
}
console.log(`sync tests: ${ran - failed} passed, ${failed} failed`);
await browser.close();
await server.close();
process.exit(failed || !ran ? 1 : 0);
