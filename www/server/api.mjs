// The demo's "team tasks" REST API (users, projects, tasks with an assignee and comments),
// with the knobs the demo page and the end-to-end tests turn: latency, failure rate, a
// network cut, and edits made "as another user". Data lives in one JSON file and survives a
// restart. No dependencies; mounted by www/server/main.mjs next to the built demo page.
//
//   import { createDemoApi } from './www/server/api.mjs';
//   const api = createDemoApi({ dataFile: 'www/server/data/db.json' });   // null: memory only
//   http.createServer((req, res) => api.handle(req, res) || serveStatic(req, res));
//
// `handle(req, res)` answers every request whose path is /api or starts with /api/ and returns
// true; for anything else it returns false and leaves `res` alone.
//
// Resources (JSON; every answer carries Cache-Control: no-store):
//   GET    /api/users                 -> [User]
//   GET    /api/users/:id             -> User
//   PATCH  /api/users/:id             { name?, role? } -> User
//   GET    /api/projects              -> [Project]
//   GET    /api/projects/:id          -> Project
//   GET    /api/projects/:id/tasks    -> [Task] (creation order)
//   GET    /api/tasks[?assignee=u1][&project=p1][&done=false] -> [Task]
//   POST   /api/tasks                 { projectId, title, done?, assigneeId? } -> 201 Task
//   GET    /api/tasks/:id             -> Task (ETag: "<version>")
//   PATCH  /api/tasks/:id             { title?, done?, assigneeId?, version? } -> Task
//   DELETE /api/tasks/:id             -> { id, deleted: true }
//   POST   /api/tasks/:id/comments    { body } -> 201 Comment (author: the signed-in user u1)
//
//   User    { id, name, role, color }
//   Project { id, key, name, color }
//   Task    { id, title, done, version, project: Project, assignee: User | null,
//             comments: [Comment], createdAt, updatedAt, updatedBy: User | null }
//   Comment { id, body, createdAt, author: User }
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
//            during the added latency; nothing applied) | 'simulated' (edit-as)
//   `tab` is the X-Demo-Tab request header (the demo page sends one per tab); `lost: true`
//   marks an answer that could not be delivered (the client had gone; the work was done).
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
//   POST /api/_control/reset           -> seed data again, clear the log, keys and settings
//   GET  /api/_control/db              -> { users, projects, tasks } as the API answers them

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ME, seed } from './seed.mjs';

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

  function load() {
    if (dataFile && existsSync(dataFile)) {
      try {
        const data = JSON.parse(readFileSync(dataFile, 'utf8'));
        if (data && data.format === 1 && Array.isArray(data.tasks)) return data;
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
    project: projectOut(projectById(t.projectId)),
    assignee: t.assigneeId ? userOut(userById(t.assigneeId)) : null,
    comments: t.comments.map(commentById).filter(Boolean).map(commentOut),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    updatedBy: t.updatedById ? userOut(userById(t.updatedById)) : null,
  });

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

  // Returns { status, value, headers?, outcome? } or throws HttpError.
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
      return ok(userOut(u));
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
        return ok(taskOut(t), 201, { Location: `/api/tasks/${t.id}`, ETag: '"1"' });
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
        return ok(commentOut(c), 201);
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
        return ok({ id: t.id, deleted: true });
      }
      patchTask(t, b, ME);
      return ok(taskOut(t), 200, { ETag: `"${t.version}"` });
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
      control = Object.freeze(next);
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
    const outcome = answer.outcome ?? (!mutating ? 'read' : applied ? 'applied' : 'rejected');
    finish(answer.status, req.method === 'HEAD' ? undefined : answer.value, answer.headers, outcome);
  }

  return {
    /** Answers /api requests (returns true); anything else returns false. */
    handle(req, res) {
      let url;
      try {
        url = new URL(req.url, 'http://localhost');
      } catch {
        return false;
      }
      if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false;
      serve(req, res, url).catch((e) => {
        console.error('demo api:', e);
        if (!res.headersSent) send(res, 500, { error: String(e && e.message) });
      });
      return true;
    },
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
      control = Object.freeze({ ...control, ...patch });
    },
  };
}
