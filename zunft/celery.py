import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zunft.settings")

app = Celery("zunft")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class Heartbeat(bootsteps.StartStopStep):
    """Every worker tells /healthz that it is alive: a heartbeat in Redis, refreshed on the
    worker's own timer (see ``zunft.core.health``)."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.beat = None
        self.timer_entry = None

    def start(self, worker):
        from django.conf import settings

        from zunft.core.health import WorkerHeartbeat

        queues = list(worker.app.amqp.queues.consume_from or {}) or [
            worker.app.conf.task_default_queue
        ]
        self.beat = WorkerHeartbeat(worker.hostname, queues)
        self.beat()
        self.timer_entry = worker.timer.call_repeatedly(
            settings.HEALTH_WORKER_BEAT_SECONDS, self.beat
        )

    def stop(self, worker):
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        if self.beat is not None:
            self.beat.stop()
            self.beat = None


app.steps["worker"].add(Heartbeat)
