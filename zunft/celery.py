import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zunft.settings")

app = Celery("zunft")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
