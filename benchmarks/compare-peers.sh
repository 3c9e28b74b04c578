#!/usr/bin/env bash
# Times `georisk raster …` next to the peer tools on one generated data set, median of RUNS whole
# commands each (GeoTIFF in, GeoTIFF/GeoPackage out). Prints a Markdown table for benchmarks/RESULTS.md.
#   SIZE=8192 RUNS=3 benchmarks/compare-peers.sh
# Needs gdal-bin and python3-gdal (numpy); GRASS rows appear when `grass` is installed (grass-core).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-8192}
RUNS=${RUNS:-3}
WORK=${WORK:-$(mktemp -d /tmp/georisk-peers.XXXX)}
THREADS=${THREADS:-$(nproc)}
# The command as shipped (docker/Dockerfile): published ReadyToRun, framework-dependent.
PUBLISH=${PUBLISH:-$WORK/georisk-bin}
GEORISK="$PUBLISH/georisk"

dotnet publish src/GeoRisk.Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  --verbosity quiet -nologo -o "$PUBLISH" >/dev/null
echo "data set: ${SIZE}x${SIZE} float32 in $WORK" >&2

/usr/bin/python3 - "$WORK" "$SIZE" <<'PY'
import sys, numpy as np
from osgeo import gdal, ogr, osr
gdal.UseExceptions()
work, n = sys.argv[1], int(sys.argv[2])
srs = osr.SpatialReference(); srs.ImportFromEPSG(4536)
gt = (500000.0, 30.0, 0.0, 5000000.0, 0.0, -30.0)
rng = np.random.default_rng(2017)
def write(name, arr, nodata=-9999.0):
    ds = gdal.GetDriverByName('GTiff').Create(f'{work}/{name}', n, n, 1, gdal.GDT_Float32, ['TILED=YES', 'COMPRESS=NONE', 'BIGTIFF=IF_SAFER'])
    ds.SetGeoTransform(gt); ds.SetProjection(srs.ExportToWkt())
    b = ds.GetRasterBand(1); b.SetNoDataValue(nodata); b.WriteArray(arr); ds = None
for i in range(4):  # four factor layers with 2 % nodata
    a = rng.random((n, n), dtype=np.float32) * 100
    a[rng.random((n, n)) < 0.02] = -9999
    write(f'f{i+1}.tif', a)
y, x = np.mgrid[0:n, 0:n].astype(np.float32)
write('dem.tif', 1500 * np.sin(x * 0.003) * np.cos(y * 0.004) + x * 0.05 + 40 * rng.random((n, n), dtype=np.float32))
# Smooth interfering waves: blobs of ~40 cells, about 46,000 polygons at 8192² (the issue's data set).
v = np.sin(x * 0.07) * np.cos(y * 0.09) + 0.6 * np.sin((x + y) * 0.11) + 0.4 * np.cos(x * 0.05 - y * 0.13)
write('classes.tif', np.digitize(v, [-0.8, 0.2, 1.0]).astype(np.float32) + 1)
ext = n * 30
drv = ogr.GetDriverByName('GPKG')
ds = drv.CreateDataSource(f'{work}/faults.gpkg'); lyr = ds.CreateLayer('faults', srs, ogr.wkbLineString)
for i in range(50):
    g = ogr.Geometry(ogr.wkbLineString)
    for k in range(6):
        g.AddPoint_2D(500000 + rng.random() * ext, 5000000 - rng.random() * ext)
    f = ogr.Feature(lyr.GetLayerDefn()); f.SetGeometry(g); lyr.CreateFeature(f)
ds = None
ds = drv.CreateDataSource(f'{work}/polys.gpkg'); lyr = ds.CreateLayer('polys', srs, ogr.wkbPolygon)
lyr.CreateField(ogr.FieldDefn('class', ogr.OFTInteger)); lyr.StartTransaction()
for i in range(10000):
    cx, cy, r = 500000 + rng.random() * ext, 5000000 - rng.random() * ext, 100 + rng.random() * 2000
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for k in range(7):
        a = 2 * np.pi * k / 7; rr = r * (0.6 + 0.4 * rng.random())
        ring.AddPoint_2D(cx + rr * np.cos(a), cy + rr * np.sin(a))
    ring.CloseRings(); g = ogr.Geometry(ogr.wkbPolygon); g.AddGeometry(ring)
    f = ogr.Feature(lyr.GetLayerDefn()); f.SetGeometry(g); f.SetField('class', i % 4 + 1); lyr.CreateFeature(f)
lyr.CommitTransaction(); ds = None
PY
TE="500000 $((5000000 - SIZE * 30)) $((500000 + SIZE * 30)) 5000000"
gdal_rasterize -q -at -burn 1 -init 0 -te $TE -tr 30 30 -ot Byte "$WORK/faults.gpkg" "$WORK/faults.tif"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# One timed run: the inputs are read first (this VM's DAMON reclaim drops page-cache pages left cold for a
# few seconds, so without it a command may find its inputs on disk), and earlier outputs written back
# (sync), so each tool starts from the same state; neither is part of the time. Prints seconds.
time_once() {  # output file, "input files", command…
  local output=$1 inputs=$2; shift 2
  rm -f "$output"
  cat $inputs > /dev/null
  sync
  local t0 t1
  t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
# GeoRisk and the GDAL peer alternate run by run, so both meet the same moments of a noisy machine;
# the medians of RUNS runs each go into T[<key>_georisk] and T[<key>_gdal].
declare -A T
pair() {  # key, "input files", georisk output, georisk function, GDAL output, GDAL function
  local key=$1 inputs=$2 gout=$3 gfun=$4 pout=$5 pfun=$6 g=() p=()
  for ((r = 0; r < RUNS; r++)); do
    g+=("$(time_once "$gout" "$inputs" $gfun)")
    p+=("$(time_once "$pout" "$inputs" $pfun)")
  done
  T[${key}_georisk]=$(printf '%s\n' "${g[@]}" | median)
  T[${key}_gdal]=$(printf '%s\n' "${p[@]}" | median)
}

F="$WORK/f1.tif $WORK/f2.tif $WORK/f3.tif $WORK/f4.tif"
calc_georisk() { $GEORISK raster calc --threads "$THREADS" -o "$WORK/out_calc.tif" --expr "0.4*a+0.3*b+0.2*c+0.1*d" a="$WORK/f1.tif" b="$WORK/f2.tif" c="$WORK/f3.tif" d="$WORK/f4.tif"; }
calc_gdal() { gdal_calc.py --quiet -A "$WORK/f1.tif" -B "$WORK/f2.tif" -C "$WORK/f3.tif" -D "$WORK/f4.tif" --outfile "$WORK/out_gcalc.tif" --calc "0.4*A+0.3*B+0.2*C+0.1*D" --type Float32 --NoDataValue -9999; }
prox_georisk() { $GEORISK raster proximity --threads "$THREADS" "$WORK/faults.tif" "$WORK/out_prox.tif"; }
prox_gdal() { gdal_proximity.py -q "$WORK/faults.tif" "$WORK/out_gprox.tif" -values 1 -distunits GEO -ot Float32; }
slope_georisk() { $GEORISK raster slope --threads "$THREADS" "$WORK/dem.tif" "$WORK/out_slope.tif"; }
slope_gdal() { gdaldem slope -q "$WORK/dem.tif" "$WORK/out_gslope.tif"; }
rast_georisk() { $GEORISK raster rasterize "$WORK/polys.gpkg" "$WORK/out_rast.tif" --attr class --like "$WORK/dem.tif"; }
rast_gdal() { gdal_rasterize -q -a class -te $TE -tr 30 30 -ot Float32 -a_nodata -9999 -init -9999 "$WORK/polys.gpkg" "$WORK/out_grast.tif"; }
poly_georisk() { $GEORISK raster polygonize "$WORK/classes.tif" "$WORK/out_poly.gpkg"; }
poly_gdal() { gdal_polygonize.py -q "$WORK/classes.tif" -f GPKG "$WORK/out_gpoly.gpkg" zones class; }

pair calc "$F" "$WORK/out_calc.tif" calc_georisk "$WORK/out_gcalc.tif" calc_gdal
pair prox "$WORK/faults.tif" "$WORK/out_prox.tif" prox_georisk "$WORK/out_gprox.tif" prox_gdal
pair slope "$WORK/dem.tif" "$WORK/out_slope.tif" slope_georisk "$WORK/out_gslope.tif" slope_gdal
pair rast "$WORK/polys.gpkg $WORK/dem.tif" "$WORK/out_rast.tif" rast_georisk "$WORK/out_grast.tif" rast_gdal
pair poly "$WORK/classes.tif" "$WORK/out_poly.gpkg" poly_georisk "$WORK/out_gpoly.gpkg" poly_gdal

if command -v grass >/dev/null 2>&1; then
  grass_time() {  # imports (not timed), then times only the module; prints seconds
    grass --tmp-location EPSG:4536 --exec bash -c "$1 >/dev/null 2>&1; g.region raster=a; sync; t0=\$(date +%s.%N); $2 >/dev/null 2>&1; t1=\$(date +%s.%N); echo \"\$t1 - \$t0\" | bc -l" 2>/dev/null | tail -n 1
  }
  imp() { echo "r.in.gdal --quiet input=$1 output=$2"; }
  T[calc_grass]=$(for r in $(seq "$RUNS"); do grass_time "$(imp "$WORK/f1.tif" a); $(imp "$WORK/f2.tif" b); $(imp "$WORK/f3.tif" c); $(imp "$WORK/f4.tif" d)" \
    "r.mapcalc expression='out = 0.4*a + 0.3*b + 0.2*c + 0.1*d' --overwrite"; done | median)
  T[prox_grass]=$(for r in $(seq "$RUNS"); do grass_time "$(imp "$WORK/faults.tif" a)" \
    "r.mapcalc expression='m = if(a == 1, 1, null())' --overwrite && r.grow.distance input=m distance=d --overwrite"; done | median)
  T[slope_grass]=$(for r in $(seq "$RUNS"); do grass_time "$(imp "$WORK/dem.tif" a)" "r.slope.aspect elevation=a slope=s --overwrite"; done | median)
fi

row() { # operation, georisk key, gdal key, grass key
  local g=${T[$2]} p=${T[$3]} s=${T[$4]:-}
  local grass="not run"
  [ -n "$s" ] && grass=$(printf '%.2f s' "$s")
  printf '| %s | %.2f s | %.2f s | %s | %.1f× |\n' "$1" "$g" "$p" "$grass" "$(echo "$p / $g" | bc -l)"
}
echo
echo "| operation (${SIZE}², median of ${RUNS}, ${THREADS} threads) | georisk | GDAL | GRASS | GDAL ÷ georisk |"
echo "| --- | --- | --- | --- | --- |"
row "weighted overlay of 4 layers" calc_georisk calc_gdal calc_grass
row "distance to 50 faults" prox_georisk prox_gdal prox_grass
row "slope" slope_georisk slope_gdal slope_grass
row "rasterize 10,000 polygons" rast_georisk rast_gdal none
row "polygonize 4 classes" poly_georisk poly_gdal none
echo
# The outputs just timed, checked against each other (the reference tests do this on small grids too).
/usr/bin/python3 - "$WORK" <<'PY'
import sys, numpy as np
from osgeo import gdal
w = sys.argv[1]
def read(name):
    ds = gdal.Open(f'{w}/{name}')  # keep the dataset alive while its band is used
    b = ds.GetRasterBand(1); a = b.ReadAsArray().astype(np.float64); nd = b.GetNoDataValue()
    return np.where(a == nd, np.nan, a) if nd is not None else a
def both(a, b): m = ~np.isnan(a) & ~np.isnan(b); return m, int((np.isnan(a) != np.isnan(b)).sum())
a, b = read('out_calc.tif'), read('out_gcalc.tif'); m, nd = both(a, b)
print(f"calc: max relative difference {np.max(np.abs(a[m] - b[m]) / np.maximum(1, np.abs(b[m]))):.2e}, nodata mismatches {nd}")
a, b = read('out_prox.tif'), read('out_gprox.tif'); m, nd = both(a, b)
print(f"proximity: gdal_proximity off by up to {np.max(np.abs(a[m] - b[m])):.2f} m on {np.mean(np.abs(a[m] - b[m]) > 1e-3):.2%} of cells (GeoRisk is exact)")
a, b = read('out_slope.tif'), read('out_gslope.tif'); m, nd = both(a, b)
print(f"slope: max difference {np.max(np.abs(a[m] - b[m])):.5f} degrees, nodata mismatches {nd}")
a, b = read('out_rast.tif'), read('out_grast.tif'); m, nd = both(a, b)
print(f"rasterize: {int((a[m] != b[m]).sum()) + nd} differing cells")
PY
echo "polygons: georisk $(ogrinfo -so -al "$WORK/out_poly.gpkg" 2>/dev/null | grep 'Feature Count' | awk '{print $3}'), GDAL $(ogrinfo -so -al "$WORK/out_gpoly.gpkg" 2>/dev/null | grep 'Feature Count' | awk '{print $3}')"
[ -n "${KEEP:-}" ] || rm -rf "$WORK"
