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

// A server on another port: another origin than the test page. /closed/* answers without any
// CORS header (the browser refuses to give the page the answer: fetch rejects); /open/* sends the
// CORS headers README.md "Bundlers, cross-origin servers and CSP" tells servers to send, and /open/_log lists what it received.
async function startCrossOrigin() {
  const { createServer } = await import('node:http');
  const log = [];
  const srv = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const open = pathname.startsWith('/open/');
      const cors = open
        ? {
            'Access-Control-Allow-Origin': req.headers.origin ?? '*',
            'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE',
            'Access-Control-Allow-Headers': 'Content-Type, Idempotency-Key, If-Match, X-Tenant',
            'Access-Control-Expose-Headers': 'Retry-After',
            'Access-Control-Max-Age': '600',
          }
        : {};
      if (req.method === 'OPTIONS') {
        res.writeHead(204, cors);
        res.end();
        return;
      }
      if (pathname === '/open/_log') {
        res.writeHead(200, { ...cors, 'Content-Type': 'application/json' });
        res.end(JSON.stringify(log));
        return;
      }
      log.push({ method: req.method, path: pathname, body, idempotencyKey: req.headers['idempotency-key'] ?? null, tenant: req.headers['x-tenant'] ?? null });
      const todo = /\/todos\/(\d+)$/.exec(pathname);
      const json = req.method === 'GET' ? [{ id: 1, title: 'from the other origin' }] : { id: Number(todo?.[1] ?? 0), ...JSON.parse(body || '{}') };
      res.writeHead(200, { ...cors, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(json));
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${srv.address().port}`, close: () => new Promise((r) => { srv.closeAllConnections?.(); srv.close(r); }) };
}

// The package under a strict Content-Security-Policy (tests/js/csp.html): it loads with
// script-src 'self' 'wasm-unsafe-eval'; without 'wasm-unsafe-eval' Chromium refuses to compile the
// wasm and createStore says so (INTERNAL), which is why the README asks for it.
async function cspTests() {
  const out = [];
  const open = async (variant) => {
    const page = await context.newPage();
    page.on('console', (msg) => console.log(`[csp ${variant} ${msg.type()}] ${msg.text()}`));
    try {
      await page.goto(`${server.url}/_csp/${variant}/csp.html`, { waitUntil: 'load', timeout: 60_000 });
      await page.waitForFunction(() => window.__csp !== undefined, null, { timeout: 30_000 });
      return await page.evaluate(() => window.__csp);
    } finally {
      await page.close();
    }
  };
  const one = async (name, fn) => {
    const t = Date.now();
    try {
      await fn();
      out.push({ name, ok: true, ms: Date.now() - t });
    } catch (e) {
      out.push({ name, ok: false, error: e.message, ms: Date.now() - t });
    }
  };
  await one("CSP: under script-src 'self' 'wasm-unsafe-eval' the package loads, fetches and updates (no violation)", async () => {
    const r = await open('strict');
    if (!r.ok) throw new Error(`createStore failed: ${r.code} ${r.message}`);
    if (r.first !== 'Ada' || r.violations.length) throw new Error(JSON.stringify(r));
  });
  await one("CSP: without 'wasm-unsafe-eval' the wasm is refused and createStore rejects with INTERNAL (so the README asks for it)", async () => {
    const r = await open('no-wasm');
    if (r.ok || r.code !== 'INTERNAL' || !/could not load strata_wasm_bg\.wasm/.test(r.message)) throw new Error(JSON.stringify(r));
    if (!/wasm-unsafe-eval|WebAssembly/i.test(r.message + r.violations.join(' '))) throw new Error(`no sign of the CSP: ${JSON.stringify(r)}`);
  });
  return out;
}

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
let cross;
let context;
let userDataDir;
let exitCode = 1;

async function cleanup() {
  try { await context?.close(); } catch { /* ignore */ }
  try { await server?.close(); } catch { /* ignore */ }
  try { await cross?.close(); } catch { /* ignore */ }
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
  // /_csp/<file>: tests/js/<file> with a strict Content-Security-Policy (tests/js/csp.html).
  const withCsp = async (req, res) => {
    const m = /^\/_csp\/(strict|no-wasm)\/([\w.]+)$/.exec(new URL(req.url, 'http://x').pathname);
    if (!m) return variants(req, res);
    const file = path.join(here, m[2]);
    if (!existsSync(file)) return variants(req, res);
    const policy = m[1] === 'strict' ? "script-src 'self' 'wasm-unsafe-eval'" : "script-src 'self'";
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': `default-src 'self'; ${policy}` });
    res.end(await readFile(file));
    return true;
  };
  withCsp.upgrade = api.upgrade;
  server = await startStaticServer({ root: repoRoot, port: 0, handler: withCsp });
  // Another origin (another port) for the CORS tests (tests/js/cors.mjs).
  cross = await startCrossOrigin();
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
  await page.addInitScript((origin) => {
    window.__crossOrigin = origin;
  }, cross.url);
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
  if (pagePath === 'tests/js/index.html') results.push(...(await cspTests()));
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
