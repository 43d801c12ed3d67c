// The real-time connection of a store: one Server-Sent Events stream (read with fetch and a
// stream reader, so the store's headers() apply, unlike EventSource) or one WebSocket. Its
// messages go to the core in one call per microtask batch (the core reads them and writes the
// base, under the optimistic layers; see src/core/push/). It reconnects with backoff and
// jitter, resumes SSE with Last-Event-ID, invalidates the active queries after a gap it cannot
// resume, pauses offline and reopens a connection that goes silent past `heartbeatMs`.
//
// In a persisted store only the tab that sends the outbox connects (host.whenLeader); it
// posts its state to the other tabs, which show it and resume from its last event id when
// they take over.

import { StrataError, invalidArgument, report } from './errors.js';

const OPTIONS = ['url', 'transport', 'parse', 'onError', 'onReconnect', 'heartbeatMs', 'retryDelay', 'maxRetryDelay'];
const MAX_TIMER = 2 ** 31 - 1;

/** The state of a store that is not connected. */
export const CLOSED = Object.freeze({ status: 'closed', lastEventId: null, lastMessageAt: null, reconnects: 0, error: null });

function checkOptions(o) {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw invalidArgument('connect(options): options must be an object');
  for (const k of Object.keys(o)) {
    if (!OPTIONS.includes(k)) throw invalidArgument(`connect: unknown option \`${k}\`; the options are ${OPTIONS.join(', ')}`);
  }
  if (typeof o.url !== 'string' && typeof o.url !== 'function') {
    throw invalidArgument('connect: `url` must be a string (an SSE endpoint, or ws(s)://) or a function returning one at each connect');
  }
  if (o.transport !== undefined && o.transport !== 'sse' && o.transport !== 'websocket') {
    throw invalidArgument("connect: `transport` must be 'sse' or 'websocket'");
  }
  for (const f of ['parse', 'onError']) {
    if (o[f] !== undefined && typeof o[f] !== 'function') throw invalidArgument(`connect: \`${f}\` must be a function`);
  }
  if (o.onReconnect !== undefined && o.onReconnect !== 'invalidate' && o.onReconnect !== 'none') {
    throw invalidArgument("connect: `onReconnect` must be 'invalidate' or 'none'");
  }
  for (const f of ['heartbeatMs', 'retryDelay', 'maxRetryDelay']) {
    if (o[f] !== undefined && !(typeof o[f] === 'number' && o[f] >= 0 && !Number.isNaN(o[f]))) {
      throw invalidArgument(`connect: \`${f}\` must be a number of milliseconds (0 or more)`);
    }
  }
}

/** Reads an SSE stream's text into events (the WHATWG event-stream rules). */
class SseParser {
  #buf = '';
  #data = null; // lines of the event being read
  #id = undefined;
  constructor(onEvent, onRetry) {
    this.onEvent = onEvent;
    this.onRetry = onRetry;
  }

  push(chunk) {
    this.#buf += chunk;
    let at;
    while ((at = this.#buf.search(/\r\n|\r|\n/)) !== -1) {
      // A lone CR at the very end may be the first half of CRLF: wait for more.
      if (this.#buf[at] === '\r' && at === this.#buf.length - 1) break;
      const line = this.#buf.slice(0, at);
      this.#buf = this.#buf.slice(at + (this.#buf.startsWith('\r\n', at) ? 2 : 1));
      this.#line(line);
    }
  }

  #line(line) {
    if (line === '') {
      const data = this.#data;
      const id = this.#id;
      this.#data = null;
      this.#id = undefined;
      if (data !== null || id !== undefined) this.onEvent(data === null ? null : data.join('\n'), id);
      return;
    }
    if (line.startsWith(':')) return; // a comment: a heartbeat
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') (this.#data ??= []).push(value);
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.onRetry(Number(value));
  }
}

export class Connection {
  #host;
  #o;
  #state;
  #closed = false;
  #opened = false; // opened at least once here: a later open is a reconnect after a gap
  #failures = 0; // consecutive failed attempts (the backoff exponent)
  #retryDelay;
  #abort = null; // the SSE fetch
  #socket = null; // the WebSocket
  #attemptId = 0; // bumped by every open/drop, so a late event of an old attempt is ignored
  #timer = undefined; // reconnect
  #silence = undefined; // heartbeat timer
  #lastTraffic = 0;
  #pending = []; // [message text for the core, text as received] waiting for the microtask flush
  #pendingId = undefined; // the SSE event id the flush records
  #flushing = false; // a flush is scheduled
  #announceTimer = undefined;
  #unlisten = [];
  #leading;

  /**
   * @param options the connect() options
   * @param host { apply(joined) -> [eventId|null, [[index, error]]], invalidate(), headers(),
   *   resolveUrl(url), whenLeader: Promise | null, changed(state), post(state) }
   */
  constructor(options, host) {
    checkOptions(options);
    this.#o = options;
    this.#host = host;
    this.#retryDelay = options.retryDelay ?? 1000;
    this.#leading = host.whenLeader === null;
    this.#state = Object.freeze({ ...CLOSED, status: 'connecting' });
  }

  /** Opens it (in a follower tab: once this tab becomes the sending one). */
  start() {
    const host = this.#host;
    this.#listen();
    host.changed(this.#state);
    if (this.#leading) this.#open();
    else {
      host.ask();
      host.whenLeader.then(() => {
        if (this.#closed) return;
        this.#leading = true;
        this.#open();
      }, report);
    }
  }

  get state() {
    return this.#state;
  }

  /** The sending tab's connection state, posted to this (follower) tab. */
  follow(state) {
    if (this.#leading || this.#closed || !state || typeof state !== 'object') return;
    this.#set({ ...state, error: state.error ? new StrataError(state.error.code, state.error.message) : null });
  }

  close() {
    if (this.#closed) return;
    this.#drop();
    this.#closed = true;
    for (const off of this.#unlisten) off();
    this.#unlisten = [];
    this.#set({ status: 'closed' });
  }

  #set(patch) {
    const next = Object.freeze({ ...this.#state, ...patch });
    this.#state = next;
    this.#host.changed(next);
    // A new status goes to the other tabs at once; the event id and message time at most every
    // 250 ms (a takeover then replays a few events twice, which changes nothing).
    if (Object.keys(patch).some((k) => k !== 'lastEventId' && k !== 'lastMessageAt')) this.announce();
    else if (this.#announceTimer === undefined && this.#leading) {
      this.#announceTimer = setTimeout(() => this.announce(), 250);
    }
  }

  /** Posts the state to the other tabs (the connected tab; also when a new tab asks). */
  announce() {
    clearTimeout(this.#announceTimer);
    this.#announceTimer = undefined;
    if (!this.#leading) return;
    const e = this.#state.error;
    this.#host.post({ ...this.#state, error: e ? { code: e.code, message: e.message } : null });
  }

  #listen() {
    if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return;
    const on = (type, fn) => {
      window.addEventListener(type, fn);
      this.#unlisten.push(() => window.removeEventListener(type, fn));
    };
    on('offline', () => {
      if (!this.#leading || this.#closed) return;
      this.#drop();
      this.#set({ status: 'paused' });
    });
    on('online', () => {
      if (!this.#leading || this.#closed) return;
      this.#failures = 0;
      this.#drop();
      this.#open();
    });
  }

  // ---- opening and dropping ------------------------------------------------------------

  #open() {
    if (this.#closed) return;
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      this.#set({ status: 'paused' });
      return;
    }
    this.#set({ status: 'connecting' });
    const attempt = ++this.#attemptId;
    let url;
    try {
      url = this.#url();
    } catch (e) {
      this.#failed(attempt, e instanceof StrataError ? e : invalidArgument(`connect: url() threw: ${e && e.message}`));
      return;
    }
    if (this.#transport(url) === 'websocket') this.#openSocket(attempt, url);
    else this.#openStream(attempt, url);
  }

  #url() {
    const raw = typeof this.#o.url === 'function' ? this.#o.url() : this.#o.url;
    if (typeof raw !== 'string' || raw === '') throw invalidArgument('connect: url() must return a non-empty string');
    return this.#host.resolveUrl(raw);
  }

  #transport(url) {
    if (this.#o.transport) return this.#o.transport;
    return /^wss?:/i.test(url) ? 'websocket' : 'sse';
  }

  #opened_(attempt) {
    if (attempt !== this.#attemptId) return;
    const reconnect = this.#opened;
    this.#opened = true;
    this.#failures = 0;
    this.#set({ status: 'open', error: null, reconnects: this.#state.reconnects + (reconnect ? 1 : 0) });
    this.#alive(attempt);
    // A gap this connection cannot replay: what it missed is fetched again.
    const resumed = this.#transport(this.#lastUrl) === 'sse' && this.#state.lastEventId !== null;
    const gap = reconnect || this.#state.lastEventId !== null;
    if (gap && !resumed && (this.#o.onReconnect ?? 'invalidate') === 'invalidate') {
      try {
        this.#host.invalidate();
      } catch (e) {
        report(e);
      }
    }
  }

  #lastUrl = '';

  #failed(attempt, error) {
    if (attempt !== this.#attemptId || this.#closed) return;
    this.#drop();
    const max = this.#o.maxRetryDelay ?? 30_000;
    const base = Math.min(max, this.#retryDelay * 2 ** this.#failures);
    this.#failures++;
    const delay = base * (0.5 + Math.random() / 2);
    this.#set({ status: 'connecting', error });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#open();
    }, Math.min(delay, MAX_TIMER));
  }

  // Ends the current attempt (its late events are ignored) and every timer.
  #drop() {
    this.#attemptId++;
    clearTimeout(this.#timer);
    clearTimeout(this.#silence);
    this.#timer = undefined;
    this.#silence = undefined;
    this.#abort?.abort();
    this.#abort = null;
    if (this.#socket) {
      const s = this.#socket;
      this.#socket = null;
      s.onopen = s.onmessage = s.onclose = s.onerror = null;
      try {
        s.close();
      } catch {
        // closing a socket that never opened
      }
    }
  }

  // Traffic of any kind (a message, a heartbeat) moves the silence deadline; the one timer
  // checks it when it fires and waits out the rest (re-arming a timer per chunk cost about 6%
  // of a push's main-thread time at 1,000 messages/s).
  #alive(attempt) {
    const ms = this.#o.heartbeatMs ?? 60_000;
    if (!ms || attempt !== this.#attemptId) return;
    this.#lastTraffic = Date.now();
    if (this.#silence !== undefined) return;
    const check = () => {
      if (attempt !== this.#attemptId) return;
      const left = this.#lastTraffic + ms - Date.now();
      if (left > 0) {
        this.#silence = setTimeout(check, Math.min(left, MAX_TIMER));
        return;
      }
      this.#silence = undefined;
      this.#failed(attempt, new StrataError('TIMEOUT', `the connection was silent for ${ms} ms (heartbeatMs); reopening it`));
    };
    this.#silence = setTimeout(check, Math.min(ms, MAX_TIMER));
  }

  // ---- the transports ------------------------------------------------------------------

  #openStream(attempt, url) {
    this.#lastUrl = url;
    let headers;
    try {
      headers = { Accept: 'text/event-stream', ...this.#host.headers() };
    } catch (e) {
      this.#failed(attempt, new StrataError('AUTH', `headers() threw (${e && e.message}); the connection waits and tries again`));
      return;
    }
    if (this.#state.lastEventId !== null) headers['Last-Event-ID'] = this.#state.lastEventId;
    const controller = new AbortController();
    this.#abort = controller;
    const network = (e) =>
      new StrataError('NETWORK', `the event stream ${url} failed: ${e && e.message ? e.message : e}; check that the server is up (and CORS for another origin)`);
    Promise.resolve()
      .then(() => this.#host.fetch(url, { headers, signal: controller.signal, cache: 'no-store' }))
      .then(async (res) => {
        if (attempt !== this.#attemptId) return;
        if (!res.ok) {
          const code = res.status === 401 ? 'AUTH' : 'HTTP';
          this.#failed(attempt, new StrataError(code, `GET ${url} answered ${res.status}`, { status: res.status }));
          return;
        }
        const type = res.headers.get('content-type') || '';
        if (!type.toLowerCase().startsWith('text/event-stream') || !res.body) {
          this.#failed(attempt, new StrataError('PARSE', `GET ${url} answered ${type || 'no content type'}, not text/event-stream`));
          return;
        }
        this.#opened_(attempt);
        const parser = new SseParser(
          (data, id) => {
            if (attempt !== this.#attemptId) return;
            if (data !== null) this.#message(data);
            if (id !== undefined) {
              this.#pendingId = id;
              this.#schedule();
            }
          },
          (ms) => {
            this.#retryDelay = ms;
          },
        );
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (attempt !== this.#attemptId) return;
          if (done) break;
          this.#alive(attempt);
          parser.push(value);
        }
        this.#failed(attempt, new StrataError('NETWORK', `the event stream ${url} ended; reconnecting`));
      })
      .catch((e) => {
        if (attempt === this.#attemptId) this.#failed(attempt, network(e));
      });
  }

  #openSocket(attempt, url) {
    let wsUrl;
    try {
      const base = typeof location !== 'undefined' ? location.href : undefined;
      const u = new URL(url, base);
      if (u.protocol === 'http:') u.protocol = 'ws:';
      else if (u.protocol === 'https:') u.protocol = 'wss:';
      wsUrl = u.href;
    } catch {
      this.#failed(attempt, invalidArgument(`connect: ${url} is not a url a WebSocket can open`));
      return;
    }
    this.#lastUrl = wsUrl;
    let s;
    try {
      s = new WebSocket(wsUrl);
    } catch (e) {
      this.#failed(attempt, invalidArgument(`connect: new WebSocket(${wsUrl}) threw: ${e && e.message}`));
      return;
    }
    this.#socket = s;
    s.onopen = () => this.#opened_(attempt);
    s.onmessage = (e) => {
      if (attempt !== this.#attemptId) return;
      this.#alive(attempt);
      if (typeof e.data === 'string') this.#message(e.data);
      else this.#reject(new StrataError('PARSE', 'a binary WebSocket message; strata reads text (JSON) messages'), null);
    };
    s.onclose = (e) => {
      this.#failed(attempt, new StrataError('NETWORK', `the WebSocket ${wsUrl} closed (${e.code}${e.reason ? `: ${e.reason}` : ''}); reconnecting`));
    };
  }

  // ---- messages ------------------------------------------------------------------------

  #message(text) {
    let msg = text;
    if (this.#o.parse) {
      let ops;
      try {
        ops = this.#o.parse(text);
      } catch (e) {
        this.#reject(new StrataError('PARSE', `connect({ parse }) threw: ${e && e.message}`), text);
        return;
      }
      if (ops === null || ops === undefined) return; // the app's parse skips it
      msg = JSON.stringify(Array.isArray(ops) ? { type: 'batch', messages: ops } : ops);
      if (msg === undefined) {
        this.#reject(new StrataError('PARSE', 'connect({ parse }) returned something that is not JSON'), text);
        return;
      }
    } else if (text.includes('\0')) {
      this.#reject(new StrataError('PARSE', 'the push message is not valid JSON (it holds a NUL character)'), text);
      return;
    }
    this.#pending.push([msg, text]);
    this.#schedule();
  }

  #schedule() {
    if (this.#flushing) return;
    this.#flushing = true;
    queueMicrotask(() => this.#flush());
  }

  // One core call for every message that arrived since the last flush.
  // Then one state change for the lot (lastMessageAt, lastEventId).
  #flush() {
    this.#flushing = false;
    const batch = this.#pending;
    const sseId = this.#pendingId;
    this.#pending = [];
    this.#pendingId = undefined;
    if (this.#closed) return;
    const patch = {};
    let rejected = [];
    if (batch.length) {
      patch.lastMessageAt = Date.now();
      try {
        const r = this.#host.apply(batch.map((m) => m[0]).join('\0')) ?? [null, []];
        rejected = r[1];
        // SSE resumes from its `id:` lines; a WebSocket from the messages' eventId.
        if (r[0] !== null && this.#transport(this.#lastUrl) === 'websocket') patch.lastEventId = r[0];
      } catch (e) {
        this.#reject(e instanceof StrataError ? e : new StrataError('INTERNAL', String(e && e.message)), null);
      }
    }
    if (sseId !== undefined) patch.lastEventId = sseId;
    if (Object.keys(patch).length) this.#set(patch);
    for (const [i, e] of rejected) this.#reject(new StrataError(e.code, e.message), batch[i]?.[1] ?? null);
  }

  #reject(error, text) {
    error.text = text;
    const onError = this.#o.onError;
    if (!onError) {
      console.warn(`strata: a push message was refused (${error.code}): ${error.message}`);
      return;
    }
    try {
      onError(error);
    } catch (e) {
      report(e);
    }
  }
}
