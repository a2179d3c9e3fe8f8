"""Quotes made before they carried a promise: an open one of a package booked with a promised
date offers that date, so accepting it keeps the package's promise (acceptance now takes the
promise from the quote)."""

from django.db import migrations
from django.db.models import F


def carry(apps, schema_editor):
    Quote = apps.get_model("jobs", "Quote")
    for quote in Quote.objects.filter(
        status="open", promised_date__isnull=True, package__promised_date__isnull=False
    ).annotate(promise=F("package__promised_date")):
        Quote.objects.filter(pk=quote.pk).update(promised_date=quote.promise)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0019_package_withdrawal")]

    operations = [migrations.RunPython(carry, migrations.RunPython.noop)]
