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
// `upgrade(req, socket, head)` (also `handle.upgrade`, which scripts/static-server.mjs
// picks up by itself) takes the WebSocket upgrades of `/api/ws` and returns true; for
// any other path it returns false and leaves the socket alone. `close()` ends every
// push stream and WebSocket (the static server's close() kills their sockets anyway).
//
// Control endpoints (never counted, never logged, never matched by fixtures):
//   POST /api/_set?path=P      body: JSON  -> replaces the built-in data served for P
//   POST /api/_fixture         body: fixture (see below), or an array of them
//   GET  /api/_count?path=P    -> { path, count }   (no `path`: { counts: { [path]: n } })
//   GET  /api/_log[?path=P]    -> [{ method, path, query, headers, body, status, replayed, at }, ...]
//   POST /api/_reset           -> clears fixtures, counters, log, _set data, tasks, idempotency keys
//                              and the push hub (see below)
//   POST /api/_edit            body: { id, patch } -> edits a task behind the client's back (see Tasks)
//   GET  /api/_tasks           -> the tasks' server state (array)
//   POST /api/_after           body { times = 1, delayMs = 0, lose = false } -> the next `times`
//                              tasks writes (not replays) are applied at once, then their answer
//                              waits `delayMs` and, with `lose`, never comes (the socket is
//                              killed): "the server applied it but the response was lost"
//   POST /api/_push            body: a push message (object), an array of them, or
//                              { raw: "<text>" } (an object with `raw` and no `type`; the text is
//                              sent verbatim: malformed-message tests) -> each gets the next
//                              event id (set as its `eventId`; a raw text has none inside, only
//                              the SSE `id:` line), is buffered and broadcast -> { eventIds: [..] }
//   POST /api/_events/drop     body { silent = false } -> closes every push stream (SSE response
//                              ended, WebSocket closed 1001); silent: sends nothing more to them
//                              (heartbeats included) and leaves their sockets open (heartbeat-
//                              timeout tests) -> { closed: n }
//   GET  /api/_events/connections -> [{ transport: 'sse' | 'ws', at, url, lastEventId: string | null,
//                              headers: {...all request headers}, open: boolean, refused: boolean }]
//                              (every attempt in order, refused ones too, with open: false)
//   POST /api/_events/heartbeat body { ms } -> heartbeat interval for every stream (0: none;
//                              default 15000), restarting their timers -> { ms }
//   POST /api/_events/refuse   body { on } -> while on, GET /api/events answers 503 and /api/ws
//                              upgrades get a 503 and a closed socket (reconnect backoff tests)
//   (`_reset` also resets the push hub: buffer emptied, event ids restart at 1, streams closed,
//    connection list cleared, heartbeat back to 15000, refuse off.)
//
// Push (real-time) endpoints, served by the push hub the demo API shares (www/server/push-hub.mjs):
// never counted, logged or matched by fixtures; no latency.
//   GET  /api/events           Server-Sent Events: 200, Content-Type: text/event-stream,
//                              Cache-Control: no-store, no Content-Length, headers flushed at once.
//                              Each event is `id: <eventId>\ndata: <one-line JSON>\n\n` (a raw
//                              _push text with line breaks becomes several `data:` lines);
//                              heartbeat: the comment `: ping\n\n` every heartbeat interval.
//                              A `Last-Event-ID` header (else `?lastEventId=N`) first replays every
//                              buffered event with a larger id, then the stream goes live.
//                              Not GET -> 405.
//   GET  /api/ws               WebSocket (a plain HTTP request to it -> 426): one text frame per
//                              message (the same JSON); heartbeat: the text frame
//                              `{"type":"batch","messages":[]}` (a no-op message). `?lastEventId=N`
//                              replays like SSE. Messages from the client are ignored.
//   Event ids: "1", "2", ... (strings of increasing integers) since the last `_reset`; the last
//   1000 events are buffered for replay (an id that is not a whole number replays nothing).
//   Messages (JSON; every one carries `eventId`, and `idempotencyKey` when the write that
//   caused it had an Idempotency-Key header):
//     { type: 'upsert', entity: 'Task', data: <task as GET /api/tasks/:id answers>, eventId, idempotencyKey? }
//     { type: 'delete', entity: 'Task', id: <the task's id>, eventId, idempotencyKey? }
//     (and whatever `_push` sends, e.g. { type: 'invalidate', queryKey } or { type: 'batch', messages })
//   Every applied tasks write broadcasts: POST/PATCH/PUT -> upsert, DELETE -> delete; `_edit`
//   too (upsert, or delete for { delete: true }). An idempotent replay, a rejected write
//   (4xx/409) or a fixture answer broadcasts nothing; an `_after` write broadcasts when it is
//   applied (before its delayed or lost answer).
//
// Every other /api request is counted (key: path without query string) and logged
// as soon as its request body has been read, before any delay, fixture or destroy,
// then answered by, in order: the path's fixture (while it has `times` left, then
// its `then` chain), the tasks resource (`/api/tasks`, `/api/tasks/:id`, see below),
// the built-in data (GET/HEAD; `/api/todos` or anything set with `_set`), else
// 404 `{ "error": "no fixture" }`.
//
// Log entry: { method, path (no query), query: {k: v}, body: string | null (empty),
//   headers: { 'x-test', authorization, 'if-match', 'idempotency-key' } (each string | null),
//   status: number of the answer sent (null until sent, and for `destroy` or a client that
//           gave up during `delayMs`), replayed: true for an idempotent replay, at: ms epoch }
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
//
// Tasks: a versioned REST resource, in memory, restored by `_reset`.
//   Task: { id, title, done, version, assignee: { id, name } | null }
//   Seed: { id: 1, title: 'one',   done: false, version: 1, assignee: { id: 'u1', name: 'Ann' } },
//         { id: 2, title: 'two',   done: false, version: 1, assignee: null },
//         { id: 3, title: 'three', done: false, version: 1, assignee: null }
//   (seed ids are numbers; created ids are strings 't4', 't5', ... never reused until _reset;
//    `:id` in a path matches String(task.id), so /api/tasks/1 and /api/tasks/t4)
//   GET    /api/tasks      -> 200 [task, ...]  (creation order)
//   POST   /api/tasks      body { title, done? = false, assignee? = null, ...other fields kept }
//                          -> 201 task (new id, version 1; a body `id`/`version` is ignored),
//                             headers ETag: "1", Location: /api/tasks/<id>
//   GET    /api/tasks/:id  -> 200 task (ETag: "<version>") | 404 { error }
//   PATCH  /api/tasks/:id  body: partial task -> fields other than id/version are applied,
//                          version + 1 -> 200 task (ETag)
//   PUT    /api/tasks/:id  body { title, done? = false, assignee? = null, ...} -> replaces the
//                          task's fields (keeps id), version + 1 -> 200 task (ETag)
//   DELETE /api/tasks/:id  -> 204 (empty)
//   HEAD is GET without a body; other methods -> 405 { error } with Allow.
//   Validation (POST/PUT/PATCH): body empty (= {}) or a JSON object; title a string (required
//   for POST/PUT), done a boolean, assignee null or { id: string|number, name: string }
//   -> else 400 { error }.
//   Version check (PATCH/PUT/DELETE), after the 404 check: the base version is the
//   `If-Match` header (`"3"`, `W/"3"` or `3`; a comma list matches if any item does; `*`
//   matches anything), or when the header is absent/empty `body.version` (non-null); neither
//   -> unconditional. Base != current version -> 409 (ETag: current version) with body
//     default                             the current task
//     header x-conflict-shape: wrapped    { current: task }
//     header x-conflict-shape: empty      nothing (no Content-Type, Content-Length: 0)
//   Idempotency: a POST/PATCH/PUT/DELETE to a tasks path with an `Idempotency-Key` header
//   stores the tasks resource's answer (any status; status, headers, body) under that key
//   (keys are global, not per path/method). A later mutating tasks request with the same key
//   gets that answer again, changes nothing, and is logged with `replayed: true`. Fixture
//   answers (which win over everything, replays included) are never stored, so "fixture
//   500 once, then the retry with the same key" applies the write once.
//   POST /api/_edit  body { id, patch } -> applies `patch` (not id/version) as PATCH would,
//                    unconditionally, version + 1 -> 200 task; { id, delete: true } removes
//                    the task -> 200 { deleted: task }; 404 { error } if missing.

import { createPushHub, EVENTS_PATH, requestUrl, WS_PATH } from '../../www/server/push-hub.mjs';

const CONTROL = new Set([
  '/api/_set', '/api/_fixture', '/api/_count', '/api/_log', '/api/_reset', '/api/_edit', '/api/_tasks', '/api/_after',
  '/api/_push', '/api/_events/drop', '/api/_events/connections', '/api/_events/heartbeat', '/api/_events/refuse',
]);
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

const seedTasks = () =>
  new Map(
    [
      { id: 1, title: 'one', done: false, version: 1, assignee: { id: 'u1', name: 'Ann' } },
      { id: 2, title: 'two', done: false, version: 1, assignee: null },
      { id: 3, title: 'three', done: false, version: 1, assignee: null },
    ].map((t) => [String(t.id), t]),
  );
const FIRST_CREATED_TASK = 4;
const TASKS_PATH = '/api/tasks';
const MUTATING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
const JSON_TYPE = 'application/json; charset=utf-8';

class BadRequest extends Error {}

/** Path without query string, encoded exactly as a request's URL would be. */
function normalizePath(p) {
  if (typeof p !== 'string' || !p.startsWith('/')) throw new BadRequest(`path must be a string starting with "/" (got ${JSON.stringify(p)})`);
  const pathname = new URL(p, 'http://localhost').pathname;
  if (!isApiPath(pathname)) throw new BadRequest(`path must be under /api/ (got ${JSON.stringify(p)})`);
  if (CONTROL.has(pathname)) throw new BadRequest(`path ${pathname} is a control endpoint`);
  if (pathname === EVENTS_PATH || pathname === WS_PATH) throw new BadRequest(`path ${pathname} is a push endpoint (no fixtures)`);
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

/** Write a response; returns false (writing nothing) when the response is already gone. */
function send(res, status, headers, data) {
  if (res.destroyed || res.writableEnded) return false;
  const h = { ...headers, 'cache-control': 'no-store' };
  if (!NO_BODY_STATUSES.has(status)) h['content-length'] = String(data.length);
  res.writeHead(status, h);
  res.end(NO_BODY_STATUSES.has(status) ? undefined : data);
  return true;
}

function sendJson(res, status, value) {
  return send(res, status, { 'content-type': JSON_TYPE }, Buffer.from(JSON.stringify(value)));
}

// ---- Tasks resource helpers (answers are values { status, headers, data } so they can be stored).

const jsonAnswer = (status, value, extraHeaders = {}) => ({
  status,
  headers: { 'content-type': JSON_TYPE, ...extraHeaders },
  data: Buffer.from(JSON.stringify(value)),
});
const etagOf = (task) => `"${task.version}"`;

/** `/api/tasks` -> { id: null }; `/api/tasks/<id>` -> { id } (decoded); anything else -> null. */
function matchTasks(pathname) {
  if (pathname === TASKS_PATH) return { id: null };
  if (!pathname.startsWith(TASKS_PATH + '/')) return null;
  const rest = pathname.slice(TASKS_PATH.length + 1);
  if (rest === '' || rest.includes('/')) return null;
  try {
    return { id: decodeURIComponent(rest) };
  } catch {
    return null;
  }
}

/** A mutating request's body: empty -> {}, else it must be a JSON object. */
function parseTaskBody(text, where) {
  if (text.trim() === '') return {};
  const v = parseJson(text, `${where} body`);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new BadRequest(`${where} body must be a JSON object`);
  return v;
}

function checkTaskFields(fields, where, { requireTitle = false } = {}) {
  if ('title' in fields ? typeof fields.title !== 'string' : requireTitle) throw new BadRequest(`${where}: title must be a string`);
  if ('done' in fields && typeof fields.done !== 'boolean') throw new BadRequest(`${where}: done must be a boolean`);
  if ('assignee' in fields && fields.assignee !== null) {
    const a = fields.assignee;
    const ok = a && typeof a === 'object' && !Array.isArray(a) &&
      (typeof a.id === 'string' || typeof a.id === 'number') && typeof a.name === 'string';
    if (!ok) throw new BadRequest(`${where}: assignee must be null or { id, name }`);
  }
}

/** Fields a client may write: everything but id and version. */
function writable(fields) {
  const { id: _id, version: _version, ...rest } = fields;
  return rest;
}

/** The client's base version(s): If-Match (`"3"`, `W/"3"`, `3`, lists, `*`), else body.version, else null. */
function baseVersions(req, body) {
  const raw = req.headers['if-match'];
  if (raw != null && raw.trim() !== '') {
    return raw.split(',').map((v) => v.trim().replace(/^W\//i, '').replace(/^"(.*)"$/, '$1'));
  }
  if (body.version != null) return [String(body.version)];
  return null;
}

function conflictAnswer(req, task) {
  const shape = String(req.headers['x-conflict-shape'] ?? '').trim().toLowerCase();
  const etag = etagOf(task);
  if (shape === 'empty') return { status: 409, headers: { etag }, data: Buffer.alloc(0) };
  return jsonAnswer(409, shape === 'wrapped' ? { current: task } : task, { etag });
}

export function createApi() {
  let fixtures = new Map(); // path -> compiled fixture (head of its `then` chain)
  let data = seedData(); // path -> JSON value served by the built-in handler
  let counts = new Map(); // path -> number
  let log = [];
  let tasks = seedTasks(); // String(id) -> task
  let nextTaskId = FIRST_CREATED_TASK;
  let idempotent = new Map(); // Idempotency-Key -> stored answer { status, headers, data }
  let after = { times: 0, delayMs: 0, lose: false }; // see `_after`
  let refuse = false; // see `_events/refuse`
  // The push hub (www/server/push-hub.mjs, shared with the demo API): GET /api/events and /api/ws
  // (never counted or logged); while `refuse` is on, SSE gets a 503 and an upgrade a 503 and a
  // closed socket.
  const hub = createPushHub({
    isRefused: () => refuse,
    refuseSse: (_req, res) => sendJson(res, 503, { error: 'push streams refused (POST /api/_events/refuse)' }),
    refuseWs: (_req, socket) => {
      if (!socket.destroyed) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\nCache-Control: no-store\r\n\r\n', () => socket.destroy());
      }
    },
    notGet: (_req, res) =>
      send(res, 405, { 'content-type': JSON_TYPE, allow: 'GET' }, Buffer.from(JSON.stringify({ error: 'method not allowed' }))),
    notUpgrade: (_req, res) =>
      send(res, 426, { 'content-type': JSON_TYPE, upgrade: 'websocket' }, Buffer.from(JSON.stringify({ error: 'this is a WebSocket endpoint' }))),
  });
  const broadcast = hub.broadcast;
  const upsertTask = (task) => ({ type: 'upsert', entity: 'Task', data: task });
  const deleteTask = (task) => ({ type: 'delete', entity: 'Task', id: task.id });

  function reset() {
    fixtures = new Map();
    data = seedData();
    counts = new Map();
    log = [];
    tasks = seedTasks();
    nextTaskId = FIRST_CREATED_TASK;
    idempotent = new Map();
    after = { times: 0, delayMs: 0, lose: false };
    hub.reset();
    refuse = false;
  }

  /**
   * The tasks resource's answer to a (non-replayed) request; applies its change, if any.
   * An applied write's answer carries `push`: the message to broadcast.
   */
  function tasksAnswer(req, route, body) {
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const where = `${req.method} ${TASKS_PATH}${route.id === null ? '' : '/:id'}`;
    try {
      if (route.id === null) {
        if (method === 'GET') return jsonAnswer(200, [...tasks.values()]);
        if (method !== 'POST') return jsonAnswer(405, { error: 'method not allowed' }, { allow: 'GET, HEAD, POST' });
        const fields = parseTaskBody(body, where);
        checkTaskFields(fields, where, { requireTitle: true });
        const id = `t${nextTaskId++}`;
        const task = { id, title: '', done: false, version: 1, assignee: null, ...writable(fields) };
        task.id = id;
        task.version = 1;
        tasks.set(id, task);
        const a = jsonAnswer(201, task, { etag: etagOf(task), location: `${TASKS_PATH}/${encodeURIComponent(id)}` });
        return { ...a, push: upsertTask(task) };
      }
      if (!['GET', 'PATCH', 'PUT', 'DELETE'].includes(method)) {
        return jsonAnswer(405, { error: 'method not allowed' }, { allow: 'GET, HEAD, PATCH, PUT, DELETE' });
      }
      const task = tasks.get(route.id);
      if (!task) return jsonAnswer(404, { error: `task ${route.id} not found` });
      if (method === 'GET') return jsonAnswer(200, task, { etag: etagOf(task) });
      const fields = parseTaskBody(body, where);
      if (method !== 'DELETE') checkTaskFields(fields, where, { requireTitle: method === 'PUT' });
      const base = baseVersions(req, fields);
      if (base && !base.includes('*') && !base.includes(String(task.version))) return conflictAnswer(req, task);
      if (method === 'DELETE') {
        tasks.delete(route.id);
        return { status: 204, headers: {}, data: Buffer.alloc(0), push: deleteTask(task) };
      }
      let next;
      if (method === 'PATCH') {
        next = Object.assign(task, writable(fields));
      } else {
        next = { id: task.id, title: '', done: false, version: task.version, assignee: null, ...writable(fields) };
        next.id = task.id;
      }
      next.version = task.version + 1;
      tasks.set(route.id, next);
      return { ...jsonAnswer(200, next, { etag: etagOf(next) }), push: upsertTask(next) };
    } catch (err) {
      if (err instanceof BadRequest) return jsonAnswer(400, { error: err.message });
      throw err;
    }
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
      case '/api/_edit': {
        expect('POST');
        const parsed = parseJson(body, '_edit body');
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || parsed.id == null) {
          throw new BadRequest('_edit body must be { id, patch } or { id, delete: true }');
        }
        const key = String(parsed.id);
        const task = tasks.get(key);
        if (!task) return sendJson(res, 404, { error: `task ${key} not found` });
        if (parsed.delete === true) {
          tasks.delete(key);
          broadcast(deleteTask(task), req);
          return sendJson(res, 200, { deleted: task });
        }
        const patch = parsed.patch;
        if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new BadRequest('_edit: patch must be an object');
        checkTaskFields(patch, '_edit patch');
        Object.assign(task, writable(patch));
        task.version += 1;
        broadcast(upsertTask(task), req);
        return sendJson(res, 200, task);
      }
      case '/api/_tasks': {
        expect('GET');
        return sendJson(res, 200, [...tasks.values()]);
      }
      case '/api/_after': {
        expect('POST');
        const parsed = parseJson(body || '{}', '_after body') ?? {};
        after = {
          times: Number.isInteger(parsed.times) ? parsed.times : 1,
          delayMs: Number(parsed.delayMs) || 0,
          lose: parsed.lose === true,
        };
        return sendJson(res, 200, { ok: true, ...after });
      }
      case '/api/_push': {
        expect('POST');
        const parsed = parseJson(body, '_push body');
        const list = Array.isArray(parsed) ? parsed : [parsed];
        list.forEach((m, i) => {
          const where = Array.isArray(parsed) ? `_push[${i}]` : '_push body';
          if (!m || typeof m !== 'object' || Array.isArray(m)) throw new BadRequest(`${where} must be a message object or { raw }`);
          if ('raw' in m && !('type' in m) && typeof m.raw !== 'string') throw new BadRequest(`${where}: raw must be a string`);
        });
        const eventIds = list.map((m) => ('raw' in m && !('type' in m) ? hub.publishRaw(m.raw) : hub.publish(m)));
        return sendJson(res, 200, { eventIds });
      }
      case '/api/_events/drop': {
        expect('POST');
        const parsed = parseJson(body || '{}', '_events/drop body') ?? {};
        return sendJson(res, 200, { closed: hub.drop({ silent: parsed.silent === true }) });
      }
      case '/api/_events/connections': {
        expect('GET');
        return sendJson(res, 200, hub.connections());
      }
      case '/api/_events/heartbeat': {
        expect('POST');
        const { ms } = parseJson(body || '{}', '_events/heartbeat body') ?? {};
        if (typeof ms !== 'number' || !(ms >= 0) || ms === Infinity) throw new BadRequest('_events/heartbeat: ms must be a non-negative number');
        hub.setHeartbeat(ms);
        return sendJson(res, 200, { ms });
      }
      case '/api/_events/refuse': {
        expect('POST');
        const parsed = parseJson(body || '{}', '_events/refuse body') ?? {};
        if (typeof parsed.on !== 'boolean') throw new BadRequest('_events/refuse: on must be a boolean');
        refuse = parsed.on;
        return sendJson(res, 200, { on: refuse });
      }
    }
  }

  /** Takes the WebSocket upgrade of /api/ws (returns true); any other path: false. */
  const upgrade = hub.upgrade;

  /** Send an answer and record its status in the request's log entry. */
  function reply(entry, res, status, headers, body) {
    if (send(res, status, headers, body)) entry.status = status;
  }

  function answer(f, req, res, pathname, entry, body) {
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
        reply(entry, res, f.status, f.headers, f.data);
      };
      if (f.delayMs > 0) {
        const timer = setTimeout(go, f.delayMs);
        res.on('close', () => clearTimeout(timer)); // client gave up: nothing to answer
      } else {
        go();
      }
      return;
    }
    const route = matchTasks(pathname);
    if (route) {
      const key = MUTATING.has(req.method) ? req.headers['idempotency-key'] : undefined;
      const hasKey = typeof key === 'string' && key !== '';
      if (hasKey && idempotent.has(key)) {
        entry.replayed = true;
        const a = idempotent.get(key);
        return reply(entry, res, a.status, a.headers, a.data);
      }
      const { push, ...a } = tasksAnswer(req, route, body);
      if (hasKey) idempotent.set(key, a);
      if (push) broadcast(push, req); // at once, even when `_after` delays or loses the answer
      if (MUTATING.has(req.method) && after.times > 0) {
        after.times -= 1;
        const { delayMs, lose } = after;
        const go = () => {
          if (!lose) return reply(entry, res, a.status, a.headers, a.data);
          const socket = req.socket; // one non-HTTP byte, then close (see `destroy` above)
          if (!socket.destroyed) socket.end('x', () => socket.destroy());
        };
        if (delayMs > 0) setTimeout(go, delayMs);
        else go();
        return;
      }
      return reply(entry, res, a.status, a.headers, a.data);
    }
    if (data.has(pathname)) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const a = jsonAnswer(405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
        return reply(entry, res, a.status, a.headers, a.data);
      }
      const a = jsonAnswer(200, data.get(pathname));
      return reply(entry, res, a.status, a.headers, a.data);
    }
    const a = jsonAnswer(404, { error: 'no fixture' });
    return reply(entry, res, a.status, a.headers, a.data);
  }

  async function processRequest(req, res, url) {
    const pathname = url.pathname;
    const body = await readBody(req);
    if (CONTROL.has(pathname)) return control(pathname, url, req, body, res);

    counts.set(pathname, (counts.get(pathname) ?? 0) + 1);
    const entry = {
      method: req.method,
      path: pathname,
      query: Object.fromEntries(url.searchParams),
      headers: {
        'x-test': req.headers['x-test'] ?? null,
        authorization: req.headers.authorization ?? null,
        'if-match': req.headers['if-match'] ?? null,
        'idempotency-key': req.headers['idempotency-key'] ?? null,
      },
      body: body === '' ? null : body,
      status: null, // set when the answer is sent
      replayed: false,
      at: Date.now(),
    };
    log.push(entry);
    answer(takeFixture(pathname), req, res, pathname, entry, body);
  }

  function handle(req, res) {
    const url = requestUrl(req);
    if (url === null || !isApiPath(url.pathname)) return false;
    if (hub.handle(req, res, url)) return true; // /api/events, and /api/ws without an upgrade (426)
    processRequest(req, res, url).catch((err) => {
      if (err instanceof BadRequest) sendJson(res, err.status ?? 400, { error: err.message });
      else if (!res.headersSent) sendJson(res, 500, { error: String(err?.stack ?? err) });
      else res.destroy();
    });
    return true;
  }

  handle.upgrade = upgrade; // scripts/static-server.mjs wires it up by itself

  /** Ends every push stream and WebSocket (for a server that is shutting down). */
  function close() {
    hub.close();
  }

  return { handle, upgrade, reset, close };
}
