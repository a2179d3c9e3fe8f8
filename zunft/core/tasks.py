from celery import shared_task

from zunft.core import services


@shared_task(name="core.roundtrip", bind=True)
def roundtrip(self, operation_id: int) -> None:
    services.do_roundtrip(operation_id, worker=self.request.hostname or "unknown")
