"""Websocket fan-out benchmark: many clients, one busy group, latency and losses.

    manage.py bench_fanout --start                 start web process(es) + a worker on this DB
    manage.py bench_fanout --url http://127.0.0.1:8000 [--url ...]   a stack already running

Connects ``--clients`` websockets with the session cookies of a few throwaway users created in
the database the command runs on (removed afterwards); ``--subscribed`` of them belong to one
user whose group ``user.<id>`` gets ``--events`` events, sent from sync code (``send_to_group``,
as the on-commit publish does) in a separate thread. Prints delivery latency p50/p95/p99/max and
lost messages. The target on a 2-core machine: nothing lost, p99 < 500 ms.
"""

import asyncio
import json
import resource
import statistics
import threading
import time
from contextlib import ExitStack, suppress
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError

from zunft.core.realtime import send_to_group


def raise_fd_limit(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, wanted)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(wanted, soft), target), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = "Measure websocket fan-out: delivery latency and lost messages."

    def add_arguments(self, parser):
        parser.add_argument("--url", action="append", help="base URL of a running web process")
        parser.add_argument("--start", action="store_true", help="start a stack for the run")
        parser.add_argument("--web", type=int, default=1, help="web processes with --start")
        parser.add_argument("--clients", type=int, default=1000)
        parser.add_argument("--subscribed", type=int, default=500)
        parser.add_argument("--events", type=int, default=50)
        parser.add_argument("--interval", type=float, default=0.1, help="seconds between sends")
        parser.add_argument("--users", type=int, default=5, help="throwaway users (>= 2)")

    def handle(self, *args, **opts):
        if opts["subscribed"] > opts["clients"] or opts["users"] < 2:
            raise CommandError("need --subscribed <= --clients and --users >= 2")
        limit = raise_fd_limit(opts["clients"] + 1024)
        self.stdout.write(f"file descriptors: {limit}")
        with ExitStack() as cleanup:
            urls = opts["url"] or []
            if opts["start"]:
                urls = self._start(cleanup, opts["web"])
            if not urls:
                raise CommandError("give --url (a running stack) or --start")
            users = self._users(cleanup, opts["users"])
            result = asyncio.run(self._run(urls, users, opts))
        self._report(result, opts, urls)

    # --- set-up --------------------------------------------------------------------------------

    def _start(self, cleanup: ExitStack, web: int) -> list[str]:
        import httpx

        from tests.live import Stack

        stacks = [Stack(worker_name=f"fanout{n}") for n in range(web)]
        for n, stack in enumerate(stacks):
            cleanup.callback(stack.stop)
            stack.start_web()
            if n == 0:
                stack.start_worker()
        for stack in stacks:  # wait until each answers at all (health needs the worker too)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    httpx.get(f"{stack.base_url}/healthz", timeout=5)
                    break
                except httpx.TransportError:
                    time.sleep(0.3)
            else:
                raise CommandError(f"web process on {stack.base_url} did not start")
        self.stdout.write(f"started {web} web process(es): {[s.base_url for s in stacks]}")
        return [s.base_url for s in stacks]

    def _users(self, cleanup: ExitStack, count: int) -> list[tuple[int, str]]:
        """Throwaway homeowners with a session each: (user id, session key)."""
        User = get_user_model()
        stamp = int(time.time())
        users = []
        for n in range(count):
            user = User.objects.create_user(
                f"bench-fanout-{stamp}-{n}", password=None, role="homeowner"
            )
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            users.append((user.pk, session.session_key))
        ids = [pk for pk, _key in users]
        keys = [key for _pk, key in users]

        def remove():
            from django.contrib.sessions.models import Session

            Session.objects.filter(session_key__in=keys).delete()
            User.objects.filter(pk__in=ids).delete()

        cleanup.callback(remove)
        return users

    # --- the run --------------------------------------------------------------------------------

    async def _run(self, urls: list[str], users, opts) -> dict:  # noqa: C901 - one scenario
        import websockets

        target_id, target_key = users[0]
        others = users[1:]
        group = f"user.{target_id}"
        clients = []
        for n in range(opts["clients"]):
            subscribed = n < opts["subscribed"]
            _pk, key = (target_id, target_key) if subscribed else others[n % len(others)]
            clients.append((urls[n % len(urls)], key, subscribed))

        latencies: list[float] = []
        received = [0] * len(clients)
        extra = [0]
        done = asyncio.Event()
        expected = opts["subscribed"] * opts["events"]

        async def client(index: int, url: str, key: str, ready: asyncio.Event, sockets: list):
            parsed = urlparse(url)
            ws = await websockets.connect(
                f"ws://{parsed.netloc}/ws/events/",
                additional_headers={
                    "Cookie": f"{settings.SESSION_COOKIE_NAME}={key}",
                    "Origin": url,
                },
                open_timeout=60,
                ping_interval=None,
                max_queue=None,
            )
            sockets.append(ws)
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello", hello
            ready.set()
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") != "bench":
                    continue
                now = time.time()
                if message["group"] != f"user.{target_id}":
                    extra[0] += 1
                    continue
                latencies.append(now - message["sent"])
                received[index] += 1
                if len(latencies) >= expected:
                    done.set()

        sockets: list = []
        tasks = []
        started = time.monotonic()
        batch = 50
        for first in range(0, len(clients), batch):
            readies = []
            for index in range(first, min(first + batch, len(clients))):
                url, key, _subscribed = clients[index]
                ready = asyncio.Event()
                readies.append(ready)
                tasks.append(asyncio.create_task(client(index, url, key, ready, sockets)))
            await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
        connect_seconds = time.monotonic() - started

        def send_all():  # plain sync code, as a request's on-commit publish is
            for seq in range(opts["events"]):
                send_to_group(
                    group, {"type": "bench", "group": group, "seq": seq, "sent": time.time()}
                )
                time.sleep(opts["interval"])

        send_started = time.monotonic()
        sender = threading.Thread(target=send_all)
        sender.start()
        await asyncio.to_thread(sender.join)
        send_seconds = time.monotonic() - send_started
        with suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 10)
        for ws in sockets:
            await ws.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return {
            "latencies": latencies,
            "expected": expected,
            "received": sum(received),
            "extra": extra[0],
            "connect_seconds": connect_seconds,
            "send_seconds": send_seconds,
            "connected": len(sockets),
            "short_clients": sum(
                1 for i, (_u, _k, sub) in enumerate(clients) if sub and received[i] < opts["events"]
            ),
        }

    def _report(self, r: dict, opts, urls) -> None:
        ms = [x * 1000 for x in r["latencies"]]
        lost = r["expected"] - r["received"]
        rate = r["expected"] / r["send_seconds"] if r["send_seconds"] else 0
        lines = [
            f"web processes          {len(urls)}  ({', '.join(urls)})",
            f"clients connected      {r['connected']} in {r['connect_seconds']:.1f} s",
            f"subscribed to group    {opts['subscribed']}",
            f"events sent            {opts['events']} every {opts['interval'] * 1000:.0f} ms "
            f"({rate:.0f} deliveries/s offered)",
            f"deliveries expected    {r['expected']}",
            f"deliveries received    {r['received']}",
            f"lost                   {lost}  (clients short: {r['short_clients']})",
            f"wrongly delivered      {r['extra']}",
            f"latency p50            {percentile(ms, 50):.1f} ms",
            f"latency p95            {percentile(ms, 95):.1f} ms",
            f"latency p99            {percentile(ms, 99):.1f} ms",
            f"latency max            {max(ms) if ms else float('nan'):.1f} ms",
            f"latency mean           {statistics.fmean(ms) if ms else float('nan'):.1f} ms",
        ]
        self.stdout.write("\n".join(lines))
        ok = lost == 0 and r["extra"] == 0 and percentile(ms, 99) < 500
        self.stdout.write(
            "TARGET MET (none lost, p99 < 500 ms)"
            if ok
            else "TARGET MISSED (lost > 0 or p99 >= 500 ms)"
        )
