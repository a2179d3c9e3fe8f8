from django.db import migrations, models


def mark_existing_published(apps, schema_editor):
    """Events older than this migration were sent (or given up) by the old code: the republisher
    must not flood clients with the whole history."""
    Event = apps.get_model("core", "Event")
    Event.objects.filter(published_at__isnull=True).update(published_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="published_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="published"),
        ),
        migrations.RunPython(mark_existing_published, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("published_at__isnull", True)),
                fields=["id"],
                name="core_event_unpublished",
            ),
        ),
    ]
