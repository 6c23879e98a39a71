"""Open a camera's video stream: RTSP(S) from a camera, or a file played like a live camera (demo, tests).

Errors are PyAV's and the OS's, with the URL in them stripped of credentials; `video.probe.classify_error`
turns them into words an admin understands.
"""

import errno
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Self
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import av
from av.container import InputContainer
from av.video.stream import VideoStream

from video.parameter_sets import leading_parameter_sets

RTSP_DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322}

# Codec parameters come from the SDP's sprop-parameter-sets, so probing packets only costs time:
# 0.05-0.2 s to open instead of 1-2 s (measured on the GStreamer and aio-rtsp-toolkit stand-ins).
_FAST_OPEN = {"analyzeduration": "0", "probesize": "32"}
# Packets read for the picture size when the fast open leaves it unknown: 0.2-0.3 s to open instead of 2.8 s with a
# metadata track (measured on the Profile M stand-in).
_SHORT_PROBE = {"analyzeduration": "200000"}


def camera_address(url: str) -> str:
    """Return "host:port" of an rtsp(s):// URL or the path of a file:// URL; ValueError if it is malformed."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if not parts.path:
            raise ValueError("a file:// URL needs a path")
        return unquote(parts.path)
    if parts.scheme not in RTSP_DEFAULT_PORTS:
        raise ValueError("the URL must start with rtsp://, rtsps:// or file://")
    if not parts.hostname:
        raise ValueError("the URL has no host")
    try:
        port = parts.port or RTSP_DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError("the port is not a number from 1 to 65535") from None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{port}"


def url_with_credentials(url: str, username: str | None, password: str | None) -> str:
    """Return `url` with the user name and password in it, percent-encoded; `url` as is without a user."""
    if username is None:
        return url
    parts = urlsplit(url)
    userinfo = quote(username, safe="") + ":" + quote(password or "", safe="")
    netloc = f"{userinfo}@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc))


def split_credentials(url: str) -> tuple[str, str, str]:
    """Return (url without user:password@, username, password); cameras' credentials are stored apart."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, "", ""
    userinfo, _, hostport = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=hostport)), unquote(username), unquote(password)


def url_without_credentials(url: str) -> str:
    """Return `url` without user, password and query (some cameras take credentials in the query)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


class FileCamera:
    """A video file played like a live camera: paced against the wall clock, looping forever, timestamps
    continuing across loops. Offers the part of InputContainer the recorder and probe use."""

    def __init__(self, path: str) -> None:
        self._container = av.open(path)
        self.streams = self._container.streams
        self.bit_rate = self._container.bit_rate
        self.start_time_realtime: int | None = None  # a file has no camera clock

    def demux(self, stream: VideoStream) -> Iterator[av.Packet]:
        """Yield the packets of `stream` when a live camera would send them, forever."""
        started = time.monotonic()
        first_dts: int | None = None
        offset = 0
        while True:
            end: int | None = None
            for packet in self._container.demux(stream):
                if packet.dts is None:  # the empty packets PyAV yields at the end of the file
                    continue
                if first_dts is None:
                    first_dts = packet.dts
                packet.dts += offset
                if packet.pts is not None:
                    packet.pts += offset
                end = packet.dts + (packet.duration or 0)
                delay = started + float((packet.dts - first_dts) * packet.time_base) - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                yield packet
            if end is None:
                return
            offset = end - first_dts
            self._container.seek(0)

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def open_stream(
    url: str, username: str | None = None, password: str | None = None, timeout: float = 5.0,
    metadata: bool = False, audio: bool = False,
) -> InputContainer | FileCamera:
    """Open a camera's stream for demuxing; a dead camera raises within about `timeout` seconds.

    rtsp:// and rtsps:// go over TCP (no lost packets, passes NAT) and open fast. Credentials given
    here replace any in the URL. file:// plays a file like a live camera (see FileCamera). With `metadata`, an
    RTSP session also sets up the camera's metadata track (ONVIF Profile M), a `data` stream beside the video,
    and with `audio` its sound.
    Raises ValueError for a malformed URL, TimeoutError when nothing answered in time, else PyAV's error.
    """
    camera_address(url)
    if urlsplit(url).scheme == "file":
        return FileCamera(unquote(urlsplit(url).path))
    # PyAV's timeout interrupts a blocking connect and handshake, but its callback takes the GIL every time
    # FFmpeg polls it, which with many cameras in one process costs more than the recording itself; reads
    # are bounded by FFmpeg's own socket timeout instead (microseconds), which needs no Python.
    options = {
        "rtsp_transport": "tcp",
        "timeout": str(int(timeout * 1_000_000)),
        # Recording and probing want the video only, and the camera's metadata and sound when asked; leaving them
        # out also keeps FFmpeg from re-timing the streams against each other when the first RTCP report arrives
        # (with them it does: TimestampRepair closes that jump).
        "allowed_media_types": "+".join(["video", *(["audio"] if audio else []), *(["data"] if metadata else [])]),
    }
    url = url_with_credentials(url, username, password)
    container = _open(url, {**options, **_FAST_OPEN}, timeout)
    # The fast open can leave the picture size unknown: with the parameter sets in the SDP (beside a metadata
    # track it does), a few packets tell it; a camera that leaves them out of the SDP needs packets up to a keyframe.
    if not _size_known(container) and _sets_in_sdp(container):
        container.close()
        container = _open(url, {**options, **_SHORT_PROBE}, timeout)
    if not _size_known(container):
        container.close()
        container = _open(url, options, timeout)
    return container


def _size_known(container: InputContainer) -> bool:
    video = container.streams.video
    return not video or bool(video[0].codec_context.width and video[0].codec_context.height)


def _sets_in_sdp(container: InputContainer) -> bool:
    codec = container.streams.video[0].codec_context
    return bool(leading_parameter_sets(codec.name, codec.extradata or b""))


def _open(url: str, options: dict[str, str], timeout: float) -> InputContainer:
    started = time.monotonic()
    try:
        return av.open(url, options=options, timeout=(timeout, None))
    except av.FFmpegError as exc:
        # PyAV names the URL, password included, in its errors: raise copies that name it without.
        # FFmpeg reports an interrupted RTSP handshake as "invalid data"; the clock tells it was a timeout.
        safe_url = url_without_credentials(url)
        if time.monotonic() - started >= timeout:
            raise TimeoutError(errno.ETIMEDOUT, f"no answer within {timeout:g} s", safe_url) from None
        raise type(exc)(exc.errno, exc.strerror, safe_url) from None
