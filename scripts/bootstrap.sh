#!/usr/bin/env bash
# Installs what Gatehouse needs to build and test, skipping whatever is already
# present, so a second run takes seconds. Every tool comes from a package
# registry (crates.io, npm, Debian): these machines cannot download from GitHub,
# which is why cargo-leptos is built with `no_downloads` (TOOLCHAIN.md).
#
# Usage: scripts/bootstrap.sh [build|e2e|bench]
#   build  Rust target, cargo-leptos, wasm-bindgen CLI, Tailwind and
#          wasm-opt (default)
#   e2e    everything in `build`, plus what the tests need: Chromium and
#          Playwright, Better Auth's client (npm), and aiosmtpd (PyPI), the
#          SMTP server the email tests run
#   bench  everything in `build`, plus wrk and curl (Debian) for scripts/bench.sh
set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.5
# Must equal the `wasm-bindgen` pin in Cargo.toml exactly.
WASM_BINDGEN_VERSION=0.2.130

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want="${1:-build}"

say() { printf '\033[1;34m[bootstrap]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " ${WASM_BINDGEN_VERSION}\$"; then
  say "installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (a few minutes, once)"
  # Not --locked: its lock file names a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}" --force
fi

if ! cargo leptos --version 2>/dev/null | grep -q " ${CARGO_LEPTOS_VERSION}\$"; then
  say "installing cargo-leptos ${CARGO_LEPTOS_VERSION} (about 16 minutes on 2 cores, once)"
  cargo install cargo-leptos --locked --version "${CARGO_LEPTOS_VERSION}" --features no_downloads --force
fi

# Tailwind, and wasm-opt for release builds, come from npm (package.json
# pins them); the scripts put node_modules/.bin first on PATH. wasm-opt is
# npm's `binaryen` 132, not Debian's `binaryen` 108, whose wasm-opt corrupts
# wasm-bindgen 0.2.130 output: the release build then fails in the browser
# ("WebAssembly.Table.set(): Argument 1 is invalid for table").
# `npm install` rather than `npm ci`: npm 11 judges its own lock file out of
# sync over optional platform packages of Tailwind and `npm ci` refuses it.
if [ ! -x "$root/node_modules/.bin/tailwindcss" ] ||
  ! "$root/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version 132 "; then
  say "installing Tailwind and wasm-opt (npm)"
  (cd "$root" && npm install --no-audit --no-fund --loglevel=error)
fi

if [ "$want" = e2e ]; then
  if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    say "installing aiosmtpd (PyPI), the SMTP server the email tests talk to"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore aiosmtpd
  fi
  apt_install chromium
  # jsQR reads the two-factor QR code back, as a phone's camera would.
  # openid-client is the app of the apps test: it signs in through Gatehouse.
  if [ ! -d "$root/end2end/node_modules/@playwright/test" ] || [ ! -d "$root/end2end/node_modules/jsqr" ] \
    || [ ! -d "$root/end2end/node_modules/openid-client" ]; then
    say "installing Playwright and its helpers (npm)"
    (cd "$root/end2end" && npm install --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -d "$root/clients/better-auth/node_modules/better-auth" ]; then
    say "installing Better Auth's client (npm), which the client suite drives Gatehouse with"
    (cd "$root/clients/better-auth" && npm install --no-audit --no-fund --loglevel=error)
  fi
fi

if [ "$want" = bench ]; then
  apt_install wrk curl
fi
