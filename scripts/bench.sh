#!/usr/bin/env bash
# Measures the release build (the one scripts/run.sh serves) on this
# machine and prints the figures: requests per second with p50/p99 latency
# for four hot paths, one kept-alive client's latency per page, memory when
# idle and at the peak of a sign-in burst, and the WASM's size raw, gzip and
# brotli. Not part of the test command: figures depend on the machine.
#
# Usage: scripts/bench.sh [seconds per run, default 8]
# It starts its own server on 127.0.0.1:3999 with a fresh SQLite database in
# a temporary folder, and stops it at the end. Load comes from wrk (Debian).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
duration="${1:-8}"
"$root/scripts/bootstrap.sh" bench
export PATH="$root/node_modules/.bin:$HOME/.cargo/bin:$PATH"

"$root/scripts/build.sh" >/dev/null 2>&1 || "$root/scripts/build.sh"

port=3999
base="http://127.0.0.1:$port"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export GATEHOUSE_BIND="127.0.0.1:$port"
export GATEHOUSE_BASE_URL="$base"
export GATEHOUSE_DATABASE_URL="sqlite://$work/gatehouse.db"
export GATEHOUSE_SIGN_UP_MODE=open
export GATEHOUSE_RATE_LIMITS__SIGN_IN="1000000000/1m"
export GATEHOUSE_RATE_LIMITS__SIGN_UP="1000000000/1m"
export GATEHOUSE_RATE_LIMITS__OAUTH_TOKEN="1000000000/1m"
# Room for the 500-row bulk invitation: an organization's pending
# invitations and its email budgets are 100 by default.
export GATEHOUSE_ORGANIZATIONS__INVITATION_LIMIT=1000
export GATEHOUSE_RATE_LIMITS__ORGANIZATION_EMAIL_PER_ORGANIZATION="1000/1h"
export GATEHOUSE_RATE_LIMITS__ORGANIZATION_EMAIL_PER_SENDER="1000/1h"
export RUST_LOG=warn

"$root/target/release/gatehouse" serve 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null || { cat "$work/server.log"; exit 1; }
rss() { awk -v k="$1:" '$1 == k { printf "%.1f MB", $2 / 1024 }' "/proc/$server_pid/status"; }
sleep 1
idle="$(rss VmRSS)"

# A person with a session, and a public invitation to preview.
email="bench@example.com"
password="correct horse battery staple"
cookie="$(curl -fsS -D - -o /dev/null -H 'content-type: application/json' \
  -d "{\"name\":\"Bench\",\"email\":\"$email\",\"password\":\"$password\"}" \
  "$base/api/auth/sign-up/email" | tr -d '\r' | sed -n 's/^set-cookie: \([^;]*\).*/\1/Ip' | head -1)"
invite_url="$(RUST_LOG=error "$root/target/release/gatehouse" invite --role moderator --max-uses 1000000 2>/dev/null | tail -1)"
token="${invite_url##*/}"

cat >"$work/sign-in.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"email":"$email","password":"$password"}'
wrk.headers["Content-Type"] = "application/json"
EOF

# One wrk run; prints "req/s  p50  p99".
load() {
  local connections="$1" seconds="$2"
  shift 2
  wrk -t"$((connections < 2 ? 1 : 2))" -c"$connections" -d"${seconds}s" --latency "$@" 2>&1 | awk '
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = $2 }
    /^ +99%/ { p99 = $2 }
    /Non-2xx/ { bad = $NF }
    END { printf "%10s req/s   p50 %8s   p99 %8s%s\n", rps, p50, p99, (bad ? "   (" bad " non-2xx!)" : "") }'
}

echo
echo "Gatehouse release build on $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "wrk on the same machine, ${duration}s per run (sign-in: 15 s), kept-alive connections"
echo
printf '%-44s' "GET get-session (16 connections)"
load 16 "$duration" -H "Cookie: $cookie" "$base/api/auth/get-session"
printf '%-44s' "GET invite/get (16 connections)"
load 16 "$duration" "$base/api/auth/invite/get?token=$token"
printf '%-44s' "GET /invite/{token} page (16 connections)"
load 16 "$duration" "$base/invite/$token"
# A page with nothing to look up: what Leptos's render costs by itself,
# against which the preview's own share can be read.
printf '%-44s' "GET /invite code form (16 connections)"
load 16 "$duration" "$base/invite"
printf '%-44s' "GET /invite/{token} page (1 connection)"
load 1 "$duration" "$base/invite/$token"
printf '%-44s' "POST sign-in/email (20 connections)"
load 20 15 -s "$work/sign-in.lua" "$base/api/auth/sign-in/email"
peak="$(rss VmHWM)"
after="$(rss VmRSS)"

# Huge lists cost nothing (issue 22): three clients post 1.5 MiB role lists
# to update-member-role over and over while /healthz is asked every 50 ms;
# the slowest /healthz answer and the time of one such request are printed.
# Distinct names, so a list deduplicated pairwise would cost n²/2 compares.
python3 -c 'import json; print(json.dumps({"organizationId": "none", "memberId": "none", "role": ",".join("r%d" % i for i in range(190000))}))' >"$work/roles.json"
huge() { curl -s -o /dev/null -w '%{time_total}s (HTTP %{http_code})\n' -H "Cookie: $cookie" -H 'content-type: application/json' \
  --data-binary @"$work/roles.json" "$base/api/auth/organization/update-member-role"; }
one_huge="$(huge)"
flood_pids=()
for _ in 1 2 3; do
  (end=$((SECONDS + duration)); while [ "$SECONDS" -lt "$end" ]; do huge >/dev/null; done) &
  flood_pids+=("$!")
done
slowest="0"
end=$((SECONDS + duration))
while [ "$SECONDS" -lt "$end" ]; do
  t="$(curl -s -o /dev/null -w '%{time_total}' "$base/healthz")"
  slowest="$(awk -v a="$slowest" -v b="$t" 'BEGIN { print (b > a ? b : a) }')"
  sleep 0.05
done
wait "${flood_pids[@]}"

# A 500-row bulk invitation (issue 26): one request to invite-members, each
# row in its own transaction with its email queued; its time, and how many
# emails the outbox holds for it afterwards.
org_id="$(curl -fsS -H "Cookie: $cookie" -H 'content-type: application/json' \
  -d '{"name":"Bench Org","slug":"bench-org"}' "$base/api/auth/organization/create" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
python3 -c 'import json, sys; print(json.dumps({"organizationId": sys.argv[1], "invitations": [{"email": "p%d@bench.example" % i} for i in range(500)]}))' "$org_id" >"$work/bulk.json"
bulk_time="$(curl -s -o "$work/bulk-out.json" -w '%{time_total}s (HTTP %{http_code})' -H "Cookie: $cookie" -H 'content-type: application/json' \
  --data-binary @"$work/bulk.json" "$base/api/auth/organization/invite-members")"
bulk_invited="$(python3 -c 'import json, sys; print(sum(r["status"] == "invited" for r in json.load(open(sys.argv[1]))["results"]))' "$work/bulk-out.json")"
bulk_queued="$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from outbound_emails where kind = ?", ("organization-invitation",)).fetchone()[0])' "$work/gatehouse.db")"

echo
echo "memory: idle $idle (started, nothing asked yet), peak $peak (VmHWM, through the sign-in burst), after $after"
echo "1.5 MiB list of 190,000 role names to update-member-role: ${one_huge}; slowest /healthz while 3 clients send them: ${slowest}s"
echo "bulk invitation of 500 people to invite-members: ${bulk_time}, ${bulk_invited} invited, ${bulk_queued} emails queued"

size() { stat -c %s "$1" | awk '{ printf "%.0f KB", $1 / 1024 }'; }
# One bundle per page group (scripts/build.sh); hash*.txt name their files.
for hashes in target/release/hash.txt target/release/hash-org.txt target/release/hash-admin.txt; do
  group="$(basename "$hashes" .txt)"
  group="${group#hash-}"
  [ "$group" = hash ] && group=public
  wasm="target/site/pkg/gatehouse.$(sed -n 's/^wasm: //p' "$hashes").wasm"
  js="target/site/pkg/gatehouse.$(sed -n 's/^js: //p' "$hashes").js"
  echo "WASM of the $group pages: raw $(size "$wasm"), gzip $(size "$wasm.gz"), brotli $(size "$wasm.br"); its JS $(size "$js.br") brotli"
done
css="$(ls target/site/pkg/*.css)"
echo "CSS $(size "$css.br") brotli"

# What pages cost a browser: the WebAssembly each loads on the wire, and
# on a phone profile the time to a usable and to a live form
# (end2end/measure.mjs). An owner of an organization, and an admin.
org_slug="bench-$$"
curl -fsS -H "Cookie: $cookie" -H 'content-type: application/json' \
  -d "{\"name\":\"Bench Org\",\"slug\":\"$org_slug\"}" "$base/api/auth/organization/create" >/dev/null
admin_url="$(RUST_LOG=error "$root/target/release/gatehouse" invite --role admin 2>/dev/null | tail -1)"
admin_cookie="$(curl -fsS -D - -o /dev/null -H 'content-type: application/json' \
  -d "{\"name\":\"Admin\",\"email\":\"bench-admin@example.com\",\"password\":\"$password\",\"inviteToken\":\"${admin_url##*/}\"}" \
  "$base/api/auth/sign-up/email" | tr -d '\r' | sed -n 's/^set-cookie: \([^;]*\).*/\1/Ip' | head -1)"
# The token endpoint (issue 25): an app with code exchanges and refreshes,
# as its server makes them.
app_json="$(curl -fsS -H "Cookie: $admin_cookie" -H 'content-type: application/json' \
  -d '{"client_name":"Bench app","redirect_uris":["http://127.0.0.1:4999/cb"],"skip_consent":true,"scope":"openid email profile offline_access"}' \
  "$base/api/auth/admin/oauth2/create-client")"
app_id="$(echo "$app_json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["client_id"])')"
app_secret="$(echo "$app_json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["client_secret"])')"
echo
node end2end/token-bench.mjs "$base" "$cookie" "$app_id" "$app_secret" "http://127.0.0.1:4999/cb" "$duration"

cat >"$work/pages.json" <<JSON
[
  { "label": "/invite/{token} (preview)", "path": "/invite/$token" },
  { "label": "/invite/{token}/sign-up", "path": "/invite/$token/sign-up", "phone": true },
  { "label": "/sign-in", "path": "/sign-in", "phone": true },
  { "label": "/welcome", "path": "/welcome", "cookie": "$cookie" },
  { "label": "/dashboard", "path": "/dashboard", "cookie": "$cookie" },
  { "label": "/admin/invites", "path": "/admin/invites", "cookie": "$admin_cookie" },
  { "label": "/admin/users", "path": "/admin/users", "cookie": "$admin_cookie" },
  { "label": "/admin/emails", "path": "/admin/emails", "cookie": "$admin_cookie" },
  { "label": "/admin/webhooks", "path": "/admin/webhooks", "cookie": "$cookie" },
  { "label": "/orgs/{slug} (members)", "path": "/orgs/$org_slug", "cookie": "$cookie" },
  { "label": "/orgs/{slug}/invitations", "path": "/orgs/$org_slug/invitations", "cookie": "$cookie" },
  { "label": "/orgs/{slug}/teams", "path": "/orgs/$org_slug/teams", "cookie": "$cookie" },
  { "label": "/orgs/{slug}/roles", "path": "/orgs/$org_slug/roles", "cookie": "$cookie" },
  { "label": "/orgs/{slug}/settings", "path": "/orgs/$org_slug/settings", "cookie": "$cookie" }
]
JSON
echo
(cd end2end && node measure.mjs "$base" "$work/pages.json")
