// Completes pkg/ after wasm-pack: copies the JS wrapper next to the wasm glue and writes
// package.json whose entry is the wrapper (no bare imports, so it loads from static files
// and from bundlers alike). The `strata/react` subpath (react.js) imports the peer
// dependency 'react'; nothing else does. Every .js file ships minified (esbuild, one file at a
// time, so the modules and their exports stay as they are) with a source map holding the
// original source; only the modules private to store.js (STORE_PARTS) ship bundled into it.
// Prints the gzipped size of what ships.
import { readFileSync, writeFileSync, copyFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { build, transformSync } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const pkg = join(root, 'pkg');
const src = join(root, 'src/js');

const version = /^version\s*=\s*"([^"]+)"/m.exec(readFileSync(join(root, 'Cargo.toml'), 'utf8'))[1];
// The modules only store.js and each other import (one concern each in src/js): bundled into
// store.js. Shipped as files of their own, each is gzipped without the others' words: splitting
// store.js into them cost 1.6 kB that way; bundled, the JS is no larger than before the split.
const STORE_PARTS = ['notifier.js', 'requests.js', 'replica.js', 'snapshots.js', 'tabs.js', 'connection.js', 'infinite.js', 'query-registry.js', 'filters.js'];
const wrapper = readdirSync(src).filter((f) => (f.endsWith('.js') && !STORE_PARTS.includes(f)) || f.endsWith('.d.ts'));
for (const f of STORE_PARTS.flatMap((f) => [f, `${f}.map`])) rmSync(join(pkg, f), { force: true }); // from older builds
for (const f of wrapper) copyFileSync(join(src, f), join(pkg, f));
// wasm-pack writes a '*' .gitignore into pkg/, which would hide files from npm pack.
if (existsSync(join(pkg, '.gitignore'))) rmSync(join(pkg, '.gitignore'));

// wasm-bindgen's glue copies a string into wasm memory with a JS loop over its characters,
// then TextEncoder.encodeInto for what is left after the first non-ASCII one; it encodes with
// TextEncoder.encode only when there is no realloc. For a large argument (a 7 MB response)
// the loop took 16-30 ms where encode + copy takes 6: long strings take the encode branch too.
const glue = join(pkg, 'strata_wasm.js');
const loop = 'function passStringToWasm0(arg, malloc, realloc) {\n    if (realloc === undefined) {';
const glueCode = readFileSync(glue, 'utf8');
if (glueCode.includes(loop)) {
  writeFileSync(glue, glueCode.replace(loop, loop.replace('realloc === undefined', 'realloc === undefined || arg.length > 1024')));
} else if (!glueCode.includes('//# sourceMappingURL=')) {
  throw new Error('package.mjs: passStringToWasm0 in strata_wasm.js is not the one of wasm-bindgen 0.2.130; check the long-string patch');
}

const esbuildOptions = { minify: true, format: 'esm', target: 'es2022', sourcemap: 'external', sourcesContent: true, legalComments: 'none' };

// store.js with STORE_PARTS inlined; every other import stays an import of the module next to it.
async function bundleStore() {
  const keepImports = {
    name: 'keep-imports',
    setup(build) {
      build.onResolve({ filter: /^\.\/[^/]+\.js$/ }, (args) => (STORE_PARTS.includes(args.path.slice(2)) ? undefined : { path: args.path, external: true }));
    },
  };
  const out = await build({ ...esbuildOptions, entryPoints: [join(src, 'store.js')], bundle: true, write: false, outfile: join(pkg, 'store.js'), plugins: [keepImports] });
  const code = out.outputFiles.find((o) => o.path.endsWith('.js')).text.replace(/\/\/# sourceMappingURL=.*\n?$/, '');
  const map = JSON.parse(out.outputFiles.find((o) => o.path.endsWith('.map')).text);
  map.sources = map.sources.map((s) => s.split('/').pop()); // like the other maps: the file names
  return { code, map: JSON.stringify(map) };
}

const scripts = [...wrapper.filter((f) => f.endsWith('.js')), 'strata_wasm.js'];
for (const f of scripts) {
  const code = readFileSync(join(pkg, f), 'utf8');
  if (code.includes(`//# sourceMappingURL=${f}.map`)) continue; // already minified (a rerun without wasm-pack)
  const out = f === 'store.js' ? await bundleStore() : transformSync(code, { ...esbuildOptions, sourcefile: f });
  writeFileSync(join(pkg, f), `${out.code}//# sourceMappingURL=${f}.map\n`);
  writeFileSync(join(pkg, `${f}.map`), out.map);
}

const files = [...wrapper, 'strata_wasm.js', 'strata_wasm.d.ts', 'strata_wasm_bg.wasm', 'strata_wasm_bg.wasm.d.ts', ...scripts.map((f) => `${f}.map`)];
const manifest = {
  name: 'strata',
  version,
  description: 'Client-side state store: normalized entity cache, stale-while-revalidate queries, optimistic mutations, offline sync queue (Rust + WebAssembly).',
  license: 'MIT',
  type: 'module',
  main: './index.js',
  module: './index.js',
  types: './index.d.ts',
  exports: {
    '.': { types: './index.d.ts', import: './index.js', default: './index.js' },
    './react': { types: './react.d.ts', import: './react.js', default: './react.js' },
    './package.json': './package.json',
  },
  files: files.filter((f) => existsSync(join(pkg, f))),
  sideEffects: false,
  // Only `strata/react` needs React; apps without React install nothing extra.
  peerDependencies: { react: '^18 || ^19' },
  peerDependenciesMeta: { react: { optional: true } },
};
writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
if (existsSync(join(root, 'README.md'))) copyFileSync(join(root, 'README.md'), join(pkg, 'README.md'));

const gz = (f) => gzipSync(readFileSync(join(pkg, f)), { level: 9 }).length;
const wasm = gz('strata_wasm_bg.wasm');
const js = manifest.files.filter((f) => f.endsWith('.js')).reduce((n, f) => n + gz(f), 0);
console.log(`pkg/ ready: strata ${version}; gzipped wasm ${(wasm / 1024).toFixed(1)} kB + js ${(js / 1024).toFixed(1)} kB (minified) = ${((wasm + js) / 1024).toFixed(1)} kB`);
