"""Where a PTZ camera looks while the recorder masks it (and its own analytics leave out what lies under its masks):
follows its position (ONVIF GetStatus on one session, often while it moves and seldom while it stands still, and the
VMS's own move commands) and gives, for each frame, its privacy masks fixed to the scene as masks of that frame's
picture.

A frame is masked a little after the camera took it (up to FRAME_DELAY), and the position is known only as of the
last answer: while the camera may be moving, each mask covers everywhere it could be from any position the camera can
have reached in that time at its top speed; while the position is unknown (no answer yet, answers stopped) or after a
jump (a preset, home, an absolute move: it may be anywhere at once), the whole picture is masked. Masks are never left
off to keep a picture clear: only a camera known to stand still gets them exactly. A frame masked later than FRAME_DELAY
after it was taken (a recorder far behind its camera) is not covered by that."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

from devices import onvif, ptz
from devices.models import Camera
from devices.ptz_masks import SceneMask
from video.masking import PrivacyMask
from video.ptz_view import WHOLE_PICTURE, Optics, View, covering

log = logging.getLogger(__name__)

# How long after the camera took a frame it may still be masked (camera encoding, network, the recorder's decoding).
FRAME_DELAY = 0.5
# How often GetStatus is asked while the camera moves (or was told to), and while it stands still: a move someone else
# starts (another client, the camera's own tour) is seen within IDLE_POLL_SECONDS, and its frames until then leak;
# how often the VMS's own commands are looked for (a cache read).
MOVING_POLL_SECONDS = 0.1
IDLE_POLL_SECONDS = 0.25
COMMAND_POLL_SECONDS = 0.04
# A position older than this (the camera stopped answering) is no position: the whole picture is masked.
STALE_SECONDS = 3.0
# The linear model's error on an optical camera, as a share of the picture's width (nothing on a digital one).
OPTICAL_MARGIN = 0.02
AXES = ("pan_tilt", "zoom")


@dataclass(frozen=True)
class _Answer:
    """One GetStatus answer: the position, and when it was asked and answered (time.time())."""

    view: View
    asked_at: float
    answered_at: float


class PositionFollower:
    """Follows one PTZ camera's position in a thread of its own; `masks()` may be called from any thread (the camera's,
    for each frame). `set` replaces the masks and the optics; `close` stops following."""

    def __init__(self, camera: Camera, masks: Sequence[SceneMask], optics: Optics, top_speed: float) -> None:
        self.camera = camera
        self.error = ""
        self._masks, self._optics, self._top_speed = tuple(masks), optics, top_speed
        self._answer: _Answer | None = None
        # The latest time each axis ("pan_tilt", "zoom") may have been moving, and until when the camera may be anywhere
        # (math.inf: until an answer says it stands still); in time.time().
        self._moving_until = dict.fromkeys(AXES, math.inf)
        self._anywhere_until = math.inf
        self._command_seen = 0.0
        self._jump_pending = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"camera-{camera.pk}-ptz-position", daemon=True)
        self._thread.start()

    def set(self, masks: Sequence[SceneMask], optics: Optics, top_speed: float) -> None:
        self._masks, self._optics, self._top_speed = tuple(masks), optics, top_speed

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def moving(self) -> bool:
        """Whether the camera may be moving now, as far as it knows (told to, or said so)."""
        with self._lock:
            return math.inf in (*self._moving_until.values(), self._anywhere_until)

    def masks(self, now: float | None = None) -> list[PrivacyMask]:
        """The masks of the frame being masked now, as masks of its picture."""
        masks, optics = self._masks, self._optics
        if not masks:
            return []
        now = time.time() if now is None else now
        with self._lock:
            answer, moving_until, anywhere_until = self._answer, dict(self._moving_until), self._anywhere_until
        if answer is None or now - answer.answered_at > STALE_SECONDS or now < anywhere_until:
            return [PrivacyMask(WHOLE_PICTURE, "solid", (0, 0, 0))]
        reach = self._top_speed * max(now - answer.asked_at, FRAME_DELAY)
        pan_tilt, zoom = (reach if now - FRAME_DELAY <= moving_until[axis] else 0.0 for axis in AXES)
        spread = View(pan_tilt, pan_tilt, zoom)
        margin = 0.0 if optics.digital else OPTICAL_MARGIN
        found = []
        for mask in masks:
            polygon = covering(mask.points, answer.view, optics, spread, margin)
            if polygon is not None:
                found.append(PrivacyMask(polygon, mask.style, mask.color))
        return found

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                asyncio.run(self._follow())
            except Exception as exc:  # noqa: BLE001  (unreachable, refused, broken: masked whole until it answers)
                if str(exc) != self.error:
                    log.warning("camera %s: PTZ position unknown, its picture is masked whole: %s", self.camera.pk,
                                exc)
                self.error = str(exc)
            self._stop.wait(IDLE_POLL_SECONDS)

    async def _follow(self) -> None:
        camera = self.camera
        async with onvif.session(camera.onvif_host, camera.onvif_port, camera.username, camera.password,
                                 settings.OUTBOUND_ALLOW, ptz.TIMEOUT_SECONDS) as client:
            await onvif.find_services(client)
            service = await client.create_ptz_service()
            next_poll = 0.0
            while not self._stop.is_set():
                if self._take_command() or time.time() >= next_poll:
                    asked_at = time.time()
                    answer = await asyncio.wait_for(service.GetStatus({"ProfileToken": camera.ptz_profile}),
                                                    ptz.TIMEOUT_SECONDS)
                    self._take(ptz.status_of(answer), asked_at, time.time())
                    self.error = ""
                    next_poll = time.time() + (MOVING_POLL_SECONDS if self.moving else IDLE_POLL_SECONDS)
                await asyncio.sleep(COMMAND_POLL_SECONDS)

    def _take_command(self) -> bool:
        """Note a move command the VMS gave since the last look; whether there was one. A command is noted before it
        is sent and again once the camera took it: only an answer asked after that says where it went."""
        command = ptz.last_command(self.camera.pk)
        if command is None or command.at <= self._command_seen:
            return False
        self._command_seen = command.at
        with self._lock:
            for axis in command.axes:
                self._moving_until[axis] = math.inf
            if command.kind == ptz.JUMPS:
                self._jump_pending = True
                self._anywhere_until = math.inf
        return True

    def _take(self, status: ptz.Status, asked_at: float, answered_at: float) -> None:
        position = status.position
        if position is None or None in (position.pan, position.tilt, position.zoom):
            return  # no position: the last one goes stale
        view = View(position.pan, position.tilt, position.zoom)
        with self._lock:
            last = self._answer
            if last is not None and _jumped(last, view, asked_at, self._top_speed):
                self._anywhere_until = max(self._anywhere_until, answered_at + FRAME_DELAY)
            after_command = self._command_seen < asked_at
            for axis, moving in zip(AXES, (status.pan_tilt_moving, status.zoom_moving), strict=True):
                moving = status.moving if moving is None else moving
                if moving is None:  # the camera does not say: it moves if it moved since the last answer
                    moving = last is None or _moved(last.view, view, axis)
                if moving is False and after_command:
                    # It may have moved until it was asked; frames taken before then arrive until FRAME_DELAY after.
                    self._moving_until[axis] = min(self._moving_until[axis], asked_at)
                elif moving is not False:
                    self._moving_until[axis] = math.inf
            if self._jump_pending and after_command and math.inf not in self._moving_until.values():
                self._jump_pending = False
                self._anywhere_until = answered_at + FRAME_DELAY
            if last is None and not self._jump_pending:
                # From the first answer on, the spread covers frames taken before it.
                self._anywhere_until = answered_at
            self._answer = _Answer(view, asked_at, answered_at)


def _jumped(last: _Answer, view: View, asked_at: float, top_speed: float) -> bool:
    """Whether the camera moved further since the last answer than its top speed allows (someone else's preset)."""
    allowed = top_speed * (asked_at - last.asked_at) + 0.01
    moved = max(abs(view.pan - last.view.pan), abs(view.tilt - last.view.tilt), abs(view.zoom - last.view.zoom))
    return moved > allowed


def _moved(before: View, after: View, axis: str) -> bool:
    if axis == "zoom":
        return abs(after.zoom - before.zoom) > 1e-4
    return max(abs(after.pan - before.pan), abs(after.tilt - before.tilt)) > 1e-4
