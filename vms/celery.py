"""Celery application: finite jobs (retention now; redaction, export and re-analysis later)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vms.settings")

app = Celery("vms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
