#!/usr/bin/env bash
# Throughput of the article and story pages at 1M articles, against nginx serving the same bytes as static
# files, both measured by wrk in the same run; then the home page's server time.
#
#   bash bench/throughput.sh
#
# Environment (all optional):
#   TIDINGS_BENCH_DATA=DIR      data directory to use: reused as it is when it holds bench-sample.txt (a
#                               finished `tidings bench seed`), else seeded there and kept. Without it a
#                               temporary directory is seeded and deleted at the end.
#   TIDINGS_BENCH_ARTICLES=N    articles to seed (default 1000000)
#   TIDINGS_BENCH_DURATION=15s  each wrk run (default 15s, after a 5s warm-up)
#   TIDINGS_BENCH_CONNECTIONS=64, TIDINGS_BENCH_THREADS=2
#   TIDINGS_BENCH_ROUNDS=3      alternating nginx/tidings rounds per page; the report gives the medians
#
# Fairness: both servers run on the same loopback, one after the other, with the same wrk command. Tidings'
# runtime starts one worker thread per core (tokio's default), so nginx gets `worker_processes` = the number of
# cores too, with access_log off, sendfile on and keep-alive connections never closed by the server (hyper
# never closes them either). Neither compresses: wrk sends no Accept-Encoding. The seeded sources are due for
# polling only in a year, so the poller runs (as in production) but fetches nothing; the story stage's
# warm-up is waited for before measuring.
#
# Bars (issue 5): each page at >= 50% of nginx's requests/s with p99 < 50 ms; the home page's server time
# (p95 of 200 sequential requests, time to first byte) < 50 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

articles="${TIDINGS_BENCH_ARTICLES:-1000000}"
duration="${TIDINGS_BENCH_DURATION:-15s}"
connections="${TIDINGS_BENCH_CONNECTIONS:-64}"
threads="${TIDINGS_BENCH_THREADS:-2}"
rounds="${TIDINGS_BENCH_ROUNDS:-3}"
cores="$(nproc)"
# tidings reads every TIDINGS_* variable as a setting: these are the script's own.
unset TIDINGS_BENCH_ARTICLES TIDINGS_BENCH_DURATION TIDINGS_BENCH_CONNECTIONS TIDINGS_BENCH_THREADS TIDINGS_BENCH_ROUNDS
tidings_port=18181
nginx_port=18182

if ! command -v nginx >/dev/null 2>&1 || ! command -v wrk >/dev/null 2>&1; then
  echo "installing nginx and wrk (Debian packages)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq nginx wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx wrk >/dev/null; }
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

echo "building tidings (release)" >&2
nice cargo build --release --locked --quiet -p tidings
bin="$repo/target/release/tidings"

work="$(mktemp -d "${TMPDIR:-/tmp}/tidings-throughput.XXXXXX")"
data="${TIDINGS_BENCH_DATA:-}"
unset TIDINGS_BENCH_DATA
remove_data=""
if [ -z "$data" ]; then
  data="$work/data"
  remove_data=1
fi
mkdir -p "$data"
data="$(cd "$data" && pwd)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$remove_data" ]; then rm -rf "$work"; else rm -rf "$work/www"; fi
}
trap cleanup EXIT

# Tidings runs from the work directory so no ./tidings.toml of the caller is read.
tidings() {
  (cd "$work" && env -u TIDINGS_CONFIG TIDINGS_DATA_DIR="$data" TIDINGS_DATABASE_URL="" "$bin" "$@")
}

seed_line="reused the seeded database in $data"
if [ ! -f "$data/bench-sample.txt" ]; then
  echo "seeding $articles articles into $data" >&2
  started=$(date +%s.%N)
  tidings bench seed --articles "$articles" | tee "$work/seed.txt"
  seconds=$(python3 -c "print(f'{$(date +%s.%N) - $started:.0f}')")
  seed_line="seeded $articles articles in ${seconds}s: $(head -n1 "$work/seed.txt")"
fi
story="$(sed -n 's/^story=//p' "$data/bench-sample.txt")"
article="$(sed -n 's/^article=//p' "$data/bench-sample.txt")"
story_count="$(sed -n 's/^stories=//p' "$data/bench-sample.txt")"
article_count="$(sed -n 's/^articles=//p' "$data/bench-sample.txt")"
db_size="$(du -cb "$data"/tidings.db* | tail -n1 | cut -f1)"

# Search is measured by its own benchmark; here it is off, so the poller does not spend the run indexing the
# million seeded articles (a deployment's index is up to date, and then indexing costs nothing either).
search_off=()
tidings config >"$work/config.toml"
if grep -q '^\[search\]' "$work/config.toml"; then search_off=(TIDINGS_SEARCH__ENABLED=false); fi

echo "starting tidings on 127.0.0.1:$tidings_port" >&2
(cd "$work" && exec env -u TIDINGS_CONFIG TIDINGS_DATA_DIR="$data" TIDINGS_DATABASE_URL="" "${search_off[@]}" \
  TIDINGS_LISTEN="127.0.0.1:$tidings_port" TIDINGS_LOG=info "$bin" serve) >"$work/tidings.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$tidings_port"
for _ in $(seq 1 600); do
  if curl -sf "$base/readyz" >/dev/null 2>&1 && grep -q "story stage ready" "$work/tidings.log"; then break; fi
  sleep 0.2
done
grep -q "story stage ready" "$work/tidings.log" || { echo "tidings did not get ready:" >&2; cat "$work/tidings.log" >&2; exit 1; }

# The exact bytes tidings serves, as static files for nginx.
# nginx's workers run as www-data when started by root: they must be able to read the pages.
chmod 755 "$work"
mkdir -p "$work/www/articles" "$work/www/stories"
curl -sf -o "$work/www/articles/$article" "$base/articles/$article"
curl -sf -o "$work/www/stories/$story" "$base/stories/$story"
chmod -R a+rX "$work/www"

cat >"$work/nginx.conf" <<EOF
worker_processes $cores;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 120s;
  keepalive_requests 100000000;
  default_type text/html;
  client_body_temp_path $work/nginx-tmp;
  proxy_temp_path $work/nginx-tmp;
  fastcgi_temp_path $work/nginx-tmp;
  uwsgi_temp_path $work/nginx-tmp;
  scgi_temp_path $work/nginx-tmp;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
  }
}
EOF
mkdir -p "$work/nginx-tmp"
"$nginx_bin" -p "$work" -c "$work/nginx.conf" -g 'daemon off;' 2>"$work/nginx-stderr.log" &
pids+=($!)
static="http://127.0.0.1:$nginx_port"
for _ in $(seq 1 50); do curl -sf -o /dev/null "$static/articles/$article" && break; sleep 0.1; done
cmp -s "$work/www/articles/$article" <(curl -sf "$static/articles/$article") || { echo "nginx does not serve the page" >&2; exit 1; }

# One wrk run at $connections connections into FILE (a 5 s warm-up first when WARM is set).
run_wrk() {
  local url="$1" out="$2" warm="${3:-}"
  if [ -n "$warm" ]; then wrk -t"$threads" -c"$connections" -d5s "$url" >/dev/null; fi
  wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url" >"$out"
}

# Other work on the machine moves both servers' figures: nginx and tidings alternate, $rounds rounds each, and
# the report takes the median round of each.
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for page in article story; do
  if [ "$page" = article ]; then path="/articles/$article"; else path="/stories/$story"; fi
  for round in $(seq 1 "$rounds"); do
    echo "measuring the $page page ($path), round $round/$rounds: nginx, then tidings" >&2
    warm=""; [ "$round" = 1 ] && warm=1
    run_wrk "$static$path" "$work/wrk-nginx-$page-$round.txt" "$warm"
    run_wrk "$base$path" "$work/wrk-tidings-$page-$round.txt" "$warm"
  done
done

# Every request rendered: random pages across the whole database, so none comes from the page cache. No
# static equivalent: these rows show what a cache miss costs, they have no bar.
for page in article story; do
  if [ "$page" = article ]; then count="${article_count:-0}"; prefix=/articles/; else count="${story_count:-0}"; prefix=/stories/; fi
  [ "$count" -gt 0 ] || continue
  cat >"$work/random-$page.lua" <<LUA
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  math.randomseed(os.time() * 100 + id)
  n = 0
end
function request()
  n = n + 1
  return wrk.format("GET", "$prefix" .. math.random(1, $count) .. "?r=" .. id .. "-" .. n)
end
LUA
  echo "measuring random ${page} pages (every request rendered)" >&2
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/random-$page.lua" "$base" >"$work/wrk-random-$page.txt"
done

# The home page's server time: 200 sequential requests, each at its own address (a query parameter the page
# ignores) so every one is rendered, never served from the page cache; time to first byte.
echo "measuring the home page's server time (200 sequential requests, each rendered)" >&2
for i in $(seq 1 20); do curl -s -o /dev/null "$base/?warm=$i"; done
: >"$work/home.txt"
for i in $(seq 1 200); do curl -s -o /dev/null -w '%{time_starttransfer}\n' "$base/?n=$i" >>"$work/home.txt"; done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

status=0
if python3 - "$work" "$rounds" "$article" "$story" "$(wc -c <"$work/www/articles/$article")" \
  "$(wc -c <"$work/www/stories/$story")" <<'PY'
import os, re, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])

def parse(path):
    """(requests/s, p99 ms, errors) of one wrk output."""
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\b", text, re.M)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s*(\d+)", text))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors += sum(int(n) for n in socket.groups()) if socket else 0
    return rps, p99, errors

def pct(values, p):
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

failed = False
rows = []
for name, ident, size in (("article", sys.argv[3], sys.argv[5]), ("story", sys.argv[4], sys.argv[6])):
    runs = {who: [parse(f"{work}/wrk-{who}-{name}-{r}.txt") for r in range(1, rounds + 1)] for who in ("nginx", "tidings")}
    med = {who: (statistics.median(r[0] for r in runs[who]), statistics.median(r[1] for r in runs[who]),
                 sum(r[2] for r in runs[who])) for who in runs}
    ratio = med["tidings"][0] / med["nginx"][0]
    ok = ratio >= 0.5 and med["tidings"][1] < 50 and med["tidings"][2] == 0
    failed |= not ok
    rows.append((f"{name} {ident} ({int(size) / 1024:.1f} KiB)", f"{med['nginx'][0]:.0f}", f"{med['nginx'][1]:.1f}",
                 f"{med['tidings'][0]:.0f}", f"{med['tidings'][1]:.1f}", f"{ratio:.2f}", "pass" if ok else "FAIL"))
    for who in ("nginx", "tidings"):
        print(f"  {name}, {who}, each round (req/s, p99 ms): "
              + ", ".join(f"{r[0]:.0f} / {r[1]:.1f}" for r in runs[who]), file=sys.stderr)
head = ("page", "nginx req/s", "nginx p99 ms", "tidings req/s", "tidings p99 ms", "ratio", ">=0.5, p99<50")
widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
for r in [head] + rows:
    print("  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in enumerate(zip(r, widths))))
print(f"(medians of {rounds} alternating rounds)")
for name in ("article", "story"):
    path = f"{work}/wrk-random-{name}.txt"
    if os.path.exists(path):
        rps, p99, errors = parse(path)
        failed |= errors > 0
        print(f"random {name} pages, every request rendered (no bar): {rps:.0f} req/s, p99 {p99:.1f} ms"
              + (f", {errors} ERRORS" if errors else ""))
home = sorted(float(x) * 1000 for x in open(f"{work}/home.txt") if x.strip())
p50, p95 = pct(home, 50), pct(home, 95)
home_ok = p95 < 50
failed |= not home_ok
print(f"home page server time (time to first byte, 200 sequential requests, each rendered): p50 {p50:.1f} ms, "
      f"p95 {p95:.1f} ms -> {'pass' if home_ok else 'FAIL'} (p95 < 50 ms)")
sys.exit(1 if failed else 0)
PY
then :; else status=1; fi
echo "$seed_line; database $(python3 -c "print(f'{$db_size / 1e9:.2f}')") GB"
echo "$cores cores, nginx worker_processes $cores; wrk -t$threads -c$connections -d$duration --latency; load average before $load_before, after $load_after"
exit $status
