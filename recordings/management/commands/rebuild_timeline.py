"""`manage.py rebuild_timeline`: merge every camera's recorded spans again from its segments, after
VMS_TIMELINE_GAP_SECONDS changed (spans are merged with the tolerance of when their segments were indexed)."""

from django.core.management.base import BaseCommand

from recordings import recorded_spans


class Command(BaseCommand):
    help = "Merge every camera's recorded spans again from its segments (after VMS_TIMELINE_GAP_SECONDS changed)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{recorded_spans.rebuild()} recorded spans")
