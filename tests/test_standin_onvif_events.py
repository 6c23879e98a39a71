"""The ONVIF event camera stand-in (tests/standins/onvif_event_camera.py) against onvif-zeep-async, the client the
VMS uses, called the way Home Assistant calls it: subscribe, pull, property states, authentication, renewals,
a reboot, an outage and a camera clock that is off."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from onvif import ONVIFCamera
from onvif.managers import PullPointManager
from onvif.util import is_auth_error
from zeep.exceptions import Fault

from tests.standins.onvif_event_camera import OnvifEventCamera

pytestmark = pytest.mark.asyncio

MOTION = "tns1:VideoSource/MotionAlarm"
DIGITAL_INPUT = "tns1:Device/Trigger/DigitalInput"
LINE_CROSSED = "tns1:RuleEngine/LineDetector/Crossed"
INTERVAL = dt.timedelta(seconds=60)
CONCRETE_SET = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"


@pytest.fixture
def camera() -> Iterator[OnvifEventCamera]:
    with OnvifEventCamera(password="s3cret-events") as camera:
        yield camera


async def connect(camera: OnvifEventCamera, password: str | None = None) -> ONVIFCamera:
    device = ONVIFCamera(
        camera.host, camera.port, camera.username, password or camera.password, no_cache=True, adjust_time=True
    )
    await device.update_xaddrs()
    return device


@pytest.fixture
async def device(camera: OnvifEventCamera) -> AsyncIterator[ONVIFCamera]:
    device = await connect(camera)
    yield device
    await device.close()


@pytest.fixture
async def manager(device: ONVIFCamera) -> AsyncIterator[PullPointManager]:
    manager = await device.create_pullpoint_manager(INTERVAL, lambda: None)
    yield manager
    await manager.shutdown()


async def pull(manager: PullPointManager, seconds: float = 1, limit: int = 100) -> list[Any]:
    service = manager.get_service()
    result = await service.PullMessages({"MessageLimit": limit, "Timeout": dt.timedelta(seconds=seconds)})
    return result.NotificationMessage


def simple_items(item_list: Any) -> dict[str, str]:
    return {item.Name: item.Value for item in item_list.SimpleItem}


def near(moment: dt.datetime, expected: dt.datetime, seconds: float = 5) -> bool:
    return abs((moment - expected).total_seconds()) < seconds


def subcodes(fault: Fault) -> list[str]:
    return [subcode.text for subcode in fault.subcodes]


async def test_pulls_a_published_motion_event(camera: OnvifEventCamera, manager: PullPointManager) -> None:
    assert await pull(manager) == []  # nothing published yet: the pull waits out its second

    camera.publish(MOTION, {"Source": "VideoSourceToken"}, {"State": "true"})
    [notification] = await pull(manager)

    assert notification.Topic._value_1 == MOTION
    assert notification.Topic.Dialect == CONCRETE_SET
    message = notification.Message._value_1  # tt:Message, parsed by zeep from onvif.xsd
    assert near(message.UtcTime, dt.datetime.now(dt.UTC))
    assert message.PropertyOperation == "Changed"
    assert simple_items(message.Source) == {"Source": "VideoSourceToken"}
    assert simple_items(message.Data) == {"State": "true"}
    assert camera.subscriptions_created == 1
    assert camera.live_subscriptions == [f"http://127.0.0.1:{camera.port}/onvif/subscription/1"]


async def test_a_pull_waits_for_an_event_and_returns_at_most_its_limit(
    camera: OnvifEventCamera, manager: PullPointManager
) -> None:
    asyncio.get_running_loop().call_later(0.3, camera.publish, MOTION, {"Source": "1"}, {"State": "true"})
    started = time.monotonic()
    assert len(await pull(manager, seconds=5)) == 1
    assert time.monotonic() - started < 2

    for state in ("false", "true", "false"):
        camera.publish(MOTION, {"Source": "1"}, {"State": state})
    assert [simple_items(n.Message._value_1.Data)["State"] for n in await pull(manager, limit=2)] == ["false", "true"]
    assert [simple_items(n.Message._value_1.Data)["State"] for n in await pull(manager, limit=2)] == ["false"]


async def test_new_subscriptions_and_synchronization_points_get_the_property_states(
    camera: OnvifEventCamera, device: ONVIFCamera
) -> None:
    camera.publish(MOTION, {"Source": "VideoSourceToken"}, {"State": "true"})
    camera.publish(DIGITAL_INPUT, {"InputToken": "DI1"}, {"LogicalState": "false"})
    camera.publish(DIGITAL_INPUT, {"InputToken": "DI2"}, {"LogicalState": "true"})
    camera.publish(DIGITAL_INPUT, {"InputToken": "DI2"}, {"LogicalState": "true"}, operation="Deleted")
    camera.publish(LINE_CROSSED, {"Rule": "Gate"}, {"ObjectId": "7"}, operation=None)  # an event, not a state

    manager = await device.create_pullpoint_manager(INTERVAL, lambda: None)
    try:
        initial = await pull(manager)
        assert [(n.Topic._value_1, n.Message._value_1.PropertyOperation) for n in initial] == [
            (MOTION, "Initialized"),
            (DIGITAL_INPUT, "Initialized"),
        ]
        assert simple_items(initial[1].Message._value_1.Data) == {"LogicalState": "false"}

        await manager.get_service().SetSynchronizationPoint()
        again = await pull(manager)
        assert [n.Message._value_1.PropertyOperation for n in again] == ["Initialized", "Initialized"]
    finally:
        await manager.shutdown()
    assert camera.live_subscriptions == []  # shutdown() unsubscribed


async def test_a_wrong_password_is_an_authentication_fault(camera: OnvifEventCamera) -> None:
    device = ONVIFCamera(camera.host, camera.port, camera.username, "wrong", no_cache=True, adjust_time=True)
    try:
        with pytest.raises(Fault) as raised:
            await device.update_xaddrs()
        assert device.dt_diff is not None  # GetSystemDateAndTime needs no password
    finally:
        await device.close()
    assert is_auth_error(raised.value)
    assert subcodes(raised.value) == ["{http://www.onvif.org/ver10/error}NotAuthorized"]


async def test_renewals_and_a_reboot(camera: OnvifEventCamera, device: ONVIFCamera, manager: PullPointManager) -> None:
    subscription = await device.create_subscription_service("PullPointSubscription")
    renewed = await subscription.Renew("PT120S")
    assert renewed.TerminationTime - renewed.CurrentTime == dt.timedelta(seconds=120)
    assert camera.renewals == 1

    camera.fail_renewals = True
    with pytest.raises(Fault):
        await subscription.Renew("PT60S")
    camera.fail_renewals = False

    camera.restart()
    with pytest.raises(Fault) as raised:
        await pull(manager)
    assert subcodes(raised.value) == ["{http://docs.oasis-open.org/wsrf/rw-2}ResourceUnknownFault"]
    with pytest.raises(Fault):
        await subscription.Renew("PT60S")
    assert camera.live_subscriptions == []

    replacement = await device.create_pullpoint_manager(INTERVAL, lambda: None)
    try:
        camera.publish(MOTION, {"Source": "1"}, {"State": "true"})
        assert len(await pull(replacement)) == 1
    finally:
        await replacement.shutdown()
    assert camera.subscriptions_created == 2


async def test_a_subscription_expires_unless_renewed(camera: OnvifEventCamera, device: ONVIFCamera) -> None:
    events = await device.create_events_service()
    created = await events.CreatePullPointSubscription({"InitialTerminationTime": "PT1S"})
    address = created.SubscriptionReference.Address._value_1
    assert camera.live_subscriptions == [address]
    await asyncio.sleep(1.2)
    assert camera.live_subscriptions == []


async def test_the_camera_clock_is_off(camera: OnvifEventCamera) -> None:
    offset = dt.timedelta(hours=-3, minutes=-7)
    camera.clock_offset = offset.total_seconds()
    device = await connect(camera)
    manager = await device.create_pullpoint_manager(INTERVAL, lambda: None)
    try:
        assert near(dt.datetime.now(dt.UTC) + device.dt_diff, dt.datetime.now(dt.UTC) + offset)
        camera.publish(MOTION, {"Source": "1"}, {"State": "true"})
        result = await manager.get_service().PullMessages({"MessageLimit": 10, "Timeout": dt.timedelta(seconds=1)})
        camera_now = dt.datetime.now(dt.UTC) + offset
        assert near(result.CurrentTime, camera_now)
        assert near(result.NotificationMessage[0].Message._value_1.UtcTime, camera_now)

        # An absolute termination time is read on the camera's clock.
        subscription = await device.create_subscription_service("PullPointSubscription")
        until = (camera_now + dt.timedelta(seconds=90)).replace(microsecond=0)
        renewed = await subscription.Renew(until.isoformat().replace("+00:00", "Z"))
        assert renewed.TerminationTime == until
    finally:
        await manager.shutdown()
        await device.close()


async def test_an_offline_camera_refuses_connections_and_comes_back_on_its_port(
    camera: OnvifEventCamera, manager: PullPointManager
) -> None:
    port = camera.port
    camera.stop()
    with pytest.raises(aiohttp.ClientConnectorError):
        await pull(manager)

    camera.start()
    assert camera.port == port
    camera.publish(MOTION, {"Source": "1"}, {"State": "true"})
    assert len(await pull(manager)) == 1  # an outage is not a reboot: the subscription lived on


async def test_device_information_and_event_properties(device: ONVIFCamera) -> None:
    information = await (await device.create_devicemgmt_service()).GetDeviceInformation()
    assert information.Model == "OnvifEventCamera"

    properties = await (await device.create_events_service()).GetEventProperties()
    topics = {element.tag: element for element in properties.TopicSet._value_1}
    motion_alarm = topics["{http://www.onvif.org/ver10/topics}VideoSource"].find("MotionAlarm")
    assert motion_alarm.get("{http://docs.oasis-open.org/wsn/t-1}topic") == "true"
    description = motion_alarm.find("{http://www.onvif.org/ver10/schema}MessageDescription")
    assert description.get("IsProperty") == "true"
