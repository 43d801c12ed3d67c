#!/usr/bin/env node
// The Next.js (App Router) test: server-side rendering with strata-store and hydration in the
// browser (needs pkg/ from scripts/build.sh). Steps, each counted in the summary line
// `next tests: N passed, M failed`:
//
//   1. `npm pack pkg/`, then the app's pinned dependencies (`npm ci`, skipped while
//      node_modules matches package-lock.json) and `npm install --no-save <tarball>` (skipped
//      while the installed tarball has the same sha256).
//   2. `next build` (Turbopack; skipped while the tarball, the app's sources and the lock are
//      those of the last build), then `next start` on a free port.
//   3. The server HTML: the server component (app/page.js) imported strata-store without
//      reading window/document, fetched /api/todos through a store and dehydrated it; the
//      client component (app/todos.js, under <StoreProvider> + <HydrationBoundary>) rendered
//      the data with useQuery on the server.
//   4. Headless Debian Chromium: the page hydrates showing the same data, with no React
//      hydration warning and no second GET of /api/todos while fresh (the API logs every
//      request with its user agent); a mutation from the browser still works.
//
// Results go to tests/next/out/results.json. Exit code 0 only when everything passed.
// Environment: CHROMIUM_PATH (default /usr/bin/chromium); NEXT_BUNDLER=webpack (next build --webpack).

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.mjs';
import { assertEqual, createResults, freePort, installApp, loadChromium, packPkg, sh as run, tarballStamp } from '../app-runner.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'out');
const started = Date.now();

const { results, record, check, finish: summary } = createResults('next', outDir);
function assert(cond, what) {
  if (!cond) throw new Error(what);
}

// Commands run in the app unless told otherwise.
const sh = (cmd, args, options = {}) => run(cmd, args, { cwd: here, ...options });
const sha = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};
const nextBin = path.join(here, 'node_modules', 'next', 'dist', 'bin', 'next');

let server; // the `next start` child
let context;
let userDataDir;
async function finish() {
  try { await context?.close(); } catch { /* ignore */ }
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true }).catch(() => {});
  if (server && server.exitCode === null) {
    try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }
  }
  console.log(`    (next stage: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  summary();
}

// ---- 1. pack and install ----------------------------------------------------------------------

let tarball;
const installed = await check('install: npm pack pkg/, npm ci (pinned Next 16, React 19), npm install --no-save of the tarball', () => {
  ({ tarball } = packPkg(outDir));
  installApp(here, tarball, { needs: [nextBin] });
});
if (!installed) await finish();

// ---- 2. next build, next start ----------------------------------------------------------------

// NEXT_BUNDLER=webpack builds with `next build --webpack` instead (not a CI stage).
const bundler = process.env.NEXT_BUNDLER === 'webpack' ? 'webpack' : 'turbopack';
const built = await check(`build: next build (App Router, ${bundler === 'webpack' ? 'webpack' : 'Turbopack'})`, () => {
  // What the build depends on: the installed tarball, the lock, the config and app/.
  const sources = [];
  const walk = (dir) => {
    for (const f of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, f.name);
      if (f.isDirectory()) walk(p);
      else sources.push(p);
    }
  };
  walk(path.join(here, 'app'));
  const files = [tarballStamp(here), path.join(here, 'package-lock.json'), path.join(here, 'next.config.mjs'), ...sources];
  const digest = sha(bundler, ...files.flatMap((f) => [f, readFileSync(f)]));
  const stamp = path.join(here, '.next', '.strata-build.sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) {
    console.log('    .next is up to date (same tarball, lock and sources)');
    return;
  }
  sh(process.execPath, [nextBin, 'build', ...(bundler === 'webpack' ? ['--webpack'] : [])], { env: { NEXT_TELEMETRY_DISABLED: '1' } });
  writeFileSync(stamp, digest);
});
if (!built) await finish();

let base;
let serverLog = '';
const up = await check('start: next start on a free port', async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: here,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    detached: true, // its own process group: finish() ends it and its workers
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d) => {
    serverLog += d;
    process.stdout.write(String(d).replace(/^/gm, '    [next] '));
  };
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`next start exited with ${server.exitCode}`);
    try {
      const r = await fetch(`${base}/api/log`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('next start did not answer within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
});
if (!up) await finish();

const apiLog = async () => (await fetch(`${base}/api/log`)).json();
const fromBrowser = (entries) => entries.filter((e) => /Chrom/i.test(e.agent));

// ---- 3. the server HTML -----------------------------------------------------------------------

await check('server: the HTML has the data (server component: fetch + dehydrate; client component: useQuery)', async () => {
  const r = await fetch(base);
  const html = await r.text();
  assertEqual(r.status, 200, `GET / (${html.slice(0, 300)})`);
  const main = /<main[^>]*>/.exec(html)?.[0] ?? '';
  assert(main.includes('data-import-touched=""'), `importing strata-store read window/document: ${main}`);
  assert(html.includes('<p class="status">success</p>'), 'useQuery rendered success on the server');
  for (const t of ['rendered on the server', 'hydrated in the browser']) assert(html.includes(`<li>${t}<!-- --> (<!-- -->Ann<!-- -->)</li>`), `server HTML lists "${t}"`);
  assert(!/Error|digest/.test(main), 'no server error');
  const log = await apiLog();
  assertEqual(log.map((e) => e.method), ['GET'], 'the API saw one GET');
  assertEqual(fromBrowser(log), [], 'from Node, not a browser');
});

// ---- 4. Chromium ------------------------------------------------------------------------------

const chromium = await loadChromium(record, { setupHint: false });
if (!chromium) await finish();

userDataDir = await mkdtemp(path.join(os.tmpdir(), 'strata-next-chromium-'));
const consoleLines = [];
let page;
try {
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  page = await context.newPage();
  page.on('console', (msg) => {
    consoleLines.push(`${msg.type()}: ${msg.text()}`);
    console.log(`    [browser ${msg.type()}] ${msg.text()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) console.log(`    [browser http ${res.status()}] ${res.url()}`);
  });
  page.on('pageerror', (err) => {
    consoleLines.push(`pageerror: ${err.message}`);
    console.log(`    [browser pageerror] ${err.stack || err.message}`);
  });
} catch (e) {
  record('browser: launch Chromium', false, e.message);
  await finish();
}

const hydrated = await check('browser: the page hydrates showing the same data, without a refetch or a hydration warning', async () => {
  const wasm = [];
  page.on('response', (res) => {
    if (res.url().endsWith('.wasm')) wasm.push(res.status());
  });
  const before = (await apiLog()).length;
  const response = await page.goto(base, { waitUntil: 'load', timeout: 60_000 });
  assertEqual(response?.status(), 200, 'GET / in Chromium');
  await page.waitForSelector('section[data-hydrated="yes"]', { timeout: 30_000 });
  const items = await page.$$eval('li', (lis) => lis.map((li) => li.textContent));
  assertEqual(items, ['rendered on the server (Ann)', 'hydrated in the browser (Ann)'], 'the list after hydration');
  assertEqual(await page.textContent('p.status'), 'success', 'useQuery status');
  // The store loaded its wasm (the client component created it) and the data came from the state.
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm')), null, { timeout: 10_000 });
  assert(wasm.every((s) => s === 200), `the wasm was served: ${wasm}`);
  const log = (await apiLog()).slice(before);
  assertEqual(log.map((e) => e.method), ['GET'], 'the page request rendered on the server again: one GET, from Node');
  assertEqual(fromBrowser(log), [], 'no GET of /api/todos from the browser while fresh');
  const bad = consoleLines.filter((l) => /hydrat|did not match|mismatch|error/i.test(l));
  assertEqual(bad, [], 'console warnings');
});

if (hydrated) {
  await check('browser: a mutation from the client component still works', async () => {
    await page.click('button');
    await page.waitForFunction(() => [...document.querySelectorAll('li')].some((li) => li.textContent === 'written in the browser (Ann)'), null, { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelector('p.mutation')?.textContent === 'success', null, { timeout: 15_000 });
    const log = fromBrowser(await apiLog());
    assertEqual(log.map((e) => e.method), ['POST', 'GET'], 'the POST, then the refetch its `invalidate` asked for');
    assertEqual(consoleLines.filter((l) => /^(error|pageerror)/.test(l)), [], 'console errors');
  });
}

if (!results.every((r) => r.ok)) console.log(`    next start output:\n${serverLog.replace(/^/gm, '      ')}`);
await finish();
