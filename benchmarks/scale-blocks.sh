#!/usr/bin/env bash
# Bounded memory and cluster scaling of the block-wise global steps (docs/SCALE.md): `georisk raster zones`
# (breaks from a merged sample, grades, minimum mapping unit, polygons) over synthetic index rasters the
# size of the sample prefecture at 30, 15 and 10 m, in one process, recording wall time and peak RSS with
# /usr/bin/time -v. CLUSTER=1 also runs the 10 m (or SIZES') grid on 1 worker pinned to one core and on 2
# workers pinned to a core each (taskset), through a localhost cluster.
#   SIZES="10500x5200 21000x10400 31500x15600" BLOCK=1024 ./benchmarks/scale-blocks.sh
# Needs /usr/bin/python3 with GDAL (python3-gdal) to write the index rasters; writes under $WORK (default
# /tmp/georisk-scale), which needs about 1 GB per 100 million cells.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"10500x5200 21000x10400 31500x15600"}
BLOCK=${BLOCK:-1024}
WORK=${WORK:-/tmp/georisk-scale}
THREADS=${THREADS:-2}
mkdir -p "$WORK/rasters"
dotnet build src/GeoRisk.Cli -c Release --verbosity quiet -nologo >/dev/null
GEORISK="dotnet src/GeoRisk.Cli/bin/Release/net10.0/georisk.dll"

make_index() { # WIDTH HEIGHT PATH: a smooth index with noise and an elliptical nodata outside, written in strips
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import sys, numpy as np
from osgeo import gdal
w, h, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ds = gdal.GetDriverByName('GTiff').Create(path, w, h, 1, gdal.GDT_Float32, ['TILED=YES', 'COMPRESS=DEFLATE', 'PREDICTOR=3', 'BIGTIFF=YES', 'ZLEVEL=1'])
ds.SetGeoTransform([500000, 30, 0, 4980000, 0, -30])
band = ds.GetRasterBand(1); band.SetNoDataValue(-9999)
x = np.arange(w, dtype=np.float32)[None, :] * (10500.0 / w)
rng = np.random.default_rng(7)
for y0 in range(0, h, 1024):
    rows = min(1024, h - y0)
    y = (np.arange(y0, y0 + rows, dtype=np.float32)[:, None]) * (5200.0 / h)
    v = np.sin(x * 0.004) + np.cos(y * 0.005) + 0.4 * np.sin((x + y) * 0.02) + 0.3 * rng.random((rows, w), dtype=np.float32)
    inside = ((x - 5250) / 5250) ** 2 + ((y - 2600) / 2600) ** 2 < 1
    band.WriteArray(np.where(inside, v, -9999).astype(np.float32), 0, y0)
ds = None
PY
}

measure() { # LABEL CMD...: wall seconds and peak RSS
  local label=$1; shift
  /usr/bin/time -v "$@" >"$WORK/$label.out" 2>"$WORK/$label.time" || { cat "$WORK/$label.out" "$WORK/$label.time" >&2; return 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/$label.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/$label.time")
  echo "$label: wall $wall, peak RSS $rss MB"
}

for size in $SIZES; do
  w=${size%x*}; h=${size#*x}
  index="$WORK/rasters/index-$size.tif"
  [ -f "$index" ] || { echo "writing $index" >&2; make_index "$w" "$h" "$index"; }
  measure "zones-$size" $GEORISK raster zones "$index" "$WORK/grade-$size.tif" "$WORK/zones-$size.gpkg" --block-size "$BLOCK" --threads "$THREADS"
  grep -E "breaks|zones in" "$WORK/zones-$size.out" | sed 's/^/  /'
done

if [ "${CLUSTER:-0}" = 1 ]; then
  size=${SIZES##* }
  index="$WORK/rasters/index-$size.tif"
  # shellcheck source=benchmarks/cluster-workers.sh
  . benchmarks/cluster-workers.sh
  for workers in 1 2; do
    start_workers $(seq 0 $((workers - 1)))
    measure "cluster-$workers-$size" $GEORISK raster zones "$index" "$WORK/grade-c$workers.tif" "$WORK/zones-c$workers.gpkg" --block-size "$BLOCK" --threads $((2 * workers)) \
      --cluster localhost:31111 --raster-dir "$WORK/rasters"
    grep -E "finished" "$WORK/cluster-$workers-$size.out" | tail -1 | sed 's/^/  /'
    stop_workers
  done
fi
