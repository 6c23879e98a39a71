"""A camera's own ONVIF events, end to end: the event listener subscribes to a camera stand-in with an ONVIF event
service (tests/standins/onvif_event_camera.py) on 127.0.0.1, keeps what it reports, and fires the rules on it;
the subscription is renewed, and made again when the camera restarts or refuses a renewal."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import Alarm, Event, Rule
from devices.event_listener import EventListener
from devices.models import Camera, DeviceEvent
from tests.recording_checks import running, wait_for
from tests.standins.onvif_event_camera import OnvifEventCamera

pytestmark = pytest.mark.django_db(transaction=True)

LINE_CROSSED = "tns1:RuleEngine/LineDetector/Crossed"
DIGITAL_INPUT = "tns1:Device/Trigger/DigitalInput"
MOTION = "tns1:VideoSource/MotionAlarm"


def camera_of(device: OnvifEventCamera, password: str | None = None) -> Camera:
    """The stand-in as a camera of the VMS, with its events on."""
    camera = Camera.objects.create(name="Gate", main_url="rtsp://127.0.0.1:8554/gate", username=device.username,
                                   onvif_host=device.host, onvif_port=device.port, listen_events=True)
    camera.password = device.password if password is None else password
    camera.save()
    return camera


@pytest.fixture
def device(onvif_event_camera):
    return onvif_event_camera


@pytest.fixture
def listened(settings, device):
    """The stand-in as a camera of the VMS, and a listener process running."""
    settings.RECORDER_LEASE_SECONDS = 3.0
    settings.EVENT_SUBSCRIPTION_SECONDS = 4.0
    camera = camera_of(device)
    with running(EventListener(tick_seconds=0.5)):
        wait_for(lambda: device.live_subscriptions, 30, "the listener to subscribe")
        yield camera


def reported(camera: Camera, topic: str, **fields) -> DeviceEvent:
    return wait_for(lambda: DeviceEvent.objects.filter(camera=camera, topic=topic, **fields).first(), 30,
                    f"{topic} {fields} to arrive")


@pytest.mark.parametrize(("topic", "kind"), [
    (MOTION, "motion"), ("tns1:RuleEngine/CellMotionDetector/Motion", "motion"),
    ("tns1:VideoSource/GlobalSceneChange/ImagingService", "tamper"), (DIGITAL_INPUT, "digital_input"),
    (LINE_CROSSED, "line_crossing"), ("tns1:RuleEngine/FieldDetector/ObjectsInside", "field"),
    ("tns1:RuleEngine/LoiteringDetector/ObjectIsLoitering", "loitering"),
    ("tnsaxis:CameraApplicationPlatform/ObjectAnalytics/Device1Scenario1", "other"),
])
def test_each_topic_arrives_as_an_event_of_its_kind(listened, device, topic, kind):
    device.publish(topic, {"Source": "1"}, {"State": "true", "Note": "seen"})
    event = reported(listened, topic)
    assert event.kind == kind and event.state is True
    assert event.source == {"Source": "1"} and event.data == {"State": "true", "Note": "seen"}


def test_a_camera_side_line_crossing_and_a_digital_input_fire_their_rules(listened, device):
    crossing = Rule.objects.create(camera=listened, name="Fence crossed", condition="camera_event",
                                   event_kind="line_crossing", severity=3)
    door = Rule.objects.create(camera=listened, name="Door open", condition="camera_event",
                               event_topic="tns1:Device/Trigger", event_items={"InputToken": "1"}, raise_alarm=False)
    device.publish(LINE_CROSSED, {"VideoSource": "vs1", "Rule": "Fence"}, {"ObjectId": "12"}, operation=None)
    fired = wait_for(lambda: Event.objects.filter(rule=crossing).first(), 30, "the crossing rule to fire")
    assert fired.ended_at == fired.started_at, "a crossing has no duration"
    assert fired.object_class == "line_crossing" and fired.device_event.data == {"ObjectId": "12"}
    assert Alarm.objects.filter(event=fired, severity=3).exists()

    device.publish(DIGITAL_INPUT, {"InputToken": "2"}, {"LogicalState": "true"})
    device.publish(DIGITAL_INPUT, {"InputToken": "1"}, {"LogicalState": "true"})
    opened = wait_for(lambda: Event.objects.filter(rule=door).first(), 30, "the door rule to fire")
    assert opened.ended_at is None and not Event.objects.filter(rule=door).exclude(pk=opened.pk).exists()
    device.publish(DIGITAL_INPUT, {"InputToken": "1"}, {"LogicalState": "false"})
    wait_for(lambda: Event.objects.get(pk=opened.pk).ended_at, 30, "the door rule to end")


def test_events_survive_a_camera_restart_and_a_refused_renewal(listened, device):
    device.publish(MOTION, {"Source": "1"}, {"State": "true"})
    reported(listened, MOTION, state=True)
    first = device.subscriptions_created
    device.restart()
    # The listener subscribes again; the new subscription starts with the camera's states (Initialized), which
    # repeat what is known and are not kept twice.
    wait_for(lambda: device.subscriptions_created > first and device.live_subscriptions, 30,
             "a new subscription after the restart")
    device.publish(MOTION, {"Source": "1"}, {"State": "false"})
    reported(listened, MOTION, state=False)
    assert DeviceEvent.objects.filter(topic=MOTION, state=True).count() == 1

    renewed = device.renewals
    wait_for(lambda: device.renewals > renewed, 30, "a renewal")
    device.fail_renewals = True
    again = device.subscriptions_created
    wait_for(lambda: device.subscriptions_created > again, 30, "a new subscription after a refused renewal")
    device.fail_renewals = False
    device.publish(DIGITAL_INPUT, {"InputToken": "3"}, {"LogicalState": "true"})
    reported(listened, DIGITAL_INPUT)
    assert Camera.objects.get(pk=listened.pk).events_error == ""


def test_an_event_is_placed_on_our_clock_when_the_cameras_is_off(listened, device):
    device.clock_offset = 3600.0
    device.publish(MOTION, {"Source": "1"}, {"State": "true"})
    event = reported(listened, MOTION)
    assert abs((event.at - timezone.now()).total_seconds()) < 60
    assert abs(event.camera_time - event.at - timedelta(hours=1)) < timedelta(seconds=60)


def test_a_malformed_event_is_logged_and_the_next_one_is_kept(listened, device, caplog):
    caplog.set_level(logging.WARNING, logger="devices.event_listener")
    device.publish_raw('<tt:Message UtcTime="whenever"><tt:Data/></tt:Message>')
    device.publish_raw("<tt:Other/>")
    device.publish(MOTION, {"Source": "1"}, {"State": "true"})
    reported(listened, MOTION)
    ignored = [r.getMessage() for r in caplog.records if "ignored an event" in r.getMessage()]
    assert len(ignored) == 2 and "is not a time" in ignored[0] and "expected a tt:Message" in ignored[1]
    assert DeviceEvent.objects.count() == 1


def test_a_camera_naming_another_host_for_its_services_is_still_talked_to_where_it_was_checked(settings, device):
    """A camera names the addresses of its event service and subscriptions itself; the listener must not follow it
    to another host (one behind NAT, or one it wants the server to reach): the port and path are the camera's,
    the host the one the admin gave and the outbound policy checked."""
    settings.RECORDER_LEASE_SECONDS = 3.0
    settings.EVENT_SUBSCRIPTION_SECONDS = 4.0
    device.advertised_host = "192.0.2.1"  # TEST-NET-1: nothing answers there
    camera = camera_of(device)
    with running(EventListener(tick_seconds=0.5)):
        wait_for(lambda: device.live_subscriptions, 30, "the listener to subscribe")
        device.publish(MOTION, {"Source": "1"}, {"State": "true"})
        reported(camera, MOTION)


def test_a_wrong_password_is_shown_on_the_camera(settings, device):
    settings.RECORDER_LEASE_SECONDS = 3.0
    camera = camera_of(device, password="not it")
    with running(EventListener(tick_seconds=0.5)):
        error = wait_for(lambda: Camera.objects.get(pk=camera.pk).events_error, 30, "the error to show")
    assert "Wrong username or password" in error
