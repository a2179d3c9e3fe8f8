"""The scheduling part of a person's data export and erasure: who came when (nested in the
export's tasks, registered with ``jobs.privacy``) and the login's calendar feeds (registered
with ``customers.privacy``). Appointments are kept: they hold no personal data of the customer."""

from customers.privacy import Erasure
from jobs.models import Task
from scheduling.models import Appointment, FeedToken


def _appointment_data(a: Appointment) -> dict:
    worker = f"{a.worker.first_name} {a.worker.last_name}" if a.worker else None
    return {
        "workshop": a.workshop.name,
        "worker": worker,
        "start": a.start,
        "end": a.end,
        "status": a.status,
    }


def appointments_by_task(tasks: list[Task]) -> dict[int, list[dict]]:
    """The appointments of these tasks, by task id, in the model's order (start, id)."""
    found: dict[int, list[dict]] = {}
    appointments = Appointment.objects.filter(task__in=tasks).select_related("workshop", "worker")
    for appointment in appointments:
        found.setdefault(appointment.task_id, []).append(_appointment_data(appointment))
    return found


def erase(erasure: Erasure) -> list[str]:
    """Revoke the login's calendar feeds; no files."""
    if erasure.user is not None:
        FeedToken.objects.filter(owner=erasure.user, revoked_at__isnull=True).update(
            revoked_at=erasure.at
        )
    return []
