"""Scale-out on the real parts: two ASGI processes and two Celery workers share Redis and
PostgreSQL. An event caused through one web process reaches a websocket held by the other; the
re-plan lock holds across workers."""

import asyncio
import json
import secrets
import socket
import time

import httpx
import pytest
import websockets
from django.conf import settings
from django.db import connection

from scheduling import tasks as scheduling_tasks
from scheduling.services import PLANNER_LOCK_KEY
from tests.test_resilience import TunedStack, run_async, session_cookie, wait_for
from zunft.celery import app as celery_app
from zunft.core.models import Operation

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def two_stacks(django_db_setup):
    """Web A + worker A and web B + worker B, with the same environment (own queue), on the
    test database."""
    env = {
        "CELERY_QUEUE": f"{settings.CELERY_TASK_DEFAULT_QUEUE}-scale",
        "PLANNER_TIME_LIMIT": "2",
        "PLANNER_WORKERS": "2",
        "PLANNER_DEBOUNCE_SECONDS": "0",
    }
    stacks = [TunedStack(env=env, worker_name=f"scale-{n}") for n in ("a", "b")]
    try:
        for stack in stacks:
            stack.start_web()
            stack.start_worker()
        for stack in stacks:
            stack.wait_healthy()
        yield stacks
    finally:
        for stack in stacks:
            stack.stop()


@pytest.mark.django_db(transaction=True)
def test_an_event_caused_through_web_a_reaches_a_websocket_on_web_b(two_stacks, office_user):
    a, b = two_stacks
    cookie = session_cookie(office_user)
    csrf = secrets.token_hex(16)

    async def scenario():
        async with websockets.connect(
            f"{b.ws_url}/ws/events/", additional_headers={"Cookie": cookie, "Origin": b.base_url}
        ) as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert "office" in hello["groups"]
            async with httpx.AsyncClient(base_url=a.base_url, timeout=10) as http:
                response = await http.post(
                    "/api/v1/system/operations/roundtrip",
                    headers={
                        "Cookie": f"{cookie}; csrftoken={csrf}",
                        "X-CSRFToken": csrf,
                        "Referer": a.base_url,
                    },
                )
            assert response.status_code == 202, response.text
            operation_id = response.json()["id"]
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 20))
                data = message.get("data", {})
                if message["type"] == "operation.progress" and data["operation"] == operation_id:
                    return operation_id, message

    operation_id, message = run_async(scenario())
    assert message["group"] == "office"
    assert message["data"]["state"] == "done"
    operation = Operation.objects.get(pk=operation_id)
    assert operation.worker.split("@")[0] in {"scale-a", "scale-b"}


@pytest.mark.django_db(transaction=True)
def test_two_replans_on_two_workers_never_run_at_once(two_stacks):
    """Each worker gets a re-plan on a queue only it consumes. While this test process holds the
    planner lock, neither runs; once released, they run one after the other."""
    a, b = two_stacks
    host = socket.gethostname()
    base = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-scale"
    queues = {}
    for stack in (a, b):
        queue = f"{base}-{stack.worker_name}"
        replies = celery_app.control.add_consumer(
            queue, destination=[f"{stack.worker_name}@{host}"], reply=True, timeout=5
        )
        assert replies, f"{stack.worker_name} did not answer"
        queues[stack.worker_name] = queue

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [PLANNER_LOCK_KEY])
        assert cursor.fetchone()[0]
    released = None
    try:
        operations = {}
        for name, queue in queues.items():
            operation = Operation.objects.create(kind="replan", params={"reasons": [name]})
            scheduling_tasks.replan.apply_async((operation.pk,), queue=queue)
            operations[name] = operation
        # Both workers try (and retry) while the lock is held elsewhere: nobody starts.
        logs = {s.worker_name: s.log_dir / f"worker-{s.port}.log" for s in (a, b)}
        assert wait_for(
            lambda: all("Retry in 5s" in path.read_text() for path in logs.values()), 15
        ), "a worker never met the held lock"
        assert set(
            Operation.objects.filter(pk__in=[o.pk for o in operations.values()]).values_list(
                "state", flat=True
            )
        ) == {"queued"}
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [PLANNER_LOCK_KEY])
        released = time.time()

    ids = [o.pk for o in operations.values()]
    assert wait_for(lambda: Operation.objects.filter(pk__in=ids, state="done").count() == 2, 30), (
        list(Operation.objects.filter(pk__in=ids).values("state", "worker", "error"))
    )
    runs = {name: Operation.objects.get(pk=op.pk) for name, op in operations.items()}
    # Each ran on its own worker (the retry stays on its queue) ...
    for name, operation in runs.items():
        assert operation.worker.startswith(f"{name}@"), operation.worker
        assert operation.started_at.timestamp() >= released - 0.5
    # ... and one after the other.
    first, second = sorted(runs.values(), key=lambda o: o.started_at)
    assert first.finished_at <= second.started_at, (first.finished_at, second.started_at)
