"""ONVIF "add a camera": profiles, errors and discovery against an ipycam camera in a private netns.

ipycam must never touch the host network, so pytest re-runs this file as a driver under
`unshare --net --pid`: the driver brings up `lo` with a camera address, starts the camera
(tests/onvif_camera.py), runs every scenario once and prints the results as JSON for the
tests below. The PID namespace makes the kernel kill the camera if the driver dies.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import pytest

from devices.onvif import (
    OnvifDevice,
    OnvifError,
    OnvifProfile,
    _parse_probe_matches,
    discover,
    list_profiles,
    suggest_streams,
)
from video.source import split_credentials

CAMERA_IP = "10.213.0.1"
ONVIF_PORT = 8080
RTSP_PORT = 8554
CLOSED_PORT = 8081
SILENT_PORT = 8082
WEB_PORT = 8083
NO_ROUTE_IP = "10.214.0.5"
MOVED_IP = "10.213.0.2"
USERNAME = "admin"
PASSWORD = "s3cret-pass"
CAMERA_NAME = "Lobby Entrance"

NAMESPACE = ["unshare", "--net", "--pid", "--fork", "--kill-child"]


# ---------------------------------------------------------------- driver (inside the namespace)


def set_up_loopback() -> None:
    # A non-127 address on lo gives the camera a realistic XAddr and lets multicast pick
    # an interface; the route sends WS-Discovery's group to lo, as nothing else exists here.
    for command in (
        "ip link set lo up",
        "ip link set lo multicast on",
        f"ip addr add {CAMERA_IP}/32 dev lo",
        "ip route add 224.0.0.0/4 dev lo",
    ):
        subprocess.run(command.split(), check=True)


def move_camera() -> None:
    """Reach the camera at MOVED_IP only, while it still names CAMERA_IP in its service addresses."""
    for command in (f"ip addr add {MOVED_IP}/32 dev lo", f"ip addr del {CAMERA_IP}/32 dev lo"):
        subprocess.run(command.split(), check=True)


def start_camera() -> subprocess.Popen[str]:
    launcher = Path(__file__).with_name("onvif_camera.py")
    camera = subprocess.Popen(
        [sys.executable, str(launcher), "--ip", CAMERA_IP, "--onvif-port", str(ONVIF_PORT)]
        + ["--rtsp-port", str(RTSP_PORT), "--username", USERNAME, "--password", PASSWORD]
        + ["--name", CAMERA_NAME, "--main", "1280x720", "--sub", "640x360", "--fps", "10"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert camera.stdout is not None
    if not camera.stdout.readline():
        raise RuntimeError(f"the ipycam camera exited with {camera.wait()} before it was ready")
    return camera


def start_web_server() -> ThreadingHTTPServer:
    """A web server that is not ONVIF: it answers every POST with 501, like a camera's web page."""

    class Quiet(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((CAMERA_IP, WEB_PORT), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def attempt(host: str, port: int, password: str, timeout: float = 10) -> dict[str, Any]:
    try:
        device = await list_profiles(host, port, USERNAME, password, timeout=timeout)
    except OnvifError as exc:
        return {"reason": exc.reason, "message": exc.message}
    return {"device": dataclasses.asdict(device), "suggested": suggest_streams(device)}


def first_frame_size(uri: str) -> list[int] | str:
    """The first decoded frame's size, or the error, so one broken stream fails one test only."""
    try:
        with av.open(uri, options={"rtsp_transport": "tcp"}, timeout=10) as container:
            frame = next(container.decode(video=0))
            return [frame.width, frame.height]
    except (av.FFmpegError, StopIteration) as exc:
        return repr(exc)


async def run_scenarios() -> dict[str, Any]:
    # Accepts connections but never answers, like a hung camera.
    silent = socket.create_server((CAMERA_IP, SILENT_PORT))
    web = start_web_server()
    try:
        results = {
            "ok": await attempt(CAMERA_IP, ONVIF_PORT, PASSWORD),
            "wrong_password": await attempt(CAMERA_IP, ONVIF_PORT, "not-the-password"),
            "closed_port": await attempt(CAMERA_IP, CLOSED_PORT, PASSWORD),
            "no_route": await attempt(NO_ROUTE_IP, ONVIF_PORT, PASSWORD),
            "silent": await attempt(CAMERA_IP, SILENT_PORT, PASSWORD, timeout=1.5),
            "web_page": await attempt(CAMERA_IP, WEB_PORT, PASSWORD),
            "discovered": [dataclasses.asdict(d) for d in await asyncio.to_thread(discover, 2.0)],
        }
    finally:
        silent.close()
        web.shutdown()
    main_uri = results["ok"].get("suggested", [None])[0]
    results["main_frame_size"] = await asyncio.to_thread(first_frame_size, main_uri) if main_uri else None
    # Last, as it takes the camera's own address away.
    move_camera()
    results["moved"] = await attempt(MOVED_IP, ONVIF_PORT, PASSWORD)
    return results


def drive() -> None:
    # Imported here because only the script form needs it, and there tests/ is sys.path[0].
    from onvif_camera import only_loopback_network

    # Run by hand on the host, the driver would add addresses and a multicast route to the
    # host's lo: refuse unless this is a fresh namespace.
    if not only_loopback_network():
        sys.exit("run this driver only through pytest, which starts it inside `unshare --net`")
    set_up_loopback()
    camera = start_camera()
    try:
        results = asyncio.run(run_scenarios())
    finally:
        camera.terminate()
        camera.wait(timeout=10)
    print(json.dumps(results), flush=True)


# ---------------------------------------------------------------- tests (on the host)


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed, so no private network namespace")
    probe = subprocess.run([*NAMESPACE, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a private network namespace with unshare: {probe.stderr.strip()}")
    run = subprocess.run([*NAMESPACE, sys.executable, __file__], capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stderr[-4000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_it_reads_device_information(results: dict[str, Any]) -> None:
    device = results["ok"]["device"]
    assert (device["manufacturer"], device["model"], device["serial"]) == (
        "PythonCam",
        "VirtualCam-1",
        "VMS-TEST-0001",
    )
    assert device["firmware"]


def test_it_lists_main_and_sub_profiles_largest_first(results: dict[str, Any]) -> None:
    profiles = results["ok"]["device"]["profiles"]
    assert [(p["token"], p["encoding"], p["width"], p["height"], p["fps"]) for p in profiles] == [
        ("Profile_Main", "H264", 1280, 720, 10),
        ("Profile_Sub", "H264", 640, 360, 10),
    ]
    assert [p["bitrate_kbps"] for p in profiles] == [2000, 1000]
    assert [p["stream_uri"] for p in profiles] == [
        f"rtsp://{CAMERA_IP}:{RTSP_PORT}/video_main",
        f"rtsp://{CAMERA_IP}:{RTSP_PORT}/video_sub",
    ]
    assert profiles[0]["snapshot_uri"] == f"http://{CAMERA_IP}:{ONVIF_PORT}/snapshot.jpg"


def test_it_suggests_main_and_sub_streams(results: dict[str, Any]) -> None:
    assert results["ok"]["suggested"] == [
        f"rtsp://{CAMERA_IP}:{RTSP_PORT}/video_main",
        f"rtsp://{CAMERA_IP}:{RTSP_PORT}/video_sub",
    ]


def test_it_returns_a_main_stream_uri_that_plays(results: dict[str, Any]) -> None:
    assert results["main_frame_size"] == [1280, 720]


def test_it_talks_only_to_the_address_it_checked_whatever_service_addresses_the_camera_names(
    results: dict[str, Any],
) -> None:
    # The camera answers at MOVED_IP but names CAMERA_IP, now nowhere, for its media service.
    assert [p["token"] for p in results["moved"]["device"]["profiles"]] == ["Profile_Main", "Profile_Sub"]


def test_it_reports_a_wrong_password_as_unauthorized(results: dict[str, Any]) -> None:
    assert results["wrong_password"]["reason"] == "unauthorized"
    assert results["wrong_password"]["message"].startswith(
        f"Wrong username or password for the ONVIF service at {CAMERA_IP}:{ONVIF_PORT}."
    )


def test_it_reports_a_closed_port_as_refused(results: dict[str, Any]) -> None:
    assert results["closed_port"]["reason"] == "refused"
    assert f"{CAMERA_IP} refused the connection on port {CLOSED_PORT}" in results["closed_port"]["message"]


def test_it_reports_no_route_as_unreachable(results: dict[str, Any]) -> None:
    assert results["no_route"]["reason"] == "unreachable"
    assert f"Cannot reach {NO_ROUTE_IP}" in results["no_route"]["message"]


def test_it_reports_a_camera_that_never_answers_as_timeout(results: dict[str, Any]) -> None:
    assert results["silent"]["reason"] == "timeout"
    assert "did not answer within 1.5 seconds" in results["silent"]["message"]


def test_it_reports_a_plain_web_server_as_not_onvif(results: dict[str, Any]) -> None:
    assert results["web_page"]["reason"] == "not_onvif"
    assert results["web_page"]["message"].startswith(
        f"The device at {CAMERA_IP}:{WEB_PORT} does not work as an ONVIF camera: "
        "its answer was not an ONVIF one."
    )


def test_it_discovers_the_camera(results: dict[str, Any]) -> None:
    [camera] = results["discovered"]
    assert (camera["host"], camera["port"]) == (CAMERA_IP, ONVIF_PORT)
    assert camera["xaddrs"] == [f"http://{CAMERA_IP}:{ONVIF_PORT}/onvif/device_service"]
    assert camera["name"] == CAMERA_NAME
    assert "onvif://www.onvif.org/Profile/Streaming" in camera["scopes"]


# ---------------------------------------------------------------- pure tests


def profile(token: str, encoding: str, width: int, height: int) -> OnvifProfile:
    return OnvifProfile(token, token, encoding, width, height, None, None, f"rtsp://cam/{token}", None)


def test_it_suggests_an_h264_sub_stream_of_at_most_720_lines_under_an_h265_main() -> None:
    device = OnvifDevice(
        "Acme",
        "X",
        "1",
        "S",
        [
            profile("4k", "H265", 3840, 2160),
            profile("1080", "H264", 1920, 1080),
            profile("720", "H264", 1280, 720),
            profile("cif", "H264", 352, 288),
            profile("mjpeg", "JPEG", 640, 360),
        ],
    )
    assert suggest_streams(device) == ("rtsp://cam/4k", "rtsp://cam/720")


def test_it_suggests_no_sub_stream_when_there_is_no_smaller_h264_profile() -> None:
    device = OnvifDevice(
        "Acme", "X", "1", "S", [profile("main", "H264", 1920, 1080), profile("m", "JPEG", 640, 360)]
    )
    assert suggest_streams(device) == ("rtsp://cam/main", None)


def test_it_parses_a_standard_probe_match_with_hardware_and_ipv6() -> None:
    answer = b"""<?xml version="1.0"?>
<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"
 xmlns:w="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery">
<e:Body><d:ProbeMatches><d:ProbeMatch>
<w:EndpointReference><w:Address>urn:uuid:1234</w:Address></w:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter</d:Types>
<d:Scopes>onvif://www.onvif.org/hardware/DS-2CD2143 onvif://www.onvif.org/name/Gate%20Cam</d:Scopes>
<d:XAddrs>http://[fe80::1]/onvif/device_service http://192.0.2.7/onvif/device_service</d:XAddrs>
</d:ProbeMatch></d:ProbeMatches></e:Body></e:Envelope>"""
    [(endpoint, device)] = _parse_probe_matches(answer)
    assert endpoint == "urn:uuid:1234"
    assert (device.host, device.port, device.name, device.hardware) == (
        "192.0.2.7",
        80,
        "Gate Cam",
        "DS-2CD2143",
    )


def test_it_takes_credentials_out_of_uris_cameras_return() -> None:
    assert split_credentials("rtsp://admin:p%40ss@192.0.2.7:554/Streaming/101") == (
        "rtsp://192.0.2.7:554/Streaming/101", "admin", "p@ss"
    )
    assert split_credentials("rtsp://192.0.2.7/live") == ("rtsp://192.0.2.7/live", "", "")


if __name__ == "__main__":
    drive()
