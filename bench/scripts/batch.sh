#!/usr/bin/env bash
# Claims/s and latency against the number of connections, and the engine's batch size at each: one broker, wrk's
# closed loop of claims and releases (bench/wrk/claims.lua) at each of CONNECTIONS, and the engine's commands per
# batch over that point read from /metrics before and after it (ichiba_engine_batch_commands: sum over count).
#   bench/scripts/batch.sh OUT_DIR      (jars built: mvn -o -B -q package -DskipTests)
# Writes OUT_DIR/batch.csv (connections,requests_per_s,claims_per_s,p50_ms,p99_ms,max_ms,errors,batches,
# commands_per_batch); bench/plots.gp draws OUT_DIR/batch.png from it. Knobs (environment): CONNECTIONS
# ("1 2 4 8 16 32 64 128 256"), SECONDS_EACH (8), WARMUP (45: the broker's JIT settles under a minute of load),
# NODES (4), PORT (18280), HZ_PORT (15761). About 3 minutes.
set -euo pipefail
OUT=${1:?usage: $0 OUT_DIR}
source "$(dirname "$0")/common.sh"
setup_out "$OUT"

CONNECTIONS=${CONNECTIONS:-1 2 4 8 16 32 64 128 256}
SECONDS_EACH=${SECONDS_EACH:-8}
WARMUP=${WARMUP:-45}
NODES=${NODES:-4}
PORT=${PORT:-18280}
HZ_PORT=${HZ_PORT:-15761}
B=http://127.0.0.1:$PORT

start_broker "$PORT" "$HZ_PORT" "" "bench-batch-$$" "$LOGS/broker-batch.log"
wait_ready "$B" 1
loadgen setup --url "$B" --operator-token "$OPERATOR_TOKEN" --nodes "$NODES" --lock-permits 1000000 \
  --out "$LOGS/token-batch" >/dev/null 2>"$LOGS/setup-batch.log"
TOKEN=$(cat "$LOGS/token-batch")

# metric NAME: the value of a series without labels in the broker's /metrics (0 if absent)
metric() {
  curl -s "$B/metrics" -H "Authorization: Bearer $OPERATOR_TOKEN" | awk -v m="$1" '$1 == m {v = $2} END {print v + 0}'
}

log "batch: warm-up ${WARMUP}s"
ICHIBA_TOKEN=$TOKEN wrk -t2 -c16 -d"${WARMUP}s" --timeout 10s -s "$ROOT/bench/wrk/claims.lua" "$B" \
  >"$LOGS/wrk-batch-warmup.txt" 2>&1
CSV=$OUT/batch.csv
echo "connections,requests_per_s,claims_per_s,p50_ms,p99_ms,max_ms,errors,batches,commands_per_batch" >"$CSV"
for c in $CONNECTIONS; do
  threads=$((c < 2 ? 1 : 2))
  n0=$(metric ichiba_engine_batch_commands_count)
  s0=$(metric ichiba_engine_batch_commands_sum)
  ICHIBA_TOKEN=$TOKEN wrk -t"$threads" -c"$c" -d"${SECONDS_EACH}s" --timeout 10s -s "$ROOT/bench/wrk/claims.lua" "$B" \
    >"$LOGS/wrk-batch-$c.txt" 2>&1
  n1=$(metric ichiba_engine_batch_commands_count)
  s1=$(metric ichiba_engine_batch_commands_sum)
  r=$(grep '^RESULT' "$LOGS/wrk-batch-$c.txt") || { echo "wrk c=$c gave no RESULT line" >&2; exit 1; }
  per=$(awk -v n="$n0" -v N="$n1" -v s="$s0" -v S="$s1" 'BEGIN {d = N - n; printf "%.2f", (d > 0 ? (S - s) / d : 0)}')
  batches=$(awk -v n="$n0" -v N="$n1" 'BEGIN {printf "%d", N - n}')
  echo "$c,$(field requests_per_s "$r"),$(field claims_per_s "$r"),$(field p50_ms "$r"),$(field p99_ms "$r"),$(field max_ms "$r"),$(field errors "$r"),$batches,$per" >>"$CSV"
  log "batch c=$c: $(field claims_per_s "$r") claims/s, p99 $(field p99_ms "$r") ms, $per commands a batch"
done
log "done: $CSV"
