"""The ONVIF audio back channel (Profile T): a small RTSP client that finds a camera's back channel in its SDP
(DESCRIBE with `Require: www.onvif.org/ver20/backchannel`), opens it (SETUP, PLAY) and sends it sound over RTP,
interleaved in the RTSP connection (TCP) or over UDP, encoded as G.711 the way the camera's SDP asks.

Per the ONVIF Streaming Specification ("Audio backchannel"): the back channel is the media the SDP marks `sendonly`
(the client sends, the camera only receives); every request of the session carries the Require header.

Pure: no Django. Sound comes in as 16-bit mono PCM at any rate; PyAV resamples and encodes it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import random
import re
import socket
import struct
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

import av
import numpy as np

from video.source import camera_address

REQUIRE = "www.onvif.org/ver20/backchannel"
# RTP encoding name -> (FFmpeg encoder, static payload type): G.711 mu-law first, as ONVIF requires it of Profile T.
G711 = {"PCMU": ("pcm_mulaw", 0), "PCMA": ("pcm_alaw", 8)}
G711_SILENCE = {"PCMU": b"\xff", "PCMA": b"\xd5"}
STATIC_RTPMAP = {0: ("PCMU", 8000), 8: ("PCMA", 8000)}
PACKET_SECONDS = 0.02  # 20 ms of sound per RTP packet, as cameras and phones send it
TIMEOUT_SECONDS = 5.0
_RTP_HEADER = struct.Struct("!BBHII")

BackChannelErrorReason = Literal[
    "invalid_url", "unreachable", "refused", "unauthorized", "not_found", "timeout", "no_back_channel",
    "unsupported_codec", "rejected",
]  # fmt: skip


class BackChannelError(Exception):
    """The back channel cannot be opened or was lost. str() is a sentence for the user."""

    def __init__(self, reason: BackChannelErrorReason, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status  # the camera's RTSP status code, when it answered with an error


@dataclass(frozen=True)
class BackChannel:
    """The camera's back channel as its SDP offers it: codec (PCMU or PCMA), RTP payload type, clock rate (samples
    per second) and the URL to SETUP it with."""

    codec: str
    payload_type: int
    clock_rate: int
    control: str


def parse_back_channel(sdp: str, base_url: str) -> BackChannel | None:
    """The sendonly audio media of `sdp` (the answer to a DESCRIBE of `base_url`), or None when it has none. Raises
    BackChannelError("unsupported_codec") when the camera takes only other codecs than G.711."""
    session_lines, medias = [], []
    for line in sdp.splitlines():
        line = line.strip()
        if line.startswith("m="):
            medias.append([line])
        elif medias:
            medias[-1].append(line)
        else:
            session_lines.append(line)
    base = next((line[len("a=control:"):] for line in session_lines if line.startswith("a=control:")), "*")
    base = base_url if base == "*" else urljoin(base_url + "/", base) if "://" not in base else base
    offered = []
    for media in medias:
        fields = media[0][2:].split()
        if not fields or fields[0] != "audio" or "a=sendonly" not in media:
            continue
        rtpmap = {}
        for line in media:
            if match := re.match(r"a=rtpmap:(\d+) ([^/\s]+)/(\d+)", line):
                rtpmap[int(match[1])] = (match[2].upper(), int(match[3]))
        control = next((line[len("a=control:"):] for line in media if line.startswith("a=control:")), "")
        url = control if "://" in control else urljoin(base.rstrip("/") + "/", control) if control else base
        for payload in (int(field) for field in fields[3:] if field.isdigit()):
            name, rate = rtpmap.get(payload, STATIC_RTPMAP.get(payload, ("?", 8000)))
            offered.append((name, payload, rate, url))
    if not offered:
        return None
    for codec in G711:
        for name, payload, rate, url in offered:
            if name == codec:
                return BackChannel(codec, payload, rate, url)
    names = ", ".join(sorted({name for name, *_rest in offered}))
    raise BackChannelError("unsupported_codec", f"The camera's speaker takes only {names}; this server sends G.711 "
                                                "(PCMU or PCMA).")


class G711Encoder:
    """16-bit mono PCM at any rate in, G.711 at the back channel's rate out (one byte per sample)."""

    def __init__(self, codec: str, rate: int) -> None:
        self.rate = rate
        self._input_rate = 0
        self._resampler: av.AudioResampler | None = None
        self._encoder = av.CodecContext.create(G711[codec][0], "w")
        self._encoder.sample_rate, self._encoder.layout, self._encoder.format = rate, "mono", "s16"
        self._encoder.open()

    def encode(self, pcm: bytes, rate: int) -> bytes:
        """G.711 bytes of `pcm` (s16le mono at `rate` samples a second); the resampler keeps a few samples back."""
        samples = np.frombuffer(pcm[:len(pcm) // 2 * 2], dtype="<i2")
        if not samples.size:
            return b""
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        if rate != self._input_rate:  # a resampler takes one input rate
            self._resampler, self._input_rate = av.AudioResampler(format="s16", layout="mono", rate=self.rate), rate
        encoded = bytearray()
        for resampled in self._resampler.resample(frame):
            for packet in self._encoder.encode(resampled):
                encoded += bytes(packet)
        return bytes(encoded)


@dataclass
class _Response:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes


def _digest_header(challenge: str, method: str, url: str, username: str, password: str, count: int) -> str:
    fields = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    realm, nonce = fields.get("realm", ""), fields.get("nonce", "")

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - RFC 2617 digest authentication is MD5

    ha1, ha2 = md5(f"{username}:{realm}:{password}"), md5(f"{method}:{url}")
    header = f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{url}"'
    if "auth" in fields.get("qop", "").split(","):
        cnonce, nc = os.urandom(8).hex(), f"{count:08x}"
        header += f', qop=auth, nc={nc}, cnonce="{cnonce}", response="{md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")}"'
    else:
        header += f', response="{md5(f"{ha1}:{nonce}:{ha2}")}"'
    if "opaque" in fields:
        header += f', opaque="{fields["opaque"]}"'
    return header


class _RtspConnection:
    """One RTSP connection: requests answered in turn (with Basic or Digest authentication when challenged), and
    whatever else the camera sends on it (RTCP interleaved in the connection) read and dropped."""

    def __init__(self, url: str, username: str, password: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "rtsp" or not parts.hostname:
            raise BackChannelError("invalid_url", "This is not a camera stream address. It should look like "
                                                  "rtsp://192.168.1.20:554/stream1.")
        try:
            self.where = camera_address(url)
        except ValueError as exc:
            raise BackChannelError("invalid_url", f"This is not a camera stream address: {exc}.") from exc
        self.host, self.port = parts.hostname, parts.port or 554
        netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        # Credentials go in the Authorization header, never in the URL a request names.
        self.url = urlunsplit((parts.scheme, f"{netloc}:{self.port}", parts.path or "/", parts.query, ""))
        self.username = username or parts.username or ""
        self.password = password or parts.password or ""
        self.cseq = 0
        self.session = ""
        self.session_timeout = 60.0
        self._authorization: tuple[str, str] | None = None  # (scheme, challenge)
        self._count = 0
        self._responses: asyncio.Queue[_Response | BaseException] = asyncio.Queue()
        self._reader_task: asyncio.Task | None = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        except TimeoutError as exc:
            raise BackChannelError("timeout", f"The camera at {self.where} did not answer in time.") from exc
        except ConnectionRefusedError as exc:
            raise BackChannelError("refused", f"The camera at {self.where} refused the connection: is the RTSP "
                                              "port right?") from exc
        except OSError as exc:
            raise BackChannelError("unreachable", f"The camera at {self.where} cannot be reached: "
                                                  f"{exc.strerror or exc}.") from exc
        self.writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader_task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                first = await self.reader.readexactly(1)
                if first == b"$":  # interleaved RTP or RTCP from the camera
                    _channel, size = struct.unpack("!BH", await self.reader.readexactly(3))
                    await self.reader.readexactly(size)
                    continue
                head = first + await self.reader.readuntil(b"\r\n\r\n")
                lines = head.decode("utf-8", "replace").split("\r\n")
                status_line = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await self.reader.readexactly(int(headers.get("content-length", "0") or 0))
                if status_line[0].startswith("RTSP/") and len(status_line) >= 2 and status_line[1].isdigit():
                    self._responses.put_nowait(_Response(int(status_line[1]), status_line[-1], headers, body))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            self._responses.put_nowait(BackChannelError("unreachable", f"The camera at {self.where} closed the "
                                                                       f"connection ({exc.__class__.__name__})."))

    async def request(self, method: str, url: str, headers: dict[str, str] | None = None) -> _Response:
        """Send one request and return its answer; a 401 is answered once with the credentials."""
        async with self._lock:
            for _attempt in range(2):
                response = await self._send(method, url, headers or {})
                if response.status != 401 or not self.username:
                    break
                challenge = response.headers.get("www-authenticate", "")
                scheme = "Digest" if challenge.lower().startswith("digest") else "Basic"
                self._authorization = (scheme, challenge)
            if response.status == 401:
                raise BackChannelError("unauthorized", f"The camera at {self.where} rejected the user name or "
                                                       "password.")
            if response.status == 404:
                raise BackChannelError("not_found", f"The camera at {self.where} has no stream at this path.")
            if response.status >= 300:
                raise BackChannelError("rejected", f"The camera at {self.where} answered {method} with "
                                                   f"{response.status} {response.reason}.", response.status)
            if "session" in response.headers:
                session, *options = response.headers["session"].split(";")
                self.session = session.strip()
                for option in options:
                    name, _, value = option.strip().partition("=")
                    if name == "timeout" and value.isdigit():
                        self.session_timeout = float(value)
            return response

    async def _send(self, method: str, url: str, headers: dict[str, str]) -> _Response:
        self.cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self.cseq}", "User-Agent: VMS talk-back"]
        if self._authorization is not None:
            scheme, challenge = self._authorization
            self._count += 1
            if scheme == "Digest":
                lines.append("Authorization: " + _digest_header(challenge, method, url, self.username,
                                                                self.password, self._count))
            else:
                token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
                lines.append(f"Authorization: Basic {token}")
        if self.session:
            lines.append(f"Session: {self.session}")
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                await self.writer.drain()
                response = await self._responses.get()
        except TimeoutError as exc:
            raise BackChannelError("timeout", f"The camera at {self.where} did not answer {method} in time.") from exc
        except OSError as exc:
            raise BackChannelError("unreachable", f"The camera at {self.where} closed the connection.") from exc
        if isinstance(response, BaseException):
            raise response
        return response

    def send_interleaved(self, channel: int, packet: bytes) -> None:
        self.writer.write(struct.pack("!cBH", b"$", channel, len(packet)) + packet)

    async def close(self) -> None:
        if self._reader_task is not None:
            self._reader_task.cancel()
        with contextlib.suppress(OSError, AttributeError):
            self.writer.close()


async def describe(url: str, username: str = "", password: str = "") -> BackChannel | None:
    """Ask the camera at `url` (its main stream's RTSP URL) for its back channel; None when it has none. Raises
    BackChannelError."""
    connection = _RtspConnection(url, username, password)
    await connection.connect()
    try:
        return await _describe(connection)
    finally:
        await connection.close()


async def _describe(connection: _RtspConnection) -> BackChannel | None:
    try:
        response = await connection.request("DESCRIBE", connection.url,
                                            {"Accept": "application/sdp", "Require": REQUIRE})
    except BackChannelError as exc:
        # A camera without back channel may refuse the Require header itself: 551 Option not supported.
        if exc.status == 551:
            return None
        raise
    base = response.headers.get("content-base", connection.url).rstrip("/")
    return parse_back_channel(response.body.decode("utf-8", "replace"), base)


class Talk:
    """An open back channel: `send` sound, `close` when done (TEARDOWN).

    Packets of PACKET_SECONDS leave as soon as they are full; the RTP timestamp counts the samples sent."""

    def __init__(self, connection: _RtspConnection, channel: BackChannel, udp: tuple[socket.socket, tuple] | None):
        self.connection = connection
        self.channel = channel
        self.encoder = G711Encoder(channel.codec, channel.clock_rate)
        self._udp = udp
        self._pending = b""
        self._samples_per_packet = round(channel.clock_rate * PACKET_SECONDS)
        self._sequence = random.randrange(1 << 16)
        self._timestamp = random.randrange(1 << 32)
        self._ssrc = random.randrange(1 << 32)
        self._first = True
        self._keepalive = asyncio.create_task(self._keep_alive())
        self.packets_sent = 0

    @property
    def codec(self) -> str:
        return self.channel.codec

    @property
    def rate(self) -> int:
        return self.channel.clock_rate

    async def send(self, pcm: bytes, rate: int) -> None:
        """Send `pcm` (s16le mono at `rate` samples a second) to the camera's speaker."""
        self._pending += self.encoder.encode(pcm, rate)
        size = self._samples_per_packet
        while len(self._pending) >= size:
            payload, self._pending = self._pending[:size], self._pending[size:]
            self.send_encoded(payload)
        if self._udp is None:
            await self.connection.writer.drain()

    def send_encoded(self, payload: bytes) -> None:
        """Send one RTP packet of G.711 bytes (already in the back channel's codec and rate)."""
        marker = 0x80 if self._first else 0  # the first packet of a talk spurt
        self._first = False
        packet = _RTP_HEADER.pack(0x80, marker | self.channel.payload_type, self._sequence, self._timestamp,
                                  self._ssrc) + payload
        self._sequence = (self._sequence + 1) & 0xFFFF
        self._timestamp = (self._timestamp + len(payload)) & 0xFFFFFFFF
        if self._udp is None:
            self.connection.send_interleaved(0, packet)
        else:
            udp_socket, address = self._udp
            udp_socket.sendto(packet, address)
        self.packets_sent += 1

    async def _keep_alive(self) -> None:
        with contextlib.suppress(BackChannelError):
            while True:
                await asyncio.sleep(max(self.connection.session_timeout / 2, 1.0))
                await self.connection.request("GET_PARAMETER", self.connection.url)

    async def close(self) -> None:
        """Send what is left (padded to a whole packet with silence), end the session and close the connection."""
        self._keepalive.cancel()
        with contextlib.suppress(BackChannelError, OSError):
            if self._pending:
                silence = G711_SILENCE[self.codec] * self._samples_per_packet
                self.send_encoded((self._pending + silence)[:self._samples_per_packet])
                self._pending = b""
            async with asyncio.timeout(TIMEOUT_SECONDS):
                await self.connection.request("TEARDOWN", self.connection.url)
        if self._udp is not None:
            self._udp[0].close()
        await self.connection.close()


async def open_talk(url: str, username: str = "", password: str = "", transport: Literal["tcp", "udp"] = "tcp"
                    ) -> Talk:
    """Open the back channel of the camera at `url`: DESCRIBE, SETUP of its sendonly audio, PLAY. Raises
    BackChannelError (no_back_channel when the camera has none)."""
    connection = _RtspConnection(url, username, password)
    await connection.connect()
    udp = None
    try:
        channel = await _describe(connection)
        if channel is None:
            raise BackChannelError("no_back_channel", f"The camera at {connection.where} has no audio back channel "
                                                      "(no speaker to talk through).")
        if transport == "tcp":
            await connection.request("SETUP", channel.control, {
                "Transport": "RTP/AVP/TCP;unicast;interleaved=0-1", "Require": REQUIRE})
        else:
            udp = _udp_to(connection, await _setup_udp(connection, channel))
        await connection.request("PLAY", connection.url, {"Range": "npt=0.000-", "Require": REQUIRE})
        return Talk(connection, channel, udp)
    except BaseException:
        if udp is not None:
            udp[0].close()
        await connection.close()
        raise


async def _setup_udp(connection: _RtspConnection, channel: BackChannel) -> tuple[socket.socket, int]:
    local = connection.writer.get_extra_info("sockname")[0]
    rtp = socket.socket(socket.AF_INET6 if ":" in local else socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind((local, 0))
    port = rtp.getsockname()[1]
    try:
        response = await connection.request("SETUP", channel.control, {
            "Transport": f"RTP/AVP;unicast;client_port={port}-{port + 1}", "Require": REQUIRE})
    except BaseException:
        rtp.close()
        raise
    match = re.search(r"server_port=(\d+)", response.headers.get("transport", ""))
    if match is None:
        rtp.close()
        raise BackChannelError("rejected", f"The camera at {connection.where} named no port to send its speaker "
                                           "sound to.")
    return rtp, int(match[1])


def _udp_to(connection: _RtspConnection, setup: tuple[socket.socket, int]) -> tuple[socket.socket, tuple]:
    rtp, port = setup
    rtp.setblocking(False)
    return rtp, (connection.writer.get_extra_info("peername")[0], port)
