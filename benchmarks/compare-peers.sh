#!/usr/bin/env bash
# Times `georisk raster …` (the shipped build: ./build.sh publish, at THREADS threads and at --threads 1)
# next to the peer tools on two generated data sets (benchmarks/peers/make-data.py), median of RUNS whole
# commands each, GeoTIFF in, GeoTIFF/GeoPackage out; then checks the outputs against each other. Prints
# Markdown tables for benchmarks/RESULTS.md.
#   SIZE=8192 RUNS=5 benchmarks/compare-peers.sh
#   CASES="poly_smooth slope_relief" RUNS=3 benchmarks/compare-peers.sh     # some cases only
# Needs gdal-bin and python3-gdal (numpy); GRASS rows appear when `grass` is installed (grass-core).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-8192}
RUNS=${RUNS:-5}
WORK=${WORK:-$(mktemp -d /tmp/georisk-peers.XXXX)}
mkdir -p "$WORK"
THREADS=${THREADS:-$(nproc)}
CASES=${CASES-calc calc_striped prox slope slope_relief rast poly poly_smooth}
# GDAL polygonize writers raced: gpkg (gdal_polygonize.py's own, a feature at a time), gpkgtx (one transaction), fgb
POLY_WRITERS=${POLY_WRITERS:-gpkg gpkgtx fgb}
./build.sh publish >/dev/null
GEORISK="$PWD/artifacts/georisk/georisk"
echo "data sets: ${SIZE}x${SIZE} in $WORK" >&2
[ -f "$WORK/smooth.tif" ] || /usr/bin/python3 benchmarks/peers/make-data.py "$WORK" "$SIZE"
TE="500000 $((5000000 - SIZE * 30)) $((500000 + SIZE * 30)) 5000000"
# Rasterized all-touched as GDAL writes by default: one-row strips.
[ -f "$WORK/faults.tif" ] || gdal_rasterize -q -at -burn 1 -init 0 -te $TE -tr 30 30 -ot Byte "$WORK/faults.gpkg" "$WORK/faults.tif"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# One timed run: the inputs are read first (this VM runs a DAMON page-out scheme that drops page-cache pages
# left cold for a few seconds, so without it a command may find its inputs on disk), and earlier outputs
# written back (sync), so each tool starts from the same state; neither is part of the time. Prints seconds.
time_once() {  # output file, "input files", command…
  local output=$1 inputs=$2; shift 2
  rm -rf "$output"
  cat $inputs > /dev/null
  sync
  local t0 t1
  t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "error: $* failed" >&2; exit 1; }; t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
# The contenders of one case alternate run by run, so all meet the same moments of a noisy machine; the
# median of RUNS runs of contender NAME goes into T[<key>_NAME].
declare -A T
race() {  # key, "input files", then NAME OUTPUT FUNCTION triples
  local key=$1 inputs=$2; shift 2
  local -a names=() outputs=() functions=()
  while (($#)); do names+=("$1"); outputs+=("$2"); functions+=("$3"); shift 3; done
  declare -A times=()
  for ((r = 0; r < RUNS; r++)); do
    for i in "${!names[@]}"; do
      times[${names[$i]}]+="$(time_once "${outputs[$i]}" "$inputs" "${functions[$i]}") "
    done
  done
  for name in "${names[@]}"; do
    T[${key}_$name]=$(printf '%s\n' ${times[$name]} | median)
    echo "  $key $name: ${times[$name]}" >&2
  done
}
wants() { [[ " $CASES " == *" $1 "* ]]; }

W=$WORK
F="$W/f1.tif $W/f2.tif $W/f3.tif $W/f4.tif"
SF="$W/s_f1.tif $W/s_f2.tif $W/s_f3.tif $W/s_f4.tif"
calc_g() { $GEORISK raster calc --threads "$1" -o "$2" --expr "0.4*a+0.3*b+0.2*c+0.1*d" a="$3/${4}f1.tif" b="$3/${4}f2.tif" c="$3/${4}f3.tif" d="$3/${4}f4.tif"; }
calc_gdal() { gdal_calc.py --quiet -A "$W/${1}f1.tif" -B "$W/${1}f2.tif" -C "$W/${1}f3.tif" -D "$W/${1}f4.tif" --outfile "$2" --calc "0.4*A+0.3*B+0.2*C+0.1*D" --type Float32 --NoDataValue -9999; }
calc_2() { calc_g "$THREADS" "$W/out_calc.tif" "$W" ""; }
calc_1() { calc_g 1 "$W/out_calc1.tif" "$W" ""; }
calc_p() { calc_gdal "" "$W/out_gcalc.tif"; }
scalc_2() { calc_g "$THREADS" "$W/out_scalc.tif" "$W" "s_"; }
scalc_1() { calc_g 1 "$W/out_scalc1.tif" "$W" "s_"; }
scalc_p() { calc_gdal "s_" "$W/out_gscalc.tif"; }
prox_2() { $GEORISK raster proximity --threads "$THREADS" "$W/faults.tif" "$W/out_prox.tif"; }
prox_1() { $GEORISK raster proximity --threads 1 "$W/faults.tif" "$W/out_prox1.tif"; }
prox_p() { gdal_proximity.py -q "$W/faults.tif" "$W/out_gprox.tif" -values 1 -distunits GEO -ot Float32; }
slope_2() { $GEORISK raster slope --threads "$THREADS" "$W/dem.tif" "$W/out_slope.tif"; }
slope_1() { $GEORISK raster slope --threads 1 "$W/dem.tif" "$W/out_slope1.tif"; }
slope_p() { gdaldem slope -q "$W/dem.tif" "$W/out_gslope.tif"; }
rslope_2() { $GEORISK raster slope --threads "$THREADS" "$W/relief.tif" "$W/out_rslope.tif"; }
rslope_1() { $GEORISK raster slope --threads 1 "$W/relief.tif" "$W/out_rslope1.tif"; }
rslope_p() { gdaldem slope -q "$W/relief.tif" "$W/out_grslope.tif"; }
rast_2() { $GEORISK raster rasterize --threads "$THREADS" "$W/polys.gpkg" "$W/out_rast.tif" --attr class --like "$W/dem.tif"; }
rast_1() { $GEORISK raster rasterize --threads 1 "$W/polys.gpkg" "$W/out_rast1.tif" --attr class --like "$W/dem.tif"; }
rast_p() { gdal_rasterize -q -a class -te $TE -tr 30 30 -ot Float32 -a_nodata -9999 -init -9999 "$W/polys.gpkg" "$W/out_grast.tif"; }
poly_2() { $GEORISK raster polygonize --threads "$THREADS" "$W/$1.tif" "$W/out_$1.gpkg"; }
poly_1() { $GEORISK raster polygonize --threads 1 "$W/$1.tif" "$W/out_${1}1.gpkg"; }
# GDAL's polygonize with each of its writers: gdal_polygonize.py's own GeoPackage output (a feature at a
# time), the same into one transaction (benchmarks/peers/gdal-polygonize-gpkg.py), and FlatGeobuf.
poly_gpkg() { gdal_polygonize.py -q "$W/$1.tif" -f GPKG "$W/out_g$1.gpkg" zones class; }
poly_gpkgtx() { /usr/bin/python3 benchmarks/peers/gdal-polygonize-gpkg.py "$W/$1.tif" "$W/out_gt$1.gpkg"; }
poly_fgb() { gdal_polygonize.py -q "$W/$1.tif" -f FlatGeobuf "$W/out_g$1.fgb" zones class; }
cpoly_2() { poly_2 classes; }
cpoly_1() { poly_1 classes; }
cpoly_gpkg() { poly_gpkg classes; }
cpoly_gpkgtx() { poly_gpkgtx classes; }
cpoly_fgb() { poly_fgb classes; }
spoly_2() { poly_2 smooth; }
spoly_1() { poly_1 smooth; }
spoly_gpkg() { poly_gpkg smooth; }
spoly_gpkgtx() { poly_gpkgtx smooth; }
spoly_fgb() { poly_fgb smooth; }

if wants calc; then race calc "$F" g2 "$W/out_calc.tif" calc_2 g1 "$W/out_calc1.tif" calc_1 gdal "$W/out_gcalc.tif" calc_p; fi
if wants calc_striped; then race scalc "$SF" g2 "$W/out_scalc.tif" scalc_2 g1 "$W/out_scalc1.tif" scalc_1 gdal "$W/out_gscalc.tif" scalc_p; fi
if wants prox; then race prox "$W/faults.tif" g2 "$W/out_prox.tif" prox_2 g1 "$W/out_prox1.tif" prox_1 gdal "$W/out_gprox.tif" prox_p; fi
if wants slope; then race slope "$W/dem.tif" g2 "$W/out_slope.tif" slope_2 g1 "$W/out_slope1.tif" slope_1 gdal "$W/out_gslope.tif" slope_p; fi
if wants slope_relief; then race rslope "$W/relief.tif" g2 "$W/out_rslope.tif" rslope_2 g1 "$W/out_rslope1.tif" rslope_1 gdal "$W/out_grslope.tif" rslope_p; fi
if wants rast; then race rast "$W/polys.gpkg $W/dem.tif" g2 "$W/out_rast.tif" rast_2 g1 "$W/out_rast1.tif" rast_1 gdal "$W/out_grast.tif" rast_p; fi
writers() {  # the GDAL polygonize contenders for raster $1 under key prefix $2
  local wr
  for wr in $POLY_WRITERS; do
    case $wr in
      gpkg) echo "gpkg $W/out_g$1.gpkg ${2}_gpkg" ;;
      gpkgtx) echo "gpkgtx $W/out_gt$1.gpkg ${2}_gpkgtx" ;;
      fgb) echo "fgb $W/out_g$1.fgb ${2}_fgb" ;;
    esac
  done
}
if wants poly; then race cpoly "$W/classes.tif" g2 "$W/out_classes.gpkg" cpoly_2 g1 "$W/out_classes1.gpkg" cpoly_1 $(writers classes cpoly); fi
if wants poly_smooth; then race spoly "$W/smooth.tif" g2 "$W/out_smooth.gpkg" spoly_2 g1 "$W/out_smooth1.gpkg" spoly_1 $(writers smooth spoly); fi

if command -v grass >/dev/null 2>&1 && [ -z "${NO_GRASS:-}" ]; then
  # GRASS 8 reading the same GeoTIFFs (r.external links them: nothing imported) and writing GeoTIFF like
  # GeoRisk (r.external.out: tiled, uncompressed); only the module is timed. Outputs are Float32 (FCELL)
  # like GeoRisk's except r.grow.distance's, which only writes Float64.
  grass_time() {  # inputs to link ("file:name …"), module command; prints seconds
    local links="" spec
    for spec in $1; do links+="r.external -o --quiet input=${spec%%:*} output=${spec##*:} >/dev/null 2>&1; "; done
    rm -rf "$W/grass-out"; mkdir -p "$W/grass-out"
    grass --tmp-location EPSG:4536 --exec bash -c "$links g.region raster=${1##*:} >/dev/null 2>&1; \
      r.external.out directory=$W/grass-out format=GTiff options=TILED=YES,COMPRESS=NONE,BIGTIFF=IF_SAFER >/dev/null 2>&1; \
      cat $(echo "$1" | sed 's/:[a-z0-9]*//g') >/dev/null; sync; t0=\$(date +%s.%N); $2 >/dev/null 2>&1 || exit 1; t1=\$(date +%s.%N); echo \"\$t1 - \$t0\" | bc -l" 2>/dev/null | tail -n 1
  }
  grass_runs() { for r in $(seq "$RUNS"); do grass_time "$1" "$2"; done | median; }
  calc_expr="r.mapcalc expression='out.tif = float(0.4*a + 0.3*b + 0.2*c + 0.1*d)' --overwrite"
  if wants calc; then T[calc_grass]=$(grass_runs "$W/f1.tif:a $W/f2.tif:b $W/f3.tif:c $W/f4.tif:d" "$calc_expr"); fi
  if wants calc_striped; then T[scalc_grass]=$(grass_runs "$W/s_f1.tif:a $W/s_f2.tif:b $W/s_f3.tif:c $W/s_f4.tif:d" "$calc_expr"); fi
  if wants prox; then T[prox_grass]=$(grass_runs "$W/faults.tif:a" "r.mapcalc expression='m.tif = if(a == 1, 1, null())' --overwrite && r.grow.distance input=m.tif distance=d.tif --overwrite"); fi
  if wants slope; then T[slope_grass]=$(grass_runs "$W/dem.tif:a" "r.slope.aspect elevation=a slope=s.tif precision=FCELL nprocs=$THREADS --overwrite"); fi
  if wants slope_relief; then T[rslope_grass]=$(grass_runs "$W/relief.tif:a" "r.slope.aspect elevation=a slope=s.tif precision=FCELL nprocs=$THREADS --overwrite"); fi
fi

s() { [ -n "${T[$1]:-}" ] && printf '%.2f s' "${T[$1]}" || printf '—'; }
ratio() { [ -n "${T[$1]:-}" ] && [ -n "${T[$2]:-}" ] && printf '%.1f×' "$(echo "${T[$1]} / ${T[$2]}" | bc -l)" || printf '—'; }
best() { # the faster of the keys given (the peer compared)
  local k b=""
  for k in "$@"; do [ -n "${T[$k]:-}" ] && { [ -z "$b" ] || (($(echo "${T[$k]} < ${T[$b]}" | bc -l))); } && b=$k; done
  echo "$b"
}
row() { # operation, key, peer label, peer keys…
  local op=$1 key=$2 label=$3; shift 3
  [ -n "${T[${key}_g2]:-}" ] || return 0
  local peer; peer=$(best "$@")
  printf '| %s | %s | %s | %s: %s | %s | **%s** | %s |\n' "$op" "$(s "${key}_g2")" "$(s "${key}_g1")" "$label" "$(s "$peer")" "$(s "${key}_grass")" \
    "$(ratio "$peer" "${key}_g2")" "$(ratio "$peer" "${key}_g1")"
}
echo
echo "commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| operation (${SIZE}², median of ${RUNS}) | georisk, ${THREADS} threads | georisk, 1 thread | GDAL (fastest writer) | GRASS | GDAL ÷ georisk (${THREADS} threads) | GDAL ÷ georisk (1 thread) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
row "weighted overlay of 4 layers, tiled inputs" calc gdal_calc calc_gdal
row "weighted overlay of 4 layers, striped inputs" scalc gdal_calc scalc_gdal
row "distance to 50 faults (striped Byte input)" prox gdal_proximity prox_gdal
row "slope, smooth synthetic DEM (tiled)" slope gdaldem slope_gdal
row "slope, fractal DEM 190–4,600 m (striped)" rslope gdaldem rslope_gdal
row "rasterize 10,000 polygons" rast gdal_rasterize rast_gdal
row "polygonize 4 classes, interfering waves (tiled)" cpoly "gdal_polygonize $(best cpoly_gpkg cpoly_gpkgtx cpoly_fgb | sed 's/.*_//')" cpoly_gpkg cpoly_gpkgtx cpoly_fgb
row "polygonize 4 classes, 3×3 majority twice (striped)" spoly "gdal_polygonize $(best spoly_gpkg spoly_gpkgtx spoly_fgb | sed 's/.*_//')" spoly_gpkg spoly_gpkgtx spoly_fgb
for key in cpoly spoly; do
  [ -n "${T[${key}_g2]:-}" ] && echo "gdal_polygonize writers ($key): GPKG $(s ${key}_gpkg), GPKG in one transaction $(s ${key}_gpkgtx), FlatGeobuf $(s ${key}_fgb)"
done
echo
# The outputs just timed, checked against each other (the reference tests do this on small grids too).
/usr/bin/python3 - "$WORK" <<'PY'
import os, sys, numpy as np
from osgeo import gdal, ogr
gdal.UseExceptions()
w = sys.argv[1]
def read(name):
    ds = gdal.Open(f'{w}/{name}')  # keep the dataset alive while its band is used
    b = ds.GetRasterBand(1); a = b.ReadAsArray().astype(np.float64); nd = b.GetNoDataValue()
    return np.where(a == nd, np.nan, a) if nd is not None else a
def both(a, b): m = ~np.isnan(a) & ~np.isnan(b); return m, int((np.isnan(a) != np.isnan(b)).sum())
def have(*names): return all(os.path.exists(f'{w}/{n}') for n in names)
for ours, theirs in [('out_calc.tif', 'out_gcalc.tif'), ('out_scalc.tif', 'out_gscalc.tif')]:
    if have(ours, theirs):
        a, b = read(ours), read(theirs); m, nd = both(a, b)
        print(f"{ours}: max relative difference to gdal_calc {np.max(np.abs(a[m] - b[m]) / np.maximum(1, np.abs(b[m]))):.2e}, nodata mismatches {nd}")
if have('out_prox.tif', 'out_gprox.tif'):
    a, b = read('out_prox.tif'), read('out_gprox.tif'); m, nd = both(a, b)
    print(f"proximity: gdal_proximity off by up to {np.max(np.abs(a[m] - b[m])):.2f} m on {np.mean(np.abs(a[m] - b[m]) > 1e-3):.2%} of cells (GeoRisk is exact)")
for ours, theirs in [('out_slope.tif', 'out_gslope.tif'), ('out_rslope.tif', 'out_grslope.tif')]:
    if have(ours, theirs):
        a, b = read(ours), read(theirs); m, nd = both(a, b)
        print(f"{ours}: max difference to gdaldem {np.max(np.abs(a[m] - b[m])):.6f}°, {np.mean(a[m] == b[m]):.1%} of cells identical, nodata mismatches {nd}")
if have('out_rast.tif', 'out_grast.tif'):
    a, b = read('out_rast.tif'), read('out_grast.tif'); m, nd = both(a, b)
    print(f"rasterize: {int((a[m] != b[m]).sum()) + nd} differing cells")
def areas(path):
    ds = ogr.Open(path); lyr = ds.GetLayer(0); per = {}
    for f in lyr:
        per.setdefault(round(f.GetField('class')), []).append(f.GetGeometryRef().GetArea())
    return {k: np.sort(v) for k, v in per.items()}
for name in ['classes', 'smooth']:
    if have(f'out_{name}.gpkg', f'out_g{name}.fgb'):
        a, b = areas(f'{w}/out_{name}.gpkg'), areas(f'{w}/out_g{name}.fgb')
        same = a.keys() == b.keys() and all(len(a[k]) == len(b[k]) and np.allclose(a[k], b[k], rtol=1e-9, atol=0) for k in a)
        print(f"polygonize {name}: georisk {sum(map(len, a.values()))} polygons, GDAL {sum(map(len, b.values()))}; "
              + ("same polygons per class with the same areas" if same else "POLYGONS OR AREAS DIFFER"))
PY
[ -n "${KEEP:-}" ] || rm -rf "$WORK"
