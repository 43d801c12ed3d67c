// The boundary floor (issue 16): what a store of strata's design pays for a call before its core
// does any work. The design keeps the records in wasm memory and a mirror of them in JS, so a
// call copies its input text into wasm memory and the change batch back out, and JS parses the
// batch. Measured with strata's own texts (captured from real calls) and no wasm code run: the
// cheapest copy there is (`TextEncoder.encodeInto` straight into a WebAssembly.Memory, one
// `TextDecoder.decode` out of it), then `JSON.parse` of the batch. Whatever strata's core gets
// faster, a call cannot cost less than this; the rows compare it with each goal.

/**
 * Captures what `proto[method]` is given (its longest string argument: the data) and returns
 * (the batch text) while `run()` runs. Returns `[{ input, output, ms }]`, one per call (`ms`: the
 * wasm call itself, its string copies included).
 */
export async function capture(proto, method, run) {
  const calls = [];
  const original = proto[method];
  proto[method] = function (...a) {
    const t0 = performance.now();
    const output = original.apply(this, a);
    const ms = performance.now() - t0;
    const input = a.filter((x) => typeof x === 'string').reduce((l, x) => (x.length > l.length ? x : l), '');
    calls.push({ input, output: typeof output === 'string' ? output : '', ms });
    return output;
  };
  try {
    await run();
  } finally {
    proto[method] = original;
  }
  return calls;
}

/**
 * Per call, in ms: `encode` (the input into wasm memory), `decode` (the batch out of it) and
 * `parse` (JSON.parse of the batch), each the median of `reps` repetitions; `total` their sum.
 * `before(i)` runs untimed work a call also does (e.g. the app's parse), timed into `app`.
 */
export function boundaryFloor(calls, reps = 5, before = null) {
  const enc = new TextEncoder();
  const dec = new TextDecoder('utf-8', { ignoreBOM: true });
  let most = 0;
  for (const c of calls) most = Math.max(most, c.input.length * 3, c.output.length * 3);
  const memory = new WebAssembly.Memory({ initial: Math.ceil((2 * most + 1) / 65536) + 1 });
  const bytes = new Uint8Array(memory.buffer);
  const out = calls.map(() => ({ app: [], encode: [], decode: [], parse: [] }));
  const now = () => performance.now();
  for (let rep = 0; rep < reps; rep++) {
    calls.forEach((c, i) => {
      // The batch as the core would have left it in its memory (untimed).
      const batchAt = most;
      const n = enc.encodeInto(c.output, bytes.subarray(batchAt)).written;
      const t0 = now();
      if (before) before(i);
      const t1 = now();
      enc.encodeInto(c.input, bytes.subarray(0, most));
      const t2 = now();
      const text = dec.decode(bytes.subarray(batchAt, batchAt + n));
      const t3 = now();
      JSON.parse(text);
      const t4 = now();
      out[i].app.push(t1 - t0);
      out[i].encode.push(t2 - t1);
      out[i].decode.push(t3 - t2);
      out[i].parse.push(t4 - t3);
    });
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return out.map((o) => {
    const r = { app: med(o.app), encode: med(o.encode), decode: med(o.decode), parse: med(o.parse) };
    r.total = r.app + r.encode + r.decode + r.parse;
    return r;
  });
}
