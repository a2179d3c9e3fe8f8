#!/usr/bin/env bash
# `make run`: the whole system on its embedded default, with demo data.
# Ctrl-C or SIGTERM stops the web server, the Celery worker and beat, then the private
# PostgreSQL and Redis (when this script started them).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
SERVICES="$ROOT/zunft/stack/services.sh"
HOST="${ZUNFT_HOST:-127.0.0.1}"
PORT="${ZUNFT_PORT:-8000}"
VAR="${ZUNFT_VAR_DIR:-$ROOT/.var}"
mkdir -p "$VAR/log"
# Links in mails (login codes, offers, messages) lead to this server unless told otherwise.
export SITE_URL="${SITE_URL:-http://$HOST:$PORT}"
# The demo runs as its users see it: the styled error pages, not Django's debug pages (which
# list every URL and setting); DEBUG=true brings those back. Plain http on this machine, so the
# cookies are not marked secure; the signing key is made once and kept with the data.
export DEBUG="${DEBUG:-false}"
case "$(printf '%s' "$DEBUG" | tr '[:upper:]' '[:lower:]')" in
  0 | false | no | off | "") debug_off=1 ;;  # the words zunft/env.py reads as false
  *) debug_off=0 ;;
esac
if [ $debug_off = 1 ]; then
  if [ -z "${SECRET_KEY:-}" ]; then
    if [ ! -s "$VAR/secret_key" ]; then
      (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$VAR/secret_key")
    fi
    SECRET_KEY="$(cat "$VAR/secret_key")"
    export SECRET_KEY
  fi
  # Listening on every interface (ZUNFT_HOST=0.0.0.0, to try it from a phone): any name.
  if [ "$HOST" = "0.0.0.0" ]; then default_hosts="*"; else default_hosts="$HOST,localhost,127.0.0.1"; fi
  export ALLOWED_HOSTS="${ALLOWED_HOSTS:-$default_hosts}"
  export SECURE_SSL_REDIRECT="${SECURE_SSL_REDIRECT:-false}"
  export SESSION_COOKIE_SECURE="${SESSION_COOKIE_SECURE:-false}"
  export CSRF_COOKIE_SECURE="${CSRF_COOKIE_SECURE:-false}"
  export SECURE_HSTS_SECONDS="${SECURE_HSTS_SECONDS:-0}"
fi

bash "$SERVICES" system
started_services=0
if ! bash "$SERVICES" status; then
  bash "$SERVICES" start
  started_services=1
fi

"$PY" manage.py migrate --noinput -v0
"$PY" manage.py compilemessages -v0 --ignore=.venv --ignore=.var
"$PY" manage.py collectstatic --noinput -v0
"$PY" manage.py seed_demo --once --today

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "[zunft] stopping ..." >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 100); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ $started_services = 1 ]; then bash "$SERVICES" stop; fi
  echo "[zunft] stopped" >&2
}
trap cleanup INT TERM EXIT

"$ROOT/.venv/bin/uvicorn" zunft.asgi:application --host "$HOST" --port "$PORT" \
  --workers "${WEB_CONCURRENCY:-1}" --proxy-headers --no-access-log &
pids+=($!)
web_pid=$!
"$ROOT/.venv/bin/celery" -A zunft worker --loglevel=INFO --concurrency="${CELERY_CONCURRENCY:-2}" \
  --hostname="worker@%h" >>"$VAR/log/celery-worker.log" 2>&1 &
pids+=($!)
"$ROOT/.venv/bin/celery" -A zunft beat --loglevel=INFO \
  --schedule="$VAR/celerybeat-schedule" >>"$VAR/log/celery-beat.log" 2>&1 &
pids+=($!)

cat <<MSG

  Zunft is running.
    Portal        http://$HOST:$PORT/
    Office admin  http://$HOST:$PORT/admin/
    API docs      http://$HOST:$PORT/api/docs
    Health        http://$HOST:$PORT/healthz
  Demo logins (password: zunft-demo)
$("$PY" manage.py seed_demo --list-logins | sed 's/^/    /')
  Logs of the worker and beat: $VAR/log/   Stop with Ctrl-C.

MSG

# The web server is the system's heartbeat: when it ends, everything ends. A dead worker does not
# end the stack; /healthz reports it.
wait "$web_pid" || true
