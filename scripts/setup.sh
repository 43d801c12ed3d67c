#!/usr/bin/env bash
# Installs everything needed to build and test strata. Idempotent: every step
# is skipped when already satisfied. Prints one line per step.
#
# Needs (preinstalled): rustup + cargo (stable), Node >= 20 with npm, Debian apt.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

# Make sure cargo-installed tools are on PATH.
if [ -f "$HOME/.cargo/env" ]; then
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
case ":$PATH:" in
  *":$HOME/.cargo/bin:"*) ;;
  *) export PATH="$HOME/.cargo/bin:$PATH" ;;
esac

step() { printf 'setup: %-34s %s\n' "$1" "$2"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null 2>&1 || die "cargo not found; install Rust via rustup (https://rustup.rs) first"
command -v rustup >/dev/null 2>&1 || die "rustup not found; install Rust via rustup (https://rustup.rs) first"
command -v node >/dev/null 2>&1 || die "node not found; install Node.js >= 20"
command -v npm >/dev/null 2>&1 || die "npm not found; install Node.js >= 20 with npm"

# --- Rust components -------------------------------------------------------
installed_components="$(rustup component list --installed 2>/dev/null || true)"
missing_components=()
for c in rustfmt clippy; do
  grep -q "^$c" <<<"$installed_components" || missing_components+=("$c")
done
if [ "${#missing_components[@]}" -eq 0 ]; then
  step "rustfmt, clippy" "ok (already installed)"
else
  step "rustfmt, clippy" "installing: ${missing_components[*]}"
  rustup component add "${missing_components[@]}"
fi

# --- wasm target -------------------------------------------------------------
if rustup target list --installed 2>/dev/null | grep -qx 'wasm32-unknown-unknown'; then
  step "wasm32-unknown-unknown" "ok (already installed)"
else
  step "wasm32-unknown-unknown" "installing"
  rustup target add wasm32-unknown-unknown
fi

# --- wasm-pack ---------------------------------------------------------------
if command -v wasm-pack >/dev/null 2>&1; then
  step "wasm-pack" "ok ($(wasm-pack --version 2>/dev/null | head -n1))"
else
  step "wasm-pack" "installing (cargo install wasm-pack --locked)"
  if ! cargo install wasm-pack --locked; then
    step "wasm-pack" "--locked install failed; retrying without --locked"
    cargo install wasm-pack
  fi
fi

# --- wasm-bindgen-cli (must match Cargo.toml's exact wasm-bindgen pin) -------
WB_VERSION="$(sed -nE 's/^[[:space:]]*wasm-bindgen[[:space:]]*=[[:space:]]*(\{[^}]*version[[:space:]]*=[[:space:]]*)?"=([0-9][0-9A-Za-z.+-]*)".*/\2/p' Cargo.toml | head -n1)"
[ -n "$WB_VERSION" ] || die "could not find a 'wasm-bindgen = \"=X.Y.Z\"' pin in Cargo.toml"
have_wb="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have_wb" = "$WB_VERSION" ]; then
  step "wasm-bindgen-cli $WB_VERSION" "ok (already installed)"
else
  step "wasm-bindgen-cli $WB_VERSION" "installing (found: ${have_wb:-none})"
  if ! cargo install wasm-bindgen-cli --version "$WB_VERSION" --locked --force; then
    # The crate's bundled Cargo.lock can reference dependency versions that the
    # registry index no longer offers (yanked / not mirrored); fall back to a
    # fresh resolution of semver-compatible versions.
    step "wasm-bindgen-cli $WB_VERSION" "--locked install failed; retrying without --locked"
    cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
  fi
  have_wb="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  [ "$have_wb" = "$WB_VERSION" ] || die "wasm-bindgen --version reports '${have_wb:-nothing}', expected $WB_VERSION"
fi

# --- Chromium, chromedriver, binaryen (Debian packages) ----------------------
apt_missing=()
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
[ -x /usr/bin/chromedriver ] || apt_missing+=(chromium-driver)
command -v wasm-opt >/dev/null 2>&1 || apt_missing+=(binaryen)
if [ "${#apt_missing[@]}" -eq 0 ]; then
  step "chromium, chromedriver, wasm-opt" "ok (already installed)"
else
  step "chromium, chromedriver, wasm-opt" "installing via apt (missing: ${apt_missing[*]})"
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "not root and sudo is unavailable; install with apt: chromium chromium-driver binaryen"
    SUDO=(sudo)
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver binaryen
fi

# --- npm dev dependencies (playwright-core) -----------------------------------
if [ ! -d "$ROOT/node_modules" ] || [ ! -f "$ROOT/node_modules/.package-lock.json" ] \
   || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
  step "npm ci" "installing root devDependencies"
  npm ci --no-audit --no-fund
else
  step "npm ci" "ok (node_modules up to date)"
fi
