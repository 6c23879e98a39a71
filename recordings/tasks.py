"""Celery tasks of recordings: periodic retention."""

from celery import shared_task

from recordings import retention


@shared_task(name="recordings.tasks.apply_retention", ignore_result=True)
def apply_retention() -> int:
    return retention.apply_retention().deleted
