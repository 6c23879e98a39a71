"""Reading a camera's ONVIF event notifications and matching rules on them: pure, without a camera."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from video.device_events import (
    DeviceEvent,
    EventRuleEngine,
    EventRuleSpec,
    MalformedEvent,
    kind_of,
    parse_notification,
)

TT = "http://www.onvif.org/ver10/schema"


def message(data: dict[str, str], source: dict[str, str] | None = None, *, operation: str | None = "Changed",
            time: str = "2026-12-04T10:00:00.250Z") -> str:
    def items(values: dict[str, str]) -> str:
        return "".join(f'<tt:SimpleItem Name="{k}" Value="{v}"/>' for k, v in values.items())

    op = f' PropertyOperation="{operation}"' if operation else ""
    return (f'<tt:Message xmlns:tt="{TT}" UtcTime="{time}"{op}>'
            f"<tt:Source>{items(source or {'VideoSourceConfigurationToken': 'vsc1'})}</tt:Source>"
            f"<tt:Data>{items(data)}</tt:Data></tt:Message>")


@pytest.mark.parametrize(("topic", "kind"), [
    ("tns1:VideoSource/MotionAlarm", "motion"),
    ("tns1:RuleEngine/CellMotionDetector/Motion", "motion"),
    ("tns1:VideoSource/GlobalSceneChange/ImagingService", "tamper"),
    ("tns1:VideoSource/ImageTooDark/ImagingService", "tamper"),
    ("tns1:VideoSource/ImageTooBlurry/AnalyticsService", "tamper"),
    ("tns1:Device/Trigger/DigitalInput", "digital_input"),
    ("tns1:RuleEngine/LineDetector/Crossed", "line_crossing"),
    ("tns1:RuleEngine/FieldDetector/ObjectsInside", "field"),
    ("tns1:RuleEngine/LoiteringDetector/ObjectIsLoitering", "loitering"),
    ("tns1:RuleEngine/CountAggregation/Counter", "object_counting"),
    ("tnsaxis:CameraApplicationPlatform/VMD/Camera1Profile1", "other"),
    ("tns1:VideoSource/tnsaxis:Thermometry/TemperatureDetection", "temperature"),
    ("tns1:RuleEngine/Radiometry/BoxTemperatureReading", "temperature"),
    ("tns1:Device/tnsvendor:Sensor/TemperatureAlarm", "temperature"),
    ("tns1:VideoSource/MotionAlarmed", "other"),  # a prefix of a name is not the topic
])
def test_each_common_topic_gets_its_kind(topic, kind):
    assert kind_of(topic) == kind


def test_a_motion_notification_reads_as_a_state_with_its_source_and_time():
    event = parse_notification("tns1:RuleEngine/CellMotionDetector/Motion", message({"IsMotion": "true"}))
    assert event.kind == "motion" and event.state is True and event.operation == "Changed"
    assert event.at == datetime(2026, 12, 4, 10, 0, 0, 250000, tzinfo=UTC)
    assert event.source == {"VideoSourceConfigurationToken": "vsc1"}
    assert parse_notification("tns1:VideoSource/MotionAlarm", message({"State": "false"})).state is False


def test_a_line_crossing_is_a_one_off_happening():
    event = parse_notification("tns1:RuleEngine/LineDetector/Crossed",
                               message({"ObjectId": "17"}, {"Rule": "Gate"}, operation=None))
    assert event.state is None and not event.is_property and event.data == {"ObjectId": "17"}


def test_a_time_without_a_zone_is_utc_and_a_deleted_property_no_longer_holds():
    event = parse_notification("tns1:Device/Trigger/DigitalInput", message(
        {"LogicalState": "true"}, {"InputToken": "1"}, operation="Deleted", time="2026-12-04T10:00:00"))
    assert event.at.tzinfo is UTC and event.state is False


@pytest.mark.parametrize(("topic", "xml", "why"), [
    ("tns1:VideoSource/MotionAlarm", "<tt:Message", "not XML"),
    ("tns1:VideoSource/MotionAlarm", f'<tt:Other xmlns:tt="{TT}" UtcTime="2026-12-04T10:00:00Z"/>', "expected"),
    ("tns1:VideoSource/MotionAlarm", message({"State": "true"}, time=""), "no UtcTime"),
    ("tns1:VideoSource/MotionAlarm", message({"State": "true"}, time="yesterday"), "not a time"),
    ("tns1:VideoSource/MotionAlarm", message({"State": "true"}, operation="Sometimes"), "PropertyOperation"),
    ("", message({"State": "true"}), "no topic"),
    ("tns1:VideoSource/MotionAlarm", message({f"Item{i}": "1" for i in range(40)}), "more than"),
    ("tns1:VideoSource/MotionAlarm", f'<tt:Message xmlns:tt="{TT}" UtcTime="2026-12-04T10:00:00Z">'
     "<tt:Data><tt:SimpleItem Value=\"1\"/></tt:Data></tt:Message>", "no name"),
    ("tns1:VideoSource/MotionAlarm", "<a>" + "x" * 70_000 + "</a>", "over"),
])
def test_a_malformed_notification_is_refused_with_the_reason(topic, xml, why):
    with pytest.raises(MalformedEvent, match=why):
        parse_notification(topic, xml)


def reported(topic: str, state: bool | None, **source: str) -> DeviceEvent:
    return DeviceEvent(topic, kind_of(topic), datetime(2026, 12, 4, tzinfo=UTC), "" if state is None else "Changed",
                       source, {}, state)


def test_a_rule_fires_while_the_condition_holds_and_ends_when_it_stops():
    engine = EventRuleEngine([EventRuleSpec(1, kind="digital_input", items=(("InputToken", "1"),))])
    assert engine.feed(reported("tns1:Device/Trigger/DigitalInput", True, InputToken="2")).started == []
    started = engine.feed(reported("tns1:Device/Trigger/DigitalInput", True, InputToken="1"))
    assert [rule for rule, _ in started.started] == [1] and started.ended == []
    assert engine.feed(reported("tns1:Device/Trigger/DigitalInput", True, InputToken="1")).started == []
    assert [rule for rule, _ in engine.feed(reported("tns1:Device/Trigger/DigitalInput", False,
                                                       InputToken="1")).ended] == [1]


def test_a_one_off_happening_starts_and_ends_a_rule_at_once_and_a_topic_covers_its_subtopics():
    engine = EventRuleEngine([EventRuleSpec(4, topic="tns1:RuleEngine/LineDetector/")])
    update = engine.feed(reported("tns1:RuleEngine/LineDetector/Crossed", None, Rule="Gate"))
    assert update.started == update.ended and [rule for rule, _ in update.started] == [4]
    assert engine.firing == set()
    assert engine.feed(reported("tns1:RuleEngine/LineDetectorX/Crossed", None)).started == []


def test_a_rule_outside_its_schedule_does_not_fire_and_an_open_firing_ends_after_a_restart():
    engine = EventRuleEngine([EventRuleSpec(2, kind="motion")])
    assert engine.feed(reported("tns1:VideoSource/MotionAlarm", True, Source="1"), active=set()).started == []
    motion_on = reported("tns1:VideoSource/MotionAlarm", True, Source="1")
    first = engine.feed(motion_on, active={2}).started
    resumed = EventRuleEngine([EventRuleSpec(2, kind="motion")], firing=set(first))
    assert resumed.feed(reported("tns1:VideoSource/MotionAlarm", False, Source="1")).ended == first
