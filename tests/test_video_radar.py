"""A radar's tracks on the site plan: reading Axis radar metadata, placing it on the plan, following objects and
firing radar zone rules. Pure, without a radar; the last test has the stand-in radar publish through Mosquitto."""

from __future__ import annotations

import json
import math
import threading
import uuid
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest

from tests.standins.mqtt_publisher import BROKER
from tests.standins.radar_publisher import (
    LOITERER,
    SITE,
    SPEEDER,
    WRONG_WAY,
    AxisRadarPublisher,
    detection,
    frame,
    frame_at,
)
from video.radar import (
    DIRECTION,
    INTRUSION,
    SPEED,
    MalformedMetadata,
    PlanPlacement,
    RadarFrame,
    RadarObject,
    RadarRule,
    RadarRuleEngine,
    RadarTrack,
    RadarTracks,
    coverage,
    from_plan,
    parse_frame,
    plan_heading,
    to_plan,
)

AT = datetime(2026, 12, 4, 22, 0, 0, 250000, tzinfo=UTC)


def test_a_radar_frame_v1_reads_as_objects_in_metres_around_the_radar():
    payload = frame(AT, [detection("p1", "Human", 3.0, 4.0, speed=1.5, direction=90.0, score=0.9),
                         detection("v1", "Vehicle", -10.0, 0.0),
                         detection("c1", "Car", 0.0, 20.0),
                         {"object_track_id": 7, "class": {"type": "Animal"}, "world_position": {"x": 1.0, "y": 2.0},
                          "direction": -90}],
                    ended=["old"], channel=2)
    read = parse_frame(payload)
    assert read.radar_time == AT and read.channel == 2 and read.ended == ["old"]
    assert [(o.id, o.label) for o in read.objects] == [("p1", "person"), ("v1", "vehicle"), ("c1", "vehicle"),
                                                       ("7", "unknown")]
    person, vehicle, _, other = read.objects
    assert (person.x_m, person.y_m, person.speed_mps, person.heading_deg) == pytest.approx((3, 4, 1.5, 90), abs=1e-3)
    assert (vehicle.x_m, vehicle.y_m) == pytest.approx((-10, 0), abs=1e-3), "azimuth -90: straight to the radar's left"
    assert vehicle.speed_mps is None and vehicle.heading_deg is None
    assert (other.x_m, other.y_m, other.heading_deg) == (1.0, 2.0, 270.0)


def test_renames_and_the_beta_less_envelope_are_read():
    payload = json.dumps({"channel_id": 1, "timestamp": "2026-12-04T22:00:00.25Z",
                          "track_events": [{"type": "Rename", "from_id": "a", "to_id": "b"},
                                           {"type": "TrackEnded", "object_track_id": "c"}]})
    read = parse_frame(payload)
    assert read.objects == [] and read.renamed == [("a", "b")] and read.ended == ["c"]


def test_a_radar_me_message_is_one_object_and_inactive_ends_it():
    message = {"id": 495555, "timestamp": 1561666067258, "birth": 1561666065458, "speed": 0.6, "direction": 29.9,
               "distance": 28.2, "angle": 49.1, "class": 3, "x": 6273, "y": 5278, "active": True}
    read = parse_frame(json.dumps(message))
    assert read.radar_time == datetime(2019, 6, 27, 20, 7, 47, 258000, tzinfo=UTC)
    (item,) = read.objects
    assert (item.id, item.label, item.speed_mps, item.heading_deg) == ("495555", "person", 0.6, 29.9)
    assert (item.x_m, item.y_m) == pytest.approx((28.2 * math.sin(math.radians(49.1)),
                                                  28.2 * math.cos(math.radians(49.1))))
    gone = parse_frame(json.dumps({**message, "class": 4, "active": False}))
    assert gone.objects == [] and gone.ended == ["495555"]
    assert parse_frame(json.dumps({**message, "class": 2})).objects[0].label == "unknown"


def detections(*items: dict) -> str:
    return json.dumps({"channel_id": 1, "timestamp": "2026-12-04T22:00:00Z", "detections": list(items)})


def spot(**position: object) -> dict:
    return {"object_track_id": "1", "class": {"type": "Human"}, "world_position": position}


@pytest.mark.parametrize(("payload", "why"), [
    (b"{", "not JSON"),
    (b"[1]", "not a JSON object"),
    (json.dumps({"detections": []}), "no timestamp"),
    (json.dumps({"timestamp": "later", "detections": []}), "not a time"),
    (json.dumps({"timestamp": "2026-12-04T22:00:00Z", "detections": {}}), "not a list"),
    (detections(*[spot(distance=1, azimuth=0)] * 501), "at most 500"),
    (detections({"object_track_id": "1"}), "no world_position"),
    (detections(spot(distance=float("nan"), azimuth=0)), "distance is not a finite number"),
    (detections(spot(distance=5, azimuth=float("inf"))), "azimuth is not a finite number"),
    (detections(spot(distance=-1, azimuth=0)), "below 0"),
    (detections(spot(distance=9000, azimuth=0)), "over 5000 m"),
    (detections(spot(distance=5, azimuth=400)), "over 360 degrees"),
    (detections(spot(x="1", y=2)), "x is not a finite number"),
    (detections(spot(x=4000, y=4000)), "over 5000 m from the radar"),
    (detections({**spot(x=1, y=2), "speed": -3}), "speed below 0"),
    (detections({**spot(x=1, y=2), "speed": 1e6}), "over 150 m/s"),
    (detections({**spot(x=1, y=2), "direction": True}), "direction is not a finite number"),
    (detections({"class": {"type": "Human"}, "world_position": {"x": 1, "y": 2}}), "no id"),
    (json.dumps({"timestamp": "2026-12-04T22:00:00Z", "channel_id": True}), "channel_id"),
    (json.dumps({"id": 1, "timestamp": "yesterday", "distance": 3, "angle": 0}), "timestamp is not a finite number"),
    (json.dumps({"id": 1, "timestamp": 1e300, "distance": 3, "angle": 0}), "not a time in milliseconds"),
    (b" " * 1_000_001, "over"),
])
def test_a_malformed_payload_is_refused_with_the_reason(payload, why):
    with pytest.raises(MalformedMetadata, match=why):
        parse_frame(payload)


# A radar two fifths across and four fifths down a plan 80 m wide and 48 m high, looking north-east (up and right).
TILTED = PlanPlacement(x=0.4, y=0.8, heading_deg=30.0, plan_width_m=80.0, plan_aspect=0.6)


def metres_on_plan(a: tuple[float, float], b: tuple[float, float], placement: PlanPlacement) -> tuple[float, float]:
    """From plan point a to b in metres (right, down)."""
    return ((b[0] - a[0]) * placement.plan_width_m, (b[1] - a[1]) * placement.plan_width_m * placement.plan_aspect)


def test_a_rotated_radars_positions_go_to_the_plan_and_back():
    for x, y in [(0.0, 0.0), (0.0, 10.0), (5.0, 0.0), (-12.5, 30.0), (7.0, -3.0)]:
        px, py = to_plan(TILTED, x, y)
        assert from_plan(TILTED, px, py) == pytest.approx((x, y))
    ahead = metres_on_plan((TILTED.x, TILTED.y), to_plan(TILTED, 0.0, 10.0), TILTED)
    assert ahead == pytest.approx((10 * math.sin(math.radians(30)), -10 * math.cos(math.radians(30)))), \
        "10 m along the boresight is 10 m towards 30 degrees right of the plan's up"
    right = metres_on_plan((TILTED.x, TILTED.y), to_plan(TILTED, 10.0, 0.0), TILTED)
    assert right == pytest.approx((10 * math.cos(math.radians(30)), 10 * math.sin(math.radians(30))))
    east = PlanPlacement(x=0.5, y=0.5, heading_deg=90.0, plan_width_m=100.0, plan_aspect=0.5)
    assert to_plan(east, 0.0, 10.0) == pytest.approx((0.6, 0.5))
    assert to_plan(east, 10.0, 0.0) == pytest.approx((0.5, 0.7)), "the radar's right is the plan's down (50 m high)"


def test_a_direction_of_travel_turns_with_the_radar():
    start, end = (2.0, 5.0), (2.0 - 3.0, 5.0 - 4.0)  # moving towards the radar and to its left
    on_plan = metres_on_plan(to_plan(TILTED, *start), to_plan(TILTED, *end), TILTED)
    compass = math.degrees(math.atan2(on_plan[0], -on_plan[1])) % 360
    radar_heading = math.degrees(math.atan2(-3.0, -4.0)) % 360
    assert plan_heading(TILTED, radar_heading) == pytest.approx(compass)


def test_the_coverage_wedge_is_drawn_at_the_radars_range():
    wedge = coverage(TILTED, 60.0, 120.0, steps=4)
    assert wedge[0] == (TILTED.x, TILTED.y)
    for px, py in wedge[1:]:
        assert math.hypot(*from_plan(TILTED, px, py)) == pytest.approx(60.0)
    assert from_plan(TILTED, *wedge[3]) == pytest.approx((0.0, 60.0)), "the middle of the arc is on the boresight"


@pytest.mark.parametrize("bad", [dict(plan_width_m=0), dict(plan_aspect=-1), dict(x=float("nan"))])
def test_a_placement_without_a_scale_is_refused(bad):
    with pytest.raises(ValueError):
        PlanPlacement(**{"x": 0.5, "y": 0.5, "heading_deg": 0.0, "plan_width_m": 50.0, "plan_aspect": 1.0, **bad})


NORTH = PlanPlacement(x=0.5, y=0.9, heading_deg=0.0, plan_width_m=100.0, plan_aspect=1.0)


def radar_frame(seconds: float, *objects: RadarObject, ended: tuple[str, ...] = (), renamed=()) -> RadarFrame:
    return RadarFrame(AT + timedelta(seconds=seconds), list(objects), list(ended), list(renamed))


def test_speed_and_direction_are_derived_from_the_path_when_the_radar_gives_none():
    tracks = RadarTracks(TILTED)
    for i in range(16):  # 10 m/s to the radar's right, at 10 frames a second
        seen = tracks.update(radar_frame(i / 10, RadarObject("car", "vehicle", -20.0 + i, 30.0)), 100 + i / 10)
        if i == 1:
            assert (seen[0].speed_kmh, seen[0].heading_deg) == (None, None), "0.1 s of path tells nothing"
    (car,) = seen
    assert car.speed_kmh == pytest.approx(36.0)
    assert car.heading_deg == pytest.approx(120.0), "the radar's right, 30 degrees east of the plan's up: 120"
    assert car.point == pytest.approx(to_plan(TILTED, -5.0, 30.0)) and len(car.path) == 16
    assert car.path[-1] == (101.5, car.point)


def test_a_standing_object_has_no_direction_and_the_radars_own_motion_wins():
    tracks = RadarTracks(TILTED)
    for i in range(12):
        jitter = 0.1 if i % 2 else -0.1
        seen = tracks.update(radar_frame(i / 10, RadarObject("p", "person", 4.0 + jitter, 9.0),
                                         RadarObject("v", "vehicle", 0.0, 30.0 - i, speed_mps=2.0,
                                                     heading_deg=180.0)), i / 10)
    person, vehicle = seen
    assert person.heading_deg is None and person.speed_kmh < 1.0
    assert (vehicle.speed_kmh, vehicle.heading_deg) == pytest.approx((7.2, 210.0)), "reported, not the 36 km/h path"


def test_radar_tracks_keep_their_number_until_ended_renamed_or_gone_quiet():
    tracks = RadarTracks(NORTH, max_missing_seconds=1.0)
    first = tracks.update(radar_frame(0, RadarObject("a", "person", 1, 5), RadarObject("b", "person", 2, 5)), 10.0)
    assert [t.id for t in first] == [1, 2]
    later = tracks.update(radar_frame(0.1, RadarObject("a", "person", 1, 6), RadarObject("c", "vehicle", 2, 6),
                                      renamed=[("b", "c")]), 10.1)
    assert [(t.id, t.label, t.first_seen) for t in later] == [(1, "person", 10.0), (2, "vehicle", 10.0)]
    quiet = tracks.update(radar_frame(0.2, RadarObject("a", "person", 1, 7), ended=("c",)), 10.2)
    assert [t.id for t in quiet] == [1]
    assert tracks.current(11.0)[0].missing is False
    assert tracks.current(11.5) == [], "not reported for over a second: gone"
    assert [t.id for t in tracks.update(radar_frame(3, RadarObject("d", "person", 0, 3)), 13.0)] == [3]


DOOR = ((0.40, 0.60), (0.55, 0.60), (0.55, 0.75), (0.40, 0.75))
CAR_PARK = ((0.05, 0.40), (0.95, 0.40), (0.95, 0.50), (0.05, 0.50))
EXIT_LANE = ((0.55, 0.10), (0.61, 0.10), (0.61, 0.85), (0.55, 0.85))


def at(track_id: int, point: tuple[float, float], label: str = "person", speed: float | None = None,
       heading: float | None = None) -> RadarTrack:
    return RadarTrack(track_id, label, 0.0, 0.0, point, speed, heading, 0.0, 0.0, False, ())


def test_an_intrusion_fires_after_its_minimum_time_for_its_classes_and_ends_when_the_object_leaves():
    engine = RadarRuleEngine([RadarRule(1, INTRUSION, DOOR, frozenset({"person"}), min_duration=1.0)],
                             release_seconds=0.5)
    assert engine.update(0.0, [at(1, (0.3, 0.7)), at(2, (0.45, 0.7), "vehicle")]).started == []
    assert engine.update(0.5, [at(1, (0.45, 0.7)), at(2, (0.45, 0.7), "vehicle")]).started == []
    fired = engine.update(1.5, [at(1, (0.46, 0.7)), at(2, (0.45, 0.7), "vehicle")])
    assert [(f.rule_id, f.track, f.label, f.started) for f in fired.started] == [(1, 1, "person", 1.5)]
    assert fired.box_states == {1: ("alarm", "person")}
    assert engine.update(1.6, [at(1, (0.3, 0.7))]).ended == [], "out for 0.1 s: not yet ended"
    ended = engine.update(2.2, [at(1, (0.3, 0.7))]).ended
    assert [(f.track, f.started, f.ended) for f in ended] == [(1, 1.5, 2.2)] and engine.firing == []


def test_a_speed_rule_fires_for_a_vehicle_over_the_limit_inside_the_zone_only():
    engine = RadarRuleEngine([RadarRule(2, SPEED, CAR_PARK, frozenset({"vehicle"}), speed_kmh=50.0)])
    update = engine.update(0.0, [at(1, (0.3, 0.45), "vehicle", speed=72.0), at(2, (0.5, 0.45), "vehicle", 30.0),
                                 at(3, (0.5, 0.2), "vehicle", speed=90.0), at(4, (0.6, 0.45), "person", 60.0),
                                 at(5, (0.7, 0.45), "vehicle")])
    assert [f.track for f in update.started] == [1]
    assert update.box_states == {1: ("alarm", "vehicle 72 km/h")}


def test_a_direction_rule_fires_within_its_tolerance_across_north():
    engine = RadarRuleEngine([RadarRule(3, DIRECTION, EXIT_LANE, heading_deg=350.0, tolerance_deg=30.0)])
    update = engine.update(0.0, [at(1, (0.58, 0.5), heading=15.0), at(2, (0.58, 0.6), heading=180.0),
                                 at(3, (0.58, 0.7), heading=None), at(4, (0.58, 0.3), heading=319.0)])
    assert [f.track for f in update.started] == [1]


def test_a_flickering_condition_does_not_fire_and_a_dropout_does_not_end_a_firing():
    engine = RadarRuleEngine([RadarRule(1, INTRUSION, DOOR, min_duration=1.0)], release_seconds=1.0)
    for step in range(20):  # on the zone's edge: in and out every 0.2 s for 4 s
        inside = (step // 2) % 2 == 0
        update = engine.update(step / 10, [at(1, (0.45, 0.7) if inside else (0.35, 0.7))])
        assert update.started == []
    for step in range(20, 32):
        update = engine.update(step / 10, [at(1, (0.45, 0.7))])
    assert [f.started for f in engine.firing] == [pytest.approx(3.0)]
    for step in range(32, 40):  # a dropout every other frame
        update = engine.update(step / 10, [at(1, (0.45, 0.7) if step % 2 else (0.35, 0.7))])
        assert update.ended == []
    assert len(engine.firing) == 1


def test_a_firing_ends_at_once_when_its_track_is_gone_or_its_rule_leaves_its_schedule():
    rules = [RadarRule(1, INTRUSION, DOOR), RadarRule(2, INTRUSION, DOOR)]
    engine = RadarRuleEngine(rules)
    assert len(engine.update(0.0, [at(1, (0.45, 0.7)), at(2, (0.5, 0.7))]).started) == 4
    update = engine.update(0.1, [at(2, (0.5, 0.7))], active={1})
    assert sorted((f.rule_id, f.track) for f in update.ended) == [(1, 1), (2, 1), (2, 2)]
    assert [(f.rule_id, f.track) for f in engine.end_all(0.2).ended] == [(1, 2)]


def test_the_scripted_site_fires_each_rule_on_its_own_object():
    """The stand-in's script, read as the VMS reads it: loitering by the door, speeding across the car park, the
    wrong way down the exit lane (the radar reports no motion for that one: it is derived)."""
    rules = [RadarRule(1, INTRUSION, DOOR, frozenset({"person"}), min_duration=5.0),
             RadarRule(2, SPEED, CAR_PARK, frozenset({"vehicle"}), speed_kmh=50.0, min_duration=0.5),
             RadarRule(3, DIRECTION, EXIT_LANE, heading_deg=180.0, tolerance_deg=45.0, min_duration=1.0)]
    tracks, engine, done, fired, ended, names = RadarTracks(NORTH), RadarRuleEngine(rules), set(), [], [], {}
    for step in range(300):
        t = step / 10
        read = parse_frame(frame_at(SITE, t, AT + timedelta(seconds=t), done))
        names.update({item.id: item.label for item in read.objects})
        update = engine.update(t, tracks.update(read, t))
        fired += [(f.rule_id, f.track) for f in update.started]
        ended += [(f.rule_id, f.track) for f in update.ended]
    numbers = {mover.track_id: number for number, mover in enumerate(SITE, start=1)}
    expected = [(1, numbers[LOITERER.track_id]), (2, numbers[SPEEDER.track_id]), (3, numbers[WRONG_WAY.track_id])]
    assert sorted(fired) == expected and sorted(ended) == expected and done == {m.track_id for m in SITE}
    assert names == {LOITERER.track_id: "person", SPEEDER.track_id: "vehicle", WRONG_WAY.track_id: "unknown"}


def test_the_stand_in_radar_publishes_frames_video_radar_reads():
    topic = f"vms-test/radar/{uuid.uuid4().hex}"
    frames: list[RadarFrame] = []
    refused: list[str] = []
    subscribed, finished = threading.Event(), threading.Event()

    def on_message(_client, _userdata, message) -> None:
        try:
            frames.append(parse_frame(message.payload))
        except MalformedMetadata as exc:
            refused.append(str(exc))
            finished.set()
        if {m.track_id for m in SITE} <= {track for f in frames for track in f.ended}:
            finished.set()

    listener = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"radar-test-{uuid.uuid4().hex[:8]}")
    listener.on_message = on_message
    listener.on_subscribe = lambda *_args: subscribed.set()
    listener.connect(*BROKER)
    listener.loop_start()
    try:
        listener.subscribe(topic, qos=1)
        assert subscribed.wait(30), "the broker did not confirm the subscription"
        with AxisRadarPublisher(topic, channel=2) as radar:
            radar.play(SITE, rate=10.0, speedup=20.0)
            assert finished.wait(120), "the stand-in did not end all three tracks"
    finally:
        listener.loop_stop()
        listener.disconnect()
    assert refused == []
    assert {f.channel for f in frames} == {2}
    seen = {item.id: item for f in frames for item in f.objects}
    assert {item_id: item.label for item_id, item in seen.items()} == {
        LOITERER.track_id: "person", SPEEDER.track_id: "vehicle", WRONG_WAY.track_id: "unknown"}
    car = [item for f in frames for item in f.objects if item.id == SPEEDER.track_id]
    assert {round(item.speed_mps, 1) for item in car} == {20.0} and {item.heading_deg for item in car} == {90.0}
    assert all(item.speed_mps is None for f in frames for item in f.objects if item.id == WRONG_WAY.track_id)
    times = [f.radar_time for f in frames]
    assert times == sorted(times) and times[-1] - times[0] >= timedelta(seconds=20), "the script's own clock"
