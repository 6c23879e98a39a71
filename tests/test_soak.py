"""The soak harness (bench/soak), short: the VMS's real processes for 2.5 minutes on their own PostgreSQL, Redis
and disk, while a recorder is killed, Redis and PostgreSQL restart and a Celery worker dies mid-render.
Every check must pass: segments intact and indexed, footage covered, no export stuck, no alarm lost or doubled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.rtsp,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounts a tmpfs and runs PostgreSQL as its own user: needs root"),
]

ROOT = Path(__file__).resolve().parent.parent
FAULTS = ["recorder", "redis", "postgres", "celery"]


@pytest.mark.timeout(1500)
def test_it_loses_nothing_through_a_short_soak(tmp_path):
    report = tmp_path / "soak.json"
    run = subprocess.Popen(
        [sys.executable, "-m", "bench.soak", "--minutes", "2.5", "--cameras", "8", "--faults", ",".join(FAULTS),
         "--report", str(report)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = run.communicate(timeout=1400)
    except subprocess.TimeoutExpired:
        run.send_signal(signal.SIGINT)  # not SIGKILL: the harness stops its servers and unmounts its disk
        stdout, stderr = run.communicate(timeout=120)
    output = stdout[-6000:] + stderr[-6000:]
    assert report.exists(), output
    results = json.loads(report.read_text())
    failed = [f"{check['name']}: {check['figure']} {check['details'][:5]}"
              for check in results["checks"] if not check["passed"]]
    assert not failed, output
    assert run.returncode == 0, output
    outages = results["record"]["outages"]
    assert sorted(outage["kind"] for outage in outages) == sorted(FAULTS)
    assert any("mid-render" in outage["note"] for outage in outages if outage["kind"] == "celery"), output
