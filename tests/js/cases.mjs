// Placeholder test cases: verifies the harness and runner end to end.
// Replace with the real strata JS tests.
import { test, assert, assertEqual } from './harness.mjs';

test('harness smoke test', async () => {
  await new Promise((r) => setTimeout(r, 1));
  assert(typeof WebAssembly === 'object', 'WebAssembly is available');
  assertEqual({ a: [1, 2, { b: 'c' }] }, { a: [1, 2, { b: 'c' }] });
});
