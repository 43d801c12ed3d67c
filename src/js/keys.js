// Query key hashing and JSON encoding of arguments, JS-side so reads never cross into wasm;
// and the random ids of mutations.

import { invalidArgument, StrataError } from './errors.js';

// Keys holding objects are remembered per array (sorting their keys is the slow part); the
// last key hashed is remembered too, so a loop reading one query is a single comparison.
// Keys are treated as immutable (as in TanStack Query).
const hashes = new WeakMap();
let lastKey = Symbol('no key yet'); // not undefined: hashKey(undefined) must not hit this cache
let lastHash;

function isPlainObject(v) {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

// Object keys sorted so { a, b } and { b, a } hash alike (TanStack's rule). Null-prototype
// copies so a `__proto__` key stays data.
function sortedKeys(_key, value) {
  if (!isPlainObject(value)) return value;
  const out = Object.create(null);
  for (const k of Object.keys(value).sort()) out[k] = value[k];
  return out;
}

function hasObjects(key) {
  for (let i = 0; i < key.length; i++) {
    const v = key[i];
    if (v !== null && typeof v === 'object') return true;
  }
  return false;
}

/** The stable hash of a queryKey (a non-empty JSON array). */
export function hashKey(queryKey) {
  if (queryKey === lastKey) return lastHash;
  if (!Array.isArray(queryKey) || queryKey.length === 0) {
    throw invalidArgument(
      `queryKey must be a non-empty array such as ['todos'] or ['todo', 5], got ${describe(queryKey)}`,
    );
  }
  let h;
  try {
    if (!hasObjects(queryKey)) {
      // Plain JSON of primitives is already canonical; a WeakMap insert would cost more.
      h = JSON.stringify(queryKey);
    } else {
      h = hashes.get(queryKey);
      if (h === undefined) {
        h = JSON.stringify(queryKey, sortedKeys);
        hashes.set(queryKey, h);
      }
    }
  } catch (e) {
    throw invalidArgument(`queryKey must be JSON-serializable: ${e.message}`);
  }
  lastKey = queryKey;
  lastHash = h;
  return h;
}

/** JSON text of an argument; a cycle, a BigInt or too much depth is a typed error. */
export function toJson(value, what, code = 'INVALID_ARGUMENT', replacer = undefined) {
  let text;
  try {
    text = JSON.stringify(value, replacer);
  } catch (e) {
    throw new StrataError(code, `${what} must be JSON-serializable (no cycles, no BigInt): ${e.message}`);
  }
  if (text === undefined) throw new StrataError(code, `${what} must be JSON-serializable, got ${describe(value)}`);
  return text;
}

// Infinity (staleTime: Infinity) has no JSON form; the core reads the string "Infinity".
export function finite(_key, value) {
  return value === Infinity ? 'Infinity' : value;
}

export function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/** A random v4 UUID (mutation ids, temporary ids, tab message nonces). */
export function newId() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  // Non-secure contexts lack randomUUID: a v4-shaped id from getRandomValues/Math.random.
  const b = new Uint8Array(16);
  if (globalThis.crypto && globalThis.crypto.getRandomValues) globalThis.crypto.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export { isPlainObject };
