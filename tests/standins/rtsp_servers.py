"""Start and stop the RTSP stand-ins (live GStreamer cameras, a clip file server) and fake network failures.

Every server binds 127.0.0.1 only. Usable from pytest fixtures (see `fixtures.py`) and from benchmarks.
"""

import abc
import contextlib
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

SYSTEM_PYTHON = "/usr/bin/python3"
_HERE = Path(__file__).resolve().parent


class ServerStartError(RuntimeError):
    """A stand-in server exited or stayed silent instead of printing its READY line."""


def free_port() -> int:
    """Return a 127.0.0.1 TCP port nobody listens on (connecting to it is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def silent_tcp_server() -> Iterator[int]:
    """Listen on 127.0.0.1, accept every connection and never answer; yield the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def accept_until_stopped() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept_until_stopped, name="silent-tcp-server", daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()
        for connection in accepted:
            connection.close()


def run_without_network(
    command: str | Sequence[str], timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run Python code (with this interpreter) or an argv in a new network namespace without interfaces.

    Every connection fails at once with "Network is unreachable" (127.0.0.1 too: loopback is down there)
    and no packet leaves the machine. Output is captured as text; the exit code is not checked.
    """
    argv = [sys.executable, "-c", command] if isinstance(command, str) else list(command)
    # Root may create a network namespace directly; anyone else needs a user namespace for it.
    unshare = ["unshare", "--net"] if os.geteuid() == 0 else ["unshare", "--map-root-user", "--net"]
    return subprocess.run([*unshare, *argv], capture_output=True, text=True, timeout=timeout, check=False)


class ServerProcess(abc.ABC):
    """A stand-in server run as a subprocess that prints `READY <url>` on stdout once it listens."""

    cwd: Path | None = None  # where the server runs (None: here)

    def __init__(self, port: int | None, start_timeout: float) -> None:
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None

    @abc.abstractmethod
    def argv(self) -> list[str]:
        """Return the command line that runs the server on `self.port`."""

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Start the server and wait until it listens, or raise ServerStartError with its stderr."""
        if self.running:
            return self
        self._stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            self.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
            cwd=self.cwd,
        )
        try:
            self._wait_ready(self._process)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 5) -> None:
        """Stop the server with SIGTERM, or SIGKILL if it has not exited after `timeout` seconds."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process.stdout.close()
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def restart(self) -> Self:
        """Stop the server and start it again on the same port."""
        self.stop()
        return self.start()

    def stderr_text(self) -> str:
        """Return what the running server has written to stderr so far."""
        if self._stderr is None:
            return ""
        # pread leaves alone the file offset, which the server's own writes share.
        fd = self._stderr.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    def _wait_ready(self, process: subprocess.Popen[str]) -> None:
        deadline = time.monotonic() + self.start_timeout
        while (remaining := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([process.stdout], [], [], remaining)
            if not readable:
                break
            line = process.stdout.readline()
            if not line:
                process.wait()
                raise ServerStartError(self._failure(f"exited with code {process.returncode}"))
            if line.startswith("READY "):
                return
        raise ServerStartError(self._failure(f"printed no READY line within {self.start_timeout} s"))

    def _failure(self, what: str) -> str:
        stderr = self.stderr_text()[-4000:].strip() or "(nothing)"
        return f"{type(self).__name__} on port {self.port} {what}: {' '.join(self.argv())}\nstderr:\n{stderr}"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class RtspCamera(ServerProcess):
    """A stand-in camera serving one stream at `path` on 127.0.0.1, with basic auth when `user` is set."""

    def __init__(
        self, path: str, user: str | None, password: str | None, port: int | None, start_timeout: float
    ) -> None:
        super().__init__(port, start_timeout)
        self.path = path if path.startswith("/") else "/" + path
        self.user = user
        self.password = password
        self.address = "127.0.0.1"

    @property
    def url(self) -> str:
        """The stream's URL, without credentials."""
        return f"rtsp://{self.address}:{self.port}{self.path}"

    @property
    def url_with_credentials(self) -> str:
        """The stream's URL with the user and password in it (the plain URL if there are none)."""
        if self.user is None:
            return self.url
        user = urllib.parse.quote(self.user, safe="")
        password = urllib.parse.quote(self.password or "", safe="")
        return f"rtsp://{user}:{password}@{self.address}:{self.port}{self.path}"


class GstCamera(RtspCamera):
    """A live test-pattern camera: GStreamer's RTSP server, run by the system python, one encoder for all.

    With `slices` > 1 (H.264 only), PyAV returns each keyframe as that many packets with one DTS. With
    `rewind_on_play`, each new viewer's PLAY seeks the shared pipeline to 0, so the DTS of every viewer
    already watching jumps back to 0 mid-stream. With `audio` ("aac", "pcmu", "pcma" or "opus") it sends a sound track
    too, and with `clicks` a white frame and a loud click at every whole second of media time (see gst_camera.py).
    `run_in` prefixes its command (e.g. `ip netns exec HOST`) and `address` is where it listens there.
    """

    def __init__(
        self,
        path: str = "/stream",
        *,
        user: str | None = None,
        password: str | None = None,
        codec: str = "h264",
        width: int = 640,
        height: int = 360,
        fps: int = 25,
        bitrate_kbps: int = 1000,
        gop: int = 25,
        slices: int = 2,
        rewind_on_play: bool = False,
        audio: str = "none",
        clicks: bool = False,
        port: int | None = None,
        start_timeout: float = 10,
        address: str = "127.0.0.1",
        run_in: Sequence[str] = (),
    ) -> None:
        super().__init__(path, user, password, port, start_timeout)
        self.address = address
        self.run_in = list(run_in)
        self.audio = audio
        self.clicks = clicks
        self.codec = codec
        self.width = width
        self.height = height
        self.fps = fps
        self.bitrate_kbps = bitrate_kbps
        self.gop = gop
        self.slices = slices
        self.rewind_on_play = rewind_on_play

    def argv(self) -> list[str]:
        options = {
            "--port": self.port,
            "--path": self.path,
            "--codec": self.codec,
            "--width": self.width,
            "--height": self.height,
            "--fps": self.fps,
            "--bitrate-kbps": self.bitrate_kbps,
            "--gop": self.gop,
            "--slices": self.slices,
            "--audio": self.audio,
            "--address": self.address,
        }
        if self.user is not None:
            options.update({"--user": self.user, "--password": self.password or ""})
        argv = [*self.run_in, SYSTEM_PYTHON, str(_HERE / "gst_camera.py")]
        for flag, value in options.items():
            argv += [flag, str(value)]
        if self.rewind_on_play:
            argv.append("--rewind-on-play")
        if self.clicks:
            argv.append("--clicks")
        return argv


class OnvifMetadataCamera(RtspCamera):
    """A live ONVIF Profile M camera (see onvif_metadata_camera.py): H.264 video of rectangles moving along known
    paths, and in the same RTSP session a VND.ONVIF.METADATA track with one tt:MetadataStream document per frame
    (or per `metadata_every` frames) describing them, at the pts of its frame.

    `pixel_coordinates`, `old_class_schema` and `prefix` vary the documents as real cameras do; `max_payload`
    splits them over RTP packets of at most that many bytes. With `truth`, the camera appends one JSON line per
    document there (pts, UtcTime, each object's box as fractions of the picture, y down). With
    `video_stops_after` (seconds), the video stops and the metadata goes on.

    With `clip` and `scene` the camera shows real footage, looped and scaled to `width` x `height` at `fps`, and
    its documents list the scene's tracks (bench/camera_metadata.py `scene_of`'s JSON) at each frame's clip time.
    With `garbage_every`, every Nth document is malformed (cut off, or with a "nan" coordinate).
    """

    def __init__(
        self,
        path: str = "/stream",
        *,
        user: str | None = None,
        password: str | None = None,
        width: int = 640,
        height: int = 360,
        fps: int = 10,
        gop: int = 10,
        metadata_every: int = 1,
        pixel_coordinates: bool = False,
        old_class_schema: bool = False,
        prefix: str = "tt",
        max_payload: int = 1400,
        truth: Path | None = None,
        video_stops_after: float | None = None,
        clip: Path | None = None,
        scene: Path | None = None,
        garbage_every: int | None = None,
        port: int | None = None,
        start_timeout: float = 10,
    ) -> None:
        super().__init__(path, user, password, port, start_timeout)
        if (clip is None) != (scene is None):
            raise ValueError("a clip and its scene go together")
        self.video_stops_after = video_stops_after
        self.clip = clip
        self.scene = scene
        self.garbage_every = garbage_every
        self.width = width
        self.height = height
        self.fps = fps
        self.gop = gop
        self.metadata_every = metadata_every
        self.pixel_coordinates = pixel_coordinates
        self.old_class_schema = old_class_schema
        self.prefix = prefix
        self.max_payload = max_payload
        self.truth = truth

    def argv(self) -> list[str]:
        options = {
            "--port": self.port,
            "--path": self.path,
            "--width": self.width,
            "--height": self.height,
            "--fps": self.fps,
            "--gop": self.gop,
            "--metadata-every": self.metadata_every,
            "--prefix": self.prefix,
            "--max-payload": self.max_payload,
        }
        if self.user is not None:
            options.update({"--user": self.user, "--password": self.password or ""})
        if self.truth is not None:
            options["--truth"] = self.truth
        if self.video_stops_after is not None:
            options["--video-stops-after"] = self.video_stops_after
        if self.clip is not None and self.scene is not None:
            options.update({"--clip": self.clip, "--scene": self.scene})
        if self.garbage_every is not None:
            options["--garbage-every"] = self.garbage_every
        argv = [SYSTEM_PYTHON, str(_HERE / "onvif_metadata_camera.py")]
        for flag, value in options.items():
            # One argument, so that an empty prefix (a default namespace) is not taken for a missing value.
            argv.append(f"{flag}={value}")
        if self.pixel_coordinates:
            argv.append("--pixel-coordinates")
        if self.old_class_schema:
            argv.append("--old-class-schema")
        return argv


class SpeakerCamera(RtspCamera):
    """A live camera with a speaker (see backchannel_camera.py): an ONVIF audio back channel taking `codec` (PCMU,
    PCMA, or "none" for a camera without one); what it hears is kept in `out` (16-bit mono PCM at 8 kHz) and when
    each part arrived in `arrivals`. With `user`, Basic authentication, or Digest when `digest`."""

    RATE = 8000

    def __init__(
        self,
        out: Path,
        path: str = "/stream",
        *,
        codec: str = "PCMU",
        user: str | None = None,
        password: str | None = None,
        digest: bool = False,
        port: int | None = None,
        start_timeout: float = 10,
    ) -> None:
        super().__init__(path, user, password, port, start_timeout)
        self.out = Path(out)
        self.arrivals = self.out.with_suffix(".arrivals")
        self.codec = codec
        self.digest = digest

    def argv(self) -> list[str]:
        argv = [SYSTEM_PYTHON, str(_HERE / "backchannel_camera.py"), "--port", str(self.port), "--path", self.path,
                "--codec", self.codec, "--out", str(self.out), "--arrivals", str(self.arrivals)]
        if self.user is not None:
            argv += ["--user", self.user, "--password", self.password or ""]
        if self.digest:
            argv.append("--digest")
        return argv

    def heard(self) -> bytes:
        """What the speaker has received so far: s16le mono PCM at RATE."""
        return self.out.read_bytes() if self.out.exists() else b""


class FileRtspServer(ServerProcess):
    """aio-rtsp-toolkit serving the clips of a directory, each looping forever at its own frame rate.

    `workers` is how many sessions can play at once (a thread each); raise it for more than 64 cameras.
    """

    def __init__(
        self, directory: Path, *, workers: int = 64, port: int | None = None, start_timeout: float = 10
    ) -> None:
        super().__init__(port, start_timeout)
        self.directory = Path(directory).resolve()
        self.workers = workers

    def url_for(self, clip: Path, play_count: int = 0) -> str:
        """Return the URL of `clip`, a file in the directory; play_count 0 loops forever, n plays n times."""
        relative = Path(clip).resolve().relative_to(self.directory).as_posix()
        return f"rtsp://127.0.0.1:{self.port}/{urllib.parse.quote(relative)}?play_count={play_count}"

    def argv(self) -> list[str]:
        script = _HERE / "file_rtsp_server.py"
        return [
            *(sys.executable, str(script), "--dir", str(self.directory)),
            *("--port", str(self.port), "--workers", str(self.workers)),
        ]


class HostileCamera(ServerProcess):
    """A camera that misbehaves on purpose (see hostile_camera.py): one path per misbehaviour, seeded.

    `clip_dir` caches the test pattern clips it sends (encoded on first use, a second or two).
    """

    cwd = _HERE.parents[1]  # run as a module of the project, which it imports

    def __init__(
        self, clip_dir: Path, *, seed: int = 0, port: int | None = None, start_timeout: float = 60
    ) -> None:
        super().__init__(port, start_timeout)
        self.clip_dir = Path(clip_dir)
        self.seed = seed

    def url_for(self, misbehaviour: str) -> str:
        """The URL of the stream that misbehaves so (a key of hostile_camera.MISBEHAVIOURS)."""
        return f"rtsp://127.0.0.1:{self.port}/{misbehaviour}"

    def argv(self) -> list[str]:
        return [
            sys.executable, "-m", "tests.standins.hostile_camera",
            *("--port", str(self.port), "--clip-dir", str(self.clip_dir), "--seed", str(self.seed)),
        ]
