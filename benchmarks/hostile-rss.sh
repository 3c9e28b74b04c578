#!/usr/bin/env bash
# Issue #16: RSS of `georisk serve` idle, right after a hostile run (benchmarks/hostile/run.py) and after it
# settles; 20 concurrent uploads (each through a parser worker) must all publish first. Publishes the CLI (./build.sh publish), makes a store from the sample set with a coarse 10" DEM and a 1000 m zoning.
#   benchmarks/hostile-rss.sh            # SETTLE_SECONDS=60 by default
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-5078}
SETTLE=${SETTLE_SECONDS:-60}
./build.sh publish >/dev/null # the shipped build, artifacts/georisk/georisk
GEORISK="$PWD/artifacts/georisk/georisk"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; cp "$work/server.log" "${SERVER_LOG:-/tmp/georisk-hostile-server.log}" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/surveys"
cp -r surveys/reference surveys/models "$work/surveys/"
$GEORISK samples generate --out "$work/surveys" --dem-arcsec 10 >/dev/null
key=$($GEORISK demo --no-serve --store "$work/store" --surveys "$work/surveys" --cell-size 1000 | grep -o 'grk_[A-Za-z0-9_-]*' | head -n 1)
$GEORISK serve --store "$work/store" --urls "http://127.0.0.1:$PORT" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
rss() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$server/status"; }
hwm() { awk '/VmHWM/ {printf "%d", $2/1024}' "/proc/$server/status"; }
# Warm up what an ordinary visitor touches (web map, tiles, one map), then settle: the idle figure.
for p in / /tiles /tiles/zoning.json /styles/georisk.json /api/v1/layers "/api/v1/maps/zoning.png?admin=652723" /metrics; do curl -fs "http://127.0.0.1:$PORT$p" >/dev/null; done
sleep 20
idle=$(rss)
echo "idle: RSS ${idle} MB"
python3 benchmarks/hostile/run.py "http://127.0.0.1:$PORT" "$key" "$work/surveys/flood/bortala_flood_zones.geojson"
echo "right after the hostile run: RSS $(rss) MB, peak (VmHWM) $(hwm) MB"
sleep "$SETTLE"
after=$(rss)
echo "after ${SETTLE} s: RSS ${after} MB = $(python3 -c "print(f'{$after/$idle:.2f}')")x idle"
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && echo "service still answering"
echo "server log: ${SERVER_LOG:-/tmp/georisk-hostile-server.log}"
