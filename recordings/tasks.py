"""Celery tasks of recordings: periodic retention, and moves to the cold tier."""

from celery import shared_task

from recordings import mover, retention


@shared_task(name="recordings.tasks.apply_retention", ignore_result=True)
def apply_retention() -> int:
    return retention.apply_retention().deleted


@shared_task(name="recordings.tasks.move_to_cold", ignore_result=True)
def move_to_cold() -> int:
    return mover.move_to_cold().moved
