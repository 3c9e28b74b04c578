#!/usr/bin/env bash
# Serving latency at constant arrival rate (issue #21): benchmarks/GeoRisk.LoadGen schedules requests at a fixed
# rate over CONNECTIONS keep-alive connections and records every latency from the moment the request was due
# (HdrHistogram; no coordinated omission). For each pass the rate is stepped up, STEP_SECONDS per rate, and the
# highest rate whose p99 stays within the pass's bound is reported:
#   cold tiles (distinct URLs never requested before, z6-14, every tileset)  p99 <= 100 ms
#   cached vector tiles, GeoRisk and nginx serving the same bytes as static files, alternating   p99 <= 50 ms
#   site-risk                                                                  p99 <= 30 ms
#   mixed (70 % cached vector, 15 % raster tiles, 15 % site-risk)              reported
# then a mixed run of MIXED_MINUTES at MIXED_RATE with the service's RSS before, at its peak and after.
#   benchmarks/serve-latency.sh
#   STEP_SECONDS=10 MIXED_MINUTES=10 benchmarks/serve-latency.sh
#   COLD_RATES= CACHED_RATES= MIXED_RATES= MIXED_MINUTES=0 benchmarks/serve-latency.sh   (an empty list skips its pass)
# Uses the store in GEORISK_BENCH_STORE (default /tmp/georisk-bench-store), made with `georisk demo --no-serve
# --cell-size CELL_SIZE` (default 250) when missing. Needs nginx (apt-get install nginx-light).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-5077}
NGINX_PORT=${NGINX_PORT:-5080}
STORE=${GEORISK_BENCH_STORE:-/tmp/georisk-bench-store}
STEP=${STEP_SECONDS:-15}
CONNECTIONS=${CONNECTIONS:-64}
MIXED_MINUTES=${MIXED_MINUTES:-10}
MIXED_RATE=${MIXED_RATE:-1000}
COLD_RATES=${COLD_RATES-250 500 1000 2000}
CACHED_RATES=${CACHED_RATES-2000 4000 6000 8000 10000 12000}
SITE_RATES=${SITE_RATES-25 50 100 200 400 800}
MIXED_RATES=${MIXED_RATES-500 1000 2000 4000}
command -v nginx >/dev/null || { echo "error: nginx is not installed (apt-get install nginx-light)" >&2; exit 1; }
work=$(mktemp -d /tmp/georisk-latency.XXXX)
# The shipped build, published apart so that a benchmark running meanwhile keeps its files (GEORISK_BIN: one
# published before, e.g. by a previous run with KEEP_BUILD=DIR).
if [ -z "${GEORISK_BIN:-}" ]; then
  GEORISK_PUBLISH_DIR="$work/georisk" ./build.sh publish >/dev/null
  dotnet build benchmarks/GeoRisk.LoadGen -c Release --verbosity quiet -nologo -o "$work/georisk/loadgen" >/dev/null
  [ -z "${KEEP_BUILD:-}" ] || cp -r "$work/georisk" "$KEEP_BUILD"
  GEORISK_BIN="$work/georisk/georisk"
fi
GEORISK=$GEORISK_BIN
load() { dotnet "$(dirname "$GEORISK_BIN")/loadgen/georisk-loadgen.dll" --connections "$CONNECTIONS" --header "Accept-Encoding: gzip" "$@"; }
[ -f "$STORE/catalog.gpkg" ] || $GEORISK demo --no-serve --store "$STORE" --surveys "$PWD/surveys" --cell-size "${CELL_SIZE:-250}" >/dev/null
trap 'kill $server 2>/dev/null || true; nginx -p "$work/nginx" -c nginx.conf -s stop 2>/dev/null || true; rm -rf "$work"' EXIT
# One client address would meet the per-client limit (60,000 reads a minute by default) within seconds.
GeoRisk__ReadsPerMinute=1000000000 $GEORISK serve --store "$STORE" --urls "http://127.0.0.1:$PORT" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "error: the service did not start" >&2; cat "$work/server.log" >&2; exit 1; }
sleep "${WARMUP_SECONDS:-20}" # the service prepares the zoning's per-zoom tiles in the background after start
/usr/bin/python3 benchmarks/load/latency-urls.py "http://127.0.0.1:$PORT" "$work" "${COLD_COUNT:-60000}" >&2

# nginx serves the cached passes' tiles as static files: the gzip bytes GeoRisk sends, one file per URL.
benchmarks/load/nginx-static-tiles.sh "http://127.0.0.1:$PORT" "$work" "$NGINX_PORT"
rss() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$server/status"; }
hwm() { awk '/VmHWM/ {printf "%d", $2/1024}' "/proc/$server/status"; }
p99() { sed -n 's/.* p99 \([0-9.]*\) .*/\1/p'; }
best=""
step() { # label, bound ms, rate, loadgen arguments… ; prints the result, keeps the highest rate within the bound in $best
  local label=$1 bound=$2 rate=$3; shift 3
  local out; out=$(load --rate "$rate" --duration "$STEP" "$@" 2>&1 || true)
  local p; p=$(echo "$out" | p99)
  echo "$label @ $rate req/s: $(echo "$out" | tr '\n' ' ')"
  if [ -n "$p" ] && (($(echo "$p <= $bound" | bc -l))) && ! echo "$out" | grep -q "errors [1-9]"; then best=$rate; fi
}
echo "commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), store $STORE"
echo "== idle RSS $(rss) MB"

# Cold: each step takes fresh URLs from the cold list, so no tile of a step was requested before.
offset=0; best=""
for rate in $COLD_RATES; do
  n=$((rate * STEP))
  sed -n "$((offset + 1)),$((offset + n))p" "$work/cold.txt" >"$work/cold-step.txt"
  offset=$((offset + n))
  [ "$(wc -l <"$work/cold-step.txt")" -ge "$n" ] || { echo "cold list exhausted at $rate req/s"; break; }
  step "cold tiles" 100 "$rate" --url "http://127.0.0.1:$PORT" --paths "$work/cold-step.txt" --order sequential
done
echo "** cold tiles: highest rate with p99 <= 100 ms: ${best:-none} req/s (distinct URLs used: $offset); RSS $(rss) MB, peak $(hwm) MB"

# Cached: every tile of the set requested once, then GeoRisk and nginx alternate at each rate.
load --rate 500 --duration 6 --url "http://127.0.0.1:$PORT" --paths "$work/cached.txt" --order sequential >/dev/null 2>&1 || true
best_g=""; best_n=""
for rate in $CACHED_RATES; do
  best=""; step "cached tiles, GeoRisk" 50 "$rate" --url "http://127.0.0.1:$PORT" --paths "$work/cached.txt"; [ -n "$best" ] && best_g=$best
  best=""; step "cached tiles, nginx static" 50 "$rate" --url "http://127.0.0.1:$NGINX_PORT" --paths "$work/cached.txt"; [ -n "$best" ] && best_n=$best
done
echo "** cached tiles: highest rate with p99 <= 50 ms: GeoRisk ${best_g:-none} req/s, nginx ${best_n:-none} req/s; RSS $(rss) MB, peak $(hwm) MB"

best=""
for rate in $SITE_RATES; do step "site-risk" 30 "$rate" --url "http://127.0.0.1:$PORT" --paths "$work/site.txt"; done
echo "** site-risk: highest rate with p99 <= 30 ms: ${best:-none} req/s; RSS $(rss) MB, peak $(hwm) MB"

best=""
for rate in $MIXED_RATES; do step "mixed" 100 "$rate" --url "http://127.0.0.1:$PORT" --paths "$work/mixed.txt"; done
echo "** mixed: highest rate with p99 <= 100 ms: ${best:-none} req/s; RSS $(rss) MB, peak $(hwm) MB"

if [ "$MIXED_MINUTES" != 0 ]; then
  before=$(rss)
  out=$(load --rate "$MIXED_RATE" --duration $((MIXED_MINUTES * 60)) --url "http://127.0.0.1:$PORT" --paths "$work/mixed.txt" 2>&1 || true)
  echo "mixed for $MIXED_MINUTES min @ $MIXED_RATE req/s: $(echo "$out" | tr '\n' ' ')"
  echo "** memory: RSS before the long mixed run $before MB, right after $(rss) MB, peak since start $(hwm) MB"
  sleep 30
  echo "** memory 30 s later: $(rss) MB"
fi
