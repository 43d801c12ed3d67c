#!/usr/bin/env node
// Runs the in-browser JS tests in headless Debian Chromium via playwright-core.
//
//   node tests/js/run.mjs                 # opens tests/js/index.html
//   node tests/js/run.mjs www/some.html   # opens another page (repo-root relative)
//
// Requests to /api/... are answered by the in-memory test API in
// tests/server/api.mjs (same origin as the page, so no CORS).
//
// The page must eventually set `window.__results = { passed, failed, results }`
// (tests/js/harness.mjs does this). Results are written to tests/js/out/results.json.
// Exit code: 0 when every test passed, 1 on any failure, timeout or crash.
//
// Environment:
//   CHROMIUM_PATH   browser binary (default /usr/bin/chromium)
//   JS_TEST_TIMEOUT overall timeout in ms waiting for results (default 120000)

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { createApi } from '../server/api.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const outDir = path.join(here, 'out');
const outFile = path.join(outDir, 'results.json');

const TIMEOUT_MS = Number(process.env.JS_TEST_TIMEOUT || 120_000);

const pageArg = process.argv[2] || 'tests/js/index.html';
const pagePath = pageArg.replace(/^\/+/, '');

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  console.error(`js tests: cannot load playwright-core (${err.message}); run \`npm ci\` at the repo root (scripts/setup.sh does this)`);
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`js tests: browser not found at ${CHROMIUM}; install Debian's chromium (scripts/setup.sh) or set CHROMIUM_PATH`);
  process.exit(1);
}

let server;
let context;
let userDataDir;
let exitCode = 1;

async function cleanup() {
  try { await context?.close(); } catch { /* ignore */ }
  try { await server?.close(); } catch { /* ignore */ }
  if (userDataDir) {
    try { await rm(userDataDir, { recursive: true, force: true }); } catch { /* ignore */ }
  }
}

async function writeResults(payload) {
  await mkdir(outDir, { recursive: true });
  await writeFile(outFile, JSON.stringify(payload, null, 2) + '\n');
}

try {
  // Same-origin test API under /api/ (tests/server/api.mjs); everything else is static.
  // /_pkg/<variant>/<file>: pkg/<file> with the wasm served wrong (for the loading tests in
  // cases.mjs): `missing` answers 404, `octet` serves it as application/octet-stream.
  const api = createApi().handle;
  const variants = async (req, res) => {
    const m = /^\/_pkg\/(missing|octet)\/([\w.]+)$/.exec(new URL(req.url, 'http://x').pathname);
    if (!m) return api(req, res);
    const file = path.join(repoRoot, 'pkg', m[2]);
    const wasm = m[2] === 'strata_wasm_bg.wasm';
    if (!existsSync(file) || (wasm && m[1] === 'missing')) {
      res.writeHead(404, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
      res.end('not found\n');
      return true;
    }
    const type = wasm ? 'application/octet-stream' : m[2].endsWith('.js') ? 'text/javascript' : 'application/json';
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
    res.end(await readFile(file));
    return true;
  };
  variants.upgrade = api.upgrade;
  server = await startStaticServer({ root: repoRoot, port: 0, handler: variants });
  const url = `${server.url}/${pagePath}`;
  console.log(`js tests: opening ${url}`);

  userDataDir = await mkdtemp(path.join(os.tmpdir(), 'strata-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // Lets tests take the browser really offline (navigator.onLine false, offline/online events).
  await page.exposeFunction('__setOffline', (offline) => context.setOffline(Boolean(offline)));

  page.on('console', (msg) => {
    console.log(`[browser ${msg.type()}] ${msg.text()}`);
  });
  page.on('pageerror', (err) => {
    console.log(`[browser pageerror] ${err.stack || err.message || err}`);
  });
  page.on('requestfailed', (req) => {
    console.log(`[browser requestfailed] ${req.url()}: ${req.failure()?.errorText ?? 'unknown error'}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) console.log(`[browser http ${res.status()}] ${res.url()}`);
  });
  page.on('crash', () => console.log('[browser crash] page crashed'));

  const started = Date.now();
  const response = await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
  if (!response || !response.ok()) {
    throw new Error(`failed to load ${url}: HTTP ${response ? response.status() : 'no response'}`);
  }

  const remaining = Math.max(1_000, TIMEOUT_MS - (Date.now() - started));
  try {
    await page.waitForFunction(() => window.__results !== undefined, null, { timeout: remaining, polling: 100 });
  } catch (err) {
    throw new Error(`timed out after ${TIMEOUT_MS} ms waiting for window.__results (${err.message.split('\n')[0]})`);
  }
  const summary = await page.evaluate(() => window.__results);

  const results = Array.isArray(summary?.results) ? summary.results : [];
  for (const r of results) {
    if (r.ok) {
      console.log(`ok - ${r.name}`);
    } else {
      const err = String(r.error ?? 'unknown error').replace(/\n/g, '\n    ');
      console.log(`not ok - ${r.name}: ${err}`);
    }
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`js tests: ${passed} passed, ${failed} failed`);

  await writeResults({ page: pagePath, passed, failed, results, durationMs: Date.now() - started });

  if (results.length === 0) {
    console.log('js tests: FAILED (no tests were run)');
  } else if (failed === 0) {
    exitCode = 0;
  }
} catch (err) {
  console.log(`js tests: ERROR: ${err?.message ?? err}`);
  console.log('js tests: 0 passed, 1 failed');
  try {
    await writeResults({ page: pagePath, passed: 0, failed: 1, error: String(err?.message ?? err), results: [] });
  } catch { /* ignore */ }
  exitCode = 1;
} finally {
  await cleanup();
}

process.exit(exitCode);
