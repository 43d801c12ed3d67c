// strata next to its peers, on the same data in one page: Apollo Client's InMemoryCache,
// TanStack Query's QueryClient (query-core) and normalizr.
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

import { createStore } from '/pkg/index.js';
import { InMemoryCache, gql, cacheSizes, QueryClient, QueryObserver, notifyManager, normalize, denormalize, schema } from './dist/peers.js';

const params = new URLSearchParams(location.search);
const RUNS = Math.max(3, Number(params.get('runs')) || 15);
const WARMUP = Math.max(1, Number(params.get('warmup')) || 3);
const CALLS = Math.max(10, Number(params.get('calls')) || 1000); // scenario 4
const CALL_WARMUP = Math.max(10, Math.round(CALLS / 10));
// (info) variants that are slow and only give context run fewer times.
const INFO_RUNS = Math.min(RUNS, 5);
const INFO_WARMUP = 1;
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
function row(id, scenario, system, name, samples, { perOp = null, vs = null, headline = false, info: isInfo = false } = {}) {
  const r = { id, scenario, system, name, unit: 'ms', runs: samples.length, ...stats(samples), vs, headline, info: isInfo, samples };
  if (perOp) {
    r.perOp = { count: perOp, unit: 'ns' };
    for (const k of ['median', 'p95', 'min', 'max']) r.perOp[k] = (r[k] * 1e6) / perOp;
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
 * rotating order so no system always runs first (or right after a GC-heavy one).
 */
async function interleaved(fns, { runs = RUNS, warmup = WARMUP } = {}) {
  const names = Object.keys(fns);
  const out = Object.fromEntries(names.map((n) => [n, {}]));
  for (let i = 0; i < warmup + runs; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length];
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

  const systems = {
    async strata() {
      const store = await createStore({ entities });
      const t0 = now();
      const data = JSON.parse(text);
      const t1 = now();
      store.setQueryData(key, data, { shape: TASKS_SHAPE });
      const t2 = now();
      const view = store.getQueryData(key);
      const t3 = now();
      return { times: { parse: t1 - t0, write: t2 - t1, read: t3 - t2, total: t3 - t0 }, view, done: () => store.close() };
    },
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
    r.done?.();
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
            r.done?.();
            return r.times;
          },
        ]),
      ),
      runOpts,
    );
  // All three Apollo configurations get full runs here: the goal is judged on the fastest.
  const s = await timed(['baseline', 'strata', 'apollo', 'normalizr', 'tanstack', 'apolloDefaultSizes', 'apolloDefaultIds']);
  info.ingest.sink = sink;

  row('ingest.baseline', 1, 'baseline', 'JSON.parse(response) only', s.baseline.total, { vs: 'ingest.strata', info: true });
  row('ingest.strata', 1, 'strata', 'parse + setQueryData + first getQueryData', s.strata.total, { headline: true });
  row('ingest.apollo', 1, 'apollo', 'parse + writeQuery + first readQuery (sized caches)', s.apollo.total, { vs: 'ingest.strata', headline: true });
  row('ingest.normalizr', 1, 'normalizr', 'parse + normalize + denormalize', s.normalizr.total, { vs: 'ingest.strata', headline: true });
  row('ingest.tanstack', 1, 'tanstack', 'parse + setQueryData + getQueryData', s.tanstack.total, { vs: 'ingest.strata', headline: true });
  row('ingest.apolloDefaultSizes', 1, 'apollo', 'same, default cache sizes', s.apolloDefaultSizes.total, { vs: 'ingest.strata', headline: true });
  row('ingest.apolloDefaultIds', 1, 'apollo', 'same, sized caches, default ids (no typePolicies)', s.apolloDefaultIds.total, { vs: 'ingest.strata', headline: true });
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
  const store = await createStore({ entities });
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

  // strata: the real mutation; the request goes to the test API (PATCH /api/tasks/1).
  const store = await createStore({ entities, defaults: { retry: 0 } });
  store.setQueryData(['task', 1], JSON.parse(taskText), { shape: TASK_SHAPE });
  const st = { pending: false, at: 0, title: null, notes: 0, failures: [], acked: 0 };
  store.subscribeQuery({ queryKey: ['task', 1] }, () => {
    st.notes++;
    const v = store.getQueryData(['task', 1]);
    if (st.pending) { st.pending = false; st.at = now(); st.title = v.task.title; }
  });

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

  const samples = { strata: [], strataSync: 0, apollo: [], apolloSync: 0 };
  let wrongTitle = { strata: 0, apollo: 0 };
  let n = 0;
  const calls = {
    async strata(recorded) {
      const title = `optimistic ${++n}`;
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
        samples.strata.push(st.at - t0);
        if (sync) samples.strataSync++;
        if (st.title !== title) wrongTitle.strata++;
      }
      try { await promise; st.acked++; } catch (err) { st.failures.push(String(err && (err.code || err.message))); }
    },
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
  };
  const names = Object.keys(calls);
  for (let i = 0; i < CALL_WARMUP + CALLS; i++) {
    for (let j = 0; j < names.length; j++) await calls[names[(i + j) % names.length]](i >= CALL_WARMUP);
    if (i % 100 === 99) await sleep(0);
  }
  check(`4. strata: observer notified before mutate returned, in ${CALLS} of ${CALLS} calls`, samples.strataSync === CALLS, samples.strataSync);
  check('4. strata: the notified snapshot shows the new title each time', wrongTitle.strata === 0, wrongTitle.strata);
  check(`4. strata: every mutation acknowledged by the test API (${CALL_WARMUP + CALLS})`, st.acked === CALL_WARMUP + CALLS && st.failures.length === 0, { acked: st.acked, failures: st.failures.slice(0, 5) });
  check(`4. apollo: watch callback ran before recordOptimisticTransaction returned, in ${CALLS} of ${CALLS} calls`, samples.apolloSync === CALLS, samples.apolloSync);
  check('4. apollo: the notified result shows the new title each time', wrongTitle.apollo === 0, wrongTitle.apollo);
  check(`4. tanstack: observer listener ran before setQueryData returned, in ${CALLS} of ${CALLS} calls`, ts.sync === CALLS && ts.late === 0, { sync: ts.sync, late: ts.late });
  check('4. tanstack: the notified result shows the new title each time', ts.wrong === 0, ts.wrong);
  check(`4. tanstackReact: batchCalls listener ran after setQueryData returned (setTimeout batch), in ${CALLS} of ${CALLS} calls`, tr.sync === 0 && tr.late === 0, { sync: tr.sync, late: tr.late });
  check('4. tanstackReact: the notified result shows the new title each time', tr.wrong === 0, tr.wrong);
  info.optimistic = {
    calls: CALLS, warmupCalls: CALL_WARMUP,
    notifications: { strata: st.notes, apollo: ap.notes, tanstack: ts.notes, tanstackReact: tr.notes },
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
  store.close();
  stopApollo();
  for (const t of [ts, tr]) { t.stop(); t.client.clear(); }

  row('opt.strata', 4, 'strata', 'mutate (optimistic update) -> listener', samples.strata, { headline: true });
  row('opt.apollo', 4, 'apollo', 'recordOptimisticTransaction -> watch callback', samples.apollo, { vs: 'opt.strata', headline: true });
  row('opt.tanstack', 4, 'tanstack', 'setQueryData -> QueryObserver listener', ts.samples, { vs: 'opt.strata', headline: true });
  row('opt.tanstackReact', 4, 'tanstack', '(info) same, listener via notifyManager.batchCalls (as useQuery)', tr.samples, { vs: 'opt.strata', info: true });
  row('opt.strata.burst', 4, 'strata', `(info) burst: ${CALLS} mutate calls back to back`, burst.strata, { info: true });
  row('opt.apollo.burst', 4, 'apollo', `(info) burst: ${CALLS} optimistic layers back to back`, burst.apollo, { vs: 'opt.strata.burst', info: true });
}

// ---- scenario 7: repeated read ----------------------------------------------------------------

async function repeatedRead() {
  const text = JSON.stringify({ tasks: makeTasks(READ_ROWS) });
  log(`7. repeated read: ${READS / 1000}k reads of a ${READ_ROWS}-row query`);
  const key = ['q', 1];

  const store = await createStore({ entities });
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
    '<table><tr><th>scenario</th><th>system</th><th>median ms</th><th>p95 ms</th><th>ns/op</th><th>strata / this</th></tr>',
    ...rows.map((r) => {
      const base = r.vs && byId.get(r.vs);
      const ratio = base ? `${(base.median / r.median).toFixed(2)}` : '';
      return `<tr><td>${r.scenario}. ${r.name.replace(/ /g, '&nbsp;')}</td><td>${r.system}</td><td>${fmt(r.median)}</td><td>${fmt(r.p95)}</td><td>${r.perOp ? fmt(r.perOp.median) : ''}</td><td>${ratio}</td></tr>`;
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
  info.params = { runs: RUNS, warmup: WARMUP, calls: CALLS, callWarmup: CALL_WARMUP, reads: READS };
  log(`runs=${RUNS} warmup=${WARMUP} calls=${CALLS}; crossOriginIsolated=${info.crossOriginIsolated}; timer resolution ${info.timerResolutionMs.toFixed(4)} ms`);

  const want = (n) => ONLY.size === 0 || ONLY.has(String(n));
  if (want(1)) await ingest();
  if (want(2) || want(3)) await fanOutAndPrecise();
  if (want(4)) await optimistic();
  notMeasured.push({ scenario: 5, name: 'offline outbox (IndexedDB) write + replay', reason: 'needs the IndexedDB outbox/persisted cache' });
  notMeasured.push({ scenario: 6, name: 'cold start from persisted entities', reason: 'needs the IndexedDB outbox/persisted cache' });
  if (want(7)) await repeatedRead();

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
