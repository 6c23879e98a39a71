"""Stand-in ONVIF camera for tests: runs an ipycam virtual camera on a generated picture.

ipycam binds 0.0.0.0 and multicasts WS-Discovery, so this launcher refuses to start
unless it is inside a private network namespace that has nothing but `lo` (`unshare -n`).

    python tests/onvif_camera.py --ip 10.213.0.1 --username admin --password secret

It prints one JSON line with the camera's URLs once the ONVIF service is listening,
then streams until it gets SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
from urllib.parse import quote

import numpy as np


def only_loopback_network() -> bool:
    """True when the only network interface this process can see is `lo`.

    That holds inside a fresh `unshare -n` namespace and never on a host that has a real
    network, so nothing ipycam binds or multicasts can leave the machine. (Comparing
    /proc/self/ns/net with PID 1's does not work: inside the namespace PID 1's link is
    unreadable.)
    """
    return all(name == "lo" for _, name in socket.if_nameindex())


def colour_bars(width: int, height: int) -> np.ndarray:
    """Seven vertical colour bars (BGR), the classic test card."""
    bars = np.array(
        [[192, 192, 192], [0, 192, 192], [192, 192, 0], [0, 192, 0], [192, 0, 192], [0, 0, 192], [192, 0, 0]],
        dtype=np.uint8,
    )
    columns = bars[np.arange(width) * len(bars) // width]
    return np.repeat(columns[np.newaxis, :, :], height, axis=0)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ip", default="127.0.0.1", help="address the camera advertises in its URLs")
    parser.add_argument("--onvif-port", type=int, default=8080)
    parser.add_argument("--rtsp-port", type=int, default=8554)
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--name", default="Lobby Entrance")
    parser.add_argument("--main", default="1280x720", help="main stream WIDTHxHEIGHT")
    parser.add_argument("--sub", default="640x360", help="sub-stream WIDTHxHEIGHT")
    parser.add_argument("--fps", type=int, default=10)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not only_loopback_network():
        print("refusing to start: run this inside a private network namespace (unshare -n)", file=sys.stderr)
        return 2

    # Imported late: ipycam pulls in OpenCV and starts nothing at import, but there is no
    # reason to pay for it when the namespace check fails.
    from ipycam import CameraConfig, IPCamera

    main_width, main_height = (int(v) for v in args.main.split("x"))
    sub_width, sub_height = (int(v) for v in args.sub.split("x"))
    config = CameraConfig(
        # ipycam writes the name unescaped into a space-separated scope list; real cameras
        # percent-encode it, so do the same and let the client's unquoting be exercised.
        name=quote(args.name),
        manufacturer="PythonCam",
        model="VirtualCam-1",
        serial_number="VMS-TEST-0001",
        local_ip=args.ip,
        onvif_port=args.onvif_port,
        rtsp_port=args.rtsp_port,
        username=args.username,
        password=args.password,
        main_width=main_width,
        main_height=main_height,
        main_fps=args.fps,
        main_bitrate="2M",
        sub_width=sub_width,
        sub_height=sub_height,
        sub_fps=args.fps,
        # ipycam's GetProfiles crashes on a lowercase suffix such as "500k"; "1M" parses.
        sub_bitrate="1M",
        hw_accel="cpu",
        show_timestamp=False,
    )
    camera = IPCamera(config)

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if not camera.start():
        print("ipycam failed to start", file=sys.stderr)
        return 1
    print(
        json.dumps(
            {
                "onvif_url": config.onvif_url,
                "main_stream": config.main_stream_rtsp,
                "sub_stream": config.sub_stream_rtsp,
                "streaming_mode": camera.streaming_mode,
            }
        ),
        flush=True,
    )
    bars = colour_bars(main_width, main_height)
    tick = 0
    try:
        while not stopping and camera.is_running:
            # A white bar sweeps across so the picture (and the encoded stream) keeps changing.
            frame = bars.copy()
            x = (tick * 8) % main_width
            frame[:, x : x + 16] = 255
            # stream() paces itself to the configured fps.
            camera.stream(frame)
            tick += 1
    finally:
        camera.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
