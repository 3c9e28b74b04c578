#!/usr/bin/env bash
# Peer tile servers side by side (issue #21): the same zoning tiles served by
#   GeoRisk             /tiles/zoning/{z}/{x}/{y}.mvt (its tile cache warmed by one pass over the URL set)
#   nginx               the gzip bytes GeoRisk sends, one static file per URL (the ceiling for cached tiles)
#   tileserver-gl-light an MBTiles export of the same tileset (`georisk export tiles --format mbtiles`)
#   PostGIS ST_AsMVT    benchmarks/GeoRisk.PeerMvt: one ST_AsMVT query per request over the zones in Web Mercator
# each driven by the same constant-arrival-rate client (benchmarks/GeoRisk.LoadGen: HdrHistogram, latency from the
# moment a request was due, CONNECTIONS keep-alive connections) over the same URL list, rates stepped up, the four
# servers alternating at each rate. Reported per server: the highest rate whose p99 stays <= 50 ms with no errors.
# Only the zoning tileset is compared (the archive and the PostGIS table hold that one).
#   benchmarks/peer-tile-servers.sh
#   RATES="1000 2000 4000" STEP_SECONDS=10 benchmarks/peer-tile-servers.sh
# Store: GEORISK_BENCH_STORE (default /tmp/georisk-bench-store, made by `georisk demo --no-serve --cell-size
# CELL_SIZE`, default 250, when missing). Needs nginx-light, postgresql-15-postgis-3, gdal-bin and Node.js; installs
# tileserver-gl-light 5.6.0 (its command is tileserver-gl) with npm into PEERS_DIR (default /tmp/georisk-peers; its sqlite3 module compiles from
# source here, several minutes the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-5077}
NGINX_PORT=${NGINX_PORT:-5080}
TSGL_PORT=${TSGL_PORT:-5081}
PEER_PORT=${PEER_PORT:-5082}
PG_PORT=${PG_PORT:-5083}
STORE=${GEORISK_BENCH_STORE:-/tmp/georisk-bench-store}
PEERS_DIR=${PEERS_DIR:-/tmp/georisk-peers}
STEP=${STEP_SECONDS:-15}
CONNECTIONS=${CONNECTIONS:-64}
RATES=${RATES-1000 2000 4000 6000 8000}
for tool in nginx ogr2ogr node npm; do command -v $tool >/dev/null || { echo "error: $tool is not installed" >&2; exit 1; }; done
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "error: PostgreSQL is not installed (apt-get install postgresql-15-postgis-3)" >&2; exit 1; }
work=$(mktemp -d /tmp/georisk-peers.XXXX)
chmod 755 "$work" # nginx's workers and PostgreSQL run as other users
if [ -z "${GEORISK_BIN:-}" ]; then
  GEORISK_PUBLISH_DIR="$work/georisk" ./build.sh publish >/dev/null
  GEORISK_BIN="$work/georisk/georisk"
fi
bin=$(dirname "$GEORISK_BIN")
[ -f "$bin/loadgen/georisk-loadgen.dll" ] || dotnet build benchmarks/GeoRisk.LoadGen -c Release --verbosity quiet -nologo -o "$bin/loadgen" >/dev/null
[ -f "$bin/peer-mvt/georisk-peer-mvt.dll" ] || dotnet build benchmarks/GeoRisk.PeerMvt -c Release --verbosity quiet -nologo -o "$bin/peer-mvt" >/dev/null
[ -x "$PEERS_DIR/node_modules/.bin/tileserver-gl" ] || {
  echo "installing tileserver-gl-light into $PEERS_DIR ..." >&2
  mkdir -p "$PEERS_DIR" && npm install --prefix "$PEERS_DIR" --no-audit --no-fund tileserver-gl-light@5.6.0 >"$work/npm.log" 2>&1 \
    || { tail -20 "$work/npm.log" >&2; exit 1; }
}
load() { dotnet "$bin/loadgen/georisk-loadgen.dll" --connections "$CONNECTIONS" --header "Accept-Encoding: gzip" "$@"; }
[ -f "$STORE/catalog.gpkg" ] || "$GEORISK_BIN" demo --no-serve --store "$STORE" --surveys "$PWD/surveys" --cell-size "${CELL_SIZE:-250}" >/dev/null

pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  nginx -p "$work/nginx" -c nginx.conf -s stop 2>/dev/null || true
  [ -d "$work/pg/data" ] && su postgres -s /bin/sh -c "$pgbin/pg_ctl -D $work/pg/data -m immediate -w stop" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

GeoRisk__ReadsPerMinute=1000000000 "$GEORISK_BIN" serve --store "$STORE" --urls "http://127.0.0.1:$PORT" >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "error: the service did not start" >&2; cat "$work/server.log" >&2; exit 1; }
/usr/bin/python3 benchmarks/load/latency-urls.py "http://127.0.0.1:$PORT" "$work" 1000 >&2

# The same tiles for the peers: the zones for PostGIS, an MBTiles archive for tileserver-gl-light, files for nginx.
"$GEORISK_BIN" export zoning --format gpkg --store "$STORE" -o "$work/zones.gpkg" >/dev/null
"$GEORISK_BIN" export tiles --format mbtiles --store "$STORE" --tileset zoning --max-zoom 14 -o "$work/zoning.mbtiles" >/dev/null
benchmarks/load/nginx-static-tiles.sh "http://127.0.0.1:$PORT" "$work" "$NGINX_PORT"

# A config of its own: started on a bare file it looks for the optional preview styles package and stops.
cat >"$work/tsgl.json" <<EOF
{ "options": { "paths": { "root": "$work", "mbtiles": "$work" } }, "styles": {}, "data": { "zoning": { "mbtiles": "zoning.mbtiles" } } }
EOF
"$PEERS_DIR/node_modules/.bin/tileserver-gl" --port "$TSGL_PORT" --bind 127.0.0.1 --silent --config "$work/tsgl.json" >"$work/tsgl.log" 2>&1 &
pids+=($!)

# A throw-away PostgreSQL (as the tests make one), the zones in Web Mercator with a GiST index.
mkdir -p "$work/pg" && chown postgres "$work/pg"
su postgres -s /bin/sh -c "$pgbin/initdb -D $work/pg/data -A trust -U georisk -E UTF8 --no-sync" >/dev/null
su postgres -s /bin/sh -c "$pgbin/pg_ctl -D $work/pg/data -o '-p $PG_PORT -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=512MB' -l $work/pg/log -w start" >/dev/null
psql -h 127.0.0.1 -p "$PG_PORT" -U georisk -d postgres -qc "CREATE EXTENSION postgis" >/dev/null
ogr2ogr -f PostgreSQL "PG:host=127.0.0.1 port=$PG_PORT user=georisk dbname=postgres" "$work/zones.gpkg" -nln zoning -t_srs EPSG:3857 \
  -nlt PROMOTE_TO_MULTI -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -lco FID=fid
psql -h 127.0.0.1 -p "$PG_PORT" -U georisk -d postgres -qc "VACUUM ANALYZE zoning" >/dev/null
columns=$(psql -h 127.0.0.1 -p "$PG_PORT" -U georisk -d postgres -Atc \
  "SELECT string_agg(quote_ident(column_name), ', ') FROM information_schema.columns WHERE table_name = 'zoning' AND column_name NOT IN ('geom', 'fid')")
dotnet "$bin/peer-mvt/georisk-peer-mvt.dll" --urls "http://127.0.0.1:$PEER_PORT" --table zoning --columns "$columns" \
  --connection "Host=127.0.0.1;Port=$PG_PORT;Username=georisk;Database=postgres" >"$work/peer.log" 2>&1 &
pids+=($!)
for port in $TSGL_PORT $PEER_PORT; do
  for _ in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 1; done
done
# tileserver-gl-light names the archive's data itself; its data.json gives the tile URL template.
/usr/bin/python3 - "http://127.0.0.1:$TSGL_PORT" "$work" <<'PY'
import json, sys, urllib.parse, urllib.request
base, work = sys.argv[1], sys.argv[2]
template = urllib.parse.urlparse(json.load(urllib.request.urlopen(f'{base}/data.json'))[0]['tiles'][0]).path
urls = []
for u in open(f'{work}/cached.txt').read().split():
    z, x, y = u.removesuffix('.mvt').split('/')[-3:]
    urls.append(template.replace('{z}', z).replace('{x}', x).replace('{y}', y))
open(f'{work}/tsgl.txt', 'w').write('\n'.join(urls) + '\n')
PY
first=$(head -1 "$work/cached.txt")
for url in "http://127.0.0.1:$PORT$first" "http://127.0.0.1:$NGINX_PORT$first" "http://127.0.0.1:$PEER_PORT$first" \
  "http://127.0.0.1:$TSGL_PORT$(head -1 "$work/tsgl.txt")"; do
  curl -fs -o /dev/null -H 'Accept-Encoding: gzip' "$url" || { echo "error: $url does not answer" >&2; cat "$work"/*.log >&2; exit 1; }
done

p99() { sed -n 's/.* p99 \([0-9.]*\) .*/\1/p'; }
declare -A best
step() { # server label, port, path list, rate
  local out p; out=$(load --rate "$4" --duration "$STEP" --url "http://127.0.0.1:$2" --paths "$3" 2>&1 || true)
  p=$(echo "$out" | p99)
  echo "$1 @ $4 req/s: $(echo "$out" | tr '\n' ' ')"
  if [ -n "$p" ] && (($(echo "$p <= 50" | bc -l))) && ! echo "$out" | grep -q "errors [1-9]"; then best[$1]=$4; fi
}
echo "commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(wc -l <"$work/cached.txt") tiles"
# Warm every cache once (GeoRisk's tile cache, the page cache for nginx and tileserver-gl-light, PostgreSQL's buffers).
for target in "$PORT $work/cached.txt" "$NGINX_PORT $work/cached.txt" "$TSGL_PORT $work/tsgl.txt" "$PEER_PORT $work/cached.txt"; do
  set -- $target; load --rate 200 --duration 10 --url "http://127.0.0.1:$1" --paths "$2" --order sequential >/dev/null 2>&1 || true
done
for rate in $RATES; do
  step GeoRisk "$PORT" "$work/cached.txt" "$rate"
  step nginx "$NGINX_PORT" "$work/cached.txt" "$rate"
  step tileserver-gl-light "$TSGL_PORT" "$work/tsgl.txt" "$rate"
  step ST_AsMVT "$PEER_PORT" "$work/cached.txt" "$rate"
done
for s in GeoRisk nginx tileserver-gl-light ST_AsMVT; do
  echo "** $s: highest rate with p99 <= 50 ms: ${best[$s]:-none} req/s"
done
