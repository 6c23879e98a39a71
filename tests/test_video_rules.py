"""The rule engine on synthetic tracks with known answers: entering, loitering, crossing, counting, motion,
tampering and offline, minimum durations, schedules."""

from datetime import datetime

import pytest

from video.geometry import Box
from video.rules import RuleEngine, RuleSpec, Schedule, ZoneSpec
from video.tracking import Track

AREA = ZoneSpec(1, "area", ((0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)))  # the right half
LINE = ZoneSpec(2, "line", ((0.5, 0.0), (0.5, 1.0)))  # top to bottom: its right-hand side is the left half


def track(track_id: int, x: float, label: str = "person", y: float = 0.4) -> Track:
    """An object whose feet (bottom centre) stand at (x, y + 0.2)."""
    box = Box(x - 0.05, y, 0.1, 0.2)
    return Track(track_id, label, 0.9, box, 0.0, 0.0, False, ())


def run(engine: RuleEngine, frames: list[tuple[float, list[Track]]], **kwargs):
    return [(t, engine.update(t, tracks, **kwargs)) for t, tracks in frames]


def test_enter_fires_once_when_the_object_steps_into_the_area_and_ends_when_it_leaves():
    engine = RuleEngine([AREA], [RuleSpec(10, "enter", AREA)])
    updates = run(engine, [(0.0, [track(1, 0.3)]), (0.2, [track(1, 0.6)]), (0.4, [track(1, 0.7)]),
                           (0.6, [track(1, 0.3)])])
    assert [f.track for f in updates[1][1].started] == [1]
    assert not updates[2][1].started and not updates[0][1].started
    assert [(f.rule_id, f.track, f.ended) for f in updates[3][1].ended] == [(10, 1, 0.6)]


def test_enter_ignores_classes_the_rule_does_not_want():
    engine = RuleEngine([AREA], [RuleSpec(10, "enter", AREA, classes=frozenset({"car"}))])
    updates = run(engine, [(0.0, [track(1, 0.6)]), (1.0, [track(1, 0.6)])])
    assert not any(u.started for _t, u in updates)


def test_dwell_fires_after_the_object_stays_longer_than_the_dwell_time_and_shows_it_meanwhile():
    engine = RuleEngine([AREA], [RuleSpec(10, "dwell", AREA, dwell_seconds=3.0)])
    frames = [(t / 5, [track(1, 0.7)]) for t in range(0, 21)]  # four seconds inside at 5 fps
    updates = run(engine, frames)
    fired = [t for t, u in updates if u.started]
    assert fired == [3.0]
    assert updates[5][1].box_states[1] == ("dwelling", "person 1s")
    assert updates[20][1].box_states[1][0] == "alarm"
    assert updates[20][1].box_states[1][1] == "person 4s"


def test_dwell_starts_over_when_the_object_leaves_before_the_time_is_up():
    engine = RuleEngine([AREA], [RuleSpec(10, "dwell", AREA, dwell_seconds=3.0)])
    frames = [(0.0, [track(1, 0.7)]), (2.0, [track(1, 0.7)]), (2.2, [track(1, 0.3)]),
              (2.4, [track(1, 0.7)]), (5.0, [track(1, 0.7)]), (5.6, [track(1, 0.7)])]
    updates = run(engine, frames)
    assert [t for t, u in updates if u.started] == [5.6]


def test_a_track_that_disappears_ends_its_event():
    engine = RuleEngine([AREA], [RuleSpec(10, "dwell", AREA, dwell_seconds=1.0)])
    updates = run(engine, [(0.0, [track(1, 0.7)]), (1.0, [track(1, 0.7)]), (1.2, [])])
    assert updates[1][1].started and [f.track for f in updates[2][1].ended] == [1]


def test_cross_fires_in_the_chosen_direction_only_and_counts_both():
    rules = [RuleSpec(20, "cross", LINE, direction="a_to_b"), RuleSpec(21, "cross", LINE, direction="b_to_a"),
             RuleSpec(22, "cross", LINE)]
    engine = RuleEngine([LINE], rules)
    # Object 1 walks right to left (onto the right-hand side of A->B: a_to_b), object 2 left to right.
    frames = [(0.0, [track(1, 0.7), track(2, 0.2)]), (0.2, [track(1, 0.6), track(2, 0.4)]),
              (0.4, [track(1, 0.4), track(2, 0.6)]), (0.6, [track(1, 0.3), track(2, 0.7)])]
    updates = run(engine, frames)
    crossing = updates[2][1]
    assert sorted((f.rule_id, f.track) for f in crossing.started) == [(20, 1), (21, 2), (22, 1), (22, 2)]
    assert sorted((f.rule_id, f.track) for f in crossing.ended) == [(20, 1), (21, 2), (22, 1), (22, 2)]
    assert sorted((c.zone_id, c.direction) for c in crossing.counted) == [(2, "a_to_b"), (2, "b_to_a")]
    assert not any(u.started for _t, u in updates[:2] + updates[3:])
    assert crossing.box_states[1][0] == "alarm"


def test_passing_beside_the_end_of_a_line_is_not_a_crossing():
    short = ZoneSpec(3, "line", ((0.5, 0.0), (0.5, 0.3)))
    engine = RuleEngine([short], [RuleSpec(20, "cross", short)])
    updates = run(engine, [(0.0, [track(1, 0.7)]), (0.2, [track(1, 0.3)])])  # feet at y 0.6, below B
    assert not updates[1][1].started and not updates[1][1].counted


def test_count_fires_when_more_than_the_threshold_are_inside_for_the_minimum_duration():
    engine = RuleEngine([AREA], [RuleSpec(30, "count", AREA, count_threshold=1, min_duration=1.0)])
    two = [track(1, 0.6), track(2, 0.8)]
    updates = run(engine, [(0.0, [track(1, 0.6)]), (1.0, two), (1.5, two), (2.0, two), (2.2, [track(1, 0.6)])])
    assert [t for t, u in updates if u.started] == [2.0]
    assert [f.track for f in updates[4][1].ended] == [None]


def test_areas_count_each_object_once_as_it_comes_in():
    engine = RuleEngine([AREA], [])
    updates = run(engine, [(0.0, [track(1, 0.3)]), (0.2, [track(1, 0.6)]), (0.4, [track(1, 0.7)]),
                           (0.6, [track(1, 0.3)]), (0.8, [track(1, 0.6, label="person")])])
    assert [(t, [(c.zone_id, c.direction) for c in u.counted]) for t, u in updates if u.counted] == [
        (0.2, [(1, "in")]), (0.8, [(1, "in")])]


class Moving:
    def __init__(self, fraction: float) -> None:
        self.fraction = fraction

    def fraction_in(self, _points) -> float:
        return self.fraction


def test_motion_in_the_zone_fires_and_ends_after_a_pause():
    engine = RuleEngine([AREA], [RuleSpec(40, "motion", AREA)])
    frames = [(0.0, Moving(0.0)), (1.0, Moving(0.2)), (2.0, Moving(0.0)), (3.5, Moving(0.0))]
    updates = [(t, engine.update(t, [], motion=m)) for t, m in frames]
    assert [t for t, u in updates if u.started] == [1.0]
    assert [t for t, u in updates if u.ended] == [3.5]


def test_tamper_and_offline_fire_after_their_minimum_duration():
    engine = RuleEngine([], [RuleSpec(50, "tamper", min_duration=2.0), RuleSpec(51, "offline")])
    assert not engine.update(0.0, [], tamper="blocked").started
    started = engine.update(2.0, [], tamper="blocked").started
    assert [(f.rule_id, f.label) for f in started] == [(50, "blocked")]
    assert [f.rule_id for f in engine.update(3.0, [], offline=True).ended] == [50]
    assert [f.rule_id for f in engine.update(3.0, [], offline=True).started] == []  # already firing
    assert [f.rule_id for f in engine.update(4.0, [], offline=False).ended] == [51]


def test_a_rule_outside_its_schedule_fires_nothing_and_ends_what_fired():
    engine = RuleEngine([AREA], [RuleSpec(10, "enter", AREA)])
    assert not engine.update(0.0, [track(1, 0.7)], active=set()).started
    assert engine.update(0.2, [track(1, 0.7)], active={10}).started
    assert engine.update(0.4, [track(1, 0.7)], active=set()).ended


@pytest.mark.parametrize(("moment", "active"), [
    (datetime(2026, 11, 23, 9, 0), True),    # Monday 09:00
    (datetime(2026, 11, 23, 18, 0), False),  # Monday 18:00: the window ends
    (datetime(2026, 11, 22, 9, 0), False),   # Sunday
    (datetime(2026, 11, 27, 23, 30), True),  # Friday night window
    (datetime(2026, 11, 28, 5, 59), True),   # ... running over midnight into Saturday
    (datetime(2026, 11, 28, 6, 0), False),
])
def test_schedules_have_days_and_hours_and_may_run_over_midnight(moment, active):
    schedule = Schedule.parse([{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"},
                               {"days": [4], "start": "22:00", "end": "06:00"}])
    assert schedule.active_at(moment) is active
    assert Schedule.parse([]).active_at(moment)
