#!/usr/bin/env node
// The bundler packaging tests (a stage of scripts/test.sh; needs pkg/ from scripts/build.sh). The
// packed tarball is installed into one throwaway app per bundler, built with that bundler, and
// the built app runs in headless Chromium against a tiny API this runner serves on the same
// origin. Vite is tests/react; here:
//
//   webpack/  webpack 5 + React (strata-store/react); the wasm: webpack follows new URL() itself
//   rollup/   Rollup 4, no framework; the wasm: emitted next to the bundle (build.mjs's plugin)
//   esbuild/  esbuild + React (JSX); the wasm: imported with the file loader, createStore({ wasm })
//
// For each app: `npm ci` of its pinned dependencies (skipped while node_modules matches its
// package-lock.json), `npm install --no-save <tarball>` (skipped while the installed tarball has
// the same sha256), `node build.mjs`, then in Chromium: the query's data renders, a mutation is
// sent once and its answer lands in every todo that shows the user, and the wasm was loaded from
// where that bundler puts it. Summary line: `bundler tests: N passed, M failed`.
//
//   node tests/bundlers/run.mjs [webpack|rollup|esbuild ...]
// Environment: CHROMIUM_PATH (default /usr/bin/chromium).

import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.mjs';
import { assertEqual, createResults, installApp, loadChromium, packPkg, pkgDir, repoRoot, sh } from '../app-runner.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'out');
const started = Date.now();

// Where each bundler's build leaves the wasm the page must load (path under dist/).
const APPS = {
  webpack: { react: true, wasm: /^\/assets\/strata_wasm_bg-[0-9a-f]+\.wasm$/, how: 'webpack asset (new URL followed)' },
  rollup: { react: false, wasm: /^\/strata_wasm_bg\.wasm$/, how: 'emitted next to the bundle by a 10-line plugin' },
  esbuild: { react: true, wasm: /^\/assets\/strata_wasm_bg-[A-Z0-9]+\.wasm$/, how: "file loader + createStore({ wasm })" },
};
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(APPS);
for (const name of chosen) if (!APPS[name]) throw new Error(`unknown app ${name} (have: ${Object.keys(APPS).join(', ')})`);

const { record, check, finish: summary } = createResults('bundler', outDir);
const finish = () => summary(` (${((Date.now() - started) / 1000).toFixed(1)} s)`);

// Every command's duration line names where it ran; npm's install-scripts notice is dropped too.
const shIn = { ignore: /install-scripts/, relativeTo: repoRoot };

// ---- the tiny API: same origin as the app, one per app (fresh state) ---------------------------------

function createTinyApi() {
  const users = { u1: { id: 'u1', name: 'Ann' } };
  const todos = [
    { id: 1, title: 'a', assignee: 'u1' },
    { id: 2, title: 'b', assignee: 'u1' },
  ];
  const log = [];
  const json = (res, status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
    return true;
  };
  const handle = (req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    if (!pathname.startsWith('/api/')) return false;
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      log.push({ method: req.method, path: pathname, body, idempotencyKey: req.headers['idempotency-key'] ?? null });
      if (req.method === 'GET' && pathname === '/api/todos') return json(res, 200, todos.map((t) => ({ ...t, assignee: users[t.assignee] })));
      const user = /^\/api\/users\/(\w+)$/.exec(pathname);
      if (req.method === 'PATCH' && user && users[user[1]]) {
        Object.assign(users[user[1]], JSON.parse(body));
        return json(res, 200, users[user[1]]);
      }
      return json(res, 404, { error: `no ${req.method} ${pathname}` });
    });
    return true;
  };
  return { handle, log };
}

// ---- 1. npm pack ------------------------------------------------------------------------------

let tarball;
await check('pack: npm pack pkg/', () => {
  ({ tarball } = packPkg(outDir, shIn));
});
if (!tarball) finish();

// ---- 2.-3. install and build each app -----------------------------------------------------------

const built = [];
for (const name of chosen) {
  const appDir = path.join(here, name);
  const ok = await check(`${name}: npm ci (pinned), npm install --no-save of the tarball, node build.mjs`, () => {
    installApp(appDir, tarball, {
      marker: 'index.js',
      say: { deps: `${name}: dependencies up to date`, tarball: `${name}: strata-store tarball already installed` },
      shOptions: shIn,
    });
    sh(process.execPath, ['build.mjs'], { cwd: appDir, ...shIn });
    if (!existsSync(path.join(appDir, 'dist', 'index.html')) || !existsSync(path.join(appDir, 'dist', 'main.js'))) {
      throw new Error('the build wrote no dist/index.html and dist/main.js');
    }
  });
  if (ok) built.push(name);
}

// ---- 4. Chromium ------------------------------------------------------------------------------

const chromium = await loadChromium(record);
if (!chromium) finish();

const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'strata-bundlers-chromium-'));
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  for (const name of built) {
    const app = APPS[name];
    const api = createTinyApi();
    const server = await startStaticServer({ root: path.join(here, name, 'dist'), port: 0, handler: api.handle });
    const page = await context.newPage();
    const wasmLoads = []; // { path, status } of every .wasm the page requested
    page.on('console', (msg) => console.log(`    [${name} ${msg.type()}] ${msg.text()}`));
    page.on('pageerror', (err) => console.log(`    [${name} pageerror] ${err.stack || err.message || err}`));
    page.on('response', (res) => {
      const p = new URL(res.url()).pathname;
      if (p.endsWith('.wasm')) wasmLoads.push({ path: p, status: res.status() });
    });
    try {
      await check(`${name}: the built app renders GET /api/todos (${app.react ? 'useQuery' : 'subscribeQuery'}) in Chromium`, async () => {
        const response = await page.goto(`${server.url}/index.html`, { waitUntil: 'load', timeout: 60_000 });
        if (!response || !response.ok()) throw new Error(`failed to load the app: HTTP ${response?.status()}`);
        await page.waitForFunction(() => document.querySelectorAll('#todos li').length === 2 || (window.__app && !window.__app.ok), null, { timeout: 30_000 });
        const failed = await page.evaluate(() => window.__app && !window.__app.ok && window.__app.error);
        if (failed) throw new Error(`the app failed: ${failed}`);
        assertEqual(await page.$$eval('#todos li', (lis) => lis.map((li) => li.textContent)), ['a (Ann)', 'b (Ann)'], 'rendered todos');
      });
      await check(`${name}: a mutation (${app.react ? 'useMutation' : 'store.mutate'}, on a click) is sent once and its answer shows in both todos`, async () => {
        await page.click('#rename');
        await page.waitForFunction(() => window.__app !== undefined, null, { timeout: 30_000 });
        const result = await page.evaluate(() => window.__app);
        if (!result.ok) throw new Error(`the mutation failed: ${result.error}`);
        assertEqual(result.saved, { id: 'u1', name: 'Ada' }, 'the mutation resolved with');
        await page.waitForFunction(() => document.getElementById('mutation')?.textContent === 'success', null, { timeout: 30_000 });
        assertEqual(await page.$$eval('#todos li', (lis) => lis.map((li) => li.textContent)), ['a (Ada)', 'b (Ada)'], 'rendered todos after the mutation');
        const requests = api.log.map((r) => `${r.method} ${r.path}`);
        assertEqual(requests, ['GET /api/todos', 'PATCH /api/users/u1'], 'requests the API received');
        assertEqual(JSON.parse(api.log[1].body), { name: 'Ada' }, 'the PATCH body');
        if (!api.log[1].idempotencyKey) throw new Error('the PATCH carried no Idempotency-Key');
      });
      await check(`${name}: the wasm was loaded from where the bundler put it (${app.how})`, () => {
        // One request, not also a 404 for the default next-to-the-module URL (with the `wasm` option).
        const ok = wasmLoads.filter((w) => w.status === 200);
        if (wasmLoads.length !== 1 || ok.length !== 1 || !app.wasm.test(ok[0].path)) throw new Error(`expected one request, for a wasm matching ${app.wasm}; the page requested ${JSON.stringify(wasmLoads)}`);
        const file = path.join(here, name, 'dist', ok[0].path);
        const shipped = readFileSync(path.join(pkgDir, 'strata_wasm_bg.wasm'));
        if (!existsSync(file) || !readFileSync(file).equals(shipped)) throw new Error(`dist${ok[0].path} is not the package's strata_wasm_bg.wasm`);
        console.log(`    ${name}: wasm requests ${JSON.stringify(wasmLoads)}`);
      });
    } finally {
      await page.close();
      await server.close();
    }
  }
} catch (e) {
  record('browser', false, e.message);
} finally {
  await context?.close().catch(() => {});
  await rm(userDataDir, { recursive: true, force: true });
}

finish();
