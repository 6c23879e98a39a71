"""Check a camera's stream before recording it, and explain stream failures in words an admin understands.

Every message names the camera as host:port and never contains the URL's password or query.
"""

import errno
import time
from dataclasses import dataclass
from typing import Literal

import av
import cv2
from av.container import InputContainer
from av.video.stream import VideoStream

from video.source import FileCamera, camera_address, open_stream
from video.timestamps import Sample, TimestampRepair

StreamErrorReason = Literal[
    "invalid_url", "unreachable", "refused", "unauthorized", "not_found", "timeout",
    "unsupported_codec", "no_video", "undecodable", "stream_lost",
]  # fmt: skip

# What the recorder stores in MP4 and HLS can serve; the names are for messages.
RECORDABLE_CODECS = {"h264": "H.264", "hevc": "H.265"}
BROWSER_PLAYABLE_CODECS = {"h264"}

SNAPSHOT_PACKETS = 150
# Long enough to span a keyframe interval of most cameras, short enough for an admin waiting on a form.
MEASURE_SECONDS = 2.0


@dataclass(frozen=True)
class StreamInfo:
    """What a camera's video stream is; fps and bitrate are None when neither said nor measurable."""

    codec: str
    width: int
    height: int
    fps: float | None
    bitrate: int | None
    browser_playable: bool
    snapshot: bytes | None = None  # a JPEG of the first picture, so the admin sees it is the right camera


class StreamError(Exception):
    """A camera stream that cannot be opened or was lost. str() is a sentence for the admin."""

    def __init__(self, reason: StreamErrorReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def classify_error(exc: BaseException, url: str) -> StreamError:
    """Explain an error from opening or reading `url` (PyAV's, the OS's, or a ValueError for a bad URL)."""
    if isinstance(exc, StreamError):
        return exc
    bad_url = exc if isinstance(exc, ValueError) and not isinstance(exc, av.FFmpegError) else None
    try:
        where = camera_address(url)
    except ValueError as error:
        bad_url = error
    if bad_url is not None:
        return StreamError(
            "invalid_url",
            f"This is not a camera stream address: {bad_url}. It should look like rtsp://192.168.1.20:554/stream1.",
        )
    if isinstance(exc, av.error.HTTPUnauthorizedError | av.error.HTTPForbiddenError):
        return StreamError("unauthorized", f"The camera at {where} rejected the user name or password.")
    if isinstance(exc, FileNotFoundError):
        return StreamError("not_found", f"There is no video file at {where}.")
    if isinstance(exc, av.error.HTTPNotFoundError):
        return StreamError(
            "not_found",
            f"The camera at {where} has no stream at this path. "
            "Check the path in the camera's manual or its ONVIF profile.",
        )
    if isinstance(exc, TimeoutError | av.error.ExitError):
        return StreamError(
            "timeout",
            f"The camera at {where} did not answer in time. "
            "Check that this address is the camera and that no firewall drops the connection.",
        )
    if isinstance(exc, ConnectionRefusedError):
        return StreamError(
            "refused",
            f"{where} refused the connection: nothing accepts video streams on that port. "
            "Check the port and that RTSP is enabled on the camera.",
        )
    if isinstance(exc, av.error.InvalidDataError):
        return StreamError(
            "not_found",
            f"{where} answered, but not with a video stream. Check the port and the path.",
        )
    why = {
        errno.ENETUNREACH: "this server has no route to that network",
        errno.EHOSTUNREACH: "no route to that host",
        errno.EIO: "the host name could not be resolved or the network failed",  # FFmpeg's DNS failure
    }.get(getattr(exc, "errno", None))
    if why is None:
        # Only the error's own words: its str() may name the URL.
        why = getattr(exc, "strerror", None) or type(exc).__name__
    return StreamError(
        "unreachable",
        f"Cannot reach {where}: {why}. "
        "Check the address and that the camera is on a network this server can reach.",
    )


def recordable_video(container: InputContainer | FileCamera, url: str) -> VideoStream:
    """Return the stream's video, or raise StreamError if there is none or the recorder cannot store it."""
    where = camera_address(url)
    if not container.streams.video:
        raise StreamError("no_video", f"The stream at {where} has no video.")
    video = container.streams.video[0]
    codec = video.codec_context.name
    if codec not in RECORDABLE_CODECS:
        raise StreamError(
            "unsupported_codec",
            f"The camera at {where} sends {codec.upper()} video, and recording needs "
            f"{' or '.join(RECORDABLE_CODECS.values())}. "
            "Change the stream's codec in the camera's settings.",
        )
    if not (video.codec_context.width and video.codec_context.height):
        # Its parameter sets (SPS/PPS), from the SDP and the stream alike, decode no picture: nothing could play it.
        raise StreamError(
            "undecodable",
            f"The camera at {where} sends video that cannot be decoded: its stream parameters (SPS/PPS) are "
            "damaged. Restart the camera, or check its encoder settings.",
        )
    return video


def probe_stream(
    url: str, username: str | None = None, password: str | None = None, timeout: float = 5.0
) -> StreamInfo:
    """Open the stream and say what it is, within a few seconds; raise StreamError if it does not work.

    H.265 is not an error (browser_playable is False). When the stream does not say its frame rate or
    bitrate (RTSP never says the bitrate), about MEASURE_SECONDS of packets are read to measure them.
    """
    try:
        with open_stream(url, username, password, timeout) as container:
            video = recordable_video(container, url)
            snapshot = _first_picture(container, video)
            fps = float(video.average_rate) if video.average_rate else None
            bitrate = video.codec_context.bit_rate or container.bit_rate or None
            if fps is None or bitrate is None:
                measured_fps, measured_bitrate = _measure(container, video)
                fps = fps or measured_fps
                bitrate = bitrate or measured_bitrate
            codec = video.codec_context.name
            return StreamInfo(
                codec=codec,
                width=video.codec_context.width,
                height=video.codec_context.height,
                fps=fps,
                bitrate=bitrate,
                browser_playable=codec in BROWSER_PLAYABLE_CODECS,
                snapshot=snapshot,
            )
    except Exception as exc:
        # from None: the PyAV error in the chain may name the URL with its password.
        raise classify_error(exc, url) from None


def _first_picture(container: InputContainer | FileCamera, video: VideoStream) -> bytes | None:
    """Decode the stream's first picture (at most SNAPSHOT_PACKETS packets in) into a JPEG, at most 640 wide."""
    decoder = av.CodecContext.create(video.codec_context.name, "r")
    decoder.extradata = video.codec_context.extradata
    # Cameras send a keyframe's slices as packets with one timestamp: decoded apart, half the picture is missing.
    frames_of = TimestampRepair(frame_duration=1, max_gap=1)
    started = False
    for count, packet in enumerate(container.demux(video)):
        if count >= SNAPSHOT_PACKETS:
            return None
        if packet.size == 0:
            continue
        sample = Sample(packet.dts, packet.pts, packet.duration or 0, packet.is_keyframe, bytes(packet))
        for frame in frames_of.push(sample):
            started = started or frame.is_keyframe
            if not started:
                continue
            try:
                frames = decoder.decode(av.Packet(frame.data))
            except av.FFmpegError:
                continue
            if frames:
                return _jpeg(frames[0])
    return None


def _jpeg(frame: av.VideoFrame) -> bytes:
    """The picture as a JPEG at most 640 pixels wide."""
    image = frame.to_ndarray(format="bgr24")
    scale = min(1.0, 640 / image.shape[1])
    if scale < 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()


def _measure(container: InputContainer | FileCamera, video: VideoStream) -> tuple[float | None, int | None]:
    """Return (fps, bits per second) over about MEASURE_SECONDS of the stream's packets."""
    deadline = time.monotonic() + MEASURE_SECONDS + 1.0
    first_dts = last_dts = None
    frames = size = 0
    span = 0.0
    for packet in container.demux(video):
        if packet.dts is None:
            continue
        if first_dts is None:
            first_dts = packet.dts
        span = float((packet.dts - first_dts) * packet.time_base)
        if span >= MEASURE_SECONDS or time.monotonic() > deadline:
            break  # this packet's frame lies after the span: count up to it, not with it
        size += packet.size
        if packet.dts != last_dts:  # a keyframe may come as two packets with one DTS
            frames += 1
        last_dts = packet.dts
    if span <= 0:
        return None, None
    return frames / span, round(size * 8 / span)
