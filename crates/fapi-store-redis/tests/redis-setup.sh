# shellcheck shell=bash
# Source this file: it gives the fapi-store-redis tests a real Redis.
#
#   . crates/fapi-store-redis/tests/redis-setup.sh
#   ...
#   fapi_redis_stop
#
# Installs Debian's redis-server when it is missing (as root), starts one on
# 127.0.0.1 on a free port with a temporary directory and no persistence
# (--save "" --appendonly no), and exports what the tests read:
# FAPI_REDIS_URL (redis://127.0.0.1:PORT/0) and FAPI_REDIS_SERVER (the
# binary, for the fault test, which starts its own Redis). `fapi_redis_stop`
# stops it and removes the directory; an EXIT trap calls it too.

# A port on 127.0.0.1 that nothing listens on (bash's /dev/tcp connects).
fapi_redis_free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
}

fapi_redis_setup() {
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "redis-setup: installing redis-server"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    else
      echo "redis-setup: redis-server is missing and cannot be installed here" >&2
      return 1
    fi
  fi
  FAPI_REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fapi-redis.XXXXXX")
  local port
  port=$(fapi_redis_free_port)
  redis-server --bind 127.0.0.1 --port "$port" --dir "$FAPI_REDIS_DIR" \
    --save "" --appendonly no --daemonize yes \
    --pidfile "$FAPI_REDIS_DIR/redis.pid" --logfile "$FAPI_REDIS_DIR/redis.log"
  local i
  for i in $(seq 1 50); do
    if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  if ! redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
    echo "redis-setup: redis-server did not start on port $port" >&2
    cat "$FAPI_REDIS_DIR/redis.log" >&2 || true
    return 1
  fi
  export FAPI_REDIS_URL="redis://127.0.0.1:$port/0"
  FAPI_REDIS_SERVER=$(command -v redis-server)
  export FAPI_REDIS_SERVER
  export FAPI_REDIS_DIR
  trap fapi_redis_stop EXIT
  echo "redis-setup: redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') at $FAPI_REDIS_URL (dir $FAPI_REDIS_DIR)"
}

fapi_redis_stop() {
  if [ -n "${FAPI_REDIS_DIR:-}" ] && [ -f "$FAPI_REDIS_DIR/redis.pid" ]; then
    kill "$(cat "$FAPI_REDIS_DIR/redis.pid")" 2>/dev/null || true
    sleep 0.2
    rm -rf "$FAPI_REDIS_DIR"
    echo "redis-setup: stopped the Redis at ${FAPI_REDIS_URL:-?}"
  fi
  FAPI_REDIS_DIR=
}

fapi_redis_setup
