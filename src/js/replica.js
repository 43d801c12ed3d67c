// The Replica: a persisted store's copy in IndexedDB and in its other tabs. Owns the outbox
// writes (strict, group commit), the cache delta writes (relaxed, debounced), the
// BroadcastChannel messages, the election of the tab that sends, and followers' flush asks.

import { fromCore, report } from './errors.js';
import { newId } from './keys.js';
import { storageError } from './persist.js';
import { Tabs } from './tabs.js';

// A cache delta waits this long for more changes before it is written and broadcast (the
// issue allows up to 1 s; shorter keeps other tabs close behind).
const CACHE_DELAY = 200;
// A follower's flush() waits this long for the sending tab to answer.
const FLUSH_ASK_TIMEOUT = 30_000;

export class Replica {
  #core;
  #persistence;
  #host; // the Store's side: run(call), flush(), settle(id, ok, value), sync(state)
  #closed = false;
  #tabs = null;
  #leader = true; // this tab sends the outbox
  #io = Promise.resolve(); // IndexedDB outbox reads and writes, one after another
  #outboxPending = null; // Map id -> record | null: the next outbox write (see #writeOutbox)
  #syncPosted = ''; // the sync fields last posted to the other tabs
  #cacheTimer = undefined;
  #buster = '';
  #version = 0; // persist.version: the app's version of its cached data
  #remoteSync = null; // the sending tab's { inflight, lastError, lastSyncAt } (followers)
  #flushAsks = new Map(); // nonce -> resolve (followers waiting for the sender's flush)
  #leading = null; // { promise, resolve }: whenLeader()

  /**
   * @param host `run(call)`: one wasm call, its batch applied; `flush()`: the store's; `events`: the timeline;
   *   `settle(id, ok, value)`: another tab sent this tab's mutation; `sync(state)`: the
   *   sending tab's sync state arrived.
   */
  constructor(core, persistence, host) {
    this.#core = core;
    this.#persistence = persistence;
    this.#host = host;
  }

  /**
   * Loads what IndexedDB holds (the cache, marked stale, then the outbox with its layers
   * re-applied), joins the other tabs and waits for its turn to send.
   */
  async init(name) {
    const run = this.#host.run;
    // Validated by the core: null maxAge is no limit.
    const p = JSON.parse(this.#core.persistOptions());
    const buster = p ? p.buster : '';
    const maxAge = p && p.maxAge !== null ? p.maxAge : Infinity;
    const version = p ? p.version : 0;
    this.#buster = buster;
    this.#version = version;
    let loaded = { outbox: [], cache: null };
    try {
      loaded = await this.#persistence.load({ buster, maxAge, version, migrate: this.#host.migrate });
    } catch (e) {
      console.warn(`strata: could not read IndexedDB (${e && (e.name || e.message)}); starting empty`);
    }
    this.#tabs = new Tabs(name, (msg) => this.#onTab(msg), this.#host.events);
    this.#leader = false;
    run(() => this.#core.setTab(newId())); // orders two tabs' copies of one record
    run(() => this.#core.setLeader(false));
    try {
      if (loaded.cache) run(() => this.#core.applyCache(loaded.cache, true));
    } catch (e) {
      // A cache that cannot be applied is only a cache: start without it, and drop it (its
      // chunks would fail every later start too).
      console.warn(`strata: the persisted cache could not be read (${e && e.message}); it is dropped`);
      this.#ioStep(() => this.#persistence.dropCache());
    }
    // Unreadable records become failed STORAGE entries inside (each record is read on its
    // own); the store opens whatever happens here, and what is stored stays stored.
    try {
      if (loaded.outbox.length) run(() => this.#core.reconcileOutbox(JSON.stringify(loaded.outbox)));
    } catch (e) {
      console.warn(`strata: the stored outbox could not be read (${e && e.message}); it is kept in IndexedDB`);
    }
    this.#tabs.elect(() => {
      // Read the outbox as the previous sender left it, then start sending.
      this.#ioStep(async () => {
        const records = await this.#persistence.readOutbox();
        if (this.#closed) return;
        run(() => this.#core.reconcileOutbox(JSON.stringify(records)));
        this.#leader = true;
        run(() => this.#core.setLeader(true));
        this.#leading?.resolve();
        // Flushes this tab asked of the previous sender: this tab answers them now.
        const asks = [...this.#flushAsks.values()];
        this.#flushAsks.clear();
        if (asks.length) this.#host.flush().then(() => asks.forEach((resolve) => resolve()), report);
      });
    });
  }

  /** Resolves once this tab sends the outbox (and so holds the store's connection). */
  whenLeader() {
    if (!this.#leading) {
      let resolve;
      const promise = new Promise((r) => {
        resolve = r;
      });
      this.#leading = { promise, resolve };
      if (this.#leader && this.#tabs) resolve();
    }
    return this.#leading.promise;
  }

  /** The sending tab's connection state, for the other tabs to show. */
  postConnection(state) {
    if (this.#leader) this.#tabs?.post({ t: 'conn', state });
  }

  /** A tab that just called connect() asks the sending tab for its connection state. */
  askConnection() {
    if (!this.#leader) this.#tabs?.post({ t: 'conn?' });
  }

  /** Another tab sends the outbox: flush() asks it (askSender). */
  get follower() {
    return this.#tabs !== null && !this.#leader;
  }

  /** Settles when this tab's IndexedDB work queued so far is done (it never rejects). */
  idle() {
    return this.#io;
  }

  /** The sync state to show: a follower takes inflight, lastError and lastSyncAt from the sender. */
  syncView(raw) {
    const r = this.#remoteSync;
    if (this.#leader || !r) return raw;
    return { ...raw, inflight: r.inflight, lastError: r.lastError, lastSyncAt: r.lastSyncAt };
  }

  /** What a core batch asks of IndexedDB and the other tabs. */
  batch(b) {
    if (b.y && this.#leader && this.#tabs) {
      // Followers take only these from the sender; post when they change.
      const { inflight, lastError, lastSyncAt } = b.y.state;
      const posted = JSON.stringify([inflight, lastError, lastSyncAt]);
      if (posted !== this.#syncPosted) {
        this.#syncPosted = posted;
        this.#tabs.post({ t: 'sync', state: b.y.state });
      }
    }
    if (b.ob) this.#writeOutbox(b.ob);
    if (b.p && this.#cacheTimer === undefined) this.#cacheTimer = setTimeout(() => this.flushCache(), CACHE_DELAY);
    if (this.#tabs && b.ms && b.ms.length) {
      // Other tabs get the server data before they drop the settled layers.
      this.flushCache();
      for (const [id, ok, value] of b.ms) {
        if (ok || value.code !== 'CLEARED') this.#tabs.post({ t: 'done', id, ok, value });
      }
    }
  }

  // The base records and query results changed since the last call: to the other tabs now,
  // to IndexedDB in one relaxed transaction.
  flushCache() {
    clearTimeout(this.#cacheTimer);
    this.#cacheTimer = undefined;
    if (this.#closed) return;
    let text;
    try {
      text = this.#core.takeCacheDelta();
    } catch (e) {
      report(fromCore(e));
      return;
    }
    if (text === '{"e":[],"q":[]}') return; // nothing changed
    this.#tabs?.post({ t: 'cache', delta: text });
    const compact = (chunks) => this.#core.compactCache(chunks);
    this.#persistence.writeCache(text, this.#buster, this.#version, compact).catch((e) => report(storageError(e, 'saving the cache')));
  }

  /** A follower's flush(): the sending tab flushes; resolves when it answered (or gave no answer). */
  askSender() {
    const nonce = newId();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#flushAsks.delete(nonce);
        resolve();
      }, FLUSH_ASK_TIMEOUT);
      this.#flushAsks.set(nonce, () => {
        clearTimeout(timer);
        resolve();
      });
      this.#tabs.post({ t: 'flush', nonce });
    });
  }

  /** Logout: wipes this tab and IndexedDB, then every other tab; settles when IndexedDB is clear. */
  clear() {
    this.#wipe();
    this.#tabs?.post({ t: 'clear' });
    return this.#io;
  }

  /** Writes the last cache changes, leaves the other tabs, closes IndexedDB after its pending work. */
  close() {
    this.flushCache();
    this.#closed = true;
    clearTimeout(this.#cacheTimer);
    this.#tabs?.close();
    const persistence = this.#persistence;
    this.#io.then(() => persistence.close());
    for (const resolve of this.#flushAsks.values()) resolve();
    this.#flushAsks.clear();
  }

  // Memory now; IndexedDB after this tab's pending writes (so none of them outlives the wipe).
  #wipe() {
    clearTimeout(this.#cacheTimer);
    this.#cacheTimer = undefined;
    this.#remoteSync = null;
    this.#host.run(() => this.#core.clear());
    const persistence = this.#persistence;
    this.#ioStep(() => persistence.clear());
  }

  // IndexedDB work runs one step at a time, in order; a failed step never blocks later ones.
  #ioStep(step) {
    this.#io = this.#io.then(step).catch((e) => report(e));
    return this.#io;
  }

  // Outbox records the core asked for, written in one strict transaction; then the new
  // mutations among them count as queued (and may be sent).
  //
  // Group commit: records that arrive while a write is under way (a burst of mutate() calls)
  // wait for it and then go together in the next transaction, the latest record per id.
  #writeOutbox(changes) {
    if (this.#outboxPending) {
      for (const [id, record] of changes) {
        this.#outboxPending.delete(id);
        this.#outboxPending.set(id, record);
      }
      return;
    }
    this.#outboxPending = new Map(changes);
    const persistence = this.#persistence;
    this.#ioStep(async () => {
      const batch = [...this.#outboxPending];
      this.#outboxPending = null;
      const ids = JSON.stringify(batch.filter(([, record]) => record).map(([id]) => id));
      try {
        await persistence.writeOutbox(batch);
      } catch (e) {
        if (this.#closed) return;
        const err = storageError(e, 'saving the mutation');
        // Every id of the batch, deletions too: the core writes again what it cannot drop.
        const all = JSON.stringify(batch.map(([id]) => id));
        this.#host.run(() => this.#core.persistFailed(all, err.code, err.message));
        return;
      }
      if (this.#closed) return;
      if (ids !== '[]') this.#host.run(() => this.#core.persisted(ids));
      this.#tabs?.post({ t: 'outbox' });
    });
  }

  #onTab(msg) {
    if (this.#closed || !msg || typeof msg !== 'object') return;
    const run = this.#host.run;
    try {
      switch (msg.t) {
        case 'cache':
          run(() => this.#core.applyCache(msg.delta, false));
          break;
        case 'outbox':
          this.#ioStep(async () => {
            const records = await this.#persistence.readOutbox();
            if (!this.#closed) run(() => this.#core.reconcileOutbox(JSON.stringify(records)));
          });
          break;
        case 'done':
          // The mutation was sent by another tab: settle this tab's promise for it.
          this.#host.settle(msg.id, msg.ok, msg.value);
          if (msg.ok) run(() => this.#core.forgetMutation(msg.id));
          break;
        case 'sync':
          if (!this.#leader) {
            this.#remoteSync = msg.state;
            this.#host.sync(msg.state);
          }
          break;
        case 'flush':
          if (this.#leader) this.#host.flush().then(() => this.#tabs?.post({ t: 'flushed', nonce: msg.nonce }), report);
          break;
        case 'flushed': {
          const resolve = this.#flushAsks.get(msg.nonce);
          this.#flushAsks.delete(msg.nonce);
          resolve?.();
          break;
        }
        case 'clear':
          this.#wipe();
          break;
        case 'conn':
          if (!this.#leader) this.#host.connection?.(msg.state);
          break;
        case 'conn?':
          if (this.#leader) this.#host.announceConnection?.();
          break;
        default:
      }
    } catch (e) {
      report(e);
    }
  }
}
