// Scenario 11 of the peer benchmark: the rows of issue 16 ("a lean data path") that no other
// scenario measures, beside plain TanStack Query (no normalization) and the normalizing peers
// (Apollo InMemoryCache, TanStack DB local-only collections, normy on TanStack Query):
//
//   11a. 500 responses of 20 tasks, one after another into one store: per response (parse +
//        write + first read), the median over the 500 of a run; the row is the median of runs;
//   11b. 20,000 tasks (500 users, 2 comments per task: 60,500 entities) -> ingest + first read;
//   11c. memory after 11b: JS heap growth (the runner's CDP HeapProfiler.collectGarbage +
//        Runtime.getHeapUsage, exposed to the page as window.__benchHeap) and, for strata, the
//        wasm memory (memory.buffer.byteLength of a fresh instance in an iframe of its own: the
//        high-water mark, wasm memory never shrinks);
//   11d. startup: import() of the package as shipped -> a ready store (strata: /pkg/index.js +
//        createStore; TanStack: dist/query-core.js, query-core alone + new QueryClient()), each run
//        in a fresh iframe (a module map of its own; the server sends no-store).
//
// The other rows of the issue come from scenarios 4 (optimistic toggle -> observer), 6 (cold
// start of 10,000 persisted tasks) and the runner's size report: `--only 4,6,11` gives the whole
// table in one run, printed by scripts/bench-peers.mjs as "issue 16".
//
// Loaded by bench.mjs; its helpers are handed in so this file stays a block of its own.

const BIG_TASKS = 20_000;
const BIG_USERS = 500;
const COMMENTS = 2;
const SMALL_RESPONSES = 500;
const SMALL_TASKS = 20;

function user(i) {
  return { __typename: 'User', id: i + 1, name: `User ${i + 1}`, email: `user${i + 1}@example.com` };
}

/** `count` tasks from id `first`, COMMENTS comments each (the same shape as scenario 1). */
function tasks(count, first, users) {
  const out = new Array(count);
  for (let n = 0; n < count; n++) {
    const i = first + n;
    const comments = [];
    for (let k = 0; k < COMMENTS; k++) {
      comments.push({ __typename: 'Comment', id: i * COMMENTS + k, text: `Comment ${k + 1} on task ${i}: looks good to me`, author: user((i * 7 + k) % users) });
    }
    out[n] = { __typename: 'Task', id: i, title: `Task ${i}: do the thing number ${i}`, done: i % 3 === 0, priority: i % 5, assignee: user(i % users), comments };
  }
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

// TanStack DB does not normalize a nested response: the app splits it into one local-only
// collection per type and joins on read, which is what these two functions do.
function dbCollections(P) {
  const opts = () => P.localOnlyCollectionOptions({ getKey: (row) => row.id });
  return { Task: P.createCollection(opts()), User: P.createCollection(opts()), Comment: P.createCollection(opts()) };
}
function dbWrite(c, list) {
  // Upsert: insert the rows a collection lacks (one call), update the others in place.
  const upsert = (col, rows) => {
    const news = [];
    for (const r of rows) {
      if (col.has(r.id)) col.update(r.id, (d) => { Object.assign(d, r); });
      else news.push(r);
    }
    if (news.length) col.insert(news);
  };
  const users = new Map();
  const taskRows = [];
  const commentRows = [];
  for (const t of list) {
    users.set(t.assignee.id, t.assignee);
    for (const cm of t.comments) {
      users.set(cm.author.id, cm.author);
      commentRows.push({ __typename: 'Comment', id: cm.id, text: cm.text, author: cm.author.id });
    }
    taskRows.push({ __typename: 'Task', id: t.id, title: t.title, done: t.done, priority: t.priority, assignee: t.assignee.id, comments: t.comments.map((cm) => cm.id) });
  }
  upsert(c.User, [...users.values()]);
  upsert(c.Comment, commentRows);
  upsert(c.Task, taskRows);
  return taskRows.map((t) => t.id);
}
function dbRead(c, ids) {
  // get() adds virtual fields ($synced, $key, ...): the app copies the data fields out.
  const u = (id) => { const x = c.User.get(id); return { __typename: 'User', id: x.id, name: x.name, email: x.email }; };
  return {
    tasks: ids.map((id) => {
      const t = c.Task.get(id);
      return { __typename: 'Task', id: t.id, title: t.title, done: t.done, priority: t.priority, assignee: u(t.assignee), comments: t.comments.map((cid) => { const cm = c.Comment.get(cid); return { __typename: 'Comment', id: cm.id, text: cm.text, author: u(cm.author) }; }) };
    }),
  };
}

/** A fresh same-origin iframe (srcdoc inherits the page's origin and isolation). */
function frame(body) {
  return new Promise((resolve, reject) => {
    const f = document.createElement('iframe');
    f.style.display = 'none';
    const timer = setTimeout(() => reject(new Error('lean: iframe timed out')), 60_000);
    const onMessage = (e) => {
      if (e.source !== f.contentWindow) return;
      window.removeEventListener('message', onMessage);
      clearTimeout(timer);
      if (e.data && e.data.error) reject(new Error(e.data.error));
      else resolve({ frame: f, data: e.data });
    };
    window.addEventListener('message', onMessage);
    f.srcdoc = `<!doctype html><meta charset="utf-8"><script type="module">${body}<\/script>`;
    document.body.appendChild(f);
  });
}

export async function lean(h) {
  const { row, check, interleaved, deepEqual, log, now, yieldTask, createStore, entities, newApollo, gql, QueryClient, info, StoreCore } = h;
  const P = await import('./dist/lean-peers.js');
  const TASKS_SHAPE = { tasks: ['Task'] };
  const USER_SEL = '__typename id name email';
  const QUERY = gql(`query Tasks { tasks { __typename id title done priority assignee { ${USER_SEL} } comments { __typename id text author { ${USER_SEL} } } } }`);
  const newClient = () => new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, gcTime: Infinity, retry: false } } });
  const normyKey = (o) => (o.__typename && o.id !== undefined ? `${o.__typename}:${o.id}` : undefined);

  // ---- 11a. 500 small responses -------------------------------------------------------------
  const smallTexts = [];
  for (let r = 0; r < SMALL_RESPONSES; r++) smallTexts.push(JSON.stringify({ tasks: tasks(SMALL_TASKS, r * SMALL_TASKS + 1, 200) }));
  info.lean = { small: { responses: SMALL_RESPONSES, tasksPerResponse: SMALL_TASKS, bytesPerResponse: smallTexts[0].length } };
  log(`11a. ${SMALL_RESPONSES} responses of ${SMALL_TASKS} tasks (${smallTexts[0].length} bytes each)`);

  // Each system: `open()` -> { write(key, data), read(key), close() }.
  const smallSystems = {
    strata: async () => {
      const store = await createStore({ name: `bench-lean-${Math.random().toString(36).slice(2)}`, entities, persist: false });
      return { write: (k, d) => store.setQueryData(k, d, { shape: TASKS_SHAPE }), read: (k) => store.getQueryData(k), close: () => store.close() };
    },
    tanstack: async () => {
      const c = newClient();
      return { write: (k, d) => c.setQueryData(k, d), read: (k) => c.getQueryData(k), close: () => c.clear() };
    },
    normy: async () => {
      const c = newClient();
      const n = P.createQueryNormalizer(c, { getNormalizationObjectKey: normyKey });
      n.subscribe();
      return { write: (k, d) => c.setQueryData(k, d), read: (k) => c.getQueryData(k), close: () => { n.unsubscribe(); n.clear(); c.clear(); } };
    },
    apollo: async () => {
      const cache = newApollo();
      return { write: (k, d) => cache.writeQuery({ query: QUERY, data: d }), read: () => cache.readQuery({ query: QUERY }), close: () => cache.reset() };
    },
    tanstackDb: async () => {
      const c = dbCollections(P);
      const ids = new Map();
      // cleanup(): a collection otherwise waits for its gc timer, holding its rows meanwhile.
      return { write: (k, d) => ids.set(k[1], dbWrite(c, d.tasks)), read: (k) => dbRead(c, ids.get(k[1])), close: () => Promise.all(Object.values(c).map((col) => col.cleanup())) };
    },
  };
  // Apollo's root field `tasks` takes no argument here: every response replaces the one list, so
  // its read is of the latest response (what the other systems read under their own key).
  const smallRun = (name) => async (recorded) => {
    const sys = await smallSystems[name]();
    const per = new Array(SMALL_RESPONSES);
    let ok = true;
    for (let r = 0; r < SMALL_RESPONSES; r++) {
      const key = ['tasks', r];
      const t0 = now();
      const data = JSON.parse(smallTexts[r]);
      sys.write(key, data);
      const view = sys.read(key);
      per[r] = now() - t0;
      if (!recorded && (r === 0 || r === SMALL_RESPONSES - 1)) ok &&= deepEqual(view, JSON.parse(smallTexts[r]));
    }
    if (!recorded) check(`11a. ${name}: the first and last responses read back equal`, ok);
    await sys.close();
    return { p50: median(per) };
  };
  const small = await interleaved(Object.fromEntries(Object.keys(smallSystems).map((n) => [n, smallRun(n)])));
  row('lean.small.strata', 11, 'strata', `${SMALL_RESPONSES} responses of ${SMALL_TASKS} tasks: parse + setQueryData + getQueryData, per response p50`, small.strata.p50, { headline: true });
  row('lean.small.tanstack', 11, 'tanstack', 'same: parse + setQueryData + getQueryData, per response p50', small.tanstack.p50, { vs: 'lean.small.strata', headline: true });
  row('lean.small.normy', 11, 'normy', 'same, normy (@normy/query-core) normalizing TanStack', small.normy.p50, { vs: 'lean.small.strata' });
  row('lean.small.apollo', 11, 'apollo', 'same: parse + writeQuery + readQuery (sized caches)', small.apollo.p50, { vs: 'lean.small.strata' });
  row('lean.small.tanstackDb', 11, 'tanstackDb', 'same: parse + split into 3 local-only collections + join on read', small.tanstackDb.p50, { vs: 'lean.small.strata' });

  // ---- 11b. 20,000 tasks --------------------------------------------------------------------
  const bigText = JSON.stringify({ tasks: tasks(BIG_TASKS, 1, BIG_USERS) });
  info.lean.big = { tasks: BIG_TASKS, users: BIG_USERS, comments: BIG_TASKS * COMMENTS, entities: BIG_TASKS * (1 + COMMENTS) + BIG_USERS, responseBytes: bigText.length };
  log(`11b. ${BIG_TASKS} tasks, ${info.lean.big.entities} entities, ${(bigText.length / 1e6).toFixed(1)} MB`);
  const bigRun = (name, keep, checkIt) => async () => {
    const sys = await smallSystems[name]();
    const key = ['tasks', 0];
    const t0 = now();
    const data = JSON.parse(bigText);
    const t1 = now();
    sys.write(key, data);
    const t2 = now();
    const view = sys.read(key);
    const t3 = now();
    if (checkIt) check(`11b. ${name}: the first read deep-equals the response`, deepEqual(view, JSON.parse(bigText)));
    if (keep) return { sys, view };
    await sys.close();
    return { total: t3 - t0, parse: t1 - t0, write: t2 - t1, read: t3 - t2 };
  };
  const bigNames = ['strata', 'tanstack', 'normy', 'apollo', 'tanstackDb'];
  const big = await interleaved(Object.fromEntries(bigNames.map((n) => [n, bigRun(n)])), { runs: Math.min(h.RUNS, 7), warmup: 1 });
  for (const n of bigNames) await bigRun(n, false, true)().catch((e) => check(`11b. ${n}: ran`, false, String(e)));
  row('lean.big.strata', 11, 'strata', `${BIG_TASKS} tasks (${info.lean.big.entities} entities): parse + setQueryData + first getQueryData`, big.strata.total, { headline: true });
  row('lean.big.tanstack', 11, 'tanstack', 'same: parse + setQueryData + getQueryData', big.tanstack.total, { vs: 'lean.big.strata', headline: true });
  row('lean.big.normy', 11, 'normy', 'same, normy normalizing TanStack', big.normy.total, { vs: 'lean.big.strata' });
  row('lean.big.apollo', 11, 'apollo', 'same: parse + writeQuery + readQuery (sized caches)', big.apollo.total, { vs: 'lean.big.strata' });
  row('lean.big.tanstackDb', 11, 'tanstackDb', 'same: parse + split into 3 collections + join on read', big.tanstackDb.total, { vs: 'lean.big.strata' });
  for (const part of ['parse', 'write', 'read']) {
    row(`lean.big.strata.${part}`, 11, 'strata', `  of which ${part}`, big.strata[part], { info: true });
    row(`lean.big.tanstack.${part}`, 11, 'tanstack', `  of which ${part}`, big.tanstack[part], { vs: `lean.big.strata.${part}`, info: true });
  }

  // ---- (info) probe: where strata's time goes in 11a and 11b --------------------------------
  // StoreCore.prototype.setQueryData (the wasm call, with the boundary's string copies) and the
  // global JSON.stringify / JSON.parse are wrapped while setQueryData / getQueryData run; the
  // app's own parse of the response is outside. Untimed by the rows above (extra runs).
  const probe = async (texts, runs) => {
    const parts = { stringify: [], core: [], parseBatch: [], jsWrite: [], read: [], total: [] };
    const proto = StoreCore.prototype;
    const origCall = proto.setQueryData;
    const origStr = JSON.stringify;
    const origParse = JSON.parse;
    let acc = null;
    proto.setQueryData = function (...a) { const t = now(); try { return origCall.apply(this, a); } finally { if (acc) acc.core += now() - t; } };
    JSON.stringify = function (...a) { const t = now(); try { return origStr.apply(this, a); } finally { if (acc) acc.stringify += now() - t; } };
    JSON.parse = function (...a) { const t = now(); try { return origParse.apply(this, a); } finally { if (acc) acc.parse += now() - t; } };
    try {
      for (let run = 0; run < runs; run++) {
        const store = await createStore({ entities, persist: false });
        const per = { stringify: [], core: [], parseBatch: [], jsWrite: [], read: [], total: [] };
        for (let r = 0; r < texts.length; r++) {
          const data = origParse(texts[r]);
          const key = ['tasks', r];
          acc = { core: 0, stringify: 0, parse: 0 };
          const t0 = now();
          store.setQueryData(key, data, { shape: TASKS_SHAPE });
          const t1 = now();
          store.getQueryData(key);
          const t2 = now();
          const a = acc;
          acc = null;
          per.stringify.push(a.stringify);
          per.core.push(a.core);
          per.parseBatch.push(a.parse);
          per.jsWrite.push(t1 - t0 - a.core - a.stringify - a.parse);
          per.read.push(t2 - t1);
          per.total.push(t2 - t0);
        }
        store.close();
        for (const k of Object.keys(parts)) parts[k].push(median(per[k]));
        await yieldTask();
      }
    } finally {
      proto.setQueryData = origCall;
      JSON.stringify = origStr;
      JSON.parse = origParse;
    }
    return parts;
  };
  for (const [id, texts, runs, what] of [['small', smallTexts, 5, 'per 20-task response'], ['big', [bigText], 3, '20,000 tasks']]) {
    const p = await probe(texts, runs);
    row(`lean.probe.${id}.total`, 11, 'strata', `(info) probe ${what}: setQueryData + getQueryData (app parse excluded)`, p.total, { info: true });
    row(`lean.probe.${id}.stringify`, 11, 'strata', '  of which JSON.stringify of the data (+ key)', p.stringify, { info: true });
    row(`lean.probe.${id}.core`, 11, 'strata', '  of which the wasm call (strings in and out included)', p.core, { info: true });
    row(`lean.probe.${id}.parseBatch`, 11, 'strata', '  of which JSON.parse of the change batch', p.parseBatch, { info: true });
    row(`lean.probe.${id}.jsWrite`, 11, 'strata', '  of which the rest of setQueryData (hash, mirror, notify)', p.jsWrite, { info: true });
    row(`lean.probe.${id}.read`, 11, 'strata', '  of which getQueryData (snapshots built)', p.read, { info: true });
  }

  // ---- (info) the boundary floor of 11a and 11b (floor.mjs) ---------------------------------
  // The app's parse and the JSON.stringify the design sends the data as, then the text copied
  // into wasm memory and strata's own change batch (captured) copied out and parsed: no wasm
  // code, no mirror, no snapshots. Compared with TanStack's p50 of the same row.
  const { capture, boundaryFloor } = await import('./floor.mjs');
  for (const [id, texts, reps, what, peer] of [['small', smallTexts, 5, 'per 20-task response', small.tanstack.p50], ['big', [bigText], 5, '20,000 tasks', big.tanstack.total]]) {
    const store = await createStore({ entities, persist: false });
    const calls = await capture(StoreCore.prototype, 'setQueryData', () => texts.forEach((t, r) => store.setQueryData(['tasks', r], JSON.parse(t), { shape: TASKS_SHAPE })));
    store.close();
    const f = boundaryFloor(calls, reps, (i) => JSON.stringify(JSON.parse(texts[i])));
    const pick = (k) => [median(f.map((x) => x[k]))];
    const total = pick('total');
    const r = row(`lean.floor.${id}`, 11, 'strata', `(info) boundary floor ${what}: app parse + stringify + copy in + batch copied out + JSON.parse of it (no core work)`, total, { info: true });
    r.vsTanstack = total[0] / median(peer);
    info.lean[`floor_${id}`] = { inputChars: calls[0].input.length, batchChars: calls[0].output.length, ratioToTanstack: r.vsTanstack };
    row(`lean.floor.${id}.app`, 11, 'strata', '  of which the app parse + JSON.stringify of the data', pick('app'), { info: true });
    row(`lean.floor.${id}.encode`, 11, 'strata', '  of which the text into wasm memory (encodeInto)', pick('encode'), { info: true });
    row(`lean.floor.${id}.decode`, 11, 'strata', '  of which the batch out of wasm memory (decode)', pick('decode'), { info: true });
    row(`lean.floor.${id}.parse`, 11, 'strata', '  of which JSON.parse of the batch', pick('parse'), { info: true });
  }

  // ---- 11c. memory after 11b ----------------------------------------------------------------
  const heap = async () => {
    if (typeof window.__benchHeap === 'function') {
      await window.__benchHeap();
      return (await window.__benchHeap()).usedSize; // twice: weak caches freed by the first
    }
    return performance.memory ? performance.memory.usedJSHeapSize : NaN; // coarse, without CDP
  };
  info.lean.memory = { method: typeof window.__benchHeap === 'function' ? 'CDP HeapProfiler.collectGarbage + Runtime.getHeapUsage (whole page isolate), after minus before' : 'performance.memory (coarse)' };
  const mem = {};
  const MEM_RUNS = 3;
  // Each measurement in a function of its own: an async function keeps its locals (the kept
  // data, the iframe) alive until they are overwritten, which would put one system's data into
  // the next one's "before".
  const measurePeer = async (name) => {
    const h0 = await heap();
    const kept = await bigRun(name, true)();
    const h1 = await heap();
    await kept.sys.close();
    return h1 - h0;
  };
  // strata in a fresh iframe: a wasm instance of its own, so memory.buffer.byteLength is this
  // ingest's high-water mark, not that of the scenarios before it.
  const measureStrata = async (first) => {
    const { frame: f } = await frame(`
      const orig = WebAssembly.instantiate;
      WebAssembly.instantiate = async function (...a) {
        const r = await orig.apply(this, a);
        window.__wasmMemory = (r instanceof WebAssembly.Instance ? r : r.instance).exports.memory;
        return r;
      };
      try {
        window.__strata = await import('/pkg/index.js');
        window.__store = await window.__strata.createStore({ persist: false, entities: ${JSON.stringify(entities)} });
        parent.postMessage({ ok: true }, '*');
      } catch (e) { parent.postMessage({ error: String(e && e.stack || e) }, '*'); }
    `);
    const w = f.contentWindow;
    const wasm0 = w.__wasmMemory.buffer.byteLength;
    const h0 = await heap();
    w.__store.setQueryData(['tasks', 0], JSON.parse(bigText), { shape: TASKS_SHAPE });
    const view = w.__store.getQueryData(['tasks', 0]);
    const h1 = await heap();
    const wasm1 = w.__wasmMemory.buffer.byteLength;
    if (first) check('11c. strata (iframe): the first read has every task', view.tasks.length === BIG_TASKS);
    w.__store.close();
    f.remove();
    return { heap: h1 - h0, wasm: wasm1, growth: wasm1 - wasm0 };
  };
  const settle = async () => {
    // A removed iframe's realm is freed some time later: wait for it.
    await new Promise((r) => setTimeout(r, 1000));
    await heap();
    await yieldTask();
  };
  await settle();
  for (let run = 0; run < MEM_RUNS; run++) {
    for (const name of bigNames) {
      if (name === 'strata') continue;
      (mem[name] ??= []).push(await measurePeer(name));
      await settle();
    }
    const m = await measureStrata(run === 0);
    (mem.strata ??= []).push(m.heap);
    (mem.strataWasm ??= []).push(m.wasm);
    (mem.strataWasmGrowth ??= []).push(m.growth);
    await settle();
  }
  const MB = 1 / 1e6;
  const mrow = (id, system, name, bytes, opts = {}) => {
    const r = row(id, 11, system, name, bytes.map((b) => b * MB), opts);
    r.unit = 'MB';
    return r;
  };
  const strataTotal = mem.strata.map((b, i) => b + mem.strataWasm[i]);
  mrow('lean.mem.strata', 'strata', 'memory after 11b: JS heap growth + wasm memory (MB)', strataTotal, { headline: true });
  mrow('lean.mem.tanstack', 'tanstack', 'memory after 11b: JS heap growth (MB)', mem.tanstack, { vs: 'lean.mem.strata', headline: true });
  mrow('lean.mem.normy', 'normy', 'same, normy', mem.normy, { vs: 'lean.mem.strata' });
  mrow('lean.mem.apollo', 'apollo', 'same, Apollo', mem.apollo, { vs: 'lean.mem.strata' });
  mrow('lean.mem.tanstackDb', 'tanstackDb', 'same, TanStack DB', mem.tanstackDb, { vs: 'lean.mem.strata' });
  mrow('lean.mem.strata.heap', 'strata', '  of which JS heap growth (MB)', mem.strata, { info: true });
  mrow('lean.mem.strata.wasm', 'strata', '  of which wasm memory.buffer.byteLength (MB, high-water)', mem.strataWasm, { info: true });
  mrow('lean.mem.strata.wasmGrowth', 'strata', '  (info) wasm growth during the ingest (MB)', mem.strataWasmGrowth, { info: true });

  // ---- 11d. startup -------------------------------------------------------------------------
  const startup = {};
  const START_RUNS = Math.max(h.RUNS, 5);
  const starters = {
    strata: `const m = await import('/pkg/index.js'); const t1 = performance.now(); await m.createStore({ persist: false, entities: ${JSON.stringify(entities)} });`,
    strataPersist: `const m = await import('/pkg/index.js'); const t1 = performance.now(); const s = await m.createStore({ name: 'bench-lean-start-' + Math.random().toString(36).slice(2), entities: ${JSON.stringify(entities)} }); s.close();`,
    tanstack: `const m = await import('/www/bench/peers/dist/query-core.js'); const t1 = performance.now(); new m.QueryClient().mount();`,
    // The floor of the design's startup: only the wasm fetched and compiled (no JS, no store).
    strataWasm: `await WebAssembly.compileStreaming(fetch('/pkg/strata_wasm_bg.wasm')); const t1 = performance.now();`,
  };
  for (let run = 0; run < START_RUNS + 1; run++) {
    for (const [name, code] of Object.entries(starters)) {
      const { frame: f, data } = await frame(`
        const t0 = performance.now();
        try { ${code} parent.postMessage({ total: performance.now() - t0, imp: t1 - t0 }, '*'); }
        catch (e) { parent.postMessage({ error: String(e && e.stack || e) }, '*'); }
      `);
      f.remove();
      if (run === 0) continue; // warm-up (the OS file cache)
      (startup[name] ??= { total: [], imp: [] }).total.push(data.total);
      startup[name].imp.push(data.imp);
      await yieldTask();
    }
  }
  row('lean.start.strata', 11, 'strata', 'startup: import() of pkg/index.js -> createStore resolved (persist: false)', startup.strata.total, { headline: true });
  row('lean.start.tanstack', 11, 'tanstack', 'startup: import() of query-core (bundled alone) -> new QueryClient()', startup.tanstack.total, { vs: 'lean.start.strata', headline: true });
  row('lean.start.strata.import', 11, 'strata', '  of which import()', startup.strata.imp, { info: true });
  row('lean.start.strataWasm', 11, 'strata', '(info) floor: fetch + WebAssembly.compileStreaming of the wasm alone (no JS module, no store)', startup.strataWasm.total, { vs: 'lean.start.strata', info: true });
  row('lean.start.strataPersist', 11, 'strata', '(info) same, persisted store (IndexedDB opened, empty)', startup.strataPersist.total, { vs: 'lean.start.strata', info: true });
}
