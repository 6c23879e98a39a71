"""A hostile RTSP camera: H.264 over RTSP/TCP that misbehaves on purpose, the same way for the same seed.

Each path is one misbehaviour (see MISBEHAVIOURS); all else it sends is real x264 frames of a test pattern,
so a recorder that copes shows it by recording on. Run by `HostileCamera` (tests/standins/rtsp_servers.py) with
the project's python; it binds 127.0.0.1 only and prints `READY rtsp://127.0.0.1:PORT/` once it listens.

The RTSP side is the small part of RFC 2326 FFmpeg uses (OPTIONS, DESCRIBE, SETUP over TCP, PLAY,
GET_PARAMETER, TEARDOWN), RTP is RFC 6184 (single NAL units and FU-A) interleaved on the RTSP connection, with
an RTCP sender report every second, as from a real camera.
"""

import argparse
import asyncio
import base64
import itertools
import random
import signal
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import av

from video.pattern_clip import make_clip

MISBEHAVIOURS = {
    "healthy": "nothing wrong: the control",
    "truncated": "cuts some frames' NAL units short (keyframes too)",
    "garbage-parameter-sets": "garbage SPS/PPS in the SDP, and byte-flipped ones before some keyframes",
    "garbage-sdp": "a good SPS but a garbage PPS in the SDP and no parameter sets in the stream: no picture decodes",
    "resolution-change": "switches from 320x240 to 480x272 a few seconds into each session, without a new SDP",
    "timestamp-jumps": "RTP timestamps jump forwards (1.5 s and 20 s) and backwards (8 s) every 3 s",
    "stall": "sends a keyframe's parameter sets and half its slice a few seconds into each session, then nothing",
}
FPS = 25
CLOCK = 90_000  # RTP clock of H.264
FRAME_TICKS = CLOCK // FPS
SIZES = ((320, 240), (480, 272))
MAX_PAYLOAD = 1400
SENDER_REPORT_SECONDS = 1.0
NTP_EPOCH = 2_208_988_800  # seconds from 1900 (NTP) to 1970 (Unix)


@dataclass(frozen=True)
class Frame:
    """One access unit: its NAL units (no start codes), parameter sets first on a keyframe."""

    nals: tuple[bytes, ...]
    keyframe: bool


@dataclass(frozen=True)
class Picture:
    """A looping clip at one picture size, and its SPS and PPS."""

    frames: tuple[Frame, ...]
    sps: bytes
    pps: bytes


def split_annex_b(data: bytes) -> list[bytes]:
    """The NAL units of an Annex B byte stream, without their start codes."""
    nals, start = [], data.find(b"\0\0\1")
    while start >= 0:
        nxt = data.find(b"\0\0\1", start + 3)
        end = len(data) if nxt < 0 else nxt
        nal = data[start + 3 : end]
        if nxt >= 0 and nal.endswith(b"\0"):  # the leading zero of a four-byte start code
            nal = nal[:-1]
        nals.append(nal)
        start = nxt
    return nals


def load_picture(clip_dir: Path, width: int, height: int) -> Picture:
    """Encode (once, cached) a 4 s clip with a keyframe every second, as Annex B access units."""
    clip = make_clip(clip_dir, width=width, height=height, fps=FPS, seconds=4, gop_seconds=1.0, bitrate=400_000)
    frames, sps, pps = [], b"", b""
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        # The real library's own filter puts SPS and PPS in front of every keyframe, as cameras send them.
        to_annex_b = av.BitStreamFilterContext("h264_mp4toannexb", video)
        for packet in container.demux(video):
            for out in to_annex_b.filter(packet if packet.size else None):
                nals = tuple(nal for nal in split_annex_b(bytes(out)) if nal[0] & 0x1F != 6)  # no SEI
                for nal in nals:
                    sps = nal if nal[0] & 0x1F == 7 else sps
                    pps = nal if nal[0] & 0x1F == 8 else pps
                frames.append(Frame(nals, bool(out.is_keyframe)))
    return Picture(tuple(frames), sps, pps)


def flipped(data: bytes, rng: random.Random, flips: int = 6) -> bytes:
    """`data` with `flips` seeded random bytes past its NAL header replaced by random values."""
    garbage = bytearray(data)
    for _ in range(flips):
        garbage[rng.randrange(1, len(garbage))] = rng.randrange(256)
    return bytes(garbage)


def rtp_payloads(nal: bytes) -> list[bytes]:
    """One NAL unit as RTP payloads: itself if it fits, else FU-A fragments."""
    if len(nal) <= MAX_PAYLOAD:
        return [nal]
    indicator, kind = (nal[0] & 0xE0) | 28, nal[0] & 0x1F
    body, payloads = nal[1:], []
    for offset in range(0, len(body), MAX_PAYLOAD - 2):
        header = kind | (0x80 if offset == 0 else 0) | (0x40 if offset + MAX_PAYLOAD - 2 >= len(body) else 0)
        payloads.append(bytes([indicator, header]) + body[offset : offset + MAX_PAYLOAD - 2])
    return payloads


class Session:
    """One viewer's RTSP connection: answers its requests and, once it PLAYs, sends it the misbehaving stream."""

    def __init__(self, server: "HostileServer", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.misbehaviour = ""
        self.rng = random.Random()
        self.streaming: asyncio.Task | None = None
        self.ssrc = 0
        self.sequence = 0

    async def serve(self) -> None:
        try:
            while True:
                first = await self.reader.readexactly(1)
                if first == b"$":  # the client's interleaved RTCP receiver reports: read and ignore
                    header = await self.reader.readexactly(3)
                    await self.reader.readexactly(struct.unpack("!H", header[1:])[0])
                    continue
                head = first + await self.reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, url, _ = lines[0].split(" ", 2)
                fields = (line.partition(":") for line in lines[1:] if line)
                headers = {name.strip().lower(): value.strip() for name, _, value in fields}
                if int(headers.get("content-length", 0)):
                    await self.reader.readexactly(int(headers["content-length"]))
                await self.answer(method, url, headers)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if self.streaming is not None:
                self.streaming.cancel()
            self.writer.close()

    async def answer(self, method: str, url: str, headers: dict[str, str]) -> None:
        cseq = headers.get("cseq", "0")
        extra: dict[str, str] = {}
        body = b""
        status = "200 OK"
        path = url.split("://", 1)[-1].partition("/")[2].split("?")[0].split("/")[0]
        if method == "OPTIONS":
            extra["Public"] = "OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN"
        elif method == "DESCRIBE":
            if path not in MISBEHAVIOURS:
                status = "404 Not Found"
            else:
                self.misbehaviour = path
                # The same seed and path give the same misbehaviour on every connection.
                self.rng = random.Random(self.server.seed * 1_000_003 + zlib.crc32(path.encode()))
                body = self.sdp().encode()
                extra.update({"Content-Type": "application/sdp", "Content-Base": url.rstrip("/") + "/"})
        elif method == "SETUP":
            transport = headers.get("transport", "")
            if "TCP" not in transport.upper():
                status = "461 Unsupported Transport"
            else:
                extra.update({"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1", "Session": "1;timeout=60"})
        elif method == "PLAY":
            extra.update({"Session": "1", "Range": "npt=0.000-"})
            if self.streaming is None and self.misbehaviour:
                self.streaming = asyncio.create_task(self.stream())
        elif method in ("GET_PARAMETER", "TEARDOWN", "SET_PARAMETER"):
            extra["Session"] = "1"
        else:
            status = "405 Method Not Allowed"
        lines = [f"RTSP/1.0 {status}", f"CSeq: {cseq}", *(f"{k}: {v}" for k, v in extra.items())]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        if method == "TEARDOWN":
            raise ConnectionResetError

    def sdp(self) -> str:
        picture = self.server.pictures[0]
        sps, pps = picture.sps, picture.pps
        if self.misbehaviour == "garbage-parameter-sets":
            sps, pps = flipped(sps, self.rng), flipped(pps, self.rng)
        elif self.misbehaviour == "garbage-sdp":
            pps = flipped(pps, self.rng)
        sprop = ",".join(base64.b64encode(nal).decode() for nal in (sps, pps))
        return "\r\n".join([
            "v=0", "o=- 0 0 IN IP4 127.0.0.1", f"s=hostile camera: {self.misbehaviour}", "t=0 0", "a=control:*",
            "m=video 0 RTP/AVP 96", "a=rtpmap:96 H264/90000",
            f"a=fmtp:96 packetization-mode=1;profile-level-id={picture.sps[1:4].hex()};sprop-parameter-sets={sprop}",
            "a=control:track0", "",
        ])

    async def stream(self) -> None:
        """Send frames at FPS, misbehaving as the path says, until the viewer goes or the stall."""
        rng = self.rng
        self.ssrc = rng.getrandbits(32)
        self.sequence = rng.getrandbits(16)
        timestamp = rng.getrandbits(32)
        started = time.monotonic()
        last_report = -SENDER_REPORT_SECONDS
        trouble_at = FPS * rng.randint(3, 6)  # a keyframe a few seconds in, where this session's trouble starts
        for index in itertools.count():
            changed = self.misbehaviour == "resolution-change" and index >= trouble_at
            frame = self.server.pictures[changed].frames[index % len(self.server.pictures[changed].frames)]
            nals = list(frame.nals)
            if self.misbehaviour == "truncated" and rng.random() < 0.12:
                victim = rng.randrange(len(nals))
                nals[victim] = nals[victim][: rng.randrange(1, len(nals[victim]))]
            elif self.misbehaviour == "garbage-parameter-sets" and frame.keyframe and rng.random() < 0.3:
                nals = [flipped(nal, rng) if nal[0] & 0x1F in (7, 8) else nal for nal in nals]
            elif self.misbehaviour == "garbage-sdp":
                nals = [nal for nal in nals if nal[0] & 0x1F not in (7, 8)]
            elif self.misbehaviour == "timestamp-jumps" and index and index % (FPS * 3) == 0:
                timestamp += rng.choice((int(1.5 * CLOCK), 20 * CLOCK, -8 * CLOCK))
            payloads = [payload for nal in nals for payload in rtp_payloads(nal)]
            if self.misbehaviour == "stall" and index >= trouble_at:
                unsent = (len(rtp_payloads(nals[-1])) + 1) // 2  # the second half of the slice's fragments
                await self.send_rtp(payloads[:-unsent], timestamp, complete=False)
                return  # and never another byte, with the connection left open: the viewer must notice
            delay = started + index / FPS - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if time.monotonic() - started - last_report >= SENDER_REPORT_SECONDS:
                last_report = time.monotonic() - started
                self.send_sender_report(timestamp)
            await self.send_rtp(payloads, timestamp)
            timestamp = (timestamp + FRAME_TICKS) & 0xFFFFFFFF

    async def send_rtp(self, payloads: list[bytes], timestamp: int, complete: bool = True) -> None:
        """Send one frame's payloads; the last has the marker bit, unless the frame is left incomplete."""
        for index, payload in enumerate(payloads):
            marker = 0x80 if complete and index == len(payloads) - 1 else 0
            header = struct.pack("!BBHII", 0x80, marker | 96, self.sequence, timestamp & 0xFFFFFFFF, self.ssrc)
            self.sequence = (self.sequence + 1) & 0xFFFF
            self.interleaved(0, header + payload)
        await self.writer.drain()

    def send_sender_report(self, timestamp: int) -> None:
        now = time.time() + NTP_EPOCH
        report = struct.pack("!BBHIIIIII", 0x80, 200, 6, self.ssrc, int(now), int(now % 1 * (1 << 32)),
                             timestamp & 0xFFFFFFFF, 0, 0)
        self.interleaved(1, report)

    def interleaved(self, channel: int, data: bytes) -> None:
        self.writer.write(b"$" + bytes([channel]) + struct.pack("!H", len(data)) + data)


class HostileServer:
    """Listens on 127.0.0.1 and serves each connection a `Session`."""

    def __init__(self, clip_dir: Path, seed: int) -> None:
        self.seed = seed
        self.pictures = [load_picture(clip_dir, width, height) for width, height in SIZES]

    async def run(self, port: int) -> None:
        server = await asyncio.start_server(lambda r, w: Session(self, r, w).serve(), "127.0.0.1", port)
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        print(f"READY rtsp://127.0.0.1:{port}/", flush=True)
        async with server:
            await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clip-dir", required=True, type=Path, help="where the test pattern clips are cached")
    parser.add_argument("--seed", type=int, default=0, help="the same seed misbehaves the same way")
    args = parser.parse_args()
    asyncio.run(HostileServer(args.clip_dir, args.seed).run(args.port))


if __name__ == "__main__":
    main()
