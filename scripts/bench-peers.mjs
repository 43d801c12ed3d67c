#!/usr/bin/env node
// strata next to Apollo Client (InMemoryCache), TanStack Query (query-core), normalizr and raw
// IndexedDB: the same data, one headless Debian Chromium run, medians after warm-up, ratio
// strata/peer.
//
// Usage:
//   node scripts/bench-peers.mjs                    # everything (about 12 minutes on 2 cores)
//   node scripts/bench-peers.mjs --build            # first rebuild pkg/ (./scripts/build.sh)
//   node scripts/bench-peers.mjs --runs 20 --warmup 5 --calls 1000
//   node scripts/bench-peers.mjs --out /tmp/peers.json
//   node scripts/bench-peers.mjs --only 1,7         # some scenarios only (debugging)
//   node scripts/bench-peers.mjs --outbox-runs 7 --cold-runs 7   # scenarios 5 and 6 (default: --runs)
//   node scripts/bench-peers.mjs --only 8 --push-seconds 2 --push-rate 1000   # scenario 8's pacing
//
// What it does, in order:
//   1. needs pkg/ (./scripts/build.sh; --build runs it) and the repo's npm dev packages
//      (playwright-core; `npm ci` at the repo root is run when they are missing);
//   2. installs the peers pinned in www/bench/peers/package-lock.json with `npm ci` in that
//      folder when node_modules there is missing or differs from the lock;
//   3. bundles www/bench/peers/entry.mjs with the pinned esbuild (ESM, minified, production
//      conditions) into www/bench/peers/dist/peers.js, and measures gzip -9 sizes: pkg/ as
//      shipped, and each peer's minified bundle of its entry;
//   4. serves the repo root with scripts/static-server.mjs, the test API (tests/server/api.mjs)
//      under /api/ (strata's mutations in scenario 4 go there) and cross-origin isolation
//      headers (a 5 us performance.now()), opens /www/bench/peers/index.html, waits for
//      `window.__bench`, prints the table, the checks and the issue's goals, and writes
//      www/bench/results/peers.json.
// Scenarios: 1 ingest, 2 fan-out, 3 precise update, 4 optimistic latency, 5 offline outbox
// (strict IndexedDB writes, against raw IndexedDB), 6 cold start from IndexedDB (against raw
// IndexedDB and TanStack's persister approach), 7 repeated read, 8 push fan-out (1,000 upserts/s
// into 1,000 observed lists; strata through store.connect() and its SSE reader, fed in the page),
// 9 infinite query (20 pages of 50 tasks: first page + fetchNextPage x19, then a refetch of all
// 20, against TanStack's InfiniteQueryObserver), 10 live queries (www/bench/peers/live.mjs: a
// sorted live query over 100,000 tasks built, a row moved within it, one change with 1,000 live
// queries; beside TanStack DB's live query collections).
// Every IndexedDB database of scenarios 5 and 6 is made for one run and deleted after it.
// With --only, the output file keeps the rows and checks of the other scenarios it already
// holds (a partial run never drops them; `merged` in the file says what came from where).
// Numbers are reported, never asserted: it exits 0 whenever the page ran (failed correctness
// checks are printed as FAIL), 1 when the page failed, timed out or could not load.
//
// Environment:
//   CHROMIUM_PATH   browser binary (default /usr/bin/chromium)
//   BENCH_TIMEOUT   ms to wait for the page's results (default 1200000)

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startStaticServer } from './static-server.mjs';
import { CHROMIUM, CHROMIUM_ARGS, runBenchPage } from './chromium.mjs';
import { createApi } from '../tests/server/api.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const peersDir = path.join(repoRoot, 'www/bench/peers');
const PAGE = 'www/bench/peers/index.html';
const BUNDLE = path.join(peersDir, 'dist/peers.js');
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT || 1_200_000);
const KB = 1024; // as scripts/package.mjs prints sizes

// ---- arguments -------------------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { build: false, runs: undefined, warmup: undefined, calls: undefined, outboxRuns: undefined, coldRuns: undefined, pushSeconds: undefined, pushRate: undefined, only: undefined, out: path.join(repoRoot, 'www/bench/results/peers.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--build') opts.build = true;
    else if (a === '--runs') opts.runs = positive(value(), a);
    else if (a === '--warmup') opts.warmup = positive(value(), a);
    else if (a === '--calls') opts.calls = positive(value(), a);
    else if (a === '--outbox-runs') opts.outboxRuns = positive(value(), a);
    else if (a === '--cold-runs') opts.coldRuns = positive(value(), a);
    else if (a === '--push-seconds') opts.pushSeconds = positive(value(), a);
    else if (a === '--push-rate') opts.pushRate = positive(value(), a);
    else if (a === '--only') opts.only = value();
    else if (a === '--out') opts.out = path.resolve(value());
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  return opts;
}

function positive(v, name) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) usage(`${name} must be a positive integer, got ${v}`);
  return n;
}

function usage(error) {
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1);
  const text = lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).join('\n'); // the header comment
  if (error) console.error(`bench-peers: ${error}\n`);
  console.error(text.replace(/^\/\/ ?/gm, ''));
  process.exit(error ? 2 : 0);
}

const opts = parseArgs(process.argv.slice(2));
const say = (...a) => console.log('bench-peers:', ...a);
const die = (msg) => {
  console.error(`bench-peers: ${msg}`);
  process.exit(1);
};

function run(cmd, args, cwd) {
  say(`$ ${[cmd, ...args].join(' ')}  (in ${path.relative(repoRoot, cwd) || '.'})`);
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) die(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

// ---- 1. strata's package and the repo's dev packages -----------------------------------------

if (opts.build) run('bash', [path.join(repoRoot, 'scripts/build.sh')], repoRoot);
const PKG_WASM = path.join(repoRoot, 'pkg/strata_wasm_bg.wasm');
for (const f of ['pkg/index.js', 'pkg/package.json', 'pkg/strata_wasm_bg.wasm']) {
  if (!existsSync(path.join(repoRoot, f))) die(`${f} is missing: run ./scripts/build.sh (or pass --build)`);
}
{
  const newest = (dir, ok) => {
    let m = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) m = Math.max(m, newest(p, ok));
      else if (ok(e.name)) m = Math.max(m, statSync(p).mtimeMs);
    }
    return m;
  };
  const src = Math.max(newest(path.join(repoRoot, 'src'), (f) => f.endsWith('.rs') || f.endsWith('.js')), statSync(path.join(repoRoot, 'Cargo.toml')).mtimeMs);
  if (statSync(PKG_WASM).mtimeMs < src || statSync(path.join(repoRoot, 'pkg/index.js')).mtimeMs < src) {
    console.warn('bench-peers: warning: pkg/ is older than src/; pass --build to rebuild it first');
  }
}

const rootRequire = createRequire(path.join(repoRoot, 'package.json'));
const resolvable = (req, name) => {
  try {
    req.resolve(name);
    return true;
  } catch {
    return false;
  }
};
if (!resolvable(rootRequire, 'playwright-core')) run('npm', ['ci', '--no-audit', '--no-fund'], repoRoot);

// ---- 2. the pinned peers -----------------------------------------------------------------------

function peersMatchLock() {
  const lockFile = path.join(peersDir, 'package-lock.json');
  if (!existsSync(lockFile)) die('www/bench/peers/package-lock.json is missing');
  const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
  for (const [where, entry] of Object.entries(lock.packages ?? {})) {
    if (!where.startsWith('node_modules/') || entry.optional) continue;
    const pj = path.join(peersDir, where, 'package.json');
    if (!existsSync(pj)) return `${where} missing`;
    const v = JSON.parse(readFileSync(pj, 'utf8')).version;
    if (v !== entry.version) return `${where} is ${v}, lock says ${entry.version}`;
  }
  return null;
}
{
  const why = existsSync(path.join(peersDir, 'node_modules')) ? peersMatchLock() : 'node_modules missing';
  if (why) {
    say(`installing the pinned peers (${why})`);
    run('npm', ['ci', '--no-audit', '--no-fund'], peersDir);
    const still = peersMatchLock();
    if (still) die(`after npm ci: ${still}`);
  }
}
const peersRequire = createRequire(path.join(peersDir, 'package.json'));
const installedVersion = (name) => JSON.parse(readFileSync(path.join(peersDir, 'node_modules', name, 'package.json'), 'utf8')).version;
const versions = Object.fromEntries(['@apollo/client', 'graphql', 'rxjs', '@tanstack/query-core', '@tanstack/db', '@normy/query-core', 'normalizr', 'esbuild'].map((n) => [n, installedVersion(n)]));

// ---- 3. bundle and sizes ----------------------------------------------------------------------

const esbuild = peersRequire('esbuild');
const buildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  conditions: ['production'],
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
};
await mkdir(path.dirname(BUNDLE), { recursive: true });
await esbuild.build({ ...buildOptions, entryPoints: [path.join(peersDir, 'entry.mjs')], outfile: BUNDLE });
say(`bundled the peers into ${path.relative(repoRoot, BUNDLE)} (${(statSync(BUNDLE).size / KB).toFixed(1)} kB, esbuild ${esbuild.version})`);
// Scenario 11 (www/bench/peers/lean.mjs): TanStack DB and normy in a bundle of their own, and
// query-core alone for its startup row (import -> new QueryClient()).
await esbuild.build({ ...buildOptions, stdin: { contents: "export { createCollection, localOnlyCollectionOptions } from '@tanstack/db'; export { createQueryNormalizer } from '@normy/query-core';", resolveDir: peersDir, loader: 'js', sourcefile: 'lean-entry.mjs' }, outfile: path.join(peersDir, 'dist/lean-peers.js') });
await esbuild.build({ ...buildOptions, stdin: { contents: "export { QueryClient } from '@tanstack/query-core';", resolveDir: peersDir, loader: 'js', sourcefile: 'query-core-entry.mjs' }, outfile: path.join(peersDir, 'dist/query-core.js') });

const gz = (buf) => ({ bytes: buf.length, gzip9: gzipSync(buf, { level: 9 }).length });

async function bundleSize(contents, resolveDir) {
  const r = await esbuild.build({ ...buildOptions, stdin: { contents, resolveDir, loader: 'js', sourcefile: 'size-entry.mjs' }, write: false });
  return { entry: contents, ...gz(Buffer.from(r.outputFiles[0].contents)) };
}

async function sizes() {
  const pkgDir = path.join(repoRoot, 'pkg');
  let shipped;
  try {
    shipped = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).files;
  } catch {
    shipped = readdirSync(pkgDir);
  }
  const js = {};
  for (const f of shipped.filter((f) => f.endsWith('.js')).sort()) js[f] = gz(readFileSync(path.join(pkgDir, f)));
  const jsTotal = Object.values(js).reduce((a, s) => ({ bytes: a.bytes + s.bytes, gzip9: a.gzip9 + s.gzip9 }), { bytes: 0, gzip9: 0 });
  const wasm = gz(readFileSync(PKG_WASM));
  const mainMin = await bundleSize("export * from './index.js';", pkgDir);
  return {
    note: 'bytes and gzip -9 bytes (zlib level 9); 1 kB = 1024 bytes; peer bundles: esbuild --bundle --minify, ESM, browser, production conditions, NODE_ENV=production',
    strata: {
      wasm,
      js,
      jsTotal,
      total: { bytes: wasm.bytes + jsTotal.bytes, gzip9: wasm.gzip9 + jsTotal.gzip9, what: 'pkg/ as shipped: wasm + every .js file (minified by scripts/package.mjs; .js.map files not counted), as scripts/build.sh prints it' },
      mainEntryMinified: { ...mainMin, wasmPlusJsGzip9: wasm.gzip9 + mainMin.gzip9, what: "wasm + esbuild --minify bundle of pkg/index.js (no react.js)" },
    },
    peers: {
      apollo: { ...(await bundleSize("export * from '@apollo/client';", peersDir)), what: '@apollo/client entry (includes graphql and rxjs, its peer dependencies)' },
      apolloCacheOnly: { ...(await bundleSize("export { InMemoryCache, gql } from '@apollo/client';", peersDir)), what: '(info) only what this benchmark uses: InMemoryCache + gql (with graphql)' },
      tanstackQueryCore: { ...(await bundleSize("export * from '@tanstack/query-core';", peersDir)), what: '@tanstack/query-core entry (no React bindings)' },
      normalizr: { ...(await bundleSize("export * from 'normalizr';", peersDir)), what: 'normalizr entry' },
    },
    knownFigures: {
      note: 'published figures quoted by the benchmark issue, not measured here',
      '@tanstack/react-query': '13.7 kB',
      '@apollo/client': '45-51 kB',
      'urql + @urql/exchange-graphcache': '21.2 kB',
      replicache: '36.1 kB',
    },
  };
}
const sizeReport = await sizes();

// ---- table -----------------------------------------------------------------------------------

const fmt = (x) => {
  if (x === undefined || x === null || Number.isNaN(x)) return '';
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : a >= 0.01 ? x.toFixed(3) : x.toFixed(4);
};
const SCENARIO_TITLES = {
  1: '1. ingest: 10,000 tasks (200 users, 30,000 comments) -> cache -> first denormalized read',
  2: '2. fan-out: rename a user shown by 1,000 cached lists -> every observer has its new snapshot',
  3: '3. precise update: retitle a task shown by 1 of 1,000 lists -> its observer has the new snapshot',
  4: '4. optimistic latency: call -> observer notified (per call; p50 = median)',
  5: '5. offline outbox: 1,000 mutations made offline -> every one durable (strict IndexedDB transactions); per s = mutations/s',
  6: '6. cold start: 10,000 tasks (40,200 entities) in IndexedDB -> first query data shown',
  7: '7. repeated read of a 1,000-row query (100,000 reads per sample)',
  8: '8. push fan-out: 1,000 upserts/s, each retitles a task shown by 10 of 1,000 observed lists -> per message (median = p50)',
  11: '11. lean data path (issue 16): 500 small responses, 20,000 tasks, memory after them (MB, not ms), startup import -> ready store',
  10: '10. live queries (issue 17) beside TanStack DB 0.15 live query collections: build over 100,000 tasks, a move within the window, one change with 1,000 live queries',
  9: '9. infinite query: 20 pages of 50 tasks (1,000 tasks, 4,200 entities) -> fill (first page + fetchNextPage x19), then refetch (20 pages again); ns/op = per page',
};
const SYSTEM = { strata: 'strata', apollo: 'Apollo', tanstack: 'TanStack', normalizr: 'normalizr', baseline: 'baseline', rawIdb: 'IndexedDB' };

function table(rows, notMeasured) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const header = ['', 'system', 'median ms', 'p95 ms', 'ns/op', 'per s', 'strata/this'];
  const groups = new Map();
  for (const r of rows) (groups.get(r.scenario) ?? groups.set(r.scenario, []).get(r.scenario)).push(r);
  for (const m of notMeasured) groups.set(m.scenario, m);
  const lines = [];
  for (const s of [...groups.keys()].sort((a, b) => a - b)) {
    const g = groups.get(s);
    if (!Array.isArray(g)) {
      lines.push({ title: `${SCENARIO_TITLES[s] ?? `${s}. ${g.name}`}: not measured: ${g.reason}` });
      continue;
    }
    lines.push({ title: SCENARIO_TITLES[s] });
    for (const r of g) {
      const base = r.vs && byId.get(r.vs);
      const ratio = base ? (base.median / r.median).toFixed(2) : r.system === 'strata' && !r.info ? '1' : '';
      lines.push({ cells: [`  ${r.name}`, SYSTEM[r.system] ?? r.system, fmt(r.median), fmt(r.p95), r.perOp ? fmt(r.perOp.median) : '', r.rate ? fmt(r.rate.median) : '', ratio] });
    }
  }
  const cellLines = [header, ...lines.filter((l) => l.cells).map((l) => l.cells)];
  const widths = header.map((_, c) => Math.max(...cellLines.map((l) => l[c].length)));
  const render = (l) => l.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  const out = [render(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const l of lines) {
    if (l.title) out.push('', l.title);
    else out.push(render(l.cells));
  }
  return out.join('\n');
}

// Scenario 10 (issue 17): live queries beside TanStack DB.
function liveGoals(m, g, fmt) {
  const goal = (text, id, limit, stat = 'median') => {
    const s = m[`live.strata.${id}`];
    const t = m[`live.tanstack.${id}`];
    g.push({ goal: text, value: s?.[stat], met: s ? s[stat] <= limit : null, shown: s && `${stat === 'median' ? 'p50' : stat} ${fmt(s[stat])} ms${t ? `; TanStack DB ${fmt(t[stat])} ms, strata/TanStack DB = ${(s[stat] / t[stat]).toFixed(4)}` : ''}` });
  };
  goal('10a. live: build a sorted live query over 100,000 entities <= 200 ms', 'build', 200);
  goal('10b. live: update that moves within it, p50 <= 0.3 ms to observer notified', 'move', 0.3);
  goal('10c. live: one change with 1,000 live queries, one affected, <= 0.1 ms', 'oneOfMany', 0.1);
}

function goals(rows, sizes) {
  const m = Object.fromEntries(rows.map((r) => [r.id, r]));
  // Against Apollo, the fastest of the configurations measured in that scenario.
  const fastest = (ids) => ids.map((id) => m[id]).filter(Boolean).sort((a, b) => a.median - b.median)[0];
  const g = [];
  const vs = (goal, strataId, peer, limit) => {
    const s = m[strataId];
    if (!s || !peer) return g.push({ goal, value: undefined, met: null });
    const r = s.median / peer.median;
    g.push({ goal, value: r, against: peer.id, met: r <= limit, shown: `strata/${SYSTEM[peer.system]} = ${r.toFixed(2)} (${fmt(s.median)} vs ${fmt(peer.median)} ms${peer.system === 'apollo' ? `, ${peer.id}` : ''})` });
  };
  const ingestTanstack = m['ingest.tanstack'];
  if (m['ingest.strata'] && ingestTanstack) {
    const r = m['ingest.strata'].median / ingestTanstack.median;
    g.push({ goal: '1. ingest faster than TanStack (strata/TanStack < 1)', value: r, against: 'ingest.tanstack', met: r < 1, shown: `strata/TanStack = ${r.toFixed(2)} (${fmt(m['ingest.strata'].median)} vs ${fmt(ingestTanstack.median)} ms)` });
  } else g.push({ goal: '1. ingest faster than TanStack (strata/TanStack < 1)', value: undefined, met: null });
  vs('1. ingest <= 1/4 of Apollo (fastest Apollo config measured)', 'ingest.strata', fastest(['ingest.apollo', 'ingest.apolloDefaultSizes', 'ingest.apolloDefaultIds']), 0.25);
  vs('2. fan-out <= 1/5 of Apollo (fastest Apollo config measured)', 'fan.strata', fastest(['fan.apollo', 'fan.apolloDefaultSizes']), 0.2);
  vs('3. precise update <= 1/5 of Apollo (fastest Apollo config measured)', 'precise.strata', fastest(['precise.apollo', 'precise.apolloDefaultSizes']), 0.2);
  const o = m['opt.strata'];
  g.push({ goal: '4. optimistic update p95 < 1 ms', value: o?.p95, met: o ? o.p95 < 1 : null, shown: o && `p95 = ${fmt(o.p95)} ms (p50 ${fmt(o.median)} ms, one mutation pending at a time)` });
  const ob = m['outbox.strata'];
  const obRaw = m['outbox.raw'];
  const obShare = ob && obRaw ? obRaw.median / ob.median : undefined;
  g.push({
    goal: '5. outbox >= 80% of raw IndexedDB throughput, same (strict) durability',
    value: obShare,
    against: 'outbox.raw',
    met: obShare === undefined ? null : obShare >= 0.8,
    shown: obShare && `strata/raw = ${obShare.toFixed(2)} (${fmt(ob.rate.median)} vs ${fmt(obRaw.rate.median)} mutations/s; ${fmt(ob.median)} vs ${fmt(obRaw.median)} ms per 1,000)${m['outbox.rawBatch'] ? `; one transaction for all: ${fmt(m['outbox.rawBatch'].rate.median)}/s` : ''}`,
  });
  const cold = m['cold.strata'];
  g.push({
    goal: '6. cold start (no goal in the issue: reported)',
    value: cold?.median,
    met: null,
    shown: cold && `strata ${fmt(cold.median)} ms; raw IndexedDB + join ${fmt(m['cold.raw']?.median)} ms; TanStack persister ${fmt(m['cold.tanstack']?.median)} ms`,
  });
  const rd = m['read.strata'];
  const mp = m['read.map'];
  const r7 = rd && mp ? rd.median / mp.median : undefined;
  g.push({ goal: '7. repeated read within 2x of Map.get', value: r7, met: r7 === undefined ? null : r7 <= 2, shown: r7 && `getQueryState/Map.get = ${r7.toFixed(2)} (${fmt(rd.perOp.median)} vs ${fmt(mp.perOp.median)} ns)` });
  const pu = m['push.strata'];
  g.push({ goal: '8. push: message -> observers notified, p95 < 1 ms', value: pu?.p95, met: pu ? pu.p95 < 1 : null, shown: pu && `p95 = ${fmt(pu.p95)} ms (p50 ${fmt(pu.median)}, p99 ${fmt(pu.p99)} ms; main-thread ${fmt(m['push.strata.busy']?.median)} ms per message)` });
  const inf = (id) => m[id];
  const infRatio = (a, b) => (inf(a) && inf(b) ? inf(a).median / inf(b).median : undefined);
  const rf = infRatio('inf.strata.fill', 'inf.tanstack.fill');
  const rr = infRatio('inf.strata.refetch', 'inf.tanstack.refetch');
  g.push({
    goal: '9. infinite query (no goal in the issue: reported; TanStack stores pages as given, strata normalizes each)',
    value: rf,
    met: null,
    shown: rf !== undefined ? `fill strata/TanStack = ${rf.toFixed(2)} (${fmt(inf('inf.strata.fill').median)} vs ${fmt(inf('inf.tanstack.fill').median)} ms); refetch ${rr?.toFixed(2)} (${fmt(inf('inf.strata.refetch')?.median)} vs ${fmt(inf('inf.tanstack.refetch')?.median)} ms)` : undefined,
  });
  liveGoals(m, g, fmt);
  const total = sizes.strata.total.gzip9;
  g.push({ goal: 'size: package < 100 kB gzipped', value: total / KB, met: total < 100 * KB, shown: `${(total / KB).toFixed(1)} kB (wasm ${(sizes.strata.wasm.gzip9 / KB).toFixed(1)} + js ${(sizes.strata.jsTotal.gzip9 / KB).toFixed(1)}); main entry with minified JS ${(sizes.strata.mainEntryMinified.wasmPlusJsGzip9 / KB).toFixed(1)} kB` });
  return g;
}

// Scenario 8 in full: p50/p95/p99 of the latency, main-thread time per message, the ratios.
function printPush(rows, push) {
  const m = Object.fromEntries(rows.map((r) => [r.id, r]));
  if (!m['push.strata']) return;
  const r2 = (a, b) => (a !== undefined && b ? (a / b).toFixed(2) : '');
  const lines = [['', 'p50 ms', 'p95 ms', 'p99 ms', 'main ms/msg', 'p50 s/this', 'p95 s/this', 'p99 s/this', 'main s/this', 'rate/s', 'send lag p95 ms']];
  for (const [prefix, title] of [['push', `8. push fan-out, ${push?.ratePerS ?? ''}/s for ${push?.secondsPerRun ?? ''} s per run, 10 observers per message`], ['push.detail', '8. (info) the same into 1,000 single-task detail queries (1 observer per message)']]) {
    const s = m[`${prefix}.strata`];
    if (!s) continue;
    lines.push([title]);
    for (const sys of ['strata', 'tanstack', 'apollo', 'tanstackKnownKeys']) {
      const r = m[`${prefix}.${sys}`];
      if (!r) continue;
      const b = m[`${prefix}.${sys}.busy`];
      const sb = m[`${prefix}.strata.busy`];
      const rate = r.perRun?.length ? r.perRun.map((x) => x.ratePerS).sort((x, y) => x - y)[Math.floor(r.perRun.length / 2)] : undefined;
      const lag = r.perRun?.length ? Math.max(...r.perRun.map((x) => x.sendLagP95)) : undefined;
      lines.push([`  ${sys}`, fmt(r.median), fmt(r.p95), fmt(r.p99), fmt(b?.median), sys === 'strata' ? '1' : r2(s.median, r.median), sys === 'strata' ? '1' : r2(s.p95, r.p95), sys === 'strata' ? '1' : r2(s.p99, r.p99), sys === 'strata' ? '1' : r2(sb?.median, b?.median), fmt(rate), fmt(lag)]);
    }
  }
  const cells = lines.filter((l) => l.length > 1);
  const widths = lines[0].map((_, c) => Math.max(...cells.map((l) => (l[c] ?? '').length)));
  console.log('');
  for (const l of lines) {
    if (l.length === 1) console.log(l[0]);
    else console.log(l.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : (cell ?? '').padStart(widths[c]))).join('  ').trimEnd());
  }
  console.log('  (s/this: strata / this; < 1: strata takes less time. send lag: how late messages went out against the schedule, worst run)');
  const pr = push?.strataProbe;
  if (pr) {
    const md = pr.medianMs;
    console.log(`  strata, where a message's time goes (probe, medians over ${pr.messages} messages, ${pr.coreCallsPerMessage.join('/')} core call(s) per message): enqueue -> applyPushes ${fmt(md.toCore)} ms, applyPushes (wasm) ${fmt(md.core)} ms, change batch -> last listener ${fmt(md.storeAndListeners)} ms (JSON.parse of the ${pr.changeBatchBytes}-byte change batch ${fmt(pr.changeBatchJsonParseMs)} ms), then ${fmt(md.afterLastListener)} ms until the flush returned; platform floor of the first part (bare Response body + TextDecoderStream, enqueue -> read()) ${fmt(md.streamFloor)} ms`);
  }
}

// Scenario 9: where strata's time goes (the probe).
function printInfinite(inf) {
  const pr = inf?.strataProbe;
  if (!pr) return;
  console.log('');
  for (const phase of ['fill', 'refetch']) {
    const md = pr.medianMs[phase];
    const calls = Object.entries(pr.core[phase]).map(([n, c]) => `${n} x${c.calls} ${fmt(c.ms)} ms`).join(', ');
    console.log(`9. strata ${phase}, where the time goes (probe, medians of ${pr.runs} runs): total ${fmt(md.total)} ms = wasm core ${fmt(md.core)} ms (${calls}; change batches ${(pr.changeBatchChars[phase] / 1024).toFixed(0)} k chars) + pages' JSON.stringify ${fmt(md.pageStringify)} ms + batches' JSON.parse ${fmt(md.batchParse)} ms + the rest ${fmt(md.rest)} ms`);
  }
  const bp = pr.settlePageMsByPage;
  if (bp?.length) console.log(`9. strata settlePage (wasm) per page added, ms (pages 2..${bp.length + 1}): ${bp.map((x) => fmt(x)).join(' ')}`);
}

// With --only: the rows, checks and notes of the scenarios not run now are kept from the
// output file as it was (when it holds a result of this benchmark).
function mergeKept(result, file) {
  if (!existsSync(file)) return;
  let old;
  try {
    old = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return;
  }
  if (!old || !Array.isArray(old.rows)) return;
  const ran = new Set(result.rows.map((r) => r.scenario));
  for (const c of result.checks) {
    const n = Number.parseInt(c.name, 10);
    if (Number.isInteger(n)) ran.add(n);
  }
  const scenarioOf = (c) => Number.parseInt(c.name, 10);
  const keptRows = old.rows.filter((r) => !ran.has(r.scenario));
  if (!keptRows.length) return;
  const kept = [...new Set(keptRows.map((r) => r.scenario))].sort((a, b) => a - b);
  result.rows = [...keptRows, ...result.rows].sort((a, b) => a.scenario - b.scenario);
  result.checks = [...(old.checks ?? []).filter((c) => !ran.has(scenarioOf(c))), ...result.checks];
  result.notMeasured = [...(old.notMeasured ?? []).filter((x) => !ran.has(x.scenario)), ...result.notMeasured];
  result.workload = { ...(old.workload ?? {}), ...result.workload };
  result.goals = goals(result.rows, result.sizes);
  result.merged = {
    note: 'a partial run (--only) merged into this file: the scenarios in `kept` are from the earlier run, the others from this one',
    ran: [...ran].sort((a, b) => a - b),
    kept,
    keptFrom: old.merged?.keptFrom ?? { date: old.date, commit: old.source?.commit, runs: old.method?.runs, warmup: old.method?.warmup },
  };
  say(`kept scenarios ${kept.join(', ')} from ${path.relative(process.cwd(), file) || file} (${old.date})`);
}

// ---- 4. run ----------------------------------------------------------------------------------

const { chromium } = rootRequire('playwright-core');
if (!existsSync(CHROMIUM)) die(`browser not found at ${CHROMIUM}; install Debian's chromium (scripts/setup.sh) or set CHROMIUM_PATH`);

// Issue 16's table: each row of the issue beside TanStack Query, from scenarios 11, 4, 6 and the
// size report (run `--only 4,6,11` for all of it in one run).
function printLean(rows, sizes) {
  const m = Object.fromEntries(rows.map((r) => [r.id, r]));
  if (!m['lean.small.strata']) return;
  const lines = [
    ['500 responses of 20 tasks, per response p50 (ms)', 'lean.small.strata', 'lean.small.tanstack', 3],
    ['20,000 tasks (2 comments each), ingest + first read (ms)', 'lean.big.strata', 'lean.big.tanstack', 3],
    ['memory after those 20,000 tasks: JS heap + wasm (MB)', 'lean.mem.strata', 'lean.mem.tanstack', 2.5],
    ['startup: import() -> ready store (ms)', 'lean.start.strata', 'lean.start.tanstack', 1.5],
    ['optimistic toggle -> observer, p50 (ms; scenario 4)', 'opt.strata', 'opt.tanstack', 1.0],
    ['cold start: 10,000 persisted tasks -> first data (ms; scenario 6)', 'cold.strata', 'cold.tanstack', null],
  ];
  console.log('');
  console.log('issue 16 (a lean data path), medians: strata | TanStack Query | ratio | goal');
  const out = [];
  for (const [what, a, b, goal] of lines) {
    const s = m[a];
    const t = m[b];
    if (!s || !t) { console.log(`  ${what}: not in this run`); continue; }
    const ratio = s.median / t.median;
    const extra = a === 'lean.mem.strata' && m['lean.mem.strata.heap'] ? ` (JS ${fmt(m['lean.mem.strata.heap'].median)} + wasm ${fmt(m['lean.mem.strata.wasm'].median)})` : '';
    const g = goal === null ? (s.median <= 150 ? 'met (<= 150 ms)' : 'MISSED (<= 150 ms)') : ratio <= goal ? `met (<= ${goal}x)` : `MISSED (<= ${goal}x)`;
    console.log(`  ${what}: ${fmt(s.median)}${extra} | ${fmt(t.median)} | ${ratio.toFixed(1)}x | ${g}`);
    out.push({ what, strata: s.median, tanstack: t.median, ratio, goal });
  }
  const z = sizes.strata.total.gzip9 / KB;
  const q = sizes.peers.tanstackQueryCore.gzip9 / KB;
  console.log(`  size, gzip -9, as shipped (kB): ${z.toFixed(1)} | ${q.toFixed(1)} (query-core) | ${(z / q).toFixed(1)}x | ${z <= 60 ? 'met' : 'MISSED'} (<= 60 kB)`);
  return out;
}

function git(...args) {
  const r = spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trimEnd() : undefined;
}

let server;
let context;
let userDataDir;
let exitCode = 1;
const api = createApi();

try {
  // Cross-origin isolation (COOP + COEP) gives performance.now() a 5 us resolution instead of
  // 100 us; every resource is same-origin, so nothing else changes. /api/ is the test API.
  const handler = (req, res) => {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    return api.handle(req, res);
  };
  server = await startStaticServer({ root: repoRoot, port: 0, handler });
  const query = new URLSearchParams();
  if (opts.runs) query.set('runs', String(opts.runs));
  if (opts.warmup) query.set('warmup', String(opts.warmup));
  if (opts.calls) query.set('calls', String(opts.calls));
  if (opts.outboxRuns) query.set('outboxRuns', String(opts.outboxRuns));
  if (opts.coldRuns) query.set('coldRuns', String(opts.coldRuns));
  if (opts.pushSeconds) query.set('pushSeconds', String(opts.pushSeconds));
  if (opts.pushRate) query.set('pushRate', String(opts.pushRate));
  if (opts.only) query.set('only', opts.only);
  const url = `${server.url}/${PAGE}${query.size ? `?${query}` : ''}`;
  say(`opening ${url}`);

  // Scenario 11's memory rows: a full GC, then the page isolate's used heap (CDP).
  const exposeHeap = async (page, ctx) => {
    const cdp = await ctx.newCDPSession(page);
    await page.exposeFunction('__benchHeap', async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return cdp.send('Runtime.getHeapUsage');
    });
  };
  const opened = await runBenchPage(url, TIMEOUT_MS, exposeHeap);
  context = opened.context;
  userDataDir = opened.userDataDir;
  const { bench, browser } = opened;

  const cpus = os.cpus();
  const date = new Date().toISOString();
  const result = {
    benchmark: 'strata vs Apollo InMemoryCache, TanStack query-core, normalizr, raw IndexedDB (same data, one page)',
    date,
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
    },
    browser: {
      executable: CHROMIUM,
      args: CHROMIUM_ARGS,
      product: browser.product,
      revision: browser.revision,
      jsVersion: browser.jsVersion,
      userAgent: bench.info.userAgent,
      ...(browser.error ? { cdpError: browser.error } : {}),
    },
    versions: { strata: JSON.parse(readFileSync(path.join(repoRoot, 'pkg/package.json'), 'utf8')).version, ...versions },
    method: {
      runs: bench.runs,
      warmup: bench.warmup,
      optimisticCalls: bench.info.params.calls,
      optimisticWarmupCalls: bench.info.params.callWarmup,
      outboxRuns: bench.info.params.outboxRuns,
      outboxWarmup: bench.info.params.outboxWarmup,
      coldStartRuns: bench.info.params.coldRuns,
      coldStartWarmup: bench.info.params.coldWarmup,
      pushRatePerS: bench.info.params.pushRate,
      pushSecondsPerRun: bench.info.params.pushSeconds,
      timer: 'performance.now()',
      timerResolutionMs: bench.info.timerResolutionMs,
      crossOriginIsolated: bench.info.crossOriginIsolated,
      median: 'middle sample (mean of the two middle ones for an even count)',
      p95: 'nearest rank',
      ratio: 'strata median / this row median (< 1: strata takes less time)',
      notes: [
        'every system parses the same response text itself; the text has __typename on every object (Apollo needs it; a plain field for the others)',
        'systems are interleaved per run in a rotating order, after warm-up runs that are not recorded',
        'scenario 1: a fresh store/cache/client per run; scenarios 2-3: one instance per system, one update per run, with 1,000 subscribed observers',
        'persistence: strata stores persist by default (IndexedDB). Scenarios 1 and 4 use the default, each store under a name of its own (nothing hydrated from an earlier run); the IndexedDB writes come after the timed parts (scenario 1: close() writes the cache, awaited untimed before the next run) or are part of what scenario 4 waits for untimed (each mutation is sent once its record is durable); (info) rows show persist: false. Scenarios 2-3 and 7 run in memory (persist: false): a persisted store would only add a delayed cache write of the changed records',
        'scenarios 2-3: strata listeners call getQueryData (the new snapshot); Apollo cache.watch callbacks get diff.result; TanStack QueryObserver listeners get result.data (query-core calls them synchronously inside setQueryData)',
        'scenarios 2-3, TanStack: setQueriesData over every cached list with an updater that copies along the changed path and returns undefined where the entity is absent (no normalization: the user finds the entity)',
        'goals against Apollo are judged on the fastest Apollo configuration measured in that scenario',
        'Apollo headline rows use result caches sized for the working set (cacheSizes executeSelectionSet/executeSubSelectedArray 1,000,000, maybeBroadcastWatch 100,000); with the defaults the 1,000 lists of scenarios 2-3 overflow the LRUs and every eviction dirties watches: measured as (info) rows with fewer runs',
        'scenario 4: strata mutate() sends PATCH /api/tasks/1 to the test API and each call waits for the previous acknowledgement; Apollo: recordOptimisticTransaction + writeFragment, the layer removed (untimed) after each call; TanStack: setQueryData with an updater; (info) tanstackReact wraps the listener in notifyManager.batchCalls as useQuery does (a setTimeout(0) batch)',
        'scenarios 5 and 6: every run uses IndexedDB databases of its own, set up untimed and deleted after it; the profile is a fresh directory under the OS temp dir (on this machine ext4 on a virtio disk, so strict durability really flushes)',
        'scenario 5: the page plays offline: before each store is created navigator.onLine reads false (an own getter on navigator), so the store starts offline exactly as in an offline browser and never sends; the runner\'s browser context stays online (the page drives the whole run) and the test API\'s request log must show no request (checked)',
        'scenario 5, strata: a fresh store holding 1,000 cached tasks (its cache write waited for, untimed), then 1,000 mutate() calls back to back (PATCH /api/tasks/<n> with an optimistic title update), timed from the first call until the last mutation is queued; a mutation turns from saving to queued only once the strict transaction with its record completed',
        'scenario 5, raw IndexedDB: the records strata stored in an untimed probe run (same size: about 0.6 kB of JSON each), written to a fresh database (object store with keyPath id): one strict readwrite transaction per record, each awaited before the next; all in one strict transaction; (info) one relaxed transaction per record. per s = 1,000 / median',
        'scenario 6, strata: a first store of the name ingests the 10,000 tasks and is closed (close() writes the cache) untimed, until IndexedDB holds all 40,200 entity records; timed: createStore of a fresh store of that name, then the first getQueryData; the wasm module is already loaded in the page (once per page load), and the database files were just written (warm OS page cache) for every system alike',
        'scenario 6, raw IndexedDB: the records strata stored (keys and values read from its database) in a fresh database; timed: open + getAllKeys/getAll + joining the relation keys into objects (one object per entity) along the query result; (info) the same records as one JSON text (get + JSON.parse + join)',
        'scenario 6, TanStack: what persistQueryClient with an async storage persister does (the persister packages are not installed; written out here): saved once, untimed, as dehydrate(client) -> JSON.stringify({ buster, timestamp, clientState }) -> one IndexedDB record; timed: open + get + JSON.parse + hydrate + getQueryData. No normalization: one 7.2 MB string',
        'scenario 7: the Map holds the strata state object under JSON.stringify(key)',
        'scenario 8: 1,000 tasks (assignee User, 3 comments each) in 1,000 observed list queries of 10 rows as in scenarios 2-3; with 1,000 tasks the lists are windows (list q shows tasks q+1..q+10, wrapping), so each task is shown by 10 lists. One instance per system, built untimed; runs interleaved; each run sends rate x seconds upsert messages ({"type":"upsert","entity":"Task","data":{"id","title"}}, task (k*337 mod 1000)+1), message k due at start + k/rate, each in a task of its own (a MessageChannel message or a timer; late ones follow back to back), so each message is handled alone, as EventSource delivers one event per task',
        'scenario 8, strata: the real path of a message: store.connect({ url }) fetches the events url, which the page answers (globalThis.fetch wrapped for that url only) with a Response whose body is a ReadableStream; each message is enqueued as the bytes `id: N\\ndata: <json>\\n\\n` and read by strata\'s SSE reader (TextDecoderStream, parser, one applyPushes call per microtask batch, change batch, listeners). Peers: the handler gets the data text (what an EventSource onmessage gets) and does JSON.parse, then TanStack setQueriesData({ queryKey: [lists] }, updater that copies the list where the task is and returns undefined elsewhere) as scenario 3, (info) setQueryData on the 10 list keys the app knows hold it; Apollo writeFragment (cache.watch observers, sized caches)',
        'scenario 8, latency: from the bytes enqueued (strata) or the handler invoked (peers) to the moment the last of the observers of the 10 lists showing the task was notified and read the new title; p50/p95/p99 are nearest ranks over every message of the recorded runs pooled. Main-thread time per message: the same start to the end of the work the message caused (peers: the handler returned, their listeners run inside it; strata: a microtask queued by that last listener, which runs after the core call, the change batch and the connection flush returned), summed over a run / messages; the median over runs is reported. Checks: every message reached its observers before the next message was sent, the notification counts, and after every run each observer shows the final titles',
        'scenario 8, (info) strata probe: extra runs with StoreCore.prototype.applyPushes wrapped to time the wasm call: the message time split into stream + SSE parse + microtask, the core call, and the change batch + listeners',
        'scenario 9: 20 pages of 50 tasks (assignee User, 3 comments each; 1,000 tasks, ids 1..1,000, 4,200 entities), page p = { items, next: p + 1 | null }; strata shape { items: [\'Task\'], next: null } (one page), initialPageParam 0, getNextPageParam: (lastPage) => lastPage.next, the same functions for TanStack. A fresh store (persist: false) / QueryClient per run, built and closed untimed; runs interleaved. fill: from subscribeInfiniteQuery / InfiniteQueryObserver.subscribe (which fetch the first page) through fetchNextPage x19, each awaited, to the observer notified with 20 pages and the last promise resolved; refetch: from strata refetchQueries({ queryKey }) / TanStack observer.refetch() (every page again, in order from the first, in both) to the observer notified of the settled fetch (idle after a fetching notification) and the promise resolved. Pages without network noise: both queryFns resolve with a page object built before the run (({ pageParam }) => pages[pageParam])',
        'scenario 9: TanStack does not normalize: each page object is stored as it is given (a refetch that gets the same objects is kept by structural sharing at a glance); strata normalizes every page into its entity cache (its queryFn path JSON.stringifies each page and the core parses and normalizes it; a User shared by pages is one object, checked), so the two do different work; (info) rows: the queryFn returns a fresh JSON.parse of the page text per call (what res.json() gives), and the url form: strata url: (p) => \'/api/bench/infinite/\' + p against the bench server (pages set with POST /api/_set untimed), TanStack queryFn fetch + res.json() on the same urls. Checks every run: 20 pages, 1,000 items, params 0..19, the last item\'s title, the observer saw the final data, 20 page fetches per fill and per refetch (server request counts for the url form)',
        'scenario 9, (info) strata probe: extra runs with every StoreCore method wrapped (timed): the calls into the wasm core per phase, the pages\' JSON.stringify and the change batches\' JSON.parse timed apart, and the rest',
        'peers are bundled with esbuild (production conditions, minified) into one ES module; strata is loaded from /pkg/index.js',
      ],
    },
    source: {
      commit: git('rev-parse', 'HEAD'),
      dirty: (git('status', '--porcelain', '--', 'src', 'Cargo.toml', 'Cargo.lock') ?? '').split('\n').filter(Boolean),
      pkgBuilt: statSync(PKG_WASM).mtime.toISOString(),
    },
    sizes: sizeReport,
    workload: bench.info,
    checks: bench.checks,
    notMeasured: bench.notMeasured,
    goals: goals(bench.rows, sizeReport),
    rows: bench.rows,
  };

  const product = result.browser.product ?? result.browser.userAgent;
  console.log('');
  console.log(`environment: ${date}; ${product} (headless); ${result.machine.cpu} x${result.machine.cores}, ${result.machine.memoryGiB} GiB; ${result.machine.os}; node ${process.version}`);
  console.log(`versions: strata ${result.versions.strata} (pkg/ built ${result.source.pkgBuilt}), @apollo/client ${versions['@apollo/client']} (graphql ${versions.graphql}), @tanstack/query-core ${versions['@tanstack/query-core']}, normalizr ${versions.normalizr}; esbuild ${versions.esbuild}`);
  const pr = bench.info.params;
  console.log(`method: medians of ${bench.runs} runs after ${bench.warmup} warm-up (scenario 4: ${pr.calls} calls after ${pr.callWarmup}; scenario 5: ${pr.outboxRuns} runs after ${pr.outboxWarmup}; scenario 6: ${pr.coldRuns} runs after ${pr.coldWarmup}); timer resolution ${bench.info.timerResolutionMs.toFixed(4)} ms (crossOriginIsolated ${bench.info.crossOriginIsolated}); strata/this < 1 means strata takes less time`);
  console.log('');
  console.log(table(bench.rows, bench.notMeasured));
  console.log('');
  console.log('size (gzip -9, 1 kB = 1024 B):');
  const z = sizeReport.strata;
  const k = (b) => `${(b / KB).toFixed(1)} kB`;
  console.log(`  strata pkg/ as shipped: wasm ${k(z.wasm.gzip9)} + js ${k(z.jsTotal.gzip9)} (minified, as shipped) = ${k(z.total.gzip9)}`);
  console.log(`  strata main entry, JS minified: wasm ${k(z.wasm.gzip9)} + ${k(z.mainEntryMinified.gzip9)} = ${k(z.mainEntryMinified.wasmPlusJsGzip9)}`);
  for (const p of Object.values(sizeReport.peers)) console.log(`  ${p.what}: ${k(p.gzip9)} (minified ${k(p.bytes)})`);
  console.log(`  known figures (not measured here): TanStack react-query 13.7 kB, Apollo 45-51 kB, urql+graphcache 21.2 kB, Replicache 36.1 kB`);
  console.log('');
  console.log('checks:');
  for (const c of bench.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.ok || c.detail === undefined ? '' : ` (${JSON.stringify(c.detail)})`}`);
  console.log('');
  console.log("the issue's goals for strata:");
  for (const g of result.goals) console.log(`  ${g.met === null || g.met === undefined ? (g.shown ? 'info  ' : 'n/a   ') : g.met ? 'met   ' : 'MISSED'} ${g.goal}: ${g.shown ?? 'not measured'}`);
  for (const m of bench.notMeasured) console.log(`  n/a    ${m.scenario}. ${m.name}: not measured: ${m.reason}`);

  printLean(result.rows ?? bench.rows, sizeReport);
  printPush(bench.rows, bench.info.push);
  printInfinite(bench.info.infinite);

  if (opts.only) mergeKept(result, opts.out);
  await mkdir(path.dirname(opts.out), { recursive: true });
  await writeFile(opts.out, JSON.stringify(result, null, 2) + '\n');
  say(`wrote ${path.relative(process.cwd(), opts.out) || opts.out}`);
  exitCode = 0;
} catch (err) {
  console.error(`bench-peers: ERROR: ${err?.message ?? err}`);
  exitCode = 1;
} finally {
  try { await context?.close(); } catch { /* ignore */ }
  try { await server?.close(); } catch { /* ignore */ }
  if (userDataDir) {
    try { await rm(userDataDir, { recursive: true, force: true }); } catch { /* ignore */ }
  }
}

process.exit(exitCode);
