#!/usr/bin/env bash
# Builds the package and serves the repo root so the demo in www/ can load pkg/.
#   PORT=9000 ./scripts/demo.sh
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
HOST=127.0.0.1

./scripts/setup.sh
./scripts/build.sh

echo "strata demo: open http://$HOST:$PORT/www/"
echo "strata demo: serving $(pwd) (Ctrl-C to stop)"
exec node scripts/static-server.mjs . "$PORT" "$HOST"
