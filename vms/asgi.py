"""ASGI entry point: Django (pages, API, media) over HTTP and Channels consumers over websockets."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vms.settings")

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_application = get_asgi_application()

from django.conf import settings  # noqa: E402

from vms.routing import websocket_urlpatterns  # noqa: E402
from vms.ws_auth import TicketAuthMiddleware  # noqa: E402

if settings.RECORDER_IN_WEB or settings.ANALYTICS_IN_WEB or settings.EVENTS_IN_WEB or settings.REDIS_URL is None:
    import threading

    from analytics.worker import AnalyticsWorker
    from devices.event_listener import EventListener
    from recordings.recorder import Recorder
    from redaction.progress import ProgressRelay

    # Without Redis the channel layer is this process's memory: job progress saved by the Celery worker is
    # relayed from the database (see redaction.progress).
    for wanted, worker in ((settings.RECORDER_IN_WEB, Recorder), (settings.ANALYTICS_IN_WEB, AnalyticsWorker),
                           (settings.EVENTS_IN_WEB, EventListener), (settings.REDIS_URL is None, ProgressRelay)):
        if wanted:
            threading.Thread(target=worker().run, args=(threading.Event(),), name=worker.kind, daemon=True).start()

websockets = AuthMiddlewareStack(TicketAuthMiddleware(URLRouter(websocket_urlpatterns)))
application = ProtocolTypeRouter({"http": django_application, "websocket": AllowedHostsOriginValidator(websockets)})
