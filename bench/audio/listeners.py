"""CPU per live listener: the web server's CPU (daphne: websocket fan-out) for N viewers of a camera whose sound is
recorded and sent live, beside N viewers of the same camera with its sound off (video only, the baseline), in the
same run (two alike stand-in cameras, both sending sound).

Run it as `.venv/bin/python -m bench.audio listeners`; see bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.live import (  # noqa: E402
    START_TIMEOUT,
    Load,
    Servers,
    log_tail,
    measure_load,
    private_redis,
    running,
    say,
    wait_for_live,
)
from bench.vms_under_test import bench_database, set_environment  # noqa: E402
from tests.standins.rtsp_servers import GstCamera, free_port  # noqa: E402

DATABASE = "vms_bench_audio"
WIDTH, HEIGHT = 1280, 720


def add_cameras_and_operator(urls: dict[str, str]) -> tuple[dict[str, int], str]:
    """Two cameras, the first with its sound recorded; an Operator allowed to watch both. Return their ids by name
    and the operator's API token."""
    from django.contrib.auth.models import Group, User

    from accounts import tokens
    from accounts.models import CameraAccess
    from accounts.roles import OPERATOR
    from devices.models import Camera

    operator = User.objects.create_user("bench-operator")
    operator.groups.add(Group.objects.get(name=OPERATOR))
    cameras = {}
    for name, url in urls.items():
        camera = Camera.objects.create(name=name, main_url=url, record_audio=name == "with sound")
        CameraAccess.objects.create(camera=camera, user=operator)
        cameras[name] = camera.pk
    return cameras, tokens.issue(operator, "bench")[1]


def print_report(loads: dict[str, list[Load]], args: argparse.Namespace) -> None:
    print(f"\ncamera: {WIDTH}x{HEIGHT} 25 fps H.264 and AAC 48 kHz sound (GStreamer stand-in); {psutil.cpu_count()} "
          f"cores; {args.window:g} s windows")
    print(f"{'camera':<12} {'viewers':>7} {'daphne %core':>12} {'per viewer':>10} {'fragments/s/viewer':>18} "
          f"{'watching':>8}")
    for name, runs in loads.items():
        idle = runs[0].daphne_cores
        for load in runs:
            per_viewer = (load.daphne_cores - idle) / load.viewers * 100 if load.viewers else 0.0
            rate = sum(load.fragments_per_second) / load.viewers if load.viewers else 0.0
            print(f"{name:<12} {load.viewers:>7} {load.daphne_cores * 100:>12.2f} {per_viewer:>10.3f} {rate:>18.1f} "
                  f"{load.still_watching:>8}")
            for error in load.errors:
                print(f"    error: {error}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.audio listeners", description=__doc__)
    parser.add_argument("--viewers", type=int, nargs="+", default=[10, 50], help="viewer counts to load with")
    parser.add_argument("--window", type=float, default=20, help="seconds measured per viewer count")
    parser.add_argument("--warmup", type=float, default=5, help="seconds, once every viewer gets video")
    args = parser.parse_args(argv)

    loads: dict[str, list[Load]] = {}
    with ExitStack() as cleanup:
        workdir = Path(tempfile.mkdtemp(prefix="vms-bench-audio-listeners-"))
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        logs = workdir / "logs"
        logs.mkdir()
        # A stand-in each, alike: two sessions opened at once on one stand-in's shared media with sound were
        # refused (500) now and then.
        urls = {name: cleanup.enter_context(GstCamera(path, audio="aac", width=WIDTH, height=HEIGHT)).url
                for name, path in (("with sound", "/sound"), ("video only", "/video"))}
        redis_url, redis_server = cleanup.enter_context(private_redis(logs / "redis.log"))
        set_environment(DATABASE, workdir / "media", redis_url)
        cleanup.enter_context(bench_database(DATABASE))
        cameras, token = add_cameras_and_operator(urls)
        port = free_port()
        daphne_argv = [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                       "vms.asgi:application"]  # fmt: skip
        daphne = cleanup.enter_context(running(daphne_argv, logs / "daphne.log"))
        recorder = cleanup.enter_context(running([sys.executable, "manage.py", "recorder"], logs / "recorder.log"))
        servers = Servers(*(psutil.Process(process.pid) for process in (daphne, recorder, redis_server)))
        origin = f"http://127.0.0.1:{port}"
        for name, camera_id in cameras.items():
            ws_url = f"ws://127.0.0.1:{port}/ws/live/{camera_id}/"
            try:
                asyncio.run(wait_for_live(ws_url, origin, token, START_TIMEOUT))
            except RuntimeError as exc:
                sys.exit(f"{exc}\n\ndaphne:\n{log_tail(logs / 'daphne.log')}\n\nrecorder:\n"
                         f"{log_tail(logs / 'recorder.log')}")
            loads[name] = []
            for viewers in [0, *args.viewers]:
                loads[name].append(asyncio.run(measure_load(viewers, ws_url, origin, token, servers, args.warmup,
                                                            args.window)))
                say(f"{name}, {viewers} viewers: daphne {loads[name][-1].daphne_cores * 100:.1f}% of a core")
    print_report(loads, args)
