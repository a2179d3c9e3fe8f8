"""/healthz: is every real part up? 200 when all are, 503 naming what is down.

Each check is quick, so a health probe never holds a request thread for long. The worker check
does not ask the workers (a Celery ping waits for answers that may never come); instead every
worker publishes a heartbeat to Redis (:class:`WorkerHeartbeat`, started as a worker bootstep in
``zunft/celery.py``): a key per worker that expires unless it is refreshed, and a set naming the
workers of a queue. ``/healthz`` reads them in one round trip: a worker killed without a goodbye
disappears once its key expires (``HEALTH_WORKER_TTL_SECONDS``); one that stops cleanly at once.
"""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger(__name__)

_KEY_PREFIX = "zunft:worker"


def _members_key(queue: str) -> str:
    return f"{_KEY_PREFIX}s:{queue}"


def _beat_key(queue: str, hostname: str) -> str:
    return f"{_KEY_PREFIX}:{queue}:{hostname}"


def _redis():
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


class WorkerHeartbeat:
    """What a worker calls every ``HEALTH_WORKER_BEAT_SECONDS``: "I am alive and consume these
    queues". Failures (Redis away) are logged and never stop the worker; the next beat tries
    again."""

    def __init__(self, hostname: str, queues):
        self.hostname = hostname
        self.queues = sorted(set(queues))
        self.client = None

    def __call__(self) -> None:
        ttl = settings.HEALTH_WORKER_TTL_SECONDS
        try:
            self.client = self.client or _redis()
            with self.client.pipeline(transaction=False) as pipe:
                for queue in self.queues:
                    pipe.set(_beat_key(queue, self.hostname), "1", ex=ttl)
                    pipe.sadd(_members_key(queue), self.hostname)
                pipe.execute()
        except Exception as exc:  # Redis down: the worker works on regardless
            logger.warning("worker heartbeat failed (%s: %s)", type(exc).__name__, exc)
            self.client = None

    def stop(self) -> None:
        """A clean shutdown says goodbye, so /healthz shows the worker gone at once."""
        try:
            client = self.client or _redis()
            with client.pipeline(transaction=False) as pipe:
                for queue in self.queues:
                    pipe.delete(_beat_key(queue, self.hostname))
                    pipe.srem(_members_key(queue), self.hostname)
                pipe.execute()
            client.close()
        except Exception as exc:
            logger.warning("worker heartbeat goodbye failed (%s: %s)", type(exc).__name__, exc)


def live_workers(client, queue: str) -> list[str]:
    """The workers of ``queue`` whose heartbeat has not expired; forgets the others."""
    names = sorted(name.decode() for name in client.smembers(_members_key(queue)))
    if not names:
        return []
    with client.pipeline(transaction=False) as pipe:  # one round trip for all
        for name in names:
            pipe.exists(_beat_key(queue, name))
        found = pipe.execute()
    dead = [name for name, exists in zip(names, found, strict=True) if not exists]
    if dead:
        client.srem(_members_key(queue), *dead)
    return [name for name, exists in zip(names, found, strict=True) if exists]


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), postgis_lib_version()")
        version, postgis = cursor.fetchone()
    return {"up": True, "version": version.split(" on ")[0], "postgis": postgis}


def check_redis() -> dict:
    client = _redis()
    try:
        client.ping()
        return {"up": True, "version": client.info("server")["redis_version"]}
    finally:
        client.close()


def check_worker() -> dict:
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    client = _redis()
    try:
        workers = live_workers(client, queue)
    finally:
        client.close()
    if not workers:
        return {
            "up": False,
            "error": f"no Celery worker of the queue {queue!r} sent a heartbeat in the last "
            f"{settings.HEALTH_WORKER_TTL_SECONDS} s",
        }
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
