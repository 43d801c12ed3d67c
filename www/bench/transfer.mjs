// The boundary transfer benchmark: how one change batch should cross from wasm to JS, and
// what the two hot paths (a large write, then repeated reads) cost against plain JS.
//
// Loaded by www/bench/transfer.html; driven headless by scripts/bench-transfer.mjs, which
// waits for `window.__bench` and writes www/bench/results/transfer.json. Numbers are
// reported, never asserted: the only checks here are correctness checks (sizes, identities,
// listener counts), recorded next to the numbers.
//
// Needs pkg/ (./scripts/build.sh) and target/bench-pkg/ (the `bench-transfer` feature build;
// see scripts/bench-transfer.mjs --build). The page is served from the repo root.

import { createStore } from '/pkg/index.js';
import initBench, { StoreCore as BenchCore } from '/target/bench-pkg/strata_wasm.js';
import { Snapshots } from '/src/js/snapshots.js';
import { hashKey } from '/src/js/keys.js';

const params = new URLSearchParams(location.search);
const RUNS = Math.max(7, Number(params.get('runs')) || 20);
const WARMUP = Math.max(1, Number(params.get('warmup')) || 3);

const TASKS = 10_000;
const USERS = 200;
const COMMENTS_PER_TASK = 3;
const READS = 100_000;
const READ_ROWS = 1_000;
const FAN_QUERIES = 1_000;
const FAN_ROWS = 10;

const entities = {
  Task: { relations: { assignee: 'User', comments: ['Comment'] } },
  User: {},
  Comment: { relations: { author: 'User' } },
};
const shape = ['Task'];
const optionsJson = JSON.stringify({ entities });
const shapeJson = JSON.stringify(shape);

const now = () => performance.now();
const tick = () => new Promise((r) => setTimeout(r, 0)); // lets the page breathe (and idle GC run) between runs
const log = (...a) => console.log('[bench]', ...a);

// ---- data ----------------------------------------------------------------------------------

function user(i) {
  return { id: i + 1, name: `User ${i + 1}`, email: `user${i + 1}@example.com` };
}

/** `count` tasks starting at id `first`; deterministic. */
function makeTasks(count, first = 1, assignee = (i) => user(i % USERS), author = (i, k) => user((i * 7 + k) % USERS)) {
  const out = new Array(count);
  for (let n = 0; n < count; n++) {
    const i = first + n;
    const comments = [];
    for (let k = 0; k < COMMENTS_PER_TASK; k++) {
      comments.push({ id: i * COMMENTS_PER_TASK + k, text: `Comment ${k + 1} on task ${i}: looks good to me`, author: author(i, k) });
    }
    out[n] = {
      id: i,
      title: `Task ${i}: do the thing number ${i}`,
      done: i % 3 === 0,
      priority: i % 5,
      assignee: assignee(i),
      comments,
    };
  }
  return out;
}

// ---- statistics ----------------------------------------------------------------------------

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const p95 = s[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]; // nearest rank
  return { median, p95, min: s[0], max: s[n - 1] };
}

const rows = [];
const checks = [];
const info = {};

/** Adds a reported row; `ratioTo` names the row whose median is the denominator. */
function row(id, scenario, name, samples, { unit = 'ms', ratioTo = null, perOp = null } = {}) {
  const r = { id, scenario, name, unit, runs: samples.length, ...stats(samples), ratioTo, samples };
  if (perOp) {
    // The samples are ms per `perOp` operations; also report ns per operation.
    const ns = samples.map((ms) => (ms * 1e6) / perOp);
    r.perOp = { ops: perOp, unit: 'ns', ...stats(ns) };
  }
  rows.push(r);
  return r;
}

function check(name, ok, detail) {
  checks.push({ name, ok: Boolean(ok), ...(detail === undefined ? {} : { detail }) });
  if (!ok) console.warn(`[bench] check failed: ${name}`, detail ?? '');
}

/**
 * Runs `fns` (name -> async () => { part: ms, ... }) WARMUP + RUNS times, interleaved and
 * in a rotating order so no variant always runs first (or right after a GC-heavy one).
 * Returns name -> part -> samples.
 */
async function interleaved(fns) {
  const names = Object.keys(fns);
  const out = Object.fromEntries(names.map((n) => [n, {}]));
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length];
      const parts = await fns[name]();
      await tick();
      if (i < WARMUP) continue;
      for (const [p, ms] of Object.entries(parts)) (out[name][p] ??= []).push(ms);
    }
  }
  return out;
}

// ---- scenarios 1-4: one big write --------------------------------------------------------

async function bigWrite() {
  const tasks = makeTasks(TASKS);
  const text = JSON.stringify(tasks);
  info.responseBytes = new TextEncoder().encode(text).length;
  info.entities = { Task: TASKS, User: USERS, Comment: TASKS * COMMENTS_PER_TASK };
  log(`response: ${TASKS} tasks, ${(info.responseBytes / 1e6).toFixed(2)} MB of JSON`);

  const key = ['tasks', { page: 1 }];
  const hash = hashKey(key);
  const keyJson = JSON.stringify(key);

  // Once, untimed: every path must yield the same snapshot.
  {
    const store = await createStore({ entities });
    store.setQueryData(key, JSON.parse(text), { shape });
    const viaStore = store.getQueryData(key);
    store.close();

    const coreA = new BenchCore(optionsJson);
    const batchText = coreA.setQueryData(hash, keyJson, text, shapeJson);
    info.batchJsonBytes = new TextEncoder().encode(batchText).length;
    const snapA = new Snapshots(entities);
    snapA.apply(batchText);
    const viaA = snapA.query(hash);
    coreA.free();

    const coreB = new BenchCore(optionsJson);
    const snapB = new Snapshots(entities);
    snapB.applyBatch(coreB.setQueryDataObjects(hash, keyJson, text, shapeJson));
    const viaB = snapB.query(hash);
    coreB.free();

    const expected = JSON.stringify(tasks);
    check('public API snapshot equals the response', JSON.stringify(viaStore) === expected);
    check('transfer A (JSON string) snapshot equals the response', JSON.stringify(viaA) === expected);
    check('transfer B (serde-wasm-bindgen) snapshot equals the response', JSON.stringify(viaB) === expected);
    check('snapshot has 10,000 rows', viaStore.length === TASKS, viaStore.length);
    check('a shared user is one object in the snapshot', viaStore[0].assignee === viaStore[USERS].assignee);
    check('transfer B snapshot shares users too', viaB[0].assignee === viaB[USERS].assignee);
  }

  let sink = 0;
  const samples = await interleaved({
    async baseline() {
      const t0 = now();
      const data = JSON.parse(text);
      const t1 = now();
      const again = JSON.stringify(data);
      const t2 = now();
      sink += data.length + again.length;
      return { parse: t1 - t0, stringify: t2 - t1 };
    },
    async store() {
      const store = await createStore({ entities });
      const t0 = now();
      const data = JSON.parse(text);
      const t1 = now();
      store.setQueryData(key, data, { shape });
      const t2 = now();
      const view = store.getQueryData(key);
      const t3 = now();
      sink += view.length;
      store.close();
      return { parse: t1 - t0, set: t2 - t1, read: t3 - t2, setTotal: t2 - t0, total: t3 - t0 };
    },
    async transferA() {
      const core = new BenchCore(optionsJson);
      const snap = new Snapshots(entities);
      const t0 = now();
      const batch = core.setQueryData(hash, keyJson, text, shapeJson);
      const t1 = now();
      const parsed = JSON.parse(batch); // snap.apply(batch) is exactly applyBatch(JSON.parse(batch))
      const t2 = now();
      snap.applyBatch(parsed);
      const t3 = now();
      const view = snap.query(hash);
      const t4 = now();
      sink += view.length;
      core.free();
      return { wasm: t1 - t0, apply: t3 - t1, applyParse: t2 - t1, wasmApply: t3 - t0, read: t4 - t3, total: t4 - t0 };
    },
    async transferB() {
      const core = new BenchCore(optionsJson);
      const snap = new Snapshots(entities);
      const t0 = now();
      const batch = core.setQueryDataObjects(hash, keyJson, text, shapeJson);
      const t1 = now();
      snap.applyBatch(batch);
      const t2 = now();
      const view = snap.query(hash);
      const t3 = now();
      sink += view.length;
      core.free();
      return { wasm: t1 - t0, apply: t2 - t1, wasmApply: t2 - t0, read: t3 - t2, total: t3 - t0 };
    },
  });
  info.bigWriteSink = sink;

  const b = samples.baseline;
  row('baseline.parse', 1, 'JSON.parse(response)', b.parse);
  row('baseline.stringify', 1, '(info) JSON.stringify(parsed)', b.stringify, { ratioTo: 'baseline.parse' });

  const s = samples.store;
  row('store.total', 2, 'public API: parse + setQueryData + first getQueryData', s.total, { ratioTo: 'baseline.parse' });
  row('store.setTotal', 2, '  JSON.parse + setQueryData', s.setTotal, { ratioTo: 'baseline.parse' });
  row('store.set', 2, '    of which setQueryData (stringify + wasm + apply)', s.set, { ratioTo: 'baseline.parse' });
  row('store.read', 2, '  first getQueryData (builds snapshot)', s.read, { ratioTo: 'baseline.parse' });

  const a = samples.transferA;
  row('A.total', 3, 'transfer A (JSON string): total', a.total, { ratioTo: 'baseline.parse' });
  row('A.wasm', 3, '  wasm setQueryData -> batch string', a.wasm, { ratioTo: 'baseline.parse' });
  row('A.apply', 3, '  apply (JSON.parse batch + applyBatch)', a.apply, { ratioTo: 'baseline.parse' });
  row('A.applyParse', 3, '    of which JSON.parse(batch)', a.applyParse, { ratioTo: 'baseline.parse' });
  row('A.wasmApply', 3, '  wasm call + apply (the transfer)', a.wasmApply, { ratioTo: 'baseline.parse' });
  row('A.read', 3, '  first snap.query (builds snapshot)', a.read, { ratioTo: 'baseline.parse' });

  const o = samples.transferB;
  row('B.total', 4, 'transfer B (serde-wasm-bindgen): total', o.total, { ratioTo: 'baseline.parse' });
  row('B.wasm', 4, '  wasm setQueryDataObjects -> objects', o.wasm, { ratioTo: 'baseline.parse' });
  row('B.apply', 4, '  applyBatch', o.apply, { ratioTo: 'baseline.parse' });
  row('B.wasmApply', 4, '  wasm call + apply (the transfer)', o.wasmApply, { ratioTo: 'baseline.parse' });
  row('B.read', 4, '  first snap.query (builds snapshot)', o.read, { ratioTo: 'baseline.parse' });
}

// ---- scenario 5: repeated reads ----------------------------------------------------------

async function repeatedReads() {
  const store = await createStore({ entities });
  const key = ['q', 1];
  store.setQueryData(key, makeTasks(READ_ROWS), { shape });
  const view = store.getQueryData(key);
  check('cached read query has 1,000 rows', view.length === READ_ROWS, view.length);
  const hash = hashKey(key);
  const map = new Map([[hash, view]]);

  // The same snapshots without the Store wrapper, to split wrapper cost from lookup cost.
  const snap = new Snapshots(entities);
  const core = new BenchCore(optionsJson);
  snap.apply(core.setQueryData(hash, JSON.stringify(key), JSON.stringify(makeTasks(READ_ROWS)), shapeJson));
  const snapView = snap.query(hash);
  core.free();

  const loops = {
    sameKey() {
      let hits = 0;
      const t0 = now();
      for (let i = 0; i < READS; i++) if (store.getQueryData(key) === view) hits++;
      const t1 = now();
      return { ms: t1 - t0, hits };
    },
    freshKey() {
      let hits = 0;
      const t0 = now();
      for (let i = 0; i < READS; i++) if (store.getQueryData(['q', 1]) === view) hits++;
      const t1 = now();
      return { ms: t1 - t0, hits };
    },
    snapQuery() {
      let hits = 0;
      const t0 = now();
      for (let i = 0; i < READS; i++) if (snap.query(hash) === snapView) hits++;
      const t1 = now();
      return { ms: t1 - t0, hits };
    },
    hashFresh() {
      let n = 0;
      const t0 = now();
      for (let i = 0; i < READS; i++) if (hashKey(['q', 1]) === hash) n++;
      const t1 = now();
      return { ms: t1 - t0, hits: n };
    },
    stringifyFresh() {
      let n = 0;
      const t0 = now();
      for (let i = 0; i < READS; i++) if (JSON.stringify(['q', 1]) === hash) n++;
      const t1 = now();
      return { ms: t1 - t0, hits: n };
    },
    mapGet() {
      let hits = 0;
      const t0 = now();
      for (let i = 0; i < READS; i++) if (map.get(hash) === view) hits++;
      const t1 = now();
      return { ms: t1 - t0, hits };
    },
  };
  const samples = await interleaved(
    Object.fromEntries(
      Object.entries(loops).map(([name, fn]) => [
        name,
        async () => {
          const { ms, hits } = fn();
          if (hits !== READS) throw new Error(`${name}: ${hits} of ${READS} reads returned the cached snapshot`);
          return { ms };
        },
      ]),
    ),
  );
  check('every repeated read returned the same snapshot object', true);
  store.close();

  row('read.map', 5, `Map.get(hash) x ${READS / 1000}k (baseline)`, samples.mapGet.ms, { perOp: READS });
  row('read.same', 5, `getQueryData(same key array) x ${READS / 1000}k`, samples.sameKey.ms, { ratioTo: 'read.map', perOp: READS });
  row('read.fresh', 5, `getQueryData(['q', 1] literal) x ${READS / 1000}k`, samples.freshKey.ms, { ratioTo: 'read.map', perOp: READS });
  row('read.snap', 5, `(info) snapshots.query(hash) x ${READS / 1000}k`, samples.snapQuery.ms, { ratioTo: 'read.map', perOp: READS });
  row('read.hash', 5, `(info) hashKey(['q', 1] literal) x ${READS / 1000}k`, samples.hashFresh.ms, { ratioTo: 'read.map', perOp: READS });
  row('read.stringify', 5, `(info) JSON.stringify(['q', 1]) x ${READS / 1000}k`, samples.stringifyFresh.ms, { ratioTo: 'read.map', perOp: READS });
}

// ---- scenario 6: fan-out -----------------------------------------------------------------

async function fanOut() {
  const shared = { id: 'fan', name: 'Shared User', email: 'shared@example.com' };
  const keys = [];
  const lists = [];
  for (let q = 0; q < FAN_QUERIES; q++) {
    keys.push(['list', q]);
    // 10 distinct tasks per list, all assigned to the one shared user (comments by others).
    lists.push(makeTasks(FAN_ROWS, q * FAN_ROWS + 1, () => ({ ...shared })));
  }

  let run = 0;
  const listenerCounts = [];
  const samples = await interleaved({
    async fanout() {
      const store = await createStore({ entities });
      for (let q = 0; q < FAN_QUERIES; q++) store.setQueryData(keys[q], lists[q], { shape });
      const before = keys.map((k) => store.getQueryData(k));
      let calls = 0;
      for (const queryKey of keys) store.subscribeQuery({ queryKey }, () => calls++);
      const name = `Renamed ${++run}`;

      const t0 = now();
      store.updateEntity('User', 'fan', { name });
      const t1 = now();
      let fresh = 0;
      for (let q = 0; q < FAN_QUERIES; q++) {
        const v = store.getQueryData(keys[q]);
        if (v !== before[q] && v[0].assignee.name === name) fresh++;
      }
      const t2 = now();

      listenerCounts.push(calls);
      if (fresh !== FAN_QUERIES) throw new Error(`fan-out: only ${fresh} of ${FAN_QUERIES} snapshots show the new name`);
      store.close();
      return { update: t1 - t0, reread: t2 - t1, total: t2 - t0 };
    },
  });
  const counts = [...new Set(listenerCounts)];
  info.fanOut = { queries: FAN_QUERIES, rowsPerQuery: FAN_ROWS, listenerCallsPerUpdate: counts.length === 1 ? counts[0] : counts };
  check(`fan-out: ${FAN_QUERIES} listener calls per update`, counts.length === 1 && counts[0] === FAN_QUERIES, counts);
  check('fan-out: every re-read snapshot is new and shows the new name', true);

  const f = samples.fanout;
  row('fan.total', 6, `fan-out: updateEntity + re-read ${FAN_QUERIES} queries`, f.total);
  row('fan.update', 6, '  updateEntity (wasm + apply + 1,000 listeners)', f.update);
  row('fan.reread', 6, `  re-read ${FAN_QUERIES} snapshots (rebuild)`, f.reread);
}

// ---- report ------------------------------------------------------------------------------

function timerResolution() {
  // The smallest nonzero step performance.now() shows (coarsened unless crossOriginIsolated).
  let min = Infinity;
  for (let i = 0; i < 50; i++) {
    const a = performance.now();
    let b = a;
    while (b === a) b = performance.now();
    min = Math.min(min, b - a);
  }
  return min;
}

function render() {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const html = [
    '<table><tr><th>scenario</th><th>median ms</th><th>p95 ms</th><th>ns/op</th><th>ratio</th></tr>',
    ...rows.map((r) => {
      const base = r.ratioTo && byId.get(r.ratioTo);
      const ratio = base ? `${(r.median / base.median).toFixed(2)}&times;` : '';
      const ns = r.perOp ? fmt(r.perOp.median) : '';
      return `<tr><td>${r.scenario}. ${r.name.replace(/ /g, '&nbsp;')}</td><td>${fmt(r.median)}</td><td>${fmt(r.p95)}</td><td>${ns}</td><td>${ratio}</td></tr>`;
    }),
    '</table>',
    `<pre>${checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}`).join('\n')}</pre>`,
  ];
  document.getElementById('out').innerHTML = html.join('\n');
}

async function main() {
  const started = now();
  await initBench({ module_or_path: '/target/bench-pkg/strata_wasm_bg.wasm' });
  info.userAgent = navigator.userAgent;
  info.crossOriginIsolated = globalThis.crossOriginIsolated === true;
  info.timerResolutionMs = timerResolution();
  log(`runs=${RUNS} warmup=${WARMUP}; timer resolution ${info.timerResolutionMs.toFixed(4)} ms`);

  log('scenarios 1-4: one 10,000-task write');
  await bigWrite();
  log('scenario 5: repeated reads');
  await repeatedReads();
  log('scenario 6: fan-out');
  await fanOut();

  info.durationMs = now() - started;
  render();
  document.getElementById('status').textContent = `done in ${(info.durationMs / 1000).toFixed(1)} s`;
  window.__bench = { ok: true, runs: RUNS, warmup: WARMUP, info, checks, rows };
}

main().catch((err) => {
  console.error(err);
  document.getElementById('status').textContent = `failed: ${err.message}`;
  window.__bench = { ok: false, error: String(err.stack || err), info, checks, rows };
});
