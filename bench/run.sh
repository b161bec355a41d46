#!/usr/bin/env bash
# Runs every benchmark of docs/benchmarks.md on this machine, side by side in one run, and writes the results:
# CSV files and PNG plots in docs/bench/, and the measured sections of docs/benchmarks.md (the prose around them is
# written by hand). About 20 minutes on 2 cores. Installs wrk, redis-server and gnuplot from Debian if missing.
#
#   bash bench/run.sh                 everything
#   QUICK=1 bash bench/run.sh         one short iteration of each, to check the script (numbers meaningless)
#   BEFORE=<rev> bash bench/run.sh    also measures the ledger's grant arms at <rev>, for the before/after table
#                                     (default: the commit before the grant path was made faster; BEFORE= skips it)
#                                     BEFORE_ARMS: its arms to run (default hazelcast, the per-key store then;
#                                     engine for a commit since the engine)
#   ONLY="grant http" bash bench/run.sh   only these parts: grant before book admission memory http batch scale
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/docs/bench}
MD=${MD:-$ROOT/docs/benchmarks.md}
LOGS=$ROOT/bench/target/logs
QUICK=${QUICK:-0}
BEFORE=${BEFORE-1e1d073}
BEFORE_ARMS=${BEFORE_ARMS:-hazelcast}
ONLY=${ONLY:-"grant before book admission memory http batch scale"}
JAR=$ROOT/bench/target/ichiba-bench.jar
REDIS_PORT=16380
# The JVM flags Hazelcast needs on Java 17, and quiet logs.
source "$ROOT/bench/scripts/jvm-flags.sh"
HZ_FLAGS=("${HZ_JVM_ARGS[@]}" -Dhazelcast.phone.home.enabled=false -Dhazelcast.logging.type=slf4j
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)

if [ "$QUICK" = 1 ]; then
  JMH=(-f 1 -wi 1 -w 1s -i 1 -r 1s)
  GRANT_JMH=("${JMH[@]}")
else
  JMH=(-f 1 -wi 2 -w 1s -i 5 -r 1s)
  GRANT_JMH=(-f 1 -wi 2 -w 1s -i 4 -r 1s)
fi

want() { [[ " $ONLY " == *" $1 "* ]]; }
step() { printf '\n=== %s  %s\n' "$(date -u +%H:%M:%S)" "$*"; }

install() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
  if [ ${#missing[@]} -gt 0 ]; then
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "install and build"
install
mvn -B -q -ntp package -DskipTests
mkdir -p "$OUT" "$LOGS"

ALL="grant before book admission memory http batch scale"
if [ "$ONLY" != "$ALL" ] && [ -s "$OUT/machine.txt" ]; then
  # A partial run keeps the full run's record and says which parts it measured again, when, at which commit.
  echo "again:   $ONLY at $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD)" >> "$OUT/machine.txt"
else {
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!docs' || echo ' (with uncommitted changes)')"
  echo "cpu:     $(nproc) x $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
  echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel:  $(uname -sr)"
  echo "java:    $(java -version 2>&1 | sed -n 1p)"
  echo "redis:   $(redis-server --version | cut -d' ' -f3)"
  echo "wrk:     $(wrk --version 2>&1 | sed -n 1p | cut -d' ' -f1-2)"
  echo "jmh:     ${JMH[*]} (grant: ${GRANT_JMH[*]}); QUICK=$QUICK"
} > "$OUT/machine.txt"
fi
cat "$OUT/machine.txt"

redis-server --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes --logfile "$LOGS/redis-jmh.log"

if want grant; then
  for t in 1 2; do
    step "in-process grants, $t thread(s)"
    rm -f "$OUT/grant-t$t.csv"
    java -jar "$JAR" GrantBench "${GRANT_JMH[@]}" -t "$t" -rf csv -rff "$OUT/grant-t$t.csv" > "$LOGS/grant-t$t.log"
    grep -E '^GrantBench' "$LOGS/grant-t$t.log" || true
  done
  # the issue's measure: 64 concurrent submitters, the replicated ledger against the bare entry-processor pair
  step "in-process grants, 64 threads (Hazelcast arms)"
  rm -f "$OUT/grant-t64.csv"
  java -jar "$JAR" GrantBench "${GRANT_JMH[@]}" -t 64 -p arm=entryProcessor,engine,entryProcessor2,engine2 \
    -rf csv -rff "$OUT/grant-t64.csv" > "$LOGS/grant-t64.log"
  grep -E '^GrantBench' "$LOGS/grant-t64.log" || true
fi

if want before && [ -n "$BEFORE" ]; then
  step "in-process grants at $BEFORE (before the grant path was made faster)"
  rm -rf "$ROOT/bench/target/before"
  git worktree prune
  git worktree add -q --detach "$ROOT/bench/target/before" "$BEFORE"
  (cd "$ROOT/bench/target/before" && mvn -B -q -ntp package -DskipTests -pl bench -am)
  rm -f "$OUT/grant-before.csv"
  java -jar "$ROOT/bench/target/before/bench/target/ichiba-bench.jar" GrantBench "${GRANT_JMH[@]}" -t 1 \
    -p arm="$BEFORE_ARMS" -rf csv -rff "$OUT/grant-before.csv" > "$LOGS/grant-before.log"
  grep -E '^GrantBench' "$LOGS/grant-before.log" || true
  git worktree remove --force "$ROOT/bench/target/before"
fi

if want book; then
  step "order book matching"
  rm -f "$OUT/book.csv"
  java -jar "$JAR" BookBench "${JMH[@]}" -rf csv -rff "$OUT/book.csv" > "$LOGS/book.log"
  grep -E '^BookBench' "$LOGS/book.log" || true
  step "orders through the market on the engine"
  rm -f "$OUT/market.csv"
  java -jar "$JAR" MarketBench "${JMH[@]}" -jvmArgsAppend "-Xmx3g ${HZ_JVM_ARGS[*]}" -rf csv -rff "$OUT/market.csv" \
    > "$LOGS/market.log"
  grep -E '^MarketBench' "$LOGS/market.log" || true
fi

if want admission; then
  step "admission-loop latency against the queue's length"
  rm -f "$OUT/admission.csv"
  # grantProbe only: a pass with nothing to grant (AdmissionBench.passOverQueue) costs the same walk, and its own trials
  # (the 100 000-claim setup on Hazelcast takes half a minute) would add 1.5 minutes.
  java -jar "$JAR" 'AdmissionBench.grantProbe' "${JMH[@]}" -rf csv -rff "$OUT/admission.csv" > "$LOGS/admission.log"
  grep -E '^AdmissionBench' "$LOGS/admission.log" | grep -v '·p' || true
fi

if want memory; then
  step "heap per pool and per claim"
  rm -f "$OUT/memory.csv"
  java "${HZ_FLAGS[@]}" -Xmx2g -cp "$JAR" io.ichiba.bench.MemoryProbe "$OUT/memory.csv" > "$LOGS/memory.log" 2>&1
  cat "$OUT/memory.csv"
fi

redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true

if want http; then
  step "over HTTP: wrk closed loop and open-loop latency, five arms"
  rm -f "$OUT/http-closed.csv" "$OUT/http-open.csv"
  if [ "$QUICK" = 1 ]; then
    WRK_WARMUP=${WRK_WARMUP:-3} bash bench/scripts/http.sh "$OUT"
  else
    bash bench/scripts/http.sh "$OUT"
  fi
fi

if want batch; then
  step "over HTTP: throughput, p99 and the engine's batch size against connections"
  rm -f "$OUT/batch.csv"
  if [ "$QUICK" = 1 ]; then
    CONNECTIONS="1 16 64" SECONDS_EACH=2 WARMUP=3 bash bench/scripts/batch.sh "$OUT"
  else
    bash bench/scripts/batch.sh "$OUT"
  fi
fi

if want scale; then
  step "scale: members and pools"
  rm -f "$OUT/scale-members.csv" "$OUT/scale-pools.csv"
  bash bench/scripts/scale.sh "$OUT"
fi

step "plots and report"
gnuplot -e "dir='$OUT'" bench/plots.gp
java -cp "$JAR" io.ichiba.bench.report.Report "$OUT" "$MD"
step "done: $MD, $OUT"
