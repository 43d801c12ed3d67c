// Rollup 4 through its JS API: the app into dist/main.js (an ES module). Rollup keeps the
// package's `new URL('./strata_wasm_bg.wasm', import.meta.url)` as it is, and import.meta.url is
// then the bundle's URL: the documented way is to copy the wasm next to the bundle, done here
// after the build (a plugin such as rollup-plugin-copy does the same).
import { copyFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';

rmSync('dist', { recursive: true, force: true });
const bundle = await rollup({ input: 'src/main.js', plugins: [nodeResolve({ browser: true })] });
const { output } = await bundle.write({ dir: 'dist', format: 'es', entryFileNames: 'main.js' });
await bundle.close();
copyFileSync(fileURLToPath(import.meta.resolve('strata-store/strata_wasm_bg.wasm')), 'dist/strata_wasm_bg.wasm');
copyFileSync('index.html', 'dist/index.html');
console.log(`dist/: ${output.map((o) => o.fileName).join(', ')}, strata_wasm_bg.wasm (copied), index.html`);
