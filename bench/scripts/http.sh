#!/usr/bin/env bash
# HTTP benchmark of the claim path: Ichiba's broker against three baselines (bench/README.md).
#   bench/scripts/http.sh OUT_DIR      (jars built: mvn -o -B -q package -DskipTests)
# Arms: ichiba (one broker member), redis (the broker's router + a Lua acquire in redis-server), openapi (the broker's router, constant answers),
# hello (plain Vert.x router, constant answers). While one arm is measured, the other arms' JVMs are stopped
# (SIGSTOP, see focus in common.sh): an idle broker's sweeps and JIT compiler would otherwise take CPU from it.
# Writes OUT_DIR/http-closed.csv (wrk, closed loop, 16 and 64 connections) and OUT_DIR/http-open.csv
# (LoadGen, open loop at the same rates for every arm: fractions of ichiba's closed-loop claims/s plus
# a low fixed rate); logs in OUT_DIR/logs. About 10 minutes. Knobs (environment): WRK_SECONDS (8),
# WRK_WARMUP (45: the broker's JIT takes about a minute of load to settle on 2 cores), WRK_CONNECTIONS ("16 64"), OPEN_SECONDS (5), OPEN_WARMUP (2), RATE_PERCENTS ("25 50 75"),
# LOW_RATE (20), NODES (4), PORT_BASE (18080: broker; +1..+4 the arms), REDIS_PORT (16379: the Lua arm),
# HZ_PORT (15701; +20 for ichiba-before's, +40 for ichiba-durable's), BEFORE_JAR (a broker jar built at another commit: measured as the arm ichiba-before, port +5),
# DURABLE (1: also the arm ichiba-durable, port +6: the same broker writing each batch to its embedded SQLite in a
# temporary data directory, an fsync per batch; the arm ichiba keeps its state in memory only, ICHIBA_DATA_DIR=none),
# ARMS_ONLY (e.g. "ichiba ichiba-durable": measure only these arms).
set -euo pipefail
OUT=${1:?usage: $0 OUT_DIR}
source "$(dirname "$0")/common.sh"
setup_out "$OUT"

WRK_SECONDS=${WRK_SECONDS:-8}
WRK_WARMUP=${WRK_WARMUP:-45}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-16 64}
OPEN_SECONDS=${OPEN_SECONDS:-5}
OPEN_WARMUP=${OPEN_WARMUP:-2}
RATE_PERCENTS=${RATE_PERCENTS:-25 50 75}
LOW_RATE=${LOW_RATE:-20}
NODES=${NODES:-4}
PORT_BASE=${PORT_BASE:-18080}
REDIS_PORT=${REDIS_PORT:-16379}
HZ_PORT=${HZ_PORT:-15701}
command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; exit 1; }

declare -A PORT=([ichiba]=$PORT_BASE [hello]=$((PORT_BASE + 1)) [openapi]=$((PORT_BASE + 2)) [redis]=$((PORT_BASE + 3)))
ARMS=(ichiba redis openapi hello)
BEFORE_JAR=${BEFORE_JAR:-}
BROKERS=(ichiba)
if [ -n "$BEFORE_JAR" ]; then
  PORT[ichiba-before]=$((PORT_BASE + 5))
  ARMS=(ichiba ichiba-before redis openapi hello)
  BROKERS=(ichiba ichiba-before)
fi
if [ "${DURABLE:-1}" = 1 ]; then
  PORT[ichiba-durable]=$((PORT_BASE + 6))
  ARMS=(ichiba ichiba-durable "${ARMS[@]:1}")
  BROKERS+=(ichiba-durable)
fi
if [ -n "${ARMS_ONLY:-}" ]; then
  read -r -a ARMS <<<"$ARMS_ONLY"
fi
B=http://127.0.0.1:${PORT[ichiba]}

log "redis-server :$REDIS_PORT, broker $B"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$LOGS/redis-$REDIS_PORT.log" 2>&1 &
PIDS+=($!)
declare -A SERVER_PID # the JVM serving each arm: all but the one measured are stopped while it is (focus)
start_broker "${PORT[ichiba]}" "$HZ_PORT" "" "bench-http-$$" "$LOGS/broker.log"
SERVER_PID[ichiba]=$LAST_PID
if [ -n "$BEFORE_JAR" ]; then
  start_broker "${PORT[ichiba-before]}" "$((HZ_PORT + 20))" "" "bench-http-before-$$" "$LOGS/broker-before.log" \
    -jar "$BEFORE_JAR"
  SERVER_PID[ichiba-before]=$LAST_PID
  wait_ready "http://127.0.0.1:${PORT[ichiba-before]}" 1
fi
if [ -n "${PORT[ichiba-durable]:-}" ]; then
  DURABLE_DIR=$(mktemp -d -t ichiba-bench-data-XXXXXX)
  ICHIBA_DATA_DIR=$DURABLE_DIR start_broker "${PORT[ichiba-durable]}" "$((HZ_PORT + 40))" "" "bench-http-durable-$$" \
    "$LOGS/broker-durable.log"
  SERVER_PID[ichiba-durable]=$LAST_PID
  wait_ready "http://127.0.0.1:${PORT[ichiba-durable]}" 1
fi
wait_ready "$B" 1
declare -A TOKENS
for arm in "${BROKERS[@]}"; do
  loadgen setup --url "http://127.0.0.1:${PORT[$arm]}" --operator-token "$OPERATOR_TOKEN" --nodes "$NODES" \
    --lock-permits 1000000 --out "$LOGS/token-$arm" >/dev/null 2>"$LOGS/setup-$arm.log"
  TOKENS[$arm]=$(cat "$LOGS/token-$arm")
done
TOKEN=${TOKENS[ichiba]} # the baselines accept this one token
for arm in redis openapi hello; do TOKENS[$arm]=$TOKEN; done

for arm in hello openapi redis; do
  java_bg "$LOGS/$arm.log" -Xmx1g -cp "$BENCH_JAR" io.ichiba.bench.http.BaselineServer --arm "$arm" \
    --port "${PORT[$arm]}" --token "$TOKEN" --redis "redis://127.0.0.1:$REDIS_PORT" --nodes "$NODES"
  SERVER_PID[$arm]=$LAST_PID
done
for arm in hello openapi redis; do wait_port "${PORT[$arm]}"; done

# --- closed loop: wrk ------------------------------------------------------------------------------
CLOSED=$OUT/http-closed.csv
[ -s "$CLOSED" ] || echo "arm,connections,requests_per_s,claims_per_s,p50_ms,p99_ms,max_ms,errors" >"$CLOSED"
ICHIBA_BEST=0
for arm in "${ARMS[@]}"; do
  url=http://127.0.0.1:${PORT[$arm]}
  focus "$arm"
  log "wrk $arm: warm-up ${WRK_WARMUP}s"
  ICHIBA_TOKEN=${TOKENS[$arm]} wrk -t2 -c16 -d"${WRK_WARMUP}s" --timeout 10s -s "$ROOT/bench/wrk/claims.lua" "$url" \
    >"$LOGS/wrk-$arm-warmup.txt" 2>&1
  for c in $WRK_CONNECTIONS; do
    ICHIBA_TOKEN=${TOKENS[$arm]} wrk -t2 -c"$c" -d"${WRK_SECONDS}s" --timeout 10s -s "$ROOT/bench/wrk/claims.lua" "$url" \
      >"$LOGS/wrk-$arm-$c.txt" 2>&1
    r=$(grep '^RESULT' "$LOGS/wrk-$arm-$c.txt") || { echo "wrk $arm $c gave no RESULT line" >&2; exit 1; }
    echo "$arm,$c,$(field requests_per_s "$r"),$(field claims_per_s "$r"),$(field p50_ms "$r"),$(field p99_ms "$r"),$(field max_ms "$r"),$(field errors "$r")" >>"$CLOSED"
    log "wrk $arm c=$c: $r"
    if [ "$arm" = ichiba ]; then
      ICHIBA_BEST=$(awk -v a="$ICHIBA_BEST" -v b="$(field claims_per_s "$r")" 'BEGIN {print (b > a ? b : a)}')
    fi
  done
done

# --- open loop: LoadGen, the same rates for every arm ----------------------------------------------
RATES=$(for p in $RATE_PERCENTS; do awk -v c="$ICHIBA_BEST" -v p="$p" 'BEGIN {
  r = c * p / 100; s = r >= 1000 ? 100 : (r >= 100 ? 10 : 5); r = int(r / s + 0.5) * s; print (r < 5 ? 5 : r) }'; done
  echo "$LOW_RATE")
RATES=$(echo "$RATES" | sort -n -u | paste -sd, -)
log "open loop at $RATES claims/s (ichiba's best closed-loop: $ICHIBA_BEST claims/s)"
for arm in "${ARMS[@]}"; do
  focus "$arm"
  loadgen open --url "http://127.0.0.1:${PORT[$arm]}" --token "${TOKENS[$arm]}" --rate "$RATES" --duration "$OPEN_SECONDS" \
    --warmup "$OPEN_WARMUP" --out "$OUT/http-open.csv" --arm "$arm" 2>"$LOGS/open-$arm.log" | while read -r row; do
      log "open $row"; done
done

focus ""
sleep 1
log "pools' granted total after the run: ichiba $(granted_total "$B")" \
  "(claims wrk left unreleased end with their 60 s leases)"
log "done: $OUT/http-closed.csv $OUT/http-open.csv"
