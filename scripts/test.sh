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

STAGE_NAMES=()
STAGE_STATUS=()
STAGE_TIMES=()

summary() {
  echo
  echo "==================== test summary ===================="
  local i
  for i in "${!STAGE_NAMES[@]}"; do
    printf '  %-6s %-55s %4ss\n' "${STAGE_STATUS[$i]}" "${STAGE_NAMES[$i]}" "${STAGE_TIMES[$i]}"
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
  "$@" || rc=$?
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
stage "cargo test (native)" cargo test
stage "wasm-pack test --headless --chrome" run_wasm_tests
stage "build (scripts/build.sh)" ./scripts/build.sh
stage "js tests (node tests/js/run.mjs)" node tests/js/run.mjs

summary
echo "test.sh: all stages passed"
