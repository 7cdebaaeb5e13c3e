#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints for both feature
# sets, unit and integration tests (on SQLite and PostgreSQL), then the
# Playwright tests in Chromium and the Better Auth client suite, both against
# the release build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/bootstrap.sh" e2e
export PATH="$root/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# A one-off build gains nothing from incremental caches, which take gigabytes.
export CARGO_INCREMENTAL=0

step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

# The build needs about 8 GB in target/ (test, release and browser builds);
# say so up front rather than fail
# half-way with "No space left on device".
free_kb=$(df -Pk "$root" | awk 'NR == 2 { print $4 }')
if [ "${free_kb:-0}" -lt $((8 * 1024 * 1024)) ]; then
  printf '\n\033[1;33m!!! Only %s MB free on this disk; the build needs about 8 GB.\033[0m\n' "$((free_kb / 1024))"
fi

step "formatting"
cargo fmt --check

step "clippy (server and browser feature sets)"
cargo clippy --features ssr --all-targets -- -D warnings
# The browser's code: every island at once, then each page group's bundle
# alone, as scripts/build.sh compiles them.
for islands in islands-public,islands-org,islands-admin islands-public islands-org islands-admin; do
  cargo clippy --features "$islands" --lib --target wasm32-unknown-unknown -- -D warnings
done

# The storage suite runs on PostgreSQL too; it is skipped only when no
# server answers, and then this says so plainly.
pg_url="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null || [ -n "${TEST_POSTGRES_URL:-}" ]; then
  export TEST_POSTGRES_URL="$pg_url"
  if command -v psql >/dev/null; then
    # Databases left behind by earlier runs.
    psql "$pg_url" -Atqc "select datname from pg_database where datname like 'gatehouse_test_%'" 2>/dev/null |
      while read -r db; do psql "$pg_url" -qc "drop database if exists $db" >/dev/null 2>&1 || true; done
  fi
elif [ -n "${CI:-}" ]; then
  # CI machines have a server; a missing one is a broken machine, and a
  # green run without the PostgreSQL half would be a lie.
  printf '\n\033[1;31m!!! CI is set and PostgreSQL is not reachable at 127.0.0.1:5432 (or TEST_POSTGRES_URL): failing rather than skipping.\033[0m\n' >&2
  exit 1
else
  printf '\n\033[1;33m!!! PostgreSQL is not reachable at 127.0.0.1:5432: SKIPPING the PostgreSQL half of the storage suite.\033[0m\n'
  export SKIP_POSTGRES_TESTS=1
fi

step "unit and integration tests (SQLite and PostgreSQL)"
cargo test --features ssr

# The browser tests drive the release build, exactly what scripts/run.sh
# serves (wasm-opt, precompressed and hashed assets).
step "release build for the browser tests"
"$root/scripts/build.sh"

step "end-to-end tests (Playwright, Chromium, against the release build)"
(cd end2end && npx playwright test)

# Apps written for Better Auth must work unchanged: its official client
# (organizationClient, adminClient) against the same release build.
step "Better Auth client suite (better-auth 1.7.25, Node)"
(cd clients/better-auth && node --test)

# The build output is most of the suite's disk use; say how much it took.
du -sh "$root/target" | awk '{ print "\nbuild output in target/: " $1 }'
