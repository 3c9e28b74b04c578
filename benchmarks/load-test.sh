#!/usr/bin/env bash
# Load test of the HTTP service with wrk on loopback (issue #9): a mixed URL set of vector tiles across
# zooms 6-14, raster tiles and site-risk queries, for DURATION, with RSS sampled every second.
#   benchmarks/load-test.sh                 # 60 s, 32 connections, 2 threads
#   DURATION=30s CONNECTIONS=64 benchmarks/load-test.sh
# Uses the store in GEORISK_BENCH_STORE (default /tmp/georisk-bench-store), creating it with
# `georisk demo --no-serve` (sample set + default 30 m zoning) when missing. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60s}  # the mixed pass; the tile and site-risk passes take 30 s each
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
STORE=${GEORISK_BENCH_STORE:-/tmp/georisk-bench-store}
PORT=${PORT:-5077}
command -v wrk >/dev/null || { echo "error: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
./build.sh publish >/dev/null # the shipped build, artifacts/georisk/georisk
GEORISK="$PWD/artifacts/georisk/georisk"
[ -f "$STORE/catalog.gpkg" ] || $GEORISK demo --no-serve --store "$STORE" --surveys "$PWD/surveys"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
# One client IP would hit the per-client rate limit (60,000 reads a minute by default) within seconds.
GeoRisk__ReadsPerMinute=100000000 $GEORISK serve --store "$STORE" --urls "http://127.0.0.1:$PORT" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
sleep "${WARMUP_SECONDS:-20}" # the service prepares the zoning's per-zoom tiles in the background after start
for mode in tiles site mixed; do python3 benchmarks/load/urls.py $mode >"$work/$mode.txt"; done
rss() { awk '/VmRSS|VmHWM/ {printf "%s %d MB  ", $1, $2/1024}' "/proc/$server/status"; echo; }
sample() { while kill -0 "$server" 2>/dev/null; do awk '/VmRSS/ {print $2}' "/proc/$server/status"; sleep 1; done >"$work/rss.txt"; }
run() { # title, duration, url file
  echo "== $1 ($2, $CONNECTIONS connections)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2" -s benchmarks/load/mixed.lua "http://127.0.0.1:$PORT" -- "$work/$3.txt" | grep -E '^(requests|throughput|p[0-9])' || true
  echo "   after: $(rss)"
}
echo "== idle: $(rss)"
sample & sampler=$!
run "tiles, first pass (mostly uncached: 4000 tile URLs, zooms 6-14)" 30s tiles
run "tiles, second pass (cached)" 30s tiles
run "site-risk only (random points and categories)" 30s site
run "mixed: 70 % vector tiles, 15 % raster tiles, 15 % site-risk" "$DURATION" mixed
kill $sampler 2>/dev/null || true
awk 'NR==1 {first=$1} {if ($1>max) max=$1; last=$1} END {printf "RSS over the run: first %d MB, peak %d MB, last %d MB\n", first/1024, max/1024, last/1024}' "$work/rss.txt"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^georisk_tile_cache_total|^georisk_tiles_thinned_total' || true
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
