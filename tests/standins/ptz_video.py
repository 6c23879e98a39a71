"""The PTZ stand-in's video: serves the raw I420 pictures it reads on its standard input (one after another, each
WIDTH x HEIGHT) as a live H.264 RTSP stream, the newest picture at each frame time. Run with the system python
(python3-gi) by tests/standins/ptz_camera.py, inside that camera's network namespace; prints `READY` once it listens.
"""

import argparse
import signal
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402
from gst_auth import require_basic_auth  # noqa: E402


class Pictures:
    """The newest picture read from standard input (a thread reads them as they come)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.newest: bytes | None = None
        self.ended = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        source = sys.stdin.buffer
        while True:
            picture = source.read(self.size)
            if len(picture) < self.size:
                self.ended.set()
                return
            self.newest = picture


def build_server(args: argparse.Namespace, pictures: Pictures) -> GstRtspServer.RTSPServer:
    sources: list[Gst.Element] = []
    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f"( appsrc name=pictures is-live=true do-timestamp=true format=time"
        f" caps=video/x-raw,format=I420,width={args.width},height={args.height},framerate={args.fps}/1"
        f" ! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={args.fps} bitrate=800"
        f" threads=1 ! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=-1 )")
    factory.set_shared(True)
    factory.connect("media-configure", lambda _f, media: sources.append(
        media.get_element().get_child_by_name("pictures")))
    if args.user:
        require_basic_auth(server, factory, args.user, args.password or "")
    server.get_mount_points().add_factory(args.path, factory)

    def push() -> bool:
        picture = pictures.newest
        if picture is not None:
            for source in list(sources):
                if source.emit("push-buffer", Gst.Buffer.new_wrapped(picture)) != Gst.FlowReturn.OK:
                    sources.remove(source)  # its media was torn down
        return True

    GLib.timeout_add(round(1000 / args.fps), push)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, default=554)
    parser.add_argument("--path", default="/ptz")
    parser.add_argument("--width", type=int, required=True)
    parser.add_argument("--height", type=int, required=True)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()
    Gst.init(None)
    loop = GLib.MainLoop()
    pictures = Pictures(args.width * args.height * 3 // 2)
    server = build_server(args, pictures)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on {args.address}:{args.port}")
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    GLib.timeout_add(200, lambda: loop.quit() if pictures.ended.is_set() else True)
    print("READY", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
