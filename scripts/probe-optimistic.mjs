#!/usr/bin/env node
// Where an optimistic toggle's time goes (issue 16, scenario 4's row), in headless Chromium over
// the built pkg/: `node scripts/probe-optimistic.mjs [--calls=N]`. Informational, not a test.
//
// 1. The benchmark's pattern: one task in a `persist: false` store, an observer that reads the
//    query in its listener, `store.mutate` (an optimistic title update) awaited before the next.
//    Wrapping `StoreCore.prototype.mutate` and `sendMutation` splits each toggle into: JS before
//    the wasm call, the call, the batch applied up to the listener, the listener's read.
// 2. The same core call in a tight loop: `StoreCore.mutate` then `discardMutation` (offline, so
//    nothing is sent), nothing else in between; then (`mutateAfterTimeout`) the same with a
//    `setTimeout(0)` after each call, so the thread goes back to the event loop in between.
// Medians per stretch of calls, in microseconds (the page is cross-origin isolated: 5 us timer).
import { startStaticServer } from './static-server.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';

const CALLS = Number((process.argv.find((a) => a.startsWith('--calls=')) || '--calls=3000').slice(8));
const root = new URL('../pkg/', import.meta.url).pathname;
const server = await startStaticServer({
  root,
  handler(req, res) {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    const { pathname } = new URL(req.url, 'http://x');
    if (pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>probe</title>');
      return true;
    }
    if (pathname.startsWith('/api/')) {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body || '{}');
      });
      return true;
    }
    return false;
  },
});

async function inPage(calls) {
  const mod = await import('/index.js');
  const entities = { Task: { relations: { assignee: 'User', comments: ['Comment'] } }, User: {}, Comment: { relations: { author: 'User' } } };
  const task = { __typename: 'Task', id: 1, title: 't', done: false, priority: 1, assignee: { __typename: 'User', id: 1, name: 'U' }, comments: [1, 2].map((k) => ({ __typename: 'Comment', id: k, text: `c${k}`, author: { __typename: 'User', id: 2, name: 'V' } })) };
  const desc = (i) => ({ request: { method: 'PATCH', url: '/api/tasks/1', body: { title: `x${i}` } }, optimistic: [{ op: 'update', type: 'Task', id: 1, patch: { title: `x${i}` } }] });
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1] * 1000;
  const stretches = (cols) => {
    const out = [];
    const size = Math.floor(calls / 5);
    for (let from = 0; from + size <= calls; from += size) {
      const row = { from };
      for (const [name, xs] of Object.entries(cols)) row[name] = Math.round(med(xs.slice(from, from + size)));
      out.push(row);
    }
    return out;
  };

  // 1. The benchmark's pattern.
  const store = await mod.createStore({ persist: false, entities, defaults: { retry: 0 } });
  store.setQueryData(['task', 1], { task }, { shape: { task: 'Task' } });
  let heard = 0;
  let read = 0;
  store.subscribeQuery({ queryKey: ['task', 1] }, () => {
    heard = performance.now();
    store.getQueryData(['task', 1]);
    read = performance.now();
  });
  const proto = mod.__StoreCore.prototype;
  const { mutate, sendMutation } = proto;
  let c0 = 0;
  let c1 = 0;
  const cols = { total: [], jsBefore: [], wasmCall: [], toListener: [], sendMutation: [], listenerRead: [] };
  proto.mutate = function (...a) {
    c0 = performance.now();
    const r = mutate.apply(this, a);
    c1 = performance.now();
    return r;
  };
  proto.sendMutation = function (...a) {
    const t = performance.now();
    const r = sendMutation.apply(this, a);
    cols.sendMutation.push(performance.now() - t);
    return r;
  };
  try {
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      const p = store.mutate(desc(i));
      cols.total.push(read - t0);
      cols.jsBefore.push(c0 - t0);
      cols.wasmCall.push(c1 - c0);
      cols.toListener.push(heard - c1);
      cols.listenerRead.push(read - heard);
      await p;
    }
  } finally {
    Object.assign(proto, { mutate, sendMutation });
    store.close();
  }

  // 2. The core call alone, back to back.
  const core = new mod.__StoreCore(JSON.stringify({ persist: false, entities }));
  core.setLeader(true);
  core.setOnline(false);
  core.setQueryData('["task",1]', '["task",1]', JSON.stringify({ task }), '{"task":"Task"}');
  core.observe('["task",1]', '["task",1]', '{}');
  // 3. The same, with the thread given back to the event loop (setTimeout 0) between calls.
  const tight = { mutate: [], discard: [], mutateAfterTimeout: [] };
  for (let i = 0; i < 2 * calls; i++) {
    const json = JSON.stringify(desc(i));
    const t0 = performance.now();
    core.mutate(`m${i}`, json);
    const t1 = performance.now();
    core.discardMutation(`m${i}`);
    if (i < calls) {
      tight.mutate.push(t1 - t0);
      tight.discard.push(performance.now() - t1);
    } else {
      tight.mutateAfterTimeout.push(t1 - t0);
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  core.free();
  return { pattern: stretches(cols), tight: stretches(tight) };
}

const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
try {
  const page = await (await browser.newContext()).newPage();
  await page.goto(server.url + '/');
  const r = await page.evaluate(`(${inPage.toString()})(${CALLS})`);
  console.log('1. store.mutate -> listener, each awaited (us; total = through the listener\'s read)');
  console.table(r.pattern);
  console.log('2. StoreCore.mutate + discardMutation back to back, offline; then with setTimeout(0) between calls (us)');
  console.table(r.tight);
} finally {
  await browser.close();
  await server.close();
}
