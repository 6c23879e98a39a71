"""The VMS Django project: settings, routes, ASGI and Celery wiring."""

from vms.celery import app as celery_app

__all__ = ["celery_app"]
