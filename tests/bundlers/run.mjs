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

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const pkgDir = path.join(repoRoot, 'pkg');
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

const results = [];
function record(name, ok, error = null) {
  results.push({ name, ok, error });
  console.log(ok ? `ok - ${name}` : `not ok - ${name}: ${String(error).replace(/\n/g, '\n    ')}`);
}
async function check(name, fn) {
  try {
    await fn();
    record(name, true);
    return true;
  } catch (e) {
    record(name, false, e && e.message ? e.message : e);
    return false;
  }
}
function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}
function finish() {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'results.json'), JSON.stringify({ passed, failed, results }, null, 2) + '\n');
  console.log(`bundler tests: ${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

// Runs a command, echoing its output; throws with the tail of the output when it fails.
function sh(cmd, args, cwd, { quiet = false } = {}) {
  const t = Date.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = `${r.stdout || ''}${r.stderr || ''}`
    .split('\n')
    .filter((l) => !/Unknown user config "nodedir"|install-scripts/.test(l)) // machine-level npm notices
    .join('\n')
    .trim();
  if (!quiet && output) console.log(output.replace(/^/gm, '    '));
  console.log(`    (${[cmd, ...args].join(' ')} in ${path.relative(repoRoot, cwd) || '.'}: ${((Date.now() - t) / 1000).toFixed(1)} s)`);
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}\n${output.split('\n').slice(-30).join('\n')}`);
  return r.stdout;
}
const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);

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
let digest;
await check('pack: npm pack pkg/', () => {
  if (!existsSync(path.join(pkgDir, 'package.json'))) throw new Error('pkg/ is not built: run ./scripts/build.sh first');
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) if (f.endsWith('.tgz')) rmSync(path.join(outDir, f));
  const json = JSON.parse(sh('npm', ['pack', pkgDir, '--pack-destination', outDir, '--json', '--silent'], repoRoot, { quiet: true }));
  tarball = path.join(outDir, json[0].filename);
  digest = createHash('sha256').update(readFileSync(tarball)).digest('hex');
});
if (!tarball) finish();

// ---- 2.-3. install and build each app -----------------------------------------------------------

const built = [];
for (const name of chosen) {
  const appDir = path.join(here, name);
  const ok = await check(`${name}: npm ci (pinned), npm install --no-save of the tarball, node build.mjs`, () => {
    const lock = path.join(appDir, 'package-lock.json');
    const hidden = path.join(appDir, 'node_modules', '.package-lock.json');
    if (mtime(hidden) > Math.max(mtime(lock), mtime(path.join(appDir, 'package.json')))) {
      console.log(`    ${name}: dependencies up to date (node_modules/.package-lock.json is newer than package-lock.json)`);
    } else {
      sh('npm', ['ci', '--no-audit', '--no-fund'], appDir);
    }
    // The tarball changes with every build; the app's package.json and lock do not name it.
    const stamp = path.join(appDir, 'node_modules', '.strata-tarball.sha256');
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest && existsSync(path.join(appDir, 'node_modules', 'strata-store', 'index.js'))) {
      console.log(`    ${name}: strata-store tarball already installed (same sha256)`);
    } else {
      sh('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', tarball], appDir);
      writeFileSync(stamp, digest);
    }
    sh(process.execPath, ['build.mjs'], appDir);
    if (!existsSync(path.join(appDir, 'dist', 'index.html')) || !existsSync(path.join(appDir, 'dist', 'main.js'))) {
      throw new Error('the build wrote no dist/index.html and dist/main.js');
    }
  });
  if (ok) built.push(name);
}

// ---- 4. Chromium ------------------------------------------------------------------------------

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  record('browser: load playwright-core', false, `${e.message}; run \`npm ci\` at the repo root (scripts/setup.sh does this)`);
  finish();
}
if (!existsSync(CHROMIUM)) {
  record('browser: find Chromium', false, `no browser at ${CHROMIUM}; install Debian's chromium (scripts/setup.sh) or set CHROMIUM_PATH`);
  finish();
}

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
