// The JS half of the cache: a mirror of the normalized records the core sends in its change
// batches, and the denormalized snapshots built from them on first read.
//
// One entity has one snapshot object, shared by every query and entity that shows it, and it
// stays the same object (===) until the core reports that its view changed. Cycles in the
// data become cycles between snapshot objects (as normalizr does), never infinite recursion.

const EMPTY = Object.freeze([]);

/** Sets an own data property, even for the key `__proto__`. */
function setOwn(obj, key, value) {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

function own(obj, key) {
  return obj !== null && typeof obj === 'object' && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `next`, reusing every part of `prev` that is deep-equal (plain JSON only). */
export function replaceEqualDeep(prev, next) {
  if (prev === next) return prev;
  if (Array.isArray(prev) && Array.isArray(next)) {
    let same = prev.length === next.length;
    const out = new Array(next.length);
    for (let i = 0; i < next.length; i++) {
      out[i] = replaceEqualDeep(prev[i], next[i]);
      if (out[i] !== prev[i]) same = false;
    }
    return same ? prev : out;
  }
  if (isObject(prev) && isObject(next)) {
    const keys = Object.keys(next);
    let same = keys.length === Object.keys(prev).length;
    const out = {};
    for (const k of keys) {
      const p = own(prev, k);
      const v = replaceEqualDeep(p, next[k]);
      setOwn(out, k, v);
      if (v !== p || !Object.hasOwn(prev, k)) same = false;
    }
    return same ? prev : out;
  }
  return next;
}

export class Snapshots {
  /** @param {Record<string, {relations?: Record<string, string|string[]>}>} entities */
  constructor(entities) {
    /** type -> [{ field, many }] */
    this.relations = new Map();
    for (const type of Object.keys(entities || {})) {
      const rels = (entities[type] && entities[type].relations) || {};
      this.relations.set(type, Object.keys(rels).map((field) => ({ field, many: Array.isArray(rels[field]) })));
    }
    this.records = new Map(); // key -> normalized record (relation fields hold keys)
    this.views = new Map(); // key -> denormalized snapshot
    this.queries = new Map(); // hash -> { shape, result }
    this.queryViews = new Map(); // hash -> { view, fresh }
  }

  #queued = new Set(); // scratch for #build

  hasType(type) {
    return this.relations.has(type);
  }

  /**
   * Applies one change batch from the core (see src/core/batch.rs) and returns which
   * entity keys and query hashes have a new snapshot.
   */
  apply(text) {
    return this.applyBatch(JSON.parse(text));
  }

  /** Applies an already parsed batch `{ e, d, q, dq }`. */
  applyBatch(b) {
    const entities = [];
    for (const [key, record] of b.e) {
      this.records.set(key, record);
      this.views.delete(key);
      entities.push(key);
    }
    for (const key of b.d) {
      this.views.delete(key);
      entities.push(key);
    }
    const queries = [];
    for (const [hash, shape, result] of b.q) {
      this.queries.set(hash, { shape, result });
      this.#staleQuery(hash);
      queries.push(hash);
    }
    for (const hash of b.dq) {
      this.#staleQuery(hash);
      queries.push(hash);
    }
    // Garbage-collected or removed: gone from the mirror, their listeners see undefined.
    for (const hash of b.rq || EMPTY) {
      this.queries.delete(hash);
      this.queryViews.delete(hash);
      queries.push(hash);
    }
    for (const key of (b.g || EMPTY).concat(b.re || EMPTY)) {
      this.records.delete(key);
      this.views.delete(key);
      entities.push(key);
    }
    return { entities, queries };
  }

  #staleQuery(hash) {
    const v = this.queryViews.get(hash);
    if (v) v.fresh = false;
  }

  /** The entity's snapshot, or undefined when it is not cached. */
  entity(key) {
    const v = this.views.get(key);
    if (v !== undefined) return v;
    if (!this.records.has(key)) return undefined;
    this.#build([key]);
    return this.views.get(key);
  }

  /** The query's snapshot, or undefined when the query has no data. */
  query(hash) {
    const cached = this.queryViews.get(hash);
    if (cached !== undefined && cached.fresh) return cached.view;
    const q = this.queries.get(hash);
    if (q === undefined) return undefined;
    const view = this.#shaped(q.shape, q.result, cached && cached.view);
    this.queryViews.set(hash, { view, fresh: true });
    return view;
  }

  clear() {
    this.records.clear();
    this.views.clear();
    this.queries.clear();
    this.queryViews.clear();
  }

  #rels(key) {
    return this.relations.get(key.slice(0, key.indexOf(':'))) || EMPTY;
  }

  // Builds snapshots for `roots` (keys) and every entity they reach that has none, without
  // recursion: first one object per entity, then the relation fields are pointed at those
  // objects, so cycles and long chains cost no stack. A list of entities is built in one call.
  #build(roots) {
    const queued = this.#queued;
    const stack = [];
    for (const k of roots) {
      if (typeof k === 'string' && !this.views.has(k) && !queued.has(k)) {
        queued.add(k);
        stack.push(k);
      }
    }
    const order = []; // key, record, relations; three slots per entity
    while (stack.length > 0) {
      const k = stack.pop();
      const rec = this.records.get(k);
      if (rec === undefined) continue;
      const rels = this.#rels(k);
      order.push(k, rec, rels);
      for (let i = 0; i < rels.length; i++) {
        const { field, many } = rels[i];
        const v = rec[field];
        if (many) {
          if (!Array.isArray(v)) continue;
          for (let j = 0; j < v.length; j++) {
            const c = v[j];
            if (typeof c === 'string' && !this.views.has(c) && !queued.has(c)) {
              queued.add(c);
              stack.push(c);
            }
          }
        } else if (typeof v === 'string' && !this.views.has(v) && !queued.has(v)) {
          queued.add(v);
          stack.push(v);
        }
      }
    }
    queued.clear();
    for (let i = 0; i < order.length; i += 3) {
      // A type without relations needs no copy: its record is its snapshot.
      this.views.set(order[i], order[i + 2].length === 0 ? order[i + 1] : { ...order[i + 1] });
    }
    for (let i = 0; i < order.length; i += 3) {
      const rels = order[i + 2];
      if (rels.length === 0) continue;
      const rec = order[i + 1];
      const obj = this.views.get(order[i]);
      for (const { field, many } of rels) {
        if (!Object.hasOwn(rec, field)) continue;
        const v = rec[field];
        if (v === null) obj[field] = null;
        else if (many) obj[field] = Array.isArray(v) ? this.#entityList(v) : null;
        else obj[field] = this.views.get(v) ?? null;
      }
    }
  }

  // Entities that are gone (deleted, collected) drop out of lists.
  #entityList(keys) {
    const out = [];
    for (const k of keys) {
      const v = this.views.get(k) ?? this.entity(k);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  // Walks a normalized query result along its shape; `prev` is the previous snapshot, whose
  // unchanged parts are reused.
  #shaped(shape, value, prev) {
    if (value === null || value === undefined) return value;
    if (shape === null) return replaceEqualDeep(prev, value);
    if (typeof shape === 'string') {
      return typeof value === 'string' ? (this.entity(value) ?? null) : value;
    }
    if (Array.isArray(shape)) {
      if (!Array.isArray(value)) return value;
      const item = shape[0];
      const entityItems = typeof item === 'string';
      if (entityItems) this.#build(value); // every entity of the list in one walk
      const before = Array.isArray(prev) ? prev : undefined;
      const out = [];
      for (let i = 0; i < value.length; i++) {
        const x = value[i];
        const v = this.#shaped(item, x, entityItems || !before ? undefined : before[i]);
        if (entityItems && v === null && x !== null) continue;
        out.push(v);
      }
      return sameItems(before, out) ? before : out;
    }
    if (!isObject(value)) return value;
    const before = isObject(prev) ? prev : undefined;
    const keys = Object.keys(value);
    let same = before !== undefined && keys.length === Object.keys(before).length;
    const out = {};
    for (const k of keys) {
      const sub = Object.hasOwn(shape, k) ? shape[k] : null;
      const p = own(before, k);
      const v = this.#shaped(sub, value[k], p);
      setOwn(out, k, v);
      if (same && (v !== p || !Object.hasOwn(before, k))) same = false;
    }
    return same ? before : out;
  }
}

function sameItems(prev, next) {
  if (prev === undefined || prev.length !== next.length) return false;
  for (let i = 0; i < next.length; i++) if (prev[i] !== next[i]) return false;
  return true;
}
