"""/healthz: is every real part up? 200 when all are, 503 naming what is down."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from zunft.celery import app as celery_app


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), postgis_lib_version()")
        version, postgis = cursor.fetchone()
    return {"up": True, "version": version.split(" on ")[0], "postgis": postgis}


def check_redis() -> dict:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
        return {"up": True, "version": client.info("server")["redis_version"]}
    finally:
        client.close()


def check_worker() -> dict:
    replies = celery_app.control.ping(timeout=settings.HEALTH_CELERY_TIMEOUT_MS / 1000)
    workers = sorted(name for reply in replies for name in reply)
    if not workers:
        return {"up": False, "error": "no Celery worker answered the ping"}
    return {"up": True, "workers": workers}


CHECKS = {"database": check_database, "redis": check_redis, "worker": check_worker}


def healthz(request):
    parts = {}
    for name, check in CHECKS.items():
        try:
            parts[name] = check()
        except Exception as exc:  # any failure means this part is down
            parts[name] = {"up": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    down = [name for name, part in parts.items() if not part["up"]]
    body = {"status": "down" if down else "ok", "down": down, **parts}
    return JsonResponse(body, status=503 if down else 200)
