"""Hand-overs with their moment, so that a former worker's phone may send only what happened
before the job was given to a colleague.

Each worker id in ``Appointment.former_workers`` becomes a hand-over at the appointment's last
change (``updated_at``): its moment was not kept, and that change is no earlier than it, so
nothing the former worker recorded before the hand-over is refused. Going back lists the
former workers again (0008 removes the old field)."""

import django.db.models.deletion
from django.db import migrations, models


def to_handovers(apps, schema_editor):
    Appointment = apps.get_model("scheduling", "Appointment")
    Handover = apps.get_model("scheduling", "Handover")
    workers = set(apps.get_model("trades", "Worker").objects.values_list("pk", flat=True))
    rows = Appointment.objects.exclude(former_workers=[]).values_list(
        "pk", "former_workers", "updated_at"
    )
    Handover.objects.bulk_create(
        Handover(appointment_id=pk, worker_id=worker, at=updated_at)
        for pk, former, updated_at in rows.order_by("pk").iterator()
        for worker in former
        if worker in workers  # a worker deleted since can send nothing anyway
    )


def to_former_workers(apps, schema_editor):
    Appointment = apps.get_model("scheduling", "Appointment")
    former: dict[int, list[int]] = {}
    for pk, worker in apps.get_model("scheduling", "Handover").objects.order_by(
        "at", "id"
    ).values_list("appointment_id", "worker_id"):
        if worker not in former.setdefault(pk, []):
            former[pk].append(worker)
    for pk, workers in former.items():
        Appointment.objects.filter(pk=pk).update(former_workers=workers)


class Migration(migrations.Migration):

    dependencies = [
        ("scheduling", "0006_appointment_former_workers"),
        ("trades", "0002_workshop_master_business"),
    ]

    operations = [
        migrations.CreateModel(
            name="Handover",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(verbose_name="handed on")),
                ("appointment", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="handovers", to="scheduling.appointment")),
                ("to_worker", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="trades.worker", verbose_name="new worker")),
                ("worker", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="trades.worker", verbose_name="former worker")),
            ],
            options={
                "verbose_name": "hand-over",
                "verbose_name_plural": "hand-overs",
                "ordering": ["appointment", "at", "id"],
            },
        ),
        migrations.RunPython(to_handovers, to_former_workers),
    ]
