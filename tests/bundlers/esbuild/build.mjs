// esbuild through its JS API: the app into dist/main.js (an ES module), JSX with React's
// automatic runtime. esbuild does not follow `new URL('./strata_wasm_bg.wasm', import.meta.url)`:
// the app imports the wasm with the `file` loader (a hashed asset; the import is its path relative
// to the bundle) and passes it as `createStore({ wasm })`.
import { copyFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
const result = await build({
  entryPoints: ['src/main.jsx'],
  bundle: true,
  format: 'esm',
  minify: true,
  outdir: 'dist',
  jsx: 'automatic',
  loader: { '.wasm': 'file' },
  assetNames: 'assets/[name]-[hash]',
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
  logLevel: 'warning',
});
copyFileSync('index.html', 'dist/index.html');
console.log(`dist/: ${Object.keys(result.metafile.outputs).map((f) => f.replace(/^dist\//, '')).join(', ')}, index.html`);
