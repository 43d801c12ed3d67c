// The real-time push hub shared by the demo API (www/server/api.mjs) and the test API
// (tests/server/api.mjs): event ids, the replay buffer, GET /api/events (Server-Sent Events)
// and the /api/ws WebSocket (the `ws` package, noServer), broadcasting, heartbeats, drop
// (orderly, abrupt or silent) and the list of connection attempts. What the two servers do
// differently (when new streams are refused and how a refusal, a non-GET /api/events or a plain
// request to /api/ws is answered; logging) comes in as options; each server's header comment
// describes its endpoints as its clients see them.
// Exports: createPushHub, requestUrl, EVENTS_PATH ('/api/events'), WS_PATH ('/api/ws'),
// DEFAULT_HEARTBEAT_MS (15000).
//
//   import { createPushHub, requestUrl } from './push-hub.mjs';
//   const hub = createPushHub({
//     isRefused: () => false,                    // true: new streams are refused (checked per attempt)
//     refuseSse: (req, res, url) => ...,          // answers a refused GET /api/events (default: socket destroyed)
//     refuseWs: (req, socket, url) => ...,        // answers a refused /api/ws upgrade (default: socket destroyed)
//     notGet: (req, res, url) => ...,             // answers /api/events with another method (default: bare 405)
//     notUpgrade: (req, res, url) => ...,         // answers a plain (not upgrade) request to /api/ws (default: bare 426)
//     onStream: (transport, req, url, status) => ..., // every attempt, before it is answered:
//                                                 //   status 200 (SSE) / 101 (ws) when it opens, null when refused
//   });
//   requestUrl(req)                    // the request's URL (a URL object), or null when it does not parse
//   hub.handle(req, res, url)          // /api/events (hub.events) or a plain request to /api/ws (notUpgrade):
//                                      //   true; any other path: false, res untouched (url: requestUrl(req))
//   hub.events(req, res, url)          // GET /api/events
//   hub.upgrade(req, socket, head)     // takes the upgrade of WS_PATH (true); any other path: false, socket untouched
//   hub.broadcast(message, req)        // publish() with the request's Idempotency-Key as `idempotencyKey`, if any
//
// Streams:
//   SSE: 200, Content-Type: text/event-stream, Cache-Control: no-store, X-Accel-Buffering: no,
//        no Content-Length, headers flushed at once (and Nagle off). Each event is
//        `id: <eventId>\n` then the text as `data:` lines (one per line of it), then a blank
//        line; heartbeat: the comment `: ping\n\n`.
//   ws:  one text frame per event (the same text); heartbeat: the frame
//        `{"type":"batch","messages":[]}` (a no-op message). Messages from the client are ignored.
//   A `Last-Event-ID` header (else `?lastEventId=N`) first replays every buffered event with a
//   larger id (an id that is not a whole number replays nothing), then the stream goes live.
//   Heartbeat every `heartbeatMs` (default 15000; 0: none) per stream.
// Event ids: 1, 2, ... (sent as strings) since the hub was created or reset; the last 1000
// events are buffered for replay.
// Connection records (connections()): { transport: 'sse' | 'ws', at, url, lastEventId: string |
// null, headers: {...all request headers}, open, refused }, every attempt in order (refused
// ones too, with open: false; a WebSocket's is open once its handshake is done, until it ends).

import { WebSocketServer } from 'ws';

export const EVENTS_PATH = '/api/events';
export const WS_PATH = '/api/ws';
export const DEFAULT_HEARTBEAT_MS = 15000;
const REPLAY_LIMIT = 1000;
const WS_HEARTBEAT = JSON.stringify({ type: 'batch', messages: [] });

/** One SSE event: `id:` line, the text as `data:` lines (one per line of it), blank line. */
function sseFrame(id, text) {
  return `id: ${id}\n${text.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join('')}\n`;
}

/** The Last-Event-ID a stream request sent: the header, else `?lastEventId=`, else null. */
function lastEventIdOf(req, url) {
  const h = req.headers['last-event-id'];
  if (typeof h === 'string' && h !== '') return h;
  return url.searchParams.get('lastEventId');
}

/** The request's URL (a URL object), or null when it does not parse. */
export function requestUrl(req) {
  try {
    return new URL(req.url, 'http://localhost');
  } catch {
    return null;
  }
}

const destroySocket = (socket) => {
  if (!socket.destroyed) socket.destroy();
};

export function createPushHub({
  isRefused = () => false,
  refuseSse = (req) => destroySocket(req.socket),
  refuseWs = (_req, socket) => destroySocket(socket),
  notGet = (_req, res) => {
    res.writeHead(405, { allow: 'GET', 'cache-control': 'no-store', 'content-length': '0' });
    res.end();
  },
  notUpgrade = (_req, res) => {
    res.writeHead(426, { upgrade: 'websocket', 'cache-control': 'no-store', 'content-length': '0' });
    res.end();
  },
  onStream = () => {},
} = {}) {
  const wss = new WebSocketServer({ noServer: true, clientTracking: false });
  let lastId = 0;
  let buffer = []; // [{ id: number, text }], oldest first, at most REPLAY_LIMIT
  let clients = new Set(); // open streams: { transport, record, send(id, text), beat(), close(abrupt), silent, timer }
  let connections = []; // every attempt's record, in order
  let heartbeatMs = DEFAULT_HEARTBEAT_MS;

  function record(transport, req, url, refused) {
    const r = {
      transport,
      at: Date.now(),
      url: req.url,
      lastEventId: lastEventIdOf(req, url),
      headers: { ...req.headers },
      open: !refused,
      refused,
    };
    connections.push(r);
    return r;
  }

  function startBeat(c) {
    clearInterval(c.timer);
    c.timer = null;
    if (heartbeatMs > 0 && !c.silent) {
      c.timer = setInterval(() => c.beat(), heartbeatMs);
      c.timer.unref();
    }
  }

  /** Forget a stream (idempotent); `how`: 'end' (orderly close), 'kill' (socket destroyed), or null (already gone). */
  function finish(c, how) {
    clearInterval(c.timer);
    c.timer = null;
    if (!clients.delete(c)) return;
    c.record.open = false;
    if (how) c.close(how === 'kill');
  }

  /** Replays the buffered events after the request's Last-Event-ID, then goes live. */
  function open(c) {
    const raw = c.record.lastEventId;
    if (raw !== null && /^\d+$/.test(raw.trim())) {
      const after = Number(raw.trim());
      for (const e of buffer) if (e.id > after) c.send(e.id, e.text);
    }
    clients.add(c);
    startBeat(c);
  }

  function publishText(text) {
    const id = ++lastId;
    buffer.push({ id, text });
    if (buffer.length > REPLAY_LIMIT) buffer = buffer.slice(buffer.length - REPLAY_LIMIT);
    for (const c of clients) if (!c.silent) c.send(id, text);
    return String(id);
  }

  /** Broadcasts a message object with the next event id as its `eventId`; returns that id. */
  function publish(message) {
    return publishText(JSON.stringify({ ...message, eventId: String(lastId + 1) }));
  }

  /** Answers an accepted GET /api/events with an SSE stream. */
  function sse(req, res, url) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const c = {
      transport: 'sse',
      record: record('sse', req, url, false),
      silent: false,
      timer: null,
      send: (id, text) => res.write(sseFrame(id, text)),
      beat: () => res.write(': ping\n\n'),
      close: (abrupt) => (abrupt ? res.destroy() : res.end()),
    };
    res.on('close', () => finish(c, null));
    open(c);
  }

  /** Completes an accepted WebSocket upgrade and streams to it. */
  function ws(req, socket, head, url) {
    const rec = record('ws', req, url, false);
    rec.open = false; // until the handshake is done
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c = {
        transport: 'ws',
        record: rec,
        silent: false,
        timer: null,
        send: (_id, text) => ws.send(text),
        beat: () => ws.send(WS_HEARTBEAT),
        close: (abrupt) => (abrupt ? ws.terminate() : ws.close(1001, 'closed by the server')),
      };
      ws.on('error', () => {});
      ws.on('close', () => finish(c, null));
      rec.open = true;
      open(c);
    });
  }

  /** GET /api/events: notGet for another method; refused (recorded, logged, refuseSse) or an SSE stream. */
  function events(req, res, url) {
    if (req.method !== 'GET') {
      notGet(req, res, url);
      return;
    }
    if (isRefused()) {
      record('sse', req, url, true);
      onStream('sse', req, url, null);
      refuseSse(req, res, url);
      return;
    }
    onStream('sse', req, url, 200);
    sse(req, res, url);
  }

  return {
    publish,
    /** Broadcasts a text verbatim (no eventId inside); returns its event id. */
    publishRaw(text) {
      return publishText(text);
    },
    /** Broadcasts the push message of an applied write (with the request's Idempotency-Key, if any). */
    broadcast(message, req) {
      const key = req.headers['idempotency-key'];
      return publish(typeof key === 'string' && key !== '' ? { ...message, idempotencyKey: key } : message);
    },
    /** Answers /api/events (as events()) and a plain request to /api/ws (notUpgrade) and returns true; any other path: false. */
    handle(req, res, url) {
      if (url.pathname === EVENTS_PATH) {
        events(req, res, url);
        return true;
      }
      if (url.pathname === WS_PATH) {
        notUpgrade(req, res, url);
        return true;
      }
      return false;
    },
    events,
    /** Takes the WebSocket upgrade of /api/ws (returns true); any other path: false, socket untouched. */
    upgrade(req, socket, head) {
      const url = requestUrl(req);
      if (url === null || url.pathname !== WS_PATH) return false;
      if (isRefused()) {
        record('ws', req, url, true);
        onStream('ws', req, url, null);
        refuseWs(req, socket, url);
        return true;
      }
      onStream('ws', req, url, 101);
      ws(req, socket, head, url);
      return true;
    },
    /** Closes every stream (`silent`: sends them nothing more instead; `abrupt`: kills their sockets); returns how many. */
    drop({ silent = false, abrupt = false } = {}) {
      const list = [...clients];
      for (const c of list) {
        if (silent) {
          c.silent = true;
          startBeat(c);
        } else {
          finish(c, abrupt ? 'kill' : 'end');
        }
      }
      return list.length;
    },
    /** Every attempt's record (copies), in order. */
    connections: () => connections.map((r) => ({ ...r, headers: { ...r.headers } })),
    get heartbeatMs() {
      return heartbeatMs;
    },
    /** Heartbeat interval for every stream (0: none), restarting their timers. */
    setHeartbeat(ms) {
      heartbeatMs = ms;
      for (const c of clients) startBeat(c);
    },
    /** Streams closed (orderly), buffer emptied, event ids restart at 1, connection list cleared, heartbeat back to 15000. */
    reset() {
      for (const c of [...clients]) finish(c, 'end');
      lastId = 0;
      buffer = [];
      connections = [];
      heartbeatMs = DEFAULT_HEARTBEAT_MS;
    },
    /** Ends every stream abruptly (for a server that is shutting down). */
    close() {
      for (const c of [...clients]) finish(c, 'kill');
    },
  };
}
