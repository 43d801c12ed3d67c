#!/usr/bin/env bash
# Builds the npm package into pkg/: the wasm core with wasm-pack (release: opt-level z, LTO,
# wasm-opt), then the JS wrapper and package.json (scripts/package.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
wasm-pack build --release --target web --out-dir pkg --out-name strata_wasm --no-pack "$@"
node scripts/package.mjs
