// The Notifier: the listeners of entities, queries, the query listing, the sync state and the connection, and the queue of the
// listener calls a batch triggers. They run after the core returned, so a listener may call
// the store again (its calls join the queue); a throwing listener does not stop the others.

import { invalidArgument, report } from './errors.js';

function check(listener) {
  if (typeof listener !== 'function') throw invalidArgument('listener must be a function');
  return { listener }; // one object per subscription: the same function may subscribe twice
}

export class Notifier {
  #entities = new Map(); // key -> Set<sub>
  #queries = new Map(); // hash -> Set<sub>
  #sync = new Set();
  #connection = new Set();
  #listing = new Set(); // store.queries() listeners
  #queue = []; // pending listener calls: set, sub, set, sub, ...
  #notifying = false;
  #held = false; // see holdUntilMicrotask

  /** Subscribes to an entity key; returns the unsubscribe function. */
  onEntity(key, listener) {
    return this.#subscribe(this.#entities, key, listener);
  }

  /** Subscribes to a query hash; returns the unsubscribe function. */
  onQuery(hash, listener) {
    return this.#subscribe(this.#queries, hash, listener);
  }

  /** Subscribes to the sync state; returns the unsubscribe function. */
  onSync(listener) {
    const sub = check(listener);
    this.#sync.add(sub);
    return () => this.#sync.delete(sub);
  }

  /** Subscribes to the connection state; returns the unsubscribe function. */
  onConnection(listener) {
    const sub = check(listener);
    this.#connection.add(sub);
    return () => this.#connection.delete(sub);
  }

  /** Subscribes to the query listing (`store.queries()`); returns the unsubscribe function. */
  onQueries(listener) {
    const sub = check(listener);
    this.#listing.add(sub);
    return () => this.#listing.delete(sub);
  }

  /** Queues the listing listeners (they run at the next drain). */
  queriesChanged() {
    for (const sub of this.#listing) this.#queue.push(this.#listing, sub);
  }

  /** The connection state changed: its listeners run (now, unless a drain is under way). */
  connectionChanged() {
    for (const sub of this.#connection) this.#queue.push(this.#connection, sub);
    this.drain();
  }

  /** Queues the sync listeners (they run at the next drain). */
  syncChanged() {
    for (const sub of this.#sync) this.#queue.push(this.#sync, sub);
  }

  /** Queues the listeners of the changed entities and queries, then runs the queue. */
  changed(entities, queries) {
    this.#enqueue(this.#entities, entities);
    this.#enqueue(this.#queries, queries);
    if (queries.size > 0) this.queriesChanged(); // a Set of hashes
    this.drain();
  }

  // Listener calls triggered from inside a listener join the queue and run after the current
  // ones, in order; each batch calls each subscription at most once.
  drain() {
    if (this.#notifying || this.#held) return;
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

  /**
   * The listener calls queued from now on run in a microtask, not at once: a call made while
   * React renders (<HydrationBoundary>) must not update other components during that render.
   */
  holdUntilMicrotask() {
    if (this.#held) return;
    this.#held = true;
    queueMicrotask(() => {
      this.#held = false;
      this.drain();
    });
  }

  /** Drops every subscription and every queued call (the store closed). */
  clear() {
    this.#sync.clear();
    this.#listing.clear();
    this.#entities.clear();
    this.#queries.clear();
    this.#queue.length = 0;
  }

  #subscribe(index, key, listener) {
    const sub = check(listener);
    let set = index.get(key);
    if (set === undefined) index.set(key, (set = new Set()));
    set.add(sub);
    return () => {
      set.delete(sub);
      if (set.size === 0 && index.get(key) === set) index.delete(key);
    };
  }

  #enqueue(index, keys) {
    if (index.size === 0) return;
    for (const k of keys) {
      const set = index.get(k);
      if (set !== undefined) for (const sub of set) this.#queue.push(set, sub);
    }
  }
}
