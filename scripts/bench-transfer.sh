#!/usr/bin/env bash
# Builds what the transfer benchmark (www/bench/transfer.html) loads:
#   pkg/               the normal package (./scripts/build.sh)
#   target/bench-pkg/  the same core with `--features bench-transfer` (adds
#                      StoreCore.setQueryDataObjects), optimized with the same wasm-opt line
# Usually run through `node scripts/bench-transfer.mjs --build`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
./scripts/build.sh
wasm-pack build --release --target web --out-dir target/bench-pkg --out-name strata_wasm --no-pack \
  -- --features bench-transfer
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-reference-types --enable-sign-ext --enable-mutable-globals --enable-multivalue \
  target/bench-pkg/strata_wasm_bg.wasm -o target/bench-pkg/strata_wasm_bg.wasm
echo "bench-transfer: built pkg/ and target/bench-pkg/"
