#!/usr/bin/env bash
# Load test (not part of `make test`): a stack with 2 web processes and a worker on a throwaway
# database with the demo data, then two bounded headless locust runs on it: the main user paths
# and a trivial endpoint for comparison. Prints throughput, p95 and error rate of both and the ratio.
#
#   tests/load/run.sh                  LOAD_USERS=20 LOAD_TIME=30s LOAD_WEB=2 LOAD_DB=zunft_load
#
# Needs locust in the venv (pyproject dev extras). Uses its own Celery queue (zunft-load) so it
# never takes other processes' tasks; set REDIS_URL to keep off the default Redis database.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
USERS="${LOAD_USERS:-20}"
TIME="${LOAD_TIME:-30s}"
WEB="${LOAD_WEB:-2}"
export DATABASE_NAME="${LOAD_DB:-zunft_load}"
export CELERY_QUEUE="${CELERY_QUEUE:-zunft-load}"
export DEBUG=false SECRET_KEY="load-test-$(date +%s)-not-secret" ALLOWED_HOSTS=127.0.0.1
export SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false SECURE_SSL_REDIRECT=false
export EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend
export LOG_LEVEL=WARNING
PORT="${LOAD_PORT:-$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
HOST="http://127.0.0.1:$PORT"
OUT="${LOAD_OUT:-$ROOT/.var/load/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"

"$PY" -c 'import locust' 2>/dev/null || { echo "locust is missing: pip install locust" >&2; exit 1; }
bash zunft/stack/services.sh start
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py collectstatic --noinput -v0
"$PY" manage.py seed_demo --once >/dev/null
# The quote request needs known postal codes (GeoNames file, offline).
POSTCODES="${LOAD_POSTCODES:-$ROOT/../shared/geo/DE.txt}"
[ -f "$POSTCODES" ] && "$PY" manage.py import_postcodes "$POSTCODES" >/dev/null

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
"$ROOT/.venv/bin/uvicorn" zunft.asgi:application --host 127.0.0.1 --port "$PORT" \
  --workers "$WEB" --no-access-log >"$OUT/web.log" 2>&1 &
pids+=($!)
"$ROOT/.venv/bin/celery" -A zunft worker --pool=threads --concurrency=2 \
  --hostname="load@%h" --without-gossip --without-mingle --loglevel=WARNING >"$OUT/worker.log" 2>&1 &
pids+=($!)
for _ in $(seq 120); do
  code="$(curl -s -o /dev/null -w '%{http_code}' "$HOST/healthz" || true)"
  [ "$code" = 200 ] && break
  sleep 0.5
done
[ "$code" = 200 ] || { echo "stack not healthy on $HOST (see $OUT)" >&2; exit 1; }
echo "[load] stack up on $HOST with $WEB web processes; $USERS users for $TIME per run; results in $OUT"

for cls in MainPaths TrivialPath; do
  "$ROOT/.venv/bin/locust" -f tests/load/locustfile.py --host "$HOST" --headless \
    -u "$USERS" -r "$USERS" -t "$TIME" --only-summary --csv "$OUT/$cls" "$cls" \
    >"$OUT/$cls.log" 2>&1 || true
done
"$PY" tests/load/summarise.py "$OUT/MainPaths" "$OUT/TrivialPath"
