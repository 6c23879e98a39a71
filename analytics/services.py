"""Domain operations of the analytics: a camera's scene (zones and rules), events and their alarms,
acknowledging, counting, and webhook deliveries. The analytics workers, the API and the tasks call these."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from accounts import audit
from accounts.models import AuditAction
from analytics.choices import Condition, DeliveryStatus
from analytics.models import Alarm, Count, Event, Rule, WebhookDelivery, Zone
from devices import onvif, ptz_control, ptz_presets, relays, talk
from devices.choices import DeviceKind
from devices.models import Camera, DeviceEvent
from video.device_events import EventRuleSpec
from video.geometry import polygons_overlap
from video.ptz_view import aimed
from video.radar import coverage, from_plan
from video.rules import Crossing, RuleSpec, Schedule, ZoneSpec
from vms import outbound, realtime

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_SECONDS = 10
ANNOUNCEMENT_TASK = "analytics.tasks.play_announcement"


class AlreadyAcknowledged(Exception):
    pass


@dataclass(frozen=True)
class Scene:
    """What the analytics of one camera apply: its zones, its enabled rules and when each rule is active."""

    zones: tuple[ZoneSpec, ...]
    rules: tuple[RuleSpec, ...]
    schedules: dict[int, Schedule]
    signature: str
    followed: frozenset[int] = frozenset()  # the rules whose PTZ camera follows their object (a radar's)

    def active_rules(self, moment: datetime) -> set[int]:
        local = timezone.localtime(moment)
        return {rule_id for rule_id, schedule in self.schedules.items() if schedule.active_at(local)}


def scene_of(camera_id: int) -> Scene:
    zones = {zone.pk: ZoneSpec(zone.pk, zone.kind, tuple(tuple(point) for point in zone.points))
             for zone in Zone.objects.filter(camera_id=camera_id)}
    rules, schedules, followed = [], {}, set()
    for rule in Rule.objects.filter(camera_id=camera_id, enabled=True).exclude(
            condition=Condition.CAMERA_EVENT).order_by("pk"):
        if rule.ptz_follow and rule.ptz_camera_id:
            followed.add(rule.pk)
        rules.append(RuleSpec(
            id=rule.pk, condition=rule.condition, zone=zones.get(rule.zone_id),
            classes=frozenset(rule.object_classes), dwell_seconds=rule.dwell_seconds, direction=rule.direction,
            count_threshold=rule.count_threshold, min_duration=rule.min_duration_seconds,
            speed_kmh=rule.speed_kmh, heading_deg=rule.heading_deg, tolerance_deg=rule.tolerance_deg,
        ))
        schedules[rule.pk] = Schedule.parse(rule.schedule)
    signature = hashlib.sha256(repr((sorted(zones.items()), rules, sorted(schedules.items()),
                                     sorted(followed))).encode()).hexdigest()
    return Scene(tuple(zones.values()), tuple(rules), schedules, signature, frozenset(followed))


def camera_event_rules_of(camera_id: int) -> tuple[list[EventRuleSpec], dict[int, Schedule]]:
    """The enabled rules on a camera's own events, and when each is active."""
    rules, schedules = [], {}
    for rule in Rule.objects.filter(camera_id=camera_id, enabled=True, condition=Condition.CAMERA_EVENT).order_by("pk"):
        rules.append(EventRuleSpec(rule.pk, rule.event_kind, rule.event_topic,
                                   tuple(sorted((str(k), str(v)) for k, v in rule.event_items.items()))))
        schedules[rule.pk] = Schedule.parse(rule.schedule)
    return rules, schedules


def start_event(camera_id: int, rule_id: int, at: datetime, object_class: str, track_id: int | None,
                snapshot: bytes | None, device_event: DeviceEvent | None = None) -> Event | None:
    """Record that a rule fired (on a camera's own event: `device_event`); raise its alarm and call its webhook.
    None if the rule is gone."""
    rule = Rule.objects.filter(pk=rule_id).select_related("camera", "zone").first()
    if rule is None:
        return None
    with transaction.atomic():
        event = Event.objects.create(
            camera_id=camera_id, rule=rule, rule_name=rule.name, condition=rule.condition, started_at=at,
            object_class=object_class, track_id=track_id, snapshot=snapshot, device_event=device_event,
            keep_footage=rule.record_event,
            pre_roll_seconds=rule.pre_roll_seconds if rule.record_event else 0,
            post_roll_seconds=rule.post_roll_seconds if rule.record_event else 0,
        )
        if rule.raise_alarm:
            alarm = Alarm.objects.create(event=event, camera_id=camera_id, severity=rule.severity, raised_at=at)
            transaction.on_commit(lambda: publish_alarm_raised(alarm, rule))
        if rule.webhook_url:
            delivery = WebhookDelivery.objects.create(rule=rule, event=event, url=rule.webhook_url)
            transaction.on_commit(lambda: enqueue_delivery(delivery.pk))
        if rule.relay_output:
            transaction.on_commit(lambda: enqueue_relay(event.pk))
        if rule.ptz_camera_id:
            transaction.on_commit(lambda: enqueue_gatekeeper(event.pk))
        if rule.announcement_id:
            transaction.on_commit(lambda: current_app.send_task(ANNOUNCEMENT_TASK, (event.pk,)))
        # The other cameras whose footage of it is kept (those that see a radar's zone): an event of their own.
        Event.objects.bulk_create([
            Event(camera=camera, rule=rule, rule_name=rule.name, condition=rule.condition, started_at=at,
                  object_class=object_class, caused_by=event, keep_footage=True,
                  pre_roll_seconds=rule.pre_roll_seconds, post_roll_seconds=rule.post_roll_seconds)
            for camera in cameras_to_record(rule)])
    log.info("camera %s: rule %r fired (%s, track %s)", camera_id, rule.name, object_class or "-", track_id)
    return event


def cameras_to_record(rule: Rule) -> list[Camera]:
    """The other cameras whose footage of the rule's events is kept: those the admin named and, when asked, those
    placed on the radar's site plan whose view covers the rule's zone (as placed now: moved cameras count where they
    are)."""
    cameras = {camera.pk: camera for camera in rule.record_cameras.all()}
    if rule.ptz_camera is not None:  # the gatekeeper's view of the event is kept too
        cameras[rule.ptz_camera.pk] = rule.ptz_camera
    radar = rule.camera
    if rule.record_seeing_cameras and rule.zone is not None and radar.site_plan_id is not None:
        placed = Camera.objects.filter(kind=DeviceKind.CAMERA, site_plan_id=radar.site_plan_id, plan_x__isnull=False,
                                       plan_y__isnull=False).select_related("site_plan")
        cameras.update({camera.pk: camera for camera in placed if polygons_overlap(
            coverage(camera.plan_placement, camera.plan_range_m, camera.plan_fov), rule.zone.points)})
    return [cameras[pk] for pk in sorted(cameras) if pk != radar.pk]


def end_event(event_id: int, at: datetime, boxes: list[dict], snapshot: bytes | None) -> None:
    fields = {"ended_at": at, "boxes": boxes}
    if snapshot is not None:
        fields["snapshot"] = snapshot
    Event.objects.filter(pk=event_id).update(**fields)
    Event.objects.filter(caused_by_id=event_id).update(ended_at=at)


def publish_alarm_raised(alarm: Alarm, rule: Rule) -> None:
    event = alarm.event
    realtime.publish(realtime.camera_group(alarm.camera_id), "alarm.raised", {
        "id": alarm.pk, "camera": alarm.camera_id, "camera_name": rule.camera.name, "event": event.pk,
        "rule_name": rule.name, "severity": alarm.severity, "object_class": event.object_class,
        "raised_at": alarm.raised_at.isoformat(),
    })


def acknowledge(alarm: Alarm, user, comment: str, request=None) -> Alarm:
    """Mark the alarm seen by `user` (once), audit it and tell every operator's alarm list."""
    now = timezone.now()
    updated = Alarm.objects.filter(pk=alarm.pk, acknowledged_at=None).update(
        acknowledged_at=now, acknowledged_by=user, acknowledged_by_name=user.get_username(), comment=comment)
    if updated != 1:
        raise AlreadyAcknowledged
    alarm.refresh_from_db()
    audit.record(AuditAction.ALARM_ACKNOWLEDGED, request=request, user=user, camera=alarm.camera,
                 alarm=alarm.pk, event=alarm.event_id, rule=alarm.event.rule_name, comment=comment)
    realtime.publish(realtime.camera_group(alarm.camera_id), "alarm.cleared", {
        "id": alarm.pk, "camera": alarm.camera_id, "acknowledged_by": alarm.acknowledged_by_name,
        "acknowledged_at": now.isoformat(), "comment": comment,
    })
    return alarm


def add_counts(camera_id: int, crossings: list[Crossing], at: datetime) -> None:
    """Add crossings to their one-minute buckets (one statement, safe with several workers)."""
    if not crossings:
        return
    minute = at.replace(second=0, microsecond=0)
    table = Count._meta.db_table
    rows = Counter((crossing.zone_id, crossing.direction, crossing.label) for crossing in crossings)
    with connection.cursor() as cursor:
        for (zone_id, direction, label), n in rows.items():
            cursor.execute(
                f"INSERT INTO {table} (camera_id, zone_id, direction, object_class, minute, count)"  # noqa: S608
                " VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (zone_id, direction, object_class, minute)"
                f" DO UPDATE SET count = {table}.count + excluded.count",
                [camera_id, zone_id, direction, label, minute, n],
            )


def enqueue_delivery(delivery_id: int) -> None:
    from analytics.tasks import deliver_webhook

    deliver_webhook.delay(delivery_id)


def enqueue_relay(event_id: int) -> None:
    from analytics.tasks import pulse_relay

    pulse_relay.delay(event_id)


def enqueue_follow(event_id: int, point: tuple[float, float], first: bool) -> None:
    from analytics.tasks import follow_with_ptz

    follow_with_ptz.delay(event_id, point, first)


def enqueue_gatekeeper(event_id: int) -> None:
    from analytics.tasks import send_ptz_camera

    send_ptz_camera.delay(event_id)


@dataclass(frozen=True)
class Hold:
    """A gatekeeper's hold of a PTZ camera: whether it may go home is seen `seconds` from now (unless renewed), and
    it goes home once for the alarm's control `session`."""

    camera_id: int
    rule_name: str
    seconds: float
    session: str


# How long a hold's trip home is remembered, against a second check sending it home again.
HOME_SENT_KEEP_SECONDS = 3600


def send_ptz_camera(event_id: int) -> Hold | None:
    """Gatekeeper: send the rule's PTZ camera to its preset and hold it there for the rule's hold time (an alarm's
    control of it: operators cannot steer it away; an admin steering it keeps it). Returns the camera, the rule's name
    and in how many seconds to see whether it may go home; None when it was not sent."""
    event = Event.objects.select_related("rule__ptz_camera").filter(pk=event_id).first()
    if event is None or event.rule is None or event.rule.ptz_camera is None:
        return None
    rule, camera = event.rule, event.rule.ptz_camera
    held = ptz_control.take_for_alarm(camera, f"rule {rule.name}", rule.ptz_hold_seconds)
    if held is None:
        return None
    if rule.ptz_follow:
        return Hold(camera.pk, rule.name, rule.ptz_hold_seconds, held.session)  # the analytics turn it to the object
    try:
        ptz_presets.go_to(camera, rule.ptz_preset, rule=rule.name, event=event.pk)
    except onvif.OnvifError as exc:
        log.warning("camera %s: rule %r could not send it to preset %s: %s", camera.pk, rule.name, rule.ptz_preset,
                    exc.message)
    return Hold(camera.pk, rule.name, rule.ptz_hold_seconds, held.session)


def play_announcement(event_id: int) -> None:
    """Play the announcement of the rule that made the event on its camera's speaker (the rule's own camera unless
    it names another); audited, played or not."""
    event = Event.objects.select_related("rule__announcement", "rule__announcement_camera", "camera").filter(
        pk=event_id).first()
    if event is None or event.rule is None or event.rule.announcement is None:
        return
    rule = event.rule
    talk.play_announcement(rule.announcement_camera or event.camera, rule.announcement, rule=rule.name,
                           event=event.pk)


# How wide a scene a PTZ camera following an object shows around it, at the object's distance: a person or a car
# with room around them.
FOLLOW_VIEW_M = 10.0


def follow_with_ptz(event_id: int, point: tuple[float, float], first: bool) -> Hold | None:
    """Gatekeeper following a radar's object: point the rule's PTZ camera at the object's place on the site plan
    (`point`, fractions of the plan) from where the camera stands on it (its home view pointing the way it is
    placed), zoomed so that FOLLOW_VIEW_M of the scene there fills the picture, and hold it as send_ptz_camera does;
    the first turn of an event is audited. Returns as send_ptz_camera."""
    event = Event.objects.select_related("rule__ptz_camera__site_plan").filter(pk=event_id).first()
    if event is None or event.rule is None or event.rule.ptz_camera is None or not event.rule.ptz_follow:
        return None
    rule, camera = event.rule, event.rule.ptz_camera
    placement = camera.plan_placement
    held = ptz_control.take_for_alarm(camera, f"rule {rule.name}", rule.ptz_hold_seconds) if placement else None
    if held is None:
        return None
    right, ahead = from_plan(placement, *point)
    width = 2 * math.degrees(math.atan2(FOLLOW_VIEW_M / 2, max(math.hypot(right, ahead), 1.0)))
    pan, zoom = aimed(math.degrees(math.atan2(right, ahead)), width, camera.ptz_optics)
    try:
        ptz_presets.point_at(camera, pan, zoom, audited=first, rule=rule.name, event=event.pk)
    except onvif.OnvifError as exc:
        log.warning("camera %s: rule %r could not turn it towards its object: %s", camera.pk, rule.name, exc.message)
    return Hold(camera.pk, rule.name, rule.ptz_hold_seconds, held.session)


def return_ptz_home(camera_id: int, rule_name: str, session: str = "") -> None:
    """Gatekeeper: the hold is over unless a later event renewed it (its own check comes later) or someone steers
    the camera now: then it goes home, once for the alarm's control `session` however many checks find it over."""
    camera = Camera.objects.filter(pk=camera_id).first()
    if camera is None or ptz_control.holder_of(camera) is not None:
        return
    if session and not cache.add(f"vms:ptz-home:{camera_id}:{session}", True, HOME_SENT_KEEP_SECONDS):
        return
    try:
        ptz_presets.go_home(camera, rule=rule_name)
    except onvif.OnvifError as exc:
        log.warning("camera %s: could not send it home after rule %r: %s", camera_id, rule_name, exc.message)


def switch_relay_on(event_id: int) -> tuple[int, str, float] | None:
    """Switch on the relay output of the rule that made the event: its own camera's, or the device the rule names.
    Returns which device's output to switch off and in how many seconds; None when none was switched on (the rule
    or its relay is gone, or the device refused)."""
    event = Event.objects.select_related("rule__relay_device", "camera").filter(pk=event_id).first()
    if event is None or event.rule is None or not event.rule.relay_output:
        return None
    rule = event.rule
    device = rule.relay_device or event.camera
    if relays.switch(device, rule.relay_output, True, rule=event.rule_name, event=event.pk) is not None:
        return None
    return device.pk, rule.relay_output, rule.relay_seconds


def switch_relay_off(event_id: int, token: str, device_id: int | None) -> None:
    """Switch off the output a rule switched on for the event, on `device_id` (None, from a release queued before
    rules could name another device: the event's camera)."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        return
    device = Camera.objects.filter(pk=device_id or event.camera_id).first()
    if device is not None:
        relays.switch(device, token, False, rule=event.rule_name, event=event.pk)


def signature_of(secret: str, body: bytes) -> str:
    """The X-VMS-Signature header: sha256=<hex HMAC-SHA256 of the body with the rule's secret>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(event: Event) -> bytes:
    return json.dumps({
        "event": event.pk, "camera": event.camera_id, "camera_name": event.camera.name,
        "rule": event.rule_id, "rule_name": event.rule_name, "condition": event.condition,
        "object_class": event.object_class, "track": event.track_id, "started_at": event.started_at.isoformat(),
        "alarm": getattr(event, "alarm", None) and event.alarm.pk,
    }, separators=(",", ":")).encode()


def deliver(delivery_id: int) -> bool:
    """POST the event to the rule's webhook once; log the attempt. True when delivered (or nothing to do).

    The log keeps the status code and our own words for it, never what the receiver sent back: the receiver may
    not be who the rule's author thinks, and its answer is not theirs to read."""
    delivery = WebhookDelivery.objects.select_related("rule", "event__camera").filter(pk=delivery_id).first()
    if delivery is None or delivery.status == DeliveryStatus.DELIVERED:
        return True
    body = webhook_body(delivery.event)
    headers = {"Content-Type": "application/json", "User-Agent": "vms-webhook/1",
               "X-VMS-Event": str(delivery.event_id)}
    secret = delivery.rule.webhook_secret
    if secret:
        headers["X-VMS-Signature"] = signature_of(secret, body)
    delivery.attempts += 1
    given_up = False
    try:
        # The destination is checked again now: the name may resolve elsewhere than when the rule was saved.
        code = outbound.post(delivery.url, body, headers, WEBHOOK_TIMEOUT_SECONDS, settings.OUTBOUND_ALLOW)
    except (outbound.DestinationDenied, ValueError) as exc:
        delivery.error, given_up = f"Not sent: {exc}", True
    except OSError as exc:
        delivery.error = f"Could not reach the receiver: {exc}"
    else:
        delivery.response_code = code
        if 200 <= code < 300:
            delivery.status, delivery.error, delivery.delivered_at = DeliveryStatus.DELIVERED, "", timezone.now()
        elif 300 <= code < 400:
            delivery.error, given_up = (f"The receiver answered {_status_words(code)}, a redirect; webhooks do not "
                                        "follow redirects. Set the rule's webhook URL to the final address."), True
        else:
            delivery.error = f"The receiver answered {_status_words(code)}"
    if delivery.status != DeliveryStatus.DELIVERED and (given_up or delivery.attempts >= settings.WEBHOOK_ATTEMPTS):
        delivery.status = DeliveryStatus.FAILED
        log.warning("webhook of rule %s failed after %d attempts: %s", delivery.rule_id, delivery.attempts,
                    delivery.error)
    delivery.save()
    return delivery.status != DeliveryStatus.PENDING


def _status_words(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def footage_windows(camera_id: int, since: datetime, until: datetime, now: datetime) -> list[tuple[datetime, datetime]]:
    """Spans of a camera's footage that events keep (pre-roll before, post-roll after; open events to `now`)."""
    windows = []
    events = Event.objects.filter(camera_id=camera_id, keep_footage=True, started_at__lte=until + timedelta(hours=1))
    for started, ended, pre, post in events.exclude(ended_at__lt=since - timedelta(hours=1)).values_list(
            "started_at", "ended_at", "pre_roll_seconds", "post_roll_seconds"):
        windows.append((started - timedelta(seconds=pre), (ended or now) + timedelta(seconds=post)))
    return windows
