"""Live-view benchmark: glass-to-glass latency of the websocket live view beside HLS, and server CPU per viewer.

A stand-in camera (bench/live_camera.py) burns its wall-clock time into every frame; Chromium plays the
camera through the VMS (recorder -> Redis -> daphne -> websocket -> MSE) and then through live HLS (ffmpeg
-c copy -f hls, hls.js), and reads the time back from each frame it shows (bench/live_player.html). Then
1, 10 and 30 websocket viewers watch the camera while the web server's CPU is measured, on the VMS's daphne
(one subscription per camera, however many viewers) and on a baseline daphne whose viewers each subscribe on
their own (bench/live_per_viewer.py). Run it as `.venv/bin/python bench/live.py`; see README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import aiohttp
import psutil
import redis
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.vms_under_test import bench_database, set_environment  # noqa: E402
from tests.browser import chromium_page  # noqa: E402
from tests.standins.rtsp_servers import SYSTEM_PYTHON, ServerProcess, free_port  # noqa: E402

BENCH = Path(__file__).resolve().parent
FFMPEG = "/usr/bin/ffmpeg"
HLS_JS = ROOT / "frontend" / "node_modules" / "hls.js" / "dist" / "hls.min.js"
DATABASE = "vms_bench_live"
REDIS_SERVER = "/usr/bin/redis-server"
WIDTH, HEIGHT, FPS, GOP, BITRATE_KBPS = 1280, 720, 25, 25, 2000
ACK_EVERY = 5  # fragments, as the web app's player
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# A viewer receiving less than this share of the camera's frame rate was skipped or fell behind.
RATE_TOLERANCE = 0.9
SATURATED = 0.9
GOAL = "median below 500 ms, p95 below 1000 ms; under 0.5% of a core per viewer"

started_at = time.monotonic()


def say(message: str) -> None:
    """Progress on stderr, stamped with seconds since the start, to show where the time went."""
    print(f"[{time.monotonic() - started_at:6.1f} s] {message}", file=sys.stderr, flush=True)


class ClockCamera(ServerProcess):
    """bench/live_camera.py: an RTSP camera that burns the time each frame was made into the frame."""

    def argv(self) -> list[str]:
        options = {"--port": self.port, "--width": WIDTH, "--height": HEIGHT, "--fps": FPS, "--gop": GOP,
                   "--bitrate-kbps": BITRATE_KBPS}  # fmt: skip
        return [SYSTEM_PYTHON, str(BENCH / "live_camera.py"), *(str(part) for item in options.items() for part in item)]

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/clock"


@dataclass
class Latency:
    """What the latency player saw during its window."""

    path: str
    seconds: float
    samples: list[float]  # ms from the camera making a frame to the browser showing it
    ahead: list[float]  # ms of video the player had buffered beyond each of those frames
    undecoded: int  # frames shown whose time code failed its check
    frames_shown: int  # by the video element during the window (metadata.presentedFrames)
    jumps: int  # to the live edge
    restarts: int
    errors: list[str]

    @classmethod
    def from_page(cls, path: str, seconds: float, bench: dict, page_errors: list[str]) -> Latency:
        shown = 0
        if bench["firstPresented"] is not None:
            shown = bench["lastPresented"] - bench["firstPresented"] + 1
        return cls(
            path,
            seconds,
            bench["samples"],
            bench["ahead"],
            bench["undecoded"],
            shown,
            bench["jumps"],
            bench["restarts"],
            bench["errors"] + page_errors,
        )

    def median(self) -> float:
        return statistics.median(self.samples)

    def p95(self) -> float:
        return statistics.quantiles(self.samples, n=100, method="inclusive")[94]


@dataclass
class Counters:
    """CPU and traffic counters read at one end of a load window."""

    at: float
    daphne: float  # CPU seconds, all threads
    recorder: float
    redis: float  # of the bench's own Redis server
    box_busy: float
    box_total: float
    fragments: list[int]  # received so far by each viewer


SHARED = "shared"
PER_VIEWER = "per viewer"
WEB_SERVERS = {SHARED: "vms.asgi:application", PER_VIEWER: "bench.live_per_viewer:application"}


@dataclass
class Load:
    """What n viewers cost a web server during one window."""

    server: str  # SHARED: the VMS; PER_VIEWER: the baseline
    viewers: int
    seconds: float
    daphne_cores: float
    recorder_cores: float
    redis_cores: float
    box_busy: float  # share of all the machine's cores
    fragments_per_second: list[float]  # per viewer
    still_watching: int
    errors: list[str] = field(default_factory=list)

    @classmethod
    def between(cls, server: str, start: Counters, end: Counters, still_watching: int, errors: list[str]) -> Load:
        seconds = end.at - start.at
        rates = [(after - before) / seconds for before, after in zip(start.fragments, end.fragments, strict=True)]
        return cls(
            server=server,
            viewers=len(rates),
            seconds=seconds,
            daphne_cores=(end.daphne - start.daphne) / seconds,
            recorder_cores=(end.recorder - start.recorder) / seconds,
            redis_cores=(end.redis - start.redis) / seconds,
            box_busy=(end.box_busy - start.box_busy) / (end.box_total - start.box_total),
            fragments_per_second=rates,
            still_watching=still_watching,
            errors=errors,
        )


def add_camera_and_operator(url: str) -> tuple[int, str]:
    """A camera recording `url` and an Operator allowed to watch it; return the camera's id and an API token."""
    from django.contrib.auth.models import Group, User

    from accounts import tokens
    from accounts.models import CameraAccess
    from accounts.roles import OPERATOR
    from devices.models import Camera

    camera = Camera.objects.create(name="Clock", main_url=url)
    operator = User.objects.create_user("bench-operator")
    operator.groups.add(Group.objects.get(name=OPERATOR))
    CameraAccess.objects.create(camera=camera, user=operator)
    return camera.pk, tokens.issue(operator, "bench")[1]


@contextmanager
def private_redis(log: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A Redis server of the bench's own on 127.0.0.1, without persistence; yield its URL and process.

    Its CPU is then the live fan-out's alone, and nothing else on the machine publishes to its channels."""
    port = free_port()
    argv = [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    with running(argv, log) as process:
        client = redis.Redis(port=port)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start:\n{log_tail(log)}") from None
                time.sleep(0.1)
        client.close()
        yield f"redis://127.0.0.1:{port}/0", process


@contextmanager
def running(argv: list[str], log: Path) -> Iterator[subprocess.Popen]:
    """Run `argv` in the repository with its output in `log`; SIGTERM it at the end (SIGKILL if it hangs)."""
    with open(log, "wb") as log_file:
        process = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                say(f"{Path(argv[0]).name} ignored SIGTERM for {STOP_TIMEOUT} s; killing it")
                process.kill()
                process.wait()


def log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:].strip() or "(empty)"


def error_lines(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if "ERROR" in line or "Traceback" in line]


class StaticFiles(http.server.SimpleHTTPRequestHandler):
    """The player page, hls.js and the HLS output; never cached, so hls.js always gets the newest playlist."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def static_server(directory: Path) -> Iterator[int]:
    """Serve `directory` over HTTP on 127.0.0.1 from a thread of this process; yield the port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(StaticFiles, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, name="static-files", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


async def watch(session: aiohttp.ClientSession, url: str, origin: str, received: list[int], index: int) -> None:
    """One websocket viewer: count the fragments in `received[index]` and acknowledge them as a browser does."""
    async with session.ws_connect(url, origin=origin, max_msg_size=0) as socket:
        fragments: int | None = None  # None until the init segment that follows live.start
        async for message in socket:
            if message.type == aiohttp.WSMsgType.TEXT:
                if json.loads(message.data).get("type") == "live.start":
                    fragments = None
            elif message.type == aiohttp.WSMsgType.BINARY:
                if fragments is None:
                    fragments = 0
                    continue
                fragments += 1
                received[index] += 1
                if fragments % ACK_EVERY == 0:
                    await socket.send_str(json.dumps({"type": "ack", "received": fragments}))
    raise ConnectionError(f"the server closed the websocket with code {socket.close_code}")


def authorization(key: str) -> dict[str, str]:
    return {"Authorization": f"Token {key}"}


def with_ticket(ws_url: str, origin: str, key: str) -> str:
    """The websocket URL with a new single-use ticket, for a browser, which cannot send the token in a header."""
    ask = urllib.request.Request(f"{origin}/api/v1/auth/ws-ticket/", method="POST", headers=authorization(key))
    with urllib.request.urlopen(ask, timeout=60) as answer:  # noqa: S310  (the bench's own server)
        return f"{ws_url}?ticket={json.load(answer)['ticket']}"


async def wait_for_live(url: str, origin: str, key: str, timeout: float) -> None:
    """Until one viewer receives a fragment: the web server listens and the recorder publishes."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    async with aiohttp.ClientSession(headers=authorization(key)) as session:
        while time.monotonic() < deadline:
            received = [0]
            viewer = asyncio.create_task(watch(session, url, origin, received, 0))
            while not viewer.done() and not received[0] and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            viewer.cancel()
            try:
                await viewer
            except asyncio.CancelledError:
                pass
            except (aiohttp.ClientError, ConnectionError, OSError) as exc:
                last_error = exc
            if received[0]:
                return
            await asyncio.sleep(0.5)
    raise RuntimeError(f"no live fragment within {timeout:.0f} s (last error: {last_error})")


def measure_latency(page: Page, path: str, url: str, warmup: float, window: float) -> Latency:
    """Open the player on `url`, let it settle for `warmup` s, then collect `window` s of frames."""
    page_errors: list[str] = []

    def on_error(error: Exception) -> None:
        page_errors.append(str(error))

    page.on("pageerror", on_error)
    page.goto(url)
    page.wait_for_timeout(warmup * 1000)
    page.evaluate("bench.reset()")
    begun = time.monotonic()
    page.wait_for_timeout(window * 1000)
    bench = page.evaluate("JSON.parse(JSON.stringify(bench))")
    seconds = time.monotonic() - begun
    page.goto("about:blank")
    page.remove_listener("pageerror", on_error)
    latency = Latency.from_page(path, seconds, bench, page_errors)
    if latency.samples:
        say(f"{path}: {len(latency.samples)} frames read, median {latency.median():.0f} ms")
    else:
        say(f"{path}: no frame read; errors: {latency.errors[:3]}")
    return latency


def measure_hls(
    page: Page, camera_url: str, site: Path, base: str, warmup: float, window: float, logs: Path
) -> Latency:
    """Latency of live HLS made by `ffmpeg -c copy -f hls` from the same camera and played with hls.js."""
    output = site / "hls"
    output.mkdir()
    argv = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", camera_url,
            "-c", "copy", "-an", "-f", "hls", "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments",
            str(output / "live.m3u8")]  # fmt: skip
    with running(argv, logs / "ffmpeg-hls.log") as ffmpeg:
        deadline = time.monotonic() + START_TIMEOUT
        while not (output / "live.m3u8").exists():
            if ffmpeg.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ffmpeg wrote no HLS playlist:\n{log_tail(logs / 'ffmpeg-hls.log')}")
            time.sleep(0.2)
        say("HLS: the first playlist is out")
        playlist = urllib.parse.quote(f"{base}/hls/live.m3u8", safe="")
        return measure_latency(
            page, "HLS (ffmpeg -f hls, hls.js)", f"{base}/live_player.html?hls={playlist}", warmup, window
        )


@dataclass
class WebServer:
    """A daphne the bench started, and where its viewers connect."""

    process: subprocess.Popen
    log: Path
    origin: str
    ws_url: str


@dataclass
class Servers:
    """The processes whose CPU the load windows read."""

    daphne: psutil.Process
    recorder: psutil.Process
    redis: psutil.Process


def cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU seconds of `process`, all its threads included."""
    times = process.cpu_times()
    return times.user + times.system


def counters(servers: Servers, received: list[int]) -> Counters:
    """CPU seconds of the web server, the recorder and Redis, the box's busy time, and fragments received."""
    box = psutil.cpu_times()
    total = sum(box)
    return Counters(
        at=time.monotonic(),
        daphne=cpu_seconds(servers.daphne),
        recorder=cpu_seconds(servers.recorder),
        redis=cpu_seconds(servers.redis),
        box_busy=total - box.idle - box.iowait,
        box_total=total,
        fragments=list(received),
    )


async def measure_load(server: str, viewers: int, url: str, origin: str, key: str, servers: Servers, warmup: float,
                       window: float) -> Load:
    """Connect `viewers` websocket viewers to `servers.daphne`, wait until each gets video, warm up, then measure
    for `window` s."""
    received = [0] * viewers
    async with aiohttp.ClientSession(headers=authorization(key)) as session:
        tasks = [asyncio.create_task(watch(session, url, origin, received, index)) for index in range(viewers)]
        waited = time.monotonic()
        while not all(received) and time.monotonic() - waited < START_TIMEOUT:
            if any(task.done() for task in tasks):
                break
            await asyncio.sleep(0.2)
        say(f"{viewers} viewers ({server}): {sum(map(bool, received))} receive video after "
            f"{time.monotonic() - waited:.1f} s")
        await asyncio.sleep(warmup)
        start = counters(servers, received)
        await asyncio.sleep(window)
        end = counters(servers, received)
        still_watching = sum(not task.done() for task in tasks)
        errors = sorted({str(task.exception()) for task in tasks if task.done() and task.exception()})
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return Load.between(server, start, end, still_watching, errors)


def latency_figures(latency: Latency) -> str:
    """Median, p95, min, max and buffered-ahead ms of one path, in the report's columns."""
    if len(latency.samples) < 2:
        return f"{'-':>9}  {'-':>6}  {'-':>6}  {'-':>6}  {'-':>11}"
    buffered = f"{statistics.median(latency.ahead):>11.0f}" if latency.ahead else f"{'-':>11}"
    return (
        f"{latency.median():>9.0f}  {latency.p95():>6.0f}  {min(latency.samples):>6.0f}  "
        f"{max(latency.samples):>6.0f}  {buffered}"
    )


def print_report(latencies: list[Latency], loads: list[Load], args: argparse.Namespace) -> None:
    print(
        f"\ncamera: {WIDTH}x{HEIGHT} {FPS} fps H.264 (x264 zerolatency ultrafast, {BITRATE_KBPS} kbit/s, a keyframe "
        f"every {GOP} frames), its wall-clock time burned into each frame; {psutil.cpu_count()} cores"
    )
    print(f"goal: {GOAL}")
    if latencies:
        print(
            f"\nglass-to-glass latency over {args.window:.0f} s (websocket player jumps to the live edge when more "
            f"than {args.max_lag} s behind; hls.js in its default configuration)"
        )
        print(
            f"{'path':<26}  {'median ms':>9}  {'p95 ms':>6}  {'min ms':>6}  {'max ms':>6}  {'buffered ms':>11}  "
            f"{'frames read':>11}  {'shown':>5}  {'unread':>6}  {'jumps':>5}"
        )
        for latency in latencies:
            print(
                f"{latency.path:<26}  {latency_figures(latency)}  {len(latency.samples):>11}  "
                f"{latency.frames_shown:>5}  {latency.undecoded:>6}  {latency.jumps:>5}"
            )
        print(
            f"frames read: shown frames whose time was read back ({args.window * FPS:.0f} at {FPS} fps); unread: "
            "shown but the time code failed its check;\nbuffered: median video the player held beyond the frame shown "
            "(the player's share of the latency)"
        )
        for latency in latencies:
            if latency.errors or latency.restarts:
                print(f"{latency.path}: {latency.restarts} restarts; errors: {'; '.join(latency.errors[:5])}")
    if loads:
        idle = {load.server: load for load in loads if not load.viewers}
        print(
            f"\nweb server (daphne) CPU with websocket viewers of the camera, {args.load_window:.0f} s windows; "
            f"per viewer: above the same server's 0-viewer figure.\n{SHARED}: the VMS, one Redis subscription per "
            f"camera in the process; {PER_VIEWER}: the baseline, each viewer its own (bench/live_per_viewer.py)"
        )
        print(
            f"{'viewers':>7}  {'web server':>10}  {'daphne %core':>12}  {'%core/viewer':>12}  {'redis %core':>11}  "
            f"{'recorder %core':>14}  {'fragments/s per viewer min/median':>33}  {'box busy':>8}"
        )
        for load in loads:
            per_viewer = "-"
            rates = "-"
            if load.viewers:
                per_viewer = f"{(load.daphne_cores - idle[load.server].daphne_cores) / load.viewers * 100:.3f}"
                slow = sum(rate < FPS * RATE_TOLERANCE for rate in load.fragments_per_second)
                rates = f"{min(load.fragments_per_second):.1f} / {statistics.median(load.fragments_per_second):.1f}" + (
                    f" ({slow} slow)" if slow else ""
                )
            busy = f"{load.box_busy:.0%}" + ("*" if load.box_busy > SATURATED else "")
            print(
                f"{load.viewers:>7}  {load.server:>10}  {load.daphne_cores * 100:>12.2f}  {per_viewer:>12}  "
                f"{load.redis_cores * 100:>11.2f}  {load.recorder_cores * 100:>14.2f}  {rates:>33}  {busy:>8}"
            )
        print(
            f"slow: under {RATE_TOLERANCE:.0%} of {FPS} fragments/s; box busy: share of all cores in use, the "
            f"viewers' own process included (* above {SATURATED:.0%}: saturated, the figures are distorted)"
        )
        for load in loads:
            if load.still_watching < load.viewers or load.errors:
                print(
                    f"{load.viewers} viewers ({load.server}): {load.viewers - load.still_watching} were disconnected: "
                    f"{'; '.join(load.errors[:3])}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--window", type=float, default=60, help="seconds of frames per latency path")
    parser.add_argument("--warmup", type=float, default=10, help="seconds a player settles before its window")
    parser.add_argument(
        "--max-lag",
        type=float,
        default=0.5,
        help="the websocket player jumps to the live edge beyond this many seconds (the app: 1.0)",
    )
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 10, 30], help="viewer counts to load with")
    parser.add_argument("--skip-baseline", action="store_true", help="no per-viewer subscription baseline")
    parser.add_argument("--load-window", type=float, default=20, help="seconds measured per viewer count")
    parser.add_argument("--load-warmup", type=float, default=5, help="seconds, once every viewer gets video")
    parser.add_argument("--skip-latency", action="store_true", help="measure CPU per viewer only")
    parser.add_argument("--skip-hls", action="store_true", help="no HLS baseline")
    parser.add_argument("--skip-load", action="store_true", help="measure latency only")
    args = parser.parse_args()

    latencies: list[Latency] = []
    loads: list[Load] = []
    with ExitStack() as cleanup:
        workdir = Path(tempfile.mkdtemp(prefix="vms-bench-live-"))
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        logs = workdir / "logs"
        logs.mkdir()
        camera = cleanup.enter_context(ClockCamera(None, start_timeout=10))
        say(f"stand-in camera at {camera.url}")
        redis_url, redis_server = cleanup.enter_context(private_redis(logs / "redis.log"))
        set_environment(DATABASE, workdir / "media", redis_url)
        cleanup.enter_context(bench_database(DATABASE))
        camera_id, token = add_camera_and_operator(camera.url)
        say(f"database {DATABASE} created and migrated")

        web: dict[str, WebServer] = {}
        for server, app in WEB_SERVERS.items():
            if server == PER_VIEWER and (args.skip_load or args.skip_baseline):
                continue
            port = free_port()
            log = logs / f"daphne-{server.replace(' ', '-')}.log"
            argv = [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), app]
            web[server] = WebServer(cleanup.enter_context(running(argv, log)), log, f"http://127.0.0.1:{port}",
                                    f"ws://127.0.0.1:{port}/ws/live/{camera_id}/")  # fmt: skip
        recorder = cleanup.enter_context(running([sys.executable, "manage.py", "recorder"], logs / "recorder.log"))
        for server, daphne in web.items():
            try:
                asyncio.run(wait_for_live(daphne.ws_url, daphne.origin, token, START_TIMEOUT))
            except RuntimeError as exc:
                recorder_log = log_tail(logs / "recorder.log")
                sys.exit(f"{exc}\n\ndaphne ({server}):\n{log_tail(daphne.log)}\n\nrecorder:\n{recorder_log}")
        say("live video flows: camera -> recorder -> Redis -> daphne -> websocket")
        origin, ws_url = web[SHARED].origin, web[SHARED].ws_url

        if not args.skip_latency:
            site = workdir / "site"
            site.mkdir()
            shutil.copy(BENCH / "live_player.html", site)
            if HLS_JS.exists():
                shutil.copy(HLS_JS, site)
            elif not args.skip_hls:
                say(f"no {HLS_JS} (run `npm ci` in frontend/): skipping the HLS baseline")
                args.skip_hls = True
            base = f"http://127.0.0.1:{cleanup.enter_context(static_server(site))}"
            with chromium_page() as page:
                ticketed = urllib.parse.quote(with_ticket(ws_url, origin, token), safe="")
                player = f"{base}/live_player.html?max_lag={args.max_lag}&ws={ticketed}"
                latencies.append(measure_latency(page, "websocket (MSE)", player, args.warmup, args.window))
                if not args.skip_hls:
                    latencies.append(measure_hls(page, camera.url, site, base, args.warmup, args.window, logs))

        if not args.skip_load:
            # The two servers take turns at each count, so both see the machine as it is at the time.
            for viewers in [0, *args.viewers]:
                for server, daphne in web.items():
                    servers = Servers(*(psutil.Process(each.pid) for each in (daphne.process, recorder, redis_server)))
                    loads.append(asyncio.run(measure_load(server, viewers, daphne.ws_url, daphne.origin, token,
                                                          servers, args.load_warmup, args.load_window)))  # fmt: skip
                    say(f"{viewers} viewers ({server}): daphne {loads[-1].daphne_cores * 100:.1f}% of a core")

        processes = [(f"daphne ({server})", daphne.process, daphne.log) for server, daphne in web.items()]
        for name, process, log in [*processes, ("recorder", recorder, logs / "recorder.log")]:
            if process.poll() is not None:
                say(f"{name} exited early with code {process.returncode}:\n{log_tail(log)}")
            errors = error_lines(log)
            if errors:
                say(f"{name} logged {len(errors)} error lines, the first: {errors[0]}")
    print_report(latencies, loads, args)
    say("done")


if __name__ == "__main__":
    main()
