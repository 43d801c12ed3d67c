// The demo's "team tasks" REST API (users, projects, tasks with an assignee and comments),
// with the knobs the demo page and the end-to-end tests turn: latency, failure rate, a
// network cut, and edits made "as another user". Data lives in one JSON file and survives a
// restart (format 2, www/server/seed.mjs; a format 1 file, from before the Inbox, gets the
// Inbox's tickets added when it is loaded, keeping what it had). One dependency (`ws`, for
// the WebSocket push endpoint, used by the push hub www/server/push-hub.mjs, which the test API
// shares); mounted by www/server/main.mjs next to the built demo page.
//
//   import { createDemoApi } from './www/server/api.mjs';
//   const api = createDemoApi({ dataFile: 'www/server/data/db.json' });   // null: memory only
//   http.createServer((req, res) => api.handle(req, res) || serveStatic(req, res));
//
// `handle(req, res)` answers every request whose path is /api or starts with /api/ and returns
// true; for anything else it returns false and leaves `res` alone. `upgrade(req, socket, head)`
// (also `handle.upgrade`) takes the WebSocket upgrades of /api/ws and returns true; any other
// path: false, socket untouched. `close()` ends every push stream.
//
// Resources (JSON; every answer carries Cache-Control: no-store):
//   GET    /api/users                 -> [User]
//   GET    /api/users/:id             -> User
//   PATCH  /api/users/:id             { name?, role? } -> User
//   GET    /api/projects              -> [Project]
//   GET    /api/projects/:id          -> Project
//   GET    /api/projects/:id/tasks    -> [Task] (creation order)
//   GET    /api/tasks[?assignee=u1][&project=p1][&done=false] -> [Task]
//   GET    /api/tasks/page[?cursor=C][&limit=20] -> { items: [Task], nextCursor: C | null }
//   GET    /api/tasks/page?offset=N[&limit=20]   -> { items: [Task], offset: N, total }
//   POST   /api/tasks                 { projectId, title, done?, assigneeId? } -> 201 Task
//   GET    /api/tasks/:id             -> Task (ETag: "<version>")
//   PATCH  /api/tasks/:id             { title?, done?, assigneeId?, version? } -> Task
//   DELETE /api/tasks/:id             -> { id, deleted: true }
//   POST   /api/tasks/:id/comments    { body } -> 201 Comment (author: the signed-in user u1)
//
//   User    { id, name, role, color }
//   Project { id, key, name, color }
//   Task    { id, title, done, version, project: Project | null (the Inbox), assignee: User | null,
//             comments: [Comment], createdAt, updatedAt, updatedBy: User | null }
//   Comment { id, body, createdAt, author: User }
//
// Pages of every task (the projects' and the Inbox's: 132 in the seed data), in creation order
// (createdAt, then id), in two styles on one path (`page` is never a task id; GET only):
//   cursor: no `cursor` (or an empty one) is the first page; `nextCursor` (opaque, URL-safe)
//           names the page's last task and the next page starts after it, so tasks added or
//           deleted before it shift nothing; null: nothing after this page. Not a cursor -> 400.
//   offset: `offset` (0..) counts tasks from the first; `total` is the count now (offsets
//           shift when tasks are added or deleted). An offset past the end -> items [].
//   `limit` 1..100 (default 20); any other limit, a negative or fractional offset, or both
//   `cursor` and `offset` -> 422.
//
// Versions: a task's `version` goes up by one on every change. PATCH/DELETE of a task take the
// client's base version from `If-Match` ("3", W/"3" or 3) or, without that header, from
// `body.version`; neither means unconditional. A base that is not the current version is a
// 409 whose body is the current task (strata reads it as the server's side of the conflict).
// Assigning accepts `assigneeId` (a user id or null) or `assignee` (an id, { id } or null).
//
// Idempotency: a POST/PATCH/PUT/DELETE with an `Idempotency-Key` header stores its answer
// (any status) under the key; a later request with the same key gets that answer again and
// changes nothing (logged as `replayed`). Keys are kept in the data file too.
//
// Request log: every non-control request is logged when its body has been read:
//   { seq, at, tab, method, path, body, idempotencyKey, ifMatch, status, outcome, ms }
//   outcome: 'read' | 'applied' | 'replayed' | 'conflict' | 'rejected' (4xx) | 'failed'
//            (an injected failure) | 'cut' (socket destroyed) | 'aborted' (the client left
//            during the added latency; nothing applied) | 'simulated' (edit-as) | 'stream' (below)
//   `tab` is the X-Demo-Tab request header (the demo page sends one per tab); `lost: true`
//   marks an answer that could not be delivered (the client had gone; the work was done).
//   A push stream (GET /api/events, /api/ws) is logged once, when it opens: status 200 (SSE) or
//   101 (WebSocket), outcome 'stream' (or 'cut', status null, when the network cut refused
//   it); its `tab` is X-Demo-Tab or else the `?tab=` query parameter (a browser WebSocket
//   cannot send headers). The pushes themselves are not requests and are not logged.
//
// Push (real-time, served by the push hub www/server/push-hub.mjs; never delayed or failed;
// while networkCut is on, new streams are refused with a destroyed socket and turning it on
// kills the open ones):
//   GET  /api/events   Server-Sent Events: 200, Content-Type: text/event-stream, Cache-Control:
//                      no-store, no Content-Length, headers flushed at once. Each event is
//                      `id: <eventId>\ndata: <one-line JSON>\n\n`; heartbeat: the comment
//                      `: ping\n\n` every 15 s. A `Last-Event-ID` header (else `?lastEventId=N`)
//                      first replays every buffered event with a larger id, then goes live.
//   GET  /api/ws       WebSocket (a plain request -> 426): one text frame per message, the same
//                      JSON; heartbeat: the frame `{"type":"batch","messages":[]}` (a no-op
//                      message) every 15 s; `?lastEventId=N` replays like SSE.
//   Event ids: "1", "2", ... since the server started or was reset (they are not persisted);
//   the last 1000 events are kept for replay. Messages (each carries `eventId`, and
//   `idempotencyKey` when the write had an Idempotency-Key header):
//     { type: 'upsert', entity: 'Task', data: Task }   POST/PATCH /api/tasks[/:id], POST
//                                                      /api/tasks/:id/comments (the whole task,
//                                                      comments included), edit-as
//     { type: 'delete', entity: 'Task', id }           DELETE /api/tasks/:id (id: the task's)
//     { type: 'upsert', entity: 'User', data: User }   PATCH /api/users/:id
//   Only applied writes broadcast: not replays, conflicts, rejections or injected failures.
//
// Control endpoints (never delayed, cut, failed or logged; the demo page and tests use them):
//   GET  /api/_control                -> { latencyMs, failureRate, failureStatus, networkCut }
//   POST /api/_control                { any of those } -> the new settings
//        latencyMs: added before every answer; failureRate (0..1): that share of mutating
//        requests is answered with failureStatus (default 500) and applies nothing;
//        networkCut: every other /api request has its socket destroyed (fetch rejects).
//        Settings are not persisted: a restarted server starts online and fast.
//   POST /api/_control/edit-as        { taskId, userId = 'u2', patch: { title?, done?, assigneeId? } }
//        -> the task after the change: "another user" edits it behind the client's back
//        (version + 1, updatedBy that user). Logged with outcome 'simulated'.
//   GET  /api/_control/log[?after=seq] -> { entries: [...], last }   (the last 500 entries)
//   POST /api/_control/reset           -> seed data again, clear the log, keys and settings; the
//                                         push streams are closed, event ids restart at 1
//   GET  /api/_control/db              -> { users, projects, tasks } as the API answers them
//   POST /api/_control/events/drop     { silent = false } -> closes every push stream (SSE ended,
//                                         WebSocket closed 1001); silent: sends nothing more to
//                                         them, sockets left open -> { closed: n }
//   GET  /api/_control/events/connections -> [{ transport: 'sse' | 'ws', at, url, lastEventId,
//                                         headers, open, refused }] (every attempt since the reset)

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPushHub, requestUrl } from './push-hub.mjs';
import { addInbox, INBOX_SIZE, ME, seed } from './seed.mjs';

const JSON_TYPE = 'application/json; charset=utf-8';
const MUTATING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
const MAX_BODY = 1024 * 1024;
const LOG_LIMIT = 500;
const KEY_LIMIT = 5000;
const DEFAULT_CONTROL = Object.freeze({ latencyMs: 0, failureRate: 0, failureStatus: 500, networkCut: false });

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const notFound = (what) => new HttpError(404, `${what} not found`);
const invalid = (message) => new HttpError(422, message);

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, `request body over ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseObject(text) {
  if (text.trim() === '') return {};
  let v;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the body is not JSON: ${e.message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'the body must be a JSON object');
  return v;
}

function send(res, status, value, headers = {}) {
  if (res.destroyed || res.writableEnded) return false;
  const body = value === undefined ? '' : JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': JSON_TYPE,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
  return true;
}

/** One non-HTTP byte, then close: fetch() rejects and Chromium does not silently re-send. */
function cut(req) {
  const socket = req.socket;
  if (socket.destroyed) return;
  socket.end('x', () => socket.destroy());
}

/** `"3"`, `W/"3"`, `3` (the first item of a list) -> 3; absent or `*` -> undefined. */
function parseIfMatch(header) {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const first = header.split(',')[0].trim();
  if (first === '*') return undefined;
  const m = /^(?:W\/)?"?([^"]*)"?$/.exec(first);
  const n = Number(m ? m[1] : first);
  return Number.isFinite(n) ? n : m ? m[1] : first;
}

/**
 * Creates the API. `dataFile`: the JSON file the data lives in (created with the seed data
 * when missing; null keeps everything in memory). `now`: the clock (tests may pass one).
 */
export function createDemoApi({ dataFile = null, now = Date.now } = {}) {
  let db = load();
  let control = { ...DEFAULT_CONTROL };
  let log = [];
  let seq = 0;
  // The push hub (./push-hub.mjs, shared with the test API): GET /api/events and /api/ws, no
  // latency, no failures; while networkCut is on, new streams are refused with a destroyed
  // socket. Every attempt is logged (logStream).
  const hub = createPushHub({
    isRefused: () => control.networkCut,
    refuseSse: (req) => cut(req),
    refuseWs: (_req, socket) => socket.destroy(),
    notGet: (req, res) => send(res, 405, { error: `${req.method} is not allowed here (allowed: GET)` }, { Allow: 'GET' }),
    notUpgrade: (_req, res) => send(res, 426, { error: 'this is a WebSocket endpoint' }, { Upgrade: 'websocket' }),
    onStream: (_transport, req, url, status) => logStream(req, url, status, status === null ? 'cut' : 'stream'),
  });
  const broadcast = hub.broadcast;

  /** Sets the control settings; turning networkCut on kills the open push streams. */
  function applyControl(next) {
    control = Object.freeze(next);
    if (control.networkCut) hub.drop({ abrupt: true });
  }

  function load() {
    if (dataFile && existsSync(dataFile)) {
      try {
        const data = JSON.parse(readFileSync(dataFile, 'utf8'));
        if (data && data.format === 2 && Array.isArray(data.tasks)) return data;
        if (data && data.format === 1 && Array.isArray(data.tasks)) {
          addInbox(data); // the demo before the Inbox: keep its data, add the tickets
          save(data);
          console.log(`demo api: ${dataFile} is from before the Inbox; added its ${INBOX_SIZE} tickets`);
          return data;
        }
        throw new Error(`unknown format ${JSON.stringify(data && data.format)}`);
      } catch (e) {
        const aside = `${dataFile}.unreadable-${Date.now()}`;
        renameSync(dataFile, aside);
        console.warn(`demo api: ${dataFile} could not be read (${e.message}); moved it to ${aside} and started from the seed data`);
      }
    }
    const fresh = seed(now());
    save(fresh);
    return fresh;
  }

  function save(data = db) {
    if (!dataFile) return;
    mkdirSync(path.dirname(dataFile), { recursive: true });
    const tmp = `${dataFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(data));
    renameSync(tmp, dataFile); // atomic: a crash leaves the old file or the new one
  }

  // ---- reading: stored records -> API answers (relations expanded) -------------------------

  const userById = (id) => db.users.find((u) => u.id === id);
  const projectById = (id) => db.projects.find((p) => p.id === id);
  const taskById = (id) => db.tasks.find((t) => t.id === id);
  const commentById = (id) => db.comments.find((c) => c.id === id);

  const userOut = (u) => (u ? { id: u.id, name: u.name, role: u.role, color: u.color } : null);
  const projectOut = (p) => ({ id: p.id, key: p.key, name: p.name, color: p.color });
  const commentOut = (c) => ({ id: c.id, body: c.body, createdAt: c.createdAt, author: userOut(userById(c.authorId)) });
  const taskOut = (t) => ({
    id: t.id,
    title: t.title,
    done: t.done,
    version: t.version,
    project: t.projectId ? projectOut(projectById(t.projectId)) : null,
    assignee: t.assigneeId ? userOut(userById(t.assigneeId)) : null,
    comments: t.comments.map(commentById).filter(Boolean).map(commentOut),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    updatedBy: t.updatedById ? userOut(userById(t.updatedById)) : null,
  });

  // ---- pages of every task ------------------------------------------------------------

  const PAGE_LIMIT = 100;
  const byCreation = (a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id, 'en', { numeric: true });
  const encodeCursor = (t) => Buffer.from(JSON.stringify([t.createdAt, t.id])).toString('base64url');
  function decodeCursor(text) {
    try {
      const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
      if (Array.isArray(v) && v.length === 2 && Number.isFinite(v[0]) && typeof v[1] === 'string') return { createdAt: v[0], id: v[1] };
    } catch {
      // not base64url JSON
    }
    throw new HttpError(400, `not a cursor: ${JSON.stringify(text)} (use a nextCursor this endpoint gave)`);
  }
  function wholeNumber(q, name, fallback, min, max) {
    if (!q.has(name)) return fallback;
    const text = q.get(name);
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw invalid(`${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
    return n;
  }

  /** GET /api/tasks/page: a page by cursor ({ items, nextCursor }) or by offset ({ items, offset, total }). */
  function taskPage(q) {
    const limit = wholeNumber(q, 'limit', 20, 1, PAGE_LIMIT);
    if (q.has('cursor') && q.has('offset')) throw invalid('give `cursor` or `offset`, not both');
    const all = [...db.tasks].sort(byCreation);
    if (q.has('offset')) {
      const offset = wholeNumber(q, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
      return { items: all.slice(offset, offset + limit).map(taskOut), offset, total: all.length };
    }
    let start = 0;
    const cursor = q.get('cursor');
    if (cursor) {
      const after = decodeCursor(cursor);
      start = all.findIndex((t) => byCreation(t, after) > 0);
      if (start < 0) start = all.length;
    }
    const items = all.slice(start, start + limit);
    const more = start + items.length < all.length;
    return { items: items.map(taskOut), nextCursor: more ? encodeCursor(items[items.length - 1]) : null };
  }

  // ---- writing --------------------------------------------------------------------------

  function assigneeFrom(body) {
    let v;
    if ('assigneeId' in body) v = body.assigneeId;
    else if ('assignee' in body) v = body.assignee !== null && typeof body.assignee === 'object' ? body.assignee.id : body.assignee;
    else return undefined;
    if (v === null) return null;
    if (typeof v !== 'string' || !userById(v)) throw invalid(`no user ${JSON.stringify(v)} to assign`);
    return v;
  }

  function title(v) {
    if (typeof v !== 'string' || v.trim() === '') throw invalid('a task needs a title');
    if (v.length > 200) throw invalid('a title has at most 200 characters');
    return v.trim();
  }

  /** Applies a patch to a stored task (validated first, so a bad patch changes nothing). */
  function patchTask(t, body, by) {
    const next = {};
    if ('title' in body) next.title = title(body.title);
    if ('done' in body) {
      if (typeof body.done !== 'boolean') throw invalid('`done` must be true or false');
      next.done = body.done;
    }
    const a = assigneeFrom(body);
    if (a !== undefined) next.assigneeId = a;
    Object.assign(t, next);
    t.version += 1;
    t.updatedAt = now();
    t.updatedById = by;
  }

  function checkVersion(t, req, body) {
    let base = parseIfMatch(req.headers['if-match']);
    if (base === undefined && body.version !== undefined && body.version !== null) base = body.version;
    if (base !== undefined && String(base) !== String(t.version)) {
      return { status: 409, value: taskOut(t), headers: { ETag: `"${t.version}"` }, outcome: 'conflict' };
    }
    return null;
  }

  // ---- routes ---------------------------------------------------------------------------

  const upsertTask = (t) => ({ type: 'upsert', entity: 'Task', data: taskOut(t) });

  // Returns { status, value, headers?, outcome?, push? } or throws HttpError (`push`: the
  // message an applied write broadcasts).
  function route(req, url, body) {
    const parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent); // without 'api'
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const ok = (value, status = 200, headers) => ({ status, value, headers });
    const only = (...methods) => {
      if (!methods.includes(method)) throw new HttpError(405, `${req.method} is not allowed here (allowed: ${methods.join(', ')})`);
    };
    const [resource, id, sub, ...rest] = parts;
    if (rest.length) throw notFound(url.pathname);

    if (resource === 'users') {
      if (sub !== undefined) throw notFound(url.pathname);
      if (id === undefined) {
        only('GET');
        return ok(db.users.map(userOut));
      }
      const u = userById(id);
      if (!u) throw notFound(`user ${id}`);
      only('GET', 'PATCH');
      if (method === 'GET') return ok(userOut(u));
      const b = parseObject(body);
      if ('name' in b) {
        if (typeof b.name !== 'string' || b.name.trim() === '') throw invalid('a name cannot be empty');
        if (b.name.length > 60) throw invalid('a name has at most 60 characters');
      }
      if ('role' in b && typeof b.role !== 'string') throw invalid('`role` must be a string');
      if ('name' in b) u.name = b.name.trim();
      if ('role' in b) u.role = b.role;
      return { ...ok(userOut(u)), push: { type: 'upsert', entity: 'User', data: userOut(u) } };
    }

    if (resource === 'projects') {
      if (id === undefined) {
        only('GET');
        return ok(db.projects.map(projectOut));
      }
      const p = projectById(id);
      if (!p) throw notFound(`project ${id}`);
      only('GET');
      if (sub === undefined) return ok(projectOut(p));
      if (sub !== 'tasks') throw notFound(url.pathname);
      return ok(db.tasks.filter((t) => t.projectId === p.id).map(taskOut));
    }

    if (resource === 'tasks') {
      if (id === undefined) {
        only('GET', 'POST');
        if (method === 'GET') {
          const q = url.searchParams;
          let list = db.tasks;
          if (q.has('assignee')) list = list.filter((t) => t.assigneeId === q.get('assignee'));
          if (q.has('project')) list = list.filter((t) => t.projectId === q.get('project'));
          if (q.has('done')) list = list.filter((t) => String(t.done) === q.get('done'));
          return ok(list.map(taskOut));
        }
        const b = parseObject(body);
        if (!projectById(b.projectId)) throw invalid(`no project ${JSON.stringify(b.projectId)}`);
        if ('done' in b && typeof b.done !== 'boolean') throw invalid('`done` must be true or false');
        const at = now();
        const t = {
          id: `t${db.nextTask++}`,
          projectId: b.projectId,
          title: title(b.title),
          done: b.done === true,
          version: 1,
          assigneeId: assigneeFrom(b) ?? null,
          comments: [],
          createdAt: at,
          updatedAt: at,
          updatedById: ME,
        };
        db.tasks.push(t);
        return { ...ok(taskOut(t), 201, { Location: `/api/tasks/${t.id}`, ETag: '"1"' }), push: upsertTask(t) };
      }
      if (id === 'page') {
        // (before the :id routes; `page` is never a task id: they are t1, t2, ...)
        if (sub !== undefined) throw notFound(url.pathname);
        only('GET');
        return ok(taskPage(url.searchParams));
      }
      const t = taskById(id);
      if (!t) throw notFound(`task ${id}`);
      if (sub === 'comments') {
        only('GET', 'POST');
        if (method === 'GET') return ok(t.comments.map(commentById).filter(Boolean).map(commentOut));
        const b = parseObject(body);
        if (typeof b.body !== 'string' || b.body.trim() === '') throw invalid('a comment cannot be empty');
        if (b.body.length > 2000) throw invalid('a comment has at most 2000 characters');
        const c = { id: `c${db.nextComment++}`, taskId: t.id, authorId: ME, body: b.body.trim(), createdAt: now() };
        db.comments.push(c);
        t.comments.push(c.id);
        return { ...ok(commentOut(c), 201), push: upsertTask(t) }; // the task, with its comments
      }
      if (sub !== undefined) throw notFound(url.pathname);
      only('GET', 'PATCH', 'DELETE');
      if (method === 'GET') return ok(taskOut(t), 200, { ETag: `"${t.version}"` });
      const b = parseObject(body);
      const stale = checkVersion(t, req, b);
      if (stale) return stale;
      if (method === 'DELETE') {
        db.tasks = db.tasks.filter((x) => x !== t);
        db.comments = db.comments.filter((c) => c.taskId !== t.id);
        return { ...ok({ id: t.id, deleted: true }), push: { type: 'delete', entity: 'Task', id: t.id } };
      }
      patchTask(t, b, ME);
      return { ...ok(taskOut(t), 200, { ETag: `"${t.version}"` }), push: upsertTask(t) };
    }

    throw notFound(url.pathname);
  }

  function remember(key, answer) {
    db.idempotency[key] = { status: answer.status, value: answer.value, headers: answer.headers || {}, at: now() };
    const keys = Object.keys(db.idempotency);
    if (keys.length > KEY_LIMIT) {
      for (const k of keys.slice(0, keys.length - KEY_LIMIT)) delete db.idempotency[k];
    }
  }

  // ---- control --------------------------------------------------------------------------

  function controlRoute(req, url, body) {
    const sub = url.pathname.slice('/api/_control'.length);
    if (sub === '' || sub === '/') {
      if (req.method === 'GET') return { status: 200, value: control };
      if (req.method !== 'POST') throw new HttpError(405, 'GET or POST');
      const b = parseObject(body);
      const next = { ...control };
      if ('latencyMs' in b) {
        if (!Number.isFinite(b.latencyMs) || b.latencyMs < 0 || b.latencyMs > 60_000) throw invalid('latencyMs: 0..60000');
        next.latencyMs = b.latencyMs;
      }
      if ('failureRate' in b) {
        if (!Number.isFinite(b.failureRate) || b.failureRate < 0 || b.failureRate > 1) throw invalid('failureRate: 0..1');
        next.failureRate = b.failureRate;
      }
      if ('failureStatus' in b) {
        if (!Number.isInteger(b.failureStatus) || b.failureStatus < 400 || b.failureStatus > 599) throw invalid('failureStatus: 400..599');
        next.failureStatus = b.failureStatus;
      }
      if ('networkCut' in b) next.networkCut = Boolean(b.networkCut);
      applyControl(next);
      return { status: 200, value: control };
    }
    if (sub === '/edit-as') {
      if (req.method !== 'POST') throw new HttpError(405, 'POST');
      const b = parseObject(body);
      const t = taskById(b.taskId);
      if (!t) throw notFound(`task ${b.taskId}`);
      const userId = b.userId ?? 'u2';
      if (!userById(userId)) throw invalid(`no user ${JSON.stringify(userId)}`);
      const patch = b.patch && typeof b.patch === 'object' ? b.patch : {};
      patchTask(t, patch, userId);
      save();
      broadcast(upsertTask(t), req);
      const value = taskOut(t);
      addLog({ method: 'PATCH', path: `/api/tasks/${t.id}`, body: patch, tab: `as ${userById(userId).name}`, status: 200, outcome: 'simulated' });
      return { status: 200, value };
    }
    if (sub === '/log') {
      if (req.method !== 'GET') throw new HttpError(405, 'GET');
      const after = Number(url.searchParams.get('after') || 0);
      return { status: 200, value: { entries: log.filter((e) => e.seq > after), last: seq } };
    }
    if (sub === '/reset') {
      if (req.method !== 'POST') throw new HttpError(405, 'POST');
      reset();
      return { status: 200, value: { ok: true } };
    }
    if (sub === '/db') {
      if (req.method !== 'GET') throw new HttpError(405, 'GET');
      return { status: 200, value: snapshot() };
    }
    if (sub === '/events/drop') {
      if (req.method !== 'POST') throw new HttpError(405, 'POST');
      const b = parseObject(body);
      return { status: 200, value: { closed: hub.drop({ silent: b.silent === true }) } };
    }
    if (sub === '/events/connections') {
      if (req.method !== 'GET') throw new HttpError(405, 'GET');
      return { status: 200, value: hub.connections() };
    }
    throw notFound(url.pathname);
  }

  function addLog(fields) {
    const entry = {
      seq: ++seq,
      at: now(),
      tab: null,
      method: '',
      path: '',
      body: null,
      idempotencyKey: null,
      ifMatch: null,
      status: null,
      outcome: null,
      ms: 0,
      ...fields,
    };
    log.push(entry);
    if (log.length > LOG_LIMIT) log = log.slice(log.length - LOG_LIMIT);
    return entry;
  }

  function reset() {
    db = seed(now());
    save();
    control = { ...DEFAULT_CONTROL };
    log = [];
    hub.reset();
  }

  function snapshot() {
    return { users: db.users.map(userOut), projects: db.projects.map(projectOut), tasks: db.tasks.map(taskOut) };
  }

  // ---- the handler ----------------------------------------------------------------------

  async function serve(req, res, url) {
    let text = '';
    try {
      text = await readBody(req);
    } catch (e) {
      send(res, e.status || 400, { error: e.message });
      return;
    }

    if (url.pathname === '/api/_control' || url.pathname.startsWith('/api/_control/')) {
      try {
        const a = controlRoute(req, url, text);
        send(res, a.status, a.value, a.headers);
      } catch (e) {
        send(res, e.status || 500, { error: e.message });
      }
      return;
    }

    const started = now();
    const mutating = MUTATING.has(req.method);
    const key = mutating && typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : null;
    let body = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const entry = addLog({
      tab: typeof req.headers['x-demo-tab'] === 'string' ? req.headers['x-demo-tab'] : null,
      method: req.method,
      path: url.pathname + url.search,
      body,
      idempotencyKey: key,
      ifMatch: req.headers['if-match'] ?? null,
    });
    const finish = (status, value, headers, outcome) => {
      entry.outcome = outcome;
      if (send(res, status, value, headers)) entry.status = status;
      else entry.lost = true; // the client left after the work was done: the answer is lost
      entry.ms = now() - started;
    };

    if (control.networkCut) {
      entry.outcome = 'cut';
      cut(req);
      return;
    }
    if (control.latencyMs > 0) {
      const gone = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), control.latencyMs);
        res.on('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (gone || res.destroyed || res.writableEnded) {
        entry.outcome = 'aborted'; // the client left: nothing is applied
        entry.ms = now() - started;
        return;
      }
      if (control.networkCut) {
        entry.outcome = 'cut';
        cut(req);
        return;
      }
    }
    if (mutating && control.failureRate > 0 && Math.random() < control.failureRate) {
      finish(control.failureStatus, { error: `injected failure: the server controls fail ${Math.round(control.failureRate * 100)}% of writes` }, {}, 'failed');
      return;
    }
    if (key && db.idempotency[key]) {
      const a = db.idempotency[key];
      finish(a.status, a.value, { ...a.headers, 'Idempotent-Replayed': 'true' }, 'replayed');
      return;
    }
    let answer;
    try {
      answer = route(req, url, text);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      if (!(e instanceof HttpError)) console.error('demo api:', e);
      answer = { status, value: { error: e.message } };
    }
    const applied = mutating && answer.status < 300;
    if (key && mutating) remember(key, answer);
    if (applied || key) save();
    if (applied && answer.push) broadcast(answer.push, req);
    const outcome = answer.outcome ?? (!mutating ? 'read' : applied ? 'applied' : 'rejected');
    finish(answer.status, req.method === 'HEAD' ? undefined : answer.value, answer.headers, outcome);
  }

  /** A push stream's log entry (outcome 'stream', or 'cut' when the network cut refused it). */
  function logStream(req, url, status, outcome) {
    const tab = typeof req.headers['x-demo-tab'] === 'string' ? req.headers['x-demo-tab'] : url.searchParams.get('tab');
    addLog({ tab, method: 'GET', path: url.pathname + url.search, status, outcome, ifMatch: null });
  }

  /** Takes the WebSocket upgrade of /api/ws (returns true); any other path: false. */
  const upgrade = hub.upgrade;

  /** Answers /api requests (returns true); anything else returns false. */
  function handle(req, res) {
    const url = requestUrl(req);
    if (url === null || (url.pathname !== '/api' && !url.pathname.startsWith('/api/'))) return false;
    // /api/events (an SSE stream: no latency, no failures; the network cut refuses it), and
    // /api/ws without an upgrade (426)
    if (hub.handle(req, res, url)) return true;
    serve(req, res, url).catch((e) => {
      console.error('demo api:', e);
      if (!res.headersSent) send(res, 500, { error: String(e && e.message) });
    });
    return true;
  }
  handle.upgrade = upgrade;

  return {
    handle,
    /** Takes WebSocket upgrades of /api/ws (returns true); anything else returns false. */
    upgrade,
    /** Ends every push stream (for a server that is shutting down). */
    close: () => hub.close(),
    /** Seed data again; clears the log, idempotency keys and control settings. */
    reset,
    /** { users, projects, tasks } as the API answers them. */
    snapshot,
    /** The request log (a copy). */
    log: () => log.map((e) => ({ ...e })),
    /** The current control settings. */
    control: () => control,
    /** Changes control settings (as POST /api/_control does). */
    setControl(patch) {
      applyControl({ ...control, ...patch });
    },
  };
}
