import time

from celery import shared_task
from django.db import transaction

from zunft.core import realtime, services
from zunft.core.models import Operation


@shared_task(name="core.roundtrip", bind=True)
def roundtrip(self, operation_id: int) -> None:
    services.do_roundtrip(operation_id, worker=self.request.hostname or "unknown")


# --- resilience: the outbox catch-up and operations that survive a killed worker ----------------


@shared_task(name="core.republish_events", ignore_result=True)
def republish_events() -> int:
    """Celery beat, every ~10 s: send outbox events whose publish after commit failed (Redis was
    down) or never ran (the process died). Safe on several workers: rows are claimed."""
    return realtime.republish_pending()


@shared_task(name="core.probe", bind=True)
def probe(self, operation_id: int) -> None:
    """Diagnostics: sleep ``params["seconds"]`` inside an operation, to prove that a task on a
    killed worker is redelivered and completes once (``services.run_claimed``). Every start is
    recorded as a ``probe.started`` event; the finish as the operation's ``operation.progress``
    event."""
    worker = self.request.hostname or "worker"

    def work(operation: Operation) -> dict:
        with transaction.atomic():
            realtime.emit("office", "probe.started", {"operation": operation.pk, "worker": worker})
        seconds = float(operation.params.get("seconds", 1))
        time.sleep(seconds)
        return {"worker": worker, "slept": seconds}

    services.run_claimed(operation_id, worker, work)
