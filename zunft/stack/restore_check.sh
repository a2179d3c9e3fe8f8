#!/usr/bin/env bash
# Rehearse a restore: load the latest dump (or the one given) into a fresh temporary PostgreSQL
# cluster, compare the row count of every table with the source database, print both and exit
# non-zero on any difference. The temporary cluster is removed afterwards.
#
#   restore_check.sh [DUMP]     source: DATABASE_URL, else the embedded default (DATABASE_NAME)
#
# Compare right after the backup: rows written since then count as a mismatch (that is the point
# of rehearsing on a quiet database, or set RESTORE_CHECK_SOURCE=none to only list the counts).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VAR="${ZUNFT_VAR_DIR:-$ROOT/.var}"
BACKUP_DIR="${BACKUP_DIR:-$VAR/backups}"
say() { echo "[zunft restore-check] $*" >&2; }

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
BIN="$(pg_bindir)" || { say "PostgreSQL with PostGIS is not installed"; exit 1; }

as_pg() {
  # PostgreSQL refuses to run as root: run it as the postgres user, as services.sh does.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ -n "${DATABASE_URL:-}" ]; then
  SOURCE=(--dbname="$(echo "$DATABASE_URL" | sed -E 's#^postgis://#postgresql://#')")
  NAME="$(echo "$DATABASE_URL" | sed -E 's#.*/([^/?]+)(\?.*)?$#\1#')"
else
  NAME="${DATABASE_NAME:-zunft}"
  SOURCE=(-h "$VAR/run" -U zunft -d "$NAME")
fi

DUMP="${1:-$(ls -1t "$BACKUP_DIR/$NAME"-*.dump 2>/dev/null | head -1 || true)}"
[ -n "$DUMP" ] && [ -f "$DUMP" ] || { say "no dump found in $BACKUP_DIR (run backup.sh)"; exit 1; }
say "dump: $DUMP"

TMP="$(mktemp -d /tmp/zunft-restore-XXXXXX)"
PGDATA="$TMP/pg"
SOCK="$TMP/run"
mkdir -p "$PGDATA" "$SOCK"
chmod 755 "$TMP"
cp "$DUMP" "$TMP/dump"
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$TMP"; fi
chmod 700 "$PGDATA"

cleanup() {
  as_pg "$BIN/pg_ctl" stop -D "$PGDATA" -m immediate -w >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

as_pg "$BIN/initdb" -D "$PGDATA" -U zunft --auth=trust -E UTF8 --locale=C.UTF-8 >"$TMP/initdb.log"
cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$SOCK'
fsync = off
CONF
as_pg "$BIN/pg_ctl" start -D "$PGDATA" -l "$TMP/postgres.log" -w -t 60 >/dev/null
say "temporary cluster up in $TMP"

"$BIN/createdb" -h "$SOCK" -U zunft restored
started=$(date +%s)
# --exit-on-error: a restore that needs any manual help is a failed rehearsal.
"$BIN/pg_restore" -h "$SOCK" -U zunft -d restored --no-owner --exit-on-error "$DUMP"
say "restored in $(( $(date +%s) - started )) s"

# Exact counts of every table (pg_class estimates would not do), one "schema.table<TAB>n" a line.
table_counts() {
  local tables
  tables="$("$BIN/psql" "$@" -X -qAt -v ON_ERROR_STOP=1 -c "
    SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
    WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")"
  [ -z "$tables" ] && return 0
  local sql="" t
  for t in $tables; do
    sql+="SELECT '$t', count(*) FROM $t UNION ALL "
  done
  "$BIN/psql" "$@" -X -qAt -F $'\t' -v ON_ERROR_STOP=1 -c "${sql% UNION ALL }"
}

table_counts -h "$SOCK" -U zunft -d restored | sort >"$TMP/restored.tsv"
if [ "${RESTORE_CHECK_SOURCE:-}" = none ]; then
  cp "$TMP/restored.tsv" "$TMP/source.tsv"
else
  table_counts "${SOURCE[@]}" | sort >"$TMP/source.tsv"
fi

status=0
printf '%-45s %10s %10s\n' table source restored
join -t $'\t' -a1 -a2 -e MISSING -o 0,1.2,2.2 "$TMP/source.tsv" "$TMP/restored.tsv" >"$TMP/joined.tsv"
while IFS=$'\t' read -r table source restored; do
  mark=""
  if [ "$source" != "$restored" ]; then mark="  <-- MISMATCH"; status=1; fi
  printf '%-45s %10s %10s%s\n' "$table" "$source" "$restored" "$mark"
done <"$TMP/joined.tsv"
tables=$(wc -l <"$TMP/joined.tsv")
rows=$(awk -F'\t' '{s+=$2} END {print s+0}' "$TMP/restored.tsv")
if [ $status = 0 ]; then
  say "OK: $tables tables, $rows rows, every count matches"
else
  say "FAILED: row counts differ (see MISMATCH above)"
fi
exit $status
