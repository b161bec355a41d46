#!/usr/bin/env bash
# Scale benchmark of the broker's grant path (bench/README.md).
#   bench/scripts/scale.sh OUT_DIR     (jars built: mvn -o -B -q package -DskipTests)
# 1. members: 1, 2 and 3 broker members as processes on loopback (each lists all), a closed loop of
#    CONNECTIONS claim -> granted -> release loops spread over every member's URL -> OUT_DIR/scale-members.csv
# 2. pools: 10, 1 000 and 10 000 pools (5, 500, 5000 nodes x memory + disk) on one member, claims without a
#    node (the broker places them) -> OUT_DIR/scale-pools.csv
# Each point starts fresh brokers (SIGKILLed after it); logs in OUT_DIR/logs. About 3 minutes. Knobs (environment): SECONDS_RUN (6),
# WARMUP (4), CONNECTIONS (32), MEMBERS ("1 2 3"), POOLS ("10 1000 10000"), HTTP_BASE (18090), HZ_BASE (15711).
set -euo pipefail
OUT=${1:?usage: $0 OUT_DIR}
source "$(dirname "$0")/common.sh"
setup_out "$OUT"

SECONDS_RUN=${SECONDS_RUN:-6}
WARMUP=${WARMUP:-4}
CONNECTIONS=${CONNECTIONS:-32}
MEMBERS=${MEMBERS:-1 2 3}
POOLS=${POOLS:-10 1000 10000}
HTTP_BASE=${HTTP_BASE:-18090}
HZ_BASE=${HZ_BASE:-15711}

# cluster NAME SIZE: starts SIZE members that list each other; their URLs in URLS, pids in CLUSTER_PIDS
cluster() {
  local name=$1 size=$2 i members=""
  for i in $(seq 0 $((size - 1))); do members+="${members:+,}127.0.0.1:$((HZ_BASE + i))"; done
  URLS=""
  CLUSTER_PIDS=()
  for i in $(seq 0 $((size - 1))); do
    start_broker $((HTTP_BASE + i)) $((HZ_BASE + i)) "$members" "bench-scale-$$-$name" "$LOGS/broker-$name-$i.log"
    CLUSTER_PIDS+=("$LAST_PID")
    URLS+="${URLS:+,}http://127.0.0.1:$((HTTP_BASE + i))"
  done
  local url
  for url in ${URLS//,/ }; do wait_ready "$url" "$size" 120; done
}

# point NAME NODES LABEL_HEADER LABEL CSV: provision NODES nodes, run the closed loop, check the pools, stop
point() {
  local name=$1 nodes=$2 header=$3 label=$4 csv=$5 first=${URLS%%,*} t0=$SECONDS left
  loadgen setup --url "$first" --operator-token "$OPERATOR_TOKEN" --nodes "$nodes" --lock-permits 1000000 \
    --out "$LOGS/token-$name" >/dev/null 2>"$LOGS/setup-$name.log"
  log "$name: provisioned $nodes nodes in $((SECONDS - t0)) s ($(grep -o 'in [0-9.]* s' "$LOGS/setup-$name.log"))"
  loadgen closed --url "$URLS" --token "$(cat "$LOGS/token-$name")" --connections "$CONNECTIONS" \
    --duration "$SECONDS_RUN" --warmup "$WARMUP" --out "$csv" --label "$label" --label-header "$header" \
    2>"$LOGS/closed-$name.log" | while read -r row; do log "$name: $row"; done
  left=$(granted_total "$first")
  [ "$left" = 0 ] || log "$name: WARNING pools still hold $left granted after every release"
  kill_now "${CLUSTER_PIDS[@]}"
}

for m in $MEMBERS; do
  log "members=$m: starting"
  cluster "m$m" "$m"
  point "m$m" 4 members "$m" "$OUT/scale-members.csv"
done

for p in $POOLS; do
  log "pools=$p: starting one member"
  cluster "p$p" 1
  point "p$p" $((p / 2)) pools "$p" "$OUT/scale-pools.csv"
done
log "done: $OUT/scale-members.csv $OUT/scale-pools.csv"
