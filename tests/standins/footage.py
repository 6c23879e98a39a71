"""Real CCTV footage of pedestrians for tests and benchmarks: OpenCV's vtest.avi as an H.264 MP4, with labels.

The clip comes from Debian's `opencv-doc` (768x576, 10 fps, 79.5 s, 795 frames). It is fetched once per machine
into `var/footage/` and transcoded there once. Without the Debian mirror, the demo camera's scene takes its place
(`video/demo_scene.py`: people cut out of vtest.avi walking over its plaza, found by the detector as in the
original), and `PeopleClip.real_people` says so.
"""

import contextlib
import fcntl
import glob
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from video import demo_scene
from video.pattern_clip import encode_once

REPO = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO / "var" / "footage"
LABELS_PATH = REPO / "tests" / "data" / "vtest_people.json"

VTEST_SOURCE = "opencv-doc vtest.avi"
GENERATED_SOURCE = "the demo scene (packaged people over the plaza)"
_VTEST_MEMBER = "./usr/share/doc/opencv-doc/examples/data/vtest.avi"
SYSTEM_VTEST = Path("/") / _VTEST_MEMBER
# The .deb is 95 MB; on a slow mirror that still fits.
_FETCH_TIMEOUT = 900
WIDTH, HEIGHT, FPS = 768, 576, 10
GOP = FPS  # a keyframe every second, as from a camera
_GENERATED_SECONDS = demo_scene.SECONDS
_X264_PARAMS = f"keyint={GOP}:min-keyint={GOP}:scenecut=0:bframes=0"


class FootageUnavailable(RuntimeError):
    """vtest.avi is neither installed nor cached, and could not be fetched from the Debian mirror."""


@dataclass(frozen=True)
class PeopleClip:
    """An H.264 MP4 (yuv420p, baseline, no B-frames, a keyframe every second) of people walking about."""

    path: Path
    source: str  # VTEST_SOURCE, or GENERATED_SOURCE when vtest.avi could not be had
    width: int
    height: int
    fps: int
    frame_count: int
    fallback_reason: str | None = None  # why the generated scene was used

    @property
    def real_people(self) -> bool:
        """Whether this is the real footage (and so matches the labels in `tests/data/vtest_people.json`)."""
        return self.source == VTEST_SOURCE


@dataclass(frozen=True)
class LabelledFrame:
    """A frame of vtest.avi with the people a person marked in it, as (x, y, w, h) pixel boxes.

    `partial` holds people less than about 60% visible (behind the sign, a car, another person, or the frame's
    edge): a detection there is neither a hit nor a false alarm.
    """

    index: int
    people: list[tuple[int, int, int, int]]
    partial: list[tuple[int, int, int, int]]


def people_clip(cache_dir: Path = CACHE_DIR) -> PeopleClip:
    """Return the footage, fetching and transcoding vtest.avi on first use, else a generated scene."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Tests, benchmarks and parallel runs share the cache: one of them fetches, the others wait and reuse.
    with _locked(cache_dir / ".lock"):
        try:
            avi = _vtest_avi(cache_dir)
        except FootageUnavailable as error:
            generated = cache_dir / f"demo_scene_v{demo_scene.VERSION}_{WIDTH}x{HEIGHT}_{FPS}fps_gop{GOP}.mp4"
            path = encode_once(generated, _generate)
            return PeopleClip(
                path, GENERATED_SOURCE, WIDTH, HEIGHT, FPS, _GENERATED_SECONDS * FPS, fallback_reason=str(error)
            )
        path = encode_once(cache_dir / f"vtest_h264_{WIDTH}x{HEIGHT}_{FPS}fps_gop{GOP}.mp4", _transcoder(avi))
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frame_count = stream.frames
    return PeopleClip(path, VTEST_SOURCE, WIDTH, HEIGHT, FPS, frame_count)


def labelled_frames(path: Path = LABELS_PATH) -> list[LabelledFrame]:
    """Return the hand-made labels of vtest.avi, in frame order."""
    data = json.loads(Path(path).read_text())
    return [
        LabelledFrame(
            frame["index"],
            [tuple(box) for box in frame["people"]],
            [tuple(box) for box in frame.get("partial", [])],
        )
        for frame in data["frames"]
    ]


def decode_frames(path: Path, indices: Iterable[int]) -> dict[int, np.ndarray]:
    """Return the BGR frames of `path` at the given 0-based indices (in decoding order, as in the source avi)."""
    wanted = set(indices)
    frames: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                frames[index] = frame.to_ndarray(format="bgr24")
                if len(frames) == len(wanted):
                    break
    return frames


def _vtest_avi(cache_dir: Path) -> Path:
    """Return a readable vtest.avi: the installed one, the cached one, or one fetched now into the cache."""
    if _decodes(SYSTEM_VTEST):
        return SYSTEM_VTEST
    cached = cache_dir / "vtest.avi"
    if _decodes(cached):
        return cached
    with tempfile.TemporaryDirectory(prefix="opencv-doc-", dir=cache_dir) as workdir:
        deb = _download_deb(Path(workdir))
        partial = Path(workdir) / "vtest.avi"
        _extract(deb, partial)
        if not _decodes(partial):
            raise FootageUnavailable(f"{_VTEST_MEMBER} extracted from {deb.name} does not decode")
        os.replace(partial, cached)
    return cached


def _download_deb(workdir: Path) -> Path:
    missing = [tool for tool in ("apt-get", "dpkg-deb", "tar") if shutil.which(tool) is None]
    if missing:
        raise FootageUnavailable(f"no {', '.join(missing)} to fetch opencv-doc with (not a Debian system?)")
    try:
        result = subprocess.run(
            ["apt-get", "download", "opencv-doc"],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=_FETCH_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise FootageUnavailable(f"apt-get download opencv-doc took more than {_FETCH_TIMEOUT} s") from None
    debs = glob.glob(str(workdir / "opencv-doc_*.deb"))
    if result.returncode != 0 or not debs:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise FootageUnavailable(f"apt-get download opencv-doc failed: {detail[-1] if detail else result.returncode}")
    return Path(debs[0])


def _extract(deb: Path, target: Path) -> None:
    """Write just vtest.avi out of the package's data archive to `target`."""
    with open(target, "wb") as out:
        unpack = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
        tar = subprocess.run(
            ["tar", "-x", "-O", "-f", "-", _VTEST_MEMBER], stdin=unpack.stdout, stdout=out, stderr=subprocess.PIPE
        )
        unpack.stdout.close()
        unpack.wait()
    if unpack.returncode != 0 or tar.returncode != 0:
        raise FootageUnavailable(f"could not extract {_VTEST_MEMBER} from {deb.name}: {tar.stderr.decode().strip()}")


def _decodes(path: Path) -> bool:
    """Whether `path` is a video whose first frame decodes (a truncated fetch fails here)."""
    if not path.is_file():
        return False
    try:
        with av.open(str(path)) as container:
            next(container.decode(video=0))
    except (av.error.FFmpegError, StopIteration, IndexError):
        return False
    return True


@contextlib.contextmanager
def _h264_writer(path: Path) -> Iterator[Callable[[np.ndarray], None]]:
    """Yield a function that appends a BGR frame to a new H.264 MP4 at `path`, one frame per 1/FPS s."""
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        # CRF 20 keeps what the 0.8 Mbit/s MPEG-4 source shows, so detectors see the same people in both.
        stream.codec_context.options = {
            "preset": "veryfast",
            "crf": "20",
            "profile": "baseline",
            "x264-params": _X264_PARAMS,
        }
        count = 0

        def write(image: np.ndarray) -> None:
            nonlocal count
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = count, Fraction(1, FPS)
            container.mux(stream.encode(frame))
            count += 1

        yield write
        container.mux(stream.encode(None))


def _transcoder(avi: Path) -> Callable[[Path], None]:
    def transcode(path: Path) -> None:
        with av.open(str(avi)) as source, _h264_writer(path) as write:
            # Frame for frame, with no rate conversion, so label indices hold for the MP4 as for the avi.
            for frame in source.decode(video=0):
                write(frame.to_ndarray(format="bgr24"))

    return transcode


def _generate(path: Path) -> None:
    """The demo camera's scene: people cut out of vtest.avi, packaged with the VMS, walking over its plaza."""
    with _h264_writer(path) as write:
        for picture in demo_scene.frames():
            write(picture)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
