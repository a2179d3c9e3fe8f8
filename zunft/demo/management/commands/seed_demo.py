from django.core.management.base import BaseCommand

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

    def handle(self, *args, once=False, list_logins=False, **options):
        if list_logins:
            for username, role in data.logins():
                self.stdout.write(f"{username:<14} {role}")
            return
        if once and data.demo_exists():
            self.stdout.write("Demo data present; keeping it.")
            return
        counts = data.seed()
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo cooperative ready: {summary}."))
