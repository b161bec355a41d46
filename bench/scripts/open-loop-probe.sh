#!/usr/bin/env bash
# One broker (the jar of this checkout unless JAR= names another), warmed up by wrk, then LoadGen's open loop at the
# given rates: the probe behind benchmarks.md's "step 8" (where the open loop's p99 goes). Not part of run.sh.
#
#   bash bench/scripts/open-loop-probe.sh OUT_DIR 500,1000,1500,2000
#   BROKER_FLAGS="-XX:+UseShenandoahGC" ...   JVM flags for the broker (a collector to compare)
#   EXTRA_ENV="ICHIBA_CLAIMS_RETENTION_MILLIS=10000" ...   more environment for the broker
#   JFR=profile ...   records the open loop with JFR (OUT_DIR/open.jfr);  HISTO=1 ...   a heap histogram before it
#   WARM (60 s of wrk -c16), OPEN (20 s per rate)
# Writes OUT_DIR/open.csv (LoadGen's columns) and OUT_DIR/wrk-*.txt (the closed loops: -c16 warm-up, -c64 8 s).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUTD=${1:?usage: $0 OUT_DIR RATES}; RATE=${2:?usage: $0 OUT_DIR RATES}
JAR=${JAR:-$ROOT/broker/target/ichiba-broker.jar}
BENCH_JAR=$ROOT/bench/target/ichiba-bench.jar
mkdir -p "$OUTD"; rm -f "$OUTD"/*
source "$ROOT/bench/scripts/jvm-flags.sh"
TOKEN=bench-operator-token-0123456789abcdef
env ${EXTRA_ENV:-} ICHIBA_HTTP_PORT=18180 ICHIBA_HTTP_HOST=127.0.0.1 ICHIBA_HZ_PORT=15801 ICHIBA_HZ_MEMBERS= \
  ICHIBA_HZ_CLUSTER=probe-$$ ICHIBA_OPERATOR_TOKEN=$TOKEN ICHIBA_NODE_GRACE_MILLIS=86400000 ICHIBA_HTTP_RATE_LIMIT=0 ICHIBA_DATA_DIR=${ICHIBA_DATA_DIR:-none} \
  java -Xms1g -Xmx2g "${HZ_JVM_ARGS[@]}" ${BROKER_FLAGS:-} -jar "$JAR" > "$OUTD/broker.log" 2>&1 &
BP=$!
trap 'kill $BP 2>/dev/null' EXIT
for _ in $(seq 1 240); do curl -s localhost:18180/ready | grep -q READY && break; sleep 0.25; done
java -Xmx1g -cp "$BENCH_JAR" io.ichiba.bench.http.LoadGen setup --url http://127.0.0.1:18180 --operator-token $TOKEN \
  --nodes 4 --lock-permits 1000000 --out "$OUTD/token" > /dev/null 2> "$OUTD/setup.log"
T=$(cat "$OUTD/token")
cd "$ROOT"
ICHIBA_TOKEN=$T wrk -t2 -c16 -d"${WARM:-60}s" --timeout 10s -s bench/wrk/claims.lua http://127.0.0.1:18180 > "$OUTD/wrk-warm.txt" 2>&1
ICHIBA_TOKEN=$T wrk -t2 -c64 -d8s --timeout 10s -s bench/wrk/claims.lua http://127.0.0.1:18180 > "$OUTD/wrk-64.txt" 2>&1
grep -h RESULT "$OUTD"/wrk-*.txt
if [ -n "${HISTO:-}" ]; then jcmd $BP GC.class_histogram > "$OUTD/histo.txt"; fi
if [ -n "${JFR:-}" ]; then jcmd $BP JFR.start name=probe settings="$JFR" filename="$OUTD/open.jfr" > /dev/null; fi
java -Xmx1g -cp "$BENCH_JAR" io.ichiba.bench.http.LoadGen open --url http://127.0.0.1:18180 --token "$T" \
  --rate "$RATE" --duration "${OPEN:-20}" --warmup 2 --out "$OUTD/open.csv" --arm ichiba 2> "$OUTD/open.log"
if [ -n "${JFR:-}" ]; then jcmd $BP JFR.stop name=probe > /dev/null; fi
cat "$OUTD/open.csv"
