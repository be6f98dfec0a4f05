# shellcheck shell=bash
# Source this file: it gives the fapi-store-postgres tests (and fapi-server's
# PostgreSQL tests) a real PostgreSQL.
#
#   . crates/fapi-store-postgres/tests/postgres-setup.sh
#   ...
#   fapi_pg_stop
#
# Installs Debian's postgresql when its binaries are missing (as root),
# makes a temporary cluster with initdb (as the `postgres` system user when
# run as root: PostgreSQL refuses to run as root), starts it on 127.0.0.1 on
# a free port, and exports what the tests read: FAPI_POSTGRES_URL
# (postgres://fapi@127.0.0.1:PORT/postgres) and FAPI_PG_BINDIR (the
# directory of initdb, pg_ctl, pg_basebackup, for the failover test, which
# starts clusters of its own). `fapi_pg_stop` stops it and removes the
# directory; an EXIT trap (added to any trap already set) calls it too.
#
# The test cluster runs with fsync=off (a test's data need not survive a
# power cut; a killed PostgreSQL keeps what the kernel holds): production
# keeps fsync on.

# A port on 127.0.0.1 that nothing listens on (bash's /dev/tcp connects).
fapi_pg_free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
}

# The newest /usr/lib/postgresql/N/bin holding initdb, or nothing.
fapi_pg_find_bindir() {
  local d
  d=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -name initdb -path '*/bin/*' 2>/dev/null |
    sort -V | tail -n 1)
  [ -n "$d" ] && dirname "$d"
}

fapi_pg_setup() {
  local bindir
  bindir=${FAPI_PG_BINDIR:-$(fapi_pg_find_bindir)}
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "postgres-setup: installing postgresql"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      bindir=$(fapi_pg_find_bindir)
    fi
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
      echo "postgres-setup: PostgreSQL's initdb is missing and cannot be installed here" >&2
      return 1
    fi
  fi
  # PostgreSQL does not run as root: as root, run it as `postgres` (the
  # Debian package's user; made here when missing).
  local as=()
  if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    as=(runuser -u postgres --)
  fi
  FAPI_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fapi-pg.XXXXXX")
  chmod 755 "$FAPI_PG_DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres "$FAPI_PG_DIR"; fi
  if ! "${as[@]}" "$bindir/initdb" -D "$FAPI_PG_DIR/data" -U fapi --auth=trust \
    -E UTF8 --no-sync >"$FAPI_PG_DIR/initdb.log" 2>&1; then
    echo "postgres-setup: initdb failed" >&2
    cat "$FAPI_PG_DIR/initdb.log" >&2 || true
    return 1
  fi
  local port
  port=$(fapi_pg_free_port)
  if ! "${as[@]}" "$bindir/pg_ctl" -D "$FAPI_PG_DIR/data" -l "$FAPI_PG_DIR/postgres.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $FAPI_PG_DIR -c fsync=off -c max_connections=400" \
    start >/dev/null; then
    echo "postgres-setup: PostgreSQL did not start on port $port" >&2
    cat "$FAPI_PG_DIR/postgres.log" >&2 || true
    return 1
  fi
  export FAPI_POSTGRES_URL="postgres://fapi@127.0.0.1:$port/postgres"
  export FAPI_PG_BINDIR=$bindir
  export FAPI_PG_DIR
  FAPI_PG_AS="${as[*]}"
  local prev
  prev=$(trap -p EXIT | sed -n "s/^trap -- '\(.*\)' EXIT$/\1/p")
  # shellcheck disable=SC2064 # the previous trap is expanded now, on purpose
  trap "${prev:+$prev; }fapi_pg_stop" EXIT
  echo "postgres-setup: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') at $FAPI_POSTGRES_URL (dir $FAPI_PG_DIR)"
}

fapi_pg_stop() {
  if [ -n "${FAPI_PG_DIR:-}" ] && [ -d "$FAPI_PG_DIR/data" ]; then
    # shellcheck disable=SC2086 # FAPI_PG_AS is a command prefix or empty
    $FAPI_PG_AS "$FAPI_PG_BINDIR/pg_ctl" -D "$FAPI_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$FAPI_PG_DIR"
    echo "postgres-setup: stopped the PostgreSQL at ${FAPI_POSTGRES_URL:-?}"
  fi
  FAPI_PG_DIR=
}

fapi_pg_setup
