#!/usr/bin/env bash
# Full test suite: formatting, lints, native Rust tests, wasm tests in headless
# Chromium, package build, and the JS wrapper tests in headless Chromium.
# Stops at the first failing stage and exits non-zero.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -f "$HOME/.cargo/env" ]; then
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
case ":$PATH:" in
  *":$HOME/.cargo/bin:"*) ;;
  *) export PATH="$HOME/.cargo/bin:$PATH" ;;
esac

LOG_DIR="$(mktemp -d)"
STAGE_NAMES=()
STAGE_STATUS=()
STAGE_TIMES=()

summary() {
  echo
  echo "==================== test summary ===================="
  local i
  for i in "${!STAGE_NAMES[@]}"; do
    printf '  %-6s %-55s %4ss\n' "${STAGE_STATUS[$i]}" "${STAGE_NAMES[$i]}" "${STAGE_TIMES[$i]}"
    # The tests' own summary lines (cargo/wasm-bindgen "test result:", the JS runner's "js tests:").
    grep -hE '^(test result:|js tests: [0-9]|sync tests:|react tests:|next tests:|quickstart tests:|bundler tests:|package check:|e2e tests:|api selftest:|soak: [0-9]|pkg/ ready:)' "$LOG_DIR/$i.log" 2>/dev/null | sed 's/^/           /' || true
  done
  echo "======================================================"
}

# stage "<display name>" cmd args...
stage() {
  local name="$1"
  shift
  echo
  echo "==================== [$(( ${#STAGE_NAMES[@]} + 1 ))] $name ===================="
  local start=$SECONDS rc=0
  local log="$LOG_DIR/${#STAGE_NAMES[@]}.log"
  "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
  STAGE_NAMES+=("$name")
  STAGE_TIMES+=("$(( SECONDS - start ))")
  if [ "$rc" -eq 0 ]; then
    STAGE_STATUS+=("PASS")
  else
    STAGE_STATUS+=("FAIL")
    summary
    echo "test.sh: FAILED at stage '$name' (exit code $rc)" >&2
    exit "$rc"
  fi
}

run_wasm_tests() {
  CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome
}

stage "setup (scripts/setup.sh)" ./scripts/setup.sh
stage "cargo fmt --check" cargo fmt --check
stage "cargo clippy --all-targets -- -D warnings" cargo clippy --all-targets -- -D warnings
stage "cargo clippy (wasm32: bindings, web, browser tests)" \
  cargo clippy --target wasm32-unknown-unknown --all-targets --all-features -- -D warnings
stage "cargo test (native)" cargo test
stage "wasm-pack test --headless --chrome" run_wasm_tests
stage "build (scripts/build.sh)" ./scripts/build.sh
stage "package check (node scripts/check-package.mjs: the packed tarball)" node scripts/check-package.mjs
# The test and demo APIs themselves (push hub, replay, idempotency), in Node.
stage "api selftest (node tests/server/api.selftest.mjs)" node tests/server/api.selftest.mjs
stage "js tests (node tests/js/run.mjs)" node tests/js/run.mjs
# IndexedDB outbox and cache, reloads, several tabs, exactly-once delivery (server log).
stage "sync tests (node tests/sync/run.mjs)" node tests/sync/run.mjs
# npm pack pkg/ into a throwaway Vite 8 + React 19 app (tests/react/app), tsc, vite build, SSR
# import, and the hook tests in Chromium. Needs the npm registry the first time.
stage "react tests (node tests/react/run.mjs)" node tests/react/run.mjs
# npm pack pkg/ into a pinned Next.js 16 App Router app (tests/next): next build, next start, server
# component dehydrates, client component hydrates in Chromium (no refetch, no mismatch), a mutation.
stage "next tests (node tests/next/run.mjs)" node tests/next/run.mjs
# The tarball in throwaway webpack 5, Rollup and esbuild apps: built, then run in Chromium.
stage "bundler tests (node tests/bundlers/run.mjs: webpack, Rollup, esbuild)" node tests/bundlers/run.mjs
# The README's quick start as a new user follows it: Vite's React template, npm install of the
# packed tarball, npm run dev with its /api proxy, driven in Chromium.
stage "quickstart tests (node tests/quickstart/run.mjs: the README's quick start)" node tests/quickstart/run.mjs
stage "e2e tests (node tests/e2e/run.mjs: the demo page + demo API in Chromium)" node tests/e2e/run.mjs
# Three tabs, 1,000 mutations, random network cuts, 500s, slow and lost answers, reloads and a
# closed tab; the server's state must show each mutation once, in each tab's order.
stage "soak test (node tests/soak/run.mjs)" node tests/soak/run.mjs

summary
echo "test.sh: all stages passed"
