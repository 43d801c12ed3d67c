// A tiny in-browser harness for the hook tests (same result format as tests/js/harness.mjs:
// window.__results = { passed, failed, results: [{ name, ok, error, ms }] }).

const registered = [];

export function test(name, fn, { timeout = 10_000 } = {}) {
  registered.push({ name, fn, timeout });
}

export function assert(cond, message = 'assertion failed') {
  if (!cond) throw new Error(message);
}

export function assertEqual(actual, expected, message = '') {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${message ? message + ': ' : ''}expected ${e}, got ${a}`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));

/** Resolves when `pred()` is truthy (checked every 10 ms); rejects after `ms` with `what`. */
export async function waitFor(pred, what = 'condition', ms = 5000) {
  const start = performance.now();
  for (;;) {
    let v;
    try {
      v = pred();
    } catch {
      v = false;
    }
    if (v) return v;
    if (performance.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

function format(e) {
  if (e instanceof Error) return `${e.name}: ${e.message}${e.code ? ` [code=${e.code}]` : ''}\n${(e.stack || '').split('\n').slice(1, 5).join('\n')}`;
  return String(e);
}

export async function run() {
  const results = [];
  for (const t of registered.splice(0)) {
    const start = performance.now();
    let error = null;
    let timer;
    try {
      await Promise.race([
        Promise.resolve().then(t.fn),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${t.timeout} ms`)), t.timeout);
        }),
      ]);
    } catch (e) {
      error = format(e);
    } finally {
      clearTimeout(timer);
    }
    results.push({ name: t.name, ok: error === null, error, ms: Math.round(performance.now() - start) });
  }
  const passed = results.filter((r) => r.ok).length;
  return { passed, failed: results.length - passed, results };
}
