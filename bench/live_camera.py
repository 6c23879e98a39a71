"""Stand-in camera for bench/live.py: an RTSP camera that burns its wall-clock time into every frame.

Run it with the system python (python3-gi and GStreamer's RTSP server; no numpy there). Each frame carries
the time it was made, in ms since the Unix epoch, read just before the frame goes to the encoder, as
2 rows of 32 black or white blocks along the top: 48 bits of time, then a 16-bit check (see `code_bits`).
Below them a blocky texture scrolls so the encoder has motion to code. One x264 encoder (zerolatency,
ultrafast, no B-frames) serves every client. Binds 127.0.0.1 and prints `READY rtsp://127.0.0.1:PORT/PATH`.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

COLUMNS, ROWS = 32, 2  # the time code: 64 blocks
BLACK, WHITE = 16, 235  # video-range luma, so the encoder keeps them apart
TEXTURE_LINES = 360  # the scrolling texture repeats after this many lines
SCROLL_LINES = 4  # per frame


def code_bits(ms: int) -> list[int]:
    """The 64 bits burned into a frame made at `ms`, most significant first: 48 of time, 16 of check.

    The check (the three 16-bit words of the time XORed, XOR 0xA5A5) rejects a frame read wrong, or one
    that is all black or all white."""
    check = (ms ^ (ms >> 16) ^ (ms >> 32) ^ 0xA5A5) & 0xFFFF
    value = ((ms & 0xFFFF_FFFF_FFFF) << 16) | check
    return [(value >> (63 - index)) & 1 for index in range(COLUMNS * ROWS)]


def code_band(ms: int, width: int) -> bytes:
    """The top `ROWS` x block lines of a frame's luma: the time code as blocks of width / COLUMNS pixels."""
    block = width // COLUMNS
    bits = code_bits(ms)
    band = b""
    for row in range(ROWS):
        line = b"".join(bytes([WHITE if bit else BLACK]) * block for bit in bits[row * COLUMNS : (row + 1) * COLUMNS])
        band += line * block
    return band


def scrolling_texture(width: int, height: int) -> bytes:
    """Luma of random grey 16x16 tiles, TEXTURE_LINES high, repeated to cover the frame at any scroll."""
    rng = random.Random(7)
    lines = []
    for _ in range(TEXTURE_LINES // 16):
        line = b"".join(bytes([rng.randint(40, 200)]) * 16 for _ in range(width // 16))
        lines.extend([line] * 16)
    period = b"".join(lines)
    return period * (height // TEXTURE_LINES + 2)


class FrameSource:
    """Pushes frames into one media's appsrc at the camera's frame rate, each stamped as it is made."""

    def __init__(self, appsrc: Gst.Element, width: int, height: int, fps: int) -> None:
        self.appsrc = appsrc
        self.width, self.height, self.fps = width, height, fps
        self.texture = scrolling_texture(width, height)
        self.chroma = bytes([128]) * (width * height // 2)  # grey: the code stays black and white
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, name="frames", daemon=True)

    def frame(self, number: int, ms: int) -> bytes:
        """One I420 frame: the code band, the texture scrolled by `number`, neutral chroma."""
        band = code_band(ms, self.width)
        band_lines = len(band) // self.width
        offset = (number * SCROLL_LINES) % TEXTURE_LINES + band_lines
        rest = self.texture[offset * self.width : (offset + self.height - band_lines) * self.width]
        return band + rest + self.chroma

    def run(self) -> None:
        started, number = time.monotonic(), 0
        while not self.stopped.is_set():
            due = started + number / self.fps
            if time.monotonic() - due > 1 / self.fps:
                # Fell behind (the machine was busy): skip frames, as a camera would, instead of a burst.
                number = int((time.monotonic() - started) * self.fps)
                continue
            self.stopped.wait(max(0.0, due - time.monotonic()))
            # Before PLAYING the pipeline has no clock yet and do-timestamp could not stamp the buffer.
            if self.appsrc.get_clock() is not None:
                ms = time.time_ns() // 1_000_000
                buffer = Gst.Buffer.new_wrapped(self.frame(number, ms))
                self.appsrc.emit("push-buffer", buffer)
            number += 1


def build_server(args: argparse.Namespace) -> GstRtspServer.RTSPServer:
    """An RTSP server with one shared media: appsrc (our frames) -> x264 zerolatency -> RTP."""
    caps = f"video/x-raw,format=I420,width={args.width},height={args.height},framerate={args.fps}/1"
    launch = (
        f"( appsrc name=frames is-live=true format=time do-timestamp=true caps={caps}"
        f" ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={args.gop} bitrate={args.bitrate}"
        " threads=1 ! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(True)

    def configure(_factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia) -> None:
        source = FrameSource(media.get_element().get_by_name("frames"), args.width, args.height, args.fps)
        media.connect("unprepared", lambda _media: source.stopped.set())
        source.thread.start()

    factory.connect("media-configure", configure)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    server.get_mount_points().add_factory(args.path, factory)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--path", default="/clock")
    parser.add_argument("--width", type=int, default=1280, help="a multiple of 32")
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--gop", type=int, default=25, help="keyframe interval in frames")
    parser.add_argument("--bitrate-kbps", dest="bitrate", type=int, default=2000)
    args = parser.parse_args()
    if args.width % COLUMNS or args.width % 16:
        sys.exit(f"--width must be a multiple of {COLUMNS} and of 16")

    Gst.init(None)
    loop = GLib.MainLoop()
    server = build_server(args)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{args.port}")
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}{args.path}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
