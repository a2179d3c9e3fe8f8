"""Server time and query count of the dispatch board's data for a busy week.

The week is generated inside a transaction that is rolled back, so the command leaves the
database as it found it: ``manage.py bench_board --tasks 500``.
"""

import datetime as dt
import json
import random
import statistics
import time
from decimal import Decimal

from django.contrib.gis.geos import Point
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer, Site
from jobs.models import Package, Quote, Request, Task
from scheduling import board
from scheduling.models import Appointment, Dispatch
from trades.models import Trade, Worker, Workshop, WorkshopTrade

BERLIN = board.BERLIN


class Rollback(Exception):
    pass


def make_week(monday: dt.date, tasks: int, *, workshops: int = 20, seed: int = 0) -> dict:
    """A cooperative with ``workshops`` members and ``tasks`` planned tasks (four per package)
    on the weekdays of the week from ``monday``, with offers, answers and some requests.
    Bulk inserts: a few dozen queries whatever the size."""
    rng = random.Random(seed)
    tag = f"bench{seed}-{rng.randrange(10**9)}"
    trades = [
        Trade.objects.get_or_create(code=f"bench-{code}", defaults={"name_de": de, "name_en": en})[
            0
        ]
        for code, de, en in (
            ("maler", "Maler (Bench)", "Painter (bench)"),
            ("elektro", "Elektro (Bench)", "Electrics (bench)"),
        )
    ]
    shops = Workshop.objects.bulk_create(
        Workshop(
            name=f"Betrieb {i:02d} {tag}",
            legal_name=f"Betrieb {i:02d} GmbH",
            owner_name="Meisterin Muster",
            vat_id="DE123456788",
            iban="DE89370400440532013000",
            email=f"b{i}@{tag}.invalid",
            street="Hauptstraße 1",
            postal_code="49661",
            city="Cloppenburg",
            state="NI",
            location=Point(8.0 + rng.uniform(-0.3, 0.3), 52.85 + rng.uniform(-0.2, 0.2)),
        )
        for i in range(workshops)
    )
    WorkshopTrade.objects.bulk_create(
        WorkshopTrade(workshop=w, trade=t, hourly_rate=Decimal("60.00"), crews=3)
        for w in shops
        for t in trades
    )
    workers = Worker.objects.bulk_create(
        Worker(workshop=w, first_name="Max", last_name=f"Muster{i}")
        for w in shops
        for i in range(3)
    )
    Worker.trades.through.objects.bulk_create(
        Worker.trades.through(worker=k, trade=t) for k in workers for t in trades
    )
    customer = Customer.objects.create(
        last_name="Bench",
        email=f"kunde@{tag}.invalid",
        street="Weg 1",
        postal_code="49661",
        city="Cloppenburg",
    )
    sites = Site.objects.bulk_create(
        Site(
            customer=customer,
            label=f"Objekt {i}",
            street=f"Weg {i}",
            postal_code="49661",
            city="Cloppenburg",
            state="NI",
            location=Point(8.0 + rng.uniform(-0.3, 0.3), 52.85 + rng.uniform(-0.2, 0.2)),
        )
        for i in range((tasks + 3) // 4)
    )
    packages = Package.objects.bulk_create(
        Package(
            customer=customer,
            site=s,
            title=f"Paket {i}",
            status=Package.Status.ACCEPTED,
            earliest_start=monday,
            promised_date=monday + dt.timedelta(days=rng.randint(3, 9)),
        )
        for i, s in enumerate(sites)
    )
    rows = Task.objects.bulk_create(
        Task(
            package=packages[i // 4],
            code=f"t{i}",
            name_de=f"Leistung {i}",
            name_en=f"Task {i}",
            trade=trades[i % 2],
            duration_hours=8,
            status=Task.Status.PLANNED,
            position=i % 4,
        )
        for i in range(tasks)
    )
    appointments = []
    for i, task in enumerate(rows):
        day = monday + dt.timedelta(days=rng.randrange(5))
        start = dt.datetime.combine(day, dt.time(7), tzinfo=BERLIN)
        appointments.append(
            Appointment(
                task=task,
                workshop=shops[i % workshops],
                start=start,
                end=start + dt.timedelta(hours=8),
                travel_km=rng.randint(4, 60),
                segments=[{"date": day.isoformat(), "start_hour": 7, "hours": 8}],
                status=rng.choice(["tentative", "accepted"]),
            )
        )
    appointments = Appointment.objects.bulk_create(appointments)
    now = timezone.now()
    Dispatch.objects.bulk_create(
        Dispatch(
            appointment=a,
            workshop_id=a.workshop_id,
            status="accepted" if a.status == "accepted" else "offered",
            deadline=now + dt.timedelta(hours=rng.choice([2, 24])),
        )
        for a in appointments
    )
    requests = Request.objects.bulk_create(
        Request(customer=customer, site=sites[0], earliest_start=monday, description="Bad")
        for _ in range(5)
    )
    Quote.objects.bulk_create(
        Quote(
            package=p,
            version=1,
            valid_until=monday,
            net=Decimal(100),
            vat=Decimal(19),
            gross=Decimal(119),
            labour_gross=Decimal(50),
            tax_reduction=Decimal(10),
        )
        for p in packages[:5]
    )
    return {"workshops": shops, "packages": packages, "tasks": rows, "requests": requests}


def render(monday: dt.date) -> bytes:
    """The board's data as the API sends it (selectors plus schema validation and JSON)."""
    from scheduling.board_api import BoardOut

    return BoardOut.model_validate(board.board_data(monday)).model_dump_json().encode()


class Command(BaseCommand):
    help = "Measure the dispatch board's data endpoint for a generated week (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--tasks", type=int, default=500)
        parser.add_argument("--workshops", type=int, default=20)
        parser.add_argument("--runs", type=int, default=7)
        parser.add_argument("--week", default="2026-W48")

    def handle(self, *args, tasks, workshops, runs, week, **options):
        monday = board.parse_week(week)
        try:
            with transaction.atomic():
                make_week(monday, tasks, workshops=workshops)
                render(monday)  # warm caches (holidays, translations)
                timings = []
                for _ in range(runs):
                    with CaptureQueriesContext(connection) as queries:
                        begin = time.perf_counter()
                        body = render(monday)
                        timings.append(time.perf_counter() - begin)
                items = len(json.loads(body)["items"])
                raise Rollback
        except Rollback:
            pass
        median = statistics.median(timings) * 1000
        self.stdout.write(
            f"board {week}: {items} tasks in the week, {workshops} generated workshops "
            f"(plus any existing), {runs} runs\n"
            f"  server time median {median:.0f} ms, min {min(timings) * 1000:.0f} ms, "
            f"max {max(timings) * 1000:.0f} ms\n"
            f"  queries per request: {len(queries)}; response {len(body) / 1024:.0f} KiB\n"
            f"  target under 300 ms: {'met' if median < 300 else 'NOT met'}"
        )
