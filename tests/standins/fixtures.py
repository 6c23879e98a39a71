"""Pytest fixtures for the stand-ins; load with `pytest_plugins = ["tests.standins.fixtures"]`."""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.standins import footage
from tests.standins import redaction_scene as scenes
from tests.standins.footage import PeopleClip
from tests.standins.object_store import CephObjectGateway, S3Bucket
from tests.standins.onvif_event_camera import OnvifEventCamera
from tests.standins.ptz_camera import PtzCamera
from tests.standins.rtsp_servers import FileRtspServer, GstCamera, OnvifMetadataCamera, SpeakerCamera
from video.pattern_clip import make_clip


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for generated clips, shared by the session so each clip is encoded once."""
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def h264_clip(clip_dir: Path) -> Path:
    """A 10 s 1280x720 25 fps H.264 clip with a keyframe every second."""
    return make_clip(clip_dir, codec="h264")


@pytest.fixture(scope="session")
def hevc_clip(clip_dir: Path) -> Path:
    """A 10 s 1280x720 25 fps HEVC clip with a keyframe every second."""
    return make_clip(clip_dir, codec="hevc")


@pytest.fixture(scope="session")
def file_rtsp_server(clip_dir: Path) -> Iterator[FileRtspServer]:
    """An RTSP server looping every clip in `clip_dir`; get a clip's URL with `url_for(path)`."""
    with FileRtspServer(clip_dir) as server:
        yield server


@pytest.fixture(scope="session")
def people_clip() -> PeopleClip:
    """CCTV footage of pedestrians (OpenCV's vtest.avi, 768x576, 10 fps) as H.264 MP4, cached in var/footage.

    Without the Debian mirror it is a generated scene of walking figures: see `source` and `fallback_reason`.
    """
    return footage.people_clip()


@pytest.fixture(scope="session")
def real_people_clip(people_clip: PeopleClip) -> PeopleClip:
    """`people_clip`, skipping the test when only the generated stand-in could be made."""
    if not people_clip.real_people:
        pytest.skip(f"needs real footage of people, and vtest.avi is unavailable: {people_clip.fallback_reason}")
    return people_clip


@pytest.fixture(scope="session")
def people_scene(real_people_clip: PeopleClip) -> Path:
    """The tracks the packaged detector and tracker find in the first 60 s of the real footage, as a camera would
    report them (bench/camera_metadata.py `scene_of`, made once per machine beside the clip in var/footage)."""
    # Imported here: it loads the detector's modules, which most tests do not need.
    from bench.camera_metadata import scene_of

    return scene_of(real_people_clip.path, 60.0)


@pytest.fixture(scope="session")
def footage_rtsp_server(people_clip: PeopleClip) -> Iterator[FileRtspServer]:
    """An RTSP server looping the footage; get its URL with `url_for(people_clip.path)`."""
    with FileRtspServer(people_clip.path.parent) as server:
        yield server


@pytest.fixture
def gst_camera() -> Iterator[Callable[..., GstCamera]]:
    """A factory of started live cameras, taking GstCamera's arguments; all are stopped after the test."""
    cameras: list[GstCamera] = []

    def start(**options: Any) -> GstCamera:
        camera = GstCamera(**options)
        cameras.append(camera)
        return camera.start()

    yield start
    for camera in cameras:
        camera.stop()


@pytest.fixture
def onvif_metadata_camera() -> Iterator[Callable[..., OnvifMetadataCamera]]:
    """A factory of started ONVIF Profile M cameras (video plus an analytics metadata track), taking
    OnvifMetadataCamera's arguments; all are stopped after the test."""
    cameras: list[OnvifMetadataCamera] = []

    def start(**options: Any) -> OnvifMetadataCamera:
        camera = OnvifMetadataCamera(**options)
        cameras.append(camera)
        return camera.start()

    yield start
    for camera in cameras:
        camera.stop()


@pytest.fixture
def speaker_camera(tmp_path: Path) -> Iterator[Callable[..., SpeakerCamera]]:
    """A factory of started cameras with a speaker (ONVIF audio back channel), taking SpeakerCamera's arguments but
    `out`; all are stopped after the test."""
    cameras: list[SpeakerCamera] = []

    def start(**options: Any) -> SpeakerCamera:
        camera = SpeakerCamera(tmp_path / f"speaker-{len(cameras)}.raw", **options)
        cameras.append(camera)
        return camera.start()

    yield start
    for camera in cameras:
        camera.stop()


@pytest.fixture(scope="session")
def redaction_scene() -> scenes.RedactionScene:
    """A 12 s 1280x720 25 fps clip of real face photos moving along known paths over CCTV footage, with the
    truth: each face's box on every frame, the portraits' whole boxes, and which one is the person of interest.
    Made once per machine in var/footage (needs scikit-image for the photos)."""
    return scenes.redaction_scene()


@pytest.fixture
def onvif_event_camera() -> Iterator[OnvifEventCamera]:
    """An ONVIF camera with an event service and relay outputs on 127.0.0.1, logged in to as events / s3cret."""
    with OnvifEventCamera(username="events", password="s3cret") as camera:
        yield camera


@pytest.fixture(scope="module")
def ptz_device(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PtzCamera]:
    """A PTZ camera (ipycam's digital PTZ over ONVIF) in a network namespace of its own, which this host reaches at
    `host`:`port` over a veth pair, logged in to as ptz / s3cret-ptz. One per test module: tests set the position
    they start from."""
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("ip")):
        pytest.skip("the PTZ stand-in needs root, unshare and ip for its network namespace and veth pair")
    with PtzCamera(tmp_path_factory.mktemp("ptz")) as camera:
        yield camera


@pytest.fixture(scope="module")
def ptz_video_device(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PtzCamera]:
    """The PTZ camera of `ptz_device`, serving the video of its digital PTZ too (`rtsp_url`): a crop of a scene with
    coloured squares at known places (tests/standins/ptz_camera.py, MARKERS)."""
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("ip")):
        pytest.skip("the PTZ stand-in needs root, unshare and ip for its network namespace and veth pair")
    with PtzCamera(tmp_path_factory.mktemp("ptz"), video=True) as camera:
        yield camera


@pytest.fixture(scope="session")
def object_store() -> Iterator[CephObjectGateway]:
    """A real S3 server (Ceph's RADOS Gateway on a single-node cluster) for the session."""
    with CephObjectGateway() as gateway:
        yield gateway


@pytest.fixture
def s3_recordings(settings, object_store: CephObjectGateway) -> Iterator[S3Bucket]:
    """Recordings and exports kept in a bucket of their own on the S3 server, as VMS_STORAGE_URL would say."""
    bucket = S3Bucket(object_store)
    settings.STORAGE = bucket.setting
    yield bucket
    bucket.empty()
