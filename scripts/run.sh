#!/usr/bin/env bash
# Builds and starts Gatehouse on an embedded SQLite database
# (data/gatehouse.db), with no other service needed. Settings come from
# gatehouse.toml and GATEHOUSE_* variables (see README).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/bootstrap.sh" build
"$root/scripts/build.sh"
# Leptos.toml gives the binary its site settings outside cargo-leptos.
exec "$root/target/release/gatehouse" serve
