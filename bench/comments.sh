#!/usr/bin/env bash
# Comment load on loopback (issue 7's bar): 200 readers commenting at once for 60 s against one `tidings demo`
# process on SQLite, then a count of what was stored (none lost, none doubled), with req/s and latency.
#
#   bash bench/comments.sh [COMMENTERS] [SECS] [THINK_MS]
#
# The demo runs as it always does (it keeps polling its outlets), with the per-account and per-address comment
# limits turned off: every commenter shares 127.0.0.1 and posts faster than a person could. THINK_MS is each
# reader's pause between two comments (default 0: post again as soon as the last one is acknowledged).
# Builds the release binary first.
set -euo pipefail
cd "$(dirname "$0")/.."
commenters="${1:-200}"
secs="${2:-60}"
think="${3:-0}"
port="${PORT:-18490}"
cargo build --release --locked -p tidings
bin="$PWD/target/release/tidings"
dir="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
(cd "$dir" && TIDINGS_ACCOUNTS__COMMENTS_PER_MINUTE=0 TIDINGS_ACCOUNTS__REQUESTS_PER_MINUTE_PER_IP=0 \
  TIDINGS_LOG=warn exec "$bin" demo --listen "127.0.0.1:$port") >"$dir/demo.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 1
done
"$bin" bench comments --url "http://127.0.0.1:$port" --commenters "$commenters" --secs "$secs" --think-ms "$think"
echo "server: $(grep -c ' ERROR ' "$dir/demo.log" || true) errors logged; peak RSS $(grep VmHWM /proc/$server/status | awk '{print $2/1024 " MiB"}')"
