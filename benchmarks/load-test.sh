#!/usr/bin/env bash
# Load test of the HTTP service with wrk on loopback (issue #9): a mixed URL set of vector tiles across
# zooms 6-14, raster tiles and site-risk queries, for DURATION, with RSS sampled every second.
#   benchmarks/load-test.sh                 # 60 s, 32 connections, 2 threads
#   DURATION=30s CONNECTIONS=64 benchmarks/load-test.sh
# Uses the store in GEORISK_BENCH_STORE (default /tmp/georisk-bench-store), creating it with
# `georisk demo --no-serve` (sample set + default 30 m zoning) when missing. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
STORE=${GEORISK_BENCH_STORE:-/tmp/georisk-bench-store}
PORT=${PORT:-5077}
command -v wrk >/dev/null || { echo "error: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
dotnet build src/GeoRisk.Cli -c Release --verbosity quiet -nologo >/dev/null
GEORISK="dotnet src/GeoRisk.Cli/bin/Release/net10.0/georisk.dll"
[ -f "$STORE/catalog.gpkg" ] || $GEORISK demo --no-serve --store "$STORE" --surveys "$PWD/surveys"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
$GEORISK serve --store "$STORE" --urls "http://127.0.0.1:$PORT" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
python3 benchmarks/load/urls.py mixed >"$work/mixed.txt"
python3 benchmarks/load/urls.py hot >"$work/hot.txt"
rss() { awk '/VmRSS|VmHWM/ {printf "%s %d MB  ", $1, $2/1024}' "/proc/$server/status"; echo; }
sample() { while kill -0 "$server" 2>/dev/null; do awk '/VmRSS/ {print $2}' "/proc/$server/status"; sleep 1; done >"$work/rss.txt"; }
echo "== idle: $(rss)"
echo "== pass 1: mixed URLs, mostly uncached (${DURATION}, ${CONNECTIONS} connections)"
sample & sampler=$!
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s benchmarks/load/mixed.lua "http://127.0.0.1:$PORT" -- "$work/mixed.txt" | grep -vE '^\s+(Latency|Req/Sec|[0-9.]+%)' || true
echo "   after: $(rss)"
echo "== pass 2: the same mixed URLs again (tile caches warm)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s benchmarks/load/mixed.lua "http://127.0.0.1:$PORT" -- "$work/mixed.txt" | grep -vE '^\s+(Latency|Req/Sec|[0-9.]+%)' || true
echo "   after: $(rss)"
echo "== pass 3: 200 hot URLs (cached tiles and site-risk)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s benchmarks/load/mixed.lua "http://127.0.0.1:$PORT" -- "$work/hot.txt" | grep -vE '^\s+(Latency|Req/Sec|[0-9.]+%)' || true
echo "   after: $(rss)"
kill $sampler 2>/dev/null || true
awk 'NR==1 {first=$1} {if ($1>max) max=$1; last=$1} END {printf "RSS over the run: first %d MB, peak %d MB, last %d MB\n", first/1024, max/1024, last/1024}' "$work/rss.txt"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^georisk_tile_cache_total|^georisk_tiles_thinned_total' || true
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
