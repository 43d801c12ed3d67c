// Tiny in-browser test harness.
//
//   import { test, run, assert, assertEqual } from './harness.mjs';
//   test('adds', () => assertEqual(1 + 1, 2));
//   await run(); // -> window.__results = { passed, failed, results: [...] }
//
// Tests run sequentially in registration order; each is awaited with a
// per-test timeout (default 10 s).

const registered = [];

export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Register a test.
 * @param {string} name
 * @param {() => (void | Promise<void>)} fn
 * @param {{ timeout?: number }} [opts]
 */
export function test(name, fn, opts = {}) {
  if (typeof fn !== 'function') throw new TypeError(`test(${JSON.stringify(name)}): fn must be a function`);
  registered.push({ name: String(name), fn, timeout: opts.timeout ?? DEFAULT_TIMEOUT_MS });
}

function withTimeout(promise, ms, name) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${name}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function formatError(err) {
  if (err instanceof Error) {
    let s = `${err.name}: ${err.message}`;
    if (err.code !== undefined) s += ` [code=${err.code}]`;
    if (err.stack) {
      // Keep a few stack frames for context, skip the message line.
      const frames = err.stack.split('\n').filter((l) => /^\s+at |@/.test(l)).slice(0, 5);
      if (frames.length) s += '\n' + frames.join('\n');
    }
    return s;
  }
  try {
    return `non-Error thrown: ${JSON.stringify(err)}`;
  } catch {
    return `non-Error thrown: ${String(err)}`;
  }
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Run all registered tests sequentially.
 * @returns {Promise<{ passed: number, failed: number, results: { name: string, ok: boolean, error: string | null, ms: number }[] }>}
 */
export async function run() {
  const results = [];
  let passed = 0;
  let failed = 0;
  const tests = registered.splice(0, registered.length);
  for (const t of tests) {
    const start = now();
    let ok = true;
    let error = null;
    try {
      await withTimeout(Promise.resolve().then(() => t.fn()), t.timeout, t.name);
    } catch (err) {
      ok = false;
      error = formatError(err);
    }
    const ms = Math.round((now() - start) * 100) / 100;
    if (ok) passed++;
    else failed++;
    results.push({ name: t.name, ok, error, ms });
  }
  const summary = { passed, failed, results };
  if (typeof window !== 'undefined') window.__results = summary;
  else globalThis.__results = summary;
  return summary;
}

// ---------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------

export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AssertionError';
  }
}

function show(v) {
  const seen = new WeakSet();
  try {
    const s = JSON.stringify(v, (_k, val) => {
      if (typeof val === 'bigint') return `${val}n`;
      if (typeof val === 'undefined') return '<undefined>';
      if (typeof val === 'function') return `<function ${val.name || 'anonymous'}>`;
      if (typeof val === 'symbol') return val.toString();
      if (typeof val === 'number' && !Number.isFinite(val)) return String(val);
      if (val instanceof Map) return { '<Map>': [...val.entries()] };
      if (val instanceof Set) return { '<Set>': [...val.values()] };
      if (val && typeof val === 'object') {
        if (seen.has(val)) return '<circular>';
        seen.add(val);
      }
      return val;
    });
    return s === undefined ? String(v) : s;
  } catch {
    return String(v);
  }
}

function prefix(msg) {
  return msg ? `${msg}: ` : '';
}

/** Structural deep equality (handles primitives, NaN, arrays, plain objects, Date, Map, Set, typed arrays). */
export function deepEqual(a, b, seen = new Map()) {
  if (Object.is(a, b)) return true;
  if (typeof a !== typeof b) return false;
  if (a === null || b === null || typeof a !== 'object') return false;

  if (seen.get(a) === b) return true;
  seen.set(a, b);

  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;

  if (a instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof RegExp) return a.source === b.source && a.flags === b.flags;

  if (ArrayBuffer.isView(a)) {
    if (a.byteLength !== b.byteLength || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
    return true;
  }

  if (Array.isArray(a)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i], seen)) return false;
    return true;
  }

  if (a instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) {
      if (!b.has(k) || !deepEqual(v, b.get(k), seen)) return false;
    }
    return true;
  }

  if (a instanceof Set) {
    if (a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }

  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEqual(a[k], b[k], seen)) return false;
  }
  return true;
}

export function assert(cond, msg) {
  if (!cond) throw new AssertionError(msg || `assertion failed (got ${show(cond)})`);
}

export function assertEqual(a, b, msg) {
  if (!deepEqual(a, b)) {
    throw new AssertionError(`${prefix(msg)}expected deep equality\n  actual:   ${show(a)}\n  expected: ${show(b)}`);
  }
}

export function assertSame(a, b, msg) {
  if (a !== b) {
    throw new AssertionError(`${prefix(msg)}expected same (===)\n  actual:   ${show(a)}\n  expected: ${show(b)}`);
  }
}

export function assertNotSame(a, b, msg) {
  if (a === b) {
    throw new AssertionError(`${prefix(msg)}expected different values (!==), both are ${show(a)}`);
  }
}

/**
 * The call must throw (synchronously) or reject with an error whose `.code === code`.
 * Accepts a function (sync or async) or a promise. Returns the caught error.
 */
export async function assertThrowsCode(fnOrPromiseFn, code, msg) {
  let threw = false;
  let err;
  try {
    const ret = typeof fnOrPromiseFn === 'function' ? fnOrPromiseFn() : fnOrPromiseFn;
    if (ret && typeof ret.then === 'function') await ret;
  } catch (e) {
    threw = true;
    err = e;
  }
  if (!threw) {
    throw new AssertionError(`${prefix(msg)}expected an error with code ${show(code)}, but nothing was thrown`);
  }
  const actual = err?.code;
  if (actual !== code) {
    const desc = err instanceof Error ? `${err.name}: ${err.message}` : show(err);
    throw new AssertionError(
      `${prefix(msg)}expected error code ${show(code)}, got ${show(actual)} (${desc})`,
    );
  }
  return err;
}
