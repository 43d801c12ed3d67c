#!/usr/bin/env node
// The wasm -> JS transfer benchmark, run headless in Debian Chromium (as tests/js/run.mjs).
//
// Usage:
//   node scripts/bench-transfer.mjs                 # measure with the existing builds
//   node scripts/bench-transfer.mjs --build         # first build pkg/ and target/bench-pkg/
//                                                   # (scripts/bench-transfer.sh)
//   node scripts/bench-transfer.mjs --runs 30 --warmup 5
//   node scripts/bench-transfer.mjs --out /tmp/transfer.json
//
// It builds nothing unless --build is passed: it needs pkg/ (./scripts/build.sh) and
// target/bench-pkg/ (the `bench-transfer` feature build). It serves the repo root with
// scripts/static-server.mjs, opens /www/bench/transfer.html, waits for `window.__bench`,
// prints a table and writes www/bench/results/transfer.json (numbers, browser, machine,
// gzipped sizes). Numbers are reported, never asserted: it exits 0 whenever the page ran,
// 1 when the page failed, timed out or could not load.
//
// Environment:
//   CHROMIUM_PATH   browser binary (default /usr/bin/chromium)
//   BENCH_TIMEOUT   ms to wait for the page's results (default 600000)

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startStaticServer } from './static-server.mjs';
import { CHROMIUM, CHROMIUM_ARGS, runBenchPage } from './chromium.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PAGE = 'www/bench/transfer.html';
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT || 600_000);
// The same arguments as tests/js/run.mjs.

// ---- arguments -----------------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { build: false, runs: undefined, warmup: undefined, out: path.join(repoRoot, 'www/bench/results/transfer.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--build') opts.build = true;
    else if (a === '--runs') opts.runs = positive(value(), a);
    else if (a === '--warmup') opts.warmup = positive(value(), a);
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
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 22).join('\n');
  if (error) console.error(`bench-transfer: ${error}\n`);
  console.error(text.replace(/^\/\/ ?/gm, ''));
  process.exit(error ? 2 : 0);
}

const opts = parseArgs(process.argv.slice(2));

// ---- build / prerequisites -----------------------------------------------------------------

if (opts.build) {
  console.log('bench-transfer: building (scripts/bench-transfer.sh)');
  const r = spawnSync('bash', [path.join(repoRoot, 'scripts/bench-transfer.sh')], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench-transfer: build failed (exit ${r.status})`);
    process.exit(1);
  }
}

const PKG_WASM = path.join(repoRoot, 'pkg/strata_wasm_bg.wasm');
const BENCH_WASM = path.join(repoRoot, 'target/bench-pkg/strata_wasm_bg.wasm');
for (const [file, how] of [
  [PKG_WASM, './scripts/build.sh'],
  [BENCH_WASM, 'node scripts/bench-transfer.mjs --build'],
]) {
  if (!existsSync(file)) {
    console.error(`bench-transfer: ${path.relative(repoRoot, file)} is missing; run ${how}`);
    process.exit(1);
  }
}

function newestMtime(dir, filter) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name === 'tests') continue; // test-only code is not in the wasm
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p, filter));
    else if (filter(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}
const rustMtime = Math.max(newestMtime(path.join(repoRoot, 'src'), (f) => f.endsWith('.rs')), statSync(path.join(repoRoot, 'Cargo.toml')).mtimeMs);
for (const file of [PKG_WASM, BENCH_WASM]) {
  if (statSync(file).mtimeMs < rustMtime) {
    console.warn(`bench-transfer: warning: ${path.relative(repoRoot, file)} is older than the Rust sources; pass --build to rebuild`);
  }
}
const jsMtime = newestMtime(path.join(repoRoot, 'src/js'), (f) => f.endsWith('.js'));
if (statSync(path.join(repoRoot, 'pkg/index.js')).mtimeMs < jsMtime) {
  console.warn('bench-transfer: warning: pkg/ JS is older than src/js; pass --build to rebuild');
}

// ---- sizes ---------------------------------------------------------------------------------

function git(...args) {
  const r = spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trimEnd() : undefined;
}

function gz(file) {
  const buf = readFileSync(file);
  return { bytes: buf.length, gzip9: gzipSync(buf, { level: 9 }).length };
}

function sizes() {
  const pkgDir = path.join(repoRoot, 'pkg');
  let shipped;
  try {
    shipped = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).files;
  } catch {
    shipped = readdirSync(pkgDir);
  }
  const js = {};
  for (const f of shipped.filter((f) => f.endsWith('.js')).sort()) js[f] = gz(path.join(pkgDir, f));
  const wasm = gz(PKG_WASM);
  const jsTotal = Object.values(js).reduce((a, s) => ({ bytes: a.bytes + s.bytes, gzip9: a.gzip9 + s.gzip9 }), { bytes: 0, gzip9: 0 });
  return {
    note: 'bytes and gzip -9 bytes (zlib level 9, per file)',
    pkg: {
      'strata_wasm_bg.wasm': wasm,
      js,
      jsTotal,
      total: { bytes: wasm.bytes + jsTotal.bytes, gzip9: wasm.gzip9 + jsTotal.gzip9 },
    },
    benchPkg: {
      'strata_wasm_bg.wasm': gz(BENCH_WASM),
      'strata_wasm.js': gz(path.join(repoRoot, 'target/bench-pkg/strata_wasm.js')),
    },
  };
}

// ---- table ---------------------------------------------------------------------------------

const fmt = (x) => (x === undefined || x === null || Number.isNaN(x) ? '' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function table(rows) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const lines = [['scenario', 'median ms', 'p95 ms', 'ns/op', 'ratio']];
  let lastScenario;
  const seps = [];
  for (const r of rows) {
    if (lastScenario !== undefined && r.scenario !== lastScenario) seps.push(lines.length);
    lastScenario = r.scenario;
    const base = r.ratioTo && byId.get(r.ratioTo);
    const ratio = base ? `${(r.median / base.median).toFixed(2)}x ${base.id === 'read.map' ? 'map.get' : 'JSON.parse'}` : '';
    lines.push([`${r.scenario}. ${r.name}`, fmt(r.median), fmt(r.p95), r.perOp ? fmt(r.perOp.median) : '', ratio]);
  }
  const widths = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  const render = (l) => l.map((cell, c) => (c === 0 || c === 4 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [render(lines[0]), rule];
  for (let i = 1; i < lines.length; i++) {
    if (seps.includes(i)) out.push('');
    out.push(render(lines[i]));
  }
  return out.join('\n');
}

function summarize(rows) {
  const m = Object.fromEntries(rows.map((r) => [r.id, r]));
  const med = (id) => m[id]?.median;
  const ratio = (a, b) => med(a) / med(b);
  const s = {
    transferBOverA: {
      wasmCall: ratio('B.wasm', 'A.wasm'),
      apply: ratio('B.apply', 'A.apply'),
      wasmPlusApply: ratio('B.wasmApply', 'A.wasmApply'),
      firstRead: ratio('B.read', 'A.read'),
      total: ratio('B.total', 'A.total'),
    },
    transferFaster: med('A.wasmApply') <= med('B.wasmApply') ? 'A (JSON string)' : 'B (serde-wasm-bindgen objects)',
    reads: {
      sameKeyNs: m['read.same']?.perOp?.median,
      freshKeyNs: m['read.fresh']?.perOp?.median,
      mapGetNs: m['read.map']?.perOp?.median,
      freshOverSame: m['read.fresh']?.perOp?.median / m['read.same']?.perOp?.median,
    },
  };
  return s;
}

// ---- run -----------------------------------------------------------------------------------

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  console.error(`bench-transfer: cannot load playwright-core (${err.message}); run \`npm ci\` at the repo root`);
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`bench-transfer: browser not found at ${CHROMIUM}; install Debian's chromium or set CHROMIUM_PATH`);
  process.exit(1);
}

let server;
let context;
let userDataDir;
let exitCode = 1;

try {
  server = await startStaticServer({ root: repoRoot, port: 0 });
  const query = new URLSearchParams();
  if (opts.runs) query.set('runs', String(opts.runs));
  if (opts.warmup) query.set('warmup', String(opts.warmup));
  const url = `${server.url}/${PAGE}${query.size ? `?${query}` : ''}`;
  console.log(`bench-transfer: opening ${url}`);

  const opened = await runBenchPage(url, TIMEOUT_MS);
  context = opened.context;
  userDataDir = opened.userDataDir;
  const { bench, browser } = opened;

  const cpus = os.cpus();
  const result = {
    benchmark: 'strata wasm -> JS change batch transfer',
    date: new Date().toISOString(),
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
    method: {
      runs: bench.runs,
      warmup: bench.warmup,
      timer: 'performance.now()',
      timerResolutionMs: bench.info.timerResolutionMs,
      crossOriginIsolated: bench.info.crossOriginIsolated,
      median: 'middle sample (mean of the two middle ones for an even count)',
      p95: 'nearest rank',
      notes: [
        'each run of scenarios 1-4 and 6 uses a fresh store / StoreCore + Snapshots; scenario 5 reads one cached query',
        'the variants of a scenario are interleaved per run in a rotating order, after warm-up runs that are not recorded',
        'transfer A and B both use target/bench-pkg (the same wasm binary); the public API uses pkg/',
      ],
    },
    source: {
      commit: git('rev-parse', 'HEAD'),
      // Uncommitted changes to what the wasm and the JS are built from, at measurement time.
      dirty: (git('status', '--porcelain', '--', 'src', 'Cargo.toml', 'Cargo.lock') ?? '').split('\n').filter(Boolean),
      pkgBuilt: statSync(PKG_WASM).mtime.toISOString(),
      benchPkgBuilt: statSync(BENCH_WASM).mtime.toISOString(),
    },
    sizes: sizes(),
    workload: bench.info,
    checks: bench.checks,
    summary: summarize(bench.rows),
    rows: bench.rows,
  };

  console.log('');
  console.log(`strata transfer benchmark: ${result.browser.product ?? result.browser.userAgent}; ${result.machine.cpu} x${result.machine.cores}; ${bench.runs} runs after ${bench.warmup} warm-up`);
  console.log(`response ${(bench.info.responseBytes / 1e6).toFixed(2)} MB JSON; change batch ${(bench.info.batchJsonBytes / 1e6).toFixed(2)} MB JSON; timer resolution ${bench.info.timerResolutionMs.toFixed(3)} ms`);
  console.log('');
  console.log(table(bench.rows));
  console.log('');
  const s = result.summary;
  const pct = (r) => `${r < 1 ? ((1 - r) * 100).toFixed(0) + '% less' : ((r - 1) * 100).toFixed(0) + '% more'}`;
  console.log(`transfer (wasm call + apply): ${s.transferFaster} is faster; B/A = ${s.transferBOverA.wasmPlusApply.toFixed(2)} (B takes ${pct(s.transferBOverA.wasmPlusApply)} time)`);
  console.log(`  B/A wasm call ${s.transferBOverA.wasmCall.toFixed(2)}, apply ${s.transferBOverA.apply.toFixed(2)}, first read ${s.transferBOverA.firstRead.toFixed(2)}, total ${s.transferBOverA.total.toFixed(2)}`);
  console.log(`reads: same key ${fmt(s.reads.sameKeyNs)} ns, fresh literal key ${fmt(s.reads.freshKeyNs)} ns (${s.reads.freshOverSame.toFixed(1)}x), Map.get ${fmt(s.reads.mapGetNs)} ns`);
  const z = result.sizes.pkg;
  console.log(`sizes (gzip -9): pkg wasm ${(z['strata_wasm_bg.wasm'].gzip9 / 1024).toFixed(1)} kB + js ${(z.jsTotal.gzip9 / 1024).toFixed(1)} kB = ${(z.total.gzip9 / 1024).toFixed(1)} kB; bench wasm (with serde-wasm-bindgen path) ${(result.sizes.benchPkg['strata_wasm_bg.wasm'].gzip9 / 1024).toFixed(1)} kB`);
  for (const c of bench.checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} check: ${c.name}${c.ok || c.detail === undefined ? '' : ` (${JSON.stringify(c.detail)})`}`);

  await mkdir(path.dirname(opts.out), { recursive: true });
  await writeFile(opts.out, JSON.stringify(result, null, 2) + '\n');
  console.log(`bench-transfer: wrote ${path.relative(process.cwd(), opts.out) || opts.out}`);
  exitCode = 0;
} catch (err) {
  console.error(`bench-transfer: ERROR: ${err?.message ?? err}`);
  exitCode = 1;
} finally {
  try { await context?.close(); } catch { /* ignore */ }
  try { await server?.close(); } catch { /* ignore */ }
  if (userDataDir) {
    try { await rm(userDataDir, { recursive: true, force: true }); } catch { /* ignore */ }
  }
}

process.exit(exitCode);
