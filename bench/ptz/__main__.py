"""Run the PTZ benchmark: `.venv/bin/python -m bench.ptz` (as root: the stand-in needs a network namespace).

The camera is the PTZ stand-in with video (tests/standins/ptz_camera.py: ipycam's digital PTZ of a scene with coloured
squares, 640x360 at 15 fps, RTSP over a veth pair). This process steers it with the VMS's own PTZ client
(devices/ptz.py), reads its video, and masks every frame twice with a privacy mask fixed to the scene around the red
square: once as the recorder does (devices/ptz_position.PositionFollower), once with a naive follower that asks
GetStatus once a second and puts the mask exactly where that answer says. A leaked pixel is a red pixel left visible
after masking."""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import av
import numpy as np
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.standins.ptz_camera import (  # noqa: E402
    MARKER_SIZE,
    MARKERS,
    MAX_ZOOM,
    SCENE_HEIGHT,
    SCENE_WIDTH,
    PtzCamera,
)

WIDE_ANGLE = 64.0
RED = np.array(MARKERS["red"][1])
NAIVE_POLL_SECONDS = 1.0


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def red_pixels(picture: np.ndarray) -> int:
    return int(np.count_nonzero(np.all(np.abs(picture.astype(int) - RED) <= 60, axis=2)))


def red_middle(picture: np.ndarray) -> tuple[float, float] | None:
    found = np.argwhere(np.all(np.abs(picture.astype(int) - RED) <= 60, axis=2))
    return (float(found[:, 1].mean()), float(found[:, 0].mean())) if len(found) > 20 else None


class NaiveFollower:
    """GetStatus once a second (a new ONVIF session each time, as devices/ptz.status does); masks placed exactly where
    the last answer says, nothing while none came."""

    def __init__(self, camera, masks, optics) -> None:
        from devices import ptz

        self.camera, self.scene_masks, self.optics, self.view = camera, masks, optics, None
        self.moving_seen_at: float | None = None
        self.stop = threading.Event()

        def poll() -> None:
            from video.ptz_view import View

            while not self.stop.is_set():
                status = ptz.status(camera)
                here = status.position
                if here is not None:
                    view = View(here.pan, here.tilt, here.zoom)
                    if (status.moving or (self.view is not None and view != self.view)) and \
                            self.moving_seen_at is None:
                        self.moving_seen_at = time.time()
                    self.view = view
                self.stop.wait(NAIVE_POLL_SECONDS)

        threading.Thread(target=poll, daemon=True).start()

    def masks(self):
        from video.masking import PrivacyMask
        from video.ptz_view import covering

        if self.view is None:
            return []
        placed = [covering(mask.points, self.view, self.optics) for mask in self.scene_masks]
        return [PrivacyMask(polygon, "solid", (0, 0, 0)) for polygon in placed if polygon is not None]


class Watcher:
    """Reads the camera's video in a thread and masks each frame with both followers; counts per frame."""

    def __init__(self, url: str, ours, naive) -> None:
        from video.masking import Masker

        self.ours, self.naive = Masker(), Masker()
        self.ours.follow(ours.masks)
        self.naive.follow(naive.masks)
        self.container = av.open(url, options={"rtsp_transport": "tcp", "fflags": "nobuffer"})
        self.recording: list[tuple[float, int, int, int, float]] | None = None  # at, shown, ours, naive, masked share
        self.newest: tuple[float, np.ndarray] | None = None
        self.stop = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for frame in self.container.decode(video=0):
            if self.stop.is_set():
                return
            at = time.time()
            picture = frame.to_ndarray(format="bgr24")
            self.newest = (at, picture)
            if self.recording is not None:
                ours, naive = self.ours.apply(picture, at), self.naive.apply(picture, at)
                masked_share = float(np.mean(np.all(ours == 0, axis=2)))
                self.recording.append((at, red_pixels(picture), red_pixels(ours), red_pixels(naive), masked_share))

    def frame_after(self, since: float) -> np.ndarray:
        while self.newest is None or self.newest[0] <= since:
            time.sleep(0.005)
        return self.newest[1]


def settle(camera, watcher: Watcher, pan: float, tilt: float, zoom: float) -> None:
    from devices import ptz

    ptz.go_to(camera, pan, tilt, zoom)
    time.sleep(2.0)  # both followers see it stand still; frames in flight pass
    watcher.frame_after(time.time())


def latency_trial(camera, watcher: Watcher, ours, naive) -> tuple[float, float, float, float]:
    """From a joystick command: until the command returned, the picture moved, our follower knew, the naive one did."""
    from devices import ptz

    settle(camera, watcher, -1.0, 0.0, 0.6)
    before = red_middle(watcher.frame_after(time.time()))
    naive.moving_seen_at = None
    sent = time.time()
    ptz.move(camera, 0.5, 0.0, 0.0, 1.0)
    returned = time.time()
    known = None
    while True:
        at, picture = watcher.newest
        if known is None and ours.moving:
            known = time.time()
        where = red_middle(picture) if at > sent else None
        if where is not None and before is not None and abs(where[0] - before[0]) > 2:
            moved = at
            break
        time.sleep(0.002)
    while naive.moving_seen_at is None:
        time.sleep(0.01)
    return returned - sent, moved - sent, (known or sent) - sent, naive.moving_seen_at - sent


def run(trials: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vms.settings")
    os.environ.setdefault("VMS_SECRET_KEY", secrets.token_urlsafe(32))
    os.environ.setdefault("VMS_CREDENTIALS_KEY", Fernet.generate_key().decode())
    import django

    django.setup()
    from devices import ptz
    from devices.models import Camera
    from devices.ptz_masks import SceneMask
    from devices.ptz_position import PositionFollower
    from video.ptz_view import View, to_scene

    with tempfile.TemporaryDirectory() as workdir, PtzCamera(Path(workdir), video=True) as device:
        camera = Camera(pk=1, name="Bench PTZ", onvif_host=device.host, onvif_port=device.port,
                        username=device.username, ptz_digital=True, ptz_wide_angle=WIDE_ANGLE, ptz_zoom_ratio=MAX_ZOOM,
                        ptz_max_speed=1.0, width=640, height=360)
        camera.password = device.password
        camera.ptz_profile = ptz.detect(camera).profile
        optics = camera.ptz_optics
        (x, y), _ = MARKERS["red"]
        half_x, half_y = MARKER_SIZE / 2 + 0.005, (MARKER_SIZE / 2 + 0.005) * SCENE_WIDTH / SCENE_HEIGHT
        square = [(x + dx * half_x, y + dy * half_y) for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        masks = [SceneMask(tuple(to_scene(square, View(0, 0, 0), optics)), "solid", (0, 0, 0))]
        ours = PositionFollower(camera, masks, optics, camera.ptz_max_speed)
        naive = NaiveFollower(camera, masks, optics)
        url = device.rtsp_url.replace("rtsp://", f"rtsp://{device.username}:{device.password}@")
        watcher = Watcher(url, ours, naive)
        try:
            say("command-to-moved latency ...")
            latencies = [latency_trial(camera, watcher, ours, naive) for _ in range(trials)]
            moves = {}
            for name, start, move, seconds in (("pan", (-1.0, 0.0, 0.6), (0.5, 0.0, 0.0), 4.0),
                                               ("zoom", (-0.6, 0.0, 1.0), (0.0, 0.0, -0.5), 2.0)):
                say(f"{name} ...")
                settle(camera, watcher, *start)
                watcher.recording = []
                ptz.move(camera, *move, seconds)
                time.sleep(seconds + 1.5)
                moves[name], watcher.recording = watcher.recording, None
        finally:
            watcher.stop.set()
            ours.close()
            naive.stop.set()

    def ms(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:.0f} ms (min {min(values) * 1000:.0f}, " \
               f"max {max(values) * 1000:.0f})"

    print(f"PTZ stand-in: ipycam digital PTZ, 640x360 at 15 fps over RTSP; {trials} joystick commands")
    print(f"  command sent -> returned (camera took it):   {ms([t[0] for t in latencies])}")
    print(f"  command sent -> picture moved (as received): {ms([t[1] for t in latencies])}")
    print(f"  command sent -> masks know it moves:   ours  {ms([t[2] for t in latencies])}")
    print(f"                                         naive {ms([t[3] for t in latencies])}")
    for name, frames in moves.items():
        shown = [f for f in frames if f[1] > 0]
        print(f"{name}: {len(frames)} frames, the masked square in view (unmasked) in {len(shown)}")
        for label, index in (("ours ", 2), ("naive", 3)):
            leaked = [f[index] for f in frames]
            leaking = sum(1 for v in leaked if v > 10)
            print(f"  {label}: frames leaking {leaking}, leaked pixels per frame mean {statistics.mean(leaked):.1f}, "
                  f"max {max(leaked)}, total {sum(leaked)}")
        print(f"  ours masks {statistics.mean(f[4] for f in frames) * 100:.1f} % of each frame on average "
              "(the price of covering every position the camera may have reached)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5, help="joystick commands timed for latency")
    run(parser.parse_args().trials)


if __name__ == "__main__":
    main()
