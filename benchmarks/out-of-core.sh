#!/usr/bin/env bash
# The out-of-core target: a weighted overlay of four SIZE² float32 layers (32768² = 17 GB of input) with
# bounded memory. Prints wall time and peak resident memory of `georisk raster calc`.
#   SIZE=32768 benchmarks/out-of-core.sh     (needs ~22 GB of free disk for SIZE=32768)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-32768}
WORK=${WORK:-$(mktemp -d /tmp/georisk-ooc.XXXX)}
./build.sh publish >/dev/null # the shipped build, artifacts/georisk/georisk
for i in 1 2 3 4; do
  # Constant layers: content does not change the streaming cost, and gdal_create writes them fast.
  gdal_create -q -outsize "$SIZE" "$SIZE" -bands 1 -ot Float32 -burn "$i" -a_srs EPSG:4536 \
    -a_ullr 500000 $((5000000 + SIZE * 30)) $((500000 + SIZE * 30)) 5000000 \
    -co TILED=YES -co BIGTIFF=YES "$WORK/f$i.tif"
done
echo "input: $(du -ch "$WORK"/f*.tif | tail -n 1 | cut -f1) in $WORK" >&2
/usr/bin/time -v artifacts/georisk/georisk raster calc -o "$WORK/out.tif" \
  --expr "0.4*a+0.3*b+0.2*c+0.1*d" a="$WORK/f1.tif" b="$WORK/f2.tif" c="$WORK/f3.tif" d="$WORK/f4.tif" 2> "$WORK/time.txt"
grep -E "Elapsed \(wall clock\)|Maximum resident set size" "$WORK/time.txt"
gdalinfo -stats "$WORK/out.tif" | grep -E "STATISTICS_(MINIMUM|MAXIMUM)"   # expect 2 everywhere
[ -n "${KEEP:-}" ] || rm -rf "$WORK"
