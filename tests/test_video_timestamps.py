"""TimestampRepair on synthetic packet sequences with known answers (90 kHz clock, 3600 ticks a frame)."""

import random

import pytest

from video.timestamps import Sample, TimestampRepair

FRAME = 3600
SECOND = 90_000


def packet(dts: int | None, key: bool = False, data: bytes = b"x", pts: int | None = None) -> Sample:
    return Sample(dts=dts, pts=dts if pts is None else pts, duration=FRAME, is_keyframe=key, data=data)


def repair_all(packets: list[Sample], max_gap: int = 5 * SECOND) -> list[Sample]:
    repair = TimestampRepair(FRAME, max_gap)
    out = [sample for p in packets for sample in repair.push(p)]
    return out + repair.flush()


def test_it_merges_a_keyframe_sent_as_two_packets_with_the_same_dts():
    packets = [packet(0, True, b"AA"), packet(0, True, b"BB"), packet(FRAME, data=b"p1"), packet(2 * FRAME)]
    out = repair_all(packets)
    assert [(s.dts, s.is_keyframe, s.data) for s in out] == [
        (0, True, b"AABB"), (FRAME, False, b"p1"), (2 * FRAME, False, b"x"),
    ]


def test_a_packet_sent_twice_is_not_merged_into_its_own_frame():
    # aio-rtsp-toolkit under load retries a send that had succeeded: the same bytes with the same DTS.
    packets = [packet(0, True, b"AA"), packet(0, True, b"BB"), packet(0, True, b"BB"), packet(FRAME, data=b"p1"),
               packet(FRAME, data=b"p1")]
    assert [(s.dts, s.data) for s in repair_all(packets)] == [(0, b"AABB"), (FRAME, b"p1")]


def test_it_keeps_the_keyframe_flag_when_only_one_half_has_it():
    out = repair_all([packet(0, True, b"A"), packet(0, False, b"B"), packet(FRAME)])
    assert out[0].is_keyframe and out[0].data == b"AB"


def test_a_first_packet_without_timestamps_before_a_keyframe_half_is_its_first_half():
    # What FFmpeg makes of a GStreamer camera at PLAY: the keyframe's first half comes without timestamps.
    out = repair_all([packet(None, True, b"A"), packet(0, True, b"B"), packet(FRAME)])
    assert [(s.dts, s.is_keyframe, s.data) for s in out] == [(0, True, b"AB"), (FRAME, False, b"x")]


def test_a_first_keyframe_without_timestamps_before_a_delta_frame_is_the_frame_before_it():
    # What FFmpeg makes of aio-rtsp-toolkit at PLAY: a whole keyframe without timestamps, then dts 0.
    out = repair_all([packet(None, True, b"I"), packet(0, data=b"P"), packet(FRAME)])
    assert [(s.dts, s.is_keyframe, s.data) for s in out] == [
        (0, True, b"I"), (FRAME, False, b"P"), (2 * FRAME, False, b"x"),
    ]


def test_it_starts_at_zero_whatever_the_cameras_clock():
    out = repair_all([packet(123_456_789 + i * FRAME, key=i == 0) for i in range(5)])
    assert [s.dts for s in out] == [i * FRAME for i in range(5)]


def test_a_rebase_to_zero_after_the_first_sender_report_continues_the_clock():
    before = [packet(i * FRAME, key=i % 25 == 0) for i in range(50)]  # 2 s
    after = [packet(i * FRAME, key=i % 25 == 0) for i in range(50)]  # the camera starts again from 0
    out = repair_all(before + after)
    assert [s.dts for s in out] == [i * FRAME for i in range(100)]
    assert [s.data for s in out] == [p.data for p in before + after]


def test_a_file_server_loop_jumping_forward_continues_the_clock():
    first_pass = [packet(i * FRAME) for i in range(30)]
    next_pass = [packet(10 * 3600 * SECOND + i * FRAME) for i in range(30)]  # ten hours later
    out = repair_all(first_pass + next_pass)
    assert [s.dts for s in out] == [i * FRAME for i in range(60)]


def test_a_short_gap_of_missing_frames_is_kept():
    out = repair_all([packet(0, True), packet(FRAME), packet(10 * FRAME), packet(11 * FRAME)])
    assert [s.dts for s in out] == [0, FRAME, 10 * FRAME, 11 * FRAME]


def test_a_gap_longer_than_max_gap_is_closed():
    out = repair_all([packet(0, True), packet(FRAME), packet(FRAME + 6 * SECOND)], max_gap=5 * SECOND)
    assert [s.dts for s in out] == [0, FRAME, 2 * FRAME]


def test_presentation_order_is_kept_and_never_before_decoding():
    # B-frames: pts runs ahead of dts; a broken pts below dts is lifted to dts.
    out = repair_all([packet(0, True, pts=2 * FRAME), packet(FRAME, pts=FRAME), packet(2 * FRAME, pts=0)])
    assert [(s.dts, s.pts) for s in out] == [(0, 2 * FRAME), (FRAME, FRAME), (2 * FRAME, 2 * FRAME)]


def test_missing_durations_and_pts_are_filled_in():
    repair = TimestampRepair(FRAME, 5 * SECOND)
    out = repair.push(Sample(0, None, 0, True, b"a")) + repair.push(Sample(FRAME, None, 0, False, b"b"))
    assert (out[0].pts, out[0].duration) == (0, FRAME)


def test_dts_strictly_increases_through_any_mess():
    rng = random.Random(7)
    packets, dts = [], 0
    for index in range(2000):
        dts += rng.choice([FRAME] * 20 + [0, -FRAME, -50 * SECOND, 40 * SECOND, 3 * FRAME])
        timed = rng.random() > 0.01
        packets.append(packet(dts if timed else None, key=index % 25 == 0, data=bytes([index % 256])))
    out = repair_all(packets)
    assert all(b.dts > a.dts for a, b in zip(out, out[1:], strict=False))
    assert all(b.dts - a.dts <= 5 * SECOND for a, b in zip(out, out[1:], strict=False))
    # Nothing is lost: every packet's bytes are in the output, in order.
    assert b"".join(s.data for s in out) == b"".join(p.data for p in packets)


def test_it_carries_the_cameras_wallclock_through_a_merge():
    first = Sample(0, 0, FRAME, True, b"A", wallclock=None)
    second = Sample(0, 0, FRAME, True, b"B", wallclock=1_700_000_000.0)
    out = repair_all([first, second, packet(FRAME)])
    assert out[0].wallclock == 1_700_000_000.0


def test_a_forward_jump_that_did_not_pass_on_our_clock_is_closed_and_real_missing_frames_are_kept():
    repair = TimestampRepair(FRAME, 5 * SECOND, arrival_slack=SECOND)
    arrivals = [0, FRAME, 2 * FRAME, 2 * SECOND + 3 * FRAME, 2 * SECOND + 4 * FRAME]
    # The third frame's clock jumps 2 s ahead though it arrives a frame later; the fourth comes 2 s late.
    stamps = [0, FRAME, 2 * SECOND + 2 * FRAME, 4 * SECOND + 3 * FRAME, 4 * SECOND + 4 * FRAME]
    packets = [Sample(dts, dts, FRAME, index == 0, b"x", arrival=at)
               for index, (dts, at) in enumerate(zip(stamps, arrivals, strict=True))]
    out = [sample for p in packets for sample in repair.push(p)] + repair.flush()
    assert [s.dts for s in out] == [0, FRAME, 2 * FRAME, 2 * SECOND + 3 * FRAME, 2 * SECOND + 4 * FRAME]


def test_it_refuses_a_frame_duration_of_zero():
    with pytest.raises(ValueError):
        TimestampRepair(0, SECOND)
