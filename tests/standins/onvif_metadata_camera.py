"""A live RTSP camera with an ONVIF analytics metadata track (Profile M), on GStreamer's RTSP server; run it with
the system python (python3-gi).

One RTSP session carries two media: H.264 video of a synthetic scene (a grey picture with solid rectangles, the
"objects", moving along fixed paths that loop every 20 s) and `application` VND.ONVIF.METADATA, one
`tt:MetadataStream` document describing the objects of each video frame (or of every Nth). It binds 127.0.0.1
only and prints `READY rtsp://127.0.0.1:PORT/PATH` once it listens.

Metadata, per the ONVIF Streaming Specification (onvif/specs doc/Streaming.xml, "RTP for Metadata stream": a
dynamic payload type, the payload the XML document's bytes, split over as many packets as needed, marker bit
set on the packet that closes it; here the RTP timestamp is the one of the video frame it describes) and the
ONVIF Analytics Service Specification ("Scene Description": Frame, Object, Appearance/Shape/BoundingBox,
CenterOfGravity, Class, ObjectTree/Delete). Coordinates are normalised to -1..1 with y up (top > bottom).

With --pixel-coordinates shapes are in pixels (origin top-left, y down, as Axis cameras send them) and each
Frame starts with the transformation to the normalised system. What the spec says, read in onvif/specs
(github.com/onvif/specs, doc/Analytics.xml, section "Spatial Relation" and its formula images
media/Analytics/image9, image15, image16): a point p given in a frame's coordinate system maps to the normalised
point q = p * s + t componentwise (q.x = p.x * Scale.x + Translate.x, q.y = p.y * Scale.y + Translate.y);
Scale defaults to (1, 1) and Translate to (0, 0); a nested Transformation (u, v) composes as s' = u * s,
t' = v * s + t. The spec's own example uses a lower-left origin (Translate -1 -1, Scale 2/320 2/240); for a
top-left origin with y down the transformation is Translate (-1, 1), Scale (2/width, -2/height), which is what
this camera writes.

With --old-class-schema the class is written as ClassCandidate/Type + Likelihood (ONVIF before Profile M).

Timing: both streams are stamped with the pipeline's running time of the frame (the metadata RTP timestamp is
computed exactly as rtph264pay computes the video's), and rtpbin's RTCP sender reports map both to NTP from
that capture time (rtcp-sync-send-time off), so FFmpeg gives a document the pts of its video frame: exactly until
the first RTCP report, within one 90 kHz tick (11 us) after it, when FFmpeg re-times each stream by NTP. Each
client gets its own pipeline, which starts the scene at the client's first frame: FFmpeg's pts of frame n is
n / fps (to a tick), which --truth records. FFmpeg gives the first video packet (SPS, PPS, frame 0) no pts.
UtcTime is the wall clock when the frame was pushed, as RTCP would map its RTP time.

With --clip and --scene the camera shows real footage instead: the clip (any file GStreamer decodes) is
decoded here, scaled to the stream's size and rate and looped, and each frame's document lists the tracks of the
scene (JSON `[[t, [[id, label, score, [x0, y0, x1, y1]], ...]], ...]`, corners as fractions of the picture, as
bench/camera_metadata.py's `scene_of` writes it) at that frame's clip time: the latest entry at or before it,
when no more than half a scene interval older. ObjectId is the track id (a new one on each pass of the clip);
a person is a Human, a car, bus or truck a Vehicle, and a track is deleted after its last entry. Each pass ends
with the scene (or the clip, if shorter), so every frame shown has its boxes.

With --garbage-every N every Nth document is malformed, alternately not well-formed XML (its Frame left
unclosed) and with "nan" for a box's left side (the first kind when the frame has no box), as a faulty camera
might send. Both still end with the closing MetadataStream tag: a document cut off before it is taken by
readers for the remains of one whose last packets were lost, and dropped unread.
"""

import argparse
import bisect
import contextlib
import itertools
import json
import random
import re
import signal
import statistics
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402
from gst_auth import require_basic_auth  # noqa: E402

# Before OnvifMedia below registers a subclass of GstRTSPMedia, whose signals take GStreamer types.
Gst.init(None)

NAMESPACE = "http://www.onvif.org/ver10/schema"
PERIOD = 20.0  # seconds after which the scene repeats
CLOCK_RATE = 90000
METADATA_CAPS = (
    "application/x-rtp,media=(string)application,clock-rate=(int)90000,"
    "encoding-name=(string)VND.ONVIF.METADATA,payload=(int)107"
)
_RTP_HEADER = struct.Struct("!BBHII")
GREY = (128, 128, 128)


@dataclass(frozen=True)
class Walker:
    """An object crossing the picture in a straight line: its box centre goes from `start` to `end` (fractions of
    the picture, y down) between `enter` and `leave` seconds of each period; both ends lie outside the picture."""

    object_class: str
    rgb: tuple[int, int, int]
    size: tuple[float, float]  # width, height as fractions of the picture
    start: tuple[float, float]
    end: tuple[float, float]
    enter: float
    leave: float
    likelihood: float = 0.9

    def box_at(self, t: float, width: int, height: int) -> tuple[int, int, int, int] | None:
        """The box (x0, y0, x1, y1) in pixels, clipped to the picture and on even pixels (exact in I420) at `t`
        seconds into the period, or None when none of the object is in the picture."""
        if not self.enter <= t < self.leave:
            return None
        u = (t - self.enter) / (self.leave - self.enter)
        cx = self.start[0] + (self.end[0] - self.start[0]) * u
        cy = self.start[1] + (self.end[1] - self.start[1]) * u
        w, h = self.size

        def even(fraction: float, limit: int) -> int:
            return min(max(round(fraction * limit / 2) * 2, 0), limit)

        x0, x1 = even(cx - w / 2, width), even(cx + w / 2, width)
        y0, y1 = even(cy - h / 2, height), even(cy + h / 2, height)
        if x1 <= x0 or y1 <= y0:
            return None
        return x0, y0, x1, y1


# Paths cover the period so that some object is almost always in view; each enters and leaves through an edge.
SCENE = (
    Walker("Human", (220, 40, 40), (0.06, 0.25), (-0.04, 0.62), (1.04, 0.55), 0.0, 12.0),
    Walker("Vehicle", (40, 80, 220), (0.22, 0.14), (1.12, 0.30), (-0.12, 0.34), 3.0, 11.0, 0.8),
    Walker("Human", (40, 180, 60), (0.05, 0.20), (0.75, -0.11), (0.70, 1.11), 8.0, 18.0, 0.85),
    Walker("Vehicle", (230, 200, 40), (0.25, 0.16), (-0.13, 0.82), (1.13, 0.80), 12.0, 20.0, 0.75),
)


@dataclass(frozen=True)
class SceneObject:
    """One object as seen in one frame: its ONVIF ObjectId, class, likelihood, box in pixels (x0, y0, x1, y1; y
    down) and, in the synthetic scene, the colour it is drawn in."""

    object_id: int
    object_class: str
    likelihood: float
    box: tuple[int, int, int, int]
    rgb: tuple[int, int, int] = GREY


def scene_at(frame: int, fps: int, width: int, height: int) -> list[SceneObject]:
    """The objects in view in frame number `frame` of a stream that starts the scene at frame 0."""
    loop, offset = divmod(frame, round(PERIOD * fps))
    t = offset / fps
    objects = []
    for index, walker in enumerate(SCENE):
        box = walker.box_at(t, width, height)
        if box is not None:
            # A new ObjectId on each pass: the spec forbids reusing a deleted one (until the counter wraps).
            object_id = loop % 10000 * len(SCENE) + index + 1
            objects.append(SceneObject(object_id, walker.object_class, walker.likelihood, box, walker.rgb))
    return objects


def _yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = rgb
    y = 0.257 * r + 0.504 * g + 0.098 * b + 16
    u = -0.148 * r - 0.291 * g + 0.439 * b + 128
    v = 0.439 * r - 0.368 * g - 0.071 * b + 128
    return round(y), round(u), round(v)


def draw_frame(objects: list[SceneObject], width: int, height: int) -> bytes:
    """An I420 picture: grey, with each object's box filled in its colour (boxes are on even pixels)."""
    grey_y, grey_u, grey_v = _yuv(GREY)
    luma = bytearray([grey_y]) * (width * height)
    chroma_width = width // 2
    chroma_u = bytearray([grey_u]) * (chroma_width * (height // 2))
    chroma_v = bytearray([grey_v]) * (chroma_width * (height // 2))
    for obj in objects:
        x0, y0, x1, y1 = obj.box
        y, u, v = _yuv(obj.rgb)
        row = bytes([y]) * (x1 - x0)
        for line in range(y0, y1):
            luma[line * width + x0:line * width + x1] = row
        row_u, row_v = bytes([u]) * ((x1 - x0) // 2), bytes([v]) * ((x1 - x0) // 2)
        for line in range(y0 // 2, y1 // 2):
            start = line * chroma_width + x0 // 2
            chroma_u[start:start + len(row_u)] = row_u
            chroma_v[start:start + len(row_v)] = row_v
    return bytes(luma + chroma_u + chroma_v)


def _number(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class DocumentStyle:
    """How a camera writes its documents: the namespace prefix ("" for a default namespace), pixel coordinates
    with a Transformation or normalised ones, and the class as Type/@Likelihood or as ClassCandidate."""

    prefix: str = "tt"
    pixel_coordinates: bool = False
    old_class_schema: bool = False


def metadata_document(
    utc: datetime, objects: list[SceneObject], deleted: list[int], width: int, height: int, style: DocumentStyle
) -> bytes:
    """One tt:MetadataStream document with one Frame: the objects in view and the ObjectIds that left."""

    def tag(name: str) -> str:
        return f"{style.prefix}:{name}" if style.prefix else name

    xmlns = f"xmlns:{style.prefix}" if style.prefix else "xmlns"
    stamp = utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<{tag("MetadataStream")} {xmlns}="{NAMESPACE}">',
        f' <{tag("VideoAnalytics")}>',
        f'  <{tag("Frame")} UtcTime="{stamp}" Source="VideoSourceToken">',
    ]
    if style.pixel_coordinates:
        lines += [
            f'   <{tag("Transformation")}>',
            f'    <{tag("Translate")} x="-1" y="1"/>',
            f'    <{tag("Scale")} x="{2 / width!r}" y="{-2 / height!r}"/>',
            f'   </{tag("Transformation")}>',
        ]
    for obj in objects:
        x0, y0, x1, y1 = obj.box
        if style.pixel_coordinates:
            left, top, right, bottom = x0, y0, x1, y1
        else:
            left, right = 2 * x0 / width - 1, 2 * x1 / width - 1
            top, bottom = 1 - 2 * y0 / height, 1 - 2 * y1 / height
        kind, likelihood = obj.object_class, _number(obj.likelihood)
        if style.old_class_schema:
            kind_xml = (
                f'<{tag("ClassCandidate")}><{tag("Type")}>{kind}</{tag("Type")}>'
                f'<{tag("Likelihood")}>{likelihood}</{tag("Likelihood")}></{tag("ClassCandidate")}>'
            )
        else:
            kind_xml = f'<{tag("Type")} Likelihood="{likelihood}">{kind}</{tag("Type")}>'
        lines += [
            f'   <{tag("Object")} ObjectId="{obj.object_id}">',
            f'    <{tag("Appearance")}>',
            f'     <{tag("Shape")}>',
            f'      <{tag("BoundingBox")} left="{_number(left)}" top="{_number(top)}"'
            f' right="{_number(right)}" bottom="{_number(bottom)}"/>',
            f'      <{tag("CenterOfGravity")} x="{_number((left + right) / 2)}" y="{_number((top + bottom) / 2)}"/>',
            f'     </{tag("Shape")}>',
            f'     <{tag("Class")}>{kind_xml}</{tag("Class")}>',
            f'    </{tag("Appearance")}>',
            f'   </{tag("Object")}>',
        ]
    if deleted:
        removals = "".join(f'<{tag("Delete")} ObjectId="{object_id}"/>' for object_id in deleted)
        lines.append(f'   <{tag("ObjectTree")}>{removals}</{tag("ObjectTree")}>')
    lines += [f'  </{tag("Frame")}>', f' </{tag("VideoAnalytics")}>', f'</{tag("MetadataStream")}>']
    return "\n".join(lines).encode()


def rtp_packets(document: bytes, seqnum: int, rtptime: int, ssrc: int, max_packet: int) -> list[bytes]:
    """The RTP packets (payload type 107) carrying `document`: payloads of at most `max_packet` - 12 bytes, one
    timestamp, consecutive sequence numbers from `seqnum`, the marker bit on the last."""
    size = max_packet - _RTP_HEADER.size
    chunks = [document[i:i + size] for i in range(0, len(document), size)]
    return [
        _RTP_HEADER.pack(0x80, (0x80 if i == len(chunks) - 1 else 0) | 107, (seqnum + i) & 0xFFFF, rtptime, ssrc)
        + chunk
        for i, chunk in enumerate(chunks)
    ]


def rtp_ticks(running_time: int) -> int:
    """Running time (ns) in 90 kHz ticks, truncated as GStreamer's RTP payloaders do."""
    return running_time * CLOCK_RATE // Gst.SECOND


# The detector's labels as ONVIF class types; a track of any other label is not reported.
ONVIF_CLASSES = {"person": "Human", "car": "Vehicle", "bus": "Vehicle", "truck": "Vehicle"}
# Ids of the scene's tracks are offset by this on each pass of the clip, so that a deleted ObjectId never comes back.
_PASS_IDS = 100_000
_EPSILON = 1e-6  # seconds: the scene's times are rounded to the millisecond


class FootageScene:
    """The tracks found in a clip (bench/camera_metadata.py `scene_of`'s JSON), looked up by clip time."""

    def __init__(self, path: Path) -> None:
        entries = json.loads(Path(path).read_text())
        if not entries:
            raise ValueError(f"{path} has no scene entries")
        self.times = [float(t) for t, _tracks in entries]
        self.entries = [
            [(int(track_id), label, float(score), box) for track_id, label, score, box in tracks
             if label in ONVIF_CLASSES]
            for _t, tracks in entries
        ]
        gaps = [later - earlier for earlier, later in itertools.pairwise(self.times)]
        self.interval = statistics.median(gaps) if gaps else 1.0
        # Seconds of clip the scene covers: a pass of the clip ends there.
        self.length = self.times[-1] + self.interval
        self.lifetimes: dict[int, tuple[float, float]] = {}  # track id -> (first, last) entry time
        for t, tracks in zip(self.times, self.entries, strict=True):
            for track_id, *_rest in tracks:
                first, _last = self.lifetimes.get(track_id, (t, t))
                self.lifetimes[track_id] = (first, t)

    def objects_at(self, t: float, rerun: int, width: int, height: int) -> list[SceneObject]:
        """The tracks of the latest entry at or before clip time `t`, if it is at most half an interval older."""
        index = bisect.bisect_right(self.times, t + _EPSILON) - 1
        if index < 0 or t - self.times[index] > self.interval / 2 + _EPSILON:
            return []

        def pixel(fraction: float, limit: int) -> int:
            return min(max(round(fraction * limit), 0), limit)

        objects = []
        for track_id, label, score, (x0, y0, x1, y1) in self.entries[index]:
            box = pixel(x0, width), pixel(y0, height), pixel(x1, width), pixel(y1, height)
            if box[2] > box[0] and box[3] > box[1]:
                objects.append(SceneObject(rerun * _PASS_IDS + track_id, ONVIF_CLASSES[label], score, box))
        return objects

    def alive_at(self, t: float, rerun: int) -> set[int]:
        """The ObjectIds of the tracks begun and not yet ended at clip time `t` (a track ends when its last
        entry is no longer shown)."""
        return {
            rerun * _PASS_IDS + track_id
            for track_id, (first, last) in self.lifetimes.items()
            if first - _EPSILON <= t <= last + self.interval / 2 + _EPSILON
        }


def clip_frames(path: Path, width: int, height: int, fps: int, length: float) -> Iterator[tuple[int, float, bytes]]:
    """The clip's frames as I420 pictures of `width` x `height` at `fps`, decoded by GStreamer, looping forever
    with passes of at most `length` seconds: (pass, seconds into the clip, picture)."""
    for rerun in itertools.count():
        pipeline = Gst.parse_launch(
            "filesrc name=file ! decodebin ! videoconvert ! videoscale ! videorate"
            f" ! video/x-raw,format=I420,width={width},height={height},framerate={fps}/1"
            " ! appsink name=frames sync=false max-buffers=8"
        )
        pipeline.get_by_name("file").set_property("location", str(path))
        sink = pipeline.get_by_name("frames")
        pipeline.set_state(Gst.State.PLAYING)
        index = 0
        try:
            while index / fps < length - _EPSILON:
                # None at the end of the clip, or when it does not decode.
                sample = sink.emit("try-pull-sample", 10 * Gst.SECOND)
                if sample is None:
                    break
                buffer = sample.get_buffer()
                yield rerun, index / fps, buffer.extract_dup(0, buffer.get_size())
                index += 1
        finally:
            pipeline.set_state(Gst.State.NULL)
        if index == 0:
            raise RuntimeError(f"no frame of {path} decodes")


@dataclass(frozen=True)
class Shot:
    """What a camera sends for one frame: the picture (drawn on demand), the objects in view, and the ObjectIds of
    the objects that have not left the scene (those reported before and not among them are deleted)."""

    picture: Callable[[], bytes]
    objects: list[SceneObject]
    alive: set[int]


def synthetic_shots(width: int, height: int, fps: int) -> Iterator[Shot]:
    """The synthetic scene's frames, from frame 0."""
    for frame in itertools.count():
        objects = scene_at(frame, fps, width, height)
        yield Shot(partial(draw_frame, objects, width, height), objects, {obj.object_id for obj in objects})


def footage_shots(clip: Path, scene_path: Path, width: int, height: int, fps: int) -> Iterator[Shot]:
    """The clip's frames, looped, each with the scene's tracks at its clip time."""
    scene = FootageScene(scene_path)
    for rerun, t, picture in clip_frames(clip, width, height, fps, scene.length):
        yield Shot(partial(bytes, picture), scene.objects_at(t, rerun, width, height), scene.alive_at(t, rerun))


def malformed(document: bytes, number: int) -> bytes:
    """`document` spoiled as a faulty camera might: its Frame left unclosed (not well-formed XML), or for odd
    `number` with "nan" for a box's left side when it has a box."""
    if number % 2:
        spoiled, count = re.subn(rb'left="[^"]*"', b'left="nan"', document, count=1)
        if count:
            return spoiled
    return re.sub(rb"</(?:\w+:)?Frame>", b"", document, count=1)


class Feed:
    """Feeds one media's two appsrcs in real time from a thread: frame n at running time rt0 + n / fps, and
    its metadata document with the same running time."""

    def __init__(self, args: argparse.Namespace, video: Gst.Element, metadata: Gst.Element, number: int) -> None:
        self.args = args
        self.video = video
        self.metadata = metadata
        self.number = number
        self.style = DocumentStyle(args.prefix, args.pixel_coordinates, args.old_class_schema)
        self.stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seqnum = random.randrange(1 << 16)
        self._ssrc = random.randrange(1 << 32)
        self._rtp_base = random.randrange(1 << 32)
        # rtpbin takes a stream's clock rate from caps only when they name its SSRC, as payloaders' caps do;
        # without it its sender reports cannot extrapolate RTP time and are off by up to a frame.
        metadata.set_property("caps", Gst.Caps.from_string(
            f"{METADATA_CAPS},ssrc=(uint){self._ssrc},timestamp-offset=(uint){self._rtp_base},"
            f"seqnum-offset=(uint){self._seqnum}"
        ))

    def start_once(self, *_: object) -> None:
        """Start feeding (the video appsrc's first need-data: the pipeline is playing and has a base time)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"feed-{self.number}", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        clock, base_time = self.video.get_clock(), self.video.get_base_time()
        rt0 = clock.get_time() - base_time
        utc0 = time.time()
        fps, width, height = self.args.fps, self.args.width, self.args.height
        if self.args.clip is None:
            shots = synthetic_shots(width, height, fps)
        else:
            shots = footage_shots(self.args.clip, self.args.scene, width, height, fps)
        with contextlib.closing(shots):
            self._feed(shots, clock, base_time, rt0, utc0)

    def _feed(self, shots: Iterator[Shot], clock: Gst.Clock, base_time: int, rt0: int, utc0: float) -> None:
        fps, width, height = self.args.fps, self.args.width, self.args.height
        every, garbage_every = self.args.metadata_every, self.args.garbage_every
        reported: set[int] = set()
        documents = 0
        for frame, shot in enumerate(shots):
            if self.stop.is_set():
                return
            pts = rt0 + frame * Gst.SECOND // fps
            delay = base_time + pts - clock.get_time()
            if delay > 0 and self.stop.wait(delay / Gst.SECOND):
                return
            objects = shot.objects
            stopped = self.args.video_stops_after is not None and frame >= self.args.video_stops_after * fps
            if not stopped:
                picture = Gst.Buffer.new_wrapped(shot.picture())
                picture.pts, picture.duration = pts, Gst.SECOND // fps
                if self.video.emit("push-buffer", picture) != Gst.FlowReturn.OK:
                    return
            if frame % every == 0:
                utc = datetime.fromtimestamp(utc0 + (pts - rt0) / Gst.SECOND, UTC)
                seen = {obj.object_id for obj in objects}
                document = metadata_document(utc, objects, sorted(reported - shot.alive), width, height, self.style)
                documents += 1
                garbage = garbage_every is not None and documents % garbage_every == 0
                if garbage:
                    # Unread, so its deletions come in the next document.
                    document = malformed(document, documents // garbage_every)
                else:
                    reported = (reported | seen) & shot.alive
                packets = rtp_packets(
                    document, self._seqnum, (self._rtp_base + rtp_ticks(pts)) & 0xFFFFFFFF, self._ssrc,
                    self.args.max_payload,
                )
                self._seqnum += len(packets)
                for packet in packets:
                    buffer = Gst.Buffer.new_wrapped(packet)
                    buffer.pts = pts
                    if self.metadata.emit("push-buffer", buffer) != Gst.FlowReturn.OK:
                        return
                self._write_truth(rtp_ticks(pts) - rtp_ticks(rt0), utc, objects, garbage)

    def _write_truth(self, ticks: int, utc: datetime, objects: list[SceneObject], garbage: bool = False) -> None:
        if self.args.truth is None:
            return
        width, height = self.args.width, self.args.height
        line = {
            "media": self.number,
            # FFmpeg's pts: RTP ticks since the first packet of this client's session (RTP-Info's rtptime).
            "pts": ticks / CLOCK_RATE,
            "utc": utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z",
            "objects": [
                {
                    "id": obj.object_id, "class": obj.object_class,
                    "x": obj.box[0] / width, "y": obj.box[1] / height,
                    "w": (obj.box[2] - obj.box[0]) / width, "h": (obj.box[3] - obj.box[1]) / height,
                }
                for obj in objects
            ],
        }
        if garbage:
            line["malformed"] = True
        self.args.truth.write(json.dumps(line) + "\n")
        self.args.truth.flush()


class OnvifMedia(GstRtspServer.RTSPMedia):
    """A media whose RTCP sender reports map RTP time to NTP from each buffer's capture (running) time."""

    def do_setup_rtpbin(self, rtpbin: Gst.Element) -> bool:
        # By default the mapping uses the time a packet is sent, which for video comes after encoding and for
        # metadata at once: FFmpeg, which re-times streams on the first report, would shift one against the other.
        rtpbin.set_property("rtcp-sync-send-time", False)
        return True


def build_launch(args: argparse.Namespace) -> str:
    """Return the gst-launch description of the camera's media pipeline (appsrcs fed by `Feed`)."""
    video = (
        "appsrc name=video is-live=true format=time max-bytes=0"
        f" caps=video/x-raw,format=I420,width={args.width},height={args.height},framerate={args.fps}/1"
        f" ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={args.gop} bitrate={args.bitrate}"
        " threads=1 ! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=-1"
    )
    # Packets built here, so pay1 only has to be the element the RTSP server takes the stream from.
    metadata = f'appsrc name=metadata is-live=true format=time caps="{METADATA_CAPS}" ! identity name=pay1'
    return f"( {video} {metadata} )"


def build_server(args: argparse.Namespace) -> GstRtspServer.RTSPServer:
    """Return an RTSP server serving the scene at `args.path`, with basic auth if a user is given."""
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(build_launch(args))
    factory.set_media_gtype(OnvifMedia)
    # One pipeline per client, so each client's scene and pts start at its first frame (what --truth records).
    factory.set_shared(False)
    numbers = itertools.count(1)

    def on_media_configure(factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia) -> None:
        element = media.get_element()
        feed = Feed(args, element.get_by_name("video"), element.get_by_name("metadata"), next(numbers))
        feed.video.connect("need-data", feed.start_once)
        media.connect("unprepared", lambda *_: feed.stop.set())

    factory.connect("media-configure", on_media_configure)
    if args.user is not None:
        require_basic_auth(server, factory, args.user, args.password or "")
    server.get_mount_points().add_factory(args.path, factory)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--path", default="/stream")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--bitrate-kbps", dest="bitrate", type=int, default=500)
    parser.add_argument("--gop", type=int, default=10, help="keyframe interval in frames")
    parser.add_argument("--metadata-every", type=int, default=1, help="one document every N video frames")
    parser.add_argument("--video-stops-after", type=float, help="seconds after which only metadata is sent")
    parser.add_argument("--pixel-coordinates", action="store_true", help="shapes in pixels, with a Transformation")
    parser.add_argument("--old-class-schema", action="store_true", help="class as ClassCandidate/Type+Likelihood")
    parser.add_argument("--prefix", default="tt", help='namespace prefix of the ONVIF schema; "" for a default one')
    parser.add_argument(
        "--max-payload", type=int, default=1400, help="largest metadata RTP packet in bytes, 12-byte header included"
    )
    parser.add_argument(
        "--truth", type=argparse.FileType("a"), help="append one JSON line per metadata document: pts, utc, objects"
    )
    parser.add_argument("--clip", type=Path, help="show this footage (looped) instead of the synthetic scene")
    parser.add_argument("--scene", type=Path, help="with --clip: its tracks, as JSON [[t, [[id, label, score, box]]]]")
    parser.add_argument("--garbage-every", type=int, help="make every Nth metadata document malformed")
    args = parser.parse_args()
    if not args.path.startswith("/"):
        args.path = "/" + args.path
    if args.width % 2 or args.height % 2 or args.metadata_every < 1 or args.max_payload <= _RTP_HEADER.size:
        parser.error("width and height must be even, --metadata-every at least 1, --max-payload more than 12")
    if (args.clip is None) != (args.scene is None) or (args.garbage_every is not None and args.garbage_every < 1):
        parser.error("--clip and --scene go together, and --garbage-every is at least 1")
    if args.clip is not None:
        # Refuse a clip that does not decode or a scene that does not read now, not in each client's feed.
        try:
            with contextlib.closing(footage_shots(args.clip, args.scene, args.width, args.height, args.fps)) as shots:
                next(shots)
        except (OSError, ValueError, RuntimeError, StopIteration) as error:
            sys.exit(f"cannot show {args.clip} with {args.scene}: {error}")

    loop = GLib.MainLoop()
    server = build_server(args)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{args.port}")
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}{args.path}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
