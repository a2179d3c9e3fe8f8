"""Background operations: create, enqueue after commit, claim once, report progress.

Every task that works on an ``Operation`` goes through :func:`run_claimed`: it claims the
operation, runs the work once (taking over from a worker that died), and records the result or
the failure.
"""

import socket

from django.db import connection, transaction
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
            # The outcome with the last event, so a page need not ask for it.
            **({"result": operation.result} if operation.state == Operation.State.DONE else {}),
        },
    )


def describe_error(exc: Exception) -> str:
    """The failure as people read it on the operation: a refused input by its messages, anything
    else by its class and text."""
    from django.core.exceptions import ValidationError

    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


# First key of the two-key PostgreSQL advisory lock an operation's runner holds ("Op").
OPERATION_LOCK_CLASS = 0x4F70


def run_claimed(operation_id: int, worker: str, work) -> Operation | None:
    """Run ``work(operation)`` for a queued operation exactly once, even across killed workers.

    The runner holds a PostgreSQL session advisory lock on the operation while it works. When a
    worker is killed (SIGKILL, OOM), its database session ends and PostgreSQL drops the lock;
    the broker redelivers the task (``acks_late`` + the visibility timeout), and the new
    delivery finds the operation ``running`` but unlocked: its runner is dead, so it takes over.
    A duplicate delivery while the first runner lives cannot get the lock and does nothing; one
    after the end finds the operation done or failed. Returns the finished operation, or None
    when there was nothing to do.

    ``work`` returns the result dict; its side effects belong in the database, committed with the
    finish (or idempotent). When it raises, the operation is finished as failed (naming the
    error) and the exception propagates, so the task shows as failed too."""
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
            return None  # done or failed already, or no such operation
        operation = Operation.objects.get(pk=operation_id)
        try:
            result = work(operation)
        except Exception as exc:
            operation.refresh_from_db()  # the progress the work reported meanwhile
            finish_operation(operation, error=describe_error(exc))
            raise
        operation.refresh_from_db()
        finish_operation(operation, result=result)
        return operation
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", key)


def do_roundtrip(operation_id: int, worker: str) -> Operation | None:
    """The diagnostics round trip: proves that work sent from a request runs on a real worker and
    lands in the database. Idempotent: a second delivery finds the operation claimed."""
    return run_claimed(
        operation_id, worker, lambda operation: {"worker": worker, "host": socket.gethostname()}
    )
