"""`python -m bench.soak --minutes N --cameras 8`: run the VMS for N minutes under seeded faults and check that
nothing was lost. Exits 1 when a check fails. See bench/README.md."""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet

from bench.soak.faults import FAULT_KINDS
from tests.standins.rtsp_servers import free_port
from video.pattern_clip import make_clip

ROOT = Path(__file__).resolve().parents[2]
# The cameras' clip: small, so that the recordings of a long run fit a tmpfs.
CLIP = {"width": 640, "height": 360, "fps": 10, "seconds": 20, "gop_seconds": 1.0, "bitrate": 500_000}
# Settings that make outages short and visible within minutes rather than the production defaults.
SOAK_SETTINGS = {"VMS_SEGMENT_SECONDS": "5", "VMS_RECORDER_LEASE_SECONDS": "9", "VMS_CAMERA_READ_TIMEOUT": "3",
                 "VMS_RECONNECT_MAX_SECONDS": "2", "VMS_MIN_FREE_DISK_GIB": "0", "VMS_LOG_LEVEL": "INFO",
                 "VMS_EXPORT_HEARTBEAT_SECONDS": "5"}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the faults go on (default 10)")
    parser.add_argument("--cameras", type=int, default=8, help="recorded cameras (default 8)")
    parser.add_argument("--seed", type=int, default=9, help="seed of the fault moments (default 9)")
    parser.add_argument("--faults", default=",".join(FAULT_KINDS),
                        help=f"kinds of fault, comma-separated (default all: {','.join(FAULT_KINDS)})")
    parser.add_argument("--each", type=int, default=0,
                        help="how many times each fault strikes (default: one per 5 minutes, at least one)")
    parser.add_argument("--report", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--keep", action="store_true", help="keep the working folder (logs) at the end")
    options = parser.parse_args()
    options.faults = [kind for kind in options.faults.split(",") if kind]
    unknown = set(options.faults) - set(FAULT_KINDS)
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}: choose from {', '.join(FAULT_KINDS)}")
    options.each = options.each or max(1, round(options.minutes / 5))
    return options


def main() -> int:
    options = arguments()
    work = Path(tempfile.mkdtemp(prefix="vms-soak-"))
    work.chmod(0o755)  # the postgres user keeps its cluster in here
    print(f"soak: {options.minutes:g} min, {options.cameras} cameras, seed {options.seed}, faults "
          f"{','.join(options.faults)} x{options.each}; working folder {work}", flush=True)
    clip = make_clip(work / "clips", **CLIP)
    clip_mib_per_second = clip.stat().st_size / CLIP["seconds"] / 2**20
    disk_mib = int(100 + 1.5 * clip_mib_per_second * options.cameras * (options.minutes * 60 + 600))
    ports = {"postgres": free_port(), "redis": free_port(), "web": free_port()}
    os.environ.update(
        DJANGO_SETTINGS_MODULE="vms.settings",
        VMS_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{ports['postgres']}/vms",
        VMS_REDIS_URL=f"redis://127.0.0.1:{ports['redis']}/0",
        VMS_SECRET_KEY=secrets.token_urlsafe(32), VMS_CREDENTIALS_KEY=Fernet.generate_key().decode(),
        VMS_DATA_ROOT=str(work / "data"), VMS_MEDIA_ROOT=str(work / "media"), **SOAK_SETTINGS)
    # Django reads the environment once, at set-up; the harness and the checks use its ORM.
    import django

    django.setup()
    from django.db import connections

    from bench.soak.checks import all_checks, print_report, report_json
    from bench.soak.harness import Soak, say
    from bench.soak.processes import vms_processes
    from bench.soak.services import Postgres, RecordingsDisk, Redis

    disk = RecordingsDisk(work / "media", disk_mib)
    postgres, redis = Postgres(work / "postgres", ports["postgres"]), Redis(work / "redis", ports["redis"])
    processes = vms_processes(work, ports["web"], work / "celerybeat-schedule")
    soak = None
    try:
        disk.mount()
        say(f"recordings disk: tmpfs of {disk_mib} MiB")
        postgres.create()
        redis.start()
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"], cwd=ROOT,
                       check=True, timeout=600)
        soak = Soak(postgres=postgres, redis=redis, disk=disk, processes=processes,
                    web_url=f"http://127.0.0.1:{ports['web']}", clip=clip, cameras=options.cameras,
                    seconds=options.minutes * 60, rng=random.Random(options.seed), faults=options.faults,
                    each=options.each)
        soak.create_admin()
        soak.start_cameras()
        for process in processes.values():
            process.start()
        soak.log_in()
        say("waiting for every camera to record")
        soak.wait_until_recording()
        say("soak started: " + ", ".join(f"{f.kind} at {f.at:.0f} s" for f in soak.schedule))
        record = soak.run()
        soak.settle()
        say("checking")
        checks, rows = all_checks(record)
        print_report(record, checks, rows)
        if options.report:
            options.report.write_text(json.dumps(report_json(record, checks, rows), indent=2))
        return 0 if all(check.passed for check in checks) else 1
    finally:
        for process in processes.values():
            process.kill()
        if soak is not None:
            soak.stop_cameras()
        connections.close_all()
        redis.stop()
        postgres.stop()
        disk.unmount()
        if options.keep:
            print(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
