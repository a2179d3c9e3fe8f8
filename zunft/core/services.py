"""Background operations: create, enqueue after commit, claim once, report progress."""

import socket

from django.db import transaction
from django.utils import timezone

from zunft.core.models import Operation
from zunft.core.realtime import emit


def start_operation(
    kind: str, *, task, user=None, params: dict | None = None, countdown: int = 0
) -> Operation:
    """Create an operation and send ``task(operation_id)`` to Celery once the transaction commits,
    so the worker never looks for a row that is not there yet."""
    with transaction.atomic():
        operation = Operation.objects.create(kind=kind, created_by=user, params=params or {})
        transaction.on_commit(lambda: task.apply_async((operation.pk,), countdown=countdown))
    return operation


def claim_operation(operation_id: int, worker: str) -> Operation | None:
    """Move a queued operation to running. Returns None when someone else already has it."""
    claimed = Operation.objects.filter(pk=operation_id, state=Operation.State.QUEUED).update(
        state=Operation.State.RUNNING, worker=worker, started_at=timezone.now()
    )
    return Operation.objects.get(pk=operation_id) if claimed == 1 else None


def report_progress(operation: Operation, progress: int, total: int) -> None:
    """Store and publish progress; called by long tasks between steps."""
    Operation.objects.filter(pk=operation.pk).update(progress=progress, total=total)
    with transaction.atomic():
        _emit_state(operation, progress=progress, total=total)


def finish_operation(operation: Operation, result: dict | None = None, error: str = "") -> None:
    with transaction.atomic():
        operation.state = Operation.State.FAILED if error else Operation.State.DONE
        operation.result = result or {}
        operation.error = error
        operation.finished_at = timezone.now()
        operation.progress = operation.total if not error else operation.progress
        operation.save(update_fields=["state", "result", "error", "finished_at", "progress"])
        _emit_state(operation, progress=operation.progress, total=operation.total)


def _emit_state(operation: Operation, *, progress: int, total: int) -> None:
    groups = ["office"]
    if operation.created_by_id:
        groups.append(f"user.{operation.created_by_id}")
    emit(
        groups,
        "operation.progress",
        {
            "operation": operation.pk,
            "kind": operation.kind,
            "state": operation.state,
            "progress": progress,
            "total": total,
        },
    )


def do_roundtrip(operation_id: int, worker: str) -> Operation | None:
    """The diagnostics round trip: proves that work sent from a request runs on a real worker and
    lands in the database. Idempotent: a second delivery finds the operation claimed."""
    operation = claim_operation(operation_id, worker)
    if operation is None:
        return None
    finish_operation(operation, result={"worker": worker, "host": socket.gethostname()})
    return operation
