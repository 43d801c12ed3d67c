#!/usr/bin/env node
// The README's quick start, followed as a new user would (a stage of scripts/test.sh; needs pkg/).
// Summary line: `quickstart tests: N passed, M failed`.
//
//   1. The app is Vite's React template (create-vite 9.3.0's index.html and dependencies, pinned in
//      package.json + package-lock.json here) with the four files the README's "Quick start" shows,
//      taken from README.md as they are (each fenced block after a `<!-- quickstart: FILE -->`
//      line). The one change: the proxy target `http://localhost:3000` becomes this run's API.
//   2. `npm install strata-store` is `npm install --no-save <the npm pack of pkg/>`.
//   3. `vite build` must succeed; then the README's `npm run dev` (the Vite dev server with its
//      /api proxy) is driven in Chromium against a small todos API (below): the list loads, a
//      toggle shows at once and is sent once with an Idempotency-Key, an add gets the server's id,
//      and a refused write is listed by the SyncIssues component across a reload until Discard.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.mjs';
import { assertEqual as eq, bin as appBin, createResults, freePort, installApp, packPkg, repoRoot, sh as run } from '../app-runner.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const appDir = here;
const TIMEOUT = 30_000;

// No results.json here; a failed check shows its stack.
const { record, check, finish } = createResults('quickstart', null, { stack: true });
// Commands run in the app and echo only their duration.
const sh = (cmd, args, { env = {} } = {}) => run(cmd, args, { cwd: appDir, env, quiet: true });
const bin = (name) => appBin(appDir, name);

// ---- the todos API the quick start talks to ----------------------------------------------------

function todosApi() {
  let todos = [
    { id: 1, title: 'Read the README', done: true },
    { id: 2, title: 'Install strata-store', done: false },
    { id: 3, title: 'Ship it', done: false },
  ];
  let next = 4;
  let refuse = false; // PATCH answers 422 while set
  const log = [];
  const seen = new Map(); // Idempotency-Key -> first answer
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url, 'http://x');
    const key = req.headers['idempotency-key'] ?? null;
    log.push({ method: req.method, path: url.pathname, key });
    const send = (status, value) => {
      const text = JSON.stringify(value);
      if (key && req.method !== 'GET') seen.set(key, { status, text });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };
    if (key && seen.has(key)) {
      const { status, text } = seen.get(key);
      res.writeHead(status, { 'content-type': 'application/json' });
      return res.end(text);
    }
    const m = /^\/api\/todos(?:\/(\d+))?$/.exec(url.pathname);
    if (req.method === 'GET' && m && !m[1]) return send(200, todos);
    if (req.method === 'POST' && m && !m[1]) {
      const todo = { ...JSON.parse(body), id: next++ };
      todos = [...todos, todo];
      return send(201, todo);
    }
    if (req.method === 'PATCH' && m && m[1]) {
      const id = Number(m[1]);
      if (refuse) return send(422, { message: 'refused by the test' });
      const old = todos.find((t) => t.id === id);
      if (!old) return send(404, { message: 'no such todo' });
      const todo = { ...old, ...JSON.parse(body), id };
      todos = todos.map((t) => (t.id === id ? todo : t));
      return send(200, todo);
    }
    send(404, { message: 'not found' });
  });
  return {
    server,
    log,
    todos: () => todos,
    refuse: (v) => {
      refuse = v;
    },
  };
}

// ---- 1. the app from the README ------------------------------------------------------------------

let tarball;
const made = await check('README quick start: its four files, in Vite\'s React template', () => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/<!-- quickstart: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)];
  eq(blocks.map((b) => b[1]), ['vite.config.js', 'src/main.jsx', 'src/App.jsx', 'src/SyncIssues.jsx'], 'quick start files in README.md');
  if (!readme.includes('npm install strata-store')) throw new Error('the README does not say `npm install strata-store`');
  rmSync(path.join(appDir, 'src'), { recursive: true, force: true });
  mkdirSync(path.join(appDir, 'src'), { recursive: true });
  // create-vite 9.3.0 template-react/index.html (its favicon is left out: the page would 404 it).
  writeFileSync(
    path.join(appDir, 'index.html'),
    '<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8" />\n    <meta name="viewport" content="width=device-width, initial-scale=1.0" />\n    <title>Vite + React</title>\n  </head>\n  <body>\n    <div id="root"></div>\n    <script type="module" src="/src/main.jsx"></script>\n  </body>\n</html>\n',
  );
  for (const [, file, text] of blocks) writeFileSync(path.join(appDir, file), `${text}\n`);
  const packDir = path.join(appDir, '.pack');
  rmSync(packDir, { recursive: true, force: true });
  ({ tarball } = packPkg(packDir, { cwd: appDir }));
});
if (!made) finish();

const installed = await check('npm install (the template\'s dependencies) and `npm install strata-store` (the packed tarball)', () => {
  installApp(appDir, tarball, { needs: [bin('vite')], marker: null, say: null, shOptions: { quiet: true } });
});
if (!installed) finish();

const api = todosApi();
await new Promise((resolve) => api.server.listen(0, '127.0.0.1', resolve));
const apiOrigin = `http://127.0.0.1:${api.server.address().port}`;
{
  const config = path.join(appDir, 'vite.config.js');
  const text = readFileSync(config, 'utf8');
  if (!text.includes("'http://localhost:3000'")) record('vite.config.js proxies /api to http://localhost:3000', false, text);
  writeFileSync(config, text.replace("'http://localhost:3000'", JSON.stringify(apiOrigin)));
}

await check('npm run build (vite build) of the quick start', () => {
  sh(bin('vite'), ['build', '--logLevel', 'warn'], { env: { NODE_ENV: 'production' } });
  if (!existsSync(path.join(appDir, 'dist', 'index.html'))) throw new Error('vite build wrote no dist/index.html');
});

// ---- 2. npm run dev, in Chromium -------------------------------------------------------------------

const port = await freePort();
const dev = spawn(bin('vite'), ['--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: appDir, env: { ...process.env, NODE_ENV: 'development' }, stdio: ['ignore', 'pipe', 'pipe'] });
let devOutput = '';
dev.stdout.on('data', (d) => (devOutput += d));
dev.stderr.on('data', (d) => (devOutput += d));
const origin = `http://127.0.0.1:${port}`;
const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'strata-quickstart-'));
let context;
const problems = [];
try {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const up = await fetch(origin).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline || dev.exitCode !== null) throw new Error(`the Vite dev server did not start:\n${devOutput}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const { chromium } = await import('playwright-core');
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  const rows = () => page.$$eval('li', (lis) => lis.map((li) => `${li.querySelector('input').checked ? 'x' : ' '} ${li.textContent.trim()}`));
  const until = (fn, what) => page.waitForFunction(fn, null, { timeout: TIMEOUT }).catch((e) => {
    throw new Error(`${what}: ${e.message}`);
  });

  await check('npm run dev: the list loads through the /api proxy (useQuery)', async () => {
    await page.goto(origin, { waitUntil: 'load' });
    await until(() => document.querySelectorAll('li').length === 3, 'three todos');
    eq(await rows(), ['x Read the README', '  Install strata-store', '  Ship it'], 'rows');
    eq(api.log.filter((r) => r.method === 'GET').length, 1, 'GETs of /api/todos');
  });

  await check('a toggle shows at once and is sent once, with an Idempotency-Key', async () => {
    await page.click('li:nth-child(2) input');
    await until(() => document.querySelector('li:nth-child(2) input').checked, 'the optimistic toggle');
    await until(() => !/waiting/.test(document.querySelector('aside').textContent), 'the outbox drains');
    const patches = api.log.filter((r) => r.method === 'PATCH');
    eq(patches.length, 1, 'PATCH requests');
    if (!patches[0].key) throw new Error('the PATCH had no Idempotency-Key');
    eq(api.todos()[1].done, true, 'the server saw the toggle');
  });

  await check('an add shows at once and takes the server\'s id', async () => {
    await page.fill('input[placeholder="New todo"]', 'Tell the team');
    await page.press('input[placeholder="New todo"]', 'Enter');
    await until(() => document.querySelectorAll('li').length === 4, 'the optimistic insert');
    await until(() => !/waiting/.test(document.querySelector('aside').textContent), 'the outbox drains');
    eq(api.todos().at(-1), { title: 'Tell the team', done: false, id: 4 }, 'the server\'s todo');
    eq((await rows()).at(-1), '  Tell the team', 'the new row');
  });

  await check('a refused write is listed by SyncIssues, after a reload too, until Discard', async () => {
    api.refuse(true);
    await page.click('li:nth-child(3) input');
    await until(() => document.querySelectorAll('[role="alert"]').length === 1, 'the failed mutation listed');
    await until(() => !document.querySelector('li:nth-child(3) input').checked, 'its optimistic change rolled back');
    const alert = await page.textContent('[role="alert"]');
    if (!/PATCH \/api\/todos\/3/.test(alert)) throw new Error(`the alert names the request: ${alert}`);
    await page.reload({ waitUntil: 'load' });
    await until(() => document.querySelectorAll('[role="alert"]').length === 1, 'still listed after the reload');
    await page.click('[role="alert"] button:text("Discard")');
    await until(() => document.querySelectorAll('[role="alert"]').length === 0, 'gone after Discard');
    api.refuse(false);
    eq(await rows(), ['x Read the README', 'x Install strata-store', '  Ship it', '  Tell the team'], 'rows after the reload');
  });

  await check('no errors or warnings in the console', () => {
    // Expected: the browser's own /favicon.ico (the template's favicon is left out) and the refused PATCH.
    const other = problems.filter((p) => !/Failed to load resource: .*status of (404 .*\/favicon\.ico\)|422 .*\/api\/todos\/3\))$/.test(p));
    if (other.length) throw new Error(other.join('\n'));
  });
} catch (e) {
  record('npm run dev in Chromium', false, e.stack || e.message);
} finally {
  await context?.close().catch(() => {});
  dev.kill();
  api.server.close();
  await rm(userDataDir, { recursive: true, force: true });
}
finish();
