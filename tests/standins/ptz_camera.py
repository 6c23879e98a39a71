"""Stand-in PTZ camera: ipycam's ONVIF service and digital PTZ (a crop of a larger picture, moved and scaled) in a
network namespace of its own, which this host reaches over a veth pair on a private /30; nothing else is routed.

ipycam binds 0.0.0.0 and multicasts, so it runs only in that namespace: `PtzCamera` starts this module under
`unshare --net --pid` (the namespace and the veth pair vanish with its process, which dies with whoever started it),
the module waits there for its end of the pair, and serves ONVIF on it. Only the ONVIF service is started (no
WS-Discovery), and with `video=True` the video of its digital PTZ: a crop of SCENE, a large picture with coloured
squares at known places (MARKERS), moved and scaled by ipycam itself, served over RTSP (tests/standins/ptz_video.py,
GStreamer, in the same namespace) at `camera.rtsp_url`, the address its GetStreamUri gives. Its presets are kept in
`ptz_presets.json` in its working directory.

ipycam's PTZ service has gaps a standard client (onvif-zeep-async, what the VMS uses) trips on; `StandardPtzService`
fills them as the ONVIF PTZ specification says: it declares the `ptz:`/`tptz:` prefixes its answers use, fills
GetStatus's MoveStatus and UtcTime, stops a ContinuousMove after its Timeout, answers RemovePreset, refuses an unknown
preset token with ter:NoToken, and moves relative to its picture (TranslationSpaceFov), which a digital PTZ can do
exactly.
"""

from __future__ import annotations

import argparse
import base64
import ctypes
import datetime
import ipaddress
import json
import os
import random
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = ["unshare", "--net", "--pid", "--fork", "--kill-child"]
LINK_INSIDE = "cam0"
# The /30s the host side may take, away from the namespaced test networks (10.213.0.x) that test_onvif uses.
SUBNETS = ipaddress.ip_network("10.213.128.0/17")
PTZ_WSDL = "http://www.onvif.org/ver20/ptz/wsdl"
FOV_SPACE = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov"
SYSTEM_PYTHON = "/usr/bin/python3"  # GStreamer's Python bindings (python3-gi) are the system's
# The large picture the digital PTZ crops (at zoom 0 it shows all of it), and what it sends.
SCENE_WIDTH, SCENE_HEIGHT = 1920, 1080
VIDEO_WIDTH, VIDEO_HEIGHT = 640, 360
VIDEO_FPS = 15
MAX_ZOOM = 4.0  # ipycam's: the crop at zoom 1 is a quarter of the scene's width
RTSP_PORT = 8554
# Squares on the scene: their centres as fractions of the scene (x right, y down) and their colours (BGR).
MARKER_SIZE = 0.05  # of the scene's width
MARKERS = {"red": ((0.30, 0.45), (0, 0, 255)), "green": ((0.70, 0.45), (0, 255, 0)),
           "blue": ((0.50, 0.75), (255, 0, 0))}
_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error">
<s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:InvalidArgVal</s:Value>
<s:Subcode><s:Value>ter:NoToken</s:Value></s:Subcode></s:Subcode></s:Code>
<s:Reason><s:Text xml:lang="en">{reason}</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"""


# ---------------------------------------------------------------- on this host


class PtzCamera:
    """Start with `with PtzCamera(workdir) as camera:`; the camera answers ONVIF at `camera.host`:`camera.port`."""

    def __init__(self, workdir: Path, username: str = "ptz", password: str = "s3cret-ptz", port: int = 8080,
                 video: bool = False) -> None:
        self.workdir, self.username, self.password, self.port, self.video = workdir, username, password, port, video
        self.link = f"vmsptz{os.getpid() % 100000}{random.randrange(100)}"
        subnet = _free_subnet()
        self.host_side, self.host = (str(address) for address in list(subnet.hosts())[:2])
        self.prefix = subnet.prefixlen
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> PtzCamera:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [*NAMESPACE, sys.executable, "-m", "tests.standins.ptz_camera", "--address", f"{self.host}/{self.prefix}",
             "--port", str(self.port), "--username", self.username, "--password", self.password,
             *(["--video"] if self.video else [])],
            cwd=self.workdir, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True,
            preexec_fn=_die_with_parent)
        if _read_line(self.process, 30) != "namespace":
            raise RuntimeError(f"the PTZ camera's namespace did not come up (exit {self.process.poll()})")
        # The unshare process is in the new network namespace (it unshared, then forked the camera).
        _ip("link", "add", self.link, "type", "veth", "peer", "name", LINK_INSIDE, "netns", str(self.process.pid))
        _ip("addr", "add", f"{self.host_side}/{self.prefix}", "dev", self.link)
        _ip("link", "set", self.link, "up")
        ready = _read_line(self.process, 30)
        if not ready.startswith("{"):
            raise RuntimeError(f"the PTZ camera did not start (exit {self.process.poll()}): {ready!r}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # SIGKILL: unshare passes it on to the camera (--kill-child), and the namespace dies with its last process.
            self.process.kill()
        if self.process is not None:
            self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while link_exists(self.link) and time.monotonic() < deadline:
            time.sleep(0.05)  # the kernel tears a dead namespace down in the background
        if link_exists(self.link):
            _ip("link", "del", self.link)

    @property
    def rtsp_url(self) -> str:
        """Its video (started with `video=True`), without credentials: it asks for the camera's own."""
        return f"rtsp://{self.host}:{RTSP_PORT}/video_main"

    def state(self) -> dict[str, Any]:
        """Where ipycam's PTZ is, as ipycam itself says (its web API, not ONVIF): pan, tilt, zoom, moving."""
        request = urllib.request.Request(f"http://{self.host}:{self.port}/api/ptz", headers={
            "Authorization": "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()})
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.load(answer)

    def kept_presets(self) -> dict[str, dict[str, Any]]:
        """The presets ipycam keeps, by token, as it writes them to its file."""
        path = self.workdir / "ptz_presets.json"
        return json.loads(path.read_text()) if path.exists() else {}


def link_exists(name: str) -> bool:
    return subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0


def _ip(*arguments: str) -> None:
    subprocess.run(["ip", *arguments], check=True, capture_output=True, text=True)


def _free_subnet() -> ipaddress.IPv4Network:
    """A /30 of SUBNETS that no address or route of this host overlaps."""
    shown = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=True).stdout
    shown += subprocess.run(["ip", "-4", "route"], capture_output=True, text=True, check=True).stdout
    taken = [ipaddress.ip_network(n, strict=False) for n in re.findall(r"\b\d+\.\d+\.\d+\.\d+(?:/\d+)?\b", shown)]
    candidates = list(SUBNETS.subnets(new_prefix=30))
    random.shuffle(candidates)
    return next(c for c in candidates if not any(c.overlaps(t) for t in taken))


def _die_with_parent() -> None:
    # PR_SET_PDEATHSIG: if the test process dies, even by SIGKILL, unshare gets SIGKILL and takes the camera with it.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return process.stdout.readline().strip()


# ---------------------------------------------------------------- in the namespace


def _standard_service_class():
    from ipycam.onvif import ONVIFService

    class StandardPtzService(ONVIFService):
        """ipycam's ONVIF service, with its PTZ gaps filled (see the module's docstring)."""

        def __init__(self, config, ptz) -> None:
            super().__init__(config, ptz)
            self._templates["envelope"] = self._templates["envelope"].replace(
                "<s:Envelope ", f'<s:Envelope xmlns:ptz="{PTZ_WSDL}" xmlns:tptz="{PTZ_WSDL}" ', 1)
            end = "</tt:RelativePanTiltTranslationSpace>"
            self._templates["ptz_get_nodes"] = self._templates["ptz_get_nodes"].replace(end, end + (
                "<tt:RelativePanTiltTranslationSpace><tt:URI>" + FOV_SPACE + "</tt:URI>"
                "<tt:XRange><tt:Min>-1.0</tt:Min><tt:Max>1.0</tt:Max></tt:XRange>"
                "<tt:YRange><tt:Min>-1.0</tt:Min><tt:Max>1.0</tt:Max></tt:YRange>"
                "</tt:RelativePanTiltTranslationSpace>"), 1)
            self._timeout: threading.Timer | None = None

        def handle_action(self, action: str, body: str) -> str | None:
            # Without a SOAPAction header, ipycam looks for operations it knows in the body: not RemovePreset.
            if "RemovePreset" in (action or body):
                return self._remove_preset(body)
            if "GetStatus" in action:
                return self._status()
            if "ContinuousMove" in action:
                self._stop_after(self._extract_xml_value(body, "Timeout"))
            if "RelativeMove" in action and FOV_SPACE in body:
                return self._move_in_picture(body)
            if "GotoPreset" in action and self._extract_xml_value(body, "PresetToken") not in self.ptz.get_presets():
                return _FAULT.format(reason="No such preset")
            return super().handle_action(action, body)

        def _status(self) -> str:
            state, speed = self.ptz.get_status(), self.ptz.velocity
            pan_tilt = "MOVING" if abs(speed.pan_speed) > 0.001 or abs(speed.tilt_speed) > 0.001 else "IDLE"
            return self._wrap_envelope(self._render(
                "ptz_get_status", pan=state["pan"], tilt=state["tilt"], zoom=state["zoom"],
                pan_tilt_status=pan_tilt, zoom_status="MOVING" if abs(speed.zoom_speed) > 0.001 else "IDLE",
                utc_time=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")))

        def _stop_after(self, timeout: str | None) -> None:
            import isodate

            if self._timeout is not None:
                self._timeout.cancel()
                self._timeout = None
            if timeout:
                self._timeout = threading.Timer(isodate.parse_duration(timeout).total_seconds(),
                                                self.ptz.stop_movement)
                self._timeout.start()

        def _remove_preset(self, body: str) -> str:
            if not self.ptz.remove_preset(self._extract_xml_value(body, "PresetToken") or ""):
                return _FAULT.format(reason="No such preset")
            return self._wrap_envelope(f'<tptz:RemovePresetResponse xmlns:tptz="{PTZ_WSDL}"/>')

        def _move_in_picture(self, body: str) -> str:
            """Bring the point of the picture (x, y: -1 to 1 from edge to edge, up positive) to the middle, and zoom
            by the generic translation, as an optical PTZ would: the point stays in the middle while zooming."""
            moved = re.search(r'PanTilt[^>]*x="([^"]*)"[^>]*y="([^"]*)"', body)
            zoomed = re.search(r'Zoom[^>]*x="([^"]*)"', body)
            x, y = (float(moved.group(1)), float(moved.group(2))) if moved else (0.0, 0.0)
            state = self.ptz.get_status()
            half_view = 0.5 / (1 + state["zoom"] * (self.ptz.max_zoom - 1))
            # The point, as a share of the whole source picture from its middle (right and up positive).
            point_x = state["pan"] * (0.5 - half_view) + x * half_view
            point_y = state["tilt"] * (0.5 - half_view) + y * half_view
            zoom = min(1.0, max(0.0, state["zoom"] + (float(zoomed.group(1)) if zoomed else 0.0)))
            reach = 0.5 - 0.5 / (1 + zoom * (self.ptz.max_zoom - 1))  # how far the middle can go at that zoom
            pan, tilt = ((point_x / reach, point_y / reach) if reach > 0 else (0.0, 0.0))
            self.ptz.absolute_move(max(-1.0, min(1.0, pan)), max(-1.0, min(1.0, tilt)), zoom)
            return self._wrap_envelope(self._render("ptz_relative_move"))

    return StandardPtzService


def scene_picture() -> Any:
    """SCENE: a grey ramp with a grid (so a crop shows where it is) and the MARKERS, BGR."""
    import numpy as np

    ramp = np.linspace(70, 150, SCENE_WIDTH, dtype=np.float32)[None, :] + np.zeros((SCENE_HEIGHT, 1), np.float32)
    picture = np.repeat(ramp.astype(np.uint8)[..., None], 3, axis=2)
    picture[::120, :] = 200
    picture[:, ::120] = 200
    half = round(MARKER_SIZE * SCENE_WIDTH / 2)
    for (x, y), colour in MARKERS.values():
        cx, cy = round(x * SCENE_WIDTH), round(y * SCENE_HEIGHT)
        picture[cy - half:cy + half, cx - half:cx + half] = colour
    return picture


def stream_video(camera: Any, address: str, username: str, password: str) -> None:
    """Serve the digital PTZ's view of SCENE over RTSP: a thread renders it VIDEO_FPS times a second (ipycam's crop)
    into ptz_video.py, which encodes and serves the newest picture."""
    import cv2

    server = subprocess.Popen(
        [SYSTEM_PYTHON, str(Path(__file__).with_name("ptz_video.py")), "--address", address, "--port", str(RTSP_PORT),
         "--path", "/" + camera.config.main_stream_name, "--width", str(VIDEO_WIDTH), "--height", str(VIDEO_HEIGHT),
         "--fps", str(VIDEO_FPS), "--user", username, "--password", password],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=False, preexec_fn=_die_with_parent)
    if server.stdout.readline().strip() != b"READY":
        raise RuntimeError("the PTZ camera's video server did not start")
    scene = scene_picture()

    def render() -> None:
        due = time.monotonic()
        while True:
            view = camera.ptz.apply_ptz(scene)
            if view.shape[:2] != (VIDEO_HEIGHT, VIDEO_WIDTH):  # ipycam leaves the home view uncropped
                view = cv2.resize(view, (VIDEO_WIDTH, VIDEO_HEIGHT), interpolation=cv2.INTER_AREA)
            server.stdin.write(cv2.cvtColor(view, cv2.COLOR_BGR2YUV_I420).tobytes())
            server.stdin.flush()
            due += 1 / VIDEO_FPS
            time.sleep(max(0.0, due - time.monotonic()))

    threading.Thread(target=render, daemon=True).start()


def serve(address: str, port: int, username: str, password: str, video: bool) -> None:
    from ipycam import CameraConfig, IPCamera
    from ipycam.camera import ReusableThreadingTCPServer
    from ipycam.http import IPCameraHTTPHandler

    config = CameraConfig(local_ip=address, onvif_port=port, username=username, password=password,
                          main_width=VIDEO_WIDTH, main_height=VIDEO_HEIGHT, sub_width=640, sub_height=360,
                          sub_bitrate="1M", hw_accel="cpu", rtsp_port=RTSP_PORT)
    camera = IPCamera(config)
    camera.ptz.max_zoom = MAX_ZOOM
    camera.onvif = _standard_service_class()(config, camera.ptz)
    IPCameraHTTPHandler.camera = camera
    server = ReusableThreadingTCPServer(("", port), IPCameraHTTPHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if video:
        stream_video(camera, address, username, password)
    print(json.dumps({"onvif": f"http://{address}:{port}/onvif/device_service"}), flush=True)


def main(argv: list[str]) -> int:
    from tests.onvif_camera import only_loopback_network

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True, help="ADDRESS/PREFIX of the camera's end of the pair")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--username", default="ptz")
    parser.add_argument("--password", default="s3cret-ptz")
    parser.add_argument("--video", action="store_true", help="serve the digital PTZ's view of SCENE over RTSP")
    args = parser.parse_args(argv)
    # Started by hand on the host, this would bind and multicast there: refuse unless in a fresh namespace.
    if not only_loopback_network():
        print("refusing to start: PtzCamera runs this inside a private network namespace", file=sys.stderr)
        return 2
    print("namespace", flush=True)
    deadline = time.monotonic() + 20
    while LINK_INSIDE not in (name for _, name in socket.if_nameindex()):
        if time.monotonic() > deadline:
            print("the host never gave this namespace its end of the veth pair", file=sys.stderr)
            return 1
        time.sleep(0.02)
    for command in (["link", "set", "lo", "up"], ["addr", "add", args.address, "dev", LINK_INSIDE],
                    ["link", "set", LINK_INSIDE, "up"]):
        _ip(*command)
    stopping = threading.Event()
    # As the namespace's first process, it would ignore SIGTERM without a handler.
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    serve(args.address.split("/")[0], args.port, args.username, args.password, args.video)
    stopping.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
