// IndexedDB I/O for one store: the outbox (strict durability) and the persisted cache
// (relaxed). What to write and when is decided by the core (src/core/persist.rs); this file
// only moves records. Why not rexie: see docs/ARCHITECTURE.md ("IndexedDB").

import { StrataError } from './errors.js';

const DB_VERSION = 1;
// The cache's layout; the outbox records carry their own format (src/core/records.rs).
export const CACHE_FORMAT = 1;
const STORES = ['outbox', 'entities', 'queries', 'meta'];

/** The IndexedDB database name of store `name` (two users' stores never share one). */
export function dbName(name) {
  return `strata:${name}`;
}

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new DOMException('transaction aborted', 'AbortError'));
  });
}

/** A storage failure as a StrataError: `QUOTA` when the browser refused for space. */
export function storageError(e, what) {
  const quota = e && (e.name === 'QuotaExceededError' || /quota/i.test(String(e.message)));
  const err = new StrataError(
    quota ? 'QUOTA' : 'STORAGE',
    quota
      ? `${what}: the browser's storage quota is exhausted (${e && e.message}); free space or clear old data`
      : `${what}: IndexedDB failed (${e && (e.name || e.message)})`,
  );
  err.cause = e;
  return err;
}

/**
 * Opens the database of store `name`, or resolves with null (and a warning) when IndexedDB is
 * missing or cannot be opened: the store then keeps everything in memory.
 */
export async function openPersistence(name) {
  if (typeof indexedDB === 'undefined') {
    console.warn('strata: IndexedDB is not available; this store keeps its data and queue in memory only');
    return null;
  }
  try {
    const request = indexedDB.open(dbName(name), DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const s of STORES) if (!db.objectStoreNames.contains(s)) db.createObjectStore(s, s === 'outbox' ? { keyPath: 'id' } : undefined);
    };
    // Another tab holds an older version open and does not close it: give up after a while
    // rather than hang createStore.
    const blocked = new Promise((_, reject) => {
      request.onblocked = () => setTimeout(() => reject(new DOMException('blocked by another tab', 'BlockedError')), 3000);
    });
    blocked.catch(() => {}); // only the race below reports it
    const db = await Promise.race([promised(request), blocked]);
    return new Persistence(db);
  } catch (e) {
    console.warn(`strata: IndexedDB could not be opened (${e && (e.name || e.message)}); this store keeps its data and queue in memory only`);
    return null;
  }
}

export class Persistence {
  #db;

  constructor(db) {
    this.#db = db;
    // A newer version of the app wants to upgrade the database: let it (this tab keeps working
    // in memory; its writes fail as STORAGE until reloaded).
    db.onversionchange = () => db.close();
  }

  /**
   * Reads what a previous session left: the outbox records and, unless it was written under
   * another buster, in another format or longer than `maxAge` ms ago, the cache as a delta
   * (`{ e: [[key, record]], q: [[hash, query]] }`, see src/core/persist.rs). A cache that does
   * not qualify is deleted.
   */
  async load({ buster = '', maxAge = Infinity, version = 0, migrate } = {}) {
    const tx = this.#db.transaction(STORES, 'readonly');
    const [outbox, meta, eKeys, eVals, qKeys, qVals] = await Promise.all([
      promised(tx.objectStore('outbox').getAll()),
      promised(tx.objectStore('meta').get('cache')),
      promised(tx.objectStore('entities').getAllKeys()),
      promised(tx.objectStore('entities').getAll()),
      promised(tx.objectStore('queries').getAllKeys()),
      promised(tx.objectStore('queries').getAll()),
    ]);
    const usable =
      meta && meta.format === CACHE_FORMAT && meta.buster === buster && Date.now() - meta.writtenAt <= maxAge;
    if (!usable) {
      if (meta || eKeys.length || qKeys.length) await this.#clear(['entities', 'queries', 'meta']);
      return { outbox, cache: null };
    }
    let cache = { e: eKeys.map((k, i) => [k, eVals[i]]), q: qKeys.map((k, i) => [k, qVals[i]]) };
    const was = meta.version ?? 0;
    if (was !== version) {
      // Written under another version of the app's data: migrated by the app, or dropped.
      let migrated = null;
      if (migrate) {
        try {
          migrated = migrate(cache, was);
        } catch (e) {
          console.warn(`strata: persist.migrate threw (${e && e.message}); the cached data is dropped`);
        }
      }
      const ok = migrated && Array.isArray(migrated.e) && Array.isArray(migrated.q);
      await this.#clear(['entities', 'queries', 'meta']);
      if (!ok) return { outbox, cache: null };
      cache = migrated;
      await this.writeCache(cache, buster, version); // stored again, whole, as the new version
    }
    return { outbox, cache };
  }

  /** Every outbox record (another tab changed the outbox). */
  readOutbox() {
    return promised(this.#db.transaction('outbox', 'readonly').objectStore('outbox').getAll());
  }

  /** Writes outbox records in one transaction that commits only once on disk. */
  writeOutbox(changes) {
    const tx = this.#db.transaction('outbox', 'readwrite', { durability: 'strict' });
    const store = tx.objectStore('outbox');
    for (const [id, record] of changes) {
      if (record) store.put(record);
      else store.delete(id);
    }
    return done(tx);
  }

  /** Writes a cache delta (relaxed: losing the last second of cache on a crash is fine). */
  writeCache(delta, buster, version = 0) {
    const tx = this.#db.transaction(['entities', 'queries', 'meta'], 'readwrite', { durability: 'relaxed' });
    const entities = tx.objectStore('entities');
    const queries = tx.objectStore('queries');
    for (const [k, rec] of delta.e) {
      if (rec) entities.put(rec, k);
      else entities.delete(k);
    }
    for (const [h, q] of delta.q) {
      if (q) queries.put(q, h);
      else queries.delete(h);
    }
    tx.objectStore('meta').put({ format: CACHE_FORMAT, buster, version, writtenAt: Date.now() }, 'cache');
    return done(tx);
  }

  /** Deletes everything of this store (logout). */
  clear() {
    return this.#clear(STORES);
  }

  #clear(names) {
    const tx = this.#db.transaction(names, 'readwrite', { durability: 'strict' });
    for (const n of names) tx.objectStore(n).clear();
    return done(tx);
  }

  close() {
    this.#db.close();
  }
}
