"""A live RTSP camera with a speaker: GStreamer's ONVIF RTSP server (Profile T), whose session offers, to a client
that sends `Require: www.onvif.org/ver20/backchannel`, an audio back channel (sendonly G.711, PCMU or PCMA) besides
its H.264 test pattern. Run it with the system python (python3-gi).

What the speaker receives is decoded and appended to --out as raw 16-bit mono PCM at 8 kHz; with --arrivals, one
line per received buffer, "<CLOCK_MONOTONIC seconds> <bytes of --out after it>", says when each part arrived (the
monotonic clock is the same in every process of the machine). The back channel's jitter buffer is set to 0 ms, so a
buffer is written when its packet arrives. With --codec none the camera has no back channel.

It binds 127.0.0.1 only and prints `READY rtsp://127.0.0.1:PORT/PATH` once it listens. With --user, Basic
authentication, or Digest with --digest, as real cameras ask.
"""

import argparse
import signal
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402
from gst_auth import require_basic_auth  # noqa: E402

Gst.init(None)

SPEAKERS = {
    "PCMU": ("payload=0,clock-rate=8000,encoding-name=PCMU", "rtppcmudepay ! mulawdec"),
    "PCMA": ("payload=8,clock-rate=8000,encoding-name=PCMA", "rtppcmadepay ! alawdec"),
}
VIDEO = (
    "( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=10/1"
    " ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 threads=1"
    " ! video/x-h264,profile=baseline ! tee allow-not-linked=true ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
)


class Speaker:
    """Writes what the back channel's appsink gets to the output files."""

    def __init__(self, out: str, arrivals: str | None) -> None:
        self.out = open(out, "ab")  # noqa: SIM115 - open for the process's life
        self.arrivals = open(arrivals, "a") if arrivals else None  # noqa: SIM115

    def on_sample(self, sink: Gst.Element) -> Gst.FlowReturn:
        sample = sink.emit("pull-sample")
        arrived = time.monotonic()
        buffer = sample.get_buffer()
        self.out.write(buffer.extract_dup(0, buffer.get_size()))
        self.out.flush()
        if self.arrivals is not None:
            self.arrivals.write(f"{arrived:.6f} {self.out.tell()}\n")
            self.arrivals.flush()
        return Gst.FlowReturn.OK


def build_server(args: argparse.Namespace) -> GstRtspServer.RTSPServer:
    server = GstRtspServer.RTSPOnvifServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPOnvifMediaFactory()
    factory.set_launch(VIDEO)
    # The ONVIF factory builds only ONVIF media (GStreamer's test-onvif-backchannel.c sets it likewise).
    factory.set_media_gtype(GstRtspServer.RTSPOnvifMedia)
    factory.set_shared(False)
    if args.codec != "none":
        caps, decoder = SPEAKERS[args.codec]
        factory.set_backchannel_launch(
            f'( capsfilter caps="application/x-rtp,media=audio,{caps}" name=depay_backchannel ! {decoder}'
            " ! audioconvert ! audio/x-raw,format=S16LE,channels=1,rate=8000"
            " ! appsink name=speaker emit-signals=true sync=false async=false )")
        factory.set_backchannel_bandwidth(64000)
        factory.set_latency(0)
        speaker = Speaker(args.out, args.arrivals)

        def on_media_configure(_factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia) -> None:
            sink = media.get_element().get_by_name("speaker")
            if sink is not None:
                sink.connect("new-sample", speaker.on_sample)

        factory.connect("media-configure", on_media_configure)
    if args.user is not None:
        if args.digest:
            auth = GstRtspServer.RTSPAuth()
            token = GstRtspServer.RTSPToken()
            token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
            auth.add_digest(args.user, args.password or "", token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            server.set_auth(auth)
            permissions = GstRtspServer.RTSPPermissions()
            permissions.add_role("viewer")
            permissions.add_permission_for_role("viewer", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
            permissions.add_permission_for_role("viewer", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
            factory.set_permissions(permissions)
        else:
            require_basic_auth(server, factory, args.user, args.password or "")
    server.get_mount_points().add_factory(args.path, factory)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--path", default="/stream")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--digest", action="store_true", help="Digest authentication instead of Basic")
    parser.add_argument("--codec", choices=[*SPEAKERS, "none"], default="PCMU", help="what the speaker takes")
    parser.add_argument("--out", help="append the speaker's sound here (s16le, mono, 8 kHz)")
    parser.add_argument("--arrivals", help="append when each part of it arrived here")
    args = parser.parse_args()
    if not args.path.startswith("/"):
        args.path = "/" + args.path
    if args.codec != "none" and not args.out:
        parser.error("a camera with a speaker needs --out")
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
