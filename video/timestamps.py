"""Repair a live camera's packet timestamps so an MP4 muxer accepts them and the recording's clock runs on.

Pure logic over (dts, pts, duration, is_keyframe, data): no PyAV, so it is tested with synthetic values.
"""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Sample:
    """One encoded video frame (an MP4 "sample"); timestamps are in the stream's time base."""

    dts: int | None
    pts: int | None
    duration: int
    is_keyframe: bool
    # The frame's bytes: bytes, or any object that holds them behind the buffer protocol (the recorder passes the
    # camera's packet as PyAV demuxed it, so that its bytes are not copied on their way to the muxers).
    data: bytes
    # The camera's clock (seconds since the epoch) at this frame's pts, when the camera tells it;
    # carried through untouched so the recorder can pair it with the repaired pts.
    wallclock: float | None = None
    # When the packet arrived, on a monotonic clock in the stream's time base (see TimestampRepair's arrival_slack).
    arrival: int | None = None


class TimestampRepair:
    """Turn a camera's packets into samples whose DTS starts at 0 and strictly increases.

    Real cameras and RTSP servers send a keyframe as two packets with the same DTS (merged here into one
    sample), start with a packet that has no timestamp, and jump their clock: back to 0 when they rebase
    on the first RTCP sender report about 2 s after PLAY, or when a file server loops. A jump backwards or
    forwards by more than `max_gap` is closed by an offset so the next frame follows right after the last
    (by the last one's duration as the camera says, else `frame_duration`). Smaller forward gaps are real
    missing frames and are kept, so media time stays in step with the wall clock; with `arrival_slack`, only
    as far as the samples' arrival times show that time passed, give or take that much: a gap that did not
    pass on our clock is the camera's clock jumping, and is closed too.

    Each sample is held back until the next packet shows that it does not continue the same frame.
    """

    def __init__(self, frame_duration: int, max_gap: int, arrival_slack: int | None = None) -> None:
        if frame_duration <= 0 or max_gap < frame_duration:
            raise ValueError("frame_duration must be positive and max_gap at least one frame")
        self.frame_duration = frame_duration
        self.max_gap = max_gap
        self.arrival_slack = arrival_slack
        self._last_arrival: int | None = None
        self._held: Sample | None = None
        self._untimed: list[Sample] = []
        self._offset = 0
        self._last_dts: int | None = None
        self._last_raw: int | None = None  # the DTS the camera gave the last sample out
        self._last_end = 0

    def push(self, sample: Sample) -> list[Sample]:
        """Take the next packet from the camera; return the samples that are now ready to mux, in order."""
        if sample.dts is None and sample.pts is None:
            self._untimed.append(sample)
            return []
        dts = sample.pts if sample.dts is None else sample.dts
        if sample.dts is None or sample.pts is None:
            sample = replace(sample, dts=dts, pts=dts if sample.pts is None else sample.pts)
        ready: list[Sample] = []
        untimed, self._untimed = self._untimed, []
        frame = sample.duration or self.frame_duration
        for index, early in enumerate(untimed):
            # FFmpeg's RTP parser leaves the first packet of a session without timestamps. With a keyframe
            # after it, it is that keyframe's first half (merged below, same DTS); otherwise the frame before.
            if early.is_keyframe and sample.is_keyframe:
                early_dts = dts
            else:
                early_dts = dts - (len(untimed) - index) * frame
            ready += self._take(replace(early, dts=early_dts, pts=early_dts))
        return ready + self._take(sample)

    def repaired(self, camera_pts: int, within: int) -> int | None:
        """Where a moment of the camera's clock (its pts, say of another track of the same session) falls on the
        repaired clock: shifted as the latest sample out was, when it is within `within` of that sample; None
        otherwise (before the first sample, or on a clock the video has since left, as around a rebase)."""
        if self._last_raw is None or abs(camera_pts - self._last_raw) > within:
            return None
        return camera_pts + self._offset

    def flush(self) -> list[Sample]:
        """Return the sample still held back, at the end of the stream."""
        held, self._held = self._held, None
        self._untimed = []
        return [] if held is None else [self._continue(held)]

    def _take(self, sample: Sample) -> list[Sample]:
        held = self._held
        if held is not None and sample.dts == held.dts:
            merged, part = bytes(held.data), bytes(sample.data)
            if merged.endswith(part):
                # The same packet sent again (a server retrying a send): merging it would corrupt the frame.
                return []
            self._held = replace(
                held,
                data=merged + part,
                is_keyframe=held.is_keyframe or sample.is_keyframe,
                wallclock=held.wallclock if held.wallclock is not None else sample.wallclock,
            )
            return []
        self._held = sample
        return [] if held is None else [self._continue(held)]

    def _continue(self, sample: Sample) -> Sample:
        duration = sample.duration or self.frame_duration
        if self._last_dts is None:
            self._offset = -sample.dts
        else:
            step = sample.dts + self._offset - self._last_dts
            if step <= 0 or step > self.max_gap or self._clock_jumped(step, sample.arrival):
                self._offset = self._last_end - sample.dts
        dts = sample.dts + self._offset
        self._last_raw = sample.dts
        # pts below dts would be a broken frame order; a camera without B-frames has pts == dts.
        pts = max(sample.pts + self._offset, dts)
        self._last_dts = dts
        self._last_end = dts + duration
        self._last_arrival = sample.arrival
        # Made directly: dataclasses.replace costs several times more, on every frame.
        return Sample(dts, pts, duration, sample.is_keyframe, sample.data, sample.wallclock, sample.arrival)

    def _clock_jumped(self, step: int, arrival: int | None) -> bool:
        """Whether a step forward is longer than the time that passed between the two samples' arrivals."""
        if self.arrival_slack is None or arrival is None or self._last_arrival is None:
            return False
        return step > arrival - self._last_arrival + self.frame_duration + self.arrival_slack
