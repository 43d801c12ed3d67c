#!/usr/bin/env node
// Builds the demo page into www/demo/dist the way an app gets strata: from the package.
//
//   node www/demo/prepare.mjs        (scripts/demo.sh and tests/e2e/run.mjs run this)
//
//   1. `npm pack pkg/` into www/demo/.strata/ (pkg/ comes from ./scripts/build.sh).
//   2. `npm ci` of the demo's pinned React 19 + Vite 8 (skipped while node_modules matches
//      package-lock.json), then `npm install --no-save` of the tarball (skipped while the
//      installed one has the same sha256).
//   3. `vite build` -> dist/ (skipped while the tarball, the sources and the config are the
//      ones the last build used).
//
// Exit code 0 when dist/index.html is there. Needs the npm registry the first time only.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const pkgDir = path.join(repoRoot, 'pkg');
const packDir = path.join(here, '.strata');
export const distDir = path.join(here, 'dist');

function sh(cmd, args, { cwd = here, env = {} } = {}) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = `${r.stdout || ''}${r.stderr || ''}`
    .split('\n')
    .filter((l) => !/Unknown user config "nodedir"/.test(l)) // a machine-level npmrc warning
    .join('\n')
    .trim();
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}\n${output.split('\n').slice(-30).join('\n')}`);
  console.log(`demo: ${path.basename(cmd)} ${args[0]} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return r.stdout;
}

const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);
const sha = (buf) => createHash('sha256').update(buf).digest('hex');

function sourcesDigest(tarballSha) {
  const h = createHash('sha256').update(tarballSha);
  const files = ['index.html', 'vite.config.js', 'package-lock.json'];
  const walk = (dir) => {
    for (const e of readdirSync(path.join(here, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else files.push(rel);
    }
  };
  walk('src');
  walk('public');
  for (const f of files) h.update(f).update(readFileSync(path.join(here, f)));
  return h.digest('hex');
}

export function prepareDemo() {
  if (!existsSync(path.join(pkgDir, 'package.json'))) throw new Error('pkg/ is not built: run ./scripts/build.sh first');

  // 1. pack
  mkdirSync(packDir, { recursive: true });
  for (const f of readdirSync(packDir)) if (f.endsWith('.tgz')) rmSync(path.join(packDir, f));
  const packed = JSON.parse(sh('npm', ['pack', pkgDir, '--pack-destination', packDir, '--json', '--silent'], { cwd: repoRoot }));
  const tarball = path.join(packDir, packed[0].filename);
  const tarballSha = sha(readFileSync(tarball));

  // 2. install
  const lock = path.join(here, 'package-lock.json');
  const hidden = path.join(here, 'node_modules', '.package-lock.json');
  const vite = path.join(here, 'node_modules', '.bin', 'vite');
  if (mtime(hidden) > Math.max(mtime(lock), mtime(path.join(here, 'package.json'))) && existsSync(vite)) {
    console.log('demo: dependencies up to date');
  } else {
    sh('npm', ['ci', '--no-audit', '--no-fund']);
  }
  const stamp = path.join(here, 'node_modules', '.strata-tarball.sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === tarballSha && existsSync(path.join(here, 'node_modules', 'strata-store', 'react.js'))) {
    console.log('demo: strata tarball already installed');
  } else {
    sh('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', tarball]);
    writeFileSync(stamp, tarballSha);
  }

  // 3. build
  const digest = sourcesDigest(tarballSha);
  const built = path.join(distDir, '.build-digest');
  if (existsSync(built) && readFileSync(built, 'utf8') === digest && existsSync(path.join(distDir, 'index.html'))) {
    console.log('demo: dist/ is up to date');
  } else {
    sh(vite, ['build'], { env: { NODE_ENV: 'production' } });
    if (!existsSync(path.join(distDir, 'index.html'))) throw new Error('vite build wrote no dist/index.html');
    writeFileSync(built, digest);
  }
  return { distDir };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    prepareDemo();
    console.log(`demo: page built in ${path.relative(process.cwd(), distDir) || distDir}`);
  } catch (e) {
    console.error(`demo: ${e.message}`);
    process.exit(1);
  }
}
