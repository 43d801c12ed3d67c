// Completes pkg/ after wasm-pack: bundles the JS wrapper with the wasm glue and writes
// package.json whose entry is the wrapper (no bare imports, so it loads from static files
// and from bundlers alike). What ships:
//   index.js  the main entry `strata`: src/js/index.js bundled with everything it imports
//             (store.js and its parts, errors.js, keys.js, persist.js, and wasm-bindgen's glue
//             strata_wasm.js), so loading it is one request, not a waterfall of ~9 modules.
//   react.js  `strata-store/react`: imports the peer dependency 'react' and './index.js' (the main
//             entry's single copy of StrataError etc.), nothing else.
//   devtools.js  `strata-store/devtools`: imports 'react', './index.js' and './react.js' only
//             (apps that do not import it do not ship it).
//   strata_wasm_bg.wasm, index.d.ts, react.d.ts, devtools.d.ts, README.md, CHANGELOG.md, LICENSE, package.json.
// The version and the repository URL come from Cargo.toml only (repository, homepage and bugs
// are derived from it, and so are the absolute image URLs of the shipped README).
// The JS files ship minified (esbuild) with a source map holding the original sources.
// wasm-pack's glue (strata_wasm.js) is patched, then moved out of pkg/ to target/pkg-glue/
// (so that nothing can load a second copy of it from pkg/, and so that this script can rerun
// without wasm-pack). Prints the gzipped size of what ships.
import { readFileSync, writeFileSync, copyFileSync, readdirSync, rmSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { build, transformSync } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const pkg = join(root, 'pkg');
const src = join(root, 'src/js');
const glueDir = join(root, 'target/pkg-glue');

const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8');
const version = /^version\s*=\s*"([^"]+)"/m.exec(cargo)[1];
const repoUrl = /^repository\s*=\s*"([^"]+)"/m.exec(cargo)?.[1]?.replace(/\.git$/, '');
const gh = repoUrl && /^https:\/\/github\.com\/([^/]+)\/([^/]+)$/.exec(repoUrl);
if (!gh) throw new Error(`package.mjs: Cargo.toml's repository must be https://github.com/<owner>/<repo>, got ${repoUrl}`);
// wasm-pack writes a '*' .gitignore into pkg/, which would hide files from npm pack.
if (existsSync(join(pkg, '.gitignore'))) rmSync(join(pkg, '.gitignore'));

// wasm-bindgen's glue copies a string into wasm memory with a JS loop over its characters,
// then TextEncoder.encodeInto for what is left after the first non-ASCII one; it encodes with
// TextEncoder.encode only when there is no realloc. For a large argument (a 7 MB response)
// the loop took 16-30 ms. The replacement encodes straight into wasm memory with encodeInto:
// `arg.length` bytes first (exact for ASCII, so the high-water mark does not grow), then room
// for the rest at 3 bytes per UTF-16 unit, shrunk to what was written. `encode` + copy (the
// previous patch) took 52 ms of an 11 MB response in Chromium where encodeInto takes 10.
const glue = join(glueDir, 'strata_wasm.js');
const fresh = join(pkg, 'strata_wasm.js');
const loop = 'function passStringToWasm0(arg, malloc, realloc) {\n    if (realloc === undefined) {';
const patched = `function passStringToWasm0(arg, malloc, realloc) {
    // strata: encodeInto straight into wasm memory (scripts/package.mjs).
    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }
    let len = arg.length;
    let ptr = malloc(len, 1) >>> 0;
    let { read, written } = cachedTextEncoder.encodeInto(arg, getUint8ArrayMemory0().subarray(ptr, ptr + len));
    if (read !== arg.length) {
        // encodeInto stops before a character that does not fit, never inside a surrogate pair.
        const rest = arg.slice(read);
        ptr = realloc(ptr, len, len = written + rest.length * 3, 1) >>> 0;
        written += cachedTextEncoder.encodeInto(rest, getUint8ArrayMemory0().subarray(ptr + written, ptr + len)).written;
        ptr = realloc(ptr, len, written, 1) >>> 0;
    }
    WASM_VECTOR_LEN = written;
    return ptr;
}
`;
/** The glue with passStringToWasm0 replaced (the function runs to the first line that is `}`). */
function patchGlue(code) {
  const start = code.indexOf(loop);
  const end = code.indexOf('\n}\n', start) + 3;
  return code.slice(0, start) + patched + code.slice(end);
}
if (existsSync(fresh) && !readFileSync(fresh, 'utf8').includes('//# sourceMappingURL=')) {
  // Just written by wasm-pack (a minified one is from a build before the single-file entry).
  const glueCode = readFileSync(fresh, 'utf8');
  if (!glueCode.includes(loop)) {
    throw new Error('package.mjs: passStringToWasm0 in strata_wasm.js is not the one of wasm-bindgen 0.2.130; check the long-string patch');
  }
  mkdirSync(glueDir, { recursive: true });
  writeFileSync(glue, patchGlue(glueCode));
} else if (!existsSync(glue) || !readFileSync(glue, 'utf8').includes(patched)) {
  throw new Error('package.mjs: no wasm-bindgen glue (pkg/strata_wasm.js or target/pkg-glue/strata_wasm.js): run ./scripts/build.sh');
}
// Only what ships stays in pkg/: the modules of older builds, wasm-pack's glue and its types.
const SHIPPED = new Set(['index.js', 'index.js.map', 'react.js', 'react.js.map', 'devtools.js', 'devtools.js.map', 'index.d.ts', 'react.d.ts', 'devtools.d.ts', 'strata_wasm_bg.wasm', 'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']);
for (const f of readdirSync(pkg)) if (!SHIPPED.has(f)) rmSync(join(pkg, f), { recursive: true, force: true });
for (const f of ['index.d.ts', 'react.d.ts', 'devtools.d.ts']) copyFileSync(join(src, f), join(pkg, f));

const esbuildOptions = { minify: true, format: 'esm', target: 'es2022', sourcemap: 'external', sourcesContent: true, legalComments: 'none' };

// Minifying drops the comments of index.js's one `import(variable)` (Node reading the wasm file,
// SSR); without `webpackIgnore` webpack warns "Critical dependency: the request of a dependency is
// an expression" in every app's build. They go back in here, and the source map's columns after
// them on that line move by as much: the first mapping segment at or after the insertion point
// (columns are deltas within a line, so only that one changes).
const MAGIC = '/* webpackIgnore: true */ /* @vite-ignore */ ';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function vlqFirst(segment) {
  let value = 0;
  let shift = 0;
  for (let i = 0; ; i++) {
    const digit = B64.indexOf(segment[i]);
    value += (digit & 31) << shift;
    shift += 5;
    if (!(digit & 32)) return { value: value & 1 ? -(value >>> 1) : value >>> 1, length: i + 1 };
  }
}
function vlq(n) {
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let out = '';
  do {
    const digit = v & 31;
    v >>>= 5;
    out += B64[v ? digit | 32 : digit];
  } while (v);
  return out;
}
function keepImportComments(code, map) {
  const lines = code.split('\n');
  const found = lines.flatMap((l, line) => [...l.matchAll(/\bimport\(([A-Za-z_$][\w$]*)\)/g)].map((m) => ({ line, column: m.index + 'import('.length })));
  if (found.length > 1) throw new Error(`package.mjs: ${found.length} import(variable) in index.js; expected the one that reads the wasm in Node`);
  if (found.length === 0) return code;
  const { line, column } = found[0];
  lines[line] = lines[line].slice(0, column) + MAGIC + lines[line].slice(column);
  const mapLines = map.mappings.split(';');
  let col = 0;
  mapLines[line] = mapLines[line]
    .split(',')
    .map((seg, i, all) => {
      const { value, length } = vlqFirst(seg);
      const before = col;
      col += value;
      const moved = col >= column && (i === 0 || before < column);
      return moved ? vlq(value + MAGIC.length) + seg.slice(length) : seg;
    })
    .join(',');
  map.mappings = mapLines.join(';');
  return lines.join('\n');
}

function withMap(out, f) {
  const map = JSON.parse(out.outputFiles.find((o) => o.path.endsWith('.map')).text);
  const code = keepImportComments(out.outputFiles.find((o) => o.path.endsWith('.js')).text.replace(/\/\/# sourceMappingURL=.*\n?$/, ''), map);
  map.sources = map.sources.map((s) => s.split('/').pop()); // the file names, as in src/js
  writeFileSync(join(pkg, f), `${code}//# sourceMappingURL=${f}.map\n`);
  writeFileSync(join(pkg, `${f}.map`), JSON.stringify(map));
}

// index.js: everything inlined; './strata_wasm.js' is the patched glue.
const glueFile = {
  name: 'strata-glue',
  setup(build) {
    build.onResolve({ filter: /^\.\/strata_wasm\.js$/ }, () => ({ path: glue }));
  },
};
withMap(await build({ ...esbuildOptions, entryPoints: [join(src, 'index.js')], bundle: true, write: false, outfile: join(pkg, 'index.js'), plugins: [glueFile] }), 'index.js');
// react.js: one module of its own; its imports ('react', './index.js') stay imports.
{
  const f = 'react.js';
  const out = transformSync(readFileSync(join(src, f), 'utf8'), { ...esbuildOptions, sourcefile: f });
  writeFileSync(join(pkg, f), `${out.code}//# sourceMappingURL=${f}.map\n`);
  writeFileSync(join(pkg, `${f}.map`), out.map);
}
// devtools.js: src/js/devtools.js and its parts (src/js/devtools/) in one module; 'react' and
// the package's own entries stay imports (one copy of the store's code).
withMap(await build({ ...esbuildOptions, entryPoints: [join(src, 'devtools.js')], bundle: true, write: false, outfile: join(pkg, 'devtools.js'), external: ['react', './react.js', './index.js'] }), 'devtools.js');
const imports = (f) => [...readFileSync(join(pkg, f), 'utf8').matchAll(/\b(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["']([^"']+)["']/g)].map((m) => m[1]);
if (imports('index.js').length) throw new Error(`package.mjs: pkg/index.js still imports ${imports('index.js').join(', ')}`);
if (imports('react.js').some((i) => i !== 'react' && i !== './index.js')) throw new Error(`package.mjs: pkg/react.js imports ${imports('react.js').join(', ')}`);
if (imports('devtools.js').some((i) => i !== 'react' && i !== './index.js' && i !== './react.js')) throw new Error(`package.mjs: pkg/devtools.js imports ${imports('devtools.js').join(', ')}`);

// npm shows the README outside the repository: relative links would break there. Images point at
// the raw files on the main branch, other relative links at the repository's pages.
const raw = `https://raw.githubusercontent.com/${gh[1]}/${gh[2]}/main/`;
const blob = `${repoUrl}/blob/main/`;
const absolute = (md) =>
  md.replace(/(!?\[[^\]]*\]\()([^)\s#][^)\s]*)(\))/g, (all, open, target, close) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('/')) return all;
    const rel = target.replace(/^\.\//, '');
    return `${open}${/\.(png|jpe?g|gif|svg|webp)$/i.test(rel) ? raw : blob}${rel}${close}`;
  });
writeFileSync(join(pkg, 'README.md'), absolute(readFileSync(join(root, 'README.md'), 'utf8')));
for (const f of ['CHANGELOG.md', 'LICENSE']) copyFileSync(join(root, f), join(pkg, f));

const files = ['CHANGELOG.md', 'LICENSE', 'index.js', 'index.js.map', 'index.d.ts', 'react.js', 'react.js.map', 'react.d.ts', 'devtools.js', 'devtools.js.map', 'devtools.d.ts', 'strata_wasm_bg.wasm'];
const manifest = {
  name: 'strata-store',
  version,
  description: 'Client-side state store: normalized entity cache, stale-while-revalidate queries, optimistic mutations, offline sync queue (Rust + WebAssembly).',
  license: 'MIT',
  repository: { type: 'git', url: `git+${repoUrl}.git` },
  homepage: `${repoUrl}#readme`,
  bugs: { url: `${repoUrl}/issues` },
  keywords: ['state', 'store', 'cache', 'normalized', 'normalized-cache', 'query', 'swr', 'optimistic', 'offline', 'offline-first', 'mutations', 'indexeddb', 'react', 'hooks', 'webassembly', 'wasm', 'rust'],
  engines: { node: '>=18' },
  type: 'module',
  main: './index.js',
  module: './index.js',
  types: './index.d.ts',
  exports: {
    '.': { types: './index.d.ts', import: './index.js', default: './index.js' },
    './react': { types: './react.d.ts', import: './react.js', default: './react.js' },
    './devtools': { types: './devtools.d.ts', import: './devtools.js', default: './devtools.js' },
    // For `createStore({ wasm })` with the bundler's asset URL (`import url from 'strata-store/strata_wasm_bg.wasm'`).
    './strata_wasm_bg.wasm': './strata_wasm_bg.wasm',
    './package.json': './package.json',
  },
  files: files.filter((f) => existsSync(join(pkg, f))),
  sideEffects: false,
  // Only `strata-store/react` and `/devtools` need React; apps without React install nothing extra.
  peerDependencies: { react: '^18 || ^19' },
  peerDependenciesMeta: { react: { optional: true } },
};
writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

const gz = (f) => gzipSync(readFileSync(join(pkg, f)), { level: 9 }).length;
const wasm = gz('strata_wasm_bg.wasm');
const js = manifest.files.filter((f) => f.endsWith('.js') && f !== 'devtools.js').reduce((n, f) => n + gz(f), 0);
console.log(`pkg/ ready: strata-store ${version}; gzipped wasm ${(wasm / 1024).toFixed(1)} kB + js ${(js / 1024).toFixed(1)} kB (minified) = ${((wasm + js) / 1024).toFixed(1)} kB; devtools.js ${(gz('devtools.js') / 1024).toFixed(1)} kB (not in apps that do not import it)`);
