// The Store: the JS wrapper around the wasm core. Writes cross into wasm once per call and
// come back as one change batch; reads are Map lookups on the snapshots (never a wasm call).

import { StrataError, fromCore, invalidArgument } from './errors.js';
import { hashKey, toJson, describe } from './keys.js';
import { Snapshots } from './snapshots.js';

function report(error) {
  // A throwing listener must not stop the others; surface it like an event listener error.
  if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
  else console.error(error);
}

export class Store {
  #core;
  #snap;
  #entitySubs = new Map(); // key -> Set<sub>
  #querySubs = new Map(); // hash -> Set<sub>
  #queue = []; // pending listener calls: [set, sub]
  #notifying = false;
  #closed = false;
  #options;

  /** @internal use createStore() */
  constructor(core, options) {
    this.#core = core;
    this.#options = options;
    this.#snap = new Snapshots(options.entities);
  }

  // ---- queries ---------------------------------------------------------------------------

  /** Writes data for a query, normalized through `shape`. */
  setQueryData(queryKey, data, options = {}) {
    this.#open();
    const hash = hashKey(queryKey);
    if (options === null || typeof options !== 'object') {
      throw invalidArgument(`setQueryData options must be an object like { shape }, got ${describe(options)}`);
    }
    if (data === undefined) {
      throw invalidArgument('setQueryData: data is undefined; pass JSON data (use removeQueries to drop a query)');
    }
    const dataJson = toJson(data, 'setQueryData data');
    const shapeJson = toJson(options.shape === undefined ? null : options.shape, 'shape', 'SHAPE');
    this.#write(() => this.#core.setQueryData(hash, JSON.stringify(queryKey), dataJson, shapeJson));
  }

  /** The query's denormalized data, the same object until it changes; undefined if none. */
  getQueryData(queryKey) {
    this.#open();
    return this.#snap.query(hashKey(queryKey));
  }

  /**
   * Calls `listener()` after every change batch that changed this query's snapshot.
   * Returns the unsubscribe function.
   */
  subscribeQuery(options, listener) {
    this.#open();
    if (options === null || typeof options !== 'object') {
      throw invalidArgument(`subscribeQuery expects options like { queryKey }, got ${describe(options)}`);
    }
    return this.#subscribe(this.#querySubs, hashKey(options.queryKey), listener);
  }

  // ---- entities --------------------------------------------------------------------------

  /** The entity's denormalized snapshot, the same object until it changes; undefined if not cached. */
  getEntity(type, id) {
    this.#open();
    return this.#snap.entity(this.#key(type, id));
  }

  /** Merges `patch` into the entity (a partial entity is created if it is not cached). */
  updateEntity(type, id, patch) {
    this.#open();
    this.#key(type, id);
    const patchJson = toJson(patch, 'updateEntity patch');
    this.#write(() => this.#core.updateEntity(type, JSON.stringify(id), patchJson));
  }

  /** Calls `listener()` whenever the entity's snapshot changes. Returns the unsubscribe function. */
  subscribeEntity(type, id, listener) {
    this.#open();
    return this.#subscribe(this.#entitySubs, this.#key(type, id), listener);
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** Stops this store: frees the wasm side; later calls throw CLOSED. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#entitySubs.clear();
    this.#querySubs.clear();
    this.#queue.length = 0;
    this.#snap.clear();
    this.#core.free();
  }

  /** @internal the core's own JSON reading of a query, for tests. */
  _coreReadQuery(queryKey) {
    this.#open();
    const text = this.#core.readQuery(hashKey(queryKey));
    return text === undefined ? undefined : JSON.parse(text);
  }

  // ---- internals -------------------------------------------------------------------------

  #open() {
    if (this.#closed) throw new StrataError('CLOSED', 'this store was closed; create a new one with createStore()');
  }

  #key(type, id) {
    if (typeof type !== 'string' || !this.#snap.hasType(type)) {
      throw invalidArgument(`unknown entity type ${JSON.stringify(type)}; declare it in createStore({ entities })`);
    }
    if (typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) {
      throw invalidArgument(`entity id must be a string or a finite number, got ${describe(id)}`);
    }
    return `${type}:${id}`;
  }

  #subscribe(index, key, listener) {
    if (typeof listener !== 'function') throw invalidArgument('listener must be a function');
    let set = index.get(key);
    if (set === undefined) index.set(key, (set = new Set()));
    const sub = { listener }; // one object per subscription: the same function may subscribe twice
    set.add(sub);
    return () => {
      set.delete(sub);
      if (set.size === 0 && index.get(key) === set) index.delete(key);
    };
  }

  // One wasm call, then the batch is applied and listeners run after the core is released,
  // so a listener may call back into the store.
  #write(call) {
    let text;
    try {
      text = call();
    } catch (e) {
      throw fromCore(e);
    }
    const changed = this.#snap.apply(text);
    this.#enqueue(this.#entitySubs, changed.entities);
    this.#enqueue(this.#querySubs, changed.queries);
    this.#drain();
  }

  #enqueue(index, keys) {
    if (index.size === 0) return;
    for (const k of keys) {
      const set = index.get(k);
      if (set !== undefined) for (const sub of set) this.#queue.push(set, sub);
    }
  }

  // Listener calls triggered from inside a listener join the queue and run after the current
  // ones, in order; each batch calls each subscription at most once.
  #drain() {
    if (this.#notifying) return;
    this.#notifying = true;
    try {
      const q = this.#queue;
      for (let i = 0; i < q.length; i += 2) {
        const set = q[i];
        const sub = q[i + 1];
        if (!set.has(sub)) continue; // unsubscribed meanwhile
        try {
          sub.listener();
        } catch (e) {
          report(e);
        }
      }
      q.length = 0;
    } finally {
      this.#notifying = false;
    }
  }
}
