"""Celery tasks of invoicing: the daily dunning run (beat) and the month-end run (operation)."""

from celery import shared_task

from invoicing import dunning as dunning_service


@shared_task(name="invoicing.dunning")
def dunning() -> dict:
    """Daily by beat. Idempotent: a second run on the same day sends nothing new. Invoices whose
    e-mail the server refused when they were issued are sent again first."""
    from invoicing import delivery

    invoices_mailed = delivery.send_waiting()
    return {**dunning_service.run_dunning().as_dict(), "invoices_mailed": invoices_mailed}


@shared_task(name="invoicing.month_end", bind=True)
def month_end(self, operation_id: int) -> None:
    """Invoice all finished packages and settle the month with the members, with progress."""
    from invoicing import settlement

    settlement.do_month_end(operation_id, worker=self.request.hostname or "unknown")
