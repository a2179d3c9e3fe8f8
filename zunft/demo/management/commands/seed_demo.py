import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from zunft.demo import data


class Command(BaseCommand):
    help = "Create or refresh the demo cooperative (deterministic and idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="do nothing when the demo already exists"
        )
        parser.add_argument(
            "--list-logins", action="store_true", help="print the demo logins and exit"
        )
        parser.add_argument(
            "--today",
            action="store_true",
            help=(
                f"date the demo from the coming Monday instead of {data.REFERENCE_DATE:%d.%m.%Y}"
                " (on an existing demo: absences and certificates only; packages stay as booked)"
            ),
        )

    def handle(self, *args, once=False, list_logins=False, today=False, **options):
        if list_logins:
            self.print_logins()
            return
        if once and data.demo_exists():
            self.stdout.write("Demo data present; keeping it.")
            return
        start = data.coming_monday(timezone.localdate()) if today else data.REFERENCE_DATE
        started = time.monotonic()
        counts = data.seed(start)
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo cooperative ready ({data.COOPERATIVE_NAME}, dated from {start:%d.%m.%Y}),"
                f" {elapsed:.1f} s:"
            )
        )
        width = max(len(kind) for kind in counts)
        for kind, count in counts.items():
            self.stdout.write(f"  {kind:<{width}} {count:>5}")
        self.stdout.write("Logins: manage.py seed_demo --list-logins")

    def print_logins(self):
        rows = data.logins()
        width = max(len(username) for username, _role in rows)
        for username, role in rows:
            line = f"{username:<{width}}  {role}"
            if username == data.HOMEOWNER:
                # Homeowners have no password form: they log in with a code sent by mail.
                line += (
                    f" (code login at /anmelden/ with {username}@{data.EMAIL_DOMAIN};"
                    " the web server prints the mail)"
                )
            self.stdout.write(line)
        self.stdout.write(f"Password for the other demo logins: {data.DEMO_PASSWORD}")
