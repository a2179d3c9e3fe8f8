"""Instant-quote latency on the current data (e.g. the demo cooperative): prints p50/p95."""

import datetime as dt
import random
import statistics
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from customers.models import Site
from jobs.models import PackageTemplate
from jobs.services import book_package, create_quote


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Measure instant quotes (package booked, planned into free capacity, priced)."

    def add_arguments(self, parser):
        parser.add_argument("--quotes", type=int, default=40)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, quotes, seed, **options):
        rng = random.Random(seed)
        sites = list(Site.objects.select_related("customer").order_by("id"))
        templates = list(PackageTemplate.objects.filter(active=True).order_by("code"))
        if not sites or not templates:
            self.stderr.write("No sites or templates: run `manage.py seed_demo` first.")
            return
        today = timezone.localdate()
        timings = []
        refused = 0
        for _ in range(quotes):
            site, template = rng.choice(sites), rng.choice(templates)
            start = today + dt.timedelta(days=rng.randint(15, 60))
            try:
                with transaction.atomic():
                    begin = time.perf_counter()
                    package = book_package(
                        customer=site.customer,
                        site=site,
                        template=template,
                        values={},
                        earliest_start=start,
                    )
                    create_quote(package)
                    timings.append(time.perf_counter() - begin)
                    raise Rollback  # measure without changing the data
            except Rollback:
                pass
            except ValidationError:
                refused += 1  # no eligible workshop for some task at that site: a real answer
        timings.sort()
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        self.stdout.write(
            f"instant quotes: {len(timings)} on {len(sites)} sites x {len(templates)} templates\n"
            f"  p50 {statistics.median(timings) * 1000:.0f} ms   p95 {p95 * 1000:.0f} ms   "
            f"max {timings[-1] * 1000:.0f} ms   refused {refused} (no eligible workshop)"
        )
