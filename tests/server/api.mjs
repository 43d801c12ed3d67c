// In-memory test HTTP API, mounted on the same origin as the JS test page
// (tests/js/run.mjs passes `createApi().handle` to scripts/static-server.mjs).
//
//   import { createApi } from './tests/server/api.mjs';
//   const api = createApi();
//   await startStaticServer({ root: '.', handler: api.handle });
//
// `handle(req, res)` returns true (synchronously) for every request whose path
// is `/api` or starts with `/api/`, and answers it; for anything else it returns
// false without touching `res`. `reset()` is the same as `POST /api/_reset`.
//
// Control endpoints (never counted, never logged, never matched by fixtures):
//   POST /api/_set?path=P      body: JSON  -> replaces the built-in data served for P
//   POST /api/_fixture         body: fixture (see below), or an array of them
//   GET  /api/_count?path=P    -> { path, count }   (no `path`: { counts: { [path]: n } })
//   GET  /api/_log[?path=P]    -> [{ method, path, query, headers, body, at }, ...]
//   POST /api/_reset           -> clears fixtures, counters, log and _set data
//
// Every other /api request is counted (key: path without query string) and logged
// as soon as its request body has been read, before any delay, fixture or destroy,
// then answered by, in order: the path's fixture (while it has `times` left, then
// its `then` chain), the built-in data (GET/HEAD; `/api/todos` or anything set with
// `_set`), else 404 `{ "error": "no fixture" }`.
//
// Fixture: { path, status = 200, headers = {}, delayMs = 0, times = Infinity (null/omitted),
//            then = <fixture without path> | null, destroy = false,
//            and at most one body source:
//              body: string              sent as is (default Content-Type text/plain)
//              json: any                 JSON-encoded (default Content-Type application/json)
//              bodyRepeat: { prefix = '', item, count, separator = '', suffix = '' }
//                                        built server-side (default Content-Type application/json) }
// 204/205/304 statuses never carry a body. `destroy: true` kills the connection
// (after `delayMs`) without an HTTP response: fetch() rejects with a TypeError
// (Chromium: net::ERR_INVALID_HTTP_RESPONSE). It writes one non-HTTP byte before
// closing, because on a bare close of a reused keep-alive socket Chromium silently
// retries the request (the page would get the next answer, and count 2 requests).
//
// All /api responses carry `Cache-Control: no-store` (fixture headers cannot override it).

const CONTROL = new Set(['/api/_set', '/api/_fixture', '/api/_count', '/api/_log', '/api/_reset']);
const MAX_REQUEST_BODY = 16 * 1024 * 1024;
const MAX_GENERATED_BODY = 256 * 1024 * 1024;
const NO_BODY_STATUSES = new Set([204, 205, 304]);

const seedData = () =>
  new Map([
    [
      '/api/todos',
      [
        { id: 1, title: 'a', assignee: { id: 'u1', name: 'Ann' } },
        { id: 2, title: 'b', assignee: { id: 'u2', name: 'Bo' } },
      ],
    ],
  ]);

class BadRequest extends Error {}

/** Path without query string, encoded exactly as a request's URL would be. */
function normalizePath(p) {
  if (typeof p !== 'string' || !p.startsWith('/')) throw new BadRequest(`path must be a string starting with "/" (got ${JSON.stringify(p)})`);
  const pathname = new URL(p, 'http://localhost').pathname;
  if (!isApiPath(pathname)) throw new BadRequest(`path must be under /api/ (got ${JSON.stringify(p)})`);
  if (CONTROL.has(pathname)) throw new BadRequest(`path ${pathname} is a control endpoint`);
  return pathname;
}

function isApiPath(pathname) {
  return pathname === '/api' || pathname.startsWith('/api/');
}

function compileBody(spec, where) {
  const sources = ['body', 'json', 'bodyRepeat'].filter((k) => spec[k] !== undefined);
  if (sources.length > 1) throw new BadRequest(`${where}: give at most one of body, json, bodyRepeat (got ${sources.join(', ')})`);
  if (spec.body !== undefined) {
    if (typeof spec.body !== 'string') throw new BadRequest(`${where}: body must be a string (use json for values)`);
    return { data: Buffer.from(spec.body), contentType: 'text/plain; charset=utf-8' };
  }
  if (spec.json !== undefined) {
    return { data: Buffer.from(JSON.stringify(spec.json)), contentType: 'application/json; charset=utf-8' };
  }
  if (spec.bodyRepeat !== undefined) {
    const r = spec.bodyRepeat;
    if (!r || typeof r !== 'object') throw new BadRequest(`${where}: bodyRepeat must be an object`);
    const { prefix = '', item, count, separator = '', suffix = '' } = r;
    for (const [k, v] of Object.entries({ prefix, item, separator, suffix })) {
      if (typeof v !== 'string') throw new BadRequest(`${where}: bodyRepeat.${k} must be a string`);
    }
    if (!Number.isInteger(count) || count < 0) throw new BadRequest(`${where}: bodyRepeat.count must be a non-negative integer`);
    const size =
      Buffer.byteLength(prefix) + Buffer.byteLength(suffix) +
      count * Buffer.byteLength(item) + Math.max(0, count - 1) * Buffer.byteLength(separator);
    if (size > MAX_GENERATED_BODY) throw new BadRequest(`${where}: bodyRepeat would generate ${size} bytes (max ${MAX_GENERATED_BODY})`);
    const data = Buffer.allocUnsafe(size);
    let off = data.write(prefix, 0);
    for (let i = 0; i < count; i++) {
      if (i > 0 && separator) off += data.write(separator, off);
      off += data.write(item, off);
    }
    data.write(suffix, off);
    return { data, contentType: 'application/json; charset=utf-8' };
  }
  return { data: Buffer.alloc(0), contentType: null };
}

/** Validate a fixture from a request body into its internal form (a linked list via `then`). */
function compileFixture(spec, where = 'fixture', depth = 0) {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw new BadRequest(`${where} must be an object`);
  if (depth > 100) throw new BadRequest(`${where}: then chain too deep`);
  const status = spec.status ?? 200;
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new BadRequest(`${where}: bad status ${JSON.stringify(spec.status)}`);
  const times = spec.times ?? Infinity;
  if (times !== Infinity && (!Number.isInteger(times) || times < 0)) throw new BadRequest(`${where}: times must be a non-negative integer or null`);
  const delayMs = spec.delayMs ?? 0;
  if (typeof delayMs !== 'number' || !(delayMs >= 0)) throw new BadRequest(`${where}: delayMs must be a non-negative number`);
  const headers = {};
  if (spec.headers != null) {
    if (typeof spec.headers !== 'object' || Array.isArray(spec.headers)) throw new BadRequest(`${where}: headers must be an object`);
    for (const [k, v] of Object.entries(spec.headers)) headers[k.toLowerCase()] = String(v);
  }
  const { data, contentType } = compileBody(spec, where);
  if (contentType && !NO_BODY_STATUSES.has(status) && !('content-type' in headers)) headers['content-type'] = contentType;
  return {
    status,
    headers,
    data: NO_BODY_STATUSES.has(status) ? Buffer.alloc(0) : data,
    delayMs,
    destroy: Boolean(spec.destroy),
    remaining: times,
    then: spec.then == null ? null : compileFixture(spec.then, `${where}.then`, depth + 1),
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_REQUEST_BODY) {
        reject(new BadRequest(`request body over ${MAX_REQUEST_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequest(`${what} is not valid JSON: ${err.message}`);
  }
}

function send(res, status, headers, data) {
  if (res.destroyed || res.writableEnded) return;
  const h = { ...headers, 'cache-control': 'no-store' };
  if (!NO_BODY_STATUSES.has(status)) h['content-length'] = String(data.length);
  res.writeHead(status, h);
  res.end(NO_BODY_STATUSES.has(status) ? undefined : data);
}

function sendJson(res, status, value) {
  send(res, status, { 'content-type': 'application/json; charset=utf-8' }, Buffer.from(JSON.stringify(value)));
}

export function createApi() {
  let fixtures = new Map(); // path -> compiled fixture (head of its `then` chain)
  let data = seedData(); // path -> JSON value served by the built-in handler
  let counts = new Map(); // path -> number
  let log = [];

  function reset() {
    fixtures = new Map();
    data = seedData();
    counts = new Map();
    log = [];
  }

  /** Take the fixture answering the next request to `path` (consuming one of its `times`). */
  function takeFixture(path) {
    let f = fixtures.get(path) ?? null;
    while (f && f.remaining <= 0) f = f.then;
    if (f) {
      f.remaining -= 1;
      fixtures.set(path, f);
    } else {
      fixtures.delete(path);
    }
    return f;
  }

  function control(pathname, url, req, body, res) {
    const method = req.method;
    const expect = (m) => {
      if (method !== m) throw Object.assign(new BadRequest(`${pathname} expects ${m}, got ${method}`), { status: 405 });
    };
    switch (pathname) {
      case '/api/_set': {
        expect('POST');
        const p = normalizePath(url.searchParams.get('path') ?? '');
        data.set(p, parseJson(body, '_set body'));
        return sendJson(res, 200, { ok: true, path: p });
      }
      case '/api/_fixture': {
        expect('POST');
        const parsed = parseJson(body, '_fixture body');
        const list = Array.isArray(parsed) ? parsed : [parsed];
        // Validate everything before installing anything.
        const compiled = list.map((spec, i) => {
          const where = Array.isArray(parsed) ? `fixture[${i}]` : 'fixture';
          if (!spec || typeof spec !== 'object') throw new BadRequest(`${where} must be an object`);
          return [normalizePath(spec.path), compileFixture(spec, where)];
        });
        for (const [p, f] of compiled) fixtures.set(p, f);
        const paths = compiled.map(([p]) => p);
        return sendJson(res, 200, Array.isArray(parsed) ? { ok: true, paths } : { ok: true, path: paths[0] });
      }
      case '/api/_count': {
        expect('GET');
        const raw = url.searchParams.get('path');
        if (raw === null) return sendJson(res, 200, { counts: Object.fromEntries(counts) });
        const p = normalizePath(raw);
        return sendJson(res, 200, { path: p, count: counts.get(p) ?? 0 });
      }
      case '/api/_log': {
        expect('GET');
        const raw = url.searchParams.get('path');
        const p = raw === null ? null : normalizePath(raw);
        return sendJson(res, 200, p === null ? log : log.filter((e) => e.path === p));
      }
      case '/api/_reset': {
        expect('POST');
        reset();
        return sendJson(res, 200, { ok: true });
      }
    }
  }

  function answer(f, req, res, pathname) {
    if (f) {
      const go = () => {
        if (f.destroy) {
          // Not a bare destroy(): Chromium silently re-sends a request whose reused
          // keep-alive socket closes with no bytes (ERR_EMPTY_RESPONSE/RESET), so the
          // page would see the *next* answer and the count would be 2. One non-HTTP
          // byte then close gives ERR_INVALID_HTTP_RESPONSE, which is never retried.
          const socket = req.socket;
          if (socket.destroyed) return;
          socket.end('x', () => socket.destroy());
          return;
        }
        send(res, f.status, f.headers, f.data);
      };
      if (f.delayMs > 0) {
        const timer = setTimeout(go, f.delayMs);
        res.on('close', () => clearTimeout(timer)); // client gave up: nothing to answer
      } else {
        go();
      }
      return;
    }
    if (data.has(pathname)) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, { 'content-type': 'application/json; charset=utf-8', allow: 'GET, HEAD' },
          Buffer.from(JSON.stringify({ error: 'method not allowed' })));
        return;
      }
      return sendJson(res, 200, data.get(pathname));
    }
    return sendJson(res, 404, { error: 'no fixture' });
  }

  async function processRequest(req, res, url) {
    const pathname = url.pathname;
    const body = await readBody(req);
    if (CONTROL.has(pathname)) return control(pathname, url, req, body, res);

    counts.set(pathname, (counts.get(pathname) ?? 0) + 1);
    log.push({
      method: req.method,
      path: pathname,
      query: Object.fromEntries(url.searchParams),
      headers: {
        'x-test': req.headers['x-test'] ?? null,
        authorization: req.headers.authorization ?? null,
      },
      body: body === '' ? null : body,
      at: Date.now(),
    });
    answer(takeFixture(pathname), req, res, pathname);
  }

  function handle(req, res) {
    let url;
    try {
      url = new URL(req.url, 'http://localhost');
    } catch {
      return false;
    }
    if (!isApiPath(url.pathname)) return false;
    processRequest(req, res, url).catch((err) => {
      if (err instanceof BadRequest) sendJson(res, err.status ?? 400, { error: err.message });
      else if (!res.headersSent) sendJson(res, 500, { error: String(err?.stack ?? err) });
      else res.destroy();
    });
    return true;
  }

  return { handle, reset };
}
