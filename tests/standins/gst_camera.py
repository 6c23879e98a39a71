"""A live RTSP test-pattern camera on GStreamer's RTSP server; run it with the system python (python3-gi).

It binds 127.0.0.1 (or `--address`, inside a network namespace a test made) and prints `READY rtsp://ADDRESS:PORT/PATH`
once it listens. With `--audio` it sends a
second track of sound (AAC, G.711 or G.726); with `--clicks` a white frame and a click of sound are burned into the
video and the audio at every whole second of media time, to measure how well they stay in sync.
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstController", "1.0")
from gi.repository import GLib, Gst, GstController, GstRtspServer  # noqa: E402
from gst_auth import require_basic_auth  # noqa: E402

# The audio track of each --audio choice: its sample rate, encoder and RTP payloader. AAC at 48 kHz: its encoder's
# priming delay (1024 samples, which RTP cannot signal) is then 21 ms of sound, as a real camera's.
AUDIO = {
    "aac": (48000, "voaacenc bitrate=64000 ! rtpmp4gpay"),
    "pcmu": (8000, "mulawenc ! rtppcmupay"),
    "pcma": (8000, "alawenc ! rtppcmapay"),
    # A codec the recorder does not record: it must record the video all the same, and say so.
    "opus": (48000, "opusenc ! rtpopuspay"),
}
CLICK_SECONDS = 0.02
CLICKS_KEPT = 4 * 3600  # seconds of media time the clicks and flashes are scheduled for


def build_launch(args: argparse.Namespace) -> str:
    """Return the gst-launch description of the camera's media pipeline."""
    source = (
        "videotestsrc is-live=true pattern=ball"
        f" ! video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1"
        ' ! timeoverlay font-desc="Sans 24" ! videobalance name=flash ! videoconvert ! video/x-raw,format=I420'
    )
    x26x = f"tune=zerolatency speed-preset=ultrafast key-int-max={args.gop} bitrate={args.bitrate}"
    # With several slices FFmpeg returns each keyframe as one packet per slice, all with one DTS, as from
    # many real cameras. One thread, so the slice count is the one asked for, not the number of cores.
    encoders = {
        "h264": f"x264enc {x26x} threads=1 option-string=slices={args.slices}"
        " ! video/x-h264,profile=baseline ! rtph264pay",
        "h265": f"x265enc {x26x} ! rtph265pay",
    }
    video = f"{source} ! {encoders[args.codec]} name=pay0 pt=96 config-interval=-1"
    if args.audio == "none":
        return f"( {video} )"
    rate, encode = AUDIO[args.audio]
    # Quiet noise (a live microphone is never silent), and a loud click where --clicks asks for one. Small buffers,
    # so a click starts within a few milliseconds of its second.
    audio = (f"audiotestsrc is-live=true wave=white-noise samplesperbuffer={rate // 100}"
             f" ! audio/x-raw,format=S16LE,rate={rate},channels=1 ! volume name=click volume=0.02 ! {encode}"
             " name=pay1 pt=97")
    return f"( {video} {audio} )"


def schedule_clicks(media: GstRtspServer.RTSPMedia, fps: int) -> None:
    """Make every whole second of media time a white frame in the video and a click in the audio."""
    pipeline = media.get_element()
    flash = GstController.InterpolationControlSource(mode=GstController.InterpolationMode.NONE)
    click = GstController.InterpolationControlSource(mode=GstController.InterpolationMode.NONE)
    for second in range(CLICKS_KEPT):
        at = second * Gst.SECOND
        flash.set(at, 1.0)
        flash.set(at + Gst.SECOND // fps, 0.0)
        click.set(at, 1.0)
        click.set(at + int(CLICK_SECONDS * Gst.SECOND), 0.02)
    brightness = pipeline.get_by_name("flash")
    brightness.add_control_binding(GstController.DirectControlBinding.new_absolute(brightness, "brightness", flash))
    volume = pipeline.get_by_name("click")
    if volume is not None:
        volume.add_control_binding(GstController.DirectControlBinding.new_absolute(volume, "volume", click))


def build_server(args: argparse.Namespace) -> GstRtspServer.RTSPServer:
    """Return an RTSP server serving the test pattern at `args.path`, with basic auth if a user is given."""
    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(build_launch(args))
    # One encoder for every viewer, as in a real camera: a late viewer joins mid-GOP.
    factory.set_shared(True)
    if not args.rewind_on_play:
        factory.connect("media-configure", on_media_configure)
    if args.clicks:
        factory.connect("media-configure", lambda _factory, media: schedule_clicks(media, args.fps))
    if args.user is not None:
        require_basic_auth(server, factory, args.user, args.password or "")
    server.get_mount_points().add_factory(args.path, factory)
    return server


def on_media_configure(factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia) -> None:
    """Make the new media's pipeline say it cannot seek."""
    pad = media.get_element().get_by_name("pay0").get_static_pad("src")
    pad.add_probe(Gst.PadProbeType.QUERY_UPSTREAM, answer_not_seekable)


def answer_not_seekable(pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
    """Answer seeking queries with the query's default, "not seekable".

    videotestsrc says it can seek, so on every PLAY (FFmpeg sends `Range: npt=0.000-`) the server would seek
    the shared pipeline back to 0 and rewind the timestamps of every viewer already watching.
    """
    if info.get_query().type == Gst.QueryType.SEEKING:
        return Gst.PadProbeReturn.HANDLED
    return Gst.PadProbeReturn.OK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", default="127.0.0.1", help="where to listen (another only in a test's namespace)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--path", default="/stream")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--codec", choices=["h264", "h265"], default="h264")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--bitrate-kbps", dest="bitrate", type=int, default=1000)
    parser.add_argument("--gop", type=int, default=25, help="keyframe interval in frames")
    parser.add_argument("--slices", type=int, default=2, help="slices per H.264 frame")
    parser.add_argument("--audio", choices=["none", *AUDIO], default="none", help="the sound track's codec")
    parser.add_argument("--clicks", action="store_true", help="a white frame and a click at every whole second")
    parser.add_argument(
        "--rewind-on-play", action="store_true", help="each PLAY rewinds every viewer's timestamps to 0"
    )
    args = parser.parse_args()
    if not args.path.startswith("/"):
        args.path = "/" + args.path

    Gst.init(None)
    loop = GLib.MainLoop()
    server = build_server(args)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on {args.address}:{args.port}")
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print(f"READY rtsp://{args.address}:{server.get_bound_port()}{args.path}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
