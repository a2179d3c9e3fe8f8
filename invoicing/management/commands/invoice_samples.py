"""Write the eight invoicing scenarios as PDF (with embedded XML) and XML files, validated."""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from invoicing import documents, einvoice, samples, validation


class Rollback(Exception):
    """Leaves the database as it was: the sample data only exists while the files are written."""


class Command(BaseCommand):
    help = "Write the eight invoicing scenarios to OUTDIR as PDF/A-3 and XML and validate the XML."

    def add_arguments(self, parser):
        parser.add_argument("outdir", type=Path)
        parser.add_argument("--date", type=date.fromisoformat, help="issue date (YYYY-MM-DD)")

    def handle(self, outdir: Path, date=None, **options):
        outdir.mkdir(parents=True, exist_ok=True)
        today = date or timezone.localdate()
        failures = []
        try:
            with transaction.atomic():
                world = samples.build_world()
                for name, scenario in samples.SCENARIOS.items():
                    for invoice in scenario(world, today):
                        failures += self._write(outdir, name, invoice)
                raise Rollback
        except Rollback:
            pass
        if failures:
            raise CommandError("invalid XML:\n" + "\n".join(failures))

    def _write(self, outdir: Path, name: str, invoice) -> list[str]:
        stem = f"{name}_{invoice.number}"
        xml = einvoice.render_xml(invoice)
        (outdir / f"{stem}.pdf").write_bytes(documents.build_pdf(invoice))
        (outdir / f"{stem}.xml").write_bytes(xml)
        report = validation.validate(xml)
        self.stdout.write(
            f"{stem}: {invoice.document_title}, {invoice.gross_total} € brutto, "
            f"XML {'valid' if report.ok else 'INVALID'} ({report.fired_rules} rules fired, "
            f"{len(report.failed_asserts)} failed)"
        )
        return [] if report.ok else [f"{stem}: {report}"]
