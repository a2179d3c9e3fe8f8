"""Real processes for tests: the ASGI server and a Celery worker, on the test database.

The test process and its children share PostgreSQL and Redis; tests that talk to a live process
must commit their data (``django_db(transaction=True)``).
"""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def database_url() -> str:
    """The URL of the database this test process uses (the test database, once set up)."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = quote(db.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(db.get("HOST") or "", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgis://{auth}{host}{port}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    """A web server and a worker started for tests; ``env`` overrides the inherited environment."""

    env: dict = field(default_factory=dict)
    worker_name: str = "testworker"
    port: int = field(default_factory=free_port)
    processes: dict = field(default_factory=dict)
    log_dir: Path = ROOT / ".var" / "log" / "tests"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _environ(self) -> dict:
        env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "true", **self.env}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for Playwright in this process only
        env["LOG_FORMAT"] = "text"
        return env

    def _spawn(self, name: str, argv: list[str]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}-{self.port}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.processes[name] = (
            subprocess.Popen(argv, cwd=ROOT, env=self._environ(), stdout=log, stderr=log),
            log,
        )

    def start_web(self) -> None:
        self._spawn(
            "web",
            [
                str(BIN / "uvicorn"),
                "tests.live_asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-access-log",
            ],
        )

    def start_worker(self) -> None:
        self._spawn(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "tests.live_worker",
                "worker",
                "--pool=threads",
                "--concurrency=4",
                f"--hostname={self.worker_name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
        )

    def kill(self, name: str) -> None:
        process, log = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        log.close()

    def wait_healthy(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for name, (process, _log) in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {process.returncode}; see {self.log_dir}"
                    )
            try:
                last = httpx.get(f"{self.base_url}/healthz", timeout=10)
                if last.status_code == 200:
                    return last.json()
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"stack not healthy: {last.text if last else 'no answer'}")

    def stop(self) -> None:
        for process, _log in self.processes.values():
            process.terminate()
        for process, log in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            log.close()
        self.processes.clear()


def in_a_thread(function, *args, **kwargs):
    """Run ``function`` in a thread of its own, as a request or a worker does, and return what
    it returns. Playwright's sync API keeps an event loop running in the test's thread, where
    ``async_to_sync`` refuses to run: an event emitted there fails its on-commit publish and
    waits in the outbox for the republisher, which the test stack does not run (no beat)."""
    from concurrent.futures import ThreadPoolExecutor

    def run():
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=60)


def wait_for_replans(timeout: float = 60) -> None:
    """Wait until the live worker has no re-plan queued or running (a test that booked something
    lets the re-plan it asked for land before it plans or changes things itself)."""
    from zunft.core.models import Operation

    deadline = time.monotonic() + timeout
    busy = Operation.objects.filter(kind="replan", state__in=["queued", "running"])
    while busy.exists():
        assert time.monotonic() < deadline, "the live worker's re-plan did not finish"
        time.sleep(0.2)


def wait_for_idle_worker(timeout: float = 30) -> None:
    """Wait until the live worker runs no task at all (a mail or hand-over a test's last click
    queued): a task still reading in a transaction deadlocks with the flush's TRUNCATE too."""
    from zunft.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        active = app.control.inspect(timeout=0.5).active()
        if active is not None and not any(active.values()):
            return
        time.sleep(0.2)


def end_replans(timeout: float = 60) -> None:
    """At the end of a test: drop the re-plans still waiting and let a running one finish.

    A plan still writing when the test database is flushed deadlocks with the flush's TRUNCATE,
    and PostgreSQL settles it by failing the flush (the next test then finds the last one's
    data). A waiting re-plan, marked failed, is skipped by the worker (``run_claimed``)."""
    from zunft.core.models import Operation

    replans = Operation.objects.filter(kind="replan")
    replans.filter(state=Operation.State.QUEUED).update(
        state=Operation.State.FAILED, error="the test ended"
    )
    deadline = time.monotonic() + timeout
    while replans.filter(state=Operation.State.RUNNING).exists():
        assert time.monotonic() < deadline, "the live worker's re-plan did not finish"
        time.sleep(0.2)
