// Rollup 4 through its JS API: the app into dist/main.js (an ES module). Rollup keeps the
// package's `new URL('./strata_wasm_bg.wasm', import.meta.url)` as it is, and import.meta.url is
// then the bundle's URL: the documented way (README.md "Bundlers, cross-origin servers and CSP") is to put the wasm next to the
// bundle; the small plugin below, the one the docs show, emits it there as an asset.
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';

const strataWasm = {
  name: 'strata-wasm',
  generateBundle() {
    const file = fileURLToPath(import.meta.resolve('strata-store/strata_wasm_bg.wasm'));
    this.emitFile({ type: 'asset', fileName: 'strata_wasm_bg.wasm', source: readFileSync(file) });
  },
};

rmSync('dist', { recursive: true, force: true });
const bundle = await rollup({ input: 'src/main.js', plugins: [nodeResolve({ browser: true }), strataWasm] });
const { output } = await bundle.write({ dir: 'dist', format: 'es', entryFileNames: 'main.js' });
await bundle.close();
copyFileSync('index.html', 'dist/index.html');
console.log(`dist/: ${output.map((o) => o.fileName).join(', ')}, index.html`);
