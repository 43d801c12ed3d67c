#!/usr/bin/env node
// The demo server: the team tasks API (www/server/api.mjs) under /api (with its push endpoints,
// SSE at /api/events and a WebSocket at /api/ws) and the built demo page (www/demo/dist, made by
// `node www/demo/prepare.mjs`) everywhere else, on one origin.
//
//   node www/server/main.mjs [--port 8080] [--host 127.0.0.1] [--data FILE] [--static DIR]
//
// PORT and HOST in the environment work too. --data defaults to www/server/data/db.json (not
// committed; delete it, or POST /api/_control/reset, to start again from the seed data).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { createDemoApi } from './api.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Starts the API and the static page. Returns { url, port, api, close }.
 * `staticDir` must exist (it is where `vite build` wrote the demo).
 */
export async function startDemoServer({ port = 8080, host = '127.0.0.1', dataFile = path.join(here, 'data', 'db.json'), staticDir = path.join(here, '..', 'demo', 'dist') } = {}) {
  if (!existsSync(path.join(staticDir, 'index.html'))) {
    throw new Error(`${staticDir}/index.html is missing: build the demo page first (node www/demo/prepare.mjs, or ./scripts/demo.sh)`);
  }
  const api = createDemoApi({ dataFile });
  const handler = (req, res) => {
    if (api.handle(req, res)) return true;
    // The README once pointed at /www/; the page lives at / now.
    if (req.url === '/www' || req.url === '/www/') {
      res.writeHead(302, { Location: '/' });
      res.end();
      return true;
    }
    return false;
  };
  // api.upgrade takes the WebSocket push endpoint (/api/ws); close() ends the push streams first.
  const server = await startStaticServer({ root: staticDir, port, host, handler, upgrade: api.upgrade });
  const close = () => {
    api.close();
    return server.close();
  };
  return { ...server, close, api };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
  };
  const port = Number(opt('port', process.env.PORT || 8080));
  const host = opt('host', process.env.HOST || '127.0.0.1');
  const dataFile = path.resolve(opt('data', path.join(here, 'data', 'db.json')));
  const staticDir = path.resolve(opt('static', path.join(here, '..', 'demo', 'dist')));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`bad port: ${port}`);
    process.exit(2);
  }
  let server;
  try {
    server = await startDemoServer({ port, host, dataFile, staticDir });
  } catch (e) {
    console.error(`demo server: ${e.message}${e.code === 'EADDRINUSE' ? ` (another program uses port ${port}: PORT=9000 ./scripts/demo.sh picks another)` : ''}`);
    process.exit(1);
  }
  console.log(`demo server: API data in ${path.relative(process.cwd(), dataFile) || dataFile}`);
  console.log(`\n  strata demo: open ${server.url}/   (Ctrl-C to stop)\n`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
