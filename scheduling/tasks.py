from celery import shared_task

from scheduling import services
from zunft.core.services import claim_operation, finish_operation, report_progress


@shared_task(name="scheduling.replan", bind=True, max_retries=None)
def replan(self, operation_id: int) -> None:
    """Run one queued re-plan. Waits (by retrying) while another re-plan holds the lock, so
    requests made meanwhile collect in this operation."""
    with services.planner_lock() as acquired:
        if not acquired:
            raise self.retry(countdown=5)
        operation = claim_operation(operation_id, worker=self.request.hostname or "worker")
        if operation is None:
            return
        reasons = operation.params.get("reasons", [])

        def progress(seconds, objective, bound):
            report_progress(operation, progress=int(seconds), total=0)

        try:
            run = services.plan_cooperative(
                reason="; ".join(reasons), kind="replan", on_progress=progress
            )
        except Exception as exc:
            finish_operation(operation, error=f"{type(exc).__name__}: {exc}")
            raise
        finish_operation(
            operation,
            result={"plan_run": run.pk, "status": run.status, "gap": run.gap, "moved": run.moved},
        )


@shared_task(name="scheduling.expire_offers")
def expire_offers() -> int:
    """Celery beat, every minute: offers past their deadline expire and go to the next-best
    workshop. Safe on several workers (each offer is claimed by a conditional update)."""
    from scheduling.dispatch import expire_overdue

    return expire_overdue()
