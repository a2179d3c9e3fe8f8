"""Month-end throughput: issue invoices and render their PDF/A-3 and XML, per second."""

import time
from datetime import date

from django.core.management.base import BaseCommand
from django.db import transaction

from invoicing import documents, samples


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Issue N package invoices (11 positions each) with PDF and XML and print the throughput. "
        "Runs in a transaction that is rolled back, so the database is left as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("--invoices", type=int, default=200)

    def handle(self, invoices: int, **options):
        today = date(2026, 1, 31)
        try:
            with transaction.atomic():
                world = samples.build_world()
                timings = {"issue": 0.0, "documents": 0.0}
                for _ in range(invoices):
                    started = time.perf_counter()
                    (invoice,) = samples.private_package(world, today)
                    issued = time.perf_counter()
                    documents.render_documents(invoice)
                    timings["issue"] += issued - started
                    timings["documents"] += time.perf_counter() - issued
                raise Rollback
        except Rollback:
            pass
        total = timings["issue"] + timings["documents"]
        self.stdout.write(
            f"{invoices} invoices in {total:.1f} s: {invoices / total:.1f} invoices/s with PDF "
            f"and XML (issue incl. package set-up {1000 * timings['issue'] / invoices:.0f} ms, "
            f"PDF/A-3 + XML {1000 * timings['documents'] / invoices:.0f} ms per invoice)"
        )
