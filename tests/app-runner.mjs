// What the app-based test runners share (tests/react, tests/next, tests/bundlers and
// tests/quickstart run.mjs): each packs pkg/, installs the tarball into a throwaway app with its
// own pinned dependencies, runs commands in it and counts named checks into one summary line
// (`react tests: N passed, M failed`, ...) that scripts/test.sh greps. The runners differ in what
// they check; the bookkeeping, the command runner and the install below are the same for all.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM } from '../scripts/chromium.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const pkgDir = path.join(repoRoot, 'pkg');

// ---- results --------------------------------------------------------------------------------

// The named checks of one runner, printed TAP-like as they finish (`ok - name`, `not ok - name:
// error`) and counted by finish() into the summary line `${label} tests: N passed, M failed`.
//   outDir: where finish() writes results.json (null: none is written)
//   stack:  report a failed check's stack instead of its message
export function createResults(label, outDir, { stack = false } = {}) {
  const results = [];
  function record(name, ok, error = null) {
    results.push({ name, ok, error });
    console.log(ok ? `ok - ${name}` : `not ok - ${name}: ${String(error).replace(/\n/g, '\n    ')}`);
  }
  // Runs fn as one check; true when it passed (the runners stop early when a step they need fails).
  async function check(name, fn) {
    try {
      await fn();
      record(name, true);
      return true;
    } catch (e) {
      record(name, false, stack ? (e && e.stack ? e.stack : e) : e && e.message ? e.message : e);
      return false;
    }
  }
  // Writes the summary line (with `extra` after it, e.g. a duration) and exits: 0 only when
  // something ran and nothing failed.
  function finish(extra = '') {
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    if (outDir) {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(path.join(outDir, 'results.json'), JSON.stringify({ passed, failed, results }, null, 2) + '\n');
    }
    console.log(`${label} tests: ${passed} passed, ${failed} failed${extra}`);
    process.exit(failed === 0 && passed > 0 ? 0 : 1);
  }
  return { results, record, check, finish, assertEqual };
}

// Compares as JSON, so arrays and plain objects compare by value; `what` names it in the error.
export function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

// ---- commands -------------------------------------------------------------------------------

// Machine-level npm notices that say nothing about the test (an npmrc key this npm does not know).
const NOTICES = /Unknown user config "nodedir"/;

// Runs a command and waits for it, echoing its output indented (unless quiet) and a line with
// its duration; throws with the tail of the output when it fails, so the check shows why.
//   ignore:     another regex of output lines to drop (bundlers: npm's install-scripts notice)
//   relativeTo: name cwd relative to this folder in the duration line (`cmd in dir: 1.0 s`)
export function sh(cmd, args, { cwd, env = {}, quiet = false, ignore = null, relativeTo = null } = {}) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = `${r.stdout || ''}${r.stderr || ''}`
    .split('\n')
    .filter((l) => !NOTICES.test(l) && !(ignore && ignore.test(l)))
    .join('\n')
    .trim();
  if (!quiet && output) console.log(output.replace(/^/gm, '    '));
  const where = relativeTo === null ? '' : ` in ${path.relative(relativeTo, cwd) || '.'}`;
  console.log(`    (${[cmd, ...args].join(' ')}${where}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}\n${output.split('\n').slice(-30).join('\n')}`);
  return r.stdout;
}

// A file's modification time, 0 when it does not exist (so a missing file is always stale).
export const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);

// An app's locally installed command (node_modules/.bin/name).
export const bin = (appDir, name) => path.join(appDir, 'node_modules', '.bin', name);

export const sha256 = (data) => createHash('sha256').update(data).digest('hex');

// A port nothing listens on now, for a server the runner starts as a child (next start, vite).
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---- pack and install -----------------------------------------------------------------------

// `npm pack pkg/` into destDir (older tarballs there removed first, so there is one), as a user
// would get the package from the registry. Returns { tarball, info } (info: npm's --json entry:
// files, entryCount, size). shOptions go to sh (the runner's flavour of the duration line).
export function packPkg(destDir, shOptions = {}) {
  if (!existsSync(path.join(pkgDir, 'package.json'))) throw new Error('pkg/ is not built: run ./scripts/build.sh first');
  mkdirSync(destDir, { recursive: true });
  for (const f of readdirSync(destDir)) if (f.endsWith('.tgz')) rmSync(path.join(destDir, f));
  const json = JSON.parse(sh('npm', ['pack', pkgDir, '--pack-destination', destDir, '--json', '--silent'], { cwd: repoRoot, quiet: true, ...shOptions }));
  return { tarball: path.join(destDir, json[0].filename), info: json[0] };
}

// Where installApp keeps the sha256 of the tarball it installed (next's build stamp reads it).
export const tarballStamp = (appDir) => path.join(appDir, 'node_modules', '.strata-tarball.sha256');

// The app's pinned dependencies, then the tarball, each skipped when already in place, since a
// fresh install takes minutes and most runs change neither:
//   - `npm ci` unless node_modules/.package-lock.json (npm writes it last) is newer than the
//     app's package-lock.json and package.json, and every path in `needs` exists;
//   - `npm install --no-save <tarball>` (the tarball changes with every build and the app's
//     package.json does not name it) unless the stamp holds its sha256 and, when `marker` is set,
//     node_modules/strata-store/<marker> exists.
// say: the two lines printed when a step is skipped ({ deps, tarball }), or null for none.
export function installApp(appDir, tarball, { needs = [], marker = 'react.js', say = {}, shOptions = {} } = {}) {
  const lines = say === null ? {} : { deps: 'app dependencies up to date', tarball: 'strata tarball already installed', ...say };
  const run = (args) => sh('npm', args, { cwd: appDir, ...shOptions });
  const hidden = path.join(appDir, 'node_modules', '.package-lock.json');
  const fresh = mtime(hidden) > Math.max(mtime(path.join(appDir, 'package-lock.json')), mtime(path.join(appDir, 'package.json')));
  if (fresh && needs.every((f) => existsSync(f))) {
    if (lines.deps) console.log(`    ${lines.deps} (node_modules/.package-lock.json is newer than package-lock.json)`);
  } else {
    run(['ci', '--no-audit', '--no-fund']);
  }
  const digest = sha256(readFileSync(tarball));
  const stamp = tarballStamp(appDir);
  const have = existsSync(stamp) && readFileSync(stamp, 'utf8') === digest;
  if (have && (!marker || existsSync(path.join(appDir, 'node_modules', 'strata-store', marker)))) {
    if (lines.tarball) console.log(`    ${lines.tarball} (same sha256)`);
  } else {
    run(['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', tarball]);
    writeFileSync(stamp, digest);
  }
}

// ---- browser --------------------------------------------------------------------------------

// playwright-core (from the repo root's node_modules) and the Chromium at CHROMIUM, or null after
// recording which one is missing and how to get it, for the runner to finish() on.
//   setupHint: name scripts/setup.sh in those messages
export async function loadChromium(record, { setupHint = true } = {}) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    record('browser: load playwright-core', false, `${e.message}; run \`npm ci\` at the repo root${setupHint ? ' (scripts/setup.sh does this)' : ''}`);
    return null;
  }
  if (!existsSync(CHROMIUM)) {
    record('browser: find Chromium', false, `no browser at ${CHROMIUM}; install Debian's chromium${setupHint ? ' (scripts/setup.sh)' : ''} or set CHROMIUM_PATH`);
    return null;
  }
  return chromium;
}
