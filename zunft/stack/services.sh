#!/usr/bin/env bash
# The embedded default's system parts: a private PostgreSQL + PostGIS cluster and a private
# redis-server under .var/, both on unix sockets so nothing clashes with a system server.
#
#   services.sh system [--test]   make sure the Debian packages exist (apt when root)
#   services.sh start             start what is not running (skips parts overridden by env)
#   services.sh stop              stop both
#   services.sh status            exit 0 when every needed part answers
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VAR="${ZUNFT_VAR_DIR:-$ROOT/.var}"
RUN="$VAR/run"
PGDATA="$VAR/pg"
LOG="$VAR/log"
REDIS_SOCK="$RUN/redis.sock"

RUN_PACKAGES=(postgresql postgresql-15-postgis-3 gdal-bin redis-server gettext fonts-dejavu-core)
TEST_PACKAGES=(chromium poppler-utils nodejs npm)

say() { echo "[zunft] $*" >&2; }

pg_bindir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    local version
    version="$(basename "$(dirname "$dir")")"
    if [ -f "/usr/share/postgresql/$version/extension/postgis.control" ]; then
      echo "$dir"; return 0
    fi
  done
  return 1
}

# A tool that is on PATH counts as present whichever package brought it (Node.js from
# nodesource bundles npm, and Debian's npm package would conflict with it).
declare -A PROVIDES=([nodejs]=node [npm]=npm [chromium]=chromium [poppler-utils]=pdftoppm
                     [redis-server]=redis-server [gettext]=msgfmt)

missing_packages() {
  local wanted=("${RUN_PACKAGES[@]}")
  [ "${1:-}" = "--test" ] && wanted+=("${TEST_PACKAGES[@]}")
  local pkg
  for pkg in "${wanted[@]}"; do
    if [ -n "${PROVIDES[$pkg]:-}" ] && command -v "${PROVIDES[$pkg]}" >/dev/null 2>&1; then
      continue
    fi
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

cmd_system() {
  local missing
  missing="$(missing_packages "${1:-}" | tr '\n' ' ' | sed 's/ *$//')"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    say "missing system packages; install them with:"
    say "  sudo apt-get install -y $missing"
    exit 1
  fi
  say "installing system packages: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >"$VAR.apt.log" 2>&1 || {
    cat "$VAR.apt.log" >&2; exit 1; }
  rm -f "$VAR.apt.log"
}

as_pg() {
  # PostgreSQL refuses to run as root: run it as the postgres user that Debian's package creates.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_running() { [ -f "$PGDATA/PG_VERSION" ] && as_pg "$(pg_bindir)/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1; }

start_postgres() {
  local bin
  bin="$(pg_bindir)" || { say "PostGIS for PostgreSQL is missing: run 'make run' as root or install postgresql-15-postgis-3"; exit 1; }
  mkdir -p "$RUN" "$LOG" "$PGDATA"
  chmod 755 "$VAR"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$RUN" "$LOG" "$PGDATA"
    if ! runuser -u postgres -- test -w "$PGDATA"; then
      say "the postgres user cannot reach $PGDATA (a parent folder is closed to other users);"
      say "clone the project under a folder others may enter, or set DATABASE_URL"
      exit 1
    fi
  fi
  chmod 700 "$PGDATA"
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    say "creating the private PostgreSQL cluster in $PGDATA"
    as_pg "$bin/initdb" -D "$PGDATA" -U zunft --auth=trust -E UTF8 --locale=C.UTF-8 >"$LOG/initdb.log"
    cat >>"$PGDATA/postgresql.conf" <<CONF
# zunft: private cluster, unix socket only
listen_addresses = ''
unix_socket_directories = '$RUN'
max_connections = 200
CONF
  fi
  if ! pg_running; then
    as_pg "$bin/pg_ctl" start -D "$PGDATA" -l "$LOG/postgres.log" -w -t 60 >/dev/null
    say "PostgreSQL $(basename "$(dirname "$bin")") is up on $RUN"
  fi
  local db="${DATABASE_NAME:-zunft}"
  if ! "$bin/psql" -h "$RUN" -U zunft -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
    "$bin/createdb" -h "$RUN" -U zunft "$db"
  fi
  "$bin/psql" -h "$RUN" -U zunft -d "$db" -qc "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
}

redis_running() { [ -S "$REDIS_SOCK" ] && redis-cli -s "$REDIS_SOCK" ping >/dev/null 2>&1; }

start_redis() {
  mkdir -p "$RUN" "$LOG" "$VAR/redis"
  redis_running && return 0
  redis-server --port 0 --unixsocket "$REDIS_SOCK" --unixsocketperm 700 \
    --dir "$VAR/redis" --daemonize yes --pidfile "$RUN/redis.pid" \
    --logfile "$LOG/redis.log" --save "60 1" --appendonly no >/dev/null
  for _ in $(seq 50); do redis_running && break; sleep 0.1; done
  redis_running || { say "redis-server did not start; see $LOG/redis.log"; exit 1; }
  say "Redis is up on $REDIS_SOCK"
}

cmd_start() {
  [ -n "${DATABASE_URL:-}" ] || start_postgres
  [ -n "${REDIS_URL:-}" ] || start_redis
}

cmd_stop() {
  if redis_running; then redis-cli -s "$REDIS_SOCK" shutdown nosave >/dev/null 2>&1 || true; fi
  if pg_running; then as_pg "$(pg_bindir)/pg_ctl" stop -D "$PGDATA" -m fast -w >/dev/null; fi
  return 0
}

cmd_status() {
  local ok=0
  if [ -z "${DATABASE_URL:-}" ]; then pg_running || ok=1; fi
  if [ -z "${REDIS_URL:-}" ]; then redis_running || ok=1; fi
  return $ok
}

case "${1:-}" in
  system) cmd_system "${2:-}" ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 system [--test] | start | stop | status" >&2; exit 2 ;;
esac
