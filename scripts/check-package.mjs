#!/usr/bin/env node
// Checks the packed tarball as a user gets it from npm (publint-style, our own rules, no network):
// `npm pack pkg/`, unpack it into a temporary directory, then check what is inside, not pkg/.
//
//   node scripts/check-package.mjs     # after ./scripts/build.sh; a stage of scripts/test.sh
//
// Each rule prints `ok - ...` or `not ok - ...`; the summary line is
// `package check: N passed, M failed`; the exit code is 0 only when every rule passed.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = path.join(root, 'pkg');

let passed = 0;
let failed = 0;
function rule(name, fn) {
  try {
    fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e && e.message ? e.message : e}`);
  }
}
function fail(message) {
  throw new Error(message);
}
function done() {
  console.log(`package check: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

if (!existsSync(path.join(pkgDir, 'package.json'))) {
  rule('pkg/ is built', () => fail('no pkg/package.json: run ./scripts/build.sh first'));
  done();
}

// ---- pack and unpack ----------------------------------------------------------------------------

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-check-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const run = (cmd, args, cwd) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
};
let dir; // the unpacked package/ directory
let packed; // npm pack's report
rule('npm pack pkg/ and unpack the tarball', () => {
  packed = JSON.parse(run('npm', ['pack', pkgDir, '--pack-destination', tmp, '--json', '--silent'], root))[0];
  run('tar', ['-xzf', path.join(tmp, packed.filename), '-C', tmp], root);
  dir = path.join(tmp, 'package');
  if (!existsSync(path.join(dir, 'package.json'))) fail('the tarball has no package/package.json');
});
if (!dir) done();

const inTarball = (rel) => {
  const p = path.join(dir, rel);
  return path.relative(dir, p).startsWith('..') ? false : existsSync(p) && statSync(p).isFile();
};
const listed = []; // every file in the tarball, relative, with forward slashes
(function walk(d) {
  for (const f of readdirSync(d)) {
    const p = path.join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else listed.push(path.relative(dir, p).split(path.sep).join('/'));
  }
})(dir);
const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
console.log(`    ${packed.filename}: ${listed.length} files (${listed.sort().join(', ')}), ${(packed.size / 1024).toFixed(1)} kB packed`);

// ---- package.json ----------------------------------------------------------------------------

rule('package.json: name strata-store, the version of Cargo.toml, license MIT', () => {
  if (manifest.name !== 'strata-store') fail(`name is ${JSON.stringify(manifest.name)}`);
  const cargo = /^version\s*=\s*"([^"]+)"/m.exec(readFileSync(path.join(root, 'Cargo.toml'), 'utf8'))[1];
  if (manifest.version !== cargo) fail(`version ${manifest.version}, Cargo.toml says ${cargo}`);
  if (manifest.license !== 'MIT') fail(`license is ${JSON.stringify(manifest.license)}`);
});
rule('package.json: repository, homepage and bugs (from Cargo.toml), engines.node, keywords', () => {
  const repo = /^repository\s*=\s*"([^"]+)"/m.exec(readFileSync(path.join(root, 'Cargo.toml'), 'utf8'))?.[1];
  if (!repo) fail('Cargo.toml declares no repository');
  if (manifest.repository?.url !== `git+${repo}.git`) fail(`repository.url is ${JSON.stringify(manifest.repository?.url)}, Cargo.toml says ${repo}`);
  if (!manifest.homepage?.startsWith(repo)) fail(`homepage is ${JSON.stringify(manifest.homepage)}`);
  if (manifest.bugs?.url !== `${repo}/issues`) fail(`bugs.url is ${JSON.stringify(manifest.bugs?.url)}`);
  if (!/^>=\s*\d+/.test(manifest.engines?.node ?? '')) fail(`engines.node is ${JSON.stringify(manifest.engines?.node)}`);
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length === 0) fail('no keywords');
});
rule('package.json: an ES module package with sideEffects false and an optional React peer', () => {
  if (manifest.type !== 'module') fail(`type is ${JSON.stringify(manifest.type)}`);
  if (manifest.sideEffects !== false) fail(`sideEffects is ${JSON.stringify(manifest.sideEffects)}`);
  if (manifest.dependencies && Object.keys(manifest.dependencies).length) fail(`dependencies: ${Object.keys(manifest.dependencies).join(', ')}`);
  for (const p of Object.keys(manifest.peerDependencies ?? {})) {
    if (manifest.peerDependenciesMeta?.[p]?.optional !== true) fail(`peer dependency ${p} is not optional`);
  }
});

// ---- LICENSE, README, CHANGELOG -------------------------------------------------------------------

rule('LICENSE (MIT), README.md and CHANGELOG.md (with this version) are in the tarball', () => {
  for (const f of ['LICENSE', 'README.md', 'CHANGELOG.md']) if (!inTarball(f)) fail(`${f} is missing`);
  const license = readFileSync(path.join(dir, 'LICENSE'), 'utf8');
  if (!/^MIT License/.test(license) || !/Copyright \(c\) \d{4} the strata authors/.test(license)) fail('LICENSE is not the MIT text with the strata authors');
  if (!readFileSync(path.join(dir, 'CHANGELOG.md'), 'utf8').includes(`## ${manifest.version}`)) fail(`CHANGELOG.md has no "## ${manifest.version}" section`);
});
rule('README.md: images and links work outside the repository (no relative targets)', () => {
  const md = readFileSync(path.join(dir, 'README.md'), 'utf8');
  const relative = [...md.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((t) => !t.startsWith('#') && !/^[a-z][a-z0-9+.-]*:/i.test(t));
  if (relative.length) fail(`relative targets: ${[...new Set(relative)].slice(0, 5).join(', ')}`);
  const images = [...md.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  const bad = images.filter((u) => !u.startsWith('https://'));
  if (bad.length) fail(`images not on https: ${bad.join(', ')}`);
});

// ---- exports, types, files ----------------------------------------------------------------------

// Every string target under `exports` (conditions nest), with the subpath and condition path.
function targets(value, where, out = []) {
  if (typeof value === 'string') out.push({ where, target: value });
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) targets(v, `${where} ${k}`, out);
  return out;
}
const exportTargets = targets(manifest.exports, 'exports');
const topLevel = ['main', 'module', 'types'].filter((k) => manifest[k] !== undefined).map((k) => ({ where: k, target: manifest[k] }));
const covered = (rel) => {
  const clean = rel.replace(/^\.\//, '');
  if (clean === 'package.json') return true;
  return (manifest.files ?? []).some((f) => {
    const entry = f.replace(/^\.\//, '').replace(/\/$/, '');
    return clean === entry || clean.startsWith(`${entry}/`);
  });
};

rule('exports: every subpath lists `types` first and has an import or default target', () => {
  for (const [sub, value] of Object.entries(manifest.exports ?? {})) {
    if (typeof value === 'string') continue;
    const keys = Object.keys(value);
    if (keys.includes('types') && keys[0] !== 'types') fail(`exports['${sub}'] lists ${keys.join(', ')} (types must come first)`);
    if (!keys.includes('import') && !keys.includes('default')) fail(`exports['${sub}'] has no import/default`);
    if (sub !== './package.json' && !keys.includes('types')) fail(`exports['${sub}'] has no types`);
  }
});
rule('exports, main, module, types: every target is a file in the tarball, covered by `files`', () => {
  if (exportTargets.length === 0) fail('no exports');
  for (const { where, target } of [...exportTargets, ...topLevel]) {
    if (!target.startsWith('./')) fail(`${where}: ${target} does not start with ./`);
    if (!inTarball(target)) fail(`${where}: ${target} is not in the tarball`);
    if (!covered(target)) fail(`${where}: ${target} is not covered by files (${manifest.files.join(', ')})`);
  }
});

// Relative module references of a .d.ts: `from './x'`, `import('./x')`, `/// <reference path>`.
function dtsReferences(file) {
  const text = readFileSync(path.join(dir, file), 'utf8');
  const specs = [
    ...[...text.matchAll(/\bfrom\s*['"]([^'"]+)['"]/g)].map((m) => m[1]),
    ...[...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]),
    ...[...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)].map((m) => m[1]),
  ];
  const paths = [...text.matchAll(/\/\/\/\s*<reference\s+path=["']([^"']+)["']/g)].map((m) => m[1]);
  return { specs, paths };
}
rule('types: every .d.ts an export names exists, and every .d.ts it references (relative) exists', () => {
  const seen = new Set();
  const queue = [...exportTargets, ...topLevel].filter((t) => t.target.endsWith('.d.ts')).map((t) => t.target.replace(/^\.\//, ''));
  if (queue.length === 0) fail('no .d.ts target');
  while (queue.length) {
    const f = queue.shift();
    if (seen.has(f)) continue;
    seen.add(f);
    if (!inTarball(f)) fail(`${f} is not in the tarball`);
    const { specs, paths } = dtsReferences(f);
    for (const p of paths) queue.push(path.posix.join(path.posix.dirname(f), p));
    for (const s of specs) {
      if (!s.startsWith('.')) {
        const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0];
        if (!manifest.peerDependencies?.[name] && !manifest.dependencies?.[name]) fail(`${f} imports types from '${s}', not a (peer) dependency`);
        continue;
      }
      const base = path.posix.join(path.posix.dirname(f), s).replace(/\.(m?js)$/, '');
      const found = [`${base}.d.ts`, `${base}/index.d.ts`].find(inTarball);
      if (!found) fail(`${f} references '${s}': no ${base}.d.ts in the tarball`);
      queue.push(found);
    }
  }
  console.log(`    types checked: ${[...seen].join(', ')}`);
});

// ---- the JS entries --------------------------------------------------------------------------

// Static import/export specifiers, minified code included (`import{a as b}from"x"`, `export*from"x"`).
const importsOf = (f) =>
  [...readFileSync(path.join(dir, f), 'utf8').matchAll(/\b(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["']([^"']+)["']/g)].map((m) => m[1]);
const jsEntries = [...new Set(exportTargets.filter((t) => /\.m?js$/.test(t.target)).map((t) => t.target.replace(/^\.\//, '')))];
const mainEntry = (manifest.exports?.['.']?.import ?? manifest.exports?.['.']?.default ?? manifest.main).replace(/^\.\//, '');

rule(`the browser entry ${mainEntry} has no bare imports (it loads from static files)`, () => {
  const bare = importsOf(mainEntry).filter((s) => !s.startsWith('.') && !s.startsWith('/'));
  if (bare.length) fail(`imports ${bare.join(', ')}`);
  for (const s of importsOf(mainEntry)) if (!inTarball(path.posix.join(path.posix.dirname(mainEntry), s))) fail(`imports ${s}, not in the tarball`);
});
rule('react.js imports only react and ./index.js (the main entry\'s single copy)', () => {
  const got = [...new Set(importsOf('react.js'))].sort();
  if (JSON.stringify(got) !== JSON.stringify(['./index.js', 'react'])) fail(`imports ${got.join(', ')}`);
});
rule('every JS entry: relative imports are in the tarball, bare ones are peer dependencies', () => {
  for (const f of jsEntries) {
    for (const s of importsOf(f)) {
      if (s.startsWith('.')) {
        if (!inTarball(path.posix.join(path.posix.dirname(f), s))) fail(`${f} imports ${s}, not in the tarball`);
      } else if (!manifest.peerDependencies?.[s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]]) {
        fail(`${f} imports '${s}', not a peer dependency`);
      }
    }
  }
});
rule('every JS entry: its source map is in the tarball', () => {
  for (const f of jsEntries) {
    const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(path.join(dir, f), 'utf8'));
    if (m && !inTarball(path.posix.join(path.posix.dirname(f), m[1]))) fail(`${f} names ${m[1]}, not in the tarball`);
  }
});
rule('the wasm: strata_wasm_bg.wasm is in the tarball (a wasm module) and the main entry names it next to itself', () => {
  const wasm = 'strata_wasm_bg.wasm';
  if (!inTarball(wasm)) fail(`${wasm} is missing`);
  if (!covered(wasm)) fail(`${wasm} is not covered by files`);
  const bytes = readFileSync(path.join(dir, wasm));
  if (bytes.subarray(0, 4).toString('hex') !== '0061736d') fail(`${wasm} does not start with the wasm magic`);
  if (!/new URL\(\s*["']\.\/strata_wasm_bg\.wasm["']\s*,\s*import\.meta\.url\s*\)/.test(readFileSync(path.join(dir, mainEntry), 'utf8'))) {
    fail(`${mainEntry} has no literal new URL('./strata_wasm_bg.wasm', import.meta.url) for bundlers to follow`);
  }
});
rule('nothing else ships: no tests, sources, lock files or dotfiles', () => {
  const stray = listed.filter((f) => /(^|\/)\.|\.tgz$|package-lock\.json$|\.rs$|(^|\/)(src|tests|node_modules)\//.test(f));
  if (stray.length) fail(`stray files: ${stray.join(', ')}`);
});

done();
