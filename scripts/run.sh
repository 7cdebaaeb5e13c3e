#!/usr/bin/env bash
# Builds and starts Gatehouse on an embedded SQLite database
# (data/gatehouse.db), with no other service needed. Settings come from
# gatehouse.toml and GATEHOUSE_* variables (see README).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/bootstrap.sh" build
export PATH="$root/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# --precompress writes brotli and gzip copies of the assets, which the
# server sends to browsers that accept them.
cargo leptos build --release --precompress
# Leptos.toml gives the binary its site settings outside cargo-leptos.
exec "$root/target/release/gatehouse" serve
