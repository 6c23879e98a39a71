"""Talk-back latency: from the microphone's sound leaving the client to the camera's speaker receiving it, through the
VMS (websocket /ws/talk/<id>/ on daphne, the consumer, the ONVIF back channel), beside a baseline measured in the
same run: the bare back channel (video/backchannel.py's RTP sent straight from this process, no websocket, no VMS).

    .venv/bin/python -m bench.audio.talk_back [--clicks 40] [--every 0.5] [--redis redis://127.0.0.1:6379/15]

The "microphone" is this process: 20 ms frames of 16-bit PCM at 48 kHz, paced in real time, silent but for a click
(5 ms of a loud 2 kHz tone at the start of a frame) every --every seconds; a click's send time is taken just before
its frame is handed over. The camera is the stand-in with a speaker (tests/standins/backchannel_camera.py, GStreamer's
ONVIF RTSP server, jitter buffer 0 ms): it writes what it decodes and, per buffer, when it arrived (CLOCK_MONOTONIC,
the same clock as this process's time.monotonic). A click's latency is the arrival of the buffer holding its first
loud sample minus its send time. The first two clicks of each run are left out (the channel opening).

Not in either figure: the browser's capture (its audio worklet hands over 20 ms at a time, and the audio stack adds
about 10 ms) and the camera's own playout buffer, which real cameras have and the stand-in has not.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.vms_under_test import bench_database, set_environment  # noqa: E402

DATABASE = "vms_bench_talk_back"
REDIS_URL = "redis://127.0.0.1:6379/15"
MIC_RATE = 48000
FRAME = MIC_RATE // 50  # 20 ms
SPEAKER_RATE = 8000
THRESHOLD = 4000  # a received sample louder than this starts a click; the silence between decodes to near 0
SKIPPED = 2


def frames(clicks: int, every: float) -> list[tuple[bytes, bool]]:
    """The microphone's 20 ms frames: (PCM, whether a click starts it)."""
    silence = bytes(2 * FRAME)
    t = np.arange(MIC_RATE // 200) / MIC_RATE
    click = (np.sin(2 * np.pi * 2000 * t) * 30000).astype("<i2").tobytes()
    clicked = click + silence[len(click):]
    per_click = round(every / 0.02)
    lead = 10  # 200 ms of silence first
    total = lead + clicks * per_click
    return [(clicked, True) if i >= lead and (i - lead) % per_click == 0 else (silence, False) for i in range(total)]


async def paced(sequence: list[tuple[bytes, bool]], send: Callable[[bytes], Awaitable[None]]) -> list[float]:
    """Send the frames in real time; the send times of the clicks."""
    sent = []
    start = time.monotonic()
    for index, (pcm, click) in enumerate(sequence):
        await asyncio.sleep(max(0.0, start + index * 0.02 - time.monotonic()))
        if click:
            sent.append(time.monotonic())
        await send(pcm)
    await asyncio.sleep(0.5)  # the last packets reach the camera
    return sent


def arrivals_after(speaker, offset: int, arrivals_offset: int) -> list[float]:
    """Arrival times of the clicks the speaker received after byte `offset` of its sound."""
    pcm = np.frombuffer(speaker.out.read_bytes()[offset:], dtype="<i2").astype(np.int32)
    lines = [line.split() for line in speaker.arrivals.read_text().splitlines()[arrivals_offset:]]
    marks = [(float(t), int(end)) for t, end in lines]
    onsets, quiet_since = [], 0
    for index in np.flatnonzero(np.abs(pcm) > THRESHOLD):
        if index - quiet_since > SPEAKER_RATE * 0.2 or not onsets:
            onsets.append(int(index))
        quiet_since = int(index)
    result = []
    for onset in onsets:
        byte = offset + 2 * onset
        result.append(next(t for t, end in marks if end > byte))
    return result


def latencies(sent: list[float], arrived: list[float]) -> list[float]:
    if len(sent) != len(arrived):
        raise SystemExit(f"{len(sent)} clicks sent, {len(arrived)} heard: a click was lost, the figures would not "
                         "pair up")
    return [(a - s) * 1000 for s, a in zip(sent[SKIPPED:], arrived[SKIPPED:], strict=True)]


async def bare_back_channel(speaker, sequence: list[tuple[bytes, bool]]) -> list[float]:
    from video import backchannel

    talk = await backchannel.open_talk(speaker.url, speaker.user, speaker.password)
    try:
        return await paced(sequence, lambda pcm: talk.send(pcm, MIC_RATE))
    finally:
        await talk.close()


async def through_the_vms(base: str, camera_id: int, token: str, sequence: list[tuple[bytes, bool]]) -> list[float]:
    import aiohttp

    url = base.replace("http://", "ws://") + f"/ws/talk/{camera_id}/"
    async with aiohttp.ClientSession() as session, session.ws_connect(
            url, headers={"Authorization": f"Token {token}", "Origin": base}) as socket:
        start = await socket.receive_json(timeout=10)
        if start["type"] != "talk.start":
            raise SystemExit(f"the VMS did not open the back channel: {start}")
        await socket.send_json({"type": "format", "rate": MIC_RATE})
        return await paced(sequence, socket.send_bytes)


def summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"{name:<34} median {statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms   max {ordered[-1]:6.1f} ms"
            f"   ({len(ordered)} clicks)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clicks", type=int, default=40)
    parser.add_argument("--every", type=float, default=0.5, help="seconds between clicks")
    parser.add_argument("--redis", default=REDIS_URL, help="the Redis database the VMS under test uses")
    args = parser.parse_args(argv)
    if args.clicks <= SKIPPED or args.every < 0.3:
        parser.error(f"more than {SKIPPED} clicks, at least 0.3 s apart")
    workdir = Path(tempfile.mkdtemp(prefix="vms-bench-talk-"))
    set_environment(DATABASE, workdir / "media", args.redis)
    sequence = frames(args.clicks, args.every)
    with bench_database(DATABASE):
        from django.contrib.auth.models import Group, User

        from accounts import tokens
        from accounts.roles import OPERATOR
        from devices.models import Camera
        from tests.standins.rtsp_servers import SpeakerCamera
        from tests.web_server import web_server

        with SpeakerCamera(workdir / "speaker.raw", user="cam", password="bench-pw", digest=True) as speaker, \
                web_server(workdir / "media") as base:
            user = User.objects.create_user("bench-operator", password="bench-pw")
            user.groups.add(Group.objects.get(name=OPERATOR))
            camera = Camera(name="Gate", main_url=speaker.url, username="cam", speaker_codec="PCMU")
            camera.password = "bench-pw"
            camera.save()
            from accounts.models import CameraAccess

            CameraAccess.objects.create(camera=camera, user=user)
            token = tokens.issue(user, "bench")[1]

            def mark() -> tuple[int, int]:
                return speaker.out.stat().st_size, len(speaker.arrivals.read_text().splitlines()) \
                    if speaker.arrivals.exists() else 0

            before = mark()
            sent = asyncio.run(bare_back_channel(speaker, sequence))
            baseline = latencies(sent, arrivals_after(speaker, *before))
            before = mark()
            sent = asyncio.run(through_the_vms(base, camera.pk, token, sequence))
            vms = latencies(sent, arrivals_after(speaker, *before))

    print(f"talk-back latency, client to camera speaker; {args.clicks} clicks every {args.every:g} s, G.711 mu-law, "
          "RTP interleaved over RTSP/TCP")
    print(summary("baseline: bare back channel", baseline))
    print(summary("VMS: websocket, daphne, consumer", vms))
    print(f"{'VMS - baseline (median)':<34} {statistics.median(vms) - statistics.median(baseline):+6.1f} ms; "
          "goal: microphone to camera under 500 ms")


if __name__ == "__main__":
    main()
