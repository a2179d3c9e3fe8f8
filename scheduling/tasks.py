from celery import shared_task

from scheduling import services
from zunft.core.services import report_progress, run_claimed


@shared_task(name="scheduling.replan", bind=True, max_retries=None)
def replan(self, operation_id: int) -> None:
    """Run one queued re-plan. Waits (by retrying) while another re-plan holds the planner lock,
    so requests made meanwhile collect in this operation. A re-plan whose worker died is taken
    over when the task is delivered again (``run_claimed``)."""
    with services.planner_lock() as acquired:
        if not acquired:
            raise self.retry(countdown=5)

        def work(operation):
            def progress(seconds, objective, bound):
                report_progress(operation, progress=int(seconds), total=0)

            reasons = operation.params.get("reasons", [])
            run = services.plan_cooperative(
                reason="; ".join(reasons), kind="replan", on_progress=progress
            )
            return run.summary()

        run_claimed(operation_id, self.request.hostname or "worker", work)


@shared_task(name="scheduling.expire_offers")
def expire_offers() -> int:
    """Celery beat, every minute: offers past their deadline expire and go to the next-best
    workshop. Safe on several workers (each offer is claimed by a conditional update)."""
    from scheduling.dispatch import expire_overdue

    return expire_overdue()


@shared_task(name="scheduling.detect_overruns")
def detect_overruns() -> int:
    """Celery beat, every five minutes: started work past its planned end is announced and
    re-planned even when nobody taps anything in the field app. Once per task."""
    from scheduling.overruns import detect_overruns as detect

    return len(detect())
