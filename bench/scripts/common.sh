# Shared by http.sh and scale.sh (sourced, not run): jars, JVM flags, starting and stopping processes.
# Every process started here is remembered in PIDS and killed by cleanup (trap set by the caller).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_JAR=$ROOT/bench/target/ichiba-bench.jar
BROKER_JAR=$ROOT/broker/target/ichiba-broker.jar
source "$ROOT/bench/scripts/jvm-flags.sh"
OPERATOR_TOKEN=${OPERATOR_TOKEN:-bench-operator-token-0123456789abcdef}
BROKER_HEAP=${BROKER_HEAP:-2g}
PIDS=()

for jar in "$BENCH_JAR" "$BROKER_JAR"; do
  [ -f "$jar" ] || { echo "missing $jar: run mvn -o -B -q package -DskipTests first" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; done # a stopped process (focus) would not end
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}

# setup_out DIR: makes DIR/logs, sets OUT (absolute) and LOGS, and kills what the script started when it exits
setup_out() {
  mkdir -p "$1/logs"
  OUT=$(cd "$1" && pwd)
  LOGS=$OUT/logs
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

# kill_now PID...: SIGKILL, for brokers whose state is of no further use (a graceful leave migrates partitions)
kill_now() {
  local pid
  for pid in "$@"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
  local keep=() p
  for p in "${PIDS[@]}"; do [[ " $* " == *" $p "* ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# java_bg LOG ARGS...: starts a JVM in the background; its pid is in LAST_PID
java_bg() {
  local out=$1; shift
  java "$@" >"$out" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# start_broker HTTP_PORT HZ_PORT MEMBERS CLUSTER LOG [MAIN...]: one broker member (no per-token rate, stream or wait
# limit: the load comes from one tenant, as a throughput measure wants); pid in LAST_PID. MAIN is how
# java starts it: the broker's jar by default (-jar ichiba-broker.jar), or e.g. -cp ichiba-bench.jar CLASS ARGS...
start_broker() {
  local http=$1 hz=$2 members=$3 cluster=$4 out=$5
  shift 5
  [ $# -gt 0 ] || set -- -jar "$BROKER_JAR"
  ICHIBA_HTTP_PORT=$http ICHIBA_HTTP_HOST=127.0.0.1 ICHIBA_HZ_PORT=$hz ICHIBA_HZ_MEMBERS=$members \
    ICHIBA_HZ_CLUSTER=$cluster ICHIBA_OPERATOR_TOKEN=$OPERATOR_TOKEN ICHIBA_NODE_GRACE_MILLIS=86400000 \
    ICHIBA_HTTP_RATE_LIMIT=0 ICHIBA_HTTP_WAITS_PER_TOKEN=0 ICHIBA_HTTP_STREAMS_PER_TOKEN=0 ICHIBA_DATA_DIR=${ICHIBA_DATA_DIR:-none} \
    java_bg "$out" -Xms1g -Xmx"$BROKER_HEAP" "${HZ_JVM_ARGS[@]}" "$@"
}

# wait_ready URL SIZE [SECONDS]: until GET URL/ready says READY with clusterSize SIZE
wait_ready() {
  local url=$1 size=$2 secs=${3:-90} i body
  for i in $(seq 1 $((secs * 4))); do
    body=$(curl -s "$url/ready" 2>/dev/null || true)
    if [[ $body == *'"READY"'* && $body == *"\"clusterSize\":$size"* ]]; then return 0; fi
    sleep 0.25
  done
  echo "$url did not become ready with $size member(s): $body" >&2
  return 1
}

# wait_port PORT [SECONDS]: until something answers HTTP on PORT
wait_port() {
  local port=$1 secs=${2:-60} i
  for i in $(seq 1 $((secs * 4))); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && return 0
    sleep 0.25
  done
  echo "nothing answers on port $port" >&2
  return 1
}

# focus ARM: resumes the server of ARM and stops (SIGSTOP) every other one in SERVER_PID (arm -> pid), so that an
# idle server's background work and JIT compilation take no CPU from the one measured; focus "" resumes them all
focus() {
  local arm
  for arm in "${!SERVER_PID[@]}"; do
    if [ -z "$1" ] || [ "$arm" = "$1" ]; then kill -CONT "${SERVER_PID[$arm]}"; else kill -STOP "${SERVER_PID[$arm]}"; fi
  done
}

loadgen() {
  java -Xmx1g -cp "$BENCH_JAR" io.ichiba.bench.http.LoadGen "$@"
}

# field NAME LINE: the value of NAME=value in a RESULT line of bench/wrk/claims.lua
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# granted_total URL: the sum of "granted" over every pool (0 once every claim is released)
granted_total() {
  curl -s "$1/v1/pools" -H "Authorization: Bearer $OPERATOR_TOKEN" \
    | grep -o '"granted":[0-9]*' | awk -F: '{s += $2} END {print s + 0}'
}
