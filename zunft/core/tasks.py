from celery import shared_task

from zunft.core import services


@shared_task(name="core.roundtrip", bind=True)
def roundtrip(self, operation_id: int) -> None:
    services.do_roundtrip(operation_id, worker=self.request.hostname or "unknown")


# --- resilience: the outbox catch-up and operations that survive a killed worker ----------------

import time  # noqa: E402

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from zunft.core import realtime  # noqa: E402
from zunft.core.models import Operation  # noqa: E402

# First key of the two-key PostgreSQL advisory lock an operation's runner holds ("Op").
OPERATION_LOCK_CLASS = 0x4F70


@shared_task(name="core.republish_events", ignore_result=True)
def republish_events() -> int:
    """Celery beat, every ~10 s: send outbox events whose publish after commit failed (Redis was
    down) or never ran (the process died). Safe on several workers: rows are claimed."""
    return realtime.republish_pending()


def run_claimed(operation_id: int, worker: str, work) -> Operation | None:
    """Run ``work(operation)`` for a queued operation exactly once, even across killed workers.

    The runner holds a PostgreSQL session advisory lock on the operation while it works. When a
    worker is killed (SIGKILL, OOM), its database session ends and PostgreSQL drops the lock;
    the broker redelivers the task (``acks_late`` + the visibility timeout), and the new
    delivery finds the operation ``running`` but unlocked: its runner is dead, so it takes over.
    A duplicate delivery while the first runner lives cannot get the lock and does nothing; one
    after the end finds the operation done. ``work`` returns the result dict; its side effects
    belong in the database, committed with the finish (or idempotent)."""
    from zunft.core.services import finish_operation

    key = [OPERATION_LOCK_CLASS, operation_id % 2**31]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s::int, %s::int)", key)
        if not cursor.fetchone()[0]:
            return None  # a live runner has it
    try:
        claimed = Operation.objects.filter(
            pk=operation_id, state__in=[Operation.State.QUEUED, Operation.State.RUNNING]
        ).update(state=Operation.State.RUNNING, worker=worker, started_at=timezone.now())
        if claimed != 1:
            return None  # done or failed already
        operation = Operation.objects.get(pk=operation_id)
        try:
            result = work(operation)
        except Exception as exc:
            finish_operation(operation, error=f"{type(exc).__name__}: {exc}"[:500])
            raise
        finish_operation(operation, result=result)
        return operation
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", key)


@shared_task(name="core.probe", bind=True)
def probe(self, operation_id: int) -> None:
    """Diagnostics: sleep ``params["seconds"]`` inside an operation, to prove that a task on a
    killed worker is redelivered and completes once. Every start is recorded as a
    ``probe.started`` event; the finish as the operation's ``operation.progress`` event."""
    from django.db import transaction

    worker = self.request.hostname or "worker"

    def work(operation: Operation) -> dict:
        with transaction.atomic():
            realtime.emit("office", "probe.started", {"operation": operation.pk, "worker": worker})
        seconds = float(operation.params.get("seconds", 1))
        time.sleep(seconds)
        return {"worker": worker, "slept": seconds}

    run_claimed(operation_id, worker, work)
