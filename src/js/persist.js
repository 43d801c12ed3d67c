// IndexedDB I/O for one store: the outbox (strict durability) and the persisted cache
// (relaxed). What to write and when is decided by the core (src/core/persist.rs); this file
// only moves records. Why not rexie: see docs/ARCHITECTURE.md ("IndexedDB").

import { StrataError } from './errors.js';

// 2: the cache is a few delta texts (`chunks`) instead of one object per record.
const DB_VERSION = 2;
// The cache's layout; the outbox records carry their own format (src/core/records.rs).
// 1: one IndexedDB object per entity (`entities`) and query (`queries`), read once and
// rewritten as a chunk; 2: `chunks`, delta texts in the order written.
export const CACHE_FORMAT = 2;
const STORES = ['outbox', 'entities', 'queries', 'meta', 'chunks'];
const CACHE_STORES = ['entities', 'queries', 'meta', 'chunks'];
// Past this many chunks the cache is rewritten as one (compactCache).
export const MAX_CHUNKS = 32;
const EMPTY = '{"e":[],"q":[]}';

/** The chunk texts as the one JSON text the core reads (an array of deltas, oldest first). */
function joined(texts) {
  return `[${texts.join(',')}]`;
}

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
      // Only adds stores: the outbox and the old cache stores stay as they are.
      for (const s of STORES) {
        if (db.objectStoreNames.contains(s)) continue;
        db.createObjectStore(s, s === 'outbox' ? { keyPath: 'id' } : s === 'chunks' ? { autoIncrement: true } : undefined);
      }
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

/** Chunks (deltas, oldest first) as one `{ e, q }`, the later entry winning (for persist.migrate). */
function mergedDelta(chunks) {
  if (!Array.isArray(chunks)) return chunks;
  const e = new Map();
  const q = new Map();
  for (const c of chunks) {
    for (const [k, v] of c.e || []) e.set(k, v);
    for (const [h, v] of c.q || []) q.set(h, v);
  }
  const present = ([, v]) => v !== null && v !== undefined;
  return { e: [...e].filter(present), q: [...q].filter(present) };
}

export class Persistence {
  #db;
  #chunks = 0; // the cache's chunk count as this tab knows it

  constructor(db) {
    this.#db = db;
    // A newer version of the app wants to upgrade the database: let it (this tab keeps working
    // in memory; its writes fail as STORAGE until reloaded).
    db.onversionchange = () => db.close();
  }

  /**
   * Reads what a previous session left: the outbox records and, unless it was written under
   * another buster or longer than `maxAge` ms ago, the cache as one JSON text for the core
   * (`applyCache`: an array of deltas `{ e: [[key, record]], q: [[hash, query]] }`, see
   * src/core/sync/delta.rs). A cache that does not qualify is deleted; one in the old
   * per-record format is rewritten as a chunk.
   */
  async load({ buster = '', maxAge = Infinity, version = 0, migrate } = {}) {
    const tx = this.#db.transaction(['outbox', 'meta', 'chunks'], 'readonly');
    const [outbox, meta, texts] = await Promise.all([
      promised(tx.objectStore('outbox').getAll()),
      promised(tx.objectStore('meta').get('cache')),
      promised(tx.objectStore('chunks').getAll()),
    ]);
    this.#chunks = texts.length;
    const usable =
      meta && (meta.format === 1 || meta.format === CACHE_FORMAT) && meta.buster === buster && Date.now() - meta.writtenAt <= maxAge;
    if (!usable) {
      if (meta || texts.length) await this.#clear(CACHE_STORES);
      else await this.#clearOld(); // records of a format-1 cache whose meta was never written
      return { outbox, cache: null };
    }
    const was = meta.version ?? 0;
    let text;
    if (meta.format === 1) {
      // Written by an older strata: read the records once and store them as one chunk.
      text = JSON.stringify(await this.#readOld());
      if (was === version) await this.#replaceCache(text, buster, version);
    } else {
      text = texts.length ? joined(texts) : null;
    }
    if (was !== version) {
      // Written under another version of the app's data: migrated by the app, or dropped.
      let migrated = null;
      if (migrate && text) {
        try {
          migrated = migrate(mergedDelta(JSON.parse(text)), was);
        } catch (e) {
          console.warn(`strata: persist.migrate threw (${e && e.message}); the cached data is dropped`);
        }
      }
      const ok = migrated && Array.isArray(migrated.e) && Array.isArray(migrated.q);
      await this.#clear(CACHE_STORES);
      this.#chunks = 0;
      if (!ok) return { outbox, cache: null };
      text = JSON.stringify(migrated);
      await this.#replaceCache(text, buster, version); // stored again, whole, as the new version
    }
    return { outbox, cache: text };
  }

  /** How many chunks this tab knows the cache to have (its own writes since load included). */
  get chunkCount() {
    return this.#chunks;
  }

  // A format-1 cache: one object per entity and query.
  async #readOld() {
    const tx = this.#db.transaction(['entities', 'queries'], 'readonly');
    const [eKeys, eVals, qKeys, qVals] = await Promise.all([
      promised(tx.objectStore('entities').getAllKeys()),
      promised(tx.objectStore('entities').getAll()),
      promised(tx.objectStore('queries').getAllKeys()),
      promised(tx.objectStore('queries').getAll()),
    ]);
    return { e: eKeys.map((k, i) => [k, eVals[i]]), q: qKeys.map((k, i) => [k, qVals[i]]) };
  }

  async #clearOld() {
    const tx = this.#db.transaction(['entities', 'queries'], 'readonly');
    const [e, q] = await Promise.all([promised(tx.objectStore('entities').count()), promised(tx.objectStore('queries').count())]);
    if (e || q) await this.#clear(['entities', 'queries']);
  }

  // The whole cache as one chunk (the old records and chunks gone), in one transaction.
  #replaceCache(text, buster, version) {
    const tx = this.#db.transaction(CACHE_STORES, 'readwrite', { durability: 'relaxed' });
    for (const n of ['entities', 'queries', 'chunks']) tx.objectStore(n).clear();
    tx.objectStore('chunks').add(text);
    tx.objectStore('meta').put({ format: CACHE_FORMAT, buster, version, writtenAt: Date.now() }, 'cache');
    this.#chunks = 1;
    return done(tx);
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

  /**
   * Appends a cache delta text as a chunk (relaxed: losing the last second of cache on a crash
   * is fine). Past MAX_CHUNKS, `compact` (the core's compactCache) rewrites them as one.
   */
  writeCache(text, buster, version = 0, compact = null) {
    if (text === EMPTY) return Promise.resolve();
    const tx = this.#db.transaction(['chunks', 'meta'], 'readwrite', { durability: 'relaxed' });
    tx.objectStore('chunks').add(text);
    tx.objectStore('meta').put({ format: CACHE_FORMAT, buster, version, writtenAt: Date.now() }, 'cache');
    this.#chunks += 1;
    const written = done(tx);
    if (compact && this.#chunks > MAX_CHUNKS) return Promise.all([written, this.compactCache(compact)]);
    return written;
  }

  /**
   * Rewrites every chunk as one, in one transaction (so no other tab's chunk written meanwhile
   * is lost): `compact(text)` turns the chunks' JSON array into one delta text, synchronously.
   */
  compactCache(compact) {
    const tx = this.#db.transaction('chunks', 'readwrite', { durability: 'relaxed' });
    const store = tx.objectStore('chunks');
    const request = store.getAll();
    request.onsuccess = () => {
      const texts = request.result;
      if (texts.length < 2) return;
      let text;
      try {
        text = compact(joined(texts));
      } catch (e) {
        tx.abort(); // the chunks stay as they are
        return;
      }
      store.clear();
      store.add(text);
    };
    this.#chunks = 1;
    return done(tx).catch((e) => {
      if (!(e && e.name === 'AbortError')) throw e;
    });
  }

  /** Deletes the cache (one the core could not read); the outbox stays. */
  dropCache() {
    this.#chunks = 0;
    return this.#clear(CACHE_STORES);
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
