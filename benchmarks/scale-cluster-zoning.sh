#!/usr/bin/env bash
# Issue #19: a streamed zoning run (`georisk compute --block-size`) of the sample prefecture in one process and on localhost
# workers pinned to cores with taskset, wall time and peak RSS of the client with /usr/bin/time -v:
#   inproc-1core   the run in one process, pinned to core 0, one thread;
#   cluster-1core  one worker pinned to core 0 and the client pinned to core 0 too: the same CPU as inproc-1core plus what the
#                  cluster path adds (grain calls, job files, result files, block files read back): the per-block overhead;
#   cluster-1      one worker pinned to core 0, the client unpinned (on a 2-core machine it has core 1 to itself);
#   cluster-2      two workers pinned to cores 0 and 1, the client unpinned (sharing both).
# The speed-up of 2 silos over 1 is cluster-1 / cluster-2; since the client writes the COGs during the passes it needs a core
# of its own, so that ratio only means something with a core to spare; cluster-1core / cluster-2 is one core against two.
# Each run's stage times are in its .out ("timings (s): …"; "write.background" the COG writing done during the passes), and
# every run prints the SHA-256 of its published cells, which must be the same for all of them.
# Usage: [CELL=30] [BLOCK=1024] [RUNS="inproc-1core cluster-1core cluster-1 cluster-2"] ./benchmarks/scale-cluster-zoning.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CELL=${CELL:-30}
BLOCK=${BLOCK:-1024}
WORK=${WORK:-/tmp/georisk-cluster-zoning}
RUNS=${RUNS:-"inproc-1core cluster-1core cluster-1 cluster-2"}
mkdir -p "$WORK/rasters"
dotnet build src/GeoRisk.Cli -c Release --verbosity quiet -nologo >/dev/null
GEORISK="dotnet src/GeoRisk.Cli/bin/Release/net10.0/georisk.dll"
STORE="$WORK/store.gpkg"
[ -f "$STORE" ] || $GEORISK demo --store "$STORE" --surveys surveys --no-serve --no-compute >"$WORK/load.out"
COMPUTE=(compute --store "$STORE" --full --force --block-size "$BLOCK" --cell-size "$CELL")

measure() { # LABEL CMD...: wall time and peak RSS of the client
  local label=$1; shift
  /usr/bin/time -v "$@" >"$WORK/$label.out" 2>"$WORK/$label.time" || { tail -20 "$WORK/$label.out" "$WORK/$label.time" >&2; return 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/$label.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/$label.time")
  echo "$label: wall $wall, client peak RSS $rss MB, load $(cut -d' ' -f1-3 /proc/loadavg)"
  grep -h "^timings\|^cells SHA-256" "$WORK/$label.out" | sed 's/^/  /'
}

# shellcheck source=benchmarks/cluster-workers.sh
. benchmarks/cluster-workers.sh

CLUSTER=(--cluster localhost:31111 --raster-dir "$WORK/rasters")
for run in $RUNS; do
  case $run in
    inproc-1core) measure "$run" taskset -c 0 $GEORISK "${COMPUTE[@]}" --threads 1 ;;
    # Two blocks in flight so the worker always has the next one queued.
    cluster-1core) start_workers 0; measure "$run" taskset -c 0 $GEORISK "${COMPUTE[@]}" --threads 2 "${CLUSTER[@]}"; stop_workers ;;
    cluster-1) start_workers 0; measure "$run" $GEORISK "${COMPUTE[@]}" --threads 4 "${CLUSTER[@]}"; stop_workers ;;
    cluster-2) start_workers 0 1; measure "$run" $GEORISK "${COMPUTE[@]}" --threads 4 "${CLUSTER[@]}"; stop_workers ;;
    *) echo "unknown run $run" >&2; exit 2 ;;
  esac
done
