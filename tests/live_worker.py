"""The live stack's Celery worker for the suite (``celery -A tests.live_worker worker``): the
project's Celery app, forgetting Django's cached content types before each task, for the
reason given in ``tests.live_asgi``."""

from celery.signals import task_prerun

from zunft.celery import app

__all__ = ["app"]


@task_prerun.connect(weak=False)
def _forget_content_types(**_kwargs):
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
