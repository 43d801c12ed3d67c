// strata: the package entry. Creates stores; the wasm core is instantiated on first use.
// At import time in a browser page (a `window` and `fetch`, not Node) it starts fetching and
// compiling the wasm, so that work overlaps the app's own startup; nothing else runs at import
// (importing during server-side rendering touches no `window`/`document` and fetches nothing).
// Shipped as one module: scripts/package.mjs bundles this file with everything it imports.

import initWasm, { StoreCore } from './strata_wasm.js';
import { StrataError, fromCore, invalidArgument, report, ERROR_CODES } from './errors.js';
import { toJson, finite, isPlainObject, describe, hashKey } from './keys.js';
import { Store, INIT } from './store.js';
import { openPersistence } from './persist.js';

let loading;

// `given`: createStore's `wasm` option (a URL or string, a Response or a promise of one, a
// WebAssembly.Module, or the bytes), for bundlers that do not follow `new URL(...)` below. The
// first store of the page loads the core; later stores share it.
function loadWasm(given) {
  loading ??= (async () => {
    if (given !== undefined) {
      early = undefined;
      return initWasm({ module_or_path: await given });
    }
    // The module compiled since import time, if that worked; else (no early compile, or it
    // failed) the glue fetches and instantiates it, and reports what went wrong.
    const compiled = early && (await early);
    early = undefined; // compiled once: a failed instantiation (or a retry) fetches again
    return initWasm({ module_or_path: compiled || (inNode() ? await readNextToModule() : wasmUrl()) });
  })().catch((e) => {
    loading = undefined; // let a later createStore try again
    const where = given !== undefined ? 'from createStore({ wasm })' : "(it must be served next to the package's index.js as application/wasm)";
    const err = new StrataError('INTERNAL', `could not load strata_wasm_bg.wasm ${where}: ${e && e.message}`);
    err.cause = e;
    throw err;
  });
  return loading;
}

function wasmUrl() {
  // The wasm file sits next to this module; bundlers (Vite, webpack, Rollup) follow this literal
  // `new URL(..., import.meta.url)` and ship the file as an asset.
  const url = new URL('./strata_wasm_bg.wasm', import.meta.url);
  // Vite <= 7's dev server pre-bundles this module into node_modules/.vite/deps/ without the wasm
  // (vitejs/vite#8427; Vite 8 rewrites the URL itself), so `url` would fetch index.html. The
  // package's own files are still served from node_modules/strata-store/.
  const dev = /^(.*\/node_modules\/)\.vite\/deps[^/]*\/[^/]*$/.exec(url.pathname);
  return dev ? new URL(dev[1] + 'strata-store/strata_wasm_bg.wasm', url) : url;
}

// Node (SSR, scripts) has no fetch for file: URLs: the bytes are read from the file.
async function readNextToModule() {
  const url = wasmUrl();
  const href = String(url);
  if (/^https?:/i.test(href)) return url;
  const { readFile } = await builtin('node:fs/promises');
  if (href.startsWith('file:')) return readFile(url);
  // A server bundle rewrote the URL into a path of its own (Next.js does), which is no file:
  // the installed package's file, resolved from the app's directory.
  const { createRequire } = await builtin('node:module');
  let manifest;
  try {
    manifest = createRequire(`${process.cwd()}/`).resolve('strata-store/package.json');
  } catch (e) {
    throw new Error(`the server bundle moved the wasm to ${href} and strata-store is not installed under ${process.cwd()}: pass createStore({ wasm: bytes }) (${e && e.message})`);
  }
  return readFile(manifest.replace(/package\.json$/, 'strata_wasm_bg.wasm'));
}

// A Node built-in module. process.getBuiltinModule (Node >= 20.16) is no import, so no bundler
// (webpack building a server bundle included) tries to resolve it; older Node imports it, by a
// variable name so that bundlers building for the browser leave it alone.
function builtin(name) {
  if (typeof process.getBuiltinModule === 'function') return process.getBuiltinModule(name);
  return import(/* webpackIgnore: true */ /* @vite-ignore */ name);
}

function inNode() {
  return typeof process === 'object' && process !== null && !!(process.versions && process.versions.node);
}

// A browser page: not Node (nor Deno/Bun, which carry `process.versions.node`; checked first, so
// SSR never reads `window`), a `window`, `fetch` and WebAssembly.
function inBrowserPage() {
  if (inNode()) return false;
  return typeof window === 'object' && window !== null && typeof fetch === 'function' && typeof WebAssembly === 'object';
}

// Fetches and compiles the wasm; resolves to the WebAssembly.Module, or to undefined on any
// failure (never rejects: createStore then loads it the usual way and reports the error).
async function compileEarly() {
  try {
    const response = fetch(wasmUrl());
    if (typeof WebAssembly.compileStreaming === 'function') {
      try {
        // Straight from the response promise: the compile starts as the bytes arrive.
        return await WebAssembly.compileStreaming(response);
      } catch {
        // Not `Content-Type: application/wasm` (rejected before the body is read): the bytes.
      }
    }
    const r = await response;
    return r.ok ? await WebAssembly.compile(await r.arrayBuffer()) : undefined;
  } catch {
    return undefined;
  }
}

// Started a microtask after import, so that an app passing `createStore({ wasm })` in its startup
// code (the same task) never fetches the default URL, where there is no file (a 404 in its console).
let early;
if (inBrowserPage()) {
  queueMicrotask(() => {
    if (loading === undefined) early = compileEarly();
  });
}

// Where a function sits in `value` (JSON would drop it without a word), e.g. `defaults.retry`.
function functionAt(value, path, depth = 0) {
  if (typeof value === 'function') return path;
  if (depth > 8 || value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    const found = functionAt(v, path ? `${path}.${k}` : k, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Creates a store. Accepts every option of the design (name, persist, baseUrl, headers,
 * entities, defaults, onError, ...); an unknown option is INVALID_ARGUMENT.
 */
export async function createStore(options = {}) {
  if (!isPlainObject(options)) throw invalidArgument(`createStore options must be an object, got ${describe(options)}`);
  // Every function the store takes is named here; any other would be dropped by JSON.
  const { headers: _h, onError: _e, fetch: _f, persist: _p, wasm: _w, hydrate: _s, ...others } = options;
  const stray = functionAt(others, '') ?? (isPlainObject(_p) ? functionAt({ ..._p, migrate: undefined }, 'persist') : null);
  if (stray) throw invalidArgument(`createStore option \`${stray}\` is a function, which strata does not take there (unknown option, or one that takes data)`);
  const { headers, onError, fetch: fetcher, credentials, wasm, hydrate, ...given } = options;
  const rest = { ...given };
  // `persist.migrate` is a function: kept here, the core is told there is one.
  let migrate;
  if (isPlainObject(rest.persist) && rest.persist.migrate !== undefined) {
    migrate = rest.persist.migrate;
    if (typeof migrate !== 'function') {
      throw invalidArgument('`persist.migrate` must be a function (oldCache, oldVersion) => cache');
    }
    rest.persist = { ...rest.persist, migrate: true };
  }
  if (headers !== undefined && typeof headers !== 'function' && !isPlainObject(headers)) {
    throw invalidArgument('`headers` must be a function returning an object of headers (evaluated at send time)');
  }
  if (fetcher !== undefined && typeof fetcher !== 'function') {
    throw invalidArgument('`fetch` must be a function (url, init) => Promise<Response>, used for queries, mutations and connections');
  }
  if (credentials !== undefined && !['omit', 'same-origin', 'include'].includes(credentials)) {
    throw invalidArgument("`credentials` is 'omit', 'same-origin' or 'include' (fetch's option, for every request of the store)");
  }
  if (onError !== undefined && typeof onError !== 'function') {
    throw invalidArgument('`onError` must be a function (error, context) => void');
  }
  const json = toJson(rest, 'createStore options', 'INVALID_ARGUMENT', finite);
  if (wasm !== undefined && !isWasmSource(wasm)) {
    throw invalidArgument('`wasm` is a URL or string, a Response (or a promise of one), a WebAssembly.Module, or the bytes of strata_wasm_bg.wasm');
  }
  await loadWasm(wasm);
  let core;
  try {
    core = new StoreCore(json);
  } catch (e) {
    throw fromCore(e);
  }
  let persistence = null;
  if (rest.persist !== false) {
    // On the server (Node without IndexedDB) a store is memory only, as it should be: no warning.
    const server = inNode() && typeof indexedDB === 'undefined';
    persistence = server ? null : await openPersistence(rest.name ?? 'strata');
    if (!persistence) {
      // No IndexedDB (in a browser, a warning was printed): the same store, memory only.
      core.free();
      core = new StoreCore(toJson({ ...rest, persist: false }, 'createStore options', 'INVALID_ARGUMENT', finite));
    }
  }
  // The state is applied once below; the store does not keep it.
  const kept = hydrate === undefined ? options : { ...options, hydrate: undefined };
  const store = new Store(core, kept, persistence && { idb: persistence, migrate });
  await store[INIT]();
  if (hydrate !== undefined) {
    try {
      store.hydrate(hydrate); // after IndexedDB's data: the newer of both stands
    } catch (e) {
      store.close();
      throw e;
    }
  }
  return store;
}

function isWasmSource(w) {
  if (typeof w === 'string' || w instanceof URL || w instanceof ArrayBuffer || ArrayBuffer.isView(w)) return true;
  if (typeof WebAssembly === 'object' && w instanceof WebAssembly.Module) return true;
  if (typeof Response === 'function' && w instanceof Response) return true;
  return w !== null && typeof w === 'object' && typeof w.then === 'function';
}

/** A typed options object (its `queryKey` carries the data type in the types); identity at run time. */
export function queryOptions(options) {
  return options;
}

/** The same for infinite query options (its `queryKey` carries `{ pages, pageParams }`). */
export function infiniteQueryOptions(options) {
  return options;
}

export { Store, StrataError, ERROR_CODES };

// Internal, not API (no types, may change in any release): what strata-store/react shares with this
// entry, so both use this module's single copy; and the wasm class itself, for the probes of
// www/bench/peers (the instance the stores drive).
export { invalidArgument as __invalidArgument, report as __report, hashKey as __hashKey, StoreCore as __StoreCore };
