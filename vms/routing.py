"""Websocket routes under /ws/."""

from django.urls import path

from devices.consumers import TalkConsumer
from recordings.consumers import LiveConsumer
from redaction.consumers import JobProgressConsumer
from vms.consumers import CameraConsumer, CameraListConsumer

websocket_urlpatterns = [
    path("ws/cameras/", CameraListConsumer.as_asgi()),
    path("ws/live/<int:camera_id>/", LiveConsumer.as_asgi()),
    path("ws/cameras/<int:camera_id>/", CameraConsumer.as_asgi()),
    path("ws/jobs/", JobProgressConsumer.as_asgi()),
    path("ws/talk/<int:camera_id>/", TalkConsumer.as_asgi()),
]
