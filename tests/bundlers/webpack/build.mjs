// webpack 5 through its Node API (no webpack-cli): production mode, the app into dist/. webpack
// follows the package's `new URL('./strata_wasm_bg.wasm', import.meta.url)` by itself and emits the
// wasm as an asset (asset/resource), so the app passes no `wasm` option.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import webpack from 'webpack';

rmSync('dist', { recursive: true, force: true });
const stats = await new Promise((resolve, reject) =>
  webpack(
    {
      mode: 'production',
      context: process.cwd(),
      entry: './src/main.js',
      output: { path: `${process.cwd()}/dist`, filename: 'main.js', assetModuleFilename: 'assets/[name]-[contenthash][ext]' },
      performance: { hints: false }, // the wasm is over webpack's 244 kB hint; that is expected
      // Production mode (NODE_ENV, tree shaking, the asset handling) without terser: re-minifying the
      // already minified strata and React took 20-40 s of the stage and tests nothing of strata's.
      optimization: { minimize: false },
    },
    (err, s) => (err ? reject(err) : resolve(s)),
  ),
);
if (stats.hasErrors()) throw new Error(stats.toString({ all: false, errors: true }));
// A warning from the package (e.g. "Critical dependency") would show in every app's build.
if (stats.hasWarnings()) throw new Error(stats.toString({ all: false, warnings: true }));
mkdirSync('dist', { recursive: true });
copyFileSync('index.html', 'dist/index.html');
console.log(stats.toString({ all: false, assets: true }));
