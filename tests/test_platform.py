"""The platform on its real parts: database, Redis, Celery worker, ASGI server with websockets."""

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time

import httpx
import pytest
import websockets
from django.conf import settings
from django.test import Client

from tests.live import ROOT, Stack
from zunft.core.models import Operation
from zunft.core.realtime import send_to_group
from zunft.settings import celery_url

pytestmark = pytest.mark.live


def other_redis_db(url: str) -> str:
    """The same Redis server, a database no other test process uses (the session's + 8)."""
    import re

    if url.startswith("unix://"):
        base, _, db = url.partition("?db=")
        return f"{base}?db={(int(db or 0) + 8) % 16}"
    match = re.match(r"^(.*/)(\d+)$", url)
    return f"{match.group(1)}{(int(match.group(2)) + 8) % 16}" if match else f"{url.rstrip('/')}/9"


def run_async(coroutine):
    """Run a coroutine on its own thread: Playwright's sync API may hold this thread's loop."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_in_a_request_runs_on_the_real_worker(live_stack, office_user):
    client = Client()
    client.force_login(office_user)

    response = client.post("/api/v1/system/operations/roundtrip")
    assert response.status_code == 202, response.content
    operation_id = response.json()["id"]

    deadline = time.monotonic() + 30
    operation = Operation.objects.get(pk=operation_id)
    while operation.state != Operation.State.DONE and time.monotonic() < deadline:
        time.sleep(0.2)
        operation.refresh_from_db()
    assert operation.state == Operation.State.DONE
    # Only the worker process started by the test session carries this name: not eager mode.
    assert operation.worker.startswith(f"{live_stack.worker_name}@")
    assert operation.result["worker"] == operation.worker
    assert client.get(f"/api/v1/system/operations/{operation_id}").json()["state"] == "done"


@pytest.mark.django_db(transaction=True)
def test_only_office_staff_may_start_diagnostics(homeowner_user):
    client = Client()
    assert client.post("/api/v1/system/operations/roundtrip").status_code == 401
    client.force_login(homeowner_user)
    assert client.post("/api/v1/system/operations/roundtrip").status_code == 403
    assert not Operation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_websocket_authenticated_by_session_receives_its_group_message(
    live_stack, homeowner_user
):
    client = Client()
    client.force_login(homeowner_user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    async def scenario():
        async with websockets.connect(
            f"{live_stack.ws_url}/ws/events/",
            additional_headers={"Cookie": cookie, "Origin": live_stack.base_url},
        ) as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert hello == {"type": "hello", "groups": [f"user.{homeowner_user.pk}"]}
            # Joining another group the user has no right to is refused.
            await ws.send(json.dumps({"subscribe": "office"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "denied"
            # Sent from sync code in this (other) process, through Redis.
            await asyncio.to_thread(
                send_to_group, f"user.{homeowner_user.pk}", {"type": "ping", "n": 1}
            )
            return json.loads(await asyncio.wait_for(ws.recv(), 10))

    assert run_async(scenario()) == {"type": "ping", "n": 1}


@pytest.mark.django_db(transaction=True)
def test_a_websocket_without_a_session_is_refused(live_stack):
    async def scenario():
        async with websockets.connect(
            f"{live_stack.ws_url}/ws/events/", additional_headers={"Origin": live_stack.base_url}
        ) as ws:
            await asyncio.wait_for(ws.recv(), 10)

    # Closing before accepting refuses the handshake itself.
    with pytest.raises(websockets.InvalidStatus) as refused:
        run_async(scenario())
    assert refused.value.response.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_every_part_and_names_a_dead_worker():
    # Its own stack on its own Redis database, so killing this worker harms no other test.
    redis_url = other_redis_db(settings.REDIS_URL)
    stack = Stack(
        env={"REDIS_URL": redis_url, "CELERY_QUEUE": "zunft-health"}, worker_name="healthworker"
    )
    stack.start_web()
    stack.start_worker()
    try:
        body = stack.wait_healthy()
        assert body["status"] == "ok"
        assert body["database"]["postgis"].startswith("3.")
        assert body["redis"]["up"] is True
        assert any(name.startswith("healthworker@") for name in body["worker"]["workers"])

        # Killed without a goodbye: reported once its heartbeat expires (HEALTH_WORKER_TTL_SECONDS).
        stack.kill("worker")
        deadline = time.monotonic() + settings.HEALTH_WORKER_TTL_SECONDS + 20
        response = httpx.get(f"{stack.base_url}/healthz", timeout=30)
        while response.status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.5)
            response = httpx.get(f"{stack.base_url}/healthz", timeout=30)
        assert response.status_code == 503
        assert response.json()["down"] == ["worker"]
        assert "heartbeat" in response.json()["worker"]["error"]
    finally:
        stack.stop()


@pytest.mark.django_db
def test_healthz_reads_the_workers_heartbeats_and_a_clean_stop_at_once(settings, client):
    """/healthz asks Redis, not the workers: no request waits for a ping that nobody answers."""
    from zunft.core import health

    settings.CELERY_TASK_DEFAULT_QUEUE = f"heartbeat-test-{secrets.token_hex(4)}"
    beat = health.WorkerHeartbeat("w1@box", [settings.CELERY_TASK_DEFAULT_QUEUE])
    other = health.WorkerHeartbeat("other@box", [f"{settings.CELERY_TASK_DEFAULT_QUEUE}-other"])
    assert health.check_worker()["up"] is False
    beat()
    other()  # a worker of another queue is not this web server's worker
    assert health.check_worker() == {"up": True, "workers": ["w1@box"]}
    body = client.get("/healthz").json()
    assert body["worker"] == {"up": True, "workers": ["w1@box"]}
    beat.stop()
    other.stop()
    body = client.get("/healthz").json()
    assert body["down"] == ["worker"] and body["database"]["up"] and body["redis"]["up"]

    # killed: no goodbye, the heartbeat expires
    settings.HEALTH_WORKER_TTL_SECONDS = 1
    beat()
    assert health.check_worker()["up"] is True
    time.sleep(1.5)
    assert health.check_worker()["up"] is False


def test_unix_socket_redis_urls_are_spelled_for_kombu():
    assert (
        celery_url("unix:///srv/redis.sock?db=2") == "redis+socket:///srv/redis.sock?virtual_host=2"
    )
    assert celery_url("redis://cache:6379/0") == "redis://cache:6379/0"


def test_every_response_carries_a_request_id(client):
    response = client.get("/", headers={"X-Request-ID": "abc12345-proxy"})
    assert response["X-Request-ID"] == "abc12345-proxy"
    assert len(client.get("/", headers={"X-Request-ID": "bad id!"})["X-Request-ID"]) == 32


def test_production_settings_pass_the_deploy_check():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "zunft.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://zunft.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_bad_setting_fails_loudly():
    env = {**os.environ, "DEBUG": "maybe"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | {"DEBUG": "false"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_pages_speak_german_first_with_english_under_its_prefix(client):
    german = client.get("/").content.decode()
    assert '<html lang="de">' in german
    assert "Alles aus einer Hand" in german
    english = client.get("/en/").content.decode()
    assert '<html lang="en">' in english
    assert "Everything from one hand" in english
