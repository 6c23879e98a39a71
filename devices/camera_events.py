"""A camera's own events as they arrive: kept, shown to whoever watches the camera, and matched against the
camera's rules on its events (which raise the VMS's events and alarms like any other rule)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from analytics import services
from analytics.choices import Condition
from analytics.models import Event
from devices.models import DeviceEvent
from video.device_events import DeviceEvent as Reported
from video.device_events import EventRuleEngine, condition_key
from vms import realtime

log = logging.getLogger(__name__)


class CameraEvents:
    """What one camera reported, taken in one batch at a time (`take`), in the order the camera sent it."""

    def __init__(self, camera_id: int) -> None:
        self.camera_id = camera_id
        # The last state kept per condition: a new subscription's Initialized messages repeat what is known.
        self.states: dict[str, bool | None] = {}
        # The VMS events still going on, by (rule, condition): a listener that restarts ends them when it may.
        self.open: dict[tuple[int, str], int] = {}
        ended_without_rule = []
        for event in Event.objects.filter(camera_id=camera_id, condition=Condition.CAMERA_EVENT, ended_at=None,
                                          device_event__isnull=False).select_related("device_event"):
            if event.rule_id is None:
                ended_without_rule.append(event.pk)
                continue
            key = condition_key(event.device_event.topic, event.device_event.source)
            self.open[(event.rule_id, key)] = event.pk
        Event.objects.filter(pk__in=ended_without_rule).update(ended_at=timezone.now())
        self.engine = EventRuleEngine([], set(self.open))

    def take(self, reported: list[Reported], clock_offset: timedelta) -> None:
        """Keep and act on events the camera reported; `clock_offset` is how far ahead of ours its clock is."""
        rules, schedules = services.camera_event_rules_of(self.camera_id)
        self.engine.rules = rules
        for event in reported:
            at = event.at - clock_offset
            key = condition_key(event.topic, event.source)
            repeated = event.operation == "Initialized" and self.states.get(key, ...) == event.state
            self.states[key] = event.state
            local = timezone.localtime(at)
            update = self.engine.feed(event, active={r for r, s in schedules.items() if s.active_at(local)})
            row = None
            if not repeated or update.started:
                row = self._keep(event, at)
            for rule_id, condition in update.started:
                started = services.start_event(self.camera_id, rule_id, at, event.kind, None, None, device_event=row)
                if started is not None:
                    self.open[(rule_id, condition)] = started.pk
            for rule_id, condition in update.ended:
                event_id = self.open.pop((rule_id, condition), None)
                if event_id is not None:
                    services.end_event(event_id, at, [], None)

    def _keep(self, event: Reported, at: datetime) -> DeviceEvent:
        row = DeviceEvent.objects.create(
            camera_id=self.camera_id, at=at, camera_time=event.at, topic=event.topic, kind=event.kind,
            operation=event.operation, state=event.state, source=event.source, data=event.data)
        realtime.publish(realtime.camera_group(self.camera_id), "device.event", {
            "id": row.pk, "camera": self.camera_id, "at": at.isoformat(), "topic": event.topic, "kind": event.kind,
            "state": event.state, "source": event.source, "data": event.data,
        })
        log.info("camera %s reported %s (%s)%s", self.camera_id, event.topic, event.kind,
                 "" if event.state is None else f": {'on' if event.state else 'off'}")
        return row
