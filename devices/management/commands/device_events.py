"""`manage.py device_events`: listen to the ONVIF events of the cameras that send them, until SIGTERM or Ctrl-C."""

import signal
import threading

from django.core.management.base import BaseCommand

from devices.event_listener import EventListener


class Command(BaseCommand):
    help = ("Subscribe to the events of every camera with its events on that this process holds a lease on "
            "(run several for scale-out).")

    def handle(self, *args, **options) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        EventListener().run(stop)
