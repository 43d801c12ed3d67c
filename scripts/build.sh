#!/usr/bin/env bash
# Builds the npm package into pkg/: the wasm core with wasm-pack (release: opt-level z, LTO),
# wasm-opt -Oz from npm's binaryen (pinned in package.json), then the JS wrapper and
# package.json (scripts/package.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
wasm-pack build --release --target web --out-dir pkg --out-name strata_wasm --no-pack "$@"
# --converge reruns -Oz while it still shrinks; --low-memory-unused lets it fold address
# arithmetic (Rust's wasm layout starts the stack at 1 MiB, nothing lives below 1 KiB); the
# producers and target_features sections are tool metadata nothing reads at run time.
node_modules/.bin/wasm-opt -Oz --converge --low-memory-unused --strip-producers --strip-target-features \
  --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-reference-types --enable-sign-ext --enable-mutable-globals --enable-multivalue \
  pkg/strata_wasm_bg.wasm -o pkg/strata_wasm_bg.wasm
node scripts/package.mjs
