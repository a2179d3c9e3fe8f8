#!/usr/bin/env bash
# Back up the database: pg_dump in custom format to .var/backups/<db>-<UTC time>.dump.
#
#   backup.sh                  the embedded default's database (DATABASE_NAME, default zunft)
#   DATABASE_URL=... backup.sh any PostgreSQL that pg_dump can reach
#   BACKUP_DIR=/srv/backups    elsewhere than .var/backups; BACKUP_KEEP=14 keeps the newest 14
#
# Prints the path of the dump. Restore with pg_restore (see restore_check.sh for a rehearsal).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VAR="${ZUNFT_VAR_DIR:-$ROOT/.var}"
BACKUP_DIR="${BACKUP_DIR:-$VAR/backups}"
KEEP="${BACKUP_KEEP:-14}"
say() { echo "[zunft backup] $*" >&2; }

pg_bindir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do echo "$dir"; return 0; done
  dirname "$(command -v pg_dump)"
}
BIN="$(pg_bindir)"

if [ -n "${DATABASE_URL:-}" ]; then
  # pg_dump does not know the postgis:// scheme dj-database-url uses.
  TARGET="$(echo "$DATABASE_URL" | sed -E 's#^postgis://#postgresql://#')"
  NAME="$(echo "$TARGET" | sed -E 's#.*/([^/?]+)(\?.*)?$#\1#')"
  CONN=(--dbname="$TARGET")
else
  NAME="${DATABASE_NAME:-zunft}"
  CONN=(-h "$VAR/run" -U zunft -d "$NAME")
fi

mkdir -p "$BACKUP_DIR"
chmod 700 "$BACKUP_DIR"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$BACKUP_DIR/$NAME-$STAMP.dump"
# Write to a temporary name first: a dump cut short never looks like the latest good one.
"$BIN/pg_dump" "${CONN[@]}" --format=custom --compress=6 --no-owner --file="$OUT.partial"
mv "$OUT.partial" "$OUT"
say "wrote $OUT ($(du -h "$OUT" | cut -f1))"

# Keep the newest $KEEP dumps of this database.
ls -1t "$BACKUP_DIR/$NAME"-*.dump 2>/dev/null | tail -n +"$((KEEP + 1))" | xargs -r rm -f
echo "$OUT"
