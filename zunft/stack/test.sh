#!/usr/bin/env bash
# `make test`: the same bootstrap as `make run` (its own test database), lint, then every test.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
SERVICES="$ROOT/zunft/stack/services.sh"

bash "$SERVICES" system --test || exit 1
started_services=0
if ! bash "$SERVICES" status; then
  bash "$SERVICES" start || exit 1
  started_services=1
fi
finish() { if [ $started_services = 1 ]; then bash "$SERVICES" stop; fi; }
trap finish EXIT

# Tests use their own Redis database so a running `make run` never sees their messages.
if [ -z "${REDIS_URL:-}" ]; then
  export REDIS_URL="unix://${ZUNFT_VAR_DIR:-$ROOT/.var}/run/redis.sock?db=1"
fi
export CELERY_QUEUE="${CELERY_QUEUE:-zunft-test}"

status=0
echo "== ruff" && "$ROOT/.venv/bin/ruff" check . || status=1
echo "== import contracts" && "$ROOT/.venv/bin/lint-imports" || status=1
echo "== migrations are complete" && "$PY" manage.py makemigrations --check --dry-run -v0 || status=1
"$PY" manage.py compilemessages -v0 --ignore=.venv --ignore=.var || status=1
"$PY" manage.py collectstatic --noinput -v0 || status=1
echo "== pytest" && "$PY" -m pytest "$@" || status=1
exit $status
