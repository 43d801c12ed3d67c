#!/usr/bin/env node
// Startup benchmark: `import()` of the package as shipped -> a ready store, in headless Chromium
// (Debian's /usr/bin/chromium through playwright-core, see scripts/chromium.mjs; no downloaded
// browser). Compares two builds of pkg/, run interleaved (A B, B A, A B, ...), each run in a fresh
// browser context and page (no module, HTTP or code cache carried over; the static server also
// sends `Cache-Control: no-store`). The page measures:
//
//   t0 = performance.now();
//   const m = await import('/pkg/index.js');                         // -> import ms
//   const s = await m.createStore({ persist: false, entities: {...} }); // -> createStore ms
//   t1 = performance.now();                                           // total = t1 - t0
//
// when index.js has arrived and when the wasm's request starts (both after t0), and the
// requests of /pkg/ files the page made. Each build is served by a server
// of its own (its own origin) from a copy of its pkg/ directory.
//
// Usage:
//   node scripts/bench-startup.mjs [--before=DIR] [--after=DIR] [--runs=N] [--latency=MS] [--gap=MS] [--json=FILE]
//     --before   the baseline pkg/ (default /tmp/pkg-before: copy main's pkg/ there first,
//                `cp -r /work/main/pkg /tmp/pkg-before`, or build an older commit into it)
//     --after    the build to compare (default ./pkg, from ./scripts/build.sh)
//     --runs     runs per build (default 25)
//     --latency  added round-trip latency per request in ms (Chromium's network emulation;
//                default 0: localhost). Shows what a module waterfall costs over a real network.
//     --gap      ms of busy main-thread work between the import and createStore (default 0),
//                standing for the app's own startup; createStore ms then excludes it, total not
//     --json     also write the runs and medians to FILE
// Prints per build the median (and p25-p75) of import, createStore, total and the wasm request's
// start, and the requests.
import { cpSync, mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStaticServer } from './static-server.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';

const root = new URL('..', import.meta.url).pathname;
const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const builds = { before: path.resolve(arg('before', '/tmp/pkg-before')), after: path.resolve(arg('after', path.join(root, 'pkg'))) };
const RUNS = Math.max(1, Number(arg('runs', 25)));
const LATENCY = Math.max(0, Number(arg('latency', 0)));
const GAP = Math.max(0, Number(arg('gap', 0)));
const JSON_OUT = arg('json', '');
for (const [name, dir] of Object.entries(builds)) {
  if (!existsSync(path.join(dir, 'index.js'))) throw new Error(`bench-startup: --${name}=${dir} has no index.js (not a built pkg/)`);
}

const PAGE = (GAP) => `<!doctype html><meta charset="utf-8"><title>strata startup</title>
<script type="module">
const GAP = ${GAP};
const entities = { Todo: { relations: { owner: 'User' } }, User: { relations: { todos: ['Todo'] } } };
const t0 = performance.now();
try {
  const m = await import('/pkg/index.js');
  const t1 = performance.now();
  // --gap: the app's own startup work between the import and createStore (main thread busy).
  while (performance.now() - t1 < GAP);
  const s = await m.createStore({ persist: false, entities });
  const t2 = performance.now();
  const entries = performance.getEntriesByType('resource').filter((r) => new URL(r.name).pathname.startsWith('/pkg/'));
  const requests = entries.map((r) => new URL(r.name).pathname);
  const wasm = entries.find((r) => r.name.endsWith('.wasm'));
  const index = entries.find((r) => r.name.endsWith('/index.js'));
  s.close();
  window.__bench = { ok: true, importMs: t1 - t0, createStoreMs: t2 - t1 - GAP, totalMs: t2 - t0, indexLoadedMs: index.responseEnd - t0, wasmFetchStartMs: wasm.startTime - t0, wasmFetchEndMs: wasm.responseEnd - t0, requests };
} catch (e) {
  window.__bench = { ok: false, error: String((e && e.stack) || e) };
}
</script>`;

const tmp = mkdtempSync(path.join(tmpdir(), 'strata-bench-startup-'));
const servers = {};
for (const [name, dir] of Object.entries(builds)) {
  cpSync(dir, path.join(tmp, name, 'pkg'), { recursive: true });
  servers[name] = await startStaticServer({
    root: path.join(tmp, name),
    handler(req, res) {
      if (req.url === '/favicon.ico') {
        res.writeHead(204);
        res.end();
        return true;
      }
      if (req.url !== '/bench.html') return false;
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(PAGE(GAP));
      return true;
    },
  });
}

const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
const runs = { before: [], after: [] };

async function once(name) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.on('pageerror', (err) => console.log(`[${name} pageerror] ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') console.log(`[${name} ${msg.type()}] ${msg.text()}`);
    });
    if (LATENCY) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: LATENCY, downloadThroughput: -1, uploadThroughput: -1 });
    }
    await page.goto(`${servers[name].url}/bench.html`, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForFunction(() => window.__bench !== undefined, null, { timeout: 60_000 });
    const r = await page.evaluate(() => window.__bench);
    if (!r.ok) throw new Error(`${name}: ${r.error}`);
    return r;
  } finally {
    await context.close();
  }
}

try {
  await once('before'); // warm the browser process and the servers, not recorded
  await once('after');
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 ? ['after', 'before'] : ['before', 'after'];
    for (const name of order) runs[name].push(await once(name));
  }
} finally {
  await browser.close();
  for (const s of Object.values(servers)) await s.close();
  rmSync(tmp, { recursive: true, force: true });
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
};
const summary = {};
console.log(`strata startup, ${RUNS} runs per build, interleaved, fresh context per run${LATENCY ? `, +${LATENCY} ms latency per request` : ''}${GAP ? `, ${GAP} ms of app work between import and createStore` : ''}`);
console.log(`${'build'.padEnd(8)} ${'import'.padStart(20)} ${'createStore'.padStart(20)} ${'total'.padStart(20)} ${'index.js loaded'.padStart(20)} ${'wasm fetch starts'.padStart(20)}  requests`);
for (const name of ['before', 'after']) {
  const row = {};
  let line = name.padEnd(8);
  for (const k of ['importMs', 'createStoreMs', 'totalMs', 'indexLoadedMs', 'wasmFetchStartMs']) {
    const xs = runs[name].map((r) => r[k]);
    row[k] = { median: quantile(xs, 0.5), p25: quantile(xs, 0.25), p75: quantile(xs, 0.75) };
    line += ` ${`${row[k].median.toFixed(1)} (${row[k].p25.toFixed(1)}-${row[k].p75.toFixed(1)})`.padStart(20)}`;
  }
  row.requests = runs[name][0].requests;
  summary[name] = row;
  console.log(`${line}  ${row.requests.length}: ${row.requests.map((p) => p.replace(/^\/pkg\//, '')).join(', ')}`);
}
console.log(`total: ${summary.before.totalMs.median.toFixed(1)} ms -> ${summary.after.totalMs.median.toFixed(1)} ms (median)`);
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ runs: RUNS, latencyMs: LATENCY, gapMs: GAP, builds, summary, raw: runs }, null, 2) + '\n');
