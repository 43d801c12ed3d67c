#!/usr/bin/env bash
# Builds the npm package into pkg/: the wasm core with wasm-pack (release: opt-level z, LTO),
# wasm-opt -Oz from npm's binaryen (pinned in package.json), then the JS wrapper and
# package.json (scripts/package.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
wasm-pack build --release --target web --out-dir pkg --out-name strata_wasm --no-pack "$@"
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-reference-types --enable-sign-ext --enable-mutable-globals --enable-multivalue \
  pkg/strata_wasm_bg.wasm -o pkg/strata_wasm_bg.wasm
node scripts/package.mjs
