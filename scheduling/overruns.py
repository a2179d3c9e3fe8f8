"""The periodic overrun check: work that is running past its planned end although nobody tapped
anything in the field app (which would have noticed it) is announced and re-planned."""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from jobs import fieldwork
from jobs.models import Task
from scheduling.field_api import assignment_of
from scheduling.models import Appointment

logger = logging.getLogger(__name__)

# A few minutes' grace: finishing at 15:05 is not worth moving anybody's week.
GRACE = dt.timedelta(minutes=30)


def detect_overruns(now: dt.datetime | None = None) -> list[int]:
    """Announce every started task whose appointment ended more than ``GRACE`` ago and that is
    not done; each task once. Returns the task ids announced."""
    now = now or timezone.now()
    late = (
        Appointment.objects.exclude(status=Appointment.Status.CANCELLED)
        .filter(end__lt=now - GRACE, task__status=Task.Status.IN_PROGRESS)
        .select_related("task", "task__package")
        .order_by("end", "id")
    )
    announced = []
    for appointment in late:
        with transaction.atomic():
            task = Task.objects.select_for_update().get(pk=appointment.task_id)
            if task.status != Task.Status.IN_PROGRESS or fieldwork.overrun_announced(task):
                continue
            fieldwork.announce_overrun(task, assignment_of(appointment), now)
            announced.append(task.pk)
    if announced:
        logger.info("overrun check: %s task(s) past their planned end", len(announced))
    return announced
