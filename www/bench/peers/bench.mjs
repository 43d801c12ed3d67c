// strata next to its peers, on the same data in one page: Apollo Client's InMemoryCache,
// TanStack Query's QueryClient (query-core), normalizr, and raw IndexedDB (scenarios 5 and 6:
// the offline outbox and the cold start from persisted data). Scenario 8 (push fan-out) feeds
// strata's real connection (store.connect) from a stream this page answers its fetch with.
// Scenario 9 (infinite query) fills 20 pages through fetchNextPage and refetches them, beside
// TanStack's InfiniteQueryObserver.
//
// Loaded by www/bench/peers/index.html; driven headless by scripts/bench-peers.mjs, which
// installs and bundles the pinned peers into ./dist/peers.js, serves the repo root with the
// test API (tests/server/api.mjs) under /api/ and cross-origin isolation headers (so
// performance.now() has a fine resolution), waits for `window.__bench` and writes
// www/bench/results/peers.json. strata is loaded from /pkg/index.js exactly as an app would.
//
// Numbers are reported, never asserted. The checks here are correctness checks (each read
// equals the input, notification counts), recorded next to the numbers.
//
// Every system gets the same response TEXT and does its own JSON.parse. The text carries
// `__typename` on every object (Apollo needs it to normalize; for strata, TanStack and
// normalizr it is one more plain field).
//
// Scenarios 5 and 6 give every run IndexedDB databases of its own (named bench-*-<tag>-<n>,
// strata's are strata:bench-...) and delete them after it; the data a run reads or writes is
// set up untimed before it.

import { capture, boundaryFloor } from './floor.mjs';
import { createStore } from '/pkg/index.js';
// Only for the untimed probes of scenarios 5 and 6 (where the time goes): the wasm class the
// package's store drives, from the same module instance (an internal export of the entry).
import { __StoreCore as StoreCore } from '/pkg/index.js';
import { liveQueries } from './live.mjs';
import { InMemoryCache, gql, cacheSizes, QueryClient, QueryObserver, InfiniteQueryObserver, notifyManager, dehydrate, hydrate, normalize, denormalize, schema } from './dist/peers.js';

const params = new URLSearchParams(location.search);
const RUNS = Math.max(3, Number(params.get('runs')) || 15);
const WARMUP = Math.max(1, Number(params.get('warmup')) || 3);
const CALLS = Math.max(10, Number(params.get('calls')) || 1000); // scenario 4
const CALL_WARMUP = Math.max(10, Math.round(CALLS / 10));
// (info) variants that are slow and only give context run fewer times.
const INFO_RUNS = Math.min(RUNS, 5);
const INFO_WARMUP = 1;
// Scenarios 5 and 6 set up a database per run (seconds each): their own run counts.
const OUTBOX_RUNS = Math.max(3, Number(params.get('outboxRuns')) || RUNS);
const OUTBOX_WARMUP = Math.max(1, Number(params.get('outboxWarmup')) || WARMUP);
const COLD_RUNS = Math.max(3, Number(params.get('coldRuns')) || RUNS);
const COLD_WARMUP = Math.max(1, Number(params.get('coldWarmup')) || WARMUP);
const ONLY = new Set((params.get('only') || '').split(',').filter(Boolean)); // e.g. ?only=1,7 (debugging)

const TASKS = 10_000;
const USERS = 200;
const COMMENTS_PER_TASK = 3;
const FAN_QUERIES = 1_000;
const FAN_ROWS = 10;
const PRECISE_QUERY = 500; // scenario 3 updates a task of this list only
const PRECISE_ROW = 4;
const READ_ROWS = 1_000;
const READS = 100_000;
const NOTIFY_TIMEOUT_MS = 5_000;

const now = () => performance.now();
const log = (...a) => console.log('[bench]', ...a);

// A macrotask that is not a timer: yielding with setTimeout from inside timer callbacks would
// nest timers, and Chromium clamps nested setTimeout(0) to 4 ms, which would then show up in
// TanStack's notifications (scheduled with setTimeout(0)) as an artefact of this harness.
const channel = new MessageChannel();
const yieldQueue = [];
channel.port1.onmessage = () => yieldQueue.shift()?.();
const yieldTask = () => new Promise((r) => { yieldQueue.push(r); channel.port2.postMessage(0); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- systems' definitions --------------------------------------------------------------------

// strata: the entity types.
const entities = {
  Task: { relations: { assignee: 'User', comments: ['Comment'] } },
  User: {},
  Comment: { relations: { author: 'User' } },
};
const TASKS_SHAPE = { tasks: ['Task'] };
const LIST_SHAPE = { list: ['Task'] };
const TASK_SHAPE = { task: 'Task' };

// Apollo: the same identity (`id` of each type) as type policies, and documents selecting
// every field of the data. Its result caches are LRUs (cacheSizes, read when a cache is
// created); with the defaults (executeSelectionSet 50,000, executeSubSelectedArray 10,000)
// the 1,000 lists of scenarios 2-3 (81,000 selection results, 11,000 arrays) do not fit, and
// every eviction dirties the watches above it, so each write re-reads every list. The headline
// Apollo rows use caches large enough for the working set (Apollo's documented tuning); the
// defaults are measured as (info) rows.
const typePolicies = { Task: { keyFields: ['id'] }, User: { keyFields: ['id'] }, Comment: { keyFields: ['id'] } };
const APOLLO_SIZES = {
  'inMemoryCache.executeSelectionSet': 1_000_000,
  'inMemoryCache.executeSubSelectedArray': 1_000_000,
  'inMemoryCache.maybeBroadcastWatch': 100_000,
};
function newApollo({ sized = true, policies = true } = {}) {
  const saved = { ...cacheSizes };
  if (sized) Object.assign(cacheSizes, APOLLO_SIZES);
  try {
    return new InMemoryCache(policies ? { typePolicies } : {});
  } finally {
    for (const k of Object.keys(APOLLO_SIZES)) {
      if (k in saved) cacheSizes[k] = saved[k];
      else delete cacheSizes[k];
    }
  }
}
const USER_SEL = '__typename id name email';
const TASK_SEL = `__typename id title done priority assignee { ${USER_SEL} } comments { __typename id text author { ${USER_SEL} } }`;
const TASKS_QUERY = gql(`query Tasks { tasks { ${TASK_SEL} } }`);
const LIST_QUERY = gql(`query List($q: Int!) { list(q: $q) { ${TASK_SEL} } }`);
const TASK_QUERY = gql(`query Task { task { ${TASK_SEL} } }`);
const USER_NAME = gql('fragment UserName on User { name }');
const TASK_TITLE = gql('fragment TaskTitle on Task { title }');

// normalizr: the same schema.
const nUser = new schema.Entity('User');
const nComment = new schema.Entity('Comment', { author: nUser });
const nTask = new schema.Entity('Task', { assignee: nUser, comments: [nComment] });
const nResponse = { tasks: [nTask] };

// TanStack: no normalization; nothing refetches on its own.
const newQueryClient = () =>
  new QueryClient({
    defaultOptions: { queries: { staleTime: Infinity, gcTime: Infinity, retry: false, refetchOnWindowFocus: false, refetchOnReconnect: false } },
  });

// ---- data ------------------------------------------------------------------------------------

function user(i) {
  return { __typename: 'User', id: i + 1, name: `User ${i + 1}`, email: `user${i + 1}@example.com` };
}

/** `count` tasks starting at id `first`; deterministic (the same tasks as www/bench/transfer.mjs plus __typename). */
function makeTasks(count, first = 1, assignee = (i) => user(i % USERS)) {
  const out = new Array(count);
  for (let n = 0; n < count; n++) {
    const i = first + n;
    const comments = [];
    for (let k = 0; k < COMMENTS_PER_TASK; k++) {
      comments.push({ __typename: 'Comment', id: i * COMMENTS_PER_TASK + k, text: `Comment ${k + 1} on task ${i}: looks good to me`, author: user((i * 7 + k) % USERS) });
    }
    out[n] = { __typename: 'Task', id: i, title: `Task ${i}: do the thing number ${i}`, done: i % 3 === 0, priority: i % 5, assignee: assignee(i), comments };
  }
  return out;
}

/** Deep equality of JSON values (key order ignored). */
function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual(a[k], b[k])) return false;
  return true;
}

// What a TanStack user writes to change one entity inside cached lists: copy along the
// changed paths; `undefined` leaves a query untouched (no notification).
function patchUserInList(old, userId, patch) {
  if (!old) return undefined;
  let changed = false;
  const list = old.list.map((t) => {
    let task = t;
    if (t.assignee && t.assignee.id === userId) task = { ...task, assignee: { ...t.assignee, ...patch } };
    let commentsChanged = false;
    const comments = t.comments.map((c) => {
      if (!c.author || c.author.id !== userId) return c;
      commentsChanged = true;
      return { ...c, author: { ...c.author, ...patch } };
    });
    if (commentsChanged) task = { ...task, comments };
    if (task !== t) changed = true;
    return task;
  });
  return changed ? { ...old, list } : undefined;
}

function patchTaskInList(old, taskId, patch) {
  if (!old) return undefined;
  const at = old.list.findIndex((t) => t.id === taskId);
  if (at < 0) return undefined;
  const list = old.list.slice();
  list[at] = { ...list[at], ...patch };
  return { ...old, list };
}

// ---- statistics and reporting ---------------------------------------------------------------

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const p95 = s[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]; // nearest rank
  return { median, p95, min: s[0], max: s[n - 1] };
}

const rows = [];
const checks = [];
const notMeasured = [];
const info = {};

/**
 * A reported row. `system`: 'strata' | 'apollo' | 'tanstack' | 'normalizr' | 'baseline'.
 * `vs`: the id of the strata row this row is compared with (ratio strata/this, printed).
 * `headline`: the row a scenario's goal is judged on.
 */
function row(id, scenario, system, name, samples, { perOp = null, rate = null, vs = null, headline = false, info: isInfo = false } = {}) {
  const r = { id, scenario, system, name, unit: 'ms', runs: samples.length, ...stats(samples), vs, headline, info: isInfo, samples };
  if (perOp) {
    r.perOp = { count: perOp, unit: 'ns' };
    for (const k of ['median', 'p95', 'min', 'max']) r.perOp[k] = (r[k] * 1e6) / perOp;
  }
  if (rate) {
    // Throughput of `rate` operations per sample: the median sample's, and the p95 sample's.
    r.rate = { count: rate, unit: 'per s', median: (rate * 1000) / r.median, p95: (rate * 1000) / r.p95 };
  }
  rows.push(r);
  return r;
}

function check(name, ok, detail) {
  checks.push({ name, ok: Boolean(ok), ...(detail === undefined ? {} : { detail }) });
  if (!ok) console.warn(`[bench] check failed: ${name}`, detail === undefined ? '' : JSON.stringify(detail));
}

/**
 * Runs `fns` (name -> async () => { part: ms, ... }) WARMUP + RUNS times, interleaved and in a
 * rotating order so no system always runs first (or right after a GC-heavy one), each after a
 * full garbage collection.
 */
async function interleaved(fns, { runs = RUNS, warmup = WARMUP } = {}) {
  const names = Object.keys(fns);
  const out = Object.fromEntries(names.map((n) => [n, {}]));
  for (let i = 0; i < warmup + runs; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length];
      // A full collection first (CDP, when the runner provides it): the garbage of the system
      // before (Apollo's runs leave hundreds of MB) is not collected on this one's clock.
      if (typeof window.__benchHeap === 'function') await window.__benchHeap();
      const parts = await fns[name](i >= warmup);
      await yieldTask();
      if (i < warmup) continue;
      for (const [p, ms] of Object.entries(parts)) (out[name][p] ??= []).push(ms);
    }
    await sleep(0); // let idle-time GC run between rounds
  }
  return out;
}

/** Counts observer notifications; `doneAt` is when the expected count was reached. */
function makeLatch() {
  let expected = Infinity;
  let count = 0;
  let doneAt = 0;
  let resolve = null;
  return {
    reset(n) { expected = n; count = 0; doneAt = 0; resolve = null; },
    hit() {
      if (++count === expected) {
        doneAt = now();
        resolve?.();
      }
    },
    get count() { return count; },
    get doneAt() { return doneAt; },
    wait(timeoutMs = NOTIFY_TIMEOUT_MS) {
      if (count >= expected) return Promise.resolve(true);
      return new Promise((r) => {
        const timer = setTimeout(() => { resolve = null; r(false); }, timeoutMs);
        resolve = () => { clearTimeout(timer); resolve = null; r(true); };
      });
    },
  };
}

// ---- scenario 1: ingest ---------------------------------------------------------------------

async function ingest() {
  const text = JSON.stringify({ tasks: makeTasks(TASKS) });
  const expected = JSON.parse(text);
  info.ingest = {
    responseBytes: new TextEncoder().encode(text).length,
    tasks: TASKS, users: USERS, comments: TASKS * COMMENTS_PER_TASK,
    entities: TASKS + USERS + TASKS * COMMENTS_PER_TASK,
  };
  log(`1. ingest: ${TASKS} tasks, ${(info.ingest.responseBytes / 1e6).toFixed(2)} MB of JSON`);
  const key = ['tasks'];

  // strata as an app creates it (persistence on, the default) under a name of its own, so
  // nothing is hydrated from an earlier run; the cache write it schedules (200 ms later) is
  // done by close() after the timed part, and the database is deleted before the next run.
  const strataIngest = (persist) => async () => {
    const name = freshName('ingest');
    const store = await createStore({ name, entities, ...(persist ? {} : { persist: false }) });
    const t0 = now();
    const data = JSON.parse(text);
    const t1 = now();
    store.setQueryData(key, data, { shape: TASKS_SHAPE });
    const t2 = now();
    const view = store.getQueryData(key);
    const t3 = now();
    const done = async () => {
      store.close();
      if (persist) await idbDelete(strataDb(name)); // waits for the store's last write
    };
    return { times: { parse: t1 - t0, write: t2 - t1, read: t3 - t2, total: t3 - t0 }, view, done };
  };
  const systems = {
    strata: strataIngest(true),
    strataMemory: strataIngest(false), // (info) persist: false
    async apollo() {
      const cache = newApollo();
      const t0 = now();
      const data = JSON.parse(text);
      const t1 = now();
      cache.writeQuery({ query: TASKS_QUERY, data });
      const t2 = now();
      const view = cache.readQuery({ query: TASKS_QUERY });
      const t3 = now();
      return { times: { parse: t1 - t0, write: t2 - t1, read: t3 - t2, total: t3 - t0 }, view };
    },
    async apolloDefaultSizes() {
      // (info) Apollo with its default result-cache sizes.
      const cache = newApollo({ sized: false });
      const t0 = now();
      const data = JSON.parse(text);
      const t1 = now();
      cache.writeQuery({ query: TASKS_QUERY, data });
      const t2 = now();
      const view = cache.readQuery({ query: TASKS_QUERY });
      const t3 = now();
      return { times: { parse: t1 - t0, write: t2 - t1, read: t3 - t2, total: t3 - t0 }, view };
    },
    async apolloDefaultIds() {
      // (info) Apollo without typePolicies: the default dataIdFromObject (`Task:1`).
      const cache = newApollo({ policies: false });
      const t0 = now();
      const data = JSON.parse(text);
      const t1 = now();
      cache.writeQuery({ query: TASKS_QUERY, data });
      const t2 = now();
      const view = cache.readQuery({ query: TASKS_QUERY });
      const t3 = now();
      return { times: { parse: t1 - t0, write: t2 - t1, read: t3 - t2, total: t3 - t0 }, view };
    },
    async normalizr() {
      const t0 = now();
      const data = JSON.parse(text);
      const t1 = now();
      const normalized = normalize(data, nResponse);
      const t2 = now();
      const view = denormalize(normalized.result, nResponse, normalized.entities);
      const t3 = now();
      return { times: { parse: t1 - t0, write: t2 - t1, read: t3 - t2, total: t3 - t0 }, view };
    },
    async tanstack() {
      const client = newQueryClient();
      const t0 = now();
      const data = JSON.parse(text);
      const t1 = now();
      client.setQueryData(key, data);
      const t2 = now();
      const view = client.getQueryData(key);
      const t3 = now();
      return { times: { parse: t1 - t0, write: t2 - t1, read: t3 - t2, total: t3 - t0 }, view, done: () => client.clear() };
    },
    async baseline() {
      const t0 = now();
      const view = JSON.parse(text);
      const t1 = now();
      return { times: { total: t1 - t0 }, view };
    },
  };

  // Once, untimed: every system's first read equals the input.
  for (const [name, run] of Object.entries(systems)) {
    const r = await run();
    check(`1. ${name}: first read deep-equals the response`, deepEqual(r.view, expected));
    if (name !== 'baseline' && name !== 'tanstack') {
      const v = r.view.tasks;
      check(`1. ${name}: a shared user is one object in the result`, v[0].assignee === v[USERS].assignee);
    }
    await r.done?.();
    await yieldTask();
  }

  let sink = 0;
  const timed = (names, runOpts) =>
    interleaved(
      Object.fromEntries(
        names.map((name) => [
          name,
          async () => {
            const r = await systems[name]();
            sink += r.view.tasks.length;
            await r.done?.();
            return r.times;
          },
        ]),
      ),
      runOpts,
    );
  // All three Apollo configurations get full runs here: the goal is judged on the fastest.
  const s = await timed(['baseline', 'strata', 'apollo', 'normalizr', 'tanstack', 'apolloDefaultSizes', 'apolloDefaultIds', 'strataMemory']);
  info.ingest.sink = sink;

  row('ingest.baseline', 1, 'baseline', 'JSON.parse(response) only', s.baseline.total, { vs: 'ingest.strata', info: true });
  row('ingest.strata', 1, 'strata', 'parse + setQueryData + first getQueryData', s.strata.total, { headline: true });
  row('ingest.apollo', 1, 'apollo', 'parse + writeQuery + first readQuery (sized caches)', s.apollo.total, { vs: 'ingest.strata', headline: true });
  row('ingest.normalizr', 1, 'normalizr', 'parse + normalize + denormalize', s.normalizr.total, { vs: 'ingest.strata', headline: true });
  row('ingest.tanstack', 1, 'tanstack', 'parse + setQueryData + getQueryData', s.tanstack.total, { vs: 'ingest.strata', headline: true });
  row('ingest.apolloDefaultSizes', 1, 'apollo', 'same, default cache sizes', s.apolloDefaultSizes.total, { vs: 'ingest.strata', headline: true });
  row('ingest.apolloDefaultIds', 1, 'apollo', 'same, sized caches, default ids (no typePolicies)', s.apolloDefaultIds.total, { vs: 'ingest.strata', headline: true });
  row('ingest.strataMemory', 1, 'strata', '(info) strata with persist: false', s.strataMemory.total, { vs: 'ingest.strata', info: true });
  for (const [sys, label, w, r] of [
    ['strata', 'strata', 'setQueryData', 'first getQueryData'],
    ['apollo', 'apollo', 'writeQuery', 'first readQuery'],
    ['normalizr', 'normalizr', 'normalize', 'denormalize'],
    ['tanstack', 'tanstack', 'setQueryData', 'getQueryData'],
  ]) {
    row(`ingest.${sys}.parse`, 1, label, '  of which JSON.parse', s[sys].parse, { vs: sys === 'strata' ? null : 'ingest.strata.parse', info: true });
    row(`ingest.${sys}.write`, 1, label, `  of which ${w}`, s[sys].write, { vs: sys === 'strata' ? null : 'ingest.strata.write', info: true });
    row(`ingest.${sys}.read`, 1, label, `  of which ${r}`, s[sys].read, { vs: sys === 'strata' ? null : 'ingest.strata.read', info: true });
  }
}

// ---- scenarios 2 and 3: fan-out and precise update ------------------------------------------

const SHARED = { __typename: 'User', id: 'fan', name: 'Shared User', email: 'shared@example.com' };

function listTexts() {
  const texts = [];
  // 10 distinct tasks per list, all assigned to the one shared user (comments by others).
  for (let q = 0; q < FAN_QUERIES; q++) texts.push(JSON.stringify({ list: makeTasks(FAN_ROWS, q * FAN_ROWS + 1, () => ({ ...SHARED })) }));
  return texts;
}
const preciseTaskId = PRECISE_QUERY * FAN_ROWS + PRECISE_ROW + 1;

async function strataLists(texts) {
  // In memory (persist: false): a persisted store would also write the changed records to
  // IndexedDB 200 ms after each update, outside the timed part.
  const store = await createStore({ entities, persist: false });
  const keys = texts.map((_, q) => ['list', q]);
  texts.forEach((t, q) => store.setQueryData(keys[q], JSON.parse(t), { shape: LIST_SHAPE }));
  const snaps = keys.map((k) => store.getQueryData(k));
  const latch = makeLatch();
  // An observer: on notification it takes its new snapshot (as useSyncExternalStore does).
  keys.forEach((queryKey, q) => store.subscribeQuery({ queryKey }, () => { snaps[q] = store.getQueryData(keys[q]); latch.hit(); }));
  return {
    latch, snaps,
    list: (q) => snaps[q].list,
    updateUser: (name) => store.updateEntity('User', 'fan', { name }),
    updateTask: (id, title) => store.updateEntity('Task', id, { title }),
    close: () => store.close(),
  };
}

function apolloLists(texts, options) {
  const cache = newApollo(options);
  texts.forEach((t, q) => cache.writeQuery({ query: LIST_QUERY, variables: { q }, data: JSON.parse(t) }));
  const snaps = new Array(texts.length);
  const latch = makeLatch();
  // cache.watch is what Apollo's ObservableQuery uses; `immediate` delivers the current
  // result now (not counted), so later broadcasts compare against it.
  const stops = texts.map((_, q) =>
    cache.watch({ query: LIST_QUERY, variables: { q }, optimistic: true, immediate: true, callback: (diff) => { snaps[q] = diff.result; latch.hit(); } }),
  );
  const userId = cache.identify({ __typename: 'User', id: 'fan' });
  return {
    latch, snaps,
    list: (q) => snaps[q].list,
    updateUser: (name) => cache.writeFragment({ id: userId, fragment: USER_NAME, data: { __typename: 'User', name } }),
    updateTask: (id, title) => cache.writeFragment({ id: cache.identify({ __typename: 'Task', id }), fragment: TASK_TITLE, data: { __typename: 'Task', title } }),
    close: () => stops.forEach((stop) => stop()),
  };
}

function tanstackLists(texts) {
  const client = newQueryClient();
  const keys = texts.map((_, q) => ['list', q]);
  texts.forEach((t, q) => client.setQueryData(keys[q], JSON.parse(t)));
  const snaps = new Array(texts.length);
  const latch = makeLatch();
  const stops = keys.map((queryKey, q) => {
    const observer = new QueryObserver(client, { queryKey, enabled: false, staleTime: Infinity });
    snaps[q] = observer.getCurrentResult().data;
    return observer.subscribe((result) => { snaps[q] = result.data; latch.hit(); });
  });
  return {
    latch, snaps,
    list: (q) => snaps[q].list,
    // A TanStack user does not know which queries hold the entity: every cached list is
    // visited and rewritten where it appears.
    updateUser: (name) => client.setQueriesData({ queryKey: ['list'] }, (old) => patchUserInList(old, 'fan', { name })),
    updateTask: (id, title) => client.setQueriesData({ queryKey: ['list'] }, (old) => patchTaskInList(old, id, { title })),
    close: () => { stops.forEach((stop) => stop()); client.clear(); },
  };
}

/** One update: the sync part, and the time until `expected` observers have their new snapshot. */
async function measureUpdate(sys, expected, update) {
  sys.latch.reset(expected);
  const t0 = now();
  update();
  const t1 = now();
  const reached = await sys.latch.wait();
  const total = (reached ? sys.latch.doneAt : now()) - t0;
  await sleep(0); // late notifications land in the count
  await yieldTask();
  return { sync: t1 - t0, total, count: sys.latch.count, reached };
}

/** Scenarios 2 and 3 on `systems` (name -> lists system); checks are recorded per system. */
async function fanAndPreciseRuns(systems, texts, runOpts) {
  for (const [name, sys] of Object.entries(systems)) {
    let same = true;
    for (let q = 0; q < FAN_QUERIES; q++) if (!deepEqual(sys.list(q), JSON.parse(texts[q]).list)) { same = false; break; }
    check(`2. ${name}: every observer's initial snapshot deep-equals its response`, same);
  }
  const names = Object.keys(systems);
  const perSystem = () => Object.fromEntries(names.map((n) => [n, []]));

  // Scenario 2: the shared user is renamed; every list must see it.
  const fanCounts = perSystem();
  const fanStale = Object.fromEntries(names.map((n) => [n, 0]));
  const fan = await interleaved(
    Object.fromEntries(
      Object.entries(systems).map(([name, sys]) => [
        name,
        async (recorded) => {
          const newName = `Renamed ${++listGeneration}`;
          const r = await measureUpdate(sys, FAN_QUERIES, () => sys.updateUser(newName));
          let fresh = 0;
          for (let q = 0; q < FAN_QUERIES; q++) if (sys.list(q)[0].assignee.name === newName && sys.list(q)[FAN_ROWS - 1].assignee.name === newName) fresh++;
          if (recorded) { fanCounts[name].push(r.count); fanStale[name] += FAN_QUERIES - fresh; }
          return { sync: r.sync, total: r.total };
        },
      ]),
    ),
    runOpts,
  );
  for (const name of names) {
    const counts = [...new Set(fanCounts[name])];
    check(`2. ${name}: ${FAN_QUERIES} notifications per update`, counts.length === 1 && counts[0] === FAN_QUERIES, counts);
    check(`2. ${name}: every observer's snapshot shows the new name after each update`, fanStale[name] === 0, { staleSnapshots: fanStale[name] });
  }

  // Scenario 3: one task of one list is retitled; exactly that list's observer is notified.
  const preciseCounts = perSystem();
  const preciseBad = Object.fromEntries(names.map((n) => [n, 0]));
  const precise = await interleaved(
    Object.fromEntries(
      Object.entries(systems).map(([name, sys]) => [
        name,
        async (recorded) => {
          const title = `Retitled ${++listGeneration}`;
          const before = sys.snaps.slice();
          const r = await measureUpdate(sys, 1, () => sys.updateTask(preciseTaskId, title));
          let bad = sys.list(PRECISE_QUERY)[PRECISE_ROW].title === title ? 0 : 1;
          for (let q = 0; q < FAN_QUERIES; q++) if (q !== PRECISE_QUERY && sys.snaps[q] !== before[q]) bad++;
          if (recorded) { preciseCounts[name].push(r.count); preciseBad[name] += bad; }
          return { sync: r.sync, total: r.total };
        },
      ]),
    ),
    runOpts,
  );
  for (const name of names) {
    const counts = [...new Set(preciseCounts[name])];
    check(`3. ${name}: 1 notification per update`, counts.length === 1 && counts[0] === 1, counts);
    check(`3. ${name}: the one list shows the new title, the 999 others keep their snapshot (===)`, preciseBad[name] === 0, { wrong: preciseBad[name] });
  }
  const distinct = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [...new Set(v)]]));
  return { fan, precise, fanNotifications: distinct(fanCounts), preciseNotifications: distinct(preciseCounts) };
}

let listGeneration = 0;

async function fanOutAndPrecise() {
  const texts = listTexts();
  log(`2/3. ${FAN_QUERIES} list queries x ${FAN_ROWS} tasks, all assigned to one user`);
  const systems = { strata: await strataLists(texts), apollo: apolloLists(texts), tanstack: tanstackLists(texts) };
  const main = await fanAndPreciseRuns(systems, texts);
  for (const sys of Object.values(systems)) sys.close();
  await sleep(0);

  log(`2/3. (info) Apollo with its default cache sizes, ${INFO_RUNS} runs`);
  const defaults = apolloLists(texts, { sized: false });
  const extra = await fanAndPreciseRuns({ apolloDefaultSizes: defaults }, texts, { runs: INFO_RUNS, warmup: INFO_WARMUP });
  defaults.close();

  info.fanOut = { queries: FAN_QUERIES, rowsPerQuery: FAN_ROWS, notificationsPerUpdate: { ...main.fanNotifications, ...extra.fanNotifications } };
  info.precise = { queries: FAN_QUERIES, taskId: preciseTaskId, notificationsPerUpdate: { ...main.preciseNotifications, ...extra.preciseNotifications } };
  const { fan, precise } = main;
  row('fan.strata', 2, 'strata', 'updateEntity -> 1,000 listeners re-read getQueryData', fan.strata.total, { headline: true });
  row('fan.apollo', 2, 'apollo', 'writeFragment -> 1,000 cache.watch callbacks (sized caches)', fan.apollo.total, { vs: 'fan.strata', headline: true });
  row('fan.tanstack', 2, 'tanstack', 'setQueriesData (all lists) -> 1,000 observers', fan.tanstack.total, { vs: 'fan.strata', headline: true });
  row('fan.apolloDefaultSizes', 2, 'apollo', `(info) Apollo, default cache sizes (${INFO_RUNS} runs)`, extra.fan.apolloDefaultSizes.total, { vs: 'fan.strata', info: true });
  row('precise.strata', 3, 'strata', 'updateEntity -> 1 listener re-reads getQueryData', precise.strata.total, { headline: true });
  row('precise.apollo', 3, 'apollo', 'writeFragment -> 1 cache.watch callback (sized caches)', precise.apollo.total, { vs: 'precise.strata', headline: true });
  row('precise.tanstack', 3, 'tanstack', 'setQueriesData (visits 1,000) -> 1 observer', precise.tanstack.total, { vs: 'precise.strata', headline: true });
  row('precise.apolloDefaultSizes', 3, 'apollo', `(info) Apollo, default cache sizes (${INFO_RUNS} runs)`, extra.precise.apolloDefaultSizes.total, { vs: 'precise.strata', info: true });
}

// ---- scenario 4: optimistic latency -----------------------------------------------------------

async function optimistic() {
  const taskText = JSON.stringify({ task: makeTasks(1)[0] });
  log(`4. optimistic update of Task 1: ${CALL_WARMUP} warm-up + ${CALLS} calls per system, interleaved`);
  await fetch('/api/_reset', { method: 'POST' });

  // strata: the real mutation; the request goes to the test API (PATCH /api/tasks/1). As an
  // app has it, the store persists (the default): each mutation's record is written (strict)
  // before it is sent, and deleted once acknowledged. (info) `strataMemory`: persist: false.
  async function strataTask(persist) {
    const name = freshName('optimistic');
    const store = await createStore({ name, entities, defaults: { retry: 0 }, ...(persist ? {} : { persist: false }) });
    store.setQueryData(['task', 1], JSON.parse(taskText), { shape: TASK_SHAPE });
    const st = { store, name, persist, pending: false, at: 0, title: null, notes: 0, failures: [], acked: 0, samples: [], sync: 0, wrong: 0 };
    store.subscribeQuery({ queryKey: ['task', 1] }, () => {
      st.notes++;
      const v = store.getQueryData(['task', 1]);
      if (st.pending) { st.pending = false; st.at = now(); st.title = v.task.title; }
    });
    st.call = async (recorded, title) => {
      st.pending = true;
      const t0 = now();
      const promise = store.mutate({
        request: { method: 'PATCH', url: '/api/tasks/1', body: { title } },
        optimistic: [{ op: 'update', type: 'Task', id: 1, patch: { title } }],
      });
      const t1 = now();
      const sync = !st.pending;
      if (st.pending) { st.pending = false; st.at = t1; } // never notified during the call
      if (recorded) {
        st.samples.push(st.at - t0);
        if (sync) st.sync++;
        if (st.title !== title) st.wrong++;
      }
      try { await promise; st.acked++; } catch (err) { st.failures.push(String(err && (err.code || err.message))); }
    };
    // Every write of its outbox done (the deletes after the last acknowledgements), then gone.
    st.close = async () => {
      await store.flush();
      store.close();
      if (persist) await idbDelete(strataDb(name));
    };
    return st;
  }
  const st = await strataTask(true);
  const sm = await strataTask(false);
  const store = st.store;

  // Apollo: an optimistic layer, as ApolloClient.mutate({ optimisticResponse }) records it.
  const cache = newApollo();
  cache.writeQuery({ query: TASK_QUERY, data: JSON.parse(taskText) });
  const taskId = cache.identify({ __typename: 'Task', id: 1 });
  const ap = { pending: false, at: 0, title: null, notes: 0 };
  const stopApollo = cache.watch({
    query: TASK_QUERY, optimistic: true, immediate: true,
    callback: (diff) => {
      ap.notes++;
      if (ap.pending) { ap.pending = false; ap.at = now(); ap.title = diff.result.task.title; }
    },
  });
  ap.notes = 0;

  // TanStack: onMutate-style setQueryData. A query-core QueryObserver listener runs inside
  // setQueryData; React's useQuery wraps its listener in notifyManager.batchCalls, which
  // delivers it in a setTimeout(0) batch: that is the (info) `tanstackReact` variant.
  function tanstackTask(wrap) {
    const client = newQueryClient();
    client.setQueryData(['task', 1], JSON.parse(taskText));
    const observer = new QueryObserver(client, { queryKey: ['task', 1], enabled: false, staleTime: Infinity });
    const t = { client, pending: false, at: 0, title: null, notes: 0, resolve: null, samples: [], set: [], sync: 0, late: 0, wrong: 0 };
    t.stop = observer.subscribe(wrap((result) => {
      t.notes++;
      if (t.pending) { t.pending = false; t.at = now(); t.title = result.data.task.title; t.resolve?.(); }
    }));
    t.call = async (recorded, title) => {
      const notified = new Promise((r) => { t.resolve = r; });
      t.pending = true;
      const t0 = now();
      client.setQueryData(['task', 1], (old) => ({ ...old, task: { ...old.task, title } }));
      const t1 = now();
      const sync = !t.pending;
      const ok = sync || (await Promise.race([notified, sleep(NOTIFY_TIMEOUT_MS).then(() => false)]));
      t.resolve = null;
      if (t.pending) { t.pending = false; t.at = now(); }
      if (recorded) {
        t.samples.push(t.at - t0);
        t.set.push(t1 - t0);
        if (sync) t.sync++;
        if (ok === false) t.late++;
        if (t.title !== title) t.wrong++;
      }
      await yieldTask();
    };
    return t;
  }
  const ts = tanstackTask((listener) => listener);
  const tr = tanstackTask((listener) => notifyManager.batchCalls(listener));

  const samples = { apollo: [], apolloSync: 0 };
  let wrongTitle = { apollo: 0 };
  let n = 0;
  const calls = {
    strata: (recorded) => st.call(recorded, `optimistic ${++n}`),
    async apollo(recorded) {
      const title = `optimistic ${++n}`;
      const id = `m${n}`;
      ap.pending = true;
      const t0 = now();
      cache.recordOptimisticTransaction((c) => c.writeFragment({ id: taskId, fragment: TASK_TITLE, data: { __typename: 'Task', title } }), id);
      const t1 = now();
      const sync = !ap.pending;
      if (ap.pending) { ap.pending = false; ap.at = t1; }
      if (recorded) {
        samples.apollo.push(ap.at - t0);
        if (sync) samples.apolloSync++;
        if (ap.title !== title) wrongTitle.apollo++;
      }
      // untimed: the "server answer" commits the value and drops the layer, as Apollo's
      // QueryManager does for a mutation result.
      cache.batch({ update: (c) => c.writeFragment({ id: taskId, fragment: TASK_TITLE, data: { __typename: 'Task', title } }), optimistic: false, removeOptimistic: id });
      await yieldTask();
    },
    tanstack: (recorded) => ts.call(recorded, `optimistic ${++n}`),
    tanstackReact: (recorded) => tr.call(recorded, `optimistic ${++n}`),
    strataMemory: (recorded) => sm.call(recorded, `optimistic ${++n}`),
  };
  const names = Object.keys(calls);
  for (let i = 0; i < CALL_WARMUP + CALLS; i++) {
    for (let j = 0; j < names.length; j++) await calls[names[(i + j) % names.length]](i >= CALL_WARMUP);
    if (i % 100 === 99) await sleep(0);
  }
  for (const [label, t] of [['strata', st], ['strataMemory', sm]]) {
    check(`4. ${label}: observer notified before mutate returned, in ${CALLS} of ${CALLS} calls`, t.sync === CALLS, t.sync);
    check(`4. ${label}: the notified snapshot shows the new title each time`, t.wrong === 0, t.wrong);
    check(`4. ${label}: every mutation acknowledged by the test API (${CALL_WARMUP + CALLS})`, t.acked === CALL_WARMUP + CALLS && t.failures.length === 0, { acked: t.acked, failures: t.failures.slice(0, 5) });
  }
  check(`4. apollo: watch callback ran before recordOptimisticTransaction returned, in ${CALLS} of ${CALLS} calls`, samples.apolloSync === CALLS, samples.apolloSync);
  check('4. apollo: the notified result shows the new title each time', wrongTitle.apollo === 0, wrongTitle.apollo);
  check(`4. tanstack: observer listener ran before setQueryData returned, in ${CALLS} of ${CALLS} calls`, ts.sync === CALLS && ts.late === 0, { sync: ts.sync, late: ts.late });
  check('4. tanstack: the notified result shows the new title each time', ts.wrong === 0, ts.wrong);
  check(`4. tanstackReact: batchCalls listener ran after setQueryData returned (setTimeout batch), in ${CALLS} of ${CALLS} calls`, tr.sync === 0 && tr.late === 0, { sync: tr.sync, late: tr.late });
  check('4. tanstackReact: the notified result shows the new title each time', tr.wrong === 0, tr.wrong);
  info.optimistic = {
    calls: CALLS, warmupCalls: CALL_WARMUP,
    notifications: { strata: st.notes, strataMemory: sm.notes, apollo: ap.notes, tanstack: ts.notes, tanstackReact: tr.notes },
    notificationsNote: 'all notifications seen by the one observer, warm-up included; beyond one per call they come from acknowledgements',
    serverTask: await (await fetch('/api/tasks/1')).json(),
  };

  // (info) a burst: CALLS mutations back to back without waiting, so pending layers pile up.
  const burst = { strata: [], apollo: [] };
  {
    const promises = [];
    for (let i = 0; i < CALLS; i++) {
      const title = `burst ${i}`;
      st.pending = true;
      const t0 = now();
      promises.push(store.mutate({ request: { method: 'PATCH', url: '/api/tasks/1', body: { title } }, optimistic: [{ op: 'update', type: 'Task', id: 1, patch: { title } }] }));
      burst.strata.push((st.pending ? now() : st.at) - t0);
      st.pending = false;
    }
    const t0 = now();
    const settled = await Promise.allSettled(promises);
    info.optimistic.burstDrainMs = now() - t0;
    check(`4. strata burst: ${CALLS} queued mutations all acknowledged`, settled.every((s) => s.status === 'fulfilled'), settled.filter((s) => s.status !== 'fulfilled').length);
    for (let i = 0; i < CALLS; i++) {
      const title = `burst ${i}`;
      ap.pending = true;
      const t0 = now();
      cache.recordOptimisticTransaction((c) => c.writeFragment({ id: taskId, fragment: TASK_TITLE, data: { __typename: 'Task', title } }), `b${i}`);
      burst.apollo.push((ap.pending ? now() : ap.at) - t0);
      ap.pending = false;
    }
  }
  // (info) the boundary floor of one optimistic mutate (floor.mjs): its options stringified and
  // copied into wasm memory, its change batch (captured) copied out and parsed; no core work.
  const optCalls = await capture(StoreCore.prototype, 'mutate', async () => {
    for (let i = 0; i < 50; i++) await sm.call(false, `floor ${i}`);
  });
  const optFloor = boundaryFloor(optCalls, 5, (i) => JSON.stringify({ request: { method: 'PATCH', url: '/api/tasks/1', body: { title: `floor ${i}` } }, optimistic: [{ op: 'update', type: 'Task', id: 1, patch: { title: `floor ${i}` } }] }));
  await st.close();
  await sm.close();
  stopApollo();
  for (const t of [ts, tr]) { t.stop(); t.client.clear(); }

  row('opt.strata', 4, 'strata', 'mutate (optimistic update) -> listener', st.samples, { headline: true });
  row('opt.apollo', 4, 'apollo', 'recordOptimisticTransaction -> watch callback', samples.apollo, { vs: 'opt.strata', headline: true });
  row('opt.tanstack', 4, 'tanstack', 'setQueryData -> QueryObserver listener', ts.samples, { vs: 'opt.strata', headline: true });
  row('opt.tanstackReact', 4, 'tanstack', '(info) same, listener via notifyManager.batchCalls (as useQuery)', tr.samples, { vs: 'opt.strata', info: true });
  row('opt.strataMemory', 4, 'strata', '(info) strata with persist: false', sm.samples, { vs: 'opt.strata', info: true });
  row('opt.floor', 4, 'strata', '(info) boundary floor: the options stringified + copied in + the batch copied out + JSON.parse of it (no core work)', optFloor.map((f) => f.total), { vs: 'opt.strata', info: true });
  row('opt.strata.wasmCall', 4, 'strata', '(info) the wasm mutate call alone (strings copied in and out included; persist: false)', optCalls.map((c) => c.ms), { vs: 'opt.strata', info: true });
  info.optimistic.floor = { inputChars: optCalls[0]?.input.length, batchChars: optCalls[0]?.output.length };
  row('opt.strata.burst', 4, 'strata', `(info) burst: ${CALLS} mutate calls back to back`, burst.strata, { info: true });
  row('opt.apollo.burst', 4, 'apollo', `(info) burst: ${CALLS} optimistic layers back to back`, burst.apollo, { vs: 'opt.strata.burst', info: true });
}

// ---- IndexedDB helpers (scenarios 5 and 6) -----------------------------------------------------

const idbRequest = (request) =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
const idbDone = (tx) =>
  new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new DOMException('transaction aborted', 'AbortError'));
  });

/** Opens database `name`; `upgrade(db)` creates the stores of a new one (without it, `name` must exist). */
function idbOpen(name, upgrade) {
  const request = upgrade ? indexedDB.open(name, 1) : indexedDB.open(name);
  if (upgrade) request.onupgradeneeded = () => upgrade(request.result);
  return idbRequest(request);
}

/** Deletes database `name` once its connections have closed (their transactions done). */
async function idbDelete(name) {
  const request = indexedDB.deleteDatabase(name);
  let timer;
  request.onblocked = () => {
    timer ??= setTimeout(() => log(`deleting ${name}: still waiting for its connections to close after 5 s`), 5000);
  };
  try {
    await idbRequest(request);
  } finally {
    clearTimeout(timer);
  }
}

async function idbCount(name, storeName) {
  const db = await idbOpen(name);
  try {
    return await idbRequest(db.transaction(storeName).objectStore(storeName).count());
  } finally {
    db.close();
  }
}

/** Polls until `storeName` of database `name` holds `n` records; false after `timeoutMs`. */
async function untilCount(name, storeName, n, timeoutMs = 60_000) {
  const t0 = now();
  for (;;) {
    if ((await idbCount(name, storeName)) === n) return true;
    if (now() - t0 > timeoutMs) return false;
    await sleep(20);
  }
}

// Every run gets a database of its own, deleted after it.
const RUN_TAG = Math.random().toString(36).slice(2, 8);
let dbSeq = 0;
const freshName = (what) => `bench-${what}-${RUN_TAG}-${++dbSeq}`;
const strataDb = (name) => `strata:${name}`; // src/js/persist.js dbName()

/**
 * For an untimed probe run: counts IndexedDB transactions (by scope, mode, durability) and
 * puts (by store), BroadcastChannel posts, and the calls into strata's wasm core (count, ms,
 * characters of JSON returned), until stop(). Wraps the prototypes and restores them.
 */
function probeIo(coreMethods) {
  const counts = { transactions: {}, puts: {}, broadcastPosts: { count: 0, ms: 0 }, core: {} };
  const restore = [];
  const wrap = (proto, name, fn) => {
    const original = proto[name];
    proto[name] = fn(original);
    restore.push(() => { proto[name] = original; });
  };
  wrap(IDBDatabase.prototype, 'transaction', (original) => function (names, mode = 'readonly', options) {
    const k = `${[].concat(names).join('+')} ${mode}${options && options.durability ? ` ${options.durability}` : ''}`;
    counts.transactions[k] = (counts.transactions[k] || 0) + 1;
    return options === undefined ? original.call(this, names, mode) : original.call(this, names, mode, options);
  });
  wrap(IDBObjectStore.prototype, 'put', (original) => function (...args) {
    counts.puts[this.name] = (counts.puts[this.name] || 0) + 1;
    return original.apply(this, args);
  });
  wrap(BroadcastChannel.prototype, 'postMessage', (original) => function (...args) {
    const t = now();
    try {
      return original.apply(this, args);
    } finally {
      counts.broadcastPosts.count++;
      counts.broadcastPosts.ms += now() - t;
    }
  });
  for (const m of coreMethods) {
    const c = (counts.core[m] = { count: 0, ms: 0, jsonChars: 0 });
    wrap(StoreCore.prototype, m, (original) => function (...args) {
      const t = now();
      const r = original.apply(this, args);
      c.ms += now() - t;
      c.count++;
      if (typeof r === 'string') c.jsonChars += r.length;
      return r;
    });
  }
  return { counts, stop: () => restore.splice(0).reverse().forEach((f) => f()) };
}

// ---- scenario 5: offline outbox --------------------------------------------------------------

const OUTBOX = 1_000;
const OUTBOX_SEED = 1_000; // tasks cached (and edited) while offline
const OUTBOX_SEED_ENTITIES = OUTBOX_SEED + USERS + OUTBOX_SEED * COMMENTS_PER_TASK;
const OUTBOX_TIMEOUT_MS = 120_000;

/** The i-th offline edit of run `tag`: retitle one cached task, as scenario 4 does. */
function offlineEdit(i, tag) {
  const id = (i % OUTBOX_SEED) + 1;
  const title = `offline edit ${tag}.${String(i).padStart(4, '0')}`;
  return { request: { method: 'PATCH', url: `/api/tasks/${id}`, body: { title } }, optimistic: [{ op: 'update', type: 'Task', id, patch: { title } }] };
}

/**
 * The page plays offline: `navigator.onLine` reads false (an own getter shadowing
 * Navigator.prototype's), so a store created now starts offline exactly as it does in an
 * offline browser, and its queue never sends. The runner's browser context stays online
 * (the page drives the whole run); the test API's request log checks that nothing was sent.
 */
function pretendOffline() {
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => false });
  return () => delete navigator.onLine;
}

/**
 * One strata run: a fresh store (database `strata:bench-outbox-...`) holding OUTBOX_SEED
 * tasks (its cache write waited for, untimed), then OUTBOX mutate() calls back to back; timed
 * from the first call until every mutation is `queued` (its record durable: the core moves a
 * mutation from `saving` to `queued` only after its strict transaction completed).
 */
async function strataOutboxRun(seedText, tag, probe = null) {
  const name = freshName('outbox');
  const out = { name };
  const store = await createStore({ name, entities, defaults: { retry: 0 } });
  const promises = [];
  try {
    store.setQueryData(['tasks'], JSON.parse(seedText), { shape: TASKS_SHAPE });
    out.seeded = await untilCount(strataDb(name), 'chunks', 1); // the seed's cache delta, one chunk
    await sleep(0);
    await yieldTask();
    // Sync listeners run once per batch that changed the queue: once in each mutate() call
    // (`saving`) and once per completed outbox write (`queued`; one write carries every
    // record that arrived while the previous one was under way). After the calls, each
    // notification checks the list.
    const st = { counting: false, count: 0, doneAt: 0, resolve: null, confirmed: false };
    const off = store.subscribeSync(() => {
      if (!st.counting || st.doneAt) return;
      st.count++;
      const t = now();
      if (store.mutations().every((m) => m.status === 'queued')) {
        st.doneAt = t;
        st.resolve?.();
      }
    });
    probe?.start();
    const t0 = now();
    for (let i = 0; i < OUTBOX; i++) promises.push(store.mutate(offlineEdit(i, tag)));
    const t1 = now();
    st.counting = true;
    for (const p of promises) p.catch(() => {}); // they reject with CLOSED at close()
    if (probe) {
      const list = store.mutations();
      out.statusesAfterCalls = list.reduce((a, m) => ({ ...a, [m.status]: (a[m.status] || 0) + 1 }), {});
      out.pendingAfterCalls = store.syncState().pending;
    }
    if (!st.doneAt) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, OUTBOX_TIMEOUT_MS);
        st.resolve = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    probe?.stop();
    out.reached = st.doneAt > 0;
    const end = out.reached ? st.doneAt : now();
    out.times = { total: end - t0, calls: t1 - t0, durable: end - t1 };
    out.notifications = st.count;
    const list = store.mutations();
    out.queued = list.filter((m) => m.status === 'queued').length;
    const sync = store.syncState();
    out.online = sync.online;
    out.pending = sync.pending;
    off();
  } finally {
    store.close();
  }
  // The store's connection closes once its last write is done; this one reads what is stored.
  out.stored = await idbCount(strataDb(name), 'outbox');
  if (probe) {
    const db = await idbOpen(strataDb(name));
    out.records = await idbRequest(db.transaction('outbox').objectStore('outbox').getAll());
    db.close();
  }
  await idbDelete(strataDb(name));
  return out;
}

/** Raw IndexedDB writing `records` to an outbox store: one transaction each, sequentially awaited (`strict`/`relaxed`), or all in one strict transaction (`batch`). */
async function rawOutboxRun(records, mode) {
  const name = freshName(`outbox-raw-${mode}`);
  const db = await idbOpen(name, (d) => d.createObjectStore('outbox', { keyPath: 'id' }));
  let t0;
  let t1;
  try {
    await yieldTask();
    t0 = now();
    if (mode === 'batch') {
      const tx = db.transaction('outbox', 'readwrite', { durability: 'strict' });
      const store = tx.objectStore('outbox');
      for (const r of records) store.put(r);
      await idbDone(tx);
    } else {
      for (const r of records) {
        const tx = db.transaction('outbox', 'readwrite', { durability: mode });
        tx.objectStore('outbox').put(r);
        await idbDone(tx);
      }
    }
    t1 = now();
  } finally {
    db.close();
  }
  const stored = await idbCount(name, 'outbox');
  await idbDelete(name);
  return { times: { total: t1 - t0 }, stored };
}

async function serverLogLength() {
  return (await (await fetch('/api/_log')).json()).length;
}

async function outbox() {
  const seedText = JSON.stringify({ tasks: makeTasks(OUTBOX_SEED) });
  log(`5. outbox: ${OUTBOX} offline mutations per run, strict durability; strata vs raw IndexedDB`);
  const online = pretendOffline();
  try {
    const logBefore = await serverLogLength();

    // Untimed probe: what strata writes (the raw runs write the same records) and how.
    const counter = {
      counts: null,
      start() { this.p = probeIo(['mutate', 'persisted', 'takeCacheDelta']); this.counts = this.p.counts; },
      stop() { this.p.stop(); },
    };
    const probe = await strataOutboxRun(seedText, 'probe', counter);
    const records = probe.records.sort((a, b) => (a.at - b.at) || (a.id < b.id ? -1 : 1));
    const sizes = records.map((r) => new TextEncoder().encode(JSON.stringify(r)).length).sort((a, b) => a - b);
    check(`5. strata probe: ${OUTBOX} mutations queued, ${OUTBOX} records stored`, probe.reached && probe.queued === OUTBOX && probe.stored === OUTBOX, { reached: probe.reached, queued: probe.queued, stored: probe.stored });
    check(`5. strata probe: right after the calls every mutation was still saving (not queued before durable)`, probe.statusesAfterCalls.saving === OUTBOX, probe.statusesAfterCalls);
    info.outbox = {
      mutations: OUTBOX,
      seedTasks: OUTBOX_SEED,
      recordBytes: { median: sizes[sizes.length >> 1], min: sizes[0], max: sizes[sizes.length - 1], what: 'JSON.stringify of each stored outbox record, UTF-8' },
      sampleRecord: records[0],
      probe: {
        ms: probe.times,
        duringTimedWindow: counter.counts,
        note: 'between the first mutate() and the last mutation queued, in one untimed probe run: IndexedDB transactions and puts, BroadcastChannel posts (ms inside postMessage) and calls into the wasm core (ms, JSON characters returned), counted by wrapping the prototypes',
      },
    };

    let n = 0;
    const bad = { strata: [], strict: [], relaxed: [], batch: [] };
    const s = await interleaved(
      {
        strata: async () => {
          const r = await strataOutboxRun(seedText, String(++n).padStart(5, '0'));
          if (!(r.seeded && r.reached && r.queued === OUTBOX && r.stored === OUTBOX && r.online === false && r.pending === OUTBOX)) {
            bad.strata.push({ seeded: r.seeded, reached: r.reached, queued: r.queued, stored: r.stored, online: r.online, pending: r.pending });
          }
          return r.times;
        },
        rawStrict: async () => {
          const r = await rawOutboxRun(records, 'strict');
          if (r.stored !== OUTBOX) bad.strict.push(r.stored);
          return r.times;
        },
        rawBatch: async () => {
          const r = await rawOutboxRun(records, 'batch');
          if (r.stored !== OUTBOX) bad.batch.push(r.stored);
          return r.times;
        },
        rawRelaxed: async () => {
          const r = await rawOutboxRun(records, 'relaxed');
          if (r.stored !== OUTBOX) bad.relaxed.push(r.stored);
          return r.times;
        },
      },
      { runs: OUTBOX_RUNS, warmup: OUTBOX_WARMUP },
    );
    check(`5. strata: every run queued ${OUTBOX} mutations (syncState offline, pending ${OUTBOX}) and stored ${OUTBOX} records`, bad.strata.length === 0, bad.strata.slice(0, 3));
    check(`5. raw IndexedDB: every run stored ${OUTBOX} records`, bad.strict.length + bad.batch.length + bad.relaxed.length === 0, bad);
    const sent = (await serverLogLength()) - logBefore;
    check('5. offline: no request reached the test API during scenario 5', sent === 0, sent);
    info.outbox.runs = OUTBOX_RUNS;
    info.outbox.warmup = OUTBOX_WARMUP;

    const rate = { rate: OUTBOX };
    row('outbox.strata', 5, 'strata', `${OUTBOX} mutate() -> all queued (durable, strict)`, s.strata.total, { ...rate, headline: true });
    row('outbox.raw', 5, 'rawIdb', 'raw IndexedDB, one strict transaction per record, awaited in turn', s.rawStrict.total, { ...rate, vs: 'outbox.strata', headline: true });
    row('outbox.rawBatch', 5, 'rawIdb', `raw IndexedDB, all ${OUTBOX} in one strict transaction`, s.rawBatch.total, { ...rate, vs: 'outbox.strata', headline: true });
    row('outbox.rawRelaxed', 5, 'rawIdb', '(info) raw IndexedDB, one relaxed transaction per record', s.rawRelaxed.total, { ...rate, vs: 'outbox.strata', info: true });
    row('outbox.strata.calls', 5, 'strata', `  of which the ${OUTBOX} mutate() calls (optimistic layers, in memory)`, s.strata.calls, { info: true });
    row('outbox.strata.durable', 5, 'strata', '  of which waiting for the writes after the last call', s.strata.durable, { info: true });
  } finally {
    online();
  }
}

// ---- scenario 6: cold start ---------------------------------------------------------------------

const COLD_ENTITIES = TASKS + USERS + TASKS * COMMENTS_PER_TASK;
const TANSTACK_PERSIST_KEY = 'REACT_QUERY_OFFLINE_CACHE'; // the persisters' default key

/**
 * What a raw-IndexedDB app does to show the list from strata's records: index them by key and
 * join the relation fields (keys like "User:3") into objects, one object per entity (shared,
 * as strata's snapshots are).
 */
function joinRecords(result, keys, values) {
  const records = new Map();
  for (let i = 0; i < keys.length; i++) records.set(keys[i], values[i]);
  const objects = new Map();
  const entity = (k) => {
    if (typeof k !== 'string') return k ?? null;
    let o = objects.get(k);
    if (o !== undefined) return o;
    const rec = records.get(k);
    if (rec === undefined) return null;
    o = { ...rec };
    objects.set(k, o);
    const relations = entities[k.slice(0, k.indexOf(':'))]?.relations;
    if (relations) {
      for (const [field, type] of Object.entries(relations)) {
        const v = rec[field];
        if (v === undefined || v === null) continue;
        o[field] = Array.isArray(type) ? v.map(entity).filter((x) => x !== null) : entity(v);
      }
    }
    return o;
  };
  const walk = (shape, v) => {
    if (v === null || v === undefined) return v;
    if (typeof shape === 'string') return entity(v);
    if (Array.isArray(shape)) return v.map((x) => walk(shape[0], x));
    if (shape && typeof shape === 'object') {
      const o = {};
      for (const [f, x] of Object.entries(v)) o[f] = f in shape ? walk(shape[f], x) : x;
      return o;
    }
    return v;
  };
  return walk(TASKS_SHAPE, result);
}

async function coldStart() {
  const text = JSON.stringify({ tasks: makeTasks(TASKS) });
  const expected = JSON.parse(text);
  const key = ['tasks'];
  log(`6. cold start: ${TASKS} tasks (${COLD_ENTITIES} entities) persisted, then a fresh store`);

  // The previous session, untimed: a store of this name ingests the data set and is closed
  // (close() writes its cache delta); done once the entities are all in IndexedDB.
  async function persistWithStrata() {
    const name = freshName('cold');
    const first = await createStore({ name, entities });
    first.setQueryData(key, JSON.parse(text), { shape: TASKS_SHAPE });
    first.close();
    // close() writes the cache as one chunk (a delta text; src/js/persist.js).
    const ok = await untilCount(strataDb(name), 'chunks', 1);
    return { name, ok };
  }

  // What strata stores: the raw-IndexedDB peer reads the same records.
  const probe = await persistWithStrata();
  const pdb = await idbOpen(strataDb(probe.name));
  const [chunk] = await idbRequest(pdb.transaction('chunks', 'readonly').objectStore('chunks').getAll());
  pdb.close();
  const delta = JSON.parse(chunk);
  const [eKeys, eVals] = [delta.e.map((p) => p[0]), delta.e.map((p) => p[1])];
  const [qKeys, qVals] = [delta.q.map((p) => p[0]), delta.q.map((p) => p[1])];
  // Untimed probe of the same cold start: where createStore's time goes.
  const io = probeIo(['applyCache', 'reconcileOutbox']);
  let coldProbe;
  try {
    const t0 = now();
    const store = await createStore({ name: probe.name, entities });
    const t1 = now();
    store.getQueryData(key);
    const t2 = now();
    io.stop();
    const before = store.getQueryState(key);
    const stop = store.subscribeQuery({ queryKey: key }, () => {});
    const after = store.getQueryState(key);
    stop();
    store.close();
    const pick = (st) => (st === undefined ? 'undefined' : { status: st.status, isStale: st.isStale, fetchStatus: st.fetchStatus });
    coldProbe = {
      ms: { createStore: t1 - t0, firstRead: t2 - t1 },
      calls: io.counts,
      getQueryStateBeforeObserving: pick(before),
      getQueryStateOnceObserved: pick(after),
      note: 'one untimed createStore + getQueryData on a persisted database, with the wasm calls, IndexedDB transactions and BroadcastChannel posts counted (prototypes wrapped); getQueryState read after the timed part, before and after subscribeQuery({ queryKey })',
    };
  } finally {
    io.stop();
  }
  // (info) the boundary floor of the same cold start (floor.mjs): the cache text copied into wasm
  // memory, applyCache's change batch (captured) copied out and parsed; no core work. The
  // IndexedDB read is the rawText row's.
  const applied = await capture(StoreCore.prototype, 'applyCache', async () => {
    const s = await createStore({ name: probe.name, entities });
    s.getQueryData(key);
    s.close();
  });
  const coldFloor = boundaryFloor(applied.filter((c) => c.input.length > 0), 5);
  await idbDelete(strataDb(probe.name));
  check(`6. strata persisted ${COLD_ENTITIES} entity records and 1 query`, probe.ok && eKeys.length === COLD_ENTITIES && qKeys.length === 1, { ok: probe.ok, entities: eKeys.length, queries: qKeys.length });
  check('6. raw join of strata\'s records deep-equals the response', deepEqual(joinRecords(qVals[0].r, eKeys, eVals), expected));

  // TanStack: what persistQueryClient saves through an async storage persister (the
  // dehydrated client, JSON.stringify'd, one record), prepared once.
  const tsClient = newQueryClient();
  tsClient.setQueryData(key, JSON.parse(text));
  const persistedClient = JSON.stringify({ buster: '', timestamp: Date.now(), clientState: dehydrate(tsClient) });
  tsClient.clear();

  const utf8 = (s) => new TextEncoder().encode(s).length;
  info.coldStart = {
    tasks: TASKS, entities: eKeys.length, queries: qKeys.length,
    strataRecordsJsonBytes: utf8(JSON.stringify(eVals)) + utf8(JSON.stringify(qVals)),
    sampleRecords: { [eKeys[0]]: eVals[0], query: { ...qVals[0], r: { tasks: `[${qVals[0].r.tasks.length} keys: ${qVals[0].r.tasks.slice(0, 2).join(', ')}, ...]` } } },
    tanstackPersistedBytes: utf8(persistedClient),
    probe: coldProbe,
  };
  // (info) the same records stored as one JSON text, as strata's cache delta is sent to other tabs.
  const recordsText = JSON.stringify({ e: eKeys.map((k, i) => [k, eVals[i]]), q: qKeys.map((k, i) => [k, qVals[i]]) });
  info.coldStart.oneTextBytes = utf8(recordsText);

  const wrong = { strata: 0, raw: 0, rawText: 0, tanstack: 0 };
  const notStale = [];
  let setupFailed = 0;
  const s = await interleaved(
    {
      async strata() {
        const { name, ok } = await persistWithStrata();
        if (!ok) setupFailed++;
        await sleep(0);
        await yieldTask();
        const t0 = now();
        const store = await createStore({ name, entities });
        const t1 = now();
        const view = store.getQueryData(key);
        const t2 = now();
        if (!deepEqual(view, expected)) wrong.strata++;
        const state = store.getQueryState(key);
        if (!state || state.status !== 'success' || state.isStale !== true) notStale.push(state ? { status: state.status, isStale: state.isStale } : 'undefined');
        store.close();
        await idbDelete(strataDb(name));
        return { createStore: t1 - t0, read: t2 - t1, total: t2 - t0 };
      },
      async raw() {
        const name = freshName('cold-raw');
        const setup = await idbOpen(name, (d) => {
          d.createObjectStore('entities');
          d.createObjectStore('queries');
        });
        const wtx = setup.transaction(['entities', 'queries'], 'readwrite', { durability: 'relaxed' });
        const es = wtx.objectStore('entities');
        for (let i = 0; i < eKeys.length; i++) es.put(eVals[i], eKeys[i]);
        for (let i = 0; i < qKeys.length; i++) wtx.objectStore('queries').put(qVals[i], qKeys[i]);
        await idbDone(wtx);
        setup.close();
        await sleep(0);
        await yieldTask();
        const t0 = now();
        const db = await idbOpen(name);
        const tx = db.transaction(['entities', 'queries'], 'readonly');
        const [keys, values, queries] = await Promise.all([
          idbRequest(tx.objectStore('entities').getAllKeys()),
          idbRequest(tx.objectStore('entities').getAll()),
          idbRequest(tx.objectStore('queries').getAll()),
        ]);
        const t1 = now();
        const view = joinRecords(queries[0].r, keys, values);
        const t2 = now();
        if (!deepEqual(view, expected)) wrong.raw++;
        db.close();
        await idbDelete(name);
        return { read: t1 - t0, join: t2 - t1, total: t2 - t0 };
      },
      async rawText() {
        // (info) raw IndexedDB, the same records as one JSON text in one record.
        const name = freshName('cold-rawtext');
        const setup = await idbOpen(name, (d) => d.createObjectStore('cache'));
        const wtx = setup.transaction('cache', 'readwrite', { durability: 'relaxed' });
        wtx.objectStore('cache').put(recordsText, 'cache');
        await idbDone(wtx);
        setup.close();
        await sleep(0);
        await yieldTask();
        const t0 = now();
        const db = await idbOpen(name);
        const stored = await idbRequest(db.transaction('cache').objectStore('cache').get('cache'));
        const t1 = now();
        const delta = JSON.parse(stored);
        const t2 = now();
        const keys = new Array(delta.e.length);
        const values = new Array(delta.e.length);
        delta.e.forEach(([k, v], i) => { keys[i] = k; values[i] = v; });
        const view = joinRecords(delta.q[0][1].r, keys, values);
        const t3 = now();
        if (!deepEqual(view, expected)) wrong.rawText++;
        db.close();
        await idbDelete(name);
        return { read: t1 - t0, parse: t2 - t1, join: t3 - t2, total: t3 - t0 };
      },
      async tanstack() {
        const name = freshName('cold-tanstack');
        const setup = await idbOpen(name, (d) => d.createObjectStore('keyval'));
        const wtx = setup.transaction('keyval', 'readwrite', { durability: 'relaxed' });
        wtx.objectStore('keyval').put(persistedClient, TANSTACK_PERSIST_KEY);
        await idbDone(wtx);
        setup.close();
        await sleep(0);
        await yieldTask();
        const t0 = now();
        const db = await idbOpen(name);
        const stored = await idbRequest(db.transaction('keyval').objectStore('keyval').get(TANSTACK_PERSIST_KEY));
        const t1 = now();
        const persisted = JSON.parse(stored);
        const t2 = now();
        const client = newQueryClient();
        hydrate(client, persisted.clientState);
        const view = client.getQueryData(key);
        const t3 = now();
        if (!deepEqual(view, expected)) wrong.tanstack++;
        client.clear();
        db.close();
        await idbDelete(name);
        return { read: t1 - t0, parse: t2 - t1, hydrate: t3 - t2, total: t3 - t0 };
      },
    },
    { runs: COLD_RUNS, warmup: COLD_WARMUP },
  );
  check('6. strata: every previous session persisted its cache before the timed start', setupFailed === 0, setupFailed);
  for (const [name, w] of Object.entries(wrong)) check(`6. ${name}: the first read deep-equals the response, every run`, w === 0, w);
  check('6. strata: the hydrated query is success and stale (it refetches once observed)', notStale.length === 0, notStale.slice(0, 3));
  info.coldStart.runs = COLD_RUNS;
  info.coldStart.warmup = COLD_WARMUP;

  row('cold.strata', 6, 'strata', 'createStore (IndexedDB -> cache) + first getQueryData', s.strata.total, { headline: true });
  row('cold.raw', 6, 'rawIdb', `raw IndexedDB: open + getAll of the same ${COLD_ENTITIES} records + join`, s.raw.total, { vs: 'cold.strata', headline: true });
  row('cold.tanstack', 6, 'tanstack', 'persister as TanStack\'s: get 1 record + JSON.parse + hydrate + getQueryData', s.tanstack.total, { vs: 'cold.strata', headline: true });
  row('cold.rawText', 6, 'rawIdb', '(info) raw IndexedDB, the same records as 1 JSON text: get + parse + join', s.rawText.total, { vs: 'cold.strata', info: true });
  {
    const sum = (k) => coldFloor.reduce((a, f) => a + f[k], 0);
    row('cold.floor', 6, 'strata', '(info) boundary floor: the cache text into wasm memory + the batch out + JSON.parse of it (no core work; add the IndexedDB read of cold.rawText.read)', [sum('total')], { info: true });
    row('cold.floor.encode', 6, 'strata', '  of which the text into wasm memory', [sum('encode')], { info: true });
    row('cold.floor.decode', 6, 'strata', '  of which the batch out of wasm memory', [sum('decode')], { info: true });
    row('cold.floor.parse', 6, 'strata', '  of which JSON.parse of the batch', [sum('parse')], { info: true });
    info.coldStart.floor = { calls: coldFloor.length, inputChars: applied.reduce((a, c) => a + c.input.length, 0), batchChars: applied.reduce((a, c) => a + c.output.length, 0) };
  }
  row('cold.strata.create', 6, 'strata', '  of which createStore', s.strata.createStore, { info: true });
  row('cold.strata.read', 6, 'strata', '  of which first getQueryData', s.strata.read, { info: true });
  row('cold.raw.read', 6, 'rawIdb', '  of which open + getAll', s.raw.read, { info: true });
  row('cold.raw.join', 6, 'rawIdb', '  of which join', s.raw.join, { info: true });
  row('cold.rawText.read', 6, 'rawIdb', '  (info) of which open + get', s.rawText.read, { info: true });
  row('cold.rawText.parse', 6, 'rawIdb', '  (info) of which JSON.parse', s.rawText.parse, { info: true });
  row('cold.rawText.join', 6, 'rawIdb', '  (info) of which join', s.rawText.join, { info: true });
  row('cold.tanstack.read', 6, 'tanstack', '  of which open + get', s.tanstack.read, { info: true });
  row('cold.tanstack.parse', 6, 'tanstack', '  of which JSON.parse', s.tanstack.parse, { info: true });
  row('cold.tanstack.hydrate', 6, 'tanstack', '  of which hydrate + getQueryData', s.tanstack.hydrate, { info: true });
}

// ---- scenario 7: repeated read ----------------------------------------------------------------

async function repeatedRead() {
  const text = JSON.stringify({ tasks: makeTasks(READ_ROWS) });
  log(`7. repeated read: ${READS / 1000}k reads of a ${READ_ROWS}-row query`);
  const key = ['q', 1];

  const store = await createStore({ entities, persist: false }); // reads only: persistence plays no part
  store.setQueryData(key, JSON.parse(text), { shape: TASKS_SHAPE });
  const state = store.getQueryState(key);
  const data = store.getQueryData(key);
  const map = new Map([[JSON.stringify(key), state]]);
  const mapKey = JSON.stringify(key);

  const cache = newApollo();
  cache.writeQuery({ query: TASKS_QUERY, data: JSON.parse(text) });
  const readOptions = { query: TASKS_QUERY };
  const apolloView = cache.readQuery(readOptions);

  const client = newQueryClient();
  client.setQueryData(key, JSON.parse(text));
  const tsState = client.getQueryState(key);

  check('7. strata: the 1,000-row state has the data', state && state.data === data && data.tasks.length === READ_ROWS);
  check('7. strata: getQueryData deep-equals the response', deepEqual(data, JSON.parse(text)));
  check('7. apollo: readQuery deep-equals the response', deepEqual(apolloView, JSON.parse(text)));
  check('7. tanstack: getQueryState().data deep-equals the response', deepEqual(tsState.data, JSON.parse(text)));

  const loops = {
    mapGet: () => { let h = 0; const t0 = now(); for (let i = 0; i < READS; i++) if (map.get(mapKey) === state) h++; return [now() - t0, h]; },
    strataState: () => { let h = 0; const t0 = now(); for (let i = 0; i < READS; i++) if (store.getQueryState(key) === state) h++; return [now() - t0, h]; },
    strataStateFresh: () => { let h = 0; const t0 = now(); for (let i = 0; i < READS; i++) if (store.getQueryState(['q', 1]) === state) h++; return [now() - t0, h]; },
    strataData: () => { let h = 0; const t0 = now(); for (let i = 0; i < READS; i++) if (store.getQueryData(key) === data) h++; return [now() - t0, h]; },
    apolloRead: () => { let h = 0; const t0 = now(); for (let i = 0; i < READS; i++) if (cache.readQuery(readOptions) === apolloView) h++; return [now() - t0, h]; },
    tanstackState: () => { let h = 0; const t0 = now(); for (let i = 0; i < READS; i++) if (client.getQueryState(key) === tsState) h++; return [now() - t0, h]; },
    tanstackStateFresh: () => { let h = 0; const t0 = now(); for (let i = 0; i < READS; i++) if (client.getQueryState(['q', 1]) === tsState) h++; return [now() - t0, h]; },
  };
  const hits = {};
  const s = await interleaved(
    Object.fromEntries(
      Object.entries(loops).map(([name, fn]) => [
        name,
        async () => {
          const [ms, h] = fn();
          (hits[name] ??= new Set()).add(h);
          return { ms };
        },
      ]),
    ),
  );
  for (const [name, set] of Object.entries(hits)) {
    const h = [...set];
    check(`7. ${name}: every read returned the same object (===)`, h.length === 1 && h[0] === READS, h);
  }
  store.close();
  client.clear();

  const per = { perOp: READS };
  row('read.map', 7, 'baseline', `Map.get(string key) x ${READS / 1000}k`, s.mapGet.ms, { ...per, vs: 'read.strata', headline: true });
  row('read.strata', 7, 'strata', `getQueryState(same key array) x ${READS / 1000}k`, s.strataState.ms, { ...per, headline: true });
  row('read.apollo', 7, 'apollo', `readQuery(same options) x ${READS / 1000}k`, s.apolloRead.ms, { ...per, vs: 'read.strata' });
  row('read.tanstack', 7, 'tanstack', `getQueryState(same key array) x ${READS / 1000}k`, s.tanstackState.ms, { ...per, vs: 'read.strata' });
  row('read.strata.fresh', 7, 'strata', `(info) getQueryState(['q', 1] literal) x ${READS / 1000}k`, s.strataStateFresh.ms, { ...per, vs: null, info: true });
  row('read.tanstack.fresh', 7, 'tanstack', `(info) getQueryState(['q', 1] literal) x ${READS / 1000}k`, s.tanstackStateFresh.ms, { ...per, vs: 'read.strata.fresh', info: true });
  row('read.strata.data', 7, 'strata', `(info) getQueryData(same key array) x ${READS / 1000}k`, s.strataData.ms, { ...per, info: true });
}

// ---- scenario 8: push fan-out ------------------------------------------------------------------
//
// A cache of 1,000 tasks (with their assignee User and comments, as everywhere here) shown by
// 1,000 observed list queries of 10 rows, as in scenarios 2-3; with 1,000 tasks the lists are
// windows: list q shows tasks q+1 .. q+10 (wrapping), so every task is in 10 lists. Then
// PUSH_RATE upsert messages per second (each retitles one task) for PUSH_SECONDS, paced by the
// clock (message k is due at start + k / rate), each message in a task of its own.
//
// strata takes the real path of a message: store.connect({ url: PUSH_URL }) fetches it and this
// page answers that fetch (globalThis.fetch is wrapped for PUSH_URL only, while the scenario
// runs) with a Response whose body is a ReadableStream the benchmark enqueues SSE bytes into
// (`id: N\ndata: {json}\n\n`): TextDecoderStream, the SSE parser, the microtask batch, one
// applyPushes call, the change batch, the listeners. The peers get what an EventSource message
// handler gets (the data text) and do what a user writes by hand: JSON.parse, then TanStack
// setQueriesData over the lists (or setQueryData where the app knows the keys) with an
// updater, and Apollo writeFragment (observers: cache.watch).
//
// Latency of a message: from the moment its bytes are enqueued (strata) or its handler is
// invoked (peers) to the moment the last of the observers of the queries that show the task
// has been notified and read data with the new title. Main-thread time of a message: from the
// same start to the end of the work it caused: for the peers the handler's return (their
// listeners run inside it); for strata a microtask queued by that last listener (it runs once
// the core call, the change batch and the connection's flush have returned, before the page
// gets its next task). Both are checked to finish before the next message is sent.

const PUSH_TASKS = 1_000;
const PUSH_QUERIES = 1_000;
const PUSH_ROWS = FAN_ROWS; // as scenarios 2-3
const PUSH_RATE = Math.max(1, Number(params.get('pushRate')) || 1000); // messages per second
const PUSH_SECONDS = Math.max(0.1, Number(params.get('pushSeconds')) || 2); // per run
const PUSH_STRIDE = 337; // message k retitles task (k * 337) % 1000 + 1: every task once in 1,000 messages
const PUSH_URL = '/bench/push-events'; // answered in the page, never by the server
const PUSH_WAIT_MS = 10_000;

const TASK_BY_ID = gql(`query TaskById($id: Int!) { task(id: $id) { ${TASK_SEL} } }`);

// Where the tasks are shown: `rowOf(id, q)` is the row of query q showing task id (-1: none).
const PUSH_LAYOUTS = {
  lists: {
    queries: PUSH_QUERIES,
    need: PUSH_ROWS, // queries showing each task
    ids: (q) => Array.from({ length: PUSH_ROWS }, (_, j) => ((q + j) % PUSH_TASKS) + 1),
    rowOf: (id, q) => {
      const r = (id - 1 - q + PUSH_TASKS) % PUSH_TASKS;
      return r < PUSH_ROWS ? r : -1;
    },
    holders: (id) => Array.from({ length: PUSH_ROWS }, (_, r) => (id - 1 - r + PUSH_TASKS) % PUSH_TASKS),
    key: (q) => ['plist', q],
    task: (snap, r) => snap.list[r],
    wrap: (tasks) => ({ list: tasks }),
  },
  detail: {
    queries: PUSH_TASKS,
    need: 1,
    ids: (q) => [q + 1],
    rowOf: (id, q) => (q === id - 1 ? 0 : -1),
    holders: (id) => [id - 1],
    key: (q) => ['ptask', q + 1],
    task: (snap) => snap.task,
    wrap: (tasks) => ({ task: tasks[0] }),
  },
};

// The page's answer to strata's fetch of PUSH_URL: an open SSE response fed by `feed`.
const pushFeeds = [];
function installPushFetch() {
  const real = globalThis.fetch;
  globalThis.fetch = function fetch(input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (new URL(url, location.href).pathname !== PUSH_URL) return real.call(this, input, init);
    let controller;
    const body = new ReadableStream({ start(c) { controller = c; } });
    const feed = { controller, init, closed: false };
    init?.signal?.addEventListener('abort', () => {
      feed.closed = true;
      try { controller.close(); } catch { /* already closed */ }
    });
    pushFeeds.push(feed);
    return Promise.resolve(new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' } }));
  };
  return () => { globalThis.fetch = real; };
}

/** Matches notifications to the messages in flight; `seen(q, snapshot)` is every observer's listener. */
function pushTracker(layout) {
  const t = { inflight: [], notes: 0, current: null };
  t.seen = (q, snap) => {
    t.notes++;
    const inflight = t.inflight;
    for (let i = 0; i < inflight.length; i++) {
      const m = inflight[i];
      if (m.at !== 0) continue;
      const r = layout.rowOf(m.id, q);
      if (r < 0) continue;
      const bit = 1 << r;
      if (m.mask & bit || layout.task(snap, r).title !== m.title) continue;
      m.mask |= bit;
      if (m.mask === m.full) {
        m.at = now();
        queueMicrotask(() => { if (m.end === 0) m.end = now(); });
      }
    }
  };
  return t;
}

function pushData(layout) {
  const tasks = makeTasks(PUSH_TASKS);
  const texts = [];
  for (let q = 0; q < layout.queries; q++) texts.push(JSON.stringify(layout.wrap(layout.ids(q).map((id) => tasks[id - 1]))));
  return { texts, titles: tasks.map((t) => t.title) };
}

async function strataPush(layout, texts, track) {
  const shape = layout === PUSH_LAYOUTS.lists ? LIST_SHAPE : TASK_SHAPE;
  const store = await createStore({ entities, persist: false }); // in memory, as scenarios 2-3
  const keys = texts.map((_, q) => layout.key(q));
  texts.forEach((t, q) => store.setQueryData(keys[q], JSON.parse(t), { shape }));
  const snaps = keys.map((k) => store.getQueryData(k));
  keys.forEach((queryKey, q) => store.subscribeQuery({ queryKey }, () => { snaps[q] = store.getQueryData(keys[q]); track.seen(q, snaps[q]); }));
  const feedsBefore = pushFeeds.length;
  const connection = store.connect({ url: PUSH_URL });
  for (let i = 0; i < 200 && store.connectionState().status !== 'open'; i++) await sleep(5);
  const feed = pushFeeds[feedsBefore];
  if (!feed || store.connectionState().status !== 'open') throw new Error(`8. strata: the connection did not open (${JSON.stringify(store.connectionState())})`);
  const encoder = new TextEncoder();
  let eventId = 0;
  return {
    snaps, store,
    // The SSE bytes of one message, encoded before the clock starts (they come off the network).
    prepare: (json) => encoder.encode(`id: ${++eventId}\ndata: ${json}\n\n`),
    enqueue: (bytes) => feed.controller.enqueue(bytes),
    fetches: () => pushFeeds.length - feedsBefore,
    close: () => { connection.close(); store.close(); },
  };
}

function apolloPush(layout, texts, track) {
  const cache = newApollo(); // sized caches, as the headline rows of scenarios 2-3
  const lists = layout === PUSH_LAYOUTS.lists;
  const query = lists ? LIST_QUERY : TASK_BY_ID;
  const vars = (q) => (lists ? { q } : { id: q + 1 });
  texts.forEach((t, q) => cache.writeQuery({ query, variables: vars(q), data: JSON.parse(t) }));
  const snaps = new Array(texts.length);
  const stops = texts.map((_, q) =>
    cache.watch({ query, variables: vars(q), optimistic: true, immediate: true, callback: (diff) => { snaps[q] = diff.result; track.seen(q, diff.result); } }),
  );
  return {
    snaps,
    // What an app's EventSource handler does with an entity push.
    handle(text) {
      const m = JSON.parse(text);
      if (m.type !== 'upsert' || m.entity !== 'Task') return;
      cache.writeFragment({ id: cache.identify({ __typename: 'Task', id: m.data.id }), fragment: TASK_TITLE, data: { __typename: 'Task', title: m.data.title } });
    },
    close: () => stops.forEach((stop) => stop()),
  };
}

function tanstackPush(layout, texts, track, { knownKeys = false } = {}) {
  const client = newQueryClient();
  const lists = layout === PUSH_LAYOUTS.lists;
  const keys = texts.map((_, q) => layout.key(q));
  texts.forEach((t, q) => client.setQueryData(keys[q], JSON.parse(t)));
  const snaps = new Array(texts.length);
  const stops = keys.map((queryKey, q) => {
    const observer = new QueryObserver(client, { queryKey, enabled: false, staleTime: Infinity });
    snaps[q] = observer.getCurrentResult().data;
    return observer.subscribe((result) => { snaps[q] = result.data; track.seen(q, result.data); });
  });
  const patchTask = (old, patch) => (old ? { ...old, task: { ...old.task, ...patch } } : undefined);
  return {
    snaps,
    handle(text) {
      const m = JSON.parse(text);
      if (m.type !== 'upsert' || m.entity !== 'Task') return;
      const { id, ...patch } = m.data;
      if (!lists) client.setQueryData(['ptask', id], (old) => patchTask(old, patch));
      // No normalization: the app finds the cached lists that hold the task (as scenario 3) ...
      else if (!knownKeys) client.setQueriesData({ queryKey: ['plist'] }, (old) => patchTaskInList(old, id, patch));
      // ... or (info) it knows exactly which lists show it.
      else for (const q of layout.holders(id)) client.setQueryData(['plist', q], (old) => patchTaskInList(old, id, patch));
    },
    close: () => { stops.forEach((stop) => stop()); client.clear(); },
  };
}

function nearestRank(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

let pushGeneration = 0;

/**
 * One run: PUSH_RATE * PUSH_SECONDS messages to `sys`, each sent in a task of its own at its
 * due time (late ones follow back to back, each in its own task, until the schedule is caught
 * up). Resolves with every message's times once all were seen (or PUSH_WAIT_MS passed).
 */
function pacedPushes(sys, layout, track, titles) {
  const total = Math.round(PUSH_SECONDS * PUSH_RATE);
  const interval = 1000 / PUSH_RATE;
  const gen = ++pushGeneration;
  const full = layout === PUSH_LAYOUTS.lists ? (1 << PUSH_ROWS) - 1 : 1;
  const msgs = new Array(total);
  const port = new MessageChannel();
  let k = 0;
  let late = 0; // messages still not seen when the next one was sent
  track.notes = 0;
  track.inflight.length = 0;
  return new Promise((resolve) => {
    const start = now() + 20;
    const send = (due) => {
      const id = ((k * PUSH_STRIDE) % PUSH_TASKS) + 1;
      const title = `Task ${id} pushed ${gen}.${k}`;
      const json = JSON.stringify({ type: 'upsert', entity: 'Task', data: { id, title } });
      const m = { k, id, title, due, t0: 0, at: 0, end: 0, mask: 0, full };
      // the messages in flight: the finished ones leave, the unfinished ones are late
      const inflight = track.inflight;
      let w = 0;
      for (let i = 0; i < inflight.length; i++) {
        if (inflight[i].at === 0) { late++; inflight[w++] = inflight[i]; }
      }
      inflight.length = w;
      inflight.push(m);
      msgs[k++] = m;
      titles[id - 1] = title;
      track.current = m;
      if (sys.enqueue) {
        const bytes = sys.prepare(json);
        m.t0 = now();
        sys.enqueue(bytes);
      } else {
        m.t0 = now();
        sys.handle(json);
        m.end = now();
      }
    };
    const next = () => {
      if (k === total) {
        port.port1.onmessage = null;
        resolve();
        return;
      }
      const due = start + k * interval;
      const wait = due - now();
      if (wait > 0) {
        // Every timer is set from a message task: set from a timer callback (one that fired
        // early: Chromium truncates fractional delays) it would nest, and from the 5th level
        // Chromium clamps timers to 4 ms, which would send the messages in bursts.
        setTimeout(hop, wait);
        return;
      }
      send(due);
      hop(); // the next message in a task of its own
    };
    const hop = () => port.port2.postMessage(0);
    port.port1.onmessage = next;
    hop();
  }).then(async () => {
    const deadline = now() + PUSH_WAIT_MS;
    while (msgs.some((m) => m.at === 0 || m.end === 0) && now() < deadline) await sleep(5);
    await sleep(0);
    await yieldTask();
    let wrong = 0;
    for (let q = 0; q < layout.queries; q++) {
      const ids = layout.ids(q);
      for (let r = 0; r < ids.length; r++) if (layout.task(sys.snaps[q], r)?.title !== titles[ids[r] - 1]) wrong++;
    }
    const seen = msgs.filter((m) => m.at !== 0);
    const latency = seen.map((m) => m.at - m.t0).sort((a, b) => a - b);
    const busy = msgs.reduce((s, m) => s + (m.end ? m.end - m.t0 : 0), 0);
    const lag = msgs.map((m) => m.t0 - m.due).sort((a, b) => a - b);
    return {
      msgs, latency, wrong, late, total,
      missing: total - seen.length,
      notes: track.notes,
      expectedNotes: total * layout.need,
      busyPerMessage: busy / total,
      lagP95: nearestRank(lag, 0.95),
      lagMax: lag[lag.length - 1],
      rate: ((total - 1) * 1000) / (msgs[total - 1].t0 - msgs[0].t0),
    };
  });
}

/** The runs of one layout over `make` (name -> () => system), interleaved; the rows. */
async function pushRuns(layoutName, make, runOpts, label) {
  const layout = PUSH_LAYOUTS[layoutName];
  const { texts, titles } = pushData(layout);
  const systems = {};
  const tracks = {};
  const titlesOf = {};
  for (const [name, mk] of Object.entries(make)) {
    tracks[name] = pushTracker(layout);
    titlesOf[name] = titles.slice();
    systems[name] = await mk(layout, texts, tracks[name]);
    let same = true;
    for (let q = 0; q < layout.queries && same; q++) {
      const want = JSON.parse(texts[q]);
      if (!deepEqual(layout === PUSH_LAYOUTS.lists ? systems[name].snaps[q].list : systems[name].snaps[q].task, layout === PUSH_LAYOUTS.lists ? want.list : want.task)) same = false;
    }
    check(`8${label}. ${name}: every observer's initial snapshot deep-equals its response`, same);
  }
  const pooled = Object.fromEntries(Object.keys(make).map((n) => [n, { latency: [], runs: [] }]));
  const runs = await interleaved(
    Object.fromEntries(
      Object.keys(make).map((name) => [
        name,
        async (recorded) => {
          const r = await pacedPushes(systems[name], layout, tracks[name], titlesOf[name]);
          const p = { p50: nearestRank(r.latency, 0.5), p95: nearestRank(r.latency, 0.95), p99: nearestRank(r.latency, 0.99), busy: r.busyPerMessage };
          if (recorded) {
            for (const x of r.latency) pooled[name].latency.push(x);
            pooled[name].runs.push({ ...p, max: r.latency[r.latency.length - 1], messages: r.total, missing: r.missing, late: r.late, wrongTitles: r.wrong, notifications: r.notes, expectedNotifications: r.expectedNotes, ratePerS: r.rate, sendLagP95: r.lagP95, sendLagMax: r.lagMax });
          }
          return p;
        },
      ]),
    ),
    runOpts,
  );
  for (const name of Object.keys(make)) {
    const rs = pooled[name].runs;
    const sum = (f) => rs.reduce((s, x) => s + x[f], 0);
    check(`8${label}. ${name}: every message reached every observer of the task (${layout.need} per message), every run`, sum('missing') === 0, { missing: sum('missing') });
    check(`8${label}. ${name}: after each run every observer shows the final titles`, sum('wrongTitles') === 0, { wrongTitles: sum('wrongTitles') });
    check(`8${label}. ${name}: each message's notifications all ran before the next message was sent`, sum('late') === 0, { late: sum('late') });
    check(`8${label}. ${name}: ${layout.need} notification(s) per message, none elsewhere`, rs.every((x) => x.notifications === x.expectedNotifications), rs.map((x) => x.notifications));
    if (systems[name].fetches) {
      const st = systems[name].store.connectionState();
      check(`8${label}. ${name}: one connection for all runs (no reconnect), still open`, systems[name].fetches() === 1 && st.status === 'open' && st.reconnects === 0, { fetches: systems[name].fetches(), status: st.status, reconnects: st.reconnects });
    }
  }
  return { systems, tracks, titlesOf, layout, pooled, runs };
}

function pushRow(id, system, name, pool, opts) {
  const lat = pool.latency;
  const r = row(id, 8, system, name, lat, opts);
  const sorted = [...lat].sort((a, b) => a - b);
  r.p99 = nearestRank(sorted, 0.99);
  r.p50 = r.median;
  r.messages = lat.length;
  r.samples = undefined; // pooled per-message latencies (r.messages of them): summarized, not stored
  r.samplesNote = 'median/p95/p99: nearest rank over every message of the recorded runs (pooled); perRun: each run';
  r.perRun = pool.runs;
  r.runs = pool.runs.length;
  return r;
}

async function pushFanOut() {
  log(`8. push fan-out: ${PUSH_TASKS} tasks in ${PUSH_QUERIES} observed lists of ${PUSH_ROWS} (each task in ${PUSH_ROWS} lists); ${PUSH_RATE} upserts/s for ${PUSH_SECONDS} s per run`);
  const uninstall = installPushFetch();
  try {
    const main = await pushRuns('lists', {
      strata: strataPush,
      tanstack: (l, t, tr) => tanstackPush(l, t, tr),
      apollo: apolloPush,
      tanstackKnownKeys: (l, t, tr) => tanstackPush(l, t, tr, { knownKeys: true }),
    }, undefined, '');

    // (info) where strata's time goes: the same runs with the core call timed (a wrapper on the
    // wasm class's applyPushes: two performance.now() calls more per message).
    const probe = { runs: [], outputs: [] };
    const proto = StoreCore.prototype;
    const orig = proto.applyPushes;
    const track = main.tracks.strata;
    proto.applyPushes = function applyPushes(joined) {
      const m = track.current;
      const a = now();
      const out = orig.call(this, joined);
      const b = now();
      if (m) { m.calls = (m.calls ?? 0) + 1; m.tA ??= a; m.tB = b; m.outBytes = (m.outBytes ?? 0) + out.length; }
      if (probe.outputs.length < 200) probe.outputs.push(out);
      return out;
    };
    const parts = { toCore: [], core: [], storeAndListeners: [], afterLastListener: [], total: [] };
    const calls = [];
    const outBytes = [];
    try {
      for (let i = 0; i < INFO_WARMUP + INFO_RUNS; i++) {
        const r = await pacedPushes(main.systems.strata, main.layout, track, main.titlesOf.strata);
        if (i < INFO_WARMUP) continue;
        for (const m of r.msgs) {
          if (!m.at || !m.tA) continue;
          parts.toCore.push(m.tA - m.t0);
          parts.core.push(m.tB - m.tA);
          parts.storeAndListeners.push(m.at - m.tB);
          parts.afterLastListener.push(m.end - m.at);
          parts.total.push(m.at - m.t0);
          calls.push(m.calls);
          outBytes.push(m.outBytes);
        }
        await sleep(0);
      }
    } finally {
      proto.applyPushes = orig;
    }
    // (info) the platform's part of toCore: the same bytes through a bare Response body +
    // TextDecoderStream to a reader, enqueue -> read() resolved, one message per task.
    const floor = [];
    {
      let controller;
      const body = new ReadableStream({ start(c) { controller = c; } });
      const reader = new Response(body).body.pipeThrough(new TextDecoderStream()).getReader();
      let got = null;
      const loop = (async () => {
        for (;;) {
          const { done } = await reader.read();
          if (done) return;
          got?.(now());
        }
      })();
      const encoder = new TextEncoder();
      for (let i = 0; i < 2000; i++) {
        await yieldTask();
        const bytes = encoder.encode(`id: ${i}\ndata: ${JSON.stringify({ type: 'upsert', entity: 'Task', data: { id: (i % PUSH_TASKS) + 1, title: `floor ${i}` } })}\n\n`);
        const read = new Promise((r) => { got = r; });
        const t0 = now();
        controller.enqueue(bytes);
        const at = await read;
        if (i >= 200) floor.push(at - t0);
      }
      controller.close();
      await loop;
    }
    parts.streamFloor = floor;
    const med = (a) => stats(a).median;
    const parse = [];
    for (let i = 0; i < 20; i++) {
      const t0 = now();
      for (const o of probe.outputs) JSON.parse(o);
      parse.push((now() - t0) / probe.outputs.length);
    }
    info.push = {
      tasks: PUSH_TASKS, queries: PUSH_QUERIES, rowsPerQuery: PUSH_ROWS, queriesPerTask: PUSH_ROWS,
      ratePerS: PUSH_RATE, secondsPerRun: PUSH_SECONDS, messagesPerRun: Math.round(PUSH_RATE * PUSH_SECONDS),
      message: JSON.stringify({ type: 'upsert', entity: 'Task', data: { id: 1, title: 'Task 1 pushed 1.0' } }),
      sse: 'id: <n>\\ndata: <message>\\n\\n, one chunk per message',
      strataProbe: {
        runs: INFO_RUNS, messages: parts.total.length,
        coreCallsPerMessage: [...new Set(calls)],
        medianMs: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, med(v)])),
        p95Ms: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, stats(v).p95])),
        changeBatchBytes: med(outBytes),
        changeBatchJsonParseMs: med(parse),
        what: 'toCore: bytes enqueued -> applyPushes called (stream, TextDecoderStream, SSE parser, microtask batch); core: the wasm call (reads the message, writes the base, builds the change batch JSON); storeAndListeners: its return -> the last affected listener notified (JSON.parse of the batch, snapshots, notifier, the listeners reading getQueryData); afterLastListener: -> the flush returned; streamFloor: (not strata) the same bytes through a bare Response body + TextDecoderStream to a reader, enqueue -> read() resolved: the platform\'s share of toCore',
      },
    };
    for (const [k, v] of Object.entries(parts)) {
      row(`push.strata.probe.${k}`, 8, 'strata', `  (info) probe: ${{ toCore: 'of which enqueue -> applyPushes call (stream, SSE parser, microtask)', core: 'of which applyPushes (wasm)', storeAndListeners: 'of which change batch -> last listener notified', afterLastListener: 'after the last listener, until the flush returned', total: 'probe total (enqueue -> last listener)', streamFloor: 'platform part: bare Response body + TextDecoderStream, enqueue -> read()' }[k]}`, v, { info: true }).samples = undefined;
    }

    const p = main.pooled;
    pushRow('push.strata', 'strata', `SSE bytes -> ${PUSH_ROWS} observers notified (latency per message)`, p.strata, { headline: true });
    pushRow('push.tanstack', 'tanstack', 'handler: parse + setQueriesData (finds the lists) -> observers', p.tanstack, { vs: 'push.strata', headline: true });
    pushRow('push.apollo', 'apollo', 'handler: parse + writeFragment -> cache.watch callbacks', p.apollo, { vs: 'push.strata', headline: true });
    pushRow('push.tanstackKnownKeys', 'tanstack', '(info) handler: parse + setQueryData on the 10 lists known to hold it', p.tanstackKnownKeys, { vs: 'push.strata', info: true });
    const busyRow = (id, sys, name, pool, opts) => {
      const r = row(id, 8, sys, name, pool.runs.map((x) => x.busy), opts);
      r.perOp = { count: 1, unit: 'ns', median: r.median * 1e6, p95: r.p95 * 1e6, min: r.min * 1e6, max: r.max * 1e6 };
      r.samplesNote = 'per run: total main-thread time of the messages / messages';
      return r;
    };
    busyRow('push.strata.busy', 'strata', 'main-thread time per message (mean per run)', p.strata, { headline: true });
    busyRow('push.tanstack.busy', 'tanstack', 'main-thread time per message (mean per run)', p.tanstack, { vs: 'push.strata.busy', headline: true });
    busyRow('push.apollo.busy', 'apollo', 'main-thread time per message (mean per run)', p.apollo, { vs: 'push.strata.busy', headline: true });
    busyRow('push.tanstackKnownKeys.busy', 'tanstack', '(info) known keys: main-thread time per message', p.tanstackKnownKeys, { vs: 'push.strata.busy', info: true });
    for (const sys of Object.values(main.systems)) sys.close();
    await sleep(0);

    // (info) 1,000 single-task detail queries: each message concerns one query.
    log(`8. (info) the same with ${PUSH_TASKS} single-task detail queries, ${INFO_RUNS} runs`);
    const detail = await pushRuns('detail', {
      strata: strataPush,
      tanstack: (l, t, tr) => tanstackPush(l, t, tr),
      apollo: apolloPush,
    }, { runs: INFO_RUNS, warmup: INFO_WARMUP }, ' detail');
    const d = detail.pooled;
    pushRow('push.detail.strata', 'strata', '(info) detail queries: SSE bytes -> 1 observer notified', d.strata, { info: true });
    pushRow('push.detail.tanstack', 'tanstack', '(info) detail queries: parse + setQueryData -> 1 observer', d.tanstack, { vs: 'push.detail.strata', info: true });
    pushRow('push.detail.apollo', 'apollo', '(info) detail queries: parse + writeFragment -> 1 watch', d.apollo, { vs: 'push.detail.strata', info: true });
    busyRow('push.detail.strata.busy', 'strata', '(info) detail queries: main-thread time per message', d.strata, { info: true });
    busyRow('push.detail.tanstack.busy', 'tanstack', '(info) detail queries: main-thread time per message', d.tanstack, { vs: 'push.detail.strata.busy', info: true });
    busyRow('push.detail.apollo.busy', 'apollo', '(info) detail queries: main-thread time per message', d.apollo, { vs: 'push.detail.strata.busy', info: true });
    for (const sys of Object.values(detail.systems)) sys.close();
  } finally {
    uninstall();
  }
}

// ---- scenario 9: infinite query ---------------------------------------------------------------
//
// 20 pages of 50 tasks (each with its assignee User and 3 comments, as everywhere here; 1,000
// tasks, ids 1..1,000), page p being `{ items: [50 tasks], next: p + 1 | null }`. One run, on a
// fresh store / QueryClient: subscribe (the first page is fetched), then fetchNextPage 19 times,
// each awaited, as an app that loads the next page when the last one is shown; then a refetch of
// the whole query (every page again, in order from the first: both libraries' semantics).
//
// The pages come without network noise: both systems' queryFn resolves with a page object built
// before the run (`({ pageParam }) => pages[pageParam]`). (info) variants: the queryFn returns a
// freshly parsed copy of the page text each call (what a fetch's res.json() gives: new objects,
// so TanStack's structural sharing has work to do on a refetch), and a real GET per page from
// the bench server (strata's `url: (pageParam) => string` form; TanStack's queryFn doing
// fetch + res.json()), the pages set on the test API with POST /api/_set, untimed.
//
// Fill: from the subscribe call to the moment the observer was notified with 20 pages (the last
// fetchNextPage's promise resolved too). Refetch: from the refetch call (strata
// refetchQueries({ queryKey }), TanStack observer.refetch()) to the moment the observer was
// notified of the settled refetch (fetchStatus back to idle after a fetching notification) and
// the promise resolved, whichever is later. TanStack stores each page as it is given (no
// normalization); strata normalizes every page into its entity cache (the User and Comment
// entities are shared between pages, a page is stored as the keys of its tasks).

const INF_PAGES = 20;
const INF_PAGE_SIZE = 50;
const INF_ITEMS = INF_PAGES * INF_PAGE_SIZE;
const INF_PAGE_SHAPE = { items: ['Task'], next: null };
const INF_API = '/api/bench/infinite/'; // GET <INF_API><p>: page p (set with POST /api/_set)
const INF_WAIT_MS = 10_000;
const INF_LAST_TITLE = `Task ${INF_ITEMS}: do the thing number ${INF_ITEMS}`;

let infGeneration = 0;

function infiniteTexts() {
  const tasks = makeTasks(INF_ITEMS);
  return Array.from({ length: INF_PAGES }, (_, p) =>
    JSON.stringify({ items: tasks.slice(p * INF_PAGE_SIZE, (p + 1) * INF_PAGE_SIZE), next: p + 1 < INF_PAGES ? p + 1 : null }),
  );
}

/**
 * The observer's side: `see(state)` is its listener (the strata state / the TanStack result);
 * `until(pred)` resolves with the time of the first notification whose state satisfies `pred`
 * (made before the call that causes it, so a notification inside that call is seen).
 */
function infWatcher() {
  const w = { state: undefined, notes: 0, sawFetching: false, pending: null };
  w.see = (state) => {
    w.notes++;
    w.state = state;
    if (state && state.fetchStatus === 'fetching') w.sawFetching = true;
    const p = w.pending;
    if (p && p.pred(state)) {
      w.pending = null;
      clearTimeout(p.timer);
      p.resolve(now());
    }
  };
  w.until = (pred, what) =>
    new Promise((resolve, reject) => {
      if (pred(w.state)) return resolve(now());
      const timer = setTimeout(() => { w.pending = null; reject(new Error(`9. no notification with ${what} within ${INF_WAIT_MS} ms`)); }, INF_WAIT_MS);
      w.pending = { pred, resolve, timer };
    });
  return w;
}

const infPages = (state) => state?.data?.pages;
const infItems = (data) => (data?.pages ?? []).reduce((n, p) => n + (p?.items?.length ?? 0), 0);

/** What every run must show: 20 pages, 1,000 items, the params 0..19, the last item's title. */
function infProblems(data, observed, calls, expectedCalls) {
  const bad = [];
  if (!data || !Array.isArray(data.pages) || data.pages.length !== INF_PAGES) bad.push(`pages ${data?.pages?.length}`);
  if (infItems(data) !== INF_ITEMS) bad.push(`items ${infItems(data)}`);
  if (!data || JSON.stringify(data.pageParams) !== JSON.stringify(Array.from({ length: INF_PAGES }, (_, p) => p))) bad.push('pageParams');
  const lastPage = data?.pages?.[INF_PAGES - 1];
  if (lastPage?.items?.[INF_PAGE_SIZE - 1]?.title !== INF_LAST_TITLE || lastPage?.next !== null) bad.push('last item');
  if (observed !== data) bad.push('the observer did not see the final data');
  if (calls !== undefined && calls !== expectedCalls) bad.push(`${calls} page fetches, expected ${expectedCalls}`);
  return bad;
}

/**
 * One system's infinite query for one run. `source`: 'prebuilt' (the page objects, built before
 * the run), 'fresh' (JSON.parse of the page text per call) or 'url' (GET from the bench server).
 * Returns { fill(), refetch(), data(), calls(), close() }.
 */
async function strataInfinite(texts, source) {
  const store = await createStore({ entities, persist: false }); // in memory, as scenarios 2-3 and 7
  const queryKey = ['inf', ++infGeneration];
  const built = source === 'prebuilt' ? texts.map((t) => JSON.parse(t)) : null;
  let calls = 0;
  const from =
    source === 'url'
      ? { url: (pageParam) => { calls++; return `${INF_API}${pageParam}`; } }
      : { queryFn: built ? ({ pageParam }) => { calls++; return built[pageParam]; } : ({ pageParam }) => { calls++; return JSON.parse(texts[pageParam]); } };
  const options = { queryKey, ...from, shape: INF_PAGE_SHAPE, initialPageParam: 0, getNextPageParam: (lastPage) => lastPage.next };
  const w = infWatcher();
  let stop = null;
  return {
    w,
    async fill() {
      const t0 = now();
      const first = w.until((s) => infPages(s)?.length === 1, '1 page');
      stop = store.subscribeInfiniteQuery(options, () => w.see(store.getInfiniteQueryState(queryKey)));
      await first;
      let at = 0;
      for (let n = 2; n <= INF_PAGES; n++) {
        const landed = w.until((s) => infPages(s)?.length === n, `${n} pages`);
        const done = store.fetchNextPage(queryKey).then(() => now());
        const [seen, resolved] = await Promise.all([landed, done]);
        at = Math.max(seen, resolved);
      }
      return at - t0;
    },
    async refetch() {
      w.sawFetching = false;
      const t0 = now();
      const settled = w.until((s) => w.sawFetching && s?.fetchStatus === 'idle', 'the settled refetch');
      const done = store.refetchQueries({ queryKey }).then(() => now());
      const [seen, resolved] = await Promise.all([settled, done]);
      return Math.max(seen, resolved) - t0;
    },
    data: () => store.getInfiniteQueryState(queryKey)?.data,
    calls: () => calls,
    close() { stop?.(); store.close(); },
  };
}

async function tanstackInfinite(texts, source) {
  const client = newQueryClient();
  const queryKey = ['inf', ++infGeneration];
  const built = source === 'prebuilt' ? texts.map((t) => JSON.parse(t)) : null;
  let calls = 0;
  const queryFn =
    source === 'url'
      ? async ({ pageParam, signal }) => {
          calls++;
          const res = await fetch(`${INF_API}${pageParam}`, { signal, cache: 'no-store' });
          if (!res.ok) throw new Error(`GET ${INF_API}${pageParam} answered ${res.status}`);
          return res.json();
        }
      : built ? ({ pageParam }) => { calls++; return built[pageParam]; } : ({ pageParam }) => { calls++; return JSON.parse(texts[pageParam]); };
  const observer = new InfiniteQueryObserver(client, { queryKey, queryFn, initialPageParam: 0, getNextPageParam: (lastPage) => lastPage.next });
  const w = infWatcher();
  let stop = null;
  return {
    w,
    async fill() {
      const t0 = now();
      const first = w.until((s) => infPages(s)?.length === 1, '1 page');
      stop = observer.subscribe((result) => w.see(result)); // the first page is fetched on subscribe
      await first;
      let at = 0;
      for (let n = 2; n <= INF_PAGES; n++) {
        const landed = w.until((s) => infPages(s)?.length === n, `${n} pages`);
        const done = observer.fetchNextPage().then(() => now());
        const [seen, resolved] = await Promise.all([landed, done]);
        at = Math.max(seen, resolved);
      }
      return at - t0;
    },
    async refetch() {
      w.sawFetching = false;
      const t0 = now();
      const settled = w.until((s) => w.sawFetching && s?.fetchStatus === 'idle', 'the settled refetch');
      const done = observer.refetch().then(() => now());
      const [seen, resolved] = await Promise.all([settled, done]);
      return Math.max(seen, resolved) - t0;
    },
    data: () => observer.getCurrentResult().data,
    calls: () => calls,
    close() { stop?.(); client.clear(); },
  };
}

async function infiniteQuery() {
  const texts = infiniteTexts();
  const pageBytes = texts.map((t) => new TextEncoder().encode(t).length);
  log(`9. infinite query: ${INF_PAGES} pages of ${INF_PAGE_SIZE} tasks (${(pageBytes.reduce((a, b) => a + b, 0) / 1e6).toFixed(2)} MB of JSON), fill + refetch`);
  const expected = texts.map((t) => JSON.parse(t));

  // The url form's pages on the test API (untimed), and its request counts before the runs.
  for (let p = 0; p < INF_PAGES; p++) {
    const res = await fetch(`/api/_set?path=${encodeURIComponent(`${INF_API}${p}`)}`, { method: 'POST', body: texts[p] });
    if (!res.ok) throw new Error(`9. POST /api/_set for page ${p} answered ${res.status}`);
  }
  const serverCounts = async () => {
    const { counts } = await (await fetch('/api/_count')).json();
    let n = 0;
    for (let p = 0; p < INF_PAGES; p++) n += counts[`${INF_API}${p}`] ?? 0;
    return n;
  };
  const serverBefore = await serverCounts();

  const make = {
    strata: () => strataInfinite(texts, 'prebuilt'),
    tanstack: () => tanstackInfinite(texts, 'prebuilt'),
    strataFresh: () => strataInfinite(texts, 'fresh'),
    tanstackFresh: () => tanstackInfinite(texts, 'fresh'),
    strataUrl: () => strataInfinite(texts, 'url'),
    tanstackUrl: () => tanstackInfinite(texts, 'url'),
  };

  // Once, untimed: the pages deep-equal the input after the fill and after the refetch; what
  // each system shares between pages; whether the refetch kept the data object.
  const shape = {};
  for (const [name, mk] of Object.entries(make)) {
    const sys = await mk();
    await sys.fill();
    const filled = sys.data();
    check(`9. ${name}: after the fill the pages deep-equal the responses`, deepEqual(filled?.pages, expected), { pages: filled?.pages?.length });
    await sys.refetch();
    const refetched = sys.data();
    check(`9. ${name}: after the refetch the pages deep-equal the responses`, deepEqual(refetched?.pages, expected));
    // Task 1 (page 0) and task 201 (page 4) have the same assignee (User 2).
    const a = refetched?.pages?.[0]?.items?.[0]?.assignee;
    const b = refetched?.pages?.[4]?.items?.[0]?.assignee;
    shape[name] = {
      sharedUserIsOneObject: a !== undefined && a === b,
      refetchKeptDataObject: refetched === filled,
      refetchKeptFirstPage: refetched?.pages?.[0] === filled?.pages?.[0],
      notifications: sys.w.notes,
    };
    if (name.startsWith('strata')) check(`9. ${name}: a User shared by two pages is one object (normalized)`, shape[name].sharedUserIsOneObject);
    sys.close();
    await yieldTask();
  }

  // The timed runs, interleaved; a fresh instance per run, built and closed untimed.
  const problems = Object.fromEntries(Object.keys(make).map((n) => [n, []]));
  const notes = Object.fromEntries(Object.keys(make).map((n) => [n, new Set()]));
  const s = await interleaved(
    Object.fromEntries(
      Object.entries(make).map(([name, mk]) => [
        name,
        async (recorded) => {
          const sys = await mk();
          await yieldTask();
          const fill = await sys.fill();
          const bad = infProblems(sys.data(), sys.w.state?.data, sys.calls(), INF_PAGES).map((x) => `fill: ${x}`);
          const notesAfterFill = sys.w.notes;
          await yieldTask();
          const refetch = await sys.refetch();
          bad.push(...infProblems(sys.data(), sys.w.state?.data, sys.calls(), 2 * INF_PAGES).map((x) => `refetch: ${x}`));
          if (recorded) {
            if (bad.length) problems[name].push(bad);
            notes[name].add(`${notesAfterFill}+${sys.w.notes - notesAfterFill}`);
          }
          sys.close();
          return { fill, refetch };
        },
      ]),
    ),
  );
  const runsDone = (WARMUP + RUNS) + 1; // the untimed check run too
  const serverRequests = (await serverCounts()) - serverBefore;
  for (const name of Object.keys(make)) {
    check(`9. ${name}: every run: ${INF_PAGES} pages, ${INF_ITEMS} items, params 0..${INF_PAGES - 1}, the last item's title, the observer saw the final data, ${INF_PAGES} page fetches per fill and per refetch`, problems[name].length === 0, problems[name].slice(0, 3));
  }
  check(`9. url form: the bench server answered ${INF_PAGES} GETs per fill and per refetch, each run (strata and TanStack)`, serverRequests === 2 * 2 * INF_PAGES * runsDone, { requests: serverRequests, expected: 2 * 2 * INF_PAGES * runsDone });

  // (info) where strata's time goes: more runs of the headline variant with every call into
  // the wasm core timed (a wrapper on each StoreCore method), per phase.
  const probe = await infiniteProbe(texts);

  info.infinite = {
    pages: INF_PAGES, pageSize: INF_PAGE_SIZE, items: INF_ITEMS, pageShape: INF_PAGE_SHAPE,
    pageBytes: { min: Math.min(...pageBytes), max: Math.max(...pageBytes), total: pageBytes.reduce((a, b) => a + b, 0) },
    entities: INF_ITEMS + USERS + INF_ITEMS * COMMENTS_PER_TASK,
    page: '{ items: [50 tasks with assignee (User) and 3 comments (author User)], next: p + 1 | null }',
    notificationsPerRun: Object.fromEntries(Object.entries(notes).map(([k, v]) => [k, [...v]])),
    shape,
    urlFormRequests: serverRequests,
    strataProbe: probe,
  };

  row('inf.strata.fill', 9, 'strata', `fill: subscribe + fetchNextPage x${INF_PAGES - 1} -> observer has ${INF_PAGES} pages (queryFn, built pages)`, s.strata.fill, { perOp: INF_PAGES, headline: true });
  row('inf.tanstack.fill', 9, 'tanstack', `fill: InfiniteQueryObserver + fetchNextPage() x${INF_PAGES - 1} (queryFn, built pages)`, s.tanstack.fill, { perOp: INF_PAGES, vs: 'inf.strata.fill', headline: true });
  row('inf.strata.refetch', 9, 'strata', `refetch: refetchQueries -> ${INF_PAGES} pages again -> observer notified`, s.strata.refetch, { perOp: INF_PAGES, headline: true });
  row('inf.tanstack.refetch', 9, 'tanstack', `refetch: observer.refetch() -> ${INF_PAGES} pages again -> observer notified`, s.tanstack.refetch, { perOp: INF_PAGES, vs: 'inf.strata.refetch', headline: true });
  row('inf.strataFresh.fill', 9, 'strata', '(info) fill, queryFn returns a fresh JSON.parse of the page', s.strataFresh.fill, { perOp: INF_PAGES, info: true });
  row('inf.tanstackFresh.fill', 9, 'tanstack', '(info) fill, queryFn returns a fresh JSON.parse of the page', s.tanstackFresh.fill, { perOp: INF_PAGES, vs: 'inf.strataFresh.fill', info: true });
  row('inf.strataFresh.refetch', 9, 'strata', '(info) refetch, fresh JSON.parse of each page', s.strataFresh.refetch, { perOp: INF_PAGES, info: true });
  row('inf.tanstackFresh.refetch', 9, 'tanstack', '(info) refetch, fresh JSON.parse of each page (structural sharing compares)', s.tanstackFresh.refetch, { perOp: INF_PAGES, vs: 'inf.strataFresh.refetch', info: true });
  row('inf.strataUrl.fill', 9, 'strata', `(info) fill, url: (p) => '${INF_API}' + p (GET from the bench server)`, s.strataUrl.fill, { perOp: INF_PAGES, info: true });
  row('inf.tanstackUrl.fill', 9, 'tanstack', '(info) fill, queryFn: fetch + res.json() from the bench server', s.tanstackUrl.fill, { perOp: INF_PAGES, vs: 'inf.strataUrl.fill', info: true });
  row('inf.strataUrl.refetch', 9, 'strata', '(info) refetch, url form (20 GETs)', s.strataUrl.refetch, { perOp: INF_PAGES, info: true });
  row('inf.tanstackUrl.refetch', 9, 'tanstack', '(info) refetch, fetch + res.json() (20 GETs)', s.tanstackUrl.refetch, { perOp: INF_PAGES, vs: 'inf.strataUrl.refetch', info: true });
  for (const phase of ['fill', 'refetch']) {
    const p = probe.perRun[phase];
    for (const [k, label] of Object.entries({
      total: `probe ${phase} total`,
      core: `of which calls into the wasm core (${Object.keys(probe.core[phase]).join(', ')})`,
      pageStringify: 'of which JSON.stringify of the pages (strata passes page texts to the core; measured apart)',
      batchParse: "of which JSON.parse of the core's change batches (measured apart on the same outputs)",
      rest: 'the rest: snapshots, listeners, promise hops, param functions',
    })) {
      row(`inf.strata.probe.${phase}.${k}`, 9, 'strata', `  (info) ${label}`, p[k], { info: true });
    }
  }
}

/** (info) The strata headline variant with each StoreCore call timed, INFO_RUNS runs. */
async function infiniteProbe(texts) {
  const proto = StoreCore.prototype;
  const names = Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, n).value === 'function');
  const originals = new Map(names.map((n) => [n, proto[n]]));
  let bucket = null; // { name: { count, ms, chars } } of the phase running
  let outputs = null;
  let pageCalls = null; // the fill's settlePage calls in order (pages 2..20)
  const byPage = [];
  for (const n of names) {
    const orig = originals.get(n);
    proto[n] = function (...args) {
      const t = now();
      const r = orig.apply(this, args);
      const ms = now() - t;
      if (bucket) {
        const c = (bucket[n] ??= { count: 0, ms: 0, chars: 0 });
        c.count++;
        c.ms += ms;
        if (typeof r === 'string') { c.chars += r.length; outputs?.push(r); }
        if (n === 'settlePage') pageCalls?.push(ms);
      }
      return r;
    };
  }
  const perRun = { fill: { total: [], core: [], pageStringify: [], batchParse: [], rest: [] }, refetch: { total: [], core: [], pageStringify: [], batchParse: [], rest: [] } };
  const core = { fill: {}, refetch: {} };
  const batchChars = { fill: [], refetch: [] };
  const built = texts.map((t) => JSON.parse(t));
  const stringifyAll = () => { const t = now(); for (const p of built) JSON.stringify(p); return now() - t; };
  try {
    for (let i = 0; i < INFO_WARMUP + INFO_RUNS; i++) {
      const sys = await strataInfinite(texts, 'prebuilt');
      await yieldTask();
      const result = {};
      for (const phase of ['fill', 'refetch']) {
        bucket = {};
        outputs = [];
        pageCalls = phase === 'fill' && i >= INFO_WARMUP ? [] : null;
        const total = await sys[phase]();
        if (pageCalls) byPage.push(pageCalls);
        pageCalls = null;
        const b = bucket;
        const outs = outputs;
        bucket = null;
        outputs = null;
        await yieldTask();
        const coreMs = Object.values(b).reduce((a, c) => a + c.ms, 0);
        const t = now();
        for (const o of outs) JSON.parse(o);
        const parseMs = now() - t;
        const strMs = stringifyAll();
        result[phase] = { total, core: coreMs, pageStringify: strMs, batchParse: parseMs, rest: total - coreMs - strMs - parseMs, b, chars: outs.reduce((a, o) => a + o.length, 0) };
      }
      sys.close();
      await sleep(0);
      if (i < INFO_WARMUP) continue;
      for (const phase of ['fill', 'refetch']) {
        const r = result[phase];
        for (const k of Object.keys(perRun[phase])) perRun[phase][k].push(r[k]);
        batchChars[phase].push(r.chars);
        for (const [n, c] of Object.entries(r.b)) {
          const acc = (core[phase][n] ??= { count: [], ms: [], chars: [] });
          acc.count.push(c.count);
          acc.ms.push(c.ms);
          acc.chars.push(c.chars);
        }
      }
    }
  } finally {
    for (const [n, f] of originals) proto[n] = f;
  }
  const med = (a) => stats(a).median;
  const summary = (phase) => Object.fromEntries(Object.entries(core[phase]).map(([n, c]) => [n, { calls: med(c.count), ms: med(c.ms), outputChars: med(c.chars) }]));
  return {
    runs: INFO_RUNS,
    perRun,
    medianMs: Object.fromEntries(['fill', 'refetch'].map((ph) => [ph, Object.fromEntries(Object.entries(perRun[ph]).map(([k, v]) => [k, med(v)]))])),
    core: { fill: summary('fill'), refetch: summary('refetch') },
    changeBatchChars: { fill: med(batchChars.fill), refetch: med(batchChars.refetch) },
    settlePageMsByPage: Array.from({ length: INF_PAGES - 1 }, (_, k) => med(byPage.map((r) => r[k]).filter((x) => x !== undefined))),
    settlePageNote: 'settlePageMsByPage[k]: median ms of the settlePage call that added page k + 2 (does a page cost more when more pages are cached?)',
    what: "each StoreCore method wrapped (two performance.now() calls more per call); core: the wasm calls' time summed per phase (median per method: calls, ms, characters of JSON returned); pageStringify: JSON.stringify of the 20 built pages timed apart (strata's queryFn path stringifies each page before handing it to the core); batchParse: JSON.parse of the returned change batches timed apart; rest: total minus those",
  };
}

// ---- report -----------------------------------------------------------------------------------

function timerResolution() {
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
  const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toFixed(4));
  const html = [
    '<table><tr><th>scenario</th><th>system</th><th>median ms</th><th>p95 ms</th><th>ns/op</th><th>per s</th><th>strata / this</th></tr>',
    ...rows.map((r) => {
      const base = r.vs && byId.get(r.vs);
      const ratio = base ? `${(base.median / r.median).toFixed(2)}` : '';
      return `<tr><td>${r.scenario}. ${r.name.replace(/ /g, '&nbsp;')}</td><td>${r.system}</td><td>${fmt(r.median)}</td><td>${fmt(r.p95)}</td><td>${r.perOp ? fmt(r.perOp.median) : ''}</td><td>${r.rate ? fmt(r.rate.median) : ''}</td><td>${ratio}</td></tr>`;
    }),
    '</table>',
    `<pre>${notMeasured.map((m) => `${m.scenario}. ${m.name}: not measured: ${m.reason}`).join('\n')}</pre>`,
    `<pre>${checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}`).join('\n')}</pre>`,
  ];
  document.getElementById('out').innerHTML = html.join('\n');
}

async function main() {
  const started = now();
  info.userAgent = navigator.userAgent;
  info.hardwareConcurrency = navigator.hardwareConcurrency;
  info.crossOriginIsolated = globalThis.crossOriginIsolated === true;
  info.timerResolutionMs = timerResolution();
  info.params = { runs: RUNS, warmup: WARMUP, calls: CALLS, callWarmup: CALL_WARMUP, outboxRuns: OUTBOX_RUNS, outboxWarmup: OUTBOX_WARMUP, coldRuns: COLD_RUNS, coldWarmup: COLD_WARMUP, reads: READS, pushRate: PUSH_RATE, pushSeconds: PUSH_SECONDS };
  log(`runs=${RUNS} warmup=${WARMUP} calls=${CALLS}; crossOriginIsolated=${info.crossOriginIsolated}; timer resolution ${info.timerResolutionMs.toFixed(4)} ms`);

  const want = (n) => ONLY.size === 0 || ONLY.has(String(n));
  if (want(1)) await ingest();
  if (want(2) || want(3)) await fanOutAndPrecise();
  if (want(4)) await optimistic();
  if (want(5)) await outbox();
  if (want(6)) await coldStart();
  if (want(7)) await repeatedRead();
  if (want(8)) await pushFanOut();
  if (want(9)) await infiniteQuery();
  if (want(10)) await liveQueries({ interleaved, row, check, log, yieldTask, runs: INFO_RUNS, warmup: INFO_WARMUP, updates: Math.max(50, RUNS * 10) });
  // Scenario 11 (issue 16, a lean data path): www/bench/peers/lean.mjs, a block of its own.
  if (want(11)) await (await import('./lean.mjs')).lean({ row, check, interleaved, deepEqual, log, now, yieldTask, createStore, entities, newApollo, gql, QueryClient, info, RUNS, StoreCore });

  info.durationMs = now() - started;
  render();
  document.getElementById('status').textContent = `done in ${(info.durationMs / 1000).toFixed(1)} s`;
  window.__bench = { ok: true, runs: RUNS, warmup: WARMUP, info, checks, rows, notMeasured };
}

main().catch((err) => {
  console.error(err);
  document.getElementById('status').textContent = `failed: ${err.message}`;
  window.__bench = { ok: false, error: String(err.stack || err), info, checks, rows, notMeasured };
});
