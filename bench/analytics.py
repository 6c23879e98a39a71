"""Live analytics benchmark: CPU per camera of the analysis pipeline beside the detector on every frame, and the
latency from a frame reaching the server to its boxes drawn over the live view.

CPU: a 720p 25 fps H.264 clip of people walking (OpenCV's vtest.avi, scaled) goes through the live path in this
process (LiveMuxer -> LiveDecoder -> FrameAnalyser + RuleEngine at 5 fps), paced in real time, then through the
naive pipeline (the detector on every decoded frame). Latency: the real VMS (daphne, recorder, analytics worker)
analyses a stand-in RTSP camera serving the clip, or follows the boxes a Profile M stand-in camera sends with the
same clip in its metadata track, and Chromium logs in, opens its live view and logs each box set it draws. Run it
as `.venv/bin/python bench/analytics.py`; see README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import psutil
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import camera_metadata  # noqa: E402
from bench.live import cpu_seconds, error_lines, log_tail, running  # noqa: E402
from bench.vms_under_test import bench_database, set_environment  # noqa: E402
from tests.browser import chromium_page  # noqa: E402
from tests.standins.footage import PeopleClip, people_clip  # noqa: E402
from tests.standins.rtsp_servers import FileRtspServer, OnvifMetadataCamera, free_port  # noqa: E402
from video.analysis import FrameAnalyser, snapshot  # noqa: E402
from video.detection import Detection, Detector, crop_windows, load_detector  # noqa: E402
from video.geometry import Box  # noqa: E402
from video.live import LiveChunk, LiveMuxer  # noqa: E402
from video.live_decoder import LiveClock, LiveDecoder  # noqa: E402
from video.motion import MotionDetector  # noqa: E402
from video.rules import RuleEngine, RuleSpec, ZoneSpec  # noqa: E402
from video.timestamps import Sample  # noqa: E402

CLIP_DIR = ROOT / "var" / "footage"
WIDTH, HEIGHT, FPS, GOP, BITRATE_KBPS = 1280, 720, 25, 25, 2000
ANALYTICS_FPS = 5  # the camera default (Camera.analytics_fps)
DETECTIONS_PER_SECOND = 2.0  # the VMS default (VMS_DETECTIONS_PER_SECOND): the detector's budget per camera
# As analytics.worker: fragments waiting beyond this many mean the analysis fell behind: skip to a keyframe.
MAX_BACKLOG_FRAGMENTS = 50
DATABASE = "vmsbench"
# A Redis database of its own: the live fan-out names its pub/sub channels after the database, and
# channels_redis keeps groups in it, so no other VMS on this Redis server sees the bench's cameras.
REDIS_URL = "redis://127.0.0.1:6379/13"
OPERATOR_NAME, OPERATOR_PASSWORD = "bench-operator", "bench analytics password"
# The zones and rules of the end-to-end analytics test: a walkway area (dwell) and a line across the middle.
WALKWAY = ((0.02, 0.25), (0.98, 0.25), (0.98, 0.99), (0.02, 0.99))
MIDDLE = ((0.5, 0.0), (0.5, 1.0))
DWELL_SECONDS = 3.0
START_TIMEOUT = 120.0  # the worker leases the camera within a lease round and loads the model first
SATURATED = 0.9
GOAL_CPU = 0.15  # of a core per camera at 5 fps
GOAL_MEDIAN_MS = 300

started_at = time.monotonic()


def say(message: str) -> None:
    """Progress on stderr, stamped with seconds since the start, to show where the time went."""
    print(f"[{time.monotonic() - started_at:6.1f} s] {message}", file=sys.stderr, flush=True)


def make_clip(source: PeopleClip) -> Path:
    """A 1280x720 25 fps H.264 version of the footage, made once with PyAV and cached beside it in var/footage.

    Frames between the source's (10 fps) are blended from its two neighbours, as ffmpeg's framerate filter does,
    so every frame differs as a camera's do: repeated frames would cost the decoder next to nothing. x264 at
    2 Mbit/s, baseline, no B-frames, a keyframe every second, as a camera's 720p stream."""
    CLIP_DIR.mkdir(parents=True, exist_ok=True)
    path = CLIP_DIR / f"{source.path.stem}_{WIDTH}x{HEIGHT}_{FPS}fps_gop{GOP}_{BITRATE_KBPS}k.mp4"
    if path.exists():
        return path
    say(f"making the {WIDTH}x{HEIGHT} {FPS} fps clip {path} from {source.path.name} (once)")
    partial = path.with_suffix(".part.mp4")
    with av.open(str(source.path)) as reader, av.open(str(partial), "w", format="mp4") as writer:
        stream = writer.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.bit_rate = BITRATE_KBPS * 1000
        stream.codec_context.options = {
            "preset": "veryfast",
            "profile": "baseline",
            "x264-params": f"keyint={GOP}:min-keyint={GOP}:scenecut=0:bframes=0:"
            f"vbv-maxrate={BITRATE_KBPS}:vbv-bufsize={BITRATE_KBPS}",
        }
        pictures = (
            cv2.resize(frame.to_ndarray(format="bgr24"), (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR)
            for frame in reader.decode(video=0)
        )
        before, after, behind = next(pictures), next(pictures), 0  # source frames `behind` and `behind` + 1
        index = 0
        while True:
            position = Fraction(index * source.fps, FPS)  # in source frames
            while position >= behind + 1:
                before, after, behind = after, next(pictures, None), behind + 1
            if after is None:
                break
            weight = float(position - behind)
            image = before if weight == 0 else cv2.addWeighted(before, 1 - weight, after, weight, 0)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            writer.mux(stream.encode(frame))
            index += 1
        writer.mux(stream.encode(None))
    partial.rename(path)
    return path


def live_chunks(clip: Path, seconds: float) -> tuple[LiveChunk, list[LiveChunk]]:
    """The clip's init segment and one fragment per frame for `seconds` of video (the clip looping), made by
    the recorder's own LiveMuxer from the clip's packets, as the recorder does for a camera."""
    chunks: list[LiveChunk] = []
    wanted = round(seconds * FPS) + 1  # the muxer hands a fragment on when the next frame comes
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        muxer = LiveMuxer(video, chunks.append)
        packets = [packet for packet in container.demux(video) if packet.size]
        loop_length = packets[-1].dts + packets[-1].duration - packets[0].dts
        loops = 0
        while len(chunks) < wanted:
            for packet in packets:
                offset = loops * loop_length
                muxer.add(
                    Sample(packet.dts + offset, packet.pts + offset, packet.duration, packet.is_keyframe, bytes(packet))
                )
                if len(chunks) >= wanted:
                    break
            loops += 1
    return chunks[0], chunks[1:]


class MeteredDetector:
    """The detector, counting its calls, the net passes they take (crops, or the full frame) and its CPU time."""

    def __init__(self, detector: Detector) -> None:
        self.detector = detector
        self.calls = self.passes = self.full_frames = 0
        self.cpu = 0.0

    def detect(self, frame: np.ndarray, regions: list[Box] | None = None) -> list[Detection]:
        if regions is None:
            windows = 1
            full = True
        else:
            height, width = frame.shape[:2]
            d = self.detector
            found = crop_windows(
                regions,
                width,
                height,
                margin=d.margin,
                min_size=d.min_crop,
                max_crops=d.max_crops,
                full_frame_share=d.full_frame_share,
            )
            windows, full = len(found), found == [(0, 0, width, height)]
        started = time.thread_time()
        detections = self.detector.detect(frame, regions)
        self.cpu += time.thread_time() - started
        self.calls += 1
        self.passes += windows
        self.full_frames += full
        return detections

    def reset(self) -> None:
        self.calls = self.passes = self.full_frames = 0
        self.cpu = 0.0


class Every:
    """Which frames to analyse at `fps`, as analytics.worker.CameraAnalytics picks them: by arrival time, and
    never while a newer fragment waits (a worker that falls behind only decodes until it has caught up)."""

    def __init__(self, fps: float) -> None:
        self.interval = 1.0 / fps
        self.next = 0.0

    def due(self, arrived: float, newer_waiting: bool) -> bool:
        if arrived < self.next or newer_waiting:
            return False
        self.next = max(self.next + self.interval, arrived - self.interval)
        return True


@dataclass
class Tally:
    """What a run did while measured."""

    fragments: int = 0
    analysed: int = 0
    boxes: int = 0
    tracks: set[int] = field(default_factory=set)
    events: dict[str, int] = field(default_factory=dict)  # started, by rule condition
    crossings: int = 0
    skipped: int = 0  # fragments skipped to catch up


class Mode:
    """One way of handling the live feed; `take` gets each fragment as it arrives."""

    name = ""
    catches_up = False  # skips a backlog to the next keyframe, as the worker does

    def __init__(self, init: bytes, detector: MeteredDetector, detections_per_second: float) -> None:
        self.decoder = LiveDecoder(init)
        self.detector = detector
        self.tally = Tally()

    def take(self, fragment: bytes, arrived: float, newer_waiting: bool) -> None:
        raise NotImplementedError


class DecodeOnly(Mode):
    name = "decode only (25 fps)"

    def take(self, fragment: bytes, arrived: float, newer_waiting: bool) -> None:
        self.decoder.decode(fragment)


class DecodeAndMotion(Mode):
    name = f"decode + motion ({ANALYTICS_FPS} fps)"
    catches_up = True

    def __init__(self, init: bytes, detector: MeteredDetector, detections_per_second: float) -> None:
        super().__init__(init, detector, detections_per_second)
        self.every = Every(ANALYTICS_FPS)
        self.motion = MotionDetector()

    def take(self, fragment: bytes, arrived: float, newer_waiting: bool) -> None:
        for _pts, frame in self.decoder.decode(fragment):
            if self.every.due(arrived, newer_waiting):
                self.motion.update(frame.to_ndarray(format="bgr24"))
                self.tally.analysed += 1


def scene_rules() -> tuple[list[ZoneSpec], list[RuleSpec]]:
    """The zones and rules every analysed run applies: a walkway area with a dwell rule, a line across the middle."""
    walkway = ZoneSpec(1, "area", WALKWAY)
    middle = ZoneSpec(2, "line", MIDDLE)
    people = frozenset({"person"})
    return [walkway, middle], [RuleSpec(1, "dwell", walkway, people, dwell_seconds=DWELL_SECONDS),
                               RuleSpec(2, "cross", middle, people)]


class Pipeline(Mode):
    """analytics.worker's work per frame without Django: motion, tamper, the detector within its budget, the
    tracker, rules, and a JPEG snapshot when an event starts or its object is seen better (publishing and the
    database left out)."""

    name = f"full pipeline ({ANALYTICS_FPS} fps)"
    catches_up = True

    def __init__(self, init: bytes, detector: MeteredDetector, detections_per_second: float) -> None:
        super().__init__(init, detector, detections_per_second)
        self.every = Every(ANALYTICS_FPS)
        # 0: the detector on every analysed frame, as before the VMS had a budget.
        self.analyser = FrameAnalyser(detector, detections_per_second or None)
        self.engine = RuleEngine(*scene_rules())
        self.conditions = {rule.id: rule.condition for rule in self.engine.rules}
        self.open_events: dict[tuple[int, int | None], float] = {}  # firing key -> best score so far

    def take(self, fragment: bytes, arrived: float, newer_waiting: bool) -> None:
        for _pts, frame in self.decoder.decode(fragment):
            if not self.every.due(arrived, newer_waiting):
                continue
            analysis = self.analyser.analyse(frame.to_ndarray(format="bgr24"), arrived)
            update = self.engine.update(arrived, analysis.tracks, motion=analysis.motion, tamper=analysis.tamper)
            tracks = {track.id: track for track in analysis.tracks}
            for firing in update.started:
                track = tracks.get(firing.track)
                snapshot(analysis.picture, track.box if track else None)
                self.open_events[(firing.rule_id, firing.track)] = track.score if track else 0.0
                condition = self.conditions[firing.rule_id]
                self.tally.events[condition] = self.tally.events.get(condition, 0) + 1
            for key, best in self.open_events.items():
                track = tracks.get(key[1])
                if track is not None and not track.missing and track.score > best:
                    self.open_events[key] = track.score
                    snapshot(analysis.picture, track.box)
            for firing in update.ended:
                self.open_events.pop((firing.rule_id, firing.track), None)
            self.tally.analysed += 1
            self.tally.boxes += len(analysis.tracks)
            self.tally.tracks.update(tracks)
            self.tally.crossings += sum(crossing.direction != "in" for crossing in update.counted)


class EveryFrame(Mode):
    """The naive baseline: the detector on the whole of every frame. When it falls behind, every fragment is
    still decoded (later frames need it) but only the newest frame that has arrived is searched."""

    name = f"baseline: detector on every frame ({FPS} fps)"

    def take(self, fragment: bytes, arrived: float, newer_waiting: bool) -> None:
        pictures = self.decoder.decode(fragment)
        if pictures and not newer_waiting:
            self.detector.detect(pictures[-1][1].to_ndarray(format="bgr24"), None)
            self.tally.analysed += 1


@dataclass
class CpuRun:
    """One mode paced in real time, measured after its warm-up."""

    name: str
    seconds: float  # wall
    cpu_seconds: float  # this process, all threads
    box_busy: float  # share of all the machine's cores in use
    tally: Tally
    detector_calls: int
    detector_passes: int
    detector_full_frames: int
    detector_cpu: float
    max_lag: float  # seconds a fragment was handled after it arrived

    def core(self) -> float:
        return self.cpu_seconds / self.seconds


def box_counters() -> tuple[float, float]:
    box = psutil.cpu_times()
    total = sum(box)
    return total - box.idle - box.iowait, total


def run_paced(mode: Mode, fragments: list[LiveChunk], warmup: float) -> CpuRun:
    """Hand `mode` each fragment when it would arrive from a 25 fps camera; measure after `warmup` seconds."""
    warmup_fragments = round(warmup * FPS)
    detector = mode.detector
    max_lag = 0.0
    skipping = False
    begin = time.monotonic() + 0.05
    for index, chunk in enumerate(fragments):
        if index == warmup_fragments:
            mode.tally = Tally()
            detector.reset()
            measured_from, cpu_from, (busy_from, total_from) = time.monotonic(), time.process_time(), box_counters()
        due = begin + index / FPS
        now = time.monotonic()
        if now < due:
            time.sleep(due - now)
            now = time.monotonic()
        if mode.catches_up and (now - due) * FPS > MAX_BACKLOG_FRAGMENTS:
            skipping = True
        if skipping:
            if not chunk.keyframe:
                mode.tally.skipped += 1
                continue
            skipping = False
        mode.take(chunk.data, time.time(), newer_waiting=now >= due + 1 / FPS)
        mode.tally.fragments += 1
        if index >= warmup_fragments:
            max_lag = max(max_lag, time.monotonic() - due)
    seconds = time.monotonic() - measured_from
    busy, total = box_counters()
    return CpuRun(
        name=mode.name,
        seconds=seconds,
        cpu_seconds=time.process_time() - cpu_from,
        box_busy=(busy - busy_from) / (total - total_from),
        tally=mode.tally,
        detector_calls=detector.calls,
        detector_passes=detector.passes,
        detector_full_frames=detector.full_frames,
        detector_cpu=detector.cpu,
        max_lag=max_lag,
    )


def measure_cpu(clip: Path, args: argparse.Namespace) -> list[CpuRun]:
    say(f"muxing {args.cpu_warmup + args.cpu_window:.0f} s of the clip into live fragments (LiveMuxer)")
    init, fragments = live_chunks(clip, args.cpu_warmup + args.cpu_window)
    detector = MeteredDetector(load_detector(None))
    modes: list[type[Mode]] = [DecodeOnly, DecodeAndMotion, Pipeline]
    if not args.skip_baseline:
        modes.append(EveryFrame)
    runs = []
    for mode in modes:
        say(f"{mode.name}: {args.cpu_warmup:.0f} s warm-up, {args.cpu_window:.0f} s measured")
        run = run_paced(mode(init.data, detector, args.detections_per_second), fragments, args.cpu_warmup)
        say(f"{mode.name}: {run.core() * 100:.1f}% of a core, box busy {run.box_busy:.0%}")
        runs.append(run)
    return runs


@dataclass
class Published:
    """An overlay.boxes message as it left the analytics worker."""

    frame_at: float  # the frame's fragment reached the analytics (wall clock)
    published_at: float  # the worker sent it to the channel layer ("ts")
    boxes: int


@dataclass
class Drawn:
    """A box set the live view drew for the first time (window.__vmsOverlayDrawn)."""

    pts: float
    frame_at: float
    drawn_at: float
    boxes: int
    published_at: float | None  # of the matching message, when the bench saw it on the channel layer too
    shown_at: float | None  # when the live view first showed the frame at `pts` (same clock as drawn_at)
    fragment_at: float | None  # when the frame's video fragment came out of the recorder's live fan-out

    @property
    def latency_ms(self) -> float:
        return (self.drawn_at - self.frame_at) * 1000


@dataclass(frozen=True)
class LatencySource:
    """What finds the boxes in a latency run: `analysis` is the camera's analysis_source; `start` says what the
    pipeline stamps as frame_at on this path (where the latency starts), `camera` and `work` what the stand-in
    camera and the analytics worker do."""

    name: str
    title: str
    analysis: str
    start: str
    camera: str
    work: str


LATENCY_SOURCES = {
    source.name: source
    for source in (
        LatencySource(
            name="server", title="server analysis", analysis="server",
            start="when the frame's video fragment reached the analytics worker (recorder -> Redis -> worker): about "
            "three frame intervals after the frame came from the camera, for the recorder holds each frame's video "
            "until the next frame comes three times over (FFmpeg's demuxer, TimestampRepair, the fMP4 muxer)",
            camera="FileRtspServer looping {clip}, analysed at {fps} fps by `manage.py analytics`",
            work="live feed from Redis, decoding, analysis, rules, database, publishing",
        ),
        LatencySource(
            name="camera", title="camera metadata", analysis="camera",
            start="when the frame's metadata document reached the analytics worker (recorder -> Redis -> worker), "
            "sent on as soon as it came from the camera, which sends it with the frame's video: about three frame "
            "intervals before the frame's video fragment (frame_at -> video fragment out)",
            camera="OnvifMetadataCamera showing {clip} (re-encoded live by x264, 500 kbit/s) with a Profile M "
            "metadata document per frame, the tracks the server's pipeline found in the clip; `manage.py analytics` "
            "applies them without decoding",
            work="metadata track from Redis, parsing, rules, database, publishing; the live video only timed",
        ),
    )
}


@dataclass
class OverlayLatency:
    source: LatencySource
    frame_interval: float  # seconds between the camera's frames
    seconds: float
    drawn: list[Drawn]
    published: int  # overlay.boxes messages on the camera's group during the window
    published_with_boxes: int
    worker_cores: float  # manage.py analytics, all threads
    recorder_cores: float
    daphne_cores: float
    box_busy: float
    errors: list[str] = field(default_factory=list)

    def latencies(self) -> list[float]:
        return [drawn.latency_ms for drawn in self.drawn]

    def from_fragment(self) -> list[float]:
        """ms from the frame's video fragment coming out of the recorder to its boxes drawn: the same start for
        every source."""
        return [(d.drawn_at - d.fragment_at) * 1000 for d in self.drawn if d.fragment_at is not None]

    def on_own_frame(self) -> tuple[int, int]:
        """Of the sets whose frame the bench saw shown: how many were drawn with that very frame (in its frame
        callback, not at a later frame's), and how many there are."""
        seen = [drawn for drawn in self.drawn if drawn.shown_at is not None]
        return sum(drawn.drawn_at - drawn.shown_at < self.frame_interval / 2 for drawn in seen), len(seen)


class OverlayListener(threading.Thread):
    """Listens on the camera's Channels group as daphne does, to see each overlay.boxes message leave the worker,
    and follows its live video as the worker and daphne do, to see when each frame's fragment comes out of the
    recorder: a start common to both sources, whose frame_at is not the same moment."""

    def __init__(self, camera_id: int) -> None:
        super().__init__(name="overlay-listener", daemon=True)
        self.camera_id = camera_id
        self.group = f"camera.{camera_id}"
        self.messages: dict[tuple[float, float], Published] = {}  # (pts, frame_at) -> message
        self.fragments: dict[int, float] = {}  # media time in ms -> when the frame's fragment arrived (wall clock)
        self.stopped = threading.Event()
        self.joined = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._listen())
        except BaseException as exc:  # noqa: BLE001  (reported with the figures)
            self.error = exc

    async def _listen(self) -> None:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(self.group, channel)
        video = asyncio.create_task(self._follow_video())
        self.joined.set()
        try:
            while not self.stopped.is_set():
                try:
                    event = await asyncio.wait_for(layer.receive(channel), timeout=1.0)
                except TimeoutError:
                    continue
                message = event.get("message", {})
                data = message.get("data", {})
                if message.get("type") == "overlay.boxes" and data.get("pts") is not None:
                    key = (round(data["pts"], 6), round(data["frame_at"], 6))
                    self.messages[key] = Published(data["frame_at"], message["ts"], len(data["boxes"]))
        finally:
            video.cancel()
            await layer.group_discard(self.group, channel)

    async def _follow_video(self) -> None:
        from recordings.live import LiveFragment, LiveStart, hub

        clock = None
        try:
            async for item in hub().subscribe(self.camera_id, watch=False):  # the worker or the browser watches
                if isinstance(item, LiveStart):
                    clock = LiveClock(item.init)
                elif isinstance(item, LiveFragment) and clock is not None:
                    clock.fragment(item.data, time.time())
                    if clock.pts is not None:
                        self.fragments.setdefault(round(clock.pts * 1000), clock.arrived)
        except Exception as exc:  # noqa: BLE001  (reported with the figures)
            self.error = exc

    def between(self, start: float, end: float) -> list[Published]:
        return [message for message in list(self.messages.values()) if start <= message.published_at < end]


def add_operator() -> None:
    """The Operator who watches the cameras live in the browser."""
    from django.contrib.auth.models import Group, User

    from accounts.roles import OPERATOR

    operator = User.objects.create_user(OPERATOR_NAME, password=OPERATOR_PASSWORD)
    operator.groups.add(Group.objects.get(name=OPERATOR))


def add_analysed_camera(url: str, source: LatencySource) -> int:
    """A camera analysed by `source` (this server at 5 fps, or its own metadata track), not recorded, with the
    dwell and line rules, which the Operator may watch."""
    from django.contrib.auth.models import User

    from accounts.models import CameraAccess
    from analytics.models import Rule, Zone
    from devices.models import Camera

    camera = Camera.objects.create(
        name=f"Walkway ({source.title})", main_url=url, analytics_enabled=True, analytics_fps=ANALYTICS_FPS,
        recording_mode="off", analysis_source=source.analysis, metadata_transport="stream",
    )
    walkway = Zone.objects.create(camera=camera, name="Walkway", kind="area", points=[list(p) for p in WALKWAY])
    middle = Zone.objects.create(camera=camera, name="Middle", kind="line", points=[list(p) for p in MIDDLE])
    Rule.objects.create(
        camera=camera,
        name="Lingering",
        condition="dwell",
        zone=walkway,
        object_classes=["person"],
        dwell_seconds=DWELL_SECONDS,
    )
    Rule.objects.create(
        camera=camera, name="Crossing", condition="cross", zone=middle, object_classes=["person"], raise_alarm=False
    )
    CameraAccess.objects.create(camera=camera, user=User.objects.get(username=OPERATOR_NAME))
    return camera.pk


def wait_until(check: Callable[[], bool], timeout: float, alive: Callable[[], None]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive()
        if check():
            return True
        time.sleep(0.5)
    return False


# When the live view first shows each frame, keyed by its media time in ms, read at the same point of the
# frame callback as the overlay's drawn_at (Date.now()), so that the video's own latency can be told apart.
LOG_SHOWN_FRAMES = """(() => {
  const video = document.querySelector("[data-testid=live-tile] video");
  const shown = (window.__benchShown = new Map());
  const onFrame = (_now, frame) => {
    const key = Math.round(frame.mediaTime * 1000);
    if (!shown.has(key)) shown.set(key, Date.now() / 1000);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
})()"""


def open_live_view(page: Page, base: str, camera_id: int) -> None:
    """Log in through the app's own form and open the camera's live page, as an operator would."""
    page.goto(f"{base}/live/{camera_id}")
    page.fill("[data-testid=login-form] input[name=username]", OPERATOR_NAME)
    page.fill("[data-testid=login-form] input[name=password]", OPERATOR_PASSWORD)
    page.click("[data-testid=login-form] button[type=submit]")
    page.wait_for_selector("[data-testid=who]", timeout=30_000)
    if not page.url.endswith(f"/live/{camera_id}"):
        page.goto(f"{base}/live/{camera_id}")
    page.wait_for_selector("[data-testid=live-tile][data-state=playing]", timeout=START_TIMEOUT * 1000)


def clip_format(clip: Path) -> tuple[int, int, int]:
    """The clip's width, height and frame rate."""
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        return video.width, video.height, round(video.average_rate)


def start_stand_in(clip: Path, source: LatencySource, cleanup: ExitStack) -> str:
    """The stand-in camera of a latency run, started (stopped by `cleanup`): its URL. For the server's analysis,
    the clip served as it is; for the camera's own, a Profile M camera showing the clip at its size, rate and
    keyframe interval (re-encoded live) with a metadata document per frame: the tracks the server's pipeline
    finds in the clip (made once, cached beside it), as a camera that saw the same people would report them."""
    if source.analysis == "server":
        return cleanup.enter_context(FileRtspServer(clip.parent, workers=4)).url_for(clip)
    width, height, fps = clip_format(clip)
    scene = camera_metadata.scene_of(clip, 60.0)
    camera = OnvifMetadataCamera(width=width, height=height, fps=fps, gop=fps, clip=clip, scene=scene)
    return cleanup.enter_context(camera).url


def measure_latency(clip: Path, sources: list[LatencySource], args: argparse.Namespace) -> list[OverlayLatency]:
    """Run the VMS against a throw-away database and, for each source in turn, measure its boxes over the live
    view of a camera showing `clip`."""
    if not (ROOT / "frontend" / "dist" / "index.html").is_file():
        sys.exit("The web app is not built: run `cd frontend && npm ci && npm run build` first.")
    with ExitStack() as cleanup:
        workdir = Path(tempfile.mkdtemp(prefix="vms-bench-analytics-"))
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        budget = args.detections_per_second or ANALYTICS_FPS  # 0: on every analysed frame
        set_environment(DATABASE, workdir / "media", REDIS_URL, VMS_DETECTIONS_PER_SECOND=str(budget))
        cleanup.enter_context(bench_database(DATABASE))
        add_operator()
        say(f"database {DATABASE} created and migrated")
        return [measure_overlay(clip, source, workdir / source.name, args) for source in sources]


def measure_overlay(clip: Path, source: LatencySource, workdir: Path, args: argparse.Namespace) -> OverlayLatency:
    """Start the VMS's processes on a camera analysed by `source` and read what the browser's live view drew; the
    processes are stopped and the camera disabled afterwards, so that the next source's run has the VMS alone."""
    from devices.models import Camera

    with ExitStack() as cleanup:
        logs = workdir / "logs"
        logs.mkdir(parents=True)
        url = start_stand_in(clip, source, cleanup)
        say(f"{source.title}: stand-in camera at {url}")
        camera_id = add_analysed_camera(url, source)
        cleanup.callback(lambda: Camera.objects.filter(pk=camera_id).update(enabled=False))

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        daphne_argv = [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                       "vms.asgi:application"]  # fmt: skip
        names = ("daphne", "recorder", "analytics")
        processes = {
            "daphne": cleanup.enter_context(running(daphne_argv, logs / "daphne.log")),
            "recorder": cleanup.enter_context(
                running([sys.executable, "manage.py", "recorder"], logs / "recorder.log")
            ),
            "analytics": cleanup.enter_context(
                running([sys.executable, "manage.py", "analytics"], logs / "analytics.log")
            ),
        }

        def alive() -> None:
            for name, process in processes.items():
                if process.poll() is not None:
                    sys.exit(f"{name} exited with code {process.returncode}:\n{log_tail(logs / f'{name}.log')}")

        listener = OverlayListener(camera_id)
        listener.start()
        cleanup.callback(listener.stopped.set)
        if not listener.joined.wait(30):
            sys.exit(f"could not listen on the channel layer: {listener.error}")
        # The worker follows the live feed (the server's analysis) or the metadata track (the camera's), which the
        # recorder publishes even with no viewer.
        if not wait_until(lambda: any(m.boxes for m in list(listener.messages.values())), START_TIMEOUT, alive):
            tails = "\n\n".join(f"{name}:\n{log_tail(logs / f'{name}.log')}" for name in names)
            sys.exit(f"no overlay boxes published within {START_TIMEOUT:.0f} s\n\n{tails}")
        say(f"{source.title}: the analytics worker publishes boxes: camera -> recorder -> Redis -> worker -> "
            "channel layer")

        page_errors: list[str] = []
        with chromium_page() as page:
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            open_live_view(page, base, camera_id)
            say(f"{source.title}: the live view plays")
            page.evaluate(LOG_SHOWN_FRAMES)
            drawing = wait_until(lambda: page.evaluate("(window.__vmsOverlayDrawn || []).length") > 0, 60, alive)
            if not drawing:
                say("the live view drew no box set within 60 s: measuring anyway, to count what was published")
            page.wait_for_timeout(args.warmup * 1000)
            page.evaluate("window.__vmsOverlayDrawn = []")
            servers = {name: psutil.Process(process.pid) for name, process in processes.items()}
            before = {name: cpu_seconds(process) for name, process in servers.items()}
            busy_from, total_from = box_counters()
            begun, begun_wall = time.monotonic(), time.time()
            page.wait_for_timeout(args.window * 1000)
            seconds = time.monotonic() - begun
            after = {name: cpu_seconds(process) for name, process in servers.items()}
            busy, total = box_counters()
            logged = page.evaluate("window.__vmsOverlayDrawn || []")
            shown = dict(page.evaluate("Array.from(window.__benchShown)"))
            overlay_attributes = page.evaluate(
                "(() => { const c = document.querySelector('[data-testid=overlay]');"
                " return c ? {...c.dataset} : null; })()"
            )
        alive()
        published = listener.between(begun_wall, begun_wall + seconds)
        drawn = []
        for entry in logged:
            message = listener.messages.get((round(entry["pts"], 6), round(entry["frame_at"], 6)))
            drawn.append(
                Drawn(
                    entry["pts"],
                    entry["frame_at"],
                    entry["drawn_at"],
                    entry["boxes"],
                    message.published_at if message else None,
                    shown.get(round(entry["pts"] * 1000)),
                    listener.fragments.get(round(entry["pts"] * 1000)),
                )
            )
        errors = list(page_errors)
        if overlay_attributes is None:
            errors.append("the live tile has no overlay canvas ([data-testid=overlay])")
        if listener.error is not None:
            errors.append(f"channel layer listener: {listener.error}")
        for name in names:
            lines = error_lines(logs / f"{name}.log")
            if lines:
                errors.append(f"{name} logged {len(lines)} error lines, the first: {lines[0]}")
        return OverlayLatency(
            source=source,
            frame_interval=1 / clip_format(clip)[2],
            seconds=seconds,
            drawn=drawn,
            published=len(published),
            published_with_boxes=sum(message.boxes > 0 for message in published),
            worker_cores=(after["analytics"] - before["analytics"]) / seconds,
            recorder_cores=(after["recorder"] - before["recorder"]) / seconds,
            daphne_cores=(after["daphne"] - before["daphne"]) / seconds,
            box_busy=(busy - busy_from) / (total - total_from),
            errors=errors,
        )


def busy_text(share: float) -> str:
    return f"{share:.0%}" + ("*" if share > SATURATED else "")


def percentile(values: list[float], share: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1]


def print_cpu(runs: list[CpuRun], clip: Path, source: PeopleClip, args: argparse.Namespace) -> None:
    print(
        f"\nclip: {clip.name}: {source.source} scaled to {WIDTH}x{HEIGHT} {FPS} fps H.264 ({BITRATE_KBPS} kbit/s, "
        f"a keyframe a second), {args.cpu_window:.0f} s per run after {args.cpu_warmup:.0f} s of warm-up, "
        f"paced in real time; {psutil.cpu_count()} cores"
    )
    budget = (
        f"at most {args.detections_per_second:g} detector runs/s"
        if args.detections_per_second
        else ("the detector on every analysed frame")
    )
    print(
        "CPU per camera: this process's CPU time / wall time, as one analytics thread (LiveDecoder, then "
        f"FrameAnalyser(load_detector(None)), {budget}, + RuleEngine with a dwell zone and a line)\n"
    )
    print(
        f"{'run':<43}  {'%core':>6}  {'analysed/s':>10}  {'detector calls/s':>16}  {'passes/call':>11}  "
        f"{'ms/call':>7}  {'max lag ms':>10}  {'box busy':>8}"
    )
    for run in runs:
        calls = run.detector_calls
        per_call = f"{run.detector_passes / calls:.2f}" if calls else "-"
        ms = f"{run.detector_cpu / calls * 1000:.0f}" if calls else "-"
        print(
            f"{run.name:<43}  {run.core() * 100:>6.1f}  {run.tally.analysed / run.seconds:>10.1f}  "
            f"{calls / run.seconds:>16.1f}  {per_call:>11}  {ms:>7}  {run.max_lag * 1000:>10.0f}  "
            f"{busy_text(run.box_busy):>8}"
        )
    by_name = {run.name: run for run in runs}
    pipeline = by_name.get(Pipeline.name)
    decode = by_name.get(DecodeOnly.name)
    naive = by_name.get(EveryFrame.name)
    if naive and decode and naive.tally.analysed:
        achieved = naive.tally.analysed / naive.seconds
        needed = decode.core() + (naive.core() - decode.core()) * FPS / achieved
        print(
            f"\nbaseline: searched {achieved:.1f} of {FPS} frames a second ({achieved / FPS:.0%}); keeping up "
            f"would take about {needed * 100:.0f}% of a core (decode + {FPS}/{achieved:.1f} x the rest)"
        )
    if pipeline:
        verdict = "met" if pipeline.core() < GOAL_CPU else "NOT met"
        ratio = f", {naive.core() / pipeline.core():.1f}x less CPU than the baseline" if naive else ""
        print(
            f"goal: under {GOAL_CPU:.0%} of a core per camera at {ANALYTICS_FPS} fps: {verdict} "
            f"({pipeline.core() * 100:.1f}%{ratio}; {1 / pipeline.core():.1f} cameras per core)"
        )
        if pipeline.detector_calls:
            print(
                f"full pipeline: the detector took {pipeline.detector_cpu / pipeline.cpu_seconds:.0%} of its CPU; "
                f"it ran on {pipeline.detector_calls / max(pipeline.tally.analysed, 1):.0%} of the analysed "
                f"frames, {pipeline.detector_full_frames} of {pipeline.detector_calls} calls on the full frame"
            )
        tally = pipeline.tally
        events = ", ".join(f"{count} {condition}" for condition, count in sorted(tally.events.items())) or "none"
        print(
            f"checks (full pipeline): {tally.boxes / max(tally.analysed, 1):.1f} tracked boxes per analysed "
            f"frame, {len(tally.tracks)} track ids, events started: {events}; {tally.crossings} line crossings; "
            f"{tally.skipped} fragments skipped to catch up"
        )
    print(
        "box busy: share of all cores in use during the run, anything else on the machine included "
        f"(* above {SATURATED:.0%}: saturated, the figures are distorted)"
    )


def verdict(values: list[float]) -> str:
    if len(values) < 2:
        return "not measured (no box set drawn)"
    return "met" if statistics.median(values) < GOAL_MEDIAN_MS else "NOT met"


def print_latency(latency: OverlayLatency, clip: Path, args: argparse.Namespace) -> None:
    source = latency.source
    print(
        f"\n{source.title}: latency from frame_at to the frame's boxes drawn over the live view in Chromium "
        f"(drawn_at), over {latency.seconds:.0f} s after {args.warmup:.0f} s of warm-up; camera: "
        f"{source.camera.format(clip=clip.name, fps=ANALYTICS_FPS)}\nframe_at: {source.start}\n"
    )
    values = latency.latencies()
    print(f"{'':<34}  {'median ms':>9}  {'p95 ms':>6}  {'min ms':>6}  {'max ms':>6}  {'box sets':>8}")

    def row(name: str, samples: list[float]) -> None:
        if len(samples) < 2:
            print(f"{name:<34}  {'-':>9}  {'-':>6}  {'-':>6}  {'-':>6}  {len(samples):>8}")
            return
        print(
            f"{name:<34}  {statistics.median(samples):>9.0f}  {percentile(samples, 95):>6.0f}  "
            f"{min(samples):>6.0f}  {max(samples):>6.0f}  {len(samples):>8}"
        )

    row("arrival -> drawn", values)
    matched = [drawn for drawn in latency.drawn if drawn.published_at is not None]
    row("  arrival -> published (worker)", [(d.published_at - d.frame_at) * 1000 for d in matched])
    row("  published -> drawn (to screen)", [(d.drawn_at - d.published_at) * 1000 for d in matched])
    seen = [drawn for drawn in latency.drawn if drawn.shown_at is not None]
    row("video: arrival -> frame shown", [(d.shown_at - d.frame_at) * 1000 for d in seen])
    row("boxes: frame shown -> drawn", [(d.drawn_at - d.shown_at) * 1000 for d in seen])
    row("video fragment out -> drawn", latency.from_fragment())
    row("  frame_at -> video fragment out",
        [(d.fragment_at - d.frame_at) * 1000 for d in latency.drawn if d.fragment_at is not None])
    own, shown = latency.on_own_frame()
    print(
        f"\nbox sets: drawn for the first time during the window; the worker published {latency.published} "
        f"({latency.published_with_boxes} with boxes, {latency.published / latency.seconds:.1f}/s) meanwhile;"
        "\nto screen: the channel layer, daphne, the websocket, and the wait for the frame to be shown;"
        "\nvideo: when the live view first showed the same frames; frame shown -> drawn is 0 when a set is drawn "
        "with its own frame\n(a few ms below 0: the overlay's frame callback reads the clock just before the bench's);"
        "\nvideo fragment out: when the bench, following the live video as the worker and daphne do, got the frame's "
        "fragment: the same start for every source"
        f"\ndrawn with their own frame (in its frame callback, not a later frame's): {own} of the {shown} sets whose "
        f"frame was seen shown ({own / max(shown, 1):.0%})"
    )
    print(f"goal: median under {GOAL_MEDIAN_MS} ms: {verdict(values)}")
    print(
        f"during the window: manage.py analytics {latency.worker_cores * 100:.1f}% of a core (1 camera, all its "
        f"threads: {source.work}), recorder {latency.recorder_cores * 100:.1f}%, daphne "
        f"{latency.daphne_cores * 100:.1f}%; box busy {busy_text(latency.box_busy)} (Chromium and the stand-in "
        "camera included)"
    )
    for error in latency.errors[:8]:
        print(f"error: {error}")


def print_latency_sources(latencies: list[OverlayLatency]) -> None:
    """The sources' figures side by side: same VMS, browser and clip, one run after the other."""
    interval = latencies[0].frame_interval * 1000
    print(
        "\nboxes drawn over the live view, by what found them: frame_at -> drawn_at, frame_at as said above; and from "
        "the frame's video fragment\ncoming out of the recorder, the same start for both. Camera metadata's frame_at "
        f"includes the three frame intervals (3 x {interval:.0f} ms) the recorder\nholds each frame's video before "
        "that (demuxer, timestamp repair, muxer); server analysis's does not.\n"
    )
    print(f"{'source':<16}  {'median ms':>9}  {'p95 ms':>6}  {'box sets':>8}  {'own frame':>9}  "
          f"{'from the video fragment: median ms':>34}  {'box busy':>8}  goal")  # fmt: skip

    def ms(values: list[float], share: int) -> str:
        if len(values) < 2:
            return "-"
        return f"{statistics.median(values) if share == 50 else percentile(values, share):.0f}"

    for latency in latencies:
        values = latency.latencies()
        own, shown = latency.on_own_frame()
        print(
            f"{latency.source.title:<16}  {ms(values, 50):>9}  {ms(values, 95):>6}  {len(values):>8}  "
            f"{own / max(shown, 1):>9.0%}  {ms(latency.from_fragment(), 50):>34}  {busy_text(latency.box_busy):>8}  "
            f"{verdict(values)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cpu-window", type=float, default=60, help="seconds measured per CPU run")
    parser.add_argument("--cpu-warmup", type=float, default=5, help="seconds fed before each CPU run is measured")
    parser.add_argument("--window", type=float, default=60, help="seconds of box sets read in the browser")
    parser.add_argument("--warmup", type=float, default=10, help="seconds the live view plays before the window")
    parser.add_argument("--camera", choices=["720p", "576p"], default="720p",
                        help=f"the latency run's camera: the {WIDTH}x{HEIGHT} {FPS} fps clip or the 768x576 "
                        "10 fps footage as it is")  # fmt: skip
    parser.add_argument(
        "--detections-per-second",
        type=float,
        default=DETECTIONS_PER_SECOND,
        help="the detector's budget per camera in both parts, as VMS_DETECTIONS_PER_SECOND (0: every analysed frame)",
    )
    parser.add_argument("--skip-baseline", action="store_true", help="no detector-on-every-frame run")
    parser.add_argument("--skip-cpu", action="store_true", help="measure latency only")
    parser.add_argument("--skip-latency", action="store_true", help="measure CPU only")
    parser.add_argument("--latency-sources", nargs="+", choices=list(LATENCY_SOURCES), default=list(LATENCY_SOURCES),
                        help="what finds the boxes in the latency run, one after the other: this server's analysis "
                        "of the video, the camera's own metadata track (Profile M)")  # fmt: skip
    parser.add_argument("--metadata-cameras", type=int, default=50,
                        help="cameras sending their own scene metadata at once in the camera-metadata run")
    parser.add_argument("--skip-metadata", action="store_true", help="no camera-metadata run")
    args = parser.parse_args()

    source = people_clip()
    if not source.real_people:
        say(f"vtest.avi is unavailable ({source.fallback_reason}): using generated walking figures")
    clip = make_clip(source)
    runs = [] if args.skip_cpu else measure_cpu(clip, args)
    latency_clip = clip if args.camera == "720p" else source.path
    sources = [LATENCY_SOURCES[name] for name in dict.fromkeys(args.latency_sources)]
    latencies = [] if args.skip_latency else measure_latency(latency_clip, sources, args)
    metadata = None
    if not args.skip_metadata:
        if "DJANGO_SETTINGS_MODULE" not in os.environ:  # the latency run sets the VMS's environment up
            set_environment(DATABASE, Path(tempfile.mkdtemp(prefix="vms-bench-metadata-")), REDIS_URL)
        say(f"camera metadata: {args.metadata_cameras} cameras, {args.cpu_warmup:.0f} s warm-up, "
            f"{args.cpu_window:.0f} s measured")
        metadata = camera_metadata.measure(clip, args.metadata_cameras, args.cpu_window, args.cpu_warmup,
                                           *scene_rules())
    if runs:
        print_cpu(runs, clip, source, args)
    for latency in latencies:
        print_latency(latency, latency_clip, args)
    if len(latencies) > 1:
        print_latency_sources(latencies)
    if metadata is not None:
        pipeline = next((run for run in runs if run.name == Pipeline.name), None)
        camera_metadata.print_report(metadata, pipeline.core() if pipeline else None)
    say("done")


if __name__ == "__main__":
    main()
