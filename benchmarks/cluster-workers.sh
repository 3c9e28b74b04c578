# Sourced by the cluster benchmarks: localhost `georisk worker` processes pinned to cores, one thread each, the first one's
# silo port the one the others join. Needs GEORISK (the command) and WORK (the scratch folder, rasters under WORK/rasters).

start_workers() { # CORE...: one worker per core, pinned; waits until all are ready
  pids=()
  local i=0 core j
  for core in "$@"; do
    i=$((i + 1))
    taskset -c "$core" env ${WORKER_ENV:-} $GEORISK worker --raster-dir "$WORK/rasters" --threads 1 --silo-port $((21110 + i)) \
      --gateway-port $((31110 + i)) --name "core$core" --primary-port 21111 >"$WORK/worker$i.log" 2>&1 &
    pids+=($!)
  done
  for j in $(seq 1 "$i"); do
    for _ in $(seq 1 120); do grep -q "ready" "$WORK/worker$j.log" && break; sleep 1; done
    grep -q "ready" "$WORK/worker$j.log" || { echo "worker $j did not start" >&2; kill "${pids[@]}"; exit 1; }
  done
}

stop_workers() { kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true; }
