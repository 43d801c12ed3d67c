#!/usr/bin/env node
// The React and packaging tests (the last stage of scripts/test.sh; needs pkg/ from
// scripts/build.sh). Steps, each counted in the summary line `react tests: N passed, M failed`:
//
//   1. `npm pack pkg/` and check the tarball (files, exports, peer dependencies).
//   2. Install it into the throwaway Vite + React app in tests/react/app: `npm ci` of the app's
//      pinned dependencies (skipped while node_modules matches package-lock.json), then
//      `npm install --no-save <tarball>` (skipped while the installed tarball is the same).
//   3. `tsc --noEmit` of the app (src/main.tsx and the typed usage file src/typed-usage.tsx).
//   4. `vite build` (the app, production React) and `NODE_ENV=development vite build` (the hook
//      tests page, development React so StrictMode double-mounts).
//   5. SSR checks in Node (app/ssr-check.mjs): import touches no window; renderToString.
//   6. Headless Debian Chromium (playwright-core from the repo root, the launch arguments of
//      tests/js/run.mjs), each build served by scripts/static-server.mjs with the test API
//      (tests/server/api.mjs): the app renders /api/todos; then every hook test.
//
// Results go to tests/react/out/results.json. Exit code 0 only when everything passed.
// Environment: CHROMIUM_PATH (default /usr/bin/chromium), REACT_TEST_TIMEOUT (ms, default 120000).

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { createApi } from '../server/api.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.mjs';
import { assertEqual, bin as appBin, createResults, installApp, loadChromium, packPkg, pkgDir, repoRoot, sh as run } from '../app-runner.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const appDir = path.join(here, 'app');
const outDir = path.join(here, 'out');
const TIMEOUT_MS = Number(process.env.REACT_TEST_TIMEOUT || 120_000);

const { record, check, finish } = createResults('react', outDir);
// Commands run in the app unless told otherwise.
const sh = (cmd, args, options = {}) => run(cmd, args, { cwd: appDir, ...options });
const bin = (name) => appBin(appDir, name);

// ---- 1. npm pack ----------------------------------------------------------------------------

let tarball;
const packed = await check('package: npm pack pkg/ has strata-store/react, strata-store/devtools, their types and the React peer dependency', () => {
  const { tarball: packedTarball, info } = packPkg(outDir);
  tarball = packedTarball;
  const files = info.files.map((f) => f.path);
  for (const f of ['package.json', 'index.js', 'index.d.ts', 'react.js', 'react.d.ts', 'devtools.js', 'devtools.d.ts', 'strata_wasm_bg.wasm']) {
    if (!files.includes(f)) throw new Error(`${f} is missing from the tarball (has: ${files.join(', ')})`);
  }
  const manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  assertEqual(Object.keys(manifest.exports['./react']), ['types', 'import', 'default'], "exports['./react'] conditions (types first)");
  assertEqual(Object.keys(manifest.exports['./devtools']), ['types', 'import', 'default'], "exports['./devtools'] conditions (types first)");
  assertEqual(Object.keys(manifest.exports['.'])[0], 'types', "exports['.'] lists types first");
  assertEqual(manifest.peerDependencies, { react: '^18 || ^19' }, 'peerDependencies');
  assertEqual(manifest.peerDependenciesMeta, { react: { optional: true } }, 'peerDependenciesMeta');
  assertEqual(manifest.sideEffects, false, 'sideEffects');
  // The main entry stays loadable from static files: no bare imports outside react.js.
  for (const f of files.filter((x) => x.endsWith('.js') && x !== 'react.js' && x !== 'devtools.js')) {
    // Also in minified code: `import{a as b}from"x"`, `import"x"`, `export*from"x"`.
    const bare = /\b(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["']([^./"'][^"']*)["']/.exec(readFileSync(path.join(pkgDir, f), 'utf8'));
    if (bare) throw new Error(`${f} imports the bare specifier '${bare[1]}'`);
  }
  // One request for the main entry (no import waterfall), and strata-store/react shares its one copy.
  const importsOf = (f) => [...readFileSync(path.join(pkgDir, f), 'utf8').matchAll(/\b(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["']([^"']+)["']/g)].map((m) => m[1]);
  assertEqual(importsOf('index.js'), [], 'modules index.js imports');
  assertEqual([...new Set(importsOf('react.js'))].sort(), ['./index.js', 'react'], 'modules react.js imports');
  // The devtools are their own entry: the main entry and react.js never load them.
  assertEqual([...new Set(importsOf('devtools.js'))].sort(), ['./react.js', 'react'], 'modules devtools.js imports');
  for (const f of ['index.js', 'react.js']) if (readFileSync(path.join(pkgDir, f), 'utf8').includes('StrataDevtools')) throw new Error(`${f} carries the devtools`);
  console.log(`    ${path.relative(repoRoot, tarball)}: ${info.entryCount} files, ${(info.size / 1024).toFixed(1)} kB`);
});
if (!packed) finish();

// ---- 2. install into the throwaway app --------------------------------------------------------

const installed = await check('app: npm ci (pinned Vite 8, React 19, TypeScript) and npm install of the tarball', () => {
  installApp(appDir, tarball, { needs: [bin('vite')] });
  const m = JSON.parse(readFileSync(path.join(appDir, 'node_modules', 'strata-store', 'package.json'), 'utf8'));
  if (!m.exports || !m.exports['./react']) throw new Error('node_modules/strata-store has no ./react export');
});
if (!installed) finish();

// ---- 3. tsc, 4. vite build, 5. SSR --------------------------------------------------------------

await check('types: tsc --noEmit on the app and the typed usage file', () => {
  sh(bin('tsc'), ['--noEmit', '-p', '.']);
});

const built = await check('build: vite build (app) and NODE_ENV=development vite build (hook tests)', () => {
  sh(bin('vite'), ['build'], { env: { NODE_ENV: 'production' } });
  sh(bin('vite'), ['build'], { env: { NODE_ENV: 'development' } });
  for (const f of ['dist/index.html', 'dist-dev/hooks.html']) {
    if (!existsSync(path.join(appDir, f))) throw new Error(`vite build wrote no ${f}`);
  }
});

{
  const r = spawnSync(process.execPath, ['ssr-check.mjs'], { cwd: appDir, encoding: 'utf8' });
  const line = `${r.stdout || ''}`.split('\n').find((l) => l.startsWith('SSR_RESULTS '));
  const list = line ? JSON.parse(line.slice('SSR_RESULTS '.length)) : [];
  for (const t of list) record(t.name, t.ok, t.error);
  if (r.status !== 0 && list.every((t) => t.ok)) {
    record('SSR checks (node ssr-check.mjs)', false, `exit ${r.status}\n${r.stdout}${r.stderr}`);
  }
}

if (!built) finish();

// ---- 6. Chromium ------------------------------------------------------------------------------

const chromium = await loadChromium(record);
if (!chromium) finish();

const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'strata-react-chromium-'));
let context;
const servers = [];
async function serve(dir) {
  const server = await startStaticServer({ root: path.join(appDir, dir), port: 0, handler: createApi().handle });
  servers.push(server);
  return server;
}
function watch(page) {
  page.on('console', (msg) => console.log(`    [browser ${msg.type()}] ${msg.text()}`));
  page.on('pageerror', (err) => console.log(`    [browser pageerror] ${err.stack || err.message || err}`));
  page.on('requestfailed', (req) => {
    if (!req.url().includes('/api/')) console.log(`    [browser requestfailed] ${req.url()}: ${req.failure()?.errorText}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.url().includes('/api/')) console.log(`    [browser http ${res.status()}] ${res.url()}`);
  });
}

try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });

  await check('app: the built Vite + React app renders /api/todos through useQuery (Chromium)', async () => {
    const server = await serve('dist');
    const page = await context.newPage();
    watch(page);
    const response = await page.goto(`${server.url}/index.html`, { waitUntil: 'load', timeout: TIMEOUT_MS });
    if (!response || !response.ok()) throw new Error(`failed to load the app: HTTP ${response?.status()}`);
    await page.waitForFunction(() => window.__app !== undefined, null, { timeout: 30_000 });
    const app = await page.evaluate(() => window.__app);
    if (!app.ok) throw new Error(`the app failed to start: ${app.error}`);
    await page.waitForSelector('#todos li', { timeout: 30_000 });
    const items = await page.$$eval('#todos li', (lis) => lis.map((li) => li.textContent));
    assertEqual(items, ['a (Ann)', 'b (Bo)'], 'rendered todos');
    assertEqual(await page.textContent('#ann'), 'Ann', 'useEntity');
    assertEqual(await page.textContent('#sync'), 'online', 'useSyncState');
    const count = await (await fetch(`${server.url}/api/_count?path=/api/todos`)).json();
    assertEqual(count.count, 1, 'requests to /api/todos (production build, StrictMode)');
    const wasm = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.wasm')));
    if (wasm.length !== 1 || !wasm[0].includes('/assets/')) throw new Error(`expected the wasm as a Vite asset, loaded ${JSON.stringify(wasm)}`);
    await page.close();
  });

  const server = await serve('dist-dev');
  const page = await context.newPage();
  watch(page);
  await page.exposeFunction('__setOffline', (offline) => context.setOffline(Boolean(offline)));
  try {
    const response = await page.goto(`${server.url}/hooks.html`, { waitUntil: 'load', timeout: TIMEOUT_MS });
    if (!response || !response.ok()) throw new Error(`failed to load hooks.html: HTTP ${response?.status()}`);
    await page.waitForFunction(() => window.__results !== undefined, null, { timeout: TIMEOUT_MS, polling: 100 });
    const summary = await page.evaluate(() => window.__results);
    for (const r of summary.results) record(`hooks: ${r.name}`, r.ok, r.error);
    if (summary.results.length === 0) record('hooks: tests ran', false, 'no hook tests ran');
  } catch (e) {
    record('hooks: the hook test page', false, e.message);
  }
} catch (e) {
  record('browser', false, e.message);
} finally {
  try {
    await context?.close();
  } catch {
    /* ignore */
  }
  for (const s of servers) await s.close();
  await rm(userDataDir, { recursive: true, force: true });
}

finish();
