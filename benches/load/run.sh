#!/usr/bin/env bash
# The token endpoint under load, on loopback, in one run:
#   1. fapi serve, one node, state in memory
#   2. fapi serve, one node, state on Redis
#   3. fapi serve, two nodes on one Redis (requests alternate between them)
#   4. fapi serve, one node, state on PostgreSQL
#   5. fapi serve, one node, PostgreSQL with the replay cache on Redis
#   6. oidc-provider (npm), FAPI 2.0, one Node process
# Every server gets the same grant: client_credentials + private_key_jwt +
# DPoP, a JWT access token signed ES256, over HTTPS. Assertions and proofs
# are signed before the clock starts (see src/token.rs). The servers run on
# CPU 0 and the load client on CPU 1 (`taskset`), so each server has one
# core, as oidc-provider has one Node core. Bounded: REQUESTS requests or
# MAX_SECONDS seconds a run, whichever comes first, after WARMUP requests
# (default 500) that are not counted.
#
#   bash benches/load/run.sh            # results as JSON lines and a table
#   REQUESTS=5000 bash benches/load/run.sh
#
# FAPI_LOAD_BIN_DIR=DIR takes `fapi` and `fapi-load` from DIR instead of
# building them (e.g. target/debug: the workspace's dev profile is
# optimised); FAPI_LOAD_SKIP_BUILD=1 takes them from target/release.
# FAPI_LOAD_ROWS=memory runs only fapi serve in memory (the token load and
# the code flow), e.g. for A/B rounds of two builds.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
REQUESTS=${REQUESTS:-20000}
CONCURRENCY=${CONCURRENCY:-32}
MAX_SECONDS=${MAX_SECONDS:-30}
# Requests sent to each server before its measured run (0: none).
WARMUP=${WARMUP:-500}
out=${FAPI_LOAD_OUT:-$root/target/load}
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"

bin=${FAPI_LOAD_BIN_DIR:-$root/target/release}
if [ -z "${FAPI_LOAD_SKIP_BUILD:-}" ] && [ -z "${FAPI_LOAD_BIN_DIR:-}" ]; then
  echo "=== building fapi and fapi-load (release)"
  cargo build --release -p fapi-cli -p fapi-load
fi
fapi=$bin/fapi
load=$bin/fapi-load
rows=${FAPI_LOAD_ROWS:-all}
case $rows in all | memory) ;; *) echo "FAPI_LOAD_ROWS is all or memory, not $rows" >&2; exit 2 ;; esac

work=$(mktemp -d)
pids=()
redis_pid=
cleanup() {
  stop_all
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$load" setup "$work/files"
files=$work/files

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts a command in the background and waits for its JSON ready line;
# sets $issuer from it. (Not in a subshell: $pids must keep the pid.)
start() {
  local log=$1; shift
  "$@" >"$log" 2>"$log.err" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 200); do
    if grep -q '"ready"' "$log" 2>/dev/null; then
      issuer=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["issuer"])' "$log")
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "server exited:" >&2; cat "$log" "$log.err" >&2; return 1
    fi
    sleep 0.1
  done
  echo "server not ready in 20 s" >&2; cat "$log" "$log.err" >&2; return 1
}

stop_all() {
  for p in "${pids[@]:-}"; do
    [ -n "$p" ] || continue
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  pids=()
}

serve() { # serve LOG PORT ISSUER STORE [FLAG...]
  local log=$1 port=$2 iss=$3 st=$4; shift 4
  start "$log" taskset -c 0 "$fapi" serve --profile fapi2 --listen "127.0.0.1:$port" --issuer "$iss" \
    --json --clients "$files/clients.toml" --key "$files/as.pem" \
    --nonce-key-file "$files/nonce.key" --tls-cert "$files/tls-cert.pem" \
    --tls-key "$files/tls-key.pem" --store "$st" "$@"
}

# The CPU time (user + system, clock ticks) the servers started so far have
# used: /proc/PID/stat fields 14 and 15, every thread included.
server_ticks() {
  local t=0 p
  for p in "${pids[@]:-}"; do
    if [ -z "$p" ] || [ ! -r "/proc/$p/stat" ]; then continue; fi
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}

# Runs the token load against the servers started, and adds to its JSON
# line the servers' CPU time per answered request (`server_cpu_us_per_req`:
# the whole process, TLS, HTTP and the kernel's share of its syscalls
# included; a second node's counted too, not Redis's or PostgreSQL's). On
# a shared machine this moves far less than req/s does: it does not count
# the time a server waited for its core.
run_load() { # run_load LABEL ISSUER [NODE...]
  local label=$1 issuer=$2; shift 2
  local nodes=() t0 t1 line status=0
  for n in "$@"; do nodes+=(--node "$n"); done
  echo "=== $label"
  # Warm-up, not counted: connections, caches, and Node's JIT.
  if [ "$WARMUP" -gt 0 ]; then
    taskset -c 1 "$load" token --issuer "$issuer" "${nodes[@]}" --dir "$files" \
      --requests "$WARMUP" --concurrency "$CONCURRENCY" --max-seconds "$MAX_SECONDS" \
      --label warm-up >/dev/null || true
  fi
  t0=$(server_ticks)
  line=$(taskset -c 1 "$load" token --issuer "$issuer" "${nodes[@]}" --dir "$files" \
    --requests "$REQUESTS" --concurrency "$CONCURRENCY" --max-seconds "$MAX_SECONDS" \
    --label "$label") || status=$?
  t1=$(server_ticks)
  [ -n "$line" ] || return "${status:-1}"
  python3 -c '
import json, sys
r = json.loads(sys.argv[1])
ticks = int(sys.argv[3]) - int(sys.argv[2])
r["server_cpu_us_per_req"] = round(1e6 * ticks / int(sys.argv[4]) / r["ok"], 1) if r["ok"] else None
print(json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
' "$line" "$t0" "$t1" "$(getconf CLK_TCK)" | tee -a "$results"
  return "$status"
}

echo "=== uptime before: $(uptime)"

# 1. one node, memory
p=$(free_port)
serve "$work/mem.log" "$p" "https://127.0.0.1:$p" memory
run_load "fapi serve, 1 node, memory" "$issuer"
echo "=== fapi serve, code flow (PAR, login, consent, token), one flow at a time"
taskset -c 1 "$load" flow --issuer "$issuer" --dir "$files" --flows 300 \
  --label "fapi serve, code flow (flows/s)" | tee -a "$results"
stop_all

if [ "$rows" = all ]; then
# Redis on loopback, a temporary folder, no persistence.
if ! command -v redis-server >/dev/null; then
  apt-get install -y redis-server >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y redis-server >/dev/null; }
fi
redis_port=$(free_port)
mkdir -p "$work/redis"
taskset -c 1 redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$work/redis" \
  --save "" --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
store="redis://127.0.0.1:$redis_port/0"

# 2. one node, Redis
p=$(free_port)
serve "$work/redis1.log" "$p" "https://127.0.0.1:$p" "$store"
run_load "fapi serve, 1 node, Redis" "$issuer"
stop_all

# 3. two nodes, one Redis, one issuer identifier
p1=$(free_port); p2=$(free_port)
serve "$work/node1.log" "$p1" "https://127.0.0.1:$p1" "$store"
serve "$work/node2.log" "$p2" "https://127.0.0.1:$p1" "$store"
issuer=https://127.0.0.1:$p1
run_load "fapi serve, 2 nodes, Redis" "$issuer" "https://127.0.0.1:$p1" "https://127.0.0.1:$p2"
stop_all

# PostgreSQL on loopback: the tests' setup script (installs postgresql when
# missing, a temporary cluster as the postgres user, fsync off), on CPU 1.
# shellcheck source=crates/fapi-store-postgres/tests/postgres-setup.sh
taskset -p -c 1 $$ >/dev/null
. crates/fapi-store-postgres/tests/postgres-setup.sh
taskset -p -c 0,1 $$ >/dev/null

# 4. one node, PostgreSQL
p=$(free_port)
serve "$work/pg1.log" "$p" "https://127.0.0.1:$p" "$FAPI_POSTGRES_URL"
run_load "fapi serve, 1 node, PostgreSQL" "$issuer"
stop_all

# 5. one node, PostgreSQL, the replay cache (jtis) on Redis
p=$(free_port)
serve "$work/pg-redis1.log" "$p" "https://127.0.0.1:$p" "$FAPI_POSTGRES_URL" --replay-store "$store"
run_load "fapi serve, 1 node, PostgreSQL + Redis replay" "$issuer"
stop_all
fapi_pg_stop
kill "$redis_pid" 2>/dev/null || true
wait "$redis_pid" 2>/dev/null || true
redis_pid=

# 6. oidc-provider
(cd benches/load && { [ -d node_modules/oidc-provider ] || npm ci --no-audit --no-fund >/dev/null; })
p=$(free_port)
start "$work/oidc.log" taskset -c 0 node benches/load/oidc-provider.mjs "$files" "$p"
run_load "oidc-provider $(node -p 'require("./benches/load/node_modules/oidc-provider/package.json").version'), 1 process" "$issuer"
stop_all
fi

echo "=== uptime after: $(uptime)"
python3 - "$results" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
peer = next((r for r in rows if r["label"].startswith("oidc-provider")), None)
# The last column: oidc-provider's CPU time per request over the row's.
peer_cpu = peer.get("server_cpu_us_per_req") if peer else None
print("\n| server | req/s | p50 ms | p99 ms | ok | failed | × oidc-provider req/s | server CPU µs/req | × oidc-provider by CPU |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    ratio = "%.1f" % (r["req_per_s"] / peer["req_per_s"]) if peer and peer["req_per_s"] else "-"
    cpu = r.get("server_cpu_us_per_req")
    by_cpu = "%.1f" % (peer_cpu / cpu) if cpu and peer_cpu else "-"
    cpu = "%.0f" % cpu if cpu is not None else "-"
    print("| %s | %.0f | %.2f | %.2f | %d | %d | %s | %s | %s |" % (r["label"], r["req_per_s"], r["p50_ms"], r["p99_ms"], r["ok"], r["failed"], ratio, cpu, by_cpu))
EOF
