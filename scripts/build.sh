#!/usr/bin/env bash
# Builds the release that scripts/run.sh serves and the tests drive: the
# server, and the browser's code as one WebAssembly bundle per page group
# (src/pages/mod.rs), each holding only the islands of its pages, so that
# opening an invitation never downloads the admin console.
#
#   public  cargo-leptos's own build: the server, the site, and the bundle
#           named in hash.txt beside the binary
#   org     a browser-only build into target/bundles/org, whose hashed
#   admin   files join the site's and whose names are in hash-<group>.txt
#
# A group is rebuilt only when a source changed since its last build; the
# public bundle is built last, so that cargo's output for it is the one a
# second run finds fresh. Assumes the tools of scripts/bootstrap.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/node_modules/.bin:$HOME/.cargo/bin:$PATH"

groups=(org admin)

for group in "${groups[@]}"; do
  site="target/bundles/$group"
  stamp="$site/.built"
  if [ -f "$stamp" ] && [ -f "target/release/hash-$group.txt" ] &&
    [ -z "$(find src Cargo.toml Cargo.lock .cargo -newer "$stamp" -print -quit)" ]; then
    continue
  fi
  printf '\033[1;34m[build]\033[0m the %s pages'"'"' bundle\n' "$group"
  LEPTOS_SITE_ROOT="$site" LEPTOS_HASH_FILE_NAME="hash-$group.txt" \
    cargo leptos build --release --precompress --frontend-only --lib-features "islands-$group"
  touch "$stamp"
done

# --precompress writes brotli and gzip copies of the assets, which the
# server sends to browsers that accept them. This empties target/site first.
cargo leptos build --release --precompress --lib-features islands-public

for group in "${groups[@]}"; do
  cp target/bundles/"$group"/pkg/gatehouse.*.{js,wasm}* target/site/pkg/
done
