"""Resilience on the real parts: Redis going away, a worker killed mid-task, a dropped websocket.

Each live test starts what it breaks on its own (its own redis-server, its own worker on its own
queue), so it harms no other test.
"""

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import websockets
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.live import Stack
from zunft.core import services, tasks
from zunft.core.models import Event, Operation
from zunft.core.realtime import REPUBLISH_AFTER, emit, republish_pending

pytestmark = pytest.mark.live


def run_async(coroutine):
    """Run a coroutine on its own thread: Playwright's sync API may hold this thread's loop."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def in_thread(fn, *args):
    """``asyncio.to_thread`` that closes the thread's database connection afterwards: left
    open, it kept the test database from being dropped at the end of the run."""
    from django.db import connection

    def run():
        try:
            return fn(*args)
        finally:
            connection.close()

    return asyncio.to_thread(run)


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def wait_for(predicate, timeout: float, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


class PrivateRedis:
    """A redis-server of this test's own on a temporary unix socket (never the shared one)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="zunft-redis-"))
        self.socket = self.dir / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def ping(self) -> bool:
        result = subprocess.run(
            ["redis-cli", "-s", str(self.socket), "ping"], capture_output=True, text=True
        )
        return result.stdout.strip() == "PONG"

    def start(self) -> None:
        subprocess.run(
            [
                "redis-server",
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.dir),
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.dir / "redis.pid"),
                "--logfile",
                str(self.dir / "redis.log"),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
        )
        assert wait_for(self.ping, 10, 0.05), "private redis-server did not start"

    def stop(self) -> None:
        if self.socket.exists():
            subprocess.run(
                ["redis-cli", "-s", str(self.socket), "shutdown", "nosave"], capture_output=True
            )
        assert wait_for(lambda: not self.ping(), 10, 0.05)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# The worker's Celery app with some settings changed (argv[1] is JSON), then the usual worker.
_WORKER_BOOT = (
    "import json, sys\n"
    "from zunft.celery import app\n"
    "conf = json.loads(sys.argv.pop(1))\n"
    "for key, value in conf.items():\n"
    "    setattr(app.conf, key, {**(getattr(app.conf, key) or {}), **value})\n"
    "app.worker_main(sys.argv[1:])\n"
)


@dataclass
class TunedStack(Stack):
    """A ``Stack`` whose worker has its own concurrency and broker transport options."""

    concurrency: int = 1
    conf: dict = field(default_factory=dict)

    def start_worker(self) -> None:
        self._spawn(
            "worker",
            [
                sys.executable,
                "-c",
                _WORKER_BOOT,
                json.dumps(self.conf),
                "worker",
                "--pool=threads",
                f"--concurrency={self.concurrency}",
                f"--hostname={self.worker_name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
        )


def send_task(task, redis_url: str, queue: str, args=()):
    """Enqueue on another Redis than this process's broker (the test's private one)."""
    from zunft.celery import app
    from zunft.settings import celery_url

    with app.connection_for_write(celery_url(redis_url)) as connection:
        task.apply_async(args, queue=queue, connection=connection)


# --- 1. the outbox catches up after Redis returns ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_events_emitted_while_redis_is_down_are_published_when_it_returns(settings, homeowner_user):
    redis = PrivateRedis()
    redis.start()
    url = redis.url
    # This process publishes to the private Redis too (channels resets its layer on the change).
    settings.REDIS_URL = url
    settings.CHANNEL_LAYERS = {
        "default": {
            **settings.CHANNEL_LAYERS["default"],
            "CONFIG": {
                **settings.CHANNEL_LAYERS["default"]["CONFIG"],
                "hosts": [{"address": url, "socket_timeout": None, "max_connections": 100}],
            },
        }
    }
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-outbox"
    stack = Stack(env={"REDIS_URL": url, "CELERY_QUEUE": queue}, worker_name="outboxworker")
    group = f"user.{homeowner_user.pk}"
    cookie = session_cookie(homeowner_user)
    try:
        stack.start_web()
        stack.start_worker()
        stack.wait_healthy()

        redis.stop()
        health = httpx.get(f"{stack.base_url}/healthz", timeout=30)
        assert health.status_code == 503
        assert "redis" in health.json()["down"], health.json()

        # The business change commits although its live message cannot go out.
        started = time.monotonic()
        with transaction.atomic():
            change = Operation.objects.create(kind="outbox-probe", created_by=homeowner_user)
            (event,) = emit(group, "outbox.probe", {"operation": change.pk})
        assert time.monotonic() - started < 5, "a dead Redis must not stall the request"
        assert Operation.objects.filter(pk=change.pk).exists()
        event.refresh_from_db()
        assert event.published_at is None
        # The republisher cannot send it either, and leaves it for the next run.
        assert republish_pending(now=event.created_at + REPUBLISH_AFTER) == 0
        event.refresh_from_db()
        assert event.published_at is None

        redis.start()  # empty: the old group memberships are gone, clients reconnect

        async def reconnect_and_listen():
            async with websockets.connect(
                f"{stack.ws_url}/ws/events/",
                additional_headers={"Cookie": cookie, "Origin": stack.base_url},
            ) as ws:
                hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert group in hello["groups"]
                # The beat task's work, run by the real worker once it is back on the broker;
                # the republisher leaves events younger than REPUBLISH_AFTER to the on-commit path.
                age = (timezone.now() - event.created_at).total_seconds()
                await asyncio.sleep(max(0.0, REPUBLISH_AFTER.total_seconds() - age + 0.2))
                await asyncio.to_thread(send_task, tasks.republish_events, url, queue)
                return json.loads(await asyncio.wait_for(ws.recv(), 25))

        message = run_async(reconnect_and_listen())
        assert message["id"] == event.pk
        assert message["type"] == "outbox.probe"
        # The worker marks the event after sending it, in its own transaction: wait for that.
        published = Event.objects.filter(pk=event.pk, published_at__isnull=False)
        assert wait_for(published.exists, 10, 0.05)
        # Claimed once: another run sends nothing again.
        assert republish_pending() == 0
        assert stack.wait_healthy(30)["status"] == "ok"
    finally:
        stack.stop()
        redis.cleanup()


@pytest.mark.django_db(transaction=True)
def test_two_republishers_never_send_the_same_event(homeowner_user, monkeypatch):
    """Rows are locked while being sent (SKIP LOCKED) and marked with a conditional update."""
    import threading

    from django.db import connection

    from zunft.core import realtime

    events = [Event.objects.create(group="office", type="t", data={"n": n}) for n in range(20)]

    sent: list[int] = []
    barrier = threading.Barrier(2)

    def slow_send(group, message):
        time.sleep(0.01)
        sent.append(message["id"])

    monkeypatch.setattr(realtime, "send_to_group", slow_send)
    later = events[-1].created_at + realtime.REPUBLISH_AFTER
    counts = []

    def run():
        try:
            barrier.wait()
            counts.append(realtime.republish_pending(now=later))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sent) == sorted(e.pk for e in events)  # each exactly once
    assert sum(counts) == 20
    assert not Event.objects.filter(published_at__isnull=True).exists()


# --- 2. a worker killed mid-task ------------------------------------------------------------------

# Kombu's Redis transport redelivers an unacknowledged message only after the visibility timeout
# (default one hour). The test shortens it and the restore sweep; production sets it in settings.
FAST_REDELIVERY = {
    "broker_transport_options": {
        "visibility_timeout": 3,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
}


@pytest.mark.django_db(transaction=True)
def test_a_task_on_a_killed_worker_is_redelivered_and_completes_once(office_user):
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-kill"
    env = {"CELERY_QUEUE": queue, "CELERY_VISIBILITY_TIMEOUT": "3"}
    doomed = TunedStack(env=env, worker_name="doomed", conf=FAST_REDELIVERY)
    rescuer = TunedStack(env=env, worker_name="rescuer", conf=FAST_REDELIVERY)
    operation = Operation.objects.create(
        kind="probe", params={"seconds": 3}, created_by=office_user
    )
    try:
        doomed.start_worker()
        tasks.probe.apply_async((operation.pk,), queue=queue)
        # The claim (state "running") commits just before the work records its start; killing
        # in between would leave no trace of the first run, so wait for the start itself.
        assert wait_for(
            lambda: Event.objects.filter(
                type="probe.started", data__operation=operation.pk
            ).exists(),
            30,
        ), "the first worker never started the task"
        operation.refresh_from_db()
        assert operation.worker.startswith("doomed@")

        doomed.kill("worker")  # SIGKILL mid-sleep: no ack, no clean shutdown
        rescuer.start_worker()
        assert wait_for(
            lambda: Operation.objects.filter(pk=operation.pk, state="done").exists(), 40
        ), "the task was not redelivered"
        time.sleep(2)  # room for a (wrong) third run to show up
    finally:
        doomed.stop()
        rescuer.stop()

    operation.refresh_from_db()
    assert operation.worker.startswith("rescuer@")
    assert operation.result["worker"].startswith("rescuer@")
    starts = Event.objects.filter(type="probe.started", data__operation=operation.pk)
    assert [e.data["worker"].split("@")[0] for e in starts] == ["doomed", "rescuer"]
    finishes = Event.objects.filter(
        type="operation.progress",
        group="office",
        data__operation=operation.pk,
        data__state="done",
    )
    assert finishes.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_delivery_while_the_first_runner_lives_does_nothing(office_user):
    """The runner's advisory lock tells a live runner from a dead one."""
    import threading

    from django.db import connection

    operation = Operation.objects.create(kind="probe", params={"seconds": 0})
    inside = threading.Event()
    release = threading.Event()
    calls = []

    def slow(op):
        calls.append(op.pk)
        inside.set()
        release.wait(10)
        return {"ok": True}

    def first():
        try:
            services.run_claimed(operation.pk, "first", slow)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(10)
    assert services.run_claimed(operation.pk, "second", slow) is None  # running, and alive
    release.set()
    thread.join()
    assert services.run_claimed(operation.pk, "third", slow) is None  # done
    operation.refresh_from_db()
    assert (operation.state, operation.worker, calls) == ("done", "first", [operation.pk])


# --- 3. a dropped websocket resyncs through the events API -------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_reconnecting_client_gets_exactly_the_events_it_missed(live_stack, homeowner_user):
    group = f"user.{homeowner_user.pk}"
    cookie = session_cookie(homeowner_user)
    headers = {"Cookie": cookie, "Origin": live_stack.base_url}

    def publish(type_, n, to=group):
        with transaction.atomic():
            (event,) = emit(to, type_, {"n": n})
        return event.pk

    async def until(ws, type_):
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if message.get("type") == type_:
                return message

    async def scenario():
        async with websockets.connect(
            f"{live_stack.ws_url}/ws/events/", additional_headers=headers
        ) as ws:
            await until(ws, "hello")
            await in_thread(publish, "seen", 1)
            last_seen = (await until(ws, "seen"))["id"]
        # Offline: these go out while nobody listens.
        missed = [await in_thread(publish, "missed", n) for n in (2, 3, 4)]
        await in_thread(publish, "other", 5, "office")  # not this client's group
        async with websockets.connect(
            f"{live_stack.ws_url}/ws/events/", additional_headers=headers
        ) as ws:
            await until(ws, "hello")  # listen first, then ask for the gap: nothing falls between
            client = Client()
            client.cookies.load(cookie)
            response = await in_thread(
                client.get, "/api/v1/system/events", {"group": group, "after": last_seen}
            )
            assert response.status_code == 200, response.content
            backlog = response.json()
            live_id = await in_thread(publish, "live", 6)
            live = await until(ws, "live")
        return missed, backlog, live_id, live

    missed, backlog, live_id, live = run_async(scenario())
    assert [e["id"] for e in backlog] == missed
    assert [e["type"] for e in backlog] == ["missed"] * 3
    assert [e["data"]["n"] for e in backlog] == [2, 3, 4]
    assert live["id"] == live_id
