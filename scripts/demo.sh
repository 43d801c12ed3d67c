#!/usr/bin/env bash
# The demo: installs what is missing, builds the package, builds the demo page from it
# (www/demo, Vite + React, installing the packed tarball as an app would) and serves the page
# and the demo API (www/server) on one origin.
#   ./scripts/demo.sh              -> http://127.0.0.1:8080/
#   PORT=9000 ./scripts/demo.sh
# The API keeps its data in www/server/data/db.json (delete it, or use "Reset demo data" in
# the page's Server tab, to start over).
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

PORT="${PORT:-8080}"
HOST="${HOST:-127.0.0.1}"

./scripts/setup.sh
./scripts/build.sh
node www/demo/prepare.mjs

# Prints "strata demo: open http://127.0.0.1:8080/" once it listens.
exec node www/server/main.mjs --port "$PORT" --host "$HOST"
