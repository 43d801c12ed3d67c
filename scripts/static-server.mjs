#!/usr/bin/env node
// Tiny dependency-free static file server used by the JS test runner and the demo.
//
// Module use:
//   import { startStaticServer } from './scripts/static-server.mjs';
//   const { url, port, close } = await startStaticServer({ root: '.', port: 0 });
//   // Optional `handler(req, res)`: called first for every request; when it
//   // returns true (or a promise of true) it has answered and static handling
//   // is skipped (tests/js/run.mjs mounts tests/server/api.mjs this way).
//   // Optional `upgrade(req, socket, head)`: called for every HTTP upgrade request
//   // (WebSocket); it returns true when it took the socket. Without it, a handler
//   // function with an `upgrade` property (tests/server/api.mjs sets
//   // `handle.upgrade`) gives it. Upgrades nobody takes get a 404 and a closed socket;
//   // with neither, upgrade requests are ordinary requests (Node's default).
//   // close() also kills upgraded sockets and open streams.
//
// CLI use:
//   node scripts/static-server.mjs <root> <port> [host]
//
// - Correct MIME types (notably .wasm -> application/wasm so that
//   WebAssembly.instantiateStreaming works).
// - Directories serve their index.html (redirecting `/dir` -> `/dir/` first so
//   relative URLs inside the page resolve correctly).
// - Path traversal safe: any request resolving outside `root` gets 403.
// - Never cached: every response carries `Cache-Control: no-store`.

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

function mimeFor(file) {
  return MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function isInside(root, candidate) {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const BASE_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

function sendText(res, status, text, extra = {}) {
  res.writeHead(status, {
    ...BASE_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

async function statOrNull(p) {
  try {
    return await stat(p);
  } catch {
    return null;
  }
}

/**
 * Start a static file server.
 * @param {{ root: string, port?: number, host?: string,
 *           handler?: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => boolean | Promise<boolean>,
 *           upgrade?: (req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => boolean }} options
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export async function startStaticServer({ root, port = 0, host = '127.0.0.1', handler, upgrade } = {}) {
  if (!root) throw new Error('startStaticServer: `root` is required');
  if (handler != null && typeof handler !== 'function') throw new TypeError('startStaticServer: `handler` must be a function');
  if (upgrade != null && typeof upgrade !== 'function') throw new TypeError('startStaticServer: `upgrade` must be a function');
  const onUpgrade = upgrade ?? (typeof handler?.upgrade === 'function' ? handler.upgrade : null);
  const rootDir = await realpath(path.resolve(root));

  const server = createServer(async (req, res) => {
    try {
      if (handler && (await handler(req, res)) === true) return;

      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
        return;
      }

      let pathname;
      try {
        pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
      } catch {
        sendText(res, 400, 'Bad Request\n');
        return;
      }
      if (pathname.includes('\0')) {
        sendText(res, 400, 'Bad Request\n');
        return;
      }

      // Lexical check first, then a realpath check so symlinks cannot escape root.
      let filePath = path.resolve(rootDir, '.' + path.posix.normalize('/' + pathname));
      if (!isInside(rootDir, filePath)) {
        sendText(res, 403, 'Forbidden\n');
        return;
      }

      let st = await statOrNull(filePath);
      if (st?.isDirectory()) {
        if (!pathname.endsWith('/')) {
          const u = new URL(req.url, 'http://localhost');
          res.writeHead(301, { ...BASE_HEADERS, Location: u.pathname + '/' + u.search });
          res.end();
          return;
        }
        filePath = path.join(filePath, 'index.html');
        st = await statOrNull(filePath);
      }
      if (!st || !st.isFile()) {
        sendText(res, 404, `Not Found: ${pathname}\n`);
        return;
      }

      const real = await realpath(filePath);
      if (!isInside(rootDir, real)) {
        sendText(res, 403, 'Forbidden\n');
        return;
      }

      res.writeHead(200, {
        ...BASE_HEADERS,
        'Content-Type': mimeFor(real),
        'Content-Length': st.size,
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const stream = createReadStream(real);
      stream.on('error', (err) => res.destroy(err));
      stream.pipe(res);
    } catch (err) {
      if (!res.headersSent) sendText(res, 500, `Internal Server Error: ${err?.message ?? err}\n`);
      else res.destroy(err);
    }
  });

  if (onUpgrade) {
    server.on('upgrade', (req, socket, head) => {
      let taken = false;
      try {
        taken = onUpgrade(req, socket, head) === true;
      } catch (err) {
        console.error('static-server: upgrade handler failed:', err);
      }
      if (!taken && !socket.destroyed) {
        socket.on('error', () => {});
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
      }
    });
  }

  // Track sockets so close() does not hang on keep-alive connections (upgraded ones too).
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const actualPort = server.address().port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
        for (const s of sockets) s.destroy();
      }),
  };
}

// CLI entry point.
const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const [rootArg = '.', portArg = '8080', hostArg = '127.0.0.1'] = process.argv.slice(2);
  const portNum = Number(portArg);
  if (!Number.isInteger(portNum) || portNum < 0 || portNum > 65535) {
    console.error(`usage: node scripts/static-server.mjs <root> <port> [host]  (bad port: ${portArg})`);
    process.exit(2);
  }
  const srv = await startStaticServer({ root: rootArg, port: portNum, host: hostArg });
  console.log(`serving ${path.resolve(rootArg)} at ${srv.url}/`);
  const stop = async () => {
    await srv.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
